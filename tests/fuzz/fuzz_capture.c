/*
 * A capture file from a stranger, as `tcpref analyze` reads it: tcpref's
 * own reader (analyzer/pcap.c or pcapng.c through tr_source_open_mem), the
 * decoder with checksum verification, the observer, the end of input, and
 * both reports over what was read before any damage.
 */
#include <string.h>

#include "analyzer/observer.h"
#include "fuzz.h"
#include "fuzz_capture.h"
#include "stack/profile.h"

/* Every error message names the file and the byte offset (frame too, for
 * damage past the file header). */
static void fz__check_message(const char *msg, bool header)
{
    FZ_CHECK(strstr(msg, FZ_CAPTURE_NAME ": ") == msg);
    FZ_CHECK(strstr(msg, "byte offset") != NULL);
    FZ_CHECK(header || strstr(msg, "frame ") != NULL);
}

/* Every captured byte is readable (ASan sees a read past the record). */
static void fz__check_packet(const struct tr_pkt *p, uint64_t frame, size_t size)
{
    FZ_CHECK(p->frame == frame);
    FZ_CHECK(p->offset < size);
    FZ_CHECK(p->caplen <= size);
    volatile uint8_t sum = 0;
    for (uint32_t i = 0; i < p->caplen; i++)
        sum ^= p->data[i];
    (void)sum;
}

int fz_capture_run(const uint8_t *data, size_t size)
{
    char err[512] = "";
    struct tr_source *src = NULL;
    int r = tr_source_open_mem(&src, FZ_CAPTURE_NAME, data, size, err, sizeof err);
    if (r < 0) {
        FZ_CHECK(src == NULL);
        fz__check_message(err, true);
        return 0;
    }
    struct tr_obs_config cfg = {.profile = tr_profile_builtin("linux"), .verify_checksums = true,
                                .vlan_in_key = true};
    struct tr_obs *o = NULL;
    FZ_CHECK(tr_obs_new(&o, &cfg, 0) == 0);
    struct tr_pkt pkt;
    uint64_t frame = 0;
    while ((r = tr_source_next(src, &pkt)) == 1) {
        fz__check_packet(&pkt, ++frame, size);
        FZ_CHECK(frame <= size); /* every record takes at least one byte: no endless loop */
        tr_obs_packet(o, &pkt);
    }
    if (r < 0)
        fz__check_message(tr_source_error(src), false);
    struct tr_source_stats st;
    tr_source_stats(src, &st);
    FZ_CHECK(st.packets == frame);
    FZ_CHECK(st.bytes_read <= size);
    tr_obs_finish(o);
    fz_report(o, src, r);
    tr_source_close(src);
    tr_obs_free(o);
    return 0;
}

#include "replay/link.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stack/error.h"

struct tr_link {
    pcap_t *cap, *inj;
    pcap_dumper_t *dump;
    int fd;
    bool nano;
    uint64_t frames;
    tr_link_cb cb;
    void *ctx;
    char err[PCAP_ERRBUF_SIZE + 64];
};

/* The code and message for a failed pcap_activate(). */
static int tr__activate_error(pcap_t *p, int r, const char *iface, char *err, size_t n)
{
    switch (r) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        snprintf(err, n, "no interface '%s'", iface);
        return TR_EINVAL;
    case PCAP_ERROR_PERM_DENIED:
        snprintf(err, n, "not permitted to capture and send on %s (needs root or CAP_NET_RAW)",
                 iface);
        return TR_ESYS;
    case PCAP_ERROR_IFACE_NOT_UP:
        snprintf(err, n, "interface %s is down", iface);
        return TR_EINVAL;
    default:
        snprintf(err, n, "%s: %s", iface, pcap_geterr(p));
        return TR_EIO;
    }
}

static int tr__open_one(pcap_t **out, const char *iface, bool capture, bool *nano, char *err,
                        size_t n)
{
    char eb[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(iface, eb);
    if (!p) {
        snprintf(err, n, "%s: %s", iface, eb);
        return TR_EIO;
    }
    pcap_set_snaplen(p, capture ? 262144 : 128);
    pcap_set_promisc(p, capture); /* frames to tcpref's own MAC */
    pcap_set_immediate_mode(p, 1);
    pcap_set_timeout(p, 1);
    if (capture) {
        pcap_set_buffer_size(p, 8 << 20);
        *nano = pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) == 0;
    }
    int r = pcap_activate(p);
    if (r < 0) {
        r = tr__activate_error(p, r, iface, err, n);
        pcap_close(p);
        return r;
    }
    if (pcap_datalink(p) != DLT_EN10MB) {
        const char *name = pcap_datalink_val_to_name(pcap_datalink(p));
        snprintf(err, n, "%s is not an Ethernet interface (link type %s)", iface,
                 name ? name : "?");
        pcap_close(p);
        return TR_EINVAL;
    }
    *out = p;
    return TR_OK;
}

/* The inject handle reads nothing: a filter that no frame passes. */
static int tr__deaf(pcap_t *p, char *err, size_t n)
{
    struct bpf_program prog;
    if (pcap_compile(p, &prog, "less 1", 1, PCAP_NETMASK_UNKNOWN) < 0 ||
        pcap_setfilter(p, &prog) < 0) {
        snprintf(err, n, "cannot set the inject handle's filter: %s", pcap_geterr(p));
        return TR_EIO;
    }
    pcap_freecode(&prog);
    return TR_OK;
}

int tr_link_open(struct tr_link **out, const char *iface, char *err, size_t errlen)
{
    struct tr_link *l = calloc(1, sizeof *l);
    if (!l)
        return TR_ENOMEM;
    char eb[PCAP_ERRBUF_SIZE] = "";
    int r = tr__open_one(&l->cap, iface, true, &l->nano, err, errlen);
    if (r == TR_OK)
        r = tr__open_one(&l->inj, iface, false, &(bool){false}, err, errlen);
    if (r == TR_OK)
        r = tr__deaf(l->inj, err, errlen);
    if (r == TR_OK && pcap_setnonblock(l->cap, 1, eb) < 0) {
        snprintf(err, errlen, "%s: %s", iface, eb);
        r = TR_EIO;
    }
    if (r == TR_OK && (l->fd = pcap_get_selectable_fd(l->cap)) < 0) {
        snprintf(err, errlen, "%s: no selectable descriptor", iface);
        r = TR_EIO;
    }
    if (r < 0) {
        tr_link_close(l);
        return r;
    }
    *out = l;
    return TR_OK;
}

void tr_link_close(struct tr_link *l)
{
    if (!l)
        return;
    if (l->dump)
        pcap_dump_close(l->dump);
    if (l->cap)
        pcap_close(l->cap);
    if (l->inj)
        pcap_close(l->inj);
    free(l);
}

int tr_link_dump(struct tr_link *l, const char *path, char *err, size_t errlen)
{
    l->dump = pcap_dump_open(l->cap, path);
    if (!l->dump) {
        snprintf(err, errlen, "cannot write %s: %s", path, pcap_geterr(l->cap));
        return TR_EIO;
    }
    return TR_OK;
}

int tr_link_fd(const struct tr_link *l) { return l->fd; }

static void tr__handler(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
    struct tr_link *l = (struct tr_link *)user;
    if (l->dump)
        pcap_dump((u_char *)l->dump, h, bytes);
    int64_t frac = (int64_t)h->ts.tv_usec * (l->nano ? 1 : 1000);
    struct tr_pkt pkt = {.data = bytes, .caplen = h->caplen, .origlen = h->len,
                         .ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + frac,
                         .frame = ++l->frames, .linktype = 1, .snaplen = 262144};
    l->cb(l->ctx, &pkt);
}

int tr_link_read(struct tr_link *l, tr_link_cb cb, void *ctx)
{
    l->cb = cb;
    l->ctx = ctx;
    int total = 0;
    for (;;) {
        int r = pcap_dispatch(l->cap, -1, tr__handler, (u_char *)l);
        if (r < 0) {
            snprintf(l->err, sizeof l->err, "capture failed: %s", pcap_geterr(l->cap));
            return TR_EIO;
        }
        if (r == 0)
            break;
        total += r;
    }
    if (l->dump)
        pcap_dump_flush(l->dump);
    return total;
}

int tr_link_send(struct tr_link *l, const uint8_t *frame, size_t n)
{
    if (pcap_inject(l->inj, frame, n) < 0) {
        snprintf(l->err, sizeof l->err, "sending a frame failed: %s", pcap_geterr(l->inj));
        return TR_EIO;
    }
    return TR_OK;
}

const char *tr_link_error(const struct tr_link *l) { return l->err; }

void tr_link_counts(struct tr_link *l, uint64_t *captured, uint64_t *dropped)
{
    struct pcap_stat st;
    *captured = l->frames;
    *dropped = pcap_stats(l->cap, &st) == 0 ? st.ps_drop : 0;
}

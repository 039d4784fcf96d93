/*
 * Live capture: the libpcap backend of the capture sources
 * (analyzer/source.h). libpcap opens the interface (pcap_create(3PCAP),
 * pcap_activate(3PCAP)) in immediate mode, so a packet is handed over as
 * soon as it arrives instead of when a buffer block fills, and in
 * non-blocking mode: the caller waits with poll() on the selectable
 * descriptor and keeps its own clock for status and expiry.
 *
 * Buffer lifetime, as for every source: a packet's bytes are libpcap's
 * (pcap_next_ex(3PCAP)) and valid until the next tr_source_next().
 */
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer/source_int.h"
#include "stack/error.h"

#define TR_LIVE_SNAPLEN 262144

struct tr__live {
    pcap_t *p;
    pcap_dumper_t *dump;
    int fd;
    uint32_t linktype, snaplen;
    int64_t tick_ns;            /* 1 (nanosecond timestamps) or 1000 */
    uint64_t frame;
    struct pcap_stat last;      /* libpcap's 32-bit counters at the last update */
};

static int tr__live_next(struct tr_source *src, struct tr_pkt *pkt);
static void tr__live_close(struct tr_source *src);

static const struct tr_source_ops tr__live_ops = {.next = tr__live_next, .close = tr__live_close};

/* Messages are one line: libpcap's texts may end in a newline. */
static int tr__live_fail(struct tr_source *src, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int tr__live_fail(struct tr_source *src, int code, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(src->err, sizeof src->err, "%s: %s", src->name, text);
    for (char *c = src->err; *c; c++)
        if (*c == '\n' || *c == '\r')
            *c = ' ';
    size_t n = strlen(src->err);
    while (n && src->err[n - 1] == ' ')
        src->err[--n] = '\0';
    return code;
}

/* pcap_activate() failed: say why in the user's terms. */
static int tr__live_activate_error(struct tr_source *src, pcap_t *p, int r)
{
    const char *why = pcap_geterr(p);
    switch (r) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
        return tr__live_fail(src, TR_EINVAL, "no such interface (%s)", why[0] ? why : "libpcap");
    case PCAP_ERROR_PERM_DENIED:
        return tr__live_fail(src, TR_ESYS,
                             "permission denied: live capture needs root or CAP_NET_RAW (%s)",
                             why[0] ? why : "libpcap");
    case PCAP_ERROR_IFACE_NOT_UP:
        return tr__live_fail(src, TR_EIO, "the interface is down");
    default:
        return tr__live_fail(src, TR_EIO, "%s%s%s", pcap_statustostr(r), why[0] ? ": " : "", why);
    }
}

/* Capture parameters, set before activation. Nanosecond timestamps where
 * the platform has them, microseconds otherwise. */
static void tr__live_configure(struct tr__live *lv, const struct tr_live_opts *opt)
{
    pcap_set_snaplen(lv->p, opt->snaplen > 0 ? opt->snaplen : TR_LIVE_SNAPLEN);
    pcap_set_promisc(lv->p, !opt->no_promisc);
    pcap_set_immediate_mode(lv->p, 1);
    if (opt->buffer_mb > 0)
        pcap_set_buffer_size(lv->p, opt->buffer_mb * 1024 * 1024);
    lv->tick_ns = pcap_set_tstamp_precision(lv->p, PCAP_TSTAMP_PRECISION_NANO) == 0 ? 1 : 1000;
}

static int tr__live_activate(struct tr_source *src, struct tr__live *lv,
                             const struct tr_live_opts *opt)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    lv->p = pcap_create(opt->iface, ebuf);
    if (!lv->p)
        return tr__live_fail(src, TR_EIO, "%s", ebuf);
    tr__live_configure(lv, opt);
    int r = pcap_activate(lv->p);
    if (r < 0)
        return tr__live_activate_error(src, lv->p, r);
    if (r > 0)
        tr__source_warn(src, 0, 0, "%s: %s", pcap_statustostr(r), pcap_geterr(lv->p));
    if (pcap_get_tstamp_precision(lv->p) != PCAP_TSTAMP_PRECISION_NANO)
        lv->tick_ns = 1000;
    return TR_OK;
}

static int tr__live_filter(struct tr_source *src, struct tr__live *lv, const char *filter)
{
    if (!filter || !filter[0])
        return TR_OK;
    struct bpf_program prog;
    if (pcap_compile(lv->p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return tr__live_fail(src, TR_EPARSE, "filter '%s': %s", filter, pcap_geterr(lv->p));
    int r = pcap_setfilter(lv->p, &prog);
    pcap_freecode(&prog);
    if (r < 0)
        return tr__live_fail(src, TR_EIO, "cannot install the filter: %s", pcap_geterr(lv->p));
    return TR_OK;
}

/* Non-blocking, with a descriptor to poll. */
static int tr__live_selectable(struct tr_source *src, struct tr__live *lv)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    if (pcap_setnonblock(lv->p, 1, ebuf) < 0)
        return tr__live_fail(src, TR_EIO, "cannot capture without blocking: %s", ebuf);
    lv->fd = pcap_get_selectable_fd(lv->p);
    if (lv->fd < 0)
        return tr__live_fail(src, TR_EIO, "libpcap offers no descriptor to poll");
    lv->linktype = (uint32_t)pcap_datalink(lv->p);
    lv->snaplen = (uint32_t)pcap_snapshot(lv->p);
    return TR_OK;
}

static int tr__live_start(struct tr_source *src, struct tr__live *lv, const struct tr_live_opts *opt)
{
    int r = tr__live_activate(src, lv, opt);
    if (r == TR_OK)
        r = tr__live_filter(src, lv, opt->filter);
    if (r == TR_OK)
        r = tr__live_selectable(src, lv);
    return r;
}

int tr_source_open_live(struct tr_source **out, const struct tr_live_opts *opt, char *err,
                        size_t errlen)
{
    *out = NULL;
    const char *iface = opt->iface ? opt->iface : "";
    struct tr_source *src = calloc(1, sizeof *src);
    struct tr__live *lv = calloc(1, sizeof *lv);
    char *name = strdup(iface);
    if (!src || !lv || !name) {
        free(src), free(lv), free(name);
        snprintf(err, errlen, "%s: out of memory", iface);
        return TR_ENOMEM;
    }
    src->name = name;
    src->ops = &tr__live_ops;
    src->impl = lv;
    src->rb.fd = -1;
    src->st.format = "live";
    lv->fd = -1;
    int r = iface[0] ? tr__live_start(src, lv, opt)
                     : tr__live_fail(src, TR_EINVAL, "no interface given");
    if (r < 0) {
        snprintf(err, errlen, "%s", src->err);
        tr_source_close(src);
        return r;
    }
    *out = src;
    return TR_OK;
}

static int tr__live_next(struct tr_source *src, struct tr_pkt *pkt)
{
    struct tr__live *lv = src->impl;
    struct pcap_pkthdr *h;
    const u_char *data;
    int r = pcap_next_ex(lv->p, &h, &data);
    if (r == 0)
        return TR_EAGAIN;
    if (r == PCAP_ERROR_BREAK)
        return 0;
    if (r < 0)
        return tr__live_fail(src, TR_EIO, "capture failed: %s", pcap_geterr(lv->p));
    if (lv->dump)
        pcap_dump((u_char *)lv->dump, h, data);
    lv->frame++;
    src->st.packets++;
    *pkt = (struct tr_pkt){
        .data = data, .caplen = h->caplen, .origlen = h->len,
        .ts_ns = (int64_t)h->ts.tv_sec * 1000000000 + (int64_t)h->ts.tv_usec * lv->tick_ns,
        .frame = lv->frame, .linktype = lv->linktype, .snaplen = lv->snaplen};
    tr__source_note_ts(src, pkt->ts_ns);
    return 1;
}

static void tr__live_close(struct tr_source *src)
{
    struct tr__live *lv = src->impl;
    if (!lv)
        return;
    if (lv->dump)
        pcap_dump_close(lv->dump);
    if (lv->p)
        pcap_close(lv->p);
    lv->dump = NULL;
    lv->p = NULL;
}

static struct tr__live *tr__live_of(const struct tr_source *src)
{
    return src && src->ops == &tr__live_ops ? src->impl : NULL;
}

int tr_source_live_fd(const struct tr_source *src)
{
    const struct tr__live *lv = tr__live_of(src);
    return lv ? lv->fd : -1;
}

void tr_source_live_info(const struct tr_source *src, uint32_t *linktype, uint32_t *snaplen)
{
    const struct tr__live *lv = tr__live_of(src);
    *linktype = lv ? lv->linktype : 0;
    *snaplen = lv ? lv->snaplen : 0;
}

int tr_source_live_dump(struct tr_source *src, const char *path, char *err, size_t errlen)
{
    struct tr__live *lv = tr__live_of(src);
    if (!lv) {
        snprintf(err, errlen, "%s: not a live capture", src->name);
        return TR_ESTATE;
    }
    lv->dump = pcap_dump_open(lv->p, path);
    if (!lv->dump) {
        snprintf(err, errlen, "cannot write %s: %s", path, pcap_geterr(lv->p));
        return TR_EIO;
    }
    return TR_OK;
}

int tr_source_live_flush(struct tr_source *src)
{
    struct tr__live *lv = tr__live_of(src);
    if (!lv || !lv->dump)
        return TR_OK;
    return pcap_dump_flush(lv->dump) == 0 ? TR_OK : TR_EIO;
}

/* libpcap's counters are 32 bits wide: add the differences. */
int tr_source_live_update_stats(struct tr_source *src)
{
    struct tr__live *lv = tr__live_of(src);
    if (!lv)
        return TR_ESTATE;
    struct pcap_stat ps;
    if (pcap_stats(lv->p, &ps) < 0)
        return tr__live_fail(src, TR_EIO, "pcap_stats: %s", pcap_geterr(lv->p));
    src->st.live_recv += (uint32_t)(ps.ps_recv - lv->last.ps_recv);
    src->st.live_drop += (uint32_t)(ps.ps_drop - lv->last.ps_drop);
    src->st.live_ifdrop += (uint32_t)(ps.ps_ifdrop - lv->last.ps_ifdrop);
    lv->last = ps;
    return TR_OK;
}

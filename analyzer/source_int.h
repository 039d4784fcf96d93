/* Internal to the capture sources: the common handle and the buffered file
 * reader the file backends share. */
#ifndef TCPREF_ANALYZER_SOURCE_INT_H
#define TCPREF_ANALYZER_SOURCE_INT_H

#include <stdbool.h>
#include <stdio.h>

#include "analyzer/source.h"

/* Largest record or block the file readers accept (libpcap's limit for
 * packets is 256 KiB; pcapng blocks may carry options and comments). */
#define TR_MAX_RECORD (256u * 1024u)
#define TR_MAX_BLOCK (16u * 1024u * 1024u)

/* Timestamps the readers hand out lie in [0, TR_TS_MAX] ns since the epoch
 * (until 2116): the sum or difference of two of them, or of one and any
 * duration the analysis adds, never overflows int64. A pcapng timestamp
 * (64 bits of units, plus a 64-bit if_tsoffset in seconds) outside is
 * clamped and reported; a classic pcap one (32-bit seconds) never is. */
#define TR_TS_MAX ((int64_t)1 << 62)

/* A read() buffer over a file descriptor: records are parsed in place, with no
 * copy, and stay valid until the next tr__rbuf_need(). */
struct tr__rbuf {
    int fd;
    bool eof;
    uint8_t *buf;
    size_t cap, pos, end;
    uint64_t base; /* file offset of buf[0] */
    /* A regular file is read through its mapping with mmap(2) instead
     * (tr__rbuf_need moves the readable part, [pos, end), along it): no
     * copy out of the page cache, and only about TR_MAP_CHUNK of it counts
     * in the resident set. */
    bool mapped;
    uint8_t *map;       /* the mapping (buf == map), from file offset base, or NULL */
    size_t maplen;
    size_t dropped;     /* the mapping's bytes before this are dropped (MADV_DONTNEED) */
    uint64_t fsize;     /* the file's size when last looked at */
};

struct tr_source {
    const struct tr_source_ops *ops;
    char *name;
    char err[512];
    struct tr_source_stats st;
    struct tr__rbuf rb;
    void *impl;  /* backend state, freed by tr_source_close */
    int64_t last_ts;
    unsigned nwarn;             /* warnings kept (the rest are only counted) */
    char warn[TR_SOURCE_MAX_WARN][256];
};

/* The mapping probe (source.c): the fastest time per page, in ns, of a
 * first touch of the file's first pages mapped and populated; -1 when the
 * file is too short (or the pages cannot be populated: Linux before 5.14),
 * -2 when it cannot be mapped; and whether such a time says the mapping
 * pays (false for < 0). */
double tr__map_probe_ns(int fd, uint64_t size);
bool tr__map_verdict(double probe_ns);

/* tr__rbuf_need when fewer than n bytes are in the buffer. */
long tr__rbuf_fill(struct tr__rbuf *rb, size_t n);
/* Ensures n bytes from the current position are in the buffer. Returns the
 * bytes available (>= n, or fewer at end of file), or < 0 on a read error. */
static inline long tr__rbuf_need(struct tr__rbuf *rb, size_t n)
{
    /* the common case, inline: the bytes are there */
    if (rb->end - rb->pos >= n)
        return (long)(rb->end - rb->pos);
    return tr__rbuf_fill(rb, n);
}
static inline const uint8_t *tr__rbuf_at(const struct tr__rbuf *rb) { return rb->buf + rb->pos; }

/* Asks for the bytes TR_RBUF_AHEAD past the record about to be read (two
 * cache lines: a typical record's headers) while this one is analyzed. The
 * hardware prefetcher follows a stream only within a 4 KiB page, and in a
 * mapped window every page is a new one: without this, the first header
 * load of about every other record missed (one core, JSON report: 192 ->
 * 184 ms on the 300 MB benchmark capture, 280 -> 273 ms on the flow-heavy
 * one; docs/performance.md). Only inside the buffer; a hint, never a
 * fault. */
#define TR_RBUF_AHEAD 1024u
static inline void tr__rbuf_prefetch(const struct tr__rbuf *rb)
{
    if (rb->end - rb->pos >= TR_RBUF_AHEAD + 128) {
        __builtin_prefetch(rb->buf + rb->pos + TR_RBUF_AHEAD);
        __builtin_prefetch(rb->buf + rb->pos + TR_RBUF_AHEAD + 64);
    }
}
static inline uint64_t tr__rbuf_offset(const struct tr__rbuf *rb) { return rb->base + rb->pos; }

/* Records an error message "NAME: frame N at byte offset O: TEXT" and returns
 * code. frame 0 means the error is in the file header. */
int tr__source_fail(struct tr_source *src, int code, uint64_t frame, uint64_t offset,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records a non-fatal anomaly "NAME: frame N at byte offset O: TEXT". */
void tr__source_warn(struct tr_source *src, uint64_t frame, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Counts a timestamp that goes back in time (not an error: reported). */
void tr__source_note_ts(struct tr_source *src, int64_t ts);

/* The backends. Each takes over src (already holding the open fd and the
 * first bytes), sets src->ops and src->impl. */
int tr__pcap_init(struct tr_source *src);
int tr__pcapng_init(struct tr_source *src);

static inline uint16_t tr__rd16(const uint8_t *p, bool swap)
{
    uint16_t v = (uint16_t)(p[0] | p[1] << 8);
    return swap ? (uint16_t)(v >> 8 | v << 8) : v;
}
static inline uint32_t tr__rd32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return swap ? __builtin_bswap32(v) : v;
}

#endif

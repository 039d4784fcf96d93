#include "analyzer/source_int.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/error.h"

/* The read(2) buffer (the threaded reader's, standard input's): small
 * enough to stay in the reading core's L2 cache beside the workers' rings
 * (two threads, flow-heavy capture: 1 MiB 234 ms, 128 KiB 216 ms, median
 * of 14); it grows for a larger record. */
#define TR_RBUF_INITIAL (128u << 10)

/* A mapped file that shrinks under the reader (truncated by another
 * process while tcpref reads it) raises SIGBUS at the first access past
 * its new end: the handler says so, naming the file, and exits with the
 * status of an unreadable input instead of dying of the signal. */
static const char *volatile tr__mapped_name;

static void tr__sigbus(int sig)
{
    (void)sig;
    static const char a[] = "tcpref: ", b[] = ": the file shrank while it was being read (truncated by "
                                              "another process?); the analysis stops\n";
    const char *n = tr__mapped_name ? tr__mapped_name : "a capture file";
    if (write(STDERR_FILENO, a, sizeof a - 1) < 0 || write(STDERR_FILENO, n, strlen(n)) < 0 ||
        write(STDERR_FILENO, b, sizeof b - 1) < 0)
        _exit(2);
    _exit(2);
}

/* Installed at every mapped file's opening, not once: whatever replaced the
 * handler since (a test harness, a library) must not turn a truncated file
 * back into a crash. */
static void tr__watch_sigbus(const char *name)
{
    tr__mapped_name = name;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = tr__sigbus;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, NULL);
}

/* A regular file is mapped TR_MAP_REGION at a time, from the page of the
 * first byte still wanted, without populating it. Its pages are then set
 * up ahead of the reader TR_MAP_CHUNK at a time with one call
 * (MADV_POPULATE_READ: faulting them in one 4 KiB page at a time costs more
 * than read(2)'s copy) and dropped behind it (MADV_DONTNEED), so that about
 * one chunk counts in the resident set whatever the file's length, and a
 * mapping is made and unmade only per region (a window mapped and unmapped
 * every 256 KiB cost 2-4 % more: docs/performance.md, "Eighth round").
 * Dropped pages leave their page tables behind (2 MiB of them per GiB
 * mapped): unmapping each region frees them, so they stay under 64 KiB
 * whatever the file's length. At the end of the file as it was, a file
 * still growing (tcpdump -w) is mapped again from the reader's page. Where
 * MADV_POPULATE_READ is not known (Linux before 5.14) the pages are
 * faulted in as they are read. */
#define TR_MAP_CHUNK (256u << 10)
#define TR_MAP_REGION (32u << 20)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* <linux/mman.h>, Linux 5.14 */
#endif

static size_t tr__page(void)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* Whether the file is longer now than what is mapped of it. */
static bool tr__rbuf_grown(struct tr__rbuf *rb)
{
    struct stat st;
    if (fstat(rb->fd, &st) != 0)
        return false;
    if ((uint64_t)st.st_size > rb->fsize)
        rb->fsize = (uint64_t)st.st_size;
    return rb->fsize > rb->base + rb->maplen;
}

/* Whether the mapping reaches the end of the file, and the file has not
 * grown since: nothing more to read. */
static bool tr__rbuf_at_end(struct tr__rbuf *rb)
{
    return rb->base + rb->maplen >= rb->fsize && !tr__rbuf_grown(rb);
}

/* Maps the next region of the file, from the page of the reader's
 * position, at least n bytes from it when the file has them. */
static long tr__rbuf_map(struct tr__rbuf *rb, size_t n)
{
    const size_t page = tr__page();
    uint64_t at = rb->base + rb->pos;
    uint64_t off = at & ~(uint64_t)(page - 1);
    if (rb->map)
        munmap(rb->map, rb->maplen);
    rb->map = rb->buf = NULL;
    rb->maplen = rb->cap = rb->pos = rb->end = rb->dropped = 0;
    rb->base = at;
    if (off >= rb->fsize) {
        rb->eof = true;
        return 0;
    }
    size_t delta = (size_t)(at - off);
    size_t want = delta + (n > TR_MAP_REGION ? n : TR_MAP_REGION);
    size_t len = rb->fsize - off < want ? (size_t)(rb->fsize - off) : want;
    void *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, rb->fd, (off_t)off);
    if (m == MAP_FAILED)
        return TR_EIO;
    madvise(m, len, MADV_SEQUENTIAL);
    rb->map = rb->buf = m;
    rb->maplen = rb->cap = len;
    rb->base = off;
    rb->pos = rb->end = (size_t)(at - off);
    return 1;
}

/* Makes at least n bytes from the reader's position readable (fewer at the
 * end of the file); returns how many are. */
static long tr__rbuf_advance(struct tr__rbuf *rb, size_t n)
{
    const size_t page = tr__page();
    if (!rb->map || rb->maplen - rb->pos < n) {
        /* past the region: the next one, unless this one ends the file
         * and the file has not grown */
        if (rb->map && tr__rbuf_at_end(rb)) {
            rb->end = rb->maplen;
            rb->eof = true;
            return (long)(rb->end - rb->pos);
        }
        long r = tr__rbuf_map(rb, n);
        if (r <= 0)
            return r;
    }
    /* behind dropped first: the two chunks are never resident at once */
    size_t behind = rb->pos & ~(page - 1);
    if (behind > rb->dropped) {
        madvise(rb->map + rb->dropped, behind - rb->dropped, MADV_DONTNEED);
        rb->dropped = behind;
    }
    size_t want = rb->pos + (n > TR_MAP_CHUNK ? n : TR_MAP_CHUNK);
    if (want > rb->maplen)
        want = rb->maplen;
    size_t from = rb->end & ~(page - 1), to = (want + page - 1) & ~(page - 1);
    if (to > from)
        madvise(rb->map + from, to - from, MADV_POPULATE_READ);
    rb->end = want;
    if (rb->end == rb->maplen && tr__rbuf_at_end(rb))
        rb->eof = true;
    return (long)(rb->end - rb->pos);
}

long tr__rbuf_fill(struct tr__rbuf *rb, size_t n)
{
    if (rb->mapped) {
        if (rb->eof)
            return (long)(rb->end - rb->pos);
        return tr__rbuf_advance(rb, n);
    }
    if (rb->pos > 0) {
        memmove(rb->buf, rb->buf + rb->pos, rb->end - rb->pos);
        rb->base += rb->pos;
        rb->end -= rb->pos;
        rb->pos = 0;
    }
    /* At end of input nothing more can come: a length field claiming more
     * than is left must not make the buffer grow (a hostile 16 MiB block
     * header in a 100-byte file). */
    if (rb->eof)
        return (long)rb->end;
    if (n > rb->cap) {
        size_t cap = rb->cap;
        while (cap < n)
            cap *= 2;
        uint8_t *nb = realloc(rb->buf, cap);
        if (!nb)
            return TR_ENOMEM;
        rb->buf = nb;
        rb->cap = cap;
    }
    while (rb->end < n && !rb->eof) {
        ssize_t r = read(rb->fd, rb->buf + rb->end, rb->cap - rb->end);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return TR_EIO;
        if (r == 0)
            rb->eof = true;
        rb->end += (size_t)r;
    }
    return (long)(rb->end - rb->pos);
}

int tr__source_fail(struct tr_source *src, int code, uint64_t frame, uint64_t offset,
                    const char *fmt, ...)
{
    char text[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (frame)
        snprintf(src->err, sizeof src->err, "%s: frame %llu at byte offset %llu: %s", src->name,
                 (unsigned long long)frame, (unsigned long long)offset, text);
    else
        snprintf(src->err, sizeof src->err, "%s: at byte offset %llu: %s", src->name,
                 (unsigned long long)offset, text);
    return code;
}

void tr__source_warn(struct tr_source *src, uint64_t frame, uint64_t offset, const char *fmt, ...)
{
    if (src->nwarn >= TR_SOURCE_MAX_WARN) {
        src->nwarn++;
        return;
    }
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    snprintf(src->warn[src->nwarn], sizeof src->warn[0], "%s: frame %llu at byte offset %llu: %s",
             src->name, (unsigned long long)frame, (unsigned long long)offset, text);
    src->nwarn++;
}

unsigned tr_source_warning_count(const struct tr_source *src) { return src->nwarn; }

const char *tr_source_warning(const struct tr_source *src, unsigned i)
{
    return i < src->nwarn && i < TR_SOURCE_MAX_WARN ? src->warn[i] : NULL;
}

void tr__source_note_ts(struct tr_source *src, int64_t ts)
{
    if (src->st.packets > 1 && ts < src->last_ts)
        src->st.ts_backwards++;
    src->last_ts = ts;
}

static int tr__open_fd(const char *path, char *err, size_t errlen, uint64_t *size)
{
    *size = 0;
    if (strcmp(path, "-") == 0)
        return STDIN_FILENO;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", path);
        close(fd);
        return -1;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        *size = (uint64_t)st.st_size;
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    return fd;
}

/* Whether reading a file through its mapping pays on this machine.
 *
 * Mapping saves read(2)'s copy out of the page cache, but every page it
 * maps is a page-table entry to set up, and on some virtual machines the
 * first access to each page newly mapped traps to the hypervisor, which
 * fills its own copy of the page tables (shadow or "pagetable-based"
 * paging): 1.3-1.9 us per 4 KiB page measured on such a guest (AMD EPYC,
 * 2026-11-26), against ~0.1-0.2 us for a cache and TLB miss elsewhere. A
 * 300 MB capture is 73,000 pages: there one core ran 490 ms mapped against
 * 378 ms with read(2) (flow-heavy capture), and two processes 516 against
 * 267 ms, where the machine the mapping had been measured on gained 9 %
 * from it (docs/performance.md, "Ninth round").
 *
 * So it is measured, once per process, on the file about to be read: its
 * first TR_PROBE_PAGES pages are mapped and populated like the reader's
 * chunks, then touched one byte each, in groups; the fastest group's time
 * per page decides (a group stretched by an interrupt or a preemption does
 * not). It costs ~20 us where mapping pays and ~0.1 ms where it does not,
 * and only the reader's speed depends on it, never what it reads.
 * TCPREF_READER=map or read decides instead (benchmarks, tests). */
#define TR_PROBE_PAGES 64u
#define TR_PROBE_GROUP 16u
#define TR_PROBE_MAX_NS 600.0 /* per page: the mapping's first touch beyond this costs more than the copy */

static double tr__now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

double tr__map_probe_ns(int fd, uint64_t size)
{
    const size_t page = tr__page();
    size_t len = TR_PROBE_PAGES * page;
    if (size < len)
        return -1.0;
    uint8_t *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return -2.0;
    double best = -1.0;
    if (madvise(m, len, MADV_POPULATE_READ) == 0) {
        volatile uint8_t sink = 0;
        for (size_t g = 0; g < TR_PROBE_PAGES; g += TR_PROBE_GROUP) {
            double t0 = tr__now_ns();
            for (size_t i = g; i < g + TR_PROBE_GROUP; i++)
                sink ^= m[i * page];
            double ns = (tr__now_ns() - t0) / TR_PROBE_GROUP;
            if (best < 0 || ns < best)
                best = ns;
        }
        (void)sink;
    }
    munmap(m, len);
    return best;
}

bool tr__map_verdict(double probe_ns) { return probe_ns >= 0 && probe_ns <= TR_PROBE_MAX_NS; }

/* Whether to read this regular file through its mapping (see above). */
static bool tr__map_pays(int fd, uint64_t size)
{
    const char *forced = getenv("TCPREF_READER");
    if (forced && strcmp(forced, "map") == 0)
        return true;
    if (forced && strcmp(forced, "read") == 0)
        return false;
    if (getenv("TCPREF_NO_MMAP"))
        return false;
    static int verdict = -1; /* the machine's, measured on the first file large enough */
    if (verdict < 0) {
        double ns = tr__map_probe_ns(fd, size);
        if (ns <= -2.0)
            return false; /* this file cannot be mapped (its file system does not map) */
        if (ns < 0)
            return true; /* too short to tell, and too short for it to matter */
        verdict = tr__map_verdict(ns);
    }
    return verdict;
}

static int tr__dispatch(struct tr_source *src)
{
    long have = tr__rbuf_need(&src->rb, 4);
    if (have < 0)
        return tr__source_fail(src, (int)have, 0, 0, "%s", strerror(errno));
    if (have < 4)
        return tr__source_fail(src, TR_EFORMAT, 0, 0,
                               "file is %ld bytes long, too short for a capture file header",
                               have);
    uint32_t magic = tr__rd32(tr__rbuf_at(&src->rb), false);
    if (magic == 0x0A0D0D0Au)
        return tr__pcapng_init(src);
    return tr__pcap_init(src);
}

int tr_source_open_file(struct tr_source **out, const char *path, char *err, size_t errlen)
{
    return tr_source_open_file_map(out, path, true, err, errlen);
}

int tr_source_open_file_map(struct tr_source **out, const char *path, bool map, char *err, size_t errlen)
{
    *out = NULL;
    uint64_t size;
    int fd = tr__open_fd(path, err, errlen, &size);
    if (fd < 0)
        return TR_EIO;
    struct tr_source *src = calloc(1, sizeof *src);
    uint8_t *buf = malloc(TR_RBUF_INITIAL);
    char *name = strdup(path);
    if (!src || !buf || !name) {
        free(src), free(buf), free(name);
        if (fd != STDIN_FILENO)
            close(fd);
        snprintf(err, errlen, "%s: out of memory", path);
        return TR_ENOMEM;
    }
    src->name = name;
    src->rb = (struct tr__rbuf){.fd = fd, .buf = buf, .cap = TR_RBUF_INITIAL};
    if (map && size > 0 && fd != STDIN_FILENO && tr__map_pays(fd, size)) {
        /* a regular file: read through its mapping (tr__rbuf_advance) */
        free(buf);
        src->rb = (struct tr__rbuf){.fd = fd, .mapped = true, .fsize = size};
        tr__watch_sigbus(name);
    }
    src->st.file_size = size;
    int r = tr__dispatch(src);
    if (r < 0) {
        snprintf(err, errlen, "%s", src->err);
        tr_source_close(src);
        return r;
    }
    *out = src;
    return TR_OK;
}

int tr_source_open_mem(struct tr_source **out, const char *name, const uint8_t *data, size_t len,
                       char *err, size_t errlen)
{
    *out = NULL;
    struct tr_source *src = calloc(1, sizeof *src);
    uint8_t *buf = malloc(len ? len : 1);
    char *nm = strdup(name);
    if (!src || !buf || !nm) {
        free(src), free(buf), free(nm);
        snprintf(err, errlen, "%s: out of memory", name);
        return TR_ENOMEM;
    }
    if (len)
        memcpy(buf, data, len);
    src->name = nm;
    src->rb = (struct tr__rbuf){.fd = -1, .eof = true, .buf = buf, .cap = len ? len : 1,
                                .end = len};
    src->st.file_size = len;
    int r = tr__dispatch(src);
    if (r < 0) {
        snprintf(err, errlen, "%s", src->err);
        tr_source_close(src);
        return r;
    }
    *out = src;
    return TR_OK;
}

int tr_source_next(struct tr_source *src, struct tr_pkt *pkt)
{
    int r = src->ops->next(src, pkt);
    src->st.bytes_read = src->rb.base + src->rb.pos;
    return r;
}

const char *tr_source_error(const struct tr_source *src) { return src->err; }
const char *tr_source_name(const struct tr_source *src) { return src->name; }

void tr_source_stats(const struct tr_source *src, struct tr_source_stats *st) { *st = src->st; }

void tr_source_close(struct tr_source *src)
{
    if (!src)
        return;
    if (src->ops && src->ops->close)
        src->ops->close(src);
    free(src->impl);
    if (src->rb.fd > STDIN_FILENO)
        close(src->rb.fd);
    if (src->rb.mapped) {
        if (src->rb.map)
            munmap(src->rb.map, src->rb.maplen);
        if (tr__mapped_name == src->name)
            tr__mapped_name = NULL;
    } else {
        free(src->rb.buf);
    }
    free(src->name);
    free(src);
}

const char *tr_linktype_name(uint32_t lt)
{
    switch (lt) {
    case TR_LINK_NULL: return "null";
    case TR_LINK_ETHERNET: return "ethernet";
    case TR_LINK_RAW_OLD1:
    case TR_LINK_RAW_OLD2:
    case TR_LINK_RAW: return "raw";
    case TR_LINK_LOOP: return "loop";
    case TR_LINK_LINUX_SLL: return "linux-sll";
    case TR_LINK_IPV4: return "ipv4";
    case TR_LINK_IPV6: return "ipv6";
    case TR_LINK_LINUX_SLL2: return "linux-sll2";
    default: return "unsupported";
    }
}

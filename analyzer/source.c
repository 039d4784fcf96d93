#include "analyzer/source_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stack/error.h"

#define TR_RBUF_INITIAL (1u << 20)

long tr__rbuf_need(struct tr__rbuf *rb, size_t n)
{
    if (rb->end - rb->pos >= n)
        return (long)(rb->end - rb->pos);
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
    free(src->rb.buf);
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

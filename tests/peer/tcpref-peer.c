/*
 * tcpref-peer: a small deterministic TCP client/server on the kernel's TCP.
 *
 * Used to generate real-kernel captures for the tcpref corpus, and later as
 * the live peer of the replay tool and of live-capture tests.
 *
 * Both directions carry a deterministic byte stream: byte i of the
 * client->server (c2s) and server->client (s2c) streams is a fixed function
 * of (seed, direction, i).  The stream is made of 64-byte printable lines:
 *
 *     "c2s 000000000128 qhzkw...(46 letters)...\n"
 *
 * where the number is the stream offset of the line's first byte and the
 * letters come from a xorshift generator keyed by (seed, direction, line).
 * Every read is verified against the peer's expected stream.
 *
 * C11 + POSIX/Linux socket API, libc only.  See --help for usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

enum {
    EXIT_OK = 0,
    EXIT_SYS = 1,   /* system error (socket calls, files, ...) */
    EXIT_USAGE = 2, /* bad command line or script */
    EXIT_PROTO = 3, /* data mismatch, early EOF, unexpected RST, timeout */
};

#define IOBUF 65536
#define LINE_LEN 64
#define LINE_HDR 17 /* "c2s " + 12 digits + " " */
#define NO_DIVERGE UINT64_MAX

/* ------------------------------------------------------------------ */
/* messages                                                             */

static const char *g_role = "tcpref-peer";
static char g_rolebuf[64];
static int g_verbose;
static struct timespec g_t0;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - g_t0.tv_sec) + (double)(t.tv_nsec - g_t0.tv_nsec) / 1e9;
}

static void vmsg(const char *fmt, va_list ap)
{
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    fprintf(stderr, "tcpref-peer: %s: %s\n", g_role, buf);
}

__attribute__((format(printf, 2, 3), noreturn)) static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(fmt, ap);
    va_end(ap);
    exit(code);
}

__attribute__((format(printf, 1, 2))) static void logv(const char *fmt, ...)
{
    if (!g_verbose)
        return;
    char buf[480];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "tcpref-peer: %s: +%.6f %s\n", g_role, now_s(), buf);
}

/* ------------------------------------------------------------------ */
/* deterministic streams                                                */

enum { DIR_C2S = 0, DIR_S2C = 1 };

struct stream {
    uint64_t seed;
    int dir;
    uint64_t diverge_at; /* NO_DIVERGE or first offset emitted differently */
    /* one-line cache */
    uint64_t cached_line;
    int cache_valid;
    char line[LINE_LEN];
};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void make_line(struct stream *s, uint64_t lineno)
{
    char hdr[LINE_HDR + 8];
    unsigned long long off = (unsigned long long)((lineno * LINE_LEN) % 1000000000000ULL);
    snprintf(hdr, sizeof hdr, "%s %012llu ", s->dir == DIR_C2S ? "c2s" : "s2c", off);
    memcpy(s->line, hdr, LINE_HDR);
    uint64_t x = splitmix64(s->seed * 2 + (uint64_t)s->dir) ^ splitmix64(lineno + 0x1234567ULL);
    if (x == 0)
        x = 1;
    for (int i = LINE_HDR; i < LINE_LEN - 1; i++) {
        /* xorshift64 */
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s->line[i] = (char)('a' + (int)((x >> 40) % 26));
    }
    s->line[LINE_LEN - 1] = '\n';
    s->cached_line = lineno;
    s->cache_valid = 1;
}

/* Every byte maps to a different byte, so the first differing offset is
 * exactly --diverge-at. */
static uint8_t diverge_byte(uint8_t c)
{
    if (c >= 'a' && c <= 'z')
        return (uint8_t)(c - 'a' + 'A');
    if (c >= '0' && c <= '9')
        return (uint8_t)('0' + (c - '0' + 5) % 10);
    if (c == ' ')
        return '_';
    if (c == '\n')
        return '|';
    return c == '?' ? '!' : '?';
}

static void stream_fill(struct stream *s, uint64_t off, uint8_t *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        uint64_t o = off + done;
        uint64_t ln = o / LINE_LEN;
        size_t in = (size_t)(o % LINE_LEN);
        size_t n = LINE_LEN - in;
        if (n > len - done)
            n = len - done;
        if (!s->cache_valid || s->cached_line != ln)
            make_line(s, ln);
        memcpy(buf + done, s->line + in, n);
        done += n;
    }
    if (s->diverge_at != NO_DIVERGE && off + len > s->diverge_at) {
        size_t from = s->diverge_at > off ? (size_t)(s->diverge_at - off) : 0;
        for (size_t i = from; i < len; i++)
            buf[i] = diverge_byte(buf[i]);
    }
}

/* ------------------------------------------------------------------ */
/* options                                                              */

enum mode { MODE_NONE, MODE_SERVER, MODE_CLIENT, MODE_GEN };

struct opts {
    enum mode mode;
    const char *listen, *connect, *bind, *script;
    uint64_t seed;
    uint64_t diverge_at;
    int rcvbuf, sndbuf, mss, window_clamp;
    int nodelay, linger0, quickack;
    int keepalive, ka_idle, ka_intvl, ka_cnt;
    const char *cc;
    int once, count;
    const char *ready_file;
    int repeat;
    double connect_timeout;
    double timeout;
    int no_verify;
    int expect_refused;
    /* gen */
    int gen_dir;
    uint64_t gen_offset, gen_length;
    int gen_hex;
};

/* ------------------------------------------------------------------ */
/* script                                                               */

struct conn {
    int fd;
    const struct opts *o;
    struct stream out; /* what we send */
    struct stream in;  /* what we expect to receive */
    uint64_t sent, rcvd;
    int closed;
    int allow_reset;
    int got_reset;
};

struct step;
typedef int (*step_fn)(struct conn *c, const struct step *s);

/* returned by steps: continue, or the connection ended by an allowed RST */
enum { STEP_OK = 0, STEP_RESET_END = 1 };

struct step_def {
    const char *name;
    int nargs;        /* number of ':'-separated arguments */
    const char *args; /* for --help */
    const char *help;
    step_fn fn;
    int needs_fd;
};

struct step {
    const struct step_def *def;
    char text[64];
    uint64_t n[2];
    double d;
};

static int st_write(struct conn *c, const struct step *s);
static int st_wslow(struct conn *c, const struct step *s);
static int st_read(struct conn *c, const struct step *s);
static int st_read_eof(struct conn *c, const struct step *s);
static int st_slowread(struct conn *c, const struct step *s);
static int st_wait_eof(struct conn *c, const struct step *s);
static int st_sleep(struct conn *c, const struct step *s);
static int st_shutdown(struct conn *c, const struct step *s);
static int st_shutdown_rd(struct conn *c, const struct step *s);
static int st_close(struct conn *c, const struct step *s);
static int st_abort(struct conn *c, const struct step *s);
static int st_allow_reset(struct conn *c, const struct step *s);
static int st_expect_reset(struct conn *c, const struct step *s);

/* To add a step: write a st_xxx function and add one row here. */
static const struct step_def STEP_DEFS[] = {
    {"w", 1, "N", "write N bytes of our deterministic stream", st_write, 1},
    {"wslow", 2, "N:BYTES_PER_SEC", "write N bytes paced at BYTES_PER_SEC", st_wslow, 1},
    {"r", 1, "N", "read exactly N bytes and verify them (EOF first => exit 3)", st_read, 1},
    {"r", 1, "eof", "read and verify until EOF", st_read_eof, 1},
    {"slowread", 2, "N:BYTES_PER_SEC", "read and verify N bytes at BYTES_PER_SEC", st_slowread, 1},
    {"wait-eof", 0, "", "wait for the peer's FIN; any data first => exit 3", st_wait_eof, 1},
    {"sleep", 1, "SECONDS", "sleep (fractions allowed)", st_sleep, 0},
    {"shutdown", 0, "", "shutdown(SHUT_WR): send FIN, half close", st_shutdown, 1},
    {"shutdown-rd", 0, "", "shutdown(SHUT_RD)", st_shutdown_rd, 1},
    {"close", 0, "", "close() the socket", st_close, 1},
    {"abort", 0, "", "SO_LINGER {1,0} then close() => RST", st_abort, 1},
    {"allow-reset", 0, "", "from here on, a RST from the peer ends the script with success",
     st_allow_reset, 1},
    {"expect-reset", 0, "", "read (and verify) until the peer's RST; EOF => exit 3", st_expect_reset,
     1},
};
#define N_STEP_DEFS (sizeof STEP_DEFS / sizeof STEP_DEFS[0])

static int parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || *s == '-')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    /* allow k/m suffix? keep it strict: plain decimal */
    *out = (uint64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !(v >= 0) || isinf(v))
        return -1;
    *out = v;
    return 0;
}

static int parse_int(const char *s, int *out)
{
    uint64_t v;
    if (parse_u64(s, &v) || v > INT_MAX)
        return -1;
    *out = (int)v;
    return 0;
}

static struct step *parse_script(const char *script, size_t *count)
{
    char *copy = strdup(script);
    if (!copy)
        die(EXIT_SYS, "out of memory");
    size_t cap = 8, n = 0;
    int closed = 0;
    struct step *steps = calloc(cap, sizeof *steps);
    if (!steps)
        die(EXIT_SYS, "out of memory");
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        if (n == cap) {
            cap *= 2;
            steps = realloc(steps, cap * sizeof *steps);
            if (!steps)
                die(EXIT_SYS, "out of memory");
        }
        struct step *st = &steps[n];
        memset(st, 0, sizeof *st);
        snprintf(st->text, sizeof st->text, "%s", tok);
        char *args[3] = {0};
        int nargs = 0;
        char *colon_save = NULL;
        char *name = strtok_r(tok, ":", &colon_save);
        for (char *a; (a = strtok_r(NULL, ":", &colon_save));) {
            if (nargs == 3)
                die(EXIT_USAGE, "script step '%s': too many arguments", st->text);
            args[nargs++] = a;
        }
        const struct step_def *def = NULL;
        for (size_t i = 0; i < N_STEP_DEFS; i++) {
            if (strcmp(STEP_DEFS[i].name, name) || STEP_DEFS[i].nargs != nargs)
                continue;
            /* "r:eof" vs "r:N" share a name; pick by argument */
            if (STEP_DEFS[i].fn == st_read_eof && strcmp(args[0], "eof"))
                continue;
            if (STEP_DEFS[i].fn == st_read && !strcmp(args[0], "eof"))
                continue;
            def = &STEP_DEFS[i];
            break;
        }
        if (!def)
            die(EXIT_USAGE, "script step '%s': unknown step or wrong number of arguments (see --help)",
                st->text);
        st->def = def;
        int bad = 0;
        if (def->fn == st_sleep)
            bad = parse_double(args[0], &st->d);
        else if (def->fn != st_read_eof)
            for (int i = 0; i < nargs; i++)
                bad |= parse_u64(args[i], &st->n[i]);
        if ((def->fn == st_slowread || def->fn == st_wslow) && st->n[1] == 0)
            bad = 1;
        if (bad)
            die(EXIT_USAGE, "script step '%s': bad argument", st->text);
        if (closed && def->needs_fd)
            die(EXIT_USAGE, "script step '%s' after close/abort", st->text);
        if (def->fn == st_close || def->fn == st_abort)
            closed = 1;
        n++;
    }
    free(copy);
    if (n == 0)
        die(EXIT_USAGE, "empty script");
    *count = n;
    return steps;
}

/* ------------------------------------------------------------------ */
/* I/O helpers                                                          */

static void sleep_s(double secs)
{
    if (secs <= 0)
        return;
    struct timespec ts;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Handle an I/O error: an allowed RST ends the script, otherwise exit. */
static int io_error(struct conn *c, const char *what, int err)
{
    if (err == ECONNRESET || err == EPIPE) {
        c->got_reset = 1;
        if (c->allow_reset) {
            logv("%s: connection reset by peer (allowed)", what);
            return STEP_RESET_END;
        }
        die(EXIT_PROTO, "%s: connection reset by peer (sent %llu, received %llu bytes)", what,
            (unsigned long long)c->sent, (unsigned long long)c->rcvd);
    }
    die(EXIT_SYS, "%s: %s", what, strerror(err));
}

static void quickack(struct conn *c)
{
    if (!c->o->quickack)
        return;
    int one = 1;
    if (setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one) < 0)
        die(EXIT_SYS, "setsockopt(TCP_QUICKACK): %s", strerror(errno));
}

static void printable(uint8_t b, char out[8])
{
    if (b >= 0x20 && b < 0x7f && b != '\'')
        snprintf(out, 8, "'%c'", b);
    else
        snprintf(out, 8, "0x%02x", b);
}

static void verify(struct conn *c, const uint8_t *got, size_t n, const char *what)
{
    if (c->o->no_verify)
        return;
    static uint8_t exp[IOBUF];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < IOBUF ? n - done : IOBUF;
        stream_fill(&c->in, c->rcvd + done, exp, k);
        if (memcmp(exp, got + done, k)) {
            size_t i = 0;
            while (got[done + i] == exp[i])
                i++;
            char g[8], e[8];
            printable(got[done + i], g);
            printable(exp[i], e);
            die(EXIT_PROTO, "%s: data mismatch at %s stream offset %llu: got %s, expected %s", what,
                c->in.dir == DIR_C2S ? "c2s" : "s2c", (unsigned long long)(c->rcvd + done + i), g,
                e);
        }
        done += k;
    }
}

/* Read up to max bytes; returns bytes read, 0 on EOF, -1 if an allowed RST
 * ended the connection. */
static ssize_t read_some(struct conn *c, uint8_t *buf, size_t max, const char *what)
{
    for (;;) {
        ssize_t r = read(c->fd, buf, max);
        if (r >= 0) {
            if (r > 0) {
                verify(c, buf, (size_t)r, what);
                c->rcvd += (uint64_t)r;
                quickack(c);
            }
            return r;
        }
        if (errno == EINTR)
            continue;
        if (io_error(c, what, errno) == STEP_RESET_END)
            return -1;
    }
}

static int write_all(struct conn *c, uint64_t n, double bps, const char *what)
{
    static uint8_t buf[IOBUF];
    uint64_t left = n;
    double start = now_s();
    uint64_t done = 0;
    size_t chunk = IOBUF;
    if (bps > 0) {
        chunk = (size_t)(bps / 20);
        if (chunk < 1)
            chunk = 1;
        if (chunk > IOBUF)
            chunk = IOBUF;
    }
    while (left > 0) {
        size_t k = left < chunk ? (size_t)left : chunk;
        if (bps > 0)
            sleep_s(start + (double)done / bps - now_s());
        stream_fill(&c->out, c->sent, buf, k);
        ssize_t w = write(c->fd, buf, k);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (io_error(c, what, errno) == STEP_RESET_END)
                return STEP_RESET_END;
            continue;
        }
        c->sent += (uint64_t)w;
        left -= (uint64_t)w;
        done += (uint64_t)w;
    }
    return STEP_OK;
}

/* ------------------------------------------------------------------ */
/* steps                                                                */

static int st_write(struct conn *c, const struct step *s)
{
    return write_all(c, s->n[0], 0, s->text);
}

static int st_wslow(struct conn *c, const struct step *s)
{
    return write_all(c, s->n[0], (double)s->n[1], s->text);
}

static int read_n(struct conn *c, uint64_t n, double bps, const char *what)
{
    static uint8_t buf[IOBUF];
    uint64_t got = 0;
    double start = now_s();
    size_t chunk = IOBUF;
    if (bps > 0) {
        chunk = (size_t)(bps / 20);
        if (chunk < 1)
            chunk = 1;
        if (chunk > IOBUF)
            chunk = IOBUF;
    }
    while (got < n) {
        if (bps > 0)
            sleep_s(start + (double)got / bps - now_s());
        size_t k = n - got < chunk ? (size_t)(n - got) : chunk;
        ssize_t r = read_some(c, buf, k, what);
        if (r < 0)
            return STEP_RESET_END;
        if (r == 0)
            die(EXIT_PROTO, "%s: unexpected EOF after %llu of %llu bytes (stream offset %llu)", what,
                (unsigned long long)got, (unsigned long long)n, (unsigned long long)c->rcvd);
        got += (uint64_t)r;
    }
    return STEP_OK;
}

static int st_read(struct conn *c, const struct step *s)
{
    return read_n(c, s->n[0], 0, s->text);
}

static int st_slowread(struct conn *c, const struct step *s)
{
    return read_n(c, s->n[0], (double)s->n[1], s->text);
}

static int st_read_eof(struct conn *c, const struct step *s)
{
    static uint8_t buf[IOBUF];
    uint64_t start = c->rcvd;
    for (;;) {
        ssize_t r = read_some(c, buf, sizeof buf, s->text);
        if (r < 0)
            return STEP_RESET_END;
        if (r == 0)
            break;
    }
    logv("%s: %llu bytes before EOF", s->text, (unsigned long long)(c->rcvd - start));
    return STEP_OK;
}

static int st_wait_eof(struct conn *c, const struct step *s)
{
    uint8_t buf[4096];
    ssize_t r = read_some(c, buf, sizeof buf, s->text);
    if (r < 0)
        return STEP_RESET_END;
    if (r > 0)
        die(EXIT_PROTO, "%s: expected EOF, got %zd bytes of data at stream offset %llu", s->text, r,
            (unsigned long long)(c->rcvd - (uint64_t)r));
    return STEP_OK;
}

static int st_sleep(struct conn *c, const struct step *s)
{
    (void)c;
    sleep_s(s->d);
    return STEP_OK;
}

static int st_shutdown(struct conn *c, const struct step *s)
{
    if (shutdown(c->fd, SHUT_WR) < 0)
        return io_error(c, s->text, errno);
    return STEP_OK;
}

static int st_shutdown_rd(struct conn *c, const struct step *s)
{
    if (shutdown(c->fd, SHUT_RD) < 0)
        return io_error(c, s->text, errno);
    return STEP_OK;
}

static int st_close(struct conn *c, const struct step *s)
{
    if (close(c->fd) < 0)
        die(EXIT_SYS, "%s: %s", s->text, strerror(errno));
    c->closed = 1;
    return STEP_OK;
}

static int st_abort(struct conn *c, const struct step *s)
{
    struct linger l = {1, 0};
    if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0)
        die(EXIT_SYS, "%s: setsockopt(SO_LINGER): %s", s->text, strerror(errno));
    return st_close(c, s);
}

static int st_allow_reset(struct conn *c, const struct step *s)
{
    (void)s;
    c->allow_reset = 1;
    return STEP_OK;
}

static int st_expect_reset(struct conn *c, const struct step *s)
{
    static uint8_t buf[IOBUF];
    int saved = c->allow_reset;
    c->allow_reset = 1;
    for (;;) {
        ssize_t r = read_some(c, buf, sizeof buf, s->text);
        if (r < 0)
            break;
        if (r == 0)
            die(EXIT_PROTO, "%s: expected a reset, got EOF", s->text);
    }
    c->allow_reset = saved;
    c->got_reset = 0;
    return STEP_OK;
}

static void run_script(int fd, const struct opts *o, const struct step *steps, size_t nsteps)
{
    struct conn c;
    memset(&c, 0, sizeof c);
    c.fd = fd;
    c.o = o;
    int me = o->mode == MODE_SERVER ? DIR_S2C : DIR_C2S;
    c.out.seed = c.in.seed = o->seed;
    c.out.dir = me;
    c.in.dir = 1 - me;
    c.out.diverge_at = o->diverge_at;
    c.in.diverge_at = NO_DIVERGE;
    for (size_t i = 0; i < nsteps; i++) {
        const struct step *s = &steps[i];
        if (c.closed && s->def->needs_fd)
            die(EXIT_USAGE, "script step '%s' after close/abort", s->text);
        logv("step %s", s->text);
        int r = s->def->fn(&c, s);
        if (r == STEP_RESET_END) {
            logv("script ended by peer reset at step %s", s->text);
            break;
        }
    }
    if (!c.closed)
        close(fd);
    logv("done: sent %llu, received %llu bytes", (unsigned long long)c.sent,
         (unsigned long long)c.rcvd);
}

/* ------------------------------------------------------------------ */
/* addresses and socket options                                         */

struct addr {
    struct sockaddr_storage ss;
    socklen_t len;
    int family;
};

/* "1.2.3.4:80", "[fd00::1]:80"; if port_optional, also "1.2.3.4",
 * "[fd00::1]" and "fd00::1". */
static int parse_addr(const char *text, struct addr *a, int port_optional)
{
    char host[128];
    const char *port = NULL;
    memset(a, 0, sizeof *a);
    if (text[0] == '[') {
        const char *rb = strchr(text, ']');
        if (!rb || (size_t)(rb - text - 1) >= sizeof host)
            return -1;
        memcpy(host, text + 1, (size_t)(rb - text - 1));
        host[rb - text - 1] = 0;
        if (rb[1] == ':')
            port = rb + 2;
        else if (rb[1])
            return -1;
    } else {
        const char *colon = strrchr(text, ':');
        if (colon && strchr(text, ':') != colon) {
            colon = NULL; /* bare IPv6 without port */
        }
        size_t hl = colon ? (size_t)(colon - text) : strlen(text);
        if (hl >= sizeof host)
            return -1;
        memcpy(host, text, hl);
        host[hl] = 0;
        if (colon)
            port = colon + 1;
    }
    int p = 0;
    if (port) {
        if (parse_int(port, &p) || p > 65535)
            return -1;
    } else if (!port_optional) {
        return -1;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&a->ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->ss;
    if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)p);
        a->len = sizeof *s4;
        a->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)p);
        a->len = sizeof *s6;
        a->family = AF_INET6;
        return 0;
    }
    return -1;
}

static void addr_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
    char h[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof h);
        snprintf(out, len, "[%s]:%u", h, ntohs(s6->sin6_port));
    } else {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s4->sin_addr, h, sizeof h);
        snprintf(out, len, "%s:%u", h, ntohs(s4->sin_port));
    }
}

static void setopt(int fd, int level, int name, int val, const char *what)
{
    if (setsockopt(fd, level, name, &val, sizeof val) < 0)
        die(EXIT_SYS, "setsockopt(%s=%d): %s", what, val, strerror(errno));
}

/* Options applied before connect() / listen() (accepted sockets inherit). */
static void apply_opts(int fd, const struct opts *o)
{
    if (o->rcvbuf)
        setopt(fd, SOL_SOCKET, SO_RCVBUF, o->rcvbuf, "SO_RCVBUF");
    if (o->sndbuf)
        setopt(fd, SOL_SOCKET, SO_SNDBUF, o->sndbuf, "SO_SNDBUF");
    if (o->mss)
        setopt(fd, IPPROTO_TCP, TCP_MAXSEG, o->mss, "TCP_MAXSEG");
    if (o->nodelay)
        setopt(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
    if (o->window_clamp)
        setopt(fd, IPPROTO_TCP, TCP_WINDOW_CLAMP, o->window_clamp, "TCP_WINDOW_CLAMP");
    if (o->keepalive) {
        setopt(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
        setopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, o->ka_idle, "TCP_KEEPIDLE");
        setopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, o->ka_intvl, "TCP_KEEPINTVL");
        setopt(fd, IPPROTO_TCP, TCP_KEEPCNT, o->ka_cnt, "TCP_KEEPCNT");
    }
    if (o->linger0) {
        struct linger l = {1, 0};
        if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) < 0)
            die(EXIT_SYS, "setsockopt(SO_LINGER): %s", strerror(errno));
    }
    if (o->quickack)
        setopt(fd, IPPROTO_TCP, TCP_QUICKACK, 1, "TCP_QUICKACK");
    if (o->cc && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, o->cc, (socklen_t)strlen(o->cc)) < 0)
        die(EXIT_SYS, "setsockopt(TCP_CONGESTION=%s): %s", o->cc, strerror(errno));
    if (g_verbose && (o->rcvbuf || o->sndbuf)) {
        int r = 0, s = 0;
        socklen_t l = sizeof r;
        getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &r, &l);
        l = sizeof s;
        getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &s, &l);
        logv("effective SO_RCVBUF=%d SO_SNDBUF=%d", r, s);
    }
}

/* ------------------------------------------------------------------ */
/* timeout                                                              */

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "tcpref-peer: timeout: --timeout exceeded (peer did not behave as "
                              "scripted in time)\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(EXIT_PROTO);
}

static void arm_timeout(double secs)
{
    if (secs <= 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it;
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)secs;
    it.it_value.tv_usec = (suseconds_t)((secs - (double)(time_t)secs) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

/* ------------------------------------------------------------------ */
/* server / client                                                      */

static void write_ready_file(const char *path, const struct sockaddr_storage *ss)
{
    char tmp[4096], a[80];
    if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp)
        die(EXIT_USAGE, "--ready-file path too long");
    addr_str(ss, a, sizeof a);
    FILE *f = fopen(tmp, "w");
    if (!f)
        die(EXIT_SYS, "ready file %s: %s", tmp, strerror(errno));
    fprintf(f, "%s %ld\n", a, (long)getpid());
    if (fclose(f) != 0 || rename(tmp, path) < 0)
        die(EXIT_SYS, "ready file %s: %s", path, strerror(errno));
}

static int run_server(const struct opts *o, const struct step *steps, size_t nsteps)
{
    struct addr a;
    if (parse_addr(o->listen, &a, 0))
        die(EXIT_USAGE, "bad --listen address '%s' (want ADDR:PORT or [V6ADDR]:PORT)", o->listen);
    int lfd = socket(a.family, SOCK_STREAM, 0);
    if (lfd < 0)
        die(EXIT_SYS, "socket: %s", strerror(errno));
    setopt(lfd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
    if (a.family == AF_INET6)
        setopt(lfd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
    apply_opts(lfd, o);
    if (bind(lfd, (struct sockaddr *)&a.ss, a.len) < 0)
        die(EXIT_SYS, "bind %s: %s", o->listen, strerror(errno));
    if (listen(lfd, 128) < 0)
        die(EXIT_SYS, "listen: %s", strerror(errno));
    struct sockaddr_storage bound;
    socklen_t bl = sizeof bound;
    if (getsockname(lfd, (struct sockaddr *)&bound, &bl) < 0)
        die(EXIT_SYS, "getsockname: %s", strerror(errno));
    char bs[80];
    addr_str(&bound, bs, sizeof bs);
    logv("listening on %s", bs);
    if (o->ready_file)
        write_ready_file(o->ready_file, &bound);
    int n = o->once ? 1 : o->count;
    for (int i = 0; n == 0 || i < n; i++) {
        struct sockaddr_storage peer;
        socklen_t pl = sizeof peer;
        int fd;
        while ((fd = accept(lfd, (struct sockaddr *)&peer, &pl)) < 0) {
            if (errno != EINTR && errno != ECONNABORTED)
                die(EXIT_SYS, "accept: %s", strerror(errno));
            pl = sizeof peer;
        }
        snprintf(g_rolebuf, sizeof g_rolebuf, "server#%d", i + 1);
        g_role = g_rolebuf;
        char ps[80];
        addr_str(&peer, ps, sizeof ps);
        logv("accepted %s", ps);
        if (o->quickack)
            setopt(fd, IPPROTO_TCP, TCP_QUICKACK, 1, "TCP_QUICKACK");
        run_script(fd, o, steps, nsteps);
    }
    close(lfd);
    return EXIT_OK;
}

/* Returns 0 when connected, or the errno of a failed connect. */
static int do_connect(int fd, const struct addr *a, double timeout)
{
    if (timeout <= 0) {
        while (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
            if (errno != EINTR)
                return errno;
        }
        return 0;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        die(EXIT_SYS, "fcntl: %s", strerror(errno));
    int err = 0;
    if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0) {
        if (errno != EINPROGRESS)
            return errno;
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int ms = (int)(timeout * 1000.0);
        int r;
        while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR)
            ;
        if (r < 0)
            die(EXIT_SYS, "poll: %s", strerror(errno));
        if (r == 0)
            return ETIMEDOUT;
        socklen_t l = sizeof err;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
            die(EXIT_SYS, "getsockopt(SO_ERROR): %s", strerror(errno));
        if (err)
            return err;
    }
    if (fcntl(fd, F_SETFL, fl) < 0)
        die(EXIT_SYS, "fcntl: %s", strerror(errno));
    return 0;
}

static int run_client(const struct opts *o, const struct step *steps, size_t nsteps)
{
    struct addr a, b;
    if (parse_addr(o->connect, &a, 0))
        die(EXIT_USAGE, "bad --connect address '%s' (want ADDR:PORT or [V6ADDR]:PORT)", o->connect);
    if (o->bind) {
        if (parse_addr(o->bind, &b, 1))
            die(EXIT_USAGE, "bad --bind address '%s'", o->bind);
        if (b.family != a.family)
            die(EXIT_USAGE, "--bind and --connect address families differ");
    }
    for (int i = 0; i < o->repeat; i++) {
        snprintf(g_rolebuf, sizeof g_rolebuf, "client#%d", i + 1);
        g_role = g_rolebuf;
        int fd = socket(a.family, SOCK_STREAM, 0);
        if (fd < 0)
            die(EXIT_SYS, "socket: %s", strerror(errno));
        apply_opts(fd, o);
        if (o->bind) {
            if (((struct sockaddr_in *)&b.ss)->sin_port)
                setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
            if (bind(fd, (struct sockaddr *)&b.ss, b.len) < 0)
                die(EXIT_SYS, "bind %s: %s", o->bind, strerror(errno));
        }
        int err = do_connect(fd, &a, o->connect_timeout);
        if (o->expect_refused) {
            if (err == ECONNREFUSED) {
                logv("connect %s: refused, as expected", o->connect);
                close(fd);
                continue;
            }
            if (err == 0)
                die(EXIT_PROTO, "connect %s: connected, but --expect-refused", o->connect);
        }
        if (err)
            die(EXIT_SYS, "connect %s: %s", o->connect, strerror(err));
        struct sockaddr_storage me;
        socklen_t ml = sizeof me;
        char ms[80] = "?";
        if (getsockname(fd, (struct sockaddr *)&me, &ml) == 0)
            addr_str(&me, ms, sizeof ms);
        logv("connected %s -> %s", ms, o->connect);
        run_script(fd, o, steps, nsteps);
    }
    return EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* command line                                                         */

static void usage(FILE *f)
{
    fprintf(f,
            "usage:\n"
            "  tcpref-peer server --listen ADDR:PORT [options] --script SCRIPT\n"
            "  tcpref-peer client --connect ADDR:PORT [--bind ADDR[:PORT]] [options] --script "
            "SCRIPT\n"
            "  tcpref-peer gen --dir c2s|s2c --offset N --length N [--seed N] [--diverge-at N] "
            "[--hex]\n"
            "\n"
            "A deterministic TCP peer on the kernel's TCP stack. ADDR is a numeric IPv4 address\n"
            "or a bracketed IPv6 address: 10.77.0.2:8080, [fd00:77::2]:8080.\n"
            "\n"
            "Streams: byte i of the client->server (c2s) and server->client (s2c) streams is a\n"
            "fixed function of (seed, direction, i): 64-byte printable lines\n"
            "  \"c2s 000000000128 <46 pseudo-random letters>\\n\"\n"
            "where the number is the stream offset of the line. Every read is verified\n"
            "against the peer's stream. 'gen' prints a slice of a stream to stdout.\n"
            "\n"
            "SCRIPT: comma-separated steps run on each connection:\n");
    for (size_t i = 0; i < N_STEP_DEFS; i++) {
        char name[48];
        const struct step_def *d = &STEP_DEFS[i];
        snprintf(name, sizeof name, "%s%s%s", d->name, d->nargs ? ":" : "", d->args);
        fprintf(f, "  %-26s %s\n", name, d->help);
    }
    fprintf(f,
            "  The socket is closed after the last step if the script did not close it.\n"
            "  Example: w:100,r:2000,sleep:0.5,w:50,r:10000,shutdown,r:eof,close\n"
            "\n"
            "Common options:\n"
            "  --script SCRIPT        steps to run (required for server and client)\n"
            "  --seed N               stream seed (default 1)\n"
            "  --diverge-at N         our own output differs from the reference stream from\n"
            "                         offset N on (every byte from N differs)\n"
            "  --no-verify            do not verify received bytes\n"
            "  --timeout SECONDS      global timeout via SIGALRM, exit 3 (default 30, 0 = none)\n"
            "  -v, --verbose          log steps with timestamps to stderr\n"
            "  -h, --help             this text\n"
            "Socket options (set before connect()/listen(); accepted sockets inherit them):\n"
            "  --rcvbuf N             SO_RCVBUF (kernel doubles it)\n"
            "  --sndbuf N             SO_SNDBUF (kernel doubles it)\n"
            "  --mss N                TCP_MAXSEG\n"
            "  --nodelay              TCP_NODELAY\n"
            "  --keepalive I,N,C      SO_KEEPALIVE with TCP_KEEPIDLE=I TCP_KEEPINTVL=N "
            "TCP_KEEPCNT=C (s)\n"
            "  --linger0              SO_LINGER {1,0}: every close() sends RST\n"
            "  --window-clamp N       TCP_WINDOW_CLAMP\n"
            "  --quickack             TCP_QUICKACK after connect/accept and after every read\n"
            "  --cc NAME              TCP_CONGESTION (congestion control, e.g. cubic, reno)\n"
            "Server options:\n"
            "  --listen ADDR:PORT     address to listen on (port 0 = ephemeral)\n"
            "  --once                 serve one connection, then exit\n"
            "  --count N              serve N connections sequentially, then exit\n"
            "                         (neither: serve until --timeout)\n"
            "  --ready-file PATH      written atomically once listening: \"ADDR:PORT PID\\n\"\n"
            "Client options:\n"
            "  --connect ADDR:PORT    address to connect to\n"
            "  --bind ADDR[:PORT]     local address (and port) to bind before connect\n"
            "  --repeat N             run N sequential connections (default 1)\n"
            "  --connect-timeout S    give up connect() after S seconds (exit 1)\n"
            "  --expect-refused       success iff connect() is refused (RST); exit 3 if it "
            "connects\n"
            "gen options:\n"
            "  --dir c2s|s2c, --offset N, --length N, --hex (print hex instead of raw bytes)\n"
            "\n"
            "Exit status: 0 ok, 1 system error, 2 usage, 3 data mismatch, early EOF,\n"
            "unexpected RST or timeout. Errors are one line on stderr.\n");
}

enum {
    O_LISTEN = 256,
    O_CONNECT,
    O_BIND,
    O_SCRIPT,
    O_SEED,
    O_DIVERGE,
    O_RCVBUF,
    O_SNDBUF,
    O_MSS,
    O_NODELAY,
    O_KEEPALIVE,
    O_LINGER0,
    O_CLAMP,
    O_QUICKACK,
    O_ONCE,
    O_COUNT,
    O_READY,
    O_REPEAT,
    O_CTIMEOUT,
    O_TIMEOUT,
    O_NOVERIFY,
    O_EXPREF,
    O_DIR,
    O_OFFSET,
    O_LENGTH,
    O_HEX,
    O_CC,
};

static void bad_opt(const char *name, const char *val)
{
    die(EXIT_USAGE, "bad value for %s: '%s' (see --help)", name, val ? val : "");
}

static void parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option lo[] = {
        {"listen", required_argument, 0, O_LISTEN},
        {"connect", required_argument, 0, O_CONNECT},
        {"bind", required_argument, 0, O_BIND},
        {"script", required_argument, 0, O_SCRIPT},
        {"seed", required_argument, 0, O_SEED},
        {"diverge-at", required_argument, 0, O_DIVERGE},
        {"rcvbuf", required_argument, 0, O_RCVBUF},
        {"sndbuf", required_argument, 0, O_SNDBUF},
        {"mss", required_argument, 0, O_MSS},
        {"nodelay", no_argument, 0, O_NODELAY},
        {"keepalive", required_argument, 0, O_KEEPALIVE},
        {"linger0", no_argument, 0, O_LINGER0},
        {"window-clamp", required_argument, 0, O_CLAMP},
        {"quickack", no_argument, 0, O_QUICKACK},
        {"cc", required_argument, 0, O_CC},
        {"once", no_argument, 0, O_ONCE},
        {"count", required_argument, 0, O_COUNT},
        {"ready-file", required_argument, 0, O_READY},
        {"repeat", required_argument, 0, O_REPEAT},
        {"connect-timeout", required_argument, 0, O_CTIMEOUT},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"no-verify", no_argument, 0, O_NOVERIFY},
        {"expect-refused", no_argument, 0, O_EXPREF},
        {"dir", required_argument, 0, O_DIR},
        {"offset", required_argument, 0, O_OFFSET},
        {"length", required_argument, 0, O_LENGTH},
        {"hex", no_argument, 0, O_HEX},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->diverge_at = NO_DIVERGE;
    o->repeat = 1;
    o->timeout = 30;
    o->gen_dir = -1;
    int have_len = 0, have_off = 0;

    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        exit(EXIT_OK);
    }
    if (argc < 2)
        die(EXIT_USAGE, "missing mode: server, client or gen (see --help)");
    if (!strcmp(argv[1], "server"))
        o->mode = MODE_SERVER;
    else if (!strcmp(argv[1], "client"))
        o->mode = MODE_CLIENT;
    else if (!strcmp(argv[1], "gen"))
        o->mode = MODE_GEN;
    else
        die(EXIT_USAGE, "unknown mode '%s': want server, client or gen (see --help)", argv[1]);
    g_role = argv[1];

    optind = 2;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":vh", lo, NULL)) != -1) {
        uint64_t u;
        switch (c) {
        case O_LISTEN: o->listen = optarg; break;
        case O_CONNECT: o->connect = optarg; break;
        case O_BIND: o->bind = optarg; break;
        case O_SCRIPT: o->script = optarg; break;
        case O_SEED:
            if (parse_u64(optarg, &o->seed))
                bad_opt("--seed", optarg);
            break;
        case O_DIVERGE:
            if (parse_u64(optarg, &o->diverge_at) || o->diverge_at == NO_DIVERGE)
                bad_opt("--diverge-at", optarg);
            break;
        case O_RCVBUF:
            if (parse_int(optarg, &o->rcvbuf) || !o->rcvbuf)
                bad_opt("--rcvbuf", optarg);
            break;
        case O_SNDBUF:
            if (parse_int(optarg, &o->sndbuf) || !o->sndbuf)
                bad_opt("--sndbuf", optarg);
            break;
        case O_MSS:
            if (parse_int(optarg, &o->mss) || !o->mss)
                bad_opt("--mss", optarg);
            break;
        case O_CLAMP:
            if (parse_int(optarg, &o->window_clamp) || !o->window_clamp)
                bad_opt("--window-clamp", optarg);
            break;
        case O_NODELAY: o->nodelay = 1; break;
        case O_LINGER0: o->linger0 = 1; break;
        case O_QUICKACK: o->quickack = 1; break;
        case O_CC:
            if (!*optarg || strlen(optarg) >= 16)
                bad_opt("--cc", optarg);
            o->cc = optarg;
            break;
        case O_KEEPALIVE: {
            char buf[64], *p1, *p2;
            snprintf(buf, sizeof buf, "%s", optarg);
            p1 = strchr(buf, ',');
            p2 = p1 ? strchr(p1 + 1, ',') : NULL;
            if (!p1 || !p2)
                bad_opt("--keepalive", optarg);
            *p1++ = 0;
            *p2++ = 0;
            if (parse_int(buf, &o->ka_idle) || parse_int(p1, &o->ka_intvl) ||
                parse_int(p2, &o->ka_cnt) || !o->ka_idle || !o->ka_intvl || !o->ka_cnt)
                bad_opt("--keepalive", optarg);
            o->keepalive = 1;
            break;
        }
        case O_ONCE: o->once = 1; break;
        case O_COUNT:
            if (parse_int(optarg, &o->count) || !o->count)
                bad_opt("--count", optarg);
            break;
        case O_READY: o->ready_file = optarg; break;
        case O_REPEAT:
            if (parse_int(optarg, &o->repeat) || !o->repeat)
                bad_opt("--repeat", optarg);
            break;
        case O_CTIMEOUT:
            if (parse_double(optarg, &o->connect_timeout))
                bad_opt("--connect-timeout", optarg);
            break;
        case O_TIMEOUT:
            if (parse_double(optarg, &o->timeout))
                bad_opt("--timeout", optarg);
            break;
        case O_NOVERIFY: o->no_verify = 1; break;
        case O_EXPREF: o->expect_refused = 1; break;
        case O_DIR:
            if (!strcmp(optarg, "c2s"))
                o->gen_dir = DIR_C2S;
            else if (!strcmp(optarg, "s2c"))
                o->gen_dir = DIR_S2C;
            else
                bad_opt("--dir", optarg);
            break;
        case O_OFFSET:
            if (parse_u64(optarg, &o->gen_offset))
                bad_opt("--offset", optarg);
            have_off = 1;
            break;
        case O_LENGTH:
            if (parse_u64(optarg, &u))
                bad_opt("--length", optarg);
            o->gen_length = u;
            have_len = 1;
            break;
        case O_HEX: o->gen_hex = 1; break;
        case 'v': g_verbose = 1; break;
        case 'h':
            usage(stdout);
            exit(EXIT_OK);
        case ':': die(EXIT_USAGE, "option %s needs a value", argv[optind - 1]);
        default: die(EXIT_USAGE, "unknown option '%s' (see --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        die(EXIT_USAGE, "unexpected argument '%s'", argv[optind]);

    switch (o->mode) {
    case MODE_SERVER:
        if (!o->listen)
            die(EXIT_USAGE, "server needs --listen ADDR:PORT");
        if (o->connect || o->bind || o->repeat != 1 || o->expect_refused)
            die(EXIT_USAGE, "--connect/--bind/--repeat/--expect-refused are client options");
        if (o->once && o->count)
            die(EXIT_USAGE, "--once and --count are exclusive");
        break;
    case MODE_CLIENT:
        if (!o->connect)
            die(EXIT_USAGE, "client needs --connect ADDR:PORT");
        if (o->listen || o->once || o->count || o->ready_file)
            die(EXIT_USAGE, "--listen/--once/--count/--ready-file are server options");
        break;
    case MODE_GEN:
        if (o->gen_dir < 0 || !have_off || !have_len)
            die(EXIT_USAGE, "gen needs --dir, --offset and --length");
        break;
    default: break;
    }
    if (o->mode != MODE_GEN && !o->script && !o->expect_refused)
        die(EXIT_USAGE, "missing --script");
}

static int run_gen(const struct opts *o)
{
    struct stream s;
    memset(&s, 0, sizeof s);
    s.seed = o->seed;
    s.dir = o->gen_dir;
    s.diverge_at = o->diverge_at;
    static uint8_t buf[IOBUF];
    uint64_t off = o->gen_offset, left = o->gen_length;
    while (left) {
        size_t k = left < IOBUF ? (size_t)left : IOBUF;
        stream_fill(&s, off, buf, k);
        if (o->gen_hex) {
            for (size_t i = 0; i < k; i++)
                printf("%02x", buf[i]);
        } else if (fwrite(buf, 1, k, stdout) != k) {
            die(EXIT_SYS, "write: %s", strerror(errno));
        }
        off += k;
        left -= k;
    }
    if (o->gen_hex)
        printf("\n");
    if (fflush(stdout) != 0)
        die(EXIT_SYS, "write: %s", strerror(errno));
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    clock_gettime(CLOCK_MONOTONIC, &g_t0);
    struct opts o;
    parse_args(argc, argv, &o);
    if (o.mode == MODE_GEN)
        return run_gen(&o);

    size_t nsteps = 0;
    struct step *steps = NULL;
    static const char refused_script[] = "close";
    steps = parse_script(o.script ? o.script : refused_script, &nsteps);

    signal(SIGPIPE, SIG_IGN);
    arm_timeout(o.timeout);
    int rc = o.mode == MODE_SERVER ? run_server(&o, steps, nsteps) : run_client(&o, steps, nsteps);
    free(steps);
    return rc;
}

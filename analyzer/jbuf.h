/*
 * A growable output buffer and the JSON tokens the streaming report writer
 * needs, each written exactly as jansson 2.14 dumps the same value with
 * JSON_COMPACT | JSON_REAL_PRECISION(10): integers as "%lld", reals as
 * "%.10g" with ".0" appended to integral values and the exponent's '+' and
 * leading zeros removed, strings escaped as jansson escapes them (", \ and
 * control characters; UTF-8 passed through).
 *
 * The report writes thousands of connections; building a jansson tree for
 * each and dumping it token by token through fwrite() cost more than the
 * whole analysis. tests/integration/report_identity.py (json) holds the two
 * writers byte for byte to each other.
 */
#ifndef TCPREF_ANALYZER_JBUF_H
#define TCPREF_ANALYZER_JBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tr_jbuf {
    char *p;
    size_t len, cap;
    bool oom;      /* an allocation failed: the content is incomplete */
};

/* Makes room for n more bytes; false (and oom set) when out of memory. */
bool tr_jbuf_grow(struct tr_jbuf *b, size_t n);
void tr_jbuf_free(struct tr_jbuf *b);
/* Writes the content to out and empties the buffer; -1 on a write error. */
int tr_jbuf_flush(struct tr_jbuf *b, FILE *out);

static inline __attribute__((always_inline)) bool tr_jbuf_room(struct tr_jbuf *b, size_t n)
{
    return b->cap - b->len >= n || tr_jbuf_grow(b, n);
}

/* Always inlined: the literals' lengths are constants, so each copy is a
 * few moves (GCC once kept an out-of-line copy that called memcpy for every
 * key of an endpoint: 2 % of a flow-heavy run). */
static inline __attribute__((always_inline)) void tr_jbuf_put(struct tr_jbuf *b, const char *s, size_t n)
{
    if (!tr_jbuf_room(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/* A string literal (keys, separators, null, true, false). */
#define TR_JB(b, lit) tr_jbuf_put((b), "" lit, sizeof(lit) - 1)

/*
 * Writing at a cursor: room is made once for a run of tokens whose length
 * has a known bound (tr_jbuf_reserve), the tokens are written at the
 * cursor w with no check between them, and the length is set once at the
 * end (tr_jbuf_commit, which stops the program if the run overran its
 * bound). Writing token by token through the buffer made the compiler
 * reload and store its length around every token (a character store may
 * alias it): a tenth of a flow-heavy run went to the report.
 */
#define TR_JW_NUM_MAX 32 /* most bytes a number writes (tr_jw_u64, _i64, _real, _seconds) */

/* Where to write n bytes at most; NULL (and oom set) when out of memory. */
static inline __attribute__((always_inline)) char *tr_jbuf_reserve(struct tr_jbuf *b, size_t n)
{
    return tr_jbuf_room(b, n) ? b->p + b->len : NULL;
}

/* Ends a run begun at start with room for n bytes: the content now ends at w. */
static inline void tr_jbuf_commit(struct tr_jbuf *b, char *w, const char *start, size_t n)
{
    if ((size_t)(w - start) > n)
        abort(); /* a bound in the code is wrong: memory past the buffer was written */
    b->len = (size_t)(w - b->p);
}

static inline __attribute__((always_inline)) char *tr_jw_put(char *w, const char *s, size_t n)
{
    memcpy(w, s, n);
    return w + n;
}
#define TR_JW(w, lit) ((w) = tr_jw_put((w), "" lit, sizeof(lit) - 1))
static inline char *tr_jw_bool(char *w, bool v) { return v ? tr_jw_put(w, "true", 4) : tr_jw_put(w, "false", 5); }
char *tr_jw_u64(char *w, uint64_t v);
char *tr_jw_i64(char *w, int64_t v);
char *tr_jw_real(char *w, double v);
char *tr_jw_seconds(char *w, int64_t ns);
/* A string of the program's own tables (state, event, role names) or an
 * address as inet_ntop writes it, quoted: TR_JW_NAME_MAX characters at
 * most (an IPv6 address in text takes up to 45), none that JSON escapes
 * (the unit tests check every such table and the longest addresses). */
#define TR_JW_NAME_MAX 48
char *tr_jw_name(char *w, const char *s);

void tr_jbuf_u64(struct tr_jbuf *b, uint64_t v);
void tr_jbuf_i64(struct tr_jbuf *b, int64_t v);
static inline void tr_jbuf_bool(struct tr_jbuf *b, bool v)
{
    if (v)
        TR_JB(b, "true");
    else
        TR_JB(b, "false");
}
/* json_real(v) as jansson dumps it at precision 10. */
void tr_jbuf_real(struct tr_jbuf *b, double v);
/* json_real((double)ns / 1e9): the same digits, without printf in the common
 * case (|ns| < 10^15 and not a rounding tie). */
void tr_jbuf_seconds(struct tr_jbuf *b, int64_t ns);
/* A quoted, escaped string. Returns false and writes nothing when s is not
 * valid UTF-8: jansson's json_string() refuses it, and the key it was meant
 * for is then left out of the object. */
bool tr_jbuf_str(struct tr_jbuf *b, const char *s);

#endif

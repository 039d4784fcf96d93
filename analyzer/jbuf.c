/* JSON tokens into a growable buffer, byte-identical to jansson's dump
 * (analyzer/jbuf.h). */
#include "analyzer/jbuf.h"

#include <stdlib.h>

bool tr_jbuf_grow(struct tr_jbuf *b, size_t n)
{
    if (b->oom)
        return false;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

void tr_jbuf_free(struct tr_jbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int tr_jbuf_flush(struct tr_jbuf *b, FILE *out)
{
    int r = b->oom ? -1 : 0;
    if (b->len && fwrite(b->p, 1, b->len, out) != b->len)
        r = -1;
    b->len = 0;
    return r;
}

/* Decimal digits of v, written backwards ending at end; returns the start. */
static char *tr__digits(char *end, uint64_t v)
{
    static const char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                "8081828384858687888990919293949596979899";
    char *p = end;
    while (v >= 100) {
        unsigned k = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = pairs[k + 1];
        *--p = pairs[k];
    }
    if (v >= 10) {
        *--p = pairs[v * 2 + 1];
        *--p = pairs[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    return p;
}

static unsigned tr__ndigits(uint64_t v)
{
    unsigned n = 1;
    for (; v >= 10000; v /= 10000)
        n += 4;
    return n + (v >= 10) + (v >= 100) + (v >= 1000);
}

char *tr_jw_u64(char *w, uint64_t v)
{
    unsigned n = tr__ndigits(v);
    tr__digits(w + n, v);
    return w + n;
}

char *tr_jw_i64(char *w, int64_t v)
{
    if (v < 0)
        *w++ = '-';
    return tr_jw_u64(w, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

void tr_jbuf_u64(struct tr_jbuf *b, uint64_t v)
{
    char *w = tr_jbuf_reserve(b, TR_JW_NUM_MAX);
    if (w)
        tr_jbuf_commit(b, tr_jw_u64(w, v), w, TR_JW_NUM_MAX);
}

void tr_jbuf_i64(struct tr_jbuf *b, int64_t v)
{
    char *w = tr_jbuf_reserve(b, TR_JW_NUM_MAX);
    if (w)
        tr_jbuf_commit(b, tr_jw_i64(w, v), w, TR_JW_NUM_MAX);
}

/* jansson's jsonp_dtostr() without dtoa: "%.*g", then ".0" when the text has
 * neither '.' nor 'e', then the exponent's '+' and leading zeros dropped. */
char *tr_jw_real(char *w, double v)
{
    char buf[100];
    int n = snprintf(buf, sizeof buf, "%.10g", v);
    /* "%.10g" of a double: at most 17 characters ("-1.234567891e-300") */
    if (n < 0 || (size_t)n + 3 > TR_JW_NUM_MAX)
        return w;
    size_t len = (size_t)n;
    if (!strchr(buf, '.') && !strchr(buf, 'e')) {
        memcpy(buf + len, ".0", 3);
        len += 2;
    }
    char *start = strchr(buf, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, len - (size_t)(end - buf) + 1);
            len -= (size_t)(end - start);
        }
    }
    memcpy(w, buf, len);
    return w + len;
}

void tr_jbuf_real(struct tr_jbuf *b, double v)
{
    char *w = tr_jbuf_reserve(b, TR_JW_NUM_MAX);
    if (w)
        tr_jbuf_commit(b, tr_jw_real(w, v), w, TR_JW_NUM_MAX);
}

static const uint64_t tr__pow10[] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull, 100000000ull,
    1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull};

/*
 * (double)ns / 1e9 as "%.10g" prints it. The decimal value ns * 10^-9 is
 * exact; the double differs from it by at most 2^-53 relative, less than one
 * unit of the last nanosecond digit while |ns| < 10^15, so rounding the
 * exact decimal to 10 significant digits gives printf's digits, except at an
 * exact tie (digits after the tenth "50...0"), where the double's side of the
 * tie decides: those, and larger values, go through printf.
 */
char *tr_jw_seconds(char *w, int64_t ns)
{
    if (ns == 0)
        return tr_jw_put(w, "0.0", 3);
    uint64_t a = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    if (a >= tr__pow10[15])
        return tr_jw_real(w, (double)ns / 1e9);
    int nd = 1;
    while (nd < 16 && a >= tr__pow10[nd])
        nd++;
    uint64_t q = a;
    if (nd > 10) {
        uint64_t div = tr__pow10[nd - 10], r = a % div, half = div / 2;
        q = a / div;
        if (r == half)
            return tr_jw_real(w, (double)ns / 1e9);
        if (r > half && ++q == tr__pow10[10]) {
            q = tr__pow10[9];
            nd++;
        }
    }
    /* Significant digits of q without trailing zeros; x is the decimal
     * exponent of the first digit (value = d.ddd * 10^x). */
    int x = nd - 10;
    char dig[24], *de = dig + sizeof dig;
    char *ds = tr__digits(de, q);
    while (de - ds > 1 && de[-1] == '0')
        de--;
    int nsig = (int)(de - ds);
    /* at most 17 characters: "-0.000" and 10 digits, or "-d.ddddddddde-10" */
    char *p = w;
    if (ns < 0)
        *p++ = '-';
    if (x < -4) {
        *p++ = ds[0];
        if (nsig > 1) {
            *p++ = '.';
            memcpy(p, ds + 1, (size_t)nsig - 1);
            p += nsig - 1;
        }
        *p++ = 'e';
        *p++ = '-';
        char e[8], *ee = e + sizeof e, *es = tr__digits(ee, (uint64_t)-x);
        memcpy(p, es, (size_t)(ee - es));
        p += ee - es;
    } else if (x < 0) {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -x - 1; i++)
            *p++ = '0';
        memcpy(p, ds, (size_t)nsig);
        p += nsig;
    } else {
        int intd = x + 1; /* digits before the point */
        for (int i = 0; i < intd; i++)
            *p++ = i < nsig ? ds[i] : '0';
        *p++ = '.';
        if (nsig > intd) {
            memcpy(p, ds + intd, (size_t)(nsig - intd));
            p += nsig - intd;
        } else {
            *p++ = '0';
        }
    }
    return p;
}

void tr_jbuf_seconds(struct tr_jbuf *b, int64_t ns)
{
    char *w = tr_jbuf_reserve(b, TR_JW_NUM_MAX);
    if (w)
        tr_jbuf_commit(b, tr_jw_seconds(w, ns), w, TR_JW_NUM_MAX);
}

/* jansson's utf8_check_first / utf8_check_full: the length of the sequence
 * at s, or 0 when it is not valid UTF-8. */
static size_t tr__utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    uint32_t v;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        n = 2, v = c & 0x1F;
    else if (c < 0xF0)
        n = 3, v = c & 0x0F;
    else if (c < 0xF5)
        n = 4, v = c & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000))
        return 0;
    return n;
}

bool tr_jbuf_str(struct tr_jbuf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s);
    /* at most 6 bytes out per byte in, and the quotes */
    if (!tr_jbuf_room(b, len * 6 + 2))
        return false;
    size_t start = b->len;
    char *p = b->p + b->len;
    *p++ = '"';
    for (size_t i = 0; i < len;) {
        unsigned c = u[i];
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            *p++ = (char)c;
            i++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = tr__utf8_len(u + i);
            if (!n || i + n > len) {
                b->len = start;
                return false;
            }
            memcpy(p, u + i, n);
            p += n;
            i += n;
            continue;
        }
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default: {
            static const char hex[] = "0123456789ABCDEF";
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
        }
        i++;
    }
    *p++ = '"';
    b->len = (size_t)(p - b->p);
    return true;
}

char *tr_jw_name(char *w, const char *s)
{
    size_t n = strnlen(s, TR_JW_NAME_MAX);
    *w++ = '"';
    memcpy(w, s, n);
    w += n;
    *w++ = '"';
    return w;
}

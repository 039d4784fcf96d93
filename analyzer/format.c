#include "analyzer/format.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "stack/segment.h"
#include "stack/state.h"

void tr_format_duration(int64_t ns, char *buf, size_t n)
{
    int64_t a = ns < 0 ? -ns : ns;
    if (a >= 1000000000)
        snprintf(buf, n, "%.3f s", (double)ns / 1e9);
    else if (a >= 1000000)
        snprintf(buf, n, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, n, "%.0f us", (double)ns / 1e3);
}

void tr_format_addr(int ipver, const uint8_t *addr, char *buf, size_t n)
{
    /* IPv4 by hand, as inet_ntop writes it (glibc's goes through sprintf:
     * two calls per connection of the report) */
    if (ipver != 6 && n >= 16) {
        char *p = buf;
        for (int i = 0; i < 4; i++) {
            unsigned v = addr[i];
            if (v >= 100)
                *p++ = (char)('0' + v / 100);
            if (v >= 10)
                *p++ = (char)('0' + v / 10 % 10);
            *p++ = (char)('0' + v % 10);
            *p++ = i < 3 ? '.' : '\0';
        }
        return;
    }
    if (!inet_ntop(ipver == 6 ? AF_INET6 : AF_INET, addr, buf, (socklen_t)n))
        snprintf(buf, n, "?");
}

static const char *tr__opterr_name(int64_t e)
{
    switch (e) {
    case TR_OPTERR_LEN_ZERO_ONE: return "option length 0 or 1";
    case TR_OPTERR_OVERRUN: return "option runs past the header";
    case TR_OPTERR_BAD_LEN: return "wrong length for the option kind";
    case TR_OPTERR_NO_LEN: return "option kind without a length byte";
    default: return "malformed option";
    }
}

static size_t tr__put(char *buf, size_t n, size_t at, const char *s)
{
    size_t len = strlen(s);
    if (at < n) {
        size_t k = len < n - at - 1 ? len : n - at - 1;
        memcpy(buf + at, s, k);
        buf[at + k] = 0;
    }
    return at + len;
}

static void tr__arg(char kind, int64_t v, char *tmp, size_t n)
{
    switch (kind) {
    case 't': tr_format_duration(v, tmp, n); break;
    case 'p': snprintf(tmp, n, "%lld.%02lld%%", (long long)(v / 100), (long long)(v % 100)); break;
    case 'o': snprintf(tmp, n, "%s", tr__opterr_name(v)); break;
    case 's': snprintf(tmp, n, "%s", tr_state_name((enum tr_state)v)); break;
    case 'k': snprintf(tmp, n, "%s", v == 1 ? "IP ID" : "TSval"); break;
    case 'v':
        snprintf(tmp, n, "%s", v == TR_VERDICT_OK ? "within the bounds" : v == TR_VERDICT_VIOLATION ? "a violation"
                               : v == TR_VERDICT_UNKNOWN ? "unknown from this capture" : "skipped by the profile");
        break;
    default: snprintf(tmp, n, "%lld", (long long)v); break;
    }
}

void tr_format_template(const char *tmpl, const int64_t args[TR_FINDING_ARGS], char *buf, size_t n)
{
    size_t at = 0;
    if (n)
        buf[0] = 0;
    for (const char *p = tmpl; *p; p++) {
        if (p[0] == '{' && p[1] >= '0' && p[1] <= '5') {
            const char *close = strchr(p, '}');
            if (close && close - p <= 3) {
                char tmp[64];
                tr__arg(close - p == 3 ? p[2] : 0, args[p[1] - '0'], tmp, sizeof tmp);
                at = tr__put(buf, n, at, tmp);
                p = close;
                continue;
            }
        }
        char c[2] = {*p, 0};
        at = tr__put(buf, n, at, c);
    }
}

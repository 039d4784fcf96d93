#include "replay/compare.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "replay/stream.h"
#include "stack/state.h"

static const char *const tr__side[2] = {"client", "server"};

const char *tr_rverdict_name(enum tr_rverdict v)
{
    static const char *const n[] = {"MATCH", "EQUIVALENT", "DIVERGED", "INCONCLUSIVE"};
    return (unsigned)v < 4 ? n[v] : "?";
}

const char *tr_out_end_name(enum tr_out_end e)
{
    static const char *const n[] = {"open", "fin", "half-close", "reset", "refused", "no-answer"};
    return (unsigned)e < sizeof n / sizeof n[0] ? n[e] : "?";
}

bool tr_within(int64_t expected, int64_t measured, int64_t abs_ns, unsigned pct)
{
    int64_t d = measured - expected;
    if (d < 0)
        d = -d;
    int64_t e = expected < 0 ? -expected : expected;
    return d <= abs_ns + e / 100 * (int64_t)pct;
}

void tr_excerpt(const uint8_t *data, uint64_t len, uint64_t off, char *buf, size_t n)
{
    if (off >= len) {
        snprintf(buf, n, "end of stream (%" PRIu64 " bytes)", len);
        return;
    }
    size_t k = 0;
    if (n < 8) {
        buf[0] = 0;
        return;
    }
    buf[k++] = '"';
    for (uint64_t i = off; i < len && i < off + 24 && k + 6 < n; i++) {
        uint8_t ch = data[i];
        if (ch == '\n' || ch == '\r' || ch == '\t' || ch == '"' || ch == '\\') {
            buf[k++] = '\\';
            buf[k++] = ch == '\n' ? 'n' : ch == '\r' ? 'r' : ch == '\t' ? 't' : (char)ch;
        } else if (ch >= 0x20 && ch < 0x7f) {
            buf[k++] = (char)ch;
        } else {
            k += (size_t)snprintf(buf + k, n - k, "\\x%02x", ch);
        }
    }
    buf[k++] = '"';
    buf[k] = 0;
}

void tr_compare_bytes(const struct tr_out_dir *rec, const struct tr_out_dir *rep,
                      struct tr_cmp_bytes *out)
{
    memset(out, 0, sizeof *out);
    out->lengths_only = !rec->captured;
    out->hash_rec = tr_fnv64(TR_FNV64_INIT, rec->data, (size_t)rec->len);
    out->hash_rep = tr_fnv64(TR_FNV64_INIT, rep->data, (size_t)rep->len);
    uint64_t n = rec->len < rep->len ? rec->len : rep->len;
    uint64_t i = 0;
    if (!out->lengths_only)
        while (i < n && rec->data[i] == rep->data[i])
            i++;
    else
        i = n;
    out->equal = i == n && rec->len == rep->len;
    out->first_diff = out->equal ? 0 : i;
}

static void tr__note(struct tr_cmp *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr__note(struct tr_cmp *c, const char *fmt, ...)
{
    if (c->nnotes >= TR_CMP_MAX_NOTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->notes[c->nnotes++], sizeof c->notes[0], fmt, ap);
    va_end(ap);
}

static void tr__end_text(const struct tr_outcome *o, char *buf, size_t n)
{
    if (o->end_by >= 0 && o->end != TR_OUT_OPEN && o->end != TR_OUT_NO_ANSWER)
        snprintf(buf, n, "%s (%s %s)", tr_out_end_name(o->end), o->end == TR_OUT_FIN ||
                 o->end == TR_OUT_HALF ? "first FIN by" : "by", tr__side[o->end_by & 1]);
    else
        snprintf(buf, n, "%s", tr_out_end_name(o->end));
}

static void tr__diverge_bytes(struct tr_cmp *c, int d, const struct tr_out_dir *rec,
                              const struct tr_out_dir *rep)
{
    c->div.kind = TR_DIV_BYTES;
    c->div.dir = d;
    c->div.offset = c->bytes[d].first_diff;
    if (c->bytes[d].lengths_only) {
        snprintf(c->div.expected, sizeof c->div.expected, "%" PRIu64 " bytes", rec->len);
        snprintf(c->div.observed, sizeof c->div.observed, "%" PRIu64 " bytes", rep->len);
        return;
    }
    tr_excerpt(rec->data, rec->len, c->div.offset, c->div.expected, sizeof c->div.expected);
    tr_excerpt(rep->data, rep->len, c->div.offset, c->div.observed, sizeof c->div.observed);
}

/* DIVERGED: the handshake, the bytes (the peer's direction first: that is
 * where a different peer shows), then the end. */
static void tr__divergence(struct tr_cmp *c, const struct tr_outcome *rec,
                           const struct tr_outcome *rep, int played)
{
    if (rec->established && !rep->established) {
        c->div.kind = TR_DIV_HANDSHAKE;
        snprintf(c->div.expected, sizeof c->div.expected, "an established connection");
        tr__end_text(rep, c->div.observed, sizeof c->div.observed);
        return;
    }
    int order[2] = {1 - played, played};
    for (int k = 0; k < 2; k++) {
        int d = order[k];
        if (!c->bytes[d].equal) {
            tr__diverge_bytes(c, d, &rec->dir[d], &rep->dir[d]);
            return;
        }
    }
    if (!c->end_equal) {
        c->div.kind = TR_DIV_END;
        tr__end_text(rec, c->div.expected, sizeof c->div.expected);
        tr__end_text(rep, c->div.observed, sizeof c->div.observed);
    }
}

static bool tr__opts_equal(const struct tr_out_opts *a, const struct tr_out_opts *b)
{
    return a->has_mss == b->has_mss && (!a->has_mss || a->mss == b->mss) &&
           a->has_ws == b->has_ws && (!a->has_ws || a->ws == b->ws) &&
           a->sack_perm == b->sack_perm && a->has_ts == b->has_ts;
}

static bool tr__states_equal(const struct tr_outcome *a, const struct tr_outcome *b, int ep)
{
    return a->nstates[ep] == b->nstates[ep] &&
           !memcmp(a->states[ep], b->states[ep], a->nstates[ep]);
}

static bool tr__count_ok(uint64_t expected, uint64_t measured, unsigned pct)
{
    uint64_t d = expected > measured ? expected - measured : measured - expected;
    uint64_t tol = expected * pct / 100;
    return d <= (tol > 1 ? tol : 1);
}

static void tr__structure(struct tr_cmp *c, const struct tr_outcome *rec,
                          const struct tr_outcome *rep, const struct tr_tolerance *tol)
{
    c->opts_equal = tr__opts_equal(&rec->opts[0], &rep->opts[0]) &&
                    tr__opts_equal(&rec->opts[1], &rep->opts[1]);
    if (!c->opts_equal)
        tr__note(c, "negotiated options differ");
    for (int d = 0; d < 2; d++) {
        c->states_equal[d] = tr__states_equal(rec, rep, d);
        if (!c->states_equal[d])
            tr__note(c, "the %s went through other states", tr__side[d]);
        const struct tr_out_dir *a = &rec->dir[d], *b = &rep->dir[d];
        c->segs_ok[d] = tr__count_ok(a->data_segs, b->data_segs, tol->pct);
        if (!c->segs_ok[d])
            tr__note(c, "%s data segments: %" PRIu64 " recorded, %" PRIu64 " replayed",
                     tr__side[d], a->data_segs, b->data_segs);
        c->retx_equal[d] = a->retx_segs == b->retx_segs && a->timeouts == b->timeouts;
        if (!c->retx_equal[d])
            tr__note(c, "%s retransmissions: %" PRIu64 " (%" PRIu64 " timeouts) recorded, %" PRIu64
                     " (%" PRIu64 " timeouts) replayed", tr__side[d], a->retx_segs, a->timeouts,
                     b->retx_segs, b->timeouts);
    }
}

static void tr__timing(struct tr_cmp *c, const struct tr_outcome *rec,
                       const struct tr_outcome *rep, const struct tr_tolerance *tol,
                       int64_t side_rtt_ns)
{
    size_t n = rec->nex < rep->nex ? rec->nex : rep->nex;
    for (size_t k = 0; k < n; k++) {
        const struct tr_exchange *a = &rec->ex[k], *b = &rep->ex[k];
        if (a->think_ns >= 0 && b->think_ns >= 0 &&
            !tr_within((int64_t)((double)a->think_ns * tol->scale), b->think_ns, tol->abs_ns,
                       tol->pct))
            c->think_out++;
        if (a->response_ns >= 0 && b->response_ns >= 0 &&
            !tr_within(a->response_ns + side_rtt_ns, b->response_ns, tol->abs_ns, tol->pct))
            c->response_out++;
        if ((a->response_ns >= 0) != (b->response_ns >= 0))
            c->response_out++;
    }
    if (c->think_out)
        tr__note(c, "%u think times out of tolerance", c->think_out);
    if (c->response_out)
        tr__note(c, "%u response times out of tolerance", c->response_out);
}

static int64_t tr__abs64(int64_t v) { return v < 0 ? -v : v; }

/* Both sides closed (FIN, or RST) in the recording, within the absolute
 * timing tolerance of each other: neither waited for the other, and which
 * came first is a matter of timing (a client that closes once it has read
 * the Content-Length bytes, a server that closes after writing them). */
static bool tr__close_race(const struct tr_outcome *rec, const struct tr_tolerance *tol)
{
    return rec->close_ts[0] > 0 && rec->close_ts[1] > 0 &&
           tr__abs64(rec->close_ts[0] - rec->close_ts[1]) <= tol->abs_ns;
}

void tr_compare(const struct tr_outcome *rec, const struct tr_outcome *rep, int played,
                const struct tr_tolerance *tol, int64_t side_rtt_ns, struct tr_cmp *out)
{
    memset(out, 0, sizeof *out);
    for (int d = 0; d < 2; d++)
        tr_compare_bytes(&rec->dir[d], &rep->dir[d], &out->bytes[d]);
    out->end_equal = rec->end == rep->end && rec->end_by == rep->end_by;
    bool order_only = !out->end_equal && rec->end == rep->end && tr__close_race(rec, tol);
    if (order_only)
        out->end_equal = true;
    tr__divergence(out, rec, rep, played);
    if (order_only)
        tr__note(out, "the %s closed first (the %s in the recording, whose closes were %.1f ms "
                 "apart: within the timing tolerance)", tr__side[rep->end_by & 1],
                 tr__side[rec->end_by & 1],
                 (double)tr__abs64(rec->close_ts[0] - rec->close_ts[1]) / 1e6);
    tr__structure(out, rec, rep, tol);
    tr__timing(out, rec, rep, tol, side_rtt_ns);
    if (out->div.kind != TR_DIV_NONE)
        out->verdict = TR_RV_DIVERGED;
    else
        out->verdict = out->nnotes ? TR_RV_EQUIVALENT : TR_RV_MATCH;
}

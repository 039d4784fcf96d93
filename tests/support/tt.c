#include "tt.h"

#include <stdlib.h>
#include <string.h>

#include "stack/profile.h"

struct tr_seg tt_seg(uint64_t frame, double t, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                     uint32_t len, uint16_t win)
{
    struct tr_seg s;
    memset(&s, 0, sizeof s);
    static const uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    s.frame = frame;
    s.ts_ns = (int64_t)(t * 1e9 + 0.5);
    s.ipver = 4;
    memcpy(dir == TT_C2S ? s.src : s.dst, a, 4);
    memcpy(dir == TT_C2S ? s.dst : s.src, b, 4);
    s.sport = dir == TT_C2S ? 40000 : 80;
    s.dport = dir == TT_C2S ? 80 : 40000;
    s.flags = flags;
    s.seq = seq;
    s.ack = ack;
    s.len = len;
    s.win = win;
    s.tcp_hlen = 20;
    s.wire_len = 40 + len;
    s.ttl = 64;
    return s;
}

void tt_syn_opts(struct tr_seg *s, uint16_t mss, int wscale, int sack, int ts)
{
    s->opt.has_mss = mss != 0;
    s->opt.mss = mss;
    s->opt.has_wscale = wscale >= 0;
    s->opt.wscale = wscale >= 0 ? (uint8_t)wscale : 0;
    s->opt.sack_perm = sack != 0;
    s->opt.has_ts = ts != 0;
    s->tcp_hlen = 40;
}

void tt_ts(struct tr_seg *s, uint32_t tsval, uint32_t tsecr)
{
    s->opt.has_ts = true;
    s->opt.tsval = tsval;
    s->opt.tsecr = tsecr;
    if (s->tcp_hlen < 32)
        s->tcp_hlen = 32;
}

struct tr_obs *tt_obs(const char *profile)
{
    struct tr_obs_config cfg = {.profile = tr_profile_builtin(profile), .vlan_in_key = true};
    struct tr_obs *o = NULL;
    assert_int_equal(tr_obs_new(&o, &cfg, 0), 0);
    return o;
}

void tt_feed(struct tr_obs *o, struct tr_seg s) { tr_obs_segment(o, &s); }

static void tt_each(const struct tr_obs *o, enum tr_rule r, unsigned *n, const struct tr_finding **first)
{
    *n = 0;
    *first = NULL;
    for (uint32_t i = 0; i < tr_obs_conn_count(o); i++) {
        const struct tr_conn *c = tr_obs_conn(o, i);
        for (const struct tr_finding *f = tr_obs_next_finding(o, c, NULL); f; f = tr_obs_next_finding(o, c, f)) {
            if (f->rule != r)
                continue;
            *n += 1 + f->repeat;
            if (!*first)
                *first = f;
        }
    }
}

unsigned tt_count(const struct tr_obs *o, enum tr_rule r)
{
    unsigned n;
    const struct tr_finding *f;
    tt_each(o, r, &n, &f);
    return n;
}

const struct tr_finding *tt_finding(const struct tr_obs *o, enum tr_rule r)
{
    unsigned n;
    const struct tr_finding *f;
    tt_each(o, r, &n, &f);
    return f;
}

uint64_t tt_frame(const struct tr_obs *o, enum tr_rule r)
{
    const struct tr_finding *f = tt_finding(o, r);
    return f ? f->frame : 0;
}

unsigned tt_serious(const struct tr_obs *o)
{
    unsigned n = 0;
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)r);
        if (ri->cls == TR_CLASS_PROTOCOL && ri->severity >= TR_SEV_WARNING)
            n += tt_count(o, (enum tr_rule)r);
    }
    return n;
}

uint64_t tt_handshake_with(struct tr_obs *o, double t0, uint16_t client_mss, uint16_t ack_win)
{
    struct tr_seg syn = tt_seg(1, t0, TT_C2S, TR_SYN, 1000, 0, 0, 64240);
    tt_syn_opts(&syn, client_mss, 7, 1, 0);
    struct tr_seg synack = tt_seg(2, t0 + 0.010, TT_S2C, TR_SYN | TR_ACK, 5000, 1001, 0, 65160);
    tt_syn_opts(&synack, 1460, 7, 1, 0);
    tt_feed(o, syn);
    tt_feed(o, synack);
    tt_feed(o, tt_seg(3, t0 + 0.020, TT_C2S, TR_ACK, 1001, 5001, 0, ack_win));
    return 4;
}

uint64_t tt_handshake(struct tr_obs *o, double t0) { return tt_handshake_with(o, t0, 1460, 502); }

FILE *tt_pcap_open(const char *path, uint32_t magic, uint32_t linktype, uint32_t snaplen)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint32_t h[6] = {magic, 2u | (4u << 16), 0, 0, snaplen, linktype};
    fwrite(h, sizeof h, 1, f);
    return f;
}

void tt_pcap_record(FILE *f, uint32_t sec, uint32_t frac, const void *data, uint32_t caplen,
                    uint32_t origlen)
{
    uint32_t h[4] = {sec, frac, caplen, origlen};
    fwrite(h, sizeof h, 1, f);
    if (caplen)
        fwrite(data, 1, caplen, f);
}

const char *tt_tmp(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    const char *dir = getenv("TT_TMPDIR");
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir ? dir : "/tmp", name);
    return buf[k];
}

#include "stack/rto.h"

static int64_t tr__max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t tr__min64(int64_t a, int64_t b) { return a < b ? a : b; }

#include "stack/seq.h"

static int64_t tr__rto_formula(const struct tr_rtt_est *e, const struct tr_rto_params *p)
{
    int64_t rto;
    if (p->formula == TR_RTO_FORMULA_LINUX)
        rto = e->srtt_ns + e->rttvar_ns; /* RTTVAR already holds the floor */
    else
        rto = tr__max64(p->min_ns, e->srtt_ns + tr__max64(p->g_ns, (int64_t)p->k * e->rttvar_ns));
    return tr__min64(rto, p->max_ns);
}

void tr_rto_init(struct tr_rtt_est *e, const struct tr_rto_params *p)
{
    e->srtt_ns = 0;
    e->rttvar_ns = 0;
    e->nsamples = 0;
    e->backoff = 0;
    e->rto_ns = p->initial_ns;
}

int64_t tr_rto_base(const struct tr_rtt_est *e, const struct tr_rto_params *p)
{
    if (e->nsamples == 0)
        return p->initial_ns;
    return tr__rto_formula(e, p);
}

/* Linux's tcp_rtt_estimator(): see rto.h. */
static void tr__linux_sample(struct tr_rtt_est *e, const struct tr_rto_params *p, int64_t m,
                             uint32_t snd_una, uint32_t snd_nxt)
{
    if (e->nsamples == 0) {
        e->srtt_ns = m;
        e->mdev_ns = 2 * m;
        e->rttvar_ns = tr__max64(e->mdev_ns, p->min_ns);
        e->mdev_max_ns = e->rttvar_ns;
        e->rtt_seq = snd_nxt;
        return;
    }
    int64_t err = m - e->srtt_ns;
    e->srtt_ns += err / 8;
    int64_t d;
    if (err < 0) {
        d = -err - e->mdev_ns / 4;
        if (d > 0)
            d /= 8;
    } else {
        d = err - e->mdev_ns / 4;
    }
    e->mdev_ns += d;
    if (e->mdev_ns > e->mdev_max_ns) {
        e->mdev_max_ns = e->mdev_ns;
        if (e->mdev_max_ns > e->rttvar_ns)
            e->rttvar_ns = e->mdev_max_ns;
    }
    if (tr_seq_gt(snd_una, e->rtt_seq)) {
        if (e->mdev_max_ns < e->rttvar_ns)
            e->rttvar_ns -= (e->rttvar_ns - e->mdev_max_ns) / 4;
        e->rtt_seq = snd_nxt;
        e->mdev_max_ns = p->min_ns;
    }
    if (e->srtt_ns < 1)
        e->srtt_ns = 1;
}

void tr_rto_sample(struct tr_rtt_est *e, const struct tr_rto_params *p, int64_t r_ns,
                   uint32_t snd_una, uint32_t snd_nxt)
{
    if (r_ns < 0)
        r_ns = 0;
    if (p->formula == TR_RTO_FORMULA_LINUX) {
        tr__linux_sample(e, p, r_ns, snd_una, snd_nxt);
    } else if (e->nsamples == 0) {
        e->srtt_ns = r_ns;
        e->rttvar_ns = r_ns / 2;
    } else {
        int64_t err = e->srtt_ns - r_ns;
        if (err < 0)
            err = -err;
        /* beta = 2^-beta_shift, alpha = 2^-alpha_shift; RTTVAR first (§2.3). */
        e->rttvar_ns += (err - e->rttvar_ns) / (1 << p->beta_shift);
        e->srtt_ns += (r_ns - e->srtt_ns) / (1 << p->alpha_shift);
    }
    if (e->nsamples < UINT32_MAX)
        e->nsamples++;
    e->backoff = 0;
    e->rto_ns = tr__rto_formula(e, p);
}

void tr_rto_backoff(struct tr_rtt_est *e, const struct tr_rto_params *p)
{
    if (e->backoff < UINT8_MAX)
        e->backoff++;
    e->rto_ns = e->rto_ns > p->max_ns / 2 ? p->max_ns : e->rto_ns * 2;
}

int64_t tr_rto_unfloored(const struct tr_rtt_est *e, const struct tr_rto_params *p)
{
    if (p->formula == TR_RTO_FORMULA_LINUX || e->nsamples == 0)
        return e->rto_ns;
    int64_t rto = e->srtt_ns + tr__max64(p->g_ns, (int64_t)p->k * e->rttvar_ns);
    for (uint8_t i = 0; i < e->backoff && rto < p->max_ns; i++)
        rto *= 2;
    return tr__min64(rto, p->max_ns);
}

void tr_rto_syn_fallback(struct tr_rtt_est *e, const struct tr_rto_params *p)
{
    if (e->nsamples == 0 && e->rto_ns < p->fallback_ns)
        e->rto_ns = p->fallback_ns;
}

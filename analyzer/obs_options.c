/* Checks of the flags and options every segment carries. */
#include "analyzer/obs_int.h"

static void tr__check_ack_field(struct tr_x *x)
{
    /* RFC 9293 §3.1: "If the ACK control bit is set, this field contains the
     * value of the next sequence number the sender of the segment is
     * expecting to receive." Without ACK it carries nothing: nonzero is odd. */
    if (!(x->s->flags & TR_ACK) && x->s->ack != 0)
        tr__find(x, TR_RULE_ACK_NONZERO_NO_FLAG, x->s->ack, 0, 0, 0);
}

static void tr__check_option_syntax(struct tr_x *x)
{
    const struct tr_opts *o = &x->s->opt;
    if (o->error != TR_OPTERR_NONE && o->error != TR_OPTERR_UNKNOWN)
        tr__find(x, TR_RULE_OPT_MALFORMED, o->error, o->error_offset, 0, 0);
}

/* Options that belong on SYN segments only. */
static void tr__check_syn_only_options(struct tr_x *x)
{
    const struct tr_opts *o = &x->s->opt;
    if (x->s->flags & TR_SYN)
        return;
    /* RFC 9293 §3.2 MUST-65: MSS "MUST only be sent in the initial connection
     * request (i.e., in segments with the SYN control bit set)". */
    if (o->has_mss)
        tr__find(x, TR_RULE_OPT_MSS_NON_SYN, o->mss, 0, 0, 0);
    /* RFC 2018 §2: SACK-Permitted "MUST NOT be sent on non-SYN segments". */
    if (o->sack_perm)
        tr__find(x, TR_RULE_OPT_SACK_PERM_NON_SYN, 0, 0, 0, 0);
}

static void tr__check_negotiated_options(struct tr_x *x)
{
    const struct tr_seg *s = x->s;
    const struct tr_tcb *t = &x->snd->tcb;
    if ((s->flags & (TR_SYN | TR_RST)) || !tr_tcb_has(t, TR_TCB_NEGOTIATED))
        return;
    bool ts_ok = tr_tcb_has(t, TR_TCB_TS_OK);
    /* RFC 7323 §3.2: "Once TSopt has been successfully negotiated ... the
     * TSopt MUST be sent in every non-<RST> segment for the duration of the
     * connection". */
    if (ts_ok && !s->opt.has_ts)
        tr__find(x, TR_RULE_OPT_TS_MISSING, 0, 0, 0, 0);
    if (!ts_ok && s->opt.has_ts)
        tr__find(x, TR_RULE_OPT_TS_UNNEGOTIATED, 0, 0, 0, 0);
    /* RFC 2018 §2: SACK blocks go only to a peer that sent SACK-Permitted. */
    if (s->opt.nsack && x->rcv->syn.known && !x->rcv->syn.sack_perm)
        tr__find(x, TR_RULE_OPT_SACK_UNNEGOTIATED, s->opt.nsack, 0, 0, 0);
}

void tr__check_flags_options(struct tr_x *x)
{
    x->opts_known = x->s->opt.error != TR_OPTERR_UNKNOWN;
    tr__check_ack_field(x);
    if (!x->opts_known) {
        tr__find(x, TR_RULE_CAP_OPTIONS_CUT, x->s->tcp_hlen - 20, 0, 0, 0);
        return;
    }
    tr__check_option_syntax(x);
    tr__check_syn_only_options(x);
    tr__check_negotiated_options(x);
}

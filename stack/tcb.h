/*
 * The Transmission Control Block of one endpoint, with the names RFC 9293
 * §3.3.1 and RFC 7323 give its variables, and the small decisions of
 * §3.10.7.4 ("SEGMENT ARRIVES") that both drivers share: the acceptance test,
 * the classification of an acknowledgment, the send window update, the
 * validity of a RST (RFC 5961 §3) and option negotiation.
 *
 * Nothing here does I/O or reads a clock: the caller passes time in, and the
 * functions return decisions.
 */
#ifndef TCPREF_STACK_TCB_H
#define TCPREF_STACK_TCB_H

#include <stdbool.h>
#include <stdint.h>

#include "stack/rto.h"
#include "stack/segment.h"
#include "stack/seq.h"
#include "stack/state.h"

enum {
    TR_TCB_WS_OK = 1u << 0,        /* RFC 7323 Snd.WS.OK: both SYNs carried Window Scale */
    TR_TCB_SACK_OK = 1u << 1,      /* RFC 2018: both SYNs carried SACK-permitted */
    TR_TCB_TS_OK = 1u << 2,        /* RFC 7323 Snd.TS.OK: both SYNs carried TSopt */
    TR_TCB_PASSIVE = 1u << 3,      /* opened passively (from LISTEN) */
    TR_TCB_ISS_KNOWN = 1u << 4,    /* our SYN was seen */
    TR_TCB_IRS_KNOWN = 1u << 5,    /* the peer's SYN was seen */
    TR_TCB_NEGOTIATED = 1u << 6,   /* WS_OK, SACK_OK and TS_OK are decided */
    TR_TCB_FIN_SENT = 1u << 7,     /* our FIN was sent; fin_seq is its number */
    TR_TCB_FIN_RCVD = 1u << 8,     /* the peer's FIN was received */
    TR_TCB_SYN_TIMEDOUT = 1u << 9, /* our SYN was retransmitted (RFC 6298 §5.7) */
};

struct tr_tcb {
    uint32_t iss, irs;
    uint32_t snd_una, snd_nxt;
    uint32_t snd_max;      /* highest SND.NXT so far (retransmissions rewind SND.NXT) */
    uint32_t snd_wnd;      /* in bytes, scaled */
    uint32_t snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;  /* RFC 5961 §5 MAX.SND.WND */
    uint32_t rcv_nxt;
    uint32_t rcv_wnd;      /* in bytes, scaled */
    uint32_t ts_recent;    /* RFC 7323 TS.Recent */
    uint32_t last_ack_sent;/* RFC 7323 Last.ACK.sent */
    uint32_t fin_seq;      /* sequence number of our FIN */
    uint16_t snd_mss;      /* largest payload we may send (peer's MSS, §3.7.1) */
    uint16_t rcv_mss;      /* MSS we announced */
    uint16_t flags;        /* TR_TCB_* */
    uint8_t state;         /* enum tr_state */
    uint8_t snd_wscale;    /* RFC 7323 Snd.Wind.Shift, applied to the peer's window */
    uint8_t rcv_wscale;    /* RFC 7323 Rcv.Wind.Shift, applied to our window */
    struct tr_rtt_est rtt;
};

static inline bool tr_tcb_has(const struct tr_tcb *t, unsigned f) { return (t->flags & f) != 0; }

void tr_tcb_init(struct tr_tcb *t, const struct tr_rto_params *rto);

/* Applies `ev`; returns true when the state changed. */
bool tr_tcb_event(struct tr_tcb *t, enum tr_event ev);

/*
 * RFC 9293 §3.10.7.4, the acceptance test:
 *
 *   Segment Length  Receive Window  Test
 *   0               0               SEG.SEQ = RCV.NXT
 *   0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *   >0              0               not acceptable
 *   >0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
 *                                   or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
 */
bool tr_seg_acceptable(uint32_t rcv_nxt, uint32_t rcv_wnd, uint32_t seq, uint32_t seglen);

enum tr_ack_class {
    TR_ACK_NEW,      /* SND.UNA < SEG.ACK =< SND.NXT: acknowledges new data */
    TR_ACK_DUP,      /* SEG.ACK = SND.UNA */
    TR_ACK_OLD,      /* SND.UNA - MAX.SND.WND =< SEG.ACK < SND.UNA */
    TR_ACK_TOO_OLD,  /* below SND.UNA - MAX.SND.WND: RFC 5961 §5.2 challenge ACK */
    TR_ACK_UNSENT,   /* SEG.ACK > SND.NXT: "acks something not yet sent" */
};

/* §3.10.7.4 fifth ("check the ACK field"), with RFC 5961 §5.2. */
enum tr_ack_class tr_tcb_classify_ack(const struct tr_tcb *t, uint32_t ack);

/*
 * §3.10.7.4: "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be
 * updated. If (SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)),
 * set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
 * `wnd` is SEG.WND already scaled. Returns true when SND.WND was taken.
 */
bool tr_tcb_window_update(struct tr_tcb *t, uint32_t seq, uint32_t ack, uint32_t wnd);

enum tr_rst_verdict {
    TR_RST_VALID,      /* reset the connection */
    TR_RST_CHALLENGE,  /* in the window but not RCV.NXT: send a challenge ACK */
    TR_RST_OUTSIDE,    /* outside the window: drop silently */
    TR_RST_BAD_ACK,    /* SYN-SENT: the RST does not acknowledge our SYN */
};

/* RFC 5961 §3.2 for synchronized states, RFC 9293 §3.10.7.3 for SYN-SENT. */
enum tr_rst_verdict tr_tcb_check_rst(const struct tr_tcb *t, const struct tr_seg *s);

/* The window a segment of the peer advertises to us, in bytes (RFC 7323 §2.2:
 * "The window field in a SYN ... segment itself is never scaled"). */
uint32_t tr_tcb_peer_window(const struct tr_tcb *t, const struct tr_seg *s);

/*
 * Option negotiation from the two SYNs (RFC 7323 §2.2, §3.2; RFC 2018 §2;
 * RFC 9293 §3.7.1 MUST-15 for the default MSS). `ours` is the SYN this
 * endpoint sent, `theirs` the one it received; either may be NULL when not
 * seen, in which case the dependent values stay unknown.
 */
void tr_tcb_negotiate(struct tr_tcb *t, const struct tr_opts *ours, const struct tr_opts *theirs,
                      int ipver, uint16_t default_mss4, uint16_t default_mss6);

/* RFC 7323 §2.3: a shift above 14 is used as 14. */
static inline uint8_t tr_wscale_clamp(uint8_t shift) { return shift > 14 ? 14 : shift; }

#endif

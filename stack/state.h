/*
 * The TCP connection state machine of RFC 9293 §3.3.2 (Figure 5).
 *
 * One table maps (state, event) to the next state. The same table drives the
 * passive observer (events are what an endpoint was seen to send or receive)
 * and the active endpoint (events are what it sends and receives itself).
 *
 *                              +---------+ ---------\      active OPEN
 *                              |  CLOSED |            \    -----------
 *                              +---------+<---------\   \   create TCB
 *                                |     ^              \   \  snd SYN
 *                   passive OPEN |     |   CLOSE        \   \
 *                   ------------ |     | ----------       \   \
 *                    create TCB  |     | delete TCB         \   \
 *                                V     |                      \   \
 *            rcv RST (note 1)  +---------+            CLOSE    |    \
 *         -------------------->|  LISTEN |          ---------- |     |
 *        /                     +---------+          delete TCB |     |
 *       /           rcv SYN      |     |     SEND              |     |
 *      /           -----------   |     |    -------            |     V
 *  +--------+      snd SYN,ACK  /       \   snd SYN          +--------+
 *  |        |<-----------------           ------------------>|        |
 *  |  SYN   |                    rcv SYN                     |  SYN   |
 *  |  RCVD  |<-----------------------------------------------|  SENT  |
 *  |        |                  snd SYN,ACK                   |        |
 *  |        |------------------           -------------------|        |
 *  +--------+   rcv ACK of SYN  \       /  rcv SYN,ACK       +--------+
 *     |         --------------   |     |   -----------
 *     |                x         |     |     snd ACK
 *     |                          V     V
 *     |  CLOSE                 +---------+
 *     | -------                |  ESTAB  |
 *     | snd FIN                +---------+
 *     |                 CLOSE    |     |    rcv FIN
 *     V                -------   |     |    -------
 *  +---------+         snd FIN  /       \   snd ACK         +---------+
 *  |  FIN    |<----------------          ------------------>|  CLOSE  |
 *  | WAIT-1  |------------------                            |   WAIT  |
 *  +---------+          rcv FIN  \                          +---------+
 *    | rcv ACK of FIN   -------   |                          CLOSE  |
 *    | --------------   snd ACK   |                         ------- |
 *    V        x                   V                         snd FIN V
 *  +---------+               +---------+                    +---------+
 *  |FINWAIT-2|               | CLOSING |                    | LAST-ACK|
 *  +---------+               +---------+                    +---------+
 *    |              rcv ACK of FIN |                 rcv ACK of FIN |
 *    |  rcv FIN     -------------- |    Timeout=2MSL -------------- |
 *    |  -------            x       V    ------------        x       V
 *     \ snd ACK              +---------+delete TCB          +---------+
 *       -------------------->|TIME-WAIT|------------------->| CLOSED  |
 *                            +---------+                    +---------+
 *
 *   note 1: a passively opened connection returns to LISTEN on a RST in
 *   SYN-RECEIVED; an actively opened one goes to CLOSED (RFC 9293 §3.10.7.4).
 *
 * Beyond the figure, §3.10.7.4 ("eighth, check the FIN bit") takes FIN-WAIT-1
 * straight to TIME-WAIT when the FIN that arrives also acknowledges ours, and a
 * valid RST or an abort takes every synchronized state to CLOSED (§3.10.7.4
 * "second, check the RST bit"; §3.10.5 ABORT).
 *
 * Invariants, per state, of the TCB fields (stack/tcb.h):
 *   SYN-SENT      SND.UNA == ISS, SND.NXT == ISS + 1, IRS unknown
 *   SYN-RECEIVED  IRS known, RCV.NXT == IRS + 1, SND.NXT == ISS + 1
 *   ESTABLISHED and later: SND.UNA <= SND.NXT, both sides' ISNs known
 *   FIN-WAIT-1, CLOSING, LAST-ACK: our FIN sent and not yet acknowledged
 *   FIN-WAIT-2, TIME-WAIT: our FIN acknowledged
 *   CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: the peer's FIN received
 */
#ifndef TCPREF_STACK_STATE_H
#define TCPREF_STACK_STATE_H

#include <stdint.h>

enum tr_state {
    TR_CLOSED = 0,
    TR_LISTEN,
    TR_SYN_SENT,
    TR_SYN_RECEIVED,
    TR_ESTABLISHED,
    TR_FIN_WAIT_1,
    TR_FIN_WAIT_2,
    TR_CLOSE_WAIT,
    TR_CLOSING,
    TR_LAST_ACK,
    TR_TIME_WAIT,
    TR_STATE_COUNT,
    TR_STATE_NONE = 0xff, /* "no transition": the event is not valid here */
};

enum tr_event {
    TR_EV_PASSIVE_OPEN = 0, /* application: passive OPEN */
    TR_EV_SND_SYN,          /* active OPEN, or SEND in LISTEN: a SYN goes out */
    TR_EV_RCV_SYN,          /* a SYN without ACK arrives */
    TR_EV_RCV_SYNACK,       /* a SYN,ACK acknowledging our SYN arrives */
    TR_EV_RCV_ACK_OF_SYN,   /* an ACK acknowledging our SYN arrives */
    TR_EV_CLOSE,            /* application CLOSE: a FIN is (or will be) sent */
    TR_EV_RCV_FIN,          /* the peer's FIN arrives, ours not acknowledged by it */
    TR_EV_RCV_FIN_ACKED,    /* the peer's FIN arrives and acknowledges our FIN */
    TR_EV_RCV_ACK_OF_FIN,   /* an ACK acknowledging our FIN arrives */
    TR_EV_RCV_RST,          /* a valid RST arrives */
    TR_EV_ABORT,            /* application ABORT, or a RST goes out */
    TR_EV_TIMEOUT,          /* the 2 MSL (TIME-WAIT) or user timeout expires */
    TR_EVENT_COUNT,
};

/* The next state, or TR_STATE_NONE when `ev` causes no transition in `st`. */
enum tr_state tr_fsm_next(enum tr_state st, enum tr_event ev);

/* "ESTABLISHED", "FIN-WAIT-1", ... as RFC 9293 spells them. */
const char *tr_state_name(enum tr_state st);
/* "rcv FIN", ... */
const char *tr_event_name(enum tr_event ev);

/* RFC 9293 §3.3.2: a state is synchronized from ESTABLISHED on. */
static inline int tr_state_synchronized(enum tr_state st)
{
    return st >= TR_ESTABLISHED && st < TR_STATE_COUNT;
}

#endif

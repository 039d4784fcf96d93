#include "stack/state.h"

#define N TR_STATE_NONE

/*
 * tr__fsm[state][event]: RFC 9293 Figure 5 plus the §3.10.7.4 rules named in
 * state.h. Rows are states, columns events in enum tr_event order:
 *
 *   popen  snd-syn  rcv-syn  rcv-synack  rcv-ack-syn  close  rcv-fin
 *   rcv-fin-acked  rcv-ack-fin  rcv-rst  abort  timeout
 */
static const uint8_t tr__fsm[TR_STATE_COUNT][TR_EVENT_COUNT] = {
    [TR_CLOSED] = {TR_LISTEN, TR_SYN_SENT, N, N, N, N, N, N, N, N, N, N},
    [TR_LISTEN] = {N, TR_SYN_SENT, TR_SYN_RECEIVED, N, N, TR_CLOSED, N, N, N, N, TR_CLOSED, N},
    [TR_SYN_SENT] = {N, N, TR_SYN_RECEIVED, TR_ESTABLISHED, N, TR_CLOSED, N, N, N, TR_CLOSED,
                     TR_CLOSED, TR_CLOSED},
    /* RFC 9293 §3.10.7.4: a FIN in SYN-RECEIVED enters CLOSE-WAIT. */
    [TR_SYN_RECEIVED] = {N, N, N, N, TR_ESTABLISHED, TR_FIN_WAIT_1, TR_CLOSE_WAIT, N, N,
                         TR_LISTEN, TR_CLOSED, TR_CLOSED},
    [TR_ESTABLISHED] = {N, N, N, N, N, TR_FIN_WAIT_1, TR_CLOSE_WAIT, N, N, TR_CLOSED, TR_CLOSED,
                        TR_CLOSED},
    [TR_FIN_WAIT_1] = {N, N, N, N, N, N, TR_CLOSING, TR_TIME_WAIT, TR_FIN_WAIT_2, TR_CLOSED,
                       TR_CLOSED, TR_CLOSED},
    [TR_FIN_WAIT_2] = {N, N, N, N, N, N, TR_TIME_WAIT, TR_TIME_WAIT, N, TR_CLOSED, TR_CLOSED,
                       TR_CLOSED},
    [TR_CLOSE_WAIT] = {N, N, N, N, N, TR_LAST_ACK, N, N, N, TR_CLOSED, TR_CLOSED, TR_CLOSED},
    [TR_CLOSING] = {N, N, N, N, N, N, N, N, TR_TIME_WAIT, TR_CLOSED, TR_CLOSED, TR_CLOSED},
    [TR_LAST_ACK] = {N, N, N, N, N, N, N, N, TR_CLOSED, TR_CLOSED, TR_CLOSED, TR_CLOSED},
    /* RFC 9293 §3.10.7.4: a RST in TIME-WAIT closes it (RFC 1337 notes the
     * hazard; Linux follows the RFC here). */
    [TR_TIME_WAIT] = {N, N, N, N, N, N, N, N, N, TR_CLOSED, TR_CLOSED, TR_CLOSED},
};

#undef N

enum tr_state tr_fsm_next(enum tr_state st, enum tr_event ev)
{
    if ((unsigned)st >= TR_STATE_COUNT || (unsigned)ev >= TR_EVENT_COUNT)
        return TR_STATE_NONE;
    return (enum tr_state)tr__fsm[st][ev];
}

static const char *const tr__state_names[TR_STATE_COUNT] = {
    "CLOSED",   "LISTEN",     "SYN-SENT",   "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK",     "TIME-WAIT",
};

const char *tr_state_name(enum tr_state st)
{
    if ((unsigned)st < TR_STATE_COUNT)
        return tr__state_names[st];
    return "UNKNOWN";
}

static const char *const tr__event_names[TR_EVENT_COUNT] = {
    "passive OPEN", "snd SYN", "rcv SYN", "rcv SYN,ACK", "rcv ACK of SYN", "CLOSE",
    "rcv FIN", "rcv FIN,ACK of FIN", "rcv ACK of FIN", "rcv RST", "ABORT", "timeout",
};

const char *tr_event_name(enum tr_event ev)
{
    if ((unsigned)ev < TR_EVENT_COUNT)
        return tr__event_names[ev];
    return "unknown event";
}

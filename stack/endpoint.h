/*
 * The active endpoint: the reference stack acting as a TCP endpoint.
 *
 * The same TCB, state machine (state.h), segment acceptance test, ACK
 * classification, window update, RST validation (tcb.h) and RFC 6298
 * estimator (rto.h) that the passive observer uses, driven here as a real
 * endpoint: active and passive open, sending with the peer's MSS and window
 * (window scaling), receiving with its own advertised window and an
 * out-of-order queue (SACK blocks when negotiated), delayed ACKs (at least
 * every second full-sized segment, never later than the profile allows),
 * the retransmission timer with Karn's algorithm and exponential backoff,
 * fast retransmit on three duplicate ACKs (RFC 5681), congestion control
 * (RFC 5681 slow start and congestion avoidance), zero-window probing
 * (RFC 9293 §3.8.6.1), timestamps (RFC 7323), FIN and RST in every state
 * (RFC 9293 §3.10, RFC 5961).
 *
 * Nothing here does I/O or reads a clock. Time comes in as an argument
 * (ns, any monotonic origin); segments come in as struct tr_seg (ports,
 * seq, ack, flags, window, options, payload) and go out the same way: the
 * driver (replay/) owns the clock, the addresses and the wire.
 *
 * Driving it:
 *
 *     tr_endpoint_connect(e, now);            // or tr_endpoint_listen(e)
 *     loop:
 *         while (tr_endpoint_output(e, now, &seg, buf, sizeof buf))
 *             send seg on the wire;
 *         wait for a segment or tr_endpoint_next_timeout(e);
 *         tr_endpoint_input(e, &seg, now);    // a segment arrived, or
 *         tr_endpoint_timer(e, now);          // the timeout passed
 *         tr_endpoint_write / read / shutdown as the application does
 */
#ifndef TCPREF_STACK_ENDPOINT_H
#define TCPREF_STACK_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stack/profile.h"
#include "stack/segment.h"
#include "stack/state.h"
#include "stack/tcb.h"

struct tr_endpoint_config {
    const struct tr_profile *profile; /* RTO bounds and estimator (e.g. "rfc") */
    uint16_t local_port, remote_port;
    uint32_t iss;            /* initial send sequence number */
    uint16_t mss;            /* MSS to announce (what we accept) */
    int8_t wscale;           /* window scale shift to offer; -1: do not offer */
    bool sack_permitted;     /* offer SACK-Permitted */
    bool timestamps;         /* offer timestamps */
    uint32_t rcv_buffer;     /* receive buffer in bytes: the window offered */
    uint32_t snd_buffer;     /* bytes the application may queue (0: unlimited) */
    int64_t delack_ns;       /* delayed-ACK timer; 0: 40 ms (< 500 ms, MUST-40) */
    int64_t time_wait_ns;    /* TIME-WAIT length; 0: 2 x the profile's MSL */
    uint32_t ts_offset;      /* TSval = milliseconds of `now` + ts_offset */
    uint32_t max_retries;    /* timeouts of the same data before giving up (0: 15) */
};

enum tr_endpoint_error {
    TR_EPERR_NONE = 0,
    TR_EPERR_RESET,      /* the peer reset the connection */
    TR_EPERR_REFUSED,    /* the SYN was answered by RST */
    TR_EPERR_TIMEOUT,    /* max_retries timeouts of the same data */
    TR_EPERR_ABORTED,    /* tr_endpoint_abort */
};

struct tr_endpoint_stats {
    uint64_t segs_out, segs_in;
    uint64_t bytes_out, bytes_in;     /* payload bytes sent (retransmissions too) / received */
    uint64_t bytes_delivered;         /* in order, to the application */
    uint64_t retransmits, timeouts, fast_retransmits, probes;
    uint64_t dup_acks_in, out_of_order_in;
    uint32_t cwnd, ssthresh;          /* bytes */
};

struct tr_endpoint;

int tr_endpoint_new(struct tr_endpoint **out, const struct tr_endpoint_config *cfg);
void tr_endpoint_free(struct tr_endpoint *e);
/* The IP version of the connection (4 unless set; before OPEN): the MSS
 * assumed when the peer sends none (RFC 9293 §3.7.1 MUST-15: 536 / 1220).
 * Returns 0, or TR_EINVAL. */
int tr_endpoint_set_ipver(struct tr_endpoint *e, int ipver);

/* RFC 9293 §3.10.1 OPEN. */
int tr_endpoint_connect(struct tr_endpoint *e, int64_t now);
int tr_endpoint_listen(struct tr_endpoint *e);

/* RFC 9293 §3.10.2 SEND: queues up to n bytes; returns how many were taken
 * (fewer when snd_buffer is full; 0 after shutdown or in a closed state). */
size_t tr_endpoint_write(struct tr_endpoint *e, const uint8_t *data, size_t n, int64_t now);
/* RFC 9293 §3.10.3 RECEIVE: in-order bytes delivered so far and not read. */
size_t tr_endpoint_read(struct tr_endpoint *e, uint8_t *buf, size_t cap);
size_t tr_endpoint_readable(const struct tr_endpoint *e);
/* RFC 9293 §3.10.4 CLOSE: a FIN after the queued data. */
int tr_endpoint_shutdown(struct tr_endpoint *e, int64_t now);
/* RFC 9293 §3.10.5 ABORT: a RST now. */
int tr_endpoint_abort(struct tr_endpoint *e, int64_t now);

/* A segment arrived (RFC 9293 §3.10.7, SEGMENT ARRIVES). */
void tr_endpoint_input(struct tr_endpoint *e, const struct tr_seg *s, int64_t now);

/*
 * The next segment to put on the wire now, if any. Fills *s (ports, seq,
 * ack, flags, window, options; s->payload points into buf, s->len bytes)
 * and returns true; returns false when nothing is due. Call until false
 * after every input, timer, write, shutdown or abort.
 */
bool tr_endpoint_output(struct tr_endpoint *e, int64_t now, struct tr_seg *s, uint8_t *buf,
                        size_t cap);

/* When tr_endpoint_timer() must next be called (absolute ns); INT64_MAX
 * when no timer runs. */
int64_t tr_endpoint_next_timeout(const struct tr_endpoint *e);
void tr_endpoint_timer(struct tr_endpoint *e, int64_t now);

enum tr_state tr_endpoint_state(const struct tr_endpoint *e);
const struct tr_tcb *tr_endpoint_tcb(const struct tr_endpoint *e);
enum tr_endpoint_error tr_endpoint_error(const struct tr_endpoint *e);
/* The peer's FIN has been received and every byte before it read. */
bool tr_endpoint_eof(const struct tr_endpoint *e);
void tr_endpoint_stats(const struct tr_endpoint *e, struct tr_endpoint_stats *st);

#endif

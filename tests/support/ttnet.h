/* Test support: a simulated network of two active endpoints (stack/endpoint.h).
 *
 * Endpoint 0 is the client (10.0.0.1:40000), endpoint 1 the server
 * (10.0.0.2:80). Every segment an endpoint outputs is encoded to wire bytes
 * (tr_wire_build_tcp) and decoded again on delivery, after a one-way delay
 * per direction. A drop predicate loses segments on the way; a capture
 * point ("tap") records them with its own timestamps (see tap_host). The
 * observer is fed what the tap saw. The clock is fake: it jumps
 * to the next arrival or timer. A small application per side writes a
 * source buffer, optionally closes after it, and reads into a sink.
 */
#ifndef TCPREF_TESTS_TTNET_H
#define TCPREF_TESTS_TTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyzer/observer.h"
#include "stack/endpoint.h"

#define TTNET_MS(x) ((int64_t)(x) * 1000000)
#define TTNET_SEC(x) ((int64_t)(x) * 1000000000)
#define TTNET_T0 TTNET_SEC(1) /* the clock at the start */

/* One segment as sent: when it left, when the tap saw it, and whether the
 * link dropped it. seg.payload points into the record's own bytes. */
struct ttnet_rec {
    int64_t sent, ts;
    int dir;
    bool dropped;
    bool captured;      /* the tap saw it */
    uint8_t backoff;    /* the sender's RTO backoff (RFC 6298 §5.5) after sending it */
    int64_t rto_ns;     /* and its RTO */
    uint32_t timeouts;  /* the sender's timeouts so far */
    uint32_t index;     /* of this segment within its direction, from 0 */
    uint8_t *bytes;     /* TCP header and payload */
    uint32_t nbytes;
    struct tr_seg seg;
};

/* Returns true to drop the segment (after the tap). n: its index within
 * its direction. */
typedef bool (*ttnet_drop_fn)(void *ctx, int dir, const struct tr_seg *s, uint32_t n);

struct ttnet_app {
    const uint8_t *src;      /* bytes to write, in as many writes as it takes */
    size_t src_len, written;
    bool close_after;        /* CLOSE once everything is written */
    bool closed;
    bool read_paused;        /* the application does not read */
    uint8_t *sink;           /* what it read */
    size_t sink_cap, got;
};

struct ttnet_flight;

struct ttnet {
    struct tr_endpoint *ep[2];
    struct ttnet_app app[2];
    int64_t now;
    int64_t delay_ns[2];     /* one-way delay, by sending direction */
    /* Where the capture sits: -1 (default) half way along the path, before
     * the lossy part, so it sees every segment sent; 0 or 1 on that
     * endpoint's host (as the replay driver captures), so it sees what that
     * endpoint sends and only what reaches it. */
    int tap_host;
    ttnet_drop_fn drop;
    void *drop_ctx;
    uint32_t sent[2];
    uint32_t states[2];      /* bit per enum tr_state each endpoint was seen in */
    struct ttnet_rec *rec;
    size_t nrec, caprec;
    struct ttnet_flight *fly;
    size_t nfly, capfly;
};

/* The configuration the tests start from: profile "rfc", MSS 1460, window
 * scale 7, SACK, timestamps, 256 KB receive buffer, unlimited send buffer;
 * client ISS near 2^32 (sequence numbers wrap during a transfer). */
struct tr_endpoint_config ttnet_config(int side);

/* Creates both endpoints (ports are set from the side); 10 ms each way. */
void ttnet_init(struct ttnet *n, const struct tr_endpoint_config *client,
                const struct tr_endpoint_config *server);
void ttnet_free(struct ttnet *n);

/* The client connects, the server listens. */
void ttnet_open(struct ttnet *n);

/* Runs events up to time `limit` (absolute) or until nothing is pending. */
void ttnet_run(struct ttnet *n, int64_t limit);
/* Runs for `dt` more nanoseconds of simulated time. */
void ttnet_run_for(struct ttnet *n, int64_t dt);
/* Runs until pred() holds (checked after every event), or `limit`;
 * returns whether it held. */
bool ttnet_run_until(struct ttnet *n, bool (*pred)(const struct ttnet *n, void *ctx), void *ctx,
                     int64_t limit);

/* Sends out what both endpoints have to send now (after a test called the
 * API directly). */
void ttnet_flush(struct ttnet *n);

/* Delivers a crafted segment to endpoint `dir` now (sent by the other
 * side), recorded as a capture. */
void ttnet_inject(struct ttnet *n, int dir, const struct tr_seg *s);

/* The records of direction dir (0: client to server; -1: both) that match
 * flags (all of `with` set, none of `without`), in order; the k-th such, or
 * NULL. */
const struct ttnet_rec *ttnet_find(const struct ttnet *n, int dir, uint8_t with, uint8_t without,
                                   unsigned k);
unsigned ttnet_count(const struct ttnet *n, int dir, uint8_t with, uint8_t without);

/* Feeds every captured segment (in capture order, with IPv4 addresses) to a
 * new observer of the given profile and finishes it. Free with tr_obs_free. */
struct tr_obs *ttnet_analyze(const struct ttnet *n, const char *profile);
/* The record the observer saw as frame `frame` (1-based), or NULL. */
const struct ttnet_rec *ttnet_frame(const struct ttnet *n, uint64_t frame);
/* Prints the protocol findings of warning or error severity (for test
 * failures). */
void ttnet_print_serious(const struct tr_obs *o);

/* Every segment sent, one line each (for debugging a test). */
void ttnet_dump(const struct ttnet *n, FILE *f);
/* Every finding of the observer, one line each. */
void ttnet_print_all(const struct tr_obs *o, FILE *f);

/* Deterministic pseudo-random bytes. */
void ttnet_fill(uint8_t *p, size_t n, uint32_t seed);

#endif

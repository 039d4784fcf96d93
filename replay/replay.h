/*
 * tcpref replay: plays one endpoint of a recorded connection through tcpref's
 * own stack (stack/endpoint.h) against a real peer on a LAN interface,
 * captures the run, analyzes it, and compares its outcome with the
 * recording.
 *
 *   tr_replay_load()    the recording: the connection, its conversation, the
 *                       plan of writes; INCONCLUSIVE when it is incomplete
 *   tr_replay_run()     the live run (driver.c): safety checks, ARP or
 *                       neighbour discovery, the endpoint on the wire
 *   tr_replay_judge()   outcomes and verdict (compare.h)
 *   tr_replay_report_json() / _text()
 */
#ifndef TCPREF_REPLAY_REPLAY_H
#define TCPREF_REPLAY_REPLAY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "analyzer/analysis.h"
#include "replay/compare.h"
#include "replay/convo.h"
#include "replay/plan.h"
#include "stack/endpoint.h"

#define TR_REPLAY_SCHEMA "tcpref-replay/1"

enum tr_timing { TR_TIMING_RECORDED = 0, TR_TIMING_ASAP, TR_TIMING_SCALE };

struct tr_replay_opts {
    const char *file;
    const char *iface;
    int ipver;
    uint8_t local_ip[16], peer_ip[16];
    bool local_mac_given;
    uint8_t local_mac[6];
    int peer_port;            /* -1: the recorded one (client role) / any (server role) */
    int local_port;           /* -1: the recorded one; 0: an ephemeral one */
    long conn_id;             /* -1: the first connection with a handshake */
    int role;                 /* 0 client, 1 server */
    enum tr_timing timing;
    double scale;             /* think times x scale (recorded: 1, asap: 0) */
    const char *profile;      /* stack and analysis profile; "rfc" by default */
    double timeout_s;         /* the whole run */
    const char *write_path;   /* pcap of the run, or NULL */
};

/* Why the run stopped. */
enum tr_run_end {
    TR_RUN_NOT_RUN = 0,
    TR_RUN_CLOSED,       /* the endpoint reached CLOSED */
    TR_RUN_TIME_WAIT,    /* in TIME-WAIT for the linger time */
    TR_RUN_DONE_OPEN,    /* the recording ended open and the run did everything it did */
    TR_RUN_STALLED,      /* the peer closed before sending what the next write waits for */
    TR_RUN_TIMEOUT,      /* --timeout */
    TR_RUN_INTERRUPTED,  /* SIGINT or SIGTERM */
};

struct tr_run {
    enum tr_run_end end;
    uint8_t local_mac[6], peer_mac[6];
    uint16_t local_port, peer_port;
    bool local_port_ephemeral;
    uint32_t iss;
    int64_t start_ns, duration_ns;    /* wall clock of the capture */
    uint64_t frames, drops;           /* captured, and dropped by the kernel */
    uint64_t neigh_requests, neigh_answers; /* ARP/ND requests sent, answers to the peer */
    uint64_t ignored_frames;          /* TCP for the local IP on other ports */
    struct tr_endpoint_stats st;
    enum tr_endpoint_error ep_error;
    uint8_t ep_states[TR_OUT_MAX_STATES]; /* as the endpoint itself went through them */
    uint8_t ep_nstates;
    uint64_t rx_len;                  /* bytes the endpoint delivered to the application */
    bool rx_matches_wire;             /* ... equal to the peer's stream on the wire */
    uint64_t writes_done;
    bool close_done;
    const char *capture_path;
};

struct tr_replay {
    struct tr_replay_opts opt;
    const struct tr_profile *profile;
    /* the recording */
    struct tr_analysis rec_an;
    const struct tr_obs *rec_obs;
    const struct tr_conn *rec_conn;
    uint32_t conn_id;
    struct tr_convo rec;
    struct tr_plan plan;
    int played;                       /* 0: tcpref plays the client */
    int64_t side_rtt_ns;
    bool inconclusive;
    char why[512];
    /* the run */
    struct tr_run run;
    struct tr_obs *run_obs;
    const struct tr_conn *run_conn;
    struct tr_convo rep;
    /* the judgement */
    struct tr_outcome out_rec, out_rep;
    struct tr_cmp cmp;
    enum tr_rverdict verdict;
};

void tr_replay_init(struct tr_replay *r, const struct tr_replay_opts *o);
void tr_replay_free(struct tr_replay *r);

/* Reads the recording. Returns 0 (r->inconclusive tells whether it can be
 * replayed) or a negative code with one line in err. */
int tr_replay_load(struct tr_replay *r, char *err, size_t n);
/* The live run. Returns 0 or a negative code with one line in err. */
int tr_replay_run(struct tr_replay *r, char *err, size_t n);
/* Outcomes and verdict. */
void tr_replay_judge(struct tr_replay *r);
/* One outcome: conversation cv (with its analyzed connection c, or NULL)
 * measured against the plan p; o->ex is allocated (freed by the caller, or
 * by the next call on the same o). */
void tr_replay_outcome(struct tr_outcome *o, const struct tr_convo *cv, const struct tr_conn *c,
                       const struct tr_plan *p, int64_t side_rtt_ns);

json_t *tr_replay_json(const struct tr_replay *r);
/* "closed", "time-wait", ...; "none", "reset", ... */
const char *tr_replay_run_end_name(enum tr_run_end e);
const char *tr_replay_ep_error_name(enum tr_endpoint_error e);
int tr_replay_report_json(FILE *out, const struct tr_replay *r);
int tr_replay_report_text(FILE *out, const struct tr_replay *r);

#endif

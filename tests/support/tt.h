/* Test support: a segment builder, observer helpers and small pcap/pcapng
 * writers. Used only by tests. */
#ifndef TCPREF_TESTS_TT_H
#define TCPREF_TESTS_TT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "analyzer/observer.h"
#include "stack/segment.h"

/* Client 10.0.0.1:40000, server 10.0.0.2:80. dir 0: client to server. */
#define TT_C2S 0
#define TT_S2C 1

/* A segment at time t (seconds) of frame `frame`. */
struct tr_seg tt_seg(uint64_t frame, double t, int dir, uint8_t flags, uint32_t seq, uint32_t ack,
                     uint32_t len, uint16_t win);
/* SYN options: MSS, window scale (-1: none), SACK-permitted, timestamps. */
void tt_syn_opts(struct tr_seg *s, uint16_t mss, int wscale, int sack, int ts);
void tt_ts(struct tr_seg *s, uint32_t tsval, uint32_t tsecr);

/* A fresh observer with the given profile name ("rfc", "linux"). */
struct tr_obs *tt_obs(const char *profile);
/* Feeds a segment (by value, payload not captured). */
void tt_feed(struct tr_obs *o, struct tr_seg s);
/* Number of findings of rule r over all connections (repeats counted). */
unsigned tt_count(const struct tr_obs *o, enum tr_rule r);
/* Frame of the first finding of rule r, or 0. */
uint64_t tt_frame(const struct tr_obs *o, enum tr_rule r);
/* First finding of rule r, or NULL. */
const struct tr_finding *tt_finding(const struct tr_obs *o, enum tr_rule r);
/* Total findings of protocol class at warning or above. */
unsigned tt_serious(const struct tr_obs *o);

/* A standard handshake, frames 1-3, ISNs 1000 (client) and 5000 (server),
 * MSS 1460, wscale 7, SACK, no timestamps; returns the next frame number. */
uint64_t tt_handshake(struct tr_obs *o, double t0);
/* The same with the client's MSS and the window of its ACK (frame 3, raw,
 * scaled by 7) chosen. */
uint64_t tt_handshake_with(struct tr_obs *o, double t0, uint16_t client_mss, uint16_t ack_win);

/* Writers for synthetic capture files. */
FILE *tt_pcap_open(const char *path, uint32_t magic, uint32_t linktype, uint32_t snaplen);
void tt_pcap_record(FILE *f, uint32_t sec, uint32_t frac, const void *data, uint32_t caplen,
                    uint32_t origlen);
/* A temporary file path under the build tree. */
const char *tt_tmp(const char *name);

#endif

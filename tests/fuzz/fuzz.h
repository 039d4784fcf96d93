/*
 * libFuzzer harnesses (tests/fuzz/README.md). Each harness defines
 * LLVMFuzzerTestOneInput; the same source is linked with libFuzzer
 * (-DTCPREF_FUZZ=ON, clang) or with regress_main.c, a main() that replays
 * files through it, so the normal build runs every crashing input found so
 * far on every test run.
 *
 * A harness aborts (a crash to libFuzzer) when one of the invariants it
 * checks fails, not only when the sanitizers see a bad access.
 */
#ifndef TCPREF_TESTS_FUZZ_H
#define TCPREF_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stack/segment.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the code under test: abort with a message when false. */
#define FZ_CHECK(cond)                                                                        \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);      \
            abort();                                                                          \
        }                                                                                     \
    } while (0)

/* Reading fuzz bytes: past the end, every read gives zeros. */
struct fz_in {
    const uint8_t *p;
    size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint16_t fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);

/*
 * Turns fuzz bytes into a sequence of TCP segments of four connections, so
 * the observer's state machine and checks (and the replay's conversation
 * collector) are reached with plausible traffic, not only with noise.
 * Sequence and acknowledgment numbers are mostly relative to what each side
 * sent so far; options, timestamps, SACK blocks, payload (bytes that depend
 * on the sequence number, so a retransmission carries the same bytes unless
 * the record says otherwise) and capture time come from the record.
 * Record layout: tests/fuzz/README.md.
 */
#define FZ_SEG_RECORD 20
#define FZ_PAYLOAD_MAX 4096

struct fz_segs {
    struct fz_in in;
    uint32_t nxt[4][2];    /* highest sequence number sent + 1, per connection and side */
    uint32_t tsval[4][2];
    uint16_t ip_id[4][2];
    int64_t now;
    uint64_t frame;
    uint8_t *buf;          /* the latest segment's payload */
    uint32_t abs_span;     /* 0, or: "absolute" numbers stay within +-abs_span/2 of the
                              relative base */
};

void fz_segs_init(struct fz_segs *g, const uint8_t *data, size_t size);
void fz_segs_free(struct fz_segs *g);
/* The next segment, or false at the end of the input. *ctl receives the
 * record's control byte: the harness uses its top bit (which capture of
 * two the segment belongs to) or a control record (tr_seg unused) when
 * *special is set. */
bool fz_segs_next(struct fz_segs *g, struct tr_seg *s, uint8_t *ctl, bool *special);

struct tr_obs;
struct tr_source;
/* Writes the JSON and text reports of one observed file (the source, when
 * not NULL, gives the file's stats, warnings and error) into memory, and
 * checks that the JSON parses back and says what the observer counted. */
void fz_report(struct tr_obs *o, struct tr_source *src, int read_status);

#endif

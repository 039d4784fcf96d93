/*
 * Threads change nothing (analyzer/analysis.c, docs/performance.md): a
 * capture file from a stranger, analyzed as `tcpref analyze` does with one
 * thread, with two (the reader's own share, undecoded packets for the
 * worker: tr_decode_peek) and with three (two workers), and with two and
 * three where the reader decodes every packet for the workers (as it does
 * while they are behind: a->reader_decodes), must give the same
 * JSON report, byte for byte, and the same exit status; so must one thread
 * that parks every connection it may (analyzer/obs_store.c: packed away
 * after 250 ms idle, finished and retired parked when that changes only
 * its flags and end) and one that parks none. The input is the
 * file itself (pcap or pcapng); it is written to a temporary file, as the
 * threaded reader reads a path.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer/analysis.h"
#include "analyzer/report.h"
#include "fuzz.h"
#include "stack/profile.h"

static char fz__path[64];

static void fz__cleanup(void)
{
    if (fz__path[0])
        unlink(fz__path);
}

enum { FZ_PARK_SOME, FZ_PARK_ALL, FZ_PARK_NONE };

/* The report of one run with `threads` threads, in memory (malloc'd). */
static char *fz__report(unsigned threads, int park, bool reader_decodes, enum tr_split split, size_t *len,
                        int *status)
{
    struct tr_obs_config cfg = {.profile = tr_profile_builtin("linux"), .verify_checksums = true,
                                .vlan_in_key = true, .park_idle_ns = park == FZ_PARK_NONE ? 0 : 250000000,
                                .park_keep = park == FZ_PARK_ALL ? 0 : 4};
    struct tr_analysis a;
    tr_analysis_init(&a, &cfg, threads);
    a.reader_decodes = reader_decodes;
    a.split = split;
    *status = tr_analysis_add_file(&a, fz__path);
    struct tr_report_opts ro = {.command = "analyze", .profile = "linux", .width = 80, .show_info = true};
    char *buf = NULL;
    FILE *m = open_memstream(&buf, len);
    FZ_CHECK(m != NULL);
    FZ_CHECK(tr_report_json(m, &a, &ro) == 0);
    fclose(m);
    tr_analysis_free(&a);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fz__path[0]) {
        snprintf(fz__path, sizeof fz__path, "/tmp/tcpref-fuzz-threads-%ld.cap", (long)getpid());
        atexit(fz__cleanup);
    }
    FILE *f = fopen(fz__path, "wb");
    FZ_CHECK(f != NULL);
    FZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
    FZ_CHECK(fclose(f) == 0);
    size_t len1, len;
    int st1, st;
    char *one = fz__report(1, FZ_PARK_SOME, false, TR_SPLIT_AUTO, &len1, &st1);
    FZ_CHECK(len1 > 2 && one[0] == '{' && one[len1 - 2] == '}');
    static const struct {
        unsigned threads;
        int park;
        bool reader_decodes;
        enum tr_split split;
        const char *what;
    } runs[] = {{2, FZ_PARK_SOME, false, TR_SPLIT_PROCESSES, "--threads 2 (two processes)"},
                {3, FZ_PARK_SOME, false, TR_SPLIT_PROCESSES, "--threads 3 (three processes)"},
                {2, FZ_PARK_SOME, false, TR_SPLIT_PIPELINE, "--threads 2 (pipeline)"},
                {3, FZ_PARK_SOME, false, TR_SPLIT_PIPELINE, "--threads 3 (pipeline)"},
                {2, FZ_PARK_SOME, true, TR_SPLIT_PIPELINE, "--threads 2, the reader decoding for the worker"},
                {3, FZ_PARK_SOME, true, TR_SPLIT_PIPELINE, "--threads 3, the reader decoding for the workers"},
                {1, FZ_PARK_ALL, false, TR_SPLIT_AUTO, "parking all"},
                {1, FZ_PARK_NONE, false, TR_SPLIT_AUTO, "parking none"}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        char *other = fz__report(runs[r].threads, runs[r].park, runs[r].reader_decodes, runs[r].split, &len, &st);
        if (st != st1 || len != len1 || memcmp(one, other, len)) {
            size_t i = 0;
            while (i < len && i < len1 && one[i] == other[i])
                i++;
            fprintf(stderr, "%s differs from one thread (status %d vs %d, %zu vs %zu bytes) at byte %zu:\n"
                            "  1: %.120s\n  %s: %.120s\n",
                    runs[r].what, st, st1, len, len1, i, one + (i > 40 ? i - 40 : 0), runs[r].what,
                    other + (i > 40 ? i - 40 : 0));
            FZ_CHECK(0);
        }
        free(other);
    }
    free(one);
    return 0;
}

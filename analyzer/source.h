/*
 * Capture sources: an opaque handle over a table of operations per backend,
 * as libpcap does it. Backends: tcpref's own readers for classic pcap and
 * pcapng files (every pcapng interface keeps its own link type and timestamp
 * resolution, which libpcap 1.10 refuses), and libpcap for live capture.
 *
 * Buffer lifetime: the bytes a packet points at are valid until the next call
 * of tr_source_next() or tr_source_close() on the same source.
 *
 * Errors: tr_source_next() returns a negative code from stack/error.h and
 * tr_source_error() gives a message naming the file, the frame and the byte
 * offset. Packets read before the error stay valid results.
 */
#ifndef TCPREF_ANALYZER_SOURCE_H
#define TCPREF_ANALYZER_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types (LINKTYPE_* of the tcpdump.org registry). */
enum {
    TR_LINK_NULL = 0,
    TR_LINK_ETHERNET = 1,
    TR_LINK_RAW_OLD1 = 12, /* DLT_RAW on some BSDs */
    TR_LINK_RAW_OLD2 = 14,
    TR_LINK_RAW = 101,
    TR_LINK_LOOP = 108,
    TR_LINK_LINUX_SLL = 113,
    TR_LINK_IPV4 = 228,
    TR_LINK_IPV6 = 229,
    TR_LINK_LINUX_SLL2 = 276,
};

struct tr_pkt {
    const uint8_t *data;  /* caplen bytes, borrowed */
    uint32_t caplen;
    uint32_t origlen;
    int64_t ts_ns;        /* ns since the epoch */
    uint64_t frame;       /* 1-based, per file, as Wireshark counts */
    uint64_t offset;      /* byte offset of the record in the file */
    uint32_t linktype;
    uint32_t iface;       /* pcapng interface id (0 for pcap) */
    uint32_t snaplen;     /* of the interface */
};

/* Per-file facts and anomalies that are not fatal. */
struct tr_source_stats {
    const char *format;        /* "pcap", "pcap-ns", "pcapng", "live" */
    uint64_t file_size;        /* 0 when unknown (pipe, live) */
    uint64_t bytes_read;
    uint64_t packets;
    uint64_t caplen_over_snaplen; /* records longer than the snapshot length */
    uint64_t caplen_over_origlen; /* records claiming more bytes than were on the wire */
    uint64_t ts_backwards;        /* timestamps earlier than the previous record's */
    uint64_t bad_ts_fraction;     /* sub-second fields >= 1 s (pcap) */
    uint64_t ts_out_of_range;     /* timestamps before 1970 or after 2116, clamped (pcapng) */
    uint32_t sections;            /* pcapng sections */
    uint32_t interfaces;          /* pcapng interfaces, over all sections */
    uint64_t skipped_blocks;      /* pcapng blocks that are not packets */
    /* live capture counters (pcap_stats) */
    uint64_t live_recv, live_drop, live_ifdrop;
};

struct tr_source;

#define TR_SOURCE_MAX_WARN 8

struct tr_source_ops {
    int (*next)(struct tr_source *src, struct tr_pkt *pkt);
    void (*close)(struct tr_source *src);
};

/* Opens a capture file, pcap or pcapng, told apart by the magic number.
 * "-" reads standard input. On failure returns a negative code and writes a
 * message into err. */
int tr_source_open_file(struct tr_source **out, const char *path, char *err, size_t errlen);
/* The same; map = false reads a regular file with read(2) rather than
 * through its mapping. The reader of several threads does: the mapped
 * reader drops the pages behind it, and every drop interrupts the CPUs
 * running the process's other threads to flush their TLBs
 * (docs/performance.md). */
int tr_source_open_file_map(struct tr_source **out, const char *path, bool map, char *err, size_t errlen);

/* The same over bytes in memory (copied; tests and fuzzing). `name` stands
 * for the file name in messages. */
int tr_source_open_mem(struct tr_source **out, const char *name, const uint8_t *data, size_t len,
                       char *err, size_t errlen);

/* 1: a packet; 0: end of input; < 0: an error (see tr_source_error). */
int tr_source_next(struct tr_source *src, struct tr_pkt *pkt);
const char *tr_source_error(const struct tr_source *src);
/* Non-fatal anomalies (a record longer than the snapshot length, ...): the
 * first TR_SOURCE_MAX_WARN messages; the counts are in the stats. */
unsigned tr_source_warning_count(const struct tr_source *src);
const char *tr_source_warning(const struct tr_source *src, unsigned i);
const char *tr_source_name(const struct tr_source *src);
void tr_source_stats(const struct tr_source *src, struct tr_source_stats *st);
void tr_source_close(struct tr_source *src);

/* A short name for a link type ("ethernet", "linux-sll", ...). */
const char *tr_linktype_name(uint32_t linktype);

/* ---- Live capture (analyzer/live.c): libpcap on an interface ----
 *
 * tr_source_next() on a live source never blocks: it returns 1 with a
 * packet, TR_EAGAIN when none is waiting (poll() tr_source_live_fd() for
 * POLLIN, then call it again), 0 when the capture was broken off, and < 0 on
 * a capture error (tr_source_error). Frames are numbered from 1 in the order
 * libpcap delivers them; timestamps are the kernel's, in ns since the epoch
 * (nanosecond precision when the platform offers it). */
#include <stdbool.h>

struct tr_live_opts {
    const char *iface;        /* required */
    const char *filter;       /* BPF filter (pcap-filter(7)); NULL or "": everything */
    int snaplen;              /* bytes kept per packet; 0: 262144 */
    int buffer_mb;            /* kernel buffer in MiB; 0: libpcap's default */
    bool no_promisc;          /* do not put the interface into promiscuous mode */
};

/* Opens and activates the capture and installs the filter. On failure
 * returns a negative code and writes one line into err: the interface does
 * not exist (TR_EINVAL), the filter does not compile (TR_EPARSE), capturing
 * is not permitted (TR_ESYS), or another libpcap error (TR_EIO). */
int tr_source_open_live(struct tr_source **out, const struct tr_live_opts *opt, char *err,
                        size_t errlen);
/* The descriptor to poll() for POLLIN; -1 for other sources. */
int tr_source_live_fd(const struct tr_source *src);
/* The link type (LINKTYPE_*) and snapshot length libpcap settled on. */
void tr_source_live_info(const struct tr_source *src, uint32_t *linktype, uint32_t *snaplen);
/* Also writes every packet captured from now on to a pcap file (as
 * pcap_dump_open(3PCAP) does; "-" is standard output). */
int tr_source_live_dump(struct tr_source *src, const char *path, char *err, size_t errlen);
/* Flushes the dump file (if any); < 0 when writing it failed. */
int tr_source_live_flush(struct tr_source *src);
/* Refreshes the live counters of tr_source_stats() (live_recv, live_drop,
 * live_ifdrop) from pcap_stats(3PCAP); counters are kept in 64 bits across
 * the wrap of libpcap's 32-bit ones, so call it at least every few minutes. */
int tr_source_live_update_stats(struct tr_source *src);

#endif

/*
 * The memory an analysis's observer allocates from: a region mapped before
 * fork(2) at an address parent and child agree on, so that the parent
 * reads a child's connections at the addresses the child left them once
 * the child has exited (analysis.c, tr__run_procs). Blocks of up to 64
 * KiB come from a first region, mapped either shared (the child writes
 * where the parent reads) or private (the child's own pages, on
 * transparent huge pages; the child hands its bytes over through a file,
 * tr_arena_send, which the parent reads in at the same address,
 * tr_arena_receive); larger blocks from a second region, always shared.
 * The calling process allocates its own observer from a private arena
 * too.
 *
 * The observer allocates only through tr_mem_*: in a process that has
 * chosen an arena (tr_mem_use), from it; otherwise from the C library. A
 * pointer is returned to wherever it came from, whoever frees it (the
 * parent frees its children's observers).
 */
#ifndef TCPREF_ANALYZER_ARENA_H
#define TCPREF_ANALYZER_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct tr_arena;

/* Maps an arena of up to `reserve` bytes (address space only: pages are
 * taken as they are first written). TR_OK, or TR_ENOMEM. */
int tr_arena_new(struct tr_arena **out, size_t reserve);
/* The same, mapped private: after a fork each process writes its own. */
int tr_arena_new_private(struct tr_arena **out, size_t reserve);
/* A child's private arena: writes its first region's bytes in use
 * (header, user area and every block up to its top) to fd. TR_OK;
 * TR_ESYS when fd cannot be written; TR_ESTATE for a shared arena. */
int tr_arena_send(const struct tr_arena *a, int fd);
/* The parent's copy of that arena: reads what the child sent over it, so
 * the child's pointers into it hold. TR_OK; TR_ESYS when fd cannot be
 * read; TR_ESTATE when what it holds is not this arena's. */
int tr_arena_receive(struct tr_arena *a, int fd);
/* Unmaps it: every pointer into it becomes invalid. */
void tr_arena_free(struct tr_arena *a);
/* The user area of the arena: a fixed block of `TR_ARENA_USER` bytes the
 * two processes agree on (the child's results). */
#define TR_ARENA_USER 1024
void *tr_arena_user(struct tr_arena *a);
/* Bytes of the arena in use (allocated blocks and their headers). */
size_t tr_arena_used(const struct tr_arena *a);

/* This process's allocations through tr_mem_* go to a (NULL: the C
 * library). For a child process that has just been forked. */
void tr_mem_use(struct tr_arena *a);

void *tr_mem_malloc(size_t n);
void *tr_mem_calloc(size_t n, size_t size);
void *tr_mem_realloc(void *p, size_t n);
void tr_mem_free(void *p);

#endif

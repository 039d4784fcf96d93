/*
 * Memory an analysis process shares with its parent: a region mapped
 * MAP_SHARED before fork(2), from which the child's observer allocates, so
 * that the parent reads the child's connections in place, at the same
 * addresses, once the child has exited (analysis.c, tr__run_procs).
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

/*
 * The shared arena (arena.h): a header, the user area, then blocks taken
 * from the top of the mapping or from free lists. A block is a 16-byte
 * header (its capacity and the size asked for) and its capacity in bytes,
 * a multiple of 16.
 * Blocks of up to 4 KiB are kept in free lists by capacity (the packed
 * connections come and go at a few hundred bytes); larger ones (chunks of
 * connections, the flow table's slots) in one list, first fit within twice
 * the size asked. Nothing is returned to the kernel before tr_arena_free:
 * the observer's memory stays flat because it reuses what it frees.
 */
#define _GNU_SOURCE 1
#include "analyzer/arena.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "stack/error.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define TR__POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define TR__UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define TR__REDZONE 16 /* poisoned bytes after every block, under AddressSanitizer */
#else
#define TR__POISON(p, n) ((void)(p), (void)(n))
#define TR__UNPOISON(p, n) ((void)(p), (void)(n))
#define TR__REDZONE 0
#endif

#define TR__HDR 16
#define TR__SMALL_MAX 4096
#define TR__NCLASS (TR__SMALL_MAX / 16 + 1)

struct tr__block {
    size_t cap;             /* bytes after the header */
    size_t size;            /* bytes asked for; SIZE_MAX while free */
};

/* A free block keeps, in its first 16 bytes, the next free block of its
 * list and its capacity (poisoned like the rest of it, and made
 * addressable only while the allocator reads or writes them). */
struct tr__free {
    struct tr__free *next;
    size_t cap;
};

struct tr_arena {
    size_t reserve;         /* bytes mapped */
    char *top;              /* first byte never handed out */
    char *end;
    size_t used;            /* bytes in live blocks, headers included */
    atomic_flag lock;
    struct tr__free *free_small[TR__NCLASS]; /* blocks by capacity / 16 */
    struct tr__free *free_large; /* blocks > TR__SMALL_MAX */
    _Alignas(16) unsigned char user[TR_ARENA_USER];
};

/* The arenas this process knows of, to tell where a pointer came from. */
#define TR__MAX_ARENAS 64
static struct tr_arena *tr__arenas[TR__MAX_ARENAS];
static unsigned tr__narenas; /* slots in use are below it */
static struct tr_arena *tr__current;

static struct tr_arena *tr__owner(const void *p)
{
    for (unsigned i = 0; i < tr__narenas; i++) {
        struct tr_arena *a = tr__arenas[i];
        if (a && (const char *)p > (const char *)a && (const char *)p < a->end)
            return a;
    }
    return NULL;
}

int tr_arena_new(struct tr_arena **out, size_t reserve)
{
    *out = NULL;
    unsigned slot = 0;
    while (slot < TR__MAX_ARENAS && tr__arenas[slot])
        slot++;
    if (slot == TR__MAX_ARENAS || reserve < sizeof(struct tr_arena) + 4096)
        return TR_ENOMEM;
    void *m = mmap(NULL, reserve, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return TR_ENOMEM;
    struct tr_arena *a = m;
    a->reserve = reserve;
    a->top = (char *)m + ((sizeof *a + 63) & ~(size_t)63);
    a->end = (char *)m + reserve;
    atomic_flag_clear(&a->lock);
    tr__arenas[slot] = a;
    if (slot >= tr__narenas)
        tr__narenas = slot + 1;
    *out = a;
    return TR_OK;
}

void tr_arena_free(struct tr_arena *a)
{
    if (!a)
        return;
    for (unsigned i = 0; i < tr__narenas; i++)
        if (tr__arenas[i] == a)
            tr__arenas[i] = NULL;
    while (tr__narenas && !tr__arenas[tr__narenas - 1])
        tr__narenas--;
    if (tr__current == a)
        tr__current = NULL;
    /* what this process poisoned must not outlive the mapping */
    TR__UNPOISON(a, (size_t)(a->top - (char *)a));
    munmap(a, a->reserve);
}

void *tr_arena_user(struct tr_arena *a) { return a->user; }

size_t tr_arena_used(const struct tr_arena *a) { return a->used; }

void tr_mem_use(struct tr_arena *a) { tr__current = a; }

static void tr__lock(struct tr_arena *a)
{
    while (atomic_flag_test_and_set_explicit(&a->lock, memory_order_acquire))
        ;
}

static void tr__unlock(struct tr_arena *a) { atomic_flag_clear_explicit(&a->lock, memory_order_release); }

static void *tr__take(struct tr_arena *a, size_t n)
{
    if (n > a->reserve)
        return NULL;
    size_t cap = (n + TR__REDZONE + 15) & ~(size_t)15;
    if (cap == 0)
        cap = 16;
    char *u = NULL;
    tr__lock(a);
    if (cap <= TR__SMALL_MAX) {
        struct tr__free **head = &a->free_small[cap / 16];
        if (*head) {
            u = (char *)*head;
            TR__UNPOISON(u, sizeof(struct tr__free));
            *head = (*head)->next;
        }
    } else {
        struct tr__free *prev = NULL, *f = a->free_large;
        while (f) {
            TR__UNPOISON(f, sizeof *f);
            struct tr__free *next = f->next;
            if (f->cap >= cap && f->cap / 2 <= cap) {
                if (prev)
                    prev->next = next;
                else
                    a->free_large = next;
                u = (char *)f;
                cap = f->cap;
                break;
            }
            if (prev)
                TR__POISON(prev, sizeof *prev);
            prev = f;
            f = next;
        }
        if (prev)
            TR__POISON(prev, sizeof *prev);
    }
    if (!u) {
        if ((size_t)(a->end - a->top) < TR__HDR + cap) {
            tr__unlock(a);
            return NULL;
        }
        u = a->top + TR__HDR;
        a->top += TR__HDR + cap;
    }
    struct tr__block *h = (struct tr__block *)(void *)(u - TR__HDR);
    TR__UNPOISON(h, TR__HDR);
    h->cap = cap;
    h->size = n;
    a->used += TR__HDR + cap;
    tr__unlock(a);
    TR__POISON(h, TR__HDR);
    TR__UNPOISON(u, n);
    TR__POISON(u + n, cap - n);
    return u;
}

/* The header of a live block, made addressable (the caller poisons it
 * again). */
static struct tr__block *tr__live(void *p)
{
    struct tr__block *h = (struct tr__block *)(void *)((char *)p - TR__HDR);
    TR__UNPOISON(h, TR__HDR);
    if (h->size > h->cap)
        abort(); /* freed already (a double free), or not a block of this arena */
    return h;
}

/* The size asked for of a live block. */
static size_t tr__size_of(void *p)
{
    struct tr__block *h = tr__live(p);
    size_t size = h->size;
    TR__POISON(h, TR__HDR);
    return size;
}

static void tr__give(struct tr_arena *a, void *p)
{
    struct tr__block *h = tr__live(p);
    size_t cap = h->cap;
    h->size = SIZE_MAX;
    TR__POISON(h, TR__HDR);
    TR__UNPOISON(p, sizeof(struct tr__free));
    struct tr__free *f = p;
    f->cap = cap;
    tr__lock(a);
    struct tr__free **head = cap <= TR__SMALL_MAX ? &a->free_small[cap / 16] : &a->free_large;
    f->next = *head;
    *head = f;
    a->used -= TR__HDR + cap;
    tr__unlock(a);
    TR__POISON(p, cap);
}

void *tr_mem_malloc(size_t n)
{
    return tr__current ? tr__take(tr__current, n) : malloc(n);
}

void *tr_mem_calloc(size_t n, size_t size)
{
    if (!tr__current)
        return calloc(n, size);
    size_t t;
    if (__builtin_mul_overflow(n, size, &t))
        return NULL;
    void *p = tr__take(tr__current, t);
    if (p)
        memset(p, 0, t);
    return p;
}

void tr_mem_free(void *p)
{
    if (!p)
        return;
    struct tr_arena *a = tr__owner(p);
    if (a)
        tr__give(a, p);
    else
        free(p);
}

void *tr_mem_realloc(void *p, size_t n)
{
    if (!p)
        return tr_mem_malloc(n);
    struct tr_arena *a = tr__owner(p);
    if (!a)
        return realloc(p, n);
    /* moved to wherever this process allocates now (the parent, reading
     * a child's observer, grows its arrays in its own heap) */
    size_t old = tr__size_of(p);
    void *q = tr_mem_malloc(n);
    if (!q)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    tr__give(a, p);
    return q;
}

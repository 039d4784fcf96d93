/*
 * The arena (arena.h): two regions. The first holds a header, the user
 * area, then the blocks of up to TR__BIG bytes, taken from its top or
 * from free lists; the second, the larger blocks (chunks of 1,024
 * connections, the flow table's slots), which are few, large and written
 * only in part, from a top of their own. A block is a 16-byte header (its
 * capacity and the size asked for) and its capacity in bytes, a multiple
 * of 16.
 * The first region is mapped shared (tr_arena_new) or private
 * (tr_arena_new_private: a child hands it over with tr_arena_send); the
 * second is always shared, so a child's large blocks are read where it
 * wrote them, and the untouched parts of them cost nobody memory.
 * Blocks of up to 4 KiB are kept in free lists by capacity (the packed
 * connections come and go at a few hundred bytes); larger ones (chunks of
 * connections, the flow table's slots) in one list, first fit within twice
 * the size asked. Nothing is returned to the kernel before tr_arena_free:
 * the observer's memory stays flat because it reuses what it frees.
 */
#define _GNU_SOURCE 1
#include "analyzer/arena.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

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
    size_t reserve;         /* bytes mapped for each region */
    bool shared;            /* the first region MAP_SHARED (else private, handed over by tr_arena_send) */
    char *top;              /* first byte of the first region never handed out */
    char *end;
    char *lbase, *ltop, *lend; /* the second region, and its top */
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
        if (a && (((const char *)p > (const char *)a && (const char *)p < a->end) ||
                  ((const char *)p > a->lbase && (const char *)p < a->lend)))
            return a;
    }
    return NULL;
}

/* A private first region is aligned to 2 MiB and advised to use
 * transparent huge pages: the packed connections, which fill it densely,
 * then take one page fault per 2 MiB instead of 512. On a virtual machine
 * whose page faults trap to the hypervisor (13.9 us per 4 KiB page
 * measured on one, 0.3 us per 4 KiB of a huge page) that was most of what
 * a flow-heavy capture's memory cost: docs/performance.md, "Tenth round".
 * Peak RSS grows by less than one huge page, a fixed base that the
 * memory target's one-connection capture pays too. The second region
 * keeps 4 KiB pages: a huge page there would make every chunk's unwritten
 * part resident. */
#define TR__HUGE ((size_t)2 << 20)
#define TR__BIG ((size_t)64 << 10) /* larger blocks go to the second region */

static int tr__arena_map(struct tr_arena **out, size_t reserve, bool shared)
{
    *out = NULL;
    unsigned slot = 0;
    while (slot < TR__MAX_ARENAS && tr__arenas[slot])
        slot++;
    if (slot == TR__MAX_ARENAS || reserve < (shared ? sizeof(struct tr_arena) + 4096 : 2 * TR__HUGE) ||
        reserve > SIZE_MAX / 4)
        return TR_ENOMEM;
    const size_t slop = shared ? 0 : TR__HUGE;
    char *m = mmap(NULL, reserve + slop, PROT_READ | PROT_WRITE,
                   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return TR_ENOMEM;
    if (slop) {
        /* the start on a huge page's boundary, the rest given back */
        char *al = (char *)(((uintptr_t)m + TR__HUGE - 1) & ~(uintptr_t)(TR__HUGE - 1));
        if (al > m)
            munmap(m, (size_t)(al - m));
        if (al + reserve < m + reserve + slop)
            munmap(al + reserve, (size_t)(m + reserve + slop - (al + reserve)));
        m = al;
#ifdef MADV_HUGEPAGE
        /* advice only: a kernel without transparent huge pages, or with
         * them set to "never", keeps 4 KiB pages. The header's huge page
         * is left out: the parent writes the header before the fork, and
         * a child's first write to a huge page it shares copy-on-write
         * splits it into 512 pages, each faulted again. */
        (void)madvise(m + TR__HUGE, reserve - TR__HUGE, MADV_HUGEPAGE);
#endif
    }
    char *l = mmap(NULL, reserve, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (l == MAP_FAILED) {
        munmap(m, reserve);
        return TR_ENOMEM;
    }
    struct tr_arena *a = (struct tr_arena *)(void *)m;
    a->reserve = reserve;
    a->shared = shared;
    /* the blocks of a private arena begin on the huge page after the header's */
    a->top = shared ? m + ((sizeof *a + 63) & ~(size_t)63) : m + TR__HUGE;
    a->end = m + reserve;
    a->lbase = a->ltop = l;
    a->lend = l + reserve;
    atomic_flag_clear(&a->lock);
    tr__arenas[slot] = a;
    if (slot >= tr__narenas)
        tr__narenas = slot + 1;
    *out = a;
    return TR_OK;
}

int tr_arena_new(struct tr_arena **out, size_t reserve) { return tr__arena_map(out, reserve, true); }

int tr_arena_new_private(struct tr_arena **out, size_t reserve) { return tr__arena_map(out, reserve, false); }

/* The raw system calls: the C library's wrappers are intercepted under
 * AddressSanitizer, which would take the poisoned red zones and free
 * blocks among the bytes sent for bad reads. */
static long tr__pwrite(int fd, const void *p, size_t n, off_t off) { return syscall(SYS_pwrite64, fd, p, n, off); }

static long tr__pread(int fd, void *p, size_t n, off_t off) { return syscall(SYS_pread64, fd, p, n, off); }

/* n bytes between p and fd at offset off, written (out) or read; false
 * when the call fails or the file ends first. */
static bool tr__xfer(int fd, char *p, size_t n, off_t off, bool out)
{
    while (n) {
        long k = out ? tr__pwrite(fd, p, n, off) : tr__pread(fd, p, n, off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k;
        off += k;
        n -= (size_t)k;
    }
    return true;
}

/* The file holds the header at offset 0 and the blocks at their offsets
 * in the arena, the rest of the header's huge page a hole: neither side
 * touches the pages between. Its size is the offset of the top. */
int tr_arena_send(const struct tr_arena *a, int fd)
{
    const char *base = (const char *)a;
    if (a->shared)
        return TR_ESTATE;
    /* the file's size says where the top is, blocks or none */
    if (ftruncate(fd, (off_t)(a->top - base)) < 0)
        return TR_ESYS;
    char *p = (char *)(uintptr_t)base; /* only read: tr__xfer writes it out */
    if (!tr__xfer(fd, p, sizeof *a, 0, true) ||
        !tr__xfer(fd, p + TR__HUGE, (size_t)(a->top - base) - TR__HUGE, (off_t)TR__HUGE, true))
        return TR_ESYS;
    return TR_OK;
}

int tr_arena_receive(struct tr_arena *a, int fd)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return TR_ESYS;
    const size_t reserve = a->reserve;
    char *const base = (char *)a, *const end = a->end, *const lbase = a->lbase, *const lend = a->lend;
    if (a->shared || st.st_size < (off_t)TR__HUGE || (uint64_t)st.st_size > reserve)
        return TR_ESTATE;
    const size_t n = (size_t)st.st_size;
    bool ok = tr__xfer(fd, base, sizeof *a, 0, false) &&
              tr__xfer(fd, base + TR__HUGE, n - TR__HUGE, (off_t)TR__HUGE, false);
    /* what arrived describes this mapping, or the child wrote something else */
    if (!ok || a->reserve != reserve || a->end != end || a->top != base + n || a->shared ||
        a->lbase != lbase || a->lend != lend || a->ltop < lbase || a->ltop > lend) {
        memset(a, 0, sizeof *a);
        a->reserve = reserve;
        a->end = end;
        a->top = base + TR__HUGE;
        a->lbase = a->ltop = lbase;
        a->lend = lend;
        return TR_ESTATE;
    }
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
    TR__UNPOISON(a->lbase, (size_t)(a->ltop - a->lbase));
    munmap(a->lbase, a->reserve);
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
        char **top = cap > TR__BIG ? &a->ltop : &a->top;
        char *end = cap > TR__BIG ? a->lend : a->end;
        if ((size_t)(end - *top) < TR__HDR + cap) {
            tr__unlock(a);
            return NULL;
        }
        u = *top + TR__HDR;
        *top += TR__HDR + cap;
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

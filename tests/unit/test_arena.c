/* The arena (analyzer/arena.c): what a forked child allocates in a shared
 * arena, its parent reads in place after the child has exited, and frees or
 * grows as if it were its own; what it allocates in a private one, the
 * parent sees only once the child has handed it over, at the same
 * addresses, and a hand-over that is not the arena's is refused; blocks
 * come back to be used again; an arena that is full says so instead of
 * overrunning. */
#define _GNU_SOURCE 1
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../support/tt.h"
#include "analyzer/arena.h"
#include "stack/error.h"

struct tt_node {
    struct tt_node *next;
    uint32_t value;
    uint8_t pad[40];
};

struct tt_result {
    struct tt_node *head;
    uint32_t *grown; /* an array grown by realloc in the child */
    size_t ngrown;
    int done;
};

/* A list of 1,000 nodes allocated through tr_mem_* (NULL when memory runs
 * out), the check of its values, and its freeing. */
static struct tt_node *tt_list(void)
{
    struct tt_node *head = NULL;
    for (uint32_t i = 0; i < 1000; i++) {
        struct tt_node *n = tr_mem_malloc(sizeof *n);
        if (!n)
            return NULL;
        n->value = i * 7919u;
        n->next = head;
        head = n;
    }
    return head;
}

static void tt_check_list(const struct tt_node *head)
{
    uint32_t n = 0;
    for (const struct tt_node *p = head; p; p = p->next, n++)
        assert_int_equal(p->value, (999u - n) * 7919u);
    assert_int_equal(n, 1000);
}

static void tt_free_list(struct tt_node *head)
{
    for (struct tt_node *p = head, *next; p; p = next) {
        next = p->next;
        tr_mem_free(p);
    }
}

static void test_a_childs_blocks_are_read_and_freed_by_the_parent(void **state)
{
    (void)state;
    struct tr_arena *a;
    assert_int_equal(tr_arena_new(&a, (size_t)1 << 30), TR_OK);
    struct tt_result *res = tr_arena_user(a);
    memset(res, 0, sizeof *res);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tr_mem_use(a);
        struct tt_node *head = tt_list();
        if (!head)
            _exit(3);
        uint32_t *arr = NULL;
        for (size_t k = 1; k <= 5000; k++) { /* small to large: moved between the lists */
            uint32_t *g = tr_mem_realloc(arr, k * sizeof *g);
            if (!g)
                _exit(4);
            arr = g;
            arr[k - 1] = (uint32_t)(k * 31u);
        }
        res->head = head;
        res->grown = arr;
        res->ngrown = 5000;
        res->done = 1;
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(res->done, 1);
    /* the parent allocates from the C library (it chose no arena) */
    tt_check_list(res->head);
    for (size_t k = 0; k < res->ngrown; k++)
        assert_int_equal(res->grown[k], (uint32_t)((k + 1) * 31u));
    size_t used = tr_arena_used(a);
    assert_true(used >= 1000 * sizeof(struct tt_node) + 5000 * sizeof(uint32_t));
    /* grown by the parent: moved out of the arena, contents kept */
    uint32_t *moved = tr_mem_realloc(res->grown, 10000 * sizeof *moved);
    assert_non_null(moved);
    for (size_t k = 0; k < 5000; k++)
        assert_int_equal(moved[k], (uint32_t)((k + 1) * 31u));
    assert_true(tr_arena_used(a) < used);
    free(moved); /* the C library's now */
    tt_free_list(res->head);
    assert_int_equal(tr_arena_used(a), 0);
    tr_arena_free(a);
}

static void test_a_private_arena_is_handed_over(void **state)
{
    (void)state;
    struct tr_arena *a;
    assert_int_equal(tr_arena_new_private(&a, (size_t)1 << 30), TR_OK);
    int fd = memfd_create("tt-arena", MFD_CLOEXEC);
    assert_true(fd >= 0);
    struct tt_result *res = tr_arena_user(a);
    memset(res, 0, sizeof *res);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        tr_mem_use(a);
        struct tt_node *head = tt_list();
        if (!head)
            _exit(3);
        /* a block of the second region (larger than 64 KiB) */
        uint32_t *big = tr_mem_malloc(300000 * sizeof *big);
        if (!big)
            _exit(4);
        for (size_t k = 0; k < 300000; k++)
            big[k] = (uint32_t)(k ^ 0x5a5a5a5au);
        res->head = head;
        res->grown = big;
        res->ngrown = 300000;
        res->done = 1;
        _exit(tr_arena_send(a, fd) == TR_OK ? 0 : 5);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    /* private: nothing of the child's is seen before the hand-over */
    assert_int_equal(res->done, 0);
    assert_int_equal(tr_arena_used(a), 0);
    assert_int_equal(tr_arena_receive(a, fd), TR_OK);
    close(fd);
    assert_int_equal(res->done, 1);
    tt_check_list(res->head);
    for (size_t k = 0; k < res->ngrown; k++)
        if (res->grown[k] != (uint32_t)(k ^ 0x5a5a5a5au))
            fail_msg("large block word %zu: %u", k, res->grown[k]);
    assert_true(tr_arena_used(a) >= 1000 * sizeof(struct tt_node) + 300000 * sizeof(uint32_t));
    /* the parent frees them as its own, and allocates there again */
    tr_mem_free(res->grown);
    tt_free_list(res->head);
    assert_int_equal(tr_arena_used(a), 0);
    tr_mem_use(a);
    void *again = tr_mem_malloc(sizeof(struct tt_node));
    assert_non_null(again);
    tr_mem_free(again);
    tr_mem_use(NULL);
    tr_arena_free(a);
}

static void test_a_hand_over_that_is_not_the_arenas_is_refused(void **state)
{
    (void)state;
    struct tr_arena *a, *other, *shared;
    assert_int_equal(tr_arena_new_private(&a, (size_t)1 << 30), TR_OK);
    assert_int_equal(tr_arena_new_private(&other, (size_t)1 << 30), TR_OK);
    assert_int_equal(tr_arena_new(&shared, (size_t)1 << 30), TR_OK);
    int fd = memfd_create("tt-arena", MFD_CLOEXEC);
    assert_true(fd >= 0);
    /* an empty file */
    assert_int_equal(tr_arena_receive(a, fd), TR_ESTATE);
    /* garbage the size of a hand-over */
    unsigned char junk[4096];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 131u + 7u);
    for (off_t off = 0; off < (off_t)3 << 20; off += (off_t)sizeof junk)
        assert_int_equal(pwrite(fd, junk, sizeof junk, off), (ssize_t)sizeof junk);
    assert_int_equal(tr_arena_receive(a, fd), TR_ESTATE);
    /* another arena's hand-over: its addresses are not this one's */
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(tr_arena_send(other, fd), TR_OK);
    assert_int_equal(tr_arena_receive(a, fd), TR_ESTATE);
    /* longer than the arena */
    assert_int_equal(ftruncate(fd, (off_t)1 << 31), 0);
    assert_int_equal(tr_arena_receive(a, fd), TR_ESTATE);
    /* a shared arena is neither sent nor received */
    assert_int_equal(tr_arena_send(shared, fd), TR_ESTATE);
    assert_int_equal(tr_arena_receive(shared, fd), TR_ESTATE);
    close(fd);
    /* a refused arena is empty and still allocates */
    assert_int_equal(tr_arena_used(a), 0);
    tr_mem_use(a);
    void *p = tr_mem_malloc(1000), *q = tr_mem_malloc((size_t)1 << 20);
    assert_non_null(p);
    assert_non_null(q);
    memset(p, 1, 1000);
    memset(q, 2, (size_t)1 << 20);
    tr_mem_free(p);
    tr_mem_free(q);
    tr_mem_use(NULL);
    assert_int_equal(tr_arena_used(a), 0);
    tr_arena_free(shared);
    tr_arena_free(other);
    tr_arena_free(a);
}

static void test_freed_blocks_are_used_again(void **state)
{
    (void)state;
    struct tr_arena *a;
    assert_int_equal(tr_arena_new(&a, (size_t)1 << 30), TR_OK);
    tr_mem_use(a);
    void *small[64], *large[4];
    for (int i = 0; i < 64; i++) {
        small[i] = tr_mem_malloc(100 + (size_t)i * 16);
        assert_non_null(small[i]);
        memset(small[i], 0xa5, 100 + (size_t)i * 16);
    }
    for (int i = 0; i < 4; i++) {
        large[i] = tr_mem_malloc((size_t)1 << 20);
        assert_non_null(large[i]);
    }
    size_t used = tr_arena_used(a);
    /* freed, then asked for again with the same sizes: the same blocks,
     * and the arena grows no further */
    for (int i = 0; i < 64; i++)
        tr_mem_free(small[i]);
    for (int i = 0; i < 4; i++)
        tr_mem_free(large[i]);
    assert_int_equal(tr_arena_used(a), 0);
    for (int round = 0; round < 100; round++) {
        void *p[64];
        for (int i = 0; i < 64; i++)
            assert_non_null(p[i] = tr_mem_malloc(100 + (size_t)i * 16));
        void *q = tr_mem_malloc((size_t)1 << 20);
        assert_non_null(q);
        assert_true(q == large[0] || q == large[1] || q == large[2] || q == large[3]);
        assert_int_equal(tr_arena_used(a) <= used, true);
        for (int i = 0; i < 64; i++)
            tr_mem_free(p[i]);
        tr_mem_free(q);
    }
    /* calloc zeroes a block that was used before */
    unsigned char *z = tr_mem_calloc(1, 100);
    assert_non_null(z);
    for (int i = 0; i < 100; i++)
        assert_int_equal(z[i], 0);
    tr_mem_free(z);
    volatile size_t huge = SIZE_MAX / 2; /* n * size overflows */
    assert_null(tr_mem_calloc(huge, 4));
    tr_mem_use(NULL);
    tr_arena_free(a);
}

static void test_a_full_arena_refuses(void **state)
{
    (void)state;
    struct tr_arena *a;
    assert_int_equal(tr_arena_new(&a, (size_t)1 << 20), TR_OK);
    tr_mem_use(a);
    size_t got = 0;
    void *p;
    while ((p = tr_mem_malloc(4000)) != NULL)
        got++;
    assert_true(got > 200 && got < 262);
    assert_null(tr_mem_malloc((size_t)1 << 21));
    assert_null(tr_mem_realloc(NULL, (size_t)1 << 30));
    tr_mem_use(NULL);
    /* the C library's blocks go back to it */
    void *c = tr_mem_malloc(64);
    assert_non_null(c);
    c = tr_mem_realloc(c, 1 << 16);
    assert_non_null(c);
    tr_mem_free(c);
    tr_arena_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_childs_blocks_are_read_and_freed_by_the_parent),
        cmocka_unit_test(test_a_private_arena_is_handed_over),
        cmocka_unit_test(test_a_hand_over_that_is_not_the_arenas_is_refused),
        cmocka_unit_test(test_freed_blocks_are_used_again),
        cmocka_unit_test(test_a_full_arena_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

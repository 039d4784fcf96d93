/* The shared arena (analyzer/arena.c): what a forked child allocates there,
 * its parent reads in place after the child has exited, and frees or grows
 * as if it were its own; blocks come back to be used again; an arena that
 * is full says so instead of overrunning. */
#include <stdlib.h>
#include <string.h>
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
        struct tt_node *head = NULL;
        for (uint32_t i = 0; i < 1000; i++) {
            struct tt_node *n = tr_mem_malloc(sizeof *n);
            if (!n)
                _exit(3);
            n->value = i * 7919u;
            n->next = head;
            head = n;
        }
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
    uint32_t n = 0;
    for (struct tt_node *p = res->head; p; p = p->next, n++)
        assert_int_equal(p->value, (999u - n) * 7919u);
    assert_int_equal(n, 1000);
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
    for (struct tt_node *p = res->head, *next; p; p = next) {
        next = p->next;
        tr_mem_free(p);
    }
    assert_int_equal(tr_arena_used(a), 0);
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
        cmocka_unit_test(test_freed_blocks_are_used_again),
        cmocka_unit_test(test_a_full_arena_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

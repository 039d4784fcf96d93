/* Under AddressSanitizer, a block of the shared arena (analyzer/arena.c)
 * is as guarded as one of malloc's: writing one byte past it, or into it
 * once freed, must stop the program with a report. Run by CTest in
 * sanitizer builds only, once per case, expecting the report:
 *   arena_poison overflow | use-after-free | large-use-after-free */
#include <stdio.h>
#include <string.h>

#include "analyzer/arena.h"

int main(int argc, char **argv)
{
    struct tr_arena *a;
    if (argc != 2 || tr_arena_new(&a, (size_t)1 << 26) != 0)
        return 2;
    tr_mem_use(a);
    volatile char *small = tr_mem_malloc(100);
    volatile char *large = tr_mem_malloc(100000);
    if (!small || !large)
        return 2;
    small[99] = 1; /* inside: fine */
    large[99999] = 1;
    if (!strcmp(argv[1], "overflow"))
        small[100] = 1;
    else if (!strcmp(argv[1], "use-after-free")) {
        tr_mem_free((void *)small);
        small[0] = 1; /* the free list's link lives there: poisoned too */
    } else if (!strcmp(argv[1], "large-use-after-free")) {
        tr_mem_free((void *)large);
        large[50000] = 1;
    } else
        return 2;
    puts("no report");
    return 0;
}

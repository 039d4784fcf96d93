/*
 * tt_maxrss CMD [ARG...]: runs CMD (its standard input, output and error
 * inherited) and then prints "maxrss KIB status N" on standard error: the
 * peak resident set of CMD as the kernel accounts it (ru_maxrss of the
 * child) and its exit status (128 + signal when killed).
 *
 * Why a program of its own: a child's ru_maxrss starts from the resident
 * set of the process it was forked from (the copied address space counts
 * until exec), so a child of a Python test would show at least Python's
 * few MiB. Forked from this small program, CMD's figure is its own.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: tt_maxrss CMD [ARG...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("tt_maxrss: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        perror("tt_maxrss: exec");
        _exit(127);
    }
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) {
        perror("tt_maxrss: wait4");
        return 2;
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    fprintf(stderr, "maxrss %ld status %d\n", ru.ru_maxrss, code);
    return code;
}

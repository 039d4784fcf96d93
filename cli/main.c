/* tcpref: the command line. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char tr__help[] =
    "usage: tcpref COMMAND [options] [args]\n"
    "\n"
    "A TCP analyzer built around a reference TCP stack (RFC 9293, 6298, 7323,\n"
    "5681, 2018).\n"
    "\n"
    "commands:\n"
    "  analyze FILE...        per-connection report from pcap/pcapng captures\n"
    "  check FILE...          the CI gate: exit 1 when findings reach --fail-on or\n"
    "                         expectations (--expect) are not met\n"
    "  sockets FILE --at T    the socket table (like ss) at time T of a capture\n"
    "  live -i IFACE          the same analysis on live traffic, findings streamed\n"
    "  replay FILE --iface IFACE --local IP --peer IP[:PORT]\n"
    "                         replay one side of a recorded connection with\n"
    "                         tcpref's own stack against a real peer, compare\n"
    "                         the outcome with the recording\n"
    "  merge REPORT.json...   join the JSON reports of 'analyze --shard K/N' runs\n"
    "  rules                  the rule catalog\n"
    "  help COMMAND           the help of a command (same as COMMAND --help)\n"
    "\n"
    "options:\n"
    "  -h, --help             this help\n"
    "  -V, --version          the version\n"
    "\n"
    "exit status: 0 success; 1 findings that fail a gate (check), or a replay\n"
    "that DIVERGED; 2 usage error or unreadable input; 3 an INCONCLUSIVE replay.\n";

struct tr__cmd {
    const char *name;
    int (*run)(int argc, char **argv);
};

static const struct tr__cmd tr__cmds[] = {
    {"analyze", tr_cmd_analyze},
    {"check", tr_cmd_check},
    {"rules", tr_cmd_rules},
    {"sockets", tr_cmd_sockets},
    {"live", tr_cmd_live},
    {"replay", tr_cmd_replay},
    {"merge", tr_cmd_merge},
};

static const struct tr__cmd *tr__find_cmd(const char *name)
{
    for (unsigned i = 0; i < sizeof tr__cmds / sizeof tr__cmds[0]; i++)
        if (!strcmp(tr__cmds[i].name, name))
            return &tr__cmds[i];
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(tr__help, stderr);
        return TR_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
        fputs(tr__help, stdout);
        return TR_EXIT_OK;
    }
    if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
        printf("tcpref %s\n", TCPREF_VERSION);
        return TR_EXIT_OK;
    }
    if (!strcmp(a, "help")) {
        const struct tr__cmd *c = argc > 2 ? tr__find_cmd(argv[2]) : NULL;
        if (!c) {
            fputs(tr__help, argc > 2 ? stderr : stdout);
            return argc > 2 ? TR_EXIT_USAGE : TR_EXIT_OK;
        }
        char *hargv[] = {argv[2], "--help", NULL};
        return c->run(2, hargv);
    }
    const struct tr__cmd *c = tr__find_cmd(a);
    if (!c) {
        fprintf(stderr, "tcpref: unknown command '%s' (try 'tcpref --help')\n", a);
        return TR_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}

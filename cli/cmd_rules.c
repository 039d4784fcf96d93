#include <getopt.h>
#include <jansson.h>
#include <string.h>

#include "analyzer/rules.h"
#include "cli/cli.h"

static const char tr__rules_help[] =
    "usage: tcpref rules [--format text|json|markdown] [RULE-ID...]\n"
    "\n"
    "Prints the rule catalog: every check tcpref makes, with its id, default\n"
    "severity, class (protocol: an endpoint broke a rule; capture: the capture\n"
    "cannot be trusted there), the RFC text it enforces and the corresponding\n"
    "Wireshark expert flag. With RULE-IDs, only those rules.\n";

static json_t *tr__rule_json(const struct tr_rule_info *ri)
{
    json_t *j = json_object();
    json_object_set_new(j, "id", json_string(ri->id));
    json_object_set_new(j, "severity", json_string(tr_severity_name(ri->severity)));
    json_object_set_new(j, "class", json_string(tr_class_name(ri->cls)));
    json_object_set_new(j, "rfc", json_string(ri->rfc));
    json_object_set_new(j, "wireshark", ri->wireshark[0] ? json_string(ri->wireshark) : json_null());
    json_object_set_new(j, "message", json_string(ri->message));
    json_object_set_new(j, "expected", json_string(ri->expected));
    json_object_set_new(j, "observed", json_string(ri->observed));
    return j;
}

/* Markdown cell text: <, > and | escaped. */
static void tr__md(const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", stdout);
        else if (*s == '>')
            fputs("&gt;", stdout);
        else if (*s == '|')
            fputs("\\|", stdout);
        else
            putchar(*s);
    }
}

static void tr__rule_md(const struct tr_rule_info *ri)
{
    printf("| `%s` | %s | %s | ", ri->id, tr_severity_name(ri->severity), tr_class_name(ri->cls));
    tr__md(ri->message);
    fputs(" | ", stdout);
    tr__md(ri->rfc[0] ? ri->rfc : "-");
    printf(" | %s |\n", ri->wireshark[0] ? ri->wireshark : "-");
}

static bool tr__wanted(const char *id, int n, char **ids)
{
    if (n == 0)
        return true;
    for (int i = 0; i < n; i++)
        if (!strcmp(ids[i], id))
            return true;
    return false;
}

static void tr__rule_text(const struct tr_rule_info *ri)
{
    printf("%-34s %-8s %-9s\n", ri->id, tr_severity_name(ri->severity), tr_class_name(ri->cls));
    printf("    %s\n", ri->message);
    if (ri->rfc[0])
        printf("    %s\n", ri->rfc);
    if (ri->wireshark[0])
        printf("    Wireshark: %s\n", ri->wireshark);
}

int tr_cmd_rules(int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, 0, 'f'},
                                       {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int fmt = 0; /* 0 text, 1 json, 2 markdown */
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "f:h", lo, NULL)) != -1) {
        if (opt == 'h') {
            fputs(tr__rules_help, stdout);
            return TR_EXIT_OK;
        }
        if (opt != 'f' || (strcmp(optarg, "json") && strcmp(optarg, "text") &&
                           strcmp(optarg, "markdown"))) {
            fputs("try 'tcpref rules --help'\n", stderr);
            return TR_EXIT_USAGE;
        }
        fmt = !strcmp(optarg, "json") ? 1 : !strcmp(optarg, "markdown") ? 2 : 0;
    }
    for (int i = optind; i < argc; i++)
        if (tr_rule_find(argv[i]) < 0) {
            tr_cli_error("rules", "no rule '%s'", argv[i]);
            return TR_EXIT_USAGE;
        }
    json_t *arr = json_array();
    if (fmt == 2)
        printf("| rule | severity | class | what it means | RFC | Wireshark |\n|---|---|---|---|---|---|\n");
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        const struct tr_rule_info *ri = tr_rule_info((enum tr_rule)r);
        if (!tr__wanted(ri->id, argc - optind, argv + optind))
            continue;
        if (fmt == 1)
            json_array_append_new(arr, tr__rule_json(ri));
        else if (fmt == 2)
            tr__rule_md(ri);
        else
            tr__rule_text(ri);
    }
    if (fmt == 1) {
        json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
        putchar('\n');
    }
    json_decref(arr);
    return TR_EXIT_OK;
}

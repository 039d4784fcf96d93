#include "analyzer/rules.h"

#include <string.h>

/* The catalog, and the policy of this run (tcpref check --rules): the
 * severity may be overridden and a rule disabled. The policy is set before
 * any analysis starts and only read afterwards (threads included). */
static struct tr_rule_info tr__rules[TR_RULE_COUNT] = {
#define TR__RULE_ROW(en, id, sev, cls, rfc, ws, exp, obs, msg)                                  \
    [TR_RULE_##en] = {id, TR_SEV_##sev, TR_CLASS_##cls, rfc, ws, exp, obs, msg},
    TR_RULE_MAP(TR__RULE_ROW)
#undef TR__RULE_ROW
};
static const struct tr_rule_info tr__catalog[TR_RULE_COUNT] = {
#define TR__RULE_ROW(en, id, sev, cls, rfc, ws, exp, obs, msg)                                  \
    [TR_RULE_##en] = {id, TR_SEV_##sev, TR_CLASS_##cls, rfc, ws, exp, obs, msg},
    TR_RULE_MAP(TR__RULE_ROW)
#undef TR__RULE_ROW
};
static bool tr__disabled[TR_RULE_COUNT];

const struct tr_rule_info *tr_rule_info(enum tr_rule r)
{
    return (unsigned)r < TR_RULE_COUNT ? &tr__rules[r] : NULL;
}

const struct tr_rule_info *tr_rule_catalog(enum tr_rule r)
{
    return (unsigned)r < TR_RULE_COUNT ? &tr__catalog[r] : NULL;
}

void tr_rule_set_severity(enum tr_rule r, enum tr_severity s)
{
    if ((unsigned)r < TR_RULE_COUNT)
        tr__rules[r].severity = (uint8_t)s;
}

void tr_rule_set_enabled(enum tr_rule r, bool on)
{
    if ((unsigned)r < TR_RULE_COUNT)
        tr__disabled[r] = !on;
}

bool tr_rule_enabled(enum tr_rule r) { return (unsigned)r < TR_RULE_COUNT && !tr__disabled[r]; }

void tr_rule_policy_reset(void)
{
    memcpy(tr__rules, tr__catalog, sizeof tr__rules);
    memset(tr__disabled, 0, sizeof tr__disabled);
}

int tr_rule_find(const char *id)
{
    for (int i = 0; i < TR_RULE_COUNT; i++)
        if (strcmp(tr__rules[i].id, id) == 0)
            return i;
    return -1;
}

const char *tr_severity_name(enum tr_severity s)
{
    static const char *const n[] = {"info", "warning", "error"};
    return (unsigned)s < 3 ? n[s] : "?";
}

const char *tr_class_name(enum tr_class c) { return c == TR_CLASS_CAPTURE ? "capture" : "protocol"; }

int tr_severity_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(s, tr_severity_name((enum tr_severity)i)) == 0)
            return i;
    return -1;
}

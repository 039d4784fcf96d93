#include "analyzer/rules.h"

#include <string.h>

static const struct tr_rule_info tr__rules[TR_RULE_COUNT] = {
#define TR__RULE_ROW(en, id, sev, cls, rfc, ws, exp, obs, msg)                                  \
    [TR_RULE_##en] = {id, TR_SEV_##sev, TR_CLASS_##cls, rfc, ws, exp, obs, msg},
    TR_RULE_MAP(TR__RULE_ROW)
#undef TR__RULE_ROW
};

const struct tr_rule_info *tr_rule_info(enum tr_rule r)
{
    return (unsigned)r < TR_RULE_COUNT ? &tr__rules[r] : NULL;
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

/*
 * tcpref check's rules-file parser (analyzer/gate.c, tr_rules_parse) on
 * arbitrary bytes: JSON or not, nested anyhow.
 *
 * Checked: it returns 0 or TR_EPARSE; an error is one line that names the
 * file; a file it accepts gives a profile whose bounds are ordered and a
 * severity table of valid values, and applying it and resetting the policy
 * leaves the catalog as it was.
 */
#include <string.h>

#include "analyzer/gate.h"
#include "fuzz.h"
#include "stack/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const bases[] = {NULL, "linux", "rfc"};
    struct tr_rules_file rf;
    char err[TR_GATE_ERRLEN];
    err[0] = 0;
    const char *base = bases[size ? data[0] % 3 : 0];
    int rc = tr_rules_parse((const char *)data, size, "fuzz.json", base, &rf, err, sizeof err);
    FZ_CHECK(rc == 0 || rc == TR_EPARSE);
    if (rc < 0) {
        FZ_CHECK(strncmp(err, "fuzz.json: ", 11) == 0);
        FZ_CHECK(strchr(err, '\n') == NULL);
        return 0;
    }
    FZ_CHECK(rf.prof.rto.min_ns <= rf.prof.rto.max_ns);
    FZ_CHECK(rf.prof.persist_min_ns <= rf.prof.persist_max_ns);
    FZ_CHECK(rf.fail_on >= -1 && rf.fail_on <= TR_SEV_ERROR);
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        FZ_CHECK(rf.severity[r] >= -1 && rf.severity[r] <= TR_SEV_ERROR);
        FZ_CHECK(rf.enable[r] <= TR_RULESET_DISABLE);
    }
    FZ_CHECK(!rf.th.retx_on || rf.th.retx_bp <= 10000);
    tr_rules_apply(&rf);
    tr_rule_policy_reset();
    for (int r = 0; r < TR_RULE_COUNT; r++) {
        FZ_CHECK(tr_rule_enabled((enum tr_rule)r));
        FZ_CHECK(tr_rule_info((enum tr_rule)r)->severity == tr_rule_catalog((enum tr_rule)r)->severity);
    }
    return 0;
}

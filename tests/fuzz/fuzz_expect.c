/*
 * tcpref check's expectations-file parser (analyzer/gate.c,
 * tr_expect_parse) on arbitrary bytes.
 *
 * Checked: it returns 0 or TR_EPARSE (TR_ENOMEM aside); an error is one
 * line naming the file and leaves nothing allocated; an accepted file has
 * must entries that name an existing rule exactly, directions of the four
 * names, and must_not patterns with a rule, a class or a severity.
 */
#include <string.h>

#include "analyzer/gate.h"
#include "fuzz.h"
#include "stack/error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tr_expect e;
    char err[TR_GATE_ERRLEN];
    err[0] = 0;
    int rc = tr_expect_parse((const char *)data, size, "fuzz.json", &e, err, sizeof err);
    FZ_CHECK(rc == 0 || rc == TR_EPARSE || rc == TR_ENOMEM);
    if (rc < 0) {
        FZ_CHECK(strncmp(err, "fuzz.json: ", 11) == 0);
        FZ_CHECK(strchr(err, '\n') == NULL);
        FZ_CHECK(e.must == NULL && e.must_not == NULL);
        return 0;
    }
    for (unsigned i = 0; i < e.nmust; i++) {
        FZ_CHECK(tr_rule_find(e.must[i].rule) >= 0);
        FZ_CHECK(!e.must[i].has_dir || !strcmp(e.must[i].dir, "client-to-server") ||
                 !strcmp(e.must[i].dir, "server-to-client") || !strcmp(e.must[i].dir, "A-to-B") ||
                 !strcmp(e.must[i].dir, "B-to-A"));
        FZ_CHECK(!e.must[i].has_frame || e.must[i].frame >= 1);
    }
    for (unsigned i = 0; i < e.nmust_not; i++)
        FZ_CHECK(e.must_not[i].rule[0] != 0);
    tr_expect_free(&e);
    return 0;
}

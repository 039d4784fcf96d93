#include "stack/error.h"

struct tr__err_entry {
    int code;
    const char *name;
    const char *text;
};

static const struct tr__err_entry tr__errors[] = {
#define TR__ERR_ROW(name, text) {TR_E##name, #name, text},
    TR_ERRNO_MAP(TR__ERR_ROW)
#undef TR__ERR_ROW
};

static const struct tr__err_entry *tr__err_find(int err)
{
    for (unsigned i = 0; i < sizeof tr__errors / sizeof tr__errors[0]; i++)
        if (tr__errors[i].code == err)
            return &tr__errors[i];
    return 0;
}

const char *tr_strerror(int err)
{
    if (err == TR_OK)
        return "success";
    const struct tr__err_entry *e = tr__err_find(err);
    return e ? e->text : "unknown error";
}

const char *tr_errname(int err)
{
    if (err == TR_OK)
        return "OK";
    const struct tr__err_entry *e = tr__err_find(err);
    return e ? e->name : "UNKNOWN";
}

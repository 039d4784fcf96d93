/* The reports of one observed file, written to memory and checked. */
#include <jansson.h>
#include <string.h>

#include "analyzer/report.h"
#include "fuzz.h"

static void fz__file(struct tr_file_result *f, struct tr_obs *o, struct tr_source *src,
                     int status)
{
    memset(f, 0, sizeof *f);
    f->path = "fuzz.cap";
    f->opened = true;
    f->nobs = 1;
    f->obs[0] = o;
    f->err = status < 0 ? status : 0;
    if (!src)
        return;
    if (status < 0)
        snprintf(f->error, sizeof f->error, "%s", tr_source_error(src));
    tr_source_stats(src, &f->src);
    f->nwarn = tr_source_warning_count(src);
    for (unsigned i = 0; i < f->nwarn && i < TR_SOURCE_MAX_WARN; i++)
        snprintf(f->warn[i], sizeof f->warn[i], "%s", tr_source_warning(src, i));
}

/* The JSON report parses, and its totals are the observer's. */
static void fz__check_json(const char *text, const struct tr_obs *o)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j)
        fprintf(stderr, "report is not JSON: %s at %d\n", e.text, e.position);
    FZ_CHECK(j != NULL);
    json_t *files = json_object_get(json_object_get(j, "input"), "files");
    FZ_CHECK(json_array_size(files) == 1);
    json_t *pk = json_object_get(json_array_get(files, 0), "packets");
    FZ_CHECK(json_is_integer(pk));
    FZ_CHECK((uint64_t)json_integer_value(pk) == tr_obs_input(o)->packets);
    uint32_t n;
    tr_obs_sorted((struct tr_obs *)o, &n);
    FZ_CHECK(json_array_size(json_object_get(j, "connections")) == n);
    json_decref(j);
}

void fz_report(struct tr_obs *o, struct tr_source *src, int read_status)
{
    struct tr_file_result f;
    fz__file(&f, o, src, read_status);
    struct tr_analysis a = {.threads = 1, .nfiles = 1, .files = &f};
    struct tr_report_opts ro = {.command = "analyze", .profile = "linux", .width = 80,
                                .show_info = true};
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    FZ_CHECK(m != NULL);
    FZ_CHECK(tr_report_json(m, &a, &ro) == 0);
    fclose(m);
    fz__check_json(buf, o);
    free(buf);
    buf = NULL;
    m = open_memstream(&buf, &len);
    FZ_CHECK(m != NULL);
    FZ_CHECK(tr_report_text(m, &a, &ro) == 0);
    fclose(m);
    free(buf);
}

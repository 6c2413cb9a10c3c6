/*
** The results tree: every number of the report, in the shape of
** INTERFACE.md section 4, held as one cJSON tree.  report.json is this tree
** printed; the PDF is rendered from it, so the two cannot disagree.
**
** The analyses (src/analysis) run before, in main; this module only
** arranges their numbers under the keys of INTERFACE.md section 4 (and
** docs/results.md) and names them.  It never reads a file and never draws.
*/
#ifndef QA_RESULTS_H
#define QA_RESULTS_H

#include <cjson/cJSON.h>

#include "analysis/analysis.h"
#include "input/study.h"
#include "util/error.h"
#include "util/progress.h"

#define QA_VERSION "0.1.0"

typedef struct qa_results_opts {
  long long epoch;         /* the "generated" date, seconds since 1970 UTC */
  int n_threads;
} qa_results_opts;

int qa_results_build(const qa_study *study, const qa_analysis *analysis,
                     const qa_results_opts *opts, qa_progress *p, cJSON **out,
                     qa_error *err);

/* OpenBLAS's configuration string ("OpenBLAS 0.3.21 ..."), or "unknown". */
const char *qa_openblas_version(void);

/* Adds a number, or null when v is NaN or infinite ("a value that does not
** exist is null"). */
cJSON *qa_json_num(cJSON *obj, const char *key, double v);
/* Adds a string, or null when s is NULL. */
cJSON *qa_json_str(cJSON *obj, const char *key, const char *s);

/* ISO-8601 UTC timestamp of epoch: "2026-11-23T05:24:32Z". */
void qa_iso8601(long long epoch, char out[32]);

/* Lookups for renderers: the number at key, or NAN when absent or null;
** the string at key, or NULL. */
double qa_json_get_num(const cJSON *obj, const char *key);
const char *qa_json_get_str(const cJSON *obj, const char *key);

#endif

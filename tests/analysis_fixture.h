/*
** A study analysed in-process for the analysis tests: the caller writes
** its caches as DIR/<name>.h5 (each test file has its own writer), then
** qa_test_study_run() writes DIR/config.json for one model "m" with those
** variants (first = baseline) and runs config, study and analysis.
*/
#ifndef QA_TEST_ANALYSIS_FIXTURE_H
#define QA_TEST_ANALYSIS_FIXTURE_H

#include <stddef.h>

#include "analysis/analysis.h"

typedef struct qa_test_study {
  qa_config *cfg;
  qa_study *study;
  qa_analysis *a;
} qa_test_study;

/* A fresh folder qa_test_tmpdir()/PREFIX-TAG into dir (cap bytes); 0 or
** -1 (failure recorded). */
int qa_test_study_dir(const char *prefix, const char *tag, char *dir, size_t cap);

/* DIR/config.json naming DIR/<names[i]>.h5, with variant_extra[i] (may be
** NULL, or hold NULLs) appended to variant i's object, model_extra to the
** model's and extra to the top level (each ", \"key\": value" or NULL),
** then the analysis.  0, or -1 with a failure recorded. */
int qa_test_study_run(const char *dir, const char *const *names, size_t n,
                      const char *const *variant_extra, const char *model_extra,
                      const char *extra, qa_test_study *out);

void qa_test_study_free(qa_test_study *s);

/* The claim with this id, or a placeholder whose status is "(missing claim)". */
const qa_claim_result *qa_test_claim(const qa_test_study *s, const char *id);

#endif

/*
** Between results.c (the top of the tree) and results_analysis.c (the
** analysis's numbers).  Not for use outside src/results.
*/
#ifndef QA_RESULTS_INTERNAL_H
#define QA_RESULTS_INTERNAL_H

#include <cjson/cJSON.h>

#include "analysis/analysis.h"

/* Adds representation/outputs/benchmark/generation/perf and the tier of
** variant v of model m to its object. */
void qa_results_add_variant(cJSON *obj, const qa_study *s, const qa_analysis *a, size_t m,
                            size_t v);
/* Adds model m's "depth" object (the layer list and the probes' setup)
** when its baseline has hidden layers. */
void qa_results_add_depth(cJSON *obj, const qa_study *s, const qa_analysis *a, size_t m);
/* Adds the study-wide parts: adjacent tests, multiple comparisons, power,
** tiers, tier counts, decision matrix, claims. */
void qa_results_add_study(cJSON *root, const qa_study *s, const qa_analysis *a);

#endif

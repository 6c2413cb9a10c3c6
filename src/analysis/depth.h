/*
** Damage by depth (STATISTICS.md "Depth: every hidden layer"): for each
** model, every hidden layer present in both the baseline and a variant,
** in the order of qa_layer_order, with per layer and variant the cosine
** mean and p05, SQNR, linear CKA (repr.h) and, when the samples have
** labels, the ridge probes (probe.h): the variant's own probe and the
** baseline's probe applied unchanged to the variant's states.
**
** The configured layer's cosine, SQNR and CKA are the representation
** analysis' numbers (qa_repr_result), taken as they are; every other
** layer is read on demand (input/layer_read.h), a few at a time, so that
** memory holds the baseline's layers of one batch and one variant's, never
** every layer of every variant.
**
** Types only here; analysis.h declares qa_analysis_depth, as it declares
** every module's entry.  A number that does not exist is NaN.
*/
#ifndef QA_ANALYSIS_DEPTH_H
#define QA_ANALYSIS_DEPTH_H

#include <stddef.h>

#include "analysis/probe.h"

/* One variant at one layer (INTERFACE.md section 4, "layers"). */
typedef struct qa_depth_cell {
  int present;                  /* the variant has the layer: numbers below exist */
  double cosine_mean, cosine_p05, sqnr_db, cka_linear;
  qa_probe_layer probe;         /* every field NaN without labels */
} qa_depth_cell;

/* A layer a variant lists that its baseline does not: not analysed. */
typedef struct qa_depth_extra {
  size_t variant;
  const char *layer;            /* borrowed from the variant's cache */
} qa_depth_extra;

typedef struct qa_depth_model {
  int present;                  /* the baseline lists hidden layers */
  size_t n_layers;              /* the baseline's layers, in qa_layer_order */
  const char **layers;          /* [n_layers] names, borrowed from the baseline's cache */
  size_t *dim;                  /* [n_layers] D of each */
  size_t configured;            /* index of the configured layer; SIZE_MAX: none */
  int has_probes;               /* labels exist (and N >= 2): probes computed */
  size_t n_train, n_test;       /* the probes' split of the N rows */
  size_t n_variants;
  qa_depth_cell *cells;         /* [n_variants * n_layers], variant-major */
  size_t n_missing;             /* baseline layers absent from a variant, summed */
  size_t n_extra;
  qa_depth_extra *extra;        /* [n_extra] */
} qa_depth_model;

/* Cell of variant v at layer k (k in list order). */
static inline const qa_depth_cell *qa_depth_cell_at(const qa_depth_model *d, size_t v,
                                                    size_t k) {
  return &d->cells[v * d->n_layers + k];
}

void qa_depth_model_free(qa_depth_model *d);   /* the arrays; safe on a zeroed model */

#endif

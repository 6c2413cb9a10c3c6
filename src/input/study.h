/*
** The study: every model of the configuration with its variants' caches
** loaded, validated against their baseline (N, D, C, id sets, labels) and
** reordered to the baseline's rows, so that row i of every array of every
** variant of a model is the same sample, and item j of a task the same item.
**
** After qa_study_load succeeds nothing downstream re-checks the data.
** Every /hidden layer a cache lists has the cache's N rows, and a layer a
** variant shares with its baseline has the baseline's D; only the
** configured layer is loaded, the others are read on demand by
** input/layer_read.h in the baseline's row order (qa_variant.row_dest).
*/
#ifndef QA_STUDY_H
#define QA_STUDY_H

#include <stddef.h>
#include <stdint.h>

#include "input/cache.h"
#include "input/config.h"
#include "util/error.h"
#include "util/progress.h"

typedef struct qa_variant {
  const qa_variant_cfg *cfg;
  char *name;                  /* config name, else the file's `variant` */
  qa_cache *cache;             /* aligned to the baseline */
  int is_baseline;
  int has_bits_per_weight; double bits_per_weight;   /* config over file */
  int has_params;          int64_t params;           /* variant, model, file */
  int has_vram_gb;         double vram_gb;           /* measured, else estimate */
  int vram_measured;           /* 1: from the file or config; 0: estimated */
  size_t *row_dest;            /* [N]: the baseline row of the cache's row j in the
                                  file's own order, kept for reading its other
                                  layers (input/layer_read.h) when the cache lists
                                  a layer besides the loaded one and its rows were
                                  reordered; NULL: the file's order is the baseline's */
  char sha256[65];             /* "" while sha256_deferred */
  int sha256_deferred;         /* 1: hashed by the token stream (qa_variant_result) */
  uint64_t bytes;
} qa_variant;

typedef struct qa_model {
  char *name;
  size_t n_variants;
  qa_variant *variants;        /* config order: highest to lowest precision */
  size_t baseline;             /* index into variants */
  size_t n_classes;            /* C of the model: the classes its caches name
                                  (label names or logits columns), else the
                                  largest label or prediction + 1; 0 when no
                                  cache has classes.  Every label and
                                  prediction of every variant is in [0, C). */
} qa_model;

typedef struct qa_study {
  const qa_config *cfg;        /* borrowed */
  size_t n_models;
  qa_model *models;
} qa_study;

/* Loads and aligns every cache of cfg.  Progress goes to p (may be NULL). */
int qa_study_load(const qa_config *cfg, qa_progress *p, qa_study **out, qa_error *err);

void qa_study_free(qa_study *study);

/* The class name of label l of a model ("3" when the caches name none);
** writes into buf when it has to format a number. */
const char *qa_study_class_name(const qa_model *m, int32_t l, char *buf, size_t cap);

/* Index of the class called name in model m (a label name, or the label
** number written as a string), or -1. */
int qa_study_class_index(const qa_model *m, const char *name);

#endif

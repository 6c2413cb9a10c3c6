/*
** The configuration file (INTERFACE.md section 3), parsed with cJSON into
** plain structs with every default filled in.
**
** Unknown keys, wrong types and out-of-range values are errors (exit 1)
** naming the key path, e.g. "study.json: analysis.knn_kk: unknown key".
** Paths of caches and of the report template ("template") are resolved
** relative to the configuration file.
** Nothing outside src/input touches cJSON's parsing API.
*/
#ifndef QA_CONFIG_H
#define QA_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The seven disclosure fields, in report order. */
#define QA_N_DISCLOSURE 7
extern const char *const qa_disclosure_fields[QA_N_DISCLOSURE];

typedef struct qa_variant_cfg {
  char *name;              /* NULL: taken from the file's `variant` attribute */
  char *file;              /* as written in the config */
  char *path;              /* resolved against the config's directory */
  int has_bits_per_weight; double bits_per_weight;
  int has_params;          int64_t params;
  int has_vram_gb;         double vram_gb;
} qa_variant_cfg;

typedef struct qa_model_cfg {
  char *name;              /* NULL: taken from the baseline file's `model` attribute */
  char *baseline;          /* variant name; NULL: the first variant */
  int has_params;          int64_t params;
  size_t n_variants;
  qa_variant_cfg *variants;   /* highest to lowest precision */
} qa_model_cfg;

typedef struct qa_tier_cfg {
  char *name;
  double max_drop_pp, max_drop_pct;
  double max_kld;          /* mean token KLD in nats; HUGE_VAL: not constrained */
} qa_tier_cfg;

typedef struct qa_critical_cfg {
  char *label, *predicted; /* class names (or label numbers as strings) */
  long max;
} qa_critical_cfg;

typedef struct qa_claim_cfg {
  char *id, *text, *kind, *variant, *model, *tier, *metric;
  int has_margin;   double margin;
  int has_min_drop; double min_drop;
  int has_value;    double value;
  int has_max;      long max;
} qa_claim_cfg;

/* analysis.ece_bins is an integer in [1, QA_CONFIG_MAX_ECE_BINS]. */
#define QA_CONFIG_MAX_ECE_BINS 1000

/* At most this many TOST margins per list (analysis.tost_margins_*). */
#define QA_MAX_MARGINS 8

/* analysis.overlap_ks: at most this many k, each in [1, QA_MAX_OVERLAP_K];
** analysis.worst_samples in [0, QA_MAX_WORST_SAMPLES]. */
#define QA_MAX_OVERLAP_KS 16
#define QA_MAX_OVERLAP_K 1000
#define QA_MAX_WORST_SAMPLES 1000

typedef struct qa_config {
  char *path;              /* the configuration file as given */
  char *dir;               /* its directory, for relative paths */
  char *title, *subtitle, *author;
  char *disclosure[QA_N_DISCLOSURE];   /* NULL: not declared */
  char *caveats;           /* disclosure.caveats: printed as a caveat; NULL: none */
  char *layer;
  size_t n_models;
  qa_model_cfg *models;
  /* analysis */
  double alpha, power;
  int knn_k;
  double tost_margin_pp, tost_margin_pct;
  /* Paired TOST margins reported beside the claim margin (default 3 and 5). */
  size_t n_tost_margins_pp, n_tost_margins_pct;
  double tost_margins_pp[QA_MAX_MARGINS], tost_margins_pct[QA_MAX_MARGINS];
  long long pairs_max;
  int ece_bins;            /* B of outputs.calibration (default 15) */
  size_t n_overlap_ks;     /* representation.overlap_at's k (default 1, 5, 10, 50) */
  int overlap_ks[QA_MAX_OVERLAP_KS];
  double probe_ridge;      /* the probes' ridge factor (default 0.01) */
  int worst_samples;       /* rows of representation.worst_samples (default 10) */
  size_t n_key_metrics;
  char **key_metrics;
  size_t n_tiers;
  qa_tier_cfg *tiers;
  /* deploy */
  size_t n_vram_tiers;
  double *vram_tiers_gb;
  double usd_per_hour, vram_overhead;
  const char *memory_unit;     /* "GB" (10^9 bytes, default) or "GiB" (2^30) */
  double memory_unit_bytes;    /* 1e9 or 2^30 */
  int throughput_arithmetic;   /* 1: cost from the arithmetic mean of tok/s */
  size_t n_critical;
  qa_critical_cfg *critical;
  size_t n_claims;
  qa_claim_cfg *claims;
  char *template_dir;      /* "template": the report template's folder, resolved
                              against dir; NULL: the default (docs/templates.md) */
  char *source_text;       /* the file's bytes, for the provenance appendix */
  uint64_t max_memory_bytes;  /* set by the command line (--max-memory); 0: available */
} qa_config;

/* Parses the file at path.  On failure returns -1 with err set (exit 1 for
** configuration errors, 3 when the file cannot be read) and *out NULL. */
int qa_config_load(const char *path, qa_config **out, qa_error *err);

/* Parses text as if read from path (for tests). */
int qa_config_parse(const char *text, const char *path, qa_config **out,
                    qa_error *err);

void qa_config_free(qa_config *cfg);

#endif

/*
** The analysis of a study: every number of STATISTICS.md for every variant
** against its model's baseline, then the study-wide parts (adjacent tests,
** multiple comparisons, tiers, decision matrix, claims).
**
** Pure computation on the aligned study; no file, no JSON, no page.  NaN
** stands for "does not exist" and becomes null in report.json.  The
** results module turns a qa_analysis into the results tree.
*/
#ifndef QA_ANALYSIS_H
#define QA_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#include "analysis/coverage.h"
#include "analysis/depth.h"
#include "analysis/outputs.h"
#include "analysis/stats.h"
#include "analysis/tokens.h"
#include "input/study.h"
#include "util/error.h"
#include "util/progress.h"

typedef struct qa_class_result {
  int32_t label;
  size_t n;
  double cosine_mean, knn_accuracy, knn_delta_pp;
  /* Exact McNemar on the class's per-sample kNN correctness, baseline vs
  ** variant, and Holm over the variant's classes; NaN for the baseline or
  ** without kNN. */
  double knn_mcnemar_p, knn_mcnemar_p_holm;
} qa_class_result;

/* At most this many overlap_ks (QA_MAX_OVERLAP_KS of config.h). */
#define QA_REPR_MAX_OVERLAP 16

typedef struct qa_repr_result {
  int present;
  size_t n, dim, knn_k, pairs;
  double cos_mean, cos_median, cos_p05, cos_min;
  double sqnr_db, spearman_rho;
  double knn_accuracy, knn_delta_pp, neighbor_overlap;
  double cka_linear, effective_rank, participation_ratio;
  double cos_ci_lo, cos_ci_hi;             /* t-interval of the per-sample cosines */
  double knn_wilson_lo, knn_wilson_hi;     /* Wilson 95% of knn_accuracy */
  size_t n_classes;             /* rows of per_class: the classes with samples */
  qa_class_result *per_class;   /* [n_classes] in label order, or NULL without labels */
  /* Kept for figures. */
  double *cosine;               /* [n] per-sample cosine */
  double *spectrum;             /* [dim] eigenvalues, descending */
  double *pca_xy;               /* [2n] projection on the baseline's axes */
  /* Neighbour overlap at each configured k < n (representation.overlap_at). */
  size_t n_overlap;
  int overlap_k[QA_REPR_MAX_OVERLAP];
  double overlap_at[QA_REPR_MAX_OVERLAP];
  double coverage, density;     /* Naeem et al. 2020 against the baseline; NaN: none */
  size_t n_worst;               /* representation.worst_samples (variants only) */
  qa_worst_sample *worst;       /* [n_worst], index = baseline row */
  size_t knn_lists;             /* K >= knn_k: length of each neighbors list */
  int32_t *neighbors;           /* [n*knn_lists], freed after the model is done */
  int32_t *knn_pred;            /* [n] kNN predictions, freed with neighbors */
  double gram_frob2;            /* |Xc'Xc|_F^2, for CKA (not reported) */
} qa_repr_result;

typedef struct qa_critical_result {
  int32_t label, predicted;
  long count, max;
  int pass;
} qa_critical_result;

typedef struct qa_outputs_result {
  int present;
  size_t n;
  double accuracy, wilson_lo, wilson_hi;   /* NaN without labels */
  double top1_agreement;
  double kl_mean, kl_median, kl_p99, kl_max;   /* NaN without logits */
  double *kl;                              /* [n] per sample, or NULL */
  size_t n_critical;
  qa_critical_result *critical;
  double accuracy_delta_pp;                /* 100 (acc_V − acc_B); NaN without both */
  qa_outputs_calibration calib;            /* present 0 without logits and labels */
  size_t n_classes;                        /* rows of per_class: the classes with samples */
  qa_outputs_class *per_class;             /* [n_classes] in label order, or NULL */
} qa_outputs_result;

typedef struct qa_task_result {
  const char *task;
  size_t n, correct;
  double accuracy, wilson_lo, wilson_hi, delta_pp;
} qa_task_result;

/* One (task, stratum) of benchmark.strata; STATISTICS.md "benchmark.strata". */
typedef struct qa_stratum_result {
  const char *task, *stratum;              /* borrowed from the baseline's cache */
  size_t n, correct;
  double accuracy, wilson_lo, wilson_hi;   /* Wilson 95% */
  double delta_pp;                         /* 100 (acc_V − acc_B) on the stratum's items */
  uint64_t b, c;                           /* B right & V wrong, B wrong & V right */
  double mcnemar_p, mcnemar_p_holm;        /* NaN for the baseline; Holm over every
                                              stratum of the variant, all tasks */
} qa_stratum_result;

typedef struct qa_bench_result {
  int present;
  size_t n, correct;
  double accuracy, wilson_lo, wilson_hi, delta_pp;
  double welch_t, welch_df, welch_p, welch_se, cohens_d;
  double mcnemar_p;
  uint64_t mcnemar_b, mcnemar_c;
  double tost_p;
  int equivalent;                          /* -1: not tested (baseline) */
  double mde_pp;
  /* The paired analysis (items paired by id): the one claims and the
  ** summary use; STATISTICS.md "Benchmark accuracy" (paired). */
  qa_paired_result paired;                 /* on d_i = correct_V − correct_B */
  double paired_tost_p;                    /* at tost_margin_pp */
  int paired_equivalent;                   /* -1: not tested (baseline) */
  double margin_tost_p[QA_MAX_MARGINS];    /* at each of tost_margins_pp */
  size_t n_tasks;
  qa_task_result *tasks;
  size_t n_strata;                         /* strata with items, of the tasks that have them */
  qa_stratum_result *strata;               /* [n_strata] by task, then stratum index */
} qa_bench_result;

typedef struct qa_metric_result {
  const char *metric;
  size_t n;
  double mean, sd, ci_lo, ci_hi, delta_pct, welch_p, cohens_d, tost_p;
  int equivalent;
  double base_mean;                        /* the baseline's mean on the same items */
  qa_paired_result paired;                 /* on d_i = score_V − score_B */
  double paired_tost_p;                    /* at tost_margin_pct % of the baseline mean */
  int paired_equivalent;                   /* -1: not tested (baseline) */
  double margin_tost_p[QA_MAX_MARGINS];    /* at each of tost_margins_pct */
} qa_metric_result;

typedef struct qa_gen_result {
  int present;
  double key_avg, delta_pct, mde_d;
  size_t n_metrics;
  qa_metric_result *metrics;
} qa_gen_result;

typedef struct qa_perf_result {
  size_t n_decode, n_ttft;
  double decode_mean, decode_hmean, decode_median, decode_cv_pct;
  double ttft_mean, ttft_median;
  double usd_per_mtok, savings_pct;
} qa_perf_result;

typedef struct qa_variant_result {
  qa_repr_result repr;
  qa_outputs_result out;
  qa_bench_result bench;
  qa_gen_result gen;
  qa_perf_result perf;
  qa_tokens_result tokens;                 /* present 0 without /tokens/logits */
  char input_sha256[65];                   /* the cache's digest when the token stream
                                              took it (qa_variant.sha256_deferred) */
  double bench_signal, gen_signal;         /* NaN when absent */
  const char *bench_signal_source;         /* "benchmark", "outputs", "knn", NULL */
  size_t tier;                             /* index into cfg tiers; n_tiers = unacceptable */
  int critical_failed;
} qa_variant_result;

typedef struct qa_adjacent_test {
  size_t model, higher, lower;             /* indices into the study */
  const char *family;                      /* "benchmark", "generation" or "tokens" */
  const char *metric;                      /* "accuracy", the metric name, or "nll" */
  size_t n;
  double mean_higher, mean_lower, d, t, p, p_bonferroni, p_holm;
  double p_paired, p_paired_holm;          /* McNemar (benchmark), paired t (generation) */
} qa_adjacent_test;

typedef struct qa_decision_row {
  size_t model, variant;
  double vram_gb;
} qa_decision_row;

/* A (model, variant) chosen for a use case; present 0: none qualifies. */
typedef struct qa_pick {
  int present;
  size_t model, variant;
} qa_pick;

enum { QA_PICK_QUALITY, QA_PICK_THROUGHPUT, QA_PICK_COST, QA_N_PICKS };

typedef struct qa_decision_tier {
  double vram_gb;
  size_t n_rows;
  qa_decision_row *rows;                   /* sorted by decode tok/s, descending */
  qa_pick picks[QA_N_PICKS];               /* among recommended rows that fit */
} qa_decision_tier;

/* Per model (STATISTICS.md "Tier, cost, memory"); SIZE_MAX: none. */
typedef struct qa_model_decision {
  size_t sweet_spot, cliff;
  double sweet_spot_noninf_p;              /* NaN without benchmark data */
} qa_model_decision;

typedef struct qa_claim_result {
  const char *id, *text;
  const char *status;                      /* one of the four statuses */
  char evidence[1024];
} qa_claim_result;

typedef struct qa_analysis {
  const qa_study *study;
  qa_variant_result **models;              /* [model][variant] */
  size_t n_adjacent;
  qa_adjacent_test *adjacent;
  size_t n_significant, n_bonferroni, n_holm;
  double mde_pp, mde_d;                    /* study-wide power summary */
  size_t bench_n_min, gen_n_min;
  size_t n_decision;
  qa_decision_tier *decision;
  qa_model_decision *model_decisions;      /* [model] */
  size_t n_claims;
  qa_claim_result *claims;
  qa_depth_model *depth;                   /* [model]: every hidden layer (depth.c) */
} qa_analysis;

typedef struct qa_analysis_opts {
  int threads;                             /* 0: all cores */
} qa_analysis_opts;

int qa_analysis_run(const qa_study *study, const qa_analysis_opts *opts, qa_progress *p,
                    qa_analysis **out, qa_error *err);
void qa_analysis_free(qa_analysis *a);

/* 1 when tier index t is recommended: the first or second configured tier. */
int qa_analysis_tier_recommended(const qa_config *cfg, size_t t);
/* The throughput a variant's cost and ranking use: the harmonic mean of its
** decode tok/s, or the arithmetic mean when deploy.throughput_mean says so. */
double qa_analysis_throughput(const qa_config *cfg, const qa_perf_result *pf);
/* Absolute quality of a variant: pooled benchmark accuracy, else output
** accuracy, else kNN accuracy (a proportion); NaN when none exists. */
double qa_analysis_quality(const qa_variant_result *r);

/* Name of tier index t ("unacceptable" past the configured ones). */
const char *qa_analysis_tier_name(const qa_config *cfg, size_t t);

/* ---- the modules, one family of numbers each (analysis.c calls them) ---- */

/* representation.c: every variant of model m against its baseline. */
/* The memory the analyses may use beside the loaded caches: what
** --max-memory leaves after them, else what the machine has available now;
** *what names it for an error message. */
uint64_t qa_analysis_work_budget(const qa_study *s, const char **what);

int qa_analysis_representation(const qa_study *s, size_t m, qa_variant_result *res,
                               int threads, qa_progress *p, qa_error *err);
/* Before any work: refuses (QA_EXIT_DATA, "CACHE:/hidden/LAYER: ...") a
** layer whose spectrum/PCA eigenproblem cannot run, min(N, D) above
** QA_REPR_EIGEN_MAX or its matrices above budget_bytes ("GB <budget_what>"). */
int qa_analysis_representation_check(const qa_study *s, uint64_t budget_bytes,
                                     const char *budget_what, qa_error *err);
/* depth.c: every hidden layer of model m (STATISTICS.md "Depth"), the
** configured layer's cosine, SQNR and CKA taken from res (run after the
** representation); the other layers read on demand.  Progress to p. */
int qa_analysis_depth(const qa_study *s, size_t m, const qa_variant_result *res, int threads,
                      qa_progress *p, qa_depth_model *out, qa_error *err);
/* outputs.c */
int qa_analysis_outputs(const qa_study *s, size_t m, qa_variant_result *res, qa_error *err);
/* benchmark.c: benchmark, generation and performance. */
int qa_analysis_benchmark(const qa_study *s, size_t m, qa_variant_result *res, qa_error *err);
int qa_analysis_generation(const qa_study *s, size_t m, qa_variant_result *res, qa_error *err);
void qa_analysis_perf(const qa_study *s, size_t m, qa_variant_result *res);
/* One adjacent test of hi against lo (fills t; metric names are borrowed
** from the caches).  Return 1 when both have the data, 0 when not, -1 when
** out of memory. */
int qa_analysis_pair_bench(const qa_cache *hi, const qa_cache *lo, qa_adjacent_test *t);
int qa_analysis_pair_metric(const qa_cache *hi, const qa_cache *lo, const char *metric,
                            qa_adjacent_test *t);
/* decide.c: tiers, adjacent tests, multiple comparisons, decision matrix. */
void qa_analysis_tiers(const qa_study *s, qa_analysis *a);
int qa_analysis_adjacent(const qa_study *s, qa_analysis *a, qa_error *err);
int qa_analysis_decisions(const qa_study *s, qa_analysis *a, qa_error *err);
/* claims.c */
int qa_analysis_claims(const qa_study *s, qa_analysis *a, qa_error *err);

#endif

/*
** Every definition of STATISTICS.md that qaudit implements, held against
** an independent value on one crafted study (and two small ones without
** benchmark or hidden data): each claim status of each claim kind, the KL
** summary, mde_pp at p != 0.5, a failed critical-error check, the measured
** vram_gb path, the generation Welch TOST margin, key_avg over key_metrics
** only, the signs of knn_accuracy_delta_pp and savings_pct, decode_cv_pct
** where sd != variance, and tier_at_most's margin.
**
** The study, model "m", baseline fp16 and variants q8, q2, q4:
**  - 16 samples, D = 4, labels i % 3 ("a", "b", "c"); hidden states and
**    logits below, drawn with NumPy (default_rng(11)) and pasted (hidden
**    rounded to 3 decimals, logits to multiples of 1/16 so that the float32
**    cache stores them exactly); q4 has the baseline's hidden states.
**  - one task t1 of 100 items (ids 1000 + i): baseline correct when
**    i % 10 < 7 (70 of 100); q8 loses items 0 and 1 and gains item 7 (b = 2,
**    c = 1); q2 loses every right item with i % 10 < 2 (b = 20, c = 0); q4
**    equals the baseline.  Scores: key metric m = 1.5 + 0.01 ((37 i) % 101)
**    (baseline), q8 0.99 m + 0.002 (((53 i) % 11) - 5), q2 0.8 m + 0.01
**    (((29 i) % 13) - 6), q4 m; non-key metric m2 = 10 + i % 5 for the
**    baseline and half that in every variant.
**  - decode tok/s fp16 {40, 50, 60, 45}, q8 {80, 100, 90, 70}, q2 {120, 150,
**    130, 100}, q4 {60, 66, 72, 90}.
**  - vram: fp16 estimated (params 1e9 x 16 bits / 8 x 1.1 / 1e9 = 2.2 GB),
**    q8 measured by its cache attribute vram_gb 0.75, q2 by its config
**    vram_gb 0.3, q4 by both (config 0.5 over attribute 0.9).
** Expected values: SciPy 1.10.1 / NumPy (Debian python3-scipy), with the
** calls written beside each; the scripts are summarised in each comment.
**
** Planted bugs (issue 11) each of these catches: the generation TOST
** margin not scaled by the baseline mean (definitions_generation_*), KL
** p99 taken as p95 (definitions_kl_*), savings_pct and
** knn_accuracy_delta_pp with the wrong sign (definitions_perf_*,
** definitions_representation_*), decode_cv_pct from the variance
** (definitions_perf_*), tier_at_most's margin off by 10x
** (definitions_claims_tier_*), key_avg over every metric
** (definitions_generation_*, definitions_claims_*).
*/
#include "harness.h"
#include "h5fixture.h"
#include "analysis_fixture.h"

#include <stdlib.h>

#include "analysis/analysis.h"
#include "results/results.h"

#define REL(got, want, rel) CHECK_NEAR((got), (want), fabs(want) * (rel))

/* ---- the data (NumPy, see the header) ---- */

static const double H_BASE[64] = {1.009, 0.34, 0.306, 0.072, -0.074, 0.868, 0.142, 0.186, 0.187, -0.462, 1.392, 0.176, 1.17, -0.034, -0.095, 0.316, 0.206, 0.949, -0.038, 0.371, -0.218, -0.379, 1.099, 0.032, 0.52, -0.204, -0.117, -0.098, -0.373, 1.009, 0.224, 0.142, -0.186, 0.096, 1.179, 0.125, 1.136, 0.261, -0.052, -0.003, 0.087, 1.062, 0.275, -0.121, -0.165, -0.21, 0.566, 0.232, 1.132, -0.185, 0.346, 0.405, 0.157, 1.1, 0.239, -0.133, 0.153, 0.151, 0.558, 0.287, 0.937, 0.195, -0.11, 0.195};
static const double H_Q8[64] = {1.026, 0.296, 0.336, 0.067, -0.049, 0.842, 0.196, 0.216, 0.178, -0.43, 1.455, 0.266, 1.091, 0.01, -0.072, 0.311, 0.156, 1.012, -0.101, 0.399, -0.153, -0.459, 1.084, -0.033, 0.532, -0.128, -0.016, -0.187, -0.402, 1.044, 0.303, 0.163, -0.223, 0.111, 1.178, 0.115, 1.099, 0.28, -0.037, -0.008, 0.076, 0.998, 0.251, -0.061, -0.175, -0.282, 0.633, 0.259, 1.237, -0.182, 0.323, 0.333, 0.223, 1.228, 0.198, -0.165, 0.183, 0.109, 0.544, 0.27, 0.947, 0.25, -0.109, 0.241};
static const double H_Q2[64] = {0.757, 0.537, -0.977, -0.798, 0.404, 0.514, 0.49, 0.511, 0.98, 0.025, 2.002, 0.109, 0.751, -0.473, -0.388, -0.362, -0.122, 0.893, 0.113, 0.168, -1.372, -0.422, 1.234, 0.683, 0.867, -0.59, -0.551, 1.108, 0.081, 2.108, 1.502, -0.349, 0.045, 0.371, 1.515, 0.45, 1.257, 0.365, -0.953, -0.102, -0.362, 1.138, -0.006, 0.25, 0.326, -0.025, 0.756, 0.288, 0.863, -0.284, 0.049, 0.638, 0.165, 1.449, -0.558, 0.4, -0.305, -0.29, 0.44, -0.051, 1.112, -0.149, -0.752, -0.312};
static const double L_BASE[48] = {2.625, 0.0, -0.5625, 0.0, 1.25, 0.875, -0.75, 0.25, 2.25, 1.25, 0.125, 0.5, 0.25, 2.125, 0.5, 0.0625, 0.1875, 1.9375, 2.3125, -0.5, 0.375, -0.25, 1.4375, 0.1875, 0.875, 0.5, 1.75, 2.375, -0.25, -0.0625, 0.0625, 0.8125, 0.125, -0.5, -0.375, 1.25, 1.25, -0.5, 0.4375, 0.8125, 2.0, 0.5625, -0.125, -0.9375, 2.0625, 2.25, -0.1875, 0.125};
/* Sample 2 (label c) predicted a: 15 of 16 right, no critical error. */
static const double L_Q8[48] = {2.8125, -0.25, -1.0, -0.0625, 1.1875, 0.75, 2.625, 0.75, 2.125, 1.4375, 0.4375, 0.6875, 0.5625, 2.0, 0.75, 0.6875, 0.4375, 1.75, 2.5, -0.125, 0.5, -0.4375, 1.875, -0.1875, 1.0, 0.5, 1.375, 2.75, -0.125, -0.4375, 0.25, 0.6875, -0.4375, -0.6875, -0.3125, 1.4375, 1.3125, -0.5, 0.5625, 0.75, 2.375, 0.625, -0.0625, -0.75, 1.75, 2.0625, 0.25, 0.25};
static const double L_Q2[48] = {2.3125, 0.3125, -1.0625, 0.25, 0.5625, 1.125, -2.3125, 1.5625, 1.75, -0.3125, -0.125, 0.125, 0.375, 1.0, 0.875, 3.6875, -1.0625, 2.25, 2.0, -0.3125, -1.4375, -1.375, 1.875, 0.125, 2.5, -0.1875, 1.9375, 5.3125, -1.0, -0.9375, 0.0, 0.75, 1.0, -0.375, -1.125, 1.4375, 3.875, 0.75, -2.375, 0.6875, 1.125, 1.1875, -0.3125, 1.0, 3.0, 3.125, 0.0, 0.0625};
/* The baseline's logits with classes a and b swapped for samples 0 and 3
** (label a): two "a predicted as b" critical errors, nothing else. */
static const double L_Q4[48] = {0.0, 2.625, -0.5625, 0.0, 1.25, 0.875, -0.75, 0.25, 2.25, 0.125, 1.25, 0.5, 0.25, 2.125, 0.5, 0.0625, 0.1875, 1.9375, 2.3125, -0.5, 0.375, -0.25, 1.4375, 0.1875, 0.875, 0.5, 1.75, 2.375, -0.25, -0.0625, 0.0625, 0.8125, 0.125, -0.5, -0.375, 1.25, 1.25, -0.5, 0.4375, 0.8125, 2.0, 0.5625, -0.125, -0.9375, 2.0625, 2.25, -0.1875, 0.125};

enum { V_BASE, V_Q8, V_Q2, V_Q4, N_VAR };
#define N_ITEMS 100

/* One cache: the fixture's fields plus what fx_write_cache cannot write
** (a 100-item task with two metrics, own decode timings, vram_gb). */
typedef struct dcache {
  fx_cache fx;
  int items;                    /* 1: write task t1 below */
  int64_t correct[N_ITEMS];
  double m[N_ITEMS], m2[N_ITEMS];
  size_t n_decode;
  double decode[8];
  double vram_attr;             /* > 0: root attribute vram_gb */
  int without_labels;           /* 1: /samples/label and label_names removed */
} dcache;

static int write_dcache(const char *path, const dcache *c) {
  fx_cache fx = c->fx;
  if (c->items) fx.without_eval = 1;
  if (fx_write_cache(path, &fx)) return -1;
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) return -1;
  int rc = 0;
  if (c->items) {
    int64_t ids[N_ITEMS];
    for (int i = 0; i < N_ITEMS; i++) ids[i] = 1000 + i;
    hsize_t n[1] = {N_ITEMS};
    rc |= fx_ints(f, "/eval/t1/id", H5T_STD_I64LE, 1, n, ids);
    rc |= fx_ints(f, "/eval/t1/correct", H5T_STD_U8LE, 1, n, c->correct);
    rc |= fx_floats(f, "/eval/t1/score/m", H5T_IEEE_F64LE, 1, n, c->m, 0);
    rc |= fx_floats(f, "/eval/t1/score/m2", H5T_IEEE_F64LE, 1, n, c->m2, 0);
  }
  if (c->n_decode) {
    hsize_t k[1] = {c->n_decode};
    rc |= H5Ldelete(f, "/perf/decode_tok_s", H5P_DEFAULT) < 0;
    rc |= fx_floats(f, "/perf/decode_tok_s", H5T_IEEE_F64LE, 1, k, c->decode, 0);
  }
  if (c->vram_attr > 0) rc |= fx_attr_f64(f, "vram_gb", c->vram_attr);
  if (c->without_labels) {
    rc |= H5Ldelete(f, "/samples/label", H5P_DEFAULT) < 0;
    rc |= H5Ldelete(f, "/samples/label_names", H5P_DEFAULT) < 0;
  }
  H5Fclose(f);
  return rc ? -1 : 0;
}

typedef qa_test_study fixture;

/* Caches as <name>.h5 (write_dcache) in a fresh folder, then the config of
** one model "m" with those variants (first = baseline), the variants' and
** model's extra members and the extra top-level members, and the analysis
** run in-process (analysis_fixture.h).  Returns 0 or -1. */
static int build(const char *tag, const dcache *const *caches, const char *const *names,
                 const char *const *variant_extra, size_t n, const char *model_extra,
                 const char *extra, fixture *fx) {
  char dir[600], path[800];
  memset(fx, 0, sizeof *fx);
  if (qa_test_study_dir("definitions", tag, dir, sizeof dir)) return -1;
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s.h5", dir, names[i]);
    if (write_dcache(path, caches[i])) return qa_test_fail(__FILE__, __LINE__, "write") - 1;
  }
  return qa_test_study_run(dir, names, n, variant_extra, model_extra, extra, fx);
}

static void release(fixture *fx) { qa_test_study_free(fx); }

static const qa_claim_result *claim(const fixture *fx, const char *id) {
  return qa_test_claim(fx, id);
}

/* The four caches of the header. */
static void study_caches(dcache *c) {
  static const double *const hidden[N_VAR] = {H_BASE, H_Q8, H_Q2, H_BASE};
  static const double *const logits[N_VAR] = {L_BASE, L_Q8, L_Q2, L_Q4};
  static const double decode[N_VAR][4] = {
    {40, 50, 60, 45}, {80, 100, 90, 70}, {120, 150, 130, 100}, {60, 66, 72, 90}};
  for (int v = 0; v < N_VAR; v++) {
    dcache *d = &c[v];
    memset(d, 0, sizeof *d);
    fx_default_cache(&d->fx);
    d->fx.n = 16;
    d->fx.d = 4;
    d->fx.c = 3;
    for (int i = 0; i < 16; i++) {
      d->fx.ids[i] = 10 + i;
      d->fx.labels[i] = i % 3;
    }
    memcpy(d->fx.hidden, hidden[v], 64 * sizeof(double));
    memcpy(d->fx.logits, logits[v], 48 * sizeof(double));
    d->items = 1;
    for (int i = 0; i < N_ITEMS; i++) {
      double m = 1.5 + 0.01 * (double)((i * 37) % 101);
      int right = i % 10 < 7;
      d->m2[i] = 10.0 + (double)(i % 5);
      if (v != V_BASE) d->m2[i] *= 0.5;
      switch (v) {
      case V_Q8:
        d->m[i] = m * 0.99 + 0.002 * (double)(((i * 53) % 11) - 5);
        if (i == 0 || i == 1) right = 0;
        if (i == 7) right = 1;
        break;
      case V_Q2:
        d->m[i] = m * 0.8 + 0.01 * (double)(((i * 29) % 13) - 6);
        if (right && i % 10 < 2) right = 0;
        break;
      default:
        d->m[i] = m;
      }
      d->correct[i] = right;
    }
    d->n_decode = 4;
    memcpy(d->decode, decode[v], sizeof decode[v]);
  }
  c[V_Q8].vram_attr = 0.75;
  c[V_Q4].vram_attr = 0.9;
}

static const char *const NAMES[N_VAR] = {"fp16", "q8", "q2", "q4"};
static const char *const VARIANT_EXTRA[N_VAR] = {
  ", \"bits_per_weight\": 16", NULL, ", \"vram_gb\": 0.3", ", \"vram_gb\": 0.5"};

#define CL(id, kind, var, rest)                                                 \
  "{\"id\": \"" id "\", \"text\": \"-\", \"kind\": \"" kind "\", \"variant\": \"" var "\"" \
  rest "}"

static const char *const STUDY_EXTRA =
  "\"analysis\": {\"key_metrics\": [\"m\"], \"knn_k\": 3}, "
  "\"deploy\": {\"vram_tiers_gb\": [1, 4]}, "
  "\"critical_errors\": [{\"label\": \"a\", \"predicted\": \"b\", \"max\": 0}], "
  "\"claims\": ["
  CL("T_base", "tier_at_most", "fp16", ", \"tier\": \"negligible\"") ","
  CL("T_neg", "tier_at_most", "q8", ", \"tier\": \"negligible\"") ","
  CL("T_conc", "tier_at_most", "q8", ", \"tier\": \"concerning\"") ","
  CL("T_q2", "tier_at_most", "q2", ", \"tier\": \"concerning\"") ","
  CL("T_q4", "tier_at_most", "q4", ", \"tier\": \"concerning\"") ","
  CL("EB5", "equivalent", "q8", ", \"metric\": \"benchmark\", \"margin\": 5") ","
  CL("EB2", "equivalent", "q8", ", \"metric\": \"benchmark\", \"margin\": 2") ","
  CL("EB05", "equivalent", "q8", ", \"metric\": \"benchmark\", \"margin\": 0.5") ","
  CL("EG5", "equivalent", "q8", ", \"metric\": \"generation\", \"margin\": 5") ","
  CL("EG102", "equivalent", "q8", ", \"metric\": \"generation\", \"margin\": 1.02") ","
  CL("EG05", "equivalent", "q8", ", \"metric\": \"generation\", \"margin\": 0.5") ","
  CL("W5", "worse_than_baseline", "q2", ", \"metric\": \"benchmark\", \"min_drop\": 5") ","
  CL("W18", "worse_than_baseline", "q2", ", \"metric\": \"benchmark\", \"min_drop\": 18") ","
  CL("W25", "worse_than_baseline", "q2", ", \"metric\": \"benchmark\", \"min_drop\": 25") ","
  CL("BL1", "metric_at_least", "q8", ", \"metric\": \"benchmark\", \"value\": 0.55") ","
  CL("BL2", "metric_at_least", "q8", ", \"metric\": \"benchmark\", \"value\": 0.65") ","
  CL("BL3", "metric_at_least", "q8", ", \"metric\": \"benchmark\", \"value\": 0.75") ","
  CL("BM1", "metric_at_most", "q8", ", \"metric\": \"benchmark\", \"value\": 0.8") ","
  CL("BM2", "metric_at_most", "q8", ", \"metric\": \"benchmark\", \"value\": 0.7") ","
  CL("BM3", "metric_at_most", "q8", ", \"metric\": \"benchmark\", \"value\": 0.6") ","
  CL("AL1", "metric_at_least", "q8", ", \"metric\": \"accuracy\", \"value\": 0.7") ","
  CL("AL2", "metric_at_least", "q8", ", \"metric\": \"accuracy\", \"value\": 0.9") ","
  CL("AL3", "metric_at_least", "q8", ", \"metric\": \"accuracy\", \"value\": 0.95") ","
  CL("AM1", "metric_at_most", "q8", ", \"metric\": \"accuracy\", \"value\": 0.99") ","
  CL("AM2", "metric_at_most", "q8", ", \"metric\": \"accuracy\", \"value\": 0.95") ","
  CL("AM3", "metric_at_most", "q8", ", \"metric\": \"accuracy\", \"value\": 0.9") ","
  CL("CL1", "metric_at_least", "q2", ", \"metric\": \"cosine_mean\", \"value\": 0.6") ","
  CL("CL2", "metric_at_least", "q2", ", \"metric\": \"cosine_mean\", \"value\": 0.7") ","
  CL("CL3", "metric_at_least", "q2", ", \"metric\": \"cosine_mean\", \"value\": 0.8") ","
  CL("CM1", "metric_at_most", "q2", ", \"metric\": \"cosine_mean\", \"value\": 0.85") ","
  CL("CM2", "metric_at_most", "q2", ", \"metric\": \"cosine_mean\", \"value\": 0.75") ","
  CL("CM3", "metric_at_most", "q2", ", \"metric\": \"cosine_mean\", \"value\": 0.7") ","
  CL("KL1", "metric_at_least", "q2", ", \"metric\": \"knn_accuracy\", \"value\": 0.7") ","
  CL("KL2", "metric_at_least", "q2", ", \"metric\": \"knn_accuracy\", \"value\": 0.9") ","
  CL("KL3", "metric_at_least", "q2", ", \"metric\": \"knn_accuracy\", \"value\": 0.95") ","
  CL("KM1", "metric_at_most", "q2", ", \"metric\": \"knn_accuracy\", \"value\": 0.99") ","
  CL("KM2", "metric_at_most", "q2", ", \"metric\": \"knn_accuracy\", \"value\": 0.95") ","
  CL("KM3", "metric_at_most", "q2", ", \"metric\": \"knn_accuracy\", \"value\": 0.9") ","
  CL("SL1", "metric_at_least", "q8", ", \"metric\": \"sqnr_db\", \"value\": 20") ","
  CL("SL2", "metric_at_least", "q8", ", \"metric\": \"sqnr_db\", \"value\": 21") ","
  CL("SM1", "metric_at_most", "q8", ", \"metric\": \"sqnr_db\", \"value\": 21") ","
  CL("KLM1", "metric_at_most", "q8", ", \"metric\": \"kl_mean\", \"value\": 0.1") ","
  CL("KLM2", "metric_at_most", "q8", ", \"metric\": \"kl_mean\", \"value\": 0.05") ","
  CL("CE_q4_2", "critical_errors_at_most", "q4", ", \"max\": 2") ","
  CL("CE_q4_1", "critical_errors_at_most", "q4", ", \"max\": 1") ","
  CL("CE_q8_0", "critical_errors_at_most", "q8", ", \"max\": 0") "]";

static int build_study(fixture *fx) {
  static dcache c[N_VAR];
  study_caches(c);
  const dcache *p[N_VAR] = {&c[0], &c[1], &c[2], &c[3]};
  return build("study", p, NAMES, VARIANT_EXTRA, N_VAR, ", \"params\": 1000000000",
               STUDY_EXTRA, fx);
}

#define STATUS(fx, id, want) CHECK_STR(claim(fx, id)->status, want)
static const char *const DEM = "demonstrated", *const POINT = "demonstrated (point estimate only)",
                         *const INCON = "inconclusive", *const NOTSUP = "not supported";

/* ---- claims: every status each kind reaches ---- */

QA_TEST(definitions_claims_tier_at_most) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* q8 loses 1 pp (b = 2, c = 1 of n = 100).  SciPy: d = q8 - base (0/1);
  ** ttest_1samp(d, -delta, alternative='greater').pvalue:
  ** delta 0.10 -> 5.8806645999248356e-07 (concerning's 10 pp: demonstrated;
  ** at 10x too small a margin, 1 pp, it would be 0.5: point only);
  ** delta 0.03 -> 0.12628666439030933 (negligible: point only). */
  STATUS(&fx, "T_conc", DEM);
  CHECK_CONTAINS(claim(&fx, "T_conc")->evidence, "paired non-inferiority at -10 pp (n = 100): p = 5.88e-07");
  STATUS(&fx, "T_neg", POINT);
  CHECK_CONTAINS(claim(&fx, "T_neg")->evidence, "p = 0.126");
  STATUS(&fx, "T_base", DEM);                   /* the baseline itself */
  /* q2 loses 20 pp: beyond concerning's 10 pp, unacceptable. */
  STATUS(&fx, "T_q2", NOTSUP);
  /* q4 equals the baseline on the benchmark, but its critical errors make
  ** it unacceptable. */
  STATUS(&fx, "T_q4", NOTSUP);
  CHECK_CONTAINS(claim(&fx, "T_q4")->evidence, "a critical-error check failed");
  release(&fx);
}

QA_TEST(definitions_claims_equivalent_benchmark_and_generation) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* Benchmark, q8 delta -1 pp.  SciPy paired TOST = max of the two
  ** ttest_1samp one-sided p: at 5 pp 0.011724770889616275 (demonstrated),
  ** at 2 pp 0.28315775404981769 (|-1| <= 2: inconclusive); 0.5 < |-1|. */
  STATUS(&fx, "EB5", DEM);
  CHECK_CONTAINS(claim(&fx, "EB5")->evidence, "paired TOST at +/-5 pp: p = 0.0117");
  STATUS(&fx, "EB2", INCON);
  CHECK_CONTAINS(claim(&fx, "EB2")->evidence, "p = 0.283");
  STATUS(&fx, "EB05", NOTSUP);
  /* Generation, key metric m: delta_pct = 100 (1.978514 / 1.9986 - 1) =
  ** -1.0050035024517179.  Paired TOST of d = m_q8 - m_base at margin% of
  ** the baseline mean 1.9986: 5 % -> 3.6e-108 (demonstrated); 1.02 % ->
  ** 0.33102785672235391 (|-1.005| <= 1.02: inconclusive); 0.5 < 1.005. */
  STATUS(&fx, "EG5", DEM);
  STATUS(&fx, "EG102", INCON);
  CHECK_CONTAINS(claim(&fx, "EG102")->evidence, "m paired TOST p = 0.331");
  STATUS(&fx, "EG05", NOTSUP);
  CHECK_CONTAINS(claim(&fx, "EG05")->evidence, "delta -1.01% (margin 0.5%)");
  release(&fx);
}

QA_TEST(definitions_claims_worse_than_baseline) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* q2 drops 20 pp (b = 20, c = 0, n = 100).  SciPy
  ** ttest_1samp(d, -m/100, alternative='less').pvalue: m = 5 ->
  ** 0.00015901009090905186 (demonstrated); m = 18 -> 0.3099720550942211
  ** (point only); m = 25 > 20: not supported. */
  STATUS(&fx, "W5", DEM);
  CHECK_CONTAINS(claim(&fx, "W5")->evidence, "drop beyond 5 pp: p = 0.000159");
  STATUS(&fx, "W18", POINT);
  CHECK_CONTAINS(claim(&fx, "W18")->evidence, "drop beyond 18 pp: p = 0.31");
  STATUS(&fx, "W25", NOTSUP);
  release(&fx);
}

QA_TEST(definitions_claims_metric_bounds) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* Benchmark q8: 69 of 100, Wilson (closed form, z = norm.ppf(0.975))
  ** [0.59373944280510571, 0.77220302787623951]. */
  STATUS(&fx, "BL1", DEM);
  STATUS(&fx, "BL2", POINT);
  STATUS(&fx, "BL3", NOTSUP);
  STATUS(&fx, "BM1", DEM);
  STATUS(&fx, "BM2", POINT);
  STATUS(&fx, "BM3", NOTSUP);
  CHECK_CONTAINS(claim(&fx, "BL1")->evidence, "benchmark accuracy 0.690, Wilson 95% [0.594, 0.772]");
  /* Outputs q8: 15 of 16, Wilson [0.71671262429701066, 0.98888065523535751]. */
  STATUS(&fx, "AL1", DEM);
  STATUS(&fx, "AL2", POINT);
  STATUS(&fx, "AL3", NOTSUP);
  STATUS(&fx, "AM1", DEM);
  STATUS(&fx, "AM2", POINT);
  STATUS(&fx, "AM3", NOTSUP);
  /* Cosine q2: NumPy per-sample cosines, mean 0.73989168542183692,
  ** t-interval (t.ppf(0.975, 15)) [0.63986367005283384, 0.83991970079084];
  ** 3 of 16 below 0.6 (0.339, 0.347, 0.561), 4 above 0.85. */
  STATUS(&fx, "CL1", DEM);
  CHECK_CONTAINS(claim(&fx, "CL1")->evidence, "3 of 16 samples (19%) below 0.6");
  STATUS(&fx, "CL2", POINT);
  STATUS(&fx, "CL3", NOTSUP);
  STATUS(&fx, "CM1", DEM);
  CHECK_CONTAINS(claim(&fx, "CM1")->evidence, "4 of 16 samples (25%) above 0.85");
  STATUS(&fx, "CM2", POINT);
  STATUS(&fx, "CM3", NOTSUP);
  /* kNN q2 (k = 3, cosine, ties by index): 15 of 16, Wilson as above. */
  STATUS(&fx, "KL1", DEM);
  STATUS(&fx, "KL2", POINT);
  STATUS(&fx, "KL3", NOTSUP);
  STATUS(&fx, "KM1", DEM);
  STATUS(&fx, "KM2", POINT);
  STATUS(&fx, "KM3", NOTSUP);
  /* Point-only metrics: sqnr_db of q8 20.639029274316613, kl_mean
  ** 0.058622597338971405 (values below). */
  STATUS(&fx, "SL1", POINT);
  STATUS(&fx, "SL2", NOTSUP);
  STATUS(&fx, "SM1", POINT);
  CHECK_CONTAINS(claim(&fx, "SL1")->evidence, "sqnr_db = 20.64, claimed >= 20 (no interval)");
  STATUS(&fx, "KLM1", POINT);
  STATUS(&fx, "KLM2", NOTSUP);
  release(&fx);
}

QA_TEST(definitions_claims_critical_errors_and_failed_check) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* q4: samples 0 and 3 (label a) predicted b: count 2 > max 0. */
  const qa_outputs_result *o = &fx.a->models[0][V_Q4].out;
  CHECK_INT(o->n_critical, 1);
  CHECK_INT(o->critical[0].count, 2);
  CHECK_INT(o->critical[0].max, 0);
  CHECK_INT(o->critical[0].pass, 0);
  CHECK_INT(fx.a->models[0][V_Q4].critical_failed, 1);
  /* Its benchmark and generation equal the baseline's: the failed check
  ** alone makes it unacceptable. */
  CHECK_NEAR(fx.a->models[0][V_Q4].bench.delta_pp, 0.0, 0);
  CHECK_NEAR(fx.a->models[0][V_Q4].gen.delta_pct, 0.0, 0);
  CHECK_STR(qa_analysis_tier_name(fx.cfg, fx.a->models[0][V_Q4].tier), "unacceptable");
  /* q8 makes none (its one error is c predicted a). */
  CHECK_INT(fx.a->models[0][V_Q8].out.critical[0].count, 0);
  CHECK_INT(fx.a->models[0][V_Q8].out.critical[0].pass, 1);
  CHECK_STR(qa_analysis_tier_name(fx.cfg, fx.a->models[0][V_Q8].tier), "negligible");
  STATUS(&fx, "CE_q4_2", DEM);
  STATUS(&fx, "CE_q4_1", NOTSUP);
  CHECK_CONTAINS(claim(&fx, "CE_q4_1")->evidence, "2 critical errors over 1 check (claimed at most 1)");
  STATUS(&fx, "CE_q8_0", DEM);
  /* In report.json: pass false, tier unacceptable. */
  qa_results_opts ro = {0, 1};
  cJSON *root = NULL;
  qa_error err = {0};
  CHECK_INT(qa_results_build(fx.study, fx.a, &ro, NULL, &root, &err), 0);
  const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
      cJSON_GetObjectItem(root, "models"), 0), "variants"), V_Q4);
  const cJSON *ce = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(v, "outputs"),
                                                           "critical_errors"), 0);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(ce, "pass")));
  CHECK_NEAR(qa_json_get_num(ce, "count"), 2, 0);
  CHECK_STR(qa_json_get_str(v, "tier"), "unacceptable");
  cJSON_Delete(root);
  release(&fx);
}

/* Studies without benchmark data (and one without hidden states): the
** claims that need them are inconclusive; tier_at_most falls to point
** estimate only. */
QA_TEST(definitions_claims_inconclusive_without_data) {
  static dcache c[N_VAR];
  study_caches(c);
  c[1] = c[0];                              /* identical to the baseline */
  c[0].items = c[1].items = 0;
  c[0].fx.without_eval = c[1].fx.without_eval = 1;
  const dcache *p[2] = {&c[0], &c[1]};
  const char *names[2] = {"fp16", "same"};
  const char *extra =
    "\"analysis\": {\"key_metrics\": [\"m\"], \"knn_k\": 3}, \"claims\": ["
    CL("T", "tier_at_most", "same", ", \"tier\": \"negligible\"") ","
    CL("W", "worse_than_baseline", "same", ", \"metric\": \"benchmark\", \"min_drop\": 1") ","
    CL("EB", "equivalent", "same", ", \"metric\": \"benchmark\", \"margin\": 3") ","
    CL("EG", "equivalent", "same", ", \"metric\": \"generation\", \"margin\": 3") ","
    CL("MB", "metric_at_least", "same", ", \"metric\": \"benchmark\", \"value\": 0.5") ","
    CL("SQ", "metric_at_least", "same", ", \"metric\": \"sqnr_db\", \"value\": 20") ","
    CL("CE", "critical_errors_at_most", "same", ", \"max\": 0") ","
    CL("CO", "metric_at_least", "same", ", \"metric\": \"cosine_mean\", \"value\": 0.9") "]";
  fixture fx;
  if (build("nobench", p, names, NULL, 2, NULL, extra, &fx)) { release(&fx); return; }
  /* Identical states: sqnr_db does not exist (error energy 0). */
  CHECK(isnan(fx.a->models[0][1].repr.sqnr_db));
  STATUS(&fx, "T", POINT);
  CHECK_CONTAINS(claim(&fx, "T")->evidence, "no benchmark test of the tier's limit");
  STATUS(&fx, "W", INCON);
  STATUS(&fx, "EB", INCON);
  STATUS(&fx, "EG", INCON);
  STATUS(&fx, "MB", INCON);
  STATUS(&fx, "SQ", INCON);
  STATUS(&fx, "CE", INCON);              /* no critical errors configured */
  STATUS(&fx, "CO", DEM);                /* every cosine 1: interval [1, 1] */
  release(&fx);
  /* Without hidden states, cosine and kNN claims are inconclusive. */
  c[0].fx.without_hidden = c[1].fx.without_hidden = 1;
  const char *extra2 = "\"claims\": ["
    CL("CO", "metric_at_least", "same", ", \"metric\": \"cosine_mean\", \"value\": 0.9") ","
    CL("KN", "metric_at_most", "same", ", \"metric\": \"knn_accuracy\", \"value\": 0.9") "]";
  if (build("nohidden", p, names, NULL, 2, NULL, extra2, &fx)) { release(&fx); return; }
  STATUS(&fx, "CO", INCON);
  STATUS(&fx, "KN", INCON);
  release(&fx);
  /* Without labels: no output accuracy and no critical-error count. */
  c[0].without_labels = c[1].without_labels = 1;
  const char *extra3 = "\"claims\": ["
    CL("AC", "metric_at_least", "same", ", \"metric\": \"accuracy\", \"value\": 0.5") ","
    CL("CE", "critical_errors_at_most", "same", ", \"max\": 0") "]";
  if (build("nolabels", p, names, NULL, 2, NULL, extra3, &fx)) { release(&fx); return; }
  CHECK(isnan(fx.a->models[0][1].out.accuracy));
  STATUS(&fx, "AC", INCON);
  STATUS(&fx, "CE", INCON);
  release(&fx);
}

/* ---- numbers ---- */

QA_TEST(definitions_kl_summary_from_logits) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* NumPy/SciPy: p = softmax(float32 logits as float64, axis=1);
  ** kl = rel_entr(p_base, p_v).sum(1); mean, median, percentile(kl, 99)
  ** (linear), max.  p95 would be 0.21002788753856066 (q8),
  ** 0.86365385619439872 (q4). */
  const qa_outputs_result *o = &fx.a->models[0][V_Q8].out;
  REL(o->kl_mean, 0.058622597338971405, 1e-12);
  REL(o->kl_median, 0.016602098215477305, 1e-12);
  REL(o->kl_p99, 0.58360203461738003, 1e-12);
  REL(o->kl_max, 0.6769955713870851, 1e-12);
  o = &fx.a->models[0][V_Q2].out;
  REL(o->kl_mean, 0.28331357787230749, 1e-12);
  REL(o->kl_median, 0.14539615104244691, 1e-12);
  REL(o->kl_p99, 1.2023326376148615, 1e-12);
  REL(o->kl_max, 1.20338311346051, 1e-12);
  o = &fx.a->models[0][V_Q4].out;
  REL(o->kl_mean, 0.16306441475335026, 1e-12);
  CHECK_NEAR(o->kl_median, 0.0, 1e-15);
  REL(o->kl_p99, 1.9217213645921665, 1e-12);
  REL(o->kl_max, 2.1862382416916093, 1e-12);
  /* The baseline against itself: 0 everywhere. */
  CHECK_NEAR(fx.a->models[0][V_BASE].out.kl_max, 0.0, 0);
  /* Accuracy and top-1 agreement: 15/16 and 15/16 (q8), 10/16 and 10/16
  ** (q2); Wilson of 10/16 [0.38641040545502725, 0.81518767441136364]. */
  CHECK_NEAR(fx.a->models[0][V_Q8].out.accuracy, 15.0 / 16.0, 1e-15);
  CHECK_NEAR(fx.a->models[0][V_Q8].out.top1_agreement, 15.0 / 16.0, 1e-15);
  CHECK_NEAR(fx.a->models[0][V_Q2].out.top1_agreement, 10.0 / 16.0, 1e-15);
  REL(fx.a->models[0][V_Q2].out.wilson_lo, 0.38641040545502725, 1e-12);
  REL(fx.a->models[0][V_Q2].out.wilson_hi, 0.81518767441136364, 1e-12);
  release(&fx);
}

QA_TEST(definitions_representation_knn_sign_and_intervals) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* NumPy leave-one-out kNN (k = 3, cosine, ties by lower index, vote ties
  ** to the best-ranked neighbour): baseline 16/16, q2 15/16, q8 16/16. */
  const qa_repr_result *b = &fx.a->models[0][V_BASE].repr, *q2 = &fx.a->models[0][V_Q2].repr;
  const qa_repr_result *q8 = &fx.a->models[0][V_Q8].repr;
  CHECK_NEAR(b->knn_accuracy, 1.0, 0);
  CHECK_NEAR(q2->knn_accuracy, 15.0 / 16.0, 1e-15);
  CHECK_NEAR(q2->knn_delta_pp, -6.25, 1e-12);        /* 100 (15/16 - 16/16): a loss */
  CHECK_NEAR(q8->knn_delta_pp, 0.0, 1e-12);
  REL(q2->knn_wilson_lo, 0.71671262429701066, 1e-12);
  REL(q2->knn_wilson_hi, 0.98888065523535751, 1e-12);
  /* neighbor_overlap = mean |kNN_B(i) & kNN_V(i)| / 3. */
  REL(q2->neighbor_overlap, 0.60416666666666663, 1e-12);
  REL(q8->neighbor_overlap, 0.95833333333333326, 1e-12);
  /* Cosine: mean, t-interval, min, median; sqnr_db = 10 log10(sum x^2 /
  ** sum (x - y)^2) (NumPy). */
  REL(q2->cos_mean, 0.73989168542183692, 1e-12);
  REL(q2->cos_ci_lo, 0.63986367005283384, 1e-10);
  REL(q2->cos_ci_hi, 0.83991970079084, 1e-10);
  REL(q2->cos_min, 0.33932295316603422, 1e-12);
  REL(q2->cos_median, 0.77427611753495951, 1e-12);
  REL(q8->cos_mean, 0.99570203378817368, 1e-12);
  REL(q8->sqnr_db, 20.639029274316613, 1e-12);
  REL(q2->sqnr_db, 0.40161005041543602, 1e-10);
  /* No benchmark or outputs fall back to kNN: here the benchmark decides. */
  CHECK_STR(fx.a->models[0][V_Q2].bench_signal_source, "benchmark");
  release(&fx);
}

QA_TEST(definitions_benchmark_mde_at_p07) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* mde_pp at the baseline's p = 0.7, n = 100: 100 (norm.ppf(0.975) +
  ** norm.ppf(0.8)) sqrt(2 x 0.21 / 100) = 18.156347343082579; the
  ** study-wide power summary is at p = 0.5: 19.81019905799673. */
  REL(fx.a->models[0][V_Q8].bench.mde_pp, 18.156347343082579, 1e-12);
  REL(fx.a->mde_pp, 19.81019905799673, 1e-12);
  /* Accuracy, Wilson, delta of q8 (69/100); Welch p SciPy
  ** ttest_ind(q8, base, equal_var=False).pvalue. */
  const qa_bench_result *r = &fx.a->models[0][V_Q8].bench;
  CHECK_NEAR(r->accuracy, 0.69, 1e-15);
  REL(r->wilson_lo, 0.59373944280510571, 1e-12);
  REL(r->wilson_hi, 0.77220302787623951, 1e-12);
  CHECK_NEAR(r->delta_pp, -1.0, 1e-12);
  REL(r->welch_p, 0.87869428188207988, 1e-10);
  REL(fx.a->models[0][V_Q2].bench.welch_p, 0.0037436876042730351, 1e-9);
  CHECK_INT(r->mcnemar_b, 2);
  CHECK_INT(r->mcnemar_c, 1);
  /* Paired TOST at the default 3 pp (SciPy as in definitions_claims_tier_at_most). */
  REL(r->paired_tost_p, 0.12628666439030933, 1e-9);
  release(&fx);
}

QA_TEST(definitions_generation_tost_margin_and_key_avg) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  const qa_gen_result *g = &fx.a->models[0][V_Q8].gen;
  CHECK_INT(g->n_metrics, 2);
  const qa_metric_result *m = !strcmp(g->metrics[0].metric, "m") ? &g->metrics[0] : &g->metrics[1];
  const qa_metric_result *m2 = m == &g->metrics[0] ? &g->metrics[1] : &g->metrics[0];
  CHECK_STR(m->metric, "m");
  CHECK_STR(m2->metric, "m2");
  /* NumPy: m mean 1.978514 (baseline 1.9986), sd 0.29176127159031917;
  ** t-interval mean -/+ t.ppf(0.975, 99) sd / 10; SciPy
  ** ttest_ind(q8, base, equal_var=False) p; Cohen's d pooled. */
  REL(m->mean, 1.9785139999999999, 1e-13);
  REL(m->base_mean, 1.9985999999999999, 1e-13);
  REL(m->ci_lo, 1.9206222339116759, 1e-10);
  REL(m->ci_hi, 2.0364057660883237, 1e-10);
  REL(m->delta_pct, -1.0050035024517179, 1e-10);
  REL(m->welch_p, 0.62833893796270024, 1e-9);
  REL(m->cohens_d, -0.068564112778556799, 1e-10);
  /* Welch TOST with margin 3 % of the baseline mean (0.059958): the two
  ** one-sided Welch t-tests (Welch-Satterthwaite df) with SciPy t.sf /
  ** t.cdf, max of the two: 0.1685108743667077 (an absolute margin 0.03
  ** would give 0.40556140078017078).  q4 (same scores): 0.075527391976443842. */
  REL(m->tost_p, 0.1685108743667077, 1e-9);
  CHECK_INT(m->equivalent, 0);
  const qa_gen_result *g4 = &fx.a->models[0][V_Q4].gen;
  const qa_metric_result *m4 = !strcmp(g4->metrics[0].metric, "m") ? &g4->metrics[0] : &g4->metrics[1];
  REL(m4->tost_p, 0.075527391976443842, 1e-9);
  /* Paired TOST at 3 % of the baseline mean: 9.1064908797273949e-79. */
  REL(m->paired_tost_p, 9.1064908797273949e-79, 1e-6);
  /* key_avg over key_metrics ["m"] only: m2 (mean 6 here, 12 for the
  ** baseline) must not enter; over both it would be 3.9892569999999998. */
  REL(g->key_avg, 1.9785139999999999, 1e-13);
  REL(fx.a->models[0][V_BASE].gen.key_avg, 1.9985999999999999, 1e-13);
  REL(g->delta_pct, -1.0050035024517179, 1e-10);
  REL(fx.a->models[0][V_Q2].gen.delta_pct, -19.989992995096539, 1e-10);
  REL(m2->delta_pct, -50.0, 1e-12);                  /* halved, but not a key metric */
  /* MDE in Cohen's d at n = 100: (1.959964 + 0.841621) sqrt(2/100). */
  REL(g->mde_d, 0.39620398115993455, 1e-10);
  release(&fx);
}

QA_TEST(definitions_perf_cv_savings_and_cost) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  /* NumPy: cv = 100 std(ddof=1) / mean (sd differs from variance here:
  ** fp16 sd 8.539, variance 72.92); hmean = scipy.stats.hmean; usd =
  ** 0.035 / (hmean x 3600) x 1e6; savings = 100 (1 - usd_v / usd_base). */
  const qa_perf_result *b = &fx.a->models[0][V_BASE].perf, *q8 = &fx.a->models[0][V_Q8].perf;
  const qa_perf_result *q2 = &fx.a->models[0][V_Q2].perf, *q4 = &fx.a->models[0][V_Q4].perf;
  REL(b->decode_cv_pct, 17.516155155486494, 1e-12);
  REL(q8->decode_cv_pct, 15.188169985127123, 1e-12);
  REL(q4->decode_cv_pct, 18.00205749557739, 1e-12);
  REL(b->decode_hmean, 47.682119205298015, 1e-12);
  REL(q8->decode_hmean, 83.512841756420883, 1e-12);
  REL(b->usd_per_mtok, 0.20389660493827164, 1e-12);
  REL(q2->usd_per_mtok, 0.079460470085470095, 1e-12);
  /* Every variant is faster, hence cheaper: positive savings. */
  CHECK_NEAR(b->savings_pct, 0.0, 1e-12);
  REL(q8->savings_pct, 42.904446546830663, 1e-12);
  REL(q2->savings_pct, 61.029037187977586, 1e-12);
  REL(q4->savings_pct, 32.269717037928977, 1e-12);
  REL(q2->decode_median, 125.0, 1e-15);            /* median of 100, 120, 130, 150 */
  release(&fx);
}

QA_TEST(definitions_vram_measured_over_estimate) {
  fixture fx;
  if (build_study(&fx)) { release(&fx); return; }
  const qa_model *m = &fx.study->models[0];
  /* fp16: params 1e9 x 16 / 8 x 1.1 / 1e9 = 2.2 (estimated). */
  CHECK_NEAR(m->variants[V_BASE].vram_gb, 2.2, 1e-12);
  CHECK_INT(m->variants[V_BASE].vram_measured, 0);
  /* q8: the cache attribute 0.75, not the estimate 1e9 x 8 / 8 x 1.1 / 1e9 = 1.1. */
  CHECK_NEAR(m->variants[V_Q8].vram_gb, 0.75, 0);
  CHECK_INT(m->variants[V_Q8].vram_measured, 1);
  CHECK_NEAR(m->variants[V_Q2].vram_gb, 0.3, 0);      /* config vram_gb */
  CHECK_NEAR(m->variants[V_Q4].vram_gb, 0.5, 0);      /* config over attribute 0.9 */
  /* The decision matrix uses them: within 1 GB q2, q8, q4 by harmonic
  ** decode tok/s (122.4, 83.5, 70.4); within 4 GB the baseline. */
  CHECK_INT(fx.a->n_decision, 2);
  const qa_decision_tier *t1 = &fx.a->decision[0], *t4 = &fx.a->decision[1];
  CHECK_INT(t1->n_rows, 3);
  CHECK_INT(t4->n_rows, 1);
  if (t1->n_rows == 3) {
    CHECK_INT(t1->rows[0].variant, V_Q2);
    CHECK_NEAR(t1->rows[0].vram_gb, 0.3, 0);
    CHECK_INT(t1->rows[1].variant, V_Q8);
    CHECK_NEAR(t1->rows[1].vram_gb, 0.75, 0);
    CHECK_INT(t1->rows[2].variant, V_Q4);
  }
  if (t4->n_rows == 1) CHECK_INT(t4->rows[0].variant, V_BASE);
  /* Picks: within 1 GB only q8 is recommended (q2, q4 unacceptable);
  ** within 4 GB quality goes to the baseline (70 % against 69 %),
  ** throughput and cost to q8. */
  for (int k = 0; k < QA_N_PICKS; k++) CHECK_INT(t1->picks[k].variant, V_Q8);
  CHECK_INT(t4->picks[QA_PICK_QUALITY].variant, V_BASE);
  CHECK_INT(t4->picks[QA_PICK_THROUGHPUT].variant, V_Q8);
  CHECK_INT(t4->picks[QA_PICK_COST].variant, V_Q8);
  release(&fx);
}

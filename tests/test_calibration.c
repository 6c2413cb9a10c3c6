/*
** Calibration and per-class outputs (src/analysis/outputs.c; STATISTICS.md
** "Strata, calibration, retrieval, coverage"): ECE, Brier and NLL by hand
** and against NumPy, the bin edges, the accumulator's blocks, per-class
** McNemar and Holm by hand and against SciPy, the analysis.ece_bins key,
** the reliability diagram (figure 13), and the showcase end to end.
*/
#include "harness.h"

#include <cairo.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "analysis/outputs.h"
#include "figures/figures.h"
#include "input/config.h"
#include "util/error.h"

/* ---- calibration by hand ------------------------------------------------- */

/* Four samples, three classes, logits = log p so that softmax gives p back:
**   s0 p = (0.8, 0.1, 0.1), y 0: conf 0.8, argmax 0, right;  bin 1 of 2
**   s1 p = (0.6, 0.3, 0.1), y 1: conf 0.6, argmax 0, wrong;  bin 1
**   s2 p = (0.4, 0.3, 0.3), y 1: conf 0.4, argmax 0, wrong;  bin 0
**   s3 p = (0.1, 0.2, 0.7), y 2: conf 0.7, argmax 2, right;  bin 1
** B = 2, bins (0, 0.5] and (0.5, 1]:
**   bin 0: n 1, acc 0,   conf 0.4:                    |0 − 0.4| · 1/4 = 0.1
**   bin 1: n 3, acc 2/3, conf (0.8 + 0.6 + 0.7)/3 = 0.7: |2/3 − 0.7| · 3/4 = 0.025
**   ECE = 0.125
** Brier per sample Σ_j (p_j − 1[j = y])²:
**   s0 0.04 + 0.01 + 0.01 = 0.06   s1 0.36 + 0.49 + 0.01 = 0.86
**   s2 0.16 + 0.49 + 0.09 = 0.74   s3 0.01 + 0.04 + 0.09 = 0.14
**   mean 1.8 / 4 = 0.45
** NLL = −(ln 0.8 + ln 0.3 + ln 0.3 + ln 0.7)/4 = −ln(0.0504)/4 = 0.746940...
** accuracy 2/4 = 0.5, mean confidence (0.8 + 0.6 + 0.4 + 0.7)/4 = 0.625. */
static const double HAND_P[4][3] = {
  {0.8, 0.1, 0.1}, {0.6, 0.3, 0.1}, {0.4, 0.3, 0.3}, {0.1, 0.2, 0.7}};
static const int32_t HAND_Y[4] = {0, 1, 1, 2};

static void hand_logits(double shift, double *x) {
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) x[i * 3 + j] = log(HAND_P[i][j]) + shift;
}

QA_TEST(calib_ece_brier_nll_by_hand) {
  double x[12];
  /* The shift by 1000 would overflow exp() without the log-sum-exp. */
  const double shifts[2] = {0.0, 1000.0};
  for (int s = 0; s < 2; s++) {
    qa_outputs_calibration cal;
    hand_logits(shifts[s], x);
    CHECK_INT(qa_outputs_calibration_of(x, HAND_Y, 4, 3, 2, &cal), 0);
    double tol = s ? 1e-10 : 1e-14;   /* log(p) + 1000 keeps ~13 digits of log(p) */
    CHECK_INT(cal.present, 1);
    CHECK_INT(cal.n, 4);
    CHECK_INT(cal.n_bins, 2);
    CHECK_NEAR(cal.ece, 0.125, tol);
    CHECK_NEAR(cal.brier, 0.45, tol);
    CHECK_NEAR(cal.nll, -log(0.0504) / 4.0, tol);
    CHECK_NEAR(cal.accuracy, 0.5, 0);
    CHECK_NEAR(cal.confidence, 0.625, tol);
    CHECK_NEAR(cal.bins[0].lo, 0.0, 0);
    CHECK_NEAR(cal.bins[0].hi, 0.5, 0);
    CHECK_NEAR(cal.bins[1].lo, 0.5, 0);
    CHECK_NEAR(cal.bins[1].hi, 1.0, 0);
    CHECK_INT(cal.bins[0].n, 1);
    CHECK_INT(cal.bins[1].n, 3);
    CHECK_NEAR(cal.bins[0].accuracy, 0.0, 0);
    CHECK_NEAR(cal.bins[0].confidence, 0.4, tol);
    CHECK_NEAR(cal.bins[1].accuracy, 2.0 / 3.0, 1e-15);
    CHECK_NEAR(cal.bins[1].confidence, 0.7, tol);
    qa_outputs_calibration_free(&cal);
    CHECK(cal.bins == NULL);
  }
  /* Empty bins are NaN (null in report.json); here B = 4: (0.5, 0.75] holds
  ** s1, s3 and nothing lies in (0, 0.25]. */
  qa_outputs_calibration cal;
  hand_logits(0, x);
  CHECK_INT(qa_outputs_calibration_of(x, HAND_Y, 4, 3, 4, &cal), 0);
  CHECK_INT(cal.bins[0].n, 0);
  CHECK(isnan(cal.bins[0].accuracy) && isnan(cal.bins[0].confidence));
  CHECK_INT(cal.bins[1].n, 1);
  CHECK_INT(cal.bins[2].n, 2);
  CHECK_INT(cal.bins[3].n, 1);
  /* |0 − 0.4|·1/4 + |1/2 − 0.65|·2/4 + |1 − 0.8|·1/4 = 0.1 + 0.075 + 0.05 */
  CHECK_NEAR(cal.ece, 0.225, 1e-14);
  qa_outputs_calibration_free(&cal);
}

/* Bins ((k−1)/B, k/B], the first closed at 0, with the edges as the
** doubles k/B: 0.3·10 rounds to 3.0000000000000004 and 0.7·10 to
** 7.000000000000001, yet 0.3 and 0.7 are the upper edges of bins 3 and 7. */
QA_TEST(calib_bin_edges) {
  CHECK_INT(qa_outputs_bin_of(0.0, 15), 0);
  CHECK_INT(qa_outputs_bin_of(1.0 / 15.0, 15), 0);
  CHECK_INT(qa_outputs_bin_of(nextafter(1.0 / 15.0, 1.0), 15), 1);
  CHECK_INT(qa_outputs_bin_of(1.0, 15), 14);
  CHECK_INT(qa_outputs_bin_of(0.3, 10), 2);
  CHECK_INT(qa_outputs_bin_of(nextafter(0.3, 1.0), 10), 3);
  CHECK_INT(qa_outputs_bin_of(0.7, 10), 6);
  CHECK_INT(qa_outputs_bin_of(nextafter(0.7, 0.0), 10), 6);
  CHECK_INT(qa_outputs_bin_of(nextafter(0.7, 1.0), 10), 7);
  CHECK_INT(qa_outputs_bin_of(0.5, 10), 4);
  CHECK_INT(qa_outputs_bin_of(1e-300, 1), 0);
  CHECK_INT(qa_outputs_bin_of(1.0, 1), 0);
  /* Every edge k/B of every B up to 1000 is the top of bin k − 1. */
  int bad = 0;
  for (size_t b = 1; b <= QA_OUTPUTS_MAX_BINS; b++)
    for (size_t k = 1; k <= b; k++) {
      double e = (double)k / (double)b;
      bad += qa_outputs_bin_of(e, b) != k - 1;
      if (k < b) bad += qa_outputs_bin_of(nextafter(e, 2.0), b) != k;
    }
  CHECK_INT(bad, 0);
}

/* ---- calibration against NumPy ------------------------------------------ */

/* tests/ref/calibration_ref.py holds the same fixture: a tie in row 4 (all
** logits 0, argmax the first), a tie of the top two in row 11, an offset of
** 700 in row 3 (exp(700) is near the end of double), a spread of 35 in row 9. */
static const double CAL_LOGITS[12][4] = {
  {2.0, 0.5, -1.0, 0.1},       {0.3, 0.2, 0.1, 0.0},        {-1.5, 3.2, 0.7, 0.7},
  {700.0, 699.0, 698.5, 690.0}, {0.0, 0.0, 0.0, 0.0},        {1.1, -0.4, 2.9, 0.3},
  {-3.0, -2.0, -2.5, -0.5},    {5.0, -5.0, 0.0, 1.0},       {0.9, 1.0, 1.1, 1.2},
  {-20.0, 15.0, -3.0, 2.5},    {0.25, -0.75, 1.5, -2.0},    {4.0, 4.0, -1.0, 0.0}};
static const int32_t CAL_LABELS[12] = {0, 3, 1, 1, 2, 2, 0, 0, 2, 1, 3, 1};

/* BEGIN calibration_ref.py: /usr/bin/python3 tests/ref/calibration_ref.py
** (NumPy 1.24.2, SciPy 1.10.1); {B, ece, brier, nll, accuracy, confidence} */
static const double CAL_REF[2][6] = {
  {5, 0.25046454595486933, 0.5783510654443611, 1.1616330490402202, 0.41666666666666669,
   0.63843687483201639},
  {15, 0.2865613265647452, 0.5783510654443611, 1.1616330490402202, 0.41666666666666669,
   0.63843687483201639}};
/* B = 5: {bin, n, accuracy, confidence} of the non-empty bins. */
static const double CAL_REF_BINS5[4][4] = {
  {1, 3, 0, 0.27576760343826817},
  {2, 1, 0, 0.49381409310291519},
  {3, 5, 0.40000000000000002, 0.70245832426071897},
  {4, 3, 1, 0.94261132442096074}};
/* Per class {n, delta_pp, mcnemar_p (binomtest), mcnemar_p_holm}. */
static const double CLASS_REF[5][4] = {
  {90, -16.666666666666664, 0.081681533941540027, 0.1962890625},
  {15, 80, 0.00048828125, 0.00244140625},
  {65, -9.2307692307692317, 0.03125, 0.125},
  {25, -28.000000000000004, 0.0654296875, 0.1962890625},
  {4, 0, 1, 1}};
/* END calibration_ref.py */

QA_TEST(calib_against_numpy) {
  for (int r = 0; r < 2; r++) {
    qa_outputs_calibration cal;
    size_t bins = (size_t)CAL_REF[r][0];
    CHECK_INT(qa_outputs_calibration_of(&CAL_LOGITS[0][0], CAL_LABELS, 12, 4, bins, &cal), 0);
    CHECK_NEAR(cal.ece, CAL_REF[r][1], 1e-15);
    CHECK_NEAR(cal.brier, CAL_REF[r][2], 1e-15);
    CHECK_NEAR(cal.nll, CAL_REF[r][3], 1e-14);
    CHECK_NEAR(cal.accuracy, CAL_REF[r][4], 1e-15);
    CHECK_NEAR(cal.confidence, CAL_REF[r][5], 1e-15);
    size_t total = 0;
    for (size_t k = 0; k < cal.n_bins; k++) total += cal.bins[k].n;
    CHECK_INT(total, 12);
    if (bins == 5) {
      CHECK_INT(cal.bins[0].n, 0);
      for (int i = 0; i < 4; i++) {
        const qa_outputs_bin *b = &cal.bins[(size_t)CAL_REF_BINS5[i][0]];
        CHECK_INT(b->n, (size_t)CAL_REF_BINS5[i][1]);
        CHECK_NEAR(b->accuracy, CAL_REF_BINS5[i][2], 1e-15);
        CHECK_NEAR(b->confidence, CAL_REF_BINS5[i][3], 1e-15);
      }
    }
    qa_outputs_calibration_free(&cal);
  }
}

/* start / fold / merge / stop: blocks of 1, 5 and 7 rows folded into
** partials and merged give the numbers of one fold over all rows. */
QA_TEST(calib_blocks_merge_to_the_whole) {
  qa_outputs_calibration whole, parts;
  CHECK_INT(qa_outputs_calibration_of(&CAL_LOGITS[0][0], CAL_LABELS, 12, 4, 15, &whole), 0);
  const size_t blocks[3] = {1, 5, 7};
  for (int t = 0; t < 3; t++) {
    qa_outputs_calib_acc total, part;
    CHECK_INT(qa_outputs_calib_start(&total, 15), 0);
    for (size_t at = 0; at < 12; at += blocks[t]) {
      size_t rows = 12 - at < blocks[t] ? 12 - at : blocks[t];
      CHECK_INT(qa_outputs_calib_start(&part, 15), 0);
      qa_outputs_calib_fold(&part, &CAL_LOGITS[at][0], CAL_LABELS + at, rows, 4);
      qa_outputs_calib_merge(&total, &part);
      qa_outputs_calib_acc_free(&part);
    }
    CHECK_INT(qa_outputs_calib_stop(&total, &parts), 0);
    CHECK_NEAR(parts.ece, whole.ece, 1e-15);
    CHECK_NEAR(parts.brier, whole.brier, 1e-15);
    CHECK_NEAR(parts.nll, whole.nll, 1e-15);
    for (size_t k = 0; k < 15; k++) CHECK_INT(parts.bins[k].n, whole.bins[k].n);
    qa_outputs_calibration_free(&parts);
    qa_outputs_calib_acc_free(&total);
  }
  qa_outputs_calibration_free(&whole);
  qa_outputs_calib_acc acc;
  CHECK_INT(qa_outputs_calib_start(&acc, 0), -1);
  CHECK_INT(qa_outputs_calib_start(&acc, QA_OUTPUTS_MAX_BINS + 1), -1);
  qa_outputs_calib_acc_free(&acc);   /* safe: start left it zeroed */
}

/* ---- per class: McNemar and Holm ----------------------------------------- */

/* Samples of classes laid out from counts {n11, n10, n01, n00} (both
** right, baseline right only, variant right only, both wrong); a wrong
** prediction is the next class.  Returns the number of samples. */
static size_t build_classes(const int (*counts)[4], size_t n_classes, int32_t *y, int32_t *pb,
                            int32_t *pv) {
  size_t n = 0;
  for (size_t l = 0; l < n_classes; l++)
    for (int kind = 0; kind < 4; kind++)
      for (int i = 0; i < counts[l][kind]; i++) {
        int32_t wrong = (int32_t)((l + 1) % n_classes);
        y[n] = (int32_t)l;
        pb[n] = kind == 0 || kind == 1 ? (int32_t)l : wrong;
        pv[n] = kind == 0 || kind == 2 ? (int32_t)l : wrong;
        n++;
      }
  return n;
}

/* By hand.  Class (n11, n10, n01, n00), b = n10, c = n01,
** p = min(1, 2 P(X ≤ min(b, c)); X ~ Bin(b + c, 1/2)):
**   0: (10, 7, 1, 2)  n 20, b 7, c 1: 2 (1 + 8)/2^8        = 0.0703125
**   1: (5, 2, 2, 1)   n 10, b 2, c 2: 2 (1 + 4 + 6)/2^4 > 1 → 1
**   2: (3, 6, 0, 1)   n 10, b 6, c 0: 2/2^6                = 0.03125
**   3: no samples, no row
**   4: (0, 9, 0, 0)   n 9,  b 9, c 0: 2/2^9                = 0.00390625
** Holm over the m = 4 rows, ascending: 4 × 0.00390625 = 0.015625,
** 3 × 0.03125 = 0.09375, 2 × 0.0703125 = 0.140625, 1 × 1 = 1 (no running
** maximum needed).  Recall: class 0 variant (10 + 1)/20 = 0.55 against the
** baseline's (10 + 7)/20 = 0.85, Δ −30 pp; class 1 7/10 both, Δ 0; class 2
** 3/10 against 9/10, Δ −60 pp; class 4 0/9 against 9/9, Δ −100 pp.
** SciPy 1.10 binomtest(min(b, c), b + c, 0.5).pvalue gives the same four p. */
QA_TEST(calib_per_class_mcnemar_holm_by_hand) {
  static const int counts[5][4] = {{10, 7, 1, 2}, {5, 2, 2, 1}, {3, 6, 0, 1}, {0, 0, 0, 0},
                                   {0, 9, 0, 0}};
  int32_t y[64], pb[64], pv[64];
  size_t n = build_classes(counts, 5, y, pb, pv);
  qa_outputs_class *rows = NULL;
  size_t n_rows = 0;
  CHECK_INT(qa_outputs_per_class(y, pv, pb, n, 5, 0, &rows, &n_rows), 0);
  CHECK_INT(n_rows, 4);
  if (n_rows != 4) { free(rows); return; }
  static const int32_t label[4] = {0, 1, 2, 4};
  static const double acc[4] = {0.55, 0.7, 0.3, 0.0}, delta[4] = {-30, 0, -60, -100};
  static const double p[4] = {0.0703125, 1.0, 0.03125, 0.00390625};
  static const double holm[4] = {0.140625, 1.0, 0.09375, 0.015625};
  for (int i = 0; i < 4; i++) {
    CHECK_INT(rows[i].label, label[i]);
    CHECK_NEAR(rows[i].accuracy, acc[i], 1e-15);
    CHECK_NEAR(rows[i].delta_pp, delta[i], 1e-12);
    CHECK_NEAR(rows[i].mcnemar_p, p[i], 1e-15);
    CHECK_NEAR(rows[i].mcnemar_p_holm, holm[i], 1e-15);
  }
  CHECK_INT(rows[0].n, 20);
  CHECK_INT(rows[0].correct, 11);
  CHECK_INT(rows[0].b, 7);
  CHECK_INT(rows[0].c, 1);
  /* Wilson 95 % of 11/20, closed form (STATISTICS.md "Benchmark accuracy")
  ** with z = 1.959963984540054: (0.55 + z²/40 ± z sqrt(0.2475/20 + z²/1600))
  ** / (1 + z²/20) = [0.342085..., 0.741802...]. */
  double z = 1.959963984540054, c = 1 + z * z / 20, mid = 0.55 + z * z / 40;
  double h = z * sqrt(0.55 * 0.45 / 20 + z * z / 1600);
  CHECK_NEAR(rows[0].wilson_lo, (mid - h) / c, 1e-12);
  CHECK_NEAR(rows[0].wilson_hi, (mid + h) / c, 1e-12);
  CHECK_NEAR(rows[0].wilson_lo, 0.3420853, 1e-6);
  free(rows);
  /* The baseline against itself: Δ 0 and no test; without the baseline's
  ** predictions neither Δ nor a test exists. */
  CHECK_INT(qa_outputs_per_class(y, pb, pb, n, 5, 1, &rows, &n_rows), 0);
  for (size_t i = 0; i < n_rows; i++) {
    CHECK_NEAR(rows[i].delta_pp, 0.0, 0);
    CHECK(isnan(rows[i].mcnemar_p) && isnan(rows[i].mcnemar_p_holm));
  }
  free(rows);
  CHECK_INT(qa_outputs_per_class(y, pv, NULL, n, 5, 0, &rows, &n_rows), 0);
  CHECK_INT(n_rows, 4);
  for (size_t i = 0; i < n_rows; i++)
    CHECK(isnan(rows[i].delta_pp) && isnan(rows[i].mcnemar_p) && isnan(rows[i].mcnemar_p_holm));
  free(rows);
}

/* Against SciPy (CLASS_REF above): b + c up to 65, where the binomial CDF
** is no longer a short sum, and a running maximum in Holm (class 0's 2 p
** falls below class 3's 3 p, so both get 0.1962890625). */
QA_TEST(calib_per_class_against_scipy) {
  static const int counts[5][4] = {{20, 40, 25, 5}, {3, 0, 12, 0}, {50, 6, 0, 9},
                                   {7, 9, 2, 7}, {0, 0, 0, 4}};
  int32_t y[256], pb[256], pv[256];
  size_t n = build_classes(counts, 5, y, pb, pv);
  qa_outputs_class *rows = NULL;
  size_t n_rows = 0;
  CHECK_INT(qa_outputs_per_class(y, pv, pb, n, 5, 0, &rows, &n_rows), 0);
  CHECK_INT(n_rows, 5);
  for (size_t i = 0; i < n_rows && i < 5; i++) {
    CHECK_INT(rows[i].n, (size_t)CLASS_REF[i][0]);
    CHECK_NEAR(rows[i].delta_pp, CLASS_REF[i][1], 1e-12);
    CHECK_NEAR(rows[i].mcnemar_p / CLASS_REF[i][2], 1.0, 1e-12);
    CHECK_NEAR(rows[i].mcnemar_p_holm, CLASS_REF[i][3], 1e-12);
  }
  free(rows);
}

/* ---- analysis.ece_bins --------------------------------------------------- */

static const char *BINS_CFG =
  "{\"models\": [{\"variants\": [{\"file\": \"a.h5\"}]}], \"analysis\": {\"ece_bins\": %s}}";

QA_TEST(calib_config_ece_bins) {
  char text[256];
  qa_config *cfg = NULL;
  qa_error err = {0};
  /* Default 15 (INTERFACE.md section 3). */
  CHECK_INT(qa_config_parse("{\"models\": [{\"variants\": [{\"file\": \"a.h5\"}]}]}",
                            "study.json", &cfg, &err), 0);
  if (cfg) CHECK_INT(cfg->ece_bins, 15);
  qa_config_free(cfg);
  cfg = NULL;
  snprintf(text, sizeof text, BINS_CFG, "10");
  CHECK_INT(qa_config_parse(text, "study.json", &cfg, &err), 0);
  if (cfg) CHECK_INT(cfg->ece_bins, 10);
  qa_config_free(cfg);
  static const struct { const char *value, *want; } bad[] = {
    {"0", "dir/study.json:analysis.ece_bins: 0 is out of range: expected [1, 1000]"},
    {"1001", "dir/study.json:analysis.ece_bins: 1001 is out of range: expected [1, 1000]"},
    {"-3", "dir/study.json:analysis.ece_bins: -3 is out of range: expected [1, 1000]"},
    {"2.5", "dir/study.json:analysis.ece_bins: expected an integer, found 2.5"},
    {"\"15\"", "dir/study.json:analysis.ece_bins: expected a number, found a string"},
    {"null", "dir/study.json:analysis.ece_bins: expected a number, found null"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cfg = NULL;
    qa_error_clear(&err);
    snprintf(text, sizeof text, BINS_CFG, bad[i].value);
    CHECK_INT(qa_config_parse(text, "dir/study.json", &cfg, &err), -1);
    CHECK(cfg == NULL);
    CHECK_STR(err.msg, bad[i].want);
    CHECK_INT(err.code, QA_EXIT_USAGE);
  }
}

/* The binary: one line on stderr, exit 1, no report. */
QA_TEST(calib_config_ece_bins_exit_code) {
  char path[512], cmd[2048], err_path[512];
  const char *dir = qa_test_tmpdir();
  snprintf(path, sizeof path, "%s/calib-bad-bins.json", dir);
  snprintf(err_path, sizeof err_path, "%s/calib-bad-bins.err", dir);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL);
  if (!f) return;
  fprintf(f, BINS_CFG, "0");
  fclose(f);
  snprintf(cmd, sizeof cmd, "./qaudit report %s -o %s/calib-bad-out --quiet 2>%s", path, dir,
           err_path);
  int st = system(cmd);
  CHECK(st != -1 && WIFEXITED(st));
  CHECK_INT(WEXITSTATUS(st), QA_EXIT_USAGE);
  char *msg = qa_test_read_file(err_path, NULL);
  char want[700];
  snprintf(want, sizeof want, "qaudit: error: %s:analysis.ece_bins: 0 is out of range: "
           "expected [1, 1000]\n", path);
  CHECK_STR(msg, want);
  free(msg);
  snprintf(cmd, sizeof cmd, "%s/calib-bad-out/report.json", dir);
  CHECK(qa_test_read_file(cmd, NULL) == NULL);
}

/* ---- end to end on the showcase ------------------------------------------ */

static double num(const cJSON *o, const char *key) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* Every variant of the showcase has logits and labels: calibration with 15
** bins that partition the 2,000 samples, and six classes that do too.  The
** numbers of int4 and int2 are NumPy's and SciPy's on the caches
** themselves (read with h5py, aligned by /samples/id):
**   /usr/bin/python3 tests/ref/calibration_ref.py showcase */
QA_TEST(calib_e2e_showcase) {
  char cmd[1024], path[512];
  const char *dir = qa_test_tmpdir();
  snprintf(cmd, sizeof cmd, "SOURCE_DATE_EPOCH=1700000000 ./qaudit report "
           "examples/showcase/config.json -o %s/calib-show --quiet 2>%s/calib-show.err", dir, dir);
  int st = system(cmd);
  CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  snprintf(path, sizeof path, "%s/calib-show/report.json", dir);
  char *text = qa_test_read_file(path, NULL);
  CHECK(text != NULL);
  if (!text) return;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *model = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
  const cJSON *v;
  int n_vars = 0, survivors = 0;
  cJSON_ArrayForEach(v, cJSON_GetObjectItem(model, "variants")) {
    const cJSON *out = cJSON_GetObjectItem(v, "outputs");
    const cJSON *cal = cJSON_GetObjectItem(out, "calibration");
    const cJSON *classes = cJSON_GetObjectItem(out, "per_class");
    int base = cJSON_IsTrue(cJSON_GetObjectItem(v, "is_baseline"));
    n_vars++;
    CHECK(cJSON_IsObject(cal));
    CHECK(num(cal, "ece") >= 0 && num(cal, "ece") <= 1);
    CHECK(num(cal, "brier") >= 0 && num(cal, "brier") <= 2);
    CHECK(num(cal, "nll") > 0);
    CHECK_NEAR(num(cal, "n"), 2000, 0);
    const cJSON *bins = cJSON_GetObjectItem(cal, "bins"), *b;
    CHECK_INT(cJSON_GetArraySize(bins), 15);
    double total = 0, last_hi = 0;
    cJSON_ArrayForEach(b, bins) {
      CHECK_NEAR(num(b, "lo"), last_hi, 1e-15);
      last_hi = num(b, "hi");
      total += num(b, "n");
      if (num(b, "n") == 0) {
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(b, "accuracy")));
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(b, "confidence")));
      } else {
        CHECK(num(b, "accuracy") >= 0 && num(b, "accuracy") <= 1);
        CHECK(num(b, "confidence") > num(b, "lo") - 1e-15 &&
              num(b, "confidence") <= num(b, "hi") + 1e-15);
      }
    }
    CHECK_NEAR(last_hi, 1.0, 0);
    CHECK_NEAR(total, 2000, 0);
    CHECK_INT(cJSON_GetArraySize(classes), 6);
    double n_cls = 0;
    const cJSON *pc;
    cJSON_ArrayForEach(pc, classes) {
      n_cls += num(pc, "n");
      CHECK(cJSON_IsString(cJSON_GetObjectItem(pc, "label")));
      CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(pc, "wilson95")) == 2);
      if (base) {
        CHECK_NEAR(num(pc, "delta_pp"), 0, 0);
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(pc, "mcnemar_p")));
        CHECK(cJSON_IsNull(cJSON_GetObjectItem(pc, "mcnemar_p_holm")));
      } else {
        CHECK(num(pc, "mcnemar_p") > 0 && num(pc, "mcnemar_p") <= 1);
        CHECK(num(pc, "mcnemar_p_holm") >= num(pc, "mcnemar_p"));
        survivors += cJSON_IsTrue(cJSON_GetObjectItem(pc, "survives_holm"));
      }
    }
    CHECK_NEAR(n_cls, 2000, 0);
    /* NumPy on the caches (see above). */
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(v, "name"));
    if (name && !strcmp(name, "int2")) {
      CHECK_NEAR(num(cal, "ece"), 0.55050839724927159, 1e-13);
      CHECK_NEAR(num(cal, "brier"), 1.1342393350012965, 1e-13);
      CHECK_NEAR(num(cal, "nll"), 10.273431752190087, 1e-12);
      const cJSON *safe = cJSON_GetArrayItem(classes, 0);
      CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(safe, "label")), "safe");
      CHECK_NEAR(num(safe, "n"), 629, 0);
      CHECK_NEAR(num(safe, "delta_pp"), -56.756756756756758, 1e-10);
      CHECK_NEAR(num(safe, "mcnemar_p") / 3.7433630263023853e-91, 1.0, 1e-10);
    }
    if (name && !strcmp(name, "int4")) {
      CHECK_NEAR(num(cal, "ece"), 0.023102541637846748, 1e-13);
      CHECK_NEAR(num(cal, "brier"), 0.20598148069721042, 1e-13);
      CHECK_NEAR(num(cal, "nll"), 0.40050922117718563, 1e-13);
    }
  }
  CHECK_INT(n_vars, 5);
  CHECK(survivors > 0);   /* int2 loses whole classes */
  cJSON_Delete(root);
  /* The reliability diagram, the two tables and the summary's finding. */
  snprintf(path, sizeof path, "%s/calib-show/figures/fig13-calib-triage-encoder-s.png", dir);
  char *png = qa_test_read_file(path, NULL);
  CHECK(png != NULL);
  free(png);
  static const char *const texts[] = {
    "Reliability diagram of each variant of triage-encoder-s",
    "calibration of the softmax outputs on the labelled samples (ECE over 15",
    "change in output accuracy by class (recall, pp against fp32)",
    "triage-encoder-s, calibration of the outputs: ECE 0.0270 at the baseline fp32",
    "Class changes that survive Holm"};
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    snprintf(cmd, sizeof cmd, "pdftotext -raw %s/calib-show/report.pdf - | tr '\n' ' ' | "
             "grep -qF '%s'", dir, texts[i]);
    st = system(cmd);
    if (!(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0))
      qa_test_fail(__FILE__, __LINE__, "report.pdf lacks \"%s\"", texts[i]);
  }
}

/* ---- figure 13 ----------------------------------------------------------- */

/* A model of two variants, calibration from the CAL fixture (the variant's
** logits halved: less confident). */
typedef struct calib_fake {
  qa_config cfg;
  qa_study study;
  qa_model model;
  qa_variant variants[2];
  qa_analysis analysis;
  qa_variant_result *rows[1];
  qa_variant_result res[2];
} calib_fake;

static int calib_fake_init(calib_fake *f, int with_calib) {
  memset(f, 0, sizeof *f);
  f->study.cfg = &f->cfg;
  f->study.n_models = 1;
  f->study.models = &f->model;
  f->model.name = "toy";
  f->model.n_variants = 2;
  f->model.variants = f->variants;
  f->variants[0].name = "fp32";
  f->variants[0].is_baseline = 1;
  f->variants[1].name = "int4";
  f->analysis.study = &f->study;
  f->analysis.models = f->rows;
  f->rows[0] = f->res;
  if (!with_calib) return 0;
  double half[12][4];
  for (int i = 0; i < 12; i++)
    for (int j = 0; j < 4; j++) half[i][j] = 0.5 * CAL_LOGITS[i][j];
  return qa_outputs_calibration_of(&CAL_LOGITS[0][0], CAL_LABELS, 12, 4, 10, &f->res[0].out.calib) ||
         qa_outputs_calibration_of(&half[0][0], CAL_LABELS, 12, 4, 10, &f->res[1].out.calib);
}

QA_TEST(calib_figure_reliability_diagram) {
  static calib_fake f;
  qa_plot_fonts *fonts = NULL;
  qa_error err = {0};
  if (qa_plot_fonts_load("fonts", &fonts, &err)) {
    qa_test_fail(__FILE__, __LINE__, "fonts: %s", err.msg);
    return;
  }
  char a[4096], b[4096], why[512];
  snprintf(a, sizeof a, "%s/calib-a.png", qa_test_tmpdir());
  snprintf(b, sizeof b, "%s/calib-b.png", qa_test_tmpdir());
  CHECK_INT(calib_fake_init(&f, 1), 0);
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  CHECK_INT(qa_figure_calib(&src, a, why, sizeof why, &err), 0);
  CHECK_STR(why, "");
  CHECK_INT(qa_figure_calib(&src, b, why, sizeof why, &err), 0);
  size_t na = 0, nb = 0;
  char *x = qa_test_read_file(a, &na), *y = qa_test_read_file(b, &nb);
  CHECK(x && y && na > 1000 && na == nb && memcmp(x, y, na) == 0);   /* deterministic */
  free(x);
  free(y);
  cairo_surface_t *img = cairo_image_surface_create_from_png(a);
  CHECK_INT(cairo_image_surface_get_width(img), 1430);   /* 6.5 in at 220 dpi */
  cairo_surface_destroy(img);
  for (int v = 0; v < 2; v++) qa_outputs_calibration_free(&f.res[v].out.calib);
  /* Without logits and labels: one sentence for "Figures not drawn" that
  ** starts with the model's name (so that models group into one bullet). */
  calib_fake_init(&f, 0);
  CHECK_INT(qa_figure_calib(&src, a, why, sizeof why, &err), 1);
  CHECK_STR(why, "toy has no variant with both output logits (/outputs/logits) and labels "
                 "(/samples/label), so there is no calibration to show.");
  char title[128];
  qa_figure_title(&f.study, QA_FIG_CALIB, 0, title, sizeof title);
  CHECK_STR(title, "Reliability diagram (toy)");
  qa_plot_fonts_free(fonts);
}

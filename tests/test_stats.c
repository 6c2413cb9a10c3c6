/*
** src/analysis/stats.c against R 4.2.2 (Rscript, Debian r-base-core) and
** NumPy 1.24.2 / SciPy 1.10.1 (/usr/bin/python3), and against the TR125
** anchors (tables SS8.1-8.5, SS16.1).  Each expected value carries the
** expression that produced it.  R printed with options(digits = 17).
*/
#include "harness.h"

#include <stdint.h>

#include "analysis/stats.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* The fixture of the moment and interval tests. */
static const double fixture_x[] = {2.5, 3.1, 4.7, 1.2, 9.8};

/* The two samples of the Welch / Cohen / TOST tests (B = baseline). */
static const double sample_b[] = {0.61, 0.72, 0.55, 0.80, 0.67, 0.70, 0.58, 0.75};
static const double sample_v[] = {0.52, 0.69, 0.49, 0.77, 0.60, 0.66, 0.50,
                                  0.71, 0.63, 0.45};

/* ---- Moments ----------------------------------------------------------- */

QA_TEST(stats_mean_var_sd) {
  /* R: x <- c(2.5, 3.1, 4.7, 1.2, 9.8); mean(x); var(x); sd(x) */
  CHECK_NEAR(qa_mean(fixture_x, 5), 4.2599999999999998, 1e-14);
  CHECK_NEAR(qa_var(fixture_x, 5), 11.173000000000002, 1e-12);
  CHECK_NEAR(qa_sd(fixture_x, 5), 3.3426037755019666, 1e-13);
}

QA_TEST(stats_var_large_offset) {
  /* R: var(1e9 + c(1,2,3,4)) = 1.6666666666666667 (a naive Σx² − n m²
  ** loses every digit here). */
  double x[] = {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4};
  CHECK_NEAR(qa_var(x, 4), 1.6666666666666667, 1e-12);
  CHECK_NEAR(qa_mean(x, 4), 1e9 + 2.5, 1e-6);
}

QA_TEST(stats_moments_too_few) {
  /* Closed form: no mean of nothing, no n−1 variance of one value. */
  CHECK(isnan(qa_mean(fixture_x, 0)));
  CHECK(isnan(qa_var(fixture_x, 1)));
  CHECK(isnan(qa_sd(fixture_x, 0)));
  CHECK_NEAR(qa_mean(fixture_x, 1), 2.5, 0);
}

QA_TEST(stats_moments_blocks_merge) {
  /* Folding the fixture as blocks {2.5, 3.1} and {4.7, 1.2, 9.8} into two
  ** partials and merging them must give R's var(x) = 11.173 (as above). */
  qa_moments left = {0}, right = {0}, total = {0};
  qa_moments_fold(&left, fixture_x, 2);
  qa_moments_fold(&right, fixture_x + 2, 3);
  qa_moments_merge(&total, &left);
  qa_moments_merge(&total, &right);
  CHECK_NEAR(total.n, 5, 0);
  CHECK_NEAR(total.mean, 4.2599999999999998, 1e-14);
  CHECK_NEAR(qa_moments_var(&total), 11.173000000000002, 1e-12);
  /* One value at a time through fold gives the same. */
  qa_moments one_by_one = {0};
  for (size_t i = 0; i < 5; i++) qa_moments_fold(&one_by_one, fixture_x + i, 1);
  CHECK_NEAR(qa_moments_var(&one_by_one), 11.173000000000002, 1e-12);
}

QA_TEST(stats_mean_var_u8) {
  /* R: u <- c(1,0,1,1,0,1,0); mean(u) = 0.5714285714285714;
  ** var(u) = 0.2857142857142857 */
  uint8_t u[] = {1, 0, 1, 1, 0, 1, 0};
  CHECK_NEAR(qa_mean_u8(u, 7), 0.5714285714285714, 1e-15);
  CHECK_NEAR(qa_var_u8(u, 7), 0.2857142857142857, 1e-15);
  CHECK(isnan(qa_mean_u8(u, 0)));
  CHECK(isnan(qa_var_u8(u, 1)));
}

/* ---- Quantiles --------------------------------------------------------- */

QA_TEST(stats_quantile_type7_numpy) {
  /* NumPy: np.quantile([3.0, 1.0, 4.0, 1.5, 9.0, 2.6],
  **                    [0, 0.05, 0.5, 0.99, 1]) = [1., 1.125, 2.8, 8.75, 9.] */
  double x[] = {3.0, 1.0, 4.0, 1.5, 9.0, 2.6};
  double x_copy[N_OF(x)];
  memcpy(x_copy, x, sizeof x);
  double qs[] = {0.0, 0.05, 0.5, 0.99, 1.0};
  double want[] = {1.0, 1.125, 2.8, 8.75, 9.0};
  double out[N_OF(qs)];
  CHECK_INT(qa_quantiles(x, N_OF(x), qs, N_OF(qs), out, NULL), 0);
  for (size_t i = 0; i < N_OF(qs); i++) CHECK_NEAR(out[i], want[i], 1e-14);
  CHECK(memcmp(x, x_copy, sizeof x) == 0);   /* input left alone */
  /* The same with a caller-supplied scratch buffer. */
  double scratch[N_OF(x)];
  double out2[N_OF(qs)];
  CHECK_INT(qa_quantiles(x, N_OF(x), qs, N_OF(qs), out2, scratch), 0);
  for (size_t i = 0; i < N_OF(qs); i++) CHECK_NEAR(out2[i], want[i], 1e-14);
}

QA_TEST(stats_quantile_small_arrays) {
  /* NumPy: np.quantile([10.0, 20.0], [0, 0.05, 1]) = [10., 10.5, 20.];
  **        np.quantile([7.0], [0, 0.05, 1]) = [7., 7., 7.] */
  double two[] = {10.0, 20.0}, one[] = {7.0};
  CHECK_NEAR(qa_quantile_sorted(two, 2, 0.0), 10.0, 0);
  CHECK_NEAR(qa_quantile_sorted(two, 2, 0.05), 10.5, 1e-14);
  CHECK_NEAR(qa_quantile_sorted(two, 2, 1.0), 20.0, 0);
  CHECK_NEAR(qa_quantile_sorted(one, 1, 0.0), 7.0, 0);
  CHECK_NEAR(qa_quantile_sorted(one, 1, 0.05), 7.0, 0);
  CHECK_NEAR(qa_quantile_sorted(one, 1, 1.0), 7.0, 0);
}

QA_TEST(stats_quantile_undefined) {
  /* No quantile of nothing, nor outside [0, 1] (stats.h). */
  double two[] = {10.0, 20.0}, out[2], qs[] = {0.5, 0.9};
  CHECK(isnan(qa_quantile_sorted(two, 0, 0.5)));
  CHECK(isnan(qa_quantile_sorted(two, 2, -0.01)));
  CHECK(isnan(qa_quantile_sorted(two, 2, 1.01)));
  CHECK(isnan(qa_quantile_sorted(two, 2, NAN)));
  CHECK_INT(qa_quantiles(two, 0, qs, 2, out, NULL), 0);
  CHECK(isnan(out[0]) && isnan(out[1]));
}

/* ---- Normal quantile and intervals ------------------------------------- */

QA_TEST(stats_z_quantiles) {
  /* R: qnorm(0.975); qnorm(0.8); qnorm(1e-10); qnorm(0.5) */
  CHECK_NEAR(qa_z(0.975), 1.9599639845400536, 1e-14);
  CHECK_NEAR(qa_z(0.8), 0.84162123357291441, 1e-14);
  CHECK_NEAR(qa_z(1e-10), -6.3613409024040557, 1e-12);
  CHECK_NEAR(qa_z(0.5), 0.0, 1e-15);
}

QA_TEST(stats_wilson_r_prop_test) {
  /* R: prop.test(339, 485, correct = FALSE)$conf.int (the Wilson score
  ** interval) = [0.65671254072711704, 0.73809848955170365];
  **    prop.test(282, 485, correct = FALSE)$conf.int
  **    = [0.53706705686578926, 0.62453953065766599] */
  double z = qa_z(0.975), lo, hi;
  qa_wilson(339, 485, z, &lo, &hi);
  CHECK_NEAR(lo, 0.65671254072711704, 1e-13);
  CHECK_NEAR(hi, 0.73809848955170365, 1e-13);
  qa_wilson(282, 485, z, &lo, &hi);
  CHECK_NEAR(lo, 0.53706705686578926, 1e-13);
  CHECK_NEAR(hi, 0.62453953065766599, 1e-13);
}

/* One TR125 row: k = round(accuracy · 485), interval to 3 decimals. */
static void check_tr125_row(double accuracy, double want_lo, double want_hi) {
  double lo, hi, k = round(accuracy * 485.0);
  qa_wilson(k, 485, qa_z(0.975), &lo, &hi);
  CHECK_NEAR(round(lo * 1000.0) / 1000.0, want_lo, 1e-9);
  CHECK_NEAR(round(hi * 1000.0) / 1000.0, want_hi, 1e-9);
}

QA_TEST(stats_wilson_tr125_tables) {
  /* TR125 v2, benchmark tables, N = 485, "Rescored Acc" and
  ** "95% Wilson CI".  (SS8.1 Q2_K, 0.581 [0.536, 0.624], is not used: no
  ** integer k of 485 gives that interval, k = 281 of n = 484 does, so that
  ** row was computed on fewer items.) */
  check_tr125_row(0.699, 0.657, 0.738);   /* SS8.1 llama3.1-8b Q3_K_S */
  check_tr125_row(0.724, 0.682, 0.762);   /* SS8.1 llama3.1-8b Q8_0 */
  check_tr125_row(0.581, 0.537, 0.625);   /* SS8.4 phi-2 Q6_K */
  check_tr125_row(0.289, 0.250, 0.331);   /* SS8.2 llama3.2-1b Q3_K_S */
  check_tr125_row(0.245, 0.209, 0.286);   /* SS8.5 qwen2.5-1.5b Q2_K */
}

QA_TEST(stats_wilson_extremes) {
  /* R: prop.test(0, 10, correct = FALSE)$conf.int = [0, 0.27753279986288915];
  **    prop.test(10, 10, correct = FALSE)$conf.int = [0.72246720013711085, 1]
  ** (closed form: z²/(n + z²) and n/(n + z²)). */
  double z = qa_z(0.975), lo, hi;
  qa_wilson(0, 10, z, &lo, &hi);
  CHECK_NEAR(lo, 0.0, 1e-15);
  CHECK_NEAR(hi, 0.27753279986288915, 1e-14);
  qa_wilson(10, 10, z, &lo, &hi);
  CHECK_NEAR(lo, 0.72246720013711085, 1e-14);
  CHECK_NEAR(hi, 1.0, 1e-15);
  qa_wilson(0, 0, z, &lo, &hi);   /* n = 0: no interval */
  CHECK(isnan(lo) && isnan(hi));
}

QA_TEST(stats_t_ci_r) {
  /* R: t.test(x)$conf.int = [0.1096092316992309, 8.4103907683007701];
  **    t.test(x, conf.level = 0.90)$conf.int
  **    = [1.0731920905486598, 7.4468079094513397], x the fixture. */
  double m = qa_mean(fixture_x, 5), sd = qa_sd(fixture_x, 5), lo, hi;
  qa_t_ci(m, sd, 5, 0.95, &lo, &hi);
  CHECK_NEAR(lo, 0.1096092316992309, 1e-12);
  CHECK_NEAR(hi, 8.4103907683007701, 1e-12);
  qa_t_ci(m, sd, 5, 0.90, &lo, &hi);
  CHECK_NEAR(lo, 1.0731920905486598, 1e-12);
  CHECK_NEAR(hi, 7.4468079094513397, 1e-12);
  qa_t_ci(m, sd, 1, 0.95, &lo, &hi);   /* n < 2: no interval */
  CHECK(isnan(lo) && isnan(hi));
}

/* ---- Two-sample tests -------------------------------------------------- */

QA_TEST(stats_welch_r_t_test) {
  /* R: t.test(v, b, var.equal = FALSE) on the samples above:
  ** t = -1.5370672587305862, df = 15.993163461163116,
  ** p = 0.14382401473517087 */
  qa_welch_result w;
  qa_welch(qa_mean(sample_b, 8), qa_var(sample_b, 8), 8,
           qa_mean(sample_v, 10), qa_var(sample_v, 10), 10, &w);
  CHECK_NEAR(w.t, -1.5370672587305862, 1e-12);
  CHECK_NEAR(w.df, 15.993163461163116, 1e-11);
  CHECK_NEAR(w.p, 0.14382401473517087, 1e-12);
  /* R: mean(v) - mean(b) = 0.60199999999999998 - 0.67249999999999999 */
  CHECK_NEAR(w.diff, 0.60199999999999998 - 0.67249999999999999, 1e-15);
}

QA_TEST(stats_welch_binary_vectors) {
  /* R: t.test(c(rep(1,5), rep(0,7)), c(rep(1,8), rep(0,4)),
  **           var.equal = FALSE): t = -1.2155706233281991,
  **           df = 21.955980435749222, p = 0.23705786781293581 */
  uint8_t b[12] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0};
  uint8_t v[12] = {1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
  qa_welch_result w;
  qa_welch(qa_mean_u8(b, 12), qa_var_u8(b, 12), 12,
           qa_mean_u8(v, 12), qa_var_u8(v, 12), 12, &w);
  CHECK_NEAR(w.t, -1.2155706233281991, 1e-12);
  CHECK_NEAR(w.df, 21.955980435749222, 1e-11);
  CHECK_NEAR(w.p, 0.23705786781293581, 1e-12);
}

QA_TEST(stats_welch_zero_variance) {
  /* Documented choice (stats.h; R refuses "essentially constant" data):
  ** equal constant samples give p = 1, different ones p = 0; t, df NaN. */
  qa_welch_result w;
  qa_welch(0.5, 0.0, 10, 0.5, 0.0, 12, &w);
  CHECK_NEAR(w.p, 1.0, 0);
  CHECK(isnan(w.t) && isnan(w.df));
  CHECK_NEAR(w.se, 0.0, 0);
  qa_welch(1.0, 0.0, 10, 0.0, 0.0, 12, &w);
  CHECK_NEAR(w.p, 0.0, 0);
  CHECK_NEAR(w.diff, -1.0, 0);
  CHECK(isnan(w.t) && isnan(w.df));
}

QA_TEST(stats_welch_one_constant_sample) {
  /* Closed form: with s_B² = 0 the Welch df is n_V − 1 and the test is
  ** the one-sample t of V against m_B.  R: t.test(v, mu = 0.7) gives
  ** t = -2.87517671856333523, df = 9, p = 0.01832145833996885. */
  qa_welch_result w;
  qa_welch(0.7, 0.0, 8, qa_mean(sample_v, 10), qa_var(sample_v, 10), 10, &w);
  CHECK_NEAR(w.df, 9.0, 1e-12);
  CHECK_NEAR(w.t, -2.87517671856333523, 1e-12);
  CHECK_NEAR(w.p, 0.01832145833996885, 1e-12);
}

QA_TEST(stats_welch_too_few) {
  /* n < 2 in either sample: nothing but the difference exists. */
  qa_welch_result w;
  qa_welch(0.5, NAN, 1, 0.4, 0.01, 10, &w);
  CHECK(isnan(w.t) && isnan(w.df) && isnan(w.p) && isnan(w.se));
  CHECK_NEAR(w.diff, -0.1, 1e-15);
}

QA_TEST(stats_cohens_d) {
  /* R: (mean(v)-mean(b)) / sqrt(((length(v)-1)*var(v) +
  **    (length(b)-1)*var(b)) / (length(v)+length(b)-2))
  **    = -0.71100219714180513 */
  double d = qa_cohens_d(qa_mean(sample_b, 8), qa_var(sample_b, 8), 8,
                         qa_mean(sample_v, 10), qa_var(sample_v, 10), 10);
  CHECK_NEAR(d, -0.71100219714180513, 1e-12);
  /* Documented choice: pooled SD 0 → 0 when means are equal, else NaN;
  ** fewer than 3 values in all → NaN. */
  CHECK_NEAR(qa_cohens_d(0.5, 0.0, 10, 0.5, 0.0, 10), 0.0, 0);
  CHECK(isnan(qa_cohens_d(0.5, 0.0, 10, 0.6, 0.0, 10)));
  CHECK(isnan(qa_cohens_d(0.5, 0.0, 1, 0.6, 0.0, 1)));
}

QA_TEST(stats_mcnemar_exact_r) {
  /* R: binom.test(490, 1000)$p.value = 0.54797274592347689 (and the same
  ** for 510); binom.test(2, 11)$p.value = 0.065429687500000042;
  ** binom.test(0, 7)$p.value = 0.015625000000000007 (= 2 / 2^7). */
  CHECK_NEAR(qa_mcnemar_exact(510, 490), 0.54797274592347689, 1e-12);
  CHECK_NEAR(qa_mcnemar_exact(490, 510), 0.54797274592347689, 1e-12);
  CHECK_NEAR(qa_mcnemar_exact(2, 9), 0.065429687500000042, 1e-14);
  CHECK_NEAR(qa_mcnemar_exact(0, 7), 0.015625, 1e-15);
}

QA_TEST(stats_mcnemar_large_counts) {
  /* R: binom.test(49500, 100000)$p.value = 0.0015823598788515954;
  **    2 * pbinom(49000, 1e5, 0.5) = 2 * 1.2943580191734451e-10;
  **    2 * pbinom(499000, 1e6, 0.5) = 2 * 0.022804149932691052.
  ** Relative tolerance 1e-9 (GSL's incomplete beta at these sizes). */
  double p = qa_mcnemar_exact(50500, 49500);
  CHECK_NEAR(p, 0.0015823598788515954, 1e-9 * 0.0015823598788515954);
  p = qa_mcnemar_exact(51000, 49000);
  CHECK_NEAR(p, 2 * 1.2943580191734451e-10, 1e-9 * 2 * 1.2943580191734451e-10);
  p = qa_mcnemar_exact(501000, 499000);
  CHECK_NEAR(p, 2 * 0.022804149932691052, 1e-9 * 2 * 0.022804149932691052);
}

QA_TEST(stats_mcnemar_no_discordance) {
  /* STATISTICS.md: 1 when b + c = 0; and min(1, ·) when b = c
  ** (R: binom.test(3, 6)$p.value = 1). */
  CHECK_NEAR(qa_mcnemar_exact(0, 0), 1.0, 0);
  CHECK_NEAR(qa_mcnemar_exact(3, 3), 1.0, 0);
}

QA_TEST(stats_tost_r_one_sided_welch) {
  /* R, margin 0.05:
  **   t.test(v, b, mu = -0.05, alternative = "greater")$p.value
  **     = 0.66954726058582226
  **   t.test(v, b, mu =  0.05, alternative = "less")$p.value
  **     = 0.0091526427620191204
  ** margin 0.2: 0.0061197130685437598 and 1.1267472162065094e-05. */
  qa_welch_result w;
  qa_welch(qa_mean(sample_b, 8), qa_var(sample_b, 8), 8,
           qa_mean(sample_v, 10), qa_var(sample_v, 10), 10, &w);
  double pl, pu;
  double tost = qa_tost(w.diff, w.se, w.df, 0.05, &pl, &pu);
  CHECK_NEAR(pl, 0.66954726058582226, 1e-12);
  CHECK_NEAR(pu, 0.0091526427620191204, 1e-13);
  CHECK_NEAR(tost, 0.66954726058582226, 1e-12);
  tost = qa_tost(w.diff, w.se, w.df, 0.2, &pl, &pu);
  CHECK_NEAR(pl, 0.0061197130685437598, 1e-13);
  CHECK_NEAR(pu, 1.1267472162065094e-05, 1e-15);
  CHECK_NEAR(tost, 0.0061197130685437598, 1e-13);
  CHECK_NEAR(qa_tost(w.diff, w.se, w.df, 0.2, NULL, NULL),
             0.0061197130685437598, 1e-13);
}

QA_TEST(stats_noninferiority_r) {
  /* R: t.test(v, b, mu = -0.2, alternative = "greater")$p.value
  **    = 0.0061197130685437598 */
  qa_welch_result w;
  qa_welch(qa_mean(sample_b, 8), qa_var(sample_b, 8), 8,
           qa_mean(sample_v, 10), qa_var(sample_v, 10), 10, &w);
  CHECK_NEAR(qa_noninferiority_p(w.diff, w.se, w.df, 0.2),
             0.0061197130685437598, 1e-13);
}

QA_TEST(stats_tost_zero_se) {
  /* Documented choice (stats.h): se = 0 → 0 inside the margin, else 1,
  ** whatever df (qa_welch leaves it NaN then). */
  double pl, pu;
  CHECK_NEAR(qa_tost(0.01, 0.0, NAN, 0.03, &pl, &pu), 0.0, 0);
  CHECK_NEAR(pl, 0.0, 0);
  CHECK_NEAR(pu, 0.0, 0);
  CHECK_NEAR(qa_tost(-0.05, 0.0, NAN, 0.03, &pl, &pu), 1.0, 0);
  CHECK_NEAR(pl, 1.0, 0);
  CHECK_NEAR(pu, 0.0, 0);
  CHECK_NEAR(qa_tost(0.03, 0.0, NAN, 0.03, NULL, NULL), 1.0, 0);
  CHECK_NEAR(qa_noninferiority_p(-0.01, 0.0, NAN, 0.03), 0.0, 0);
  /* No se at all (n < 2): NaN. */
  CHECK(isnan(qa_tost(0.01, NAN, NAN, 0.03, &pl, &pu)));
  CHECK(isnan(pl) && isnan(pu));
}

/* ---- Detectable effects ------------------------------------------------ */

QA_TEST(stats_mde_tr125_anchors) {
  /* TR125 SS16.1: 9.0 pp at p = 0.5, N = 485, alpha 0.05, power 0.8;
  ** d = 0.251 at N = 250.  SciPy: (norm.ppf(0.975) + norm.ppf(0.8)) *
  ** sqrt(2*0.25/485) = 0.08995348015564747, and * sqrt(2/250)
  ** = 0.2505813996983669. */
  double mde = qa_mde_prop(0.5, 485, 0.05, 0.8);
  CHECK_NEAR(mde, 0.08995348015564747, 1e-14);
  CHECK_NEAR(round(100.0 * mde * 10.0) / 10.0, 9.0, 1e-9);
  double d = qa_mde_d(250, 0.05, 0.8);
  CHECK_NEAR(d, 0.2505813996983669, 1e-14);
  CHECK_NEAR(round(d * 1000.0) / 1000.0, 0.251, 1e-9);
  CHECK(isnan(qa_mde_prop(0.5, 0, 0.05, 0.8)));
  CHECK(isnan(qa_mde_d(0, 0.05, 0.8)));
}

/* ---- Multiple comparisons ---------------------------------------------- */

QA_TEST(stats_holm_bonferroni_ties) {
  /* R: p <- c(0.01, 0.04, 0.03, 0.005, 0.04, 0.5)
  **    p.adjust(p, "holm")       = 0.05 0.12 0.12 0.03 0.12 0.5
  **    p.adjust(p, "bonferroni") = 0.06 0.24 0.18 0.03 0.24 1 */
  double p[] = {0.01, 0.04, 0.03, 0.005, 0.04, 0.5};
  double holm_want[] = {0.05, 0.12, 0.12, 0.03, 0.12, 0.5};
  double bonf_want[] = {0.06, 0.24, 0.18, 0.03, 0.24, 1.0};
  double out[N_OF(p)];
  CHECK_INT(qa_holm(p, N_OF(p), out), 0);
  for (size_t i = 0; i < N_OF(p); i++) CHECK_NEAR(out[i], holm_want[i], 1e-15);
  qa_bonferroni(p, N_OF(p), out);
  for (size_t i = 0; i < N_OF(p); i++) CHECK_NEAR(out[i], bonf_want[i], 1e-15);
}

QA_TEST(stats_holm_all_tied) {
  /* R: p.adjust(c(0.3, 0.3, 0.3), "holm") = 0.9 0.9 0.9 */
  double p[] = {0.3, 0.3, 0.3}, out[3];
  CHECK_INT(qa_holm(p, 3, out), 0);
  for (size_t i = 0; i < 3; i++) CHECK_NEAR(out[i], 0.9, 1e-15);
}

QA_TEST(stats_holm_bonferroni_nan) {
  /* R (NA is dropped and m counts the rest): p <- c(0.01, NA, 0.04, 0.03)
  **   p.adjust(p, "holm")       = 0.03 NA 0.06 0.06
  **   p.adjust(p, "bonferroni") = 0.03 NA 0.12 0.09 */
  double p[] = {0.01, NAN, 0.04, 0.03}, out[4];
  CHECK_INT(qa_holm(p, 4, out), 0);
  CHECK_NEAR(out[0], 0.03, 1e-15);
  CHECK(isnan(out[1]));
  CHECK_NEAR(out[2], 0.06, 1e-15);
  CHECK_NEAR(out[3], 0.06, 1e-15);
  qa_bonferroni(p, 4, out);
  CHECK_NEAR(out[0], 0.03, 1e-15);
  CHECK(isnan(out[1]));
  CHECK_NEAR(out[2], 0.12, 1e-15);
  CHECK_NEAR(out[3], 0.09, 1e-15);
  /* A family of NaN only: all NaN, nothing allocated. */
  double none[] = {NAN, NAN};
  CHECK_INT(qa_holm(none, 2, out), 0);
  CHECK(isnan(out[0]) && isnan(out[1]));
}

QA_TEST(stats_holm_in_place) {
  /* out may alias p; same R values as stats_holm_bonferroni_ties. */
  double p[] = {0.01, 0.04, 0.03, 0.005, 0.04, 0.5};
  double holm_want[] = {0.05, 0.12, 0.12, 0.03, 0.12, 0.5};
  CHECK_INT(qa_holm(p, N_OF(p), p), 0);
  for (size_t i = 0; i < N_OF(p); i++) CHECK_NEAR(p[i], holm_want[i], 1e-15);
}

/* ---- Divergence -------------------------------------------------------- */

QA_TEST(stats_kl_identical_logits) {
  /* KL(P ‖ P) = 0; softmax is unchanged by adding a constant. */
  double b[] = {2.0, 1.0, 0.1, -3.0};
  double shifted[] = {12.0, 11.0, 10.1, 7.0};
  CHECK_NEAR(qa_softmax_kl(b, b, 4), 0.0, 0);
  CHECK_NEAR(qa_softmax_kl(b, shifted, 4), 0.0, 1e-15);
  CHECK(qa_softmax_kl(b, shifted, 4) >= 0.0);
  CHECK(isnan(qa_softmax_kl(b, b, 0)));
}

QA_TEST(stats_kl_scipy) {
  /* SciPy: rel_entr(softmax(b), softmax(v)).sum()
  **   b = [2.0, 1.0, 0.1],      v = [1.5, 1.2, 0.3]     → 0.05820658910600921
  **   b = [1000., 999., 0.],    v = [999., 1000., 0.]   → 0.4621171572600098
  **   b = [0., -inf, 1.],       v = [0.5, 0., 0.2]      → 0.4904010200300328 */
  double b1[] = {2.0, 1.0, 0.1}, v1[] = {1.5, 1.2, 0.3};
  CHECK_NEAR(qa_softmax_kl(b1, v1, 3), 0.05820658910600921, 1e-14);
  double b2[] = {1000.0, 999.0, 0.0}, v2[] = {999.0, 1000.0, 0.0};
  CHECK_NEAR(qa_softmax_kl(b2, v2, 3), 0.4621171572600098, 1e-13);
  double b3[] = {0.0, -INFINITY, 1.0}, v3[] = {0.5, 0.0, 0.2};
  CHECK_NEAR(qa_softmax_kl(b3, v3, 3), 0.4904010200300328, 1e-14);
}

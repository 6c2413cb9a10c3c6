/*
** Paired analyses (src/analysis/stats.c qa_paired, qa_paired_binary,
** qa_below_p, with qa_tost / qa_noninferiority_p on the paired se and df).
** Expected values computed with SciPy 1.10.1 (Debian python3-scipy):
**   ttest_rel(v, b) for t and the two-sided p;
**   t.interval(0.95, n-1, loc=mean(d), scale=std(d, ddof=1)/sqrt(n));
**   TOST = max(ttest_1samp(d, -delta, alternative='greater').pvalue,
**              ttest_1samp(d, +delta, alternative='less').pvalue);
**   below = ttest_1samp(d, bound, alternative='less').pvalue.
*/
#include "harness.h"
#include "analysis/stats.h"

#define REL(got, want, rel) CHECK_NEAR((got), (want), fabs(want) * (rel))

/* 485 pairs, one lost and one gained (the showcase's int8, b = c = 1). */
QA_TEST(paired_one_discordant_pair_each_way) {
  qa_paired_result r;
  qa_paired_binary(1, 1, 485, &r);
  CHECK_NEAR(r.mean, 0.0, 0.0);
  CHECK_NEAR(r.df, 484.0, 0.0);
  CHECK_NEAR(r.p, 1.0, 1e-15);                      /* ttest_rel: 1.0 */
  REL(r.ci_hi, 0.00573531023241927, 1e-12);
  REL(r.ci_lo, -0.00573531023241927, 1e-12);
  REL(qa_tost(r.mean, r.se, r.df, 0.03, NULL, NULL), 7.5759645158682589e-23, 1e-9);
  REL(qa_tost(r.mean, r.se, r.df, 0.05, NULL, NULL), 4.5877733922526034e-52, 1e-9);
}

/* Ten pairs, all discordant: six lost (b), four gained (c). */
QA_TEST(paired_all_discordant) {
  qa_paired_result r;
  qa_paired_binary(6, 4, 10, &r);
  CHECK_NEAR(r.mean, -0.2, 1e-15);
  REL(r.sd, 1.0327955589886444, 1e-14);
  REL(r.t, -0.61237243569579458, 1e-13);
  REL(r.p, 0.55544544210558555, 1e-12);
  REL(r.ci_lo, -0.9388174355596739, 1e-10);   /* GSL tdist_Qinv: ~2e-11 at df 9 */
  REL(r.ci_hi, 0.53881743555967399, 1e-10);
  REL(qa_tost(r.mean, r.se, r.df, 0.30, NULL, NULL), 0.38321373410650372, 1e-11);
  /* worse_than_baseline at 5 pp: H0 d >= -0.05 */
  REL(qa_below_p(r.mean, r.se, r.df, -0.05), 0.32846254331622066, 1e-11);
  /* tier_at_most at 50 pp: H0 d <= -0.5 */
  REL(qa_noninferiority_p(r.mean, r.se, r.df, 0.5), 0.19114208407828764, 1e-11);
}

/* Identical variants: no discordant pair, s_d = 0 (STATISTICS.md: each
** one-sided p is 0 when the point lies strictly inside the alternative). */
QA_TEST(paired_identical_variants) {
  qa_paired_result r;
  qa_paired_binary(0, 0, 485, &r);
  CHECK_NEAR(r.mean, 0.0, 0.0);
  CHECK_NEAR(r.se, 0.0, 0.0);
  CHECK_NEAR(r.p, 1.0, 0.0);
  CHECK_NEAR(r.ci_lo, 0.0, 0.0);
  CHECK_NEAR(r.ci_hi, 0.0, 0.0);
  CHECK_NEAR(qa_tost(r.mean, r.se, r.df, 0.03, NULL, NULL), 0.0, 0.0);
  CHECK_NEAR(qa_noninferiority_p(r.mean, r.se, r.df, 0.03), 0.0, 0.0);
  CHECK_NEAR(qa_below_p(r.mean, r.se, r.df, -0.03), 1.0, 0.0);   /* no drop at all */
  /* Every pair lost: d = -1 everywhere, the drop is certain. */
  qa_paired_binary(20, 0, 20, &r);
  CHECK_NEAR(r.mean, -1.0, 0.0);
  CHECK_NEAR(r.p, 0.0, 0.0);
  CHECK_NEAR(qa_below_p(r.mean, r.se, r.df, -0.5), 0.0, 0.0);
  CHECK_NEAR(qa_tost(r.mean, r.se, r.df, 0.5, NULL, NULL), 1.0, 0.0);
}

QA_TEST(paired_continuous_scores) {
  /* d = y - x for x = [.61 .55 .72 .48 .66 .59 .70 .52],
  **              y = [.60 .50 .71 .45 .62 .60 .66 .49]. */
  static const double x[] = {0.61, 0.55, 0.72, 0.48, 0.66, 0.59, 0.70, 0.52};
  static const double y[] = {0.60, 0.50, 0.71, 0.45, 0.62, 0.60, 0.66, 0.49};
  double d[8];
  for (int i = 0; i < 8; i++) d[i] = y[i] - x[i];
  qa_paired_result r;
  qa_paired(qa_mean(d, 8), qa_var(d, 8), 8, &r);
  REL(r.mean, -0.025, 1e-12);
  REL(r.t, -3.5355339059327369, 1e-10);
  REL(r.p, 0.0095267805479514918, 1e-9);
  REL(r.ci_lo, -0.041720418428475438, 1e-10);
  REL(r.ci_hi, -0.0082795815715245649, 1e-9);
  /* TOST at 5 % of the baseline mean 0.60375 */
  REL(qa_tost(r.mean, r.se, r.df, 0.05 * qa_mean(x, 8), NULL, NULL), 0.24350812523926901, 1e-9);
}

QA_TEST(paired_too_few_pairs) {
  qa_paired_result r;
  qa_paired_binary(1, 0, 1, &r);
  CHECK_NEAR(r.mean, -1.0, 0.0);
  CHECK(isnan(r.se) && isnan(r.p) && isnan(r.ci_lo));
  CHECK(isnan(qa_below_p(r.mean, r.se, r.df, -0.05)));
}

/* McNemar on the same three fixtures: SciPy 1.10.1
** binomtest(min(b, c), b + c, 0.5).pvalue (the exact two-sided test). */
QA_TEST(paired_mcnemar_on_the_fixtures) {
  CHECK_NEAR(qa_mcnemar_exact(0, 0), 1.0, 0);               /* identical: no discordant pair */
  CHECK_NEAR(qa_mcnemar_exact(1, 1), 1.0, 1e-15);           /* binomtest(1, 2) = 1 */
  CHECK_NEAR(qa_mcnemar_exact(1, 0), 1.0, 1e-15);           /* binomtest(0, 1) = 1 */
  CHECK_NEAR(qa_mcnemar_exact(6, 4), 0.75390625, 1e-14);    /* all ten pairs discordant */
}

/*
** Statistics on plain numbers: moments, quantiles, intervals, two-sample
** tests, equivalence tests, detectable effects, multiple-comparison
** adjustment and the KL divergence of two logit vectors.
**
** Every function here is pure: numbers in, numbers out.  Nothing here opens
** a file, prints, or knows what a model or a variant is; only qa_quantiles
** and qa_holm may allocate (a scratch buffer, freed before returning).
** Distributions come from GSL, never from a hand-rolled approximation.
**
** A number that does not exist (too few samples, 0/0) is returned as NaN,
** which the results writer emits as JSON null.  Counts that only enter
** formulas (n, k) are passed as double.  Every formula cites its section of
** /work/shared/spec/STATISTICS.md (written "S.md" below).
**
** GSL calls its error handler on a domain error; with the inputs documented
** below none is reached.  main() is expected to install
** gsl_set_error_handler_off() so that a surprise becomes a NaN, not abort().
*/
#ifndef QA_STATS_H
#define QA_STATS_H

#include <stddef.h>
#include <stdint.h>

/* ---- Moments ----------------------------------------------------------- */

/* Running count, mean and sum of squared deviations (m2), foldable block
** by block and mergeable across threads (STYLE.md "Accumulators").
** Start from qa_moments m = {0}.  Blocks are folded two-pass, partials are
** merged with Chan et al. (1979):  m2 = m2_a + m2_b + d^2 n_a n_b / n. */
typedef struct qa_moments {
  double n;
  double mean;
  double m2;
} qa_moments;

/* scan: folds x[0..n) into acc. */
void qa_moments_fold(qa_moments *acc, const double *x, size_t n);
/* stop: merges the partial part into into. */
void qa_moments_merge(qa_moments *into, const qa_moments *part);
/* Sample variance m2/(n−1) of the accumulated values; NaN when n < 2. */
double qa_moments_var(const qa_moments *acc);

/* Arithmetic mean; NaN when n = 0. */
double qa_mean(const double *x, size_t n);
/* Sample variance, divisor n−1 (S.md "Benchmark accuracy"); NaN when n < 2. */
double qa_var(const double *x, size_t n);
/* sqrt(qa_var). */
double qa_sd(const double *x, size_t n);

/* The same on 0/1 vectors (benchmark `correct`); any nonzero byte counts as
** 1.  With k ones: mean = k/n, var = k(n−k)/(n(n−1)) exactly. */
double qa_mean_u8(const uint8_t *x, size_t n);
double qa_var_u8(const uint8_t *x, size_t n);

/* ---- Quantiles --------------------------------------------------------- */

/* Quantile q in [0,1] of n values sorted ascending, R type 7 (NumPy's
** default; S.md "Representation"): h = (n−1)q, lo = floor(h),
** Q = x[lo] + (h − lo)(x[lo+1] − x[lo]).  NaN when n = 0 or q is outside
** [0,1] or NaN. */
double qa_quantile_sorted(const double *sorted, size_t n, double q);

/* out[i] = type-7 quantile qs[i] of x[0..n) (x unchanged).  The values are
** copied into scratch (n doubles, may be NULL: then malloc'd and freed) and
** sorted ascending, NaN last.  Returns 0, or -1 when the allocation fails
** (out untouched). */
int qa_quantiles(const double *x, size_t n, const double *qs, size_t nq,
                 double *out, double *scratch);

/* ---- Normal quantile and intervals ------------------------------------- */

/* z(q): standard normal quantile, q in (0,1) (S.md preamble). */
double qa_z(double q);

/* Wilson score interval of k successes in n trials (S.md "Benchmark
** accuracy"), p̂ = k/n:
**   (p̂ + z²/2n ± z sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n).
** Both ends NaN when n = 0.  z = qa_z(0.975) for the 95% interval. */
void qa_wilson(double k, double n, double z, double *lo, double *hi);

/* Two-sided t-interval of a mean, conf in (0,1) (S.md "Generation
** quality"): mean ± t_{(1+conf)/2, n−1} sd/sqrt(n).  NaN when n < 2. */
void qa_t_ci(double mean, double sd, double n, double conf,
             double *lo, double *hi);

/* ---- Two-sample tests (B = baseline, V = variant) ---------------------- */

typedef struct qa_welch_result {
  double diff;   /* mean_v − mean_b */
  double se;     /* sqrt(var_v/n_v + var_b/n_b) */
  double t;      /* diff / se */
  double df;     /* Welch–Satterthwaite */
  double p;      /* two-sided, Student's t with df */
} qa_welch_result;

/* Welch's unequal-variance t-test from summaries (S.md "Benchmark
** accuracy"): t = (m_V − m_B)/SE, SE² = s_V²/n_V + s_B²/n_B,
** df = SE⁴ / ((s_V²/n_V)²/(n_V−1) + (s_B²/n_B)²/(n_B−1)),
** p = 2 P(T_df > |t|).
** Edge cases:
**  - n_B < 2 or n_V < 2: se, t, df and p are NaN (diff is still set).
**  - SE = 0 (both samples constant): t and df are NaN; p = 1 when the means
**    are equal and p = 0 when they differ (the difference is certain).
**    R's t.test refuses such data ("essentially constant"). */
void qa_welch(double mean_b, double var_b, double n_b,
              double mean_v, double var_v, double n_v, qa_welch_result *out);

/* Cohen's d, sign V − B, pooled SD with n−1 divisors (S.md "Benchmark
** accuracy"): (m_V − m_B) / sqrt(((n_V−1)s_V² + (n_B−1)s_B²)/(n_V+n_B−2)).
** NaN when n_V + n_B < 3.  Pooled SD 0: 0 when the means are equal (no
** effect), NaN when they differ (an infinite effect has no JSON number). */
double qa_cohens_d(double mean_b, double var_b, double n_b,
                   double mean_v, double var_v, double n_v);

/* Exact two-sided McNemar (S.md "Benchmark accuracy"); b = B right & V
** wrong, c = B wrong & V right:
**   p = min(1, 2·BinomCDF(min(b,c); b+c, ½)), and 1 when b+c = 0.
** Through gsl_cdf_binomial_P, checked against R to 1e-9 relative for b+c up
** to 10^6; NaN when b+c exceeds UINT_MAX. */
double qa_mcnemar_exact(uint64_t b, uint64_t c);

/* TOST with margin > 0 on a difference with its Welch se and df (S.md
** "Benchmark accuracy"):
**   p_lower = P(T_df ≥ (diff + margin)/se)   H0: diff ≤ −margin
**   p_upper = P(T_df ≤ (diff − margin)/se)   H0: diff ≥ +margin
** Returns tost_p = max(p_lower, p_upper); either out pointer may be NULL.
** se = 0 (whatever df, which qa_welch leaves NaN then): each one-sided p is
** 0 when the point lies strictly inside its side and 1 otherwise, so
** tost_p = 0 iff |diff| < margin.  Otherwise a NaN diff, se or df (n < 2)
** gives NaN. */
double qa_tost(double diff, double se, double df, double margin,
               double *p_lower, double *p_upper);

/* One-sided non-inferiority p for H0: diff ≤ −margin (S.md "Claims",
** tier_at_most): the p_lower of qa_tost. */
double qa_noninferiority_p(double diff, double se, double df, double margin);

/* ---- Paired tests (items paired by id; S.md "Benchmark accuracy",
** "paired") ------------------------------------------------------------ */

typedef struct qa_paired_result {
  double n;      /* pairs */
  double mean;   /* d̄, mean of d_i = x_V,i − x_B,i */
  double sd;     /* s_d, divisor n−1 */
  double se;     /* s_d/√n */
  double df;     /* n − 1 */
  double t, p;   /* two-sided paired t; with s_d = 0: t NaN, p 1 if d̄ = 0 else 0 */
  double ci_lo, ci_hi;   /* d̄ ± t(0.975, n−1) se (both d̄ when s_d = 0) */
} qa_paired_result;

/* The paired t analysis from the differences' mean, variance (divisor n−1)
** and count.  Everything but mean is NaN when n < 2. */
void qa_paired(double mean_d, double var_d, double n, qa_paired_result *out);

/* The same for 0/1 pairs from the discordant counts (S.md "paired"):
** b = B right & V wrong, c = B wrong & V right, n pairs,
** d̄ = (c − b)/n, s_d² = (b + c − n d̄²)/(n − 1). */
void qa_paired_binary(uint64_t b, uint64_t c, double n, qa_paired_result *out);

/* One-sided p for H0: diff ≥ bound against diff < bound (S.md "Claims",
** worse_than_baseline with bound = −m): P(T_df ≤ (diff − bound)/se);
** se = 0: 0 when diff < bound, else 1.  NaN when diff, se or df is. */
double qa_below_p(double diff, double se, double df, double bound);

/* ---- Detectable effects ------------------------------------------------ */

/* Minimum detectable difference of proportions, as a proportion (the
** caller multiplies by 100 for mde_pp; S.md "Benchmark accuracy"):
**   (z(1−alpha/2) + z(power)) sqrt(2 p(1−p)/n).   NaN when n ≤ 0. */
double qa_mde_prop(double p, double n, double alpha, double power);

/* Minimum detectable effect in Cohen's d (S.md "Generation quality"):
**   (z(1−alpha/2) + z(power)) sqrt(2/n).   NaN when n ≤ 0. */
double qa_mde_d(double n, double alpha, double power);

/* ---- Multiple comparisons (S.md "Multiple comparisons") ---------------- */

/* A NaN (or infinite) p is not part of the family: its output is NaN and m
** counts only the finite p values (as R's p.adjust does with NA).  out may
** alias p. */

/* out_i = min(1, m p_i). */
void qa_bonferroni(const double *p, size_t n, double *out);

/* Holm: sort the finite p ascending (ties keep input order), adjusted
** p_(i) = max_{j≤i} min(1, (m − j + 1) p_(j)), written back in input
** order.  Returns 0, or -1 when the index allocation fails (out untouched). */
int qa_holm(const double *p, size_t n, double *out);

/* ---- Divergence (S.md "Outputs") --------------------------------------- */

/* KL(softmax(B) ‖ softmax(V)) in nats over c classes, by log-sum-exp:
**   Σ_i p_i (log p_i − log q_i), log p_i = b_i − logsumexp(b).
** Terms with p_i = 0 contribute 0; tiny negative rounding is clamped to 0.
** NaN when c = 0. */
double qa_softmax_kl(const double *logit_b, const double *logit_v, size_t c);

#endif

/*
** Statistics on plain numbers; see stats.h for every definition and its
** source in STATISTICS.md.
**
** This file must stay pure: no I/O, no global state, no knowledge of the
** study.  Distributions are GSL's (gsl_cdf_*); the only allocations are the
** scratch buffers of qa_quantiles and qa_holm, freed before returning.
*/
#include "analysis/stats.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>

/* ---- Moments ----------------------------------------------------------- */

void qa_moments_fold(qa_moments *acc, const double *x, size_t n) {
  if (n == 0) return;
  /* Two passes over the block: the mean, refined by the mean residual,
  ** then the corrected sum of squares (Chan, Golub & LeVeque 1983, "corrected
  ** two-pass"), so a large common offset does not swamp the variance. */
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += x[i];
  double mean = sum / (double)n;
  double resid = 0.0, sq = 0.0;
  for (size_t i = 0; i < n; i++) {
    double d = x[i] - mean;
    resid += d;
    sq += d * d;
  }
  qa_moments block;
  block.n = (double)n;
  block.mean = mean + resid / (double)n;
  block.m2 = sq - resid * resid / (double)n;
  if (block.m2 < 0.0) block.m2 = 0.0;
  qa_moments_merge(acc, &block);
}

void qa_moments_merge(qa_moments *into, const qa_moments *part) {
  if (part->n == 0.0) return;
  if (into->n == 0.0) { *into = *part; return; }
  /* Chan, Golub & LeVeque (1979) pairwise update. */
  double n = into->n + part->n;
  double d = part->mean - into->mean;
  into->mean += d * part->n / n;
  into->m2 += part->m2 + d * d * into->n * part->n / n;
  into->n = n;
}

double qa_moments_var(const qa_moments *acc) {
  if (acc->n < 2.0) return NAN;
  return acc->m2 / (acc->n - 1.0);
}

double qa_mean(const double *x, size_t n) {
  if (n == 0) return NAN;
  qa_moments m = {0};
  qa_moments_fold(&m, x, n);
  return m.mean;
}

double qa_var(const double *x, size_t n) {
  qa_moments m = {0};
  qa_moments_fold(&m, x, n);
  return qa_moments_var(&m);
}

double qa_sd(const double *x, size_t n) {
  return sqrt(qa_var(x, n));
}

static size_t count_ones(const uint8_t *x, size_t n) {
  size_t k = 0;
  for (size_t i = 0; i < n; i++) k += x[i] != 0;
  return k;
}

double qa_mean_u8(const uint8_t *x, size_t n) {
  if (n == 0) return NAN;
  return (double)count_ones(x, n) / (double)n;
}

double qa_var_u8(const uint8_t *x, size_t n) {
  if (n < 2) return NAN;
  double k = (double)count_ones(x, n), nd = (double)n;
  /* Σ(x − k/n)² = k(n−k)/n for a 0/1 vector; divisor n−1. */
  return k * (nd - k) / (nd * (nd - 1.0));
}

/* ---- Quantiles --------------------------------------------------------- */

double qa_quantile_sorted(const double *sorted, size_t n, double q) {
  if (n == 0 || !(q >= 0.0 && q <= 1.0)) return NAN;
  /* R type 7: h = (n−1)q; STATISTICS.md "Representation". */
  double h = (double)(n - 1) * q;
  double lo_f = floor(h);
  size_t lo = (size_t)lo_f;
  if (lo >= n - 1) return sorted[n - 1];
  double frac = h - lo_f;
  if (frac == 0.0) return sorted[lo];
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

/* Ascending, NaN last, so that the order is total and deterministic. */
static int cmp_double_nan_last(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  if (isnan(x)) return isnan(y) ? 0 : 1;
  if (isnan(y)) return -1;
  return (x > y) - (x < y);
}

int qa_quantiles(const double *x, size_t n, const double *qs, size_t nq,
                 double *out, double *scratch) {
  if (n == 0) {
    for (size_t i = 0; i < nq; i++) out[i] = NAN;
    return 0;
  }
  double *buf = scratch;
  if (!buf) {
    if (n > SIZE_MAX / sizeof *buf) return -1;
    buf = malloc(n * sizeof *buf);
    if (!buf) return -1;
  }
  for (size_t i = 0; i < n; i++) buf[i] = x[i];
  qsort(buf, n, sizeof *buf, cmp_double_nan_last);
  for (size_t i = 0; i < nq; i++) out[i] = qa_quantile_sorted(buf, n, qs[i]);
  if (buf != scratch) free(buf);
  return 0;
}

/* ---- Normal quantile and intervals ------------------------------------- */

double qa_z(double q) {
  return gsl_cdf_ugaussian_Pinv(q);
}

void qa_wilson(double k, double n, double z, double *lo, double *hi) {
  if (!(n > 0.0)) { *lo = *hi = NAN; return; }
  /* Wilson score interval; STATISTICS.md "Benchmark accuracy". */
  double p = k / n, z2 = z * z;
  double centre = p + z2 / (2.0 * n);
  double half = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
  double denom = 1.0 + z2 / n;
  *lo = (centre - half) / denom;
  *hi = (centre + half) / denom;
  /* At p̂ = 0 (or 1) the end is 0 (1) in exact arithmetic; drop rounding. */
  if (*lo < 0.0) *lo = 0.0;
  if (*hi > 1.0) *hi = 1.0;
}

void qa_t_ci(double mean, double sd, double n, double conf,
             double *lo, double *hi) {
  if (!(n >= 2.0) || !(conf > 0.0 && conf < 1.0)) { *lo = *hi = NAN; return; }
  /* t-interval of the mean; STATISTICS.md "Generation quality". */
  double tq = gsl_cdf_tdist_Qinv((1.0 - conf) / 2.0, n - 1.0);
  double half = tq * sd / sqrt(n);
  *lo = mean - half;
  *hi = mean + half;
}

/* ---- Two-sample tests -------------------------------------------------- */

void qa_welch(double mean_b, double var_b, double n_b,
              double mean_v, double var_v, double n_v, qa_welch_result *out) {
  out->diff = mean_v - mean_b;
  out->se = out->t = out->df = out->p = NAN;
  if (!(n_b >= 2.0) || !(n_v >= 2.0)) return;
  /* Welch t and Welch–Satterthwaite df; STATISTICS.md "Benchmark accuracy". */
  double a_b = var_b / n_b, a_v = var_v / n_v;
  double se2 = a_b + a_v;
  if (se2 == 0.0) {
    /* Both samples constant: the difference is known exactly (stats.h). */
    out->se = 0.0;
    if (!isnan(out->diff)) out->p = out->diff == 0.0 ? 1.0 : 0.0;
    return;
  }
  out->se = sqrt(se2);
  out->t = out->diff / out->se;
  out->df = se2 * se2 / (a_b * a_b / (n_b - 1.0) + a_v * a_v / (n_v - 1.0));
  if (isnan(out->t) || isnan(out->df)) return;
  /* Upper tail directly (not 1 − P) so that tiny p keep their digits. */
  double p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
  out->p = p > 1.0 ? 1.0 : p;
}

double qa_cohens_d(double mean_b, double var_b, double n_b,
                   double mean_v, double var_v, double n_v) {
  double dof = n_v + n_b - 2.0;
  if (!(dof >= 1.0)) return NAN;
  /* Pooled SD with n−1 divisors; STATISTICS.md "Benchmark accuracy". */
  double pooled = sqrt(((n_v - 1.0) * var_v + (n_b - 1.0) * var_b) / dof);
  double diff = mean_v - mean_b;
  if (pooled == 0.0) return diff == 0.0 ? 0.0 : NAN;
  return diff / pooled;
}

double qa_mcnemar_exact(uint64_t b, uint64_t c) {
  if (b + c == 0) return 1.0;
  if (b > UINT_MAX || c > UINT_MAX - b) return NAN;
  /* Exact McNemar = two-sided sign test on the discordant pairs;
  ** STATISTICS.md "Benchmark accuracy". */
  unsigned int n = (unsigned int)(b + c);
  unsigned int k = (unsigned int)(b < c ? b : c);
  double p = 2.0 * gsl_cdf_binomial_P(k, 0.5, n);
  return p > 1.0 ? 1.0 : p;
}

double qa_tost(double diff, double se, double df, double margin,
               double *p_lower, double *p_upper) {
  double pl = NAN, pu = NAN, tost = NAN;
  /* Two one-sided Welch tests with one SE and df; STATISTICS.md
  ** "Benchmark accuracy" (TOST). */
  if (isnan(diff) || isnan(se) || isnan(margin)) {
    /* nothing exists */
  } else if (se == 0.0) {
    pl = diff > -margin ? 0.0 : 1.0;
    pu = diff < margin ? 0.0 : 1.0;
  } else if (!isnan(df)) {
    pl = gsl_cdf_tdist_Q((diff + margin) / se, df);
    pu = gsl_cdf_tdist_P((diff - margin) / se, df);
  }
  if (!isnan(pl) && !isnan(pu)) tost = pl > pu ? pl : pu;
  if (p_lower) *p_lower = pl;
  if (p_upper) *p_upper = pu;
  return tost;
}

double qa_noninferiority_p(double diff, double se, double df, double margin) {
  double pl;
  qa_tost(diff, se, df, margin, &pl, NULL);
  return pl;
}

/* ---- Paired tests ------------------------------------------------------ */

void qa_paired(double mean_d, double var_d, double n, qa_paired_result *out) {
  out->n = n;
  out->mean = mean_d;
  out->sd = out->se = out->df = out->t = out->p = out->ci_lo = out->ci_hi = NAN;
  if (!(n >= 2.0) || isnan(mean_d) || isnan(var_d)) return;
  /* Paired t on d_i, df n − 1; STATISTICS.md "Benchmark accuracy" (paired). */
  out->sd = var_d > 0.0 ? sqrt(var_d) : 0.0;
  out->se = out->sd / sqrt(n);
  out->df = n - 1.0;
  if (out->se == 0.0) {
    /* Every pair differs by the same amount: the difference is known. */
    out->p = mean_d == 0.0 ? 1.0 : 0.0;
    out->ci_lo = out->ci_hi = mean_d;
    return;
  }
  out->t = mean_d / out->se;
  double p = 2.0 * gsl_cdf_tdist_Q(fabs(out->t), out->df);
  out->p = p > 1.0 ? 1.0 : p;
  double h = gsl_cdf_tdist_Qinv(0.025, out->df) * out->se;
  out->ci_lo = mean_d - h;
  out->ci_hi = mean_d + h;
}

void qa_paired_binary(uint64_t b, uint64_t c, double n, qa_paired_result *out) {
  double mean = n > 0.0 ? ((double)c - (double)b) / n : NAN;
  /* s_d² = (b + c − n d̄²)/(n − 1): d_i is ±1 on the b + c discordant pairs. */
  double var = n >= 2.0 ? ((double)b + (double)c - n * mean * mean) / (n - 1.0) : NAN;
  qa_paired(mean, var, n, out);
}

double qa_below_p(double diff, double se, double df, double bound) {
  if (isnan(diff) || isnan(se) || isnan(bound)) return NAN;
  if (se == 0.0) return diff < bound ? 0.0 : 1.0;
  if (isnan(df)) return NAN;
  return gsl_cdf_tdist_P((diff - bound) / se, df);
}

/* ---- Detectable effects ------------------------------------------------ */

double qa_mde_prop(double p, double n, double alpha, double power) {
  if (!(n > 0.0)) return NAN;
  /* STATISTICS.md "Benchmark accuracy" (mde_pp, before the factor 100). */
  return (qa_z(1.0 - alpha / 2.0) + qa_z(power)) * sqrt(2.0 * p * (1.0 - p) / n);
}

double qa_mde_d(double n, double alpha, double power) {
  if (!(n > 0.0)) return NAN;
  /* STATISTICS.md "Generation quality" (MDE in Cohen's d). */
  return (qa_z(1.0 - alpha / 2.0) + qa_z(power)) * sqrt(2.0 / n);
}

/* ---- Multiple comparisons ---------------------------------------------- */

static size_t count_finite(const double *p, size_t n) {
  size_t m = 0;
  for (size_t i = 0; i < n; i++) m += isfinite(p[i]) != 0;
  return m;
}

void qa_bonferroni(const double *p, size_t n, double *out) {
  double m = (double)count_finite(p, n);
  /* STATISTICS.md "Multiple comparisons": min(1, m p). */
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(p[i])) { out[i] = NAN; continue; }
    double adj = m * p[i];
    out[i] = adj > 1.0 ? 1.0 : adj;
  }
}

typedef struct ranked_p { double p; size_t index; } ranked_p;

/* Ascending p; equal p keep input order (a stable, total order). */
static int cmp_ranked(const void *a, const void *b) {
  const ranked_p *x = a, *y = b;
  if (x->p != y->p) return x->p < y->p ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

int qa_holm(const double *p, size_t n, double *out) {
  size_t m = count_finite(p, n);
  ranked_p *ranked = NULL;
  if (m > 0) {
    if (m > SIZE_MAX / sizeof *ranked) return -1;
    ranked = malloc(m * sizeof *ranked);
    if (!ranked) return -1;
  }
  size_t r = 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(p[i])) { ranked[r].p = p[i]; ranked[r].index = i; r++; }
  /* All of p has been read: out may alias it from here on. */
  for (size_t i = 0; i < n; i++) if (!isfinite(p[i])) out[i] = NAN;
  if (m > 0) qsort(ranked, m, sizeof *ranked, cmp_ranked);
  /* STATISTICS.md "Multiple comparisons": p_(i) = max_{j≤i} min(1,
  ** (m − j + 1) p_(j)), j counted from 1. */
  double running = 0.0;
  for (size_t j = 0; j < m; j++) {
    double adj = (double)(m - j) * ranked[j].p;
    if (adj > 1.0) adj = 1.0;
    if (adj > running) running = adj;
    out[ranked[j].index] = running;
  }
  free(ranked);
  return 0;
}

/* ---- Divergence -------------------------------------------------------- */

static double log_sum_exp(const double *x, size_t c) {
  double max = x[0];
  for (size_t i = 1; i < c; i++) if (x[i] > max) max = x[i];
  if (!isfinite(max)) return max == -INFINITY ? NAN : max;
  double sum = 0.0;
  for (size_t i = 0; i < c; i++) sum += exp(x[i] - max);
  return max + log(sum);
}

double qa_softmax_kl(const double *logit_b, const double *logit_v, size_t c) {
  if (c == 0) return NAN;
  /* KL(softmax(B) ‖ softmax(V)) with log-sum-exp; STATISTICS.md "Outputs". */
  double lse_b = log_sum_exp(logit_b, c), lse_v = log_sum_exp(logit_v, c);
  double kl = 0.0;
  for (size_t i = 0; i < c; i++) {
    double log_p = logit_b[i] - lse_b;
    double p = exp(log_p);
    if (p == 0.0) continue;   /* 0 log 0 = 0 */
    kl += p * (log_p - (logit_v[i] - lse_v));
  }
  return kl < 0.0 ? 0.0 : kl;
}

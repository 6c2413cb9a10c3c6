/*
** Token-level outputs, stage 1: the values of one position (tokens.h).
**
** Per position the work is one exp per logit of every file (the floor):
** the baseline's exps e_j = exp(x_j − max) are kept and serve every
** variant, p_j = e_j / Σe.  The eight-lane loops are compiled for AVX-512,
** AVX2 and plain x86-64 (target_clones) with the same order of operations
** and no contraction into FMA, so every machine gets the same bits.  kld is summed in the centred form Σ p_j ((xb_j − xv_j) − c),
** c = lse_b − lse_v, whose terms are the per-entry log ratios: it keeps
** its relative accuracy when the KLD is tiny, where A − lse_b + lse_v
** (A = Σ p_j (xb_j − xv_j)) would cancel to 1e-8.
**
** The exps come from glibc's libmvec (_ZGVeN8v_exp, _ZGVdN4v_exp: at most
** 4 ulp, documented in glibc's manual "Errors in Math Functions") when the
** CPU has AVX-512 or AVX2, else from libm's exp; tests prove the two paths
** equal to within that bound.
*/
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include "analysis/tokens.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GLIBC__) && defined(__GNUC__)
#include <immintrin.h>
#define QA_TOK_MVEC 1
__m512d _ZGVeN8v_exp(__m512d x);
__m256d _ZGVdN4v_exp(__m256d x);
#endif

static int force_scalar = -1;      /* -1: not decided yet */
static int vector_level = -1;      /* 0 scalar, 2 AVX2, 3 AVX-512 */

static int level(void) {
  if (vector_level >= 0) return force_scalar > 0 ? 0 : vector_level;
  vector_level = 0;
#ifdef QA_TOK_MVEC
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) vector_level = 3;
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) vector_level = 2;
#endif
  if (force_scalar < 0) {
    const char *e = getenv("QAUDIT_SCALAR_EXP");
    force_scalar = e && *e && strcmp(e, "0") != 0;
  }
  return force_scalar > 0 ? 0 : vector_level;
}

int qa_tokens_vector_exp(void) { return level() > 0; }

int qa_tokens_force_scalar(int on) {
  level();
  int old = force_scalar > 0;
  force_scalar = on ? 1 : 0;
  return old;
}

/* Σ exp(x_j − shift) over j < v; e (may be NULL) receives the terms. */
static double sum_exp_scalar(const double *x, size_t v, double shift, double *e) {
  double s = 0;
  for (size_t j = 0; j < v; j++) {
    double y = exp(x[j] - shift);
    if (e) e[j] = y;
    s += y;
  }
  return s;
}

#ifdef QA_TOK_MVEC
__attribute__((target("avx512f"))) static double sum_exp_512(const double *x, size_t v,
                                                             double shift, double *e) {
  __m512d acc = _mm512_setzero_pd(), sh = _mm512_set1_pd(shift);
  size_t j = 0;
  for (; j + 8 <= v; j += 8) {
    __m512d y = _ZGVeN8v_exp(_mm512_sub_pd(_mm512_loadu_pd(x + j), sh));
    if (e) _mm512_storeu_pd(e + j, y);
    acc = _mm512_add_pd(acc, y);
  }
  double s = _mm512_reduce_add_pd(acc);
  return s + sum_exp_scalar(x + j, v - j, shift, e ? e + j : NULL);
}

__attribute__((target("avx2,fma"))) static double sum_exp_256(const double *x, size_t v,
                                                              double shift, double *e) {
  __m256d acc = _mm256_setzero_pd(), sh = _mm256_set1_pd(shift);
  size_t j = 0;
  for (; j + 4 <= v; j += 4) {
    __m256d y = _ZGVdN4v_exp(_mm256_sub_pd(_mm256_loadu_pd(x + j), sh));
    if (e) _mm256_storeu_pd(e + j, y);
    acc = _mm256_add_pd(acc, y);
  }
  double lanes[4];
  _mm256_storeu_pd(lanes, acc);
  double s = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
  return s + sum_exp_scalar(x + j, v - j, shift, e ? e + j : NULL);
}
#endif

static double sum_exp(const double *x, size_t v, double shift, double *e) {
#ifdef QA_TOK_MVEC
  int l = level();
  if (l == 3) return sum_exp_512(x, v, shift, e);
  if (l == 2) return sum_exp_256(x, v, shift, e);
#endif
  return sum_exp_scalar(x, v, shift, e);
}

/* Maximum and its first index.  Eight running maxima (the compiler may
** not reorder a floating-point reduction itself), merged at the end: the
** maximum does not depend on the order. */
#ifdef QA_TOK_MVEC
#define QA_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define QA_CLONES
#endif

/* The first index of the maximum m: eight at a time (a branch-free test
** the compiler vectorises), then the exact position. */
QA_CLONES static size_t first_of(const double *x, size_t v, double m) {
  size_t j = 0;
  for (; j + 8 <= v; j += 8) {
    int hit = 0;
    for (int l = 0; l < 8; l++) hit |= x[j + l] == m;
    if (hit) break;
  }
  while (j < v && x[j] != m) j++;
  return j < v ? j : 0;
}

/* Maximum (eight running maxima: the compiler may not reorder a
** floating-point reduction itself; the maximum does not depend on the
** order) and its first index.  A known maximum (not NaN) is taken as is. */
QA_CLONES static double row_max(const double *x, size_t v, double known, size_t *arg) {
  double m = known;
  if (isnan(m)) {
    double m8[8];
    size_t j = 0;
    for (int l = 0; l < 8; l++) m8[l] = x[0];
    for (; j + 8 <= v; j += 8)
      for (int l = 0; l < 8; l++) m8[l] = x[j + l] > m8[l] ? x[j + l] : m8[l];
    m = m8[0];
    for (int l = 1; l < 8; l++) m = m8[l] > m ? m8[l] : m;
    for (; j < v; j++) m = x[j] > m ? x[j] : m;
  }
  *arg = first_of(x, v, m);
  return m;
}

/* Σ p_j ((xb_j − xv_j) − c) in eight lanes summed in a fixed order, so the
** result is the same on every machine and at every block size. */
QA_CLONES static double kld_sum(const double *p, const double *xb, const double *xv, size_t v, double c) {
  double a8[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t j = 0;
  for (; j + 8 <= v; j += 8)
    for (int l = 0; l < 8; l++) a8[l] += p[j + l] * ((xb[j + l] - xv[j + l]) - c);
  double k = ((a8[0] + a8[1]) + (a8[2] + a8[3])) + ((a8[4] + a8[5]) + (a8[6] + a8[7]));
  for (; j < v; j++) k += p[j] * ((xb[j] - xv[j]) - c);
  return k;
}

void qa_tokens_base_m(const double *xb, size_t v, int32_t y, double max, qa_tokens_base_row *b) {
  double m = row_max(xb, v, max, &b->argmax);
  double s = sum_exp(xb, v, m, b->p);
  b->lse = m + log(s);
  b->nll = b->lse - xb[y];
  b->inv_sum = 1.0 / s;
}

void qa_tokens_base(const double *xb, size_t v, int32_t y, qa_tokens_base_row *b) {
  qa_tokens_base_m(xb, v, y, NAN, b);
}

void qa_tokens_row(const qa_tokens_base_row *b, const double *xb, const double *xv, size_t v,
                   int32_t y, double *nll, double *kld, double *dp, uint8_t *same) {
  qa_tokens_row_m(b, xb, xv, v, y, NAN, nll, kld, dp, same);
}

void qa_tokens_row_m(const qa_tokens_base_row *b, const double *xb, const double *xv, size_t v,
                     int32_t y, double max, double *nll, double *kld, double *dp, uint8_t *same) {
  size_t arg;
  double m = row_max(xv, v, max, &arg);
  double lse = m + log(sum_exp(xv, v, m, NULL));
  double c = b->lse - lse;
  double k = b->inv_sum * kld_sum(b->p, xb, xv, v, c);
  *nll = lse - xv[y];
  *kld = k;
  *dp = exp(-*nll) - exp(-b->nll);
  *same = arg == b->argmax;
}

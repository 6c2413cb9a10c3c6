/*
** Coverage and density (Naeem et al. 2020), the neighbour overlap at every
** k, and the worst samples: coverage.h has the definitions.
**
** Coverage and density are two passes of GEMM tiles:
**   radii    X X' in upper tiles (each pair once): every row keeps the
**            k + RADII_SLACK candidates of lowest lower bound, then
**            recomputes those that can be among its k nearest in exact
**            order and takes the k-th smallest: r_i^2, exact;
**   decide   X Y' in tiles: a pair is in (d_ij < r_i) when the GEMM value
**            is below r_i^2 by more than the bound, out when above it by at
**            least the bound, and recomputed in exact order otherwise.
** The tiles come from cblas_sgemm on float32 images of the rows (the
** default: half the time of dgemm) or from cblas_dgemm on the doubles; each
** path has its bound below, and the results are the same by construction:
** a comparison is either proven by the bound or made on the exact value.
**
** The exact value.  For rows a, b (d values) let tau0 = sum (a_l - b_l)^2
** in exact arithmetic, u = 2^-53 and gamma(n, u) = n u / (1 - n u).  The
** definition's value t = fl(sum fl(fl(a_l - b_l)^2)) meets at most d + 2
** roundings per term, all of them relative to nonnegative terms, so
** |t - tau0| <= gamma(d+2, u) tau0 + d 2^-1074 (each square that
** underflows loses at most 2^-1075; d 2^-1020 if a library had set
** flush-to-zero: at most 2d operations that lose below 2^-1022 each).
**
** The double path.  S = (|a| + |b|)^2.  The GEMM value
** g = fl(fl(|a|^2 + |b|^2) - 2 fl(a.b)) is a signed sum of the products
** a_l^2, b_l^2, a_l b_l in which every product meets at most d + 2
** roundings (the product, at most d-1 additions inside its dot product,
** whatever order or blocking the BLAS uses, with or without FMA, and two
** outside), so |g - tau0| <= gamma(d+2, u) (|a|^2 + |b|^2 + 2 sum |a_l b_l|)
** <= gamma(d+2, u) S (Higham, "Accuracy and Stability of Numerical
** Algorithms", 2nd ed., Lemma 3.1 and section 3.1).  With the exact value's
** bound, |g - t| <= 2 gamma(d+2, u) S.  The code uses
**     E = 4 (d + 4) u S' + (8 d + 16) 2^-1074,   S' = (sqrt(fl|a|^2) + sqrt(fl|b|^2))^2
** which exceeds 2 gamma(d+2, u) S plus the rounding of g + E and g - E
** themselves (u |g +- E| <= 1.01 u S) for any d < 2^40 (S' >= (1 - 2 d u) S),
** and the last term covers products that underflow (each loses at most
** 2^-1075 absolute, at most 4d + 8 of them in g or in t).  So
**     fl(g + E) <  r^2  implies  t <  r^2,
**     fl(g - E) >= r^2  implies  t >= r^2,
** and only pairs between the two are recomputed; with d = 768, E = 3.4e-13 S,
** so in practice only exact or near ties are recomputed.
**
** The float32 path.  The frame, made once from the baseline X: mu = its
** column means (any vector would do: distances do not move with it), s the
** exponent of max |fl(x_il - mu_l)| (all below 2^s), p = 2^-s.  A row a
** becomes f_l = fl32(fl(a_l - mu_l) p), set to 0 when |f_l| < 2^-126 (so no
** subnormal reaches the sgemm, whatever its flush-to-zero or
** denormals-are-zero modes), with F_a = fl(sum f_l^2) in double (exact
** products) and the norm bound nu_a = (sqrt(F_a)(1 + 2^-30) + sqrt(d)
** 2^-126)(1 + 2^-23).  With c = the sgemm value of f_a.f_b, the estimate
** g = F_a + F_b - 2c is compared with R_i = fl(r_i^2 p^2) (in the radii pass
** the bounds are compared with each other).  Let z = (a - mu) p exactly, so
** tau = |z_a - z_b|^2 = p^2 tau0, and v = 2^-24, u1 = v + u + v u:
**  (a) conversion: |f_l - z_l| <= u1 |z_l| + 2^-126 (the double difference,
**      then float32 rounding or the flush), so, A = |f_a|, Z_a = |z_a|,
**      | |f_a - f_b| - |z_a - z_b| | <= e = u1 (Z_a + Z_b) + 2 sqrt(d) 2^-126
**      and | |f_a - f_b|^2 - tau | <= e (2 (Z_a + Z_b) + e);
**  (b) the sgemm: whatever its order, blocking, threads or FMA, each term
**      f_l h_l meets at most d roundings of relative size v along its path,
**      and each of at most 2d operations loses at most 2^-126 absolute
**      (underflow, gradual or flushed): |c - f_a.f_b| <= gamma(d, v)
**      sum |f_l h_l| + d 2^-124 <= gamma(d, v) A B + d 2^-124 (Higham
**      section 3.1, with Cauchy-Schwarz);
**  (c) the norms: |F_a - A^2| <= gamma(d-1, u) A^2; then A <= nu_a and
**      Z_a <= (A + sqrt(d) 2^-126) / (1 - u1) <= nu_a (for d <= 2^16,
**      gamma(d-1, u) < 2^-36, so 2^-30 covers it and the roundings of nu);
**  (d) the exact value: |t p^2 - tau| <= gamma(d+2, u) tau + d 2^-1020 p^2,
**      tau <= (Z_a + Z_b)^2;
**  (e) evaluating g -+ E in double: at most 4 roundings a term, on terms
**      whose absolute values sum to at most 1.51 V^2 + E (V = nu_a + nu_b,
**      F_a <= nu_a^2, 2|c| <= 2.02 nu_a nu_b + ...): below 16 u V^2 + 5 u E;
**      R_i is r_i^2 p^2 within 2^-1075.
** Summing (a)-(e), with P = nu_a nu_b, |(F_a + F_b - 2c) - t p^2| plus (e)
** plus 2^-1070 is below
**     E = alpha P + beta2 V^2 + beta1 V + beta0,   alpha = 2 gamma(d, v),
**     beta2 = u1 (2 + u1) + gamma(d-1, u) + gamma(d+2, u) + 16 u,
**     beta1 = 4 sqrt(d) 2^-126 (1 + u1),
**     beta0 = 4 d 2^-252 + d 2^-123 + d 2^-1020 p^2 + 2^-1070,
** each coefficient taken 1 + 2^-20 times (which covers the 5 u E of (e) and
** computing E; the code sums it as (alpha + 2 beta2) nu_a nu_b + w_a + w_b,
** w = beta2 nu^2 + beta1 nu + beta0 / 2, the same sum).  Hence, as reals,
**     lo = fl(g - E) <= t p^2 - 2^-1070,   hi = fl(g + E) >= t p^2 + 2^-1070,
** so  hi < R_i  implies t < r_i^2,  lo >= R_i  implies t > r_i^2, and the
** radii's candidate lists hold lo <= t p^2 <= hi as on the double path.
** With d = 768, alpha = 9.2e-5 and beta2 = 1.2e-7: E is about 1e-4 times
** |a - mu| |b - mu|, wide next to the double path's 3.4e-13 S but narrow
** next to the spread of distances between high-dimensional states: on
** states like bench/make_data.py's (N = 5000, D = 768) the radii recompute
** 5.04 distances a row (k = 5 of them unavoidable) and a variant 8 pairs in
** a million.
** The float32 path needs d <= 65536 (for (b) and (c): d v <= 2^-8),
** |s| <= 400 (p^2 and d 2^-1020 p^2 representable, and t of rows
** within 2^401 of mu cannot overflow), and for a variant every |fl(y_l -
** mu_l)| p < 2^40 (floats, their products and sums far below 2^127); outside
** these the double path, which takes any finite input, runs instead.
**
** This file must never hold an n*n matrix, read a file or print.
*/
#include "analysis/coverage.h"
#include "util/alloc.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COV_TILE_DEFAULT 1024   /* 4 MB of float32 (8 MB of double) GEMM values */
#define RADII_SLACK 8           /* candidate slots per row beyond k */
#define F32_DIM_MAX 65536       /* d 2^-24 <= 2^-8 */
#define F32_EXP_MAX 400         /* |s| */
#define F32_VARIANT_LIMIT 0x1p40   /* a variant's scaled |y - mu| < 2^40 */

/* The scans of float32 tiles, compiled for AVX-512, AVX2 and the baseline
** (ISO C: the same operations, no contraction, in every clone). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define COV_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define COV_CLONES
#endif


/* The definition's squared distance: sum (a_l - b_l)^2 in index order.
** (-std=c11 keeps GCC from contracting it into FMAs; the bounds above hold
** either way, only the definition's bits would change.) */
static double sqdist_exact(const double *a, const double *b, size_t d) {
  double s = 0;
  for (size_t l = 0; l < d; l++) {
    double e = a[l] - b[l];
    s += e * e;
  }
  return s;
}

/* sqdist_exact of a to four rows at once: four independent sums, each in
** index order, so the same bits as four calls at up to four times the
** speed (the additions of one sum wait on each other; of four, do not). */
static void sqdist_exact4(const double *a, const double *b0, const double *b1,
                          const double *b2, const double *b3, size_t d, double out[4]) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t l = 0; l < d; l++) {
    double e0 = a[l] - b0[l], e1 = a[l] - b1[l], e2 = a[l] - b2[l], e3 = a[l] - b3[l];
    s0 += e0 * e0;
    s1 += e1 * e1;
    s2 += e2 * e2;
    s3 += e3 * e3;
  }
  out[0] = s0; out[1] = s1; out[2] = s2; out[3] = s3;
}

static int check_shapes(size_t n, size_t m, size_t d, size_t k, qa_error *err) {
  if (k < 1 || k >= n)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "knn_k = %zu: coverage needs at least 1 neighbour and %zu baseline "
                        "samples, found %zu", k, k + 1, n);
  if (m < 1)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL, "coverage: the variant has no samples");
  if (n > INT32_MAX || m > INT32_MAX || d > INT_MAX || k > INT32_MAX - RADII_SLACK)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "coverage: %zu and %zu samples of dimension %zu exceed the limits",
                        n, m, d);
  return 0;
}

/* ---- The double path's bound -------------------------------------------- */

/* Squared norms (index order) and norms of the rows of A. */
static void row_norms(const double *A, size_t rows, size_t d, double *sq, double *norm) {
  for (size_t i = 0; i < rows; i++) {
    double s = 0;
    for (size_t l = 0; l < d; l++) s += A[i * d + l] * A[i * d + l];
    sq[i] = s;
    norm[i] = sqrt(s);
  }
}

/* The GEMM-to-exact bound E for rows of norms na, nb (the comment above). */
typedef struct bound { double rel, abs; } bound;

static bound make_bound(size_t d) {
  bound b = {4.0 * ((double)d + 4.0) * DBL_EPSILON / 2, (8.0 * (double)d + 16.0) * DBL_TRUE_MIN};
  return b;
}

static inline double bound_at(bound b, double na, double nb) {
  double s = na + nb;
  return b.rel * s * s + b.abs;
}

/* G (ra x rb, ld rb) = A B' for row blocks of A (ra x d) and B (rb x d). */
static void gemm_tile(const double *A, size_t ra, const double *B, size_t rb, size_t d,
                      double *G) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ra, (int)rb, (int)d, 1.0, A,
              (int)d, B, (int)d, 0.0, G, (int)rb);
}

/* ---- The float32 path: frame, images, bound ----------------------------- */

static double gamma_of(double n, double unit) { return n * unit / (1.0 - n * unit); }

qa_coverage_f32_bound qa_coverage_f32_bound_of(size_t d, int scale_exp) {
  double D = (double)d, v = 0x1p-24, u = 0x1p-53, u1 = v + u + v * u;
  double slack = 1.0 + 0x1p-20, c0 = 2.0 * sqrt(D) * 0x1p-126;
  qa_coverage_f32_bound b;
  b.dot_rel = gamma_of(D, v);
  b.dot_abs = D * 0x1p-124;
  b.alpha = slack * 2.0 * b.dot_rel;
  b.beta2 = slack * (u1 * (2.0 + u1) + gamma_of(D > 1 ? D - 1 : 0, u) + gamma_of(D + 2, u) +
                     16.0 * u);
  b.beta1 = slack * c0 * (2.0 + 2.0 * u1);
  b.beta0 = slack * (c0 * c0 + D * 0x1p-123 + ldexp(D, -1020 - 2 * scale_exp) + 0x1p-1070);
  return b;
}

/* The frame: f = fl32(fl(x - mu) p), flushed below 2^-126. */
typedef struct f32_frame {
  double *mu;          /* [d] */
  int s;               /* p = 2^-s */
  double p;
  double pair;         /* alpha + 2 beta2: the coefficient of nu_a nu_b */
  double beta2, beta1, half_beta0;
} f32_frame;

/* Per-row terms of the float32 images: E = pair nu_a nu_b + w_a + w_b, so
** lo = (qlo_a + qlo_b) - 2c - pair nu_a nu_b with qlo = F - w, and hi the
** same with qhi = F + w and + pair nu_a nu_b. */
typedef struct f32_rows {
  double *qlo, *qhi, *nu;   /* [rows] */
} f32_rows;

static void f32_rows_free(f32_rows *r) {
  free(r->qlo); free(r->qhi); free(r->nu);
  r->qlo = r->qhi = r->nu = NULL;
}

static int f32_rows_alloc(f32_rows *r, size_t rows, qa_error *err) {
  r->qlo = qa_alloc_array(rows, sizeof *r->qlo, err, "coverage norms");
  r->qhi = r->qlo ? qa_alloc_array(rows, sizeof *r->qhi, err, "coverage norms") : NULL;
  r->nu = r->qhi ? qa_alloc_array(rows, sizeof *r->nu, err, "coverage norms") : NULL;
  if (!r->nu) { f32_rows_free(r); return -1; }
  return 0;
}

/* f[0..d) = the float32 image of row x (no norm: vectorisable). */
/* One element's image.  The caller has checked that |fl(x - mu) p| < 2^40. */
static inline float f32_of(double x, double mu, double p) {
  float v = (float)((x - mu) * p);
  return fabsf(v) < FLT_MIN ? 0.0f : v;
}

/* f[0..d) = the float32 image of row x (blocks of eight: GCC vectorises
** them at -O2, for each clone). */
COV_CLONES static void f32_image(const f32_frame *fr, const double *restrict x, size_t d,
                                 float *restrict f) {
  const double *mu = fr->mu;
  double p = fr->p;
  size_t l = 0;
  for (; l + 8 <= d; l += 8)
    for (int t = 0; t < 8; t++) f[l + t] = f32_of(x[l + t], mu[l + t], p);
  for (; l < d; l++) f[l] = f32_of(x[l], mu[l], p);
}

/* Row terms from an image: F = sum f_l^2 (exact products; eight partial
** sums, a fixed order), nu and w (the file header). */
COV_CLONES static void f32_row_terms(const f32_frame *fr, const float *restrict f, size_t d,
                                     f32_rows *r, size_t i) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t l = 0;
  for (; l + 8 <= d; l += 8)
    for (int t = 0; t < 8; t++) acc[t] += (double)f[l + t] * (double)f[l + t];
  for (int t = 0; l < d; l++, t++) acc[t] += (double)f[l] * (double)f[l];
  double F = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  double nu = (sqrt(F) * (1.0 + 0x1p-30) + sqrt((double)d) * 0x1p-126) * (1.0 + 0x1p-23);
  double w = fr->beta2 * nu * nu + fr->beta1 * nu + fr->half_beta0;
  r->qlo[i] = F - w;
  r->qhi[i] = F + w;
  r->nu[i] = nu;
}

/* mu[l] = sum_i X[i][l] (rows in order). */
COV_CLONES static void column_sums(const double *restrict X, size_t n, size_t d,
                                   double *restrict mu) {
  for (size_t l = 0; l < d; l++) mu[l] = 0;
  for (size_t i = 0; i < n; i++) {
    const double *x = X + i * d;
    size_t l = 0;
    for (; l + 8 <= d; l += 8)
      for (int t = 0; t < 8; t++) mu[l + t] += x[l + t];
    for (; l < d; l++) mu[l] += x[l];
  }
}

/* max |fl(X[i][l] - mu[l])| (inputs are finite). */
COV_CLONES static double largest_offset(const double *restrict X, size_t n, size_t d,
                                        const double *restrict mu) {
  double top[8] = {0, 0, 0, 0, 0, 0, 0, 0}, m = 0;
  for (size_t i = 0; i < n; i++) {
    const double *x = X + i * d;
    size_t l = 0;
    for (; l + 8 <= d; l += 8)
      for (int t = 0; t < 8; t++) {
        double a = fabs(x[l + t] - mu[l + t]);
        top[t] = a > top[t] ? a : top[t];
      }
    for (; l < d; l++) top[0] = fmax(top[0], fabs(x[l] - mu[l]));
  }
  for (int t = 0; t < 8; t++) m = fmax(m, top[t]);
  return m;
}

/* The frame of X, or 1 when X is outside the float32 path's range. */
static int f32_frame_make(const double *X, size_t n, size_t d, f32_frame *fr, qa_error *err) {
  if (d > F32_DIM_MAX) return 1;
  if (!(fr->mu = qa_alloc_array(d, sizeof *fr->mu, err, "coverage frame"))) return -1;
  column_sums(X, n, d, fr->mu);
  for (size_t l = 0; l < d; l++) fr->mu[l] /= (double)n;
  double top = largest_offset(X, n, d, fr->mu);
  fr->s = 0;
  if (top > 0) frexp(top, &fr->s);   /* top < 2^s */
  if (fr->s > F32_EXP_MAX || fr->s < -F32_EXP_MAX) { free(fr->mu); fr->mu = NULL; return 1; }
  fr->p = ldexp(1.0, -fr->s);
  qa_coverage_f32_bound b = qa_coverage_f32_bound_of(d, fr->s);
  fr->pair = b.alpha + 2.0 * b.beta2;
  fr->beta2 = b.beta2;
  fr->beta1 = b.beta1;
  fr->half_beta0 = b.beta0 / 2;
  return 0;
}

/* Images (rows x d floats, new array *out) and row terms of A; 1 (and
** nothing allocated) when A does not fit the frame (some |fl(a - mu) p|
** reaches 2^40: the float32 path's limit for a variant), -1 on error. */
static int f32_images(const f32_frame *fr, const double *A, size_t rows, size_t d,
                      float **out, f32_rows *terms, qa_error *err) {
  *out = NULL;
  if (!(largest_offset(A, rows, d, fr->mu) * fr->p < F32_VARIANT_LIMIT)) return 1;
  float *F = qa_alloc_array(rows * d, sizeof *F, err, "coverage float32 rows");
  if (!F) return -1;
  if (f32_rows_alloc(terms, rows, err)) { free(F); return -1; }
  for (size_t i = 0; i < rows; i++) {
    f32_image(fr, A + i * d, d, F + i * d);
    f32_row_terms(fr, F + i * d, d, terms, i);
  }
  *out = F;
  return 0;
}

static void sgemm_tile(const float *A, size_t ra, const float *B, size_t rb, size_t d,
                       float *G) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ra, (int)rb, (int)d, 1.0f, A,
              (int)d, B, (int)d, 0.0f, G, (int)rb);
}

/* ---- Radii --------------------------------------------------------------- */

/* Per row, the `slots` candidates of lowest lower bound lo so far,
** ascending (ties: lower index), with their upper bounds hi (both in the
** path's units: t on the double path, t p^2 on the float32 one); cut[row]
** is the last slot's lower bound once the list is full (+inf before), so
** that most offers are turned away by one comparison on a contiguous array. */
typedef struct radii_lists {
  size_t slots;
  double *lo, *hi;     /* n * slots */
  int32_t *idx;        /* n * slots; -1: empty */
  double *cut;         /* n */
} radii_lists;

static void radii_offer(const radii_lists *L, size_t row, int32_t j, double lo, double hi) {
  size_t s = L->slots;
  if (lo != lo || hi != hi) { lo = -INFINITY; hi = INFINITY; }   /* overflowed: keep */
  double *l = L->lo + row * s, *h = L->hi + row * s;
  int32_t *ix = L->idx + row * s;
  if (ix[s - 1] >= 0 && !(lo < l[s - 1] || (lo == l[s - 1] && j < ix[s - 1]))) return;
  size_t p = s - 1;
  while (p > 0 && (ix[p - 1] < 0 || lo < l[p - 1] || (lo == l[p - 1] && j < ix[p - 1]))) {
    l[p] = l[p - 1]; h[p] = h[p - 1]; ix[p] = ix[p - 1];
    p--;
  }
  l[p] = lo; h[p] = hi; ix[p] = j;
  if (ix[s - 1] >= 0) L->cut[row] = l[s - 1];
}

/* Inserts v into the ascending buf[0..k) (k smallest kept). */
static inline void keep_smallest(double *buf, size_t k, double v) {
  if (!(v < buf[k - 1])) return;
  size_t p = k - 1;
  while (p > 0 && v < buf[p - 1]) { buf[p] = buf[p - 1]; p--; }
  buf[p] = v;
}

/* Keeps in buf (k smallest) the exact distances from row i to rows
** js[0..count), four at a time. */
static void keep_exact(const double *X, size_t d, size_t k, size_t i, const int32_t *js,
                       size_t count, double *buf) {
  const double *a = X + i * d;
  double e[4];
  size_t t = 0;
  for (; t + 4 <= count; t += 4) {
    sqdist_exact4(a, X + (size_t)js[t] * d, X + (size_t)js[t + 1] * d,
                  X + (size_t)js[t + 2] * d, X + (size_t)js[t + 3] * d, d, e);
    for (int q = 0; q < 4; q++) keep_smallest(buf, k, e[q]);
  }
  for (; t < count; t++) keep_smallest(buf, k, sqdist_exact(a, X + (size_t)js[t] * d, d));
}

/* r_i^2 from row i's candidate list: U = the k-th smallest upper bound in
** the list.  Every row outside the list has a lower bound >= the list's
** last, so when that exceeds U (or the list holds every other row) U is
** the k-th smallest upper bound of all rows, every row that can be among
** the k nearest is in the list with lo <= U, and the k-th smallest exact
** distance among those is r_i^2.  Otherwise (more than `slots` rows tie
** within the bound) every other row is recomputed.  js: room for
** max(slots, 64) indices. */
static double radius2_of_row(const double *X, size_t n, size_t d, size_t k, size_t i,
                             const radii_lists *L, int all, double *buf, int32_t *js,
                             size_t *checks) {
  size_t s = L->slots, count = 0;
  const double *lo = L->lo + i * s, *hi = L->hi + i * s;
  const int32_t *ix = L->idx + i * s;
  for (size_t t = 0; t < k; t++) buf[t] = INFINITY;
  for (size_t t = 0; t < s && ix[t] >= 0; t++) keep_smallest(buf, k, hi[t]);
  double U = buf[k - 1];
  int complete = n - 1 <= s || lo[s - 1] > U;
  for (size_t t = 0; t < k; t++) buf[t] = INFINITY;
  if (complete && !all) {
    for (size_t t = 0; t < s && ix[t] >= 0 && lo[t] <= U; t++) js[count++] = ix[t];
    keep_exact(X, d, k, i, js, count, buf);
    *checks += count;
  } else {
    for (size_t j = 0; j < n; j++) {
      if (j == i) continue;
      js[count++] = (int32_t)j;
      if (count == 64) {
        keep_exact(X, d, k, i, js, count, buf);
        *checks += count;
        count = 0;
      }
    }
    keep_exact(X, d, k, i, js, count, buf);
    *checks += count;
  }
  return buf[k - 1];
}

/* Offers double tile G (rows i0.., cols j0..) to the rows' lists: along
** rows, and along columns when the tile is off the diagonal (X X' is
** symmetric). */
static void radii_tile_f64(const radii_lists *L, const double *G, size_t i0, size_t rows,
                           size_t j0, size_t cols, const double *sq, const double *nrm,
                           bound b) {
  int diagonal = i0 == j0;
  double *cut = L->cut;
  for (size_t r = 0; r < rows; r++) {
    size_t i = i0 + r;
    for (size_t c = 0; c < cols; c++) {
      size_t j = j0 + c;
      if (diagonal && c == r) continue;   /* "other" rows only */
      double g = sq[i] + sq[j] - 2.0 * G[r * cols + c], e = bound_at(b, nrm[i], nrm[j]);
      double lo = g - e;
      /* !(lo > cut): a NaN (overflow) is offered too. */
      if (!(lo > cut[i])) radii_offer(L, i, (int32_t)j, lo, g + e);
      if (!diagonal && !(lo > cut[j])) radii_offer(L, j, (int32_t)i, lo, g + e);
    }
  }
}

/* lo[c] = (qlo_i + qlo[c]) - 2 g[c] - a nu[c]: the float32 path's lower
** bounds along one row of a tile. */
COV_CLONES static void lower_bounds(const float *restrict g, double qlo_i,
                                    const double *restrict qlo, double a,
                                    const double *restrict nu, size_t cols,
                                    double *restrict lo) {
  size_t c = 0;
  for (; c + 8 <= cols; c += 8)
    for (int t = 0; t < 8; t++)
      lo[c + t] = (qlo_i + qlo[c + t]) - 2.0 * (double)g[c + t] - a * nu[c + t];
  for (; c < cols; c++) lo[c] = (qlo_i + qlo[c]) - 2.0 * (double)g[c] - a * nu[c];
}

/* lower_bounds() and, in the same pass, blk[b] = 1 when some c of block b
** (eight columns) has !(lo[c] >= R): the decide pass's pairs to look at. */
COV_CLONES static void lower_bounds_below(const float *restrict g, double qlo_i,
                                          const double *restrict qlo, double a,
                                          const double *restrict nu, size_t cols, double R,
                                          double *restrict lo, unsigned char *restrict blk) {
  size_t c = 0, b = 0;
  for (; c + 8 <= cols; c += 8, b++) {
    int any = 0;
    for (int t = 0; t < 8; t++) {
      double v = (qlo_i + qlo[c + t]) - 2.0 * (double)g[c + t] - a * nu[c + t];
      lo[c + t] = v;
      any |= !(v >= R);
    }
    blk[b] = (unsigned char)any;
  }
  if (c < cols) blk[b] = 1;
  for (; c < cols; c++) lo[c] = (qlo_i + qlo[c]) - 2.0 * (double)g[c] - a * nu[c];
}

/* Which blocks of eight columns hold a pair to look at: blk[b] = 1 when
** some c of block b has !(lo[c] > thr) (thr_c NULL: the scalar thr; else
** thr_c[c]; ge: !(lo[c] >= thr) instead).  NaN is always looked at.  The
** scans then skip the blocks of eight whose pairs are all turned away. */
COV_CLONES static void flag_blocks(const double *restrict lo, size_t cols, double thr,
                                   const double *restrict thr_c, int ge,
                                   unsigned char *restrict blk) {
  size_t c = 0, b = 0;
  for (; c + 8 <= cols; c += 8, b++) {
    int any = 0;
    if (thr_c)
      for (int t = 0; t < 8; t++) any |= !(lo[c + t] > thr_c[c + t]);
    else if (ge)
      for (int t = 0; t < 8; t++) any |= !(lo[c + t] >= thr);
    else
      for (int t = 0; t < 8; t++) any |= !(lo[c + t] > thr);
    blk[b] = (unsigned char)any;
  }
  if (c < cols) blk[b] = 1;   /* the short last block: looked at */
}

/* The same for a float32 tile: lo and hi of the float32 bound (the file
** header), the lower bounds of a row first in a branch-free pass. */
static void radii_tile_f32(const radii_lists *L, const float *G, size_t i0, size_t rows,
                           size_t j0, size_t cols, const f32_rows *xr, double pair,
                           double *lo_row, unsigned char *blk) {
  int diagonal = i0 == j0;
  double *cut = L->cut;
  const double *qlo = xr->qlo + j0, *qhi = xr->qhi + j0, *nu = xr->nu + j0;
  for (size_t r = 0; r < rows; r++) {
    size_t i = i0 + r;
    const float *g = G + r * cols;
    double qlo_i = xr->qlo[i], qhi_i = xr->qhi[i], a = pair * xr->nu[i];
    lower_bounds(g, qlo_i, qlo, a, nu, cols, lo_row);
    /* Along the row, then along the columns; !(lo > cut): NaN is offered.
    ** (A block flagged against an older, larger cut is only looked at.) */
    flag_blocks(lo_row, cols, cut[i], NULL, 0, blk);
    for (size_t c0 = 0; c0 < cols; c0 += 8) {
      if (!blk[c0 / 8]) continue;
      for (size_t c = c0; c < cols && c < c0 + 8; c++) {
        if (lo_row[c] > cut[i] || (diagonal && c == r)) continue;
        radii_offer(L, i, (int32_t)(j0 + c), lo_row[c],
                    (qhi_i + qhi[c]) - 2.0 * (double)g[c] + a * nu[c]);
      }
    }
    if (diagonal) continue;
    const double *cut_j = cut + j0;
    flag_blocks(lo_row, cols, 0, cut_j, 0, blk);
    for (size_t c0 = 0; c0 < cols; c0 += 8) {
      if (!blk[c0 / 8]) continue;
      for (size_t c = c0; c < cols && c < c0 + 8; c++) {
        if (lo_row[c] > cut_j[c]) continue;
        radii_offer(L, j0 + c, (int32_t)i, lo_row[c],
                    (qhi_i + qhi[c]) - 2.0 * (double)g[c] + a * nu[c]);
      }
    }
  }
}

/* What the radii pass reads: the double norms (DOUBLE) or the float32
** images and their terms (FLOAT32); neither for EXACT. */
typedef struct radii_input {
  qa_coverage_method method;
  const double *sq, *nrm;
  const float *F;
  const f32_rows *terms;
  double pair;
} radii_input;

static int radii2(const double *X, size_t n, size_t d, size_t k, size_t tile,
                  const radii_input *in, double *r2, size_t *checks, qa_error *err) {
  int rc = -1, all = in->method == QA_COVERAGE_EXACT, f32 = in->method == QA_COVERAGE_FLOAT32;
  radii_lists L = {k + RADII_SLACK, NULL, NULL, NULL, NULL};
  double *G = NULL, *buf = NULL, *lo_row = NULL;
  int32_t *js = NULL;
  unsigned char *blk = NULL;
  bound b = make_bound(d);
  if (!(L.lo = qa_alloc_array(n * L.slots, sizeof *L.lo, err, "coverage radii lists")) ||
      !(L.hi = qa_alloc_array(n * L.slots, sizeof *L.hi, err, "coverage radii lists")) ||
      !(L.idx = qa_alloc_array(n * L.slots, sizeof *L.idx, err, "coverage radii lists")) ||
      !(L.cut = qa_alloc_array(n, sizeof *L.cut, err, "coverage radii lists")) ||
      !(buf = qa_alloc_array(k, sizeof *buf, err, "coverage radii")) ||
      !(js = qa_alloc_array(L.slots > 64 ? L.slots : 64, sizeof *js, err, "coverage radii")) ||
      (!all && !(G = qa_alloc_array(tile * tile, f32 ? sizeof(float) : sizeof *G, err,
                                 "coverage GEMM tile"))) ||
      (f32 && !(lo_row = qa_alloc_array(tile, sizeof *lo_row, err, "coverage GEMM tile"))) ||
      (f32 && !(blk = qa_alloc_array(tile / 8 + 1, 1, err, "coverage GEMM tile"))))
    goto done;
  for (size_t t = 0; t < n * L.slots; t++) L.idx[t] = -1;
  for (size_t i = 0; i < n; i++) L.cut[i] = INFINITY;
  for (size_t i0 = 0; i0 < n && !all; i0 += tile) {
    size_t rows = n - i0 < tile ? n - i0 : tile;
    for (size_t j0 = i0; j0 < n; j0 += tile) {
      size_t cols = n - j0 < tile ? n - j0 : tile;
      if (f32) {
        sgemm_tile(in->F + i0 * d, rows, in->F + j0 * d, cols, d, (float *)G);
        radii_tile_f32(&L, (const float *)G, i0, rows, j0, cols, in->terms, in->pair, lo_row,
                       blk);
      } else {
        gemm_tile(X + i0 * d, rows, X + j0 * d, cols, d, G);
        radii_tile_f64(&L, G, i0, rows, j0, cols, in->sq, in->nrm, b);
      }
    }
  }
  for (size_t i = 0; i < n; i++)
    r2[i] = radius2_of_row(X, n, d, k, i, &L, all, buf, js, checks);
  rc = 0;
done:
  free(L.lo); free(L.hi); free(L.idx); free(L.cut); free(G); free(buf); free(lo_row); free(js);
  free(blk);
  return rc;
}

/* ---- The reference ------------------------------------------------------ */

struct qa_coverage_ref {
  const double *X;
  size_t n, d, k, tile;
  qa_coverage_method method;   /* the path the radii took */
  double *r2;                  /* [n] r_i^2 */
  size_t checks;
  f32_frame frame;             /* FLOAT32 only: */
  f32_rows terms;              /* X's row terms */
  double *R;                   /* [n] fl(r_i^2 p^2) */
};

void qa_coverage_ref_free(qa_coverage_ref *ref) {
  if (!ref) return;
  free(ref->r2);
  free(ref->frame.mu);
  f32_rows_free(&ref->terms);
  free(ref->R);
  free(ref);
}

const double *qa_coverage_ref_radii2(const qa_coverage_ref *ref) { return ref->r2; }
qa_coverage_method qa_coverage_ref_method(const qa_coverage_ref *ref) { return ref->method; }
size_t qa_coverage_ref_checks(const qa_coverage_ref *ref) { return ref->checks; }

int qa_coverage_ref_new(const double *X, size_t n, size_t d, size_t k, size_t tile,
                        qa_coverage_method method, qa_coverage_ref **out, qa_error *err) {
  int rc = -1;
  double *sq = NULL, *nrm = NULL;
  float *F = NULL;
  *out = NULL;
  if (check_shapes(n, 1, d, k, err)) return -1;
  qa_coverage_ref *ref = calloc(1, sizeof *ref);
  if (!ref) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "coverage: out of memory");
  if (tile == 0) tile = COV_TILE_DEFAULT;
  if (tile > n) tile = n;
  *ref = (qa_coverage_ref){.X = X, .n = n, .d = d, .k = k, .tile = tile, .method = method};
  if (!(ref->r2 = qa_alloc_array(n, sizeof *ref->r2, err, "coverage radii"))) goto done;
  if (method == QA_COVERAGE_FLOAT32) {
    int f = f32_frame_make(X, n, d, &ref->frame, err);
    if (f < 0) goto done;
    if (f > 0) ref->method = QA_COVERAGE_DOUBLE;
  }
  radii_input in = {ref->method, NULL, NULL, NULL, &ref->terms, ref->frame.pair};
  if (ref->method == QA_COVERAGE_FLOAT32) {
    if (f32_images(&ref->frame, X, n, d, &F, &ref->terms, err)) goto done;   /* X fits: < 1 */
    in.F = F;
  } else if (ref->method == QA_COVERAGE_DOUBLE) {
    if (!(sq = qa_alloc_array(n, sizeof *sq, err, "coverage norms")) ||
        !(nrm = qa_alloc_array(n, sizeof *nrm, err, "coverage norms")))
      goto done;
    row_norms(X, n, d, sq, nrm);
    in.sq = sq;
    in.nrm = nrm;
  }
  if (radii2(X, n, d, k, tile, &in, ref->r2, &ref->checks, err)) goto done;
  if (ref->method == QA_COVERAGE_FLOAT32) {
    if (!(ref->R = qa_alloc_array(n, sizeof *ref->R, err, "coverage radii"))) goto done;
    for (size_t i = 0; i < n; i++) ref->R[i] = ldexp(ref->r2[i], -2 * ref->frame.s);
  }
  rc = 0;
done:
  free(sq); free(nrm); free(F);
  if (rc) qa_coverage_ref_free(ref);
  else *out = ref;
  return rc;
}

int qa_coverage_radii2(const double *X, size_t n, size_t d, size_t k, size_t tile,
                       qa_coverage_method method, double *r2_out, size_t *exact_checks,
                       qa_error *err) {
  qa_coverage_ref *ref = NULL;
  if (qa_coverage_ref_new(X, n, d, k, tile, method, &ref, err)) return -1;
  memcpy(r2_out, ref->r2, n * sizeof *r2_out);
  if (exact_checks) *exact_checks = ref->checks;
  qa_coverage_ref_free(ref);
  return 0;
}

/* ---- Coverage and density ---------------------------------------------- */

uint64_t qa_coverage_bytes(size_t n, size_t m, size_t d, size_t k) {
  uint64_t N = n, M = m, D = d, K = k, slots = K + RADII_SLACK, big = N > M ? N : M;
  if (slots > UINT64_MAX / 64 / (N ? N : 1) || (D && big > UINT64_MAX / 64 / D)) return UINT64_MAX;
  uint64_t tile = N < COV_TILE_DEFAULT ? N : COV_TILE_DEFAULT;
  uint64_t tile_v = big < COV_TILE_DEFAULT ? big : COV_TILE_DEFAULT;
  /* Kept by the reference: r2, R and three row terms (5n), the frame (d). */
  uint64_t kept = 8 * 5 * N + 8 * D;
  /* Radii: lists (lo, hi, idx) + cut, the k buffer and a batch of
  ** indices; then either the
  ** float32 images of X, a float tile and a row of bounds, or two double
  ** norms a row and a double tile. */
  uint64_t lists = 20 * slots * N + 8 * N + 8 * K + 4 * (slots > 64 ? slots : 64);
  uint64_t r32 = 4 * N * D + 4 * tile * tile + 8 * tile, r64 = 16 * N + 8 * tile * tile;
  /* A variant: flags and counts (n + 8m); then either Y's float32 images
  ** and their terms, a tile of X's images, a float tile and a row of
  ** bounds, or four double norm arrays, a double tile and a row of flags. */
  uint64_t v32 = 4 * M * D + 24 * M + 4 * tile_v * D + 4 * tile_v * tile_v + 8 * tile_v;
  uint64_t v64 = 16 * (N + M) + 8 * tile_v * tile_v + tile_v;
  uint64_t radii = lists + (r32 > r64 ? r32 : r64);
  uint64_t variant = N + 8 * M + (v32 > v64 ? v32 : v64);
  return kept + (radii > variant ? radii : variant);
}

typedef struct decide_ctx {
  const double *X, *Y;
  size_t d;
  const double *r2;
  unsigned char *covered;   /* [n] */
  uint64_t *count;          /* [m] #{i : d(y_j, x_i) < r_i} */
  size_t checks;
  /* DOUBLE */
  const double *sqx, *nx, *sqy, *ny;
  bound b;
  /* FLOAT32 */
  const f32_rows *xt, *yt;
  const double *R;
  double pair;
} decide_ctx;

static inline void count_pair(decide_ctx *cx, size_t i, size_t j, int in) {
  cx->covered[i] |= (unsigned char)in;
  cx->count[j] += (uint64_t)in;
}

static inline int exact_inside(decide_ctx *cx, size_t i, size_t j) {
  cx->checks++;
  return sqdist_exact(cx->X + i * cx->d, cx->Y + j * cx->d, cx->d) < cx->r2[i];
}

/* [t_ij < r_i^2] for one pair, from its double GEMM value when the bound decides. */
static inline int pair_inside_f64(decide_ctx *cx, size_t i, size_t j, double gram, int all) {
  double r2 = cx->r2[i];
  if (!(r2 > 0)) return 0;                        /* t >= 0: never < 0 */
  if (!all) {
    double g = cx->sqx[i] + cx->sqy[j] - 2.0 * gram;
    double e = bound_at(cx->b, cx->nx[i], cx->ny[j]);
    if (g + e < r2) return 1;
    if (g - e >= r2) return 0;
  }
  return exact_inside(cx, i, j);
}

static void decide_tile_f64(decide_ctx *cx, const double *G, size_t i0, size_t rows,
                            size_t j0, size_t cols, int all, unsigned char *near) {
  for (size_t r = 0; r < rows; r++) {
    size_t i = i0 + r;
    if (!all) {
      /* First a branch-free pass (the compiler vectorises it): near[c] = 0
      ** when the bound already puts the pair outside, g - E >= r^2, the
      ** fate of almost every pair; pair_inside_f64() decides the others. */
      const double *g = G + r * cols, *sqy = cx->sqy + j0, *ny = cx->ny + j0;
      double sqi = cx->sqx[i], ni = cx->nx[i], r2 = cx->r2[i], rel = cx->b.rel, ab = cx->b.abs;
      for (size_t c = 0; c < cols; c++) {
        double s = ni + ny[c];
        near[c] = !(sqi + sqy[c] - 2.0 * g[c] - (rel * s * s + ab) >= r2);
      }
    }
    for (size_t c = 0; c < cols; c++) {
      if (!all && !near[c]) continue;
      count_pair(cx, i, j0 + c, pair_inside_f64(cx, i, j0 + c, G ? G[r * cols + c] : 0, all));
    }
  }
}

/* The float32 tile: outside when lo >= R_i (proven; almost every pair),
** else inside when hi < R_i (proven), else the exact value decides. */
static void decide_tile_f32(decide_ctx *cx, const float *G, size_t i0, size_t rows,
                            size_t j0, size_t cols, double *lo_row, unsigned char *blk) {
  const double *qlo = cx->yt->qlo + j0, *qhi = cx->yt->qhi + j0, *nu = cx->yt->nu + j0;
  for (size_t r = 0; r < rows; r++) {
    size_t i = i0 + r;
    if (!(cx->r2[i] > 0)) continue;               /* t >= 0: never < 0 */
    const float *g = G + r * cols;
    double qlo_i = cx->xt->qlo[i], qhi_i = cx->xt->qhi[i], a = cx->pair * cx->xt->nu[i];
    double R = cx->R[i];
    lower_bounds_below(g, qlo_i, qlo, a, nu, cols, R, lo_row, blk);
    for (size_t c0 = 0; c0 < cols; c0 += 8) {
      if (!blk[c0 / 8]) continue;
      for (size_t c = c0; c < cols && c < c0 + 8; c++) {
        if (lo_row[c] >= R) continue;            /* outside, proven (NaN: not) */
        double hi = (qhi_i + qhi[c]) - 2.0 * (double)g[c] + a * nu[c];
        count_pair(cx, i, j0 + c, hi < R ? 1 : exact_inside(cx, i, j0 + c));
      }
    }
  }
}

/* The double and exact paths over all tiles of X Y'. */
static int decide_f64(decide_ctx *cx, size_t n, size_t m, size_t tile, int all,
                      qa_error *err) {
  int rc = -1;
  size_t d = cx->d;
  double *sqx = NULL, *nx = NULL, *sqy = NULL, *ny = NULL, *G = NULL;
  unsigned char *near = NULL;
  if (!(sqx = qa_alloc_array(n, sizeof *sqx, err, "coverage norms")) ||
      !(nx = qa_alloc_array(n, sizeof *nx, err, "coverage norms")) ||
      !(sqy = qa_alloc_array(m, sizeof *sqy, err, "coverage norms")) ||
      !(ny = qa_alloc_array(m, sizeof *ny, err, "coverage norms")) ||
      (!all && !(G = qa_alloc_array(tile * tile, sizeof *G, err, "coverage GEMM tile"))) ||
      !(near = qa_alloc_array(tile, 1, err, "coverage flags")))
    goto done;
  row_norms(cx->X, n, d, sqx, nx);
  row_norms(cx->Y, m, d, sqy, ny);
  cx->sqx = sqx; cx->nx = nx; cx->sqy = sqy; cx->ny = ny; cx->b = make_bound(d);
  for (size_t i0 = 0; i0 < n; i0 += tile) {
    size_t rows = n - i0 < tile ? n - i0 : tile;
    for (size_t j0 = 0; j0 < m; j0 += tile) {
      size_t cols = m - j0 < tile ? m - j0 : tile;
      if (!all) gemm_tile(cx->X + i0 * d, rows, cx->Y + j0 * d, cols, d, G);
      decide_tile_f64(cx, G, i0, rows, j0, cols, all, near);
    }
  }
  rc = 0;
done:
  free(sqx); free(nx); free(sqy); free(ny); free(G); free(near);
  return rc;
}

/* The float32 path: Y's images once, X's one row tile at a time (the same
** images, bit for bit, as those the reference's terms came from).  Y's
** images are made first, so that a Y outside the frame (1) falls back
** before anything else is done. */
static int decide_f32(decide_ctx *cx, const qa_coverage_ref *ref, const float *FY,
                      const f32_rows *yt, size_t m, size_t tile, qa_error *err) {
  int rc = -1;
  size_t n = ref->n, d = ref->d;
  float *FX = NULL, *G = NULL;
  double *lo_row = NULL;
  unsigned char *blk = NULL;
  if (!(blk = qa_alloc_array(tile / 8 + 1, 1, err, "coverage flags")) ||
      !(FX = qa_alloc_array(tile * d, sizeof *FX, err, "coverage float32 rows")) ||
      !(G = qa_alloc_array(tile * tile, sizeof *G, err, "coverage GEMM tile")) ||
      !(lo_row = qa_alloc_array(tile, sizeof *lo_row, err, "coverage GEMM tile")))
    goto done;
  cx->xt = &ref->terms; cx->yt = yt; cx->R = ref->R; cx->pair = ref->frame.pair;
  for (size_t i0 = 0; i0 < n; i0 += tile) {
    size_t rows = n - i0 < tile ? n - i0 : tile;
    for (size_t r = 0; r < rows; r++)
      f32_image(&ref->frame, cx->X + (i0 + r) * d, d, FX + r * d);   /* fits: < 1 */
    for (size_t j0 = 0; j0 < m; j0 += tile) {
      size_t cols = m - j0 < tile ? m - j0 : tile;
      sgemm_tile(FX, rows, FY + j0 * d, cols, d, G);
      decide_tile_f32(cx, G, i0, rows, j0, cols, lo_row, blk);
    }
  }
  rc = 0;
done:
  free(FX); free(G); free(lo_row); free(blk);
  return rc;
}

int qa_coverage_density_ref(const qa_coverage_ref *ref, const double *Y, size_t m,
                            qa_coverage_result *out, qa_error *err) {
  size_t n = ref->n, d = ref->d, k = ref->k;
  int rc = -1;
  out->coverage = out->density = NAN;
  out->exact_checks = 0;
  out->method = ref->method;
  if (check_shapes(n, m, d, k, err)) return -1;
  decide_ctx cx = {.X = ref->X, .Y = Y, .d = d, .r2 = ref->r2};
  qa_coverage_method method = ref->method;
  size_t big = n > m ? n : m, tile = ref->tile < big ? ref->tile : big;
  float *FY = NULL;
  f32_rows yt = {NULL, NULL, NULL};
  if (method == QA_COVERAGE_FLOAT32) {
    int f = f32_images(&ref->frame, Y, m, d, &FY, &yt, err);
    if (f < 0) return -1;
    if (f > 0) method = QA_COVERAGE_DOUBLE;   /* Y outside the frame */
  }
  if (!(cx.covered = qa_alloc_array(n, 1, err, "coverage flags")) ||
      !(cx.count = qa_alloc_array(m, sizeof *cx.count, err, "density counts")))
    goto done;
  memset(cx.covered, 0, n);
  memset(cx.count, 0, m * sizeof *cx.count);
  if (method == QA_COVERAGE_FLOAT32 ? decide_f32(&cx, ref, FY, &yt, m, tile, err)
                                    : decide_f64(&cx, n, m, tile, method == QA_COVERAGE_EXACT, err))
    goto done;
  /* Naeem et al. 2020 eqs. (3), (4); prdc's compute_coverage / compute_density. */
  size_t covered = 0;
  uint64_t inside = 0;
  for (size_t i = 0; i < n; i++) covered += cx.covered[i];
  for (size_t j = 0; j < m; j++) inside += cx.count[j];
  out->coverage = (double)covered / (double)n;
  out->density = (double)inside / ((double)k * (double)m);
  out->exact_checks = cx.checks;
  out->method = method;
  rc = 0;
done:
  free(cx.covered); free(cx.count); free(FY);
  f32_rows_free(&yt);
  return rc;
}

int qa_coverage_density_tiled(const double *X, size_t n, const double *Y, size_t m,
                              size_t d, size_t k, size_t tile, qa_coverage_method method,
                              qa_coverage_result *out, qa_error *err) {
  qa_coverage_ref *ref = NULL;
  out->coverage = out->density = NAN;
  out->exact_checks = 0;
  out->method = method;
  if (check_shapes(n, m, d, k, err) ||
      qa_coverage_ref_new(X, n, d, k, tile, method, &ref, err))
    return -1;
  int rc = qa_coverage_density_ref(ref, Y, m, out, err);
  if (!rc) out->exact_checks += ref->checks;
  qa_coverage_ref_free(ref);
  return rc;
}

int qa_coverage_density(const double *X, size_t n, const double *Y, size_t m, size_t d,
                        size_t k, qa_coverage_result *out, qa_error *err) {
  return qa_coverage_density_tiled(X, n, Y, m, d, k, 0, QA_COVERAGE_FLOAT32, out, err);
}

/* ---- Neighbour overlap at every k -------------------------------------- */

int qa_overlap_at(const int32_t *nbrA, const int32_t *nbrB, size_t n, size_t k_max,
                  double *overlap_out, qa_error *err) {
  for (size_t k = 0; k < k_max; k++) overlap_out[k] = NAN;
  if (n == 0 || k_max == 0) return 0;
  int32_t *rank_b = qa_alloc_array(n, sizeof *rank_b, err, "overlap ranks");
  uint64_t *first_k = qa_alloc_array(k_max, sizeof *first_k, err, "overlap counts");
  if (!rank_b || !first_k) { free(rank_b); free(first_k); return -1; }
  for (size_t j = 0; j < n; j++) rank_b[j] = -1;
  memset(first_k, 0, k_max * sizeof *first_k);
  /* A sample at rank r in A's list and s in B's is in both first-k lists
  ** exactly when k > max(r, s): count it at k = max(r, s) + 1, then the
  ** running sum over k is |A_k(i) n B_k(i)| summed over i. */
  for (size_t i = 0; i < n; i++) {
    const int32_t *a = nbrA + i * k_max, *b = nbrB + i * k_max;
    for (size_t s = 0; s < k_max; s++) rank_b[b[s]] = (int32_t)s;
    for (size_t r = 0; r < k_max; r++) {
      int32_t s = rank_b[a[r]];
      if (s >= 0) first_k[(size_t)s > r ? (size_t)s : r]++;
    }
    for (size_t s = 0; s < k_max; s++) rank_b[b[s]] = -1;
  }
  uint64_t common = 0;
  for (size_t k = 1; k <= k_max; k++) {
    common += first_k[k - 1];
    overlap_out[k - 1] = (double)common / ((double)n * (double)k);
  }
  free(rank_b);
  free(first_k);
  return 0;
}

/* ---- Worst samples ----------------------------------------------------- */

typedef struct cos_row { double cosine; size_t index; } cos_row;

static int cmp_cos_row(const void *pa, const void *pb) {
  const cos_row *a = pa, *b = pb;
  if (a->cosine != b->cosine) return a->cosine < b->cosine ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);   /* ties: lower index */
}

static long kept_neighbours(const int32_t *a, const int32_t *b, size_t k) {
  long common = 0;
  for (size_t r = 0; r < k; r++)
    for (size_t t = 0; t < k; t++)
      if (a[r] == b[t]) { common++; break; }
  return common;
}

int qa_worst_samples(const qa_worst_input *in, size_t count, qa_worst_sample *out,
                     size_t *n_out, qa_error *err) {
  size_t n = in->n, take = count < n ? count : n;
  *n_out = 0;
  if (take == 0) return 0;
  cos_row *v = qa_alloc_array(n, sizeof *v, err, "worst samples");
  if (!v) return -1;
  for (size_t i = 0; i < n; i++) v[i] = (cos_row){in->cosine[i], i};
  qsort(v, n, sizeof *v, cmp_cos_row);   /* a total order: deterministic */
  for (size_t t = 0; t < take; t++) {
    size_t i = v[t].index;
    qa_worst_sample *o = &out[t];
    o->index = i;
    o->cosine = v[t].cosine;
    o->label = in->labels ? in->labels[i] : -1;
    o->neighbors_kept = in->nbr_base && in->nbr_variant && in->k
                            ? kept_neighbours(in->nbr_base + i * in->k,
                                              in->nbr_variant + i * in->k, in->k)
                            : -1;
    o->knn_correct_base = in->labels && in->pred_base ? in->pred_base[i] == in->labels[i] : -1;
    o->knn_correct_variant =
        in->labels && in->pred_variant ? in->pred_variant[i] == in->labels[i] : -1;
  }
  *n_out = take;
  free(v);
  return 0;
}

/*
** Representation metrics (STATISTICS.md "Representation"): cosine, SQNR,
** leave-one-out kNN, neighbour overlap, Spearman of pairwise cosine
** distances, linear CKA, covariance spectrum and the baseline's PCA axes.
**
** Shared machinery, written once:
**   cosine_tile()      a tile of the cosine-similarity matrix through one
**                      cblas_dgemm on the raw rows, scaled by inverse norms
**                      (no normalised n*d copy), with the zero-row rule;
**                      kNN and Spearman both walk the Gram matrix in tiles.
**   centred_products() the column-centred cross products X'X, Y'Y, Y'X
**                      folded block by block of rows (dsyrk / dgemm), for
**                      the covariance and CKA; exact two-pass centring.
**   centred_gram()     Xc Xc' (n*n) folded over blocks of centred columns:
**                      the spectrum, PCA axes and CKA when D > N, so that
**                      no eigenproblem exceeds min(N, D)^2.
**
** This file must never hold an n*n matrix, read a file or print.
*/
#include "analysis/repr.h"
#include "util/alloc.h"

#include <cblas.h>
/* GSL's own gsl_cblas.h redeclares the CBLAS enums OpenBLAS's cblas.h
** already gave; its guard keeps one set (same values, same ABI). */
#define __GSL_CBLAS_H__
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LAPACK from OpenBLAS, Fortran ABI (Debian ships no lapacke.h for it);
** the trailing size_t are gfortran's hidden CHARACTER lengths. */
void dsyevd_(const char *jobz, const char *uplo, const int *n, double *a,
             const int *lda, double *w, double *work, const int *lwork,
             int *iwork, const int *liwork, int *info, size_t, size_t);
void dsyevr_(const char *jobz, const char *range, const char *uplo,
             const int *n, double *a, const int *lda, const double *vl,
             const double *vu, const int *il, const int *iu,
             const double *abstol, int *m, double *w, double *z,
             const int *ldz, int *isuppz, double *work, const int *lwork,
             int *iwork, const int *liwork, int *info, size_t, size_t, size_t);

#define SPEARMAN_TILE_DOUBLES (4u << 20)    /* at most 32 MB per Spearman block */
#define SPEARMAN_BLOCK_ROWS 256             /* short blocks: little below the diagonal */
#define CENTRE_BLOCK_ROWS 512
#define GRAM_BLOCK_COLS 512                 /* centred columns per Gram update */

int qa_repr_resolve_threads(int n) {
  if (n > 0) return n;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  return cpus > 0 ? (int)cpus : 1;
}

void qa_repr_set_threads(int n) {
  openblas_set_num_threads(qa_repr_resolve_threads(n));   /* process-wide in OpenBLAS */
}


/* ---- Cosine and SQNR --------------------------------------------------- */

/* e, the exponent of max |a_j| (max < 2^e), when that lies outside
** [2^-100, 2^100], else 0: ldexp(a_j, -e) (exact; 2^-e itself may not be
** a double) keeps sums of squares of a[0..count) normal doubles. */
double qa_repr_abs_max(const double *a, size_t count) {
  /* Four independent maxima (one maxsd each; fmax() would be a call). */
  double m0 = 0, m1 = 0, m2 = 0, m3 = 0;
  size_t j = 0;
  for (; j + 4 <= count; j += 4) {
    double x0 = fabs(a[j]), x1 = fabs(a[j + 1]), x2 = fabs(a[j + 2]), x3 = fabs(a[j + 3]);
    m0 = x0 > m0 ? x0 : m0;
    m1 = x1 > m1 ? x1 : m1;
    m2 = x2 > m2 ? x2 : m2;
    m3 = x3 > m3 ? x3 : m3;
  }
  for (; j < count; j++) {
    double x = fabs(a[j]);
    m0 = x > m0 ? x : m0;
  }
  m0 = m1 > m0 ? m1 : m0;
  m2 = m3 > m2 ? m3 : m2;
  return m2 > m0 ? m2 : m0;
}

static int safe_exponent(const double *a, size_t count) {
  double top = qa_repr_abs_max(a, count);
  int e = 0;
  if (top > 0) frexp(top, &e);
  return e > 100 || e < -100 ? e : 0;
}

void qa_repr_cosine(const double *X, const double *Y, size_t n, size_t d,
                    double *c_out) {
  for (size_t i = 0; i < n; i++) {
    const double *x = X + i * d, *y = Y + i * d;
    /* cos(a x, b y) = cos(x, y): each row at its own exact power-of-two
    ** scale when its squares would overflow or underflow. */
    int ex = safe_exponent(x, d), ey = safe_exponent(y, d);
    double xx = 0, yy = 0, xy = 0;
    if (!ex && !ey) {
      for (size_t j = 0; j < d; j++) {
        xx += x[j] * x[j];
        yy += y[j] * y[j];
        xy += x[j] * y[j];
      }
    } else {
      for (size_t j = 0; j < d; j++) {
        double a = ldexp(x[j], -ex), b = ldexp(y[j], -ey);
        xx += a * a;
        yy += b * b;
        xy += a * b;
      }
    }
    double c;
    if (xx == 0 || yy == 0) c = (xx == 0 && yy == 0) ? 1.0 : 0.0;  /* spec's zero rule */
    else c = xy / (sqrt(xx) * sqrt(yy));
    c_out[i] = c > 1 ? 1 : c < -1 ? -1 : c;
  }
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double qa_repr_quantile_sorted(const double *sorted, size_t n, double q) {
  if (n == 0) return NAN;
  /* R type 7: h = (n-1) q, linear between order statistics floor(h), +1. */
  double h = (double)(n - 1) * q;
  size_t lo = (size_t)floor(h);
  if (lo >= n - 1) return sorted[n - 1];
  return sorted[lo] + (h - (double)lo) * (sorted[lo + 1] - sorted[lo]);
}

int qa_repr_cosine_summary(const double *c, size_t n, qa_repr_cosine_stats *out,
                           qa_error *err) {
  out->mean = out->median = out->p05 = out->min = NAN;
  if (n == 0) return 0;
  double *sorted = qa_alloc_array(n, sizeof *sorted, err, "cosine quantiles");
  if (!sorted) return -1;
  memcpy(sorted, c, n * sizeof *sorted);
  qsort(sorted, n, sizeof *sorted, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += c[i];
  out->mean = sum / (double)n;
  out->median = qa_repr_quantile_sorted(sorted, n, 0.5);
  out->p05 = qa_repr_quantile_sorted(sorted, n, 0.05);
  out->min = sorted[0];
  free(sorted);
  return 0;
}

/* The energies of X and X - Y at the common scale 2^-scale_exp (exact). */
static void sqnr_energies(const double *X, const double *Y, size_t count, int scale_exp,
                          double *signal, double *error) {
  double sig = 0, err = 0;
  for (size_t i = 0; i < count; i++) {
    double x = scale_exp ? ldexp(X[i], -scale_exp) : X[i];
    double e = x - (scale_exp ? ldexp(Y[i], -scale_exp) : Y[i]);
    sig += x * x;
    err += e * e;
  }
  *signal = sig;
  *error = err;
}

double qa_repr_sqnr_db(const double *X, const double *Y, size_t n, size_t d) {
  size_t count = n * d;
  double signal = 0, error = 0;
  /* The ratio is invariant to scaling X and Y by one factor: at their
  ** common power-of-two scale when extreme (x 2^-e is exact). */
  double top = fmax(qa_repr_abs_max(X, count), qa_repr_abs_max(Y, count));
  int e = 0;
  if (top > 0) frexp(top, &e);
  if (e <= 100 && e >= -100) e = 0;
  sqnr_energies(X, Y, count, e, &signal, &error);
  if (signal < 0x1p-900 || error < 0x1p-900) {
    /* An energy far below the largest value's scale (its squares may have
    ** underflowed, or it is 0): the 80-bit long double range holds the
    ** square of any double, so 0 there is exact. */
    long double sig = 0, err = 0;
    for (size_t i = 0; i < count; i++) {
      long double x = X[i], e = x - (long double)Y[i];
      sig += x * x;
      err += e * e;
    }
    if (err == 0 || sig == 0) return NAN;
    return (double)(10.0L * log10l(sig / err));
  }
  if (error == 0) return NAN;      /* "null when the error energy is 0" */
  if (signal == 0) return NAN;     /* -inf dB (a zero baseline): no number; null */
  return 10.0 * log10(signal / error);
}

/* ---- Cosine-similarity tiles ------------------------------------------- */

/* inv[i] = 1/|row i|, 0 for a zero row (the marker cosine_tile reads). */
static void inverse_norms(const double *A, size_t lda, size_t rows, size_t d,
                          double *inv) {
  for (size_t i = 0; i < rows; i++) {
    const double *a = A + i * lda;
    double aa = 0;
    for (size_t j = 0; j < d; j++) aa += a[j] * a[j];
    inv[i] = aa > 0 ? 1.0 / sqrt(aa) : 0.0;
  }
}

/* G (ra*rb, leading dimension rb) = cosine similarities of A's rows with
** B's rows: one dgemm on the raw rows, then scaled.  A zero row has cosine
** 0 with a non-zero row (its dot product is 0) and 1 with a zero row. */
static void cosine_tile(const double *A, size_t lda, const double *inv_a, size_t ra,
                        const double *B, size_t ldb, const double *inv_b, size_t rb,
                        size_t d, double *G) {
  /* Row-major C = A B': A is ra*d read with lda >= d (d, or s*d for a
  ** subsample), B is rb*d with ldb >= d, G holds ra*rb with ldc = rb
  ** (callers allocate tile*tile or block*m >= ra*rb). */
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)ra, (int)rb, (int)d,
              1.0, A, (int)lda, B, (int)ldb, 0.0, G, (int)rb);
  for (size_t i = 0; i < ra; i++) {
    double *g = G + i * rb, ia = inv_a[i];
    if (ia > 0) {
      /* g (ia ib), not (g ia) ib: the same pair gets the same value
      ** whichever side of the diagonal computed it. */
      for (size_t j = 0; j < rb; j++) {
        /* Two rows far below the layer's largest value have inverse norms
        ** whose product overflows (2^520 each): then scale by the smaller
        ** first, still the same value from either side (fuzz_repr). */
        double s = ia * inv_b[j];
        g[j] = isfinite(s) ? g[j] * s : g[j] * fmin(ia, inv_b[j]) * fmax(ia, inv_b[j]);
      }
    } else {
      for (size_t j = 0; j < rb; j++) g[j] = inv_b[j] > 0 ? 0.0 : 1.0;
    }
  }
}

/* ---- k nearest neighbours: src/analysis/knn.c ------------------------- */

void qa_knn_predict(const int32_t *nbr, size_t n, size_t k,
                    const int32_t *labels, int32_t *pred_out) {
  /* Votes by counting within the list (O(k^2), no class table): the first
  ** neighbour in rank order whose class has the most votes names the class,
  ** which is the spec's tie rule. */
  for (size_t i = 0; i < n; i++) {
    const int32_t *nb = nbr + i * k;
    size_t best_votes = 0;
    int32_t best = labels[nb[0]];
    for (size_t r = 0; r < k; r++) {
      int32_t cls = labels[nb[r]];
      size_t votes = 0;
      for (size_t t = 0; t < k; t++) votes += labels[nb[t]] == cls;
      if (votes > best_votes) { best_votes = votes; best = cls; }
    }
    pred_out[i] = best;
  }
}

double qa_knn_accuracy(const int32_t *pred, const int32_t *labels, size_t n) {
  if (n == 0) return NAN;
  size_t hits = 0;
  for (size_t i = 0; i < n; i++) hits += pred[i] == labels[i];
  return (double)hits / (double)n;
}

void qa_neighbor_overlap_each(const int32_t *nbrA, const int32_t *nbrB,
                              size_t n, size_t k, double *overlap_out) {
  for (size_t i = 0; i < n; i++) {
    const int32_t *a = nbrA + i * k, *b = nbrB + i * k;
    size_t common = 0;
    for (size_t r = 0; r < k; r++)
      for (size_t t = 0; t < k; t++)
        if (a[r] == b[t]) { common++; break; }
    overlap_out[i] = (double)common / (double)k;
  }
}

double qa_neighbor_overlap(const int32_t *nbrA, const int32_t *nbrB, size_t n,
                           size_t k) {
  if (n == 0) return NAN;
  double sum = 0, one;
  for (size_t i = 0; i < n; i++) {
    qa_neighbor_overlap_each(nbrA + i * k, nbrB + i * k, 1, k, &one);
    sum += one;
  }
  return sum / (double)n;
}

/* ---- Spearman ---------------------------------------------------------- */

size_t qa_repr_spearman_stride(size_t n, size_t pairs_max, size_t *pairs_out) {
  size_t s = 1, m = n;
  /* STATISTICS.md: the smallest s with ceil(n/s)(ceil(n/s)-1)/2 <= pairs_max;
  ** s = n leaves one sample, so the loop ends. */
  while (m > 1 && m * (m - 1) / 2 > pairs_max) {
    s++;
    m = (n + s - 1) / s;
  }
  if (pairs_out) *pairs_out = m > 1 ? m * (m - 1) / 2 : 0;
  return s;
}

/* Order-preserving map of a double (not NaN) to an unsigned key; -0 is
** mapped to +0 first so that equal values get equal keys. */
static uint64_t double_key(double v) {
  uint64_t u;
  if (v == 0) v = 0.0;
  memcpy(&u, &v, sizeof u);
  return (u >> 63) ? ~u : (u | (UINT64_C(1) << 63));
}

/* Ranking the pair distances.  The sort moves one 64-bit word per pair:
** the key with its lowest `ib` bits replaced by the pair's index (ib: the
** bits an index below P needs), sorted by an LSD radix on the upper
** 64 - ib bits (11-bit digits; a pass skipped when its digit is the same for
** every word).  Pairs whose upper bits agree (rare: 42 bits at P = 3
** million) are then ordered by the rest of their keys, fetched by index;
** equal full keys are ties. */
enum { RADIX_BITS = 11, RADIX_BUCKETS = 1 << RADIX_BITS, RADIX_PASSES = 6 };
typedef size_t radix_counts[RADIX_PASSES][RADIX_BUCKETS];

/* Sorts w[0..P) stably by bits ib..63; returns the buffer that holds the
** result (w or spare), the other one is free. */
static uint64_t *sort_upper(uint64_t *w, uint64_t *spare, size_t P, int ib, radix_counts *counts) {
  const uint64_t MASK = RADIX_BUCKETS - 1;
  int passes = (64 - ib + RADIX_BITS - 1) / RADIX_BITS;
  size_t (*count)[RADIX_BUCKETS] = *counts;
  memset(count, 0, sizeof *counts);
  for (size_t i = 0; i < P; i++) {
    uint64_t x = w[i];
    for (int p = 0; p < passes; p++) count[p][(x >> (ib + p * RADIX_BITS)) & MASK]++;
  }
  for (int p = 0; p < passes; p++) {
    size_t *c = count[p], sum = 0;
    int sh = ib + p * RADIX_BITS;
    if (c[(w[0] >> sh) & MASK] == P) continue;   /* one digit for all: order kept */
    for (size_t b = 0; b < RADIX_BUCKETS; b++) { size_t t = c[b]; c[b] = sum; sum += t; }
    for (size_t i = 0; i < P; i++) {
      uint64_t x = w[i];
      spare[c[(x >> sh) & MASK]++] = x;
    }
    uint64_t *t = w; w = spare; spare = t;
  }
  return w;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* rank2[p] = twice the average rank of pair p's key: for a run of equal
** keys at sorted positions a..b-1 (0-based), a + 1 + b.  klow[p]: the
** lower ib bits of pair p's key.  Returns -1 when a run's scratch does not
** fit in memory. */
static int walk_ranks(const uint32_t *klow, const uint64_t *sorted, size_t P, int ib,
                      uint32_t *rank2) {
  const uint64_t low = ((uint64_t)1 << ib) - 1;
  uint64_t *run = NULL;
  size_t cap = 0;
  for (size_t r = 0; r < P;) {
    uint64_t up = sorted[r] >> ib;
    if (r + 1 == P || (sorted[r + 1] >> ib) != up) {          /* a run of one */
      rank2[sorted[r] & low] = (uint32_t)(2 * r + 2);
      r++;
      continue;
    }
    size_t e = r + 1;
    while (e < P && (sorted[e] >> ib) == up) e++;
    /* Upper bits agree on [r, e): order by the keys' lower bits, as
    ** (lower bits, index) words. */
    size_t g = e - r;
    if (g > cap) {
      uint64_t *grown = realloc(run, (g > 2 * cap ? g : 2 * cap) * sizeof *run);
      if (!grown) { free(run); return -1; }
      run = grown;
      cap = g > 2 * cap ? g : 2 * cap;
    }
    for (size_t t = 0; t < g; t++) {
      uint64_t p = sorted[r + t] & low;
      run[t] = ((uint64_t)klow[p] << (64 - ib)) | p;
    }
    if (g <= 24) {
      for (size_t t = 1; t < g; t++) {
        uint64_t x = run[t];
        size_t q = t;
        while (q > 0 && run[q - 1] > x) { run[q] = run[q - 1]; q--; }
        run[q] = x;
      }
    } else {
      qsort(run, g, sizeof *run, cmp_u64);
    }
    for (size_t a = 0; a < g;) {
      size_t b = a + 1;
      while (b < g && (run[b] >> (64 - ib)) == (run[a] >> (64 - ib))) b++;
      uint32_t r2 = (uint32_t)((r + a + 1) + (r + b));
      for (size_t t = a; t < b; t++) rank2[run[t] & low] = r2;
      a = b;
    }
    r = e;
  }
  free(run);
  return 0;
}

/* For the pairs a<b of the m rows A, A+lda, ... in the order (0,1), (0,2),
** ..., (m-2,m-1), p counting from 0: w[p] = key(1 - cos) with its lowest
** ib bits replaced by p, klow[p] = those lowest bits.  Gram blocks of rows. */
static int pair_distances(const double *A, size_t lda, size_t m, size_t d, int ib,
                          uint64_t *w, uint32_t *klow, qa_error *err) {
  int rc = -1;
  double *inv = qa_alloc_array(m, sizeof *inv, err, "Spearman norms"), *G = NULL;
  size_t block = SPEARMAN_TILE_DOUBLES / m, p = 0;
  const uint64_t low = ((uint64_t)1 << ib) - 1;
  if (block > SPEARMAN_BLOCK_ROWS) block = SPEARMAN_BLOCK_ROWS;
  if (block < 1) block = 1;
  if (block > m) block = m;
  if (!inv || !(G = qa_alloc_array(block * m, sizeof *G, err, "Spearman Gram block")))
    goto done;
  inverse_norms(A, lda, m, d, inv);
  for (size_t r0 = 0; r0 < m; r0 += block) {
    size_t rows = m - r0 < block ? m - r0 : block, wd = m - r0;
    const double *Ar = A + r0 * lda;
    cosine_tile(Ar, lda, inv + r0, rows, Ar, lda, inv + r0, wd, d, G);
    for (size_t a = 0; a < rows; a++)
      for (size_t b = a + 1; b < wd; b++, p++) {
        uint64_t key = double_key(1.0 - G[a * wd + b]);
        w[p] = (key & ~low) | (uint64_t)p;
        klow[p] = (uint32_t)(key & low);
      }
  }
  rc = 0;
done:
  free(inv);
  free(G);
  return rc;
}

/* The baseline's side of the Spearman correlation, computed once and
** reused for every variant: twice the average ranks of its pair distances
** and their sum of squared deviations. */
struct qa_spearman_ref {
  size_t n, d, s, m, P;
  uint32_t *rank2;   /* twice the average ranks: at most 2P < 2^32 */
  double sxx;
};

void qa_repr_spearman_ref_free(qa_spearman_ref *ref) {
  if (!ref) return;
  free(ref->rank2);
  free(ref);
}

/* Twice the average ranks of the pair distances of the subsample of A,
** into a new buffer *out.  Memory: 20 bytes per pair while sorting, 16
** while ranking (the ranks included). */
static int pair_ranks(const double *A, size_t s, size_t m, size_t d, size_t P, uint32_t **out,
                      qa_error *err) {
  int rc = -1;
  uint64_t *w = NULL, *spare = NULL;
  uint32_t *klow = NULL, *rank2 = NULL;
  radix_counts *counts = NULL;
  *out = NULL;
  int ib = 1;                      /* bits of an index below P (P < 2^31) */
  while (((uint64_t)1 << ib) < P) ib++;
  if (!(w = qa_alloc_array(P, sizeof *w, err, "Spearman distances")) ||
      !(klow = qa_alloc_array(P, sizeof *klow, err, "Spearman distances")) ||
      !(spare = qa_alloc_array(P, sizeof *spare, err, "Spearman sort buffer")) ||
      !(counts = qa_alloc_array(1, sizeof *counts, err, "Spearman histograms")))
    goto done;
  /* Rows i = 0 (mod s) are a matrix with leading dimension s*d: no copy. */
  if (pair_distances(A, s * d, m, d, ib, w, klow, err)) goto done;
  uint64_t *sorted = sort_upper(w, spare, P, ib, counts);
  free(sorted == w ? spare : w);   /* the other buffer */
  w = sorted;
  spare = NULL;
  if (!(rank2 = qa_alloc_array(P, sizeof *rank2, err, "Spearman ranks"))) goto done;
  if (walk_ranks(klow, w, P, ib, rank2)) {
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "Spearman ties: out of memory");
    goto done;
  }
  *out = rank2;
  rank2 = NULL;
  rc = 0;
done:
  free(w); free(spare); free(klow); free(rank2); free(counts);
  return rc;
}

int qa_repr_spearman_ref_new(const double *X, size_t n, size_t d, size_t pairs_max,
                             qa_spearman_ref **out, qa_error *err) {
  *out = NULL;
  qa_spearman_ref *ref = calloc(1, sizeof *ref);
  if (!ref) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory (Spearman)");
  ref->n = n;
  ref->d = d;
  ref->s = qa_repr_spearman_stride(n, pairs_max, &ref->P);
  ref->m = n ? (n + ref->s - 1) / ref->s : 0;
  ref->sxx = NAN;
  if (ref->P >= 2) {
    if (ref->P > INT32_MAX || d > INT_MAX || ref->s * d > INT_MAX) {
      qa_error_set(err, QA_EXIT_DATA, NULL, NULL, "pairs_max: %zu pairs exceed the limit of %d",
                   ref->P, INT32_MAX);
      free(ref);
      return -1;
    }
    if (pair_ranks(X, ref->s, ref->m, d, ref->P, &ref->rank2, err)) {
      free(ref);
      return -1;
    }
    /* Twice the average rank has mean P+1 exactly. */
    double mean2 = (double)ref->P + 1.0, sxx = 0;
    for (size_t p = 0; p < ref->P; p++) {
      double u = (double)ref->rank2[p] - mean2;
      sxx += u * u;
    }
    ref->sxx = sxx;
  }
  *out = ref;
  return 0;
}

int qa_repr_spearman_ref_has_spread(const qa_spearman_ref *ref) {
  return ref->P >= 2 && ref->sxx > 0;
}

int qa_repr_spearman_vs(const qa_spearman_ref *ref, const double *Y, double *rho_out,
                        size_t *pairs_used, qa_error *err) {
  *rho_out = NAN;
  if (pairs_used) *pairs_used = ref->P;
  if (ref->P < 2) return 0;
  uint32_t *rank_y = NULL;
  if (pair_ranks(Y, ref->s, ref->m, ref->d, ref->P, &rank_y, err)) return -1;
  /* Pearson of the ranks. */
  double mean2 = (double)ref->P + 1.0, sxy = 0, syy = 0;
  for (size_t p = 0; p < ref->P; p++) {
    double u = (double)ref->rank2[p] - mean2, v = (double)rank_y[p] - mean2;
    sxy += u * v;
    syy += v * v;
  }
  if (ref->sxx > 0 && syy > 0) *rho_out = sxy / sqrt(ref->sxx * syy);
  free(rank_y);
  return 0;
}

int qa_repr_spearman(const double *X, const double *Y, size_t n, size_t d,
                     size_t pairs_max, double *rho_out, size_t *pairs_used,
                     qa_error *err) {
  qa_spearman_ref *ref = NULL;
  *rho_out = NAN;
  if (qa_repr_spearman_ref_new(X, n, d, pairs_max, &ref, err)) return -1;
  int rc = qa_repr_spearman_vs(ref, Y, rho_out, pairs_used, err);
  qa_repr_spearman_ref_free(ref);
  return rc;
}

/* ---- Centred cross products: covariance and CKA ------------------------ */

/* mean[j] = the mean of column j.  A column whose values are all equal gets
** exactly that value (sum / n can be off by an ulp), so identical rows centre
** to exact zeros and a constant layer has a zero spectrum, not rounding noise. */
static void column_means(const double *X, size_t n, size_t d, double *mean) {
  memset(mean, 0, d * sizeof *mean);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) mean[j] += X[i * d + j];
  for (size_t j = 0; j < d; j++) mean[j] /= (double)n;
  for (size_t j = 0; j < d && n > 0; j++) {
    size_t i = 1;
    while (i < n && X[i * d + j] == X[j]) i++;
    if (i == n) mean[j] = X[j];
  }
}

/* xx = Xc'Xc, and when Y is given yy = Yc'Yc and yx = Yc'Xc (d*d each;
** xx, yy upper triangle only), folding centred blocks of rows: start
** (zeroed sums), scan (beta 1 per block), with exact means from a first pass. */
static int centred_products(const double *X, const double *Y, size_t n, size_t d,
                            double *mean_x, double *xx, double *yy, double *yx,
                            qa_error *err) {
  int rc = -1;
  size_t block = n < CENTRE_BLOCK_ROWS ? n : CENTRE_BLOCK_ROWS;
  double *mean_y = NULL, *xb = NULL, *yb = NULL;
  if (d > INT_MAX)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL, "dimension %zu is too large", d);
  if (!(xb = qa_alloc_array(block * d, sizeof *xb, err, "centred block"))) goto done;
  if (Y && (!(yb = qa_alloc_array(block * d, sizeof *yb, err, "centred block")) ||
            !(mean_y = qa_alloc_array(d, sizeof *mean_y, err, "column means"))))
    goto done;
  column_means(X, n, d, mean_x);
  if (Y) column_means(Y, n, d, mean_y);
  /* start: empty partial sums (each product only when asked for) */
  if (xx) memset(xx, 0, d * d * sizeof *xx);
  if (yy) memset(yy, 0, d * d * sizeof *yy);
  if (yx) memset(yx, 0, d * d * sizeof *yx);
  for (size_t r0 = 0; r0 < n; r0 += block) {
    size_t rows = n - r0 < block ? n - r0 : block;
    for (size_t i = 0; i < rows; i++)
      for (size_t j = 0; j < d; j++) {
        xb[i * d + j] = X[(r0 + i) * d + j] - mean_x[j];
        if (Y) yb[i * d + j] = Y[(r0 + i) * d + j] - mean_y[j];
      }
    /* C (d*d, ldc d) += A'A with A = xb, rows*d row-major: Trans needs lda >= d. */
    if (xx)
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0, xb,
                  (int)d, 1.0, xx, (int)d);
    if (Y && yy)   /* the same shapes for yb */
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0, yb,
                  (int)d, 1.0, yy, (int)d);
    /* yx (d*d, ldc d) += yb' xb: yb rows*d Trans (lda >= M = d), xb rows*d (ldb >= N = d). */
    if (Y && yx)
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)rows,
                  1.0, yb, (int)d, xb, (int)d, 1.0, yx, (int)d);
  }
  rc = 0;
done:
  free(mean_y);
  free(xb);
  free(yb);
  return rc;
}

/* |S|_F^2 of a symmetric matrix from its upper triangle. */
static double sym_frobenius2(const double *S, size_t d) {
  double diag = 0, off = 0;
  for (size_t i = 0; i < d; i++) {
    diag += S[i * d + i] * S[i * d + i];
    for (size_t j = i + 1; j < d; j++) off += S[i * d + j] * S[i * d + j];
  }
  return diag + 2.0 * off;
}

/* Copies the upper triangle of the row-major r*r S into its lower one. */
static void mirror_upper(double *S, size_t r) {
  for (size_t i = 0; i < r; i++)
    for (size_t j = 0; j < i; j++) S[i * r + j] = S[j * r + i];
}

/* K = Xc Xc' (n*n, full), Xc = X minus the column means `mean`, folded
** over blocks of GRAM_BLOCK_COLS centred columns (start: K = 0; scan:
** K += B B'), so that no centred n*d copy is made. */
static int centred_gram(const double *X, size_t n, size_t d, const double *mean, double *K,
                        qa_error *err) {
  size_t width = d < GRAM_BLOCK_COLS ? d : GRAM_BLOCK_COLS;
  if (n > INT_MAX)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL, "%zu samples are too many", n);
  double *xb = qa_alloc_array(n * width, sizeof *xb, err, "centred column block");
  if (!xb) return -1;
  memset(K, 0, n * n * sizeof *K);
  for (size_t c0 = 0; c0 < d; c0 += width) {
    size_t w = d - c0 < width ? d - c0 : width;
    for (size_t i = 0; i < n; i++)
      for (size_t j = 0; j < w; j++) xb[i * w + j] = X[i * d + c0 + j] - mean[c0 + j];
    /* K (n*n, ldc n) += xb xb': xb is n*w row-major, NoTrans needs lda >= K = w. */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)n, (int)w, 1.0, xb, (int)w,
                1.0, K, (int)n);
  }
  free(xb);
  mirror_upper(K, n);
  return 0;
}

/* The Gram path (n*n) when asked for, or under AUTO when D > N: the
** eigenproblem then costs min(N, D)^2 memory and min(N, D)^2 max(N, D) time. */
static int use_gram(size_t n, size_t d, qa_repr_path path) {
  return path == QA_REPR_PATH_GRAM || (path == QA_REPR_PATH_AUTO && d > n);
}

/* M (r*r, full) = Xc'Xc / (n-1) (r = d, the covariance) or Xc Xc' / (n-1)
** (r = n, the scaled Gram matrix): both have the covariance's nonzero
** eigenvalues, since X'X and XX' share theirs.  mean receives the column
** means.  Requires n >= 2. */
static int centred_square(const double *X, size_t n, size_t d, int gram, double *mean,
                          double *M, qa_error *err) {
  size_t r = gram ? n : d;
  if (gram) {
    column_means(X, n, d, mean);
    if (centred_gram(X, n, d, mean, M, err)) return -1;
  } else {
    if (centred_products(X, NULL, n, d, mean, M, NULL, NULL, err)) return -1;
    mirror_upper(M, d);
  }
  /* Divisor n-1 (STATISTICS.md "spectrum"). */
  for (size_t i = 0; i < r * r; i++) M[i] /= (double)(n - 1);
  return 0;
}

/* |S|_F^2 of a full r*r matrix. */
static double frobenius2(const double *S, size_t r) {
  double s = 0;
  for (size_t i = 0; i < r * r; i++) s += S[i] * S[i];
  return s;
}

/* The order limit of every eigenproblem: LAPACK indexes an r*r matrix
** with 32-bit ints, and 46340^2 < 2^31 <= 46341^2. */
static int eigen_order_error(size_t r, qa_error *err) {
  if (r > QA_REPR_EIGEN_MAX)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "an eigenproblem of order %zu exceeds the %d that LAPACK's 32-bit "
                        "indices allow", r, QA_REPR_EIGEN_MAX);
  return 0;
}

uint64_t qa_repr_eigen_bytes(size_t n, size_t d) {
  size_t r = n < d ? n : d;
  if (r > QA_REPR_EIGEN_MAX) return UINT64_MAX;
  int gram = use_gram(n, d, QA_REPR_PATH_AUTO);
  /* Peak: the Gram path's CKA holds Kx and Ky (2 r^2), the covariance
  ** path one d*d at a time; plus two centred blocks of rows or columns. */
  uint64_t squares = (uint64_t)(gram ? 2 : 1) * r * r;
  uint64_t side = gram ? n : d, width = gram ? (d < GRAM_BLOCK_COLS ? d : GRAM_BLOCK_COLS)
                                             : (n < CENTRE_BLOCK_ROWS ? n : CENTRE_BLOCK_ROWS);
  if (side > UINT64_MAX / 16 / (width ? width : 1)) return UINT64_MAX;
  uint64_t blocks = 2 * side * width;
  if (squares + blocks > UINT64_MAX / 8) return UINT64_MAX;
  return (squares + blocks) * 8;
}

int qa_repr_eigen_check(size_t n, size_t d, uint64_t budget_bytes, const char *budget_what,
                        qa_error *err) {
  size_t r = n < d ? n : d;
  if (n < 2 || d == 0) return 0;   /* no spectrum, no PCA */
  if (r > QA_REPR_EIGEN_MAX)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "hidden states [%zu, %zu]: the spectrum and PCA need an "
                        "eigen-decomposition of order min(N, D) = %zu, more than the %d "
                        "that LAPACK's 32-bit indices allow", n, d, r, QA_REPR_EIGEN_MAX);
  uint64_t need = qa_repr_eigen_bytes(n, d);
  if (need > budget_bytes)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "hidden states [%zu, %zu]: the spectrum, PCA and CKA need %.3g GB "
                        "for matrices of order min(N, D) = %zu, more than the %.3g GB %s",
                        n, d, (double)need / 1e9, r, (double)budget_bytes / 1e9,
                        budget_what ? budget_what : "available");
  return 0;
}

/* ---- Linear CKA ----------------------------------------------------------- */

/* The Gram form of CKA's three norms: |Yc'Xc|_F^2 = tr(Xc'Yc Yc'Xc) =
** tr(Kx Ky) = sum_ij Kx_ij Ky_ij with Kx = Xc Xc', Ky = Yc Yc' (symmetric),
** and |Xc'Xc|_F = |Kx|_F: n*n work instead of d*d. */
static int cka_gram(const double *X, const double *Y, size_t n, size_t d, double *cross,
                    double *xx2, double *yy2, qa_error *err) {
  int rc = -1;
  double *kx = NULL, *ky = NULL, *mean = NULL;
  if (!(kx = qa_alloc_array(n * n, sizeof *kx, err, "CKA Gram X")) ||
      !(ky = qa_alloc_array(n * n, sizeof *ky, err, "CKA Gram Y")) ||
      !(mean = qa_alloc_array(d, sizeof *mean, err, "CKA means")))
    goto done;
  column_means(X, n, d, mean);
  if (centred_gram(X, n, d, mean, kx, err)) goto done;
  column_means(Y, n, d, mean);
  if (centred_gram(Y, n, d, mean, ky, err)) goto done;
  double c = 0;
  for (size_t i = 0; i < n * n; i++) c += kx[i] * ky[i];
  *cross = c > 0 ? c : 0;   /* a sum of squares; rounding may dip below 0 */
  *xx2 = frobenius2(kx, n);
  *yy2 = frobenius2(ky, n);
  rc = 0;
done:
  free(kx); free(ky); free(mean);
  return rc;
}

int qa_repr_cka_linear_path(const double *X, const double *Y, size_t n, size_t d,
                            qa_repr_path path, double *cka_out, qa_error *err) {
  int rc = -1;
  double *xx = NULL, *yy = NULL, *yx = NULL, *mean = NULL;
  *cka_out = NAN;
  if (n == 0 || d == 0) return 0;
  if (use_gram(n, d, path)) {
    double cross = 0, xx2 = 0, yy2 = 0;
    if (cka_gram(X, Y, n, d, &cross, &xx2, &yy2, err)) return -1;
    double den = sqrt(xx2) * sqrt(yy2);
    if (den > 0) *cka_out = cross / den;
    return 0;
  }
  if (!(xx = qa_alloc_array(d * d, sizeof *xx, err, "CKA X'X")) ||
      !(yy = qa_alloc_array(d * d, sizeof *yy, err, "CKA Y'Y")) ||
      !(yx = qa_alloc_array(d * d, sizeof *yx, err, "CKA Y'X")) ||
      !(mean = qa_alloc_array(d, sizeof *mean, err, "CKA means")))
    goto done;
  if (centred_products(X, Y, n, d, mean, xx, yy, yx, err)) goto done;
  double cross = 0;
  for (size_t i = 0; i < d * d; i++) cross += yx[i] * yx[i];
  double den = sqrt(sym_frobenius2(xx, d)) * sqrt(sym_frobenius2(yy, d));
  /* Kornblith et al. 2019, eq. (5) with linear kernels. */
  if (den > 0) *cka_out = cross / den;
  rc = 0;
done:
  free(xx); free(yy); free(yx); free(mean);
  return rc;
}

int qa_repr_cka_linear(const double *X, const double *Y, size_t n, size_t d,
                       double *cka_out, qa_error *err) {
  return qa_repr_cka_linear_path(X, Y, n, d, QA_REPR_PATH_AUTO, cka_out, err);
}

int qa_repr_cka_linear_known(const double *X, const double *Y, size_t n, size_t d,
                             double xx_frob2, double yy_frob2, double *cka_out,
                             qa_error *err) {
  int rc = -1;
  double *yx = NULL, *mean = NULL, cross = 0;
  *cka_out = NAN;
  if (n == 0 || d == 0) return 0;
  if (use_gram(n, d, QA_REPR_PATH_AUTO)) {
    double xx2, yy2;   /* equal to the known ones; those are used, as below */
    if (cka_gram(X, Y, n, d, &cross, &xx2, &yy2, err)) return -1;
  } else {
    if (!(yx = qa_alloc_array(d * d, sizeof *yx, err, "CKA Y'X")) ||
        !(mean = qa_alloc_array(d, sizeof *mean, err, "CKA means")))
      goto done;
    if (centred_products(X, Y, n, d, mean, NULL, NULL, yx, err)) goto done;
    for (size_t i = 0; i < d * d; i++) cross += yx[i] * yx[i];
  }
  double den = sqrt(xx_frob2) * sqrt(yy_frob2);
  if (den > 0) *cka_out = cross / den;
  rc = 0;
done:
  free(yx); free(mean);
  return rc;
}

int qa_repr_cka_linear_known_x(const double *X, const double *Y, size_t n, size_t d,
                               double xx_frob2, double *yy_frob2_out, double *cka_out,
                               qa_error *err) {
  int rc = -1;
  double *yy = NULL, *yx = NULL, *mean = NULL;
  *cka_out = NAN;
  if (yy_frob2_out) *yy_frob2_out = NAN;
  if (n == 0 || d == 0) return 0;
  if (n < 2 || use_gram(n, d, QA_REPR_PATH_AUTO))
    return qa_repr_cka_linear(X, Y, n, d, cka_out, err);
  if (!(yy = qa_alloc_array(d * d, sizeof *yy, err, "CKA Y'Y")) ||
      !(yx = qa_alloc_array(d * d, sizeof *yx, err, "CKA Y'X")) ||
      !(mean = qa_alloc_array(d, sizeof *mean, err, "CKA means")))
    goto done;
  /* yy from the same centred blocks, and the same calls, as
  ** qa_repr_covariance(Y) makes; its |.|_F^2 summed as qa_repr_gram_frob2
  ** sums the covariance (divided, mirrored, row by row): the same bits. */
  if (centred_products(X, Y, n, d, mean, NULL, yy, yx, err)) goto done;
  double s = 0, cross = 0;
  for (size_t i = 0; i < d; i++)
    for (size_t j = 0; j < d; j++) {
      double c = (j >= i ? yy[i * d + j] : yy[j * d + i]) / (double)(n - 1);
      s += c * c;
    }
  double yy2 = s * (double)(n - 1) * (double)(n - 1);
  if (yy_frob2_out) *yy_frob2_out = yy2;
  for (size_t i = 0; i < d * d; i++) cross += yx[i] * yx[i];
  double den = sqrt(xx_frob2) * sqrt(yy2);
  if (den > 0) *cka_out = cross / den;
  rc = 0;
done:
  free(yy); free(yx); free(mean);
  return rc;
}

double qa_repr_gram_frob2(const double *cov, size_t n, size_t d) {
  /* |Xc'Xc|_F^2 = (n-1)^2 |cov|_F^2 */
  double s = 0;
  for (size_t i = 0; i < d * d; i++) s += cov[i] * cov[i];
  return s * (double)(n - 1) * (double)(n - 1);
}

int qa_repr_covariance(const double *X, size_t n, size_t d, double *cov_out,
                       double *mean_out, qa_error *err) {
  double *mean = mean_out;
  if (n < 2)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "a covariance needs at least 2 samples, found %zu", n);
  if (!mean && !(mean = qa_alloc_array(d, sizeof *mean, err, "column means"))) return -1;
  int rc = centred_products(X, NULL, n, d, mean, cov_out, NULL, NULL, err);
  if (mean != mean_out) free(mean);
  if (rc) return rc;
  /* Divisor n-1 (STATISTICS.md "spectrum"); mirror the upper triangle. */
  for (size_t i = 0; i < d; i++) {
    for (size_t j = i; j < d; j++) cov_out[i * d + j] /= (double)(n - 1);
    for (size_t j = 0; j < i; j++) cov_out[i * d + j] = cov_out[j * d + i];
  }
  return 0;
}

/* ---- Eigen-decomposition: LAPACK and GSL paths ------------------------- */

static int cmp_double_desc(const void *a, const void *b) { return cmp_double(b, a); }

/* All eigenvalues of the symmetric d*d A (destroyed) into w[0..d), LAPACK
** dsyevd JOBZ='N'. */
static int lapack_eigenvalues(double *A, size_t d, double *w, qa_error *err) {
  int n = (int)d, info = 0, lwork = -1, liwork = -1, iwork_q = 0;
  double work_q = 0, *work = NULL;
  int *iwork = NULL;
  /* netlib dsyevd.f: A is LDA*N with LDA = N (d*d here); W holds N values
  ** (every caller passes d of them); WORK/IWORK are sized by the query
  ** below, never under the documented minimum 2N+1 (N > 1) and 1. */
  dsyevd_("N", "L", &n, A, &n, w, &work_q, &lwork, &iwork_q, &liwork, &info, 1, 1);
  if (info == 0) {
    lwork = (int)work_q;
    liwork = iwork_q;
    if (lwork < 2 * n + 1) lwork = 2 * n + 1;
    if (liwork < 1) liwork = 1;
    work = qa_alloc_array((size_t)lwork, sizeof *work, err, "dsyevd work");
    iwork = qa_alloc_array((size_t)liwork, sizeof *iwork, err, "dsyevd work");
    if (!work || !iwork) { free(work); free(iwork); return -1; }
    dsyevd_("N", "L", &n, A, &n, w, work, &lwork, iwork, &liwork, &info, 1, 1);
  }
  free(work);
  free(iwork);
  if (info != 0)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "LAPACK dsyevd failed (info %d)", info);
  return 0;
}

/* The two leading eigenvectors of the symmetric d*d A (destroyed; d >= 2)
** as the rows of vec2 (2*d), their eigenvalues descending in lam2[0..2)
** (LAPACK dsyevr, RANGE='I', IL = d-1, IU = d). */
static int lapack_top2(double *A, size_t d, double *vec2, double *lam2, qa_error *err) {
  int n = (int)d, il = n - 1, iu = n, m = 0, info = 0, lwork = -1, liwork = -1;
  int iwork_q = 0, isuppz[4], *iwork = NULL;
  double vl = 0, vu = 0, abstol = 0, work_q = 0, *work = NULL, *z = NULL, *w = NULL;
  /* netlib dsyevr.f: W must hold N values although only M = IU-IL+1 = 2 are
  ** returned (it is workspace too, and the library writes all of it: the
  ** old `double w[2]` was a stack overflow); Z is LDZ*max(1,M) = d*2 with
  ** LDZ = N; ISUPPZ is 2*max(1,M) = 4 ints; WORK/IWORK from the query, never
  ** under the documented minimum 26N and 10N. */
  w = qa_alloc_array(d, sizeof *w, err, "dsyevr eigenvalues");
  z = w ? qa_alloc_array(2 * d, sizeof *z, err, "dsyevr vectors") : NULL;
  if (!w || !z) { free(w); return -1; }
  dsyevr_("V", "I", "L", &n, A, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz,
          &work_q, &lwork, &iwork_q, &liwork, &info, 1, 1, 1);
  if (info == 0) {
    lwork = (int)work_q;
    liwork = iwork_q;
    if (lwork < 26 * n) lwork = 26 * n;
    if (liwork < 10 * n) liwork = 10 * n;
    work = qa_alloc_array((size_t)lwork, sizeof *work, err, "dsyevr work");
    iwork = qa_alloc_array((size_t)liwork, sizeof *iwork, err, "dsyevr work");
    if (!work || !iwork) { free(work); free(iwork); free(z); free(w); return -1; }
    dsyevr_("V", "I", "L", &n, A, &n, &vl, &vu, &il, &iu, &abstol, &m, w, z, &n, isuppz,
            work, &lwork, iwork, &liwork, &info, 1, 1, 1);
  }
  if (info == 0 && m == 2) {      /* ascending: z column 1 is the largest */
    memcpy(vec2, z + d, d * sizeof *vec2);
    memcpy(vec2 + d, z, d * sizeof *vec2);
    lam2[0] = w[1];
    lam2[1] = w[0];
  }
  free(work); free(iwork); free(z); free(w);
  if (info != 0 || m != 2)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL,
                        "LAPACK dsyevr failed (info %d, %d vectors)", info, m);
  return 0;
}

/* gsl_eigen_symm(v) on the d*d A (destroyed): every eigenvalue into w (d,
** descending when vec2 is asked for), and the two leading eigenvectors as
** the rows of vec2 when it is not NULL. */
static int gsl_eigen(double *A, size_t d, double *w, double *vec2, qa_error *err) {
  gsl_matrix_view a = gsl_matrix_view_array(A, d, d);
  gsl_vector_view eval = gsl_vector_view_array(w, d);
  int status;
  if (!vec2) {
    gsl_eigen_symm_workspace *ws = gsl_eigen_symm_alloc(d);
    if (!ws) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "GSL: out of memory");
    status = gsl_eigen_symm(&a.matrix, &eval.vector, ws);
    gsl_eigen_symm_free(ws);
  } else {
    gsl_eigen_symmv_workspace *ws = gsl_eigen_symmv_alloc(d);
    gsl_matrix *evec = gsl_matrix_alloc(d, d);
    if (!ws || !evec) status = GSL_ENOMEM;
    else status = gsl_eigen_symmv(&a.matrix, &eval.vector, evec, ws);
    if (status == 0) status = gsl_eigen_symmv_sort(&eval.vector, evec, GSL_EIGEN_SORT_VAL_DESC);
    if (status == 0)
      for (size_t i = 0; i < d; i++) {
        vec2[i] = gsl_matrix_get(evec, i, 0);
        vec2[d + i] = gsl_matrix_get(evec, i, 1);
      }
    if (ws) gsl_eigen_symmv_free(ws);
    if (evec) gsl_matrix_free(evec);
  }
  if (status != 0)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "GSL eigen: %s", gsl_strerror(status));
  return 0;
}

int qa_repr_spectrum_method(const double *cov, size_t d, qa_eigen_method method,
                            double *eig_desc, qa_error *err) {
  if (d == 0) return 0;
  if (eigen_order_error(d, err)) return -1;
  double *A = qa_alloc_array(d * d, sizeof *A, err, "eigen work matrix");
  if (!A) return -1;
  memcpy(A, cov, d * d * sizeof *A);   /* both libraries overwrite their input */
  int rc = method == QA_EIGEN_GSL ? gsl_eigen(A, d, eig_desc, NULL, err)
                                  : lapack_eigenvalues(A, d, eig_desc, err);
  free(A);
  if (rc == 0) qsort(eig_desc, d, sizeof *eig_desc, cmp_double_desc);
  return rc;
}

int qa_repr_spectrum(const double *cov, size_t d, double *eig_desc, qa_error *err) {
  return qa_repr_spectrum_method(cov, d, QA_EIGEN_AUTO, eig_desc, err);
}

/* The spectrum from M = centred_square(X) (r*r, destroyed; r = n on the
** Gram path, else d): eig_desc (d values) and |Xc'Xc|_F^2. */
static int spectrum_of_square(double *M, size_t r, size_t n, size_t d, double *eig_desc,
                              double *frob2_out, qa_error *err) {
  int rc = -1;
  double *w = NULL;
  /* |Xc'Xc|_F^2 = |Xc Xc'|_F^2 = (n-1)^2 |M|_F^2, for CKA. */
  double frob2 = frobenius2(M, r) * (double)(n - 1) * (double)(n - 1);
  if (r <= d) {
    /* dsyevd's W: the first r of eig_desc's d >= r values. */
    if (lapack_eigenvalues(M, r, eig_desc, err)) goto done;
    /* The covariance's other d - r eigenvalues are exactly 0 (rank <= n-1). */
    for (size_t j = r; j < d; j++) eig_desc[j] = 0;
    qsort(eig_desc, d, sizeof *eig_desc, cmp_double_desc);
  } else {
    /* The Gram path asked for with d < n: W needs r = n values, of which
    ** the d largest are the covariance's (the rest are zeros). */
    if (!(w = qa_alloc_array(r, sizeof *w, err, "spectrum eigenvalues")) ||
        lapack_eigenvalues(M, r, w, err))
      goto done;
    qsort(w, r, sizeof *w, cmp_double_desc);
    memcpy(eig_desc, w, d * sizeof *eig_desc);
  }
  if (frob2_out) *frob2_out = frob2;
  rc = 0;
done:
  free(w);
  return rc;
}

int qa_repr_data_spectrum(const double *X, size_t n, size_t d, qa_repr_path path,
                          double *eig_desc, double *frob2_out, qa_error *err) {
  int rc = -1, gram = use_gram(n, d, path);
  size_t r = gram ? n : d;
  double *M = NULL, *mean = NULL;
  if (frob2_out) *frob2_out = 0;
  if (n < 2)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "a covariance needs at least 2 samples, found %zu", n);
  if (d == 0) return 0;
  if (eigen_order_error(r, err)) return -1;
  if (!(M = qa_alloc_array(r * r, sizeof *M, err, "spectrum matrix")) ||
      !(mean = qa_alloc_array(d, sizeof *mean, err, "column means")))
    goto done;
  if (centred_square(X, n, d, gram, mean, M, err)) goto done;
  rc = spectrum_of_square(M, r, n, d, eig_desc, frob2_out, err);
done:
  free(M);
  free(mean);
  return rc;
}

double qa_repr_effective_rank(const double *eig, size_t d) {
  double lmax = -INFINITY, sum = 0, entropy = 0;
  for (size_t j = 0; j < d; j++) if (eig[j] > lmax) lmax = eig[j];
  if (!(lmax > 0)) return NAN;
  /* Roy & Vetterli 2007, over l_j > 1e-12 l_max (STATISTICS.md). */
  for (size_t j = 0; j < d; j++) if (eig[j] > 1e-12 * lmax) sum += eig[j];
  for (size_t j = 0; j < d; j++)
    if (eig[j] > 1e-12 * lmax) {
      double p = eig[j] / sum;
      entropy -= p * log(p);
    }
  return exp(entropy);
}

double qa_repr_participation_ratio(const double *eig, size_t d) {
  double sum = 0, sum2 = 0;
  for (size_t j = 0; j < d; j++) { sum += eig[j]; sum2 += eig[j] * eig[j]; }
  return sum2 > 0 ? sum * sum / sum2 : NAN;
}

/* axis = Xc' u / |Xc' u| (d), Xc = X minus mean: the covariance eigenvector
** of the Gram eigenvector u (n); a zero vector when Xc' u is 0. */
static void gram_axis(const double *X, size_t n, size_t d, const double *mean,
                      const double *u, double *axis) {
  memset(axis, 0, d * sizeof *axis);
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < d; j++) axis[j] += (X[i * d + j] - mean[j]) * u[i];
  double norm2 = 0;
  for (size_t j = 0; j < d; j++) norm2 += axis[j] * axis[j];
  if (norm2 > 0) {
    double inv = 1.0 / sqrt(norm2);
    for (size_t j = 0; j < d; j++) axis[j] *= inv;
  }
}

/* The axes from M = centred_square(X) (r*r, destroyed) and X's column
** means. */
static int pca_of_square(const double *X, size_t n, size_t d, int gram, qa_eigen_method method,
                         const double *mean, double *M, double *axes_out, qa_error *err) {
  int rc = -1;
  size_t r = gram ? n : d;
  double *w = NULL, *u = NULL, lam[2] = {0, 0};
  /* The eigenvectors of M: the axes themselves (r = d), or Gram vectors. */
  if (gram && !(u = qa_alloc_array(2 * r, sizeof *u, err, "PCA Gram vectors"))) goto done;
  if (method == QA_EIGEN_GSL) {
    if (!(w = qa_alloc_array(r, sizeof *w, err, "PCA eigenvalues"))) goto done;
    if (gsl_eigen(M, r, w, gram ? u : axes_out, err)) goto done;
    lam[0] = w[0];
    lam[1] = w[1];
  } else if (lapack_top2(M, r, gram ? u : axes_out, lam, err)) {
    goto done;
  }
  if (gram)
    for (int a = 0; a < 2; a++)
      gram_axis(X, n, d, mean, u + (size_t)a * r, axes_out + (size_t)a * d);
  for (int a = 0; a < 2; a++) {
    double *v = axes_out + (size_t)a * d;
    /* An axis without variance (eigenvalue <= 1e-12 of the largest, the
    ** spectrum's own cut) has no direction: any vector of the null space
    ** would do, so it is 0 and every projection on it is 0. */
    if (!(lam[0] > 0) || !(lam[a] > 1e-12 * lam[0])) {
      memset(v, 0, d * sizeof *v);
      continue;
    }
    /* Sign: the largest-magnitude component positive (lowest index on ties). */
    size_t at = 0;
    for (size_t j = 1; j < d; j++) if (fabs(v[j]) > fabs(v[at])) at = j;
    if (v[at] < 0) for (size_t j = 0; j < d; j++) v[j] = -v[j];
  }
  rc = 0;
done:
  free(w);
  free(u);
  return rc;
}

static int pca_axes(const double *X, size_t n, size_t d, qa_eigen_method method,
                    qa_repr_path path, double *mean_out, double *axes_out, qa_error *err) {
  int rc = -1, gram = use_gram(n, d, path);
  size_t r = gram ? n : d;
  double *M = NULL;
  if (n < 2 || d < 2)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "PCA needs at least 2 samples and 2 dimensions, found %zu and %zu",
                        n, d);
  if (eigen_order_error(r, err)) return -1;
  if (!(M = qa_alloc_array(r * r, sizeof *M, err, "PCA matrix"))) goto done;
  if (centred_square(X, n, d, gram, mean_out, M, err)) goto done;
  rc = pca_of_square(X, n, d, gram, method, mean_out, M, axes_out, err);
done:
  free(M);
  return rc;
}

/* Largest centred square shared between the axes and the spectrum (a copy
** is made); beyond it each computes its own. */
#define SHARED_SQUARE_BYTES ((uint64_t)64 << 20)

int qa_repr_pca_axes_spectrum(const double *X, size_t n, size_t d, double *mean_out,
                              double *axes_out, double *eig_desc, double *frob2_out,
                              qa_error *err) {
  int rc = -1, gram = use_gram(n, d, QA_REPR_PATH_AUTO);
  size_t r = gram ? n : d;
  double *M = NULL, *M2 = NULL;
  if (frob2_out) *frob2_out = 0;
  if (n < 2 || d < 2)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "PCA needs at least 2 samples and 2 dimensions, found %zu and %zu",
                        n, d);
  if (eigen_order_error(r, err)) return -1;
  if ((uint64_t)r * r * sizeof *M > SHARED_SQUARE_BYTES)
    return pca_axes(X, n, d, QA_EIGEN_AUTO, QA_REPR_PATH_AUTO, mean_out, axes_out, err) ||
                   qa_repr_data_spectrum(X, n, d, QA_REPR_PATH_AUTO, eig_desc, frob2_out, err)
               ? -1
               : 0;
  if (!(M = qa_alloc_array(r * r, sizeof *M, err, "PCA matrix")) ||
      !(M2 = qa_alloc_array(r * r, sizeof *M2, err, "spectrum matrix")))
    goto done;
  if (centred_square(X, n, d, gram, mean_out, M, err)) goto done;
  memcpy(M2, M, r * r * sizeof *M);
  rc = spectrum_of_square(M2, r, n, d, eig_desc, frob2_out, err) ||
               pca_of_square(X, n, d, gram, QA_EIGEN_AUTO, mean_out, M, axes_out, err)
           ? -1
           : 0;
done:
  free(M);
  free(M2);
  return rc;
}

int qa_repr_pca_axes_method(const double *X, size_t n, size_t d,
                            qa_eigen_method method, double *mean_out,
                            double *axes_out, qa_error *err) {
  return pca_axes(X, n, d, method, QA_REPR_PATH_AUTO, mean_out, axes_out, err);
}

int qa_repr_pca_axes_path(const double *X, size_t n, size_t d, qa_repr_path path,
                          double *mean_out, double *axes_out, qa_error *err) {
  return pca_axes(X, n, d, QA_EIGEN_AUTO, path, mean_out, axes_out, err);
}

int qa_repr_pca_axes(const double *X, size_t n, size_t d, double *mean_out,
                     double *axes_out, qa_error *err) {
  return pca_axes(X, n, d, QA_EIGEN_AUTO, QA_REPR_PATH_AUTO, mean_out, axes_out, err);
}

void qa_repr_project(const double *Y, size_t n, size_t d, const double *mean,
                     const double *axes, double *xy_out) {
  for (size_t i = 0; i < n; i++) {
    double u = 0, v = 0;
    for (size_t j = 0; j < d; j++) {
      double c = Y[i * d + j] - mean[j];
      u += c * axes[j];
      v += c * axes[d + j];
    }
    xy_out[2 * i] = u;
    xy_out[2 * i + 1] = v;
  }
}

/* ---- Per class --------------------------------------------------------- */

void qa_repr_per_class(const double *c, const int32_t *pred,
                       const int32_t *labels, size_t n, int32_t n_classes,
                       qa_repr_class *out) {
  /* One pass: cosine_mean and knn_accuracy hold sums until the end. */
  for (int32_t l = 0; l < n_classes; l++)
    out[l] = (qa_repr_class){l, 0, 0.0, 0.0};
  for (size_t i = 0; i < n; i++) {
    int32_t l = labels[i];
    if (l < 0 || l >= n_classes) continue;
    out[l].n++;
    if (c) out[l].cosine_mean += c[i];
    if (pred) out[l].knn_accuracy += pred[i] == l;
  }
  for (int32_t l = 0; l < n_classes; l++) {
    qa_repr_class *o = &out[l];
    o->cosine_mean = c && o->n ? o->cosine_mean / (double)o->n : NAN;
    o->knn_accuracy = pred && o->n ? o->knn_accuracy / (double)o->n : NAN;
  }
}

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
**
** The rounding bound.  For rows a, b (d values) let tau = sum (a_l - b_l)^2
** in exact arithmetic, S = (|a| + |b|)^2 and u = 2^-53.  The GEMM value
** g = fl(fl(|a|^2 + |b|^2) - 2 fl(a.b)) is a signed sum of the products
** a_l^2, b_l^2, a_l b_l in which every product meets at most d + 2
** roundings (the product, at most d-1 additions inside its dot product,
** whatever order or blocking the BLAS uses, with or without FMA, and two
** outside), so |g - tau| <= gamma_{d+2} (|a|^2 + |b|^2 + 2 sum |a_l b_l|)
** <= gamma_{d+2} S, gamma_n = n u / (1 - n u) (Higham, "Accuracy and
** Stability of Numerical Algorithms", 2nd ed., Lemma 3.1 and section 3.1).
** The exact-order value t = fl(sum fl(fl(a_l - b_l)^2)) meets at most d + 2
** roundings per term too, so |t - tau| <= gamma_{d+2} tau <= gamma_{d+2} S.
** Hence |g - t| <= 2 gamma_{d+2} S.  The code uses
**     E = 4 (d + 4) u S' + (8 d + 16) 2^-1074,   S' = (sqrt(fl|a|^2) + sqrt(fl|b|^2))^2
** which exceeds 2 gamma_{d+2} S plus the rounding of g + E and g - E
** themselves (u |g +- E| <= 1.01 u S) for any d < 2^40 (S' >= (1 - 2 d u) S),
** and the last term covers products that underflow (each loses at most
** 2^-1075 absolute, at most 4d + 8 of them in g or in t).  So
**     fl(g + E) <  r^2  implies  t <  r^2,
**     fl(g - E) >= r^2  implies  t >= r^2,
** and only pairs between the two are recomputed; with d = 768, E = 3.4e-13 S,
** so in practice only exact or near ties are recomputed.  decide_tile's
** first pass evaluates fl(g - E) >= r^2 with the very expression
** pair_inside() uses (ISO C: no contraction, no reassociation), so it
** turns away exactly the pairs the bound proves outside.
**
** This file must never hold an n*n matrix, read a file or print.
*/
#include "analysis/coverage.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define COV_TILE_DEFAULT 1024   /* 8 MB of GEMM values per tile */
#define RADII_SLACK 8           /* candidate slots per row beyond k */

/* malloc of count*size, refusing products that overflow. */
static void *alloc_array(size_t count, size_t size, qa_error *err, const char *what) {
  if (size && count > SIZE_MAX / size) {
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "%s: %zu elements do not fit in memory",
                 what, count);
    return NULL;
  }
  void *p = malloc(count * size > 0 ? count * size : 1);
  if (!p)
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "%s: out of memory (%zu bytes)", what,
                 count * size);
  return p;
}

/* The definition's squared distance: sum (a_l - b_l)^2 in index order.
** (-std=c11 keeps GCC from contracting it into FMAs; the bound above holds
** either way, only the definition's bits would change.) */
static double sqdist_exact(const double *a, const double *b, size_t d) {
  double s = 0;
  for (size_t l = 0; l < d; l++) {
    double e = a[l] - b[l];
    s += e * e;
  }
  return s;
}

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

/* ---- Radii --------------------------------------------------------------- */

/* Per row, the `slots` candidates of lowest lower bound g - E so far,
** ascending (ties: lower index), with their upper bounds g + E; cut[row]
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

/* r_i^2 from row i's candidate list: U = the k-th smallest upper bound in
** the list.  Every row outside the list has a lower bound >= the list's
** last, so when that exceeds U (or the list holds every other row) U is
** the k-th smallest upper bound of all rows, every row that can be among
** the k nearest is in the list with lo <= U, and the k-th smallest exact
** distance among those is r_i^2.  Otherwise (more than `slots` rows tie
** within the bound) every other row is recomputed. */
static double radius2_of_row(const double *X, size_t n, size_t d, size_t k, size_t i,
                             const radii_lists *L, int all, double *buf, size_t *checks) {
  size_t s = L->slots;
  const double *lo = L->lo + i * s, *hi = L->hi + i * s;
  const int32_t *ix = L->idx + i * s;
  for (size_t t = 0; t < k; t++) buf[t] = INFINITY;
  for (size_t t = 0; t < s && ix[t] >= 0; t++) keep_smallest(buf, k, hi[t]);
  double U = buf[k - 1];
  int complete = n - 1 <= s || lo[s - 1] > U;
  for (size_t t = 0; t < k; t++) buf[t] = INFINITY;
  if (complete && !all) {
    for (size_t t = 0; t < s && ix[t] >= 0 && lo[t] <= U; t++) {
      keep_smallest(buf, k, sqdist_exact(X + i * d, X + (size_t)ix[t] * d, d));
      (*checks)++;
    }
  } else {
    for (size_t j = 0; j < n; j++) {
      if (j == i) continue;
      keep_smallest(buf, k, sqdist_exact(X + i * d, X + j * d, d));
      (*checks)++;
    }
  }
  return buf[k - 1];
}

/* Offers tile G (rows i0.., cols j0..) to the rows' lists: along rows, and
** along columns when the tile is off the diagonal (X X' is symmetric). */
static void radii_tile(const radii_lists *L, const double *G, size_t i0, size_t rows,
                       size_t j0, size_t cols, const double *sq, const double *nrm, bound b) {
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

static int radii2(const double *X, size_t n, size_t d, size_t k, size_t tile, int all,
                  const double *sq, const double *nrm, double *r2, size_t *checks,
                  qa_error *err) {
  int rc = -1;
  radii_lists L = {k + RADII_SLACK, NULL, NULL, NULL, NULL};
  double *G = NULL, *buf = NULL;
  bound b = make_bound(d);
  if (!(L.lo = alloc_array(n * L.slots, sizeof *L.lo, err, "coverage radii lists")) ||
      !(L.hi = alloc_array(n * L.slots, sizeof *L.hi, err, "coverage radii lists")) ||
      !(L.idx = alloc_array(n * L.slots, sizeof *L.idx, err, "coverage radii lists")) ||
      !(L.cut = alloc_array(n, sizeof *L.cut, err, "coverage radii lists")) ||
      !(buf = alloc_array(k, sizeof *buf, err, "coverage radii")) ||
      (!all && !(G = alloc_array(tile * tile, sizeof *G, err, "coverage GEMM tile"))))
    goto done;
  for (size_t t = 0; t < n * L.slots; t++) L.idx[t] = -1;
  for (size_t i = 0; i < n; i++) L.cut[i] = INFINITY;
  for (size_t i0 = 0; i0 < n && !all; i0 += tile) {
    size_t rows = n - i0 < tile ? n - i0 : tile;
    for (size_t j0 = i0; j0 < n; j0 += tile) {
      size_t cols = n - j0 < tile ? n - j0 : tile;
      gemm_tile(X + i0 * d, rows, X + j0 * d, cols, d, G);
      radii_tile(&L, G, i0, rows, j0, cols, sq, nrm, b);
    }
  }
  for (size_t i = 0; i < n; i++) r2[i] = radius2_of_row(X, n, d, k, i, &L, all, buf, checks);
  rc = 0;
done:
  free(L.lo); free(L.hi); free(L.idx); free(L.cut); free(G); free(buf);
  return rc;
}

int qa_coverage_radii2(const double *X, size_t n, size_t d, size_t k, size_t tile,
                       double *r2_out, size_t *exact_checks, qa_error *err) {
  int rc = -1;
  size_t checks = 0;
  double *sq = NULL, *nrm = NULL;
  if (check_shapes(n, 1, d, k, err)) return -1;
  if (tile == 0) tile = COV_TILE_DEFAULT;
  if (tile > n) tile = n;
  if (!(sq = alloc_array(n, sizeof *sq, err, "coverage norms")) ||
      !(nrm = alloc_array(n, sizeof *nrm, err, "coverage norms")))
    goto done;
  row_norms(X, n, d, sq, nrm);
  if (radii2(X, n, d, k, tile, 0, sq, nrm, r2_out, &checks, err)) goto done;
  if (exact_checks) *exact_checks = checks;
  rc = 0;
done:
  free(sq); free(nrm);
  return rc;
}

/* ---- Coverage and density ---------------------------------------------- */

uint64_t qa_coverage_bytes(size_t n, size_t m, size_t k) {
  uint64_t slots = (uint64_t)k + RADII_SLACK, big = n > m ? n : m;
  uint64_t tile = big < COV_TILE_DEFAULT ? big : COV_TILE_DEFAULT;
  if (slots > UINT64_MAX / 20 / (n ? n : 1)) return UINT64_MAX;
  /* lists (lo, hi, idx) + cut; norms (4 arrays), radii, flags, counts;
  ** the tile and its row of flags; the k-th-smallest buffer. */
  return 20 * slots * n + 8 * (uint64_t)n + 8 * (3 * (uint64_t)n + 2 * (uint64_t)m) +
         (uint64_t)n + 8 * (uint64_t)m + 8 * tile * tile + tile + 8 * (uint64_t)k;
}

typedef struct decide_ctx {
  const double *X, *Y;
  size_t d;
  const double *sqx, *nx, *sqy, *ny, *r2;
  bound b;
  unsigned char *covered;   /* [n] */
  uint64_t *count;          /* [m] #{i : d(y_j, x_i) < r_i} */
  size_t checks;
} decide_ctx;

/* [t_ij < r_i^2] for one pair, from its GEMM value when the bound decides. */
static inline int pair_inside(decide_ctx *cx, size_t i, size_t j, double gram, int all) {
  double r2 = cx->r2[i];
  if (!(r2 > 0)) return 0;                        /* t >= 0: never < 0 */
  if (!all) {
    double g = cx->sqx[i] + cx->sqy[j] - 2.0 * gram;
    double e = bound_at(cx->b, cx->nx[i], cx->ny[j]);
    if (g + e < r2) return 1;
    if (g - e >= r2) return 0;
  }
  cx->checks++;
  return sqdist_exact(cx->X + i * cx->d, cx->Y + j * cx->d, cx->d) < r2;
}

static void decide_tile(decide_ctx *cx, const double *G, size_t i0, size_t rows, size_t j0,
                        size_t cols, int all, unsigned char *near) {
  for (size_t r = 0; r < rows; r++) {
    size_t i = i0 + r;
    if (!all) {
      /* First a branch-free pass (the compiler vectorises it): near[c] = 0
      ** when the bound already puts the pair outside, g - E >= r^2, the
      ** fate of almost every pair; pair_inside() decides the others. */
      const double *g = G + r * cols, *sqy = cx->sqy + j0, *ny = cx->ny + j0;
      double sqi = cx->sqx[i], ni = cx->nx[i], r2 = cx->r2[i], rel = cx->b.rel, ab = cx->b.abs;
      for (size_t c = 0; c < cols; c++) {
        double s = ni + ny[c];
        near[c] = !(sqi + sqy[c] - 2.0 * g[c] - (rel * s * s + ab) >= r2);
      }
    }
    for (size_t c = 0; c < cols; c++) {
      if (!all && !near[c]) continue;
      int in = pair_inside(cx, i, j0 + c, G ? G[r * cols + c] : 0, all);
      cx->covered[i] |= (unsigned char)in;
      cx->count[j0 + c] += (uint64_t)in;
    }
  }
}

static int density_core(const double *X, size_t n, const double *Y, size_t m, size_t d,
                        size_t k, size_t tile, int exact_every_pair, const double *r2_given,
                        qa_coverage_result *out, qa_error *err) {
  int rc = -1, all = exact_every_pair != 0;
  double *sqx = NULL, *nx = NULL, *sqy = NULL, *ny = NULL, *r2 = NULL, *G = NULL;
  unsigned char *near = NULL;
  decide_ctx cx = {X, Y, d, NULL, NULL, NULL, NULL, NULL, make_bound(d), NULL, NULL, 0};
  out->coverage = out->density = NAN;
  out->exact_checks = 0;
  if (check_shapes(n, m, d, k, err)) return -1;
  if (tile == 0) tile = COV_TILE_DEFAULT;
  if (tile > (n > m ? n : m)) tile = n > m ? n : m;
  if (!(sqx = alloc_array(n, sizeof *sqx, err, "coverage norms")) ||
      !(nx = alloc_array(n, sizeof *nx, err, "coverage norms")) ||
      !(sqy = alloc_array(m, sizeof *sqy, err, "coverage norms")) ||
      !(ny = alloc_array(m, sizeof *ny, err, "coverage norms")) ||
      (!r2_given && !(r2 = alloc_array(n, sizeof *r2, err, "coverage radii"))) ||
      !(cx.covered = alloc_array(n, 1, err, "coverage flags")) ||
      !(cx.count = alloc_array(m, sizeof *cx.count, err, "density counts")) ||
      (!all && !(G = alloc_array(tile * tile, sizeof *G, err, "coverage GEMM tile"))) ||
      !(near = alloc_array(tile, 1, err, "coverage flags")))
    goto done;
  memset(cx.covered, 0, n);
  memset(cx.count, 0, m * sizeof *cx.count);
  row_norms(X, n, d, sqx, nx);
  row_norms(Y, m, d, sqy, ny);
  if (!r2_given && radii2(X, n, d, k, tile < n ? tile : n, all, sqx, nx, r2, &cx.checks, err))
    goto done;
  cx.sqx = sqx; cx.nx = nx; cx.sqy = sqy; cx.ny = ny; cx.r2 = r2_given ? r2_given : r2;
  for (size_t i0 = 0; i0 < n; i0 += tile) {
    size_t rows = n - i0 < tile ? n - i0 : tile;
    for (size_t j0 = 0; j0 < m; j0 += tile) {
      size_t cols = m - j0 < tile ? m - j0 : tile;
      if (!all) gemm_tile(X + i0 * d, rows, Y + j0 * d, cols, d, G);
      decide_tile(&cx, G, i0, rows, j0, cols, all, near);
    }
  }
  /* Naeem et al. 2020 eqs. (3), (4); prdc's compute_coverage / compute_density. */
  size_t covered = 0;
  uint64_t inside = 0;
  for (size_t i = 0; i < n; i++) covered += cx.covered[i];
  for (size_t j = 0; j < m; j++) inside += cx.count[j];
  out->coverage = (double)covered / (double)n;
  out->density = (double)inside / ((double)k * (double)m);
  out->exact_checks = cx.checks;
  rc = 0;
done:
  free(sqx); free(nx); free(sqy); free(ny); free(r2); free(G);
  free(cx.covered); free(cx.count); free(near);
  return rc;
}

int qa_coverage_density_tiled(const double *X, size_t n, const double *Y, size_t m,
                              size_t d, size_t k, size_t tile, int exact_every_pair,
                              qa_coverage_result *out, qa_error *err) {
  return density_core(X, n, Y, m, d, k, tile, exact_every_pair, NULL, out, err);
}

int qa_coverage_density(const double *X, size_t n, const double *Y, size_t m, size_t d,
                        size_t k, qa_coverage_result *out, qa_error *err) {
  return density_core(X, n, Y, m, d, k, 0, 0, NULL, out, err);
}

int qa_coverage_density_r2(const double *X, size_t n, const double *r2, const double *Y,
                           size_t m, size_t d, size_t k, qa_coverage_result *out,
                           qa_error *err) {
  return density_core(X, n, Y, m, d, k, 0, 0, r2, out, err);
}

/* ---- Neighbour overlap at every k -------------------------------------- */

int qa_overlap_at(const int32_t *nbrA, const int32_t *nbrB, size_t n, size_t k_max,
                  double *overlap_out, qa_error *err) {
  for (size_t k = 0; k < k_max; k++) overlap_out[k] = NAN;
  if (n == 0 || k_max == 0) return 0;
  int32_t *rank_b = alloc_array(n, sizeof *rank_b, err, "overlap ranks");
  uint64_t *first_k = alloc_array(k_max, sizeof *first_k, err, "overlap counts");
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
  cos_row *v = alloc_array(n, sizeof *v, err, "worst samples");
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

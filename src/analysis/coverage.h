/*
** Neighbourhood retrieval between a baseline's and a variant's hidden
** states (STATISTICS.md "Strata, calibration, retrieval, coverage"):
** coverage and density (Naeem et al. 2020, "Reliable Fidelity and
** Diversity Metrics for Generative Models", as their reference code prdc
** computes them), the neighbour overlap at every k up to K_max
** (representation.overlap_at) and the samples of lowest cosine
** (representation.worst_samples).
**
** Coverage and density.  Baseline rows x_i are the real set (n of them),
** variant rows y_j the generated set (m; aligned states give m = n), k =
** knn_k, Euclidean distances; r_i = distance from x_i to its k-th nearest
** other baseline row (prdc: the (k+1)-th smallest distance of x_i to all
** baseline rows, itself included);
**     coverage = (1/n) #{i : min_j |x_i - y_j| < r_i}
**     density  = (1/(k m)) sum_j #{i : |y_j - x_i| < r_i}.
** Every comparison is decided exactly, for one definition of the distance:
** the squared distance is the double  sum_l (a_l - b_l)^2  summed in index
** order l = 0, 1, ..., d-1 (so sqrt never rounds two distances together,
** and the strict '<' is the one the definition says).  The distances are
** computed in GEMM tiles (|x|^2 + |y|^2 - 2 x.y): by default cblas_sgemm on
** float32 images of the centred rows, or cblas_dgemm on the doubles; only a
** pair whose GEMM value lies within a proven rounding bound of the radius
** is recomputed in that exact order (coverage.c states both bounds), so
** every path gives the same numbers, bit for bit.  Memory is O(tile^2 +
** n k) beyond the inputs plus a float32 copy of one side (never an n x n
** matrix); time one GEMM of n x m x d plus half of one of n x n x d.
**
** Pure computation: no file, no printing.  Functions that can fail return
** int (0 on success) and fill a qa_error; NaN is a number that does not
** exist (written as null).  Inputs are finite (input/ checks), row-major
** doubles; neighbour lists are those of repr.h's qa_knn_compute.
*/
#ifndef QA_ANALYSIS_COVERAGE_H
#define QA_ANALYSIS_COVERAGE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* ---- Coverage and density ---------------------------------------------- */

/* How the distance tiles are computed.  The results do not depend on it. */
typedef enum qa_coverage_method {
  QA_COVERAGE_FLOAT32 = 0,   /* sgemm on float32 images, proven bound (default) */
  QA_COVERAGE_DOUBLE,        /* dgemm on the doubles, proven bound */
  QA_COVERAGE_EXACT          /* every pair in exact order: the brute force (tests) */
} qa_coverage_method;

typedef struct qa_coverage_result {
  double coverage;           /* in [0, 1] */
  double density;            /* >= 0; 1 on average for matching distributions */
  size_t exact_checks;       /* distances recomputed in exact order (diagnostic) */
  qa_coverage_method method; /* the path taken: FLOAT32 falls back to DOUBLE for a
                             ** variant outside its range (coverage.c) */
} qa_coverage_result;

/* The baseline's side, computed once per model and read by every variant:
** the squared radii r_i^2 (exact, above) and, on the float32 path, the
** frame (column means, power-of-two scale) and per-row norm terms.  It
** keeps a pointer to X, which must outlive it; it holds no copy of X. */
typedef struct qa_coverage_ref qa_coverage_ref;

/* Builds the reference of X (n x d) with k neighbours.  Requires 1 <= k <=
** n - 1 (else a QA_EXIT_DATA error naming knn_k).  tile: the GEMM tile
** edge in rows (0: the default, 1024).  FLOAT32 falls back to DOUBLE when
** X is outside its range (d > 65536, or the largest |x - column mean| at
** or beyond 2^400 or below 2^-401).  Uses the BLAS threads set by
** qa_repr_set_threads. */
int qa_coverage_ref_new(const double *X, size_t n, size_t d, size_t k, size_t tile,
                        qa_coverage_method method, qa_coverage_ref **out, qa_error *err);
void qa_coverage_ref_free(qa_coverage_ref *ref);   /* safe on NULL */
/* r_i^2 for i < n, owned by ref. */
const double *qa_coverage_ref_radii2(const qa_coverage_ref *ref);
/* The path the radii took, and the distances they recomputed exactly. */
qa_coverage_method qa_coverage_ref_method(const qa_coverage_ref *ref);
size_t qa_coverage_ref_checks(const qa_coverage_ref *ref);

/* Coverage and density of Y (m x ref's d, in X's units) against ref's X.
** m >= 1 (else a QA_EXIT_DATA error).  On the float32 path a variant with
** some |y - X's column mean| at or beyond 2^(40+s) (2^s: the power of two
** just above X's largest) takes the double path (out->method says which).  Uses the BLAS threads set by
** qa_repr_set_threads. */
int qa_coverage_density_ref(const qa_coverage_ref *ref, const double *Y, size_t m,
                            qa_coverage_result *out, qa_error *err);

/* Peak bytes the reference and one qa_coverage_density_ref allocate
** beyond their inputs on either path (radii candidate lists, 20 bytes a
** slot and k + 8 slots a row; the float32 copy of X during the radii and
** of Y during a variant; one tile; per-row terms and flags); UINT64_MAX
** on overflow.  For a caller's budget check before the call. */
uint64_t qa_coverage_bytes(size_t n, size_t m, size_t d, size_t k);

/* One call: reference, density, free.  Float32 path, default tile. */
int qa_coverage_density(const double *X, size_t n, const double *Y, size_t m, size_t d,
                        size_t k, qa_coverage_result *out, qa_error *err);
/* The same with an explicit tile edge (0: the default) and method; the
** results depend on neither (for tests). */
int qa_coverage_density_tiled(const double *X, size_t n, const double *Y, size_t m,
                              size_t d, size_t k, size_t tile, qa_coverage_method method,
                              qa_coverage_result *out, qa_error *err);

/* r2_out[i] = r_i^2 (the reference's radii, copied); *exact_checks (may
** be NULL) counts the distances recomputed.  As qa_coverage_ref_new. */
int qa_coverage_radii2(const double *X, size_t n, size_t d, size_t k, size_t tile,
                       qa_coverage_method method, double *r2_out, size_t *exact_checks,
                       qa_error *err);

/* The float32 path's bound (coverage.c, "The float32 path"), for tests:
** for rows with norm bounds nu_a, nu_b and V = nu_a + nu_b,
**     |(F_a + F_b - 2 c) - t 2^-2s| <= alpha nu_a nu_b + beta2 V^2 + beta1 V + beta0
** (t the exact-order squared distance, s the frame's scale exponent), and
** the sgemm's own error |c - f_a.f_b| <= dot_rel |f_a||f_b| + dot_abs. */
typedef struct qa_coverage_f32_bound {
  double alpha, beta2, beta1, beta0;
  double dot_rel, dot_abs;
} qa_coverage_f32_bound;
qa_coverage_f32_bound qa_coverage_f32_bound_of(size_t d, int scale_exp);

/* ---- Neighbour overlap at every k -------------------------------------- */

/* representation.overlap_at: with K_max = the largest k of overlap_ks
** below N and the lists of qa_knn_compute(k = K_max) of the baseline and
** the variant, report overlap_out[k-1] for each k of overlap_ks below N.
**
** nbrA, nbrB: for each of n samples, K_max neighbours (indices < n), best
** first with ties to the lower index (qa_knn_compute with k = K_max), so
** that the first k of a list are the k-neighbour list.  overlap_out[k-1] =
** mean_i |A_k(i) n B_k(i)| / k for k = 1 .. K_max (A_k(i): the first k of
** nbrA's list of i); NaN when n == 0.  O(n K_max) time, n ints of memory. */
int qa_overlap_at(const int32_t *nbrA, const int32_t *nbrB, size_t n, size_t k_max,
                  double *overlap_out, qa_error *err);

/* ---- Worst samples ----------------------------------------------------- */

/* What qa_worst_samples reads; any pointer but cosine may be NULL. */
typedef struct qa_worst_input {
  const double *cosine;          /* [n] c_i of baseline and variant (repr.h) */
  size_t n;
  const int32_t *nbr_base;       /* [n * k] the baseline's kNN lists */
  const int32_t *nbr_variant;    /* [n * k] the variant's */
  size_t k;                      /* knn_k */
  const int32_t *labels;         /* [n] */
  const int32_t *pred_base;      /* [n] kNN predictions, baseline */
  const int32_t *pred_variant;   /* [n] kNN predictions, variant */
} qa_worst_input;

typedef struct qa_worst_sample {
  size_t index;                  /* row in the baseline's order (the caller maps it to id) */
  double cosine;
  int32_t label;                 /* -1 without labels */
  long neighbors_kept;           /* |kNN_B(i) n kNN_V(i)|, 0..k; -1 without lists */
  int knn_correct_base;          /* 1/0; -1 without labels or predictions */
  int knn_correct_variant;
} qa_worst_sample;

/* out[0 .. *n_out) = the min(count, n) samples of lowest cosine, lowest
** first, equal cosines by lower index (representation.worst_samples).
** out holds count entries.  O(n log n). */
int qa_worst_samples(const qa_worst_input *in, size_t count, qa_worst_sample *out,
                     size_t *n_out, qa_error *err);

#endif

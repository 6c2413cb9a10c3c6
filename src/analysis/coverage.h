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
** computed in GEMM tiles (|x|^2 + |y|^2 - 2 x.y), and only a pair whose
** GEMM value lies within a proven rounding bound of the radius is
** recomputed in that exact order (coverage.c states the bound).  Memory is
** O(tile^2 + n k) beyond the inputs, never an n x n matrix; time one GEMM
** of n x m x d plus half of one of n x n x d.
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

typedef struct qa_coverage_result {
  double coverage;        /* in [0, 1] */
  double density;         /* >= 0; 1 on average for matching distributions */
  size_t exact_checks;    /* distances recomputed in exact order (diagnostic) */
} qa_coverage_result;

/* Peak bytes qa_coverage_density allocates beyond its inputs: the radii's
** candidate lists (20 bytes a slot, k + 8 slots a row), one GEMM tile and
** per-row norms and flags; UINT64_MAX on overflow.  For a caller's budget
** check before the call. */
uint64_t qa_coverage_bytes(size_t n, size_t m, size_t k);

/* Coverage and density of Y (m x d) against X (n x d) with k neighbours.
** Requires 1 <= k <= n - 1 and m >= 1 (else a QA_EXIT_DATA error naming
** knn_k).  Uses the BLAS threads set by qa_repr_set_threads. */
int qa_coverage_density(const double *X, size_t n, const double *Y, size_t m, size_t d,
                        size_t k, qa_coverage_result *out, qa_error *err);
/* The same with an explicit tile edge in rows (0: the default, 1024) and,
** when exact_every_pair is 1, every comparison recomputed in exact order
** (the brute-force definition; for tests).  Results do not depend on
** either. */
int qa_coverage_density_tiled(const double *X, size_t n, const double *Y, size_t m,
                              size_t d, size_t k, size_t tile, int exact_every_pair,
                              qa_coverage_result *out, qa_error *err);

/* The same with the baseline's squared radii r2[0..n) already computed by
** qa_coverage_radii2 (one per model, reused for every variant). */
int qa_coverage_density_r2(const double *X, size_t n, const double *r2, const double *Y,
                           size_t m, size_t d, size_t k, qa_coverage_result *out,
                           qa_error *err);

/* r2_out[i] = r_i^2, the squared distance (exact order, above) from x_i to
** its k-th nearest other row of X.  *exact_checks (may be NULL) counts the
** distances recomputed.  tile as above; 1 <= k <= n - 1. */
int qa_coverage_radii2(const double *X, size_t n, size_t d, size_t k, size_t tile,
                       double *r2_out, size_t *exact_checks, qa_error *err);

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

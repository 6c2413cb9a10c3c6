/*
** Representation metrics: how far a variant's hidden states moved from the
** baseline's.  Definitions: STATISTICS.md "Representation", to the letter.
**
** Inputs are row-major double arrays, X the baseline and Y the variant,
** n samples by d dimensions, already aligned by sample id; labels are
** int32.  This module is pure computation: it never reads a file, never
** prints, and never holds an n-by-n matrix (the Gram matrix is computed in
** tiles through CBLAS level 3; every O(n^2 d) or O(n d^2) step is a BLAS
** level-3 call).  Memory stays O(n k + tile n + min(n,d)^2) beyond the
** inputs: when D > N the spectrum, the PCA axes and CKA work on the N*N
** Gram matrix Xc Xc' instead of the D*D covariance (the nonzero
** eigenvalues of X'X and XX' are the same).
**
** Functions that allocate return int (0 on success) and fill a qa_error;
** those that cannot fail return their value directly.  A value that does
** not exist (SQNR with zero error, a correlation with no spread, an empty
** class) is NaN, which the results tree writes as null.
*/
#ifndef QA_ANALYSIS_REPR_H
#define QA_ANALYSIS_REPR_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* n when positive, else the cores online (at least 1). */
int qa_repr_resolve_threads(int n);

/* The largest |a_j| of count finite doubles (0 when count is 0), four
** lanes at a time (fmax() is a library call per element). */
double qa_repr_abs_max(const double *a, size_t count);

/* Sets the number of threads used by OpenBLAS (and by the kNN selection);
** n <= 0 means one per online processor. */
void qa_repr_set_threads(int n);

/* ---- Cosine and SQNR --------------------------------------------------- */

/* c_out[i] = x_i.y_i / (|x_i| |y_i|), 1 when both are zero, 0 when one is;
** clamped to [-1, 1] against rounding. */
void qa_repr_cosine(const double *X, const double *Y, size_t n, size_t d,
                    double *c_out);

typedef struct qa_repr_cosine_stats {
  double mean, median, p05, min;   /* NaN when n == 0 */
} qa_repr_cosine_stats;

/* Mean, median, 5th percentile (R type 7) and minimum of c[0..n). */
int qa_repr_cosine_summary(const double *c, size_t n, qa_repr_cosine_stats *out,
                           qa_error *err);

/* Quantile q in [0,1] of an ascending array, R type 7 (NumPy's default):
** linear interpolation at h = (n-1) q.  NaN when n == 0. */
double qa_repr_quantile_sorted(const double *sorted, size_t n, double q);

/* 10 log10(sum |x_i|^2 / sum |x_i - y_i|^2); NaN when the error energy is 0,
** and when the signal energy is 0 (-inf dB, which no JSON number holds). */
double qa_repr_sqnr_db(const double *X, const double *Y, size_t n, size_t d);

/* ---- k nearest neighbours (leave-one-out, cosine similarity) ----------- */

/* nbr_out[i*k .. i*k+k) = the k samples j != i of highest cosine similarity
** to sample i, best first; equal similarity ranks the lower index first.
** The similarity is qa_knn_similarity's (one fixed double-precision
** computation, symmetric bit for bit); cosine with a zero row is 0, between
** two zero rows 1.  Requires 1 <= k <= n-1 and finite states.  nthreads as
** in qa_repr_set_threads.  Float32 Gram candidates, exact re-ranking
** (src/analysis/knn.c); QAUDIT_KNN=exhaustive ranks every pair instead. */
int qa_knn_compute(const double *X, size_t n, size_t d, size_t k, int nthreads,
                   int32_t *nbr_out, qa_error *err);
/* The same with an explicit Gram tile edge in rows (0: default 2048);
** results do not depend on it.  For tests and tuning. */
int qa_knn_compute_tiled(const double *X, size_t n, size_t d, size_t k,
                         int nthreads, size_t tile, int32_t *nbr_out,
                         qa_error *err);

typedef enum qa_knn_method {
  QA_KNN_FAST,        /* float32 sgemm candidates, exact re-ranking */
  QA_KNN_EXHAUSTIVE   /* every pair ranked by qa_knn_similarity (the plain path) */
} qa_knn_method;

typedef struct qa_knn_info {
  double eps;                 /* the proven bound |float32 Gram − similarity| */
  size_t candidates;          /* pairs kept for the final ranking (fast path) */
  size_t dots;                /* of those, similarities computed: near-tied clusters */
  size_t exhaustive_rows;     /* rows ranked against every other row */
} qa_knn_info;

/* Either method; identical neighbours by construction (see knn.c). */
int qa_knn_compute_method(const double *X, size_t n, size_t d, size_t k, int nthreads,
                          size_t tile, qa_knn_method method, int32_t *nbr_out,
                          qa_knn_info *info, qa_error *err);

/* For tests: the instruction set of the fast path's tile scans, 0 scalar,
** 1 AVX2, 2 AVX-512 (capped at what the CPU has), -1 the best there is;
** returns the one now in use.  Every choice gives the same lists. */
int qa_knn_set_scan(int isa);

/* s(i, j) of rows i and j of X (n*d): dot(x_i 2^-e_i, x_j 2^-e_j) times
** the product of the scaled rows' inverse norms, fixed summation order. */
double qa_knn_similarity(const double *X, size_t d, size_t i, size_t j);

/* The bound ε on |fl32(f_i·f_j) − s(i, j)| for dimension d (knn.c). */
double qa_knn_eps(size_t d);

/* pred_out[i] = majority label among sample i's k neighbours; a tie in
** votes goes to the tied class whose best-ranked neighbour ranks first. */
void qa_knn_predict(const int32_t *nbr, size_t n, size_t k,
                    const int32_t *labels, int32_t *pred_out);

/* Fraction of i with pred[i] == labels[i]; NaN when n == 0. */
double qa_knn_accuracy(const int32_t *pred, const int32_t *labels, size_t n);

/* mean_i |nbrA(i) ∩ nbrB(i)| / k; NaN when n == 0. */
double qa_neighbor_overlap(const int32_t *nbrA, const int32_t *nbrB, size_t n,
                           size_t k);
/* Per sample: overlap_out[i] = |nbrA(i) ∩ nbrB(i)| / k. */
void qa_neighbor_overlap_each(const int32_t *nbrA, const int32_t *nbrB,
                              size_t n, size_t k, double *overlap_out);

/* ---- Spearman correlation of pairwise cosine distances ----------------- */

/* The subsampling stride s: the smallest s >= 1 such that the samples with
** index i = 0 (mod s), m = ceil(n/s) of them, give m(m-1)/2 <= pairs_max.
** *pairs_out (if not NULL) receives m(m-1)/2. */
size_t qa_repr_spearman_stride(size_t n, size_t pairs_max, size_t *pairs_out);

/* Spearman rho between X's and Y's cosine distances 1 - cos over the pairs
** i<j of the subsample above, average ranks for ties.  *rho_out is NaN when
** fewer than 2 pairs or either side has no spread.  pairs_used may be NULL. */
int qa_repr_spearman(const double *X, const double *Y, size_t n, size_t d,
                     size_t pairs_max, double *rho_out, size_t *pairs_used,
                     qa_error *err);

/* The same against one reference X for many Y: the reference's ranks are
** computed once (4 bytes per pair are kept). */
typedef struct qa_spearman_ref qa_spearman_ref;
int qa_repr_spearman_ref_new(const double *X, size_t n, size_t d, size_t pairs_max,
                             qa_spearman_ref **out, qa_error *err);
int qa_repr_spearman_vs(const qa_spearman_ref *ref, const double *Y, double *rho_out,
                        size_t *pairs_used, qa_error *err);
void qa_repr_spearman_ref_free(qa_spearman_ref *ref);
/* 1 when rho against this reference can exist: at least 2 pairs and the
** reference's distances have spread (so rho of X with itself is 1). */
int qa_repr_spearman_ref_has_spread(const qa_spearman_ref *ref);

/* ---- CKA, covariance, spectrum, PCA ------------------------------------ */

/* Which matrix an eigenproblem or CKA is computed from.  AUTO takes the
** smaller: the D*D covariance when D <= N, the N*N Gram matrix when D > N.
** Both give the same numbers to rounding; the others are for tests. */
typedef enum qa_repr_path {
  QA_REPR_PATH_AUTO = 0,
  QA_REPR_PATH_COVARIANCE,   /* Xc'Xc, d*d */
  QA_REPR_PATH_GRAM          /* Xc Xc', n*n */
} qa_repr_path;

/* The largest order of an eigenproblem: LAPACK indexes an r*r matrix with
** 32-bit ints (46340^2 < 2^31). */
#define QA_REPR_EIGEN_MAX 46340

/* Peak bytes the spectrum, PCA and CKA of [n, d] hidden states allocate
** (matrices of order min(n, d) and their centred blocks); UINT64_MAX when
** min(n, d) exceeds QA_REPR_EIGEN_MAX. */
uint64_t qa_repr_eigen_bytes(size_t n, size_t d);
/* 0 when those fit: min(n, d) <= QA_REPR_EIGEN_MAX and the bytes above
** <= budget_bytes; else a QA_EXIT_DATA error (no file named; the caller
** adds it) ending "more than the X GB <budget_what>". */
int qa_repr_eigen_check(size_t n, size_t d, uint64_t budget_bytes, const char *budget_what,
                        qa_error *err);

/* Linear CKA (Kornblith et al. 2019) on column-centred X, Y:
** |Yc'Xc|_F^2 / (|Xc'Xc|_F |Yc'Yc|_F); NaN when either side is constant. */
int qa_repr_cka_linear(const double *X, const double *Y, size_t n, size_t d,
                       double *cka_out, qa_error *err);
/* The same on a chosen path: the Gram form is <Kx, Ky>_F / (|Kx|_F |Ky|_F)
** with Kx = Xc Xc', Ky = Yc Yc' (tr(Xc'Yc Yc'Xc) = tr(Kx Ky)). */
int qa_repr_cka_linear_path(const double *X, const double *Y, size_t n, size_t d,
                            qa_repr_path path, double *cka_out, qa_error *err);

/* The same when |Xc'Xc|_F^2 and |Yc'Yc|_F^2 are known already (from the
** covariances, qa_repr_gram_frob2, or qa_repr_data_spectrum): only the
** cross term is computed (Yc'Xc, or the two Gram matrices when d > n). */
int qa_repr_cka_linear_known(const double *X, const double *Y, size_t n, size_t d,
                             double xx_frob2, double yy_frob2, double *cka_out,
                             qa_error *err);
/* |Xc'Xc|_F^2 from the full d*d covariance of n samples: (n-1)^2 |cov|_F^2. */
double qa_repr_gram_frob2(const double *cov, size_t n, size_t d);

/* qa_repr_cka_linear_known with Y's norm computed here, in the same pass
** over the centred rows as the cross product (one centring of Y instead of
** two): the same bits as qa_repr_covariance + qa_repr_gram_frob2 +
** qa_repr_cka_linear_known (tests/test_repr.c).  *yy_frob2_out (may be
** NULL) receives |Yc'Yc|_F^2.  Where D > N or N < 2, qa_repr_cka_linear. */
int qa_repr_cka_linear_known_x(const double *X, const double *Y, size_t n, size_t d,
                               double xx_frob2, double *yy_frob2_out, double *cka_out,
                               qa_error *err);

/* Sample covariance (divisor n-1; requires n >= 2) into cov_out (d*d, full
** symmetric, row-major) and the column means into mean_out (d; may be
** NULL). */
int qa_repr_covariance(const double *X, size_t n, size_t d, double *cov_out,
                       double *mean_out, qa_error *err);

typedef enum qa_eigen_method {
  QA_EIGEN_AUTO = 0,     /* the faster one: LAPACK (see bench/eigen_bench.c) */
  QA_EIGEN_LAPACK,       /* OpenBLAS's LAPACK: dsyevd, dsyevr */
  QA_EIGEN_GSL           /* gsl_eigen_symm, gsl_eigen_symmv */
} qa_eigen_method;

/* Eigenvalues of the symmetric d*d matrix cov (left unchanged), descending. */
int qa_repr_spectrum(const double *cov, size_t d, double *eig_desc,
                     qa_error *err);
int qa_repr_spectrum_method(const double *cov, size_t d, qa_eigen_method method,
                            double *eig_desc, qa_error *err);

/* The spectrum of X's sample covariance (divisor n-1; n >= 2) straight
** from the data: eig_desc (d values, descending) gets the eigenvalues, the
** d - min(n, d) beyond the Gram matrix's order as exact zeros, and
** *frob2_out (may be NULL) |Xc'Xc|_F^2 for CKA.  AUTO costs min(n,d)^2
** memory. */
int qa_repr_data_spectrum(const double *X, size_t n, size_t d, qa_repr_path path,
                          double *eig_desc, double *frob2_out, qa_error *err);

/* exp(-sum p_j ln p_j), p_j = l_j / sum l over l_j > 1e-12 l_max (Roy &
** Vetterli 2007); NaN when l_max <= 0. */
double qa_repr_effective_rank(const double *eig, size_t d);
/* (sum l)^2 / sum l^2; NaN when all are 0. */
double qa_repr_participation_ratio(const double *eig, size_t d);

/* The baseline's mean (d) and its two leading covariance eigenvectors
** (axes_out rows 0 and 1, 2*d), each signed so that its largest-magnitude
** component (the lowest index among equals) is positive.  n >= 2, d >= 2.
** An axis whose eigenvalue is not above 1e-12 of the largest (or when the
** largest is 0) has no direction and is returned as zeros.  When d > n
** the axes are Xc'u / |Xc'u| for the Gram matrix's eigenvectors u. */
int qa_repr_pca_axes(const double *X, size_t n, size_t d, double *mean_out,
                     double *axes_out, qa_error *err);
int qa_repr_pca_axes_method(const double *X, size_t n, size_t d,
                            qa_eigen_method method, double *mean_out,
                            double *axes_out, qa_error *err);
int qa_repr_pca_axes_path(const double *X, size_t n, size_t d, qa_repr_path path,
                          double *mean_out, double *axes_out, qa_error *err);

/* qa_repr_pca_axes and qa_repr_data_spectrum (AUTO path) of the same X
** from one centred square: the same bits as the two calls, one product
** fewer.  n >= 2, d >= 2. */
int qa_repr_pca_axes_spectrum(const double *X, size_t n, size_t d, double *mean_out,
                              double *axes_out, double *eig_desc, double *frob2_out,
                              qa_error *err);

/* xy_out[2i + a] = (y_i - mean) . axes[a], a = 0, 1. */
void qa_repr_project(const double *Y, size_t n, size_t d, const double *mean,
                     const double *axes, double *xy_out);

/* ---- Per class --------------------------------------------------------- */

typedef struct qa_repr_class {
  int32_t label;
  size_t n;               /* samples with this label */
  double cosine_mean;     /* NaN when n == 0 */
  double knn_accuracy;    /* NaN when n == 0 */
} qa_repr_class;

/* For label = 0 .. n_classes-1 (labels outside are ignored): the cosine
** mean and the kNN accuracy over the samples of that label; neighbours were
** searched among all samples.  c or pred may be NULL (field left NaN). */
void qa_repr_per_class(const double *c, const int32_t *pred,
                       const int32_t *labels, size_t n, int32_t n_classes,
                       qa_repr_class *out);

#endif

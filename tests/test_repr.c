/*
** Tests of src/analysis/repr.c against closed forms, hand-checked tiny
** cases, a brute-force kNN, and values computed offline with NumPy 1.24.2,
** SciPy 1.10.1 and scikit-learn 1.2.1 (/usr/bin/python3) on the fixture
** below.
*/
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

#include "analysis/repr.h"

/* ---- Fixtures ---------------------------------------------------------- */

/* The offline fixture, N = 40, D = 6:
**   x[i][j] = sin(1.3 i + 0.7 j) + 0.1 j,  y = x + 0.05 cos(2.1 i j),
**   label i = floor((1.3 i mod 2 pi) / (2 pi / 3)).
** The Python that produced every FIX_* value (run with /usr/bin/python3):
**   import numpy as np
**   from scipy.spatial.distance import pdist
**   from scipy.stats import spearmanr
**   from sklearn.neighbors import NearestNeighbors
**   N, D, K = 40, 6, 3
**   i = np.arange(N)[:, None]; j = np.arange(D)[None, :]
**   x = np.sin(1.3*i + 0.7*j) + 0.1*j
**   y = x + 0.05*np.cos(2.1*i*j)
**   ang = np.mod(1.3*np.arange(N), 2*np.pi)
**   lab = np.floor(ang/(2*np.pi/3)).astype(int)
**   c = (x*y).sum(1)/np.linalg.norm(x,axis=1)/np.linalg.norm(y,axis=1)
**   c.mean(), np.median(c), np.percentile(c,5), c.min()
**   10*np.log10((x**2).sum()/((x-y)**2).sum())
**   spearmanr(pdist(x,'cosine'), pdist(y,'cosine')).correlation
**   sub = np.arange(0,N,2)       # pairs_max = 300 -> s = 2, 190 pairs
**   spearmanr(pdist(x[sub],'cosine'), pdist(y[sub],'cosine')).correlation
**   def cka(a,b):
**       a=a-a.mean(0); b=b-b.mean(0)
**       return np.linalg.norm(b.T@a)**2/(np.linalg.norm(a.T@a)*np.linalg.norm(b.T@b))
**   lam = np.sort(np.linalg.eigvalsh(np.cov(m.T)))[::-1]       # m = x or y
**   keep = lam[lam > 1e-12*lam[0]]; p = keep/keep.sum()
**   np.exp(-(p*np.log(p)).sum()), lam.sum()**2/(lam**2).sum()
**   nn = NearestNeighbors(n_neighbors=K+1, metric='cosine',
**                         algorithm='brute').fit(m); _, ind = nn.kneighbors(m)
**   # ind without the sample itself; checked against a stable argsort of
**   # the similarity matrix; the k-th/(k+1)-th margin is >= 8e-5 (no ties)
**   # vote: first label in rank order whose count is the maximum
**   mean = x.mean(0); w, v = np.linalg.eigh(np.cov(x.T)); v = v[:, ::-1][:, :2]
**   # sign: v[:,a] *= sign of its largest-|.| entry; (y[:3]-mean) @ v
**   # sklearn PCA(2).fit(x).transform(y[:3]) agrees up to sign.
*/
enum { FIX_N = 40, FIX_D = 6, FIX_K = 3 };

static void fixture(double *x, double *y, int32_t *labels) {
  for (int i = 0; i < FIX_N; i++) {
    for (int j = 0; j < FIX_D; j++) {
      x[i * FIX_D + j] = sin(1.3 * i + 0.7 * j) + 0.1 * j;
      y[i * FIX_D + j] = x[i * FIX_D + j] + 0.05 * cos(2.1 * i * j);
    }
    if (labels) labels[i] = (int32_t)floor(fmod(1.3 * i, 2 * M_PI) / (2 * M_PI / 3));
  }
}

/* Deterministic uniform numbers in [-1, 1) (xorshift64*). */
static double uniform(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (double)((*state * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0 * 2 - 1;
}

static double *random_matrix(size_t n, size_t d, uint64_t seed) {
  double *m = malloc(n * d * sizeof *m);
  for (size_t i = 0; i < n * d; i++) m[i] = uniform(&seed);
  return m;
}

/* Y = X Q, Q the product of d Householder reflections I - 2 v v'/v'v with
** random v: orthogonal, and a rotation (det +1) when d is even. */
static double *rotate(const double *X, size_t n, size_t d, uint64_t seed) {
  double *Y = malloc(n * d * sizeof *Y), *v = malloc(d * sizeof *v);
  memcpy(Y, X, n * d * sizeof *Y);
  for (size_t r = 0; r < d; r++) {
    double vv = 0;
    for (size_t j = 0; j < d; j++) { v[j] = uniform(&seed); vv += v[j] * v[j]; }
    for (size_t i = 0; i < n; i++) {
      double *y = Y + i * d, yv = 0;
      for (size_t j = 0; j < d; j++) yv += y[j] * v[j];
      for (size_t j = 0; j < d; j++) y[j] -= 2 * yv / vv * v[j];
    }
  }
  free(v);
  return Y;
}

static double spearman(const double *X, const double *Y, size_t n, size_t d,
                       size_t pairs_max, size_t *pairs) {
  qa_error err = {0};
  double rho = -2;
  CHECK_INT(qa_repr_spearman(X, Y, n, d, pairs_max, &rho, pairs, &err), 0);
  return rho;
}

static double cka(const double *X, const double *Y, size_t n, size_t d) {
  qa_error err = {0};
  double v = -2;
  CHECK_INT(qa_repr_cka_linear(X, Y, n, d, &v, &err), 0);
  return v;
}

/* ---- Closed forms ------------------------------------------------------ */

QA_TEST(repr_identical_states) {
  double x[FIX_N * FIX_D], y[FIX_N * FIX_D], c[FIX_N];
  int32_t nx[FIX_N * FIX_K], ny[FIX_N * FIX_K];
  qa_error err = {0};
  fixture(x, y, NULL);
  /* Closed form: identical states give c_i = 1, zero error (SQNR null),
  ** CKA 1, identical neighbours (overlap 1), identical distances (rho 1). */
  qa_repr_cosine(x, x, FIX_N, FIX_D, c);
  for (int i = 0; i < FIX_N; i++) CHECK_NEAR(c[i], 1.0, 1e-15);
  CHECK(isnan(qa_repr_sqnr_db(x, x, FIX_N, FIX_D)));
  CHECK_NEAR(cka(x, x, FIX_N, FIX_D), 1.0, 1e-12);
  CHECK_INT(qa_knn_compute(x, FIX_N, FIX_D, FIX_K, 1, nx, &err), 0);
  memcpy(ny, nx, sizeof nx);
  CHECK_NEAR(qa_neighbor_overlap(nx, ny, FIX_N, FIX_K), 1.0, 0);
  size_t pairs = 0;
  CHECK_NEAR(spearman(x, x, FIX_N, FIX_D, 5000000, &pairs), 1.0, 1e-15);
  CHECK_INT(pairs, 780);                           /* 40*39/2 */
}

QA_TEST(repr_rotation_invariance) {
  enum { N = 120, D = 8, K = 5 };
  double *X = random_matrix(N, D, 42), *XQ = rotate(X, N, D, 7);
  double *Y = random_matrix(N, D, 43), *YQ = rotate(Y, N, D, 9);
  int32_t *a = malloc(N * K * sizeof *a), *b = malloc(N * K * sizeof *b);
  qa_error err = {0};
  for (size_t i = 0; i < N * D; i++) Y[i] = X[i] + 0.3 * Y[i];
  free(YQ);
  YQ = rotate(Y, N, D, 9);
  /* Rotations preserve every inner product: CKA, the distances (rho 1) and
  ** the neighbour lists are unchanged; CKA(XQ, YQ') = CKA(X, Y) for
  ** independent rotations (Kornblith et al. 2019, invariance to orthogonal
  ** transforms). */
  CHECK_NEAR(cka(X, XQ, N, D), 1.0, 1e-12);
  CHECK_NEAR(cka(XQ, YQ, N, D), cka(X, Y, N, D), 1e-12);
  CHECK_NEAR(spearman(X, XQ, N, D, 5000000, NULL), 1.0, 1e-9);
  CHECK_NEAR(spearman(XQ, YQ, N, D, 5000000, NULL), spearman(X, Y, N, D, 5000000, NULL),
             1e-9);
  CHECK_INT(qa_knn_compute(X, N, D, K, 1, a, &err), 0);
  CHECK_INT(qa_knn_compute(XQ, N, D, K, 2, b, &err), 0);
  CHECK(memcmp(a, b, N * K * sizeof *a) == 0);
  free(X); free(XQ); free(Y); free(YQ); free(a); free(b);
}

QA_TEST(repr_scaling) {
  double x[FIX_N * FIX_D], y[FIX_N * FIX_D], c[FIX_N];
  fixture(x, y, NULL);
  for (int i = 0; i < FIX_N * FIX_D; i++) y[i] = 3 * x[i];
  /* Scaling keeps the direction (c = 1) and CKA (scale invariant); the
  ** error is 2x, so SQNR = 10 log10(1/4) = -6.0205999132796239 dB. */
  qa_repr_cosine(x, y, FIX_N, FIX_D, c);
  for (int i = 0; i < FIX_N; i++) CHECK_NEAR(c[i], 1.0, 1e-15);
  CHECK_NEAR(cka(x, y, FIX_N, FIX_D), 1.0, 1e-12);
  CHECK_NEAR(qa_repr_sqnr_db(x, y, FIX_N, FIX_D), -6.0205999132796239, 1e-12);
}

QA_TEST(repr_cosine_zero_vectors) {
  /* STATISTICS.md: c = 1 when both are zero, 0 when one is. */
  double X[4 * 2] = {0, 0, 0, 0, 1, 2, 3, 4};
  double Y[4 * 2] = {0, 0, 5, 1, 0, 0, -6, -8};
  double c[4];
  qa_repr_cosine(X, Y, 4, 2, c);
  CHECK_NEAR(c[0], 1.0, 0);
  CHECK_NEAR(c[1], 0.0, 0);
  CHECK_NEAR(c[2], 0.0, 0);
  CHECK_NEAR(c[3], -1.0, 1e-15);     /* (3,4).(-6,-8) / (5 * 10) */
}

QA_TEST(repr_quantile_type7) {
  /* R: quantile(c(1,2,3,4), c(.05,.5), type = 7) = 1.15, 2.5. */
  const double v[4] = {1, 2, 3, 4}, c[4] = {4, 1, 3, 2};
  qa_repr_cosine_stats st;
  qa_error err = {0};
  CHECK_NEAR(qa_repr_quantile_sorted(v, 4, 0.05), 1.15, 1e-15);
  CHECK_NEAR(qa_repr_quantile_sorted(v, 4, 1.0), 4.0, 0);
  CHECK_INT(qa_repr_cosine_summary(c, 4, &st, &err), 0);
  CHECK_NEAR(st.mean, 2.5, 0);
  CHECK_NEAR(st.median, 2.5, 0);
  CHECK_NEAR(st.p05, 1.15, 1e-15);
  CHECK_NEAR(st.min, 1.0, 0);
}

QA_TEST(repr_spectrum_diagonal_covariance) {
  /* Columns 3(1,1,-1,-1), 2(1,-1,1,-1), (1,-1,-1,1) are orthogonal with
  ** mean 0, shifted by 5 to test centring: covariance (divisor 3) is
  ** diag(12, 16/3, 4/3). */
  double X[4 * 3], cov[9], mean[3], eig[3];
  const double s[4][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
  const double scale[3] = {3, 2, 1};
  qa_error err = {0};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) X[i * 3 + j] = 5 + scale[j] * s[i][j];
  CHECK_INT(qa_repr_covariance(X, 4, 3, cov, mean, &err), 0);
  CHECK_NEAR(mean[0], 5, 1e-15);
  CHECK_NEAR(cov[0], 12, 1e-14);
  CHECK_NEAR(cov[4], 16.0 / 3, 1e-14);
  CHECK_NEAR(cov[8], 4.0 / 3, 1e-14);
  CHECK_NEAR(cov[1], 0, 1e-14);
  CHECK_NEAR(cov[5], cov[7], 0);
  for (int m = QA_EIGEN_LAPACK; m <= QA_EIGEN_GSL; m++) {
    CHECK_INT(qa_repr_spectrum_method(cov, 3, (qa_eigen_method)m, eig, &err), 0);
    CHECK_NEAR(eig[0], 12, 1e-13);
    CHECK_NEAR(eig[1], 16.0 / 3, 1e-13);
    CHECK_NEAR(eig[2], 4.0 / 3, 1e-13);
  }
  /* l = (12, 16/3, 4/3): sum 56/3, sum of squares 1568/9, so p = (9,4,1)/14
  ** and PR = (3136/9) / (1568/9) = 2. */
  CHECK_NEAR(qa_repr_participation_ratio(eig, 3), 2.0, 1e-13);
  CHECK_NEAR(qa_repr_effective_rank(eig, 3),
             exp(-(9 * log(9.0 / 14) + 4 * log(4.0 / 14) + log(1.0 / 14)) / 14), 1e-13);
  /* l = (4, 2, 1, 1): p = (1/2, 1/4, 1/8, 1/8), H = 1.75 ln 2, so
  ** effective rank 2^1.75; PR = 64/22. */
  const double l4[4] = {4, 2, 1, 1};
  CHECK_NEAR(qa_repr_effective_rank(l4, 4), pow(2, 1.75), 1e-13);
  CHECK_NEAR(qa_repr_participation_ratio(l4, 4), 64.0 / 22, 1e-13);
  /* The 1e-12 l_max cut: 1e-13 is dropped (rank exactly 1), 1e-11 kept. */
  const double cut_out[3] = {1, 1e-13, -1e-14}, cut_in[2] = {1, 1e-11};
  CHECK_NEAR(qa_repr_effective_rank(cut_out, 3), 1.0, 0);
  CHECK(qa_repr_effective_rank(cut_in, 2) > 1.0);
  const double zeros[2] = {0, 0};
  CHECK(isnan(qa_repr_effective_rank(zeros, 2)));
  CHECK(isnan(qa_repr_participation_ratio(zeros, 2)));
}

/* ---- Hand-checked tie rules -------------------------------------------- */

QA_TEST(repr_knn_similarity_ties) {
  /* Rows: 0 (1,0), 1 (0,1), 2 (0,-1), 3 (-1,0), 4 (2,0), 5 and 6 zero.
  ** Cosines (by hand): 0-4 = 1, 5-6 = 1 (two zero rows), 0-3 = 3-4 = -1,
  ** 1-2 = -1, every other pair 0 (including any row with a zero row).
  ** Equal similarity ranks the lower index first. */
  const double X[7 * 2] = {1, 0, 0, 1, 0, -1, -1, 0, 2, 0, 0, 0, 0, 0};
  const int32_t want[7 * 3] = {4, 1, 2,  0, 3, 4,  0, 3, 4,  1, 2, 5,
                               0, 1, 2,  6, 0, 1,  5, 0, 1};
  int32_t nbr[7 * 3];
  qa_error err = {0};
  for (size_t tile = 1; tile <= 8; tile++)
    for (int threads = 1; threads <= 3; threads++) {
      memset(nbr, 0xff, sizeof nbr);
      CHECK_INT(qa_knn_compute_tiled(X, 7, 2, 3, threads, tile, nbr, &err), 0);
      CHECK(memcmp(nbr, want, sizeof want) == 0);
    }
}

QA_TEST(repr_knn_vote_ties) {
  /* A tie in votes goes to the tied class whose best-ranked neighbour
  ** ranks first.  Labels of the neighbours, in rank order:
  **   [2,1,1,2] -> 2 (tie 2:2, class 2 at rank 1)
  **   [1,2,2,1] -> 1;  [3,1,2] -> 3 (all one vote);  [0,2,2,5] -> 2 (majority) */
  const int32_t labels[8] = {2, 1, 1, 2, 3, 0, 5, 0};
  const int32_t nbr[4 * 4] = {0, 1, 2, 3,   1, 0, 3, 2,   4, 1, 0, 0,   5, 0, 3, 6};
  int32_t pred[4];
  qa_knn_predict(nbr, 3, 4, labels, pred);          /* rows 0-2 with k = 4 */
  CHECK_INT(pred[0], 2);
  CHECK_INT(pred[1], 1);
  const int32_t nbr3[3] = {4, 1, 0};
  qa_knn_predict(nbr3, 1, 3, labels, pred);
  CHECK_INT(pred[0], 3);
  qa_knn_predict(nbr + 12, 1, 4, labels, pred);
  CHECK_INT(pred[0], 2);
  /* Accuracy: the fraction pred == label. */
  const int32_t p4[4] = {1, 2, 3, 4}, l4[4] = {1, 0, 3, 0};
  CHECK_NEAR(qa_knn_accuracy(p4, l4, 4), 0.5, 0);
}

QA_TEST(repr_neighbor_overlap_hand) {
  /* |{1,2,3} ∩ {3,4,1}| / 3 = 2/3;  |{5,6,7} ∩ {5,6,7}| / 3 = 1. */
  const int32_t a[6] = {1, 2, 3, 5, 6, 7}, b[6] = {3, 4, 1, 7, 5, 6};
  double each[2];
  qa_neighbor_overlap_each(a, b, 2, 3, each);
  CHECK_NEAR(each[0], 2.0 / 3, 1e-15);
  CHECK_NEAR(each[1], 1.0, 0);
  CHECK_NEAR(qa_neighbor_overlap(a, b, 2, 3), (2.0 / 3 + 1) / 2, 1e-15);
}

QA_TEST(repr_spearman_ties) {
  /* X = e1, e2, -e1, -e2: distances over (0,1),(0,2),(0,3),(1,2),(1,3),(2,3)
  ** = 1,2,1,1,2,1 -> average ranks 2.5,5.5,2.5,2.5,5.5,2.5.
  ** Y = e1, e2, -e1, e1: distances 1,2,0,1,1,2 -> ranks 3,5.5,1,3,3,5.5.
  ** Deviations from 3.5: (-1,2,-1,-1,2,-1), (-.5,2,-2.5,-.5,-.5,2):
  ** rho = 4.5 / sqrt(12 * 15) = 0.75/sqrt(5) = 0.33541019662496846
  ** (SciPy 1.10 spearmanr gives the same). */
  const double X[8] = {1, 0, 0, 1, -1, 0, 0, -1}, Y[8] = {1, 0, 0, 1, -1, 0, 1, 0};
  size_t pairs = 0;
  CHECK_NEAR(spearman(X, Y, 4, 2, 100, &pairs), 0.75 / sqrt(5), 1e-15);
  CHECK_INT(pairs, 6);
  /* No spread on one side (e1, e2, e3: all distances 1): rho undefined. */
  const double E[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1}, F[9] = {1, 0, 0, 0, 1, 0, 1, 1, 0};
  CHECK(isnan(spearman(E, F, 3, 3, 100, NULL)));
}

QA_TEST(repr_spearman_subsampling_rule) {
  size_t pairs = 0;
  /* n = 10: s = 1 gives 45 pairs; s = 2 keeps 0,2,..,8 (5 rows, 10 pairs). */
  CHECK_INT(qa_repr_spearman_stride(10, 45, &pairs), 1);
  CHECK_INT(pairs, 45);
  CHECK_INT(qa_repr_spearman_stride(10, 10, &pairs), 2);
  CHECK_INT(pairs, 10);
  /* pairs_max 9: s = 2 gives 10 > 9; s = 3 keeps 0,3,6,9 (6 pairs). */
  CHECK_INT(qa_repr_spearman_stride(10, 9, &pairs), 3);
  CHECK_INT(pairs, 6);
  /* pairs_max 5: s = 3 gives 6; s = 4 keeps 0,4,8 (3 pairs). */
  CHECK_INT(qa_repr_spearman_stride(10, 5, &pairs), 4);
  CHECK_INT(pairs, 3);
  CHECK_INT(qa_repr_spearman_stride(10, 0, &pairs), 10);
  CHECK_INT(pairs, 0);
  /* N = 50,000 at the default 5,000,000: s = 16 gives 3125 rows and
  ** 4,881,250 pairs; s = 15 would give 3334 rows, 5,556,111 pairs. */
  CHECK_INT(qa_repr_spearman_stride(50000, 5000000, &pairs), 16);
  CHECK_INT(pairs, 4881250);

  /* rho with pairs_max 9 equals rho on the explicit rows 0, 3, 6, 9. */
  double *X = random_matrix(10, 4, 5), *Y = random_matrix(10, 4, 6);
  double xs[4 * 4], ys[4 * 4];
  for (int r = 0; r < 4; r++) {
    memcpy(xs + r * 4, X + r * 3 * 4, 4 * sizeof *xs);
    memcpy(ys + r * 4, Y + r * 3 * 4, 4 * sizeof *ys);
  }
  CHECK_NEAR(spearman(X, Y, 10, 4, 9, &pairs), spearman(xs, ys, 4, 4, 100, NULL), 1e-15);
  CHECK_INT(pairs, 6);
  free(X);
  free(Y);
}

/* ---- kNN against a brute-force reference -------------------------------- */

/* The spec's kNN by exhaustive sort: similarity g_ij (1/|x_i| 1/|x_j|),
** the expression repr.c uses, on small-integer data whose dot products are
** exact, so that the many exact ties are decided by the index rule alone. */
static void brute_knn(const double *X, size_t n, size_t d, size_t k, int32_t *nbr) {
  double *inv = malloc(n * sizeof *inv), *sim = malloc(n * sizeof *sim);
  for (size_t i = 0; i < n; i++) {
    double aa = 0;
    for (size_t j = 0; j < d; j++) aa += X[i * d + j] * X[i * d + j];
    inv[i] = aa > 0 ? 1 / sqrt(aa) : 0;
  }
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < n; j++) {
      double g = 0;
      for (size_t t = 0; t < d; t++) g += X[i * d + t] * X[j * d + t];
      sim[j] = inv[i] > 0 && inv[j] > 0 ? g * (inv[i] * inv[j])
               : (inv[i] == 0 && inv[j] == 0) ? 1 : 0;
    }
    for (size_t r = 0; r < k; r++) {     /* selection: best, lowest index */
      size_t best = SIZE_MAX;
      for (size_t j = 0; j < n; j++) {
        if (j == i) continue;
        int taken = 0;
        for (size_t q = 0; q < r; q++) taken |= nbr[i * k + q] == (int32_t)j;
        if (taken) continue;
        if (best == SIZE_MAX || sim[j] > sim[best]) best = j;
      }
      nbr[i * k + r] = (int32_t)best;
    }
  }
  free(inv);
  free(sim);
}

QA_TEST(repr_knn_matches_brute_force) {
  enum { N = 157, D = 4, K = 7 };
  double X[N * D];
  int32_t want[N * K], got[N * K];
  qa_error err = {0};
  uint64_t seed = 11;
  for (int i = 0; i < N * D; i++) X[i] = floor(uniform(&seed) * 2.5);   /* -3..2 */
  for (int j = 0; j < D; j++) { X[20 * D + j] = 0; X[90 * D + j] = 0; }  /* zero rows */
  brute_knn(X, N, D, K, want);
  const size_t tiles[] = {0, 1, 16, 50, 156, 157, 400};
  for (size_t t = 0; t < sizeof tiles / sizeof tiles[0]; t++)
    for (int threads = 1; threads <= 3; threads += 2) {
      CHECK_INT(qa_knn_compute_tiled(X, N, D, K, threads, tiles[t], got, &err), 0);
      CHECK(memcmp(got, want, sizeof want) == 0);
    }
}

QA_TEST(repr_knn_rejects_k) {
  double X[6] = {1, 0, 0, 1, 1, 1};
  int32_t nbr[9];
  qa_error err = {0};
  CHECK_INT(qa_knn_compute(X, 3, 2, 3, 1, nbr, &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_STR(err.msg, "knn_k = 3 needs at least 1 neighbour and 4 samples, found 3");
  CHECK_INT(qa_knn_compute(X, 3, 2, 2, 1, nbr, &err), 0);
}

/* ---- The offline fixture ------------------------------------------------ */

QA_TEST(repr_fixture_matches_numpy_scipy) {
  double x[FIX_N * FIX_D], y[FIX_N * FIX_D], c[FIX_N];
  int32_t labels[FIX_N], nx[FIX_N * FIX_K], ny[FIX_N * FIX_K], px[FIX_N], py[FIX_N];
  qa_repr_cosine_stats st;
  qa_error err = {0};
  size_t pairs = 0;
  fixture(x, y, labels);
  qa_repr_cosine(x, y, FIX_N, FIX_D, c);
  CHECK_INT(qa_repr_cosine_summary(c, FIX_N, &st, &err), 0);
  CHECK_NEAR(st.mean, 0.99852944944976429, 1e-13);
  CHECK_NEAR(st.median, 0.99888601812511735, 1e-13);
  CHECK_NEAR(st.p05, 0.99665112184767779, 1e-13);
  CHECK_NEAR(st.min, 0.99574930941423279, 1e-13);
  CHECK_NEAR(qa_repr_sqnr_db(x, y, FIX_N, FIX_D), 25.621792417676282, 1e-10);
  CHECK_NEAR(spearman(x, y, FIX_N, FIX_D, 5000000, &pairs), 0.99883196591508083, 1e-12);
  CHECK_INT(pairs, 780);
  CHECK_NEAR(spearman(x, y, FIX_N, FIX_D, 300, &pairs), 0.99845337602295459, 1e-12);
  CHECK_INT(pairs, 190);
  CHECK_NEAR(cka(x, y, FIX_N, FIX_D), 0.99956567824628284, 1e-12);

  /* kNN, k = 3: the first rows' neighbours from sklearn; vote accuracy. */
  CHECK_INT(qa_knn_compute(x, FIX_N, FIX_D, FIX_K, 2, nx, &err), 0);
  CHECK_INT(qa_knn_compute(y, FIX_N, FIX_D, FIX_K, 1, ny, &err), 0);
  const int32_t want_x[12] = {29, 24, 5, 30, 25, 6, 31, 26, 7, 32, 8, 37};
  const int32_t want_y[12] = {29, 24, 34, 30, 6, 25, 31, 26, 7, 32, 37, 8};
  CHECK(memcmp(nx, want_x, sizeof want_x) == 0);
  CHECK(memcmp(ny, want_y, sizeof want_y) == 0);
  qa_knn_predict(nx, FIX_N, FIX_K, labels, px);
  qa_knn_predict(ny, FIX_N, FIX_K, labels, py);
  CHECK_NEAR(qa_knn_accuracy(px, labels, FIX_N), 0.925, 1e-15);
  CHECK_NEAR(qa_knn_accuracy(py, labels, FIX_N), 0.925, 1e-15);
  CHECK_NEAR(qa_neighbor_overlap(nx, ny, FIX_N, FIX_K), 0.84166666666666656, 1e-15);

  /* Per class (labels 0, 1, 2): n, cosine mean, kNN accuracy of y. */
  qa_repr_class cls[3];
  qa_repr_per_class(c, py, labels, FIX_N, 3, cls);
  CHECK_INT(cls[0].n, 15);
  CHECK_INT(cls[1].n, 14);
  CHECK_INT(cls[2].n, 11);
  CHECK_NEAR(cls[0].cosine_mean, 0.99873729331536076, 1e-13);
  CHECK_NEAR(cls[1].cosine_mean, 0.99773437262223985, 1e-13);
  CHECK_NEAR(cls[2].cosine_mean, 0.9992579419589821, 1e-13);
  CHECK_NEAR(cls[0].knn_accuracy, 1.0, 1e-15);
  CHECK_NEAR(cls[1].knn_accuracy, 0.9285714285714286, 1e-15);
  CHECK_NEAR(cls[2].knn_accuracy, 0.81818181818181823, 1e-15);

  /* Spectra: x has rank 2 (its other eigenvalues are ~1e-16, under the
  ** 1e-12 l_max cut). */
  double cov[FIX_D * FIX_D], eig[FIX_D];
  CHECK_INT(qa_repr_covariance(x, FIX_N, FIX_D, cov, NULL, &err), 0);
  CHECK_INT(qa_repr_spectrum(cov, FIX_D, eig, &err), 0);
  CHECK_NEAR(eig[0], 1.8520143363852257, 1e-12);
  CHECK_NEAR(eig[1], 1.2098749860150706, 1e-12);
  CHECK_NEAR(qa_repr_effective_rank(eig, FIX_D), 1.9561765673663079, 1e-10);
  CHECK_NEAR(qa_repr_participation_ratio(eig, FIX_D), 1.9157409841014088, 1e-12);
  CHECK_INT(qa_repr_covariance(y, FIX_N, FIX_D, cov, NULL, &err), 0);
  CHECK_INT(qa_repr_spectrum_method(cov, FIX_D, QA_EIGEN_GSL, eig, &err), 0);
  const double eig_y[FIX_D] = {1.8535075106946799, 1.2143438734051732,
                               0.0027969519550162776, 0.0006783418361323044,
                               7.1306942026856987e-06, 1.1173794374210765e-06};
  for (int j = 0; j < FIX_D; j++) CHECK_NEAR(eig[j], eig_y[j], 1e-13);
  CHECK_NEAR(qa_repr_effective_rank(eig, FIX_D), 1.9737333857684174, 1e-12);
  CHECK_NEAR(qa_repr_participation_ratio(eig, FIX_D), 1.921150630460011, 1e-12);

  /* PCA on the baseline's axes, both eigen paths. */
  const double axes_want[2 * FIX_D] = {
    -0.5079658821201134, -0.4653810768432539, -0.2039202793470978,
    0.1534474118682587, 0.43864638760002245, 0.5175431132046232,
    -0.1378524787670275, 0.3076226999948563, 0.6084181162118781,
    0.6230649855791465, 0.34467465656958757, -0.09582154911472113};
  const double xy_want[6] = {-0.38116997894075855, 1.5238562595022318,
                             -1.9130379336714118, 0.012718672796778324,
                             -0.6209876141303791, -1.499666608684933};
  for (int m = QA_EIGEN_LAPACK; m <= QA_EIGEN_GSL; m++) {
    double mean[FIX_D], axes[2 * FIX_D], xy[2 * FIX_N];
    CHECK_INT(qa_repr_pca_axes_method(x, FIX_N, FIX_D, (qa_eigen_method)m, mean, axes,
                                      &err), 0);
    for (int j = 0; j < 2 * FIX_D; j++) CHECK_NEAR(axes[j], axes_want[j], 1e-10);
    qa_repr_project(y, FIX_N, FIX_D, mean, axes, xy);
    for (int j = 0; j < 6; j++) CHECK_NEAR(xy[j], xy_want[j], 1e-10);
  }
}

QA_TEST(repr_gsl_and_lapack_agree) {
  enum { D = 60 };
  double *G = random_matrix(80, D, 3), *cov = malloc(D * D * sizeof *cov);
  double a[D], b[D], axa[2 * D], axb[2 * D], mean[D];
  qa_error err = {0};
  CHECK_INT(qa_repr_covariance(G, 80, D, cov, NULL, &err), 0);
  CHECK_INT(qa_repr_spectrum_method(cov, D, QA_EIGEN_LAPACK, a, &err), 0);
  CHECK_INT(qa_repr_spectrum_method(cov, D, QA_EIGEN_GSL, b, &err), 0);
  for (int j = 0; j < D; j++) CHECK_NEAR(a[j], b[j], 1e-12);
  for (int j = 1; j < D; j++) CHECK(a[j] <= a[j - 1]);
  CHECK_INT(qa_repr_pca_axes_method(G, 80, D, QA_EIGEN_LAPACK, mean, axa, &err), 0);
  CHECK_INT(qa_repr_pca_axes_method(G, 80, D, QA_EIGEN_GSL, mean, axb, &err), 0);
  for (int j = 0; j < 2 * D; j++) CHECK_NEAR(axa[j], axb[j], 1e-9);
  free(G);
  free(cov);
}

QA_TEST(repr_cka_known_norms_match_full_cka) {
  /* The shortcut used by the analysis (Gram norms from the covariances)
  ** gives the same CKA as the direct formula. */
  enum { N = 40, D = 6 };
  double x[N * D], y[N * D], cx[D * D], cy[D * D], full = 0, fast = 0;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++) {
      x[i * D + j] = sin(1.3 * i + 0.7 * j) + 0.1 * j;
      y[i * D + j] = x[i * D + j] + 0.05 * cos(2.1 * i * j);
    }
  qa_error err = {0};
  CHECK_INT(qa_repr_cka_linear(x, y, N, D, &full, &err), 0);
  CHECK_INT(qa_repr_covariance(x, N, D, cx, NULL, &err), 0);
  CHECK_INT(qa_repr_covariance(y, N, D, cy, NULL, &err), 0);
  CHECK_INT(qa_repr_cka_linear_known(x, y, N, D, qa_repr_gram_frob2(cx, N, D),
                                     qa_repr_gram_frob2(cy, N, D), &fast, &err), 0);
  CHECK_NEAR(fast, full, 1e-13);
  CHECK(full > 0.9 && full < 1.0);
}

/* The fused CKA (Y's norm and the cross product from one centring of Y,
** depth.c) gives the very bits of the two-step one (covariance, its norm,
** then the cross product), over several row blocks with a ragged last one;
** and falls back to the full CKA where D > N. */
QA_TEST(repr_cka_fused_bits_equal_two_step) {
  enum { N = 1237, D = 23 };
  double *x = malloc(N * D * sizeof *x), *y = malloc(N * D * sizeof *y);
  double cx[D * D], cy[D * D];
  if (!x || !y) { free(x); free(y); CHECK(!"out of memory"); return; }
  unsigned s = 12345;
  for (int i = 0; i < N * D; i++) {
    s = s * 1103515245u + 12345u;
    x[i] = 3.0 + (double)(s >> 8) / (double)(1u << 24);
    y[i] = x[i] + 0.01 * sin(0.37 * i);
  }
  qa_error err = {0};
  double two = 0, fused = 0, yy2 = 0;
  CHECK_INT(qa_repr_covariance(x, N, D, cx, NULL, &err), 0);
  CHECK_INT(qa_repr_covariance(y, N, D, cy, NULL, &err), 0);
  double xx = qa_repr_gram_frob2(cx, N, D), yy = qa_repr_gram_frob2(cy, N, D);
  CHECK_INT(qa_repr_cka_linear_known(x, y, N, D, xx, yy, &two, &err), 0);
  CHECK_INT(qa_repr_cka_linear_known_x(x, y, N, D, xx, &yy2, &fused, &err), 0);
  CHECK(memcmp(&yy2, &yy, sizeof yy) == 0);
  CHECK(memcmp(&fused, &two, sizeof two) == 0);
  CHECK(two > 0.9 && two < 1.0);
  /* D > N: the Gram path of the full CKA. */
  double full = 0, fb = 0;
  CHECK_INT(qa_repr_cka_linear(x, y, 20, 23, &full, &err), 0);
  CHECK_INT(qa_repr_cka_linear_known_x(x, y, 20, 23, NAN, NULL, &fb, &err), 0);
  CHECK(memcmp(&full, &fb, sizeof fb) == 0);
  free(x);
  free(y);
}

/* The baseline's axes and spectrum from one centred square (representation
** analysis) are the very bits of the two separate calls, on the covariance
** path (N > D) and on the Gram path (D > N). */
QA_TEST(repr_pca_spectrum_shared_bits_equal_separate) {
  const size_t shapes[2][2] = {{301, 37}, {29, 64}};
  for (int t = 0; t < 2; t++) {
    size_t n = shapes[t][0], d = shapes[t][1];
    double *X = random_matrix(n, d, 11 + (uint64_t)t);
    double *m1 = malloc(d * sizeof *m1), *m2 = malloc(d * sizeof *m2);
    double *a1 = malloc(2 * d * sizeof *a1), *a2 = malloc(2 * d * sizeof *a2);
    double *e1 = malloc(d * sizeof *e1), *e2 = malloc(d * sizeof *e2), f1 = 0, f2 = 0;
    qa_error err = {0};
    CHECK_INT(qa_repr_pca_axes(X, n, d, m1, a1, &err), 0);
    CHECK_INT(qa_repr_data_spectrum(X, n, d, QA_REPR_PATH_AUTO, e1, &f1, &err), 0);
    CHECK_INT(qa_repr_pca_axes_spectrum(X, n, d, m2, a2, e2, &f2, &err), 0);
    CHECK(memcmp(m1, m2, d * sizeof *m1) == 0);
    CHECK(memcmp(a1, a2, 2 * d * sizeof *a1) == 0);
    CHECK(memcmp(e1, e2, d * sizeof *e1) == 0);
    CHECK(memcmp(&f1, &f2, sizeof f1) == 0);
    CHECK(e2[0] > e2[1] && e2[1] > 0);   /* a real spectrum, not zeros */
    free(X); free(m1); free(m2); free(a1); free(a2); free(e1); free(e2);
  }
}

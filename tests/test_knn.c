/*
** The fast kNN (float32 Gram candidates, exact double re-ranking,
** src/analysis/knn.c) against the plain path that ranks every pair by the
** same similarity: identical neighbour lists, ties forced (duplicate rows,
** rows that are exact multiples of others, zero rows, rows one ulp apart,
** a cluster so tight that every row overflows its candidate list), N not a
** multiple of any tile, 1 and 2 threads, every tile scan (scalar, AVX2,
** AVX-512); the similarity against NumPy; the
** proven bound ε against the float32 Gram matrix itself.
*/
#include "harness.h"

#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/repr.h"

static double unif(uint64_t *s) {   /* [-1, 1), xorshift64* */
  *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
  return (double)((*s * 2685821657736338717ull) >> 11) / 4503599627370496.0 - 1.0;
}

/* n rows of dimension d: 8 cluster centres plus noise, then forced ties. */
static double *tie_data(size_t n, size_t d, uint64_t seed) {
  double *X = malloc(n * d * sizeof *X), C[8][256];
  for (int c = 0; c < 8; c++)
    for (size_t t = 0; t < d; t++) C[c][t] = unif(&seed);
  for (size_t i = 0; i < n; i++)
    for (size_t t = 0; t < d; t++)
      X[i * d + t] = (float)(C[i % 8][t] + 0.35 * unif(&seed));   /* float-valued */
  for (size_t t = 0; t < d; t++) {
    X[7 * d + t] = X[3 * d + t];                 /* duplicates */
    X[500 * d + t] = X[3 * d + t];
    X[11 * d + t] = 2.0 * X[5 * d + t];          /* exact multiples: same s */
    X[12 * d + t] = 0.25 * X[5 * d + t];
    X[40 * d + t] = 0;                           /* zero rows */
    X[41 * d + t] = 0;
    X[900 * d + t] = 0;
  }
  X[13 * d] = nextafter(X[5 * d] * 4.0, INFINITY);   /* one ulp from a multiple */
  for (size_t t = 1; t < d; t++) X[13 * d + t] = 4.0 * X[5 * d + t];
  return X;
}

static void check_equal(const double *X, size_t n, size_t d, size_t k, const size_t *tiles,
                        size_t nt) {
  int32_t *want = malloc(n * k * sizeof *want), *got = malloc(n * k * sizeof *got);
  qa_error err = {0};
  qa_knn_info info;
  CHECK_INT(qa_knn_compute_method(X, n, d, k, 1, 0, QA_KNN_EXHAUSTIVE, want, &info, &err), 0);
  CHECK_INT((long)info.exhaustive_rows, (long)n);
  /* Every tile scan the CPU has (scalar, AVX2, AVX-512): the same lists. */
  for (int isa = 0; isa <= 2; isa++) {
    if (qa_knn_set_scan(isa) != isa) continue;
    for (size_t t = 0; t < nt; t++)
      for (int th = 1; th <= 2; th++) {
        memset(got, 0xff, n * k * sizeof *got);
        CHECK_INT(
            qa_knn_compute_method(X, n, d, k, th, tiles[t], QA_KNN_FAST, got, &info, &err), 0);
        CHECK(memcmp(got, want, n * k * sizeof *got) == 0);
      }
  }
  qa_knn_set_scan(-1);
  free(want);
  free(got);
}

QA_TEST(knn_fast_equals_exhaustive_with_ties) {
  enum { N = 1003, D = 96 };
  double *X = tie_data(N, D, 7);
  const size_t tiles[] = {0, 64, 100, 1002};
  check_equal(X, N, D, 5, tiles, 4);
  check_equal(X, N, D, 1, tiles + 1, 1);
  check_equal(X, N, D, 50, tiles, 2);
  /* The forced ties are decided by index: row 5's multiples 11 and 12 have
  ** s = 1 with it exactly, and rank 11 before 12. */
  int32_t nbr[N * 5];
  qa_error err = {0};
  CHECK_INT(qa_knn_compute(X, N, D, 5, 2, nbr, &err), 0);
  CHECK_INT(nbr[5 * 5 + 0], 11);
  CHECK_INT(nbr[5 * 5 + 1], 12);
  CHECK(qa_knn_similarity(X, D, 5, 11) == 1.0 || qa_knn_similarity(X, D, 5, 11) ==
        qa_knn_similarity(X, D, 5, 12));
  CHECK_INT(nbr[3 * 5 + 0], 7);                  /* its duplicates, lower first */
  CHECK_INT(nbr[3 * 5 + 1], 500);
  CHECK_INT(nbr[40 * 5 + 0], 41);                /* zero rows: s = 1 with each other */
  CHECK_INT(nbr[40 * 5 + 1], 900);
  free(X);
}

/* A cluster so tight (noise 1e-9 on one direction) that all similarities
** lie within ε of each other: every row overflows its candidate list and
** is ranked exhaustively; the result is still the plain path's. */
QA_TEST(knn_fast_overflow_rows_ranked_exhaustively) {
  enum { N = 700, D = 40 };
  double *X = malloc(N * D * sizeof *X), base[D];
  uint64_t seed = 3;
  for (int t = 0; t < D; t++) base[t] = unif(&seed);
  for (int i = 0; i < N; i++)
    for (int t = 0; t < D; t++) X[i * D + t] = base[t] + 1e-9 * unif(&seed);
  const size_t tiles[] = {0, 128};
  check_equal(X, N, D, 5, tiles, 2);
  int32_t *nbr = malloc(N * 5 * sizeof *nbr);
  qa_error err = {0};
  qa_knn_info info;
  CHECK_INT(qa_knn_compute_method(X, N, D, 5, 2, 0, QA_KNN_FAST, nbr, &info, &err), 0);
  CHECK((long)info.exhaustive_rows > N / 2);
  free(nbr);
  free(X);
}

/* Random Gaussian-like data at a realistic width: few candidates beyond k. */
QA_TEST(knn_fast_few_candidates_on_spread_data) {
  enum { N = 1500, D = 256, K = 5 };
  double *X = tie_data(N, D, 19);
  int32_t *nbr = malloc(N * K * sizeof *nbr);
  qa_error err = {0};
  qa_knn_info info;
  CHECK_INT(qa_knn_compute_method(X, N, D, K, 2, 0, QA_KNN_FAST, nbr, &info, &err), 0);
  CHECK(info.candidates < (size_t)N * K * 2);     /* re-ranking is a small extra */
  CHECK(info.exhaustive_rows <= 3);               /* the three zero rows at most */
  const size_t tiles[] = {0};
  check_equal(X, N, D, K, tiles, 1);
  free(nbr);
  free(X);
}

/* |fl32(f_i · f_j) − s(i, j)| ≤ ε over every pair, with the Gram matrix
** computed by cblas_sgemm as the fast path does, on rows of very different
** magnitudes (2^-300 .. 2^300). */
QA_TEST(knn_eps_bounds_the_float_gram) {
  enum { N = 300, D = 513 };
  double *X = malloc(N * D * sizeof *X);
  float *F = malloc(N * D * sizeof *F), *G = malloc(N * N * sizeof *G);
  uint64_t seed = 5;
  for (int i = 0; i < N; i++) {
    double scale = ldexp(1.0, (i % 13 - 6) * 50);
    for (int t = 0; t < D; t++) X[i * D + t] = scale * (unif(&seed) + (t % 7 == 0));
  }
  for (int i = 0; i < N; i++) {   /* the fast path's float rows, as knn.c makes them */
    double m = 0, ss = 0;
    for (int t = 0; t < D; t++) m = fmax(m, fabs(X[i * D + t]));
    double p = ldexp(1.0, -ilogb(m));
    for (int t = 0; t < D; t++) ss += (X[i * D + t] * p) * (X[i * D + t] * p);
    double inv = 1 / sqrt(ss);
    for (int t = 0; t < D; t++) F[i * D + t] = (float)((X[i * D + t] * p) * inv);
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, N, D, 1.0f, F, D, F, D, 0.0f, G, N);
  double worst = 0, eps = qa_knn_eps(D);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++)
      worst = fmax(worst, fabs((double)G[i * N + j] - qa_knn_similarity(X, D, i, j)));
  CHECK(worst <= eps);
  CHECK(worst > 0);
  /* ε = 1.25 (γ_D (1 + 2^-22) + 2^-23 + (5D + 20) 2^-53) + D 2^-140 at
  ** D = 513: γ = 513·2^-24/(1 − 513·2^-24) = 3.05781e-05 → ε = 3.83717e-05. */
  CHECK_NEAR(eps, 3.8371668e-05, 1e-11);
  free(X);
  free(F);
  free(G);
}

/* s(i, j) against NumPy's cosine, symmetric bit for bit.
**   import numpy as np; x=np.array([[1,2,3,4.5],[-2,0.5,1,3],[1e-300,2e-300,0,1e-300]])
**   n=np.linalg.norm(x*[[1],[1],[1e300]],axis=1)   # scale the tiny row first
**   (x[0]@x[1])/n[0]/n[1], ((x[0]*1)@(x[2]*1e300))/n[0]/n[2]
**   -> 0.7016071045343337, 0.6627011010943981 */
QA_TEST(knn_similarity_against_numpy) {
  double X[12] = {1, 2, 3, 4.5, -2, 0.5, 1, 3, 1e-300, 2e-300, 0, 1e-300};
  CHECK_NEAR(qa_knn_similarity(X, 4, 0, 1), 0.7016071045343337, 1e-15);
  CHECK_NEAR(qa_knn_similarity(X, 4, 0, 2), 0.6627011010943981, 1e-15);
  CHECK(qa_knn_similarity(X, 4, 0, 1) == qa_knn_similarity(X, 4, 1, 0));
  CHECK(qa_knn_similarity(X, 4, 2, 0) == qa_knn_similarity(X, 4, 0, 2));
}

QA_TEST(knn_rejects_non_finite) {
  double X[8] = {1, 0, 0, 1, NAN, 1, 1, 1};
  int32_t nbr[4];
  qa_error err = {0};
  CHECK_INT(qa_knn_compute(X, 4, 2, 1, 1, nbr, &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_STR(err.msg, "sample 2: hidden state is not finite");
}

/* ---- Spearman's ranking (repr.c): the one-word radix sort and its tie
** runs against a plain ranking by qsort on the same distances ---------- */

static int cmp_vi(const void *a, const void *b) {
  const double *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : (x[1] > y[1]) - (x[1] < y[1]);
}

/* Twice the average ranks of v[0..P), ties averaged, by a plain sort. */
static void plain_rank2(const double *v, size_t P, double *r2) {
  double *vi = malloc(2 * P * sizeof *vi);
  for (size_t p = 0; p < P; p++) { vi[2 * p] = v[p] == 0 ? 0.0 : v[p]; vi[2 * p + 1] = (double)p; }
  qsort(vi, P, 2 * sizeof *vi, cmp_vi);
  for (size_t a = 0; a < P;) {
    size_t b = a + 1;
    while (b < P && vi[2 * b] == vi[2 * a]) b++;
    for (size_t t = a; t < b; t++) r2[(size_t)vi[2 * t + 1]] = (double)(a + 1 + b);
    a = b;
  }
  free(vi);
}

/* The pair distances 1 - cos as repr.c computes them (cosine_tile's
** expression g (ia ib)); exact for small-integer rows. */
static void plain_dist(const double *X, size_t n, size_t d, double *v) {
  double *inv = malloc(n * sizeof *inv);
  for (size_t i = 0; i < n; i++) {
    double aa = 0;
    for (size_t t = 0; t < d; t++) aa += X[i * d + t] * X[i * d + t];
    inv[i] = aa > 0 ? 1.0 / sqrt(aa) : 0.0;
  }
  size_t p = 0;
  for (size_t a = 0; a < n; a++)
    for (size_t b = a + 1; b < n; b++) {
      double g = 0;
      for (size_t t = 0; t < d; t++) g += X[a * d + t] * X[b * d + t];
      double c = inv[a] > 0 ? (inv[b] > 0 ? g * (inv[a] * inv[b]) : 0.0) : (inv[b] > 0 ? 0.0 : 1.0);
      v[p++] = 1.0 - c;
    }
  free(inv);
}

QA_TEST(spearman_radix_ranks_equal_plain_ranks_with_ties) {
  enum { N = 300, D = 3 };
  const size_t P = (size_t)N * (N - 1) / 2;
  double *X = malloc(N * D * sizeof *X), *Y = malloc(N * D * sizeof *Y);
  uint64_t seed = 23;
  for (int i = 0; i < N * D; i++) {
    X[i] = floor(2.5 * unif(&seed));                 /* -3..2: runs of equal distances */
    Y[i] = X[i] + (unif(&seed) > 0.8 ? 1.0 : 0.0);   /* a few entries moved */
  }
  double *vx = malloc(P * sizeof *vx), *vy = malloc(P * sizeof *vy);
  double *rx = malloc(P * sizeof *rx), *ry = malloc(P * sizeof *ry);
  plain_dist(X, N, D, vx);
  plain_dist(Y, N, D, vy);
  plain_rank2(vx, P, rx);
  plain_rank2(vy, P, ry);
  double mean2 = (double)P + 1.0, sxx = 0, sxy = 0, syy = 0;
  for (size_t p = 0; p < P; p++) {
    double u = rx[p] - mean2, v = ry[p] - mean2;
    sxx += u * u;
    sxy += u * v;
    syy += v * v;
  }
  double want = sxy / sqrt(sxx * syy), got = NAN;
  size_t pairs = 0;
  qa_error err = {0};
  CHECK_INT(qa_repr_spearman(X, Y, N, D, P, &got, &pairs, &err), 0);
  CHECK_INT((long)pairs, (long)P);
  CHECK(got == want);                       /* the same ranks: the same bits */
  CHECK(want > 0.3 && want < 0.99);
  free(X); free(Y); free(vx); free(vy); free(rx); free(ry);
}

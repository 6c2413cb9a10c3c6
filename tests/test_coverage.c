/*
** Tests of src/analysis/coverage.c: coverage and density against a NumPy
** transcription of Naeem et al.'s reference code (prdc) on a fixture, hand
** cases with exact distance ties at the radius (also where GEMM distances
** lose them), the GEMM path against the exact-order brute force with ties
** and duplicates forced, overlap_at against NumPy and against repr.h's
** overlap at each k, and the worst samples' tie rule.
**
** Reference values: tests/ref/coverage_ref.py, pasted below between its
** markers, produced by
**     /usr/bin/python3 tests/ref/coverage_ref.py > /tmp/coverage_ref.c
*/
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

#include "analysis/coverage.h"
#include "analysis/repr.h"

/* BEGIN coverage_ref.py: NumPy 1.24.2, scikit-learn 1.2.1 */
static const double ALIGNED_COVERAGE = 0.65000000000000002, ALIGNED_DENSITY = 0.22666666666666666;
static const double ALIGNED_RADII[60] = {0.66291240410782759, 0.48993791330261788, 0.56373236859567544, 0.44493046686908688, 0.50181584979719873, 0.49679502797215336, 0.39544642361558668, 0.57803743020348541, 0.52130390180985586, 0.48742723775026081, 0.59558942740741527, 0.50161116304751141, 0.52774499373410888, 0.57794130667334798, 0.51097393252593504, 0.48993791330261788, 0.54879549014693241, 0.51859277699692718, 0.5285776378153203, 0.45352395887536495, 0.58637345427012366, 0.51534780056994944, 0.52130390180985586, 0.4750608122425623, 0.53222883681447308, 0.51506689463410471, 0.49969804422936503, 0.46539239251985448, 0.51976910094434325, 0.46931364220097488, 0.56012552417426331, 0.5313086682788537, 0.48158582349508416, 0.49969804422936503, 0.38526834455250192, 0.55924370133637635, 0.48534441671785605, 0.50384495894711134, 0.49445601349433421, 0.5147072353844363, 0.58015089414078103, 0.58684944560729546, 0.51395041973951383, 0.51101304237479017, 0.51287692856791556, 0.49978259483586696, 0.44462146624471993, 0.44323081745633658, 0.49985724083864691, 0.53126928691526853, 0.55836103652749969, 0.60489098805950392, 0.53222883681447308, 0.54058438514244045, 0.44580845264174179, 0.59923782346835819, 0.6039947459914623, 0.48702273225773551, 0.52789515557853384, 0.56215666767324968};
static const double OTHER_COVERAGE = 0.36666666666666664, OTHER_DENSITY = 0.22222222222222221;
static const double OVERLAP_AT[10] = {0.083333333333333329, 0.19166666666666668, 0.35555555555555551, 0.49583333333333335, 0.64666666666666661, 0.78055555555555545, 0.90714285714285703, 0.95625000000000004, 0.90740740740740733, 0.86999999999999988};
/* END coverage_ref.py */

/* ---- Fixtures (the formulas of tests/ref/coverage_ref.py) -------------- */

enum { FX_N = 60, FX_M = 45, FX_D = 7 };

static void fixture_x(double *x) {
  for (int i = 0; i < FX_N; i++)
    for (int l = 0; l < FX_D; l++) x[i * FX_D + l] = sin(0.9 * i + 1.7 * l) + 0.2 * cos(0.31 * i * l);
}

static void fixture_y_aligned(const double *x, double *y) {
  for (int i = 0; i < FX_N; i++)
    for (int l = 0; l < FX_D; l++) y[i * FX_D + l] = x[i * FX_D + l] + 0.3 * sin(2.3 * i + 0.7 * l);
}

static void fixture_y_other(double *y) {
  for (int j = 0; j < FX_M; j++)
    for (int l = 0; l < FX_D; l++)
      y[j * FX_D + l] = sin(0.9 * j + 1.7 * l + 0.3) + 0.3 * cos(1.3 * j * l + 0.2);
}

/* Deterministic integers in [0, range) (xorshift64*). */
static int small_int(uint64_t *state, int range) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (int)(((*state * UINT64_C(2685821657736338717)) >> 33) % (uint64_t)range);
}

static qa_coverage_result coverage(const double *X, size_t n, const double *Y, size_t m,
                                   size_t d, size_t k, size_t tile, int exact) {
  qa_coverage_result r = {-1, -1, 0};
  qa_error err = {0};
  if (qa_coverage_density_tiled(X, n, Y, m, d, k, tile, exact, &r, &err) != 0)
    qa_test_fail(__FILE__, __LINE__, "coverage: %s", err.msg);
  return r;
}

/* ---- Against prdc ------------------------------------------------------- */

QA_TEST(coverage_matches_prdc_fixture) {
  double x[FX_N * FX_D], ya[FX_N * FX_D], yo[FX_M * FX_D], r2[FX_N];
  qa_error err = {0};
  fixture_x(x);
  fixture_y_aligned(x, ya);
  fixture_y_other(yo);
  /* Every tile edge and the brute force give prdc's numbers (no pair of
  ** the fixture lies within 7e-4 of its radius, coverage_ref.py). */
  const size_t tiles[5] = {0, 1, 7, 32, 1000};
  for (int t = 0; t < 6; t++) {
    size_t tile = t < 5 ? tiles[t] : 0;
    int exact = t == 5;
    qa_coverage_result a = coverage(x, FX_N, ya, FX_N, FX_D, 5, tile, exact);
    qa_coverage_result o = coverage(x, FX_N, yo, FX_M, FX_D, 3, tile, exact);
    CHECK_NEAR(a.coverage, ALIGNED_COVERAGE, 1e-15);
    CHECK_NEAR(a.density, ALIGNED_DENSITY, 1e-15);
    CHECK_NEAR(o.coverage, OTHER_COVERAGE, 1e-15);
    CHECK_NEAR(o.density, OTHER_DENSITY, 1e-15);
  }
  /* The radii: prdc's (k+1)-th smallest distance, itself included. */
  size_t checks = 0;
  CHECK_INT(qa_coverage_radii2(x, FX_N, FX_D, 5, 0, r2, &checks, &err), 0);
  for (int i = 0; i < FX_N; i++) CHECK_NEAR(sqrt(r2[i]), ALIGNED_RADII[i], 1e-15);   /* NumPy sums pairwise */
  /* Candidates recomputed: at least k per row, few more without ties. */
  CHECK(checks >= 5 * FX_N && checks <= 14 * FX_N);
  qa_coverage_result def = {0, 0, 0};
  CHECK_INT(qa_coverage_density(x, FX_N, ya, FX_N, FX_D, 5, &def, &err), 0);
  CHECK_NEAR(def.coverage, ALIGNED_COVERAGE, 0);
}

/* ---- Ties at the radius ------------------------------------------------- */

/* Baseline (0,0) (1,0) (2,0) (3,0) (0,3), k = 2: by hand r^2 = 4, 1, 1, 4,
** 10 (x4's distances 3, sqrt 10, sqrt 13, sqrt 18).  Variant (0,2) (2,1)
** (1,0) (10,10), squared distances to x0..x4:
**   y0: 4=r0  5  8 13  1<10   -> 1 inside (x4); 4 = r0 is a tie, not inside
**   y1: 5  2  1=r2  2<4  8<10 -> 2 inside (x3, x4)
**   y2: 1<4  0<1  1=r2 4=r3 10=r4 -> 2 inside (x0, x1)
**   y3: far                   -> 0
** density = (1+2+2+0) / (2 * 4) = 5/8; covered: x0 (y2), x1 (y2), x3 (y1),
** x4 (y0), not x2 (its nearest variant rows are at 1 = r2): coverage 4/5. */
static const double TIE_X[5 * 2] = {0, 0, 1, 0, 2, 0, 3, 0, 0, 3};
static const double TIE_Y[4 * 2] = {0, 2, 2, 1, 1, 0, 10, 10};

QA_TEST(coverage_exact_ties_at_radius) {
  double x[10], y[8], r2[5];
  qa_error err = {0};
  const double want_r2[5] = {4, 1, 1, 4, 10};
  /* The same at offset 0 and 2^27: shifted, |x|^2 + |y|^2 - 2 x.y loses
  ** the ties (prdc's sklearn distances give coverage 0.4 and density 0.25
  ** there, coverage_ref.py), the exact-order differences do not. */
  for (int shift = 0; shift <= 1; shift++) {
    double off = shift ? 134217728.0 : 0;
    for (int t = 0; t < 10; t++) x[t] = TIE_X[t] + off;
    for (int t = 0; t < 8; t++) y[t] = TIE_Y[t] + off;
    CHECK_INT(qa_coverage_radii2(x, 5, 2, 2, 0, r2, NULL, &err), 0);
    for (int i = 0; i < 5; i++) CHECK_NEAR(r2[i], want_r2[i], 0);
    for (size_t tile = 0; tile <= 5; tile++)
      for (int exact = 0; exact <= 1; exact++) {
        qa_coverage_result r = coverage(x, 5, y, 4, 2, 2, tile, exact);
        CHECK_NEAR(r.coverage, 0.8, 0);
        CHECK_NEAR(r.density, 0.625, 0);
        CHECK(r.exact_checks >= 5);   /* the five tied pairs at least */
      }
  }
}

QA_TEST(coverage_identical_and_constant_sets) {
  double x[FX_N * FX_D], c[6 * 3];
  fixture_x(x);
  /* Y = X: y_i is at distance 0 < r_i from x_i (the fixture's rows are
  ** distinct), so coverage is 1. */
  qa_coverage_result r = coverage(x, FX_N, x, FX_N, FX_D, 5, 0, 0);
  CHECK_NEAR(r.coverage, 1, 0);
  CHECK_NEAR(r.density, coverage(x, FX_N, x, FX_N, FX_D, 5, 0, 1).density, 0);
  /* Every row equal: every r_i = 0 and nothing is < 0. */
  for (int t = 0; t < 18; t++) c[t] = 0.25 * (t % 3);
  r = coverage(c, 6, c, 6, 3, 2, 0, 0);
  CHECK_NEAR(r.coverage, 0, 0);
  CHECK_NEAR(r.density, 0, 0);
}

QA_TEST(coverage_gemm_equals_exact_with_ties) {
  /* Integer points of a small grid: many exact ties at the radius and
  ** duplicate rows (r_i = 0 for some), so that rows fall back to the
  ** exhaustive radius too; the GEMM path with its bound must equal the
  ** exact-order brute force for every tile, and the radii the k-th
  ** smallest of the sorted exact-order distances. */
  uint64_t seed = 12345;
  const size_t ns[4] = {12, 40, 75, 130}, ds[4] = {1, 3, 2, 5};
  for (int c = 0; c < 4; c++) {
    size_t n = ns[c], d = ds[c], m = n - 3;
    double *X = malloc(n * d * sizeof *X), *Y = malloc(m * d * sizeof *Y);
    double *r2 = malloc(n * sizeof *r2), *dist = malloc(n * sizeof *dist);
    qa_error err = {0};
    for (size_t t = 0; t < n * d; t++) X[t] = small_int(&seed, 4) * 0.5 - 3.0;
    for (size_t t = 0; t < m * d; t++) Y[t] = small_int(&seed, 5) * 0.5 - 3.0;
    if (c == 3) {
      /* The last grid shifted and scaled by inexact amounts: the ties are
      ** no longer exact, and the GEMM values of nearby pairs are off by
      ** far more than the exact-order ones (cancellation at |x| ~ 1000). */
      for (size_t t = 0; t < n * d; t++) X[t] = X[t] / 3 + 1000.3;
      for (size_t t = 0; t < m * d; t++) Y[t] = Y[t] / 3 + 1000.3;
    }
    for (size_t k = 1; k <= 9; k += 4) {
      CHECK_INT(qa_coverage_radii2(X, n, d, k, 7, r2, NULL, &err), 0);
      for (size_t i = 0; i < n; i++) {
        size_t q = 0;
        for (size_t j = 0; j < n; j++) {
          if (j == i) continue;
          double s = 0;
          for (size_t l = 0; l < d; l++) s += (X[i * d + l] - X[j * d + l]) * (X[i * d + l] - X[j * d + l]);
          dist[q++] = s;
        }
        for (size_t a = 1; a < q; a++)   /* insertion sort */
          for (size_t b = a; b > 0 && dist[b] < dist[b - 1]; b--) {
            double t = dist[b]; dist[b] = dist[b - 1]; dist[b - 1] = t;
          }
        CHECK_NEAR(r2[i], dist[k - 1], 0);
      }
      qa_coverage_result ex = coverage(X, n, Y, m, d, k, 0, 1);
      for (size_t tile = 1; tile <= n; tile += 1 + tile / 2) {
        qa_coverage_result g = coverage(X, n, Y, m, d, k, tile, 0);
        CHECK_NEAR(g.coverage, ex.coverage, 0);
        CHECK_NEAR(g.density, ex.density, 0);
      }
    }
    free(X); free(Y); free(r2); free(dist);
  }
}

QA_TEST(coverage_refusals) {
  double x[FX_N * FX_D];
  qa_coverage_result r;
  qa_error err = {0};
  fixture_x(x);
  CHECK_INT(qa_coverage_density(x, 5, x, 5, FX_D, 5, &r, &err), -1);
  CHECK_STR(err.msg, "knn_k = 5: coverage needs at least 1 neighbour and 6 baseline samples, "
                     "found 5");
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK(isnan(r.coverage) && isnan(r.density));
  CHECK_INT(qa_coverage_density(x, 5, x, 5, FX_D, 0, &r, &err), -1);
  CHECK_CONTAINS(err.msg, "knn_k = 0");
  CHECK_INT(qa_coverage_density(x, 6, x, 0, FX_D, 5, &r, &err), -1);
  CHECK_STR(err.msg, "coverage: the variant has no samples");
  CHECK_INT(qa_coverage_density(x, 6, x, 1, FX_D, 5, &r, &err), 0);   /* k = n - 1 works */
  /* Memory at N = M = 5000, k = 5: lists 20 * 13 * 5000 = 1,300,000 and
  ** cuts 40,000; norms and radii 8 * (3 * 5000 + 2 * 5000) = 200,000;
  ** flags 5000, counts 40,000; the 1024^2 tile 8,388,608 and its flags
  ** 1024; the k buffer 40: 9,974,672 bytes. */
  CHECK_INT(qa_coverage_bytes(5000, 5000, 5), 9974672);
}

/* ---- overlap_at ---------------------------------------------------------- */

QA_TEST(coverage_overlap_at_matches_numpy) {
  enum { K = 10 };
  double x[FX_N * FX_D], y[FX_N * FX_D], ov[K], one;
  int32_t a[FX_N * K], b[FX_N * K], ak[FX_N * K], bk[FX_N * K];
  qa_error err = {0};
  fixture_x(x);
  fixture_y_aligned(x, y);
  CHECK_INT(qa_knn_compute(x, FX_N, FX_D, K, 1, a, &err), 0);
  CHECK_INT(qa_knn_compute(y, FX_N, FX_D, K, 1, b, &err), 0);
  CHECK_INT(qa_overlap_at(a, b, FX_N, K, ov, &err), 0);
  /* NumPy: stable cosine rankings, |A_k n B_k| / k averaged (the fixture's
  ** similarity gaps are >= 6.7e-6, coverage_ref.py). */
  for (int k = 0; k < K; k++) CHECK_NEAR(ov[k], OVERLAP_AT[k], 1e-15);
  /* Each k equals the overlap of lists computed at that k. */
  for (size_t k = 1; k <= K; k++) {
    CHECK_INT(qa_knn_compute(x, FX_N, FX_D, k, 1, ak, &err), 0);
    CHECK_INT(qa_knn_compute(y, FX_N, FX_D, k, 1, bk, &err), 0);
    one = qa_neighbor_overlap(ak, bk, FX_N, k);
    CHECK_NEAR(ov[k - 1], one, 1e-15);
  }
}

QA_TEST(coverage_overlap_at_hand) {
  /* Row 0: A = 1 2 3 4, B = 2 1 4 9 -> k=1: 0, k=2: {1,2} 1, k=3: {1,2} 2/3,
  ** k=4: {1,2,4} 3/4.  Row 1: A = B = 0 2 3 4 -> 1 at every k. */
  const int32_t A[8] = {1, 2, 3, 4, 0, 2, 3, 4}, B[8] = {2, 1, 4, 9, 0, 2, 3, 4};
  double ov[4];
  qa_error err = {0};
  /* Neighbours are samples (indices < n): ten rows, rows 2..9 with equal
  ** lists (i+1, i+2, i+3, i+4 mod 10). */
  int32_t A10[40], B10[40];
  for (int i = 0; i < 10; i++)
    for (int r = 0; r < 4; r++) {
      A10[i * 4 + r] = i < 2 ? A[i * 4 + r] : (int32_t)((i + r + 1) % 10);
      B10[i * 4 + r] = i < 2 ? B[i * 4 + r] : (int32_t)((i + r + 1) % 10);
    }
  CHECK_INT(qa_overlap_at(A10, B10, 10, 4, ov, &err), 0);
  /* Rows 2..9 agree at every k (8 rows of overlap 1). */
  CHECK_NEAR(ov[0], (0 + 1 + 8) / 10.0, 1e-15);
  CHECK_NEAR(ov[1], (1 + 1 + 8) / 10.0, 1e-15);
  CHECK_NEAR(ov[2], (2.0 / 3 + 1 + 8) / 10.0, 1e-15);
  CHECK_NEAR(ov[3], (0.75 + 1 + 8) / 10.0, 1e-15);
  CHECK_INT(qa_overlap_at(A10, B10, 0, 4, ov, &err), 0);
  CHECK(isnan(ov[0]) && isnan(ov[3]));
}

/* ---- worst_samples ------------------------------------------------------- */

QA_TEST(coverage_worst_samples_ties) {
  /* Cosines with ties: 0.5 at rows 1, 4 and 6; 0.2 at rows 3 and 5.
  ** Lowest first, equal cosines by lower index: 3, 5, 1, 4, 6, ... */
  const double c[8] = {0.9, 0.5, 1.0, 0.2, 0.5, 0.2, 0.5, 0.95};
  const int32_t lab[8] = {0, 1, 0, 1, 1, 0, 0, 1};
  const int32_t pb[8] = {0, 1, 0, 0, 1, 0, 1, 1}, pv[8] = {0, 0, 0, 1, 1, 1, 1, 1};
  int32_t nb[16], nv[16];
  for (int i = 0; i < 8; i++) {   /* k = 2: base (i+1, i+2), variant (i+2, i+3) or equal */
    nb[2 * i] = (i + 1) % 8; nb[2 * i + 1] = (i + 2) % 8;
    nv[2 * i] = (i + 2) % 8; nv[2 * i + 1] = i == 5 ? (i + 1) % 8 : (i + 3) % 8;
  }
  qa_worst_input in = {c, 8, nb, nv, 2, lab, pb, pv};
  qa_worst_sample out[10];
  size_t n_out = 99;
  qa_error err = {0};
  CHECK_INT(qa_worst_samples(&in, 5, out, &n_out, &err), 0);
  CHECK_INT(n_out, 5);
  const size_t want[5] = {3, 5, 1, 4, 6};
  for (int t = 0; t < 5; t++) CHECK_INT(out[t].index, want[t]);
  CHECK_NEAR(out[0].cosine, 0.2, 0);
  CHECK_NEAR(out[2].cosine, 0.5, 0);
  /* neighbors_kept: {i+1, i+2} n {i+2, i+3} = 1; row 5 keeps both. */
  CHECK_INT(out[0].neighbors_kept, 1);
  CHECK_INT(out[1].neighbors_kept, 2);
  /* Row 3: label 1, base predicts 0 (wrong), variant 1 (right). */
  CHECK_INT(out[0].label, 1);
  CHECK_INT(out[0].knn_correct_base, 0);
  CHECK_INT(out[0].knn_correct_variant, 1);
  CHECK_INT(out[4].knn_correct_base, 0);              /* row 6: label 0, predicted 1 */
  /* More asked than there are: all 8; without lists or labels: -1. */
  qa_worst_input bare = {c, 8, NULL, NULL, 0, NULL, NULL, NULL};
  CHECK_INT(qa_worst_samples(&bare, 10, out, &n_out, &err), 0);
  CHECK_INT(n_out, 8);
  CHECK_INT(out[7].index, 2);                         /* the highest cosine last */
  CHECK_INT(out[0].neighbors_kept, -1);
  CHECK_INT(out[0].label, -1);
  CHECK_INT(out[0].knn_correct_base, -1);
  CHECK_INT(qa_worst_samples(&bare, 0, out, &n_out, &err), 0);
  CHECK_INT(n_out, 0);
}

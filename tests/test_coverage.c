/*
** Tests of src/analysis/coverage.c: coverage and density against a NumPy
** transcription of Naeem et al.'s reference code (prdc) on a fixture, hand
** cases with exact distance ties at the radius (also where GEMM distances
** lose them), the float32 and double GEMM paths against the exact-order
** brute force (random data, ties forced exactly at the radius, duplicates,
** rows from 2^-200 to 2^200, the fallbacks to double, N not a multiple of
** the tile), the float32 bound against the sgemm tile itself, overlap_at
** against NumPy and against repr.h's overlap at each k, and the worst
** samples' tie rule.
**
** Reference values: tests/ref/coverage_ref.py, pasted below between its
** markers, produced by
**     /usr/bin/python3 tests/ref/coverage_ref.py > /tmp/coverage_ref.c
*/
#include "harness.h"

#include <cblas.h>
#include <float.h>
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
                                   size_t d, size_t k, size_t tile, qa_coverage_method method) {
  qa_coverage_result r = {-1, -1, 0, QA_COVERAGE_EXACT};
  qa_error err = {0};
  if (qa_coverage_density_tiled(X, n, Y, m, d, k, tile, method, &r, &err) != 0)
    qa_test_fail(__FILE__, __LINE__, "coverage: %s", err.msg);
  return r;
}

static const qa_coverage_method METHODS[3] = {QA_COVERAGE_FLOAT32, QA_COVERAGE_DOUBLE,
                                              QA_COVERAGE_EXACT};

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
  for (int t = 0; t < 5; t++)
    for (int mt = 0; mt < 3; mt++) {
      qa_coverage_result a = coverage(x, FX_N, ya, FX_N, FX_D, 5, tiles[t], METHODS[mt]);
      qa_coverage_result o = coverage(x, FX_N, yo, FX_M, FX_D, 3, tiles[t], METHODS[mt]);
      CHECK_NEAR(a.coverage, ALIGNED_COVERAGE, 1e-15);
      CHECK_NEAR(a.density, ALIGNED_DENSITY, 1e-15);
      CHECK_NEAR(o.coverage, OTHER_COVERAGE, 1e-15);
      CHECK_NEAR(o.density, OTHER_DENSITY, 1e-15);
      CHECK_INT(a.method, METHODS[mt]);   /* the fixture is inside every path's range */
    }
  /* The radii: prdc's (k+1)-th smallest distance, itself included; the
  ** same bits on every path. */
  for (int mt = 0; mt < 3; mt++) {
    size_t checks = 0;
    CHECK_INT(qa_coverage_radii2(x, FX_N, FX_D, 5, 0, METHODS[mt], r2, &checks, &err), 0);
    for (int i = 0; i < FX_N; i++) CHECK_NEAR(sqrt(r2[i]), ALIGNED_RADII[i], 1e-15);   /* NumPy sums pairwise */
    /* Candidates recomputed: at least k per row, few more without ties
    ** (the brute force: all n - 1). */
    if (METHODS[mt] != QA_COVERAGE_EXACT) CHECK(checks >= 5 * FX_N && checks <= 14 * FX_N);
    else CHECK_INT(checks, FX_N * (FX_N - 1));
  }
  qa_coverage_result def = {0, 0, 0, QA_COVERAGE_EXACT};
  CHECK_INT(qa_coverage_density(x, FX_N, ya, FX_N, FX_D, 5, &def, &err), 0);
  CHECK_NEAR(def.coverage, ALIGNED_COVERAGE, 0);
  CHECK_INT(def.method, QA_COVERAGE_FLOAT32);   /* the default */
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
    for (int mt = 0; mt < 3; mt++) {
      CHECK_INT(qa_coverage_radii2(x, 5, 2, 2, 0, METHODS[mt], r2, NULL, &err), 0);
      for (int i = 0; i < 5; i++) CHECK_NEAR(r2[i], want_r2[i], 0);
    }
    for (size_t tile = 0; tile <= 5; tile++)
      for (int mt = 0; mt < 3; mt++) {
        qa_coverage_result r = coverage(x, 5, y, 4, 2, 2, tile, METHODS[mt]);
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
  for (int mt = 0; mt < 3; mt++) {
    qa_coverage_result r = coverage(x, FX_N, x, FX_N, FX_D, 5, 0, METHODS[mt]);
    CHECK_NEAR(r.coverage, 1, 0);
    CHECK_NEAR(r.density, coverage(x, FX_N, x, FX_N, FX_D, 5, 0, QA_COVERAGE_EXACT).density, 0);
    /* Every row equal: every r_i = 0 and nothing is < 0 (the float32
    ** frame's scale is then 2^0: no offset from the mean). */
    for (int t = 0; t < 18; t++) c[t] = 0.25 * (t % 3);
    r = coverage(c, 6, c, 6, 3, 2, 0, METHODS[mt]);
    CHECK_NEAR(r.coverage, 0, 0);
    CHECK_NEAR(r.density, 0, 0);
  }
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
      for (int mt = 0; mt < 3; mt++) {
        CHECK_INT(qa_coverage_radii2(X, n, d, k, 7, METHODS[mt], r2, NULL, &err), 0);
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
      }
      qa_coverage_result ex = coverage(X, n, Y, m, d, k, 0, QA_COVERAGE_EXACT);
      for (size_t tile = 1; tile <= n; tile += 1 + tile / 2)
        for (int mt = 0; mt < 2; mt++) {
          qa_coverage_result g = coverage(X, n, Y, m, d, k, tile, METHODS[mt]);
          CHECK_NEAR(g.coverage, ex.coverage, 0);
          CHECK_NEAR(g.density, ex.density, 0);
        }
    }
    free(X); free(Y); free(r2); free(dist);
  }
}

/* ---- The float32 path against the exact path -------------------------- */

/* Deterministic uniform doubles in [0, 1) (xorshift64*, 53 bits). */
static double unif(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (double)((*state * UINT64_C(2685821657736338717)) >> 11) * 0x1p-53;
}

/* Roughly normal: the sum of four uniforms, centred. */
static double normalish(uint64_t *state) {
  return unif(state) + unif(state) + unif(state) + unif(state) - 2.0;
}

/* The definition's squared distance (coverage.h), written out again. */
static double sqdist_def(const double *a, const double *b, size_t d) {
  double s = 0;
  for (size_t l = 0; l < d; l++) s += (a[l] - b[l]) * (a[l] - b[l]);
  return s;
}

/* Coverage and density of Y against X on every path and tile given, each
** equal to the brute force; the radii equal to the bit.  Returns the
** brute force; *f32_checks the float32 path's exact recomputations at the
** default tile. */
static qa_coverage_result all_paths_agree(const double *X, size_t n, const double *Y,
                                          size_t m, size_t d, size_t k, const size_t *tiles,
                                          int n_tiles, qa_coverage_method want_f32,
                                          size_t *f32_checks) {
  qa_error err = {0};
  qa_coverage_ref *ex = NULL;
  qa_coverage_result want = {0, 0, 0, QA_COVERAGE_EXACT};
  if (qa_coverage_ref_new(X, n, d, k, 0, QA_COVERAGE_EXACT, &ex, &err) ||
      qa_coverage_density_ref(ex, Y, m, &want, &err)) {
    qa_test_fail(__FILE__, __LINE__, "exact path: %s", err.msg);
    qa_coverage_ref_free(ex);
    return want;
  }
  for (int t = 0; t < n_tiles; t++)
    for (int mt = 0; mt < 2; mt++) {
      qa_coverage_ref *ref = NULL;
      qa_coverage_result got = {-1, -1, 0, QA_COVERAGE_EXACT};
      if (qa_coverage_ref_new(X, n, d, k, tiles[t], METHODS[mt], &ref, &err) ||
          qa_coverage_density_ref(ref, Y, m, &got, &err)) {
        qa_test_fail(__FILE__, __LINE__, "path %d tile %zu: %s", mt, tiles[t], err.msg);
        qa_coverage_ref_free(ref);
        continue;
      }
      CHECK(memcmp(qa_coverage_ref_radii2(ref), qa_coverage_ref_radii2(ex), n * sizeof(double)) == 0);
      CHECK_NEAR(got.coverage, want.coverage, 0);
      CHECK_NEAR(got.density, want.density, 0);
      if (METHODS[mt] == QA_COVERAGE_FLOAT32) {
        CHECK_INT(got.method, want_f32);
        if (t == 0 && f32_checks) *f32_checks = got.exact_checks;
      }
      qa_coverage_ref_free(ref);
    }
  qa_coverage_ref_free(ex);
  return want;
}

QA_TEST(coverage_f32_random_with_forced_ties) {
  /* Five clusters in 48 dimensions, n = 1100 (not a multiple of the 1024
  ** tile, nor of 100 or 7).  The variant holds 300 exact copies of
  ** baseline rows, so that every baseline row whose k-th neighbour is
  ** copied has a variant row at exactly its radius (the same subtraction
  ** and sum: t = r^2 to the bit; '<' says not inside), then noisy rows
  ** and a few far ones. */
  enum { N = 1100, M = 1000, D = 48 };
  uint64_t seed = 2024;
  double *X = malloc(N * D * sizeof *X), *Y = malloc(M * D * sizeof *Y), c[5 * D];
  for (int t = 0; t < 5 * D; t++) c[t] = 3.0 * normalish(&seed);
  for (int i = 0; i < N; i++)
    for (int l = 0; l < D; l++) X[i * D + l] = c[(i % 5) * D + l] + normalish(&seed) + 0.25;
  for (int j = 0; j < M; j++)
    for (int l = 0; l < D; l++) {
      const double *x = X + (size_t)((j * 7 + 3) % N) * D;
      Y[j * D + l] = j < 300 ? x[l] : j < 990 ? x[l] + 0.3 * normalish(&seed) : 40.0 + x[l];
    }
  const size_t tiles[3] = {0, 100, 7};
  for (size_t k = 5; k <= 10; k += 5) {
    size_t checks = 0;
    qa_coverage_result want = all_paths_agree(X, N, Y, M, D, k, tiles, k == 5 ? 3 : 1,
                                              QA_COVERAGE_FLOAT32, &checks);
    CHECK(want.coverage > 0.9 && want.density > 0.5);   /* not degenerate: 0.996 / 0.80 at k = 5 */
    /* The ties are there, and the float32 path recomputed each of them
    ** (its bound cannot decide t = r^2). */
    double r2[N];
    qa_error err = {0};
    CHECK_INT(qa_coverage_radii2(X, N, D, k, 0, QA_COVERAGE_EXACT, r2, NULL, &err), 0);
    size_t ties = 0;
    for (int i = 0; i < N; i++)
      for (int j = 0; j < 300; j++) ties += sqdist_def(X + i * D, Y + j * D, D) == r2[i];
    CHECK(ties >= 100);
    CHECK(checks >= ties);
  }
  free(X); free(Y);
}

QA_TEST(coverage_f32_magnitudes_and_fallbacks) {
  /* Rows scaled by 2^-200 ... 2^200 (nine steps of 2^50): the frame's
  ** scale is set by the largest, the small rows' images flush to 0, and
  ** the bound's absolute terms send their pairs to the exact path.
  ** Variant: copies of baseline rows (ties at the radius) and noisy rows
  ** of the same magnitudes. */
  enum { N = 140, M = 130, D = 6 };
  uint64_t seed = 99;
  double X[N * D], Y[M * D], big[N * D];
  for (int i = 0; i < N; i++)
    for (int l = 0; l < D; l++) X[i * D + l] = ldexp(normalish(&seed), -200 + 50 * (i % 9));
  for (int j = 0; j < M; j++)
    for (int l = 0; l < D; l++) {
      const double *x = X + (size_t)((j * 11 + 5) % N) * D;
      Y[j * D + l] = j % 3 == 0 ? x[l] : x[l] * (1.0 + 0.05 * normalish(&seed));
    }
  const size_t tiles[2] = {0, 9};
  qa_coverage_result want = all_paths_agree(X, N, Y, M, D, 3, tiles, 2, QA_COVERAGE_FLOAT32, NULL);
  CHECK(want.coverage > 0 && want.density > 0);
  /* The float32 path refuses what its bound does not cover, and the
  ** double path takes over with the same results: a baseline whose
  ** offsets from the mean reach 2^451 or stay below 2^-449 ... */
  qa_error err = {0};
  for (int e = 0; e < 2; e++) {
    for (int t = 0; t < N * D; t++) big[t] = ldexp(X[t], e ? 250 : -650);
    double Yb[M * D];
    for (int t = 0; t < M * D; t++) Yb[t] = ldexp(Y[t], e ? 250 : -650);
    qa_coverage_ref *ref = NULL;
    CHECK_INT(qa_coverage_ref_new(big, N, D, 3, 0, QA_COVERAGE_FLOAT32, &ref, &err), 0);
    CHECK_INT(qa_coverage_ref_method(ref), QA_COVERAGE_DOUBLE);
    qa_coverage_ref_free(ref);
    all_paths_agree(big, N, Yb, M, D, 3, tiles, 1, QA_COVERAGE_DOUBLE, NULL);
  }
  /* ... a variant whose offsets reach 2^40 times the baseline's scale ... */
  double Yf[M * D];
  for (int t = 0; t < M * D; t++) Yf[t] = t == 5 * D + 2 ? ldexp(1.0, 242) : Y[t];
  all_paths_agree(X, N, Yf, M, D, 3, tiles, 1, QA_COVERAGE_DOUBLE, NULL);
  /* ... and more than 65536 dimensions. */
  enum { NW = 6, DW = 65537 };
  double *W = malloc(NW * DW * sizeof *W);
  for (int t = 0; t < NW * DW; t++) W[t] = normalish(&seed);
  const size_t one[1] = {0};
  all_paths_agree(W, NW, W + DW, NW - 1, DW, 2, one, 1, QA_COVERAGE_DOUBLE, NULL);
  free(W);
}

QA_TEST(coverage_ref_serves_every_variant) {
  /* One reference, several variants: the same numbers as one call each;
  ** its radii are qa_coverage_radii2's. */
  double x[FX_N * FX_D], ya[FX_N * FX_D], yo[FX_M * FX_D], r2[FX_N];
  qa_error err = {0};
  fixture_x(x);
  fixture_y_aligned(x, ya);
  fixture_y_other(yo);
  qa_coverage_ref *ref = NULL;
  CHECK_INT(qa_coverage_ref_new(x, FX_N, FX_D, 5, 0, QA_COVERAGE_FLOAT32, &ref, &err), 0);
  CHECK_INT(qa_coverage_ref_method(ref), QA_COVERAGE_FLOAT32);
  CHECK(qa_coverage_ref_checks(ref) >= 5 * FX_N);
  CHECK_INT(qa_coverage_radii2(x, FX_N, FX_D, 5, 0, QA_COVERAGE_DOUBLE, r2, NULL, &err), 0);
  CHECK(memcmp(qa_coverage_ref_radii2(ref), r2, sizeof r2) == 0);
  for (int rep = 0; rep < 2; rep++) {
    qa_coverage_result a, o;
    CHECK_INT(qa_coverage_density_ref(ref, ya, FX_N, &a, &err), 0);
    CHECK_INT(qa_coverage_density_ref(ref, yo, FX_M, &o, &err), 0);
    qa_coverage_result a1 = coverage(x, FX_N, ya, FX_N, FX_D, 5, 0, QA_COVERAGE_EXACT);
    qa_coverage_result o1 = coverage(x, FX_N, yo, FX_M, FX_D, 5, 0, QA_COVERAGE_EXACT);
    CHECK_NEAR(a.coverage, a1.coverage, 0);
    CHECK_NEAR(a.density, a1.density, 0);
    CHECK_NEAR(o.coverage, o1.coverage, 0);
    CHECK_NEAR(o.density, o1.density, 0);
  }
  qa_coverage_result none;
  CHECK_INT(qa_coverage_density_ref(ref, ya, 0, &none, &err), -1);
  CHECK_STR(err.msg, "coverage: the variant has no samples");
  qa_coverage_ref_free(ref);
  qa_coverage_ref_free(NULL);
}

/* ---- The float32 bound against the sgemm tile --------------------------- */

/* The largest ratio, over every pair of rows of A (na x d) and B (nb x d),
** of the sgemm tile's error to its bound (dot_max) and of the whole
** float32 estimate's error to E (est_max), the images made as coverage.c's
** header says with centre mu and the scale of A's largest offset. */
static void f32_bound_ratios(const double *A, size_t na, const double *B, size_t nb,
                             size_t d, const double *mu, double *dot_max, double *est_max) {
  double top = 0;
  for (size_t t = 0; t < na * d; t++) top = fmax(top, fabs(A[t] - mu[t % d]));
  int s = 0;
  if (top > 0) frexp(top, &s);
  double p = ldexp(1.0, -s);
  qa_coverage_f32_bound b = qa_coverage_f32_bound_of(d, s);
  float *fa = malloc(na * d * sizeof *fa), *fb = malloc(nb * d * sizeof *fb);
  float *G = malloc(na * nb * sizeof *G);
  double *Fa = malloc(na * sizeof *Fa), *Fb = malloc(nb * sizeof *Fb);
  long double *La = malloc(na * sizeof *La), *Lb = malloc(nb * sizeof *Lb);
  for (int side = 0; side < 2; side++) {
    const double *S = side ? B : A;
    float *f = side ? fb : fa;
    double *F = side ? Fb : Fa;
    long double *L = side ? Lb : La;
    for (size_t i = 0; i < (side ? nb : na); i++) {
      F[i] = 0;
      L[i] = 0;
      for (size_t l = 0; l < d; l++) {
        float v = (float)((S[i * d + l] - mu[l]) * p);
        f[i * d + l] = fabsf(v) < FLT_MIN ? 0.0f : v;
        F[i] += (double)f[i * d + l] * f[i * d + l];
        L[i] += (long double)f[i * d + l] * f[i * d + l];
      }
    }
  }
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)na, (int)nb, (int)d, 1.0f, fa,
              (int)d, fb, (int)d, 0.0f, G, (int)nb);
  *dot_max = *est_max = 0;
  for (size_t i = 0; i < na; i++)
    for (size_t j = 0; j < nb; j++) {
      long double dot = 0;   /* products of floats are exact in double */
      for (size_t l = 0; l < d; l++) dot += (double)fa[i * d + l] * fb[j * d + l];
      double c = G[i * nb + j];
      double dot_bound = b.dot_rel * (double)sqrtl(La[i] * Lb[j]) + b.dot_abs;
      *dot_max = fmax(*dot_max, (double)fabsl((long double)c - dot) / dot_bound);
      double nu_a = (sqrt(Fa[i]) * (1 + 0x1p-30) + sqrt((double)d) * 0x1p-126) * (1 + 0x1p-23);
      double nu_b = (sqrt(Fb[j]) * (1 + 0x1p-30) + sqrt((double)d) * 0x1p-126) * (1 + 0x1p-23);
      double V = nu_a + nu_b;
      double E = b.alpha * nu_a * nu_b + b.beta2 * V * V + b.beta1 * V + b.beta0;
      double g = (Fa[i] + Fb[j]) - 2.0 * c;
      long double tp2 = ldexpl((long double)sqdist_def(A + i * d, B + j * d, d), -2 * s);
      *est_max = fmax(*est_max, (double)(fabsl((long double)g - tp2) / E));
    }
  free(fa); free(fb); free(G); free(Fa); free(Fb); free(La); free(Lb);
}

QA_TEST(coverage_f32_bound_holds_on_sgemm_tiles) {
  /* The bound is proven; this checks it against the machine: every pair's
  ** sgemm error and whole-estimate error stay below their bounds, on
  ** centred normal-like rows, on same-sign rows in an uncentred frame
  ** (every product adds in the same direction: the worst case for
  ** accumulated rounding), and on rows of mixed magnitudes whose images
  ** lose digits to the flush below 2^-126. */
  enum { NA = 48, NB = 40 };
  uint64_t seed = 7;
  const size_t dims[2] = {768, 4096};
  for (int di = 0; di < 2; di++) {
    size_t d = dims[di];
    double *A = malloc(NA * d * sizeof *A), *B = malloc(NB * d * sizeof *B);
    double *mu = calloc(d, sizeof *mu), *zero = calloc(d, sizeof *zero);
    for (int kind = 0; kind < 3; kind++) {
      for (size_t t = 0; t < NA * d; t++)
        A[t] = kind == 1 ? 0.5 + unif(&seed) : normalish(&seed);
      for (size_t t = 0; t < NB * d; t++)
        B[t] = kind == 1 ? 0.5 + unif(&seed) : A[t % (NA * d)] + 0.1 * normalish(&seed);
      if (kind == 2)
        for (size_t t = 0; t < NA * d; t++) {
          A[t] = ldexp(A[t], -(int)(t / d % 6) * 30);
          if (t < NB * d) B[t] = ldexp(B[t], -(int)(t / d % 5) * 33);
        }
      for (size_t l = 0; l < d; l++) {
        mu[l] = 0;
        for (size_t i = 0; i < NA; i++) mu[l] += A[i * d + l];
        mu[l] /= NA;
      }
      double dot_max, est_max;
      f32_bound_ratios(A, NA, B, NB, d, kind == 1 ? zero : mu, &dot_max, &est_max);
      CHECK(dot_max <= 1);
      CHECK(est_max <= 1);
      CHECK(dot_max > 0 && est_max > 0);   /* the tile did round */
    }
    free(A); free(B); free(mu); free(zero);
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
  /* Memory at N = M = 5000, D = 768, k = 5 (the float32 path's phases
  ** are the larger): kept by the reference 8 * 5 * 5000 + 8 * 768 =
  ** 206,144; the radii, lists 20 * 13 * 5000 + cuts 40,000 + k buffer 40
  ** + index batch 256 = 1,340,296 with X's images 4 * 5000 * 768 =
  ** 15,360,000, the float tile 4 * 1024^2 = 4,194,304 and a row of bounds
  ** 8,192: 20,902,792; a variant, flags 5000 + counts 40,000 with Y's
  ** images 15,360,000 and terms 120,000, a tile of X's images 3,145,728,
  ** the float tile 4,194,304 and a row of bounds 8,192: 22,873,224, the
  ** larger.  206,144 + 22,873,224 = 23,079,368. */
  CHECK_INT(qa_coverage_bytes(5000, 5000, 768, 5), 23079368);
  CHECK(qa_coverage_bytes(SIZE_MAX / 2, 5, 768, 5) == UINT64_MAX);
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

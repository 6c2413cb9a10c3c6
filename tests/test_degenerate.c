/*
** Degenerate hidden states (issue 10, "Degenerate inputs must not crash
** it"): the repr.c primitives on closed-form cases (N = 1, 2, 3, zero and
** constant states, D >> N, the Gram path against the covariance path),
** and ./qaudit report end to end on tiny caches built here: exit 0 with
** the documented numbers (null where one does not exist), or the exact
** one-line error.  Expected values carry their source beside them; the
** NumPy ones were computed with /usr/bin/python3 (NumPy 1.24.2).
*/
#include "badinput_util.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "analysis/repr.h"

/* ---- helpers ------------------------------------------------------------ */

/* Deterministic uniform numbers in [-1, 1) (xorshift64*). */
static double uniform(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (double)((*state * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0 * 2 - 1;
}

static double *random_matrix(size_t n, size_t d, uint64_t seed) {
  double *m = malloc(n * d * sizeof *m);
  for (size_t i = 0; m && i < n * d; i++) m[i] = uniform(&seed);
  return m;
}

/* |a - b| <= tol * scale, NaN never passes. */
#define CHECK_REL(got, want, scale, tol) CHECK_NEAR((got), (want), (tol) * (scale))

#define CHECK_NAN(x)                                                            \
  do { double x_ = (x);                                                         \
       if (!isnan(x_)) qa_test_fail(__FILE__, __LINE__, "%s = %.17g, want NaN", #x, x_); \
  } while (0)

/* ---- unit: closed forms -------------------------------------------------- */

/* Two distinct rows x1, x2: the centred rows are +-(x1-x2)/2, so the
** covariance (divisor n-1 = 1) is dd'/2 with d = x1 - x2: one eigenvalue
** |d|^2/2, the rest 0; effective rank exp(0) = 1 exactly, participation
** ratio 1; PCA axis 1 = d/|d| (signed), axis 2 has no variance: zeros. */
QA_TEST(degen_two_samples_rank_one) {
  static const size_t dims[] = {1, 2, 3, 5, 9};
  for (size_t t = 0; t < sizeof dims / sizeof *dims; t++) {
    size_t d = dims[t];
    double X[2 * 9], eig[9], axes[2 * 9], mean[9], dd = 0, frob2 = 0;
    for (size_t j = 0; j < d; j++) {
      X[j] = 0.5 * (double)j - 1.0;
      X[d + j] = X[j] + (j % 2 ? 0.25 : -0.75);
      dd += (X[j] - X[d + j]) * (X[j] - X[d + j]);
    }
    for (int path = QA_REPR_PATH_COVARIANCE; path <= QA_REPR_PATH_GRAM; path++) {
      qa_error err = {0};
      CHECK_INT(qa_repr_data_spectrum(X, 2, d, (qa_repr_path)path, eig, &frob2, &err), 0);
      CHECK_REL(eig[0], dd / 2, dd, 1e-14);
      for (size_t j = 1; j < d; j++) CHECK_NEAR(eig[j], 0, 1e-14 * dd);
      CHECK_INT(qa_repr_effective_rank(eig, d) == 1.0, 1);        /* exactly exp(0) */
      CHECK_REL(qa_repr_participation_ratio(eig, d), 1.0, 1, 1e-12);
      CHECK_REL(frob2, dd * dd / 4, dd * dd, 1e-13);               /* |dd'/2|_F^2 */
      if (d < 2) continue;
      CHECK_INT(qa_repr_pca_axes_path(X, 2, d, (qa_repr_path)path, mean, axes, &err), 0);
      double big = 0;
      size_t at = 0;
      for (size_t j = 0; j < d; j++)
        if (fabs(X[d + j] - X[j]) > big) { big = fabs(X[d + j] - X[j]); at = j; }
      double sign = X[d + at] - X[at] > 0 ? 1 : -1;
      for (size_t j = 0; j < d; j++) {
        CHECK_NEAR(axes[j], sign * (X[d + j] - X[j]) / sqrt(dd), 1e-12);
        CHECK_INT(axes[d + j] == 0.0, 1);
        CHECK_NEAR(mean[j], (X[j] + X[d + j]) / 2, 1e-15);
      }
    }
  }
}

/* All-zero states: every eigenvalue 0 -> effective rank and participation
** ratio NaN (no l_max > 0, STATISTICS.md); both PCA axes have no variance
** (zeros); CKA, Spearman and SQNR (zero error) NaN; cosine 1 (both zero);
** kNN: every similarity is 1 (two zero rows), so ties go to lower index. */
QA_TEST(degen_zero_states) {
  static const size_t dims[] = {3, 7};
  for (size_t t = 0; t < 2; t++) {
    size_t n = 4, d = dims[t];
    double X[4 * 7] = {0}, eig[7], axes[14], mean[7], c[4], cka, rho, frob2;
    qa_error err = {0};
    CHECK_INT(qa_repr_data_spectrum(X, n, d, QA_REPR_PATH_AUTO, eig, &frob2, &err), 0);
    for (size_t j = 0; j < d; j++) CHECK_INT(eig[j] == 0.0, 1);
    CHECK_INT(frob2 == 0.0, 1);
    CHECK_NAN(qa_repr_effective_rank(eig, d));
    CHECK_NAN(qa_repr_participation_ratio(eig, d));
    CHECK_INT(qa_repr_pca_axes(X, n, d, mean, axes, &err), 0);
    for (size_t j = 0; j < 2 * d; j++) CHECK_INT(axes[j] == 0.0, 1);
    CHECK_INT(qa_repr_cka_linear(X, X, n, d, &cka, &err), 0);
    CHECK_NAN(cka);
    CHECK_INT(qa_repr_spearman(X, X, n, d, 1000, &rho, NULL, &err), 0);
    CHECK_NAN(rho);
    CHECK_NAN(qa_repr_sqnr_db(X, X, n, d));
    qa_repr_cosine(X, X, n, d, c);
    for (size_t i = 0; i < n; i++) CHECK_INT(c[i] == 1.0, 1);
    int32_t nbr[4 * 2];
    CHECK_INT(qa_knn_compute(X, n, d, 2, 1, nbr, &err), 0);
    static const int32_t want[8] = {1, 2, 0, 2, 0, 1, 0, 1};   /* lower index first */
    for (int i = 0; i < 8; i++) CHECK_INT(nbr[i], want[i]);
  }
}

/* Identical rows: each column is constant, so its mean is exactly its
** value and the centred states are exact zeros (not 1e-17 noise): zero
** spectrum (effective rank NaN), CKA NaN, zero axes.  0.1 + 0.1 + 0.1 is
** not 0.3 in binary, so sum/3 alone would leave rounding noise. */
QA_TEST(degen_identical_rows) {
  enum { N = 3, D = 4 };
  static const double row[D] = {0.1, 0.2, 0.7, -1.3};
  double X[N * D], Y[N * D], eig[D], axes[2 * D], mean[D], cka, frob2;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++) {
      X[i * D + j] = row[j];
      Y[i * D + j] = row[j] + 0.01 * i * j;   /* has variance */
    }
  qa_error err = {0};
  for (int path = QA_REPR_PATH_COVARIANCE; path <= QA_REPR_PATH_GRAM; path++) {
    CHECK_INT(qa_repr_data_spectrum(X, N, D, (qa_repr_path)path, eig, &frob2, &err), 0);
    for (int j = 0; j < D; j++) CHECK_INT(eig[j] == 0.0, 1);
    CHECK_NAN(qa_repr_effective_rank(eig, D));
    CHECK_INT(qa_repr_cka_linear_path(X, Y, N, D, (qa_repr_path)path, &cka, &err), 0);
    CHECK_NAN(cka);
    CHECK_INT(qa_repr_pca_axes_path(X, N, D, (qa_repr_path)path, mean, axes, &err), 0);
    for (int j = 0; j < 2 * D; j++) CHECK_INT(axes[j] == 0.0, 1);
    for (int j = 0; j < D; j++) CHECK_INT(mean[j] == row[j], 1);
  }
}

/* Effective rank and participation ratio on given spectra (closed form):
** [5, 0, 0] -> 1 and 1; [1, 1] -> exp(ln 2) = 2 and 4/2 = 2; [0] -> NaN. */
QA_TEST(degen_effective_rank_closed_forms) {
  double one[3] = {5, 0, 0}, two[2] = {1, 1}, zero[1] = {0};
  CHECK_INT(qa_repr_effective_rank(one, 3) == 1.0, 1);
  CHECK_INT(qa_repr_participation_ratio(one, 3) == 1.0, 1);
  CHECK_NEAR(qa_repr_effective_rank(two, 2), 2.0, 1e-15);
  CHECK_NEAR(qa_repr_participation_ratio(two, 2), 2.0, 1e-15);
  CHECK_NAN(qa_repr_effective_rank(zero, 1));
  CHECK_NAN(qa_repr_participation_ratio(zero, 1));
}

/* Spearman with one side constant (all rows equal: every distance the
** same) and CKA with zero variance on one side: both NaN (no spread). */
QA_TEST(degen_spearman_cka_constant_side) {
  enum { N = 5, D = 3 };
  double *X = random_matrix(N, D, 7), Y[N * D], rho, cka;
  for (int i = 0; i < N * D; i++) Y[i] = (double)(i % D) + 1.0;   /* rows [1,2,3] */
  qa_error err = {0};
  CHECK_INT(qa_repr_spearman(X, Y, N, D, 1000, &rho, NULL, &err), 0);
  CHECK_NAN(rho);
  CHECK_INT(qa_repr_cka_linear(X, Y, N, D, &cka, &err), 0);
  CHECK_NAN(cka);
  /* N = 2: one pair, no correlation exists. */
  CHECK_INT(qa_repr_spearman(X, X, 2, D, 1000, &rho, NULL, &err), 0);
  CHECK_NAN(rho);
  free(X);
}

/* D > N against NumPy: x[i][j] = sin(1.3 i + 0.7 j) + 0.1 j, y = x +
** 0.05 cos(2.1 i j), N = 5, D = 12 (the Gram path is taken).
**   lam = np.sort(np.linalg.eigvalsh(np.cov(m.T)))[::-1]
**   x: lam[:2] = 3.99388770e+00, 3.46254597e+00 (rank 2: sin(a+b) spans
**      sin, cos; 0.1 j is removed by centring), eff. rank 1.9949242293682181,
**      PR 1.9898954776760693
**   y: eff. rank 2.0149918255038166, PR 1.9967520344934548
**   cka(x, y) = 0.9998716662476745 (test_repr.c's cka())
**   PCA: v = eigh(np.cov(x.T)) leading two, signed; v[:3,0] = 0.26450922,
**   0.38507163, 0.32452885; v[:3,1] = 0.30968164, 0.04241009, -0.24480759
**   (y[:2]-mean) @ v = [[1.87228358, -1.49288761], [2.20069197, 1.3078585]] */
QA_TEST(degen_wide_matches_numpy) {
  enum { N = 5, D = 12 };
  double x[N * D], y[N * D], eig[D], axes[2 * D], mean[D], xy[4], cka, fx, fy;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < D; j++) {
      x[i * D + j] = sin(1.3 * i + 0.7 * j) + 0.1 * j;
      y[i * D + j] = x[i * D + j] + 0.05 * cos(2.1 * i * j);
    }
  qa_error err = {0};
  CHECK_INT(qa_repr_data_spectrum(x, N, D, QA_REPR_PATH_AUTO, eig, &fx, &err), 0);
  CHECK_NEAR(eig[0], 3.99388770e+00, 1e-8);
  CHECK_NEAR(eig[1], 3.46254597e+00, 1e-8);
  CHECK_NEAR(qa_repr_effective_rank(eig, D), 1.9949242293682181, 1e-10);
  CHECK_NEAR(qa_repr_participation_ratio(eig, D), 1.9898954776760693, 1e-10);
  CHECK_INT(qa_repr_data_spectrum(y, N, D, QA_REPR_PATH_AUTO, eig, &fy, &err), 0);
  CHECK_NEAR(qa_repr_effective_rank(eig, D), 2.0149918255038166, 1e-10);
  CHECK_NEAR(qa_repr_participation_ratio(eig, D), 1.9967520344934548, 1e-10);
  CHECK_INT(qa_repr_cka_linear_known(x, y, N, D, fx, fy, &cka, &err), 0);
  CHECK_NEAR(cka, 0.9998716662476745, 1e-12);
  CHECK_INT(qa_repr_pca_axes(x, N, D, mean, axes, &err), 0);
  CHECK_NEAR(axes[0], 0.26450922, 1e-8);
  CHECK_NEAR(axes[1], 0.38507163, 1e-8);
  CHECK_NEAR(axes[2], 0.32452885, 1e-8);
  CHECK_NEAR(axes[D + 0], 0.30968164, 1e-8);
  CHECK_NEAR(axes[D + 1], 0.04241009, 1e-8);
  CHECK_NEAR(axes[D + 2], -0.24480759, 1e-8);
  qa_repr_project(y, 2, D, mean, axes, xy);
  CHECK_NEAR(xy[0], 1.87228358, 1e-7);
  CHECK_NEAR(xy[1], -1.49288761, 1e-7);
  CHECK_NEAR(xy[2], 2.20069197, 1e-7);
  CHECK_NEAR(xy[3], 1.3078585, 1e-7);
}

/* The Gram path (N*N) against the covariance path (D*D) on the same data,
** D below, equal to and above N: eigenvalues, effective rank,
** participation ratio, |Xc'Xc|_F^2, CKA and the PCA axes agree to 1e-10
** relative (the nonzero eigenvalues of X'X and XX' are the same, the axis
** is Xc'u / |Xc'u|). */
QA_TEST(degen_gram_path_matches_covariance_path) {
  static const size_t shapes[][2] = {{10, 9}, {10, 10}, {10, 11}, {5, 40}, {40, 6}, {3, 3}};
  for (size_t t = 0; t < sizeof shapes / sizeof *shapes; t++) {
    size_t n = shapes[t][0], d = shapes[t][1];
    double *X = random_matrix(n, d, 11 + t), *Y = random_matrix(n, d, 101 + t);
    double *ec = malloc(d * sizeof *ec), *eg = malloc(d * sizeof *eg);
    double *ac = malloc(2 * d * sizeof *ac), *ag = malloc(2 * d * sizeof *ag);
    double *mc = malloc(d * sizeof *mc), *mg = malloc(d * sizeof *mg);
    double fc, fg, kc, kg;
    for (size_t i = 0; i < n * d; i++) Y[i] = X[i] + 0.3 * Y[i];
    qa_error err = {0};
    CHECK_INT(qa_repr_data_spectrum(X, n, d, QA_REPR_PATH_COVARIANCE, ec, &fc, &err), 0);
    CHECK_INT(qa_repr_data_spectrum(X, n, d, QA_REPR_PATH_GRAM, eg, &fg, &err), 0);
    for (size_t j = 0; j < d; j++) CHECK_REL(eg[j], ec[j], ec[0], 1e-10);
    CHECK_REL(qa_repr_effective_rank(eg, d), qa_repr_effective_rank(ec, d), 1, 1e-10);
    CHECK_REL(qa_repr_participation_ratio(eg, d), qa_repr_participation_ratio(ec, d), 1,
              1e-10);
    CHECK_REL(fg, fc, fc, 1e-10);
    CHECK_INT(qa_repr_cka_linear_path(X, Y, n, d, QA_REPR_PATH_COVARIANCE, &kc, &err), 0);
    CHECK_INT(qa_repr_cka_linear_path(X, Y, n, d, QA_REPR_PATH_GRAM, &kg, &err), 0);
    CHECK_REL(kg, kc, 1, 1e-10);
    CHECK_INT(qa_repr_pca_axes_path(X, n, d, QA_REPR_PATH_COVARIANCE, mc, ac, &err), 0);
    CHECK_INT(qa_repr_pca_axes_path(X, n, d, QA_REPR_PATH_GRAM, mg, ag, &err), 0);
    for (size_t j = 0; j < 2 * d; j++) CHECK_NEAR(ag[j], ac[j], 1e-10);
    for (size_t j = 0; j < d; j++) CHECK_INT(mg[j] == mc[j], 1);
    free(X); free(Y); free(ec); free(eg); free(ac); free(ag); free(mc); free(mg);
  }
}

/* The eigenproblem limits: min(N, D) up to 46340 (46340^2 < 2^31 <=
** 46341^2) and the bytes of qa_repr_eigen_bytes within the budget.
** [300, 300] takes the covariance path: one 300^2 matrix plus two centred
** blocks of 300 rows by 300 = 3 * 90000 doubles = 2160000 bytes.
** [4, 14000] takes the Gram path: two 4^2 matrices plus two 4*512 column
** blocks = 32 + 4096 doubles = 33024 bytes. */
QA_TEST(degen_eigen_limits) {
  qa_error err = {0};
  CHECK_INT(qa_repr_eigen_bytes(300, 300), 2160000);
  CHECK_INT(qa_repr_eigen_bytes(4, 14000), 33024);
  CHECK_INT(qa_repr_eigen_check(300, 300, 2160000, "available", &err), 0);
  CHECK_INT(qa_repr_eigen_check(300, 300, 2159999, "available", &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_STR(err.msg, "hidden states [300, 300]: the spectrum, PCA and CKA need 0.00216 GB "
                     "for matrices of order min(N, D) = 300, more than the 0.00216 GB "
                     "available");
  CHECK_INT(qa_repr_eigen_check(46341, 46341, UINT64_MAX, "available", &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_STR(err.msg, "hidden states [46341, 46341]: the spectrum and PCA need an "
                     "eigen-decomposition of order min(N, D) = 46341, more than the 46340 "
                     "that LAPACK's 32-bit indices allow");
  CHECK_INT(qa_repr_eigen_check(46340, 46341, UINT64_MAX, "available", &err), 0);
  CHECK_INT(qa_repr_eigen_check(3, 46341, UINT64_MAX, "available", &err), 0);
  CHECK_INT(qa_repr_eigen_check(1, 1000000, 0, "available", &err), 0);   /* N = 1: none */
  CHECK_INT(qa_repr_eigen_bytes(46341, 46341) == UINT64_MAX, 1);
}

/* ---- end to end ------------------------------------------------------------ */

/* A minimal cache: names, labels i % 2 and /hidden/final [n, d] stored as
** ftype (gzip-chunked when gzip). */
static void write_layer_cache(const char *path, const char *variant, size_t n, size_t d,
                              const double *hidden, hid_t ftype, int gzip) {
  hid_t f = fx_create(path);
  int64_t *labels = malloc(n * sizeof *labels);
  hsize_t nd[2] = {n, d}, n1[1] = {n};
  int rc = f < 0 || !labels;
  for (size_t i = 0; labels && i < n; i++) labels[i] = (int64_t)(i % 2);
  if (!rc) {
    rc |= fx_attr_str(f, "model", "m");
    rc |= fx_attr_str(f, "variant", variant);
    rc |= fx_ints(f, "/samples/label", H5T_STD_I32LE, 1, n1, labels);
    rc |= fx_floats(f, "/hidden/final", ftype, 2, nd, hidden, gzip);
  }
  fx_close(f);
  free(labels);
  if (rc) qa_test_fail(__FILE__, __LINE__, "cannot write %s", path);
}

/* A case with base.h5 = X and var.h5 = Y ([n, d], float64) and the pair
** config (extra members appended). */
static void degen_case(bi_case *c, const char *name, size_t n, size_t d, const double *X,
                       const double *Y, const char *extra) {
  bi_case_init(c, name);
  write_layer_cache(bi_path(c, "base.h5"), "base", n, d, X, H5T_IEEE_F64LE, 0);
  write_layer_cache(bi_path(c, "var.h5"), "var", n, d, Y, H5T_IEEE_F64LE, 0);
  bi_config_pair(c, extra);
}

/* Runs the report and returns its parsed report.json (NULL, with a failure
** recorded, when it did not succeed). */
static cJSON *report_ok(const bi_case *c, bi_result *r, unsigned timeout_s) {
  bi_report_to(r, c->cfg, c->out, timeout_s);
  if (!bi_check_status(__FILE__, __LINE__, r, 0)) return NULL;
  char path[700];
  snprintf(path, sizeof path, "%s/report.json", c->out);
  char *text = bi_slurp(path, NULL);
  snprintf(path, sizeof path, "%s/report.pdf", c->out);
  struct stat st;
  if (stat(path, &st) != 0 || st.st_size == 0) qa_test_fail(__FILE__, __LINE__, "no report.pdf");
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!root) qa_test_fail(__FILE__, __LINE__, "report.json missing or not JSON");
  return root;
}

/* models[0].variants[v].representation */
static const cJSON *repr_of(const cJSON *root, int v) {
  const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
  const cJSON *var = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "variants"), v);
  return cJSON_GetObjectItem(var, "representation");
}

/* The number at key of o; NaN for null or absent. */
static double num(const cJSON *o, const char *key) {
  const cJSON *x = cJSON_GetObjectItem(o, key);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static int is_null(const cJSON *o, const char *key) {
  return cJSON_IsNull(cJSON_GetObjectItem(o, key));
}

#define CHECK_NULL(o, key)                                                       \
  do { if (!is_null((o), (key)))                                                 \
         qa_test_fail(__FILE__, __LINE__, "%s should be null, is %g", (key), num((o), (key))); \
  } while (0)

/* Every number of the representation objects of a and b (both variants),
** recursively, equal (or both null) within rel * max(1, |x|). */
static void same_numbers(const char *file, int line, const cJSON *a, const cJSON *b,
                         double rel) {
  if (!a || !b) {
    qa_test_fail(file, line, "missing representation");
    return;
  }
  if (cJSON_IsNumber(a) || cJSON_IsNumber(b)) {
    if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) ||
        !(fabs(a->valuedouble - b->valuedouble) <= rel * fmax(1, fabs(b->valuedouble))))
      qa_test_fail(file, line, "%s: %.17g vs %.17g", a->string ? a->string : "?",
                   cJSON_IsNumber(a) ? a->valuedouble : NAN,
                   cJSON_IsNumber(b) ? b->valuedouble : NAN);
    return;
  }
  if (cJSON_IsNull(a) != cJSON_IsNull(b)) {
    qa_test_fail(file, line, "%s: null on one side only", a->string ? a->string : "?");
    return;
  }
  const cJSON *x = a->child, *y = b->child;
  for (; x && y; x = x->next, y = y->next) same_numbers(file, line, x, y, rel);
  if (x || y) qa_test_fail(file, line, "different members under %s", a->string ? a->string : "?");
}

/* A random-ish study scaled so that its largest |x| lies in [0.5, 1):
** x = m / 1024 with integers |m| < 1024, so scaling by 2^k is exact even
** deep in the subnormals (m 2^-1064 >= 2^-1074). */
static void integer_study(size_t n, size_t d, double *X, double *Y, uint64_t seed) {
  for (size_t i = 0; i < n * d; i++) {
    X[i] = floor(1023 * uniform(&seed)) / 1024;
    Y[i] = floor(1023 * uniform(&seed)) / 1024;
  }
  X[0] = 1023.0 / 1024;   /* the largest |x| */
  for (size_t i = 0; i < n * d; i += 3) Y[i] = X[i];   /* a variant near the baseline */
}

/* N = 1: no covariance, no pair, no neighbour: effective rank, CKA,
** Spearman and kNN are null; the cosine exists. */
QA_TEST(degen_e2e_one_sample) {
  double X[3] = {1, 2, 3}, Y[3] = {1, 2, 3.5};
  bi_case c;
  bi_result r;
  degen_case(&c, "degen-n1", 1, 3, X, Y, "");
  cJSON *root = report_ok(&c, &r, BI_TIMEOUT_S);
  for (int v = 0; root && v < 2; v++) {
    const cJSON *rep = repr_of(root, v);
    CHECK_NULL(rep, "effective_rank");
    CHECK_NULL(rep, "participation_ratio");
    CHECK_NULL(rep, "cka_linear");
    CHECK_NULL(rep, "spearman_rho");
    CHECK_NULL(rep, "knn_accuracy");
    CHECK_NULL(rep, "knn_k");
  }
  /* cos([1,2,3],[1,2,3.5]) = 15.5 / (sqrt 14 sqrt 17.25) (closed form). */
  if (root)
    CHECK_NEAR(num(cJSON_GetObjectItem(repr_of(root, 1), "cosine"), "mean"),
               15.5 / (sqrt(14.0) * sqrt(17.25)), 1e-15);
  cJSON_Delete(root);
  bi_free(&r);
}

/* N = 2 (the old stack overflow in dsyevr): the baseline's two distinct
** rows give effective rank exactly 1 (closed form above); knn_k 1 runs. */
QA_TEST(degen_e2e_two_samples) {
  double X[6] = {1, 0, 2, -1, 3, 0.5}, Y[6] = {1.1, 0, 2, -1, 3, 0.4};
  bi_case c;
  bi_result r;
  degen_case(&c, "degen-n2", 2, 3, X, Y, ", \"analysis\": {\"knn_k\": 1}");
  cJSON *root = report_ok(&c, &r, BI_TIMEOUT_S);
  if (root) {
    const cJSON *b = repr_of(root, 0), *v = repr_of(root, 1);
    CHECK_INT(num(b, "effective_rank") == 1.0, 1);
    CHECK_INT(num(v, "effective_rank") == 1.0, 1);
    CHECK_NEAR(num(b, "participation_ratio"), 1.0, 1e-12);
    CHECK_NULL(v, "spearman_rho");   /* one pair */
    CHECK_NEAR(num(v, "knn_k"), 1, 0);
    /* CKA of two 2-row states: both centred Gram matrices are multiples
    ** of [[1,-1],[-1,1]] (rows +-d/2), so CKA = 1 whatever dx, dy are. */
    CHECK_NEAR(num(v, "cka_linear"), 1.0, 1e-12);
  }
  cJSON_Delete(root);
  bi_free(&r);
}

/* N = 3 with the default knn_k = 5 >= N: kNN null, the rest computed. */
QA_TEST(degen_e2e_three_samples) {
  double X[9] = {1, 0, 2, -1, 3, 0.5, 0.2, 0.2, -2}, Y[9];
  for (int i = 0; i < 9; i++) Y[i] = X[i] + 0.01 * (i % 4);
  bi_case c;
  bi_result r;
  degen_case(&c, "degen-n3", 3, 3, X, Y, "");
  cJSON *root = report_ok(&c, &r, BI_TIMEOUT_S);
  if (root) {
    const cJSON *v = repr_of(root, 1);
    CHECK_NULL(v, "knn_accuracy");
    CHECK_NULL(v, "knn_accuracy_delta_pp");
    CHECK_NULL(v, "neighbor_overlap");
    CHECK(isfinite(num(v, "effective_rank")));
    CHECK(isfinite(num(v, "cka_linear")));
    CHECK(isfinite(num(v, "spearman_rho")));    /* 3 pairs */
  }
  cJSON_Delete(root);
  bi_free(&r);
}

/* All-zero states in both: cosine 1 (both zero, STATISTICS.md), SQNR null
** (zero error), Spearman, CKA, effective rank null; kNN runs (ties). */
QA_TEST(degen_e2e_all_zero) {
  double X[5 * 4] = {0};
  bi_case c;
  bi_result r;
  degen_case(&c, "degen-zero", 5, 4, X, X, ", \"analysis\": {\"knn_k\": 2}");
  cJSON *root = report_ok(&c, &r, BI_TIMEOUT_S);
  for (int v = 0; root && v < 2; v++) {
    const cJSON *rep = repr_of(root, v);
    CHECK_INT(num(cJSON_GetObjectItem(rep, "cosine"), "min") == 1.0, 1);
    CHECK_NULL(rep, "sqnr_db");
    CHECK_NULL(rep, "spearman_rho");
    CHECK_NULL(rep, "cka_linear");
    CHECK_NULL(rep, "effective_rank");
    CHECK_NULL(rep, "participation_ratio");
    CHECK_NEAR(num(rep, "neighbor_overlap"), 1, 0);   /* same tie order on both sides */
  }
  cJSON_Delete(root);
  bi_free(&r);
}

/* Identical rows (a constant layer) in the baseline, a varying variant:
** the baseline's spectrum is exactly zero (effective rank null) and CKA
** against it null. */
QA_TEST(degen_e2e_constant_rows) {
  double X[4 * 3], Y[4 * 3];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++) {
      X[i * 3 + j] = 0.1 * (j + 1);
      Y[i * 3 + j] = 0.1 * (j + 1) + 0.01 * i * (j == 1);
    }
  bi_case c;
  bi_result r;
  degen_case(&c, "degen-const", 4, 3, X, Y, ", \"analysis\": {\"knn_k\": 2}");
  cJSON *root = report_ok(&c, &r, BI_TIMEOUT_S);
  if (root) {
    CHECK_NULL(repr_of(root, 0), "effective_rank");
    CHECK_NULL(repr_of(root, 0), "cka_linear");
    CHECK_NULL(repr_of(root, 1), "cka_linear");
    /* the variant varies in one column only: rank 1 */
    CHECK_INT(num(repr_of(root, 1), "effective_rank") == 1.0, 1);
  }
  cJSON_Delete(root);
  bi_free(&r);
}

/* Runs study (X, Y) scaled by factor (both sides) and unscaled; every
** representation number must agree within rel. */
static void scaled_pair(const char *name, size_t n, size_t d, double factor, double rel) {
  double *X = malloc(n * d * sizeof *X), *Y = malloc(n * d * sizeof *Y);
  double *Xs = malloc(n * d * sizeof *Xs), *Ys = malloc(n * d * sizeof *Ys);
  integer_study(n, d, X, Y, 42);
  for (size_t i = 0; i < n * d; i++) { Xs[i] = X[i] * factor; Ys[i] = Y[i] * factor; }
  char nm[64];
  bi_case c0, c1;
  bi_result r0, r1;
  snprintf(nm, sizeof nm, "%s-ref", name);
  degen_case(&c0, nm, n, d, X, Y, ", \"analysis\": {\"knn_k\": 3}");
  degen_case(&c1, name, n, d, Xs, Ys, ", \"analysis\": {\"knn_k\": 3}");
  cJSON *a = report_ok(&c0, &r0, BI_TIMEOUT_S), *b = report_ok(&c1, &r1, BI_TIMEOUT_S);
  for (int v = 0; a && b && v < 2; v++) {
    same_numbers(__FILE__, __LINE__, repr_of(b, v), repr_of(a, v), rel);
    CHECK(isfinite(num(repr_of(b, v), "effective_rank")));
    CHECK(isfinite(num(repr_of(b, v), "cka_linear")));
  }
  if (a && b) CHECK(isfinite(num(repr_of(b, 1), "sqnr_db")));
  cJSON_Delete(a);
  cJSON_Delete(b);
  bi_free(&r0);
  bi_free(&r1);
  free(X); free(Y); free(Xs); free(Ys);
}

/* Subnormal states: the study times 2^-1054 (entries down to 2^-1064,
** exact) gives the very same numbers as the study itself: the analysis
** rescales by an exact power of two (representation.c). */
QA_TEST(degen_e2e_subnormal_same_numbers) {
  scaled_pair("degen-subnormal", 12, 5, ldexp(1.0, -1054), 0);
}

/* Huge states: times 2^990 (max near 1e298, exact) the same numbers
** exactly; times 1e300 (not a power of two: each value rounds) within
** 1e-12.  Before, the squares overflowed ("LAPACK dsyevr failed", exit 3). */
QA_TEST(degen_e2e_huge_same_numbers) {
  scaled_pair("degen-huge2", 12, 5, ldexp(1.0, 990), 0);
  scaled_pair("degen-huge", 12, 5, 1e300, 1e-12);
}

/* D >> N: N = 4, D = 14000 float32 (224 KB caches).  The D*D covariance
** took > 60 s and 1.5 GB; the 4*4 Gram matrix takes well under 10 s. */
QA_TEST(degen_e2e_wide_layer_fast) {
  enum { N = 4, D = 14000 };
  double *X = random_matrix(N, D, 5), *Y = random_matrix(N, D, 6);
  for (size_t i = 0; i < (size_t)N * D; i++) Y[i] = X[i] + 0.1 * Y[i];
  bi_case c;
  bi_result r;
  bi_case_init(&c, "degen-wide");
  write_layer_cache(bi_path(&c, "base.h5"), "base", N, D, X, H5T_IEEE_F32LE, 0);
  write_layer_cache(bi_path(&c, "var.h5"), "var", N, D, Y, H5T_IEEE_F32LE, 0);
  bi_config_pair(&c, ", \"analysis\": {\"knn_k\": 2}");
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  cJSON *root = report_ok(&c, &r, 60);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
  if (secs > 10) qa_test_fail(__FILE__, __LINE__, "N = 4, D = 14000 took %.1f s", secs);
  if (root) {
    const cJSON *v = repr_of(root, 1);
    /* 4 random rows centred span 3 directions: 1 < effective rank <= 3 */
    CHECK(num(v, "effective_rank") > 1 && num(v, "effective_rank") <= 3);
    CHECK(num(v, "cka_linear") > 0.9 && num(v, "cka_linear") <= 1);
    CHECK_NEAR(num(v, "dim"), D, 0);
  }
  cJSON_Delete(root);
  bi_free(&r);
  free(X);
  free(Y);
}

/* D = 46341 (one above the old PCA limit, which ended "PCA needs a
** dimension between 2 and 46340", exit 3, no file named) with N = 3:
** the eigenproblem is 3*3 on the Gram path, so the report is made. */
QA_TEST(degen_e2e_d46341_small_n_runs) {
  enum { N = 3, D = 46341 };
  double *X = random_matrix(N, D, 8), *Y = random_matrix(N, D, 9);
  bi_case c;
  bi_result r;
  bi_case_init(&c, "degen-d46341");
  write_layer_cache(bi_path(&c, "base.h5"), "base", N, D, X, H5T_IEEE_F32LE, 0);
  write_layer_cache(bi_path(&c, "var.h5"), "var", N, D, Y, H5T_IEEE_F32LE, 0);
  bi_config_pair(&c, "");
  cJSON *root = report_ok(&c, &r, 60);
  if (root) CHECK_NEAR(num(repr_of(root, 1), "dim"), D, 0);
  cJSON_Delete(root);
  bi_free(&r);
  free(X);
  free(Y);
}

/* An eigenproblem over the memory budget is refused before the analysis,
** naming the baseline cache and /hidden/final, exit 2, no report: [300,
** 300] needs 2160000 bytes (degen_eigen_limits); --max-memory 0.0025 GB
** leaves 2.5e6 minus the two caches (2 * (720000 + 2400) bytes of hidden
** states and labels... as qa_cache_memory counts them) < 2.16e6. */
QA_TEST(degen_e2e_eigen_budget_refused) {
  enum { N = 300, D = 300 };
  double *X = random_matrix(N, D, 12);
  bi_case c;
  bi_result r;
  bi_case_init(&c, "degen-budget");
  write_layer_cache(bi_path(&c, "base.h5"), "base", N, D, X, H5T_IEEE_F32LE, 0);
  write_layer_cache(bi_path(&c, "var.h5"), "var", N, D, X, H5T_IEEE_F32LE, 0);
  bi_config_pair(&c, "");
  char *argv[] = {"./qaudit", "report", c.cfg, "-o", c.out, "--quiet", "--max-memory",
                  "0.0025", NULL};
  bi_exec(&r, BI_TIMEOUT_S, NULL, argv);
  BI_EXPECT(&r, 2, bi_at(&c, "base.h5", "/hidden/final"),
            "hidden states [300, 300]: the spectrum, PCA and CKA need 0.00216 GB for "
            "matrices of order min(N, D) = 300, more than the ",
            " GB that --max-memory leaves after the caches");
  BI_NO_REPORT(c.out);
  bi_free(&r);
  free(X);
}

/* Found by fuzz_repr (tests/fuzz/crashes/repr-qaudit-knn-inverse-norm-overflow):
** two rows 2^-521 long have inverse norms 2^521 whose product overflows;
** 0 x inf made their cosine NaN and the kNN refused the layer.  Rows 0
** and 1 are orthogonal (cosine 0), row 2 is parallel to row 0 (cosine 1),
** so with k = 1: 0 -> 2, 1 -> 0 (cosine 0 with both, tie to the lower
** index), 2 -> 0. */
QA_TEST(degen_knn_tiny_rows_inverse_norms_overflow) {
  double t = ldexp(1.0, -521);
  const double X[6] = {t, 0, 0, t, 1, 0};
  int32_t nbr[3] = {-1, -1, -1};
  qa_error err = {0};
  CHECK_INT(qa_knn_compute(X, 3, 2, 1, 1, nbr, &err), 0);
  CHECK_INT(nbr[0], 2);
  CHECK_INT(nbr[1], 0);
  CHECK_INT(nbr[2], 0);
}

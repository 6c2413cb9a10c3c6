/*
** eigen_bench: times the two eigen-decomposition paths of
** src/analysis/repr.c (LAPACK from OpenBLAS, and GSL) on random symmetric
** positive definite matrices, to choose QA_EIGEN_AUTO.
**
**   spectrum  all eigenvalues of a D*D SPD matrix (qa_repr_spectrum_method:
**             LAPACK dsyevd JOBZ='N' vs gsl_eigen_symm)
**   pca       the two leading eigenvectors of the covariance of 2D random
**             rows (qa_repr_pca_axes_method: LAPACK dsyevr RANGE='I' vs
**             gsl_eigen_symmv; the covariance step is shared and included)
**
** Build and run from the repository root (flags as in notes/Makefile):
**   cc $CFLAGS -o build/eigen_bench bench/eigen_bench.c src/analysis/repr.c \
**      src/util/error.c $LDLIBS
**   build/eigen_bench [--threads N] [--no-gsl-pca] [D ...]   (default D: 768 4096)
** Deterministic inputs (fixed xorshift seed); prints one line per timing.
*/
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "analysis/repr.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double uniform(uint64_t *state) {
  *state ^= *state >> 12;
  *state ^= *state << 25;
  *state ^= *state >> 27;
  return (double)((*state * UINT64_C(2685821657736338717)) >> 11) / 9007199254740992.0 * 2 - 1;
}

/* A = G G' / d + I with G d*d uniform: symmetric positive definite. */
static double *random_spd(size_t d, uint64_t seed) {
  double *G = malloc(d * d * sizeof *G), *A = calloc(d * d, sizeof *A);
  if (!G || !A) { free(G); free(A); return NULL; }
  for (size_t i = 0; i < d * d; i++) G[i] = uniform(&seed);
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)d, (int)d, 1.0 / (double)d,
              G, (int)d, 0.0, A, (int)d);
  for (size_t i = 0; i < d; i++) {
    A[i * d + i] += 1.0;
    for (size_t j = 0; j < i; j++) A[i * d + j] = A[j * d + i];
  }
  free(G);
  return A;
}

/* Best of reps wall-clock seconds of one eigen path; -1 on failure. */
static double time_spectrum(const double *A, size_t d, qa_eigen_method m, int reps,
                            double *eig) {
  double best = INFINITY;
  qa_error err = {0};
  for (int r = 0; r < reps; r++) {
    double t0 = now_s();
    if (qa_repr_spectrum_method(A, d, m, eig, &err)) {
      fprintf(stderr, "eigen_bench: %s\n", err.msg);
      return -1;
    }
    double t = now_s() - t0;
    if (t < best) best = t;
  }
  return best;
}

static double time_pca(const double *X, size_t n, size_t d, qa_eigen_method m,
                       double *mean, double *axes) {
  qa_error err = {0};
  double t0 = now_s();
  if (qa_repr_pca_axes_method(X, n, d, m, mean, axes, &err)) {
    fprintf(stderr, "eigen_bench: %s\n", err.msg);
    return -1;
  }
  return now_s() - t0;
}

static int bench_one(size_t d, int gsl_pca) {
  int reps = d <= 1024 ? 3 : 1, rc = 1;
  double *A = random_spd(d, 12345), *e_lapack = malloc(d * sizeof(double));
  double *e_gsl = malloc(d * sizeof(double)), *X = NULL, *mean = NULL, *ax1 = NULL,
         *ax2 = NULL;
  size_t n = 2 * d;
  if (!A || !e_lapack || !e_gsl) goto done;
  double t_lapack = time_spectrum(A, d, QA_EIGEN_LAPACK, reps, e_lapack);
  double t_gsl = time_spectrum(A, d, QA_EIGEN_GSL, reps, e_gsl);
  if (t_lapack < 0 || t_gsl < 0) goto done;
  double diff = 0;
  for (size_t j = 0; j < d; j++)
    if (fabs(e_lapack[j] - e_gsl[j]) > diff) diff = fabs(e_lapack[j] - e_gsl[j]);
  printf("spectrum D=%-5zu LAPACK dsyevd %9.3f s   GSL eigen_symm  %9.3f s   "
         "(x%.1f; max |dl| %.1e, best of %d)\n",
         d, t_lapack, t_gsl, t_gsl / t_lapack, diff, reps);
  fflush(stdout);

  X = malloc(n * d * sizeof *X);
  mean = malloc(d * sizeof *mean);
  ax1 = malloc(2 * d * sizeof *ax1);
  ax2 = malloc(2 * d * sizeof *ax2);
  if (!X || !mean || !ax1 || !ax2) goto done;
  uint64_t seed = 777;
  for (size_t i = 0; i < n * d; i++) X[i] = uniform(&seed) * (1.0 + (double)(i % d) / (double)d);
  double p_lapack = time_pca(X, n, d, QA_EIGEN_LAPACK, mean, ax1);
  if (p_lapack < 0) goto done;
  if (gsl_pca) {
    double p_gsl = time_pca(X, n, d, QA_EIGEN_GSL, mean, ax2);
    if (p_gsl < 0) goto done;
    double adiff = 0;
    for (size_t j = 0; j < 2 * d; j++)
      if (fabs(ax1[j] - ax2[j]) > adiff) adiff = fabs(ax1[j] - ax2[j]);
    printf("pca      D=%-5zu LAPACK dsyevr %9.3f s   GSL eigen_symmv %9.3f s   "
           "(x%.1f; max |daxis| %.1e; N=%zu, covariance included)\n",
           d, p_lapack, p_gsl, p_gsl / p_lapack, adiff, n);
  } else {
    printf("pca      D=%-5zu LAPACK dsyevr %9.3f s   GSL skipped (N=%zu)\n", d, p_lapack, n);
  }
  rc = 0;
done:
  if (rc) fprintf(stderr, "eigen_bench: D=%zu failed (out of memory?)\n", d);
  free(A); free(e_lapack); free(e_gsl); free(X); free(mean); free(ax1); free(ax2);
  return rc;
}

int main(int argc, char **argv) {
  size_t dims[16], n_dims = 0;
  int threads = 0, gsl_pca = 1;
  for (int a = 1; a < argc; a++) {
    if (!strcmp(argv[a], "--threads") && a + 1 < argc) threads = atoi(argv[++a]);
    else if (!strcmp(argv[a], "--no-gsl-pca")) gsl_pca = 0;
    else if (n_dims < 16 && atol(argv[a]) > 1) dims[n_dims++] = (size_t)atol(argv[a]);
    else { fprintf(stderr, "usage: eigen_bench [--threads N] [--no-gsl-pca] [D ...]\n"); return 1; }
  }
  if (n_dims == 0) { dims[0] = 768; dims[1] = 4096; n_dims = 2; }
  qa_repr_set_threads(threads);
  printf("eigen_bench: OpenBLAS threads %d (0 = all cores)\n", threads);
  for (size_t i = 0; i < n_dims; i++)
    if (bench_one(dims[i], gsl_pca)) return 3;
  return 0;
}

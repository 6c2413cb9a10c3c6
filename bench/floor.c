/*
** The GEMM floor of the representation analysis, shared by bench_repr and
** bench_scaling (docs/performance.md).
*/
#include "floor.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "analysis/repr.h"

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* The products every representation analysis needs: the N x N Gram of the
** normalised states (in row tiles, as the kNN does), the D x D covariance,
** the D x D cross product for CKA, the Gram of the Spearman subsample, and
** coverage's distance products (half the baseline's N x N Gram for its
** radii, once; one baseline x variant N x N product per variant).
** f32: the kNN Gram and coverage's products in float32 (cblas_sgemm on
** float copies made off the clock), as qaudit computes its candidates;
** otherwise in double, the floor of double-precision distances. */
double qa_bench_gemm_floor(const qa_model *m, size_t pairs_max, int f32) {
  const qa_cache *b = m->variants[m->baseline].cache;
  size_t n = b->n_samples, d = b->dim, tile = 2048;
  double *tileout = malloc(tile * n * sizeof *tileout), *dd = malloc(d * d * sizeof *dd);
  size_t pairs = 0, s = qa_repr_spearman_stride(n, pairs_max, &pairs);
  size_t ms = (n + s - 1) / s;
  double *sub = malloc(ms * ms * sizeof *sub);
  float *xf = f32 ? malloc(n * d * sizeof *xf) : NULL, *bf = f32 ? malloc(n * d * sizeof *bf) : NULL;
  if (!tileout || !dd || !sub || (f32 && (!xf || !bf))) { fprintf(stderr, "out of memory\n"); exit(3); }
  for (size_t i = 0; f32 && i < n * d; i++) bf[i] = (float)b->hidden[i];
  double t_conv = 0;
  double t0 = now();
  /* Coverage's radii: the baseline's distance Gram, tiles on and above the
  ** diagonal, once per model. */
  for (size_t r = 0; r < n; r += tile) {
    size_t rows = n - r < tile ? n - r : tile;
    if (f32)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)(n - r), (int)d, 1.0f,
                  bf + r * d, (int)d, bf + r * d, (int)d, 0.0f, (float *)tileout, (int)(n - r));
    else
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)(n - r), (int)d, 1.0,
                  b->hidden + r * d, (int)d, b->hidden + r * d, (int)d, 0.0, tileout,
                  (int)(n - r));
  }
  for (size_t vi = 0; vi < m->n_variants; vi++) {
    const double *x = m->variants[vi].cache->hidden;
    if (f32) {
      double c0 = now();
      for (size_t i = 0; i < n * d; i++) xf[i] = (float)x[i];
      t_conv += now() - c0;
    }
    /* The Gram is symmetric: the tiles on and above the diagonal suffice. */
    for (size_t r = 0; r < n; r += tile) {
      size_t rows = n - r < tile ? n - r : tile;
      if (f32)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)(n - r), (int)d,
                    1.0f, xf + r * d, (int)d, xf + r * d, (int)d, 0.0f, (float *)tileout,
                    (int)(n - r));
      else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)(n - r), (int)d,
                    1.0, x + r * d, (int)d, x + r * d, (int)d, 0.0, tileout, (int)(n - r));
    }
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)n, 1.0, x, (int)d, 0.0,
                dd, (int)d);
    if (vi != m->baseline) {
      cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)d, (int)d, (int)n, 1.0, x,
                  (int)d, b->hidden, (int)d, 0.0, dd, (int)d);
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)ms, (int)d, 1.0, x,
                  (int)(d * s), 0.0, sub, (int)ms);
      /* Coverage and density: the baseline x variant distance products. */
      for (size_t r = 0; r < n; r += tile) {
        size_t rows = n - r < tile ? n - r : tile;
        if (f32)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)n, (int)d, 1.0f,
                      bf + r * d, (int)d, xf, (int)d, 0.0f, (float *)tileout, (int)n);
        else
          cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)n, (int)d, 1.0,
                      b->hidden + r * d, (int)d, x, (int)d, 0.0, tileout, (int)n);
      }
    }
  }
  double t = now() - t0 - t_conv;
  free(tileout); free(dd); free(sub); free(xf); free(bf);
  return t;
}

/*
** `make bench`: times qaudit's representation analysis on a study and the
** bare GEMMs it cannot avoid (the floor), and reports peak memory against
** the size of the loaded states.
**
** usage: bench_repr CONFIG.json [THREADS]
** Prints "key value" lines that bench/run.sh reads.
*/
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analysis/analysis.h"
#include "analysis/repr.h"
#include "input/config.h"
#include "input/study.h"
#include "util/blas.h"
#include "floor.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}


/* The products the depth stage cannot avoid at every layer besides the
** configured one (src/analysis/depth.c), timed on a buffer of each layer's
** shape (a GEMM's time depends on its shape only): per variant the layer's
** D x D covariance (dsyrk) and, against the baseline, CKA's D x D cross
** product; per variant the probe's normal equations on the train rows
** (dsyrk of 4/5 of the rows) and their Cholesky solve (dposv, C right-hand
** sides). */
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info, size_t);

static double depth_floor(const qa_model *m, int n_classes) {
  const qa_cache *b = m->variants[m->baseline].cache;
  size_t n = b->n_samples, dmax = 0;
  for (size_t l = 0; l < b->n_layers; l++)
    if (!b->layer || strcmp(b->layers[l].name, b->layer)) dmax = fmax(dmax, b->layers[l].cols);
  if (!dmax || !n) return 0;
  double *x = malloc(n * dmax * sizeof *x), *a = malloc(dmax * dmax * sizeof *a);
  double *rhs = malloc(dmax * (size_t)(n_classes > 0 ? n_classes : 1) * sizeof *rhs);
  if (!x || !a || !rhs) { fprintf(stderr, "out of memory\n"); exit(3); }
  for (size_t i = 0; i < n * dmax; i++) x[i] = sin(0.37 * (double)i) + 0.01 * (double)(i % 97);
  double t = 0;
  for (size_t l = 0; l < b->n_layers; l++) {
    if (b->layer && !strcmp(b->layers[l].name, b->layer)) continue;
    int d = (int)b->layers[l].cols, ntr = (int)(n - (n + 4) / 5), c = n_classes > 0 ? n_classes : 1;
    for (size_t vi = 0; vi < m->n_variants; vi++) {
      double t0 = now();
      cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, (int)n, 1.0, x, d, 0.0, a, d);
      if (vi != m->baseline)
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d, d, (int)n, 1.0, x, d, x, d, 0.0,
                    a, d);
      if (n_classes > 0) {
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, d, ntr, 1.0, x, d, 0.0, a, d);
        for (int i = 0; i < d; i++) a[(size_t)i * d + i] += 1.0 + (double)d;   /* SPD */
        for (size_t i = 0; i < (size_t)d * c; i++) rhs[i] = 1.0;
        int info = 0;
        dposv_("L", &d, &c, a, &d, rhs, &d, &info, 1);
      }
      t += now() - t0;
    }
  }
  free(x); free(a); free(rhs);
  return t;
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: bench_repr CONFIG.json [THREADS]\n"); return 1; }
  qa_blas_select(argv);   /* the kernels qaudit itself would run */
  int threads = argc > 2 ? atoi(argv[2]) : 0;
  qa_error err = {0};
  qa_config *cfg = NULL;
  qa_study *study = NULL;
  double t0 = now();
  if (qa_config_load(argv[1], &cfg, &err) || qa_study_load(cfg, NULL, &study, &err)) {
    fprintf(stderr, "bench_repr: %s\n", err.msg);
    return 2;
  }
  double t_load = now() - t0;
  const qa_model *m = &study->models[0];
  double states_mb = 0;
  for (size_t vi = 0; vi < m->n_variants; vi++)
    states_mb += (double)m->variants[vi].cache->n_samples * (double)m->variants[vi].cache->dim *
                 8.0 / 1048576.0;
  /* Best of REPEAT runs of each, interleaved, against a noisy machine. */
  enum { REPEAT = 3 };
  qa_variant_result *res = NULL;
  double t_repr = INFINITY, t_floor = INFINITY, t_floor32 = INFINITY, peak = 0;
  qa_repr_set_threads(threads);
  for (int rep = 0; rep < REPEAT; rep++) {
    if (res) {
      for (size_t vi = 0; vi < m->n_variants; vi++) {
        qa_repr_result *r = &res[vi].repr;
        free(r->per_class); free(r->cosine); free(r->spectrum); free(r->pca_xy);
      }
      free(res);
    }
    res = calloc(m->n_variants, sizeof *res);
    t0 = now();
    if (qa_analysis_representation(study, 0, res, threads, NULL, &err)) {
      fprintf(stderr, "bench_repr: %s\n", err.msg);
      return 3;
    }
    double t = now() - t0;
    if (t < t_repr) t_repr = t;
    if (rep == 0) peak = peak_mb();
    double f = qa_bench_gemm_floor(m, (size_t)cfg->pairs_max, 0);
    if (f < t_floor) t_floor = f;
    f = qa_bench_gemm_floor(m, (size_t)cfg->pairs_max, 1);
    if (f < t_floor32) t_floor32 = f;
    if (getenv("BENCH_ONCE")) break;
  }
  for (size_t vi = 0; vi < m->n_variants; vi++) {
    const qa_repr_result *r = &res[vi].repr;
    if (vi == m->baseline) continue;
    printf("variant %s cosine_mean %.6f cosine_p05 %.6f sqnr_db %.4f knn_accuracy %.4f "
           "neighbor_overlap %.4f spearman_rho %.6f cka_linear %.6f effective_rank %.4f "
           "coverage %.4f density %.4f",
           m->variants[vi].name, r->cos_mean, r->cos_p05, r->sqnr_db, r->knn_accuracy,
           r->neighbor_overlap, r->spearman_rho, r->cka_linear, r->effective_rank, r->coverage,
           r->density);
    for (size_t j = 0; j < r->n_overlap; j++)
      printf(" overlap_at_%d %.4f", r->overlap_k[j], r->overlap_at[j]);
    printf("\n");
  }
  printf("blas_core %s (%s)\n", qa_blas_core(), qa_blas_core_origin());
  {   /* How much the exact re-ranking of the kNN costs: candidates per row. */
    const qa_cache *b = m->variants[m->baseline].cache;
    size_t n = b->n_samples, k = (size_t)cfg->knn_k;
    int32_t *nbr = malloc(n * k * sizeof *nbr);
    qa_knn_info info = {0};
    if (nbr && k < n &&
        !qa_knn_compute_method(b->hidden, n, b->dim, k, threads, 0, QA_KNN_FAST, nbr, &info, &err))
      printf("knn_eps %.3g\nknn_candidates_per_row %.2f\nknn_similarities_per_row %.2f\n"
             "knn_exhaustive_rows %zu\n", info.eps, (double)info.candidates / (double)n,
             (double)info.dots / (double)n, info.exhaustive_rows);
    free(nbr);
  }
  printf("n %zu d %zu variants %zu threads %d\n", m->variants[0].cache->n_samples,
         m->variants[0].cache->dim, m->n_variants, threads);
  printf("load_s %.3f\nrepr_s %.3f\ngemm_floor_s %.3f\ngemm_floor_f32_s %.3f\npeak_mb %.0f\n"
         "states_mb %.0f\n", t_load, t_repr, t_floor, t_floor32, peak, states_mb);
  /* The depth stage's floor, for the whole-report comparison (bench/run.sh). */
  double t_depth = INFINITY;
  for (int rep = 0; rep < (getenv("BENCH_ONCE") ? 1 : 3); rep++) {
    double f = depth_floor(m, m->variants[m->baseline].cache->labels ? (int)m->n_classes : 0);
    if (f < t_depth) t_depth = f;
  }
  printf("depth_floor_s %.3f\n", t_depth);
  return 0;
}

/*
** Variants in parallel (analysis/representation.c, analysis/depth.c): with
** --threads 2 or 3 the variants of a model run on parallel workers, each
** with BLAS on one thread; with --threads 1 one after another.  Every
** variant's number must be the same to the bit either way (the plain path
** is the sequential one), and a failure must name the same variant: the
** lowest failing one, whatever the timing.
**
** The representation numbers of the baseline too (its references are
** built beside it, BLAS on one thread each); its depth cells are left out:
** they run before the workers with BLAS on --threads threads, whose last
** bit may differ (docs/performance.md).
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "h5fixture.h"
#include "harness.h"
#include "input/config.h"
#include "input/study.h"

enum { N = 240, D = 20, NV = 5, C = 4 };
static const char *const LAYERS[] = {"layer_1", "layer_4", "final"};

/* Deterministic states: a class pattern plus noise, variant v perturbed
** by a v-dependent rounding step; stored as float32. */
static int write_cache(const char *path, int v, int nan_layer) {
  hid_t f = fx_create(path);
  if (f < 0) return -1;
  char name[16];
  snprintf(name, sizeof name, "v%d", v);
  int rc = fx_attr_str(f, "model", "m") || fx_attr_str(f, "variant", name);
  int64_t labels[N];
  for (int i = 0; i < N; i++) labels[i] = (i * 7) % C;
  hsize_t n1[1] = {N}, nc[1] = {C}, dims[2] = {N, D};
  static const char *const names[C] = {"w", "x", "y", "z"};
  rc = rc || fx_ints(f, "/samples/label", H5T_STD_I64LE, 1, n1, labels) ||
       fx_strings(f, "/samples/label_names", names, nc[0]);
  double *x = malloc(sizeof(double) * N * D);
  if (!x) rc = -1;
  for (size_t k = 0; !rc && k < sizeof LAYERS / sizeof *LAYERS; k++) {
    double step = v ? 0.02 * v : 0;
    for (int i = 0; i < N; i++)
      for (int j = 0; j < D; j++) {
        double t = sin(0.7 * i + 1.3 * j + (double)k) + (labels[i] == j % C ? 1.5 : 0);
        if (step) t = step * floor(t / step + 0.5) + 0.003 * v * cos(0.11 * i * j);
        x[i * D + j] = t;
      }
    if (nan_layer && !strcmp(LAYERS[k], "layer_4")) x[3 * D + 5] = NAN;
    char p[64];
    snprintf(p, sizeof p, "/hidden/%s", LAYERS[k]);
    rc = fx_floats(f, p, H5T_IEEE_F32LE, 2, dims, x, 0);
  }
  free(x);
  fx_close(f);
  return rc;
}

/* The study in DIR (written once per tag), analysed with `threads`. */
static int analyse(const char *tag, const int *nan_variants, int threads, qa_config **cfg,
                   qa_study **study, qa_analysis **a, qa_error *err) {
  char dir[600], path[700], vars[2048] = "";
  snprintf(dir, sizeof dir, "%s/parallel-%s", qa_test_tmpdir(), tag);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "mkdir -p %s", dir);
  if (system(cmd) != 0) return qa_test_fail(__FILE__, __LINE__, "mkdir %s", dir) - 1;
  size_t used = 0;
  for (int v = 0; v < NV; v++) {
    snprintf(path, sizeof path, "%s/v%d.h5", dir, v);
    int bad = nan_variants && nan_variants[v];
    if (write_cache(path, v, bad)) return qa_test_fail(__FILE__, __LINE__, "write %s", path) - 1;
    used += (size_t)snprintf(vars + used, sizeof vars - used,
                             "%s{\"name\": \"v%d\", \"file\": \"v%d.h5\"}", v ? ", " : "", v, v);
  }
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) return qa_test_fail(__FILE__, __LINE__, "cannot write %s", path) - 1;
  fprintf(f, "{\"layer\": \"final\", \"analysis\": {\"knn_k\": 5, \"overlap_ks\": [1, 5, 10]},"
             " \"models\": [{\"name\": \"m\", \"baseline\": \"v0\", \"variants\": [%s]}]}\n",
          vars);
  fclose(f);
  qa_analysis_opts o = {threads};
  if (qa_config_load(path, cfg, err) || qa_study_load(*cfg, NULL, study, err)) return -1;
  return qa_analysis_run(*study, &o, NULL, a, err);
}

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

#define SAME(what, a, b)                                                          \
  do {                                                                            \
    if (!same((a), (b)))                                                          \
      qa_test_fail(__FILE__, __LINE__, "variant %zu %s: %.17g (1 thread) vs %.17g", \
                   v, what, (a), (b));                                            \
  } while (0)

static void compare(const qa_analysis *x, const qa_analysis *y) {
  for (size_t v = 0; v < NV; v++) {
    const qa_repr_result *r = &x->models[0][v].repr, *s = &y->models[0][v].repr;
    CHECK(r->present && s->present);
    SAME("cos_mean", r->cos_mean, s->cos_mean);
    SAME("cos_p05", r->cos_p05, s->cos_p05);
    SAME("sqnr_db", r->sqnr_db, s->sqnr_db);
    SAME("spearman_rho", r->spearman_rho, s->spearman_rho);
    SAME("knn_accuracy", r->knn_accuracy, s->knn_accuracy);
    SAME("neighbor_overlap", r->neighbor_overlap, s->neighbor_overlap);
    SAME("cka_linear", r->cka_linear, s->cka_linear);
    SAME("effective_rank", r->effective_rank, s->effective_rank);
    SAME("participation_ratio", r->participation_ratio, s->participation_ratio);
    SAME("coverage", r->coverage, s->coverage);
    SAME("density", r->density, s->density);
    CHECK_INT((int)r->n_overlap, (int)s->n_overlap);
    for (size_t j = 0; j < r->n_overlap && j < s->n_overlap; j++)
      SAME("overlap_at", r->overlap_at[j], s->overlap_at[j]);
    for (size_t i = 0; r->cosine && s->cosine && i < N; i++) SAME("cosine", r->cosine[i], s->cosine[i]);
    if (v == 0) continue;
    const qa_depth_model *dx = &x->depth[0], *dy = &y->depth[0];
    CHECK_INT((int)dx->n_layers, 3);
    CHECK_INT((int)dy->n_layers, 3);
    for (size_t k = 0; k < dx->n_layers && k < dy->n_layers; k++) {
      const qa_depth_cell *a = qa_depth_cell_at(dx, v, k), *b = qa_depth_cell_at(dy, v, k);
      SAME("depth cosine_mean", a->cosine_mean, b->cosine_mean);
      SAME("depth cosine_p05", a->cosine_p05, b->cosine_p05);
      SAME("depth sqnr_db", a->sqnr_db, b->sqnr_db);
      SAME("depth cka_linear", a->cka_linear, b->cka_linear);
      SAME("depth probe native", a->probe.native, b->probe.native);
      SAME("depth probe transfer", a->probe.transfer, b->probe.transfer);
    }
  }
}

QA_TEST(parallel_variants_equal_sequential_to_the_bit) {
  qa_config *c1 = NULL, *c2 = NULL, *c3 = NULL;
  qa_study *s1 = NULL, *s2 = NULL, *s3 = NULL;
  qa_analysis *a1 = NULL, *a2 = NULL, *a3 = NULL;
  qa_error err = {0};
  int r1 = analyse("one", NULL, 1, &c1, &s1, &a1, &err);
  CHECK_INT(r1, 0);
  int r2 = analyse("two", NULL, 2, &c2, &s2, &a2, &err);
  CHECK_INT(r2, 0);
  int r3 = analyse("three", NULL, 3, &c3, &s3, &a3, &err);
  CHECK_INT(r3, 0);
  if (!r1 && !r2 && !r3) {
    compare(a1, a2);
    compare(a1, a3);
    /* Not a vacuous comparison: the variants differ from the baseline. */
    CHECK(a1->models[0][3].repr.cos_mean < 1.0);
    CHECK(a1->models[0][3].repr.knn_accuracy > 0.0);
    CHECK(!isnan(qa_depth_cell_at(&a1->depth[0], 3, 0)->probe.transfer));
  }
  qa_analysis_free(a1); qa_analysis_free(a2); qa_analysis_free(a3);
  qa_study_free(s1); qa_study_free(s2); qa_study_free(s3);
  qa_config_free(c1); qa_config_free(c2); qa_config_free(c3);
}

QA_TEST(parallel_failure_names_the_lowest_failing_variant) {
  /* NaN in layer_4 (read only by the depth analysis) of variants 2 and 4:
  ** the error names v2.h5 with any number of threads. */
  static const int bad[NV] = {0, 0, 1, 0, 1};
  for (int t = 1; t <= 3; t++) {
    qa_config *c = NULL;
    qa_study *s = NULL;
    qa_analysis *a = NULL;
    qa_error err = {0};
    char tag[16];
    snprintf(tag, sizeof tag, "nan%d", t);
    int rc = analyse(tag, bad, t, &c, &s, &a, &err);
    CHECK(rc != 0);
    CHECK_INT(err.code, QA_EXIT_DATA);
    if (!strstr(err.msg, "v2.h5:/hidden/layer_4") || !strstr(err.msg, "NaN at row 3, column 5"))
      qa_test_fail(__FILE__, __LINE__, "threads %d: %s", t, err.msg);
    qa_analysis_free(a);
    qa_study_free(s);
    qa_config_free(c);
  }
}

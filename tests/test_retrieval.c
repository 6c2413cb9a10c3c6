/*
** Retrieval and strata of the representation analysis end to end
** (STATISTICS.md "Strata, calibration, retrieval, coverage"): overlap_at,
** coverage and density, worst_samples and the per-class kNN McNemar with
** Holm, against tests/ref/retrieval_ref.py (NumPy 1.24.2, SciPy 1.10.1,
** /usr/bin/python3) on its fixture; the variant's rows are stored in
** reverse order so that the alignment by id is part of the test.
*/
#include "harness.h"
#include "h5fixture.h"
#include "analysis_fixture.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "figures/figures.h"
#include "results/results.h"

enum { N = 16, D = 8 };

static void fixture_caches(fx_cache *b, fx_cache *v) {
  fx_default_cache(b);
  b->n = N; b->d = D; b->c = 3;
  for (int i = 0; i < N; i++) {
    b->ids[i] = 10 + i;
    b->labels[i] = (int64_t)floor(fmod(1.3 * i, 2 * M_PI) / (2 * M_PI / 3));
    for (int j = 0; j < D; j++) b->hidden[i * D + j] = sin(1.3 * i + 0.7 * j) + 0.1 * j;
    for (int j = 0; j < 3; j++) b->logits[i * 3 + j] = j == b->labels[i] ? 2.0 : 0.1 * j;
  }
  *v = *b;
  v->variant = "w";
  for (int r = 0; r < N; r++) {             /* row r holds sample N-1-r */
    int i = N - 1 - r;
    v->ids[r] = b->ids[i];
    v->labels[r] = b->labels[i];
    for (int j = 0; j < D; j++)
      v->hidden[r * D + j] = b->hidden[i * D + j] + 0.8 * cos(2.1 * i * j + 0.4);
    for (int j = 0; j < 3; j++) v->logits[r * 3 + j] = b->logits[i * 3 + j];
  }
}

static int run(qa_test_study *st) {
  char dir[600], path[800];
  fx_cache b, v;
  fixture_caches(&b, &v);
  if (qa_test_study_dir("retrieval", "fixture", dir, sizeof dir)) return -1;
  snprintf(path, sizeof path, "%s/base.h5", dir);
  if (fx_write_cache(path, &b)) return -1;
  snprintf(path, sizeof path, "%s/var.h5", dir);
  if (fx_write_cache(path, &v)) return -1;
  static const char *const names[] = {"base", "var"};
  return qa_test_study_run(dir, names, 2, NULL, NULL,
                           "\"analysis\": {\"knn_k\": 3, \"overlap_ks\": [1, 3, 5, 50], "
                           "\"worst_samples\": 4}", st);
}

QA_TEST(retrieval_against_numpy) {
  qa_test_study st;
  if (run(&st)) { qa_test_study_free(&st); return; }
  const qa_repr_result *b = &st.a->models[0][0].repr, *r = &st.a->models[0][1].repr;
  /* overlap_at: k = 50 >= N is left out. */
  CHECK_INT((long)r->n_overlap, 3);
  CHECK_INT(r->overlap_k[0], 1);
  CHECK_NEAR(r->overlap_at[0], 0.25, 1e-15);
  CHECK_NEAR(r->overlap_at[1], 0.75, 1e-15);
  CHECK_NEAR(r->overlap_at[2], 0.82500000000000007, 1e-15);
  CHECK_NEAR(r->neighbor_overlap, 0.75, 1e-15);        /* = overlap_at k = knn_k */
  CHECK_NEAR(b->overlap_at[2], 1.0, 0);
  CHECK_NEAR(r->coverage, 0.4375, 1e-15);
  CHECK_NEAR(r->density, 0.22916666666666666, 1e-15);
  CHECK(isnan(b->coverage) && isnan(b->density));
  CHECK_NEAR(b->knn_accuracy, 0.9375, 1e-15);
  CHECK_NEAR(r->knn_accuracy, 0.8125, 1e-15);
  /* worst samples: ids 11, 20, 15, 24 (rows 1, 10, 5, 14 of the baseline). */
  static const size_t want_row[4] = {1, 10, 5, 14};
  static const double want_cos[4] = {0.70825169786452058, 0.72601512069010865,
                                     0.76442758036962644, 0.78804060113417762};
  static const long want_kept[4] = {1, 2, 2, 2};
  CHECK_INT((long)r->n_worst, 4);
  for (int t = 0; t < 4 && t < (int)r->n_worst; t++) {
    CHECK_INT((long)r->worst[t].index, (long)want_row[t]);
    CHECK_NEAR(r->worst[t].cosine, want_cos[t], 1e-14);
    CHECK_INT(r->worst[t].neighbors_kept, want_kept[t]);
    CHECK_INT(r->worst[t].knn_correct_base, 1);
    CHECK_INT(r->worst[t].knn_correct_variant, 1);
  }
  CHECK_INT((long)b->n_worst, 0);
  /* per class: b = 1, 0, 1 lost, none gained: exact McNemar p = 1, Holm 1. */
  CHECK_INT((long)r->n_classes, 3);
  for (size_t c = 0; c < r->n_classes; c++) {
    CHECK_NEAR(r->per_class[c].knn_mcnemar_p, 1.0, 1e-15);
    CHECK_NEAR(r->per_class[c].knn_mcnemar_p_holm, 1.0, 1e-15);
    CHECK(isnan(b->per_class[c].knn_mcnemar_p));
  }
  qa_test_study_free(&st);
}

/* The same numbers in report.json, under the names of INTERFACE.md s.4. */
QA_TEST(retrieval_json_keys) {
  qa_test_study st;
  if (run(&st)) { qa_test_study_free(&st); return; }
  qa_error err = {0};
  cJSON *root = NULL;
  qa_results_opts ro = {0, 1};
  CHECK_INT(qa_results_build(st.study, st.a, &ro, NULL, &root, &err), 0);
  const cJSON *v = cJSON_GetArrayItem(
      cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0), "variants"), 1);
  const cJSON *rep = cJSON_GetObjectItem(v, "representation");
  const cJSON *at = cJSON_GetObjectItem(rep, "overlap_at");
  CHECK_INT(cJSON_GetArraySize(at), 3);
  CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(at, 2), "k")->valuedouble, 5, 0);
  CHECK_NEAR(cJSON_GetObjectItem(rep, "coverage")->valuedouble, 0.4375, 1e-15);
  const cJSON *w0 = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "worst_samples"), 0);
  CHECK_NEAR(cJSON_GetObjectItem(w0, "id")->valuedouble, 11, 0);
  CHECK_STR(cJSON_GetObjectItem(w0, "label")->valuestring, "a");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(w0, "knn_correct_variant")));
  const cJSON *pc = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "per_class"), 0);
  CHECK(cJSON_IsNumber(cJSON_GetObjectItem(pc, "knn_mcnemar_p_holm")));
  cJSON_Delete(root);
  qa_test_study_free(&st);
}

/* Figure 14 is drawn from these numbers, and captioned. */
QA_TEST(retrieval_overlap_figure) {
  qa_test_study st;
  if (run(&st)) { qa_test_study_free(&st); return; }
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/figs/retrieval", qa_test_tmpdir());
  qa_figure_list l;
  qa_error err = {0};
  CHECK_INT(qa_figures_render_all(st.study, st.a, "fonts", dir, 2, &l, &err), 0);
  int found = 0;
  for (size_t i = 0; i < l.n; i++)
    if (l.figs[i].kind == QA_FIG_OVERLAP) {
      found = 1;
      CHECK_CONTAINS(l.figs[i].caption, "Neighbour overlap of each variant of m");
      FILE *fp = fopen(l.figs[i].path, "rb");
      CHECK(fp != NULL);
      if (fp) fclose(fp);
    }
  CHECK(found);
  qa_figure_list_free(&l);
  qa_test_study_free(&st);
}

/* ---- analysis.overlap_ks, probe_ridge, worst_samples ------------------- */

#define RET_CFG "{\"models\": [{\"variants\": [{\"file\": \"a.h5\"}]}], \"analysis\": {%s}}"

QA_TEST(retrieval_config_keys) {
  char text[400];
  qa_config *cfg = NULL;
  qa_error err = {0};
  /* Defaults (INTERFACE.md section 3). */
  snprintf(text, sizeof text, RET_CFG, "");
  CHECK_INT(qa_config_parse(text, "study.json", &cfg, &err), 0);
  if (cfg) {
    CHECK_INT((long)cfg->n_overlap_ks, 4);
    CHECK_INT(cfg->overlap_ks[0], 1);
    CHECK_INT(cfg->overlap_ks[3], 50);
    CHECK_NEAR(cfg->probe_ridge, 0.01, 0);
    CHECK_INT(cfg->worst_samples, 10);
  }
  qa_config_free(cfg);
  cfg = NULL;
  snprintf(text, sizeof text, RET_CFG,
           "\"overlap_ks\": [2, 7], \"probe_ridge\": 0.5, \"worst_samples\": 0");
  CHECK_INT(qa_config_parse(text, "study.json", &cfg, &err), 0);
  if (cfg) {
    CHECK_INT((long)cfg->n_overlap_ks, 2);
    CHECK_INT(cfg->overlap_ks[1], 7);
    CHECK_NEAR(cfg->probe_ridge, 0.5, 0);
    CHECK_INT(cfg->worst_samples, 0);
  }
  qa_config_free(cfg);
  static const struct { const char *value, *want; } bad[] = {
    {"\"overlap_ks\": [5, 1]",
     "d/s.json:analysis.overlap_ks[1]: neighbour counts must be in ascending order"},
    {"\"overlap_ks\": []",
     "d/s.json:analysis.overlap_ks: expected a non-empty array of neighbour counts, found an "
     "empty array"},
    {"\"overlap_ks\": 5",
     "d/s.json:analysis.overlap_ks: expected a non-empty array of neighbour counts, found a number"},
    {"\"overlap_ks\": [1, 5000]",
     "d/s.json:analysis.overlap_ks[1]: 5000 is out of range: expected [1, 1000]"},
    {"\"overlap_ks\": [1.5]", "d/s.json:analysis.overlap_ks[0]: expected an integer, found 1.5"},
    {"\"probe_ridge\": 0", "d/s.json:analysis.probe_ridge: 0 is out of range: expected (0, inf]"},
    {"\"worst_samples\": -1",
     "d/s.json:analysis.worst_samples: -1 is out of range: expected [0, 1000]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    cfg = NULL;
    qa_error_clear(&err);
    snprintf(text, sizeof text, RET_CFG, bad[i].value);
    CHECK_INT(qa_config_parse(text, "d/s.json", &cfg, &err), -1);
    CHECK(cfg == NULL);
    CHECK_STR(err.msg, bad[i].want);
    CHECK_INT(err.code, QA_EXIT_USAGE);
  }
}

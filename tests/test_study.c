/*
** The study: checks against the baseline (N, D, C, class names, id sets,
** labels) and the alignment of variants to the baseline's rows by id.
*/
#include "harness.h"
#include "h5fixture.h"

#include <stdlib.h>

#include "input/study.h"

/* Writes base.h5 (default cache) and var.h5 (the given cache) and a config
** naming both into a fresh folder; loads the study.  Returns the rc. */
static int load_pair(const char *tag, const fx_cache *var, qa_study **study, qa_config **cfg,
                     qa_error *err) {
  char dir[512], path[600], cmd[700];
  snprintf(dir, sizeof dir, "%s/study-%s", qa_test_tmpdir(), tag);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
  if (system(cmd) != 0) return -2;
  fx_cache base;
  fx_default_cache(&base);
  snprintf(path, sizeof path, "%s/base.h5", dir);
  if (fx_write_cache(path, &base)) return -2;
  snprintf(path, sizeof path, "%s/var.h5", dir);
  if (fx_write_cache(path, var)) return -2;
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) return -2;
  fputs("{\"layer\": \"final\", \"models\": [{\"name\": \"m\", \"baseline\": \"base\", "
        "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
        "{\"name\": \"var\", \"file\": \"var.h5\"}]}]}\n", f);
  fclose(f);
  *study = NULL;
  if (qa_config_load(path, cfg, err)) return -3;
  return qa_study_load(*cfg, NULL, study, err);
}

static void expect_study_error(const char *tag, const fx_cache *var, const char *part) {
  qa_study *s = NULL;
  qa_config *cfg = NULL;
  qa_error err = {0};
  int rc = load_pair(tag, var, &s, &cfg, &err);
  CHECK_INT(rc, -1);
  CHECK_INT(err.code, 2);
  CHECK_CONTAINS(err.msg, "var.h5:");
  CHECK_CONTAINS(err.msg, part);
  qa_study_free(s);
  qa_config_free(cfg);
}

QA_TEST(study_aligns_variant_rows_and_items_by_id) {
  fx_cache v, base;
  fx_default_cache(&base);
  fx_default_cache(&v);
  /* Variant stores samples in reverse order and task items rotated. */
  for (size_t i = 0; i < v.n; i++) {
    size_t src = v.n - 1 - i;
    v.ids[i] = base.ids[src];
    v.labels[i] = base.labels[src];
    for (size_t j = 0; j < v.d; j++) v.hidden[i * v.d + j] = base.hidden[src * v.d + j] + 0.01;
    for (size_t j = 0; j < v.c; j++) v.logits[i * v.c + j] = base.logits[src * v.c + j];
  }
  for (size_t i = 0; i < v.m; i++) {
    size_t src = (i + 1) % v.m;
    v.item_ids[i] = base.item_ids[src];
    v.correct[i] = base.correct[src];
    v.score[i] = base.score[src] * 2;
  }
  qa_study *s = NULL;
  qa_config *cfg = NULL;
  qa_error err = {0};
  CHECK_INT(load_pair("align", &v, &s, &cfg, &err), 0);
  if (!s) { qa_test_fail(__FILE__, __LINE__, "%s", err.msg); qa_config_free(cfg); return; }
  const qa_cache *b = s->models[0].variants[0].cache, *c = s->models[0].variants[1].cache;
  int same = 1;
  for (size_t i = 0; i < 6; i++) {
    same &= c->ids[i] == b->ids[i] && c->labels[i] == b->labels[i];
    same &= c->prediction[i] == b->prediction[i];
    for (size_t j = 0; j < 3; j++) same &= fabs(c->hidden[i * 3 + j] - b->hidden[i * 3 + j] - 0.01) < 1e-12;
  }
  CHECK(same);
  const qa_task *bt = qa_cache_task(b, "t1"), *vt = qa_cache_task(c, "t1");
  CHECK(bt && vt);
  if (bt && vt)
    for (size_t i = 0; i < 4; i++) {
      CHECK_INT(vt->ids[i], bt->ids[i]);
      CHECK_INT(vt->correct[i], bt->correct[i]);
      CHECK_NEAR(vt->scores[0][i], 2 * bt->scores[0][i], 0);
    }
  qa_study_free(s);
  qa_config_free(cfg);
}

QA_TEST(study_n_differs) {
  fx_cache v;
  fx_default_cache(&v);
  v.n = 5;
  expect_study_error("n", &v, ":/samples/id: N = 5 samples differs from the baseline's 6");
}

QA_TEST(study_d_differs) {
  fx_cache v;
  fx_default_cache(&v);
  v.d = 2;
  expect_study_error("d", &v, ":/hidden/final: shape [6,2] differs from baseline [6,3]");
}

QA_TEST(study_c_differs) {
  fx_cache v;
  fx_default_cache(&v);
  v.c = 2;
  for (size_t i = 0; i < v.n; i++) v.labels[i] = (int64_t)(i % 2);
  expect_study_error("c", &v, ":/outputs/logits: shape [6,2] differs from baseline [6,3]");
}

QA_TEST(study_id_sets_differ) {
  fx_cache v;
  fx_default_cache(&v);
  v.ids[2] = 99;
  expect_study_error("ids", &v, ":/samples/id:");
  expect_study_error("ids", &v, "99");
  fx_default_cache(&v);
  v.item_ids[0] = 7;
  expect_study_error("items", &v, ":/eval/t1/id:");
}

QA_TEST(study_labels_differ) {
  fx_cache v;
  fx_default_cache(&v);
  v.labels[1] = 2;
  expect_study_error("labels", &v, ":/samples/label: sample id 11 has label 2, the baseline's is 1");
}

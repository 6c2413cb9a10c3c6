/*
** The number of classes (issue 10, "Degenerate inputs must not crash it";
** docs/cache-format.md "Number of classes"): one C per cache (label names,
** else logits columns, else implied by the largest label or prediction),
** held against the baseline's whichever way each side derives it; an
** implied C bounded; per-class numbers only for classes with samples, in
** time and memory that do not grow with C.
**
** End to end with the real ./qaudit (tests/badinput_util.h), plus the
** per-class table of the analysis against closed forms.
*/
#include "badinput_util.h"

#include <cJSON.h>
#include <time.h>

#include "analysis/analysis.h"
#include "input/config.h"
#include "input/study.h"

/* What cls_write puts in a cache.  Hidden states are 2-D: row i of the
** baseline is r_i (cos a_i, sin a_i), r_i = 1 + 0.1 i, a_i = 0.4 i; a
** variant's row is the baseline's turned by turn[i] radians, so its cosine
** to the baseline is exactly cos(turn[i]). */
typedef struct cls_spec {
  size_t n;                  /* samples (ids 100 + i) */
  const int64_t *labels;     /* [n] or NULL */
  size_t n_names;            /* /samples/label_names "c0".."c<n-1>"; 0: none */
  size_t logit_cols;         /* /outputs/logits [n, cols] (row i peaks at
                                labels[i] % cols); 0: none */
  const int64_t *pred;       /* /outputs/prediction [n] or NULL */
  const double *turn;        /* [n] radians, or NULL (the baseline) */
  int without_hidden;
} cls_spec;

static int cls_write(const char *path, const cls_spec *s) {
  hid_t f = fx_create(path);
  if (f < 0) return -1;
  hsize_t n[1] = {s->n}, nd[2] = {s->n, 2}, nc[2] = {s->n, s->logit_cols};
  int64_t *ids = malloc(s->n * sizeof *ids);
  double *hid = malloc(2 * s->n * sizeof *hid);
  double *lg = malloc((s->n * s->logit_cols + 1) * sizeof *lg);
  char **names = calloc(s->n_names + 1, sizeof *names);
  char *pool = malloc(24 * (s->n_names + 1));
  int rc = !ids || !hid || !lg || !names || !pool;
  for (size_t i = 0; !rc && i < s->n; i++) {
    double r = 1.0 + 0.1 * (double)i, a = 0.4 * (double)i + (s->turn ? s->turn[i] : 0.0);
    ids[i] = 100 + (int64_t)i;
    hid[2 * i] = r * cos(a);
    hid[2 * i + 1] = r * sin(a);
    for (size_t j = 0; j < s->logit_cols; j++)
      lg[i * s->logit_cols + j] = s->labels && (size_t)s->labels[i] % s->logit_cols == j ? 2.0 : 0.0;
  }
  for (size_t k = 0; !rc && k < s->n_names; k++) {
    names[k] = pool + 24 * k;
    snprintf(names[k], 24, "c%zu", k);
  }
  if (!rc) {
    rc |= fx_attr_str(f, "model", "m");
    rc |= fx_attr_str(f, "variant", "v");
    rc |= fx_ints(f, "/samples/id", H5T_STD_I64LE, 1, n, ids);
    if (s->labels) rc |= fx_ints(f, "/samples/label", H5T_STD_I32LE, 1, n, s->labels);
    if (s->n_names)
      rc |= fx_strings(f, "/samples/label_names", (const char *const *)names, s->n_names);
    if (!s->without_hidden) rc |= fx_floats(f, "/hidden/final", H5T_IEEE_F64LE, 2, nd, hid, 0);
    if (s->logit_cols) rc |= fx_floats(f, "/outputs/logits", H5T_IEEE_F32LE, 2, nc, lg, 0);
    if (s->pred) rc |= fx_ints(f, "/outputs/prediction", H5T_STD_I32LE, 1, n, s->pred);
  }
  fx_close(f);
  free(ids); free(hid); free(lg); free(names); free(pool);
  return rc ? -1 : 0;
}

/* A fresh case with base.h5 and var.h5 as given and the pair config. */
static void cls_pair(bi_case *c, const char *name, const cls_spec *base, const cls_spec *var) {
  bi_case_init(c, name);
  if (cls_write(bi_path(c, "base.h5"), base) || cls_write(bi_path(c, "var.h5"), var))
    qa_test_fail(__FILE__, __LINE__, "cannot write the caches of %s", name);
  bi_config_pair(c, "");
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const int64_t LABELS6[6] = {0, 1, 2, 0, 1, 2};

/* ===== C differing from the baseline's ======================================= */

QA_TEST(classes_variant_names_more_than_baseline) {
  /* The variant names 4 classes, the baseline 3: the over-read of issue 10. */
  cls_spec b = {6, LABELS6, 3, 0, NULL, NULL, 0}, v = b;
  v.n_names = 4;
  bi_case c;
  bi_result r;
  cls_pair(&c, "names4v3", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label_names"),
            "C = 4 classes differs from the baseline's 3",
            bi_path(&c, "base.h5:/samples/label_names"));
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(classes_variant_logits_vs_baseline_names) {
  /* Baseline: 3 names and no logits; variant: 4 logit columns, no names. */
  cls_spec b = {6, LABELS6, 3, 0, NULL, NULL, 0}, v = {6, LABELS6, 0, 4, NULL, NULL, 0};
  bi_case c;
  bi_result r;
  cls_pair(&c, "logits4v3", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/outputs/logits"),
            "C = 4 classes differs from the baseline's 3",
            bi_path(&c, "base.h5:/samples/label_names"));
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(classes_baseline_implied_beyond_variant_names) {
  /* The baseline names nothing and has labels up to 4 (C implied 5); the
  ** variant names 3 classes, so it is the reference and label 4 of the
  ** baseline (row 4) does not fit. */
  static const int64_t lab[6] = {0, 1, 2, 3, 4, 0};
  cls_spec b = {6, lab, 0, 0, NULL, NULL, 0}, v = {6, NULL, 3, 0, NULL, NULL, 1};
  bi_case c;
  bi_result r;
  cls_pair(&c, "implied5v3", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "base.h5", "/samples/label"),
            "label 4 at row 4 is outside [0, 3)", bi_path(&c, "var.h5:/samples/label_names"));
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(classes_prediction_outside_baseline_classes) {
  /* Baseline: 3 names.  Variant: no names, no logits, a prediction of 3
  ** at row 2: its own file cannot tell, the study must. */
  static const int64_t pred[6] = {0, 1, 3, 0, 1, 2};
  cls_spec b = {6, LABELS6, 3, 0, NULL, NULL, 0}, v = {6, LABELS6, 0, 0, pred, NULL, 0};
  bi_case c;
  bi_result r;
  cls_pair(&c, "pred3", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/outputs/prediction"),
            "class 3 at row 2 is outside [0, 3)", bi_path(&c, "base.h5:/samples/label_names"));
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(classes_prediction_outside_own_names) {
  /* The cache itself names 3 classes and predicts 5 (cache.c). */
  static const int64_t pred[6] = {0, 1, 2, 0, 5, 2};
  cls_spec b = {6, LABELS6, 3, 0, NULL, NULL, 0}, v = {6, LABELS6, 3, 0, pred, NULL, 0};
  bi_case c;
  bi_result r;
  cls_pair(&c, "pred5own", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/outputs/prediction"),
            "class 5 at row 4 is outside [0, 3)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* ===== an implied C that the data cannot hold ================================ */

QA_TEST(classes_label_int32_max) {
  /* 2147483647 + 1 overflowed int32 and ended as "out of memory", exit 3. */
  static const int64_t lab[6] = {0, 1, 2, 2147483647, 1, 2};
  cls_spec b = {6, LABELS6, 0, 0, NULL, NULL, 0}, v = {6, lab, 0, 0, NULL, NULL, 0};
  bi_case c;
  bi_result r;
  cls_pair(&c, "labmax", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label"),
            "label 2147483647 at row 3 implies 2147483648 classes",
            "name the classes in /samples/label_names");
  BI_NO_REPORT(c.out);
  bi_free(&r);
  /* validate says the same about the file alone. */
  bi_validate(&r, bi_path(&c, "var.h5"));
  CHECK_INT(r.code, 2);
  CHECK_CONTAINS(r.out && *r.out ? r.out : r.err, "label 2147483647 at row 3 implies");
  bi_free(&r);
}

QA_TEST(classes_five_labels_up_to_two_million_refused) {
  /* Chosen rule: an implied C = 2,000,001 > N = 5 and > 65,536 is refused
  ** (exit 2) at once, not a 2-million-row table; the first label past
  ** the bound is named (500,000 > 65,536 at row 1). */
  static const int64_t lab[5] = {0, 500000, 1000000, 1500000, 2000000};
  cls_spec b = {5, lab, 0, 0, NULL, NULL, 0};
  bi_case c;
  bi_result r;
  cls_pair(&c, "spread2m", &b, &b);
  double t0 = now_s();
  bi_report(&c, &r);
  double secs = now_s() - t0;
  BI_EXPECT(&r, 2, bi_at(&c, "base.h5", "/samples/label"),
            "label 500000 at row 1 implies 500001 classes", "than the 5 samples");
  BI_NO_REPORT(c.out);
  CHECK(secs < 5.0);
  bi_free(&r);
}

QA_TEST(classes_implied_within_bound_accepted) {
  /* Labels up to 65,535 with N = 6 imply C = 65,536: at the bound, kept. */
  static const int64_t lab[6] = {0, 65535, 7, 0, 65535, 7};
  cls_spec b = {6, lab, 0, 0, NULL, NULL, 0};
  bi_case c;
  bi_result r;
  cls_pair(&c, "implied64k", &b, &b);
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  bi_free(&r);
}

/* ===== many named classes, few used ========================================== */

/* Reads DIR/out/report.json's per_class of the variant named var. */
static char *read_json(const bi_case *c) {
  char path[700];
  snprintf(path, sizeof path, "%s/report.json", c->out);
  return bi_slurp(path, NULL);
}

/* The number at key of obj; NaN when there is none. */
static double json_num(const cJSON *obj, const char *key) {
  const cJSON *x = cJSON_GetObjectItem(obj, key);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* 1 when the text of DIR/out/report.pdf (pdftotext, lines joined) holds
** phrase. */
static int pdf_says(const bi_case *c, const char *phrase) {
  char cmd[1400];
  int st = -1;
  snprintf(cmd, sizeof cmd, "pdftotext '%s/report.pdf' - | tr '\\n' ' ' | grep -qF '%s'",
           c->out, phrase);
  free(qa_test_command_output(cmd, &st));
  return st == 0;
}

static void many_classes_case(const char *name, size_t n_names, double max_s) {
  /* 12 samples in classes 3, 10, 500, 998 and n_names - 1; the variant
  ** turns sample i by turn[i]. */
  int64_t lab[12] = {3, 3, 10, 10, 10, 500, 500, 998, 998, 998, 0, 0};
  lab[10] = lab[11] = (int64_t)n_names - 1;
  static const double turn[12] = {0, 0, 0.1, 0.2, 0.3, 0, M_PI / 3, 0, 0, 0, 0.5, 0.5};
  cls_spec b = {12, lab, n_names, 0, NULL, NULL, 0}, v = b;
  v.turn = turn;
  bi_case c;
  bi_result r;
  cls_pair(&c, name, &b, &v);
  double t0 = now_s();
  bi_report_to(&r, c.cfg, c.out, 60);
  double secs = now_s() - t0;
  if (!bi_check_status(__FILE__, __LINE__, &r, 0)) { bi_free(&r); return; }
  CHECK(secs < max_s);
  char *text = read_json(&c);
  cJSON *doc = text ? cJSON_Parse(text) : NULL;
  free(text);
  CHECK(doc != NULL);
  const cJSON *vars = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "models"), 0),
                                          "variants");
  const cJSON *repr = cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 1), "representation");
  const cJSON *pc = cJSON_GetObjectItem(repr, "per_class");
  /* Only the 5 classes with samples are listed, in label order. */
  CHECK_INT(cJSON_GetArraySize(pc), 5);
  CHECK_NEAR(json_num(repr, "n_classes"), (double)n_names, 0);
  char last[16];
  snprintf(last, sizeof last, "c%zu", n_names - 1);
  const char *want[5] = {"c3", "c10", "c500", "c998", last};
  const double want_n[5] = {2, 3, 2, 3, 2};
  /* Hand computation: cosine to the baseline is cos(turn): c10 holds
  ** turns 0.1, 0.2, 0.3, so its mean is (cos 0.1 + cos 0.2 + cos 0.3) / 3
  ** = 0.97680241...; c500 holds 0 and pi/3: (1 + 0.5) / 2 = 0.75. */
  const double want_cos[5] = {1.0, (cos(0.1) + cos(0.2) + cos(0.3)) / 3.0, 0.75, 1.0, cos(0.5)};
  for (int k = 0; k < 5; k++) {
    const cJSON *e = cJSON_GetArrayItem(pc, k);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "label")), want[k]);
    CHECK_NEAR(json_num(e, "n"), want_n[k], 0);
    CHECK_NEAR(json_num(e, "cosine_mean"), want_cos[k], 1e-12);
  }
  CHECK_NEAR(want_cos[1], 0.97680241, 1e-8);
  /* The PDF tables list the 5 and say what they leave out. */
  char said[128];
  snprintf(said, sizeof said, "%zu of the %zu classes have no sample and are not listed",
           n_names - 5, n_names);
  CHECK(pdf_says(&c, said));
  cJSON_Delete(doc);
  bi_free(&r);
}

QA_TEST(classes_thousand_named_five_used) { many_classes_case("named1000", 1000, 10.0); }

QA_TEST(classes_two_million_named_five_used) {
  /* 2,000,001 named classes are legal; the report must not grow with C. */
  many_classes_case("named2m", 2000001, 30.0);
}

QA_TEST(classes_many_with_samples) {
  /* 1200 samples, two per class, 600 named classes: every class has
  ** samples, so report.json lists all 600 (in label order) while the PDF
  ** tables show 40; the per-class tables and figures stay O(K) in time. */
  enum { N = 1200 };
  static int64_t lab[N];
  static double turn[N];
  for (size_t i = 0; i < N; i++) {
    lab[i] = (int64_t)(i / 2);
    turn[i] = 0.001 * (double)(i % 7);
  }
  cls_spec b = {N, lab, N / 2, 0, NULL, NULL, 0}, v = b;
  v.turn = turn;
  bi_case c;
  bi_result r;
  cls_pair(&c, "many600", &b, &v);
  double t0 = now_s();
  bi_report_to(&r, c.cfg, c.out, 60);
  double secs = now_s() - t0;
  if (!bi_check_status(__FILE__, __LINE__, &r, 0)) { bi_free(&r); return; }
  CHECK(secs < 20.0);
  char *text = read_json(&c);
  cJSON *doc = text ? cJSON_Parse(text) : NULL;
  free(text);
  const cJSON *vars = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "models"), 0),
                                          "variants");
  const cJSON *pc =
      cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 1), "representation"),
                          "per_class");
  CHECK_INT(cJSON_GetArraySize(pc), N / 2);
  /* Class c7 holds rows 14 and 15, turned by 0.001 · (14 mod 7) = 0 and
  ** 0.001 · (15 mod 7) = 0.001: mean cosine (1 + cos 0.001) / 2. */
  const cJSON *e = cJSON_GetArrayItem(pc, 7);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "label")), "c7");
  CHECK_NEAR(json_num(e, "cosine_mean"), (1.0 + cos(0.001)) / 2.0, 1e-12);
  CHECK(pdf_says(&c, "Shown: the 40 of the 600 classes with samples"));
  cJSON_Delete(doc);
  bi_free(&r);
}

/* ===== the analysis's per-class table, unit level ============================ */

/* base.h5 and var.h5 from the specs, the pair config, the study and the
** analysis; NULL analysis (failure recorded) when any step fails. */
typedef struct cls_run { qa_config *cfg; qa_study *study; qa_analysis *a; } cls_run;

static void cls_analyse(const char *name, const cls_spec *b, const cls_spec *v, cls_run *out) {
  bi_case c;
  qa_error err = {0};
  qa_analysis_opts o = {1};
  memset(out, 0, sizeof *out);
  cls_pair(&c, name, b, v);
  if (qa_config_load(c.cfg, &out->cfg, &err) || qa_study_load(out->cfg, NULL, &out->study, &err) ||
      qa_analysis_run(out->study, &o, NULL, &out->a, &err))
    qa_test_fail(__FILE__, __LINE__, "%s: %s", name, err.msg);
}

static void cls_release(cls_run *r) {
  qa_analysis_free(r->a);
  qa_study_free(r->study);
  qa_config_free(r->cfg);
}

QA_TEST(classes_per_class_rows_are_the_classes_with_samples) {
  /* 12 samples in classes 3, 10, 500, 998, 999 of 1000 named ones. */
  static const int64_t lab[12] = {3, 3, 10, 10, 10, 500, 500, 998, 998, 998, 999, 999};
  static const double turn[12] = {0, 0, 0.1, 0.2, 0.3, 0, M_PI / 3, 0, 0, 0, 0.5, 0.5};
  cls_spec b = {12, lab, 1000, 0, NULL, NULL, 0}, v = b;
  v.turn = turn;
  cls_run run;
  cls_analyse("unit1000", &b, &v, &run);
  if (!run.a) { cls_release(&run); return; }
  CHECK_INT(run.study->models[0].n_classes, 1000);
  const qa_repr_result *rb = &run.a->models[0][0].repr, *rv = &run.a->models[0][1].repr;
  CHECK_INT(rb->n_classes, 5);
  CHECK_INT(rv->n_classes, 5);
  const int32_t want_label[5] = {3, 10, 500, 998, 999};
  const size_t want_n[5] = {2, 3, 2, 3, 2};
  /* cos(turn) averaged per class (see many_classes_case). */
  const double want_cos[5] = {1.0, (cos(0.1) + cos(0.2) + cos(0.3)) / 3.0, 0.75, 1.0, cos(0.5)};
  for (size_t k = 0; k < 5 && rv->per_class && rb->per_class; k++) {
    CHECK_INT(rv->per_class[k].label, want_label[k]);
    CHECK_INT(rv->per_class[k].n, want_n[k]);
    CHECK_NEAR(rv->per_class[k].cosine_mean, want_cos[k], 1e-12);
    /* The baseline against itself: cosine 1 (to rounding), delta 0. */
    CHECK_NEAR(rb->per_class[k].cosine_mean, 1.0, 1e-15);
    CHECK_NEAR(rb->per_class[k].knn_delta_pp, 0.0, 0);
    /* delta = 100 (variant's accuracy - the baseline's of the same label). */
    CHECK_NEAR(rv->per_class[k].knn_delta_pp,
               100.0 * (rv->per_class[k].knn_accuracy - rb->per_class[k].knn_accuracy), 1e-12);
    /* A class's kNN accuracy is a count of its n samples over n. */
    double hits = rv->per_class[k].knn_accuracy * (double)want_n[k];
    CHECK_NEAR(hits, round(hits), 1e-12);
  }
  cls_release(&run);
}

QA_TEST(classes_model_c_implied_by_labels_and_predictions) {
  /* No names, no logits: C is the largest label or prediction + 1.  Labels
  ** reach 2; the variant predicts 4 once: the model's C is 5. */
  static const int64_t pred[6] = {0, 1, 2, 4, 1, 2};
  cls_spec b = {6, LABELS6, 0, 0, NULL, NULL, 0}, v = {6, LABELS6, 0, 0, pred, NULL, 0};
  cls_run run;
  cls_analyse("unitimplied", &b, &v, &run);
  if (!run.a) { cls_release(&run); return; }
  CHECK_INT(run.study->models[0].n_classes, 5);
  /* Only the 3 labelled classes have rows (0, 1, 2; 2 samples each). */
  const qa_repr_result *rv = &run.a->models[0][1].repr;
  CHECK_INT(rv->n_classes, 3);
  for (size_t k = 0; k < 3 && rv->per_class; k++) {
    CHECK_INT(rv->per_class[k].label, (int)k);
    CHECK_INT(rv->per_class[k].n, 2);
  }
  /* 5 of 6 predictions equal the label (row 3 predicts 4 for label 0). */
  CHECK_NEAR(run.a->models[0][1].out.accuracy, 5.0 / 6.0, 1e-15);
  cls_release(&run);
}

QA_TEST(classes_baseline_without_names_variant_with_names) {
  /* The variant names 3 classes, the baseline none: the variant is the
  ** reference, the baseline's labels fit, and the model's C is 3. */
  cls_spec b = {6, LABELS6, 0, 0, NULL, NULL, 0}, v = {6, LABELS6, 3, 0, NULL, NULL, 0};
  v.turn = (const double[6]){0.1, 0, 0, 0, 0, 0};
  cls_run run;
  cls_analyse("unitrefvar", &b, &v, &run);
  if (!run.a) { cls_release(&run); return; }
  CHECK_INT(run.study->models[0].n_classes, 3);
  const qa_repr_result *rv = &run.a->models[0][1].repr;
  CHECK_INT(rv->n_classes, 3);
  /* Class 0 holds rows 0 and 3: (cos 0.1 + 1) / 2. */
  if (rv->per_class) CHECK_NEAR(rv->per_class[0].cosine_mean, (cos(0.1) + 1.0) / 2.0, 1e-12);
  cls_release(&run);
}

/*
** Benchmark strata (INTERFACE.md section 2 /eval/<task>/stratum and
** stratum_names; STATISTICS.md "benchmark.strata"): the reader, the
** alignment of a variant's items to the baseline's by id, the analysis
** (accuracy with Wilson 95 %, delta_pp, exact McNemar paired by item id,
** Holm over every stratum of the variant), report.json, the report's
** table and sentences, the bad inputs, and the child-to-parent pass of a
** cache (cache_wire.c).
**
** Every number is checked against tests/ref/strata_ref.py (NumPy 1.24.2,
** SciPy 1.10.1: scipy.stats.binomtest for McNemar, its proportion_ci with
** method "wilson", Holm by hand), on a fixture the script and the writer
** below build from the same hash, and on the showcase's caches.
*/
#include "harness.h"
#include "analysis_fixture.h"
#include "badinput_util.h"
#include "h5fixture.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/cache.h"
#include "report/report.h"
#include "results/results.h"

/* ---- the fixture of tests/ref/strata_ref.py ----------------------------- */

/* u(i, s) of the script: a hash of (i, s) in [0, 1). */
static double hash_u(uint32_t i, uint32_t salt) {
  uint32_t x = 2654435761u * i + 97531u * salt;
  uint32_t y = (x ^ (x >> 15)) * 2246822519u;
  return (double)(y ^ (y >> 13)) / 4294967296.0;
}

#define ARC_M 400
#define BOOLQ_M 40

typedef struct fixture_task {
  const char *name;
  size_t m, n_names;
  const char *const *names;
  int64_t ids[ARC_M], base[ARC_M], var[ARC_M], stratum[ARC_M];
} fixture_task;

static const char *const ARC_NAMES[] = {"algebra", "biology", "chemistry", "drama", "empty"};
static const char *const BOOLQ_NAMES[] = {"short", "long", "yesno"};

/* The two tasks, in the baseline's row order (the script's docstring). */
static void fixture_tasks(fixture_task *arc, fixture_task *boolq) {
  static const double loss[4] = {0.45, 0.05, 0.15, 0.05}, gain[4] = {0.05, 0.6, 0.05, 0.1};
  *arc = (fixture_task){"arc", ARC_M, 5, ARC_NAMES, {0}, {0}, {0}, {0}};
  for (uint32_t i = 0; i < ARC_M; i++) {
    int s = (int)(4 * hash_u(i, 1));
    int right = hash_u(i, 2) < 0.5;
    double r = hash_u(i, 3);
    arc->ids[i] = 1000 + 3 * (int64_t)i;
    arc->stratum[i] = s;
    arc->base[i] = right;
    arc->var[i] = right ? !(r < loss[s]) : r < gain[s];
  }
  *boolq = (fixture_task){"boolq", BOOLQ_M, 3, BOOLQ_NAMES, {0}, {0}, {0}, {0}};
  for (uint32_t i = 0; i < BOOLQ_M; i++) {
    int right = hash_u(i, 5) < 0.6;
    boolq->ids[i] = 5000 + (int64_t)i;
    boolq->stratum[i] = (int)(3 * hash_u(i, 4));
    boolq->base[i] = right;
    boolq->var[i] = right ^ (hash_u(i, 6) < 0.25);
  }
}

/* Writes one task of a cache: the baseline's or the variant's results,
** rows in the baseline's order or permuted (row j holds item 7j mod M). */
static int write_task(hid_t f, const fixture_task *t, int variant, int permuted) {
  int64_t ids[ARC_M], correct[ARC_M], stratum[ARC_M];
  char path[128];
  hsize_t m[1] = {t->m};
  for (size_t j = 0; j < t->m; j++) {
    size_t i = permuted ? (7 * j) % t->m : j;
    ids[j] = t->ids[i];
    correct[j] = variant ? t->var[i] : t->base[i];
    stratum[j] = t->stratum[i];
  }
  int rc = 0;
  snprintf(path, sizeof path, "/eval/%s/correct", t->name);
  rc |= fx_ints(f, path, H5T_STD_I8LE, 1, m, correct);
  snprintf(path, sizeof path, "/eval/%s/id", t->name);
  rc |= fx_ints(f, path, H5T_STD_I64LE, 1, m, ids);
  snprintf(path, sizeof path, "/eval/%s/stratum", t->name);
  rc |= fx_ints(f, path, H5T_STD_I32LE, 1, m, stratum);
  snprintf(path, sizeof path, "/eval/%s/stratum_names", t->name);
  rc |= fx_strings(f, path, t->names, t->n_names);
  return rc;
}

static void write_fixture_cache(const char *dir, const char *name, int variant, int permuted) {
  static fixture_task arc, boolq;
  char path[1200];
  fixture_tasks(&arc, &boolq);
  snprintf(path, sizeof path, "%s/%s.h5", dir, name);
  hid_t f = fx_create(path);
  int rc = f < 0 || fx_attr_str(f, "model", "m") || fx_attr_str(f, "variant", name) ||
           write_task(f, &arc, variant, permuted) || write_task(f, &boolq, variant, permuted);
  fx_close(f);
  if (rc) qa_test_fail(__FILE__, __LINE__, "cannot write %s", path);
}

/* tests/ref/strata_ref.py, printed rows: task, stratum, n, correct (variant),
** correct (baseline), accuracy, Wilson low, high, delta_pp, b, c, McNemar p,
** Holm p.  "empty" has no items and no row. */
typedef struct ref_row {
  const char *task, *stratum;
  int n, correct, correct_base;
  double accuracy, lo, hi, delta_pp;
  int b, c;
  double p, holm;
} ref_row;

static const ref_row FIXTURE_REF[] = {
  {"arc", "algebra", 98, 26, 46, 0.26530612244897961, 0.1879572417312273, 0.36036030465241875, -20.408163265306122, 23, 3, 8.7976455688476562e-05, 0.00052785873413085938},
  {"arc", "biology", 98, 75, 49, 0.76530612244897955, 0.67238234578069689, 0.83821521048126846, 26.530612244897959, 1, 27, 2.1606683731079102e-07, 1.5124678611755371e-06},
  {"arc", "chemistry", 107, 49, 59, 0.45794392523364486, 0.36663760451580968, 0.55216534073810375, -9.3457943925233646, 11, 1, 0.00634765625, 0.03173828125},
  {"arc", "drama", 97, 46, 44, 0.47422680412371132, 0.37774492218389683, 0.57267229650300766, 2.0618556701030926, 3, 5, 0.7265625, 1},
  {"boolq", "short", 16, 6, 9, 0.375, 0.18481232558863633, 0.61358959454497275, -18.75, 4, 1, 0.375, 1},
  {"boolq", "long", 13, 6, 7, 0.46153846153846156, 0.23206067809538303, 0.70856204285493996, -7.6923076923076925, 2, 1, 1, 1},
  {"boolq", "yesno", 11, 6, 6, 0.54545454545454541, 0.28009153740932202, 0.78728728377540236, 0, 1, 1, 1, 1},
};
#define N_REF (sizeof FIXTURE_REF / sizeof *FIXTURE_REF)

/* Relative closeness for p-values, which span many decades. */
#define CHECK_REL(got, want, tol) CHECK_NEAR((got) / (want), 1.0, (tol))

/* One variant's strata against the script's rows. */
static void check_variant_strata(const qa_bench_result *r) {
  CHECK_INT(r->n_strata, N_REF);
  for (size_t k = 0; k < r->n_strata && k < N_REF; k++) {
    const qa_stratum_result *s = &r->strata[k];
    const ref_row *w = &FIXTURE_REF[k];
    CHECK_STR(s->task, w->task);
    CHECK_STR(s->stratum, w->stratum);
    CHECK_INT(s->n, w->n);
    CHECK_INT(s->correct, w->correct);
    CHECK_INT(s->b, w->b);
    CHECK_INT(s->c, w->c);
    CHECK_NEAR(s->accuracy, w->accuracy, 1e-15);
    CHECK_NEAR(s->wilson_lo, w->lo, 1e-12);
    CHECK_NEAR(s->wilson_hi, w->hi, 1e-12);
    CHECK_NEAR(s->delta_pp, w->delta_pp, 1e-12);
    CHECK_REL(s->mcnemar_p, w->p, 1e-12);
    CHECK_REL(s->mcnemar_p_holm, w->holm, 1e-12);
  }
}

/* base, var (the variant's results, rows permuted), sorted (the same
** results in the baseline's order) and same (the baseline's results). */
static int fixture_study(const char *tag, qa_test_study *st, char *dir, size_t cap) {
  if (qa_test_study_dir("strata", tag, dir, cap)) return -1;
  write_fixture_cache(dir, "base", 0, 0);
  write_fixture_cache(dir, "var", 1, 1);
  write_fixture_cache(dir, "sorted", 1, 0);
  write_fixture_cache(dir, "same", 0, 1);
  const char *names[] = {"base", "var", "sorted", "same"};
  return qa_test_study_run(dir, names, 4, NULL, NULL, NULL, st);
}

QA_TEST(strata_against_scipy_with_items_in_another_order) {
  qa_test_study st;
  char dir[1024];
  if (fixture_study("scipy", &st, dir, sizeof dir)) { qa_test_study_free(&st); return; }
  const qa_variant_result *res = st.a->models[0];
  /* var stores its items in another order (row j holds item 7j mod M):
  ** paired by id, it gives the script's numbers, as the same results in
  ** the baseline's order do, to the bit. */
  check_variant_strata(&res[1].bench);
  check_variant_strata(&res[2].bench);
  for (size_t k = 0; k < res[1].bench.n_strata && k < res[2].bench.n_strata; k++) {
    const qa_stratum_result *x = &res[1].bench.strata[k], *y = &res[2].bench.strata[k];
    const double xs[6] = {x->accuracy, x->wilson_lo, x->wilson_hi, x->delta_pp, x->mcnemar_p,
                          x->mcnemar_p_holm};
    const double ys[6] = {y->accuracy, y->wilson_lo, y->wilson_hi, y->delta_pp, y->mcnemar_p,
                          y->mcnemar_p_holm};
    CHECK(!memcmp(xs, ys, sizeof xs));
  }
  /* The baseline: its own accuracy (the script's correct_base / n), delta
  ** 0 and no test. */
  const qa_bench_result *b = &res[0].bench;
  CHECK_INT(b->n_strata, N_REF);
  for (size_t k = 0; k < b->n_strata && k < N_REF; k++) {
    CHECK_INT(b->strata[k].correct, FIXTURE_REF[k].correct_base);
    CHECK_NEAR(b->strata[k].accuracy,
               (double)FIXTURE_REF[k].correct_base / FIXTURE_REF[k].n, 1e-15);
    CHECK_NEAR(b->strata[k].delta_pp, 0.0, 0);
    CHECK(isnan(b->strata[k].mcnemar_p) && isnan(b->strata[k].mcnemar_p_holm));
  }
  /* The baseline's results in another order: no discordant item, every p 1
  ** (STATISTICS.md: 1 when b + c = 0), and Holm keeps them at 1. */
  const qa_bench_result *s = &res[3].bench;
  CHECK_INT(s->n_strata, N_REF);
  for (size_t k = 0; k < s->n_strata; k++) {
    CHECK_INT(s->strata[k].b + s->strata[k].c, 0);
    CHECK_NEAR(s->strata[k].delta_pp, 0.0, 0);
    CHECK_NEAR(s->strata[k].mcnemar_p, 1.0, 0);
    CHECK_NEAR(s->strata[k].mcnemar_p_holm, 1.0, 0);
  }
  /* The items were permuted with their strata in the variant's cache. */
  const qa_cache *vc = st.study->models[0].variants[1].cache, *bc = st.study->models[0].variants[0].cache;
  for (size_t t = 0; t < 2; t++) {
    CHECK_INT(vc->tasks[t].n_items, bc->tasks[t].n_items);
    CHECK(!memcmp(vc->tasks[t].ids, bc->tasks[t].ids, bc->tasks[t].n_items * sizeof(int64_t)));
    CHECK(!memcmp(vc->tasks[t].stratum, bc->tasks[t].stratum,
                  bc->tasks[t].n_items * sizeof(int32_t)));
  }
  qa_test_study_free(&st);
}

/* ---- report.json --------------------------------------------------------- */

static double num(const cJSON *o, const char *k) { return qa_json_get_num(o, k); }

static cJSON *fixture_results(qa_test_study *st) {
  qa_results_opts ro = {1700000000LL, 1};
  cJSON *root = NULL;
  qa_error err = {0};
  if (qa_results_build(st->study, st->a, &ro, NULL, &root, &err))
    qa_test_fail(__FILE__, __LINE__, "results: %s", err.msg);
  return root;
}

static const cJSON *variant_json(const cJSON *root, int v) {
  const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
  return cJSON_GetArrayItem(cJSON_GetObjectItem(m, "variants"), v);
}

static const cJSON *strata_json(const cJSON *root, int v) {
  return cJSON_GetObjectItem(cJSON_GetObjectItem(variant_json(root, v), "benchmark"), "strata");
}

QA_TEST(strata_report_json_keys) {
  qa_test_study st;
  char dir[1024];
  if (fixture_study("json", &st, dir, sizeof dir)) { qa_test_study_free(&st); return; }
  cJSON *root = fixture_results(&st);
  /* INTERFACE.md section 4's keys, then qaudit's additions
  ** (docs/results.md), in this order. */
  static const char *const keys[] = {"task", "stratum", "n", "correct", "accuracy", "wilson95",
                                     "delta_pp", "mcnemar_b", "mcnemar_c", "mcnemar_p",
                                     "mcnemar_p_holm", "survives_holm"};
  const cJSON *arr = strata_json(root, 1), *e;
  CHECK_INT(cJSON_GetArraySize(arr), N_REF);
  size_t k = 0;
  cJSON_ArrayForEach(e, arr) {
    const cJSON *item = e->child;
    for (size_t j = 0; j < sizeof keys / sizeof *keys; j++, item = item ? item->next : NULL)
      CHECK_STR(item ? item->string : NULL, keys[j]);
    CHECK(item == NULL);
    if (k < N_REF) {
      const ref_row *w = &FIXTURE_REF[k];
      CHECK_STR(qa_json_get_str(e, "task"), w->task);
      CHECK_STR(qa_json_get_str(e, "stratum"), w->stratum);
      CHECK_NEAR(num(e, "n"), w->n, 0);
      CHECK_NEAR(num(e, "accuracy"), w->accuracy, 1e-15);
      const cJSON *ci = cJSON_GetObjectItem(e, "wilson95");
      CHECK_NEAR(cJSON_GetArrayItem(ci, 0)->valuedouble, w->lo, 1e-12);
      CHECK_NEAR(cJSON_GetArrayItem(ci, 1)->valuedouble, w->hi, 1e-12);
      CHECK_NEAR(num(e, "delta_pp"), w->delta_pp, 1e-12);
      CHECK_NEAR(num(e, "mcnemar_b"), w->b, 0);
      CHECK_NEAR(num(e, "mcnemar_c"), w->c, 0);
      CHECK_REL(num(e, "mcnemar_p_holm"), w->holm, 1e-12);
      /* alpha 0.05 (the default): algebra, biology and chemistry survive. */
      CHECK(cJSON_IsTrue(cJSON_GetObjectItem(e, "survives_holm")) == (w->holm < 0.05));
    }
    k++;
  }
  /* The baseline's tests are null, its delta 0. */
  cJSON_ArrayForEach(e, strata_json(root, 0)) {
    CHECK_NEAR(num(e, "delta_pp"), 0, 0);
    static const char *const nulls[] = {"mcnemar_b", "mcnemar_c", "mcnemar_p", "mcnemar_p_holm",
                                        "survives_holm"};
    for (size_t j = 0; j < 5; j++) CHECK(cJSON_IsNull(cJSON_GetObjectItem(e, nulls[j])));
  }
  cJSON_Delete(root);
  qa_test_study_free(&st);
}

/* ---- the report ----------------------------------------------------------- */

/* The PDF of results, as text with whitespace squashed to single spaces;
** layout = 1 keeps table rows on one line.  Caller frees. */
static char *render_text(const cJSON *results, const char *config_path, const char *name,
                         int layout) {
  char pdf[1024], cmd[1400];
  qa_config *cfg = NULL;
  qa_error err = {0};
  if (qa_config_load(config_path, &cfg, &err)) {
    qa_test_fail(__FILE__, __LINE__, "config: %s", err.msg);
    return NULL;
  }
  snprintf(pdf, sizeof pdf, "%s/%s.pdf", qa_test_tmpdir(), name);
  qa_report_opts opts = {"fonts", 1700000000LL, NULL};
  int rc = qa_report_pdf(results, cfg, &opts, pdf, &err);
  qa_config_free(cfg);
  if (rc) {
    qa_test_fail(__FILE__, __LINE__, "qa_report_pdf: %s", err.msg);
    return NULL;
  }
  snprintf(cmd, sizeof cmd, "pdftotext %s-enc UTF-8 '%s' - 2>/dev/null", layout ? "-layout " : "",
           pdf);
  char *text = qa_test_command_output(cmd, NULL);
  if (layout) return text;
  char *o = text;
  int space = 0;
  for (char *p = text; p && *p; p++) {
    if (*p == ' ' || *p == '\n' || *p == '\f' || *p == '\t' || *p == '\r') { space = 1; continue; }
    if (space && o != text) *o++ = ' ';
    space = 0;
    *o++ = *p;
  }
  if (o) *o = '\0';
  return text;
}

/* The clause of one variant whose results are the fixture's variant's
** (FIXTURE_REF, rounded as the report rounds: pp to one decimal, p to three
** significant digits or "< 0.001"): the two losses that survive Holm, the
** gain that does, and the four strata within noise, whose smallest Holm p
** is 1. */
#define VAR_CLAUSE(v)                                                                   \
  v "'s losses on arc/algebra (-20.4 pp, Holm p < 0.001) and arc/chemistry (-9.3 pp, " \
  "Holm p 0.0317) survive correction, as does its gain on arc/biology (+26.5 pp, "  \
  "Holm p < 0.001), its other 4 strata are within noise (smallest Holm p 1.00)"

QA_TEST(strata_report_table_and_sentences) {
  qa_test_study st;
  char dir[1024], cfg_path[1100];
  if (fixture_study("report", &st, dir, sizeof dir)) { qa_test_study_free(&st); return; }
  snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dir);
  cJSON *root = fixture_results(&st);
  char *text = render_text(root, cfg_path, "strata-report", 0);
  /* The summary's finding and the section's sentence, from the numbers. */
  const char *head = "(exact McNemar against base, Holm over each variant's 7 strata at alpha "
                     "0.05): ";
  char want[2048];
  snprintf(want, sizeof want, "m, benchmark by stratum %s" VAR_CLAUSE("var") "; "
           VAR_CLAUSE("sorted") "; same: no stratum change survives correction (smallest Holm "
           "p 1.00).", head);
  CHECK_CONTAINS(text, want);
  snprintf(want, sizeof want, "By stratum %s" VAR_CLAUSE("var"), head);
  CHECK_CONTAINS(text, want);
  CHECK_CONTAINS(text, "change in benchmark accuracy by stratum (pp against base)");
  CHECK_CONTAINS(text, "survives Holm's correction over the 7 strata of the variant at alpha 0.05");
  CHECK_CONTAINS(text, "Benchmark by stratum: each (task, stratum)'s accuracy");
  free(text);
  /* A table row: task, stratum, n, the baseline's accuracy 46/98 = 0.469
  ** and the deltas of var, sorted and same. */
  text = render_text(root, cfg_path, "strata-report-layout", 1);
  const char *row = text ? strstr(text, " algebra ") : NULL;
  char line[512] = "";
  if (row) {
    const char *a = row, *b = strchr(row, '\n');
    while (a > text && a[-1] != '\n') a--;
    snprintf(line, sizeof line, "%.*s", (int)((b ? b : row + strlen(row)) - a), a);
  }
  static const char *const cells[] = {"arc", "algebra", "98", "0.469", "-20.4", "0.0"};
  const char *at = line;
  for (size_t j = 0; j < 6; j++) {
    const char *hit = strstr(at, cells[j]);
    if (!hit) qa_test_fail(__FILE__, __LINE__, "row \"%s\" lacks \"%s\" in order", line, cells[j]);
    else at = hit + strlen(cells[j]);
  }
  CHECK(strstr(strstr(line, "-20.4") ? strstr(line, "-20.4") + 1 : line, "-20.4") != NULL);
  free(text);
  /* A variant whose only surviving change is a gain, and one changing
  ** nowhere: crafted on the tree (the report reads only report.json). */
  const cJSON *e;
  int k = 0;
  cJSON_ArrayForEach(e, strata_json(root, 3)) {
    if (k++ != 4) continue;                  /* boolq/short */
    cJSON_ReplaceItemInObject((cJSON *)e, "delta_pp", cJSON_CreateNumber(12.5));
    cJSON_ReplaceItemInObject((cJSON *)e, "mcnemar_p_holm", cJSON_CreateNumber(0.0123));
    cJSON_ReplaceItemInObject((cJSON *)e, "survives_holm", cJSON_CreateTrue());
  }
  text = render_text(root, cfg_path, "strata-report-gain", 0);
  CHECK_CONTAINS(text, "; same: no stratum loss survives correction, but its gain on "
                       "boolq/short (+12.5 pp, Holm p 0.0123) does, its other 6 strata are "
                       "within noise (smallest Holm p 1.00).");
  free(text);
  cJSON_Delete(root);
  qa_test_study_free(&st);
}

QA_TEST(strata_report_absent_without_strata) {
  /* The bad-input suite's good report has a benchmark task without strata. */
  const char *master = bi_master();
  if (!master) return;
  char path[1024];
  snprintf(path, sizeof path, "%s/report.json", master);
  char *json = qa_test_read_file(path, NULL);
  cJSON *root = json ? cJSON_Parse(json) : NULL;
  free(json);
  for (int v = 0; v < 2; v++) {
    const cJSON *bench = cJSON_GetObjectItem(variant_json(root, v), "benchmark");
    CHECK(cJSON_IsObject(bench) && !cJSON_GetObjectItem(bench, "strata"));
  }
  cJSON_Delete(root);
  snprintf(path, sizeof path, "pdftotext '%s/report.pdf' - 2>/dev/null", master);
  char *text = qa_test_command_output(path, NULL);
  CHECK(text && strstr(text, "By task") && !strstr(text, "By stratum") &&
        !strstr(text, "benchmark by stratum"));
  free(text);
}

/* ---- the showcase ---------------------------------------------------------- */

/* tests/ref/strata_ref.py --showcase on examples/showcase/caches (h5py). */
static const ref_row SHOWCASE_INT4[] = {
  {"policy_arc", "harassment_hate", 46, 31, 28, 0.67391304347826086, 0.52967732419322411, 0.79134056690744348, 6.5217391304347823, 0, 3, 0.25, 1},
  {"policy_arc", "self_harm_suicide", 71, 59, 62, 0.83098591549295775, 0.72740872001366508, 0.90058545247571742, -4.225352112676056, 4, 1, 0.375, 1},
  {"policy_arc", "violent_threats", 34, 21, 21, 0.61764705882352944, 0.450410173444307, 0.76099816675491094, 0, 2, 2, 1, 1},
  {"policy_arc", "health_advice", 34, 16, 17, 0.47058823529411764, 0.31451504475088476, 0.6326328701993108, -2.9411764705882355, 3, 2, 1, 1},
  {"policy_arc", "scams_spam", 15, 6, 8, 0.40000000000000002, 0.19824496141341572, 0.64253169879375394, -13.333333333333334, 3, 1, 0.625, 1},
  {"triage_qa", "support_forum", 55, 38, 40, 0.69090909090909092, 0.55971409842464082, 0.79717712114883532, -3.6363636363636362, 4, 2, 0.6875, 1},
  {"triage_qa", "marketplace", 43, 34, 35, 0.79069767441860461, 0.6479435728926356, 0.88577165779004396, -2.3255813953488373, 3, 2, 1, 1},
  {"triage_qa", "game_chat", 79, 38, 41, 0.48101265822784811, 0.37429730453787924, 0.58948894400594065, -3.7974683544303796, 5, 2, 0.453125, 1},
  {"triage_qa", "health_portal", 36, 17, 19, 0.47222222222222221, 0.31986041515179064, 0.62994061977012406, -5.5555555555555554, 3, 1, 0.625, 1},
  {"triage_qa", "social_feed", 72, 46, 49, 0.63888888888888884, 0.52352480467383578, 0.74018320293825923, -4.166666666666667, 5, 2, 0.453125, 1},
};
static const ref_row SHOWCASE_INT2[] = {
  {"policy_arc", "harassment_hate", 46, 9, 28, 0.19565217391304349, 0.10650610134398536, 0.33171258922984614, -41.304347826086953, 22, 3, 0.00015652179718017578, 0.0010956525802612305},
  {"policy_arc", "self_harm_suicide", 71, 60, 62, 0.84507042253521125, 0.74349037146722408, 0.91122695729830228, -2.816901408450704, 6, 4, 0.75390625, 0.75390625},
  {"policy_arc", "violent_threats", 34, 6, 21, 0.17647058823529413, 0.083489690453723203, 0.33513737399842747, -44.117647058823529, 15, 0, 6.103515625e-05, 0.00048828125},
  {"policy_arc", "health_advice", 34, 4, 17, 0.11764705882352941, 0.046714466648823352, 0.26620842770371833, -38.235294117647058, 15, 2, 0.002349853515625, 0.011749267578125},
  {"policy_arc", "scams_spam", 15, 3, 8, 0.20000000000000001, 0.070475493469815575, 0.45185448715169357, -33.333333333333336, 6, 1, 0.125, 0.25},
  {"triage_qa", "support_forum", 55, 28, 40, 0.50909090909090904, 0.38076259846972194, 0.63623222150996706, -21.818181818181817, 17, 5, 0.016900539398193359, 0.050701618194580078},
  {"triage_qa", "marketplace", 43, 18, 35, 0.41860465116279072, 0.28384550927849195, 0.56671422613035782, -39.534883720930232, 19, 2, 0.00022125244140625, 0.0013275146484375},
  {"triage_qa", "game_chat", 79, 12, 41, 0.15189873417721519, 0.089082678926317424, 0.24699854437704644, -36.708860759493668, 31, 2, 1.3085082173347473e-07, 1.1776573956012726e-06},
  {"triage_qa", "health_portal", 36, 10, 19, 0.27777777777777779, 0.15848337940134613, 0.439924899973971, -25, 10, 1, 0.01171875, 0.046875},
  {"triage_qa", "social_feed", 72, 16, 49, 0.22222222222222221, 0.14167443539575808, 0.33090954938005185, -45.833333333333336, 36, 3, 3.6088749766349792e-08, 3.6088749766349792e-07},
};

static void check_showcase_variant(const cJSON *arr, const ref_row *ref, size_t n) {
  CHECK_INT(cJSON_GetArraySize(arr), n);
  for (size_t k = 0; k < n && k < (size_t)cJSON_GetArraySize(arr); k++) {
    const cJSON *e = cJSON_GetArrayItem(arr, (int)k);
    CHECK_STR(qa_json_get_str(e, "task"), ref[k].task);
    CHECK_STR(qa_json_get_str(e, "stratum"), ref[k].stratum);
    CHECK_NEAR(num(e, "n"), ref[k].n, 0);
    CHECK_NEAR(num(e, "correct"), ref[k].correct, 0);
    CHECK_NEAR(num(e, "accuracy"), ref[k].accuracy, 1e-15);
    CHECK_NEAR(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "wilson95"), 0)->valuedouble, ref[k].lo, 1e-12);
    CHECK_NEAR(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "wilson95"), 1)->valuedouble, ref[k].hi, 1e-12);
    CHECK_NEAR(num(e, "delta_pp"), ref[k].delta_pp, 1e-12);
    CHECK_NEAR(num(e, "mcnemar_b"), ref[k].b, 0);
    CHECK_NEAR(num(e, "mcnemar_c"), ref[k].c, 0);
    CHECK_REL(num(e, "mcnemar_p"), ref[k].p, 1e-12);
    CHECK_REL(num(e, "mcnemar_p_holm"), ref[k].holm, 1e-12);
  }
}

QA_TEST(strata_showcase_against_h5py_scipy) {
  char cmd[1024], path[512];
  const char *dir = qa_test_tmpdir();
  snprintf(cmd, sizeof cmd, "SOURCE_DATE_EPOCH=1700000000 ./qaudit report "
           "examples/showcase/config.json -o %s/strata-show --quiet 2>%s/strata-show.err", dir, dir);
  int st = system(cmd);
  CHECK(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  snprintf(path, sizeof path, "%s/strata-show/report.json", dir);
  char *text = qa_test_read_file(path, NULL);
  CHECK(text != NULL);
  if (!text) return;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *v;
  int seen = 0;
  cJSON_ArrayForEach(v, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0),
                                            "variants")) {
    const char *name = qa_json_get_str(v, "name");
    const cJSON *arr = cJSON_GetObjectItem(cJSON_GetObjectItem(v, "benchmark"), "strata");
    CHECK_INT(cJSON_GetArraySize(arr), 10);
    if (name && !strcmp(name, "int4")) { check_showcase_variant(arr, SHOWCASE_INT4, 10); seen++; }
    if (name && !strcmp(name, "int2")) { check_showcase_variant(arr, SHOWCASE_INT2, 10); seen++; }
  }
  CHECK_INT(seen, 2);
  cJSON_Delete(root);
  /* The report shows them, and says which survive (int2: 7 of 10; every
  ** Holm p of int4 is 1). */
  snprintf(cmd, sizeof cmd, "pdftotext '%s/strata-show/report.pdf' - 2>/dev/null | tr -s ' \\n' '  '",
           dir);
  text = qa_test_command_output(cmd, NULL);
  CHECK_CONTAINS(text, "int2's losses on triage_qa/social_feed (-45.8 pp, Holm p < 0.001), "
                       "policy_arc/violent_threats (-44.1 pp, Holm p < 0.001), "
                       "policy_arc/harassment_hate (-41.3 pp, Holm p 0.00110) and 4 more "
                       "strata survive correction, its other 3 strata are within noise "
                       "(smallest Holm p 0.0507); fp16, int8 and int4: no stratum change "
                       "survives correction (smallest Holm p 1.00, 1.00 and 1.00).");
  free(text);
}

/* ---- bad input -------------------------------------------------------------- */

/* The default cache's task t1 has 4 items, ids 100..103 (h5fixture.c). */
static void put_strata(hid_t f, const int64_t *stratum, size_t m, const char *const *names,
                       size_t n_names) {
  hsize_t dm[1] = {m};
  if (stratum) CHECK_INT(fx_ints(f, "/eval/t1/stratum", H5T_STD_I32LE, 1, dm, stratum), 0);
  if (names) CHECK_INT(fx_strings(f, "/eval/t1/stratum_names", names, n_names), 0);
}

static const char *const ABC[] = {"a", "b", "c"};
static const int64_t S0120[4] = {0, 1, 2, 0};

/* base.h5 with strata S0120 named a, b, c. */
static void base_with_strata(const bi_case *c) {
  hid_t f = H5Fopen(bi_path(c, "base.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(f >= 0);
  put_strata(f, S0120, 4, ABC, 3);
  fx_close(f);
}

/* Runs the report and expects exit 2 with "FILE:HPATH: " and what, one line,
** and no report; with seed, an earlier good report stays byte-identical. */
static void expect_error_at(const char *file, int line, bi_case *c, const char *cache,
                            const char *hpath, const char *what, int seed) {
  bi_result r;
  if (seed && bi_seed_report(c)) return;
  bi_report(c, &r);
  bi_expect_at(file, line, &r, 2, (const char *const[]){bi_at(c, cache, hpath), what, NULL});
  if (seed) {
    const char *m = bi_master();
    if (m) bi_same_tree_at(file, line, c->out, m);
  } else {
    bi_no_report_at(file, line, c->out);
  }
  bi_free(&r);
}
#define EXPECT_ERROR(c, cache, hpath, what, seed) \
  expect_error_at(__FILE__, __LINE__, (c), (cache), (hpath), (what), (seed))

QA_TEST(strata_bad_stratum_outside_names) {
  bi_case c;
  bi_pair(&c, "strata-outside");
  hid_t f = bi_var_open(&c, NULL);
  static const int64_t s[4] = {0, 1, 3, 0};
  put_strata(f, s, 4, ABC, 3);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum",
               "stratum 3 at item 2 is outside the 3 names of /eval/t1/stratum_names", 1);
  /* qaudit validate says the same of the file alone. */
  bi_result r;
  bi_validate(&r, bi_path(&c, "var.h5"));
  bi_check_status(__FILE__, __LINE__, &r, 2);
  CHECK_CONTAINS(r.out && *r.out ? r.out : r.err, "/eval/t1/stratum: stratum 3 at item 2 is "
                 "outside the 3 names of /eval/t1/stratum_names");
  bi_free(&r);
}

QA_TEST(strata_bad_stratum_negative) {
  bi_case c;
  bi_pair(&c, "strata-negative");
  hid_t f = bi_var_open(&c, NULL);
  static const int64_t s[4] = {-1, 1, 2, 0};
  put_strata(f, s, 4, ABC, 3);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum",
               "stratum -1 at item 0 is outside the 3 names of /eval/t1/stratum_names", 0);
}

QA_TEST(strata_bad_wrong_length) {
  bi_case c;
  bi_pair(&c, "strata-length");
  hid_t f = bi_var_open(&c, NULL);
  static const int64_t s[5] = {0, 1, 2, 0, 1};
  put_strata(f, s, 5, ABC, 3);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum",
               "5 items, but other datasets of the task have 4", 1);
}

QA_TEST(strata_bad_names_missing) {
  bi_case c;
  bi_pair(&c, "strata-nonames");
  hid_t f = bi_var_open(&c, NULL);
  put_strata(f, S0120, 4, NULL, 0);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum_names",
               "not found; /eval/t1/stratum needs the names of its strata", 0);
}

QA_TEST(strata_bad_names_without_strata) {
  bi_case c;
  bi_pair(&c, "strata-onlynames");
  hid_t f = bi_var_open(&c, NULL);
  put_strata(f, NULL, 4, ABC, 3);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum",
               "not found; /eval/t1/stratum_names names strata, so each item needs its "
               "stratum", 0);
}

QA_TEST(strata_bad_rank_and_type) {
  bi_case c;
  bi_pair(&c, "strata-rank");
  hid_t f = bi_var_open(&c, NULL);
  static const int64_t s[4] = {0, 1, 2, 0};
  hsize_t d2[2] = {4, 1};
  CHECK_INT(fx_ints(f, "/eval/t1/stratum", H5T_STD_I32LE, 2, d2, s), 0);
  put_strata(f, NULL, 4, ABC, 3);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum", "rank 2 [4,1], expected rank 1", 0);
  bi_pair(&c, "strata-type");
  f = bi_var_open(&c, NULL);
  double x[4] = {0, 1, 2, 0};
  hsize_t d1[1] = {4};
  CHECK_INT(fx_floats(f, "/eval/t1/stratum", H5T_IEEE_F32LE, 1, d1, x, 0), 0);
  put_strata(f, NULL, 4, ABC, 3);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum", "type float32, expected integer", 0);
  bi_pair(&c, "strata-nametype");
  f = bi_var_open(&c, NULL);
  hsize_t d3[1] = {3};
  CHECK_INT(fx_ints(f, "/eval/t1/stratum_names", H5T_STD_I64LE, 1, d3, S0120), 0);
  put_strata(f, S0120, 4, NULL, 0);
  fx_close(f);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum_names", "type int64, expected string", 0);
}

QA_TEST(strata_bad_names_differ_from_baseline) {
  bi_case c;
  bi_pair(&c, "strata-names");
  base_with_strata(&c);
  hid_t f = bi_var_open(&c, NULL);
  static const char *const ayc[] = {"a", "y", "c"};
  put_strata(f, S0120, 4, ayc, 3);
  fx_close(f);
  char what[1200];
  snprintf(what, sizeof what, "stratum 1 is named \"y\", the baseline's \"b\" (%s)",
           bi_path(&c, "base.h5"));
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum_names", what, 1);
  /* Fewer names (every stratum still within them). */
  bi_pair(&c, "strata-count");
  base_with_strata(&c);
  f = bi_var_open(&c, NULL);
  static const int64_t s[4] = {0, 1, 1, 0};
  put_strata(f, s, 4, ABC, 2);
  fx_close(f);
  snprintf(what, sizeof what, "2 names differ from the baseline's 3 (%s)", bi_path(&c, "base.h5"));
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum_names", what, 0);
}

QA_TEST(strata_bad_present_in_one_only) {
  bi_case c;
  char what[1200];
  bi_pair(&c, "strata-varonly");
  hid_t f = bi_var_open(&c, NULL);
  put_strata(f, S0120, 4, ABC, 3);
  fx_close(f);
  snprintf(what, sizeof what, "present, but absent in the baseline (%s)", bi_path(&c, "base.h5"));
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum", what, 0);
  bi_pair(&c, "strata-baseonly");
  base_with_strata(&c);
  f = bi_var_open(&c, NULL);
  fx_close(f);
  snprintf(what, sizeof what, "absent, but present in the baseline (%s)", bi_path(&c, "base.h5"));
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum", what, 0);
}

/* var.h5 with t1's items in reverse order (ids 103..100) and the given
** strata for those rows. */
static void var_reversed(const bi_case *c, const int64_t *stratum) {
  hid_t f = bi_var_open(c, "/eval/t1/id");
  static const int64_t ids[4] = {103, 102, 101, 100}, correct[4] = {1, 0, 1, 0};
  hsize_t d[1] = {4};
  CHECK(H5Ldelete(f, "/eval/t1/correct", H5P_DEFAULT) >= 0);
  CHECK(H5Ldelete(f, "/eval/t1/score/m", H5P_DEFAULT) >= 0);
  double score[4] = {1.0, 0.75, 0.5, 0.25};
  CHECK_INT(fx_ints(f, "/eval/t1/id", H5T_STD_I64LE, 1, d, ids), 0);
  CHECK_INT(fx_ints(f, "/eval/t1/correct", H5T_STD_I8LE, 1, d, correct), 0);
  CHECK_INT(fx_floats(f, "/eval/t1/score/m", H5T_IEEE_F64LE, 1, d, score, 0), 0);
  put_strata(f, stratum, 4, ABC, 3);
  fx_close(f);
}

QA_TEST(strata_bad_item_in_another_stratum) {
  bi_case c;
  bi_pair(&c, "strata-moved");
  base_with_strata(&c);
  /* The baseline's strata 0 1 2 0 for ids 100..103 are 0 2 1 0 for ids
  ** 103..100; id 101 (baseline stratum 1) is put in stratum 0. */
  static const int64_t moved[4] = {0, 2, 0, 0};
  var_reversed(&c, moved);
  EXPECT_ERROR(&c, "var.h5", "/eval/t1/stratum",
               "item id 101 is in stratum 0, the baseline's in 1", 1);
}

QA_TEST(strata_reversed_items_accepted) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "strata-reversed");
  base_with_strata(&c);
  static const int64_t same[4] = {0, 2, 1, 0};
  var_reversed(&c, same);
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  bi_free(&r);
  char path[1024];
  snprintf(path, sizeof path, "%s/report.json", c.out);
  char *text = qa_test_read_file(path, NULL);
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  free(text);
  /* Item by item (baseline order, ids 100..103): correct base 0 1 0 1,
  ** var 0 1 0 1 (reversed rows 1 0 1 0), strata a b c a: no change. */
  const cJSON *arr = strata_json(root, 1), *e;
  CHECK_INT(cJSON_GetArraySize(arr), 3);
  static const char *const names[3] = {"a", "b", "c"};
  static const double n[3] = {2, 1, 1}, acc[3] = {0.5, 1, 0};
  int k = 0;
  cJSON_ArrayForEach(e, arr) {
    if (k >= 3) break;
    CHECK_STR(qa_json_get_str(e, "stratum"), names[k]);
    CHECK_NEAR(num(e, "n"), n[k], 0);
    CHECK_NEAR(num(e, "accuracy"), acc[k], 0);
    CHECK_NEAR(num(e, "delta_pp"), 0, 0);
    CHECK_NEAR(num(e, "mcnemar_p"), 1, 0);
    k++;
  }
  cJSON_Delete(root);
}

/* ---- the cache passed from the isolated child (cache_wire.c) ------------- */

QA_TEST(strata_cache_wire_round_trip) {
  bi_case c;
  bi_case_init(&c, "strata-wire");
  fx_cache fc;
  fx_default_cache(&fc);
  bi_write_cache(&c, "a.h5", &fc);
  hid_t f = H5Fopen(bi_path(&c, "a.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  static const int64_t s[4] = {2, 0, 1, 2};
  put_strata(f, s, 4, ABC, 3);
  fx_close(f);
  qa_cache_opts o = {"final", 0, 0, 0, NULL, NULL};
  qa_cache *direct = NULL, *child = NULL;
  qa_error e = {0};
  setenv("QAUDIT_NO_ISOLATION", "1", 1);
  CHECK_INT(qa_cache_load(bi_path(&c, "a.h5"), &o, &direct, &e), 0);
  unsetenv("QAUDIT_NO_ISOLATION");
  CHECK_INT(qa_cache_load(bi_path(&c, "a.h5"), &o, &child, &e), 0);
  if (direct && child) {
    const qa_task *x = &direct->tasks[0], *y = &child->tasks[0];
    CHECK(x->stratum && y->stratum);
    for (size_t i = 0; x->stratum && y->stratum && i < 4; i++) {
      CHECK_INT(x->stratum[i], s[i]);
      CHECK_INT(y->stratum[i], s[i]);
    }
    CHECK_INT(x->n_strata, 3);
    CHECK_INT(y->n_strata, 3);
    for (size_t i = 0; i < 3 && i < y->n_strata; i++) {
      CHECK_STR(x->stratum_names[i], ABC[i]);
      CHECK_STR(y->stratum_names[i], ABC[i]);
    }
    /* The fields that follow in the wire format still arrive. */
    CHECK_INT(child->n_decode, direct->n_decode);
    CHECK_INT(child->n_tasks, 1);
  }
  qa_cache_free(direct);
  qa_cache_free(child);
  /* A task without strata passes none. */
  fx_default_cache(&fc);
  bi_write_cache(&c, "b.h5", &fc);
  CHECK_INT(qa_cache_load(bi_path(&c, "b.h5"), &o, &child, &e), 0);
  if (child) CHECK(!child->tasks[0].stratum && !child->tasks[0].n_strata &&
                   !child->tasks[0].stratum_names);
  qa_cache_free(child);
}

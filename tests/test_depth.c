/*
** Damage by depth (src/analysis/depth.c, src/input/layer_read.c; STATISTICS.md
** "Depth: every hidden layer"): the layer order end to end, every number of
** every layer against tests/ref/depth_ref.py (NumPy 1.24.2, SciPy 1.10.1,
** scikit-learn 1.2.1, /usr/bin/python3) on three-layer fixture caches whose
** variant is stored in another row order, two classes (AUCs), a class of
** one sample, a layer wider than the samples (D > N), a layer missing from
** a variant, the report's table, sentences and figure, and the refusals: the
** configured layer missing, a layer too large for memory (before anything
** is allocated), NaN in a layer, a layer whose N or D disagrees.
**
** Reference values: tests/ref/depth_ref.py, pasted below between its
** markers, produced by
**     /usr/bin/python3 tests/ref/depth_ref.py > /tmp/depth_ref.c
*/
#include "badinput_util.h"
#include "analysis_fixture.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "analysis/analysis.h"
#include "input/layer_read.h"
#include "report/report_internal.h"
#include "results/results.h"

/* BEGIN depth_ref.py: NumPy 1.24.2, SciPy 1.10.1, scikit-learn 1.2.1 */
/* per layer (fixture order): cosine mean, p05, sqnr_db, cka, probe native, transfer,
** transfer delta pp, auc native, auc transfer, the baseline's native and auc */
static const double MAIN[3][11] = {
    {0.999204135163885, 0.9982463902902248, 28.27456771815296, 0.9987658412232034, 0.625, 0.625, 0.0, NAN, NAN, 0.625, NAN},
    {0.9502248993433879, 0.8891793160400354, 9.948811811148076, 0.8791089224074159, 0.625, 0.5, -12.5, NAN, NAN, 0.625, NAN},
    {0.8017126336473389, 0.40800530907978977, 3.8149340337391875, 0.6494895674398907, 0.25, 0.75, 12.5, NAN, NAN, 0.625, NAN}};
static const double BINARY[2][11] = {
    {0.9797615901152464, 0.8968741450033368, 13.299674293990794, 0.9563078557229042, 0.6666666666666666, 0.6666666666666666, 0.0, 0.875, 0.875, 0.6666666666666666, 0.75},
    {0.8352009914056279, 0.5050976689203953, 5.845669966805667, 0.7549093193690917, 0.6666666666666666, 0.6666666666666666, 0.0, 0.875, 0.875, 0.6666666666666666, 0.875}};
static const double SINGLE[2][11] = {
    {0.9823610741168654, 0.9385023250006661, 15.822794491735943, 0.980014468564239, 0.75, 0.75, 0.0, NAN, NAN, 0.75, NAN},
    {0.9255306250662554, 0.7826698815777993, 7.130405220866627, 0.8264396013666232, 1.0, 1.0, 0.0, NAN, NAN, 1.0, NAN}};
static const double WIDE[2][11] = {
    {0.9710570872717369, 0.9533574210685378, 12.493827325135051, 0.9840229290855849, 1.0, 0.5, 0.0, NAN, NAN, 0.5, NAN},
    {0.9619595881331877, 0.913779206989534, 9.871450690120877, 0.8897535391466526, 0.5, 0.0, 0.0, NAN, NAN, 0.0, NAN}};
/* END depth_ref.py */

enum { COS, P05, SQNR, CKA, NATIVE, TRANSFER, DELTA, AUC_NATIVE, AUC_TRANSFER, BASE_NATIVE,
       BASE_AUC };

/* ---- fixtures (depth_ref.py's formulas) ----------------------------------- */

#define MAX_N 40
#define MAX_LAYERS 3

typedef struct fx_layer { const char *name; size_t d; double amp; } fx_layer;

typedef struct fixture {
  size_t n, c, n_layers;
  int64_t lab[MAX_N];
  fx_layer layers[MAX_LAYERS];
} fixture;

static fixture fixture_main(void) {
  fixture f = {40, 3, 3, {0}, {{"layer_2", 4, 0.05}, {"layer_10", 6, 0.4}, {"final", 5, 0.8}}};
  for (size_t i = 0; i < f.n; i++) f.lab[i] = (int64_t)((i * 7 + i / 5) % 3);
  return f;
}

static fixture fixture_binary(void) {
  fixture f = {30, 2, 2, {0}, {{"layer_1", 2, 0.3}, {"final", 3, 0.6}}};
  for (size_t i = 0; i < f.n; i++) f.lab[i] = (int64_t)((i * 3 + i / 4) % 2);
  return f;
}

static fixture fixture_single(void) {
  /* Class 2 has one sample (row 7, a train row). */
  fixture f = {16, 3, 2, {0}, {{"layer_1", 4, 0.2}, {"final", 3, 0.5}}};
  for (size_t i = 0; i < f.n; i++) f.lab[i] = i == 7 ? 2 : (int64_t)(i % 2);
  return f;
}

static fixture fixture_wide(void) {
  /* D > N_train: 12 dimensions for 10 samples (CKA's Gram path, the
  ** probe's dual form). */
  fixture f = {10, 3, 2, {0}, {{"layer_1", 12, 0.3}, {"final", 3, 0.4}}};
  for (size_t i = 0; i < f.n; i++) f.lab[i] = (int64_t)(i % 3);
  return f;
}

static double q(double v) { return floor(64.0 * v + 0.5) / 64.0; }

/* Layer k of the baseline (variant 0) or the variant (1), in the
** baseline's row order. */
static void layer_values(const fixture *f, size_t k, int variant, double *out) {
  size_t d = f->layers[k].d;
  for (size_t i = 0; i < f->n; i++)
    for (size_t j = 0; j < d; j++) {
      double x = q(sin(0.37 * (double)(i + 1) * (double)(j + 1) + 0.5 * (double)j + (double)k) +
                   0.9 * (f->lab[i] == (int64_t)(j % 3)));
      out[i * d + j] =
          variant ? q(x + f->layers[k].amp *
                              cos(1.7 * (double)i + 0.9 * (double)(j + 1) * (double)(k + 1)))
                  : x;
    }
}

/* The file's row r holds sample perm(r): the identity, or 7 r mod N (N = 40
** is prime to 7). */
static size_t perm(const fixture *f, int shuffled, size_t r) {
  return shuffled ? (7 * r) % f->n : r;
}

/* Writes cache `variant` (0 baseline, 1 variant) of fixture f to path;
** the layer named `skip` (may be NULL) is left out; the stored types
** rotate float32, float64, float16. */
static int write_fixture(const char *path, const fixture *f, int variant, int shuffled,
                         const char *skip) {
  static const char *const names[3] = {"a", "b", "c"};
  hid_t h = fx_create(path);
  if (h < 0) return -1;
  int64_t ids[MAX_N], lab[MAX_N];
  double vals[MAX_N * 8], rows[MAX_N * 8];
  hsize_t n1[1] = {f->n};
  int rc = fx_attr_str(h, "model", "m") | fx_attr_str(h, "variant", variant ? "var" : "base");
  for (size_t r = 0; r < f->n; r++) {
    ids[r] = 100 + (int64_t)perm(f, shuffled, r);
    lab[r] = f->lab[perm(f, shuffled, r)];
  }
  rc |= fx_ints(h, "/samples/id", H5T_STD_I64LE, 1, n1, ids);
  rc |= fx_ints(h, "/samples/label", H5T_STD_I32LE, 1, n1, lab);
  rc |= fx_strings(h, "/samples/label_names", names, f->c);
  hid_t f16 = fx_f16();
  const hid_t types[3] = {H5T_IEEE_F32LE, H5T_IEEE_F64LE, f16};
  for (size_t k = 0; k < f->n_layers; k++) {
    if (skip && !strcmp(skip, f->layers[k].name)) continue;
    size_t d = f->layers[k].d;
    char p[64];
    layer_values(f, k, variant, vals);
    for (size_t r = 0; r < f->n; r++)
      memcpy(rows + r * d, vals + perm(f, shuffled, r) * d, d * sizeof *rows);
    hsize_t dims[2] = {f->n, d};
    snprintf(p, sizeof p, "/hidden/%s", f->layers[k].name);
    rc |= fx_floats(h, p, types[k % 3], 2, dims, rows, (int)(k % 2));
  }
  H5Tclose(f16);
  fx_close(h);
  return rc ? -1 : 0;
}

/* base.h5 and var.h5 of f in a fresh folder, analysed in-process. */
static int run_fixture(const char *tag, const fixture *f, int shuffled, qa_test_study *st) {
  char dir[600], path[800];
  memset(st, 0, sizeof *st);
  if (qa_test_study_dir("depth", tag, dir, sizeof dir)) return -1;
  snprintf(path, sizeof path, "%s/base.h5", dir);
  if (write_fixture(path, f, 0, 0, NULL)) return qa_test_fail(__FILE__, __LINE__, "base.h5") - 1;
  snprintf(path, sizeof path, "%s/var.h5", dir);
  if (write_fixture(path, f, 1, shuffled, NULL))
    return qa_test_fail(__FILE__, __LINE__, "var.h5") - 1;
  static const char *const names[] = {"base", "var"};
  return qa_test_study_run(dir, names, 2, NULL, NULL, NULL, st);
}

/* The cell of the variant (v = 1) and the baseline (v = 0) at each layer
** against the reference rows (in fixture order = list order here). */
static void check_cells(const char *file, int line, const qa_test_study *st, const fixture *f,
                        const double (*want)[11]) {
  const qa_depth_model *d = &st->a->depth[0];
  if (d->n_layers != f->n_layers) {
    qa_test_fail(file, line, "%zu layers, want %zu", d->n_layers, f->n_layers);
    return;
  }
  for (size_t k = 0; k < f->n_layers; k++) {
    const qa_depth_cell *c = qa_depth_cell_at(d, 1, k), *b = qa_depth_cell_at(d, 0, k);
    const double *w = want[k];
    const double got[9] = {c->cosine_mean, c->cosine_p05, c->sqnr_db, c->cka_linear,
                           c->probe.native, c->probe.transfer, c->probe.transfer_delta_pp,
                           c->probe.auc_native, c->probe.auc_transfer};
    static const double tol[9] = {1e-13, 1e-13, 1e-11, 1e-12, 1e-15, 1e-15, 1e-12, 1e-15, 1e-15};
    static const char *const what[9] = {"cosine_mean", "cosine_p05", "sqnr_db", "cka_linear",
                                        "probe_native", "probe_transfer", "delta_pp",
                                        "auc_native", "auc_transfer"};
    if (strcmp(d->layers[k], f->layers[k].name))
      qa_test_fail(file, line, "layer %zu is %s, want %s", k, d->layers[k], f->layers[k].name);
    if (!c->present || !b->present) qa_test_fail(file, line, "layer %zu not present", k);
    for (int i = 0; i < 9; i++) {
      int ok = isnan(w[i]) ? isnan(got[i]) : fabs(got[i] - w[i]) <= tol[i];
      if (!ok)
        qa_test_fail(file, line, "%s at %s = %.17g, want %.17g", what[i], d->layers[k], got[i],
                     w[i]);
    }
    /* The baseline against itself: its own probe, transfer = native, 0 pp. */
    if (!(fabs(b->probe.native - w[BASE_NATIVE]) <= 1e-15) ||
        !(b->probe.transfer == b->probe.native) || b->probe.transfer_delta_pp != 0.0)
      qa_test_fail(file, line, "baseline probe at %s: %g / %g / %g, want native %g",
                   d->layers[k], b->probe.native, b->probe.transfer, b->probe.transfer_delta_pp,
                   w[BASE_NATIVE]);
    if (isnan(w[BASE_AUC]) ? !isnan(b->probe.auc_native)
                           : !(fabs(b->probe.auc_native - w[BASE_AUC]) <= 1e-15))
      qa_test_fail(file, line, "baseline AUC at %s = %g, want %g", d->layers[k],
                   b->probe.auc_native, w[BASE_AUC]);
    if (!isnan(b->sqnr_db) || !(fabs(b->cosine_mean - 1.0) <= 1e-15) ||
        !(b->cka_linear == 1.0))
      qa_test_fail(file, line, "baseline at %s: cosine %.17g, SQNR %g, CKA %.17g", d->layers[k],
                   b->cosine_mean, b->sqnr_db, b->cka_linear);
  }
}

/* ---- values ------------------------------------------------------------------ */

QA_TEST(depth_values_match_numpy) {
  fixture f = fixture_main();
  qa_test_study st;
  if (!run_fixture("main", &f, 1, &st)) {
    const qa_depth_model *d = &st.a->depth[0];
    CHECK(d->present);
    CHECK_INT((long)d->configured, 2);
    CHECK_INT(d->has_probes, 1);
    CHECK_INT((long)d->n_train, 32);
    CHECK_INT((long)d->n_test, 8);
    CHECK_INT((long)d->n_missing, 0);
    CHECK_INT((long)d->dim[0], 4);
    CHECK_INT((long)d->dim[1], 6);
    check_cells(__FILE__, __LINE__, &st, &f, MAIN);
    /* The configured layer's cosine, SQNR and CKA are the representation
    ** analysis' own numbers, to the bit. */
    const qa_repr_result *r = &st.a->models[0][1].repr;
    const qa_depth_cell *c = qa_depth_cell_at(d, 1, 2);
    CHECK(c->cosine_mean == r->cos_mean && c->cosine_p05 == r->cos_p05);
    CHECK(c->sqnr_db == r->sqnr_db && c->cka_linear == r->cka_linear);
  }
  qa_test_study_free(&st);
}

QA_TEST(depth_variant_in_file_order_equals_shuffled) {
  /* The same variant stored in the baseline's order gives the same bits. */
  fixture f = fixture_main();
  qa_test_study a, b;
  int ok = !run_fixture("order-a", &f, 1, &a) && !run_fixture("order-b", &f, 0, &b);
  for (size_t k = 0; ok && k < f.n_layers; k++) {
    const qa_depth_cell *x = qa_depth_cell_at(&a.a->depth[0], 1, k);
    const qa_depth_cell *y = qa_depth_cell_at(&b.a->depth[0], 1, k);
    CHECK(x->cosine_mean == y->cosine_mean && x->cosine_p05 == y->cosine_p05);
    CHECK(x->sqnr_db == y->sqnr_db && x->cka_linear == y->cka_linear);
    CHECK(x->probe.native == y->probe.native && x->probe.transfer == y->probe.transfer);
  }
  CHECK(ok && a.study->models[0].variants[1].row_dest != NULL);
  CHECK(ok && b.study->models[0].variants[1].row_dest == NULL);
  qa_test_study_free(&a);
  qa_test_study_free(&b);
}

QA_TEST(depth_two_classes_have_aucs) {
  fixture f = fixture_binary();
  qa_test_study st;
  if (!run_fixture("binary", &f, 0, &st)) check_cells(__FILE__, __LINE__, &st, &f, BINARY);
  qa_test_study_free(&st);
}

QA_TEST(depth_wider_than_the_samples) {
  fixture f = fixture_wide();
  qa_test_study st;
  if (!run_fixture("wide", &f, 1, &st)) check_cells(__FILE__, __LINE__, &st, &f, WIDE);
  qa_test_study_free(&st);
}

QA_TEST(depth_class_with_one_sample) {
  fixture f = fixture_single();
  qa_test_study st;
  if (!run_fixture("single", &f, 1, &st)) check_cells(__FILE__, __LINE__, &st, &f, SINGLE);
  qa_test_study_free(&st);
}

/* report.json's layers carry exactly INTERFACE.md's keys, null where a
** number does not exist (no AUC with three classes, no SQNR for the
** baseline). */
QA_TEST(depth_json_keys_as_the_spec_lists) {
  static const char *const keys[] = {"layer", "cosine_mean", "cosine_p05", "sqnr_db",
                                     "cka_linear", "probe_native", "probe_transfer",
                                     "probe_transfer_delta_pp", "probe_auc_native",
                                     "probe_auc_transfer"};
  fixture f = fixture_main();
  qa_test_study st;
  cJSON *root = NULL;
  qa_error err = {0};
  qa_results_opts ro = {0, 1};
  if (run_fixture("json", &f, 1, &st) || qa_results_build(st.study, st.a, &ro, NULL, &root, &err)) {
    qa_test_study_free(&st);
    CHECK(0);
    return;
  }
  const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
  const cJSON *vars = cJSON_GetObjectItem(m, "variants");
  for (int v = 0; v < 2; v++) {
    const cJSON *layers = cJSON_GetObjectItem(cJSON_GetArrayItem(vars, v), "layers"), *e;
    CHECK_INT(cJSON_GetArraySize(layers), 3);
    int k = 0;
    cJSON_ArrayForEach(e, layers) {
      CHECK_INT(cJSON_GetArraySize(e), 10);
      for (size_t i = 0; i < 10; i++) CHECK(cJSON_GetObjectItemCaseSensitive(e, keys[i]) != NULL);
      CHECK_STR(cJSON_GetObjectItem(e, "layer")->valuestring, f.layers[k].name);
      CHECK(cJSON_IsNull(cJSON_GetObjectItem(e, "probe_auc_native")));
      CHECK(cJSON_IsNull(cJSON_GetObjectItem(e, "probe_auc_transfer")));
      CHECK(v == 1 || cJSON_IsNull(cJSON_GetObjectItem(e, "sqnr_db")));
      if (v == 1)
        CHECK_NEAR(cJSON_GetObjectItem(e, "probe_transfer_delta_pp")->valuedouble, MAIN[k][DELTA],
                   1e-12);
      k++;
    }
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(vars, v),
                                                     "layers_missing")), 0);
  }
  const cJSON *depth = cJSON_GetObjectItem(m, "depth");
  CHECK_NEAR(cJSON_GetObjectItem(depth, "probe_n_test")->valuedouble, 8, 0);
  CHECK_NEAR(cJSON_GetObjectItem(depth, "probe_ridge")->valuedouble, 0.01, 0);
  cJSON_Delete(root);
  qa_test_study_free(&st);
}

/* ---- the layer order ------------------------------------------------------ */

/* The default cache (N = 6, /hidden/final) with more layers named names. */
static void cache_with_layers(const bi_case *c, const char *file, const char *const *names,
                              size_t n, const char *variant) {
  fx_cache fc;
  fx_default_cache(&fc);
  fc.variant = variant;
  bi_write_cache(c, file, &fc);
  hid_t h = H5Fopen(bi_path(c, file), H5F_ACC_RDWR, H5P_DEFAULT);
  double x[6 * 3];
  hsize_t dims[2] = {6, 3};
  char p[128];
  for (size_t k = 0; h >= 0 && k < n; k++) {
    for (int i = 0; i < 18; i++) x[i] = sin(0.3 * (double)i + (double)k) + (variant[0] == 'v' ? 0.01 * (double)i : 0);
    snprintf(p, sizeof p, "/hidden/%s", names[k]);
    CHECK_INT(fx_floats(h, p, H5T_IEEE_F32LE, 2, dims, x, 0), 0);
  }
  if (h >= 0) fx_close(h);
  else qa_test_fail(__FILE__, __LINE__, "cannot reopen %s", file);
}

static cJSON *report_json(const bi_case *c) {
  char path[700];
  snprintf(path, sizeof path, "%s/report.json", c->out);
  char *text = qa_test_read_file(path, NULL);
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  free(text);
  return root;
}

QA_TEST(depth_layer_order_end_to_end) {
  /* STATISTICS.md "Depth": by the integer in the name (layer_2 before
  ** layer_10), names without one after, by name, final last. */
  static const char *const names[] = {"layer_10", "zeta", "layer_2", "block3", "alpha"};
  static const char *const want[] = {"layer_2", "block3", "layer_10", "alpha", "zeta", "final"};
  bi_case c;
  bi_result r;
  bi_case_init(&c, "depth-order");
  cache_with_layers(&c, "base.h5", names, 5, "base");
  cache_with_layers(&c, "var.h5", names, 5, "var");
  bi_config_pair(&c, "");
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  cJSON *root = report_json(&c);
  const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
  const cJSON *list = cJSON_GetObjectItem(cJSON_GetObjectItem(m, "depth"), "layers");
  const cJSON *vl = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "variants"), 1),
                                        "layers");
  CHECK_INT(cJSON_GetArraySize(list), 6);
  CHECK_INT(cJSON_GetArraySize(vl), 6);
  for (int k = 0; k < 6; k++) {
    const cJSON *a = cJSON_GetObjectItem(cJSON_GetArrayItem(list, k), "layer");
    const cJSON *b = cJSON_GetObjectItem(cJSON_GetArrayItem(vl, k), "layer");
    CHECK_STR(cJSON_IsString(a) ? a->valuestring : NULL, want[k]);
    CHECK_STR(cJSON_IsString(b) ? b->valuestring : NULL, want[k]);
  }
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(list, 5), "configured")));
  cJSON_Delete(root);
  bi_free(&r);
}

/* ---- a layer missing ---------------------------------------------------- */

QA_TEST(depth_layer_missing_in_variant) {
  /* var2 lacks layer_10: analysed where present, listed as missing, and
  ** its other layers equal those of a variant that has every layer. */
  fixture f = fixture_main();
  char dir[600], path[800];
  qa_test_study st;
  memset(&st, 0, sizeof st);
  if (qa_test_study_dir("depth", "missing", dir, sizeof dir)) return;
  snprintf(path, sizeof path, "%s/base.h5", dir);
  CHECK_INT(write_fixture(path, &f, 0, 0, NULL), 0);
  snprintf(path, sizeof path, "%s/var.h5", dir);
  CHECK_INT(write_fixture(path, &f, 1, 1, NULL), 0);
  snprintf(path, sizeof path, "%s/var2.h5", dir);
  CHECK_INT(write_fixture(path, &f, 1, 1, "layer_10"), 0);
  static const char *const names[] = {"base", "var", "var2"};
  if (!qa_test_study_run(dir, names, 3, NULL, NULL, NULL, &st)) {
    const qa_depth_model *d = &st.a->depth[0];
    CHECK_INT((long)d->n_missing, 1);
    CHECK(!qa_depth_cell_at(d, 2, 1)->present);
    for (size_t k = 0; k < 3; k += 2) {
      const qa_depth_cell *a = qa_depth_cell_at(d, 1, k), *b = qa_depth_cell_at(d, 2, k);
      CHECK(b->present);
      CHECK(a->cosine_mean == b->cosine_mean && a->cka_linear == b->cka_linear);
      CHECK(a->probe.transfer == b->probe.transfer);
    }
    cJSON *root = NULL;
    qa_error err = {0};
    qa_results_opts ro = {0, 1};
    if (!qa_results_build(st.study, st.a, &ro, NULL, &root, &err)) {
      const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
      const cJSON *v2 = cJSON_GetArrayItem(cJSON_GetObjectItem(m, "variants"), 2);
      const cJSON *miss = cJSON_GetObjectItem(v2, "layers_missing");
      CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(v2, "layers")), 2);
      CHECK_INT(cJSON_GetArraySize(miss), 1);
      CHECK_STR(cJSON_GetArrayItem(miss, 0)->valuestring, "layer_10");
      cJSON_Delete(root);
    }
  }
  qa_test_study_free(&st);
}

/* ---- refusals --------------------------------------------------------------- */

QA_TEST(depth_configured_layer_missing_is_exit_2) {
  static const char *const names[] = {"layer_1"};
  bi_case c;
  bi_result r;
  bi_case_init(&c, "depth-nofinal");
  cache_with_layers(&c, "base.h5", names, 1, "base");
  cache_with_layers(&c, "var.h5", names, 1, "var");
  hid_t h = H5Fopen(bi_path(&c, "var.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(h >= 0 && H5Ldelete(h, "/hidden/final", H5P_DEFAULT) >= 0);
  if (h >= 0) fx_close(h);
  bi_config_pair(&c, "");
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/final"),
            "not found; the configuration's layer must exist (layers here: layer_1)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(depth_nan_in_a_layer_is_exit_2) {
  /* NaN at file row 4, column 2 of var.h5's layer_7, which only the depth
  ** analysis reads. */
  static const char *const names[] = {"layer_7"};
  bi_case c;
  bi_result r;
  bi_case_init(&c, "depth-nan");
  cache_with_layers(&c, "base.h5", names, 1, "base");
  cache_with_layers(&c, "var.h5", names, 1, "var");
  hid_t h = H5Fopen(bi_path(&c, "var.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  double x[18] = {0};
  for (int i = 0; i < 18; i++) x[i] = 0.1 * i;
  x[4 * 3 + 2] = NAN;
  hsize_t dims[2] = {6, 3};
  CHECK(h >= 0 && H5Ldelete(h, "/hidden/layer_7", H5P_DEFAULT) >= 0);
  if (h >= 0) {
    CHECK_INT(fx_floats(h, "/hidden/layer_7", fx_f16(), 2, dims, x, 1), 0);
    fx_close(h);
  }
  bi_config_pair(&c, "");
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/layer_7"),
            "NaN at row 4, column 2; expected finite values");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(depth_layer_rows_or_dim_differ_is_exit_2) {
  static const char *const names[] = {"layer_3"};
  bi_case c;
  bi_result r;
  bi_case_init(&c, "depth-shape");
  cache_with_layers(&c, "base.h5", names, 1, "base");
  cache_with_layers(&c, "var.h5", names, 1, "var");
  hid_t h = H5Fopen(bi_path(&c, "var.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  double x[6 * 4] = {0};
  hsize_t dims[2] = {6, 4};
  CHECK(h >= 0 && H5Ldelete(h, "/hidden/layer_3", H5P_DEFAULT) >= 0);
  if (h >= 0) {
    CHECK_INT(fx_floats(h, "/hidden/layer_3", H5T_IEEE_F32LE, 2, dims, x, 0), 0);
    hsize_t rows[2] = {5, 3};
    CHECK_INT(fx_floats(h, "/hidden/layer_9", H5T_IEEE_F32LE, 2, rows, x, 0), 0);
    fx_close(h);
  }
  bi_config_pair(&c, "");
  bi_report(&c, &r);
  /* layer_3 comes first in the listing (by name). */
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/layer_3"),
            "shape [6,4] differs from baseline [6,3]");
  BI_NO_REPORT(c.out);
  bi_free(&r);
  /* Rows: in one cache, against its other per-sample datasets. */
  h = H5Fopen(bi_path(&c, "var.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(h >= 0 && H5Ldelete(h, "/hidden/layer_3", H5P_DEFAULT) >= 0);
  if (h >= 0) fx_close(h);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/layer_9"),
            "5 rows, but /samples/id has 6; per-sample datasets must agree");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* An unwritten [6, 10^11] float32 layer (4.8 TB as doubles) in both caches:
** listed at load, refused by the depth analysis before anything is
** allocated (malloc of 4.8 TB would end in "out of memory", exit 3). */
QA_TEST(depth_layer_too_large_is_refused_before_allocation) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "depth-huge");
  static const char *const none[] = {NULL};
  const char *files[2] = {"base.h5", "var.h5"};
  for (int i = 0; i < 2; i++) {
    cache_with_layers(&c, files[i], none, 0, i ? "var" : "base");
    hid_t h = H5Fopen(bi_path(&c, files[i]), H5F_ACC_RDWR, H5P_DEFAULT);
    hsize_t dims[2] = {6, 100000000000ULL}, chunk[2] = {1, 4096};
    hid_t space = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 2, chunk);
    hid_t d = H5Dcreate2(h, "/hidden/layer_huge", H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
    CHECK(d >= 0);
    H5Dclose(d);
    H5Pclose(dcpl);
    H5Sclose(space);
    fx_close(h);
  }
  bi_config_pair(&c, "");
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "base.h5", "/hidden/layer_huge"),
            "shape [6,100000000000] needs ", " GB in memory to be compared across variants (the "
            "baseline's and one variant's states, 4.8e+03 GB each,");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(depth_reader_refuses_before_reading) {
  /* The request's memory is checked before the file is even opened: a
  ** missing file gives the memory error, not an I/O one. */
  const char *names[1] = {"layer_1"};
  size_t cols[1] = {1000};
  qa_layer_request req = {"/nonexistent/cache.h5", 1, names, cols, 1000, NULL, 7999999,
                          "available"};
  qa_layer_set set;
  qa_error err = {0};
  CHECK_INT(qa_layer_read(&req, &set, &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_STR(err.msg, "/nonexistent/cache.h5:/hidden/layer_1: shape [1000,1000] needs 0.008 GB "
                     "in memory, more than the 0.008 GB available");
  CHECK(set.map == NULL && set.x == NULL);
  qa_layer_set_free(&set);
}

/* ---- the report ------------------------------------------------------------- */

QA_TEST(depth_template_block) {
  /* A template written before [depth] existed still parses; the section
  ** follows [per_class] (before [tokens]), with its built-in title. */
  static const char *OLD =
    "[title_page]\n[contents]\n[summary]\n[disclosure]\n[claims]\n[decision]\n"
    "[representation]\n[per_class]\n[tokens]\n[figures]\n[benchmark]\n[generation]\n"
    "[statistics]\n[performance]\n[methods]\n[provenance]\n";
  rp_template *t = NULL;
  qa_error err = {0};
  CHECK_INT(rp_template_parse(OLD, "t/report.tmpl", &t, &err), 0);
  if (t) {
    CHECK_INT((int)rp_template_count(t), RP_N_SECTIONS);
    CHECK_INT(rp_template_at(t, 7), RP_SEC_PER_CLASS);
    CHECK_INT(rp_template_at(t, 8), RP_SEC_DEPTH);
    CHECK_INT(rp_template_at(t, 9), RP_SEC_TOKENS);
    CHECK(rp_template_included(t, RP_SEC_DEPTH));
    CHECK_STR(rp_template_text(t, RP_SEC_DEPTH, "title"), "Damage by depth");
    CHECK(rp_template_text(t, RP_SEC_DEPTH, "intro") == NULL);
  }
  rp_template_free(t);
  t = NULL;
  CHECK_INT(rp_template_load("templates", &t, &err), 0);
  if (t) {
    CHECK_INT(rp_template_at(t, 8), RP_SEC_DEPTH);
    CHECK_CONTAINS(rp_template_text(t, RP_SEC_DEPTH, "intro"), "a linear probe");
  }
  rp_template_free(t);
}

/* 1 when the text of DIR/report.pdf (pdftotext -raw, lines joined by
** spaces) holds s. */
static int pdf_has(const char *dir, const char *s) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "pdftotext -raw '%s/report.pdf' - 2>/dev/null", dir);
  char *text = qa_test_command_output(cmd, NULL);
  for (char *p = text; p && *p; p++)
    if (*p == '\n') *p = ' ';
  int found = text && strstr(text, s) != NULL;
  free(text);
  return found;
}

QA_TEST(depth_report_table_sentences_and_missing_layer) {
  /* The main fixture with a second variant lacking layer_10, through the
  ** binary: the table, the sentence per variant from MAIN's numbers
  ** (layer_2 0.0 pp, layer_10 -12.5 pp, final +12.5 pp against the first
  ** tier's 3 pp), the missing layer said, the figure drawn. */
  fixture f = fixture_main();
  bi_case c;
  bi_result r;
  bi_case_init(&c, "depth-report");
  CHECK_INT(write_fixture(bi_path(&c, "base.h5"), &f, 0, 0, NULL), 0);
  CHECK_INT(write_fixture(bi_path(&c, "var.h5"), &f, 1, 1, NULL), 0);
  CHECK_INT(write_fixture(bi_path(&c, "var2.h5"), &f, 1, 1, "layer_10"), 0);
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": [{\"name\": \"m\", \"baseline\": \"base\", "
                                 "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
                                 "{\"name\": \"var\", \"file\": \"var.h5\"}, "
                                 "{\"name\": \"var2\", \"file\": \"var2.h5\"}]}]}"), 0);
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  static const char *const texts[] = {
    "m: 3 hidden layers of base, in order (layer_2, layer_10, final); probes trained on 32 "
    "samples and scored on the other 8.",
    "m: damage by depth, each variant against base at every hidden layer",
    "var: the baseline's probe works at layer_2 (0.0 pp), then stops working at layer_10 "
    "(0.500 against its own 0.625, -12.5 pp), and then works at final (+12.5 pp). At layer_10 "
    "a probe trained on var's own states reaches 0.625.",
    "var2: the baseline's probe keeps working at every one of the 2 layers",
    "var2 lacks the baseline's layer layer_10: it is analysed at the other 2.",
    "m, damage by depth (3 layers): a probe trained on base's states first loses more than "
    "3.0 pp on var at layer_10 (-12.5 pp); it stays within 3.0 pp at every layer on var2.",
    "Damage by depth in m: each variant at every hidden layer"};
  for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
    if (!pdf_has(c.out, texts[i]))
      qa_test_fail(__FILE__, __LINE__, "report.pdf lacks \"%s\"", texts[i]);
  char *png = qa_test_read_file(bi_path(&c, "out/figures/fig15-depth-m.png"), NULL);
  CHECK(png != NULL);
  free(png);
  bi_free(&r);
}

QA_TEST(depth_one_layer_no_figure_and_no_labels_no_probes) {
  /* The default caches: one layer (final), labels; the figure is not
  ** drawn and says why.  Without labels the table has no probe columns
  ** and the sentence names where cosine is lowest. */
  bi_case c;
  bi_result r;
  bi_pair(&c, "depth-one");
  fx_cache v;
  fx_default_cache(&v);
  v.variant = "var";
  for (int i = 0; i < 18; i++) v.hidden[i] += 0.05 * (i % 5);
  bi_write_cache(&c, "var.h5", &v);
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  /* Listed under "Not covered by this audit" (report/report_cover.c). */
  CHECK(pdf_has(c.out, "\xE2\x80\x9C" "Damage by depth (m)\xE2\x80\x9D: m's baseline has one "
                       "hidden layer (final); damage by depth needs two or more."));
  bi_free(&r);
  /* The main fixture without /samples/label in either cache. */
  fixture f = fixture_main();
  const char *files[2] = {"base.h5", "var.h5"};
  for (int i = 0; i < 2; i++) {
    CHECK_INT(write_fixture(bi_path(&c, files[i]), &f, i, i, NULL), 0);
    hid_t h = H5Fopen(bi_path(&c, files[i]), H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(h >= 0 && H5Ldelete(h, "/samples/label", H5P_DEFAULT) >= 0);
    if (h >= 0) fx_close(h);
  }
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  CHECK(pdf_has(c.out, "without labels (/samples/label) there are no probes."));
  /* MAIN: final has the lowest cosine mean (0.80171) and CKA (0.64949). */
  CHECK(pdf_has(c.out, "var: the lowest cosine mean is 0.80171, at final; the lowest CKA "
                       "0.64949, at final."));
  CHECK(!pdf_has(c.out, "Own probe"));
  bi_free(&r);
}

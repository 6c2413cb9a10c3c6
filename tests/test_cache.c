/*
** The cache reader: a valid file read back exactly (float16, gzip, every
** data kind), and one test per validation error of INTERFACE section 2,
** each building its own bad file.
*/
#include "harness.h"
#include "h5fixture.h"

#include <stdlib.h>

#include "input/cache.h"

static char *tmp_path(const char *name) {
  static char buf[8][512];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, 512, "%s/%s", qa_test_tmpdir(), name);
  return p;
}

/* Loads path expecting failure with code and a message containing part. */
static void expect_error(const char *path, const char *layer, int code, const char *part) {
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {layer, 1, 0, 0, NULL, NULL};
  int rc = qa_cache_load(path, &o, &c, &err);
  CHECK_INT(rc, -1);
  CHECK(c == NULL);
  CHECK_INT(err.code, code);
  CHECK_CONTAINS(err.msg, path);
  CHECK_CONTAINS(err.msg, part);
}

/* Writes the default cache, then replaces the dataset at dpath. */
static hid_t default_then_open(const char *path, const char *dpath) {
  fx_cache c;
  fx_default_cache(&c);
  if (fx_write_cache(path, &c)) return -1;
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  if (f >= 0 && dpath) H5Ldelete(f, dpath, H5P_DEFAULT);
  return f;
}

QA_TEST(cache_reads_every_kind) {
  const char *p = tmp_path("ok.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  CHECK_INT(fx_write_cache(p, &fc), 0);
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {"final", 1, 0, 0, NULL, NULL};
  CHECK_INT(qa_cache_load(p, &o, &c, &err), 0);
  if (!c) { qa_test_fail(__FILE__, __LINE__, "load: %s", err.msg); return; }
  CHECK_STR(c->model, "m");
  CHECK_STR(c->variant, "v");
  CHECK_NEAR(c->bits_per_weight, 8, 0);
  CHECK_INT(c->params, 1000);
  CHECK_INT(c->n_samples, 6);
  CHECK_INT(c->ids[5], 15);
  CHECK_INT(c->labels[4], 1);
  CHECK_INT(c->n_label_names, 3);
  CHECK_STR(c->label_names[2], "c");
  CHECK_INT(c->dim, 3);
  CHECK_NEAR(c->hidden[4 * 3 + 2], 2.5 - 2.0, 0);      /* (i+1)*0.5 - j, i=4, j=2 */
  CHECK_INT(c->n_classes, 3);
  CHECK_NEAR(c->logits[1 * 3 + 2], -0.5, 0);           /* -1 + 0.25*2 */
  CHECK_INT(c->prediction[2], 2);
  CHECK_INT(c->has_prediction_dataset, 1);
  CHECK_INT(c->n_tasks, 1);
  const qa_task *t = qa_cache_task(c, "t1");
  CHECK(t != NULL);
  if (t) {
    CHECK_INT(t->n_items, 4);
    CHECK_INT(t->ids[3], 103);
    CHECK_INT(t->correct[1], 1);
    CHECK_INT(t->n_metrics, 1);
    CHECK_STR(t->metric_names[0], "m");
    CHECK_NEAR(t->scores[0][3], 1.0, 0);
  }
  CHECK_INT(c->n_decode, 3);
  CHECK_NEAR(c->ttft_ms[1], 40, 0);
  CHECK_INT(c->n_layers, 1);
  qa_cache_free(c);
}

QA_TEST(cache_float16_and_gzip_exact) {
  const char *p = tmp_path("f16.h5");
  /* Values exactly representable in half precision (11-bit significand). */
  double h[6 * 2] = {0.5, -1.25, 3.0, 1024.0, -0.0009765625, 65504.0,
                     0.333251953125, 7.75, -2.0, 0.0, 1.5, -6.5};
  /* Values exactly representable in float32. */
  double g[6 * 2] = {0.1f, 0.2f, 1e-7f, -3.5f, 12345.678f, 0.0f,
                     -1.0f, 2.0f, 1e30f, -1e-30f, 0.75f, 8.0f};
  hsize_t dims[2] = {6, 2};
  int64_t ids[6] = {5, 4, 3, 2, 1, 0};
  hsize_t n[1] = {6};
  hid_t f = fx_create(p), f16 = fx_f16();
  CHECK_INT(fx_attr_str(f, "model", "m") | fx_attr_str(f, "variant", "v"), 0);
  CHECK_INT(fx_floats(f, "/hidden/h16", f16, 2, dims, h, 0), 0);
  CHECK_INT(fx_floats(f, "/hidden/gz", H5T_IEEE_F32LE, 2, dims, g, 1), 0);
  CHECK_INT(fx_ints(f, "/samples/id", H5T_STD_I64LE, 1, n, ids), 0);
  H5Tclose(f16);
  fx_close(f);
  const char *layers[2] = {"h16", "gz"};
  const double *want[2] = {h, g};
  for (int k = 0; k < 2; k++) {
    qa_error err = {0};
    qa_cache *c = NULL;
    qa_cache_opts o = {layers[k], 1, 0, 0, NULL, NULL};
    CHECK_INT(qa_cache_load(p, &o, &c, &err), 0);
    if (!c) { qa_test_fail(__FILE__, __LINE__, "%s", err.msg); continue; }
    CHECK_INT(c->dim, 2);
    CHECK_INT(c->n_layers, 2);
    int exact = 1;
    for (int i = 0; i < 12; i++) exact &= c->hidden[i] == want[k][i];
    CHECK(exact);
    qa_cache_free(c);
  }
}

QA_TEST(cache_bool_enum_correct_and_default_ids) {
  /* h5py writes numpy bool as an 8-bit enum {FALSE, TRUE}. */
  const char *p = tmp_path("bool.h5");
  hid_t f = fx_create(p);
  fx_attr_str(f, "model", "m");
  fx_attr_str(f, "variant", "v");
  hid_t e = H5Tenum_create(H5T_NATIVE_INT8);
  int8_t fa = 0, tr = 1;
  H5Tenum_insert(e, "FALSE", &fa);
  H5Tenum_insert(e, "TRUE", &tr);
  hsize_t dims[1] = {4};
  int8_t v[4] = {1, 0, 1, 1};
  hid_t space = H5Screate_simple(1, dims, NULL), lc = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lc, 1);
  hid_t d = H5Dcreate2(f, "/eval/q/correct", e, space, lc, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(d >= 0);
  CHECK(H5Dwrite(d, e, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0);
  H5Dclose(d); H5Sclose(space); H5Pclose(lc); H5Tclose(e);
  fx_close(f);
  qa_error err = {0};
  qa_cache *c = NULL;
  CHECK_INT(qa_cache_load(p, NULL, &c, &err), 0);
  if (!c) { qa_test_fail(__FILE__, __LINE__, "%s", err.msg); return; }
  const qa_task *t = qa_cache_task(c, "q");
  CHECK(t && t->n_items == 4 && t->correct[0] == 1 && t->correct[1] == 0 && t->ids[3] == 3);
  CHECK(t && !t->has_ids);
  qa_cache_free(c);
}

QA_TEST(cache_prediction_defaults_to_argmax) {
  const char *p = tmp_path("argmax.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.with_prediction = 0;
  fc.logits[0] = 2.0; fc.logits[1] = 2.0; fc.logits[2] = 1.0;   /* tie: first maximum */
  CHECK_INT(fx_write_cache(p, &fc), 0);
  qa_error err = {0};
  qa_cache *c = NULL;
  CHECK_INT(qa_cache_load(p, NULL, &c, &err), 0);
  if (!c) return;
  CHECK_INT(c->has_prediction_dataset, 0);
  CHECK_INT(c->prediction[0], 0);
  CHECK_INT(c->prediction[4], 1);                              /* label 4 % 3 = 1 gets 2.0 */
  qa_cache_free(c);
}

QA_TEST(cache_missing_required_attribute) {
  const char *p = tmp_path("noattr.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.variant = NULL;
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, "missing required attribute variant");
  /* Not required when the configuration names the variant. */
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {NULL, 0, 0, 0, NULL, NULL};
  CHECK_INT(qa_cache_load(p, &o, &c, &err), 0);
  qa_cache_free(c);
}

QA_TEST(cache_attribute_wrong_type) {
  const char *p = tmp_path("attrtype.h5");
  hid_t f = default_then_open(p, NULL);
  H5Adelete(f, "model");
  fx_attr_i64(f, "model", 7);
  fx_close(f);
  expect_error(p, NULL, 2, ":/: attribute model has type int64, expected string");
}

QA_TEST(cache_dataset_wrong_rank) {
  const char *p = tmp_path("rank.h5");
  hid_t f = default_then_open(p, "/hidden/final");
  double x[6] = {1, 2, 3, 4, 5, 6};
  hsize_t n[1] = {6};
  fx_floats(f, "/hidden/final", H5T_IEEE_F32LE, 1, n, x, 0);
  fx_close(f);
  expect_error(p, "final", 2, ":/hidden/final: rank 1 [6], expected rank 2");
}

QA_TEST(cache_dataset_wrong_type) {
  const char *p = tmp_path("type.h5");
  hid_t f = default_then_open(p, "/outputs/logits");
  int64_t x[18] = {0};
  hsize_t d[2] = {6, 3};
  fx_ints(f, "/outputs/logits", H5T_STD_I32LE, 2, d, x);
  fx_close(f);
  expect_error(p, NULL, 2, ":/outputs/logits: type int32, expected float");
}

QA_TEST(cache_string_names_wrong_type) {
  const char *p = tmp_path("names.h5");
  hid_t f = default_then_open(p, "/samples/label_names");
  int64_t x[3] = {0, 1, 2};
  hsize_t d[1] = {3};
  fx_ints(f, "/samples/label_names", H5T_STD_I32LE, 1, d, x);
  fx_close(f);
  expect_error(p, NULL, 2, ":/samples/label_names: type int32, expected string");
}

QA_TEST(cache_rows_disagree) {
  const char *p = tmp_path("rows.h5");
  hid_t f = default_then_open(p, "/samples/label");
  int64_t l[5] = {0, 1, 2, 0, 1};
  hsize_t d[1] = {5};
  fx_ints(f, "/samples/label", H5T_STD_I32LE, 1, d, l);
  fx_close(f);
  expect_error(p, NULL, 2, ":/samples/label: 5 rows, but /samples/id has 6");
}

QA_TEST(cache_label_out_of_range) {
  const char *p = tmp_path("label.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.labels[3] = 3;                                   /* C = 3 */
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/samples/label: label 3 at row 3 is outside [0, 3)");
  fc.labels[3] = -1;
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/samples/label: label -1 at row 3 is negative");
}

QA_TEST(cache_nan_and_inf) {
  const char *p = tmp_path("nan.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.hidden[2 * 3 + 1] = NAN;
  fx_write_cache(p, &fc);
  expect_error(p, "final", 2, ":/hidden/final: NaN at row 2, column 1");
  fx_default_cache(&fc);
  fc.logits[5 * 3] = INFINITY;
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/outputs/logits: Inf at row 5, column 0");
  fx_default_cache(&fc);
  fc.score[2] = NAN;
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/eval/t1/score/m: NaN at element 2");
}

QA_TEST(cache_correct_not_binary) {
  const char *p = tmp_path("correct.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.correct[2] = 2;
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/eval/t1/correct: value 2 at item 2; expected 0 or 1");
}

QA_TEST(cache_negative_timing) {
  const char *p = tmp_path("timing.h5");
  hid_t f = default_then_open(p, "/perf/ttft_ms");
  double t[3] = {5, -1, 3};
  hsize_t d[1] = {3};
  fx_floats(f, "/perf/ttft_ms", H5T_IEEE_F64LE, 1, d, t, 0);
  fx_close(f);
  expect_error(p, NULL, 2, ":/perf/ttft_ms: negative timing -1 at element 1");
}

QA_TEST(cache_duplicate_ids) {
  const char *p = tmp_path("dup.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.ids[4] = fc.ids[1];
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/samples/id: id 11 appears more than once");
  fx_default_cache(&fc);
  fc.item_ids[3] = 100;
  fx_write_cache(p, &fc);
  expect_error(p, NULL, 2, ":/eval/t1/id: id 100 appears more than once");
}

QA_TEST(cache_not_hdf5_truncated_missing) {
  const char *p = tmp_path("text.h5");
  FILE *f = fopen(p, "w");
  fputs("this is not HDF5\n", f);
  fclose(f);
  expect_error(p, NULL, 2, "not an HDF5 file or truncated");
  /* Truncated: the first half of a valid cache. */
  const char *whole = tmp_path("whole.h5"), *half = tmp_path("half.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fx_write_cache(whole, &fc);
  FILE *in = fopen(whole, "rb"), *out = fopen(half, "wb");
  char buf[4096];
  size_t n = fread(buf, 1, sizeof buf, in);
  fwrite(buf, 1, n / 2, out);
  fclose(in); fclose(out);
  expect_error(half, NULL, 2, "not an HDF5 file or truncated");
  expect_error(tmp_path("does-not-exist.h5"), NULL, 3, "cannot open: No such file");
}

QA_TEST(cache_empty_dataset) {
  const char *p = tmp_path("empty.h5");
  hid_t f = default_then_open(p, "/perf/decode_tok_s");
  hsize_t d[1] = {0};
  fx_floats(f, "/perf/decode_tok_s", H5T_IEEE_F64LE, 1, d, NULL, 0);
  fx_close(f);
  expect_error(p, NULL, 2, ":/perf/decode_tok_s: is empty");
}

QA_TEST(cache_refuses_terabyte_shapes) {
  /* A chunked dataset can claim any shape without storing it. */
  const char *p = tmp_path("huge.h5");
  hid_t f = fx_create(p);
  fx_attr_str(f, "model", "m");
  fx_attr_str(f, "variant", "v");
  hsize_t dims[2] = {1000000000ULL, 100000ULL}, chunk[2] = {1, 1000};
  hid_t space = H5Screate_simple(2, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  hid_t lc = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lc, 1);
  hid_t d = H5Dcreate2(f, "/hidden/final", H5T_IEEE_F32LE, space, lc, dcpl, H5P_DEFAULT);
  H5Pclose(lc);
  CHECK(d >= 0);
  H5Dclose(d); H5Pclose(dcpl); H5Sclose(space);
  fx_close(f);
  expect_error(p, "final", 2, ":/hidden/final: shape [1000000000,100000] needs 8e+05 GB");
}

QA_TEST(cache_external_link_refused) {
  const char *p = tmp_path("extlink.h5");
  hid_t f = default_then_open(p, "/outputs/logits");
  CHECK(H5Lcreate_external("/etc/elsewhere.h5", "/x", f, "/outputs/logits", H5P_DEFAULT,
                           H5P_DEFAULT) >= 0);
  fx_close(f);
  expect_error(p, NULL, 2, ":/outputs/logits: is an external link");
}

QA_TEST(cache_layer_not_found) {
  const char *p = tmp_path("layer.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fx_write_cache(p, &fc);
  expect_error(p, "layer_9", 2, ":/hidden/layer_9: not found; the configuration's layer must "
                                "exist (layers here: final)");
}

QA_TEST(cache_inspect_lists_objects) {
  const char *p = tmp_path("inspect.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fx_write_cache(p, &fc);
  const char *txt = tmp_path("inspect.txt");
  FILE *out = fopen(txt, "w");
  qa_error err = {0};
  CHECK_INT(qa_cache_inspect(p, out, &err), 0);
  fclose(out);
  FILE *in = fopen(txt, "r");
  char buf[8192] = {0};
  size_t n = fread(buf, 1, sizeof buf - 1, in);
  buf[n] = '\0';
  fclose(in);
  CHECK_CONTAINS(buf, "model            = \"m\"");
  CHECK_CONTAINS(buf, "/hidden/final");
  CHECK_CONTAINS(buf, "float64      [6, 3]");
  CHECK_CONTAINS(buf, "/eval/t1/correct");
  CHECK_CONTAINS(buf, "uint8        [4]");
}

QA_TEST(cache_memory_limit_names_the_option) {
  const char *p = tmp_path("budget.h5");
  fx_cache fc;
  fx_default_cache(&fc);
  fx_write_cache(p, &fc);
  qa_error err = {0};
  qa_cache *c = NULL;
  /* /hidden/final is 6 x 3 doubles = 144 bytes; a 100-byte budget refuses it. */
  qa_cache_opts o = {"final", 1, 100, 1, NULL, NULL};
  CHECK_INT(qa_cache_load(p, &o, &c, &err), -1);
  CHECK_INT(err.code, 2);
  CHECK_CONTAINS(err.msg, ":/hidden/final: shape [6,3] needs 1.44e-07 GB in memory, more than "
                          "the 1e-07 GB allowed by --max-memory");
  /* 144 bytes fit in 200 (the other datasets are smaller). */
  qa_cache_opts ok = {"final", 1, 200, 1, NULL, NULL};
  CHECK_INT(qa_cache_load(p, &ok, &c, &err), 0);
  CHECK(c && qa_cache_memory(c) > 144);
  qa_cache_free(c);
}

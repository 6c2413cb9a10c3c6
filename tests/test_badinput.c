/*
** Bad input, end to end (issue "Reliability and security"): each case
** builds one broken input in a fresh folder, runs the real ./qaudit on it
** and checks what the user sees (INTERFACE.md section 1):
**   - the exit status: 1 usage/configuration, 2 invalid data, 3 I/O;
**   - stderr is exactly one line, "qaudit: error: FILE[:PATH|KEY]: what",
**     naming the file, the HDF5 path or JSON key, and what was expected;
**   - the output folder holds no report.pdf, report.json, figures or
**     temporary afterwards;
**   - for a selection, a good report already in the output folder is left
**     byte-identical (BI_NOT_CLOBBERED).
** The unit tests in test_cache.c, test_study.c and test_config.c check the
** readers' messages function by function; these check the whole program.
** Run from the repository root after `make qaudit`.
*/
#include "badinput_util.h"

#include <sys/mount.h>

/* ===== files that are not HDF5, or not all of it ============================= */

/* var.h5 becomes the first `keep` bytes of a valid cache (keep < 0: all
** but -keep bytes; keep == 0: the first half). */
static void truncated_case(const char *name, long keep, int seed) {
  bi_case c;
  bi_result r;
  bi_pair(&c, name);
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "whole.h5", &v);
  size_t n = 0;
  char *whole = bi_slurp(bi_path(&c, "whole.h5"), &n);
  if (!whole) { qa_test_fail(__FILE__, __LINE__, "cannot read whole.h5"); return; }
  size_t cut = keep > 0 ? (size_t)keep : keep < 0 ? n - (size_t)(-keep) : n / 2;
  CHECK(cut < n);
  CHECK_INT(bi_write_bytes(bi_path(&c, "var.h5"), whole, cut), 0);
  free(whole);
  if (seed && bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5: "), "not an HDF5 file or truncated",
            "expected an HDF5 cache");
  if (seed) BI_NOT_CLOBBERED(&c);
  else BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_truncated_hdf5_after_8_bytes) { truncated_case("trunc8", 8, 0); }
QA_TEST(badinput_truncated_hdf5_after_512_bytes) { truncated_case("trunc512", 512, 1); }
QA_TEST(badinput_truncated_hdf5_at_half) { truncated_case("trunchalf", 0, 0); }
QA_TEST(badinput_truncated_hdf5_last_byte_missing) { truncated_case("trunc1", -1, 0); }

QA_TEST(badinput_truncated_baseline) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "truncbase");
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  size_t n = 0;
  char *whole = bi_slurp(bi_path(&c, "base.h5"), &n);
  CHECK(whole != NULL);
  if (whole) CHECK_INT(bi_write_bytes(bi_path(&c, "base.h5"), whole, n / 3), 0);
  free(whole);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "base.h5: "), "not an HDF5 file or truncated");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

static void not_hdf5_case(const char *name, const void *bytes, size_t len) {
  bi_case c;
  bi_result r;
  bi_pair(&c, name);
  CHECK_INT(bi_write_bytes(bi_path(&c, "var.h5"), bytes, len), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5: "), "not an HDF5 file or truncated",
            "expected an HDF5 cache");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_not_hdf5_text_file) {
  const char *text = "id,label\n10,0\n11,1\n";
  not_hdf5_case("text", text, strlen(text));
}

QA_TEST(badinput_not_hdf5_empty_file) { not_hdf5_case("empty", "", 0); }

QA_TEST(badinput_not_hdf5_png_header) {
  /* The PNG signature and the start of an IHDR chunk (PNG spec 5.2, 11.2.2). */
  static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n',
                                      0, 0, 0, 13, 'I', 'H', 'D', 'R',
                                      0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0};
  not_hdf5_case("png", png, sizeof png);
}

QA_TEST(badinput_hdf5_superblock_then_garbage) {
  /* A valid superblock followed by bytes that are no HDF5 structure. */
  bi_case c;
  bi_result r;
  bi_pair(&c, "garbage");
  size_t n = 0;
  char *whole = bi_slurp(bi_path(&c, "base.h5"), &n);
  if (!whole || n < 200) { CHECK(whole && n >= 200); free(whole); return; }
  memset(whole + 96, 0xA5, n - 96);
  CHECK_INT(bi_write_bytes(bi_path(&c, "var.h5"), whole, n), 0);
  free(whole);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:"));
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* ===== wrong ranks and types ================================================= */

/* Runs the report on the case and expects exit 2 with "var.h5:HPATH: " and
** `what` in the message, and nothing in the output folder. */
static void expect_var_error_at(const char *file, int line, bi_case *c, const char *hpath,
                                const char *what) {
  bi_result r;
  bi_report(c, &r);
  bi_expect_at(file, line, &r, 2, (const char *const[]){bi_at(c, "var.h5", hpath), what, NULL});
  bi_no_report_at(file, line, c->out);
  bi_free(&r);
}
#define EXPECT_VAR_ERROR(c, hpath, what) \
  expect_var_error_at(__FILE__, __LINE__, (c), (hpath), (what))

QA_TEST(badinput_hidden_rank_1) {
  bi_case c;
  bi_pair(&c, "hidrank1");
  hid_t f = bi_var_open(&c, "/hidden/final");
  double x[6] = {1, 2, 3, 4, 5, 6};
  hsize_t n[1] = {6};
  CHECK_INT(fx_floats(f, "/hidden/final", H5T_IEEE_F32LE, 1, n, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "rank 1 [6], expected rank 2");
}

QA_TEST(badinput_hidden_rank_3) {
  bi_case c;
  bi_pair(&c, "hidrank3");
  hid_t f = bi_var_open(&c, "/hidden/final");
  double x[6 * 3 * 2] = {0};
  hsize_t d[3] = {6, 3, 2};
  CHECK_INT(fx_floats(f, "/hidden/final", H5T_IEEE_F64LE, 3, d, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "rank 3 [6,3,2], expected rank 2");
}

QA_TEST(badinput_hidden_scalar) {
  bi_case c;
  bi_pair(&c, "hidscalar");
  hid_t f = bi_var_open(&c, "/hidden/final");
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t d = H5Dcreate2(f, "/hidden/final", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT,
                       H5P_DEFAULT);
  double one = 1;
  CHECK(d >= 0 && H5Dwrite(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, &one) >= 0);
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "rank 0 (scalar), expected rank 2");
}

QA_TEST(badinput_logits_int) {
  bi_case c;
  bi_pair(&c, "logitsint");
  hid_t f = bi_var_open(&c, "/outputs/logits");
  int64_t x[18] = {0};
  hsize_t d[2] = {6, 3};
  CHECK_INT(fx_ints(f, "/outputs/logits", H5T_STD_I32LE, 2, d, x), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/outputs/logits", "type int32, expected float");
}

QA_TEST(badinput_logits_is_a_group) {
  bi_case c;
  bi_pair(&c, "logitsgroup");
  hid_t f = bi_var_open(&c, "/outputs/logits");
  double x[18] = {0};
  hsize_t d[2] = {6, 3};
  CHECK_INT(fx_floats(f, "/outputs/logits/inner", H5T_IEEE_F32LE, 2, d, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/outputs/logits", "is a group, expected a dataset");
}

QA_TEST(badinput_labels_float) {
  bi_case c;
  bi_pair(&c, "labelsfloat");
  hid_t f = bi_var_open(&c, "/samples/label");
  double x[6] = {0, 1, 2, 0, 1, 2};
  hsize_t n[1] = {6};
  CHECK_INT(fx_floats(f, "/samples/label", H5T_IEEE_F64LE, 1, n, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/samples/label", "type float64, expected integer");
}

QA_TEST(badinput_correct_float) {
  bi_case c;
  bi_pair(&c, "correctfloat");
  hid_t f = bi_var_open(&c, "/eval/t1/correct");
  double x[4] = {0, 1, 0, 1};
  hsize_t n[1] = {4};
  CHECK_INT(fx_floats(f, "/eval/t1/correct", H5T_IEEE_F32LE, 1, n, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/eval/t1/correct", "type float32, expected integer");
}

QA_TEST(badinput_correct_not_binary) {
  bi_case c;
  bi_pair(&c, "correct2");
  fx_cache v;
  fx_default_cache(&v);
  v.correct[2] = 2;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/eval/t1/correct", "value 2 at item 2; expected 0 or 1");
}

QA_TEST(badinput_ids_float) {
  bi_case c;
  bi_pair(&c, "idsfloat");
  hid_t f = bi_var_open(&c, "/samples/id");
  double x[6] = {10, 11, 12, 13, 14, 15};
  hsize_t n[1] = {6};
  CHECK_INT(fx_floats(f, "/samples/id", H5T_IEEE_F64LE, 1, n, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/samples/id", "type float64, expected integer");
}

QA_TEST(badinput_label_names_numeric) {
  bi_case c;
  bi_pair(&c, "namesnum");
  hid_t f = bi_var_open(&c, "/samples/label_names");
  int64_t x[3] = {0, 1, 2};
  hsize_t n[1] = {3};
  CHECK_INT(fx_ints(f, "/samples/label_names", H5T_STD_I32LE, 1, n, x), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/samples/label_names", "type int32, expected string");
}

QA_TEST(badinput_hidden_group_is_a_dataset) {
  bi_case c;
  bi_pair(&c, "hiddends");
  hid_t f = bi_var_open(&c, "/hidden");
  double x[6] = {0};
  hsize_t n[1] = {6};
  CHECK_INT(fx_floats(f, "/hidden", H5T_IEEE_F64LE, 1, n, x, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden", "is a dataset, expected a group");
}

/* ===== shapes that differ from the baseline ================================== */

QA_TEST(badinput_n_differs_from_baseline) {
  bi_case c;
  bi_pair(&c, "ndiff");
  fx_cache v;
  fx_default_cache(&v);
  v.n = 5;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/samples/id", "N = 5 samples differs from the baseline's 6");
}

QA_TEST(badinput_d_differs_from_baseline) {
  bi_case c;
  bi_pair(&c, "ddiff");
  fx_cache v;
  fx_default_cache(&v);
  v.d = 2;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "shape [6,2] differs from baseline [6,3]");
}

QA_TEST(badinput_c_differs_from_baseline) {
  bi_case c;
  bi_pair(&c, "cdiff");
  fx_cache v;
  fx_default_cache(&v);
  v.c = 2;
  for (size_t i = 0; i < v.n; i++) v.labels[i] = (int64_t)(i % 2);
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/outputs/logits", "shape [6,2] differs from baseline [6,3]");
}

QA_TEST(badinput_task_items_differ_from_baseline) {
  bi_case c;
  bi_pair(&c, "mdiff");
  fx_cache v;
  fx_default_cache(&v);
  v.m = 3;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/eval/t1/id", "M = 3 items differs from the baseline's 4");
}

/* A chunked dataset claims any shape without storing it: the reader must
** refuse it from its dimensions, before allocating. */
static int write_huge(hid_t f, const char *path, int rank, const hsize_t *dims,
                      const hsize_t *chunk) {
  hid_t space = H5Screate_simple(rank, dims, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  hid_t lc = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lc, 1);
  H5Pset_chunk(dcpl, rank, chunk);
  H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
  hid_t d = H5Dcreate2(f, path, H5T_IEEE_F32LE, space, lc, dcpl, H5P_DEFAULT);
  int rc = d < 0 ? -1 : 0;
  if (d >= 0) H5Dclose(d);
  H5Pclose(lc); H5Pclose(dcpl); H5Sclose(space);
  return rc;
}

QA_TEST(badinput_chunked_hidden_claims_terabytes) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "terabyte");
  hid_t f = fx_create(bi_path(&c, "var.h5"));
  fx_attr_str(f, "model", "m");
  fx_attr_str(f, "variant", "v");
  /* 1e9 x 1e5 float32 = 400 TB on disk, 800 TB as doubles in memory */
  hsize_t dims[2] = {1000000000ULL, 100000ULL}, chunk[2] = {1, 1000};
  CHECK_INT(write_huge(f, "/hidden/final", 2, dims, chunk), 0);
  fx_close(f);
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/final"),
            "shape [1000000000,100000] needs 8e+05 GB in memory, more than the");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_chunked_logits_claim_terabytes_with_matching_rows) {
  /* N agrees with the other datasets (6 rows), so only the size check can
  ** stop it: 6 x 1e11 doubles = 4.8e12 bytes = 4.8e+03 GB. */
  bi_case c;
  bi_pair(&c, "terabytecols");
  hid_t f = bi_var_open(&c, "/outputs/logits");
  H5Ldelete(f, "/outputs/prediction", H5P_DEFAULT);
  hsize_t dims[2] = {6, 100000000000ULL}, chunk[2] = {1, 4096};
  CHECK_INT(write_huge(f, "/outputs/logits", 2, dims, chunk), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/outputs/logits", "shape [6,100000000000] needs 4.8e+03 GB in memory");
}

/* ===== values that are not finite ============================================ */

QA_TEST(badinput_nan_in_hidden) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "nanhidden");
  fx_cache v;
  fx_default_cache(&v);
  v.hidden[2 * 3 + 1] = NAN;
  bi_write_cache(&c, "var.h5", &v);
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/final"), "NaN at row 2, column 1",
            "expected finite values");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_negative_inf_in_hidden_of_baseline) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "infbase");
  fx_cache b, v;
  fx_default_cache(&b);
  fx_default_cache(&v);
  b.hidden[5 * 3 + 2] = -INFINITY;
  bi_write_cache(&c, "base.h5", &b);
  bi_write_cache(&c, "var.h5", &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "base.h5", "/hidden/final"), "Inf at row 5, column 2");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_inf_in_logits) {
  bi_case c;
  bi_pair(&c, "inflogits");
  fx_cache v;
  fx_default_cache(&v);
  v.logits[5 * 3] = INFINITY;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/outputs/logits", "Inf at row 5, column 0; expected finite values");
}

QA_TEST(badinput_nan_in_score) {
  bi_case c;
  bi_pair(&c, "nanscore");
  fx_cache v;
  fx_default_cache(&v);
  v.score[2] = NAN;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/eval/t1/score/m", "NaN at element 2; expected finite values");
}

static void timing_case(const char *name, const char *path, double bad, const char *what) {
  bi_case c;
  bi_pair(&c, name);
  hid_t f = bi_var_open(&c, path);
  double t[3] = {5, bad, 3};
  hsize_t d[1] = {3};
  CHECK_INT(fx_floats(f, path, H5T_IEEE_F64LE, 1, d, t, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, path, what);
}

QA_TEST(badinput_inf_in_decode_timing) {
  timing_case("infdecode", "/perf/decode_tok_s", INFINITY, "Inf at element 1");
}

QA_TEST(badinput_nan_in_ttft_timing) {
  timing_case("nanttft", "/perf/ttft_ms", NAN, "NaN at element 1");
}

QA_TEST(badinput_negative_timing) {
  timing_case("negttft", "/perf/ttft_ms", -1, "negative timing -1 at element 1");
}

/* ===== ids and labels ======================================================== */

QA_TEST(badinput_duplicate_ids) {
  bi_case c;
  bi_pair(&c, "dupids");
  fx_cache v;
  fx_default_cache(&v);
  v.ids[4] = v.ids[1];
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/samples/id", "id 11 appears more than once; ids must be unique");
}

QA_TEST(badinput_ids_missing_from_variant) {
  /* The variant lacks id 15 and has 99 instead: the sets differ. */
  bi_case c;
  bi_result r;
  bi_pair(&c, "idset");
  fx_cache v;
  fx_default_cache(&v);
  v.ids[5] = 99;
  bi_write_cache(&c, "var.h5", &v);
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/id"),
            "id 99 (row 5) is not among the baseline's ids");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_task_ids_missing_from_variant) {
  bi_case c;
  bi_pair(&c, "taskids");
  fx_cache v;
  fx_default_cache(&v);
  v.item_ids[0] = 7;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/eval/t1/id", "id 7 (row 0) is not among the baseline's ids");
}

QA_TEST(badinput_label_out_of_range) {
  bi_case c;
  bi_pair(&c, "label3");
  fx_cache v;
  fx_default_cache(&v);
  v.labels[3] = 3;                                  /* C = 3 */
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/samples/label", "label 3 at row 3 is outside [0, 3)");
}

QA_TEST(badinput_label_negative) {
  bi_case c;
  bi_pair(&c, "labelneg");
  fx_cache v;
  fx_default_cache(&v);
  v.labels[3] = -1;
  bi_write_cache(&c, "var.h5", &v);
  EXPECT_VAR_ERROR(&c, "/samples/label", "label -1 at row 3 is negative");
}

QA_TEST(badinput_prediction_out_of_range) {
  bi_case c;
  bi_pair(&c, "pred7");
  hid_t f = bi_var_open(&c, "/outputs/prediction");
  int64_t p[6] = {0, 1, 7, 0, 1, 2};
  hsize_t n[1] = {6};
  CHECK_INT(fx_ints(f, "/outputs/prediction", H5T_STD_I32LE, 1, n, p), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/outputs/prediction", "class 7 at row 2 is outside [0, 3)");
}

QA_TEST(badinput_labels_differ_from_baseline) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "labeldiff");
  fx_cache v;
  fx_default_cache(&v);
  v.labels[1] = 2;
  bi_write_cache(&c, "var.h5", &v);
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label"),
            "sample id 11 has label 2, the baseline's is 1");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_label_names_differ_from_baseline) {
  bi_case c;
  bi_pair(&c, "namesdiff");
  hid_t f = bi_var_open(&c, "/samples/label_names");
  const char *names[3] = {"a", "x", "c"};
  CHECK_INT(fx_strings(f, "/samples/label_names", names, 3), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/samples/label_names", "class names differ from the baseline's");
}

/* ===== empty datasets ======================================================== */

QA_TEST(badinput_empty_ids) {
  bi_case c;
  bi_pair(&c, "emptyids");
  hid_t f = bi_var_open(&c, "/samples/id");
  hsize_t n[1] = {0};
  CHECK_INT(fx_ints(f, "/samples/id", H5T_STD_I64LE, 1, n, NULL), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/samples/id", "is empty");
}

QA_TEST(badinput_empty_hidden_rows) {
  bi_case c;
  bi_pair(&c, "emptyhidden");
  hid_t f = bi_var_open(&c, "/hidden/final");
  hsize_t d[2] = {0, 3};
  CHECK_INT(fx_floats(f, "/hidden/final", H5T_IEEE_F32LE, 2, d, NULL, 0), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "is empty");
}

/* ===== root attributes ======================================================= */

static void replace_attr_case(const char *name, const char *attr, int as_float,
                              double value, const char *what) {
  bi_case c;
  bi_pair(&c, name);
  hid_t f = bi_var_open(&c, NULL);
  CHECK(H5Adelete(f, attr) >= 0);
  if (as_float) CHECK_INT(fx_attr_f64(f, attr, value), 0);
  else CHECK_INT(fx_attr_i64(f, attr, (int64_t)value), 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/", what);
}

QA_TEST(badinput_model_attribute_is_int) {
  replace_attr_case("modelint", "model", 0, 7, "attribute model has type int64, expected string");
}

QA_TEST(badinput_variant_attribute_is_float) {
  replace_attr_case("variantfloat", "variant", 1, 4.5,
                    "attribute variant has type float64, expected string");
}

QA_TEST(badinput_bits_per_weight_negative) {
  replace_attr_case("bpwneg", "bits_per_weight", 1, -4,
                    "attribute bits_per_weight is -4, expected a value in (0, 64]");
}

QA_TEST(badinput_missing_model_attribute_and_no_name_in_config) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "nomodel");
  fx_cache b, v;
  fx_default_cache(&b);
  fx_default_cache(&v);
  v.model = NULL;
  bi_write_cache(&c, "base.h5", &b);
  bi_write_cache(&c, "var.h5", &v);
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": [{\"variants\": [{\"file\": \"base.h5\"}, "
                                 "{\"name\": \"q\", \"file\": \"var.h5\"}]}]}"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/"), "missing required attribute model");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* ===== data that lives outside the cache ===================================== */

/* A valid [6,3] float64 dataset /x in a file outside the case folder, so
** that following a link to it would succeed: only a refusal stops it. */
static const char *outside_target(void) {
  static char path[600];
  char dir[520];
  snprintf(dir, sizeof dir, "%s/bi-outside", qa_test_tmpdir());
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/target.h5", dir);
  hid_t f = fx_create(path);
  double x[18];
  for (int i = 0; i < 18; i++) x[i] = 0.5 * i - 3;
  hsize_t d[2] = {6, 3};
  if (f < 0 || fx_floats(f, "/x", H5T_IEEE_F64LE, 2, d, x, 0))
    qa_test_fail(__FILE__, __LINE__, "cannot write %s", path);
  fx_close(f);
  return path;
}

QA_TEST(badinput_external_link_outside_folder) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "extlink");
  const char *target = outside_target();
  hid_t f = bi_var_open(&c, "/outputs/logits");
  CHECK(H5Lcreate_external(target, "/x", f, "/outputs/logits", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/outputs/logits"),
            "is an external link; a cache must be self-contained");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_soft_link_to_external_link) {
  /* /outputs/logits is a soft link to /elsewhere, an external link to a
  ** file outside the folder: following the soft link leaves the cache. */
  bi_case c;
  bi_pair(&c, "softext");
  const char *target = outside_target();
  hid_t f = bi_var_open(&c, "/outputs/logits");
  CHECK(H5Lcreate_external(target, "/x", f, "/elsewhere", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/elsewhere", f, "/outputs/logits", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/outputs/logits", "external link");
}

QA_TEST(badinput_external_raw_storage_outside_folder) {
  /* H5Pset_external: the dataset's bytes live in a raw file elsewhere. */
  bi_case c;
  bi_pair(&c, "extstore");
  char raw[600];
  snprintf(raw, sizeof raw, "%s/bi-outside/raw.bin", qa_test_tmpdir());
  outside_target();                       /* makes the folder */
  double x[18];
  for (int i = 0; i < 18; i++) x[i] = i;
  CHECK_INT(bi_write_bytes(raw, x, sizeof x), 0);
  hid_t f = bi_var_open(&c, "/hidden/final");
  hsize_t d[2] = {6, 3};
  hid_t space = H5Screate_simple(2, d, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  CHECK(H5Pset_external(dcpl, raw, 0, (hsize_t)sizeof x) >= 0);
  hid_t ds = H5Dcreate2(f, "/hidden/final", H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
  CHECK(ds >= 0);
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(dcpl); H5Sclose(space);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "uses external storage; a cache must be self-contained");
}

QA_TEST(badinput_virtual_dataset_outside_folder) {
  /* A virtual dataset (HDF5 1.10 VDS) maps its elements to a dataset in
  ** another file: external storage by another name. */
  bi_case c;
  bi_pair(&c, "vds");
  const char *target = outside_target();
  hid_t f = bi_var_open(&c, "/hidden/final");
  hsize_t d[2] = {6, 3};
  hid_t vspace = H5Screate_simple(2, d, NULL), sspace = H5Screate_simple(2, d, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  CHECK(H5Pset_virtual(dcpl, vspace, target, "/x", sspace) >= 0);
  hid_t ds = H5Dcreate2(f, "/hidden/final", H5T_IEEE_F64LE, vspace, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
  CHECK(ds >= 0);
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(dcpl); H5Sclose(vspace); H5Sclose(sspace);
  fx_close(f);
  EXPECT_VAR_ERROR(&c, "/hidden/final", "self-contained");
}

/* ===== the configuration ===================================================== */

/* Runs the report on a valid pair with extra members in the config and
** expects exit 1 naming the key. */
static void config_case_at(const char *file, int line, const char *name, const char *extra,
                           const char *key, const char *what, int seed) {
  bi_case c;
  bi_result r;
  bi_pair(&c, name);
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  bi_config_pair(&c, extra);
  if (seed && bi_seed_report(&c)) return;
  bi_report(&c, &r);
  bi_expect_at(file, line, &r, 1, (const char *const[]){bi_key(&c, key), what, NULL});
  if (seed) {
    const char *m = bi_master();
    if (m) bi_same_tree_at(file, line, c.out, m);
  } else {
    bi_no_report_at(file, line, c.out);
  }
  bi_free(&r);
}
#define CONFIG_CASE(name, extra, key, what, seed) \
  config_case_at(__FILE__, __LINE__, (name), (extra), (key), (what), (seed))

QA_TEST(badinput_config_alpha_is_a_string) {
  CONFIG_CASE("cfgalphastr", ", \"analysis\": {\"alpha\": \"0.05\"}", "analysis.alpha",
              "expected a number, found a string", 0);
}

QA_TEST(badinput_config_file_is_a_number) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfgfilenum");
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": [{\"name\": \"m\", \"variants\": "
                                 "[{\"name\": \"base\", \"file\": \"base.h5\"}, "
                                 "{\"name\": \"var\", \"file\": 5}]}]}"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, bi_key(&c, "models[0].variants[1].file"), "expected a string, found a number");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_models_is_an_object) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "cfgmodelsobj");
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": {\"name\": \"m\"}}"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, bi_key(&c, "models"), "expected a non-empty array of models");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_top_level_is_an_array) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "cfgarray");
  CHECK_INT(bi_write_text(c.cfg, "[{\"models\": []}]"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, c.cfg, "expected a JSON object at the top level");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_unknown_top_level_key) {
  CONFIG_CASE("cfgtitel", ", \"titel\": \"x\"", "titel", "unknown key", 1);
}

QA_TEST(badinput_config_unknown_nested_key) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfgnested");
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": [{\"name\": \"m\", \"variants\": "
                                 "[{\"name\": \"base\", \"file\": \"base.h5\"}, "
                                 "{\"name\": \"var\", \"file\": \"var.h5\", \"bits\": 4}]}]}"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, bi_key(&c, "models[0].variants[1].bits"), "unknown key");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_unknown_key_with_newline) {
  /* The key's newline must not split the one error line. */
  CONFIG_CASE("cfgnewline", ", \"ti\\ntle\": 1", "ti tle", "unknown key", 0);
}

QA_TEST(badinput_config_unknown_key_very_long) {
  /* An 8000-character key: the message may shorten it but stays one line. */
  bi_case c;
  bi_result r;
  char extra[9000], start[700];
  size_t n = (size_t)snprintf(extra, sizeof extra, ", \"");
  memset(extra + n, 'k', 8000);
  snprintf(extra + 8000 + n, sizeof extra - 8000 - n, "\": 1");
  bi_pair(&c, "cfglongkey");
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  bi_config_pair(&c, extra);
  snprintf(start, sizeof start, "%s:kkkkkkkkkkkkkkkk", c.cfg);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, start);
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_duplicate_key) {
  CONFIG_CASE("cfgdup", ", \"title\": \"a\", \"title\": \"b\"", "title", "duplicate key", 0);
}

QA_TEST(badinput_config_alpha_2) {
  CONFIG_CASE("cfgalpha2", ", \"analysis\": {\"alpha\": 2}", "analysis.alpha",
              "2 is out of range: expected (0, 1)", 0);
}

QA_TEST(badinput_config_alpha_overflows_to_infinity) {
  CONFIG_CASE("cfgalphainf", ", \"analysis\": {\"alpha\": 1e999}", "analysis.alpha",
              "expected a finite number", 0);
}

QA_TEST(badinput_config_knn_k_0) {
  CONFIG_CASE("cfgknn0", ", \"analysis\": {\"knn_k\": 0}", "analysis.knn_k",
              "0 is out of range: expected [1, 1000]", 0);
}

QA_TEST(badinput_config_knn_k_not_integer) {
  CONFIG_CASE("cfgknnfrac", ", \"analysis\": {\"knn_k\": 2.5}", "analysis.knn_k",
              "expected an integer, found 2.5", 0);
}

QA_TEST(badinput_config_negative_tost_margin) {
  CONFIG_CASE("cfgmargin", ", \"analysis\": {\"tost_margin_pp\": -1}", "analysis.tost_margin_pp",
              "-1 is out of range", 0);
}

QA_TEST(badinput_config_negative_claim_margin) {
  CONFIG_CASE("cfgclaimmargin",
              ", \"claims\": [{\"id\": \"C1\", \"text\": \"t\", \"kind\": \"equivalent\", "
              "\"variant\": \"var\", \"metric\": \"benchmark\", \"margin\": -2}]",
              "claims[0].margin", "-2 is out of range", 0);
}

QA_TEST(badinput_config_tiers_not_ascending) {
  /* "acceptable" allows a smaller drop than "negligible" before it. */
  CONFIG_CASE("cfgtiers",
              ", \"tiers\": [{\"name\": \"negligible\", \"max_drop_pp\": 5, \"max_drop_pct\": 8},"
              " {\"name\": \"acceptable\", \"max_drop_pp\": 3, \"max_drop_pct\": 10}]",
              "tiers[1].max_drop_pp", "ascending", 1);
}

QA_TEST(badinput_config_tier_pct_not_ascending) {
  CONFIG_CASE("cfgtierspct",
              ", \"tiers\": [{\"name\": \"negligible\", \"max_drop_pp\": 3, \"max_drop_pct\": 8},"
              " {\"name\": \"acceptable\", \"max_drop_pp\": 5, \"max_drop_pct\": 4}]",
              "tiers[1].max_drop_pct", "ascending", 0);
}

QA_TEST(badinput_config_vram_tiers_not_ascending) {
  CONFIG_CASE("cfgvram", ", \"deploy\": {\"vram_tiers_gb\": [4, 2]}", "deploy.vram_tiers_gb[1]",
              "memory tiers must be in ascending order", 0);
}

QA_TEST(badinput_config_claim_names_unknown_variant) {
  CONFIG_CASE("cfgclaimvar",
              ", \"claims\": [{\"id\": \"C1\", \"text\": \"t\", \"kind\": \"tier_at_most\", "
              "\"variant\": \"Q9\", \"tier\": \"acceptable\"}]",
              "claims[0].variant", "\"Q9\" is not a variant of any model", 0);
}

QA_TEST(badinput_config_critical_error_unknown_class) {
  CONFIG_CASE("cfgcritical",
              ", \"critical_errors\": [{\"label\": \"VETO\", \"predicted\": \"a\", \"max\": 0}]",
              "critical_errors[0].label", "\"VETO\" is not a class of model m", 0);
}

QA_TEST(badinput_config_baseline_not_a_variant) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfgbaseline");
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": [{\"name\": \"m\", \"baseline\": \"fp99\", "
                                 "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
                                 "{\"name\": \"var\", \"file\": \"var.h5\"}]}]}"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, bi_key(&c, "models[0].baseline"), "\"fp99\" is not one of the model's variants");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_layer_not_in_cache) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfglayer");
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  CHECK_INT(bi_write_text(c.cfg, "{\"layer\": \"layer_9\", \"models\": [{\"name\": \"m\", "
                                 "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
                                 "{\"name\": \"var\", \"file\": \"var.h5\"}]}]}"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "base.h5", "/hidden/layer_9"),
            "not found; the configuration's layer must exist (layers here: final)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* 100000 nested arrays (or objects) under a known key: the parser must
** refuse the depth, not recurse until the stack runs out. */
static void nesting_case(const char *name, const char *open, const char *close, int seed) {
  enum { DEPTH = 100000 };
  bi_case c;
  bi_result r;
  bi_pair(&c, name);
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  size_t lo = strlen(open), lc = strlen(close);
  char *extra = malloc(DEPTH * (lo + lc) + 64);
  if (!extra) { CHECK(extra != NULL); return; }
  size_t n = (size_t)sprintf(extra, ", \"title\": ");
  for (int i = 0; i < DEPTH; i++, n += lo) memcpy(extra + n, open, lo);
  for (int i = 0; i < DEPTH; i++, n += lc) memcpy(extra + n, close, lc);
  extra[n] = '\0';
  char *text = malloc(n + 512);
  if (text) {
    snprintf(text, n + 512, "{\"models\": [{\"name\": \"m\", \"variants\": [{\"name\": \"base\", "
             "\"file\": \"base.h5\"}, {\"name\": \"var\", \"file\": \"var.h5\"}]}]%s}", extra);
    CHECK_INT(bi_write_text(c.cfg, text), 0);
  }
  free(text);
  free(extra);
  if (seed && bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, c.cfg, "invalid JSON at line 1");
  if (seed) BI_NOT_CLOBBERED(&c);
  else BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_100000_nested_arrays) { nesting_case("nest_arrays", "[", "]", 1); }
QA_TEST(badinput_config_100000_nested_objects) {
  nesting_case("nest_objects", "{\"a\":", "}", 0);
}

QA_TEST(badinput_config_invalid_json) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfginvalid");
  CHECK_INT(bi_write_text(c.cfg, "{\n  \"models\": [\n    {\"name\": \"m\",, }\n"), 0);
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, c.cfg, "invalid JSON at line 3");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_config_empty_file) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "cfgempty");
  CHECK_INT(bi_write_text(c.cfg, ""), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, c.cfg, "invalid JSON at line 1, column 1");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_with_nul_byte) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "cfgnul");
  static const char text[] = "{\"title\": \"a\0b\", \"models\": []}";
  CHECK_INT(bi_write_bytes(c.cfg, text, sizeof text - 1), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 1, c.cfg, "configuration contains a NUL byte");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_names_missing_cache) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfgmissing");
  /* var.h5 is never written */
  if (bi_seed_report(&c)) return;
  bi_report(&c, &r);
  BI_EXPECT(&r, 3, bi_path(&c, "var.h5: "), "No such file or directory");
  /* ... and the configuration key that names it. */
  CHECK_CONTAINS(r.err, "config.json:models[0].variants[1].file: ");
  BI_NOT_CLOBBERED(&c);
  bi_free(&r);
}

QA_TEST(badinput_config_cache_is_a_directory) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "cfgcachedir");
  CHECK_INT(mkdir(bi_path(&c, "var.h5"), 0777), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 3, bi_path(&c, "var.h5: "), "Is a directory");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* A cache that is a special file must be refused, not read: /dev/zero never
** ends and a FIFO without a writer blocks open(2) forever.  Like a folder
** (above), an I/O error: exit 3, "not a regular file". */
QA_TEST(badinput_config_cache_is_dev_zero) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "devzero");
  CHECK_INT(bi_write_text(c.cfg, "{\"models\": [{\"name\": \"m\", \"variants\": "
                                 "[{\"name\": \"base\", \"file\": \"base.h5\"}, "
                                 "{\"name\": \"var\", \"file\": \"/dev/zero\"}]}]}"), 0);
  bi_report_to(&r, c.cfg, c.out, 2);
  BI_EXPECT(&r, 3, "/dev/zero: ", "not a regular file");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_config_cache_is_a_fifo) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "fifo");
  CHECK_INT(mkfifo(bi_path(&c, "var.h5"), 0644), 0);
  bi_report_to(&r, c.cfg, c.out, 2);
  BI_EXPECT(&r, 3, bi_path(&c, "var.h5: "), "not a regular file");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(badinput_source_date_epoch_not_a_number) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "sde");
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "var.h5", &v);
  char *argv[] = {"./qaudit", "report", c.cfg, "-o", c.out, "--quiet", NULL};
  bi_exec(&r, BI_TIMEOUT_S, "yesterday", argv);
  BI_EXPECT(&r, 1, "SOURCE_DATE_EPOCH: ", "\"yesterday\" is not a number of seconds");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* ===== the output folder ===================================================== */

/* A fresh case with the very inputs of the earlier good report, so that a
** run writes files of the same sizes. */
static void good_pair(bi_case *c, const char *name) {
  bi_case_init(c, name);
  const char *master = bi_master();
  if (!master) return;
  static const char *const names[3] = {"base.h5", "var.h5", "config.json"};
  for (int i = 0; i < 3; i++) {
    char from[700];
    snprintf(from, sizeof from, "%s/../%s", master, names[i]);
    if (bi_copy_tree(from, bi_path(c, names[i])))
      qa_test_fail(__FILE__, __LINE__, "cannot copy %s", from);
  }
}

/* The file at path holds exactly text (shows only the start when not). */
static void check_file_text_at(int line, const char *path, const char *text) {
  char *got = bi_slurp(path, NULL);
  if (!got || strcmp(got, text) != 0)
    qa_test_fail(__FILE__, line, "%s now holds \"%.40s\"..., want \"%s\"", path,
                 got ? got : "(missing)", text);
  free(got);
}

QA_TEST(badinput_output_folder_unwritable) {
  bi_case c;
  bi_result r;
  good_pair(&c, "unwritable");
  if (geteuid() != 0) {
    /* chmod 555: the earlier report stays, nothing new can be written. */
    if (bi_seed_report(&c)) return;
    CHECK_INT(chmod(c.out, 0555), 0);
    bi_report(&c, &r);
    chmod(c.out, 0755);
    BI_EXPECT(&r, 3, c.out, "Permission denied");
    BI_NOT_CLOBBERED(&c);
  } else {
    /* root ignores permissions: an output path below a regular file fails
    ** for root too. */
    char below[700];
    CHECK_INT(bi_write_text(bi_path(&c, "somefile"), "keep\n"), 0);
    snprintf(below, sizeof below, "%s/out", bi_path(&c, "somefile"));
    bi_report_to(&r, c.cfg, below, BI_TIMEOUT_S);
    BI_EXPECT(&r, 3, below, "cannot create directory: Not a directory");
    check_file_text_at(__LINE__, bi_path(&c, "somefile"), "keep\n");
    BI_NO_REPORT(c.out);
  }
  bi_free(&r);
}

QA_TEST(badinput_output_folder_is_a_regular_file) {
  bi_case c;
  bi_result r;
  good_pair(&c, "outisfile");
  CHECK_INT(bi_write_text(c.out, "not a folder\n"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 3, c.out, "not a directory");
  check_file_text_at(__LINE__, c.out, "not a folder\n");
  /* nothing written beside it either */
  size_t n = 0;
  char **names = bi_list(c.dir, &n);
  CHECK_INT(n, 4);                        /* base.h5 config.json out var.h5 */
  bi_list_free(names, n);
  bi_free(&r);
}

/* Disk full: the output folder on a tmpfs (root only; skipped when mount(2)
** is refused), sized so that writing fails at one stage.  Except at the
** figures stage, the earlier good report is put there first and must
** survive.  The message must name the output and say the disk is full. */
enum { FULL_AT_FIGURES, FULL_AT_JSON, FULL_AT_PDF };

static unsigned long long pages_of(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return bi_tree_pages_bytes(path);
}

static void disk_full_case(const char *name, int stage) {
  bi_case c;
  bi_result r;
  good_pair(&c, name);
  const char *master = bi_master();
  if (!master) return;
  char mnt[700], outdir[800], opts[64];
  snprintf(mnt, sizeof mnt, "%s", bi_path(&c, "mnt"));
  snprintf(outdir, sizeof outdir, "%s/out", mnt);
  CHECK_INT(mkdir(mnt, 0777), 0);
  /* The same inputs as the earlier report give files of the same sizes:
  ** room for the earlier report, the new figures, then part of the next
  ** file (tmpfs charges whole 4 KiB pages). */
  unsigned long long report = bi_tree_pages_bytes(master), figs = pages_of(master, "figures");
  unsigned long long json = pages_of(master, "report.json"), bytes = 0;
  const char *what = "figures";
  if (stage == FULL_AT_FIGURES) bytes = figs / 2 / 4096 * 4096;
  if (stage == FULL_AT_JSON) { bytes = report + figs + 4096; what = "report.json"; }
  if (stage == FULL_AT_PDF) {
    bytes = report + figs + json + pages_of(master, "report.pdf") / 2 / 4096 * 4096;
    what = "report.pdf";
  }
  snprintf(opts, sizeof opts, "size=%llu", bytes);
  if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, opts) != 0) {
    fprintf(stderr, "badinput: %s skipped (cannot mount a tmpfs: %s)\n", name,
            geteuid() != 0 ? "not root" : strerror(errno));
    return;
  }
  if (stage != FULL_AT_FIGURES && bi_copy_tree(master, outdir) != 0) {
    qa_test_fail(__FILE__, __LINE__, "cannot copy the earlier report to %s", outdir);
  } else {
    /* the earlier report's date too, so that every file has its size */
    bi_opts o = {0, "1700000000", 0, NULL, NULL};
    char *argv[] = {"./qaudit", "report", c.cfg, "-o", outdir, "--quiet", NULL};
    bi_exec_opts(&r, &o, argv);
    BI_EXPECT(&r, 3, outdir, what, "No space left on device");
    if (stage != FULL_AT_FIGURES) bi_same_tree_at(__FILE__, __LINE__, outdir, master);
    else BI_NO_REPORT(outdir);
    bi_free(&r);
  }
  if (umount(mnt) != 0) qa_test_fail(__FILE__, __LINE__, "umount %s: %s", mnt, strerror(errno));
}

QA_TEST(badinput_disk_full_while_writing_figures) {
  disk_full_case("fullfigs", FULL_AT_FIGURES);
}

QA_TEST(badinput_disk_full_while_writing_json_keeps_earlier_report) {
  disk_full_case("fulljson", FULL_AT_JSON);
}

QA_TEST(badinput_disk_full_while_writing_pdf_keeps_earlier_report) {
  disk_full_case("fullpdf", FULL_AT_PDF);
}

/* An empty -o (e.g. -o "$OUTDIR" with OUTDIR unset) is a usage error; it
** must not mean the filesystem root ("" + "/report.json").  The child runs
** as nobody when the tests run as root, so that a wrong write to / fails
** instead of littering it. */
static void chdir_to(const void *dir) {
  if (chdir((const char *)dir) != 0) _exit(124);
}

QA_TEST(badinput_output_folder_empty_string) {
  char dir[] = "/tmp/qaudit-bi-emptyout-XXXXXX", cfg[200], path[200];
  if (!mkdtemp(dir)) { qa_test_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno)); return; }
  chmod(dir, 0755);
  const char *master = bi_master();
  if (!master) { bi_rm_tree(dir); return; }
  /* the earlier report's inputs, readable by anyone */
  static const char *const names[3] = {"base.h5", "var.h5", "config.json"};
  for (int i = 0; i < 3; i++) {
    char from[700];
    snprintf(from, sizeof from, "%s/../%s", master, names[i]);
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    CHECK_INT(bi_copy_tree(from, path), 0);
    chmod(path, 0644);
  }
  snprintf(cfg, sizeof cfg, "%s/config.json", dir);
  /* nobody may not enter the clone's folder (a clone under /root, 0700):
  ** run a copy of the binary from the world-readable folder. */
  snprintf(path, sizeof path, "%s/qaudit", dir);
  CHECK_INT(bi_copy_tree("./qaudit", path), 0);
  chmod(path, 0755);
  bi_result r;
  bi_opts o = {0, NULL, 1, chdir_to, dir};
  char *argv[] = {"./qaudit", "report", cfg, "-o", "", "--quiet", NULL};
  bi_exec_opts(&r, &o, argv);
  BI_EXPECT(&r, 1, "-o", "directory");
  struct stat st;
  CHECK(lstat("/report.json", &st) != 0);
  CHECK(lstat("/report.pdf", &st) != 0);
  bi_free(&r);
  bi_rm_tree(dir);
}

/* A hostile output folder must not make qaudit write or delete outside it:
** figures/ is a symlink to another folder, whose files must survive. */
QA_TEST(badinput_output_figures_symlink_outside) {
  bi_case c;
  bi_result r;
  good_pair(&c, "figsymlink");
  CHECK_INT(mkdir(bi_path(&c, "precious"), 0777), 0);
  CHECK_INT(bi_write_text(bi_path(&c, "precious/thesis.txt"), "years of work\n"), 0);
  CHECK_INT(mkdir(c.out, 0777), 0);
  CHECK_INT(symlink(bi_path(&c, "precious"), bi_path(&c, "out/figures")), 0);
  bi_report(&c, &r);
  check_file_text_at(__LINE__, bi_path(&c, "precious/thesis.txt"), "years of work\n");
  /* The all-or-nothing commit refuses a figures/ that is not a folder of
  ** its own before writing anything: exit 3, one line naming OUTDIR/figures;
  ** the link is left as it was and no report appears. */
  BI_EXPECT(&r, 3, bi_path(&c, "out/figures"), "is a symbolic link, not a folder",
            "wrote nothing");
  struct stat st;
  CHECK(lstat(bi_path(&c, "out/figures"), &st) == 0 && S_ISLNK(st.st_mode));
  size_t n = 0;
  char **names = bi_list(c.out, &n);
  CHECK_INT(n, 1);                                  /* the link alone */
  if (n >= 1) CHECK_STR(names[0], "figures");
  bi_list_free(names, n);
  names = bi_list(bi_path(&c, "precious"), &n);
  CHECK_INT(n, 1);                                  /* thesis.txt, nothing added */
  bi_list_free(names, n);
  bi_free(&r);
}

/* The temporary names are predictable (.report.json.tmp-PID); a symlink
** planted under that name must not redirect the write to another file. */
static void plant_temp_symlinks(const void *arg) {
  const bi_case *c = arg;
  char link[800];
  static const char *const temps[] = {".report.json.tmp-%ld", ".report.pdf.tmp-%ld.tmp",
                                      ".report.pdf.tmp-%ld"};
  for (int i = 0; i < 3; i++) {
    char name[64];
    snprintf(name, sizeof name, temps[i], (long)getpid());
    snprintf(link, sizeof link, "%s/%s", c->out, name);
    if (symlink(bi_path(c, "victim.txt"), link) != 0) _exit(124);
  }
}

QA_TEST(badinput_output_temp_name_symlink) {
  bi_case c;
  bi_result r;
  good_pair(&c, "tempsymlink");
  CHECK_INT(bi_write_text(bi_path(&c, "victim.txt"), "do not overwrite\n"), 0);
  CHECK_INT(mkdir(c.out, 0777), 0);
  bi_opts o = {0, NULL, 0, plant_temp_symlinks, &c};
  char *argv[] = {"./qaudit", "report", c.cfg, "-o", c.out, "--quiet", NULL};
  bi_exec_opts(&r, &o, argv);
  check_file_text_at(__LINE__, bi_path(&c, "victim.txt"), "do not overwrite\n");
  /* The writes open their temporaries O_CREAT | O_EXCL | O_NOFOLLOW, after
  ** unlinking a stale entry of that name: the report succeeds, quietly,
  ** into regular files, and the planted links are gone. */
  CHECK_INT(r.code, 0);
  CHECK(!r.err || !r.err[0]);
  struct stat st;
  CHECK(lstat(bi_path(&c, "out/report.json"), &st) == 0 && S_ISREG(st.st_mode));
  CHECK(lstat(bi_path(&c, "out/report.pdf"), &st) == 0 && S_ISREG(st.st_mode));
  CHECK(lstat(bi_path(&c, "out/figures"), &st) == 0 && S_ISDIR(st.st_mode));
  char *json = bi_slurp(bi_path(&c, "out/report.json"), NULL);
  CHECK_CONTAINS(json, "\"qaudit_version\"");
  free(json);
  size_t n = 0;
  char **names = bi_list(c.out, &n);
  CHECK_INT(n, 3);                   /* figures, report.json, report.pdf: no link left */
  for (size_t i = 0; i < n; i++) CHECK(names[i][0] != '.');
  bi_list_free(names, n);
  bi_free(&r);
}

/* ===== validate ============================================================== */

/* `validate` prints one line per problem (on stdout, as e2e_validate_and_inspect
** expects) and exits 2; nothing else is printed. */
static void expect_validate_at(int line, const char *file, const char *part1,
                               const char *part2) {
  bi_result r;
  bi_validate(&r, file);
  bi_check_status(__FILE__, line, &r, 2);
  char both[4096];
  snprintf(both, sizeof both, "%s%s", r.out ? r.out : "", r.err ? r.err : "");
  size_t lines = 0;
  for (const char *p = both; *p; p++) lines += *p == '\n';
  if (lines != 1) qa_test_fail(__FILE__, line, "want one line, got \"%s\"", both);
  if (!strstr(both, part1) || !strstr(both, part2))
    qa_test_fail(__FILE__, line, "\"%s\" should contain \"%s\" and \"%s\"", both, part1, part2);
  bi_free(&r);
}

QA_TEST(badinput_validate_nan_in_unused_layer) {
  /* validate reads every /hidden layer, not only the configured one. */
  bi_case c;
  bi_case_init(&c, "valnan");
  hid_t f = bi_var_open(&c, NULL);
  double x[6 * 3] = {0};
  x[4 * 3 + 2] = NAN;
  hsize_t d[2] = {6, 3};
  CHECK_INT(fx_floats(f, "/hidden/layer_3", H5T_IEEE_F32LE, 2, d, x, 1), 0);
  fx_close(f);
  expect_validate_at(__LINE__, bi_path(&c, "var.h5"), bi_at(&c, "var.h5", "/hidden/layer_3"),
                     "NaN at row 4, column 2");
}

QA_TEST(badinput_validate_truncated) {
  bi_case c;
  bi_case_init(&c, "valtrunc");
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(&c, "whole.h5", &v);
  size_t n = 0;
  char *whole = bi_slurp(bi_path(&c, "whole.h5"), &n);
  if (whole) CHECK_INT(bi_write_bytes(bi_path(&c, "var.h5"), whole, n * 3 / 4), 0);
  free(whole);
  expect_validate_at(__LINE__, bi_path(&c, "var.h5"), bi_path(&c, "var.h5: "),
                     "not an HDF5 file or truncated");
}

QA_TEST(badinput_validate_terabyte_layer) {
  bi_case c;
  bi_case_init(&c, "valhuge");
  hid_t f = bi_var_open(&c, NULL);
  hsize_t dims[2] = {6, 100000000000ULL}, chunk[2] = {1, 4096};
  CHECK_INT(write_huge(f, "/hidden/layer_huge", 2, dims, chunk), 0);
  fx_close(f);
  expect_validate_at(__LINE__, bi_path(&c, "var.h5"), bi_at(&c, "var.h5", "/hidden/layer_huge"),
                     "GB in memory");
}

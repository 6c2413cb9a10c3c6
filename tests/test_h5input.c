/*
** The HDF5 reader on degenerate input (issue 10, "Degenerate inputs must
** not crash it"): links that lead out of the file (a FIFO behind an
** external link must never be opened), soft link cycles and dangling soft
** links, files with 1,501 layers (validated in about a second), names up
** to and beyond QA_NAME_MAX_BYTES, strings that are not UTF-8, integers of
** every HDF5 width and byte order, and filters this libhdf5 lacks.
**
** End-to-end cases run the real ./qaudit (badinput_util.h); unit cases
** call qa_cache_load.  Run from the repository root after `make qaudit`.
*/
#include "badinput_util.h"

#include <time.h>

#include "input/cache.h"
#include "util/text.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A FIFO outside the case folder: opening it for reading blocks until a
** writer comes, which never happens, so a reader that opens it hangs. */
static const char *outside_fifo(void) {
  static char path[600];
  char dir[520];
  snprintf(dir, sizeof dir, "%s/bi-h5outside", qa_test_tmpdir());
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/fifo.h5", dir);
  unlink(path);
  if (mkfifo(path, 0644) != 0)
    qa_test_fail(__FILE__, __LINE__, "mkfifo %s: %s", path, strerror(errno));
  return path;
}

/* Runs ./qaudit ARG FILE (validate or inspect). */
static void run_on(bi_result *r, const char *cmd, const char *file) {
  char *argv[] = {"./qaudit", (char *)cmd, (char *)file, NULL};
  bi_exec(r, BI_TIMEOUT_S, NULL, argv);
}

/* report, validate and inspect on var.h5 each end within `max_s` seconds;
** report and validate fail with exit 2 and every one of parts; inspect
** succeeds and prints `shown`. */
static void expect_link_refused_at(const char *file, int line, bi_case *c, const char *shown,
                                   const char *const *parts) {
  bi_result r;
  double t0 = now_s();
  bi_report(c, &r);
  double took = now_s() - t0;
  bi_expect_at(file, line, &r, 2, parts);
  bi_no_report_at(file, line, c->out);
  if (took > 5) qa_test_fail(file, line, "report took %.1f s; expected a prompt refusal", took);
  bi_free(&r);

  t0 = now_s();
  run_on(&r, "validate", bi_path(c, "var.h5"));
  took = now_s() - t0;
  bi_check_status(file, line, &r, 2);
  for (const char *const *p = parts; *p; p++)
    if (!r.out || !strstr(r.out, *p))
      qa_test_fail(file, line, "validate printed \"%s\", expected \"%s\"", r.out ? r.out : "",
                   *p);
  if (took > 5) qa_test_fail(file, line, "validate took %.1f s", took);
  bi_free(&r);

  t0 = now_s();
  run_on(&r, "inspect", bi_path(c, "var.h5"));
  took = now_s() - t0;
  bi_check_status(file, line, &r, 0);
  if (!r.out || !strstr(r.out, shown))
    qa_test_fail(file, line, "inspect printed \"%s\", expected \"%s\"", r.out ? r.out : "",
                 shown);
  if (took > 5) qa_test_fail(file, line, "inspect took %.1f s", took);
  bi_free(&r);
}
#define EXPECT_LINK_REFUSED(c, shown, ...)                                 \
  expect_link_refused_at(__FILE__, __LINE__, (c), (shown),                 \
                         (const char *const[]){__VA_ARGS__, NULL})

/* ===== links that lead out of the file, or nowhere ========================== */

QA_TEST(h5input_soft_link_to_external_link_to_fifo) {
  /* /outputs/logits -> /elsewhere, an external link to a FIFO: the FIFO
  ** must never be opened (it would block until the 60 s limit). */
  bi_case c;
  bi_pair(&c, "h5softfifo");
  const char *fifo = outside_fifo();
  hid_t f = bi_var_open(&c, "/outputs/logits");
  CHECK(H5Lcreate_external(fifo, "/x", f, "/elsewhere", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/elsewhere", f, "/outputs/logits", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_LINK_REFUSED(&c, "soft link -> \"/elsewhere\" (not followed)",
                      bi_at(&c, "var.h5", "/outputs/logits"),
                      "leads through soft links to an external link (/outputs/logits -> "
                      "/elsewhere) into another file; a cache must be self-contained");
}

QA_TEST(h5input_soft_link_group_to_external_link_to_fifo) {
  /* A group on the way (/hidden) is the soft link: every path below it
  ** would leave the file. */
  bi_case c;
  bi_pair(&c, "h5softgrpfifo");
  const char *fifo = outside_fifo();
  hid_t f = bi_var_open(&c, "/hidden/final");
  CHECK(H5Ldelete(f, "/hidden", H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_external(fifo, "/hidden", f, "/away", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/away", f, "/hidden", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_LINK_REFUSED(&c, "/away", bi_at(&c, "var.h5", "/hidden"),
                      "leads through soft links to an external link (/hidden -> /away)");
}

QA_TEST(h5input_external_link_to_fifo) {
  bi_case c;
  bi_pair(&c, "h5extfifo");
  const char *fifo = outside_fifo();
  hid_t f = bi_var_open(&c, "/eval/t1/correct");
  CHECK(H5Lcreate_external(fifo, "/x", f, "/eval/t1/correct", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_LINK_REFUSED(&c, "external link (not followed)",
                      bi_at(&c, "var.h5", "/eval/t1/correct"),
                      "is an external link; a cache must be self-contained");
}

QA_TEST(h5input_soft_link_cycle) {
  /* /outputs/logits -> /b -> /outputs/logits. */
  bi_case c;
  bi_pair(&c, "h5softcycle");
  hid_t f = bi_var_open(&c, "/outputs/logits");
  CHECK(H5Lcreate_soft("/b", f, "/outputs/logits", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/outputs/logits", f, "/b", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_LINK_REFUSED(&c, "soft link -> \"/outputs/logits\" (not followed)",
                      bi_at(&c, "var.h5", "/outputs/logits"),
                      "soft links form a cycle (/outputs/logits -> /b -> /outputs/logits)");
}

QA_TEST(h5input_soft_link_cycle_of_groups) {
  /* /eval/t1 -> /a, /a -> /b, /b -> /a: the cycle starts one link in. */
  bi_case c;
  bi_pair(&c, "h5softcycle2");
  hid_t f = bi_var_open(&c, NULL);
  CHECK(H5Lmove(f, "/eval/t1", f, "/kept", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/a", f, "/eval/t1", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/b", f, "/a", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/a", f, "/b", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_LINK_REFUSED(&c, "/a", bi_at(&c, "var.h5", "/eval/t1"),
                      "soft links form a cycle (/a -> /b -> /a)");
}

QA_TEST(h5input_soft_link_dangling) {
  bi_case c;
  bi_pair(&c, "h5softdangle");
  hid_t f = bi_var_open(&c, "/perf/ttft_ms");
  CHECK(H5Lcreate_soft("/nowhere/ttft", f, "/perf/ttft_ms", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  EXPECT_LINK_REFUSED(&c, "soft link -> \"/nowhere/ttft\"",
                      bi_at(&c, "var.h5", "/perf/ttft_ms"),
                      "is a dangling soft link (/perf/ttft_ms -> /nowhere, which does not "
                      "exist)");
}

QA_TEST(h5input_soft_links_within_the_file_are_followed) {
  /* Soft links that stay inside the file are fine: /outputs/logits is an
  ** absolute soft link to /store/logits, and /hidden is a soft link to the
  ** group /store/h, whose member final is a relative soft link to real. */
  char path[600];
  snprintf(path, sizeof path, "%s/h5-softok.h5", qa_test_tmpdir());
  fx_cache fc;
  fx_default_cache(&fc);
  CHECK_INT(fx_write_cache(path, &fc), 0);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(f >= 0);
  hid_t lc = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lc, 1);
  CHECK(H5Lmove(f, "/outputs/logits", f, "/store/logits", lc, H5P_DEFAULT) >= 0);
  CHECK(H5Lmove(f, "/hidden", f, "/store/h", lc, H5P_DEFAULT) >= 0);
  CHECK(H5Lmove(f, "/store/h/final", f, "/store/h/real", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  H5Pclose(lc);
  CHECK(H5Lcreate_soft("/store/logits", f, "/outputs/logits", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("/store/h", f, "/hidden", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  CHECK(H5Lcreate_soft("real", f, "/store/h/final", H5P_DEFAULT, H5P_DEFAULT) >= 0);
  fx_close(f);
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {"final", 1, 0, 0, NULL, NULL};
  CHECK_INT(qa_cache_load(path, &o, &c, &err), 0);
  if (!c) { qa_test_fail(__FILE__, __LINE__, "load: %s", err.msg); return; }
  CHECK_NEAR(c->logits[1 * 3 + 2], -0.5, 0);           /* fixture: -1 + 0.25*2 */
  CHECK_NEAR(c->hidden[4 * 3 + 2], 0.5, 0);            /* fixture: (4+1)*0.5 - 2 */
  CHECK_INT(c->n_layers, 2);                           /* final and real */
  qa_cache_free(c);
  CHECK_INT(qa_cache_validate(path, &err), 0);
}

/* ===== many layers ============================================================ */

/* A cache like the default one whose /hidden holds final and n_more more
** [6,3] layers layer_0000, ...; the last one holds NaN at row 2, column 1
** when nan_last. */
static void write_many_layers(const char *path, size_t n_more, int nan_last) {
  fx_cache fc;
  fx_default_cache(&fc);
  if (fx_write_cache(path, &fc)) qa_test_fail(__FILE__, __LINE__, "cannot write %s", path);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  hsize_t d[2] = {6, 3};
  double x[18];
  char name[64];
  int rc = f < 0;
  for (size_t i = 0; !rc && i < n_more; i++) {
    for (int k = 0; k < 18; k++) x[k] = (double)i + 0.125 * k;
    if (nan_last && i + 1 == n_more) x[2 * 3 + 1] = NAN;
    snprintf(name, sizeof name, "/hidden/layer_%04zu", i);
    rc = fx_floats(f, name, H5T_IEEE_F32LE, 2, d, x, 0);
  }
  fx_close(f);
  if (rc) qa_test_fail(__FILE__, __LINE__, "cannot write the layers of %s", path);
}

QA_TEST(h5input_validate_1501_layers_in_about_a_second) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "h5layers");
  write_many_layers(bi_path(&c, "var.h5"), 1500, 0);
  double t0 = now_s();
  bi_validate(&r, bi_path(&c, "var.h5"));
  double took = now_s() - t0;
  bi_check_status(__FILE__, __LINE__, &r, 0);
  CHECK_CONTAINS(r.out, ": valid");
  /* Measured 0.2 s here (217 s before: every layer re-listed all layers in
  ** a child of its own); 4 s leaves room for the sanitizers and a busy
  ** machine while still failing a quadratic reader. */
  if (took > 4) qa_test_fail(__FILE__, __LINE__, "validate of 1,501 layers took %.1f s", took);
  bi_free(&r);

  /* The report on two such files (layer final) is as quick. */
  write_many_layers(bi_path(&c, "base.h5"), 1500, 0);
  bi_config_pair(&c, "");
  t0 = now_s();
  bi_report(&c, &r);
  took = now_s() - t0;
  bi_check_status(__FILE__, __LINE__, &r, 0);
  if (took > 10) qa_test_fail(__FILE__, __LINE__, "report on 1,501 layers took %.1f s", took);
  bi_free(&r);
  bi_rm_tree(c.dir);                      /* a few MB */
}

QA_TEST(h5input_validate_reads_every_layer) {
  /* NaN in the last of 1,501 layers is found, so each layer was read. */
  bi_case c;
  bi_result r;
  bi_case_init(&c, "h5layersnan");
  write_many_layers(bi_path(&c, "var.h5"), 1500, 1);
  bi_validate(&r, bi_path(&c, "var.h5"));
  bi_check_status(__FILE__, __LINE__, &r, 2);
  CHECK_CONTAINS(r.out, bi_at(&c, "var.h5", "/hidden/layer_1499"));
  CHECK_CONTAINS(r.out, "NaN at row 2, column 1; expected finite values");
  bi_free(&r);
  bi_rm_tree(c.dir);
}

QA_TEST(h5input_too_many_layers_refused) {
  /* 100,001 links in /hidden (hard links to one dataset: cheap to make)
  ** are refused before any is listed. */
  bi_case c;
  bi_pair(&c, "h5toomany");
  hid_t f = bi_var_open(&c, NULL);
  char name[64];
  herr_t st = 0;
  for (int i = 0; st >= 0 && i < QA_CACHE_MAX_MEMBERS; i++) {
    snprintf(name, sizeof name, "/hidden/l%06d", i);
    st = H5Lcreate_hard(f, "/hidden/final", f, name, H5P_DEFAULT, H5P_DEFAULT);
  }
  CHECK(st >= 0);
  fx_close(f);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden"), "100001 layers, more than the 100000 allowed");
  BI_NO_REPORT(c.out);
  bi_free(&r);
  bi_rm_tree(c.dir);                      /* 10 MB of links */
}

/* ===== long names ============================================================= */

/* n bytes of the alphabet from the letter first on, round and round,
** NUL-terminated (caller frees). */
static char *long_name(size_t n, char first) {
  char *s = malloc(n + 1);
  for (size_t i = 0; s && i < n; i++) s[i] = (char)('a' + ((size_t)(first - 'a') + i) % 26);
  if (s) s[n] = '\0';
  return s;
}

/* The default cache plus a layer and a task with these names (the layer
** holds the hidden states of final, the task the items of t1). */
static void write_with_names(const char *path, const char *layer, const char *task) {
  fx_cache fc;
  fx_default_cache(&fc);
  if (fx_write_cache(path, &fc)) qa_test_fail(__FILE__, __LINE__, "cannot write %s", path);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  size_t cap = 64 + (layer ? strlen(layer) : 0) + (task ? strlen(task) : 0);
  char *p = malloc(cap);
  int rc = f < 0 || !p;
  hsize_t nd[2] = {fc.n, fc.d}, m[1] = {fc.m};
  if (!rc && layer) {
    snprintf(p, cap, "/hidden/%s", layer);
    rc = fx_floats(f, p, H5T_IEEE_F64LE, 2, nd, fc.hidden, 0);
  }
  if (!rc && task) {
    snprintf(p, cap, "/eval/%s/correct", task);
    rc = fx_ints(f, p, H5T_STD_U8LE, 1, m, fc.correct);
    snprintf(p, cap, "/eval/%s/score/m", task);
    rc |= fx_floats(f, p, H5T_IEEE_F64LE, 1, m, fc.score, 0);
  }
  free(p);
  fx_close(f);
  if (rc) qa_test_fail(__FILE__, __LINE__, "cannot write the names of %s", path);
}

QA_TEST(h5input_600_byte_layer_and_420_byte_task_run_a_report) {
  bi_case c;
  bi_result r;
  bi_case_init(&c, "h5longnames");
  char *layer = long_name(600, 'a'), *task = long_name(420, 'k');
  write_with_names(bi_path(&c, "base.h5"), layer, task);
  write_with_names(bi_path(&c, "var.h5"), layer, task);
  size_t cap = 1200 + strlen(layer);
  char *cfg = malloc(cap);
  snprintf(cfg, cap,
           "{\"layer\": \"%s\", \"models\": [{\"name\": \"m\", \"baseline\": \"base\", "
           "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
           "{\"name\": \"var\", \"file\": \"var.h5\"}]}]}\n", layer);
  CHECK_INT(bi_write_text(c.cfg, cfg), 0);
  free(cfg);
  bi_validate(&r, bi_path(&c, "var.h5"));
  bi_check_status(__FILE__, __LINE__, &r, 0);
  CHECK_CONTAINS(r.out, ": valid");
  bi_free(&r);
  bi_report(&c, &r);
  bi_check_status(__FILE__, __LINE__, &r, 0);
  bi_free(&r);
  char json[700];
  snprintf(json, sizeof json, "%s/report.json", c.out);
  char *text = bi_slurp(json, NULL);
  CHECK(text != NULL);
  if (text) {
    CHECK(strstr(text, layer) != NULL);
    CHECK(strstr(text, task) != NULL);
  }
  free(text);
  free(layer);
  free(task);
}

QA_TEST(h5input_name_of_1024_bytes_accepted_1025_refused) {
  char path[600];
  snprintf(path, sizeof path, "%s/h5-name1024.h5", qa_test_tmpdir());
  char *at = long_name(QA_NAME_MAX_BYTES, 'a'), *over = long_name(QA_NAME_MAX_BYTES + 1, 'k');
  write_with_names(path, at, at);
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {at, 1, 0, 0, NULL, NULL};
  CHECK_INT(qa_cache_load(path, &o, &c, &err), 0);
  if (c) {
    CHECK_INT(c->dim, 3);
    CHECK(qa_cache_task(c, at) != NULL);
  } else {
    qa_test_fail(__FILE__, __LINE__, "load: %s", err.msg);
  }
  qa_cache_free(c);
  c = NULL;
  write_with_names(path, NULL, over);
  o.layer = NULL;
  CHECK_INT(qa_cache_load(path, &o, &c, &err), -1);
  CHECK_INT(err.code, 2);
  /* The message shows the name's first 44 bytes: "klm...zab" then "...". */
  char where[100];
  snprintf(where, sizeof where, ":/eval/%.44s...: ", over);
  CHECK_CONTAINS(err.msg, where);
  CHECK_CONTAINS(err.msg, "task name of 1025 bytes, longer than the 1024 allowed");
  free(at);
  free(over);
}

QA_TEST(h5input_5000_byte_layer_name_refused) {
  bi_case c;
  bi_pair(&c, "h5layer5000");
  char *layer = long_name(5000, 'a');
  write_with_names(bi_path(&c, "var.h5"), layer, NULL);
  free(layer);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr..."),
            "layer name of 5000 bytes, longer than the 1024 allowed");
  BI_NO_REPORT(c.out);
  bi_free(&r);
  bi_validate(&r, bi_path(&c, "var.h5"));
  bi_check_status(__FILE__, __LINE__, &r, 2);
  CHECK_CONTAINS(r.out, "layer name of 5000 bytes, longer than the 1024 allowed");
  bi_free(&r);
}

QA_TEST(h5input_metric_name_not_utf8_refused) {
  bi_case c;
  bi_pair(&c, "h5metricutf8");
  hid_t f = bi_var_open(&c, NULL);
  double s[4] = {0.1, 0.2, 0.3, 0.4};
  hsize_t m[1] = {4};
  CHECK_INT(fx_floats(f, "/eval/t1/score/ro\xffuge", H5T_IEEE_F64LE, 1, m, s, 0), 0);
  fx_close(f);
  bi_result r;
  bi_report(&c, &r);
  /* "ro" is the well-formed part shown; 0xFF is byte 2. */
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/eval/t1/score/ro..."),
            "metric name is not valid UTF-8 (byte 2)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* ===== strings: class names and root attributes ============================== */

/* var.h5 with /samples/label_names replaced by names[0..3). */
static void label_names_case(bi_case *c, const char *name, const char *const *names) {
  bi_pair(c, name);
  hid_t f = bi_var_open(c, "/samples/label_names");
  CHECK_INT(fx_strings(f, "/samples/label_names", names, 3), 0);
  fx_close(f);
}

QA_TEST(h5input_class_name_not_utf8) {
  bi_case c;
  const char *names[] = {"a", "b", "c\xc3("};       /* C3 must be followed by 80..BF */
  label_names_case(&c, "h5classutf8", names);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label_names"),
            "class name 2 is not valid UTF-8 (byte 1)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(h5input_class_name_of_1_mb) {
  bi_case c;
  char *big = long_name(1048576, 'a');
  const char *names[] = {big, "b", "c"};
  label_names_case(&c, "h5class1mb", names);
  free(big);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label_names"),
            "class name 0 is 1048576 bytes, longer than the 1024 allowed");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* var.h5 with the root attribute name set to value; expects exit 2 with
** "var.h5:/: " and what, or exit 0 when what is NULL. */
static void attr_case_at(int line, const char *casename, const char *name, const char *value,
                         const char *what) {
  bi_case c;
  bi_pair(&c, casename);
  hid_t f = bi_var_open(&c, NULL);
  if (H5Aexists(f, name) > 0) H5Adelete(f, name);
  CHECK_INT(fx_attr_str(f, name, value), 0);
  fx_close(f);
  bi_result r;
  if (what) {
    bi_report(&c, &r);
    bi_expect_at(__FILE__, line, &r, 2, (const char *const[]){bi_at(&c, "var.h5", "/"), what,
                                                              NULL});
    bi_no_report_at(__FILE__, line, c.out);
  } else {
    bi_validate(&r, bi_path(&c, "var.h5"));
    bi_check_status(__FILE__, line, &r, 0);
  }
  bi_free(&r);
}

QA_TEST(h5input_model_attribute_not_utf8) {
  attr_case_at(__LINE__, "h5modelutf8", "model", "lla\x80ma",
               "attribute model is not valid UTF-8 (byte 3)");
}

QA_TEST(h5input_model_attribute_of_70000_bytes) {
  char *big = long_name(70000, 'a');
  attr_case_at(__LINE__, "h5model70k", "model", big,
               "attribute model is 70000 bytes, longer than the 1024 allowed");
  free(big);
}

QA_TEST(h5input_hardware_attribute_limits) {
  /* Disclosure attributes may hold QA_CACHE_DISCLOSURE_MAX_BYTES (4096). */
  char *at = long_name(QA_CACHE_DISCLOSURE_MAX_BYTES, 'a');
  char *over = long_name(QA_CACHE_DISCLOSURE_MAX_BYTES + 1, 'a');
  attr_case_at(__LINE__, "h5hw4096", "hardware", at, NULL);
  attr_case_at(__LINE__, "h5hw4097", "hardware", over,
               "attribute hardware is 4097 bytes, longer than the 4096 allowed");
  attr_case_at(__LINE__, "h5hwutf8", "backend", "cuda \xed\xa0\x80",   /* a surrogate */
               "attribute backend is not valid UTF-8 (byte 5)");
  free(at);
  free(over);
}

/* ===== integers of every width ================================================ */

/* var.h5 with /samples/label stored as ftype holding labels[0..6). */
static void label_type_case(bi_case *c, const char *name, hid_t ftype, const int64_t *labels) {
  bi_pair(c, name);
  hid_t f = bi_var_open(c, "/samples/label");
  hsize_t n[1] = {6};
  CHECK_INT(fx_ints(f, "/samples/label", ftype, 1, n, labels), 0);
  fx_close(f);
}

QA_TEST(h5input_uint8_label_200_keeps_its_value) {
  bi_case c;
  const int64_t labels[6] = {0, 1, 2, 200, 1, 2};
  label_type_case(&c, "h5labelu8", H5T_STD_U8LE, labels);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label"), "label 200 at row 3",
            "outside [0, 3)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(h5input_uint8_enum_label_200_keeps_its_value) {
  /* A 1-byte enum over uint8 (h5py's enum_dtype(..., basetype="u1")) is
  ** read as raw bytes: 200 must stay 200, not become -56 as an int8. */
  bi_case c;
  bi_pair(&c, "h5labelenum");
  hid_t f = bi_var_open(&c, "/samples/label");
  hid_t t = H5Tenum_create(H5T_STD_U8LE);
  uint8_t v;
  const char *names[] = {"a", "b", "c", "odd"};
  const uint8_t values[] = {0, 1, 2, 200};
  for (int i = 0; i < 4; i++) {
    v = values[i];
    CHECK(H5Tenum_insert(t, names[i], &v) >= 0);
  }
  const uint8_t labels[6] = {0, 1, 2, 200, 1, 2};
  hsize_t n[1] = {6};
  hid_t space = H5Screate_simple(1, n, NULL);
  hid_t d = H5Dcreate2(f, "/samples/label", t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(d >= 0 && H5Dwrite(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels) >= 0);
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  H5Tclose(t);
  fx_close(f);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label"), "label 200 at row 3",
            "outside [0, 3)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(h5input_uint16_label_keeps_its_value) {
  bi_case c;
  const int64_t labels[6] = {0, 1, 2, 0, 40000, 2};
  label_type_case(&c, "h5labelu16", H5T_STD_U16BE, labels);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label"), "label 40000 at row 4",
            "outside [0, 3)");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* Writes the default cache with /samples/id stored as ftype from ids. */
static const char *ids_file(const char *name, hid_t ftype, const void *ids, hid_t mtype) {
  static char path[600];
  snprintf(path, sizeof path, "%s/%s", qa_test_tmpdir(), name);
  fx_cache fc;
  fx_default_cache(&fc);
  CHECK_INT(fx_write_cache(path, &fc), 0);
  hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(f >= 0 && H5Ldelete(f, "/samples/id", H5P_DEFAULT) >= 0);
  hsize_t n[1] = {6};
  hid_t space = H5Screate_simple(1, n, NULL);
  hid_t d = H5Dcreate2(f, "/samples/id", ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  CHECK(d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, ids) >= 0);
  if (d >= 0) H5Dclose(d);
  H5Sclose(space);
  fx_close(f);
  return path;
}

/* Loads path and checks its ids are want[0..6). */
static void expect_ids_at(int line, const char *path, const int64_t *want) {
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {NULL, 1, 0, 0, NULL, NULL};
  if (qa_cache_load(path, &o, &c, &err)) {
    qa_test_fail(__FILE__, line, "load: %s", err.msg);
    return;
  }
  for (int i = 0; i < 6; i++)
    if (c->ids[i] != want[i])
      qa_test_fail(__FILE__, line, "id %d = %lld, want %lld", i, (long long)c->ids[i],
                   (long long)want[i]);
  qa_cache_free(c);
}

QA_TEST(h5input_integers_of_every_type_keep_their_values) {
  /* Each value is the extreme of its type (limits.h), read back exactly. */
  const int32_t i32[6] = {INT32_MIN, -1, 0, 1, 7, INT32_MAX};
  const int64_t w32[6] = {INT32_MIN, -1, 0, 1, 7, INT32_MAX};
  expect_ids_at(__LINE__, ids_file("h5-i32be.h5", H5T_STD_I32BE, i32, H5T_NATIVE_INT32), w32);
  const uint8_t u8[6] = {0, 1, 127, 128, 200, 255};
  const int64_t w8[6] = {0, 1, 127, 128, 200, 255};
  expect_ids_at(__LINE__, ids_file("h5-u8.h5", H5T_STD_U8LE, u8, H5T_NATIVE_UINT8), w8);
  const int8_t i8[6] = {-128, -56, -1, 0, 1, 127};
  const int64_t wi8[6] = {-128, -56, -1, 0, 1, 127};
  expect_ids_at(__LINE__, ids_file("h5-i8.h5", H5T_STD_I8LE, i8, H5T_NATIVE_INT8), wi8);
  const uint16_t u16[6] = {0, 1, 255, 256, 40000, 65535};
  const int64_t w16[6] = {0, 1, 255, 256, 40000, 65535};
  expect_ids_at(__LINE__, ids_file("h5-u16be.h5", H5T_STD_U16BE, u16, H5T_NATIVE_UINT16), w16);
  const int16_t i16[6] = {-32768, -1, 0, 1, 300, 32767};
  const int64_t wi16[6] = {-32768, -1, 0, 1, 300, 32767};
  expect_ids_at(__LINE__, ids_file("h5-i16.h5", H5T_STD_I16LE, i16, H5T_NATIVE_INT16), wi16);
  const uint32_t u32[6] = {0, 1, 65536, 2147483648u, 3000000000u, 4294967295u};
  const int64_t wu32[6] = {0, 1, 65536, 2147483648LL, 3000000000LL, 4294967295LL};
  expect_ids_at(__LINE__, ids_file("h5-u32be.h5", H5T_STD_U32BE, u32, H5T_NATIVE_UINT32), wu32);
  const uint64_t u64[6] = {0, 1, 2, 3, 4, (uint64_t)INT64_MAX};
  const int64_t wu64[6] = {0, 1, 2, 3, 4, INT64_MAX};
  expect_ids_at(__LINE__, ids_file("h5-u64.h5", H5T_STD_U64LE, u64, H5T_NATIVE_UINT64), wu64);
  const int64_t i64[6] = {INT64_MIN, -1, 0, 1, 5, INT64_MAX};
  expect_ids_at(__LINE__, ids_file("h5-i64be.h5", H5T_STD_I64BE, i64, H5T_NATIVE_INT64), i64);
}

QA_TEST(h5input_uint64_above_int64_max_refused) {
  /* 2^63 + 5 = 9223372036854775813 does not fit in int64. */
  const uint64_t u64[6] = {0, (uint64_t)INT64_MAX + 6, 2, 3, 4, 5};
  const char *path = ids_file("h5-u64big.h5", H5T_STD_U64BE, u64, H5T_NATIVE_UINT64);
  qa_error err = {0};
  qa_cache *c = NULL;
  qa_cache_opts o = {NULL, 1, 0, 0, NULL, NULL};
  CHECK_INT(qa_cache_load(path, &o, &c, &err), -1);
  CHECK_INT(err.code, 2);
  CHECK_CONTAINS(err.msg, ":/samples/id: value 9223372036854775813 at element 1 is larger "
                          "than 9223372036854775807, the int64 maximum");
}

QA_TEST(h5input_int8_label_negative_keeps_its_sign) {
  bi_case c;
  const int64_t labels[6] = {0, 1, -3, 0, 1, 2};
  label_type_case(&c, "h5labeli8", H5T_STD_I8LE, labels);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/samples/label"), "label -3 at row 2");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

/* ===== filters this library lacks ============================================= */

/* A pass-through filter: registered in the test process only, so that a
** file can be written with it; ./qaudit does not have it. */
static size_t pass_through(unsigned flags, size_t n_cd, const unsigned cd[], size_t nbytes,
                           size_t *buf_size, void **buf) {
  (void)flags; (void)n_cd; (void)cd; (void)buf_size; (void)buf;
  return nbytes;
}

static void register_fake(H5Z_filter_t id) {
  H5Z_class2_t cls = {H5Z_CLASS_T_VERS, id, 1, 1, "qaudit test filter", NULL, NULL,
                      pass_through};
  if (H5Zregister(&cls) < 0) qa_test_fail(__FILE__, __LINE__, "H5Zregister %d", (int)id);
}

/* var.h5 with /hidden/final chunked and run through filter id (flags). */
static void filtered_case(bi_case *c, const char *name, H5Z_filter_t id, unsigned flags) {
  bi_pair(c, name);
  hid_t f = bi_var_open(c, "/hidden/final");
  fx_cache fc;
  fx_default_cache(&fc);
  hsize_t d[2] = {6, 3}, chunk[2] = {2, 3};
  hid_t space = H5Screate_simple(2, d, NULL), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  CHECK(H5Pset_chunk(dcpl, 2, chunk) >= 0);
  CHECK(H5Pset_filter(dcpl, id, flags, 0, NULL) >= 0);
  hid_t ds = H5Dcreate2(f, "/hidden/final", H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl,
                        H5P_DEFAULT);
  CHECK(ds >= 0);
  CHECK(ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, fc.hidden) >= 0);
  if (ds >= 0) H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(space);
  fx_close(f);
}

QA_TEST(h5input_mandatory_filter_missing) {
  register_fake(32015);
  bi_case c;
  filtered_case(&c, "h5zstd", 32015, H5Z_FLAG_MANDATORY);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/final"),
            "compressed with filter 32015 (zstd?), which this HDF5 library cannot decode; "
            "rewrite it with gzip or no compression");
  BI_NO_REPORT(c.out);
  bi_free(&r);
  run_on(&r, "inspect", bi_path(&c, "var.h5"));
  bi_check_status(__FILE__, __LINE__, &r, 0);
  CHECK_CONTAINS(r.out, "filter 32015 \"qaudit test filter\" (not available in this HDF5 library)");
  bi_free(&r);
}

QA_TEST(h5input_optional_filter_applied_then_missing) {
  /* Applied when written (the writer had it), so the chunks need it. */
  register_fake(32004);
  bi_case c;
  filtered_case(&c, "h5lz4", 32004, H5Z_FLAG_OPTIONAL);
  bi_result r;
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_at(&c, "var.h5", "/hidden/final"),
            "compressed with filter 32004 (lz4?), which this HDF5 library cannot decode");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(h5input_optional_filter_skipped_reads_fine) {
  /* Not registered anywhere: HDF5 skips an optional filter it lacks when
  ** writing and marks each chunk so, and such data reads fine. */
  bi_case c;
  filtered_case(&c, "h5blosc", 32001, H5Z_FLAG_OPTIONAL);
  bi_result r;
  bi_validate(&r, bi_path(&c, "var.h5"));
  bi_check_status(__FILE__, __LINE__, &r, 0);
  CHECK_CONTAINS(r.out, ": valid");
  bi_free(&r);
}

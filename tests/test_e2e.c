/*
** End to end: the ./qaudit binary run on the bundled showcase example and
** on inputs these tests break on purpose.  Run from the repository root
** after `make qaudit examples` (make test does both).
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHOWCASE "examples/showcase/config.json"

/* Runs a shell command; returns its exit status (or -1). */
static int run(const char *cmd) {
  int st = system(cmd);
  return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static char *slurp(const char *path, size_t *len) {
  return qa_test_read_file(path, len);
}

/* 1 when the n bytes at p contain the text needle (binary-safe). */
static int contains_bytes(const char *p, size_t n, const char *needle) {
  size_t k = strlen(needle);
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(p + i, needle, k) == 0) return 1;
  return 0;
}

static int exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* Number of entries in dir other than . and .. */
static int count_entries(const char *dir) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 0", dir);
  return run(cmd) == 0 ? 0 : 1;
}

QA_TEST(e2e_report_on_showcase) {
  char cmd[1024], json_path[512], pdf_path[512];
  const char *out = qa_test_tmpdir();
  snprintf(cmd, sizeof cmd, "SOURCE_DATE_EPOCH=1700000000 ./qaudit report %s -o %s/show1 "
           "--quiet 2>%s/show1.err", SHOWCASE, out, out);
  CHECK_INT(run(cmd), 0);
  snprintf(json_path, sizeof json_path, "%s/show1/report.json", out);
  snprintf(pdf_path, sizeof pdf_path, "%s/show1/report.pdf", out);
  char *json = slurp(json_path, NULL);
  CHECK(json != NULL);
  if (!json) return;
  cJSON *root = cJSON_Parse(json);
  CHECK(root != NULL);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(root, "generated")),
            "2023-11-14T22:13:20Z");   /* date -u -d @1700000000 */
  cJSON *inputs = cJSON_GetObjectItem(root, "inputs");
  CHECK_INT(cJSON_GetArraySize(inputs), 5);
  const char *sha = cJSON_GetStringValue(
      cJSON_GetObjectItem(cJSON_GetArrayItem(inputs, 0), "sha256"));
  CHECK(sha && strlen(sha) == 64);
  cJSON *model = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(model, "baseline")), "fp32");
  cJSON *vars = cJSON_GetObjectItem(model, "variants");
  CHECK_INT(cJSON_GetArraySize(vars), 5);
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 0), "is_baseline")));
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 3), "is_baseline")));
  cJSON *disc = cJSON_GetObjectItem(root, "disclosure");
  CHECK_INT(cJSON_GetArraySize(disc), 7);
  CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(disc, "calibration"),
                                          "declared")));
  cJSON_Delete(root);
  free(json);
  size_t pdf_len = 0;
  char *pdf = slurp(pdf_path, &pdf_len);
  CHECK(pdf && pdf_len > 1000 && memcmp(pdf, "%PDF-", 5) == 0);
  CHECK(pdf && pdf_len > 64 && contains_bytes(pdf + pdf_len - 64, 64, "%%EOF"));
  free(pdf);
  /* The PDF is readable and carries the disclosure checklist. */
  snprintf(cmd, sizeof cmd, "pdftotext %s - | grep -q 'not declared'", pdf_path);
  CHECK_INT(run(cmd), 0);
  /* --quiet: nothing on stderr. */
  snprintf(cmd, sizeof cmd, "%s/show1.err", out);
  size_t err_len = 1;
  free(slurp(cmd, &err_len));
  CHECK_INT(err_len, 0);
}

QA_TEST(e2e_reports_are_reproducible) {
  char cmd[1024];
  const char *out = qa_test_tmpdir();
  for (int i = 0; i < 2; i++) {
    snprintf(cmd, sizeof cmd, "SOURCE_DATE_EPOCH=1700000000 ./qaudit report %s -o "
             "%s/repro%d --quiet", SHOWCASE, out, i);
    CHECK_INT(run(cmd), 0);
  }
  snprintf(cmd, sizeof cmd, "cmp -s %s/repro0/report.json %s/repro1/report.json", out, out);
  CHECK_INT(run(cmd), 0);
  snprintf(cmd, sizeof cmd, "cmp -s %s/repro0/report.pdf %s/repro1/report.pdf", out, out);
  CHECK_INT(run(cmd), 0);
}

/* A truncated variant: exit 2, one line naming the file, no report left. */
QA_TEST(e2e_bad_input_leaves_no_report) {
  char cmd[2048], cfg_path[512], outdir[512], errfile[512];
  const char *dir = qa_test_tmpdir();
  snprintf(cmd, sizeof cmd,
           "cp examples/showcase/caches/fp32.h5 %s/base.h5 && "
           "head -c 20000 examples/showcase/caches/int8.h5 > %s/broken.h5", dir, dir);
  CHECK_INT(run(cmd), 0);
  snprintf(cfg_path, sizeof cfg_path, "%s/bad.json", dir);
  FILE *f = fopen(cfg_path, "w");
  if (!f) { CHECK(f != NULL); return; }
  fputs("{\"models\": [{\"name\": \"m\", \"variants\": ["
        "{\"name\": \"fp32\", \"file\": \"base.h5\"},"
        "{\"name\": \"int8\", \"file\": \"broken.h5\"}]}]}", f);
  fclose(f);
  snprintf(outdir, sizeof outdir, "%s/badout", dir);
  snprintf(errfile, sizeof errfile, "%s/bad.err", dir);
  mkdir(outdir, 0777);
  snprintf(cmd, sizeof cmd, "./qaudit report %s -o %s 2>%s", cfg_path, outdir, errfile);
  CHECK_INT(run(cmd), 2);
  char pdf[700];
  snprintf(pdf, sizeof pdf, "%s/report.pdf", outdir);
  CHECK(!exists(pdf));                     /* in the output folder, not the repository */
  CHECK_INT(count_entries(outdir), 0);     /* no report, no temporary */
  char *msg = slurp(errfile, NULL);
  char want[600];
  snprintf(want, sizeof want, "qaudit: error: %s/broken.h5:", dir);
  CHECK_CONTAINS(msg, want);
  CHECK_CONTAINS(msg, "not an HDF5 file or truncated");
  /* exactly one error line (progress lines are not errors) */
  int error_lines = 0;
  for (const char *p = msg; p && (p = strstr(p, "qaudit: error:")); p++) error_lines++;
  CHECK_INT(error_lines, 1);
  free(msg);
}

QA_TEST(e2e_command_line_errors) {
  char cmd[1024];
  const char *dir = qa_test_tmpdir();
  CHECK_INT(run("./qaudit >/dev/null 2>&1"), 1);
  CHECK_INT(run("./qaudit frobnicate 2>/dev/null"), 1);
  CHECK_INT(run("./qaudit report 2>/dev/null"), 1);
  CHECK_INT(run("./qaudit report " SHOWCASE " --threads 0 2>/dev/null"), 1);
  CHECK_INT(run("./qaudit report /nonexistent.json 2>/dev/null"), 1);
  CHECK_INT(run("./qaudit --version | grep -q '^qaudit [0-9]'"), 0);
  CHECK_INT(run("./qaudit --help | grep -q 'qaudit report CONFIG.json'"), 0);
  /* A configuration error names the key and exits 1. */
  snprintf(cmd, sizeof cmd,
           "printf '{\"models\": [{\"name\": \"m\", \"variants\": [{\"name\": \"a\", "
           "\"file\": \"a.h5\"}]}], \"analysis\": {\"knn_kk\": 3}}' > %s/typo.json && "
           "./qaudit report %s/typo.json -o %s/typo 2>&1 | grep -q 'analysis.knn_kk: unknown key'",
           dir, dir, dir);
  CHECK_INT(run(cmd), 0);
}

QA_TEST(e2e_validate_and_inspect) {
  char cmd[1024];
  const char *dir = qa_test_tmpdir();
  CHECK_INT(run("./qaudit validate examples/showcase/caches/*.h5 >/dev/null"), 0);
  snprintf(cmd, sizeof cmd, "printf 'not hdf5' > %s/junk.h5", dir);
  CHECK_INT(run(cmd), 0);
  snprintf(cmd, sizeof cmd, "./qaudit validate examples/showcase/caches/fp32.h5 %s/junk.h5 "
           "> %s/validate.out", dir, dir);
  CHECK_INT(run(cmd), 2);
  snprintf(cmd, sizeof cmd, "grep -c . %s/validate.out | grep -qx 2 && "
           "grep -q 'junk.h5: not an HDF5 file' %s/validate.out", dir, dir);
  CHECK_INT(run(cmd), 0);
  CHECK_INT(run("./qaudit inspect examples/showcase/caches/int4.h5 | "
                "grep -q '/hidden/final'"), 0);
  CHECK_INT(run("./qaudit inspect /nonexistent.h5 2>/dev/null"), 3);
}

/*
** The evidence a report carries (report.json, the configuration and
** qaudit-run.json embedded in the PDF) and `qaudit verify` (docs/verify.md):
** the attachments as poppler's pdfdetach and qpdf see them, a report that
** reproduces, a cache changed by one byte, a changed configuration, a
** number that differs, a PDF whose bytes differ, PDFs without attachments,
** and an OUTDIR/report.json edited by hand.  Run from the repository root
** after `make qaudit examples`; each test copies the showcase study into
** its own folder, so nothing in examples/ is touched.
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/verify.h"
#include "cli/verify_diff.h"
#include "cli/verify_pdf.h"
#include "doc/doc.h"
#include "doc/doc_attach.h"
#include "util/sha256.h"

#define EPOCH "1700000000"   /* date -u -d @1700000000: 2023-11-14T22:13:20Z */

static int run(const char *cmd) {
  int st = system(cmd);
  return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static const char *qaudit_exe(void) {
  static char exe[4200];
  if (!exe[0]) {
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd)) return "./qaudit";
    snprintf(exe, sizeof exe, "%s/qaudit", cwd);
  }
  return exe;
}

/* T/<name>/study: the showcase's config.json and caches/, reported into
** study/out with SOURCE_DATE_EPOCH (from inside study/, as a user would).
** Returns 0 on success. */
static int make_study(const char *name, char *study, size_t cap) {
  char cmd[32768];
  snprintf(study, cap, "%s/%s/study", qa_test_tmpdir(), name);
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp examples/showcase/config.json "
           "'%s/' && cp -r examples/showcase/caches '%s/caches' && cd '%s' && "
           "SOURCE_DATE_EPOCH=" EPOCH " '%s' report config.json -o out --quiet",
           study, study, study, study, study, qaudit_exe());
  return run(cmd);
}

/* Runs `qaudit verify ARGS` in dir with TMPDIR=dir/../tmp; returns the exit
** status, *out the stdout and *err the stderr (both malloc'ed). */
static int verify_in(const char *dir, const char *args, char **out, char **err) {
  char cmd[32768], errfile[4200], tmp[4200];
  snprintf(errfile, sizeof errfile, "%s/../verify.err", dir);
  snprintf(tmp, sizeof tmp, "%s/../tmp", dir);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cd '%s' && TMPDIR='%s' '%s' verify %s 2>'%s'",
           tmp, dir, tmp, qaudit_exe(), args, errfile);
  int status = -1;
  *out = qa_test_command_output(cmd, &status);
  *err = qa_test_read_file(errfile, NULL);
  return status;
}

static int count_lines(const char *s) {
  int n = 0;
  for (; s && *s; s++) n += *s == '\n';
  return n;
}

/* 1 when dir holds nothing (the private folder was removed). */
static int is_empty_dir(const char *dir) {
  char cmd[4300];
  snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
  return run(cmd) == 0;
}

QA_TEST(verify_attachments_listed_by_pdfdetach_and_qpdf) {
  char study[4096], cmd[16384];
  if (make_study("attach", study, sizeof study)) { CHECK(!"report failed"); return; }
  /* poppler's pdfdetach lists the embedded files in name-tree order. */
  snprintf(cmd, sizeof cmd, "pdfdetach -list '%s/out/report.pdf'", study);
  int status = -1;
  char *list = qa_test_command_output(cmd, &status);
  CHECK_INT(status, 0);
  CHECK_STR(list, "3 embedded files\n1: config.json\n2: qaudit-run.json\n3: report.json\n");
  free(list);
  /* qpdf names each with the object of its file specification. */
  snprintf(cmd, sizeof cmd, "qpdf --list-attachments '%s/out/report.pdf' | cut -d' ' -f1",
           study);
  list = qa_test_command_output(cmd, &status);
  CHECK_INT(status, 0);
  CHECK_STR(list, "config.json\nqaudit-run.json\nreport.json\n");
  free(list);
  snprintf(cmd, sizeof cmd, "qpdf --check '%s/out/report.pdf' >/dev/null", study);
  CHECK_INT(run(cmd), 0);
  /* What pdfdetach extracts is byte for byte OUTDIR/report.json and the
  ** configuration file. */
  snprintf(cmd, sizeof cmd, "cd '%s' && pdfdetach -save 3 -o ../r.json out/report.pdf && "
           "cmp ../r.json out/report.json && pdfdetach -save 1 -o ../c.json out/report.pdf && "
           "cmp ../c.json config.json && pdfdetach -save 2 -o ../run.json out/report.pdf",
           study);
  CHECK_INT(run(cmd), 0);
  /* Our reader gives the same bytes as poppler's. */
  char pdf[4200], path[4200];
  snprintf(pdf, sizeof pdf, "%s/out/report.pdf", study);
  qa_pdf_files files;
  qa_error err = {0};
  CHECK_INT(qa_pdf_read_attachments(pdf, &files, &err), 0);
  CHECK_INT(files.n, 3);
  const char *names[3] = {"c.json", "run.json", "r.json"};
  const char *embedded[3] = {QA_VERIFY_CONFIG_NAME, QA_VERIFY_RUN_NAME, QA_VERIFY_REPORT_NAME};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/../%s", study, names[i]);
    size_t len = 0;
    char *want = qa_test_read_file(path, &len);
    const qa_pdf_file *f = qa_pdf_files_find(&files, embedded[i]);
    CHECK(want && f && f->len == len && memcmp(f->data, want, len) == 0);
    free(want);
  }
  /* qaudit-run.json names the configuration as it was given. */
  const qa_pdf_file *runf = qa_pdf_files_find(&files, QA_VERIFY_RUN_NAME);
  cJSON *run_json = runf ? cJSON_Parse((const char *)runf->data) : NULL;
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(run_json, "config")), "config.json");
  cJSON_Delete(run_json);
  qa_pdf_files_free(&files);
}

QA_TEST(verify_attachments_keep_the_pdf_reproducible) {
  /* Two reports of the same inputs, same SOURCE_DATE_EPOCH, different
  ** OUTDIRs: byte-identical PDFs (no date, no temporary path in the
  ** attachments). */
  char study[4096], cmd[16384];
  if (make_study("repro", study, sizeof study)) { CHECK(!"report failed"); return; }
  snprintf(cmd, sizeof cmd, "cd '%s' && SOURCE_DATE_EPOCH=" EPOCH " '%s' report config.json "
           "-o elsewhere/out2 --quiet && cmp out/report.pdf elsewhere/out2/report.pdf && "
           "cmp out/report.json elsewhere/out2/report.json", study, qaudit_exe());
  CHECK_INT(run(cmd), 0);
}

QA_TEST(verify_unmodified_report_reproduces) {
  char study[4096], tmp[4200], *out = NULL, *err = NULL;
  if (make_study("same", study, sizeof study)) { CHECK(!"report failed"); return; }
  int status = verify_in(study, "out --quiet", &out, &err);
  CHECK_INT(status, 0);
  CHECK_STR(out, "out/report.pdf: reproduced byte for byte (report.json and report.pdf; "
                 "6 inputs re-hashed, date 2023-11-14T22:13:20Z)\n");
  CHECK_STR(err, "");
  free(out);
  free(err);
  /* The private folder is gone. */
  snprintf(tmp, sizeof tmp, "%s/../tmp", study);
  CHECK(is_empty_dir(tmp));
  /* REPORT.pdf works as OUTDIR does, and -C names the folder the report
  ** ran in from anywhere else. */
  char args[8400];
  snprintf(args, sizeof args, "-q -C '%s' '%s/out/report.pdf'", study, study);
  status = verify_in(qa_test_tmpdir(), args, &out, &err);
  CHECK_INT(status, 0);
  CHECK_CONTAINS(out, "reproduced byte for byte");
  free(out);
  free(err);
}

QA_TEST(verify_report_without_source_date_epoch_reproduces) {
  /* A report dated by the clock: verify takes the date from report.json. */
  char study[4096], cmd[8400], *out = NULL, *err = NULL;
  if (make_study("clock", study, sizeof study)) { CHECK(!"report failed"); return; }
  /* With one worker thread: the sums split by thread differ in their last
  ** digits from the default's, so verify must recompute with the recorded
  ** count. */
  snprintf(cmd, sizeof cmd, "cd '%s' && env -u SOURCE_DATE_EPOCH '%s' report config.json "
           "-o out --quiet --threads 1", study, qaudit_exe());
  CHECK_INT(run(cmd), 0);
  CHECK_INT(verify_in(study, "-q out", &out, &err), 0);
  CHECK_CONTAINS(out, "reproduced byte for byte");
  free(out);
  free(err);
}

QA_TEST(verify_cache_changed_by_one_byte) {
  char study[4096], cache[4200], cmd[8400], *out = NULL, *err = NULL;
  if (make_study("flip", study, sizeof study)) { CHECK(!"report failed"); return; }
  snprintf(cache, sizeof cache, "%s/caches/int4.h5", study);
  char before[65], after[65];
  uint64_t bytes = 0;
  qa_error e = {0};
  CHECK_INT(qa_sha256_file(cache, before, &bytes, &e), 0);
  /* One bit of one byte in the middle of the file (dataset data, not
  ** HDF5 metadata: the file still opens). */
  FILE *f = fopen(cache, "r+b");
  CHECK(f != NULL);
  if (!f) return;
  fseek(f, (long)(bytes / 2), SEEK_SET);
  int c = fgetc(f);
  fseek(f, (long)(bytes / 2), SEEK_SET);
  fputc(c ^ 0x01, f);
  fclose(f);
  CHECK_INT(qa_sha256_file(cache, after, &bytes, &e), 0);
  CHECK(strcmp(before, after) != 0);
  /* The digest verify prints as "now" is sha256sum's. */
  snprintf(cmd, sizeof cmd, "sha256sum '%s' | cut -c1-64", cache);
  char *sum = qa_test_command_output(cmd, NULL);
  CHECK(sum && strncmp(sum, after, 64) == 0);
  free(sum);
  int status = verify_in(study, "-q out", &out, &err);
  CHECK_INT(status, QA_VERIFY_INPUT_CHANGED);   /* 4 */
  char want[1024];
  snprintf(want, sizeof want, "qaudit: error: caches/int4.h5: input changed since the report: "
           "SHA-256 %s expected, %s now\n", before, after);
  CHECK_STR(err, want);
  CHECK_INT(count_lines(err), 1);
  CHECK_STR(out, "");
  free(out);
  free(err);
}

QA_TEST(verify_configuration_changed_or_missing) {
  char study[4096], cmd[8400], *out = NULL, *err = NULL;
  if (make_study("cfg", study, sizeof study)) { CHECK(!"report failed"); return; }
  snprintf(cmd, sizeof cmd, "printf ' ' >> '%s/config.json'", study);
  CHECK_INT(run(cmd), 0);
  CHECK_INT(verify_in(study, "-q out", &out, &err), QA_VERIFY_INPUT_CHANGED);
  CHECK_CONTAINS(err, "qaudit: error: config.json: input changed since the report: SHA-256 ");
  CHECK_CONTAINS(err, " bytes, was ");
  CHECK_INT(count_lines(err), 1);
  free(out);
  free(err);
  /* From a folder where config.json is not: the inputs cannot be read. */
  char args[4300];
  snprintf(args, sizeof args, "-q '%s/out'", study);
  CHECK_INT(verify_in(qa_test_tmpdir(), args, &out, &err), QA_VERIFY_INPUT_CHANGED);
  CHECK_CONTAINS(err, "qaudit: error: config.json: an input of the report cannot be read now");
  free(out);
  free(err);
}

/* A PDF written with the document layer, carrying the given report.json
** and the study's configuration and run record. */
static int write_pdf(const char *path, const char *report_json, const char *config_text,
                     const char *run_text) {
  qa_doc_opts o = {0};
  o.title = "not the report";
  o.fonts_dir = "fonts";
  o.epoch = 1700000000;
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err)) return -1;
  qa_doc_paragraph(doc, "A PDF with the evidence of a report but other pages.");
  int rc = 0;
  if (report_json) {
    qa_doc_attachment a[3] = {
        {QA_VERIFY_CONFIG_NAME, "application/json", NULL, config_text, strlen(config_text)},
        {QA_VERIFY_RUN_NAME, "application/json", NULL, run_text, strlen(run_text)},
        {QA_VERIFY_REPORT_NAME, "application/json", NULL, report_json, strlen(report_json)}};
    for (int i = 0; i < 3; i++) rc |= qa_doc_attach(doc, &a[i], &err);
  }
  rc |= qa_doc_save(doc, path, &err);
  qa_doc_free(doc);
  return rc;
}

QA_TEST(verify_number_differs_and_pdf_bytes_differ) {
  char study[4096], path[4200], *out = NULL, *err = NULL;
  if (make_study("num", study, sizeof study)) { CHECK(!"report failed"); return; }
  snprintf(path, sizeof path, "%s/out/report.json", study);
  char *json = qa_test_read_file(path, NULL);
  snprintf(path, sizeof path, "%s/config.json", study);
  char *config = qa_test_read_file(path, NULL);
  const char *run_text = "{\"qaudit_version\": \"0.1.0\", \"config\": \"config.json\"}";
  cJSON *root = json ? cJSON_Parse(json) : NULL;
  CHECK(root && config);
  if (!root || !config) return;
  cJSON *var = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
      cJSON_GetObjectItem(root, "models"), 0), "variants"), 2);
  cJSON *repr = cJSON_GetObjectItem(var, "representation");
  double cka = cJSON_GetNumberValue(cJSON_GetObjectItem(repr, "cka_linear"));
  CHECK(cka > 0.5 && cka <= 1.0);
  /* The same report.json with one number changed. */
  cJSON_SetNumberValue(cJSON_GetObjectItem(repr, "cka_linear"), 0.25);
  char *edited = cJSON_Print(root);
  snprintf(path, sizeof path, "%s/edited.pdf", study);
  CHECK_INT(write_pdf(path, edited, config, run_text), 0);
  CHECK_INT(verify_in(study, "-q edited.pdf", &out, &err), QA_VERIFY_NUMBER_DIFFERS);   /* 5 */
  char want[512];
  char *was = cJSON_PrintUnformatted(cJSON_GetObjectItem(repr, "cka_linear"));
  cJSON_SetNumberValue(cJSON_GetObjectItem(repr, "cka_linear"), cka);
  char *now = cJSON_PrintUnformatted(cJSON_GetObjectItem(repr, "cka_linear"));
  snprintf(want, sizeof want, "qaudit: error: edited.pdf: models[0].variants[2].representation."
           "cka_linear: %s in the report, %s recomputed\n", was, now);
  CHECK_STR(was, "0.25");
  CHECK_STR(err, want);
  free(out);
  free(err);
  /* The real report.json, but pages that are not the report's. */
  snprintf(path, sizeof path, "%s/other.pdf", study);
  CHECK_INT(write_pdf(path, json, config, run_text), 0);
  CHECK_INT(verify_in(study, "-q other.pdf", &out, &err), QA_VERIFY_BYTES_DIFFER);   /* 6 */
  CHECK_CONTAINS(err, "qaudit: error: other.pdf: every number is reproduced, but the "
                      "recomputed PDF differs from byte ");
  CHECK_INT(count_lines(err), 1);
  free(out);
  free(err);
  free(was);
  free(now);
  free(edited);
  cJSON_Delete(root);
  free(json);
  free(config);
}

QA_TEST(verify_pdf_without_attachments_or_not_a_pdf) {
  char study[4096], path[4200], cmd[8400], *out = NULL, *err = NULL;
  snprintf(study, sizeof study, "%s/plain", qa_test_tmpdir());
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", study);
  CHECK_INT(run(cmd), 0);
  /* A PDF of the document layer with no attachments (as any other PDF). */
  snprintf(path, sizeof path, "%s/plain.pdf", study);
  CHECK_INT(write_pdf(path, NULL, "", ""), 0);
  CHECK_INT(verify_in(study, "plain.pdf", &out, &err), 2);
  CHECK_STR(err, "qaudit: error: plain.pdf: has no embedded files, so no embedded report.json; "
                 "expected a report.pdf written by qaudit report 0.1.0 (which embeds "
                 "report.json, config.json and qaudit-run.json)\n");
  free(out);
  free(err);
  /* A PDF that poppler wrote (pdfunite), if poppler-utils are here. */
  snprintf(cmd, sizeof cmd, "cd '%s' && pdfunite plain.pdf plain.pdf other.pdf", study);
  if (run(cmd) == 0) {
    CHECK_INT(verify_in(study, "other.pdf", &out, &err), 2);
    CHECK_CONTAINS(err, "qaudit: error: other.pdf: ");
    CHECK_INT(count_lines(err), 1);
    free(out);
    free(err);
  }
  /* Not a PDF at all; truncated; missing; a folder without report.pdf. */
  snprintf(cmd, sizeof cmd, "cd '%s' && echo '{}' > notes.json && head -c 2000 plain.pdf > "
           "cut.pdf && mkdir -p empty", study);
  CHECK_INT(run(cmd), 0);
  CHECK_INT(verify_in(study, "notes.json", &out, &err), 2);
  CHECK_STR(err, "qaudit: error: notes.json: not a PDF (no %PDF- header); expected a "
                 "report.pdf written by qaudit report\n");
  free(out);
  free(err);
  CHECK_INT(verify_in(study, "cut.pdf", &out, &err), 2);
  CHECK_STR(err, "qaudit: error: cut.pdf: not a complete PDF: no startxref at its end "
                 "(truncated?)\n");
  free(out);
  free(err);
  CHECK_INT(verify_in(study, "missing.pdf", &out, &err), 1);
  CHECK_STR(err, "qaudit: error: missing.pdf: cannot open: No such file or directory\n");
  free(out);
  free(err);
  CHECK_INT(verify_in(study, "empty", &out, &err), 1);
  CHECK_STR(err, "qaudit: error: empty: a folder without report.pdf; expected the OUTDIR of "
                 "qaudit report\n");
  free(out);
  free(err);
  CHECK_INT(verify_in(study, "", &out, &err), 1);
  CHECK_STR(err, "qaudit: error: verify needs an OUTDIR or a REPORT.pdf (see qaudit --help)\n");
  free(out);
  free(err);
}

QA_TEST(verify_trusts_the_pdf_not_outdir_report_json) {
  char study[4096], cmd[8400], *out = NULL, *err = NULL;
  if (make_study("hand", study, sizeof study)) { CHECK(!"report failed"); return; }
  /* An accuracy edited by hand in OUTDIR/report.json. */
  snprintf(cmd, sizeof cmd, "cd '%s' && sed -i '0,/\"accuracy\":\\t0.88,/s//\"accuracy\":\\t0.99,/' "
           "out/report.json && grep -q '\"accuracy\":\t0.99,' out/report.json", study);
  CHECK_INT(run(cmd), 0);
  CHECK_INT(verify_in(study, "-q out", &out, &err), 0);
  CHECK_CONTAINS(out, "reproduced byte for byte");
  CHECK_STR(err, "qaudit: warning: out/report.json differs from the report.json embedded in "
                 "out/report.pdf; verify checks the embedded copy\n");
  free(out);
  free(err);
}

QA_TEST(verify_json_first_diff_paths) {
  cJSON *a = cJSON_Parse("{\"x\": 1, \"models\": [{\"name\": \"m\", \"variants\": "
                         "[{\"v\": 1}, {\"v\": 2, \"r\": {\"cka\": 0.5, \"n\": 3}}]}]}");
  cJSON *b = cJSON_Parse("{\"models\": [{\"variants\": [{\"v\": 1}, {\"r\": {\"n\": 3, "
                         "\"cka\": 0.75}, \"v\": 2}], \"name\": \"m\"}], \"x\": 1}");
  cJSON *c = cJSON_Parse("{\"x\": 1, \"models\": [{\"name\": \"m\", \"variants\": "
                         "[{\"v\": 1}, {\"v\": 2, \"r\": {\"cka\": 0.5, \"n\": 3}}]}], \"y\": null}");
  cJSON *d = cJSON_Parse("{\"x\": 1, \"models\": [{\"name\": \"m\", \"variants\": [{\"v\": 1}]}]}");
  qa_json_diff diff;
  CHECK(a && b && c && d);
  CHECK_INT(qa_json_first_diff(a, b, &diff), 1);
  CHECK_STR(diff.path, "models[0].variants[1].r.cka");
  CHECK_STR(diff.old_text, "0.5");
  CHECK_STR(diff.new_text, "0.75");
  CHECK_INT(qa_json_first_diff(a, a, &diff), 0);
  /* Key order does not matter; a key only b has is named. */
  CHECK_INT(qa_json_first_diff(a, c, &diff), 1);
  CHECK_STR(diff.path, "y");
  CHECK_STR(diff.old_text, "(absent)");
  CHECK_STR(diff.new_text, "null");
  /* A shorter array: the first missing item. */
  CHECK_INT(qa_json_first_diff(a, d, &diff), 1);
  CHECK_STR(diff.path, "models[0].variants[1]");
  CHECK_STR(diff.new_text, "(absent)");
  /* A type change. */
  cJSON *e = cJSON_Parse("{\"x\": \"1\"}"), *f = cJSON_Parse("{\"x\": 1}");
  CHECK_INT(qa_json_first_diff(e, f, &diff), 1);
  CHECK_STR(diff.path, "x");
  CHECK_STR(diff.old_text, "\"1\"");
  cJSON_Delete(a); cJSON_Delete(b); cJSON_Delete(c); cJSON_Delete(d);
  cJSON_Delete(e); cJSON_Delete(f);
}

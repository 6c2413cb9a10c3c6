/*
** Tests of the report writer (src/report/report*.c): the hand-built results
** tree tests/fixtures/report_sample.json is rendered to a PDF and read back
** with poppler's pdftotext (poppler-utils), an independent PDF reader.
** Checked: every section title in INTERFACE.md section 5 order, key numbers
** of the fixture formatted as the report promises (Wilson intervals, pp with
** one decimal, p-values with three significant digits), tier words, the
** failing critical-error check, claim statuses, the findings of the
** executive summary, and the one-sentence placeholders of absent sections.
**
** The fixture's benchmark, generation, adjacent-test and claim numbers were
** computed with NumPy 1.24 / SciPy 1.10 (scipy.stats.ttest_ind(equal_var=
** False), binom.cdf for McNemar, t.sf/t.cdf for TOST, the Wilson formula of
** STATISTICS.md) from seeded synthetic per-item data; representation,
** output and timing numbers were set by hand to be consistent with their
** per-class counts and with usd_per_mtok = 0.035 / (tok/s * 3600) * 1e6.
** Expected strings below are those numbers rounded as the report rounds them.
** Tests run from the repository root (fonts in ./fonts).
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input/config.h"
#include "report/report.h"
#include "report/report_internal.h"

#define REPORT_FIXTURE "tests/fixtures/report_sample.json"
/* 1772443800 s after the epoch is 2026-03-02 09:30:00 UTC (date -u -d @1772443800),
** the fixture's "generated" date. */
#define REPORT_EPOCH 1772443800LL

static const char *REPORT_CONFIG =
  "{\"title\": \"Quantization audit: enc\", \"subtitle\": \"fp32 vs fp16 / int4 / int2\",\n"
  " \"author\": \"ML Platform team\",\n"
  " \"disclosure\": {\"task\": \"4-way triage\", \"baseline\": \"fp32\"},\n"
  " \"models\": [{\"name\": \"enc\", \"baseline\": \"fp32\", \"params\": 1240000000,\n"
  "   \"variants\": [{\"name\": \"fp32\", \"file\": \"caches/enc_fp32.h5\"},\n"
  "                  {\"name\": \"fp16\", \"file\": \"caches/enc_fp16.h5\"},\n"
  "                  {\"name\": \"int4\", \"file\": \"caches/enc_int4.h5\"},\n"
  "                  {\"name\": \"int2\", \"file\": \"caches/enc_int2.h5\"}]}],\n"
  " \"deploy\": {\"vram_tiers_gb\": [2, 8]},\n"
  " \"critical_errors\": [{\"label\": \"VETO\", \"predicted\": \"APPROVE\", \"max\": 0}]}\n";

static char *report_test_read(const char *path) {
  return qa_test_read_file(path, NULL);
}

/* Output of a shell command (stderr discarded), NUL-terminated. */
static char *report_test_run(const char *cmd) {
  return qa_test_command_output(cmd, NULL);
}

/* Renders results with the configuration text config into DIR/name.pdf;
** returns the path (static) or NULL. */
static const char *report_test_render_with(const cJSON *results, const char *config,
                                           const char *name) {
  static char path[1024];
  qa_config *cfg = NULL;
  qa_error err = {0};
  if (qa_config_parse(config, "tests/fixtures/report_sample.config.json", &cfg, &err)) {
    qa_test_fail(__FILE__, __LINE__, "config: %s", err.msg);
    return NULL;
  }
  snprintf(path, sizeof path, "%s/%s.pdf", qa_test_tmpdir(), name);
  qa_report_opts opts = {"fonts", REPORT_EPOCH, NULL};
  int rc = qa_report_pdf(results, cfg, &opts, path, &err);
  qa_config_free(cfg);
  if (rc) {
    qa_test_fail(__FILE__, __LINE__, "qa_report_pdf: %s", err.msg);
    return NULL;
  }
  return path;
}

/* The same with the test configuration above (the default template). */
static const char *report_test_render(const cJSON *results, const char *name) {
  return report_test_render_with(results, REPORT_CONFIG, name);
}

static cJSON *report_test_fixture(void) {
  char *text = report_test_read(REPORT_FIXTURE);
  cJSON *json = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!json) qa_test_fail(__FILE__, __LINE__, "cannot read %s", REPORT_FIXTURE);
  return json;
}

/* pdftotext of pages first..last (0 = to the end), reading order. */
static char *report_test_text(const char *pdf, int first, int last) {
  char cmd[1400], range[64] = "";
  if (first > 0 && last > 0) snprintf(range, sizeof range, "-f %d -l %d ", first, last);
  else if (first > 0) snprintf(range, sizeof range, "-f %d ", first);
  snprintf(cmd, sizeof cmd, "pdftotext %s-enc UTF-8 '%s' - 2>/dev/null", range, pdf);
  return report_test_run(cmd);
}

/* Whitespace (line and page breaks included) collapsed to single spaces, so
** that a phrase wrapped across lines is found as one string. */
static void report_test_squash(char *s) {
  char *o = s;
  int space = 0;
  for (char *p = s; p && *p; p++) {
    if (*p == ' ' || *p == '\n' || *p == '\f' || *p == '\t' || *p == '\r') {
      space = 1;
      continue;
    }
    if (space && o != s) *o++ = ' ';
    space = 0;
    *o++ = *p;
  }
  if (o) *o = '\0';
}

/* 1 when the page text is a table of contents titled toc_title: after the
** running header's title, the header names the TOC (pdftotext prints the
** header's two sides as separate blocks). */
static int report_test_is_toc(const char *text, const char *toc_title) {
  char want[128];
  snprintf(want, sizeof want, "\n\n%s\n\n%s\n", toc_title, toc_title);
  const char *first = text ? strchr(text, '\n') : NULL;
  return first && strncmp(first, want, strlen(want)) == 0;
}

/* The body (everything after the table of contents): pages from the first
** one after the title page that is not a TOC page. */
static char *report_test_body(const char *pdf) {
  for (int page = 2; page < 10; page++) {
    char *text = report_test_text(pdf, page, page);
    int toc = report_test_is_toc(text, "Contents");
    free(text);
    if (!toc) return report_test_text(pdf, page, 0);
  }
  return NULL;
}

/* Position of "label title" as a whole line of text, at or after from. */
static const char *report_test_heading(const char *text, const char *from, int label,
                                       const char *title) {
  char line[160];
  snprintf(line, sizeof line, "%d %s\n", label, title);
  for (const char *p = from; p && (p = strstr(p, line)) != NULL; p++)
    if (p == text || p[-1] == '\n' || p[-1] == '\f') return p;
  return NULL;
}

static const char *const REPORT_SECTIONS[] = {
  "Executive summary", "Disclosure checklist", "Claim validation", "Decision matrix",
  "Representation metrics", "Per-class breakdown", "Benchmark accuracy",
  "Generation quality", "Statistical tests", "Performance and cost",
  "Methods and caveats", "Provenance appendix"};
/* (No "Figures": these tests render without figures, so the report leaves
** the section out and names it under "Not covered by this audit".) */
#define REPORT_N_SECTIONS (sizeof REPORT_SECTIONS / sizeof *REPORT_SECTIONS)

QA_TEST(report_sections_in_order) {
  cJSON *json = report_test_fixture();
  const char *pdf = json ? report_test_render(json, "sample") : NULL;
  cJSON_Delete(json);
  if (!pdf) return;
  char *title = report_test_text(pdf, 1, 1);
  CHECK_CONTAINS(title, "Quantization audit: enc");
  CHECK_CONTAINS(title, "enc (4 variants, baseline fp32)");
  char *toc = report_test_text(pdf, 2, 2);
  CHECK(report_test_is_toc(toc, "Contents"));
  CHECK(toc && strncmp(toc, "Quantization audit: enc\n", 24) == 0);   /* running header */
  char *body = report_test_body(pdf);
  const char *at = body;
  for (size_t i = 0; i < REPORT_N_SECTIONS; i++) {
    const char *h = report_test_heading(body, at, (int)i + 1, REPORT_SECTIONS[i]);
    if (!h) {
      qa_test_fail(__FILE__, __LINE__, "section %zu \"%s\" missing or out of order", i + 1,
                   REPORT_SECTIONS[i]);
      continue;
    }
    at = h + 1;
  }
  free(title);
  free(toc);
  free(body);
}

QA_TEST(report_numbers_formatted) {
  cJSON *json = report_test_fixture();
  const char *pdf = json ? report_test_render(json, "numbers") : NULL;
  cJSON_Delete(json);
  if (!pdf) return;
  char *text = report_test_text(pdf, 0, 0);
  report_test_squash(text);
  /* int2 benchmark: 236/485 correct, Wilson [0.4424, 0.5310] to 3 decimals. */
  CHECK_CONTAINS(text, "[0.442, 0.531]");
  CHECK_CONTAINS(text, "0.487");                /* 236/485 = 0.48660 */
  CHECK_CONTAINS(text, "-17.3");                /* delta_pp -17.3196 */
  CHECK_CONTAINS(text, "[0.591, 0.677]");       /* int4 Wilson [0.5913, 0.6767] */
  /* int4 against fp32: McNemar p 0.0226558 and Welch p 0.420509, 3 significant. */
  CHECK_CONTAINS(text, "0.0227");
  CHECK_CONTAINS(text, "0.421");
  CHECK_CONTAINS(text, "18 / 6");               /* McNemar b / c */
  CHECK_CONTAINS(text, "<0.001");               /* int2 Welch p 4.06e-08 */
  CHECK_CONTAINS(text, "0.180");                /* fp16 TOST p 0.179772 */
  CHECK_CONTAINS(text, "9.0 pp");               /* power.mde_pp 8.995 */
  CHECK_CONTAINS(text, "-14.2");                /* REVIEW at int4, kNN delta pp */
  CHECK_CONTAINS(text, "0.0681");               /* int4 usd_per_mtok 0.06813 */
  CHECK_CONTAINS(text, "142.7");                /* int4 decode tok/s */
  CHECK_CONTAINS(text, "1,999,000");            /* representation pairs */
  /* Each claim row with its own status, and each critical-error row with
  ** its count, allowance and verdict (the fixture's claims[] and
  ** outputs.critical_errors): words that only the numbers put there. */
  CHECK_CONTAINS(text, "C1 int4 stays within the acceptable tier on every model "
                       "demonstrated enc/int4: tier acceptable");
  CHECK_CONTAINS(text, "C2 fp16 is equivalent to fp32 on the benchmark within 3 pp demonstrated");
  CHECK_CONTAINS(text, "C3 int2 loses at least 10 pp of benchmark accuracy demonstrated");
  CHECK_CONTAINS(text, "C4 int2 makes no critical errors not supported");
  CHECK_CONTAINS(text, "int2 VETO APPROVE 3 0 FAIL");
  /* (int2's rows may straddle a page break, where pdftotext puts the
  ** repeated header between the cells; "2 2 PASS" is only int2's.) */
  CHECK_CONTAINS(text, "int2 SPAM APPROVE");
  CHECK_CONTAINS(text, "2 2 PASS");
  /* Findings of the executive summary, from the fixture's numbers. */
  /* models[].sweet_spot int4 with its paired CI (benchmark.paired.ci95_pp
  ** [-4.4487, -0.4998]) and sweet_spot_noninf_p 0.0061382 (scipy t.sf((d +
  ** 0.05)/se, 484), d = -12/485, se from b = 18, c = 6). */
  CHECK_CONTAINS(text, "the sweet spot, the recommended variant of lowest memory, is int4 "
                       "(acceptable: benchmark -2.5 pp (paired 95% CI [-4.4, -0.5]), "
                       "generation -4.1 %");
  CHECK_CONTAINS(text, "Its paired non-inferiority test at the acceptable margin (a drop of at "
                       "most 5.0 pp) gives p = 0.00614: the benchmark shows its drop smaller "
                       "than the margin.");
  CHECK_CONTAINS(text, "The cliff, the first variant in configured order outside the negligible "
                       "and acceptable tiers, is int2 (unacceptable: benchmark -17.3 pp");
  /* The paired TOST of int4 at 3 and 5 pp (0.300528, 0.0061382: scipy
  ** max(t.sf((d+m)/se), t.cdf((d-m)/se)) with df 484) and its McNemar b / c. */
  CHECK_CONTAINS(text, "int4 -2.5 [-4.4, -0.5] 18 / 6 0.0227 0.301 / 0.00614 no 0.421 0.432");
  /* Picks from decision_matrix[].picks: at 8 GB the highest absolute
  ** accuracy is fp32's 320/485 = 0.660, not the best delta. */
  CHECK_CONTAINS(text, "the highest quality, enc/fp32 (benchmark accuracy 0.660)");
  /* The fixture's cost uses the arithmetic mean (perf.throughput_mean);
  ** the harmonic mean is shown beside it. */
  CHECK_CONTAINS(text, "int4 200 / 200 142.7 141.3 144.0");
  CHECK_CONTAINS(text, "(perf.throughput_mean = arithmetic)");
  /* Adjacent fp16 -> int4 benchmark: McNemar 0.0614283, paired Holm over
  ** the 12 paired p values = 5 x 0.0614283 = 0.307 (5th smallest). */
  CHECK_CONTAINS(text, "benchmark 485 0.658 0.635 -0.047 0.461 1.00 1.00 not sig. 0.0614 0.307");
  CHECK_CONTAINS(text, "the worst class is REVIEW at int4");
  CHECK_CONTAINS(text, "(0.842 \xE2\x86\x92 0.700, n = 500)");
  CHECK_CONTAINS(text, "the paired McNemar test (p = 0.0227");
  CHECK_CONTAINS(text, "expect 0.6 false positives");
  CHECK_CONTAINS(text, "Critical error FAIL at enc/int2: 3 samples of class VETO were predicted APPROVE (allowed 0)");
  /* The provenance row of the first input with its whole SHA-256 (the
  ** fixture's: sha256 of the bytes "enc/fp32", Python hashlib). */
  CHECK_CONTAINS(text, "enc_fp32.h5 24.12 MB "
                       "bfa4a2daa8ac1e11fd71345e6b53f3f6f21b462de47ce9eeef00e74372f34dd2");
  free(text);
}

/* Removes key from every variant of every model. */
static void report_test_strip(cJSON *json, const char *key) {
  cJSON *m, *v;
  cJSON_ArrayForEach(m, cJSON_GetObjectItem(json, "models"))
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(m, "variants"))
      cJSON_DeleteItemFromObject(v, key);
}

QA_TEST(report_placeholder_without_benchmark) {
  cJSON *json = report_test_fixture();
  if (!json) return;
  report_test_strip(json, "benchmark");
  const char *pdf = report_test_render(json, "no_benchmark");
  cJSON_Delete(json);
  if (!pdf) return;
  char *body = report_test_body(pdf);
  const char *sec = report_test_heading(body, body, 7, "Benchmark accuracy");
  const char *next = report_test_heading(body, body, 8, "Generation quality");
  CHECK(sec && next && next > sec);
  if (sec && next) {
    char *part = strndup(sec, (size_t)(next - sec));
    report_test_squash(part);
    /* No sentence asking for data: the missing results are named once,
    ** in the methods' not-covered part. */
    CHECK(strstr(part, "No variant has benchmark results") == NULL);
    CHECK(strstr(part, "enable this section") == NULL);
    /* The model's own predictions are still reported. */
    CHECK_CONTAINS(part, "Predictions on the labelled samples");
    CHECK(strstr(part, "Wilson 95% CI") != NULL);
    free(part);
  }
  report_test_squash(body);
  CHECK_CONTAINS(body, "Not covered by this audit");
  CHECK_CONTAINS(body, "\xE2\x80\xA2 Benchmark accuracy (pooled, by "
                       "task and by stratum, with the paired McNemar and TOST tests against "
                       "the baseline): needs /eval/<task>/correct in every cache");
  free(body);
}

QA_TEST(report_placeholders_of_empty_results) {
  /* An empty results tree: no data section is written at all. */
  cJSON *json = cJSON_Parse("{\"qaudit_version\": \"0.1.0\", \"generated\": "
                            "\"2026-03-02T09:30:00Z\", \"models\": []}");
  const char *pdf = json ? report_test_render(json, "empty") : NULL;
  cJSON_Delete(json);
  if (!pdf) return;
  char *text = report_test_body(pdf);
  report_test_squash(text);
  /* No data section is written (no heading that only asks for input);
  ** the summary and the methods say there is no model. */
  CHECK(strstr(text, "Representation metrics") == NULL);
  CHECK(strstr(text, "Generation quality") == NULL);
  CHECK(strstr(text, "Performance and cost") == NULL);
  CHECK(strstr(text, "Claim validation") == NULL);
  CHECK(strstr(text, "enable this section.") == NULL || strstr(text, "memory budgets") != NULL);
  CHECK_CONTAINS(text, "The results hold no model");
  free(text);
}

QA_TEST(report_number_formats) {
  char b[RP_FMT];
  /* Three significant digits (rounding of the decimal value by hand). */
  rp_fmt_p(b, sizeof b, 0.0226558); CHECK_STR(b, "0.0227");
  rp_fmt_p(b, sizeof b, 0.420509);  CHECK_STR(b, "0.421");
  rp_fmt_p(b, sizeof b, 1.0);       CHECK_STR(b, "1.00");
  rp_fmt_p(b, sizeof b, 0.09996);   CHECK_STR(b, "0.100");   /* carry into a new digit */
  rp_fmt_p(b, sizeof b, 0.00123);   CHECK_STR(b, "0.00123");
  rp_fmt_p(b, sizeof b, 4.06e-8);   CHECK_STR(b, "<0.001");
  rp_fmt_p(b, sizeof b, NAN);       CHECK_STR(b, RP_DASH);
  rp_fmt_signed(b, sizeof b, -2.4742, 1); CHECK_STR(b, "-2.5");
  rp_fmt_signed(b, sizeof b, 1.333, 1);   CHECK_STR(b, "+1.3");
  rp_fmt_signed(b, sizeof b, -0.04, 1);   CHECK_STR(b, "0.0");  /* never "-0.0" */
  rp_fmt_int(b, sizeof b, 1999000);       CHECK_STR(b, "1,999,000");
  rp_fmt_int(b, sizeof b, 485);           CHECK_STR(b, "485");
  rp_fmt_small(b, sizeof b, 2.1e-6);      CHECK_STR(b, "2.1e-06");
  rp_fmt_small(b, sizeof b, 0.0112);      CHECK_STR(b, "0.0112");
  cJSON *pair = cJSON_Parse("[0.4424, 0.531]");
  rp_fmt_interval(b, sizeof b, pair, 3);  CHECK_STR(b, "[0.442, 0.531]");
  cJSON_Delete(pair);
  rp_fmt_interval(b, sizeof b, NULL, 3);  CHECK_STR(b, RP_DASH);
}

QA_TEST(report_deterministic) {
  /* Same results and epoch give the same bytes (INTERFACE.md section 1,
  ** SOURCE_DATE_EPOCH): nothing in the report writer depends on time,
  ** addresses or iteration order of anything but the results tree. */
  cJSON *json = report_test_fixture();
  if (!json) return;
  char first[1024];
  const char *a = report_test_render(json, "twice_a");
  snprintf(first, sizeof first, "%s", a ? a : "");
  const char *b = report_test_render(json, "twice_b");
  cJSON_Delete(json);
  if (!a || !b) return;
  /* PDF streams hold NUL bytes: compare with cmp(1) rather than strcmp. */
  char cmd[2200];
  snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s' && echo same", first, b);
  char *out = report_test_run(cmd);
  CHECK_CONTAINS(out, "same");
  free(out);
}

QA_TEST(report_two_models) {
  /* A second model (a renamed copy of the first) gets its own tables. */
  cJSON *json = report_test_fixture();
  if (!json) return;
  cJSON *models = cJSON_GetObjectItem(json, "models");
  cJSON *copy = cJSON_Duplicate(cJSON_GetArrayItem(models, 0), 1);
  cJSON_ReplaceItemInObject(copy, "name", cJSON_CreateString("enc2"));
  cJSON_AddItemToArray(models, copy);
  const char *pdf = report_test_render(json, "two_models");
  cJSON_Delete(json);
  if (!pdf) return;
  char *text = report_test_text(pdf, 0, 0);
  report_test_squash(text);
  CHECK_CONTAINS(text, "enc2: hidden states at layer final (N = 2,000, D = 768)");
  CHECK_CONTAINS(text, "enc2: benchmark accuracy, all tasks pooled (baseline fp32)");
  CHECK_CONTAINS(text, "enc2: the sweet spot, the recommended variant of lowest memory, is int4");
  CHECK_CONTAINS(text, "enc2: throughput, latency and cost");
  free(text);
}

/* ---- templates (report_template.c, docs/templates.md) ---- */

/* A team's template: the claims first, the summary renamed and after the
** disclosure, the methods and figures left out, its own intro prose and
** running header, and a renamed table of contents. */
static const char *REPORT_TEAM_TEMPLATE =
  "# a team's template\n"
  "[page]\n"
  "header = ACME confidential: {title}\n"
  "footer = {author}, {date}\n"
  "[title_page]\n"
  "note = Distribution: {author} only\n"
  "[contents]\n"
  "title = In this report\n"
  "[claims]\n"
  "title = What we promised\n"
  "intro =\n"
  "    Our claims first.\n"
  "\n"
  "    A second paragraph.\n"
  "[disclosure]\n"
  "[summary]\n"
  "title = At a glance\n"
  "findings_title = What we found\n"
  "[decision]\n"
  "[representation]\n"
  "[per_class]\n"
  "[figures]\n"
  "include = no\n"
  "[benchmark]\n"
  "[generation]\n"
  "[statistics]\n"
  "[performance]\n"
  "[methods]\n"
  "include = no\n"
  "[provenance]\n"
  "title = Where the numbers come from\n";

/* Writes text to DIR/name/report.tmpl; returns the folder (static). */
static const char *report_test_template_dir(const char *name, const char *text) {
  static char dir[1024];
  char path[1200];
  snprintf(dir, sizeof dir, "%s/%s", qa_test_tmpdir(), name);
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/report.tmpl", dir);
  FILE *f = fopen(path, "w");
  if (!f) { qa_test_fail(__FILE__, __LINE__, "cannot write %s", path); return NULL; }
  fputs(text, f);
  fclose(f);
  return dir;
}

QA_TEST(report_template_reorders_renames_and_drops) {
  cJSON *json = report_test_fixture();
  const char *dir = report_test_template_dir("team_tmpl", REPORT_TEAM_TEMPLATE);
  if (!json || !dir) { cJSON_Delete(json); return; }
  /* The configuration names the template folder (absolute here). */
  char config[4096];
  snprintf(config, sizeof config, "{\"template\": \"%s\",%s", dir, REPORT_CONFIG + 1);
  const char *pdf = report_test_render_with(json, config, "team");
  cJSON_Delete(json);
  if (!pdf) return;
  char *title = report_test_text(pdf, 1, 1);
  CHECK_CONTAINS(title, "Distribution: ML Platform team only");
  char *toc = report_test_text(pdf, 2, 2);
  CHECK(report_test_is_toc(toc, "In this report"));
  CHECK(toc && strncmp(toc, "ACME confidential: Quantization audit: enc\n", 43) == 0);
  /* Sections in the template's order and numbering, renamed; left-out
  ** sections absent. */
  static const char *const order[] = {"What we promised", "Disclosure checklist", "At a glance",
                                      "Decision matrix", "Representation metrics",
                                      "Per-class breakdown", "Benchmark accuracy",
                                      "Generation quality", "Statistical tests",
                                      "Performance and cost", "Where the numbers come from"};
  char *body = report_test_body(pdf);
  const char *at = body;
  for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
    const char *h = report_test_heading(body, at, (int)i + 1, order[i]);
    if (!h) {
      qa_test_fail(__FILE__, __LINE__, "section %zu \"%s\" missing or out of order", i + 1,
                   order[i]);
      continue;
    }
    at = h + 1;
  }
  report_test_squash(body);
  CHECK(body && !strstr(body, "Methods and caveats"));
  CHECK(body && !strstr(body, "Figure 1:"));
  CHECK(body && !strstr(body, "Executive summary"));
  CHECK_CONTAINS(body, "What we promised Our claims first. A second paragraph.");
  CHECK_CONTAINS(body, "3.1 What we found");
  /* Prose left out is left out: the default claims intro is gone. */
  CHECK(body && !strstr(body, "takes the weakest status over them"));
  /* The footer carries the author and the date (REPORT_EPOCH). */
  CHECK_CONTAINS(body, "ML Platform team, 2026-03-02");
  free(title);
  free(toc);
  free(body);
}

/* Parses a template expecting failure; returns the message (static). */
static const char *report_template_error(const char *text) {
  static qa_error err;
  rp_template *t = NULL;
  qa_error_clear(&err);
  if (rp_template_parse(text, "t/report.tmpl", &t, &err) == 0) {
    rp_template_free(t);
    return "(parsed without error)";
  }
  CHECK(t == NULL);
  CHECK_INT(err.code, QA_EXIT_USAGE);
  return err.msg;
}

/* Every section once, in default order, as a prefix for bad templates. */
static const char *ALL_SECTIONS =
  "[title_page]\n[contents]\n[summary]\n[disclosure]\n[claims]\n[decision]\n"
  "[representation]\n[per_class]\n[figures]\n[benchmark]\n[generation]\n[statistics]\n"
  "[performance]\n[methods]\n[provenance]\n";

QA_TEST(report_template_errors_name_file_and_line) {
  char text[2048];
  /* The minimal template parses: every title falls back to the built-in one. */
  rp_template *t = NULL;
  qa_error err = {0};
  CHECK_INT(rp_template_parse(ALL_SECTIONS, "t/report.tmpl", &t, &err), 0);
  CHECK_STR(rp_template_text(t, RP_SEC_CLAIMS, "title"), "Claim validation");
  CHECK(rp_template_text(t, RP_SEC_CLAIMS, "intro") == NULL);
  CHECK_INT((int)rp_template_count(t), RP_N_SECTIONS);
  rp_template_free(t);
  snprintf(text, sizeof text, "%s[claims]\n", ALL_SECTIONS);
  CHECK_STR(report_template_error(text), "t/report.tmpl:16: section [claims] appears twice");
  CHECK_STR(report_template_error("[title_page]\n[contents]\n[sumary]\n"),
            "t/report.tmpl:3: unknown section [sumary] (expected [page] or one of the report "
            "sections listed in docs/templates.md)");
  CHECK_STR(report_template_error("[contents]\n"),
            "t/report.tmpl:1: the first section must be [title_page], not [contents]");
  CHECK_STR(report_template_error("[title_page]\n[contents]\ntitle = Contents\n"),
            "t/report.tmpl:3: section [summary] is missing: list every section once, in "
            "report order (write include = no in it to leave an optional one out)");
  CHECK_STR(report_template_error("[title_page]\n[contents]\n[summary]\nintro = ok\ntitel = x\n"),
            "t/report.tmpl:5: unknown key \"titel\" in [summary] (expected include, new_page, "
            "title, intro, findings_title, disagree_title, evidence_title)");
  snprintf(text, sizeof text, "%sinclude = no\n", ALL_SECTIONS);
  CHECK_STR(report_template_error(text),
            "t/report.tmpl:16: [provenance] cannot be left out (include = no): the title page, "
            "contents and provenance appendix are part of every report");
  snprintf(text, sizeof text, "[title_page]\n[contents]\n[summary]\ninclude = maybe\n");
  CHECK_STR(report_template_error(text),
            "t/report.tmpl:4: include must be yes or no, not \"maybe\"");
  CHECK_STR(report_template_error("[page]\nheader = {titel}\n"),
            "t/report.tmpl:2: unknown placeholder \"{titel}\" (expected {title}, {subtitle}, "
            "{author}, {date} or {version})");
  CHECK_STR(report_template_error("  indented\n"),
            "t/report.tmpl:1: indented line outside a value (only the lines after \"key =\" "
            "may be indented)");
  CHECK_STR(report_template_error("title = x\n"),
            "t/report.tmpl:1: \"title\" comes before any [section]");
  CHECK_STR(report_template_error("[title_page]\nnote\n"),
            "t/report.tmpl:2: expected \"key = value\", \"[section]\", a comment (#) or an "
            "indented continuation line");
  CHECK_STR(report_template_error("[title_page]\n[contents]\ntitle =\n"),
            "t/report.tmpl:3: title must not be empty");
  CHECK_STR(report_template_error("[title_page]\nnote = caf\xC3\n"),
            "t/report.tmpl:2: not valid UTF-8 text (or a control character)");
  CHECK_STR(report_template_error("[title_page]\n[contents]\ntitle = a\ntitle = b\n"),
            "t/report.tmpl:4: key \"title\" appears twice in [contents]");
}

QA_TEST(report_template_folder_defaults_beside_the_fonts) {
  char dir[512];
  qa_report_opts opts = {"fonts", 0, NULL};
  qa_report_template_dir(NULL, &opts, dir, sizeof dir);
  CHECK_STR(dir, "templates");   /* the source tree, run from its root */
  opts.fonts_dir = "/usr/local/share/qaudit/fonts";
  qa_report_template_dir(NULL, &opts, dir, sizeof dir);
  CHECK_STR(dir, "/usr/local/share/qaudit/templates");
  opts.fonts_dir = "/opt/qa//fonts/";
  qa_report_template_dir(NULL, &opts, dir, sizeof dir);
  CHECK_STR(dir, "/opt/qa/templates");
  /* The configuration's "template" wins, resolved against its folder. */
  qa_config *cfg = NULL;
  qa_error err = {0};
  char config[4096];
  snprintf(config, sizeof config, "{\"template\": \"brand\",%s", REPORT_CONFIG + 1);
  CHECK_INT(qa_config_parse(config, "studies/x/config.json", &cfg, &err), 0);
  qa_report_template_dir(cfg, &opts, dir, sizeof dir);
  CHECK_STR(dir, "studies/x/brand");
  /* The shipped default template parses. */
  opts.fonts_dir = "fonts";
  CHECK_INT(qa_report_check_template(NULL, &opts, &err), 0);
  /* A folder without report.tmpl: one line naming the file. */
  CHECK_INT(qa_report_check_template(cfg, &opts, &err), -1);
  CHECK_INT(err.code, QA_EXIT_USAGE);
  CHECK_STR(err.msg, "studies/x/brand/report.tmpl: cannot read the report template: "
                     "No such file or directory");
  qa_config_free(cfg);
}

/* The rows a capped table keeps: the lowest worst deltas, ties to the
** earlier row, returned in row order (worked by hand). */
QA_TEST(report_pick_worst_rows) {
  const double worst[7] = {-1.0, -5.0, 2.0, -5.0, INFINITY, -3.0, -1.0};
  size_t idx[7];
  /* Lowest three: -5 (row 1), -5 (row 3), -3 (row 5). */
  CHECK_INT((long)rp_pick_worst_rows(worst, 7, 3, idx), 3);
  CHECK_INT((long)idx[0], 1);
  CHECK_INT((long)idx[1], 3);
  CHECK_INT((long)idx[2], 5);
  /* Four: the tie at -1 goes to the earlier row 0, not row 6. */
  CHECK_INT((long)rp_pick_worst_rows(worst, 7, 4, idx), 4);
  CHECK_INT((long)idx[0], 0);
  CHECK_INT((long)idx[3], 5);
  /* All fit: every row, in order. */
  CHECK_INT((long)rp_pick_worst_rows(worst, 7, 60, idx), 7);
  for (size_t i = 0; i < 7; i++) CHECK_INT((long)idx[i], (long)i);
}

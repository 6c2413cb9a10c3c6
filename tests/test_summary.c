/*
** Tests of the executive summary's wording (src/report/report_summary.c)
** on crafted results trees: each study below is a few hand-written
** variants whose numbers force one finding, rendered to a PDF and read back
** with poppler's pdftotext.  The sentences are asserted exactly, numbers
** included; each number's source is written beside it (the crafted JSON,
** rounded as the report rounds, or a closed form of STATISTICS.md).
**   - a tier decided by the critical errors alone;
**   - a study with no benchmark: no benchmark, TOST, McNemar or Welch
**     sentence in the summary or the methods;
**   - a variant identical to its baseline: paired TOST p = 0, "equivalent";
**   - metrics that disagree in sign: kNN accuracy up, output accuracy down;
**   - a claim shown on its mean while samples lie on the wrong side;
**   - a declared caveat that bounds the paired results.
** Tests run from the repository root (fonts in ./fonts).
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input/config.h"
#include "report/report.h"

/* 2026-03-02 09:30:00 UTC (date -u -d @1772443800), as test_report.c. */
#define SUMMARY_EPOCH 1772443800LL

static const char *SUMMARY_CONFIG =
  "{\"title\": \"Summary test\", \"author\": \"qaudit tests\",\n"
  " \"models\": [{\"name\": \"enc\", \"baseline\": \"fp32\",\n"
  "   \"variants\": [{\"name\": \"fp32\", \"file\": \"fp32.h5\"},\n"
  "                  {\"name\": \"q8\", \"file\": \"q8.h5\"},\n"
  "                  {\"name\": \"q4\", \"file\": \"q4.h5\"}]}],\n"
  " \"deploy\": {\"vram_tiers_gb\": []}}\n";

/* The tiers every crafted study uses (INTERFACE.md section 3 defaults). */
#define SUMMARY_TIERS                                                              \
  "\"tiers\": [{\"name\": \"negligible\", \"max_drop_pp\": 3, \"max_drop_pct\": 3},"  \
  " {\"name\": \"acceptable\", \"max_drop_pp\": 5, \"max_drop_pct\": 8},"             \
  " {\"name\": \"concerning\", \"max_drop_pp\": 10, \"max_drop_pct\": 15},"           \
  " {\"name\": \"unacceptable\", \"max_drop_pp\": null, \"max_drop_pct\": null}],"    \
  " \"power\": {\"alpha\": 0.05, \"power\": 0.8},"

/* A results tree: header, tiers, the given top-level members (may be ""),
** and one model "enc" whose members and variants follow. */
static cJSON *summary_study(const char *top, const char *model, const char *variants) {
  char text[16384];
  snprintf(text, sizeof text,
           "{\"qaudit_version\": \"0.1.0\", \"generated\": \"2026-03-02T09:30:00Z\", "
           SUMMARY_TIERS "%s \"models\": [{\"name\": \"enc\", \"baseline\": \"fp32\", %s "
           "\"variants\": [%s]}]}", top, model, variants);
  cJSON *json = cJSON_Parse(text);
  if (!json) qa_test_fail(__FILE__, __LINE__, "crafted study does not parse: %.200s", text);
  return json;
}

/* Renders results, returns the whole text with whitespace squashed (NULL on
** failure; caller frees); layout = 1 keeps table rows on one line
** (pdftotext -layout). */
static char *summary_render_as(const cJSON *results, const char *name, int layout) {
  char path[1024], cmd[1400];
  qa_config *cfg = NULL;
  qa_error err = {0};
  if (qa_config_parse(SUMMARY_CONFIG, "tests/summary.config.json", &cfg, &err)) {
    qa_test_fail(__FILE__, __LINE__, "config: %s", err.msg);
    return NULL;
  }
  snprintf(path, sizeof path, "%s/%s.pdf", qa_test_tmpdir(), name);
  qa_report_opts opts = {"fonts", SUMMARY_EPOCH, NULL};
  int rc = qa_report_pdf(results, cfg, &opts, path, &err);
  qa_config_free(cfg);
  if (rc) {
    qa_test_fail(__FILE__, __LINE__, "qa_report_pdf: %s", err.msg);
    return NULL;
  }
  snprintf(cmd, sizeof cmd, "pdftotext %s-enc UTF-8 '%s' - 2>/dev/null",
           layout ? "-layout " : "", path);
  char *text = qa_test_command_output(cmd, NULL);
  /* Whitespace (line and page breaks) to single spaces. */
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

static char *summary_render(const cJSON *results, const char *name) {
  return summary_render_as(results, name, 0);
}

/* The part of text from the heading "N title " (after the table of
** contents, i.e. its last occurrence but one is skipped by searching from
** the body) to the next heading; caller frees. */
static char *summary_part(const char *text, const char *from, const char *to) {
  /* The contents page lists the headings too: the body's copy is the one
  ** followed by prose, the second occurrence. */
  const char *a = text ? strstr(text, from) : NULL;
  if (a) { const char *again = strstr(a + 1, from); if (again) a = again; }
  const char *b = a ? strstr(a, to) : NULL;
  if (!a || !b) {
    qa_test_fail(__FILE__, __LINE__, "no \"%s\" .. \"%s\" in the text", from, to);
    return NULL;
  }
  return strndup(a, (size_t)(b - a));
}

/* A variant with benchmark data (paired block included) and the given tier. */
#define BENCH_VARIANT(name, delta_pp, b, c, lo, hi, tost3, eq3, tier, extra)                   \
  "{\"name\": \"" name "\", \"is_baseline\": false, \"bench_signal\": \"benchmark\","          \
  " \"bench_delta_pp\": " #delta_pp ", \"tier\": \"" tier "\", " extra                          \
  " \"benchmark\": {\"n\": 400, \"delta_pp\": " #delta_pp ", \"welch_p\": 0.9,"                 \
  " \"mcnemar_p\": 1.0, \"mcnemar_b\": " #b ", \"mcnemar_c\": " #c ", \"tost_p\": 0.2,"         \
  " \"tost_margin_pp\": 3, \"equivalent\": false,"                                              \
  " \"paired\": {\"n\": 400, \"b\": " #b ", \"c\": " #c ", \"delta_pp\": " #delta_pp ","        \
  " \"ci95_pp\": [" #lo ", " #hi "], \"tost_margin_pp\": 3, \"tost_p\": " #tost3 ","            \
  " \"equivalent\": " #eq3 ", \"tost\": [{\"margin_pp\": 3, \"p\": " #tost3 ","                 \
  " \"equivalent\": " #eq3 "}]}}}"

#define BENCH_BASELINE                                                                          \
  "{\"name\": \"fp32\", \"is_baseline\": true, \"bench_signal\": \"benchmark\","               \
  " \"bench_delta_pp\": 0, \"tier\": \"negligible\", \"benchmark\": {\"n\": 400,"              \
  " \"accuracy\": 0.7, \"delta_pp\": 0, \"tost_margin_pp\": 3, \"paired\": {\"n\": 400,"        \
  " \"b\": 0, \"c\": 0, \"delta_pp\": 0, \"ci95_pp\": [0, 0], \"tost_margin_pp\": 3,"           \
  " \"tost_p\": null, \"equivalent\": null, \"tost\": [{\"margin_pp\": 3, \"p\": null,"         \
  " \"equivalent\": null}]}}}"

/* "outputs" with one failed critical-error check: 4 VETO predicted APPROVE, max 0. */
#define FAILED_CHECK                                                                            \
  "\"outputs\": {\"n\": 500, \"accuracy\": 0.9, \"critical_errors\": [{\"label\": \"VETO\","   \
  " \"predicted\": \"APPROVE\", \"count\": 4, \"max\": 0, \"pass\": false}]},"

QA_TEST(summary_tier_from_critical_errors_alone) {
  /* q8: benchmark -1.0 pp and generation -1.0 % are both negligible alone
  ** (thresholds 3 pp, 3 %), yet a failed check makes it unacceptable.  q4:
  ** benchmark -1.0 pp negligible, generation -4.0 % acceptable (3 < 4 <= 8):
  ** the worse of the two is acceptable, and only the failed check makes it
  ** unacceptable (STATISTICS.md "critical_errors"). */
  cJSON *json = summary_study(
      "", "\"sweet_spot\": null, \"cliff\": \"q8\",",
      BENCH_BASELINE ","
      BENCH_VARIANT("q8", -1.0, 6, 2, -2.3, 0.3, 0.001, true, "unacceptable",
                    FAILED_CHECK " \"gen_delta_pct\": -1.0,") ","
      BENCH_VARIANT("q4", -1.0, 6, 2, -2.3, 0.3, 0.001, true, "unacceptable",
                    FAILED_CHECK " \"gen_delta_pct\": -4.0,"));
  char *text = json ? summary_render(json, "summary_critical") : NULL;
  cJSON_Delete(json);
  char *part = summary_part(text, "1.2 Where the metrics disagree", "2 Disclosure checklist");
  CHECK_CONTAINS(part, "enc/q8: quality deltas alone would pass, but a failed critical-error "
                       "check (4 samples of class VETO predicted APPROVE, allowed 0) makes it "
                       "unacceptable.");
  CHECK_CONTAINS(part, "enc/q4: the benchmark alone (-1.0 pp) is negligible, generation alone "
                       "(-4.0 %) is acceptable; together they would make it acceptable, but it "
                       "is unacceptable through its failed critical-error check (4 samples of "
                       "class VETO predicted APPROVE, allowed 0).");
  /* The old wording called unacceptable "the worse" of negligible and acceptable. */
  CHECK(part && !strstr(part, "takes the worse"));
  /* No quantized variant is recommended (sweet_spot null, cliff q8). */
  CHECK_CONTAINS(text, "enc: no quantized variant stays negligible or acceptable; the first, "
                       "q8, is already (unacceptable: benchmark -1.0 pp (paired 95% CI [-2.3, "
                       "+0.3]), generation -1.0 %; fails a critical-error check).");
  free(part);
  free(text);
}

QA_TEST(summary_without_benchmark) {
  /* Representation and outputs only (as the digits example): no sentence
  ** about the benchmark, its TOST, McNemar or Welch in the summary, and no
  ** method that never ran. */
  cJSON *json = summary_study(
      "", "\"sweet_spot\": \"q8\", \"sweet_spot_noninf_p\": null, \"cliff\": null,",
      "{\"name\": \"fp32\", \"is_baseline\": true, \"bench_signal\": \"outputs\","
      " \"bench_signal_pp\": 0, \"tier\": \"negligible\","
      " \"outputs\": {\"n\": 500, \"accuracy\": 0.9}, \"representation\": {\"n\": 500,"
      " \"cosine\": {\"mean\": 1}, \"knn_accuracy\": 0.8, \"knn_accuracy_delta_pp\": 0}},"
      "{\"name\": \"q8\", \"is_baseline\": false, \"bench_signal\": \"outputs\","
      " \"bench_signal_pp\": -0.4, \"tier\": \"negligible\","
      " \"outputs\": {\"n\": 500, \"accuracy\": 0.896}, \"representation\": {\"n\": 500,"
      " \"cosine\": {\"mean\": 0.999}, \"knn_accuracy\": 0.8, \"knn_accuracy_delta_pp\": -0.2}}");
  char *text = json ? summary_render(json, "summary_no_bench") : NULL;
  cJSON_Delete(json);
  char *summary = summary_part(text, "1 Executive summary", "2 Disclosure checklist");
  char *methods = summary_part(text, "Statistical methods", "Caveats");
  /* The sweet spot's signal is the output accuracy (bench_signal_pp -0.4). */
  CHECK_CONTAINS(summary, "enc: the sweet spot, the recommended variant of lowest memory, is q8 "
                          "(negligible: output accuracy -0.4 pp). Every quantized variant stays "
                          "negligible or acceptable, so no cliff was reached.");
  static const char *const ABSENT[] = {"TOST", "McNemar", "Welch", "on the benchmark",
                                       "Power:", "non-inferiority"};
  for (size_t i = 0; i < sizeof ABSENT / sizeof *ABSENT; i++) {
    if (summary && strstr(summary, ABSENT[i]))
      qa_test_fail(__FILE__, __LINE__, "summary without benchmark says \"%s\"", ABSENT[i]);
    /* The methods name the per-class kNN McNemar of the representation;
    ** the benchmark's McNemar (on items) must not appear. */
    if (methods && strcmp(ABSENT[i], "McNemar") && strstr(methods, ABSENT[i]))
      qa_test_fail(__FILE__, __LINE__, "methods without benchmark say \"%s\"", ABSENT[i]);
  }
  CHECK(methods && !strstr(methods, "McNemar test of the items"));
  CHECK_CONTAINS(methods, "exact McNemar test on each sample's kNN verdict");
  CHECK_CONTAINS(methods, "Outputs: accuracy of the predictions with a 95% Wilson score interval");
  CHECK(methods && !strstr(methods, "Generation against the baseline"));
  CHECK(methods && !strstr(methods, "Adjacent variants"));
  free(summary);
  free(methods);
  free(text);
}

QA_TEST(summary_identical_variant_is_equivalent) {
  /* q8 answers every item as the baseline: b = c = 0, so d = 0 and s_d = 0;
  ** STATISTICS.md "paired": with s_d = 0 each one-sided p is 0 when the
  ** point lies strictly inside (-3 < 0 < 3 pp), so tost_p = 0 and the
  ** variant is equivalent; the interval is [0, 0]. */
  cJSON *json = summary_study(
      "", "\"sweet_spot\": \"q8\", \"sweet_spot_noninf_p\": 0, \"cliff\": null,",
      BENCH_BASELINE ","
      BENCH_VARIANT("q8", 0, 0, 0, 0, 0, 0, true, "negligible", ""));
  char *text = json ? summary_render(json, "summary_identical") : NULL;
  char *rows = json ? summary_render_as(json, "summary_identical_rows", 1) : NULL;
  cJSON_Delete(json);
  char *summary = summary_part(text, "1 Executive summary", "2 Disclosure checklist");
  CHECK_CONTAINS(summary, "is q8 (negligible: benchmark 0.0 pp (paired 95% CI [0.0, 0.0])).");
  CHECK_CONTAINS(summary, "Its paired non-inferiority test at the acceptable margin (a drop of "
                          "at most 5.0 pp) gives p < 0.001: the benchmark shows its drop "
                          "smaller than the margin.");
  CHECK_CONTAINS(summary, "Every quantized variant in the negligible tier with benchmark data "
                          "(1) is confirmed equivalent to its baseline by the paired TOST on "
                          "the benchmark at \xC2\xB1" "3 pp.");
  CHECK(summary && !strstr(summary, "not confirmed"));
  CHECK_CONTAINS(text, "Every quantized variant in the negligible tier is confirmed equivalent "
                       "by the paired TOST at \xC2\xB1" "3 pp.");
  /* The stats table: paired CI [0.0, 0.0], b / c 0 / 0, McNemar 1.00,
  ** paired TOST p 0 -> "<0.001", equivalent; Welch p 0.9 and its TOST 0.2
  ** as crafted. */
  /* (pdftotext may join "0 / 0" into "0/0": the b / c cell is left out.) */
  CHECK_CONTAINS(rows, "q8 0.0 [0.0, 0.0] 0");
  CHECK_CONTAINS(rows, "0 1.00 <0.001 yes 0.900 0.200 negligible");
  free(rows);
  free(summary);
  free(text);
}

QA_TEST(summary_metrics_disagree_in_sign) {
  /* The digits example's int2 (examples/digits, report.json): kNN accuracy
  ** delta +0.4172 pp, output accuracy 0.97079 -> 0.92350, bench_signal_pp
  ** 100 (0.9235049 - 0.9707928) = -4.7288 pp.  Alone, +0.4 is negligible and
  ** -4.7 acceptable (3 < 4.7 <= 5). */
  cJSON *json = summary_study(
      "", "\"sweet_spot\": \"q8\", \"cliff\": null,",
      "{\"name\": \"fp32\", \"is_baseline\": true, \"bench_signal\": \"outputs\","
      " \"bench_signal_pp\": 0, \"tier\": \"negligible\","
      " \"outputs\": {\"n\": 719, \"accuracy\": 0.9707927677329624},"
      " \"representation\": {\"n\": 719, \"cosine\": {\"mean\": 1}, \"knn_accuracy\": 0.95,"
      " \"knn_accuracy_delta_pp\": 0}},"
      "{\"name\": \"q8\", \"is_baseline\": false, \"bench_signal\": \"outputs\","
      " \"bench_signal_pp\": -4.728789986091786, \"tier\": \"acceptable\","
      " \"outputs\": {\"n\": 719, \"accuracy\": 0.9235048678720446},"
      " \"representation\": {\"n\": 719, \"cosine\": {\"mean\": 0.9761170008286102},"
      " \"knn_accuracy\": 0.954, \"knn_accuracy_delta_pp\": 0.4172461752433909}}");
  char *text = json ? summary_render(json, "summary_sign") : NULL;
  cJSON_Delete(json);
  char *part = summary_part(text, "1.2 Where the metrics disagree", "2 Disclosure checklist");
  CHECK_CONTAINS(part, "enc/q8: kNN accuracy on the hidden states moves +0.4 pp (negligible "
                       "alone) while output accuracy moves -4.7 pp (acceptable alone): they "
                       "point in opposite directions, so the neighbourhoods of the "
                       "representation do not show what the predictions lose or gain.");
  CHECK(part && !strstr(part, "Nowhere"));
  free(part);
  free(text);
}

QA_TEST(summary_cosine_claim_carries_the_fraction) {
  /* A cosine claim demonstrated on its mean (the showcase's C4, evidence as
  ** claims.c writes it: 585 of 2000 samples below 0.95) is quoted with its
  ** fraction; a claim whose evidence counts 0 samples is not. */
  cJSON *json = summary_study(
      "\"claims\": [{\"id\": \"C4\", \"text\": \"q8 keeps cosine above 0.95\","
      " \"status\": \"demonstrated\", \"evidence\": \"cosine_mean 0.9544, 95% t-interval "
      "[0.9533, 0.9555], claimed >= 0.95; 585 of 2000 samples (29%) below 0.95\"},"
      " {\"id\": \"C5\", \"text\": \"q8 keeps cosine above 0.5\", \"status\": \"demonstrated\","
      " \"evidence\": \"cosine_mean 0.9544, claimed >= 0.5; 0 of 2000 samples (0%) below 0.5\"}],",
      "\"sweet_spot\": \"q8\", \"cliff\": null,",
      BENCH_BASELINE "," BENCH_VARIANT("q8", 0, 0, 0, 0, 0, 0, true, "negligible", ""));
  char *text = json ? summary_render(json, "summary_cosine") : NULL;
  cJSON_Delete(json);
  char *summary = summary_part(text, "1 Executive summary", "2 Disclosure checklist");
  CHECK_CONTAINS(summary, "Claims: 2 demonstrated, 0 demonstrated on the point estimate only, 0 "
                          "inconclusive, 0 not supported. C4 (\"q8 keeps cosine above 0.95\") is "
                          "demonstrated on its mean, not on every sample: cosine_mean 0.9544, 95% "
                          "t-interval [0.9533, 0.9555], claimed >= 0.95; 585 of 2000 samples "
                          "(29%) below 0.95.");
  CHECK(summary && !strstr(summary, "C5 ("));
  free(summary);
  free(text);
}

QA_TEST(summary_declared_caveat_bounds_paired_results) {
  /* A declared caveat (disclosure.caveats -> res.caveats) comes before the
  ** findings, and one line before the paired-against-unpaired lines says it
  ** applies to them.
  ** q8: McNemar p 0.01 < 0.05 while Welch p 0.9 is not (rp_mcnemar_welch_
  ** disagreements; b = 10, c = 1, delta -2.25 pp = (1 - 10)/400). */
  cJSON *json = summary_study(
      "\"caveats\": \"Simulated pairing.\",", "\"sweet_spot\": \"q8\", \"cliff\": null,",
      BENCH_BASELINE ","
      "{\"name\": \"q8\", \"is_baseline\": false, \"bench_signal\": \"benchmark\","
      " \"bench_delta_pp\": -2.25, \"tier\": \"negligible\", \"benchmark\": {\"n\": 400,"
      " \"delta_pp\": -2.25, \"welch_p\": 0.9, \"mcnemar_p\": 0.01, \"mcnemar_b\": 10,"
      " \"mcnemar_c\": 1, \"paired\": {\"n\": 400, \"b\": 10, \"c\": 1, \"delta_pp\": -2.25,"
      " \"ci95_pp\": [-3.8, -0.7], \"tost_margin_pp\": 3, \"tost_p\": 0.17,"
      " \"equivalent\": false, \"tost\": [{\"margin_pp\": 3, \"p\": 0.17,"
      " \"equivalent\": false}]}}}");
  char *text = json ? summary_render(json, "summary_caveat") : NULL;
  cJSON_Delete(json);
  char *summary = summary_part(text, "1 Executive summary", "2 Disclosure checklist");
  CHECK_CONTAINS(summary, "Caveat declared by the study: Simulated pairing. 1.1 Key findings");
  CHECK_CONTAINS(summary, "The 1 paired result below rests on the pairing the study's declared "
                          "caveat describes (above): it is not the study's own evidence. \xE2\x80\xA2 "
                          "enc/q8: the paired McNemar test (p = 0.0100; 10 items lost, 1 gained) "
                          "detects the -2.2 pp change that the unpaired Welch test (p = 0.900) "
                          "does not; pairing by item removes the between-item variance.");
  CHECK_CONTAINS(summary, "1 of 1 quantized variant in the negligible tier with benchmark data is "
                          "not confirmed equivalent by the paired TOST on the benchmark at "
                          "\xC2\xB1" "3 pp; \"negligible\" there means a small point estimate, "
                          "not demonstrated equivalence.");
  char *methods = summary_part(text, "Caveats", "Not measured");
  CHECK_CONTAINS(methods, "Declared by the study: Simulated pairing.");
  free(methods);
  free(summary);
  free(text);
}

/*
** Tests of the token-level outputs in the report and the figures
** (src/report/report_tokens.c, the token sentences of the summary and the
** methods, the [tokens] template block, src/figures/figures_tokens.c).
**
** The results tree below is built by hand: one model "tinylm" with the
** baseline fp16 and the variants q8 and q4, 20,000 positions in 40
** documents, three slices.  Its numbers were chosen by hand and made
** consistent where the report could show a disagreement: ppl_ratio =
** exp(ln_ppl_ratio), ppl = ppl_base · ppl_ratio, every interval = mean ±
** z(0.975) · se_doc with z = 1.959963984540054 (ppl_ratio's: exp of the ln
** ratio's), the slices' n summing to n and their kld_mean weighted by n to
** the variant's kld_mean (q4: (12000 · 0.013 + 6000 · 0.104 + 2000 · 0.02)
** / 20000 = 0.041), all computed with Python 3 math.  Expected strings are
** those numbers rounded as the report rounds them.  The PDF is read back
** with poppler's pdftotext.  Tests run from the repository root (fonts/,
** templates/).
*/
#include "harness.h"

#include <cairo.h>
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"
#include "input/config.h"
#include "report/report.h"
#include "report/report_internal.h"
#include "results/results.h"

/* 2026-03-02 09:30:00 UTC, the tree's "generated" date. */
#define TOK_EPOCH 1772443800LL

static const char *TOK_CONFIG =
  "{\"title\": \"Token audit: tinylm\",\n"
  " \"models\": [{\"name\": \"tinylm\", \"baseline\": \"fp16\",\n"
  "   \"variants\": [{\"name\": \"fp16\", \"file\": \"caches/fp16.h5\"},\n"
  "                  {\"name\": \"q8\", \"file\": \"caches/q8.h5\"},\n"
  "                  {\"name\": \"q4\", \"file\": \"caches/q4.h5\"}]}]}\n";

/* A tokens object; the percentiles and Δp ladder are llama.cpp's own
** example output scaled by hand, the rest as the file header says. */
#define TOK_LADDER(kmax, k999, k99, k95, k90, kmed, k10, k05, k01, k001, kmin) \
  "\"max\": " #kmax ", \"p99_9\": " #k999 ", \"p99\": " #k99 ", \"p95\": " #k95 ", \"p90\": " \
  #k90 ", \"median\": " #kmed ", \"p10\": " #k10 ", \"p05\": " #k05 ", \"p01\": " #k01     \
  ", \"p00_1\": " #k001 ", \"min\": " #kmin

static const char *TOK_RESULTS =
  "{\"qaudit_version\": \"0.1.0\", \"generated\": \"2026-03-02T09:30:00Z\",\n"
  " \"tiers\": [{\"name\": \"negligible\", \"max_drop_pp\": 1}, {\"name\": \"acceptable\", "
  "\"max_drop_pp\": 3}, {\"name\": \"unacceptable\"}],\n"
  " \"models\": [{\"name\": \"tinylm\", \"baseline\": \"fp16\", \"variants\": [\n"
  "  {\"name\": \"fp16\", \"is_baseline\": true, \"tier\": \"negligible\", \"tokens\": {\n"
  "    \"n\": 20000, \"docs\": 40, \"vocab\": 32000, \"ppl\": 12.5, \"ppl_unc\": 0.11,\n"
  "    \"ppl_base\": 12.5, \"ppl_base_unc\": 0.11, \"ln_ppl_ratio\": 0, \"ln_ppl_ratio_se\": 0,\n"
  "    \"ln_ppl_ratio_se_doc\": 0, \"ppl_ratio\": 1, \"ppl_ratio_se\": 0, \"ppl_diff\": 0,\n"
  "    \"ppl_diff_se\": 0, \"cor_ln_ppl\": 1,\n"
  "    \"kld\": {\"mean\": 0, \"se\": 0, \"se_doc\": 0, " TOK_LADDER(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) "},\n"
  "    \"dp\": {\"mean\": 0, \"se\": 0, \"max\": 0, \"p99_9\": 0, \"p99\": 0, \"p95\": 0, \"p90\": 0,\n"
  "            \"p75\": 0, \"median\": 0, \"p25\": 0, \"p10\": 0, \"p05\": 0, \"p01\": 0, "
  "\"p00_1\": 0, \"min\": 0},\n"
  "    \"rms_dp\": 0, \"rms_dp_se\": null, \"same_top\": 1, \"same_top_se\": 0, "
  "\"same_top_se_doc\": 0,\n"
  "    \"kld_ci95\": [0, 0], \"ln_ppl_ratio_ci95\": [0, 0], \"ppl_ratio_ci95\": [1, 1], "
  "\"same_top_ci95\": [1, 1],\n"
  "    \"worst_slice\": null, \"slices\": [\n"
  "      {\"slice\": \"prose\", \"n\": 12000, \"kld_mean\": 0, \"kld_se_doc\": 0, \"kld_p99\": 0, "
  "\"same_top\": 1, \"ln_ppl_ratio\": 0, \"ln_ppl_ratio_se_doc\": 0},\n"
  "      {\"slice\": \"code\", \"n\": 6000, \"kld_mean\": 0, \"kld_se_doc\": 0, \"kld_p99\": 0, "
  "\"same_top\": 1, \"ln_ppl_ratio\": 0, \"ln_ppl_ratio_se_doc\": 0},\n"
  "      {\"slice\": \"math\", \"n\": 2000, \"kld_mean\": 0, \"kld_se_doc\": 0, \"kld_p99\": 0, "
  "\"same_top\": 1, \"ln_ppl_ratio\": 0, \"ln_ppl_ratio_se_doc\": 0}]}},\n"
  "  {\"name\": \"q8\", \"is_baseline\": false, \"tier\": \"negligible\", \"tokens\": {\n"
  "    \"n\": 20000, \"docs\": 40, \"vocab\": 32000, \"ppl\": 12.5526, \"ppl_unc\": 0.111,\n"
  "    \"ppl_base\": 12.5, \"ppl_base_unc\": 0.11, \"ln_ppl_ratio\": 0.0042, "
  "\"ln_ppl_ratio_se\": 0.0006,\n"
  "    \"ln_ppl_ratio_se_doc\": 0.0011, \"ppl_ratio\": 1.0042088, \"ppl_ratio_se\": 0.00060253,\n"
  "    \"ppl_diff\": 0.0526, \"ppl_diff_se\": 0.0075, \"cor_ln_ppl\": 0.9981,\n"
  "    \"kld\": {\"mean\": 0.0046, \"se\": 0.0002, \"se_doc\": 0.00044, "
  TOK_LADDER(1.32, 0.21, 0.061, 0.018, 0.011, 0.0021, 0.00011, 0.00004, 0.000003, 0, 0) "},\n"
  "    \"dp\": {\"mean\": -0.0006, \"se\": 0.00007, \"max\": 0.31, \"p99_9\": 0.12, \"p99\": 0.041,\n"
  "            \"p95\": 0.012, \"p90\": 0.006, \"p75\": 0.0011, \"median\": 0, \"p25\": -0.0015,\n"
  "            \"p10\": -0.0077, \"p05\": -0.014, \"p01\": -0.046, \"p00_1\": -0.15, "
  "\"min\": -0.38},\n"
  "    \"rms_dp\": 0.01631, \"rms_dp_se\": 0.00021, \"same_top\": 0.975, \"same_top_se\": 0.0011,\n"
  "    \"same_top_se_doc\": 0.0019,\n"
  "    \"kld_ci95\": [0.0037376, 0.0054624], \"ln_ppl_ratio_ci95\": [0.0020440, 0.0063560],\n"
  "    \"ppl_ratio_ci95\": [1.0020461, 1.0063762], \"same_top_ci95\": [0.9712761, 0.9787239],\n"
  "    \"worst_slice\": \"code\", \"slices\": [\n"
  "      {\"slice\": \"prose\", \"n\": 12000, \"kld_mean\": 0.0031, \"kld_se_doc\": 0.0004, "
  "\"kld_p99\": 0.044, \"same_top\": 0.981, \"ln_ppl_ratio\": 0.0029, "
  "\"ln_ppl_ratio_se_doc\": 0.0012},\n"
  "      {\"slice\": \"code\", \"n\": 6000, \"kld_mean\": 0.0079, \"kld_se_doc\": 0.0011, "
  "\"kld_p99\": 0.095, \"same_top\": 0.962, \"ln_ppl_ratio\": 0.0071, "
  "\"ln_ppl_ratio_se_doc\": 0.0024},\n"
  "      {\"slice\": \"math\", \"n\": 2000, \"kld_mean\": 0.0043, \"kld_se_doc\": null, "
  "\"kld_p99\": 0.052, \"same_top\": 0.978, \"ln_ppl_ratio\": 0.0036, "
  "\"ln_ppl_ratio_se_doc\": null}]}},\n"
  "  {\"name\": \"q4\", \"is_baseline\": false, \"tier\": \"acceptable\", \"tokens\": {\n"
  "    \"n\": 20000, \"docs\": 40, \"vocab\": 32000, \"ppl\": 13.1002, \"ppl_unc\": 0.12,\n"
  "    \"ppl_base\": 12.5, \"ppl_base_unc\": 0.11, \"ln_ppl_ratio\": 0.0469, "
  "\"ln_ppl_ratio_se\": 0.0021,\n"
  "    \"ln_ppl_ratio_se_doc\": 0.0034, \"ppl_ratio\": 1.0480172, \"ppl_ratio_se\": 0.0022008,\n"
  "    \"ppl_diff\": 0.6002, \"ppl_diff_se\": 0.031, \"cor_ln_ppl\": 0.9812,\n"
  "    \"kld\": {\"mean\": 0.041, \"se\": 0.0013, \"se_doc\": 0.0026, "
  TOK_LADDER(6.2635, 2.105, 0.93, 0.21, 0.11, 0.018, 0.0012, 0.0004, 0.00002, 0.000001, 0) "},\n"
  "    \"dp\": {\"mean\": -0.0049, \"se\": 0.0002, \"max\": 0.76214, \"p99_9\": 0.34735, "
  "\"p99\": 0.12665,\n"
  "            \"p95\": 0.04372, \"p90\": 0.02324, \"p75\": 0.00415, \"median\": -0.00001,\n"
  "            \"p25\": -0.00631, \"p10\": -0.03009, \"p05\": -0.05673, \"p01\": -0.14946,\n"
  "            \"p00_1\": -0.41, \"min\": -0.84283},\n"
  "    \"rms_dp\": 0.04932, \"rms_dp_se\": 0.00055, \"same_top\": 0.912, \"same_top_se\": 0.002,\n"
  "    \"same_top_se_doc\": 0.0035,\n"
  "    \"kld_ci95\": [0.0359041, 0.0460959], \"ln_ppl_ratio_ci95\": [0.0402361, 0.0535639],\n"
  "    \"ppl_ratio_ci95\": [1.0410566, 1.0550244], \"same_top_ci95\": [0.9051401, 0.9188599],\n"
  "    \"worst_slice\": \"code\", \"slices\": [\n"
  "      {\"slice\": \"prose\", \"n\": 12000, \"kld_mean\": 0.013, \"kld_se_doc\": 0.0015, "
  "\"kld_p99\": 0.41, \"same_top\": 0.935, \"ln_ppl_ratio\": 0.031, "
  "\"ln_ppl_ratio_se_doc\": 0.0033},\n"
  "      {\"slice\": \"code\", \"n\": 6000, \"kld_mean\": 0.104, \"kld_se_doc\": 0.0101, "
  "\"kld_p99\": 1.9, \"same_top\": 0.861, \"ln_ppl_ratio\": 0.092, "
  "\"ln_ppl_ratio_se_doc\": 0.0087},\n"
  "      {\"slice\": \"math\", \"n\": 2000, \"kld_mean\": 0.02, \"kld_se_doc\": 0.0052, "
  "\"kld_p99\": 0.35, \"same_top\": 0.9, \"ln_ppl_ratio\": 0.041, "
  "\"ln_ppl_ratio_se_doc\": 0.011}]}}]}]}\n";

static cJSON *tok_tree(void) {
  cJSON *j = cJSON_Parse(TOK_RESULTS);
  if (!j) qa_test_fail(__FILE__, __LINE__, "the hand-built results tree does not parse");
  return j;
}

/* Renders results into DIR/name.pdf with TOK_CONFIG; the path (static) or NULL. */
static const char *tok_render(const cJSON *results, const char *name) {
  static char path[1024];
  qa_config *cfg = NULL;
  qa_error err = {0};
  if (qa_config_parse(TOK_CONFIG, "tests/fixtures/tokens.config.json", &cfg, &err)) {
    qa_test_fail(__FILE__, __LINE__, "config: %s", err.msg);
    return NULL;
  }
  snprintf(path, sizeof path, "%s/%s.pdf", qa_test_tmpdir(), name);
  qa_report_opts opts = {"fonts", TOK_EPOCH, NULL};
  int rc = qa_report_pdf(results, cfg, &opts, path, &err);
  qa_config_free(cfg);
  if (rc) {
    qa_test_fail(__FILE__, __LINE__, "qa_report_pdf: %s", err.msg);
    return NULL;
  }
  return path;
}

/* The whole text of a PDF, whitespace collapsed to single spaces. */
static char *tok_pdf_text(const char *pdf) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 '%s' - 2>/dev/null", pdf);
  char *s = qa_test_command_output(cmd, NULL);
  char *o = s;
  int space = 0;
  for (char *p = s; p && *p; p++) {
    if (*p == ' ' || *p == '\n' || *p == '\f' || *p == '\t' || *p == '\r') { space = 1; continue; }
    if (space && o != s) *o++ = ' ';
    space = 0;
    *o++ = *p;
  }
  if (o) *o = '\0';
  return s;
}

/* pdftotext -layout of a PDF, runs of spaces collapsed to one (lines
** kept): table rows read as rows, a cell's second line on the next. */
static char *tok_pdf_layout(const char *pdf) {
  char cmd[1200];
  snprintf(cmd, sizeof cmd, "pdftotext -layout -enc UTF-8 '%s' - 2>/dev/null", pdf);
  char *s = qa_test_command_output(cmd, NULL);
  char *o = s;
  for (char *p = s; p && *p; p++) {
    if (*p == ' ' && o > s && o[-1] == ' ') continue;
    *o++ = *p;
  }
  if (o) *o = '\0';
  return s;
}

QA_TEST(report_tokens_section_tables) {
  cJSON *json = tok_tree();
  const char *pdf = json ? tok_render(json, "tokens") : NULL;
  cJSON_Delete(json);
  if (!pdf) return;
  char *text = tok_pdf_text(pdf), *rows = tok_pdf_layout(pdf);
  /* The fixture has token data only: the sections without data are left
  ** out, so tokens follow the decision matrix (3) and the methods follow
  ** them (no figures are rendered in this test). */
  CHECK_CONTAINS(text, "3 Decision matrix");
  CHECK_CONTAINS(text, "4 Token-level outputs");
  CHECK_CONTAINS(text, "5 Methods and caveats");
  CHECK(text && strstr(text, "Per-class breakdown") > strstr(text, "5 Methods and caveats"));
  /* The headline table: the caption gives the positions (every variant's);
  ** the baseline row only its own PPL (± 0.11 -> 2 decimals).  q4: PPL
  ** 13.1002 ± 0.12; the ratio to 4 decimals (its se 0.0022 has two
  ** significant digits there) with exp(0.0469 ± z · 0.0034) = [1.0411,
  ** 1.0550]; mean KLD 0.041 to three significant digits with 0.041 ± z ·
  ** 0.0026 = [0.0359, 0.0461]; p99, p99.9, max (4 decimals); same top
  ** 91.20 ± 0.20 (at most 2 decimals);
  ** RMS Δp 4.93 % (two decimals in this narrow column).  A cell's second
  ** line is on the next line. */
  CHECK_CONTAINS(text, "tinylm: next-token outputs against fp16, 20,000 positions in 40 "
                       "documents, vocabulary 32,000");
  CHECK_CONTAINS(rows, "\n fp16 12.50 \xC2\xB1\n");
  CHECK_CONTAINS(rows, "\n q4 13.10 \xC2\xB1 1.0480 [1.0411, 0.0410 [0.0359, 0.9300 2.1050 6.2635 "
                       "91.20 \xC2\xB1 4.93\n 0.12 1.0550] 0.0461] 0.20\n");
  /* q8: ratio se 0.00060 -> 5 decimals; KLD 0.0046 -> 0.00460, its
  ** interval [0.0037376, 0.0054624] -> [0.00374, 0.00546]. */
  CHECK_CONTAINS(rows, "\n q8 12.55 \xC2\xB1 1.00421 [1.00205, 0.00460 [0.00374, 0.0610 0.2100 "
                       "1.3200 97.50 \xC2\xB1 1.63\n");
  /* The ladder, in llama.cpp's order, one column per variant. */
  CHECK_CONTAINS(text, "the KLD and token-probability ladder against fp16, as llama.cpp prints it");
  CHECK_CONTAINS(rows, "\n Statistic q8 q4\n");
  CHECK_CONTAINS(rows, "\n Cor(ln PPL(Q), ln PPL(base)) (%) 99.81 98.12\n");
  CHECK_CONTAINS(rows, "\n Mean ln(PPL(Q) / PPL(base)) +0.00420 \xC2\xB1 0.00060 +0.0469 \xC2\xB1 "
                       "0.0021\n");
  CHECK_CONTAINS(rows, "\n KLD 99.9 % 0.2100 2.1050\n");
  CHECK_CONTAINS(rows, "\n KLD 1.0 % 3.0e-06 2.0e-05\n");
  CHECK_CONTAINS(rows, "\n \xCE\x94p 99.9 % +12.000 +34.735\n");
  CHECK_CONTAINS(rows, "\n \xCE\x94p minimum -38.000 -84.283\n");
  CHECK_CONTAINS(rows, "\n Same top p 97.50 \xC2\xB1 0.11 91.20 \xC2\xB1 0.20\n");
  /* By slice: each slice's name on its first row; q4's code with ± se_doc,
  ** p99, same top, ln ratio ± se_doc; q8's math has one document (se_doc
  ** null). */
  CHECK_CONTAINS(text, "tinylm: token-level outputs by slice against fp16");
  CHECK_CONTAINS(rows, "\n code q8 6,000 0.0079 \xC2\xB1 0.0011 0.0950 96.20 +0.0071 \xC2\xB1 0.0024\n");
  CHECK_CONTAINS(rows, "\n q4 6,000 0.104 \xC2\xB1 0.010 1.9000 86.10 +0.0920 \xC2\xB1 0.0087\n");
  CHECK_CONTAINS(rows, "\n math q8 2,000 0.0043 \xC2\xB1 " RP_DASH " 0.0520 97.80 +0.0036 \xC2\xB1 "
                       RP_DASH "\n");
  CHECK_CONTAINS(text, "Amber: the slice of highest mean KLD of each variant");
  free(text);
  free(rows);
}

QA_TEST(report_tokens_summary_and_methods) {
  cJSON *json = tok_tree();
  const char *pdf = json ? tok_render(json, "tokens_summary") : NULL;
  cJSON_Delete(json);
  if (!pdf) return;
  char *text = tok_pdf_text(pdf);
  CHECK_CONTAINS(text, "tinylm, next-token outputs against fp16 (20,000 positions in 40 "
                       "documents): q8: PPL ratio 1.00421 [1.00205, 1.00638]");
  CHECK_CONTAINS(text, "q4: PPL ratio 1.0480 [1.0411, 1.0550], mean KLD 0.0410 [0.0359, 0.0461] "
                       "nats, same top 91.20 %; worst slice code (mean KLD 0.104); 1 % of "
                       "positions above 0.9300 nats (p99).");
  /* se_doc / se: q8 0.00044 / 0.0002 = 2.20 and 0.0011 / 0.0006 = 1.83;
  ** q4 0.0026 / 0.0013 = 2.00 and 0.0034 / 0.0021 = 1.62. */
  /* (The paragraph may break across a page: its two halves.) */
  CHECK_CONTAINS(text, "Here se_doc/se is, at q8, 2.20 for mean KLD and 1.83 for the ln PPL "
                       "ratio; at q4, 2.00 for mean KLD and");
  CHECK_CONTAINS(text, "1.62 for the ln PPL ratio. The naive \xC2\xB1 understates the uncertainty "
                       "of every variant here, and the clustered intervals are wider by these "
                       "factors.");
  CHECK_CONTAINS(text, "stores the baseline's log-probabilities in 16 bits and skips entries "
                       "below \xE2\x88\x92" "16");
  CHECK_CONTAINS(text, "tinylm, token-level: 20,000 positions in 40 documents, vocabulary of "
                       "32,000; 3 slices (prose 12,000, code 6,000, math 2,000).");
  free(text);
}

QA_TEST(report_tokens_finding_is_the_numbers) {
  cJSON *json = tok_tree();
  if (!json) return;
  rp_ctx c = {0};
  c.res = json;
  c.models = rp_arr(json, "models");
  rp_list l = {0};
  rp_tokens_finding(&c, cJSON_GetArrayItem(c.models, 0), &l);
  CHECK_INT(l.n, 1);
  if (l.n)
    CHECK_STR(l.items[0],
              "tinylm, next-token outputs against fp16 (20,000 positions in 40 documents): "
              "q8: PPL ratio 1.00421 [1.00205, 1.00638], mean KLD 0.00460 [0.00374, 0.00546] nats, "
              "same top 97.50 %; worst slice code (mean KLD 0.00790); 1 % of positions above "
              "0.0610 nats (p99). q4: PPL ratio 1.0480 [1.0411, 1.0550], mean KLD 0.0410 "
              "[0.0359, 0.0461] nats, same top 91.20 %; worst slice code (mean KLD 0.104); "
              "1 % of positions above 0.9300 nats (p99).");
  rp_list_free(&l);
  /* One slice: no "worst slice"; no p99: no tail clause. */
  cJSON *q4 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(c.models, 0),
                                                     "variants"), 2);
  cJSON *tk = cJSON_GetObjectItem(q4, "tokens");
  cJSON *sl = cJSON_GetObjectItem(tk, "slices");
  cJSON_DeleteItemFromArray(sl, 2);
  cJSON_DeleteItemFromArray(sl, 1);
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(tk, "kld"), "p99", cJSON_CreateNull());
  rp_tokens_finding(&c, cJSON_GetArrayItem(c.models, 0), &l);
  if (l.n) {
    CHECK_CONTAINS(l.items[0], "q4: PPL ratio 1.0480 [1.0411, 1.0550], mean KLD 0.0410 "
                               "[0.0359, 0.0461] nats, same top 91.20 %.");
    CHECK(strstr(strstr(l.items[0], "q4:"), "worst") == NULL);
  }
  rp_list_free(&l);
  /* A model without tokens has no finding. */
  cJSON_DeleteItemFromObject(q4, "tokens");
  cJSON_DeleteItemFromObject(cJSON_GetArrayItem(cJSON_GetObjectItem(
      cJSON_GetArrayItem(c.models, 0), "variants"), 1), "tokens");
  rp_tokens_finding(&c, cJSON_GetArrayItem(c.models, 0), &l);
  CHECK_INT(l.n, 0);
  rp_list_free(&l);
  cJSON_Delete(json);
}

QA_TEST(report_tokens_method_gives_the_range_over_many_variants) {
  cJSON *json = tok_tree();
  if (!json) return;
  cJSON *vars = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "models"), 0),
                                    "variants");
  /* Three more copies of q4 with kld.se_doc 0.0039 (ratio 3.00): five
  ** variants, so the range: KLD 2.00 to 3.00, ln ratio 1.62 to 1.83. */
  for (int k = 0; k < 3; k++) {
    cJSON *copy = cJSON_Duplicate(cJSON_GetArrayItem(vars, 2), 1);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "tokens"), "kld"),
                              "se_doc", cJSON_CreateNumber(0.0039));
    cJSON_AddItemToArray(vars, copy);
  }
  rp_ctx c = {0};
  c.res = json;
  c.models = rp_arr(json, "models");
  rp_list l = {0};
  rp_tokens_method(&c, &l);
  CHECK_INT(l.n, 1);
  if (l.n)
    CHECK_CONTAINS(l.items[0], "Here, over the 5 variants, se_doc/se ranges from 2.00 to 3.00 "
                               "for mean KLD and from 1.62 to 1.83 for the ln PPL ratio. The "
                               "naive \xC2\xB1 understates");
  rp_list_free(&l);
  /* Ratios at or below 1.1 (se_doc = se for KLD, 0.9 se for ln ratio, as
  ** in a study whose positions are independent): no "wider" is claimed. */
  {
    cJSON *v;
    cJSON_ArrayForEach(v, vars) {
      cJSON *tk = cJSON_GetObjectItem(v, "tokens"), *kl = cJSON_GetObjectItem(tk, "kld");
      cJSON_ReplaceItemInObject(kl, "se_doc", cJSON_CreateNumber(
          qa_json_get_num(kl, "se")));
      cJSON_ReplaceItemInObject(tk, "ln_ppl_ratio_se_doc", cJSON_CreateNumber(
          0.9 * qa_json_get_num(tk, "ln_ppl_ratio_se")));
    }
    rp_tokens_method(&c, &l);
    if (l.n) {
      CHECK_CONTAINS(l.items[0], "ranges from 1.00 to 1.00 for mean KLD and from 0.90 to 0.90 "
                                 "for the ln PPL ratio. Here the positions of a document behave "
                                 "about as if independent");
      CHECK(strstr(l.items[0], "wider") == NULL);
    }
    rp_list_free(&l);
  }
  /* One document everywhere: no clustered error exists (se_doc null). */
  cJSON *v;
  cJSON_ArrayForEach(v, vars) {
    cJSON *tk = cJSON_GetObjectItem(v, "tokens");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(tk, "kld"), "se_doc", cJSON_CreateNull());
    cJSON_ReplaceItemInObject(tk, "ln_ppl_ratio_se_doc", cJSON_CreateNull());
  }
  rp_tokens_method(&c, &l);
  if (l.n) CHECK_CONTAINS(l.items[0], "come from one document (no /tokens/doc)");
  rp_list_free(&l);
  /* Without tokens: nothing. */
  cJSON_ArrayForEach(v, vars) cJSON_DeleteItemFromObject(v, "tokens");
  rp_tokens_method(&c, &l);
  CHECK_INT(l.n, 0);
  rp_list_free(&l);
  cJSON_Delete(json);
}

QA_TEST(report_tokens_absent_leaves_the_section_out) {
  cJSON *json = tok_tree();
  if (!json) return;
  cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(json, "models"),
                                                               0), "variants"))
    cJSON_DeleteItemFromObject(v, "tokens");
  const char *pdf = tok_render(json, "no_tokens");
  cJSON_Delete(json);
  if (!pdf) return;
  char *text = tok_pdf_text(pdf);
  /* No section of that name; only the not-covered list names it. */
  CHECK(text && strstr(text, "4 Token-level outputs") == NULL);
  CHECK(text && strstr(text, "next-token") == NULL);
  CHECK_CONTAINS(text, "Token-level outputs (perplexity, KLD");
  free(text);
}

QA_TEST(report_tokens_template_block) {
  /* A template written before [tokens] existed still parses; the section
  ** follows [per_class], with its built-in title. */
  static const char *OLD =
    "[title_page]\n[contents]\n[summary]\n[disclosure]\n[claims]\n[decision]\n"
    "[representation]\n[per_class]\n[figures]\n[benchmark]\n[generation]\n[statistics]\n"
    "[performance]\n[methods]\n[provenance]\n";
  rp_template *t = NULL;
  qa_error err = {0};
  CHECK_INT(rp_template_parse(OLD, "t/report.tmpl", &t, &err), 0);
  if (t) {
    CHECK_INT((int)rp_template_count(t), RP_N_SECTIONS);
    CHECK_INT(rp_template_at(t, 7), RP_SEC_PER_CLASS);
    CHECK_INT(rp_template_at(t, 8), RP_SEC_DEPTH);     /* added later too (test_depth.c) */
    CHECK_INT(rp_template_at(t, 9), RP_SEC_TOKENS);
    CHECK_INT(rp_template_at(t, 10), RP_SEC_FIGURES);
    CHECK(rp_template_included(t, RP_SEC_TOKENS));
    CHECK_STR(rp_template_text(t, RP_SEC_TOKENS, "title"), "Token-level outputs");
    CHECK(rp_template_text(t, RP_SEC_TOKENS, "intro") == NULL);
  }
  rp_template_free(t);
  /* Listed elsewhere, renamed, with its prose keys, or left out. */
  static const char *MOVED =
    "[title_page]\n[contents]\n[summary]\n[disclosure]\n[claims]\n[decision]\n"
    "[representation]\n[per_class]\n[figures]\n[tokens]\ntitle = Perplexity and KLD\n"
    "ladder_intro = The ladder.\nslices_intro = By slice.\ninclude = no\n[benchmark]\n"
    "[generation]\n[statistics]\n[performance]\n[methods]\n[provenance]\n";
  t = NULL;
  CHECK_INT(rp_template_parse(MOVED, "t/report.tmpl", &t, &err), 0);
  if (t) {
    CHECK_INT(rp_template_at(t, 9), RP_SEC_FIGURES);
    CHECK_INT(rp_template_at(t, 10), RP_SEC_TOKENS);
    CHECK(!rp_template_included(t, RP_SEC_TOKENS));
    CHECK_STR(rp_template_text(t, RP_SEC_TOKENS, "title"), "Perplexity and KLD");
    CHECK_STR(rp_template_text(t, RP_SEC_TOKENS, "ladder_intro"), "The ladder.");
    CHECK_STR(rp_template_text(t, RP_SEC_TOKENS, "slices_intro"), "By slice.");
  }
  rp_template_free(t);
  /* The shipped default lists it, with an introduction. */
  t = NULL;
  CHECK_INT(rp_template_load("templates", &t, &err), 0);
  if (t) {
    CHECK_INT(rp_template_at(t, 9), RP_SEC_TOKENS);
    CHECK_CONTAINS(rp_template_text(t, RP_SEC_TOKENS, "intro"), "llama-perplexity");
  }
  rp_template_free(t);
}

/* ---- figures ---------------------------------------------------------- */

enum { TT = 4000, TV = 4, TS = 3 };

typedef struct tok_fake {
  qa_config cfg;
  qa_study study;
  qa_model model;
  qa_variant variants[TV];
  qa_cache cache;
  qa_analysis analysis;
  qa_variant_result *rows[1];
  qa_variant_result res[TV];
  qa_model_decision decision[1];
  double kld[TV][TT];
  qa_tokens_slice slices[TV][TS];
} tok_fake;

static int tok_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* R type 7 quantile of sorted x (STATISTICS.md "Token-level outputs"). */
static double tok_quantile(const double *x, size_t n, double q) {
  double h = (double)(n - 1) * q;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n) return x[n - 1];
  return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* Variants fp16 (baseline), q8, q4, q2 (the cliff); per-position KLD of
** variant v: scale[v] · (−ln u)² over a deterministic grid u, with an exact
** zero every 50th position; slices prose / code / math; with_slices 0
** leaves the slices out. */
static void tok_fake_init(tok_fake *f, int with_tokens, int with_slices) {
  static char *names[TV] = {"fp16", "q8", "q4", "q2"};
  static const char *slice_names[TS] = {"prose", "code", "math"};
  static const double scale[TV] = {0, 0.002, 0.02, 0.25}, ratio[TV] = {1, 1.0042, 1.048, 1.31};
  static const double slice_k[TS] = {0.6, 2.4, 1.1};
  memset(f, 0, sizeof *f);
  f->cfg.layer = "final";
  f->cfg.memory_unit = "GB";
  f->cfg.memory_unit_bytes = 1e9;
  for (int v = 0; v < TV; v++) {
    f->variants[v].name = names[v];
    f->variants[v].is_baseline = v == 0;
    f->variants[v].cache = &f->cache;
  }
  f->model = (qa_model){"tinylm", TV, f->variants, 0, 0};
  f->study = (qa_study){&f->cfg, 1, &f->model};
  f->rows[0] = f->res;
  f->analysis.study = &f->study;
  f->analysis.models = f->rows;
  f->decision[0] = (qa_model_decision){1, 3, NAN};
  f->analysis.model_decisions = f->decision;
  for (int v = 0; v < TV; v++) {
    qa_variant_result *r = &f->res[v];
    r->bench_signal = r->gen_signal = NAN;
    r->tier = v == 3 ? 2 : 0;
    if (!with_tokens) continue;
    qa_tokens_result *t = &r->tokens;
    t->present = 1;
    t->n = TT;
    t->docs = 40;
    t->vocab = 32000;
    for (int i = 0; i < TT; i++) {
      double u = (i + 0.5) / TT;
      f->kld[v][i] = i % 50 == 7 ? 0.0 : scale[v] * pow(-log(u), 2);
    }
    qsort(f->kld[v], TT, sizeof f->kld[v][0], tok_cmp);
    t->kld = f->kld[v];
    double sum = 0;
    for (int i = 0; i < TT; i++) sum += f->kld[v][i];
    t->kld_mean = sum / TT;
    t->kld_pct[0] = f->kld[v][TT - 1];
    t->kld_pct[1] = tok_quantile(f->kld[v], TT, 0.999);
    t->kld_pct[2] = tok_quantile(f->kld[v], TT, 0.99);
    t->ppl_ratio = ratio[v];
    t->ppl_ratio_se = 0.0006 + 0.01 * (ratio[v] - 1);
    t->ppl_ratio_ci_lo = ratio[v] - 2.2 * t->ppl_ratio_se;
    t->ppl_ratio_ci_hi = ratio[v] + 2.2 * t->ppl_ratio_se;
    t->worst_slice = SIZE_MAX;
    if (!with_slices) continue;
    t->n_slices = TS;
    t->slices = f->slices[v];
    for (int k = 0; k < TS; k++)
      f->slices[v][k] = (qa_tokens_slice){slice_names[k], (size_t)(TT / 4 * (k == 0 ? 2 : 1)),
                                          10, t->kld_mean * slice_k[k], NAN, NAN, NAN, NAN, NAN};
    t->worst_slice = v ? 1 : SIZE_MAX;     /* code, the largest slice_k */
  }
}

static double tok_ink(cairo_surface_t *s) {
  int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  const unsigned char *d = cairo_image_surface_get_data(s);
  size_t ink = 0, all = 0;
  for (int y = h / 5; y < h * 4 / 5; y++)
    for (int x = w / 5; x < w * 4 / 5; x++, all++)
      ink += (*(const uint32_t *)(d + (size_t)y * (size_t)stride + 4 * (size_t)x) & 0xFFFFFFu) !=
             0xFFFFFFu;
  return all ? (double)ink / (double)all : 0.0;
}

QA_TEST(figures_tokens_draw_their_pngs) {
  static tok_fake f;
  tok_fake_init(&f, 1, 1);
  qa_plot_fonts *fonts = NULL;
  qa_error err = {0};
  if (qa_plot_fonts_load("fonts", &fonts, &err)) {
    qa_test_fail(__FILE__, __LINE__, "fonts: %s", err.msg);
    return;
  }
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  static const struct { const char *name; qa_figure_fn fn; } CASES[] = {
    {"tok-kld", qa_figure_tok_kld}, {"tok-ppl", qa_figure_tok_ppl},
    {"tok-slices", qa_figure_tok_slices}};
  for (size_t k = 0; k < 3; k++) {
    char path[4096], why[512] = "";
    snprintf(path, sizeof path, "%s/%s.png", qa_test_tmpdir(), CASES[k].name);
    int rc = CASES[k].fn(&src, path, why, sizeof why, &err);
    if (rc != 0) {
      qa_test_fail(__FILE__, __LINE__, "%s: rc %d (%s%s)", CASES[k].name, rc, why, err.msg);
      continue;
    }
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    CHECK(cairo_surface_status(s) == CAIRO_STATUS_SUCCESS);
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
      CHECK_INT(cairo_image_surface_get_width(s), 1430);     /* 6.5 in at 220 dpi */
      CHECK(cairo_image_surface_get_height(s) > 200 && cairo_image_surface_get_height(s) < 2000);
      if (!(tok_ink(s) > 0.01))
        qa_test_fail(__FILE__, __LINE__, "%s: blank plot area", CASES[k].name);
    }
    cairo_surface_destroy(s);
    /* Figure 10: every 50th position has KLD 0 (80 of 4000), and q8's
    ** smallest values 0.002 · (−ln u)² fall below the axis' 10⁻⁶ too:
    ** u > exp(−sqrt(5e-4)) = 0.97789, the 88 grid points i >= 3912, one of
    ** them (i = 3957) a zero already: 80 + 87 = 167 of 4000 = 4.2 %. */
    if (k == 0) CHECK_CONTAINS(why, "Positions with KLD below 10\xE2\x81\xBB\xE2\x81\xB6 nats, the "
                                    "left end of the axis (exact zeros among them; at most 4.2 % "
                                    "of a variant's), are drawn on it.");
    else CHECK_STR(why, "");
  }
  /* Three variants in the forest: 15 pt rows, 18 + 45 + 6 + 30 + 8 = 107 pt
  ** -> 1.486 in -> 327 px. */
  char path[4096], why[512] = "";
  snprintf(path, sizeof path, "%s/tok-ppl.png", qa_test_tmpdir());
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  CHECK_INT(cairo_image_surface_get_height(s), 327);
  cairo_surface_destroy(s);
  /* Without slices: figure 12 says what would enable it. */
  tok_fake_init(&f, 1, 0);
  snprintf(path, sizeof path, "%s/tok-noslices.png", qa_test_tmpdir());
  CHECK_INT(qa_figure_tok_slices(&src, path, why, sizeof why, &err), 1);
  CHECK_CONTAINS(why, "tinylm has no variant besides its baseline with token slices "
                      "(/tokens/slice and /tokens/slice_names)");
  /* Without token data: not applicable, silently. */
  tok_fake_init(&f, 0, 0);
  why[0] = '\0';
  CHECK_INT(qa_figure_tok_kld(&src, path, why, sizeof why, &err), QA_FIG_NOT_APPLICABLE);
  CHECK_INT(qa_figure_tok_ppl(&src, path, why, sizeof why, &err), QA_FIG_NOT_APPLICABLE);
  CHECK_INT(qa_figure_tok_slices(&src, path, why, sizeof why, &err), QA_FIG_NOT_APPLICABLE);
  CHECK_STR(why, "");
  qa_plot_fonts_free(fonts);
}

QA_TEST(figures_tokens_in_the_list) {
  static tok_fake f;
  char dir[4096];
  qa_figure_list l;
  qa_error err = {0};
  /* A token-only study: figures 10-12 drawn, in order, after the
  ** (skipped) classification figures. */
  tok_fake_init(&f, 1, 1);
  snprintf(dir, sizeof dir, "%s/figs/tokens", qa_test_tmpdir());
  if (qa_figures_render_all(&f.study, &f.analysis, "fonts", dir, 2, &l, &err)) {
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
    return;
  }
  CHECK_INT(l.n, 3);
  static const char *const files[3] = {"fig10-tok-kld-tinylm.png", "fig11-tok-ppl.png",
                                       "fig12-tok-slices-tinylm.png"};
  for (size_t i = 0; i < l.n && i < 3; i++) {
    char want[4200];
    snprintf(want, sizeof want, "%s/%s", dir, files[i]);
    CHECK_STR(l.figs[i].path, want);
    CHECK_INT(l.figs[i].kind, QA_FIG_TOK_KLD + (int)i);
    size_t len = strlen(l.figs[i].caption);
    CHECK(len > 40 && l.figs[i].caption[len - 1] == '.');
  }
  if (l.n == 3) {
    CHECK_CONTAINS(l.figs[0].caption, "Per-token KL divergence of each variant of tinylm");
    CHECK_CONTAINS(l.figs[0].caption, "are drawn on it.");          /* the zeros' note */
    CHECK_CONTAINS(l.figs[1].caption, "the dashed line at 1 is the baseline");
    CHECK_CONTAINS(l.figs[2].caption, "each variant's worst slice is framed.");
  }
  for (size_t i = 0; i < l.n_skipped; i++)
    CHECK(l.skipped[i].kind < QA_FIG_TOK_KLD || l.skipped[i].kind == QA_FIG_CALIB ||
          l.skipped[i].kind == QA_FIG_OVERLAP);
  qa_figure_list_free(&l);
  /* Without token data none of them is drawn or listed as not drawn. */
  tok_fake_init(&f, 0, 0);
  snprintf(dir, sizeof dir, "%s/figs/no-tokens", qa_test_tmpdir());
  if (qa_figures_render_all(&f.study, &f.analysis, "fonts", dir, 2, &l, &err)) {
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
    return;
  }
  CHECK_INT(l.n, 0);
  CHECK_INT(l.n_skipped, QA_FIG_KL + 2);   /* and the reasons of figures 13 and 14 */
  for (size_t i = 0; i < l.n_skipped; i++)
    CHECK(l.skipped[i].kind < QA_FIG_TOK_KLD || l.skipped[i].kind == QA_FIG_CALIB ||
          l.skipped[i].kind == QA_FIG_OVERLAP);
  qa_figure_list_free(&l);
}

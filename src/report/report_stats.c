/*
** Statistical tests: adjacent-variant tests with Bonferroni and Holm over
** the whole family (Welch, unpaired as the source report used, beside the
** paired test, McNemar or paired t, with its own Holm), tests against the
** baseline (the paired difference with its 95% interval, McNemar, the
** paired TOST at every configured margin; Welch and its TOST labelled as
** the unpaired analysis), and power: what the sample sizes can detect, set
** against the tier thresholds.  Judgements (equivalence, marginal results)
** rest on the paired tests.  The caveats that follow are written here in
** words, with their numbers.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

static const cJSON *bench_of(const cJSON *v) {
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "benchmark");
  return cJSON_IsObject(b) ? b : NULL;
}

/* "enc: fp32 -> fp16", the model only when there are several. */
static void comparison_label(const rp_ctx *c, const cJSON *a, char *buf, size_t cap) {
  if (rp_n_models(c) > 1)
    snprintf(buf, cap, "%s: %s \xE2\x86\x92 %s", rp_str(a, "model"), rp_str(a, "higher"),
             rp_str(a, "lower"));
  else
    snprintf(buf, cap, "%s \xE2\x86\x92 %s", rp_str(a, "higher"), rp_str(a, "lower"));
}

/* One test; the comparison is named on the first row of its pair only. */
static void adjacent_row(const rp_ctx *c, qa_doc_table *t, const cJSON *a, int first) {
  rp_row r;
  double p = qa_json_get_num(a, "p");
  int sig = !isnan(p) && p < c->alpha;
  int bonf = rp_bool(a, "survives_bonferroni") == 1, holm = rp_bool(a, "survives_holm") == 1;
  rp_row_init(&r, 12);
  if (first)
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s \xE2\x86\x92 %s", rp_str(a, "higher"),
               rp_str(a, "lower"));
  rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", !strcmp(rp_str(a, "family"), "benchmark")
             ? "benchmark" : rp_str(a, "metric"));
  rp_fmt_int(r.cell[2], RP_CELL, qa_json_get_num(a, "n"));
  rp_row_fixed(&r, 3, qa_json_get_num(a, "mean_higher"), 3);
  rp_row_fixed(&r, 4, qa_json_get_num(a, "mean_lower"), 3);
  rp_row_fixed(&r, 5, qa_json_get_num(a, "d"), 3);
  rp_row_p(&r, 6, p);
  if (sig) r.style[6] = QA_CELL_BOLD;
  rp_row_p(&r, 7, qa_json_get_num(a, "p_bonferroni"));
  rp_row_p(&r, 8, qa_json_get_num(a, "p_holm"));
  if (!sig) rp_row_set(&r, 9, QA_CELL_MUTED, "not sig.");
  else if (bonf && holm) rp_row_set(&r, 9, QA_CELL_GOOD, "both");
  else if (holm) rp_row_set(&r, 9, QA_CELL_NORMAL, "Holm only");
  else if (bonf) rp_row_set(&r, 9, QA_CELL_NORMAL, "Bonferroni only");
  else rp_row_set(&r, 9, QA_CELL_WARN, "neither");
  double pp = qa_json_get_num(a, "p_paired"), pph = qa_json_get_num(a, "p_paired_holm");
  rp_row_p(&r, 10, pp);
  if (!isnan(pp) && pp < c->alpha) r.style[10] = QA_CELL_BOLD;
  rp_row_p(&r, 11, pph);
  if (!isnan(pph) && pph < c->alpha) r.style[11] = QA_CELL_GOOD;
  rp_row_emit(t, &r);
}

static void multiple_comparisons(const rp_ctx *c) {
  const cJSON *mc = cJSON_GetObjectItemCaseSensitive(c->res, "multiple_comparisons"), *a;
  rp_buf b = {0};
  rp_list lost = {0};
  if (!isnan(qa_json_get_num(mc, "m")))
    rp_printf(&b, "The family has m = %.0f tests; at alpha %.2g it expects %.1f false "
              "positives by chance (m \xC2\xB7 alpha). Of these tests %.0f are significant "
              "uncorrected, %.0f survive Bonferroni and %.0f survive Holm.",
              qa_json_get_num(mc, "m"), qa_json_get_num(mc, "alpha"),
              qa_json_get_num(mc, "expected_false_positives"),
              qa_json_get_num(mc, "significant"), qa_json_get_num(mc, "survive_bonferroni"),
              qa_json_get_num(mc, "survive_holm"));
  cJSON_ArrayForEach(a, rp_arr(c->res, "adjacent_tests")) {
    double p = qa_json_get_num(a, "p");
    if (isnan(p) || p >= c->alpha || rp_bool(a, "survives_holm") == 1) continue;
    char label[160], ps[RP_FMT], ph[RP_FMT];
    comparison_label(c, a, label, sizeof label);
    rp_fmt_p_text(ps, sizeof ps, p);
    rp_fmt_p(ph, sizeof ph, qa_json_get_num(a, "p_holm"));
    double pph = qa_json_get_num(a, "p_paired_holm");
    char pps[RP_FMT] = "";
    if (!isnan(pph)) {
      rp_fmt_p(pps, sizeof pps, pph);
      rp_list_add(&lost, "%s %s (Welch %s, Holm %s; paired Holm %s%s)", label,
                  !strcmp(rp_str(a, "family"), "benchmark") ? "benchmark" : rp_str(a, "metric"),
                  ps, ph, pps, pph < c->alpha ? ", significant" : ", not significant either");
    } else {
      rp_list_add(&lost, "%s %s (Welch %s, Holm %s)", label,
                  !strcmp(rp_str(a, "family"), "benchmark") ? "benchmark" : rp_str(a, "metric"),
                  ps, ph);
    }
  }
  if (lost.n) {
    rp_printf(&b, " Significant by the unpaired Welch test before correction but not after "
              "Holm: ");
    rp_join(&b, &lost);
    rp_printf(&b, ". A result is marginal only when the paired test after its Holm is not "
              "significant either.");
  }
  /* The paired family: how many survive its own Holm. */
  size_t n_paired = 0, n_paired_holm = 0;
  cJSON_ArrayForEach(a, rp_arr(c->res, "adjacent_tests")) {
    double pph = qa_json_get_num(a, "p_paired_holm");
    if (isnan(pph)) continue;
    n_paired++;
    n_paired_holm += pph < c->alpha;
  }
  if (n_paired)
    rp_printf(&b, " Of the %zu paired tests (McNemar for the benchmark, paired t for "
              "generation), %zu survive Holm over the paired family.", n_paired, n_paired_holm);
  if (b.len) qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
  rp_list_free(&lost);
}

static void adjacent_part(const rp_ctx *c) {
  static const qa_doc_col cols[] = {
    {"Comparison", 1.5, QA_ALIGN_LEFT}, {"Metric", 0.95, QA_ALIGN_LEFT},
    {"n", 0.5, QA_ALIGN_RIGHT}, {"Mean higher", 0.65, QA_ALIGN_RIGHT},
    {"Mean lower", 0.65, QA_ALIGN_RIGHT}, {"d", 0.6, QA_ALIGN_RIGHT},
    {"p", 0.75, QA_ALIGN_RIGHT}, {"p Bonf.", 0.75, QA_ALIGN_RIGHT},
    {"p Holm", 0.75, QA_ALIGN_RIGHT}, {"Survives", 0.75, QA_ALIGN_LEFT},
    {"Paired p", 0.75, QA_ALIGN_RIGHT}, {"Paired p Holm", 0.75, QA_ALIGN_RIGHT}};
  const cJSON *a, *m, *tests = rp_arr(c->res, "adjacent_tests");
  rp_subsection(c, RP_SEC_STATISTICS, "adjacent_title");
  if (!cJSON_GetArraySize(tests)) {
    rp_buf b = {0};
    rp_no_adjacent_tests(c, &b);
    qa_doc_paragraph(c->doc, rp_text(&b));
    rp_buf_free(&b);
    return;
  }
  rp_prose(c, RP_SEC_STATISTICS, "adjacent_intro");
  /* One table per model, so that a comparison reads "Q8_0 -> Q6_K". */
  cJSON_ArrayForEach(m, c->models) {
    const char *name = rp_str(m, "name");
    char caption[400], prev[160] = "";
    qa_doc_table *t = NULL;
    cJSON_ArrayForEach(a, tests) {
      if (strcmp(rp_str(a, "model"), name)) continue;
      if (!t) {
        if (rp_n_models(c) > 1)
          snprintf(caption, sizeof caption, "%s: adjacent-variant tests; p, Bonferroni and "
                   "Holm from Welch (unpaired, as the source report used), paired p from "
                   "McNemar (benchmark) or the paired t (generation) with its own Holm", name);
        else
          snprintf(caption, sizeof caption, "Adjacent-variant tests; p, Bonferroni and Holm "
                   "from Welch (unpaired, as the source report used), paired p from McNemar "
                   "(benchmark) or the paired t (generation) with its own Holm");
        t = qa_doc_table_begin(c->doc, caption, 12, cols);
        size_t n_rows = 0;
        const cJSON *x;
        cJSON_ArrayForEach(x, tests) n_rows += !strcmp(rp_str(x, "model"), name);
        qa_doc_table_expect(t, n_rows);
      }
      char pair[160];
      snprintf(pair, sizeof pair, "%s\n%s", rp_str(a, "higher"), rp_str(a, "lower"));
      adjacent_row(c, t, a, strcmp(pair, prev) != 0);
      snprintf(prev, sizeof prev, "%s", pair);
    }
    qa_doc_table_end(t);
  }
  multiple_comparisons(c);
}

void rp_no_adjacent_tests(const rp_ctx *c, rp_buf *b) {
  if (!rp_any_variant_has(c, "benchmark") && !rp_any_variant_has(c, "generation"))
    rp_printf(b, "No adjacent tests were run: the caches hold no benchmark or generation "
              "data, and the tests compare neighbouring variants on those.");
  else
    rp_printf(b, "No adjacent tests were run: no model has two neighbouring variants that "
              "both hold benchmark or generation data.");
}

void rp_mcnemar_welch_disagreements(const rp_ctx *c, rp_list *l) {
  const cJSON *m, *v;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *b = bench_of(v);
    double pw = qa_json_get_num(b, "welch_p"), pm = qa_json_get_num(b, "mcnemar_p");
    if (rp_bool(v, "is_baseline") == 1 || isnan(pw) || isnan(pm)) continue;
    if ((pw < c->alpha) == (pm < c->alpha)) continue;
    char sw[RP_FMT], sm[RP_FMT];
    rp_fmt_p_text(sw, sizeof sw, pw);
    rp_fmt_p_text(sm, sizeof sm, pm);
    if (pm < c->alpha)
      rp_list_add(l, "%s/%s: the paired McNemar test (%s; %.0f items lost, %.0f gained) "
                  "detects the %+.1f pp change that the unpaired Welch test (%s) does "
                  "not; pairing by item removes the between-item variance.",
                  rp_str(m, "name"), rp_str(v, "name"), sm, qa_json_get_num(b, "mcnemar_b"),
                  qa_json_get_num(b, "mcnemar_c"), qa_json_get_num(b, "delta_pp"), sw);
    else
      rp_list_add(l, "%s/%s: the unpaired Welch test (%s) rejects but the paired McNemar "
                  "test (%s; %.0f items lost, %.0f gained) does not; the discordant "
                  "items are too few to confirm the %+.1f pp change.", rp_str(m, "name"),
                  rp_str(v, "name"), sw, sm, qa_json_get_num(b, "mcnemar_b"),
                  qa_json_get_num(b, "mcnemar_c"), qa_json_get_num(b, "delta_pp"));
  }
}

void rp_paired_unpaired_generation(const rp_ctx *c, rp_list *l) {
  const cJSON *m, *v, *mx;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1) continue;
    cJSON_ArrayForEach(mx, rp_arr(rp_obj(v, "generation"), "metrics")) {
      const cJSON *pd = rp_obj(mx, "paired");
      double pw = qa_json_get_num(mx, "welch_p"), pt = qa_json_get_num(pd, "t_p");
      if (isnan(pw) || isnan(pt) || (pw < c->alpha) == (pt < c->alpha)) continue;
      char sw[RP_FMT], st[RP_FMT];
      rp_fmt_p_text(sw, sizeof sw, pw);
      rp_fmt_p_text(st, sizeof st, pt);
      if (pt < c->alpha) {
        char iv[RP_FMT * 2];
        rp_fmt_signed_interval(iv, sizeof iv, cJSON_GetObjectItemCaseSensitive(pd, "ci95"), 4);
        rp_list_add(l, "%s/%s %s: the paired t test (%s) detects a change of %+.4f in the mean "
                    "(paired 95%% CI %s) that the unpaired Welch test (%s) does not; pairing "
                    "by item removes the between-item variance.%s", rp_str(m, "name"),
                    rp_str(v, "name"), rp_str(mx, "metric"), st, qa_json_get_num(pd, "delta"),
                    iv, sw, rp_bool(pd, "equivalent") == 1
                                ? " The paired TOST still shows it within the margin." : "");
      }
      else
        rp_list_add(l, "%s/%s %s: the unpaired Welch test (%s) rejects but the paired t test "
                    "(%s) does not.", rp_str(m, "name"), rp_str(v, "name"),
                    rp_str(mx, "metric"), sw, st);
    }
  }
}

void rp_paired_unpaired_adjacent(const rp_ctx *c, rp_list *l) {
  const cJSON *a;
  cJSON_ArrayForEach(a, rp_arr(c->res, "adjacent_tests")) {
    double ph = qa_json_get_num(a, "p_holm"), pph = qa_json_get_num(a, "p_paired_holm");
    if (isnan(ph) || isnan(pph) || (ph < c->alpha) == (pph < c->alpha)) continue;
    char label[160], sw[RP_FMT], swh[RP_FMT], sp[RP_FMT], sph[RP_FMT];
    comparison_label(c, a, label, sizeof label);
    rp_fmt_p_text(sw, sizeof sw, qa_json_get_num(a, "p"));
    rp_fmt_p(swh, sizeof swh, ph);
    rp_fmt_p_text(sp, sizeof sp, qa_json_get_num(a, "p_paired"));
    rp_fmt_p(sph, sizeof sph, pph);
    const char *paired = !strcmp(rp_str(a, "paired_test"), "mcnemar") ? "McNemar" : "t";
    const char *metric = !strcmp(rp_str(a, "family"), "benchmark") ? "benchmark"
                                                                     : rp_str(a, "metric");
    if (pph < c->alpha)
      rp_list_add(l, "%s %s: after Holm the paired %s test (%s, Holm %s) is significant and "
                  "the unpaired Welch test (%s, Holm %s) is not.", label, metric, paired, sp,
                  sph, sw, swh);
    else
      rp_list_add(l, "%s %s: after Holm the unpaired Welch test (%s, Holm %s) is significant "
                  "and the paired %s test (%s, Holm %s) is not.", label, metric, sw, swh,
                  paired, sp, sph);
  }
}

size_t rp_unconfirmed_negligible(const rp_ctx *c, rp_list *names) {
  const cJSON *m, *v;
  size_t n_first = 0;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1 || rp_tier_index(c, rp_str(v, "tier")) != 0) continue;
    const cJSON *pd = rp_paired_bench(v);
    if (!pd) continue;   /* no benchmark: nothing to say about its equivalence */
    n_first++;
    if (rp_bool(pd, "equivalent") != 1)
      rp_list_add(names, "%s/%s", rp_str(m, "name"), rp_str(v, "name"));
  }
  return n_first;
}

#define MAX_MARGINS 3   /* paired TOST columns of the baseline table */

/* The configured paired TOST margins (pp), from the first variant that has
** benchmark.paired.tost; returns how many (at most MAX_MARGINS). */
static size_t bench_margins(const rp_ctx *c, double margins[MAX_MARGINS]) {
  const cJSON *m, *v, *t;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    size_t n = 0;
    cJSON_ArrayForEach(t, rp_arr(rp_paired_bench(v), "tost"))
      if (n < MAX_MARGINS && !isnan(qa_json_get_num(t, "margin_pp")))
        margins[n++] = qa_json_get_num(t, "margin_pp");
    if (n) return n;
  }
  return 0;
}

/* One variant; with several models the model is named on its first row
** (first = 1) and the column is left out when there is one model. */
static void baseline_row(const rp_ctx *c, qa_doc_table *t, const cJSON *m, const cJSON *v,
                         int first, const double *margins, size_t n_margins) {
  const cJSON *b = bench_of(v), *pd = rp_obj(b, "paired");
  rp_row r;
  double pw = qa_json_get_num(b, "welch_p"), pm = qa_json_get_num(b, "mcnemar_p");
  char bb[RP_FMT], cc[RP_FMT];
  rp_row_init(&r, 11);
  if (first) rp_row_set(&r, 0, QA_CELL_NORMAL, "%s", rp_str(m, "name"));
  rp_row_set(&r, 1, QA_CELL_BOLD, "%s", rp_str(v, "name"));
  rp_row_signed(&r, 2, qa_json_get_num(b, "delta_pp"), 1);
  rp_fmt_signed_interval(r.cell[3], RP_CELL, cJSON_GetObjectItemCaseSensitive(pd, "ci95_pp"), 1);
  rp_fmt_fixed(bb, sizeof bb, qa_json_get_num(pd ? pd : b, pd ? "b" : "mcnemar_b"), 0);
  rp_fmt_fixed(cc, sizeof cc, qa_json_get_num(pd ? pd : b, pd ? "c" : "mcnemar_c"), 0);
  rp_row_set(&r, 4, QA_CELL_NORMAL, "%s / %s", bb, cc);
  rp_row_p(&r, 5, pm);
  if (!isnan(pm) && pm < c->alpha) r.style[5] = QA_CELL_BOLD;
  rp_row_tost(&r, 6, pd, "margin_pp", margins, n_margins);
  rp_row_bool(&r, 7, rp_bool(pd, "equivalent"), QA_CELL_GOOD, QA_CELL_WARN);
  rp_row_p(&r, 8, pw);
  r.style[8] = QA_CELL_MUTED;
  rp_row_p(&r, 9, qa_json_get_num(b, "tost_p"));
  r.style[9] = QA_CELL_MUTED;
  rp_row_tier(&r, 10, c, rp_str(v, "tier"));
  rp_row_drop_first(&r, rp_n_models(c) > 1 ? 0 : 1);
  rp_row_emit(t, &r);
}

static void baseline_part(const rp_ctx *c) {
  const cJSON *m, *v;
  double margin = rp_bench_margin(c), margins[MAX_MARGINS];
  size_t n_margins = bench_margins(c, margins);
  char tost_head[96], caption[480], mg[RP_FMT] = "", wmg[RP_FMT] = "";
  rp_buf ms = {0};
  for (size_t j = 0; j < n_margins; j++)
    rp_printf(&ms, "%s\xC2\xB1%.3g", j ? " / " : "", margins[j]);
  snprintf(tost_head, sizeof tost_head, "Paired TOST p %s pp", rp_text(&ms));
  rp_buf_free(&ms);
  double wm = NAN;
  cJSON_ArrayForEach(m, c->models)
    if (isnan(wm)) wm = qa_json_get_num(bench_of(rp_baseline(m)), "tost_margin_pp");
  if (!isnan(margin)) snprintf(mg, sizeof mg, " at \xC2\xB1%.3g pp", margin);
  if (!isnan(wm)) snprintf(wmg, sizeof wmg, " at \xC2\xB1%.3g pp", wm);
  snprintf(caption, sizeof caption, "Benchmark tests against the baseline: paired by item (the "
           "judgements: paired difference, McNemar, paired TOST, Equiv.%s) and unpaired "
           "(Welch p and Welch TOST p%s, as the source report used)", mg, wmg);
  const qa_doc_col cols[] = {
    {"Model", 1.0, QA_ALIGN_LEFT},
    {"Variant", 0.8, QA_ALIGN_LEFT}, {"\xCE\x94 (pp)", 0.55, QA_ALIGN_RIGHT},
    {"Paired 95% CI (pp)", 1.2, QA_ALIGN_RIGHT}, {"b / c", 0.7, QA_ALIGN_RIGHT},
    {"McNemar p", 0.7, QA_ALIGN_RIGHT}, {tost_head, 1.35, QA_ALIGN_RIGHT},
    {"Equiv.", 0.55, QA_ALIGN_CENTER}, {"Welch p", 0.6, QA_ALIGN_RIGHT},
    {"Welch TOST p", 0.65, QA_ALIGN_RIGHT}, {"Tier", 1.0, QA_ALIGN_LEFT}};
  size_t k = 11;
  rp_subsection(c, RP_SEC_STATISTICS, "baseline_title");
  if (!rp_any_variant_has(c, "benchmark")) {
    qa_doc_paragraph(c->doc, "No variant has benchmark results, so there are no paired or "
                             "equivalence tests on the benchmark; add /eval/<task>/correct to "
                             "the caches.");
    return;
  }
  rp_prose(c, RP_SEC_STATISTICS, "baseline_intro");
  size_t skip = rp_n_models(c) > 1 ? 0 : 1;
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, k - skip, cols + skip);
  size_t n_rows = 0;
  cJSON_ArrayForEach(m, c->models)
    n_rows += rp_count_variants(m, "benchmark") - (bench_of(rp_baseline(m)) != NULL);
  qa_doc_table_expect(t, n_rows);
  cJSON_ArrayForEach(m, c->models) {
    int first = 1;
    cJSON_ArrayForEach(v, rp_arr(m, "variants"))
      if (rp_bool(v, "is_baseline") != 1 && bench_of(v)) {
        baseline_row(c, t, m, v, first, margins, n_margins);
        first = 0;
      }
  }
  qa_doc_table_end(t);
  rp_list dis = {0}, unconf = {0};
  rp_mcnemar_welch_disagreements(c, &dis);
  if (dis.n) {
    char line[128];
    snprintf(line, sizeof line, "Where McNemar (paired) and Welch (unpaired) disagree at "
             "alpha %.2g:", c->alpha);
    qa_doc_lead_in(c->doc, line);
    rp_list_emit(c->doc, &dis);
  } else {
    char line[160];
    snprintf(line, sizeof line, "McNemar (paired) and Welch (unpaired) agree at alpha %.2g "
             "for every variant.", c->alpha);
    qa_doc_paragraph(c->doc, line);
  }
  size_t n_first = rp_unconfirmed_negligible(c, &unconf);
  if (n_first) {
    rp_buf b = {0};
    char mg[RP_FMT] = "";
    const char *t0 = rp_str(cJSON_GetArrayItem(c->tiers, 0), "name");
    if (!isnan(margin)) snprintf(mg, sizeof mg, " at \xC2\xB1%.3g pp", margin);
    if (unconf.n == n_first && n_first > 1) {
      rp_printf(&b, "None of the %zu quantized variants in the %s tier is confirmed "
                "equivalent by the paired TOST%s. Their \"%s\" verdict is a point estimate "
                "within the threshold, not demonstrated equivalence.", n_first, t0, mg, t0);
    } else if (unconf.n) {
      rp_printf(&b, "Of %zu quantized variant%s in the %s tier, %zu %s not confirmed "
                "equivalent by the paired TOST%s: ", n_first, rp_s((double)n_first), t0,
                unconf.n, unconf.n == 1 ? "is" : "are", mg);
      rp_join(&b, &unconf);
      rp_printf(&b, ". Their \"%s\" verdict is a point estimate within the threshold, "
                "not demonstrated equivalence.", t0);
    } else {
      rp_printf(&b, "Every quantized variant in the %s tier is confirmed equivalent by the "
                "paired TOST%s.", t0, mg);
    }
    qa_doc_paragraph(c->doc, rp_text(&b));
    rp_buf_free(&b);
  }
  rp_list_free(&dis);
  rp_list_free(&unconf);
}

static void power_table(const rp_ctx *c, const cJSON *pw) {
  static const qa_doc_col cols[] = {
    {"Family", 1.3, QA_ALIGN_LEFT}, {"Smallest n", 0.8, QA_ALIGN_RIGHT},
    {"Detectable effect", 1.1, QA_ALIGN_RIGHT}, {"Tier thresholds below it", 2.6, QA_ALIGN_LEFT}};
  const cJSON *t;
  rp_row r;
  qa_doc_table *tab = qa_doc_table_begin(c->doc, "Minimum detectable effects", 4, cols);
  qa_doc_table_expect(tab, 2);
  rp_row_init(&r, 4);
  rp_row_set(&r, 0, QA_CELL_BOLD, "Benchmark (pooled)");
  rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(pw, "benchmark_n"));
  if (!isnan(qa_json_get_num(pw, "mde_pp")))
    rp_row_set(&r, 2, QA_CELL_NORMAL, "%.1f pp", qa_json_get_num(pw, "mde_pp"));
  else rp_row_set(&r, 2, QA_CELL_MUTED, RP_DASH);
  rp_buf below = {0};
  cJSON_ArrayForEach(t, rp_arr(pw, "tiers_below_mde")) {
    const char *name = cJSON_IsString(t) ? t->valuestring : "";
    rp_printf(&below, "%s%s (%.1f pp)", below.len ? ", " : "", name,
              rp_tier_threshold(c, rp_tier_index(c, name), 0));
  }
  rp_row_set(&r, 3, below.len ? QA_CELL_WARN : QA_CELL_MUTED, "%s",
             below.len ? rp_text(&below) : "none");
  rp_row_emit(tab, &r);
  rp_buf_free(&below);
  rp_row_init(&r, 4);
  rp_row_set(&r, 0, QA_CELL_BOLD, "Generation (per metric)");
  rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(pw, "generation_n"));
  if (!isnan(qa_json_get_num(pw, "mde_d")))
    rp_row_set(&r, 2, QA_CELL_NORMAL, "d = %.3f", qa_json_get_num(pw, "mde_d"));
  else rp_row_set(&r, 2, QA_CELL_MUTED, RP_DASH);
  rp_row_set(&r, 3, QA_CELL_MUTED, "tiers are in %% of the mean; compare through each "
             "metric's spread");
  rp_row_emit(tab, &r);
  qa_doc_table_end(tab);
}

static void power_part(const rp_ctx *c) {
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(c->res, "power"), *m;
  rp_subsection(c, RP_SEC_STATISTICS, "power_title");
  if (!cJSON_IsObject(pw)) {
    qa_doc_paragraph(c->doc, "No power analysis in the results; it needs benchmark or "
                             "generation data.");
    return;
  }
  char intro[320];
  snprintf(intro, sizeof intro, "The smallest true effect each family detects with "
           "probability %.0f %% in a two-sided test at alpha %.2g (normal approximation; the "
           "benchmark at the worst case p = 0.5 and the smallest pooled n).",
           100 * qa_json_get_num(pw, "power"), qa_json_get_num(pw, "alpha"));
  qa_doc_lead_in(c->doc, intro);
  power_table(c, pw);
  rp_list caveats = {0};
  double mde = qa_json_get_num(pw, "mde_pp");
  if (!isnan(mde) && cJSON_GetArraySize(rp_arr(pw, "tiers_below_mde")))
    rp_list_add(&caveats, "Tier thresholds below the detectable effect: %.1f pp is the drop the "
                "test detects with %.0f %% power, not a bound on the loss. A variant placed in "
                "one of these tiers is placed by its point estimate; what bounds its loss is "
                "the paired 95 %% interval of its difference (table above).", mde,
                100 * qa_json_get_num(pw, "power"));
  cJSON_ArrayForEach(m, c->models) {
    double own = qa_json_get_num(bench_of(rp_baseline(m)), "mde_pp");
    if (!isnan(own))
      rp_list_add(&caveats, "%s: at its baseline's own accuracy the benchmark detects "
                  "%.1f pp.", rp_str(m, "name"), own);
  }
  const cJSON *mc = cJSON_GetObjectItemCaseSensitive(c->res, "multiple_comparisons");
  if (qa_json_get_num(mc, "m") > 0)
    rp_list_add(&caveats, "%.0f tests at alpha %.2g expect %.1f false positives by chance.",
                qa_json_get_num(mc, "m"), qa_json_get_num(mc, "alpha"),
                qa_json_get_num(mc, "expected_false_positives"));
  if (rp_any_variant_has(c, "benchmark"))
    rp_list_add(&caveats, "Welch's t on the benchmark's 0/1 results is the unpaired analysis "
                "the source report used and is kept for comparison; the judgements use the "
                "paired tests. Cohen's d on binary data is bounded and is not comparable with "
                "generation d.");
  rp_list_emit(c->doc, &caveats);
  rp_list_free(&caveats);
}

void rp_section_stats(const rp_ctx *c) {
  rp_heading(c, RP_SEC_STATISTICS);
  rp_prose(c, RP_SEC_STATISTICS, "intro");
  if (!cJSON_GetArraySize(rp_arr(c->res, "adjacent_tests")) &&
      !rp_any_variant_has(c, "benchmark") && !rp_any_variant_has(c, "generation")) {
    qa_doc_paragraph(c->doc, "No tests were run: they need benchmark (/eval/<task>/correct) "
                             "or generation (/eval/<task>/score/<metric>) data in the caches.");
    return;
  }
  /* Parts without data are named in "Not covered by this audit". */
  int bench = rp_any_variant_has(c, "benchmark"), gen = rp_any_variant_has(c, "generation");
  adjacent_part(c);
  if (bench) baseline_part(c);
  if (bench || gen) power_part(c);
}

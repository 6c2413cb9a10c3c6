/*
** Generation quality (continuous per-item scores per metric against the
** baseline: the paired difference with its 95% interval, the paired t and
** the paired TOST at every configured margin, which the judgements use;
** Welch, Cohen's d and Welch's TOST labelled as the unpaired analysis) and
** performance and cost (decode throughput, time to first token, price per
** million tokens from the mean perf.throughput_mean names).
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define INLINE_METRICS 4   /* metric columns in the overview table */

static const cJSON *gen_of(const cJSON *v) {
  const cJSON *g = cJSON_GetObjectItemCaseSensitive(v, "generation");
  return cJSON_IsObject(g) ? g : NULL;
}

static const cJSON *perf_of(const cJSON *v) {
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(v, "perf");
  return cJSON_IsObject(p) ? p : NULL;
}

static const cJSON *metric_of(const cJSON *gen, const char *name) {
  const cJSON *x;
  cJSON_ArrayForEach(x, rp_arr(gen, "metrics"))
    if (!strcmp(rp_str(x, "metric"), name)) return x;
  return NULL;
}

/* generation.tost_margin_pct of the model (the baseline's, else the first
** variant that has it): the TOST margin in % of the baseline mean. */
static double tost_margin_pct(const cJSON *m) {
  const cJSON *v;
  double margin = qa_json_get_num(gen_of(rp_baseline(m)), "tost_margin_pct");
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (isnan(margin)) margin = qa_json_get_num(gen_of(v), "tost_margin_pct");
  return margin;
}

static void pct_style(const rp_ctx *c, rp_row *r, size_t i, double delta_pct) {
  int k = rp_tier_index(c, rp_tier_of_signal(c, delta_pct, 1));
  if (k >= 2) r->style[i] = k == c->n_tiers - 1 ? QA_CELL_BAD : QA_CELL_WARN;
}

/* Variants as rows, "mean (delta %)" per metric, key average and tier. */
static void gen_overview(const rp_ctx *c, const cJSON *m) {
  const cJSON *base = gen_of(rp_baseline(m)), *x, *v;
  qa_doc_col cols[RP_MAX_COLS] = {{"Variant", 1.0, QA_ALIGN_LEFT}, {"N", 0.55, QA_ALIGN_RIGHT}};
  const char *names[INLINE_METRICS];
  size_t k = 2, n_metrics = 0;
  cJSON_ArrayForEach(x, rp_arr(base, "metrics")) {
    if (n_metrics == INLINE_METRICS) break;
    names[n_metrics++] = rp_str(x, "metric");
    cols[k++] = (qa_doc_col){rp_str(x, "metric"), 1.2, QA_ALIGN_RIGHT};
  }
  cols[k++] = (qa_doc_col){"Key average", 0.85, QA_ALIGN_RIGHT};
  cols[k++] = (qa_doc_col){"\xCE\x94 (%)", 0.65, QA_ALIGN_RIGHT};
  cols[k++] = (qa_doc_col){"Tier", 1.1, QA_ALIGN_LEFT};
  char caption[192];
  snprintf(caption, sizeof caption, "%s: generation quality, mean (change against %s)",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, k, cols);
  qa_doc_table_expect(t, rp_count_variants(m, "generation"));
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *g = gen_of(v);
    if (!g) continue;
    rp_row r;
    size_t i = 2;
    rp_row_init(&r, k);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(cJSON_GetArrayItem(rp_arr(g, "metrics"), 0), "n"));
    for (size_t j = 0; j < n_metrics; j++, i++) {
      const cJSON *mx = metric_of(g, names[j]);
      char mean[RP_FMT], d[RP_FMT];
      rp_fmt_fixed(mean, sizeof mean, qa_json_get_num(mx, "mean"), 3);
      rp_fmt_signed(d, sizeof d, qa_json_get_num(mx, "delta_pct"), 1);
      rp_row_set(&r, i, QA_CELL_NORMAL, "%s (%s%%)", mean, d);
      pct_style(c, &r, i, qa_json_get_num(mx, "delta_pct"));
    }
    rp_row_fixed(&r, i++, qa_json_get_num(g, "key_avg"), 4);
    rp_row_signed(&r, i, qa_json_get_num(g, "delta_pct"), 1);
    pct_style(c, &r, i++, qa_json_get_num(g, "delta_pct"));
    rp_row_tier(&r, i, c, rp_str(v, "tier"));
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

#define MAX_MARGINS 2   /* paired TOST columns of the detail table */

/* The configured paired TOST margins (% of the baseline mean) of model m. */
static size_t gen_margins(const cJSON *m, double margins[MAX_MARGINS]) {
  const cJSON *v, *mx, *t;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) cJSON_ArrayForEach(mx, rp_arr(gen_of(v), "metrics")) {
    size_t n = 0;
    cJSON_ArrayForEach(t, rp_arr(rp_obj(mx, "paired"), "tost"))
      if (n < MAX_MARGINS && !isnan(qa_json_get_num(t, "margin_pct")))
        margins[n++] = qa_json_get_num(t, "margin_pct");
    if (n) return n;
  }
  return 0;
}

static void gen_detail_row(const rp_ctx *c, qa_doc_table *t, const cJSON *v, const cJSON *mx,
                           int first, const double *margins, size_t n_margins) {
  rp_row r;
  const cJSON *pd = rp_obj(mx, "paired");
  double d = qa_json_get_num(mx, "delta_pct"), p = qa_json_get_num(mx, "welch_p");
  double pt = qa_json_get_num(pd, "t_p");
  rp_row_init(&r, 11);
  if (first) rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
  rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", rp_str(mx, "metric"));
  rp_row_fixed(&r, 2, qa_json_get_num(mx, "mean"), 4);
  rp_row_signed(&r, 3, d, 1);
  pct_style(c, &r, 3, d);
  rp_fmt_signed_interval(r.cell[4], RP_CELL, cJSON_GetObjectItemCaseSensitive(pd, "ci95"), 4);
  rp_row_p(&r, 5, pt);
  if (!isnan(pt) && pt < c->alpha) r.style[5] = QA_CELL_BOLD;
  rp_row_tost(&r, 6, pd, "margin_pct", margins, n_margins);
  rp_row_bool(&r, 7, rp_bool(pd, "equivalent"), QA_CELL_GOOD, QA_CELL_WARN);
  rp_row_p(&r, 8, p);
  r.style[8] = QA_CELL_MUTED;
  rp_row_fixed(&r, 9, qa_json_get_num(mx, "cohens_d"), 3);
  r.style[9] = QA_CELL_MUTED;
  rp_row_p(&r, 10, qa_json_get_num(mx, "tost_p"));
  r.style[10] = QA_CELL_MUTED;
  rp_row_emit(t, &r);
}

static void gen_detail(const rp_ctx *c, const cJSON *m) {
  const cJSON *v, *mx;
  double margin = tost_margin_pct(m), margins[MAX_MARGINS];
  size_t n_margins = gen_margins(m, margins);
  char tost_head[96], caption[480];
  rp_buf ms = {0};
  for (size_t j = 0; j < n_margins; j++)
    rp_printf(&ms, "%s\xC2\xB1%.3g%%", j ? " / " : "", margins[j]);
  snprintf(tost_head, sizeof tost_head, "Paired TOST p %s", rp_text(&ms));
  rp_buf_free(&ms);
  const qa_doc_col cols[] = {
    {"Variant", 0.6, QA_ALIGN_LEFT}, {"Metric", 0.8, QA_ALIGN_LEFT},
    {"Mean", 0.55, QA_ALIGN_RIGHT}, {"\xCE\x94 (%)", 0.55, QA_ALIGN_RIGHT},
    {"Paired \xCE\x94, 95% CI", 1.55, QA_ALIGN_RIGHT}, {"Paired t p", 0.68, QA_ALIGN_RIGHT},
    {tost_head, 1.4, QA_ALIGN_RIGHT}, {"Equiv.", 0.55, QA_ALIGN_CENTER},
    {"Welch p", 0.55, QA_ALIGN_RIGHT}, {"d", 0.5, QA_ALIGN_RIGHT},
    {"Welch TOST p", 0.6, QA_ALIGN_RIGHT}};
  if (isnan(margin))
    snprintf(caption, sizeof caption, "%s: every generation metric against %s; paired by item "
             "(the judgements: paired difference, paired t, paired TOST, Equiv.) and unpaired "
             "(Welch p, d and Welch TOST p, as the source report used)",
             rp_str(m, "name"), rp_str(m, "baseline"));
  else
    snprintf(caption, sizeof caption, "%s: every generation metric against %s; paired by item "
             "(the judgements: paired difference, paired t, paired TOST, Equiv. at "
             "\xC2\xB1%.3g%% of the baseline mean) and unpaired (Welch p, d and Welch TOST p "
             "at \xC2\xB1%.3g%%, as the source report used)", rp_str(m, "name"),
             rp_str(m, "baseline"), margin, margin);
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 11, cols);
  size_t n_rows = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    n_rows += (size_t)cJSON_GetArraySize(rp_arr(gen_of(v), "metrics"));
  qa_doc_table_expect(t, n_rows);
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    int first = 1;
    cJSON_ArrayForEach(mx, rp_arr(gen_of(v), "metrics")) {
      gen_detail_row(c, t, v, mx, first, margins, n_margins);
      first = 0;
    }
  }
  qa_doc_table_end(t);
}

/* Which metrics the paired TOST confirms equivalent, per variant. */
static void gen_observations(const rp_ctx *c, const cJSON *m) {
  const cJSON *v, *mx, *g0 = gen_of(rp_baseline(m));
  rp_list some = {0}, none = {0};
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1 || !gen_of(v)) continue;
    rp_list eq = {0};
    size_t n = 0;
    cJSON_ArrayForEach(mx, rp_arr(gen_of(v), "metrics")) {
      n++;
      if (rp_bool(rp_obj(mx, "paired"), "equivalent") == 1)
        rp_list_add(&eq, "%s", rp_str(mx, "metric"));
    }
    if (!eq.n) {
      rp_list_add(&none, "%s", rp_str(v, "name"));
    } else {
      rp_buf b = {0};
      rp_printf(&b, "%s on %s", rp_str(v, "name"), eq.n == n && n > 1 ? "every metric (" : "");
      rp_join(&b, &eq);
      if (eq.n == n && n > 1) rp_printf(&b, ")");
      rp_list_take(&some, &b);
    }
    rp_list_free(&eq);
  }
  rp_buf b = {0};
  double margin = tost_margin_pct(m), mde = qa_json_get_num(g0, "mde_d");
  if (some.n || none.n) {
    rp_printf(&b, "The paired TOST");
    if (!isnan(margin)) rp_printf(&b, " at \xC2\xB1%.3g %% of the baseline mean", margin);
    if (some.n) {
      rp_printf(&b, " confirms equivalence for ");
      rp_join(&b, &some);
      rp_printf(&b, "%s", none.n ? "; for " : ".");
    } else {
      rp_printf(&b, " confirms equivalence nowhere: for ");
    }
    if (none.n) {
      rp_join(&b, &none);
      rp_printf(&b, " no metric is shown equivalent.");
    }
    rp_printf(&b, " A metric without it is not shown to be unchanged, however small its "
              "\xCE\x94.");
  }
  if (!isnan(mde))
    rp_printf(&b, " At n = %.0f the smallest standardized effect detectable at %.0f %% power "
              "is d = %.3f.", qa_json_get_num(cJSON_GetArrayItem(rp_arr(g0, "metrics"), 0), "n"),
              100 * rp_num2(c->res, "power", "power"), mde);
  if (b.len) qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
  rp_list_free(&some);
  rp_list_free(&none);
  /* Where the paired and the unpaired tests disagree on a metric. */
  rp_list dis = {0}, all = {0};
  rp_paired_unpaired_generation(c, &all);
  size_t len = strlen(rp_str(m, "name"));
  for (size_t i = 0; i < all.n; i++)
    if (!strncmp(all.items[i], rp_str(m, "name"), len) && all.items[i][len] == '/')
      rp_list_add(&dis, "%s", all.items[i]);
  if (dis.n) {
    char line[160];
    snprintf(line, sizeof line, "Where the paired t and Welch (unpaired) disagree at alpha "
             "%.2g:", c->alpha);
    qa_doc_lead_in(c->doc, line);
    rp_list_emit(c->doc, &dis);
  }
  rp_list_free(&dis);
  rp_list_free(&all);
}

void rp_section_generation(const rp_ctx *c) {
  const cJSON *m;
  rp_heading(c, RP_SEC_GENERATION);
  if (!rp_any_variant_has(c, "generation")) {
    qa_doc_paragraph(c->doc, "No variant has generation scores; add "
                             "/eval/<task>/score/<metric> to the caches to enable this section.");
    return;
  }
  rp_prose(c, RP_SEC_GENERATION, "intro");
  cJSON_ArrayForEach(m, c->models) {
    if (!gen_of(rp_baseline(m))) continue;
    if (rp_n_models(c) > 1) qa_doc_subsection(c->doc, rp_str(m, "name"));
    gen_overview(c, m);
    gen_detail(c, m);
    gen_observations(c, m);
  }
}

/* ---- performance and cost ---- */

/* perf.throughput_mean of model m ("harmonic" | "arithmetic"), NULL if none. */
static const char *throughput_mean(const cJSON *m) {
  const cJSON *v;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const char *s = qa_json_get_str(perf_of(v), "throughput_mean");
    if (s) return s;
  }
  return NULL;
}

static void perf_table(const rp_ctx *c, const cJSON *m) {
  static const qa_doc_col cols[] = {
    {"Variant", 1.0, QA_ALIGN_LEFT}, {"Requests (decode / TTFT)", 1.0, QA_ALIGN_RIGHT},
    {"Decode tok/s mean", 0.8, QA_ALIGN_RIGHT}, {"Decode tok/s harmonic mean", 0.8, QA_ALIGN_RIGHT},
    {"Decode tok/s median", 0.8, QA_ALIGN_RIGHT},
    {"Decode CV (%)", 0.7, QA_ALIGN_RIGHT}, {"TTFT mean (ms)", 0.75, QA_ALIGN_RIGHT},
    {"TTFT median (ms)", 0.75, QA_ALIGN_RIGHT}, {"$ / Mtok", 0.8, QA_ALIGN_RIGHT},
    {"Savings (%)", 0.75, QA_ALIGN_RIGHT}};
  const cJSON *v;
  char caption[192];
  snprintf(caption, sizeof caption, "%s: throughput, latency and cost (savings against %s)",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 10, cols);
  qa_doc_table_expect(t, rp_count_variants(m, "perf"));
  const char *mean = throughput_mean(m);
  int harmonic = mean && !strcmp(mean, "harmonic");
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *p = perf_of(v);
    if (!p) continue;
    rp_row r;
    char nd[RP_FMT], nt[RP_FMT];
    rp_row_init(&r, 10);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    rp_fmt_int(nd, sizeof nd, qa_json_get_num(p, "n_decode"));
    rp_fmt_int(nt, sizeof nt, qa_json_get_num(p, "n_ttft"));
    rp_row_set(&r, 1, QA_CELL_NORMAL, "%s / %s", nd, nt);
    rp_row_fixed(&r, 2, qa_json_get_num(p, "decode_tok_s_mean"), 1);
    rp_row_fixed(&r, 3, qa_json_get_num(p, "decode_tok_s_hmean"), 1);
    /* The mean the cost is computed from is bold. */
    r.style[harmonic ? 3 : 2] = QA_CELL_BOLD;
    rp_row_fixed(&r, 4, qa_json_get_num(p, "decode_tok_s_median"), 1);
    rp_row_fixed(&r, 5, qa_json_get_num(p, "decode_cv_pct"), 1);
    rp_row_fixed(&r, 6, qa_json_get_num(p, "ttft_ms_mean"), 1);
    rp_row_fixed(&r, 7, qa_json_get_num(p, "ttft_ms_median"), 1);
    rp_row_fixed(&r, 8, qa_json_get_num(p, "usd_per_mtok"), 4);
    rp_row_signed(&r, 9, qa_json_get_num(p, "savings_pct"), 1);
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

/* The fastest variant, and the fastest recommended one when they differ, by
** the mean the cost uses (perf.throughput_mean). */
static void perf_observations(const rp_ctx *c, const cJSON *m) {
  const cJSON *v, *fast = NULL, *fast_rec = NULL, *noisy = NULL;
  const char *mean = throughput_mean(m);
  int harmonic = mean && !strcmp(mean, "harmonic");
  const char *key = harmonic ? "decode_tok_s_hmean" : "decode_tok_s_mean";
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *p = perf_of(v);
    double s = qa_json_get_num(p, key), cv = qa_json_get_num(p, "decode_cv_pct");
    if (isnan(s)) continue;
    if (!fast || s > qa_json_get_num(perf_of(fast), key)) fast = v;
    if (rp_tier_recommended(c, rp_str(v, "tier")) &&
        (!fast_rec || s > qa_json_get_num(perf_of(fast_rec), key)))
      fast_rec = v;
    if (!isnan(cv) && (!noisy || cv > qa_json_get_num(perf_of(noisy), "decode_cv_pct"))) noisy = v;
  }
  if (!fast) return;
  rp_buf b = {0};
  const cJSON *p = perf_of(fast);
  if (mean)
    rp_printf(&b, "Cost per million tokens uses the %s mean of the per-request decode "
              "throughputs (perf.throughput_mean = %s)%s. ", harmonic ? "harmonic" : "arithmetic",
              mean, harmonic ? ", which is time per token averaged over requests"
                             : ", as the source report did; the harmonic mean would give time "
                               "per token");
  rp_printf(&b, "%s decodes fastest (%.1f tok/s, $%.4f/Mtok, %.1f %% below %s) and is %s.",
            rp_str(fast, "name"), qa_json_get_num(p, key),
            qa_json_get_num(p, "usd_per_mtok"), qa_json_get_num(p, "savings_pct"),
            rp_str(m, "baseline"), rp_str(fast, "tier"));
  if (fast_rec && fast_rec != fast) {
    p = perf_of(fast_rec);
    rp_printf(&b, " The fastest recommended variant is %s (%.1f tok/s, $%.4f/Mtok, "
              "%.1f %% below %s).", rp_str(fast_rec, "name"),
              qa_json_get_num(p, key), qa_json_get_num(p, "usd_per_mtok"),
              qa_json_get_num(p, "savings_pct"), rp_str(m, "baseline"));
  }
  if (noisy)
    rp_printf(&b, " Decode speed varies most at %s (CV %.1f %%).", rp_str(noisy, "name"),
              qa_json_get_num(perf_of(noisy), "decode_cv_pct"));
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
}

void rp_section_perf(const rp_ctx *c) {
  const cJSON *m;
  rp_heading(c, RP_SEC_PERFORMANCE);
  if (!rp_any_variant_has(c, "perf")) {
    qa_doc_paragraph(c->doc, "No variant has timings; add /perf/decode_tok_s and "
                             "/perf/ttft_ms to the caches to enable this section.");
    return;
  }
  rp_prose(c, RP_SEC_PERFORMANCE, "intro");
  cJSON_ArrayForEach(m, c->models) {
    if (rp_n_models(c) > 1) qa_doc_subsection(c->doc, rp_str(m, "name"));
    perf_table(c, m);
    perf_observations(c, m);
  }
}

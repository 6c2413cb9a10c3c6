/*
** Methods and caveats, generated from the data: the variants audited, the
** sample sizes of each family of numbers, the tier definitions, the
** statistical methods (each only when its data exist), the caveats that
** follow from what the study declares, power and multiplicity, and what was
** not measured or not declared.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

static const cJSON *obj(const cJSON *v, const char *key) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(v, key);
  return cJSON_IsObject(o) ? o : NULL;
}

static void fmt_params(char *buf, size_t cap, double n) {
  if (isnan(n)) snprintf(buf, cap, RP_DASH);
  else if (n >= 1e9) snprintf(buf, cap, "%.2f B", n / 1e9);
  else if (n >= 1e6) snprintf(buf, cap, "%.2f M", n / 1e6);
  else if (n >= 1e3) snprintf(buf, cap, "%.1f k", n / 1e3);
  else snprintf(buf, cap, "%.0f", n);
}

static void variants_table(const rp_ctx *c) {
  static const qa_doc_col cols[] = {
    {"Model", 1.4, QA_ALIGN_LEFT}, {"Variant", 1.2, QA_ALIGN_LEFT},
    {"Role", 1.0, QA_ALIGN_LEFT}, {"Bits/weight", 0.9, QA_ALIGN_RIGHT},
    {"Parameters", 1.0, QA_ALIGN_RIGHT}, {"Memory", 1.3, QA_ALIGN_RIGHT}};
  const cJSON *m, *v;
  rp_subsection(c, RP_SEC_METHODS, "variants_title");
  qa_doc_table *t = qa_doc_table_begin(c->doc, "Models and variants, highest precision first", 6, cols);
  size_t n_rows = 0;
  cJSON_ArrayForEach(m, c->models) n_rows += rp_count_variants(m, NULL);
  qa_doc_table_expect(t, n_rows);
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    rp_row r;
    int base = rp_bool(v, "is_baseline") == 1;
    double gb = qa_json_get_num(v, "vram_gb");
    rp_row_init(&r, 6);
    /* The model is named on its first row only. */
    if (v == rp_arr(m, "variants")->child)
      rp_row_set(&r, 0, QA_CELL_NORMAL, "%s", rp_str(m, "name"));
    rp_row_set(&r, 1, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    rp_row_set(&r, 2, base ? QA_CELL_GOOD : QA_CELL_MUTED, "%s", base ? "baseline" : "variant");
    rp_row_fixed(&r, 3, qa_json_get_num(v, "bits_per_weight"), 2);
    fmt_params(r.cell[4], RP_CELL, qa_json_get_num(v, "params"));
    rp_fmt_memory(r.cell[5], RP_CELL, gb, rp_mem_unit(c),
                  !isnan(gb) && rp_bool(v, "vram_measured") != 1);
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

/* One bullet per family and model, from the baseline's numbers. */
static void sample_sizes(const rp_ctx *c) {
  const cJSON *m, *x;
  rp_list l = {0};
  cJSON_ArrayForEach(m, c->models) {
    const cJSON *b = rp_baseline(m), *rep = obj(b, "representation"), *out = obj(b, "outputs");
    const cJSON *bench = obj(b, "benchmark"), *gen = obj(b, "generation"), *perf = obj(b, "perf");
    const char *mn = rp_str(m, "name");
    char n[RP_FMT], pairs[RP_FMT];
    if (rep) {
      rp_fmt_int(n, sizeof n, qa_json_get_num(rep, "n"));
      rp_fmt_int(pairs, sizeof pairs, qa_json_get_num(rep, "pairs"));
      rp_list_add(&l, "%s, representation: layer %s, N = %s samples of dimension %.0f; kNN "
                  "with k = %.0f; Spearman \xCF\x81 over %s pairs.", mn, rp_str(rep, "layer"),
                  n, qa_json_get_num(rep, "dim"), qa_json_get_num(rep, "knn_k"), pairs);
    }
    if (out) {
      rp_fmt_int(n, sizeof n, qa_json_get_num(out, "n"));
      int k = cJSON_GetArraySize(rp_arr(out, "critical_errors"));
      rp_list_add(&l, "%s, outputs: N = %s labelled samples; %d critical-error check%s.", mn,
                  n, k, rp_s(k));
    }
    if (bench) {
      rp_buf tb = {0};
      rp_fmt_int(n, sizeof n, qa_json_get_num(bench, "n"));
      int k = cJSON_GetArraySize(rp_arr(bench, "tasks"));
      rp_printf(&tb, "%s, benchmark: %s items pooled over %d task%s", mn, n, k, rp_s(k));
      int first = 1;
      cJSON_ArrayForEach(x, rp_arr(bench, "tasks")) {
        rp_printf(&tb, "%s%s %.0f", first ? " (" : ", ", rp_str(x, "task"), qa_json_get_num(x, "n"));
        first = 0;
      }
      rp_printf(&tb, "%s.", first ? "" : ")");
      rp_list_take(&l, &tb);
    }
    if (gen) {
      rp_buf gb = {0};
      int k = cJSON_GetArraySize(rp_arr(gen, "metrics"));
      rp_printf(&gb, "%s, generation: %d metric%s", mn, k, rp_s(k));
      int first = 1;
      cJSON_ArrayForEach(x, rp_arr(gen, "metrics")) {
        rp_printf(&gb, "%s%s n = %.0f", first ? " (" : ", ", rp_str(x, "metric"), qa_json_get_num(x, "n"));
        first = 0;
      }
      rp_printf(&gb, "%s.", first ? "" : ")");
      rp_list_take(&l, &gb);
    }
    if (perf)
      rp_list_add(&l, "%s, timing: %.0f decode and %.0f time-to-first-token requests "
                  "(baseline).", mn, qa_json_get_num(perf, "n_decode"),
                  qa_json_get_num(perf, "n_ttft"));
    rp_tokens_sample_size(c, m, &l);
  }
  rp_subsection(c, RP_SEC_METHODS, "samples_title");
  if (l.n) rp_list_emit(c->doc, &l);
  else qa_doc_paragraph(c->doc, "The baselines hold no measurements.");
  rp_list_free(&l);
}

static void tiers_table(const rp_ctx *c) {
  static const qa_doc_col cols[] = {
    {"Tier", 1.3, QA_ALIGN_LEFT}, {"Benchmark drop at most (pp)", 1.2, QA_ALIGN_RIGHT},
    {"Generation drop at most (%)", 1.2, QA_ALIGN_RIGHT},
    {"Mean KLD at most (nats)", 1.2, QA_ALIGN_RIGHT},
    {"Quantized variants", 1.0, QA_ALIGN_RIGHT}};
  const cJSON *t, *counts = obj(c->res, "tier_counts");
  /* The KLD column only when a tier bounds it and some variant has tokens. */
  int kld = 0;
  cJSON_ArrayForEach(t, c->tiers) kld |= !isnan(qa_json_get_num(t, "max_kld"));
  kld &= rp_any_variant_has(c, "tokens");
  qa_doc_col shown[5];
  size_t nc = 0;
  for (size_t i = 0; i < 5; i++)
    if (i != 3 || kld) shown[nc++] = cols[i];
  rp_subsection(c, RP_SEC_METHODS, "tiers_title");
  if (!c->n_tiers) {
    qa_doc_paragraph(c->doc, "The results list no tiers.");
    return;
  }
  rp_prose(c, RP_SEC_METHODS, "tiers_intro");
  qa_doc_table *tab = qa_doc_table_begin(c->doc, "Quality tiers as configured", nc, shown);
  qa_doc_table_expect(tab, (size_t)c->n_tiers);
  cJSON_ArrayForEach(t, c->tiers) {
    rp_row r;
    double n = qa_json_get_num(counts, rp_str(t, "name"));
    size_t k = 3;
    rp_row_init(&r, nc);
    rp_row_tier(&r, 0, c, rp_str(t, "name"));
    if (isnan(qa_json_get_num(t, "max_drop_pp"))) rp_row_set(&r, 1, QA_CELL_MUTED, "worse");
    else rp_row_fixed(&r, 1, qa_json_get_num(t, "max_drop_pp"), 1);
    if (isnan(qa_json_get_num(t, "max_drop_pct"))) rp_row_set(&r, 2, QA_CELL_MUTED, "worse");
    else rp_row_fixed(&r, 2, qa_json_get_num(t, "max_drop_pct"), 1);
    if (kld) {
      /* A tier without max_kld does not bound KLD; the last takes the rest. */
      double mk = qa_json_get_num(t, "max_kld");
      if (!isnan(mk)) rp_fmt_small(r.cell[k], RP_CELL, mk);
      else rp_row_set(&r, k, QA_CELL_MUTED, t->next ? "any" : "worse");
      k++;
    }
    rp_row_fixed(&r, k, isnan(n) ? 0.0 : n, 0);
    rp_row_emit(tab, &r);
  }
  qa_doc_table_end(tab);
}

/* 1 when some adjacent test is of token data (family "tokens"). */
static int adjacent_tokens(const rp_ctx *c) {
  const cJSON *a;
  cJSON_ArrayForEach(a, rp_arr(c->res, "adjacent_tests"))
    if (!strcmp(rp_str(a, "family"), "tokens")) return 1;
  return 0;
}

/* Each method is described only when its data exist (a test that never
** ran is not a method of this report). */
static void methods_list(const rp_ctx *c) {
  rp_list l = {0};
  const cJSON *pw = obj(c->res, "power");
  int has_bench = rp_any_variant_has(c, "benchmark"), has_gen = rp_any_variant_has(c, "generation");
  int has_out = rp_any_variant_has(c, "outputs"), has_rep = rp_any_variant_has(c, "representation");
  int has_perf = rp_any_variant_has(c, "perf");
  int n_adjacent = cJSON_GetArraySize(rp_arr(c->res, "adjacent_tests"));
  if (has_rep)
    rp_list_add(&l, "Representation: per-sample cosine similarity with a 95%% t-interval of "
                "its mean; leave-one-out kNN accuracy with a 95%% Wilson interval, the "
                "neighbours exact under one fixed double-precision cosine (candidates from a "
                "float32 Gram matrix within a proven rounding bound, then re-ranked; ties to "
                "the lower index), and per class an exact McNemar test on each sample's kNN "
                "verdict with Holm over the classes; neighbour overlap at each configured k "
                "from the same ranking; coverage and density (Naeem et al. 2020, Euclidean, "
                "k = knn_k, every strict comparison decided exactly); SQNR, Spearman "
                "\xCF\x81 of pairwise distances and linear CKA.");
  rp_depth_method(c, &l);
  if (has_out)
    rp_list_add(&l, "Outputs: accuracy of the predictions with a 95%% Wilson score interval, "
                "top-1 agreement with the baseline and the KL divergence of the output "
                "distributions.");
  rp_outputs_method(c, &l);
  rp_tokens_method(c, &l);
  if (has_bench)
    rp_list_add(&l, "Benchmark against the baseline, paired by item id (the analysis the "
                "judgements use): the paired difference with its 95%% t-interval, the exact "
                "McNemar test on the discordant items, and equivalence by two one-sided "
                "paired t-tests (TOST) at each configured margin in pp. Unpaired, as the "
                "source report used: Welch's t-test (Welch\xE2\x80\x93Satterthwaite df), its "
                "TOST and Cohen's d with the pooled standard deviation. Accuracies carry 95%% "
                "Wilson score intervals.");
  rp_bench_method(c, &l);
  if (has_gen)
    rp_list_add(&l, "Generation against the baseline, paired by item id: the paired "
                "difference of each metric with its 95%% t-interval, the paired t-test and "
                "the paired TOST at each configured margin in %% of the baseline mean; "
                "unpaired, as the source report used: Welch's t-test, its TOST and Cohen's d. "
                "Means carry 95%% t-intervals.");
  if (n_adjacent)
    rp_list_add(&l, "Adjacent variants: Welch's t on each neighbouring pair with Bonferroni and "
                "Holm over the whole family of tests in the report, and beside it the paired "
                "test (McNemar for the benchmark, paired t for generation) with Holm over the "
                "paired family.%s", adjacent_tokens(c)
                    ? " Token data add, per neighbouring pair, a two-sided normal test of the "
                      "mean per-position difference of the target's negative log-likelihood, "
                      "with its document-clustered standard error, in the same family."
                    : "");
  if (cJSON_IsObject(pw) && (has_bench || has_gen))
    rp_list_add(&l, "Power: minimum detectable effects by the normal approximation at alpha "
                "%.2g (two-sided) and power %.0f %%.", qa_json_get_num(pw, "alpha"),
                100 * qa_json_get_num(pw, "power"));
  if (has_perf) {
    const cJSON *m, *v;
    const char *mean = NULL;
    cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants"))
      if (!mean) mean = qa_json_get_str(obj(v, "perf"), "throughput_mean");
    if (mean && !strcmp(mean, "harmonic"))
      rp_list_add(&l, "Cost: the hourly price over the harmonic mean of the per-request decode "
                  "throughputs (perf.throughput_mean = harmonic), which is time per token "
                  "averaged over requests.");
    else if (mean)
      rp_list_add(&l, "Cost: the hourly price over the arithmetic mean of the per-request "
                  "decode throughputs (perf.throughput_mean = arithmetic, as the source report "
                  "did); time per token would use the harmonic mean.");
  }
  rp_list_add(&l, "Memory figures are in %s (%s).", rp_mem_unit(c),
              !strcmp(rp_mem_unit(c), "GiB") ? "2^30 bytes" : "10^9 bytes");
  rp_subsection(c, RP_SEC_METHODS, "methods_title");
  rp_list_emit(c->doc, &l);
  rp_list_free(&l);
}

static void caveats_list(const rp_ctx *c) {
  rp_list l = {0}, unconf = {0};
  const cJSON *pw = obj(c->res, "power"), *mc = obj(c->res, "multiple_comparisons"), *m, *v;
  double mde = qa_json_get_num(pw, "mde_pp");
  int n_below = cJSON_GetArraySize(rp_arr(pw, "tiers_below_mde"));
  const char *declared = rp_str(c->res, "caveats");
  if (declared && *declared) rp_list_add(&l, "Declared by the study: %s", declared);
  if (!isnan(mde))
    rp_list_add(&l, "The benchmark detects drops of %.1f pp or more (n = %.0f) with the "
                "stated power; %d configured tier threshold%s below that, so verdicts near "
                "%s rest on point estimates.", mde, qa_json_get_num(pw, "benchmark_n"),
                n_below, n_below == 1 ? " lies" : "s lie", n_below == 1 ? "it" : "them");
  if (qa_json_get_num(mc, "m") == 0) {
    rp_buf b = {0};
    rp_no_adjacent_tests(c, &b);
    rp_list_take(&l, &b);
  } else if (!isnan(qa_json_get_num(mc, "m")))
    rp_list_add(&l, "%.0f adjacent tests expect %.1f false positives at alpha %.2g; %.0f of "
                "%.0f significant results survive Holm.", qa_json_get_num(mc, "m"),
                qa_json_get_num(mc, "expected_false_positives"), qa_json_get_num(mc, "alpha"),
                qa_json_get_num(mc, "survive_holm"), qa_json_get_num(mc, "significant"));
  size_t n_first = rp_unconfirmed_negligible(c, &unconf);
  if (unconf.n)
    rp_list_add(&l, "%zu of %zu first-tier verdict%s with benchmark data %s not confirmed by "
                "the paired TOST on the benchmark: a non-significant difference is not "
                "equivalence.", unconf.n, n_first, rp_s((double)n_first),
                unconf.n == 1 ? "is" : "are");
  rp_list_free(&unconf);
  rp_buf est = {0};
  size_t n_est = 0, n_all = 0;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    n_all++;
    if (!isnan(qa_json_get_num(v, "vram_gb")) && rp_bool(v, "vram_measured") != 1) {
      rp_printf(&est, "%s%s/%s", est.len ? ", " : "", rp_str(m, "name"), rp_str(v, "name"));
      n_est++;
    }
  }
  const char *matrix = cJSON_GetArraySize(rp_arr(c->res, "decision_matrix"))
                           ? "; the decision matrix is only as good as that estimate." : ".";
  if (n_est && n_est == n_all && n_all > 1)
    rp_list_add(&l, "Memory is estimated from parameters and bits per weight, not measured, "
                "for every variant%s", matrix);
  else if (n_est)
    rp_list_add(&l, "Memory is estimated, not measured, for %s%s", rp_text(&est), matrix);
  rp_buf_free(&est);
  rp_subsection(c, RP_SEC_METHODS, "caveats_title");
  if (l.n) rp_list_emit(c->doc, &l);
  else qa_doc_paragraph(c->doc, "No caveat follows from the data beyond those stated with "
                                "each table.");
  rp_list_free(&l);
}

/* Families absent for some or all variants, and undeclared items. */
static void not_measured(const rp_ctx *c) {
  static const char *const KEYS[] = {"representation", "outputs", "benchmark", "generation", "perf"};
  static const char *const WHAT[] = {"hidden states (/hidden/<layer>)",
                                     "logits or predictions (/outputs)",
                                     "benchmark results (/eval/<task>/correct)",
                                     "generation scores (/eval/<task>/score/<metric>)",
                                     "timings (/perf)"};
  rp_list l = {0};
  const cJSON *m, *v, *disc = obj(c->res, "disclosure");
  for (size_t k = 0; k < sizeof KEYS / sizeof *KEYS; k++) {
    rp_buf missing = {0};
    int have = 0, lack = 0;
    cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
      if (obj(v, KEYS[k])) { have++; continue; }
      lack++;
      rp_printf(&missing, "%s%s/%s", missing.len ? ", " : "", rp_str(m, "name"), rp_str(v, "name"));
    }
    /* A family no variant has is in "Not covered by this audit". */
    if (lack && have) rp_list_add(&l, "No %s for %s.", WHAT[k], rp_text(&missing));
    rp_buf_free(&missing);
  }
  {
    /* Token data belong to language models: their absence is news only
    ** beside variants that have them. */
    rp_buf missing = {0};
    int have = 0;
    cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
      if (obj(v, "tokens")) { have++; continue; }
      rp_printf(&missing, "%s%s/%s", missing.len ? ", " : "", rp_str(m, "name"), rp_str(v, "name"));
    }
    if (have && missing.len)
      rp_list_add(&l, "No next-token logits (/tokens/logits) for %s.", rp_text(&missing));
    rp_buf_free(&missing);
  }
  for (size_t i = 0; i < QA_N_DISCLOSURE; i++) {
    const cJSON *f = obj(disc, qa_disclosure_fields[i]);
    if (!qa_json_get_str(f, "value"))
      rp_list_add(&l, "Disclosure \"%s\" is not declared, so no conclusion here can depend "
                  "on it.", qa_disclosure_fields[i]);
  }
  if (!cJSON_GetArraySize(rp_arr(c->res, "claims")) && c->tmpl &&
      !rp_template_included(c->tmpl, RP_SEC_CLAIMS))
    rp_list_add(&l, "No claims were configured, so none were checked.");
  rp_subsection(c, RP_SEC_METHODS, "missing_title");
  if (l.n) rp_list_emit(c->doc, &l);
  else qa_doc_paragraph(c->doc, "Every family of measurements this audit covers is present "
                                "for every variant and every disclosure item is declared.");
  rp_list_free(&l);
}

void rp_section_methods(const rp_ctx *c) {
  rp_heading(c, RP_SEC_METHODS);
  if (!rp_n_models(c)) {
    qa_doc_paragraph(c->doc, "The results hold no model; list models under \"models\" in "
                             "the configuration to enable this section.");
    return;
  }
  rp_prose(c, RP_SEC_METHODS, "intro");
  variants_table(c);
  sample_sizes(c);
  tiers_table(c);
  methods_list(c);
  caveats_list(c);
  rp_not_covered_part(c);   /* report_cover.c */
  not_measured(c);
}

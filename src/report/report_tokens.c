/*
** Token-level outputs of language models (INTERFACE.md section 5,
** STATISTICS.md "Token-level outputs"): per model, one table of each
** variant's headline numbers (PPL, the PPL ratio and mean KLD with their
** 95% intervals, the KLD tail, same top, RMS Δp), the whole ladder as
** llama.cpp's llama-perplexity --kl-divergence prints it, and the numbers
** by slice with each variant's worst slice marked.  Also what the other
** sections say about tokens: the summary's finding per model, the methods'
** paragraph and the sample sizes.
**
** It reads models[].variants[].tokens of the results tree and nothing
** else.  It formats numbers and never derives one, except the ratio
** se_doc / se the methods quote (two numbers of the tree side by side).
** Without token data it writes nothing at all, not even a heading: most
** studies are not of language models, and a section that only says so
** would be noise in every other report.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define MAX_VARIANTS 64
#define LADDER_COLS 6        /* variant columns of a ladder table before it splits */
#define MAX_SLICES 24        /* slices in a model's slice table; the worst are kept */

static const cJSON *tok(const cJSON *v) { return rp_obj(v, "tokens"); }

static double tnum(const cJSON *v, const char *key) { return qa_json_get_num(tok(v), key); }

/* Non-baseline variants of m with tokens, in configured order. */
static size_t tok_variants(const cJSON *m, const cJSON **out) {
  const cJSON *v;
  size_t n = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1 && tok(v) && n < MAX_VARIANTS) out[n++] = v;
  return n;
}

int rp_tokens_any(const rp_ctx *c) {
  const cJSON *m, *vars[MAX_VARIANTS];
  cJSON_ArrayForEach(m, c->models) if (tok_variants(m, vars) > 0) return 1;
  return 0;
}

/* The variant whose tokens describe the model's positions (n, docs,
** vocab): the baseline, else the first variant with tokens. */
static const cJSON *tok_reference(const cJSON *m) {
  const cJSON *v, *b = rp_baseline(m);
  if (tok(b)) return b;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (tok(v)) return v;
  return NULL;
}

static const cJSON *slice_of(const cJSON *v, const char *name) {
  const cJSON *s;
  cJSON_ArrayForEach(s, rp_arr(tok(v), "slices"))
    if (!strcmp(rp_str(s, "slice"), name)) return s;
  return NULL;
}

/* "20,000 positions in 40 documents" */
static void positions_text(const cJSON *ref, rp_buf *b) {
  char n[RP_FMT], d[RP_FMT];
  double docs = tnum(ref, "docs");
  rp_fmt_int(n, sizeof n, tnum(ref, "n"));
  rp_fmt_int(d, sizeof d, docs);
  rp_printf(b, "%s positions in %s document%s", n, d, rp_s(docs));
}

/* ---- the headline table ---- */

/* A KLD to three significant digits ("0.000514", "0.0412", "1.80"), in
** scientific notation below 1e-4 ("1.37e-06"), "0" for 0; decimals of the
** fixed form into *dec (-1: scientific). */
static void fmt_kld3(char *buf, size_t cap, double v, int *dec) {
  int d = -1;
  if (isnan(v)) snprintf(buf, cap, RP_DASH);
  else if (v == 0.0) { d = 4; snprintf(buf, cap, "0"); }
  else if (fabs(v) < 1e-4) snprintf(buf, cap, "%.2e", v);
  else {
    d = 2 - (int)floor(log10(fabs(v)));
    d = d < 0 ? 0 : d > 6 ? 6 : d;
    snprintf(buf, cap, "%.*f", d, v);
  }
  if (dec) *dec = d;
}

/* Mean KLD and its interval, the ends in the mean's form:
** "0.00147 [0.00141, 0.00153]", "1.37e-06 [1.31e-06, 1.43e-06]". */
static void fmt_kld_ci(const cJSON *k, char *mean, char *ci, size_t cap) {
  int d;
  fmt_kld3(mean, cap, rp_num2(k, "kld", "mean"), &d);
  const cJSON *pair = cJSON_GetObjectItemCaseSensitive(k, "kld_ci95");
  const cJSON *lo = cJSON_GetArrayItem(pair, 0), *hi = cJSON_GetArrayItem(pair, 1);
  if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)) snprintf(ci, cap, RP_DASH);
  else if (d < 0) snprintf(ci, cap, "[%.2e, %.2e]", lo->valuedouble, hi->valuedouble);
  else rp_fmt_interval(ci, cap, pair, d);
}

/* "91.20 ± 0.20": percent, at most two decimals (a table column is narrow). */
static void fmt_same_top(char *buf, size_t cap, const cJSON *k) {
  double v = 100 * qa_json_get_num(k, "same_top"), se = 100 * qa_json_get_num(k, "same_top_se");
  int d = rp_decimals_for(se, 1, 2, 2);
  if (isnan(v)) snprintf(buf, cap, RP_DASH);
  else if (!isfinite(se)) snprintf(buf, cap, "%.*f", d, v);
  else snprintf(buf, cap, "%.*f \xC2\xB1 %.*f", d, v, d, se);
}

/* Decimals of the PPL ratio: enough for its naive se to show. */
static int ratio_decimals(const cJSON *v) {
  return rp_decimals_for(tnum(v, "ppl_ratio_se"), 3, 6, 4);
}

static void headline_row(qa_doc_table *t, const cJSON *v, int is_base) {
  const cJSON *k = tok(v);
  rp_row r;
  rp_row_init(&r, 11);
  rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
  rp_fmt_pm(r.cell[1], RP_CELL, qa_json_get_num(k, "ppl"), qa_json_get_num(k, "ppl_unc"), 0, 3);
  if (!is_base) {   /* the baseline against itself is ratio 1, KLD 0: left blank */
    int dr = ratio_decimals(v);
    rp_row_fixed(&r, 2, qa_json_get_num(k, "ppl_ratio"), dr);
    rp_fmt_interval(r.cell[3], RP_CELL, cJSON_GetObjectItemCaseSensitive(k, "ppl_ratio_ci95"), dr);
    fmt_kld_ci(k, r.cell[4], r.cell[5], RP_CELL);
    rp_fmt_small(r.cell[6], RP_CELL, rp_num2(k, "kld", "p99"));
    rp_fmt_small(r.cell[7], RP_CELL, rp_num2(k, "kld", "p99_9"));
    rp_fmt_small(r.cell[8], RP_CELL, rp_num2(k, "kld", "max"));
    fmt_same_top(r.cell[9], RP_CELL, k);
    rp_row_fixed(&r, 10, 100 * qa_json_get_num(k, "rms_dp"), 2);
  } else {
    r.style[0] = QA_CELL_MUTED;
  }
  rp_row_emit(t, &r);
}

static void headline_table(const rp_ctx *c, const cJSON *m, const cJSON *const *vars, size_t n) {
  /* Widths in points of the 483 pt text width: each column holds its
  ** widest number at 8 pt without the table layer shrinking it. */
  static const qa_doc_col cols[] = {
    {"Variant", 46, QA_ALIGN_LEFT}, {"PPL \xC2\xB1 unc.", 46, QA_ALIGN_RIGHT},
    {"PPL ratio", 46, QA_ALIGN_RIGHT}, {"Ratio 95% CI", 54, QA_ALIGN_RIGHT},
    {"Mean KLD", 46, QA_ALIGN_RIGHT}, {"KLD 95% CI", 54, QA_ALIGN_RIGHT},
    {"KLD p99", 38, QA_ALIGN_RIGHT}, {"KLD p99.9", 38, QA_ALIGN_RIGHT},
    {"KLD max", 38, QA_ALIGN_RIGHT}, {"Same top (%)", 44, QA_ALIGN_RIGHT},
    {"RMS \xCE\x94p (%)", 33, QA_ALIGN_RIGHT}};
  const cJSON *ref = tok_reference(m), *base = rp_baseline(m);
  char vocab[RP_FMT];
  rp_buf cap = {0};
  rp_fmt_int(vocab, sizeof vocab, tnum(ref, "vocab"));
  rp_printf(&cap, "%s: next-token outputs against %s, ", rp_str(m, "name"), rp_str(m, "baseline"));
  positions_text(ref, &cap);
  rp_printf(&cap, ", vocabulary %s", vocab);
  qa_doc_table *t = qa_doc_table_begin(c->doc, rp_text(&cap), 11, cols);
  qa_doc_table_expect(t, n + (tok(base) != NULL));
  qa_doc_table_note(t, "PPL and same top: \xC2\xB1 the standard error llama.cpp prints, which "
                       "takes the positions as independent. 95% CI: the mean \xC2\xB1 z \xC2\xB7 "
                       "se_doc, the document-clustered standard error (the naive one with a "
                       "single document); the PPL ratio's is exp of the ln ratio's. KLD in "
                       "nats; RMS \xCE\x94p in percentage points of the target token's "
                       "probability. The baseline row gives its own PPL.");
  rp_buf_free(&cap);
  if (tok(base)) headline_row(t, base, 1);
  for (size_t i = 0; i < n; i++) headline_row(t, vars[i], 0);
  qa_doc_table_end(t);
}

/* ---- the ladder ---- */

enum { L_PM, L_PM_SIGNED, L_PCT, L_KLD, L_DP, L_PM100, L_PM100_SIGNED };

typedef struct ladder_row {
  const char *label;
  const char *obj;            /* "kld", "dp" or NULL (the tokens object) */
  const char *key, *se_key;
  int kind;
} ladder_row;

/* llama.cpp's three blocks, in its order (perplexity.cpp, kl_divergence()). */
static const ladder_row LADDER[] = {
  {"Mean PPL(Q)", NULL, "ppl", "ppl_unc", L_PM},
  {"Mean PPL(base)", NULL, "ppl_base", "ppl_base_unc", L_PM},
  {"Cor(ln PPL(Q), ln PPL(base)) (%)", NULL, "cor_ln_ppl", NULL, L_PCT},
  {"Mean ln(PPL(Q) / PPL(base))", NULL, "ln_ppl_ratio", "ln_ppl_ratio_se", L_PM_SIGNED},
  {"Mean PPL(Q) / PPL(base)", NULL, "ppl_ratio", "ppl_ratio_se", L_PM},
  {"Mean PPL(Q) \xE2\x88\x92 PPL(base)", NULL, "ppl_diff", "ppl_diff_se", L_PM_SIGNED},
  {"KLD mean", "kld", "mean", "se", L_PM},
  {"KLD maximum", "kld", "max", NULL, L_KLD},
  {"KLD 99.9 %", "kld", "p99_9", NULL, L_KLD},
  {"KLD 99.0 %", "kld", "p99", NULL, L_KLD},
  {"KLD 95.0 %", "kld", "p95", NULL, L_KLD},
  {"KLD 90.0 %", "kld", "p90", NULL, L_KLD},
  {"KLD median", "kld", "median", NULL, L_KLD},
  {"KLD 10.0 %", "kld", "p10", NULL, L_KLD},
  {"KLD 5.0 %", "kld", "p05", NULL, L_KLD},
  {"KLD 1.0 %", "kld", "p01", NULL, L_KLD},
  {"KLD 0.1 %", "kld", "p00_1", NULL, L_KLD},
  {"KLD minimum", "kld", "min", NULL, L_KLD},
  {"\xCE\x94p mean", "dp", "mean", "se", L_PM100_SIGNED},
  {"\xCE\x94p maximum", "dp", "max", NULL, L_DP},
  {"\xCE\x94p 99.9 %", "dp", "p99_9", NULL, L_DP},
  {"\xCE\x94p 99.0 %", "dp", "p99", NULL, L_DP},
  {"\xCE\x94p 95.0 %", "dp", "p95", NULL, L_DP},
  {"\xCE\x94p 90.0 %", "dp", "p90", NULL, L_DP},
  {"\xCE\x94p 75.0 %", "dp", "p75", NULL, L_DP},
  {"\xCE\x94p median", "dp", "median", NULL, L_DP},
  {"\xCE\x94p 25.0 %", "dp", "p25", NULL, L_DP},
  {"\xCE\x94p 10.0 %", "dp", "p10", NULL, L_DP},
  {"\xCE\x94p 5.0 %", "dp", "p05", NULL, L_DP},
  {"\xCE\x94p 1.0 %", "dp", "p01", NULL, L_DP},
  {"\xCE\x94p 0.1 %", "dp", "p00_1", NULL, L_DP},
  {"\xCE\x94p minimum", "dp", "min", NULL, L_DP},
  {"RMS \xCE\x94p", NULL, "rms_dp", "rms_dp_se", L_PM100},
  {"Same top p", NULL, "same_top", "same_top_se", L_PM100},
};
#define N_LADDER (sizeof LADDER / sizeof *LADDER)

static void ladder_cell(char *buf, const cJSON *v, const ladder_row *lr) {
  const cJSON *o = lr->obj ? rp_obj(tok(v), lr->obj) : tok(v);
  double x = qa_json_get_num(o, lr->key), se = lr->se_key ? qa_json_get_num(o, lr->se_key) : NAN;
  switch (lr->kind) {
  case L_PM: rp_fmt_pm(buf, RP_CELL, x, se, 0, 4); break;
  case L_PM_SIGNED: rp_fmt_pm(buf, RP_CELL, x, se, 1, 4); break;
  case L_PCT: rp_fmt_fixed(buf, RP_CELL, 100 * x, 2); break;
  case L_KLD: rp_fmt_small(buf, RP_CELL, x); break;
  case L_DP: rp_fmt_signed(buf, RP_CELL, 100 * x, 3); break;
  case L_PM100: rp_fmt_pm(buf, RP_CELL, 100 * x, 100 * se, 0, 3); break;
  case L_PM100_SIGNED: rp_fmt_pm(buf, RP_CELL, 100 * x, 100 * se, 1, 3); break;
  }
}

static void ladder_table(const rp_ctx *c, const cJSON *m, const cJSON *const *vars, size_t n,
                         int last) {
  qa_doc_col cols[RP_MAX_COLS];
  cols[0] = (qa_doc_col){"Statistic", 1.9, QA_ALIGN_LEFT};
  for (size_t i = 0; i < n; i++) cols[1 + i] = (qa_doc_col){rp_str(vars[i], "name"), 1.0, QA_ALIGN_RIGHT};
  char caption[256];
  snprintf(caption, sizeof caption, "%s: the KLD and token-probability ladder against %s, as "
           "llama.cpp prints it", rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 1 + n, cols);
  qa_doc_table_expect(t, N_LADDER);
  if (last)
    qa_doc_table_note(t, "Q is the variant of the column. \xC2\xB1: the naive standard error "
                         "(llama.cpp's). KLD in nats; \xCE\x94p (the variant's probability of "
                         "the target token minus the baseline's), RMS \xCE\x94p and same top in "
                         "percent. Percentiles interpolate linearly (R type 7).");
  for (size_t k = 0; k < N_LADDER; k++) {
    rp_row r;
    rp_row_init(&r, 1 + n);
    /* The first row of each block in bold: where llama.cpp starts a new one. */
    int head = k == 0 || (LADDER[k].obj && (!LADDER[k - 1].obj ||
                                            strcmp(LADDER[k].obj, LADDER[k - 1].obj)));
    rp_row_set(&r, 0, head ? QA_CELL_BOLD : QA_CELL_NORMAL, "%s", LADDER[k].label);
    for (size_t i = 0; i < n; i++) ladder_cell(r.cell[1 + i], vars[i], &LADDER[k]);
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

/* ---- by slice ---- */

/* The slices a model's table shows (names borrowed from the tree): every
** slice of the reference variant when they fit, else the MAX_SLICES whose
** highest mean KLD over the variants is largest (ties: the first), in
** their order. */
static size_t pick_slices(const cJSON *m, const cJSON *const *vars, size_t n_vars,
                          const char **out, size_t *of) {
  const cJSON *s, *ref = tok(rp_baseline(m)) ? rp_baseline(m) : vars[0];
  if (!cJSON_GetArraySize(rp_arr(tok(ref), "slices"))) ref = vars[0];
  double score[MAX_SLICES];
  size_t idx[MAX_SLICES], n = 0, k = 0;
  cJSON_ArrayForEach(s, rp_arr(tok(ref), "slices")) {
    const char *name = rp_str(s, "slice");
    double w = -INFINITY;
    for (size_t i = 0; i < n_vars; i++) {
      double x = qa_json_get_num(slice_of(vars[i], name), "kld_mean");
      if (!isnan(x)) w = fmax(w, x);
    }
    /* Kept sorted by score, descending; a later slice never passes an equal one. */
    size_t at = n;
    while (at > 0 && score[at - 1] < w) at--;
    if (at < MAX_SLICES) {
      size_t last = n < MAX_SLICES ? n++ : MAX_SLICES - 1;
      memmove(score + at + 1, score + at, (last - at) * sizeof *score);
      memmove(idx + at + 1, idx + at, (last - at) * sizeof *idx);
      score[at] = w;
      idx[at] = k;
    }
    k++;
  }
  *of = k;
  /* Back to the slices' own order. */
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
      size_t t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
    }
  for (size_t i = 0; i < n; i++)
    out[i] = rp_str(cJSON_GetArrayItem(rp_arr(tok(ref), "slices"), (int)idx[i]), "slice");
  return n;
}

static void slice_table(const rp_ctx *c, const cJSON *m, const cJSON *const *vars, size_t n_vars) {
  static const qa_doc_col cols[] = {
    {"Slice", 1.4, QA_ALIGN_LEFT}, {"Variant", 0.85, QA_ALIGN_LEFT},
    {"Positions", 0.75, QA_ALIGN_RIGHT}, {"Mean KLD \xC2\xB1 se_doc", 1.75, QA_ALIGN_RIGHT},
    {"KLD p99", 0.7, QA_ALIGN_RIGHT}, {"Same top (%)", 0.75, QA_ALIGN_RIGHT},
    {"ln PPL ratio \xC2\xB1 se_doc", 1.55, QA_ALIGN_RIGHT}};
  const char *names[MAX_SLICES];
  size_t of = 0, n = pick_slices(m, vars, n_vars, names, &of);
  if (!n) return;
  rp_prose(c, RP_SEC_TOKENS, "slices_intro");
  char caption[256];
  rp_buf note = {0};
  snprintf(caption, sizeof caption, "%s: token-level outputs by slice against %s",
           rp_str(m, "name"), rp_str(m, "baseline"));
  rp_printf(&note, "Amber: the slice of highest mean KLD of each variant (tokens.worst_slice). "
            "se_doc: the document-clustered standard error within the slice (" RP_DASH
            " with fewer than two documents in it).");
  if (n < of)
    rp_printf(&note, " Shown: the %zu of the %zu slices whose highest mean KLD over the "
              "variants is largest; report.json lists them all.", n, of);
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 7, cols);
  qa_doc_table_expect(t, n * n_vars);
  qa_doc_table_note(t, rp_text(&note));
  rp_buf_free(&note);
  for (size_t k = 0; k < n; k++)
    for (size_t i = 0; i < n_vars; i++) {
      const cJSON *s = slice_of(vars[i], names[k]);
      const char *worst = qa_json_get_str(tok(vars[i]), "worst_slice");
      rp_row r;
      rp_row_init(&r, 7);
      if (i == 0) rp_row_set(&r, 0, QA_CELL_BOLD, "%s", names[k]);
      rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", rp_str(vars[i], "name"));
      rp_fmt_int(r.cell[2], RP_CELL, qa_json_get_num(s, "n"));
      double se = qa_json_get_num(s, "kld_se_doc");
      rp_fmt_pm(r.cell[3], RP_CELL, qa_json_get_num(s, "kld_mean"), se, 0, 4);
      if (isnan(se) && s) snprintf(r.cell[3] + strlen(r.cell[3]), 32, " \xC2\xB1 " RP_DASH);
      if (worst && s && !strcmp(worst, names[k])) {
        r.style[3] = QA_CELL_WARN;
        rp_row_fill(&r, 3, RP_FILL_WARN);
      }
      rp_fmt_small(r.cell[4], RP_CELL, qa_json_get_num(s, "kld_p99"));
      rp_row_fixed(&r, 5, 100 * qa_json_get_num(s, "same_top"), 2);
      rp_fmt_pm(r.cell[6], RP_CELL, qa_json_get_num(s, "ln_ppl_ratio"),
                qa_json_get_num(s, "ln_ppl_ratio_se_doc"), 1, 4);
      if (isnan(qa_json_get_num(s, "ln_ppl_ratio_se_doc")) && s)
        snprintf(r.cell[6] + strlen(r.cell[6]), 32, " \xC2\xB1 " RP_DASH);
      rp_row_emit(t, &r);
    }
  qa_doc_table_end(t);
}

/* ---- the section ---- */

static void tokens_model(const rp_ctx *c, const cJSON *m) {
  const cJSON *vars[MAX_VARIANTS];
  size_t n = tok_variants(m, vars);
  if (!n) return;
  if (rp_n_models(c) > 1) qa_doc_subsection(c->doc, rp_str(m, "name"));
  headline_table(c, m, vars, n);
  rp_prose(c, RP_SEC_TOKENS, "ladder_intro");
  for (size_t at = 0; at < n; at += LADDER_COLS)
    ladder_table(c, m, vars + at, n - at < LADDER_COLS ? n - at : LADDER_COLS,
                 at + LADDER_COLS >= n);
  int any_slices = 0;
  for (size_t i = 0; i < n; i++) any_slices |= cJSON_GetArraySize(rp_arr(tok(vars[i]), "slices")) > 0;
  if (any_slices) {
    slice_table(c, m, vars, n);
  } else {
    rp_buf b = {0};
    rp_printf(&b, "The caches of %s have no /tokens/slice (with /tokens/slice_names), so there "
              "is no breakdown by slice.", rp_str(m, "name"));
    qa_doc_paragraph(c->doc, rp_text(&b));
    rp_buf_free(&b);
  }
}

void rp_section_tokens(const rp_ctx *c) {
  const cJSON *m, *vars[MAX_VARIANTS];
  int any = 0;
  cJSON_ArrayForEach(m, c->models) any |= tok_variants(m, vars) > 0;
  if (!any) return;
  rp_heading(c, RP_SEC_TOKENS);
  rp_prose(c, RP_SEC_TOKENS, "intro");
  cJSON_ArrayForEach(m, c->models) tokens_model(c, m);
}

/* ---- in other sections ---- */

void rp_tokens_finding(const rp_ctx *c, const cJSON *m, rp_list *out) {
  const cJSON *vars[MAX_VARIANTS];
  size_t n = tok_variants(m, vars);
  (void)c;
  if (!n) return;
  rp_buf b = {0};
  rp_printf(&b, "%s, next-token outputs against %s (", rp_str(m, "name"), rp_str(m, "baseline"));
  positions_text(tok_reference(m), &b);
  rp_printf(&b, "):");
  for (size_t i = 0; i < n; i++) {
    const cJSON *k = tok(vars[i]);
    char ratio[RP_FMT], ratio_ci[RP_FMT * 2], kld[RP_FMT * 2], kld_ci[RP_FMT * 2], same[RP_FMT];
    char p99[RP_FMT];
    int dr = ratio_decimals(vars[i]);
    rp_fmt_fixed(ratio, sizeof ratio, qa_json_get_num(k, "ppl_ratio"), dr);
    rp_fmt_interval(ratio_ci, sizeof ratio_ci, cJSON_GetObjectItemCaseSensitive(k, "ppl_ratio_ci95"), dr);
    fmt_kld_ci(k, kld, kld_ci, sizeof kld);
    rp_fmt_fixed(same, sizeof same, 100 * qa_json_get_num(k, "same_top"),
                 rp_decimals_for(100 * qa_json_get_num(k, "same_top_se"), 1, 2, 2));
    rp_fmt_small(p99, sizeof p99, rp_num2(k, "kld", "p99"));
    rp_printf(&b, " %s: PPL ratio %s %s, mean KLD %s %s nats, same top %s %%",
              rp_str(vars[i], "name"), ratio, ratio_ci, kld, kld_ci, same);
    const char *worst = qa_json_get_str(k, "worst_slice");
    /* A worst slice among one is no finding. */
    if (worst && cJSON_GetArraySize(rp_arr(k, "slices")) >= 2) {
      char wk[RP_FMT];
      fmt_kld3(wk, sizeof wk, qa_json_get_num(slice_of(vars[i], worst), "kld_mean"), NULL);
      rp_printf(&b, "; worst slice %s (mean KLD %s)", worst, wk);
    }
    if (!isnan(rp_num2(k, "kld", "p99")))
      rp_printf(&b, "; 1 %% of positions above %s nats (p99)", p99);
    rp_printf(&b, ".");
  }
  rp_list_take(out, &b);
}

void rp_tokens_sample_size(const rp_ctx *c, const cJSON *m, rp_list *out) {
  const cJSON *ref = tok_reference(m), *s;
  (void)c;
  if (!ref) return;
  char vocab[RP_FMT];
  rp_buf b = {0};
  rp_fmt_int(vocab, sizeof vocab, tnum(ref, "vocab"));
  rp_printf(&b, "%s, token-level: ", rp_str(m, "name"));
  positions_text(ref, &b);
  rp_printf(&b, ", vocabulary of %s", vocab);
  int k = cJSON_GetArraySize(rp_arr(tok(ref), "slices"));
  if (k > 0) {
    rp_printf(&b, "; %d slice%s", k, rp_s(k));
    int first = 1;
    if (k <= 12)
      cJSON_ArrayForEach(s, rp_arr(tok(ref), "slices")) {
        char n[RP_FMT];
        rp_fmt_int(n, sizeof n, qa_json_get_num(s, "n"));
        rp_printf(&b, "%s%s %s", first ? " (" : ", ", rp_str(s, "slice"), n);
        first = 0;
      }
    if (!first) rp_printf(&b, ")");
  }
  rp_printf(&b, ".");
  rp_list_take(out, &b);
}

/* se_doc / se of mean KLD and of the ln PPL ratio, over every non-baseline
** variant that has both. */
typedef struct se_ratio {
  size_t n;
  double kld_lo, kld_hi, ln_lo, ln_hi;
  rp_list each;              /* "int4, 2.31 for mean KLD and 1.87 for the ln PPL ratio" */
} se_ratio;

static void se_ratios(const rp_ctx *c, se_ratio *r) {
  const cJSON *m, *vars[MAX_VARIANTS];
  r->kld_lo = r->ln_lo = INFINITY;
  r->kld_hi = r->ln_hi = -INFINITY;
  cJSON_ArrayForEach(m, c->models) {
    size_t n = tok_variants(m, vars);
    for (size_t i = 0; i < n; i++) {
      const cJSON *k = tok(vars[i]);
      double a = rp_num2(k, "kld", "se_doc") / rp_num2(k, "kld", "se");
      double b = qa_json_get_num(k, "ln_ppl_ratio_se_doc") / qa_json_get_num(k, "ln_ppl_ratio_se");
      if (!isfinite(a) && !isfinite(b)) continue;
      r->n++;
      if (isfinite(a)) { r->kld_lo = fmin(r->kld_lo, a); r->kld_hi = fmax(r->kld_hi, a); }
      if (isfinite(b)) { r->ln_lo = fmin(r->ln_lo, b); r->ln_hi = fmax(r->ln_hi, b); }
      char sa[RP_FMT], sb[RP_FMT];
      rp_fmt_fixed(sa, sizeof sa, isfinite(a) ? a : NAN, 2);
      rp_fmt_fixed(sb, sizeof sb, isfinite(b) ? b : NAN, 2);
      if (rp_n_models(c) > 1)
        rp_list_add(&r->each, "%s/%s, %s for mean KLD and %s for the ln PPL ratio",
                    rp_str(m, "name"), rp_str(vars[i], "name"), sa, sb);
      else
        rp_list_add(&r->each, "%s, %s for mean KLD and %s for the ln PPL ratio",
                    rp_str(vars[i], "name"), sa, sb);
    }
  }
}

void rp_tokens_method(const rp_ctx *c, rp_list *out) {
  if (!rp_any_variant_has(c, "tokens")) return;
  rp_buf b = {0};
  se_ratio r = {0};
  rp_printf(&b, "Token-level outputs: at every evaluated position, the log-softmax of the "
            "baseline's and of the variant's logits in double precision over every entry of "
            "the vocabulary (log-sum-exp shifted by the maximum), and from it the target "
            "token's negative log-likelihood (PPL is exp of its mean), the KLD "
            "\xCE\xA3_j p_j (log p_j \xE2\x88\x92 log q_j) of the variant's distribution q "
            "from the baseline's p, the change \xCE\x94p of the target's probability, and "
            "whether both pick the same top token. These are the statistics of llama.cpp's "
            "llama-perplexity --kl-divergence, which stores the baseline's log-probabilities "
            "in 16 bits and skips entries below \xE2\x88\x92" "16, so that its small KLDs are "
            "rounded and can come out negative; here every entry counts, unrounded. The "
            "\xC2\xB1 values are llama.cpp's standard errors, s/\xE2\x88\x9AT, which take the "
            "T positions as independent. Positions of one document share their context; "
            "where their errors move together, a mean over them varies more than "
            "s/\xE2\x88\x9AT says. The intervals, claims and tests therefore use the "
            "document-clustered standard error, which sums the deviations within each "
            "document before squaring "
            "(se_doc = \xE2\x88\x9A(G/(G\xE2\x88\x92" "1) \xCE\xA3_g r_g\xC2\xB2)/T over G "
            "documents). A ratio se_doc/se of r means the positions carry about as much "
            "information as T/r\xC2\xB2 independent ones.");
  se_ratios(c, &r);
  if (!r.n) {
    rp_printf(&b, " Here the positions of every model come from one document (no "
              "/tokens/doc), so there is no clustered error: the intervals use the naive one, "
              "too narrow if the positions are related.");
  } else if (r.n <= 4) {
    rp_printf(&b, " Here se_doc/se is, at ");
    for (size_t i = 0; i < r.each.n; i++) rp_printf(&b, "%s%s", i ? "; at " : "", r.each.items[i]);
    rp_printf(&b, ".");
  } else {
    rp_printf(&b, " Here, over the %zu variants, se_doc/se ranges", r.n);
    if (isfinite(r.kld_lo)) rp_printf(&b, " from %.2f to %.2f for mean KLD", r.kld_lo, r.kld_hi);
    if (isfinite(r.kld_lo) && isfinite(r.ln_lo)) rp_printf(&b, " and");
    if (isfinite(r.ln_lo))
      rp_printf(&b, " from %.2f to %.2f for the ln PPL ratio", r.ln_lo, r.ln_hi);
    rp_printf(&b, ".");
  }
  /* What the ratios say, and no more: 1.1 is where a ratio stops reading
  ** as "about 1" (the clustered estimate itself rests on G documents). */
  double lo = fmin(r.kld_lo, r.ln_lo), hi = fmax(r.kld_hi, r.ln_hi);
  if (r.n && lo > 1.1)
    rp_printf(&b, " The naive \xC2\xB1 understates the uncertainty of every variant here, and "
              "the clustered intervals are wider by these factors.");
  else if (r.n && hi <= 1.1)
    rp_printf(&b, " Here the positions of a document behave about as if independent: the "
              "clustered error is no larger than the naive one (a ratio a little below 1 is "
              "the sampling noise of an estimate that rests on the documents, not extra "
              "precision).");
  else if (r.n)
    rp_printf(&b, " Where the ratio exceeds 1 the naive \xC2\xB1 understates the uncertainty "
              "and the clustered interval is wider by that factor.");
  rp_list_free(&r.each);
  rp_list_take(out, &b);
}

/*
** Claim validation and the decision matrix: the two sections a reader acts
** on.  Claims are shown with their status as the analysis judged them
** (src/analysis decides a status; this file only colours it).  The decision
** matrix lists, per memory tier, the rows that first fit in it, with use-case
** picks among everything recommended that fits so far.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "render/report_internal.h"
#include "results/results.h"

/* ---- claims ---- */

static void claim_status(rp_row *r, size_t i, const char *status) {
  if (!strcmp(status, "demonstrated")) {
    rp_row_set(r, i, QA_CELL_GOOD, "%s", status);
    rp_row_fill(r, i, RP_FILL_GOOD);
  } else if (!strcmp(status, "demonstrated (point estimate only)")) {
    rp_row_set(r, i, QA_CELL_NORMAL, "%s", status);
    rp_row_fill(r, i, RP_FILL_OK);
  } else if (!strcmp(status, "inconclusive")) {
    rp_row_set(r, i, QA_CELL_WARN, "%s", status);
    rp_row_fill(r, i, RP_FILL_WARN);
  } else if (!strcmp(status, "not supported")) {
    rp_row_set(r, i, QA_CELL_BAD, "%s", status);
    rp_row_fill(r, i, RP_FILL_BAD);
  } else {
    rp_row_set(r, i, QA_CELL_MUTED, "%s", *status ? status : RP_DASH);
  }
}

void rp_section_claims(const rp_ctx *c) {
  qa_doc_col cols[] = {
    {"ID", 0.45, QA_ALIGN_LEFT}, {"Claim", 2.4, QA_ALIGN_LEFT},
    {"Status", 1.5, QA_ALIGN_LEFT}, {"Evidence", 3.3, QA_ALIGN_LEFT}};
  const cJSON *claims = rp_arr(c->res, "claims"), *cl;
  /* The ID column grows with the longest ID ("C9-llama3.2-1b"), about 0.1
  ** of a unit per character, at the evidence column's expense. */
  size_t longest = 0;
  cJSON_ArrayForEach(cl, claims)
    if (strlen(rp_str(cl, "id")) > longest) longest = strlen(rp_str(cl, "id"));
  double id_w = 0.11 * (double)longest;
  if (id_w > 0.45) {
    if (id_w > 1.3) id_w = 1.3;
    cols[3].width -= id_w - cols[0].width;
    cols[0].width = id_w;
  }
  rp_heading(c, RP_SEC_CLAIMS);
  if (!cJSON_GetArraySize(claims)) {
    qa_doc_paragraph(c->doc, "No claims are configured; add a \"claims\" list to the "
                             "configuration to have each claim checked against the numbers.");
    return;
  }
  rp_prose(c, RP_SEC_CLAIMS, "intro");
  qa_doc_table *t = qa_doc_table_begin(c->doc, "Claims and their status", 4, cols);
  qa_doc_table_expect(t, (size_t)cJSON_GetArraySize(claims));
  cJSON_ArrayForEach(cl, claims) {
    rp_row r;
    rp_row_init(&r, 4);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(cl, "id"));
    rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", rp_str(cl, "text"));
    claim_status(&r, 2, rp_str(cl, "status"));
    rp_row_set(&r, 3, QA_CELL_NORMAL, "%s", rp_str(cl, "evidence"));
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

/* ---- decision matrix ---- */

/* One row; the model column is left out (skip = 1) when there is one model. */
static void matrix_row(const rp_ctx *c, qa_doc_table *t, const cJSON *row, size_t skip) {
  rp_row r;
  int rec = rp_bool(row, "recommended");
  rp_row_init(&r, 9);
  rp_row_set(&r, 0, QA_CELL_NORMAL, "%s", rp_str(row, "model"));
  rp_row_set(&r, 1, QA_CELL_BOLD, "%s", rp_str(row, "variant"));
  rp_fmt_memory(r.cell[2], RP_CELL, qa_json_get_num(row, "vram_gb"), 0);
  rp_row_tier(&r, 3, c, rp_str(row, "tier"));
  rp_row_signed(&r, 4, qa_json_get_num(row, "bench_delta_pp"), 1);
  rp_row_signed(&r, 5, qa_json_get_num(row, "gen_delta_pct"), 1);
  rp_row_fixed(&r, 6, qa_json_get_num(row, "decode_tok_s"), 1);
  rp_row_fixed(&r, 7, qa_json_get_num(row, "usd_per_mtok"), 4);
  rp_row_bool(&r, 8, rec, QA_CELL_GOOD, QA_CELL_BAD);
  rp_row_drop_first(&r, skip);
  rp_row_emit(t, &r);
}

/* Quality for ranking: benchmark delta, else generation delta. */
static double quality_key(const cJSON *row) {
  double b = qa_json_get_num(row, "bench_delta_pp");
  return isnan(b) ? qa_json_get_num(row, "gen_delta_pct") : b;
}

/* "enc/int4 (benchmark -2.5 pp, 142.7 tok/s)": the numbers of the roles it wins. */
static void describe_pick(const cJSON *row, int roles, rp_buf *b) {
  char q[RP_FMT];
  int bench = !isnan(qa_json_get_num(row, "bench_delta_pp")), first = 1;
  rp_printf(b, "%s/%s (", rp_str(row, "model"), rp_str(row, "variant"));
  if (roles & 1) {
    rp_fmt_signed(q, sizeof q, quality_key(row), 1);
    rp_printf(b, "%s %s %s", bench ? "benchmark" : "generation", q, bench ? "pp" : "%");
    first = 0;
  }
  if (roles & 2) {
    rp_printf(b, "%s%.1f tok/s", first ? "" : ", ", qa_json_get_num(row, "decode_tok_s"));
    first = 0;
  }
  if (roles & 4) rp_printf(b, "%s$%.4f/Mtok", first ? "" : ", ", qa_json_get_num(row, "usd_per_mtok"));
  rp_printf(b, ")");
}

/* Picks among recommended rows of memory tiers 0..upto; a row that wins
** several roles is named once. */
static void find_picks(const cJSON *matrix, int upto, const cJSON *pick[3]) {
  const cJSON *tier, *row;
  int k = 0;
  pick[0] = pick[1] = pick[2] = NULL;
  if (upto < 0) return;
  cJSON_ArrayForEach(tier, matrix) {
    if (k++ > upto) break;
    cJSON_ArrayForEach(row, rp_arr(tier, "rows")) {
      if (rp_bool(row, "recommended") != 1) continue;
      double q = quality_key(row), s = qa_json_get_num(row, "decode_tok_s");
      double u = qa_json_get_num(row, "usd_per_mtok");
      if (!isnan(q) && (!pick[0] || q > quality_key(pick[0]))) pick[0] = row;
      if (!isnan(s) && (!pick[1] || s > qa_json_get_num(pick[1], "decode_tok_s"))) pick[1] = row;
      if (!isnan(u) && (!pick[2] || u < qa_json_get_num(pick[2], "usd_per_mtok"))) pick[2] = row;
    }
  }
}

/* The picks among tiers 0..upto; when they are those of the tier before
** (prev_gb), one sentence says so instead of repeating them. */
static void matrix_picks(const rp_ctx *c, const cJSON *matrix, int upto, double gb,
                         double prev_gb) {
  static const char *const ROLE[] = {"the highest quality", "the highest throughput",
                                     "the lowest cost"};
  const cJSON *pick[3], *before[3];
  find_picks(matrix, upto, pick);
  find_picks(matrix, upto - 1, before);
  rp_buf b = {0};
  if (upto > 0 && (pick[0] || pick[1] || pick[2]) && pick[0] == before[0] &&
      pick[1] == before[1] && pick[2] == before[2]) {
    rp_printf(&b, "The use-case picks are those of the %.4g GB tier: nothing recommended "
              "that first fits here is better in quality, throughput or cost.", prev_gb);
  } else if (!pick[0] && !pick[1] && !pick[2]) {
    rp_printf(&b, "Nothing recommended fits within %.4g GB.", gb);
  } else {
    rp_printf(&b, "Use-case picks among every recommended variant that fits within %.4g GB:", gb);
    int done = 0, first = 1;
    for (int i = 0; i < 3; i++) {
      if (!pick[i] || (done & (1 << i))) continue;
      int roles = 0;
      rp_list names = {0};
      for (int j = i; j < 3; j++)
        if (pick[j] == pick[i]) { roles |= 1 << j; rp_list_add(&names, "%s", ROLE[j]); }
      done |= roles;
      rp_printf(&b, "%s ", first ? "" : ";");
      rp_join(&b, &names);
      rp_printf(&b, ", ");
      describe_pick(pick[i], roles, &b);
      rp_list_free(&names);
      first = 0;
    }
    rp_printf(&b, ".");
  }
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
}

static void matrix_counts(const rp_ctx *c) {
  static const qa_doc_col cols[] = {
    {"Tier", 1.3, QA_ALIGN_LEFT}, {"Quantized variants", 1.0, QA_ALIGN_RIGHT},
    {"Recommended", 2.0, QA_ALIGN_LEFT}};
  const cJSON *counts = cJSON_GetObjectItemCaseSensitive(c->res, "tier_counts"), *t;
  double total = 0, rec = 0;
  if (!cJSON_IsObject(counts)) return;
  rp_subsection(c, RP_SEC_DECISION, "counts_title");
  qa_doc_table *tab = qa_doc_table_begin(c->doc, "Quantized variants (baselines excluded) by tier",
                                         3, cols);
  qa_doc_table_expect(tab, (size_t)c->n_tiers);
  cJSON_ArrayForEach(t, c->tiers) {
    const char *name = rp_str(t, "name");
    double n = qa_json_get_num(counts, name);
    rp_row r;
    rp_row_init(&r, 3);
    rp_row_tier(&r, 0, c, name);
    rp_row_fixed(&r, 1, isnan(n) ? 0.0 : n, 0);
    rp_row_bool(&r, 2, rp_tier_recommended(c, name), QA_CELL_GOOD, QA_CELL_MUTED);
    rp_row_emit(tab, &r);
    total += isnan(n) ? 0 : n;
    rec += rp_tier_recommended(c, name) && !isnan(n) ? n : 0;
  }
  qa_doc_table_end(tab);
  char line[160];
  snprintf(line, sizeof line, "%.0f of %.0f quantized variants are recommended.", rec, total);
  qa_doc_paragraph(c->doc, line);
}

static int matrix_has_rows(const cJSON *matrix) {
  const cJSON *tier;
  cJSON_ArrayForEach(tier, matrix)
    if (cJSON_GetArraySize(rp_arr(tier, "rows"))) return 1;
  return 0;
}

void rp_section_decision(const rp_ctx *c) {
  static const qa_doc_col cols[] = {
    {"Model", 1.2, QA_ALIGN_LEFT}, {"Variant", 0.95, QA_ALIGN_LEFT},
    {"Memory", 0.85, QA_ALIGN_RIGHT}, {"Tier", 1.15, QA_ALIGN_LEFT},
    {"Bench. \xCE\x94 (pp)", 0.75, QA_ALIGN_RIGHT}, {"Gen. \xCE\x94 (%)", 0.7, QA_ALIGN_RIGHT},
    {"Decode tok/s", 0.75, QA_ALIGN_RIGHT}, {"$ / Mtok", 0.75, QA_ALIGN_RIGHT},
    {"Recommended", 1.1, QA_ALIGN_LEFT}};
  const cJSON *matrix = rp_arr(c->res, "decision_matrix"), *tier, *row;
  size_t skip = rp_n_models(c) > 1 ? 0 : 1;   /* one model: no model column */
  rp_heading(c, RP_SEC_DECISION);
  if (!cJSON_GetArraySize(matrix)) {
    qa_doc_paragraph(c->doc, "No memory tiers are configured (deploy.vram_tiers_gb is empty), "
                             "so there is no matrix to fill; list the memory budgets to "
                             "compare, e.g. [2, 4, 8], to enable this section.");
    matrix_counts(c);
    return;
  }
  if (!matrix_has_rows(matrix)) {
    if (rp_any_variant_num(c, "vram_gb"))
      qa_doc_paragraph(c->doc, "No variant fits within the largest configured memory tier; "
                               "add a larger one to deploy.vram_tiers_gb to place them.");
    else
      qa_doc_paragraph(c->doc, "No variant has a memory figure; give the variants "
                               "bits_per_weight and params (or a measured vram_gb) to enable "
                               "this section.");
    matrix_counts(c);
    return;
  }
  rp_prose(c, RP_SEC_DECISION, "intro");
  int k = 0;
  double prev_gb = NAN;
  cJSON_ArrayForEach(tier, matrix) {
    double gb = qa_json_get_num(tier, "vram_gb");
    char title[96], caption[240], line[200];
    snprintf(title, sizeof title, "Memory tier %.4g GB", gb);
    if (skip)
      snprintf(caption, sizeof caption, "%s: variants that first fit within %.4g GB",
               rp_str(cJSON_GetArrayItem(c->models, 0), "name"), gb);
    else
      snprintf(caption, sizeof caption, "Variants that first fit within %.4g GB", gb);
    qa_doc_subsection(c->doc, title);
    if (!cJSON_GetArraySize(rp_arr(tier, "rows"))) {
      /* Nothing new: the picks would repeat the previous tier's. */
      if (isnan(prev_gb))
        snprintf(line, sizeof line, "No variant fits within %.4g GB.", gb);
      else
        snprintf(line, sizeof line, "No further variant fits in this tier: it holds the same "
                 "variants as the %.4g GB tier, with the same picks.", prev_gb);
      qa_doc_paragraph(c->doc, line);
      k++;
      prev_gb = gb;
      continue;
    } else {
      qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 9 - skip, cols + skip);
      qa_doc_table_expect(t, (size_t)cJSON_GetArraySize(rp_arr(tier, "rows")));
      cJSON_ArrayForEach(row, rp_arr(tier, "rows")) matrix_row(c, t, row, skip);
      qa_doc_table_end(t);
    }
    matrix_picks(c, matrix, k++, gb, prev_gb);
    prev_gb = gb;
  }
  matrix_counts(c);
}

/*
** Claim validation and the decision matrix: the two sections a reader acts
** on.  Claims are shown with their status as the analysis judged them
** (src/analysis decides a status; this file only colours it).  The decision
** matrix lists, per memory tier, the rows that first fit in it, with the
** use-case picks the analysis made (decision_matrix[].picks: quality by
** absolute accuracy, throughput, cost) among everything recommended that
** fits so far; memory in the configured unit.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
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
  rp_fmt_memory(r.cell[2], RP_CELL, qa_json_get_num(row, "vram_gb"), rp_mem_unit(c), 0);
  rp_row_tier(&r, 3, c, rp_str(row, "tier"));
  rp_row_signed(&r, 4, qa_json_get_num(row, "bench_delta_pp"), 1);
  rp_row_signed(&r, 5, qa_json_get_num(row, "gen_delta_pct"), 1);
  rp_row_fixed(&r, 6, qa_json_get_num(row, "decode_tok_s"), 1);
  rp_row_fixed(&r, 7, qa_json_get_num(row, "usd_per_mtok"), 4);
  rp_row_bool(&r, 8, rec, QA_CELL_GOOD, QA_CELL_BAD);
  rp_row_drop_first(&r, skip);
  rp_row_emit(t, &r);
}

/* The variant object of a pick { model, variant } (NULL when none). */
static const cJSON *pick_variant(const rp_ctx *c, const cJSON *pick) {
  const cJSON *m;
  if (!cJSON_IsObject(pick)) return NULL;
  cJSON_ArrayForEach(m, c->models)
    if (!strcmp(rp_str(m, "name"), rp_str(pick, "model")))
      return rp_variant(m, rp_str(pick, "variant"));
  return NULL;
}

/* The decision-matrix row of a pick among tiers 0..upto (NULL when none). */
static const cJSON *pick_row(const cJSON *matrix, int upto, const cJSON *pick) {
  const cJSON *tier, *row;
  int k = 0;
  if (!cJSON_IsObject(pick)) return NULL;
  cJSON_ArrayForEach(tier, matrix) {
    if (k++ > upto) break;
    cJSON_ArrayForEach(row, rp_arr(tier, "rows"))
      if (!strcmp(rp_str(row, "model"), rp_str(pick, "model")) &&
          !strcmp(rp_str(row, "variant"), rp_str(pick, "variant")))
        return row;
  }
  return NULL;
}

/* "benchmark accuracy 0.647": the absolute quality a quality pick was chosen
** on (STATISTICS.md "picks": pooled benchmark, else outputs, else kNN). */
static void describe_quality_of(const cJSON *v, rp_buf *b) {
  double acc = qa_json_get_num(rp_obj(v, "benchmark"), "accuracy");
  const char *what = "benchmark accuracy";
  if (isnan(acc)) { acc = qa_json_get_num(rp_obj(v, "outputs"), "accuracy"); what = "output accuracy"; }
  if (isnan(acc)) {
    acc = qa_json_get_num(rp_obj(v, "representation"), "knn_accuracy");
    what = "kNN accuracy";
  }
  if (!isnan(acc)) rp_printf(b, "%s %.3f", what, acc);
  else rp_printf(b, "no accuracy");
}

/* "enc/int4 (benchmark accuracy 0.631, 142.7 tok/s)": the numbers of the
** roles it wins. */
static void describe_pick(const rp_ctx *c, const cJSON *row, const cJSON *v, int roles,
                          rp_buf *b) {
  int first = 1;
  rp_printf(b, "%s/%s (", rp_str(row, "model"), rp_str(row, "variant"));
  if (roles & 1) {
    describe_quality_of(v, b);
    first = 0;
  }
  if (roles & 2) {
    rp_printf(b, "%s%.1f tok/s", first ? "" : ", ", qa_json_get_num(row, "decode_tok_s"));
    first = 0;
  }
  if (roles & 4) rp_printf(b, "%s$%.4f/Mtok", first ? "" : ", ", qa_json_get_num(row, "usd_per_mtok"));
  rp_printf(b, ")");
  (void)c;
}

static int same_pick(const cJSON *a, const cJSON *b) {
  if (!cJSON_IsObject(a) || !cJSON_IsObject(b)) return !cJSON_IsObject(a) && !cJSON_IsObject(b);
  return !strcmp(rp_str(a, "model"), rp_str(b, "model")) &&
         !strcmp(rp_str(a, "variant"), rp_str(b, "variant"));
}

/* The picks of memory tier `upto` as the analysis chose them
** (decision_matrix[].picks); when they are those of the tier before
** (prev_gb), one sentence says so instead of repeating them. */
static void matrix_picks(const rp_ctx *c, const cJSON *matrix, int upto, double gb,
                         double prev_gb) {
  static const char *const ROLE[] = {"the highest quality", "the highest throughput",
                                     "the lowest cost"};
  static const char *const KEY[] = {"quality", "throughput", "cost"};
  const cJSON *here = rp_obj(cJSON_GetArrayItem(matrix, upto), "picks");
  const cJSON *before = upto > 0 ? rp_obj(cJSON_GetArrayItem(matrix, upto - 1), "picks") : NULL;
  const cJSON *pick[3];
  int n_picks = 0, same = before != NULL;
  for (int i = 0; i < 3; i++) {
    pick[i] = cJSON_GetObjectItemCaseSensitive(here, KEY[i]);
    if (!cJSON_IsObject(pick[i])) pick[i] = NULL;
    n_picks += pick[i] != NULL;
    if (before && !same_pick(pick[i], cJSON_GetObjectItemCaseSensitive(before, KEY[i]))) same = 0;
  }
  const char *unit = rp_mem_unit(c);
  rp_buf b = {0};
  if (n_picks && same) {
    rp_printf(&b, "The use-case picks are those of the %.4g %s tier: nothing recommended "
              "that first fits here is better in quality, throughput or cost.", prev_gb, unit);
  } else if (!n_picks) {
    rp_printf(&b, "Nothing recommended fits within %.4g %s.", gb, unit);
  } else {
    rp_printf(&b, "Use-case picks among every recommended variant that fits within %.4g %s "
              "(quality by absolute accuracy):", gb, unit);
    int done = 0, first = 1;
    for (int i = 0; i < 3; i++) {
      if (!pick[i] || (done & (1 << i))) continue;
      int roles = 0;
      rp_list names = {0};
      for (int j = i; j < 3; j++)
        if (pick[j] && same_pick(pick[j], pick[i])) {
          roles |= 1 << j;
          rp_list_add(&names, "%s", ROLE[j]);
        }
      done |= roles;
      const cJSON *row = pick_row(matrix, upto, pick[i]);
      rp_printf(&b, "%s ", first ? "" : ";");
      rp_join(&b, &names);
      rp_printf(&b, ", ");
      if (row) describe_pick(c, row, pick_variant(c, pick[i]), roles, &b);
      else rp_printf(&b, "%s/%s", rp_str(pick[i], "model"), rp_str(pick[i], "variant"));
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
    const char *unit = rp_mem_unit(c);
    snprintf(title, sizeof title, "Memory tier %.4g %s", gb, unit);
    if (skip)
      snprintf(caption, sizeof caption, "%s: variants that first fit within %.4g %s",
               rp_str(cJSON_GetArrayItem(c->models, 0), "name"), gb, unit);
    else
      snprintf(caption, sizeof caption, "Variants that first fit within %.4g %s", gb, unit);
    qa_doc_subsection(c->doc, title);
    if (!cJSON_GetArraySize(rp_arr(tier, "rows"))) {
      /* Nothing new: the picks would repeat the previous tier's. */
      if (isnan(prev_gb))
        snprintf(line, sizeof line, "No variant fits within %.4g %s.", gb, unit);
      else
        snprintf(line, sizeof line, "No further variant fits in this tier: it holds the same "
                 "variants as the %.4g %s tier, with the same picks.", prev_gb, unit);
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

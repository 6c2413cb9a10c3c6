/*
** Benchmark accuracy: pooled per-item results with Wilson intervals and
** per-task columns, the per-task deltas, then the model's own predictions
** on the labelled samples (report_outputs.c: accuracy, agreement with the
** baseline, KL, calibration, accuracy by class, the critical-error
** checks).  Intervals are compared with the baseline's in words; no number
** is computed here.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define INLINE_TASKS 3       /* task columns shown in the pooled table */
#define MAX_TASK_VARIANTS 8  /* variant columns of the per-task table */

static const cJSON *bench_of(const cJSON *v) {
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "benchmark");
  return cJSON_IsObject(b) ? b : NULL;
}

static const cJSON *task_of(const cJSON *bench, const char *name) {
  const cJSON *t;
  cJSON_ArrayForEach(t, rp_arr(bench, "tasks"))
    if (!strcmp(rp_str(t, "task"), name)) return t;
  return NULL;
}

static void drop_style(const rp_ctx *c, rp_row *r, size_t i, double delta_pp) {
  int k = rp_tier_index(c, rp_tier_of_signal(c, delta_pp, 0));
  if (k >= 2) r->style[i] = k == c->n_tiers - 1 ? QA_CELL_BAD : QA_CELL_WARN;
}

static void pooled_table(const rp_ctx *c, const cJSON *m) {
  qa_doc_col cols[RP_MAX_COLS] = {
    {"Variant", 0.9, QA_ALIGN_LEFT}, {"N", 0.5, QA_ALIGN_RIGHT},
    {"Correct", 0.65, QA_ALIGN_RIGHT}, {"Accuracy", 0.75, QA_ALIGN_RIGHT},
    {"Wilson 95% CI", 1.25, QA_ALIGN_RIGHT}};
  const cJSON *base = bench_of(rp_baseline(m)), *t, *v;
  size_t k = 5, n_tasks = 0;
  const char *tasks[INLINE_TASKS];
  cJSON_ArrayForEach(t, rp_arr(base, "tasks")) {
    if (n_tasks == INLINE_TASKS) break;
    tasks[n_tasks++] = rp_str(t, "task");
    cols[k++] = (qa_doc_col){rp_str(t, "task"), 0.85, QA_ALIGN_RIGHT};
  }
  /* More tasks than fit inline are shown only in the per-task table. */
  if (cJSON_GetArraySize(rp_arr(base, "tasks")) > INLINE_TASKS) { k -= n_tasks; n_tasks = 0; }
  cols[k++] = (qa_doc_col){"\xCE\x94 (pp)", 0.6, QA_ALIGN_RIGHT};
  cols[k++] = (qa_doc_col){"Paired 95% CI of \xCE\x94 (pp)", 1.3, QA_ALIGN_RIGHT};
  cols[k++] = (qa_doc_col){"Tier", 1.1, QA_ALIGN_LEFT};
  char caption[192];
  snprintf(caption, sizeof caption, "%s: benchmark accuracy, all tasks pooled (baseline %s)",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *tab = qa_doc_table_begin(c->doc, caption, k, cols);
  qa_doc_table_expect(tab, rp_count_variants(m, "benchmark"));
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *b = bench_of(v);
    if (!b) continue;
    rp_row r;
    size_t i = 5;
    double d = qa_json_get_num(b, "delta_pp");
    rp_row_init(&r, k);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(b, "n"));
    rp_fmt_int(r.cell[2], RP_CELL, qa_json_get_num(b, "correct"));
    rp_row_fixed(&r, 3, qa_json_get_num(b, "accuracy"), 3);
    rp_fmt_interval(r.cell[4], RP_CELL, cJSON_GetObjectItemCaseSensitive(b, "wilson95"), 3);
    for (size_t j = 0; j < n_tasks; j++)
      rp_row_fixed(&r, i++, qa_json_get_num(task_of(b, tasks[j]), "accuracy"), 3);
    rp_row_signed(&r, i, d, 1);
    drop_style(c, &r, i++, d);
    rp_fmt_signed_interval(r.cell[i++], RP_CELL,
                           cJSON_GetObjectItemCaseSensitive(rp_paired_bench(v), "ci95_pp"), 1);
    rp_row_tier(&r, i, c, rp_str(v, "tier"));
    rp_row_emit(tab, &r);
  }
  qa_doc_table_end(tab);
}

/* What the intervals say: items are paired, so the paired interval of the
** difference (benchmark.paired.ci95_pp), not the overlap of two Wilson
** intervals, shows whether a difference is resolved. */
static void interval_observations(const rp_ctx *c, const cJSON *m) {
  const cJSON *v;
  rp_list zero = {0}, below = {0}, above = {0};
  (void)c;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *ci = cJSON_GetObjectItemCaseSensitive(rp_paired_bench(v), "ci95_pp");
    if (rp_bool(v, "is_baseline") == 1 || !cJSON_IsNumber(cJSON_GetArrayItem(ci, 0))) continue;
    double lo = cJSON_GetArrayItem(ci, 0)->valuedouble, hi = cJSON_GetArrayItem(ci, 1)->valuedouble;
    char iv[RP_FMT * 2];
    rp_fmt_signed_interval(iv, sizeof iv, ci, 1);
    if (hi < 0) rp_list_add(&below, "%s %s pp", rp_str(v, "name"), iv);
    else if (lo > 0) rp_list_add(&above, "%s %s pp", rp_str(v, "name"), iv);
    else rp_list_add(&zero, "%s %s pp", rp_str(v, "name"), iv);
  }
  rp_buf b = {0};
  if (below.n) {
    rp_printf(&b, "The paired 95%% interval of the difference lies wholly below 0 for ");
    rp_join(&b, &below);
    rp_printf(&b, ": a loss this sample resolves, whether or not the Wilson intervals overlap.");
  }
  if (above.n) {
    rp_printf(&b, "%sIt lies wholly above 0 for ", b.len ? " " : "");
    rp_join(&b, &above);
    rp_printf(&b, ".");
  }
  if (zero.n) {
    rp_printf(&b, "%sIt contains 0 for ", b.len ? " " : "");
    rp_join(&b, &zero);
    rp_printf(&b, ": no difference is resolved, and the interval is how large a loss the data "
              "still allow.");
  }
  if (b.len) qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
  rp_list_free(&zero);
  rp_list_free(&below);
  rp_list_free(&above);
}

static void task_table(const rp_ctx *c, const cJSON *m) {
  const cJSON *base = bench_of(rp_baseline(m)), *t, *v;
  const cJSON *vars[MAX_TASK_VARIANTS];
  size_t n_vars = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1 && bench_of(v) && n_vars < MAX_TASK_VARIANTS)
      vars[n_vars++] = v;
  if (!n_vars || !cJSON_GetArraySize(rp_arr(base, "tasks"))) return;
  qa_doc_col cols[RP_MAX_COLS] = {
    {"Task", 1.1, QA_ALIGN_LEFT}, {"n", 0.6, QA_ALIGN_RIGHT},
    {"Baseline accuracy", 0.9, QA_ALIGN_RIGHT}, {"Wilson 95% CI", 1.3, QA_ALIGN_RIGHT}};
  for (size_t i = 0; i < n_vars; i++)
    cols[4 + i] = (qa_doc_col){rp_str(vars[i], "name"), 0.75, QA_ALIGN_RIGHT};
  char caption[192];
  snprintf(caption, sizeof caption, "%s: change in accuracy by task (pp against %s)",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *tab = qa_doc_table_begin(c->doc, caption, 4 + n_vars, cols);
  qa_doc_table_expect(tab, (size_t)cJSON_GetArraySize(rp_arr(base, "tasks")));
  cJSON_ArrayForEach(t, rp_arr(base, "tasks")) {
    rp_row r;
    rp_row_init(&r, 4 + n_vars);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(t, "task"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(t, "n"));
    rp_row_fixed(&r, 2, qa_json_get_num(t, "accuracy"), 3);
    rp_fmt_interval(r.cell[3], RP_CELL, cJSON_GetObjectItemCaseSensitive(t, "wilson95"), 3);
    for (size_t i = 0; i < n_vars; i++) {
      double d = qa_json_get_num(task_of(bench_of(vars[i]), rp_str(t, "task")), "delta_pp");
      rp_row_signed(&r, 4 + i, d, 1);
      drop_style(c, &r, 4 + i, d);
    }
    rp_row_emit(tab, &r);
  }
  qa_doc_table_end(tab);
  /* The task that falls furthest at the lowest-precision variant. */
  const cJSON *low = vars[n_vars - 1], *worst = NULL;
  cJSON_ArrayForEach(t, rp_arr(bench_of(low), "tasks")) {
    double d = qa_json_get_num(t, "delta_pp");
    if (!isnan(d) && (!worst || d < qa_json_get_num(worst, "delta_pp"))) worst = t;
  }
  if (worst && cJSON_GetArraySize(rp_arr(bench_of(low), "tasks")) > 1) {
    char line[320];
    snprintf(line, sizeof line, "At %s the most sensitive task is %s (%+.1f pp, n = %.0f) "
             "against %+.1f pp pooled.", rp_str(low, "name"), rp_str(worst, "task"),
             qa_json_get_num(worst, "delta_pp"), qa_json_get_num(worst, "n"),
             qa_json_get_num(bench_of(low), "delta_pp"));
    qa_doc_paragraph(c->doc, line);
  }
}

void rp_section_benchmark(const rp_ctx *c) {
  const cJSON *m;
  int has_bench = rp_any_variant_has(c, "benchmark"), has_out = rp_any_variant_has(c, "outputs");
  rp_heading(c, RP_SEC_BENCHMARK);
  if (!has_bench) {
    qa_doc_paragraph(c->doc, "No variant has benchmark results; add /eval/<task>/correct "
                             "to the caches to enable this section.");
  } else {
    rp_prose(c, RP_SEC_BENCHMARK, "intro");
    cJSON_ArrayForEach(m, c->models) {
      if (!bench_of(rp_baseline(m))) continue;
      if (rp_n_models(c) > 1) qa_doc_subsection(c->doc, rp_str(m, "name"));
      pooled_table(c, m);
      interval_observations(c, m);
    }
    rp_subsection(c, RP_SEC_BENCHMARK, "by_task_title");
    cJSON_ArrayForEach(m, c->models)
      if (bench_of(rp_baseline(m))) task_table(c, m);
  }
  if (has_out) rp_outputs_part(c);   /* report_outputs.c */
}

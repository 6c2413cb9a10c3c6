/*
** Benchmark accuracy: pooled per-item results with Wilson intervals and
** per-task columns, the per-task deltas, the per-stratum deltas with the
** cells whose exact McNemar test survives Holm marked (benchmark.strata),
** then the model's own predictions on the labelled samples
** (report_outputs.c: accuracy, agreement with the baseline, KL,
** calibration, accuracy by class, the critical-error checks).  Also the
** summary's stratum finding and the methods' line on strata.  Intervals
** are compared with the baseline's in words; no number is computed here.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define INLINE_TASKS 3       /* task columns shown in the pooled table */
#define MAX_TASK_VARIANTS 8  /* variant columns of the per-task table */
#define MAX_VARIANTS 64      /* variants of a model the stratum table reads */
#define MAX_STRATA_COLS 8    /* variant columns of a stratum table before it splits */
#define MAX_STRATA_ROWS 60   /* strata of a table; those whose worst variant loses most */
#define KEEP_STRATA_ROWS 16  /* rows of a stratum table kept whole on one page */
#define NAMED_LOSSES 3       /* surviving losses the stratum sentence names per variant */

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

/* ---- by stratum (benchmark.strata) ------------------------------------ */

static const cJSON *strata_of(const cJSON *v) { return rp_arr(bench_of(v), "strata"); }

/* Variant v's entry for ref, the baseline's k-th stratum (the lists share
** their order: every variant has the baseline's items and strata). */
static const cJSON *stratum_entry(const cJSON *v, size_t k, const cJSON *ref) {
  const char *task = rp_str(ref, "task"), *name = rp_str(ref, "stratum");
  const cJSON *e = cJSON_GetArrayItem(strata_of(v), (int)k), *o;
  if (e && !strcmp(rp_str(e, "task"), task) && !strcmp(rp_str(e, "stratum"), name)) return e;
  cJSON_ArrayForEach(o, strata_of(v))
    if (!strcmp(rp_str(o, "task"), task) && !strcmp(rp_str(o, "stratum"), name)) return o;
  return NULL;
}

/* The non-baseline variants of m with strata, at most MAX_VARIANTS. */
static size_t strata_variants(const cJSON *m, const cJSON **vars) {
  const cJSON *v;
  size_t n = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1 && cJSON_GetArraySize(strata_of(v)) && n < MAX_VARIANTS)
      vars[n++] = v;
  return n;
}

/* The strata a table shows: all when they fit, else the MAX_STRATA_ROWS
** whose worst delta over the variants is lowest (ties: the earlier first),
** in the baseline's order; idx holds their positions in its list. */
static size_t pick_strata(const cJSON *base, const cJSON *const *vars, size_t n_vars,
                          size_t *idx) {
  size_t n_rows = (size_t)cJSON_GetArraySize(strata_of(base)), k = 0;
  double *worst = malloc((n_rows ? n_rows : 1) * sizeof *worst);
  const cJSON *ref;
  if (!worst) return 0;
  cJSON_ArrayForEach(ref, strata_of(base)) {
    double w = INFINITY;
    for (size_t i = 0; i < n_vars; i++) {
      double d = qa_json_get_num(stratum_entry(vars[i], k, ref), "delta_pp");
      if (!isnan(d)) w = fmin(w, d);
    }
    worst[k++] = w;
  }
  size_t n = rp_pick_worst_rows(worst, k, MAX_STRATA_ROWS, idx);
  free(worst);
  return n;
}

static void strata_chunk(const rp_ctx *c, const cJSON *m, const cJSON *const *vars,
                         size_t n_vars, const size_t *idx, size_t n_rows, size_t of) {
  const cJSON *base = rp_baseline(m);
  qa_doc_col cols[RP_MAX_COLS];
  size_t k = 0;
  cols[k++] = (qa_doc_col){"Task", 1.0, QA_ALIGN_LEFT};
  cols[k++] = (qa_doc_col){"Stratum", 1.5, QA_ALIGN_LEFT};
  cols[k++] = (qa_doc_col){"n", 0.7, QA_ALIGN_RIGHT};
  cols[k++] = (qa_doc_col){"Baseline accuracy", 0.9, QA_ALIGN_RIGHT};
  for (size_t i = 0; i < n_vars; i++)
    cols[k++] = (qa_doc_col){rp_str(vars[i], "name"), 0.8, QA_ALIGN_RIGHT};
  char caption[256], note[768];
  snprintf(caption, sizeof caption, "%s: change in benchmark accuracy by stratum (pp against "
           "%s)", rp_str(m, "name"), rp_str(m, "baseline"));
  int used = snprintf(note, sizeof note, "Bold on a shaded cell: the exact McNemar test of "
                      "the stratum (each item's correctness, baseline against variant, paired "
                      "by item id) survives Holm's correction over the %zu strata of the "
                      "variant at alpha %.2g; every other cell is a change that does not "
                      "survive it.", of, c->alpha);
  if (n_rows < of && used > 0 && (size_t)used < sizeof note)
    snprintf(note + used, sizeof note - (size_t)used, " Shown: the %zu of the %zu strata "
             "whose worst variant loses most; report.json lists them all.", n_rows, of);
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, k, cols);
  qa_doc_table_expect(t, n_rows + 1);
  /* A table that fits a page (a task or two of a few strata each) is kept
  ** whole rather than leaving a few rows to the next page. */
  if (n_rows + 1 <= KEEP_STRATA_ROWS) qa_doc_table_keep(t, n_rows + 1);
  qa_doc_table_note(t, note);
  rp_row r;
  for (size_t j = 0; j < n_rows; j++) {
    const cJSON *ref = cJSON_GetArrayItem(strata_of(base), (int)idx[j]);
    rp_row_init(&r, k);
    rp_row_set(&r, 0, QA_CELL_NORMAL, "%s", rp_str(ref, "task"));
    rp_row_set(&r, 1, QA_CELL_BOLD, "%s", rp_str(ref, "stratum"));
    rp_fmt_int(r.cell[2], RP_CELL, qa_json_get_num(ref, "n"));
    rp_row_fixed(&r, 3, qa_json_get_num(ref, "accuracy"), 3);
    for (size_t i = 0; i < n_vars; i++) {
      const cJSON *e = stratum_entry(vars[i], idx[j], ref);
      double d = qa_json_get_num(e, "delta_pp");
      rp_row_signed(&r, 4 + i, d, 1);
      if (rp_bool(e, "survives_holm") == 1) {
        r.style[4 + i] = QA_CELL_BOLD;
        rp_row_fill(&r, 4 + i, d < 0 ? RP_FILL_BAD : RP_FILL_GOOD);
      }
    }
    rp_row_emit(t, &r);
  }
  const cJSON *bb = bench_of(base);
  rp_row_init(&r, k);
  rp_row_set(&r, 1, QA_CELL_BOLD, "All tasks, pooled");
  rp_fmt_int(r.cell[2], RP_CELL, qa_json_get_num(bb, "n"));
  rp_row_fixed(&r, 3, qa_json_get_num(bb, "accuracy"), 3);
  for (size_t i = 0; i < n_vars; i++)
    rp_row_signed(&r, 4 + i, qa_json_get_num(bench_of(vars[i]), "delta_pp"), 1);
  rp_row_emit(t, &r);
  qa_doc_table_end(t);
}

/* "Holm p 0.00110", "Holm p < 0.001" (rp_fmt_p's three digits); buf
** holds 2 RP_FMT. */
static void holm_text(char *buf, size_t cap, double p) {
  char v[RP_FMT];
  rp_fmt_p(v, sizeof v, p);
  snprintf(buf, cap, "Holm p %s%s", v[0] == '<' ? "< " : "", v[0] == '<' ? v + 1 : v);
}

/* "X/Y (-45.8 pp, Holm p < 0.001)" into l. */
static void add_stratum(rp_list *l, const cJSON *e) {
  char d[RP_FMT], p[2 * RP_FMT];
  rp_fmt_signed(d, sizeof d, qa_json_get_num(e, "delta_pp"), 1);
  holm_text(p, sizeof p, qa_json_get_num(e, "mcnemar_p_holm"));
  rp_list_add(l, "%s/%s (%s pp, %s)", rp_str(e, "task"), rp_str(e, "stratum"), d, p);
}

/* The strata of v whose change survives Holm, losses (sign -1) or gains
** (+1), the largest change first (ties: the earlier), into out (at most
** cap); returns how many there are. */
static size_t survivors(const cJSON *v, int sign, const cJSON **out, size_t cap) {
  const cJSON *e;
  size_t n = 0;
  cJSON_ArrayForEach(e, strata_of(v)) {
    double d = qa_json_get_num(e, "delta_pp");
    if (rp_bool(e, "survives_holm") != 1 || !(sign * d > 0)) continue;
    size_t at = n < cap ? n : cap;
    while (at > 0 && sign * qa_json_get_num(out[at - 1], "delta_pp") < sign * d) at--;
    if (at < cap) {
      size_t last = n < cap ? n : cap - 1;
      memmove(out + at + 1, out + at, (last - at) * sizeof *out);
      out[at] = e;
    }
    n++;
  }
  return n;
}

/* The tested strata of v whose change does not survive Holm, and their
** smallest Holm-adjusted p in *min_p (NaN when none). */
static size_t within_noise(const cJSON *v, double *min_p) {
  const cJSON *e;
  size_t n = 0;
  *min_p = NAN;
  cJSON_ArrayForEach(e, strata_of(v)) {
    double p = qa_json_get_num(e, "mcnemar_p_holm");
    if (rp_bool(e, "survives_holm") != 0) continue;
    n++;
    if (isnan(*min_p) || p < *min_p) *min_p = p;
  }
  return n;
}

/* "A/B (-9.0 pp, Holm p 0.00400), C/D (..) and 5 more strata": the
** NAMED_LOSSES largest surviving changes of v of one sign, and how many
** more; returns how many survive. */
static size_t named_survivors(rp_buf *b, const cJSON *v, int sign) {
  const cJSON *top[NAMED_LOSSES];
  size_t n = survivors(v, sign, top, NAMED_LOSSES);
  rp_list l = {0};
  for (size_t i = 0; i < n && i < NAMED_LOSSES; i++) add_stratum(&l, top[i]);
  if (n > NAMED_LOSSES) rp_list_add(&l, "%zu more strata", n - NAMED_LOSSES);
  rp_join(b, &l);
  rp_list_free(&l);
  return n;
}

/* One variant's changes that survive Holm, when some do: "int2's losses
** on A (..), B (..) and 5 more strata survive correction, its other 3
** strata are within noise (smallest Holm p 0.0507)"; returns 0 and
** writes nothing when none does. */
static int variant_clause(rp_buf *b, const cJSON *v) {
  const cJSON *top[1];
  size_t n_loss = survivors(v, -1, top, 1), n_gain = survivors(v, 1, top, 1);
  if (!n_loss && !n_gain) return 0;
  if (n_loss) {
    rp_printf(b, "%s's loss%s on ", rp_str(v, "name"), n_loss == 1 ? "" : "es");
    named_survivors(b, v, -1);
    rp_printf(b, " survive%s correction", n_loss == 1 ? "s" : "");
    if (n_gain) {
      rp_printf(b, ", as do%s its gain%s on ", n_gain == 1 ? "es" : "", n_gain == 1 ? "" : "s");
      named_survivors(b, v, 1);
    }
  } else {
    rp_printf(b, "%s: no stratum loss survives correction, but its gain%s on ",
              rp_str(v, "name"), n_gain == 1 ? "" : "s");
    named_survivors(b, v, 1);
    rp_printf(b, " do%s", n_gain == 1 ? "es" : "");
  }
  double min_p;
  size_t rest = within_noise(v, &min_p);
  if (rest) {
    char p[2 * RP_FMT];
    holm_text(p, sizeof p, min_p);
    rp_printf(b, ", its other %zu strat%s within noise (smallest %s)", rest,
              rest == 1 ? "um is" : "a are", p);
  }
  return 1;
}

/* Which stratum changes of model m survive Holm's correction and which are
** within noise, from benchmark.strata, as one sentence after lead ("By
** stratum"), every claim with its numbers beside it; returns 0 and writes
** nothing when no variant has strata. */
static int strata_sentence(const rp_ctx *c, const cJSON *m, const char *lead, rp_buf *b) {
  const cJSON *vars[MAX_VARIANTS];
  size_t n = strata_variants(m, vars);
  size_t of = (size_t)cJSON_GetArraySize(strata_of(rp_baseline(m)));
  if (!n || !of) return 0;
  rp_list clauses = {0}, quiet = {0}, quiet_p = {0};
  for (size_t i = 0; i < n; i++) {
    rp_buf cl = {0};
    if (variant_clause(&cl, vars[i])) {
      rp_list_take(&clauses, &cl);
      continue;
    }
    rp_buf_free(&cl);
    double min_p;
    char p[RP_FMT];
    within_noise(vars[i], &min_p);
    rp_fmt_p(p, sizeof p, min_p);
    rp_list_add(&quiet, "%s", rp_str(vars[i], "name"));
    rp_list_add(&quiet_p, "%s", p);
  }
  rp_printf(b, "%s (exact McNemar against %s, Holm over each variant's %zu strata at alpha "
            "%.2g): ", lead, rp_str(m, "baseline"), of, c->alpha);
  for (size_t i = 0; i < clauses.n; i++) rp_printf(b, "%s%s", i ? "; " : "", clauses.items[i]);
  if (quiet.n) {
    rp_printf(b, "%s", clauses.n ? "; " : "");
    rp_join(b, &quiet);
    rp_printf(b, ": no stratum change survives correction (smallest Holm p ");
    rp_join(b, &quiet_p);
    rp_printf(b, ")");
  }
  rp_printf(b, ".");
  rp_list_free(&clauses);
  rp_list_free(&quiet);
  rp_list_free(&quiet_p);
  return 1;
}

static void strata_model(const rp_ctx *c, const cJSON *m) {
  const cJSON *vars[MAX_VARIANTS], *base = rp_baseline(m);
  size_t idx[MAX_STRATA_ROWS];
  size_t n = strata_variants(m, vars), of = (size_t)cJSON_GetArraySize(strata_of(base));
  if (!n || !of) return;
  size_t rows = pick_strata(base, vars, n, idx);
  for (size_t at = 0; at < n; at += MAX_STRATA_COLS)
    strata_chunk(c, m, vars + at, n - at < MAX_STRATA_COLS ? n - at : MAX_STRATA_COLS, idx,
                 rows, of);
  rp_buf b = {0};
  if (strata_sentence(c, m, "By stratum", &b)) qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
}

void rp_bench_strata_finding(const rp_ctx *c, const cJSON *m, rp_list *out) {
  rp_buf lead = {0}, b = {0};
  rp_printf(&lead, "%s, benchmark by stratum", rp_str(m, "name"));
  if (strata_sentence(c, m, rp_text(&lead), &b)) rp_list_take(out, &b);
  rp_buf_free(&lead);
  rp_buf_free(&b);
}

void rp_bench_method(const rp_ctx *c, rp_list *out) {
  const cJSON *m, *v;
  int strata = 0;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    strata |= cJSON_GetArraySize(strata_of(v)) > 0;
  if (strata)
    rp_list_add(out, "Benchmark by stratum: each (task, stratum)'s accuracy with a 95%% Wilson "
                "interval and its change from the baseline on the same items, the exact "
                "McNemar test of the items' correctness against the baseline, paired by item "
                "id, and Holm's correction over every stratum of each variant (all its tasks "
                "one family).");
}

void rp_section_benchmark(const rp_ctx *c) {
  const cJSON *m;
  int has_bench = rp_any_variant_has(c, "benchmark"), has_out = rp_any_variant_has(c, "outputs");
  rp_heading(c, RP_SEC_BENCHMARK);
  /* Without benchmark results the section holds only the outputs' part;
  ** the missing results are named in "Not covered by this audit". */
  if (has_bench) {
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
    int strata = 0;
    cJSON_ArrayForEach(m, c->models) {
      const cJSON *vars[MAX_VARIANTS];
      strata |= strata_variants(m, vars) > 0;
    }
    if (strata) {
      rp_subsection(c, RP_SEC_BENCHMARK, "strata_title");
      rp_prose(c, RP_SEC_BENCHMARK, "strata_intro");
      cJSON_ArrayForEach(m, c->models) strata_model(c, m);
    }
  }
  if (has_out) rp_outputs_part(c);   /* report_outputs.c */
}

/*
** Representation metrics and the per-class breakdown: how far each
** variant's hidden states moved from the baseline's (cosine, SQNR), whether
** the neighbourhoods a classifier reads survived (kNN accuracy, overlap),
** and the global geometry (Spearman, CKA, effective rank) — then the same
** per class, where an average that holds can hide a class that does not.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define MAX_VARIANT_COLS 8   /* variants per per-class table before it splits */
#define MAX_VARIANTS 64
/* Cosines of good variants differ in the fifth decimal (0.99998 vs 0.99293). */
#define COS_DECIMALS 5

static const cJSON *repr_of(const cJSON *v) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(v, "representation");
  return cJSON_IsObject(r) ? r : NULL;
}

/* Colours a delta (pp) cell by the tier the drop alone would earn:
** middle tiers WARN, the last BAD. */
static void style_drop(const rp_ctx *c, rp_row *r, size_t i, double delta_pp) {
  int k = rp_tier_index(c, rp_tier_of_signal(c, delta_pp, 0));
  if (k < 2) return;
  if (k == c->n_tiers - 1) { r->style[i] = QA_CELL_BAD; rp_row_fill(r, i, RP_FILL_BAD); }
  else { r->style[i] = QA_CELL_WARN; rp_row_fill(r, i, RP_FILL_WARN); }
}

static void repr_row(const rp_ctx *c, qa_doc_table *t, const cJSON *v) {
  const cJSON *rep = repr_of(v);
  rp_row r;
  double d = qa_json_get_num(rep, "knn_accuracy_delta_pp");
  rp_row_init(&r, 11);
  rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
  rp_row_fixed(&r, 1, rp_num2(rep, "cosine", "mean"), COS_DECIMALS);
  rp_row_fixed(&r, 2, rp_num2(rep, "cosine", "p05"), COS_DECIMALS);
  rp_row_fixed(&r, 3, rp_num2(rep, "cosine", "min"), COS_DECIMALS);
  rp_row_fixed(&r, 4, qa_json_get_num(rep, "sqnr_db"), 1);
  rp_row_fixed(&r, 5, qa_json_get_num(rep, "knn_accuracy"), 3);
  rp_row_signed(&r, 6, d, 1);
  style_drop(c, &r, 6, d);
  rp_row_fixed(&r, 7, qa_json_get_num(rep, "neighbor_overlap"), 3);
  rp_row_fixed(&r, 8, qa_json_get_num(rep, "spearman_rho"), COS_DECIMALS);
  rp_row_fixed(&r, 9, qa_json_get_num(rep, "cka_linear"), COS_DECIMALS);
  rp_row_fixed(&r, 10, qa_json_get_num(rep, "effective_rank"), 1);
  rp_row_emit(t, &r);
}

/* One paragraph of observations for a model, from its rows. */
static void repr_observations(const rp_ctx *c, const cJSON *m) {
  const cJSON *v, *last_hi = NULL, *first_lo = NULL, *lowest = NULL;
  rp_buf b = {0};
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *rep = repr_of(v);
    double cm = rp_num2(rep, "cosine", "mean");
    if (rp_bool(v, "is_baseline") == 1 || isnan(cm)) continue;
    if (cm >= 0.99 && !first_lo) last_hi = v;
    if (cm < 0.99 && !first_lo) first_lo = v;
    lowest = v;
  }
  if (!lowest) return;
  if (first_lo) {
    const cJSON *rep = repr_of(first_lo);
    if (last_hi)
      rp_printf(&b, "Mean cosine stays at or above 0.99 down to %s (%.4f) and first falls "
                "below it at %s (%.4f", rp_str(last_hi, "name"),
                rp_num2(repr_of(last_hi), "cosine", "mean"), rp_str(first_lo, "name"),
                rp_num2(rep, "cosine", "mean"));
    else
      rp_printf(&b, "Mean cosine is already below 0.99 at %s (%.4f", rp_str(first_lo, "name"),
                rp_num2(rep, "cosine", "mean"));
    rp_printf(&b, "; its least faithful sample has cosine %.4f).", rp_num2(rep, "cosine", "min"));
  } else {
    rp_printf(&b, "Mean cosine stays at or above 0.99 for every variant, down to %s (%.4f).",
              rp_str(lowest, "name"), rp_num2(repr_of(lowest), "cosine", "mean"));
  }
  const cJSON *lr = repr_of(lowest);
  double d = qa_json_get_num(lr, "knn_accuracy_delta_pp");
  if (!isnan(d))
    rp_printf(&b, " At %s, the lowest precision, kNN accuracy moves %+.1f pp, the "
              "neighbour overlap is %.3f (the fraction of each sample's %.0f nearest "
              "neighbours that are still its baseline neighbours) and linear CKA is %.4f.",
              rp_str(lowest, "name"), d, qa_json_get_num(lr, "neighbor_overlap"),
              qa_json_get_num(lr, "knn_k"), qa_json_get_num(lr, "cka_linear"));
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
}

/* ---- retrieval: overlap at k, coverage, density; the worst samples ---- */

#define MAX_OVERLAP_COLS 6

/* Neighbour overlap at every configured k, coverage and density, one row per
** variant (the baseline omitted: 1 at every k, no coverage of itself). */
static void retrieval_table(const rp_ctx *c, const cJSON *m) {
  const cJSON *base = repr_of(rp_baseline(m)), *at = rp_arr(base, "overlap_at"), *v, *e;
  size_t nk = 0;
  int ks[MAX_OVERLAP_COLS];
  cJSON_ArrayForEach(e, at)
    if (nk < MAX_OVERLAP_COLS) ks[nk++] = (int)qa_json_get_num(e, "k");
  int any = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1 && repr_of(v) &&
        (!isnan(qa_json_get_num(repr_of(v), "coverage")) || rp_arr(repr_of(v), "overlap_at")))
      any = 1;
  if (!any) return;
  qa_doc_col cols[MAX_OVERLAP_COLS + 3];
  char head[MAX_OVERLAP_COLS][32];
  size_t nc = 0;
  cols[nc++] = (qa_doc_col){"Variant", 1.0, QA_ALIGN_LEFT};
  for (size_t j = 0; j < nk; j++) {
    snprintf(head[j], sizeof head[j], "Overlap k = %d", ks[j]);
    cols[nc++] = (qa_doc_col){head[j], 0.9, QA_ALIGN_RIGHT};
  }
  cols[nc++] = (qa_doc_col){"Coverage", 0.9, QA_ALIGN_RIGHT};
  cols[nc++] = (qa_doc_col){"Density", 0.9, QA_ALIGN_RIGHT};
  char caption[256];
  snprintf(caption, sizeof caption, "%s: neighbourhoods kept against baseline %s",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, nc, cols);
  qa_doc_table_expect(t, rp_count_variants(m, "representation") - 1);
  rp_buf b = {0};
  rp_printf(&b, "Overlap at k: the share of each sample's k nearest baseline neighbours "
            "(cosine, leave-one-out) still among its k nearest in the variant. Coverage and "
            "density (Naeem et al. 2020; Euclidean, k = %.0f): coverage is the share of "
            "baseline samples with a variant sample inside their k-nearest-neighbour ball, "
            "density the mean number of baseline balls a variant sample falls in, over k "
            "(1 when the two sets have the same distribution, below 1 when the variant's "
            "states left the baseline's neighbourhoods).",
            qa_json_get_num(base, "knn_k"));
  qa_doc_table_note(t, rp_text(&b));
  rp_buf_free(&b);
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *rep = repr_of(v);
    if (!rep || rp_bool(v, "is_baseline") == 1) continue;
    rp_row r;
    rp_row_init(&r, nc);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    for (size_t j = 0; j < nk; j++) {
      double o = NAN;
      cJSON_ArrayForEach(e, rp_arr(rep, "overlap_at"))
        if ((int)qa_json_get_num(e, "k") == ks[j]) o = qa_json_get_num(e, "overlap");
      rp_row_fixed(&r, 1 + j, o, 3);
    }
    rp_row_fixed(&r, 1 + nk, qa_json_get_num(rep, "coverage"), 3);
    rp_row_fixed(&r, 2 + nk, qa_json_get_num(rep, "density"), 3);
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

/* The worst samples of the variant of lowest mean cosine: a reader can pick
** a sample and see what became of it. */
static void worst_table(const rp_ctx *c, const cJSON *m) {
  const cJSON *v, *worst = NULL;
  double lowest = INFINITY;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *rep = repr_of(v);
    double cm = rp_num2(rep, "cosine", "mean");
    if (!rep || rp_bool(v, "is_baseline") == 1 || isnan(cm) ||
        !cJSON_GetArraySize(rp_arr(rep, "worst_samples")))
      continue;
    if (cm < lowest) { lowest = cm; worst = v; }
  }
  if (!worst) return;
  const cJSON *rep = repr_of(worst), *e;
  static const qa_doc_col cols[] = {
    {"Sample id", 1.0, QA_ALIGN_RIGHT}, {"Class", 1.2, QA_ALIGN_LEFT},
    {"Cosine", 0.9, QA_ALIGN_RIGHT}, {"Neighbours kept", 1.1, QA_ALIGN_RIGHT},
    {"kNN baseline", 0.9, QA_ALIGN_LEFT}, {"kNN variant", 0.9, QA_ALIGN_LEFT}};
  char caption[256];
  snprintf(caption, sizeof caption, "%s, %s: the %d samples of lowest cosine with the baseline",
           rp_str(m, "name"), rp_str(worst, "name"),
           cJSON_GetArraySize(rp_arr(rep, "worst_samples")));
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 6, cols);
  qa_doc_table_expect(t, (size_t)cJSON_GetArraySize(rp_arr(rep, "worst_samples")));
  rp_buf b = {0};
  rp_printf(&b, "Neighbours kept: how many of the sample's %.0f nearest baseline neighbours are "
            "among its %.0f nearest in the variant. kNN: whether the leave-one-out kNN "
            "classifier got the sample right on the baseline's states and on the variant's.",
            qa_json_get_num(rep, "knn_k"), qa_json_get_num(rep, "knn_k"));
  qa_doc_table_note(t, rp_text(&b));
  rp_buf_free(&b);
  cJSON_ArrayForEach(e, rp_arr(rep, "worst_samples")) {
    rp_row r;
    rp_row_init(&r, 6);
    char id[RP_FMT];
    rp_fmt_int(id, sizeof id, qa_json_get_num(e, "id"));
    rp_row_set(&r, 0, QA_CELL_NORMAL, "%s", id);
    const char *lab = rp_str(e, "label");
    rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", *lab ? lab : RP_DASH);
    rp_row_fixed(&r, 2, qa_json_get_num(e, "cosine"), 4);
    double kept = qa_json_get_num(e, "neighbors_kept");
    if (isnan(kept)) rp_row_set(&r, 3, QA_CELL_NORMAL, RP_DASH);
    else rp_row_set(&r, 3, kept == 0 ? QA_CELL_BAD : QA_CELL_NORMAL, "%.0f of %.0f", kept,
                    qa_json_get_num(rep, "knn_k"));
    int kb = rp_bool(e, "knn_correct_base"), kv = rp_bool(e, "knn_correct_variant");
    rp_row_set(&r, 4, QA_CELL_NORMAL, "%s", kb < 0 ? RP_DASH : kb ? "right" : "wrong");
    rp_row_set(&r, 5, kb == 1 && kv == 0 ? QA_CELL_BAD : QA_CELL_NORMAL, "%s",
               kv < 0 ? RP_DASH : kv ? "right" : "wrong");
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

static void repr_model(const rp_ctx *c, const cJSON *m) {
  static const qa_doc_col cols[] = {
    {"Variant", 0.9, QA_ALIGN_LEFT}, {"Cosine mean", 0.9, QA_ALIGN_RIGHT},
    {"Cosine p05", 0.9, QA_ALIGN_RIGHT}, {"Cosine min", 0.9, QA_ALIGN_RIGHT},
    {"SQNR (dB)", 0.75, QA_ALIGN_RIGHT}, {"kNN acc.", 0.7, QA_ALIGN_RIGHT},
    {"kNN \xCE\x94 (pp)", 0.75, QA_ALIGN_RIGHT}, {"Overlap", 0.95, QA_ALIGN_RIGHT},
    {"Spearman \xCF\x81", 1.1, QA_ALIGN_RIGHT}, {"CKA", 0.85, QA_ALIGN_RIGHT},
    {"Eff. rank", 0.7, QA_ALIGN_RIGHT}};
  const cJSON *v, *base = repr_of(rp_baseline(m));
  char caption[256], n[RP_FMT], pairs[RP_FMT];
  if (rp_n_models(c) > 1) qa_doc_subsection(c->doc, rp_str(m, "name"));
  rp_fmt_int(n, sizeof n, qa_json_get_num(base, "n"));
  rp_fmt_int(pairs, sizeof pairs, qa_json_get_num(base, "pairs"));
  snprintf(caption, sizeof caption, "%s: hidden states at layer %s (N = %s, D = %.0f) "
           "against baseline %s", rp_str(m, "name"), rp_str(base, "layer"), n,
           qa_json_get_num(base, "dim"), rp_str(m, "baseline"));
  rp_buf b = {0};
  rp_printf(&b, "kNN accuracy is leave-one-out with k = %.0f within each variant's own "
            "states; Spearman \xCF\x81 compares pairwise cosine distances over %s pairs; "
            "SQNR is " RP_DASH " where there is no error energy. kNN \xCE\x94 cells are "
            "coloured by the tier the drop alone would earn.",
            qa_json_get_num(base, "knn_k"), pairs);
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 11, cols);
  qa_doc_table_expect(t, rp_count_variants(m, "representation"));
  qa_doc_table_note(t, rp_text(&b));   /* the legend stays with the table */
  rp_buf_free(&b);
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (repr_of(v)) repr_row(c, t, v);
  qa_doc_table_end(t);
  repr_observations(c, m);
  retrieval_table(c, m);
  worst_table(c, m);
}

void rp_section_representation(const rp_ctx *c) {
  const cJSON *m;
  rp_heading(c, RP_SEC_REPRESENTATION);
  if (!rp_any_variant_has(c, "representation")) {
    qa_doc_paragraph(c->doc, "No variant has hidden states at the configured layer; add "
                             "/hidden/<layer> to the caches to enable this section.");
    return;
  }
  rp_prose(c, RP_SEC_REPRESENTATION, "intro");
  cJSON_ArrayForEach(m, c->models)
    if (repr_of(rp_baseline(m))) repr_model(c, m);
}

/* ---- per-class breakdown ---- */

static const cJSON *per_class(const cJSON *v) { return rp_arr(repr_of(v), "per_class"); }

static const cJSON *class_of(const cJSON *v, const char *label) {
  const cJSON *cls;
  cJSON_ArrayForEach(cls, per_class(v))
    if (!strcmp(rp_str(cls, "label"), label)) return cls;
  return NULL;
}

/* Non-baseline variants of m that have per-class numbers, in order. */
static size_t class_variants(const cJSON *m, const cJSON **out) {
  const cJSON *v;
  size_t n = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1 && cJSON_GetArraySize(per_class(v)) && n < MAX_VARIANTS)
      out[n++] = v;
  return n;
}

int rp_per_class_any(const rp_ctx *c) {
  const cJSON *m, *vars[MAX_VARIANTS];
  cJSON_ArrayForEach(m, c->models) if (class_variants(m, vars) > 0) return 1;
  return 0;
}

/* The classes a model's per-class tables show: every class with samples
** (report.json lists no other) when they fit in MAX_CLASS_ROWS, else the
** MAX_CLASS_ROWS whose worst variant is lowest on the table's metric (ties:
** the lower label first), shown in label order.  One pass over the classes
** with a cursor per variant (their lists are in the same label order), so
** a table costs O(K · variants) for K classes, never K². */
#define MAX_CLASS_ROWS 40

typedef struct class_pick {
  size_t n, of;                                /* rows shown; classes with samples */
  size_t n_classes;                            /* C of the model, 0 when unknown */
  size_t idx[MAX_CLASS_ROWS];                  /* position among the K, ascending */
  double score[MAX_CLASS_ROWS];
  const cJSON *base[MAX_CLASS_ROWS];           /* the baseline's entry */
  const cJSON *var[MAX_CLASS_ROWS][MAX_VARIANTS];   /* each variant's, or NULL */
} class_pick;

/* Puts class k (score w) at row `at` of p, shifting the rows below it
** down; when p is full its last row falls off. */
static void pick_insert(class_pick *p, size_t at, size_t k, double w, const cJSON *base,
                        const cJSON *const *var, size_t n_vars) {
  size_t last = p->n < MAX_CLASS_ROWS ? p->n++ : MAX_CLASS_ROWS - 1;
  for (size_t j = last; j > at; j--) {
    p->idx[j] = p->idx[j - 1];
    p->score[j] = p->score[j - 1];
    p->base[j] = p->base[j - 1];
    memcpy(p->var[j], p->var[j - 1], n_vars * sizeof *var);
  }
  p->idx[at] = k;
  p->score[at] = w;
  p->base[at] = base;
  memcpy(p->var[at], var, n_vars * sizeof *var);
}

static void pick_swap(class_pick *p, size_t a, size_t b, size_t n_vars) {
  size_t ti = p->idx[a]; p->idx[a] = p->idx[b]; p->idx[b] = ti;
  double ts = p->score[a]; p->score[a] = p->score[b]; p->score[b] = ts;
  const cJSON *tb = p->base[a]; p->base[a] = p->base[b]; p->base[b] = tb;
  for (size_t i = 0; i < n_vars; i++) {
    const cJSON *tv = p->var[a][i]; p->var[a][i] = p->var[b][i]; p->var[b][i] = tv;
  }
}

static void pick_classes(const cJSON *m, const cJSON *const *vars, size_t n_vars,
                         const char *key, class_pick *p) {
  const cJSON *cur[MAX_VARIANTS], *mine[MAX_VARIANTS], *cls;
  const cJSON *base = rp_baseline(m);
  p->n = p->of = 0;
  p->n_classes = 0;
  double c_all = qa_json_get_num(repr_of(base), "n_classes");
  if (!isnan(c_all) && c_all > 0) p->n_classes = (size_t)c_all;
  for (size_t i = 0; i < n_vars; i++) {
    const cJSON *arr = per_class(vars[i]);
    cur[i] = arr ? arr->child : NULL;
  }
  cJSON_ArrayForEach(cls, per_class(base)) {
    const char *label = rp_str(cls, "label");
    double w = INFINITY;
    for (size_t i = 0; i < n_vars; i++) {
      const cJSON *o = cur[i];
      if (o) cur[i] = o->next;
      /* Out of step only if the lists were not written by this program. */
      if (!o || strcmp(rp_str(o, "label"), label)) o = class_of(vars[i], label);
      mine[i] = o;
      double x = qa_json_get_num(o, key);
      if (!isnan(x)) w = fmin(w, x);
    }
    size_t at = p->n;
    while (at > 0 && p->score[at - 1] > w) at--;
    if (at < MAX_CLASS_ROWS) pick_insert(p, at, p->of, w, cls, mine, n_vars);
    p->of++;
  }
  /* Back to label order (insertion sort of at most MAX_CLASS_ROWS rows). */
  for (size_t i = 1; i < p->n; i++)
    for (size_t j = i; j > 0 && p->idx[j - 1] > p->idx[j]; j--) pick_swap(p, j - 1, j, n_vars);
}

/* What a cut table says under it: which classes it shows and why. */
static void pick_note(const class_pick *p, const char *what, const char *legend, char *buf,
                      size_t cap) {
  size_t used = (size_t)snprintf(buf, cap, "%s", legend ? legend : "");
  if (p->n < p->of && used < cap)
    used += (size_t)snprintf(buf + used, cap - used, "%sShown: the %zu of the %zu classes "
                             "with samples whose worst variant has the lowest %s; "
                             "report.json lists them all.", used ? " " : "", p->n, p->of, what);
  if (p->n_classes > p->of && used < cap)
    snprintf(buf + used, cap - used, "%s%zu of the %zu classes have no sample and are not "
             "listed.", used ? " " : "", p->n_classes - p->of, p->n_classes);
}

/* Columns: Class, n, [baseline kNN acc.], one per variant of the chunk. */
static qa_doc_table *class_table(const rp_ctx *c, const char *caption, int with_base,
                                 const cJSON *const *vars, size_t n_vars) {
  qa_doc_col cols[RP_MAX_COLS];
  size_t k = 0;
  cols[k++] = (qa_doc_col){"Class", 1.3, QA_ALIGN_LEFT};
  cols[k++] = (qa_doc_col){"n", 0.7, QA_ALIGN_RIGHT};
  if (with_base) cols[k++] = (qa_doc_col){"Baseline kNN acc.", 1.0, QA_ALIGN_RIGHT};
  for (size_t i = 0; i < n_vars; i++)
    cols[k++] = (qa_doc_col){rp_str(vars[i], "name"), 0.9, QA_ALIGN_RIGHT};
  return qa_doc_table_begin(c->doc, caption, k, cols);
}

/* vars/n_vars: the chunk's variants, columns first.. of the pick. */
static void knn_chunk(const rp_ctx *c, const cJSON *m, const cJSON *const *vars, size_t n_vars,
                      const class_pick *p, size_t first) {
  const cJSON *base = rp_baseline(m);
  char caption[192], note[512];
  snprintf(caption, sizeof caption, "%s: change in kNN accuracy by class (pp against %s)",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *t = class_table(c, caption, 1, vars, n_vars);
  qa_doc_table_expect(t, p->n + 1);
  char legend[400];
  snprintf(legend, sizeof legend, "Bold on a shaded cell: the exact McNemar test of the class "
           "(each sample's kNN verdict, baseline against variant) survives Holm's correction "
           "over the variant's classes at alpha %.2g; every other cell is a change within "
           "noise. The last row is coloured by the tier the overall drop alone would earn.",
           c->alpha);
  pick_note(p, "kNN accuracy change", legend, note, sizeof note);
  qa_doc_table_note(t, note);
  rp_row r;
  for (size_t k = 0; k < p->n; k++) {
    const cJSON *cls = p->base[k];
    rp_row_init(&r, 3 + n_vars);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(cls, "label"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(cls, "n"));
    rp_row_fixed(&r, 2, qa_json_get_num(cls, "knn_accuracy"), 3);
    for (size_t i = 0; i < n_vars; i++) {
      const cJSON *e = p->var[k][first + i];
      double d = qa_json_get_num(e, "knn_accuracy_delta_pp");
      double ph = qa_json_get_num(e, "knn_mcnemar_p_holm");
      rp_row_signed(&r, 3 + i, d, 1);
      if (!isnan(ph) && ph < c->alpha) {
        r.style[3 + i] = QA_CELL_BOLD;
        rp_row_fill(&r, 3 + i, d < 0 ? RP_FILL_BAD : RP_FILL_GOOD);
      }
    }
    rp_row_emit(t, &r);
  }
  rp_row_init(&r, 3 + n_vars);
  rp_row_set(&r, 0, QA_CELL_BOLD, "All samples");
  rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(repr_of(base), "n"));
  rp_row_fixed(&r, 2, qa_json_get_num(repr_of(base), "knn_accuracy"), 3);
  for (size_t i = 0; i < n_vars; i++) {
    double d = qa_json_get_num(repr_of(vars[i]), "knn_accuracy_delta_pp");
    rp_row_signed(&r, 3 + i, d, 1);
    r.style[3 + i] = QA_CELL_BOLD;
    style_drop(c, &r, 3 + i, d);
  }
  rp_row_emit(t, &r);
  qa_doc_table_end(t);
}

/* Cosine by class; the lowest class of each variant is WARN when its
** distance from 1 is more than 1.5 times the variant's mean distance, BAD
** when more than twice. */
static void cosine_chunk(const rp_ctx *c, const cJSON *m, const cJSON *const *vars, size_t n_vars,
                         const class_pick *p, size_t first, const char *legend) {
  const cJSON *base = rp_baseline(m), *o;
  char caption[192], note[1024];
  snprintf(caption, sizeof caption, "%s: mean cosine similarity to %s by class",
           rp_str(m, "name"), rp_str(m, "baseline"));
  qa_doc_table *t = class_table(c, caption, 0, vars, n_vars);
  qa_doc_table_expect(t, p->n + 1);
  pick_note(p, "mean cosine", legend, note, sizeof note);
  qa_doc_table_note(t, note);
  /* Each variant's lowest class, found once (not once a row). */
  double lowest[MAX_VARIANT_COLS];
  for (size_t i = 0; i < n_vars; i++) {
    lowest[i] = 2.0;
    cJSON_ArrayForEach(o, per_class(vars[i])) {
      double x = qa_json_get_num(o, "cosine_mean");
      if (!isnan(x) && x < lowest[i]) lowest[i] = x;
    }
  }
  rp_row r;
  for (size_t k = 0; k < p->n; k++) {
    const cJSON *cls = p->base[k];
    rp_row_init(&r, 2 + n_vars);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(cls, "label"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(cls, "n"));
    for (size_t i = 0; i < n_vars; i++) {
      double cm = qa_json_get_num(p->var[k][first + i], "cosine_mean");
      double mean = rp_num2(repr_of(vars[i]), "cosine", "mean");
      rp_row_fixed(&r, 2 + i, cm, COS_DECIMALS);
      if (!isnan(cm) && cm == lowest[i] && 1.0 - cm > 1.5 * (1.0 - mean)) {
        int bad = 1.0 - cm > 2.0 * (1.0 - mean);
        r.style[2 + i] = bad ? QA_CELL_BAD : QA_CELL_WARN;
        rp_row_fill(&r, 2 + i, bad ? RP_FILL_BAD : RP_FILL_WARN);
      }
    }
    rp_row_emit(t, &r);
  }
  rp_row_init(&r, 2 + n_vars);
  rp_row_set(&r, 0, QA_CELL_BOLD, "All samples");
  rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(repr_of(base), "n"));
  for (size_t i = 0; i < n_vars; i++) {
    rp_row_fixed(&r, 2 + i, rp_num2(repr_of(vars[i]), "cosine", "mean"), COS_DECIMALS);
    r.style[2 + i] = QA_CELL_BOLD;
  }
  rp_row_emit(t, &r);
  qa_doc_table_end(t);
}

/* "Worst class per variant: int4 REVIEW (-14.2 pp against -2.7 pp overall), ..." */
static void class_observations(const rp_ctx *c, const cJSON *m, const cJSON *const *vars,
                               size_t n_vars) {
  rp_list items = {0};
  double smallest_n = NAN;
  const cJSON *cls;
  cJSON_ArrayForEach(cls, per_class(rp_baseline(m))) {
    double n = qa_json_get_num(cls, "n");
    if (isnan(smallest_n) || n < smallest_n) smallest_n = n;
  }
  for (size_t i = 0; i < n_vars; i++) {
    const cJSON *worst = NULL;
    cJSON_ArrayForEach(cls, per_class(vars[i])) {
      double d = qa_json_get_num(cls, "knn_accuracy_delta_pp");
      if (!isnan(d) && (!worst || d < qa_json_get_num(worst, "knn_accuracy_delta_pp")))
        worst = cls;
    }
    if (!worst) continue;
    if (!(qa_json_get_num(worst, "knn_accuracy_delta_pp") < 0)) {
      /* The "worst" class gains or holds: no loss to test. */
      rp_list_add(&items, "%s no class loses (against %+.1f pp overall)", rp_str(vars[i], "name"),
                  qa_json_get_num(repr_of(vars[i]), "knn_accuracy_delta_pp"));
      continue;
    }
    double ph = qa_json_get_num(worst, "knn_mcnemar_p_holm");
    char pt[64] = "", pv[RP_FMT];
    rp_fmt_p(pv, sizeof pv, ph);
    if (!isnan(ph)) snprintf(pt, sizeof pt, ", Holm p %s%s", pv[0] == '<' ? "< " : "",
                             pv[0] == '<' ? pv + 1 : pv);
    rp_list_add(&items, "%s %s %+.1f pp (against %+.1f pp overall%s%s)", rp_str(vars[i], "name"),
                rp_str(worst, "label"), qa_json_get_num(worst, "knn_accuracy_delta_pp"),
                qa_json_get_num(repr_of(vars[i]), "knn_accuracy_delta_pp"), pt,
                isnan(ph) ? "" : ph < c->alpha ? ": survives" : ": within noise");
  }
  rp_buf b = {0};
  if (items.n) {
    rp_printf(&b, "The class that loses most kNN accuracy, per variant, and whether its loss "
              "survives Holm's correction over the variant's classes: ");
    rp_join(&b, &items);
    rp_printf(&b, ".");
  }
  if (!isnan(smallest_n))
    rp_printf(&b, " The smallest class has n = %.0f, so its per-class numbers are the "
              "noisiest in the table.", smallest_n);
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
  rp_list_free(&items);
}

void rp_section_per_class(const rp_ctx *c) {
  const cJSON *m;
  const cJSON *vars[MAX_VARIANTS];
  int any = 0;
  rp_heading(c, RP_SEC_PER_CLASS);
  cJSON_ArrayForEach(m, c->models) any |= class_variants(m, vars) > 0;
  if (!any) {
    qa_doc_paragraph(c->doc, "No variant has per-class representation metrics; add "
                             "/samples/label (and /samples/label_names) to the caches "
                             "together with /hidden/<layer> to enable this section.");
    return;
  }
  rp_prose(c, RP_SEC_PER_CLASS, "intro");
  /* ~20 KB, so not on the stack; the report is drawn by one thread. */
  static class_pick pick_store;
  class_pick *pick = &pick_store;
  cJSON_ArrayForEach(m, c->models) {
    size_t n = class_variants(m, vars);
    if (!n) continue;
    if (rp_n_models(c) > 1) qa_doc_subsection(c->doc, rp_str(m, "name"));
    /* The same rows in every chunk of a table: picked over all variants. */
    pick_classes(m, vars, n, "knn_accuracy_delta_pp", pick);
    for (size_t at = 0; at < n; at += MAX_VARIANT_COLS)
      knn_chunk(c, m, vars + at, n - at < MAX_VARIANT_COLS ? n - at : MAX_VARIANT_COLS, pick, at);
    pick_classes(m, vars, n, "cosine_mean", pick);
    for (size_t at = 0; at < n; at += MAX_VARIANT_COLS)
      cosine_chunk(c, m, vars + at, n - at < MAX_VARIANT_COLS ? n - at : MAX_VARIANT_COLS, pick,
                   at, at + MAX_VARIANT_COLS >= n   /* the legend under the last table */
                           ? rp_template_text(c->tmpl, RP_SEC_PER_CLASS, "note") : NULL);
    class_observations(c, m, vars, n);
  }
}

/*
** Figures of token-level outputs (STATISTICS.md "Token-level outputs"):
** the per-token KLD distribution of each variant (figure 10, per model),
** the PPL ratio of every variant with its 95% interval (figure 11, every
** model at once) and mean KLD by slice and variant (figure 12, per model).
**
** They draw what src/analysis/tokens.c computed (a->models[m][v].tokens:
** the sorted per-position KLD, the ladder, the intervals, the slices and
** the worst slice), never a number of their own beyond where a point goes.
** A study without token data gets none of them, and no line in "Figures
** not drawn" either (QA_FIG_NOT_APPLICABLE): it is not a language model.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"

static const qa_rgb INK = {0.15, 0.15, 0.15}, GREY = {0.45, 0.45, 0.45};

/* KLD below this many nats is drawn at it on the log axes (a position
** whose two distributions agree to double precision has KLD 0 exactly). */
#define KLD_FLOOR 1e-6
/* Ladder positions of the marked percentiles (tokens.h: max, 99.9, 99, ...). */
#define PCT_P99_9 1
#define PCT_P99 2
#define MAX_CURVES 24        /* curves in figure 10: colour x marker stay distinct */
#define MAX_FOREST_ROWS 40   /* variants in figure 11; the worst are kept */
#define MAX_SLICE_ROWS 30    /* slices in figure 12; the worst are kept */
#define MAX_COLS 64

static const qa_tokens_result *tok_of(const qa_figure_src *src, size_t m, size_t v) {
  const qa_tokens_result *t = &src->analysis->models[m][v].tokens;
  return t->present ? t : NULL;
}

/* 1 when some non-baseline variant of some model has token data. */
static int any_tokens(const qa_figure_src *src) {
  const qa_study *s = src->study;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      if (!s->models[m].variants[v].is_baseline && tok_of(src, m, v)) return 1;
  return 0;
}

/* Decimals that show the PPL ratio's naive se with two significant
** digits, 3 to 6 (the rule of the report's tables). */
static int ratio_decimals(double se) {
  if (!isfinite(se) || se <= 0) return 4;
  int d = 1 - (int)floor(log10(se));
  return d < 3 ? 3 : d > 6 ? 6 : d;
}

/* Three significant digits, as the report's headline table prints mean
** KLD: "0.000514", "0.0412", "1.17"; "4.12e-05" below 1e-4; "0" for 0. */
static void fmt_kld(double v, char *buf, size_t cap) {
  if (isnan(v)) snprintf(buf, cap, "\xE2\x80\x94");
  else if (v == 0.0) snprintf(buf, cap, "0");
  else if (fabs(v) < 1e-4) snprintf(buf, cap, "%.2e", v);
  else {
    int d = 2 - (int)floor(log10(fabs(v)));
    snprintf(buf, cap, "%.*f", d < 0 ? 0 : d, v);
  }
}

/* "12,000" */
static void fmt_count(size_t n, char *buf, size_t cap) {
  char digits[32], out[48];
  size_t k = (size_t)snprintf(digits, sizeof digits, "%zu", n), o = 0;
  for (size_t i = 0; i < k; i++) {
    if (i && (k - i) % 3 == 0) out[o++] = ',';
    out[o++] = digits[i];
  }
  out[o] = '\0';
  snprintf(buf, cap, "%s", out);
}

static void dashed_line(qa_plot *p, double x0, double y0, double x1, double y1, qa_rgb c) {
  const double dash[2] = {3.0, 2.0};
  cairo_save(p->cr);
  cairo_set_dash(p->cr, dash, 2, 0);
  cairo_move_to(p->cr, x0, y0);
  cairo_line_to(p->cr, x1, y1);
  qa_plot_color(p, c, 1.0);
  cairo_set_line_width(p->cr, 0.8);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
}

/* ---- figure 10: per-token KLD distribution ------------------------------ */

/* The share of positions whose KLD is at least x, against x: a survival
** curve on log-log axes.  The bulk is where a curve leaves the top, the
** tail is the lower part, and the p99 and p99.9 lie on the lines at 10⁻²
** and 10⁻³, so the two marks the brief asks for need no legend of their
** own.  Steps are decimated to ~0.25 pt; values below the axis' left end
** are drawn on it. */
static void survival_curve(qa_plot *p, const qa_tokens_result *t, const qa_plot_axis *x,
                           const qa_plot_axis *y, qa_rgb color) {
  size_t n = t->n;
  double lo = x->s.d0, px_last = NAN, py_last = NAN;
  double py = qa_plot_map(&y->s, 1.0);
  cairo_t *cr = p->cr;
  for (size_t i = 0; i < n; i++) {
    /* Positions i..n-1 have KLD >= kld[i]: the share (n - i) / n. */
    double px = qa_plot_map(&x->s, fmin(fmax(t->kld[i], lo), x->s.d1));
    double share_after = (double)(n - i - 1) / (double)n;
    if (i == 0) {
      cairo_move_to(cr, px, py);
      px_last = px;
      py_last = py;
    } else if (fabs(px - px_last) > 0.25 || i + 1 == n) {
      cairo_line_to(cr, px, py_last);       /* the horizontal run to this value */
      px_last = px;
    }
    if (share_after <= 0) break;
    double py_next = qa_plot_map(&y->s, share_after);
    if (fabs(py_next - py_last) > 0.25 || i + 2 == n) {
      cairo_line_to(cr, px_last, py_next);  /* the drop past this value */
      py_last = py_next;
    }
  }
  qa_plot_color(p, color, 0.95);
  cairo_set_line_width(cr, 1.1);
  cairo_stroke(cr);
}

/* Where curve t runs at a share of positions (the KLD of rank n − share·n),
** on the canvas. */
static double curve_x_at(const qa_tokens_result *t, double share, const qa_plot_axis *x) {
  double r = (double)t->n * (1.0 - share);
  size_t i = r <= 0 ? 0 : r >= (double)(t->n - 1) ? t->n - 1 : (size_t)r;
  return qa_plot_map(&x->s, fmin(fmax(t->kld[i], x->s.d0), x->s.d1));
}

static int cmp_span(const void *a, const void *b) {
  const double *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* The left end of a level line's label: in the widest stretch of the line
** where no curve passes through the label's band (from the line up to the
** label's top), so that no curve crosses it; the first stretch that holds
** the whole label, else the widest. */
static double level_label_x(qa_plot *p, const qa_figure_src *src, const size_t *vars, size_t n,
                            const qa_plot_axis *x, const qa_plot_axis *y, const qa_plot_area *a,
                            double level, double q, const char *label) {
  double span[MAX_CURVES][2], w = qa_plot_text_width(p, label, QA_PLOT_NOTE_PT, 0) + 8.0;
  /* The share at the band's top: the inverse of the log map at q - 3 - 1.2 size. */
  double top_py = q - 3.0 - 1.2 * QA_PLOT_NOTE_PT;
  double f = (top_py - y->s.p0) / (y->s.p1 - y->s.p0);
  double share_top = pow(10.0, log10(y->s.d0) + f * (log10(y->s.d1) - log10(y->s.d0)));
  for (size_t i = 0; i < n; i++) {
    const qa_tokens_result *t = tok_of(src, src->model, vars[i]);
    double x0 = curve_x_at(t, fmin(share_top, 1.0), x), x1 = curve_x_at(t, level, x);
    span[i][0] = fmin(x0, x1) - 4.0;   /* a marker's radius and a margin */
    span[i][1] = fmax(x0, x1) + 4.0;
  }
  qsort(span, n, sizeof span[0], cmp_span);
  double best_x = a->x0 + 4.0, best_w = -1, at = a->x0;
  for (size_t i = 0; i <= n; i++) {
    double end = i < n ? span[i][0] : a->x1;
    if (end - at >= w) return at + 4.0;
    if (end - at > best_w) { best_w = end - at; best_x = at + 4.0; }
    if (i < n) at = fmax(at, span[i][1]);
  }
  return fmin(best_x, a->x1 - w + 4.0);
}

int qa_figure_tok_kld(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                      qa_error *err) {
  const qa_study *s = src->study;
  const qa_model *model = &s->models[src->model];
  size_t vars[MAX_CURVES], n = 0, n_all = 0, n_min = SIZE_MAX, below_max = 0;
  double lo = INFINITY, hi = 0;
  char nm[QA_PLOT_NAME_BYTES + 4];
  if (!any_tokens(src)) return QA_FIG_NOT_APPLICABLE;
  for (size_t v = 0; v < model->n_variants; v++) {
    const qa_tokens_result *t = tok_of(src, src->model, v);
    if (model->variants[v].is_baseline || !t || !t->kld || !t->n) continue;
    n_all++;
    if (n == MAX_CURVES) continue;
    vars[n++] = v;
    lo = fmin(lo, t->kld[0]);
    hi = fmax(hi, t->kld[t->n - 1]);
    n_min = t->n < n_min ? t->n : n_min;
  }
  if (!n) {
    qa_plot_fmt(why, why_cap, "%s has no variant besides its baseline with token logits "
                "(/tokens/logits), so there is no per-token KLD to show.",
                QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  lo = fmax(lo, KLD_FLOOR);
  if (!(hi > lo * 1.0001)) {
    qa_plot_fmt(why, why_cap, "Every position's KLD of every variant of %s is below %g nats, "
                "so there is no distribution to show on a log axis.",
                QA_FIG_SHORT(model->name, nm), KLD_FLOOR);
    return 1;
  }
  /* Down to the rarest position, and past the p99.9 line in any case. */
  double y_lo = fmin(1.0 / (double)n_min, 5e-4);
  qa_plot p;
  qa_plot_axis x, y;
  if (qa_plot_axis_init(&x, lo, hi, 1, 8, 1, 0, 1) || qa_plot_axis_init(&y, y_lo, 1.0, 1, 7, 1, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  /* Positions left of the axis (the largest share of a variant's). */
  below_max = 0;
  for (size_t i = 0; i < n; i++) {
    const qa_tokens_result *t = tok_of(src, src->model, vars[i]);
    size_t below = 0;
    while (below < t->n && t->kld[below] < x.s.d0) below++;
    below_max = below > below_max ? below : below_max;
  }
  x.title = "KLD per position, nats (log scale)";
  y.title = "Share of positions with KLD \xE2\x89\xA5 x (log scale)";
  char labels[MAX_CURVES][200];
  qa_plot_key keys[MAX_CURVES];
  for (size_t i = 0; i < n; i++) {
    const qa_tokens_result *t = tok_of(src, src->model, vars[i]);
    char a[32], b[32], c[32];
    fmt_kld(t->kld_mean, a, sizeof a);
    fmt_kld(t->kld_pct[PCT_P99], b, sizeof b);
    fmt_kld(t->kld_pct[PCT_P99_9], c, sizeof c);
    qa_plot_fmt(labels[i], sizeof labels[i], "%s (mean %s, p99 %s, p99.9 %s nats)",
                model->variants[vars[i]].name, a, b, c);
    keys[i] = (qa_plot_key){labels[i], qa_plot_variant_color(vars[i]), QA_KEY_LINE_MARKER,
                            qa_plot_variant_marker(vars[i]), 0};
  }
  /* The legend below the plot, flowing in rows: measured first, so the
  ** canvas is as tall as plot and legend need. */
  double lw, lh, key_max = QA_PLOT_WIDTH_IN * 72.0 - 40.0;
  if (qa_plot_begin(&p, src->fonts, 0.1, 0.1, err)) return -1;
  qa_plot_legend_size(&p, keys, n, NULL, 0, key_max, &lw, &lh);
  qa_plot_end(&p);
  double plot_h = 190.0, height = 8.0 + plot_h + 38.0 + lh + 8.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, height / 72.0, err)) return -1;
  double left = 10.0 + QA_PLOT_LABEL_PT + 8.0 + qa_plot_axis_label_width(&p, &y);
  qa_plot_area a = {left, 8.0, p.width - 16.0, 8.0 + plot_h};
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axis_place(&y, a.y1, a.y0);
  qa_plot_axes(&p, &a, &x, &y, QA_AXES_GRID_X | QA_AXES_GRID_Y);
  /* The p99 and p99.9 lines; their labels are drawn after the curves. */
  static const double LEVEL[2] = {1e-2, 1e-3};
  static const char *const LEVEL_NAME[2] = {"p99: 1 % of positions above",
                                            "p99.9: 0.1 % of positions above"};
  for (int k = 0; k < 2; k++) {
    double q = qa_plot_map(&y.s, LEVEL[k]);
    dashed_line(&p, a.x0, q, a.x1, q, GREY);
  }
  cairo_save(p.cr);
  cairo_rectangle(p.cr, a.x0, a.y0 - 1, a.x1 - a.x0 + 1, a.y1 - a.y0 + 2);
  cairo_clip(p.cr);
  for (size_t i = 0; i < n; i++)
    survival_curve(&p, tok_of(src, src->model, vars[i]), &x, &y, qa_plot_variant_color(vars[i]));
  for (size_t i = 0; i < n; i++) {
    const qa_tokens_result *t = tok_of(src, src->model, vars[i]);
    const double at[2] = {t->kld_pct[PCT_P99], t->kld_pct[PCT_P99_9]};
    for (int k = 0; k < 2; k++)
      if (isfinite(at[k]))
        qa_plot_marker(&p, qa_plot_variant_marker(vars[i]),
                       qa_plot_map(&x.s, fmin(fmax(at[k], x.s.d0), x.s.d1)),
                       qa_plot_map(&y.s, LEVEL[k]), 5.5, qa_plot_variant_color(vars[i]));
  }
  cairo_restore(p.cr);
  for (int k = 0; k < 2; k++) {
    double q = qa_plot_map(&y.s, LEVEL[k]);
    double lx = level_label_x(&p, src, vars, n, &x, &y, &a, LEVEL[k], q, LEVEL_NAME[k]);
    qa_plot_text_halo(&p, LEVEL_NAME[k], lx, q - 2.0, QA_PLOT_NOTE_PT, 0, 0.0, 1.0, GREY);
  }
  qa_plot_legend(&p, keys, n, NULL, 0, key_max, 0.5 * (a.x0 + a.x1 - lw), a.y1 + 38.0);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  /* What the caption adds: the positions drawn at the left end, and a cut. */
  why[0] = '\0';
  if (below_max) {
    char edge[48];
    qa_plot_axis_label(&x, x.s.d0, edge, sizeof edge);
    qa_plot_fmt(why, why_cap, "Positions with KLD below %s nats, the left end of the axis "
                "(exact zeros among them; at most %.1f %% of a variant's), are drawn on it.",
                edge, 100.0 * (double)below_max / (double)n_min);
  }
  size_t used = strlen(why);
  if (n < n_all)
    qa_plot_fmt(why + used, why_cap - used, "%sOnly the first %d of %zu variants are drawn; "
                "the tables list every variant.", used ? " " : "", MAX_CURVES, n_all);
  return rc;
}

/* ---- figure 11: PPL ratio with its interval ------------------------------ */

typedef struct forest_row {
  size_t model, variant;      /* variant SIZE_MAX: a model's heading */
} forest_row;

/* The non-baseline variants with tokens, grouped by model (a heading row
** before each model when there are several), at most MAX_FOREST_ROWS: the
** largest PPL ratios when there are more (ties in order). */
static size_t forest_rows(const qa_figure_src *src, forest_row *rows, size_t *n_all) {
  const qa_study *s = src->study;
  size_t total = 0;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      total += !s->models[m].variants[v].is_baseline && tok_of(src, m, v) != NULL;
  *n_all = total;
  double cut = -INFINITY;       /* a ratio that keeps a row when there are too many */
  size_t at_cut = 0;            /* rows at the cut that may still be kept */
  if (total > MAX_FOREST_ROWS) {
    double *r = malloc(total * sizeof *r);
    size_t k = 0;
    if (!r) return 0;
    for (size_t m = 0; m < s->n_models; m++)
      for (size_t v = 0; v < s->models[m].n_variants; v++)
        if (!s->models[m].variants[v].is_baseline && tok_of(src, m, v))
          r[k++] = tok_of(src, m, v)->ppl_ratio;
    /* The MAX_FOREST_ROWS-th largest (a partial selection sort: small n). */
    for (size_t i = 0; i < MAX_FOREST_ROWS; i++)
      for (size_t j = i + 1; j < total; j++)
        if (r[j] > r[i]) { double t = r[i]; r[i] = r[j]; r[j] = t; }
    cut = r[MAX_FOREST_ROWS - 1];
    for (size_t i = 0; i < MAX_FOREST_ROWS; i++) at_cut += r[i] == cut;
    free(r);
  }
  size_t n = 0, kept = 0;
  for (size_t m = 0; m < s->n_models; m++) {
    int heading = 0;
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      const qa_tokens_result *t = tok_of(src, m, v);
      if (s->models[m].variants[v].is_baseline || !t || kept == MAX_FOREST_ROWS) continue;
      if (total > MAX_FOREST_ROWS) {
        if (!(t->ppl_ratio > cut || (t->ppl_ratio == cut && at_cut))) continue;
        if (t->ppl_ratio == cut) at_cut--;
      }
      if (s->n_models > 1 && !heading) {
        rows[n++] = (forest_row){m, SIZE_MAX};
        heading = 1;
      }
      rows[n++] = (forest_row){m, v};
      kept++;
    }
  }
  return n;
}

#define FOREST_ROW_H 15.0

int qa_figure_tok_ppl(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                      qa_error *err) {
  const qa_study *s = src->study;
  if (!any_tokens(src)) return QA_FIG_NOT_APPLICABLE;
  forest_row *rows = malloc((2 * MAX_FOREST_ROWS + 1) * sizeof *rows);
  if (!rows) return qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  size_t n_all = 0, n = forest_rows(src, rows, &n_all), n_points = 0;
  double lo = 1.0, hi = 1.0;
  for (size_t i = 0; i < n; i++) {
    if (rows[i].variant == SIZE_MAX) continue;
    const qa_tokens_result *t = tok_of(src, rows[i].model, rows[i].variant);
    n_points++;
    const double xs[3] = {t->ppl_ratio, t->ppl_ratio_ci_lo, t->ppl_ratio_ci_hi};
    for (int k = 0; k < 3; k++)
      if (isfinite(xs[k]) && xs[k] > 0) { lo = fmin(lo, xs[k]); hi = fmax(hi, xs[k]); }
  }
  if (!n_points) {
    free(rows);
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  }
  int log_x = hi / lo > 3.0;
  if (!(hi > lo)) { lo = 0.999; hi = 1.001; }
  double pad = log_x ? 0 : 0.04 * (hi - lo);
  qa_plot_axis x;
  if (qa_plot_axis_init(&x, lo - pad, hi + pad, log_x, 7, !log_x, 0, 1)) {
    free(rows);
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axis");
  }
  x.title = log_x ? "PPL(variant) / PPL(baseline) (log scale), with its 95% interval"
                  : "PPL(variant) / PPL(baseline), with its 95% interval";
  double height = 18.0 + (double)n * FOREST_ROW_H + 6.0 + 30.0 + 8.0;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, fmax(1.3, height / 72.0), err)) {
    free(rows);
    return -1;
  }
  /* Left: the names (at most a third of the width); right: the numbers. */
  char label[MAX_FOREST_ROWS * 2 + 1][200], value[MAX_FOREST_ROWS * 2 + 1][96], fit[200];
  double label_w = 0, value_w = 0;
  for (size_t i = 0; i < n; i++) {
    const qa_model *model = &s->models[rows[i].model];
    value[i][0] = '\0';
    if (rows[i].variant == SIZE_MAX) {
      qa_plot_fmt(label[i], sizeof label[i], "%s", model->name);
      label_w = fmax(label_w, qa_plot_text_width(&p, label[i], QA_PLOT_LABEL_PT, 1));
      continue;
    }
    const qa_tokens_result *t = tok_of(src, rows[i].model, rows[i].variant);
    const qa_model_decision *md = src->analysis->model_decisions;
    int cliff = md && md[rows[i].model].cliff == rows[i].variant;
    qa_plot_fmt(label[i], sizeof label[i], "%s%s%s", s->n_models > 1 ? "  " : "",
                model->variants[rows[i].variant].name, cliff ? " (cliff)" : "");
    label_w = fmax(label_w, qa_plot_text_width(&p, label[i], QA_PLOT_LABEL_PT, cliff));
    int d = ratio_decimals(t->ppl_ratio_se);
    qa_plot_fmt(value[i], sizeof value[i], "%.*f [%.*f, %.*f]", d, t->ppl_ratio, d,
                t->ppl_ratio_ci_lo, d, t->ppl_ratio_ci_hi);
    value_w = fmax(value_w, qa_plot_text_width(&p, value[i], QA_PLOT_TICK_PT, 0));
  }
  label_w = fmin(label_w, p.width / 3.0);
  qa_plot_area a = {10.0 + label_w + 8.0, 18.0, p.width - 10.0 - value_w - 12.0, 0};
  a.y1 = a.y0 + (double)n * FOREST_ROW_H + 6.0;
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axes(&p, &a, &x, NULL, QA_AXES_GRID_X);
  double q1 = qa_plot_map(&x.s, 1.0);
  dashed_line(&p, q1, a.y0 - 4.0, q1, a.y1, INK);
  qa_plot_text_halo(&p, "baseline (ratio 1)", q1, a.y0 - 6.0, QA_PLOT_NOTE_PT, 0,
                    q1 > 0.5 * (a.x0 + a.x1) ? 1.0 : 0.0, 1.0, INK);
  qa_plot_text(&p, "ratio [95% interval]", p.width - 10.0, a.y0 - 6.0, QA_PLOT_NOTE_PT, 0, 1.0,
               1.0, GREY);
  for (size_t i = 0; i < n; i++) {
    double cy = a.y0 + 3.0 + ((double)i + 0.5) * FOREST_ROW_H;
    int heading = rows[i].variant == SIZE_MAX;
    const qa_model_decision *md = src->analysis->model_decisions;
    int cliff = !heading && md && md[rows[i].model].cliff == rows[i].variant;
    qa_plot_text(&p, qa_plot_fit(&p, label[i], QA_PLOT_LABEL_PT, heading || cliff, label_w, fit,
                                 sizeof fit),
                 a.x0 - 8.0 - (heading ? label_w : 0), cy, QA_PLOT_LABEL_PT, heading || cliff,
                 heading ? 0.0 : 1.0, 0.5, INK);
    if (heading) continue;
    const qa_tokens_result *t = tok_of(src, rows[i].model, rows[i].variant);
    size_t v = rows[i].variant;
    qa_plot_text(&p, value[i], p.width - 10.0, cy, QA_PLOT_TICK_PT, 0, 1.0, 0.5, INK);
    if (!(t->ppl_ratio > 0)) continue;       /* NaN: nothing to place */
    if (t->ppl_ratio_ci_lo > 0 && t->ppl_ratio_ci_hi > 0) {
      double xl = qa_plot_map(&x.s, fmin(fmax(t->ppl_ratio_ci_lo, x.s.d0), x.s.d1));
      double xh = qa_plot_map(&x.s, fmin(fmax(t->ppl_ratio_ci_hi, x.s.d0), x.s.d1));
      cairo_move_to(p.cr, xl, cy); cairo_line_to(p.cr, xh, cy);
      if (xh - xl > 8.0) {   /* end caps only where they clear the marker */
        cairo_move_to(p.cr, xl, cy - 3.0); cairo_line_to(p.cr, xl, cy + 3.0);
        cairo_move_to(p.cr, xh, cy - 3.0); cairo_line_to(p.cr, xh, cy + 3.0);
      }
      qa_plot_color(&p, INK, 1.0);
      cairo_set_line_width(p.cr, 0.9);
      cairo_stroke(p.cr);
    }
    double xp = qa_plot_map(&x.s, fmin(fmax(t->ppl_ratio, x.s.d0), x.s.d1));
    qa_plot_marker(&p, qa_plot_variant_marker(v), xp, cy, 6.0, qa_plot_variant_color(v));
    if (cliff) {
      cairo_new_sub_path(p.cr);
      cairo_arc(p.cr, xp, cy, 6.0, 0, 2 * M_PI);
      qa_plot_color(&p, INK, 1.0);
      cairo_set_line_width(p.cr, 1.1);
      cairo_stroke(p.cr);
    }
  }
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  if (n_points < n_all)
    qa_plot_fmt(why, why_cap, "Only the %d of %zu variants with the largest PPL ratios are "
                "shown; the tables list every variant.", MAX_FOREST_ROWS, n_all);
  free(rows);
  return rc;
}

/* ---- figure 12: mean KLD by slice and variant --------------------------- */

/* The slice named name among t's, or NULL. */
static const qa_tokens_slice *slice_named(const qa_tokens_result *t, const char *name) {
  for (size_t k = 0; k < t->n_slices; k++)
    if (t->slices[k].name && !strcmp(t->slices[k].name, name)) return &t->slices[k];
  return NULL;
}

static qa_rgb viridis_reversed(double t) { return qa_plot_viridis(1.0 - t); }

typedef struct slice_grid {
  size_t n_cols, n_rows, of;
  size_t cols[MAX_COLS];                  /* variant indices */
  const char *names[MAX_SLICE_ROWS];      /* slice names, in the first column's order */
  size_t n[MAX_SLICE_ROWS];               /* positions of each slice */
} slice_grid;

/* Columns: the non-baseline variants with slices; rows: the slices of the
** first column, all of them or the MAX_SLICE_ROWS whose highest mean KLD
** over the columns is largest (ties: the first), in their order. */
static int slice_select(const qa_figure_src *src, slice_grid *g) {
  const qa_model *model = &src->study->models[src->model];
  memset(g, 0, sizeof *g);
  for (size_t v = 0; v < model->n_variants && g->n_cols < MAX_COLS; v++) {
    const qa_tokens_result *t = tok_of(src, src->model, v);
    if (!model->variants[v].is_baseline && t && t->n_slices) g->cols[g->n_cols++] = v;
  }
  if (!g->n_cols) return 0;
  const qa_tokens_result *first = tok_of(src, src->model, g->cols[0]);
  double worst[MAX_SLICE_ROWS];
  size_t idx[MAX_SLICE_ROWS], nr = 0;
  for (size_t k = 0; k < first->n_slices; k++) {
    double w = -INFINITY;
    for (size_t c = 0; c < g->n_cols; c++) {
      const qa_tokens_slice *sl = slice_named(tok_of(src, src->model, g->cols[c]),
                                              first->slices[k].name);
      if (sl && isfinite(sl->kld_mean)) w = fmax(w, sl->kld_mean);
    }
    size_t at = nr;
    while (at > 0 && worst[at - 1] < w) at--;
    if (at == MAX_SLICE_ROWS) continue;
    size_t last = nr < MAX_SLICE_ROWS ? nr++ : MAX_SLICE_ROWS - 1;
    memmove(worst + at + 1, worst + at, (last - at) * sizeof *worst);
    memmove(idx + at + 1, idx + at, (last - at) * sizeof *idx);
    worst[at] = w;
    idx[at] = k;
  }
  for (size_t i = 1; i < nr; i++)
    for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
      size_t t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
    }
  g->of = first->n_slices;
  g->n_rows = nr;
  for (size_t i = 0; i < nr; i++) {
    g->names[i] = first->slices[idx[i]].name;
    g->n[i] = first->slices[idx[i]].n;
  }
  return nr > 0;
}

/* Mean KLD of row r (r == n_rows: every position) in column c; NaN if none. */
static double grid_value(const qa_figure_src *src, const slice_grid *g, size_t c, size_t r,
                         int *worst) {
  const qa_tokens_result *t = tok_of(src, src->model, g->cols[c]);
  *worst = 0;
  if (r == g->n_rows) return t->kld_mean;
  const qa_tokens_slice *sl = slice_named(t, g->names[r]);
  if (!sl) return NAN;
  *worst = t->worst_slice < t->n_slices && sl == &t->slices[t->worst_slice];
  return sl->kld_mean;
}

int qa_figure_tok_slices(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                         qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  char nm[QA_PLOT_NAME_BYTES + 4];
  slice_grid g;
  if (!any_tokens(src)) return QA_FIG_NOT_APPLICABLE;
  if (!slice_select(src, &g)) {
    qa_plot_fmt(why, why_cap, "%s has no variant besides its baseline with token slices "
                "(/tokens/slice and /tokens/slice_names), so there is no breakdown to show.",
                QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  double lo = INFINITY, hi = 0;
  int worst;
  for (size_t c = 0; c < g.n_cols; c++)
    for (size_t r = 0; r <= g.n_rows; r++) {
      double v = grid_value(src, &g, c, r, &worst);
      if (!isfinite(v)) continue;
      lo = fmin(lo, fmax(v, KLD_FLOOR));
      hi = fmax(hi, fmax(v, KLD_FLOOR));
    }
  if (!isfinite(lo)) { lo = KLD_FLOOR; hi = 10 * KLD_FLOOR; }
  int log_c = hi / lo > 3.0;
  if (!(hi > lo)) hi = lo * 1.5;
  qa_plot_axis scale;
  /* Not widened to nice ticks: the worst cell gets the deepest colour. */
  if (qa_plot_axis_init(&scale, lo, hi, log_c, 5, 0, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the colour bar");
  double cell_h = fmin(24.0, fmax(15.0, 72.0 / (double)(g.n_rows + 1)));
  double gap = 5.0;                       /* between the slices and "All positions" */
  double grid_h = (double)(g.n_rows + 1) * cell_h + gap, bar_h = fmax(grid_h, 90.0);
  double height = 22.0 + bar_h + 26.0;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, fmax(1.2, height / 72.0), err)) return -1;
  char labels[MAX_SLICE_ROWS + 1][200], count[48], fit[200];
  double label_w = 0, head_w = 0;
  for (size_t r = 0; r <= g.n_rows; r++) {
    if (r < g.n_rows) {
      fmt_count(g.n[r], count, sizeof count);
      qa_plot_fmt(labels[r], sizeof labels[r], "%s (n = %s)", g.names[r] ? g.names[r] : "?",
                  count);
    } else {
      fmt_count(tok_of(src, src->model, g.cols[0])->n, count, sizeof count);
      qa_plot_fmt(labels[r], sizeof labels[r], "All positions (n = %s)", count);
    }
    label_w = fmax(label_w, qa_plot_text_width(&p, labels[r], QA_PLOT_LABEL_PT, r == g.n_rows));
  }
  label_w = fmin(label_w, p.width / 3.0);
  for (size_t c = 0; c < g.n_cols; c++)
    head_w = fmax(head_w, qa_plot_text_width(&p, model->variants[g.cols[c]].name,
                                             QA_PLOT_LABEL_PT, 1));
  double bar_w = 16.0 + 10.0 + 12.0 + qa_plot_axis_label_width(&p, &scale) + QA_PLOT_LABEL_PT;
  double avail = p.width - 20.0 - label_w - 8.0 - bar_w;
  double cw = fmin(fmax(84.0, head_w + 10.0), avail / (double)g.n_cols);
  double block = label_w + 8.0 + (double)g.n_cols * cw + bar_w;
  double x0 = fmax(10.0, 0.5 * (p.width - block)) + label_w + 8.0, y0 = 22.0;
  for (size_t r = 0; r <= g.n_rows; r++) {
    double cy = y0 + ((double)r + 0.5) * cell_h + (r == g.n_rows ? gap : 0.0);
    qa_plot_text(&p, qa_plot_fit(&p, labels[r], QA_PLOT_LABEL_PT, r == g.n_rows, label_w, fit,
                                 sizeof fit),
                 x0 - 6.0, cy, QA_PLOT_LABEL_PT, r == g.n_rows, 1.0, 0.5, INK);
  }
  for (size_t c = 0; c < g.n_cols; c++)
    qa_plot_text(&p, qa_plot_fit(&p, model->variants[g.cols[c]].name, QA_PLOT_LABEL_PT, 1,
                                 cw - 4.0, fit, sizeof fit),
                 x0 + ((double)c + 0.5) * cw, y0 - 5.0, QA_PLOT_LABEL_PT, 1, 0.5, 1.0, INK);
  char buf[32];
  for (size_t c = 0; c < g.n_cols; c++)
    for (size_t r = 0; r <= g.n_rows; r++) {
      double v = grid_value(src, &g, c, r, &worst);
      double x = x0 + (double)c * cw, y = y0 + (double)r * cell_h + (r == g.n_rows ? gap : 0.0);
      qa_rgb fill = {0.92, 0.92, 0.92};
      if (isfinite(v)) {
        double w = fmax(v, KLD_FLOOR);
        double t = log_c ? (log10(w) - log10(scale.s.d0)) / (log10(scale.s.d1) - log10(scale.s.d0))
                         : (w - scale.s.d0) / (scale.s.d1 - scale.s.d0);
        fill = viridis_reversed(fmin(fmax(t, 0.0), 1.0));
      }
      cairo_rectangle(p.cr, x, y, cw, cell_h);
      qa_plot_color(&p, fill, 1.0);
      cairo_fill(p.cr);
      fmt_kld(v, buf, sizeof buf);
      qa_plot_text(&p, buf, x + 0.5 * cw, y + 0.5 * cell_h, QA_PLOT_TICK_PT, worst, 0.5, 0.5,
                   qa_plot_ink_on(fill));
    }
  /* White rules between cells, then each variant's worst slice framed. */
  cairo_set_line_width(p.cr, 0.8);
  qa_plot_color(&p, (qa_rgb){1, 1, 1}, 1.0);
  for (size_t c = 1; c < g.n_cols; c++) {
    cairo_move_to(p.cr, x0 + (double)c * cw, y0);
    cairo_line_to(p.cr, x0 + (double)c * cw, y0 + grid_h);
  }
  for (size_t r = 1; r < g.n_rows; r++) {
    cairo_move_to(p.cr, x0, y0 + (double)r * cell_h);
    cairo_line_to(p.cr, x0 + (double)g.n_cols * cw, y0 + (double)r * cell_h);
  }
  cairo_stroke(p.cr);
  for (size_t c = 0; c < g.n_cols; c++)
    for (size_t r = 0; r < g.n_rows; r++) {
      grid_value(src, &g, c, r, &worst);
      if (!worst) continue;
      cairo_rectangle(p.cr, x0 + (double)c * cw + 1.2, y0 + (double)r * cell_h + 1.2,
                      cw - 2.4, cell_h - 2.4);
      qa_plot_color(&p, INK, 1.0);
      cairo_set_line_width(p.cr, 1.4);
      cairo_stroke(p.cr);
      /* A second, white frame inside keeps the black one visible on dark cells. */
      cairo_rectangle(p.cr, x0 + (double)c * cw + 2.6, y0 + (double)r * cell_h + 2.6,
                      cw - 5.2, cell_h - 5.2);
      qa_plot_color(&p, (qa_rgb){1, 1, 1}, 1.0);
      cairo_set_line_width(p.cr, 0.8);
      cairo_stroke(p.cr);
    }
  double gx1 = x0 + (double)g.n_cols * cw;
  qa_plot_area bar = {gx1 + 16.0, y0, gx1 + 26.0, y0 + bar_h};
  qa_plot_axis_place(&scale, bar.y1, bar.y0);
  qa_plot_colorbar(&p, &bar, viridis_reversed, &scale,
                   log_c ? "Mean KLD, nats (log)" : "Mean KLD, nats");
  char note[400];
  qa_plot_fmt(note, sizeof note, "Mean KLD of each slice's positions; framed and bold: the "
              "slice of highest mean KLD of each variant.%s",
              g.n_rows < g.of ? " Only the slices with the highest values are shown." : "");
  double note_w = qa_plot_text_width(&p, note, QA_PLOT_NOTE_PT, 0);
  qa_plot_text(&p, note, fmax(10.0, fmin(x0 - label_w - 8.0, p.width - 10.0 - note_w)),
               y0 + bar_h + 10.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  if (g.n_rows < g.of)
    qa_plot_fmt(why, why_cap, "The %zu of %zu slices whose highest mean KLD is largest are "
                "shown; the tables list every slice.", g.n_rows, g.of);
  return rc;
}

/*
** Figure 7, quality against cost: every (model, variant) with decode
** timings, cost (or throughput) on x, accuracy on y, colour = tier, shape
** = model, the Pareto front dashed and ringed, and a second panel against
** memory when variants have one.  Labels name the model wherever a
** variant name is ambiguous, and go through the plotting layer's placer
** (qa_plot_place_label), so no label covers another, a point or the
** front; a label with no free place is left out and the caption says how
** many (docs/figures.md, figure 7).
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"

static const qa_rgb INK = {0.15, 0.15, 0.15}, GREY = {0.45, 0.45, 0.45};

static size_t n_tiers(const qa_study *s) { return s->cfg->n_tiers; }
/* ---- figure 7: quality against cost ------------------------------------- */

typedef struct cost_pt {
  size_t m, v;
  double x, y;
} cost_pt;

enum { Y_BENCH, Y_OUTPUT, Y_DELTA, Y_NONE };

static double cost_y(const qa_variant_result *r, int kind) {
  switch (kind) {
  case Y_BENCH: return r->bench.present ? 100 * r->bench.accuracy : NAN;
  case Y_OUTPUT: return r->out.present ? 100 * r->out.accuracy : NAN;
  default: return r->bench_signal;
  }
}

/* Boxes already taken on the canvas, for label placement. */
typedef struct boxes { size_t n; double r[256][4]; } boxes;

static int box_free(const boxes *b, const double *q, const qa_plot_area *a) {
  if (q[0] < a->x0 || q[2] > a->x1 || q[1] < a->y0 || q[3] > a->y1) return 0;
  for (size_t i = 0; i < b->n; i++)
    if (q[0] < b->r[i][2] && q[2] > b->r[i][0] && q[1] < b->r[i][3] && q[3] > b->r[i][1]) return 0;
  return 1;
}

static void box_add(boxes *b, double x0, double y0, double x1, double y1) {
  if (b->n >= 256) return;
  double *q = b->r[b->n++];
  q[0] = x0; q[1] = y0; q[2] = x1; q[3] = y1;
}

/* A label beside the point at (px, py): right, left, above, below, or the
** diagonals, the first that overlaps nothing; then, if force, the same a
** step further out with a thin leader to the point, and when none is free
** to the right all the same; else it is left out (a crowded plot is read
** by colour and shape, not by overprinted names). */
static void place_label(qa_plot *p, boxes *b, const qa_plot_area *a, const char *s, double px,
                        double py, int force) {
  static const double dx[8] = {1, -1, 0, 0, 1, -1, 1, -1}, dy[8] = {0, 0, -1, 1, -1, -1, 1, 1};
  double w = qa_plot_text_width(p, s, QA_PLOT_TICK_PT, 0), h = QA_PLOT_TICK_PT * 0.9;
  for (int k = 0; k < 17; k++) {
    int j = k < 16 ? k % 8 : 0;
    double out = k >= 8 && k < 16 ? 9.0 : 0.0;
    double cx = px + dx[j] * (0.5 * w + 8.5 + out), cy = py + dy[j] * (0.5 * h + 8.0 + out);
    double q[4] = {cx - 0.5 * w - 1, cy - 0.5 * h - 1, cx + 0.5 * w + 1, cy + 0.5 * h + 1};
    if (k >= 8 && !force) return;    /* the outer ring is for the front's labels */
    if (k == 16 || box_free(b, q, a)) {
      if (out > 0) {             /* the leader: from the marker's edge to the label's */
        double ex = cx - dx[j] * (0.5 * w + 1.5), ey = cy - dy[j] * (0.5 * h + 1.5);
        double len = hypot(ex - px, ey - py);
        if (len > 7.0) {
          cairo_move_to(p->cr, px + (ex - px) * 6.0 / len, py + (ey - py) * 6.0 / len);
          cairo_line_to(p->cr, ex, ey);
          qa_plot_color(p, GREY, 0.9);
          cairo_set_line_width(p->cr, 0.5);
          cairo_stroke(p->cr);
        }
      }
      qa_plot_text_halo(p, s, cx, cy, QA_PLOT_TICK_PT, 0, 0.5, 0.5, INK);
      box_add(b, q[0], q[1], q[2], q[3]);
      return;
    }
  }
}

static void pareto_staircase(qa_plot *p, const cost_pt *pt, const size_t *front, size_t nf,
                             const qa_plot_axis *x, const qa_plot_axis *y) {
  const double dash[2] = {3.5, 2.0};
  for (size_t k = 0; k < nf; k++) {
    double px = qa_plot_map(&x->s, pt[front[k]].x), py = qa_plot_map(&y->s, pt[front[k]].y);
    if (k == 0) {
      cairo_move_to(p->cr, px, py);
    } else {
      double prev_y = qa_plot_map(&y->s, pt[front[k - 1]].y);
      cairo_line_to(p->cr, px, prev_y);
      cairo_line_to(p->cr, px, py);
    }
  }
  cairo_save(p->cr);
  cairo_set_dash(p->cr, dash, 2, 0);
  qa_plot_color(p, INK, 0.85);
  cairo_set_line_width(p->cr, 1.0);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
  for (size_t k = 0; k < nf; k++) {
    cairo_new_sub_path(p->cr);
    cairo_arc(p->cr, qa_plot_map(&x->s, pt[front[k]].x), qa_plot_map(&y->s, pt[front[k]].y),
              6.0, 0, 2 * M_PI);
  }
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(p->cr, 0.8);
  cairo_stroke(p->cr);
}

/* The x of a panel: cost in USD per Mtok, decode tok/s, or memory. */
enum { X_USD, X_TOK_S, X_MEMORY };

/* x of variant v of model m; NaN when absent.  Throughput is the one the
** results use (qa_analysis_throughput: harmonic by default), memory the
** study's vram_gb, in cfg->memory_unit. */
static double cost_x(const qa_figure_src *src, size_t m, size_t v, int xkind) {
  const qa_variant_result *r = &src->analysis->models[m][v];
  const qa_variant *var = &src->study->models[m].variants[v];
  double x = xkind == X_USD     ? r->perf.usd_per_mtok
             : xkind == X_TOK_S ? qa_analysis_throughput(src->study->cfg, &r->perf)
             : var->has_vram_gb ? var->vram_gb
                                : NAN;
  return x > 0 && isfinite(x) ? x : NAN;
}

/* The quality axis: the first of benchmark accuracy, output accuracy and
** accuracy change that the most points with an x of xkind have (Y_NONE:
** nothing). */
static int cost_ykind(const qa_figure_src *src, int xkind) {
  const qa_study *s = src->study;
  size_t count[3] = {0, 0, 0}, best = 0;
  int kind = Y_NONE;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      const qa_variant_result *r = &src->analysis->models[m][v];
      if (isnan(cost_x(src, m, v, xkind))) continue;
      for (int k = 0; k < 3; k++) count[k] += isfinite(cost_y(r, k)) != 0;
    }
  for (int k = 0; k < 3; k++)
    if (count[k] > best) { best = count[k]; kind = k; }
  return kind;
}

/* Gathers the points with an x of xkind and a y of ykind (at most 256, in
** configuration order; n_all counts them all). */
static void cost_points(const qa_figure_src *src, int xkind, int ykind, cost_pt *pt, size_t *n,
                        size_t *n_all) {
  const qa_study *s = src->study;
  *n = *n_all = 0;
  for (size_t m = 0; ykind != Y_NONE && m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      double x = cost_x(src, m, v, xkind), y = cost_y(&src->analysis->models[m][v], ykind);
      if (!isfinite(x) || !isfinite(y)) continue;
      (*n_all)++;
      if (*n < 256) pt[(*n)++] = (cost_pt){m, v, x, y};
    }
}

/* The stacked legends: tiers, models (when more than one), the front.
** Draws them at (lx, ly) when draw; returns their width. */
static double cost_legends(qa_plot *p, const qa_study *s, int draw, double lx, double ly) {
  size_t nt = n_tiers(s), ntk = 0;
  size_t nmk = s->n_models > 1 ? (s->n_models < 16 ? s->n_models : 16) : 0;
  qa_plot_key tk[17], mk[16], fk = {"Pareto front", INK, QA_KEY_DASHED, 0, 0};
  for (size_t t = 0; t <= nt && t < 16; t++)
    tk[ntk++] = (qa_plot_key){qa_analysis_tier_name(s->cfg, t), qa_plot_tier_color(t, nt),
                              QA_KEY_MARKER, QA_MARK_CIRCLE, 0};
  for (size_t m = 0; m < nmk; m++)
    mk[m] = (qa_plot_key){s->models[m].name, GREY, QA_KEY_MARKER, qa_plot_variant_marker(m), 0};
  double w = 0, lw, lh;
  const qa_plot_key *sets[3] = {tk, mk, &fk};
  const size_t counts[3] = {ntk, nmk, 1};
  const char *titles[3] = {"Tier", "Model", NULL};
  for (int k = 0; k < 3; k++) {
    if (!counts[k]) continue;
    qa_plot_legend_size(p, sets[k], counts[k], titles[k], 1, 160, &lw, &lh);
    if (draw) qa_plot_legend(p, sets[k], counts[k], titles[k], 1, 160, lx, ly);
    ly += lh + 6.0;
    w = fmax(w, lw);
  }
  return w;
}

/* A point's label is shortened to this width (points). */
#define COST_LABEL_MAX_W 110.0

/* The points (colour: tier; shape: model when there are several), then
** their labels where they cover neither a point nor the front. */
static void cost_marks(qa_plot *p, const qa_figure_src *src, const cost_pt *pt, size_t n,
                       const size_t *front, size_t nf, const qa_plot_axis *x,
                       const qa_plot_axis *y, const qa_plot_area *a, const boxes *taken) {
  const qa_study *s = src->study;
  boxes b = *taken;
  for (size_t i = 0; i < n; i++) {
    double px = qa_plot_map(&x->s, pt[i].x), py = qa_plot_map(&y->s, pt[i].y);
    box_add(&b, px - 6.5, py - 6.5, px + 6.5, py + 6.5);
  }
  for (size_t k = 1; k < nf; k++) {     /* the staircase's segments */
    double xa = qa_plot_map(&x->s, pt[front[k - 1]].x), ya = qa_plot_map(&y->s, pt[front[k - 1]].y);
    double xb = qa_plot_map(&x->s, pt[front[k]].x), yb = qa_plot_map(&y->s, pt[front[k]].y);
    box_add(&b, fmin(xa, xb), ya - 1.5, fmax(xa, xb), ya + 1.5);
    box_add(&b, xb - 1.5, fmin(ya, yb), xb + 1.5, fmax(ya, yb));
  }
  for (size_t i = 0; i < n; i++) {
    const qa_variant_result *r = &src->analysis->models[pt[i].m][pt[i].v];
    qa_plot_marker(p, s->n_models > 1 ? qa_plot_variant_marker(pt[i].m) : QA_MARK_CIRCLE,
                   qa_plot_map(&x->s, pt[i].x), qa_plot_map(&y->s, pt[i].y), 7.0,
                   qa_plot_tier_color(r->tier, n_tiers(s)));
  }
  /* The Pareto front's labels first and always; the others where room is. */
  int on_front[256] = {0};
  for (size_t k = 0; k < nf; k++) on_front[front[k]] = 1;
  char fit[256];
  for (int pass = 1; pass >= 0; pass--)
    for (size_t i = 0; i < n; i++)
      if (on_front[i] == pass)
        place_label(p, &b, a,
                    qa_plot_fit(p, s->models[pt[i].m].variants[pt[i].v].name, QA_PLOT_TICK_PT,
                                0, COST_LABEL_MAX_W, fit, sizeof fit),
                    qa_plot_map(&x->s, pt[i].x), qa_plot_map(&y->s, pt[i].y), pass);
}

void qa_figure_cost_title(const qa_config *cfg, int use_usd, char *buf, size_t cap) {
  const char *mean = cfg->throughput_arithmetic ? "arithmetic" : "harmonic";
  if (use_usd)
    qa_plot_fmt(buf, cap, "Cost per million generated tokens (USD, at the %s mean of tok/s)",
                mean);
  else
    qa_plot_fmt(buf, cap, "Decode throughput (tokens/s, %s mean; right is better)", mean);
}

void qa_figure_memory_title(const qa_config *cfg, char *buf, size_t cap) {
  qa_plot_fmt(buf, cap, "Memory (%s, measured or estimated; left is smaller)",
              cfg->memory_unit ? cfg->memory_unit : "GB");
}

/* One scatter panel: its points, Pareto front and axes. */
typedef struct cost_panel {
  int xkind;
  cost_pt pt[256];
  size_t n, n_all, front[256], nf;
  qa_plot_axis x;
  char x_title[128];
} cost_panel;

/* Points, front and x axis of a panel; returns 0, or 1 when fewer than two
** points. */
static int panel_init(const qa_figure_src *src, cost_panel *c, int xkind, int ykind) {
  double cost[256], qual[256], x_lo = INFINITY, x_hi = 0;
  c->xkind = xkind;
  cost_points(src, xkind, ykind, c->pt, &c->n, &c->n_all);
  if (c->n < 2) return 1;
  for (size_t i = 0; i < c->n; i++) {
    cost[i] = xkind == X_TOK_S ? -c->pt[i].x : c->pt[i].x;   /* throughput: higher is better */
    qual[i] = c->pt[i].y;
    x_lo = fmin(x_lo, c->pt[i].x);
    x_hi = fmax(x_hi, c->pt[i].x);
  }
  c->nf = qa_plot_pareto_front(cost, qual, c->n, c->front);
  int log_x = x_hi / x_lo > 20.0;
  double xpad = log_x ? 0 : 0.06 * fmax(x_hi - x_lo, 0.05 * x_hi);
  if (qa_plot_axis_init(&c->x, log_x ? x_lo : fmax(0, x_lo - xpad), x_hi + xpad, log_x, 6, 1,
                        0, 1))
    return 1;
  if (xkind == X_MEMORY) qa_figure_memory_title(src->study->cfg, c->x_title, sizeof c->x_title);
  else qa_figure_cost_title(src->study->cfg, xkind == X_USD, c->x_title, sizeof c->x_title);
  c->x.title = c->x_title;
  return 0;
}

/* The memory tiers inside the panel's x range: dotted lines, labelled. */
static void memory_tiers(qa_plot *p, const qa_config *cfg, const qa_plot_axis *x,
                         const qa_plot_area *a, boxes *b) {
  const double dash[2] = {1.0, 2.0};
  char buf[48];
  for (size_t t = 0; t < cfg->n_vram_tiers; t++) {
    double v = cfg->vram_tiers_gb[t];
    if (!(v > x->s.d0 && v < x->s.d1)) continue;
    double px = qa_plot_map(&x->s, v);
    cairo_save(p->cr);
    cairo_set_dash(p->cr, dash, 2, 0);
    cairo_move_to(p->cr, px, a->y0);
    cairo_line_to(p->cr, px, a->y1);
    qa_plot_color(p, GREY, 0.9);
    cairo_set_line_width(p->cr, 0.8);
    cairo_stroke(p->cr);
    cairo_restore(p->cr);
    qa_plot_fmt(buf, sizeof buf, "%g %s", v, cfg->memory_unit ? cfg->memory_unit : "GB");
    double w = qa_plot_text_width(p, buf, QA_PLOT_NOTE_PT, 0);
    qa_plot_text_halo(p, buf, px + 2.0, a->y0 + 2.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
    box_add(b, px + 1.0, a->y0 + 1.0, px + 3.0 + w, a->y0 + 3.0 + QA_PLOT_NOTE_PT);
  }
}

static void panel_draw(qa_plot *p, const qa_figure_src *src, cost_panel *c, qa_plot_axis *y,
                       const qa_plot_area *a) {
  qa_plot_axis_place(&c->x, a->x0, a->x1);
  qa_plot_axis_place(y, a->y1, a->y0);
  qa_plot_axes(p, a, &c->x, y, QA_AXES_GRID_X | QA_AXES_GRID_Y);
  boxes taken;
  taken.n = 0;
  if (c->xkind == X_MEMORY) memory_tiers(p, src->study->cfg, &c->x, a, &taken);
  pareto_staircase(p, c->pt, c->front, c->nf, &c->x, y);
  cost_marks(p, src, c->pt, c->n, c->front, c->nf, &c->x, y, a, &taken);
}

#define COST_PANEL_H_IN 3.7     /* one panel; the memory panel adds MEMORY_PANEL_H_IN */
#define MEMORY_PANEL_H_IN 3.0

int qa_figure_cost(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                   qa_error *err) {
  const qa_study *s = src->study;
  int use_usd = 0;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      use_usd |= isfinite(src->analysis->models[m][v].perf.usd_per_mtok) != 0;
  cost_panel cp, mp;             /* 12 kB each */
  int ykind = cost_ykind(src, use_usd ? X_USD : X_TOK_S);
  if (ykind == Y_NONE || panel_init(src, &cp, use_usd ? X_USD : X_TOK_S, ykind)) {
    qa_plot_fmt(why, why_cap, "Fewer than two variants have both a quality number and decode "
             "timings (/perf/decode_tok_s), so there is no trade-off to plot.");
    return 1;
  }
  int memory = !panel_init(src, &mp, X_MEMORY, ykind);
  size_t used = 0;
  if (memory) {
    const qa_config *cfg = s->cfg;
    qa_plot_fmt(why, why_cap, "The lower panel plots the same quality against memory in %s "
                "(measured, else estimated), with the memory tiers dotted and its own front.",
                cfg->memory_unit ? cfg->memory_unit : "GB");
    used = strlen(why);
  }
  if (cp.n < cp.n_all || (memory && mp.n < mp.n_all))
    qa_plot_fmt(why + used, why_cap - used, "%sOnly the first %zu of %zu variants, in "
                "configuration order, are plotted; the tables list every variant.",
                used ? " " : "", cp.n, cp.n_all);
  /* One quality axis for both panels, so that they read alike. */
  double y_lo = INFINITY, y_hi = -INFINITY;
  for (size_t i = 0; i < cp.n; i++) { y_lo = fmin(y_lo, cp.pt[i].y); y_hi = fmax(y_hi, cp.pt[i].y); }
  for (size_t i = 0; memory && i < mp.n; i++) {
    y_lo = fmin(y_lo, mp.pt[i].y);
    y_hi = fmax(y_hi, mp.pt[i].y);
  }
  double ypad = 0.08 * fmax(y_hi - y_lo, 1.0);
  qa_plot_axis y;
  if (qa_plot_axis_init(&y, y_lo - ypad, y_hi + ypad, 0, 6, 1, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  y.title = ykind == Y_BENCH    ? "Benchmark accuracy (%)"
            : ykind == Y_OUTPUT ? "Output accuracy (%)"
                                : "Accuracy change vs baseline (pp)";
  qa_plot p;
  double height_in = COST_PANEL_H_IN + (memory ? MEMORY_PANEL_H_IN : 0.0);
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, height_in, err)) return -1;
  double lw = cost_legends(&p, s, 0, 0, 0);
  double left = 12.0 + QA_PLOT_LABEL_PT + qa_plot_axis_label_width(&p, &y);
  double top_h = COST_PANEL_H_IN * 72.0;
  qa_plot_area a = {left, 10.0, p.width - lw - 24.0, top_h - 36.0};
  panel_draw(&p, src, &cp, &y, &a);
  if (memory) {
    qa_plot_area b = {left, top_h + 6.0, a.x1, p.height - 36.0};
    panel_draw(&p, src, &mp, &y, &b);
  }
  cost_legends(&p, s, 1, a.x1 + 16.0, a.y0);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}


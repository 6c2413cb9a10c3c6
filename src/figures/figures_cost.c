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
    double px = qa_plot_map(&x->s, pt[front[k]].x), py = qa_plot_map(&y->s, pt[front[k]].y);
    cairo_new_sub_path(p->cr);
    cairo_arc(p->cr, px, py, 6.0, 0, 2 * M_PI);
    qa_plot_record_mark(p, px, py, 6.4);   /* the ring: no label or leader crosses it */
    if (k == 0) continue;
    /* The staircase's two segments into this point, for the labels to avoid. */
    double xa = qa_plot_map(&x->s, pt[front[k - 1]].x), ya = qa_plot_map(&y->s, pt[front[k - 1]].y);
    qa_plot_obstacle(p, fmin(xa, px), ya - 0.5, fmax(xa, px), ya + 0.5);
    qa_plot_obstacle(p, px - 0.5, fmin(ya, py), px + 0.5, fmax(ya, py));
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

/* 1 when the variant name of point i is also a variant of another model
** among the points: its label must then name the model. */
static int name_ambiguous(const qa_study *s, const cost_pt *pt, size_t n, size_t i) {
  const char *name = s->models[pt[i].m].variants[pt[i].v].name;
  for (size_t j = 0; j < n; j++)
    if (pt[j].m != pt[i].m && !strcmp(s->models[pt[j].m].variants[pt[j].v].name, name))
      return 1;
  return 0;
}

/* The points (colour: tier; shape: model when there are several), then
** their labels through the placer, which keeps them off every point, ring,
** staircase segment, tick label and each other: the Pareto front's first
** (with a leader when no place beside the point is free), then the others
** where there is room.  Returns how many points have no label. */
static size_t cost_marks(qa_plot *p, const qa_figure_src *src, const cost_pt *pt, size_t n,
                         const size_t *front, size_t nf, const qa_plot_axis *x,
                         const qa_plot_axis *y, const qa_plot_area *a) {
  const qa_study *s = src->study;
  for (size_t i = 0; i < n; i++) {
    const qa_variant_result *r = &src->analysis->models[pt[i].m][pt[i].v];
    qa_plot_marker(p, s->n_models > 1 ? qa_plot_variant_marker(pt[i].m) : QA_MARK_CIRCLE,
                   qa_plot_map(&x->s, pt[i].x), qa_plot_map(&y->s, pt[i].y), 7.0,
                   qa_plot_tier_color(r->tier, n_tiers(s)));
  }
  int on_front[256] = {0};
  for (size_t k = 0; k < nf; k++) on_front[front[k]] = 1;
  char text[320], fit[256];
  size_t dropped = 0;
  qa_plot_area inside = {a->x0 + 1.0, a->y0 + 1.0, a->x1 - 1.0, a->y1 - 1.0};
  for (int pass = 1; pass >= 0; pass--)
    for (size_t i = 0; i < n; i++) {
      if (on_front[i] != pass) continue;
      const qa_model *model = &s->models[pt[i].m];
      const char *vname = model->variants[pt[i].v].name;
      if (name_ambiguous(s, pt, n, i)) qa_plot_fmt(text, sizeof text, "%s %s", model->name, vname);
      else qa_plot_fmt(text, sizeof text, "%s", vname);
      qa_plot_label l = {{qa_plot_fit(p, text, QA_PLOT_TICK_PT, 0, COST_LABEL_MAX_W, fit,
                                      sizeof fit), NULL},
                         qa_plot_map(&x->s, pt[i].x), qa_plot_map(&y->s, pt[i].y), 0,
                         pass ? 7.5 : 5.5, QA_PLOT_TICK_PT, 0, QA_LABEL_AROUND, pass};
      if (qa_plot_place_label(p, &l, &inside) < 0) dropped++;
    }
  return dropped;
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
                         const qa_plot_area *a) {
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
    qa_plot_text_halo(p, buf, px + 2.0, a->y0 + 2.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  }
}

/* Draws one panel; returns how many of its points have no label. */
static size_t panel_draw(qa_plot *p, const qa_figure_src *src, cost_panel *c, qa_plot_axis *y,
                         const qa_plot_area *a) {
  qa_plot_axis_place(&c->x, a->x0, a->x1);
  qa_plot_axis_place(y, a->y1, a->y0);
  qa_plot_axes(p, a, &c->x, y, QA_AXES_GRID_X | QA_AXES_GRID_Y);
  if (c->xkind == X_MEMORY) memory_tiers(p, src->study->cfg, &c->x, a);
  pareto_staircase(p, c->pt, c->front, c->nf, &c->x, y);
  return cost_marks(p, src, c->pt, c->n, c->front, c->nf, &c->x, y, a);
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
  qa_plot_set_panel(&p, 1);
  size_t unlabelled = panel_draw(&p, src, &cp, &y, &a);
  if (memory) {
    qa_plot_area b = {left, top_h + 6.0, a.x1, p.height - 36.0};
    qa_plot_set_panel(&p, 2);
    unlabelled += panel_draw(&p, src, &mp, &y, &b);
  }
  qa_plot_set_panel(&p, 0);
  if (unlabelled) {
    /* Said in the caption: the dropped labels' numbers are in the tables. */
    used = strlen(why);
    qa_plot_fmt(why + used, why_cap - used, "%sPoints are labelled where a label fits beside "
                "them without covering another (the Pareto front's first); %zu %s no label, "
                "their shape gives the model and their colour the tier, and the tables list "
                "every variant's cost and accuracy.", used ? " " : "", unlabelled,
                unlabelled == 1 ? "point has" : "points have");
  }
  cost_legends(&p, s, 1, a.x1 + 16.0, a.y0);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}


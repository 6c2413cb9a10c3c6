/*
** Figures of quality across the whole study: accuracy by variant with
** Wilson intervals over the tier bands (figure 6), quality against cost
** with the Pareto front (figure 7), and the metric agreement grid
** (figure 8).  Tier colours come from qa_plot_tier_color everywhere, so a
** tier looks the same in every figure.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"

#define MINUS "\xE2\x88\x92"

static const qa_rgb INK = {0.15, 0.15, 0.15}, GREY = {0.45, 0.45, 0.45};

static void fmt_signed(double v, int dec, const char *unit, char *buf, size_t cap) {
  double r = fabs(v) < 0.5 * pow(10.0, -dec) ? 0.0 : v;
  snprintf(buf, cap, "%s%.*f%s", r < 0 ? MINUS : r > 0 ? "+" : "", dec, fabs(r), unit);
}

static size_t n_tiers(const qa_study *s) { return s->cfg->n_tiers; }

/* The drop limit (pp or %) of the last recommended tier (the second
** configured one, or the only one); STATISTICS.md "decision matrix". */
static double recommended_limit(const qa_study *s, int pct) {
  size_t nt = n_tiers(s);
  if (!nt) return 0.0;
  const qa_tier_cfg *t = &s->cfg->tiers[nt > 1 ? 1 : 0];
  return pct ? t->max_drop_pct : t->max_drop_pp;
}

/* ---- figure 6: accuracy by variant -------------------------------------- */

/* Accuracy of a variant in %, from the benchmark (bench = 1) or outputs. */
static int acc_of(const qa_variant_result *r, int bench, double *acc, double *lo, double *hi) {
  if (bench && r->bench.present && isfinite(r->bench.accuracy)) {
    *acc = 100 * r->bench.accuracy; *lo = 100 * r->bench.wilson_lo; *hi = 100 * r->bench.wilson_hi;
    return 1;
  }
  if (!bench && r->out.present && isfinite(r->out.accuracy)) {
    *acc = 100 * r->out.accuracy; *lo = 100 * r->out.wilson_lo; *hi = 100 * r->out.wilson_hi;
    return 1;
  }
  return 0;
}

/* Which accuracy model m shows: 1 benchmark, 0 outputs, -1 none (both
** need the baseline's). */
static int acc_source(const qa_figure_src *src, size_t m) {
  const qa_model *model = &src->study->models[m];
  const qa_variant_result *b = &src->analysis->models[m][model->baseline];
  double a, lo, hi;
  if (acc_of(b, 1, &a, &lo, &hi)) return 1;
  if (acc_of(b, 0, &a, &lo, &hi)) return 0;
  return -1;
}

static void tier_bands(qa_plot *p, const qa_study *s, const qa_plot_area *a,
                       const qa_plot_axis *y, double base) {
  size_t nt = n_tiers(s);
  double top = a->y0, prev_drop = 0;
  for (size_t t = 0; t <= nt; t++) {
    double drop = t < nt ? fmax(prev_drop, s->cfg->tiers[t].max_drop_pp) : INFINITY;
    double y_lo = t < nt ? qa_plot_map(&y->s, base - drop) : a->y1;
    y_lo = fmin(fmax(y_lo, a->y0), a->y1);
    if (y_lo > top) {
      cairo_rectangle(p->cr, a->x0, top, a->x1 - a->x0, y_lo - top);
      qa_plot_color(p, qa_plot_tier_color(t, nt), 0.13);
      cairo_fill(p->cr);
    }
    top = fmax(top, y_lo);
    prev_drop = t < nt ? drop : prev_drop;
  }
  const double dash[2] = {3.0, 2.0};
  double yb = qa_plot_map(&y->s, base);
  cairo_save(p->cr);
  cairo_set_dash(p->cr, dash, 2, 0);
  cairo_move_to(p->cr, a->x0, yb);
  cairo_line_to(p->cr, a->x1, yb);
  qa_plot_color(p, INK, 0.8);
  cairo_set_line_width(p->cr, 0.7);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
}

/* Variant names under their slots, turned when they do not fit. */
/* Variant names under their slots, turned when they do not fit; a turned
** name is shortened to what the 46 pt under the panel hold. */
#define TURNED_MAX_W 60.0

static void category_labels(qa_plot *p, const qa_model *model, const size_t *vars, size_t n,
                            const qa_plot_area *a) {
  double slot = (a->x1 - a->x0) / (double)n, widest = 0;
  char fit[256];
  for (size_t i = 0; i < n; i++)
    widest = fmax(widest, qa_plot_text_width(p, model->variants[vars[i]].name, QA_PLOT_TICK_PT, 0));
  for (size_t i = 0; i < n; i++) {
    double x = a->x0 + ((double)i + 0.5) * slot;
    const char *name = model->variants[vars[i]].name;
    if (widest <= slot - 4.0)
      qa_plot_text(p, name, x, a->y1 + 5.0, QA_PLOT_TICK_PT, 0, 0.5, 0.0, INK);
    else
      qa_plot_text_rotated(p, qa_plot_fit(p, name, QA_PLOT_TICK_PT, 0, TURNED_MAX_W, fit,
                                          sizeof fit),
                           x + 2.0, a->y1 + 4.0, QA_PLOT_TICK_PT, 0, 1.0, 0.0, -M_PI / 5, INK);
  }
}

/* The cliff of model m (STATISTICS.md "Tier, cost, memory": the first
** variant in configured order whose tier is not recommended, as
** models[].cliff in report.json); SIZE_MAX when none. */
static size_t model_cliff(const qa_figure_src *src, size_t m) {
  const qa_model_decision *md = src->analysis->model_decisions;
  return md ? md[m].cliff : SIZE_MAX;
}

#define CLIFF_LABEL "cliff"

/* The cliff's mark: a ring round its point and the word under its
** interval, or above the interval and its change when the panel's
** bottom is too near. */
static void cliff_mark(qa_plot *p, const qa_plot_area *a, double px, double py, double ylo,
                       double yhi, int change_above) {
  cairo_new_sub_path(p->cr);
  cairo_arc(p->cr, px, py, 6.5, 0, 2 * M_PI);
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(p->cr, 1.2);
  cairo_stroke(p->cr);
  double h = QA_PLOT_NOTE_PT + 2.0;
  double below = ylo + 3.0 + (change_above ? 0.0 : h);
  if (below + h <= a->y1)
    qa_plot_text_halo(p, CLIFF_LABEL, px, below, QA_PLOT_NOTE_PT, 1, 0.5, 0.0, INK);
  else
    qa_plot_text_halo(p, CLIFF_LABEL, px, yhi - 3.0 - (change_above ? h : 0.0),
                      QA_PLOT_NOTE_PT, 1, 0.5, 1.0, INK);
}

static void accuracy_panel(qa_plot *p, const qa_figure_src *src, size_t m, int bench,
                           const qa_plot_area *a, int show_title) {
  const qa_study *s = src->study;
  const qa_model *model = &s->models[m];
  const qa_variant_result *res = src->analysis->models[m];
  size_t vars[64], n = 0;
  double acc[64], lo[64], hi[64], base = 0, y_lo = INFINITY, y_hi = -INFINITY;
  acc_of(&res[model->baseline], bench, &base, &lo[0], &hi[0]);
  for (size_t v = 0; v < model->n_variants && n < 64; v++)
    if (acc_of(&res[v], bench, &acc[n], &lo[n], &hi[n])) {
      vars[n] = v;
      y_lo = fmin(y_lo, lo[n]);
      y_hi = fmax(y_hi, hi[n]);
      n++;
    }
  /* Show the bands down to just past the last configured threshold. */
  size_t nt = n_tiers(s);
  double last = nt ? s->cfg->tiers[nt - 1].max_drop_pp : 0;
  y_lo = fmax(0.0, fmin(y_lo, base - last - 0.25 * fmax(last, 4.0)));
  y_hi = fmin(100.0, fmax(y_hi, base + 1.0));
  qa_plot_axis x, y;
  qa_plot_axis_init(&x, 0, (double)n, 0, 3, 0, a->x0, a->x1);
  qa_plot_axis_init(&y, y_lo, y_hi, 0, 6, 1, a->y1, a->y0);
  y.title = bench ? "Benchmark accuracy (%)" : "Output accuracy (%)";
  tier_bands(p, s, a, &y, base);
  qa_plot_axes(p, a, &x, &y, QA_AXES_GRID_Y | QA_AXES_NO_X);
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(p->cr, 0.6);
  cairo_move_to(p->cr, a->x0, a->y1);
  cairo_line_to(p->cr, a->x1, a->y1);
  cairo_stroke(p->cr);
  category_labels(p, model, vars, n, a);
  double slot = (a->x1 - a->x0) / (double)n;
  for (size_t i = 0; i < n; i++) {       /* the connecting line */
    double px = a->x0 + ((double)i + 0.5) * slot, py = qa_plot_map(&y.s, acc[i]);
    if (i == 0) cairo_move_to(p->cr, px, py);
    else cairo_line_to(p->cr, px, py);
  }
  qa_plot_color(p, GREY, 0.9);
  cairo_set_line_width(p->cr, 0.8);
  cairo_stroke(p->cr);
  char buf[48];
  size_t cliff = model_cliff(src, m);
  /* The changes' labels fit their slots: without the unit when they would
  ** not, then smaller; neighbours never overprint. */
  const char *unit = " pp";
  double note_pt = QA_PLOT_NOTE_PT, widest = 0;
  for (int pass = 0; pass < 2; pass++, unit = "") {
    widest = 0;
    for (size_t i = 0; i < n; i++) {
      fmt_signed(acc[i] - base, 1, unit, buf, sizeof buf);
      widest = fmax(widest, qa_plot_text_width(p, buf, note_pt, 0));
    }
    if (widest <= slot - 2.0) break;
  }
  if (widest > slot - 2.0) note_pt = fmax(4.5, note_pt * (slot - 2.0) / widest);
  for (size_t i = 0; i < n; i++) {
    double px = a->x0 + ((double)i + 0.5) * slot;
    double ylo = qa_plot_map(&y.s, lo[i]), yhi = qa_plot_map(&y.s, hi[i]);
    cairo_move_to(p->cr, px, ylo); cairo_line_to(p->cr, px, yhi);
    cairo_move_to(p->cr, px - 3.0, ylo); cairo_line_to(p->cr, px + 3.0, ylo);
    cairo_move_to(p->cr, px - 3.0, yhi); cairo_line_to(p->cr, px + 3.0, yhi);
    qa_plot_color(p, INK, 1.0);
    cairo_set_line_width(p->cr, 0.9);
    cairo_stroke(p->cr);
    qa_plot_marker(p, QA_MARK_CIRCLE, px, qa_plot_map(&y.s, acc[i]), 6.5,
                   qa_plot_tier_color(res[vars[i]].tier, nt));
    if (vars[i] == model->baseline) continue;
    /* The change above the interval (below it when the top is near). */
    fmt_signed(acc[i] - base, 1, unit, buf, sizeof buf);
    int above = yhi - a->y0 > 12.0;
    if (above)
      qa_plot_text_halo(p, buf, px, yhi - 3.0, note_pt, 0, 0.5, 1.0, INK);
    else
      qa_plot_text_halo(p, buf, px, ylo + 3.0, note_pt, 0, 0.5, 0.0, INK);
    if (vars[i] == cliff) cliff_mark(p, a, px, qa_plot_map(&y.s, acc[i]), ylo, yhi, above);
  }
  if (show_title) {
    char fit[256];
    qa_plot_text(p, qa_plot_fit(p, model->name, QA_PLOT_LABEL_PT, 1, a->x1 - a->x0, fit,
                                sizeof fit),
                 a->x0, a->y0 - 4.0, QA_PLOT_LABEL_PT, 1, 0.0, 1.0, INK);
  }
}

/* At most this many accuracy panels (four rows of three); a larger study
** shows the models whose variants lose the most accuracy. */
#define MAX_ACC_PANELS 12

/* The largest accuracy drop (pp) of model m's variants from its baseline. */
static double worst_drop(const qa_figure_src *src, size_t m) {
  const qa_model *model = &src->study->models[m];
  const qa_variant_result *res = src->analysis->models[m];
  int bench = acc_source(src, m);
  double base, lo, hi, acc, drop = -INFINITY;
  acc_of(&res[model->baseline], bench, &base, &lo, &hi);
  for (size_t v = 0; v < model->n_variants; v++)
    if (v != model->baseline && acc_of(&res[v], bench, &acc, &lo, &hi))
      drop = fmax(drop, base - acc);
  return drop;
}

/* Keeps the MAX_ACC_PANELS of models[0..n) with the largest drops (ties:
** configuration order), in their order; says so in note. */
static size_t keep_worst_models(const qa_figure_src *src, size_t *models, size_t n, char *note,
                                size_t note_cap) {
  if (n <= MAX_ACC_PANELS) return n;
  double *drop = malloc(n * sizeof *drop);
  char *keep = calloc(n, 1);
  size_t k = 0;
  if (drop && keep) {
    for (size_t i = 0; i < n; i++) drop[i] = worst_drop(src, models[i]);
    for (size_t j = 0; j < MAX_ACC_PANELS; j++) {
      size_t best = SIZE_MAX;
      for (size_t i = 0; i < n; i++)
        if (!keep[i] && (best == SIZE_MAX || drop[i] > drop[best])) best = i;
      keep[best] = 1;
    }
    for (size_t i = 0; i < n; i++)
      if (keep[i]) models[k++] = models[i];
    qa_plot_fmt(note, note_cap, "With %zu models, the %d whose variants lose the most accuracy "
                "are shown; the tables list every model.", n, MAX_ACC_PANELS);
  } else {
    k = MAX_ACC_PANELS;   /* out of memory: the first ones */
  }
  free(drop);
  free(keep);
  return k;
}

static int accuracy_figure(const qa_figure_src *src, const size_t *models, size_t n,
                           const char *png, qa_error *err);

int qa_figure_accuracy(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                       qa_error *err) {
  const qa_study *s = src->study;
  size_t *models = calloc(s->n_models + 1, sizeof *models), n = 0;
  if (!models) return qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  for (size_t m = 0; m < s->n_models; m++)
    if (acc_source(src, m) >= 0) models[n++] = m;
  if (!n) {
    free(models);
    qa_plot_fmt(why, why_cap, "No baseline has benchmark results or labelled predictions, so "
             "there is no accuracy to plot.");
    return 1;
  }
  n = keep_worst_models(src, models, n, why, why_cap);
  int rc = accuracy_figure(src, models, n, png, err);
  free(models);
  return rc;
}

static int accuracy_figure(const qa_figure_src *src, const size_t *models, size_t n,
                           const char *png, qa_error *err) {
  const qa_study *s = src->study;
  size_t nt = n_tiers(s);
  size_t cols, rows;
  qa_plot_grid(n, n == 4 ? 2 : 3, &cols, &rows);
  qa_plot_key keys[24];
  char names[16][128];
  size_t nk = 0;
  for (size_t t = 0; t <= nt && t < 16; t++) {
    if (t < nt) qa_plot_fmt(names[t], sizeof names[t], "%s (drop \xE2\x89\xA4 %g pp)",
                            s->cfg->tiers[t].name, s->cfg->tiers[t].max_drop_pp);
    else qa_plot_fmt(names[t], sizeof names[t], "%s", qa_analysis_tier_name(s->cfg, nt));
    keys[nk++] = (qa_plot_key){names[t], qa_plot_tier_color(t, nt), QA_KEY_MARKER,
                               QA_MARK_CIRCLE, 0};
  }
  keys[nk++] = (qa_plot_key){"baseline accuracy", INK, QA_KEY_DASHED, 0, 0};
  keys[nk++] = (qa_plot_key){"Wilson 95% interval", INK, QA_KEY_LINE, 0, 0};
  double panel_h = rows == 1 ? 190.0 : 150.0, lw, lh;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, 0.1, 0.1, err)) return -1;   /* to measure the legend */
  qa_plot_legend_size(&p, keys, nk, NULL, 0, QA_PLOT_WIDTH_IN * 72.0 - 60.0, &lw, &lh);
  qa_plot_end(&p);
  double ly = 18.0 + (double)rows * (panel_h + 46.0) - 10.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN,
                    (ly + lh + 16.0 + QA_PLOT_NOTE_PT + 3.0) / 72.0, err))
    return -1;
  double left = 12.0 + QA_PLOT_LABEL_PT + qa_plot_text_width(&p, "100.0", QA_PLOT_TICK_PT, 0);
  double gap = 16.0 + QA_PLOT_LABEL_PT + qa_plot_text_width(&p, "100.0", QA_PLOT_TICK_PT, 0);
  double panel_w = (p.width - left - 10.0 - gap * (double)(cols - 1)) / (double)cols;
  for (size_t k = 0; k < n; k++) {
    qa_plot_area a = {left + (double)(k % cols) * (panel_w + gap),
                      18.0 + (double)(k / cols) * (panel_h + 46.0), 0, 0};
    a.x1 = a.x0 + panel_w;
    a.y1 = a.y0 + panel_h;
    accuracy_panel(&p, src, models[k], acc_source(src, models[k]), &a, s->n_models > 1);
  }
  qa_plot_legend_size(&p, keys, nk, NULL, 0, p.width - left - 10.0, &lw, &lh);
  qa_plot_legend(&p, keys, nk, NULL, 0, p.width - left - 10.0, left, ly);
  qa_plot_text(&p, "Bands: tier thresholds on the accuracy drop from the baseline; point "
               "colour: the variant's tier from every signal.", left, ly + lh + 2.0,
               QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  qa_plot_text(&p, "Ringed, \xE2\x80\x9C" "cliff\xE2\x80\x9D: the first variant in configured order whose tier is "
               "not recommended. Numbers: change in pp.", left, ly + lh + 2.0 + QA_PLOT_NOTE_PT + 3.0,
               QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}

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

/* ---- figure 8: metric agreement ----------------------------------------- */

#define N_CRIT 7
#define AG_ROW 15.0

/* The change of output accuracy from the baseline's, in pp (STATISTICS.md
** "Outputs"); NaN when either has no labelled predictions. */
static double output_delta_pp(const qa_variant_result *r, const qa_variant_result *b) {
  if (!r->out.present || !b->out.present) return NAN;
  return 100.0 * (r->out.accuracy - b->out.accuracy);
}

/* Cell (variant r, baseline b, criterion k): 1 safe, 0 damaged, -1 no
** data; text into buf. */
static int criterion(const qa_study *s, const qa_variant_result *r, const qa_variant_result *b,
                     int k, char *buf, size_t cap) {
  double lim_pp = recommended_limit(s, 0), lim_pct = recommended_limit(s, 1);
  switch (k) {
  case 0:
    if (!r->repr.present || isnan(r->repr.cos_mean)) return -1;
    snprintf(buf, cap, "%.4f", r->repr.cos_mean);
    return r->repr.cos_mean >= 0.99;
  case 1:
    if (!r->repr.present || isnan(r->repr.cka_linear)) return -1;
    snprintf(buf, cap, "%.4f", r->repr.cka_linear);
    return r->repr.cka_linear >= 0.99;
  case 2:
    if (!r->repr.present || isnan(r->repr.knn_delta_pp)) return -1;
    fmt_signed(r->repr.knn_delta_pp, 1, " pp", buf, cap);
    return r->repr.knn_delta_pp >= -lim_pp;
  case 3: {
    double d = output_delta_pp(r, b);
    if (isnan(d)) return -1;
    fmt_signed(d, 1, " pp", buf, cap);
    return d >= -lim_pp;
  }
  case 4:
    if (!r->bench.present || isnan(r->bench.delta_pp)) return -1;
    fmt_signed(r->bench.delta_pp, 1, " pp", buf, cap);
    return r->bench.delta_pp >= -lim_pp;
  case 5:
    if (!r->gen.present || isnan(r->gen.delta_pct)) return -1;
    fmt_signed(r->gen.delta_pct, 1, " %", buf, cap);
    return r->gen.delta_pct >= -lim_pct;
  default: {
    if (!r->out.n_critical) return -1;
    size_t failed = 0;
    for (size_t i = 0; i < r->out.n_critical; i++) failed += !r->out.critical[i].pass;
    if (failed) snprintf(buf, cap, "%zu of %zu fail", failed, r->out.n_critical);
    else snprintf(buf, cap, "%s", r->out.n_critical > 1 ? "all pass" : "pass");
    return failed == 0;
  }
  }
}

static const char *const CRIT_NAMES[N_CRIT] = {"Cosine mean", "CKA", "kNN accuracy",
                                               "Output accuracy", "Benchmark", "Generation",
                                               "Critical errors"};

static void criterion_rule(const qa_study *s, int k, char *buf, size_t cap) {
  switch (k) {
  case 0: case 1: snprintf(buf, cap, "\xE2\x89\xA5 0.99"); break;
  case 2: case 3: case 4:
    snprintf(buf, cap, "drop \xE2\x89\xA4 %g pp", recommended_limit(s, 0));
    break;
  case 5: snprintf(buf, cap, "drop \xE2\x89\xA4 %g %%", recommended_limit(s, 1)); break;
  default: snprintf(buf, cap, "count \xE2\x89\xA4 max"); break;
  }
}

/* Text centred in a cell, at a smaller size when it does not fit. */
static void cell_text(qa_plot *p, const char *t, double cx, double cy, double w, int bold,
                      qa_rgb ink) {
  double size = QA_PLOT_TICK_PT;
  while (size > 5.0 && qa_plot_text_width(p, t, size, bold) > w - 4.0) size -= 0.5;
  qa_plot_text(p, t, cx, cy, size, bold, 0.5, 0.5, ink);
}

typedef struct ag_layout {
  double x0, y0, cw, tier_x, tier_w;
  int cols[N_CRIT], nc;
} ag_layout;

static void agreement_header(qa_plot *p, const qa_study *s, const ag_layout *g) {
  char rule[64];
  /* One size for every header, the largest at which each keeps 3 pt clear
  ** of its neighbours. */
  double size = QA_PLOT_TICK_PT;
  for (int c = 0; c < g->nc; c++)
    while (size > 5.5 && qa_plot_text_width(p, CRIT_NAMES[g->cols[c]], size, 1) > g->cw - 6.0)
      size -= 0.5;
  for (int c = 0; c <= g->nc; c++) {
    double cx = c < g->nc ? g->x0 + ((double)c + 0.5) * g->cw : g->tier_x + 0.5 * g->tier_w;
    const char *name = c < g->nc ? CRIT_NAMES[g->cols[c]] : "Tier";
    qa_plot_text(p, name, cx, g->y0 - 14.0, size, 1, 0.5, 1.0, INK);
    if (c < g->nc) criterion_rule(s, g->cols[c], rule, sizeof rule);
    else snprintf(rule, sizeof rule, "all signals");
    qa_plot_text(p, rule, cx, g->y0 - 4.0, QA_PLOT_NOTE_PT, 0, 0.5, 1.0, GREY);
  }
}

static void agreement_row(qa_plot *p, const qa_study *s, const qa_variant_result *r,
                          const qa_variant_result *b, const ag_layout *g, double y) {
  static const qa_rgb white = {1, 1, 1}, none = {0.93, 0.93, 0.93};
  const qa_rgb safe = qa_plot_mix(QA_OKABE_ITO[3], white, 0.25),
               bad = qa_plot_mix(QA_OKABE_ITO[6], white, 0.05);
  char buf[64], text[96];
  for (int c = 0; c <= g->nc; c++) {
    int ok = c < g->nc ? criterion(s, r, b, g->cols[c], buf, sizeof buf) : 2;
    qa_rgb fill = ok == 2 ? qa_plot_tier_color(r->tier, n_tiers(s)) : ok == 1 ? safe
                  : ok == 0 ? bad : none;
    double cx = c < g->nc ? g->x0 + (double)c * g->cw : g->tier_x;
    double w = c < g->nc ? g->cw : g->tier_w;
    cairo_rectangle(p->cr, cx + 0.6, y + 0.6, w - 1.2, AG_ROW - 1.2);
    qa_plot_color(p, fill, 1.0);
    cairo_fill(p->cr);
    if (ok == 2) qa_plot_fmt(text, sizeof text, "%s", qa_analysis_tier_name(s->cfg, r->tier));
    else if (ok < 0) snprintf(text, sizeof text, "\xE2\x80\x93");
    else snprintf(text, sizeof text, "%s %s", ok ? "\xE2\x9C\x93" : "\xE2\x9C\x97", buf);
    cell_text(p, text, cx + 0.5 * w, y + 0.5 * AG_ROW, w, ok == 0, qa_plot_ink_on(fill));
  }
}

/* At most this many variant rows in the grid (about a page); a larger
** study shows the variants in the worst tiers. */
#define MAX_AG_ROWS 40

/* Marks in shown[] (one flag per variant, models one after another) the
** rows to draw: every non-baseline variant, or the MAX_AG_ROWS in the
** worst tiers (ties: configuration order).  Returns the number of rows
** there are; says in note when some are left out. */
static size_t agreement_rows(const qa_figure_src *src, char *shown, char *note, size_t note_cap) {
  const qa_study *s = src->study;
  size_t nr = 0, k = 0, worst = 0;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++, k++) {
      shown[k] = !s->models[m].variants[v].is_baseline;
      nr += shown[k];
      if (shown[k] && src->analysis->models[m][v].tier > worst)
        worst = src->analysis->models[m][v].tier;
    }
  if (nr <= MAX_AG_ROWS) return nr;
  size_t left = MAX_AG_ROWS;
  /* From the worst tier down, take rows in configuration order. */
  char *keep = calloc(k + 1, 1);
  if (!keep) return nr;
  for (size_t t = worst + 1; t-- > 0 && left;) {
    k = 0;
    for (size_t m = 0; m < s->n_models; m++)
      for (size_t v = 0; v < s->models[m].n_variants; v++, k++)
        if (shown[k] && left && src->analysis->models[m][v].tier == t) { keep[k] = 1; left--; }
  }
  memcpy(shown, keep, k);
  free(keep);
  qa_plot_fmt(note, note_cap, "With %zu variants, the %d in the worst tiers are shown (ties in "
              "configuration order); the tables list every variant.", nr, MAX_AG_ROWS);
  return nr;
}

/* The criteria (columns) that some non-baseline variant has data for, in
** CRIT_NAMES order; returns how many. */
static int agreement_columns(const qa_figure_src *src, int *cols) {
  const qa_study *s = src->study;
  char buf[64];
  int nc = 0;
  for (int k = 0; k < N_CRIT; k++) {
    int any = 0;
    for (size_t m = 0; m < s->n_models; m++)
      for (size_t v = 0; v < s->models[m].n_variants; v++)
        any |= !s->models[m].variants[v].is_baseline &&
               criterion(s, &src->analysis->models[m][v],
                         &src->analysis->models[m][s->models[m].baseline], k, buf,
                         sizeof buf) >= 0;
    if (any) cols[nc++] = k;
  }
  return nc;
}

size_t qa_figure_agreement_columns(const qa_figure_src *src, const char **names, size_t cap) {
  int cols[N_CRIT];
  size_t nc = (size_t)agreement_columns(src, cols);
  for (size_t c = 0; c < nc && c < cap; c++) names[c] = CRIT_NAMES[cols[c]];
  return nc;
}

int qa_figure_agreement(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                        qa_error *err) {
  const qa_study *s = src->study;
  size_t nr = 0, n_lines = 0, n_all = 0;
  int grouped = s->n_models > 1;
  char fit[256];
  ag_layout g = {0};
  for (size_t m = 0; m < s->n_models; m++) n_all += s->models[m].n_variants;
  char *shown = calloc(n_all + 1, 1);
  if (!shown) return qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  nr = agreement_rows(src, shown, why, why_cap);
  for (size_t m = 0, k = 0; m < s->n_models; m++) {
    size_t here = 0;
    for (size_t v = 0; v < s->models[m].n_variants; v++) here += shown[k++];
    n_lines += here + (grouped && here);   /* a model's name heads its rows */
  }
  g.nc = agreement_columns(src, g.cols);
  for (int c = 0; c < g.nc; c++)
    if (g.cols[c] == 3) {      /* say what the output column is, before any row note */
      char rows_note[320];
      qa_plot_fmt(rows_note, sizeof rows_note, "%s", why);
      qa_plot_fmt(why, why_cap, "Output accuracy is the change of the accuracy of the labelled "
                  "predictions from the baseline's.%s%s", rows_note[0] ? " " : "", rows_note);
    }
  if (!nr || g.nc < 2) {
    free(shown);
    qa_plot_fmt(why, why_cap, "%s", !nr ? "The study has no variant besides its baselines, so "
             "there is nothing to judge." : "Fewer than two metrics exist for the variants, "
             "so there is no agreement to show.");
    return 1;
  }
  /* Header, rows, one legend row and the note. */
  double height = 32.0 + (double)n_lines * AG_ROW + 8.0 + 1.55 * (QA_PLOT_TICK_PT + 0.3) + 16.0;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, fmax(1.2, height / 72.0), err)) {
    free(shown);
    return -1;
  }
  /* Names take at most a quarter of the width; longer ones are shortened. */
  double label_w = 0, label_max = 0.25 * p.width;
  for (size_t m = 0, k = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      if (shown[k++])
        label_w = fmax(label_w, qa_plot_text_width(&p, s->models[m].variants[v].name,
                                                   QA_PLOT_LABEL_PT, 0) + (grouped ? 8.0 : 0.0));
  label_w = fmin(label_w, label_max);
  g.tier_w = 72.0;
  g.cw = fmin(84.0, (p.width - 10.0 - label_w - 8.0 - g.tier_w - 8.0 - 8.0) / (double)g.nc);
  double block = label_w + 8.0 + (double)g.nc * g.cw + 8.0 + g.tier_w;
  g.x0 = fmax(10.0, 0.5 * (p.width - block)) + label_w + 8.0;
  g.y0 = 32.0;
  g.tier_x = g.x0 + (double)g.nc * g.cw + 8.0;
  agreement_header(&p, s, &g);
  double y = g.y0;
  for (size_t m = 0, k = 0; m < s->n_models; m++) {
    int first = 1;
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      if (!shown[k++]) continue;
      if (grouped && first) {
        /* The model's name may run over the cells' side: its row is empty. */
        qa_plot_text(&p, qa_plot_fit(&p, s->models[m].name, QA_PLOT_LABEL_PT, 1,
                                     p.width - 20.0, fit, sizeof fit),
                     g.x0 - label_w - 8.0, y + 0.5 * AG_ROW, QA_PLOT_LABEL_PT, 1, 0.0, 0.5, INK);
        y += AG_ROW;
      }
      first = 0;
      qa_plot_text(&p, qa_plot_fit(&p, s->models[m].variants[v].name, QA_PLOT_LABEL_PT, 0,
                                   label_w - (grouped ? 8.0 : 0.0), fit, sizeof fit),
                   g.x0 - 6.0, y + 0.5 * AG_ROW, QA_PLOT_LABEL_PT, 0, 1.0, 0.5, INK);
      agreement_row(&p, s, &src->analysis->models[m][v],
                    &src->analysis->models[m][s->models[m].baseline], &g, y);
      y += AG_ROW;
    }
  }
  static const qa_rgb white = {1, 1, 1};
  qa_plot_key keys[3] = {
    {"\xE2\x9C\x93 safe: criterion met", qa_plot_mix(QA_OKABE_ITO[3], white, 0.25),
     QA_KEY_SWATCH, 0, 0},
    {"\xE2\x9C\x97 damaged: criterion not met", qa_plot_mix(QA_OKABE_ITO[6], white, 0.05),
     QA_KEY_SWATCH, 0, 0},
    {"\xE2\x80\x93 no data", {0.93, 0.93, 0.93}, QA_KEY_SWATCH, 0, 0}};
  double lw, lh, ly = y + 8.0;
  qa_plot_legend_size(&p, keys, 3, NULL, 0, p.width - g.x0, &lw, &lh);
  qa_plot_legend(&p, keys, 3, NULL, 0, p.width - g.x0, g.x0, ly);
  size_t nt = n_tiers(s);
  char note[256];
  char tn[QA_PLOT_NAME_BYTES + 4];
  qa_plot_fmt(note, sizeof note, "Drop limits are those of the last recommended tier (%s).",
              QA_FIG_SHORT(nt > 1 ? s->cfg->tiers[1].name : nt ? s->cfg->tiers[0].name : "none",
                           tn));
  qa_plot_text(&p, note, g.x0, ly + lh + 1.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  free(shown);
  return rc;
}

/*
** Figure 13, the reliability diagram of a model (STATISTICS.md
** "outputs.calibration"): for each variant, the accuracy of the samples in
** each confidence bin against their mean confidence, one line per variant
** over the diagonal of perfect calibration, markers sized by the bin's
** samples, and below it a strip of bars with each variant's samples in
** each bin on a log scale, so that a bin of three samples does not read
** like one of three thousand.
**
** It draws the bins src/analysis/outputs.c computed
** (a->models[m][v].out.calib), never a number of its own beyond where a
** point goes.  A model without logits and labels gets one sentence in
** "Figures not drawn" instead.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "figures/figures.h"

static const qa_rgb GREY = {0.45, 0.45, 0.45};

#define MAX_LINES 12         /* variants drawn: colour x marker stay distinct */
#define PLOT_PT 246.0        /* side of the square diagram, points */
#define STRIP_PT 54.0        /* height of the bar strip */
#define STRIP_GAP 8.0        /* between the diagram and the strip */

static const qa_outputs_calibration *calib_of(const qa_figure_src *src, size_t v) {
  const qa_outputs_calibration *c = &src->analysis->models[src->model][v].out.calib;
  return c->present && c->n_bins && c->n ? c : NULL;
}

/* The diagonal acc = conf. */
static void diagonal(qa_plot *p, const qa_plot_axis *x, const qa_plot_axis *y) {
  const double dash[2] = {3.0, 2.0};
  cairo_save(p->cr);
  cairo_set_dash(p->cr, dash, 2, 0);
  cairo_move_to(p->cr, qa_plot_map(&x->s, 0.0), qa_plot_map(&y->s, 0.0));
  cairo_line_to(p->cr, qa_plot_map(&x->s, 1.0), qa_plot_map(&y->s, 1.0));
  qa_plot_color(p, GREY, 1.0);
  cairo_set_line_width(p->cr, 0.9);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
}

/* Marker diameter of a bin of n samples when the largest bin drawn has
** n_max: its area grows with n, from 2.4 pt (a single sample) to 7 pt. */
static double marker_size(size_t n, size_t n_max) {
  return 2.4 + 4.6 * sqrt((double)n / (double)n_max);
}

/* One variant's line through its non-empty bins (broken at empty ones),
** with its marker at each bin. */
static void reliability_line(qa_plot *p, const qa_outputs_calibration *c, const qa_plot_axis *x,
                             const qa_plot_axis *y, qa_rgb color, int marker, size_t n_max) {
  cairo_t *cr = p->cr;
  int open = 0;
  for (size_t k = 0; k < c->n_bins; k++) {
    const qa_outputs_bin *b = &c->bins[k];
    if (!b->n || !isfinite(b->accuracy) || !isfinite(b->confidence)) { open = 0; continue; }
    double px = qa_plot_map(&x->s, b->confidence), py = qa_plot_map(&y->s, b->accuracy);
    if (open) cairo_line_to(cr, px, py);
    else cairo_move_to(cr, px, py);
    open = 1;
  }
  qa_plot_color(p, color, 0.9);
  cairo_set_line_width(cr, 1.1);
  cairo_stroke(cr);
  for (size_t k = 0; k < c->n_bins; k++) {
    const qa_outputs_bin *b = &c->bins[k];
    if (!b->n || !isfinite(b->accuracy) || !isfinite(b->confidence)) continue;
    qa_plot_marker(p, marker, qa_plot_map(&x->s, b->confidence), qa_plot_map(&y->s, b->accuracy),
                   marker_size(b->n, n_max), color);
  }
}

/* The bars of the strip: in each bin, one bar a variant, side by side,
** from the bottom of the log axis (below 1 sample) up to the bin's count. */
static void share_bars(qa_plot *p, const qa_figure_src *src, const size_t *vars, size_t n,
                       const qa_plot_axis *x, const qa_plot_axis *s) {
  size_t n_bins = calib_of(src, vars[0])->n_bins;
  for (size_t i = 0; i < n; i++) {
    const qa_outputs_calibration *c = calib_of(src, vars[i]);
    qa_plot_color(p, qa_plot_variant_color(vars[i]), 0.9);
    for (size_t k = 0; k < n_bins && k < c->n_bins; k++) {
      if (!c->bins[k].n) continue;
      double x0 = qa_plot_map(&x->s, c->bins[k].lo), x1 = qa_plot_map(&x->s, c->bins[k].hi);
      double w = (x1 - x0) * 0.84 / (double)n, left = x0 + (x1 - x0) * 0.08 + (double)i * w;
      double top = qa_plot_map(&s->s, (double)c->bins[k].n);
      double base = qa_plot_map(&s->s, s->s.d0);
      cairo_rectangle(p->cr, left, top, fmax(w - 0.3, 0.4), base - top);
    }
    cairo_fill(p->cr);
  }
}

int qa_figure_calib(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                    qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  size_t vars[MAX_LINES], n = 0, n_all = 0;
  char nm[QA_PLOT_NAME_BYTES + 4];
  size_t n_max = 1;
  for (size_t v = 0; v < model->n_variants; v++) {
    const qa_outputs_calibration *c = calib_of(src, v);
    if (!c) continue;
    n_all++;
    if (n == MAX_LINES) continue;
    vars[n++] = v;
    for (size_t k = 0; k < c->n_bins; k++) n_max = c->bins[k].n > n_max ? c->bins[k].n : n_max;
  }
  if (!n) {
    qa_plot_fmt(why, why_cap, "%s has no variant with both output logits (/outputs/logits) "
                "and labels (/samples/label), so there is no calibration to show.",
                QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  qa_plot_axis x, y, s;
  if (qa_plot_axis_init(&x, 0.0, 1.0, 0, 6, 1, 0, 1) ||
      qa_plot_axis_init(&y, 0.0, 1.0, 0, 6, 1, 1, 0) ||
      qa_plot_axis_init(&s, 0.5, fmax((double)n_max, 2.0), 1, 6, 0, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  x.title = "Confidence: the largest softmax probability";
  y.title = "Accuracy of the samples in the bin";
  s.title = "Samples";
  char labels[MAX_LINES + 1][200];
  qa_plot_key keys[MAX_LINES + 1];
  for (size_t i = 0; i < n; i++) {
    const qa_outputs_calibration *c = calib_of(src, vars[i]);
    qa_plot_fmt(labels[i], sizeof labels[i], "%s (ECE %.4f)", model->variants[vars[i]].name,
                c->ece);
    keys[i] = (qa_plot_key){labels[i], qa_plot_variant_color(vars[i]), QA_KEY_LINE_MARKER,
                            qa_plot_variant_marker(vars[i]), 0};
  }
  keys[n] = (qa_plot_key){"perfect calibration", GREY, QA_KEY_DASHED, 0, 0};
  double height = 10.0 + PLOT_PT + STRIP_GAP + STRIP_PT + 34.0 + 8.0;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, height / 72.0, err)) return -1;
  double lab_w = fmax(qa_plot_axis_label_width(&p, &y), qa_plot_axis_label_width(&p, &s));
  double left = 10.0 + QA_PLOT_LABEL_PT + 8.0 + lab_w;
  qa_plot_area a = {left, 10.0, left + PLOT_PT, 10.0 + PLOT_PT};
  qa_plot_area strip = {a.x0, a.y1 + STRIP_GAP, a.x1, a.y1 + STRIP_GAP + STRIP_PT};
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axis_place(&y, a.y1, a.y0);
  qa_plot_axis_place(&s, strip.y1, strip.y0);
  qa_plot_axes(&p, &a, &x, &y, QA_AXES_GRID_X | QA_AXES_GRID_Y | QA_AXES_NO_X_LABELS);
  qa_plot_axes(&p, &strip, &x, &s, QA_AXES_GRID_Y);
  diagonal(&p, &x, &y);
  cairo_save(p.cr);
  cairo_rectangle(p.cr, a.x0 - 4, a.y0 - 4, a.x1 - a.x0 + 8, a.y1 - a.y0 + 8);
  cairo_clip(p.cr);
  for (size_t i = 0; i < n; i++)
    reliability_line(&p, calib_of(src, vars[i]), &x, &y, qa_plot_variant_color(vars[i]),
                     qa_plot_variant_marker(vars[i]), n_max);
  cairo_restore(p.cr);
  share_bars(&p, src, vars, n, &x, &s);
  /* The legend and what the bars are, to the right of the diagram. */
  double key_x = a.x1 + 18.0, key_w = p.width - 10.0 - key_x, lw, lh;
  qa_plot_legend_size(&p, keys, n + 1, NULL, 1, key_w, &lw, &lh);
  qa_plot_legend(&p, keys, n + 1, NULL, 1, key_w, key_x, a.y0 + 4.0);
  char note[160], fit[200];
  size_t bins = calib_of(src, vars[0])->n_bins;
  qa_plot_fmt(note, sizeof note, "%zu bins of width 1/%zu; a marker's", bins, bins);
  const char *const lines[4] = {note, "area grows with its bin's samples",
                                "Bars: each variant's samples in", "the bin (log scale)"};
  const double at[4] = {a.y0 + 4.0 + lh + 8.0, a.y0 + 4.0 + lh + 18.0,
                        strip.y0 + 0.5 * STRIP_PT - 5.0, strip.y0 + 0.5 * STRIP_PT + 5.0};
  for (int i = 0; i < 4; i++)
    qa_plot_text(&p, qa_plot_fit(&p, lines[i], QA_PLOT_NOTE_PT, 0, key_w, fit, sizeof fit), key_x,
                 at[i], QA_PLOT_NOTE_PT, 0, 0.0, 0.5, GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  why[0] = '\0';
  if (n < n_all)
    qa_plot_fmt(why, why_cap, "Only the first %d of %zu variants are drawn; the tables list "
                "every variant.", MAX_LINES, n_all);
  return rc;
}

/*
** Damage by depth of a model (STATISTICS.md "Depth: every hidden layer"):
** one line per variant over the model's layers in order, in stacked panels
** that share the layer axis: the cosine mean with the baseline, linear CKA,
** and (with labels) the accuracy of the baseline's probe applied to the
** variant's states, over a dashed line of the baseline's probe on its own
** states.  A ring marks, on each variant's probe line, each layer where
** the baseline's probe starts to lose more than the first tier's
** max_drop_pp: where heads trained on the baseline stop working.
**
** It draws a->depth[m] as src/analysis/depth.c computed it, and nothing
** of its own beyond where a point goes.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "figures/figures.h"

static const qa_rgb INK = {0.15, 0.15, 0.15};
static const qa_rgb GREY = {0.45, 0.45, 0.45};

#define MAX_LINES 12         /* variants drawn: colour x marker stay distinct */
#define PANEL_PT 104.0       /* height of one panel */
#define PANEL_GAP 18.0       /* between panels: room for both panels' end ticks */
#define LABEL_MAX_W 70.0     /* a turned layer name is shortened to this */
#define MIN_LABEL_STEP 9.5   /* points between turned layer names, at least */

enum { P_COSINE, P_CKA, P_PROBE, N_PANELS };

static double value(const qa_depth_cell *c, int panel) {
  if (!c->present) return NAN;
  return panel == P_COSINE ? c->cosine_mean : panel == P_CKA ? c->cka_linear : c->probe.transfer;
}

/* 1 when layer k starts a stretch where the baseline's probe loses more
** than margin pp on variant v: it does at k, and did not at the layer
** before k that v has (or k is v's first). */
static int failure_starts(const qa_depth_model *d, size_t v, size_t k, double margin) {
  const qa_depth_cell *c = qa_depth_cell_at(d, v, k);
  if (!c->present || !(c->probe.transfer_delta_pp < -margin)) return 0;
  for (size_t j = k; j-- > 0;) {
    const qa_depth_cell *b = qa_depth_cell_at(d, v, j);
    if (b->present) return !(b->probe.transfer_delta_pp < -margin);
  }
  return 1;
}

/* One variant's line through the layers it has (broken where it lacks one),
** with its marker at each. */
static void variant_line(qa_plot *p, const qa_depth_model *d, size_t v, int panel,
                         const qa_plot_scale *xs, const qa_plot_axis *y, qa_rgb col, int marker,
                         int dashed, int base_native) {
  cairo_t *cr = p->cr;
  int open = 0;
  for (size_t k = 0; k < d->n_layers; k++) {
    const qa_depth_cell *c = qa_depth_cell_at(d, v, k);
    double val = base_native ? (c->present ? c->probe.native : NAN) : value(c, panel);
    if (!isfinite(val)) { open = 0; continue; }
    double px = qa_plot_map(xs, (double)k), py = qa_plot_map(&y->s, val);
    if (open) cairo_line_to(cr, px, py);
    else cairo_move_to(cr, px, py);
    open = 1;
  }
  cairo_save(cr);
  if (dashed) {
    const double dash[2] = {3.0, 2.0};
    cairo_set_dash(cr, dash, 2, 0);
  }
  qa_plot_color(p, col, 0.9);
  cairo_set_line_width(cr, dashed ? 1.0 : 1.2);
  cairo_stroke(cr);
  cairo_restore(cr);
  if (dashed) return;
  double size = d->n_layers > 40 ? 2.5 : 4.5;
  for (size_t k = 0; k < d->n_layers; k++) {
    double val = value(qa_depth_cell_at(d, v, k), panel);
    if (isfinite(val))
      qa_plot_marker(p, marker, qa_plot_map(xs, (double)k), qa_plot_map(&y->s, val), size, col);
  }
}

/* The data range of a panel over the variants drawn (and the baseline's
** own probe accuracy in the probe panel). */
static int panel_range(const qa_depth_model *d, const size_t *vars, size_t n, size_t base,
                       int panel, double *lo, double *hi) {
  *lo = INFINITY;
  *hi = -INFINITY;
  for (size_t k = 0; k < d->n_layers; k++) {
    for (size_t i = 0; i < n; i++) {
      double val = value(qa_depth_cell_at(d, vars[i], k), panel);
      if (isfinite(val)) { *lo = fmin(*lo, val); *hi = fmax(*hi, val); }
    }
    const qa_depth_cell *b = qa_depth_cell_at(d, base, k);
    double own = panel == P_PROBE ? b->probe.native : value(b, panel);
    if (isfinite(own)) { *lo = fmin(*lo, own); *hi = fmax(*hi, own); }
  }
  return isfinite(*lo) ? 0 : -1;
}

/* Layer names under the bottom panel: level when every one fits its slot,
** else turned and, when even that crowds, every k-th. */
static double layer_labels(qa_plot *p, const qa_depth_model *d, const qa_plot_scale *xs,
                           double y0, int draw) {
  double slot = fabs(qa_plot_map(xs, 1.0) - qa_plot_map(xs, 0.0)), widest = 0;
  char fit[256];
  for (size_t k = 0; k < d->n_layers; k++)
    widest = fmax(widest, qa_plot_text_width(p, d->layers[k], QA_PLOT_TICK_PT, 0));
  if (widest <= slot - 4.0) {
    for (size_t k = 0; draw && k < d->n_layers; k++)
      qa_plot_text(p, d->layers[k], qa_plot_map(xs, (double)k), y0 + 4.0, QA_PLOT_TICK_PT, 0,
                   0.5, 0.0, INK);
    return QA_PLOT_TICK_PT + 6.0;
  }
  size_t every = slot >= MIN_LABEL_STEP ? 1 : (size_t)ceil(MIN_LABEL_STEP / slot);
  double tall = 0;
  for (size_t k = 0; k < d->n_layers; k++) {
    if (k % every && k + 1 != d->n_layers) continue;
    if (k + 1 == d->n_layers && k % every && (double)(k % every) * slot < MIN_LABEL_STEP)
      continue;                            /* the last would crowd its neighbour */
    const char *s = qa_plot_fit(p, d->layers[k], QA_PLOT_TICK_PT, 0, LABEL_MAX_W, fit, sizeof fit);
    tall = fmax(tall, qa_plot_text_width(p, s, QA_PLOT_TICK_PT, 0));
    if (draw)
      qa_plot_text_rotated(p, s, qa_plot_map(xs, (double)k), y0 + 4.0, QA_PLOT_TICK_PT, 0,
                           1.0, 0.5, -M_PI / 2, INK);
  }
  return tall + 8.0;
}

int qa_figure_depth(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                    qa_error *err) {
  const qa_study *s = src->study;
  const qa_model *model = &s->models[src->model];
  const qa_depth_model *d = src->analysis->depth ? &src->analysis->depth[src->model] : NULL;
  char nm[QA_PLOT_NAME_BYTES + 4];
  int any = 0;
  for (size_t m = 0; src->analysis->depth && m < s->n_models; m++)
    any |= src->analysis->depth[m].present;
  if (!any) return QA_FIG_NOT_APPLICABLE;
  if (!d || !d->present) {
    qa_plot_fmt(why, why_cap, "%s has no hidden layers (/hidden/<layer>), so there is no "
                "damage by depth to show.", QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  if (d->n_layers < 2) {
    char ly[QA_PLOT_NAME_BYTES + 4];
    qa_plot_fmt(why, why_cap, "%s's baseline has one hidden layer (%s); damage by depth needs "
                "two or more.", QA_FIG_SHORT(model->name, nm), QA_FIG_SHORT(d->layers[0], ly));
    return 1;
  }
  size_t vars[MAX_LINES], n = 0, n_all = 0;
  for (size_t v = 0; v < model->n_variants; v++) {
    size_t have = 0;
    for (size_t k = 0; k < d->n_layers; k++) have += qa_depth_cell_at(d, v, k)->present;
    if (v == model->baseline || !have) continue;
    n_all++;
    if (n < MAX_LINES) vars[n++] = v;
  }
  if (!n) {
    qa_plot_fmt(why, why_cap, "%s has no variant besides its baseline with hidden layers, so "
                "there is no damage by depth to show.", QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  int n_panels = d->has_probes ? N_PANELS : 2;
  static const char *const titles[N_PANELS] = {"Cosine mean", "Linear CKA",
                                               "Baseline's probe (acc.)"};
  qa_plot_axis y[N_PANELS];
  for (int k = 0; k < n_panels; k++) {
    double lo, hi;
    if (panel_range(d, vars, n, model->baseline, k, &lo, &hi) || hi - lo < 1e-9) {
      lo = isfinite(lo) ? lo - 0.005 : 0.0;
      hi = isfinite(hi) ? hi + 0.005 : 1.0;
    }
    if (qa_plot_axis_init(&y[k], lo, hi, 0, 4, 1, 1, 0))
      return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
    y[k].title = titles[k];
  }
  /* Keys: the variants, the baseline's own probe, what a ring means. */
  char labels[MAX_LINES + 1][200], ring[200];
  qa_plot_key keys[MAX_LINES + 2];
  size_t nk = 0;
  for (size_t i = 0; i < n; i++) {
    qa_plot_fmt(labels[i], sizeof labels[i], "%s", model->variants[vars[i]].name);
    keys[nk++] = (qa_plot_key){labels[i], qa_plot_variant_color(vars[i]), QA_KEY_LINE_MARKER,
                               qa_plot_variant_marker(vars[i]), 0};
  }
  double margin = s->cfg->n_tiers ? s->cfg->tiers[0].max_drop_pp : 0.0;
  if (d->has_probes) {
    qa_plot_fmt(labels[n], sizeof labels[n], "%s's probe on its own states",
                model->variants[model->baseline].name);
    keys[nk++] = (qa_plot_key){labels[n], GREY, QA_KEY_DASHED, 0, 0};
  }
  qa_plot_fmt(ring, sizeof ring, "ring: where the baseline's probe starts to lose more than %g pp "
              "of its own accuracy", margin);
  /* Measure: the legend and the turned labels set the canvas height. */
  qa_plot p;
  double key_w = QA_PLOT_WIDTH_IN * 72.0 - 40.0, lw, lh;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, 1.0, err)) return -1;
  qa_plot_legend_size(&p, keys, nk, NULL, 4, key_w, &lw, &lh);
  double lab_w = 0;
  for (int k = 0; k < n_panels; k++) lab_w = fmax(lab_w, qa_plot_axis_label_width(&p, &y[k]));
  double left = 10.0 + QA_PLOT_LABEL_PT + 8.0 + lab_w, right = p.width - 14.0;
  qa_plot_scale xs = qa_plot_scale_linear(-0.5, (double)d->n_layers - 0.5, left, right);
  double under = layer_labels(&p, d, &xs, 0, 0);
  qa_plot_end(&p);
  double panels_h = n_panels * PANEL_PT + (n_panels - 1) * PANEL_GAP;
  double height = 10.0 + panels_h + under + 14.0 + lh + (d->has_probes ? 14.0 : 0.0) + 8.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, height / 72.0, err)) return -1;
  double top = 10.0;
  for (int k = 0; k < n_panels; k++) {
    qa_plot_area a = {left, top, right, top + PANEL_PT};
    qa_plot_axis x;
    qa_plot_axis_init(&x, -0.5, (double)d->n_layers - 0.5, 0, 3, 0, a.x0, a.x1);
    qa_plot_axis_place(&y[k], a.y1, a.y0);
    qa_plot_axes(&p, &a, &x, &y[k], QA_AXES_GRID_Y | QA_AXES_NO_X | QA_AXES_BOX);
    /* A faint rule at every layer. */
    cairo_save(p.cr);
    qa_plot_color(&p, GREY, 0.18);
    cairo_set_line_width(p.cr, 0.5);
    for (size_t j = 0; j < d->n_layers && d->n_layers <= 64; j++) {
      cairo_move_to(p.cr, qa_plot_map(&xs, (double)j), a.y0);
      cairo_line_to(p.cr, qa_plot_map(&xs, (double)j), a.y1);
    }
    cairo_stroke(p.cr);
    cairo_restore(p.cr);
    cairo_save(p.cr);
    cairo_rectangle(p.cr, a.x0, a.y0 - 4, a.x1 - a.x0, a.y1 - a.y0 + 8);
    cairo_clip(p.cr);
    if (k == P_PROBE)
      variant_line(&p, d, model->baseline, k, &xs, &y[k], GREY, 0, 1, 1);
    for (size_t i = 0; i < n; i++)
      variant_line(&p, d, vars[i], k, &xs, &y[k], qa_plot_variant_color(vars[i]),
                   qa_plot_variant_marker(vars[i]), 0, 0);
    if (k == P_PROBE)
      for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < d->n_layers; f++) {
          if (!failure_starts(d, vars[i], f, margin)) continue;
          double px = qa_plot_map(&xs, (double)f);
          double py = qa_plot_map(&y[k].s, qa_depth_cell_at(d, vars[i], f)->probe.transfer);
          cairo_new_sub_path(p.cr);
          cairo_arc(p.cr, px, py, 6.0, 0, 2 * M_PI);
          qa_plot_color(&p, INK, 1.0);
          cairo_set_line_width(p.cr, 1.1);
          cairo_stroke(p.cr);
        }
    cairo_restore(p.cr);
    top = a.y1 + PANEL_GAP;
  }
  double axis_y = top - PANEL_GAP;
  layer_labels(&p, d, &xs, axis_y, 1);
  double key_y = axis_y + under + 10.0;
  qa_plot_legend(&p, keys, nk, NULL, 4, key_w, 0.5 * (p.width - lw), key_y);
  if (d->has_probes) {
    char fit[240];
    qa_plot_text(&p, qa_plot_fit(&p, ring, QA_PLOT_NOTE_PT, 0, key_w, fit, sizeof fit),
                 0.5 * p.width, key_y + lh + 6.0, QA_PLOT_NOTE_PT, 0, 0.5, 0.0, GREY);
  }
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  why[0] = '\0';
  if (n < n_all)
    qa_plot_fmt(why, why_cap, "Only the first %d of %zu variants are drawn; the table lists "
                "every variant.", MAX_LINES, n_all);
  return rc;
}

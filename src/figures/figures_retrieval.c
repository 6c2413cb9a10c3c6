/*
** Figure 14, retrieval of a model (STATISTICS.md "representation.overlap_at"):
** the neighbour overlap of each variant with its baseline at every
** configured k (1, 5, 10, 50 by default), on a log axis of k: the share of
** each sample's k nearest baseline neighbours that are still among its k
** nearest in the variant.  A curve that rises with k means the variant
** keeps the neighbourhood but reorders it; a curve low at every k means the
** neighbourhoods themselves moved.
**
** It draws a->models[m][v].repr.overlap_at as src/analysis computed it.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "figures/figures.h"

#define MAX_LINES 12

static const qa_repr_result *repr_of(const qa_figure_src *src, size_t v) {
  const qa_repr_result *r = &src->analysis->models[src->model][v].repr;
  return r->present && r->n_overlap ? r : NULL;
}

int qa_figure_overlap(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                      qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  size_t vars[MAX_LINES], n = 0, n_all = 0;
  char nm[QA_PLOT_NAME_BYTES + 4];
  double kmin = INFINITY, kmax = 0, omin = 1.0;
  for (size_t v = 0; v < model->n_variants; v++) {
    const qa_repr_result *r = repr_of(src, v);
    if (v == model->baseline || !r) continue;
    n_all++;
    if (n == MAX_LINES) continue;
    vars[n++] = v;
    for (size_t j = 0; j < r->n_overlap; j++) {
      kmin = fmin(kmin, r->overlap_k[j]);
      kmax = fmax(kmax, r->overlap_k[j]);
      omin = fmin(omin, r->overlap_at[j]);
    }
  }
  if (!n) {
    qa_plot_fmt(why, why_cap, "%s has no variant besides its baseline with neighbour lists "
                "(hidden states at the configured layer and knn_k below N), so there is no "
                "neighbour overlap to show.", QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  if (kmax <= kmin) kmax = kmin * 2.0;   /* one k: an axis around it */
  qa_plot_axis x, y;
  double ylo = omin > 0.5 ? 0.5 : 0.0;
  if (qa_plot_axis_init(&x, kmin / 1.3, kmax * 1.3, 1, 6, 0, 0, 1) ||
      qa_plot_axis_init(&y, ylo, 1.0, 0, 6, 1, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  /* Ticks at the configured k themselves. */
  const qa_repr_result *r0 = repr_of(src, vars[0]);
  x.n_ticks = 0;
  for (size_t j = 0; j < r0->n_overlap && x.n_ticks < QA_PLOT_MAX_TICKS; j++)
    x.ticks[x.n_ticks++] = r0->overlap_k[j];
  x.sci = 0;
  x.title = "k, the number of nearest neighbours compared (log scale)";
  y.title = "Neighbour overlap with the baseline";
  char labels[MAX_LINES][160];
  qa_plot_key keys[MAX_LINES];
  for (size_t i = 0; i < n; i++) {
    const qa_repr_result *r = repr_of(src, vars[i]);
    qa_plot_fmt(labels[i], sizeof labels[i], "%s (%.3f at k = %d)", model->variants[vars[i]].name,
                r->overlap_at[r->n_overlap - 1], r->overlap_k[r->n_overlap - 1]);
    keys[i] = (qa_plot_key){labels[i], qa_plot_variant_color(vars[i]), QA_KEY_LINE_MARKER,
                            qa_plot_variant_marker(vars[i]), 0};
  }
  double plot_h = 190.0, key_w = QA_PLOT_WIDTH_IN * 72.0 - 40.0, lw, lh;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, 1.0, err)) return -1;
  qa_plot_legend_size(&p, keys, n, NULL, 3, key_w, &lw, &lh);
  qa_plot_end(&p);
  double height = 10.0 + plot_h + 40.0 + lh + 10.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, height / 72.0, err)) return -1;
  double left = 10.0 + QA_PLOT_LABEL_PT + 8.0 + qa_plot_axis_label_width(&p, &y);
  qa_plot_area a = {left, 10.0, p.width - 16.0, 10.0 + plot_h};
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axis_place(&y, a.y1, a.y0);
  qa_plot_axes(&p, &a, &x, &y, QA_AXES_GRID_X | QA_AXES_GRID_Y);
  for (size_t i = 0; i < n; i++) {
    const qa_repr_result *r = repr_of(src, vars[i]);
    qa_rgb col = qa_plot_variant_color(vars[i]);
    for (size_t j = 0; j < r->n_overlap; j++) {
      double px = qa_plot_map(&x.s, r->overlap_k[j]), py = qa_plot_map(&y.s, r->overlap_at[j]);
      if (j) cairo_line_to(p.cr, px, py);
      else cairo_move_to(p.cr, px, py);
    }
    qa_plot_color(&p, col, 0.9);
    cairo_set_line_width(p.cr, 1.2);
    cairo_stroke(p.cr);
    for (size_t j = 0; j < r->n_overlap; j++)
      qa_plot_marker(&p, qa_plot_variant_marker(vars[i]), qa_plot_map(&x.s, r->overlap_k[j]),
                     qa_plot_map(&y.s, r->overlap_at[j]), 5.0, col);
  }
  qa_plot_legend(&p, keys, n, NULL, 3, key_w, 0.5 * (p.width - lw), a.y1 + 34.0);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  why[0] = '\0';
  if (n < n_all)
    qa_plot_fmt(why, why_cap, "Only the first %d of %zu variants are drawn; the tables list "
                "every variant.", MAX_LINES, n_all);
  return rc;
}

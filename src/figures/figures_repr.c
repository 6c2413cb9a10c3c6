/*
** Figures of the representation, one per model: the per-class heat map
** (figure 2), the PCA projection of every variant on the baseline's axes
** (figure 3) and the multi-metric radar (figure 5).
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"

#define MINUS "\xE2\x88\x92"

static const qa_rgb INK = {0.15, 0.15, 0.15}, GREY = {0.5, 0.5, 0.5};

/* "+1.2" / "−3.4" with a true minus; "0.0" for a zero. */
static void fmt_signed(double v, int dec, char *buf, size_t cap) {
  double r = fabs(v) < 0.5 * pow(10.0, -dec) ? 0.0 : v;
  snprintf(buf, cap, "%s%.*f", r < 0 ? MINUS : r > 0 ? "+" : "", dec, fabs(r));
}

/* ---- figure 2: per-class heat map --------------------------------------- */

#define MAX_CLASS_ROWS 30

typedef struct heat {
  size_t n_cols, n_rows;
  double cell_h;              /* points; taller when there are few classes */
  size_t cols[64];            /* variant indices */
  size_t rows[MAX_CLASS_ROWS];/* class indices into per_class */
  int knn;                    /* 1: kNN delta pp; 0: cosine mean */
  size_t n_classes_shown_of;  /* classes with samples */
} heat;

static double heat_value(const heat *h, const qa_variant_result *res, size_t col, size_t row) {
  const qa_class_result *c = &res[h->cols[col]].repr.per_class[h->rows[row]];
  return h->knn ? c->knn_delta_pp : c->cosine_mean;
}

/* The classes to show: all with samples, or the MAX_CLASS_ROWS whose worst
** cell is lowest (ties: the lower label kept), in label order.  One pass
** keeping the MAX_CLASS_ROWS lowest so far: O(K · MAX_CLASS_ROWS) for any
** number K of classes, none left out of the count. */
static void heat_rows(heat *h, const qa_variant_result *res, size_t n_classes) {
  double worst[MAX_CLASS_ROWS];
  size_t cand[MAX_CLASS_ROWS], nc = 0, seen = 0;
  for (size_t c = 0; c < n_classes; c++) {
    if (!res[h->cols[0]].repr.per_class[c].n) continue;
    double w = INFINITY;
    for (size_t k = 0; k < h->n_cols; k++) {
      const qa_class_result *r = &res[h->cols[k]].repr.per_class[c];
      w = fmin(w, h->knn ? r->knn_delta_pp : r->cosine_mean);
    }
    seen++;
    /* Kept sorted by (worst, label): c enters above the first worse row. */
    size_t at = nc;
    while (at > 0 && worst[at - 1] > w) at--;
    if (at == MAX_CLASS_ROWS) continue;
    size_t last = nc < MAX_CLASS_ROWS ? nc++ : MAX_CLASS_ROWS - 1;
    memmove(worst + at + 1, worst + at, (last - at) * sizeof *worst);
    memmove(cand + at + 1, cand + at, (last - at) * sizeof *cand);
    worst[at] = w;
    cand[at] = c;
  }
  h->n_classes_shown_of = seen;
  /* Back to label order. */
  for (size_t i = 1; i < nc; i++)
    for (size_t j = i; j > 0 && cand[j - 1] > cand[j]; j--) {
      size_t t = cand[j]; cand[j] = cand[j - 1]; cand[j - 1] = t;
    }
  h->n_rows = nc;
  memcpy(h->rows, cand, nc * sizeof *cand);
}

static int heat_select(const qa_figure_src *src, heat *h) {
  const qa_model *model = &src->study->models[src->model];
  const qa_variant_result *res = src->analysis->models[src->model];
  memset(h, 0, sizeof *h);
  h->knn = 1;
  size_t n_classes = 0;
  for (size_t v = 0; v < model->n_variants && h->n_cols < 64; v++) {
    const qa_repr_result *r = &res[v].repr;
    if (v == model->baseline || !r->present || !r->per_class || !r->n_classes) continue;
    if (n_classes && r->n_classes != n_classes) continue;
    n_classes = r->n_classes;
    h->cols[h->n_cols++] = v;
    for (size_t c = 0; c < r->n_classes; c++)
      if (r->per_class[c].n && isnan(r->per_class[c].knn_delta_pp)) h->knn = 0;
  }
  if (!h->n_cols) return 0;
  heat_rows(h, res, n_classes);
  return h->n_rows > 0;
}

static qa_rgb heat_color(const heat *h, const qa_plot_axis *scale, double v) {
  double t = (v - scale->s.d0) / (scale->s.d1 - scale->s.d0);
  return h->knn ? qa_plot_diverging(t) : qa_plot_viridis(t);
}

/* Cells past the threshold (a kNN drop beyond the first tier's limit, or
** a cosine below 0.99) are printed in bold. */
static void heat_cells(qa_plot *p, const heat *h, const qa_variant_result *res,
                       const qa_plot_axis *scale, double bold_below, double x0, double y0,
                       double cw) {
  char buf[32];
  for (size_t k = 0; k < h->n_cols; k++) {
    for (size_t r = 0; r < h->n_rows; r++) {
      double v = heat_value(h, res, k, r), x = x0 + (double)k * cw, y = y0 + (double)r * h->cell_h;
      qa_rgb fill = heat_color(h, scale, v);
      cairo_rectangle(p->cr, x, y, cw, h->cell_h);
      qa_plot_color(p, fill, 1.0);
      cairo_fill(p->cr);
      if (h->knn) fmt_signed(v, 1, buf, sizeof buf);
      else snprintf(buf, sizeof buf, "%.4f", v);
      int bold = v < bold_below;
      qa_plot_text(p, buf, x + 0.5 * cw, y + 0.5 * h->cell_h, QA_PLOT_TICK_PT, bold, 0.5, 0.5,
                   qa_plot_ink_on(fill));
    }
  }
  /* White rules between cells keep neighbours of equal colour apart. */
  cairo_set_line_width(p->cr, 0.8);
  qa_plot_color(p, (qa_rgb){1, 1, 1}, 1.0);
  for (size_t k = 1; k < h->n_cols; k++) {
    cairo_move_to(p->cr, x0 + (double)k * cw, y0);
    cairo_line_to(p->cr, x0 + (double)k * cw, y0 + (double)h->n_rows * h->cell_h);
  }
  for (size_t r = 1; r < h->n_rows; r++) {
    cairo_move_to(p->cr, x0, y0 + (double)r * h->cell_h);
    cairo_line_to(p->cr, x0 + (double)h->n_cols * cw, y0 + (double)r * h->cell_h);
  }
  cairo_stroke(p->cr);
}

int qa_figure_classes(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                      qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  const qa_variant_result *res = src->analysis->models[src->model];
  heat h;
  if (!heat_select(src, &h)) {
    char nm[QA_PLOT_NAME_BYTES + 4], ly[QA_PLOT_NAME_BYTES + 4];
    qa_plot_fmt(why, why_cap, "%s has no variant besides its baseline with per-class numbers "
             "(they need labels and hidden states at layer \"%s\").", QA_FIG_SHORT(model->name, nm),
             QA_FIG_SHORT(src->study->cfg->layer, ly));
    return 1;
  }
  double lo = INFINITY, hi = -INFINITY;
  for (size_t k = 0; k < h.n_cols; k++)
    for (size_t r = 0; r < h.n_rows; r++) {
      lo = fmin(lo, heat_value(&h, res, k, r));
      hi = fmax(hi, heat_value(&h, res, k, r));
    }
  qa_plot_axis scale;
  double lim = h.knn ? fmax(1.0, fmax(fabs(lo), fabs(hi))) : 0;
  /* Not widened to nice ticks: the worst cell gets the deepest colour. */
  if (h.knn ? qa_plot_axis_init(&scale, -lim, lim, 0, 5, 0, 1, 0)
            : qa_plot_axis_init(&scale, fmin(lo, 1.0 - 1e-4), 1.0, 0, 5, 0, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the colour bar");
  const qa_config *cfg = src->study->cfg;
  double first_pp = cfg->n_tiers ? cfg->tiers[0].max_drop_pp : 0.0;
  double bold_below = h.knn ? -first_pp : 0.99;
  char note[320];
  if (h.knn)
    snprintf(note, sizeof note, "Leave-one-out kNN accuracy of each class minus the "
             "baseline's, in pp; bold: a drop of more than %g pp (the %s tier's limit).",
             first_pp, cfg->n_tiers ? cfg->tiers[0].name : "first");
  else
    snprintf(note, sizeof note, "Mean cosine to the baseline of each class's samples; bold: "
             "below 0.99.");
  if (h.n_rows < h.n_classes_shown_of)
    snprintf(note + strlen(note), sizeof note - strlen(note), " The %zu classes with the "
             "largest drops of %zu are shown.", h.n_rows, h.n_classes_shown_of);
  h.cell_h = fmin(24.0, fmax(15.0, 72.0 / (double)h.n_rows));
  double grid_h = (double)h.n_rows * h.cell_h, bar_h = fmax(grid_h, 72.0);
  double height = 22.0 + bar_h + 24.0;
  qa_plot p;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, fmax(1.2, height / 72.0), err)) return -1;
  char labels[MAX_CLASS_ROWS][160], name[64];
  double label_w = 0, head_w = 0;
  for (size_t r = 0; r < h.n_rows; r++) {
    const qa_class_result *c = &res[h.cols[0]].repr.per_class[h.rows[r]];
    snprintf(labels[r], sizeof labels[r], "%s (n = %zu)",
             qa_study_class_name(model, c->label, name, sizeof name), c->n);
    label_w = fmax(label_w, qa_plot_text_width(&p, labels[r], QA_PLOT_LABEL_PT, 0));
  }
  for (size_t k = 0; k < h.n_cols; k++)
    head_w = fmax(head_w, qa_plot_text_width(&p, model->variants[h.cols[k]].name,
                                             QA_PLOT_LABEL_PT, 1));
  double bar_w = 16.0 + 10.0 + 12.0 + qa_plot_axis_label_width(&p, &scale) + QA_PLOT_LABEL_PT;
  double avail = p.width - 20.0 - label_w - 8.0 - bar_w;
  double cw = fmin(fmax(84.0, head_w + 10.0), avail / (double)h.n_cols);
  /* The block (labels, cells, colour bar) centred on the canvas. */
  double block = label_w + 8.0 + (double)h.n_cols * cw + bar_w;
  double x0 = fmax(10.0, 0.5 * (p.width - block)) + label_w + 8.0, y0 = 22.0;
  for (size_t r = 0; r < h.n_rows; r++)
    qa_plot_text(&p, labels[r], x0 - 6.0, y0 + ((double)r + 0.5) * h.cell_h, QA_PLOT_LABEL_PT, 0,
                 1.0, 0.5, INK);
  for (size_t k = 0; k < h.n_cols; k++)
    qa_plot_text(&p, model->variants[h.cols[k]].name, x0 + ((double)k + 0.5) * cw, y0 - 5.0,
                 QA_PLOT_LABEL_PT, 1, 0.5, 1.0, INK);
  heat_cells(&p, &h, res, &scale, bold_below, x0, y0, cw);
  double gx1 = x0 + (double)h.n_cols * cw;
  qa_plot_area bar = {gx1 + 16.0, y0, gx1 + 26.0, y0 + bar_h};
  qa_plot_axis_place(&scale, bar.y1, bar.y0);
  qa_plot_colorbar(&p, &bar, h.knn ? qa_plot_diverging : qa_plot_viridis, &scale,
                   h.knn ? "\xCE\x94 kNN accuracy (pp)" : "Mean cosine");
  double note_w = qa_plot_text_width(&p, note, QA_PLOT_NOTE_PT, 0);
  qa_plot_text(&p, note, fmax(10.0, fmin(x0 - label_w - 8.0, p.width - 10.0 - note_w)),
               y0 + bar_h + 9.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}

/* ---- figure 3: PCA projection ------------------------------------------- */

#define PCA_GAP 18.0       /* between panels: room for the edge tick labels */

/* The labels of the model's samples (the baseline's, all variants are
** aligned to it), or NULL, and the number of classes. */
static const int32_t *model_labels(const qa_model *m, size_t n, size_t *n_classes) {
  const qa_cache *b = m->variants[m->baseline].cache;
  *n_classes = 0;
  if (!b->labels || b->n_samples != n) return NULL;
  for (size_t i = 0; i < n; i++)
    if ((size_t)b->labels[i] + 1 > *n_classes) *n_classes = (size_t)b->labels[i] + 1;
  if (b->n_label_names > *n_classes) *n_classes = b->n_label_names;
  return b->labels;
}

/* qsort has no context argument: the labels the comparison reads (one
** per thread: figures are drawn on parallel workers). */
static _Thread_local const int32_t *sort_labels;

static int by_label_row(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  int32_t li = sort_labels[i], lj = sort_labels[j];
  if (li != lj) return li < lj ? -1 : 1;
  return (i > j) - (i < j);
}

/* The points of one panel; those outside the frame are pinned to its edge.
** Returns how many were pinned. */
static size_t pca_points(qa_plot *p, const qa_repr_result *r, const int32_t *labels,
                         size_t n_classes, qa_rgb solo, const qa_plot_axis *x,
                         const qa_plot_axis *y) {
  double rad = r->n > 5000 ? 0.6 : r->n > 1500 ? 0.85 : 1.15;
  size_t pinned = 0;
  for (size_t i = 0; i < r->n; i++)
    pinned += r->pca_xy[2 * i] < x->s.d0 || r->pca_xy[2 * i] > x->s.d1 ||
              r->pca_xy[2 * i + 1] < y->s.d0 || r->pca_xy[2 * i + 1] > y->s.d1;
  /* One fill per class, so the classes overlap in label order: the points
  ** sorted by (label, row) and filled run by run, O(N log N) however many
  ** classes are named (a pass per class would cost N · C). */
  size_t *order = malloc((r->n ? r->n : 1) * sizeof *order);
  if (!order) labels = NULL;                 /* out of memory: one colour */
  for (size_t i = 0; order && i < r->n; i++) order[i] = i;
  if (labels) {
    sort_labels = labels;
    qsort(order, r->n, sizeof *order, by_label_row);
  }
  size_t at = 0;
  do {                                       /* one fill per run of a label */
    size_t end = at;
    for (; end < r->n; end++) {
      size_t i = order ? order[end] : end;
      if (labels && end > at && labels[i] != labels[order[at]]) break;
      double px = fmin(fmax(r->pca_xy[2 * i], x->s.d0), x->s.d1);
      double py = fmin(fmax(r->pca_xy[2 * i + 1], y->s.d0), y->s.d1);
      cairo_new_sub_path(p->cr);
      cairo_arc(p->cr, qa_plot_map(&x->s, px), qa_plot_map(&y->s, py), rad, 0, 2 * M_PI);
    }
    size_t c = labels && at < r->n ? (size_t)labels[order[at]] : 0;
    qa_plot_color(p, labels ? qa_plot_class_color(c, n_classes) : solo, 0.55);
    cairo_fill(p->cr);
    at = end;
  } while (at < r->n);
  free(order);
  return pinned;
}

/* What the PCA figure shows: its panels, the shared frame, the classes. */
typedef struct pca_view {
  size_t idx[64], n;                 /* variants with a projection */
  size_t cols, rows, n_classes;
  const int32_t *labels;
  qa_plot_axis x, y;                 /* the baseline's frame, for every panel */
  int any_pinned;
} pca_view;

static int off_frame(const pca_view *w, const double *xy) {
  return xy[0] < w->x.s.d0 || xy[0] > w->x.s.d1 || xy[1] < w->y.s.d0 || xy[1] > w->y.s.d1;
}

/* Returns 0 with the view filled, 1 when fewer than two panels, -1 when
** the axes cannot be scaled. */
static int pca_view_init(const qa_model *model, const qa_variant_result *res, pca_view *w) {
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  int base_ok = res[model->baseline].repr.present && res[model->baseline].repr.pca_xy;
  memset(w, 0, sizeof *w);
  for (size_t v = 0; v < model->n_variants && w->n < 64; v++) {
    const qa_repr_result *r = &res[v].repr;
    if (!r->present || !r->pca_xy) continue;
    w->idx[w->n++] = v;
    /* The frame is the baseline's: every panel is seen on the same axes,
    ** and a variant's points that leave it are pinned to the edge. */
    if (base_ok && v != model->baseline) continue;
    for (size_t i = 0; i < r->n; i++) {
      x_lo = fmin(x_lo, r->pca_xy[2 * i]);
      x_hi = fmax(x_hi, r->pca_xy[2 * i]);
      y_lo = fmin(y_lo, r->pca_xy[2 * i + 1]);
      y_hi = fmax(y_hi, r->pca_xy[2 * i + 1]);
    }
  }
  if (w->n < 2) return 1;
  w->labels = model_labels(model, res[w->idx[0]].repr.n, &w->n_classes);
  qa_plot_grid(w->n, w->n == 4 ? 2 : 3, &w->cols, &w->rows);
  double px_pad = 0.04 * (x_hi - x_lo), py_pad = 0.04 * (y_hi - y_lo);
  if (qa_plot_axis_init(&w->x, x_lo - px_pad, x_hi + px_pad, 0, 5, 1, 0, 1) ||
      qa_plot_axis_init(&w->y, y_lo - py_pad, y_hi + py_pad, 0, 5, 1, 1, 0))
    return -1;
  for (size_t k = 0; k < w->n && !w->any_pinned; k++) {
    const qa_repr_result *r = &res[w->idx[k]].repr;
    for (size_t i = 0; i < r->n && !w->any_pinned; i++)
      w->any_pinned = off_frame(w, r->pca_xy + 2 * i);
  }
  return 0;
}

/* Panel k: frame, points, and a title naming the variant. */
static void pca_panel(qa_plot *p, const qa_model *model, const qa_variant_result *res,
                      pca_view *w, size_t k, const qa_plot_area *a) {
  size_t v = w->idx[k], cx = k % w->cols, cy = k / w->cols;
  qa_plot_axis_place(&w->x, a->x0, a->x1);
  qa_plot_axis_place(&w->y, a->y1, a->y0);
  unsigned flags = QA_AXES_GRID_X | QA_AXES_GRID_Y | QA_AXES_BOX;
  /* Tick labels on the left column and on the lowest panel of each column;
  ** a panel's first x label gives way to its left neighbour's last one. */
  int labelled = !(cy + 1 < w->rows && k + w->cols < w->n);
  int left_labelled = cx && !(cy + 1 < w->rows && k - 1 + w->cols < w->n);
  if (cx) flags |= QA_AXES_NO_Y_LABELS;
  if (!labelled) flags |= QA_AXES_NO_X_LABELS;
  if (left_labelled) flags |= QA_AXES_NO_X_FIRST;
  qa_plot_axes(p, a, &w->x, &w->y, flags);
  cairo_save(p->cr);
  cairo_rectangle(p->cr, a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0);
  cairo_clip(p->cr);
  size_t pinned = pca_points(p, &res[v].repr, w->labels, w->n_classes, qa_plot_variant_color(v),
                             &w->x, &w->y);
  cairo_restore(p->cr);
  char title[160], nm[QA_PLOT_NAME_BYTES + 4], fit[160];
  size_t n = res[v].repr.n;
  const char *name = QA_FIG_SHORT(model->variants[v].name, nm);
  if (v == model->baseline)
    qa_plot_fmt(title, sizeof title, "%s (baseline)", name);
  else if (pinned)
    qa_plot_fmt(title, sizeof title, "%s \xC2\xB7 cosine %.4f \xC2\xB7 %.*f%% off-frame",
                name, res[v].repr.cos_mean, pinned * 10 < n ? 1 : 0,
                100.0 * (double)pinned / (double)n);
  else
    qa_plot_fmt(title, sizeof title, "%s \xC2\xB7 mean cosine %.4f", name,
                res[v].repr.cos_mean);
  double size = QA_PLOT_LABEL_PT, panel_w = a->x1 - a->x0;
  while (size > 6.0 && qa_plot_text_width(p, title, size, v == model->baseline) > panel_w)
    size -= 0.5;
  qa_plot_text(p, qa_plot_fit(p, title, size, v == model->baseline, panel_w, fit, sizeof fit),
               a->x0, a->y0 - 4.0, size, v == model->baseline, 0.0, 1.0, INK);
}

int qa_figure_pca(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                  qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  const qa_variant_result *res = src->analysis->models[src->model];
  pca_view w;
  int st = pca_view_init(model, res, &w);
  if (st < 0) return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  if (st > 0) {
    char nm[QA_PLOT_NAME_BYTES + 4];
    qa_plot_fmt(why, why_cap, "%s has fewer than two variants projected on the baseline's "
             "principal axes (they need hidden states with at least two samples and two "
             "dimensions), so there is nothing to compare.", QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  qa_plot p;
  qa_plot_key keys[64];
  char names[64][64];
  size_t nk = w.labels && w.n_classes <= 64 ? w.n_classes : 0;
  for (size_t c = 0; c < nk; c++)
    keys[c] = (qa_plot_key){qa_study_class_name(model, (int32_t)c, names[c], sizeof names[c]),
                            qa_plot_class_color(c, w.n_classes), QA_KEY_MARKER, QA_MARK_CIRCLE, 0};
  double lw = 0, lh = 0, full_w = QA_PLOT_WIDTH_IN * 72.0;
  if (nk) {     /* the legend's height decides the canvas's: measure it first */
    if (qa_plot_begin(&p, src->fonts, 0.1, 0.1, err)) return -1;
    qa_plot_legend_size(&p, keys, nk, "Class", 0, full_w - 60.0, &lw, &lh);
    qa_plot_end(&p);
  }
  /* Panels from y = 16 (titles above), then the shared x title, legend, note. */
  double panel_w = (full_w - 40.0 - PCA_GAP * (double)(w.cols - 1) - 8.0) / (double)w.cols;
  double panel_h = fmin(panel_w * 0.78, 170.0);
  double grid_bottom = 16.0 + (double)w.rows * (panel_h + 22.0) - 22.0;
  double ly = grid_bottom + 7.0 + QA_PLOT_TICK_PT + 3.0 + QA_PLOT_LABEL_PT + 6.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN,
                    (ly + lh + (w.any_pinned ? 12.0 : 0.0) + 8.0) / 72.0, err))
    return -1;
  double left = 12.0 + QA_PLOT_LABEL_PT + qa_plot_axis_label_width(&p, &w.y);
  panel_w = (p.width - left - PCA_GAP * (double)(w.cols - 1) - 8.0) / (double)w.cols;
  for (size_t k = 0; k < w.n; k++) {
    qa_plot_area a = {left + (double)(k % w.cols) * (panel_w + PCA_GAP),
                      16.0 + (double)(k / w.cols) * (panel_h + 22.0), 0, 0};
    a.x1 = a.x0 + panel_w;
    a.y1 = a.y0 + panel_h;
    pca_panel(&p, model, res, &w, k, &a);
  }
  char xt[160];
  char bn[QA_PLOT_NAME_BYTES + 4];
  qa_plot_fmt(xt, sizeof xt, "PC1 of the baseline (%s)",
              QA_FIG_SHORT(model->variants[model->baseline].name, bn));
  qa_plot_text(&p, xt, left + 0.5 * (p.width - 8.0 - left),
               grid_bottom + 7.0 + QA_PLOT_TICK_PT + 3.0, QA_PLOT_LABEL_PT, 0, 0.5, 0.0, INK);
  qa_plot_text_rotated(&p, "PC2 of the baseline", left - 8.0 - qa_plot_axis_label_width(&p, &w.y),
                       0.5 * (16.0 + grid_bottom), QA_PLOT_LABEL_PT, 0, 0.5, 1.0, -M_PI / 2, INK);
  if (nk) qa_plot_legend(&p, keys, nk, "Class", 0, p.width - left - 8.0, left, ly);
  if (w.any_pinned)
    qa_plot_text(&p, "Axes span the baseline's points; a variant's points beyond them are "
                 "pinned to the frame edge.", left, ly + lh + 2.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0,
                 GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}

/* ---- figure 5: radar ---------------------------------------------------- */

/* The radial scale is the same in every report: 0 at the centre, 1 on the
** rim (docs/figures.md, figure 5).  Every spoke is a number in [0, 1]: the
** similarity metrics as they are (1 = identical to the baseline), the
** accuracies absolute, so the baseline's ring runs through 1 on the
** similarity spokes and through its own accuracy on the others.  A value
** below 0 (a negative cosine or ρ) is drawn at the centre. */
#define N_SPOKES 10
#define N_RINGS 4          /* rings at 0.25, 0.5, 0.75 and the rim at 1 */
#define SPOKE_GAP 10.0     /* rim to spoke label, clear of the markers */

/* Spoke k of variant r (the similarity spokes of the baseline are 1). */
static double spoke_value(int k, const qa_variant_result *r, int is_baseline) {
  if (is_baseline && k != 4 && k != 6 && k != 7) return 1.0;
  switch (k) {
  case 0: return r->repr.present ? r->repr.cos_mean : NAN;
  case 1: return r->repr.present ? r->repr.cka_linear : NAN;
  case 2: return r->repr.present ? r->repr.spearman_rho : NAN;
  case 3: return r->repr.present ? r->repr.neighbor_overlap : NAN;
  case 4: return r->repr.present ? r->repr.knn_accuracy : NAN;
  case 5: return r->out.present ? r->out.top1_agreement : NAN;
  case 6: return r->out.present ? r->out.accuracy : NAN;
  case 7: return r->bench.present ? r->bench.accuracy : NAN;
  case 8: return r->repr.present ? r->repr.coverage : NAN;
  default: return r->repr.present ? r->repr.density : NAN;   /* above 1: on the rim */
  }
}

static const char *const SPOKE_NAMES[N_SPOKES] = {
  "cosine mean", "CKA", "Spearman \xCF\x81", "neighbour overlap", "kNN accuracy",
  "top-1 agreement", "output accuracy", "benchmark accuracy", "coverage",
  "density (capped at 1)"};

/* Radius fraction of a value: the fixed 0–1 scale, clamped. */
static double radar_t(double v) { return fmin(1.0, fmax(0.0, v)); }

/* The polygon of values on the spokes; close and leave the path. */
static void radar_path(qa_plot *p, const double *vals, size_t ns, double cx, double cy,
                       double R) {
  for (size_t k = 0; k < ns; k++) {
    double t = radar_t(vals[k]), ang = 2 * M_PI * (double)k / (double)ns;
    double px = cx + R * t * sin(ang), py = cy - R * t * cos(ang);
    if (k == 0) cairo_move_to(p->cr, px, py);
    else cairo_line_to(p->cr, px, py);
  }
  cairo_close_path(p->cr);
}

/* The web (rings, rim, spokes), the spoke names and the ring values. */
static void radar_web(qa_plot *p, const int *spokes, size_t ns, double cx, double cy,
                      double R) {
  double vals[N_SPOKES];
  cairo_set_line_width(p->cr, 0.5);
  qa_plot_color(p, (qa_rgb){0.85, 0.85, 0.85}, 1.0);
  for (int i = 1; i <= N_RINGS; i++) {
    for (size_t k = 0; k < ns; k++) vals[k] = (double)i / N_RINGS;
    radar_path(p, vals, ns, cx, cy, R);
  }
  for (size_t k = 0; k < ns; k++) {
    double ang = 2 * M_PI * (double)k / (double)ns;
    cairo_move_to(p->cr, cx, cy);
    cairo_line_to(p->cr, cx + R * sin(ang), cy - R * cos(ang));
  }
  cairo_stroke(p->cr);
  for (size_t k = 0; k < ns; k++) {
    double ang = 2 * M_PI * (double)k / (double)ns, s = sin(ang), c = cos(ang);
    qa_plot_text_halo(p, SPOKE_NAMES[spokes[k]], cx + (R + SPOKE_GAP) * s,
                      cy - (R + SPOKE_GAP) * c, QA_PLOT_LABEL_PT, 0, 0.5 - 0.5 * s,
                      0.5 + 0.5 * c, INK);
  }
  /* Ring values along the gap just right of the top spoke, and 0 at the
  ** centre's lower right. */
  static const char *const ring_label[N_RINGS + 1] = {"0", "0.25", "0.5", "0.75", "1"};
  double a = M_PI / (double)ns;
  for (int i = 1; i <= N_RINGS; i++) {
    double t = (double)i / N_RINGS;
    qa_plot_text_halo(p, ring_label[i], cx + R * t * sin(a) + 2.0, cy - R * t * cos(a),
                      QA_PLOT_NOTE_PT, 0, 0.0, 0.5, GREY);
  }
  qa_plot_text_halo(p, ring_label[0], cx + 3.0, cy + 2.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
}

/* The baseline's ring, dashed, through its values. */
static void radar_baseline(qa_plot *p, const double *vals, size_t ns, double cx, double cy,
                           double R) {
  const double dash[2] = {3.0, 2.0};
  cairo_save(p->cr);
  cairo_set_dash(p->cr, dash, 2, 0);
  radar_path(p, vals, ns, cx, cy, R);
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(p->cr, 1.0);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
}

/* The largest radius, up to r_max, at which every spoke label centred on
** cx stays within [left, right]. */
static double radar_radius(qa_plot *p, const int *spokes, size_t ns, double left, double right,
                           double r_max, double cx) {
  double R = r_max;
  for (size_t k = 0; k < ns && R > 20.0; k++) {
    double s = sin(2 * M_PI * (double)k / (double)ns);
    double w = qa_plot_text_width(p, SPOKE_NAMES[spokes[k]], QA_PLOT_LABEL_PT, 0);
    /* The label spans [x - (0.5 - 0.5 s) w, x + (0.5 + 0.5 s) w], x = cx + (R + gap) s. */
    while (R > 20.0 && (cx + (R + SPOKE_GAP) * s - (0.5 - 0.5 * s) * w < left ||
                        cx + (R + SPOKE_GAP) * s + (0.5 + 0.5 * s) * w > right))
      R -= 1.0;
  }
  return R;
}

/* The variants and spokes of a radar and the values on them. */
typedef struct radar {
  size_t vars[64], nv, ns;
  int spokes[N_SPOKES];
  double vals[64][N_SPOKES], base[N_SPOKES];
} radar;

/* Variants with three or more metrics, then the spokes all of them and
** the baseline have. */
static void radar_select(const qa_model *model, const qa_variant_result *res, radar *d) {
  const qa_variant_result *b = &res[model->baseline];
  d->nv = d->ns = 0;
  for (size_t v = 0; v < model->n_variants && d->nv < 64; v++) {
    size_t have = 0;
    for (int k = 0; k < N_SPOKES; k++)
      have += isfinite(spoke_value(k, &res[v], 0)) && isfinite(spoke_value(k, b, 1));
    if (v != model->baseline && have >= 3) d->vars[d->nv++] = v;
  }
  for (int k = 0; k < N_SPOKES; k++) {
    int all = d->nv > 0 && isfinite(spoke_value(k, b, 1));
    for (size_t i = 0; i < d->nv; i++) all &= isfinite(spoke_value(k, &res[d->vars[i]], 0)) != 0;
    if (all) d->spokes[d->ns++] = k;
  }
  for (size_t k = 0; k < d->ns; k++) d->base[k] = spoke_value(d->spokes[k], b, 1);
  for (size_t i = 0; i < d->nv; i++)
    for (size_t k = 0; k < d->ns; k++)
      d->vals[i][k] = spoke_value(d->spokes[k], &res[d->vars[i]], 0);
}

static void radar_polygons(qa_plot *p, const radar *d, double cx, double cy, double R) {
  for (size_t i = 0; i < d->nv; i++) {
    qa_rgb c = qa_plot_variant_color(d->vars[i]);
    radar_path(p, d->vals[i], d->ns, cx, cy, R);
    qa_plot_color(p, c, 0.07);
    cairo_fill_preserve(p->cr);
    qa_plot_color(p, c, 1.0);
    cairo_set_line_width(p->cr, 1.3);
    cairo_stroke(p->cr);
    for (size_t k = 0; k < d->ns; k++) {
      double t = radar_t(d->vals[i][k]), ang = 2 * M_PI * (double)k / (double)d->ns;
      qa_plot_marker(p, qa_plot_variant_marker(d->vars[i]), cx + R * t * sin(ang),
                     cy - R * t * cos(ang), 4.2, c);
    }
  }
}

/* Where the radar sits on its canvas: centre, rim radius, legend. */
typedef struct radar_place {
  double cx, cy, R, legend_x, lh;
} radar_place;

#define RADAR_HEIGHT_IN 3.9
#define RADAR_NOTE "centre 0 \xC2\xB7 rim 1"

static void radar_layout(qa_plot *p, const radar *d, const qa_plot_key *keys, radar_place *g) {
  double lw, lh;
  qa_plot_legend_size(p, keys, d->nv + 1, "Variant", 1, 200, &lw, &lh);
  lw = fmax(lw, qa_plot_text_width(p, RADAR_NOTE, QA_PLOT_NOTE_PT, 0));
  double right = p->width - lw - 30.0, cx = 0.5 * right, cy = 0.5 * p->height + 2.0;
  double R = radar_radius(p, d->spokes, d->ns, 10.0, right, 0.5 * p->height - 30.0, cx);
  /* Centre the radar with its labels and the legend as one block. */
  double ext_l = R, ext_r = R;
  for (size_t k = 0; k < d->ns; k++) {
    double sk = sin(2 * M_PI * (double)k / (double)d->ns);
    double w = qa_plot_text_width(p, SPOKE_NAMES[d->spokes[k]], QA_PLOT_LABEL_PT, 0);
    ext_l = fmax(ext_l, -((R + SPOKE_GAP) * sk - (0.5 - 0.5 * sk) * w));
    ext_r = fmax(ext_r, (R + SPOKE_GAP) * sk + (0.5 + 0.5 * sk) * w);
  }
  g->cx = 0.5 * (p->width - (ext_l + ext_r + 30.0 + lw)) + ext_l;
  g->cy = cy;
  g->R = R;
  g->legend_x = g->cx + ext_r + 30.0;
  g->lh = lh;
}

static void radar_keys(const qa_model *model, const radar *d, qa_plot_key *keys) {
  keys[0] = (qa_plot_key){"baseline", INK, QA_KEY_DASHED, 0, 0};
  for (size_t i = 0; i < d->nv; i++)
    keys[i + 1] = (qa_plot_key){model->variants[d->vars[i]].name, qa_plot_variant_color(d->vars[i]),
                                QA_KEY_LINE_MARKER, qa_plot_variant_marker(d->vars[i]), 0};
}

int qa_figure_radar_frame(const qa_figure_src *src, double *cx, double *cy, double *rim,
                          qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  radar d;
  qa_plot_key keys[65];
  radar_place g;
  qa_plot p;
  radar_select(model, src->analysis->models[src->model], &d);
  if (!d.nv || d.ns < 3) return 1;
  radar_keys(model, &d, keys);
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, RADAR_HEIGHT_IN, err)) return -1;
  radar_layout(&p, &d, keys, &g);
  qa_plot_end(&p);
  *cx = g.cx;
  *cy = g.cy;
  *rim = g.R;
  return 0;
}

int qa_figure_radar(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                    qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  radar d;
  radar_select(model, src->analysis->models[src->model], &d);
  if (!d.nv || d.ns < 3) {
    char nm[QA_PLOT_NAME_BYTES + 4];
    qa_plot_fmt(why, why_cap, "%s has no variant besides its baseline with at least three "
             "metrics in common to compare, so there is no radar to draw.", QA_FIG_SHORT(model->name, nm));
    return 1;
  }
  qa_plot p;
  qa_plot_key keys[65];
  radar_place g;
  radar_keys(model, &d, keys);
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, RADAR_HEIGHT_IN, err)) return -1;
  radar_layout(&p, &d, keys, &g);
  radar_web(&p, d.spokes, d.ns, g.cx, g.cy, g.R);
  radar_baseline(&p, d.base, d.ns, g.cx, g.cy, g.R);
  radar_polygons(&p, &d, g.cx, g.cy, g.R);
  double ly = 0.5 * p.height - 0.5 * g.lh;
  qa_plot_legend(&p, keys, d.nv + 1, "Variant", 1, 200, g.legend_x, ly);
  qa_plot_text(&p, RADAR_NOTE, g.legend_x, ly + g.lh + 8.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}

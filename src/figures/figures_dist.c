/*
** Figures of distributions: per-sample cosine distance (figure 1) and KL
** divergence (figure 9), one row per variant on a shared log axis, and the
** eigen-spectrum (figure 4).
**
** A distribution row is a violin of the log-binned density, the samples
** beyond the row's 99th percentile as dots (the tail is the point: a mean
** hides it), and the summary marks the tables print, taken from the
** analysis rather than recomputed, so figure and table agree.
*/
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"

#define ROW_H 24.0
#define N_BINS 56
/* At most this many rows in one figure (docs/figures.md "Large studies"):
** 40 rows are a page; beyond them the rows with the worst tails are kept. */
#define MAX_DIST_ROWS 40

static const qa_rgb INK = {0.15, 0.15, 0.15}, GREY = {0.45, 0.45, 0.45};

typedef struct dist_row {
  char label[160];
  double *v;                 /* sorted ascending, transformed, owned */
  size_t n;
  qa_rgb color;
  double mark[3];            /* median and two tail marks, transformed */
} dist_row;

typedef struct dist_spec {
  const char *x_title;
  const char *mark_name[3];
  double ref;                /* reference line (NaN: none) */
  const char *ref_label;
} dist_spec;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void free_rows(dist_row *rows, size_t n) {
  for (size_t i = 0; rows && i < n; i++) free(rows[i].v);
  free(rows);
}

/* R type 7 quantile of sorted x. */
static double quantile(const double *x, size_t n, double q) {
  double h = (double)(n - 1) * q;
  size_t lo = (size_t)floor(h);
  if (lo + 1 >= n) return x[n - 1];
  return x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
}

/* The violin of one row: log-binned counts, smoothed [1 2 1]/4, mirrored. */
static void violin(qa_plot *p, const dist_row *r, const qa_plot_axis *x, double cy, double lo) {
  double cnt[N_BINS] = {0}, sm[N_BINS], a = log10(x->s.d0), b = log10(x->s.d1), peak = 0;
  for (size_t i = 0; i < r->n; i++) {
    double t = (log10(fmax(r->v[i], lo)) - a) / (b - a);
    int k = (int)(t * N_BINS);
    cnt[k < 0 ? 0 : k >= N_BINS ? N_BINS - 1 : k] += 1.0;
  }
  for (int k = 0; k < N_BINS; k++) {
    sm[k] = 0.5 * cnt[k] + 0.25 * (k > 0 ? cnt[k - 1] : 0) +
            0.25 * (k + 1 < N_BINS ? cnt[k + 1] : 0);
    peak = fmax(peak, sm[k]);
  }
  if (peak <= 0) return;
  int first = 0, last = N_BINS - 1;
  while (sm[first] <= 0) first++;
  while (sm[last] <= 0) last--;
  /* From the middle of the first empty bin before the data to that after. */
  double half = 0.40 * ROW_H, x0 = x->s.p0, w = (x->s.p1 - x->s.p0) / N_BINS;
  double xa = x0 + fmax(first - 0.5, 0.0) * w, xb = x0 + fmin(last + 1.5, (double)N_BINS) * w;
  cairo_t *cr = p->cr;
  cairo_move_to(cr, xa, cy);
  for (int k = first; k <= last; k++)
    cairo_line_to(cr, x0 + (k + 0.5) * w, cy - half * sm[k] / peak);
  cairo_line_to(cr, xb, cy);
  for (int k = last; k >= first; k--)
    cairo_line_to(cr, x0 + (k + 0.5) * w, cy + half * sm[k] / peak);
  cairo_close_path(cr);
  qa_plot_color(p, r->color, 0.28);
  cairo_fill_preserve(cr);
  qa_plot_color(p, r->color, 0.9);
  cairo_set_line_width(cr, 0.7);
  cairo_stroke(cr);
}

/* The samples beyond the 99th percentile (at most 400, the largest). */
static void tail_dots(qa_plot *p, const dist_row *r, const qa_plot_axis *x, double cy, double lo) {
  size_t from = (size_t)floor(0.99 * (double)r->n);
  if (r->n - from > 400) from = r->n - 400;
  qa_rgb dark = qa_plot_mix(r->color, INK, 0.3);
  for (size_t i = from; i < r->n; i++) {
    /* Deterministic jitter from the rank (Knuth's multiplicative hash). */
    double j = (double)((uint32_t)(i * 2654435761u) % 1000u) / 1000.0 - 0.5;
    double px = qa_plot_map(&x->s, fmin(fmax(r->v[i], lo), x->s.d1));
    cairo_new_sub_path(p->cr);
    cairo_arc(p->cr, px, cy + j * 0.45 * ROW_H, 0.9, 0, 2 * M_PI);
  }
  qa_plot_color(p, dark, 0.8);
  cairo_fill(p->cr);
}

static void draw_rows(qa_plot *p, const dist_row *rows, size_t n, const dist_spec *spec,
                      const qa_plot_area *a, const qa_plot_axis *x, double lo, double label_w) {
  char fit[sizeof rows->label];
  static const int shapes[3] = {QA_MARK_BAR, QA_MARK_DIAMOND, QA_MARK_CROSS};
  static const qa_rgb white = {1, 1, 1};
  if (!isnan(spec->ref) && spec->ref > x->s.d0 && spec->ref < x->s.d1) {
    double q = qa_plot_map(&x->s, spec->ref);
    const double dash[2] = {3.0, 2.0};
    cairo_save(p->cr);
    cairo_set_dash(p->cr, dash, 2, 0);
    cairo_move_to(p->cr, q, a->y0);
    cairo_line_to(p->cr, q, a->y1);
    qa_plot_color(p, GREY, 1.0);
    cairo_set_line_width(p->cr, 0.8);
    cairo_stroke(p->cr);
    cairo_restore(p->cr);
    qa_plot_text(p, spec->ref_label, q + 3.0, a->y0 + 2.0, QA_PLOT_NOTE_PT, 0, 0.0, 0.0, GREY);
  }
  for (size_t i = 0; i < n; i++) {     /* faint guides through the rows */
    double cy = a->y0 + 12.0 + ((double)i + 0.5) * ROW_H;
    cairo_move_to(p->cr, a->x0, cy);
    cairo_line_to(p->cr, a->x1, cy);
  }
  qa_plot_color(p, (qa_rgb){0.8, 0.8, 0.8}, 1.0);
  cairo_set_line_width(p->cr, 0.4);
  cairo_stroke(p->cr);
  for (size_t i = 0; i < n; i++) {
    double cy = a->y0 + 12.0 + ((double)i + 0.5) * ROW_H;
    violin(p, &rows[i], x, cy, lo);
    tail_dots(p, &rows[i], x, cy, lo);
    for (int k = 0; k < 3; k++) {
      if (isnan(rows[i].mark[k])) continue;
      double px = qa_plot_map(&x->s, fmin(fmax(rows[i].mark[k], lo), x->s.d1));
      qa_plot_marker(p, shapes[k], px, cy, k == 0 ? 9.0 : 6.0, k == 0 ? INK : white);
      if (k) qa_plot_marker(p, shapes[k], px, cy, 4.2, INK);
    }
    qa_plot_text(p, qa_plot_fit(p, rows[i].label, QA_PLOT_LABEL_PT, 0, label_w, fit, sizeof fit),
                 a->x0 - 6.0, cy, QA_PLOT_LABEL_PT, 0, 1.0, 0.5, INK);
  }
}

/* Lays out and draws a distribution figure of n rows. */
static int dist_figure(const qa_figure_src *src, dist_row *rows, size_t n, const dist_spec *spec,
                       const char *png, qa_error *err) {
  /* Axis: from the lowest row's 1st percentile of positive values to the
  ** largest value, so that a few exact zeros do not stretch it. */
  double lo = INFINITY, hi = 0;
  for (size_t i = 0; i < n; i++) {
    size_t z = 0;
    while (z < rows[i].n && !(rows[i].v[z] > 0)) z++;
    if (z < rows[i].n) lo = fmin(lo, quantile(rows[i].v + z, rows[i].n - z, 0.01));
    if (rows[i].n) hi = fmax(hi, rows[i].v[rows[i].n - 1]);
  }
  if (!isnan(spec->ref) && spec->ref <= 100 * hi) hi = fmax(hi, spec->ref * 1.5);
  if (!isfinite(lo)) lo = hi / 10;
  lo = fmax(lo, hi * 1e-12);
  qa_plot p;
  qa_plot_axis x;
  if (qa_plot_axis_init(&x, lo, hi, 1, 7, 1, 0, 1))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axis");
  x.title = spec->x_title;
  qa_plot_key keys[4] = {
    {spec->mark_name[0], INK, QA_KEY_MARKER, QA_MARK_BAR, 0},
    {spec->mark_name[1], INK, QA_KEY_MARKER, QA_MARK_DIAMOND, 0},
    {spec->mark_name[2], INK, QA_KEY_MARKER, QA_MARK_CROSS, 0},
    {"samples beyond the 99th percentile", GREY, QA_KEY_MARKER, QA_MARK_CIRCLE, 0}};
  double height_pt = 12.0 + (double)n * ROW_H + 4.0 + 40.0 + 22.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, fmax(1.5, height_pt / 72.0), err))
    return -1;
  /* Labels take at most a third of the width; longer ones are shortened. */
  double label_w = 0, label_max = p.width / 3.0;
  for (size_t i = 0; i < n; i++)
    label_w = fmax(label_w, qa_plot_text_width(&p, rows[i].label, QA_PLOT_LABEL_PT, 0));
  label_w = fmin(label_w, label_max);
  qa_plot_area a = {10.0 + label_w + 6.0, 4.0, p.width - 16.0, 0};
  a.y1 = a.y0 + 12.0 + (double)n * ROW_H;
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axes(&p, &a, &x, NULL, QA_AXES_GRID_X);
  draw_rows(&p, rows, n, spec, &a, &x, lo, label_w);
  double lw, lh;
  qa_plot_legend_size(&p, keys, 4, NULL, 0, a.x1 - a.x0, &lw, &lh);
  qa_plot_legend(&p, keys, 4, NULL, 0, a.x1 - a.x0, 0.5 * (a.x0 + a.x1 - lw), a.y1 + 38.0);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  return rc;
}

/* A row for variant v of model m from per-sample values (1 - x when
** one_minus), or 0 rows when the values are absent.  Returns -1 on OOM. */
static int add_row(const qa_study *s, size_t m, size_t v, const double *vals, size_t n,
                   int one_minus, const double marks[3], dist_row *rows, size_t *n_rows) {
  dist_row *r = &rows[*n_rows];
  if (!vals || !n) return 0;
  r->v = malloc(n * sizeof *r->v);
  if (!r->v) return -1;
  for (size_t i = 0; i < n; i++) r->v[i] = one_minus ? 1.0 - vals[i] : vals[i];
  qsort(r->v, n, sizeof *r->v, cmp_double);
  r->n = n;
  r->color = qa_plot_variant_color(v);
  for (int k = 0; k < 3; k++) r->mark[k] = one_minus ? 1.0 - marks[k] : marks[k];
  if (s->n_models > 1) qa_plot_fmt(r->label, sizeof r->label, "%s / %s", s->models[m].name,
                                   s->models[m].variants[v].name);
  else qa_plot_fmt(r->label, sizeof r->label, "%s", s->models[m].variants[v].name);
  (*n_rows)++;
  return 0;
}

static size_t count_variants(const qa_study *s) {
  size_t n = 0;
  for (size_t m = 0; m < s->n_models; m++) n += s->models[m].n_variants;
  return n;
}

/* Shared by figures 1 and 9: rows of every non-baseline variant. */
static int dist_rows(const qa_figure_src *src, int kl, dist_row **out, size_t *n_out) {
  const qa_study *s = src->study;
  dist_row *rows = calloc(count_variants(s) + 1, sizeof *rows);
  size_t n = 0;
  if (!rows) return -1;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      const qa_variant_result *r = &src->analysis->models[m][v];
      if (s->models[m].variants[v].is_baseline) continue;
      int rc;
      if (kl) {
        const double marks[3] = {r->out.kl_median, r->out.kl_p99, r->out.kl_max};
        rc = add_row(s, m, v, r->out.kl, r->out.kl ? r->out.n : 0, 0, marks, rows, &n);
      } else {
        const double marks[3] = {r->repr.cos_median, r->repr.cos_p05, r->repr.cos_min};
        rc = add_row(s, m, v, r->repr.present ? r->repr.cosine : NULL, r->repr.n, 1, marks,
                     rows, &n);
      }
      if (rc) { free_rows(rows, n); return -1; }
    }
  *out = rows;
  *n_out = n;
  return 0;
}

/* Rows in order of their second mark (the p05 cosine distance, the p99
** KL), largest first, NaN last; ties by position. */
static _Thread_local const dist_row *sort_base;   /* per thread: parallel figures */
static int by_tail(const void *a, const void *b) {
  size_t i = *(const size_t *)a, j = *(const size_t *)b;
  double x = sort_base[i].mark[1], y = sort_base[j].mark[1];
  if (isnan(x) != isnan(y)) return isnan(x) ? 1 : -1;
  if (!isnan(x) && x != y) return x > y ? -1 : 1;
  return i < j ? -1 : i > j;
}

/* Keeps the MAX_DIST_ROWS rows with the worst tails, in their order, and
** says so in note; the rows dropped are freed.  Returns -1 on OOM. */
static int keep_worst(dist_row *rows, size_t *n, const char *tail_name, char *note,
                      size_t note_cap) {
  if (*n <= MAX_DIST_ROWS) return 0;
  size_t *order = malloc(*n * sizeof *order);
  char *keep = calloc(*n, 1);
  if (!order || !keep) { free(order); free(keep); return -1; }
  for (size_t i = 0; i < *n; i++) order[i] = i;
  sort_base = rows;
  qsort(order, *n, sizeof *order, by_tail);
  for (size_t i = 0; i < MAX_DIST_ROWS; i++) keep[order[i]] = 1;
  size_t k = 0;
  for (size_t i = 0; i < *n; i++) {
    if (keep[i]) rows[k++] = rows[i];
    else free(rows[i].v);
  }
  qa_plot_fmt(note, note_cap, "Only the %d of %zu variants with the largest %s are shown; "
              "the tables list every variant.", MAX_DIST_ROWS, *n, tail_name);
  *n = k;
  free(order);
  free(keep);
  return 0;
}

static int all_zero(const dist_row *rows, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (rows[i].n && rows[i].v[rows[i].n - 1] > 0) return 0;
  return 1;
}

int qa_figure_cosine(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                     qa_error *err) {
  dist_row *rows = NULL;
  size_t n = 0;
  if (dist_rows(src, 0, &rows, &n))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  int rc = 1;
  char ly[QA_PLOT_NAME_BYTES + 4];
  if (!n)
    qa_plot_fmt(why, why_cap, "No variant other than a baseline has hidden states at layer "
             "\"%s\", so there is no per-sample cosine to show.",
             QA_FIG_SHORT(src->study->cfg->layer, ly));
  else if (all_zero(rows, n))
    qa_plot_fmt(why, why_cap, "Every variant's hidden states equal its baseline's "
             "(cosine 1 for every sample), so there is no distance to show.");
  else {
    const dist_spec spec = {"1 \xE2\x88\x92 cosine similarity to the baseline (log scale; "
                            "right = further from the baseline)",
                            {"median", "p05 of cosine", "minimum cosine"}, 0.01,
                            "cosine 0.99"};
    if (keep_worst(rows, &n, "cosine distance at the p05 of cosine", why, why_cap))
      rc = qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
    else
      rc = dist_figure(src, rows, n, &spec, png, err);
  }
  free_rows(rows, n);
  return rc;
}

int qa_figure_kl(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                 qa_error *err) {
  dist_row *rows = NULL;
  size_t n = 0;
  if (dist_rows(src, 1, &rows, &n))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  int rc = 1;
  if (!n)
    qa_plot_fmt(why, why_cap, "No variant other than a baseline has logits beside a baseline "
             "with logits, so there is no KL divergence to show.");
  else if (all_zero(rows, n))
    qa_plot_fmt(why, why_cap, "Every variant's output distribution equals its baseline's "
             "(KL 0 for every sample), so there is nothing to show.");
  else {
    const dist_spec spec = {"KL(baseline \xE2\x80\x96 variant) per sample, nats (log scale)",
                            {"median", "p99", "maximum"}, NAN, NULL};
    if (keep_worst(rows, &n, "p99 of KL divergence", why, why_cap))
      rc = qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
    else
      rc = dist_figure(src, rows, n, &spec, png, err);
  }
  free_rows(rows, n);
  return rc;
}

/* ---- eigen-spectrum ----------------------------------------------------- */

/* Number of eigenvalues above 1e-12 of the largest (STATISTICS.md
** "spectrum": smaller ones are numerical zeros). */
static size_t kept_rank(const double *lam, size_t d) {
  size_t k = 0;
  while (k < d && lam[k] > 1e-12 * lam[0]) k++;
  return k;
}

static void spectrum_line(qa_plot *p, const qa_plot_axis *x, const qa_plot_axis *y,
                          const double *lam, size_t k, qa_rgb c, double width, double alpha) {
  for (size_t j = 0; j < k; j++) {
    double px = qa_plot_map(&x->s, (double)(j + 1)), py = qa_plot_map(&y->s, lam[j]);
    if (j == 0) cairo_move_to(p->cr, px, py);
    else cairo_line_to(p->cr, px, py);
  }
  qa_plot_color(p, c, alpha);
  cairo_set_line_width(p->cr, width);
  cairo_stroke(p->cr);
}

/* Every variant's spectrum in area a: the baseline wide and pale
** underneath (a variant that matches it runs inside it, one that departs
** shows beside it), then each line with markers at staggered ranks. */
static void spectrum_lines(qa_plot *p, const qa_model *model, const qa_variant_result *res,
                           const qa_plot_area *a, const qa_plot_axis *x, const qa_plot_axis *y,
                           int log_x) {
  cairo_save(p->cr);
  cairo_rectangle(p->cr, a->x0, a->y0 - 3, a->x1 - a->x0 + 3, a->y1 - a->y0 + 3);
  cairo_clip(p->cr);
  const qa_repr_result *b = &res[model->baseline].repr;
  if (b->present && b->spectrum && b->spectrum[0] > 0)
    spectrum_line(p, x, y, b->spectrum, kept_rank(b->spectrum, b->dim),
                  qa_plot_variant_color(model->baseline), 4.0, 0.25);
  for (size_t v = 0; v < model->n_variants; v++) {
    const qa_repr_result *r = &res[v].repr;
    if (!r->present || !r->spectrum || !(r->spectrum[0] > 0)) continue;
    size_t k = kept_rank(r->spectrum, r->dim);
    qa_rgb c = qa_plot_variant_color(v);
    spectrum_line(p, x, y, r->spectrum, k, c, 1.1, 1.0);
    double step = log_x ? 0.25 : fmax(1.0, floor((double)k / 8.0));
    for (double t = log_x ? 0.05 * (double)v : (double)(v % (size_t)step); ; t += step) {
      size_t j = log_x ? (size_t)lround(pow(10.0, t)) - 1 : (size_t)t;
      if (j >= k) break;
      qa_plot_marker(p, qa_plot_variant_marker(v), qa_plot_map(&x->s, (double)(j + 1)),
                     qa_plot_map(&y->s, r->spectrum[j]), v == model->baseline ? 6.0 : 4.2, c);
    }
  }
  cairo_restore(p->cr);
}

int qa_figure_spectrum(const qa_figure_src *src, const char *png, char *why, size_t why_cap,
                       qa_error *err) {
  const qa_model *model = &src->study->models[src->model];
  const qa_variant_result *res = src->analysis->models[src->model];
  size_t nv = model->n_variants, n_drawn = 0, max_rank = 0;
  double lo = INFINITY, hi = 0;
  for (size_t v = 0; v < nv; v++) {
    const qa_repr_result *r = &res[v].repr;
    if (!r->present || !r->spectrum || !r->dim || !(r->spectrum[0] > 0)) continue;
    size_t k = kept_rank(r->spectrum, r->dim);
    n_drawn++;
    max_rank = k > max_rank ? k : max_rank;
    lo = fmin(lo, r->spectrum[k - 1]);
    hi = fmax(hi, r->spectrum[0]);
  }
  if (n_drawn < 2 || max_rank < 2) {
    char nm[QA_PLOT_NAME_BYTES + 4], ly[QA_PLOT_NAME_BYTES + 4];
    qa_plot_fmt(why, why_cap, "%s has fewer than two variants with a hidden-state spectrum at "
             "layer \"%s\", so there is nothing to compare.", QA_FIG_SHORT(model->name, nm),
             QA_FIG_SHORT(src->study->cfg->layer, ly));
    return 1;
  }
  qa_plot p;
  qa_plot_axis x, y;
  int log_x = max_rank > 40;
  if (qa_plot_axis_init(&x, 1, (double)max_rank, log_x, 8, log_x, 0, 1) ||
      qa_plot_axis_init(&y, lo, hi, 1, 6, 1, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  x.title = log_x ? "Rank (log scale)" : "Rank";
  y.title = "Eigenvalue (log scale)";
  char (*labels)[128] = calloc(nv, sizeof *labels);
  qa_plot_key *keys = calloc(nv, sizeof *keys);
  size_t nk = 0;
  if (!labels || !keys || qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN, 3.4, err)) {
    free(labels);
    free(keys);
    return keys && labels ? -1 : qa_error_set(err, QA_EXIT_IO, png, NULL, "out of memory");
  }
  for (size_t v = 0; v < nv; v++) {
    const qa_repr_result *r = &res[v].repr;
    if (!r->present || !r->spectrum || !(r->spectrum[0] > 0)) continue;
    qa_plot_fmt(labels[v], sizeof labels[v], "%s%s, eff. rank %.1f", model->variants[v].name,
                v == model->baseline ? " (baseline)" : "", r->effective_rank);
    keys[nk++] = (qa_plot_key){labels[v], qa_plot_variant_color(v), QA_KEY_LINE_MARKER,
                               qa_plot_variant_marker(v), 0};
  }
  double lw, lh;
  qa_plot_legend_size(&p, keys, nk, "Variant", 1, 200, &lw, &lh);
  double left = 10.0 + QA_PLOT_LABEL_PT + 8.0 + qa_plot_axis_label_width(&p, &y);
  qa_plot_area a = {left, 8.0, p.width - lw - 22.0, p.height - 36.0};
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axis_place(&y, a.y1, a.y0);
  qa_plot_axes(&p, &a, &x, &y, QA_AXES_GRID_X | QA_AXES_GRID_Y);
  spectrum_lines(&p, model, res, &a, &x, &y, log_x);
  qa_plot_legend(&p, keys, nk, "Variant", 1, 200, a.x1 + 14.0, a.y0);
  int rc = qa_plot_save(&p, png, err);
  qa_plot_end(&p);
  free(labels);
  free(keys);
  return rc;
}

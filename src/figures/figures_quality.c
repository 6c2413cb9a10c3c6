/*
** Figures of quality across the whole study: accuracy by variant with
** Wilson intervals over the tier bands (figure 6) and the metric
** agreement grid (figure 8); quality against cost (figure 7) is in
** figures_cost.c.  Tier colours come from qa_plot_tier_color everywhere,
** so a tier looks the same in every figure.
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

/* How a panel's variant names sit under their slots: level when the
** widest fits its slot; else turned by 36 degrees when neighbours stay
** apart (slot x sin 36 >= the text's height + 1.5 pt), else upright (90
** degrees), smaller when the slot is narrower than the text is high
** (down to 4.5 pt), and every k-th name when even that does not fit.  A
** turned name is shortened to NAME_MAX_W; the band under the panel is
** made tall enough for the longest, so names reach neither the next
** row's titles nor the legend. */
#define NAME_MAX_W 110.0
#define NAMES_BAND_MIN 46.0

typedef struct names_fit {
  int turned;
  double angle, size;
  size_t every;
  double band;                   /* points under the panel: names and a margin */
} names_fit;

static void names_layout(qa_plot *p, const qa_model *model, const size_t *vars, size_t n,
                         double slot, names_fit *f) {
  double widest = 0;
  char fit[256];
  memset(f, 0, sizeof *f);
  f->size = QA_PLOT_TICK_PT;
  f->every = 1;
  f->band = NAMES_BAND_MIN;
  for (size_t i = 0; i < n; i++)
    widest = fmax(widest, qa_plot_text_width(p, model->variants[vars[i]].name, f->size, 0));
  if (widest <= slot - 4.0) return;
  f->turned = 1;
  f->angle = M_PI / 5;
  if (slot * sin(f->angle) < f->size + 1.5) {
    f->angle = M_PI / 2;
    if (slot < f->size + 1.5) f->size = fmax(4.5, slot - 1.5);
    if (slot < f->size + 1.5) f->every = (size_t)ceil((f->size + 1.5) / slot);
  }
  double longest = 0;
  for (size_t i = 0; i < n; i++)
    longest = fmax(longest, qa_plot_text_width(p, qa_plot_fit(p, model->variants[vars[i]].name,
                                                              f->size, 0, NAME_MAX_W, fit,
                                                              sizeof fit), f->size, 0));
  double extent = longest * sin(f->angle) + f->size * cos(f->angle);
  f->band = fmax(NAMES_BAND_MIN, extent + 18.0);
}

static void category_labels(qa_plot *p, const qa_model *model, const size_t *vars, size_t n,
                            const qa_plot_area *a) {
  double slot = (a->x1 - a->x0) / (double)n;
  names_fit f;
  char fit[256];
  names_layout(p, model, vars, n, slot, &f);
  for (size_t i = 0; i < n; i += f.every) {
    double x = a->x0 + ((double)i + 0.5) * slot;
    const char *name = model->variants[vars[i]].name;
    if (!f.turned)
      qa_plot_text(p, name, x, a->y1 + 5.0, f.size, 0, 0.5, 0.0, INK);
    else if (f.angle < M_PI / 4)
      qa_plot_text_rotated(p, qa_plot_fit(p, name, f.size, 0, NAME_MAX_W, fit, sizeof fit),
                           x + 2.0, a->y1 + 4.0, f.size, 0, 1.0, 0.0, -f.angle, INK);
    else
      qa_plot_text_rotated(p, qa_plot_fit(p, name, f.size, 0, NAME_MAX_W, fit, sizeof fit),
                           x, a->y1 + 4.0, f.size, 0, 1.0, 0.5, -f.angle, INK);
  }
}

/* The variants model m's panel shows (those with an accuracy), into vars. */
static size_t panel_vars(const qa_figure_src *src, size_t m, int bench, size_t *vars, size_t cap) {
  const qa_model *model = &src->study->models[m];
  double acc, lo, hi;
  size_t n = 0;
  for (size_t v = 0; v < model->n_variants && n < cap; v++)
    if (acc_of(&src->analysis->models[m][v], bench, &acc, &lo, &hi)) vars[n++] = v;
  return n;
}

/* The cliff of model m (STATISTICS.md "Tier, cost, memory": the first
** variant in configured order whose tier is not recommended, as
** models[].cliff in report.json); SIZE_MAX when none. */
static size_t model_cliff(const qa_figure_src *src, size_t m) {
  const qa_model_decision *md = src->analysis->model_decisions;
  return md ? md[m].cliff : SIZE_MAX;
}

#define CLIFF_LABEL "cliff"

/* The cliff's ring round its point (its word is placed with the labels). */
static void cliff_ring(qa_plot *p, double px, double py) {
  cairo_new_sub_path(p->cr);
  cairo_arc(p->cr, px, py, 6.5, 0, 2 * M_PI);
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(p->cr, 1.2);
  cairo_stroke(p->cr);
  qa_plot_record_mark(p, px, py, 7.1);
}

/* One model's panel; *dropped counts the labels with no free place. */
static void accuracy_panel(qa_plot *p, const qa_figure_src *src, size_t m, int bench,
                           const qa_plot_area *a, int show_title, size_t *dropped) {
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
  char buf[48], bare[48];
  size_t cliff = model_cliff(src, m);
  /* The changes' labels fit their slots: without the unit when they would
  ** not, then smaller. */
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
  double ylo[64], yhi[64];
  for (size_t i = 0; i < n; i++) {     /* intervals and points first, then the labels */
    double px = a->x0 + ((double)i + 0.5) * slot;
    ylo[i] = qa_plot_map(&y.s, lo[i]);
    yhi[i] = qa_plot_map(&y.s, hi[i]);
    cairo_move_to(p->cr, px, ylo[i]); cairo_line_to(p->cr, px, yhi[i]);
    cairo_move_to(p->cr, px - 3.0, ylo[i]); cairo_line_to(p->cr, px + 3.0, ylo[i]);
    cairo_move_to(p->cr, px - 3.0, yhi[i]); cairo_line_to(p->cr, px + 3.0, yhi[i]);
    qa_plot_color(p, INK, 1.0);
    cairo_set_line_width(p->cr, 0.9);
    cairo_stroke(p->cr);
    qa_plot_obstacle(p, px - 3.5, yhi[i] - 0.5, px + 3.5, ylo[i] + 0.5);
    qa_plot_marker(p, QA_MARK_CIRCLE, px, qa_plot_map(&y.s, acc[i]), 6.5,
                   qa_plot_tier_color(res[vars[i]].tier, nt));
    if (vars[i] == cliff) cliff_ring(p, px, qa_plot_map(&y.s, acc[i]));
  }
  if (show_title) {
    char fit[256];
    qa_plot_text(p, qa_plot_fit(p, model->name, QA_PLOT_LABEL_PT, 1, a->x1 - a->x0, fit,
                                sizeof fit),
                 a->x0, a->y0 - 4.0, QA_PLOT_LABEL_PT, 1, 0.0, 1.0, INK);
  }
  /* The change above its interval, else below it, each inside its own slot
  ** and the panel; then the cliff's word below its interval, else above. */
  for (size_t i = 0; i < n; i++) {
    if (vars[i] == model->baseline) continue;
    double px = a->x0 + ((double)i + 0.5) * slot;
    qa_plot_area col = {a->x0 - 6.0, a->y0 + 1.0, a->x1 + 6.0, a->y1 - 1.0};
    fmt_signed(acc[i] - base, 1, unit, buf, sizeof buf);
    fmt_signed(acc[i] - base, 1, "", bare, sizeof bare);
    qa_plot_label l = {{buf, strcmp(buf, bare) ? bare : NULL, NULL}, px, yhi[i], ylo[i], 1.5,
                       note_pt, 0, QA_LABEL_SLOT, 0};
    if (qa_plot_place_label(p, &l, &col) < 0) (*dropped)++;
  }
  for (size_t i = 0; i < n; i++) {
    if (vars[i] != cliff) continue;
    double px = a->x0 + ((double)i + 0.5) * slot;
    qa_plot_area col = {px - 0.5 * slot - 4.0, a->y0 + 1.0, px + 0.5 * slot + 4.0, a->y1 - 1.0};
    qa_plot_label l = {{CLIFF_LABEL, NULL}, px, yhi[i], ylo[i], 1.5, QA_PLOT_NOTE_PT, 1,
                       QA_LABEL_SLOT_BELOW, 0};
    if (qa_plot_place_label(p, &l, &col) < 0) (*dropped)++;
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
                           const char *png, char *why, size_t why_cap, qa_error *err);

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
  int rc = accuracy_figure(src, models, n, png, why, why_cap, err);
  free(models);
  return rc;
}

static int accuracy_figure(const qa_figure_src *src, const size_t *models, size_t n,
                           const char *png, char *why, size_t why_cap, qa_error *err) {
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
  /* The band under each row of panels: as tall as its turned names need. */
  double left = 12.0 + QA_PLOT_LABEL_PT + qa_plot_text_width(&p, "100.0", QA_PLOT_TICK_PT, 0);
  double gap = 16.0 + QA_PLOT_LABEL_PT + qa_plot_text_width(&p, "100.0", QA_PLOT_TICK_PT, 0);
  double panel_w = (QA_PLOT_WIDTH_IN * 72.0 - left - 10.0 - gap * (double)(cols - 1)) /
                   (double)cols;
  double band[12] = {0}, row_y[13] = {18.0};
  for (size_t k = 0; k < n; k++) {
    size_t vars[64], nv = panel_vars(src, models[k], acc_source(src, models[k]), vars, 64);
    names_fit f;
    names_layout(&p, &s->models[models[k]], vars, nv, panel_w / (double)(nv ? nv : 1), &f);
    band[k / cols] = fmax(band[k / cols], f.band);
  }
  qa_plot_end(&p);
  for (size_t r = 0; r < rows; r++) row_y[r + 1] = row_y[r] + panel_h + band[r];
  double ly = row_y[rows] - 10.0;
  if (qa_plot_begin(&p, src->fonts, QA_PLOT_WIDTH_IN,
                    (ly + lh + 16.0 + QA_PLOT_NOTE_PT + 3.0) / 72.0, err))
    return -1;
  size_t dropped = 0;
  for (size_t k = 0; k < n; k++) {
    qa_plot_area a = {left + (double)(k % cols) * (panel_w + gap), row_y[k / cols], 0, 0};
    a.x1 = a.x0 + panel_w;
    a.y1 = a.y0 + panel_h;
    qa_plot_set_panel(&p, (int)k + 1);
    accuracy_panel(&p, src, models[k], acc_source(src, models[k]), &a, s->n_models > 1,
                   &dropped);
  }
  qa_plot_set_panel(&p, 0);
  if (dropped) {
    size_t used = strlen(why);
    qa_plot_fmt(why + used, why_cap - used, "%s%zu %s no room beside %s interval and %s "
                "left out; the tables give every variant's change.", used ? " " : "", dropped,
                dropped == 1 ? "label had" : "labels had", dropped == 1 ? "its" : "their",
                dropped == 1 ? "is" : "are");
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

/*
** Drawing every figure of the report into one directory, in report order,
** with a caption that says what to look for, or one sentence saying why a
** figure has nothing to show.  The figures themselves live in
** figures_dist.c (distributions and spectra), figures_repr.c (per class,
** PCA, radar), figures_quality.c (accuracy, cost, agreement),
** figures_tokens.c (per-token KLD, PPL ratio, KLD by slice) and
** figures_calib.c (reliability diagram), figures_retrieval.c (neighbour overlap by
** k) and figures_depth.c (damage by depth).
**
** This file decides names, order and captions; it never draws.
*/
#include "figures/figures.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/outfile.h"
#include "util/parallel.h"

typedef struct fig_kind {
  int kind;
  const char *name;          /* file name part */
  int per_model;
  double width_frac;
  qa_figure_fn draw;
} fig_kind;

static const fig_kind KINDS[QA_FIG_N_KINDS] = {
  {QA_FIG_COSINE, "cosine", 0, 1.0, qa_figure_cosine},
  {QA_FIG_CLASSES, "classes", 1, 1.0, qa_figure_classes},
  {QA_FIG_PCA, "pca", 1, 1.0, qa_figure_pca},
  {QA_FIG_SPECTRUM, "spectrum", 1, 1.0, qa_figure_spectrum},
  {QA_FIG_RADAR, "radar", 1, 0.9, qa_figure_radar},
  {QA_FIG_ACCURACY, "accuracy", 0, 1.0, qa_figure_accuracy},
  {QA_FIG_COST, "cost", 0, 1.0, qa_figure_cost},
  {QA_FIG_AGREEMENT, "agreement", 0, 1.0, qa_figure_agreement},
  {QA_FIG_KL, "kl", 0, 1.0, qa_figure_kl},
  {QA_FIG_TOK_KLD, "tok-kld", 1, 1.0, qa_figure_tok_kld},
  {QA_FIG_TOK_PPL, "tok-ppl", 0, 1.0, qa_figure_tok_ppl},
  {QA_FIG_TOK_SLICES, "tok-slices", 1, 1.0, qa_figure_tok_slices},
  {QA_FIG_CALIB, "calib", 1, 1.0, qa_figure_calib},
  {QA_FIG_OVERLAP, "overlap", 1, 1.0, qa_figure_overlap},
  {QA_FIG_DEPTH, "depth", 1, 1.0, qa_figure_depth},
};

void qa_figure_title(const qa_study *s, int kind, size_t model, char *buf, size_t cap) {
  static const char *const titles[QA_FIG_N_KINDS] = {
    "Per-sample cosine distance", "Per-class heat map", "PCA projection", "Eigen-spectrum",
    "Multi-metric radar", "Accuracy by variant", "Quality against cost", "Metric agreement",
    "KL divergence distribution", "Per-token KLD distribution", "PPL ratio by variant",
    "Mean KLD by slice", "Reliability diagram", "Neighbour overlap by k",
    "Damage by depth"};
  const char *t = kind >= 1 && kind <= QA_FIG_N_KINDS ? titles[kind - 1] : "Figure";
  char nm[QA_PLOT_NAME_BYTES + 4];
  if (model < s->n_models) qa_plot_fmt(buf, cap, "%s (%s)", t, QA_FIG_SHORT(s->models[model].name, nm));
  else qa_plot_fmt(buf, cap, "%s", t);
}

void qa_figure_caption(const qa_study *s, int kind, size_t model, char *buf, size_t cap) {
  char nm[QA_PLOT_NAME_BYTES + 4];
  const char *m = model < s->n_models ? QA_FIG_SHORT(s->models[model].name, nm) : "";
  switch (kind) {
  case QA_FIG_COSINE:
    qa_plot_fmt(buf, cap, "Per-sample cosine distance (1 \xE2\x88\x92 cosine similarity) between each "
             "variant's hidden states and the baseline's, on a log axis: look at the right tail "
             "and at the p05 and minimum markers, the samples a high mean cosine hides; the "
             "dashed line is cosine 0.99.");
    break;
  case QA_FIG_CLASSES:
    qa_plot_fmt(buf, cap, "Per-class change of each variant of %s against its baseline, one cell "
             "per class and variant: look for the dark cells, classes that lose far more than "
             "the average.", m);
    break;
  case QA_FIG_PCA:
    qa_plot_fmt(buf, cap, "Hidden states of every variant of %s projected on the baseline's first "
             "two principal axes, with the same limits in every panel: class clusters that "
             "blur, merge or drift show structure lost to quantization.", m);
    break;
  case QA_FIG_SPECTRUM:
    qa_plot_fmt(buf, cap, "Eigenvalues of the hidden-state covariance of each variant of %s by "
             "rank, on a log scale: a curve that leaves the baseline's, or an effective rank "
             "that moves, means quantization reshaped the representation.", m);
    break;
  case QA_FIG_RADAR:
    qa_plot_fmt(buf, cap, "Representation and output metrics of each variant of %s on one "
             "fixed scale in every report, 0 at the centre and 1 on the rim: the similarity "
             "metrics as they are (1 = identical to the baseline), the accuracies absolute. "
             "The dashed ring is the baseline at its own values (1 on the similarity spokes, "
             "its accuracy on the accuracy spokes); a polygon that caves in on one spoke shows "
             "which kind of agreement breaks first.", m);
    break;
  case QA_FIG_ACCURACY:
    qa_plot_fmt(buf, cap, "Accuracy of each variant with its Wilson 95%% interval, one panel per "
             "model, over bands of the tier thresholds on the drop from the baseline; a point's "
             "colour is the variant's tier from every signal (benchmark or output accuracy, "
             "generation, critical errors). The ringed variant marked \"cliff\" is the first in "
             "configured order whose tier is not recommended: a variant can be the cliff "
             "through a failed critical-error check or a generation drop while its accuracy "
             "stays in a recommended band.");
    break;
  case QA_FIG_COST:
    qa_plot_fmt(buf, cap, "Quality of every model and variant against its cost per token "
             "(from the %s mean of its decode tok/s, as in the tables), coloured by tier: "
             "variants on a dashed Pareto front are the only ones not beaten on both counts by "
             "another.", s->cfg->throughput_arithmetic ? "arithmetic" : "harmonic");
    break;
  case QA_FIG_AGREEMENT:
    qa_plot_fmt(buf, cap, "Whether each metric calls each variant safe or damaged under the "
             "criterion in its column header: rows that mix both are where the metrics "
             "disagree.");
    break;
  case QA_FIG_KL:
    qa_plot_fmt(buf, cap, "Per-sample KL divergence of each variant's output distribution from "
             "the baseline's (nats, log axis): look at the right tail and at the p99 and "
             "maximum markers.");
    break;
  case QA_FIG_TOK_KLD:
    qa_plot_fmt(buf, cap, "Per-token KL divergence of each variant of %s from the baseline's "
             "next-token distribution: the share of positions whose KLD is at least x, on log "
             "axes. A curve further right is further from the baseline; its upper part is the "
             "bulk of the positions, its lower part the tail, and its marks on the dashed lines "
             "are its p99 and p99.9, the values that 1 %% and 0.1 %% of the positions exceed.", m);
    break;
  case QA_FIG_TOK_PPL:
    qa_plot_fmt(buf, cap, "Perplexity of each variant relative to its baseline's, with the 95%% "
             "interval from the document-clustered standard error of the ln ratio; the dashed "
             "line at 1 is the baseline, and a variant marked \"cliff\" (ringed) is the first "
             "in configured order whose tier is not recommended.");
    break;
  case QA_FIG_TOK_SLICES:
    qa_plot_fmt(buf, cap, "Mean KL divergence of each variant of %s from the baseline by slice of "
             "the evaluated text, darker for larger, with every position in the last row: a "
             "cell much darker than the last row of its column is a kind of text the variant "
             "handles worse; each variant's worst slice is framed.", m);
    break;
  case QA_FIG_CALIB:
    qa_plot_fmt(buf, cap, "Reliability diagram of each variant of %s: the accuracy of the "
             "samples whose largest softmax probability falls in each confidence bin, against "
             "their mean confidence; a marker's area and the bars below (log scale) show how many "
             "samples its bin holds, so that the swings of nearly empty bins read as such. A "
             "variant on the dashed diagonal is calibrated; a point below it is overconfident "
             "(right less often than it claims), and the ECE in the legend is the gap averaged "
             "over the bins, weighted by their samples.", m);
    break;
  case QA_FIG_OVERLAP:
    qa_plot_fmt(buf, cap, "Neighbour overlap of each variant of %s with its baseline at each k: "
             "the share of a sample's k nearest baseline neighbours (cosine, leave-one-out) that "
             "are still among its k nearest in the variant, averaged over the samples. A curve "
             "that rises with k keeps the neighbourhoods but reorders them; a curve low at "
             "every k moved them.", m);
    break;
  case QA_FIG_DEPTH:
    qa_plot_fmt(buf, cap, "Damage by depth in %s: each variant at every hidden layer, in order, "
             "against its baseline: the cosine mean and linear CKA of its states, and the "
             "accuracy of the probe trained on the baseline's states when applied unchanged to "
             "the variant's, over the dashed line of that probe on the baseline's own. Where a "
             "line leaves the others is where the damage starts; a ring marks each layer where "
             "heads trained on the baseline stop working (their accuracy more than the first "
             "tier's threshold below the baseline's own).", m);
    break;
  default:
    qa_plot_fmt(buf, cap, "%s", "");
  }
}

/* A file-name-safe copy of a model name. */
static void slug(const char *name, char *out, size_t cap) {
  size_t k = 0;
  for (const char *c = name; *c && k + 1 < cap && k < 48; c++) {
    char ch = *c;
    int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '-' || ch == '_' || ch == '.';
    out[k++] = ok ? ch : '_';
  }
  out[k] = '\0';
  if (!k || out[0] == '.') snprintf(out, cap, "model");
}

/* "-slug", with the model's index added when another model shares its slug. */
static void model_part(const qa_study *s, size_t m, char *out, size_t cap) {
  char mine[64], other[64];
  slug(s->models[m].name, mine, sizeof mine);
  int clash = 0;
  for (size_t o = 0; o < s->n_models; o++) {
    if (o == m) continue;
    slug(s->models[o].name, other, sizeof other);
    clash |= !strcmp(mine, other);
  }
  if (clash) snprintf(out, cap, "-%zu-%s", m + 1, mine);
  else snprintf(out, cap, "-%s", mine);
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* note (may be empty): what the figure leaves out, added to its caption. */
static int add_figure(qa_figure_list *l, const qa_study *s, const fig_kind *k, size_t model,
                      const char *path, const char *note) {
  char caption[1600];
  qa_figure *grown = realloc(l->figs, (l->n + 1) * sizeof *grown);
  if (!grown) return -1;
  l->figs = grown;
  qa_figure_caption(s, k->kind, model, caption, sizeof caption);
  if (note && *note) {
    size_t used = strlen(caption);
    qa_plot_fmt(caption + used, sizeof caption - used, " %s", note);
  }
  qa_figure *f = &l->figs[l->n];
  f->path = dup_str(path);
  f->caption = dup_str(caption);
  if (!f->path || !f->caption) {
    free(f->path);
    free(f->caption);
    return -1;
  }
  f->number = (int)++l->n;
  f->kind = k->kind;
  f->model = model;
  f->width_frac = k->width_frac;
  return 0;
}

static int add_skip(qa_figure_list *l, const qa_study *s, int kind, size_t model,
                    const char *reason) {
  char title[256];
  qa_figure_skip *grown = realloc(l->skipped, (l->n_skipped + 1) * sizeof *grown);
  if (!grown) return -1;
  l->skipped = grown;
  qa_figure_title(s, kind, model, title, sizeof title);
  qa_figure_skip *k = &l->skipped[l->n_skipped];
  k->kind = kind;
  k->model = model;
  k->title = dup_str(title);
  k->reason = dup_str(reason);
  if (!k->title || !k->reason) {
    free(k->title);
    free(k->reason);
    return -1;
  }
  l->n_skipped++;
  return 0;
}

void qa_figure_list_free(qa_figure_list *l) {
  if (!l) return;
  for (size_t i = 0; i < l->n; i++) {
    free(l->figs[i].path);
    free(l->figs[i].caption);
  }
  for (size_t i = 0; i < l->n_skipped; i++) {
    free(l->skipped[i].title);
    free(l->skipped[i].reason);
  }
  free(l->figs);
  free(l->skipped);
  memset(l, 0, sizeof *l);
}

/* One figure: draw it, then list it or its reason. */
/* One figure to draw: its kind, model, and what drawing it gave. */
typedef struct fig_job {
  const fig_kind *k;
  qa_figure_src src;
  const char *dir;
  char path[4096], why[512];
  int rc;                     /* draw's result, -1 with err */
  qa_error err;
} fig_job;

static void draw_job(fig_job *j) {
  char part[128] = "";
  const qa_figure_src *src = &j->src;
  if (src->model != SIZE_MAX) model_part(src->study, src->model, part, sizeof part);
  if ((size_t)snprintf(j->path, sizeof j->path, "%s/fig%d-%s%s.png", j->dir, j->k->kind,
                       j->k->name, part) >= sizeof j->path) {
    j->rc = qa_error_set(&j->err, QA_EXIT_IO, j->dir, NULL, "figure path too long");
    return;
  }
  j->rc = j->k->draw(src, j->path, j->why, sizeof j->why, &j->err);
}

/* The job's figure (or the reason it was not drawn) into out. */
static int record_job(const fig_job *j, qa_figure_list *out, qa_error *err) {
  if (j->rc < 0) {
    *err = j->err;
    return -1;
  }
  if (j->rc == QA_FIG_NOT_APPLICABLE) return 0;
  if (j->rc == 0 ? add_figure(out, j->src.study, j->k, j->src.model, j->path, j->why)
                 : add_skip(out, j->src.study, j->k->kind, j->src.model,
                            j->why[0] ? j->why : "There is nothing to show."))
    return qa_error_set(err, QA_EXIT_IO, j->path, NULL, "out of memory");
  return 0;
}

/* Workers take the jobs in order; each figure is independent (its own
** surface and file; the fonts are shared, cairo locks its FreeType faces). */
typedef struct fig_pool {
  fig_job *jobs;
  size_t n, next;
  pthread_mutex_t lock;
} fig_pool;

static void *fig_worker(void *arg) {
  fig_pool *pl = *(fig_pool **)arg;
  for (;;) {
    pthread_mutex_lock(&pl->lock);
    size_t i = pl->next++;
    pthread_mutex_unlock(&pl->lock);
    if (i >= pl->n) return NULL;
    draw_job(&pl->jobs[i]);
  }
}

/* The worst tier of model m's variants (higher is worse). */
static size_t worst_tier(const qa_study *s, const qa_analysis *a, size_t m) {
  size_t w = 0;
  for (size_t v = 0; v < s->models[m].n_variants; v++)
    if (!s->models[m].variants[v].is_baseline && a->models[m][v].tier > w)
      w = a->models[m][v].tier;
  return w;
}

/* Which models get the per-model figures: every model up to
** QA_FIG_MAX_MODELS, else the QA_FIG_MAX_MODELS whose variants reach the
** worst tiers (ties: configuration order), drawn in configuration order.
** Four figures a model for hundreds of models would be a report nobody
** reads and minutes of drawing (docs/figures.md "Large studies"). */
static void pick_models(const qa_study *s, const qa_analysis *a, char *drawn) {
  size_t n = s->n_models;
  if (n <= QA_FIG_MAX_MODELS) { memset(drawn, 1, n); return; }
  memset(drawn, 0, n);
  for (size_t k = 0; k < QA_FIG_MAX_MODELS; k++) {
    size_t best = SIZE_MAX, best_tier = 0;
    for (size_t m = 0; m < n; m++) {
      if (drawn[m]) continue;
      size_t t = worst_tier(s, a, m);
      if (best == SIZE_MAX || t > best_tier) { best = m; best_tier = t; }
    }
    drawn[best] = 1;
  }
}

/* 1 when some variant has token-level results (figures 10 to 12 apply). */
static int has_tokens(const qa_study *s, const qa_analysis *a) {
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      if (a->models[m][v].tokens.present) return 1;
  return 0;
}

static int note_models_left_out(qa_figure_list *out, size_t n_models, int tokens) {
  char reason[320];
  qa_plot_fmt(reason, sizeof reason, "with %zu models, these are drawn for the %d whose "
              "variants reach the worst tiers (ties in configuration order); the tables and "
              "report.json cover the other %zu.", n_models, QA_FIG_MAX_MODELS,
              n_models - QA_FIG_MAX_MODELS);
  qa_figure_skip *grown = realloc(out->skipped, (out->n_skipped + 1) * sizeof *grown);
  if (!grown) return -1;
  out->skipped = grown;
  qa_figure_skip *k = &out->skipped[out->n_skipped];
  k->kind = 0;
  k->model = SIZE_MAX;
  k->title = dup_str(tokens ? "Per-class heat maps, PCA projections, eigen-spectra, radars, "
                              "per-token KLD distributions, KLD by slice, reliability "
                              "diagrams, neighbour overlap by k and damage by depth"
                            : "Per-class heat maps, PCA projections, eigen-spectra, radars, "
                              "reliability diagrams, neighbour overlap by k and damage by "
                              "depth");
  k->reason = dup_str(reason);
  if (!k->title || !k->reason) {
    free(k->title);
    free(k->reason);
    return -1;
  }
  out->n_skipped++;
  return 0;
}

int qa_figures_render_all(const qa_study *s, const qa_analysis *a, const char *fonts_dir,
                          const char *dir, int threads, qa_figure_list *out, qa_error *err) {
  qa_plot_fonts *fonts = NULL;
  memset(out, 0, sizeof *out);
  char *drawn = calloc(s->n_models + 1, 1);
  if (!drawn) return qa_error_set(err, QA_EXIT_IO, dir, NULL, "out of memory");
  if (qa_mkdirs(dir, err) || qa_plot_fonts_load(fonts_dir ? fonts_dir : "fonts", &fonts, err)) {
    free(drawn);
    return -1;
  }
  pick_models(s, a, drawn);
  /* Every figure to draw, in the list's order; drawn on up to `threads`
  ** workers, recorded in order (the list and the first error do not
  ** depend on the timing). */
  size_t cap = 0, nj = 0;
  for (size_t k = 0; k < QA_FIG_N_KINDS; k++)
    cap += KINDS[k].per_model ? s->n_models : 1;
  fig_job *jobs = calloc(cap ? cap : 1, sizeof *jobs);
  int rc = 0;
  if (!jobs) rc = qa_error_set(err, QA_EXIT_IO, dir, NULL, "out of memory");
  for (size_t k = 0; !rc && k < QA_FIG_N_KINDS; k++)
    for (size_t m = 0; m < (KINDS[k].per_model ? s->n_models : 1); m++) {
      if (KINDS[k].per_model && !drawn[m]) continue;
      fig_job *j = &jobs[nj++];
      j->k = &KINDS[k];
      j->src = (qa_figure_src){s, a, fonts, KINDS[k].per_model ? m : SIZE_MAX};
      j->dir = dir;
    }
  if (!rc) {
    int w = threads < 1 ? 1 : threads > 8 ? 8 : threads;
    if ((size_t)w > nj) w = nj ? (int)nj : 1;
    if (qa_plot_has_observer()) w = 1;   /* the observer sees one figure at a time */
    fig_pool pl = {jobs, nj, 0, PTHREAD_MUTEX_INITIALIZER};
    fig_pool *args[8];
    for (int t = 0; t < w; t++) args[t] = &pl;
    if (w > 1) qa_run_parallel(fig_worker, args, sizeof args[0], w);
    else fig_worker(&args[0]);
  }
  for (size_t i = 0; !rc && i < nj; i++) rc = record_job(&jobs[i], out, err);
  free(jobs);
  if (!rc && s->n_models > QA_FIG_MAX_MODELS &&
      note_models_left_out(out, s->n_models, has_tokens(s, a)))
    rc = qa_error_set(err, QA_EXIT_IO, dir, NULL, "out of memory");
  qa_plot_fonts_free(fonts);
  free(drawn);
  if (rc) qa_figure_list_free(out);
  return rc;
}

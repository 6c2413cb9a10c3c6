/*
** The report's figures (INTERFACE.md section 5): each one a PNG drawn with
** src/plot/plot.h from the numbers of the analysis, never from a file.
**
** Every figure function returns 0 when it drew the PNG, 1 when there is
** nothing to show (it then writes one sentence saying why into `why`, for
** the report to print in the figure's place), and -1 with err set on
** failure.  Nothing here decides a number: the figures show what
** src/analysis computed (the same p05, min, tier, Wilson bounds as the
** tables), so a figure and a table cannot disagree.
**
** A figure of a family the study does not have at all (the token figures
** of a study without /tokens) returns QA_FIG_NOT_APPLICABLE instead: it is
** neither drawn nor listed among the figures not drawn.
**
** qa_figures_render_all draws every applicable figure into one directory
** and lists them, in report order, with their captions.  Figures 2 to 5,
** 10, 12, 13, 14 and 15 are drawn once per model; the others show every model at
** once.
*/
#ifndef QA_FIGURES_H
#define QA_FIGURES_H

#include <stddef.h>

#include "analysis/analysis.h"
#include "input/study.h"
#include "plot/plot.h"
#include "util/error.h"

/* The kinds of figure, numbered as in the report. */
enum {
  QA_FIG_COSINE = 1,     /* per-sample cosine distance distributions */
  QA_FIG_CLASSES,        /* per-class heat map (per model) */
  QA_FIG_PCA,            /* PCA projection on the baseline's axes (per model) */
  QA_FIG_SPECTRUM,       /* eigen-spectrum (per model) */
  QA_FIG_RADAR,          /* multi-metric radar (per model) */
  QA_FIG_ACCURACY,       /* accuracy with Wilson intervals and tier bands */
  QA_FIG_COST,           /* quality against cost, Pareto front */
  QA_FIG_AGREEMENT,      /* metric agreement grid */
  QA_FIG_KL,             /* per-sample KL distributions */
  QA_FIG_TOK_KLD,        /* per-token KLD distribution (per model) */
  QA_FIG_TOK_PPL,        /* PPL ratio with its 95% interval */
  QA_FIG_TOK_SLICES,     /* mean KLD by slice and variant (per model) */
  QA_FIG_CALIB,          /* reliability diagram (per model) */
  QA_FIG_OVERLAP,        /* neighbour overlap against k (per model) */
  QA_FIG_DEPTH,          /* damage by depth: every layer (per model) */
  QA_FIG_N_KINDS = QA_FIG_DEPTH
};

typedef struct qa_figure {
  char *path;            /* DIR/figK-name.png, or DIR/figK-name-MODEL.png */
  char *caption;         /* one sentence; the document adds "Figure N:" */
  int number;            /* 1-based position in the list */
  int kind;              /* QA_FIG_* */
  size_t model;          /* the model of a per-model figure, else SIZE_MAX */
  double width_frac;     /* width to place it at (qa_doc_figure_png) */
} qa_figure;

typedef struct qa_figure_skip {
  int kind;
  size_t model;          /* SIZE_MAX when the figure covers every model */
  char *title;           /* "PCA projection (vit-b16)" */
  char *reason;          /* one sentence */
} qa_figure_skip;

typedef struct qa_figure_list {
  size_t n;
  qa_figure *figs;
  size_t n_skipped;
  qa_figure_skip *skipped;
} qa_figure_list;

/* The per-model figures (2 to 5, 10, 12 to 15) are drawn for at most this many models;
** a larger study gets them for the models that reach the worst tiers, and
** a note in the list of figures not drawn. */
#define QA_FIG_MAX_MODELS 12

/* Draws every figure that has data into dir (created if missing), with the
** DejaVu fonts of fonts_dir, on up to `threads` workers (the list is the
** same for any number), and fills out (free with qa_figure_list_free;
** zeroed on failure).  Fails only on I/O (fonts, PNG writes) or memory. */
int qa_figures_render_all(const qa_study *s, const qa_analysis *a, const char *fonts_dir,
                          const char *dir, int threads, qa_figure_list *out, qa_error *err);
void qa_figure_list_free(qa_figure_list *l);   /* safe on a zeroed list */

/* The caption of a figure kind for a model (or every model: SIZE_MAX). */
void qa_figure_caption(const qa_study *s, int kind, size_t model, char *buf, size_t cap);
/* Its short title, e.g. "Per-class heat map (vit-b16)". */
void qa_figure_title(const qa_study *s, int kind, size_t model, char *buf, size_t cap);

/* A name as figure titles, captions and notes print it: at most
** QA_PLOT_NAME_BYTES, then an ellipsis (buf: a char array of at least
** QA_PLOT_NAME_BYTES + 4).  report.json keeps the whole name. */
#define QA_FIG_SHORT(name, buf) qa_plot_short((name), QA_PLOT_NAME_BYTES, (buf), sizeof(buf))

/* ---- one figure each ---------------------------------------------------- */

/* What a figure is drawn from; model is used by the per-model figures. */
typedef struct qa_figure_src {
  const qa_study *study;
  const qa_analysis *analysis;
  const qa_plot_fonts *fonts;
  size_t model;
} qa_figure_src;

#define QA_FIG_NOT_APPLICABLE 2

/* Returns 0 (drawn), 1 (nothing to show: why says why),
** QA_FIG_NOT_APPLICABLE or -1.  A figure
** that drew only part of what it could (the rows with the worst tails of a
** large study) returns 0 with a sentence in why saying so, which is added
** to its caption. */
typedef int (*qa_figure_fn)(const qa_figure_src *src, const char *png_path, char *why,
                            size_t why_cap, qa_error *err);

/* figures_dist.c */
int qa_figure_cosine(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                     qa_error *err);
int qa_figure_kl(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                 qa_error *err);
int qa_figure_spectrum(const qa_figure_src *src, const char *png_path, char *why,
                       size_t why_cap, qa_error *err);
/* figures_repr.c */
int qa_figure_classes(const qa_figure_src *src, const char *png_path, char *why,
                      size_t why_cap, qa_error *err);
int qa_figure_pca(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                  qa_error *err);
int qa_figure_radar(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                    qa_error *err);
/* Where figure 5 of src->model puts its centre (cx, cy) and its rim (radius
** rim), in points on its canvas: a value v of a spoke is drawn at
** radius v · rim, the same scale (0 at the centre, 1 on the rim) in every
** report.  Returns 0, 1 when there is no radar, -1 on failure. */
int qa_figure_radar_frame(const qa_figure_src *src, double *cx, double *cy, double *rim,
                          qa_error *err);
/* figures_quality.c */
int qa_figure_accuracy(const qa_figure_src *src, const char *png_path, char *why,
                       size_t why_cap, qa_error *err);
int qa_figure_cost(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                   qa_error *err);
/* The x titles of figure 7's panels: cost (use_usd) or throughput, naming
** the mean of tok/s the results use (deploy.throughput_mean), and memory,
** naming deploy.memory_unit ("GB" or "GiB"). */
void qa_figure_cost_title(const qa_config *cfg, int use_usd, char *buf, size_t cap);
void qa_figure_memory_title(const qa_config *cfg, char *buf, size_t cap);
int qa_figure_agreement(const qa_figure_src *src, const char *png_path, char *why,
                        size_t why_cap, qa_error *err);
/* The column headers of figure 8 ("Cosine mean", ..., "Output accuracy",
** "Benchmark", ...: the criteria some variant has data for, in order, the
** tier column not counted); fills at most cap names and returns how many
** there are. */
size_t qa_figure_agreement_columns(const qa_figure_src *src, const char **names, size_t cap);
/* figures_tokens.c: token-level outputs (a->models[m][v].tokens). */
int qa_figure_tok_kld(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                      qa_error *err);
int qa_figure_tok_ppl(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                      qa_error *err);
int qa_figure_tok_slices(const qa_figure_src *src, const char *png_path, char *why,
                         size_t why_cap, qa_error *err);
/* figures_calib.c: the reliability diagram (a->models[m][v].out.calib). */
int qa_figure_overlap(const qa_figure_src *src, const char *png_path, char *why,
                      size_t why_cap, qa_error *err);
int qa_figure_calib(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                    qa_error *err);
/* figures_depth.c: damage by depth (a->depth[m]). */
int qa_figure_depth(const qa_figure_src *src, const char *png_path, char *why, size_t why_cap,
                    qa_error *err);

#endif

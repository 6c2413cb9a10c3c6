/*
** `make bench` section 5: how the representation analysis scales with the
** number of samples N, against the bare GEMMs it cannot avoid.
**
** For each N it builds a study in memory (no cache file, no Python): ten
** class centres drawn N(0, 1) in D = 768 dimensions, a baseline of
** centre + 1.5 N(0, 1) noise and one variant of baseline + 0.05 N(0, 1)
** noise, in float32 as bench/make_data.py writes them, widened to double
** as the cache reader does; seeded, so every run sees the same states.  It
** times qa_analysis_representation (the code path of `qaudit report` and
** build/bench_repr) and two floors (bench/floor.c, shared with
** bench_repr: the N x N products in double, and in float32 as qaudit's kNN
** and coverage compute them), best of two runs of each, interleaved (one run
** where a run takes over two minutes); prints a table to paste into
** docs/performance.md, writes OUT.csv beside OUT.png and draws OUT.png
** with src/plot, log-log, with a faint N² guide.
**
** usage: bench_scaling OUT.png [N ...]       (default N: 1000 ... 50000)
** BENCH_ONCE=1: one run of each; BENCH_SCALING_PARTS=1: also time the
** parts of the analysis one by one (a second table); QAUDIT_FONTS: the
** fonts folder (default fonts/, else ../fonts beside the program).
**
** It measures and draws; it never writes into src/ nor changes how the
** analysis runs.
*/
#include <cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "analysis/coverage.h"
#include "analysis/repr.h"
#include "floor.h"
#include "input/config.h"
#include "input/study.h"
#include "plot/plot.h"

#define DIM 768
#define N_CLASSES 10
#define SEED 20240613u
#define MAX_N 64
/* Best of REPEATS runs of each, interleaved; but when one run of the
** analysis and the floors took over SLOW_RUN_S, that one run is all (N =
** 50,000 takes about five minutes a run on two cores), so that the whole
** default run stays near ten minutes. */
#define REPEATS 2
#define SLOW_RUN_S 120.0

static const size_t DEFAULT_N[] = {1000, 2000, 5000, 10000, 20000, 50000};

/* Two variants of one model; the files are never opened (the config only
** names them, so that qa_config_parse fills in every default). */
static const char CONFIG[] =
    "{\"title\": \"bench_scaling\", \"layer\": \"final\", \"models\": [{\"name\": \"bench\", "
    "\"baseline\": \"fp32\", \"variants\": [{\"name\": \"fp32\", \"file\": \"fp32.h5\"}, "
    "{\"name\": \"v1\", \"file\": \"v1.h5\"}]}]}";

typedef struct row {
  size_t n;
  int repeats;
  double repr_s, floor_s, floor32_s;   /* floor32: the kNN Gram in float32 */
  double cos_mean, knn_accuracy, overlap, spearman, cka;   /* the variant's */
} row;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---- synthetic states ---------------------------------------------------- */

/* splitmix64 (Steele, Lea & Flood 2014): a seeded stream, the same on every
** machine. */
static uint64_t next_u64(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Uniform in (0, 1): 53 bits, never 0 (Box–Muller takes its log). */
static double uniform(uint64_t *s) { return ((double)(next_u64(s) >> 11) + 0.5) * 0x1p-53; }

/* Standard normals in pairs (Box & Muller 1958), as float32. */
static void normals(uint64_t *s, float *out, size_t n) {
  for (size_t i = 0; i < n; i += 2) {
    double r = sqrt(-2.0 * log(uniform(s))), t = 2.0 * M_PI * uniform(s);
    out[i] = (float)(r * cos(t));
    if (i + 1 < n) out[i + 1] = (float)(r * sin(t));
  }
}

static qa_cache *synthetic_cache(const char *name, size_t n, size_t d, const int32_t *labels) {
  qa_cache *c = calloc(1, sizeof *c);
  char path[64];
  snprintf(path, sizeof path, "synthetic:%s", name);
  if (!c) return NULL;
  c->path = strdup(path);
  c->variant = strdup(name);
  c->layer = strdup("final");
  c->n_samples = n;
  c->dim = d;
  c->hidden = malloc(n * d * sizeof *c->hidden);
  c->labels = malloc(n * sizeof *c->labels);
  if (!c->path || !c->variant || !c->layer || !c->hidden || !c->labels) {
    qa_cache_free(c);
    return NULL;
  }
  memcpy(c->labels, labels, n * sizeof *labels);
  return c;
}

/* The study of N samples: baseline and one variant, aligned by
** construction (row i is sample i in both); freed with qa_study_free. */
static qa_study *synthetic_study(const qa_config *cfg, size_t n, size_t d) {
  uint64_t seed = SEED;
  qa_study *s = calloc(1, sizeof *s);
  int32_t *labels = malloc(n * sizeof *labels);
  float *centres = malloc(N_CLASSES * d * sizeof *centres), *noise = malloc(d * sizeof *noise);
  int ok = s && labels && centres && noise;
  /* Filled as it is allocated, so that qa_study_free undoes any part. */
  if (ok && (s->models = calloc(1, sizeof *s->models))) s->n_models = 1;
  qa_model *m = ok ? s->models : NULL;
  if (m && (m->variants = calloc(2, sizeof *m->variants))) m->n_variants = 2;
  ok = m && m->variants && (m->name = strdup("bench"));
  if (ok) {
    s->cfg = cfg;
    m->baseline = 0;
    m->n_classes = N_CLASSES;
    for (size_t i = 0; i < n; i++) labels[i] = (int32_t)(next_u64(&seed) % N_CLASSES);
    normals(&seed, centres, N_CLASSES * d);
    for (size_t k = 0; k < 2; k++) {
      qa_variant *v = &m->variants[k];
      v->cfg = &cfg->models[0].variants[k];
      v->name = strdup(k ? "v1" : "fp32");
      v->is_baseline = k == 0;
      v->cache = synthetic_cache(k ? "v1" : "fp32", n, d, labels);
      ok = ok && v->name && v->cache;
    }
  }
  for (size_t i = 0; ok && i < n; i++) {
    const float *c = centres + (size_t)labels[i] * d;
    double *x = m->variants[0].cache->hidden + i * d, *y = m->variants[1].cache->hidden + i * d;
    normals(&seed, noise, d);
    for (size_t j = 0; j < d; j++) x[j] = (float)(c[j] + 1.5f * noise[j]);
    normals(&seed, noise, d);
    for (size_t j = 0; j < d; j++) y[j] = (float)((float)x[j] + 0.05f * noise[j]);
  }
  free(labels); free(centres); free(noise);
  if (ok) return s;
  qa_study_free(s);
  return NULL;
}

/* ---- what is timed ------------------------------------------------------- */


static void free_results(qa_variant_result *res, size_t n) {
  for (size_t vi = 0; res && vi < n; vi++) {
    qa_repr_result *r = &res[vi].repr;
    free(r->per_class); free(r->cosine); free(r->spectrum); free(r->pca_xy);
    free(r->neighbors); free(r->knn_pred); free(r->worst);
  }
  free(res);
}

/* Best of `repeats` runs of the analysis and of the floors, interleaved
** against a noisy machine; fewer when a run takes over SLOW_RUN_S
** (out->repeats says how many ran). */
static int measure(const qa_config *cfg, size_t n, int repeats, row *out) {
  qa_study *s = synthetic_study(cfg, n, DIM);
  qa_error err = {0};
  if (!s) { fprintf(stderr, "bench_scaling: out of memory at N = %zu\n", n); return -1; }
  const qa_model *m = &s->models[0];
  memset(out, 0, sizeof *out);
  out->n = n;
  out->repeats = repeats;
  out->repr_s = out->floor_s = out->floor32_s = INFINITY;
  for (int rep = 0; rep < repeats; rep++) {
    double t_run = now();
    qa_variant_result *res = calloc(m->n_variants, sizeof *res);
    double t0 = now();
    if (!res || qa_analysis_representation(s, 0, res, 0, NULL, &err)) {
      fprintf(stderr, "bench_scaling: %s\n", res ? err.msg : "out of memory");
      free_results(res, m->n_variants);
      qa_study_free(s);
      return -1;
    }
    out->repr_s = fmin(out->repr_s, now() - t0);
    const qa_repr_result *r = &res[1].repr;
    out->cos_mean = r->cos_mean; out->knn_accuracy = r->knn_accuracy;
    out->overlap = r->neighbor_overlap; out->spearman = r->spearman_rho;
    out->cka = r->cka_linear;
    free_results(res, m->n_variants);
    out->floor_s = fmin(out->floor_s, qa_bench_gemm_floor(m, (size_t)cfg->pairs_max, 0));
    out->floor32_s = fmin(out->floor32_s, qa_bench_gemm_floor(m, (size_t)cfg->pairs_max, 1));
    if (now() - t_run > SLOW_RUN_S) {
      out->repeats = rep + 1;
      break;
    }
  }
  qa_study_free(s);
  return 0;
}

/* The neighbour lists' length the analysis ranks (representation.c's
** lists_length): knn_k, or the largest overlap_ks below n when larger. */
static size_t lists_length(const qa_config *cfg, size_t n) {
  size_t k = (size_t)cfg->knn_k;
  for (size_t j = 0; j < cfg->n_overlap_ks; j++)
    if ((size_t)cfg->overlap_ks[j] < n && (size_t)cfg->overlap_ks[j] > k)
      k = (size_t)cfg->overlap_ks[j];
  return k;
}

/* One tiled upper-triangle Gram of y (n x d), in double or (yf) float32. */
static double gram_s(const double *y, const float *yf, size_t n, size_t d, double *tileout) {
  double t0 = now();
  for (size_t r = 0; r < n; r += 2048) {
    size_t rows = n - r < 2048 ? n - r : 2048;
    if (yf)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)(n - r), (int)d,
                  1.0f, yf + r * d, (int)d, yf + r * d, (int)d, 0.0f, (float *)tileout,
                  (int)(n - r));
    else
      cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)(n - r), (int)d,
                  1.0, y + r * d, (int)d, y + r * d, (int)d, 0.0, tileout, (int)(n - r));
  }
  return now() - t0;
}

enum { P_GRAM, P_GRAM32, P_KNN_K, P_KNN_LISTS, P_COV_REF, P_COV_VS, P_SP_REF, P_SP_VS,
       P_SPECTRA, P_CKA_PCA, P_COS, N_PARTS };

/* BENCH_SCALING_PARTS=1: the analysis' parts one at a time, through
** repr.h and coverage.h (one run each; the variant's side where a part is
** per cache), beside the kNN's bare Gram in double and in float32: where
** the time above the floor goes. */
static void measure_parts(const qa_config *cfg, size_t n) {
  qa_study *s = synthetic_study(cfg, n, DIM);
  qa_error err = {0};
  size_t d = DIM, k = (size_t)cfg->knn_k, kl = lists_length(cfg, n);
  int32_t *nbr = malloc(n * kl * sizeof *nbr);
  double *eig = malloc(d * sizeof *eig), *axes = malloc(2 * d * sizeof *axes);
  double *mean = malloc(d * sizeof *mean), *tileout = malloc(2048 * n * sizeof *tileout);
  double *cos = malloc(n * sizeof *cos), t[N_PARTS + 1];
  float *yf = malloc(n * d * sizeof *yf);
  qa_spearman_ref *sref = NULL;
  qa_coverage_ref *cref = NULL;
  if (!s || !nbr || !eig || !axes || !mean || !tileout || !cos || !yf) {
    fprintf(stderr, "bench_scaling: out of memory at N = %zu\n", n);
    goto done;
  }
  const double *x = s->models[0].variants[0].cache->hidden;
  const double *y = s->models[0].variants[1].cache->hidden;
  double fx = 0, fy = 0, rho = NAN, cka = NAN;
  qa_coverage_result cov;
  for (size_t i = 0; i < n * d; i++) yf[i] = (float)y[i];
  t[P_GRAM] = gram_s(y, NULL, n, d, tileout);
  t[P_GRAM32] = gram_s(y, yf, n, d, tileout);
  double t0 = now();
  int rc = qa_knn_compute(y, n, d, k, 0, nbr, &err);
  t[P_KNN_K] = now() - t0; t0 = now();
  rc = rc || qa_knn_compute(y, n, d, kl, 0, nbr, &err);
  t[P_KNN_LISTS] = now() - t0; t0 = now();
  rc = rc || qa_coverage_ref_new(x, n, d, k, 0, QA_COVERAGE_FLOAT32, &cref, &err);
  t[P_COV_REF] = now() - t0; t0 = now();
  rc = rc || qa_coverage_density_ref(cref, y, n, &cov, &err);
  t[P_COV_VS] = now() - t0; t0 = now();
  rc = rc || qa_repr_spearman_ref_new(x, n, d, (size_t)cfg->pairs_max, &sref, &err);
  t[P_SP_REF] = now() - t0; t0 = now();
  rc = rc || qa_repr_spearman_vs(sref, y, &rho, NULL, &err);
  t[P_SP_VS] = now() - t0; t0 = now();
  rc = rc || qa_repr_data_spectrum(x, n, d, QA_REPR_PATH_AUTO, eig, &fx, &err) ||
       qa_repr_data_spectrum(y, n, d, QA_REPR_PATH_AUTO, eig, &fy, &err);
  t[P_SPECTRA] = now() - t0; t0 = now();
  rc = rc || qa_repr_cka_linear_known(x, y, n, d, fx, fy, &cka, &err) ||
       qa_repr_pca_axes(x, n, d, mean, axes, &err);
  t[P_CKA_PCA] = now() - t0; t0 = now();
  qa_repr_cosine(x, y, n, d, cos);
  (void)qa_repr_sqnr_db(x, y, n, d);
  t[P_COS] = now() - t0;
  if (rc) { fprintf(stderr, "bench_scaling: %s\n", err.msg); goto done; }
  printf("| %zu |", n);
  for (int i = 0; i < N_PARTS; i++) printf(" %.3f |", t[i]);
  printf("\n");
  fflush(stdout);
done:
  qa_coverage_ref_free(cref);
  qa_repr_spearman_ref_free(sref);
  free(nbr); free(eig); free(axes); free(mean); free(tileout); free(cos); free(yf);
  qa_study_free(s);
}

static void parts_header(const qa_config *cfg, size_t n_max) {
  printf("\nThe analysis' parts, one run each, in seconds (the variant's side of each; "
         "kNN lists of %zu for the overlaps):\n\n"
         "| N | kNN Gram, double | kNN Gram, float32 | kNN, k = %d | kNN, k = %zu | "
         "coverage ref | coverage, variant | Spearman ref | Spearman, variant | 2 spectra | "
         "CKA + PCA axes | cosine + SQNR |\n"
         "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
         lists_length(cfg, n_max), cfg->knn_k, lists_length(cfg, n_max));
}

/* ---- output -------------------------------------------------------------- */

/* "50,000" */
static void thousands(size_t v, char *buf, size_t cap) {
  if (v >= 1000) snprintf(buf, cap, "%zu,%03zu", v / 1000, v % 1000);
  else snprintf(buf, cap, "%zu", v);
}

static int write_csv(const char *path, const row *rows, size_t n_rows) {
  FILE *f = fopen(path, "w");
  if (!f) { perror(path); return -1; }
  fprintf(f, "n,d,variants,repeats,repr_s,floor_s,floor_f32_s,ratio,ratio_f32\n");
  for (size_t i = 0; i < n_rows; i++)
    fprintf(f, "%zu,%d,2,%d,%.4f,%.4f,%.4f,%.3f,%.3f\n", rows[i].n, DIM, rows[i].repeats,
            rows[i].repr_s, rows[i].floor_s, rows[i].floor32_s, rows[i].repr_s / rows[i].floor_s,
            rows[i].repr_s / rows[i].floor32_s);
  if (fclose(f)) { perror(path); return -1; }
  return 0;
}

/* ---- the figure ---------------------------------------------------------- */

static const qa_rgb INK = {0.15, 0.15, 0.15}, GUIDE = {0.62, 0.62, 0.62};
/* Below the plot area: tick labels, two ratio rows, the axis title. */
#define RATIO_DY (5.0 + QA_PLOT_TICK_PT + 4.0)
#define RATIO_ROW (QA_PLOT_NOTE_PT + 3.0)
#define X_TITLE_DY (RATIO_DY + 2.0 * RATIO_ROW + 3.0)

/* The three lines: the analysis and its two floors. */
enum { SER_REPR, SER_FLOOR, SER_FLOOR32, N_SER };
static const int SER_MARK[N_SER] = {QA_MARK_CIRCLE, QA_MARK_SQUARE, QA_MARK_DIAMOND};

static double value(const row *r, int ser) {
  return ser == SER_REPR ? r->repr_s : ser == SER_FLOOR ? r->floor_s : r->floor32_s;
}

static qa_rgb ser_color(int ser) {
  return QA_OKABE_ITO[ser == SER_REPR ? 5 : ser == SER_FLOOR ? 1 : 3];
}

static void polyline(qa_plot *p, const qa_plot_axis *x, const qa_plot_axis *y, const row *rows,
                     size_t n_rows, int ser) {
  for (size_t i = 0; i < n_rows; i++) {
    double px = qa_plot_map(&x->s, (double)rows[i].n), py = qa_plot_map(&y->s, value(&rows[i], ser));
    if (i) cairo_line_to(p->cr, px, py);
    else cairo_move_to(p->cr, px, py);
  }
  qa_plot_color(p, ser_color(ser), 1.0);
  cairo_set_line_width(p->cr, 1.3);
  cairo_stroke(p->cr);
  for (size_t i = 0; i < n_rows; i++)
    qa_plot_marker(p, SER_MARK[ser], qa_plot_map(&x->s, (double)rows[i].n),
                   qa_plot_map(&y->s, value(&rows[i], ser)), 5.0, ser_color(ser));
}

/* The N² guide through the double floor's largest-N point, dashed, faint. */
static void n2_guide(qa_plot *p, const qa_plot_axis *x, const qa_plot_axis *y,
                     const qa_plot_area *a, const row *last) {
  double c = last->floor_s / ((double)last->n * (double)last->n);
  double n0 = fmax(x->s.d0, sqrt(y->s.d0 / c)), n1 = x->s.d1;
  const double dash[2] = {4.0, 2.5};
  cairo_save(p->cr);
  cairo_rectangle(p->cr, a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0);
  cairo_clip(p->cr);
  cairo_set_dash(p->cr, dash, 2, 0);
  cairo_move_to(p->cr, qa_plot_map(&x->s, n0), qa_plot_map(&y->s, c * n0 * n0));
  cairo_line_to(p->cr, qa_plot_map(&x->s, n1), qa_plot_map(&y->s, c * n1 * n1));
  qa_plot_color(p, GUIDE, 1.0);
  cairo_set_line_width(p->cr, 0.8);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
}

/* x tick labels as plain numbers with thousands separators ("50,000"),
** which read better at this range than 5×10⁴; and the axis title. */
static void x_labels(qa_plot *p, const qa_plot_axis *x, const qa_plot_area *a) {
  char buf[32];
  for (int i = 0; i < x->n_ticks; i++) {
    thousands((size_t)llround(x->ticks[i]), buf, sizeof buf);
    qa_plot_text(p, buf, qa_plot_map(&x->s, x->ticks[i]), a->y1 + 5.0, QA_PLOT_TICK_PT, 0, 0.5,
                 0.0, INK);
  }
  qa_plot_text(p, x->title, 0.5 * (a->x0 + a->x1), a->y1 + X_TITLE_DY, QA_PLOT_LABEL_PT, 0,
               0.5, 0.0, INK);
}

/* Under each N, qaudit's time over each floor's, one row a floor in that
** floor's colour (darkened to read as text): clear of every curve however
** close the lines run. */
static void ratio_rows(qa_plot *p, const qa_plot_axis *x, const qa_plot_area *a,
                       const row *rows, size_t n_rows) {
  char buf[32];
  for (int ser = SER_FLOOR; ser <= SER_FLOOR32; ser++)
    for (size_t i = 0; i < n_rows; i++) {
      snprintf(buf, sizeof buf, "%.2f\xC3\x97", rows[i].repr_s / value(&rows[i], ser));
      qa_plot_text(p, buf, qa_plot_map(&x->s, (double)rows[i].n),
                   a->y1 + RATIO_DY + (ser - SER_FLOOR) * RATIO_ROW, QA_PLOT_NOTE_PT, 1, 0.5, 0.0,
                   qa_plot_mix(ser_color(ser), INK, 0.5));
    }
}

/* "one run of each", "best of 2 runs of each, interleaved", or "best of 2
** runs of each, interleaved (one at N = 50,000)" when the slow ones ran
** once. */
static void runs_note(const row *rows, size_t n_rows, char *buf, size_t cap) {
  int most = 1;
  size_t used = 0;
  for (size_t i = 0; i < n_rows; i++) most = rows[i].repeats > most ? rows[i].repeats : most;
  if (most == 1) { snprintf(buf, cap, "one run of each"); return; }
  used = (size_t)snprintf(buf, cap, "best of %d runs of each, interleaved", most);
  for (size_t i = 0, k = 0; i < n_rows && used < cap; i++) {
    if (rows[i].repeats == most) continue;
    char nb[32];
    thousands(rows[i].n, nb, sizeof nb);
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", k++ ? ", " : " (one at N = ", nb);
  }
  if (used < cap && strchr(buf, '(')) snprintf(buf + used, cap - used, ")");
}

static int draw(const char *png, const char *fonts_dir, const qa_config *cfg, const row *rows,
                size_t n_rows, int threads, qa_error *err) {
  qa_plot_fonts *fonts = NULL;
  qa_plot p = {0};
  qa_plot_axis x, y;
  double lo = INFINITY, hi = 0;
  int rc = -1;
  for (size_t i = 0; i < n_rows; i++)
    for (int ser = 0; ser < N_SER; ser++) {
      lo = fmin(lo, value(&rows[i], ser));
      hi = fmax(hi, value(&rows[i], ser));
    }
  if (qa_plot_axis_init(&x, (double)rows[0].n, (double)rows[n_rows - 1].n, 1, 8, 1, 0, 1) ||
      qa_plot_axis_init(&y, lo, hi, 1, 6, 1, 1, 0))
    return qa_error_set(err, QA_EXIT_IO, png, NULL, "cannot scale the axes");
  x.title = "Samples N (log scale); under each N, qaudit\xE2\x80\x99s time / each floor\xE2\x80\x99s, "
            "in the floor\xE2\x80\x99s colour";
  y.title = "Seconds (log scale)";
  qa_plot_key keys[4] = {
      {"qaudit representation analysis (baseline + 1 variant)", ser_color(SER_REPR),
       QA_KEY_LINE_MARKER, SER_MARK[SER_REPR], 0},
      {"bare-GEMM floor, kNN Gram in double", ser_color(SER_FLOOR), QA_KEY_LINE_MARKER,
       SER_MARK[SER_FLOOR], 0},
      {"the same, kNN Gram in float32 (sgemm)", ser_color(SER_FLOOR32), QA_KEY_LINE_MARKER,
       SER_MARK[SER_FLOOR32], 0},
      {"\xE2\x88\x9D N\xC2\xB2, through the double floor at the largest N", GUIDE, QA_KEY_DASHED,
       0, 0}};
  char runs[120], pairs[32], note[240];
  runs_note(rows, n_rows, runs, sizeof runs);
  qa_plot_format_log_tick((double)cfg->pairs_max, pairs, sizeof pairs);
  snprintf(note, sizeof note, "D = %d, k = %d, Spearman on at most %s pairs, %d threads; %s",
           DIM, cfg->knn_k, pairs, threads, runs);
  if (qa_plot_fonts_load(fonts_dir, &fonts, err)) return -1;
  double lw, lh, width = 6.0 * 72.0, key_max = width - 40.0;
  if (qa_plot_begin(&p, fonts, 0.1, 0.1, err)) goto done;
  qa_plot_legend_size(&p, keys, 4, NULL, 0, key_max, &lw, &lh);
  qa_plot_end(&p);
  double plot_h = 200.0, legend_dy = X_TITLE_DY + QA_PLOT_LABEL_PT + 12.0;
  double height = 8.0 + plot_h + legend_dy + lh + 6.0 + QA_PLOT_NOTE_PT + 8.0;
  if (qa_plot_begin(&p, fonts, width / 72.0, height / 72.0, err)) goto done;
  double left = 10.0 + QA_PLOT_LABEL_PT + 8.0 + qa_plot_axis_label_width(&p, &y);
  qa_plot_area a = {left, 8.0, p.width - 22.0, 8.0 + plot_h};
  qa_plot_axis_place(&x, a.x0, a.x1);
  qa_plot_axis_place(&y, a.y1, a.y0);
  qa_plot_axes(&p, &a, &x, &y, QA_AXES_GRID_X | QA_AXES_GRID_Y | QA_AXES_NO_X_LABELS);
  x_labels(&p, &x, &a);
  n2_guide(&p, &x, &y, &a, &rows[n_rows - 1]);
  for (int ser = N_SER - 1; ser >= 0; ser--) polyline(&p, &x, &y, rows, n_rows, ser);
  ratio_rows(&p, &x, &a, rows, n_rows);
  double ly = a.y1 + legend_dy;
  qa_plot_legend(&p, keys, 4, NULL, 0, key_max, 0.5 * (a.x0 + a.x1 - lw), ly);
  qa_plot_text(&p, note, 0.5 * (a.x0 + a.x1), ly + lh + 6.0, QA_PLOT_NOTE_PT, 0, 0.5, 0.0,
               qa_plot_mix(INK, (qa_rgb){1, 1, 1}, 0.3));
  rc = qa_plot_save(&p, png, err);
done:
  qa_plot_end(&p);
  qa_plot_fonts_free(fonts);
  return rc;
}

/* The 1-, 5- and 15-minute load averages ("?" when unknown), into buf[64]. */
static const char *load_average(char *buf) {
  FILE *f = fopen("/proc/loadavg", "r");
  double a[3];
  if (f && fscanf(f, "%lf %lf %lf", &a[0], &a[1], &a[2]) == 3)
    snprintf(buf, 64, "%.2f %.2f %.2f", a[0], a[1], a[2]);
  else
    snprintf(buf, 64, "?");
  if (f) fclose(f);
  return buf;
}

/* fonts/ from the working directory (bench/run.sh runs from the top),
** else ../fonts beside the program, unless QAUDIT_FONTS names one. */
static void fonts_dir_of(const char *argv0, char *buf, size_t cap) {
  const char *env = getenv("QAUDIT_FONTS");
  if (env && *env) { snprintf(buf, cap, "%s", env); return; }
  if (access("fonts/DejaVuSans.ttf", R_OK) == 0) { snprintf(buf, cap, "fonts"); return; }
  const char *slash = strrchr(argv0, '/');
  int len = slash ? (int)(slash - argv0) : 1;
  snprintf(buf, cap, "%.*s/../fonts", len, slash ? argv0 : ".");
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: bench_scaling OUT.png [N ...]\n");
    return 1;
  }
  size_t ns[MAX_N], n_rows = 0;
  for (int i = 2; i < argc && n_rows < MAX_N; i++) {
    char *end = NULL;
    unsigned long long v = strtoull(argv[i], &end, 10);
    if (!end || *end || v < 10 || v > 1000000 || (n_rows && v <= ns[n_rows - 1])) {
      fprintf(stderr, "bench_scaling: N must be ascending integers in [10, 1e6]: %s\n", argv[i]);
      return 1;
    }
    ns[n_rows++] = (size_t)v;
  }
  if (!n_rows)
    for (; n_rows < sizeof DEFAULT_N / sizeof *DEFAULT_N; n_rows++) ns[n_rows] = DEFAULT_N[n_rows];
  if (n_rows < 2) { fprintf(stderr, "bench_scaling: give at least two N\n"); return 1; }
  qa_error err = {0};
  qa_config *cfg = NULL;
  if (qa_config_parse(CONFIG, "bench_scaling.json", &cfg, &err)) {
    fprintf(stderr, "bench_scaling: %s\n", err.msg);
    return 2;
  }
  int threads = (int)sysconf(_SC_NPROCESSORS_ONLN), once = getenv("BENCH_ONCE") != NULL;
  qa_repr_set_threads(0);
  char load_before[64], load_after[64];
  load_average(load_before);
  row rows[MAX_N];
  for (size_t i = 0; i < n_rows; i++) {
    fprintf(stderr, "bench_scaling: N = %zu, D = %d ...\n", ns[i], DIM);
    if (measure(cfg, ns[i], once ? 1 : REPEATS, &rows[i])) { qa_config_free(cfg); return 3; }
    const row *r = &rows[i];
    fprintf(stderr, "  repr %.3f s, floor %.3f s, float32 floor %.3f s; v1: cosine %.6f "
            "knn %.4f overlap %.4f spearman %.6f cka %.6f\n", r->repr_s, r->floor_s,
            r->floor32_s, r->cos_mean, r->knn_accuracy, r->overlap, r->spearman, r->cka);
  }
  printf("D = %d, baseline + 1 variant, %d threads; load average %s before, %s after\n\n",
         DIM, threads, load_before, load_average(load_after));
  printf("| N | runs | repr_s | floor_s | ratio | floor_f32_s | ratio_f32 |\n"
         "|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t i = 0; i < n_rows; i++) {
    char nb[32];
    thousands(rows[i].n, nb, sizeof nb);
    const row *r = &rows[i];
    printf("| %s | %d | %.2f | %.2f | %.2f\xC3\x97 | %.2f | %.2f\xC3\x97 |\n", nb, r->repeats,
           r->repr_s, r->floor_s, r->repr_s / r->floor_s, r->floor32_s,
           r->repr_s / r->floor32_s);
  }
  if (getenv("BENCH_SCALING_PARTS") && strcmp(getenv("BENCH_SCALING_PARTS"), "0")) {
    parts_header(cfg, ns[n_rows - 1]);
    for (size_t i = 0; i < n_rows; i++) measure_parts(cfg, ns[i]);
  }
  /* OUT.csv beside OUT.png (the extension replaced, else appended). */
  char csv[4096], fonts[4096];
  const char *dot = strrchr(argv[1], '.'), *slash = strrchr(argv[1], '/');
  int stem = dot && (!slash || dot > slash) ? (int)(dot - argv[1]) : (int)strlen(argv[1]);
  snprintf(csv, sizeof csv, "%.*s.csv", stem, argv[1]);
  fonts_dir_of(argv[0], fonts, sizeof fonts);
  int rc = write_csv(csv, rows, n_rows);
  if (!rc && draw(argv[1], fonts, cfg, rows, n_rows, threads, &err)) {
    fprintf(stderr, "bench_scaling: %s\n", err.msg);
    rc = -1;
  }
  if (!rc) printf("\nwrote %s and %s\n", argv[1], csv);
  qa_config_free(cfg);
  return rc ? 4 : 0;
}

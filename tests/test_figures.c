/*
** Tests of src/figures/figures*.c on a study built by hand: one model "toy"
** with a baseline, a harmless variant and a cliff, every field a figure
** reads filled from closed-form expressions (no randomness).  Each figure
** is drawn, read back with cairo_image_surface_create_from_png, and
** checked for its pixel size, for ink inside the plot area, and against a
** golden FNV-1a hash of its pixels.
**
** GOLDEN HASHES: computed once from these renderings (cairo 1.16.0,
** FreeType 2.12.1, pixman 0.42.2, DejaVu Sans 2.37 as shipped in fonts/)
** after looking at every PNG.  They change whenever a figure changes on
** purpose, and must then be updated deliberately, in a commit that says
** why; a library upgrade can also move antialiased pixels.
*/
#include "harness.h"

#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "figures/figures.h"

enum { FN = 60, FD = 6, FC = 3, FV = 3 };

typedef struct fake {
  qa_config cfg;
  qa_tier_cfg tiers[3];
  qa_study study;
  qa_model model;
  qa_variant variants[FV];
  qa_cache base_cache;
  int32_t labels[FN];
  char *label_names[FC];
  qa_analysis analysis;
  qa_variant_result *rows[1];
  qa_variant_result res[FV];
  double cosine[FV][FN], spectrum[FV][FD], pca[FV][2 * FN], kl[FV][FN];
  qa_class_result cls[FV][FC];
  qa_critical_result crit[FV];
  qa_model_decision decision[1];
  double vram_tiers[2];
} fake;

static double frac(double x) { return x - floor(x); }

/* Wilson score interval (STATISTICS.md "Benchmark accuracy"), z = z(0.975). */
static void wilson(double p, double n, double *lo, double *hi) {
  const double z = 1.959963984540054;
  double c = p + z * z / (2 * n), h = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  *lo = (c - h) / (1 + z * z / n);
  *hi = (c + h) / (1 + z * z / n);
}

static void fill_variant(fake *f, int v) {
  static const double dev[FV] = {0, 1e-4, 3e-2}, noise[FV] = {0, 0.15, 1.2};
  static const double klk[FV] = {0, 1e-4, 0.5}, ratio[FV] = {0.5, 0.5, 0.7};
  static const double knn_delta[FV][FC] = {{0, 0, 0}, {0.5, 0, -1.0}, {-2.0, -12.5, -30.0}};
  qa_variant_result *r = &f->res[v];
  qa_repr_result *p = &r->repr;
  p->present = 1;
  p->n = FN;
  p->dim = FD;
  p->knn_k = 5;
  for (int i = 0; i < FN; i++) {
    int c = f->labels[i];
    f->cosine[v][i] = 1.0 - dev[v] * (0.2 + frac(i * 0.618034));
    f->pca[v][2 * i] = 2 * cos(2 * M_PI * c / 3) + 0.6 * sin(1.7 * i) + noise[v] * sin(3.1 * i + v);
    f->pca[v][2 * i + 1] = 2 * sin(2 * M_PI * c / 3) + 0.6 * cos(2.3 * i) +
                           noise[v] * cos(1.3 * i + 2 * v);
    f->kl[v][i] = klk[v] * (0.05 + pow(frac(i * 0.754877), 3));
  }
  for (int j = 0; j < FD; j++) f->spectrum[v][j] = 4.0 * pow(ratio[v], j);
  p->cosine = f->cosine[v];
  p->spectrum = f->spectrum[v];
  p->pca_xy = f->pca[v];
  p->cos_mean = 1 - 0.7 * dev[v];
  p->cos_median = 1 - 0.7 * dev[v];
  p->cos_p05 = 1 - 1.15 * dev[v];
  p->cos_min = 1 - 1.2 * dev[v];
  p->sqnr_db = v ? 40.0 / v : NAN;
  p->spearman_rho = (const double[]){1, 0.999, 0.85}[v];
  p->cka_linear = (const double[]){1, 0.9995, 0.93}[v];
  p->neighbor_overlap = (const double[]){1, 0.96, 0.55}[v];
  p->knn_accuracy = (const double[]){0.9, 0.9, 0.75}[v];
  p->knn_delta_pp = (const double[]){0, 0, -15}[v];
  p->effective_rank = (const double[]){3.1, 3.1, 4.2}[v];
  p->coverage = p->density = NAN;   /* the radar of figure 5 without them */
  p->n_classes = FC;
  p->per_class = f->cls[v];
  for (int c = 0; c < FC; c++)
    f->cls[v][c] = (qa_class_result){c, FN / FC, 1 - dev[v] * (0.5 + 0.3 * c),
                                     0.9 + knn_delta[v][c] / 100, knn_delta[v][c], NAN, NAN};
  qa_outputs_result *o = &r->out;
  o->present = 1;
  o->n = FN;
  o->accuracy = (const double[]){0.85, 0.85, 0.70}[v];
  wilson(o->accuracy, FN, &o->wilson_lo, &o->wilson_hi);
  o->top1_agreement = (const double[]){1, 0.98, 0.8}[v];
  o->kl = v ? f->kl[v] : NULL;
  o->kl_mean = klk[v] * 0.3;
  o->kl_median = klk[v] * 0.2;
  o->kl_p99 = klk[v] * 0.95;
  o->kl_max = klk[v] * 1.03;
  f->crit[v] = (qa_critical_result){0, 1, v == 2 ? 2 : 0, 0, v != 2};
  o->n_critical = 1;
  o->critical = &f->crit[v];
  qa_bench_result *b = &r->bench;
  b->present = 1;
  b->n = 200;
  b->accuracy = (const double[]){0.70, 0.695, 0.58}[v];
  wilson(b->accuracy, 200, &b->wilson_lo, &b->wilson_hi);
  b->delta_pp = 100 * (b->accuracy - 0.70);
  r->gen.present = 1;
  r->gen.key_avg = (const double[]){0.40, 0.396, 0.362}[v];
  r->gen.delta_pct = 100 * (r->gen.key_avg / 0.40 - 1);
  r->perf.decode_mean = (const double[]){50, 90, 140}[v];
  r->perf.decode_hmean = (const double[]){45, 80, 120}[v];
  f->variants[v].has_vram_gb = 1;
  f->variants[v].vram_gb = (const double[]){4.4, 2.3, 0.9}[v];
  r->perf.usd_per_mtok = 0.035 / (r->perf.decode_mean * 3600) * 1e6;
  r->bench_signal = b->delta_pp;
  r->bench_signal_source = "benchmark";
  r->gen_signal = r->gen.delta_pct;
  r->tier = (const size_t[]){0, 0, 3}[v];
  r->critical_failed = v == 2;
}

static void fake_init(fake *f, int with_data) {
  static char *names[FV] = {"fp32", "int8", "int2"};
  static char *tier_names[3] = {"negligible", "acceptable", "concerning"};
  static const double pp[3] = {3, 5, 10}, pct[3] = {3, 8, 15};
  memset(f, 0, sizeof *f);
  f->cfg.layer = "final";
  f->cfg.memory_unit = "GiB";
  f->cfg.memory_unit_bytes = 1073741824.0;
  f->vram_tiers[0] = 2;
  f->vram_tiers[1] = 4;
  f->cfg.n_vram_tiers = 2;
  f->cfg.vram_tiers_gb = f->vram_tiers;
  f->cfg.n_tiers = 3;
  f->cfg.tiers = f->tiers;
  for (int t = 0; t < 3; t++) f->tiers[t] = (qa_tier_cfg){tier_names[t], pp[t], pct[t], HUGE_VAL};
  f->label_names[0] = "cat";
  f->label_names[1] = "dog";
  f->label_names[2] = "eel";
  for (int i = 0; i < FN; i++) f->labels[i] = i % FC;
  f->base_cache.n_samples = FN;
  f->base_cache.labels = f->labels;
  f->base_cache.n_label_names = FC;
  f->base_cache.label_names = f->label_names;
  for (int v = 0; v < FV; v++) {
    f->variants[v].name = names[v];
    f->variants[v].is_baseline = v == 0;
    f->variants[v].cache = &f->base_cache;     /* only the baseline's is read */
  }
  f->model = (qa_model){"toy", FV, f->variants, 0, FC};
  f->study = (qa_study){&f->cfg, 1, &f->model};
  f->rows[0] = f->res;
  f->analysis.study = &f->study;
  f->analysis.models = f->rows;
  /* int2 (tier 3, not recommended) is the first variant past the
  ** recommended tiers: the cliff (STATISTICS.md "Tier, cost, memory"). */
  f->decision[0] = (qa_model_decision){SIZE_MAX, with_data ? 2 : SIZE_MAX, NAN};
  f->analysis.model_decisions = f->decision;
  for (int v = 0; v < FV; v++) {
    qa_variant_result *r = &f->res[v];
    r->bench_signal = r->gen_signal = NAN;
    r->tier = v ? 3 : 0;
    if (with_data) fill_variant(f, v);
  }
}

/* FNV-1a (64 bit) over the R, G, B bytes of every pixel, row by row. */
static uint64_t pixel_hash(cairo_surface_t *s) {
  uint64_t h = 1469598103934665603ULL;
  int w = cairo_image_surface_get_width(s), ht = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  const unsigned char *data = cairo_image_surface_get_data(s);
  for (int y = 0; y < ht; y++)
    for (int x = 0; x < w; x++) {
      uint32_t px = *(const uint32_t *)(data + (size_t)y * (size_t)stride + 4 * (size_t)x);
      for (int k = 2; k >= 0; k--) {
        h ^= (px >> (8 * k)) & 255u;
        h *= 1099511628211ULL;
      }
    }
  return h;
}

/* Share of non-white pixels in the middle 60 % of the image (the data). */
static double ink_share(cairo_surface_t *s) {
  int w = cairo_image_surface_get_width(s), ht = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  const unsigned char *data = cairo_image_surface_get_data(s);
  size_t ink = 0, all = 0;
  for (int y = ht / 5; y < ht * 4 / 5; y++)
    for (int x = w / 5; x < w * 4 / 5; x++, all++)
      ink += (*(const uint32_t *)(data + (size_t)y * (size_t)stride + 4 * (size_t)x) &
              0xFFFFFFu) != 0xFFFFFFu;
  return all ? (double)ink / (double)all : 0.0;
}

typedef struct fig_case {
  const char *name;
  qa_figure_fn fn;
  int height_px;
  uint64_t golden;
} fig_case;

/* Heights: each layout's closed form at 220 dpi, for this fake study:
**   cosine, kl: 12 + 2 rows x 24 + 4 + 40 + 22 = 126 pt = 1.750 in -> 385 px
**   classes: 3 cells of 24 pt: 22 + 72 + 24 = 118 pt = 1.639 in -> 361 px
**   pca: panels (468 - 40 - 2 x 18 - 8) / 3 = 128 pt wide, 0.78 x 128 tall;
**     16 + 99.84 + 31 + legend 2 x 11.315 + note 12 + 8 = 189.47 pt -> 579 px
**   spectrum 3.4 in -> 748, radar 3.9 in -> 858
**   cost: 3.7 in (cost panel) + 3.0 in (memory panel) = 6.7 in -> 1474 px
**   accuracy: 18 + 236 - 10 + legend 22.63 + 16 + note line 9.5 = 292.13 pt -> 893 px
**   agreement: 32 + 2 x 15 + 8 + 11.315 + 16 = 97.315 pt -> 297 px.
** Golden hashes: see the file header; update them deliberately. */
static const fig_case CASES[] = {
  {"cosine", qa_figure_cosine, 385, 0xdcb6f0d2ada928d0ULL},
  {"classes", qa_figure_classes, 361, 0x14354a401ecffb77ULL},
  {"pca", qa_figure_pca, 579, 0x2f198a343586f23fULL},
  {"spectrum", qa_figure_spectrum, 748, 0xeb66534661ebac78ULL},
  {"radar", qa_figure_radar, 858, 0x823a7fc57bb700bfULL},
  {"accuracy", qa_figure_accuracy, 893, 0xa76aefd0e8cf7856ULL},
  {"cost", qa_figure_cost, 1474, 0x15d124e93128ab90ULL},
  {"agreement", qa_figure_agreement, 297, 0xf3d306b5206d5404ULL},
  {"kl", qa_figure_kl, 385, 0xca92eb47d7f8c6d4ULL},
};

static qa_plot_fonts *fonts_or_fail(void) {
  qa_error err = {0};
  qa_plot_fonts *fonts = NULL;
  if (qa_plot_fonts_load("fonts", &fonts, &err))
    qa_test_fail(__FILE__, __LINE__, "fonts: %s", err.msg);
  return fonts;
}

QA_TEST(figures_each_draws_its_png) {
  static fake f;
  fake_init(&f, 1);
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  for (size_t k = 0; k < sizeof CASES / sizeof *CASES; k++) {
    const fig_case *c = &CASES[k];
    char path[4096], why[512] = "";
    qa_error err = {0};
    snprintf(path, sizeof path, "%s/t-%s.png", qa_test_tmpdir(), c->name);
    int rc = c->fn(&src, path, why, sizeof why, &err);
    if (rc != 0) {
      qa_test_fail(__FILE__, __LINE__, "%s: rc %d (%s%s)", c->name, rc, why, err.msg);
      continue;
    }
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    if (cairo_surface_status(s)) {
      qa_test_fail(__FILE__, __LINE__, "%s: cannot read %s", c->name, path);
      cairo_surface_destroy(s);
      continue;
    }
    CHECK_INT(cairo_image_surface_get_width(s), 1430);     /* 6.5 in at 220 dpi */
    CHECK_INT(cairo_image_surface_get_height(s), c->height_px);
    double share = ink_share(s);
    if (!(share > 0.01))
      qa_test_fail(__FILE__, __LINE__, "%s: blank plot area (%.4f)", c->name, share);
    uint64_t h = pixel_hash(s);
    if (h != c->golden)
      qa_test_fail(__FILE__, __LINE__, "%s: %dx%d pixel hash 0x%016llxULL, golden 0x%016llxULL",
                   c->name, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s),
                   (unsigned long long)h, (unsigned long long)c->golden);
    cairo_surface_destroy(s);
  }
  qa_plot_fonts_free(fonts);
}

static int read_all(const char *path, unsigned char **buf, size_t *n) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return -1;
  fseek(fp, 0, SEEK_END);
  long len = ftell(fp);
  fseek(fp, 0, SEEK_SET);
  *buf = malloc(len > 0 ? (size_t)len : 1);
  *n = *buf ? fread(*buf, 1, (size_t)len, fp) : 0;
  fclose(fp);
  return *buf && *n == (size_t)len ? 0 : -1;
}

QA_TEST(figures_are_byte_identical_when_drawn_twice) {
  static fake f;
  fake_init(&f, 1);
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  char a[4096], b[4096], why[256];
  qa_error err = {0};
  snprintf(a, sizeof a, "%s/twice-a.png", qa_test_tmpdir());
  snprintf(b, sizeof b, "%s/twice-b.png", qa_test_tmpdir());
  CHECK_INT(qa_figure_pca(&src, a, why, sizeof why, &err), 0);
  CHECK_INT(qa_figure_pca(&src, b, why, sizeof why, &err), 0);
  unsigned char *x = NULL, *y = NULL;
  size_t nx = 0, ny = 0;
  CHECK_INT(read_all(a, &x, &nx), 0);
  CHECK_INT(read_all(b, &y, &ny), 0);
  CHECK(nx > 1000);
  CHECK(nx == ny && x && y && memcmp(x, y, nx) == 0);
  free(x);
  free(y);
  qa_plot_fonts_free(fonts);
}

QA_TEST(figures_render_all_lists_every_figure) {
  static fake f;
  fake_init(&f, 1);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/figs/all", qa_test_tmpdir());
  qa_figure_list l;
  qa_error err = {0};
  if (qa_figures_render_all(&f.study, &f.analysis, "fonts", dir, 2, &l, &err)) {
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
    return;
  }
  static const char *const files[9] = {
    "fig1-cosine.png", "fig2-classes-toy.png", "fig3-pca-toy.png", "fig4-spectrum-toy.png",
    "fig5-radar-toy.png", "fig6-accuracy.png", "fig7-cost.png", "fig8-agreement.png",
    "fig9-kl.png"};
  CHECK_INT(l.n, 9);
  /* The fake's outputs have no calibration and its representation no
  ** overlap_at: figures 13 and 14 say so. */
  CHECK_INT(l.n_skipped, 2);
  if (l.n_skipped == 2) {
    CHECK_INT(l.skipped[0].kind, QA_FIG_CALIB);
    CHECK_INT(l.skipped[1].kind, QA_FIG_OVERLAP);
  }
  for (size_t i = 0; i < l.n && i < 9; i++) {
    char want[4200];
    snprintf(want, sizeof want, "%s/%s", dir, files[i]);
    CHECK_STR(l.figs[i].path, want);
    CHECK_INT(l.figs[i].number, (int)i + 1);
    CHECK_INT(l.figs[i].kind, (int)i + 1);
    size_t len = strlen(l.figs[i].caption);
    CHECK(len > 40 && l.figs[i].caption[len - 1] == '.');
    CHECK(l.figs[i].width_frac > 0.5 && l.figs[i].width_frac <= 1.0);
    FILE *fp = fopen(l.figs[i].path, "rb");
    CHECK(fp != NULL);
    if (fp) fclose(fp);
  }
  CHECK_INT(l.figs[1].model, 0);                 /* per model */
  CHECK(l.figs[0].model == SIZE_MAX);            /* every model */
  CHECK_CONTAINS(l.figs[2].caption, "toy");
  CHECK_CONTAINS(l.figs[7].caption, "Output accuracy is the change");   /* outputs exist */
  CHECK_CONTAINS(l.figs[5].caption, "through a failed critical-error check");
  qa_figure_list_free(&l);
  CHECK_INT(l.n, 0);
  qa_figure_list_free(&l);                       /* safe twice */
}

QA_TEST(figures_without_data_say_why) {
  static fake f;
  fake_init(&f, 0);
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/figs/empty", qa_test_tmpdir());
  qa_figure_list l;
  qa_error err = {0};
  if (qa_figures_render_all(&f.study, &f.analysis, "fonts", dir, 2, &l, &err)) {
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
    return;
  }
  CHECK_INT(l.n, 0);
  CHECK_INT(l.n_skipped, 11);    /* figures 1 to 9, 13 and 14 (10 to 12 need tokens) */
  for (size_t i = 0; i < l.n_skipped; i++) {
    size_t len = strlen(l.skipped[i].reason);
    CHECK(len > 30 && l.skipped[i].reason[len - 1] == '.');
    CHECK_INT(l.skipped[i].kind, i < 9 ? (int)i + 1 : i == 9 ? QA_FIG_CALIB : QA_FIG_OVERLAP);
  }
  CHECK_CONTAINS(l.skipped[0].reason, "layer \"final\"");
  CHECK_STR(l.skipped[2].title, "PCA projection (toy)");
  CHECK_CONTAINS(l.skipped[6].reason, "decode");
  qa_figure_list_free(&l);
}

QA_TEST(figures_fail_cleanly) {
  static fake f;
  fake_init(&f, 1);
  qa_figure_list l;
  qa_error err = {0};
  CHECK_INT(qa_figures_render_all(&f.study, &f.analysis, "/nonexistent-fonts",
                                  qa_test_tmpdir(), 2, &l, &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  CHECK_CONTAINS(err.msg, "DejaVuSans.ttf");
  CHECK_INT(l.n, 0);
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  char why[256];
  qa_error e2 = {0};
  CHECK_INT(qa_figure_cosine(&src, "/nonexistent-dir/x.png", why, sizeof why, &e2), -1);
  CHECK_INT(e2.code, QA_EXIT_IO);
  CHECK_CONTAINS(e2.msg, "/nonexistent-dir/x.png");
  qa_plot_fonts_free(fonts);
}

/* ---- what the figures mean: the same scale, columns and marks everywhere - */

/* The RGB (0-255) of the pixel under (x, y) points of a figure. */
static void pixel_at(cairo_surface_t *s, double x_pt, double y_pt, int rgb[3]) {
  int x = (int)floor(x_pt * QA_PLOT_DPI / 72.0), y = (int)floor(y_pt * QA_PLOT_DPI / 72.0);
  const unsigned char *data = cairo_image_surface_get_data(s);
  uint32_t px = *(const uint32_t *)(data + (size_t)y * (size_t)cairo_image_surface_get_stride(s) +
                                    4 * (size_t)x);
  rgb[0] = (int)(px >> 16 & 255u);
  rgb[1] = (int)(px >> 8 & 255u);
  rgb[2] = (int)(px & 255u);
}

/* 1 when the pixel is variant i's colour (cairo rounds 255 c; +-2 for it). */
static int is_variant_colour(const int rgb[3], size_t i) {
  qa_rgb c = qa_plot_variant_color(i);
  return abs(rgb[0] - (int)lround(255 * c.r)) <= 2 && abs(rgb[1] - (int)lround(255 * c.g)) <= 2 &&
         abs(rgb[2] - (int)lround(255 * c.b)) <= 2;
}

static cairo_surface_t *draw(qa_figure_fn fn, const qa_figure_src *src, const char *name) {
  char path[4096], why[1024] = "";
  qa_error err = {0};
  snprintf(path, sizeof path, "%s/m-%s.png", qa_test_tmpdir(), name);
  int rc = fn(src, path, why, sizeof why, &err);
  if (rc != 0) {
    qa_test_fail(__FILE__, __LINE__, "%s: rc %d (%s%s)", name, rc, why, err.msg);
    return NULL;
  }
  cairo_surface_t *s = cairo_image_surface_create_from_png(path);
  if (cairo_surface_status(s)) {
    cairo_surface_destroy(s);
    qa_test_fail(__FILE__, __LINE__, "%s: cannot read %s", name, path);
    return NULL;
  }
  return s;
}

/* Figure 5's radius is the value itself, 0 at the centre and 1 on the rim,
** whatever the study's range: int2's cosine mean set to 0.5 is drawn half
** way up the top spoke (spoke 0 points up), and the accuracies are
** absolute: on the output-accuracy spoke (spoke 6 of 8, pointing left)
** int8 sits at 0.85 of the rim and int2 at 0.70, their accuracies (a
** variant / baseline ratio would put int8 on the rim, and the old
** data-driven centre would move both). */
QA_TEST(figures_radar_scale_is_fixed_zero_to_one) {
  static fake f;
  fake_init(&f, 1);
  f.res[2].repr.cos_mean = 0.5;
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  double cx, cy, rim;
  qa_error err = {0};
  CHECK_INT(qa_figure_radar_frame(&src, &cx, &cy, &rim, &err), 0);
  CHECK(rim > 60.0 && rim < 140.0);
  cairo_surface_t *s = draw(qa_figure_radar, &src, "radar-scale");
  if (s) {
    int rgb[3];
    pixel_at(s, cx, cy - 0.5 * rim, rgb);
    if (!is_variant_colour(rgb, 2))
      qa_test_fail(__FILE__, __LINE__, "int2 cosine 0.5 at half the rim: %d,%d,%d", rgb[0], rgb[1],
                   rgb[2]);
    pixel_at(s, cx - 0.85 * rim, cy, rgb);
    if (!is_variant_colour(rgb, 1))
      qa_test_fail(__FILE__, __LINE__, "int8 output accuracy 0.85: %d,%d,%d", rgb[0], rgb[1], rgb[2]);
    pixel_at(s, cx - 0.70 * rim, cy, rgb);
    if (!is_variant_colour(rgb, 2))
      qa_test_fail(__FILE__, __LINE__, "int2 output accuracy 0.70: %d,%d,%d", rgb[0], rgb[1], rgb[2]);
    cairo_surface_destroy(s);
  }
  /* A study whose every value is near 1 keeps the same frame. */
  static fake g;
  fake_init(&g, 1);
  g.res[2] = g.res[1];
  qa_figure_src src_g = {&g.study, &g.analysis, fonts, 0};
  double cx2, cy2, rim2;
  CHECK_INT(qa_figure_radar_frame(&src_g, &cx2, &cy2, &rim2, &err), 0);
  CHECK_NEAR(rim2, rim, 1e-9);
  CHECK_NEAR(cy2, cy, 1e-9);
  qa_plot_fonts_free(fonts);
}

/* Figure 8 has an output-accuracy column beside the others when outputs
** exist, and none when they do not. */
QA_TEST(figures_agreement_has_output_accuracy) {
  static fake f;
  fake_init(&f, 1);
  qa_figure_src src = {&f.study, &f.analysis, NULL, 0};
  const char *names[8] = {0};
  static const char *const want[7] = {"Cosine mean", "CKA", "kNN accuracy", "Output accuracy",
                                      "Benchmark", "Generation", "Critical errors"};
  CHECK_INT(qa_figure_agreement_columns(&src, names, 8), 7);
  for (int k = 0; k < 7; k++) CHECK_STR(names[k], want[k]);
  for (int v = 0; v < FV; v++) f.res[v].out.present = 0;
  /* Critical-error checks stay: they come from the counts, not the flag. */
  CHECK_INT(qa_figure_agreement_columns(&src, names, 8), 6);
  CHECK_STR(names[2], "kNN accuracy");
  CHECK_STR(names[3], "Benchmark");
  CHECK_STR(names[5], "Critical errors");
}

/* The x range (pixels) where two renderings differ; -1 when identical. */
static void diff_columns(cairo_surface_t *a, cairo_surface_t *b, int *x_lo, int *x_hi) {
  int w = cairo_image_surface_get_width(a), h = cairo_image_surface_get_height(a);
  int sa = cairo_image_surface_get_stride(a), sb = cairo_image_surface_get_stride(b);
  const unsigned char *da = cairo_image_surface_get_data(a), *db = cairo_image_surface_get_data(b);
  *x_lo = *x_hi = -1;
  if (w != cairo_image_surface_get_width(b) || h != cairo_image_surface_get_height(b)) return;
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++)
      if ((*(const uint32_t *)(da + (size_t)y * (size_t)sa + 4 * (size_t)x) & 0xFFFFFFu) !=
          (*(const uint32_t *)(db + (size_t)y * (size_t)sb + 4 * (size_t)x) & 0xFFFFFFu)) {
        if (*x_lo < 0 || x < *x_lo) *x_lo = x;
        if (x > *x_hi) *x_hi = x;
      }
}

/* Figure 6 marks the variant models[].cliff names and only it: drawn with
** the cliff on int2, on int8 and on none, the pixels that differ lie in
** the cliff's slot, the third or the second of the panel's three.  The
** panel spans [12 + LABEL_PT + width("100.0"), width − 10] pt (its
** layout), so slot k is its k-th third. */
QA_TEST(figures_accuracy_marks_the_cliff) {
  static fake f;
  fake_init(&f, 1);
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_figure_src src = {&f.study, &f.analysis, fonts, 0};
  qa_plot p;
  qa_error err = {0};
  if (qa_plot_begin(&p, fonts, QA_PLOT_WIDTH_IN, 1.0, &err)) {
    qa_test_fail(__FILE__, __LINE__, "canvas: %s", err.msg);
    qa_plot_fonts_free(fonts);
    return;
  }
  double x0 = 12.0 + QA_PLOT_LABEL_PT + qa_plot_text_width(&p, "100.0", QA_PLOT_TICK_PT, 0);
  double x1 = p.width - 10.0, slot = (x1 - x0) / 3.0, px = QA_PLOT_DPI / 72.0;
  qa_plot_end(&p);
  cairo_surface_t *on2 = draw(qa_figure_accuracy, &src, "acc-cliff2");
  f.decision[0].cliff = 1;
  cairo_surface_t *on1 = draw(qa_figure_accuracy, &src, "acc-cliff1");
  f.decision[0].cliff = SIZE_MAX;
  cairo_surface_t *none = draw(qa_figure_accuracy, &src, "acc-none");
  if (on2 && on1 && none) {
    int lo, hi;
    diff_columns(on2, none, &lo, &hi);
    CHECK(lo >= 0);
    CHECK(lo >= (int)((x0 + 2 * slot) * px) && hi <= (int)(x1 * px) + 1);
    diff_columns(on1, none, &lo, &hi);
    CHECK(lo >= 0);
    CHECK(lo >= (int)((x0 + slot) * px) && hi <= (int)((x0 + 2 * slot) * px) + 1);
  }
  if (on2) cairo_surface_destroy(on2);
  if (on1) cairo_surface_destroy(on1);
  if (none) cairo_surface_destroy(none);
  qa_plot_fonts_free(fonts);
}

/* Figure 7 names the memory unit and the mean of tok/s in use, and its
** throughput is the results' (qa_analysis_throughput): with no cost per
** token, moving the arithmetic mean leaves the harmonic-mean plot
** unchanged and moving the harmonic mean does not. */
QA_TEST(figures_cost_uses_the_results_unit_and_mean) {
  static fake f;
  fake_init(&f, 1);
  char buf[160];
  qa_figure_memory_title(&f.cfg, buf, sizeof buf);
  CHECK_CONTAINS(buf, "Memory (GiB");
  f.cfg.memory_unit = "GB";
  qa_figure_memory_title(&f.cfg, buf, sizeof buf);
  CHECK_CONTAINS(buf, "Memory (GB");
  f.cfg.memory_unit = "GiB";
  qa_figure_cost_title(&f.cfg, 1, buf, sizeof buf);
  CHECK_CONTAINS(buf, "harmonic mean");
  f.cfg.throughput_arithmetic = 1;
  qa_figure_cost_title(&f.cfg, 0, buf, sizeof buf);
  CHECK_CONTAINS(buf, "arithmetic mean");
  f.cfg.throughput_arithmetic = 0;

  char dir[4096];
  snprintf(dir, sizeof dir, "%s/figs/gib", qa_test_tmpdir());
  qa_figure_list l;
  qa_error err = {0};
  if (qa_figures_render_all(&f.study, &f.analysis, "fonts", dir, 2, &l, &err)) {
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
    return;
  }
  CHECK_INT(l.figs[6].kind, QA_FIG_COST);
  CHECK_CONTAINS(l.figs[6].caption, "harmonic mean");
  CHECK_CONTAINS(l.figs[6].caption, "memory in GiB");
  qa_figure_list_free(&l);

  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_figure_src src = {&f.study, &f.analysis, fonts, SIZE_MAX};
  for (int v = 0; v < FV; v++) f.res[v].perf.usd_per_mtok = NAN;
  cairo_surface_t *a = draw(qa_figure_cost, &src, "cost-a");
  f.res[2].perf.decode_mean = 400;        /* arithmetic mean: not what is plotted */
  cairo_surface_t *b = draw(qa_figure_cost, &src, "cost-b");
  f.res[2].perf.decode_hmean = 100;       /* the harmonic mean: is */
  cairo_surface_t *c = draw(qa_figure_cost, &src, "cost-c");
  if (a && b && c) {
    int lo, hi;
    diff_columns(a, b, &lo, &hi);
    CHECK_INT(lo, -1);
    diff_columns(a, c, &lo, &hi);
    CHECK(lo >= 0);
  }
  if (a) cairo_surface_destroy(a);
  if (b) cairo_surface_destroy(b);
  if (c) cairo_surface_destroy(c);
  qa_plot_fonts_free(fonts);
}

/* Figures drawn on 3 workers are the serial ones: the same list, captions
** and PNG bytes (the faster path proven equal to the plain one). */
QA_TEST(figures_parallel_equal_serial) {
  static fake f;
  fake_init(&f, 1);
  char d1[4096], d3[4096];
  snprintf(d1, sizeof d1, "%s/figs/serial", qa_test_tmpdir());
  snprintf(d3, sizeof d3, "%s/figs/parallel", qa_test_tmpdir());
  qa_figure_list l1, l3;
  qa_error err = {0};
  if (qa_figures_render_all(&f.study, &f.analysis, "fonts", d1, 1, &l1, &err) ||
      qa_figures_render_all(&f.study, &f.analysis, "fonts", d3, 3, &l3, &err)) {
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
    return;
  }
  CHECK_INT(l3.n, l1.n);
  CHECK_INT(l3.n_skipped, l1.n_skipped);
  CHECK(l1.n >= 9);
  for (size_t i = 0; i < l1.n && i < l3.n; i++) {
    CHECK_STR(l3.figs[i].caption, l1.figs[i].caption);
    CHECK_INT(l3.figs[i].kind, l1.figs[i].kind);
    const char *b1 = strrchr(l1.figs[i].path, '/'), *b3 = strrchr(l3.figs[i].path, '/');
    CHECK(b1 && b3 && strcmp(b1, b3) == 0);
    FILE *f1 = fopen(l1.figs[i].path, "rb"), *f3 = fopen(l3.figs[i].path, "rb");
    size_t n1 = 0, n3 = 0;
    char *c1 = f1 ? qa_test_read_stream(f1, &n1) : NULL;
    char *c3 = f3 ? qa_test_read_stream(f3, &n3) : NULL;
    if (f1) fclose(f1);
    if (f3) fclose(f3);
    CHECK(c1 && c3 && n1 > 1000 && n1 == n3 && memcmp(c1, c3, n1) == 0);
    free(c1);
    free(c3);
  }
  for (size_t i = 0; i < l1.n_skipped && i < l3.n_skipped; i++)
    CHECK_STR(l3.skipped[i].reason, l1.skipped[i].reason);
  qa_figure_list_free(&l1);
  qa_figure_list_free(&l3);
}

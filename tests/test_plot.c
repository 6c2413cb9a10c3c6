/*
** Tests of src/plot/plot.c: ticks, tick labels, scales, colour maps, the
** Pareto front, fonts and text metrics.
**
** Sources of the expected values:
**  - linear ticks: R 4.2.2 pretty(c(lo, hi), n = target), which agrees with
**    our Heckbert-with-refinement steps on every case below;
**  - log ticks, labels, scales, grid: the definitions in plot.h, by hand;
**  - colours: the published tables (Okabe & Ito 2008; ColorBrewer RdBu;
**    viridisLite::viridis(9));
**  - Pareto front: a hand case, re-checked by brute force on the
**    definition of domination;
**  - text widths: advance widths read from DejaVuSans.ttf's own hmtx and
**    cmap tables with /usr/bin/python3 struct (no FreeType):
**    'M' 1767, 'Rank' 5162 font units of 2048 per em.
*/
#include "harness.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

static void check_ticks(double lo, double hi, int target, double want_step, const double *want,
                        int want_n) {
  double step = 0, t[QA_PLOT_MAX_TICKS];
  int n = 0;
  CHECK_INT(qa_plot_nice_ticks(lo, hi, target, &step, t, &n), 0);
  CHECK_NEAR(step, want_step, 1e-12);
  CHECK_INT(n, want_n);
  for (int i = 0; i < n && i < want_n; i++) CHECK_NEAR(t[i], want[i], 1e-12);
}

QA_TEST(plot_nice_ticks_match_r_pretty) {
  /* pretty(c(0, 1), n = 5): 0.0 0.2 0.4 0.6 0.8 1.0 */
  const double a[] = {0, 0.2, 0.4, 0.6, 0.8, 1.0};
  check_ticks(0, 1, 5, 0.2, a, 6);
  /* pretty(c(0.953, 0.9987), n = 5): 0.95 0.96 ... 1.00 */
  const double b[] = {0.95, 0.96, 0.97, 0.98, 0.99, 1.00};
  check_ticks(0.953, 0.9987, 5, 0.01, b, 6);
  /* pretty(c(12, 987), n = 5): 0 200 400 600 800 1000 */
  const double c[] = {0, 200, 400, 600, 800, 1000};
  check_ticks(12, 987, 5, 200, c, 6);
  /* pretty(c(-3.2, 7.9), n = 6): -4 -2 0 2 4 6 8 (plain Heckbert gives 5) */
  const double d[] = {-4, -2, 0, 2, 4, 6, 8};
  check_ticks(-3.2, 7.9, 6, 2, d, 7);
  /* pretty(c(-5.1, 5.4), n = 5): -6 ... 6 (plain Heckbert: -10..10 by 5) */
  const double e[] = {-6, -4, -2, 0, 2, 4, 6};
  check_ticks(-5.1, 5.4, 5, 2, e, 7);
  /* pretty(c(-0.37, -0.02), n = 4): -0.4 -0.3 -0.2 -0.1 0.0 */
  const double f[] = {-0.4, -0.3, -0.2, -0.1, 0.0};
  check_ticks(-0.37, -0.02, 4, 0.1, f, 5);
}

QA_TEST(plot_nice_ticks_edge_cases) {
  /* lo == hi is widened by 5 % each side: [2.85, 3.15] -> 2.8 .. 3.2 by 0.1 */
  const double a[] = {2.8, 2.9, 3.0, 3.1, 3.2};
  check_ticks(3, 3, 5, 0.1, a, 5);
  /* reversed bounds are swapped */
  check_ticks(1, 0, 5, 0.2, (const double[]){0, 0.2, 0.4, 0.6, 0.8, 1.0}, 6);
  double step, t[QA_PLOT_MAX_TICKS];
  int n;
  CHECK_INT(qa_plot_nice_ticks(NAN, 1, 5, &step, t, &n), -1);
  CHECK_INT(qa_plot_nice_ticks(0, INFINITY, 5, &step, t, &n), -1);
  CHECK_INT(qa_plot_nice_ticks(0, 1, 1, &step, t, &n), -1);
}

QA_TEST(plot_log_ticks) {
  double t[QA_PLOT_MAX_TICKS];
  int n = 0;
  /* four decades, target 5: every decade 1e-5 .. 1e-1 */
  CHECK_INT(qa_plot_log_ticks(1e-5, 0.03, 5, t, &n), 0);
  CHECK_INT(n, 5);
  for (int i = 0; i < n; i++) CHECK_NEAR(log10(t[i]), -5 + i, 1e-12);
  /* two decades: 1, 2, 5 in each, 0.001 .. 0.1 */
  const double two[] = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1};
  CHECK_INT(qa_plot_log_ticks(0.002, 0.03, 5, t, &n), 0);
  CHECK_INT(n, 7);
  for (int i = 0; i < n && i < 7; i++) CHECK_NEAR(t[i], two[i], 1e-15);
  /* nine decades, target 5: every ceil(12/4) = 3rd decade, 1e-9 .. 1 */
  CHECK_INT(qa_plot_log_ticks(1e-9, 1, 5, t, &n), 0);
  CHECK_INT(n, 4);
  for (int i = 0; i < n; i++) CHECK_NEAR(log10(t[i]), -9 + 3 * i, 1e-12);
  /* within a decade (3.9 / 0.69 < 10): every mantissa, 0.1 .. 10 */
  CHECK_INT(qa_plot_log_ticks(0.69, 3.9, 5, t, &n), 0);
  CHECK_INT(n, 19);
  CHECK_NEAR(t[0], 0.1, 1e-15);
  CHECK_NEAR(t[6], 0.7, 1e-15);
  CHECK_NEAR(t[9], 1.0, 1e-15);
  CHECK_NEAR(t[11], 3.0, 1e-15);
  CHECK_NEAR(t[18], 10.0, 1e-15);
  CHECK_INT(qa_plot_log_ticks(0, 1, 5, t, &n), -1);
  CHECK_INT(qa_plot_log_ticks(-1, 1, 5, t, &n), -1);
}

QA_TEST(plot_tick_labels) {
  char b[64];
  qa_plot_format_tick(0.2, 0.2, b, sizeof b);       CHECK_STR(b, "0.2");
  qa_plot_format_tick(-0.5, 0.1, b, sizeof b);      CHECK_STR(b, "\xE2\x88\x92" "0.5");
  qa_plot_format_tick(0.95, 0.01, b, sizeof b);     CHECK_STR(b, "0.95");
  qa_plot_format_tick(1.0, 0.01, b, sizeof b);      CHECK_STR(b, "1.00");
  qa_plot_format_tick(1000, 200, b, sizeof b);      CHECK_STR(b, "1000");
  qa_plot_format_tick(1e-17, 0.2, b, sizeof b);     CHECK_STR(b, "0");
  /* 2.5×10⁶ and 10⁻⁵, −3×10⁻⁵ in Unicode superscripts */
  qa_plot_format_tick(2.5e6, 5e5, b, sizeof b);
  CHECK_STR(b, "2.5\xC3\x97" "10\xE2\x81\xB6");
  qa_plot_format_tick(1e-5, 1e-5, b, sizeof b);
  CHECK_STR(b, "10\xE2\x81\xBB\xE2\x81\xB5");
  qa_plot_format_tick(-3e-5, 1e-5, b, sizeof b);
  CHECK_STR(b, "\xE2\x88\x92" "3\xC3\x97" "10\xE2\x81\xBB\xE2\x81\xB5");
  qa_plot_format_log_tick(0.001, b, sizeof b);      CHECK_STR(b, "0.001");
  qa_plot_format_log_tick(0.05, b, sizeof b);       CHECK_STR(b, "0.05");
  qa_plot_format_log_tick(200, b, sizeof b);        CHECK_STR(b, "200");
  qa_plot_format_log_tick(1, b, sizeof b);          CHECK_STR(b, "1");
  qa_plot_format_log_tick(5e-5, b, sizeof b);
  CHECK_STR(b, "5\xC3\x97" "10\xE2\x81\xBB\xE2\x81\xB5");
  qa_plot_format_log_tick(1e4, b, sizeof b);        CHECK_STR(b, "10\xE2\x81\xB4");
  qa_plot_format_log_tick(1e12, b, sizeof b);       CHECK_STR(b, "10\xC2\xB9\xC2\xB2");
}

QA_TEST(plot_scales) {
  qa_plot_scale s = qa_plot_scale_linear(0, 10, 100, 300);
  CHECK_NEAR(qa_plot_map(&s, 2.5), 150, 1e-12);
  CHECK_NEAR(qa_plot_map(&s, 10), 300, 1e-12);
  CHECK_NEAR(qa_plot_map(&s, -5), 0, 1e-12);        /* extrapolates */
  s = qa_plot_scale_linear(0, 1, 200, 50);          /* y grows upward */
  CHECK_NEAR(qa_plot_map(&s, 0.25), 162.5, 1e-12);
  s = qa_plot_scale_log(1, 1000, 0, 300);
  CHECK_NEAR(qa_plot_map(&s, 10), 100, 1e-12);
  CHECK_NEAR(qa_plot_map(&s, sqrt(10.0)), 50, 1e-12);
  CHECK(isnan(qa_plot_map(&s, 0)));
  CHECK(isnan(qa_plot_map(&s, -1)));
}

QA_TEST(plot_axis_init) {
  qa_plot_axis ax;
  /* linear, expanded to the outer ticks */
  CHECK_INT(qa_plot_axis_init(&ax, 0.953, 0.9987, 0, 5, 1, 0, 100), 0);
  CHECK_NEAR(ax.s.d0, 0.95, 1e-12);
  CHECK_NEAR(ax.s.d1, 1.00, 1e-12);
  CHECK_INT(ax.n_ticks, 6);
  /* not expanded: the data interval, and only the ticks inside it */
  CHECK_INT(qa_plot_axis_init(&ax, 0.953, 0.9987, 0, 5, 0, 0, 100), 0);
  CHECK_NEAR(ax.s.d0, 0.953, 1e-12);
  CHECK_INT(ax.n_ticks, 4);
  CHECK_NEAR(ax.ticks[0], 0.96, 1e-12);
  /* log [0.002, 0.03]: 0.002 is a tick; the next above 0.03 (0.05) is
  ** log10(5/3) = 0.22 decade away, more than 15 % of log10(15) = 0.176, so
  ** the end is padded by 3 % of the span: 0.03 * 10^(0.03 log10 15). */
  CHECK_INT(qa_plot_axis_init(&ax, 0.002, 0.03, 1, 5, 1, 0, 100), 0);
  CHECK_NEAR(ax.s.d0, 0.002, 1e-15);
  CHECK_NEAR(ax.s.d1, 0.03 * pow(10.0, 0.03 * log10(15.0)), 1e-12);
  CHECK_INT(ax.n_ticks, 4);            /* 0.002 0.005 0.01 0.02 */
  CHECK_INT(ax.sci, 0);
  char b[64];
  qa_plot_axis_label(&ax, 0.002, b, sizeof b);
  CHECK_STR(b, "0.002");
  /* log [1e-8, 0.9], target 7: ticks every 2 decades, up to 1 (0.046
  ** decade away); a tick below 0.001 makes every label 10ⁿ */
  CHECK_INT(qa_plot_axis_init(&ax, 1e-8, 0.9, 1, 7, 1, 0, 100), 0);
  CHECK_NEAR(ax.s.d0, 1e-8, 1e-20);
  CHECK_NEAR(ax.s.d1, 1.0, 1e-12);
  CHECK_INT(ax.n_ticks, 5);
  CHECK_INT(ax.sci, 1);
  qa_plot_axis_label(&ax, 1e-2, b, sizeof b);
  CHECK_STR(b, "10\xE2\x81\xBB\xC2\xB2");
  qa_plot_axis_label(&ax, 1.0, b, sizeof b);
  CHECK_STR(b, "10\xE2\x81\xB0");
}

static void check_rgb(qa_rgb c, unsigned hex) {
  CHECK_NEAR(c.r, (hex >> 16 & 255) / 255.0, 1e-12);
  CHECK_NEAR(c.g, (hex >> 8 & 255) / 255.0, 1e-12);
  CHECK_NEAR(c.b, (hex & 255) / 255.0, 1e-12);
}

QA_TEST(plot_colour_maps) {
  check_rgb(qa_plot_viridis(0.0), 0x440154);
  check_rgb(qa_plot_viridis(1.0), 0xFDE725);
  check_rgb(qa_plot_viridis(0.5), 0x21908C);     /* the middle of 9 stops */
  check_rgb(qa_plot_viridis(-3.0), 0x440154);    /* clamped */
  check_rgb(qa_plot_viridis(NAN), 0x440154);
  /* halfway between the first two stops #440154 and #472D7B */
  qa_rgb v = qa_plot_viridis(1.0 / 16.0);
  CHECK_NEAR(v.r, (0x44 + 0x47) / 2.0 / 255.0, 1e-12);
  CHECK_NEAR(v.g, (0x01 + 0x2D) / 2.0 / 255.0, 1e-12);
  CHECK_NEAR(v.b, (0x54 + 0x7B) / 2.0 / 255.0, 1e-12);
  check_rgb(qa_plot_diverging(0.0), 0x67001F);
  check_rgb(qa_plot_diverging(0.5), 0xF7F7F7);
  check_rgb(qa_plot_diverging(1.0), 0x053061);
  check_rgb(qa_plot_diverging(2.0), 0x053061);
}

QA_TEST(plot_palettes) {
  /* variants: black, blue, orange, bluish green, ... cycling after 8 */
  check_rgb(qa_plot_variant_color(0), 0x000000);
  check_rgb(qa_plot_variant_color(1), 0x0072B2);
  check_rgb(qa_plot_variant_color(2), 0xE69F00);
  check_rgb(qa_plot_variant_color(3), 0x009E73);
  check_rgb(qa_plot_variant_color(4), 0xD55E00);
  check_rgb(qa_plot_variant_color(8), 0x000000);
  CHECK_INT(qa_plot_variant_marker(7), QA_MARK_SQUARE);
  /* the default three tiers and unacceptable */
  check_rgb(qa_plot_tier_color(0, 3), 0x009E73);
  check_rgb(qa_plot_tier_color(1, 3), 0x0072B2);
  check_rgb(qa_plot_tier_color(2, 3), 0xE69F00);
  check_rgb(qa_plot_tier_color(3, 3), 0xD55E00);
  check_rgb(qa_plot_tier_color(1, 2), 0x0072B2);
  check_rgb(qa_plot_tier_color(2, 2), 0xD55E00);
  check_rgb(qa_plot_tier_color(0, 0), 0xD55E00);
  check_rgb(qa_plot_class_color(0, 3), 0xE69F00);
  check_rgb(qa_plot_class_color(0, 12), 0x440154);   /* viridis past 7 */
  check_rgb(qa_plot_class_color(11, 12), 0xFDE725);
  /* WCAG: white text below relative luminance 0.179, where the two
  ** contrast ratios 1.05/(L+0.05) and (L+0.05)/0.05 are equal */
  check_rgb(qa_plot_ink_on(qa_plot_diverging(1.0)), 0xFFFFFF);
  check_rgb(qa_plot_ink_on(qa_plot_diverging(0.0)), 0xFFFFFF);
  CHECK(qa_plot_ink_on(qa_plot_diverging(0.5)).r < 0.2);
  CHECK(qa_plot_ink_on(QA_OKABE_ITO[6]).r < 0.2);        /* vermillion, L 0.22 */
}

QA_TEST(plot_pareto_front) {
  /* H (0.5, 0.3), A (1, 0.5), B (2, 0.7), C (2, 0.6) and D (3, 0.65)
  ** dominated by B, E (4, 0.9), F with NaN cost, G identical to A. */
  const double cost[8] = {1, 2, 2, 3, 4, NAN, 1, 0.5};
  const double qual[8] = {0.5, 0.7, 0.6, 0.65, 0.9, 1.0, 0.5, 0.3};
  size_t front[8];
  size_t n = qa_plot_pareto_front(cost, qual, 8, front);
  CHECK_INT(n, 4);
  const size_t want[4] = {7, 0, 1, 4};
  for (size_t i = 0; i < n && i < 4; i++) CHECK_INT(front[i], want[i]);
  /* Brute force: i is on the front iff no j has cost <= and quality >=
  ** with one strict; G (6) is A's duplicate and only A is kept. */
  for (size_t i = 0; i < 8; i++) {
    if (isnan(cost[i]) || i == 6) continue;
    int dominated = 0, listed = 0;
    for (size_t j = 0; j < 8; j++)
      if (j != i && !isnan(cost[j]) && cost[j] <= cost[i] && qual[j] >= qual[i] &&
          (cost[j] < cost[i] || qual[j] > qual[i]))
        dominated = 1;
    for (size_t k = 0; k < n; k++) listed |= front[k] == i;
    CHECK_INT(listed, !dominated);
  }
  CHECK_INT(qa_plot_pareto_front(cost, qual, 0, front), 0);
}

QA_TEST(plot_grid) {
  size_t c, r;
  qa_plot_grid(5, 3, &c, &r); CHECK_INT(c, 3); CHECK_INT(r, 2);
  qa_plot_grid(4, 2, &c, &r); CHECK_INT(c, 2); CHECK_INT(r, 2);
  qa_plot_grid(2, 3, &c, &r); CHECK_INT(c, 2); CHECK_INT(r, 1);
  qa_plot_grid(0, 3, &c, &r); CHECK_INT(c, 1); CHECK_INT(r, 1);
}

QA_TEST(plot_fonts_and_text_metrics) {
  qa_error err = {0};
  qa_plot_fonts *f = NULL;
  CHECK_INT(qa_plot_fonts_load("/nonexistent-fonts", &f, &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  CHECK_CONTAINS(err.msg, "/nonexistent-fonts/DejaVuSans.ttf");
  CHECK(f == NULL);
  if (qa_plot_fonts_load("fonts", &f, &err)) {
    qa_test_fail(__FILE__, __LINE__, "fonts: %s", err.msg);
    return;
  }
  qa_plot p;
  CHECK_INT(qa_plot_begin(&p, f, 2.0, 1.0, &err), 0);
  CHECK_INT(cairo_image_surface_get_width(p.surface), 440);    /* 2 in x 220 dpi */
  CHECK_INT(cairo_image_surface_get_height(p.surface), 220);
  CHECK_NEAR(p.width, 144.0, 1e-12);                           /* points */
  /* unhinted advances: 1767/2048 em for 'M', 5162/2048 for "Rank" */
  CHECK_NEAR(qa_plot_text_width(&p, "M", 10.0, 0), 1767.0 * 10.0 / 2048.0, 0.01);
  CHECK_NEAR(qa_plot_text_width(&p, "Rank", 10.0, 0), 5162.0 * 10.0 / 2048.0, 0.01);
  CHECK_NEAR(qa_plot_text_width(&p, "Rank", 20.0, 0),
             2.0 * qa_plot_text_width(&p, "Rank", 10.0, 0), 1e-6);
  CHECK(qa_plot_text_width(&p, "Rank", 10.0, 1) > qa_plot_text_width(&p, "Rank", 10.0, 0));
  qa_plot_end(&p);
  qa_plot_end(&p);                                             /* idempotent */
  CHECK_INT(qa_plot_begin(&p, f, 0.0, 1.0, &err), -1);
  qa_plot_fonts_free(f);
  qa_plot_fonts_free(NULL);
}

/* The figures' PNG encoder: cairo's own PNG reader (libpng) gives back
** every pixel of a pattern with flat areas, gradients, noise and an odd
** width, rows wider than one IDAT chunk included; the signature and the
** IHDR are the PNG specification's. */
QA_TEST(plot_png_writer_round_trip) {
  const int W = 1237, H = 61;
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
  unsigned char *px = cairo_image_surface_get_data(s);
  int stride = cairo_image_surface_get_stride(s);
  uint32_t seed = 7;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      seed = seed * 1664525u + 1013904223u;
      uint32_t v = y < 20 ? 0xFFFFFFu                                   /* flat */
                   : y < 40 ? (uint32_t)(x & 255) << 16 | (uint32_t)(y * 4) << 8 | 17u
                            : seed >> 8;                                 /* noise */
      ((uint32_t *)(void *)(px + (size_t)y * (size_t)stride))[x] = v & 0xFFFFFFu;
    }
  cairo_surface_mark_dirty(s);
  char path[600];
  const char *dir = qa_test_fresh_dir("png");
  CHECK(dir != NULL);
  if (!dir) return;
  snprintf(path, sizeof path, "%s/t.png", dir);
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  CHECK_INT(qa_plot_png_write(f, px, W, H, stride), 0);
  fclose(f);
  unsigned char head[33];
  f = fopen(path, "rb");
  CHECK(f && fread(head, 1, sizeof head, f) == sizeof head);
  if (f) fclose(f);
  CHECK(memcmp(head, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16) == 0);
  CHECK_INT(head[16] << 24 | head[17] << 16 | head[18] << 8 | head[19], W);
  CHECK_INT(head[24], 8);   /* bit depth */
  CHECK_INT(head[25], 2);   /* RGB */
  cairo_surface_t *r = cairo_image_surface_create_from_png(path);
  CHECK_INT(cairo_surface_status(r), CAIRO_STATUS_SUCCESS);
  CHECK_INT(cairo_image_surface_get_width(r), W);
  CHECK_INT(cairo_image_surface_get_height(r), H);
  const unsigned char *rp = cairo_image_surface_get_data(r);
  int rs = cairo_image_surface_get_stride(r), bad = 0;
  for (int y = 0; rp && y < H; y++)
    for (int x = 0; x < W; x++) {
      uint32_t a = ((const uint32_t *)(const void *)(px + (size_t)y * (size_t)stride))[x];
      uint32_t b = ((const uint32_t *)(const void *)(rp + (size_t)y * (size_t)rs))[x];
      bad += (a & 0xFFFFFFu) != (b & 0xFFFFFFu);
    }
  CHECK_INT(bad, 0);
  cairo_surface_destroy(r);
  cairo_surface_destroy(s);
  remove(path);
}

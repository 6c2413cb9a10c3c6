/*
** Label boxes and the label placer (src/plot/plot_labels.c), and the real
** figures of the TR125 and showcase reports checked through the boxes the
** plotting layer records while they are drawn: no two text boxes
** intersect, every box is inside its canvas, no placed data label covers
** a marker, and the cost figure never prints the same label twice in a
** panel (its memory panel shows the same points again, under the same
** names).
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "figures/figures.h"
#include "input/config.h"
#include "input/study.h"
#include "plot/plot.h"

/* ---- the pure part: intersection ------------------------------------------ */

static qa_plot_box quad(const double *x, const double *y) {
  qa_plot_box b;
  memset(&b, 0, sizeof b);
  for (int k = 0; k < 4; k++) { b.cx[k] = x[k]; b.cy[k] = y[k]; }
  b.x0 = b.x1 = x[0]; b.y0 = b.y1 = y[0];
  for (int k = 1; k < 4; k++) {
    b.x0 = fmin(b.x0, x[k]); b.x1 = fmax(b.x1, x[k]);
    b.y0 = fmin(b.y0, y[k]); b.y1 = fmax(b.y1, y[k]);
  }
  return b;
}

static qa_plot_box rect(double x0, double y0, double x1, double y1) {
  const double x[4] = {x0, x1, x1, x0}, y[4] = {y0, y0, y1, y1};
  return quad(x, y);
}

/* A square of half-diagonal r centred at (cx, cy), turned by 45 degrees:
** its corners are at distance r along the axes. */
static qa_plot_box diamond(double cx, double cy, double r) {
  const double x[4] = {cx, cx + r, cx, cx - r}, y[4] = {cy - r, cy, cy + r, cy};
  return quad(x, y);
}

QA_TEST(labels_box_intersect_closed_forms) {
  qa_plot_box a = rect(0, 0, 10, 10), b = rect(5, 5, 15, 15), c = rect(10, 0, 20, 10);
  CHECK_INT(qa_plot_box_intersect(&a, &b), 1);       /* 5 x 5 overlap */
  CHECK_INT(qa_plot_box_intersect(&a, &c), 0);       /* share the edge x = 10 only */
  qa_plot_box d = rect(10.02, 0, 20, 10), e = rect(9.98, 0, 20, 10);
  CHECK_INT(qa_plot_box_intersect(&a, &d), 0);       /* 0.02 px apart */
  CHECK_INT(qa_plot_box_intersect(&a, &e), 1);       /* 0.02 px overlap > the 0.01 hair */
  /* The diamond at (15, 5) of half-diagonal r reaches x = 15 - r on the
  ** line y = 5; its edges run at 45 degrees, so its bounding box [15 - r,
  ** 15 + r] overlaps the square [0, 10]^2 for r > 5 but the diamond itself
  ** does only when its left corner passes x = 10, i.e. r > 5 as well: the
  ** corner case is the diamond at (13, 13), whose nearest edge to the
  ** square's corner (10, 10) is at distance (26 - r - 20)/sqrt 2: it
  ** meets the square for r > 6 although its bounding box does for r > 3. */
  qa_plot_box f = diamond(13, 13, 5.9), g = diamond(13, 13, 6.1);
  CHECK_INT(qa_plot_box_intersect(&a, &f), 0);
  CHECK_INT(qa_plot_box_intersect(&f, &a), 0);
  CHECK_INT(qa_plot_box_intersect(&a, &g), 1);
  CHECK_INT(qa_plot_box_intersect(&g, &a), 1);
  qa_plot_box inner = rect(2, 2, 3, 3);             /* one inside the other */
  CHECK_INT(qa_plot_box_intersect(&a, &inner), 1);
}

/* ---- the placer on a blank canvas ------------------------------------------ */

static qa_plot_fonts *fonts_or_fail(void) {
  qa_plot_fonts *f = NULL;
  qa_error err = {0};
  if (qa_plot_fonts_load("fonts", &f, &err)) qa_test_fail(__FILE__, __LINE__, "%s", err.msg);
  return f;
}

static size_t count_role(const qa_plot *p, int role) {
  size_t n, k = 0;
  const qa_plot_box *b = qa_plot_boxes(p, &n);
  for (size_t i = 0; i < n; i++) k += b[i].role == role;
  return k;
}

QA_TEST(labels_placer_moves_then_shortens_then_drops) {
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_plot p;
  qa_error err = {0};
  CHECK_INT(qa_plot_begin(&p, fonts, 2.0, 1.0, &err), 0);
  qa_plot_area all = {0, 0, p.width, p.height};
  qa_plot_marker(&p, QA_MARK_CIRCLE, 72, 36, 7.0, (qa_rgb){0, 0, 0});
  qa_plot_label l = {{"first label", NULL}, 72, 36, 0, 6.0, QA_PLOT_TICK_PT, 0,
                     QA_LABEL_AROUND, 0};
  CHECK_INT(qa_plot_place_label(&p, &l, &all), 0);
  size_t n;
  const qa_plot_box *b = qa_plot_boxes(&p, &n);
  CHECK_INT(n, 2);                                 /* the marker, the label */
  CHECK_INT(b[1].role, QA_BOX_LABEL);
  CHECK_STR(b[1].text, "first label");
  /* Right of the point first: its ink starts gap = 6 pt right of x = 72,
  ** i.e. at (72 + 6) x 220/72 px = 238.3 px. */
  CHECK_NEAR(b[1].x0, 78.0 * QA_PLOT_DPI / 72.0, 0.05);
  CHECK_INT(qa_plot_box_intersect(&b[0], &b[1]), 0);
  /* The same anchor again: right is taken, so it goes left of the point. */
  l.text[0] = "second label";
  CHECK_INT(qa_plot_place_label(&p, &l, &all), 0);
  b = qa_plot_boxes(&p, &n);
  CHECK(b[2].x1 < 66.0 * QA_PLOT_DPI / 72.0 + 0.05);
  /* In an area only the short form fits: the long one is skipped. */
  qa_plot_area narrow = {100, 0, 140, 72};
  qa_plot_label s = {{"a label far too wide for it", "short", NULL}, 120, 20, 0, 3.0,
                     QA_PLOT_TICK_PT, 0, QA_LABEL_SLOT, 0};
  CHECK_INT(qa_plot_place_label(&p, &s, &narrow), 1);
  /* Where every place is taken the label is dropped and nothing is drawn. */
  qa_plot_obstacle(&p, 0, 0, p.width, p.height);
  size_t before = count_role(&p, QA_BOX_LABEL);
  l.text[0] = "third label";
  CHECK_INT(qa_plot_place_label(&p, &l, &all), -1);
  CHECK_INT(count_role(&p, QA_BOX_LABEL), before);
  qa_plot_end(&p);
  qa_plot_fonts_free(fonts);
}

QA_TEST(labels_turned_text_is_recorded_turned) {
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_plot p;
  qa_error err = {0};
  CHECK_INT(qa_plot_begin(&p, fonts, 2.0, 2.0, &err), 0);
  /* Text turned by -90 degrees reads upward: its box is as wide as the
  ** text is tall and as tall as it is wide. */
  double w = qa_plot_text_width(&p, "HHHH", 10.0, 0);
  qa_plot_text_rotated(&p, "HHHH", 72, 72, 10.0, 0, 0.5, 0.5, -M_PI / 2, (qa_rgb){0, 0, 0});
  size_t n;
  const qa_plot_box *b = qa_plot_boxes(&p, &n);
  CHECK_INT(n, 1);
  double px = QA_PLOT_DPI / 72.0;
  /* DejaVu Sans "H", read from fonts/DejaVuSans.ttf's own tables with a
  ** short struct-unpacking script (cmap, hmtx, glyf): advance 1540, glyph
  ** box x 201..1339, y 0..1493 of 2048 units per em.  So the ink is 1493
  ** units tall and four H's are 4 x 1540 - 201 - (1540 - 1339) wide. */
  CHECK_NEAR((b[0].x1 - b[0].x0) / px, 10.0 * 1493.0 / 2048.0, 0.1);
  CHECK_NEAR((b[0].y1 - b[0].y0) / px, w - 2 * 10.0 * 201.0 / 2048.0, 0.15);
  qa_plot_end(&p);
  qa_plot_fonts_free(fonts);
}

/* ---- the real figures ------------------------------------------------------- */

typedef struct figure_check {
  int figures;                 /* PNGs seen */
  int failures;
  int cost_labels;             /* data labels seen in figure 7 */
} figure_check;

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

static int is_text(int role) { return role == QA_BOX_TEXT || role == QA_BOX_AXIS ||
                                      role == QA_BOX_LABEL; }

/* The problems of a finished canvas, each reported (when report) as a
** test failure naming the figure and the texts: text boxes that meet,
** leave the canvas, data labels over a marker, a cost-figure label twice
** in a panel, boxes that could not be recorded. */
static int problems(const char *png, const qa_plot *p, int report) {
  size_t n;
  const qa_plot_box *b = qa_plot_boxes(p, &n);
  double W = cairo_image_surface_get_width(p->surface);
  double H = cairo_image_surface_get_height(p->surface);
  const char *name = base_name(png);
  int cost = !strncmp(name, "fig7-", 5), bad = 0;
  if (p->n_boxes_lost) {
    bad++;
    if (report) qa_test_fail(__FILE__, __LINE__, "%s: %zu boxes not recorded", name,
                             p->n_boxes_lost);
  }
  for (size_t i = 0; i < n; i++) {
    if (!is_text(b[i].role)) continue;
    if (b[i].x0 < 0 || b[i].y0 < 0 || b[i].x1 > W || b[i].y1 > H) {
      bad++;
      if (report) qa_test_fail(__FILE__, __LINE__, "%s: \"%s\" [%.1f %.1f %.1f %.1f] leaves "
                               "the %gx%g canvas", name, b[i].text, b[i].x0, b[i].y0, b[i].x1,
                               b[i].y1, W, H);
    }
    for (size_t j = 0; j < n; j++) {
      int text_pair = j > i && is_text(b[j].role);
      int over_mark = b[j].role == QA_BOX_MARK && b[i].role == QA_BOX_LABEL;
      if ((!text_pair && !over_mark) || !qa_plot_box_intersect(&b[i], &b[j])) continue;
      bad++;
      if (report) qa_test_fail(__FILE__, __LINE__, "%s: \"%s\" [%.0f %.0f %.0f %.0f] meets %s "
                               "\"%s\" [%.0f %.0f %.0f %.0f]", name, b[i].text, b[i].x0,
                               b[i].y0, b[i].x1, b[i].y1, over_mark ? "marker" : "text",
                               b[j].text, b[j].x0, b[j].y0, b[j].x1, b[j].y1);
    }
    if (cost && b[i].role == QA_BOX_LABEL)
      for (size_t j = i + 1; j < n; j++)
        if (b[j].role == QA_BOX_LABEL && b[j].panel == b[i].panel &&
            !strcmp(b[i].text, b[j].text)) {
          bad++;
          if (report) qa_test_fail(__FILE__, __LINE__, "%s: label \"%s\" printed twice in "
                                   "panel %d", name, b[i].text, b[i].panel);
        }
  }
  return bad;
}

static void check_figure(void *ctx, const char *png, const qa_plot *p) {
  figure_check *c = ctx;
  size_t n;
  const qa_plot_box *b = qa_plot_boxes(p, &n);
  c->figures++;
  for (size_t i = 0; i < n; i++)
    if (!strncmp(base_name(png), "fig7-", 5) && b[i].role == QA_BOX_LABEL) c->cost_labels++;
  c->failures += problems(png, p, 1);
}

/* The check itself can fail: a canvas built to break each rule once. */
QA_TEST(labels_check_catches_each_fault) {
  qa_plot_fonts *fonts = fonts_or_fail();
  if (!fonts) return;
  qa_plot p;
  qa_error err = {0};
  CHECK_INT(qa_plot_begin(&p, fonts, 3.0, 2.0, &err), 0);
  qa_rgb ink = {0, 0, 0};
  qa_plot_text(&p, "clean", 20, 20, 8.0, 0, 0.0, 1.0, ink);
  CHECK_INT(problems("fig7-cost.png", &p, 0), 0);
  qa_plot_text(&p, "overlapping", 22, 21, 8.0, 0, 0.0, 1.0, ink);      /* meets "clean" */
  CHECK_INT(problems("fig7-cost.png", &p, 0), 1);
  qa_plot_text(&p, "off the edge", p.width - 10, 100, 8.0, 0, 0.0, 1.0, ink);
  CHECK_INT(problems("fig7-cost.png", &p, 0), 2);
  /* A data label drawn over a marker (by hand, not through the placer). */
  qa_plot_marker(&p, QA_MARK_CIRCLE, 100, 60, 7.0, ink);
  int role = qa_plot_text_role(&p, QA_BOX_LABEL);
  qa_plot_text(&p, "Q4_K_M", 100, 60, 7.0, 0, 0.5, 0.5, ink);
  CHECK_INT(problems("fig7-cost.png", &p, 0), 3);
  /* The same label again, elsewhere in the panel: ambiguous in figure 7
  ** only, and only within one panel. */
  qa_plot_text(&p, "Q4_K_M", 150, 120, 7.0, 0, 0.5, 0.5, ink);
  CHECK_INT(problems("fig7-cost.png", &p, 0), 4);
  CHECK_INT(problems("fig6-accuracy.png", &p, 0), 3);
  qa_plot_text_role(&p, role);
  qa_plot_end(&p);
  qa_plot_fonts_free(fonts);
}

/* Renders every figure of the study at config through the figure code with
** the checking observer; returns the number of PNGs. */
static int render_checked(const char *config, const char *tag, figure_check *c) {
  qa_config *cfg = NULL;
  qa_study *study = NULL;
  qa_analysis *a = NULL;
  qa_error err = {0};
  qa_analysis_opts o = {1};
  qa_figure_list l = {0};
  char dir[600];
  snprintf(dir, sizeof dir, "%s/labels-%s", qa_test_tmpdir(), tag);
  memset(c, 0, sizeof *c);
  if (qa_config_load(config, &cfg, &err) || qa_study_load(cfg, NULL, &study, &err) ||
      qa_analysis_run(study, &o, NULL, &a, &err)) {
    qa_test_fail(__FILE__, __LINE__, "%s: %s (run `make examples` first)", config, err.msg);
    goto done;
  }
  qa_plot_set_observer(check_figure, c);
  if (qa_figures_render_all(study, a, "fonts", dir, 2, &l, &err))
    qa_test_fail(__FILE__, __LINE__, "render_all: %s", err.msg);
  qa_plot_set_observer(NULL, NULL);
  CHECK_INT(c->figures, (long long)l.n);
done:
  qa_figure_list_free(&l);
  qa_analysis_free(a);
  qa_study_free(study);
  qa_config_free(cfg);
  return c->figures;
}

QA_TEST(labels_tr125_figures_never_overprint) {
  figure_check c;
  /* TR125 draws figures 6, 7 and 8 (no hidden states, no KL, no tokens). */
  CHECK_INT(render_checked("examples/tr125/config.json", "tr125", &c), 3);
  CHECK_INT(c.failures, 0);
  /* 34 points: the front's are labelled at least (docs/figures.md). */
  CHECK(c.cost_labels >= 8);
}

QA_TEST(labels_showcase_figures_never_overprint) {
  figure_check c;
  CHECK(render_checked("examples/showcase/config.json", "showcase", &c) >= 10);
  CHECK_INT(c.failures, 0);
}

/* The 34 TR125 caches as the variants of one model ("llama3.2-1b Q4_K_M"
** and so on, baseline llama3.1-8b's Q8_0): 34 slots in one accuracy
** panel, 33 rows of agreement, 34 points with unambiguous names.  The
** config is written from examples/tr125/config.json, without its claims
** (they name variants of the five models). */
static int write_one_model_config(const char *path) {
  char *text = qa_test_read_file("examples/tr125/config.json", NULL);
  cJSON *cfg = text ? cJSON_Parse(text) : NULL, *vars = cJSON_CreateArray();
  free(text);
  char cwd[1024];
  int ok = cfg && vars && getcwd(cwd, sizeof cwd), n = 0;
  const cJSON *m, *v, *models_in = ok ? cJSON_GetObjectItem(cfg, "models") : NULL;
  cJSON_ArrayForEach(m, models_in)
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(m, "variants")) {
      char name[256], file[1400];
      snprintf(name, sizeof name, "%s %s", cJSON_GetObjectItem(m, "name")->valuestring,
               cJSON_GetObjectItem(v, "name")->valuestring);
      snprintf(file, sizeof file, "%s/examples/tr125/%s", cwd,
               cJSON_GetObjectItem(v, "file")->valuestring);
      cJSON *o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "name", name);
      cJSON_AddStringToObject(o, "file", file);
      cJSON_AddItemToArray(vars, o);
      n++;
    }
  if (!ok || n != 34) {
    cJSON_Delete(cfg);
    cJSON_Delete(vars);
    return qa_test_fail(__FILE__, __LINE__, "tr125 config: %d variants, want 34", n) - 1;
  }
  cJSON *model = cJSON_CreateObject(), *models = cJSON_CreateArray();
  cJSON_AddStringToObject(model, "name", "all-34");
  cJSON_AddStringToObject(model, "baseline", "llama3.1-8b Q8_0");
  cJSON_AddItemToObject(model, "variants", vars);
  cJSON_AddItemToArray(models, model);
  cJSON_ReplaceItemInObject(cfg, "models", models);
  cJSON_DeleteItemFromObject(cfg, "claims");
  char *out = cJSON_Print(cfg);
  FILE *f = fopen(path, "w");
  int rc = out && f && fputs(out, f) >= 0 ? 0 : -1;
  if (f) fclose(f);
  free(out);
  cJSON_Delete(cfg);
  return rc ? qa_test_fail(__FILE__, __LINE__, "cannot write %s", path) - 1 : 0;
}

QA_TEST(labels_34_variants_of_one_model_never_overprint) {
  char path[700];
  snprintf(path, sizeof path, "%s/labels-one34.json", qa_test_tmpdir());
  if (write_one_model_config(path)) return;
  figure_check c;
  CHECK_INT(render_checked(path, "one34", &c), 3);
  CHECK_INT(c.failures, 0);
  CHECK(c.cost_labels >= 8);
}

/* The other two examples: digits (hidden states, four variants) and
** tinylm (token-level outputs: figures 10 to 12). */
QA_TEST(labels_digits_and_tinylm_figures_never_overprint) {
  figure_check c;
  CHECK(render_checked("examples/digits/config.json", "digits", &c) >= 8);
  CHECK_INT(c.failures, 0);
  CHECK_INT(render_checked("examples/tinylm/config.json", "tinylm", &c), 3);   /* 10, 11, 12 */
  CHECK_INT(c.failures, 0);
}

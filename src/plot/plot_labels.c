/*
** Label boxes and the label placer (plot.h "label boxes").
**
** Every text a canvas draws (qa_plot_text_rotated is the one place text
** reaches cairo) and every marker is recorded here as a box in device
** pixels: the text's ink box turned with the text, so four corners, and
** the marker's square.  A data label is then placed by trying candidate
** texts and positions until one meets no recorded box, so labels cannot
** overprint each other, a marker or an axis' text by construction; a
** label with no free place is dropped and the figure says so.
**
** Intersection is the separating-axis test of two convex quadrilaterals
** (Gottschalk, Lin & Manocha, "OBBTree", SIGGRAPH 1996, section 4: two
** convex polygons are disjoint iff their projections on some edge normal
** of either are disjoint).  It must never draw anything but the labels it
** places and their leaders.
*/
#include "plot/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording ----------------------------------------------------------- */

static qa_plot_box *add_box(qa_plot *p, int role) {
  if (p->n_boxes == p->cap_boxes) {
    size_t cap = p->cap_boxes ? 2 * p->cap_boxes : 256;
    if (cap > QA_PLOT_MAX_BOXES) cap = QA_PLOT_MAX_BOXES;
    qa_plot_box *grown = cap > p->cap_boxes ? realloc(p->boxes, cap * sizeof *grown) : NULL;
    if (!grown) { p->n_boxes_lost++; return NULL; }
    p->boxes = grown;
    p->cap_boxes = cap;
  }
  qa_plot_box *b = &p->boxes[p->n_boxes++];
  memset(b, 0, sizeof *b);
  b->role = role;
  b->panel = p->panel;
  return b;
}

/* Corners (x[k], y[k]) in user units of the current transformation. */
static void set_corners(qa_plot *p, qa_plot_box *b, const double *x, const double *y) {
  for (int k = 0; k < 4; k++) {
    double dx = x[k], dy = y[k];
    cairo_user_to_device(p->cr, &dx, &dy);
    b->cx[k] = dx;
    b->cy[k] = dy;
  }
  b->x0 = fmin(fmin(b->cx[0], b->cx[1]), fmin(b->cx[2], b->cx[3]));
  b->x1 = fmax(fmax(b->cx[0], b->cx[1]), fmax(b->cx[2], b->cx[3]));
  b->y0 = fmin(fmin(b->cy[0], b->cy[1]), fmin(b->cy[2], b->cy[3]));
  b->y1 = fmax(fmax(b->cy[0], b->cy[1]), fmax(b->cy[2], b->cy[3]));
}

static void add_rect(qa_plot *p, int role, double x0, double y0, double x1, double y1,
                     const char *text) {
  qa_plot_box *b = add_box(p, role);
  if (!b) return;
  const double x[4] = {x0, x1, x1, x0}, y[4] = {y0, y0, y1, y1};
  set_corners(p, b, x, y);
  if (text) {
    size_t k = qa_plot_utf8_prefix(text, QA_PLOT_BOX_TEXT - 1);
    memcpy(b->text, text, k);
    b->text[k] = '\0';
  }
}

void qa_plot_record_text(qa_plot *p, const char *utf8, double size, int bold, double dx,
                         double dy) {
  cairo_text_extents_t te;
  qa_plot_text_ink(p, utf8, size, bold, &te);
  if (!(te.width > 0) || !(te.height > 0)) return;     /* spaces only: no ink */
  add_rect(p, p->text_role, dx + te.x_bearing, dy + te.y_bearing,
           dx + te.x_bearing + te.width, dy + te.y_bearing + te.height, utf8);
}

void qa_plot_record_mark(qa_plot *p, double x, double y, double r) {
  add_rect(p, QA_BOX_MARK, x - r, y - r, x + r, y + r, NULL);
}

void qa_plot_obstacle(qa_plot *p, double x0, double y0, double x1, double y1) {
  add_rect(p, QA_BOX_OBSTACLE, fmin(x0, x1), fmin(y0, y1), fmax(x0, x1), fmax(y0, y1), NULL);
}

int qa_plot_text_role(qa_plot *p, int role) {
  int old = p->text_role;
  p->text_role = role;
  return old;
}

void qa_plot_set_panel(qa_plot *p, int panel) { p->panel = panel; }

const qa_plot_box *qa_plot_boxes(const qa_plot *p, size_t *n) {
  *n = p->n_boxes;
  return p->boxes;
}

void qa_plot_boxes_free(qa_plot *p) {
  free(p->boxes);
  p->boxes = NULL;
  p->n_boxes = p->cap_boxes = p->n_boxes_lost = 0;
}

/* ---- intersection ---------------------------------------------------------- */

#define HAIR 0.01    /* px: overlaps thinner than this are touching */

/* 1 when an edge normal of e separates a and b. */
static int separated(const qa_plot_box *e, const qa_plot_box *a, const qa_plot_box *b) {
  for (int k = 0; k < 2; k++) {
    double nx = -(e->cy[k + 1] - e->cy[k]), ny = e->cx[k + 1] - e->cx[k];
    double len = hypot(nx, ny);
    if (len < 1e-12) continue;              /* a degenerate edge has no normal */
    nx /= len;
    ny /= len;
    double a0 = INFINITY, a1 = -INFINITY, b0 = INFINITY, b1 = -INFINITY;
    for (int j = 0; j < 4; j++) {
      double pa = a->cx[j] * nx + a->cy[j] * ny, pb = b->cx[j] * nx + b->cy[j] * ny;
      a0 = fmin(a0, pa); a1 = fmax(a1, pa);
      b0 = fmin(b0, pb); b1 = fmax(b1, pb);
    }
    if (a1 <= b0 + HAIR || b1 <= a0 + HAIR) return 1;
  }
  return 0;
}

int qa_plot_box_intersect(const qa_plot_box *a, const qa_plot_box *b) {
  if (a->x1 <= b->x0 + HAIR || b->x1 <= a->x0 + HAIR || a->y1 <= b->y0 + HAIR ||
      b->y1 <= a->y0 + HAIR)
    return 0;
  return !separated(a, a, b) && !separated(b, a, b);
}

/* ---- the placer ----------------------------------------------------------- */

#define LABEL_PAD 1.0    /* points kept free round a label's ink */
/* The rings of positions round a point, by their extra distance in
** points: beside it, then three further out with a leader. */
#define N_RINGS 4
static const double RING_OUT[N_RINGS] = {0.0, 9.0, 18.0, 30.0};

/* 1 when the user-space rectangle (padded) is inside `within` and meets no
** recorded box. */
static int rect_free(qa_plot *p, double x0, double y0, double x1, double y1,
                     const qa_plot_area *within) {
  if (x0 < within->x0 || x1 > within->x1 || y0 < within->y0 || y1 > within->y1) return 0;
  qa_plot_box q;
  const double x[4] = {x0 - LABEL_PAD, x1 + LABEL_PAD, x1 + LABEL_PAD, x0 - LABEL_PAD};
  const double y[4] = {y0 - LABEL_PAD, y0 - LABEL_PAD, y1 + LABEL_PAD, y1 + LABEL_PAD};
  set_corners(p, &q, x, y);
  for (size_t i = 0; i < p->n_boxes; i++)
    if (qa_plot_box_intersect(&q, &p->boxes[i])) return 0;
  return 1;
}

/* Distance from (x, y) to the rectangle [x0, x1] x [y0, y1]. */
static double rect_dist(double x, double y, double x0, double y0, double x1, double y1) {
  double dx = x < x0 ? x0 - x : x > x1 ? x - x1 : 0, dy = y < y0 ? y0 - y : y > y1 ? y - y1 : 0;
  return hypot(dx, dy);
}

/* 1 when no other marker's centre is nearer the label (user rectangle)
** than its own point (ax, ay): a label beside a point must read as that
** point's.  Markers round the anchor (its own, a ring) do not count. */
static int nearest_is_own(qa_plot *p, double x0, double y0, double x1, double y1, double ax,
                          double ay) {
  double dx0 = x0, dy0 = y0, dx1 = x1, dy1 = y1;
  cairo_user_to_device(p->cr, &dx0, &dy0);
  cairo_user_to_device(p->cr, &dx1, &dy1);
  cairo_user_to_device(p->cr, &ax, &ay);
  double own = rect_dist(ax, ay, dx0, dy0, dx1, dy1);
  for (size_t i = 0; i < p->n_boxes; i++) {
    const qa_plot_box *b = &p->boxes[i];
    if (b->role != QA_BOX_MARK || b->panel != p->panel) continue;
    if (ax >= b->x0 && ax <= b->x1 && ay >= b->y0 && ay <= b->y1) continue;
    double mx = 0.5 * (b->x0 + b->x1), my = 0.5 * (b->y0 + b->y1);
    if (rect_dist(mx, my, dx0, dy0, dx1, dy1) < own) return 0;
  }
  return 1;
}

/* The quad of a leader from gap away from (px, py) to (ex, ey), half a
** point wide; 0 when the label is too close for one. */
static int leader_quad(qa_plot *p, double px, double py, double gap, double ex, double ey,
                       qa_plot_box *b) {
  double len = hypot(ex - px, ey - py);
  if (len <= gap + 1.0) return 0;
  double ux = (ex - px) / len, uy = (ey - py) / len, sx = px + ux * gap, sy = py + uy * gap;
  const double h = 0.5;
  const double x[4] = {sx - uy * h, ex - uy * h, ex + uy * h, sx + uy * h};
  const double y[4] = {sy + ux * h, ey + ux * h, ey - ux * h, sy - ux * h};
  memset(b, 0, sizeof *b);
  b->role = QA_BOX_OBSTACLE;
  set_corners(p, b, x, y);
  return 1;
}

/* 1 when the leader crosses no text and no marker (lines and rings it may
** cross: a leader is read by its ends). */
static int leader_free(const qa_plot *p, const qa_plot_box *q) {
  for (size_t i = 0; i < p->n_boxes; i++)
    if (p->boxes[i].role != QA_BOX_OBSTACLE && qa_plot_box_intersect(q, &p->boxes[i])) return 0;
  return 1;
}

/* Draws the leader and records it, so later labels keep off it. */
static void leader(qa_plot *p, const qa_plot_box *q, double px, double py, double gap,
                   double ex, double ey) {
  double len = hypot(ex - px, ey - py);
  cairo_move_to(p->cr, px + (ex - px) * gap / len, py + (ey - py) * gap / len);
  cairo_line_to(p->cr, ex, ey);
  cairo_set_source_rgba(p->cr, 0.45, 0.45, 0.45, 0.9);
  cairo_set_line_width(p->cr, 0.5);
  cairo_stroke(p->cr);
  qa_plot_box *b = add_box(p, QA_BOX_OBSTACLE);
  if (b) { *b = *q; b->panel = p->panel; }
}

static void draw_label(qa_plot *p, const char *t, const qa_plot_label *l,
                       const cairo_text_extents_t *te, double bx0, double by0) {
  int role = qa_plot_text_role(p, QA_BOX_LABEL);
  /* The ink's top left at (bx0, by0): the origin is the bearing away. */
  qa_plot_text_halo(p, t, bx0 - te->x_bearing, by0 - te->y_bearing, l->size, l->bold, 0.0, 1.0,
                    (qa_rgb){0.15, 0.15, 0.15});
  qa_plot_text_role(p, role);
}

int qa_plot_place_label(qa_plot *p, const qa_plot_label *l, const qa_plot_area *within) {
  static const double dx[8] = {1, -1, 0, 0, 1, -1, 1, -1}, dy[8] = {0, 0, -1, 1, -1, -1, 1, 1};
  for (int k = 0; k < 4 && l->text[k]; k++) {
    const char *t = l->text[k];
    cairo_text_extents_t te;
    qa_plot_text_ink(p, t, l->size, l->bold, &te);
    double w = te.width, h = te.height;
    if (!(w > 0) || !(h > 0)) continue;
    if (l->mode != QA_LABEL_AROUND) {
      /* Above, below, then each a line further out (below first for SLOT_BELOW). */
      double step = h + 2.0 * LABEL_PAD + 0.5;
      double up = l->y - l->gap - h, down = l->y_below + l->gap;
      double ys[4] = {up, down, up - step, down + step};
      if (l->mode == QA_LABEL_SLOT_BELOW) {
        ys[0] = down; ys[1] = up; ys[2] = down + step; ys[3] = up - step;
      }
      for (int j = 0; j < 4; j++)
        if (rect_free(p, l->x - 0.5 * w, ys[j], l->x + 0.5 * w, ys[j] + h, within)) {
          draw_label(p, t, l, &te, l->x - 0.5 * w, ys[j]);
          return k;
        }
      continue;
    }
    for (int ring = 0; ring < (l->leader ? N_RINGS : 1); ring++)
      for (int j = 0; j < 8; j++) {
        double out = RING_OUT[ring];
        double cx = l->x + dx[j] * (0.5 * w + l->gap + out);
        double cy = l->y + dy[j] * (0.5 * h + l->gap + out);
        double bx0 = cx - 0.5 * w, by0 = cy - 0.5 * h;
        if (!rect_free(p, bx0, by0, bx0 + w, by0 + h, within)) continue;
        if (!ring && !nearest_is_own(p, bx0, by0, bx0 + w, by0 + h, l->x, l->y)) continue;
        if (ring) {
          double ex = cx - dx[j] * (0.5 * w + 1.5), ey = cy - dy[j] * (0.5 * h + 1.5);
          qa_plot_box q;
          if (!leader_quad(p, l->x, l->y, l->gap, ex, ey, &q) || !leader_free(p, &q)) continue;
          leader(p, &q, l->x, l->y, l->gap, ex, ey);
        }
        draw_label(p, t, l, &te, bx0, by0);
        return k;
      }
  }
  return -1;
}

/* ---- the observer ----------------------------------------------------------- */

static qa_plot_observer observer;
static void *observer_ctx;

void qa_plot_set_observer(qa_plot_observer fn, void *ctx) {
  observer = fn;
  observer_ctx = ctx;
}

int qa_plot_has_observer(void) { return observer != NULL; }

void qa_plot_notify_saved(const qa_plot *p, const char *png_path) {
  if (observer) observer(observer_ctx, png_path, p);
}

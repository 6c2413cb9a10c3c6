/*
** qa_plot: the small plotting layer the figures are drawn with, on cairo.
**
** Two halves.  The pure half (ticks, tick labels, scales, colours, the
** Pareto front) is plain arithmetic and unit-tested.  The drawing half is a
** canvas (an RGB image surface at QA_PLOT_DPI whose user unit is the
** typographic point, so sizes read like the PDF's), text in the report's
** own DejaVu fonts loaded through cairo's FreeType backend, axes with
** ticks and titles, legends, markers.
**
** It must never know what a variant, a tier or a cosine is: figures.c
** decides what to draw, this module only how.  Output is deterministic:
** no clock, no randomness, fixed font options (grey antialiasing, no
** hinting), and cairo's PNG writer adds no timestamp, so the same calls
** give the same bytes.
*/
#ifndef QA_PLOT_H
#define QA_PLOT_H

#include <cairo.h>
#include <stdio.h>
#include <stddef.h>

#include "util/error.h"

/* ---- pure: ticks, labels, scales ---------------------------------------- */

#define QA_PLOT_MAX_TICKS 40

/* "Nice" linear ticks (Heckbert, "Nice numbers for graph labels", Graphics
** Gems 1990): a step of 1, 2 or 5 times a power of ten giving about
** target ticks (a smaller one when Heckbert's gives fewer than target, or
** ticks spanning far more than the data, as long as there are at most
** target + 2), and the multiples of it from floor(lo/step) to ceil(hi/step)
** (so the ticks cover [lo, hi]).  lo == hi is widened by 5 %.  Returns 0,
** or -1 for non-finite input, target < 2 or more than QA_PLOT_MAX_TICKS. */
int qa_plot_nice_ticks(double lo, double hi, int target, double *step, double *ticks, int *n);

/* Log ticks for 0 < lo < hi: the powers of ten from 10^floor(log10 lo) to
** 10^ceil(log10 hi), every k-th decade when they are more than target;
** with 1, 2 and 5 in every decade when the span is at most two decades,
** and every mantissa 1..9 when hi/lo < 10.
** Returns 0, or -1 when lo <= 0 or the input is not finite. */
int qa_plot_log_ticks(double lo, double hi, int target, double *ticks, int *n);

/* A linear tick label: as many decimals as step needs, a true minus sign
** (U+2212), "0" for zero, and m×10ⁿ outside [1e-4, 1e6). */
void qa_plot_format_tick(double v, double step, char *buf, size_t cap);
/* A log tick label: plain decimals from 0.001 to 1000, else 10ⁿ or m×10ⁿ. */
void qa_plot_format_log_tick(double v, char *buf, size_t cap);

/* A map from data to canvas points, linear or logarithmic. */
typedef struct qa_plot_scale {
  double d0, d1;         /* data interval */
  double p0, p1;         /* canvas interval (p1 < p0 for upward y) */
  int log;
} qa_plot_scale;

qa_plot_scale qa_plot_scale_linear(double d0, double d1, double p0, double p1);
qa_plot_scale qa_plot_scale_log(double d0, double d1, double p0, double p1);
/* Canvas position of v; NaN for v <= 0 on a log scale. */
double qa_plot_map(const qa_plot_scale *s, double v);

/* ---- pure: colours ------------------------------------------------------ */

typedef struct qa_rgb { double r, g, b; } qa_rgb;

/* Okabe & Ito (2008), "Color Universal Design": eight colours told apart
** with every common colour-vision deficiency. */
extern const qa_rgb QA_OKABE_ITO[8];   /* black, orange, sky blue, bluish
                                          green, yellow, blue, vermillion,
                                          reddish purple */
/* Variant i of a model, always the same colour in every figure. */
qa_rgb qa_plot_variant_color(size_t i);
/* A marker shape for variant i (redundant with colour, for grey print). */
int qa_plot_variant_marker(size_t i);
/* Tier t of n configured tiers (t == n_tiers: unacceptable): first tier
** bluish green, then blue(s), orange, and vermillion for unacceptable. */
qa_rgb qa_plot_tier_color(size_t t, size_t n_tiers);
/* Class c of n: Okabe–Ito (without black) up to 7 classes, else viridis. */
qa_rgb qa_plot_class_color(size_t c, size_t n_classes);
/* Sequential viridis (van der Walt & Smith, matplotlib), t in [0, 1]:
** 0 = dark purple #440154, 1 = yellow #FDE725. */
qa_rgb qa_plot_viridis(double t);
/* Diverging ColorBrewer RdBu (Brewer 2003), t in [0, 1]: 0 = dark red
** #67001F, 0.5 = near white #F7F7F7, 1 = dark blue #053061. */
qa_rgb qa_plot_diverging(double t);
/* Black or white, whichever reads better on fill (WCAG relative luminance). */
qa_rgb qa_plot_ink_on(qa_rgb fill);
qa_rgb qa_plot_mix(qa_rgb a, qa_rgb b, double t);   /* (1-t) a + t b */

/* ---- pure: Pareto front ------------------------------------------------- */

/* The points no other point beats on both counts (lower cost, higher
** quality), written to front[] as indices sorted by cost ascending; points
** with a NaN coordinate are ignored, and of identical points only the
** first index is kept.  Returns the number written (front holds n). */
size_t qa_plot_pareto_front(const double *cost, const double *quality, size_t n, size_t *front);

/* Columns and rows of a grid of n panels, at most max_cols wide. */
void qa_plot_grid(size_t n, size_t max_cols, size_t *cols, size_t *rows);

/* ---- pure: text that must fit -------------------------------------------- */

#define QA_PLOT_ELLIPSIS "\xE2\x80\xA6"   /* U+2026, marks a shortened label */

/* Bytes of the longest prefix of the UTF-8 string s that is at most
** max_bytes long and ends at a character boundary (never inside a
** multi-byte sequence). */
size_t qa_plot_utf8_prefix(const char *s, size_t max_bytes);
/* s itself when it is at most max_bytes long, else its longest prefix of
** at most max_bytes that ends at a character boundary, with an ellipsis,
** written into buf (cap >= max_bytes + 4).  For names in captions,
** titles and sentences, where a fixed share of the text is enough. */
const char *qa_plot_short(const char *s, size_t max_bytes, char *buf, size_t cap);
/* Bytes a name is shortened to in figure titles, captions and notes. */
#define QA_PLOT_NAME_BYTES 80
/* snprintf that never cuts a character: when the text does not fit in cap
** bytes it is cut at a character boundary and ends with an ellipsis
** (cap >= 4), so a long name in a label buffer stays valid UTF-8.  Returns
** 1 when it had to cut, else 0. */
int qa_plot_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- drawing ------------------------------------------------------------ */

#define QA_PLOT_DPI 220.0
#define QA_PLOT_WIDTH_IN 6.5          /* the report's text width, nearly */
/* Type sizes in points (the figure is placed at about its own size). */
#define QA_PLOT_TICK_PT 7.0
#define QA_PLOT_LABEL_PT 8.0
#define QA_PLOT_TITLE_PT 8.5
#define QA_PLOT_NOTE_PT 6.5

typedef struct qa_plot_fonts qa_plot_fonts;

/* Loads DejaVuSans.ttf and DejaVuSans-Bold.ttf from fonts_dir through
** FreeType; fails with QA_EXIT_IO naming the file. */
int qa_plot_fonts_load(const char *fonts_dir, qa_plot_fonts **out, qa_error *err);
void qa_plot_fonts_free(qa_plot_fonts *f);    /* safe on NULL */

/* A canvas: white, width_in × height_in inches at QA_PLOT_DPI, user units
** in points, origin top left. */
typedef struct qa_plot_box qa_plot_box;

typedef struct qa_plot {
  cairo_surface_t *surface;
  cairo_t *cr;
  const qa_plot_fonts *fonts;
  double width, height;                /* points */
  /* Every text and marker drawn, in device pixels (plot_labels.c). */
  qa_plot_box *boxes;
  size_t n_boxes, cap_boxes, n_boxes_lost;
  int text_role;                       /* QA_BOX_* given to the next texts */
  int panel;                           /* recorded with each box (0: the canvas) */
} qa_plot;

int qa_plot_begin(qa_plot *p, const qa_plot_fonts *fonts, double width_in, double height_in,
                  qa_error *err);
/* Writes the PNG (QA_EXIT_IO naming path on failure). */
int qa_plot_save(qa_plot *p, const char *path, qa_error *err);
void qa_plot_end(qa_plot *p);          /* safe on a zeroed or ended canvas */

void qa_plot_color(qa_plot *p, qa_rgb c, double alpha);

/* Text.  ha: 0 left, 0.5 centre, 1 right of x; va: 0 top of capitals,
** 0.5 capitals centred, 1 baseline at y.  angle in radians (-pi/2: reads
** upward). */
double qa_plot_text_width(qa_plot *p, const char *utf8, double size, int bold);
/* utf8 itself when it is at most max_w points wide, else the longest
** prefix of it that is, with an ellipsis, written into buf (cap bytes;
** cut at a character boundary).  Labels from names go through this: a
** 1,000-byte name must neither overprint its neighbours nor push the plot
** off the canvas. */
const char *qa_plot_fit(qa_plot *p, const char *utf8, double size, int bold, double max_w,
                        char *buf, size_t cap);
void qa_plot_text(qa_plot *p, const char *utf8, double x, double y, double size, int bold,
                  double ha, double va, qa_rgb color);
void qa_plot_text_rotated(qa_plot *p, const char *utf8, double x, double y, double size,
                          int bold, double ha, double va, double angle, qa_rgb color);
/* Text on a white halo, for labels that may cross lines or shading. */
void qa_plot_text_halo(qa_plot *p, const char *utf8, double x, double y, double size, int bold,
                       double ha, double va, qa_rgb color);

/* The first QA_MARK_CYCLE shapes are the variants' (qa_plot_variant_marker);
** BAR (a vertical tick) and CROSS mark statistics. */
enum { QA_MARK_CIRCLE, QA_MARK_SQUARE, QA_MARK_DIAMOND, QA_MARK_TRIANGLE,
       QA_MARK_TRIANGLE_DOWN, QA_MARK_PENTAGON, QA_MARK_BAR, QA_MARK_CROSS };
#define QA_MARK_CYCLE 6
/* A marker of diameter size points, filled, with a thin darker edge. */
void qa_plot_marker(qa_plot *p, int shape, double x, double y, double size, qa_rgb fill);

/* A rectangle of the canvas (points, y0 at the top). */
typedef struct qa_plot_area { double x0, y0, x1, y1; } qa_plot_area;

/* One axis: its scale, ticks and title (ticks outside the scale's data
** interval are not drawn). */
typedef struct qa_plot_axis {
  qa_plot_scale s;
  int n_ticks;
  double ticks[QA_PLOT_MAX_TICKS];
  double step;                         /* linear: the tick step */
  int sci;                             /* log: every label as 10ⁿ */
  const char *title;                   /* with its unit, or NULL */
} qa_plot_axis;

/* Ticks for data in [lo, hi] on [p0, p1]; expand: widen a linear axis to
** the outer ticks, a log axis to the nearest ticks when they are close (else
** by a small margin).  Log labels are all 10ⁿ when any tick is outside
** [0.001, 1000], else all plain.  Returns -1 on bad input. */
int qa_plot_axis_init(qa_plot_axis *ax, double lo, double hi, int log, int target,
                      int expand, double p0, double p1);
/* Re-targets the axis to canvas positions p0, p1 (same data interval). */
void qa_plot_axis_place(qa_plot_axis *ax, double p0, double p1);
/* The widest tick label of the axis, in points. */
double qa_plot_axis_label_width(qa_plot *p, const qa_plot_axis *ax);
void qa_plot_axis_label(const qa_plot_axis *ax, double v, char *buf, size_t cap);

enum {
  QA_AXES_GRID_X = 1, QA_AXES_GRID_Y = 2,
  QA_AXES_NO_X = 4, QA_AXES_NO_Y = 8,          /* caller draws that axis */
  QA_AXES_NO_X_LABELS = 16, QA_AXES_NO_Y_LABELS = 32,
  QA_AXES_BOX = 64,                             /* frame all four sides */
  QA_AXES_NO_X_FIRST = 128     /* no label at the x axis' start (a panel to
                                  the left has one at its end) */
};
/* Grid, spines, ticks, tick labels and axis titles of one plot area. */
void qa_plot_axes(qa_plot *p, const qa_plot_area *a, const qa_plot_axis *x,
                  const qa_plot_axis *y, unsigned flags);

/* Legends, placed by the caller outside the data (right or below). */
enum { QA_KEY_LINE, QA_KEY_MARKER, QA_KEY_LINE_MARKER, QA_KEY_SWATCH, QA_KEY_DASHED };
typedef struct qa_plot_key {
  const char *label;
  qa_rgb color;
  int kind;                            /* QA_KEY_* */
  int marker;                          /* QA_MARK_* for marker kinds */
  double alpha;                        /* swatch fill opacity (0: 1) */
} qa_plot_key;

/* Size of a legend: one key a row when columns == 1, else flowing in rows
** no wider than max_w.  The title (may be NULL) goes on top, in bold.
** Labels (and the title) wider than max_w are shortened with an ellipsis. */
void qa_plot_legend_size(qa_plot *p, const qa_plot_key *k, size_t n, const char *title,
                         int columns, double max_w, double *w, double *h);
void qa_plot_legend(qa_plot *p, const qa_plot_key *k, size_t n, const char *title,
                    int columns, double max_w, double x, double y);

/* Colour bar for a colour map f (t in [0, 1] from ax's d0 to d1), vertical,
** in area a, with tick labels on its right and the title beyond them,
** reading upward: it needs about 12 + label width + QA_PLOT_LABEL_PT. */
void qa_plot_colorbar(qa_plot *p, const qa_plot_area *a, qa_rgb (*f)(double),
                      const qa_plot_axis *ax, const char *title);

/* ---- label boxes and the label placer (plot_labels.c) ------------------- */

/* Every text a canvas draws is recorded as the box of its ink (turned
** with the text: four corners), in device pixels, and so is every marker.
** A figure then places its data labels where they overprint nothing
** (qa_plot_place_label), and a test can check a finished figure: no two
** text boxes intersect, every one is inside the canvas. */
enum {
  QA_BOX_TEXT,          /* titles, legends, notes, cell values */
  QA_BOX_AXIS,          /* tick labels and axis titles */
  QA_BOX_LABEL,         /* data labels placed by qa_plot_place_label */
  QA_BOX_MARK,          /* a marker (qa_plot_marker) */
  QA_BOX_OBSTACLE       /* ink a figure declares: a line, an interval */
};
#define QA_PLOT_BOX_TEXT 64        /* bytes of the text kept with its box */
#define QA_PLOT_MAX_BOXES 65536    /* a canvas records at most this many */

struct qa_plot_box {
  int role;                        /* QA_BOX_* */
  double cx[4], cy[4];             /* corners in device pixels, in order round */
  double x0, y0, x1, y1;           /* their bounding box */
  char text[QA_PLOT_BOX_TEXT];     /* the text's first bytes ("" for the others) */
  int panel;                       /* the canvas' panel when it was drawn */
};

/* 1 when the boxes overlap by more than 0.01 px (separating axes; boxes
** that only touch do not intersect). */
int qa_plot_box_intersect(const qa_plot_box *a, const qa_plot_box *b);
/* Declares drawn ink (points, axis-aligned) that labels must not cover. */
void qa_plot_obstacle(qa_plot *p, double x0, double y0, double x1, double y1);
/* The role (QA_BOX_*) recorded for the texts drawn next; returns the old. */
int qa_plot_text_role(qa_plot *p, int role);
/* The panel (a figure's own numbering, 0 by default) recorded with the
** boxes drawn next, so that a check can tell the panels of a figure apart. */
void qa_plot_set_panel(qa_plot *p, int panel);
/* The boxes recorded so far, in drawing order. */
const qa_plot_box *qa_plot_boxes(const qa_plot *p, size_t *n);

/* A data label to place near an anchor.  Candidates are tried in order:
** each text (the full one first, then shorter forms; NULL after the last,
** at most 4) at each position, and the first whose box, padded by 1 pt, is
** inside `within` and meets no recorded box is drawn on a white halo and
** recorded as QA_BOX_LABEL.
**   QA_LABEL_AROUND: beside the point (x, y) at gap points from it —
**     right, left, above, below, the diagonals, where no other marker
**     of the panel is nearer the label than its own point — then, with
**     leader, the same 9, 18 and 30 pt further out with a thin line back
**     to the point that crosses no text and no marker;
**   QA_LABEL_SLOT: centred on x, above y (its ink gap above it), then
**     below y_below (its ink gap below it), then each a line further out;
**   QA_LABEL_SLOT_BELOW: the same, below first.
** Returns the index of the text used, or -1 when the label was dropped:
** the figure then says in a note that labels are omitted and where the
** numbers are. */
enum { QA_LABEL_AROUND, QA_LABEL_SLOT, QA_LABEL_SLOT_BELOW };
typedef struct qa_plot_label {
  const char *text[5];
  double x, y, y_below;            /* anchor (points) */
  double gap;                      /* anchor to the label's box, points */
  double size;
  int bold;
  int mode;                        /* QA_LABEL_* */
  int leader;
} qa_plot_label;
int qa_plot_place_label(qa_plot *p, const qa_plot_label *l, const qa_plot_area *within);

/* A hook that qa_plot_save calls after writing each PNG, with the canvas
** and its boxes: the tests render the real figures and check them.
** Process-wide; set it (or NULL) before drawing, from one thread. */
typedef void (*qa_plot_observer)(void *ctx, const char *png_path, const qa_plot *p);
void qa_plot_set_observer(qa_plot_observer fn, void *ctx);

/* 1 when an observer is set (figures are then drawn one at a time). */
int qa_plot_has_observer(void);

/* The ink extents of text as drawn (cairo_text_extents in the font). */
void qa_plot_text_ink(qa_plot *p, const char *utf8, double size, int bold,
                      cairo_text_extents_t *te);
/* plot.c's side of the recording. */
void qa_plot_record_text(qa_plot *p, const char *utf8, double size, int bold, double dx,
                         double dy);
void qa_plot_record_mark(qa_plot *p, double x, double y, double r);
void qa_plot_notify_saved(const qa_plot *p, const char *png_path);
void qa_plot_boxes_free(qa_plot *p);

/* Writes cairo RGB24 pixels (w x h, rows `stride` bytes apart) to f as an
** 8-bit RGB PNG (plot_png.c); 0, or -1 on a write error or out of memory. */
int qa_plot_png_write(FILE *f, const unsigned char *pixels, int w, int h, int stride);

#endif

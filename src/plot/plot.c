/*
** The plotting layer (see plot.h): ticks, scales, colours and the Pareto
** front first (pure), then the canvas, fonts, text, markers, axes, legends
** and colour bars on cairo.
**
** FreeType: one FT_Library for the process (FreeType faces must not
** outlive their library, and cairo may keep a face in its font cache after
** we drop it), created on first use and guarded by a mutex because a
** library is not thread-safe.  Each face is closed by cairo, through the
** user data destroy hook, when its last reference goes.
*/
#include "plot/plot.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <cairo-ft.h>
#include <ft2build.h>
#include FT_FREETYPE_H
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/infile.h"
#include "util/text.h"

#define MINUS "\xE2\x88\x92"   /* U+2212 */
#define TIMES "\xC3\x97"       /* U+00D7 */

/* ---- ticks -------------------------------------------------------------- */

/* Heckbert's nicenum: a 1-2-5 number near x (round) or not below it. */
static double nice_num(double x, int round) {
  double e = floor(log10(x)), f = x / pow(10.0, e), nf;
  if (round) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
  else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
  return nf * pow(10.0, e);
}

int qa_plot_nice_ticks(double lo, double hi, int target, double *step, double *ticks, int *n) {
  *n = 0;
  if (!isfinite(lo) || !isfinite(hi) || target < 2) return -1;
  if (hi < lo) { double t = lo; lo = hi; hi = t; }
  if (hi - lo <= 1e-12 * fmax(fabs(lo), fabs(hi))) {
    double pad = lo != 0.0 ? 0.05 * fabs(lo) : 1.0;
    lo -= pad;
    hi += pad;
  }
  double range = nice_num(hi - lo, 0);
  double d = nice_num(range / (target - 1), 1);
  /* Heckbert's rounding of the range can leave too few ticks, or ticks
  ** spanning nearly twice the data (e.g. -10..10 for [-5.1, 5.4]); then
  ** take smaller 1-2-5 steps while the count stays within target + 2. */
  for (;;) {
    double e = pow(10.0, floor(log10(d) + 1e-9)), f = d / e;
    double smaller = f > 4.5 ? 2 * e : f > 1.5 ? e : 0.5 * e;
    double span = ceil(hi / d - 1e-9) - floor(lo / d + 1e-9);
    double count2 = ceil(hi / smaller - 1e-9) - floor(lo / smaller + 1e-9) + 1;
    if ((span + 1 >= target && (hi - lo) >= 0.6 * span * d) || count2 > target + 2) break;
    d = smaller;
  }
  double k0 = floor(lo / d + 1e-9), k1 = ceil(hi / d - 1e-9);
  if (k1 - k0 + 1 > QA_PLOT_MAX_TICKS) return -1;
  for (double k = k0; k <= k1; k++) {
    double v = k * d;
    ticks[(*n)++] = fabs(v) < 1e-9 * d ? 0.0 : v;
  }
  *step = d;
  return 0;
}

int qa_plot_log_ticks(double lo, double hi, int target, double *ticks, int *n) {
  *n = 0;
  if (!isfinite(lo) || !isfinite(hi) || lo <= 0 || hi <= 0 || target < 2) return -1;
  if (hi < lo) { double t = lo; lo = hi; hi = t; }
  int k0 = (int)floor(log10(lo) + 1e-9), k1 = (int)ceil(log10(hi) - 1e-9);
  if (k1 <= k0) k1 = k0 + 1;
  int span = k1 - k0;
  if (hi / lo < 10.0) {          /* within a decade: every mantissa 1..9 */
    for (int k = k0; k <= k1; k++)
      for (int j = 1; j <= 9 && !(k == k1 && j > 1); j++)
        ticks[(*n)++] = j * pow(10.0, k);
    return 0;
  }
  if (span <= 2) {
    static const double mant[3] = {1, 2, 5};
    for (int k = k0; k <= k1; k++)
      for (int j = 0; j < 3 && !(k == k1 && j > 0); j++)
        ticks[(*n)++] = mant[j] * pow(10.0, k);
    return 0;
  }
  int every = (span + target - 2) / (target - 1);
  if (every < 1) every = 1;
  int last = k0 + ((span + every - 1) / every) * every;
  for (int k = k0; k <= last && *n < QA_PLOT_MAX_TICKS; k += every) ticks[(*n)++] = pow(10.0, k);
  return 0;
}

/* Writes the exponent e in Unicode superscripts. */
static void superscript(int e, char *buf, size_t cap) {
  static const char *const dig[10] = {"\xE2\x81\xB0", "\xC2\xB9", "\xC2\xB2", "\xC2\xB3",
                                      "\xE2\x81\xB4", "\xE2\x81\xB5", "\xE2\x81\xB6",
                                      "\xE2\x81\xB7", "\xE2\x81\xB8", "\xE2\x81\xB9"};
  char digits[16];
  size_t used = 0;
  snprintf(digits, sizeof digits, "%lld", e < 0 ? -(long long)e : (long long)e);
  buf[0] = '\0';
  if (e < 0) used += (size_t)snprintf(buf, cap, "\xE2\x81\xBB");   /* U+207B */
  for (const char *c = digits; *c && used < cap; c++)
    used += (size_t)snprintf(buf + used, cap - used, "%s", dig[*c - '0']);
}

/* m×10ⁿ with m to three significant digits (10ⁿ when m is 1). */
static void sci(double v, char *buf, size_t cap) {
  /* 0 and non-finite values have no exponent: (int) of -inf is undefined. */
  if (v == 0.0 || !isfinite(v)) {
    snprintf(buf, cap, "%s", v == 0.0 ? "0" : "?");
    return;
  }
  int e = (int)floor(log10(fabs(v)) + 1e-9);   /* within [-324, 309] */
  double m = v / pow(10.0, e);
  char sup[48], mant[32];
  superscript(e, sup, sizeof sup);
  if (fabs(fabs(m) - 1.0) < 1e-9) {
    snprintf(buf, cap, "%s10%s", m < 0 ? MINUS : "", sup);
    return;
  }
  snprintf(mant, sizeof mant, "%.3g", fabs(m));
  snprintf(buf, cap, "%s%s" TIMES "10%s", m < 0 ? MINUS : "", mant, sup);
}

void qa_plot_format_tick(double v, double step, char *buf, size_t cap) {
  if (fabs(v) < 1e-12 * (step > 0 ? step : 1.0)) { snprintf(buf, cap, "0"); return; }
  double a = fabs(v);
  if (a >= 1e6 || a < 1e-4) { sci(v, buf, cap); return; }
  int dec = step > 0 ? (int)ceil(-log10(step) - 1e-9) : 2;
  if (dec < 0) dec = 0;
  if (dec > 10) dec = 10;
  snprintf(buf, cap, "%s%.*f", v < 0 ? MINUS : "", dec, a);
}

void qa_plot_format_log_tick(double v, char *buf, size_t cap) {
  int e = (int)floor(log10(v) + 1e-9);
  if (e >= -3 && e <= 3) {
    int dec = e < 0 ? -e : 0;
    snprintf(buf, cap, "%.*f", dec, v);
  } else {
    sci(v, buf, cap);
  }
}

/* ---- scales ------------------------------------------------------------- */

qa_plot_scale qa_plot_scale_linear(double d0, double d1, double p0, double p1) {
  qa_plot_scale s = {d0, d1, p0, p1, 0};
  return s;
}

qa_plot_scale qa_plot_scale_log(double d0, double d1, double p0, double p1) {
  qa_plot_scale s = {d0, d1, p0, p1, 1};
  return s;
}

double qa_plot_map(const qa_plot_scale *s, double v) {
  double t;
  if (s->log) {
    if (!(v > 0)) return NAN;
    t = (log10(v) - log10(s->d0)) / (log10(s->d1) - log10(s->d0));
  } else {
    t = (v - s->d0) / (s->d1 - s->d0);
  }
  return s->p0 + t * (s->p1 - s->p0);
}

/* ---- colours ------------------------------------------------------------ */

#define HEX(h) {((h) >> 16 & 255) / 255.0, ((h) >> 8 & 255) / 255.0, ((h) & 255) / 255.0}

const qa_rgb QA_OKABE_ITO[8] = {HEX(0x000000), HEX(0xE69F00), HEX(0x56B4E9), HEX(0x009E73),
                                HEX(0xF0E442), HEX(0x0072B2), HEX(0xD55E00), HEX(0xCC79A7)};
enum { OI_BLACK, OI_ORANGE, OI_SKY, OI_GREEN, OI_YELLOW, OI_BLUE, OI_VERMILLION, OI_PURPLE };

qa_rgb qa_plot_variant_color(size_t i) {
  /* Black first (usually the baseline), yellow last (weakest on white). */
  static const int order[8] = {OI_BLACK, OI_BLUE, OI_ORANGE, OI_GREEN,
                               OI_VERMILLION, OI_PURPLE, OI_SKY, OI_YELLOW};
  return QA_OKABE_ITO[order[i % 8]];
}

int qa_plot_variant_marker(size_t i) { return (int)(i % QA_MARK_CYCLE); }

qa_rgb qa_plot_tier_color(size_t t, size_t n_tiers) {
  static const int mid1[1] = {OI_BLUE}, mid2[2] = {OI_BLUE, OI_ORANGE},
                   mid3[3] = {OI_SKY, OI_BLUE, OI_ORANGE},
                   mid4[4] = {OI_SKY, OI_BLUE, OI_PURPLE, OI_ORANGE};
  if (t >= n_tiers) return QA_OKABE_ITO[OI_VERMILLION];
  if (t == 0) return QA_OKABE_ITO[OI_GREEN];
  size_t k = n_tiers - 1, j = t - 1;           /* middle tiers, j-th of k */
  if (k == 1) return QA_OKABE_ITO[mid1[j]];
  if (k == 2) return QA_OKABE_ITO[mid2[j]];
  if (k == 3) return QA_OKABE_ITO[mid3[j]];
  return QA_OKABE_ITO[mid4[j * 4 / k]];
}

qa_rgb qa_plot_class_color(size_t c, size_t n_classes) {
  static const int order[7] = {OI_ORANGE, OI_SKY, OI_GREEN, OI_BLUE,
                               OI_VERMILLION, OI_PURPLE, OI_YELLOW};
  if (n_classes <= 7) return QA_OKABE_ITO[order[c % 7]];
  return qa_plot_viridis(n_classes > 1 ? (double)c / (double)(n_classes - 1) : 0.0);
}

static qa_rgb table_lookup(const qa_rgb *tab, size_t n, double t) {
  if (!(t > 0)) return tab[0];
  if (t >= 1) return tab[n - 1];
  double x = t * (double)(n - 1);
  size_t i = (size_t)x;
  return qa_plot_mix(tab[i], tab[i + 1], x - (double)i);
}

qa_rgb qa_plot_viridis(double t) {
  /* viridisLite::viridis(9): matplotlib's viridis table at k/8. */
  static const qa_rgb tab[9] = {HEX(0x440154), HEX(0x472D7B), HEX(0x3B528B),
                                HEX(0x2C728E), HEX(0x21908C), HEX(0x27AD81),
                                HEX(0x5DC863), HEX(0xAADC32), HEX(0xFDE725)};
  return table_lookup(tab, 9, t);
}

qa_rgb qa_plot_diverging(double t) {
  /* ColorBrewer RdBu, 11 classes (colorbrewer2.org). */
  static const qa_rgb tab[11] = {HEX(0x67001F), HEX(0xB2182B), HEX(0xD6604D), HEX(0xF4A582),
                                 HEX(0xFDDBC7), HEX(0xF7F7F7), HEX(0xD1E5F0), HEX(0x92C5DE),
                                 HEX(0x4393C3), HEX(0x2166AC), HEX(0x053061)};
  return table_lookup(tab, 11, t);
}

static double lin(double c) {
  return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

qa_rgb qa_plot_ink_on(qa_rgb f) {
  /* WCAG 2 relative luminance L; white text has the better contrast ratio
  ** below L = sqrt(1.05 x 0.05) - 0.05 = 0.179, where 1.05/(L + 0.05) and
  ** (L + 0.05)/0.05 are equal. */
  double y = 0.2126 * lin(f.r) + 0.7152 * lin(f.g) + 0.0722 * lin(f.b);
  qa_rgb black = {0.1, 0.1, 0.1}, white = {1, 1, 1};
  return y < 0.179 ? white : black;
}

qa_rgb qa_plot_mix(qa_rgb a, qa_rgb b, double t) {
  qa_rgb c = {a.r + t * (b.r - a.r), a.g + t * (b.g - a.g), a.b + t * (b.b - a.b)};
  return c;
}

/* ---- Pareto front ------------------------------------------------------- */

/* a before b: cheaper, then better, then the lower index (a total order). */
static int pareto_before(const double *cost, const double *quality, size_t a, size_t b) {
  if (cost[a] != cost[b]) return cost[a] < cost[b];
  if (quality[a] != quality[b]) return quality[a] > quality[b];
  return a < b;
}

size_t qa_plot_pareto_front(const double *cost, const double *quality, size_t n, size_t *front) {
  size_t m = 0, k = 0;
  /* Insertion sort: the points are few (one per model and variant), and it
  ** needs no global state, unlike qsort without a context argument. */
  for (size_t i = 0; i < n; i++) {
    if (isnan(cost[i]) || isnan(quality[i])) continue;
    size_t j = m++;
    while (j > 0 && pareto_before(cost, quality, i, front[j - 1])) {
      front[j] = front[j - 1];
      j--;
    }
    front[j] = i;
  }
  /* Sweep by cost: a point is on the front when it beats every cheaper one. */
  double best = -INFINITY;
  for (size_t i = 0; i < m; i++)
    if (quality[front[i]] > best) {
      best = quality[front[i]];
      front[k++] = front[i];
    }
  return k;
}

void qa_plot_grid(size_t n, size_t max_cols, size_t *cols, size_t *rows) {
  if (max_cols < 1) max_cols = 1;
  *cols = n < max_cols ? (n ? n : 1) : max_cols;
  *rows = (n + *cols - 1) / *cols;
  if (*rows < 1) *rows = 1;
}

/* ---- fonts -------------------------------------------------------------- */

struct qa_plot_fonts {
  cairo_font_face_t *face[2];   /* regular, bold */
};

static pthread_mutex_t ft_lock = PTHREAD_MUTEX_INITIALIZER;
static FT_Library ft_library;

static void ft_face_done(void *face) {
  pthread_mutex_lock(&ft_lock);
  FT_Done_Face((FT_Face)face);
  pthread_mutex_unlock(&ft_lock);
}

static const cairo_user_data_key_t ft_key;

static int load_face(const char *dir, const char *file, cairo_font_face_t **out,
                     qa_error *err) {
  char path[4096];
  FT_Face face = NULL;
  snprintf(path, sizeof path, "%s/%s", dir, file);
  /* Checked first without blocking: FreeType would open a FIFO and wait. */
  FILE *probe = NULL;
  mode_t mode = 0;
  int opened = qa_infile_open(path, &probe, &mode);
  if (opened > 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL,
                        "not a regular file (%s); expected a TrueType font",
                        qa_infile_kind(mode));
  if (opened < 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read font file: %s",
                        strerror(errno));
  fclose(probe);
  pthread_mutex_lock(&ft_lock);
  FT_Error fe = ft_library ? 0 : FT_Init_FreeType(&ft_library);
  if (!fe) fe = FT_New_Face(ft_library, path, 0, &face);
  pthread_mutex_unlock(&ft_lock);
  if (fe)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot load font (FreeType error %d)", fe);
  cairo_font_face_t *cf = cairo_ft_font_face_create_for_ft_face(face, 0);
  if (cairo_font_face_status(cf) ||
      cairo_font_face_set_user_data(cf, &ft_key, face, ft_face_done)) {
    cairo_font_face_destroy(cf);
    ft_face_done(face);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cairo cannot use this font");
  }
  *out = cf;
  return 0;
}

int qa_plot_fonts_load(const char *fonts_dir, qa_plot_fonts **out, qa_error *err) {
  *out = NULL;
  qa_plot_fonts *f = calloc(1, sizeof *f);
  if (!f) return qa_error_set(err, QA_EXIT_IO, fonts_dir, NULL, "out of memory");
  if (load_face(fonts_dir, "DejaVuSans.ttf", &f->face[0], err) ||
      load_face(fonts_dir, "DejaVuSans-Bold.ttf", &f->face[1], err)) {
    qa_plot_fonts_free(f);
    return -1;
  }
  *out = f;
  return 0;
}

void qa_plot_fonts_free(qa_plot_fonts *f) {
  if (!f) return;
  for (int i = 0; i < 2; i++)
    if (f->face[i]) cairo_font_face_destroy(f->face[i]);
  free(f);
}

/* ---- text that must fit -------------------------------------------------- */

size_t qa_plot_utf8_prefix(const char *s, size_t max_bytes) {
  size_t n = strlen(s);
  if (n <= max_bytes) return n;
  size_t k = max_bytes;
  /* s[k] is the first byte left out: back up while it continues a character. */
  while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80) k--;
  return k;
}

const char *qa_plot_short(const char *s, size_t max_bytes, char *buf, size_t cap) {
  if (!s) return "";
  if (strlen(s) <= max_bytes) return s;
  if (cap < 4) { if (cap) buf[0] = '\0'; return cap ? buf : ""; }
  if (max_bytes > cap - 4) max_bytes = cap - 4;
  size_t k = qa_plot_utf8_prefix(s, max_bytes);
  memcpy(buf, s, k);
  memcpy(buf + k, QA_PLOT_ELLIPSIS, 4);
  return buf;
}

int qa_plot_fmt(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;
  if (!cap) return 1;
  va_start(ap, fmt);
  int n = vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
  if (n < 0) { buf[0] = '\0'; return 1; }
  if ((size_t)n < cap) return 0;
  if (cap < 4) { buf[0] = '\0'; return 1; }
  size_t k = qa_plot_utf8_prefix(buf, cap - 4);   /* room for the ellipsis and NUL */
  memcpy(buf + k, QA_PLOT_ELLIPSIS, 4);
  return 1;
}

/* ---- canvas ------------------------------------------------------------- */

int qa_plot_begin(qa_plot *p, const qa_plot_fonts *fonts, double width_in, double height_in,
                  qa_error *err) {
  memset(p, 0, sizeof *p);
  int w = (int)lround(width_in * QA_PLOT_DPI), h = (int)lround(height_in * QA_PLOT_DPI);
  if (w < 1 || h < 1 || w > 20000 || h > 20000)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "figure size %d x %d px out of range", w, h);
  /* RGB24: opaque, so the PNG has no alpha channel for libharu to mask. */
  p->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
  p->cr = cairo_create(p->surface);
  if (cairo_status(p->cr)) {
    qa_plot_end(p);
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "cairo cannot create a %d x %d image", w, h);
  }
  p->fonts = fonts;
  p->width = width_in * 72.0;
  p->height = height_in * 72.0;
  cairo_scale(p->cr, QA_PLOT_DPI / 72.0, QA_PLOT_DPI / 72.0);
  cairo_set_source_rgb(p->cr, 1, 1, 1);
  cairo_paint(p->cr);
  cairo_font_options_t *fo = cairo_font_options_create();
  cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
  cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
  cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
  cairo_set_font_options(p->cr, fo);
  cairo_font_options_destroy(fo);
  cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(p->cr, CAIRO_LINE_CAP_BUTT);
  return 0;
}

int qa_plot_save(qa_plot *p, const char *path, qa_error *err) {
  if (cairo_status(p->cr))
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cairo: %s",
                        cairo_status_to_string(cairo_status(p->cr)));
  cairo_surface_flush(p->surface);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    int e = errno;
    if (fd >= 0) close(fd);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot write PNG: %s", strerror(e));
  }
  errno = 0;
  int e = 0;
  if (qa_plot_png_write(f, cairo_image_surface_get_data(p->surface),
                        cairo_image_surface_get_width(p->surface),
                        cairo_image_surface_get_height(p->surface),
                        cairo_image_surface_get_stride(p->surface)))
    e = errno ? errno : ENOMEM;
  if (fclose(f) != 0 && !e) e = errno ? errno : EIO;
  if (e) {
    remove(path);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot write PNG: %s", strerror(e));
  }
  qa_plot_notify_saved(p, path);
  return 0;
}

void qa_plot_end(qa_plot *p) {
  qa_plot_boxes_free(p);
  if (p->cr) cairo_destroy(p->cr);
  if (p->surface) cairo_surface_destroy(p->surface);
  p->cr = NULL;
  p->surface = NULL;
}

void qa_plot_color(qa_plot *p, qa_rgb c, double alpha) {
  if (alpha >= 1.0) cairo_set_source_rgb(p->cr, c.r, c.g, c.b);
  else cairo_set_source_rgba(p->cr, c.r, c.g, c.b, alpha);
}

/* ---- text --------------------------------------------------------------- */

/* DejaVu Sans capital height in em (1493 of 2048 font units). */
#define CAP_EM 0.729

static void set_font(qa_plot *p, double size, int bold) {
  cairo_set_font_face(p->cr, p->fonts->face[bold ? 1 : 0]);
  cairo_set_font_size(p->cr, size);
}

/* The well-formed part of utf8: itself, or a copy of what precedes its
** first bad byte (*owned set, caller frees).  cairo puts a context that
** is given bad UTF-8 into a sticky error state that fails the figure, so
** a label a caller cut carelessly loses its tail instead; NULL on OOM. */
static const char *valid_part(const char *utf8, char **owned) {
  size_t n = strlen(utf8), bad = qa_utf8_invalid_at(utf8, n);
  *owned = NULL;
  if (bad == n) return utf8;
  *owned = strndup(utf8, bad);
  return *owned;
}

double qa_plot_text_width(qa_plot *p, const char *utf8, double size, int bold) {
  cairo_text_extents_t te;
  char *owned;
  if (!utf8 || !(utf8 = valid_part(utf8, &owned))) return 0.0;
  set_font(p, size, bold);
  cairo_text_extents(p->cr, utf8, &te);
  free(owned);
  return te.x_advance;
}

void qa_plot_text_ink(qa_plot *p, const char *utf8, double size, int bold,
                      cairo_text_extents_t *te) {
  char *owned;
  memset(te, 0, sizeof *te);
  if (!utf8 || !(utf8 = valid_part(utf8, &owned))) return;
  set_font(p, size, bold);
  cairo_text_extents(p->cr, utf8, te);
  free(owned);
}

const char *qa_plot_fit(qa_plot *p, const char *utf8, double size, int bold, double max_w,
                        char *buf, size_t cap) {
  if (!utf8) return "";
  if (qa_plot_text_width(p, utf8, size, bold) <= max_w) return utf8;
  if (cap < 4) { if (cap) buf[0] = '\0'; return cap ? buf : ""; }
  /* The widest prefix: the width of prefix + ellipsis grows with its
  ** length, so bisect on the byte count (cut to a character boundary). */
  size_t n = strlen(utf8), lo = 0, hi = n < cap - 4 ? n : cap - 4;
  while (lo < hi) {
    size_t mid = lo + (hi - lo + 1) / 2, k = qa_plot_utf8_prefix(utf8, mid);
    memcpy(buf, utf8, k);
    memcpy(buf + k, QA_PLOT_ELLIPSIS, 4);
    if (qa_plot_text_width(p, buf, size, bold) <= max_w) lo = mid;
    else hi = mid - 1;
  }
  size_t k = qa_plot_utf8_prefix(utf8, lo);
  while (k > 0 && utf8[k - 1] == ' ') k--;    /* "long name…", not "long …" */
  memcpy(buf, utf8, k);
  memcpy(buf + k, QA_PLOT_ELLIPSIS, 4);
  return buf;
}

void qa_plot_text_rotated(qa_plot *p, const char *utf8, double x, double y, double size,
                          int bold, double ha, double va, double angle, qa_rgb color) {
  char *owned;
  if (!utf8 || !*utf8 || !(utf8 = valid_part(utf8, &owned))) return;
  double w = qa_plot_text_width(p, utf8, size, bold);
  cairo_save(p->cr);
  cairo_translate(p->cr, x, y);
  if (angle != 0.0) cairo_rotate(p->cr, angle);
  cairo_move_to(p->cr, -ha * w, (1.0 - va) * CAP_EM * size);
  qa_plot_record_text(p, utf8, size, bold, -ha * w, (1.0 - va) * CAP_EM * size);
  qa_plot_color(p, color, 1.0);
  cairo_show_text(p->cr, utf8);
  cairo_new_path(p->cr);
  cairo_restore(p->cr);
  free(owned);
}

void qa_plot_text(qa_plot *p, const char *utf8, double x, double y, double size, int bold,
                  double ha, double va, qa_rgb color) {
  qa_plot_text_rotated(p, utf8, x, y, size, bold, ha, va, 0.0, color);
}

void qa_plot_text_halo(qa_plot *p, const char *utf8, double x, double y, double size, int bold,
                       double ha, double va, qa_rgb color) {
  char *owned;
  if (!utf8 || !*utf8 || !(utf8 = valid_part(utf8, &owned))) return;
  double w = qa_plot_text_width(p, utf8, size, bold);
  cairo_save(p->cr);
  cairo_move_to(p->cr, x - ha * w, y + (1.0 - va) * CAP_EM * size);
  cairo_text_path(p->cr, utf8);
  cairo_set_source_rgba(p->cr, 1, 1, 1, 0.9);
  cairo_set_line_width(p->cr, 2.2);
  cairo_set_line_join(p->cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke(p->cr);
  cairo_restore(p->cr);
  qa_plot_text(p, utf8, x, y, size, bold, ha, va, color);
  free(owned);
}

/* ---- markers ------------------------------------------------------------ */

static void polygon(cairo_t *cr, double x, double y, double r, int sides, double phase) {
  for (int k = 0; k < sides; k++) {
    double a = phase + 2.0 * M_PI * k / sides;
    if (k == 0) cairo_move_to(cr, x + r * cos(a), y + r * sin(a));
    else cairo_line_to(cr, x + r * cos(a), y + r * sin(a));
  }
  cairo_close_path(cr);
}

void qa_plot_marker(qa_plot *p, int shape, double x, double y, double size, qa_rgb fill) {
  cairo_t *cr = p->cr;
  double r = 0.5 * size;
  switch (shape) {
  case QA_MARK_SQUARE: cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r); break;
  case QA_MARK_DIAMOND: polygon(cr, x, y, 1.15 * r, 4, -M_PI / 2); break;
  case QA_MARK_TRIANGLE: polygon(cr, x, y + 0.2 * r, 1.2 * r, 3, -M_PI / 2); break;
  case QA_MARK_TRIANGLE_DOWN: polygon(cr, x, y - 0.2 * r, 1.2 * r, 3, M_PI / 2); break;
  case QA_MARK_PENTAGON: polygon(cr, x, y, 1.05 * r, 5, -M_PI / 2); break;
  case QA_MARK_BAR: cairo_rectangle(cr, x - 0.22 * r, y - 1.1 * r, 0.44 * r, 2.2 * r); break;
  case QA_MARK_CROSS: {   /* a plus outline turned by 45 degrees */
    static const double px[12] = {-1, 1, 1, 3, 3, 1, 1, -1, -1, -3, -3, -1};
    static const double py[12] = {-3, -3, -1, -1, 1, 1, 3, 3, 1, 1, -1, -1};
    double u = 0.37 * r, c = cos(M_PI / 4), sn = sin(M_PI / 4);
    for (int k = 0; k < 12; k++) {
      double qx = x + u * (c * px[k] - sn * py[k]), qy = y + u * (sn * px[k] + c * py[k]);
      if (k == 0) cairo_move_to(cr, qx, qy);
      else cairo_line_to(cr, qx, qy);
    }
    cairo_close_path(cr);
    break;
  }
  default: cairo_new_sub_path(cr); cairo_arc(cr, x, y, r, 0, 2 * M_PI); break;
  }
  qa_plot_record_mark(p, x, y, (shape == QA_MARK_BAR ? 1.1 : 1.2) * r);
  qa_plot_color(p, fill, 1.0);
  cairo_fill_preserve(cr);
  qa_rgb black = {0, 0, 0};
  qa_plot_color(p, qa_plot_mix(fill, black, 0.45), 1.0);
  cairo_set_line_width(cr, 0.45);
  cairo_stroke(cr);
}

/* ---- axes --------------------------------------------------------------- */

static const qa_rgb INK = {0.15, 0.15, 0.15}, GRID = {0.88, 0.88, 0.88};

int qa_plot_axis_init(qa_plot_axis *ax, double lo, double hi, int log, int target,
                      int expand, double p0, double p1) {
  double t[QA_PLOT_MAX_TICKS];
  int n = 0;
  memset(ax, 0, sizeof *ax);
  if (log ? qa_plot_log_ticks(lo, hi, target, t, &n)
          : qa_plot_nice_ticks(lo, hi, target, &ax->step, t, &n))
    return -1;
  double d0 = lo, d1 = hi;
  if (expand && log) {
    /* The nearest ticks around the data when they are close (within 15 %
    ** of the span and 0.6 decade), else a 3 % margin: whole decades can
    ** waste most of an axis. */
    double span = fmax(log10(hi / lo), 0.3), t0 = 0, t1 = 0, near = fmin(0.15 * span, 0.6);
    for (int i = 0; i < n; i++) if (t[i] <= lo * (1 + 1e-9)) t0 = t[i];
    for (int i = n - 1; i >= 0; i--) if (t[i] >= hi * (1 - 1e-9)) t1 = t[i];
    d0 = t0 > 0 && log10(lo / t0) <= near ? t0 : lo / pow(10.0, 0.03 * span);
    d1 = t1 > 0 && log10(t1 / hi) <= near ? t1 : hi * pow(10.0, 0.03 * span);
  } else if (expand) {
    d0 = t[0];
    d1 = t[n - 1];
  }
  if (!(d1 > d0)) { d0 = t[0]; d1 = t[n - 1]; }
  double tol = log ? 1e-9 : 1e-9 * (d1 - d0);
  for (int i = 0; i < n; i++) {
    int inside = log ? t[i] >= d0 * (1 - tol) && t[i] <= d1 * (1 + tol)
                     : t[i] >= d0 - tol && t[i] <= d1 + tol;
    if (inside) ax->ticks[ax->n_ticks++] = t[i];
  }
  for (int i = 0; log && i < ax->n_ticks; i++)
    ax->sci |= ax->ticks[i] < 1e-3 * (1 - 1e-9) || ax->ticks[i] > 1e3 * (1 + 1e-9);
  ax->s = log ? qa_plot_scale_log(d0, d1, p0, p1) : qa_plot_scale_linear(d0, d1, p0, p1);
  return 0;
}

void qa_plot_axis_place(qa_plot_axis *ax, double p0, double p1) {
  ax->s.p0 = p0;
  ax->s.p1 = p1;
}

void qa_plot_axis_label(const qa_plot_axis *ax, double v, char *buf, size_t cap) {
  if (ax->s.log && ax->sci) sci(v, buf, cap);
  else if (ax->s.log) qa_plot_format_log_tick(v, buf, cap);
  else qa_plot_format_tick(v, ax->step, buf, cap);
}

double qa_plot_axis_label_width(qa_plot *p, const qa_plot_axis *ax) {
  double w = 0;
  char buf[64];
  for (int i = 0; i < ax->n_ticks; i++) {
    qa_plot_axis_label(ax, ax->ticks[i], buf, sizeof buf);
    w = fmax(w, qa_plot_text_width(p, buf, QA_PLOT_TICK_PT, 0));
  }
  return w;
}

static void line(cairo_t *cr, double x0, double y0, double x1, double y1) {
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
}

/* Unlabelled minor ticks 2..9 between decades of a log axis. */
static void minor_ticks(qa_plot *p, const qa_plot_axis *ax, int vertical, double at) {
  double lo = ax->s.d0, hi = ax->s.d1;
  if (ax->n_ticks >= 2 && ax->ticks[1] / ax->ticks[0] > 10.5) return;   /* skipped decades */
  for (double dec = pow(10.0, floor(log10(lo))); dec < hi; dec *= 10)
    for (int m = 2; m <= 9; m++) {
      double v = m * dec;
      if (v < lo || v > hi) continue;
      double q = qa_plot_map(&ax->s, v);
      if (vertical) line(p->cr, at, q, at - 1.8, q);
      else line(p->cr, q, at, q, at + 1.8);
    }
}

static void draw_x(qa_plot *p, const qa_plot_area *a, const qa_plot_axis *x, unsigned flags) {
  char buf[64];
  cairo_t *cr = p->cr;
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(cr, 0.6);
  line(cr, a->x0, a->y1, a->x1, a->y1);
  for (int i = 0; i < x->n_ticks; i++) line(cr, qa_plot_map(&x->s, x->ticks[i]), a->y1,
                                            qa_plot_map(&x->s, x->ticks[i]), a->y1 + 3.0);
  if (x->s.log) minor_ticks(p, x, 0, a->y1);
  cairo_stroke(cr);
  if (flags & QA_AXES_NO_X_LABELS) return;
  for (int i = 0; i < x->n_ticks; i++) {
    double q = qa_plot_map(&x->s, x->ticks[i]);
    if ((flags & QA_AXES_NO_X_FIRST) && fabs(q - x->s.p0) < 0.5) continue;
    qa_plot_axis_label(x, x->ticks[i], buf, sizeof buf);
    qa_plot_text(p, buf, q, a->y1 + 5.0, QA_PLOT_TICK_PT, 0, 0.5, 0.0, INK);
  }
  if (x->title)
    qa_plot_text(p, x->title, 0.5 * (a->x0 + a->x1), a->y1 + 7.0 + QA_PLOT_TICK_PT + 3.0,
                 QA_PLOT_LABEL_PT, 0, 0.5, 0.0, INK);
}

static void draw_y(qa_plot *p, const qa_plot_area *a, const qa_plot_axis *y, unsigned flags) {
  char buf[64];
  cairo_t *cr = p->cr;
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(cr, 0.6);
  line(cr, a->x0, a->y0, a->x0, a->y1);
  for (int i = 0; i < y->n_ticks; i++) line(cr, a->x0, qa_plot_map(&y->s, y->ticks[i]),
                                            a->x0 - 3.0, qa_plot_map(&y->s, y->ticks[i]));
  if (y->s.log) minor_ticks(p, y, 1, a->x0);
  cairo_stroke(cr);
  if (flags & QA_AXES_NO_Y_LABELS) return;
  for (int i = 0; i < y->n_ticks; i++) {
    qa_plot_axis_label(y, y->ticks[i], buf, sizeof buf);
    qa_plot_text(p, buf, a->x0 - 5.0, qa_plot_map(&y->s, y->ticks[i]), QA_PLOT_TICK_PT, 0,
                 1.0, 0.5, INK);
  }
  if (y->title) {
    double lw = qa_plot_axis_label_width(p, y);
    qa_plot_text_rotated(p, y->title, a->x0 - 8.0 - lw, 0.5 * (a->y0 + a->y1), QA_PLOT_LABEL_PT,
                         0, 0.5, 1.0, -M_PI / 2, INK);
  }
}

void qa_plot_axes(qa_plot *p, const qa_plot_area *a, const qa_plot_axis *x,
                  const qa_plot_axis *y, unsigned flags) {
  cairo_t *cr = p->cr;
  qa_plot_color(p, GRID, 1.0);
  cairo_set_line_width(cr, 0.4);
  if ((flags & QA_AXES_GRID_X) && x)
    for (int i = 0; i < x->n_ticks; i++) {
      double q = qa_plot_map(&x->s, x->ticks[i]);
      line(cr, q, a->y0, q, a->y1);
    }
  if ((flags & QA_AXES_GRID_Y) && y)
    for (int i = 0; i < y->n_ticks; i++) {
      double q = qa_plot_map(&y->s, y->ticks[i]);
      line(cr, a->x0, q, a->x1, q);
    }
  cairo_stroke(cr);
  if (flags & QA_AXES_BOX) {
    qa_plot_color(p, INK, 1.0);
    cairo_set_line_width(cr, 0.6);
    cairo_rectangle(cr, a->x0, a->y0, a->x1 - a->x0, a->y1 - a->y0);
    cairo_stroke(cr);
  }
  int role = qa_plot_text_role(p, QA_BOX_AXIS);
  if (x && !(flags & QA_AXES_NO_X)) draw_x(p, a, x, flags);
  if (y && !(flags & QA_AXES_NO_Y)) draw_y(p, a, y, flags);
  qa_plot_text_role(p, role);
}

/* ---- legends ------------------------------------------------------------ */

#define KEY_PT (QA_PLOT_TICK_PT + 0.3)
#define KEY_SYM 14.0          /* symbol width */
#define KEY_GAP 4.0           /* symbol to label */
#define KEY_SEP 10.0          /* between keys on a row */
#define KEY_ROW (KEY_PT * 1.55)

/* A key's label as drawn: shortened to what max_w leaves beside the symbol. */
static const char *key_label(qa_plot *p, const qa_plot_key *k, double max_w, char *buf,
                             size_t cap) {
  return qa_plot_fit(p, k->label, KEY_PT, 0, fmax(max_w - KEY_SYM - KEY_GAP, 24.0), buf, cap);
}

static double key_width(qa_plot *p, const char *label) {
  return KEY_SYM + KEY_GAP + qa_plot_text_width(p, label, KEY_PT, 0);
}

/* Lays the keys out; with draw == 0 only measures. */
static void legend_layout(qa_plot *p, const qa_plot_key *k, size_t n, const char *title,
                          int columns, double max_w, double x0, double y0, int draw,
                          double *w_out, double *h_out);

void qa_plot_legend_size(qa_plot *p, const qa_plot_key *k, size_t n, const char *title,
                         int columns, double max_w, double *w, double *h) {
  legend_layout(p, k, n, title, columns, max_w, 0, 0, 0, w, h);
}

void qa_plot_legend(qa_plot *p, const qa_plot_key *k, size_t n, const char *title,
                    int columns, double max_w, double x, double y) {
  double w, h;
  legend_layout(p, k, n, title, columns, max_w, x, y, 1, &w, &h);
}

static void key_symbol(qa_plot *p, const qa_plot_key *k, double x, double cy) {
  cairo_t *cr = p->cr;
  switch (k->kind) {
  case QA_KEY_SWATCH:
    cairo_rectangle(cr, x + 2.0, cy - 4.0, KEY_SYM - 4.0, 8.0);
    qa_plot_color(p, k->color, k->alpha > 0 ? k->alpha : 1.0);
    cairo_fill(cr);
    break;
  case QA_KEY_MARKER:
    qa_plot_marker(p, k->marker, x + 0.5 * KEY_SYM, cy, 5.0, k->color);
    break;
  default:
    cairo_save(cr);
    if (k->kind == QA_KEY_DASHED) {
      const double dash[2] = {3.0, 1.8};
      cairo_set_dash(cr, dash, 2, 0);
    }
    line(cr, x, cy, x + KEY_SYM, cy);
    qa_plot_color(p, k->color, 1.0);
    cairo_set_line_width(cr, 1.4);
    cairo_stroke(cr);
    cairo_restore(cr);
    if (k->kind == QA_KEY_LINE_MARKER)
      qa_plot_marker(p, k->marker, x + 0.5 * KEY_SYM, cy, 4.5, k->color);
  }
}

static void legend_layout(qa_plot *p, const qa_plot_key *k, size_t n, const char *title,
                          int columns, double max_w, double x0, double y0, int draw,
                          double *w_out, double *h_out) {
  double y = y0, x = x0, w = 0, row_w = 0;
  char fit[512];
  if (title) {
    title = qa_plot_fit(p, title, KEY_PT, 1, fmax(max_w, 24.0), fit, sizeof fit);
    if (draw) qa_plot_text(p, title, x0, y + 0.5 * KEY_ROW, KEY_PT, 1, 0.0, 0.5, INK);
    w = qa_plot_text_width(p, title, KEY_PT, 1);
    y += KEY_ROW;
  }
  for (size_t i = 0; i < n; i++) {
    const char *label = key_label(p, &k[i], max_w, fit, sizeof fit);
    double kw = key_width(p, label);
    if (columns != 1 && row_w > 0 && row_w + KEY_SEP + kw > max_w) {
      y += KEY_ROW;                       /* wrap */
      x = x0;
      row_w = 0;
    }
    if (row_w > 0) { x += KEY_SEP; row_w += KEY_SEP; }
    if (draw) {
      key_symbol(p, &k[i], x, y + 0.5 * KEY_ROW);
      qa_plot_text(p, label, x + KEY_SYM + KEY_GAP, y + 0.5 * KEY_ROW, KEY_PT, 0, 0.0, 0.5,
                   INK);
    }
    x += kw;
    row_w += kw;
    w = fmax(w, row_w);
    if (columns == 1) { y += KEY_ROW; x = x0; row_w = 0; }
  }
  if (columns != 1 && n) y += KEY_ROW;
  *w_out = w;
  *h_out = y - y0;
}

/* ---- colour bar --------------------------------------------------------- */

void qa_plot_colorbar(qa_plot *p, const qa_plot_area *a, qa_rgb (*f)(double),
                      const qa_plot_axis *ax, const char *title) {
  cairo_t *cr = p->cr;
  const int steps = 128;
  double h = a->y1 - a->y0;
  for (int i = 0; i < steps; i++) {   /* bottom (t = 0) to top (t = 1) */
    double t = (i + 0.5) / steps;
    qa_plot_color(p, f(t), 1.0);
    cairo_rectangle(cr, a->x0, a->y1 - (i + 1) * h / steps - 0.05, a->x1 - a->x0, h / steps + 0.1);
    cairo_fill(cr);
  }
  qa_plot_color(p, INK, 1.0);
  cairo_set_line_width(cr, 0.5);
  cairo_rectangle(cr, a->x0, a->y0, a->x1 - a->x0, h);
  char buf[64];
  for (int i = 0; i < ax->n_ticks; i++) {
    double q = qa_plot_map(&ax->s, ax->ticks[i]);
    line(cr, a->x1, q, a->x1 + 2.5, q);
  }
  cairo_stroke(cr);
  double lw = 0;
  int role = qa_plot_text_role(p, QA_BOX_AXIS);
  for (int i = 0; i < ax->n_ticks; i++) {
    qa_plot_axis_label(ax, ax->ticks[i], buf, sizeof buf);
    qa_plot_text(p, buf, a->x1 + 4.0, qa_plot_map(&ax->s, ax->ticks[i]), QA_PLOT_TICK_PT, 0,
                 0.0, 0.5, INK);
    lw = fmax(lw, qa_plot_text_width(p, buf, QA_PLOT_TICK_PT, 0));
  }
  if (title)   /* reads upward, right of the tick labels */
    qa_plot_text_rotated(p, title, a->x1 + 8.0 + lw, 0.5 * (a->y0 + a->y1), QA_PLOT_LABEL_PT, 0,
                         0.5, 0.0, -M_PI / 2, INK);
  qa_plot_text_role(p, role);
}

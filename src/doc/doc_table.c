/*
** qa_doc tables and figures.
**
** A table streams: each row is wrapped, measured and drawn at once, so the
** caller's strings are never kept (only the caption and headers are
** copied).  Before a row that would cross the bottom margin the table is
** closed with a rule, and the next page starts with the caption marked
** "(continued)" and the header row again.  The caption, header and first
** rows are kept together (three by default, qa_doc_table_keep).  A cell
** whose longest word is wider than its column is set in a smaller size (down
** to MIN_CELL_SIZE) before words are broken.  Figures are PNG files placed
** whole on one page.
** This file must never decide what a cell says, only how it looks.
*/
#include "doc/doc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CELL_PAD_X 4.0
#define CELL_PAD_Y 2.8
#define CAPTION_SIZE 8.8
#define CAPTION_LEAD 12.0
#define MIN_CELL_SIZE 6.3
#define COMPACT_PAD_Y 1.0
#define COMPACT_LEAD 9.0
/* A cell of a column narrower than NARROW_FRAC of the text width (a name,
** a number) holds at most NARROW_MAX_LINES lines; longer text (a 1,000-
** byte model name) ends with an ellipsis instead of filling a page.  Any
** cell is cut the same way where it would not fit on an empty page. */
#define NARROW_FRAC 0.34
#define NARROW_MAX_LINES 6
#define ELLIPSIS "\xE2\x80\xA6"

struct qa_doc_table {
  qa_doc *doc;
  size_t n_cols;
  char **headers;
  qa_doc_align *align;
  double *x, *w;        /* column left edge and width */
  char *caption;        /* "Table N:" is added when drawn */
  int number;
  size_t n_rows;
  HPDF_Page page;       /* page on which the header was last drawn */
  double top_h;         /* caption + header height, 0 until measured */
  doc_wrap *cells;      /* n_cols reusable wraps */
  char **cut;           /* n_cols: a cell's text shortened to its lines, or NULL */
  size_t keep;          /* rows kept with the caption and header */
  size_t expected;      /* rows the table will have, 0 = not known */
  char *note;           /* drawn under the table, NULL = none */
  double note_h;        /* its height, 0 until measured */
  int compact;          /* tight rows, no zebra */
  double pad_y, lead;   /* cell padding and line height */
};

qa_doc_table *qa_doc_table_begin(qa_doc *doc, const char *caption,
                                 size_t n_cols, const qa_doc_col *cols) {
  if (!doc_ok(doc) || n_cols == 0 || !cols) return NULL;
  qa_doc_table *t = calloc(1, sizeof *t);
  if (!t) { doc->out_of_memory = 1; return NULL; }
  t->doc = doc;
  t->n_cols = n_cols;
  t->headers = calloc(n_cols, sizeof *t->headers);
  t->align = calloc(n_cols, sizeof *t->align);
  t->x = calloc(n_cols, sizeof *t->x);
  t->w = calloc(n_cols, sizeof *t->w);
  t->cells = calloc(n_cols, sizeof *t->cells);
  t->cut = calloc(n_cols, sizeof *t->cut);
  t->caption = doc_strdup(doc, caption ? caption : "");
  if (!t->headers || !t->align || !t->x || !t->w || !t->cells || !t->cut || !t->caption) {
    doc->out_of_memory = 1;
    t->n_cols = 0;
    qa_doc_table_end(t);
    return NULL;
  }
  double total = 0.0;
  for (size_t c = 0; c < n_cols; c++) total += cols[c].width > 0 ? cols[c].width : 1.0;
  double x = DOC_MARGIN_X;
  for (size_t c = 0; c < n_cols; c++) {
    t->headers[c] = doc_strdup(doc, cols[c].header ? cols[c].header : "");
    t->align[c] = cols[c].align;
    t->x[c] = x;
    t->w[c] = DOC_TEXT_W * (cols[c].width > 0 ? cols[c].width : 1.0) / total;
    x += t->w[c];
  }
  t->number = ++doc->n_table;
  t->keep = 3;
  t->pad_y = CELL_PAD_Y;
  t->lead = DOC_TABLE_LEAD;
  return t;
}

void qa_doc_table_keep(qa_doc_table *t, size_t n_rows) {
  if (t && !t->n_rows) t->keep = n_rows ? n_rows : 1;
}

void qa_doc_table_expect(qa_doc_table *t, size_t n_rows) {
  if (!t || t->n_rows) return;
  t->expected = n_rows;
  t->keep = n_rows <= 8 ? (n_rows ? n_rows : 1) : 3;
}

void qa_doc_table_note(qa_doc_table *t, const char *text) {
  if (!t || t->n_rows || !text || !*text) return;
  free(t->note);
  t->note = doc_strdup(t->doc, text);
}

/* The note's height as qa_doc_table_end draws it. */
static double note_height(qa_doc_table *t) {
  if (!t->note) return 0.0;
  if (t->note_h <= 0.0) {
    doc_wrap wr = {0};
    if (doc_wrap_text(&wr, NULL, NULL, t->doc->font[DOC_ITALIC], t->note, DOC_NOTE_SIZE,
                      DOC_TEXT_W))
      t->doc->out_of_memory = 1;
    t->note_h = 3.0 + (double)wr.n_lines * DOC_NOTE_LEAD;
    doc_wrap_free(&wr);
  }
  return t->note_h;
}

void qa_doc_table_compact(qa_doc_table *t) {
  if (!t || t->n_rows) return;
  t->compact = 1;
  t->pad_y = COMPACT_PAD_Y;
  t->lead = COMPACT_LEAD;
}

static HPDF_Font cell_font(const qa_doc *doc, qa_doc_cell_style s) {
  switch (s) {
  case QA_CELL_BOLD: case QA_CELL_BAD: return doc->font[DOC_BOLD];
  case QA_CELL_MONO: return doc->font[DOC_MONO];
  default: return doc->font[DOC_REGULAR];
  }
}

static const double *cell_color(qa_doc_cell_style s) {
  switch (s) {
  case QA_CELL_GOOD: return DOC_GOOD;
  case QA_CELL_BAD: return DOC_BAD;
  case QA_CELL_WARN: return DOC_WARN;
  case QA_CELL_MUTED: return DOC_GREY;
  default: return DOC_INK;
  }
}

/* Width of the widest space-separated word of text at size. */
static double widest_word(HPDF_Font font, const char *text, double size) {
  double widest = 0.0;
  for (const char *p = text; *p;) {
    size_t n = strcspn(p, " \n");
    double w = doc_text_width(font, p, n, size);
    if (w > widest) widest = w;
    p += n;
    if (*p) p++;
  }
  return widest;
}

/* Wraps text[0..n) + an ellipsis into wr, with n lowered (to a character
** boundary) until it takes at most max_lines lines; the text is kept in
** *cut, which wr points into.  Returns -1 on allocation failure. */
static int wrap_cut(doc_wrap *wr, char **cut, HPDF_Font font, const char *text, size_t n,
                    double size, double avail, size_t max_lines) {
  free(*cut);
  *cut = malloc(n + sizeof ELLIPSIS);
  if (!*cut) return -1;
  for (;;) {
    while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80) n--;   /* boundary */
    size_t k = n;
    while (k > 0 && (text[k - 1] == ' ' || text[k - 1] == '\n')) k--;
    memcpy(*cut, text, k);
    memcpy(*cut + k, ELLIPSIS, sizeof ELLIPSIS);
    if (doc_wrap_text(wr, NULL, NULL, font, *cut, size, avail)) return -1;
    if (wr->n_lines <= max_lines || n == 0) return 0;
    n--;
  }
}

/* Wraps every cell into t->cells; returns the row height (0 on failure).
** max_lines caps a row that would not fit on an empty page; a cell that
** needs more lines than it may have is shortened with an ellipsis. */
static double wrap_row(qa_doc_table *t, const char *const *cells,
                       const qa_doc_cell_style *styles, int bold, size_t max_lines) {
  size_t lines = 1;
  for (size_t c = 0; c < t->n_cols; c++) {
    qa_doc_cell_style s = bold ? QA_CELL_BOLD : styles ? styles[c] : QA_CELL_NORMAL;
    HPDF_Font font = cell_font(t->doc, s);
    double size = s == QA_CELL_MONO ? DOC_MONO_SIZE : DOC_TABLE_SIZE;
    double avail = t->w[c] - 2.0 * CELL_PAD_X;
    const char *text = cells && cells[c] ? cells[c] : "";
    /* Shrink a cell rather than break a word (a model name, a column
    ** header), but not below MIN_CELL_SIZE; listings keep their size. */
    double widest = t->compact ? 0.0 : widest_word(font, text, size);
    if (widest > avail && size > MIN_CELL_SIZE) {
      size = size * avail / widest;
      if (size < MIN_CELL_SIZE) size = MIN_CELL_SIZE;
    }
    if (doc_wrap_text(&t->cells[c], NULL, NULL, font, text, size, avail)) {
      t->doc->out_of_memory = 1;
      return 0.0;
    }
    size_t limit = max_lines;
    if (!t->compact && t->w[c] < NARROW_FRAC * DOC_TEXT_W && limit > NARROW_MAX_LINES)
      limit = NARROW_MAX_LINES;
    doc_wrap *wr = &t->cells[c];
    if (wr->n_lines > limit && !t->compact) {
      /* Keep the words of the first `limit` lines, then shorten. */
      size_t n = 0;
      for (size_t l = limit; l-- > 0;)
        if (wr->lines[l].count) {
          const doc_word *last = &wr->words[wr->lines[l].first + wr->lines[l].count - 1];
          n = (size_t)(last->s + last->len - text);
          break;
        }
      if (wrap_cut(wr, &t->cut[c], font, text, n, size, avail, limit)) {
        t->doc->out_of_memory = 1;
        return 0.0;
      }
    }
    if (wr->n_lines > limit) wr->n_lines = limit;
    if (t->cells[c].n_lines > lines) lines = t->cells[c].n_lines;
  }
  return (double)lines * t->lead + 2.0 * t->pad_y;
}

/* Draws the wrapped cells of a row whose box is [y - h, y]. */
static void draw_row(qa_doc_table *t, HPDF_Page page, double y, double h,
                     const qa_doc_cell_style *styles, const double *fill,
                     const double *bg, int header) {
  if (bg) doc_fill_rect(page, DOC_MARGIN_X, y - h, DOC_TEXT_W, h, bg);
  for (size_t c = 0; c < t->n_cols; c++) {
    qa_doc_cell_style s = header ? QA_CELL_BOLD : styles ? styles[c] : QA_CELL_NORMAL;
    const double *ink = header ? DOC_ACCENT : cell_color(s);
    if (fill && fill[3 * c] >= 0.0) {
      doc_fill_rect(page, t->x[c], y - h, t->w[c], h, fill + 3 * c);
      /* Rec. 709 luma: dark fills get white text. */
      double luma = 0.2126 * fill[3 * c] + 0.7152 * fill[3 * c + 1] + 0.0722 * fill[3 * c + 2];
      if (luma < 0.5) ink = DOC_WHITE;
    }
    const doc_wrap *wr = &t->cells[c];
    for (size_t i = 0; i < wr->n_lines; i++) {
      double lw = wr->lines[i].width, x = t->x[c] + CELL_PAD_X;
      if (t->align[c] == QA_ALIGN_RIGHT) x = t->x[c] + t->w[c] - CELL_PAD_X - lw;
      else if (t->align[c] == QA_ALIGN_CENTER) x = t->x[c] + 0.5 * (t->w[c] - lw);
      double top = y - t->pad_y - (double)i * t->lead;
      double base = top - 0.5 * (t->lead - wr->size) - 0.8 * wr->size;
      doc_draw_line(t->doc, page, wr, i, x, base, ink);
    }
  }
}

static double caption_height(qa_doc_table *t) {
  char label[48];
  snprintf(label, sizeof label, "Table %d:", t->number);
  if (doc_wrap_text(&t->cells[0], t->doc->font[DOC_BOLD], label,
                    t->doc->font[DOC_REGULAR], t->caption, CAPTION_SIZE, DOC_TEXT_W))
    t->doc->out_of_memory = 1;
  return (double)(t->cells[0].n_lines + 1) * CAPTION_LEAD + 4.0;
}

/* Caption (continued if rows were drawn before) and header row at doc->y. */
static void draw_top(qa_doc_table *t) {
  qa_doc *doc = t->doc;
  char label[48];
  snprintf(label, sizeof label, "Table %d:", t->number);
  size_t n = strlen(t->caption);
  char *cap = malloc(n + 16);
  if (!cap) { doc->out_of_memory = 1; return; }
  snprintf(cap, n + 16, "%s%s", t->caption, t->n_rows ? " (continued)" : "");
  doc_flow(doc, doc->font[DOC_BOLD], label, doc->font[DOC_REGULAR], cap,
           CAPTION_SIZE, CAPTION_LEAD, DOC_MARGIN_X, DOC_TEXT_W, DOC_INK);
  free(cap);
  HPDF_Page page = doc_need(doc, 0.0);
  if (!page) return;
  doc->y -= 3.0;
  double h = wrap_row(t, (const char *const *)t->headers, NULL, 1, 8);
  doc_hline(page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, doc->y, 0.8, DOC_ACCENT);
  draw_row(t, page, doc->y, h, NULL, NULL, DOC_HEAD_BG, 1);
  doc->y -= h;
  doc_hline(page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, doc->y, 0.5, DOC_ACCENT);
  doc->page_used = 1;
  t->page = page;
}

static double header_height(qa_doc_table *t) {
  return wrap_row(t, (const char *const *)t->headers, NULL, 1, 8) + 3.0;
}

void qa_doc_table_row_styled(qa_doc_table *t, const char *const *cells,
                             const qa_doc_cell_style *styles,
                             const double *fill_rgb) {
  if (!t || !doc_ok(t->doc)) return;
  qa_doc *doc = t->doc;
  if (t->top_h <= 0.0) t->top_h = caption_height(t) + header_height(t);
  double top_h = t->top_h;
  size_t max_lines = (size_t)((DOC_TOP - DOC_BOTTOM - top_h - 2.0 * t->pad_y) / t->lead);
  double h = wrap_row(t, cells, styles, 0, max_lines ? max_lines : 1);
  if (h <= 0.0) return;
  int same_page = doc->page && doc->page == t->page;
  /* No widow: with two rows left, both go over (with the note) if only this
  ** one fits. */
  size_t left = t->expected > t->n_rows ? t->expected - t->n_rows : 0;
  int widow = left == 2 && t->n_rows >= 2 && doc->y - 2.0 * h - note_height(t) < DOC_BOTTOM;
  if (same_page && (doc->y - h < DOC_BOTTOM || widow)) {
    doc_hline(doc->page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, doc->y, 0.5, DOC_RULE);
    doc->page = NULL;
  }
  if (!same_page || !doc->page) {
    /* The first rows stay with the caption and header (an estimate: the
    ** first row's height for each), capped at what a page can hold. */
    double start_h = top_h + (t->n_rows ? 1.0 : (double)t->keep) * h;
    if (!t->n_rows && t->expected && t->keep >= t->expected) start_h += note_height(t);
    if (start_h > DOC_TOP - DOC_BOTTOM - 40.0) start_h = top_h + h;
    if (!doc->n_pending && doc->page && doc->page_used && doc->y - start_h < DOC_BOTTOM)
      doc->page = NULL;
    if (!doc_need(doc, start_h)) return;
    if (doc->page_used) doc->y -= 4.0;
    draw_top(t);
    h = wrap_row(t, cells, styles, 0, max_lines ? max_lines : 1);
  }
  if (!doc_ok(doc) || h <= 0.0) return;
  draw_row(t, doc->page, doc->y, h, styles, fill_rgb,
           t->n_rows % 2 && !t->compact ? DOC_ZEBRA : NULL, 0);
  doc->y -= h;
  t->n_rows++;
}

void qa_doc_table_row(qa_doc_table *t, const char *const *cells) {
  qa_doc_table_row_styled(t, cells, NULL, NULL);
}

void qa_doc_table_end(qa_doc_table *t) {
  if (!t) return;
  qa_doc *doc = t->doc;
  if (t->n_cols && doc_ok(doc)) {
    if (!t->n_rows) {  /* an empty table still shows its caption and header */
      double top_h = caption_height(t) + header_height(t);
      if (doc_need(doc, top_h)) {
        if (doc->page_used) doc->y -= 4.0;
        draw_top(t);
      }
    }
    if (doc->page) {
      doc_hline(doc->page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, doc->y, 0.8, DOC_ACCENT);
      if (t->note) {
        doc->y -= 3.0;
        doc_flow(doc, NULL, NULL, doc->font[DOC_ITALIC], t->note, DOC_NOTE_SIZE, DOC_NOTE_LEAD,
                 DOC_MARGIN_X, DOC_TEXT_W, DOC_GREY);
        doc->y -= 9.0;
      } else {
        doc->y -= 12.0;
      }
    }
  }
  for (size_t c = 0; c < t->n_cols; c++) {
    if (t->headers) free(t->headers[c]);
    if (t->cells) doc_wrap_free(&t->cells[c]);
    if (t->cut) free(t->cut[c]);
  }
  free(t->cut);
  free(t->headers);
  free(t->align);
  free(t->x);
  free(t->w);
  free(t->cells);
  free(t->caption);
  free(t->note);
  free(t);
}

/* ---- figures ---- */

static int check_png(const char *path, qa_error *err) {
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  unsigned char head[8];
  FILE *f = fopen(path, "rb");
  if (!f) return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read figure");
  size_t n = fread(head, 1, sizeof head, f);
  fclose(f);
  if (n != sizeof head || memcmp(head, sig, sizeof sig) != 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "figure is not a PNG file");
  return 0;
}

/* Image box, then the caption centred under it, kept on one page. */
int qa_doc_figure_png(qa_doc *doc, const char *png_path, double width_frac,
                      const char *caption, qa_error *err) {
  if (!doc_ok(doc))
    return qa_error_set(err, QA_EXIT_IO, png_path, NULL, "document already failed");
  if (check_png(png_path, err)) return -1;
  /* The PNG's own compressed pixels when it is one qaudit draws (doc_png.c),
  ** else libharu's decoder. */
  int other = 0;
  HPDF_Image img = qa_doc_png_image(doc->pdf, png_path, &other);
  if (!img && other && !doc->hpdf_error) img = HPDF_LoadPngImageFromFile(doc->pdf, png_path);
  if (!img || doc->hpdf_error) {
    unsigned code = (unsigned)doc->hpdf_error;
    HPDF_ResetError(doc->pdf);  /* reported here; the document stays usable */
    doc->hpdf_error = doc->hpdf_detail = 0;
    return qa_error_set(err, QA_EXIT_IO, png_path, NULL,
                        "libharu cannot load this PNG (code 0x%04X)", code);
  }
  double iw = HPDF_Image_GetWidth(img), ih = HPDF_Image_GetHeight(img);
  if (width_frac <= 0.0 || width_frac > 1.0) width_frac = 1.0;
  char label[48];
  snprintf(label, sizeof label, "Figure %d:", ++doc->n_figure);
  doc_wrap wr = {0};
  if (doc_wrap_text(&wr, doc->font[DOC_BOLD], label, doc->font[DOC_REGULAR],
                    caption ? caption : "", CAPTION_SIZE, 0.9 * DOC_TEXT_W)) {
    doc->out_of_memory = 1;
    doc_wrap_free(&wr);
    return qa_error_set(err, QA_EXIT_IO, png_path, NULL, "out of memory");
  }
  double cap_h = (double)wr.n_lines * CAPTION_LEAD;
  double w = width_frac * DOC_TEXT_W, h = iw > 0 ? w * ih / iw : w;
  double max_h = DOC_TOP - DOC_BOTTOM - cap_h - 20.0;
  if (h > max_h) { w *= max_h / h; h = max_h; }
  HPDF_Page page = doc_need(doc, 8.0 + h + 6.0 + cap_h);
  if (page) {
    if (doc->page_used) doc->y -= 8.0;
    HPDF_Page_DrawImage(page, img, (HPDF_REAL)(0.5 * (DOC_PAGE_W - w)),
                        (HPDF_REAL)(doc->y - h), (HPDF_REAL)w, (HPDF_REAL)h);
    doc->y -= h + 6.0;
    for (size_t i = 0; i < wr.n_lines; i++) {
      double x = DOC_MARGIN_X + 0.5 * (DOC_TEXT_W - wr.lines[i].width);
      double base = doc->y - 0.5 * (CAPTION_LEAD - CAPTION_SIZE) - 0.8 * CAPTION_SIZE;
      doc_draw_line(doc, page, &wr, i, x, base, DOC_INK);
      doc->y -= CAPTION_LEAD;
    }
    doc->y -= 10.0;
    doc->page_used = 1;
  }
  doc_wrap_free(&wr);
  if (!doc_ok(doc))
    return qa_error_set(err, QA_EXIT_IO, png_path, NULL, "libharu error 0x%04X placing figure",
                        (unsigned)doc->hpdf_error);
  return 0;
}

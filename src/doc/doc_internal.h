/*
** Shared internals of the qa_doc module (doc.c, doc_text.c, doc_table.c).
** Not for use outside src/doc/doc*.c.
**
** Coordinates are PDF points from the bottom-left corner.  doc->y is the top
** of the free space on the current page; content is laid top to bottom and
** every block asks doc_need() for its height first, which breaks the page.
*/
#ifndef QA_DOC_INTERNAL_H
#define QA_DOC_INTERNAL_H

#include <hpdf.h>

#include "doc/doc.h"

/* A4 portrait (ISO 216: 210 x 297 mm at 72 pt per 25.4 mm). */
#define DOC_PAGE_W 595.276
#define DOC_PAGE_H 841.89
#define DOC_MARGIN_X 56.0
#define DOC_TOP (DOC_PAGE_H - 60.0)
#define DOC_BOTTOM 66.0
#define DOC_TEXT_W (DOC_PAGE_W - 2.0 * DOC_MARGIN_X)
#define DOC_FOOTER_Y 38.0
#define DOC_HEADER_Y (DOC_PAGE_H - 36.0)   /* baseline of the running header */

#define DOC_BODY_SIZE 9.5
#define DOC_BODY_LEAD 13.6
#define DOC_NOTE_SIZE 8.3
#define DOC_NOTE_LEAD 11.4
#define DOC_TABLE_SIZE 8.0
#define DOC_TABLE_LEAD 10.4
#define DOC_MONO_SIZE 7.2

enum { DOC_REGULAR, DOC_BOLD, DOC_ITALIC, DOC_MONO, DOC_N_FONTS };

typedef struct doc_toc_entry {
  int level;           /* 0 section, 1 subsection */
  char *label;         /* "3" or "3.2" */
  char *title;
  size_t page_index;   /* index into doc->pages before the TOC is inserted */
  double y_top;        /* top of the heading on its page */
  HPDF_Destination dst;  /* the heading, shared by bookmark and TOC link */
} doc_toc_entry;

/* A heading or lead-in paragraph waiting for the block it is kept with
** (doc.c). */
#define DOC_MAX_PENDING 8
typedef struct doc_pending {
  int level;           /* 0 section, 1 subsection, 2 lead-in paragraph */
  char label[48];
  char *title;         /* the heading, or the paragraph's text */
  double gap;          /* space above it when it does not start a page */
} doc_pending;

struct qa_doc {
  HPDF_Doc pdf;
  HPDF_Font font[DOC_N_FONTS];
  HPDF_STATUS hpdf_error, hpdf_detail;  /* first libharu error, 0 if none */
  int out_of_memory;
  HPDF_Page *pages;    /* in final order once the TOC is inserted */
  size_t n_pages, cap_pages;
  HPDF_Page page;      /* current page; NULL = next content starts a page */
  int page_used;       /* something was drawn on the current page */
  double y;
  int has_title_page;
  int toc_wanted;
  size_t toc_at;       /* the TOC goes before pages[toc_at] */
  size_t n_toc_pages;
  int finalized;
  doc_toc_entry *toc;
  size_t n_toc, cap_toc;
  HPDF_Outline section_outline;
  int n_section, n_subsection, n_table, n_figure;
  doc_pending pending[DOC_MAX_PENDING];
  size_t n_pending;
  char *header_text, *footer_text, *toc_title;
};

/* ---- doc.c ---- */
int doc_ok(const qa_doc *doc);              /* no error recorded */
void doc_new_page(qa_doc *doc);
int doc_push_page(qa_doc *doc, HPDF_Page page, size_t at);  /* into doc->pages */
/* Ensures h points of free space below doc->y, breaking the page if needed;
** draws the pending headings first, kept with those h points (or three
** body lines, whichever is more); returns the current page (NULL after an
** error). */
HPDF_Page doc_need(qa_doc *doc, double h);
/* Free space left on the current page (0 when no page is open). */
double doc_room(const qa_doc *doc);
char *doc_strdup(qa_doc *doc, const char *s);  /* NULL-safe; flags OOM */
/* The same, but at most max_bytes of s, cut at a character boundary and
** followed by an ellipsis when s is longer. */
char *doc_strdup_max(qa_doc *doc, const char *s, size_t max_bytes);
/* Drops what follows the last whole character of buf (a string snprintf
** may have cut inside a multi-byte character). */
void doc_utf8_trim(char *buf);
void doc_fill_rect(HPDF_Page page, double x, double y, double w, double h,
                   const double rgb[3]);
void doc_hline(HPDF_Page page, double x0, double x1, double y, double width,
               const double rgb[3]);

/* Heading "label  title" (label NULL = none) in bold accent, top at *y. */
void doc_draw_heading(qa_doc *doc, HPDF_Page page, double *y, const char *label,
                      const char *title, double size, double lead);

/* ---- doc_toc.c ---- */
/* Lays out the TOC, inserts its pages at doc->toc_at and draws it. */
void doc_toc_insert(qa_doc *doc);
/* Running header and footer on every page but the title page (after the
** TOC is in place). */
void doc_page_furniture(qa_doc *doc);

/* Palette: muted greys and one dark blue accent. */
extern const double DOC_INK[3], DOC_ACCENT[3], DOC_GREY[3], DOC_RULE[3],
    DOC_ZEBRA[3], DOC_HEAD_BG[3], DOC_GOOD[3], DOC_BAD[3], DOC_WARN[3],
    DOC_WHITE[3];

/* ---- doc_text.c: UTF-8 words, measuring, wrapping, drawing ---- */
typedef struct doc_word {
  const char *s;       /* points into the caller's text */
  size_t len;          /* bytes; 0 with brk = a forced line break */
  HPDF_Font font;
  double width;
  int brk;             /* '\n' before this position */
  int glue;            /* piece of a broken long word: no space before */
} doc_word;
typedef struct doc_line { size_t first, count; double width; } doc_line;
typedef struct doc_wrap {
  doc_word *words;
  size_t n_words, cap_words;
  doc_line *lines;
  size_t n_lines, cap_lines;
  double size;
} doc_wrap;

double doc_text_width(HPDF_Font font, const char *s, size_t len, double size);
/* Wraps "lead text" (lead in lead_font, may be NULL) to max_width; words
** wider than max_width are broken between characters.  Appends to wr after
** clearing its lines.  Returns 0, or -1 on allocation failure. */
int doc_wrap_text(doc_wrap *wr, HPDF_Font lead_font, const char *lead,
                  HPDF_Font font, const char *text, double size,
                  double max_width);
void doc_wrap_free(doc_wrap *wr);
/* Draws line i of wr with its left end at x on the given baseline. */
void doc_draw_line(qa_doc *doc, HPDF_Page page, const doc_wrap *wr, size_t i,
                   double x, double baseline, const double rgb[3]);
/* Draws one string (no wrapping). */
void doc_draw_text(HPDF_Page page, HPDF_Font font, double size, double x,
                   double baseline, const double rgb[3], const char *s);
/* Flows wrapped text from doc->y, breaking pages between lines with widow
** and orphan control. */
void doc_flow(qa_doc *doc, HPDF_Font lead_font, const char *lead,
              HPDF_Font font, const char *text, double size, double lead_pt,
              double x, double width, const double rgb[3]);
/* The same for text already wrapped; bullet (NULL = none) is drawn in
** DOC_ACCENT at bullet_x on the first line. */
void doc_flow_lines(qa_doc *doc, const doc_wrap *wr, double lead_pt, double x,
                    const double rgb[3], const char *bullet, double bullet_x);
/* Draws s on one line, cut with an ellipsis to max_width if longer. */
void doc_draw_fitted(qa_doc *doc, HPDF_Page page, HPDF_Font font, double size,
                     double x, double baseline, double max_width,
                     const double rgb[3], const char *s);

/* doc_png.c: an image XObject holding the PNG's IDAT bytes as they are
** (FlateDecode, PNG predictors), or NULL: *other = 1 when the PNG is of a
** kind this path leaves to libharu (palette, alpha, 16-bit, interlaced),
** 0 on a read error or out of memory. */
HPDF_Image qa_doc_png_image(HPDF_Doc pdf, const char *path, int *other);

#endif

/*
** qa_doc navigation, built at save time: the table of contents, and the
** page furniture (running header and footer) that needs the final page
** numbers and sections.
**
** Sections and subsections are known only when the body is finished, and
** the TOC's own length shifts every page after it, so: lay the entries out
** once to count the TOC pages, insert that many pages before
** pages[toc_at] (HPDF_InsertPage), then draw the entries with their final
** page numbers, dot leaders and link annotations to the headings.  The
** header and footer go in the margins above DOC_TOP and below DOC_BOTTOM:
** this file must never draw in a body page's text area.
*/
#include "doc/doc_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOC_NUM_W 34.0            /* right column for page numbers */
#define TOC_HEADING_H 38.0        /* "Contents" heading, rule and gap */

typedef struct entry_style {
  double x_label, x_title, size, lead, gap_above;
  int font;
} entry_style;

static entry_style style_of(int level) {
  if (level == 0)
    return (entry_style){DOC_MARGIN_X, DOC_MARGIN_X + 20.0, 9.5, 14.0, 5.0, DOC_BOLD};
  return (entry_style){DOC_MARGIN_X + 20.0, DOC_MARGIN_X + 46.0, 9.0, 13.0, 0.0,
                       DOC_REGULAR};
}

static double title_width(const entry_style *st) {
  return DOC_PAGE_W - DOC_MARGIN_X - TOC_NUM_W - st->x_title;
}

/* Pass 1: which TOC page each entry lands on; returns the page count. */
static size_t layout(qa_doc *doc, size_t *on_page, doc_wrap *wr) {
  size_t page = 0;
  double y = DOC_TOP - TOC_HEADING_H;
  for (size_t i = 0; i < doc->n_toc; i++) {
    entry_style st = style_of(doc->toc[i].level);
    if (doc_wrap_text(wr, NULL, NULL, doc->font[st.font], doc->toc[i].title,
                      st.size, title_width(&st))) {
      doc->out_of_memory = 1;
      return 0;
    }
    size_t lines = wr->n_lines ? wr->n_lines : 1;
    double h = st.gap_above + (double)lines * st.lead;
    if (y - h < DOC_BOTTOM) {
      page++;
      y = DOC_TOP;
    }
    on_page[i] = page;
    y -= h;
  }
  return page + 1;
}

static void insert_pages(qa_doc *doc, size_t n, HPDF_Page *toc_pages) {
  HPDF_Page target = doc->toc_at < doc->n_pages ? doc->pages[doc->toc_at] : NULL;
  for (size_t k = 0; k < n && doc_ok(doc); k++) {
    HPDF_Page p = target ? HPDF_InsertPage(doc->pdf, target) : HPDF_AddPage(doc->pdf);
    if (!p) return;
    HPDF_Page_SetWidth(p, (HPDF_REAL)DOC_PAGE_W);
    HPDF_Page_SetHeight(p, (HPDF_REAL)DOC_PAGE_H);
    if (doc_push_page(doc, p, doc->toc_at + k)) return;
    toc_pages[k] = p;
  }
}

/* Dots from x0 to x1 on the baseline, on a 4 pt grid so that the leaders
** of all entries line up. */
static void dot_leader(HPDF_Page page, double x0, double x1, double y) {
  static const HPDF_UINT16 dash[2] = {1, 3};
  x0 = ceil(x0 / 4.0) * 4.0;
  if (x1 - x0 < 4.0) return;
  HPDF_Page_SetDash(page, dash, 2, 0);
  doc_hline(page, x0, x1, y + 0.4, 0.8, DOC_RULE);
  HPDF_Page_SetDash(page, NULL, 0, 0);
}

/* Pass 2: draws entry e with its top at *y. */
static void draw_entry(qa_doc *doc, HPDF_Page page, double *y,
                       const doc_toc_entry *e, size_t n_toc_pages, doc_wrap *wr) {
  entry_style st = style_of(e->level);
  HPDF_Font font = doc->font[st.font];
  const double right = DOC_PAGE_W - DOC_MARGIN_X;
  if (doc_wrap_text(wr, NULL, NULL, font, e->title, st.size, title_width(&st))) {
    doc->out_of_memory = 1;
    return;
  }
  size_t p = e->page_index;
  char num[32];
  snprintf(num, sizeof num, "%zu", p + 1 + (p >= doc->toc_at ? n_toc_pages : 0));
  *y -= st.gap_above;
  double top = *y, base = 0.0, end_x = st.x_title;
  for (size_t i = 0; i < wr->n_lines || i == 0; i++) {
    base = *y - 0.5 * (st.lead - st.size) - 0.8 * st.size;
    if (i == 0) doc_draw_text(page, font, st.size, st.x_label, base, DOC_INK, e->label);
    if (i < wr->n_lines) {
      doc_draw_line(doc, page, wr, i, st.x_title, base, DOC_INK);
      end_x = st.x_title + wr->lines[i].width;
    }
    *y -= st.lead;
  }
  double num_w = doc_text_width(font, num, strlen(num), st.size);
  dot_leader(page, end_x + 6.0, right - num_w - 5.0, base);
  doc_draw_text(page, font, st.size, right - num_w, base, DOC_INK, num);
  if (e->dst) {
    HPDF_Rect r = {(HPDF_REAL)st.x_label, (HPDF_REAL)(*y), (HPDF_REAL)right,
                   (HPDF_REAL)top};
    HPDF_Annotation a = HPDF_Page_CreateLinkAnnot(page, r, e->dst);
    if (a) HPDF_LinkAnnot_SetBorderStyle(a, 0, 0, 0);
  }
}

void doc_toc_insert(qa_doc *doc) {
  doc_wrap wr = {0};
  size_t *on_page = calloc(doc->n_toc + 1, sizeof *on_page);
  HPDF_Page *toc_pages = NULL;
  if (!on_page) { doc->out_of_memory = 1; goto done; }
  size_t n = layout(doc, on_page, &wr);
  if (!n || !doc_ok(doc)) goto done;
  toc_pages = calloc(n, sizeof *toc_pages);
  if (!toc_pages) { doc->out_of_memory = 1; goto done; }
  insert_pages(doc, n, toc_pages);
  if (!doc_ok(doc)) goto done;
  doc->n_toc_pages = n;
  double y = DOC_TOP;
  doc_draw_heading(doc, toc_pages[0], &y, NULL, doc->toc_title ? doc->toc_title : "Contents",
                   16.0, 21.0);
  y -= 3.0;
  doc_hline(toc_pages[0], DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, y, 0.9, DOC_ACCENT);
  y = DOC_TOP - TOC_HEADING_H;
  for (size_t i = 0; i < doc->n_toc && doc_ok(doc); i++) {
    if (i > 0 && on_page[i] != on_page[i - 1]) y = DOC_TOP;
    draw_entry(doc, toc_pages[on_page[i]], &y, &doc->toc[i], n, &wr);
  }
done:
  doc_wrap_free(&wr);
  free(on_page);
  free(toc_pages);
}

/* ---- running header and footer ---- */

/* Final page number (0-based) of a TOC entry once the TOC is inserted. */
static size_t final_page(const qa_doc *doc, const doc_toc_entry *e) {
  return e->page_index + (doc->toc_wanted && e->page_index >= doc->toc_at ? doc->n_toc_pages : 0);
}

/* "3  Title" of the section in effect at the top of page i (a section whose
** heading opens the page counts); "" before the first section, the TOC
** title on TOC pages. */
static void running_section(const qa_doc *doc, size_t i, char *buf, size_t cap) {
  buf[0] = '\0';
  if (doc->toc_wanted && i >= doc->toc_at && i < doc->toc_at + doc->n_toc_pages) {
    snprintf(buf, cap, "%s", doc->toc_title ? doc->toc_title : "");
    return;
  }
  const doc_toc_entry *cur = NULL, *first_here = NULL;
  for (size_t k = 0; k < doc->n_toc; k++) {
    const doc_toc_entry *e = &doc->toc[k];
    if (e->level != 0) continue;
    size_t p = final_page(doc, e);
    if (p > i) break;
    if (p < i || e->y_top >= DOC_TOP - 1.0) cur = e;
    else if (!first_here) first_here = e;
  }
  if (!cur) cur = first_here;   /* the page's first section starts below its top */
  if (cur) snprintf(buf, cap, "%s  %s", cur->label, cur->title);
  doc_utf8_trim(buf);   /* cut to cap: whole characters only */
}

/* Running header (title left, section right, hairline under them) and
** footer (hairline, text left, "Page i of n" right) on every page but the
** title page. */
void doc_page_furniture(qa_doc *doc) {
  HPDF_Font font = doc->font[DOC_REGULAR];
  const double size = 7.5, right = DOC_PAGE_W - DOC_MARGIN_X;
  for (size_t i = doc->has_title_page ? 1 : 0; i < doc->n_pages; i++) {
    HPDF_Page page = doc->pages[i];
    char num[64], sec[600];
    snprintf(num, sizeof num, "Page %zu of %zu", i + 1, doc->n_pages);
    double w = doc_text_width(font, num, strlen(num), size);
    doc_hline(page, DOC_MARGIN_X, right, DOC_FOOTER_Y + 10.0, 0.4, DOC_RULE);
    doc_draw_text(page, font, size, right - w, DOC_FOOTER_Y, DOC_GREY, num);
    if (doc->footer_text)
      doc_draw_fitted(doc, page, font, size, DOC_MARGIN_X, DOC_FOOTER_Y, DOC_TEXT_W - w - 24.0,
                      DOC_GREY, doc->footer_text);
    running_section(doc, i, sec, sizeof sec);
    double sw = 0.0;
    if (sec[0]) {
      /* The section name takes at most half the line; the title the rest. */
      sw = doc_text_width(font, sec, strlen(sec), size);
      if (sw > 0.5 * DOC_TEXT_W) sw = 0.5 * DOC_TEXT_W;
      doc_draw_fitted(doc, page, font, size, right - sw, DOC_HEADER_Y, sw, DOC_GREY, sec);
    }
    if (doc->header_text)
      doc_draw_fitted(doc, page, font, size, DOC_MARGIN_X, DOC_HEADER_Y,
                      DOC_TEXT_W - sw - (sw > 0 ? 24.0 : 0.0), DOC_GREY, doc->header_text);
    doc_hline(page, DOC_MARGIN_X, right, DOC_HEADER_Y - 6.0, 0.4, DOC_RULE);
  }
}

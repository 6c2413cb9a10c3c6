/*
** qa_doc core: the libharu document, its fonts and pages, the title page,
** section headings with bookmarks, and saving.
**
** libharu reports errors through a handler; ours records the first one in
** the qa_doc (no longjmp, no printing) and every drawing call becomes a
** no-op after it, because libharu refuses further calls on a document in
** error.  qa_doc_save turns it into a QA_EXIT_IO error.  Determinism: the
** Info dates come from opts->epoch and nothing else varies between runs.
**
** This module must never know what the document is about: no statistics,
** no results, no wording beyond "Table", "Figure", "Contents" and "Page".
*/
#include "render/doc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const double DOC_INK[3] = {0.11, 0.12, 0.14};
const double DOC_ACCENT[3] = {0.09, 0.21, 0.40};   /* dark blue */
const double DOC_GREY[3] = {0.42, 0.44, 0.47};
const double DOC_RULE[3] = {0.62, 0.65, 0.70};
const double DOC_ZEBRA[3] = {0.955, 0.962, 0.972};
const double DOC_HEAD_BG[3] = {0.885, 0.91, 0.945};
const double DOC_GOOD[3] = {0.10, 0.48, 0.23};
const double DOC_BAD[3] = {0.72, 0.13, 0.11};
const double DOC_WARN[3] = {0.70, 0.42, 0.00};
const double DOC_WHITE[3] = {1.0, 1.0, 1.0};

static const char *const FONT_FILES[DOC_N_FONTS] = {
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf",
    "DejaVuSansMono.ttf"};

static void on_hpdf_error(HPDF_STATUS error_no, HPDF_STATUS detail_no,
                          void *user_data) {
  qa_doc *doc = user_data;
  if (!doc->hpdf_error) {
    doc->hpdf_error = error_no;
    doc->hpdf_detail = detail_no;
  }
}

int doc_ok(const qa_doc *doc) {
  return doc && !doc->hpdf_error && !doc->out_of_memory;
}

char *doc_strdup(qa_doc *doc, const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *c = malloc(n);
  if (!c) { doc->out_of_memory = 1; return NULL; }
  return memcpy(c, s, n);
}

static int load_fonts(qa_doc *doc, const char *dir, qa_error *err) {
  for (int i = 0; i < DOC_N_FONTS; i++) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, FONT_FILES[i]);
    if (n < 0 || (size_t)n >= sizeof path)
      return qa_error_set(err, QA_EXIT_IO, dir, NULL, "font directory path too long");
    FILE *f = fopen(path, "rb");
    if (!f)
      return qa_error_set(err, QA_EXIT_IO, path, NULL,
                          "cannot read font file: %s (fonts_dir must hold "
                          "the DejaVu fonts)", strerror(errno));
    fclose(f);
    const char *name = HPDF_LoadTTFontFromFile(doc->pdf, path, HPDF_TRUE);
    doc->font[i] = name ? HPDF_GetFont(doc->pdf, name, "UTF-8") : NULL;
    if (!doc->font[i] || doc->hpdf_error)
      return qa_error_set(err, QA_EXIT_IO, path, NULL,
                          "libharu cannot load this TrueType font (error 0x%04X)",
                          (unsigned)doc->hpdf_error);
  }
  return 0;
}

/* Info dictionary; text goes through the UTF-8 encoder, which libharu
** writes as UTF-16BE hex strings (<FEFF...>). */
static void set_info(qa_doc *doc, const qa_doc_opts *opts) {
  if (opts->title) HPDF_SetInfoAttr(doc->pdf, HPDF_INFO_TITLE, opts->title);
  if (opts->author) HPDF_SetInfoAttr(doc->pdf, HPDF_INFO_AUTHOR, opts->author);
  if (opts->subject) HPDF_SetInfoAttr(doc->pdf, HPDF_INFO_SUBJECT, opts->subject);
  if (opts->creator) HPDF_SetInfoAttr(doc->pdf, HPDF_INFO_CREATOR, opts->creator);
  if (opts->epoch < 0) return;
  time_t t = (time_t)opts->epoch;
  struct tm tm;
  if (!gmtime_r(&t, &tm)) return;
  HPDF_Date d = {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec, 'Z', 0, 0};
  HPDF_SetInfoDateAttr(doc->pdf, HPDF_INFO_CREATION_DATE, d);
  HPDF_SetInfoDateAttr(doc->pdf, HPDF_INFO_MOD_DATE, d);
}

int qa_doc_new(const qa_doc_opts *opts, qa_doc **out, qa_error *err) {
  *out = NULL;
  if (!opts || !opts->fonts_dir)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "qa_doc_new: no fonts_dir given");
  qa_doc *doc = calloc(1, sizeof *doc);
  if (!doc) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  doc->pdf = HPDF_New(on_hpdf_error, doc);
  if (!doc->pdf) {
    free(doc);
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "libharu: cannot create a document");
  }
  HPDF_SetCompressionMode(doc->pdf, HPDF_COMP_ALL);
  HPDF_UseUTFEncodings(doc->pdf);
  HPDF_SetCurrentEncoder(doc->pdf, "UTF-8");
  HPDF_SetPageMode(doc->pdf, HPDF_PAGE_MODE_USE_OUTLINE);
  if (load_fonts(doc, opts->fonts_dir, err)) goto fail;
  set_info(doc, opts);
  doc->footer_title = doc_strdup(doc, opts->title);
  if (!doc_ok(doc)) {
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "libharu: cannot set up the document");
    goto fail;
  }
  *out = doc;
  return 0;
fail:
  qa_doc_free(doc);
  return -1;
}

void qa_doc_free(qa_doc *doc) {
  if (!doc) return;
  if (doc->pdf) HPDF_Free(doc->pdf);
  for (size_t i = 0; i < doc->n_toc; i++) {
    free(doc->toc[i].label);
    free(doc->toc[i].title);
  }
  free(doc->toc);
  free(doc->pages);
  free(doc->footer_title);
  free(doc);
}

size_t qa_doc_page_count(const qa_doc *doc) { return doc ? doc->n_pages : 0; }

int doc_push_page(qa_doc *doc, HPDF_Page page, size_t at) {
  if (doc->n_pages == doc->cap_pages) {
    size_t cap = doc->cap_pages ? 2 * doc->cap_pages : 16;
    HPDF_Page *p = realloc(doc->pages, cap * sizeof *p);
    if (!p) { doc->out_of_memory = 1; return -1; }
    doc->pages = p;
    doc->cap_pages = cap;
  }
  memmove(doc->pages + at + 1, doc->pages + at,
          (doc->n_pages - at) * sizeof *doc->pages);
  doc->pages[at] = page;
  doc->n_pages++;
  return 0;
}

void doc_new_page(qa_doc *doc) {
  doc->page = NULL;
  if (!doc_ok(doc)) return;
  HPDF_Page page = HPDF_AddPage(doc->pdf);
  if (!page) return;
  HPDF_Page_SetWidth(page, (HPDF_REAL)DOC_PAGE_W);
  HPDF_Page_SetHeight(page, (HPDF_REAL)DOC_PAGE_H);
  if (doc_push_page(doc, page, doc->n_pages)) return;
  doc->page = page;
  doc->page_used = 0;
  doc->y = DOC_TOP;
}

HPDF_Page doc_need(qa_doc *doc, double h) {
  if (!doc_ok(doc)) return NULL;
  if (!doc->page || (doc->page_used && doc->y - h < DOC_BOTTOM - 1e-6)) doc_new_page(doc);
  return doc_ok(doc) ? doc->page : NULL;
}

void qa_doc_new_page(qa_doc *doc) {
  if (doc && doc->page && doc->page_used) doc->page = NULL;
}

void qa_doc_space(qa_doc *doc, double pt) {
  if (doc && doc->page && doc->page_used) doc->y -= pt;
}

void doc_fill_rect(HPDF_Page page, double x, double y, double w, double h,
                   const double rgb[3]) {
  HPDF_Page_SetRGBFill(page, (HPDF_REAL)rgb[0], (HPDF_REAL)rgb[1], (HPDF_REAL)rgb[2]);
  HPDF_Page_Rectangle(page, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
  HPDF_Page_Fill(page);
}

void doc_hline(HPDF_Page page, double x0, double x1, double y, double width,
               const double rgb[3]) {
  HPDF_Page_SetLineWidth(page, (HPDF_REAL)width);
  HPDF_Page_SetRGBStroke(page, (HPDF_REAL)rgb[0], (HPDF_REAL)rgb[1], (HPDF_REAL)rgb[2]);
  HPDF_Page_MoveTo(page, (HPDF_REAL)x0, (HPDF_REAL)y);
  HPDF_Page_LineTo(page, (HPDF_REAL)x1, (HPDF_REAL)y);
  HPDF_Page_Stroke(page);
}

/* ---- title page ---- */

static void title_block(qa_doc *doc, const char *text, int font, double size,
                        double lead, const double rgb[3], double gap_after) {
  if (!text || !*text) return;
  doc_flow(doc, NULL, NULL, doc->font[font], text, size, lead, DOC_MARGIN_X,
           DOC_TEXT_W, rgb);
  doc->y -= gap_after;
}

void qa_doc_title_page(qa_doc *doc, const char *title, const char *subtitle,
                       const char *author, const char *date_text,
                       const char *const *extra_lines) {
  if (!doc_ok(doc)) return;
  if (!doc->page || doc->page_used) doc_new_page(doc);
  if (!doc->page) return;
  HPDF_Page page = doc->page;
  doc->has_title_page = doc->n_pages == 1;
  doc->page_used = 1;
  doc_fill_rect(page, 0, DOC_PAGE_H - 14.0, DOC_PAGE_W, 14.0, DOC_ACCENT);
  doc->y = DOC_PAGE_H - 230.0;
  title_block(doc, title, DOC_BOLD, 26.0, 32.0, DOC_ACCENT, 8.0);
  title_block(doc, subtitle, DOC_REGULAR, 14.0, 19.0, DOC_GREY, 14.0);
  doc_hline(page, DOC_MARGIN_X, DOC_MARGIN_X + 90.0, doc->y, 1.6, DOC_ACCENT);
  doc->y -= 22.0;
  title_block(doc, author, DOC_REGULAR, 11.5, 16.0, DOC_INK, 2.0);
  title_block(doc, date_text, DOC_REGULAR, 10.0, 14.0, DOC_GREY, 0.0);
  if (extra_lines && extra_lines[0]) {
    /* Small print sits at the foot of the page, under a hairline. */
    doc_wrap wr = {0};
    double h = 0.0;
    for (size_t i = 0; extra_lines[i]; i++) {
      if (doc_wrap_text(&wr, NULL, NULL, doc->font[DOC_REGULAR], extra_lines[i],
                        DOC_NOTE_SIZE, DOC_TEXT_W)) { doc->out_of_memory = 1; break; }
      h += (double)(wr.n_lines ? wr.n_lines : 1) * DOC_NOTE_LEAD;
    }
    doc_wrap_free(&wr);
    double top = DOC_BOTTOM + h + 2.0;
    if (top > doc->y - 30.0) top = doc->y - 30.0;
    doc_hline(page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, top + 8.0, 0.4, DOC_RULE);
    doc->y = top;
    for (size_t i = 0; extra_lines[i]; i++)
      title_block(doc, extra_lines[i], DOC_REGULAR, DOC_NOTE_SIZE, DOC_NOTE_LEAD,
                  DOC_GREY, 0.0);
  }
  doc->page = NULL;  /* the body starts on a new page */
}

void qa_doc_toc_here(qa_doc *doc) {
  if (!doc_ok(doc) || doc->toc_wanted) return;
  doc->toc_wanted = 1;
  if (doc->page && !doc->page_used) {
    doc->toc_at = doc->n_pages - 1;
  } else {
    doc->toc_at = doc->n_pages;
    doc->page = NULL;
  }
}

/* ---- headings ---- */

/* Draws "label  title" (label in a hanging column, title wrapped) with its
** top at *y on page; lowers *y by its height. */
void doc_draw_heading(qa_doc *doc, HPDF_Page page, double *y, const char *label,
                      const char *title, double size, double lead) {
  HPDF_Font bold = doc->font[DOC_BOLD];
  double indent = label ? doc_text_width(bold, label, strlen(label), size) + 0.9 * size : 0.0;
  doc_wrap wr = {0};
  if (doc_wrap_text(&wr, NULL, NULL, bold, title ? title : "", size,
                    DOC_TEXT_W - indent)) {
    doc->out_of_memory = 1;
  } else {
    for (size_t i = 0; i < wr.n_lines; i++) {
      double base = *y - 0.5 * (lead - size) - 0.8 * size;
      if (i == 0 && label)
        doc_draw_text(page, bold, size, DOC_MARGIN_X, base, DOC_ACCENT, label);
      doc_draw_line(doc, page, &wr, i, DOC_MARGIN_X + indent, base, DOC_ACCENT);
      *y -= lead;
    }
  }
  doc_wrap_free(&wr);
}

static void add_toc_entry(qa_doc *doc, int level, const char *label,
                          const char *title, HPDF_Destination dst) {
  if (doc->n_toc == doc->cap_toc) {
    size_t cap = doc->cap_toc ? 2 * doc->cap_toc : 16;
    doc_toc_entry *t = realloc(doc->toc, cap * sizeof *t);
    if (!t) { doc->out_of_memory = 1; return; }
    doc->toc = t;
    doc->cap_toc = cap;
  }
  doc_toc_entry *e = &doc->toc[doc->n_toc++];
  e->level = level;
  e->label = doc_strdup(doc, label);
  e->title = doc_strdup(doc, title ? title : "");
  e->page_index = doc->n_pages - 1;
  e->dst = dst;
}

/* Bookmark (under parent) and TOC entry for a heading whose top is y_top. */
static HPDF_Outline mark_heading(qa_doc *doc, HPDF_Outline parent, int level,
                                 const char *label, const char *title,
                                 double y_top) {
  HPDF_Destination dst = HPDF_Page_CreateDestination(doc->page);
  if (!dst) return NULL;
  HPDF_Destination_SetFitH(dst, (HPDF_REAL)(y_top + 12.0));
  char name[512];
  snprintf(name, sizeof name, "%s %s", label, title ? title : "");
  HPDF_Outline o = HPDF_CreateOutline(doc->pdf, parent, name,
                                      HPDF_GetEncoder(doc->pdf, "UTF-8"));
  if (!o) return NULL;
  HPDF_Outline_SetOpened(o, HPDF_TRUE);
  HPDF_Outline_SetDestination(o, dst);
  add_toc_entry(doc, level, label, title, dst);
  return o;
}

void qa_doc_section(qa_doc *doc, const char *title) {
  if (!doc_ok(doc)) return;
  if (!doc->page || doc->page_used) doc_new_page(doc);
  if (!doc->page) return;
  char label[32];
  snprintf(label, sizeof label, "%d", ++doc->n_section);
  doc->n_subsection = 0;
  double top = doc->y;
  doc_draw_heading(doc, doc->page, &doc->y, label, title, 16.0, 21.0);
  doc->y -= 3.0;
  doc_hline(doc->page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, doc->y, 0.9, DOC_ACCENT);
  doc->y -= 14.0;
  doc->page_used = 1;
  doc->section_outline = mark_heading(doc, NULL, 0, label, title, top);
}

void qa_doc_subsection(qa_doc *doc, const char *title) {
  if (!doc_ok(doc)) return;
  /* Keep the heading with at least four lines of what follows. */
  if (doc->page && doc->page_used && doc->y - 10.0 - 16.0 - 4 * DOC_BODY_LEAD < DOC_BOTTOM)
    doc->page = NULL;
  if (!doc_need(doc, 16.0)) return;
  if (doc->page_used) doc->y -= 10.0;
  char label[48];
  snprintf(label, sizeof label, "%d.%d", doc->n_section, ++doc->n_subsection);
  double top = doc->y;
  doc_draw_heading(doc, doc->page, &doc->y, label, title, 11.5, 16.0);
  doc->y -= 5.0;
  doc->page_used = 1;
  mark_heading(doc, doc->section_outline, 1, label, title, top);
}

/* ---- saving ---- */

static const char *hpdf_error_text(HPDF_STATUS code) {
  switch (code) {
  case HPDF_FAILD_TO_ALLOC_MEM: return "out of memory";
  case HPDF_FILE_IO_ERROR: return "file I/O error";
  case HPDF_FILE_OPEN_ERROR: return "cannot open file";
  case HPDF_INVALID_PNG_IMAGE: return "invalid PNG image";
  case HPDF_UNSUPPORTED_FUNC: return "unsupported function (PNG support?)";
  case HPDF_INVALID_PARAMETER: return "invalid parameter";
  case HPDF_PAGE_INVALID_FONT: return "invalid font";
  case HPDF_TTF_INVALID_FOMAT: return "invalid TrueType font";
  default: return "error";
  }
}

static void draw_footers(qa_doc *doc) {
  HPDF_Font font = doc->font[DOC_REGULAR];
  const double size = 7.5, right = DOC_PAGE_W - DOC_MARGIN_X;
  for (size_t i = doc->has_title_page ? 1 : 0; i < doc->n_pages; i++) {
    HPDF_Page page = doc->pages[i];
    char num[64];
    snprintf(num, sizeof num, "Page %zu of %zu", i + 1, doc->n_pages);
    double w = doc_text_width(font, num, strlen(num), size);
    doc_hline(page, DOC_MARGIN_X, right, DOC_FOOTER_Y + 10.0, 0.4, DOC_RULE);
    doc_draw_text(page, font, size, right - w, DOC_FOOTER_Y, DOC_GREY, num);
    if (doc->footer_title) {
      doc_wrap wr = {0};
      if (doc_wrap_text(&wr, NULL, NULL, font, doc->footer_title, size,
                        DOC_TEXT_W - w - 24.0) == 0 && wr.n_lines)
        doc_draw_line(doc, page, &wr, 0, DOC_MARGIN_X, DOC_FOOTER_Y, DOC_GREY);
      doc_wrap_free(&wr);
    }
  }
}

int qa_doc_save(qa_doc *doc, const char *path, qa_error *err) {
  if (!doc_ok(doc)) goto failed;
  if (!doc->finalized) {
    doc->finalized = 1;
    if (doc->toc_wanted) doc_toc_insert(doc);
    if (doc_ok(doc)) draw_footers(doc);
    if (!doc_ok(doc)) goto failed;
  }
  char tmp[4200];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "path too long");
  if (HPDF_SaveToFile(doc->pdf, tmp) != HPDF_OK || doc->hpdf_error) {
    remove(tmp);
    if (doc->hpdf_error == HPDF_FILE_OPEN_ERROR || doc->hpdf_error == HPDF_FILE_IO_ERROR) {
      /* The document itself is intact: allow a save elsewhere. */
      HPDF_ResetError(doc->pdf);
      doc->hpdf_error = doc->hpdf_detail = 0;
      return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot write the PDF");
    }
    goto failed;
  }
  if (rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot write the PDF: %s", strerror(e));
  }
  return 0;
failed:
  if (doc && doc->out_of_memory)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory while building the PDF");
  return qa_error_set(err, QA_EXIT_IO, path, NULL,
                      "libharu %s (code 0x%04X, detail %u) while building the PDF",
                      doc ? hpdf_error_text(doc->hpdf_error) : "error",
                      doc ? (unsigned)doc->hpdf_error : 0u,
                      doc ? (unsigned)doc->hpdf_detail : 0u);
}

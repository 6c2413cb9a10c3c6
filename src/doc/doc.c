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
** Headings wait in doc->pending until the block that follows asks for
** room (doc_need), and are drawn with it, so a heading never ends a page.
**
** This module must never know what the document is about: no statistics,
** no results, no wording beyond "Table", "Figure", "Contents" and "Page".
*/
#include "doc/doc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/infile.h"
#include "util/outfile.h"
#include "util/text.h"

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

char *doc_strdup_max(qa_doc *doc, const char *s, size_t max_bytes) {
  static const char ELLIPSIS[] = "\xE2\x80\xA6";   /* U+2026 */
  if (!s) return NULL;
  size_t n = strlen(s);
  if (n <= max_bytes) return doc_strdup(doc, s);
  while (max_bytes > 0 && ((unsigned char)s[max_bytes] & 0xC0) == 0x80) max_bytes--;
  char *c = malloc(max_bytes + sizeof ELLIPSIS);
  if (!c) { doc->out_of_memory = 1; return NULL; }
  memcpy(c, s, max_bytes);
  memcpy(c + max_bytes, ELLIPSIS, sizeof ELLIPSIS);
  return c;
}

void doc_utf8_trim(char *buf) {
  size_t n = strlen(buf);
  buf[qa_utf8_invalid_at(buf, n)] = '\0';
}

/* libharu 2.3.0 gives a UTF-8 TrueType font (Type0, /Encoding /Identity-H)
** a /ToUnicode stream that is a copy of its encoding CMap: "1 begincidrange
** <0000> <FFFF> 0" and a notdefrange.  A ToUnicode CMap may only hold
** bfchar/bfrange mappings (PDF 1.7 sec. 9.10.3), so readers reject it
** (poppler: "Invalid 'begincidrange' operator in ToUnicode CMap") and fall
** back to guessing.  With this encoder a character code is the UTF-16 code
** unit of the character and equals its CID, so the right ToUnicode is the
** identity: we rewrite the stream's contents in place (same object, no
** orphan) with bfranges of at most 100 entries per block (the limit of
** PDF 1.7 sec. 9.7.5.2), one range per high byte because a bfrange may not
** cross a high-byte boundary, skipping the surrogate block D800-DFFF.
** docs/pdf.md tells the story. */
static void fix_to_unicode(HPDF_Font font) {
  HPDF_Dict cmap = HPDF_Dict_GetItem(font, "ToUnicode", HPDF_OCLASS_DICT);
  if (!cmap || !cmap->stream) return;
  HPDF_MemStream_FreeData(cmap->stream);
  HPDF_Stream s = cmap->stream;
  HPDF_Stream_WriteStr(s,
    "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
    "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
    "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
    "1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n");
  unsigned hi[256], n = 0;
  for (unsigned h = 0; h < 256; h++)
    if (h < 0xD8 || h > 0xDF) hi[n++] = h;
  for (unsigned i = 0; i < n; i += 100) {
    unsigned k = n - i < 100 ? n - i : 100;
    char line[64];
    snprintf(line, sizeof line, "%u beginbfrange\n", k);
    HPDF_Stream_WriteStr(s, line);
    for (unsigned j = i; j < i + k; j++) {
      snprintf(line, sizeof line, "<%02X00> <%02XFF> <%02X00>\n", hi[j], hi[j], hi[j]);
      HPDF_Stream_WriteStr(s, line);
    }
    HPDF_Stream_WriteStr(s, "endbfrange\n");
  }
  HPDF_Stream_WriteStr(s, "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
}

static int load_fonts(qa_doc *doc, const char *dir, qa_error *err) {
  for (int i = 0; i < DOC_N_FONTS; i++) {
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", dir, FONT_FILES[i]);
    if (n < 0 || (size_t)n >= sizeof path)
      return qa_error_set(err, QA_EXIT_IO, dir, NULL, "font directory path too long");
    /* Checked first without blocking: libharu would open a FIFO and wait. */
    FILE *f = NULL;
    mode_t mode = 0;
    int opened = qa_infile_open(path, &f, &mode);
    if (opened > 0)
      return qa_error_set(err, QA_EXIT_IO, path, NULL,
                          "not a regular file (%s); expected a TrueType font (fonts_dir "
                          "must hold the DejaVu fonts)", qa_infile_kind(mode));
    if (opened < 0)
      return qa_error_set(err, QA_EXIT_IO, path, NULL,
                          "cannot read font file: %s (fonts_dir must hold "
                          "the DejaVu fonts)", strerror(errno));
    fclose(f);
    const char *name = HPDF_LoadTTFontFromFile(doc->pdf, path, HPDF_TRUE);
    doc->font[i] = name ? HPDF_GetFont(doc->pdf, name, "UTF-8") : NULL;
    if (doc->font[i] && !doc->hpdf_error) fix_to_unicode(doc->font[i]);
    if (!doc->font[i] || doc->hpdf_error)
      return qa_error_set(err, QA_EXIT_IO, path, NULL,
                          "libharu cannot load this TrueType font (error 0x%04X)",
                          (unsigned)doc->hpdf_error);
  }
  return 0;
}

/* Info dictionary; text goes through the UTF-8 encoder, which libharu
** writes as UTF-16BE hex strings (<FEFF...>). */
static void set_info_text(qa_doc *doc, HPDF_InfoType type, const char *text) {
  char *cut = doc_strdup_max(doc, text, QA_DOC_INFO_MAX_BYTES);
  if (cut) HPDF_SetInfoAttr(doc->pdf, type, cut);
  free(cut);
}

/* Each string cut to QA_DOC_INFO_MAX_BYTES: HPDF_SetInfoAttr fails on
** one over 64 KB (HPDF_LIMIT_MAX_STRING_LEN), and a reader's title bar
** shows a line, not a page. */
static void set_info(qa_doc *doc, const qa_doc_opts *opts) {
  set_info_text(doc, HPDF_INFO_TITLE, opts->title);
  set_info_text(doc, HPDF_INFO_AUTHOR, opts->author);
  set_info_text(doc, HPDF_INFO_SUBJECT, opts->subject);
  set_info_text(doc, HPDF_INFO_CREATOR, opts->creator);
  set_info_text(doc, HPDF_INFO_KEYWORDS, opts->keywords);
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
  /* One line each: a 100 KB title would only be measured on every page. */
  doc->header_text = doc_strdup_max(doc, opts->header ? opts->header : opts->title,
                                    QA_DOC_INFO_MAX_BYTES);
  doc->footer_text = doc_strdup_max(doc, opts->footer, QA_DOC_INFO_MAX_BYTES);
  doc->toc_title = doc_strdup(doc, opts->toc_title ? opts->toc_title : "Contents");
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
  for (size_t i = 0; i < doc->n_pending; i++) free(doc->pending[i].title);
  free(doc->header_text);
  free(doc->footer_text);
  free(doc->toc_title);
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

static void flush_headings(qa_doc *doc, double h);

HPDF_Page doc_need(qa_doc *doc, double h) {
  if (!doc_ok(doc)) return NULL;
  if (doc->n_pending) flush_headings(doc, h);
  if (!doc->page || (doc->page_used && doc->y - h < DOC_BOTTOM - 1e-6)) doc_new_page(doc);
  return doc_ok(doc) ? doc->page : NULL;
}

double doc_room(const qa_doc *doc) {
  if (!doc->page) return 0.0;
  return doc->y - DOC_BOTTOM;
}

void qa_doc_new_page(qa_doc *doc) {
  if (doc && !doc->n_pending && doc->page && doc->page_used) doc->page = NULL;
}

void qa_doc_space(qa_doc *doc, double pt) {
  if (doc && !doc->n_pending && doc->page && doc->page_used) doc->y -= pt;
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
  /* A title or subtitle longer than the page flows on to further pages;
  ** what follows it is drawn on the page where it ends. */
  title_block(doc, title, DOC_BOLD, 26.0, 32.0, DOC_ACCENT, 8.0);
  title_block(doc, subtitle, DOC_REGULAR, 14.0, 19.0, DOC_GREY, 14.0);
  if (!doc_ok(doc) || !(page = doc_need(doc, 22.0))) return;
  doc->page_used = 1;
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
    if (top < DOC_BOTTOM + h && doc->y < DOC_TOP) {   /* no room left under the title */
      doc_new_page(doc);
      if (!(page = doc->page)) return;
      doc->page_used = 1;
      top = DOC_BOTTOM + h + 2.0;
    }
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
  if (doc->n_pending) flush_headings(doc, 0.0);
  doc->toc_wanted = 1;
  if (doc->page && !doc->page_used) {
    doc->toc_at = doc->n_pages - 1;
  } else {
    doc->toc_at = doc->n_pages;
    doc->page = NULL;
  }
}

/* ---- headings ---- */

/* Heading sizes: section 16/21 pt with a rule under it, subsection 11.5/16. */
#define SECTION_SIZE 16.0
#define SECTION_LEAD 21.0
#define SECTION_AFTER 17.0     /* rule 3 pt below the text, 14 pt below the rule */
#define SECTION_GAP 24.0       /* above a section that continues a page */
#define SUBSECTION_SIZE 11.5
#define SUBSECTION_LEAD 16.0
#define SUBSECTION_AFTER 5.0
#define SUBSECTION_GAP 10.0
#define KEEP_MIN (3 * DOC_BODY_LEAD)   /* a heading keeps at least this below it */

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

/* Height of a heading as doc_draw_heading draws it (at least one line). */
static double heading_height(qa_doc *doc, const char *label, const char *title,
                             double size, double lead) {
  HPDF_Font bold = doc->font[DOC_BOLD];
  double indent = label ? doc_text_width(bold, label, strlen(label), size) + 0.9 * size : 0.0;
  doc_wrap wr = {0};
  size_t lines = 1;
  if (doc_wrap_text(&wr, NULL, NULL, bold, title ? title : "", size, DOC_TEXT_W - indent))
    doc->out_of_memory = 1;
  else if (wr.n_lines > 1)
    lines = wr.n_lines;
  doc_wrap_free(&wr);
  return (double)lines * lead;
}

static void add_toc_entry(qa_doc *doc, int level, const char *label,
                          const char *title, double y_top, HPDF_Destination dst) {
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
  e->y_top = y_top;
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
  doc_utf8_trim(name);   /* a long heading is cut: whole characters only */
  HPDF_Outline o = HPDF_CreateOutline(doc->pdf, parent, name,
                                      HPDF_GetEncoder(doc->pdf, "UTF-8"));
  if (!o) return NULL;
  HPDF_Outline_SetOpened(o, HPDF_TRUE);
  HPDF_Outline_SetDestination(o, dst);
  add_toc_entry(doc, level, label, title, y_top, dst);
  return o;
}

#define LEAD_IN_AFTER 6.0   /* below a lead-in paragraph, as below any paragraph */

static double pending_height(qa_doc *doc, const doc_pending *p) {
  if (p->level == 0)
    return heading_height(doc, p->label, p->title, SECTION_SIZE, SECTION_LEAD) + SECTION_AFTER;
  if (p->level == 1)
    return heading_height(doc, p->label, p->title, SUBSECTION_SIZE, SUBSECTION_LEAD) +
           SUBSECTION_AFTER;
  doc_wrap wr = {0};
  double h = 0.0;
  if (doc_wrap_text(&wr, NULL, NULL, doc->font[DOC_REGULAR], p->title, DOC_BODY_SIZE, DOC_TEXT_W))
    doc->out_of_memory = 1;
  else
    h = (double)wr.n_lines * DOC_BODY_LEAD + LEAD_IN_AFTER;
  doc_wrap_free(&wr);
  return h;
}

/* Draws one pending item at doc->y on the current page. */
static void draw_pending(qa_doc *doc, const doc_pending *p) {
  if (doc->page_used) doc->y -= p->gap;
  double top = doc->y;
  if (p->level == 0) {
    doc_draw_heading(doc, doc->page, &doc->y, p->label, p->title, SECTION_SIZE, SECTION_LEAD);
    doc->y -= 3.0;
    doc_hline(doc->page, DOC_MARGIN_X, DOC_PAGE_W - DOC_MARGIN_X, doc->y, 0.9, DOC_ACCENT);
    doc->y -= SECTION_AFTER - 3.0;
    doc->page_used = 1;
    doc->section_outline = mark_heading(doc, NULL, 0, p->label, p->title, top);
  } else if (p->level == 1) {
    doc_draw_heading(doc, doc->page, &doc->y, p->label, p->title, SUBSECTION_SIZE,
                     SUBSECTION_LEAD);
    doc->y -= SUBSECTION_AFTER;
    doc->page_used = 1;
    mark_heading(doc, doc->section_outline, 1, p->label, p->title, top);
  } else {
    doc_flow(doc, NULL, NULL, doc->font[DOC_REGULAR], p->title, DOC_BODY_SIZE, DOC_BODY_LEAD,
             DOC_MARGIN_X, DOC_TEXT_W, DOC_INK);
    doc->y -= LEAD_IN_AFTER;
  }
}

/* Draws the pending headings and lead-ins where h points (at least
** KEEP_MIN) of what follows fit below them, on a new page if need be.  When
** they and the start of what follows cannot share even an empty page, each
** heading keeps only KEEP_MIN below it and the paragraphs flow. */
static void flush_headings(qa_doc *doc, double h) {
  doc_pending items[DOC_MAX_PENDING];
  size_t n = doc->n_pending;
  memcpy(items, doc->pending, n * sizeof *items);
  doc->n_pending = 0;   /* doc_need below must not come back here */
  double follow = h > KEEP_MIN ? h : KEEP_MIN, total = follow;
  for (size_t i = 0; i < n; i++)
    total += pending_height(doc, &items[i]) + (i ? items[i].gap : 0.0);
  int whole = total <= DOC_TOP - DOC_BOTTOM;
  for (size_t i = 0; i < n && doc_ok(doc); i++) {
    if (!whole && items[i].level == 2) {   /* a paragraph breaks pages itself */
      draw_pending(doc, &items[i]);
      continue;
    }
    if (!whole || i == 0) {
      double need = whole ? total : pending_height(doc, &items[i]) + KEEP_MIN;
      int fits = doc->page && (!doc->page_used || doc->y - items[i].gap - need >= DOC_BOTTOM);
      if (!fits) doc_new_page(doc);
    }
    if (doc->page) draw_pending(doc, &items[i]);
  }
  for (size_t i = 0; i < n; i++) free(items[i].title);
}

static void push_heading(qa_doc *doc, int level, const char *label, const char *title,
                         double gap) {
  if (doc->n_pending == DOC_MAX_PENDING) flush_headings(doc, 0.0);
  doc_pending *p = &doc->pending[doc->n_pending++];
  p->level = level;
  snprintf(p->label, sizeof p->label, "%s", label);
  p->title = doc_strdup(doc, title ? title : "");
  p->gap = gap;
}

static void section(qa_doc *doc, const char *title, int new_page) {
  if (!doc_ok(doc)) return;
  if (doc->n_pending) flush_headings(doc, 0.0);
  if (new_page && doc->page && doc->page_used) doc->page = NULL;
  char label[32];
  snprintf(label, sizeof label, "%d", ++doc->n_section);
  doc->n_subsection = 0;
  push_heading(doc, 0, label, title, SECTION_GAP);
}

void qa_doc_section(qa_doc *doc, const char *title) { section(doc, title, 1); }

void qa_doc_section_here(qa_doc *doc, const char *title) { section(doc, title, 0); }

void qa_doc_lead_in(qa_doc *doc, const char *text) {
  if (!doc_ok(doc) || !text || !*text) return;
  push_heading(doc, 2, "", text, 0.0);
}

void qa_doc_subsection(qa_doc *doc, const char *title) {
  if (!doc_ok(doc)) return;
  char label[48];
  snprintf(label, sizeof label, "%d.%d", doc->n_section, ++doc->n_subsection);
  push_heading(doc, 1, label, title, SUBSECTION_GAP);
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

int qa_doc_save(qa_doc *doc, const char *path, qa_error *err) {
  if (!doc_ok(doc)) goto failed;
  if (doc->n_pending) flush_headings(doc, 0.0);   /* headings at the very end */
  if (!doc->finalized) {
    doc->finalized = 1;
    if (doc->toc_wanted) doc_toc_insert(doc);
    if (doc_ok(doc)) doc_page_furniture(doc);
    if (!doc_ok(doc)) goto failed;
  }
  char tmp[4200];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "path too long");
  /* libharu writes into its memory stream; the file is written by
  ** qa_write_file, which never follows a symlink planted under the
  ** temporary name and reports the system's reason (a full disk) itself. */
  if (HPDF_SaveToStream(doc->pdf) != HPDF_OK || doc->hpdf_error) goto failed;
  HPDF_UINT32 size = HPDF_GetStreamSize(doc->pdf);
  unsigned char *bytes = size ? malloc(size) : NULL;
  if (!bytes) {
    doc->out_of_memory = 1;
    goto failed;
  }
  HPDF_UINT32 got = 0;
  HPDF_ResetStream(doc->pdf);
  while (got < size) {
    HPDF_UINT32 n = size - got;
    HPDF_STATUS st = HPDF_ReadFromStream(doc->pdf, bytes + got, &n);
    got += n;
    if (st != HPDF_OK || n == 0) break;
  }
  if (doc->hpdf_error) HPDF_ResetError(doc->pdf);   /* end of stream is reported as one */
  doc->hpdf_error = doc->hpdf_detail = 0;
  int rc = got == size ? qa_write_file(tmp, bytes, size, err)
                       : qa_error_set(err, QA_EXIT_IO, path, NULL, "libharu: cannot read back "
                                      "the PDF it wrote (%u of %u bytes)", (unsigned)got,
                                      (unsigned)size);
  free(bytes);
  if (rc) return -1;
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

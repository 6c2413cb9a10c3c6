/*
** Tests of src/doc/doc*.c: a whole document (title page, TOC, sections,
** long text, a 120-row table over several pages, a figure) is saved and
** read back with poppler's pdftotext/pdfinfo (poppler-utils), which are an
** independent PDF reader: page numbers in the TOC are checked against the
** pages where pdftotext finds the headings, the table header against every
** page holding rows, and word boxes (pdftotext -bbox) against the margins.
** Fonts come from ./fonts (the tests run from the repository root).
*/
#include "harness.h"

#include <cairo.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc/doc.h"

#define DOC_TEST_FONTS "fonts"
/* 1700000000 s after the epoch is 2023-11-14 22:13:20 UTC (date -u -d @1700000000). */
#define DOC_TEST_EPOCH 1700000000LL

static char *doc_test_read(const char *path, size_t *len) {
  return qa_test_read_file(path, len);
}

/* Output of a shell command (its stderr discarded), NUL-terminated. */
static char *doc_test_run(const char *cmd) {
  return qa_test_command_output(cmd, NULL);
}

/* pdftotext of one page (page 0 = all); layout=1 keeps the columns. */
static char *doc_test_text(const char *pdf, int page, int layout) {
  char cmd[1024];
  if (page > 0)
    snprintf(cmd, sizeof cmd, "pdftotext %s-f %d -l %d -enc UTF-8 '%s' - 2>/dev/null",
             layout ? "-layout " : "", page, page, pdf);
  else
    snprintf(cmd, sizeof cmd, "pdftotext %s-enc UTF-8 '%s' - 2>/dev/null",
             layout ? "-layout " : "", pdf);
  return doc_test_run(cmd);
}

/* memmem (a GNU extension, not in POSIX): first needle in hay[0..len). */
static const char *doc_test_find(const char *hay, size_t len, const char *needle, size_t k) {
  for (size_t i = 0; k && i + k <= len; i++)
    if (hay[i] == needle[0] && memcmp(hay + i, needle, k) == 0) return hay + i;
  return NULL;
}

/* Occurrences of needle in hay[0..len) (binary-safe: PDF streams hold NULs). */
static size_t doc_test_count(const char *hay, size_t len, const char *needle) {
  size_t n = 0, k = strlen(needle);
  const char *p = hay, *end = hay + len;
  while (p && (p = doc_test_find(p, (size_t)(end - p), needle, k)) != NULL) {
    n++;
    p += k;
  }
  return n;
}

static int doc_test_write_png(const char *path) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 480, 300);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.09, 0.21, 0.40);
  for (int i = 0; i < 8; i++) {
    cairo_rectangle(cr, 30 + 55 * i, 260 - 25 * i, 40, 25 * i + 10);
    cairo_fill(cr);
  }
  cairo_set_source_rgb(cr, 0.72, 0.13, 0.11);
  cairo_set_line_width(cr, 3);
  cairo_move_to(cr, 20, 40);
  cairo_line_to(cr, 460, 40);
  cairo_stroke(cr);
  cairo_status_t st = cairo_surface_write_to_png(s, path);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  return st == CAIRO_STATUS_SUCCESS ? 0 : -1;
}

static const char DOC_TEST_HASH[] =
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static const char DOC_TEST_LOREM[] =
    "The document layer lays words out line by line and breaks pages where the "
    "next line would cross the bottom margin. Every sentence here is plain "
    "filler written so that paragraphs are long enough to wrap over many lines, "
    "and some of them long enough to continue on the following page. ";

static qa_doc_opts doc_test_opts(void) {
  qa_doc_opts o = {0};
  o.title = "Doc layer test \xE2\x80\x93 \xCE\xB4";  /* "– δ" */
  o.author = "qaudit tests";
  o.subject = "layout";
  o.creator = "test_doc.c";
  o.fonts_dir = DOC_TEST_FONTS;
  o.epoch = DOC_TEST_EPOCH;
  return o;
}

static void doc_test_table(qa_doc *doc) {
  qa_doc_col cols[4] = {{"Variant", 2, QA_ALIGN_LEFT}, {"Cosine", 1, QA_ALIGN_RIGHT},
                        {"Verdict", 1, QA_ALIGN_CENTER}, {"Digest", 3, QA_ALIGN_LEFT}};
  qa_doc_table *t = qa_doc_table_begin(doc, "Per-row values of a long table", 4, cols);
  for (int r = 1; r <= 120; r++) {
    char name[32], cos[32];
    snprintf(name, sizeof name, "row %03d", r);
    snprintf(cos, sizeof cos, "0.%04d", 9999 - r);
    const char *cells[4] = {name, cos, r % 7 ? "pass" : "fail", r % 10 ? NULL : "ab12cd34"};
    qa_doc_cell_style st[4] = {QA_CELL_NORMAL, QA_CELL_NORMAL,
                               r % 7 ? QA_CELL_GOOD : QA_CELL_BAD, QA_CELL_MONO};
    qa_doc_table_row_styled(t, cells, st, NULL);
  }
  qa_doc_table_end(t);
}

static void doc_test_heatmap(qa_doc *doc) {
  qa_doc_col cols[3] = {{"Class", 2, QA_ALIGN_LEFT}, {"q8", 1, QA_ALIGN_CENTER},
                        {"q4", 1, QA_ALIGN_CENTER}};
  qa_doc_table *t = qa_doc_table_begin(doc, "Heat map cells", 3, cols);
  for (int r = 0; r < 4; r++) {
    const char *cells[3] = {r % 2 ? "animals" : "vehicles", "0.99", "0.81"};
    double fill[9] = {-1, -1, -1, 0.85, 0.93, 0.87, 0.15 + 0.2 * r, 0.1, 0.1};
    qa_doc_table_row_styled(t, cells, NULL, fill);
  }
  qa_doc_table_end(t);
}

/* Builds the test document; returns it, or NULL after a failed check. */
static qa_doc *doc_test_build(const char *png) {
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err) != 0) {
    qa_test_fail(__FILE__, __LINE__, "qa_doc_new: %s", err.msg);
    return NULL;
  }
  const char *extra[] = {"Input SHA-256: 9f86d081884c7d65", "Generated by the test suite", NULL};
  qa_doc_title_page(doc, o.title, "A subtitle", "qaudit tests", "14 November 2023", extra);
  qa_doc_toc_here(doc);
  qa_doc_section(doc, "Introduction");
  qa_doc_paragraph(doc, "A short first section that fits on one page.");
  qa_doc_subsection(doc, "Scope");
  qa_doc_paragraph(doc, "Line one.\nLine two after a forced break.");
  qa_doc_section(doc, "Methods");
  char *lorem = malloc(8 * sizeof DOC_TEST_LOREM);
  lorem[0] = '\0';
  for (int i = 0; i < 7; i++) strcat(lorem, DOC_TEST_LOREM);
  for (int i = 0; i < 4; i++) qa_doc_paragraph(doc, lorem);
  free(lorem);
  qa_doc_subsection(doc, "Symbols");
  qa_doc_paragraph(doc, "Symbols: \xC2\xB1 \xE2\x89\xA5 \xE2\x80\x93 \xC3\x97 \xCF\x87\xC2\xB2 "
                        "\xCE\xB4 p\xCC\x82 (plus-minus, at least, en dash, times, "
                        "chi squared, delta, p hat).");
  const char *items[] = {"First bullet item.", "A second bullet whose text is long enough "
                         "to wrap onto a second line under the first one, indented.", "Third."};
  qa_doc_bullets(doc, items, 3);
  qa_doc_note(doc, "A note: smaller grey text for captions and caveats.");
  qa_doc_subsection(doc, "Data");
  qa_doc_paragraph(doc, DOC_TEST_HASH);
  doc_test_table(doc);
  qa_doc_section(doc, "Results");
  qa_doc_subsection(doc, "Figures");
  qa_error err2 = {0};
  if (qa_doc_figure_png(doc, png, 0.7, "A bar chart drawn with cairo", &err2) != 0)
    qa_test_fail(__FILE__, __LINE__, "figure: %s", err2.msg);
  qa_doc_subsection(doc, "Heat map");
  doc_test_heatmap(doc);
  return doc;
}

static char *doc_test_png(void) {
  static char path[512];
  snprintf(path, sizeof path, "%s/doc_fig.png", qa_test_tmpdir());
  if (doc_test_write_png(path)) return NULL;
  return path;
}

/* The document of doc_test_build saved once, shared by the tests below. */
static const char *doc_test_saved(size_t *n_pages) {
  static char path[512];
  static size_t pages;
  static int state;  /* 0 not tried, 1 ok, -1 failed */
  if (!state) {
    state = -1;
    const char *png = doc_test_png();
    qa_doc *doc = png ? doc_test_build(png) : NULL;
    qa_error err = {0};
    snprintf(path, sizeof path, "%s/doc_a.pdf", qa_test_tmpdir());
    if (doc && qa_doc_save(doc, path, &err) == 0) {
      state = 1;
      pages = qa_doc_page_count(doc);
    } else if (doc) {
      qa_test_fail(__FILE__, __LINE__, "save: %s", err.msg);
    }
    qa_doc_free(doc);
  }
  if (n_pages) *n_pages = pages;
  return state == 1 ? path : NULL;
}

QA_TEST(doc_saves_pdf_with_metadata) {
  size_t n = 0;
  const char *pdf = doc_test_saved(&n);
  if (!pdf) { CHECK(pdf != NULL); return; }
  size_t len = 0;
  char *bytes = doc_test_read(pdf, &len);
  if (!bytes) { CHECK(bytes != NULL); return; }
  CHECK(len > 5 && memcmp(bytes, "%PDF-", 5) == 0);
  /* Four fonts used (regular, bold, oblique note, mono cell), each embedded
  ** as TrueType (/FontFile2, PDF 1.7 sec. 9.9). */
  CHECK_INT(doc_test_count(bytes, len, "/FontFile2"), 4);
  /* libharu writes Info text through the UTF-8 encoder as UTF-16BE hex with
  ** a BOM; code points by hand: "Doc layer test – δ" (U+2013, U+03B4). */
  CHECK_INT(doc_test_count(bytes, len, "/Title <FEFF" "0044" "006F" "0063" "0020" "006C" "0061" "0079"
                        "0065" "0072" "0020" "0074" "0065" "0073" "0074" "0020" "2013"
                        "0020" "03B4" ">"), 1);
  CHECK_INT(doc_test_count(bytes, len, "/Author <FEFF" "0071" "0061" "0075" "0064" "0069" "0074" "0020"
                        "0074" "0065" "0073" "0074" "0073" ">"), 1);
  /* Bookmarks: one outline item per heading, titled "1 Introduction" etc. */
  CHECK_INT(doc_test_count(bytes, len, "/Title <FEFF" "0031" "0020" "0049" "006E" "0074" "0072"
                                       "006F" "0064" "0075" "0063" "0074" "0069" "006F" "006E" ">"), 1);
  CHECK_INT(doc_test_count(bytes, len, "/Title <FEFF"), 1 + 8);
  CHECK_INT(doc_test_count(bytes, len, "/PageMode /UseOutlines"), 1);
  /* One link annotation per TOC entry. */
  CHECK_INT(doc_test_count(bytes, len, "/Subtype /Link"), 8);
  CHECK_INT(doc_test_count(bytes, len, "/CreationDate (D:20231114221320Z00'00')"), 1);
  CHECK_INT(doc_test_count(bytes, len, "/ModDate (D:20231114221320Z00'00')"), 1);
  /* No file identifier (trailer /ID, PDF 1.7 sec. 14.4): nothing random. */
  const char *trailer = NULL;
  for (const char *p = bytes; (p = doc_test_find(p, len - (size_t)(p - bytes), "trailer", 7)) != NULL; p += 7)
    trailer = p;
  CHECK(trailer != NULL);
  CHECK(trailer && !doc_test_find(trailer, len - (size_t)(trailer - bytes), "/ID", 3));
  free(bytes);
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", pdf);
  char *info = doc_test_run(cmd);
  CHECK_CONTAINS(info, "Title:           Doc layer test \xE2\x80\x93 \xCE\xB4");
  char want[64];
  snprintf(want, sizeof want, "Pages:           %zu\n", n);
  CHECK_CONTAINS(info, want);
  free(info);
  char *all = doc_test_text(pdf, 0, 0);
  CHECK_INT(doc_test_count(all, all ? strlen(all) : 0, "\f"), n);  /* one form feed per page */
  free(all);
  /* title 1 + TOC 1 + Introduction 1 + Methods (4 long paragraphs and a
  ** 120-row table at 16 pt a row, about 3 pages) + Results: at least 7. */
  CHECK(n >= 7);
}

QA_TEST(doc_saves_are_byte_identical) {
  const char *a = doc_test_saved(NULL);
  const char *png = doc_test_png();
  if (!a || !png) { CHECK(a && png); return; }
  qa_doc *doc = doc_test_build(png);
  if (!doc) return;
  char b[512], c[512];
  snprintf(b, sizeof b, "%s/doc_b.pdf", qa_test_tmpdir());
  snprintf(c, sizeof c, "%s/doc_c.pdf", qa_test_tmpdir());
  qa_error err = {0};
  CHECK_INT(qa_doc_save(doc, b, &err), 0);
  CHECK_INT(qa_doc_save(doc, c, &err), 0);  /* saving again: same bytes */
  qa_doc_free(doc);
  size_t la = 0, lb = 0, lc = 0;
  char *ba = doc_test_read(a, &la), *bb = doc_test_read(b, &lb), *bc = doc_test_read(c, &lc);
  CHECK(ba && bb && bc);
  CHECK_INT(lb, la);
  CHECK_INT(lc, la);
  CHECK(ba && bb && la == lb && memcmp(ba, bb, la) == 0);
  CHECK(ba && bc && la == lc && memcmp(ba, bc, la) == 0);
  free(ba);
  free(bb);
  free(bc);
}

/* The page number at the end of the TOC line holding "label ... title". */
static int doc_test_toc_number(const char *toc, const char *label, const char *title) {
  for (const char *line = toc; line && *line;) {
    const char *end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    char buf[512];
    if (n >= sizeof buf) n = sizeof buf - 1;
    memcpy(buf, line, n);
    buf[n] = '\0';
    char *t = strstr(buf, title), *l = strstr(buf, label);
    if (t && l && l < t) {
      char *num = buf + n;
      while (num > t && (num[-1] == ' ' || num[-1] == '\r')) *--num = '\0';
      while (num > t && num[-1] >= '0' && num[-1] <= '9') num--;
      return atoi(num);
    }
    line = end ? end + 1 : NULL;
  }
  return -1;
}

QA_TEST(doc_toc_lists_final_page_numbers) {
  size_t n = 0;
  const char *pdf = doc_test_saved(&n);
  if (!pdf) { CHECK(pdf != NULL); return; }
  char *toc = doc_test_text(pdf, 2, 1);
  CHECK_CONTAINS(toc, "Contents");
  static const char *const entries[][2] = {
      {"1", "Introduction"}, {"1.1", "Scope"}, {"2", "Methods"}, {"2.1", "Symbols"},
      {"2.2", "Data"}, {"3", "Results"}, {"3.1", "Figures"}, {"3.2", "Heat map"}};
  int pages[8];
  for (int i = 0; i < 8; i++) {
    pages[i] = doc_test_toc_number(toc, entries[i][0], entries[i][1]);
    if (pages[i] < 1 || (size_t)pages[i] > n) {
      qa_test_fail(__FILE__, __LINE__, "TOC entry %s %s: page %d", entries[i][0],
                   entries[i][1], pages[i]);
      continue;
    }
    /* The heading is on the page the TOC names (pdftotext joins label and
    ** title with one space). */
    char heading[64];
    snprintf(heading, sizeof heading, "%s %s", entries[i][0], entries[i][1]);
    char *text = doc_test_text(pdf, pages[i], 0);
    CHECK_CONTAINS(text, heading);
    free(text);
  }
  /* By construction: title page 1, one TOC page 2, the short Introduction
  ** with its subsection on page 3, Methods on a new page 4. */
  CHECK_INT(pages[0], 3);
  CHECK_INT(pages[1], 3);
  CHECK_INT(pages[2], 4);
  /* Sections start new pages, so each comes after the previous one's. */
  CHECK(pages[5] > pages[4]);
  free(toc);
}

QA_TEST(doc_table_header_on_every_page) {
  size_t n = 0;
  const char *pdf = doc_test_saved(&n);
  if (!pdf) { CHECK(pdf != NULL); return; }
  int first = 0, last = 0, seen[121] = {0};
  for (int p = 1; p <= (int)n; p++) {
    char *text = doc_test_text(pdf, p, 0);
    int rows = 0;
    for (int r = 1; r <= 120; r++) {
      char name[32];
      snprintf(name, sizeof name, "row %03d\n", r);
      size_t c = doc_test_count(text, text ? strlen(text) : 0, name);
      seen[r] += (int)c;
      rows += c > 0;
    }
    if (rows) {
      if (!first) first = p;
      last = p;
      CHECK_CONTAINS(text, "Table 1: Per-row values of a long table");
      CHECK_CONTAINS(text, "Variant");
      CHECK_CONTAINS(text, "Cosine");
      CHECK_CONTAINS(text, "Digest");
      if (p > first) CHECK_CONTAINS(text, "long table (continued)");
      else CHECK(!strstr(text, "(continued)"));
    }
    free(text);
  }
  for (int r = 1; r <= 120; r++)
    if (seen[r] != 1) qa_test_fail(__FILE__, __LINE__, "row %03d seen %d times", r, seen[r]);
  /* 120 rows of 16 pt (10.4 pt line + 2 x 2.8 pt padding) need 1920 pt, and a
  ** page holds 715.9 pt of content: at least 3 pages. */
  CHECK(last - first + 1 >= 3);
}

QA_TEST(doc_footer_page_numbers) {
  size_t n = 0;
  const char *pdf = doc_test_saved(&n);
  if (!pdf) { CHECK(pdf != NULL); return; }
  char want[64];
  char *p1 = doc_test_text(pdf, 1, 0), *p2 = doc_test_text(pdf, 2, 0),
       *pn = doc_test_text(pdf, (int)n, 0);
  CHECK(p1 && !strstr(p1, "Page 1 of"));  /* no footer on the title page */
  snprintf(want, sizeof want, "Page 2 of %zu", n);
  CHECK_CONTAINS(p2, want);
  CHECK_CONTAINS(p2, "Doc layer test \xE2\x80\x93 \xCE\xB4");  /* title in the header */
  snprintf(want, sizeof want, "Page %zu of %zu", n, n);
  CHECK_CONTAINS(pn, want);
  free(p1);
  free(p2);
  free(pn);
}

QA_TEST(doc_text_renders_symbols_and_long_words) {
  const char *pdf = doc_test_saved(NULL);
  if (!pdf) { CHECK(pdf != NULL); return; }
  char *all = doc_test_text(pdf, 0, 0);
  CHECK_CONTAINS(all, "Symbols: \xC2\xB1 \xE2\x89\xA5 \xE2\x80\x93 \xC3\x97 \xCF\x87\xC2\xB2 "
                      "\xCE\xB4 p\xCC\x82 (plus-minus");
  CHECK_CONTAINS(all, "Line one.\nLine two after a forced break.");
  /* The 192-character hash is broken between characters over several
  ** lines: with the line breaks removed it reads whole. */
  size_t n = all ? strlen(all) : 0, k = 0;
  char *joined = malloc(n + 1);
  for (size_t i = 0; joined && i < n; i++)
    if (all[i] != '\n') joined[k++] = all[i];
  if (joined) joined[k] = '\0';
  CHECK_CONTAINS(joined, DOC_TEST_HASH);
  CHECK(all && !strstr(all, DOC_TEST_HASH));  /* ... and it was broken */
  free(joined);
  free(all);
}

/* Counts word boxes (pdftotext -bbox, points from the top-left corner)
** outside the 56 pt side margins or in the band between the bottom margin
** (841.89 - 66) and the footer rule (841.89 - 48); *words gets the total. */
static size_t doc_test_words_outside(const char *pdf, size_t *words) {
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "pdftotext -bbox '%s' - 2>/dev/null", pdf);
  char *html = doc_test_run(cmd);
  size_t bad = 0;
  *words = 0;
  for (const char *p = html; p && (p = strstr(p, "<word ")) != NULL; p += 6) {
    double x0, y0, x1, y1;
    if (sscanf(p, "<word xMin=\"%lf\" yMin=\"%lf\" xMax=\"%lf\" yMax=\"%lf\"", &x0, &y0, &x1,
               &y1) != 4) { bad++; continue; }
    (*words)++;
    if (x0 < 55.5 || x1 > 595.276 - 55.5 || (y1 > 841.89 - 66.0 + 1.0 && y0 < 841.89 - 48.0)) {
      if (bad++ < 5)
        qa_test_fail(__FILE__, __LINE__, "word box %.1f %.1f %.1f %.1f outside", x0, y0, x1, y1);
    }
  }
  free(html);
  return bad;
}

QA_TEST(doc_text_stays_within_margins) {
  const char *pdf = doc_test_saved(NULL);
  if (!pdf) { CHECK(pdf != NULL); return; }
  size_t words = 0;
  CHECK_INT(doc_test_words_outside(pdf, &words), 0);
  CHECK(words > 2000);
}

/* A TOC longer than a page (70 sections, no title page), a cell taller than
** a page, a figure taller than a page, an empty table, blank lines. */
QA_TEST(doc_edge_cases_stay_on_the_page) {
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
  char png[512], out[512];
  snprintf(png, sizeof png, "%s/doc_tall.png", qa_test_tmpdir());
  snprintf(out, sizeof out, "%s/doc_edge.pdf", qa_test_tmpdir());
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 60, 1200);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgb(cr, 0.5, 0.7, 0.9);
  cairo_paint(cr);
  cairo_destroy(cr);
  CHECK_INT(cairo_surface_write_to_png(s, png), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(s);
  qa_doc_toc_here(doc);
  char title[32], big[6001];
  for (size_t i = 0; i < 6000; i++) big[i] = i % 6 == 5 ? ' ' : 'w';
  big[6000] = '\0';
  for (int k = 1; k <= 70; k++) {
    snprintf(title, sizeof title, "Section %d", k);
    qa_doc_section(doc, title);
    qa_doc_paragraph(doc, "\n\nAfter two blank lines.");
  }
  qa_doc_col cols[2] = {{"Narrow", 1, QA_ALIGN_LEFT}, {"Wide", 4, QA_ALIGN_RIGHT}};
  qa_doc_table *t = qa_doc_table_begin(doc, "Empty", 2, cols);
  qa_doc_table_end(t);
  t = qa_doc_table_begin(doc, "Tall cell", 2, cols);
  /* The tall text goes in the wide column: a narrow column's cell is cut
  ** at six lines with an ellipsis (doc_table.c NARROW_MAX_LINES), a wide
  ** one's only where a page ends. */
  const char *cells[2] = {"short", big};
  qa_doc_table_row(t, cells);
  qa_doc_table_row(t, cells);
  qa_doc_table_end(t);
  CHECK_INT(qa_doc_figure_png(doc, png, 1.0, "Tall", &err), 0);
  CHECK_INT(qa_doc_save(doc, out, &err), 0);
  size_t n = qa_doc_page_count(doc);
  qa_doc_free(doc);
  size_t words = 0;
  CHECK_INT(doc_test_words_outside(out, &words), 0);
  char *toc1 = doc_test_text(out, 1, 1), *toc2 = doc_test_text(out, 2, 1);
  /* "Contents" on page 1 twice (running header and heading), on page 2 once
  ** (running header only): the heading is drawn on the first TOC page. */
  CHECK_INT(doc_test_count(toc1, toc1 ? strlen(toc1) : 0, "Contents"), 2);
  CHECK_INT(doc_test_count(toc2, toc2 ? strlen(toc2) : 0, "Contents"), 1);
  /* Entries are 19 pt (5 pt gap + 14 pt line) in 715.9 pt less the 38 pt
  ** heading: 35 on page 1, 35 on page 2; so sections start on page 3. */
  int p1 = doc_test_toc_number(toc1, "1", "Section 1 "), p70 = doc_test_toc_number(toc2, "70", "Section 70");
  CHECK_INT(p1, 3);
  CHECK_INT(p70, 72);
  char *last = doc_test_text(out, 72, 0);
  CHECK_CONTAINS(last, "70 Section 70");
  free(last);
  free(toc1);
  free(toc2);
  /* Pages: 2 TOC + 70 sections (page 72 also holds the empty table); each
  ** tall row is cut to one full page (73, 74); the figure, scaled down to a
  ** page's height, takes page 75. */
  CHECK_INT(n, 75);
}

QA_TEST(doc_missing_fonts_dir_is_an_error) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/no-fonts-here", qa_test_tmpdir());
  qa_doc_opts o = doc_test_opts();
  o.fonts_dir = dir;
  qa_doc *doc = (qa_doc *)&o;  /* must be reset to NULL */
  qa_error err = {0};
  CHECK_INT(qa_doc_new(&o, &doc, &err), -1);
  CHECK(doc == NULL);
  CHECK_INT(err.code, QA_EXIT_IO);
  char want[600];
  snprintf(want, sizeof want, "%s/DejaVuSans.ttf: cannot read font file", dir);
  CHECK_CONTAINS(err.msg, want);
  qa_doc_free(NULL);  /* safe */
}

QA_TEST(doc_bad_figure_fails_but_document_survives) {
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
  char missing[512], text[512], out[512];
  snprintf(missing, sizeof missing, "%s/absent.png", qa_test_tmpdir());
  snprintf(text, sizeof text, "%s/not_png.png", qa_test_tmpdir());
  snprintf(out, sizeof out, "%s/doc_fig_err.pdf", qa_test_tmpdir());
  FILE *f = fopen(text, "w");
  if (f) { fputs("plain text, not an image\n", f); fclose(f); }
  qa_doc_section(doc, "Only section");
  CHECK_INT(qa_doc_figure_png(doc, missing, 0.5, "gone", &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  CHECK_CONTAINS(err.msg, missing);
  qa_error_clear(&err);
  CHECK_INT(qa_doc_figure_png(doc, text, 0.5, "text", &err), -1);
  CHECK_CONTAINS(err.msg, "not a PNG");
  qa_doc_paragraph(doc, "Still fine.");
  qa_error_clear(&err);
  CHECK_INT(qa_doc_save(doc, out, &err), 0);
  CHECK_INT(qa_doc_page_count(doc), 1);
  qa_doc_free(doc);
  char *all = doc_test_text(out, 0, 0);
  CHECK_CONTAINS(all, "Still fine.");
  CHECK_CONTAINS(all, "Page 1 of 1");  /* no title page: every page has a footer */
  free(all);
}

QA_TEST(doc_save_to_unwritable_path_fails) {
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
  qa_doc_paragraph(doc, "x");
  char out[512];
  snprintf(out, sizeof out, "%s/no/such/dir/doc.pdf", qa_test_tmpdir());
  CHECK_INT(qa_doc_save(doc, out, &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  CHECK_CONTAINS(err.msg, out);
  snprintf(out, sizeof out, "%s/doc_retry.pdf", qa_test_tmpdir());
  qa_error_clear(&err);
  CHECK_INT(qa_doc_save(doc, out, &err), 0);  /* a failed write is not fatal */
  qa_doc_free(doc);
  char *all = doc_test_text(out, 0, 0);
  CHECK_CONTAINS(all, "Page 1 of 1");
  free(all);
}

/* ---- running header, sections that continue a page, keeping together ---- */

/* Page (1-based) whose text holds needle, or 0. */
static int doc_test_page_of(const char *pdf, int n_pages, const char *needle) {
  for (int p = 1; p <= n_pages; p++) {
    char *text = doc_test_text(pdf, p, 0);
    int found = text && strstr(text, needle) != NULL;
    free(text);
    if (found) return p;
  }
  return 0;
}

QA_TEST(doc_running_header_footer_and_flowing_sections) {
  qa_doc_opts o = doc_test_opts();
  o.header = "Running head";
  o.footer = "Footer text";
  o.toc_title = "Table of contents";
  o.keywords = "alpha, beta";
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
  char out[512];
  snprintf(out, sizeof out, "%s/doc_header.pdf", qa_test_tmpdir());
  qa_doc_title_page(doc, "Title", NULL, NULL, NULL, NULL);
  qa_doc_toc_here(doc);
  qa_doc_section(doc, "Alpha");
  qa_doc_paragraph(doc, "Alpha is short.");
  qa_doc_section_here(doc, "Beta");             /* continues page 3 */
  char *lorem = malloc(6 * sizeof DOC_TEST_LOREM);
  if (lorem) {
    lorem[0] = '\0';
    for (int i = 0; i < 5; i++) strcat(lorem, DOC_TEST_LOREM);
    for (int i = 0; i < 6; i++) qa_doc_paragraph(doc, lorem);
  }
  free(lorem);
  qa_doc_section(doc, "Gamma");                 /* a new page */
  qa_doc_paragraph(doc, "Gamma text.");
  CHECK_INT(qa_doc_save(doc, out, &err), 0);
  int n = (int)qa_doc_page_count(doc);
  qa_doc_free(doc);
  char *p1 = doc_test_text(out, 1, 0), *p2 = doc_test_text(out, 2, 0);
  char *p3 = doc_test_text(out, 3, 0);
  CHECK(p1 && !strstr(p1, "Running head") && !strstr(p1, "Footer text"));  /* title page: none */
  /* Page 2, the TOC: header "Running head ... Table of contents", its heading. */
  CHECK(p2 && strncmp(p2, "Running head\n", 13) == 0);
  CHECK_INT(doc_test_count(p2, p2 ? strlen(p2) : 0, "Table of contents"), 2);
  CHECK_CONTAINS(p2, "Footer text");
  /* Page 3: Alpha opens it (the header names it) and Beta follows on it. */
  CHECK(p3 && strncmp(p3, "Running head\n\n1 Alpha\n", 22) == 0);
  CHECK_CONTAINS(p3, "2 Beta\n");
  CHECK_INT(doc_test_page_of(out, n, "2 Beta\nThe document layer"), 3);
  /* Beta's long text goes on to page 4, whose header names Beta; Gamma
  ** starts a new page and names itself. */
  char *p4 = doc_test_text(out, 4, 0);
  CHECK(p4 && strncmp(p4, "Running head\n\n2 Beta\n", 21) == 0);
  int gamma = doc_test_page_of(out, n, "3 Gamma\n\n3 Gamma");
  CHECK(gamma > 4);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", out);
  char *info = doc_test_run(cmd);
  CHECK_CONTAINS(info, "Keywords:        alpha, beta");
  free(info);
  free(p1);
  free(p2);
  free(p3);
  free(p4);
}

/* A subsection heading and its lead-in paragraph move with the table they
** introduce: 51 filler lines leave room for the heading and the lead-in
** but not for the table's caption, header and first rows. */
QA_TEST(doc_heading_and_lead_in_stay_with_their_table) {
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  qa_error err = {0};
  if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
  char out[512], filler[46 * 8 + 1] = "";
  snprintf(out, sizeof out, "%s/doc_keep.pdf", qa_test_tmpdir());
  /* 781.89 - 66 = 715.89 pt of page; 46 lines of 13.6 pt and the 6 pt gap
  ** leave 84.3 pt: the heading (10 + 16 + 5) and a one-line lead-in (13.6
  ** + 6) fit there, the table's caption, header and three rows (about
  ** 90 pt more) do not. */
  for (int i = 1; i <= 46; i++) {
    char line[16];
    snprintf(line, sizeof line, "F%02d%s", i, i < 46 ? "\n" : "");
    strcat(filler, line);
  }
  qa_doc_paragraph(doc, filler);
  qa_doc_subsection(doc, "Kept heading");
  qa_doc_lead_in(doc, "The lead-in sentence.");
  qa_doc_col cols[2] = {{"Key", 1, QA_ALIGN_LEFT}, {"Value", 1, QA_ALIGN_RIGHT}};
  qa_doc_table *t = qa_doc_table_begin(doc, "Kept table", 2, cols);
  for (int r = 0; r < 5; r++) {
    const char *cells[2] = {"k", "v"};
    qa_doc_table_row(t, cells);
  }
  qa_doc_table_end(t);
  CHECK_INT(qa_doc_save(doc, out, &err), 0);
  int n = (int)qa_doc_page_count(doc);
  qa_doc_free(doc);
  CHECK_INT(n, 2);
  CHECK_INT(doc_test_page_of(out, n, "F46"), 1);
  CHECK_INT(doc_test_page_of(out, n, "0.1 Kept heading"), 2);
  CHECK_INT(doc_test_page_of(out, n, "The lead-in sentence."), 2);
  CHECK_INT(doc_test_page_of(out, n, "Table 1: Kept table"), 2);
}

/* A paragraph of forced lines L01..Lnn after `filler` lines: which page
** each of its lines lands on. */
static void doc_test_block_after(int filler, int lines, int *page_of_line, int *n_pages) {
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  qa_error err = {0};
  char out[512], text[64 * 8] = "";
  if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
  snprintf(out, sizeof out, "%s/doc_widow_%d_%d.pdf", qa_test_tmpdir(), filler, lines);
  for (int i = 1; i <= filler; i++) strcat(text, i < filler ? "F\n" : "F");
  qa_doc_paragraph(doc, text);
  text[0] = '\0';
  for (int i = 1; i <= lines; i++) {
    char line[16];
    snprintf(line, sizeof line, "L%02d%s", i, i < lines ? "\n" : "");
    strcat(text, line);
  }
  qa_doc_paragraph(doc, text);
  CHECK_INT(qa_doc_save(doc, out, &err), 0);
  *n_pages = (int)qa_doc_page_count(doc);
  qa_doc_free(doc);
  for (int i = 1; i <= lines; i++) {
    char needle[16];
    snprintf(needle, sizeof needle, "L%02d\n", i);
    page_of_line[i] = doc_test_page_of(out, *n_pages, needle);
  }
}

QA_TEST(doc_paragraphs_have_no_widows_or_orphans) {
  int page[64] = {0}, n = 0;
  /* A page holds floor(715.89 / 13.6) = 52 lines.  After a 51-line filler
  ** (and its 6 pt gap) one line would fit: a 10-line block moves whole. */
  doc_test_block_after(51, 10, page, &n);
  CHECK_INT(page[1], 2);
  CHECK_INT(page[10], 2);
  /* After 42 lines, 10 fit: an 11-line block would leave its last line
  ** alone, so 9 stay and 2 go over. */
  doc_test_block_after(42, 11, page, &n);
  CHECK_INT(page[9], 1);
  CHECK_INT(page[10], 2);
  CHECK_INT(page[11], 2);
  /* After 49 lines, 3 fit: a 4-line block is not split, it moves whole. */
  doc_test_block_after(49, 4, page, &n);
  CHECK_INT(page[1], 2);
  CHECK_INT(page[4], 2);
  /* ... and after 48 lines all 4 fit. */
  doc_test_block_after(48, 4, page, &n);
  CHECK_INT(page[4], 1);
}

/* A table that states its row count never leaves its last row alone on a
** page: for every length around a page break, the last page of the table
** holds at least two rows. */
QA_TEST(doc_table_last_row_never_alone) {
  for (int rows = 40; rows <= 48; rows++) {
    qa_doc_opts o = doc_test_opts();
    qa_doc *doc = NULL;
    qa_error err = {0};
    char out[512];
    if (qa_doc_new(&o, &doc, &err)) { CHECK_STR(err.msg, ""); return; }
    snprintf(out, sizeof out, "%s/doc_tab_%d.pdf", qa_test_tmpdir(), rows);
    qa_doc_col cols[2] = {{"Row", 1, QA_ALIGN_LEFT}, {"Value", 1, QA_ALIGN_RIGHT}};
    qa_doc_table *t = qa_doc_table_begin(doc, "Rows", 2, cols);
    qa_doc_table_expect(t, (size_t)rows);
    for (int r = 1; r <= rows; r++) {
      char name[16];
      snprintf(name, sizeof name, "R%02d", r);
      const char *cells[2] = {name, "1"};
      qa_doc_table_row(t, cells);
    }
    qa_doc_table_end(t);
    CHECK_INT(qa_doc_save(doc, out, &err), 0);
    int n = (int)qa_doc_page_count(doc);
    qa_doc_free(doc);
    char last[16], before[16];
    snprintf(last, sizeof last, "R%02d\n", rows);
    snprintf(before, sizeof before, "R%02d\n", rows - 1);
    int p_last = doc_test_page_of(out, n, last), p_before = doc_test_page_of(out, n, before);
    if (p_last != p_before)
      qa_test_fail(__FILE__, __LINE__, "%d rows: row %d alone on page %d", rows, rows, p_last);
  }
}

/* libharu 2.3.0 writes a CID CMap ("begincidrange") as the fonts'
** /ToUnicode; qa_doc replaces it with bfranges (PDF 1.7 sec. 9.10.3), so
** poppler reads it without "Syntax Warning" and qpdf finds no error. */
QA_TEST(doc_to_unicode_cmaps_are_valid) {
  const char *pdf = doc_test_saved(NULL);
  if (!pdf) { CHECK(pdf != NULL); return; }
  char cmd[1400], qdf[600];
  snprintf(qdf, sizeof qdf, "%s/doc_a_qdf.pdf", qa_test_tmpdir());
  snprintf(cmd, sizeof cmd, "qpdf --qdf --object-streams=disable '%s' '%s' >/dev/null 2>&1; "
           "echo $?", pdf, qdf);
  char *rc = doc_test_run(cmd);
  CHECK(rc && (rc[0] == '0' || rc[0] == '3'));   /* 3: warnings only */
  free(rc);
  size_t len = 0;
  char *bytes = doc_test_read(qdf, &len);
  CHECK(bytes != NULL);
  if (bytes) {
    CHECK_INT(doc_test_count(bytes, len, "/ToUnicode"), 4);     /* one per font */
    CHECK_INT(doc_test_count(bytes, len, "begincidrange"), 0);
    /* 248 high bytes (256 less the surrogates D8-DF) in blocks of at most
    ** 100: 100 + 100 + 48 per font. */
    CHECK_INT(doc_test_count(bytes, len, "100 beginbfrange"), 8);
    CHECK_INT(doc_test_count(bytes, len, "48 beginbfrange"), 4);
    CHECK_INT(doc_test_count(bytes, len, "<2000> <20FF> <2000>"), 4);
    CHECK_INT(doc_test_count(bytes, len, "<D800>"), 0);
  }
  free(bytes);
  snprintf(cmd, sizeof cmd, "pdftotext '%s' /dev/null 2>&1; qpdf --check '%s' 2>&1 | tail -n 2",
           pdf, pdf);
  char *out = doc_test_run(cmd);
  CHECK(out && !strstr(out, "Syntax Warning"));
  CHECK_CONTAINS(out, "No syntax or stream encoding errors found");
  free(out);
}

/* The pixels of cairo's PNG at `a` and `b` are equal (same size, every
** RGB byte). */
static int same_pixels(const char *a, const char *b) {
  cairo_surface_t *x = cairo_image_surface_create_from_png(a);
  cairo_surface_t *y = cairo_image_surface_create_from_png(b);
  int ok = cairo_surface_status(x) == CAIRO_STATUS_SUCCESS &&
           cairo_surface_status(y) == CAIRO_STATUS_SUCCESS;
  int w = ok ? cairo_image_surface_get_width(x) : 0, h = ok ? cairo_image_surface_get_height(x) : 0;
  ok = ok && w > 10 && h > 10 && w == cairo_image_surface_get_width(y) &&
       h == cairo_image_surface_get_height(y);
  for (int r = 0; ok && r < h; r++) {
    const uint32_t *px = (const uint32_t *)(cairo_image_surface_get_data(x) +
                                            (size_t)r * cairo_image_surface_get_stride(x));
    const uint32_t *py = (const uint32_t *)(cairo_image_surface_get_data(y) +
                                            (size_t)r * cairo_image_surface_get_stride(y));
    for (int c = 0; ok && c < w; c++) ok = (px[c] & 0xFFFFFF) == (py[c] & 0xFFFFFF);
  }
  cairo_surface_destroy(x);
  cairo_surface_destroy(y);
  return ok;
}

/* A figure's PNG goes into the PDF with its own compressed bytes
** (doc_png.c): poppler's pdfimages gives back exactly its pixels; a PNG
** with alpha takes libharu's decoder and is embedded too. */
QA_TEST(doc_png_passthrough_pixels) {
  size_t pages = 0;
  const char *pdf = doc_test_saved(&pages);
  const char *png = doc_test_png();
  if (!pdf || !png) { CHECK(!"no document"); return; }
  char cmd[2048], out[600];
  snprintf(cmd, sizeof cmd, "pdfimages -png '%s' '%s/pt' 2>/dev/null", pdf, qa_test_tmpdir());
  CHECK_INT(system(cmd), 0);
  snprintf(out, sizeof out, "%s/pt-000.png", qa_test_tmpdir());
  CHECK(same_pixels(png, out));
  /* RGBA: the other path. */
  char rgba[600], pdf2[600];
  snprintf(rgba, sizeof rgba, "%s/doc_rgba.png", qa_test_tmpdir());
  snprintf(pdf2, sizeof pdf2, "%s/doc_rgba.pdf", qa_test_tmpdir());
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 64, 40);
  cairo_t *cr = cairo_create(s);
  cairo_set_source_rgba(cr, 0.2, 0.4, 0.8, 0.5);
  cairo_paint(cr);
  cairo_destroy(cr);
  CHECK_INT(cairo_surface_write_to_png(s, rgba), CAIRO_STATUS_SUCCESS);
  cairo_surface_destroy(s);
  qa_error err = {0};
  qa_doc_opts o = doc_test_opts();
  qa_doc *doc = NULL;
  CHECK_INT(qa_doc_new(&o, &doc, &err), 0);
  if (!doc) return;
  CHECK_INT(qa_doc_figure_png(doc, rgba, 0.5, "RGBA", &err), 0);
  CHECK_INT(qa_doc_save(doc, pdf2, &err), 0);
  qa_doc_free(doc);
  snprintf(cmd, sizeof cmd,
           "pdfimages -list %c%s%c 2>/dev/null | awk %c$3 == \"image\"%c | wc -l", 39, pdf2,
           39, 39, 39);
  FILE *p = popen(cmd, "r");
  int n = 0;
  if (p) {
    if (fscanf(p, "%d", &n) != 1) n = -1;
    pclose(p);
  }
  CHECK_INT(n, 1);
}

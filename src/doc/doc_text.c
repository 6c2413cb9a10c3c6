/*
** qa_doc text: UTF-8 words, measuring, greedy line wrapping, and the text
** blocks built on them (paragraphs, notes, bullet lists).
**
** Widths come from libharu's font metrics (HPDF_Font_TextWidth, in 1/1000
** em); libharu applies no kerning to CID fonts, so a line's width is the
** sum of its words and spaces.  Words are split on ASCII spaces; a word
** wider than the line is broken between characters, never inside a
** character or before a combining mark.  This file must never decide page
** structure (sections, TOC, footers): it only flows text from doc->y down.
*/
#include "doc/doc_internal.h"

#include "util/text.h"

#include <stdlib.h>
#include <string.h>

double doc_text_width(HPDF_Font font, const char *s, size_t len, double size) {
  if (!font || !len) return 0.0;
  HPDF_TextWidth tw = HPDF_Font_TextWidth(font, (const HPDF_BYTE *)s,
                                          (HPDF_UINT)len);
  return (double)tw.width * size / 1000.0;
}

/* Length in bytes of the UTF-8 sequence starting with c (1 for bad bytes). */
static size_t utf8_len(unsigned char c) {
  if (c >= 0xF0 && c < 0xF8) return 4;
  if (c >= 0xE0) return c < 0xF0 ? 3 : 1;
  if (c >= 0xC0) return 2;
  return 1;
}

static unsigned utf8_code(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  if (n == 2) return ((u[0] & 0x1Fu) << 6) | (u[1] & 0x3Fu);
  if (n == 3) return ((u[0] & 0x0Fu) << 12) | ((u[1] & 0x3Fu) << 6) | (u[2] & 0x3Fu);
  if (n == 4)
    return ((u[0] & 0x07u) << 18) | ((u[1] & 0x3Fu) << 12) |
           ((u[2] & 0x3Fu) << 6) | (u[3] & 0x3Fu);
  return u[0];
}

/* Unicode combining diacritical mark blocks: they stay with their base. */
static int is_combining(unsigned cp) {
  return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) ||
         (cp >= 0xFE20 && cp <= 0xFE2F);
}

/* Bytes of the character cluster (base + combining marks) at s[0..n). */
static size_t cluster_len(const char *s, size_t n) {
  size_t k = utf8_len((unsigned char)s[0]);
  if (k > n) return n;
  while (k < n) {
    size_t m = utf8_len((unsigned char)s[k]);
    if (k + m > n || !is_combining(utf8_code(s + k, m))) break;
    k += m;
  }
  return k;
}

static int push_word(doc_wrap *wr, const char *s, size_t len, HPDF_Font font,
                     double width, int brk, int glue) {
  if (wr->n_words == wr->cap_words) {
    size_t cap = wr->cap_words ? 2 * wr->cap_words : 32;
    doc_word *w = realloc(wr->words, cap * sizeof *w);
    if (!w) return -1;
    wr->words = w;
    wr->cap_words = cap;
  }
  wr->words[wr->n_words++] = (doc_word){s, len, font, width, brk, glue};
  return 0;
}

/* Pushes one word, broken into pieces of at most max_width if needed. */
static int add_word(doc_wrap *wr, const char *s, size_t len, HPDF_Font font,
                    double size, double max_width) {
  double w = doc_text_width(font, s, len, size);
  if (w <= max_width) return push_word(wr, s, len, font, w, 0, 0);
  size_t start = 0, pos = 0;
  double piece_w = 0.0;
  int glue = 0;
  while (pos < len) {
    size_t k = cluster_len(s + pos, len - pos);
    double cw = doc_text_width(font, s + pos, k, size);
    if (pos > start && piece_w + cw > max_width) {
      if (push_word(wr, s + start, pos - start, font, piece_w, 0, glue)) return -1;
      glue = 1;
      start = pos;
      piece_w = 0.0;
    }
    piece_w += cw;
    pos += k;
  }
  return push_word(wr, s + start, len - start, font, piece_w, 0, glue);
}

/* Only the well-formed part of text is laid out: a caller's buffer that
** snprintf cut inside a character (a long name in a caption) loses the
** partial character instead of handing libharu bytes it cannot map. */
static int add_words(doc_wrap *wr, HPDF_Font font, const char *text,
                     double size, double max_width) {
  const char *p = text;
  const char *end = text ? text + qa_utf8_invalid_at(text, strlen(text)) : NULL;
  while (p && p < end) {
    if (*p == '\n') {
      if (push_word(wr, p, 0, font, 0.0, 1, 0)) return -1;
      p++;
    } else if (*p == ' ' || *p == '\t' || *p == '\r') {
      p++;
    } else {
      size_t n = strcspn(p, " \t\r\n");
      if (n > (size_t)(end - p)) n = (size_t)(end - p);
      if (add_word(wr, p, n, font, size, max_width)) return -1;
      p += n;
    }
  }
  return 0;
}

static int push_line(doc_wrap *wr, size_t first, size_t count, double width) {
  if (wr->n_lines == wr->cap_lines) {
    size_t cap = wr->cap_lines ? 2 * wr->cap_lines : 16;
    doc_line *l = realloc(wr->lines, cap * sizeof *l);
    if (!l) return -1;
    wr->lines = l;
    wr->cap_lines = cap;
  }
  wr->lines[wr->n_lines++] = (doc_line){first, count, width};
  return 0;
}

/* Greedy fill: a word goes on the line if it fits, else starts the next. */
static int break_lines(doc_wrap *wr, double max_width) {
  size_t first = 0, count = 0;
  double width = 0.0;
  for (size_t i = 0; i < wr->n_words; i++) {
    const doc_word *w = &wr->words[i];
    if (w->brk) {
      if (push_line(wr, first, count, width)) return -1;
      first = i + 1, count = 0, width = 0.0;
      continue;
    }
    double gap = (count && !w->glue)
                     ? doc_text_width(wr->words[i - 1].font, " ", 1, wr->size)
                     : 0.0;
    if (count && width + gap + w->width > max_width + 1e-6) {
      if (push_line(wr, first, count, width)) return -1;
      first = i, count = 1, width = w->width;
    } else {
      count++;
      width += gap + w->width;
    }
  }
  if (count && push_line(wr, first, count, width)) return -1;
  return 0;
}

int doc_wrap_text(doc_wrap *wr, HPDF_Font lead_font, const char *lead,
                  HPDF_Font font, const char *text, double size,
                  double max_width) {
  wr->n_words = 0;
  wr->n_lines = 0;
  wr->size = size;
  if (max_width < 1.0) max_width = 1.0;
  if (lead && add_words(wr, lead_font, lead, size, max_width)) return -1;
  if (add_words(wr, font, text, size, max_width)) return -1;
  return break_lines(wr, max_width);
}

void doc_wrap_free(doc_wrap *wr) {
  free(wr->words);
  free(wr->lines);
  memset(wr, 0, sizeof *wr);
}

void doc_draw_text(HPDF_Page page, HPDF_Font font, double size, double x,
                   double baseline, const double rgb[3], const char *s) {
  if (!page || !s || !*s) return;
  HPDF_Page_BeginText(page);
  HPDF_Page_SetFontAndSize(page, font, (HPDF_REAL)size);
  HPDF_Page_SetRGBFill(page, (HPDF_REAL)rgb[0], (HPDF_REAL)rgb[1],
                       (HPDF_REAL)rgb[2]);
  HPDF_Page_TextOut(page, (HPDF_REAL)x, (HPDF_REAL)baseline, s);
  HPDF_Page_EndText(page);
}

/* Draws the words of a line in runs of one font each (one TextOut a run). */
void doc_draw_line(qa_doc *doc, HPDF_Page page, const doc_wrap *wr, size_t i,
                   double x, double baseline, const double rgb[3]) {
  const doc_line *ln = &wr->lines[i];
  size_t bytes = 1;
  for (size_t j = 0; j < ln->count; j++) bytes += wr->words[ln->first + j].len + 1;
  char *buf = malloc(bytes);
  if (!buf) { doc->out_of_memory = 1; return; }
  size_t j = 0;
  while (j < ln->count) {
    const doc_word *w0 = &wr->words[ln->first + j];
    size_t n = 0;
    double run_w = 0.0;
    for (; j < ln->count && wr->words[ln->first + j].font == w0->font; j++) {
      const doc_word *w = &wr->words[ln->first + j];
      if (n && !w->glue) {
        buf[n++] = ' ';
        run_w += doc_text_width(w->font, " ", 1, wr->size);
      }
      memcpy(buf + n, w->s, w->len);
      n += w->len;
      run_w += w->width;
    }
    buf[n] = '\0';
    doc_draw_text(page, w0->font, wr->size, x, baseline, rgb, buf);
    x += run_w;
    if (j < ln->count && !wr->words[ln->first + j].glue)
      x += doc_text_width(w0->font, " ", 1, wr->size);
  }
  free(buf);
}

/* How many of the `remaining` lines of a block to draw on the current page,
** which has room for `fit` of them; `drawn` lines of the block came before.
** Returns 0 to move the block to the next page.  Rules: the first line is
** never alone at the foot of a page (orphan), the last never alone at the
** head of one (widow), and a block of four lines or fewer is not split. */
static size_t lines_here(size_t drawn, size_t remaining, size_t fit) {
  if (remaining <= fit) return remaining;
  if (drawn == 0 && (remaining <= 4 || fit < 2)) return 0;
  size_t take = fit;
  if (remaining - take == 1) take--;   /* leave two for the next page */
  if (drawn == 0 && take < 2) return 0;
  return take;
}

void doc_flow_lines(qa_doc *doc, const doc_wrap *wr, double lead_pt, double x,
                    const double rgb[3], const char *bullet, double bullet_x) {
  size_t i = 0, n = wr->n_lines;
  while (i < n && doc_ok(doc)) {
    /* Ask for at least the first line (pending headings are drawn here). */
    if (!doc_need(doc, lead_pt)) return;
    size_t fit = (size_t)((doc->y - DOC_BOTTOM + 1e-6) / lead_pt);
    size_t take = lines_here(i, n - i, fit);
    if (take == 0 && !doc->page_used) take = fit ? (fit < n - i ? fit : n - i) : 1;
    if (take == 0) {   /* move the block to the next page */
      doc->page = NULL;
      continue;
    }
    for (size_t k = 0; k < take; k++, i++) {
      double base = doc->y - 0.5 * (lead_pt - wr->size) - 0.8 * wr->size;
      if (i == 0 && bullet)
        doc_draw_text(doc->page, wr->words[0].font, wr->size, bullet_x, base, DOC_ACCENT,
                      bullet);
      doc_draw_line(doc, doc->page, wr, i, x, base, rgb);
      doc->y -= lead_pt;
      doc->page_used = 1;
    }
    if (i < n) doc->page = NULL;
  }
}

void doc_flow(qa_doc *doc, HPDF_Font lead_font, const char *lead,
              HPDF_Font font, const char *text, double size, double lead_pt,
              double x, double width, const double rgb[3]) {
  if (!doc_ok(doc)) return;
  doc_wrap wr = {0};
  if (doc_wrap_text(&wr, lead_font, lead, font, text, size, width))
    doc->out_of_memory = 1;
  else
    doc_flow_lines(doc, &wr, lead_pt, x, rgb, NULL, 0.0);
  doc_wrap_free(&wr);
}

void doc_draw_fitted(qa_doc *doc, HPDF_Page page, HPDF_Font font, double size,
                     double x, double baseline, double max_width,
                     const double rgb[3], const char *s) {
  static const char ELLIPSIS[] = "\xE2\x80\xA6";   /* U+2026 */
  size_t n = strlen(s);
  if (doc_text_width(font, s, n, size) <= max_width + 1e-6) {
    doc_draw_text(page, font, size, x, baseline, rgb, s);
    return;
  }
  double ew = doc_text_width(font, ELLIPSIS, 3, size);
  char *buf = malloc(n + sizeof ELLIPSIS);
  if (!buf) { doc->out_of_memory = 1; return; }
  /* Longest prefix of whole characters (and clusters) that fits. */
  size_t keep = 0, pos = 0;
  while (pos < n) {
    size_t k = cluster_len(s + pos, n - pos);
    if (doc_text_width(font, s, pos + k, size) + ew > max_width) break;
    pos += k;
    keep = pos;
  }
  while (keep > 0 && s[keep - 1] == ' ') keep--;
  memcpy(buf, s, keep);
  memcpy(buf + keep, ELLIPSIS, sizeof ELLIPSIS);
  doc_draw_text(page, font, size, x, baseline, rgb, buf);
  free(buf);
}

void qa_doc_paragraph(qa_doc *doc, const char *text) {
  if (!doc || !text) return;
  doc_flow(doc, NULL, NULL, doc->font[DOC_REGULAR], text, DOC_BODY_SIZE,
           DOC_BODY_LEAD, DOC_MARGIN_X, DOC_TEXT_W, DOC_INK);
  if (!doc->n_pending) doc->y -= 6.0;
}

void qa_doc_note(qa_doc *doc, const char *text) {
  if (!doc || !text) return;
  doc_flow(doc, NULL, NULL, doc->font[DOC_ITALIC], text, DOC_NOTE_SIZE,
           DOC_NOTE_LEAD, DOC_MARGIN_X, DOC_TEXT_W, DOC_GREY);
  if (!doc->n_pending) doc->y -= 5.0;
}

/* Each item is a hanging-indented block; the bullet sits on its first line. */
void qa_doc_bullets(qa_doc *doc, const char *const *items, size_t n) {
  if (!doc || !items || !doc_ok(doc)) return;
  const double indent = 14.0, size = DOC_BODY_SIZE, lead = DOC_BODY_LEAD;
  doc_wrap wr = {0};
  for (size_t k = 0; k < n; k++) {
    if (!items[k]) continue;
    if (doc_wrap_text(&wr, NULL, NULL, doc->font[DOC_REGULAR], items[k], size,
                      DOC_TEXT_W - indent)) {
      doc->out_of_memory = 1;
      break;
    }
    if (!wr.n_lines) continue;
    doc_flow_lines(doc, &wr, lead, DOC_MARGIN_X + indent, DOC_INK,
                   "\xE2\x80\xA2", DOC_MARGIN_X + 3.0);   /* U+2022 bullet */
    doc->y -= 2.0;
  }
  doc_wrap_free(&wr);
  doc->y -= 4.0;
}

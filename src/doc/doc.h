/*
** qa_doc: a generic document layer over libharu (libhpdf 2.3.0).
**
** It knows A4 pages, embedded DejaVu fonts, UTF-8 text that wraps and breaks
** across pages, numbered sections with bookmarks and a table of contents,
** tables that continue across pages with their header repeated, PNG figures,
** and "Page i of n" footers.  It must never know anything about quantization,
** statistics or the results tree: src/report/report.c decides what to say,
** this module only decides where the ink goes.
**
** Output is deterministic: the same options and calls give a byte-identical
** PDF (the dates come from opts->epoch; libharu writes no /ID unless
** encrypting, and nothing else time- or random-dependent).  docs/pdf.md
** records what the output is (fonts, metadata, bookmarks) and is not
** (PDF/A), and the libharu 2.3.0 defect this module works around.
**
** Errors: libharu errors are recorded, not printed; the first one makes
** qa_doc_save fail with QA_EXIT_IO.  Drawing calls are void and become
** no-ops once an error is recorded.
*/
#ifndef QA_DOC_H
#define QA_DOC_H

#include <stddef.h>

#include "util/error.h"

typedef struct qa_doc qa_doc;
typedef struct qa_doc_table qa_doc_table;

/* Info dictionary strings and the running header are cut to this many
** bytes (at a character boundary, with an ellipsis): libharu refuses
** strings over 64 KB, and a header is one line.  The text itself is
** drawn whole (wrapped) where it appears. */
#define QA_DOC_INFO_MAX_BYTES 1000

typedef struct qa_doc_opts {
  const char *title, *author, *subject, *creator;  /* PDF metadata (Info dict) */
  const char *fonts_dir;  /* holds DejaVuSans.ttf, DejaVuSans-Bold.ttf,
                             DejaVuSans-Oblique.ttf, DejaVuSansMono.ttf */
  long long epoch;        /* seconds since 1970 for CreationDate/ModDate, UTC;
                             negative = write no dates */
  const char *keywords;   /* Info /Keywords; NULL = none */
  const char *header;     /* running header (left, every page after the
                             title page); NULL = title */
  const char *footer;     /* left of the footer; NULL = none */
  const char *toc_title;  /* heading of the table of contents; NULL = "Contents" */
} qa_doc_opts;

/* Fails with QA_EXIT_IO naming the font path when a font cannot be read. */
int  qa_doc_new(const qa_doc_opts *opts, qa_doc **out, qa_error *err);
void qa_doc_free(qa_doc *doc);  /* safe on NULL */

/* Title page: big title, subtitle, author, date line, then optional lines of
** small text (NULL-terminated array or NULL).  Any argument may be NULL.
** Content after it starts on a new page; it gets no footer. */
void qa_doc_title_page(qa_doc *doc, const char *title, const char *subtitle,
                       const char *author, const char *date_text,
                       const char *const *extra_lines);

/* Marks where the table of contents goes (normally right after the title
** page).  It is generated at save time with the final page numbers of every
** section and subsection, inserted there, and may take several pages. */
void qa_doc_toc_here(qa_doc *doc);

/* Headings are kept with what follows: a heading is drawn together with the
** first block after it (three lines of text, a table's caption, header and
** first rows, or a whole figure), on a new page if they do not fit.  The
** running header of each page names the section in effect at its top. */
/* Starts a new page; heading "3  Title"; bookmark + TOC entry. */
void qa_doc_section(qa_doc *doc, const char *title);
/* The same heading, but continuing on the current page after a gap when
** the heading and the start of what follows fit there. */
void qa_doc_section_here(qa_doc *doc, const char *title);
/* "3.2  Title" on the current page (new page if too close to the bottom);
** bookmark child + TOC entry. */
void qa_doc_subsection(qa_doc *doc, const char *title);
/* Wrapped body text (UTF-8), left-aligned; '\n' starts a new line.  Text
** blocks break between lines with widow and orphan control: a page never
** ends with the first line of a block nor starts with its last line alone
** (a block of four lines or fewer moves whole). */
void qa_doc_paragraph(qa_doc *doc, const char *text);
/* A paragraph that introduces what follows (a table, a list): kept on the
** same page as the start of the next block, like a heading. */
void qa_doc_lead_in(qa_doc *doc, const char *text);
/* Smaller grey oblique wrapped text (captions, caveats). */
void qa_doc_note(qa_doc *doc, const char *text);
void qa_doc_bullets(qa_doc *doc, const char *const *items, size_t n);
void qa_doc_space(qa_doc *doc, double pt);
/* Forces a page break (no-op on a page that is still empty). */
void qa_doc_new_page(qa_doc *doc);

typedef enum { QA_ALIGN_LEFT, QA_ALIGN_RIGHT, QA_ALIGN_CENTER } qa_doc_align;
/* GOOD green, BAD red (bold), WARN amber, MUTED grey, MONO monospace small. */
typedef enum {
  QA_CELL_NORMAL, QA_CELL_BOLD, QA_CELL_GOOD, QA_CELL_BAD, QA_CELL_WARN,
  QA_CELL_MUTED, QA_CELL_MONO
} qa_doc_cell_style;
typedef struct qa_doc_col {
  const char *header;
  double width;        /* relative weight (<= 0 counts as 1) */
  qa_doc_align align;
} qa_doc_col;

/* Tables: "Table N: caption" above; the header row is repeated at the top of
** every page the table continues on (with "(continued)" after the caption);
** cells wrap within their column; zebra striping; optional per-cell fill.
** Rows are drawn at once, so the caller's strings need not outlive a call.
** Returns NULL on allocation failure (then row/end calls are no-ops). */
qa_doc_table *qa_doc_table_begin(qa_doc *doc, const char *caption,
                                 size_t n_cols, const qa_doc_col *cols);
void qa_doc_table_row(qa_doc_table *t, const char *const *cells);  /* NULL cell = empty */
/* styles: NULL or n_cols values; fill_rgb: NULL or 3*n_cols values in [0,1],
** a negative red component = no fill for that cell.  Text on a dark fill is
** drawn white. */
void qa_doc_table_row_styled(qa_doc_table *t, const char *const *cells,
                             const qa_doc_cell_style *styles,
                             const double *fill_rgb);
void qa_doc_table_end(qa_doc_table *t);  /* frees t; safe on NULL */
/* Before the first row: keep the caption, header and the first n rows on
** one page (default 3; give the row count of a short table to keep it
** whole).  A page never ends with the caption and header alone. */
void qa_doc_table_keep(qa_doc_table *t, size_t n_rows);
/* Before the first row: the table will have n_rows rows.  A table of up to
** eight rows is kept whole on one page, and a page never starts with the
** last row alone. */
void qa_doc_table_expect(qa_doc_table *t, size_t n_rows);
/* Before the first row: a note in small grey type drawn right under the
** table by qa_doc_table_end (a legend, a count); with qa_doc_table_expect
** it is kept on the page of the table's last rows. */
void qa_doc_table_note(qa_doc_table *t, const char *text);
/* Before the first row: tight rows without zebra striping, for listings
** such as a configuration file. */
void qa_doc_table_compact(qa_doc_table *t);

/* Figures: a PNG placed at width_frac of the text width, centred, with
** "Figure N: caption" below; moves to a new page if it does not fit (and is
** scaled down if it is taller than a page).  A PNG that cannot be read fails
** with QA_EXIT_IO and leaves the document usable. */
int  qa_doc_figure_png(qa_doc *doc, const char *png_path, double width_frac,
                       const char *caption, qa_error *err);

/* Inserts the TOC, draws the running header (opts->header left, the current
** section right, over a hairline) and the footer (opts->footer left,
** "Page i of n" right) on every page but the title page, and writes the
** file (through PATH.tmp + rename).
** Returns -1 with QA_EXIT_IO if any libharu error happened or the write
** failed.  Saving again writes the same bytes. */
int  qa_doc_save(qa_doc *doc, const char *path, qa_error *err);

/* Number of pages so far, including the TOC pages once saved. */
size_t qa_doc_page_count(const qa_doc *doc);

#endif

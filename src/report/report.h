/*
** The PDF report (INTERFACE.md section 5), rendered from the results tree
** through the document layer (doc.h) in the order, with the titles and the
** fixed prose of a template (docs/templates.md).  Reads results only: never
** a cache, never a statistic computed here.
*/
#ifndef QA_REPORT_H
#define QA_REPORT_H

#include <cjson/cJSON.h>

#include "input/config.h"
#include "doc/doc_attach.h"
#include "figures/figures.h"
#include "util/error.h"

typedef struct qa_report_opts {
  const char *fonts_dir;
  long long epoch;         /* the document date */
  const qa_figure_list *figures;   /* drawn figures and skip reasons; may be NULL */
} qa_report_opts;

/* The template folder a report uses: the configuration's "template", else
** the shipped default, "templates" beside the fonts folder
** (FONTS_DIR/../templates: the source tree, QAUDIT_DATADIR or the installed
** data directory, found as main.c finds the fonts). */
void qa_report_template_dir(const qa_config *cfg, const qa_report_opts *opts,
                            char *out, size_t cap);

/* Reads and checks the template the report will use, so that a bad one
** fails early (exit 1, "FILE:LINE: what") rather than after the analysis. */
int qa_report_check_template(const qa_config *cfg, const qa_report_opts *opts,
                             qa_error *err);

int qa_report_pdf(const cJSON *results, const qa_config *cfg,
                  const qa_report_opts *opts, const char *path, qa_error *err);
/* The same, with n files embedded in the PDF (doc/doc_attach.h, docs/pdf.md). */
int qa_report_pdf_attached(const cJSON *results, const qa_config *cfg,
                           const qa_report_opts *opts, const qa_doc_attachment *files,
                           size_t n, const char *path, qa_error *err);

#endif

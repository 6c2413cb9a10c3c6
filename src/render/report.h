/*
** The PDF report (INTERFACE.md section 5), rendered from the results tree
** through the document layer (doc.h).  Reads results only: never a cache,
** never a statistic computed here.
*/
#ifndef QA_REPORT_H
#define QA_REPORT_H

#include <cjson/cJSON.h>

#include "input/config.h"
#include "render/figures.h"
#include "util/error.h"

typedef struct qa_report_opts {
  const char *fonts_dir;
  long long epoch;         /* the document date */
  const qa_figure_list *figures;   /* drawn figures and skip reasons; may be NULL */
} qa_report_opts;

int qa_report_pdf(const cJSON *results, const qa_config *cfg,
                  const qa_report_opts *opts, const char *path, qa_error *err);

#endif

/*
** The evidence a report carries for `qaudit verify` (docs/verify.md): the
** exact bytes of report.json, of the configuration, and a small
** qaudit-run.json saying how the report was made (the configuration's path
** as given to `qaudit report`, which the cache paths in report.json are
** relative to, its SHA-256, and the thread count).  main.c's write_outputs hands these to the
** PDF writer as attachments; cli/verify.c reads them back.
*/
#ifndef QA_CLI_VERIFY_H
#define QA_CLI_VERIFY_H

#include <stddef.h>

#include "doc/doc_attach.h"
#include "input/config.h"
#include "util/error.h"

/* The attachments' names in the PDF. */
#define QA_VERIFY_REPORT_NAME "report.json"
#define QA_VERIFY_CONFIG_NAME "config.json"
#define QA_VERIFY_RUN_NAME "qaudit-run.json"

enum { QA_VERIFY_N_ATTACH = 3 };

/* verify's exit codes beside 0 and the usual 1, 2, 3 (docs/verify.md). */
enum {
  QA_VERIFY_INPUT_CHANGED = 4,   /* an input is missing or its SHA-256 differs */
  QA_VERIFY_NUMBER_DIFFERS = 5,  /* a value of report.json differs */
  QA_VERIFY_BYTES_DIFFER = 6     /* every value equal, but report.json or report.pdf bytes differ */
};

typedef struct qa_verify_evidence {
  qa_doc_attachment items[QA_VERIFY_N_ATTACH];
  char *run_json;          /* owned: the text of qaudit-run.json */
} qa_verify_evidence;

/* Fills ev with report.json (json, len bytes, borrowed), the configuration's
** text (borrowed from cfg) and qaudit-run.json (owned), which records the
** worker threads the analyses ran on: their sums are split by thread, so
** the last digits of some numbers depend on the count.  QA_EXIT_IO when
** out of memory. */
int qa_verify_evidence_make(qa_verify_evidence *ev, const char *json, size_t len,
                            const qa_config *cfg, int threads, qa_error *err);
void qa_verify_evidence_free(qa_verify_evidence *ev);   /* safe on a zeroed ev */

#endif

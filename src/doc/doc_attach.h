/*
** Embedded files of a qa_doc PDF (ISO 32000-1 section 7.11.4): each
** attachment is a file specification (/Type /Filespec, /F and /UF the name,
** /Desc a description) in the catalog's /Names /EmbeddedFiles name tree,
** whose /EF /F is a Flate-compressed stream (/Type /EmbeddedFile, /Subtype
** the MIME type, /Params /Size the uncompressed byte count).
**
** libharu 2.3.0's own HPDF_AttachFile reads a file from disk and names the
** attachment with that file's path, so a temporary path would end up in the
** PDF; this module builds the same objects from bytes in memory with
** libharu's object layer instead.  Nothing time-dependent is written (no
** /CreationDate, /ModDate or /CheckSum of a date), so the PDF stays
** byte-reproducible under SOURCE_DATE_EPOCH.  docs/pdf.md, "Attachments".
*/
#ifndef QA_DOC_ATTACH_H
#define QA_DOC_ATTACH_H

#include <stddef.h>

#include "doc/doc.h"
#include "util/error.h"

typedef struct qa_doc_attachment {
  const char *name;    /* file name shown by PDF readers, e.g. "report.json" */
  const char *mime;    /* e.g. "application/json"; NULL = none */
  const char *desc;    /* one line of description; NULL = none */
  const void *data;
  size_t len;
} qa_doc_attachment;

/* Adds one attachment (the bytes are copied).  The name tree lists them in
** the order they are added, and a name tree's keys must be sorted (ISO
** 32000-1 section 7.9.6): add them in byte order of their names.  Fails
** with QA_EXIT_IO when libharu runs out of memory. */
int qa_doc_attach(qa_doc *doc, const qa_doc_attachment *a, qa_error *err);

#endif

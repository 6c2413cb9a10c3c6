/*
** A small reader of a PDF's embedded files, for `qaudit verify`
** (docs/verify.md): the catalog's /Names /EmbeddedFiles name tree, each
** file specification's /EF /F stream, Flate-decoded with zlib.
**
** It reads what qaudit's PDF writer (libharu, doc/doc_attach.c) lays out:
** a classic cross-reference table, uncompressed objects, streams whose
** /Length may be an indirect number, no filter or /FlateDecode.  A PDF it
** cannot follow (a cross-reference stream, an object stream, another
** filter) is an error naming what was found, never a crash: every offset
** and length is checked against the file.  It never writes anything.
*/
#ifndef QA_VERIFY_PDF_H
#define QA_VERIFY_PDF_H

#include <stddef.h>

#include "util/error.h"

typedef struct qa_pdf_file {
  char *name;              /* /UF, else /F, else the name tree key */
  unsigned char *data;     /* decoded bytes, NUL-terminated (not counted in len) */
  size_t len;
} qa_pdf_file;

typedef struct qa_pdf_files {
  qa_pdf_file *items;
  size_t n;
} qa_pdf_files;

/* Refused above these sizes (QA_EXIT_DATA), so that a hostile file cannot
** exhaust memory: a report's PDF is a few MB, its report.json far less. */
#define QA_PDF_MAX_BYTES (2048ull << 20)
#define QA_PDF_MAX_FILE_BYTES (1024ull << 20)

/* Reads every embedded file of the PDF at path.  A file that is not a PDF,
** or one that cannot be followed, fails with QA_EXIT_DATA naming path and
** the object; a read failure with QA_EXIT_IO.  A PDF without embedded
** files gives out->n == 0 (the caller decides what that means). */
int qa_pdf_read_attachments(const char *path, qa_pdf_files *out, qa_error *err);
void qa_pdf_files_free(qa_pdf_files *files);   /* safe on a zeroed struct */
/* The file named name, or NULL. */
const qa_pdf_file *qa_pdf_files_find(const qa_pdf_files *files, const char *name);

#endif

/*
** Embedded files (doc_attach.h), built from libharu's object layer
** (hpdf_objects.h, hpdf_namedict.h: the catalog, its /Names dictionary,
** the /EmbeddedFiles name tree) because HPDF_AttachFile only takes a path.
** Must never write a date or anything else that varies between runs.
*/
#include <hpdf_catalog.h>
#include <hpdf_doc.h>
#include <hpdf_namedict.h>
#include <hpdf_objects.h>

#include "doc/doc_attach.h"
#include "doc/doc_internal.h"

/* The /EmbeddedFiles name tree, created with the /Names dictionary the
** first time. */
static HPDF_NameTree embedded_files(HPDF_Doc pdf) {
  HPDF_NameDict names = HPDF_Catalog_GetNames(pdf->catalog);
  if (!names) {
    names = HPDF_NameDict_New(pdf->mmgr, pdf->xref);
    if (!names || HPDF_Catalog_SetNames(pdf->catalog, names) != HPDF_OK) return NULL;
  }
  HPDF_NameTree tree = HPDF_NameDict_GetNameTree(names, HPDF_NAME_EMBEDDED_FILES);
  if (!tree) {
    tree = HPDF_NameTree_New(pdf->mmgr, pdf->xref);
    if (!tree || HPDF_NameDict_SetNameTree(names, HPDF_NAME_EMBEDDED_FILES, tree) != HPDF_OK)
      return NULL;
  }
  return tree;
}

/* Appends "key spec" to the tree's /Names array.  libharu 2.3.0's
** HPDF_NameTree_Add inserts a key that sorts before an existing one
** without its value (a "(report.json) (config.json) 227 0 R" array that
** readers reject), so the keys are appended in the caller's order. */
static int append_name(HPDF_NameTree tree, HPDF_String key, HPDF_Dict spec) {
  HPDF_Array names = HPDF_Dict_GetItem(tree, "Names", HPDF_OCLASS_ARRAY);
  if (!names || HPDF_Array_Add(names, key) != HPDF_OK) return -1;
  return HPDF_Array_Add(names, spec) == HPDF_OK ? 0 : -1;
}

/* A literal string object (no encoder: the bytes as they are, escaped). */
static int add_string(HPDF_Doc pdf, HPDF_Dict dict, const char *key, const char *value) {
  HPDF_String s = HPDF_String_New(pdf->mmgr, value, NULL);
  return s && HPDF_Dict_Add(dict, key, s) == HPDF_OK ? 0 : -1;
}

/* The stream /Type /EmbeddedFile holding the bytes, Flate-compressed when
** written. */
static HPDF_Dict file_stream(HPDF_Doc pdf, const qa_doc_attachment *a) {
  HPDF_Dict stream = HPDF_DictStream_New(pdf->mmgr, pdf->xref);
  if (!stream) return NULL;
  stream->filter = HPDF_STREAM_FILTER_FLATE_DECODE;
  HPDF_Dict params = HPDF_Dict_New(pdf->mmgr);
  if (!params || HPDF_Dict_AddName(stream, "Type", "EmbeddedFile") != HPDF_OK ||
      (a->mime && HPDF_Dict_AddName(stream, "Subtype", a->mime) != HPDF_OK) ||
      HPDF_Dict_AddNumber(params, "Size", (HPDF_INT32)a->len) != HPDF_OK ||
      HPDF_Dict_Add(stream, "Params", params) != HPDF_OK)
    return NULL;
  /* HPDF_Stream_Write takes a HPDF_UINT count: write in pieces. */
  const HPDF_BYTE *p = a->data;
  for (size_t left = a->len; left;) {
    HPDF_UINT n = left > (1u << 20) ? (1u << 20) : (HPDF_UINT)left;
    if (HPDF_Stream_Write(stream->stream, p, n) != HPDF_OK) return NULL;
    p += n;
    left -= n;
  }
  return stream;
}

int qa_doc_attach(qa_doc *doc, const qa_doc_attachment *a, qa_error *err) {
  if (!doc || !doc_ok(doc))
    return qa_error_set(err, QA_EXIT_IO, a->name, NULL, "cannot attach to a failed document");
  /* /Params /Size is a PDF integer (32 bits in libharu). */
  if (a->len > 0x7fffffffu)
    return qa_error_set(err, QA_EXIT_IO, a->name, NULL,
                        "%zu bytes are too many to attach to the PDF (at most 2^31 - 1)",
                        a->len);
  HPDF_Doc pdf = doc->pdf;
  HPDF_NameTree tree = embedded_files(pdf);
  HPDF_Dict stream = tree ? file_stream(pdf, a) : NULL;
  HPDF_Dict spec = stream ? HPDF_Dict_New(pdf->mmgr) : NULL;
  HPDF_Dict ef = spec ? HPDF_Dict_New(pdf->mmgr) : NULL;
  HPDF_String key = ef ? HPDF_String_New(pdf->mmgr, a->name, NULL) : NULL;
  if (!key || HPDF_Xref_Add(pdf->xref, spec) != HPDF_OK ||
      HPDF_Dict_AddName(spec, "Type", "Filespec") != HPDF_OK ||
      add_string(pdf, spec, "F", a->name) || add_string(pdf, spec, "UF", a->name) ||
      (a->desc && add_string(pdf, spec, "Desc", a->desc)) ||
      HPDF_Dict_Add(ef, "F", stream) != HPDF_OK || HPDF_Dict_Add(spec, "EF", ef) != HPDF_OK ||
      append_name(tree, key, spec)) {
    doc->out_of_memory = 1;
    return qa_error_set(err, QA_EXIT_IO, a->name, NULL,
                        "libharu could not attach the file to the PDF (out of memory)");
  }
  return 0;
}

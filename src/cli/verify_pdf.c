/*
** Embedded files of a PDF (cli/verify_pdf.h): a lexer over the whole file
** in memory, the cross-reference table, and the path catalog -> /Names ->
** /EmbeddedFiles -> name tree -> file specification -> /EF /F stream.
** Object syntax: ISO 32000-1 section 7.3; cross-reference table 7.5.4;
** name trees 7.9.6; embedded file streams 7.11.4.
**
** Values are not built into a tree: a value is a span of the buffer with
** its kind, and dictionaries are searched by scanning their keys.  Must
** never index the buffer without a bounds check, nor follow references
** deeper than MAX_DEPTH.
*/
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <zlib.h>

#include "cli/verify_pdf.h"
#include "util/infile.h"

#define MAX_DEPTH 32

typedef enum { V_NONE, V_NUM, V_REF, V_NAME, V_STRING, V_ARRAY, V_DICT, V_OTHER } vkind;

typedef struct pval {
  vkind kind;
  size_t start, end;       /* the value's bytes (a name without its '/') */
  long long num, gen;      /* V_NUM (integer part), V_REF */
} pval;

typedef struct pdf {
  const char *path;
  const unsigned char *b;
  size_t n;
  size_t *offsets;         /* object number -> byte offset, 0 = unknown */
  size_t n_objects;
  qa_error *err;
} pdf;

static int bad(pdf *p, const char *fmt, const char *what) {
  return qa_error_set(p->err, QA_EXIT_DATA, p->path, NULL, fmt, what);
}

static int is_ws(int c) { return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' '; }
static int is_delim(int c) { return strchr("()<>[]{}/%", c) != NULL && c != 0; }

static size_t skip_ws(const pdf *p, size_t i) {
  while (i < p->n) {
    if (is_ws(p->b[i])) i++;
    else if (p->b[i] == '%') { while (i < p->n && p->b[i] != '\n' && p->b[i] != '\r') i++; }
    else break;
  }
  return i;
}

/* An unsigned integer at i (no sign), or -1. */
static int read_uint(const pdf *p, size_t *i, long long *out) {
  size_t j = *i;
  long long v = 0;
  if (j >= p->n || p->b[j] < '0' || p->b[j] > '9') return -1;
  while (j < p->n && p->b[j] >= '0' && p->b[j] <= '9') {
    if (v > (LLONG_MAX - 9) / 10) return -1;
    v = v * 10 + (p->b[j++] - '0');
  }
  *i = j;
  *out = v;
  return 0;
}

static int parse_value(pdf *p, size_t *i, pval *v, int depth);

/* Items of a [ ... ] or << ... >> up to the closing bracket. */
static int parse_items(pdf *p, size_t *i, const char *close, int depth) {
  size_t cl = strlen(close);
  for (;;) {
    *i = skip_ws(p, *i);
    if (*i + cl <= p->n && memcmp(p->b + *i, close, cl) == 0) { *i += cl; return 0; }
    pval item;
    if (*i >= p->n || parse_value(p, i, &item, depth + 1)) return -1;
  }
}

/* A literal string's end: balanced parentheses, backslash escapes. */
static int skip_literal(const pdf *p, size_t *i) {
  int level = 0;
  for (size_t j = *i; j < p->n; j++) {
    if (p->b[j] == '\\') j++;
    else if (p->b[j] == '(') level++;
    else if (p->b[j] == ')' && --level == 0) { *i = j + 1; return 0; }
  }
  return -1;
}

static int parse_value(pdf *p, size_t *i, pval *v, int depth) {
  if (depth > MAX_DEPTH) return -1;
  size_t j = skip_ws(p, *i);
  memset(v, 0, sizeof *v);
  if (j >= p->n) return -1;
  v->start = j;
  unsigned char c = p->b[j];
  if (c == '<' && j + 1 < p->n && p->b[j + 1] == '<') {
    v->kind = V_DICT;
    j += 2;
    if (parse_items(p, &j, ">>", depth)) return -1;
  } else if (c == '[') {
    v->kind = V_ARRAY;
    j++;
    if (parse_items(p, &j, "]", depth)) return -1;
  } else if (c == '(') {
    v->kind = V_STRING;
    if (skip_literal(p, &j)) return -1;
  } else if (c == '<') {
    v->kind = V_STRING;
    while (j < p->n && p->b[j] != '>') j++;
    if (j++ >= p->n) return -1;
  } else if (c == '/') {
    v->kind = V_NAME;
    v->start = ++j;
    while (j < p->n && !is_ws(p->b[j]) && !is_delim(p->b[j])) j++;
  } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
    v->kind = V_NUM;
    size_t k = j + (c == '-' || c == '+');
    if (read_uint(p, &k, &v->num)) v->num = 0;
    if (c == '-') v->num = -v->num;
    while (k < p->n && ((p->b[k] >= '0' && p->b[k] <= '9') || p->b[k] == '.')) k++;
    j = k;
    /* "N G R": an indirect reference. */
    size_t g = skip_ws(p, j);
    long long gen = 0;
    if (c != '-' && c != '+' && g > j && read_uint(p, &g, &gen) == 0) {
      size_t r = skip_ws(p, g);
      if (r > g && r < p->n && p->b[r] == 'R' && (r + 1 == p->n || is_ws(p->b[r + 1]) ||
                                                   is_delim(p->b[r + 1]))) {
        v->kind = V_REF;
        v->gen = gen;
        j = r + 1;
      }
    }
  } else {
    /* true, false, null and other keywords */
    v->kind = V_OTHER;
    while (j < p->n && !is_ws(p->b[j]) && !is_delim(p->b[j])) j++;
    if (j == v->start) return -1;
  }
  v->end = j;
  *i = j;
  return 0;
}

/* The object "num 0 obj" itself (its value), following p->offsets. */
static int load_object(pdf *p, long long num, pval *v) {
  if (num <= 0 || (size_t)num >= p->n_objects || !p->offsets[num]) return -1;
  size_t i = p->offsets[num];
  long long got = -1, gen = -1;
  if (read_uint(p, &i, &got) || got != num) return -1;
  i = skip_ws(p, i);
  if (read_uint(p, &i, &gen)) return -1;
  i = skip_ws(p, i);
  if (i + 3 > p->n || memcmp(p->b + i, "obj", 3) != 0) return -1;
  i += 3;
  return parse_value(p, &i, v, 0);
}

/* v itself, or the object it refers to (one level, as PDF allows). */
static int resolve(pdf *p, const pval *v, pval *out) {
  if (v->kind != V_REF) { *out = *v; return 0; }
  return load_object(p, v->num, out);
}

static int name_is(const pdf *p, const pval *v, const char *name) {
  size_t n = strlen(name);
  return v->kind == V_NAME && v->end - v->start == n && memcmp(p->b + v->start, name, n) == 0;
}

/* The value of /key in dict, resolved; -1 when absent or unreadable. */
static int dict_get(pdf *p, const pval *dict, const char *key, pval *out) {
  if (dict->kind != V_DICT) return -1;
  size_t i = dict->start + 2;
  for (;;) {
    i = skip_ws(p, i);
    if (i + 2 <= dict->end && p->b[i] == '>' && p->b[i + 1] == '>') return -1;
    pval k, val;
    if (parse_value(p, &i, &k, 1) || k.kind != V_NAME || parse_value(p, &i, &val, 1)) return -1;
    if (name_is(p, &k, key)) return resolve(p, &val, out);
  }
}

/* The i-th item of an array (unresolved), or -1 past its end. */
static int array_item(pdf *p, const pval *arr, size_t index, pval *out) {
  if (arr->kind != V_ARRAY) return -1;
  size_t i = arr->start + 1;
  for (size_t k = 0;; k++) {
    i = skip_ws(p, i);
    if (i >= arr->end || p->b[i] == ']') return -1;
    if (parse_value(p, &i, out, 1)) return -1;
    if (k == index) return 0;
  }
}

/* A literal or hex string's bytes, decoded (7.3.4.2 escapes); malloc'ed. */
static char *string_bytes(const pdf *p, const pval *v) {
  if (v->kind != V_STRING) return NULL;
  size_t cap = v->end - v->start, n = 0;
  char *out = malloc(cap + 1);
  if (!out) return NULL;
  const unsigned char *s = p->b + v->start;
  if (s[0] == '<') {
    int hi = -1;
    for (size_t i = 1; i < cap && s[i] != '>'; i++) {
      int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
      if (d < 0) continue;
      if (hi < 0) hi = d;
      else { out[n++] = (char)(hi * 16 + d); hi = -1; }
    }
    if (hi >= 0) out[n++] = (char)(hi * 16);
  } else {
    for (size_t i = 1; i + 1 < cap; i++) {
      if (s[i] != '\\') { out[n++] = (char)s[i]; continue; }
      unsigned char e = s[++i];
      if (e >= '0' && e <= '7') {
        int o = 0;
        for (int k = 0; k < 3 && i + 1 < cap && s[i] >= '0' && s[i] <= '7'; k++) o = o * 8 + (s[i++] - '0');
        i--;
        out[n++] = (char)o;
      } else if (e == 'n') out[n++] = '\n';
      else if (e == 'r') out[n++] = '\r';
      else if (e == 't') out[n++] = '\t';
      else if (e == 'b') out[n++] = '\b';
      else if (e == 'f') out[n++] = '\f';
      else if (e == '\r' || e == '\n') { if (e == '\r' && i + 1 < cap && s[i + 1] == '\n') i++; }
      else out[n++] = (char)e;
    }
  }
  out[n] = '\0';
  return out;
}

/* The classic cross-reference table at startxref (7.5.4, 7.5.5), and the
** trailer dictionary after it. */
static int read_xref(pdf *p, pval *trailer) {
  size_t tail = p->n > 1024 ? p->n - 1024 : 0, at = SIZE_MAX;
  for (size_t i = tail; i + 9 <= p->n; i++)
    if (memcmp(p->b + i, "startxref", 9) == 0) at = i + 9;
  long long off = 0;
  if (at == SIZE_MAX) return bad(p, "%s", "not a complete PDF: no startxref at its end (truncated?)");
  at = skip_ws(p, at);
  if (read_uint(p, &at, &off) || (size_t)off + 4 > p->n)
    return bad(p, "%s", "startxref does not point inside the file");
  size_t i = (size_t)off;
  if (memcmp(p->b + i, "xref", 4) != 0)
    return bad(p, "%s", "has a cross-reference stream (PDF 1.5+), not the table qaudit writes; "
               "expected a report.pdf written by qaudit report");
  i += 4;
  for (;;) {
    i = skip_ws(p, i);
    if (i + 7 <= p->n && memcmp(p->b + i, "trailer", 7) == 0) break;
    long long first, count;
    if (read_uint(p, &i, &first)) return bad(p, "%s", "unreadable cross-reference table");
    i = skip_ws(p, i);
    if (read_uint(p, &i, &count) || first > 10000000 || count > 10000000)
      return bad(p, "%s", "unreadable cross-reference table");
    size_t need = (size_t)(first + count);
    if (need > p->n_objects) {
      size_t *grown = realloc(p->offsets, need * sizeof *grown);
      if (!grown) return qa_error_set(p->err, QA_EXIT_IO, p->path, NULL, "out of memory");
      memset(grown + p->n_objects, 0, (need - p->n_objects) * sizeof *grown);
      p->offsets = grown;
      p->n_objects = need;
    }
    for (long long k = 0; k < count; k++) {
      long long o, g;
      i = skip_ws(p, i);
      if (read_uint(p, &i, &o)) return bad(p, "%s", "unreadable cross-reference entry");
      i = skip_ws(p, i);
      if (read_uint(p, &i, &g)) return bad(p, "%s", "unreadable cross-reference entry");
      i = skip_ws(p, i);
      if (i >= p->n || (p->b[i] != 'n' && p->b[i] != 'f'))
        return bad(p, "%s", "unreadable cross-reference entry");
      if (p->b[i] == 'n' && (size_t)o < p->n) p->offsets[first + k] = (size_t)o;
      i++;
    }
  }
  i += 7;
  if (parse_value(p, &i, trailer, 0) || trailer->kind != V_DICT)
    return bad(p, "%s", "unreadable trailer dictionary");
  return 0;
}

/* Inflates (or copies) the stream of an embedded file. */
static int stream_bytes(pdf *p, const pval *ref, const char *name, qa_pdf_file *f) {
  pval dict, len_v, filter, first;
  if (ref->kind != V_REF || load_object(p, ref->num, &dict) || dict.kind != V_DICT ||
      dict_get(p, &dict, "Length", &len_v) || len_v.kind != V_NUM || len_v.num < 0)
    return bad(p, "embedded file %s: unreadable stream dictionary", name);
  size_t i = skip_ws(p, dict.end);
  if (i + 6 > p->n || memcmp(p->b + i, "stream", 6) != 0)
    return bad(p, "embedded file %s: no stream after its dictionary", name);
  i += 6;
  if (i < p->n && p->b[i] == '\r') i++;
  if (i < p->n && p->b[i] == '\n') i++;
  size_t len = (size_t)len_v.num;
  if (len > p->n - i) return bad(p, "embedded file %s: stream runs past the end of the file", name);
  const unsigned char *src = p->b + i;
  int flate = 0;
  if (dict_get(p, &dict, "Filter", &filter) == 0) {
    if (filter.kind == V_ARRAY && array_item(p, &filter, 0, &first) == 0) {
      pval second;
      if (array_item(p, &filter, 1, &second) == 0)
        return bad(p, "embedded file %s: more than one filter", name);
      filter = first;
    }
    if (!name_is(p, &filter, "FlateDecode"))
      return bad(p, "embedded file %s: a filter other than /FlateDecode", name);
    flate = 1;
  }
  size_t cap = flate ? (len < 1024 ? 4096 : len * 4) : len;
  if (cap > QA_PDF_MAX_FILE_BYTES) cap = QA_PDF_MAX_FILE_BYTES;
  f->data = malloc(cap + 1);
  if (!f->data) return qa_error_set(p->err, QA_EXIT_IO, p->path, NULL, "out of memory");
  if (!flate) {
    memcpy(f->data, src, len);
    f->len = len;
    f->data[len] = '\0';
    return 0;
  }
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit(&z) != Z_OK) return qa_error_set(p->err, QA_EXIT_IO, p->path, NULL, "zlib failed");
  z.next_in = (unsigned char *)src;
  z.avail_in = (uInt)(len > UINT_MAX ? UINT_MAX : len);
  int zrc = Z_OK;
  size_t n = 0;
  while (zrc == Z_OK) {
    if (n == cap) {
      size_t bigger = cap * 2 > QA_PDF_MAX_FILE_BYTES ? QA_PDF_MAX_FILE_BYTES : cap * 2;
      unsigned char *grown = bigger > cap ? realloc(f->data, bigger + 1) : NULL;
      if (!grown) { inflateEnd(&z); return bad(p, "embedded file %s: larger than 1 GiB decoded", name); }
      f->data = grown;
      cap = bigger;
    }
    z.next_out = f->data + n;
    z.avail_out = (uInt)(cap - n > UINT_MAX ? UINT_MAX : cap - n);
    zrc = inflate(&z, Z_NO_FLUSH);
    n = (size_t)(z.next_out - f->data);
    if (zrc == Z_BUF_ERROR && z.avail_out) break;    /* input ended before the stream did */
    if (zrc == Z_BUF_ERROR) zrc = Z_OK;
  }
  inflateEnd(&z);
  if (zrc != Z_STREAM_END)
    return bad(p, "embedded file %s: corrupt Flate data", name);
  f->len = n;
  f->data[n] = '\0';
  return 0;
}

/* One file specification of the name tree (key is the tree's key). */
static int read_filespec(pdf *p, const pval *key, const pval *spec_ref, qa_pdf_files *out) {
  pval spec, fname, ef, stream_ref;
  char *name = NULL;
  if (resolve(p, spec_ref, &spec) || spec.kind != V_DICT)
    return bad(p, "%s", "an /EmbeddedFiles entry is not a file specification");
  if (dict_get(p, &spec, "UF", &fname) == 0 || dict_get(p, &spec, "F", &fname) == 0)
    name = string_bytes(p, &fname);
  if (!name) name = string_bytes(p, key);
  if (!name) return qa_error_set(p->err, QA_EXIT_IO, p->path, NULL, "out of memory");
  qa_pdf_file *grown = realloc(out->items, (out->n + 1) * sizeof *grown);
  if (!grown) { free(name); return qa_error_set(p->err, QA_EXIT_IO, p->path, NULL, "out of memory"); }
  out->items = grown;
  qa_pdf_file *f = &out->items[out->n++];
  memset(f, 0, sizeof *f);
  f->name = name;
  /* /EF /F unresolved: the stream is found through its reference. */
  if (dict_get(p, &spec, "EF", &ef) || ef.kind != V_DICT)
    return bad(p, "embedded file %s: no /EF dictionary", name);
  size_t i = ef.start + 2;
  for (;;) {
    pval k;
    i = skip_ws(p, i);
    if (i >= ef.end - 2 || parse_value(p, &i, &k, 1) || parse_value(p, &i, &stream_ref, 1))
      return bad(p, "embedded file %s: no /EF /F stream", name);
    if (name_is(p, &k, "F")) break;
  }
  return stream_bytes(p, &stream_ref, name, f);
}

/* A name tree node: /Names [key value ...] and /Kids [node ...]. */
static int read_tree(pdf *p, const pval *node, int depth, qa_pdf_files *out) {
  pval names, kids, item, value;
  if (depth > MAX_DEPTH || node->kind != V_DICT)
    return bad(p, "%s", "unreadable /EmbeddedFiles name tree");
  if (dict_get(p, node, "Names", &names) == 0)
    for (size_t k = 0; array_item(p, &names, 2 * k, &item) == 0; k++) {
      if (array_item(p, &names, 2 * k + 1, &value))
        return bad(p, "%s", "an /EmbeddedFiles name without a value");
      if (read_filespec(p, &item, &value, out)) return -1;
    }
  if (dict_get(p, node, "Kids", &kids) == 0)
    for (size_t k = 0; array_item(p, &kids, k, &item) == 0; k++) {
      pval kid;
      if (resolve(p, &item, &kid) || read_tree(p, &kid, depth + 1, out)) return -1;
    }
  return 0;
}

static int read_all(const char *path, unsigned char **buf, size_t *len, qa_error *err) {
  FILE *f = NULL;
  mode_t mode = 0;
  int opened = qa_infile_open(path, &f, &mode);
  if (opened > 0)
    return qa_error_set(err, QA_EXIT_USAGE, path, NULL, "not a regular file (%s); expected a "
                        "report.pdf or the folder holding one", qa_infile_kind(mode));
  if (opened < 0)
    return qa_error_set(err, errno == ENOENT ? QA_EXIT_USAGE : QA_EXIT_IO, path, NULL,
                        "cannot open: %s", strerror(errno));
  size_t cap = 1 << 20, n = 0;
  unsigned char *b = malloc(cap);
  while (b) {
    n += fread(b + n, 1, cap - n, f);
    if (n < cap || ferror(f)) break;
    if (cap >= QA_PDF_MAX_BYTES) { free(b); fclose(f);
      return qa_error_set(err, QA_EXIT_DATA, path, NULL, "larger than 2 GiB: not a qaudit report"); }
    unsigned char *grown = realloc(b, cap * 2);
    if (!grown) { free(b); b = NULL; break; }
    b = grown;
    cap *= 2;
  }
  const char *why = !b ? "out of memory" : ferror(f) ? strerror(errno) : NULL;
  fclose(f);
  if (why) {
    free(b);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s", why);
  }
  *buf = b;
  *len = n;
  return 0;
}

int qa_pdf_read_attachments(const char *path, qa_pdf_files *out, qa_error *err) {
  unsigned char *buf = NULL;
  size_t len = 0;
  memset(out, 0, sizeof *out);
  if (read_all(path, &buf, &len, err)) return -1;
  pdf p = {path, buf, len, NULL, 0, err};
  pval trailer, root, names, tree;
  int rc = -1;
  if (len < 8 || memcmp(buf, "%PDF-", 5) != 0) {
    bad(&p, "%s", "not a PDF (no %PDF- header); expected a report.pdf written by qaudit report");
    goto done;
  }
  if (read_xref(&p, &trailer)) goto done;
  if (dict_get(&p, &trailer, "Root", &root) || root.kind != V_DICT) {
    bad(&p, "%s", "the trailer's /Root catalog cannot be read");
    goto done;
  }
  rc = 0;   /* no /Names or no /EmbeddedFiles: no attachments */
  if (dict_get(&p, &root, "Names", &names) == 0 && dict_get(&p, &names, "EmbeddedFiles", &tree) == 0)
    rc = read_tree(&p, &tree, 0, out);
done:
  if (rc) qa_pdf_files_free(out);
  free(p.offsets);
  free(buf);
  return rc;
}

void qa_pdf_files_free(qa_pdf_files *files) {
  if (!files) return;
  for (size_t i = 0; i < files->n; i++) {
    free(files->items[i].name);
    free(files->items[i].data);
  }
  free(files->items);
  files->items = NULL;
  files->n = 0;
}

const qa_pdf_file *qa_pdf_files_find(const qa_pdf_files *files, const char *name) {
  for (size_t i = 0; i < files->n; i++)
    if (!strcmp(files->items[i].name, name)) return &files->items[i];
  return NULL;
}

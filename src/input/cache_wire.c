/*
** A loaded qa_cache sent from the isolated child to its parent (cache.h,
** qa_cache_load): the child reads the HDF5 file once, writes what it read
** into an anonymous in-memory file created before the fork, and the parent
** reads the arrays back.  The file is read once; the parent never calls the
** HDF5 library on a file the child has not survived.
**
** The format is private to one run of one binary: the fields of qa_cache
** in a fixed order, each array as a presence flag, a count and its bytes.
** The hidden states' bytes start on a page boundary (zeros before them), so
** that the parent maps them from the in-memory file (MAP_PRIVATE: its
** writes stay its own) instead of copying them: the states are the
** largest array, and their copy was most of the parent's share of a load.
*/
#include "input/cache_wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "input/h5read.h"
#include "util/alloc.h"

#define WIRE_MAGIC 0x32574151u   /* "QAW2" */
#define WIRE_PAGE 4096u          /* the states' alignment: mapped where pages are
                                    4 KiB (or divide it), read elsewhere */

int qa_cache_wire_fd(void) {
#ifdef SYS_memfd_create
  int fd = (int)syscall(SYS_memfd_create, "qaudit-cache", 0u);
  if (fd >= 0) return fd;
#endif
  FILE *f = tmpfile();
  if (!f) return -1;
  int fd2 = dup(fileno(f));
  fclose(f);
  return fd2;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct wr { FILE *f; int bad; } wr;

static void w_raw(wr *w, const void *p, size_t n) {
  if (!w->bad && n && fwrite(p, 1, n, w->f) != n) w->bad = 1;
}
static void w_u64(wr *w, uint64_t v) { w_raw(w, &v, sizeof v); }
static void w_f64(wr *w, double v) { w_raw(w, &v, sizeof v); }
/* An array: present flag, count, bytes. */
static void w_arr(wr *w, const void *p, size_t count, size_t elem) {
  w_u64(w, p != NULL);
  if (!p) return;
  w_u64(w, count);
  w_raw(w, p, count * elem);
}
/* An array whose bytes start on a page boundary (WIRE_PAGE): zeros first. */
static void w_page_arr(wr *w, const void *p, size_t count, size_t elem) {
  static const unsigned char zeros[WIRE_PAGE];
  w_u64(w, p != NULL);
  if (!p) return;
  w_u64(w, count);
  long at = w->bad ? 0 : ftell(w->f);
  if (at < 0) { w->bad = 1; return; }
  w_raw(w, zeros, (WIRE_PAGE - (size_t)at % WIRE_PAGE) % WIRE_PAGE);
  w_raw(w, p, count * elem);
}
static void w_str(wr *w, const char *s) { w_arr(w, s, s ? strlen(s) + 1 : 0, 1); }
static void w_strs(wr *w, char *const *s, size_t n) {
  w_u64(w, s != NULL);
  if (!s) return;
  w_u64(w, n);
  for (size_t i = 0; i < n; i++) w_str(w, s[i]);
}

int qa_cache_wire_write(const qa_cache *c, int fd) {
  int d = dup(fd);
  FILE *f = d >= 0 ? fdopen(d, "wb") : NULL;
  if (!f) {
    if (d >= 0) close(d);
    return -1;
  }
  wr w = {f, 0};
  w_u64(&w, WIRE_MAGIC);
  w_str(&w, c->path);
  w_str(&w, c->model); w_str(&w, c->variant);
  w_str(&w, c->quant_scheme); w_str(&w, c->calibration);
  w_str(&w, c->backend); w_str(&w, c->hardware);
  w_u64(&w, (uint64_t)c->has_bits_per_weight); w_f64(&w, c->bits_per_weight);
  w_u64(&w, (uint64_t)c->has_params); w_u64(&w, (uint64_t)c->params);
  w_u64(&w, (uint64_t)c->has_vram_gb); w_f64(&w, c->vram_gb);
  w_u64(&w, c->n_samples);
  w_arr(&w, c->ids, c->n_samples, sizeof *c->ids);
  w_u64(&w, (uint64_t)c->has_ids);
  w_arr(&w, c->labels, c->n_samples, sizeof *c->labels);
  w_strs(&w, c->label_names, c->n_label_names);
  w_u64(&w, c->n_layers);
  for (size_t i = 0; i < c->n_layers; i++) {
    w_str(&w, c->layers[i].name);
    w_u64(&w, c->layers[i].rows);
    w_u64(&w, c->layers[i].cols);
  }
  w_str(&w, c->layer);
  w_u64(&w, c->dim);
  w_page_arr(&w, c->hidden, c->n_samples * c->dim, sizeof *c->hidden);
  w_u64(&w, c->n_classes);
  w_arr(&w, c->logits, c->n_samples * c->n_classes, sizeof *c->logits);
  w_arr(&w, c->prediction, c->n_samples, sizeof *c->prediction);
  w_u64(&w, (uint64_t)c->has_prediction_dataset);
  w_u64(&w, c->n_tasks);
  for (size_t t = 0; t < c->n_tasks; t++) {
    const qa_task *k = &c->tasks[t];
    w_str(&w, k->name);
    w_u64(&w, k->n_items);
    w_arr(&w, k->ids, k->n_items, sizeof *k->ids);
    w_u64(&w, (uint64_t)k->has_ids);
    w_arr(&w, k->correct, k->n_items, 1);
    w_strs(&w, k->metric_names, k->n_metrics);
    for (size_t m = 0; m < k->n_metrics; m++) w_arr(&w, k->scores[m], k->n_items, sizeof(double));
    w_arr(&w, k->stratum, k->n_items, sizeof *k->stratum);
    w_strs(&w, k->stratum_names, k->n_strata);
  }
  w_u64(&w, c->n_decode); w_arr(&w, c->decode_tok_s, c->n_decode, sizeof(double));
  w_u64(&w, c->n_ttft); w_arr(&w, c->ttft_ms, c->n_ttft, sizeof(double));
  w_u64(&w, c->n_tokens); w_u64(&w, c->vocab);
  w_u64(&w, (uint64_t)c->tok_dtype); w_u64(&w, c->tok_chunk_rows);
  w_arr(&w, c->tok_target, c->n_tokens, sizeof *c->tok_target);
  w_arr(&w, c->tok_doc, c->n_tokens, sizeof *c->tok_doc);
  w_u64(&w, (uint64_t)c->has_tok_doc);
  w_arr(&w, c->tok_slice, c->n_tokens, sizeof *c->tok_slice);
  w_strs(&w, c->slice_names, c->n_slice_names);
  w_u64(&w, WIRE_MAGIC);
  if (fclose(f) != 0) w.bad = 1;
  return w.bad ? -1 : 0;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct rd { FILE *f; int bad; } rd;

static void r_raw(rd *r, void *p, size_t n) {
  if (!r->bad && n && fread(p, 1, n, r->f) != n) r->bad = 1;
}
static uint64_t r_u64(rd *r) {
  uint64_t v = 0;
  r_raw(r, &v, sizeof v);
  return r->bad ? 0 : v;
}
static double r_f64(rd *r) {
  double v = 0;
  r_raw(r, &v, sizeof v);
  return v;
}
/* An array of `want` elements (the count written must agree). */
static void *r_arr(rd *r, size_t want, size_t elem) {
  if (r->bad || !r_u64(r)) return NULL;
  uint64_t n = r_u64(r);
  if (r->bad || n != want) { r->bad = 1; return NULL; }
  size_t bytes = (size_t)n * elem;
  void *p = qa_alloc_array(1, bytes, NULL, NULL);   /* huge pages for large ones */
  if (!p) { r->bad = 1; return NULL; }
  r_raw(r, p, n * elem);
  if (r->bad) { free(p); return NULL; }
  return p;
}
/* w_page_arr's array: mapped from the file when it is at least WIRE_MAP_FROM
** bytes (*mapped gets the mapping's length), else read into memory. */
#define WIRE_MAP_FROM ((size_t)1 << 20)
static void *r_page_arr(rd *r, size_t want, size_t elem, size_t *mapped) {
  *mapped = 0;
  if (r->bad || !r_u64(r)) return NULL;
  uint64_t n = r_u64(r);
  if (r->bad || n != want) { r->bad = 1; return NULL; }
  long at = ftell(r->f);
  if (at < 0) { r->bad = 1; return NULL; }
  size_t start = ((size_t)at + WIRE_PAGE - 1) / WIRE_PAGE * WIRE_PAGE, bytes = (size_t)n * elem;
  if (bytes >= WIRE_MAP_FROM && (long)sysconf(_SC_PAGESIZE) > 0 &&
      WIRE_PAGE % (size_t)sysconf(_SC_PAGESIZE) == 0) {
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fileno(r->f), (off_t)start);
    if (p != MAP_FAILED) {
      if (fseek(r->f, (long)(start + bytes), SEEK_SET) != 0) {
        munmap(p, bytes);
        r->bad = 1;
        return NULL;
      }
      *mapped = bytes;
      return p;
    }
  }
  if (fseek(r->f, (long)start, SEEK_SET) != 0) { r->bad = 1; return NULL; }
  void *p = qa_alloc_array(1, bytes ? bytes : 1, NULL, NULL);
  if (!p) { r->bad = 1; return NULL; }
  r_raw(r, p, bytes);
  if (r->bad) { free(p); return NULL; }
  return p;
}
static char *r_str(rd *r) {
  if (r->bad || !r_u64(r)) return NULL;
  uint64_t n = r_u64(r);
  if (r->bad || n == 0 || n > ((uint64_t)1 << 32)) { r->bad = 1; return NULL; }
  char *s = malloc(n);
  if (!s) { r->bad = 1; return NULL; }
  r_raw(r, s, n);
  if (r->bad) { free(s); return NULL; }
  s[n - 1] = '\0';
  return s;
}
static char **r_strs(rd *r, size_t *n_out) {
  *n_out = 0;
  if (r->bad || !r_u64(r)) return NULL;
  uint64_t n = r_u64(r);
  if (r->bad || n > ((uint64_t)1 << 40)) { r->bad = 1; return NULL; }
  char **v = calloc(n ? n : 1, sizeof *v);
  if (!v) { r->bad = 1; return NULL; }
  for (size_t i = 0; i < n && !r->bad; i++) v[i] = r_str(r);
  *n_out = (size_t)n;
  return v;
}

int qa_cache_wire_read(int fd, qa_cache **out) {
  *out = NULL;
  if (lseek(fd, 0, SEEK_SET) != 0) return -1;
  int d = dup(fd);
  FILE *f = d >= 0 ? fdopen(d, "rb") : NULL;
  if (!f) {
    if (d >= 0) close(d);
    return -1;
  }
  qa_cache *c = calloc(1, sizeof *c);
  rd r = {f, c == NULL};
  if (r_u64(&r) != WIRE_MAGIC) r.bad = 1;
  if (c && !r.bad) {
    c->path = r_str(&r);
    c->model = r_str(&r); c->variant = r_str(&r);
    c->quant_scheme = r_str(&r); c->calibration = r_str(&r);
    c->backend = r_str(&r); c->hardware = r_str(&r);
    c->has_bits_per_weight = (int)r_u64(&r); c->bits_per_weight = r_f64(&r);
    c->has_params = (int)r_u64(&r); c->params = (int64_t)r_u64(&r);
    c->has_vram_gb = (int)r_u64(&r); c->vram_gb = r_f64(&r);
    c->n_samples = (size_t)r_u64(&r);
    c->ids = r_arr(&r, c->n_samples, sizeof *c->ids);
    c->has_ids = (int)r_u64(&r);
    c->labels = r_arr(&r, c->n_samples, sizeof *c->labels);
    c->label_names = r_strs(&r, &c->n_label_names);
    size_t nl = (size_t)r_u64(&r);
    if (!r.bad && nl <= QA_CACHE_MAX_MEMBERS && (c->layers = calloc(nl ? nl : 1, sizeof *c->layers))) {
      for (size_t i = 0; i < nl && !r.bad; i++) {
        c->layers[i].name = r_str(&r);
        c->layers[i].rows = (size_t)r_u64(&r);
        c->layers[i].cols = (size_t)r_u64(&r);
        c->n_layers = i + 1;
      }
    } else {
      r.bad = 1;
    }
    c->layer = r_str(&r);
    c->dim = (size_t)r_u64(&r);
    c->hidden =
        r_page_arr(&r, c->n_samples * c->dim, sizeof *c->hidden, &c->hidden_mapped);
    c->n_classes = (size_t)r_u64(&r);
    c->logits = r_arr(&r, c->n_samples * c->n_classes, sizeof *c->logits);
    c->prediction = r_arr(&r, c->n_samples, sizeof *c->prediction);
    c->has_prediction_dataset = (int)r_u64(&r);
    size_t nt = (size_t)r_u64(&r);
    if (!r.bad && nt <= QA_CACHE_MAX_MEMBERS && (c->tasks = calloc(nt ? nt : 1, sizeof *c->tasks))) {
      for (size_t t = 0; t < nt && !r.bad; t++) {
        qa_task *k = &c->tasks[t];
        c->n_tasks = t + 1;
        k->name = r_str(&r);
        k->n_items = (size_t)r_u64(&r);
        k->ids = r_arr(&r, k->n_items, sizeof *k->ids);
        k->has_ids = (int)r_u64(&r);
        k->correct = r_arr(&r, k->n_items, 1);
        size_t nm = 0;
        k->metric_names = r_strs(&r, &nm);
        if (!r.bad && !(k->scores = calloc(nm ? nm : 1, sizeof *k->scores))) r.bad = 1;
        for (size_t m = 0; m < nm && !r.bad; m++) {
          k->scores[m] = r_arr(&r, k->n_items, sizeof(double));
          k->n_metrics = m + 1;
        }
        if (!k->scores) k->n_metrics = 0;
        else if (k->n_metrics < nm) {
          /* metric_names holds nm names: free them all with the cache. */
          for (size_t m = k->n_metrics; m < nm; m++) free(k->metric_names[m]);
        }
        k->stratum = r_arr(&r, k->n_items, sizeof *k->stratum);
        k->stratum_names = r_strs(&r, &k->n_strata);
      }
    } else {
      r.bad = 1;
    }
    c->n_decode = (size_t)r_u64(&r); c->decode_tok_s = r_arr(&r, c->n_decode, sizeof(double));
    c->n_ttft = (size_t)r_u64(&r); c->ttft_ms = r_arr(&r, c->n_ttft, sizeof(double));
    c->n_tokens = (size_t)r_u64(&r); c->vocab = (size_t)r_u64(&r);
    c->tok_dtype = (int)r_u64(&r); c->tok_chunk_rows = (size_t)r_u64(&r);
    c->tok_target = r_arr(&r, c->n_tokens, sizeof *c->tok_target);
    c->tok_doc = r_arr(&r, c->n_tokens, sizeof *c->tok_doc);
    c->has_tok_doc = (int)r_u64(&r);
    c->tok_slice = r_arr(&r, c->n_tokens, sizeof *c->tok_slice);
    c->slice_names = r_strs(&r, &c->n_slice_names);
    if (r_u64(&r) != WIRE_MAGIC) r.bad = 1;
  }
  fclose(f);
  if (r.bad) {
    qa_cache_free(c);
    return -1;
  }
  *out = c;
  return 0;
}

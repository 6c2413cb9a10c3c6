/*
** Reading one cache file (INTERFACE.md section 2) into a qa_cache.
**
** Everything a single file can get wrong is caught here, each with the
** file and HDF5 path: ranks, types, empty or oversized datasets, N that
** differs between per-sample datasets, duplicate ids, labels outside
** [0, C), NaN/Inf, `correct` values other than 0/1, negative timings,
** strata outside their names (or without them), external links/storage,
** and files that are not HDF5 or are truncated.
** Checks against the baseline belong to study.c.
*/
#include "input/cache.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "input/h5read.h"
#include "input/tokread.h"
#include "input/cache_wire.h"
#include "input/isolate.h"
#include "util/text.h"

/* Size of the buffer naming the first per-sample dataset seen. */
#define N_FROM_CAP H5R_PATH_MAX

uint64_t qa_memory_available(void) {
  /* MemAvailable: what can be allocated without swapping (Linux 3.14+). */
  FILE *f = fopen("/proc/meminfo", "r");
  char line[256];
  unsigned long long kb = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) break;
  if (f) fclose(f);
  if (kb) return (uint64_t)kb * 1024;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return (uint64_t)1 << 40;
  return (uint64_t)pages * (uint64_t)page;
}

uint64_t qa_cache_memory(const qa_cache *c) {
  uint64_t b = (uint64_t)c->n_samples * (sizeof *c->ids + sizeof *c->prediction + 4);
  b += (uint64_t)c->n_samples * (c->dim + c->n_classes) * sizeof(double);
  for (size_t t = 0; t < c->n_tasks; t++)
    b += (uint64_t)c->tasks[t].n_items *
         (9 + 8 * c->tasks[t].n_metrics + (c->tasks[t].stratum ? sizeof(int32_t) : 0));
  b += (uint64_t)(c->n_decode + c->n_ttft) * sizeof(double);
  b += (uint64_t)c->n_tokens * (sizeof *c->tok_target + sizeof *c->tok_doc + sizeof *c->tok_slice);
  return b;
}

static char *dup_str(const char *s) {
  return s ? strdup(s) : NULL;
}

void qa_cache_free(qa_cache *c) {
  if (!c) return;
  free(c->path);
  free(c->model); free(c->variant);
  free(c->quant_scheme); free(c->calibration); free(c->backend); free(c->hardware);
  free(c->ids); free(c->labels);
  h5r_free_strings(c->label_names, c->n_label_names);
  for (size_t i = 0; i < c->n_layers; i++) free(c->layers[i].name);
  free(c->layers); free(c->layer);
  if (c->hidden_mapped) munmap(c->hidden, c->hidden_mapped);
  else free(c->hidden);
  free(c->logits); free(c->prediction);
  for (size_t t = 0; t < c->n_tasks; t++) {
    qa_task *k = &c->tasks[t];
    free(k->name); free(k->ids); free(k->correct);
    h5r_free_strings(k->metric_names, k->n_metrics);
    for (size_t m = 0; m < k->n_metrics; m++) free(k->scores[m]);
    free(k->scores);
    free(k->stratum);
    h5r_free_strings(k->stratum_names, k->n_strata);
  }
  free(c->tasks);
  free(c->decode_tok_s); free(c->ttft_ms);
  free(c->tok_target); free(c->tok_doc); free(c->tok_slice);
  h5r_free_strings(c->slice_names, c->n_slice_names);
  free(c);
}

const qa_task *qa_cache_task(const qa_cache *c, const char *name) {
  for (size_t t = 0; t < c->n_tasks; t++)
    if (strcmp(c->tasks[t].name, name) == 0) return &c->tasks[t];
  return NULL;
}

/* ---- small checked readers built on h5read ---------------------------- */

static int check_finite(h5r_file *f, const char *path, const double *x, size_t n,
                        size_t cols, qa_error *err) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(x[i])) {
      if (cols > 1)
        return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                            "%s at row %zu, column %zu; expected finite values",
                            isnan(x[i]) ? "NaN" : "Inf", i / cols, i % cols);
      return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                          "%s at element %zu; expected finite values",
                          isnan(x[i]) ? "NaN" : "Inf", i);
    }
  return 0;
}

/* Reads a rank-`rank` float dataset as doubles, checked finite. */
static int read_floats(h5r_file *f, const char *path, int rank, hsize_t *dims,
                       double **out, qa_error *err) {
  hid_t d = h5r_open(f, path, H5R_FLOAT, rank, dims, err);
  if (d < 0) return -1;
  size_t n = (size_t)dims[0] * (rank == 2 ? (size_t)dims[1] : 1);
  int rc = h5r_read_double(f, path, d, n, out, err);
  H5Dclose(d);
  if (!rc) rc = check_finite(f, path, *out, n, rank == 2 ? (size_t)dims[1] : 1, err);
  if (rc) { free(*out); *out = NULL; }
  return rc;
}

static int read_ints(h5r_file *f, const char *path, hsize_t *n, int64_t **out,
                     qa_error *err) {
  hid_t d = h5r_open(f, path, H5R_INT, 1, n, err);
  if (d < 0) return -1;
  int rc = h5r_read_int64(f, path, d, (size_t)n[0], out, err);
  H5Dclose(d);
  return rc;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Duplicate ids make alignment ambiguous. */
static int check_unique(h5r_file *f, const char *path, const int64_t *ids, size_t n,
                        qa_error *err) {
  int64_t *s = malloc(n * sizeof *s);
  if (!s) return qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
  memcpy(s, ids, n * sizeof *s);
  qsort(s, n, sizeof *s, cmp_i64);
  for (size_t i = 1; i < n; i++)
    if (s[i] == s[i - 1]) {
      long long dup = (long long)s[i];
      free(s);
      return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                          "id %lld appears more than once; ids must be unique", dup);
    }
  free(s);
  return 0;
}

/* Every per-sample dataset must have the same N. */
static int set_n(qa_cache *c, h5r_file *f, const char *path, size_t n, char *n_from,
                 qa_error *err) {
  if (n_from[0] && c->n_samples != n)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "%zu rows, but %s has %zu; per-sample datasets must agree",
                        n, n_from, c->n_samples);
  c->n_samples = n;
  if (!n_from[0]) snprintf(n_from, N_FROM_CAP, "%s", path);
  return 0;
}

/* ---- sections of the format ------------------------------------------- */

static int load_attrs(qa_cache *c, h5r_file *f, const qa_cache_opts *o, qa_error *err) {
  /* Names are held to the name limit; disclosure is free text, longer. */
  struct { const char *name; char **dst; size_t max; } strs[] = {
    {"model", &c->model, QA_NAME_MAX_BYTES}, {"variant", &c->variant, QA_NAME_MAX_BYTES},
    {"quant_scheme", &c->quant_scheme, QA_CACHE_DISCLOSURE_MAX_BYTES},
    {"calibration", &c->calibration, QA_CACHE_DISCLOSURE_MAX_BYTES},
    {"backend", &c->backend, QA_CACHE_DISCLOSURE_MAX_BYTES},
    {"hardware", &c->hardware, QA_CACHE_DISCLOSURE_MAX_BYTES},
  };
  for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
    if (h5r_attr_string(f, strs[i].name, strs[i].max, strs[i].dst, err) < 0) return -1;
  int rc;
  if ((rc = h5r_attr_double(f, "bits_per_weight", &c->bits_per_weight, err)) < 0) return -1;
  c->has_bits_per_weight = rc;
  if (c->has_bits_per_weight && !(c->bits_per_weight > 0 && c->bits_per_weight <= 64))
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                        "attribute bits_per_weight is %g, expected a value in (0, 64]",
                        c->bits_per_weight);
  if ((rc = h5r_attr_int64(f, "params", &c->params, err)) < 0) return -1;
  c->has_params = rc;
  if (c->has_params && c->params <= 0)
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                        "attribute params is %lld, expected a positive count",
                        (long long)c->params);
  if ((rc = h5r_attr_double(f, "vram_gb", &c->vram_gb, err)) < 0) return -1;
  c->has_vram_gb = rc;
  if (c->has_vram_gb && !(c->vram_gb > 0 && isfinite(c->vram_gb)))
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                        "attribute vram_gb is %g, expected a positive number", c->vram_gb);
  if (o && o->require_names) {
    if (!c->model)
      return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                          "missing required attribute model (or name the model in the "
                          "configuration)");
    if (!c->variant)
      return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                          "missing required attribute variant (or name the variant in the "
                          "configuration)");
  }
  return 0;
}

static int load_samples(qa_cache *c, h5r_file *f, char *n_from, qa_error *err) {
  hsize_t dims[2];
  int e;
  if ((e = h5r_exists(f, "/samples/label_names", err)) < 0) return -1;
  if (e) {
    hid_t d = h5r_open(f, "/samples/label_names", H5R_STRING, 1, dims, err);
    if (d < 0) return -1;
    int rc = h5r_read_names(f, "/samples/label_names", d, (size_t)dims[0], "class name",
                            &c->label_names, err);
    H5Dclose(d);
    if (rc) return -1;
    c->n_label_names = (size_t)dims[0];
  }
  if ((e = h5r_exists(f, "/samples/id", err)) < 0) return -1;
  if (e) {
    if (read_ints(f, "/samples/id", dims, &c->ids, err)) return -1;
    c->has_ids = 1;
    if (set_n(c, f, "/samples/id", (size_t)dims[0], n_from, err) ||
        check_unique(f, "/samples/id", c->ids, c->n_samples, err))
      return -1;
  }
  if ((e = h5r_exists(f, "/samples/label", err)) < 0) return -1;
  if (e) {
    int64_t *raw = NULL;
    if (read_ints(f, "/samples/label", dims, &raw, err)) return -1;
    int rc = set_n(c, f, "/samples/label", (size_t)dims[0], n_from, err);
    c->labels = rc ? NULL : malloc((size_t)dims[0] * sizeof *c->labels);
    if (!rc && !c->labels) rc = qa_error_set(err, QA_EXIT_IO, f->path, "/samples/label",
                                             "out of memory");
    for (size_t i = 0; !rc && i < (size_t)dims[0]; i++) {
      if (raw[i] < 0 || raw[i] > INT32_MAX)
        rc = qa_error_set(err, QA_EXIT_DATA, f->path, "/samples/label",
                          "label %lld at row %zu is negative or too large", (long long)raw[i], i);
      else
        c->labels[i] = (int32_t)raw[i];
    }
    free(raw);
    if (rc) return -1;
  }
  return 0;
}

/* Collects the names of the members of a group (sorted, as HDF5 lists
** them by name), stopping at the first name that is too long or not UTF-8. */
typedef struct name_list { size_t n, cap; char **v; const char *bad; size_t bad_len; } name_list;

static herr_t collect_name(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  (void)g; (void)info;
  name_list *l = data;
  size_t len = strlen(name);
  if (len > QA_NAME_MAX_BYTES || qa_utf8_invalid_at(name, len) < len) {
    l->bad = strdup(name);
    l->bad_len = len;
    return l->bad ? 1 : -1;
  }
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    char **v = realloc(l->v, cap * sizeof *v);
    if (!v) return -1;
    l->v = v; l->cap = cap;
  }
  if (!(l->v[l->n] = strdup(name))) return -1;
  l->n++;
  return 0;
}

/* The members of group path, each of them a `what` ("layer", "task",
** "metric"): at most QA_CACHE_MAX_MEMBERS of them, checked before they
** are listed, each name checked by h5r_check_member_name. */
static int list_group(h5r_file *f, const char *path, const char *what, name_list *out,
                      qa_error *err) {
  memset(out, 0, sizeof *out);
  hid_t g = h5r_open_group(f, path, err);
  if (g < 0) return -1;
  H5G_info_t gi;
  if (H5Gget_info(g, &gi) < 0) {
    H5Gclose(g);
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "members cannot be listed");
  }
  if (gi.nlinks > QA_CACHE_MAX_MEMBERS) {
    H5Gclose(g);
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "%llu %ss, more than the %d allowed",
                        (unsigned long long)gi.nlinks, what, QA_CACHE_MAX_MEMBERS);
  }
  hsize_t idx = 0;
  herr_t st = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_name, out);
  H5Gclose(g);
  int rc = 0;
  if (out->bad)
    rc = h5r_check_member_name(f, path, what, out->bad, out->bad_len, err);
  else if (st < 0)
    rc = qa_error_set(err, QA_EXIT_DATA, f->path, path, "members cannot be listed");
  free((char *)out->bad);
  out->bad = NULL;
  if (rc) {
    h5r_free_strings(out->v, out->n);
    memset(out, 0, sizeof *out);
  }
  return rc;
}

static int load_hidden(qa_cache *c, h5r_file *f, const qa_cache_opts *o,
                       char *n_from, qa_error *err) {
  int e = h5r_exists(f, "/hidden", err);
  if (e <= 0) return e;
  name_list names;
  if (list_group(f, "/hidden", "layer", &names, err)) return -1;
  int rc = 0;
  char path[H5R_PATH_MAX];
  /* Layers only listed are not loaded: no memory check for them here. */
  uint64_t limit = f->max_bytes;
  f->max_bytes = UINT64_MAX;
  c->layers = calloc(names.n ? names.n : 1, sizeof *c->layers);
  if (!c->layers) rc = qa_error_set(err, QA_EXIT_IO, f->path, "/hidden", "out of memory");
  for (size_t i = 0; !rc && i < names.n; i++) {
    snprintf(path, sizeof path, "/hidden/%s", names.v[i]);
    hsize_t dims[2];
    hid_t d = h5r_open(f, path, H5R_FLOAT, 2, dims, err);
    if (d < 0) { rc = -1; break; }
    H5Dclose(d);
    c->layers[c->n_layers].name = names.v[i];
    names.v[i] = NULL;
    c->layers[c->n_layers].rows = (size_t)dims[0];
    c->layers[c->n_layers].cols = (size_t)dims[1];
    c->n_layers++;
    rc = 0;
  }
  h5r_free_strings(names.v, names.n);
  f->max_bytes = limit;
  if (rc || !o || !o->layer) return rc ? -1 : 0;
  if (strlen(o->layer) > QA_NAME_MAX_BYTES)
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/hidden",
                        "the configuration's layer name of %zu bytes is longer than the %d "
                        "allowed", strlen(o->layer), QA_NAME_MAX_BYTES);

  const qa_layer_info *want = NULL;
  for (size_t i = 0; i < c->n_layers; i++)
    if (strcmp(c->layers[i].name, o->layer) == 0) want = &c->layers[i];
  snprintf(path, sizeof path, "/hidden/%s", o->layer);
  if (!want) {
    char have[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < c->n_layers && used < sizeof have; i++)
      used += (size_t)snprintf(have + used, sizeof have - used, "%s%s", i ? ", " : "",
                               c->layers[i].name);
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "not found; the configuration's layer must exist (layers here: %s)",
                        have);
  }
  hsize_t dims[2];
  if (set_n(c, f, path, want->rows, n_from, err) ||
      read_floats(f, path, 2, dims, &c->hidden, err))
    return -1;
  c->dim = (size_t)dims[1];
  if (!(c->layer = dup_str(o->layer)))
    return qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
  return 0;
}

static int load_outputs(qa_cache *c, h5r_file *f, char *n_from, qa_error *err) {
  hsize_t dims[2];
  int e;
  if ((e = h5r_exists(f, "/outputs/logits", err)) < 0) return -1;
  if (e) {
    if (read_floats(f, "/outputs/logits", 2, dims, &c->logits, err) ||
        set_n(c, f, "/outputs/logits", (size_t)dims[0], n_from, err))
      return -1;
    c->n_classes = (size_t)dims[1];
    if (c->n_label_names && c->n_label_names != c->n_classes)
      return qa_error_set(err, QA_EXIT_DATA, f->path, "/outputs/logits",
                          "%zu columns, but /samples/label_names names %zu classes",
                          c->n_classes, c->n_label_names);
  }
  size_t n_cls = c->n_classes ? c->n_classes : c->n_label_names;
  if ((e = h5r_exists(f, "/outputs/prediction", err)) < 0) return -1;
  if (e) {
    int64_t *raw = NULL;
    if (read_ints(f, "/outputs/prediction", dims, &raw, err)) return -1;
    int rc = set_n(c, f, "/outputs/prediction", (size_t)dims[0], n_from, err);
    c->prediction = rc ? NULL : malloc((size_t)dims[0] * sizeof *c->prediction);
    if (!rc && !c->prediction)
      rc = qa_error_set(err, QA_EXIT_IO, f->path, "/outputs/prediction", "out of memory");
    for (size_t i = 0; !rc && i < (size_t)dims[0]; i++) {
      if (raw[i] < 0 || raw[i] > INT32_MAX || (n_cls && (size_t)raw[i] >= n_cls))
        rc = qa_error_set(err, QA_EXIT_DATA, f->path, "/outputs/prediction",
                          "class %lld at row %zu is outside [0, %zu)", (long long)raw[i], i,
                          n_cls);
      else
        c->prediction[i] = (int32_t)raw[i];
    }
    free(raw);
    if (rc) return -1;
    c->has_prediction_dataset = 1;
  } else if (c->logits) {
    /* Default prediction: argmax of the logits, first maximum wins. */
    c->prediction = malloc(c->n_samples * sizeof *c->prediction);
    if (!c->prediction)
      return qa_error_set(err, QA_EXIT_IO, f->path, "/outputs/logits", "out of memory");
    for (size_t i = 0; i < c->n_samples; i++) {
      const double *row = c->logits + i * c->n_classes;
      size_t best = 0;
      for (size_t j = 1; j < c->n_classes; j++)
        if (row[j] > row[best]) best = j;
      c->prediction[i] = (int32_t)best;
    }
  }
  return 0;
}

/* Most classes a cache may imply by its largest label or prediction alone
** (docs/cache-format.md "Number of classes"): more than this and more
** than N means a corrupt or sentinel value, not a class. */
#define IMPLIED_CLASSES_MAX 65536u

/* Labels may only be checked once C is known (label names or logits).
** Without either, C is implied by the largest label or prediction; it must
** stay within what the data can hold, or the per-class tables downstream
** would be sized by a stray value (2147483647 would ask for 2^31 rows). */
static int check_labels(const qa_cache *c, h5r_file *f, qa_error *err) {
  size_t n_cls = c->n_classes ? c->n_classes : c->n_label_names;
  if (n_cls) {
    for (size_t i = 0; c->labels && i < c->n_samples; i++)
      if ((size_t)c->labels[i] >= n_cls)
        return qa_error_set(err, QA_EXIT_DATA, f->path, "/samples/label",
                            "label %d at row %zu is outside [0, %zu)", c->labels[i], i, n_cls);
    return 0;
  }
  /* The implied C, in size_t: max + 1 overflows int32 at INT32_MAX. */
  const int32_t *sets[2] = {c->labels, c->prediction};
  const char *paths[2] = {"/samples/label", "/outputs/prediction"};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; sets[k] && i < c->n_samples; i++) {
      size_t implied = (size_t)sets[k][i] + 1;
      if (implied > c->n_samples && implied > IMPLIED_CLASSES_MAX)
        return qa_error_set(err, QA_EXIT_DATA, f->path, paths[k],
                            "%s %d at row %zu implies %zu classes (more than the %zu samples "
                            "and than %u); name the classes in /samples/label_names",
                            k ? "class" : "label", sets[k][i], i, implied, c->n_samples,
                            IMPLIED_CLASSES_MAX);
    }
  return 0;
}

/* Sets the task's M from one of its datasets; all must agree. */
static int set_m(h5r_file *f, qa_task *t, const char *path, size_t m, qa_error *err) {
  if (t->n_items && t->n_items != m)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "%zu items, but other datasets of the task have %zu", m, t->n_items);
  t->n_items = m;
  return 0;
}

static int load_task_scores(qa_task *t, h5r_file *f, const char *dir, qa_error *err) {
  name_list names;
  if (list_group(f, dir, "metric", &names, err)) return -1;
  int rc = 0;
  char path[H5R_PATH_MAX];
  t->scores = calloc(names.n ? names.n : 1, sizeof *t->scores);
  if (!t->scores) rc = qa_error_set(err, QA_EXIT_IO, f->path, dir, "out of memory");
  for (size_t i = 0; !rc && i < names.n; i++) {
    hsize_t dims[1];
    if (snprintf(path, sizeof path, "%s/%s", dir, names.v[i]) >= (int)sizeof path ||
        read_floats(f, path, 1, dims, &t->scores[i], err)) {
      rc = -1;
      break;
    }
    t->n_metrics = i + 1;          /* owned from here, freed with the cache */
    if (set_m(f, t, path, (size_t)dims[0], err)) rc = -1;
  }
  if (!rc) {
    t->metric_names = names.v;
    return 0;
  }
  h5r_free_strings(names.v, names.n);
  return -1;
}

/* /eval/<task>/stratum and its stratum_names (INTERFACE.md section 2):
** the names are required with the strata (a stratum is reported by its
** name) and are no use without them; every stratum lies in [0, S), the
** first item outside named. */
static int load_task_strata(qa_task *t, h5r_file *f, const char *dir, qa_error *err) {
  char path[H5R_PATH_MAX], names[H5R_PATH_MAX];
  snprintf(path, sizeof path, "%s/stratum", dir);
  snprintf(names, sizeof names, "%s/stratum_names", dir);
  int has_strata = h5r_exists(f, path, err);
  int has_names = has_strata < 0 ? -1 : h5r_exists(f, names, err);
  if (has_strata < 0 || has_names < 0) return -1;
  if (has_strata && !has_names)
    return qa_error_set(err, QA_EXIT_DATA, f->path, names,
                        "not found; %s needs the names of its strata", path);
  if (has_names && !has_strata)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "not found; %s names strata, so each item needs its stratum", names);
  if (!has_strata) return 0;
  hsize_t dims[1];
  hid_t d = h5r_open(f, names, H5R_STRING, 1, dims, err);
  if (d < 0) return -1;
  int rc = h5r_read_names(f, names, d, (size_t)dims[0], "stratum name", &t->stratum_names, err);
  H5Dclose(d);
  if (rc) return -1;
  t->n_strata = (size_t)dims[0];
  int64_t *raw = NULL;
  if (read_ints(f, path, dims, &raw, err)) return -1;
  rc = set_m(f, t, path, (size_t)dims[0], err);
  t->stratum = rc ? NULL : malloc((dims[0] ? (size_t)dims[0] : 1) * sizeof *t->stratum);
  if (!rc && !t->stratum) rc = qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
  for (size_t i = 0; !rc && i < (size_t)dims[0]; i++) {
    if (raw[i] < 0 || (uint64_t)raw[i] >= t->n_strata)
      rc = qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "stratum %lld at item %zu is outside the %zu names of %s",
                        (long long)raw[i], i, t->n_strata, names);
    else
      t->stratum[i] = (int32_t)raw[i];
  }
  free(raw);
  return rc ? -1 : 0;
}

static int load_task(qa_task *t, h5r_file *f, const char *name, qa_error *err) {
  /* The task's name was held to QA_NAME_MAX_BYTES when listed. */
  char dir[QA_NAME_MAX_BYTES + 8], path[H5R_PATH_MAX];
  snprintf(dir, sizeof dir, "/eval/%s", name);
  if (!(t->name = strdup(name))) return qa_error_set(err, QA_EXIT_IO, f->path, dir, "out of memory");
  hsize_t dims[1];
  int e;
  snprintf(path, sizeof path, "%s/correct", dir);
  if ((e = h5r_exists(f, path, err)) < 0) return -1;
  if (e) {
    int64_t *raw = NULL;
    if (read_ints(f, path, dims, &raw, err)) return -1;
    int rc = set_m(f, t, path, (size_t)dims[0], err);
    t->correct = rc ? NULL : malloc((size_t)dims[0]);
    if (!rc && !t->correct) rc = qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
    for (size_t i = 0; !rc && i < (size_t)dims[0]; i++) {
      if (raw[i] != 0 && raw[i] != 1)
        rc = qa_error_set(err, QA_EXIT_DATA, f->path, path,
                          "value %lld at item %zu; expected 0 or 1", (long long)raw[i], i);
      else
        t->correct[i] = (uint8_t)raw[i];
    }
    free(raw);
    if (rc) return -1;
  }
  snprintf(path, sizeof path, "%s/score", dir);
  if ((e = h5r_exists(f, path, err)) < 0) return -1;
  if (e && load_task_scores(t, f, path, err)) return -1;
  if (load_task_strata(t, f, dir, err)) return -1;
  snprintf(path, sizeof path, "%s/id", dir);
  if ((e = h5r_exists(f, path, err)) < 0) return -1;
  if (e) {
    if (read_ints(f, path, dims, &t->ids, err) || set_m(f, t, path, (size_t)dims[0], err) ||
        check_unique(f, path, t->ids, t->n_items, err))
      return -1;
    t->has_ids = 1;
  } else if (t->n_items) {
    if (!(t->ids = malloc(t->n_items * sizeof *t->ids)))
      return qa_error_set(err, QA_EXIT_IO, f->path, dir, "out of memory");
    for (size_t i = 0; i < t->n_items; i++) t->ids[i] = (int64_t)i;
  }
  if (!t->correct && !t->n_metrics)
    return qa_error_set(err, QA_EXIT_DATA, f->path, dir,
                        "holds neither correct nor score/<metric>; expected at least one");
  return 0;
}

static int load_eval(qa_cache *c, h5r_file *f, qa_error *err) {
  int e = h5r_exists(f, "/eval", err);
  if (e <= 0) return e;
  name_list names;
  if (list_group(f, "/eval", "task", &names, err)) return -1;
  int rc = 0;
  c->tasks = calloc(names.n ? names.n : 1, sizeof *c->tasks);
  if (!c->tasks) rc = qa_error_set(err, QA_EXIT_IO, f->path, "/eval", "out of memory");
  for (size_t i = 0; !rc && i < names.n; i++) {
    char dir[H5R_PATH_MAX], hard[H5R_PATH_MAX];
    snprintf(dir, sizeof dir, "/eval/%s", names.v[i]);
    H5O_info_t oi;
    if (h5r_resolve(f, dir, hard, err) < 0) { rc = -1; break; }
    if (H5Oget_info_by_name2(f->fid, hard, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0 ||
        oi.type != H5O_TYPE_GROUP) {
      rc = qa_error_set(err, QA_EXIT_DATA, f->path, dir, "expected a group per task");
      break;
    }
    c->n_tasks++;      /* counted first so qa_cache_free releases a partial task */
    rc = load_task(&c->tasks[i], f, names.v[i], err);
  }
  h5r_free_strings(names.v, names.n);
  return rc ? -1 : 0;
}

static int load_perf(qa_cache *c, h5r_file *f, qa_error *err) {
  struct { const char *path; double **dst; size_t *n; } ds[] = {
    {"/perf/decode_tok_s", &c->decode_tok_s, &c->n_decode},
    {"/perf/ttft_ms", &c->ttft_ms, &c->n_ttft},
  };
  for (size_t k = 0; k < 2; k++) {
    int e = h5r_exists(f, ds[k].path, err);
    if (e < 0) return -1;
    if (!e) continue;
    hsize_t dims[1];
    if (read_floats(f, ds[k].path, 1, dims, ds[k].dst, err)) return -1;
    *ds[k].n = (size_t)dims[0];
    for (size_t i = 0; i < *ds[k].n; i++)
      if ((*ds[k].dst)[i] < 0)
        return qa_error_set(err, QA_EXIT_DATA, f->path, ds[k].path,
                            "negative timing %g at element %zu", (*ds[k].dst)[i], i);
  }
  return 0;
}

/* ---- /tokens ----------------------------------------------------------- */

/* Reads a [T] integer dataset of the token group, checking T. */
static int read_token_ints(h5r_file *f, const char *path, size_t t, int64_t **out,
                           qa_error *err) {
  hsize_t dims[1];
  if (read_ints(f, path, dims, out, err)) return -1;
  if ((size_t)dims[0] != t) {
    free(*out);
    *out = NULL;
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "%llu positions, but /tokens/logits has %zu rows; token datasets "
                        "must agree", (unsigned long long)dims[0], t);
  }
  return 0;
}

/* /tokens (INTERFACE.md section 2): the targets, documents and slices are
** read; of the logits only the shape, stored type and chunking, since they
** may be far larger than memory (input/tokread.h streams them). */
static int load_tokens(qa_cache *c, h5r_file *f, qa_error *err) {
  int e = h5r_exists(f, "/tokens", err);
  if (e <= 0) return e;
  if ((e = h5r_exists(f, "/tokens/logits", err)) < 0) return -1;
  if (!e) return qa_error_set(err, QA_EXIT_DATA, f->path, "/tokens/logits",
                              "not found; a /tokens group needs the logits of each position");
  hsize_t dims[2];
  hid_t d = h5r_open(f, "/tokens/logits", H5R_FLOAT | H5R_STREAMED, 2, dims, err);
  if (d < 0) return -1;
  hid_t type = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
  size_t size = type >= 0 ? H5Tget_size(type) : 0;
  c->tok_dtype = size == 2 ? QA_TOK_F16 : size == 4 ? QA_TOK_F32 : QA_TOK_F64;
  if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t cd[2] = {0, 0};
    if (H5Pget_chunk(dcpl, 2, cd) == 2) c->tok_chunk_rows = (size_t)cd[0];
  }
  if (type >= 0) H5Tclose(type);
  if (dcpl >= 0) H5Pclose(dcpl);
  H5Dclose(d);
  c->n_tokens = (size_t)dims[0];
  c->vocab = (size_t)dims[1];
  if (c->vocab > INT32_MAX)
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/tokens/logits",
                        "%zu columns; a vocabulary has at most %d entries", c->vocab, INT32_MAX);
  size_t t = c->n_tokens;
  if ((e = h5r_exists(f, "/tokens/target", err)) < 0) return -1;
  if (!e) return qa_error_set(err, QA_EXIT_DATA, f->path, "/tokens/target",
                              "not found; /tokens/logits needs the target token of each position");
  int64_t *raw = NULL;
  if (read_token_ints(f, "/tokens/target", t, &raw, err)) return -1;
  c->tok_target = malloc(t * sizeof *c->tok_target);
  int rc = c->tok_target ? 0 : qa_error_set(err, QA_EXIT_IO, f->path, "/tokens/target", "out of memory");
  for (size_t i = 0; !rc && i < t; i++) {
    if (raw[i] < 0 || (uint64_t)raw[i] >= c->vocab)
      rc = qa_error_set(err, QA_EXIT_DATA, f->path, "/tokens/target",
                        "token %lld at position %zu is outside the vocabulary [0, %zu)",
                        (long long)raw[i], i, c->vocab);
    else
      c->tok_target[i] = (int32_t)raw[i];
  }
  free(raw);
  if (rc) return -1;
  if ((e = h5r_exists(f, "/tokens/doc", err)) < 0) return -1;
  if (e) {
    if (read_token_ints(f, "/tokens/doc", t, &c->tok_doc, err)) return -1;
    c->has_tok_doc = 1;
  } else if (!(c->tok_doc = calloc(t, sizeof *c->tok_doc))) {
    return qa_error_set(err, QA_EXIT_IO, f->path, "/tokens/doc", "out of memory");
  }
  int has_slice = h5r_exists(f, "/tokens/slice", err);
  int has_names = has_slice < 0 ? -1 : h5r_exists(f, "/tokens/slice_names", err);
  if (has_slice < 0 || has_names < 0) return -1;
  if (has_slice && !has_names)
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/tokens/slice_names",
                        "not found; /tokens/slice needs the names of its slices");
  if (has_names) {
    hid_t dn = h5r_open(f, "/tokens/slice_names", H5R_STRING, 1, dims, err);
    if (dn < 0) return -1;
    rc = h5r_read_names(f, "/tokens/slice_names", dn, (size_t)dims[0], "slice name",
                        &c->slice_names, err);
    H5Dclose(dn);
    if (rc) return -1;
    c->n_slice_names = (size_t)dims[0];
  }
  if (has_slice) {
    if (read_token_ints(f, "/tokens/slice", t, &raw, err)) return -1;
    c->tok_slice = malloc(t * sizeof *c->tok_slice);
    rc = c->tok_slice ? 0 : qa_error_set(err, QA_EXIT_IO, f->path, "/tokens/slice", "out of memory");
    for (size_t i = 0; !rc && i < t; i++) {
      if (raw[i] < 0 || (uint64_t)raw[i] >= c->n_slice_names)
        rc = qa_error_set(err, QA_EXIT_DATA, f->path, "/tokens/slice",
                          "slice %lld at position %zu is outside the %zu names of "
                          "/tokens/slice_names", (long long)raw[i], i, c->n_slice_names);
      else
        c->tok_slice[i] = (int32_t)raw[i];
    }
    free(raw);
    if (rc) return -1;
  }
  return 0;
}

/* `qaudit validate`: every logit of /tokens/logits finite, read in row
** blocks of about 8 MB. */
static int check_token_logits(const qa_cache *c, qa_error *err) {
  if (!c->n_tokens) return 0;
  qa_tokread *r = NULL;
  if (qa_tokread_open(c->path, c->n_tokens, c->vocab, &r, err)) return -1;
  size_t elem = qa_tokread_elem(r), v = c->vocab;
  size_t blk = (8u << 20) / (v * elem);
  if (blk < 1) blk = 1;
  void *raw = malloc(blk * v * elem);
  double *row = malloc(v * sizeof *row);
  int rc = raw && row ? 0 : qa_error_set(err, QA_EXIT_IO, c->path, "/tokens/logits", "out of memory");
  for (size_t r0 = 0; !rc && r0 < c->n_tokens; r0 += blk) {
    size_t n = c->n_tokens - r0 < blk ? c->n_tokens - r0 : blk;
    rc = qa_tokread_rows(r, r0, n, raw, err);
    for (size_t i = 0; !rc && i < n; i++) {
      size_t j = qa_tokread_row_to_double(qa_tokread_kind(r), (char *)raw + i * v * elem, v, row);
      if (j < v)
        rc = qa_error_set(err, QA_EXIT_DATA, c->path, "/tokens/logits",
                          "%s at position %zu, column %zu; logits must be finite",
                          isnan(row[j]) ? "NaN" : row[j] > 0 ? "+Inf" : "-Inf", r0 + i, j);
    }
  }
  free(raw);
  free(row);
  qa_tokread_close(r);
  return rc;
}

/* Opens path as HDF5, telling a missing file (I/O) from one that is not
** HDF5 or is truncated (data). */
static hid_t open_file(const char *path, qa_error *err) {
  struct stat st;
  if (stat(path, &st) != 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot open: %s", strerror(errno));
  if (S_ISDIR(st.st_mode))
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot open: %s", strerror(EISDIR));
  if (!S_ISREG(st.st_mode))
    return qa_error_set(err, QA_EXIT_IO, path, NULL,
                        "not a regular file; expected an HDF5 cache");
  FILE *probe = fopen(path, "rb");
  if (!probe) return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot open: %s", strerror(errno));
  fclose(probe);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  htri_t is = H5Fis_hdf5(path);
  hid_t fid = is > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
  if (fid < 0)
    return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                        "not an HDF5 file or truncated; expected an HDF5 cache (INTERFACE "
                        "section 2)");
  return fid;
}

static int load_direct(const char *path, const qa_cache_opts *opts, int all_layers,
                       qa_cache **out, qa_error *err);

/* The child's part: read everything, and send it to the parent through fd
** (cache_wire.h) when fd >= 0, else keep nothing. */
typedef struct trial { const char *path; const qa_cache_opts *opts; int all_layers; int fd; } trial;

static int trial_load(void *arg, qa_error *err) {
  trial *t = arg;
  qa_cache *c = NULL;
  int rc = load_direct(t->path, t->opts, t->all_layers, &c, err);
  if (!rc && t->fd >= 0 && qa_cache_wire_write(c, t->fd))
    rc = qa_error_set(err, QA_EXIT_IO, t->path, NULL,
                      "cannot pass the loaded cache to qaudit (out of memory?)");
  qa_cache_free(c);
  return rc;
}

int qa_cache_validate(const char *path, qa_error *err) {
  /* One child for the whole file, and every layer read once in it: the
  ** cost is linear in the number of layers (1,501 layers of [6,3] take
  ** well under a second). */
  qa_cache_opts opts = {NULL, 1, 0, 0, NULL, NULL};
  trial t = {path, &opts, 1, -1};
  return qa_isolated(path, trial_load, &t, qa_isolation_timeout(path), err);
}

/* Reads every listed layer in turn (one in memory at a time): finite
** values, and N agreeing with the other per-sample datasets. */
static int check_all_layers(qa_cache *c, h5r_file *f, char *n_from, qa_error *err) {
  char path[H5R_PATH_MAX];
  for (size_t i = 0; i < c->n_layers; i++) {
    snprintf(path, sizeof path, "/hidden/%s", c->layers[i].name);
    hsize_t dims[2];
    double *x = NULL;
    if (set_n(c, f, path, c->layers[i].rows, n_from, err) ||
        read_floats(f, path, 2, dims, &x, err))
      return -1;
    free(x);
  }
  return 0;
}

int qa_cache_load(const char *path, const qa_cache_opts *opts, qa_cache **out,
                  qa_error *err) {
  *out = NULL;
  /* A file the HDF5 library could crash or hang on is read first in a
  ** child process (input/isolate.h). */
  /* A file the HDF5 library could crash or hang on is read in a child
  ** process (input/isolate.h), which passes what it read back: the file is
  ** read once. */
  void (*meanwhile)(void *) = opts ? opts->meanwhile : NULL;   /* opts may be NULL */
  void *mw_arg = opts ? opts->meanwhile_arg : NULL;
  if (!qa_isolation_enabled()) {
    int rc = load_direct(path, opts, 0, out, err);
    if (meanwhile) meanwhile(mw_arg);
    return rc;
  }
  int fd = qa_cache_wire_fd();
  trial t = {path, opts, 0, fd};
  if (qa_isolated_with(path, trial_load, &t, qa_isolation_timeout(path), err, meanwhile,
                       mw_arg)) {
    if (fd >= 0) close(fd);
    return -1;
  }
  if (fd < 0) return load_direct(path, opts, 0, out, err);   /* no in-memory file */
  int rc = qa_cache_wire_read(fd, out);
  close(fd);
  if (rc) return qa_error_set(err, QA_EXIT_IO, path, NULL,
                              "cannot receive the loaded cache (out of memory?)");
  return 0;
}

static int load_direct(const char *path, const qa_cache_opts *opts, int all_layers,
                       qa_cache **out, qa_error *err) {
  *out = NULL;
  qa_cache *c = calloc(1, sizeof *c);
  if (!c || !(c->path = strdup(path))) {
    free(c);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  }
  hid_t fid = open_file(path, err);
  if (fid < 0) { qa_cache_free(c); return -1; }
  uint64_t limit = opts && opts->max_bytes ? opts->max_bytes : qa_memory_available();
  h5r_file f = {path, fid, limit,
                opts && opts->limit_is_option ? "allowed by --max-memory" : "available", 0};
  H5O_info_t root;
  if (H5Oget_info(fid, &root) < 0) {
    H5Fclose(fid);
    qa_cache_free(c);
    return qa_error_set(err, QA_EXIT_DATA, path, "/", "cannot be read (file damaged?)");
  }
  f.fileno = root.fileno;
  char n_from[N_FROM_CAP] = "";
  int rc = load_attrs(c, &f, opts, err) || load_samples(c, &f, n_from, err) ||
           load_hidden(c, &f, opts, n_from, err) || load_outputs(c, &f, n_from, err) ||
           check_labels(c, &f, err) || load_eval(c, &f, err) || load_perf(c, &f, err) ||
           load_tokens(c, &f, err) || (all_layers && check_all_layers(c, &f, n_from, err));
  if (!rc && c->n_samples && !c->has_ids) {
    if (!(c->ids = malloc(c->n_samples * sizeof *c->ids)))
      rc = qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
    for (size_t i = 0; !rc && i < c->n_samples; i++) c->ids[i] = (int64_t)i;
  }
  H5Fclose(fid);
  if (!rc && all_layers) rc = check_token_logits(c, err);
  if (rc) { qa_cache_free(c); return -1; }
  *out = c;
  return 0;
}

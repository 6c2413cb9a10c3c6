/*
** Loading a study: every cache of the configuration, checked against its
** model's baseline and reordered to the baseline's rows and items.
**
** The checks here are the ones that need two files (INTERFACE.md section 2:
** N, D or C differing from the baseline; ids that do not match the
** baseline's set), plus the configuration's references to names that only
** the caches know (baselines, claim variants, critical-error classes).
** Must never compute a statistic.
*/
#include "input/study.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>

#include "util/sha256.h"
#include "util/text.h"

static char *dup_str(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

typedef struct id_index { int64_t id; size_t row; } id_index;

static int by_id(const void *a, const void *b) {
  const id_index *x = a, *y = b;
  return (x->id > y->id) - (x->id < y->id);
}

/* dest[j]: the baseline row of variant row j, matched by id.  Fails naming
** the first variant id the baseline does not have.  n rows on both sides;
** both id sets are free of duplicates (checked by the cache reader), so a
** complete match is a bijection. */
static int match_ids(const int64_t *base_ids, const int64_t *var_ids, size_t n,
                     size_t *dest, const char *file, const char *path, qa_error *err) {
  id_index *sorted = malloc((n ? n : 1) * sizeof *sorted);
  if (!sorted) return qa_error_set(err, QA_EXIT_IO, file, path, "out of memory");
  for (size_t i = 0; i < n; i++) sorted[i] = (id_index){base_ids[i], i};
  qsort(sorted, n, sizeof *sorted, by_id);
  for (size_t j = 0; j < n; j++) {
    id_index key = {var_ids[j], 0};
    id_index *hit = bsearch(&key, sorted, n, sizeof *sorted, by_id);
    if (!hit) {
      free(sorted);
      return qa_error_set(err, QA_EXIT_DATA, file, path,
                          "id %lld (row %zu) is not among the baseline's ids",
                          (long long)var_ids[j], j);
    }
    dest[j] = hit->row;
  }
  free(sorted);
  return 0;
}

/* Moves row j of data to row dest[j], in place, following the cycles of
** the permutation so that no second copy of a large array is needed. */
static int permute_rows(void *data, size_t rows, size_t row_bytes, const size_t *dest) {
  if (!data || rows == 0) return 0;
  unsigned char *base = data;
  unsigned char *carry = malloc(row_bytes), *swap = malloc(row_bytes);
  unsigned char *done = calloc(rows, 1);
  if (!carry || !swap || !done) {
    free(carry); free(swap); free(done);
    return -1;
  }
  for (size_t start = 0; start < rows; start++) {
    if (done[start] || dest[start] == start) { done[start] = 1; continue; }
    memcpy(carry, base + start * row_bytes, row_bytes);
    size_t j = start;
    while (!done[j]) {
      size_t to = dest[j];
      done[j] = 1;
      memcpy(swap, base + to * row_bytes, row_bytes);
      memcpy(base + to * row_bytes, carry, row_bytes);
      memcpy(carry, swap, row_bytes);
      j = to;
    }
  }
  free(carry); free(swap); free(done);
  return 0;
}

/* The first per-sample dataset of a cache, for messages about N. */
static const char *sample_path(const qa_cache *c, char *buf, size_t cap) {
  if (c->has_ids) return "/samples/id";
  if (c->labels) return "/samples/label";
  if (c->hidden) { snprintf(buf, cap, "/hidden/%s", c->layer); return buf; }
  if (c->logits) return "/outputs/logits";
  return "/outputs/prediction";
}

static int check_shapes(const qa_cache *b, const qa_cache *v, qa_error *err) {
  char path[300];
  if (b->n_samples && v->n_samples && b->n_samples != v->n_samples)
    return qa_error_set(err, QA_EXIT_DATA, v->path, sample_path(v, path, sizeof path),
                        "N = %zu samples differs from the baseline's %zu (%s)",
                        v->n_samples, b->n_samples, b->path);
  if (b->hidden && v->hidden && b->dim != v->dim) {
    snprintf(path, sizeof path, "/hidden/%s", v->layer);
    return qa_error_set(err, QA_EXIT_DATA, v->path, path,
                        "shape [%zu,%zu] differs from baseline [%zu,%zu] (%s)",
                        v->n_samples, v->dim, b->n_samples, b->dim, b->path);
  }
  if (b->logits && v->logits && b->n_classes != v->n_classes)
    return qa_error_set(err, QA_EXIT_DATA, v->path, "/outputs/logits",
                        "shape [%zu,%zu] differs from baseline [%zu,%zu] (%s)",
                        v->n_samples, v->n_classes, b->n_samples, b->n_classes, b->path);
  /* Different counts are check_classes' to report, with both numbers. */
  if (b->n_label_names && b->n_label_names == v->n_label_names) {
    int same = 1;
    for (size_t i = 0; same && i < b->n_label_names; i++)
      same = strcmp(b->label_names[i], v->label_names[i]) == 0;
    if (!same)
      return qa_error_set(err, QA_EXIT_DATA, v->path, "/samples/label_names",
                          "class names differ from the baseline's (%s)", b->path);
  }
  return 0;
}

/* The number of classes of one cache (docs/cache-format.md "Number of
** classes"): declared by /samples/label_names, else by the columns of
** /outputs/logits (the reader made the two agree), else implied by the
** largest label or prediction + 1 (the reader bounded it). */
typedef struct class_count {
  size_t n;              /* C; 0 when the cache has neither labels nor classes */
  int declared;          /* 1: from names or logits; 0: implied */
  const char *path;      /* the dataset C comes from */
  int32_t value;         /* implied: the largest label or prediction ... */
  size_t row;            /* ... and its row in the cache's own order */
} class_count;

static class_count classes_of(const qa_cache *c) {
  if (c->n_label_names) return (class_count){c->n_label_names, 1, "/samples/label_names", 0, 0};
  if (c->logits) return (class_count){c->n_classes, 1, "/outputs/logits", 0, 0};
  class_count k = {0, 0, NULL, -1, 0};
  const int32_t *sets[2] = {c->labels, c->prediction};
  const char *paths[2] = {"/samples/label", "/outputs/prediction"};
  for (int s = 0; s < 2; s++)
    for (size_t i = 0; sets[s] && i < c->n_samples; i++)
      if (sets[s][i] > k.value) {
        k.value = sets[s][i];
        k.row = i;
        k.path = paths[s];
      }
  k.n = k.path ? (size_t)k.value + 1 : 0;    /* size_t: no overflow at INT32_MAX */
  return k;
}

/* The cache every other's C is held against: the baseline when it declares
** its classes, else the first variant (configuration order) that does;
** m->n_variants when none does. */
static size_t class_reference(const qa_model *m) {
  if (classes_of(m->variants[m->baseline].cache).declared) return m->baseline;
  for (size_t i = 0; i < m->n_variants; i++)
    if (classes_of(m->variants[i].cache).declared) return i;
  return m->n_variants;
}

/* v against the reference: a declared C must be the same number, and an
** implied one (labels and predictions alone) must fit in it, so that no
** class index of any variant reaches past the model's per-class tables. */
static int check_classes(const qa_model *m, size_t ref, const qa_cache *v, qa_error *err) {
  const qa_cache *r = m->variants[ref].cache;
  class_count rc = classes_of(r), vc = classes_of(v);
  if (vc.declared && vc.n != rc.n && ref == m->baseline)
    return qa_error_set(err, QA_EXIT_DATA, v->path, vc.path,
                        "C = %zu classes differs from the baseline's %zu (%s:%s)", vc.n, rc.n,
                        r->path, rc.path);
  if (vc.declared && vc.n != rc.n)
    return qa_error_set(err, QA_EXIT_DATA, v->path, vc.path,
                        "C = %zu classes differs from the %zu of %s:%s (the first cache of "
                        "the model to name its classes)", vc.n, rc.n, r->path, rc.path);
  if (!vc.declared && vc.n > rc.n)
    return qa_error_set(err, QA_EXIT_DATA, v->path, vc.path,
                        "%s %d at row %zu is outside [0, %zu), the classes of %s:%s",
                        strcmp(vc.path, "/samples/label") ? "class" : "label", vc.value,
                        vc.row, rc.n, r->path, rc.path);
  return 0;
}

/* 1 when the cache lists a /hidden layer besides the one it loaded: its
** rows will be read again, and need the permutation. */
static int has_other_layers(const qa_cache *c) {
  for (size_t i = 0; i < c->n_layers; i++)
    if (!c->layer || strcmp(c->layers[i].name, c->layer) != 0) return 1;
  return 0;
}

/* Reorders the variant's per-sample arrays to the baseline's rows; *kept
** receives the permutation when the variant's other layers will need it
** (has_other_layers) and it is not the identity, else NULL. */
static int align_samples(const qa_cache *b, qa_cache *v, size_t **kept, qa_error *err) {
  int rc = -1;
  size_t n = v->n_samples;
  *kept = NULL;
  if (!b->n_samples || !n) return 0;
  size_t *dest = malloc(n * sizeof *dest);
  if (!dest) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  if (match_ids(b->ids, v->ids, n, dest, v->path, "/samples/id", err)) goto done;
  int identity = 1;
  for (size_t j = 0; identity && j < n; j++) identity = dest[j] == j;
  if (permute_rows(v->ids, n, sizeof *v->ids, dest) ||
      permute_rows(v->labels, n, sizeof *v->labels, dest) ||
      permute_rows(v->prediction, n, sizeof *v->prediction, dest) ||
      permute_rows(v->hidden, n, v->dim * sizeof *v->hidden, dest) ||
      permute_rows(v->logits, n, v->n_classes * sizeof *v->logits, dest)) {
    qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
    goto done;
  }
  if (b->labels && v->labels)
    for (size_t i = 0; i < n; i++)
      if (b->labels[i] != v->labels[i]) {
        qa_error_set(err, QA_EXIT_DATA, v->path, "/samples/label",
                     "sample id %lld has label %d, the baseline's is %d (%s)",
                     (long long)b->ids[i], v->labels[i], b->labels[i], b->path);
        goto done;
      }
  if (!identity && has_other_layers(v)) {
    *kept = dest;
    dest = NULL;
  }
  rc = 0;
done:
  free(dest);
  return rc;
}

/* Every layer a cache lists has the cache's N rows (the reader checked the
** loaded one); a layer the variant v shares with the baseline b has the
** baseline's D (INTERFACE.md section 2: N or D differing from the
** baseline).  Checked from the listed shapes, before any layer is read. */
static int by_layer_name(const void *a, const void *b) {
  const qa_layer_info *x = *(const qa_layer_info *const *)a, *y = *(const qa_layer_info *const *)b;
  return strcmp(x->name, y->name);
}

static int check_layers(const qa_cache *b, const qa_cache *v, qa_error *err) {
  char path[QA_NAME_MAX_BYTES + 16], first[300];
  /* The baseline's layers sorted by name: a cache may list 100,000. */
  size_t nb = b ? b->n_layers : 0;
  const qa_layer_info **sorted = malloc((nb ? nb : 1) * sizeof *sorted);
  if (!sorted) return qa_error_set(err, QA_EXIT_IO, v->path, "/hidden", "out of memory");
  for (size_t k = 0; k < nb; k++) sorted[k] = &b->layers[k];
  qsort(sorted, nb, sizeof *sorted, by_layer_name);
  int rc = 0;
  for (size_t i = 0; !rc && i < v->n_layers; i++) {
    const qa_layer_info *l = &v->layers[i], *key = l, **hit;
    snprintf(path, sizeof path, "/hidden/%s", l->name);
    if (v->n_samples && l->rows != v->n_samples)
      rc = qa_error_set(err, QA_EXIT_DATA, v->path, path,
                        "%zu rows, but %s has %zu; per-sample datasets must agree", l->rows,
                        sample_path(v, first, sizeof first), v->n_samples);
    else if ((hit = bsearch(&key, sorted, nb, sizeof *sorted, by_layer_name)) &&
             (*hit)->cols != l->cols)
      rc = qa_error_set(err, QA_EXIT_DATA, v->path, path,
                        "shape [%zu,%zu] differs from baseline [%zu,%zu] (%s)", l->rows,
                        l->cols, (*hit)->rows, (*hit)->cols, b->path);
  }
  free(sorted);
  return rc;
}

/* Token data are compared position by position (INTERFACE.md section 2):
** T, V, the targets, documents and slices must equal the baseline's. */
static int check_tokens(const qa_cache *b, const qa_cache *v, qa_error *err) {
  if (!b->n_tokens && !v->n_tokens) return 0;
  if (!b->n_tokens || !v->n_tokens)
    return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens",
                        "%s, but the baseline %s (%s); token data must be in every cache of "
                        "the model or in none", v->n_tokens ? "present" : "absent",
                        b->n_tokens ? "has them" : "has none", b->path);
  if (v->n_tokens != b->n_tokens || v->vocab != b->vocab)
    return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/logits",
                        "shape [%zu,%zu] differs from the baseline's [%zu,%zu] (%s)",
                        v->n_tokens, v->vocab, b->n_tokens, b->vocab, b->path);
  for (size_t i = 0; i < b->n_tokens; i++)
    if (v->tok_target[i] != b->tok_target[i])
      return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/target",
                          "token %d at position %zu differs from the baseline's %d (%s); "
                          "variants must be evaluated on the same tokens",
                          v->tok_target[i], i, b->tok_target[i], b->path);
  for (size_t i = 0; i < b->n_tokens; i++)
    if (v->tok_doc[i] != b->tok_doc[i])
      return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/doc",
                          "document %lld at position %zu differs from the baseline's %lld (%s)",
                          (long long)v->tok_doc[i], i, (long long)b->tok_doc[i], b->path);
  if (!b->tok_slice != !v->tok_slice)
    return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/slice", "%s, but %s in the baseline (%s)",
                        v->tok_slice ? "present" : "absent", b->tok_slice ? "present" : "absent",
                        b->path);
  for (size_t i = 0; b->tok_slice && i < b->n_tokens; i++)
    if (v->tok_slice[i] != b->tok_slice[i])
      return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/slice",
                          "slice %d at position %zu differs from the baseline's %d (%s)",
                          v->tok_slice[i], i, b->tok_slice[i], b->path);
  if (v->n_slice_names != b->n_slice_names)
    return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/slice_names",
                        "%zu names differ from the baseline's %zu (%s)", v->n_slice_names,
                        b->n_slice_names, b->path);
  for (size_t i = 0; i < b->n_slice_names; i++)
    if (strcmp(v->slice_names[i], b->slice_names[i]) != 0)
      return qa_error_set(err, QA_EXIT_DATA, v->path, "/tokens/slice_names",
                          "slice %zu is named \"%s\", the baseline's \"%s\" (%s)", i,
                          v->slice_names[i], b->slice_names[i], b->path);
  return 0;
}

/* A task's strata against the baseline's, after its items were reordered
** to the baseline's: present in both or in neither, the same names, and
** every item in the same stratum as in the baseline (items are paired by
** id, and a stratum is a property of the item). */
static int check_strata(const qa_cache *b, const qa_task *bt, const qa_cache *v,
                        const qa_task *vt, qa_error *err) {
  char path[1100], names[1100];     /* a task name is at most 1024 bytes (util/text.h) */
  snprintf(path, sizeof path, "/eval/%s/stratum", vt->name);
  snprintf(names, sizeof names, "/eval/%s/stratum_names", vt->name);
  if (!bt->stratum != !vt->stratum)
    return qa_error_set(err, QA_EXIT_DATA, v->path, path, "%s, but %s in the baseline (%s)",
                        vt->stratum ? "present" : "absent", bt->stratum ? "present" : "absent",
                        b->path);
  if (!vt->stratum) return 0;
  if (vt->n_strata != bt->n_strata)
    return qa_error_set(err, QA_EXIT_DATA, v->path, names,
                        "%zu names differ from the baseline's %zu (%s)", vt->n_strata,
                        bt->n_strata, b->path);
  for (size_t i = 0; i < bt->n_strata; i++)
    if (strcmp(vt->stratum_names[i], bt->stratum_names[i]) != 0)
      return qa_error_set(err, QA_EXIT_DATA, v->path, names,
                          "stratum %zu is named \"%s\", the baseline's \"%s\" (%s)", i,
                          vt->stratum_names[i], bt->stratum_names[i], b->path);
  for (size_t i = 0; i < bt->n_items; i++)
    if (vt->stratum[i] != bt->stratum[i])
      return qa_error_set(err, QA_EXIT_DATA, v->path, path,
                          "item id %lld is in stratum %d, the baseline's in %d (%s); an item "
                          "has the same stratum in every variant", (long long)bt->ids[i],
                          vt->stratum[i], bt->stratum[i], b->path);
  return 0;
}

/* Reorders each task's items to the baseline task's items. */
static int align_tasks(const qa_cache *b, qa_cache *v, qa_error *err) {
  char path[300];
  for (size_t t = 0; t < v->n_tasks; t++) {
    qa_task *vt = &v->tasks[t];
    const qa_task *bt = qa_cache_task(b, vt->name);
    if (!bt) continue;         /* nothing to compare it with: reported, not tested */
    snprintf(path, sizeof path, "/eval/%s/id", vt->name);
    if (vt->n_items != bt->n_items)
      return qa_error_set(err, QA_EXIT_DATA, v->path, path,
                          "M = %zu items differs from the baseline's %zu (%s)",
                          vt->n_items, bt->n_items, b->path);
    size_t *dest = malloc((vt->n_items ? vt->n_items : 1) * sizeof *dest);
    if (!dest) return qa_error_set(err, QA_EXIT_IO, v->path, path, "out of memory");
    int rc = match_ids(bt->ids, vt->ids, vt->n_items, dest, v->path, path, err);
    if (!rc) rc = permute_rows(vt->ids, vt->n_items, sizeof *vt->ids, dest) ||
                  permute_rows(vt->correct, vt->n_items, 1, dest);
    for (size_t m = 0; !rc && m < vt->n_metrics; m++)
      rc = permute_rows(vt->scores[m], vt->n_items, sizeof(double), dest);
    if (!rc) rc = permute_rows(vt->stratum, vt->n_items, sizeof *vt->stratum, dest);
    free(dest);
    if (rc) return err->code ? -1 : qa_error_set(err, QA_EXIT_IO, v->path, path,
                                                 "out of memory");
    if (check_strata(b, bt, v, vt, err)) return -1;
  }
  return 0;
}

/* Names, parameters, bits and memory: configuration over file attributes. */
static int resolve_variant(const qa_config *cfg, const qa_model_cfg *mc,
                           const qa_variant_cfg *vc, qa_variant *v, qa_error *err) {
  const qa_cache *c = v->cache;
  v->name = dup_str(vc->name ? vc->name : c->variant);
  if (!v->name) return qa_error_set(err, QA_EXIT_IO, c->path, NULL, "out of memory");
  v->has_bits_per_weight = vc->has_bits_per_weight || c->has_bits_per_weight;
  v->bits_per_weight = vc->has_bits_per_weight ? vc->bits_per_weight : c->bits_per_weight;
  v->has_params = vc->has_params || mc->has_params || c->has_params;
  v->params = vc->has_params ? vc->params : mc->has_params ? mc->params : c->params;
  if (vc->has_vram_gb || c->has_vram_gb) {
    v->has_vram_gb = v->vram_measured = 1;
    v->vram_gb = vc->has_vram_gb ? vc->vram_gb : c->vram_gb;
  } else if (v->has_params && v->has_bits_per_weight) {
    /* STATISTICS.md "Tier, cost, memory": params · bits / 8 · overhead / 1e9 */
    v->has_vram_gb = 1;
    /* In the configured unit: 10^9 bytes (GB) or 2^30 (GiB). */
    v->vram_gb = (double)v->params * v->bits_per_weight / 8.0 * cfg->vram_overhead /
                 cfg->memory_unit_bytes;
  }
  return 0;
}

/* The digest of a cache taken while its isolated read runs (cache.h
** qa_cache_opts.meanwhile). */
#define MEANWHILE_HASH_BYTES ((uint64_t)256 << 20)
typedef struct hash_job {
  const char *path;
  char *hex;
  uint64_t *bytes;
  int rc;
  qa_error err;
} hash_job;

static void hash_meanwhile(void *arg) {
  hash_job *h = arg;
  h->rc = qa_sha256_file(h->path, h->hex, h->bytes, &h->err);
}

static int load_model(const qa_config *cfg, size_t mi, qa_progress *p, qa_model *m,
                      size_t *done_files, size_t total_files, const uint64_t *budget,
                      uint64_t *used, qa_error *err) {
  const qa_model_cfg *mc = &cfg->models[mi];
  char key[128];
  m->variants = calloc(mc->n_variants, sizeof *m->variants);
  if (!m->variants) return qa_error_set(err, QA_EXIT_IO, cfg->path, NULL, "out of memory");
  for (size_t vi = 0; vi < mc->n_variants; vi++) {
    const qa_variant_cfg *vc = &mc->variants[vi];
    qa_variant *v = &m->variants[m->n_variants++];
    /* Every cache gets what the ones before it left of the memory budget. */
    uint64_t left = *budget > *used ? *budget - *used : 1;
    /* A file of up to MEANWHILE_HASH_BYTES is hashed while the isolated
    ** child reads it (a larger one may hold token logits, whose digest the
    ** token stream takes as it reads them). */
    hash_job hj = {vc->path, v->sha256, &v->bytes, 0, {0}};
    struct stat fst;
    int early = stat(vc->path, &fst) == 0 && (uint64_t)fst.st_size <= MEANWHILE_HASH_BYTES;
    qa_cache_opts opts = {cfg->layer, !mc->name || !vc->name, left, cfg->max_memory_bytes != 0,
                          early ? hash_meanwhile : NULL, &hj};
    v->cfg = vc;
    qa_progress_count(p, "reading caches", (*done_files)++, total_files, "caches");
    if (qa_sha256_check_file(vc->path, err)) {
      /* A cache that cannot be opened is named with its configuration key. */
      char msg[sizeof err->msg];
      snprintf(msg, sizeof msg, "%s", err->msg);
      snprintf(key, sizeof key, "models[%zu].variants[%zu].file", mi, vi);
      return qa_error_set(err, err->code, cfg->path, key, "%s", msg);
    }
    if (qa_cache_load(vc->path, &opts, &v->cache, err)) return -1;
    /* The digest of a cache with token logits is taken while the token
    ** stream reads it (analysis/tokens.c), so its bytes are read once. */
    if (v->cache->n_tokens) {
      struct stat st;
      v->sha256_deferred = 1;
      v->bytes = stat(vc->path, &st) == 0 ? (uint64_t)st.st_size : 0;
    } else if (early ? (hj.rc ? (*err = hj.err, -1) : 0)
                     : qa_sha256_file(vc->path, v->sha256, &v->bytes, err)) {
      return -1;
    }
    *used += qa_cache_memory(v->cache);
    if (resolve_variant(cfg, mc, vc, v, err)) return -1;
    for (size_t j = 0; j < vi; j++)
      if (strcmp(m->variants[j].name, v->name) == 0) {
        snprintf(key, sizeof key, "models[%zu].variants[%zu]", mi, vi);
        return qa_error_set(err, QA_EXIT_USAGE, cfg->path, key,
                            "duplicate variant name \"%s\"", v->name);
      }
  }
  m->baseline = 0;
  if (mc->baseline) {
    size_t b = 0;
    while (b < m->n_variants && strcmp(m->variants[b].name, mc->baseline) != 0) b++;
    snprintf(key, sizeof key, "models[%zu].baseline", mi);
    if (b == m->n_variants)
      return qa_error_set(err, QA_EXIT_USAGE, cfg->path, key,
                          "\"%s\" is not one of the model's variants", mc->baseline);
    m->baseline = b;
  }
  const qa_cache *base = m->variants[m->baseline].cache;
  m->variants[m->baseline].is_baseline = 1;
  m->name = dup_str(mc->name ? mc->name : base->model);
  if (!m->name) return qa_error_set(err, QA_EXIT_IO, cfg->path, NULL, "out of memory");
  size_t ref = class_reference(m);
  if (ref < m->n_variants && ref != m->baseline && check_classes(m, ref, base, err)) return -1;
  if (check_layers(NULL, base, err)) return -1;
  for (size_t vi = 0; vi < m->n_variants; vi++) {
    qa_cache *c = m->variants[vi].cache;
    if (vi == m->baseline) continue;
    if (check_shapes(base, c, err) ||
        (ref < m->n_variants && vi != ref && check_classes(m, ref, c, err)) ||
        check_layers(base, c, err) ||
        align_samples(base, c, &m->variants[vi].row_dest, err) || align_tasks(base, c, err) ||
        check_tokens(base, c, err))
      return -1;
  }
  /* One C for the model; without a declared one, the largest implied. */
  if (ref < m->n_variants) {
    m->n_classes = classes_of(m->variants[ref].cache).n;
  } else {
    for (size_t vi = 0; vi < m->n_variants; vi++) {
      size_t n = classes_of(m->variants[vi].cache).n;
      if (n > m->n_classes) m->n_classes = n;
    }
  }
  return 0;
}

static const qa_variant *find_variant(const qa_model *m, const char *name) {
  for (size_t i = 0; i < m->n_variants; i++)
    if (strcmp(m->variants[i].name, name) == 0) return &m->variants[i];
  return NULL;
}

/* Configuration references that only the caches can resolve. */
static int check_references(const qa_config *cfg, const qa_study *s, qa_error *err) {
  char key[128];
  for (size_t i = 0; i < cfg->n_claims; i++) {
    const qa_claim_cfg *cl = &cfg->claims[i];
    int model_found = !cl->model, variant_found = 0;
    for (size_t m = 0; m < s->n_models; m++) {
      if (cl->model && strcmp(cl->model, s->models[m].name) != 0) continue;
      model_found = 1;
      if (find_variant(&s->models[m], cl->variant)) variant_found = 1;
    }
    snprintf(key, sizeof key, "claims[%zu].%s", i, model_found ? "variant" : "model");
    if (!model_found)
      return qa_error_set(err, QA_EXIT_USAGE, cfg->path, key,
                          "\"%s\" is not a configured model", cl->model);
    if (!variant_found)
      return qa_error_set(err, QA_EXIT_USAGE, cfg->path, key,
                          "\"%s\" is not a variant of %s", cl->variant,
                          cl->model ? cl->model : "any model");
  }
  for (size_t i = 0; i < cfg->n_critical; i++)
    for (size_t m = 0; m < s->n_models; m++) {
      const qa_model *mod = &s->models[m];
      const qa_cache *base = mod->variants[mod->baseline].cache;
      if (!base->labels) continue;       /* the check is reported as not applicable */
      const char *names[2] = {cfg->critical[i].label, cfg->critical[i].predicted};
      for (int k = 0; k < 2; k++)
        if (qa_study_class_index(mod, names[k]) < 0) {
          snprintf(key, sizeof key, "critical_errors[%zu].%s", i,
                   k ? "predicted" : "label");
          return qa_error_set(err, QA_EXIT_USAGE, cfg->path, key,
                              "\"%s\" is not a class of model %s", names[k], mod->name);
        }
    }
  return 0;
}

int qa_study_load(const qa_config *cfg, qa_progress *p, qa_study **out, qa_error *err) {
  qa_study *s = calloc(1, sizeof *s);
  size_t total = 0, done = 0;
  char detail[64];
  *out = NULL;
  if (!s) return qa_error_set(err, QA_EXIT_IO, cfg->path, NULL, "out of memory");
  s->cfg = cfg;
  s->models = calloc(cfg->n_models, sizeof *s->models);
  if (!s->models) {
    qa_study_free(s);
    return qa_error_set(err, QA_EXIT_IO, cfg->path, NULL, "out of memory");
  }
  for (size_t m = 0; m < cfg->n_models; m++) total += cfg->models[m].n_variants;
  snprintf(detail, sizeof detail, "%zu model(s), %zu cache(s)", cfg->n_models, total);
  qa_progress_stage(p, "reading caches", detail);
  /* The memory budget of all the caches together. */
  uint64_t budget = cfg->max_memory_bytes ? cfg->max_memory_bytes : qa_memory_available();
  uint64_t used = 0;
  for (size_t m = 0; m < cfg->n_models; m++) {
    s->n_models++;
    if (load_model(cfg, m, p, &s->models[m], &done, total, &budget, &used, err)) {
      qa_study_free(s);
      return -1;
    }
  }
  qa_progress_count(p, "reading caches", total, total, "caches");
  if (check_references(cfg, s, err)) {
    qa_study_free(s);
    return -1;
  }
  *out = s;
  return 0;
}

void qa_study_free(qa_study *s) {
  if (!s) return;
  for (size_t m = 0; m < s->n_models; m++) {
    qa_model *mod = &s->models[m];
    for (size_t v = 0; v < mod->n_variants; v++) {
      qa_cache_free(mod->variants[v].cache);
      free(mod->variants[v].name);
      free(mod->variants[v].row_dest);
    }
    free(mod->variants);
    free(mod->name);
  }
  free(s->models);
  free(s);
}

const char *qa_study_class_name(const qa_model *m, int32_t l, char *buf, size_t cap) {
  const qa_cache *base = m->variants[m->baseline].cache;
  if (l >= 0 && (size_t)l < base->n_label_names) return base->label_names[l];
  snprintf(buf, cap, "%d", l);
  return buf;
}

int qa_study_class_index(const qa_model *m, const char *name) {
  const qa_cache *base = m->variants[m->baseline].cache;
  for (size_t i = 0; i < base->n_label_names; i++)
    if (strcmp(base->label_names[i], name) == 0) return (int)i;
  if (base->n_label_names == 0) {
    char *end = NULL;
    long l = strtol(name, &end, 10);
    size_t c = m->n_classes;
    if (*name && end && !*end && l >= 0 && l <= INT32_MAX && (c == 0 || (size_t)l < c))
      return (int)l;
  }
  return -1;
}

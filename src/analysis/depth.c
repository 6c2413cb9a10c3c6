/*
** Damage by depth (depth.h; STATISTICS.md "Depth: every hidden layer").
**
**   list_layers()   the baseline's layers in qa_layer_order, each variant's
**                   presence (a baseline layer a variant lacks is analysed
**                   where present and counted; a variant's layer the
**                   baseline lacks is listed, not analysed)
**   check_memory()  every layer's peak (two layers and the probe's or CKA's
**                   matrices) against the budget, before any work
**   run_batch()     consecutive layers of the baseline read together (at
**                   most BATCH_BYTES, or one layer), the baseline's probes
**                   fitted once, then each variant's same layers read, its
**                   cells computed, its layers released
**   the configured layer: the loaded states, cosine/SQNR/CKA from the
**                   representation analysis, only the probes computed here
**
** Numbers come from repr.h (cosine, quantiles, SQNR, CKA) and probe.h (the
** ridge probe); nothing here redefines one.  Extreme magnitudes are
** handled as representation.c does: cosine and SQNR take the states as
** they are (repr.c scales inside them); the probes see both caches scaled
** by the baseline's power of two 2^-e (exact, and a ridge probe's
** predictions do not change under a common scale), and CKA each side at
** its own scale (CKA is invariant to it), when the largest |x| lies
** outside [2^-100, 2^100].
**
** This module must never open a file itself (input/layer_read.h does) nor
** hold more than one batch of the baseline's layers and one variant's.
*/
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/depth.h"
#include "analysis/repr.h"
#include "input/layer_read.h"
#include "input/isolate.h"
#include "util/parallel.h"
#include "util/text.h"

/* Layers of the baseline (and of each variant) read together, at most:
** small layers share one child process, a large one has its own. */
#define BATCH_BYTES ((uint64_t)256 << 20)
#define BATCH_LAYERS 512
/* "/hidden/<layer>" */
#define PATH_BYTES (QA_NAME_MAX_BYTES + 16)
/* Rows or columns of the centred blocks CKA folds (repr.c), at most. */
#define CKA_BLOCK 512

void qa_depth_model_free(qa_depth_model *d) {
  if (!d) return;
  free(d->layers);
  free(d->dim);
  free(d->cells);
  free(d->extra);
  memset(d, 0, sizeof *d);
}

/* ---- memory -------------------------------------------------------------- */

/* The memory the stage may use: what --max-memory leaves after the caches,
** else what the machine has available at the time of asking. */
typedef struct budget {
  int from_option;
  uint64_t left;              /* --max-memory minus the caches */
  const char *what;
} budget;

static budget budget_of(const qa_study *s) {
  budget b = {0, 0, "available"};
  if (!s->cfg->max_memory_bytes) return b;
  uint64_t used = 0;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      used += qa_cache_memory(s->models[m].variants[v].cache);
  b.from_option = 1;
  b.left = s->cfg->max_memory_bytes > used ? s->cfg->max_memory_bytes - used : 0;
  b.what = "that --max-memory leaves after the caches";
  return b;
}

/* The budget now, with `held` bytes of this stage in memory. */
static uint64_t budget_now(const budget *b, uint64_t held) {
  if (b->from_option) return b->left > held ? b->left - held : 0;
  return qa_memory_available();
}

/* a + b*c in bytes of doubles, UINT64_MAX on overflow. */
static uint64_t add_mul(uint64_t a, uint64_t b, uint64_t c) {
  if (a == UINT64_MAX || (c && b > (UINT64_MAX - a) / c)) return UINT64_MAX;
  return a + b * c;
}

/* Peak bytes of CKA here on [n, d]: at most three d*d matrices (D <= N: the
** covariance for a norm, then the cross product)
** or two n*n Gram matrices (D > N), their centred blocks and the means. */
static uint64_t cka_bytes(size_t n, size_t d) {
  int gram = d > n;
  uint64_t r = gram ? n : d, side = gram ? n : d;
  uint64_t width = gram ? (d < CKA_BLOCK ? d : CKA_BLOCK) : (n < CKA_BLOCK ? n : CKA_BLOCK);
  uint64_t v = add_mul(0, gram ? 2 : 3, add_mul(0, r, r));
  v = add_mul(v, 2 * side, width);
  v = add_mul(v, 1, d);
  return add_mul(0, v, 8);
}

/* The work of one layer besides its states: the per-sample cosines and
** the larger of CKA and the probe (which run one after the other). */
static uint64_t work_bytes(size_t n, size_t d, int32_t C, int probes) {
  uint64_t w = cka_bytes(n, d), pb = probes ? qa_probe_bytes(n, d, C) : 0;
  return add_mul(pb > w ? pb : w, n, 8);
}

/* Before any work: every layer's peak must fit the budget. */
static int check_memory(const qa_depth_model *o, const qa_cache *b, int32_t C,
                        const budget *bg, qa_error *err) {
  size_t n = b->n_samples;
  char path[PATH_BYTES];
  for (size_t k = 0; k < o->n_layers; k++) {
    size_t d = o->dim[k];
    snprintf(path, sizeof path, "/hidden/%s", o->layers[k]);
    if (o->has_probes && qa_probe_check(n, d, C, UINT64_MAX, NULL, err)) {
      char msg[sizeof err->msg];
      snprintf(msg, sizeof msg, "%s", err->msg);
      return qa_error_set(err, QA_EXIT_DATA, b->path, path, "%s", msg);
    }
    uint64_t layer = qa_layer_bytes(n, d), work = work_bytes(n, d, C, o->has_probes);
    /* The configured layer is in memory already (the caches). */
    uint64_t need = k == o->configured ? work : add_mul(work, 2, layer);
    uint64_t avail = budget_now(bg, 0);
    if (need > avail)
      return qa_error_set(err, QA_EXIT_DATA, b->path, path,
                          "shape [%zu,%zu] needs %.3g GB in memory to be compared across "
                          "variants (the baseline's and one variant's states, %.3g GB each, and "
                          "the matrices of CKA and the probe), more than the %.3g GB %s",
                          n, d, (double)need / 1e9, (double)layer / 1e9, (double)avail / 1e9,
                          bg->what);
  }
  return 0;
}

/* ---- the layer list ------------------------------------------------------ */

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of a cache's layers, sorted (caller frees); NULL when out of memory. */
static const char **sorted_names(const qa_cache *c) {
  const char **v = malloc((c->n_layers ? c->n_layers : 1) * sizeof *v);
  if (!v) return NULL;
  for (size_t i = 0; i < c->n_layers; i++) v[i] = c->layers[i].name;
  qsort(v, c->n_layers, sizeof *v, by_name);
  return v;
}

static int has_name(const char **sorted, size_t n, const char *name) {
  return bsearch(&name, sorted, n, sizeof *sorted, by_name) != NULL;
}

/* The baseline's layers in order, each variant's cells marked present, the
** variants' layers the baseline lacks. */
static int list_layers(const qa_model *model, qa_depth_model *o, qa_error *err) {
  const qa_cache *b = model->variants[model->baseline].cache;
  size_t L = b->n_layers, nv = model->n_variants;
  const char **names = malloc(L * sizeof *names), **base_sorted = sorted_names(b);
  size_t *order = malloc(L * sizeof *order);
  int rc = 0;
  o->layers = malloc(L * sizeof *o->layers);
  o->dim = malloc(L * sizeof *o->dim);
  o->cells = calloc(nv * L, sizeof *o->cells);
  if (!names || !base_sorted || !order || !o->layers || !o->dim || !o->cells) goto oom;
  for (size_t i = 0; i < L; i++) names[i] = b->layers[i].name;
  qa_layer_order(names, L, order);
  for (size_t k = 0; k < L; k++) {
    o->layers[k] = b->layers[order[k]].name;
    o->dim[k] = b->layers[order[k]].cols;
    if (b->layer && strcmp(o->layers[k], b->layer) == 0) o->configured = k;
  }
  o->n_layers = L;
  o->n_variants = nv;
  for (size_t v = 0; v < nv && !rc; v++) {
    const qa_cache *c = model->variants[v].cache;
    const char **mine = sorted_names(c);
    if (!mine) goto oom;
    for (size_t k = 0; k < L; k++) {
      int here = v == model->baseline || has_name(mine, c->n_layers, o->layers[k]);
      o->cells[v * L + k].present = here;
      o->n_missing += !here;
    }
    for (size_t i = 0; i < c->n_layers; i++) {
      if (has_name(base_sorted, L, c->layers[i].name)) continue;
      qa_depth_extra *grown = realloc(o->extra, (o->n_extra + 1) * sizeof *grown);
      if (!grown) { free(mine); goto oom; }
      o->extra = grown;
      o->extra[o->n_extra++] = (qa_depth_extra){v, c->layers[i].name};
    }
    free(mine);
  }
  goto done;
oom:
  rc = qa_error_set(err, QA_EXIT_IO, b->path, "/hidden", "out of memory");
done:
  free(names);
  free(base_sorted);
  free(order);
  return rc;
}

/* ---- one layer ------------------------------------------------------------ */

/* The exponent e of the largest |x| (|x| < 2^e) when it lies outside
** [2^-100, 2^100], else 0 (representation.c's rule). */
static int scale_exponent(const double *x, size_t count) {
  double top = qa_repr_abs_max(x, count);   /* finite: the reader checked */
  int e = 0;
  if (top > 0) frexp(top, &e);
  return e > 100 || e < -100 ? e : 0;
}

static void scale(double *x, size_t count, int e) {
  for (size_t i = 0; i < count; i++) x[i] = ldexp(x[i], -e);
}

/* What the model's samples give every layer. */
typedef struct layer_ctx {
  size_t n;
  const int32_t *labels;      /* NULL: no probes */
  int32_t n_classes;
  double ridge;
} layer_ctx;

/* The baseline at one layer, kept while its variants are compared. */
typedef struct base_layer {
  size_t k;                   /* index in the list */
  size_t d;
  const double *raw;          /* the states as read (or loaded) */
  const double *scaled;       /* raw x 2^-exp: raw itself when exp is 0 */
  double *owned;              /* the scaled copy, when exp != 0 */
  int exp;
  qa_probe *probe;            /* NULL without probes */
  double native;              /* its accuracy on the baseline's own test rows */
  double frob2;               /* |Xc'Xc|_F^2 of `scaled` for CKA (D <= N), else NaN */
} base_layer;

static void base_layer_free(base_layer *bl) {
  free(bl->owned);
  qa_probe_free(bl->probe);
  memset(bl, 0, sizeof *bl);
}

/* |Xc'Xc|_F^2 of the states from their covariance (repr.h), so that CKA
** computes only its cross term (qa_repr_cka_linear_known) and the
** baseline's once a layer; NaN when D > N, where CKA takes the Gram path
** and computes both norms itself. */
static int gram_frob2(const double *x, size_t n, size_t d, double *out, qa_error *err) {
  *out = NAN;
  if (d > n || n < 2) return 0;
  double *cov = malloc(d * d * sizeof *cov);
  if (!cov) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  int rc = qa_repr_covariance(x, n, d, cov, NULL, err);
  if (!rc) *out = qa_repr_gram_frob2(cov, n, d);
  free(cov);
  return rc;
}

/* Linear CKA of X (|Xc'Xc|_F^2 = xx, NaN: unknown) against Y. */
static int cka(const double *x, double xx, const double *y, size_t n, size_t d, double *out,
               qa_error *err) {
  if (isnan(xx)) return qa_repr_cka_linear(x, y, n, d, out, err);
  /* Y's norm and the cross product from one centring of Y. */
  return qa_repr_cka_linear_known_x(x, y, n, d, xx, NULL, out, err);
}

/* Cosine mean and p05 of the rows of X against Y (repr.h). */
static int cosine_cell(const double *X, const double *Y, size_t n, size_t d,
                       qa_depth_cell *cell, qa_error *err) {
  double *c = malloc((n ? n : 1) * sizeof *c);
  if (!c) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  qa_repr_cosine(X, Y, n, d, c);
  qa_repr_cosine_stats cs;
  int rc = qa_repr_cosine_summary(c, n, &cs, err);
  free(c);
  cell->cosine_mean = cs.mean;
  cell->cosine_p05 = cs.p05;
  return rc;
}

static void cell_init(qa_depth_cell *cell) {
  cell->cosine_mean = cell->cosine_p05 = cell->sqnr_db = cell->cka_linear = NAN;
  cell->probe = (qa_probe_layer){NAN, NAN, NAN, NAN, NAN};
}

/* The baseline against itself at layer bl->k (raw: its states), and its
** probe.  repr: the representation analysis' numbers at the configured
** layer (NULL elsewhere). */
static int prepare_base(base_layer *bl, const double *raw, const layer_ctx *lc,
                        const qa_repr_result *repr, qa_depth_cell *cell, qa_error *err) {
  size_t n = lc->n, d = bl->d;
  bl->raw = bl->scaled = raw;
  bl->exp = scale_exponent(raw, n * d);
  bl->native = bl->frob2 = NAN;
  if (bl->exp) {
    if (!(bl->owned = malloc(n * d * sizeof *bl->owned)))
      return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
    memcpy(bl->owned, raw, n * d * sizeof *raw);
    scale(bl->owned, n * d, bl->exp);
    bl->scaled = bl->owned;
  }
  cell_init(cell);
  if (repr) {
    cell->cosine_mean = repr->cos_mean;
    cell->cosine_p05 = repr->cos_p05;
    cell->sqnr_db = repr->sqnr_db;
    cell->cka_linear = repr->cka_linear;
  } else {
    if (cosine_cell(raw, raw, n, d, cell, err)) return -1;
    /* Against itself: no error energy (SQNR null), CKA 1 where it exists,
    ** when the states are not constant (representation.c's convention for
    ** the baseline). */
    if (n >= 2) {
      double self = NAN;
      if (gram_frob2(bl->scaled, n, d, &bl->frob2, err) ||
          (isnan(bl->frob2) && qa_repr_cka_linear(bl->scaled, bl->scaled, n, d, &self, err)))
        return -1;
      int spread = isnan(bl->frob2) ? !isnan(self) : bl->frob2 > 0;
      cell->cka_linear = spread ? 1.0 : NAN;
    }
  }
  if (!lc->labels) return 0;
  qa_probe_eval ev;
  if (qa_probe_fit(bl->scaled, lc->labels, n, d, lc->n_classes, lc->ridge, &bl->probe, err) ||
      qa_probe_evaluate(bl->probe, bl->scaled, lc->labels, n, &ev, err))
    return -1;
  bl->native = ev.accuracy;
  /* The baseline's probe on its own states: transfer = native, delta 0. */
  cell->probe = (qa_probe_layer){ev.accuracy, ev.accuracy, 0.0, ev.auc, ev.auc};
  return 0;
}

/* Variant states y (writable: scaled in place) against the baseline at
** one layer.  repr: as in prepare_base. */
static int variant_cell(const base_layer *bl, double *y, const layer_ctx *lc,
                        const qa_repr_result *repr, qa_depth_cell *cell, qa_error *err) {
  size_t n = lc->n, d = bl->d;
  cell_init(cell);
  if (repr) {
    cell->cosine_mean = repr->cos_mean;
    cell->cosine_p05 = repr->cos_p05;
    cell->sqnr_db = repr->sqnr_db;
    cell->cka_linear = repr->cka_linear;
  } else {
    if (cosine_cell(bl->raw, y, n, d, cell, err)) return -1;
    cell->sqnr_db = qa_repr_sqnr_db(bl->raw, y, n, d);
  }
  if (bl->exp) scale(y, n * d, bl->exp);
  if (bl->probe &&
      qa_probe_layer_compare(bl->probe, bl->native, y, lc->labels, n, lc->ridge, &cell->probe,
                             err))
    return -1;
  if (repr || n < 2) return 0;
  int e = scale_exponent(y, n * d);
  if (e) scale(y, n * d, e);
  return cka(bl->scaled, bl->frob2, y, n, d, &cell->cka_linear, err);
}

/* Errors of the numbers (no file named) get the cache and the layer. */
static int name_error(qa_error *err, const char *file, const char *layer) {
  char msg[sizeof err->msg], path[PATH_BYTES];
  if (!err) return -1;
  snprintf(msg, sizeof msg, "%s", err->msg);
  snprintf(path, sizeof path, "/hidden/%s", layer);
  return qa_error_set(err, err->code ? err->code : QA_EXIT_IO, file, path, "%s", msg);
}

/* ---- the stage ------------------------------------------------------------ */

typedef struct stage {
  const qa_model *model;
  qa_depth_model *o;
  const qa_variant_result *res;
  layer_ctx lc;
  budget bg;
  qa_progress *p;
  size_t done, total;
  int threads;                /* --threads, resolved */
  pthread_mutex_t lock;       /* done, the progress line, the pool's list */
} stage;

static void step(stage *st) {
  pthread_mutex_lock(&st->lock);
  qa_progress_count(st->p, "depth", ++st->done, st->total, "cells");
  pthread_mutex_unlock(&st->lock);
}

/* BLAS threads of each variant's work: from --threads and the number of
** variants alone (never from the memory, which may only take workers
** away), so that the numbers depend on nothing else. */
static int inner_threads(const stage *st) {
  size_t others = st->model->n_variants > 1 ? st->model->n_variants - 1 : 1;
  int w = (size_t)st->threads < others ? st->threads : (int)others;
  if (w > 16) w = 16;
  return st->threads / w > 0 ? st->threads / w : 1;
}

/* ---- the variants, in parallel ------------------------------------------ */

/* One variant's part of a step (a layer batch, or the configured layer). */
typedef int (*variant_fn)(stage *st, size_t v, void *ctx, qa_error *err);

typedef struct pool {
  stage *st;
  variant_fn fn;
  void *ctx;
  size_t next;
  int stop;
  qa_error *errs;             /* [n_variants] */
  int *failed;                /* [n_variants] */
} pool;

static void *pool_worker(void *arg) {
  pool *pl = *(pool **)arg;
  stage *st = pl->st;
  size_t nv = st->model->n_variants;
  for (;;) {
    pthread_mutex_lock(&st->lock);
    size_t v = pl->next;
    if (v == st->model->baseline) v++;
    pl->next = v + 1;
    int stop = pl->stop || v >= nv;
    pthread_mutex_unlock(&st->lock);
    if (stop) return NULL;
    if (pl->fn(st, v, pl->ctx, &pl->errs[v])) {
      pl->failed[v] = 1;
      pthread_mutex_lock(&st->lock);
      pl->stop = 1;           /* no new variant; those taken finish */
      pthread_mutex_unlock(&st->lock);
    }
  }
}

/* Workers for the variants of one step: as many as --threads and the
** variants allow, and as the memory holds (per: one variant's bytes). */
static int workers_for(const stage *st, uint64_t per, uint64_t held) {
  if (!qa_fork_with_threads_ok()) return 1;   /* the layer reads fork */
  int w = st->threads;
  size_t others = st->model->n_variants - 1;
  if ((size_t)w > others) w = others ? (int)others : 1;
  if (w > 16) w = 16;
  uint64_t avail = budget_now(&st->bg, held);
  while (w > 1 && (per == UINT64_MAX || (uint64_t)w * per > avail)) w--;
  return w;
}

/* fn for every variant but the baseline, on `workers` threads, each with
** BLAS on inner_threads(st) threads; the error of the lowest failing
** variant is returned (a failure stops new work, the variants already
** taken finish: the lowest failing index is always among them). */
static int for_variants(stage *st, int workers, variant_fn fn, void *ctx, qa_error *err) {
  size_t nv = st->model->n_variants;
  pool pl = {st, fn, ctx, 0, 0, calloc(nv, sizeof(qa_error)), calloc(nv, sizeof(int))};
  if (!pl.errs || !pl.failed) {
    free(pl.errs); free(pl.failed);
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  }
  pool *jobs[16];
  for (int w = 0; w < workers && w < 16; w++) jobs[w] = &pl;
  qa_repr_set_threads(inner_threads(st));
  qa_run_parallel(pool_worker, jobs, sizeof jobs[0], workers < 16 ? workers : 16);
  qa_repr_set_threads(st->threads);
  int rc = 0;
  for (size_t v = 0; v < nv && !rc; v++)
    if (pl.failed[v]) {
      *err = pl.errs[v];
      rc = -1;
    }
  free(pl.errs); free(pl.failed);
  return rc;
}

/* Variant v at the configured layer (ctx: the baseline's base_layer). */
static int configured_variant(stage *st, size_t v, void *ctx, qa_error *err) {
  const base_layer *bl = ctx;
  qa_depth_model *o = st->o;
  size_t k = o->configured, L = o->n_layers, n = st->lc.n;
  const qa_cache *c = st->model->variants[v].cache;
  if (!o->cells[v * L + k].present || !c->hidden) return 0;
  /* The loaded states are the study's: scaled (probes) only in a copy. */
  double *y = (double *)c->hidden, *copy = NULL;
  if (bl->exp && bl->probe) {
    if (!(copy = malloc(n * bl->d * sizeof *copy)))
      return qa_error_set(err, QA_EXIT_IO, c->path, NULL, "out of memory");
    memcpy(copy, c->hidden, n * bl->d * sizeof *copy);
    y = copy;
  }
  int rc = variant_cell(bl, y, &st->lc, &st->res[v].repr, &o->cells[v * L + k], err);
  free(copy);
  if (rc) return name_error(err, c->path, o->layers[k]);
  step(st);
  return 0;
}

/* The configured layer: the loaded states of every cache. */
static int run_configured(stage *st, qa_error *err) {
  const qa_model *model = st->model;
  qa_depth_model *o = st->o;
  size_t k = o->configured, L = o->n_layers, n = st->lc.n;
  const qa_cache *b = model->variants[model->baseline].cache;
  base_layer bl = {k, o->dim[k], NULL, NULL, NULL, 0, NULL, NAN, NAN};
  int rc = prepare_base(&bl, b->hidden, &st->lc, &st->res[model->baseline].repr,
                        &o->cells[model->baseline * L + k], err);
  if (rc) name_error(err, b->path, o->layers[k]);
  else step(st);
  if (!rc) {
    uint64_t per = bl.exp && bl.probe ? qa_layer_bytes(n, bl.d) : 0;
    per = add_mul(per, 1, work_bytes(n, bl.d, st->lc.n_classes, bl.probe != NULL));
    rc = for_variants(st, workers_for(st, per, 0), configured_variant, &bl, err);
  }
  base_layer_free(&bl);
  return rc;
}

/* The arrays of one batch of nb layers (run_batch). */
typedef struct batch {
  const char **names;
  size_t *cols;
  base_layer *bl;
} batch;

static void batch_free(batch *bt) {
  free(bt->names);
  free(bt->cols);
  free(bt->bl);
}

static int batch_alloc(batch *bt, size_t nb) {
  bt->names = malloc(nb * sizeof *bt->names);
  bt->cols = malloc(nb * sizeof *bt->cols);
  bt->bl = calloc(nb, sizeof *bt->bl);
  return bt->names && bt->cols && bt->bl ? 0 : -1;
}

/* A batch of the baseline's layers, as every variant's worker sees it. */
typedef struct batch_ctx {
  const size_t *idx;
  size_t nb;
  const batch *bt;
  uint64_t held;              /* the bytes the baseline's layers take */
  int workers;
} batch_ctx;

/* One variant's layers of the batch: read, compared, released. */
static int run_variant(stage *st, size_t v, void *ctx, qa_error *err) {
  const batch_ctx *bc = ctx;
  const batch *bt = bc->bt;
  const qa_variant *var = &st->model->variants[v];
  qa_depth_model *o = st->o;
  size_t L = o->n_layers, ns = 0, nb = bc->nb;
  const char **names = malloc(nb * sizeof *names);
  size_t *cols = malloc(nb * sizeof *cols), *sub = malloc(nb * sizeof *sub);
  if (!names || !cols || !sub) {
    free(names); free(cols); free(sub);
    return qa_error_set(err, QA_EXIT_IO, var->cache->path, "/hidden", "out of memory");
  }
  for (size_t i = 0; i < nb; i++)
    if (o->cells[v * L + bc->idx[i]].present) {
      sub[ns] = i;
      names[ns] = bt->names[i];
      cols[ns++] = bt->cols[i];
    }
  int rc = 0;
  if (ns) {
    /* Each worker may hold its share of what the baseline leaves. */
    uint64_t left = budget_now(&st->bg, bc->held) / (uint64_t)bc->workers;
    qa_layer_request vr = {var->cache->path, ns, names, cols, st->lc.n, var->row_dest, left,
                           st->bg.what};
    qa_layer_set vset;
    rc = qa_layer_read(&vr, &vset, err);
    if (!rc) {
      for (size_t j = 0; !rc && j < ns; j++) {
        size_t i = sub[j];
        rc = variant_cell(&bt->bl[i], vset.x[j], &st->lc, NULL, &o->cells[v * L + bc->idx[i]],
                          err);
        if (rc) name_error(err, var->cache->path, bt->names[i]);
        else step(st);
      }
      qa_layer_set_free(&vset);
    }
  }
  free(names); free(cols); free(sub);
  return rc;
}

/* Layers idx[0 .. nb) (list indices) of the baseline, then of each variant. */
static int run_batch(stage *st, const size_t *idx, size_t nb, qa_error *err) {
  const qa_model *model = st->model;
  qa_depth_model *o = st->o;
  size_t L = o->n_layers, n = st->lc.n;
  const qa_cache *b = model->variants[model->baseline].cache;
  batch bt = {0};
  qa_layer_set bset;
  if (batch_alloc(&bt, nb)) {
    batch_free(&bt);
    return qa_error_set(err, QA_EXIT_IO, b->path, "/hidden", "out of memory");
  }
  uint64_t held = 0;
  for (size_t i = 0; i < nb; i++) {
    bt.names[i] = o->layers[idx[i]];
    bt.cols[i] = o->dim[idx[i]];
    held += qa_layer_bytes(n, bt.cols[i]);
  }
  qa_layer_request req = {b->path, nb, bt.names, bt.cols, n, NULL, budget_now(&st->bg, 0),
                          st->bg.what};
  if (qa_layer_read(&req, &bset, err)) {
    batch_free(&bt);
    return -1;
  }
  int rc = 0;
  for (size_t i = 0; !rc && i < nb; i++) {
    bt.bl[i].k = idx[i];
    bt.bl[i].d = bt.cols[i];
    rc = prepare_base(&bt.bl[i], bset.x[i], &st->lc, NULL,
                      &o->cells[model->baseline * L + idx[i]], err);
    if (rc) name_error(err, b->path, bt.names[i]);
    else step(st);
    if (bt.bl[i].owned) held += qa_layer_bytes(n, bt.cols[i]);
  }
  if (!rc) {
    uint64_t per = 0;
    for (size_t i = 0; i < nb; i++)
      per = add_mul(add_mul(per, 1, qa_layer_bytes(n, bt.cols[i])), 1,
                    work_bytes(n, bt.cols[i], st->lc.n_classes, st->o->has_probes));
    batch_ctx bc = {idx, nb, &bt, held, workers_for(st, per, held)};
    rc = for_variants(st, bc.workers, run_variant, &bc, err);
  }
  for (size_t i = 0; i < nb; i++) base_layer_free(&bt.bl[i]);
  qa_layer_set_free(&bset);
  batch_free(&bt);
  return rc;
}

int qa_analysis_depth(const qa_study *s, size_t m, const qa_variant_result *res, int threads,
                      qa_progress *p, qa_depth_model *out, qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  memset(out, 0, sizeof *out);
  out->configured = SIZE_MAX;
  if (!b->n_layers) return 0;
  if (list_layers(model, out, err)) return -1;
  out->present = 1;
  size_t n = b->n_samples, L = out->n_layers;
  stage st = {model, out, res, {n, NULL, (int32_t)model->n_classes, s->cfg->probe_ridge},
              budget_of(s), p, 0, 0, qa_repr_resolve_threads(threads), PTHREAD_MUTEX_INITIALIZER};
  qa_probe_split(n, &out->n_train, &out->n_test);
  /* Probes when the samples have labels and a train row exists. */
  if (b->labels && model->n_classes >= 1 && out->n_train >= 1) {
    out->has_probes = 1;
    st.lc.labels = b->labels;
  }
  if (check_memory(out, b, st.lc.n_classes, &st.bg, err)) return -1;
  for (size_t i = 0; i < model->n_variants * L; i++) st.total += out->cells[i].present;
  char detail[PATH_BYTES + 64];
  snprintf(detail, sizeof detail, "%s: %zu layer%s x %zu variant%s", model->name, L,
           L == 1 ? "" : "s", model->n_variants, model->n_variants == 1 ? "" : "s");
  qa_progress_stage(p, "depth", detail);
  qa_repr_set_threads(threads);
  int rc = out->configured < L && b->hidden ? run_configured(&st, err) : 0;
  size_t *idx = malloc(L * sizeof *idx);
  if (!rc && !idx) rc = qa_error_set(err, QA_EXIT_IO, b->path, "/hidden", "out of memory");
  for (size_t k = 0; !rc && k < L;) {
    /* The next batch: consecutive layers up to BATCH_BYTES (and an eighth
    ** of the budget), at least one. */
    uint64_t cap = budget_now(&st.bg, 0) / 8, sum = 0;
    if (cap > BATCH_BYTES) cap = BATCH_BYTES;
    size_t nb = 0;
    for (; k < L; k++) {
      if (k == out->configured && b->hidden) continue;
      uint64_t bytes = qa_layer_bytes(n, out->dim[k]);
      if (nb && (sum + bytes > cap || nb == BATCH_LAYERS)) break;
      idx[nb++] = k;
      sum += bytes;
    }
    if (nb) rc = run_batch(&st, idx, nb, err);
  }
  free(idx);
  if (rc) qa_depth_model_free(out);
  return rc;
}

/*
** Representation analysis of one model: every variant's hidden states at
** the configured layer against the baseline's (STATISTICS.md
** "Representation"), built on the primitives of repr.c.
**
** The baseline's neighbour lists and PCA axes are computed once and kept
** while its variants are compared; each variant's own neighbour list is
** freed as soon as its overlap is known.
**
** Extreme magnitudes: kNN, Spearman, CKA, the spectrum's effective rank
** and participation ratio and the PCA directions are invariant to scaling
** each cache's states by its own factor, and scaling by a power of two is
** exact.  When a cache's largest |x| lies outside [2^-100, 2^100] (where
** squares and fourth powers summed over N*D could overflow or lose bits)
** the analysis reads a copy scaled by 2^-e, e the exponent of that largest
** |x|.  The pair-wise numbers take care of themselves: the cosine scales
** each row, SQNR both caches at a common scale (repr.c); the PCA
** projections (scale 2^e) and the spectrum (2^2e) are scaled back, or
** dropped for the figures when not representable.
**
** Degenerate geometry (N = 1, k >= N, zero or constant states) gives null
** where a number does not exist; docs/reliability.md lists each case.
*/
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/coverage.h"
#include "analysis/repr.h"
#include "analysis/stats.h"
#include "util/parallel.h"

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* The classes that have samples: the distinct labels, ascending, in *out
** (caller frees); returns their count K <= n, or (size_t)-1 when out of
** memory.  O(N log N) whatever C is, so that a model naming two million
** classes for five samples costs five rows, not two million. */
static size_t class_count(const int32_t *labels, size_t n, int32_t **out) {
  int32_t *cls = malloc((n ? n : 1) * sizeof *cls);
  *out = cls;
  if (!cls) return (size_t)-1;
  memcpy(cls, labels, n * sizeof *cls);
  qsort(cls, n, sizeof *cls, cmp_i32);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (!k || cls[i] != cls[k - 1]) cls[k++] = cls[i];
  return k;
}

static int cmp_label(const void *a, const void *b) {
  const qa_class_result *x = a, *y = b;
  return (x->label > y->label) - (x->label < y->label);
}

/* The slot of class l among the K present classes, or -1. */
static int32_t class_slot(const int32_t *cls, size_t k, int32_t l) {
  const int32_t *hit = bsearch(&l, cls, k, sizeof *cls, cmp_i32);
  return hit ? (int32_t)(hit - cls) : -1;
}

/* One row per class with samples (docs/reliability.md "Number of
** classes"), in label order; an empty class has no numbers to report.
** The baseline's row of the same label gives the delta (found by label,
** never by position, so two tables of different lengths cannot be read
** past their ends).  Time O(N log N), memory O(N), independent of C. */
static int per_class(const qa_cache *v, const int32_t *pred, const qa_repr_result *base,
                     qa_repr_result *r, qa_error *err) {
  size_t n = v->n_samples;
  int32_t *cls = NULL, *lab_slot = malloc((n ? n : 1) * sizeof *lab_slot);
  int32_t *pred_slot = pred ? malloc((n ? n : 1) * sizeof *pred_slot) : NULL;
  qa_repr_class *sums = NULL;
  int rc = -1;
  size_t k = class_count(v->labels, n, &cls);
  if (k == (size_t)-1 || !lab_slot || (pred && !pred_slot)) goto oom;
  sums = malloc((k ? k : 1) * sizeof *sums);
  r->per_class = calloc(k ? k : 1, sizeof *r->per_class);
  if (!sums || !r->per_class) goto oom;
  /* The kernel counts slots 0..K-1; a prediction of a class without
  ** samples (-1) is never correct. */
  for (size_t i = 0; i < n; i++) {
    lab_slot[i] = class_slot(cls, k, v->labels[i]);
    if (pred) pred_slot[i] = class_slot(cls, k, pred[i]);
  }
  qa_repr_per_class(r->cosine, pred_slot, lab_slot, n, (int32_t)k, sums);
  r->n_classes = k;
  for (size_t c = 0; c < k; c++) {
    qa_class_result *o = &r->per_class[c];
    o->label = cls[c];
    o->n = sums[c].n;
    o->cosine_mean = sums[c].cosine_mean;
    o->knn_accuracy = sums[c].knn_accuracy;
    double b = o->knn_accuracy;
    if (base && base->per_class) {
      qa_class_result key = {.label = cls[c]};
      const qa_class_result *hit =
          bsearch(&key, base->per_class, base->n_classes, sizeof key, cmp_label);
      b = hit ? hit->knn_accuracy : NAN;
    }
    o->knn_delta_pp = 100.0 * (o->knn_accuracy - b);
  }
  rc = 0;
  goto done;
oom:
  rc = qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
done:
  free(cls); free(lab_slot); free(pred_slot); free(sums);
  return rc;
}

/* The spectrum of vh (v's states as analysed, scaled by 2^-exponent):
** eigenvalues kept for the figure in the cache's own units when they are
** representable, |Xc'Xc|_F^2 (scaled units: CKA only takes ratios).
** r->spectrum and r->gram_frob2 come computed already when not NULL (the
** baseline's, with its PCA axes). */
static int spectrum(const qa_cache *v, const double *vh, int exponent, qa_repr_result *r,
                    qa_error *err) {
  size_t d = v->dim;
  if (!r->spectrum) {
    if (!(r->spectrum = malloc((d ? d : 1) * sizeof *r->spectrum)))
      return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
    if (qa_repr_data_spectrum(vh, v->n_samples, d, QA_REPR_PATH_AUTO, r->spectrum,
                              &r->gram_frob2, err))
      return -1;
  }
  r->effective_rank = qa_repr_effective_rank(r->spectrum, d);
  r->participation_ratio = qa_repr_participation_ratio(r->spectrum, d);
  if (exponent && d) {
    /* Back to the cache's units (x 2^2e): the figure draws eigenvalues on a
    ** log axis; when the largest overflows or the smallest kept one
    ** (> 1e-12 of the largest) underflows, the figure goes without it. */
    double top = r->spectrum[0], low = top;
    for (size_t j = 0; j < d && r->spectrum[j] > 1e-12 * top; j++) low = r->spectrum[j];
    if (top > 0 && (!isfinite(ldexp(top, 2 * exponent)) ||
                    !isnormal(ldexp(low, 2 * exponent)))) {
      free(r->spectrum);
      r->spectrum = NULL;
    } else {
      for (size_t j = 0; j < d; j++) r->spectrum[j] = ldexp(r->spectrum[j], 2 * exponent);
    }
  }
  return 0;
}

/* The first k of each K-long neighbour list, as k-long lists (new array). */
static int32_t *prefix_lists(const int32_t *nbr, size_t n, size_t K, size_t k) {
  int32_t *out = malloc((n * k > 0 ? n * k : 1) * sizeof *out);
  if (!out) return NULL;
  for (size_t i = 0; i < n; i++) memcpy(out + i * k, nbr + i * K, k * sizeof *out);
  return out;
}

/* The neighbour lists' length: knn_k, or the largest overlap_ks below n
** when larger, so that one ranking serves the kNN and every overlap_at
** (the first k of a K-list are the k-list: same tie rule). */
static size_t lists_length(const qa_config *cfg, size_t n) {
  size_t K = (size_t)cfg->knn_k;
  for (size_t j = 0; j < cfg->n_overlap_ks; j++)
    if ((size_t)cfg->overlap_ks[j] < n && (size_t)cfg->overlap_ks[j] > K)
      K = (size_t)cfg->overlap_ks[j];
  return K;
}

/* The kNN part: own neighbours (K-long lists), accuracy and overlap with the
** baseline's at knn_k, and the overlap at every configured k. */
static int knn_part(const qa_config *cfg, const qa_cache *v, const double *vh,
                    const qa_repr_result *base, size_t k, int threads, qa_repr_result *r,
                    qa_error *err) {
  size_t n = v->n_samples, K = lists_length(cfg, n);
  r->knn_lists = K;
  r->neighbors = malloc(n * K * sizeof *r->neighbors);
  if (!r->neighbors) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  if (qa_knn_compute(vh, n, v->dim, K, threads, r->neighbors, err)) return -1;
  int32_t *own = K == k ? r->neighbors : prefix_lists(r->neighbors, n, K, k);
  int32_t *theirs = NULL;
  if (!own) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  if (v->labels) {
    if (!(r->knn_pred = malloc((n ? n : 1) * sizeof *r->knn_pred))) goto oom;
    qa_knn_predict(own, n, k, v->labels, r->knn_pred);
    r->knn_accuracy = qa_knn_accuracy(r->knn_pred, v->labels, n);
  }
  if (base && base->neighbors) {
    theirs = base->knn_lists == k ? base->neighbors
                                  : prefix_lists(base->neighbors, n, base->knn_lists, k);
    if (!theirs) goto oom;
    r->neighbor_overlap = qa_neighbor_overlap(theirs, own, n, k);
  }
  /* overlap_at: the baseline's own is 1 at every k. */
  double *at = malloc(K * sizeof *at);
  if (!at) goto oom;
  if (base) {
    if (qa_overlap_at(base->neighbors, r->neighbors, n, K, at, err)) { free(at); goto fail; }
  } else {
    for (size_t j = 0; j < K; j++) at[j] = 1.0;
  }
  for (size_t j = 0; j < cfg->n_overlap_ks && r->n_overlap < QA_REPR_MAX_OVERLAP; j++) {
    size_t kk = (size_t)cfg->overlap_ks[j];
    if (kk >= n) continue;
    r->overlap_k[r->n_overlap] = (int)kk;
    r->overlap_at[r->n_overlap++] = at[kk - 1];
  }
  free(at);
  /* The worst samples: the lowest cosines, with what became of their
  ** neighbourhoods and kNN verdicts. */
  if (base && cfg->worst_samples > 0) {
    size_t want = (size_t)cfg->worst_samples < n ? (size_t)cfg->worst_samples : n;
    qa_worst_input in = {r->cosine, n, theirs, own, k, v->labels, base->knn_pred, r->knn_pred};
    if (!(r->worst = calloc(want ? want : 1, sizeof *r->worst))) goto oom;
    if (qa_worst_samples(&in, want, r->worst, &r->n_worst, err)) goto fail;
  }
  if (own != r->neighbors) free(own);
  if (base && theirs != base->neighbors) free(theirs);
  return 0;
oom:
  qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
fail:
  if (own != r->neighbors) free(own);
  if (base && theirs && theirs != base->neighbors) free(theirs);
  return -1;
}

/* Per class: exact McNemar on the kNN correctness of baseline and
** variant within the class, Holm over the variant's classes. */
static int class_mcnemar(const qa_cache *v, const qa_repr_result *base, qa_repr_result *r,
                         qa_error *err) {
  size_t n = v->n_samples, k = r->n_classes;
  for (size_t c = 0; c < k; c++) r->per_class[c].knn_mcnemar_p = r->per_class[c].knn_mcnemar_p_holm = NAN;
  if (!base || !base->knn_pred || !r->knn_pred || !k) return 0;
  uint64_t *bc = calloc(2 * k, sizeof *bc);
  double *p = malloc(k * sizeof *p), *ph = malloc(k * sizeof *ph);
  int rc = 0;
  if (!bc || !p || !ph) { rc = qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory"); goto done; }
  for (size_t i = 0; i < n; i++) {
    qa_class_result key = {.label = v->labels[i]};
    const qa_class_result *hit = bsearch(&key, r->per_class, k, sizeof key, cmp_label);
    if (!hit) continue;
    size_t c = (size_t)(hit - r->per_class);
    int okb = base->knn_pred[i] == v->labels[i], okv = r->knn_pred[i] == v->labels[i];
    if (okb && !okv) bc[2 * c]++;          /* b: lost */
    if (!okb && okv) bc[2 * c + 1]++;      /* c: gained */
  }
  for (size_t c = 0; c < k; c++) p[c] = qa_mcnemar_exact(bc[2 * c], bc[2 * c + 1]);
  if (qa_holm(p, k, ph)) { rc = qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory"); goto done; }
  for (size_t c = 0; c < k; c++) {
    r->per_class[c].knn_mcnemar_p = p[c];
    r->per_class[c].knn_mcnemar_p_holm = ph[c];
  }
done:
  free(bc); free(p); free(ph);
  return rc;
}

/* The baseline's hidden states as the analysis reads them. */
typedef struct layer_view {
  int exponent;            /* scaled by 2^-exponent; 0: the cache's own */
  const double *base;
  const double *base_raw;  /* the cache's own values */
  /* Held around the Spearman ranking (20 bytes a pair: the largest buffer
  ** of a variant) while variants run in parallel, so that one ranking is
  ** in memory at a time; NULL when they run one after another. */
  pthread_mutex_t *ranking;
} layer_view;

/* The exponent e of the cache's largest |x| (|x| < 2^e) when it lies
** outside [2^-100, 2^100], else 0.  Within that range every sum of
** squares or of fourth powers (CKA) over N*D < 2^62 terms stays a normal
** double; outside it the analysis rescales (file header). */
static int cache_exponent(const qa_cache *c) {
  double top = qa_repr_abs_max(c->hidden, c->n_samples * c->dim);
  int e = 0;
  if (top > 0) frexp(top, &e);
  return e > 100 || e < -100 ? e : 0;
}

/* v's states scaled by 2^-exponent into a new array, or v's own when the
** exponent is 0 (*owned NULL). */
static int view_of(const qa_cache *v, int exponent, const double **out, double **owned,
                   qa_error *err) {
  size_t count = v->n_samples * v->dim;
  *owned = NULL;
  *out = v->hidden;
  if (!exponent) return 0;
  if (!(*owned = malloc((count ? count : 1) * sizeof **owned)))
    return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  for (size_t i = 0; i < count; i++) (*owned)[i] = ldexp(v->hidden[i], -exponent);
  *out = *owned;
  return 0;
}

/* v's Spearman correlation with the baseline's pair distances, under the
** ranking lock: waiting for it when `wait`, else only if it is free
** (*done says whether it ran). */
static int spearman_part(const layer_view *lv, const qa_spearman_ref *sref, const double *vh,
                         int wait, qa_repr_result *r, int *done, qa_error *err) {
  *done = 0;
  if (lv->ranking) {
    if (wait) pthread_mutex_lock(lv->ranking);
    else if (pthread_mutex_trylock(lv->ranking) != 0) return 0;
  }
  int bad = qa_repr_spearman_vs(sref, vh, &r->spearman_rho, &r->pairs, err);
  if (lv->ranking) pthread_mutex_unlock(lv->ranking);
  *done = 1;
  return bad ? -1 : 0;
}

/* Everything for variant v (states vh = v's scaled by 2^-v_exp); base is
** NULL when v is the baseline.  mean is the baseline's, in lv's scale. */
static int one_variant(const qa_config *cfg, const layer_view *lv, const qa_cache *v,
                       const double *vh, int v_exp, const qa_repr_result *base,
                       const qa_spearman_ref *sref, const double *axes, const double *mean,
                       int threads, qa_repr_result *r, qa_error *err) {
  size_t n = v->n_samples, d = v->dim, k = (size_t)cfg->knn_k;
  int is_base = base == NULL;
  r->present = 1;
  r->n = n;
  r->dim = d;
  r->sqnr_db = r->spearman_rho = r->cka_linear = NAN;
  r->knn_accuracy = r->knn_delta_pp = r->neighbor_overlap = NAN;
  r->effective_rank = r->participation_ratio = NAN;
  r->cosine = malloc((n ? n : 1) * sizeof *r->cosine);
  if (!r->cosine) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  qa_repr_cosine(lv->base, vh, n, d, r->cosine);
  qa_repr_cosine_stats cs;
  if (qa_repr_cosine_summary(r->cosine, n, &cs, err)) return -1;
  r->cos_mean = cs.mean; r->cos_median = cs.median; r->cos_p05 = cs.p05; r->cos_min = cs.min;
  size_t pairs = 0;
  qa_repr_spearman_stride(n, (size_t)cfg->pairs_max, &pairs);
  r->pairs = pairs;
  if (is_base) {
    /* A variant of itself: rho = 1 wherever rho exists (no test). */
    if (sref && qa_repr_spearman_ref_has_spread(sref)) r->spearman_rho = 1.0;
  } else {
    /* On the caches' own values: SQNR needs one scale for both. */
    r->sqnr_db = qa_repr_sqnr_db(lv->base_raw, v->hidden, n, d);
  }
  /* The Spearman ranking now if no other variant holds the ranking buffers,
  ** else after the kNN: the workers' rankings interleave, never wait. */
  int ranked = is_base;
  if (!ranked && spearman_part(lv, sref, vh, 0, r, &ranked, err)) return -1;
  int rc = 0;
  r->coverage = r->density = NAN;
  /* kNN needs k neighbours besides the sample: k >= N leaves it null. */
  if (k >= 1 && k + 1 <= n) {
    r->knn_k = k;
    rc = knn_part(cfg, v, vh, base, k, threads, r, err);
    if (is_base) r->neighbor_overlap = 1.0;
    r->knn_delta_pp = 100.0 * (r->knn_accuracy - (is_base ? r->knn_accuracy : base->knn_accuracy));
  }
  if (!ranked) {
    /* Deferred: run even after a kNN failure, and its error first, as when
    ** it runs before the kNN, so that the error reported never depends on
    ** which worker held the lock. */
    qa_error first = {0};
    if (spearman_part(lv, sref, vh, 1, r, &ranked, &first)) {
      *err = first;
      return -1;
    }
  }
  if (!rc && v->labels) rc = per_class(v, r->knn_k ? r->knn_pred : NULL, base, r, err);
  if (!rc && v->labels) rc = class_mcnemar(v, base, r, err);
  if (rc || (n >= 2 && spectrum(v, vh, v_exp, r, err))) return -1;
  /* CKA after the spectrum: both Gram norms come from it.  It exists when
  ** neither side is constant (|Xc'Xc|_F > 0); the baseline's is then 1. */
  if (is_base && r->gram_frob2 > 0) r->cka_linear = 1.0;
  if (!is_base && n >= 2 &&
      qa_repr_cka_linear_known(lv->base, vh, n, d, base->gram_frob2, r->gram_frob2,
                               &r->cka_linear, err))
    return -1;
  if (axes) {
    double *mean_v = NULL;
    if (!(r->pca_xy = malloc(2 * n * sizeof *r->pca_xy)) ||
        (v_exp != lv->exponent && !(mean_v = malloc(d * sizeof *mean_v))))
      return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
    /* The baseline's mean in v's scale (the axes are directions: no scale). */
    for (size_t j = 0; mean_v && j < d; j++) mean_v[j] = ldexp(mean[j], lv->exponent - v_exp);
    qa_repr_project(vh, n, d, mean_v ? mean_v : mean, axes, r->pca_xy);
    free(mean_v);
    /* Back to the cache's units (x 2^e).  A projection beyond the doubles,
    ** or one whose largest |value| is below 2^-900 (axis steps would
    ** underflow), leaves the figure without this variant. */
    double top = 0;
    for (size_t i = 0; i < 2 * n; i++) {
      if (v_exp) r->pca_xy[i] = ldexp(r->pca_xy[i], v_exp);
      top = isfinite(r->pca_xy[i]) ? fmax(top, fabs(r->pca_xy[i])) : INFINITY;
      if (isinf(top)) break;
    }
    if (isinf(top) || (top > 0 && top < 0x1p-900)) {
      free(r->pca_xy);
      r->pca_xy = NULL;
    }
  }
  return 0;
}

/* ---- the variants, in parallel ------------------------------------------ */

/* What every variant is compared with, and the work list: each worker takes
** the next variant (by index) and runs it on its own BLAS thread. */
typedef struct variant_pool {
  const qa_study *s;
  const qa_model *model;
  const layer_view *lv;
  qa_variant_result *res;
  const qa_variant_result *base;
  const qa_spearman_ref *sref;
  const double *axes, *mean;
  const qa_coverage_ref *cref;
  qa_progress *p;
  size_t next, done;
  int stop, inner_threads;
  qa_error *errs;               /* [n_variants]: each variant's own error */
  pthread_mutex_t lock;
} variant_pool;

/* Variant vi against the baseline: everything, then its lists released. */
static int variant_job(variant_pool *pl, size_t vi, qa_error *err) {
  const qa_cache *v = pl->model->variants[vi].cache;
  const layer_view *lv = pl->lv;
  size_t n = v->n_samples;
  const double *vh = NULL;
  double *var_owned = NULL;
  qa_repr_result *r = &pl->res[vi].repr;
  int v_exp = cache_exponent(v);
  int rc = view_of(v, v_exp, &vh, &var_owned, err) ||
           one_variant(pl->s->cfg, lv, v, vh, v_exp, &pl->base->repr, pl->sref, pl->axes,
                       pl->mean, pl->inner_threads, r, err);
  if (!rc && pl->cref) {
    /* Distances need both sides at one scale: the baseline's. */
    const double *y = vh;
    double *y_owned = NULL;
    if (v_exp != lv->exponent && !(rc = view_of(v, lv->exponent, &y, &y_owned, err)) && !y_owned)
      y = v->hidden;
    qa_coverage_result cov;
    if (!rc && !(rc = qa_coverage_density_ref(pl->cref, y, n, &cov, err))) {
      r->coverage = cov.coverage;
      r->density = cov.density;
    }
    free(y_owned);
  }
  free(var_owned);
  free(r->neighbors);
  r->neighbors = NULL;
  free(r->knn_pred);
  r->knn_pred = NULL;
  return rc;
}

static void *variant_worker(void *arg) {
  variant_pool *pl = *(variant_pool **)arg;
  for (;;) {
    pthread_mutex_lock(&pl->lock);
    size_t vi = pl->next;
    while (vi < pl->model->n_variants &&
           (vi == pl->model->baseline || !pl->model->variants[vi].cache->hidden))
      vi++;
    pl->next = vi + 1;
    int stop = pl->stop || vi >= pl->model->n_variants;
    pthread_mutex_unlock(&pl->lock);
    if (stop) return NULL;
    int rc = variant_job(pl, vi, &pl->errs[vi]);
    pthread_mutex_lock(&pl->lock);
    /* A failure stops new work; the variants already taken finish, so the
    ** error of the lowest failing index is always among those recorded. */
    if (rc) pl->stop = 1;
    else qa_progress_count(pl->p, "representation", ++pl->done, pl->model->n_variants, "variants");
    pthread_mutex_unlock(&pl->lock);
  }
}

/* Workers: as many as threads and variants allow and as many eigenproblem
** workspaces (the largest per-variant buffer) as the memory budget holds;
** each runs BLAS on one thread, so that the single-threaded parts of one
** variant (ranking, selection, scans) overlap another's products.  The
** numbers do not depend on which worker runs a variant: each is computed by
** the same code on the same BLAS thread count.  (BLAS's own results may
** differ in the last bit with its thread count, so --threads may change a
** number's 16th digit, never a printed one; the same --threads gives the
** same bytes.) */
static int run_variants(variant_pool *pl, int threads, qa_error *err) {
  const qa_model *model = pl->model;
  size_t todo = 0, nv = model->n_variants;
  for (size_t vi = 0; vi < nv; vi++)
    if (vi != model->baseline && model->variants[vi].cache->hidden) todo++;
  if (!todo) return 0;
  const qa_cache *b = model->variants[model->baseline].cache;
  int t = qa_repr_resolve_threads(threads);
  int workers = (size_t)t < todo ? t : (int)todo;
  if (workers > 16) workers = 16;
  /* BLAS's thread count follows from --threads and the variants alone, so
  ** that the numbers do too; memory may only take workers away. */
  pl->inner_threads = t / workers > 0 ? t / workers : 1;
  const char *what = NULL;
  uint64_t budget = qa_analysis_work_budget(pl->s, &what);
  uint64_t per = qa_repr_eigen_bytes(b->n_samples, b->dim);
  while (workers > 1 && (per == UINT64_MAX || (uint64_t)workers * per > budget)) workers--;
  if (!(pl->errs = calloc(nv, sizeof *pl->errs)))
    return qa_error_set(err, QA_EXIT_IO, b->path, NULL, "out of memory");
  variant_pool *jobs[16];
  for (int w = 0; w < workers; w++) jobs[w] = pl;
  pthread_mutex_t ranking = PTHREAD_MUTEX_INITIALIZER;
  layer_view lv = *pl->lv;
  if (workers > 1) lv.ranking = &ranking;
  pl->lv = &lv;
  qa_repr_set_threads(pl->inner_threads);
  qa_run_parallel(variant_worker, jobs, sizeof jobs[0], workers);
  qa_repr_set_threads(threads);
  int rc = 0;
  for (size_t vi = 0; vi < nv && !rc; vi++)
    if (pl->errs[vi].msg[0] || pl->errs[vi].code) {
      *err = pl->errs[vi];
      rc = -1;
    }
  free(pl->errs);
  pl->errs = NULL;
  return rc;
}

int qa_analysis_representation_check(const qa_study *s, uint64_t budget_bytes,
                                     const char *budget_what, qa_error *err) {
  for (size_t m = 0; m < s->n_models; m++) {
    const qa_model *model = &s->models[m];
    const qa_cache *b = model->variants[model->baseline].cache;
    if (!b->hidden) continue;
    if (qa_repr_eigen_check(b->n_samples, b->dim, budget_bytes, budget_what, err)) {
      /* The reason from repr.c, with the cache and the layer named. */
      char msg[sizeof err->msg], hpath[300];
      snprintf(msg, sizeof msg, "%s", err->msg);
      snprintf(hpath, sizeof hpath, "/hidden/%s", b->layer ? b->layer : s->cfg->layer);
      return qa_error_set(err, QA_EXIT_DATA, b->path, hpath, "%s", msg);
    }
  }
  return 0;
}

/* The baseline's references every variant is compared with: its pair
** distance ranks (Spearman) and its radii (coverage and density). */
typedef struct refs_job {
  const qa_study *s;
  const double *base;
  size_t n, d, k;
  qa_spearman_ref *sref;
  qa_coverage_ref *cref;
  int rc;
  qa_error err;
} refs_job;

static void *refs_main(void *arg) {
  refs_job *j = arg;
  j->rc = qa_repr_spearman_ref_new(j->base, j->n, j->d, (size_t)j->s->cfg->pairs_max, &j->sref,
                                   &j->err);
  if (!j->rc && j->k >= 1 && j->k + 1 <= j->n)
    j->rc = qa_coverage_ref_new(j->base, j->n, j->d, j->k, 0, QA_COVERAGE_FLOAT32, &j->cref,
                                &j->err);
  return NULL;
}

int qa_analysis_representation(const qa_study *s, size_t m, qa_variant_result *res,
                               int threads, qa_progress *p, qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  if (!b->hidden) return 0;
  size_t n = b->n_samples, d = b->dim;
  double *axes = NULL, *mean = NULL, *base_owned = NULL;
  qa_spearman_ref *sref = NULL;
  layer_view lv = {cache_exponent(b), NULL, b->hidden, NULL};
  qa_variant_result *base = &res[model->baseline];
  int rc = view_of(b, lv.exponent, &lv.base, &base_owned, err);
  /* The baseline's references on a second thread while this one computes
  ** its own numbers, BLAS on one thread each (with one thread, one after
  ** the other on that thread: the same numbers). */
  size_t k = (size_t)s->cfg->knn_k;
  qa_coverage_ref *cref = NULL;
  refs_job rj = {s, lv.base, n, d, k, NULL, NULL, 0, {0}};
  int two = qa_repr_resolve_threads(threads) >= 2;
  qa_repr_set_threads(1);
  pthread_t tid;
  int started = !rc && two && pthread_create(&tid, NULL, refs_main, &rj) == 0;
  if (!rc && n >= 2 && d >= 2) {
    axes = malloc(2 * d * sizeof *axes);
    mean = malloc(d * sizeof *mean);
    base->repr.spectrum = malloc(d * sizeof *base->repr.spectrum);
    if (!axes || !mean || !base->repr.spectrum)
      rc = qa_error_set(err, QA_EXIT_IO, b->path, NULL, "out of memory");
    /* The axes and the baseline's spectrum from one centred square. */
    if (!rc)
      rc = qa_repr_pca_axes_spectrum(lv.base, n, d, mean, axes, base->repr.spectrum,
                                     &base->repr.gram_frob2, err);
  }
  if (!rc) {
    qa_progress_count(p, "representation", 1, model->n_variants, "variants");
    rc = one_variant(s->cfg, &lv, b, lv.base, lv.exponent, NULL, NULL, axes, mean, 1,
                     &base->repr, err);
  }
  if (started) pthread_join(tid, NULL);
  else if (!rc) refs_main(&rj);
  sref = rj.sref;
  cref = rj.cref;
  if (!rc && rj.rc) {
    *err = rj.err;
    rc = -1;
  }
  /* A variant of itself: rho = 1 wherever rho exists (no test). */
  if (!rc && qa_repr_spearman_ref_has_spread(sref)) base->repr.spearman_rho = 1.0;
  qa_repr_set_threads(threads);
  if (!rc) {
    variant_pool pool = {s, model, &lv, res, base, sref, axes, mean, cref, p, 0, 1, 0, 0, NULL,
                         PTHREAD_MUTEX_INITIALIZER};
    rc = run_variants(&pool, threads, err);
  }
  qa_coverage_ref_free(cref);
  qa_repr_spearman_ref_free(sref);
  free(base->repr.neighbors);
  base->repr.neighbors = NULL;
  free(base->repr.knn_pred);
  base->repr.knn_pred = NULL;
  free(base_owned);
  free(axes);
  free(mean);
  return rc;
}

/*
** Representation analysis of one model: every variant's hidden states at
** the configured layer against the baseline's (STATISTICS.md
** "Representation"), built on the primitives of repr.c.
**
** The baseline's neighbour lists and PCA axes are computed once and kept
** while its variants are compared; each variant's own neighbour list is
** freed as soon as its overlap is known.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/repr.h"

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

static int spectrum(const qa_cache *v, qa_repr_result *r, qa_error *err) {
  size_t d = v->dim;
  double *cov = malloc(d * d * sizeof *cov);
  r->spectrum = malloc(d * sizeof *r->spectrum);
  if (!cov || !r->spectrum) {
    free(cov);
    return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  }
  int rc = qa_repr_covariance(v->hidden, v->n_samples, d, cov, NULL, err) ||
           qa_repr_spectrum(cov, d, r->spectrum, err);
  if (!rc) r->gram_frob2 = qa_repr_gram_frob2(cov, v->n_samples, d);
  free(cov);
  if (rc) return -1;
  r->effective_rank = qa_repr_effective_rank(r->spectrum, d);
  r->participation_ratio = qa_repr_participation_ratio(r->spectrum, d);
  return 0;
}

/* The kNN part: own neighbours, accuracy, overlap with the baseline's. */
static int knn_part(const qa_cache *v, const int32_t *base_nbr, size_t k, int threads,
                    qa_repr_result *r, int32_t *pred, qa_error *err) {
  size_t n = v->n_samples;
  r->neighbors = malloc(n * k * sizeof *r->neighbors);
  if (!r->neighbors) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  if (qa_knn_compute(v->hidden, n, v->dim, k, threads, r->neighbors, err)) return -1;
  if (v->labels) {
    qa_knn_predict(r->neighbors, n, k, v->labels, pred);
    r->knn_accuracy = qa_knn_accuracy(pred, v->labels, n);
  }
  if (base_nbr) r->neighbor_overlap = qa_neighbor_overlap(base_nbr, r->neighbors, n, k);
  return 0;
}

/* Everything for variant v; base is NULL when v is the baseline. */
static int one_variant(const qa_config *cfg, const qa_cache *b, const qa_cache *v,
                       const qa_repr_result *base, const qa_spearman_ref *sref,
                       const double *axes, const double *mean, int threads,
                       qa_repr_result *r, qa_error *err) {
  size_t n = v->n_samples, d = v->dim, k = (size_t)cfg->knn_k;
  int is_base = base == NULL;
  r->present = 1;
  r->n = n;
  r->dim = d;
  r->sqnr_db = r->spearman_rho = r->cka_linear = NAN;
  r->knn_accuracy = r->knn_delta_pp = r->neighbor_overlap = NAN;
  r->effective_rank = r->participation_ratio = NAN;
  r->cosine = malloc(n * sizeof *r->cosine);
  if (!r->cosine) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  qa_repr_cosine(b->hidden, v->hidden, n, d, r->cosine);
  qa_repr_cosine_stats cs;
  if (qa_repr_cosine_summary(r->cosine, n, &cs, err)) return -1;
  r->cos_mean = cs.mean; r->cos_median = cs.median; r->cos_p05 = cs.p05; r->cos_min = cs.min;
  size_t pairs = 0;
  qa_repr_spearman_stride(n, (size_t)cfg->pairs_max, &pairs);
  r->pairs = pairs;
  if (is_base) {
    r->spearman_rho = r->cka_linear = 1.0;   /* a variant of itself; no test */
  } else {
    r->sqnr_db = qa_repr_sqnr_db(b->hidden, v->hidden, n, d);
    if (qa_repr_spearman_vs(sref, v->hidden, &r->spearman_rho, &r->pairs, err)) return -1;
  }
  int32_t *pred = v->labels ? malloc(n * sizeof *pred) : NULL;
  if (v->labels && !pred) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  int rc = 0;
  if (k >= 1 && k + 1 <= n) {
    r->knn_k = k;
    rc = knn_part(v, is_base ? NULL : base->neighbors, k, threads, r, pred, err);
    if (is_base) r->neighbor_overlap = 1.0;
    r->knn_delta_pp = 100.0 * (r->knn_accuracy - (is_base ? r->knn_accuracy : base->knn_accuracy));
  }
  if (!rc && v->labels) rc = per_class(v, r->knn_k ? pred : NULL, base, r, err);
  free(pred);
  if (rc || (n >= 2 && spectrum(v, r, err))) return -1;
  /* CKA after the spectrum: both Gram norms come from the covariances. */
  if (!is_base && n >= 2 &&
      qa_repr_cka_linear_known(b->hidden, v->hidden, n, d, base->gram_frob2, r->gram_frob2,
                               &r->cka_linear, err))
    return -1;
  if (axes) {
    if (!(r->pca_xy = malloc(2 * n * sizeof *r->pca_xy)))
      return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
    qa_repr_project(v->hidden, n, d, mean, axes, r->pca_xy);
  }
  return 0;
}

int qa_analysis_representation(const qa_study *s, size_t m, qa_variant_result *res,
                               int threads, qa_progress *p, qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  if (!b->hidden) return 0;
  size_t n = b->n_samples, d = b->dim;
  double *axes = NULL, *mean = NULL;
  int rc = 0;
  qa_repr_set_threads(threads);
  if (n >= 2 && d >= 2) {
    axes = malloc(2 * d * sizeof *axes);
    mean = malloc(d * sizeof *mean);
    if (!axes || !mean) rc = qa_error_set(err, QA_EXIT_IO, b->path, NULL, "out of memory");
    if (!rc) rc = qa_repr_pca_axes(b->hidden, n, d, mean, axes, err);
  }
  qa_variant_result *base = &res[model->baseline];
  if (!rc) {
    qa_progress_step(p, "representation", 1, model->n_variants);
    rc = one_variant(s->cfg, b, b, NULL, NULL, axes, mean, threads, &base->repr, err);
  }
  /* The baseline's pair-distance ranks serve every variant's Spearman. */
  qa_spearman_ref *sref = NULL;
  if (!rc) rc = qa_repr_spearman_ref_new(b->hidden, n, d, (size_t)s->cfg->pairs_max, &sref, err);
  size_t done = 1;
  for (size_t vi = 0; !rc && vi < model->n_variants; vi++) {
    const qa_cache *v = model->variants[vi].cache;
    if (vi == model->baseline || !v->hidden) continue;
    qa_progress_step(p, "representation", ++done, model->n_variants);
    rc = one_variant(s->cfg, b, v, &base->repr, sref, axes, mean, threads, &res[vi].repr, err);
    free(res[vi].repr.neighbors);
    res[vi].repr.neighbors = NULL;
  }
  qa_repr_spearman_ref_free(sref);
  free(base->repr.neighbors);
  base->repr.neighbors = NULL;
  free(axes);
  free(mean);
  return rc;
}

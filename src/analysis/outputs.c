/*
** Output agreement: accuracy with its Wilson interval, top-1 agreement
** with the baseline, KL divergence of the softmax outputs, and the
** configured critical-error checks (STATISTICS.md "Outputs"); then the
** calibration of each variant's softmax and its per-class accuracy against
** the baseline (STATISTICS.md "Strata, calibration, retrieval, coverage").
**
** Pure computation on the aligned study; it never re-checks what the
** study validated (labels and predictions in [0, C), finite logits).
*/
#include "analysis/outputs.h"

#include <math.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "analysis/stats.h"

_Static_assert(QA_OUTPUTS_MAX_BINS >= QA_CONFIG_MAX_ECE_BINS,
               "every configurable ece_bins has its bins");

/* ---- calibration: start / fold / merge / stop ------------------------- */

size_t qa_outputs_bin_of(double conf, size_t n_bins) {
  if (!(conf > 0.0)) return 0;             /* the first bin is closed at 0 */
  if (conf >= 1.0) return n_bins - 1;
  /* Bins ((k−1)/B, k/B]; STATISTICS.md "outputs.calibration".  ceil(conf·B)
  ** is k up to the rounding of the product; the two loops settle k against
  ** the edges themselves, computed as (k−1)/B and k/B. */
  double b = (double)n_bins;
  double up = ceil(conf * b);
  size_t k = up < 1.0 ? 1 : up > b ? n_bins : (size_t)up;
  while (k > 1 && conf <= (double)(k - 1) / b) k--;
  while (k < n_bins && conf > (double)k / b) k++;
  return k - 1;
}

int qa_outputs_calib_start(qa_outputs_calib_acc *acc, size_t n_bins) {
  *acc = (qa_outputs_calib_acc){0};
  if (n_bins < 1 || n_bins > QA_OUTPUTS_MAX_BINS) return -1;
  double *sums = calloc(3 * n_bins, sizeof *sums);
  if (!sums) return -1;
  acc->n_bins = n_bins;
  acc->bin_n = sums;
  acc->bin_hits = sums + n_bins;
  acc->bin_conf = sums + 2 * n_bins;
  return 0;
}

void qa_outputs_calib_fold(qa_outputs_calib_acc *acc, const double *logits,
                           const int32_t *labels, size_t rows, size_t c) {
  for (size_t i = 0; i < rows; i++) {
    const double *x = logits + i * c;
    int32_t y = labels[i];
    /* p = softmax(x) by log-sum-exp in double: log p_j = (x_j − max) −
    ** log Σ_k exp(x_k − max).  x_j − max is exact for neighbouring logits,
    ** so logits of 700 keep the digits of logits of 0. */
    size_t top = 0;                        /* argmax, first maximum */
    for (size_t j = 1; j < c; j++) if (x[j] > x[top]) top = j;
    double max = x[top], sum = 0.0, brier = 0.0;
    for (size_t j = 0; j < c; j++) sum += exp(x[j] - max);
    double log_sum = log(sum);
    double conf = exp(-log_sum);
    for (size_t j = 0; j < c; j++) {
      /* Brier = Σ_j (p_j − 1[j = y])²; STATISTICS.md "outputs.calibration". */
      double d = exp((x[j] - max) - log_sum) - ((int32_t)j == y ? 1.0 : 0.0);
      brier += d * d;
    }
    double hit = (int32_t)top == y ? 1.0 : 0.0;
    size_t k = qa_outputs_bin_of(conf, acc->n_bins);
    acc->n += 1.0;
    acc->hits += hit;
    acc->conf_sum += conf;
    acc->brier_sum += brier;
    acc->nll_sum += log_sum - (x[y] - max);   /* −log p_y */
    acc->bin_n[k] += 1.0;
    acc->bin_hits[k] += hit;
    acc->bin_conf[k] += conf;
  }
}

void qa_outputs_calib_merge(qa_outputs_calib_acc *into, const qa_outputs_calib_acc *part) {
  into->n += part->n;
  into->hits += part->hits;
  into->conf_sum += part->conf_sum;
  into->brier_sum += part->brier_sum;
  into->nll_sum += part->nll_sum;
  for (size_t k = 0; k < into->n_bins; k++) {
    into->bin_n[k] += part->bin_n[k];
    into->bin_hits[k] += part->bin_hits[k];
    into->bin_conf[k] += part->bin_conf[k];
  }
}

int qa_outputs_calib_stop(const qa_outputs_calib_acc *acc, qa_outputs_calibration *out) {
  size_t nb = acc->n_bins;
  *out = (qa_outputs_calibration){0};
  out->bins = calloc(nb ? nb : 1, sizeof *out->bins);
  if (!out->bins) return -1;
  out->present = 1;
  out->n = (size_t)acc->n;
  out->n_bins = nb;
  double n = acc->n;
  out->ece = n > 0 ? 0.0 : NAN;
  for (size_t k = 0; k < nb; k++) {
    qa_outputs_bin *b = &out->bins[k];
    b->lo = (double)k / (double)nb;
    b->hi = (double)(k + 1) / (double)nb;
    b->n = (size_t)acc->bin_n[k];
    b->accuracy = b->confidence = NAN;
    if (!b->n) continue;
    b->accuracy = acc->bin_hits[k] / acc->bin_n[k];
    b->confidence = acc->bin_conf[k] / acc->bin_n[k];
    /* ECE = Σ_b (n_b/N) |acc_b − conf_b|; STATISTICS.md "outputs.calibration". */
    out->ece += acc->bin_n[k] / n * fabs(b->accuracy - b->confidence);
  }
  out->brier = n > 0 ? acc->brier_sum / n : NAN;
  out->nll = n > 0 ? acc->nll_sum / n : NAN;
  out->accuracy = n > 0 ? acc->hits / n : NAN;
  out->confidence = n > 0 ? acc->conf_sum / n : NAN;
  return 0;
}

void qa_outputs_calib_acc_free(qa_outputs_calib_acc *acc) {
  if (!acc) return;
  free(acc->bin_n);
  *acc = (qa_outputs_calib_acc){0};
}

void qa_outputs_calibration_free(qa_outputs_calibration *cal) {
  if (!cal) return;
  free(cal->bins);
  *cal = (qa_outputs_calibration){0};
}

int qa_outputs_calibration_of(const double *logits, const int32_t *labels, size_t n, size_t c,
                              size_t n_bins, qa_outputs_calibration *out) {
  qa_outputs_calib_acc acc;
  *out = (qa_outputs_calibration){0};
  if (qa_outputs_calib_start(&acc, n_bins)) return -1;
  qa_outputs_calib_fold(&acc, logits, labels, n, c);
  int rc = qa_outputs_calib_stop(&acc, out);
  qa_outputs_calib_acc_free(&acc);
  return rc;
}

/* ---- per class ---------------------------------------------------------- */

int qa_outputs_per_class(const int32_t *labels, const int32_t *pred, const int32_t *pred_base,
                         size_t n, size_t n_classes, int is_baseline, qa_outputs_class **out,
                         size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  if (!n_classes) return 0;
  /* Per class: samples, correct, baseline correct, b, c. */
  size_t *count = calloc(5 * n_classes, sizeof *count);
  if (!count) return -1;
  size_t *hit = count + n_classes, *hit_b = hit + n_classes;
  size_t *disc_b = hit_b + n_classes, *disc_c = disc_b + n_classes;
  for (size_t i = 0; i < n; i++) {
    size_t l = (size_t)labels[i];
    int v_ok = pred[i] == labels[i], b_ok = pred_base && pred_base[i] == labels[i];
    count[l]++;
    hit[l] += v_ok;
    hit_b[l] += b_ok;
    disc_b[l] += b_ok && !v_ok;            /* baseline right, variant wrong */
    disc_c[l] += !b_ok && v_ok;            /* baseline wrong, variant right */
  }
  size_t k = 0;
  for (size_t l = 0; l < n_classes; l++) k += count[l] > 0;
  qa_outputs_class *rows = k ? malloc(k * sizeof *rows) : NULL;
  double *p = k ? malloc(k * sizeof *p) : NULL;
  if (k && (!rows || !p)) goto oom;
  double z = qa_z(0.975);
  k = 0;
  for (size_t l = 0; l < n_classes; l++) {
    if (!count[l]) continue;
    qa_outputs_class *r = &rows[k];
    double nl = (double)count[l];
    r->label = (int32_t)l;
    r->n = count[l];
    r->correct = hit[l];
    r->accuracy = (double)hit[l] / nl;
    /* Recall of the class with its Wilson interval; STATISTICS.md
    ** "outputs.per_class". */
    qa_wilson((double)hit[l], nl, z, &r->wilson_lo, &r->wilson_hi);
    r->b = disc_b[l];
    r->c = disc_c[l];
    r->delta_pp = r->mcnemar_p = NAN;
    if (is_baseline) {
      r->delta_pp = 0.0;
    } else if (pred_base) {
      r->delta_pp = 100.0 * (r->accuracy - (double)hit_b[l] / nl);
      /* Exact McNemar on the correctness of the prediction, paired by
      ** sample within the class. */
      r->mcnemar_p = qa_mcnemar_exact(r->b, r->c);
    }
    p[k++] = r->mcnemar_p;
  }
  /* Holm over the classes of this variant (the NaN of the baseline stay NaN). */
  if (k && qa_holm(p, k, p)) goto oom;
  for (size_t i = 0; i < k; i++) rows[i].mcnemar_p_holm = p[i];
  free(p);
  free(count);
  *out = rows;
  *n_out = k;
  return 0;
oom:
  free(rows);
  free(p);
  free(count);
  return -1;
}

/* ---- accuracy, agreement, KL, critical errors --------------------------- */

static int kl_summary(const qa_cache *b, const qa_cache *v, qa_outputs_result *o,
                      const char *file, qa_error *err) {
  size_t n = v->n_samples, c = v->n_classes;
  o->kl = malloc(n * sizeof *o->kl);
  if (!o->kl) return qa_error_set(err, QA_EXIT_IO, file, NULL, "out of memory");
  for (size_t i = 0; i < n; i++)
    o->kl[i] = qa_softmax_kl(b->logits + i * c, v->logits + i * c, c);
  const double qs[4] = {0.5, 0.99, 1.0, 0.0};
  double q[4];
  if (qa_quantiles(o->kl, n, qs, 4, q, NULL))
    return qa_error_set(err, QA_EXIT_IO, file, NULL, "out of memory");
  o->kl_mean = qa_mean(o->kl, n);
  o->kl_median = q[0];
  o->kl_p99 = q[1];
  o->kl_max = q[2];
  return 0;
}

static void critical_checks(const qa_study *s, size_t m, const qa_cache *v,
                            qa_outputs_result *o) {
  const qa_config *cfg = s->cfg;
  const qa_model *model = &s->models[m];
  o->n_critical = 0;
  for (size_t k = 0; k < cfg->n_critical; k++) {
    int l = qa_study_class_index(model, cfg->critical[k].label);
    int p = qa_study_class_index(model, cfg->critical[k].predicted);
    if (l < 0 || p < 0) continue;     /* the study rejects unknown names */
    long count = 0;
    for (size_t i = 0; i < v->n_samples; i++)
      count += v->labels[i] == l && v->prediction[i] == p;
    qa_critical_result *r = &o->critical[o->n_critical++];
    r->label = l;
    r->predicted = p;
    r->count = count;
    r->max = cfg->critical[k].max;
    r->pass = count <= r->max;
  }
}

/* Fraction of predictions equal to the label; NaN without both. */
static double accuracy_of(const qa_cache *c) {
  if (!c->prediction || !c->labels || !c->n_samples) return NAN;
  size_t k = 0;
  for (size_t i = 0; i < c->n_samples; i++) k += c->prediction[i] == c->labels[i];
  return (double)k / (double)c->n_samples;
}

/* Calibration and per-class accuracy of variant v (labels present). */
static int calibration_and_classes(const qa_study *s, size_t m, size_t vi, qa_outputs_result *o,
                                   qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache, *v = model->variants[vi].cache;
  const int32_t *pred_base = b->prediction && b->n_samples == o->n ? b->prediction : NULL;
  if (qa_outputs_per_class(v->labels, v->prediction, pred_base, o->n, model->n_classes,
                           model->variants[vi].is_baseline, &o->per_class, &o->n_classes))
    return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  if (v->logits &&
      qa_outputs_calibration_of(v->logits, v->labels, o->n, v->n_classes,
                                (size_t)s->cfg->ece_bins, &o->calib))
    return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  return 0;
}

int qa_analysis_outputs(const qa_study *s, size_t m, qa_variant_result *res,
                        qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  double base_accuracy = accuracy_of(b);
  for (size_t vi = 0; vi < model->n_variants; vi++) {
    const qa_cache *v = model->variants[vi].cache;
    qa_outputs_result *o = &res[vi].out;
    o->accuracy = o->wilson_lo = o->wilson_hi = o->top1_agreement = NAN;
    o->kl_mean = o->kl_median = o->kl_p99 = o->kl_max = NAN;
    o->accuracy_delta_pp = NAN;
    if (!v->prediction) continue;
    o->present = 1;
    o->n = v->n_samples;
    if (v->labels) {
      size_t k = 0;
      for (size_t i = 0; i < o->n; i++) k += v->prediction[i] == v->labels[i];
      o->accuracy = (double)k / (double)o->n;
      /* Wilson score interval; STATISTICS.md "Outputs" */
      qa_wilson((double)k, (double)o->n, qa_z(0.975), &o->wilson_lo, &o->wilson_hi);
      if (s->cfg->n_critical) {
        o->critical = calloc(s->cfg->n_critical, sizeof *o->critical);
        if (!o->critical) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
        critical_checks(s, m, v, o);
      }
      /* The formula of the bench signal from outputs (decide.c). */
      o->accuracy_delta_pp = model->variants[vi].is_baseline
                                 ? 0.0 : 100.0 * (o->accuracy - base_accuracy);
      if (calibration_and_classes(s, m, vi, o, err)) return -1;
    }
    if (b->prediction && b->n_samples == o->n) {
      size_t same = 0;
      for (size_t i = 0; i < o->n; i++) same += v->prediction[i] == b->prediction[i];
      o->top1_agreement = (double)same / (double)o->n;
    }
    if (v->logits && b->logits && kl_summary(b, v, o, v->path, err)) return -1;
  }
  return 0;
}

/*
** Output agreement: accuracy with its Wilson interval, top-1 agreement
** with the baseline, KL divergence of the softmax outputs, and the
** configured critical-error checks (STATISTICS.md "Outputs").
*/
#include <math.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "analysis/stats.h"

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

int qa_analysis_outputs(const qa_study *s, size_t m, qa_variant_result *res,
                        qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  for (size_t vi = 0; vi < model->n_variants; vi++) {
    const qa_cache *v = model->variants[vi].cache;
    qa_outputs_result *o = &res[vi].out;
    o->accuracy = o->wilson_lo = o->wilson_hi = o->top1_agreement = NAN;
    o->kl_mean = o->kl_median = o->kl_p99 = o->kl_max = NAN;
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

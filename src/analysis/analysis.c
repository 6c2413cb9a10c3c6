/*
** Running the analysis: per model, the families of numbers in a fixed
** order (representation, outputs, benchmark, generation, performance),
** then the study-wide decisions.  Owns the memory of qa_analysis.
*/
#include "analysis/analysis.h"

#include <gsl/gsl_errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/stats.h"

static void free_variant(qa_variant_result *r) {
  free(r->repr.per_class);
  free(r->repr.cosine);
  free(r->repr.spectrum);
  free(r->repr.pca_xy);
  free(r->repr.neighbors);
  free(r->repr.knn_pred);
  free(r->repr.worst);
  free(r->out.kl);
  free(r->out.critical);
  free(r->out.per_class);
  qa_outputs_calibration_free(&r->out.calib);
  free(r->bench.tasks);
  free(r->bench.strata);
  free(r->gen.metrics);
  qa_tokens_result_free(&r->tokens);
}

void qa_analysis_free(qa_analysis *a) {
  if (!a) return;
  for (size_t m = 0; a->models && m < a->study->n_models; m++) {
    if (!a->models[m]) continue;
    for (size_t v = 0; v < a->study->models[m].n_variants; v++) free_variant(&a->models[m][v]);
    free(a->models[m]);
  }
  free(a->models);
  free(a->adjacent);
  for (size_t t = 0; t < a->n_decision; t++) free(a->decision[t].rows);
  free(a->decision);
  free(a->model_decisions);
  free(a->claims);
  for (size_t m = 0; a->depth && m < a->study->n_models; m++) qa_depth_model_free(&a->depth[m]);
  free(a->depth);
  free(a);
}

/* The power summary: the detectable effect at the worst case p = 0.5 and
** the smallest pooled benchmark n (STATISTICS.md: 9.0 pp at n = 485), and
** in Cohen's d at the smallest generation n. */
static void power_summary(const qa_study *s, qa_analysis *a) {
  a->mde_pp = a->mde_d = NAN;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      const qa_variant_result *r = &a->models[m][v];
      if (r->bench.present && (!a->bench_n_min || r->bench.n < a->bench_n_min))
        a->bench_n_min = r->bench.n;
      for (size_t k = 0; k < r->gen.n_metrics; k++)
        if (!a->gen_n_min || r->gen.metrics[k].n < a->gen_n_min) a->gen_n_min = r->gen.metrics[k].n;
    }
  if (a->bench_n_min)
    a->mde_pp = 100.0 * qa_mde_prop(0.5, (double)a->bench_n_min, s->cfg->alpha, s->cfg->power);
  if (a->gen_n_min) a->mde_d = qa_mde_d((double)a->gen_n_min, s->cfg->alpha, s->cfg->power);
}

/* The eigenproblems of the representation analysis must fit before any
** work starts: in what --max-memory leaves after the caches, else in the
** memory available now (the caches are loaded already). */
uint64_t qa_analysis_work_budget(const qa_study *s, const char **what) {
  uint64_t used = 0;
  *what = "available";
  if (!s->cfg->max_memory_bytes) return qa_memory_available();
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++)
      used += qa_cache_memory(s->models[m].variants[v].cache);
  *what = "that --max-memory leaves after the caches";
  return s->cfg->max_memory_bytes > used ? s->cfg->max_memory_bytes - used : 0;
}

static int eigen_budget_check(const qa_study *s, qa_error *err) {
  const char *what;
  uint64_t budget = qa_analysis_work_budget(s, &what);
  return qa_analysis_representation_check(s, budget, what, err);
}

/* The intervals claims use on representation numbers (STATISTICS.md
** "Claims"): the 95% t-interval of the per-sample cosines and the Wilson
** interval of the kNN accuracy. */
static void repr_intervals(qa_variant_result *r, size_t n_variants) {
  double z = qa_z(0.975);
  for (size_t v = 0; v < n_variants; v++) {
    qa_repr_result *p = &r[v].repr;
    p->cos_ci_lo = p->cos_ci_hi = p->knn_wilson_lo = p->knn_wilson_hi = NAN;
    if (!p->present) continue;
    if (p->cosine && p->n)
      qa_t_ci(qa_mean(p->cosine, p->n), qa_sd(p->cosine, p->n), (double)p->n, 0.95,
              &p->cos_ci_lo, &p->cos_ci_hi);
    if (!isnan(p->knn_accuracy))
      qa_wilson(round(p->knn_accuracy * (double)p->n), (double)p->n, z, &p->knn_wilson_lo,
                &p->knn_wilson_hi);
  }
}

/* Token-level outputs of model m (STATISTICS.md "Token-level outputs"):
** every cache's /tokens/logits streamed once in lockstep, then each
** variant summarised against the baseline. */
static int analyse_tokens(const qa_study *s, size_t m, qa_variant_result *res, int threads,
                          qa_progress *p, qa_error *err) {
  const qa_model *model = &s->models[m];
  const qa_cache *base = model->variants[model->baseline].cache;
  if (!base->n_tokens) return 0;
  size_t nv = model->n_variants;
  const char *paths[nv];
  size_t order[nv];                       /* order[0] = baseline, then the rest */
  size_t k = 0;
  order[k++] = model->baseline;
  for (size_t v = 0; v < nv; v++)
    if (v != model->baseline) order[k++] = v;
  for (size_t i = 0; i < nv; i++) paths[i] = model->variants[order[i]].cache->path;
  char detail[256];
  snprintf(detail, sizeof detail, "%s: %zu positions x %zu vocabulary, %zu files", model->name,
           base->n_tokens, base->vocab, nv);
  qa_progress_stage(p, "token logits", detail);
  qa_tokens_values vals[nv];
  char digests[nv][65];
  qa_tokens_stream_opts o = {0, threads, 1, p, model->name, digests};
  if (qa_tokens_stream(paths, nv, base->n_tokens, base->vocab, base->tok_target, &o, vals, err))
    return -1;
  for (size_t i = 0; i < nv; i++) memcpy(res[order[i]].input_sha256, digests[i], 65);
  int rc = 0;
  for (size_t i = 0; i < nv && !rc; i++)
    if (qa_tokens_summarize(&vals[0], &vals[i], base->n_tokens, base->vocab,
                            base->has_tok_doc ? base->tok_doc : NULL, base->tok_slice,
                            base->n_slice_names, base->slice_names, s->cfg->alpha,
                            &res[order[i]].tokens))
      rc = qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  for (size_t i = 0; i < nv; i++) qa_tokens_values_free(&vals[i]);
  return rc;
}

int qa_analysis_run(const qa_study *s, const qa_analysis_opts *opts, qa_progress *p,
                    qa_analysis **out, qa_error *err) {
  *out = NULL;
  /* A GSL domain error must become NaN, not abort(). */
  gsl_set_error_handler_off();
  qa_analysis *a = calloc(1, sizeof *a);
  if (!a) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  a->study = s;
  a->models = calloc(s->n_models ? s->n_models : 1, sizeof *a->models);
  a->depth = calloc(s->n_models ? s->n_models : 1, sizeof *a->depth);
  int rc = a->models && a->depth ? 0 : qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  if (!rc) rc = eigen_budget_check(s, err);
  for (size_t m = 0; !rc && m < s->n_models; m++) {
    qa_variant_result *res = calloc(s->models[m].n_variants, sizeof *res);
    if (!(a->models[m] = res)) {
      rc = qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
      break;
    }
    qa_progress_stage(p, "analysis", s->models[m].name);
    rc = qa_analysis_representation(s, m, res, opts ? opts->threads : 0, p, err) ||
         qa_analysis_depth(s, m, res, opts ? opts->threads : 0, p, &a->depth[m], err) ||
         qa_analysis_outputs(s, m, res, err) || qa_analysis_benchmark(s, m, res, err) ||
         qa_analysis_generation(s, m, res, err) ||
         analyse_tokens(s, m, res, opts ? opts->threads : 0, p, err);
    if (!rc) qa_analysis_perf(s, m, res);
    if (!rc) repr_intervals(res, s->models[m].n_variants);
  }
  if (!rc) {
    qa_progress_stage(p, "decisions", NULL);
    power_summary(s, a);
    qa_analysis_tiers(s, a);
    rc = qa_analysis_adjacent(s, a, err) || qa_analysis_decisions(s, a, err) ||
         qa_analysis_claims(s, a, err);
  }
  if (rc) {
    qa_analysis_free(a);
    return -1;
  }
  *out = a;
  return 0;
}

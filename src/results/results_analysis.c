/*
** The numbers of the analysis in the results tree, under the keys of
** INTERFACE.md section 4 (plus the additions documented in
** docs/results.md).  A section whose data are absent is left out of its
** variant's object; a number that does not exist is null.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "results/results.h"
#include "results/results_internal.h"

static cJSON *pair(double lo, double hi) {
  cJSON *a = cJSON_CreateArray();
  cJSON_AddItemToArray(a, isfinite(lo) ? cJSON_CreateNumber(lo) : cJSON_CreateNull());
  cJSON_AddItemToArray(a, isfinite(hi) ? cJSON_CreateNumber(hi) : cJSON_CreateNull());
  return a;
}

static void add_bool_or_null(cJSON *o, const char *key, int v) {
  if (v < 0) cJSON_AddNullToObject(o, key);
  else cJSON_AddBoolToObject(o, key, v);
}

static void add_representation(cJSON *obj, const qa_study *s, size_t m,
                               const qa_repr_result *r) {
  char buf[32];
  cJSON *o = cJSON_AddObjectToObject(obj, "representation");
  qa_json_str(o, "layer", s->cfg->layer);
  qa_json_num(o, "n", (double)r->n);
  qa_json_num(o, "dim", (double)r->dim);
  cJSON *c = cJSON_AddObjectToObject(o, "cosine");
  qa_json_num(c, "mean", r->cos_mean);
  qa_json_num(c, "median", r->cos_median);
  qa_json_num(c, "p05", r->cos_p05);
  qa_json_num(c, "min", r->cos_min);
  cJSON_AddItemToObject(c, "ci95", pair(r->cos_ci_lo, r->cos_ci_hi));
  qa_json_num(o, "sqnr_db", r->sqnr_db);
  qa_json_num(o, "spearman_rho", r->spearman_rho);
  qa_json_num(o, "pairs", (double)r->pairs);
  qa_json_num(o, "knn_k", r->knn_k ? (double)r->knn_k : NAN);
  qa_json_num(o, "knn_accuracy", r->knn_accuracy);
  cJSON_AddItemToObject(o, "knn_accuracy_wilson95", pair(r->knn_wilson_lo, r->knn_wilson_hi));
  qa_json_num(o, "knn_accuracy_delta_pp", r->knn_delta_pp);
  qa_json_num(o, "neighbor_overlap", r->neighbor_overlap);
  qa_json_num(o, "cka_linear", r->cka_linear);
  qa_json_num(o, "effective_rank", r->effective_rank);
  qa_json_num(o, "participation_ratio", r->participation_ratio);
  if (r->per_class) {
    /* C of the model; per_class lists only the classes with samples. */
    qa_json_num(o, "n_classes", (double)s->models[m].n_classes);
    cJSON *arr = cJSON_AddArrayToObject(o, "per_class");
    for (size_t k = 0; k < r->n_classes; k++) {
      const qa_class_result *pc = &r->per_class[k];
      cJSON *e = cJSON_CreateObject();
      qa_json_str(e, "label", qa_study_class_name(&s->models[m], pc->label, buf, sizeof buf));
      qa_json_num(e, "n", (double)pc->n);
      qa_json_num(e, "cosine_mean", pc->cosine_mean);
      qa_json_num(e, "knn_accuracy", pc->knn_accuracy);
      qa_json_num(e, "knn_accuracy_delta_pp", pc->knn_delta_pp);
      qa_json_num(e, "knn_mcnemar_p", pc->knn_mcnemar_p);
      qa_json_num(e, "knn_mcnemar_p_holm", pc->knn_mcnemar_p_holm);
      cJSON_AddItemToArray(arr, e);
    }
  }
  cJSON *at = cJSON_AddArrayToObject(o, "overlap_at");
  for (size_t j = 0; j < r->n_overlap; j++) {
    cJSON *e = cJSON_CreateObject();
    qa_json_num(e, "k", (double)r->overlap_k[j]);
    qa_json_num(e, "overlap", r->overlap_at[j]);
    cJSON_AddItemToArray(at, e);
  }
  qa_json_num(o, "coverage", r->coverage);
  qa_json_num(o, "density", r->density);
  /* The baseline compared with itself has no worst samples: an empty list. */
  const qa_cache *bc = s->models[m].variants[s->models[m].baseline].cache;
  cJSON *ws = cJSON_AddArrayToObject(o, "worst_samples");
  for (size_t j = 0; j < r->n_worst; j++) {
    const qa_worst_sample *w = &r->worst[j];
    cJSON *e = cJSON_CreateObject();
    qa_json_num(e, "id", bc->ids ? (double)bc->ids[w->index] : (double)w->index);
    if (w->label >= 0)
      qa_json_str(e, "label", qa_study_class_name(&s->models[m], w->label, buf, sizeof buf));
    else
      cJSON_AddNullToObject(e, "label");
    qa_json_num(e, "cosine", w->cosine);
    qa_json_num(e, "neighbors_kept", w->neighbors_kept >= 0 ? (double)w->neighbors_kept : NAN);
    add_bool_or_null(e, "knn_correct_base", w->knn_correct_base);
    add_bool_or_null(e, "knn_correct_variant", w->knn_correct_variant);
    cJSON_AddItemToArray(ws, e);
  }
}

/* outputs.calibration (STATISTICS.md "outputs.calibration"), with the
** argmax accuracy and mean confidence the ECE compares. */
static void add_calibration(cJSON *o, const qa_outputs_calibration *cal) {
  cJSON *c = cJSON_AddObjectToObject(o, "calibration");
  qa_json_num(c, "n", (double)cal->n);
  qa_json_num(c, "ece", cal->ece);
  qa_json_num(c, "brier", cal->brier);
  qa_json_num(c, "nll", cal->nll);
  qa_json_num(c, "accuracy", cal->accuracy);
  qa_json_num(c, "confidence", cal->confidence);
  cJSON *bins = cJSON_AddArrayToObject(c, "bins");
  for (size_t k = 0; k < cal->n_bins; k++) {
    const qa_outputs_bin *b = &cal->bins[k];
    cJSON *e = cJSON_CreateObject();
    qa_json_num(e, "lo", b->lo);
    qa_json_num(e, "hi", b->hi);
    qa_json_num(e, "n", (double)b->n);
    qa_json_num(e, "accuracy", b->accuracy);
    qa_json_num(e, "confidence", b->confidence);
    cJSON_AddItemToArray(bins, e);
  }
}

/* outputs.per_class: recall by class against the baseline, McNemar and its
** Holm over the classes of the variant. */
static void add_output_classes(cJSON *o, const qa_study *s, size_t m, const qa_outputs_result *r) {
  char buf[32];
  qa_json_num(o, "n_classes", (double)s->models[m].n_classes);
  cJSON *arr = cJSON_AddArrayToObject(o, "per_class");
  for (size_t k = 0; k < r->n_classes; k++) {
    const qa_outputs_class *pc = &r->per_class[k];
    int tested = !isnan(pc->mcnemar_p);
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "label", qa_study_class_name(&s->models[m], pc->label, buf, sizeof buf));
    qa_json_num(e, "n", (double)pc->n);
    qa_json_num(e, "correct", (double)pc->correct);
    qa_json_num(e, "accuracy", pc->accuracy);
    cJSON_AddItemToObject(e, "wilson95", pair(pc->wilson_lo, pc->wilson_hi));
    qa_json_num(e, "delta_pp", pc->delta_pp);
    qa_json_num(e, "mcnemar_b", tested ? (double)pc->b : NAN);
    qa_json_num(e, "mcnemar_c", tested ? (double)pc->c : NAN);
    qa_json_num(e, "mcnemar_p", pc->mcnemar_p);
    qa_json_num(e, "mcnemar_p_holm", pc->mcnemar_p_holm);
    add_bool_or_null(e, "survives_holm",
                     isnan(pc->mcnemar_p_holm) ? -1 : pc->mcnemar_p_holm < s->cfg->alpha);
    cJSON_AddItemToArray(arr, e);
  }
}

static void add_outputs(cJSON *obj, const qa_study *s, size_t m, const qa_outputs_result *r) {
  char b1[32], b2[32];
  cJSON *o = cJSON_AddObjectToObject(obj, "outputs");
  qa_json_num(o, "n", (double)r->n);
  qa_json_num(o, "accuracy", r->accuracy);
  cJSON_AddItemToObject(o, "accuracy_wilson95", pair(r->wilson_lo, r->wilson_hi));
  qa_json_num(o, "top1_agreement", r->top1_agreement);
  if (r->kl) {
    cJSON *kl = cJSON_AddObjectToObject(o, "kl");
    qa_json_num(kl, "mean", r->kl_mean);
    qa_json_num(kl, "median", r->kl_median);
    qa_json_num(kl, "p99", r->kl_p99);
    qa_json_num(kl, "max", r->kl_max);
  } else {
    cJSON_AddNullToObject(o, "kl");
  }
  cJSON *arr = cJSON_AddArrayToObject(o, "critical_errors");
  for (size_t k = 0; k < r->n_critical; k++) {
    const qa_critical_result *c = &r->critical[k];
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "label", qa_study_class_name(&s->models[m], c->label, b1, sizeof b1));
    qa_json_str(e, "predicted", qa_study_class_name(&s->models[m], c->predicted, b2, sizeof b2));
    qa_json_num(e, "count", (double)c->count);
    qa_json_num(e, "max", (double)c->max);
    cJSON_AddBoolToObject(e, "pass", c->pass);
    cJSON_AddItemToArray(arr, e);
  }
  if (r->per_class) {
    qa_json_num(o, "accuracy_delta_pp", r->accuracy_delta_pp);
    add_output_classes(o, s, m, r);
  }
  if (r->calib.present) add_calibration(o, &r->calib);
}

/* paired.tost: [{margin_key, p, equivalent}] at each configured margin. */
static void add_tost_list(cJSON *paired, const char *margin_key, const double *margins,
                          size_t n, const double *p, double alpha) {
  cJSON *arr = cJSON_AddArrayToObject(paired, "tost");
  for (size_t k = 0; k < n; k++) {
    cJSON *e = cJSON_CreateObject();
    qa_json_num(e, margin_key, margins[k]);
    qa_json_num(e, "p", p[k]);
    add_bool_or_null(e, "equivalent", isnan(p[k]) ? -1 : p[k] < alpha);
    cJSON_AddItemToArray(arr, e);
  }
}

/* benchmark.paired: the analysis claims and the summary use. */
static void add_paired_bench(cJSON *o, const qa_config *cfg, const qa_bench_result *r) {
  const qa_paired_result *d = &r->paired;
  int base = r->paired_equivalent < 0;
  cJSON *p = cJSON_AddObjectToObject(o, "paired");
  qa_json_num(p, "n", (double)r->n);
  qa_json_num(p, "b", base ? NAN : (double)r->mcnemar_b);
  qa_json_num(p, "c", base ? NAN : (double)r->mcnemar_c);
  qa_json_num(p, "delta_pp", 100.0 * d->mean);
  qa_json_num(p, "se_pp", 100.0 * d->se);
  cJSON_AddItemToObject(p, "ci95_pp", pair(100.0 * d->ci_lo, 100.0 * d->ci_hi));
  qa_json_num(p, "t_p", base ? NAN : d->p);
  qa_json_num(p, "tost_margin_pp", cfg->tost_margin_pp);
  qa_json_num(p, "tost_p", r->paired_tost_p);
  add_bool_or_null(p, "equivalent", r->paired_equivalent);
  add_tost_list(p, "margin_pp", cfg->tost_margins_pp, base ? 0 : cfg->n_tost_margins_pp,
                r->margin_tost_p, cfg->alpha);
}

/* generation.metrics[].paired */
static void add_paired_metric(cJSON *o, const qa_config *cfg, const qa_metric_result *r) {
  const qa_paired_result *d = &r->paired;
  int base = r->paired_equivalent < 0;
  cJSON *p = cJSON_AddObjectToObject(o, "paired");
  qa_json_num(p, "n", (double)r->n);
  qa_json_num(p, "delta", d->mean);
  cJSON_AddItemToObject(p, "ci95", pair(d->ci_lo, d->ci_hi));
  qa_json_num(p, "t_p", base ? NAN : d->p);
  qa_json_num(p, "tost_p", r->paired_tost_p);
  add_bool_or_null(p, "equivalent", r->paired_equivalent);
  add_tost_list(p, "margin_pct", cfg->tost_margins_pct, base ? 0 : cfg->n_tost_margins_pct,
                r->margin_tost_p, cfg->alpha);
}

/* benchmark.strata (INTERFACE.md section 4), with the counts behind each
** number and whether the McNemar test survives Holm, as in
** outputs.per_class; present when a task has /eval/<task>/stratum. */
static void add_strata(cJSON *o, const qa_config *cfg, const qa_bench_result *r) {
  cJSON *arr = cJSON_AddArrayToObject(o, "strata");
  for (size_t k = 0; k < r->n_strata; k++) {
    const qa_stratum_result *st = &r->strata[k];
    int tested = !isnan(st->mcnemar_p);
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "task", st->task);
    qa_json_str(e, "stratum", st->stratum);
    qa_json_num(e, "n", (double)st->n);
    qa_json_num(e, "correct", (double)st->correct);
    qa_json_num(e, "accuracy", st->accuracy);
    cJSON_AddItemToObject(e, "wilson95", pair(st->wilson_lo, st->wilson_hi));
    qa_json_num(e, "delta_pp", st->delta_pp);
    qa_json_num(e, "mcnemar_b", tested ? (double)st->b : NAN);
    qa_json_num(e, "mcnemar_c", tested ? (double)st->c : NAN);
    qa_json_num(e, "mcnemar_p", st->mcnemar_p);
    qa_json_num(e, "mcnemar_p_holm", st->mcnemar_p_holm);
    add_bool_or_null(e, "survives_holm",
                     isnan(st->mcnemar_p_holm) ? -1 : st->mcnemar_p_holm < cfg->alpha);
    cJSON_AddItemToArray(arr, e);
  }
}

static void add_benchmark(cJSON *obj, const qa_config *cfg, const qa_bench_result *r) {
  cJSON *o = cJSON_AddObjectToObject(obj, "benchmark");
  qa_json_num(o, "n", (double)r->n);
  qa_json_num(o, "correct", (double)r->correct);
  qa_json_num(o, "accuracy", r->accuracy);
  cJSON_AddItemToObject(o, "wilson95", pair(r->wilson_lo, r->wilson_hi));
  qa_json_num(o, "delta_pp", r->delta_pp);
  qa_json_num(o, "welch_t", r->welch_t);
  qa_json_num(o, "welch_df", r->welch_df);
  qa_json_num(o, "welch_p", r->welch_p);
  qa_json_num(o, "cohens_d", r->cohens_d);
  qa_json_num(o, "mcnemar_p", r->mcnemar_p);
  int base = r->equivalent < 0;
  qa_json_num(o, "mcnemar_b", base ? NAN : (double)r->mcnemar_b);
  qa_json_num(o, "mcnemar_c", base ? NAN : (double)r->mcnemar_c);
  qa_json_num(o, "tost_p", r->tost_p);
  qa_json_num(o, "tost_margin_pp", cfg->tost_margin_pp);
  add_bool_or_null(o, "equivalent", r->equivalent);
  qa_json_num(o, "mde_pp", r->mde_pp);
  add_paired_bench(o, cfg, r);
  cJSON *arr = cJSON_AddArrayToObject(o, "tasks");
  for (size_t k = 0; k < r->n_tasks; k++) {
    const qa_task_result *t = &r->tasks[k];
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "task", t->task);
    qa_json_num(e, "n", (double)t->n);
    qa_json_num(e, "correct", (double)t->correct);
    qa_json_num(e, "accuracy", t->accuracy);
    cJSON_AddItemToObject(e, "wilson95", pair(t->wilson_lo, t->wilson_hi));
    qa_json_num(e, "delta_pp", t->delta_pp);
    cJSON_AddItemToArray(arr, e);
  }
  if (r->n_strata) add_strata(o, cfg, r);
}

static void add_generation(cJSON *obj, const qa_config *cfg, const qa_gen_result *g) {
  cJSON *o = cJSON_AddObjectToObject(obj, "generation");
  qa_json_num(o, "key_avg", g->key_avg);
  qa_json_num(o, "tost_margin_pct", cfg->tost_margin_pct);
  qa_json_num(o, "delta_pct", g->delta_pct);
  qa_json_num(o, "mde_d", g->mde_d);
  cJSON *arr = cJSON_AddArrayToObject(o, "metrics");
  for (size_t k = 0; k < g->n_metrics; k++) {
    const qa_metric_result *r = &g->metrics[k];
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "metric", r->metric);
    qa_json_num(e, "n", (double)r->n);
    qa_json_num(e, "mean", r->mean);
    qa_json_num(e, "sd", r->sd);
    cJSON_AddItemToObject(e, "ci95", pair(r->ci_lo, r->ci_hi));
    qa_json_num(e, "delta_pct", r->delta_pct);
    qa_json_num(e, "welch_p", r->welch_p);
    qa_json_num(e, "cohens_d", r->cohens_d);
    qa_json_num(e, "tost_p", r->tost_p);
    add_bool_or_null(e, "equivalent", r->equivalent);
    add_paired_metric(e, cfg, r);
    cJSON_AddItemToArray(arr, e);
  }
}

static void add_perf(cJSON *obj, const qa_config *cfg, const qa_perf_result *p) {
  if (!p->n_decode && !p->n_ttft) return;
  cJSON *o = cJSON_AddObjectToObject(obj, "perf");
  qa_json_num(o, "n_decode", (double)p->n_decode);
  qa_json_num(o, "decode_tok_s_mean", p->decode_mean);
  qa_json_num(o, "decode_tok_s_hmean", p->decode_hmean);
  qa_json_str(o, "throughput_mean", cfg->throughput_arithmetic ? "arithmetic" : "harmonic");
  qa_json_num(o, "decode_tok_s_median", p->decode_median);
  qa_json_num(o, "decode_cv_pct", p->decode_cv_pct);
  qa_json_num(o, "n_ttft", (double)p->n_ttft);
  qa_json_num(o, "ttft_ms_mean", p->ttft_mean);
  qa_json_num(o, "ttft_ms_median", p->ttft_median);
  qa_json_num(o, "usd_per_mtok", p->usd_per_mtok);
  qa_json_num(o, "savings_pct", p->savings_pct);
}

/* models[].variants[].tokens (INTERFACE.md section 4), plus the intervals
** the report and claims use (mean ± z·se_doc; ppl_ratio's the exp of the
** ln-ratio interval) and the slice of highest mean KLD. */
static void add_tokens(cJSON *obj, const qa_tokens_result *r) {
  cJSON *o = cJSON_AddObjectToObject(obj, "tokens");
  qa_json_num(o, "n", (double)r->n);
  qa_json_num(o, "docs", (double)r->docs);
  qa_json_num(o, "vocab", (double)r->vocab);
  qa_json_num(o, "ppl", r->ppl);
  qa_json_num(o, "ppl_unc", r->ppl_unc);
  qa_json_num(o, "ppl_base", r->ppl_base);
  qa_json_num(o, "ppl_base_unc", r->ppl_base_unc);
  qa_json_num(o, "ln_ppl_ratio", r->ln_ppl_ratio);
  qa_json_num(o, "ln_ppl_ratio_se", r->ln_ppl_ratio_se);
  qa_json_num(o, "ln_ppl_ratio_se_doc", r->ln_ppl_ratio_se_doc);
  cJSON_AddItemToObject(o, "ln_ppl_ratio_ci95", pair(r->ln_ppl_ratio_ci_lo, r->ln_ppl_ratio_ci_hi));
  qa_json_num(o, "ppl_ratio", r->ppl_ratio);
  qa_json_num(o, "ppl_ratio_se", r->ppl_ratio_se);
  cJSON_AddItemToObject(o, "ppl_ratio_ci95", pair(r->ppl_ratio_ci_lo, r->ppl_ratio_ci_hi));
  qa_json_num(o, "ppl_diff", r->ppl_diff);
  qa_json_num(o, "ppl_diff_se", r->ppl_diff_se);
  qa_json_num(o, "cor_ln_ppl", r->cor_ln_ppl);
  cJSON *k = cJSON_AddObjectToObject(o, "kld");
  qa_json_num(k, "mean", r->kld_mean);
  qa_json_num(k, "se", r->kld_se);
  qa_json_num(k, "se_doc", r->kld_se_doc);
  for (int q = 0; q < QA_TOK_KLD_PCTS; q++) qa_json_num(k, qa_tok_kld_keys[q], r->kld_pct[q]);
  cJSON_AddItemToObject(o, "kld_ci95", pair(r->kld_ci_lo, r->kld_ci_hi));
  cJSON *d = cJSON_AddObjectToObject(o, "dp");
  qa_json_num(d, "mean", r->dp_mean);
  qa_json_num(d, "se", r->dp_se);
  for (int q = 0; q < QA_TOK_DP_PCTS; q++) qa_json_num(d, qa_tok_dp_keys[q], r->dp_pct[q]);
  qa_json_num(o, "rms_dp", r->rms_dp);
  qa_json_num(o, "rms_dp_se", r->rms_dp_se);
  qa_json_num(o, "same_top", r->same_top);
  qa_json_num(o, "same_top_se", r->same_top_se);
  qa_json_num(o, "same_top_se_doc", r->same_top_se_doc);
  cJSON_AddItemToObject(o, "same_top_ci95", pair(r->same_top_ci_lo, r->same_top_ci_hi));
  cJSON *arr = cJSON_AddArrayToObject(o, "slices");
  for (size_t i = 0; i < r->n_slices; i++) {
    const qa_tokens_slice *sl = &r->slices[i];
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "slice", sl->name);
    qa_json_num(e, "n", (double)sl->n);
    qa_json_num(e, "docs", (double)sl->docs);
    qa_json_num(e, "kld_mean", sl->kld_mean);
    qa_json_num(e, "kld_se_doc", sl->kld_se_doc);
    qa_json_num(e, "kld_p99", sl->kld_p99);
    qa_json_num(e, "same_top", sl->same_top);
    qa_json_num(e, "ln_ppl_ratio", sl->ln_ppl_ratio);
    qa_json_num(e, "ln_ppl_ratio_se_doc", sl->ln_ppl_ratio_se_doc);
    cJSON_AddItemToArray(arr, e);
  }
  qa_json_str(o, "worst_slice", r->worst_slice < r->n_slices ? r->slices[r->worst_slice].name : NULL);
}

/* models[].variants[].layers (INTERFACE.md section 4): every layer the
** variant shares with its baseline, in the model's layer order, with the
** keys of the spec only; then the baseline's layers the variant lacks and
** the variant's layers the baseline lacks (neither analysed). */
static void add_layers(cJSON *obj, const qa_depth_model *d, size_t v) {
  cJSON *arr = cJSON_AddArrayToObject(obj, "layers");
  cJSON *missing = cJSON_CreateArray(), *extra = cJSON_CreateArray();
  for (size_t k = 0; k < d->n_layers; k++) {
    const qa_depth_cell *c = qa_depth_cell_at(d, v, k);
    if (!c->present) {
      cJSON_AddItemToArray(missing, cJSON_CreateString(d->layers[k]));
      continue;
    }
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "layer", d->layers[k]);
    qa_json_num(e, "cosine_mean", c->cosine_mean);
    qa_json_num(e, "cosine_p05", c->cosine_p05);
    qa_json_num(e, "sqnr_db", c->sqnr_db);
    qa_json_num(e, "cka_linear", c->cka_linear);
    qa_json_num(e, "probe_native", c->probe.native);
    qa_json_num(e, "probe_transfer", c->probe.transfer);
    qa_json_num(e, "probe_transfer_delta_pp", c->probe.transfer_delta_pp);
    qa_json_num(e, "probe_auc_native", c->probe.auc_native);
    qa_json_num(e, "probe_auc_transfer", c->probe.auc_transfer);
    cJSON_AddItemToArray(arr, e);
  }
  for (size_t i = 0; i < d->n_extra; i++)
    if (d->extra[i].variant == v)
      cJSON_AddItemToArray(extra, cJSON_CreateString(d->extra[i].layer));
  cJSON_AddItemToObject(obj, "layers_missing", missing);
  cJSON_AddItemToObject(obj, "layers_not_in_baseline", extra);
}

void qa_results_add_depth(cJSON *obj, const qa_study *s, const qa_analysis *a, size_t m) {
  const qa_depth_model *d = a->depth ? &a->depth[m] : NULL;
  if (!d || !d->present) return;
  cJSON *o = cJSON_AddObjectToObject(obj, "depth");
  cJSON *arr = cJSON_AddArrayToObject(o, "layers");
  for (size_t k = 0; k < d->n_layers; k++) {
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "layer", d->layers[k]);
    qa_json_num(e, "dim", (double)d->dim[k]);
    cJSON_AddBoolToObject(e, "configured", k == d->configured);
    cJSON_AddItemToArray(arr, e);
  }
  cJSON_AddBoolToObject(o, "probes", d->has_probes);
  qa_json_num(o, "probe_ridge", s->cfg->probe_ridge);
  qa_json_num(o, "probe_n_train", d->has_probes ? (double)d->n_train : NAN);
  qa_json_num(o, "probe_n_test", d->has_probes ? (double)d->n_test : NAN);
  qa_json_num(o, "probe_classes", d->has_probes ? (double)s->models[m].n_classes : NAN);
  qa_json_num(o, "layers_missing", (double)d->n_missing);
}

void qa_results_add_variant(cJSON *obj, const qa_study *s, const qa_analysis *a, size_t m,
                            size_t v) {
  const qa_variant_result *r = &a->models[m][v];
  if (r->repr.present) add_representation(obj, s, m, &r->repr);
  if (a->depth && a->depth[m].present) add_layers(obj, &a->depth[m], v);
  if (r->out.present) add_outputs(obj, s, m, &r->out);
  if (r->bench.present) add_benchmark(obj, s->cfg, &r->bench);
  if (r->gen.present) add_generation(obj, s->cfg, &r->gen);
  add_perf(obj, s->cfg, &r->perf);
  if (r->tokens.present) add_tokens(obj, &r->tokens);
  qa_json_num(obj, "bench_delta_pp", r->bench.present ? r->bench.delta_pp : NAN);
  qa_json_num(obj, "gen_delta_pct", r->gen_signal);
  qa_json_str(obj, "bench_signal", r->bench_signal_source);
  qa_json_num(obj, "bench_signal_pp", r->bench_signal);
  qa_json_str(obj, "tier", qa_analysis_tier_name(s->cfg, r->tier));
}

static cJSON *adjacent_tests(const qa_study *s, const qa_analysis *a) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; i < a->n_adjacent; i++) {
    const qa_adjacent_test *t = &a->adjacent[i];
    const qa_model *m = &s->models[t->model];
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "model", m->name);
    qa_json_str(e, "higher", m->variants[t->higher].name);
    qa_json_str(e, "lower", m->variants[t->lower].name);
    qa_json_str(e, "family", t->family);
    qa_json_str(e, "metric", t->metric);
    qa_json_num(e, "n", (double)t->n);
    qa_json_num(e, "mean_higher", t->mean_higher);
    qa_json_num(e, "mean_lower", t->mean_lower);
    qa_json_num(e, "d", t->d);
    int tok = !strcmp(t->family, "tokens");
    qa_json_num(e, tok ? "z" : "welch_t", t->t);
    qa_json_num(e, "p", t->p);
    qa_json_num(e, "p_bonferroni", t->p_bonferroni);
    qa_json_num(e, "p_holm", t->p_holm);
    qa_json_num(e, "p_paired", t->p_paired);
    qa_json_num(e, "p_paired_holm", t->p_paired_holm);
    qa_json_str(e, "paired_test", !strcmp(t->family, "benchmark") ? "mcnemar"
                                  : tok ? "clustered_z" : "paired_t");
    cJSON_AddBoolToObject(e, "survives_bonferroni", t->p_bonferroni < s->cfg->alpha);
    cJSON_AddBoolToObject(e, "survives_holm", t->p_holm < s->cfg->alpha);
    cJSON_AddItemToArray(arr, e);
  }
  return arr;
}

static cJSON *decision_matrix(const qa_study *s, const qa_analysis *a) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t t = 0; t < a->n_decision; t++) {
    const qa_decision_tier *dt = &a->decision[t];
    cJSON *e = cJSON_CreateObject();
    qa_json_num(e, "vram_gb", dt->vram_gb);
    cJSON *rows = cJSON_AddArrayToObject(e, "rows");
    for (size_t i = 0; i < dt->n_rows; i++) {
      const qa_decision_row *row = &dt->rows[i];
      const qa_variant_result *r = &a->models[row->model][row->variant];
      cJSON *o = cJSON_CreateObject();
      qa_json_str(o, "model", s->models[row->model].name);
      qa_json_str(o, "variant", s->models[row->model].variants[row->variant].name);
      qa_json_num(o, "vram_gb", row->vram_gb);
      qa_json_str(o, "tier", qa_analysis_tier_name(s->cfg, r->tier));
      qa_json_num(o, "bench_delta_pp", r->bench_signal);
      qa_json_num(o, "gen_delta_pct", r->gen_signal);
      qa_json_num(o, "decode_tok_s", qa_analysis_throughput(s->cfg, &r->perf));
      qa_json_num(o, "usd_per_mtok", r->perf.usd_per_mtok);
      /* Recommended: the first or second configured tier. */
      cJSON_AddBoolToObject(o, "recommended", qa_analysis_tier_recommended(s->cfg, r->tier));
      cJSON_AddItemToArray(rows, o);
    }
    static const char *const pick_names[QA_N_PICKS] = {"quality", "throughput", "cost"};
    cJSON *picks = cJSON_AddObjectToObject(e, "picks");
    for (int k = 0; k < QA_N_PICKS; k++) {
      const qa_pick *p = &dt->picks[k];
      if (!p->present) {
        cJSON_AddNullToObject(picks, pick_names[k]);
        continue;
      }
      cJSON *po = cJSON_AddObjectToObject(picks, pick_names[k]);
      qa_json_str(po, "model", s->models[p->model].name);
      qa_json_str(po, "variant", s->models[p->model].variants[p->variant].name);
    }
    cJSON_AddItemToArray(arr, e);
  }
  return arr;
}

void qa_results_add_study(cJSON *root, const qa_study *s, const qa_analysis *a) {
  const qa_config *cfg = s->cfg;
  cJSON_AddItemToObject(root, "adjacent_tests", adjacent_tests(s, a));
  cJSON *mc = cJSON_AddObjectToObject(root, "multiple_comparisons");
  qa_json_num(mc, "m", (double)a->n_adjacent);
  qa_json_num(mc, "alpha", cfg->alpha);
  qa_json_num(mc, "significant", (double)a->n_significant);
  qa_json_num(mc, "survive_bonferroni", (double)a->n_bonferroni);
  qa_json_num(mc, "survive_holm", (double)a->n_holm);
  qa_json_num(mc, "expected_false_positives", (double)a->n_adjacent * cfg->alpha);
  cJSON *pw = cJSON_AddObjectToObject(root, "power");
  qa_json_num(pw, "alpha", cfg->alpha);
  qa_json_num(pw, "power", cfg->power);
  qa_json_num(pw, "mde_pp", a->mde_pp);
  qa_json_num(pw, "mde_d", a->mde_d);
  qa_json_num(pw, "benchmark_n", a->bench_n_min ? (double)a->bench_n_min : NAN);
  qa_json_num(pw, "generation_n", a->gen_n_min ? (double)a->gen_n_min : NAN);
  cJSON *below = cJSON_AddArrayToObject(pw, "tiers_below_mde");
  cJSON *tiers = cJSON_AddArrayToObject(root, "tiers");
  cJSON *counts = cJSON_AddObjectToObject(root, "tier_counts");
  for (size_t t = 0; t <= cfg->n_tiers; t++) {
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "name", qa_analysis_tier_name(cfg, t));
    qa_json_num(e, "max_drop_pp", t < cfg->n_tiers ? cfg->tiers[t].max_drop_pp : NAN);
    qa_json_num(e, "max_drop_pct", t < cfg->n_tiers ? cfg->tiers[t].max_drop_pct : NAN);
    qa_json_num(e, "max_kld", t < cfg->n_tiers && cfg->tiers[t].max_kld != HUGE_VAL
                                  ? cfg->tiers[t].max_kld : NAN);
    cJSON_AddItemToArray(tiers, e);
    if (t < cfg->n_tiers && cfg->tiers[t].max_drop_pp < a->mde_pp)
      cJSON_AddItemToArray(below, cJSON_CreateString(cfg->tiers[t].name));
    size_t n = 0;
    for (size_t m = 0; m < s->n_models; m++)
      for (size_t v = 0; v < s->models[m].n_variants; v++)
        n += v != s->models[m].baseline && a->models[m][v].tier == t;
    qa_json_num(counts, qa_analysis_tier_name(cfg, t), (double)n);
  }
  cJSON_AddItemToObject(root, "decision_matrix", decision_matrix(s, a));
  cJSON *claims = cJSON_AddArrayToObject(root, "claims");
  for (size_t i = 0; i < a->n_claims; i++) {
    cJSON *e = cJSON_CreateObject();
    qa_json_str(e, "id", a->claims[i].id);
    qa_json_str(e, "text", a->claims[i].text);
    qa_json_str(e, "status", a->claims[i].status);
    qa_json_str(e, "evidence", a->claims[i].evidence);
    cJSON_AddItemToArray(claims, e);
  }
}

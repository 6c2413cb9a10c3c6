/*
** Claim validation (STATISTICS.md "Claims"): each configured claim is
** judged on every model that has its variant (or the one it names) and
** gets the weakest status over them, with one line of evidence naming the
** numbers used.  Claims are validated, never restated.
*/
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/stats.h"

enum { NOT_SUPPORTED, INCONCLUSIVE, POINT_ONLY, DEMONSTRATED };
static const char *const STATUS[] = {"not supported", "inconclusive",
                                     "demonstrated (point estimate only)", "demonstrated"};

typedef struct instance {
  const qa_study *s;
  const qa_analysis *a;
  size_t m, vi;
  const qa_variant_result *r, *base;
  char ev[400];
} instance;

static size_t tier_index(const qa_config *cfg, const char *name) {
  for (size_t t = 0; t < cfg->n_tiers; t++)
    if (strcmp(cfg->tiers[t].name, name) == 0) return t;
  return cfg->n_tiers;
}

/* "the paired non-inferiority test at -M pp: p = P" and friends. */
static void add_ev(instance *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_ev(instance *in, const char *fmt, ...) {
  size_t n = strlen(in->ev);
  if (n + 1 >= sizeof in->ev) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(in->ev + n, sizeof in->ev - n, fmt, ap);
  va_end(ap);
}

static int tier_at_most(instance *in, const qa_claim_cfg *cl) {
  const qa_config *cfg = in->s->cfg;
  size_t want = tier_index(cfg, cl->tier), got = in->r->tier;
  const qa_bench_result *b = &in->r->bench;
  add_ev(in, "tier %s", qa_analysis_tier_name(cfg, got));
  if (!isnan(in->r->bench_signal))
    add_ev(in, ", %s delta %+.1f pp", in->r->bench_signal_source, in->r->bench_signal);
  if (!isnan(in->r->gen_signal)) add_ev(in, ", generation %+.1f%%", in->r->gen_signal);
  if (in->r->critical_failed) add_ev(in, ", a critical-error check failed");
  const qa_tokens_result *tk = &in->r->tokens;
  double max_kld = want < cfg->n_tiers ? cfg->tiers[want].max_kld : HUGE_VAL;
  if (tk->present && in->vi != in->s->models[in->m].baseline)
    add_ev(in, ", mean KLD %.4g [%.4g, %.4g]", tk->kld_mean, tk->kld_ci_lo, tk->kld_ci_hi);
  if (got > want) return NOT_SUPPORTED;
  if (in->vi == in->s->models[in->m].baseline) return DEMONSTRATED;
  /* The tier's KLD limit is tested by the interval of the mean KLD. */
  int tok_status = DEMONSTRATED;
  if (tk->present && isfinite(max_kld)) {
    add_ev(in, " against max_kld %g", max_kld);
    if (!(tk->kld_ci_hi <= max_kld)) tok_status = POINT_ONLY;
  }
  if (!b->present && tk->present && isfinite(max_kld)) return tok_status;
  if (!b->present || want >= cfg->n_tiers || !isfinite(cfg->tiers[want].max_drop_pp)) {
    add_ev(in, "; no benchmark test of the tier's limit");
    return POINT_ONLY;
  }
  /* One-sided paired non-inferiority, H0: d <= -max_drop_pp/100
  ** (STATISTICS.md "Claims", tier_at_most). */
  double margin = cfg->tiers[want].max_drop_pp / 100.0;
  double p = qa_noninferiority_p(b->paired.mean, b->paired.se, b->paired.df, margin);
  add_ev(in, "; paired non-inferiority at -%g pp (n = %zu): p = %.3g",
         cfg->tiers[want].max_drop_pp, b->n, p);
  int st = !isnan(p) && p < cfg->alpha ? DEMONSTRATED : POINT_ONLY;
  return st < tok_status ? st : tok_status;
}

/* Index of a generation metric by name in g, or g->n_metrics. */
static size_t gen_metric(const qa_gen_result *g, const char *name) {
  size_t i = 0;
  while (i < g->n_metrics && strcmp(g->metrics[i].metric, name)) i++;
  return i;
}

static int equivalent_generation(instance *in, double m) {
  const qa_config *cfg = in->s->cfg;
  const qa_gen_result *g = &in->r->gen;
  if (!g->present || isnan(g->delta_pct)) {
    add_ev(in, "no generation data");
    return INCONCLUSIVE;
  }
  add_ev(in, "generation key average delta %+.2f%% (margin %g%%)", g->delta_pct, m);
  if (fabs(g->delta_pct) > m) return NOT_SUPPORTED;
  /* The paired TOST at m % of each key metric's baseline mean, on every
  ** key metric; the weakest p decides. */
  double worst = 0;
  int untestable = 0;
  size_t tested = 0;
  for (size_t k = 0; k < cfg->n_key_metrics; k++) {
    size_t i = gen_metric(g, cfg->key_metrics[k]);
    if (i == g->n_metrics) continue;
    const qa_metric_result *r = &g->metrics[i];
    const qa_paired_result *d = &r->paired;
    double p = qa_tost(d->mean, d->se, d->df, fabs(r->base_mean) * m / 100.0, NULL, NULL);
    add_ev(in, "%s %s paired TOST p = %.3g", tested ? "," : ";", r->metric, p);
    tested++;
    if (isnan(p)) untestable = 1;
    else if (p > worst) worst = p;
  }
  if (!tested) {
    add_ev(in, "; no key metric to test");
    return INCONCLUSIVE;
  }
  return !untestable && worst < cfg->alpha ? DEMONSTRATED : INCONCLUSIVE;
}

static int equivalent(instance *in, const qa_claim_cfg *cl) {
  const qa_config *cfg = in->s->cfg;
  if (strcmp(cl->metric, "benchmark") != 0)
    return equivalent_generation(in, cl->has_margin ? cl->margin : cfg->tost_margin_pct);
  const qa_bench_result *b = &in->r->bench;
  double m = cl->has_margin ? cl->margin : cfg->tost_margin_pp;
  if (!b->present) {
    add_ev(in, "no benchmark data");
    return INCONCLUSIVE;
  }
  /* Paired TOST at +/- m pp (STATISTICS.md "Claims", equivalent). */
  const qa_paired_result *d = &b->paired;
  double p = qa_tost(d->mean, d->se, d->df, m / 100.0, NULL, NULL);
  add_ev(in, "benchmark delta %+.1f pp (n = %zu, %llu lost, %llu gained), paired TOST at "
         "+/-%g pp: p = %.3g", b->delta_pp, b->n, (unsigned long long)b->mcnemar_b,
         (unsigned long long)b->mcnemar_c, m, p);
  if (fabs(b->delta_pp) > m) return NOT_SUPPORTED;
  return !isnan(p) && p < cfg->alpha ? DEMONSTRATED : INCONCLUSIVE;
}

static int worse_than_baseline(instance *in, const qa_claim_cfg *cl) {
  const qa_bench_result *b = &in->r->bench;
  double m = cl->has_min_drop ? cl->min_drop : 0;
  if (!b->present) {
    add_ev(in, "no benchmark data");
    return INCONCLUSIVE;
  }
  /* The drop must exceed the claimed m: one-sided paired test of
  ** H0: d >= -m/100 (STATISTICS.md "Claims", worse_than_baseline). */
  const qa_paired_result *d = &b->paired;
  double p = qa_below_p(d->mean, d->se, d->df, -m / 100.0);
  add_ev(in, "benchmark delta %+.1f pp, 95%% CI [%+.1f, %+.1f] pp (paired, n = %zu); "
         "one-sided paired test of a drop beyond %g pp: p = %.3g", b->delta_pp,
         100.0 * d->ci_lo, 100.0 * d->ci_hi, b->n, m, p);
  if (-b->delta_pp < m) return NOT_SUPPORTED;
  return !isnan(p) && p < in->s->cfg->alpha ? DEMONSTRATED : POINT_ONLY;
}

/* A representation or output number by its claim name; NaN when absent. */
static double named_metric(const qa_variant_result *r, const char *name) {
  const qa_repr_result *p = &r->repr;
  const qa_outputs_result *o = &r->out;
  if (!strcmp(name, "cosine_mean")) return p->present ? p->cos_mean : NAN;
  if (!strcmp(name, "sqnr_db")) return p->present ? p->sqnr_db : NAN;
  if (!strcmp(name, "spearman_rho")) return p->present ? p->spearman_rho : NAN;
  if (!strcmp(name, "knn_accuracy")) return p->present ? p->knn_accuracy : NAN;
  if (!strcmp(name, "neighbor_overlap")) return p->present ? p->neighbor_overlap : NAN;
  if (!strcmp(name, "cka_linear")) return p->present ? p->cka_linear : NAN;
  if (!strcmp(name, "effective_rank")) return p->present ? p->effective_rank : NAN;
  if (!strcmp(name, "top1_agreement")) return o->present ? o->top1_agreement : NAN;
  if (!strcmp(name, "kl_mean")) return o->present ? o->kl_mean : NAN;
  return NAN;
}

/* cosine_mean (t-interval of the per-sample cosines, and the fraction of
** samples on the wrong side) and knn_accuracy (Wilson); STATISTICS.md
** "Claims", metric_at_least / metric_at_most. */
static int repr_bound(instance *in, const qa_claim_cfg *cl, int at_least) {
  const qa_repr_result *p = &in->r->repr;
  const char *side = at_least ? ">=" : "<=";
  double v = cl->value;
  int cos = !strcmp(cl->metric, "cosine_mean");
  double x = !p->present ? NAN : cos ? p->cos_mean : p->knn_accuracy;
  double lo = cos ? p->cos_ci_lo : p->knn_wilson_lo, hi = cos ? p->cos_ci_hi : p->knn_wilson_hi;
  if (isnan(x)) {
    add_ev(in, "%s not available", cl->metric);
    return INCONCLUSIVE;
  }
  add_ev(in, "%s %.4g, 95%% %s [%.4g, %.4g], claimed %s %g", cl->metric, x,
         cos ? "t-interval" : "Wilson", lo, hi, side, v);
  if (cos && p->cosine && p->n) {
    size_t wrong = 0;
    for (size_t i = 0; i < p->n; i++) wrong += at_least ? p->cosine[i] < v : p->cosine[i] > v;
    add_ev(in, "; %zu of %zu samples (%.0f%%) %s %g", wrong, p->n,
           100.0 * (double)wrong / (double)p->n, at_least ? "below" : "above", v);
  }
  if (!isnan(lo) && !isnan(hi) && (at_least ? lo >= v : hi <= v)) return DEMONSTRATED;
  return (at_least ? x >= v : x <= v) ? POINT_ONLY : NOT_SUPPORTED;
}

/* Token metrics (STATISTICS.md "Token-level outputs", Claims): the interval
** mean ± z·se_doc (ppl_ratio: exp of the ln-ratio interval) wholly on the
** claimed side demonstrates; kld_p99 has no interval, point only. */
static int token_bound(instance *in, const qa_claim_cfg *cl, int at_least) {
  const qa_tokens_result *t = &in->r->tokens;
  const char *m = cl->metric, *side = at_least ? ">=" : "<=";
  double v = cl->value, x, lo = NAN, hi = NAN;
  if (!t->present) {
    snprintf(in->ev, sizeof in->ev, "%s: no token-level data (/tokens/logits)", m);
    return INCONCLUSIVE;
  }
  if (!strcmp(m, "kld_mean")) { x = t->kld_mean; lo = t->kld_ci_lo; hi = t->kld_ci_hi; }
  else if (!strcmp(m, "same_top")) { x = t->same_top; lo = t->same_top_ci_lo; hi = t->same_top_ci_hi; }
  else if (!strcmp(m, "ln_ppl_ratio")) {
    x = t->ln_ppl_ratio; lo = t->ln_ppl_ratio_ci_lo; hi = t->ln_ppl_ratio_ci_hi;
  } else if (!strcmp(m, "ppl_ratio")) {
    x = t->ppl_ratio; lo = t->ppl_ratio_ci_lo; hi = t->ppl_ratio_ci_hi;
  } else {
    x = t->kld_pct[2];                   /* p99 */
  }
  int clustered = isfinite(t->kld_se_doc);
  if (isnan(lo))
    snprintf(in->ev, sizeof in->ev, "%s = %.4g over %zu positions, claimed %s %g (a percentile: "
             "point estimate only)", m, x, t->n, side, v);
  else
    snprintf(in->ev, sizeof in->ev, "%s = %.4g, 95%% interval [%.4g, %.4g] (%s, %zu positions, "
             "%zu documents), claimed %s %g", m, x, lo, hi,
             clustered ? "document-clustered" : "positions independent", t->n, t->docs, side, v);
  if (!isnan(lo) && (at_least ? lo >= v : hi <= v)) return DEMONSTRATED;
  return (at_least ? x >= v : x <= v) ? POINT_ONLY : NOT_SUPPORTED;
}

static int is_token_metric(const char *m) {
  return !strcmp(m, "kld_mean") || !strcmp(m, "kld_p99") || !strcmp(m, "same_top") ||
         !strcmp(m, "ppl_ratio") || !strcmp(m, "ln_ppl_ratio");
}

static int metric_bound(instance *in, const qa_claim_cfg *cl, int at_least) {
  if (is_token_metric(cl->metric)) return token_bound(in, cl, at_least);
  const char *side = at_least ? ">=" : "<=";
  double v = cl->value, x, lo = NAN, hi = NAN;
  if (!strcmp(cl->metric, "benchmark") || !strcmp(cl->metric, "accuracy")) {
    int bench = cl->metric[0] == 'b';
    int present = bench ? in->r->bench.present : in->r->out.present;
    x = !present ? NAN : bench ? in->r->bench.accuracy : in->r->out.accuracy;
    lo = bench ? in->r->bench.wilson_lo : in->r->out.wilson_lo;
    hi = bench ? in->r->bench.wilson_hi : in->r->out.wilson_hi;
    if (isnan(x)) { snprintf(in->ev, sizeof in->ev, "no %s data", cl->metric); return INCONCLUSIVE; }
    snprintf(in->ev, sizeof in->ev, "%s accuracy %.3f, Wilson 95%% [%.3f, %.3f], claimed %s %g",
             bench ? "benchmark" : "output", x, lo, hi, side, v);
    if (at_least ? lo >= v : hi <= v) return DEMONSTRATED;
    return (at_least ? x >= v : x <= v) ? POINT_ONLY : NOT_SUPPORTED;
  }
  if (!strcmp(cl->metric, "cosine_mean") || !strcmp(cl->metric, "knn_accuracy"))
    return repr_bound(in, cl, at_least);
  x = named_metric(in->r, cl->metric);
  if (isnan(x)) {
    snprintf(in->ev, sizeof in->ev, "%s not available", cl->metric);
    return INCONCLUSIVE;
  }
  snprintf(in->ev, sizeof in->ev, "%s = %.4g, claimed %s %g (no interval)", cl->metric, x, side, v);
  return (at_least ? x >= v : x <= v) ? POINT_ONLY : NOT_SUPPORTED;
}

static int critical_at_most(instance *in, const qa_claim_cfg *cl) {
  const qa_outputs_result *o = &in->r->out;
  if (!o->present || !o->n_critical) {
    snprintf(in->ev, sizeof in->ev, "no labelled predictions or no critical errors configured");
    return INCONCLUSIVE;
  }
  long sum = 0;
  for (size_t k = 0; k < o->n_critical; k++) sum += o->critical[k].count;
  snprintf(in->ev, sizeof in->ev, "%ld critical error%s over %zu check%s (claimed at most %ld)",
           sum, sum == 1 ? "" : "s", o->n_critical, o->n_critical == 1 ? "" : "s", cl->max);
  return sum <= cl->max ? DEMONSTRATED : NOT_SUPPORTED;
}

static int judge(instance *in, const qa_claim_cfg *cl) {
  const char *k = cl->kind;
  if (!strcmp(k, "tier_at_most")) return tier_at_most(in, cl);
  if (!strcmp(k, "equivalent")) return equivalent(in, cl);
  if (!strcmp(k, "worse_than_baseline")) return worse_than_baseline(in, cl);
  if (!strcmp(k, "metric_at_least")) return metric_bound(in, cl, 1);
  if (!strcmp(k, "metric_at_most")) return metric_bound(in, cl, 0);
  return critical_at_most(in, cl);
}

static void judge_claim(const qa_study *s, const qa_analysis *a, const qa_claim_cfg *cl,
                        qa_claim_result *out) {
  int status = DEMONSTRATED, instances = 0;
  size_t used = 0;
  out->id = cl->id;
  out->text = cl->text;
  out->evidence[0] = '\0';
  for (size_t m = 0; m < s->n_models; m++) {
    const qa_model *model = &s->models[m];
    if (cl->model && strcmp(cl->model, model->name) != 0) continue;
    for (size_t vi = 0; vi < model->n_variants; vi++) {
      if (strcmp(model->variants[vi].name, cl->variant) != 0) continue;
      instance in = {s, a, m, vi, &a->models[m][vi], &a->models[m][model->baseline], ""};
      int st = judge(&in, cl);
      if (st < status) status = st;
      instances++;
      if (used < sizeof out->evidence)
        used += (size_t)snprintf(out->evidence + used, sizeof out->evidence - used, "%s%s%s%s",
                                 used ? "; " : "", s->n_models > 1 ? model->name : "",
                                 s->n_models > 1 ? ": " : "", in.ev);
    }
  }
  if (!instances) {
    status = INCONCLUSIVE;
    snprintf(out->evidence, sizeof out->evidence, "no model has a variant named %s%s%s",
             cl->variant, cl->model ? " in model " : "", cl->model ? cl->model : "");
  }
  out->status = STATUS[status];
}

int qa_analysis_claims(const qa_study *s, qa_analysis *a, qa_error *err) {
  const qa_config *cfg = s->cfg;
  if (!cfg->n_claims) return 0;
  a->claims = calloc(cfg->n_claims, sizeof *a->claims);
  if (!a->claims) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  a->n_claims = cfg->n_claims;
  for (size_t i = 0; i < cfg->n_claims; i++) judge_claim(s, a, &cfg->claims[i], &a->claims[i]);
  return 0;
}

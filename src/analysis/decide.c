/*
** Decisions: each variant's tier, the family of adjacent tests with its
** multiple-comparison corrections, the power summary, and the decision
** matrix per memory tier.  Definitions: STATISTICS.md "Tier, cost,
** memory", "Adjacent tests", "Multiple comparisons".
*/
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/stats.h"

/* Deltas are differences of ratios; a threshold met exactly must not fail
** on the last bit. */
#define TIER_EPS 1e-9

int qa_analysis_tier_recommended(const qa_config *cfg, size_t t) {
  return t < cfg->n_tiers && t < 2;
}

double qa_analysis_throughput(const qa_config *cfg, const qa_perf_result *pf) {
  return cfg->throughput_arithmetic ? pf->decode_mean : pf->decode_hmean;
}

double qa_analysis_quality(const qa_variant_result *r) {
  if (r->bench.present && !isnan(r->bench.accuracy)) return r->bench.accuracy;
  if (r->out.present && !isnan(r->out.accuracy)) return r->out.accuracy;
  if (r->repr.present && !isnan(r->repr.knn_accuracy)) return r->repr.knn_accuracy;
  return NAN;
}

const char *qa_analysis_tier_name(const qa_config *cfg, size_t t) {
  return t < cfg->n_tiers ? cfg->tiers[t].name : "unacceptable";
}

/* The bench signal: benchmark delta, else outputs accuracy delta, else
** kNN accuracy delta. */
static void signals(qa_variant_result *r, const qa_variant_result *base) {
  r->bench_signal = NAN;
  r->bench_signal_source = NULL;
  if (r->bench.present && !isnan(r->bench.delta_pp)) {
    r->bench_signal = r->bench.delta_pp;
    r->bench_signal_source = "benchmark";
  } else if (r->out.present && !isnan(r->out.accuracy) && !isnan(base->out.accuracy)) {
    r->bench_signal = 100.0 * (r->out.accuracy - base->out.accuracy);
    r->bench_signal_source = "outputs";
  } else if (r->repr.present && !isnan(r->repr.knn_delta_pp)) {
    r->bench_signal = r->repr.knn_delta_pp;
    r->bench_signal_source = "knn";
  }
  r->gen_signal = r->gen.present ? r->gen.delta_pct : NAN;
}

void qa_analysis_tiers(const qa_study *s, qa_analysis *a) {
  const qa_config *cfg = s->cfg;
  for (size_t m = 0; m < s->n_models; m++) {
    const qa_model *model = &s->models[m];
    qa_variant_result *res = a->models[m];
    for (size_t vi = 0; vi < model->n_variants; vi++) {
      qa_variant_result *r = &res[vi];
      signals(r, &res[model->baseline]);
      r->critical_failed = 0;
      for (size_t k = 0; k < r->out.n_critical; k++) r->critical_failed |= !r->out.critical[k].pass;
      if (vi == model->baseline) { r->tier = 0; continue; }
      size_t t = 0;
      for (; t < cfg->n_tiers; t++) {
        const qa_tier_cfg *tc = &cfg->tiers[t];
        int ok_b = isnan(r->bench_signal) || tc->max_drop_pp + TIER_EPS >= -r->bench_signal;
        int ok_g = isnan(r->gen_signal) || tc->max_drop_pct + TIER_EPS >= -r->gen_signal;
        /* STATISTICS.md "Token-level": max_kld bounds the mean token KLD. */
        int ok_k = !r->tokens.present || tc->max_kld == HUGE_VAL ||
                   r->tokens.kld_mean <= tc->max_kld;
        if (ok_b && ok_g && ok_k) break;
      }
      /* A failed critical-error check is unacceptable whatever else holds. */
      r->tier = r->critical_failed ? cfg->n_tiers : t;
    }
  }
}

static int add_test(qa_analysis *a, size_t *cap, const qa_adjacent_test *t) {
  if (a->n_adjacent == *cap) {
    size_t nc = *cap ? 2 * *cap : 16;
    qa_adjacent_test *v = realloc(a->adjacent, nc * sizeof *v);
    if (!v) return -1;
    a->adjacent = v;
    *cap = nc;
  }
  a->adjacent[a->n_adjacent++] = *t;
  return 0;
}

/* The tokens family (STATISTICS.md "Token-level outputs", adjacent test):
** d_t = nll_lower − nll_higher per position, z = mean(d)/se_doc(d) (se with
** one document), two-sided normal p, d = mean(d)/s(d).  The test is paired
** by construction, so p_paired is p. */
static int pair_tokens(const qa_study *s, const qa_analysis *a, size_t m, size_t vi,
                       qa_adjacent_test *t) {
  const qa_tokens_result *hi = &a->models[m][vi].tokens, *lo = &a->models[m][vi + 1].tokens;
  if (!hi->present || !lo->present || hi->n != lo->n || hi->n < 2) return 0;
  const qa_cache *base = s->models[m].variants[s->models[m].baseline].cache;
  size_t n = hi->n;
  double *d = malloc(n * sizeof *d);
  if (!d) return -1;
  for (size_t i = 0; i < n; i++) d[i] = lo->nll[i] - hi->nll[i];
  double mean = qa_mean(d, n), sd = qa_sd(d, n);
  double se_doc = qa_tokens_se_doc(d, base->has_tok_doc ? base->tok_doc : NULL, n, NULL);
  free(d);
  double se = isfinite(se_doc) ? se_doc : sd / sqrt((double)n);
  t->family = "tokens";
  t->metric = "nll";
  t->n = n;
  t->mean_higher = qa_mean(hi->nll, n);
  t->mean_lower = qa_mean(lo->nll, n);
  t->d = sd > 0 ? mean / sd : NAN;
  t->t = se > 0 ? mean / se : NAN;
  t->p = se > 0 ? 2 * gsl_cdf_ugaussian_Q(fabs(t->t)) : (mean == 0 ? 1.0 : 0.0);
  t->p_paired = t->p;
  return 1;
}

static int adjacent_pair(const qa_study *s, qa_analysis *a, size_t m, size_t vi, size_t *cap) {
  const qa_model *model = &s->models[m];
  const qa_cache *hi = model->variants[vi].cache, *lo = model->variants[vi + 1].cache;
  qa_adjacent_test t = {m, vi, vi + 1, NULL, NULL, 0, 0, 0, 0, 0, 0, NAN, NAN, NAN, NAN};
  if (qa_analysis_pair_bench(hi, lo, &t) == 1 && add_test(a, cap, &t)) return -1;
  /* One generation test per metric both have, in the lower variant's order. */
  const qa_gen_result *g = &a->models[m][vi + 1].gen;
  for (size_t k = 0; k < g->n_metrics; k++) {
    qa_adjacent_test u = {m, vi, vi + 1, NULL, NULL, 0, 0, 0, 0, 0, 0, NAN, NAN, NAN, NAN};
    int rc = qa_analysis_pair_metric(hi, lo, g->metrics[k].metric, &u);
    if (rc < 0 || (rc == 1 && add_test(a, cap, &u))) return -1;
  }
  qa_adjacent_test w = {m, vi, vi + 1, NULL, NULL, 0, 0, 0, 0, 0, 0, NAN, NAN, NAN, NAN};
  int rc = pair_tokens(s, a, m, vi, &w);
  if (rc < 0 || (rc == 1 && add_test(a, cap, &w))) return -1;
  return 0;
}

int qa_analysis_adjacent(const qa_study *s, qa_analysis *a, qa_error *err) {
  const qa_config *cfg = s->cfg;
  size_t cap = 0;
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t vi = 0; vi + 1 < s->models[m].n_variants; vi++)
      if (adjacent_pair(s, a, m, vi, &cap))
        return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  size_t n = a->n_adjacent;
  if (!n) return 0;
  double *p = malloc(n * sizeof *p), *adj = malloc(n * sizeof *adj);
  if (!p || !adj) {
    free(p); free(adj);
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  }
  for (size_t i = 0; i < n; i++) p[i] = a->adjacent[i].p;
  /* One family: every model, every neighbouring pair, every metric. */
  qa_bonferroni(p, n, adj);
  for (size_t i = 0; i < n; i++) a->adjacent[i].p_bonferroni = adj[i];
  int rc = qa_holm(p, n, adj);
  for (size_t i = 0; !rc && i < n; i++) a->adjacent[i].p_holm = adj[i];
  /* The paired p values form their own Holm family over the same tests. */
  for (size_t i = 0; i < n; i++) p[i] = a->adjacent[i].p_paired;
  rc = rc || qa_holm(p, n, adj);
  for (size_t i = 0; !rc && i < n; i++) a->adjacent[i].p_paired_holm = adj[i];
  for (size_t i = 0; i < n; i++) {
    const qa_adjacent_test *t = &a->adjacent[i];
    a->n_significant += t->p < cfg->alpha;
    a->n_bonferroni += t->p_bonferroni < cfg->alpha;
    a->n_holm += t->p_holm < cfg->alpha;
  }
  free(p);
  free(adj);
  return rc ? qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory") : 0;
}

/* ---- decision matrix ---------------------------------------------------- */

static const qa_analysis *sort_analysis;

static int by_throughput(const void *pa, const void *pb) {
  const qa_decision_row *x = pa, *y = pb;
  const qa_config *cfg = sort_analysis->study->cfg;
  double tx = qa_analysis_throughput(cfg, &sort_analysis->models[x->model][x->variant].perf);
  double ty = qa_analysis_throughput(cfg, &sort_analysis->models[y->model][y->variant].perf);
  if (isnan(tx) != isnan(ty)) return isnan(tx) ? 1 : -1;
  if (!isnan(tx) && tx != ty) return tx > ty ? -1 : 1;
  /* Equal or unknown throughput: configuration order. */
  if (x->model != y->model) return x->model < y->model ? -1 : 1;
  return (x->variant > y->variant) - (x->variant < y->variant);
}

/* 1 when candidate (value x, memory gx) beats the best so far (bx, gb):
** higher (or lower, when lower_wins) value, ties to the lower memory; the
** first found keeps a full tie (configuration order). */
static int better(double x, double gx, double bx, double gb, int have, int lower_wins) {
  if (isnan(x)) return 0;
  if (!have) return 1;
  if (x != bx) return lower_wins ? x < bx : x > bx;
  return gx < gb;
}

/* Use-case picks of one memory tier among every recommended (model,
** variant) that fits within it, all models; STATISTICS.md "picks". */
static void pick_tier(const qa_study *s, const qa_analysis *a, qa_decision_tier *dt) {
  const qa_config *cfg = s->cfg;
  double best[QA_N_PICKS] = {0}, best_gb[QA_N_PICKS] = {0};
  for (size_t m = 0; m < s->n_models; m++)
    for (size_t vi = 0; vi < s->models[m].n_variants; vi++) {
      const qa_variant *v = &s->models[m].variants[vi];
      const qa_variant_result *r = &a->models[m][vi];
      if (!v->has_vram_gb || !(v->vram_gb <= dt->vram_gb)) continue;
      if (!qa_analysis_tier_recommended(cfg, r->tier)) continue;
      double x[QA_N_PICKS] = {qa_analysis_quality(r), qa_analysis_throughput(cfg, &r->perf),
                              r->perf.usd_per_mtok};
      for (int k = 0; k < QA_N_PICKS; k++) {
        qa_pick *p = &dt->picks[k];
        if (!better(x[k], v->vram_gb, best[k], best_gb[k], p->present, k == QA_PICK_COST))
          continue;
        *p = (qa_pick){1, m, vi};
        best[k] = x[k];
        best_gb[k] = v->vram_gb;
      }
    }
}

/* Sweet spot and cliff of every model; STATISTICS.md "Tier, cost, memory". */
static int model_decisions(const qa_study *s, qa_analysis *a, qa_error *err) {
  const qa_config *cfg = s->cfg;
  a->model_decisions = calloc(s->n_models ? s->n_models : 1, sizeof *a->model_decisions);
  if (!a->model_decisions) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  for (size_t m = 0; m < s->n_models; m++) {
    const qa_model *model = &s->models[m];
    qa_model_decision *md = &a->model_decisions[m];
    md->sweet_spot = md->cliff = SIZE_MAX;
    md->sweet_spot_noninf_p = NAN;
    for (size_t vi = 0; vi < model->n_variants; vi++) {
      const qa_variant *v = &model->variants[vi];
      const qa_variant_result *r = &a->models[m][vi];
      if (!qa_analysis_tier_recommended(cfg, r->tier)) {
        if (md->cliff == SIZE_MAX) md->cliff = vi;
        continue;
      }
      if (md->sweet_spot == SIZE_MAX) { md->sweet_spot = vi; continue; }
      /* The lowest memory, else the lowest bits; ties keep the earlier. */
      const qa_variant *w = &model->variants[md->sweet_spot];
      int lower;
      if (v->has_vram_gb && w->has_vram_gb) lower = v->vram_gb < w->vram_gb;
      else lower = v->has_bits_per_weight && w->has_bits_per_weight && v->bits_per_weight < w->bits_per_weight;
      if (lower) md->sweet_spot = vi;
    }
    if (md->sweet_spot == SIZE_MAX || md->sweet_spot == model->baseline) continue;
    /* Paired non-inferiority at the margin of the last recommended tier. */
    const qa_bench_result *b = &a->models[m][md->sweet_spot].bench;
    size_t last = cfg->n_tiers > 1 ? 1 : 0;
    if (b->present && cfg->n_tiers && isfinite(cfg->tiers[last].max_drop_pp))
      md->sweet_spot_noninf_p = qa_noninferiority_p(
          b->paired.mean, b->paired.se, b->paired.df, cfg->tiers[last].max_drop_pp / 100.0);
  }
  return 0;
}

int qa_analysis_decisions(const qa_study *s, qa_analysis *a, qa_error *err) {
  const qa_config *cfg = s->cfg;
  a->n_decision = cfg->n_vram_tiers;
  a->decision = calloc(cfg->n_vram_tiers ? cfg->n_vram_tiers : 1, sizeof *a->decision);
  if (!a->decision) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  /* vram_tiers_gb are validated ascending by the configuration. */
  for (size_t t = 0; t < cfg->n_vram_tiers; t++) {
    qa_decision_tier *dt = &a->decision[t];
    double lo = t ? cfg->vram_tiers_gb[t - 1] : -INFINITY, hi = cfg->vram_tiers_gb[t];
    dt->vram_gb = hi;
    for (int pass = 0; pass < 2; pass++) {
      size_t n = 0;
      for (size_t m = 0; m < s->n_models; m++)
        for (size_t vi = 0; vi < s->models[m].n_variants; vi++) {
          const qa_variant *v = &s->models[m].variants[vi];
          if (!v->has_vram_gb || !(v->vram_gb <= hi) || v->vram_gb <= lo) continue;
          if (pass) dt->rows[n] = (qa_decision_row){m, vi, v->vram_gb};
          n++;
        }
      if (!pass) {
        dt->rows = calloc(n ? n : 1, sizeof *dt->rows);
        if (!dt->rows) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
      }
      dt->n_rows = n;
    }
    sort_analysis = a;
    qsort(dt->rows, dt->n_rows, sizeof *dt->rows, by_throughput);
    pick_tier(s, a, dt);
  }
  return model_decisions(s, a, err);
}

/*
** Decisions: each variant's tier, the family of adjacent tests with its
** multiple-comparison corrections, the power summary, and the decision
** matrix per memory tier.  Definitions: STATISTICS.md "Tier, cost,
** memory", "Adjacent tests", "Multiple comparisons".
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/stats.h"

/* Deltas are differences of ratios; a threshold met exactly must not fail
** on the last bit. */
#define TIER_EPS 1e-9

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
        if (ok_b && ok_g) break;
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

static int adjacent_pair(const qa_study *s, qa_analysis *a, size_t m, size_t vi, size_t *cap) {
  const qa_model *model = &s->models[m];
  const qa_cache *hi = model->variants[vi].cache, *lo = model->variants[vi + 1].cache;
  qa_adjacent_test t = {m, vi, vi + 1, NULL, NULL, 0, 0, 0, 0, 0, 0, NAN, NAN, NAN};
  if (qa_analysis_pair_bench(hi, lo, &t) == 1 && add_test(a, cap, &t)) return -1;
  /* One generation test per metric both have, in the lower variant's order. */
  const qa_gen_result *g = &a->models[m][vi + 1].gen;
  for (size_t k = 0; k < g->n_metrics; k++) {
    qa_adjacent_test u = {m, vi, vi + 1, NULL, NULL, 0, 0, 0, 0, 0, 0, NAN, NAN, NAN};
    int rc = qa_analysis_pair_metric(hi, lo, g->metrics[k].metric, &u);
    if (rc < 0 || (rc == 1 && add_test(a, cap, &u))) return -1;
  }
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
  double tx = sort_analysis->models[x->model][x->variant].perf.decode_mean;
  double ty = sort_analysis->models[y->model][y->variant].perf.decode_mean;
  if (isnan(tx) != isnan(ty)) return isnan(tx) ? 1 : -1;
  if (!isnan(tx) && tx != ty) return tx > ty ? -1 : 1;
  /* Equal or unknown throughput: configuration order. */
  if (x->model != y->model) return x->model < y->model ? -1 : 1;
  return (x->variant > y->variant) - (x->variant < y->variant);
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
  }
  return 0;
}

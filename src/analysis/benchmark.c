/*
** Benchmark accuracy (binary per-item results, tasks pooled), generation
** quality (continuous per-item scores) and performance/cost, for every
** variant of a model against its baseline.  Definitions: STATISTICS.md
** "Benchmark accuracy", "Generation quality", "Tier, cost, memory".
**
** A variant is compared with its baseline over the tasks both have, item
** by item (the study has aligned items by id), pooled, by task and by
** stratum (STATISTICS.md "benchmark.strata"; the study has checked that an
** item has the same stratum in every variant).
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "analysis/stats.h"

/* Pooled 0/1 counts of variant v and baseline b over their common tasks. */
typedef struct pooled {
  size_t n, k_v, k_b;
  uint64_t b_only, v_only;     /* McNemar: B right & V wrong, B wrong & V right */
} pooled;

static pooled pool_correct(const qa_cache *b, const qa_cache *v) {
  pooled p = {0, 0, 0, 0, 0};
  for (size_t t = 0; t < v->n_tasks; t++) {
    const qa_task *vt = &v->tasks[t], *bt = qa_cache_task(b, vt->name);
    if (!vt->correct || !bt || !bt->correct) continue;
    for (size_t i = 0; i < vt->n_items; i++) {
      p.n++;
      p.k_v += vt->correct[i];
      p.k_b += bt->correct[i];
      p.b_only += bt->correct[i] && !vt->correct[i];
      p.v_only += !bt->correct[i] && vt->correct[i];
    }
  }
  return p;
}

/* Sample variance of a 0/1 vector with k ones among n (divisor n-1). */
static double var01(size_t k, size_t n) {
  return n < 2 ? NAN : (double)k * (double)(n - k) / ((double)n * (double)(n - 1));
}

static int bench_tasks(const qa_cache *b, const qa_cache *v, qa_bench_result *r, double z,
                       qa_error *err) {
  r->tasks = calloc(v->n_tasks ? v->n_tasks : 1, sizeof *r->tasks);
  if (!r->tasks) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  for (size_t t = 0; t < v->n_tasks; t++) {
    const qa_task *vt = &v->tasks[t], *bt = qa_cache_task(b, vt->name);
    if (!vt->correct || !bt || !bt->correct) continue;
    qa_task_result *tr = &r->tasks[r->n_tasks++];
    size_t kv = 0, kb = 0;
    for (size_t i = 0; i < vt->n_items; i++) { kv += vt->correct[i]; kb += bt->correct[i]; }
    tr->task = vt->name;
    tr->n = vt->n_items;
    tr->correct = kv;
    tr->accuracy = (double)kv / (double)tr->n;
    qa_wilson((double)kv, (double)tr->n, z, &tr->wilson_lo, &tr->wilson_hi);
    tr->delta_pp = 100.0 * (tr->accuracy - (double)kb / (double)tr->n);
  }
  return 0;
}

/* Per-stratum counts of one task: items, variant right, baseline right,
** and the discordant pairs of McNemar. */
typedef struct stratum_counts { size_t n, k_v, k_b; uint64_t b_only, v_only; } stratum_counts;

/* benchmark.strata (STATISTICS.md "Strata, calibration, retrieval,
** coverage"): per (task, stratum) with items, accuracy with Wilson 95%,
** delta_pp, the exact McNemar test paired by item id against the
** baseline's same stratum, and Holm over every stratum of the variant
** (all its tasks: one family).  The baseline's own tests are NaN. */
static int bench_strata(const qa_cache *b, const qa_cache *v, int is_base, double z,
                        qa_bench_result *r, qa_error *err) {
  size_t slots = 0, widest = 0;
  for (size_t t = 0; t < v->n_tasks; t++) {
    const qa_task *vt = &v->tasks[t], *bt = qa_cache_task(b, vt->name);
    if (!vt->correct || !bt || !bt->correct || !bt->stratum) continue;
    slots += bt->n_strata;
    if (bt->n_strata > widest) widest = bt->n_strata;
  }
  if (!slots) return 0;
  stratum_counts *cnt = malloc(widest * sizeof *cnt);
  double *p = malloc(slots * sizeof *p);
  r->strata = malloc(slots * sizeof *r->strata);
  if (!cnt || !p || !r->strata) {
    free(cnt);
    free(p);
    return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  }
  size_t k = 0;
  for (size_t t = 0; t < v->n_tasks; t++) {
    const qa_task *vt = &v->tasks[t], *bt = qa_cache_task(b, vt->name);
    if (!vt->correct || !bt || !bt->correct || !bt->stratum) continue;
    memset(cnt, 0, bt->n_strata * sizeof *cnt);
    for (size_t i = 0; i < vt->n_items; i++) {
      stratum_counts *sc = &cnt[bt->stratum[i]];
      sc->n++;
      sc->k_v += vt->correct[i];
      sc->k_b += bt->correct[i];
      sc->b_only += bt->correct[i] && !vt->correct[i];
      sc->v_only += !bt->correct[i] && vt->correct[i];
    }
    for (size_t j = 0; j < bt->n_strata; j++) {
      const stratum_counts *sc = &cnt[j];
      if (!sc->n) continue;
      qa_stratum_result *e = &r->strata[k];
      double n = (double)sc->n;
      e->task = bt->name;
      e->stratum = bt->stratum_names[j];
      e->n = sc->n;
      e->correct = sc->k_v;
      e->accuracy = (double)sc->k_v / n;
      qa_wilson((double)sc->k_v, n, z, &e->wilson_lo, &e->wilson_hi);
      e->b = sc->b_only;
      e->c = sc->v_only;
      /* delta_pp = 100 (p_V − p_B) on the same items; McNemar exact,
      ** STATISTICS.md "Benchmark accuracy". */
      e->delta_pp = is_base ? 0.0 : 100.0 * (e->accuracy - (double)sc->k_b / n);
      e->mcnemar_p = is_base ? NAN : qa_mcnemar_exact(sc->b_only, sc->v_only);
      p[k++] = e->mcnemar_p;
    }
  }
  free(cnt);
  /* Holm over the variant's strata; the baseline's NaN stay NaN. */
  int rc = k && qa_holm(p, k, p) ? -1 : 0;
  for (size_t i = 0; !rc && i < k; i++) r->strata[i].mcnemar_p_holm = p[i];
  free(p);
  if (rc) return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
  r->n_strata = k;
  return 0;
}

/* The paired analysis of the pooled items; STATISTICS.md "Benchmark
** accuracy" (paired).  The baseline against itself is not tested. */
static void paired_bench(const qa_config *cfg, const pooled *p, int is_base,
                         qa_bench_result *r) {
  qa_paired_binary(p->b_only, p->v_only, (double)p->n, &r->paired);
  r->paired_tost_p = NAN;
  r->paired_equivalent = -1;
  for (size_t k = 0; k < QA_MAX_MARGINS; k++) r->margin_tost_p[k] = NAN;
  if (is_base) return;
  const qa_paired_result *d = &r->paired;
  r->paired_tost_p = qa_tost(d->mean, d->se, d->df, cfg->tost_margin_pp / 100.0, NULL, NULL);
  r->paired_equivalent = !isnan(r->paired_tost_p) && r->paired_tost_p < cfg->alpha;
  for (size_t k = 0; k < cfg->n_tost_margins_pp; k++)
    r->margin_tost_p[k] = qa_tost(d->mean, d->se, d->df, cfg->tost_margins_pp[k] / 100.0,
                                  NULL, NULL);
}

int qa_analysis_benchmark(const qa_study *s, size_t m, qa_variant_result *res,
                          qa_error *err) {
  const qa_config *cfg = s->cfg;
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  double z = qa_z(0.975);
  for (size_t vi = 0; vi < model->n_variants; vi++) {
    const qa_cache *v = model->variants[vi].cache;
    qa_bench_result *r = &res[vi].bench;
    int is_base = vi == model->baseline;
    pooled p = pool_correct(b, v);
    if (!p.n) continue;
    r->present = 1;
    r->n = p.n;
    r->correct = p.k_v;
    r->accuracy = (double)p.k_v / (double)p.n;
    qa_wilson((double)p.k_v, (double)p.n, z, &r->wilson_lo, &r->wilson_hi);
    double acc_b = (double)p.k_b / (double)p.n;
    r->delta_pp = 100.0 * (r->accuracy - acc_b);
    /* Detectable effect at the baseline's accuracy; STATISTICS.md */
    r->mde_pp = 100.0 * qa_mde_prop(acc_b, (double)p.n, cfg->alpha, cfg->power);
    r->welch_t = r->welch_df = r->welch_p = r->welch_se = r->cohens_d = NAN;
    r->mcnemar_p = r->tost_p = NAN;
    r->equivalent = -1;
    paired_bench(cfg, &p, is_base, r);
    if (!is_base) {
      qa_welch_result w;
      double var_b = var01(p.k_b, p.n), var_v = var01(p.k_v, p.n);
      qa_welch(acc_b, var_b, (double)p.n, r->accuracy, var_v, (double)p.n, &w);
      r->welch_t = w.t;
      r->welch_df = w.df;
      r->welch_p = w.p;
      r->welch_se = w.se;
      r->cohens_d = qa_cohens_d(acc_b, var_b, (double)p.n, r->accuracy, var_v, (double)p.n);
      r->mcnemar_b = p.b_only;
      r->mcnemar_c = p.v_only;
      r->mcnemar_p = qa_mcnemar_exact(p.b_only, p.v_only);
      r->tost_p = qa_tost(w.diff, w.se, w.df, cfg->tost_margin_pp / 100.0, NULL, NULL);
      r->equivalent = !isnan(r->tost_p) && r->tost_p < cfg->alpha;
    }
    if (bench_tasks(b, v, r, z, err) || bench_strata(b, v, is_base, z, r, err)) return -1;
  }
  return 0;
}

/* Scores of one metric pooled over the tasks v and b both score with it. */
static int pool_metric(const qa_cache *b, const qa_cache *v, const char *metric,
                       double **xv, double **xb, size_t *n) {
  size_t total = 0;
  for (int pass = 0; pass < 2; pass++) {
    size_t at = 0;
    for (size_t t = 0; t < v->n_tasks; t++) {
      const qa_task *vt = &v->tasks[t], *bt = qa_cache_task(b, vt->name);
      if (!bt) continue;
      size_t mv = 0, mb = 0;
      while (mv < vt->n_metrics && strcmp(vt->metric_names[mv], metric)) mv++;
      while (mb < bt->n_metrics && strcmp(bt->metric_names[mb], metric)) mb++;
      if (mv == vt->n_metrics || mb == bt->n_metrics) continue;
      if (pass) {
        memcpy(*xv + at, vt->scores[mv], vt->n_items * sizeof **xv);
        memcpy(*xb + at, bt->scores[mb], vt->n_items * sizeof **xb);
      }
      at += vt->n_items;
    }
    if (!pass) {
      total = at;
      if (!total) break;
      *xv = malloc(total * sizeof **xv);
      *xb = malloc(total * sizeof **xb);
      if (!*xv || !*xb) { free(*xv); free(*xb); *xv = *xb = NULL; return -1; }
    }
  }
  *n = total;
  return 0;
}

/* The metric names of v's tasks, each once, sorted. */
static size_t metric_names(const qa_cache *v, const char **out, size_t cap) {
  size_t n = 0;
  for (size_t t = 0; t < v->n_tasks; t++)
    for (size_t k = 0; k < v->tasks[t].n_metrics; k++) {
      const char *name = v->tasks[t].metric_names[k];
      size_t i = 0;
      while (i < n && strcmp(out[i], name) < 0) i++;
      if ((i < n && strcmp(out[i], name) == 0) || n == cap) continue;
      memmove(out + i + 1, out + i, (n - i) * sizeof *out);
      out[i] = name;
      n++;
    }
  return n;
}

/* Mean and variance (divisor n−1) of xv − xb, two-pass. */
static void diff_moments(const double *xv, const double *xb, size_t n, double *mean,
                         double *var) {
  double s = 0, ss = 0;
  for (size_t i = 0; i < n; i++) s += xv[i] - xb[i];
  *mean = n ? s / (double)n : NAN;
  for (size_t i = 0; i < n; i++) {
    double e = xv[i] - xb[i] - *mean;
    ss += e * e;
  }
  *var = n >= 2 ? ss / (double)(n - 1) : NAN;
}

/* Paired analysis of one generation metric; STATISTICS.md "Generation
** quality" (paired): TOST margins are % of the baseline mean. */
static void paired_metric(const qa_config *cfg, const double *xv, const double *xb, size_t n,
                          int is_base, qa_metric_result *r) {
  double mean, var;
  diff_moments(xv, xb, n, &mean, &var);
  qa_paired(mean, var, (double)n, &r->paired);
  r->paired_tost_p = NAN;
  r->paired_equivalent = -1;
  for (size_t k = 0; k < QA_MAX_MARGINS; k++) r->margin_tost_p[k] = NAN;
  if (is_base) return;
  const qa_paired_result *d = &r->paired;
  double scale = fabs(r->base_mean) / 100.0;
  r->paired_tost_p = qa_tost(d->mean, d->se, d->df, scale * cfg->tost_margin_pct, NULL, NULL);
  r->paired_equivalent = !isnan(r->paired_tost_p) && r->paired_tost_p < cfg->alpha;
  for (size_t k = 0; k < cfg->n_tost_margins_pct; k++)
    r->margin_tost_p[k] = qa_tost(d->mean, d->se, d->df, scale * cfg->tost_margins_pct[k],
                                  NULL, NULL);
}

static void metric_stats(const qa_config *cfg, const double *xv, const double *xb, size_t n,
                         int is_base, qa_metric_result *r) {
  double mv = qa_mean(xv, n), vv = qa_var(xv, n), mb = qa_mean(xb, n), vb = qa_var(xb, n);
  r->n = n;
  r->mean = mv;
  r->sd = sqrt(vv);
  qa_t_ci(mv, r->sd, (double)n, 0.95, &r->ci_lo, &r->ci_hi);
  r->delta_pct = mb != 0 ? 100.0 * (mv / mb - 1.0) : NAN;
  r->welch_p = r->cohens_d = r->tost_p = NAN;
  r->equivalent = -1;
  r->base_mean = mb;
  paired_metric(cfg, xv, xb, n, is_base, r);
  if (is_base) return;
  qa_welch_result w;
  qa_welch(mb, vb, (double)n, mv, vv, (double)n, &w);
  r->welch_p = w.p;
  r->cohens_d = qa_cohens_d(mb, vb, (double)n, mv, vv, (double)n);
  /* TOST margin: tost_margin_pct % of the baseline mean */
  r->tost_p = qa_tost(w.diff, w.se, w.df, fabs(mb) * cfg->tost_margin_pct / 100.0, NULL, NULL);
  r->equivalent = !isnan(r->tost_p) && r->tost_p < cfg->alpha;
}

/* key_avg of one side: mean over the key metrics of each metric's mean. */
static double key_average(const qa_config *cfg, const qa_metric_result *ms, size_t n_ms,
                          const double *base_means, int base) {
  double sum = 0;
  size_t found = 0;
  for (size_t k = 0; k < cfg->n_key_metrics; k++)
    for (size_t i = 0; i < n_ms; i++)
      if (strcmp(ms[i].metric, cfg->key_metrics[k]) == 0) {
        sum += base ? base_means[i] : ms[i].mean;
        found++;
      }
  return found ? sum / (double)found : NAN;
}

int qa_analysis_generation(const qa_study *s, size_t m, qa_variant_result *res,
                           qa_error *err) {
  const qa_config *cfg = s->cfg;
  const qa_model *model = &s->models[m];
  const qa_cache *b = model->variants[model->baseline].cache;
  for (size_t vi = 0; vi < model->n_variants; vi++) {
    const qa_cache *v = model->variants[vi].cache;
    qa_gen_result *g = &res[vi].gen;
    const char *names[64];
    size_t n_names = metric_names(v, names, 64);
    g->key_avg = g->delta_pct = g->mde_d = NAN;
    if (!n_names) continue;
    g->metrics = calloc(n_names, sizeof *g->metrics);
    double *base_means = calloc(n_names, sizeof *base_means);
    if (!g->metrics || !base_means) {
      free(base_means);
      return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
    }
    size_t n_min = 0;
    for (size_t k = 0; k < n_names; k++) {
      double *xv = NULL, *xb = NULL;
      size_t n = 0;
      if (pool_metric(b, v, names[k], &xv, &xb, &n)) {
        free(base_means);
        return qa_error_set(err, QA_EXIT_IO, v->path, NULL, "out of memory");
      }
      if (!n) continue;
      qa_metric_result *r = &g->metrics[g->n_metrics];
      r->metric = names[k];
      metric_stats(cfg, xv, xb, n, vi == model->baseline, r);
      base_means[g->n_metrics++] = qa_mean(xb, n);
      if (!n_min || n < n_min) n_min = n;
      free(xv);
      free(xb);
    }
    if (g->n_metrics) {
      g->present = 1;
      g->key_avg = key_average(cfg, g->metrics, g->n_metrics, NULL, 0);
      double key_b = key_average(cfg, g->metrics, g->n_metrics, base_means, 1);
      g->delta_pct = key_b != 0 ? 100.0 * (g->key_avg / key_b - 1.0) : NAN;
      g->mde_d = qa_mde_d((double)n_min, cfg->alpha, cfg->power);
    }
    free(base_means);
  }
  return 0;
}

/* 1 / mean(1/x): the throughput whose time per token is the mean time per
** token; NaN when a value is not positive (a request that produced
** nothing has no time per token). */
static double harmonic_mean(const double *x, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(x[i] > 0)) return NAN;
    s += 1.0 / x[i];
  }
  return n ? (double)n / s : NAN;
}

void qa_analysis_perf(const qa_study *s, size_t m, qa_variant_result *res) {
  const qa_config *cfg = s->cfg;
  const qa_model *model = &s->models[m];
  for (size_t vi = 0; vi < model->n_variants; vi++) {
    const qa_cache *v = model->variants[vi].cache;
    qa_perf_result *pf = &res[vi].perf;
    pf->decode_mean = pf->decode_hmean = pf->decode_median = pf->decode_cv_pct = NAN;
    pf->ttft_mean = pf->ttft_median = pf->usd_per_mtok = pf->savings_pct = NAN;
    const double half = 0.5;
    if ((pf->n_decode = v->n_decode)) {
      pf->decode_mean = qa_mean(v->decode_tok_s, v->n_decode);
      if (qa_quantiles(v->decode_tok_s, v->n_decode, &half, 1, &pf->decode_median, NULL))
        pf->decode_median = NAN;
      pf->decode_cv_pct = 100.0 * qa_sd(v->decode_tok_s, v->n_decode) / pf->decode_mean;
      pf->decode_hmean = harmonic_mean(v->decode_tok_s, v->n_decode);
      /* Cost is time per token: usd_per_mtok = usd_per_hour / (r · 3600) · 1e6
      ** with r the harmonic mean of tok/s, or the arithmetic mean when
      ** configured (what TR125 did); STATISTICS.md "Tier, cost, memory". */
      double r = cfg->throughput_arithmetic ? pf->decode_mean : pf->decode_hmean;
      if (r > 0) pf->usd_per_mtok = cfg->usd_per_hour / (r * 3600.0) * 1e6;
    }
    if ((pf->n_ttft = v->n_ttft)) {
      pf->ttft_mean = qa_mean(v->ttft_ms, v->n_ttft);
      if (qa_quantiles(v->ttft_ms, v->n_ttft, &half, 1, &pf->ttft_median, NULL))
        pf->ttft_median = NAN;
    }
  }
  double base_usd = res[model->baseline].perf.usd_per_mtok;
  for (size_t vi = 0; vi < model->n_variants; vi++)
    if (!isnan(base_usd) && !isnan(res[vi].perf.usd_per_mtok))
      res[vi].perf.savings_pct = 100.0 * (1.0 - res[vi].perf.usd_per_mtok / base_usd);
}

/* Adjacent tests: the lower variant in the role of V, the higher in the
** role of B; STATISTICS.md "Adjacent tests". */
int qa_analysis_pair_bench(const qa_cache *hi, const qa_cache *lo, qa_adjacent_test *t) {
  pooled p = pool_correct(hi, lo);
  if (!p.n) return 0;
  double mh = (double)p.k_b / (double)p.n, ml = (double)p.k_v / (double)p.n;
  double vh = var01(p.k_b, p.n), vl = var01(p.k_v, p.n);
  qa_welch_result w;
  qa_welch(mh, vh, (double)p.n, ml, vl, (double)p.n, &w);
  t->family = "benchmark";
  t->metric = "accuracy";
  t->n = p.n;
  t->mean_higher = mh;
  t->mean_lower = ml;
  t->d = qa_cohens_d(mh, vh, (double)p.n, ml, vl, (double)p.n);
  t->t = w.t;
  t->p = w.p;
  t->p_paired = qa_mcnemar_exact(p.b_only, p.v_only);
  return 1;
}

int qa_analysis_pair_metric(const qa_cache *hi, const qa_cache *lo, const char *metric,
                            qa_adjacent_test *t) {
  double *xl = NULL, *xh = NULL;
  size_t n = 0;
  if (pool_metric(hi, lo, metric, &xl, &xh, &n)) return -1;
  if (!n) return 0;
  double mh = qa_mean(xh, n), ml = qa_mean(xl, n), vh = qa_var(xh, n), vl = qa_var(xl, n);
  qa_welch_result w;
  qa_welch(mh, vh, (double)n, ml, vl, (double)n, &w);
  t->family = "generation";
  t->metric = metric;
  t->n = n;
  t->mean_higher = mh;
  t->mean_lower = ml;
  t->d = qa_cohens_d(mh, vh, (double)n, ml, vl, (double)n);
  t->t = w.t;
  t->p = w.p;
  /* Paired t on d_i = lower − higher over the shared items. */
  double dm, dv;
  qa_paired_result pr;
  diff_moments(xl, xh, n, &dm, &dv);
  qa_paired(dm, dv, (double)n, &pr);
  t->p_paired = pr.p;
  free(xl);
  free(xh);
  return 1;
}

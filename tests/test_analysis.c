/*
** The analysis end to end on small studies built in the test: tiers from
** known deltas, claim statuses by the rules of STATISTICS.md "Claims",
** a single-variant study, and models without benchmark or hidden data.
** Expected values are closed forms or R, as noted beside each.
*/
#include "harness.h"
#include "h5fixture.h"
#include "analysis_fixture.h"

#include <stdint.h>
#include <stdlib.h>

#include "analysis/analysis.h"
#include "results/results.h"

typedef qa_test_study fixture;

/* Members appended to variant i's and to the model's configuration object
** by build() when set (e.g. ", \"bits_per_weight\": 4"); tests that set
** them reset them to NULL. */
static const char *variant_extra[8];
static const char *model_extra;

/* Writes each cache as <name>.h5 in a fresh folder, then the config with
** those variants (first = baseline) and the extra JSON members given, and
** runs the analysis (analysis_fixture.h).  Returns 0 or -1. */
static int build(const char *tag, const fx_cache *const *caches, const char *const *names,
                 size_t n, const char *extra, fixture *fx) {
  char dir[600], path[800];
  memset(fx, 0, sizeof *fx);
  if (n > 8 || qa_test_study_dir("analysis", tag, dir, sizeof dir)) return -1;
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s.h5", dir, names[i]);
    if (fx_write_cache(path, caches[i])) return qa_test_fail(__FILE__, __LINE__, "write") - 1;
  }
  return qa_test_study_run(dir, names, n, variant_extra, model_extra, extra, fx);
}

static void release(fixture *fx) { qa_test_study_free(fx); }

/* Baseline: 12 of 16 items right, metric m = 0.25 (i+1).  Variant: one
** right item turned wrong (11 of 16) and every score times 0.9. */
static void sixteen_items(fx_cache *base, fx_cache *var) {
  fx_default_cache(base);
  base->m = 16;
  for (size_t i = 0; i < 16; i++) {
    base->item_ids[i] = 500 + (int64_t)i;
    base->correct[i] = i < 12;
    base->score[i] = 0.25 * (double)(i + 1);
  }
  *var = *base;
  var->correct[0] = 0;
  for (size_t i = 0; i < 16; i++) var->score[i] = 0.9 * base->score[i];
}

static const qa_claim_result *claim(const fixture *fx, const char *id) {
  return qa_test_claim(fx, id);
}

QA_TEST(analysis_tier_and_tests_from_known_deltas) {
  fx_cache base, var;
  sixteen_items(&base, &var);
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int4"};
  fixture fx;
  if (build("tier", c, names, 2, "\"analysis\": {\"key_metrics\": [\"m\"]}", &fx)) { release(&fx); return; }
  const qa_variant_result *r = &fx.a->models[0][1];
  CHECK_NEAR(r->bench.delta_pp, -6.25, 1e-12);          /* 100 (11 - 12) / 16 */
  CHECK_NEAR(r->gen.delta_pct, -10.0, 1e-9);            /* scores x 0.9 */
  /* -6.25 pp passes only "concerning" (10 pp); -10 % passes its 15 %. */
  CHECK_STR(qa_analysis_tier_name(fx.cfg, r->tier), "concerning");
  /* R: t.test(c(rep(1,11),rep(0,5)), c(rep(1,12),rep(0,4))) */
  CHECK_NEAR(r->bench.welch_t, -0.381616388486088, 1e-12);
  CHECK_NEAR(r->bench.welch_p, 0.70544796075886, 1e-12);
  /* McNemar: b = 1 (base right, variant wrong), c = 0 -> p = 2 * 0.5 = 1 */
  CHECK_INT(r->bench.mcnemar_b, 1);
  CHECK_INT(r->bench.mcnemar_c, 0);
  CHECK_NEAR(r->bench.mcnemar_p, 1.0, 0);
  /* R: prop.test(11, 16, correct=FALSE)$conf.int */
  CHECK_NEAR(r->bench.wilson_lo, 0.444043558347407, 1e-12);
  CHECK_NEAR(r->bench.wilson_hi, 0.858353561452180, 1e-12);
  /* R: s <- 0.25*(1:16); t.test(0.9*s, s)$p.value */
  CHECK_NEAR(r->gen.metrics[0].welch_p, 0.599495631138831, 1e-12);
  /* One adjacent benchmark test and one generation test form the family. */
  CHECK_INT(fx.a->n_adjacent, 2);
  CHECK_NEAR(fx.a->adjacent[0].p_bonferroni, 1.0, 0);   /* min(1, 2 x 0.705) */
  /* The baseline is tested against nothing. */
  CHECK(isnan(fx.a->models[0][0].bench.welch_p));
  CHECK_INT(fx.a->models[0][0].tier, 0);
  release(&fx);
}

QA_TEST(analysis_claim_statuses) {
  fx_cache base, var;
  sixteen_items(&base, &var);
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int4"};
  fixture fx;
  const char *extra =
    "\"analysis\": {\"key_metrics\": [\"m\"]}, "
    "\"critical_errors\": [{\"label\": \"a\", \"predicted\": \"b\", \"max\": 0}], "
    "\"claims\": ["
    "{\"id\": \"W\", \"text\": \"w\", \"kind\": \"worse_than_baseline\", \"variant\": \"int4\", \"metric\": \"benchmark\", \"min_drop\": 5},"
    "{\"id\": \"W2\", \"text\": \"w\", \"kind\": \"worse_than_baseline\", \"variant\": \"int4\", \"metric\": \"benchmark\", \"min_drop\": 10},"
    "{\"id\": \"T\", \"text\": \"t\", \"kind\": \"tier_at_most\", \"variant\": \"int4\", \"tier\": \"acceptable\"},"
    "{\"id\": \"T2\", \"text\": \"t\", \"kind\": \"tier_at_most\", \"variant\": \"int4\", \"tier\": \"concerning\"},"
    "{\"id\": \"B\", \"text\": \"b\", \"kind\": \"metric_at_least\", \"variant\": \"int4\", \"metric\": \"benchmark\", \"value\": 0.5},"
    "{\"id\": \"B2\", \"text\": \"b\", \"kind\": \"metric_at_least\", \"variant\": \"int4\", \"metric\": \"benchmark\", \"value\": 0.4},"
    "{\"id\": \"E\", \"text\": \"e\", \"kind\": \"equivalent\", \"variant\": \"int4\", \"metric\": \"benchmark\", \"margin\": 3},"
    "{\"id\": \"K\", \"text\": \"k\", \"kind\": \"critical_errors_at_most\", \"variant\": \"int4\", \"max\": 0},"
    "{\"id\": \"C\", \"text\": \"c\", \"kind\": \"metric_at_least\", \"variant\": \"int4\", \"metric\": \"cosine_mean\", \"value\": 0.99}]";
  if (build("claims", c, names, 2, extra, &fx)) { release(&fx); return; }
  /* Drop 6.25 >= 5, but the one-sided paired test of a drop beyond 5 pp
  ** (b = 1, c = 0, n = 16: d = -1/16, s_d = 0.25, t = -0.2, df 15) gives
  ** SciPy t.cdf(-0.2, 15) = 0.42209: point estimate only. */
  CHECK_STR(claim(&fx, "W")->status, "demonstrated (point estimate only)");
  CHECK_STR(claim(&fx, "W2")->status, "not supported");      /* 6.25 < 10 */
  CHECK_STR(claim(&fx, "T")->status, "not supported");       /* concerning > acceptable */
  /* Within "concerning"; non-inferiority at -10 pp with n = 16 does not reject. */
  CHECK_STR(claim(&fx, "T2")->status, "demonstrated (point estimate only)");
  /* 0.6875 >= 0.5 but the Wilson lower bound 0.444 is not. */
  CHECK_STR(claim(&fx, "B")->status, "demonstrated (point estimate only)");
  CHECK_STR(claim(&fx, "B2")->status, "demonstrated");       /* 0.444 >= 0.4 */
  CHECK_STR(claim(&fx, "E")->status, "not supported");       /* |6.25| > 3 */
  CHECK_STR(claim(&fx, "K")->status, "demonstrated");        /* predictions = labels: 0 */
  CHECK_CONTAINS(claim(&fx, "K")->evidence, "0 critical errors");
  /* Same hidden states: every cosine is 1, its t-interval is [1, 1], wholly
  ** above 0.99, and no sample lies below. */
  CHECK_STR(claim(&fx, "C")->status, "demonstrated");
  CHECK_CONTAINS(claim(&fx, "C")->evidence, "0 of 6 samples (0%) below 0.99");
  CHECK_CONTAINS(claim(&fx, "W")->evidence, "p = 0.422");
  CHECK_CONTAINS(claim(&fx, "W")->evidence, "-6.2 pp");
  release(&fx);
}

QA_TEST(analysis_single_variant_study) {
  fx_cache base;
  fx_default_cache(&base);
  const fx_cache *c[1] = {&base};
  const char *names[1] = {"fp32"};
  fixture fx;
  if (build("single", c, names, 1, NULL, &fx)) { release(&fx); return; }
  CHECK_INT(fx.a->n_adjacent, 0);
  CHECK_INT(fx.a->models[0][0].tier, 0);
  CHECK_NEAR(fx.a->models[0][0].repr.cos_mean, 1.0, 0);
  qa_results_opts ro = {0, 1};
  cJSON *root = NULL;
  qa_error err = {0};
  CHECK_INT(qa_results_build(fx.study, fx.a, &ro, NULL, &root, &err), 0);
  const cJSON *mc = cJSON_GetObjectItem(root, "multiple_comparisons");
  CHECK_NEAR(qa_json_get_num(mc, "m"), 0, 0);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(root, "adjacent_tests")), 0);
  cJSON_Delete(root);
  release(&fx);
}

QA_TEST(analysis_model_without_benchmark_uses_outputs) {
  fx_cache base, var;
  fx_default_cache(&base);
  base.without_eval = 1;
  var = base;
  /* Two of six predictions wrong: accuracy 4/6 against 6/6. */
  var.logits[0 * 3 + 1] = 5.0;
  var.logits[1 * 3 + 2] = 5.0;
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int2"};
  fixture fx;
  if (build("nobench", c, names, 2, NULL, &fx)) { release(&fx); return; }
  const qa_variant_result *r = &fx.a->models[0][1];
  CHECK_INT(r->bench.present, 0);
  CHECK_INT(r->gen.present, 0);
  CHECK_STR(r->bench_signal_source, "outputs");
  CHECK_NEAR(r->bench_signal, 100.0 * (4.0 / 6.0 - 1.0), 1e-12);
  CHECK_STR(qa_analysis_tier_name(fx.cfg, r->tier), "unacceptable");
  CHECK_NEAR(r->out.top1_agreement, 4.0 / 6.0, 1e-12);
  qa_results_opts ro = {0, 1};
  cJSON *root = NULL;
  qa_error err = {0};
  CHECK_INT(qa_results_build(fx.study, fx.a, &ro, NULL, &root, &err), 0);
  const cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(
      cJSON_GetObjectItem(root, "models"), 0), "variants"), 1);
  CHECK(v && !cJSON_GetObjectItem(v, "benchmark") && !cJSON_GetObjectItem(v, "generation"));
  CHECK(cJSON_IsNull(cJSON_GetObjectItem(v, "bench_delta_pp")));
  CHECK_STR(qa_json_get_str(v, "bench_signal"), "outputs");
  cJSON_Delete(root);
  release(&fx);
}

QA_TEST(analysis_without_hidden_or_eval_falls_back_to_nothing) {
  fx_cache base;
  fx_default_cache(&base);
  base.without_eval = 1;
  base.without_hidden = 1;
  fx_cache var = base;
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int8"};
  fixture fx;
  /* The configured layer is absent from every cache: no representation. */
  if (build("nohidden", c, names, 2, NULL, &fx)) { release(&fx); return; }
  const qa_variant_result *r = &fx.a->models[0][1];
  CHECK_INT(r->repr.present, 0);
  CHECK_INT(r->out.present, 1);
  CHECK_NEAR(r->bench_signal, 0, 0);                    /* identical predictions */
  CHECK_STR(qa_analysis_tier_name(fx.cfg, r->tier), "negligible");
  release(&fx);
}

/* ---- paired analyses, cost, memory, picks (STATISTICS.md, issue 11) ---- */

QA_TEST(analysis_paired_benchmark_and_generation) {
  fx_cache base, var;
  sixteen_items(&base, &var);
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int4"};
  fixture fx;
  if (build("paired", c, names, 2,
            "\"analysis\": {\"key_metrics\": [\"m\"], \"tost_margins_pp\": [3, 5, 10], "
            "\"tost_margins_pct\": [3, 5, 12]}", &fx)) { release(&fx); return; }
  const qa_bench_result *b = &fx.a->models[0][1].bench;
  /* SciPy 1.10: v, b = the 0/1 vectors of sixteen_items();
  ** t.interval(0.95, 15, loc=mean(v-b), scale=std(v-b, ddof=1)/4),
  ** ttest_rel(v, b), TOST = max of the two ttest_1samp one-sided p. */
  CHECK_NEAR(b->paired.mean, -0.0625, 1e-15);
  CHECK_NEAR(b->paired.ci_lo, -0.19571559659745769, 1e-10);
  CHECK_NEAR(b->paired.ci_hi, 0.070715596597457686, 1e-10);
  CHECK_NEAR(b->paired.p, 0.33317013591547628, 1e-10);
  CHECK_NEAR(b->paired_tost_p, 0.69467363341498056, 1e-10);     /* tost_margin_pp 3 */
  CHECK_NEAR(b->margin_tost_p[0], 0.69467363341498056, 1e-10);
  CHECK_NEAR(b->margin_tost_p[1], 0.57791661151280804, 1e-10);
  CHECK_NEAR(b->margin_tost_p[2], 0.27873121755992014, 1e-10);
  CHECK_INT(b->paired_equivalent, 0);
  /* Generation: d_i = 0.9 s_i - s_i with s_i = 0.25 (i + 1); the TOST
  ** margins are that percentage of the baseline mean 2.125. */
  const qa_metric_result *g = &fx.a->models[0][1].gen.metrics[0];
  CHECK_NEAR(g->paired.mean, -0.2125, 1e-12);
  CHECK_NEAR(g->paired.p, 3.3845889234063038e-06, 1e-15);
  CHECK_NEAR(g->paired.ci_lo, -0.27592330991109199, 1e-10);
  CHECK_NEAR(g->paired.ci_hi, -0.14907669008890795, 1e-10);
  CHECK_NEAR(g->margin_tost_p[0], 0.9999206616377595, 1e-10);
  CHECK_NEAR(g->margin_tost_p[1], 0.99860589940710476, 1e-10);
  CHECK_NEAR(g->margin_tost_p[2], 0.08685012094296396, 1e-10);
  /* The adjacent tests carry the paired p: McNemar b = 1, c = 0 gives
  ** 2 * 0.5 = 1; the generation test the paired t p above. */
  CHECK_NEAR(fx.a->adjacent[0].p_paired, 1.0, 0);
  CHECK_NEAR(fx.a->adjacent[1].p_paired, 3.3845889234063038e-06, 1e-15);
  /* Holm over the two paired p: min(1, 2 x 3.38e-6) and max(that, 1). */
  CHECK_NEAR(fx.a->adjacent[1].p_paired_holm, 2 * 3.3845889234063038e-06, 1e-15);
  CHECK_NEAR(fx.a->adjacent[0].p_paired_holm, 1.0, 0);
  /* The baseline against itself is not tested. */
  CHECK(isnan(fx.a->models[0][0].bench.paired_tost_p));
  CHECK_INT(fx.a->models[0][0].bench.paired_equivalent, -1);
  release(&fx);
}

QA_TEST(analysis_identical_variant_is_equivalent) {
  /* fp16 identical to the baseline on every item: s_d = 0 and d = 0, so
  ** each one-sided TOST p is 0 (STATISTICS.md "paired") and the
  ** equivalence claim is demonstrated. */
  fx_cache base, same;
  sixteen_items(&base, &same);
  same = base;
  const fx_cache *c[2] = {&base, &same};
  const char *names[2] = {"fp32", "fp16"};
  fixture fx;
  if (build("identical", c, names, 2,
            "\"claims\": [{\"id\": \"E\", \"text\": \"e\", \"kind\": \"equivalent\", "
            "\"variant\": \"fp16\", \"metric\": \"benchmark\", \"margin\": 1}]", &fx)) {
    release(&fx);
    return;
  }
  const qa_bench_result *b = &fx.a->models[0][1].bench;
  CHECK_NEAR(b->paired_tost_p, 0.0, 0);
  CHECK_INT(b->paired_equivalent, 1);
  CHECK_STR(claim(&fx, "E")->status, "demonstrated");
  CHECK_CONTAINS(claim(&fx, "E")->evidence, "paired TOST at +/-1 pp: p = 0");
  release(&fx);
}

QA_TEST(analysis_cost_from_the_harmonic_mean) {
  /* decode tok/s 10, 12, 11 (h5fixture.c): harmonic mean 3 / (1/10 + 1/12 +
  ** 1/11) = 10.939226519337016; at 0.035 USD/h, 0.035 / (10.9392 x 3600)
  ** x 1e6 = 0.88874859708193066 USD per million tokens.  The arithmetic
  ** mean 11 gives 0.035 / (11 x 3600) x 1e6 = 0.88383838... */
  fx_cache base, var;
  sixteen_items(&base, &var);
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int4"};
  fixture fx;
  if (build("hmean", c, names, 2, "\"deploy\": {\"usd_per_hour\": 0.035}", &fx)) {
    release(&fx);
    return;
  }
  const qa_perf_result *p = &fx.a->models[0][1].perf;
  CHECK_NEAR(p->decode_hmean, 10.939226519337016, 1e-12);
  CHECK_NEAR(p->decode_mean, 11.0, 1e-12);
  CHECK_NEAR(p->usd_per_mtok, 0.88874859708193066, 1e-12);
  /* Same throughput as the baseline: no saving (and not its negative). */
  CHECK_NEAR(p->savings_pct, 0.0, 1e-12);
  /* decode_cv_pct = 100 sd / mean = 100 x 1 / 11 (sd of 10, 12, 11 is 1). */
  CHECK_NEAR(p->decode_cv_pct, 100.0 / 11.0, 1e-12);
  release(&fx);
  if (build("amean", c, names, 2,
            "\"deploy\": {\"usd_per_hour\": 0.035, \"throughput_mean\": \"arithmetic\"}", &fx)) {
    release(&fx);
    return;
  }
  CHECK_NEAR(fx.a->models[0][1].perf.usd_per_mtok, 0.035 / (11.0 * 3600.0) * 1e6, 1e-12);
  release(&fx);
}

QA_TEST(analysis_memory_unit_picks_and_sweet_spot) {
  /* params 1e9 at 16, 8 and 4 bits with overhead 1: 2, 1 and 0.5 GB, or in
  ** GiB 2e9 / 2^30 = 1.862645149230957, 0.9313225746154785, 0.4656612873077393.
  ** The 4-bit variant loses 6.25 pp (tier "concerning" of the defaults,
  ** not recommended): the cliff; the 8-bit one is identical to the
  ** baseline (negligible): the sweet spot, and every pick of the 1 GiB
  ** tier (the only recommended row within it). */
  fx_cache base, same, var;
  sixteen_items(&base, &var);
  same = base;
  const fx_cache *c[3] = {&base, &same, &var};
  const char *names[3] = {"fp16", "q8", "q4"};
  variant_extra[0] = ", \"bits_per_weight\": 16";
  variant_extra[1] = ", \"bits_per_weight\": 8";
  variant_extra[2] = ", \"bits_per_weight\": 4";
  model_extra = ", \"params\": 1000000000";
  fixture fx;
  int rc = build("memunit", c, names, 3,
                 "\"deploy\": {\"vram_tiers_gb\": [1, 2], \"vram_overhead\": 1, "
                 "\"memory_unit\": \"GiB\"}", &fx);
  variant_extra[0] = variant_extra[1] = variant_extra[2] = NULL;
  model_extra = NULL;
  if (rc) { release(&fx); return; }
  const qa_model *m = &fx.study->models[0];
  CHECK_NEAR(m->variants[0].vram_gb, 1.862645149230957, 1e-12);
  CHECK_NEAR(m->variants[1].vram_gb, 0.9313225746154785, 1e-12);
  CHECK_NEAR(m->variants[2].vram_gb, 0.4656612873077393, 1e-12);
  const qa_model_decision *md = &fx.a->model_decisions[0];
  CHECK_INT(md->sweet_spot, 1);
  CHECK_INT(md->cliff, 2);
  /* Identical items: the paired non-inferiority p at the second tier's
  ** 5 pp is 0 (s_d = 0, the point inside the alternative). */
  CHECK_NEAR(md->sweet_spot_noninf_p, 0.0, 0);
  const qa_decision_tier *t1 = &fx.a->decision[0];
  for (int k = 0; k < QA_N_PICKS; k++) {
    CHECK_INT(t1->picks[k].present, 1);
    CHECK_INT(t1->picks[k].variant, 1);
  }
  /* Within 2 GiB the baseline competes too: the same accuracy, so quality
  ** goes to the lower memory (q8); the throughput ties keep config order. */
  CHECK_INT(fx.a->decision[1].picks[QA_PICK_QUALITY].variant, 1);
  release(&fx);
}

QA_TEST(analysis_sweet_spot_noninferiority_p) {
  /* int4 loses 6.25 pp (b = 1, c = 0, n = 16) and 10 % generation: with
  ** tiers negligible (3 pp, 3 %) and acceptable (10 pp, 12 %) it is
  ** acceptable, the recommended variant of lowest bits, so the sweet spot.
  ** Its paired non-inferiority p at the last recommended tier's 10 pp:
  ** t = (-1/16 + 0.1) / (0.25 / 4) = 0.6, df 15; SciPy t.sf(0.6, 15) =
  ** 0.27873121755992014.  No variant leaves the recommended tiers: no cliff. */
  fx_cache base, var;
  sixteen_items(&base, &var);
  const fx_cache *c[2] = {&base, &var};
  const char *names[2] = {"fp32", "int4"};
  variant_extra[0] = ", \"bits_per_weight\": 32";
  variant_extra[1] = ", \"bits_per_weight\": 4";
  fixture fx;
  int rc = build("noninf", c, names, 2,
                 "\"analysis\": {\"key_metrics\": [\"m\"]}, \"tiers\": ["
                 "{\"name\": \"negligible\", \"max_drop_pp\": 3, \"max_drop_pct\": 3}, "
                 "{\"name\": \"acceptable\", \"max_drop_pp\": 10, \"max_drop_pct\": 12}]", &fx);
  variant_extra[0] = variant_extra[1] = NULL;
  if (rc) { release(&fx); return; }
  const qa_model_decision *md = &fx.a->model_decisions[0];
  CHECK_INT(fx.a->models[0][1].tier, 1);
  CHECK_INT(md->sweet_spot, 1);
  CHECK_INT(md->cliff, SIZE_MAX);
  CHECK_NEAR(md->sweet_spot_noninf_p, 0.27873121755992014, 1e-10);
  release(&fx);
}

/*
** The executive summary: findings written from the numbers of the results
** tree, each naming its numbers.  Per model the sweet spot (the last variant,
** in configured order, still in the first two tiers) and the cliff (the
** first one below them); the worst class and how far it falls while the
** average holds; where metrics disagree; failed critical-error checks;
** claims that did not hold; and the caveats that bound all of it (power,
** multiple comparisons, equivalence).  It decides what to say, never a
** number: every number quoted exists in report.json.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "render/report_internal.h"
#include "results/results.h"

/* The name of the quantity behind a variant's bench signal. */
static const char *bench_signal_name(const cJSON *v) {
  const char *s = qa_json_get_str(v, "bench_signal");
  if (s && !strcmp(s, "outputs")) return "output accuracy";
  if (s && !strcmp(s, "knn")) return "kNN accuracy";
  return "benchmark";
}

static int fails_critical(const cJSON *v) {
  const cJSON *ce;
  cJSON_ArrayForEach(ce, rp_arr(cJSON_GetObjectItemCaseSensitive(v, "outputs"),
                                "critical_errors"))
    if (rp_bool(ce, "pass") == 0) return 1;
  return 0;
}

/* "acceptable: benchmark -2.5 pp, generation -4.1 %" */
static void describe_quality(const cJSON *v, rp_buf *b) {
  char bench[RP_FMT], gen[RP_FMT];
  double bd = qa_json_get_num(v, "bench_delta_pp"), gd = qa_json_get_num(v, "gen_delta_pct");
  rp_fmt_signed(bench, sizeof bench, bd, 1);
  rp_fmt_signed(gen, sizeof gen, gd, 1);
  rp_printf(b, "%s", rp_str(v, "tier"));
  if (!isnan(bd)) rp_printf(b, ": %s %s pp", bench_signal_name(v), bench);
  if (!isnan(gd)) rp_printf(b, "%s generation %s %%", isnan(bd) ? ":" : ",", gen);
  if (fails_critical(v)) rp_printf(b, "; fails a critical-error check");
}

/* "; 0.77 GB; $0.0681/Mtok, 70.7 % cheaper than fp32" when known. */
static void describe_cost(const cJSON *v, const char *baseline, rp_buf *b) {
  const cJSON *perf = cJSON_GetObjectItemCaseSensitive(v, "perf");
  double gb = qa_json_get_num(v, "vram_gb"), usd = qa_json_get_num(perf, "usd_per_mtok");
  double save = qa_json_get_num(perf, "savings_pct");
  if (!isnan(gb)) {
    char mem[RP_FMT];
    rp_fmt_memory(mem, sizeof mem, gb, rp_bool(v, "vram_measured") != 1);
    rp_printf(b, "; %s", mem);
  }
  if (!isnan(usd)) rp_printf(b, "; $%.4f/Mtok", usd);
  if (!isnan(save)) rp_printf(b, ", %.1f %% cheaper than %s", save, baseline);
}

/* The adjacent benchmark test (higher -> lower) of model, or NULL. */
static const cJSON *adjacent_bench(const rp_ctx *c, const char *model,
                                   const char *higher, const char *lower) {
  const cJSON *a;
  cJSON_ArrayForEach(a, rp_arr(c->res, "adjacent_tests"))
    if (!strcmp(rp_str(a, "model"), model) && !strcmp(rp_str(a, "higher"), higher) &&
        !strcmp(rp_str(a, "lower"), lower) && !strcmp(rp_str(a, "family"), "benchmark"))
      return a;
  return NULL;
}

static void describe_step(const rp_ctx *c, const char *model, const char *higher,
                          const char *lower, rp_buf *b) {
  const cJSON *a = adjacent_bench(c, model, higher, lower);
  char p[RP_FMT], holm[RP_FMT];
  if (!a || isnan(qa_json_get_num(a, "p"))) return;
  rp_fmt_p_text(p, sizeof p, qa_json_get_num(a, "p"));
  rp_fmt_p(holm, sizeof holm, qa_json_get_num(a, "p_holm"));
  rp_printf(b, " The %s \xE2\x86\x92 %s benchmark step has Welch %s (Holm-adjusted %s)%s.",
            higher, lower, p, holm,
            rp_bool(a, "survives_holm") == 1 ? ", a drop that survives correction"
                                             : ", not significant after correction");
}

static void model_sweet_spot(const rp_ctx *c, const cJSON *m, rp_list *out) {
  const cJSON *v, *sweet = NULL, *cliff = NULL, *prev = NULL, *before_cliff = NULL;
  const char *name = rp_str(m, "name"), *base = rp_str(m, "baseline");
  int n_quant = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1) { prev = v; continue; }
    n_quant++;
    if (!cliff && rp_tier_recommended(c, rp_str(v, "tier"))) sweet = v;
    else if (!cliff) { cliff = v; before_cliff = prev; }
    prev = v;
  }
  rp_buf b = {0};
  const char *t0 = rp_str(cJSON_GetArrayItem(c->tiers, 0), "name");
  const char *t1 = rp_str(cJSON_GetArrayItem(c->tiers, 1), "name");
  if (!n_quant) {
    rp_printf(&b, "%s: only the baseline %s was audited; there is nothing to compare.", name, base);
  } else if (sweet) {
    rp_printf(&b, "%s: the sweet spot is %s (", name, rp_str(sweet, "name"));
    describe_quality(sweet, &b);
    describe_cost(sweet, base, &b);
    if (cliff) {
      rp_printf(&b, "). The cliff is at %s (", rp_str(cliff, "name"));
      describe_quality(cliff, &b);
      rp_printf(&b, ").");
      describe_step(c, name, rp_str(before_cliff, "name"), rp_str(cliff, "name"), &b);
    } else {
      rp_printf(&b, "); every quantized variant stays %s or %s, so no cliff was reached.",
                t0, t1);
    }
  } else {
    rp_printf(&b, "%s: no quantized variant stays %s or %s; the first, %s, is already (",
              name, t0, t1, rp_str(cliff, "name"));
    describe_quality(cliff, &b);
    rp_printf(&b, ").");
  }
  rp_list_take(out, &b);
}

/* The class that falls furthest (kNN accuracy, else cosine).  A class hidden
** behind an average that holds (a variant in the first two tiers) is the
** finding when its own drop is material (beyond the first tier's
** threshold); otherwise the worst class in any variant is. */
typedef struct worst_class {
  const cJSON *variant, *cls;
  double score;     /* knn delta (pp) or cosine mean; lower is worse */
  int holds;
} worst_class;

static void scan_classes(const rp_ctx *c, const cJSON *m, const char *key, worst_class *w) {
  const cJSON *v, *cls;
  int by_knn = !strcmp(key, "knn_accuracy_delta_pp");
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1) continue;
    int holds = rp_tier_recommended(c, rp_str(v, "tier"));
    const cJSON *repr = cJSON_GetObjectItemCaseSensitive(v, "representation");
    cJSON_ArrayForEach(cls, rp_arr(repr, "per_class")) {
      double s = qa_json_get_num(cls, key);
      if (isnan(s)) continue;
      /* A drop the first tier admits is no finding, hidden or not. */
      int material = !by_knn || rp_tier_index(c, rp_tier_of_signal(c, s, 0)) > 0;
      int hidden = holds && material;
      /* A class hidden behind a holding average beats one in a broken variant. */
      if (!w->cls || (hidden && !w->holds) || (hidden == w->holds && s < w->score)) {
        w->variant = v; w->cls = cls; w->score = s; w->holds = hidden;
      }
    }
  }
}

static const cJSON *baseline_class(const cJSON *m, const char *label) {
  const cJSON *cls;
  const cJSON *repr = cJSON_GetObjectItemCaseSensitive(rp_baseline(m), "representation");
  cJSON_ArrayForEach(cls, rp_arr(repr, "per_class"))
    if (!strcmp(rp_str(cls, "label"), label)) return cls;
  return NULL;
}

static void model_worst_class(const rp_ctx *c, const cJSON *m, rp_list *out) {
  worst_class w = {0};
  int by_knn = 1;
  scan_classes(c, m, "knn_accuracy_delta_pp", &w);
  if (!w.cls) { by_knn = 0; scan_classes(c, m, "cosine_mean", &w); }
  if (!w.cls) return;
  const cJSON *repr = cJSON_GetObjectItemCaseSensitive(w.variant, "representation");
  const char *label = rp_str(w.cls, "label"), *vname = rp_str(w.variant, "name");
  char a[RP_FMT], b0[RP_FMT], avg[RP_FMT], cosc[RP_FMT], cosm[RP_FMT];
  rp_buf b = {0};
  rp_fmt_fixed(cosc, sizeof cosc, qa_json_get_num(w.cls, "cosine_mean"), 4);
  rp_fmt_fixed(cosm, sizeof cosm, rp_num2(repr, "cosine", "mean"), 4);
  if (by_knn) {
    rp_fmt_fixed(b0, sizeof b0, qa_json_get_num(baseline_class(m, label), "knn_accuracy"), 3);
    rp_fmt_fixed(a, sizeof a, qa_json_get_num(w.cls, "knn_accuracy"), 3);
    rp_fmt_signed(avg, sizeof avg, qa_json_get_num(repr, "knn_accuracy_delta_pp"), 1);
    if (!isnan(rp_tier_threshold(c, 0, 0)) &&
        rp_tier_index(c, rp_tier_of_signal(c, w.score, 0)) == 0) {
      /* Even the worst class stays within the first tier's threshold. */
      rp_printf(&b, "%s: no class loses more kNN accuracy than the %s threshold (%.1f pp) "
                "allows; the worst, %s at %s, changes by %+.1f pp (%s \xE2\x86\x92 %s, "
                "n = %.0f) against %s pp for the variant's average.", rp_str(m, "name"),
                rp_str(cJSON_GetArrayItem(c->tiers, 0), "name"), rp_tier_threshold(c, 0, 0),
                label, vname, w.score, b0, a, qa_json_get_num(w.cls, "n"), avg);
      rp_list_take(out, &b);
      return;
    }
    rp_printf(&b, "%s: the worst class is %s at %s, whose kNN accuracy changes by %+.1f pp "
              "(%s \xE2\x86\x92 %s, n = %.0f) while the variant's average moves %s pp",
              rp_str(m, "name"), label, vname, w.score, b0, a,
              qa_json_get_num(w.cls, "n"), avg);
    if (w.holds) rp_printf(&b, " and its tier stays %s", rp_str(w.variant, "tier"));
    rp_printf(&b, ". The class's mean cosine is %s against %s overall", cosc, cosm);
    /* 0.99: the cosine that "looks harmless" (disagreements() below). */
    rp_printf(&b, "%s", qa_json_get_num(w.cls, "cosine_mean") >= 0.99
                            ? ", so cosine similarity alone would not flag it." : ".");
  } else {
    rp_printf(&b, "%s: the class with the lowest mean cosine is %s at %s: %s against %s "
              "over all samples (n = %.0f).", rp_str(m, "name"), label, vname, cosc, cosm,
              qa_json_get_num(w.cls, "n"));
  }
  rp_list_take(out, &b);
}

/* Critical-error checks that failed, one item each. */
static void failed_checks(const rp_ctx *c, rp_list *out) {
  const cJSON *m, *v, *ce;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *outp = cJSON_GetObjectItemCaseSensitive(v, "outputs");
    cJSON_ArrayForEach(ce, rp_arr(outp, "critical_errors")) {
      if (rp_bool(ce, "pass") != 0) continue;
      rp_list_add(out, "Critical error FAIL at %s/%s: %.0f samples of class %s were "
                  "predicted %s (allowed %.0f); the variant is %s whatever its other "
                  "numbers.", rp_str(m, "name"), rp_str(v, "name"),
                  qa_json_get_num(ce, "count"), rp_str(ce, "label"),
                  rp_str(ce, "predicted"), qa_json_get_num(ce, "max"), rp_str(v, "tier"));
    }
  }
}

/* Where two views of the same variant point different ways. */
static void disagreements(const rp_ctx *c, rp_list *out) {
  const cJSON *m, *v;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1) continue;
    const char *mn = rp_str(m, "name"), *vn = rp_str(v, "name"), *tier = rp_str(v, "tier");
    double cosm = rp_num2(cJSON_GetObjectItemCaseSensitive(v, "representation"), "cosine", "mean");
    double bd = qa_json_get_num(v, "bench_delta_pp"), gd = qa_json_get_num(v, "gen_delta_pct");
    const char *tb = rp_tier_of_signal(c, bd, 0), *tg = rp_tier_of_signal(c, gd, 1);
    if (!isnan(cosm) && cosm >= 0.99 && rp_tier_index(c, tier) >= 2)
      rp_list_add(out, "%s/%s: mean cosine %.4f looks harmless, yet the variant is %s.",
                  mn, vn, cosm, tier);
    if (tb && tg && strcmp(tb, tg) != 0)
      rp_list_add(out, "%s/%s: the %s alone (%+.1f pp) is %s, generation alone (%+.1f %%) "
                  "is %s; the tier takes the worse, %s.", mn, vn, bench_signal_name(v),
                  bd, tb, gd, tg, tier);
    if (fails_critical(v) && (!tb || rp_tier_recommended(c, tb)) &&
        (!tg || rp_tier_recommended(c, tg)))
      rp_list_add(out, "%s/%s: quality deltas alone would pass, but a failed "
                  "critical-error check makes it %s.", mn, vn, tier);
  }
  rp_mcnemar_welch_disagreements(c, out);
}

static void claims_findings(const rp_ctx *c, rp_list *out) {
  static const char *const STATUSES[] = {"demonstrated", "demonstrated (point estimate only)",
                                         "inconclusive", "not supported"};
  const cJSON *cl;
  int count[4] = {0};
  rp_buf b = {0};
  cJSON_ArrayForEach(cl, rp_arr(c->res, "claims"))
    for (int i = 0; i < 4; i++) count[i] += !strcmp(rp_str(cl, "status"), STATUSES[i]);
  if (!cJSON_GetArraySize(rp_arr(c->res, "claims"))) return;
  rp_printf(&b, "Claims: %d demonstrated, %d demonstrated on the point estimate only, "
            "%d inconclusive, %d not supported.", count[0], count[1], count[2], count[3]);
  cJSON_ArrayForEach(cl, rp_arr(c->res, "claims")) {
    const char *st = rp_str(cl, "status");
    if (strcmp(st, STATUSES[2]) && strcmp(st, STATUSES[3])) continue;
    const char *ev = rp_str(cl, "evidence");
    size_t n = strlen(ev);
    rp_printf(&b, " %s (\"%s\") is %s: %s%s", rp_str(cl, "id"), rp_str(cl, "text"), st, ev,
              n && ev[n - 1] == '.' ? "" : ".");
  }
  rp_list_take(out, &b);
}

static void caveat_findings(const rp_ctx *c, rp_list *out) {
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(c->res, "power");
  const cJSON *mc = cJSON_GetObjectItemCaseSensitive(c->res, "multiple_comparisons");
  const cJSON *t;
  double mde = qa_json_get_num(pw, "mde_pp");
  /* What the configuration declares the data cannot show comes first. */
  const char *declared = rp_str(c->res, "caveats");
  if (declared && *declared) rp_list_add(out, "%s", declared);
  if (!isnan(mde)) {
    rp_buf b = {0};
    rp_list below = {0};
    cJSON_ArrayForEach(t, rp_arr(pw, "tiers_below_mde")) {
      int k = rp_tier_index(c, cJSON_IsString(t) ? t->valuestring : NULL);
      rp_list_add(&below, "%s (%.1f pp)", cJSON_IsString(t) ? t->valuestring : "?",
                  rp_tier_threshold(c, k, 0));
    }
    rp_printf(&b, "Power: with %.0f pooled benchmark items the smallest drop detectable "
              "at %.0f %% power and alpha %.2g is %.1f pp.", qa_json_get_num(pw, "benchmark_n"),
              100 * qa_json_get_num(pw, "power"), qa_json_get_num(pw, "alpha"), mde);
    if (below.n) {
      rp_printf(&b, " The ");
      rp_join(&b, &below);
      rp_printf(&b, " thresholds lie below it, so verdicts between 0 and -%.1f pp are "
                "point estimates, not detected differences.", mde);
    }
    rp_list_take(out, &b);
    rp_list_free(&below);
  }
  rp_list unconfirmed = {0};
  size_t n_first = rp_unconfirmed_negligible(c, &unconfirmed);
  if (n_first) {
    rp_buf b = {0};
    rp_printf(&b, "%zu of %zu quantized variant%s in the %s tier %s not confirmed "
              "equivalent by TOST on the benchmark", unconfirmed.n, n_first,
              rp_s((double)n_first), rp_str(cJSON_GetArrayItem(c->tiers, 0), "name"),
              unconfirmed.n == 1 ? "is" : "are");
    /* Name them unless it is all of them. */
    if (unconfirmed.n && unconfirmed.n < n_first) {
      rp_printf(&b, " (");
      rp_join(&b, &unconfirmed);
      rp_printf(&b, ")");
    }
    rp_printf(&b, "%s", unconfirmed.n ? "; \"negligible\" there means a small point "
              "estimate, not demonstrated equivalence." : ".");
    rp_list_take(out, &b);
  }
  rp_list_free(&unconfirmed);
  if (qa_json_get_num(mc, "m") == 0) {
    rp_buf b = {0};
    rp_no_adjacent_tests(c, &b);
    rp_list_take(out, &b);
  } else if (!isnan(qa_json_get_num(mc, "m")))
    rp_list_add(out, "Multiple comparisons: %.0f adjacent tests at alpha %.2g expect %.1f "
                "false positives by chance; %.0f are significant uncorrected, %.0f survive "
                "Bonferroni and %.0f survive Holm.", qa_json_get_num(mc, "m"),
                qa_json_get_num(mc, "alpha"), qa_json_get_num(mc, "expected_false_positives"),
                qa_json_get_num(mc, "significant"), qa_json_get_num(mc, "survive_bonferroni"),
                qa_json_get_num(mc, "survive_holm"));
}

/* The smallest memory tier that has a recommended row (rows are sorted by
** decode speed, so its first recommended row is the fastest). */
static void deployment_finding(const rp_ctx *c, rp_list *out) {
  const cJSON *tier, *row;
  cJSON_ArrayForEach(tier, rp_arr(c->res, "decision_matrix"))
    cJSON_ArrayForEach(row, rp_arr(tier, "rows")) {
      if (rp_bool(row, "recommended") != 1) continue;
      char speed[RP_FMT], usd[RP_FMT];
      rp_fmt_fixed(speed, sizeof speed, qa_json_get_num(row, "decode_tok_s"), 1);
      rp_fmt_fixed(usd, sizeof usd, qa_json_get_num(row, "usd_per_mtok"), 4);
      rp_list_add(out, "Deployment: the smallest memory tier with a recommended variant is "
                  "%.4g GB, where %s/%s is the fastest choice (%s, %s tok/s, $%s/Mtok); "
                  "see the decision matrix for every tier.", qa_json_get_num(tier, "vram_gb"),
                  rp_str(row, "model"), rp_str(row, "variant"), rp_str(row, "tier"), speed, usd);
      return;
    }
}

static void opening(const rp_ctx *c) {
  const cJSON *m, *t, *counts = cJSON_GetObjectItemCaseSensitive(c->res, "tier_counts");
  int n_quant = 0;
  rp_buf b = {0};
  cJSON_ArrayForEach(m, c->models) {
    const cJSON *v;
    cJSON_ArrayForEach(v, rp_arr(m, "variants")) n_quant += rp_bool(v, "is_baseline") != 1;
  }
  rp_printf(&b, "This audit compares %d quantized variant%s of %d model%s with their "
            "baselines on every measure the caches hold.", n_quant, rp_s(n_quant),
            rp_n_models(c), rp_s(rp_n_models(c)));
  if (cJSON_IsObject(counts)) {
    rp_printf(&b, " By tier:");
    int first = 1;
    cJSON_ArrayForEach(t, c->tiers) {
      double n = qa_json_get_num(counts, rp_str(t, "name"));
      rp_printf(&b, "%s %s %.0f", first ? "" : ",", rp_str(t, "name"), isnan(n) ? 0.0 : n);
      first = 0;
    }
    rp_printf(&b, ".");
  }
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
}

void rp_section_summary(const rp_ctx *c) {
  const cJSON *m;
  rp_list findings = {0}, disagree = {0}, caveats = {0};
  rp_heading(c, RP_SEC_SUMMARY);
  if (!rp_n_models(c)) {
    qa_doc_paragraph(c->doc, "The results hold no model; list models and their variant "
                             "caches under \"models\" in the configuration to enable this report.");
    return;
  }
  rp_prose(c, RP_SEC_SUMMARY, "intro");
  opening(c);
  cJSON_ArrayForEach(m, c->models) {
    model_sweet_spot(c, m, &findings);
    model_worst_class(c, m, &findings);
  }
  failed_checks(c, &findings);
  claims_findings(c, &findings);
  deployment_finding(c, &findings);
  rp_subsection(c, RP_SEC_SUMMARY, "findings_title");
  rp_list_emit(c->doc, &findings);
  disagreements(c, &disagree);
  rp_subsection(c, RP_SEC_SUMMARY, "disagree_title");
  if (disagree.n) rp_list_emit(c->doc, &disagree);
  else qa_doc_paragraph(c->doc, "Nowhere: for every variant the benchmark and generation "
                                "signals fall in the same tier, and the paired and unpaired "
                                "benchmark tests agree at alpha.");
  caveat_findings(c, &caveats);
  if (caveats.n) {
    rp_subsection(c, RP_SEC_SUMMARY, "evidence_title");
    rp_list_emit(c->doc, &caveats);
  }
  rp_list_free(&findings);
  rp_list_free(&disagree);
  rp_list_free(&caveats);
}

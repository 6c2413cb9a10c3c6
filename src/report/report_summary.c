/*
** The executive summary: findings written from the numbers of the results
** tree, each naming its numbers.  Per model the sweet spot and the cliff as
** the analysis chose them (models[].sweet_spot: the recommended variant of
** lowest memory, with its paired non-inferiority p; models[].cliff: the
** first variant in configured order outside the recommended tiers); the
** worst class and how far it falls while the average holds; where metrics
** disagree (benchmark against generation, representation against outputs,
** paired against unpaired tests); failed critical-error checks; claims that
** did not hold or hold only on a mean; and the caveats that bound all of it
** (what the study declares, power, multiple comparisons, equivalence by the
** paired TOST).  It decides what to say, never a number: every number
** quoted exists in report.json.  A sentence about a family of data (the
** benchmark, generation) is written only when that family exists.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
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
  /* Without benchmark data the bench signal is the outputs' or kNN accuracy. */
  if (isnan(bd)) bd = qa_json_get_num(v, "bench_signal_pp");
  rp_fmt_signed(bench, sizeof bench, bd, 1);
  rp_fmt_signed(gen, sizeof gen, gd, 1);
  const cJSON *ci = cJSON_GetObjectItemCaseSensitive(rp_paired_bench(v), "ci95_pp");
  rp_printf(b, "%s", rp_str(v, "tier"));
  if (!isnan(bd)) rp_printf(b, ": %s %s pp", bench_signal_name(v), bench);
  if (!isnan(bd) && cJSON_IsNumber(cJSON_GetArrayItem(ci, 0))) {
    char iv[RP_FMT * 2];
    rp_fmt_signed_interval(iv, sizeof iv, ci, 1);
    rp_printf(b, " (paired 95%% CI %s)", iv);
  }
  if (!isnan(gd)) rp_printf(b, "%s generation %s %%", isnan(bd) ? ":" : ",", gen);
  /* With token data a tier's max_kld bounds the mean KLD (STATISTICS.md). */
  double kld = rp_num2(rp_obj(v, "tokens"), "kld", "mean");
  if (!isnan(kld) && rp_bool(v, "is_baseline") != 1) {
    char k[RP_FMT];
    rp_fmt_small(k, sizeof k, kld);
    rp_printf(b, "%s mean KLD %s nats", isnan(bd) && isnan(gd) ? ":" : ",", k);
  }
  if (fails_critical(v)) rp_printf(b, "; fails a critical-error check");
}

/* "; 0.77 GB; $0.0681/Mtok, 70.7 % cheaper than fp32" when known. */
static void describe_cost(const rp_ctx *c, const cJSON *v, const char *baseline, rp_buf *b) {
  const cJSON *perf = cJSON_GetObjectItemCaseSensitive(v, "perf");
  double gb = qa_json_get_num(v, "vram_gb"), usd = qa_json_get_num(perf, "usd_per_mtok");
  double save = qa_json_get_num(perf, "savings_pct");
  if (!isnan(gb)) {
    char mem[RP_FMT];
    rp_fmt_memory(mem, sizeof mem, gb, rp_mem_unit(c), rp_bool(v, "vram_measured") != 1);
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
  char p[RP_FMT], holm[RP_FMT], pp[RP_FMT], pholm[RP_FMT];
  if (!a || isnan(qa_json_get_num(a, "p"))) return;
  double ph = qa_json_get_num(a, "p_paired_holm");
  rp_fmt_p_text(p, sizeof p, qa_json_get_num(a, "p"));
  rp_fmt_p(holm, sizeof holm, qa_json_get_num(a, "p_holm"));
  if (!isnan(ph)) {
    rp_fmt_p_text(pp, sizeof pp, qa_json_get_num(a, "p_paired"));
    rp_fmt_p(pholm, sizeof pholm, ph);
    rp_printf(b, " The %s \xE2\x86\x92 %s benchmark step has paired McNemar %s (Holm-adjusted "
              "%s)%s; the unpaired Welch test gives %s (Holm %s).", higher, lower, pp, pholm,
              ph < c->alpha ? ", a drop that survives correction"
                            : ", not significant after correction", p, holm);
  } else {
    rp_printf(b, " The %s \xE2\x86\x92 %s benchmark step has unpaired Welch %s (Holm-adjusted "
              "%s)%s.", higher, lower, p, holm,
              rp_bool(a, "survives_holm") == 1 ? ", a drop that survives correction"
                                               : ", not significant after correction");
  }
}

/* The variant named by model.key (sweet_spot, cliff), or NULL. */
static const cJSON *named_variant(const cJSON *m, const char *key) {
  const char *name = qa_json_get_str(m, key);
  return name ? rp_variant(m, name) : NULL;
}

/* The variant before v in configured order (NULL for the first). */
static const cJSON *variant_before(const cJSON *m, const cJSON *v) {
  const cJSON *x, *prev = NULL;
  cJSON_ArrayForEach(x, rp_arr(m, "variants")) {
    if (x == v) return prev;
    prev = x;
  }
  return NULL;
}

/* " Its paired non-inferiority test at the acceptable margin (5.0 pp) gives
** p = 0.0371, so the drop is shown smaller than the margin." */
static void describe_noninf(const rp_ctx *c, const cJSON *m, rp_buf *b) {
  double p = qa_json_get_num(m, "sweet_spot_noninf_p");
  int last = c->n_tiers >= 3 ? 1 : 0;   /* the last recommended tier */
  double margin = rp_tier_threshold(c, last, 0);
  if (isnan(p) || isnan(margin)) return;
  char ps[RP_FMT];
  rp_fmt_p_text(ps, sizeof ps, p);
  rp_printf(b, " Its paired non-inferiority test at the %s margin (a drop of at most %.1f pp) "
            "gives %s: %s.", rp_str(cJSON_GetArrayItem(c->tiers, last), "name"), margin, ps,
            p < c->alpha ? "the benchmark shows its drop smaller than the margin"
                         : "the benchmark does not show its drop smaller than the margin, so "
                           "the recommendation rests on the point estimate");
}

static void model_sweet_spot(const rp_ctx *c, const cJSON *m, rp_list *out) {
  const cJSON *v, *sweet = named_variant(m, "sweet_spot"), *cliff = named_variant(m, "cliff");
  const char *name = rp_str(m, "name"), *base = rp_str(m, "baseline");
  int n_quant = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) n_quant += rp_bool(v, "is_baseline") != 1;
  if (sweet && rp_bool(sweet, "is_baseline") == 1) sweet = NULL;
  rp_buf b = {0};
  const char *t0 = rp_str(cJSON_GetArrayItem(c->tiers, 0), "name");
  const char *t1 = rp_str(cJSON_GetArrayItem(c->tiers, 1), "name");
  if (!n_quant) {
    rp_printf(&b, "%s: only the baseline %s was audited; there is nothing to compare.", name, base);
  } else if (sweet) {
    rp_printf(&b, "%s: the sweet spot, the recommended variant of lowest memory, is %s (",
              name, rp_str(sweet, "name"));
    describe_quality(sweet, &b);
    describe_cost(c, sweet, base, &b);
    rp_printf(&b, ").");
    describe_noninf(c, m, &b);
    if (cliff) {
      rp_printf(&b, " The cliff, the first variant in configured order outside the %s and %s "
                "tiers, is %s (", t0, t1, rp_str(cliff, "name"));
      describe_quality(cliff, &b);
      rp_printf(&b, ").");
      const cJSON *before = variant_before(m, cliff);
      if (before) describe_step(c, name, rp_str(before, "name"), rp_str(cliff, "name"), &b);
    } else {
      rp_printf(&b, " Every quantized variant stays %s or %s, so no cliff was reached.", t0, t1);
    }
  } else if (cliff) {
    rp_printf(&b, "%s: no quantized variant stays %s or %s; the first, %s, is already (",
              name, t0, t1, rp_str(cliff, "name"));
    describe_quality(cliff, &b);
    rp_printf(&b, ").");
  } else {
    rp_printf(&b, "%s: no quantized variant is recommended.", name);
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

/* "; Holm p 0.62 (exact McNemar within the class, Holm over the variant's
** classes): within noise" — nothing without the test. */
static void holm_clause(const rp_ctx *c, const cJSON *cls, rp_buf *b) {
  double ph = qa_json_get_num(cls, "knn_mcnemar_p_holm");
  if (isnan(ph)) return;
  char pv[RP_FMT];
  rp_fmt_p(pv, sizeof pv, ph);
  rp_printf(b, "; Holm p %s%s", pv[0] == '<' ? "< " : "", pv[0] == '<' ? pv + 1 : pv);
  int loss = qa_json_get_num(cls, "knn_accuracy_delta_pp") < 0;
  rp_printf(b, " (exact McNemar within the class, Holm over the variant's classes): %s",
            ph < c->alpha ? (loss ? "the loss survives correction" : "the change survives correction")
                          : "within noise");
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
                "n = %.0f) against %s pp for the variant's average", rp_str(m, "name"),
                rp_str(cJSON_GetArrayItem(c->tiers, 0), "name"), rp_tier_threshold(c, 0, 0),
                label, vname, w.score, b0, a, qa_json_get_num(w.cls, "n"), avg);
      holm_clause(c, w.cls, &b);
      rp_printf(&b, ".");
      rp_list_take(out, &b);
      return;
    }
    rp_printf(&b, "%s: the worst class is %s at %s, whose kNN accuracy changes by %+.1f pp "
              "(%s \xE2\x86\x92 %s, n = %.0f) while the variant's average moves %s pp",
              rp_str(m, "name"), label, vname, w.score, b0, a,
              qa_json_get_num(w.cls, "n"), avg);
    holm_clause(c, w.cls, &b);
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

/* "12 samples of class self_harm predicted safe": the first failed check. */
static void describe_failed_check(const cJSON *v, rp_buf *b) {
  const cJSON *ce;
  cJSON_ArrayForEach(ce, rp_arr(rp_obj(v, "outputs"), "critical_errors"))
    if (rp_bool(ce, "pass") == 0) {
      rp_printf(b, "%.0f samples of class %s predicted %s, allowed %.0f",
                qa_json_get_num(ce, "count"), rp_str(ce, "label"), rp_str(ce, "predicted"),
                qa_json_get_num(ce, "max"));
      return;
    }
}

/* The benchmark signal against generation: which tier each alone would
** earn, and why the variant has the tier it has. */
static void signals_disagree(const rp_ctx *c, const char *mn, const cJSON *v, rp_list *out) {
  const char *vn = rp_str(v, "name"), *tier = rp_str(v, "tier");
  double bd = qa_json_get_num(v, "bench_delta_pp"), gd = qa_json_get_num(v, "gen_delta_pct");
  const char *tb = rp_tier_of_signal(c, bd, 0), *tg = rp_tier_of_signal(c, gd, 1);
  int critical = fails_critical(v);
  if (tb && tg && strcmp(tb, tg) != 0) {
    int kb = rp_tier_index(c, tb), kg = rp_tier_index(c, tg);
    const char *worse = kb > kg ? tb : tg;
    rp_buf b = {0};
    rp_printf(&b, "%s/%s: the %s alone (%+.1f pp) is %s, generation alone (%+.1f %%) is %s",
              mn, vn, bench_signal_name(v), bd, tb, gd, tg);
    if (critical && strcmp(worse, tier) != 0) {
      rp_printf(&b, "; together they would make it %s, but it is %s through its failed "
                "critical-error check (", worse, tier);
      describe_failed_check(v, &b);
      rp_printf(&b, ").");
    } else if (!strcmp(worse, tier)) {
      rp_printf(&b, "; the tier takes the worse of the two, %s.", tier);
    } else {
      rp_printf(&b, "; its tier is %s.", tier);
    }
    rp_list_take(out, &b);
    return;
  }
  if (critical && (!tb || rp_tier_recommended(c, tb)) && (!tg || rp_tier_recommended(c, tg))) {
    rp_buf b = {0};
    rp_printf(&b, "%s/%s: quality deltas alone would pass, but a failed critical-error check (",
              mn, vn);
    describe_failed_check(v, &b);
    rp_printf(&b, ") makes it %s.", tier);
    rp_list_take(out, &b);
  }
}

/* The change in output accuracy (pp) and whether it is a number of the
** results (bench_signal_pp when the outputs are the bench signal); else
** only the two accuracies are quoted. */
static double output_delta_pp(const cJSON *m, const cJSON *v, int *quoted) {
  const char *sig = qa_json_get_str(v, "bench_signal");
  *quoted = 0;
  if (sig && !strcmp(sig, "outputs") && !isnan(qa_json_get_num(v, "bench_signal_pp"))) {
    *quoted = 1;
    return qa_json_get_num(v, "bench_signal_pp");
  }
  double a = qa_json_get_num(rp_obj(v, "outputs"), "accuracy");
  double a0 = qa_json_get_num(rp_obj(rp_baseline(m), "outputs"), "accuracy");
  return 100.0 * (a - a0);   /* only to decide; never printed */
}

/* Representation against outputs: kNN accuracy against output accuracy,
** and a cosine that looks harmless against an accuracy that falls. */
static void repr_disagree(const rp_ctx *c, const cJSON *m, const cJSON *v, rp_list *out) {
  const char *mn = rp_str(m, "name"), *vn = rp_str(v, "name"), *tier = rp_str(v, "tier");
  const cJSON *rep = rp_obj(v, "representation"), *outp = rp_obj(v, "outputs");
  double cosm = rp_num2(rep, "cosine", "mean");
  double kd = qa_json_get_num(rep, "knn_accuracy_delta_pp");
  int quoted = 0;
  double od = outp ? output_delta_pp(m, v, &quoted) : NAN;
  double bd = rp_obj(v, "benchmark") ? qa_json_get_num(v, "bench_delta_pp") : NAN;
  const char *tk = rp_tier_of_signal(c, kd, 0), *to = rp_tier_of_signal(c, od, 0);
  if (tk && to && strcmp(tk, to) != 0) {
    rp_buf b = {0};
    int opposite = (kd >= 0.05 && od <= -0.05) || (kd <= -0.05 && od >= 0.05);
    rp_printf(&b, "%s/%s: kNN accuracy on the hidden states moves %+.1f pp (%s alone) while "
              "output accuracy ", mn, vn, kd, tk);
    if (quoted) rp_printf(&b, "moves %+.1f pp", od);
    else rp_printf(&b, "goes from %.3f to %.3f",
                   qa_json_get_num(rp_obj(rp_baseline(m), "outputs"), "accuracy"),
                   qa_json_get_num(outp, "accuracy"));
    rp_printf(&b, " (%s alone)%s", to,
              opposite ? ": they point in opposite directions, so the neighbourhoods of the "
                         "representation do not show what the predictions lose or gain."
                       : ".");
    rp_list_take(out, &b);
  }
  /* 0.99: the cosine that "looks harmless" (as in model_worst_class). */
  if (!isnan(cosm) && cosm >= 0.99) {
    const char *what = NULL;
    double drop = NAN;
    if (!isnan(bd) && rp_tier_index(c, rp_tier_of_signal(c, bd, 0)) >= 1) {
      what = "benchmark accuracy"; drop = bd;
    } else if (quoted && rp_tier_index(c, to) >= 1) {
      what = "output accuracy"; drop = od;
    }
    if (what)
      rp_list_add(out, "%s/%s: mean cosine %.4f looks harmless, yet %s moves %+.1f pp (%s "
                  "alone); the variant is %s.", mn, vn, cosm, what, drop,
                  rp_tier_of_signal(c, drop, 0), tier);
    else if (rp_tier_index(c, tier) >= 2)
      rp_list_add(out, "%s/%s: mean cosine %.4f looks harmless, yet the variant is %s.",
                  mn, vn, cosm, tier);
  }
}

/* Where two views of the same variant point different ways. */
static void disagreements(const rp_ctx *c, rp_list *out) {
  const cJSON *m, *v;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1) continue;
    signals_disagree(c, rp_str(m, "name"), v, out);
    repr_disagree(c, m, v, out);
  }
  /* Paired results under a declared caveat (TR125's simulated pairing): one
  ** line before them says so, so that none reads as the study's evidence. */
  rp_list paired = {0};
  rp_mcnemar_welch_disagreements(c, &paired);
  rp_paired_unpaired_generation(c, &paired);
  rp_paired_unpaired_adjacent(c, &paired);
  if (paired.n && *rp_str(c->res, "caveats") != '\0')
    rp_list_add(out, "The %zu paired result%s below rest%s on the pairing the study's declared "
                "caveat describes (above): %s not the study's own evidence.", paired.n,
                paired.n == 1 ? "" : "s", paired.n == 1 ? "s" : "",
                paired.n == 1 ? "it is" : "they are");
  for (size_t i = 0; i < paired.n; i++) rp_list_add(out, "%s", paired.items[i]);
  rp_list_free(&paired);
}

/* 1 when a claim's evidence counts samples on the wrong side and the count
** is not 0 ("; 585 of 2000 samples (29%) below 0.95"). */
static int wrong_side_samples(const char *ev) {
  const char *s = strstr(ev, " samples (");
  if (!s) return 0;
  const char *seg = s;
  while (seg > ev && seg[-1] != ';') seg--;
  while (*seg == ' ') seg++;
  return strncmp(seg, "0 of ", 5) != 0;
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
  if (*rp_str(c->res, "caveats"))
    rp_printf(&b, " Claims are judged on the paired tests, so the caveat the study declares "
              "above applies to them.");
  cJSON_ArrayForEach(cl, rp_arr(c->res, "claims")) {
    const char *st = rp_str(cl, "status");
    const char *ev = rp_str(cl, "evidence");
    int weak = !strcmp(st, STATUSES[2]) || !strcmp(st, STATUSES[3]);
    /* A claim shown on its mean while some samples lie on the wrong side
    ** (claims.c writes "; K of N samples (P%) below v") says so here too. */
    if (!weak && !wrong_side_samples(ev)) continue;
    size_t n = strlen(ev);
    rp_printf(&b, " %s (\"%s\") is %s%s: %s%s", rp_str(cl, "id"), rp_str(cl, "text"), st,
              weak ? "" : " on its mean, not on every sample", ev,
              n && ev[n - 1] == '.' ? "" : ".");
  }
  rp_list_take(out, &b);
}

static void caveat_findings(const rp_ctx *c, rp_list *out) {
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(c->res, "power");
  const cJSON *mc = cJSON_GetObjectItemCaseSensitive(c->res, "multiple_comparisons");
  const cJSON *t;
  double mde = qa_json_get_num(pw, "mde_pp");
  if (!isnan(mde)) {
    rp_buf b = {0};
    rp_list below = {0};
    cJSON_ArrayForEach(t, rp_arr(pw, "tiers_below_mde")) {
      int k = rp_tier_index(c, cJSON_IsString(t) ? t->valuestring : NULL);
      rp_list_add(&below, "%s (%.1f pp)", cJSON_IsString(t) ? t->valuestring : "?",
                  rp_tier_threshold(c, k, 0));
    }
    rp_printf(&b, "Power: with %.0f pooled benchmark items an unpaired comparison detects "
              "a drop of %.1f pp at %.0f %% power and alpha %.2g (the MDE, at p = 0.5).",
              qa_json_get_num(pw, "benchmark_n"), mde, 100 * qa_json_get_num(pw, "power"),
              qa_json_get_num(pw, "alpha"));
    if (below.n) {
      rp_printf(&b, " The ");
      rp_join(&b, &below);
      rp_printf(&b, " thresholds lie below it: a verdict near them rests on its point "
                "estimate unless its paired interval (above, and in the benchmark tables) "
                "lies wholly on one side. The MDE is what the test could detect, not a "
                "bound on the loss.");
    }
    rp_list_take(out, &b);
    rp_list_free(&below);
  }
  rp_list unconfirmed = {0};
  size_t n_first = rp_unconfirmed_negligible(c, &unconfirmed);
  if (n_first) {
    rp_buf b = {0};
    char margin[RP_FMT] = "";
    const char *t0 = rp_str(cJSON_GetArrayItem(c->tiers, 0), "name");
    if (!isnan(rp_bench_margin(c)))
      snprintf(margin, sizeof margin, " at \xC2\xB1%.3g pp", rp_bench_margin(c));
    if (!unconfirmed.n) {
      rp_printf(&b, "Every quantized variant in the %s tier with benchmark data (%zu) is "
                "confirmed equivalent to its baseline by the paired TOST on the benchmark%s.",
                t0, n_first, margin);
    } else {
      rp_printf(&b, "%zu of %zu quantized variant%s in the %s tier with benchmark data %s not "
                "confirmed equivalent by the paired TOST on the benchmark%s", unconfirmed.n,
                n_first, rp_s((double)n_first), t0, unconfirmed.n == 1 ? "is" : "are", margin);
      /* Name them unless it is all of them. */
      if (unconfirmed.n < n_first) {
        rp_printf(&b, " (");
        rp_join(&b, &unconfirmed);
        rp_printf(&b, ")");
      }
      rp_printf(&b, "; \"%s\" there means a small point estimate, not demonstrated "
                "equivalence.", t0);
    }
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

/* The smallest memory tier that has a recommended row, and its throughput
** pick as the analysis chose it (decision_matrix[].picks.throughput). */
static void deployment_finding(const rp_ctx *c, rp_list *out) {
  const cJSON *tier, *row;
  cJSON_ArrayForEach(tier, rp_arr(c->res, "decision_matrix")) {
    const cJSON *pick = cJSON_GetObjectItemCaseSensitive(rp_obj(tier, "picks"), "throughput");
    if (!cJSON_IsObject(pick)) continue;
    const cJSON *t2, *found = NULL;
    cJSON_ArrayForEach(t2, rp_arr(c->res, "decision_matrix")) {
      cJSON_ArrayForEach(row, rp_arr(t2, "rows"))
        if (!strcmp(rp_str(row, "model"), rp_str(pick, "model")) &&
            !strcmp(rp_str(row, "variant"), rp_str(pick, "variant")))
          found = row;
      if (t2 == tier) break;
    }
    if (!found) return;
    char speed[RP_FMT], usd[RP_FMT];
    rp_fmt_fixed(speed, sizeof speed, qa_json_get_num(found, "decode_tok_s"), 1);
    rp_fmt_fixed(usd, sizeof usd, qa_json_get_num(found, "usd_per_mtok"), 4);
    rp_list_add(out, "Deployment: the smallest memory tier with a recommended variant is "
                "%.4g %s, where %s/%s is the fastest choice (%s, %s tok/s, $%s/Mtok); "
                "see the decision matrix for every tier.", qa_json_get_num(tier, "vram_gb"),
                rp_mem_unit(c), rp_str(found, "model"), rp_str(found, "variant"),
                rp_str(found, "tier"), speed, usd);
    return;
  }
}

/* "Nowhere: ..." naming only the comparisons this audit has data for. */
static void agreement(const rp_ctx *c) {
  int bench = rp_any_variant_has(c, "benchmark"), gen = rp_any_variant_has(c, "generation");
  int rep = rp_any_variant_has(c, "representation"), out = rp_any_variant_has(c, "outputs");
  int tests = cJSON_GetArraySize(rp_arr(c->res, "adjacent_tests")) > 0 || bench || gen;
  rp_list parts = {0};
  if (bench && gen)
    rp_list_add(&parts, "the benchmark and generation signals fall in the same tier");
  if (rep && out)
    rp_list_add(&parts, "the representation and output metrics point the same way");
  if (tests) rp_list_add(&parts, "the paired and unpaired tests agree at alpha");
  rp_buf b = {0};
  if (parts.n) {
    rp_printf(&b, "Nowhere: for every variant ");
    rp_join(&b, &parts);
    rp_printf(&b, ".");
  } else {
    rp_printf(&b, "Nowhere: this audit holds no two measures of the same variants that "
              "could disagree.");
  }
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
  rp_list_free(&parts);
}

/* One sentence naming what the audit does not cover (nothing when it
** covers everything); the list is in the methods section. */
static void not_covered_sentence(const rp_ctx *c) {
  rp_list items = {0};
  rp_not_covered_items(c, &items);
  if (items.n) {
    rp_buf b = {0};
    rp_printf(&b, "The caches hold no data for %zu of the analyses and figures qaudit "
              "writes; they are not covered by this audit and are listed, each with the "
              "input that would enable it, under \"%s\" in \"%s\".", items.n,
              rp_title(c, RP_SEC_METHODS, "not_covered_title"),
              rp_title(c, RP_SEC_METHODS, "title"));
    qa_doc_paragraph(c->doc, rp_text(&b));
    rp_buf_free(&b);
  }
  rp_list_free(&items);
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
  if (!c->tmpl || rp_template_included(c->tmpl, RP_SEC_METHODS)) not_covered_sentence(c);
  /* What the configuration declares the data cannot show comes before any
  ** finding, so that no finding reads as more than it is. */
  const char *declared = rp_str(c->res, "caveats");
  if (*declared) {
    rp_buf d = {0};
    rp_printf(&d, "Caveat declared by the study: %s", declared);
    qa_doc_paragraph(c->doc, rp_text(&d));
    rp_buf_free(&d);
  }
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
    rp_tokens_finding(c, m, &findings);
    rp_outputs_finding(c, m, &findings);
    rp_bench_strata_finding(c, m, &findings);
    rp_depth_finding(c, m, &findings);
  }
  failed_checks(c, &findings);
  claims_findings(c, &findings);
  deployment_finding(c, &findings);
  rp_subsection(c, RP_SEC_SUMMARY, "findings_title");
  rp_list_emit(c->doc, &findings);
  disagreements(c, &disagree);
  rp_subsection(c, RP_SEC_SUMMARY, "disagree_title");
  if (disagree.n) rp_list_emit(c->doc, &disagree);
  else agreement(c);
  caveat_findings(c, &caveats);
  if (caveats.n) {
    rp_subsection(c, RP_SEC_SUMMARY, "evidence_title");
    rp_list_emit(c->doc, &caveats);
  }
  rp_list_free(&findings);
  rp_list_free(&disagree);
  rp_list_free(&caveats);
}

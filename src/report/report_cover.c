/*
** What this audit covers (docs/design.md "What the audit does not cover").
** A section whose analysis has no data in the study is left out of the
** report (no heading, no number, no contents line) instead of a heading
** and one sentence asking for input; every such analysis, and every figure
** that could not be drawn, is named once, with the input that would enable
** it, in the methods' "Not covered by this audit" part.  The decision is
** made here, from the results tree, before any section is written, so that
** the contents, the section numbers and the figure numbers only ever see
** what is written.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"

static int has(const rp_ctx *c, const char *key) { return rp_any_variant_has(c, key); }

static int stats_covered(const rp_ctx *c) {
  return cJSON_GetArraySize(rp_arr(c->res, "adjacent_tests")) > 0 || has(c, "benchmark") ||
         has(c, "generation");
}

static int figures_covered(const rp_ctx *c) { return c->figures && c->figures->n > 0; }

int rp_covered(const rp_ctx *c, rp_section_id id) {
  switch (id) {
  case RP_SEC_CLAIMS: return cJSON_GetArraySize(rp_arr(c->res, "claims")) > 0;
  case RP_SEC_REPRESENTATION: return has(c, "representation");
  case RP_SEC_PER_CLASS: return rp_per_class_any(c);
  case RP_SEC_DEPTH: return rp_depth_any(c);
  case RP_SEC_TOKENS: return rp_tokens_any(c);
  case RP_SEC_FIGURES: return figures_covered(c);
  case RP_SEC_BENCHMARK: return has(c, "benchmark") || has(c, "outputs");
  case RP_SEC_GENERATION: return has(c, "generation");
  case RP_SEC_STATISTICS: return stats_covered(c);
  case RP_SEC_PERFORMANCE: return has(c, "perf");
  default: return 1;   /* title page, contents, summary, disclosure, decision, methods,
                       ** provenance: they restate the inputs and the tiers */
  }
}

/* The template's title of a section (built-in when the template has none). */
static const char *title(const rp_ctx *c, rp_section_id id) {
  return rp_template_text(c->tmpl, id, "title");
}

static int shown(const rp_ctx *c, rp_section_id id) {
  return !c->tmpl || rp_template_included(c->tmpl, id);
}

/* "Title (model)" split into "Title" and "model"; 0 when there is no model. */
static int split_title(const char *title, char *base, size_t base_cap, char *model,
                       size_t model_cap) {
  size_t n = strlen(title);
  const char *open = strrchr(title, '(');
  if (!n || title[n - 1] != ')' || !open || open == title || open[-1] != ' ') return 0;
  snprintf(base, base_cap, "%.*s", (int)(open - title - 1), title);
  snprintf(model, model_cap, "%.*s", (int)(title + n - 1 - open - 1), open + 1);
  return 1;
}

/* One bullet per figure not drawn; the same figure skipped for several
** models for the same reason (the model's name aside) is one bullet. */
static void skipped_items(const qa_figure_list *figs, rp_list *items) {
  char *done = calloc(figs->n_skipped + 1, 1);
  if (!done) return;
  for (size_t i = 0; i < figs->n_skipped; i++) {
    if (done[i]) continue;
    const qa_figure_skip *a = &figs->skipped[i];
    char base[256], model[128], base_j[256], model_j[128];
    const char *rest = NULL;
    rp_list models = {0};
    if (split_title(a->title, base, sizeof base, model, sizeof model) &&
        !strncmp(a->reason, model, strlen(model)) && a->reason[strlen(model)] == ' ') {
      rest = a->reason + strlen(model) + 1;
      rp_list_add(&models, "%s", model);
      for (size_t j = i + 1; j < figs->n_skipped; j++) {
        const qa_figure_skip *b = &figs->skipped[j];
        if (done[j] || b->kind != a->kind ||
            !split_title(b->title, base_j, sizeof base_j, model_j, sizeof model_j) ||
            strcmp(base, base_j) || strncmp(b->reason, model_j, strlen(model_j)) ||
            strcmp(b->reason + strlen(model_j), a->reason + strlen(model)))
          continue;
        rp_list_add(&models, "%s", model_j);
        done[j] = 1;
      }
    }
    if (models.n > 1) {
      rp_buf b = {0};
      rp_printf(&b, "\xE2\x80\x9C%s\xE2\x80\x9D (", base);
      rp_join(&b, &models);
      rp_printf(&b, "): each of these models %s", rest);
      rp_list_take(items, &b);
    } else {
      rp_list_add(items, "\xE2\x80\x9C%s\xE2\x80\x9D: %s", a->title, a->reason);
    }
    rp_list_free(&models);
  }
  free(done);
}

void rp_not_covered_items(const rp_ctx *c, rp_list *out) {
  int bench = has(c, "benchmark"), gen = has(c, "generation"), outs = has(c, "outputs");
  const char *cf = "(docs/cache-format.md)";
  if (shown(c, RP_SEC_CLAIMS) && !rp_covered(c, RP_SEC_CLAIMS))
    rp_list_add(out, "%s: needs a \"claims\" list in the configuration "
                "(docs/configuration.md).", title(c, RP_SEC_CLAIMS));
  if (shown(c, RP_SEC_REPRESENTATION) && !rp_covered(c, RP_SEC_REPRESENTATION))
    rp_list_add(out, "%s (cosine similarity, SQNR, kNN accuracy, neighbour overlap, CKA, "
                "effective rank): needs /hidden/<layer> at the configured layer in the "
                "baseline's and the variants' caches %s.", title(c, RP_SEC_REPRESENTATION), cf);
  if (shown(c, RP_SEC_PER_CLASS) && !rp_covered(c, RP_SEC_PER_CLASS))
    rp_list_add(out, "%s: needs /samples/label (and /samples/label_names) together with "
                "/hidden/<layer> in every cache %s.", title(c, RP_SEC_PER_CLASS), cf);
  if (shown(c, RP_SEC_DEPTH) && !rp_covered(c, RP_SEC_DEPTH))
    rp_list_add(out, "%s (every hidden layer against the baseline, with linear probes): "
                "needs the same /hidden/<layer> layers in every cache, and /samples/label "
                "for the probes %s.", title(c, RP_SEC_DEPTH), cf);
  if (shown(c, RP_SEC_TOKENS) && !rp_covered(c, RP_SEC_TOKENS))
    rp_list_add(out, "%s (perplexity, KLD, \xCE\x94p, same top; language models): needs "
                "/tokens/logits and /tokens/target in every cache %s.",
                title(c, RP_SEC_TOKENS), cf);
  if (shown(c, RP_SEC_BENCHMARK) && !bench)
    rp_list_add(out, "%s (pooled, by task and by stratum, with the paired McNemar and TOST "
                "tests against the baseline): needs /eval/<task>/correct in every cache %s.",
                title(c, RP_SEC_BENCHMARK), cf);
  if (shown(c, RP_SEC_BENCHMARK) && !outs)
    rp_list_add(out, "Predictions, calibration and output accuracy by class: need "
                "/outputs/logits (or /outputs/prediction) with /samples/label in every "
                "cache %s.", cf);
  if (shown(c, RP_SEC_GENERATION) && !gen)
    rp_list_add(out, "%s: needs /eval/<task>/score/<metric> in every cache %s.",
                title(c, RP_SEC_GENERATION), cf);
  if (shown(c, RP_SEC_STATISTICS) && !stats_covered(c))
    rp_list_add(out, "%s (adjacent variants, power): need benchmark results, generation "
                "scores or token logits (above).", title(c, RP_SEC_STATISTICS));
  else if (shown(c, RP_SEC_STATISTICS) && !bench && !gen)
    rp_list_add(out, "Power and detectable effects: need benchmark results or generation "
                "scores (above).");
  if (shown(c, RP_SEC_PERFORMANCE) && !rp_covered(c, RP_SEC_PERFORMANCE))
    rp_list_add(out, "%s (throughput, time to first token, cost per token): needs "
                "/perf/decode_tok_s and /perf/ttft_ms in every cache %s.",
                title(c, RP_SEC_PERFORMANCE), cf);
  if (shown(c, RP_SEC_FIGURES) && !figures_covered(c) &&
      (!c->figures || !c->figures->n_skipped))
    rp_list_add(out, "%s: none could be drawn; they need hidden states, outputs, benchmark "
                "results, token logits or timings in the caches %s.",
                title(c, RP_SEC_FIGURES), cf);
  if (shown(c, RP_SEC_FIGURES) && c->figures) {
    rp_list figs = {0};
    skipped_items(c->figures, &figs);
    for (size_t i = 0; i < figs.n; i++) rp_list_add(out, "Figure %s", figs.items[i]);
    rp_list_free(&figs);
  }
}

void rp_not_covered_part(const rp_ctx *c) {
  rp_list l = {0};
  rp_not_covered_items(c, &l);
  if (l.n) {
    rp_subsection(c, RP_SEC_METHODS, "not_covered_title");
    rp_prose(c, RP_SEC_METHODS, "not_covered_intro");
    rp_list_emit(c->doc, &l);
  }
  rp_list_free(&l);
}

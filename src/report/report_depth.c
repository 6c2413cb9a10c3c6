/*
** Damage by depth (STATISTICS.md "Depth: every hidden layer"): per model,
** one table of every variant at every layer (cosine mean and p05, SQNR,
** CKA, the variant's own probe, the baseline's probe on the variant's
** states and its change in pp, the AUCs with two classes), then one
** sentence per variant saying whether heads trained on the baseline keep
** working and at which layer they stop, and which layers a variant lacks.
** Also what the other sections say about depth: the summary's finding per
** model and the methods' paragraph.
**
** A head "keeps working" at a layer when the baseline's probe on the
** variant's states (probe_transfer) is within the first tier's max_drop_pp
** of the baseline's own accuracy there (probe_transfer_delta_pp); every
** sentence quotes the accuracies and the pp it rests on, and nothing more.
**
** It reads models[].depth and models[].variants[].layers of the results
** tree and nothing else; it never derives a number.  Without layers it
** writes nothing at all, not even a heading: the representation section
** already says when a study has no hidden states.
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define MAX_LAYERS_SHOWN 16  /* rows per variant in the table; evenly spaced beyond */
#define COS_DECIMALS 5       /* as the representation table */
#define MAX_RUNS 6           /* working / not-working stretches a sentence names */

static const cJSON *depth_of(const cJSON *m) { return rp_obj(m, "depth"); }

int rp_depth_any(const rp_ctx *c) {
  const cJSON *m;
  cJSON_ArrayForEach(m, c->models) if (depth_of(m)) return 1;
  return 0;
}

static size_t n_layers(const cJSON *m) {
  return (size_t)cJSON_GetArraySize(rp_arr(depth_of(m), "layers"));
}

static const char *layer_name(const cJSON *m, size_t k) {
  return rp_str(cJSON_GetArrayItem(rp_arr(depth_of(m), "layers"), (int)k), "layer");
}

/* Variant v's entry for layer `name`, or NULL when it lacks it. */
static const cJSON *cell_of(const cJSON *v, const char *name) {
  const cJSON *e;
  cJSON_ArrayForEach(e, rp_arr(v, "layers"))
    if (!strcmp(rp_str(e, "layer"), name)) return e;
  return NULL;
}

static double cnum(const cJSON *v, const char *layer, const char *key) {
  return qa_json_get_num(cell_of(v, layer), key);
}

/* The margin a head may lose and still count as working: the first tier's
** max_drop_pp. */
static double margin_pp(const rp_ctx *c) { return rp_tier_threshold(c, 0, 0); }

/* 1 when some variant of model m has a probe number (labels exist). */
static int has_probes(const cJSON *m) { return rp_bool(depth_of(m), "probes") == 1; }

/* 1 when some variant has a two-class AUC. */
static int has_auc(const cJSON *m) {
  const cJSON *v, *e;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    cJSON_ArrayForEach(e, rp_arr(v, "layers"))
      if (!isnan(qa_json_get_num(e, "probe_auc_native"))) return 1;
  return 0;
}

/* The k-th of `shown` evenly spaced layer indices of L, first and last
** included. */
static size_t shown_index(size_t k, size_t shown, size_t L) {
  if (shown >= L) return k;
  return (size_t)floor((double)k * (double)(L - 1) / (double)(shown - 1) + 0.5);
}

/* ---- the table ---- */

static void style_drop(const rp_ctx *c, rp_row *r, size_t i, double delta_pp) {
  int k = rp_tier_index(c, rp_tier_of_signal(c, delta_pp, 0));
  if (k < 1) return;
  if (k == c->n_tiers - 1) { r->style[i] = QA_CELL_BAD; rp_row_fill(r, i, RP_FILL_BAD); }
  else { r->style[i] = QA_CELL_WARN; rp_row_fill(r, i, RP_FILL_WARN); }
}

static void depth_table(const rp_ctx *c, const cJSON *m) {
  const char *base = rp_str(m, "baseline");
  char own_head[96], on_var[96], on_base[96];
  snprintf(own_head, sizeof own_head, "Own probe");
  snprintf(on_var, sizeof on_var, "%s's probe", base);
  snprintf(on_base, sizeof on_base, "%s on itself", base);
  qa_doc_col all[] = {
    {"Variant", 0.85, QA_ALIGN_LEFT}, {"Layer", 0.95, QA_ALIGN_LEFT},
    {"Cosine mean", 0.8, QA_ALIGN_RIGHT}, {"Cosine p05", 0.8, QA_ALIGN_RIGHT},
    {"SQNR dB", 0.6, QA_ALIGN_RIGHT}, {"CKA", 0.8, QA_ALIGN_RIGHT},
    {own_head, 0.62, QA_ALIGN_RIGHT}, {on_var, 0.72, QA_ALIGN_RIGHT},
    {on_base, 0.72, QA_ALIGN_RIGHT}, {"\xCE\x94 pp", 0.55, QA_ALIGN_RIGHT},
    {"AUC own", 0.62, QA_ALIGN_RIGHT}, {"AUC base's", 0.66, QA_ALIGN_RIGHT}};
  size_t L = n_layers(m), shown = L < MAX_LAYERS_SHOWN ? L : MAX_LAYERS_SHOWN;
  int probes = has_probes(m), auc = probes && has_auc(m);
  size_t n_cols = probes ? (auc ? 12 : 10) : 6;
  const cJSON *v, *bv = rp_baseline(m);
  char caption[400];
  snprintf(caption, sizeof caption, "%s: damage by depth, each variant against %s at every "
           "hidden layer%s", rp_str(m, "name"), base,
           probes ? "; probe accuracies on the test samples, \xCE\x94 the baseline's probe on "
                    "the variant minus on the baseline itself, in pp" : "");
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, n_cols, all);
  size_t rows = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1) {
      size_t have = (size_t)cJSON_GetArraySize(rp_arr(v, "layers"));
      rows += have < shown ? have : shown;
    }
  qa_doc_table_expect(t, rows);
  if (shown < L) {
    char note[200];
    snprintf(note, sizeof note, "%zu of the %zu layers shown, evenly spaced from the first to "
             "the last; report.json lists every layer.", shown, L);
    qa_doc_table_note(t, note);
  }
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    int first = 1;
    if (rp_bool(v, "is_baseline") == 1) continue;
    for (size_t s = 0; s < shown; s++) {
      const char *name = layer_name(m, shown_index(s, shown, L));
      const cJSON *e = cell_of(v, name);
      if (!e) continue;
      rp_row r;
      rp_row_init(&r, n_cols);
      rp_row_set(&r, 0, QA_CELL_BOLD, "%s", first ? rp_str(v, "name") : "");
      rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", name);
      first = 0;
      rp_row_fixed(&r, 2, qa_json_get_num(e, "cosine_mean"), COS_DECIMALS);
      rp_row_fixed(&r, 3, qa_json_get_num(e, "cosine_p05"), COS_DECIMALS);
      rp_row_fixed(&r, 4, qa_json_get_num(e, "sqnr_db"), 1);
      rp_row_fixed(&r, 5, qa_json_get_num(e, "cka_linear"), COS_DECIMALS);
      if (probes) {
        double d = qa_json_get_num(e, "probe_transfer_delta_pp");
        rp_row_fixed(&r, 6, qa_json_get_num(e, "probe_native"), 3);
        rp_row_fixed(&r, 7, qa_json_get_num(e, "probe_transfer"), 3);
        rp_row_fixed(&r, 8, cnum(bv, name, "probe_native"), 3);
        r.style[8] = QA_CELL_MUTED;
        rp_row_signed(&r, 9, d, 1);
        style_drop(c, &r, 9, d);
      }
      if (auc) {
        rp_row_fixed(&r, 10, qa_json_get_num(e, "probe_auc_native"), 3);
        rp_row_fixed(&r, 11, qa_json_get_num(e, "probe_auc_transfer"), 3);
      }
      rp_row_emit(t, &r);
    }
  }
  qa_doc_table_end(t);
}

/* ---- the sentences ---- */

/* "0.860" as the tables print accuracies. */
static void acc3(char *buf, size_t cap, double v) { rp_fmt_fixed(buf, cap, v, 3); }

/* One stretch of consecutive layers where the baseline's probe works (or not). */
typedef struct run {
  int ok;
  size_t first, last, worst;  /* list indices; worst: the lowest delta */
} run;

/* The stretches of variant v over model m's layers it has; returns their
** count (at most MAX_RUNS, the rest merged into the last) and *n_layers. */
static size_t probe_runs(const cJSON *m, const cJSON *v, double margin, run *runs,
                         size_t *n_have) {
  size_t n = 0, L = n_layers(m);
  *n_have = 0;
  for (size_t k = 0; k < L; k++) {
    double d = cnum(v, layer_name(m, k), "probe_transfer_delta_pp");
    if (isnan(d)) continue;
    (*n_have)++;
    int ok = d >= -margin;
    if (n && (runs[n - 1].ok == ok || n == MAX_RUNS)) {
      run *r = &runs[n - 1];
      r->ok = r->ok && ok;
      r->last = k;
      if (d < cnum(v, layer_name(m, r->worst), "probe_transfer_delta_pp")) r->worst = k;
      continue;
    }
    runs[n++] = (run){ok, k, k, k};
  }
  return n;
}

/* "0.395 against its own 0.860, −46.5 pp" at layer k. */
static void at_layer(const cJSON *m, const cJSON *base, const cJSON *v, size_t k, rp_buf *b) {
  char t[RP_FMT], o[RP_FMT], d[RP_FMT];
  const char *name = layer_name(m, k);
  acc3(t, sizeof t, cnum(v, name, "probe_transfer"));
  acc3(o, sizeof o, cnum(base, name, "probe_native"));
  rp_fmt_signed(d, sizeof d, cnum(v, name, "probe_transfer_delta_pp"), 1);
  rp_printf(b, "%s against its own %s, %s pp", t, o, d);
}

/* Whether the baseline's probe keeps working on v, stretch by stretch. */
static void transfer_sentence(const rp_ctx *c, const cJSON *m, const cJSON *v, rp_buf *b) {
  const cJSON *base = rp_baseline(m);
  double margin = margin_pp(c);
  run runs[MAX_RUNS];
  size_t n_have, n = probe_runs(m, v, margin, runs, &n_have);
  char mg[RP_FMT];
  rp_fmt_fixed(mg, sizeof mg, margin, 1);
  rp_printf(b, "%s: ", rp_str(v, "name"));
  if (!n) {
    rp_printf(b, "no layer has probe numbers.");
    return;
  }
  if (n == 1 && runs[0].ok) {
    rp_printf(b, "the baseline's probe keeps working at every one of the %zu layer%s: its "
              "accuracy on %s's states stays within %s pp of its own (at worst %s: ", n_have,
              rp_s((double)n_have), rp_str(v, "name"), mg, layer_name(m, runs[0].worst));
    at_layer(m, base, v, runs[0].worst, b);
    rp_printf(b, ").");
    return;
  }
  rp_printf(b, "the baseline's probe");
  for (size_t i = 0; i < n; i++) {
    const run *r = &runs[i];
    const char *lf = layer_name(m, r->first), *ll = layer_name(m, r->last);
    rp_printf(b, "%s", i == 0 ? " " : i + 1 == n ? ", and then " : ", then ");
    if (r->ok) {
      char d[RP_FMT];
      rp_fmt_signed(d, sizeof d, cnum(v, layer_name(m, r->worst), "probe_transfer_delta_pp"), 1);
      if (r->first == r->last)
        rp_printf(b, "works at %s (%s pp)", lf, d);
      else
        rp_printf(b, "keeps working from %s to %s (within %s pp, at worst %s pp)", lf, ll, mg, d);
      continue;
    }
    if (i == 0 && r->first == 0) rp_printf(b, "already fails at the first layer, %s (", lf);
    else rp_printf(b, "stops working at %s (", lf);
    at_layer(m, base, v, r->first, b);
    rp_printf(b, ")");
    if (r->last != r->first) {
      rp_printf(b, " and stays more than %s pp below to %s", mg, ll);
      if (r->worst != r->first) {
        char d[RP_FMT];
        rp_fmt_signed(d, sizeof d, cnum(v, layer_name(m, r->worst), "probe_transfer_delta_pp"),
                      1);
        rp_printf(b, " (largest drop %s pp, at %s)", d, layer_name(m, r->worst));
      }
    }
  }
  /* Where it first stops: whether the information is still there for a
  ** head trained on the variant itself. */
  for (size_t i = 0; i < n; i++)
    if (!runs[i].ok) {
      const char *lf = layer_name(m, runs[i].first);
      char own[RP_FMT];
      acc3(own, sizeof own, cnum(v, lf, "probe_native"));
      rp_printf(b, ". At %s a probe trained on %s's own states reaches %s", lf,
                rp_str(v, "name"), own);
      break;
    }
  rp_printf(b, ".");
}

/* Without labels: where cosine and CKA are lowest. */
static void geometry_sentence(const cJSON *m, const cJSON *v, rp_buf *b) {
  size_t L = n_layers(m), lo_cos = SIZE_MAX, lo_cka = SIZE_MAX;
  for (size_t k = 0; k < L; k++) {
    const char *name = layer_name(m, k);
    double cs = cnum(v, name, "cosine_mean"), ck = cnum(v, name, "cka_linear");
    if (!isnan(cs) && (lo_cos == SIZE_MAX || cs < cnum(v, layer_name(m, lo_cos), "cosine_mean")))
      lo_cos = k;
    if (!isnan(ck) && (lo_cka == SIZE_MAX || ck < cnum(v, layer_name(m, lo_cka), "cka_linear")))
      lo_cka = k;
  }
  rp_printf(b, "%s: ", rp_str(v, "name"));
  if (lo_cos == SIZE_MAX) {
    rp_printf(b, "no layer has a cosine.");
    return;
  }
  rp_printf(b, "the lowest cosine mean is %.*f, at %s", COS_DECIMALS,
            cnum(v, layer_name(m, lo_cos), "cosine_mean"), layer_name(m, lo_cos));
  if (lo_cka != SIZE_MAX)
    rp_printf(b, "; the lowest CKA %.*f, at %s", COS_DECIMALS,
              cnum(v, layer_name(m, lo_cka), "cka_linear"), layer_name(m, lo_cka));
  rp_printf(b, ".");
}

/* The layers a variant lacks, and its layers the baseline lacks. */
static void missing_sentences(const cJSON *m, rp_list *out) {
  const cJSON *v, *e;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    rp_list miss = {0}, extra = {0};
    cJSON_ArrayForEach(e, rp_arr(v, "layers_missing"))
      if (cJSON_IsString(e)) rp_list_add(&miss, "%s", e->valuestring);
    cJSON_ArrayForEach(e, rp_arr(v, "layers_not_in_baseline"))
      if (cJSON_IsString(e)) rp_list_add(&extra, "%s", e->valuestring);
    if (miss.n) {
      rp_buf b = {0};
      rp_printf(&b, "%s lacks the baseline's layer%s ", rp_str(v, "name"), rp_s((double)miss.n));
      rp_join(&b, &miss);
      rp_printf(&b, ": it is analysed at the other %d.",
                cJSON_GetArraySize(rp_arr(v, "layers")));
      rp_list_take(out, &b);
    }
    if (extra.n) {
      rp_buf b = {0};
      rp_printf(&b, "%s's layer%s ", rp_str(v, "name"), rp_s((double)extra.n));
      rp_join(&b, &extra);
      rp_printf(&b, " %s not in the baseline and %s not analysed.", extra.n == 1 ? "is" : "are",
                extra.n == 1 ? "is" : "are");
      rp_list_take(out, &b);
    }
    rp_list_free(&miss);
    rp_list_free(&extra);
  }
}

static void depth_model(const rp_ctx *c, const cJSON *m) {
  const cJSON *d = depth_of(m), *v;
  if (!d) return;
  size_t L = n_layers(m);
  rp_buf b = {0};
  rp_printf(&b, "%s: %zu hidden layer%s of %s", rp_str(m, "name"), L, rp_s((double)L),
            rp_str(m, "baseline"));
  if (L <= 12) {
    rp_printf(&b, ", in order (");
    for (size_t k = 0; k < L; k++) rp_printf(&b, "%s%s", k ? ", " : "", layer_name(m, k));
    rp_printf(&b, ")");
  } else {
    rp_printf(&b, ", in order from %s to %s", layer_name(m, 0), layer_name(m, L - 1));
  }
  if (has_probes(m)) {
    char ntr[RP_FMT], nte[RP_FMT];
    rp_fmt_int(ntr, sizeof ntr, qa_json_get_num(d, "probe_n_train"));
    rp_fmt_int(nte, sizeof nte, qa_json_get_num(d, "probe_n_test"));
    rp_printf(&b, "; probes trained on %s samples and scored on the other %s.", ntr, nte);
  } else {
    rp_printf(&b, "; without labels (/samples/label) there are no probes.");
  }
  qa_doc_lead_in(c->doc, rp_text(&b));
  rp_buf_free(&b);
  depth_table(c, m);
  rp_list items = {0};
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1 || !cJSON_GetArraySize(rp_arr(v, "layers"))) continue;
    rp_buf s = {0};
    if (has_probes(m)) transfer_sentence(c, m, v, &s);
    else geometry_sentence(m, v, &s);
    rp_list_take(&items, &s);
  }
  missing_sentences(m, &items);
  rp_list_emit(c->doc, &items);
  rp_list_free(&items);
}

void rp_section_depth(const rp_ctx *c) {
  const cJSON *m;
  int any = 0;
  cJSON_ArrayForEach(m, c->models) any |= depth_of(m) != NULL;
  if (!any) return;
  rp_heading(c, RP_SEC_DEPTH);
  rp_prose(c, RP_SEC_DEPTH, "intro");
  cJSON_ArrayForEach(m, c->models) depth_model(c, m);
}

/* ---- in other sections ---- */

void rp_depth_finding(const rp_ctx *c, const cJSON *m, rp_list *out) {
  const cJSON *v;
  if (!depth_of(m) || !has_probes(m) || n_layers(m) < 2) return;
  double margin = margin_pp(c);
  rp_list working = {0}, stops = {0};
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (rp_bool(v, "is_baseline") == 1) continue;
    run runs[MAX_RUNS];
    size_t n_have, n = probe_runs(m, v, margin, runs, &n_have);
    if (!n) continue;
    size_t f = SIZE_MAX;
    for (size_t i = 0; i < n && f == SIZE_MAX; i++)
      if (!runs[i].ok) f = runs[i].first;
    if (f == SIZE_MAX) {
      rp_list_add(&working, "%s", rp_str(v, "name"));
      continue;
    }
    char d[RP_FMT];
    rp_fmt_signed(d, sizeof d, cnum(v, layer_name(m, f), "probe_transfer_delta_pp"), 1);
    rp_list_add(&stops, "on %s at %s (%s pp)", rp_str(v, "name"), layer_name(m, f), d);
  }
  if (!working.n && !stops.n) return;
  char mg[RP_FMT];
  rp_fmt_fixed(mg, sizeof mg, margin, 1);
  rp_buf b = {0};
  rp_printf(&b, "%s, damage by depth (%zu layers): ", rp_str(m, "name"), n_layers(m));
  if (stops.n) {
    rp_printf(&b, "a probe trained on %s's states first loses more than %s pp ",
              rp_str(m, "baseline"), mg);
    rp_join(&b, &stops);
  }
  if (working.n) {
    rp_printf(&b, "%sit stays within %s pp at every layer on ", stops.n ? "; " : "", mg);
    rp_join(&b, &working);
  }
  rp_printf(&b, ".");
  rp_list_take(out, &b);
  rp_list_free(&working);
  rp_list_free(&stops);
}

void rp_depth_method(const rp_ctx *c, rp_list *out) {
  const cJSON *m, *d = NULL;
  cJSON_ArrayForEach(m, c->models)
    if (depth_of(m) && !d) d = depth_of(m);
  if (!d) return;
  rp_buf b = {0};
  char mg[RP_FMT];
  rp_fmt_fixed(mg, sizeof mg, margin_pp(c), 1);
  rp_printf(&b, "Depth: every hidden layer the baseline and a variant share, ordered by the "
            "integer in its name (layer_2 before layer_10), names without one after them and "
            "final last. At each layer the cosine mean and 5th percentile, SQNR and linear CKA "
            "as for the configured layer (whose numbers are the representation section's), "
            "and a closed-form ridge probe: one-hot labels regressed on the centred states of "
            "the samples whose index is not a multiple of 5 (X, D columns), with ridge "
            "\xCE\xBB = %g \xC2\xB7 tr(X'X)/D, scored on the others; "
            "\"own probe\" is trained on the variant's states, \"baseline's probe\" is the "
            "baseline's applied unchanged to the variant's, and \xCE\x94 compares it with the "
            "baseline's own accuracy. A head trained on the baseline counts as working at a "
            "layer while that \xCE\x94 stays within %s pp (the first tier's threshold).",
            qa_json_get_num(d, "probe_ridge"), mg);
  rp_list_take(out, &b);
}

/*
** The model's own outputs on the labelled samples (part of the benchmark
** section, INTERFACE.md section 5): accuracy, agreement with the baseline
** and KL; the calibration of the softmax (ECE, Brier, NLL; STATISTICS.md
** "outputs.calibration"); accuracy by class with the exact McNemar test
** and Holm over the classes ("outputs.per_class"); the critical-error
** checks.  Also the summary's calibration finding and the methods' line.
**
** Reads report.json's outputs objects only; it decides what to say and
** which cells to mark, never a number.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "results/results.h"

#define MAX_VARIANTS 64
#define MAX_VARIANT_COLS 8   /* variant columns of a per-class table before it splits */
#define MAX_CLASS_ROWS 40    /* classes of a per-class table; the worst are kept */

static const cJSON *outputs_of(const cJSON *v) {
  const cJSON *o = cJSON_GetObjectItemCaseSensitive(v, "outputs");
  return cJSON_IsObject(o) ? o : NULL;
}

static const cJSON *calib_of(const cJSON *v) { return rp_obj(outputs_of(v), "calibration"); }
static const cJSON *classes_of(const cJSON *v) { return rp_arr(outputs_of(v), "per_class"); }

/* ---- predictions -------------------------------------------------------- */

static void outputs_table(const rp_ctx *c, const cJSON *m) {
  static const qa_doc_col cols[] = {
    {"Variant", 1.0, QA_ALIGN_LEFT}, {"N", 0.65, QA_ALIGN_RIGHT},
    {"Accuracy", 0.8, QA_ALIGN_RIGHT}, {"Wilson 95% CI", 1.35, QA_ALIGN_RIGHT},
    {"Top-1 agreement", 0.9, QA_ALIGN_RIGHT}, {"KL mean", 0.8, QA_ALIGN_RIGHT},
    {"KL p99", 0.8, QA_ALIGN_RIGHT}, {"KL max", 0.8, QA_ALIGN_RIGHT}};
  const cJSON *v;
  char caption[192];
  snprintf(caption, sizeof caption, "%s: predictions on the labelled samples; KL(baseline "
           "\xE2\x80\x96 variant) in nats", rp_str(m, "name"));
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 8, cols);
  qa_doc_table_expect(t, rp_count_variants(m, "outputs"));
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *o = outputs_of(v), *kl;
    if (!o) continue;
    kl = cJSON_GetObjectItemCaseSensitive(o, "kl");
    rp_row r;
    rp_row_init(&r, 8);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(o, "n"));
    rp_row_fixed(&r, 2, qa_json_get_num(o, "accuracy"), 3);
    rp_fmt_interval(r.cell[3], RP_CELL, cJSON_GetObjectItemCaseSensitive(o, "accuracy_wilson95"), 3);
    rp_row_fixed(&r, 4, qa_json_get_num(o, "top1_agreement"), 4);
    rp_fmt_small(r.cell[5], RP_CELL, qa_json_get_num(kl, "mean"));
    rp_fmt_small(r.cell[6], RP_CELL, qa_json_get_num(kl, "p99"));
    rp_fmt_small(r.cell[7], RP_CELL, qa_json_get_num(kl, "max"));
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
}

/* ---- calibration -------------------------------------------------------- */

/* The non-baseline variant of m with the largest ECE, or NULL. */
static const cJSON *worst_calibrated(const cJSON *m) {
  const cJSON *v, *worst = NULL;
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    double e = qa_json_get_num(calib_of(v), "ece");
    if (rp_bool(v, "is_baseline") == 1 || isnan(e)) continue;
    if (!worst || e > qa_json_get_num(calib_of(worst), "ece")) worst = v;
  }
  return worst;
}

/* "ECE 0.0270 at the baseline fp32; the largest, 0.5505, at int2, whose
** mean confidence 0.947 is above its accuracy 0.397 (overconfident); Brier
** 0.171 → 1.134, NLL 0.323 → 10.27 nats." */
static void calib_sentence(const cJSON *m, rp_buf *b) {
  const cJSON *base = calib_of(rp_baseline(m)), *w = worst_calibrated(m);
  if (!base) return;
  rp_printf(b, "ECE %.4f at the baseline %s", qa_json_get_num(base, "ece"), rp_str(m, "baseline"));
  if (!w) { rp_printf(b, "."); return; }
  const cJSON *cw = calib_of(w);
  double conf = qa_json_get_num(cw, "confidence"), acc = qa_json_get_num(cw, "accuracy");
  rp_printf(b, "; the largest, %.4f, at %s, whose mean confidence %.3f is %s its accuracy "
            "%.3f%s; Brier %.4f \xE2\x86\x92 %.4f, NLL %.4f \xE2\x86\x92 %.4f nats.",
            qa_json_get_num(cw, "ece"), rp_str(w, "name"), conf,
            conf > acc ? "above" : conf < acc ? "below" : "equal to", acc,
            conf > acc ? " (overconfident)" : conf < acc ? " (underconfident)" : "",
            qa_json_get_num(base, "brier"), qa_json_get_num(cw, "brier"),
            qa_json_get_num(base, "nll"), qa_json_get_num(cw, "nll"));
}

static void calibration_table(const rp_ctx *c, const cJSON *m) {
  static const qa_doc_col cols[] = {
    {"Variant", 1.0, QA_ALIGN_LEFT}, {"N", 0.65, QA_ALIGN_RIGHT},
    {"Accuracy (argmax)", 0.95, QA_ALIGN_RIGHT}, {"Mean confidence", 0.95, QA_ALIGN_RIGHT},
    {"ECE", 0.8, QA_ALIGN_RIGHT}, {"Brier", 0.8, QA_ALIGN_RIGHT},
    {"NLL (nats)", 0.8, QA_ALIGN_RIGHT}};
  const cJSON *v;
  size_t n = 0;
  double bins = NAN;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (calib_of(v)) {
      n++;
      if (isnan(bins)) bins = cJSON_GetArraySize(rp_arr(calib_of(v), "bins"));
    }
  if (!n) return;
  char caption[256], note[640];
  snprintf(caption, sizeof caption, "%s: calibration of the softmax outputs on the labelled "
           "samples (ECE over %.0f equal-width confidence bins)", rp_str(m, "name"), bins);
  snprintf(note, sizeof note, "Confidence is the largest softmax probability, accuracy that of "
           "its class. ECE = \xCE\xA3 (n_b/N) |accuracy_b \xE2\x88\x92 confidence_b| over the "
           "bins ((k\xE2\x88\x92" "1)/%.0f, k/%.0f]; Brier is the mean squared distance of the "
           "probability vector from the one-hot label (0 to 2); NLL the mean negative log "
           "probability of the label. Lower is better for all three.", bins, bins);
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, 7, cols);
  qa_doc_table_expect(t, n);
  qa_doc_table_note(t, note);
  cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    const cJSON *cal = calib_of(v);
    if (!cal) continue;
    rp_row r;
    rp_row_init(&r, 7);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(cal, "n"));
    rp_row_fixed(&r, 2, qa_json_get_num(cal, "accuracy"), 3);
    rp_row_fixed(&r, 3, qa_json_get_num(cal, "confidence"), 3);
    rp_row_fixed(&r, 4, qa_json_get_num(cal, "ece"), 4);
    rp_row_fixed(&r, 5, qa_json_get_num(cal, "brier"), 4);
    rp_row_fixed(&r, 6, qa_json_get_num(cal, "nll"), 4);
    rp_row_emit(t, &r);
  }
  qa_doc_table_end(t);
  rp_buf b = {0};
  rp_printf(&b, "%s: ", rp_str(m, "name"));
  calib_sentence(m, &b);
  qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
}

/* ---- accuracy by class -------------------------------------------------- */

/* Variant v's entry for the label of the baseline's k-th class (the lists
** share their order: every variant has the baseline's labels). */
static const cJSON *class_entry(const cJSON *v, size_t k, const char *label) {
  const cJSON *e = cJSON_GetArrayItem(classes_of(v), (int)k), *o;
  if (e && !strcmp(rp_str(e, "label"), label)) return e;
  cJSON_ArrayForEach(o, classes_of(v))
    if (!strcmp(rp_str(o, "label"), label)) return o;
  return NULL;
}

/* The classes a table shows: all when they fit, else the MAX_CLASS_ROWS
** whose worst delta over the variants is lowest (ties: lower label first),
** in label order; idx holds their positions among the baseline's classes. */
static size_t pick_classes(const cJSON *base, const cJSON *const *vars, size_t n_vars,
                           size_t *idx) {
  size_t n_rows = (size_t)cJSON_GetArraySize(classes_of(base)), k = 0;
  double *worst = malloc((n_rows ? n_rows : 1) * sizeof *worst);
  const cJSON *ref;
  if (!worst) return 0;
  cJSON_ArrayForEach(ref, classes_of(base)) {
    double w = INFINITY;
    for (size_t i = 0; i < n_vars; i++) {
      double d = qa_json_get_num(class_entry(vars[i], k, rp_str(ref, "label")), "delta_pp");
      if (!isnan(d)) w = fmin(w, d);
    }
    worst[k++] = w;
  }
  size_t n = rp_pick_worst_rows(worst, k, MAX_CLASS_ROWS, idx);
  free(worst);
  return n;
}

static void class_chunk(const rp_ctx *c, const cJSON *m, const cJSON *const *vars,
                        size_t n_vars, const size_t *idx, size_t n_rows, size_t of) {
  const cJSON *base = rp_baseline(m);
  qa_doc_col cols[RP_MAX_COLS];
  size_t k = 0;
  cols[k++] = (qa_doc_col){"Class", 1.3, QA_ALIGN_LEFT};
  cols[k++] = (qa_doc_col){"n", 0.7, QA_ALIGN_RIGHT};
  cols[k++] = (qa_doc_col){"Baseline accuracy", 1.0, QA_ALIGN_RIGHT};
  for (size_t i = 0; i < n_vars; i++)
    cols[k++] = (qa_doc_col){rp_str(vars[i], "name"), 0.9, QA_ALIGN_RIGHT};
  char caption[256], note[768];
  snprintf(caption, sizeof caption, "%s: change in output accuracy by class (recall, pp "
           "against %s)", rp_str(m, "name"), rp_str(m, "baseline"));
  int used = snprintf(note, sizeof note, "Bold on a shaded cell: the exact McNemar test of "
                      "the class (the prediction's correctness, baseline against variant, "
                      "paired by sample) survives Holm's correction over the %zu classes of "
                      "the variant at alpha %.2g; every other cell is a change that does not "
                      "survive it.", of, c->alpha);
  if (n_rows < of && used > 0 && (size_t)used < sizeof note)
    snprintf(note + used, sizeof note - (size_t)used, " Shown: the %zu of the %zu classes "
             "whose worst variant loses most; report.json lists them all.", n_rows, of);
  qa_doc_table *t = qa_doc_table_begin(c->doc, caption, k, cols);
  qa_doc_table_expect(t, n_rows + 1);
  qa_doc_table_note(t, note);
  rp_row r;
  for (size_t j = 0; j < n_rows; j++) {
    const cJSON *cls = cJSON_GetArrayItem(classes_of(base), (int)idx[j]);
    const char *label = rp_str(cls, "label");
    rp_row_init(&r, k);
    rp_row_set(&r, 0, QA_CELL_BOLD, "%s", label);
    rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(cls, "n"));
    rp_row_fixed(&r, 2, qa_json_get_num(cls, "accuracy"), 3);
    for (size_t i = 0; i < n_vars; i++) {
      const cJSON *e = class_entry(vars[i], idx[j], label);
      double d = qa_json_get_num(e, "delta_pp");
      rp_row_signed(&r, 3 + i, d, 1);
      if (rp_bool(e, "survives_holm") == 1) {
        r.style[3 + i] = QA_CELL_BOLD;
        rp_row_fill(&r, 3 + i, d < 0 ? RP_FILL_BAD : RP_FILL_GOOD);
      }
    }
    rp_row_emit(t, &r);
  }
  const cJSON *bo = outputs_of(base);
  rp_row_init(&r, k);
  rp_row_set(&r, 0, QA_CELL_BOLD, "All samples");
  rp_fmt_int(r.cell[1], RP_CELL, qa_json_get_num(bo, "n"));
  rp_row_fixed(&r, 2, qa_json_get_num(bo, "accuracy"), 3);
  for (size_t i = 0; i < n_vars; i++)
    rp_row_signed(&r, 3 + i, qa_json_get_num(outputs_of(vars[i]), "accuracy_delta_pp"), 1);
  rp_row_emit(t, &r);
  qa_doc_table_end(t);
}

/* "Class changes that survive Holm's correction: int2 in 6 of 6 classes
** (the largest change: class safe, −56.8 pp, Holm-adjusted p < 0.001)." */
static void class_survivors(const rp_ctx *c, const cJSON *const *vars, size_t n_vars,
                            size_t of) {
  rp_list some = {0}, none = {0};
  for (size_t i = 0; i < n_vars; i++) {
    const cJSON *e, *worst = NULL;
    size_t k = 0;
    cJSON_ArrayForEach(e, classes_of(vars[i])) {
      if (rp_bool(e, "survives_holm") != 1) continue;
      k++;
      if (!worst || fabs(qa_json_get_num(e, "delta_pp")) > fabs(qa_json_get_num(worst, "delta_pp")))
        worst = e;
    }
    if (!k) { rp_list_add(&none, "%s", rp_str(vars[i], "name")); continue; }
    char p[RP_FMT];
    rp_fmt_p_text(p, sizeof p, qa_json_get_num(worst, "mcnemar_p_holm"));
    rp_list_add(&some, "%s in %zu of %zu classes (the largest change: class %s, %+.1f pp, "
                "Holm-adjusted %s)", rp_str(vars[i], "name"), k, of, rp_str(worst, "label"),
                qa_json_get_num(worst, "delta_pp"), p);
  }
  rp_buf b = {0};
  if (some.n) {
    rp_printf(&b, "Class changes that survive Holm's correction: ");
    rp_join(&b, &some);
    rp_printf(&b, ".");
  }
  if (none.n) {
    rp_printf(&b, "%sNo class change survives it at ", b.len ? " " : "");
    rp_join(&b, &none);
    rp_printf(&b, "%s", some.n ? "." : ": every per-class difference there is within what "
                                       "chance over the classes allows.");
  }
  if (b.len) qa_doc_paragraph(c->doc, rp_text(&b));
  rp_buf_free(&b);
  rp_list_free(&some);
  rp_list_free(&none);
}

static void classes_model(const rp_ctx *c, const cJSON *m) {
  const cJSON *vars[MAX_VARIANTS], *v, *base = rp_baseline(m);
  size_t n = 0, idx[MAX_CLASS_ROWS];
  size_t of = (size_t)cJSON_GetArraySize(classes_of(base));
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    if (rp_bool(v, "is_baseline") != 1 && cJSON_GetArraySize(classes_of(v)) && n < MAX_VARIANTS)
      vars[n++] = v;
  if (!n || !of) return;
  size_t rows = pick_classes(base, vars, n, idx);
  for (size_t at = 0; at < n; at += MAX_VARIANT_COLS)
    class_chunk(c, m, vars + at, n - at < MAX_VARIANT_COLS ? n - at : MAX_VARIANT_COLS, idx, rows,
                of);
  class_survivors(c, vars, n, of);
}

/* ---- critical errors ---------------------------------------------------- */

/* Returns the number of checks shown. */
static int critical_table(const rp_ctx *c, const cJSON *m) {
  static const qa_doc_col cols[] = {
    {"Variant", 1.0, QA_ALIGN_LEFT}, {"True class", 1.2, QA_ALIGN_LEFT},
    {"Predicted as", 1.2, QA_ALIGN_LEFT}, {"Count", 0.7, QA_ALIGN_RIGHT},
    {"Allowed", 0.7, QA_ALIGN_RIGHT}, {"Result", 0.8, QA_ALIGN_CENTER}};
  const cJSON *v, *ce;
  int n = 0;
  qa_doc_table *t = NULL;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    cJSON_ArrayForEach(ce, rp_arr(outputs_of(v), "critical_errors")) {
      if (!t) {
        char caption[320];
        snprintf(caption, sizeof caption, "%s: critical-error checks, each a (true class, "
                 "predicted class) pair allowed at most the given number of times; a failed "
                 "check makes the variant unacceptable whatever its other numbers",
                 rp_str(m, "name"));
        t = qa_doc_table_begin(c->doc, caption, 6, cols);
      }
      rp_row r;
      int pass = rp_bool(ce, "pass");
      rp_row_init(&r, 6);
      rp_row_set(&r, 0, QA_CELL_BOLD, "%s", rp_str(v, "name"));
      rp_row_set(&r, 1, QA_CELL_NORMAL, "%s", rp_str(ce, "label"));
      rp_row_set(&r, 2, QA_CELL_NORMAL, "%s", rp_str(ce, "predicted"));
      rp_row_fixed(&r, 3, qa_json_get_num(ce, "count"), 0);
      rp_row_fixed(&r, 4, qa_json_get_num(ce, "max"), 0);
      if (pass < 0) rp_row_set(&r, 5, QA_CELL_MUTED, RP_DASH);
      else rp_row_set(&r, 5, pass ? QA_CELL_GOOD : QA_CELL_BAD, "%s", pass ? "PASS" : "FAIL");
      if (pass == 0) rp_row_fill(&r, 5, RP_FILL_BAD);
      rp_row_emit(t, &r);
      n++;
    }
  qa_doc_table_end(t);
  return n;
}

/* ---- the part, and what other sections say about it --------------------- */

void rp_outputs_part(const rp_ctx *c) {
  const cJSON *m;
  int checks = 0, calib = 0, classes = 0;
  rp_subsection(c, RP_SEC_BENCHMARK, "predictions_title");
  rp_prose(c, RP_SEC_BENCHMARK, "predictions_intro");
  cJSON_ArrayForEach(m, c->models) outputs_table(c, m);
  cJSON_ArrayForEach(m, c->models) {
    const cJSON *v;
    cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
      calib |= calib_of(v) != NULL;
      classes |= rp_bool(v, "is_baseline") != 1 && cJSON_GetArraySize(classes_of(v)) > 0;
    }
  }
  rp_subsection(c, RP_SEC_BENCHMARK, "calibration_title");
  if (calib) {
    rp_prose(c, RP_SEC_BENCHMARK, "calibration_intro");
    cJSON_ArrayForEach(m, c->models) calibration_table(c, m);
  } else {
    qa_doc_paragraph(c->doc, "No variant has both output logits and labels; add "
                             "/outputs/logits and /samples/label to the caches to measure "
                             "calibration.");
  }
  rp_subsection(c, RP_SEC_BENCHMARK, "classes_title");
  if (classes) {
    rp_prose(c, RP_SEC_BENCHMARK, "classes_intro");
    cJSON_ArrayForEach(m, c->models) classes_model(c, m);
  } else {
    qa_doc_paragraph(c->doc, "No variant besides a baseline has predictions and labels; add "
                             "/samples/label to the caches to compare accuracy by class.");
  }
  rp_subsection(c, RP_SEC_BENCHMARK, "critical_title");
  cJSON_ArrayForEach(m, c->models) checks += critical_table(c, m);
  if (!checks)
    qa_doc_paragraph(c->doc, "No critical-error checks are configured; add "
                             "\"critical_errors\" to the configuration to enable them.");
}

void rp_outputs_finding(const rp_ctx *c, const cJSON *m, rp_list *out) {
  (void)c;
  if (!calib_of(rp_baseline(m)) || !worst_calibrated(m)) return;
  rp_buf b = {0};
  rp_printf(&b, "%s, calibration of the outputs: ", rp_str(m, "name"));
  calib_sentence(m, &b);
  rp_list_take(out, &b);
}

void rp_outputs_method(const rp_ctx *c, rp_list *out) {
  const cJSON *m, *v, *cal = NULL;
  int classes = 0;
  cJSON_ArrayForEach(m, c->models) cJSON_ArrayForEach(v, rp_arr(m, "variants")) {
    if (!cal) cal = calib_of(v);
    classes |= rp_bool(v, "is_baseline") != 1 && cJSON_GetArraySize(classes_of(v)) > 0;
  }
  if (cal)
    rp_list_add(out, "Calibration: the softmax of the logits by log-sum-exp in double "
                "precision; the expected calibration error over %d equal-width bins of the "
                "largest softmax probability (the first bin closed at 0), the Brier score and "
                "the negative log-likelihood of the label.",
                cJSON_GetArraySize(rp_arr(cal, "bins")));
  if (classes)
    rp_list_add(out, "Outputs by class: each class's accuracy (recall) with a 95%% Wilson "
                "interval, the exact McNemar test of the prediction's correctness against the "
                "baseline on the class's samples, and Holm's correction over the classes of "
                "each variant.");
}

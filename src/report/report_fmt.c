/*
** Formatting and lookup helpers of the report writer: numbers for people,
** the results tree, tiers, growing strings and table rows.  Nothing here
** decides what a section says; nothing here computes a statistic.
*/
#include "report/report_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results/results.h"

const double RP_FILL_GOOD[3] = {0.86, 0.94, 0.87};
const double RP_FILL_OK[3] = {0.93, 0.95, 0.90};
const double RP_FILL_WARN[3] = {1.00, 0.92, 0.78};
const double RP_FILL_BAD[3] = {0.98, 0.84, 0.83};

/* ---- numbers ---- */

void rp_fmt_fixed(char *buf, size_t cap, double v, int decimals) {
  if (isnan(v)) snprintf(buf, cap, RP_DASH);
  else snprintf(buf, cap, "%.*f", decimals, v);
}

void rp_fmt_signed(char *buf, size_t cap, double v, int decimals) {
  if (isnan(v)) { snprintf(buf, cap, RP_DASH); return; }
  double scale = pow(10.0, decimals);
  if (fabs(v) * scale < 0.5) snprintf(buf, cap, "%.*f", decimals, 0.0);
  else snprintf(buf, cap, "%+.*f", decimals, v);
}

void rp_fmt_p(char *buf, size_t cap, double p) {
  if (isnan(p)) { snprintf(buf, cap, RP_DASH); return; }
  if (p < 0.001) { snprintf(buf, cap, "<0.001"); return; }
  /* Three significant digits: 0.0227, 0.418, 1.00. */
  int magnitude = (int)floor(log10(p));
  int decimals = 2 - magnitude < 2 ? 2 : 2 - magnitude;
  char tmp[RP_FMT];
  snprintf(tmp, sizeof tmp, "%.*f", decimals, p);
  /* Rounding may carry into a new digit (0.09996 -> 0.1000): drop one. */
  if (decimals > 2 && strtod(tmp, NULL) >= pow(10.0, magnitude + 1))
    snprintf(tmp, sizeof tmp, "%.*f", decimals - 1, p);
  snprintf(buf, cap, "%s", tmp);
}

void rp_fmt_p_text(char *buf, size_t cap, double p) {
  char v[RP_FMT];
  rp_fmt_p(v, sizeof v, p);
  if (v[0] == '<') snprintf(buf, cap, "p < %s", v + 1);
  else snprintf(buf, cap, "p = %s", v);
}

void rp_fmt_interval(char *buf, size_t cap, const cJSON *pair, int decimals) {
  const cJSON *lo = cJSON_GetArrayItem(pair, 0), *hi = cJSON_GetArrayItem(pair, 1);
  if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)) { snprintf(buf, cap, RP_DASH); return; }
  snprintf(buf, cap, "[%.*f, %.*f]", decimals, lo->valuedouble, decimals, hi->valuedouble);
}

void rp_fmt_int(char *buf, size_t cap, double v) {
  if (isnan(v)) { snprintf(buf, cap, RP_DASH); return; }
  char digits[RP_FMT];
  snprintf(digits, sizeof digits, "%.0f", fabs(v));
  size_t n = strlen(digits), o = 0;
  char out[RP_FMT * 2];
  if (v < 0) out[o++] = '-';
  for (size_t i = 0; i < n && o + 2 < sizeof out; i++) {
    if (i && (n - i) % 3 == 0) out[o++] = ',';
    out[o++] = digits[i];
  }
  out[o] = '\0';
  snprintf(buf, cap, "%s", out);
}

void rp_fmt_small(char *buf, size_t cap, double v) {
  if (isnan(v)) snprintf(buf, cap, RP_DASH);
  else if (v != 0.0 && fabs(v) < 5e-4) snprintf(buf, cap, "%.1e", v);
  else snprintf(buf, cap, "%.4f", v);
}

void rp_fmt_memory(char *buf, size_t cap, double value, const char *unit, int estimated) {
  const char *est = estimated ? " (est.)" : "";
  int binary = unit && !strcmp(unit, "GiB");
  double step = binary ? 1024.0 : 1000.0;
  if (isnan(value)) snprintf(buf, cap, RP_DASH);
  else if (value >= 0.1) snprintf(buf, cap, "%.2f %s%s", value, binary ? "GiB" : "GB", est);
  else if (value * step >= 0.1)
    snprintf(buf, cap, "%.3g %s%s", value * step, binary ? "MiB" : "MB", est);
  else snprintf(buf, cap, "%.3g %s%s", value * step * step, binary ? "KiB" : "kB", est);
}

void rp_fmt_signed_interval(char *buf, size_t cap, const cJSON *pair, int decimals) {
  const cJSON *lo = cJSON_GetArrayItem(pair, 0), *hi = cJSON_GetArrayItem(pair, 1);
  if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)) { snprintf(buf, cap, RP_DASH); return; }
  char a[RP_FMT], b[RP_FMT];
  /* A bound that is not 0 is never shown as 0 ("[-5.7, -0.03]", not
  ** "[-5.7, 0.0]"): it says on which side of 0 the interval lies. */
  double v[2] = {lo->valuedouble, hi->valuedouble};
  char *out[2] = {a, b};
  for (int i = 0; i < 2; i++) {
    int d = decimals;
    while (v[i] != 0.0 && fabs(v[i]) * pow(10.0, d) < 0.5 && d < decimals + 4) d++;
    rp_fmt_signed(out[i], RP_FMT, v[i], d);
  }
  snprintf(buf, cap, "[%s, %s]", a, b);
}

int rp_decimals_for(double u, int lo, int hi, int fallback) {
  if (!isfinite(u) || u == 0.0) return fallback;
  int d = 1 - (int)floor(log10(fabs(u)));
  return d < lo ? lo : d > hi ? hi : d;
}

void rp_fmt_pm(char *buf, size_t cap, double v, double u, int with_sign, int fallback) {
  char a[RP_FMT];
  /* An uncertainty below 1e-5 on a small value: scientific, which fixed
  ** decimals (at most 6) would print as 0.000000. */
  if (isfinite(u) && u > 0 && u < 1e-5 && fabs(v) < 1e-3) {
    snprintf(buf, cap, with_sign && v > 0 ? "+%.2e \xC2\xB1 %.1e" : "%.2e \xC2\xB1 %.1e", v, u);
    return;
  }
  int d = rp_decimals_for(u, 1, 6, fallback);
  if (with_sign) rp_fmt_signed(a, sizeof a, v, d);
  else rp_fmt_fixed(a, sizeof a, v, d);
  if (isnan(v) || !isfinite(u)) snprintf(buf, cap, "%s", a);
  else snprintf(buf, cap, "%s \xC2\xB1 %.*f", a, d, u);
}

void rp_fmt_small_interval(char *buf, size_t cap, const cJSON *pair) {
  const cJSON *lo = cJSON_GetArrayItem(pair, 0), *hi = cJSON_GetArrayItem(pair, 1);
  if (!cJSON_IsNumber(lo) || !cJSON_IsNumber(hi)) { snprintf(buf, cap, RP_DASH); return; }
  char a[RP_FMT], b[RP_FMT];
  rp_fmt_small(a, sizeof a, lo->valuedouble);
  rp_fmt_small(b, sizeof b, hi->valuedouble);
  snprintf(buf, cap, "[%s, %s]", a, b);
}

const char *rp_s(double n) { return n == 1.0 ? "" : "s"; }

/* ---- the results tree ---- */

double rp_num2(const cJSON *obj, const char *key, const char *sub) {
  return qa_json_get_num(cJSON_GetObjectItemCaseSensitive(obj, key), sub);
}

const cJSON *rp_obj(const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsObject(it) ? it : NULL;
}

const cJSON *rp_paired_bench(const cJSON *v) {
  return rp_obj(rp_obj(v, "benchmark"), "paired");
}

const char *rp_mem_unit(const rp_ctx *c) {
  return c && c->cfg && c->cfg->memory_unit ? c->cfg->memory_unit : "GB";
}

double rp_bench_margin(const rp_ctx *c) {
  const cJSON *m, *v;
  double margin = NAN;
  cJSON_ArrayForEach(m, c->models) {
    if (isnan(margin)) margin = qa_json_get_num(rp_paired_bench(rp_baseline(m)), "tost_margin_pp");
    cJSON_ArrayForEach(v, rp_arr(m, "variants"))
      if (isnan(margin)) margin = qa_json_get_num(rp_paired_bench(v), "tost_margin_pp");
  }
  return margin;
}

int rp_bool(const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsBool(it) ? cJSON_IsTrue(it) : -1;
}

const cJSON *rp_arr(const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsArray(it) ? it : NULL;
}

const char *rp_str(const cJSON *obj, const char *key) {
  const char *s = qa_json_get_str(obj, key);
  return s ? s : "";
}

const cJSON *rp_baseline(const cJSON *model) {
  const cJSON *v;
  cJSON_ArrayForEach(v, rp_arr(model, "variants"))
    if (rp_bool(v, "is_baseline") == 1) return v;
  return rp_variant(model, rp_str(model, "baseline"));
}

const cJSON *rp_variant(const cJSON *model, const char *name) {
  const cJSON *v;
  cJSON_ArrayForEach(v, rp_arr(model, "variants"))
    if (name && !strcmp(rp_str(v, "name"), name)) return v;
  return NULL;
}

int rp_any_variant_has(const rp_ctx *c, const char *key) {
  const cJSON *m, *v;
  cJSON_ArrayForEach(m, c->models)
    cJSON_ArrayForEach(v, rp_arr(m, "variants"))
      if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(v, key))) return 1;
  return 0;
}

int rp_any_variant_num(const rp_ctx *c, const char *key) {
  const cJSON *m, *v;
  cJSON_ArrayForEach(m, c->models)
    cJSON_ArrayForEach(v, rp_arr(m, "variants"))
      if (!isnan(qa_json_get_num(v, key))) return 1;
  return 0;
}

int rp_n_models(const rp_ctx *c) { return cJSON_GetArraySize(c->models); }

size_t rp_count_variants(const cJSON *m, const char *key) {
  const cJSON *v;
  size_t n = 0;
  cJSON_ArrayForEach(v, rp_arr(m, "variants"))
    n += !key || cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(v, key));
  return n;
}

/* ---- tiers ---- */

int rp_tier_index(const rp_ctx *c, const char *name) {
  const cJSON *t;
  int i = 0;
  if (!name) return -1;
  cJSON_ArrayForEach(t, c->tiers) {
    if (!strcmp(rp_str(t, "name"), name)) return i;
    i++;
  }
  return -1;
}

double rp_tier_threshold(const rp_ctx *c, int index, int pct) {
  return qa_json_get_num(cJSON_GetArrayItem(c->tiers, index),
                         pct ? "max_drop_pct" : "max_drop_pp");
}

const char *rp_tier_of_signal(const rp_ctx *c, double delta, int pct) {
  if (isnan(delta) || c->n_tiers == 0) return NULL;
  for (int i = 0; i < c->n_tiers; i++) {
    double max_drop = rp_tier_threshold(c, i, pct);
    /* The final tier has no threshold: it takes everything left. */
    if (isnan(max_drop) || max_drop >= -delta)
      return rp_str(cJSON_GetArrayItem(c->tiers, i), "name");
  }
  return "unacceptable";
}

int rp_tier_recommended(const rp_ctx *c, const char *name) {
  int i = rp_tier_index(c, name);
  return i == 0 || i == 1;
}

/* ---- growing strings ---- */

static void buf_vprintf(rp_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) return;
  if (b->len + (size_t)n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + (size_t)n + 1) cap *= 2;
    char *s = realloc(b->s, cap);
    if (!s) return;   /* text is dropped on allocation failure, never corrupted */
    b->s = s;
    b->cap = cap;
  }
  vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
  b->len += (size_t)n;
}

void rp_printf(rp_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(b, fmt, ap);
  va_end(ap);
}

const char *rp_text(const rp_buf *b) { return b->s ? b->s : ""; }

void rp_buf_free(rp_buf *b) {
  free(b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

static void list_push(rp_list *l, char *s) {
  if (!s) return;
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 8;
    char **items = realloc(l->items, cap * sizeof *items);
    if (!items) { free(s); return; }
    l->items = items;
    l->cap = cap;
  }
  l->items[l->n++] = s;
}

void rp_list_add(rp_list *l, const char *fmt, ...) {
  rp_buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  buf_vprintf(&b, fmt, ap);
  va_end(ap);
  list_push(l, b.s);
}

void rp_list_take(rp_list *l, rp_buf *b) {
  list_push(l, b->s);
  b->s = NULL;
  b->len = b->cap = 0;
}

void rp_list_emit(qa_doc *doc, const rp_list *l) {
  if (l->n) qa_doc_bullets(doc, (const char *const *)l->items, l->n);
}

void rp_list_free(rp_list *l) {
  for (size_t i = 0; i < l->n; i++) free(l->items[i]);
  free(l->items);
  l->items = NULL;
  l->n = l->cap = 0;
}

void rp_join(rp_buf *out, const rp_list *l) {
  for (size_t i = 0; i < l->n; i++)
    rp_printf(out, "%s%s", i == 0 ? "" : i + 1 == l->n ? " and " : ", ", l->items[i]);
}

/* ---- table rows ---- */

void rp_row_init(rp_row *r, size_t n) {
  r->n = n > RP_MAX_COLS ? RP_MAX_COLS : n;
  r->has_fill = 0;
  for (size_t i = 0; i < RP_MAX_COLS; i++) {
    r->cell[i][0] = '\0';
    r->style[i] = QA_CELL_NORMAL;
    r->fill[3 * i] = -1.0;
  }
}

void rp_row_set(rp_row *r, size_t i, qa_doc_cell_style st, const char *fmt, ...) {
  if (i >= r->n) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->cell[i], RP_CELL, fmt, ap);
  va_end(ap);
  r->style[i] = st;
}

void rp_row_fixed(rp_row *r, size_t i, double v, int decimals) {
  if (i < r->n) rp_fmt_fixed(r->cell[i], RP_CELL, v, decimals);
}

void rp_row_signed(rp_row *r, size_t i, double v, int decimals) {
  if (i < r->n) rp_fmt_signed(r->cell[i], RP_CELL, v, decimals);
}

void rp_row_p(rp_row *r, size_t i, double p) {
  if (i < r->n) rp_fmt_p(r->cell[i], RP_CELL, p);
}

void rp_row_fill(rp_row *r, size_t i, const double rgb[3]) {
  if (i >= r->n) return;
  memcpy(&r->fill[3 * i], rgb, 3 * sizeof *rgb);
  r->has_fill = 1;
}

void rp_row_tier(rp_row *r, size_t i, const rp_ctx *c, const char *tier) {
  int k = rp_tier_index(c, tier);
  if (!tier || !*tier) { rp_row_set(r, i, QA_CELL_MUTED, RP_DASH); return; }
  if (k < 0) { rp_row_set(r, i, QA_CELL_MUTED, "%s", tier); return; }
  if (k == 0) {
    rp_row_set(r, i, QA_CELL_GOOD, "%s", tier);
    rp_row_fill(r, i, RP_FILL_GOOD);
  } else if (k == c->n_tiers - 1) {
    rp_row_set(r, i, QA_CELL_BAD, "%s", tier);
    rp_row_fill(r, i, RP_FILL_BAD);
  } else if (k == 1) {
    rp_row_set(r, i, QA_CELL_NORMAL, "%s", tier);
    rp_row_fill(r, i, RP_FILL_OK);
  } else {
    rp_row_set(r, i, QA_CELL_WARN, "%s", tier);
    rp_row_fill(r, i, RP_FILL_WARN);
  }
}

void rp_row_bool(rp_row *r, size_t i, int b, qa_doc_cell_style yes_style,
                 qa_doc_cell_style no_style) {
  if (b < 0) rp_row_set(r, i, QA_CELL_MUTED, RP_DASH);
  else rp_row_set(r, i, b ? yes_style : no_style, "%s", b ? "yes" : "no");
}

void rp_row_drop_first(rp_row *r, size_t k) {
  if (!k) return;
  if (k > r->n) k = r->n;
  memmove(r->cell[0], r->cell[k], (r->n - k) * sizeof r->cell[0]);
  memmove(r->style, r->style + k, (r->n - k) * sizeof r->style[0]);
  memmove(r->fill, r->fill + 3 * k, 3 * (r->n - k) * sizeof r->fill[0]);
  r->n -= k;
}

void rp_row_emit(qa_doc_table *t, const rp_row *r) {
  const char *cells[RP_MAX_COLS];
  for (size_t i = 0; i < r->n; i++) cells[i] = r->cell[i];
  qa_doc_table_row_styled(t, cells, r->style, r->has_fill ? r->fill : NULL);
}

/* Cell i: the paired TOST p at each of margins[0..n) from paired.tost[]
** (matched on margin_key, "margin_pp" or "margin_pct"), "0.469 / 0.0733";
** a dash when none exists. */
void rp_row_tost(rp_row *r, size_t i, const cJSON *paired, const char *margin_key,
                 const double *margins, size_t n) {
  rp_buf tb = {0};
  int any = 0;
  for (size_t k = 0; k < n; k++) {
    const cJSON *t, *hit = NULL;
    cJSON_ArrayForEach(t, rp_arr(paired, "tost"))
      if (!hit && fabs(qa_json_get_num(t, margin_key) - margins[k]) < 1e-9) hit = t;
    char ps[RP_FMT];
    double tp = qa_json_get_num(hit, "p");
    any |= !isnan(tp);
    rp_fmt_p(ps, sizeof ps, tp);
    rp_printf(&tb, "%s%s", k ? " / " : "", ps);
  }
  rp_row_set(r, i, QA_CELL_NORMAL, "%s", any ? rp_text(&tb) : RP_DASH);
  rp_buf_free(&tb);
}

/* The rows a per-row table shows: all when they fit, else the `max` of
** lowest worst[r] (ties: the earlier row first), in row order. */
size_t rp_pick_worst_rows(const double *worst, size_t n_rows, size_t max, size_t *idx) {
  size_t n = 0;
  for (size_t k = 0; k < n_rows; k++) {
    size_t at = n;
    while (at > 0 && worst[idx[at - 1]] > worst[k]) at--;
    if (at >= max) continue;
    size_t last = n < max ? n++ : max - 1;
    memmove(idx + at + 1, idx + at, (last - at) * sizeof *idx);
    idx[at] = k;
  }
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
      size_t t = idx[j]; idx[j] = idx[j - 1]; idx[j - 1] = t;
    }
  return n;
}

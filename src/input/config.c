/*
** Reading the configuration (INTERFACE.md section 3).
**
** Every object is checked against the list of keys it may hold, so that a
** typo is an error rather than a silently ignored setting.  Errors name the
** key path as a reader would write it: "models[0].variants[2].file".
** Cross-references that need the caches' own names (a claim's variant, a
** critical error's class) are checked later, in study.c.
**
** This module must never open a cache or compute a statistic.
*/
#include "input/config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/infile.h"
#include "util/text.h"

const char *const qa_disclosure_fields[QA_N_DISCLOSURE] = {
  "task", "model", "metric", "baseline", "calibration", "test_set", "strata"
};

#define MAX_CONFIG_BYTES (16u << 20)

/* Parsing context: the file for messages and the error to fill. */
typedef struct ctx {
  const char *file;
  qa_error *err;
} ctx;

static int fail(ctx *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(ctx *c, const char *key, const char *fmt, ...) {
  char what[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return qa_error_set(c->err, QA_EXIT_USAGE, c->file, key, "%s", what);
}

static char *dup_str(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static void join_key(char *out, size_t cap, const char *parent, const char *key) {
  if (parent && *parent) snprintf(out, cap, "%s.%s", parent, key);
  else snprintf(out, cap, "%s", key);
}

static void index_key(char *out, size_t cap, const char *parent, size_t i) {
  snprintf(out, cap, "%s[%zu]", parent, i);
}

static const char *type_name(const cJSON *item) {
  if (cJSON_IsString(item)) return "a string";
  if (cJSON_IsNumber(item)) return "a number";
  if (cJSON_IsBool(item)) return "a boolean";
  if (cJSON_IsNull(item)) return "null";
  if (cJSON_IsArray(item)) return "an array";
  if (cJSON_IsObject(item)) return "an object";
  return "an unknown value";
}

/* Every key of obj must be in allowed (NULL-terminated) and appear once. */
static int check_keys(ctx *c, const cJSON *obj, const char *path,
                      const char *const *allowed) {
  char key[256];
  for (const cJSON *it = obj->child; it; it = it->next) {
    int known = 0;
    size_t n = strlen(it->string), bad = qa_utf8_invalid_at(it->string, n);
    if (bad < n)   /* not echoed: the message itself must be text */
      return fail(c, path && *path ? path : NULL, "a key is not valid UTF-8 at byte %zu", bad);
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(*a, it->string) == 0) known = 1;
    join_key(key, sizeof key, path, it->string);
    if (!known) return fail(c, key, "unknown key");
    for (const cJSON *o = obj->child; o != it; o = o->next)
      if (strcmp(o->string, it->string) == 0) return fail(c, key, "duplicate key");
  }
  return 0;
}

static int expect_object(ctx *c, const cJSON *item, const char *key) {
  if (!cJSON_IsObject(item))
    return fail(c, key, "expected an object, found %s", type_name(item));
  return 0;
}

/* What a string value is, for the checks every string gets. */
enum { TEXT = 0, NAME = 1 };

/* Every string is UTF-8 (cJSON passes raw bytes through, and the report's
** fonts, the PDF and the JSON writer need text); a name (model, variant,
** layer, task, metric, class, tier, claim id) is at most QA_NAME_MAX_BYTES.
** Free text (title, subtitle, author, disclosure, claim text) may be long:
** the report wraps it.  Checked before the value is echoed in any other
** message. */
static int check_text(ctx *c, const char *key, const char *s, int kind) {
  size_t n = strlen(s), bad = qa_utf8_invalid_at(s, n);
  if (bad < n) return fail(c, key, "not valid UTF-8 at byte %zu", bad);
  if (kind == NAME && n > QA_NAME_MAX_BYTES)
    return fail(c, key, "name of %zu bytes is longer than the limit of %d bytes", n,
                QA_NAME_MAX_BYTES);
  return 0;
}

/* Optional string: *out stays untouched when absent. */
static int get_string_as(ctx *c, const cJSON *obj, const char *path,
                         const char *name, int required, int kind, char **out) {
  char key[256];
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
  join_key(key, sizeof key, path, name);
  if (!it) return required ? fail(c, key, "missing (required)") : 0;
  if (!cJSON_IsString(it))
    return fail(c, key, "expected a string, found %s", type_name(it));
  if (check_text(c, key, it->valuestring, kind)) return -1;
  free(*out);
  *out = dup_str(it->valuestring);
  if (!*out) return qa_error_set(c->err, QA_EXIT_IO, c->file, key, "out of memory");
  return 0;
}

/* A name (length-limited); free text and file paths use get_text. */
static int get_string(ctx *c, const cJSON *obj, const char *path,
                      const char *name, int required, char **out) {
  return get_string_as(c, obj, path, name, required, NAME, out);
}

static int get_text(ctx *c, const cJSON *obj, const char *path,
                    const char *name, int required, char **out) {
  return get_string_as(c, obj, path, name, required, TEXT, out);
}

enum { ANY = 0, INTEGER = 1 };

/* Optional number in [lo, hi] (open at either end when lo_open/hi_open). */
typedef struct range {
  double lo, hi;
  int lo_open, hi_open, integer;
} range;

static int check_range(ctx *c, const char *key, double v, range r) {
  if (!isfinite(v)) return fail(c, key, "expected a finite number");
  if (r.integer && v != floor(v))
    return fail(c, key, "expected an integer, found %g", v);
  int below = r.lo_open ? v <= r.lo : v < r.lo;
  int above = r.hi_open ? v >= r.hi : v > r.hi;
  if (below || above)
    return fail(c, key, "%g is out of range: expected %s%g, %g%s", v,
                r.lo_open ? "(" : "[", r.lo, r.hi, r.hi_open ? ")" : "]");
  return 0;
}

static int get_number(ctx *c, const cJSON *obj, const char *path,
                      const char *name, range r, int *has, double *out) {
  char key[256];
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, name);
  join_key(key, sizeof key, path, name);
  if (!it) return 0;
  if (!cJSON_IsNumber(it))
    return fail(c, key, "expected a number, found %s", type_name(it));
  if (check_range(c, key, it->valuedouble, r)) return -1;
  *out = it->valuedouble;
  if (has) *has = 1;
  return 0;
}

static const range R_POSITIVE = {0, HUGE_VAL, 1, 0, 0};
static const range R_NONNEG = {0, HUGE_VAL, 0, 0, 0};
static const range R_PROB = {0, 1, 1, 1, 0};
static const range R_COUNT = {1, 9.0e15, 0, 0, 1};
static const range R_NONNEG_INT = {0, 9.0e15, 0, 0, 1};
static const range R_ANY = {-HUGE_VAL, HUGE_VAL, 0, 0, 0};

/* An array of strings (n, out). */
static int get_string_array(ctx *c, const cJSON *obj, const char *path,
                            const char *name, size_t *n_out, char ***out) {
  char key[256], item_key[300];
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name);
  join_key(key, sizeof key, path, name);
  if (!arr) return 0;
  if (!cJSON_IsArray(arr))
    return fail(c, key, "expected an array of strings, found %s", type_name(arr));
  size_t n = (size_t)cJSON_GetArraySize(arr);
  char **v = calloc(n ? n : 1, sizeof *v);
  if (!v) return qa_error_set(c->err, QA_EXIT_IO, c->file, key, "out of memory");
  for (size_t i = 0; i < *n_out; i++) free((*out)[i]);
  free(*out);
  *out = v;
  *n_out = 0;
  for (const cJSON *it = arr->child; it; it = it->next) {
    index_key(item_key, sizeof item_key, key, *n_out);
    if (!cJSON_IsString(it))
      return fail(c, item_key, "expected a string, found %s", type_name(it));
    if (check_text(c, item_key, it->valuestring, NAME)) return -1;
    if (!(v[*n_out] = dup_str(it->valuestring)))
      return qa_error_set(c->err, QA_EXIT_IO, c->file, item_key, "out of memory");
    (*n_out)++;
  }
  return 0;
}

static int parse_variant(ctx *c, const cJSON *obj, const char *path,
                         qa_variant_cfg *v) {
  static const char *const keys[] = {"name", "file", "bits_per_weight", "params",
                                     "vram_gb", NULL};
  double params = 0;
  if (expect_object(c, obj, path) || check_keys(c, obj, path, keys)) return -1;
  if (get_string(c, obj, path, "name", 0, &v->name)) return -1;
  if (get_text(c, obj, path, "file", 1, &v->file)) return -1;
  if (get_number(c, obj, path, "bits_per_weight", R_POSITIVE,
                 &v->has_bits_per_weight, &v->bits_per_weight)) return -1;
  if (get_number(c, obj, path, "params", R_COUNT, &v->has_params, &params)) return -1;
  v->params = (int64_t)params;
  return get_number(c, obj, path, "vram_gb", R_POSITIVE, &v->has_vram_gb, &v->vram_gb);
}

static int parse_model(ctx *c, const cJSON *obj, const char *path,
                       qa_model_cfg *m) {
  static const char *const keys[] = {"name", "baseline", "params", "variants", NULL};
  char key[256], item_key[300];
  double params = 0;
  if (expect_object(c, obj, path) || check_keys(c, obj, path, keys)) return -1;
  if (get_string(c, obj, path, "name", 0, &m->name)) return -1;
  if (get_string(c, obj, path, "baseline", 0, &m->baseline)) return -1;
  if (get_number(c, obj, path, "params", R_COUNT, &m->has_params, &params)) return -1;
  m->params = (int64_t)params;
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "variants");
  join_key(key, sizeof key, path, "variants");
  if (!arr) return fail(c, key, "missing (required)");
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
    return fail(c, key, "expected a non-empty array of variants");
  m->variants = calloc((size_t)cJSON_GetArraySize(arr), sizeof *m->variants);
  if (!m->variants) return qa_error_set(c->err, QA_EXIT_IO, c->file, key, "out of memory");
  for (const cJSON *it = arr->child; it; it = it->next) {
    index_key(item_key, sizeof item_key, key, m->n_variants);
    if (parse_variant(c, it, item_key, &m->variants[m->n_variants++])) return -1;
  }
  return 0;
}

static int parse_models(ctx *c, const cJSON *root, qa_config *cfg) {
  char item_key[64];
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "models");
  if (!arr) return fail(c, "models", "missing (required)");
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
    return fail(c, "models", "expected a non-empty array of models");
  cfg->models = calloc((size_t)cJSON_GetArraySize(arr), sizeof *cfg->models);
  if (!cfg->models) return qa_error_set(c->err, QA_EXIT_IO, c->file, "models", "out of memory");
  for (const cJSON *it = arr->child; it; it = it->next) {
    index_key(item_key, sizeof item_key, "models", cfg->n_models);
    if (parse_model(c, it, item_key, &cfg->models[cfg->n_models++])) return -1;
  }
  return 0;
}

/* analysis.NAME: a non-empty array of at most QA_MAX_MARGINS positive
** margins, ascending. */
static int get_margins(ctx *c, const cJSON *obj, const char *name, double *out, size_t *n) {
  char key[64], item[80];
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, name);
  snprintf(key, sizeof key, "analysis.%s", name);
  if (!arr) return 0;
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
    return fail(c, key, "expected a non-empty array of margins, found %s", type_name(arr));
  if (cJSON_GetArraySize(arr) > QA_MAX_MARGINS)
    return fail(c, key, "%d margins; at most %d are reported", cJSON_GetArraySize(arr),
                QA_MAX_MARGINS);
  *n = 0;
  for (const cJSON *it = arr->child; it; it = it->next) {
    index_key(item, sizeof item, key, *n);
    if (!cJSON_IsNumber(it)) return fail(c, item, "expected a number, found %s", type_name(it));
    if (check_range(c, item, it->valuedouble, R_POSITIVE)) return -1;
    if (*n && !(it->valuedouble > out[*n - 1]))
      return fail(c, item, "margins must be in ascending order");
    out[(*n)++] = it->valuedouble;
  }
  return 0;
}

/* analysis.overlap_ks: a non-empty array of at most QA_MAX_OVERLAP_KS
** integers in [1, QA_MAX_OVERLAP_K], ascending. */
static int get_overlap_ks(ctx *c, const cJSON *obj, qa_config *cfg) {
  char item[80];
  const char *key = "analysis.overlap_ks";
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "overlap_ks");
  const range r = {1, QA_MAX_OVERLAP_K, 0, 0, 1};
  if (!arr) return 0;
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
    return fail(c, key, "expected a non-empty array of neighbour counts, found %s",
                cJSON_IsArray(arr) ? "an empty array" : type_name(arr));
  if (cJSON_GetArraySize(arr) > QA_MAX_OVERLAP_KS)
    return fail(c, key, "%d values; at most %d are reported", cJSON_GetArraySize(arr),
                QA_MAX_OVERLAP_KS);
  cfg->n_overlap_ks = 0;
  for (const cJSON *it = arr->child; it; it = it->next) {
    index_key(item, sizeof item, key, cfg->n_overlap_ks);
    if (!cJSON_IsNumber(it)) return fail(c, item, "expected a number, found %s", type_name(it));
    if (check_range(c, item, it->valuedouble, r)) return -1;
    if (cfg->n_overlap_ks && !(it->valuedouble > cfg->overlap_ks[cfg->n_overlap_ks - 1]))
      return fail(c, item, "neighbour counts must be in ascending order");
    cfg->overlap_ks[cfg->n_overlap_ks++] = (int)it->valuedouble;
  }
  return 0;
}

static int parse_analysis(ctx *c, const cJSON *root, qa_config *cfg) {
  static const char *const keys[] = {"alpha", "power", "knn_k", "tost_margin_pp",
                                     "tost_margin_pct", "pairs_max", "key_metrics",
                                     "tost_margins_pp", "tost_margins_pct", "ece_bins",
                                     "overlap_ks", "probe_ridge", "worst_samples", NULL};
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "analysis");
  double knn_k = cfg->knn_k, pairs_max = (double)cfg->pairs_max, ece_bins = cfg->ece_bins;
  double worst = cfg->worst_samples;
  const range r_worst = {0, QA_MAX_WORST_SAMPLES, 0, 0, 1};
  const range r_k = {1, 1000, 0, 0, 1};
  const range r_bins = {1, QA_CONFIG_MAX_ECE_BINS, 0, 0, 1};
  const range r_pairs = {1, 1.0e12, 0, 0, 1};
  if (!obj) return 0;
  if (expect_object(c, obj, "analysis") || check_keys(c, obj, "analysis", keys)) return -1;
  if (get_number(c, obj, "analysis", "alpha", R_PROB, NULL, &cfg->alpha) ||
      get_number(c, obj, "analysis", "power", R_PROB, NULL, &cfg->power) ||
      get_number(c, obj, "analysis", "knn_k", r_k, NULL, &knn_k) ||
      get_number(c, obj, "analysis", "tost_margin_pp", R_POSITIVE, NULL,
                 &cfg->tost_margin_pp) ||
      get_number(c, obj, "analysis", "tost_margin_pct", R_POSITIVE, NULL,
                 &cfg->tost_margin_pct) ||
      get_number(c, obj, "analysis", "pairs_max", r_pairs, NULL, &pairs_max) ||
      get_string_array(c, obj, "analysis", "key_metrics", &cfg->n_key_metrics,
                       &cfg->key_metrics) ||
      get_margins(c, obj, "tost_margins_pp", cfg->tost_margins_pp, &cfg->n_tost_margins_pp) ||
      get_margins(c, obj, "tost_margins_pct", cfg->tost_margins_pct, &cfg->n_tost_margins_pct) ||
      get_number(c, obj, "analysis", "ece_bins", r_bins, NULL, &ece_bins) ||
      get_overlap_ks(c, obj, cfg) ||
      get_number(c, obj, "analysis", "probe_ridge", R_POSITIVE, NULL, &cfg->probe_ridge) ||
      get_number(c, obj, "analysis", "worst_samples", r_worst, NULL, &worst))
    return -1;
  cfg->worst_samples = (int)worst;
  cfg->knn_k = (int)knn_k;
  cfg->ece_bins = (int)ece_bins;
  cfg->pairs_max = (long long)pairs_max;
  return 0;
}

static int parse_tiers(ctx *c, const cJSON *root, qa_config *cfg) {
  static const char *const keys[] = {"name", "max_drop_pp", "max_drop_pct", "max_kld", NULL};
  char item_key[64];
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "tiers");
  if (!arr) return 0;
  if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) == 0)
    return fail(c, "tiers", "expected a non-empty array of tiers");
  for (size_t i = 0; i < cfg->n_tiers; i++) free(cfg->tiers[i].name);
  free(cfg->tiers);
  cfg->n_tiers = 0;
  cfg->tiers = calloc((size_t)cJSON_GetArraySize(arr), sizeof *cfg->tiers);
  if (!cfg->tiers) return qa_error_set(c->err, QA_EXIT_IO, c->file, "tiers", "out of memory");
  for (const cJSON *it = arr->child; it; it = it->next) {
    qa_tier_cfg *t = &cfg->tiers[cfg->n_tiers];
    int has_pp = 0, has_pct = 0, has_kld = 0;
    index_key(item_key, sizeof item_key, "tiers", cfg->n_tiers++);
    t->max_drop_pp = t->max_drop_pct = t->max_kld = HUGE_VAL;
    if (expect_object(c, it, item_key) || check_keys(c, it, item_key, keys) ||
        get_string(c, it, item_key, "name", 1, &t->name) ||
        get_number(c, it, item_key, "max_drop_pp", R_ANY, &has_pp, &t->max_drop_pp) ||
        get_number(c, it, item_key, "max_drop_pct", R_ANY, &has_pct, &t->max_drop_pct) ||
        get_number(c, it, item_key, "max_kld", R_NONNEG, &has_kld, &t->max_kld))
      return -1;
    if (!has_pp && !has_pct && !has_kld)
      return fail(c, item_key, "expected max_drop_pp, max_drop_pct or max_kld");
    if (strcmp(t->name, "unacceptable") == 0)
      return fail(c, item_key, "\"unacceptable\" is the implicit last tier; do not configure it");
    /* Tiers run from the strictest to the loosest: each declared limit must
    ** lie above the same limit of every earlier tier. */
    for (size_t j = 0; j + 1 < cfg->n_tiers; j++) {
      const qa_tier_cfg *e = &cfg->tiers[j];
      char sub[96];
      if (has_pp && e->max_drop_pp != HUGE_VAL && !(t->max_drop_pp > e->max_drop_pp)) {
        snprintf(sub, sizeof sub, "%s.max_drop_pp", item_key);
        return fail(c, sub, "%g is not above tiers[%zu]'s %g; tiers must be in ascending order",
                    t->max_drop_pp, j, e->max_drop_pp);
      }
      if (has_pct && e->max_drop_pct != HUGE_VAL && !(t->max_drop_pct > e->max_drop_pct)) {
        snprintf(sub, sizeof sub, "%s.max_drop_pct", item_key);
        return fail(c, sub, "%g is not above tiers[%zu]'s %g; tiers must be in ascending order",
                    t->max_drop_pct, j, e->max_drop_pct);
      }
      if (has_kld && e->max_kld != HUGE_VAL && !(t->max_kld > e->max_kld)) {
        snprintf(sub, sizeof sub, "%s.max_kld", item_key);
        return fail(c, sub, "%g is not above tiers[%zu]'s %g; tiers must be in ascending order",
                    t->max_kld, j, e->max_kld);
      }
    }
  }
  return 0;
}

static int parse_deploy(ctx *c, const cJSON *root, qa_config *cfg) {
  static const char *const keys[] = {"vram_tiers_gb", "usd_per_hour", "vram_overhead",
                                     "memory_unit", "throughput_mean", NULL};
  char key[64];
  char *unit = NULL, *mean = NULL;
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "deploy");
  if (!obj) return 0;
  if (expect_object(c, obj, "deploy") || check_keys(c, obj, "deploy", keys) ||
      get_number(c, obj, "deploy", "usd_per_hour", R_NONNEG, NULL, &cfg->usd_per_hour) ||
      get_number(c, obj, "deploy", "vram_overhead", R_POSITIVE, NULL, &cfg->vram_overhead))
    return -1;
  int rc = get_string(c, obj, "deploy", "memory_unit", 0, &unit) ||
           get_string(c, obj, "deploy", "throughput_mean", 0, &mean);
  /* STATISTICS.md "Tier, cost, memory": u = 10^9 for GB, 2^30 for GiB. */
  if (!rc && unit && strcmp(unit, "GB") == 0) {
    cfg->memory_unit = "GB";
    cfg->memory_unit_bytes = 1e9;
  } else if (!rc && unit && strcmp(unit, "GiB") == 0) {
    cfg->memory_unit = "GiB";
    cfg->memory_unit_bytes = 1073741824.0;
  } else if (!rc && unit) {
    rc = fail(c, "deploy.memory_unit", "expected \"GB\" or \"GiB\"");
  }
  if (!rc && mean && strcmp(mean, "harmonic") && strcmp(mean, "arithmetic"))
    rc = fail(c, "deploy.throughput_mean", "expected \"harmonic\" or \"arithmetic\"");
  if (!rc && mean) cfg->throughput_arithmetic = strcmp(mean, "arithmetic") == 0;
  free(unit);
  free(mean);
  if (rc) return -1;
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, "vram_tiers_gb");
  if (!arr) return 0;
  if (!cJSON_IsArray(arr))
    return fail(c, "deploy.vram_tiers_gb", "expected an array of numbers, found %s",
                type_name(arr));
  free(cfg->vram_tiers_gb);
  cfg->n_vram_tiers = 0;
  cfg->vram_tiers_gb = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof(double));
  if (!cfg->vram_tiers_gb)
    return qa_error_set(c->err, QA_EXIT_IO, c->file, "deploy.vram_tiers_gb", "out of memory");
  for (const cJSON *it = arr->child; it; it = it->next) {
    index_key(key, sizeof key, "deploy.vram_tiers_gb", cfg->n_vram_tiers);
    if (!cJSON_IsNumber(it))
      return fail(c, key, "expected a number, found %s", type_name(it));
    if (check_range(c, key, it->valuedouble, R_POSITIVE)) return -1;
    if (cfg->n_vram_tiers > 0 &&
        it->valuedouble <= cfg->vram_tiers_gb[cfg->n_vram_tiers - 1])
      return fail(c, key, "memory tiers must be in ascending order");
    cfg->vram_tiers_gb[cfg->n_vram_tiers++] = it->valuedouble;
  }
  return 0;
}

static int parse_critical(ctx *c, const cJSON *root, qa_config *cfg) {
  static const char *const keys[] = {"label", "predicted", "max", NULL};
  char key[64];
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "critical_errors");
  if (!arr) return 0;
  if (!cJSON_IsArray(arr))
    return fail(c, "critical_errors", "expected an array, found %s", type_name(arr));
  cfg->critical = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *cfg->critical);
  if (!cfg->critical)
    return qa_error_set(c->err, QA_EXIT_IO, c->file, "critical_errors", "out of memory");
  for (const cJSON *it = arr->child; it; it = it->next) {
    qa_critical_cfg *e = &cfg->critical[cfg->n_critical];
    double max = 0;
    index_key(key, sizeof key, "critical_errors", cfg->n_critical++);
    if (expect_object(c, it, key) || check_keys(c, it, key, keys) ||
        get_string(c, it, key, "label", 1, &e->label) ||
        get_string(c, it, key, "predicted", 1, &e->predicted) ||
        get_number(c, it, key, "max", R_NONNEG_INT, NULL, &max))
      return -1;
    e->max = (long)max;
  }
  return 0;
}

/* Which fields each claim kind needs; "margin" etc. are optional elsewhere. */
static int check_claim(ctx *c, const char *key, const qa_claim_cfg *cl,
                       const qa_config *cfg) {
  static const char *const metrics[] = {
    "benchmark", "generation", "accuracy", "cosine_mean", "sqnr_db", "spearman_rho",
    "knn_accuracy", "neighbor_overlap", "cka_linear", "effective_rank",
    "top1_agreement", "kl_mean", "kld_mean", "kld_p99", "same_top", "ppl_ratio",
    "ln_ppl_ratio", NULL};
  char sub[300];
  const char *k = cl->kind;
  int known_metric = 0;
  if (cl->metric)
    for (const char *const *m = metrics; *m; m++)
      if (strcmp(*m, cl->metric) == 0) known_metric = 1;
  if (cl->metric && !known_metric) {
    join_key(sub, sizeof sub, key, "metric");
    return fail(c, sub, "unknown metric \"%s\"", cl->metric);
  }
  if (strcmp(k, "tier_at_most") == 0) {
    join_key(sub, sizeof sub, key, "tier");
    if (!cl->tier) return fail(c, sub, "missing (required for tier_at_most)");
    int found = strcmp(cl->tier, "unacceptable") == 0;
    for (size_t i = 0; i < cfg->n_tiers; i++)
      if (strcmp(cfg->tiers[i].name, cl->tier) == 0) found = 1;
    if (!found) return fail(c, sub, "\"%s\" is not a configured tier", cl->tier);
  } else if (strcmp(k, "equivalent") == 0 || strcmp(k, "worse_than_baseline") == 0) {
    join_key(sub, sizeof sub, key, "metric");
    if (!cl->metric) return fail(c, sub, "missing (required for %s)", k);
    if (strcmp(cl->metric, "benchmark") != 0 &&
        (strcmp(k, "worse_than_baseline") == 0 || strcmp(cl->metric, "generation") != 0))
      return fail(c, sub, "%s supports %s, not \"%s\"", k,
                  strcmp(k, "equivalent") == 0 ? "\"benchmark\" or \"generation\""
                                               : "\"benchmark\"", cl->metric);
  } else if (strcmp(k, "metric_at_least") == 0 || strcmp(k, "metric_at_most") == 0) {
    join_key(sub, sizeof sub, key, cl->metric ? "value" : "metric");
    if (!cl->metric) return fail(c, sub, "missing (required for %s)", k);
    if (strcmp(cl->metric, "generation") == 0)
      return fail(c, sub, "%s does not support \"generation\"", k);
    if (!cl->has_value) return fail(c, sub, "missing (required for %s)", k);
  } else if (strcmp(k, "critical_errors_at_most") == 0) {
    join_key(sub, sizeof sub, key, "max");
    if (!cl->has_max) return fail(c, sub, "missing (required for %s)", k);
  } else {
    join_key(sub, sizeof sub, key, "kind");
    return fail(c, sub, "unknown claim kind \"%s\" (expected tier_at_most, equivalent, "
                "worse_than_baseline, metric_at_least, metric_at_most or "
                "critical_errors_at_most)", k);
  }
  return 0;
}

static int parse_claims(ctx *c, const cJSON *root, qa_config *cfg) {
  static const char *const keys[] = {"id", "text", "kind", "variant", "model", "tier",
                                     "metric", "margin", "min_drop", "value", "max",
                                     NULL};
  char key[64];
  const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "claims");
  if (!arr) return 0;
  if (!cJSON_IsArray(arr))
    return fail(c, "claims", "expected an array, found %s", type_name(arr));
  cfg->claims = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *cfg->claims);
  if (!cfg->claims) return qa_error_set(c->err, QA_EXIT_IO, c->file, "claims", "out of memory");
  for (const cJSON *it = arr->child; it; it = it->next) {
    qa_claim_cfg *cl = &cfg->claims[cfg->n_claims];
    double max = 0;
    index_key(key, sizeof key, "claims", cfg->n_claims++);
    if (expect_object(c, it, key) || check_keys(c, it, key, keys) ||
        get_string(c, it, key, "id", 1, &cl->id) ||
        get_text(c, it, key, "text", 1, &cl->text) ||
        get_string(c, it, key, "kind", 1, &cl->kind) ||
        get_string(c, it, key, "variant", 1, &cl->variant) ||
        get_string(c, it, key, "model", 0, &cl->model) ||
        get_string(c, it, key, "tier", 0, &cl->tier) ||
        get_string(c, it, key, "metric", 0, &cl->metric) ||
        get_number(c, it, key, "margin", R_POSITIVE, &cl->has_margin, &cl->margin) ||
        get_number(c, it, key, "min_drop", R_ANY, &cl->has_min_drop, &cl->min_drop) ||
        get_number(c, it, key, "value", R_ANY, &cl->has_value, &cl->value) ||
        get_number(c, it, key, "max", R_NONNEG_INT, &cl->has_max, &max))
      return -1;
    cl->max = (long)max;
    if (check_claim(c, key, cl, cfg)) return -1;
    for (size_t j = 0; j + 1 < cfg->n_claims; j++)
      if (strcmp(cfg->claims[j].id, cl->id) == 0) {
        char sub[80];
        join_key(sub, sizeof sub, key, "id");
        return fail(c, sub, "duplicate claim id \"%s\"", cl->id);
      }
  }
  return 0;
}

static int parse_disclosure(ctx *c, const cJSON *root, qa_config *cfg) {
  /* The checklist's fields, then "caveats": what the data cannot show
  ** (e.g. simulated parts), printed as a caveat of the report. */
  static const char *const keys[QA_N_DISCLOSURE + 2] = {
    "task", "model", "metric", "baseline", "calibration", "test_set", "strata", "caveats",
    NULL};
  const cJSON *obj = cJSON_GetObjectItemCaseSensitive(root, "disclosure");
  if (!obj) return 0;
  if (expect_object(c, obj, "disclosure") || check_keys(c, obj, "disclosure", keys) ||
      get_text(c, obj, "disclosure", "caveats", 0, &cfg->caveats))
    return -1;
  for (size_t i = 0; i < QA_N_DISCLOSURE; i++) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, keys[i]);
    if (it && cJSON_IsNull(it)) continue;     /* explicit null: not declared */
    if (get_text(c, obj, "disclosure", keys[i], 0, &cfg->disclosure[i])) return -1;
    if (cfg->disclosure[i] && !*cfg->disclosure[i]) {   /* "" is not a declaration */
      free(cfg->disclosure[i]);
      cfg->disclosure[i] = NULL;
    }
  }
  return 0;
}

/* The defaults of INTERFACE.md section 3 ("the values shown above"). */
static int set_defaults(qa_config *cfg) {
  static const char *const keys[] = {"bertscore", "coherence", "rouge_l"};
  static const qa_tier_cfg tiers[] = {
    {"negligible", 3, 3, HUGE_VAL}, {"acceptable", 5, 8, HUGE_VAL}, {"concerning", 10, 15, 0.1}};
  static const double vram[] = {2, 4, 6, 8};
  cfg->alpha = 0.05;
  cfg->power = 0.80;
  cfg->knn_k = 5;
  cfg->ece_bins = 15;
  cfg->n_overlap_ks = 4;
  cfg->overlap_ks[0] = 1;
  cfg->overlap_ks[1] = 5;
  cfg->overlap_ks[2] = 10;
  cfg->overlap_ks[3] = 50;
  cfg->probe_ridge = 0.01;
  cfg->worst_samples = 10;
  cfg->tost_margin_pp = 3.0;
  cfg->tost_margin_pct = 3.0;
  cfg->n_tost_margins_pp = cfg->n_tost_margins_pct = 2;
  cfg->tost_margins_pp[0] = cfg->tost_margins_pct[0] = 3.0;
  cfg->tost_margins_pp[1] = cfg->tost_margins_pct[1] = 5.0;
  cfg->memory_unit = "GB";
  cfg->memory_unit_bytes = 1e9;
  cfg->pairs_max = 5000000;
  cfg->usd_per_hour = 0.035;
  cfg->vram_overhead = 1.1;
  cfg->layer = dup_str("final");
  cfg->title = dup_str("Quantization audit");
  cfg->key_metrics = calloc(3, sizeof *cfg->key_metrics);
  cfg->tiers = calloc(3, sizeof *cfg->tiers);
  cfg->vram_tiers_gb = calloc(4, sizeof *cfg->vram_tiers_gb);
  if (!cfg->layer || !cfg->title || !cfg->key_metrics || !cfg->tiers ||
      !cfg->vram_tiers_gb)
    return -1;
  for (size_t i = 0; i < 3; i++) {
    cfg->key_metrics[i] = dup_str(keys[i]);
    cfg->tiers[i] = tiers[i];
    cfg->tiers[i].name = dup_str(tiers[i].name);
  }
  cfg->n_key_metrics = 3;
  cfg->n_tiers = 3;
  memcpy(cfg->vram_tiers_gb, vram, sizeof vram);
  cfg->n_vram_tiers = 4;
  return 0;
}

static int parse_root(ctx *c, const cJSON *root, qa_config *cfg) {
  static const char *const keys[] = {"title", "subtitle", "author", "disclosure",
                                     "layer", "models", "analysis", "tiers", "deploy",
                                     "critical_errors", "claims", "template", NULL};
  if (!cJSON_IsObject(root))
    return fail(c, NULL, "expected a JSON object at the top level");
  if (check_keys(c, root, "", keys)) return -1;
  if (get_text(c, root, "", "title", 0, &cfg->title) ||
      get_text(c, root, "", "subtitle", 0, &cfg->subtitle) ||
      get_text(c, root, "", "author", 0, &cfg->author) ||
      get_string(c, root, "", "layer", 0, &cfg->layer) ||
      get_text(c, root, "", "template", 0, &cfg->template_dir))
    return -1;
  if (cfg->template_dir && !cfg->template_dir[0])
    return fail(c, "template", "expected the path of a template folder, found \"\"");
  /* Tiers before claims: a claim's tier must name a configured tier. */
  return parse_disclosure(c, root, cfg) || parse_models(c, root, cfg) ||
         parse_analysis(c, root, cfg) || parse_tiers(c, root, cfg) ||
         parse_deploy(c, root, cfg) || parse_critical(c, root, cfg) ||
         parse_claims(c, root, cfg) ? -1 : 0;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return dup_str(".");
  if (slash == path) return dup_str("/");
  size_t n = (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (d) { memcpy(d, path, n); d[n] = '\0'; }
  return d;
}

/* path relative to the configuration's folder (absolute paths are kept);
** NULL on allocation failure. */
static char *resolve(const qa_config *cfg, const char *path) {
  size_t n = strlen(cfg->dir) + strlen(path) + 2;
  char *out = malloc(n);
  if (!out) return NULL;
  if (path[0] == '/' || strcmp(cfg->dir, ".") == 0) snprintf(out, n, "%s", path);
  else snprintf(out, n, "%s/%s", cfg->dir, path);
  return out;
}

static int resolve_paths(qa_config *cfg, qa_error *err) {
  if (cfg->template_dir) {
    char *dir = resolve(cfg, cfg->template_dir);
    if (!dir) return qa_error_set(err, QA_EXIT_IO, cfg->path, NULL, "out of memory");
    free(cfg->template_dir);
    cfg->template_dir = dir;
  }
  for (size_t m = 0; m < cfg->n_models; m++)
    for (size_t v = 0; v < cfg->models[m].n_variants; v++) {
      qa_variant_cfg *var = &cfg->models[m].variants[v];
      var->path = resolve(cfg, var->file);
      if (!var->path) return qa_error_set(err, QA_EXIT_IO, cfg->path, NULL, "out of memory");
    }
  return 0;
}

/* Line and column (1-based) of the byte at offset in text. */
static void line_col(const char *text, size_t offset, int *line, int *col) {
  *line = 1;
  *col = 1;
  for (size_t i = 0; i < offset && text[i]; i++) {
    if (text[i] == '\n') { (*line)++; *col = 1; } else (*col)++;
  }
}

int qa_config_parse(const char *text, const char *path, qa_config **out,
                    qa_error *err) {
  ctx c = {path, err};
  const char *end = NULL;
  qa_config *cfg = calloc(1, sizeof *cfg);
  cJSON *root = NULL;
  int rc = -1;
  *out = NULL;
  if (!cfg || set_defaults(cfg)) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
    goto done;
  }
  cfg->path = dup_str(path);
  cfg->dir = dir_of(path);
  cfg->source_text = dup_str(text);
  root = cJSON_ParseWithOpts(text, &end, 1);
  if (!root) {
    int line, col;
    line_col(text, end ? (size_t)(end - text) : 0, &line, &col);
    qa_error_set(err, QA_EXIT_USAGE, path, NULL,
                 "invalid JSON at line %d, column %d", line, col);
    goto done;
  }
  if (parse_root(&c, root, cfg) || resolve_paths(cfg, err)) goto done;
  if (!cfg->layer[0]) {
    fail(&c, "layer", "expected a non-empty layer name");
    goto done;
  }
  *out = cfg;
  cfg = NULL;
  rc = 0;
done:
  cJSON_Delete(root);
  qa_config_free(cfg);
  return rc;
}

int qa_config_load(const char *path, qa_config **out, qa_error *err) {
  FILE *f = NULL;
  mode_t mode = 0;
  char *text = NULL;
  int rc = -1;
  *out = NULL;
  /* Opened so that a FIFO cannot block and /dev/zero is never read. */
  int opened = qa_infile_open(path, &f, &mode);
  if (opened > 0)
    return qa_error_set(err, QA_EXIT_USAGE, path, NULL,
                        "not a regular file (%s); expected a JSON configuration file",
                        qa_infile_kind(mode));
  if (opened < 0)
    return qa_error_set(err, errno == ENOENT ? QA_EXIT_USAGE : QA_EXIT_IO, path, NULL,
                        "cannot open configuration: %s", strerror(errno));
  text = malloc(MAX_CONFIG_BYTES + 1);
  if (!text) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
    goto done;
  }
  size_t n = fread(text, 1, MAX_CONFIG_BYTES + 1, f);
  if (ferror(f)) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "read error: %s", strerror(errno));
    goto done;
  }
  if (n > MAX_CONFIG_BYTES) {
    qa_error_set(err, QA_EXIT_USAGE, path, NULL, "configuration larger than %u bytes",
                 MAX_CONFIG_BYTES);
    goto done;
  }
  text[n] = '\0';
  if (strlen(text) != n) {
    qa_error_set(err, QA_EXIT_USAGE, path, NULL, "configuration contains a NUL byte");
    goto done;
  }
  rc = qa_config_parse(text, path, out, err);
done:
  free(text);
  fclose(f);
  return rc;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

void qa_config_free(qa_config *cfg) {
  if (!cfg) return;
  for (size_t m = 0; m < cfg->n_models; m++) {
    qa_model_cfg *mod = &cfg->models[m];
    for (size_t v = 0; v < mod->n_variants; v++) {
      free(mod->variants[v].name);
      free(mod->variants[v].file);
      free(mod->variants[v].path);
    }
    free(mod->variants);
    free(mod->name);
    free(mod->baseline);
  }
  free(cfg->models);
  for (size_t i = 0; i < cfg->n_tiers; i++) free(cfg->tiers[i].name);
  free(cfg->tiers);
  for (size_t i = 0; i < cfg->n_critical; i++) {
    free(cfg->critical[i].label);
    free(cfg->critical[i].predicted);
  }
  free(cfg->critical);
  for (size_t i = 0; i < cfg->n_claims; i++) {
    qa_claim_cfg *cl = &cfg->claims[i];
    free(cl->id); free(cl->text); free(cl->kind); free(cl->variant);
    free(cl->model); free(cl->tier); free(cl->metric);
  }
  free(cfg->claims);
  for (size_t i = 0; i < QA_N_DISCLOSURE; i++) free(cfg->disclosure[i]);
  free(cfg->caveats);
  free_strings(cfg->key_metrics, cfg->n_key_metrics);
  free(cfg->vram_tiers_gb);
  free(cfg->title); free(cfg->subtitle); free(cfg->author); free(cfg->layer);
  free(cfg->path); free(cfg->dir); free(cfg->source_text); free(cfg->template_dir);
  free(cfg);
}

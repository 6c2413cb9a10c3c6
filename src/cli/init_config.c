/*
** The configuration `qaudit init` writes (docs/init.md): built as a cJSON
** tree from the grouped caches, then printed in the layout of the shipped
** examples (a container on one line when it fits in 100 columns).
**
** Everything written must load with input/config.c and pass the study's
** reference checks as it stands: the claims name configured variants and
** tiers, the critical error names classes of every model with labels.
** The disclosure fields are "TODO: ..." strings for the author to replace.
*/
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/init_internal.h"

/* Classes listed in a disclosure hint at most. */
#define HINT_NAMES 8
#define LINE_WIDTH 100

/* ---- a growable text buffer -------------------------------------------- */

typedef struct text_buf { char *p; size_t n, cap; int oom; } text_buf;

static void put(text_buf *b, const char *s, size_t len) {
  if (b->oom) return;
  if (b->n + len + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + len + 1) cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) { b->oom = 1; return; }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->n, s, len);
  b->n += len;
  b->p[b->n] = '\0';
}

static void puts_(text_buf *b, const char *s) { put(b, s, strlen(s)); }

static void printf_(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void printf_(text_buf *b, const char *fmt, ...) {
  char small[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) { b->oom = 1; return; }
  if ((size_t)n < sizeof small) { put(b, small, (size_t)n); return; }
  char *big = malloc((size_t)n + 1);
  if (!big) { b->oom = 1; return; }
  va_start(ap, fmt);
  vsnprintf(big, (size_t)n + 1, fmt, ap);
  va_end(ap);
  put(b, big, (size_t)n);
  free(big);
}

/* ---- printing ---------------------------------------------------------- */

/* A JSON string (RFC 8259 section 7): quotes, backslashes and control
** characters escaped; UTF-8 (checked by the cache reader) passes as is. */
static void put_string(text_buf *b, const char *s) {
  puts_(b, "\"");
  for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
    if (*c == '"') puts_(b, "\\\"");
    else if (*c == '\\') puts_(b, "\\\\");
    else if (*c == '\n') puts_(b, "\\n");
    else if (*c == '\t') puts_(b, "\\t");
    else if (*c < 0x20) printf_(b, "\\u%04x", *c);
    else put(b, (const char *)c, 1);
  }
  puts_(b, "\"");
}

static void put_value(text_buf *b, const cJSON *v, size_t indent, int allow_inline);

static void put_scalar(text_buf *b, const cJSON *v) {
  if (cJSON_IsString(v)) { put_string(b, v->valuestring); return; }
  char *s = cJSON_PrintUnformatted(v);
  if (!s) { b->oom = 1; return; }
  puts_(b, s);
  free(s);
}

static void put_inline(text_buf *b, const cJSON *v) {
  if (!cJSON_IsObject(v) && !cJSON_IsArray(v)) { put_scalar(b, v); return; }
  int obj = cJSON_IsObject(v);
  if (!v->child) { puts_(b, obj ? "{}" : "[]"); return; }
  puts_(b, obj ? "{ " : "[");
  for (const cJSON *c = v->child; c; c = c->next) {
    if (obj) { put_string(b, c->string); puts_(b, ": "); }
    put_inline(b, c);
    if (c->next) puts_(b, ", ");
  }
  puts_(b, obj ? " }" : "]");
}

/* Width of v printed on one line. */
static size_t inline_width(const cJSON *v) {
  text_buf t = {0};
  put_inline(&t, v);
  size_t n = t.oom ? (size_t)-1 : t.n;
  free(t.p);
  return n;
}

static void put_indent(text_buf *b, size_t n) {
  for (size_t i = 0; i < n; i++) puts_(b, " ");
}

/* v at column `indent`, after `used` columns already on the line. */
static void put_value_at(text_buf *b, const cJSON *v, size_t indent, size_t used) {
  int container = cJSON_IsObject(v) || cJSON_IsArray(v);
  put_value(b, v, indent, container && used + inline_width(v) <= LINE_WIDTH);
}

static void put_value(text_buf *b, const cJSON *v, size_t indent, int allow_inline) {
  int obj = cJSON_IsObject(v);
  if ((!obj && !cJSON_IsArray(v)) || allow_inline || !v->child) { put_inline(b, v); return; }
  puts_(b, obj ? "{\n" : "[\n");
  for (const cJSON *c = v->child; c; c = c->next) {
    put_indent(b, indent + 2);
    size_t used = indent + 2;
    if (obj) {
      put_string(b, c->string);
      puts_(b, ": ");
      used += strlen(c->string) + 4;
    }
    put_value_at(b, c, indent + 2, used + 1);
    puts_(b, c->next ? ",\n" : "\n");
  }
  put_indent(b, indent);
  puts_(b, obj ? "}" : "]");
}

/* ---- what the caches say ----------------------------------------------- */

/* C of a cache as the study counts it (docs/cache-format.md "Number of
** classes"): its names, else the logits' columns, else the largest label
** or prediction plus one. */
static size_t classes_of(const qa_cache *c) {
  if (c->n_label_names) return c->n_label_names;
  if (c->logits) return c->n_classes;
  int32_t top = -1;
  for (size_t i = 0; i < c->n_samples; i++) {
    if (c->labels && c->labels[i] > top) top = c->labels[i];
    if (c->prediction && c->prediction[i] > top) top = c->prediction[i];
  }
  return (size_t)(top + 1);
}

static void class_name(const qa_cache *c, size_t k, char *buf, size_t cap) {
  if (k < c->n_label_names) snprintf(buf, cap, "%s", c->label_names[k]);
  else snprintf(buf, cap, "%zu", k);
}

/* 1 when the study would find the class `name` in a model whose baseline
** is base (study.c qa_study_class_index). */
static int has_class(const qa_cache *base, const char *name) {
  for (size_t i = 0; i < base->n_label_names; i++)
    if (strcmp(base->label_names[i], name) == 0) return 1;
  if (base->n_label_names) return 0;
  char *end = NULL;
  long l = strtol(name, &end, 10);
  return *name && !*end && l >= 0 && (size_t)l < classes_of(base);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The example critical error: the (label, predicted) pair the variant c
** gets wrong most often (ties: the smallest label, then prediction), else
** class 1 read as class 0.  -1 when c has fewer than two classes. */
static int critical_pair(const qa_cache *c, size_t *label, size_t *pred) {
  size_t n_cls = classes_of(c);
  if (n_cls < 2) return -1;
  *label = 1;
  *pred = 0;
  if (!c->labels || !c->prediction || !c->n_samples) return 0;
  int64_t *keys = malloc(c->n_samples * sizeof *keys);
  if (!keys) return 0;
  size_t n = 0, best = 0;
  for (size_t i = 0; i < c->n_samples; i++)
    if (c->labels[i] != c->prediction[i])
      keys[n++] = (int64_t)c->labels[i] * (int64_t)n_cls + c->prediction[i];
  qsort(keys, n, sizeof *keys, cmp_i64);
  for (size_t i = 0, j; i < n; i = j) {
    for (j = i; j < n && keys[j] == keys[i]; j++) {}
    if (j - i > best) {
      best = j - i;
      *label = (size_t)(keys[i] / (int64_t)n_cls);
      *pred = (size_t)(keys[i] % (int64_t)n_cls);
    }
  }
  free(keys);
  return 0;
}

/* ---- the sections ------------------------------------------------------ */

static void add_names(text_buf *b, const init_study *s) {
  for (size_t m = 0; m < s->n_models; m++)
    printf_(b, "%s%s", m ? ", " : "", s->models[m].name);
}

static char *disclosure_text(const init_study *s, const char *field) {
  text_buf b = {0};
  const init_model *m0 = &s->models[0];
  if (!strcmp(field, "task")) {
    puts_(&b, "TODO: what the model does, on which data (e.g. 10-class image classification)");
  } else if (!strcmp(field, "model")) {
    puts_(&b, "TODO: architecture and size of ");
    add_names(&b, s);
  } else if (!strcmp(field, "metric")) {
    puts_(&b, "TODO: the metrics that decide; the caches hold:");
    for (size_t m = 0; m < s->n_models; m++) {
      const qa_cache *c = s->models[m].v[0]->cache;
      if (s->n_models > 1) printf_(&b, "%s %s:", m ? ";" : "", c->model);
      size_t start = b.n;
      if (c->n_layers && s->layer) printf_(&b, " hidden layer %s,", s->layer);
      if (c->logits || c->prediction) puts_(&b, " output predictions,");
      for (size_t t = 0; t < c->n_tasks; t++) printf_(&b, " task %s,", c->tasks[t].name);
      if (c->n_tokens) puts_(&b, " next-token logits,");
      if (c->n_decode || c->n_ttft) puts_(&b, " timings,");
      if (b.n == start) puts_(&b, " nothing qaudit analyses");
      else if (!b.oom) b.p[--b.n] = '\0';     /* the last comma */
    }
  } else if (!strcmp(field, "baseline")) {
    puts_(&b, "TODO: describe the baseline; qaudit init chose the highest precision:");
    for (size_t m = 0; m < s->n_models; m++) {
      const qa_cache *c = s->models[m].v[0]->cache;
      printf_(&b, "%s %s of %s", m ? "," : "", c->variant, c->model);
      if (c->has_bits_per_weight) printf_(&b, " (%g bits per weight)", c->bits_per_weight);
    }
  } else if (!strcmp(field, "calibration")) {
    puts_(&b, "TODO: calibration data and method of each quantized variant");
    int any = 0;
    for (size_t m = 0; m < s->n_models; m++)
    for (size_t i = 0; i < s->models[m].n; i++) {
      const qa_cache *c = s->models[m].v[i]->cache;
      if (!c->calibration && !c->quant_scheme) continue;
      printf_(&b, "%s %s: %s%s%s", any++ ? ";" : "; the caches say:", c->variant,
              c->quant_scheme ? c->quant_scheme : "", c->quant_scheme && c->calibration ? ", " : "",
              c->calibration ? c->calibration : "");
    }
  } else if (!strcmp(field, "test_set")) {
    puts_(&b, "TODO: the evaluation data: source, split, size");
    for (size_t m = 0; m < s->n_models; m++) {
      const qa_cache *c = s->models[m].v[0]->cache;
      const char *sep = "; ";
      if (s->n_models > 1) { printf_(&b, "; %s:", c->model); sep = " "; }
      if (c->n_samples) { printf_(&b, "%s%zu samples", sep, c->n_samples); sep = ", "; }
      for (size_t t = 0; t < c->n_tasks; t++) {
        printf_(&b, "%s%zu items of %s", sep, c->tasks[t].n_items, c->tasks[t].name);
        sep = ", ";
      }
      if (c->n_tokens) printf_(&b, "%s%zu token positions", sep, c->n_tokens);
    }
  } else {
    const qa_cache *c = m0->v[0]->cache;
    puts_(&b, "TODO: the subgroups reported");
    if (c->labels) {
      size_t n = classes_of(c);
      printf_(&b, "; %zu classes (", n);
      for (size_t k = 0; k < n && k < HINT_NAMES; k++) {
        char name[64];
        class_name(c, k, name, sizeof name);
        printf_(&b, "%s%s", k ? ", " : "", name);
      }
      puts_(&b, n > HINT_NAMES ? ", ...)" : ")");
    }
    if (c->n_slice_names) printf_(&b, "; %zu token slices", c->n_slice_names);
  }
  if (b.oom) { free(b.p); return NULL; }
  return b.p;
}

static int add_disclosure(cJSON *root, const init_study *s) {
  static const char *const fields[] = {"task", "model", "metric", "baseline", "calibration",
                                       "test_set", "strata"};
  cJSON *d = cJSON_AddObjectToObject(root, "disclosure");
  if (!d) return -1;
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
    char *text = disclosure_text(s, fields[i]);
    int ok = text && cJSON_AddStringToObject(d, fields[i], text);
    free(text);
    if (!ok) return -1;
  }
  return 0;
}

static int add_models(cJSON *root, const init_study *s) {
  cJSON *models = cJSON_AddArrayToObject(root, "models");
  if (!models) return -1;
  for (size_t m = 0; m < s->n_models; m++) {
    const init_model *mod = &s->models[m];
    cJSON *o = cJSON_CreateObject(), *vars;
    if (!o || !cJSON_AddItemToArray(models, o) || !cJSON_AddStringToObject(o, "name", mod->name) ||
        !cJSON_AddStringToObject(o, "baseline", mod->v[0]->cache->variant) ||
        !(vars = cJSON_AddArrayToObject(o, "variants")))
      return -1;
    for (size_t i = 0; i < mod->n; i++) {
      cJSON *v = cJSON_CreateObject();
      if (!v || !cJSON_AddItemToArray(vars, v) ||
          !cJSON_AddStringToObject(v, "name", mod->v[i]->cache->variant) ||
          !cJSON_AddStringToObject(v, "file", mod->v[i]->file))
        return -1;
    }
  }
  return 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* analysis.key_metrics: every generation metric of the caches (sorted,
** once each); without any, the section is left to its defaults. */
static int add_analysis(cJSON *root, const init_study *s) {
  size_t n = 0, cap = 0;
  for (size_t i = 0; i < s->n_caches; i++)
    for (size_t t = 0; t < s->caches[i].cache->n_tasks; t++)
      cap += s->caches[i].cache->tasks[t].n_metrics;
  if (!cap) return 0;
  const char **names = malloc(cap * sizeof *names);
  if (!names) return -1;
  for (size_t i = 0; i < s->n_caches; i++)
    for (size_t t = 0; t < s->caches[i].cache->n_tasks; t++)
      for (size_t k = 0; k < s->caches[i].cache->tasks[t].n_metrics; k++)
        names[n++] = s->caches[i].cache->tasks[t].metric_names[k];
  qsort(names, n, sizeof *names, cmp_str);
  cJSON *a = cJSON_AddObjectToObject(root, "analysis"), *km = NULL;
  int rc = a && (km = cJSON_AddArrayToObject(a, "key_metrics")) ? 0 : -1;
  for (size_t i = 0; !rc && i < n; i++) {
    if (i && strcmp(names[i], names[i - 1]) == 0) continue;
    cJSON *str = cJSON_CreateString(names[i]);
    if (!str || !cJSON_AddItemToArray(km, str)) rc = -1;
  }
  free(names);
  return rc;
}

/* The default tiers and deployment settings (INTERFACE.md section 3),
** written out so that they can be edited. */
static int add_defaults(cJSON *root) {
  static const char *const text =
      "{ \"tiers\": ["
      "{ \"name\": \"negligible\", \"max_drop_pp\": 3, \"max_drop_pct\": 3 },"
      "{ \"name\": \"acceptable\", \"max_drop_pp\": 5, \"max_drop_pct\": 8 },"
      "{ \"name\": \"concerning\", \"max_drop_pp\": 10, \"max_drop_pct\": 15, \"max_kld\": 0.1 }],"
      "\"deploy\": { \"vram_tiers_gb\": [2, 4, 6, 8], \"usd_per_hour\": 0.035,"
      "\"vram_overhead\": 1.1 } }";
  cJSON *d = cJSON_Parse(text);
  if (!d) return -1;
  cJSON *tiers = cJSON_DetachItemFromObject(d, "tiers");
  cJSON *deploy = cJSON_DetachItemFromObject(d, "deploy");
  cJSON_Delete(d);
  int ok = tiers && deploy && cJSON_AddItemToObject(root, "tiers", tiers);
  if (!ok) { cJSON_Delete(tiers); cJSON_Delete(deploy); return -1; }
  if (!cJSON_AddItemToObject(root, "deploy", deploy)) { cJSON_Delete(deploy); return -1; }
  return 0;
}

static cJSON *claim(cJSON *claims, const char *id, const char *text, const char *kind,
                    const init_model *mod, const char *variant) {
  cJSON *c = cJSON_CreateObject();
  if (!c || !cJSON_AddItemToArray(claims, c) || !cJSON_AddStringToObject(c, "id", id) ||
      !cJSON_AddStringToObject(c, "text", text) || !cJSON_AddStringToObject(c, "kind", kind) ||
      !cJSON_AddStringToObject(c, "variant", variant) ||
      !cJSON_AddStringToObject(c, "model", mod->name))
    return NULL;
  return c;
}

/* One example claim (the lowest precision of the first model within the
** acceptable tier) and, when the caches have labels, a critical error with
** its claim. */
static int add_examples(cJSON *root, const init_study *s) {
  const init_model *m0 = &s->models[0];
  const char *lowest = m0->v[m0->n - 1]->cache->variant;
  char text[2 * 1024 + 4200];
  cJSON *claims = cJSON_CreateArray();
  if (!claims) return -1;
  snprintf(text, sizeof text, "TODO: state what the study shows; example: %s stays within "
           "the acceptable tier", lowest);
  cJSON *c = claim(claims, "C1", text, "tier_at_most", m0, lowest);
  if (!c || !cJSON_AddStringToObject(c, "tier", "acceptable")) goto fail;
  /* The first model whose baseline has labels (the study checks
  ** critical errors against those models only). */
  const init_model *lab = NULL;
  for (size_t m = 0; m < s->n_models && !lab; m++)
    if (s->models[m].v[0]->cache->labels) lab = &s->models[m];
  size_t label, pred;
  const qa_cache *probe = NULL;
  if (lab) {
    /* The lowest precision with labels and predictions of its own. */
    for (size_t i = lab->n; i-- > 0 && !probe;)
      if (lab->v[i]->cache->labels && lab->v[i]->cache->prediction) probe = lab->v[i]->cache;
    if (!probe) probe = lab->v[0]->cache;
  }
  if (probe && critical_pair(probe, &label, &pred) == 0) {
    const qa_cache *base = lab->v[0]->cache;
    char lname[1100], pname[1100];
    class_name(base, label, lname, sizeof lname);
    class_name(base, pred, pname, sizeof pname);
    int everywhere = 1;
    for (size_t m = 0; m < s->n_models; m++) {
      const qa_cache *b = s->models[m].v[0]->cache;
      if (b->labels && (!has_class(b, lname) || !has_class(b, pname))) everywhere = 0;
    }
    if (everywhere) {
      cJSON *crit = cJSON_AddArrayToObject(root, "critical_errors"), *e = cJSON_CreateObject();
      if (!crit || !e || !cJSON_AddItemToArray(crit, e) ||
          !cJSON_AddStringToObject(e, "label", lname) ||
          !cJSON_AddStringToObject(e, "predicted", pname) || !cJSON_AddNumberToObject(e, "max", 0))
        goto fail;
      snprintf(text, sizeof text, "TODO: name the errors that must not happen; example: %s "
               "never reads %s as %s", probe->variant, lname, pname);
      c = claim(claims, "C2", text, "critical_errors_at_most", lab, probe->variant);
      if (!c || !cJSON_AddNumberToObject(c, "max", 0)) goto fail;
    }
  }
  if (!cJSON_AddItemToObject(root, "claims", claims)) goto fail;
  return 0;
fail:
  cJSON_Delete(claims);
  return -1;
}

int qa_init_config_text(const init_study *s, char **out, qa_error *err) {
  *out = NULL;
  cJSON *root = cJSON_CreateObject();
  text_buf title = {0}, sub = {0}, b = {0};
  int rc = -1;
  if (!root) goto done;
  puts_(&title, "Quantization audit: ");
  add_names(&title, s);
  if (s->n_models == 1) {
    const init_model *m = &s->models[0];
    printf_(&sub, "%s", m->v[0]->cache->variant);
    for (size_t i = 1; i < m->n; i++)
      printf_(&sub, "%s%s", i == 1 ? " vs " : " / ", m->v[i]->cache->variant);
  } else {
    printf_(&sub, "%zu models, %zu variants", s->n_models, s->n_caches);
  }
  if (title.oom || sub.oom || !cJSON_AddStringToObject(root, "title", title.p) ||
      !cJSON_AddStringToObject(root, "subtitle", sub.p) ||
      !cJSON_AddStringToObject(root, "author", "TODO: author or team") ||
      add_disclosure(root, s) ||
      (s->layer && !cJSON_AddStringToObject(root, "layer", s->layer)) || add_models(root, s) ||
      add_analysis(root, s) || add_defaults(root) || add_examples(root, s))
    goto done;
  put_value(&b, root, 0, 0);
  puts_(&b, "\n");
  if (b.oom) goto done;
  *out = b.p;
  b.p = NULL;
  rc = 0;
done:
  cJSON_Delete(root);
  free(title.p);
  free(sub.p);
  free(b.p);
  if (rc) qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory writing the configuration");
  return rc;
}

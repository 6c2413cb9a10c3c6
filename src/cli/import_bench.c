/*
** llama-bench's JSON output (`llama-bench -o json`, or `-o jsonl`) read
** into a cache's decode throughput and attributes
** (docs/import-llama-bench.md).
**
** The format, as read in ggml-org/llama.cpp tools/llama-bench/llama-bench.cpp
** (commit 0104b15; examples/llama-bench/ in older trees): an array of test
** objects, one per test (pp512, tg128, pp512+tg128, each at a depth), with
** the build, the machine (cpu_info, gpu_info, backends), the model
** (model_filename, model_type, model_size in bytes, model_n_params), the
** test (n_prompt, n_gen, n_depth, n_threads, ...) and its repetitions:
** samples_ns (nanoseconds each) and samples_ts, the tokens per second of
** each repetition, 1e9 * (n_prompt + n_gen) / ns.  `-o jsonl` writes the
** same objects one a line.
**
** Only decode tests (n_prompt 0, n_gen > 0: "tg128") measure what
** /perf/decode_tok_s holds; their repetitions become its samples.  This
** file parses and checks; it never touches HDF5 and never prints.
*/
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import_internal.h"
#include "input/cache.h"

/* "[3].n_gen" */
static const char *key_at(char *buf, size_t cap, size_t i, const char *key) {
  snprintf(buf, cap, "[%zu]%s%s", i, key ? "." : "", key ? key : "");
  return buf;
}

/* A neighbour's file, said by what it is. */
static int foreign_object(const char *path, const cJSON *root, qa_error *err) {
  if (cJSON_GetObjectItemCaseSensitive(root, "results"))
    return qa_error_set(err, QA_EXIT_DATA, path, "results",
                        "an lm-eval results file, not llama-bench output; expected the array "
                        "that llama-bench -o json prints");
  if (cJSON_GetObjectItemCaseSensitive(root, "doc_id"))
    return qa_error_set(err, QA_EXIT_DATA, path, "doc_id",
                        "an lm-eval sample log, not llama-bench output; import it with qaudit "
                        "import lm-eval");
  return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                      "a JSON object; expected the array of tests that llama-bench -o json "
                      "prints");
}

/* llama-bench -o jsonl: one test object a line, gathered into an array. */
static cJSON *parse_lines(const char *path, const char *text, size_t len, qa_error *err) {
  cJSON *all = cJSON_CreateArray();
  size_t line = 0, at = 0, n = 0;
  const char *start = NULL;
  while (all && qa_import_next_line(text, len, &at, &line, &start, &n)) {
    const char *end = NULL;
    cJSON *t = cJSON_ParseWithLengthOpts(start, n, &end, 0);
    if (!t || !cJSON_IsObject(t)) {
      char where[32];
      snprintf(where, sizeof where, "%zu", line);
      qa_error_set(err, QA_EXIT_DATA, path, where,
                   "not valid JSON (column %zu); expected llama-bench -o json output (an array "
                   "of tests) or -o jsonl (one test a line)",
                   t ? 1 : (end && end >= start ? (size_t)(end - start) + 1 : 1));
      cJSON_Delete(t);
      cJSON_Delete(all);
      return NULL;
    }
    cJSON_AddItemToArray(all, t);
  }
  if (!all) qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  return all;
}

/* The tests: the whole text as one JSON array (-o json), else one object
** a line (-o jsonl, recognised by a first line that is a test). */
static cJSON *parse_tests(const char *path, const char *text, size_t len, qa_error *err) {
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
  if (root) {
    while (end && end < text + len && (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
      end++;
    if (end && end < text + len) {
      cJSON_Delete(root);
      /* More than one value: -o jsonl when the first is an object. */
      return parse_lines(path, text, len, err);
    }
    if (cJSON_IsArray(root)) return root;
    if (cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, "n_gen")) {
      cJSON *all = cJSON_CreateArray();
      if (all) cJSON_AddItemToArray(all, root);
      else cJSON_Delete(root);
      return all;
    }
    if (cJSON_IsObject(root)) foreign_object(path, root, err);
    else qa_error_set(err, QA_EXIT_DATA, path, NULL,
                      "not an array; expected the array of tests that llama-bench -o json prints");
    cJSON_Delete(root);
    return NULL;
  }
  size_t off = end && end >= text ? (size_t)(end - text) : 0;
  char where[32];
  snprintf(where, sizeof where, "%zu", qa_import_line_of(text, off));
  qa_error_set(err, QA_EXIT_DATA, path, where,
               "not valid JSON; expected llama-bench -o json output (an array of tests)");
  return NULL;
}

/* A number key of test i: required, finite. */
static int number(const char *path, const cJSON *t, size_t i, const char *key, double *out,
                  qa_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(t, key);
  char where[128];
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return qa_error_set(err, QA_EXIT_DATA, path, key_at(where, sizeof where, i, key),
                        "%s; expected a number (a llama-bench test has n_prompt, n_gen, "
                        "samples_ts, ...)", v ? "not a number" : "missing");
  *out = v->valuedouble;
  return 0;
}

static int selected(const cJSON *t, const char *gguf) {
  if (!gguf) return 1;
  const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "model_filename"));
  if (!f) return 0;
  const char *base = strrchr(f, '/'), *want = strrchr(gguf, '/');
  return !strcmp(f, gguf) || !strcmp(base ? base + 1 : f, want ? want + 1 : gguf);
}

/* Appends the repetitions of decode test i: samples_ts, else (builds
** before samples_ts existed) 1e9 * n_gen / samples_ns. */
static int add_samples(const char *path, const cJSON *t, size_t i, double n_gen,
                       import_cache *c, qa_error *err) {
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(t, "samples_ts");
  const cJSON *ns = cJSON_GetObjectItemCaseSensitive(t, "samples_ns");
  const cJSON *list = cJSON_IsArray(ts) ? ts : cJSON_IsArray(ns) ? ns : NULL;
  const char *key = list == ns ? "samples_ns" : "samples_ts";
  char where[128];
  if (!list || !cJSON_GetArraySize(list))
    return qa_error_set(err, QA_EXIT_DATA, path, key_at(where, sizeof where, i, "samples_ts"),
                        "%s; expected the tokens per second of each repetition",
                        list ? "empty" : "missing");
  size_t n = (size_t)cJSON_GetArraySize(list);
  double *v = realloc(c->decode_tok_s, (c->n_decode + n) * sizeof *v);
  if (!v) return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  c->decode_tok_s = v;
  size_t k = 0;
  const cJSON *s;
  cJSON_ArrayForEach(s, list) {
    if (!cJSON_IsNumber(s) || !isfinite(s->valuedouble) || !(s->valuedouble > 0)) {
      char name[64];
      snprintf(name, sizeof name, "%s[%zu]", key, k);
      return qa_error_set(err, QA_EXIT_DATA, path, key_at(where, sizeof where, i, name),
                          "not a positive number; expected %s", list == ns ?
                          "the nanoseconds of a repetition" : "a repetition's tokens per second");
    }
    v[c->n_decode++] = list == ns ? 1e9 * n_gen / s->valuedouble : s->valuedouble;
    k++;
  }
  return 0;
}

static int set_derived(char **dst, const char *value, const char *path, qa_error *err) {
  if (!value || !*value || *dst) return 0;
  if (strlen(value) > QA_CACHE_DISCLOSURE_MAX_BYTES) return 0;
  if (!(*dst = strdup(value))) return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  return 0;
}

/* Attributes from the first decode test: params, bits per weight as
** llama.cpp prints it (llama_model_loader::print_info: model bytes * 8 /
** parameters), backend, hardware, quant_scheme (model_type, e.g.
** "llama 1B Q4_K - Medium"). */
static int derive_attrs(const char *path, const cJSON *t, size_t i, import_cache *c,
                        qa_error *err) {
  import_attrs *d = &c->derived;
  const cJSON *np = cJSON_GetObjectItemCaseSensitive(t, "model_n_params");
  const cJSON *sz = cJSON_GetObjectItemCaseSensitive(t, "model_size");
  char where[128];
  if (cJSON_IsNumber(np)) {
    double p = np->valuedouble;
    if (!(p >= 1 && p <= 9.2e18 && p == floor(p)))
      return qa_error_set(err, QA_EXIT_DATA, path, key_at(where, sizeof where, i, "model_n_params"),
                          "%g; expected a positive parameter count", p);
    d->has_params = 1;
    d->params = (int64_t)p;
    if (cJSON_IsNumber(sz) && sz->valuedouble > 0) {
      double bpw = sz->valuedouble * 8.0 / p;
      if (bpw > 0 && bpw <= 64) {
        d->has_bits_per_weight = 1;
        d->bits_per_weight = bpw;
      }
    }
  }
  const char *cpu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "cpu_info"));
  const char *gpu = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "gpu_info"));
  char hw[2 * QA_CACHE_DISCLOSURE_MAX_BYTES + 8] = "";
  if (cpu && *cpu && gpu && *gpu) snprintf(hw, sizeof hw, "%s; %s", cpu, gpu);
  else snprintf(hw, sizeof hw, "%s", cpu && *cpu ? cpu : gpu ? gpu : "");
  return set_derived(&d->backend,
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "backends")), path,
                     err) ||
         set_derived(&d->hardware, hw, path, err) ||
         set_derived(&d->quant_scheme,
                     cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "model_type")),
                     path, err);
}

/* "pp512, tg128, pp512+tg128": the tests seen, for a message. */
static void test_names(const cJSON *tests, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  const cJSON *t;
  cJSON_ArrayForEach(t, tests) {
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(t, "n_prompt");
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(t, "n_gen");
    int np = cJSON_IsNumber(p) ? (int)p->valuedouble : -1;
    int ng = cJSON_IsNumber(g) ? (int)g->valuedouble : -1;
    const char *sep = used ? ", " : "";
    if (used + 24 >= cap) break;
    if (np > 0 && ng == 0)
      used += (size_t)snprintf(buf + used, cap - used, "%spp%d", sep, np);
    else if (np == 0 && ng > 0)
      used += (size_t)snprintf(buf + used, cap - used, "%stg%d", sep, ng);
    else
      used += (size_t)snprintf(buf + used, cap - used, "%spp%d+tg%d", sep, np, ng);
  }
}

static int read_tests(const char *path, const cJSON *tests, const import_bench_opts *o,
                      import_cache *c, qa_error *err) {
  size_t i = 0, n_selected = 0, first_decode = 0, n_decode_tests = 0;
  const char *model_file = NULL;
  size_t model_at = 0;
  char where[128];
  const cJSON *t;
  cJSON_ArrayForEach(t, tests) {
    if (!cJSON_IsObject(t))
      return qa_error_set(err, QA_EXIT_DATA, path, key_at(where, sizeof where, i, NULL),
                          "not an object; expected a llama-bench test");
    double np, ng;
    if (!i && !cJSON_GetObjectItemCaseSensitive(t, "n_gen") &&
        (cJSON_GetObjectItemCaseSensitive(t, "doc_id") ||
         cJSON_GetObjectItemCaseSensitive(t, "results")))
      return foreign_object(path, t, err);
    if (number(path, t, i, "n_prompt", &np, err) || number(path, t, i, "n_gen", &ng, err))
      return -1;
    if (selected(t, o->gguf)) {
      const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t, "model_filename"));
      if (f && model_file && strcmp(f, model_file) != 0)
        return qa_error_set(err, QA_EXIT_DATA, path, key_at(where, sizeof where, i,
                            "model_filename"),
                            "\"%s\" differs from \"%s\" of [%zu]; one cache holds one variant: "
                            "choose the model file with --gguf", f, model_file, model_at);
      if (f && !model_file) {
        model_file = f;
        model_at = i;
      }
      n_selected++;
      if (np == 0 && ng > 0) {
        if (!n_decode_tests++) first_decode = i;
        if (add_samples(path, t, i, ng, c, err)) return -1;
      }
    }
    i++;
  }
  if (!i)
    return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                        "no tests; expected the array of tests that llama-bench -o json prints");
  if (o->gguf && !n_selected)
    return qa_error_set(err, QA_EXIT_USAGE, path, NULL,
                        "no test has model_filename \"%s\" (--gguf)", o->gguf);
  if (!n_decode_tests) {
    char names[256];
    test_names(tests, names, sizeof names);
    return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                        "no decode test (n_prompt 0, n_gen > 0) among its %zu tests (%s); "
                        "expected a tg test: run llama-bench with -n 128 (its default)",
                        n_selected, names);
  }
  return derive_attrs(path, cJSON_GetArrayItem(tests, (int)first_decode), first_decode, c, err);
}

int qa_import_bench_file(const char *path, const import_bench_opts *o, import_cache *c,
                         qa_error *err) {
  char *text = NULL;
  size_t len = 0;
  if (qa_import_read_text(path, "llama-bench -o json output", &text, &len, err)) return -1;
  cJSON *tests = parse_tests(path, text, len, err);
  int rc = tests ? read_tests(path, tests, o, c, err) : -1;
  cJSON_Delete(tests);
  free(text);
  return rc;
}

/*
** lm-evaluation-harness per-sample logs (`lm_eval ... --log_samples`) read
** into one /eval/<task> each (docs/import-lm-eval.md).
**
** The format, as read in EleutherAI/lm-evaluation-harness 0.4.13.dev0
** (commit 4e7e0d4, lm_eval/evaluator.py and lm_eval/loggers/
** evaluation_tracker.py): one file samples_<task>_<date>.jsonl per task,
** one JSON object per line and per (document, filter), with the keys
** doc_id, doc, target, arguments, resps, filtered_resps, filter, metrics
** (the names of the metric keys), doc_hash, prompt_hash, target_hash, and
** one key per metric (acc, acc_norm, exact_match, ...).  A task with
** several filters (gsm8k: strict-match, flexible-extract) logs each
** document once per filter.
**
** This file parses and checks; it never touches HDF5 and never prints.
*/
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/import_internal.h"
#include "util/text.h"

/* ---- the task's name --------------------------------------------------- */

/* lm-eval's date_id: datetime.now().isoformat() with ':' made '-', e.g.
** 2024-05-13T15-20-12.345678 (evaluation_tracker.py). */
static int is_date_id(const char *s) {
  static const char shape[] = "dddd-dd-ddT";
  for (size_t i = 0; shape[i]; i++) {
    if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i]) return 0;
  }
  return 1;
}

/* The task of samples_<task>_<date>.jsonl, or NULL (malloc'd). */
static char *task_from_name(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  size_t n = strlen(base);
  static const char pre[] = "samples_", suf[] = ".jsonl";
  if (n <= sizeof pre - 1 + sizeof suf - 1 || strncmp(base, pre, sizeof pre - 1) != 0 ||
      strcmp(base + n - (sizeof suf - 1), suf) != 0)
    return NULL;
  const char *mid = base + sizeof pre - 1;
  size_t len = n - (sizeof pre - 1) - (sizeof suf - 1);
  /* The last "_<date>": task names hold underscores (mmlu_abstract_algebra). */
  for (size_t i = len; i-- > 0;)
    if (mid[i] == '_' && is_date_id(mid + i + 1)) {
      len = i;
      break;
    }
  if (!len) return NULL;
  char *out = malloc(len + 1);
  if (!out) return NULL;
  memcpy(out, mid, len);
  out[len] = '\0';
  return out;
}

/* A name that can be an HDF5 link under /eval (or /score). */
static int check_member_name(const char *file, const char *what, const char *name,
                             const char *fix, qa_error *err) {
  if (!*name || strchr(name, '/') || !strcmp(name, ".") || strlen(name) > QA_NAME_MAX_BYTES ||
      !qa_utf8_valid(name))
    return qa_error_set(err, QA_EXIT_USAGE, file, NULL,
                        "%s \"%s\" cannot name an HDF5 group (empty, \"/\" or \".\", over %d "
                        "bytes, or not UTF-8); %s", what, name, QA_NAME_MAX_BYTES, fix);
  return 0;
}

/* ---- foreign files ----------------------------------------------------- */

/* A file that is not a sample log: said by what it is, when it is one of
** the neighbours (lm-eval's aggregated results, llama-bench's output). */
static int foreign(const char *path, const char *text, size_t len, qa_error *err) {
  cJSON *j = cJSON_ParseWithLength(text, len);
  int rc = 0;
  if (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "results"))
    rc = qa_error_set(err, QA_EXIT_DATA, path, "results",
                      "an lm-eval results file (results_<date>.json: aggregated scores, no "
                      "per-item records); expected a per-sample log: run lm_eval with "
                      "--log_samples and import its samples_<task>_<date>.jsonl files");
  else if (cJSON_IsArray(j) &&
           cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(j, 0), "n_gen"))
    rc = qa_error_set(err, QA_EXIT_DATA, path, "[0].n_gen",
                      "llama-bench output, not an lm-eval sample log; import it with "
                      "qaudit import llama-bench");
  cJSON_Delete(j);
  return rc ? -1 : 0;
}

/* ---- one record -------------------------------------------------------- */

typedef struct reader {
  const char *path;
  const import_lmeval_opts *o;
  char metric[256];             /* the correctness key, from --metric's list */
  const char *stratum_key;      /* key of doc, or NULL: no strata */
  int stratum_default;          /* 1: doc.subject, chosen because the first record has it */
  size_t *lines;                /* [n_items]: line of each item, for duplicates */
  int array;                    /* 1: lm-eval 0.4.0-0.4.2's one JSON array; "lines" are
                                   then indices into it */
} reader;

/* Where record `line` is, for messages: its line, or [i] in an array. */
static void where_of(const reader *r, size_t line, char *buf, size_t cap) {
  snprintf(buf, cap, r->array ? "[%zu]" : "%zu", line);
}

static int grow(import_task *t, reader *r, qa_error *err) {
  if (t->n_items < t->cap) return 0;
  size_t cap = t->cap ? 2 * t->cap : 256;
  int64_t *ids = realloc(t->ids, cap * sizeof *ids);
  if (ids) t->ids = ids;
  uint8_t *cor = ids ? realloc(t->correct, cap) : NULL;
  if (cor) t->correct = cor;
  size_t *lines = cor ? realloc(r->lines, cap * sizeof *lines) : NULL;
  if (lines) r->lines = lines;
  int32_t *st = lines ? realloc(t->stratum, cap * sizeof *st) : NULL;
  if (st) t->stratum = st;
  double *sc = st ? realloc(t->score, cap * sizeof *sc) : NULL;
  if (sc) t->score = sc;
  if (!sc) return qa_error_set(err, QA_EXIT_IO, r->path, NULL, "out of memory");
  t->cap = cap;
  return 0;
}

/* The record's metric keys, for a message: its "metrics" list when it has
** one (lm-eval 0.4.3 and later), else its numeric keys. */
static void metric_keys(const cJSON *rec, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  const cJSON *list = cJSON_GetObjectItemCaseSensitive(rec, "metrics"), *m;
  if (cJSON_IsArray(list)) {
    cJSON_ArrayForEach(m, list)
      if (cJSON_IsString(m) && used + 1 < cap)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", m->valuestring);
  } else {
    cJSON_ArrayForEach(m, rec)
      if ((cJSON_IsNumber(m) || cJSON_IsBool(m)) && strcmp(m->string, "doc_id") && used + 1 < cap)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", m->string);
  }
  if (!buf[0]) snprintf(buf, cap, "none");
}

/* The correctness of one record: --metric's value, 0/1 or a boolean. */
static int read_correct(reader *r, const cJSON *rec, size_t line, uint8_t *out, qa_error *err) {
  const char *key = r->metric;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
  char where[64], keys[512];
  where_of(r, line, where, sizeof where);
  if (!v) {
    metric_keys(rec, keys, sizeof keys);
    return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                        "no key \"%s\" in the record (its metrics: %s); name the 0/1 "
                        "correctness key with --metric", r->o->metric, keys);
  }
  if (cJSON_IsBool(v)) {
    *out = cJSON_IsTrue(v) ? 1 : 0;
    return 0;
  }
  if (cJSON_IsNumber(v) && (v->valuedouble == 0.0 || v->valuedouble == 1.0)) {
    *out = v->valuedouble == 1.0;
    return 0;
  }
  char shown[64];
  if (cJSON_IsNumber(v)) snprintf(shown, sizeof shown, "%.17g", v->valuedouble);
  else snprintf(shown, sizeof shown, "%s", cJSON_IsString(v) ? "a string" : cJSON_IsArray(v) ?
                "an array" : cJSON_IsObject(v) ? "an object" : "null");
  return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                      "%s is %s; expected 0 or 1 (or true/false): --metric names per-item "
                      "correctness; a continuous value goes in with --score", key, shown);
}

static int read_score(reader *r, const cJSON *rec, size_t line, double *out, qa_error *err) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, r->o->score);
  char where[64];
  where_of(r, line, where, sizeof where);
  if (cJSON_IsBool(v)) {
    *out = cJSON_IsTrue(v);
    return 0;
  }
  if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
    *out = v->valuedouble;
    return 0;
  }
  return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                      v ? "%s is not a finite number; expected a per-item score (--score)"
                        : "no key \"%s\" in the record; expected a per-item score (--score)",
                      r->o->score);
}

/* The index of a stratum name, added when new. */
static int stratum_index(import_task *t, const char *name, const char *path, int32_t *out,
                         qa_error *err) {
  for (size_t s = 0; s < t->n_strata; s++)
    if (!strcmp(t->stratum_names[s], name)) {
      *out = (int32_t)s;
      return 0;
    }
  if (t->n_strata == t->cap_strata) {
    size_t cap = t->cap_strata ? 2 * t->cap_strata : 16;
    char **v = realloc(t->stratum_names, cap * sizeof *v);
    if (!v) return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
    t->stratum_names = v;
    t->cap_strata = cap;
  }
  if (!(t->stratum_names[t->n_strata] = strdup(name)))
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  *out = (int32_t)t->n_strata++;
  return 0;
}

static int read_stratum(reader *r, import_task *t, const cJSON *rec, size_t line, int32_t *out,
                        qa_error *err) {
  char where[64], name[128];
  where_of(r, line, where, sizeof where);
  const cJSON *doc = cJSON_GetObjectItemCaseSensitive(rec, "doc");
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, r->stratum_key);
  const char *s = NULL;
  if (cJSON_IsString(v)) {
    s = v->valuestring;
  } else if (cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
    snprintf(name, sizeof name, "%.17g", v->valuedouble);
    s = name;
  } else if (cJSON_IsBool(v)) {
    s = cJSON_IsTrue(v) ? "true" : "false";
  }
  if (!s)
    return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                        "doc.%s is %s; expected a string or number naming the item's stratum "
                        "(%s)", r->stratum_key, v ? "not a string or number" : "missing",
                        r->stratum_default ? "doc.subject is used when the first record has "
                        "it; --stratum FIELD names another key, --stratum none turns strata "
                        "off" : "--stratum");
  if (strlen(s) > QA_NAME_MAX_BYTES || !qa_utf8_valid(s))
    return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                        "doc.%s is longer than %d bytes or not UTF-8; expected a stratum name",
                        r->stratum_key, QA_NAME_MAX_BYTES);
  return stratum_index(t, s, r->path, out, err);
}

static int read_doc_id(reader *r, const cJSON *rec, size_t line, int64_t *out, qa_error *err) {
  char where[64];
  where_of(r, line, where, sizeof where);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, "doc_id");
  /* Integers up to 2^53 are exact in a double (what cJSON keeps). */
  if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) ||
      fabs(v->valuedouble) > 9007199254740992.0)
    return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                        "doc_id is not an integer; expected lm-eval's document number");
  *out = (int64_t)v->valuedouble;
  return 0;
}

/* The first key of --metric's comma-separated list that rec has (the
** first of the list when it has none, for the message). */
static void choose_metric(reader *r, const cJSON *rec) {
  const char *list = r->o->metric;
  size_t first = strcspn(list, ",");
  for (const char *k = list; *k;) {
    size_t n = strcspn(k, ",");
    if (n && n < sizeof r->metric) {
      memcpy(r->metric, k, n);
      r->metric[n] = '\0';
      if (cJSON_GetObjectItemCaseSensitive(rec, r->metric)) return;
    }
    k += n + (k[n] == ',');
  }
  if (first >= sizeof r->metric) first = sizeof r->metric - 1;
  memcpy(r->metric, list, first);
  r->metric[first] = '\0';
}

/* The first record decides, when no option does: its filter, the
** correctness key, and doc.subject as the stratum when its doc has one. */
static int first_record(reader *r, import_task *t, const cJSON *rec, qa_error *err) {
  choose_metric(r, rec);
  if (!(t->metric = strdup(r->metric)))
    return qa_error_set(err, QA_EXIT_IO, r->path, NULL, "out of memory");
  const char *filter = r->o->filter;
  if (!filter) filter = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "filter"));
  if (filter && !(t->filter = strdup(filter)))
    return qa_error_set(err, QA_EXIT_IO, r->path, NULL, "out of memory");
  const char *st = r->o->stratum;
  if (st && !strcmp(st, "none")) {
    r->stratum_key = NULL;
  } else if (st) {
    r->stratum_key = st;
  } else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
                 cJSON_GetObjectItemCaseSensitive(rec, "doc"), "subject"))) {
    r->stratum_key = "subject";
    r->stratum_default = 1;
  }
  return 0;
}

static int read_record(reader *r, import_task *t, const cJSON *rec, size_t line, int first,
                       qa_error *err) {
  if (first && first_record(r, t, rec, err)) return -1;
  const char *filter = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "filter"));
  if (t->filter && filter && strcmp(filter, t->filter) != 0) {
    t->n_other_filter++;
    return 0;
  }
  if (grow(t, r, err)) return -1;
  size_t i = t->n_items;
  if (read_doc_id(r, rec, line, &t->ids[i], err) ||
      read_correct(r, rec, line, &t->correct[i], err) ||
      (r->o->score && read_score(r, rec, line, &t->score[i], err)) ||
      (r->stratum_key && read_stratum(r, t, rec, line, &t->stratum[i], err)))
    return -1;
  r->lines[i] = line;
  t->n_items++;
  return 0;
}

/* ---- the file ---------------------------------------------------------- */

typedef struct id_line { int64_t id; size_t line; } id_line;

static int by_id_then_line(const void *pa, const void *pb) {
  const id_line *a = pa, *b = pb;
  if (a->id != b->id) return a->id < b->id ? -1 : 1;
  return a->line < b->line ? -1 : a->line > b->line;
}

/* doc_id pairs the items across variants: one item per doc_id.  The
** repeat with the earliest line is named. */
static int check_unique_ids(const reader *r, const import_task *t, qa_error *err) {
  if (t->n_items < 2) return 0;
  id_line *v = malloc(t->n_items * sizeof *v);
  if (!v) return qa_error_set(err, QA_EXIT_IO, r->path, NULL, "out of memory");
  for (size_t i = 0; i < t->n_items; i++) v[i] = (id_line){t->ids[i], r->lines[i]};
  qsort(v, t->n_items, sizeof *v, by_id_then_line);
  size_t worst = 0;
  for (size_t i = 1; i < t->n_items; i++)
    if (v[i].id == v[i - 1].id && (!worst || v[i].line < v[worst].line)) worst = i;
  int rc = 0;
  if (worst) {
    char where[64], first_at[64];
    where_of(r, v[worst].line, where, sizeof where);
    size_t first = worst;
    while (first > 0 && v[first - 1].id == v[worst].id) first--;
    where_of(r, v[first].line, first_at, sizeof first_at);
    rc = qa_error_set(err, QA_EXIT_DATA, r->path, where,
                      "doc_id %lld again (first at %s%s%s%s); expected one record per "
                      "document%s", (long long)v[worst].id, r->array ? "" : "line ", first_at,
                      t->filter ? ", filter " : "", t->filter ? t->filter : "",
                      t->filter ? " and filter" : "");
  }
  free(v);
  return rc;
}

/* lm-eval 0.4.0 to 0.4.2 (lm_eval/__main__.py) wrote each task's samples
** as one JSON array (json.dumps indent=2) into <model_args>_<task>.jsonl:
** 1 when text is such an array, its records then read as items [i]. */
static int read_array(reader *r, import_task *t, const char *text, size_t len, int *done,
                      qa_error *err) {
  *done = 0;
  cJSON *all = cJSON_ParseWithLength(text, len);
  const cJSON *rec;
  if (!cJSON_IsArray(all) ||
      !cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(all, 0), "doc_id")) {
    cJSON_Delete(all);
    return 0;
  }
  *done = 1;
  r->array = 1;
  size_t i = 0;
  int rc = 0;
  cJSON_ArrayForEach(rec, all) {
    char where[64];
    where_of(r, i, where, sizeof where);
    if (!cJSON_IsObject(rec) || !cJSON_GetObjectItemCaseSensitive(rec, "doc_id")) {
      rc = qa_error_set(err, QA_EXIT_DATA, r->path, where,
                        "no key doc_id; expected an lm-eval sample record");
      break;
    }
    if ((rc = read_record(r, t, rec, i, i == 0, err))) break;
    i++;
  }
  cJSON_Delete(all);
  return rc;
}

/* A file that gave no item: empty, or no record of the filter asked for. */
static int check_taken(const reader *r, const import_task *t, size_t records, qa_error *err) {
  if (!records)
    return qa_error_set(err, QA_EXIT_DATA, r->path, NULL,
                        "no records; expected lm-eval sample records, one JSON object a line");
  if (!t->n_items)
    return qa_error_set(err, QA_EXIT_DATA, r->path, NULL,
                        "no record has filter \"%s\" (--filter); expected one of the file's "
                        "filters", t->filter ? t->filter : "");
  return 0;
}

/* Each line: blank, or one JSON object. */
static int read_lines(reader *r, import_task *t, const char *text, size_t len, qa_error *err) {
  size_t line = 0, records = 0, at = 0, n = 0;
  const char *start = NULL;
  while (qa_import_next_line(text, len, &at, &line, &start, &n)) {
    const char *end = NULL;
    cJSON *rec = cJSON_ParseWithLengthOpts(start, n, &end, 0);
    char where[64];
    where_of(r, line, where, sizeof where);
    if (!rec || !cJSON_IsObject(rec) || !cJSON_GetObjectItemCaseSensitive(rec, "doc_id")) {
      int done = 0, rc = records ? 0 : read_array(r, t, text, len, &done, err);
      if (rc || done) {
        cJSON_Delete(rec);
        return rc ? -1 : check_taken(r, t, 1, err);
      }
      if (!records && foreign(r->path, text, len, err)) {
        cJSON_Delete(rec);
        return -1;
      }
      if (!rec) {
        size_t col = end && end >= start ? (size_t)(end - start) + 1 : 1;
        return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                            "not valid JSON (column %zu); expected one lm-eval sample record "
                            "per line (samples_<task>_<date>.jsonl)", col);
      }
      cJSON_Delete(rec);
      return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                          "no key doc_id; expected an lm-eval sample record (keys doc_id, doc, "
                          "target, resps, filtered_resps and the metrics) per line");
    }
    /* One value a line: anything after the object is not the format. */
    while (end && end < start + n && (*end == ' ' || *end == '\t' || *end == '\r')) end++;
    if (end && end < start + n) {
      cJSON_Delete(rec);
      return qa_error_set(err, QA_EXIT_DATA, r->path, where,
                          "text after the record (column %zu); expected one lm-eval sample "
                          "record per line", (size_t)(end - start) + 1);
    }
    int rc = read_record(r, t, rec, line, records == 0, err);
    cJSON_Delete(rec);
    if (rc) return -1;
    records++;
  }
  return check_taken(r, t, records, err);
}

int qa_import_lmeval_file(const char *path, const import_lmeval_opts *o, import_cache *c,
                          qa_error *err) {
  char *name = o->task ? strdup(o->task) : task_from_name(path);
  if (!name)
    return qa_error_set(err, QA_EXIT_USAGE, path, NULL,
                        "the task cannot be told from the file name (lm-eval writes "
                        "samples_<task>_<date>.jsonl); name it with --task");
  if (check_member_name(path, "task", name, "name it with --task", err) ||
      (o->score && check_member_name(path, "--score", o->score, "expected a metric key", err))) {
    free(name);
    return -1;
  }
  for (size_t i = 0; i < c->n_tasks; i++)
    if (!strcmp(c->tasks[i].name, name)) {
      qa_error_set(err, QA_EXIT_USAGE, path, NULL,
                   "task %s again (also from %s); expected one file per task", name,
                   c->tasks[i].source);
      free(name);
      return -1;
    }
  import_task *tasks = realloc(c->tasks, (c->n_tasks + 1) * sizeof *tasks);
  if (!tasks) {
    free(name);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  }
  c->tasks = tasks;
  import_task *t = &c->tasks[c->n_tasks++];
  memset(t, 0, sizeof *t);
  t->name = name;
  t->source = path;
  char *text = NULL;
  size_t len = 0;
  reader r = {path, o, "", NULL, 0, NULL, 0};
  int rc = qa_import_read_text(path, "an lm-eval sample log (samples_<task>_<date>.jsonl)",
                               &text, &len, err);
  if (!rc) rc = read_lines(&r, t, text, len, err);
  if (!rc) rc = check_unique_ids(&r, t, err);
  if (!rc && o->score && !(t->score_name = strdup(o->score)))
    rc = qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  if (!rc && !r.stratum_key) {
    free(t->stratum);
    t->stratum = NULL;
  }
  if (!rc && !o->score) {
    free(t->score);
    t->score = NULL;
  }
  free(r.lines);
  free(text);
  return rc;
}

/*
** qaudit import lm-eval|llama-bench ... -o CACHE.h5 (INTERFACE.md section
** 1, docs/import-lm-eval.md, docs/import-llama-bench.md): another tool's
** output turned into a cache, or added to one.
**
** The command line is read here; the formats are read by import_lmeval.c
** and import_bench.c into an import_cache, which import_write.c writes
** into a temporary file beside CACHE.h5.  That file must pass the cache
** reader's own checks (`qaudit validate`) before it is renamed into place
** (util/outfile.h): on any error nothing is left behind and an existing
** CACHE.h5 stays as it was, byte for byte.
**
** Adding to an existing cache never overwrites: a task or /perf dataset
** already there, or an attribute given on the command line that differs
** from the cache's, is refused.  Attributes derived from the input
** (llama-bench's parameter count, ...) only fill in what is missing.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/import_internal.h"
#include "input/cache.h"
#include "util/infile.h"
#include "util/outfile.h"
#include "util/text.h"

/* Bytes of one input file at most: lm-eval's sample logs of a large task
** (MMLU's 14k records with prompts) are tens of MB. */
#define IMPORT_MAX_INPUT_BYTES ((size_t)4 << 30)

/* ---- shared by the readers --------------------------------------------- */

int qa_import_next_line(const char *text, size_t len, size_t *at, size_t *line,
                        const char **start, size_t *n) {
  while (*at < len) {
    const char *s = text + *at, *nl = memchr(s, '\n', len - *at);
    size_t k = 0, m = nl ? (size_t)(nl - s) : len - *at;
    *at += m + 1;
    ++*line;
    while (k < m && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r')) k++;
    if (k < m) {
      *start = s;
      *n = m;
      return 1;
    }
  }
  return 0;
}

int qa_import_read_text(const char *path, const char *what, char **out, size_t *len,
                        qa_error *err) {
  FILE *f = NULL;
  mode_t mode = 0;
  *out = NULL;
  int rc = qa_infile_open(path, &f, &mode);
  if (rc < 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot open: %s", strerror(errno));
  if (rc > 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "not a regular file (%s); expected %s",
                        qa_infile_kind(mode), what);
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap + 1);
  for (;;) {
    if (!buf) {
      fclose(f);
      return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
    if (n == cap) {
      if (cap >= IMPORT_MAX_INPUT_BYTES) {
        free(buf);
        fclose(f);
        return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                            "larger than %zu bytes; expected %s", IMPORT_MAX_INPUT_BYTES, what);
      }
      cap *= 2;
      char *b = realloc(buf, cap + 1);
      if (!b) free(buf);
      buf = b;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s", strerror(errno));
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

size_t qa_import_line_of(const char *text, size_t off) {
  size_t line = 1;
  for (size_t i = 0; i < off && text[i]; i++)
    if (text[i] == '\n') line++;
  return line;
}

static void free_attrs(import_attrs *a) {
  free(a->model);
  free(a->variant);
  free(a->quant_scheme);
  free(a->calibration);
  free(a->backend);
  free(a->hardware);
}

void qa_import_cache_free(import_cache *c) {
  if (!c) return;
  for (size_t t = 0; t < c->n_tasks; t++) {
    import_task *k = &c->tasks[t];
    free(k->name);
    free(k->ids);
    free(k->metric);
    free(k->correct);
    free(k->score_name);
    free(k->score);
    free(k->stratum);
    for (size_t s = 0; s < k->n_strata; s++) free(k->stratum_names[s]);
    free(k->stratum_names);
    free(k->filter);
  }
  free(c->tasks);
  free(c->decode_tok_s);
  free_attrs(&c->given);
  free_attrs(&c->derived);
}

/* ---- the command line -------------------------------------------------- */

enum { IMPORT_LMEVAL = 1, IMPORT_BENCH };

typedef struct import_args {
  int kind;                     /* IMPORT_LMEVAL or IMPORT_BENCH */
  const char *output;
  const char **inputs;
  int n_inputs;
  import_lmeval_opts lm;
  import_bench_opts bench;
  int quiet;
} import_args;

/* An attribute's value from the command line: a name (model, variant) of
** at most QA_NAME_MAX_BYTES, disclosure text of at most the cache's limit;
** both non-empty UTF-8. */
static int set_text(char **dst, const char *flag, const char *value, size_t max) {
  if (!*value || strlen(value) > max || !qa_utf8_valid(value))
    return qa_cli_usage_error("%s needs a non-empty UTF-8 value of at most the allowed length",
                              flag);
  free(*dst);
  if (!(*dst = strdup(value))) return qa_cli_usage_error("%s", "out of memory");
  return 0;
}

static int parse_bits(const char *text, import_attrs *a) {
  char *end = NULL;
  errno = 0;
  double b = strtod(text, &end);
  if (end == text || *end || errno || !(b > 0 && b <= 64))
    return qa_cli_usage_error("--bits: \"%s\" is not a number of bits per weight in (0, 64]",
                              text);
  a->has_bits_per_weight = 1;
  a->bits_per_weight = b;
  return 0;
}

/* Options that take a value; the format's own ones only with it. */
static int takes_value(const char *arg, int kind) {
  static const char *const common[] = {"-o", "--output", "--model", "--variant", "--bits",
                                       "--quant-scheme", "--calibration", "--backend",
                                       "--hardware"};
  static const char *const lmeval[] = {"--task", "--metric", "--score", "--stratum", "--filter"};
  static const char *const bench[] = {"--gguf"};
  for (size_t i = 0; i < sizeof common / sizeof *common; i++)
    if (!strcmp(arg, common[i])) return 1;
  const char *const *own = kind == IMPORT_LMEVAL ? lmeval : bench;
  size_t n = kind == IMPORT_LMEVAL ? sizeof lmeval / sizeof *lmeval : 1;
  for (size_t i = 0; i < n; i++)
    if (!strcmp(arg, own[i])) return 1;
  return 0;
}

static int set_option(import_args *a, import_attrs *g, const char *arg, const char *v) {
  if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
    if (!*v) return qa_cli_usage_error("%s needs a file name", arg);
    a->output = v;
    return 0;
  }
  if (!strcmp(arg, "--bits")) return parse_bits(v, g);
  struct { const char *flag; char **dst; size_t max; } text[] = {
    {"--model", &g->model, QA_NAME_MAX_BYTES},
    {"--variant", &g->variant, QA_NAME_MAX_BYTES},
    {"--quant-scheme", &g->quant_scheme, QA_CACHE_DISCLOSURE_MAX_BYTES},
    {"--calibration", &g->calibration, QA_CACHE_DISCLOSURE_MAX_BYTES},
    {"--backend", &g->backend, QA_CACHE_DISCLOSURE_MAX_BYTES},
    {"--hardware", &g->hardware, QA_CACHE_DISCLOSURE_MAX_BYTES},
  };
  for (size_t i = 0; i < sizeof text / sizeof *text; i++)
    if (!strcmp(arg, text[i].flag)) return set_text(text[i].dst, arg, v, text[i].max);
  if (!*v) return qa_cli_usage_error("%s needs a non-empty value", arg);
  if (!strcmp(arg, "--task")) a->lm.task = v;
  else if (!strcmp(arg, "--metric")) a->lm.metric = v;
  else if (!strcmp(arg, "--score")) a->lm.score = v;
  else if (!strcmp(arg, "--stratum")) a->lm.stratum = v;
  else if (!strcmp(arg, "--filter")) a->lm.filter = v;
  else if (!strcmp(arg, "--gguf")) a->bench.gguf = v;
  return 0;
}

static int parse_args(int argc, char **argv, import_args *a, import_attrs *given) {
  memset(a, 0, sizeof *a);
  a->lm.metric = "acc";
  if (argc < 3) return qa_cli_usage_error("%s", "import needs a format: lm-eval or llama-bench");
  if (!strcmp(argv[2], "lm-eval")) a->kind = IMPORT_LMEVAL;
  else if (!strcmp(argv[2], "llama-bench")) a->kind = IMPORT_BENCH;
  else return qa_cli_usage_error("import: unknown format \"%s\"; expected lm-eval or llama-bench",
                                 argv[2]);
  if (!(a->inputs = calloc((size_t)argc, sizeof *a->inputs)))
    return qa_cli_usage_error("%s", "out of memory");
  for (int i = 3; i < argc; i++) {
    const char *arg = argv[i];
    int rc;
    if (takes_value(arg, a->kind)) {
      if (i + 1 >= argc) return qa_cli_usage_error("%s needs a value", arg);
      if ((rc = set_option(a, given, arg, argv[++i]))) return rc;
    } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
      a->quiet = 1;
    } else if (arg[0] == '-' && arg[1]) {
      return qa_cli_usage_error("unknown option %s", arg);
    } else {
      a->inputs[a->n_inputs++] = arg;
    }
  }
  a->lm.quiet = a->quiet;
  if (!a->n_inputs) return qa_cli_usage_error("import %s needs an input file", argv[2]);
  if (!a->output) return qa_cli_usage_error("import %s needs -o CACHE.h5", argv[2]);
  if (a->kind == IMPORT_BENCH && a->n_inputs > 1)
    return qa_cli_usage_error("%s", "import llama-bench takes one file (one cache holds one "
                              "variant's throughput)");
  if (a->lm.task && a->n_inputs > 1)
    return qa_cli_usage_error("%s", "--task names the task of one file; with several files "
                              "each task is named after its file (samples_<task>_<date>.jsonl)");
  return 0;
}

/* ---- attributes -------------------------------------------------------- */

/* The value written for one string attribute: nothing when the cache has
** it (a given value must then agree), else the given one, else the
** derived one. */
static int resolve_text(const char *name, const char *flag, const char *have, const char *given,
                        const char *derived, const char *cache, char **out, qa_error *err) {
  *out = NULL;
  if (have) {
    if (given && strcmp(have, given) != 0)
      return qa_error_set(err, QA_EXIT_USAGE, cache, "/",
                          "attribute %s is \"%s\", but %s says \"%s\"; import adds to a cache, "
                          "it never changes what is there", name, have, flag, given);
    return 0;
  }
  const char *v = given ? given : derived;
  if (v && !(*out = strdup(v))) return qa_error_set(err, QA_EXIT_IO, cache, NULL, "out of memory");
  return 0;
}

static int resolve_attrs(const import_cache *c, const qa_cache *old, const char *cache,
                         import_attrs *w, qa_error *err) {
  memset(w, 0, sizeof *w);
  const import_attrs *g = &c->given, *d = &c->derived;
  struct { const char *name, *flag, *have, *given, *derived; char **out; } s[] = {
    {"model", "--model", old ? old->model : NULL, g->model, d->model, &w->model},
    {"variant", "--variant", old ? old->variant : NULL, g->variant, d->variant, &w->variant},
    {"quant_scheme", "--quant-scheme", old ? old->quant_scheme : NULL, g->quant_scheme,
     d->quant_scheme, &w->quant_scheme},
    {"calibration", "--calibration", old ? old->calibration : NULL, g->calibration,
     d->calibration, &w->calibration},
    {"backend", "--backend", old ? old->backend : NULL, g->backend, d->backend, &w->backend},
    {"hardware", "--hardware", old ? old->hardware : NULL, g->hardware, d->hardware,
     &w->hardware},
  };
  for (size_t i = 0; i < sizeof s / sizeof *s; i++)
    if (resolve_text(s[i].name, s[i].flag, s[i].have, s[i].given, s[i].derived, cache,
                     s[i].out, err))
      return -1;
  /* `qaudit validate` and `report` need both names (INTERFACE.md section 2). */
  if (!w->model && !(old && old->model))
    return qa_error_set(err, QA_EXIT_USAGE, cache, NULL,
                        "needs the model's name: give --model NAME (e.g. llama3.2-1b)");
  if (!w->variant && !(old && old->variant))
    return qa_error_set(err, QA_EXIT_USAGE, cache, NULL,
                        "needs the variant's name: give --variant NAME (e.g. Q4_K_M)");
  if (old && old->has_bits_per_weight) {
    if (g->has_bits_per_weight && g->bits_per_weight != old->bits_per_weight)
      return qa_error_set(err, QA_EXIT_USAGE, cache, "/",
                          "attribute bits_per_weight is %g, but --bits says %g; import adds to "
                          "a cache, it never changes what is there",
                          old->bits_per_weight, g->bits_per_weight);
  } else if (g->has_bits_per_weight || d->has_bits_per_weight) {
    w->has_bits_per_weight = 1;
    w->bits_per_weight = g->has_bits_per_weight ? g->bits_per_weight : d->bits_per_weight;
  }
  if (!(old && old->has_params) && d->has_params) {
    w->has_params = 1;
    w->params = d->params;
  }
  return 0;
}

/* What c would add that the existing cache already has. */
static int check_no_overlap(const import_cache *c, const qa_cache *old, const char *cache,
                            qa_error *err) {
  for (size_t t = 0; t < c->n_tasks; t++)
    if (qa_cache_task(old, c->tasks[t].name))
      return qa_error_set(err, QA_EXIT_USAGE, cache, NULL,
                          "/eval/%s is already in the cache (from %s: task %s); import adds to "
                          "a cache, it never replaces what is there: write to a new cache or "
                          "name the task with --task", c->tasks[t].name, c->tasks[t].source,
                          c->tasks[t].name);
  if (c->n_decode && old->decode_tok_s)
    return qa_error_set(err, QA_EXIT_USAGE, cache, "/perf/decode_tok_s",
                        "already in the cache; import adds to a cache, it never replaces what "
                        "is there");
  return 0;
}

/* ---- the temporary and its commit --------------------------------------- */

static int copy_file(const char *from, const char *to, qa_error *err) {
  int in = open(from, O_RDONLY | O_CLOEXEC);
  if (in < 0) return qa_error_set(err, QA_EXIT_IO, from, NULL, "cannot open: %s", strerror(errno));
  int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0 && errno == EEXIST && unlink(to) == 0)
    out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (out < 0) {
    close(in);
    return qa_error_set(err, QA_EXIT_IO, to, NULL, "cannot create: %s", strerror(errno));
  }
  char buf[1 << 16];
  ssize_t got;
  int rc = 0;
  while ((got = read(in, buf, sizeof buf)) > 0) {
    for (ssize_t done = 0; done < got;) {
      ssize_t w = write(out, buf + done, (size_t)(got - done));
      if (w < 0) {
        rc = qa_error_set(err, QA_EXIT_IO, to, NULL, "cannot write: %s", strerror(errno));
        break;
      }
      done += w;
    }
    if (rc) break;
  }
  if (!rc && got < 0)
    rc = qa_error_set(err, QA_EXIT_IO, from, NULL, "cannot read: %s", strerror(errno));
  close(in);
  if (close(out) != 0 && !rc)
    rc = qa_error_set(err, QA_EXIT_IO, to, NULL, "cannot write: %s", strerror(errno));
  return rc;
}

/* The temporary twin of the -o path, in its folder. */
static int temp_for(const char *output, char *temp, size_t cap, qa_error *err) {
  const char *slash = strrchr(output, '/'), *name = slash ? slash + 1 : output;
  char dir[PATH_MAX];
  if (!*name)
    return qa_error_set(err, QA_EXIT_USAGE, output, NULL, "expected a file name for the cache");
  if (!slash) {
    strcpy(dir, ".");
  } else if (slash == output) {
    strcpy(dir, "/");
  } else {
    size_t dlen = (size_t)(slash - output);
    if (dlen >= sizeof dir) return qa_error_set(err, QA_EXIT_IO, output, NULL, "path too long");
    memcpy(dir, output, dlen);
    dir[dlen] = '\0';
  }
  qa_outfile_temp_name(dir, name, temp, cap);
  return 0;
}

static int read_inputs(const import_args *a, import_cache *c, qa_error *err) {
  if (a->kind == IMPORT_BENCH) return qa_import_bench_file(a->inputs[0], &a->bench, c, err);
  for (int i = 0; i < a->n_inputs; i++)
    if (qa_import_lmeval_file(a->inputs[i], &a->lm, c, err)) return -1;
  return 0;
}

/* One line on stderr: what the cache received. */
static void summary(const import_args *a, const import_cache *c) {
  if (a->quiet) return;
  fprintf(stderr, "qaudit: import: %s:", a->output);
  for (size_t t = 0; t < c->n_tasks; t++) {
    const import_task *k = &c->tasks[t];
    fprintf(stderr, "%s task %s (%zu items, %s, %zu strata", t ? ";" : "", k->name, k->n_items,
            k->metric, k->n_strata);
    if (k->n_other_filter)
      fprintf(stderr, "; filter %s, %zu records of other filters left out (--filter)",
              k->filter, k->n_other_filter);
    fputc(')', stderr);
  }
  if (c->n_decode) fprintf(stderr, " /perf/decode_tok_s (%zu samples)", c->n_decode);
  fputc('\n', stderr);
}

int qa_cmd_import(int argc, char **argv) {
  import_args a;
  import_cache c = {0};
  import_attrs w = {0};
  qa_cache *old = NULL;
  qa_error err = {0};
  char temp[PATH_MAX + 64];
  int rc = parse_args(argc, argv, &a, &c.given), made_temp = 0;
  if (rc) goto done;
  struct stat st;
  int existing = lstat(a.output, &st) == 0;
  qa_outfile target = {temp, a.output, 0};
  if (temp_for(a.output, temp, sizeof temp, &err) || qa_outfile_check(&target, 1, &err))
    goto fail;
  if (existing) {
    qa_cache_opts opts = {NULL, 0, 0, 0, NULL, NULL};
    if (qa_cache_load(a.output, &opts, &old, &err)) goto fail;
  }
  if (read_inputs(&a, &c, &err) || resolve_attrs(&c, old, a.output, &w, &err) ||
      (old && check_no_overlap(&c, old, a.output, &err)))
    goto fail;
  made_temp = 1;
  if (existing) {
    if (copy_file(a.output, temp, &err)) goto fail;
  } else if (unlink(temp) != 0 && errno != ENOENT) {
    qa_error_set(&err, QA_EXIT_IO, temp, NULL, "cannot remove a stale temporary: %s",
                 strerror(errno));
    goto fail;
  }
  if (qa_import_write(temp, a.output, existing, &w, &c, &err)) goto fail;
  /* The cache reader's own checks, before the name is taken. */
  qa_error check = {0};
  if (qa_cache_validate(temp, &check)) {
    qa_error_set(&err, QA_EXIT_IO, a.output, NULL,
                 "the written cache fails its own check (an internal error; nothing was "
                 "written): %s", check.msg);
    goto fail;
  }
  if (qa_outfile_commit(&target, 1, &err)) {
    made_temp = 0;           /* the commit removed the temporary */
    goto fail;
  }
  summary(&a, &c);
  rc = 0;
  goto done;
fail:
  if (made_temp) unlink(temp);
  rc = qa_cli_report_error(&err);
done:
  free(a.inputs);
  qa_cache_free(old);
  qa_import_cache_free(&c);
  free_attrs(&w);
  return rc;
}

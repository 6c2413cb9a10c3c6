/*
** qaudit init CACHE.h5... > config.json (INTERFACE.md sections 1 and 3,
** docs/init.md): a configuration that `qaudit report` runs unchanged.
**
** Reads every cache with input/cache.h (the same reader and checks as
** `report`, no hidden layer loaded), requires the `model` and `variant`
** attributes, groups the caches into models, orders each model's variants
** from the highest bits_per_weight down (the first is the baseline) and
** picks the one hidden layer every cache with /hidden has.  The JSON text
** is built whole (cli/init_config.c) and written to stdout only at the
** end: on any error stdout stays empty.  Never opens HDF5 itself.
*/
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/init_internal.h"

/* ---- paths ------------------------------------------------------------- */

/* The path of an absolute file name relative to the absolute folder cwd
** ("../data/a.h5"); both are real paths (no "." or ".." components):
** one ".." for each component of cwd past the common ones. */
static char *relative_to(const char *cwd, const char *abs) {
  const char *c = cwd, *a = abs, *rest = abs;
  for (;;) {
    while (*c == '/') c++;
    while (*a == '/') a++;
    size_t nc = strcspn(c, "/"), na = strcspn(a, "/");
    if (!nc || nc != na || memcmp(c, a, nc) != 0) break;
    c += nc;
    a += na;
  }
  rest = a;
  size_t ups = 0;
  for (const char *p = c; *p;) {
    while (*p == '/') p++;
    if (!*p) break;
    ups++;
    p += strcspn(p, "/");
  }
  char *out = malloc(ups * 3 + strlen(rest) + 1);
  if (!out) return NULL;
  char *w = out;
  for (size_t k = 0; k < ups; k++, w += 3) memcpy(w, "../", 3);
  strcpy(w, rest);
  return out;
}

/* The "file" key of a cache: a relative argument as given (without a
** leading "./"); an absolute one made relative to the current folder, so
** that the configuration, saved in the current folder, finds it. */
static char *config_path(const char *arg, qa_error *err) {
  if (arg[0] != '/') {
    while (arg[0] == '.' && arg[1] == '/') {
      arg += 2;
      while (*arg == '/') arg++;
    }
    char *out = strdup(arg);
    if (!out) qa_error_set(err, QA_EXIT_IO, arg, NULL, "out of memory");
    return out;
  }
  char cwd[PATH_MAX], dir[PATH_MAX], real_dir[PATH_MAX];
  const char *slash = strrchr(arg, '/');
  size_t dlen = (size_t)(slash - arg);
  if (dlen >= sizeof dir) {
    qa_error_set(err, QA_EXIT_IO, arg, NULL, "path too long");
    return NULL;
  }
  memcpy(dir, arg, dlen);
  dir[dlen] = '\0';
  if (!getcwd(cwd, sizeof cwd) || !realpath(dlen ? dir : "/", real_dir)) {
    qa_error_set(err, QA_EXIT_IO, arg, NULL, "cannot resolve the path: %s", strerror(errno));
    return NULL;
  }
  /* Only the folder is resolved: a symlinked cache keeps its own name. */
  size_t n = strlen(real_dir);
  char full[2 * PATH_MAX];
  snprintf(full, sizeof full, "%s%s%s", real_dir, n > 1 ? "/" : "", slash + 1);
  char *out = relative_to(cwd, full);
  if (!out) qa_error_set(err, QA_EXIT_IO, arg, NULL, "out of memory");
  return out;
}

/* ---- grouping and order ------------------------------------------------ */

/* Highest precision first: larger bits_per_weight before smaller, a cache
** without it after every cache with it, ties in command-line order. */
static int by_precision(const void *pa, const void *pb) {
  const init_cache *a = *(init_cache *const *)pa, *b = *(init_cache *const *)pb;
  int ha = a->cache->has_bits_per_weight, hb = b->cache->has_bits_per_weight;
  if (ha != hb) return ha ? -1 : 1;
  if (ha && a->cache->bits_per_weight != b->cache->bits_per_weight)
    return a->cache->bits_per_weight > b->cache->bits_per_weight ? -1 : 1;
  return a->order < b->order ? -1 : a->order > b->order;
}

static int group_models(init_study *s, qa_error *err) {
  s->models = calloc(s->n_caches, sizeof *s->models);
  if (!s->models) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  for (size_t i = 0; i < s->n_caches; i++) {
    init_cache *c = &s->caches[i];
    size_t m = 0;
    while (m < s->n_models && strcmp(s->models[m].name, c->cache->model) != 0) m++;
    if (m == s->n_models) {
      s->models[m].name = c->cache->model;
      if (!(s->models[m].v = calloc(s->n_caches, sizeof *s->models[m].v)))
        return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
      s->n_models++;
    }
    init_model *mod = &s->models[m];
    for (size_t j = 0; j < mod->n; j++)
      if (strcmp(mod->v[j]->cache->variant, c->cache->variant) == 0)
        return qa_error_set(err, QA_EXIT_DATA, c->arg, "/",
                            "attribute variant \"%s\" of model \"%s\" is also that of %s; "
                            "each variant of a model needs its own cache",
                            c->cache->variant, mod->name, mod->v[j]->arg);
    mod->v[mod->n++] = c;
  }
  for (size_t m = 0; m < s->n_models; m++)
    qsort(s->models[m].v, s->models[m].n, sizeof *s->models[m].v, by_precision);
  return 0;
}

/* ---- the layer --------------------------------------------------------- */

/* First integer in a name, or -1. */
static long long name_integer(const char *s) {
  for (; *s; s++)
    if (*s >= '0' && *s <= '9') {
      long long v = 0;
      for (; *s >= '0' && *s <= '9' && v < 1000000000000LL; s++) v = v * 10 + (*s - '0');
      return v;
    }
  return -1;
}

int qa_init_layer_cmp(const char *a, const char *b) {
  int fa = strcmp(a, "final") == 0, fb = strcmp(b, "final") == 0;
  if (fa || fb) return fa - fb;
  long long ia = name_integer(a), ib = name_integer(b);
  if ((ia < 0) != (ib < 0)) return ia < 0 ? 1 : -1;   /* without an integer: deeper */
  if (ia != ib) return ia < ib ? -1 : 1;
  return strcmp(a, b);
}

static int has_layer(const qa_cache *c, const char *name) {
  for (size_t i = 0; i < c->n_layers; i++)
    if (strcmp(c->layers[i].name, name) == 0) return 1;
  return 0;
}

static void list_layers(const qa_cache *c, char *buf, size_t cap) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < c->n_layers && used + 1 < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", c->layers[i].name);
}

/* The deepest layer (qa_init_layer_cmp) that every cache with /hidden
** has; `report` reads that one layer from each such cache. */
static int choose_layer(init_study *s, qa_error *err) {
  const qa_cache *first = NULL;
  for (size_t i = 0; i < s->n_caches && !first; i++)
    if (s->caches[i].cache->n_layers) first = s->caches[i].cache;
  if (!first) return 0;
  const char *best = NULL;
  for (size_t l = 0; l < first->n_layers; l++) {
    const char *name = first->layers[l].name;
    int everywhere = 1;
    for (size_t i = 0; i < s->n_caches && everywhere; i++) {
      const qa_cache *c = s->caches[i].cache;
      if (c->n_layers && !has_layer(c, name)) everywhere = 0;
    }
    if (everywhere && (!best || qa_init_layer_cmp(name, best) > 0)) best = name;
  }
  if (!best) {
    /* Name the first cache that shares no layer with the first one. */
    const qa_cache *other = NULL;
    for (size_t i = 0; i < s->n_caches && !other; i++) {
      const qa_cache *c = s->caches[i].cache;
      int shared = 0;
      for (size_t l = 0; c->n_layers && l < first->n_layers && !shared; l++)
        shared = has_layer(c, first->layers[l].name);
      if (c->n_layers && !shared) other = c;
    }
    char have[256], theirs[256];
    list_layers(first, have, sizeof have);
    list_layers(other ? other : first, theirs, sizeof theirs);
    return qa_error_set(err, QA_EXIT_DATA, other ? other->path : first->path, "/hidden",
                        "no hidden layer is in every cache (layers here: %s; in %s: %s); "
                        "the configuration's layer must exist in each",
                        theirs, first->path, have);
  }
  if (!(s->layer = strdup(best))) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  return 0;
}

/* ---- the command ------------------------------------------------------- */

static int read_caches(init_study *s, int argc, char **argv, qa_error *err) {
  s->caches = calloc((size_t)argc, sizeof *s->caches);
  if (!s->caches) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  for (int i = 2; i < argc; i++) {
    init_cache *c = &s->caches[s->n_caches];
    c->arg = argv[i];
    c->order = s->n_caches;
    /* No layer loaded; names checked here, with init's own message. */
    qa_cache_opts opts = {NULL, 0, 0, 0, NULL, NULL};
    if (qa_cache_load(argv[i], &opts, &c->cache, err)) return -1;
    s->n_caches++;
    static const char *const why =
        "qaudit init names the models and variants after these attributes; add it to "
        "the cache";
    if (!c->cache->model)
      return qa_error_set(err, QA_EXIT_DATA, argv[i], "/", "missing attribute model: %s", why);
    if (!c->cache->variant)
      return qa_error_set(err, QA_EXIT_DATA, argv[i], "/", "missing attribute variant: %s",
                          why);
    if (!(c->file = config_path(argv[i], err))) return -1;
  }
  return 0;
}

static void study_free(init_study *s) {
  for (size_t i = 0; i < s->n_caches; i++) {
    qa_cache_free(s->caches[i].cache);
    free(s->caches[i].file);
  }
  for (size_t m = 0; m < s->n_models; m++) free(s->models[m].v);
  free(s->caches);
  free(s->models);
  free(s->layer);
}

int qa_cmd_init(int argc, char **argv) {
  for (int i = 2; i < argc; i++)
    if (argv[i][0] == '-' && argv[i][1]) return qa_cli_usage_error("unknown option %s", argv[i]);
  if (argc < 3) return qa_cli_usage_error("%s", "init needs at least one cache");
  init_study s = {0};
  qa_error err = {0};
  char *text = NULL;
  int rc = 0;
  if (read_caches(&s, argc, argv, &err) || group_models(&s, &err) || choose_layer(&s, &err) ||
      qa_init_config_text(&s, &text, &err)) {
    rc = qa_cli_report_error(&err);
    goto done;
  }
  size_t len = strlen(text);
  if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
    qa_error_set(&err, QA_EXIT_IO, "stdout", NULL, "cannot write the configuration: %s",
                 strerror(errno));
    rc = qa_cli_report_error(&err);
  }
done:
  free(text);
  study_free(&s);
  return rc;
}

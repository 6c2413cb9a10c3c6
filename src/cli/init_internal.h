/*
** `qaudit init` inside (cli/init.c, cli/init_config.c): the caches read
** and grouped into models, then written out as a configuration.
**
** init.c reads the caches (through input/cache.h, never HDF5 itself),
** checks what a configuration needs of them and orders them; init_config.c
** turns that into the JSON text.  Neither prints anything: the command
** writes the text to stdout only once all of it exists.
*/
#ifndef QA_CLI_INIT_INTERNAL_H
#define QA_CLI_INIT_INTERNAL_H

#include <stddef.h>

#include "input/cache.h"
#include "util/error.h"

/* One cache named on the command line. */
typedef struct init_cache {
  const char *arg;       /* as given */
  char *file;            /* relative to the current folder, for the "file" key */
  qa_cache *cache;       /* read with no hidden layer loaded */
  size_t order;          /* position on the command line */
} init_cache;

/* One model: its caches, highest precision first; v[0] is the baseline. */
typedef struct init_model {
  const char *name;      /* the caches' `model` attribute */
  size_t n;
  init_cache **v;
} init_model;

typedef struct init_study {
  size_t n_caches;
  init_cache *caches;    /* command-line order */
  size_t n_models;
  init_model *models;    /* in the order their first cache was named */
  char *layer;           /* the configuration's layer; NULL: no cache has /hidden */
} init_study;

/* The configuration for s as JSON text ending in a newline (caller frees),
** or -1 with err set. */
int qa_init_config_text(const init_study *s, char **out, qa_error *err);

/* Depth rank of a layer name, for choosing the default layer: names with
** an integer by that integer, then names without one, then "final"
** (docs/cache-format.md "Several layers"). Returns <0, 0, >0 like strcmp. */
int qa_init_layer_cmp(const char *a, const char *b);

#endif

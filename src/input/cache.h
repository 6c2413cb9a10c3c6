/*
** One cache file (INTERFACE.md section 2): everything a model variant
** produced, read from HDF5 into memory as plain arrays, and validated on
** its own (ranks, types, finiteness, 0/1, label range, negative timings).
**
** Checks that need the baseline (N, D, C, id sets) and the reordering of a
** variant to its baseline's rows live in study.c, not here.
**
** This module is the only one that touches the HDF5 API.  It never prints;
** HDF5's automatic error stack is switched off and every failure becomes a
** qa_error naming the file and the HDF5 path.
*/
#ifndef QA_CACHE_H
#define QA_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One /eval/<task> group. */
typedef struct qa_task {
  char *name;            /* <task> */
  size_t n_items;        /* M */
  int64_t *ids;          /* [M]; row index when /eval/<task>/id is absent */
  int has_ids;           /* 1 when /eval/<task>/id was present */
  uint8_t *correct;      /* [M] 0/1, or NULL when absent */
  size_t n_metrics;
  char **metric_names;   /* [n_metrics], sorted by name */
  double **scores;       /* [n_metrics][M] */
  int32_t *stratum;      /* [M] in [0, n_strata): /eval/<task>/stratum, or NULL */
  size_t n_strata;       /* S: names of /eval/<task>/stratum_names (required with
                            the strata); 0 without strata */
  char **stratum_names;  /* [n_strata] */
} qa_task;

/* A named dataset below /hidden, listed for inspect and for layer choice. */
typedef struct qa_layer_info {
  char *name;
  size_t rows, cols;
} qa_layer_info;

typedef struct qa_cache {
  char *path;            /* as given (for messages) */
  /* Root attributes; strings are NULL when absent. */
  char *model, *variant;
  char *quant_scheme, *calibration, *backend, *hardware;
  int has_bits_per_weight; double bits_per_weight;
  int has_params;          int64_t params;
  int has_vram_gb;         double vram_gb;

  /* Samples.  n_samples is N, taken from whichever per-sample dataset
  ** exists (all of them must agree); 0 when there is none. */
  size_t n_samples;
  int64_t *ids;          /* [N]; row index when /samples/id is absent */
  int has_ids;
  int32_t *labels;       /* [N] or NULL */
  size_t n_label_names;  /* C from /samples/label_names, 0 when absent */
  char **label_names;

  size_t n_layers;       /* every /hidden/<layer> (names only + shapes) */
  qa_layer_info *layers;
  char *layer;           /* the loaded layer, NULL when not requested/absent */
  size_t dim;            /* D of the loaded layer */
  double *hidden;        /* [N*D] row-major, or NULL */
  size_t hidden_mapped;  /* bytes of the private mapping hidden lives in
                            (received from the isolated child: cache_wire.c),
                            0 when malloc'd */

  size_t n_classes;      /* C of /outputs/logits, 0 when absent */
  double *logits;        /* [N*C] row-major, or NULL */
  int32_t *prediction;   /* [N]: /outputs/prediction, else argmax of logits
                            (first maximum), else NULL */
  int has_prediction_dataset;

  size_t n_tasks;
  qa_task *tasks;        /* sorted by name */

  /* Token-level data (/tokens): T positions of a V-word vocabulary.  The
  ** logits are never loaded; their shape, stored type and chunking are
  ** kept for the streaming reader (input/tokread.h). */
  size_t n_tokens;       /* T; 0 without /tokens */
  size_t vocab;          /* V: columns of /tokens/logits */
  int tok_dtype;         /* QA_TOK_F16, QA_TOK_F32 or QA_TOK_F64 (stored type) */
  size_t tok_chunk_rows; /* rows of a chunk of /tokens/logits; 0: contiguous */
  int32_t *tok_target;   /* [T] in [0, V) */
  int64_t *tok_doc;      /* [T]; all 0 when /tokens/doc is absent */
  int has_tok_doc;
  int32_t *tok_slice;    /* [T] in [0, n_slice_names), or NULL */
  size_t n_slice_names;
  char **slice_names;

  size_t n_decode;  double *decode_tok_s;   /* /perf/decode_tok_s or NULL */
  size_t n_ttft;    double *ttft_ms;        /* /perf/ttft_ms or NULL */
} qa_cache;

enum { QA_TOK_F16 = 1, QA_TOK_F32, QA_TOK_F64 };

/* Members of one group (/hidden layers, /eval tasks, score metrics)
** accepted at most; a group with more is refused before it is listed. */
#define QA_CACHE_MAX_MEMBERS 100000
/* Bytes of a disclosure attribute (quant_scheme, calibration, backend,
** hardware) at most; model and variant are names (QA_NAME_MAX_BYTES). */
#define QA_CACHE_DISCLOSURE_MAX_BYTES 4096

/* Options for qa_cache_load. */
typedef struct qa_cache_opts {
  const char *layer;     /* /hidden/<layer> to load; NULL: load none */
  int require_names;     /* 1: the model and variant attributes are required */
  uint64_t max_bytes;    /* memory the file's arrays may take; 0: what the
                            machine has available (MemAvailable) */
  int limit_is_option;   /* 1: max_bytes came from --max-memory (for messages) */
  void (*meanwhile)(void *arg);   /* NULL, or run while the file is read (the
                                     parent's part of an isolated read) */
  void *meanwhile_arg;
} qa_cache_opts;

/* Reads and validates one cache.  On success *out owns a new qa_cache
** (free with qa_cache_free).  On failure returns -1, *out is NULL and err
** holds a QA_EXIT_DATA error (or QA_EXIT_IO for an unreadable file) of the
** form "FILE:/hdf5/path: what was found, what was expected". */
int qa_cache_load(const char *path, const qa_cache_opts *opts, qa_cache **out,
                  qa_error *err);

void qa_cache_free(qa_cache *cache);

/* `qaudit validate`: reads and checks one cache as qa_cache_load does,
** with the model and variant attributes required, and every /hidden layer
** read and checked too (one at a time), in one child process for the
** whole file.  Keeps nothing; returns 0, or -1 with err set. */
int qa_cache_validate(const char *path, qa_error *err);

/* Bytes of memory the cache's arrays hold. */
uint64_t qa_cache_memory(const qa_cache *cache);

/* Memory this machine has available now (MemAvailable), else its physical
** memory. */
uint64_t qa_memory_available(void);

/* Writes a human summary of the file (groups, shapes, dtypes, attributes)
** to f.  Returns 0, or -1 with err set when the file cannot be read. */
int qa_cache_inspect(const char *path, void *f /* FILE* */, qa_error *err);

/* Returns the task named name, or NULL. */
const qa_task *qa_cache_task(const qa_cache *cache, const char *name);

#endif

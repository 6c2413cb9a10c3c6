/*
** Reading hidden layers of a cache on demand (STATISTICS.md "Depth: every
** hidden layer").  qa_cache_load loads the configured layer only and lists
** the others with their shapes; the depth analysis asks for the others
** here, a few at a time, when it reaches them, so that the baseline's
** layers and one variant's are in memory at once, never every layer of
** every variant.
**
** Like qa_cache_load, the HDF5 read runs in a child process (isolate.h): a
** hostile file can crash or hang the child, never qaudit.  The child reads
** only the requested /hidden datasets (in row blocks, every value checked
** finite, N and D checked against the shapes listed at load) and writes
** each row, already in the baseline's order, into an anonymous in-memory
** file (memfd) created before the fork; the parent maps that file, so the
** rows cross from the child without a second copy.
**
** Never prints; every failure is one qa_error naming the file and the
** /hidden/<layer> path.
*/
#ifndef QA_LAYER_READ_H
#define QA_LAYER_READ_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* What to read: n_layers datasets /hidden/<names[k]> of one cache, each
** [rows, cols[k]] as the cache listed it when it was loaded. */
typedef struct qa_layer_request {
  const char *path;           /* the cache file */
  size_t n_layers;
  const char *const *names;   /* layer names below /hidden */
  const size_t *cols;         /* [n_layers]: D of each */
  size_t rows;                /* N */
  const size_t *row_dest;     /* [rows]: the baseline row of the file's row j
                                 (qa_variant.row_dest); NULL: the same order */
  uint64_t max_bytes;         /* memory the layers may take together */
  const char *limit_what;     /* how the limit is named: "available", ... */
} qa_layer_request;

/* The layers read: x[k] is rows x cols[k] doubles, row-major, row i the
** baseline's sample i.  The arrays live in one mapping, released with
** qa_layer_set_free; they may be written (scaled in place). */
typedef struct qa_layer_set {
  size_t n_layers;
  size_t rows;
  double **x;                 /* [n_layers] */
  void *map;
  size_t map_bytes;
  int fd;
} qa_layer_set;

/* Bytes one [rows, cols] layer takes in memory (8 a value);
** UINT64_MAX when that overflows. */
uint64_t qa_layer_bytes(size_t rows, size_t cols);

/* Reads the request into *out (zeroed on failure).  Refuses, before
** anything is allocated or read, layers that need more than max_bytes
** (QA_EXIT_DATA, "FILE:/hidden/L: shape [N,D] needs X GB in memory, more
** than the Y GB <limit_what>").  A layer that is not a float [N, D] array,
** holds NaN or Inf ("NaN at row i, column j", in the file's own row
** order), cannot be decoded, or makes the HDF5 library crash or hang is a
** QA_EXIT_DATA error naming FILE:/hidden/L. */
int qa_layer_read(const qa_layer_request *req, qa_layer_set *out, qa_error *err);

/* Releases the mapping; safe on a zeroed set. */
void qa_layer_set_free(qa_layer_set *s);

#endif

/*
** Typed, checked reads of one HDF5 object at a time, for cache.c and
** cache_inspect.c only.  Every function names the file and the HDF5 path
** in its error and converts whatever the file stores (float16/32/64, any
** integer width, h5py's boolean enum) to one in-memory type.
**
** Never prints; the caller has switched HDF5's automatic error stack off.
*/
#ifndef QA_H5READ_H
#define QA_H5READ_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The file being read, for messages and the memory guard. */
typedef struct h5r_file {
  const char *path;
  hid_t fid;
  uint64_t max_bytes;    /* refuse a dataset needing more memory than this */
  const char *limit_what; /* "available" or "allowed by --max-memory" */
  unsigned long fileno;   /* the file's number: objects elsewhere are refused */
} h5r_file;

/* 0 when the object at path lives in this file; -1 with err set when a
** link (soft links included) leads into another file. */
int h5r_same_file(h5r_file *f, const char *path, const H5O_info_t *info, qa_error *err);

enum { H5R_FLOAT = 1, H5R_INT = 2, H5R_STRING = 3 };

/* 1 when the link exists (and every group on the way), 0 when not; -1 with
** err set when it is an external link or cannot be resolved. */
int h5r_exists(h5r_file *f, const char *path, qa_error *err);

/* Opens the dataset at path and checks its class and rank; fills dims
** (at most 2) and returns the open dataset, or -1 with err set.  A dataset
** with external storage or with a zero dimension is refused. */
hid_t h5r_open(h5r_file *f, const char *path, int kind, int rank, hsize_t *dims,
               qa_error *err);

/* Whole-dataset reads into newly allocated arrays (caller frees).  n is
** the number of elements the caller expects (product of dims). */
int h5r_read_double(h5r_file *f, const char *path, hid_t dset, size_t n, double **out,
                    qa_error *err);
int h5r_read_int64(h5r_file *f, const char *path, hid_t dset, size_t n, int64_t **out,
                   qa_error *err);
int h5r_read_strings(h5r_file *f, const char *path, hid_t dset, size_t n, char ***out,
                     qa_error *err);

/* Root attributes.  Return 1 when read, 0 when absent, -1 on error (wrong
** type or shape). */
int h5r_attr_string(h5r_file *f, const char *name, char **out, qa_error *err);
int h5r_attr_double(h5r_file *f, const char *name, double *out, qa_error *err);
int h5r_attr_int64(h5r_file *f, const char *name, int64_t *out, qa_error *err);

/* "float32", "int64", "string", ... for inspect and messages. */
void h5r_type_name(hid_t type, char *buf, size_t cap);

/* Frees an array of n strings (and the array). */
void h5r_free_strings(char **s, size_t n);

#endif

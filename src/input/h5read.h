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

/* Capacity of every HDF5 path built or resolved here: a cache's deepest
** path, /eval/<task>/score/<metric>, with names of QA_NAME_MAX_BYTES, fits
** with room to spare; a soft link chain reaching further is refused. */
#define H5R_PATH_MAX 8192
/* Soft links followed for one path at most (POSIX's SYMLOOP_MAX is 40). */
#define H5R_MAX_SOFT 40

/* 0 when the object at path lives in this file; -1 with err set when a
** link (soft links included) leads into another file. */
int h5r_same_file(h5r_file *f, const char *path, const H5O_info_t *info, qa_error *err);

enum { H5R_FLOAT = 1, H5R_INT = 2, H5R_STRING = 3 };
/* OR'ed into h5r_open's kind: the dataset is streamed in blocks, never held
** whole, so its size is not held against the memory limit; a row of its
** chunks (three times: the chunk cache and two blocks) is, and so is its
** storage (a dataset claiming far more than the file stores is refused). */
enum { H5R_STREAMED = 16 };

/* Resolves path within the file, link by link, without letting HDF5
** traverse a soft or external link itself: soft links are followed by name
** (H5Lget_val), so no link ever leads out of the file and no other file is
** ever opened.  Returns 1 and the path of hard links only in hard
** (H5R_PATH_MAX bytes) when the object exists, 0 when a link on the way is
** absent; -1 with err set for an external link, a soft link chain that
** reaches one, dangles or cycles, or a group on the way that is not one. */
int h5r_resolve(h5r_file *f, const char *path, char *hard, qa_error *err);

/* 1 when the object exists (h5r_resolve), 0 when not, -1 with err set. */
int h5r_exists(h5r_file *f, const char *path, qa_error *err);

/* Opens the dataset at path (resolved with h5r_resolve; absent is an
** error) and checks its class and rank; fills dims (at most 2) and returns
** the open dataset, or -1 with err set.  A dataset with external storage,
** a zero dimension or a mandatory filter this library lacks is refused, and
** so is one whose elements as doubles exceed f->max_bytes (unless kind has
** H5R_STREAMED). */
hid_t h5r_open(h5r_file *f, const char *path, int kind, int rank, hsize_t *dims,
               qa_error *err);

/* Opens the group at path (resolved with h5r_resolve), or -1 with err set. */
hid_t h5r_open_group(h5r_file *f, const char *path, qa_error *err);

/* 0 when name (len bytes), a member of group dir, is well-formed UTF-8 of
** at most QA_NAME_MAX_BYTES; otherwise -1 with err naming FILE:DIR/<the
** name's first bytes>...: "<what> name of N bytes, longer than the 1024
** allowed" or "<what> name is not valid UTF-8 (byte K)". */
int h5r_check_member_name(h5r_file *f, const char *dir, const char *what, const char *name,
                          size_t len, qa_error *err);

/* Whole-dataset reads into newly allocated arrays (caller frees).  n is
** the number of elements the caller expects (product of dims).  Integers
** of any HDF5 integer type (8 to 64 bits, signed or not, either byte
** order) keep their true values; a value outside int64 (uint64 above
** INT64_MAX) is refused by name.  A read that fails because the data is
** compressed with a filter this library lacks says so. */
int h5r_read_double(h5r_file *f, const char *path, hid_t dset, size_t n, double **out,
                    qa_error *err);
/* Rows [r0, r0 + rows) of a rank-2 dataset of `cols` columns into buf
** (rows * cols elements of the memory type mtype, caller's), for reading
** a large array in row blocks (input/layer_read.c). */
int h5r_read_rows(h5r_file *f, const char *path, hid_t dset, hid_t mtype, size_t r0,
                  size_t rows, size_t cols, void *buf, qa_error *err);
int h5r_read_int64(h5r_file *f, const char *path, hid_t dset, size_t n, int64_t **out,
                   qa_error *err);
int h5r_read_strings(h5r_file *f, const char *path, hid_t dset, size_t n, char ***out,
                     qa_error *err);
/* h5r_read_strings for names (class names, stratum names): each must be
** well-formed UTF-8 of at most QA_NAME_MAX_BYTES, else -1 with err
** "FILE:PATH: <what> 3 is not valid UTF-8 (byte 5)" or "<what> 0 is N
** bytes, longer than the 1024 allowed". */
int h5r_read_names(h5r_file *f, const char *path, hid_t dset, size_t n, const char *what,
                   char ***out, qa_error *err);

/* Root attributes.  Return 1 when read, 0 when absent, -1 on error (wrong
** type or shape; for strings also not well-formed UTF-8 or longer than
** max_bytes). */
int h5r_attr_string(h5r_file *f, const char *name, size_t max_bytes, char **out,
                    qa_error *err);
int h5r_attr_double(h5r_file *f, const char *name, double *out, qa_error *err);
int h5r_attr_int64(h5r_file *f, const char *name, int64_t *out, qa_error *err);

/* "float32", "int64", "string", ... for inspect and messages. */
void h5r_type_name(hid_t type, char *buf, size_t cap);

/* Frees an array of n strings (and the array). */
void h5r_free_strings(char **s, size_t n);

#endif

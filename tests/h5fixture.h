/*
** Building HDF5 caches inside tests: a valid small cache in one call, and
** the primitives to write any dataset or attribute (including wrong ones)
** so that each validation test builds exactly the bad file it needs.
*/
#ifndef QA_TEST_H5FIXTURE_H
#define QA_TEST_H5FIXTURE_H

#include <hdf5.h>
#include <stdint.h>

/* Creates (truncating) an HDF5 file; returns its id or -1. */
hid_t fx_create(const char *path);
void fx_close(hid_t f);

/* Scalar root attributes. */
int fx_attr_str(hid_t f, const char *name, const char *value);
int fx_attr_f64(hid_t f, const char *name, double value);
int fx_attr_i64(hid_t f, const char *name, int64_t value);

/* A float dataset stored as ftype (e.g. H5T_IEEE_F32LE, fx_f16()) from
** doubles; intermediate groups are created.  gzip != 0 makes it chunked
** and deflate-compressed. */
int fx_floats(hid_t f, const char *path, hid_t ftype, int rank, const hsize_t *dims,
              const double *data, int gzip);
/* An integer dataset stored as ftype (e.g. H5T_STD_I64LE, H5T_STD_U8LE). */
int fx_ints(hid_t f, const char *path, hid_t ftype, int rank, const hsize_t *dims,
            const int64_t *data);
/* A [n] variable-length string dataset. */
int fx_strings(hid_t f, const char *path, const char *const *s, size_t n);

/* IEEE half precision, little endian (caller closes). */
hid_t fx_f16(void);

/* What fx_write_cache writes; fx_default_cache fills the usual values:
** N = 6 samples, D = 3, C = 3 classes "a","b","c", ids 10..15, one task
** "t1" (4 items, correct + metric "m"), perf timings. */
typedef struct fx_cache {
  const char *model, *variant;
  size_t n, d, c;
  int64_t ids[16];
  int64_t labels[16];
  double hidden[16 * 8];
  double logits[16 * 8];
  int with_prediction;
  size_t m;
  int64_t item_ids[16];
  int64_t correct[16];
  double score[16];
  int without_eval;      /* 1: no /eval group */
  int without_hidden;    /* 1: no /hidden group */
} fx_cache;

void fx_default_cache(fx_cache *c);
/* Writes c to path as a valid cache (hidden at /hidden/final). */
int fx_write_cache(const char *path, const fx_cache *c);

#endif

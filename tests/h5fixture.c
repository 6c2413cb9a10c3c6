/*
** Test-side HDF5 writers (see h5fixture.h).  Creation times are not
** tracked, so the same fixture gives the same bytes.
*/
#include "h5fixture.h"

#include <string.h>

static hid_t lcpl(void) {
  hid_t p = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(p, 1);
  return p;
}

hid_t fx_create(const char *path) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  H5Pset_obj_track_times(fcpl, 0);
  hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  H5Pclose(fcpl);
  return f;
}

void fx_close(hid_t f) {
  if (f >= 0) H5Fclose(f);
}

hid_t fx_f16(void) {
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  H5Tset_fields(t, 15, 10, 5, 0, 10);
  H5Tset_size(t, 2);
  H5Tset_ebias(t, 15);
  return t;
}

static int attr_write(hid_t f, const char *name, hid_t ftype, hid_t mtype, const void *v) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  int rc = a < 0 || H5Awrite(a, mtype, v) < 0 ? -1 : 0;
  if (a >= 0) H5Aclose(a);
  H5Sclose(space);
  return rc;
}

int fx_attr_str(hid_t f, const char *name, const char *value) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  int rc = attr_write(f, name, t, t, &value);
  H5Tclose(t);
  return rc;
}

int fx_attr_f64(hid_t f, const char *name, double value) {
  return attr_write(f, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

int fx_attr_i64(hid_t f, const char *name, int64_t value) {
  return attr_write(f, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

static int write_ds(hid_t f, const char *path, hid_t ftype, hid_t mtype, int rank,
                    const hsize_t *dims, const void *data, int gzip) {
  hid_t space = H5Screate_simple(rank, dims, NULL);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE), lc = lcpl();
  H5Pset_obj_track_times(dcpl, 0);
  if (gzip) {
    hsize_t chunk[2] = {dims[0] > 2 ? 2 : dims[0], rank > 1 ? dims[1] : 1};
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_deflate(dcpl, 6);
  }
  hid_t d = H5Dcreate2(f, path, ftype, space, lc, dcpl, H5P_DEFAULT);
  int rc = d < 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0;
  if (d >= 0) H5Dclose(d);
  H5Pclose(dcpl);
  H5Pclose(lc);
  H5Sclose(space);
  return rc;
}

int fx_floats(hid_t f, const char *path, hid_t ftype, int rank, const hsize_t *dims,
              const double *data, int gzip) {
  return write_ds(f, path, ftype, H5T_NATIVE_DOUBLE, rank, dims, data, gzip);
}

int fx_ints(hid_t f, const char *path, hid_t ftype, int rank, const hsize_t *dims,
            const int64_t *data) {
  return write_ds(f, path, ftype, H5T_NATIVE_INT64, rank, dims, data, 0);
}

int fx_strings(hid_t f, const char *path, const char *const *s, size_t n) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  hsize_t dims[1] = {n};
  int rc = write_ds(f, path, t, t, 1, dims, s, 0);
  H5Tclose(t);
  return rc;
}

void fx_default_cache(fx_cache *c) {
  memset(c, 0, sizeof *c);
  c->model = "m";
  c->variant = "v";
  c->n = 6; c->d = 3; c->c = 3;
  for (size_t i = 0; i < c->n; i++) {
    c->ids[i] = 10 + (int64_t)i;
    c->labels[i] = (int64_t)(i % 3);
    for (size_t j = 0; j < c->d; j++) c->hidden[i * c->d + j] = (double)(i + 1) * 0.5 - (double)j;
    for (size_t j = 0; j < c->c; j++) c->logits[i * c->c + j] = (j == i % 3) ? 2.0 : -1.0 + 0.25 * (double)j;
  }
  c->with_prediction = 1;
  c->m = 4;
  for (size_t i = 0; i < c->m; i++) {
    c->item_ids[i] = 100 + (int64_t)i;
    c->correct[i] = (int64_t)(i % 2);
    c->score[i] = 0.25 * (double)(i + 1);
  }
}

int fx_write_cache(const char *path, const fx_cache *c) {
  hid_t f = fx_create(path);
  if (f < 0) return -1;
  static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  hsize_t n[1] = {c->n}, nd[2] = {c->n, c->d}, nc[2] = {c->n, c->c}, m[1] = {c->m};
  int64_t pred[16];
  for (size_t i = 0; i < c->n; i++) {
    size_t best = 0;
    for (size_t j = 1; j < c->c; j++)
      if (c->logits[i * c->c + j] > c->logits[i * c->c + best]) best = j;
    pred[i] = (int64_t)best;
  }
  double dec[3] = {10, 12, 11}, ttft[3] = {50, 40, 45};
  hsize_t k[1] = {3};
  int rc = 0;
  if (c->model) rc |= fx_attr_str(f, "model", c->model);
  if (c->variant) rc |= fx_attr_str(f, "variant", c->variant);
  rc |= fx_attr_f64(f, "bits_per_weight", 8);
  rc |= fx_attr_i64(f, "params", 1000);
  rc |= fx_ints(f, "/samples/id", H5T_STD_I64LE, 1, n, c->ids);
  rc |= fx_ints(f, "/samples/label", H5T_STD_I32LE, 1, n, c->labels);
  rc |= fx_strings(f, "/samples/label_names", names, c->c);
  if (!c->without_hidden) rc |= fx_floats(f, "/hidden/final", H5T_IEEE_F64LE, 2, nd, c->hidden, 0);
  rc |= fx_floats(f, "/outputs/logits", H5T_IEEE_F32LE, 2, nc, c->logits, 0);
  if (c->with_prediction) rc |= fx_ints(f, "/outputs/prediction", H5T_STD_I32LE, 1, n, pred);
  if (!c->without_eval) {
    rc |= fx_ints(f, "/eval/t1/correct", H5T_STD_U8LE, 1, m, c->correct);
    rc |= fx_ints(f, "/eval/t1/id", H5T_STD_I64LE, 1, m, c->item_ids);
    rc |= fx_floats(f, "/eval/t1/score/m", H5T_IEEE_F64LE, 1, m, c->score, 0);
  }
  rc |= fx_floats(f, "/perf/decode_tok_s", H5T_IEEE_F64LE, 1, k, dec, 0);
  rc |= fx_floats(f, "/perf/ttft_ms", H5T_IEEE_F64LE, 1, k, ttft, 0);
  fx_close(f);
  return rc ? -1 : 0;
}

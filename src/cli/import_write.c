/*
** Writing an imported cache (INTERFACE.md section 2) with the HDF5 C API:
** root attributes, /eval/<task>/{correct,id,stratum,stratum_names,
** score/<metric>} and /perf/decode_tok_s.
**
** The types are the narrowest the format allows and the reader accepts
** (input/h5read.h): correct uint8, ids int64, strata int32, scores and
** throughput float64, names variable-length UTF-8 strings.  Writes into
** a temporary file only (cli/import.c renames it); never prints: HDF5's
** automatic error stack is off and each failure names the HDF5 path.
*/
#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "cli/import_internal.h"

typedef struct writer {
  hid_t fid;
  const char *final;     /* the cache's name, for messages */
} writer;

static int fail(const writer *w, const char *path, const char *what, qa_error *err) {
  return qa_error_set(err, QA_EXIT_IO, w->final, path, "cannot write %s (HDF5)", what);
}

static hid_t utf8_string(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  if (t < 0) return -1;
  if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
    H5Tclose(t);
    return -1;
  }
  return t;
}

static int attr(writer *w, const char *name, hid_t ftype, hid_t mtype, const void *value,
                qa_error *err) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = space < 0 ? -1 : H5Acreate2(w->fid, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  int ok = a >= 0 && H5Awrite(a, mtype, value) >= 0;
  if (a >= 0) ok &= H5Aclose(a) >= 0;
  if (space >= 0) H5Sclose(space);
  return ok ? 0 : fail(w, "/", name, err);
}

static int attr_text(writer *w, const char *name, const char *value, qa_error *err) {
  if (!value) return 0;
  hid_t t = utf8_string();
  if (t < 0) return fail(w, "/", name, err);
  int rc = attr(w, name, t, t, &value, err);
  H5Tclose(t);
  return rc;
}

static int write_attrs(writer *w, const import_attrs *a, qa_error *err) {
  if (attr_text(w, "model", a->model, err) || attr_text(w, "variant", a->variant, err) ||
      attr_text(w, "quant_scheme", a->quant_scheme, err) ||
      attr_text(w, "calibration", a->calibration, err) ||
      attr_text(w, "backend", a->backend, err) || attr_text(w, "hardware", a->hardware, err))
    return -1;
  if (a->has_bits_per_weight &&
      attr(w, "bits_per_weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &a->bits_per_weight, err))
    return -1;
  if (a->has_params && attr(w, "params", H5T_STD_I64LE, H5T_NATIVE_INT64, &a->params, err))
    return -1;
  return 0;
}

/* A [n] dataset at path, intermediate groups created; chunked and
** deflated when it is long enough for that to pay. */
static int dataset(writer *w, const char *path, hid_t ftype, hid_t mtype, size_t n,
                   const void *data, qa_error *err) {
  hsize_t dims[1] = {n}, chunk[1] = {n < 65536 ? n : 65536};
  hid_t space = H5Screate_simple(1, dims, NULL);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE), dcpl = H5Pcreate(H5P_DATASET_CREATE);
  int ok = space >= 0 && lcpl >= 0 && dcpl >= 0 &&
           H5Pset_create_intermediate_group(lcpl, 1) >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0;
  if (ok && n >= 4096 && H5Tget_class(ftype) != H5T_STRING)
    ok = H5Pset_chunk(dcpl, 1, chunk) >= 0 && H5Pset_deflate(dcpl, 4) >= 0;
  hid_t d = ok ? H5Dcreate2(w->fid, path, ftype, space, lcpl, dcpl, H5P_DEFAULT) : -1;
  ok = d >= 0 && H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
  if (d >= 0) ok &= H5Dclose(d) >= 0;
  if (dcpl >= 0) H5Pclose(dcpl);
  if (lcpl >= 0) H5Pclose(lcpl);
  if (space >= 0) H5Sclose(space);
  return ok ? 0 : fail(w, path, "the dataset", err);
}

static int write_task(writer *w, const import_task *t, qa_error *err) {
  char path[2 * 1024 + 64];
  snprintf(path, sizeof path, "/eval/%s/correct", t->name);
  if (dataset(w, path, H5T_STD_U8LE, H5T_NATIVE_UINT8, t->n_items, t->correct, err)) return -1;
  snprintf(path, sizeof path, "/eval/%s/id", t->name);
  if (dataset(w, path, H5T_STD_I64LE, H5T_NATIVE_INT64, t->n_items, t->ids, err)) return -1;
  if (t->score_name) {
    snprintf(path, sizeof path, "/eval/%s/score/%s", t->name, t->score_name);
    if (dataset(w, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->n_items, t->score, err))
      return -1;
  }
  if (t->stratum) {
    snprintf(path, sizeof path, "/eval/%s/stratum", t->name);
    if (dataset(w, path, H5T_STD_I32LE, H5T_NATIVE_INT32, t->n_items, t->stratum, err))
      return -1;
    snprintf(path, sizeof path, "/eval/%s/stratum_names", t->name);
    hid_t s = utf8_string();
    if (s < 0) return fail(w, path, "the names", err);
    int rc = dataset(w, path, s, s, t->n_strata, t->stratum_names, err);
    H5Tclose(s);
    if (rc) return -1;
  }
  return 0;
}

int qa_import_write(const char *path, const char *final, int existing,
                    const import_attrs *attrs, const import_cache *c, qa_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  writer w = {-1, final};
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  if (fapl < 0 || fcpl < 0) {
    if (fapl >= 0) H5Pclose(fapl);
    if (fcpl >= 0) H5Pclose(fcpl);
    return qa_error_set(err, QA_EXIT_IO, final, NULL, "cannot start HDF5");
  }
  w.fid = existing ? H5Fopen(path, H5F_ACC_RDWR, fapl)
                   : H5Fcreate(path, H5F_ACC_EXCL, fcpl, fapl);
  H5Pclose(fapl);
  H5Pclose(fcpl);
  if (w.fid < 0)
    return qa_error_set(err, QA_EXIT_IO, final, NULL, "cannot %s the cache's temporary %s (HDF5)",
                        existing ? "open" : "create", path);
  int rc = write_attrs(&w, attrs, err);
  for (size_t t = 0; !rc && t < c->n_tasks; t++) rc = write_task(&w, &c->tasks[t], err);
  if (!rc && c->n_decode)
    rc = dataset(&w, "/perf/decode_tok_s", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, c->n_decode,
                 c->decode_tok_s, err);
  if (H5Fclose(w.fid) < 0 && !rc) rc = fail(&w, NULL, "the file", err);
  return rc;
}

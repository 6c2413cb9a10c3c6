/*
** Hidden layers read on demand (layer_read.h).
**
**   parent: check the memory, size the in-memory file, fork (isolate.h)
**   child:  open the file, and for each layer h5r_open (type, rank,
**           filters, the memory guard), row blocks aligned to the chunks
**           read by h5r_read_rows (16-bit floats as words), widened and
**           checked finite by tokread.h's qa_tokread_row_to_double, each
**           row copied to its baseline row in the shared mapping of the
**           in-memory file
**   parent: map the in-memory file; the layers are its consecutive arrays
**
** This file must never keep a layer in the child's own memory beyond one
** block, and never hand the parent rows it has not checked.
*/
#include "input/layer_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "input/cache_wire.h"
#include "input/h5read.h"
#include "input/isolate.h"
#include "input/tokread.h"

/* Bytes of one block of rows the child reads at a time, about. */
#define BLOCK_BYTES (8u << 20)

uint64_t qa_layer_bytes(size_t rows, size_t cols) {
  if (cols && rows > UINT64_MAX / 8 / cols) return UINT64_MAX;
  return (uint64_t)rows * cols * 8;
}

void qa_layer_set_free(qa_layer_set *s) {
  if (!s) return;
  if (s->map && s->map != MAP_FAILED) munmap(s->map, s->map_bytes);
  if (s->map && s->fd >= 0) close(s->fd);
  free(s->x);
  memset(s, 0, sizeof *s);
  s->fd = -1;
}

/* Refuses layers that cannot fit, before anything is allocated. */
static int check_memory(const qa_layer_request *r, uint64_t *total, qa_error *err) {
  char path[64 + 1100];
  uint64_t sum = 0;
  for (size_t k = 0; k < r->n_layers; k++) {
    uint64_t need = qa_layer_bytes(r->rows, r->cols[k]);
    sum = need == UINT64_MAX || sum > UINT64_MAX - need ? UINT64_MAX : sum + need;
    if (sum > r->max_bytes || sum > SIZE_MAX / 2) {
      snprintf(path, sizeof path, "/hidden/%s", r->names[k]);
      return qa_error_set(err, QA_EXIT_DATA, r->path, path,
                          "shape [%zu,%zu] needs %.3g GB in memory%s, more than the %.3g GB %s",
                          r->rows, r->cols[k], (double)need / 1e9,
                          k ? " with the layers read before it" : "",
                          (double)r->max_bytes / 1e9,
                          r->limit_what ? r->limit_what : "available");
    }
  }
  *total = sum;
  return 0;
}

/* ---- the child's part ---------------------------------------------------- */

typedef struct job {
  const qa_layer_request *req;
  int fd;
  size_t bytes;
} job;

static hid_t open_cache(const char *path, qa_error *err) {
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  htri_t is = H5Fis_hdf5(path);
  hid_t fid = is > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
  if (fid < 0)
    return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                        "not an HDF5 file or truncated; expected an HDF5 cache (INTERFACE "
                        "section 2)");
  return fid;
}

/* Rows a block holds: whole chunks of the dataset (each chunk decoded
** once), about BLOCK_BYTES, at least one row. */
static size_t block_rows(hid_t dset, size_t rows, size_t cols) {
  size_t want = BLOCK_BYTES / (cols * 8), chunk = 0;
  hid_t dcpl = H5Dget_create_plist(dset);
  if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t cd[2] = {0, 0};
    if (H5Pget_chunk(dcpl, 2, cd) == 2) chunk = (size_t)cd[0];
  }
  if (dcpl >= 0) H5Pclose(dcpl);
  if (chunk) want = want < chunk ? chunk : want / chunk * chunk;
  if (want < 1) want = 1;
  return want < rows ? want : rows;
}

/* The memory type a layer is read in: IEEE half and bfloat16 as their own
** 16-bit words (HDF5 1.10 converts them in software, ten times slower
** than widening them here: tokread.h), *kind QA_TOKRAW_F16 or _BF16;
** 4-byte floats as native floats (_F32), any other as doubles (_F64).
** -1 when the type cannot be read. */
static hid_t memory_type(hid_t dset, int *kind) {
  hid_t ftype = H5Dget_type(dset), mtype = -1;
  *kind = QA_TOKRAW_F64;
  if (ftype < 0) return -1;
  size_t spos, epos, esize, mpos, msize, bias = H5Tget_ebias(ftype);
  if (H5Tget_size(ftype) == 2 &&
      H5Tget_fields(ftype, &spos, &epos, &esize, &mpos, &msize) >= 0 && spos == 15 &&
      mpos == 0 && ((epos == 10 && esize == 5 && msize == 10 && bias == 15) ||
                    (epos == 7 && esize == 8 && msize == 7 && bias == 127))) {
    mtype = H5Tcopy(ftype);
    if (mtype >= 0 && H5Tset_order(mtype, H5Tget_order(H5T_NATIVE_FLOAT)) < 0) {
      H5Tclose(mtype);
      mtype = -1;
    }
    *kind = epos == 10 ? QA_TOKRAW_F16 : QA_TOKRAW_BF16;
  } else if (H5Tget_size(ftype) == 4) {
    mtype = H5Tcopy(H5T_NATIVE_FLOAT);
    *kind = QA_TOKRAW_F32;
  } else {
    mtype = H5Tcopy(H5T_NATIVE_DOUBLE);
  }
  H5Tclose(ftype);
  return mtype;
}

/* One layer: blocks of rows read, widened to doubles, checked finite, and
** each row put in its baseline row of dst (rows x cols). */
static int read_layer(h5r_file *f, const qa_layer_request *r, size_t k, double *dst,
                      qa_error *err) {
  char path[64 + 1100];
  size_t cols = r->cols[k];
  snprintf(path, sizeof path, "/hidden/%s", r->names[k]);
  hsize_t dims[2];
  hid_t d = h5r_open(f, path, H5R_FLOAT, 2, dims, err);
  if (d < 0) return -1;
  int rc = 0, kind;
  void *raw = NULL;
  double *row = NULL;
  hid_t mtype = memory_type(d, &kind);
  size_t elem = kind == QA_TOKRAW_F64 ? 8 : kind == QA_TOKRAW_F32 ? 4 : 2;
  if ((size_t)dims[0] != r->rows || (size_t)dims[1] != cols) {
    rc = qa_error_set(err, QA_EXIT_DATA, f->path, path,
                      "shape [%llu,%llu], but it was [%zu,%zu] when the cache was loaded; the "
                      "file changed while qaudit read it", (unsigned long long)dims[0],
                      (unsigned long long)dims[1], r->rows, cols);
    goto done;
  }
  if (mtype < 0) {
    rc = qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be read (file damaged?)");
    goto done;
  }
  size_t blk = block_rows(d, r->rows, cols);
  if (!(raw = malloc(blk * cols * elem)) || !(row = malloc(cols * sizeof *row))) {
    rc = qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
    goto done;
  }
  for (size_t r0 = 0; !rc && r0 < r->rows; r0 += blk) {
    size_t n = r->rows - r0 < blk ? r->rows - r0 : blk;
    if ((rc = h5r_read_rows(f, path, d, mtype, r0, n, cols, raw, err))) break;
    for (size_t i = 0; !rc && i < n; i++) {
      size_t to = r->row_dest ? r->row_dest[r0 + i] : r0 + i;
      const char *src = (const char *)raw + i * cols * elem;
      size_t bad = qa_tokread_row_to_double(kind, src, cols, row);
      if (bad < cols)
        /* As the cache reader says it, in the file's own row order. */
        rc = qa_error_set(err, QA_EXIT_DATA, f->path, path,
                          "%s at row %zu, column %zu; expected finite values",
                          isnan(row[bad]) ? "NaN" : "Inf", r0 + i, bad);
      else
        memcpy(dst + to * cols, row, cols * sizeof *row);
    }
  }
done:
  free(raw);
  free(row);
  if (mtype >= 0) H5Tclose(mtype);
  H5Dclose(d);
  return rc;
}

static int child_read(void *arg, qa_error *err) {
  job *j = arg;
  const qa_layer_request *r = j->req;
  hid_t fid = open_cache(r->path, err);
  if (fid < 0) return -1;
  h5r_file f = {r->path, fid, r->max_bytes, r->limit_what, 0};
  H5O_info_t root;
  int rc = 0;
  if (H5Oget_info(fid, &root) < 0)
    rc = qa_error_set(err, QA_EXIT_DATA, r->path, "/", "cannot be read (file damaged?)");
  f.fileno = root.fileno;
  double *map = rc ? MAP_FAILED
                   : mmap(NULL, j->bytes, PROT_READ | PROT_WRITE, MAP_SHARED, j->fd, 0);
  if (!rc && map == MAP_FAILED)
    rc = qa_error_set(err, QA_EXIT_IO, r->path, "/hidden",
                      "cannot map the in-memory file for the layers (out of memory?)");
  /* The layers follow each other in the in-memory file. */
  for (size_t k = 0, off = 0; !rc && k < r->n_layers; off += r->rows * r->cols[k++])
    rc = read_layer(&f, r, k, map + off, err);
  if (map != MAP_FAILED) munmap(map, j->bytes);
  H5Fclose(fid);
  return rc;
}

/* ---- the parent's part --------------------------------------------------- */

int qa_layer_read(const qa_layer_request *req, qa_layer_set *out, qa_error *err) {
  memset(out, 0, sizeof *out);
  out->fd = -1;
  uint64_t total = 0;
  if (!req->n_layers) return 0;
  if (check_memory(req, &total, err)) return -1;
  int fd = qa_cache_wire_fd();
  if (fd < 0)
    return qa_error_set(err, QA_EXIT_IO, req->path, "/hidden",
                        "cannot create an in-memory file for the layers");
  if (ftruncate(fd, (off_t)total) != 0) {
    close(fd);
    return qa_error_set(err, QA_EXIT_IO, req->path, "/hidden",
                        "cannot size the in-memory file for the layers (%.3g GB)",
                        (double)total / 1e9);
  }
  job j = {req, fd, (size_t)total};
  if (qa_isolated(req->path, child_read, &j, qa_isolation_timeout(req->path), err)) {
    close(fd);
    return -1;
  }
  void *map = mmap(NULL, (size_t)total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  double **x = malloc(req->n_layers * sizeof *x);
  if (map == MAP_FAILED || !x) {
    if (map != MAP_FAILED) munmap(map, (size_t)total);
    free(x);
    close(fd);
    return qa_error_set(err, QA_EXIT_IO, req->path, "/hidden",
                        "cannot map the layers read (out of memory?)");
  }
  for (size_t k = 0, off = 0; k < req->n_layers; off += req->rows * req->cols[k++])
    x[k] = (double *)map + off;
  out->n_layers = req->n_layers;
  out->rows = req->rows;
  out->x = x;
  out->map = map;
  out->map_bytes = (size_t)total;
  out->fd = fd;
  return 0;
}

/*
** Checked HDF5 reads for the cache reader (see h5read.h).
**
** The HDF5 library converts between stored and memory types for us
** (float16 to double included); what we add is the checking: class, rank,
** non-empty, no external storage, no external links, a size that fits in
** memory, filters the library can decode, integers that fit, names that
** are UTF-8 of a bounded length, and a message that names the file and
** path when anything fails.
**
** It must never let HDF5 follow a soft or external link: every path is
** resolved link by link first (h5r_resolve, in h5links.c) and only the
** resulting path of hard links is handed to H5Dopen2/H5Gopen2.
*/
#include "input/h5read.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"

static const char *kind_name(int kind) {
  return kind == H5R_FLOAT ? "float" : kind == H5R_INT ? "integer" : "string";
}

void h5r_type_name(hid_t type, char *buf, size_t cap) {
  size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
  case H5T_FLOAT:
    snprintf(buf, cap, "float%zu", size * 8);
    break;
  case H5T_INTEGER:
    snprintf(buf, cap, "%s%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", size * 8);
    break;
  case H5T_STRING:
    snprintf(buf, cap, "%s", H5Tis_variable_str(type) > 0 ? "string" : "fixed string");
    break;
  case H5T_ENUM:
    snprintf(buf, cap, "enum%zu", size * 8);
    break;
  case H5T_COMPOUND: snprintf(buf, cap, "compound"); break;
  case H5T_ARRAY:    snprintf(buf, cap, "array"); break;
  case H5T_VLEN:     snprintf(buf, cap, "vlen"); break;
  case H5T_REFERENCE: snprintf(buf, cap, "reference"); break;
  case H5T_OPAQUE:   snprintf(buf, cap, "opaque"); break;
  case H5T_BITFIELD: snprintf(buf, cap, "bitfield"); break;
  default:           snprintf(buf, cap, "unknown type"); break;
  }
}

/* An enum of 1-byte integers (h5py's bool) reads as integers. */
static int is_bool_enum(hid_t type) {
  return H5Tget_class(type) == H5T_ENUM && H5Tget_size(type) == 1;
}

static int class_matches(hid_t type, int kind) {
  H5T_class_t c = H5Tget_class(type);
  if (kind == H5R_FLOAT) return c == H5T_FLOAT;
  if (kind == H5R_INT) return c == H5T_INTEGER || is_bool_enum(type);
  return c == H5T_STRING;
}

static void format_dims(char *buf, size_t cap, int rank, const hsize_t *dims) {
  size_t used = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%llu", i ? "," : "",
                             (unsigned long long)dims[i]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

/* The usual name of a registered filter id (the HDF Group's list), for
** the message about one this library lacks. */
static const char *filter_name(H5Z_filter_t id) {
  static const struct { H5Z_filter_t id; const char *name; } known[] = {
    {1, "gzip"}, {2, "shuffle"}, {3, "fletcher32"}, {4, "szip"}, {5, "nbit"},
    {6, "scaleoffset"}, {305, "lzo"}, {307, "bzip2"}, {32000, "lzf"}, {32001, "blosc"},
    {32004, "lz4"}, {32008, "bitshuffle"}, {32013, "zfp"}, {32015, "zstd"}, {32017, "sz"},
    {32026, "blosc2"},
  };
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (known[i].id == id) return known[i].name;
  return NULL;
}

/* Refuses data compressed with a filter this HDF5 library cannot decode.
** A mandatory one is refused before reading (any read would fail); an
** optional one only when the read failed (only_mandatory == 0): HDF5 skips
** an optional filter it lacks when writing, and such chunks read fine. */
static int check_filters(h5r_file *f, const char *path, hid_t dcpl, int only_mandatory,
                         qa_error *err) {
  int nf = H5Pget_nfilters(dcpl);
  for (int i = 0; i < nf; i++) {
    unsigned flags = 0, cd[8];
    size_t n_cd = sizeof cd / sizeof *cd;
    char stored[64] = "";
    H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &n_cd, cd, sizeof stored,
                                     stored, NULL);
    if (id < 0)
      return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                          "filter pipeline cannot be read (file damaged?)");
    if (H5Zfilter_avail(id) > 0 || (only_mandatory && (flags & H5Z_FLAG_OPTIONAL))) continue;
    const char *name = filter_name(id);
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "compressed with filter %d%s%s%s, which this HDF5 library cannot "
                        "decode; rewrite it with gzip or no compression", (int)id,
                        name ? " (" : "", name ? name : "", name ? "?)" : "");
  }
  return 0;
}

hid_t h5r_open_group(h5r_file *f, const char *path, qa_error *err) {
  char hard[H5R_PATH_MAX];
  int e = h5r_resolve(f, path, hard, err);
  if (e <= 0)
    return e < 0 ? -1 : qa_error_set(err, QA_EXIT_DATA, f->path, path, "not found");
  H5O_info_t oi;
  if (H5Oget_info_by_name2(f->fid, hard, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be read (file damaged?)");
  if (h5r_same_file(f, path, &oi, err)) return -1;
  if (oi.type != H5O_TYPE_GROUP)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "is a dataset, expected a group");
  hid_t g = H5Gopen2(f->fid, hard, H5P_DEFAULT);
  if (g < 0) return qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be opened");
  return g;
}

hid_t h5r_open(h5r_file *f, const char *path, int kind, int rank, hsize_t *dims,
               qa_error *err) {
  int streamed = (kind & H5R_STREAMED) != 0;
  kind &= ~H5R_STREAMED;
  char hard[H5R_PATH_MAX];
  int e = h5r_resolve(f, path, hard, err);
  if (e <= 0)
    return e < 0 ? -1 : qa_error_set(err, QA_EXIT_DATA, f->path, path, "not found");
  H5O_info_t oinfo;
  if (H5Oget_info_by_name2(f->fid, hard, &oinfo, H5O_INFO_BASIC, H5P_DEFAULT) < 0)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be read (file damaged?)");
  if (h5r_same_file(f, path, &oinfo, err)) return -1;
  if (oinfo.type != H5O_TYPE_DATASET)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "is a group, expected a dataset");
  hid_t dset = H5Dopen2(f->fid, hard, H5P_DEFAULT);
  if (dset < 0)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be opened (file damaged?)");
  hid_t type = H5Dget_type(dset), space = H5Dget_space(dset), dcpl = H5Dget_create_plist(dset);
  int rc = -1;
  char tname[32];
  if (type < 0 || space < 0 || dcpl < 0) {
    qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be opened (file damaged?)");
    goto done;
  }
  if (!class_matches(type, kind)) {
    h5r_type_name(type, tname, sizeof tname);
    qa_error_set(err, QA_EXIT_DATA, f->path, path, "type %s, expected %s", tname,
                 kind_name(kind));
    goto done;
  }
  if (H5Pget_layout(dcpl) == H5D_VIRTUAL) {
    qa_error_set(err, QA_EXIT_DATA, f->path, path,
                 "is a virtual dataset mapping other files; a cache must be self-contained");
    goto done;
  }
  if (H5Pget_external_count(dcpl) > 0) {
    qa_error_set(err, QA_EXIT_DATA, f->path, path,
                 "uses external storage; a cache must be self-contained");
    goto done;
  }
  if (check_filters(f, path, dcpl, 1, err)) goto done;
  int r = H5Sget_simple_extent_ndims(space);
  hsize_t got[H5S_MAX_RANK];
  if (r < 0 || H5Sget_simple_extent_dims(space, got, NULL) < 0) {
    qa_error_set(err, QA_EXIT_DATA, f->path, path, "unreadable dataspace");
    goto done;
  }
  if (r != rank) {
    char shape[96];
    format_dims(shape, sizeof shape, r, got);
    qa_error_set(err, QA_EXIT_DATA, f->path, path, "rank %d %s, expected rank %d", r,
                 r ? shape : "(scalar)", rank);
    goto done;
  }
  uint64_t elems = 1;
  for (int i = 0; i < rank; i++) {
    dims[i] = got[i];
    if (got[i] == 0) {
      qa_error_set(err, QA_EXIT_DATA, f->path, path, "is empty (dimension %d is 0)", i);
      goto done;
    }
    if (elems > UINT64_MAX / got[i]) elems = UINT64_MAX;
    else elems *= got[i];
  }
  /* Every element becomes at most 8 bytes in memory.  A streamed dataset
  ** holds a few rows at a time instead (analysis/tokens.c): one row of its
  ** chunks in the chunk cache and two blocks of whole chunk rows, so a row
  ** of chunks as doubles, three times over, must fit. */
  if (streamed && f->max_bytes != UINT64_MAX && rank == 2 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t cd[2] = {0, 0};
    if (H5Pget_chunk(dcpl, 2, cd) == 2 && cd[0] && cd[1]) {
      double row = (double)cd[0] * (double)((got[1] + cd[1] - 1) / cd[1]) * (double)cd[1] * 8.0;
      if (3.0 * row > (double)f->max_bytes) {
        qa_error_set(err, QA_EXIT_DATA, f->path, path,
                     "chunks of [%llu,%llu] need %.3g GB in memory to be streamed, more than "
                     "the %.3g GB %s", (unsigned long long)cd[0], (unsigned long long)cd[1],
                     3.0 * row / 1e9, (double)f->max_bytes / 1e9,
                     f->limit_what ? f->limit_what : "available");
        goto done;
      }
    }
  }
  if (!streamed && elems > f->max_bytes / 8) {
    char shape[96];
    format_dims(shape, sizeof shape, rank, got);
    qa_error_set(err, QA_EXIT_DATA, f->path, path,
                 "shape %s needs %.3g GB in memory, more than the %.3g GB %s",
                 shape, (double)elems * 8 / 1e9, (double)f->max_bytes / 1e9,
                 f->limit_what ? f->limit_what : "available");
    goto done;
  }
  /* A file that claims far more data than it stores (unwritten chunks
  ** read as fill values) would make us allocate for nothing: gzip does not
  ** compress beyond about 1000:1.  (Not checked while only listing layers,
  ** max_bytes == UINT64_MAX.) */
  hsize_t stored = H5Dget_storage_size(dset);
  uint64_t need = elems * (uint64_t)H5Tget_size(type);
  if (f->max_bytes != UINT64_MAX && need > (uint64_t)1 << 20 &&
      need / 1024 > (uint64_t)stored) {
    char shape[96];
    format_dims(shape, sizeof shape, rank, got);
    qa_error_set(err, QA_EXIT_DATA, f->path, path,
                 "shape %s claims %.3g MB but the file stores %.3g MB of it; expected "
                 "written data", shape, (double)need / 1e6, (double)stored / 1e6);
    goto done;
  }
  rc = 0;
done:
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (dcpl >= 0) H5Pclose(dcpl);
  if (rc) { H5Dclose(dset); return -1; }
  return dset;
}

/* A read that failed: because of a filter this library lacks (optional
** filters are only found out here), or because the file is damaged. */
static int read_fail(h5r_file *f, const char *path, hid_t dset, qa_error *err) {
  hid_t dcpl = dset >= 0 ? H5Dget_create_plist(dset) : -1;
  int filtered = dcpl >= 0 && check_filters(f, path, dcpl, 0, err) != 0;
  if (dcpl >= 0) H5Pclose(dcpl);
  if (filtered) return -1;
  return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                      "data cannot be read (file truncated or damaged)");
}

int h5r_read_double(h5r_file *f, const char *path, hid_t dset, size_t n, double **out,
                    qa_error *err) {
  *out = NULL;
  double *buf = malloc(n * sizeof *buf);
  if (!buf) return qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
  if (H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
    free(buf);
    return read_fail(f, path, dset, err);
  }
  *out = buf;
  return 0;
}

int h5r_read_rows(h5r_file *f, const char *path, hid_t dset, hid_t mtype, size_t r0,
                  size_t rows, size_t cols, void *buf, qa_error *err) {
  hsize_t start[2] = {r0, 0}, count[2] = {rows, cols};
  hid_t file_space = H5Dget_space(dset), mem_space = H5Screate_simple(2, count, NULL);
  herr_t st = file_space >= 0 && mem_space >= 0
                  ? H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL)
                  : -1;
  if (st >= 0) st = H5Dread(dset, mtype, mem_space, file_space, H5P_DEFAULT, buf);
  if (file_space >= 0) H5Sclose(file_space);
  if (mem_space >= 0) H5Sclose(mem_space);
  return st < 0 ? read_fail(f, path, dset, err) : 0;
}

/* HDF5 clamps an integer that does not fit the memory type (a 128-bit
** value into int64) unless told otherwise: abort the read instead. */
static H5T_conv_ret_t refuse_overflow(H5T_conv_except_t what, hid_t src, hid_t dst,
                                      void *src_buf, void *dst_buf, void *flag) {
  (void)src; (void)dst; (void)src_buf; (void)dst_buf;
  if (what == H5T_CONV_EXCEPT_RANGE_HI || what == H5T_CONV_EXCEPT_RANGE_LOW) {
    *(int *)flag = 1;
    return H5T_CONV_ABORT;
  }
  return H5T_CONV_UNHANDLED;
}

/* Reads a 1-byte enum (h5py's bool): HDF5 converts no enum to an integer,
** so the raw bytes are read and given the base type's sign. */
static herr_t read_enum8(hid_t dset, hid_t type, size_t n, int64_t *buf) {
  uint8_t *raw = malloc(n ? n : 1);
  hid_t mem = H5Tget_native_type(type, H5T_DIR_ASCEND), base = H5Tget_super(type);
  herr_t st = (raw && mem >= 0 && base >= 0)
                  ? H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) : -1;
  int is_signed = base >= 0 && H5Tget_sign(base) == H5T_SGN_2;
  for (size_t i = 0; st >= 0 && i < n; i++)
    buf[i] = is_signed ? (int64_t)(int8_t)raw[i] : (int64_t)raw[i];
  if (mem >= 0) H5Tclose(mem);
  if (base >= 0) H5Tclose(base);
  free(raw);
  return st;
}

int h5r_read_int64(h5r_file *f, const char *path, hid_t dset, size_t n, int64_t **out,
                   qa_error *err) {
  *out = NULL;
  int64_t *buf = malloc(n * sizeof *buf);
  hid_t type = H5Dget_type(dset), dxpl = H5Pcreate(H5P_DATASET_XFER);
  int rc = -1, overflow = 0;
  if (!buf || type < 0 || dxpl < 0) {
    qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
    goto done;
  }
  if (H5Pset_type_conv_cb(dxpl, refuse_overflow, &overflow) < 0) {
    qa_error_set(err, QA_EXIT_IO, f->path, path, "cannot set up the integer conversion");
    goto done;
  }
  herr_t st;
  if (is_bool_enum(type)) {
    st = read_enum8(dset, type, n, buf);
  } else if (H5Tget_sign(type) == H5T_SGN_NONE && H5Tget_size(type) >= 8) {
    /* uint64 read as uint64, so that a value above INT64_MAX is named
    ** rather than clamped. */
    uint64_t *u = (uint64_t *)buf;
    st = H5Dread(dset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, dxpl, u);
    for (size_t i = 0; st >= 0 && i < n; i++)
      if (u[i] > (uint64_t)INT64_MAX) {
        qa_error_set(err, QA_EXIT_DATA, f->path, path,
                     "value %llu at element %zu is larger than %lld, the int64 maximum; "
                     "expected values that fit in int64", (unsigned long long)u[i], i,
                     (long long)INT64_MAX);
        goto done;
      }
  } else {
    st = H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, dxpl, buf);
  }
  if (st < 0) {
    if (overflow) {
      char tname[32];
      h5r_type_name(type, tname, sizeof tname);
      qa_error_set(err, QA_EXIT_DATA, f->path, path,
                   "holds %s values outside the int64 range; expected values that fit in "
                   "int64", tname);
    } else {
      read_fail(f, path, dset, err);
    }
    goto done;
  }
  *out = buf;
  buf = NULL;
  rc = 0;
done:
  free(buf);
  if (type >= 0) H5Tclose(type);
  if (dxpl >= 0) H5Pclose(dxpl);
  return rc;
}

void h5r_free_strings(char **s, size_t n) {
  if (!s) return;
  for (size_t i = 0; i < n; i++) free(s[i]);
  free(s);
}

/* Reads n strings (variable or fixed length) from a dataset or attribute. */
static int read_strings_obj(hid_t obj, int is_attr, size_t n, char ***out) {
  hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
  if (ftype < 0) return -1;
  int rc = -1;
  char **res = calloc(n ? n : 1, sizeof *res);
  hid_t mem = H5Tcopy(H5T_C_S1);
  if (!res || mem < 0) goto done;
  H5Tset_cset(mem, H5Tget_cset(ftype));
  if (H5Tis_variable_str(ftype) > 0) {
    char **raw = calloc(n ? n : 1, sizeof *raw);
    if (!raw) goto done;
    H5Tset_size(mem, H5T_VARIABLE);
    herr_t st = is_attr ? H5Aread(obj, mem, raw) : H5Dread(obj, mem, H5S_ALL, H5S_ALL,
                                                            H5P_DEFAULT, raw);
    if (st >= 0) {
      rc = 0;
      for (size_t i = 0; i < n; i++)
        if (!(res[i] = strdup(raw[i] ? raw[i] : ""))) rc = -1;
      /* Release the library's copies (H5Dvlen_reclaim is 1.10's name). */
      hid_t space = H5Screate_simple(1, (hsize_t[]){n ? n : 1}, NULL);
      if (space >= 0) {
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, raw);
        H5Sclose(space);
      }
    }
    free(raw);
  } else {
    size_t size = H5Tget_size(ftype);
    char *raw = malloc(n * size + 1);
    if (!raw || H5Tset_size(mem, size) < 0) { free(raw); goto done; }
    H5Tset_strpad(mem, H5T_STR_NULLPAD);
    herr_t st = is_attr ? H5Aread(obj, mem, raw) : H5Dread(obj, mem, H5S_ALL, H5S_ALL,
                                                            H5P_DEFAULT, raw);
    if (st >= 0) {
      rc = 0;
      for (size_t i = 0; i < n; i++) {
        const char *s = raw + i * size;
        size_t len = strnlen(s, size);
        if (!(res[i] = malloc(len + 1))) { rc = -1; continue; }
        memcpy(res[i], s, len);
        res[i][len] = '\0';
        /* Fixed-length strings are often space padded. */
        while (len > 0 && res[i][len - 1] == ' ') res[i][--len] = '\0';
      }
    }
    free(raw);
  }
done:
  if (mem >= 0) H5Tclose(mem);
  H5Tclose(ftype);
  if (rc) { h5r_free_strings(res, n); return -1; }
  *out = res;
  return 0;
}

int h5r_read_strings(h5r_file *f, const char *path, hid_t dset, size_t n, char ***out,
                     qa_error *err) {
  *out = NULL;
  /* Fixed-length strings take their declared size each, whatever they
  ** hold: know the size before allocating it. */
  hid_t type = H5Dget_type(dset);
  size_t size = type >= 0 && H5Tis_variable_str(type) <= 0 ? H5Tget_size(type) : 0;
  if (type >= 0) H5Tclose(type);
  if (size > 8 && n > f->max_bytes / size)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "%zu fixed-length strings of %zu bytes need more memory than the "
                        "%.3g GB %s", n, size, (double)f->max_bytes / 1e9,
                        f->limit_what ? f->limit_what : "available");
  if (read_strings_obj(dset, 0, n, out)) return read_fail(f, path, dset, err);
  return 0;
}

int h5r_read_names(h5r_file *f, const char *path, hid_t dset, size_t n, const char *what,
                   char ***out, qa_error *err) {
  if (h5r_read_strings(f, path, dset, n, out, err)) return -1;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen((*out)[i]), bad = qa_utf8_invalid_at((*out)[i], len);
    int rc = 0;
    if (len > QA_NAME_MAX_BYTES)
      rc = qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "%s %zu is %zu bytes, longer than the %d allowed", what, i, len,
                        QA_NAME_MAX_BYTES);
    else if (bad < len)
      rc = qa_error_set(err, QA_EXIT_DATA, f->path, path,
                        "%s %zu is not valid UTF-8 (byte %zu)", what, i, bad);
    if (rc) {
      h5r_free_strings(*out, n);
      *out = NULL;
      return -1;
    }
  }
  return 0;
}

/* Opens root attribute name; checks it holds one value of the kind. */
static hid_t open_attr(h5r_file *f, const char *name, int kind, qa_error *err) {
  htri_t e = H5Aexists(f->fid, name);
  if (e < 0) return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s cannot be read", name);
  if (e == 0) return 0;
  hid_t attr = H5Aopen(f->fid, name, H5P_DEFAULT);
  if (attr < 0) return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s cannot be read", name);
  hid_t type = H5Aget_type(attr), space = H5Aget_space(attr);
  hssize_t npoints = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  int ok = type >= 0 && class_matches(type, kind) && !is_bool_enum(type);
  char tname[32] = "unreadable";
  if (type >= 0) h5r_type_name(type, tname, sizeof tname);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (!ok) {
    H5Aclose(attr);
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s has type %s, expected %s",
                        name, tname, kind_name(kind));
  }
  if (npoints != 1) {
    H5Aclose(attr);
    return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                        "attribute %s holds %lld values, expected one", name, (long long)npoints);
  }
  return attr;
}

int h5r_attr_string(h5r_file *f, const char *name, size_t max_bytes, char **out,
                    qa_error *err) {
  *out = NULL;
  hid_t attr = open_attr(f, name, H5R_STRING, err);
  if (attr <= 0) return (int)attr;
  char **s = NULL;
  int rc = read_strings_obj(attr, 1, 1, &s);
  H5Aclose(attr);
  if (rc) return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s cannot be read", name);
  size_t len = strlen(s[0]), bad = qa_utf8_invalid_at(s[0], len);
  if (len > max_bytes)
    rc = qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                      "attribute %s is %zu bytes, longer than the %zu allowed", name, len,
                      max_bytes);
  else if (bad < len)
    rc = qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                      "attribute %s is not valid UTF-8 (byte %zu)", name, bad);
  if (rc) {
    h5r_free_strings(s, 1);
    return -1;
  }
  *out = s[0];
  free(s);
  return 1;
}

int h5r_attr_double(h5r_file *f, const char *name, double *out, qa_error *err) {
  /* An integer attribute is a fine number too (bits_per_weight = 8). */
  hid_t attr = open_attr(f, name, H5R_FLOAT, NULL);
  if (attr < 0) attr = open_attr(f, name, H5R_INT, NULL);
  if (attr < 0) return open_attr(f, name, H5R_FLOAT, err);
  if (attr == 0) return 0;
  herr_t st = H5Aread(attr, H5T_NATIVE_DOUBLE, out);
  H5Aclose(attr);
  if (st < 0) return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s cannot be read", name);
  return 1;
}

int h5r_attr_int64(h5r_file *f, const char *name, int64_t *out, qa_error *err) {
  hid_t attr = open_attr(f, name, H5R_INT, NULL);
  if (attr < 0) {
    /* Accept a float attribute holding a whole number (h5py writes 1.3e9). */
    double d;
    int rc = h5r_attr_double(f, name, &d, err);
    if (rc <= 0) return rc;
    if (!(d >= 0 && d < 9.2e18) || d != (double)(int64_t)d) {
      return qa_error_set(err, QA_EXIT_DATA, f->path, "/",
                          "attribute %s is %g, expected a whole non-negative number", name, d);
    }
    *out = (int64_t)d;
    return 1;
  }
  if (attr == 0) return 0;
  herr_t st = H5Aread(attr, H5T_NATIVE_INT64, out);
  H5Aclose(attr);
  if (st < 0) return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s cannot be read", name);
  return 1;
}

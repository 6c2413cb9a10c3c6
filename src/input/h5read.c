/*
** Checked HDF5 reads for the cache reader (see h5read.h).
**
** The HDF5 library converts between stored and memory types for us
** (float16 to double included); what we add is the checking: class, rank,
** non-empty, no external storage, no external links, a size that fits in
** memory, and a message that names the file and path when anything fails.
*/
#include "input/h5read.h"

#include <stdlib.h>
#include <string.h>

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

int h5r_exists(h5r_file *f, const char *path, qa_error *err) {
  /* Walk the path one component at a time: H5Lexists fails, rather than
  ** answering no, when an intermediate group is missing. */
  char buf[512];
  size_t len = strlen(path);
  if (len >= sizeof buf)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "HDF5 path too long");
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] != '/' && buf[i] != '\0') continue;
    char save = buf[i];
    buf[i] = '\0';
    htri_t e = H5Lexists(f->fid, buf, H5P_DEFAULT);
    if (e < 0)
      return qa_error_set(err, QA_EXIT_DATA, f->path, buf, "cannot be resolved");
    if (e == 0) return 0;
    H5L_info_t info;
    if (H5Lget_info(f->fid, buf, &info, H5P_DEFAULT) < 0)
      return qa_error_set(err, QA_EXIT_DATA, f->path, buf, "cannot be resolved");
    if (info.type == H5L_TYPE_EXTERNAL)
      return qa_error_set(err, QA_EXIT_DATA, f->path, buf,
                          "is an external link; a cache must be self-contained");
    if (info.type != H5L_TYPE_HARD && info.type != H5L_TYPE_SOFT)
      return qa_error_set(err, QA_EXIT_DATA, f->path, buf, "unsupported link type");
    htri_t ok = H5Oexists_by_name(f->fid, buf, H5P_DEFAULT);
    if (ok <= 0)
      return qa_error_set(err, QA_EXIT_DATA, f->path, buf, "dangling link");
    buf[i] = save;
  }
  return 1;
}

static void format_dims(char *buf, size_t cap, int rank, const hsize_t *dims) {
  size_t used = (size_t)snprintf(buf, cap, "[");
  for (int i = 0; i < rank && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%llu", i ? "," : "",
                             (unsigned long long)dims[i]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

int h5r_same_file(h5r_file *f, const char *path, const H5O_info_t *info, qa_error *err) {
  if (info->fileno == f->fileno) return 0;
  return qa_error_set(err, QA_EXIT_DATA, f->path, path,
                      "is reached through an external link (via a soft link) into another "
                      "file; a cache must be self-contained");
}

hid_t h5r_open(h5r_file *f, const char *path, int kind, int rank, hsize_t *dims,
               qa_error *err) {
  H5O_info_t oinfo;
  if (H5Oget_info_by_name(f->fid, path, &oinfo, H5P_DEFAULT) < 0)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "cannot be read (file damaged?)");
  if (h5r_same_file(f, path, &oinfo, err)) return -1;
  if (oinfo.type != H5O_TYPE_DATASET)
    return qa_error_set(err, QA_EXIT_DATA, f->path, path, "is a group, expected a dataset");
  hid_t dset = H5Dopen2(f->fid, path, H5P_DEFAULT);
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
  /* Every element becomes at most 8 bytes in memory. */
  if (elems > f->max_bytes / 8) {
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

static int read_fail(h5r_file *f, const char *path, qa_error *err) {
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
    return read_fail(f, path, err);
  }
  *out = buf;
  return 0;
}

int h5r_read_int64(h5r_file *f, const char *path, hid_t dset, size_t n, int64_t **out,
                   qa_error *err) {
  *out = NULL;
  int64_t *buf = malloc(n * sizeof *buf);
  if (!buf) return qa_error_set(err, QA_EXIT_IO, f->path, path, "out of memory");
  hid_t type = H5Dget_type(dset);
  herr_t st;
  if (is_bool_enum(type)) {
    /* HDF5 does not convert enums to integers: read the raw bytes. */
    uint8_t *raw = malloc(n);
    hid_t mem = H5Tget_native_type(type, H5T_DIR_ASCEND);
    st = (raw && mem >= 0) ? H5Dread(dset, mem, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) : -1;
    for (size_t i = 0; st >= 0 && i < n; i++) buf[i] = (int8_t)raw[i];
    if (mem >= 0) H5Tclose(mem);
    free(raw);
  } else {
    st = H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  }
  H5Tclose(type);
  if (st < 0) {
    free(buf);
    return read_fail(f, path, err);
  }
  *out = buf;
  return 0;
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
  if (read_strings_obj(dset, 0, n, out)) return read_fail(f, path, err);
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

int h5r_attr_string(h5r_file *f, const char *name, char **out, qa_error *err) {
  *out = NULL;
  hid_t attr = open_attr(f, name, H5R_STRING, err);
  if (attr <= 0) return (int)attr;
  char **s = NULL;
  int rc = read_strings_obj(attr, 1, 1, &s);
  H5Aclose(attr);
  if (rc) return qa_error_set(err, QA_EXIT_DATA, f->path, "/", "attribute %s cannot be read", name);
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

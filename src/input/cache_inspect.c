/*
** `qaudit inspect`: a human summary of one HDF5 file — root attributes,
** then every group and dataset with its type, shape and storage — whether
** or not it is a valid cache.  Reads metadata only, never the data.
** Soft and external links are shown with their values and never followed,
** so no other file is ever opened.
*/
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "input/cache.h"
#include "input/h5read.h"
#include "input/isolate.h"
#include "util/text.h"

/* Bytes of a string value shown at most; the rest is counted, not shown. */
#define SHOWN_MAX 200

/* Prints a string value: its first SHOWN_MAX bytes, cut before any byte
** that is not well-formed UTF-8, and what was left out. */
static void print_string(FILE *out, const char *s) {
  size_t len = strlen(s), bad = qa_utf8_invalid_at(s, len);
  size_t shown = qa_utf8_invalid_at(s, len < SHOWN_MAX ? len : SHOWN_MAX);
  fprintf(out, "\"%.*s\"", (int)shown, s);
  if (bad < len) fprintf(out, " (not valid UTF-8 at byte %zu; %zu bytes)", bad, len);
  else if (shown < len) fprintf(out, "... (%zu bytes)", len);
}

/* Groups already listed, by object address: hard links can make cycles. */
typedef struct seen { size_t n; haddr_t addr[4096]; } seen;
typedef struct walk { FILE *out; const char *path; int depth; seen *seen; } walk;

/* 1 when addr was listed before; otherwise records it. */
static int seen_before(seen *s, haddr_t addr) {
  for (size_t i = 0; i < s->n; i++)
    if (s->addr[i] == addr) return 1;
  if (s->n < sizeof s->addr / sizeof *s->addr) s->addr[s->n++] = addr;
  else return 1;                     /* more groups than a cache ever has */
  return 0;
}

static void print_attr_value(FILE *out, hid_t attr) {
  hid_t type = H5Aget_type(attr), space = H5Aget_space(attr);
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  char tname[32] = "?";
  if (type >= 0) h5r_type_name(type, tname, sizeof tname);
  if (n == 1 && cls == H5T_FLOAT) {
    double d;
    if (H5Aread(attr, H5T_NATIVE_DOUBLE, &d) >= 0) fprintf(out, "%.10g", d);
  } else if (n == 1 && cls == H5T_INTEGER) {
    long long v;
    if (H5Aread(attr, H5T_NATIVE_LLONG, &v) >= 0) fprintf(out, "%lld", v);
  } else if (n == 1 && cls == H5T_STRING) {
    hid_t mem = H5Tcopy(H5T_C_S1);
    /* HDF5 1.10 converts no strings between character sets. */
    H5Tset_cset(mem, H5Tget_cset(type));
    if (H5Tis_variable_str(type) > 0) {
      char *s = NULL;
      H5Tset_size(mem, H5T_VARIABLE);
      if (H5Aread(attr, mem, &s) >= 0 && s) {
        print_string(out, s);
        H5free_memory(s);
      }
    } else {
      size_t size = H5Tget_size(type);
      char *buf = size < ((size_t)1 << 26) ? malloc(size + 1) : NULL;
      if (buf && H5Tset_size(mem, size) >= 0 && H5Aread(attr, mem, buf) >= 0) {
        buf[size] = '\0';
        print_string(out, buf);
      }
      free(buf);
    }
    H5Tclose(mem);
  } else {
    fprintf(out, "(%s, %lld values)", tname, (long long)n);
  }
  fprintf(out, "  [%s]", tname);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
}

static herr_t print_root_attr(hid_t loc, const char *name, const H5A_info_t *info, void *data) {
  (void)info;
  FILE *out = data;
  hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
  if (attr < 0) return 0;
  fprintf(out, "  %-16s = ", name);
  print_attr_value(out, attr);
  fputc('\n', out);
  H5Aclose(attr);
  return 0;
}

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *data);
static herr_t visit_link(hid_t g, const char *name, const H5L_info_t *info, walk *w,
                         const char *full);

static void print_dataset(FILE *out, hid_t loc, const char *name, const char *full) {
  hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
  if (d < 0) { fprintf(out, "%-34s  (unreadable dataset)\n", full); return; }
  hid_t type = H5Dget_type(d), space = H5Dget_space(d), dcpl = H5Dget_create_plist(d);
  char tname[32] = "?", shape[128] = "";
  if (type >= 0) h5r_type_name(type, tname, sizeof tname);
  hsize_t dims[H5S_MAX_RANK];
  int rank = space >= 0 ? H5Sget_simple_extent_dims(space, dims, NULL) : -1;
  size_t used = (size_t)snprintf(shape, sizeof shape, rank == 0 ? "scalar" : "[");
  for (int i = 0; i < rank && used < sizeof shape; i++)
    used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%llu", i ? ", " : "",
                             (unsigned long long)dims[i]);
  if (rank > 0 && used < sizeof shape) snprintf(shape + used, sizeof shape - used, "]");
  fprintf(out, "%-34s  %-12s %s", full, tname, shape);
  if (dcpl >= 0) {
    if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
      hsize_t cd[H5S_MAX_RANK];
      int cr = H5Pget_chunk(dcpl, H5S_MAX_RANK, cd);
      fprintf(out, "  chunked [");
      for (int i = 0; i < cr; i++) fprintf(out, "%s%llu", i ? ", " : "", (unsigned long long)cd[i]);
      fprintf(out, "]");
    }
    int nf = H5Pget_nfilters(dcpl);
    for (int i = 0; i < nf; i++) {
      unsigned flags;
      size_t nelem = 0;
      char fname[64] = "";
      H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)i, &flags, &nelem, NULL, sizeof fname,
                                       fname, NULL);
      fprintf(out, "  %s", id == H5Z_FILTER_DEFLATE ? "gzip" : id == H5Z_FILTER_SHUFFLE
                                                       ? "shuffle" : "filter");
      if (id != H5Z_FILTER_DEFLATE && id != H5Z_FILTER_SHUFFLE) {
        fprintf(out, " %d", (int)id);
        fname[sizeof fname - 1] = '\0';
        if (fname[0] && qa_utf8_valid(fname)) fprintf(out, " \"%s\"", fname);
      }
      if (H5Zfilter_avail(id) <= 0) fprintf(out, " (not available in this HDF5 library)");
    }
    if (H5Pget_external_count(dcpl) > 0) fprintf(out, "  EXTERNAL STORAGE");
    H5Pclose(dcpl);
  }
  fputc('\n', out);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  H5Dclose(d);
}

/* Prints one soft link with its value, never following it. */
static void print_soft_link(FILE *out, hid_t g, const char *name, const char *full,
                            const H5L_info_t *info) {
  char *value = info->u.val_size && info->u.val_size <= H5R_PATH_MAX
                    ? malloc(info->u.val_size) : NULL;
  if (value && H5Lget_val(g, name, value, info->u.val_size, H5P_DEFAULT) >= 0) {
    value[info->u.val_size - 1] = '\0';
    fprintf(out, "%-34s  soft link -> ", full);
    print_string(out, value);
    fprintf(out, " (not followed)\n");
  } else {
    fprintf(out, "%-34s  soft link (not followed)\n", full);
  }
  free(value);
}

static herr_t visit(hid_t g, const char *name, const H5L_info_t *info, void *data) {
  walk *w = data;
  /* Paths of any length: a file that is not a cache may hold anything. */
  size_t cap = strlen(w->path) + strlen(name) + 2;
  char *full = malloc(cap);
  if (!full) return -1;
  snprintf(full, cap, "%s/%s", strcmp(w->path, "/") == 0 ? "" : w->path, name);
  herr_t rc = visit_link(g, name, info, w, full);
  free(full);
  return rc;
}

static herr_t visit_link(hid_t g, const char *name, const H5L_info_t *info, walk *w,
                         const char *full) {
  if (info->type == H5L_TYPE_EXTERNAL) {
    fprintf(w->out, "%-34s  external link (not followed)\n", full);
    return 0;
  }
  if (info->type == H5L_TYPE_SOFT) {
    print_soft_link(w->out, g, name, full, info);
    return 0;
  }
  if (info->type != H5L_TYPE_HARD) {
    fprintf(w->out, "%-34s  user-defined link (not followed)\n", full);
    return 0;
  }
  H5O_info_t oi;
  if (H5Oget_info_by_name2(g, name, &oi, H5O_INFO_BASIC, H5P_DEFAULT) < 0) {
    fprintf(w->out, "%-34s  (unreadable)\n", full);
    return 0;
  }
  if (oi.type == H5O_TYPE_DATASET) {
    print_dataset(w->out, g, name, full);
  } else if (oi.type == H5O_TYPE_GROUP && seen_before(w->seen, oi.addr)) {
    fprintf(w->out, "%s/  (hard link to a group listed above)\n", full);
  } else if (oi.type == H5O_TYPE_GROUP && w->depth < 16) {
    fprintf(w->out, "%s/\n", full);
    hid_t sub = H5Gopen2(g, name, H5P_DEFAULT);
    if (sub >= 0) {
      walk inner = {w->out, full, w->depth + 1, w->seen};
      hsize_t idx = 0;
      H5Literate(sub, H5_INDEX_NAME, H5_ITER_INC, &idx, visit, &inner);
      H5Gclose(sub);
    }
  }
  return 0;
}

static int inspect_direct(const char *path, FILE *out, qa_error *err);

typedef struct inspect_job { const char *path; FILE *out; } inspect_job;

static int inspect_job_run(void *arg, qa_error *err) {
  inspect_job *j = arg;
  int rc = inspect_direct(j->path, j->out, err);
  fflush(j->out);
  return rc;
}

/* Printed from a child process: a file that crashes or hangs the HDF5
** library ends the summary with one error line (input/isolate.h). */
int qa_cache_inspect(const char *path, void *fp, qa_error *err) {
  inspect_job j = {path, fp};
  return qa_isolated(path, inspect_job_run, &j, qa_isolation_timeout(path), err);
}

static int inspect_direct(const char *path, FILE *fp, qa_error *err) {
  FILE *out = fp;
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot open: not a regular file");
  FILE *probe = fopen(path, "rb");
  if (!probe) return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot open");
  fseek(probe, 0, SEEK_END);
  long bytes = ftell(probe);
  fclose(probe);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  hid_t fid = H5Fis_hdf5(path) > 0 ? H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT) : -1;
  if (fid < 0)
    return qa_error_set(err, QA_EXIT_DATA, path, NULL, "not an HDF5 file or truncated");
  fprintf(out, "%s  (%ld bytes)\n", path, bytes);
  fprintf(out, "attributes:\n");
  hsize_t idx = 0;
  H5Aiterate2(fid, H5_INDEX_NAME, H5_ITER_INC, &idx, print_root_attr, out);
  fprintf(out, "objects:\n");
  static seen groups;
  groups.n = 0;
  H5O_info_t root;
  if (H5Oget_info(fid, &root) >= 0) seen_before(&groups, root.addr);
  walk w = {out, "/", 0, &groups};
  idx = 0;
  H5Literate(fid, H5_INDEX_NAME, H5_ITER_INC, &idx, visit, &w);
  H5Fclose(fid);
  return 0;
}

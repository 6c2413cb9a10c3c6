/*
** /tokens/logits in row blocks (see tokread.h).
*/
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("O3")
#endif
#include "input/tokread.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "input/h5read.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define QA_TOK_X86 1
#endif

struct qa_tokread {
  const char *path;
  hid_t fid, dset, space, mtype;
  int kind;
  size_t elem, v, t, chunk_rows, chunk_cols;
  int filtered;
  unsigned long fileno;
};

int qa_tokread_kind(const qa_tokread *r) { return r->kind; }
size_t qa_tokread_elem(const qa_tokread *r) { return r->elem; }
size_t qa_tokread_chunk_rows(const qa_tokread *r) { return r->chunk_rows; }

void qa_tokread_close(qa_tokread *r) {
  if (!r) return;
  if (r->mtype >= 0) H5Tclose(r->mtype);
  if (r->space >= 0) H5Sclose(r->space);
  if (r->dset >= 0) H5Dclose(r->dset);
  if (r->fid >= 0) H5Fclose(r->fid);
  free(r);
}

/* The stored float type as a QA_TOKRAW_* kind and the memory type to read
** it with: IEEE half and bfloat16 as their own 16-bit words (native byte
** order), float32 and float64 as native floats, anything else converted
** to double by the library. */
static int pick_type(hid_t ftype, hid_t *mtype, size_t *elem) {
  size_t size = H5Tget_size(ftype);
  if (size == 2) {
    size_t spos, epos, esize, mpos, msize;
    size_t bias = H5Tget_ebias(ftype);
    if (H5Tget_fields(ftype, &spos, &epos, &esize, &mpos, &msize) >= 0 && spos == 15 &&
        mpos == 0 && ((epos == 10 && esize == 5 && msize == 10 && bias == 15) ||
                      (epos == 7 && esize == 8 && msize == 7 && bias == 127))) {
      hid_t t = H5Tcopy(ftype);
      if (t < 0 || H5Tset_order(t, H5Tget_order(H5T_NATIVE_FLOAT)) < 0) {
        if (t >= 0) H5Tclose(t);
        return -1;
      }
      *mtype = t;
      *elem = 2;
      return epos == 10 ? QA_TOKRAW_F16 : QA_TOKRAW_BF16;
    }
  }
  if (size == 4) {
    *mtype = H5Tcopy(H5T_NATIVE_FLOAT);
    *elem = 4;
    return *mtype < 0 ? -1 : QA_TOKRAW_F32;
  }
  *mtype = H5Tcopy(H5T_NATIVE_DOUBLE);
  *elem = 8;
  return *mtype < 0 ? -1 : QA_TOKRAW_F64;
}

int qa_tokread_open(const char *path, size_t t_rows, size_t v_cols, qa_tokread **out,
                    qa_error *err) {
  *out = NULL;
  qa_tokread *r = calloc(1, sizeof *r);
  if (!r) return qa_error_set(err, QA_EXIT_IO, path, "/tokens/logits", "out of memory");
  r->path = path;
  r->fid = r->dset = r->space = r->mtype = -1;
  r->v = v_cols;
  r->t = t_rows;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  r->fid = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (r->fid < 0) {
    qa_tokread_close(r);
    return qa_error_set(err, QA_EXIT_DATA, path, NULL, "cannot be opened as HDF5");
  }
  h5r_file f = {path, r->fid, UINT64_MAX, "available", 0};
  H5O_info_t root;
  if (H5Oget_info(r->fid, &root) < 0) {
    qa_tokread_close(r);
    return qa_error_set(err, QA_EXIT_DATA, path, "/", "cannot be read (file damaged?)");
  }
  f.fileno = root.fileno;
  r->fileno = root.fileno;
  hsize_t dims[2];
  hid_t d = h5r_open(&f, "/tokens/logits", H5R_FLOAT, 2, dims, err);
  if (d < 0) { qa_tokread_close(r); return -1; }
  r->dset = d;
  if (dims[0] != t_rows || dims[1] != v_cols) {
    qa_tokread_close(r);
    return qa_error_set(err, QA_EXIT_DATA, path, "/tokens/logits",
                        "shape [%llu, %llu], expected [%zu, %zu]", (unsigned long long)dims[0],
                        (unsigned long long)dims[1], t_rows, v_cols);
  }
  hid_t ftype = H5Dget_type(d), dcpl = H5Dget_create_plist(d);
  int kind = ftype < 0 ? -1 : pick_type(ftype, &r->mtype, &r->elem);
  if (ftype >= 0) H5Tclose(ftype);
  if (dcpl >= 0 && H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t cd[2] = {0, 0};
    if (H5Pget_chunk(dcpl, 2, cd) == 2) {
      r->chunk_rows = (size_t)cd[0];
      r->chunk_cols = (size_t)cd[1];
    }
  }
  r->filtered = dcpl >= 0 && H5Pget_nfilters(dcpl) > 0;
  if (dcpl >= 0) H5Pclose(dcpl);
  r->kind = kind;
  r->space = r->dset >= 0 ? H5Dget_space(r->dset) : -1;
  if (kind < 0 || r->dset < 0 || r->space < 0) {
    qa_tokread_close(r);
    return qa_error_set(err, QA_EXIT_DATA, path, "/tokens/logits",
                        "cannot be opened (file damaged?)");
  }
  *out = r;
  return 0;
}

int qa_tokread_plan(qa_tokread *r, size_t block_rows, qa_error *err) {
  if (!r->chunk_rows) return 0;
  /* A block of whole chunk rows of an unfiltered dataset is read straight
  ** into the caller's buffer when the chunk cache is off (a cached chunk
  ** would cost one more copy); otherwise one row of chunks is cached, so
  ** that each chunk is read and decoded once. */
  size_t per_row = (r->v + r->chunk_cols - 1) / r->chunk_cols;
  size_t bytes = per_row * r->chunk_rows * r->chunk_cols * r->elem;
  int direct = !r->filtered && block_rows % r->chunk_rows == 0;
  hid_t dapl = H5Dget_access_plist(r->dset);
  if (dapl < 0 || H5Pset_chunk_cache(dapl, direct ? 0 : 8 * per_row + 101,
                                     direct ? 0 : bytes + ((size_t)1 << 20), 1.0) < 0) {
    if (dapl >= 0) H5Pclose(dapl);
    return qa_error_set(err, QA_EXIT_DATA, r->path, "/tokens/logits", "cannot be opened");
  }
  char hard[H5R_PATH_MAX];
  h5r_file f = {r->path, r->fid, UINT64_MAX, "available", r->fileno};
  H5Sclose(r->space);
  H5Dclose(r->dset);
  r->space = -1;
  r->dset = h5r_resolve(&f, "/tokens/logits", hard, err) > 0 ? H5Dopen2(r->fid, hard, dapl) : -1;
  H5Pclose(dapl);
  r->space = r->dset >= 0 ? H5Dget_space(r->dset) : -1;
  if (r->dset < 0 || r->space < 0)
    return qa_error_set(err, QA_EXIT_DATA, r->path, "/tokens/logits", "cannot be opened");
  return 0;
}

int qa_tokread_rows(qa_tokread *r, size_t row0, size_t n, void *raw, qa_error *err) {
  hsize_t start[2] = {row0, 0}, count[2] = {n, r->v};
  hid_t mem = H5Screate_simple(2, count, NULL);
  herr_t st = mem < 0 ? -1 : H5Sselect_hyperslab(r->space, H5S_SELECT_SET, start, NULL, count, NULL);
  if (st >= 0) st = H5Dread(r->dset, r->mtype, mem, r->space, H5P_DEFAULT, raw);
  if (mem >= 0) H5Sclose(mem);
  if (st < 0)
    return qa_error_set(err, QA_EXIT_DATA, r->path, "/tokens/logits",
                        "rows %zu to %zu cannot be read (file damaged or truncated?)", row0,
                        row0 + n - 1);
  return 0;
}

/* ---- widening ----------------------------------------------------------- */

static double half_to_double(uint16_t h) {
  uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  double v;
  if (e == 0) v = ldexp((double)m, -24);
  else if (e == 31) v = m ? NAN : INFINITY;
  else v = ldexp((double)(m | 0x400u), (int)e - 25);
  return (h & 0x8000u) ? -v : v;
}

static double bf16_to_double(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return (double)f;
}

size_t qa_tokread_row_to_double_plain(int kind, const void *row, size_t v, double *out) {
  size_t bad = v;
  for (size_t j = 0; j < v; j++) {
    double x;
    switch (kind) {
    case QA_TOKRAW_F16:  x = half_to_double(((const uint16_t *)row)[j]); break;
    case QA_TOKRAW_BF16: x = bf16_to_double(((const uint16_t *)row)[j]); break;
    case QA_TOKRAW_F32:  x = (double)((const float *)row)[j]; break;
    default:             x = ((const double *)row)[j]; break;
    }
    out[j] = x;
    if (bad == v && !isfinite(x)) bad = j;
  }
  return bad;
}

/* The first word whose exponent is all ones (NaN or Inf), or v. */
static size_t first_bad16(const uint16_t *h, size_t v, uint16_t expmask) {
  unsigned any = 0;
  for (size_t j = 0; j < v; j++) any |= (unsigned)((h[j] & expmask) == expmask);
  if (!any) return v;
  for (size_t j = 0; j < v; j++)
    if ((h[j] & expmask) == expmask) return j;
  return v;
}

#ifdef QA_TOK_X86
__attribute__((target("avx,f16c"))) static void f16c_row(const uint16_t *h, size_t v,
                                                          double *out) {
  size_t j = 0;
  for (; j + 8 <= v; j += 8) {
    __m128i w = _mm_loadu_si128((const __m128i *)(h + j));
    __m256 f = _mm256_cvtph_ps(w);
    _mm256_storeu_pd(out + j, _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
    _mm256_storeu_pd(out + j + 4, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
  }
  for (; j < v; j++) out[j] = half_to_double(h[j]);
}

/* AVX-512: 16 halves widened to doubles, stored, and folded into a
** running maximum, in one pass. */
__attribute__((target("avx512f,avx2"))) static double f16_row_max_512(const uint16_t *h,
                                                                      size_t v, double *out,
                                                                      int *bad) {
  __m512d m0 = _mm512_set1_pd(-INFINITY), m1 = m0;
  const __m256i expo = _mm256_set1_epi16(0x7c00);
  __m256i any = _mm256_setzero_si256();
  size_t j = 0;
  for (; j + 16 <= v; j += 16) {
    __m256i w = _mm256_loadu_si256((const __m256i *)(h + j));
    any = _mm256_or_si256(any, _mm256_cmpeq_epi16(_mm256_and_si256(w, expo), expo));
    __m512 f = _mm512_cvtph_ps(w);
    __m512d a = _mm512_cvtps_pd(_mm512_castps512_ps256(f));
    __m512d b = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1)));
    _mm512_storeu_pd(out + j, a);
    _mm512_storeu_pd(out + j + 8, b);
    m0 = _mm512_max_pd(m0, a);
    m1 = _mm512_max_pd(m1, b);
  }
  double m = _mm512_reduce_max_pd(_mm512_max_pd(m0, m1));
  *bad = !_mm256_testz_si256(any, any);
  for (; j < v; j++) {
    out[j] = half_to_double(h[j]);
    m = out[j] > m ? out[j] : m;
    *bad |= !isfinite(out[j]);
  }
  return m;
}

static int have_avx512(void) {
  static int have = -1;
  if (have < 0) {
    __builtin_cpu_init();
    have = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2");
  }
  return have;
}
#endif

size_t qa_tokread_row_to_double_max(int kind, const void *row, size_t v, double *out,
                                    double *max) {
#ifdef QA_TOK_X86
  if (kind == QA_TOKRAW_F16 && have_avx512()) {
    int bad = 0;
    *max = f16_row_max_512(row, v, out, &bad);
    return bad ? first_bad16(row, v, 0x7c00u) : v;
  }
#endif
  size_t bad = qa_tokread_row_to_double(kind, row, v, out);
  if (bad == v) {
    double m8[8], m;
    size_t j = 0;
    for (int l = 0; l < 8; l++) m8[l] = out[0];
    for (; j + 8 <= v; j += 8)
      for (int l = 0; l < 8; l++) m8[l] = out[j + l] > m8[l] ? out[j + l] : m8[l];
    m = m8[0];
    for (int l = 1; l < 8; l++) m = m8[l] > m ? m8[l] : m;
    for (; j < v; j++) m = out[j] > m ? out[j] : m;
    *max = m;
  }
  return bad;
}

int qa_tokread_f16c(void) {
#ifdef QA_TOK_X86
  static int have = -1;
  if (have < 0) {
    __builtin_cpu_init();
    have = __builtin_cpu_supports("avx") && __builtin_cpu_supports("f16c");
  }
  return have;
#else
  return 0;
#endif
}

size_t qa_tokread_row_to_double(int kind, const void *row, size_t v, double *out) {
  if (kind == QA_TOKRAW_F16) {
    const uint16_t *h = row;
    size_t bad = first_bad16(h, v, 0x7c00u);
#ifdef QA_TOK_X86
    if (qa_tokread_f16c()) {
      f16c_row(h, v, out);
      return bad;
    }
#endif
    for (size_t j = 0; j < v; j++) out[j] = half_to_double(h[j]);
    return bad;
  }
  if (kind == QA_TOKRAW_BF16) {
    const uint16_t *h = row;
    for (size_t j = 0; j < v; j++) {
      uint32_t bits = (uint32_t)h[j] << 16;
      float f;
      memcpy(&f, &bits, sizeof f);
      out[j] = (double)f;
    }
    return first_bad16(h, v, 0x7f80u);
  }
  if (kind == QA_TOKRAW_F32) {
    const float *x = row;
    unsigned any = 0;
    for (size_t j = 0; j < v; j++) {
      out[j] = (double)x[j];
      uint32_t b;
      memcpy(&b, &x[j], sizeof b);
      any |= (unsigned)((b & 0x7f800000u) == 0x7f800000u);
    }
    if (!any) return v;
  } else {
    const double *x = row;
    unsigned any = 0;
    for (size_t j = 0; j < v; j++) {
      out[j] = x[j];
      uint64_t b;
      memcpy(&b, &x[j], sizeof b);
      any |= (unsigned)((b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull);
    }
    if (!any) return v;
  }
  for (size_t j = 0; j < v; j++)
    if (!isfinite(out[j])) return j;
  return v;
}

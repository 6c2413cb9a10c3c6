/*
** `make bench` section 4: writes a synthetic token-level study, one
** baseline and K variants of a language model evaluated at T positions
** over a vocabulary of V tokens (INTERFACE.md section 2, the /tokens
** datasets), and the qaudit configuration that reads it.
**
** usage: gen_tokens DIR T V NVARIANTS [DOCS]
**   DIR/base.h5, DIR/v1.h5 .. DIR/vK.h5, DIR/config.json
**   DOCS: number of documents (default T/500, at least 1); their lengths
**   vary from about half to one and a half times the mean.
**   GEN_TOKENS_CHUNK_ROWS (environment) overrides the chunk rows.
**
** Each cache holds
**   root attributes model "synthlm", variant, bits_per_weight, params;
**   /tokens/target [T] int32, drawn from the baseline's softmax;
**   /tokens/logits [T, V] float16, chunked [R, V] with R = 64 rows when
**     V <= 32768 and 16 rows above (4.1 MB chunks at V = 32,000, 4.9 MB
**     at V = 152,000: whole rows, so a row block of whole chunks is one
**     read per chunk), no compression (logits barely compress, and a
**     filter would make every read pay for inflating);
**   /tokens/doc [T] int64, contiguous documents 0..G-1;
**   /tokens/slice [T] int32, one slice per document, and
**   /tokens/slice_names [3] variable-length UTF-8 strings.
**
** Logits.  The baseline's row t is a heavy-tailed score vector: a Zipf
** prior over the vocabulary, s_t * (-1.1 ln(j+1)) with a per-row
** sharpness s_t in [1.1, 1.7], plus Gaussian noise of sd 1.0, plus a
** handful (1..8) of "context" tokens boosted by geometrically shrinking
** amounts (first boost uniform in [4, 14]), plus a row offset in [0, 6]
** (logits are not normalised): the baseline's perplexity is about 18.
** Variant k adds Gaussian noise of sd sigma_k * m_t with
** sigma_k = 0.05 k^2 (0.05, 0.2, 0.45, 0.8, ...) and a per-row log-normal
** multiplier m_t = exp(0.5 z) shared by the variants (hard positions are
** hard for every variant), so the mean KLDs are about 0.0015, 0.026 and
** 0.13 nats and the per-position KLDs are skewed (p99 ~ 7x the mean).
** Gaussian variates come from a 65,536-entry inverse-CDF table indexed by
** 16 bits of xoshiro256** (four variates per draw); every row has its own
** seed (splitmix64 of file, row), so the output does not depend on the
** block size.  Values are rounded to float16 here (round to nearest even)
** and written as raw 16-bit words through a memory type equal to the file
** type, so libhdf5 converts nothing.
**
** Memory: one block of BLOCK rows (a multiple of the chunk rows, about
** 8 MB of float16 per file) as float plus its float16 words.
*/
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("gen_tokens: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

#define CHECK_H5(expr, ...) do { if ((expr) < 0) die(__VA_ARGS__); } while (0)

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) die("out of memory (%zu bytes)", n);
  return p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- PRNG */

static uint64_t splitmix64(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

typedef struct { uint64_t s[4]; } rng_t;

static void rng_seed(rng_t *r, uint64_t a, uint64_t b) {
  uint64_t x = a * 0x2545f4914f6cdd1dULL ^ (b + 0x632be59bd9b4e019ULL);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t rng_next(rng_t *r) {
  uint64_t *s = r->s;
  uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
  s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
  s[2] ^= t; s[3] = rotl(s[3], 45);
  return out;
}

static inline double rng_unif(rng_t *r) { return (double)(rng_next(r) >> 11) * 0x1.0p-53; }

/* Standard normal quantiles at (i + 0.5) / 65536 (Acklam's rational
** approximation refined by one Halley step on erfc: accurate to ~1e-15). */
static float gauss_table[65536];

static double norm_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                             -2.759285104469687e+02, 1.383577518672690e+02,
                             -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                             -1.556989798598866e+02, 6.680131188771972e+01,
                             -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                             -2.400758277161838e+00, -2.549732539343734e+00,
                             4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                             2.445134137142996e+00, 3.754408661907416e+00};
  double q, x;
  if (p < 0.02425) {
    q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p > 1 - 0.02425) {
    q = sqrt(-2 * log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    q = p - 0.5;
    double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  double e = 0.5 * erfc(-x / sqrt(2.0)) - p, u = e * sqrt(2 * M_PI) * exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

static void gauss_init(void) {
  for (int i = 0; i < 65536; i++) gauss_table[i] = (float)norm_quantile((i + 0.5) / 65536.0);
}

/* out[j] += scale * z_j for j < n. */
static void add_gauss(rng_t *r, float *out, size_t n, float scale) {
  size_t j = 0;
  for (; j + 4 <= n; j += 4) {
    uint64_t u = rng_next(r);
    out[j] += scale * gauss_table[u & 0xffff];
    out[j + 1] += scale * gauss_table[(u >> 16) & 0xffff];
    out[j + 2] += scale * gauss_table[(u >> 32) & 0xffff];
    out[j + 3] += scale * gauss_table[u >> 48];
  }
  for (; j < n; j++) out[j] += scale * gauss_table[rng_next(r) & 0xffff];
}

static double gauss1(rng_t *r) { return gauss_table[rng_next(r) & 0xffff]; }

/* ---------------------------------------------------------------- float16 */

/* float -> IEEE binary16, round to nearest even; NaN stays NaN. */
static uint16_t f2h(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, ax = x & 0x7fffffff;
  if (ax >= 0x7f800000) return (uint16_t)(sign | 0x7c00 | (ax > 0x7f800000 ? 0x200 : 0));
  if (ax >= 0x477ff000) return (uint16_t)(sign | 0x7c00);   /* rounds to >= 65520: Inf */
  if (ax < 0x38800000) {                                   /* below 2^-14: subnormal or 0 */
    if (ax < 0x33000000) return (uint16_t)sign;            /* below 2^-25: 0 */
    uint32_t m = (ax & 0x7fffff) | 0x800000;
    int e = (int)(ax >> 23);                               /* 102..112 */
    int shift = 126 - e;                                   /* 14..24 */
    uint32_t h = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (h & 1))) h++;
    return (uint16_t)(sign | h);
  }
  uint32_t h = ((ax >> 13) - ((127 - 15) << 10));
  uint32_t rem = ax & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++;
  return (uint16_t)(sign | h);
}

static void f2h_plain(const float *in, uint16_t *out, size_t n) {
  for (size_t j = 0; j < n; j++) out[j] = f2h(in[j]);
}

#ifdef HAVE_X86
__attribute__((target("avx2,f16c"))) static void f2h_f16c(const float *in, uint16_t *out,
                                                          size_t n) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8) {
    __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(in + j), _MM_FROUND_TO_NEAREST_INT);
    _mm_storeu_si128((__m128i *)(out + j), h);
  }
  for (; j < n; j++) out[j] = f2h(in[j]);
}
#endif

static int use_f16c;

static void to_half(const float *in, uint16_t *out, size_t n) {
#ifdef HAVE_X86
  if (use_f16c) { f2h_f16c(in, out, n); return; }
#endif
  f2h_plain(in, out, n);
}

/* The F16C path must give the words of the plain one. */
static void check_f16c(void) {
#ifdef HAVE_X86
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("f16c") || !__builtin_cpu_supports("avx2")) return;
  enum { N = 1 << 16 };
  float *x = xmalloc(N * sizeof *x);
  uint16_t *a = xmalloc(N * 2), *b = xmalloc(N * 2);
  rng_t r;
  rng_seed(&r, 7, 7);
  for (int i = 0; i < N; i++) {
    uint32_t u = (uint32_t)rng_next(&r);
    if (i % 2) u = (u & 0x807fffff) | ((uint32_t)(100 + i % 60) << 23);  /* near half range */
    memcpy(&x[i], &u, 4);
    if (isnan(x[i])) x[i] = 0;
  }
  f2h_plain(x, a, N);
  f2h_f16c(x, b, N);
  use_f16c = memcmp(a, b, N * 2) == 0;
  if (!use_f16c) fprintf(stderr, "gen_tokens: F16C rounding differs; using the plain path\n");
  free(x); free(a); free(b);
#endif
}

/* ---------------------------------------------------------------- HDF5 */

static hid_t half_type(void) {
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  CHECK_H5(t, "H5Tcopy failed");
  CHECK_H5(H5Tset_fields(t, 15, 10, 5, 0, 10), "H5Tset_fields (float16) failed");
  CHECK_H5(H5Tset_size(t, 2), "H5Tset_size (float16) failed");
  CHECK_H5(H5Tset_ebias(t, 15), "H5Tset_ebias (float16) failed");
  return t;
}

static hid_t utf8_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  CHECK_H5(t, "H5Tcopy failed");
  CHECK_H5(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size (string) failed");
  CHECK_H5(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset failed");
  return t;
}

static void write_attr(hid_t file, const char *name, hid_t ftype, hid_t mtype, const void *buf) {
  hid_t space = H5Screate(H5S_SCALAR);
  CHECK_H5(space, "attribute %s: H5Screate failed", name);
  hid_t a = H5Acreate2(file, name, ftype, space, H5P_DEFAULT, H5P_DEFAULT);
  CHECK_H5(a, "attribute %s: cannot create", name);
  CHECK_H5(H5Awrite(a, mtype, buf), "attribute %s: cannot write", name);
  CHECK_H5(H5Aclose(a), "attribute %s: H5Aclose failed", name);
  CHECK_H5(H5Sclose(space), "H5Sclose failed");
}

static void write_attr_string(hid_t file, const char *name, const char *value) {
  hid_t t = utf8_type();
  write_attr(file, name, t, t, &value);
  CHECK_H5(H5Tclose(t), "H5Tclose failed");
}

static void write_1d(hid_t file, const char *path, hid_t ftype, hid_t mtype, hsize_t n,
                     const void *buf) {
  hid_t space = H5Screate_simple(1, &n, NULL);
  CHECK_H5(space, "%s: H5Screate_simple failed", path);
  hid_t ds = H5Dcreate2(file, path, ftype, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  CHECK_H5(ds, "%s: cannot create dataset", path);
  CHECK_H5(H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf), "%s: cannot write", path);
  CHECK_H5(H5Dclose(ds), "%s: H5Dclose failed", path);
  CHECK_H5(H5Sclose(space), "H5Sclose failed");
}

/* ---------------------------------------------------------------- study */

static const char *slice_names[3] = {"prose", "code", "math"};

typedef struct out_file {
  char path[4096];
  hid_t file, logits, space;
} out_file;

static double sigma_of(int k) { return 0.05 * k * k; }

static double bpw_of(int k) {
  if (k == 0) return 16;
  double b = 8.5 - 2.0 * (k - 1);
  return b < 2.5 ? 2.5 : b;
}

static void create_cache(out_file *o, const char *dir, const char *name, int k, hsize_t t,
                         hsize_t v, hsize_t chunk_rows, hid_t f16) {
  snprintf(o->path, sizeof o->path, "%s/%s.h5", dir, name);
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  CHECK_H5(fcpl, "H5Pcreate failed");
  CHECK_H5(H5Pset_obj_track_times(fcpl, 0), "H5Pset_obj_track_times failed");
  o->file = H5Fcreate(o->path, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  CHECK_H5(o->file, "%s: cannot create", o->path);
  CHECK_H5(H5Pclose(fcpl), "H5Pclose failed");
  double bpw = bpw_of(k);
  int64_t params = 1235814400;
  write_attr_string(o->file, "model", "synthlm");
  write_attr_string(o->file, "variant", name);
  write_attr(o->file, "bits_per_weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &bpw);
  write_attr(o->file, "params", H5T_STD_I64LE, H5T_NATIVE_INT64, &params);
  hid_t g = H5Gcreate2(o->file, "/tokens", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  CHECK_H5(g, "%s: cannot create /tokens", o->path);
  CHECK_H5(H5Gclose(g), "H5Gclose failed");
  hsize_t dims[2] = {t, v}, chunk[2] = {chunk_rows, v};
  o->space = H5Screate_simple(2, dims, NULL);
  CHECK_H5(o->space, "H5Screate_simple failed");
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  CHECK_H5(dcpl, "H5Pcreate failed");
  CHECK_H5(H5Pset_chunk(dcpl, 2, chunk), "H5Pset_chunk failed");
  CHECK_H5(H5Pset_obj_track_times(dcpl, 0), "H5Pset_obj_track_times failed");
  CHECK_H5(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_INCR), "H5Pset_alloc_time failed");
  CHECK_H5(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), "H5Pset_fill_time failed");
  o->logits = H5Dcreate2(o->file, "/tokens/logits", f16, o->space, H5P_DEFAULT, dcpl,
                         H5P_DEFAULT);
  CHECK_H5(o->logits, "%s: cannot create /tokens/logits", o->path);
  CHECK_H5(H5Pclose(dcpl), "H5Pclose failed");
}

static void write_rows(out_file *o, hid_t f16, hsize_t r0, hsize_t n, hsize_t v,
                       const uint16_t *words) {
  hsize_t start[2] = {r0, 0}, count[2] = {n, v};
  CHECK_H5(H5Sselect_hyperslab(o->space, H5S_SELECT_SET, start, NULL, count, NULL),
           "H5Sselect_hyperslab failed");
  hid_t mem = H5Screate_simple(2, count, NULL);
  CHECK_H5(mem, "H5Screate_simple failed");
  CHECK_H5(H5Dwrite(o->logits, f16, mem, o->space, H5P_DEFAULT, words),
           "%s:/tokens/logits: cannot write rows %llu..%llu", o->path,
           (unsigned long long)r0, (unsigned long long)(r0 + n));
  CHECK_H5(H5Sclose(mem), "H5Sclose failed");
}

static void finish_cache(out_file *o, hsize_t t, const int32_t *target, const int64_t *doc,
                         const int32_t *slice) {
  CHECK_H5(H5Dclose(o->logits), "H5Dclose failed");
  CHECK_H5(H5Sclose(o->space), "H5Sclose failed");
  write_1d(o->file, "/tokens/target", H5T_STD_I32LE, H5T_NATIVE_INT32, t, target);
  write_1d(o->file, "/tokens/doc", H5T_STD_I64LE, H5T_NATIVE_INT64, t, doc);
  write_1d(o->file, "/tokens/slice", H5T_STD_I32LE, H5T_NATIVE_INT32, t, slice);
  hid_t s = utf8_type();
  write_1d(o->file, "/tokens/slice_names", s, s, 3, slice_names);
  CHECK_H5(H5Tclose(s), "H5Tclose failed");
  CHECK_H5(H5Fclose(o->file), "%s: H5Fclose failed", o->path);
}

/* The baseline's row t into x[0..v); returns the target drawn from its
** softmax and the row's noise multiplier for the variants in *mult. */
static int32_t base_row(uint64_t seed, size_t t, size_t v, const float *prior, float *x,
                        double *mult) {
  rng_t r;
  rng_seed(&r, seed, 2 * (uint64_t)t);
  float sharp = (float)(1.1 + 0.6 * rng_unif(&r)), offset = (float)(6.0 * rng_unif(&r));
  for (size_t j = 0; j < v; j++) x[j] = sharp * prior[j] + offset;
  add_gauss(&r, x, v, 1.0f);
  int nb = 1 + (int)(rng_next(&r) % 8);
  double amp = 4.0 + 10.0 * rng_unif(&r);
  for (int i = 0; i < nb; i++) {
    size_t j = (size_t)(rng_next(&r) % v);
    x[j] += (float)amp;
    amp *= 0.55 + 0.3 * rng_unif(&r);
  }
  *mult = exp(0.5 * gauss1(&r));
  float m = x[0];
  for (size_t j = 1; j < v; j++) m = x[j] > m ? x[j] : m;
  double s = 0;
  for (size_t j = 0; j < v; j++) s += expf(x[j] - m);
  double u = rng_unif(&r) * s, c = 0;
  for (size_t j = 0; j < v; j++) {
    c += expf(x[j] - m);
    if (c > u) return (int32_t)j;
  }
  return (int32_t)(v - 1);
}

int main(int argc, char **argv) {
  if (argc < 5 || argc > 6) {
    fprintf(stderr, "usage: gen_tokens DIR T V NVARIANTS [DOCS]\n");
    return 1;
  }
  const char *dir = argv[1];
  long long tl = atoll(argv[2]), vl = atoll(argv[3]), kl = atoll(argv[4]);
  long long gl = argc > 5 ? atoll(argv[5]) : (tl / 500 > 0 ? tl / 500 : 1);
  if (tl < 2 || vl < 2 || vl > INT32_MAX || kl < 1 || kl > 64 || gl < 1)
    die("need T >= 2, 2 <= V < 2^31, 1 <= NVARIANTS <= 64, DOCS >= 1");
  size_t t = (size_t)tl, v = (size_t)vl, nk = (size_t)kl, g = (size_t)gl;
  if (g > t) g = t;
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) die("%s: cannot create: %s", dir, strerror(errno));
  const char *cr = getenv("GEN_TOKENS_CHUNK_ROWS");
  size_t chunk_rows = cr && atoll(cr) > 0 ? (size_t)atoll(cr) : (v <= 32768 ? 64 : 16);
  if (chunk_rows > t) chunk_rows = t;
  size_t block = (8u << 20) / (2 * v) / chunk_rows * chunk_rows;
  if (block < chunk_rows) block = chunk_rows;
  const uint64_t seed = 20261202;

  gauss_init();
  check_f16c();

  /* Documents and slices. */
  int64_t *doc = xmalloc(t * sizeof *doc);
  int32_t *slice = xmalloc(t * sizeof *slice), *target = xmalloc(t * sizeof *target);
  {
    rng_t r;
    rng_seed(&r, seed, UINT64_MAX);
    double *w = xmalloc(g * sizeof *w), tot = 0;
    for (size_t i = 0; i < g; i++) tot += (w[i] = 0.5 + rng_unif(&r));
    size_t pos = 0;
    double cum = 0;
    for (size_t i = 0; i < g; i++) {
      cum += w[i];
      size_t end = i + 1 == g ? t : (size_t)llround(cum / tot * (double)t);
      if (end < pos + 1) end = pos + 1;
      if (end > t - (g - 1 - i)) end = t - (g - 1 - i);
      double u = rng_unif(&r);
      int32_t s = u < 0.5 ? 0 : u < 0.8 ? 1 : 2;
      for (; pos < end; pos++) { doc[pos] = (int64_t)i; slice[pos] = s; }
    }
    free(w);
  }

  float *prior = xmalloc(v * sizeof *prior);
  for (size_t j = 0; j < v; j++) prior[j] = (float)(-1.1 * log((double)j + 1));

  hid_t f16 = half_type();
  out_file *files = xmalloc((nk + 1) * sizeof *files);
  char name[32];
  for (size_t k = 0; k <= nk; k++) {
    if (k == 0) snprintf(name, sizeof name, "base");
    else snprintf(name, sizeof name, "v%zu", k);
    create_cache(&files[k], dir, name, (int)k, t, v, chunk_rows, f16);
  }

  float *xb = xmalloc(block * v * sizeof *xb), *xv = xmalloc(v * sizeof *xv);
  uint16_t *words = xmalloc(block * v * sizeof *words);
  double *mult = xmalloc(block * sizeof *mult);
  double t0 = now(), last = t0;
  for (size_t r0 = 0; r0 < t; r0 += block) {
    size_t n = t - r0 < block ? t - r0 : block;
    for (size_t i = 0; i < n; i++) {
      target[r0 + i] = base_row(seed, r0 + i, v, prior, xb + i * v, &mult[i]);
      to_half(xb + i * v, words + i * v, v);
    }
    write_rows(&files[0], f16, r0, n, v, words);
    for (size_t k = 1; k <= nk; k++) {
      float sk = (float)sigma_of((int)k);
      for (size_t i = 0; i < n; i++) {
        rng_t r;
        rng_seed(&r, seed + k, 2 * (uint64_t)(r0 + i) + 1);
        memcpy(xv, xb + i * v, v * sizeof *xv);
        add_gauss(&r, xv, v, sk * (float)mult[i]);
        to_half(xv, words + i * v, v);
      }
      write_rows(&files[k], f16, r0, n, v, words);
    }
    double tn = now();
    if (tn - last > 10 || r0 + n == t) {
      double gb = (double)(r0 + n) * v * 2 * (nk + 1) / 1e9;
      fprintf(stderr, "gen_tokens: %zu/%zu rows, %.1f GB, %.0f MB/s\n", r0 + n, t, gb,
              gb * 1e3 / (tn - t0));
      last = tn;
    }
  }
  for (size_t k = 0; k <= nk; k++) finish_cache(&files[k], t, target, doc, slice);
  CHECK_H5(H5Tclose(f16), "H5Tclose failed");

  /* The configuration (INTERFACE.md section 3). */
  char path[4096];
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) die("%s: cannot create: %s", path, strerror(errno));
  fprintf(f,
          "{\n"
          "  \"title\": \"qaudit token-level benchmark\",\n"
          "  \"subtitle\": \"synthetic LM, T=%zu positions, V=%zu vocabulary, %zu variants\",\n"
          "  \"models\": [\n"
          "    { \"name\": \"synthlm\", \"baseline\": \"base\",\n"
          "      \"variants\": [\n"
          "        { \"name\": \"base\", \"file\": \"base.h5\" }",
          t, v, nk);
  for (size_t k = 1; k <= nk; k++)
    fprintf(f, ",\n        { \"name\": \"v%zu\", \"file\": \"v%zu.h5\" }", k, k);
  fprintf(f,
          "\n      ] }\n"
          "  ],\n"
          "  \"tiers\": [\n"
          "    { \"name\": \"negligible\", \"max_drop_pp\": 3,  \"max_drop_pct\": 3,  \"max_kld\": 0.01 },\n"
          "    { \"name\": \"acceptable\", \"max_drop_pp\": 5,  \"max_drop_pct\": 8,  \"max_kld\": 0.05 },\n"
          "    { \"name\": \"concerning\", \"max_drop_pp\": 10, \"max_drop_pct\": 15, \"max_kld\": 0.1 }\n"
          "  ]\n"
          "}\n");
  if (fclose(f) != 0) die("%s: write failed", path);
  fprintf(stderr, "gen_tokens: wrote %s/{base,v1..v%zu}.h5 and config.json in %.1f s "
          "(chunk %zu rows, block %zu rows, %s)\n", dir, nk, now() - t0, chunk_rows, block,
          use_f16c ? "F16C rounding" : "plain rounding");
  free(doc); free(slice); free(target); free(prior); free(xb); free(xv); free(words);
  free(mult); free(files);
  return 0;
}

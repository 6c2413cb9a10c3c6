/*
** `make bench` section 4: the floor of qaudit's token-level analysis, and
** what float16 costs to widen.
**
** usage: tokens_floor FILE.h5 [FILE.h5 ...]
**   (the baseline first, then the variants: every /tokens/logits [T, V])
**
** 1. The floor.  Every file's /tokens/logits is read once, in row blocks of
**    whole chunks (about 8 MB of stored values per file and block, files in
**    lockstep as qaudit reads them), as raw words: the memory type is the
**    dataset's own file type, so libhdf5 converts nothing (read_s).  Each
**    block is then widened to double (F16C for float16) and one exp per
**    element is taken with glibc's libmvec (_ZGVeN8v_exp with AVX-512,
**    _ZGVdN4v_exp with AVX2, else libm's exp) and summed, so that nothing
**    is optimised away: once with 1 thread (exp_s_1t) and once more, on
**    the same block, with 2 threads (exp_s_2t).  That is the least work
**    any exact analysis does: one double exp per logit of every file
**    (STATISTICS.md computes the log-softmax in double); qaudit also takes
**    a row maximum, the KLD and target terms and the argmax.
**    floor_s = read_s + min(exp_s_1t, exp_s_2t): reading then computing,
**    not overlapped.  page_cache_pct: how much of the files was in the
**    page cache before the pass (mincore), so a run says whether it was
**    warm.
** 1b. The digests.  qaudit's provenance is the SHA-256 of every input
**    file, every byte hashed once (nettle, as qaudit; read with pread in
**    4 MB pieces, as qaudit's hashers): sha_s with the files split over
**    2 threads, sha_mb_s per thread; floor_digest_s = floor_s + sha_s, the
**    least a report that proves what it read can take.
** 2. float16 conversion (the first file; the first CONV_MB, default 64,
**    MB of its logits, read once beforehand so they are in the page
**    cache): MB/s of float16 input (1 MB = 10^6 bytes) for
**      - H5Dread into H5T_NATIVE_FLOAT (libhdf5's conversion; default
**        1 MB type-conversion buffer, and again with a buffer of a whole
**        block, H5Pset_buffer), and into H5T_NATIVE_DOUBLE;
**      - raw H5Dread alone, and raw H5Dread + widening with
**        _mm512_cvtph_ps (AVX-512) or _mm256_cvtph_ps (F16C), and the
**        widening alone, plus a portable bit-manipulation widening;
**    and checks that libhdf5's floats and doubles equal the F16C floats
**    bit for bit (conv_mismatch).  libhdf5's conversions are timed once
**    (they are slow), the raw paths are the best of 3.
**
** Prints "key value" lines that bench/run.sh reads.  Environment:
** TOKENS_FLOOR_BLOCK_ROWS (rows per block), CONV_MB, TOKENS_FLOOR_CONV=0
** (skip part 2), TOKENS_FLOOR_PASS=0 (skip part 1).
*/
#include <hdf5.h>
#include <nettle/sha2.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#if defined(__GLIBC__)
#define HAVE_MVEC 1
__m512d _ZGVeN8v_exp(__m512d x);
__m256d _ZGVdN4v_exp(__m256d x);
#endif
#endif

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("tokens_floor: error: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

#define CHECK_H5(expr, ...) do { if ((expr) < 0) die(__VA_ARGS__); } while (0)

static void *xmalloc(size_t n) {
  void *p = aligned_alloc(64, (n + 63) / 64 * 64);
  if (!p) die("out of memory (%zu bytes)", n);
  return p;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ------------------------------------------------------------ CPU paths */

static int have_512, have_f16c, have_avx2;

static void cpu_init(void) {
#ifdef HAVE_X86
  __builtin_cpu_init();
  have_512 = __builtin_cpu_supports("avx512f");
  have_f16c = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  have_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
}

/* IEEE binary16 -> float, portable. */
static inline float h2f(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0x1f) u = s | 0x7f800000 | (m << 13);
  else if (e) u = s | ((e + 112) << 23) | (m << 13);
  else if (!m) u = s;
  else {
    int sh = 0;
    while (!(m & 0x400)) { m <<= 1; sh++; }
    u = s | ((uint32_t)(113 - sh) << 23) | ((m & 0x3ff) << 13);
  }
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static void widen_plain(const uint16_t *in, float *out, size_t n) {
  for (size_t j = 0; j < n; j++) out[j] = h2f(in[j]);
}

#ifdef HAVE_X86
__attribute__((target("avx512f"))) static void widen_512(const uint16_t *in, float *out,
                                                         size_t n) {
  size_t j = 0;
  for (; j + 16 <= n; j += 16)
    _mm512_storeu_ps(out + j, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(in + j))));
  for (; j < n; j++) out[j] = h2f(in[j]);
}

__attribute__((target("avx,f16c"))) static void widen_256(const uint16_t *in, float *out,
                                                          size_t n) {
  size_t j = 0;
  for (; j + 8 <= n; j += 8)
    _mm256_storeu_ps(out + j, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(in + j))));
  for (; j < n; j++) out[j] = h2f(in[j]);
}
#endif

static const char *widen_name(void) {
  return have_512 ? "avx512 _mm512_cvtph_ps" : have_f16c ? "f16c _mm256_cvtph_ps" : "plain";
}

static void widen(const uint16_t *in, float *out, size_t n) {
#ifdef HAVE_X86
  if (have_512) { widen_512(in, out, n); return; }
  if (have_f16c) { widen_256(in, out, n); return; }
#endif
  widen_plain(in, out, n);
}

/* Σ exp(x_j) over n stored values of elem bytes (2: float16, 4: float,
** 8: double), widened to double. */
static double sum_exp_scalar(const void *raw, size_t elem, size_t n) {
  double s = 0;
  for (size_t j = 0; j < n; j++) {
    double x = elem == 2 ? (double)h2f(((const uint16_t *)raw)[j])
             : elem == 4 ? (double)((const float *)raw)[j] : ((const double *)raw)[j];
    s += exp(x);
  }
  return s;
}

#ifdef HAVE_MVEC
__attribute__((target("avx512f"))) static double sum_exp_512(const void *raw, size_t elem,
                                                             size_t n) {
  __m512d acc = _mm512_setzero_pd();
  size_t j = 0;
  if (elem == 2) {
    const uint16_t *h = raw;
    for (; j + 16 <= n; j += 16) {
      __m512 f = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(h + j)));
      __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(f));
      __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1)));
      acc = _mm512_add_pd(acc, _ZGVeN8v_exp(lo));
      acc = _mm512_add_pd(acc, _ZGVeN8v_exp(hi));
    }
  } else if (elem == 4) {
    const float *f = raw;
    for (; j + 8 <= n; j += 8)
      acc = _mm512_add_pd(acc, _ZGVeN8v_exp(_mm512_cvtps_pd(_mm256_loadu_ps(f + j))));
  } else {
    const double *d = raw;
    for (; j + 8 <= n; j += 8) acc = _mm512_add_pd(acc, _ZGVeN8v_exp(_mm512_loadu_pd(d + j)));
  }
  return _mm512_reduce_add_pd(acc) + sum_exp_scalar((const char *)raw + j * elem, elem, n - j);
}

__attribute__((target("avx2,fma,f16c"))) static double sum_exp_256(const void *raw, size_t elem,
                                                                   size_t n) {
  __m256d acc = _mm256_setzero_pd();
  size_t j = 0;
  if (elem == 2) {
    const uint16_t *h = raw;
    for (; j + 8 <= n; j += 8) {
      __m256 f = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(h + j)));
      acc = _mm256_add_pd(acc, _ZGVdN4v_exp(_mm256_cvtps_pd(_mm256_castps256_ps128(f))));
      acc = _mm256_add_pd(acc, _ZGVdN4v_exp(_mm256_cvtps_pd(_mm256_extractf128_ps(f, 1))));
    }
  } else if (elem == 4) {
    const float *f = raw;
    for (; j + 4 <= n; j += 4)
      acc = _mm256_add_pd(acc, _ZGVdN4v_exp(_mm256_cvtps_pd(_mm_loadu_ps(f + j))));
  } else {
    const double *d = raw;
    for (; j + 4 <= n; j += 4) acc = _mm256_add_pd(acc, _ZGVdN4v_exp(_mm256_loadu_pd(d + j)));
  }
  double l[4];
  _mm256_storeu_pd(l, acc);
  return (l[0] + l[1]) + (l[2] + l[3]) + sum_exp_scalar((const char *)raw + j * elem, elem, n - j);
}
#endif

static const char *exp_name(void) {
#ifdef HAVE_MVEC
  if (have_512) return "libmvec _ZGVeN8v_exp (AVX-512), double";
  if (have_avx2 && have_f16c) return "libmvec _ZGVdN4v_exp (AVX2), double";
#endif
  return "libm exp, double";
}

static double sum_exp(const void *raw, size_t elem, size_t n) {
#ifdef HAVE_MVEC
  if (have_512) return sum_exp_512(raw, elem, n);
  if (have_avx2 && have_f16c) return sum_exp_256(raw, elem, n);
#endif
  return sum_exp_scalar(raw, elem, n);
}

typedef struct job {
  const char *raw;
  size_t elem, n;
  double sum;
} job;

static void *run_job(void *p) {
  job *j = p;
  j->sum = sum_exp(j->raw, j->elem, j->n);
  return NULL;
}

/* SHA-256 of files [lo, hi) of paths, in 4 MB preads (part 1b); bytes:
** how many were hashed. */
typedef struct sha_job {
  char **paths;
  size_t lo, hi;
  double bytes;
} sha_job;

static void *sha_files(void *arg) {
  sha_job *j = arg;
  size_t piece = (size_t)4 << 20;
  unsigned char *buf = xmalloc(piece);
  for (size_t i = j->lo; i < j->hi; i++) {
    int fd = open(j->paths[i], O_RDONLY);
    if (fd < 0) die("%s: cannot open", j->paths[i]);
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    off_t at = 0;
    for (;;) {
      ssize_t n = pread(fd, buf, piece, at);
      if (n < 0) die("%s: cannot read", j->paths[i]);
      if (n == 0) break;
      sha256_update(&ctx, (size_t)n, buf);
      at += n;
      j->bytes += (double)n;
    }
    close(fd);
    unsigned char digest[SHA256_DIGEST_SIZE];
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
  }
  free(buf);
  return NULL;
}

/* Σ exp over n values with nt (1 or 2) threads. */
static double sum_exp_threads(const void *raw, size_t elem, size_t n, size_t v, int nt) {
  if (nt <= 1) return sum_exp(raw, elem, n);
  size_t rows = n / v, half = (rows + 1) / 2 * v;
  job a = {raw, elem, half, 0}, b = {(const char *)raw + half * elem, elem, n - half, 0};
  pthread_t th;
  if (pthread_create(&th, NULL, run_job, &b) != 0) die("pthread_create failed");
  run_job(&a);
  pthread_join(th, NULL);
  return a.sum + b.sum;
}

/* ------------------------------------------------------------ HDF5 */

typedef struct input {
  const char *path;
  hid_t file, ds, space, ftype;
  size_t elem, chunk_rows;
} input;

static void open_input(input *in, const char *path, hsize_t *t, hsize_t *v) {
  in->path = path;
  in->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  CHECK_H5(in->file, "%s: cannot open", path);
  in->ds = H5Dopen2(in->file, "/tokens/logits", H5P_DEFAULT);
  CHECK_H5(in->ds, "%s:/tokens/logits: cannot open", path);
  in->space = H5Dget_space(in->ds);
  hsize_t dims[2];
  if (H5Sget_simple_extent_ndims(in->space) != 2) die("%s:/tokens/logits: not rank 2", path);
  H5Sget_simple_extent_dims(in->space, dims, NULL);
  in->ftype = H5Dget_type(in->ds);
  if (H5Tget_class(in->ftype) != H5T_FLOAT) die("%s:/tokens/logits: not float", path);
  in->elem = H5Tget_size(in->ftype);
  if (in->elem != 2 && in->elem != 4 && in->elem != 8)
    die("%s:/tokens/logits: %zu-byte floats", path, in->elem);
  if (in->elem == 2) {
    size_t spos, epos, esize, mpos, msize;
    H5Tget_fields(in->ftype, &spos, &epos, &esize, &mpos, &msize);
    if (esize != 5 || msize != 10) die("%s:/tokens/logits: 16-bit but not IEEE half", path);
  }
  hid_t dcpl = H5Dget_create_plist(in->ds);
  in->chunk_rows = 0;
  if (H5Pget_layout(dcpl) == H5D_CHUNKED) {
    hsize_t c[2];
    H5Pget_chunk(dcpl, 2, c);
    in->chunk_rows = (size_t)c[0];
  }
  H5Pclose(dcpl);
  *t = dims[0];
  *v = dims[1];
}

static void close_input(input *in) {
  H5Tclose(in->ftype);
  H5Sclose(in->space);
  H5Dclose(in->ds);
  H5Fclose(in->file);
}

static void read_rows(input *in, hid_t mtype, hid_t dxpl, size_t r0, size_t n, size_t v,
                      void *buf) {
  hsize_t start[2] = {r0, 0}, count[2] = {n, v};
  CHECK_H5(H5Sselect_hyperslab(in->space, H5S_SELECT_SET, start, NULL, count, NULL),
           "H5Sselect_hyperslab failed");
  hid_t mem = H5Screate_simple(2, count, NULL);
  CHECK_H5(H5Dread(in->ds, mtype, mem, in->space, dxpl, buf),
           "%s:/tokens/logits: cannot read rows %zu..%zu", in->path, r0, r0 + n);
  H5Sclose(mem);
}

/* Percentage of path's pages in the page cache. */
static double cached_pct(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size == 0) { close(fd); return -1; }
  void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  if (p == MAP_FAILED) return -1;
  size_t pg = (size_t)sysconf(_SC_PAGESIZE), np = ((size_t)st.st_size + pg - 1) / pg, in = 0;
  unsigned char *vec = malloc(np);
  if (vec && mincore(p, (size_t)st.st_size, vec) == 0)
    for (size_t i = 0; i < np; i++) in += vec[i] & 1;
  free(vec);
  munmap(p, (size_t)st.st_size);
  return 100.0 * (double)in / (double)np;
}

static double peak_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* ------------------------------------------------------------ main */

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: tokens_floor FILE.h5 [FILE.h5 ...]\n");
    return 1;
  }
  cpu_init();
  size_t nf = (size_t)argc - 1;
  input *in = calloc(nf, sizeof *in);
  hsize_t t = 0, v = 0;
  for (size_t i = 0; i < nf; i++) {
    hsize_t ti, vi;
    open_input(&in[i], argv[i + 1], &ti, &vi);
    if (i == 0) { t = ti; v = vi; }
    else if (ti != t || vi != v)
      die("%s:/tokens/logits: [%llu, %llu] differs from [%llu, %llu]", argv[i + 1],
          (unsigned long long)ti, (unsigned long long)vi, (unsigned long long)t,
          (unsigned long long)v);
  }
  size_t elem = in[0].elem, cr = in[0].chunk_rows ? in[0].chunk_rows : 1;
  const char *be = getenv("TOKENS_FLOOR_BLOCK_ROWS");
  size_t block = be && atoll(be) > 0 ? (size_t)atoll(be)
                                     : ((8u << 20) / (elem * v) / cr) * cr;
  if (block < cr) block = cr;
  if (block > t) block = t;
  double gb = (double)t * (double)v * (double)elem * (double)nf / 1e9;
  printf("files %zu\nrows %llu\nvocab %llu\nelem_bytes %zu\nchunk_rows %zu\nblock_rows %zu\n"
         "logits_gb %.3f\nexp_path %s\nwiden_path %s\n", nf, (unsigned long long)t,
         (unsigned long long)v, elem, in[0].chunk_rows, block, gb, exp_name(), widen_name());
  fflush(stdout);

  void *raw = xmalloc(block * v * elem);
  const char *pe = getenv("TOKENS_FLOOR_PASS");
  if (!pe || strcmp(pe, "0") != 0) {
    double pct = 0;
    for (size_t i = 0; i < nf; i++) pct += cached_pct(in[i].path) / (double)nf;
    printf("page_cache_pct %.1f\n", pct);
    double read_s = 0, exp1 = 0, exp2 = 0, sum1 = 0, sum2 = 0;
    for (size_t r0 = 0; r0 < t; r0 += block) {
      size_t n = t - r0 < block ? t - r0 : block;
      for (size_t i = 0; i < nf; i++) {
        double a = now();
        read_rows(&in[i], in[i].ftype, H5P_DEFAULT, r0, n, v, raw);
        double b = now();
        sum1 += sum_exp_threads(raw, in[i].elem, n * v, v, 1);
        double c = now();
        sum2 += sum_exp_threads(raw, in[i].elem, n * v, v, 2);
        double d = now();
        read_s += b - a;
        exp1 += c - b;
        exp2 += d - c;
      }
    }
    double ex = exp1 < exp2 ? exp1 : exp2;
    printf("read_s %.3f\nread_mb_s %.0f\nexp_s_1t %.3f\nexp_s_2t %.3f\nexp_s %.3f\n"
           "floor_s %.3f\nexp_sum %.10g %.10g\n", read_s, gb * 1e3 / read_s, exp1, exp2, ex,
           read_s + ex, sum1, sum2);
    /* 1b: every file's SHA-256, the files split over two threads. */
    sha_job sj[2] = {{argv + 1, 0, (nf + 1) / 2, 0}, {argv + 1, (nf + 1) / 2, nf, 0}};
    double s0 = now();
    pthread_t sth;
    int two = nf > 1 && pthread_create(&sth, NULL, sha_files, &sj[1]) == 0;
    sha_files(&sj[0]);
    if (two) pthread_join(sth, NULL);
    else if (nf > 1) sha_files(&sj[1]);
    double sha_s = now() - s0;
    printf("sha_s %.3f\nsha_mb_s %.0f\nfloor_digest_s %.3f\n", sha_s,
           (sj[0].bytes + sj[1].bytes) / 1e6 / sha_s / (two ? 2 : 1), read_s + ex + sha_s);
    fflush(stdout);
  }

  const char *ce = getenv("TOKENS_FLOOR_CONV");
  if (elem == 2 && (!ce || strcmp(ce, "0") != 0)) {
    const char *cm = getenv("CONV_MB");
    double conv_mb = cm && atof(cm) > 0 ? atof(cm) : 64;
    size_t rows = (size_t)(conv_mb * 1e6 / (2.0 * (double)v));
    rows = rows / block * block;
    if (rows < block) rows = block;
    if (rows > t) rows = t;
    double mb = (double)rows * (double)v * 2 / 1e6;
    float *f = xmalloc(block * v * sizeof *f), *g = xmalloc(block * v * sizeof *g);
    double *dbl = xmalloc(block * v * sizeof *dbl);
    input *b = &in[0];
    hid_t big = H5Pcreate(H5P_DATASET_XFER);
    CHECK_H5(H5Pset_buffer(big, block * v * sizeof(double), NULL, NULL), "H5Pset_buffer failed");
    /* warm the page cache */
    for (size_t r0 = 0; r0 < rows; r0 += block) {
      size_t n = rows - r0 < block ? rows - r0 : block;
      read_rows(b, b->ftype, H5P_DEFAULT, r0, n, v, raw);
    }
    printf("conv_mb %.0f\nconv_page_cache_pct_of_file %.1f\n", mb, cached_pct(b->path));
    /* libhdf5's conversions once (they are slow), the raw paths best of 3. */
    double best[8];
    for (int k = 0; k < 8; k++) best[k] = 1e30;
    size_t mismatch = 0;
    for (int rep = 0; rep < 3; rep++) {
      double tk[8] = {0};
      for (size_t r0 = 0; r0 < rows; r0 += block) {
        size_t n = rows - r0 < block ? rows - r0 : block, m = n * v;
        double a = now(), c = a, d = a, e = a;
        if (rep == 0) {
          read_rows(b, H5T_NATIVE_FLOAT, H5P_DEFAULT, r0, n, v, f);     /* 0: hdf5 float */
          c = now();
          read_rows(b, H5T_NATIVE_FLOAT, big, r0, n, v, f);             /* 1: big buffer */
          d = now();
          read_rows(b, H5T_NATIVE_DOUBLE, H5P_DEFAULT, r0, n, v, dbl);  /* 2: hdf5 double */
          e = now();
        }
        read_rows(b, b->ftype, H5P_DEFAULT, r0, n, v, raw);             /* 3: raw read */
        double g0 = now();
        widen(raw, g, m);                                               /* 4: widen */
        double g1 = now();
        widen_plain(raw, g, m);                                         /* 5: plain widen */
        double g2 = now();
        widen(raw, g, m);
        tk[0] += c - a; tk[1] += d - c; tk[2] += e - d; tk[3] += g0 - e;
        tk[4] += g1 - g0; tk[5] += g2 - g1;
        if (rep == 0) {
          for (size_t j = 0; j < m; j++) {
            uint32_t x, y;
            memcpy(&x, &f[j], 4);
            memcpy(&y, &g[j], 4);
            mismatch += x != y || dbl[j] != (double)g[j];
          }
        }
      }
      for (int k = 0; k < 6; k++)
        if (rep == 0 || k >= 3) best[k] = tk[k] < best[k] ? tk[k] : best[k];
    }
    printf("conv_hdf5_float_mb_s %.0f\nconv_hdf5_float_bigbuf_mb_s %.0f\n"
           "conv_hdf5_double_mb_s %.0f\nconv_raw_read_mb_s %.0f\n"
           "conv_raw_read_widen_mb_s %.0f\nconv_widen_only_mb_s %.0f\n"
           "conv_plain_widen_only_mb_s %.0f\nconv_raw_read_plain_widen_mb_s %.0f\n"
           "conv_mismatch %zu\n",
           mb / best[0], mb / best[1], mb / best[2], mb / best[3], mb / (best[3] + best[4]),
           mb / best[4], mb / best[5], mb / (best[3] + best[5]), mismatch);
    H5Pclose(big);
    free(f); free(g); free(dbl);
  }
  printf("peak_mb %.0f\n", peak_mb());
  free(raw);
  for (size_t i = 0; i < nf; i++) close_input(&in[i]);
  free(in);
  return 0;
}

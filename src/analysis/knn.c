/*
** Leave-one-out k nearest neighbours by cosine similarity
** (STATISTICS.md "kNN accuracy"), exact, at float32 GEMM speed.
**
** The similarity.  s(i, j) is defined by one fixed computation in double
** precision, so that every path gets the same bits:
**     w_i = x_i · 2^-e_i          (e_i: the exponent of max |x_i|; exact)
**     inv_i = 1 / sqrt(Σ_t w_it²) (fixed order)
**     s(i, j) = dot(w_i, w_j) · (inv_i · inv_j)
** where dot() sums the products (w_it · w_jt) in eight interleaved partial
** sums merged pairwise, in the same order on every instruction set (no
** fused multiply-add: ISO C mode keeps contraction off).  s is symmetric
** bit for bit.  A zero row has s = 0 with any other row and 1 with another
** zero row.  The neighbours are the k largest s, equal s to the lower
** index: exactly the spec's rule on these values.
**
** The fast path.  Rows normalised to unit length and rounded to float32,
** f_i = fl32(w_i · inv_i), give all similarities at once through cblas_sgemm
** in Gram tiles (upper triangle; each tile serves both sides).  Let
** c_ij = fl32(f_i · f_j) as sgemm returns it.  For every pair
**     |c_ij − s(i, j)| ≤ ε,
**     ε = 1.25 · [γ_D (1 + 2^-22) + 2^-23 + (5D + 20) · 2^-53] + D · 2^-140,
** γ_D = D u / (1 − D u), u = 2^-24: γ_D bounds any order of a float32 dot
** product of D terms (Higham, Accuracy and Stability, eq. 3.5) with
** |f_i| ≤ 1 + 2^-24 + ...; 2^-23 + 2^-46 bounds rounding f to float32
** (both sides); (5D + 20) 2^-53 bounds the double computations of w, inv
** and s against exact arithmetic; D · 2^-140 covers subnormal floats;
** 1.25 is slack.  With t_i the k-th largest c_ij (j ≠ i), any j among the
** k nearest under s has c_ij ≥ t_i − 2ε (the k rows of the top c have
** s ≥ t_i − ε, so the k-th largest s is ≥ t_i − ε, and c ≥ s − ε).  So
** each row keeps, while the tiles go by, every j with c_ij ≥ (its running
** k-th largest c) − 2ε — the running value only grows, so nothing that
** qualifies at the end was ever dropped — then ranks those candidates by
** s itself.  The tiles are scanned 16 (AVX-512) or 8 (AVX2) values at a
** time against the thresholds: a row's threshold is read once per 16 (8)
** values, so a wide scan may admit a few values the scalar loop would
** already have refused, never fewer; the lists that come out are the
** same.  The result is identical to ranking all pairs by s (the
** exhaustive path, which the tests hold it to, ties included).
**
** A row whose candidate list outgrows its bound (massive ties) is ranked
** exhaustively; so are zero rows when there are two or more (their mutual
** s = 1 is not what the float product says).  Memory: n·d floats, one
** tile of 2048² floats, k floats and a short candidate list per row;
** never n².
*/
#include "analysis/repr.h"
#include "util/parallel.h"
#include "util/alloc.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KNN_TILE_DEFAULT 1024                 /* 4 MB of float similarities */

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define KNN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KNN_CLONES
#endif

/* ---- the similarity s(i, j) -------------------------------------------- */

/* Per row: the power of two that brings max |x| into [1, 2) and the
** inverse norm of the scaled row (0 for a zero row). */
typedef struct row_scale {
  double p, inv;
} row_scale;

/* Σ_t (a_t p)(b_t q) in eight interleaved partial sums merged pairwise;
** the same operations in the same order in every clone. */
KNN_CLONES static double fixed_dot(const double *a, double p, const double *b, double q,
                                   size_t d) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t t = 0;
  for (; t + 8 <= d; t += 8)
    for (int l = 0; l < 8; l++) acc[l] += (a[t + l] * p) * (b[t + l] * q);
  for (int l = 0; t < d; t++, l++) acc[l] += (a[t] * p) * (b[t] * q);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

static row_scale scale_of(const double *x, size_t d) {
  double m = qa_repr_abs_max(x, d);
  row_scale r = {1.0, 0.0};
  if (!(m > 0)) return r;
  r.p = ldexp(1.0, -ilogb(m));
  double ss = fixed_dot(x, r.p, x, r.p, d);
  r.inv = 1.0 / sqrt(ss);
  return r;
}

static double sim(const double *X, size_t d, const row_scale *sc, size_t i, size_t j) {
  if (sc[i].inv == 0 || sc[j].inv == 0) return sc[i].inv == 0 && sc[j].inv == 0 ? 1.0 : 0.0;
  return fixed_dot(X + i * d, sc[i].p, X + j * d, sc[j].p, d) * (sc[i].inv * sc[j].inv);
}

double qa_knn_similarity(const double *X, size_t d, size_t i, size_t j) {
  row_scale s[2] = {scale_of(X + i * d, d), scale_of(X + j * d, d)};
  if (s[0].inv == 0 || s[1].inv == 0) return s[0].inv == 0 && s[1].inv == 0 ? 1.0 : 0.0;
  return fixed_dot(X + i * d, s[0].p, X + j * d, s[1].p, d) * (s[0].inv * s[1].inv);
}

/* Keep (s, j) if it ranks among row's k best: higher s, then lower j. */
static inline void offer_exact(double *best_s, int32_t *best_j, size_t k, double s, int32_t j) {
  if (!(s > best_s[k - 1] || (s == best_s[k - 1] && j < best_j[k - 1]))) return;
  size_t p = k - 1;
  while (p > 0 && (s > best_s[p - 1] || (s == best_s[p - 1] && j < best_j[p - 1]))) {
    best_s[p] = best_s[p - 1];
    best_j[p] = best_j[p - 1];
    p--;
  }
  best_s[p] = s;
  best_j[p] = j;
}

/* Row i ranked against every other row. */
static void rank_row_exhaustive(const double *X, size_t n, size_t d, const row_scale *sc,
                                size_t k, size_t i, double *best_s, int32_t *out) {
  for (size_t r = 0; r < k; r++) { best_s[r] = -INFINITY; out[r] = INT32_MAX; }
  for (size_t j = 0; j < n; j++)
    if (j != i) offer_exact(best_s, out, k, sim(X, d, sc, i, j), (int32_t)j);
}

/* ---- per-row candidate state of the fast path --------------------------- */

typedef struct cand_row {
  float *top;        /* [k] the k largest c so far, descending (-inf: none) */
  uint32_t n, cap;   /* candidates held, room */
  int32_t *j;        /* [cap] */
  float *c;          /* [cap] */
  int overflow;      /* gave up: rank exhaustively */
} cand_row;

typedef struct cand_set {
  size_t n, k;
  double two_eps;
  uint32_t cap_max;
  cand_row *row;
  float *thr;        /* [n] per row: top[k-1] − 2ε, rounded down: admit c ≥ thr */
  float *top_all;    /* [n*k] */
} cand_set;

static float thr_of(float kth, double two_eps) {
  if (kth == -INFINITY) return -INFINITY;
  float t = (float)((double)kth - two_eps);
  return nextafterf(t, -INFINITY);   /* never above the double value */
}

/* Drop candidates below the current threshold. */
static void prune(cand_row *r, float thr) {
  uint32_t w = 0;
  for (uint32_t q = 0; q < r->n; q++)
    if (r->c[q] >= thr) { r->j[w] = r->j[q]; r->c[w] = r->c[q]; w++; }
  r->n = w;
}

static void admit(const cand_set *cs, size_t row, float c, int32_t j) {
  cand_row *r = &cs->row[row];
  if (r->overflow) return;
  size_t k = cs->k;
  if (c > r->top[k - 1]) {              /* a new k-best value: the threshold rises */
    size_t p = k - 1;
    while (p > 0 && c > r->top[p - 1]) { r->top[p] = r->top[p - 1]; p--; }
    r->top[p] = c;
    cs->thr[row] = thr_of(r->top[k - 1], cs->two_eps);
  }
  if (r->n == r->cap) {
    prune(r, cs->thr[row]);
    if (r->n > r->cap / 2) {
      if (r->cap >= cs->cap_max) { r->overflow = 1; return; }
      uint32_t cap = r->cap * 2 > cs->cap_max ? cs->cap_max : r->cap * 2;
      int32_t *nj = realloc(r->j, cap * sizeof *nj);
      if (nj) r->j = nj;
      float *nc = nj ? realloc(r->c, cap * sizeof *nc) : NULL;
      if (nc) r->c = nc;
      if (!nj || !nc) { r->overflow = 1; return; }   /* out of memory: exhaustive */
      r->cap = cap;
    }
  }
  r->j[r->n] = j;
  r->c[r->n] = c;
  r->n++;
}

/* One thread's share of a tile (as in the double path before): rows
** [r_lo, r_hi) along G's rows; off the diagonal also columns [c_lo, c_hi)
** along G's columns (the tile serves both sides). */
typedef struct tile_job {
  const cand_set *cs;
  const float *G;
  size_t i0, j0, rows, cols;
  size_t r_lo, r_hi, c_lo, c_hi;
  int diagonal;
} tile_job;

/* The scans of a tile: values g[0..m) against one threshold t (a row of
** the tile), or against the thresholds th[0..m) (its columns: one row of
** the candidate set each); each value that passes is admitted.  The wide
** versions compare 16 or 8 values at once, then admit the passing ones in
** order: on the column side exactly the scalar loop's admissions (each
** lane has its own row), on the row side possibly a few more (the
** threshold rises within a chunk); the final lists are the same. */
typedef enum scan_isa { SCAN_AUTO = -1, SCAN_SCALAR, SCAN_AVX2, SCAN_AVX512 } scan_isa;
static int scan_forced = SCAN_AUTO;

/* Row side: g is row `row`'s stretch starting at column index j; `skip`
** (or SIZE_MAX) is the position of the row itself (leave-one-out). */
static void scan_row_scalar(const cand_set *cs, const float *g, size_t m, size_t row, size_t j,
                            size_t skip) {
  for (size_t c = 0; c < m; c++)
    if (c != skip && g[c] >= cs->thr[row]) admit(cs, row, g[c], (int32_t)(j + c));
}

/* Column side: g[c] belongs to candidate row row0 + c, as column index j. */
static void scan_cols_scalar(const cand_set *cs, const float *g, size_t m, size_t row0,
                             int32_t j) {
  for (size_t c = 0; c < m; c++)
    if (g[c] >= cs->thr[row0 + c]) admit(cs, row0 + c, g[c], j);
}

/* The values of a wide compare that passed (bit q: g[c0 + q]), admitted in
** order: on the row side into row `row` (column index j + c0 + q, but
** not the row itself at `skip`), on the column side each into its own row. */
static void admit_row_bits(const cand_set *cs, const float *g, size_t c0, unsigned bits,
                           size_t row, size_t j, size_t skip) {
  for (; bits; bits &= bits - 1) {
    size_t q = c0 + (size_t)__builtin_ctz(bits);
    if (q != skip) admit(cs, row, g[q], (int32_t)(j + q));
  }
}

static void admit_col_bits(const cand_set *cs, const float *g, size_t c0, unsigned bits,
                           size_t row0, int32_t j) {
  for (; bits; bits &= bits - 1) {
    size_t q = c0 + (size_t)__builtin_ctz(bits);
    admit(cs, row0 + q, g[q], j);
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define KNN_WIDE 1

/* The rest of a stretch after the last whole vector: the scalar loops. */
#define ROW_TAIL() \
  if (c < m) scan_row_scalar(cs, g + c, m - c, row, j + c, skip < c ? SIZE_MAX : skip - c)
#define COL_TAIL() if (c < m) scan_cols_scalar(cs, g + c, m - c, row0 + c, j)

__attribute__((target("avx512f"))) static void scan_row_avx512(const cand_set *cs,
                                                              const float *g, size_t m,
                                                              size_t row, size_t j,
                                                              size_t skip) {
  size_t c = 0;
  for (; c + 16 <= m; c += 16)
    admit_row_bits(cs, g, c,
                   _mm512_cmp_ps_mask(_mm512_loadu_ps(g + c), _mm512_set1_ps(cs->thr[row]),
                                      _CMP_GE_OQ),
                   row, j, skip);
  ROW_TAIL();
}

__attribute__((target("avx512f"))) static void scan_cols_avx512(const cand_set *cs,
                                                               const float *g, size_t m,
                                                               size_t row0, int32_t j) {
  size_t c = 0;
  for (; c + 16 <= m; c += 16)
    admit_col_bits(cs, g, c,
                   _mm512_cmp_ps_mask(_mm512_loadu_ps(g + c),
                                      _mm512_loadu_ps(cs->thr + row0 + c), _CMP_GE_OQ),
                   row0, j);
  COL_TAIL();
}

__attribute__((target("avx2"))) static void scan_row_avx2(const cand_set *cs, const float *g,
                                                         size_t m, size_t row, size_t j,
                                                         size_t skip) {
  size_t c = 0;
  for (; c + 8 <= m; c += 8)
    admit_row_bits(cs, g, c,
                   (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(
                       _mm256_loadu_ps(g + c), _mm256_set1_ps(cs->thr[row]), _CMP_GE_OQ)),
                   row, j, skip);
  ROW_TAIL();
}

__attribute__((target("avx2"))) static void scan_cols_avx2(const cand_set *cs, const float *g,
                                                          size_t m, size_t row0, int32_t j) {
  size_t c = 0;
  for (; c + 8 <= m; c += 8)
    admit_col_bits(cs, g, c,
                   (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(
                       _mm256_loadu_ps(g + c), _mm256_loadu_ps(cs->thr + row0 + c), _CMP_GE_OQ)),
                   row0, j);
  COL_TAIL();
}
#undef ROW_TAIL
#undef COL_TAIL
#endif

/* The widest scan the CPU has (libgcc has run __builtin_cpu_init before
** main), or the one a test forced, when the CPU has it. */
static scan_isa scan_choice(void) {
  scan_isa have = SCAN_SCALAR;
#ifdef KNN_WIDE
  if (__builtin_cpu_supports("avx512f")) have = SCAN_AVX512;
  else if (__builtin_cpu_supports("avx2")) have = SCAN_AVX2;
#endif
  return scan_forced != SCAN_AUTO && scan_forced < (int)have ? (scan_isa)scan_forced : have;
}

int qa_knn_set_scan(int isa) {
  scan_forced = isa < 0 ? SCAN_AUTO : isa;
  return (int)scan_choice();
}

static void *tile_select(void *arg) {
  const tile_job *jb = arg;
  const cand_set *cs = jb->cs;
  scan_isa isa = scan_choice();
  for (size_t r = jb->r_lo; r < jb->r_hi; r++) {
    const float *g = jb->G + r * jb->cols;
    size_t skip = jb->diagonal ? r : SIZE_MAX;   /* leave-one-out */
#ifdef KNN_WIDE
    if (isa == SCAN_AVX512) scan_row_avx512(cs, g, jb->cols, jb->i0 + r, jb->j0, skip);
    else if (isa == SCAN_AVX2) scan_row_avx2(cs, g, jb->cols, jb->i0 + r, jb->j0, skip);
    else
#endif
      scan_row_scalar(cs, g, jb->cols, jb->i0 + r, jb->j0, skip);
  }
  if (!jb->diagonal)
    for (size_t r = 0; r < jb->rows; r++) {
      const float *g = jb->G + r * jb->cols + jb->c_lo;
      size_t m = jb->c_hi - jb->c_lo, row0 = jb->j0 + jb->c_lo;
      int32_t j = (int32_t)(jb->i0 + r);
#ifdef KNN_WIDE
      if (isa == SCAN_AVX512) scan_cols_avx512(cs, g, m, row0, j);
      else if (isa == SCAN_AVX2) scan_cols_avx2(cs, g, m, row0, j);
      else
#endif
        scan_cols_scalar(cs, g, m, row0, j);
    }
  return NULL;
}

static void tile_select_parallel(const tile_job *base, int nthreads) {
  tile_job jobs[64];
  int count = nthreads < 64 ? nthreads : 64;
  if ((size_t)count > base->rows) count = (int)base->rows;
  if (count < 1) count = 1;
  for (int t = 0; t < count; t++) {
    jobs[t] = *base;
    jobs[t].r_lo = base->rows * (size_t)t / (size_t)count;
    jobs[t].r_hi = base->rows * (size_t)(t + 1) / (size_t)count;
    jobs[t].c_lo = base->cols * (size_t)t / (size_t)count;
    jobs[t].c_hi = base->cols * (size_t)(t + 1) / (size_t)count;
  }
  qa_run_parallel(tile_select, jobs, sizeof jobs[0], count);
}

/* ---- final ranking, rows split among threads ---------------------------- */

typedef struct rank_job {
  const double *X;
  size_t n, d, k;
  const row_scale *sc;
  const cand_set *cs;      /* NULL: every row exhaustively */
  int zeros_tied;          /* two or more zero rows: rank zero rows exhaustively */
  int32_t *out;
  size_t lo, hi;
  size_t exhaustive_rows;  /* out: rows ranked against all others */
  size_t dots;             /* out: similarities computed for the fast path's clusters */
} rank_job;

/* A candidate of the final ranking: its float32 value, index and, when
** needed, its similarity. */
typedef struct cand {
  float c;
  int32_t j;
  double s;
} cand;

/* Insertion sorts: by c descending then j ascending; by s descending then
** j ascending (the spec's order).  Lists are short (k plus a few). */
static void sort_by_c(cand *a, size_t m) {
  for (size_t t = 1; t < m; t++) {
    cand x = a[t];
    size_t q = t;
    while (q > 0 && (a[q - 1].c < x.c || (a[q - 1].c == x.c && a[q - 1].j > x.j))) {
      a[q] = a[q - 1];
      q--;
    }
    a[q] = x;
  }
}

static void sort_by_s(cand *a, size_t m) {
  for (size_t t = 1; t < m; t++) {
    cand x = a[t];
    size_t q = t;
    while (q > 0 && (a[q - 1].s < x.s || (a[q - 1].s == x.s && a[q - 1].j > x.j))) {
      a[q] = a[q - 1];
      q--;
    }
    a[q] = x;
  }
}

/* Row i's k neighbours from its candidates.  Sorted by c, the candidates
** fall into clusters where consecutive values lie within 2 eps; between
** two clusters the gap exceeds 2 eps, so every s of the upper cluster is
** above every s of the lower one (s >= c - eps on one side, s <= c + eps on
** the other): only a cluster of two or more needs s, and is sorted by it.
** Every candidate below the k-th c is in the k-th's cluster (the filter
** keeps c >= t - 2 eps), so the cluster that holds position k is always
** ranked by s in full before the list is cut. */
static size_t rank_from_candidates(const rank_job *jb, size_t i, const cand_row *r, cand *a,
                                   int32_t *out) {
  size_t k = jb->k, m = 0, e = 0, dots = 0;
  double two_eps = jb->cs->two_eps, lim = (double)r->top[k - 1] - two_eps;
  for (uint32_t q = 0; q < r->n; q++)
    if ((double)r->c[q] >= lim) a[m++] = (cand){r->c[q], r->j[q], 0.0};
  sort_by_c(a, m);
  for (size_t q = 0; q < m && e < k;) {
    size_t z = q + 1;
    while (z < m && (double)a[z - 1].c - (double)a[z].c <= two_eps) z++;
    if (z - q > 1) {
      for (size_t t = q; t < z; t++) a[t].s = sim(jb->X, jb->d, jb->sc, i, (size_t)a[t].j);
      dots += z - q;
      sort_by_s(a + q, z - q);
    }
    for (size_t t = q; t < z && e < k; t++) out[e++] = a[t].j;
    q = z;
  }
  for (; e < k; e++) out[e] = INT32_MAX;   /* cannot happen: k candidates at least */
  return dots;
}

static void *rank_rows(void *arg) {
  rank_job *jb = arg;
  size_t k = jb->k;
  double best_stack[64], *best = k <= 64 ? best_stack : malloc(k * sizeof *best);
  cand *a = jb->cs ? malloc(jb->cs->cap_max * sizeof *a) : NULL;
  if (!best || (jb->cs && !a)) {   /* the sentinels left make the caller fail */
    if (best != best_stack) free(best);
    free(a);
    return NULL;
  }
  for (size_t i = jb->lo; i < jb->hi; i++) {
    int32_t *out = jb->out + i * k;
    const cand_row *r = jb->cs ? &jb->cs->row[i] : NULL;
    if (!r || r->overflow || (jb->zeros_tied && jb->sc[i].inv == 0)) {
      rank_row_exhaustive(jb->X, jb->n, jb->d, jb->sc, k, i, best, out);
      jb->exhaustive_rows++;
      continue;
    }
    jb->dots += rank_from_candidates(jb, i, r, a, out);
  }
  if (best != best_stack) free(best);
  free(a);
  return NULL;
}

static size_t rank_parallel(rank_job *base, int nthreads) {
  rank_job jobs[64];
  int count = nthreads < 64 ? nthreads : 64;
  if ((size_t)count > base->n) count = (int)base->n;
  if (count < 1) count = 1;
  for (int t = 0; t < count; t++) {
    jobs[t] = *base;
    jobs[t].lo = base->n * (size_t)t / (size_t)count;
    jobs[t].hi = base->n * (size_t)(t + 1) / (size_t)count;
    jobs[t].exhaustive_rows = 0;
    jobs[t].dots = 0;
  }
  qa_run_parallel(rank_rows, jobs, sizeof jobs[0], count);
  size_t ex = 0;
  base->dots = 0;
  for (int t = 0; t < count; t++) {
    ex += jobs[t].exhaustive_rows;
    base->dots += jobs[t].dots;
  }
  return ex;
}

/* ---- entry points ------------------------------------------------------- */

double qa_knn_eps(size_t d) {
  double u = ldexp(1.0, -24), D = (double)d;
  double gamma = D * u / (1.0 - D * u);
  return 1.25 * (gamma * (1.0 + ldexp(1.0, -22)) + ldexp(1.0, -23) +
                 (5.0 * D + 20.0) * ldexp(1.0, -53)) + D * ldexp(1.0, -140);
}

static int check_args(const double *X, size_t n, size_t d, size_t k, qa_error *err) {
  if (k < 1 || k >= n)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "knn_k = %zu needs at least 1 neighbour and %zu samples, found %zu",
                        k, k + 1, n);
  if (n > INT32_MAX || d > INT_MAX || d * (double)ldexp(1.0, -24) >= 0.5)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "%zu samples of dimension %zu exceed the kNN limits", n, d);
  for (size_t i = 0; i < n; i++)
    for (size_t t = 0; t < d; t++)
      if (!isfinite(X[i * d + t]))
        return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                            "sample %zu: hidden state is not finite", i);
  return 0;
}

static int finish(const int32_t *nbr, size_t n, size_t k, qa_error *err) {
  for (size_t i = 0; i < n * k; i++)
    if (nbr[i] == INT32_MAX)
      return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "kNN ranking: out of memory");
  return 0;
}

int qa_knn_compute_method(const double *X, size_t n, size_t d, size_t k, int nthreads,
                          size_t tile, qa_knn_method method, int32_t *nbr_out,
                          qa_knn_info *info, qa_error *err) {
  int rc = -1;
  row_scale *sc = NULL;
  float *F = NULL, *G = NULL, *top_all = NULL;
  cand_set cs = {0};
  qa_knn_info local = {0};
  if (check_args(X, n, d, k, err)) return -1;
  nthreads = qa_repr_resolve_threads(nthreads);
  if (!(sc = qa_alloc_array(n, sizeof *sc, err, "kNN norms"))) goto done;
  size_t zeros = 0;
  for (size_t i = 0; i < n; i++) {
    sc[i] = scale_of(X + i * d, d);
    zeros += sc[i].inv == 0;
  }
  rank_job rj = {X, n, d, k, sc, NULL, zeros >= 2, nbr_out, 0, 0, 0, 0};
  if (method == QA_KNN_EXHAUSTIVE) {
    local.exhaustive_rows = rank_parallel(&rj, nthreads);
    rc = finish(nbr_out, n, k, err);
    goto done;
  }

  qa_repr_set_threads(nthreads);
  if (tile == 0) tile = KNN_TILE_DEFAULT;
  if (tile > n) tile = n;
  if (!(F = qa_alloc_array(n * d, sizeof *F, err, "kNN float rows"))) goto done;
  if (!(G = qa_alloc_array(tile * tile, sizeof *G, err, "kNN Gram tile"))) goto done;
  if (!(top_all = qa_alloc_array(n * k, sizeof *top_all, err, "kNN lists")) ||
      !(cs.thr = qa_alloc_array(n, sizeof *cs.thr, err, "kNN thresholds")))
    goto done;
  if (!(cs.row = calloc(n, sizeof *cs.row))) {
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "kNN candidates: out of memory");
    goto done;
  }
  cs.n = n;
  cs.k = k;
  cs.two_eps = 2.0 * qa_knn_eps(d);
  cs.cap_max = (uint32_t)(4 * k + 256);
  local.eps = cs.two_eps / 2;
  for (size_t i = 0; i < n; i++) {
    const double *x = X + i * d;
    float *f = F + i * d;
    for (size_t t = 0; t < d; t++) f[t] = (float)((x[t] * sc[i].p) * sc[i].inv);
    cand_row *r = &cs.row[i];
    r->top = top_all + i * k;
    for (size_t q = 0; q < k; q++) r->top[q] = -INFINITY;
    cs.thr[i] = -INFINITY;
    r->cap = (uint32_t)(2 * k + 14);
    r->j = malloc(r->cap * sizeof *r->j);
    r->c = malloc(r->cap * sizeof *r->c);
    if (!r->j || !r->c) r->overflow = 1;   /* ranked exhaustively */
  }
  for (size_t i0 = 0; i0 < n; i0 += tile) {
    size_t rows = n - i0 < tile ? n - i0 : tile;
    for (size_t j0 = i0; j0 < n; j0 += tile) {
      size_t cols = n - j0 < tile ? n - j0 : tile;
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)cols, (int)d,
                  1.0f, F + i0 * d, (int)d, F + j0 * d, (int)d, 0.0f, G, (int)cols);
      tile_job job = {&cs, G, i0, j0, rows, cols, 0, 0, 0, 0, j0 == i0};
      tile_select_parallel(&job, nthreads);
    }
  }
  free(F);
  F = NULL;
  rj.cs = &cs;
  local.exhaustive_rows = rank_parallel(&rj, nthreads);
  local.dots = rj.dots;
  for (size_t i = 0; i < n; i++) {
    double lim = (double)cs.row[i].top[k - 1] - cs.two_eps;
    size_t kept = 0;
    for (uint32_t q = 0; q < cs.row[i].n; q++) kept += (double)cs.row[i].c[q] >= lim;
    local.candidates += kept;
  }
  rc = finish(nbr_out, n, k, err);
done:
  if (cs.row)
    for (size_t i = 0; i < n; i++) { free(cs.row[i].j); free(cs.row[i].c); }
  free(cs.row);
  free(cs.thr);
  free(top_all);
  free(G);
  free(F);
  free(sc);
  if (info) *info = local;
  return rc;
}

int qa_knn_compute_tiled(const double *X, size_t n, size_t d, size_t k, int nthreads,
                         size_t tile, int32_t *nbr_out, qa_error *err) {
  return qa_knn_compute_method(X, n, d, k, nthreads, tile, QA_KNN_FAST, nbr_out, NULL, err);
}

int qa_knn_compute(const double *X, size_t n, size_t d, size_t k, int nthreads,
                   int32_t *nbr_out, qa_error *err) {
  const char *m = getenv("QAUDIT_KNN");
  qa_knn_method method = m && strcmp(m, "exhaustive") == 0 ? QA_KNN_EXHAUSTIVE : QA_KNN_FAST;
  return qa_knn_compute_method(X, n, d, k, nthreads, 0, method, nbr_out, NULL, err);
}

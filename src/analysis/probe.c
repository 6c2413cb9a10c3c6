/*
** Linear probes (STATISTICS.md "Depth: every hidden layer"): the closed-form
** ridge head, its accuracy and AUC, and the layer order.  probe.h states
** the definitions; this file only says how they are computed.
**
**   train_stats()   m, ybar, tr(Xc'Xc) over the train rows (one pass each,
**                   index order: the same lambda for both forms)
**   solve_primal()  Xc'Xc (dsyrk) and (Y-ybar)'Xc (dgemm) folded over blocks
**                   of centred train rows, then dposv on D x D
**   solve_dual()    Xc Xc' (dsyrk over blocks of centred columns), dposv on
**                   N_tr x N_tr, then W = Xc' A block by block (dgemm)
**   score_block()   (x - m) W + ybar for a block of rows (dgemm)
**
** This file must never read a file, print, or hold more than the
** min(D, N_tr)^2 system and blocks of rows or columns.
*/
#include "analysis/probe.h"
#include "util/alloc.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* LAPACK from OpenBLAS, Fortran ABI (Debian ships no lapacke.h for it); the
** trailing size_t is gfortran's hidden CHARACTER length. */
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda,
            double *b, const int *ldb, int *info, size_t);

#define PROBE_BLOCK_ROWS 512          /* centred rows per dsyrk/dgemm update, at most */
#define PROBE_BLOCK_DOUBLES (1u << 20)  /* ... and at most 8 MB of them */
#define PROBE_BLOCK_COLS 512          /* centred columns per Gram update (dual form) */

/* Rows per block of centred rows of dimension d. */
static size_t block_rows(size_t d) {
  size_t rows = PROBE_BLOCK_DOUBLES / (d ? d : 1);
  return rows < 1 ? 1 : rows > PROBE_BLOCK_ROWS ? PROBE_BLOCK_ROWS : rows;
}


void qa_probe_split(size_t n, size_t *n_train_out, size_t *n_test_out) {
  size_t n_test = n / 5 + (n % 5 != 0);   /* rows 0, 5, 10, ... */
  if (n_train_out) *n_train_out = n - n_test;
  if (n_test_out) *n_test_out = n_test;
}

static int use_dual(size_t n_train, size_t d, qa_probe_form form) {
  return form == QA_PROBE_DUAL || (form == QA_PROBE_AUTO && d > n_train);
}

/* ---- Memory ------------------------------------------------------------ */

/* Doubles, with overflow to UINT64_MAX, of a + b*c. */
static uint64_t add_mul(uint64_t a, uint64_t b, uint64_t c) {
  if (a == UINT64_MAX || (c && b > (UINT64_MAX - a) / c)) return UINT64_MAX;
  return a + b * c;
}

uint64_t qa_probe_bytes(size_t n, size_t d, int32_t n_classes) {
  size_t n_train, n_test;
  qa_probe_split(n, &n_train, &n_test);
  uint64_t c = n_classes > 0 ? (uint64_t)n_classes : 1;
  int dual = use_dual(n_train, d, QA_PROBE_AUTO);
  uint64_t r = dual ? n_train : d;
  if (r > QA_PROBE_ORDER_MAX) return UINT64_MAX;
  uint64_t rows = block_rows(d);
  uint64_t cols = d < PROBE_BLOCK_COLS ? d : PROBE_BLOCK_COLS;
  /* The system and its right-hand side, the centred block, two probes
  ** (this one and the baseline's: m, W, ybar), and the evaluation's block
  ** of rows and scores plus the AUC's sort (16 bytes a test row). */
  uint64_t v = add_mul(0, r, r);
  v = add_mul(v, r, c);
  v = dual ? add_mul(v, n_train, cols) : add_mul(v, rows, d + c);
  v = add_mul(v, 2, d + d * c + c);
  v = add_mul(v, rows, d + c);
  v = add_mul(v, 3, n_test);
  return add_mul(0, v, 8);
}

int qa_probe_check(size_t n, size_t d, int32_t n_classes, uint64_t budget_bytes,
                   const char *budget_what, qa_error *err) {
  size_t n_train;
  qa_probe_split(n, &n_train, NULL);
  size_t r = d > n_train ? n_train : d;
  if (r > QA_PROBE_ORDER_MAX)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "hidden states [%zu, %zu]: the linear probe solves a system of "
                        "order min(N_train, D) = %zu, more than the %d that LAPACK's 32-bit "
                        "indices allow", n, d, r, QA_PROBE_ORDER_MAX);
  uint64_t need = qa_probe_bytes(n, d, n_classes);
  if (need > budget_bytes)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "hidden states [%zu, %zu]: the linear probe needs %.3g GB for a "
                        "system of order min(N_train, D) = %zu, more than the %.3g GB %s",
                        n, d, (double)need / 1e9, r, (double)budget_bytes / 1e9,
                        budget_what ? budget_what : "available");
  return 0;
}

/* ---- Fitting ----------------------------------------------------------- */

static int check_labels(const int32_t *labels, size_t n, int32_t n_classes, qa_error *err) {
  for (size_t i = 0; i < n; i++)
    if (labels[i] < 0 || labels[i] >= n_classes)
      return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                          "probe: label %d of row %zu is outside 0..%d", (int)labels[i], i,
                          (int)n_classes - 1);
  return 0;
}

/* m (d) and ybar (C) over the train rows, and tr(Xc'Xc) = sum of (x - m)^2
** in row order.  A column whose train values are all equal gets exactly
** that value as its mean (sum / n can be off by an ulp), so it centres to
** exact zeros, as repr.c's column means do. */
static double train_stats(const double *X, const int32_t *labels, size_t n, size_t d,
                          size_t n_train, int32_t C, double *mean, double *ybar) {
  memset(mean, 0, d * sizeof *mean);
  memset(ybar, 0, (size_t)C * sizeof *ybar);
  size_t first = 1;                              /* row 0 is a test row */
  for (size_t i = 0; i < n; i++) {
    if (qa_probe_is_test_row(i)) continue;
    for (size_t j = 0; j < d; j++) mean[j] += X[i * d + j];
    ybar[labels[i]] += 1;
  }
  for (size_t j = 0; j < d; j++) {
    mean[j] /= (double)n_train;
    size_t i = first;
    while (i < n && (qa_probe_is_test_row(i) || X[i * d + j] == X[first * d + j])) i++;
    if (i == n) mean[j] = X[first * d + j];
  }
  for (int32_t c = 0; c < C; c++) ybar[c] /= (double)n_train;
  double trace = 0;
  for (size_t i = 0; i < n; i++) {
    if (qa_probe_is_test_row(i)) continue;
    for (size_t j = 0; j < d; j++) {
      double e = X[i * d + j] - mean[j];
      trace += e * e;
    }
  }
  return trace;
}

/* LAPACK dposv on the r x r symmetric A whose row-major upper triangle is
** set (the column-major lower one, hence "L"), with C right-hand sides held
** as the rows of B (C x r row-major = r x C column-major, ldb = r). */
static int cholesky_solve(double *A, size_t r, double *B, int32_t C, qa_error *err) {
  int n = (int)r, nrhs = (int)C, info = 0;
  dposv_("L", &n, &nrhs, A, &n, B, &n, &info, 1);
  if (info > 0)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "probe: the ridge system of order %zu is not positive definite "
                        "(leading minor %d); probe_ridge must be > 0 for these states",
                        r, info);
  if (info < 0)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "LAPACK dposv failed (info %d)", info);
  return 0;
}

/* (Xc'Xc + lambda I) W = Xc'(Y - ybar): the normal equations (D x D). */
static int solve_primal(const double *X, const int32_t *labels, size_t n, qa_probe *p,
                        qa_error *err) {
  int rc = -1;
  size_t d = p->d, C = (size_t)p->n_classes;
  size_t block = block_rows(d);
  if (block > p->n_train) block = p->n_train;
  double *A = NULL, *Bt = NULL, *xb = NULL, *yb = NULL;
  if (!(A = qa_alloc_array(d * d, sizeof *A, err, "probe system")) ||
      !(Bt = qa_alloc_array(C * d, sizeof *Bt, err, "probe right-hand side")) ||
      !(xb = qa_alloc_array(block * d, sizeof *xb, err, "probe centred block")) ||
      !(yb = qa_alloc_array(block * C, sizeof *yb, err, "probe label block")))
    goto done;
  memset(A, 0, d * d * sizeof *A);
  memset(Bt, 0, C * d * sizeof *Bt);
  size_t i = 0;
  while (i < n) {
    size_t rows = 0;   /* gather the next block of train rows, centred */
    for (; i < n && rows < block; i++) {
      if (qa_probe_is_test_row(i)) continue;
      for (size_t j = 0; j < d; j++) xb[rows * d + j] = X[i * d + j] - p->mean[j];
      for (size_t c = 0; c < C; c++)
        yb[rows * C + c] = (labels[i] == (int32_t)c) - p->ybar[c];
      rows++;
    }
    if (!rows) break;
    /* A (d*d, upper) += xb'xb; xb is rows*d row-major, Trans needs lda >= d. */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)d, (int)rows, 1.0, xb, (int)d,
                1.0, A, (int)d);
    /* Bt (C*d) += yb'xb: yb rows*C Trans (lda >= C), xb rows*d (ldb >= d). */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)C, (int)d, (int)rows, 1.0,
                yb, (int)C, xb, (int)d, 1.0, Bt, (int)d);
  }
  for (size_t j = 0; j < d; j++) A[j * d + j] += p->lambda;
  if (cholesky_solve(A, d, Bt, p->n_classes, err)) goto done;
  for (size_t j = 0; j < d; j++)   /* Bt holds W' (C x d): transpose into W */
    for (size_t c = 0; c < C; c++) p->W[j * C + c] = Bt[c * d + j];
  rc = 0;
done:
  free(A); free(Bt); free(xb); free(yb);
  return rc;
}

/* xb (n_train x w) = columns [c0, c0+w) of the centred train rows. */
static void centred_columns(const double *X, size_t n, size_t d, const double *mean,
                            size_t c0, size_t w, double *xb) {
  size_t r = 0;
  for (size_t i = 0; i < n; i++) {
    if (qa_probe_is_test_row(i)) continue;
    for (size_t j = 0; j < w; j++) xb[r * w + j] = X[i * d + c0 + j] - mean[c0 + j];
    r++;
  }
}

/* W = Xc'(Xc Xc' + lambda I)^-1 (Y - ybar): the same W when lambda > 0,
** since Xc'(Xc Xc' + lambda I) = (Xc'Xc + lambda I) Xc'. */
static int solve_dual(const double *X, const int32_t *labels, size_t n, qa_probe *p,
                      qa_error *err) {
  int rc = -1;
  size_t d = p->d, C = (size_t)p->n_classes, nt = p->n_train;
  size_t width = d < PROBE_BLOCK_COLS ? d : PROBE_BLOCK_COLS;
  double *K = NULL, *At = NULL, *xb = NULL;
  if (!(K = qa_alloc_array(nt * nt, sizeof *K, err, "probe dual system")) ||
      !(At = qa_alloc_array(C * nt, sizeof *At, err, "probe dual right-hand side")) ||
      !(xb = qa_alloc_array(nt * width, sizeof *xb, err, "probe centred columns")))
    goto done;
  memset(K, 0, nt * nt * sizeof *K);
  for (size_t c0 = 0; c0 < d; c0 += width) {
    size_t w = d - c0 < width ? d - c0 : width;
    centred_columns(X, n, d, p->mean, c0, w, xb);
    /* K (nt*nt, upper) += xb xb': xb nt*w row-major, NoTrans needs lda >= w. */
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, (int)nt, (int)w, 1.0, xb, (int)w,
                1.0, K, (int)nt);
  }
  for (size_t r = 0; r < nt; r++) K[r * nt + r] += p->lambda;
  size_t r = 0;   /* At (C x nt) = (Y - ybar)' */
  for (size_t i = 0; i < n; i++) {
    if (qa_probe_is_test_row(i)) continue;
    for (size_t c = 0; c < C; c++) At[c * nt + r] = (labels[i] == (int32_t)c) - p->ybar[c];
    r++;
  }
  if (cholesky_solve(K, nt, At, p->n_classes, err)) goto done;
  for (size_t c0 = 0; c0 < d; c0 += width) {
    size_t w = d - c0 < width ? d - c0 : width;
    centred_columns(X, n, d, p->mean, c0, w, xb);
    /* W rows c0.. (w x C, ldc C) = xb' A: xb nt*w Trans (lda w), A' is C*nt
    ** row-major, Trans gives nt x C (ldb nt). */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasTrans, (int)w, (int)C, (int)nt, 1.0, xb,
                (int)w, At, (int)nt, 0.0, p->W + c0 * C, (int)C);
  }
  rc = 0;
done:
  free(K); free(At); free(xb);
  return rc;
}

void qa_probe_free(qa_probe *p) {
  if (!p) return;
  free(p->mean);
  free(p->W);
  free(p->ybar);
  free(p);
}

/* Refusals that need no memory: shapes, the system's order, labels. */
static int fit_precheck(const int32_t *labels, size_t n, size_t d, int32_t C, double ridge,
                        size_t n_train, int dual, qa_error *err) {
  if (n_train < 1 || d < 1 || C < 1)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "probe: needs at least 2 samples, 1 dimension and 1 class, found "
                        "%zu, %zu and %d", n, d, (int)C);
  if (!(ridge >= 0) || !isfinite(ridge))
    return qa_error_set(err, QA_EXIT_USAGE, NULL, NULL,
                        "probe_ridge must be a finite number >= 0, found %g", ridge);
  size_t r = dual ? n_train : d;
  if (r > QA_PROBE_ORDER_MAX || d > INT_MAX || (size_t)C > INT_MAX / r)
    return qa_error_set(err, QA_EXIT_DATA, NULL, NULL,
                        "probe: a system of order %zu with %d classes exceeds the %d that "
                        "LAPACK's 32-bit indices allow", r, (int)C, QA_PROBE_ORDER_MAX);
  return check_labels(labels, n, C, err);
}

int qa_probe_fit_form(const double *X, const int32_t *labels, size_t n, size_t d,
                      int32_t n_classes, double ridge, qa_probe_form form,
                      qa_probe **out, qa_error *err) {
  size_t n_train;
  qa_probe_split(n, &n_train, NULL);
  int dual = use_dual(n_train, d, form);
  *out = NULL;
  if (fit_precheck(labels, n, d, n_classes, ridge, n_train, dual, err)) return -1;
  qa_probe *p = calloc(1, sizeof *p);
  if (!p) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "probe: out of memory");
  p->d = d;
  p->n_classes = n_classes;
  p->n_train = n_train;
  p->form = dual ? QA_PROBE_DUAL : QA_PROBE_PRIMAL;
  size_t C = (size_t)n_classes;
  if (!(p->mean = qa_alloc_array(d, sizeof *p->mean, err, "probe means")) ||
      !(p->W = qa_alloc_array(d * C, sizeof *p->W, err, "probe weights")) ||
      !(p->ybar = qa_alloc_array(C, sizeof *p->ybar, err, "probe class means"))) {
    qa_probe_free(p);
    return -1;
  }
  double trace = train_stats(X, labels, n, d, n_train, n_classes, p->mean, p->ybar);
  /* lambda = probe_ridge tr(Xc'Xc) / D (STATISTICS.md "Linear probe"). */
  p->lambda = ridge * trace / (double)d;
  int rc = 0;
  if (trace == 0) memset(p->W, 0, d * C * sizeof *p->W);   /* Xc = 0: W = 0 */
  else rc = dual ? solve_dual(X, labels, n, p, err) : solve_primal(X, labels, n, p, err);
  if (rc) {
    qa_probe_free(p);
    return -1;
  }
  *out = p;
  return 0;
}

int qa_probe_fit(const double *X, const int32_t *labels, size_t n, size_t d,
                 int32_t n_classes, double ridge, qa_probe **out, qa_error *err) {
  return qa_probe_fit_form(X, labels, n, d, n_classes, ridge, QA_PROBE_AUTO, out, err);
}

/* ---- Scoring ----------------------------------------------------------- */

/* S (rows x C) = xb W + ybar, xb (rows x d) already centred by m. */
static void score_block(const qa_probe *p, const double *xb, size_t rows, double *S) {
  size_t C = (size_t)p->n_classes;
  for (size_t r = 0; r < rows; r++) memcpy(S + r * C, p->ybar, C * sizeof *S);
  /* S (ldc C) += xb (rows*d, lda d) W (d*C, ldb C). */
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)C, (int)p->d, 1.0,
              xb, (int)p->d, p->W, (int)C, 1.0, S, (int)C);
}

int qa_probe_scores(const qa_probe *p, const double *X, size_t rows, double *scores_out,
                    qa_error *err) {
  size_t d = p->d, C = (size_t)p->n_classes;
  size_t block = block_rows(d);
  if (block > rows) block = rows;
  double *xb = qa_alloc_array(block * d, sizeof *xb, err, "probe score block");
  if (!xb) return -1;
  for (size_t r0 = 0; r0 < rows; r0 += block) {
    size_t m = rows - r0 < block ? rows - r0 : block;
    for (size_t r = 0; r < m; r++)
      for (size_t j = 0; j < d; j++) xb[r * d + j] = X[(r0 + r) * d + j] - p->mean[j];
    score_block(p, xb, m, scores_out + r0 * C);
  }
  free(xb);
  return 0;
}

int32_t qa_probe_argmax(const double *score, int32_t n_classes) {
  int32_t best = 0;
  for (int32_t c = 1; c < n_classes; c++)
    if (score[c] > score[best]) best = c;   /* strict: ties keep the lower class */
  return best;
}

typedef struct scored_row {
  double score;
  int32_t positive;
} scored_row;

static int cmp_scored(const void *a, const void *b) {
  double x = ((const scored_row *)a)->score, y = ((const scored_row *)b)->score;
  return (x > y) - (x < y);
}

int qa_probe_auc(const double *score, const int32_t *labels, size_t n, double *auc_out,
                 qa_error *err) {
  *auc_out = NAN;
  scored_row *v = qa_alloc_array(n, sizeof *v, err, "AUC sort");
  if (!v) return -1;
  size_t m = 0, n1 = 0, n0 = 0;
  for (size_t i = 0; i < n; i++) {
    if (labels[i] != 0 && labels[i] != 1) continue;
    v[m].score = score[i];
    v[m].positive = labels[i] == 1;
    n1 += labels[i] == 1;
    n0 += labels[i] == 0;
    m++;
  }
  if (n1 && n0) {
    qsort(v, m, sizeof *v, cmp_scored);
    /* Mann-Whitney: U = #{(pos, neg): s_pos > s_neg} + 1/2 #{ties}; over
    ** groups of equal scores, 2U += 2 p neg_below + p q (integers). */
    uint64_t u2 = 0, neg_below = 0;
    for (size_t a = 0; a < m;) {
      size_t b = a;
      uint64_t pos = 0, neg = 0;
      while (b < m && v[b].score == v[a].score) { pos += v[b].positive; b++; }
      neg = (uint64_t)(b - a) - pos;
      u2 += 2 * pos * neg_below + pos * neg;
      neg_below += neg;
      a = b;
    }
    *auc_out = (double)u2 / (2.0 * (double)n1 * (double)n0);
  }
  free(v);
  return 0;
}

/* diff_out (may be NULL) receives score_1 - score_0 of each test row. */
static int evaluate_rows(const qa_probe *p, const double *X, const int32_t *labels, size_t n,
                         size_t *hits, double *diff_out, int32_t *lab_out, qa_error *err) {
  size_t d = p->d, C = (size_t)p->n_classes, t = 0, block = block_rows(d);
  double *xb = qa_alloc_array(block * d, sizeof *xb, err, "probe test block");
  double *S = xb ? qa_alloc_array(block * C, sizeof *S, err, "probe scores") : NULL;
  if (!S) { free(xb); return -1; }
  *hits = 0;
  size_t i = 0;
  while (i < n) {
    size_t rows = 0;
    int32_t lab[PROBE_BLOCK_ROWS];
    for (; i < n && rows < block; i += 5) {   /* the test rows 0, 5, ... */
      for (size_t j = 0; j < d; j++) xb[rows * d + j] = X[i * d + j] - p->mean[j];
      lab[rows++] = labels[i];
    }
    score_block(p, xb, rows, S);
    for (size_t r = 0; r < rows; r++, t++) {
      *hits += qa_probe_argmax(S + r * C, p->n_classes) == lab[r];
      if (diff_out) { diff_out[t] = S[r * C + 1] - S[r * C]; lab_out[t] = lab[r]; }
    }
  }
  free(xb);
  free(S);
  return 0;
}

int qa_probe_evaluate(const qa_probe *p, const double *X, const int32_t *labels, size_t n,
                      qa_probe_eval *out, qa_error *err) {
  int rc = -1;
  double *diff = NULL;
  int32_t *lab = NULL;
  size_t n_test, hits = 0;
  qa_probe_split(n, NULL, &n_test);
  out->n_test = n_test;
  out->accuracy = out->auc = NAN;
  if (check_labels(labels, n, p->n_classes, err)) return -1;
  if (n_test == 0) return 0;
  if (p->n_classes == 2 &&
      (!(diff = qa_alloc_array(n_test, sizeof *diff, err, "probe score differences")) ||
       !(lab = qa_alloc_array(n_test, sizeof *lab, err, "probe test labels"))))
    goto done;
  if (evaluate_rows(p, X, labels, n, &hits, diff, lab, err)) goto done;
  out->accuracy = (double)hits / (double)n_test;
  /* STATISTICS.md: with C = 2, the AUC of score_1 - score_0. */
  if (diff && qa_probe_auc(diff, lab, n_test, &out->auc, err)) goto done;
  rc = 0;
done:
  free(diff);
  free(lab);
  return rc;
}

int qa_probe_layer_compare(const qa_probe *base, double base_native, const double *Y,
                           const int32_t *labels, size_t n, double ridge,
                           qa_probe_layer *out, qa_error *err) {
  qa_probe *own = NULL;
  qa_probe_eval native, transfer;
  out->native = out->transfer = out->transfer_delta_pp = NAN;
  out->auc_native = out->auc_transfer = NAN;
  if (qa_probe_fit(Y, labels, n, base->d, base->n_classes, ridge, &own, err)) return -1;
  int rc = qa_probe_evaluate(own, Y, labels, n, &native, err);
  qa_probe_free(own);
  if (rc || qa_probe_evaluate(base, Y, labels, n, &transfer, err)) return -1;
  out->native = native.accuracy;
  out->transfer = transfer.accuracy;
  out->auc_native = native.auc;
  out->auc_transfer = transfer.auc;
  /* probe_transfer_delta_pp = 100 (probe_transfer - baseline's probe_native). */
  out->transfer_delta_pp = 100.0 * (transfer.accuracy - base_native);
  return 0;
}

/* ---- Layer order ------------------------------------------------------- */

/* The first run of decimal digits of s without its leading zeros ("0" is
** kept as one digit): *digits, *len; 0 when s has no digit. */
static int first_integer(const char *s, const char **digits, size_t *len) {
  while (*s && (*s < '0' || *s > '9')) s++;
  if (!*s) return 0;
  const char *e = s;
  while (*e >= '0' && *e <= '9') e++;
  while (s + 1 < e && *s == '0') s++;
  *digits = s;
  *len = (size_t)(e - s);
  return 1;
}

/* 0: has an integer, 1: none, 2: "final". */
static int layer_group(const char *s) {
  const char *dg;
  size_t len;
  if (strcmp(s, "final") == 0) return 2;
  return first_integer(s, &dg, &len) ? 0 : 1;
}

/* < 0 when layer a (index ia) is listed before layer b (index ib). */
static int layer_cmp(const char *a, size_t ia, const char *b, size_t ib) {
  int ga = layer_group(a), gb = layer_group(b);
  if (ga != gb) return ga - gb;
  if (ga == 0) {
    const char *da, *db;
    size_t la, lb;
    first_integer(a, &da, &la);
    first_integer(b, &db, &lb);
    if (la != lb) return la < lb ? -1 : 1;   /* no leading zeros: longer is larger */
    int c = memcmp(da, db, la);
    if (c) return c;
  }
  if (ga != 2) {
    int c = strcmp(a, b);
    if (c) return c;
  }
  return (ia > ib) - (ia < ib);
}

/* Sift-down of a max-heap of indices ordered by layer_cmp. */
static void sift_down(const char *const *names, size_t *h, size_t root, size_t end) {
  for (;;) {
    size_t child = 2 * root + 1;
    if (child >= end) return;
    if (child + 1 < end &&
        layer_cmp(names[h[child]], h[child], names[h[child + 1]], h[child + 1]) < 0)
      child++;
    if (layer_cmp(names[h[root]], h[root], names[h[child]], h[child]) >= 0) return;
    size_t t = h[root]; h[root] = h[child]; h[child] = t;
    root = child;
  }
}

void qa_layer_order(const char *const *names, size_t n, size_t *order_out) {
  /* Heapsort on a total order (ties end at the index): O(n log n), no
  ** allocation, and the result does not depend on the sort's stability. */
  for (size_t i = 0; i < n; i++) order_out[i] = i;
  for (size_t i = n / 2; i-- > 0;) sift_down(names, order_out, i, n);
  for (size_t end = n; end > 1; end--) {
    size_t t = order_out[0]; order_out[0] = order_out[end - 1]; order_out[end - 1] = t;
    sift_down(names, order_out, 0, end - 1);
  }
}

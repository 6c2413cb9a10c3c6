/*
** Linear probes of hidden states (STATISTICS.md "Depth: every hidden
** layer"): a closed-form ridge-regression classifier trained on a layer's
** train rows, its accuracy on the test rows (probe_native), the baseline's
** probe applied unchanged to a variant (probe_transfer), the AUC when there
** are two classes, and the order in which a cache's layers are listed.
**
** The probe, to the letter of the spec.  Rows are split by index: test
** rows i = 0 (mod 5), train rows the rest (N_tr of them).  From the train
** rows X (N_tr x D) and one-hot labels Y (N_tr x C):
**     m = column means of X,  ybar = column means of Y,  Xc = X - m,
**     lambda = probe_ridge * tr(Xc'Xc) / D,
**     W = (Xc'Xc + lambda I)^-1 Xc'(Y - ybar)                 (D x C)
** and a row x scores (x - m) W + ybar; the prediction is the argmax, ties
** to the lowest class.  This is scikit-learn's Ridge(alpha = lambda,
** fit_intercept = True) fitted on the one-hot Y (it centres X and Y the
** same way and its intercept is ybar - m W).
**
** How it is solved: Xc'Xc by cblas_dsyrk and Xc'(Y - ybar) by cblas_dgemm,
** folded over blocks of centred rows, then LAPACK dposv (Cholesky) on the
** D x D system.  When D > N_tr the same W comes from the N_tr x N_tr dual
** form W = Xc'(Xc Xc' + lambda I)^-1 (Y - ybar) (push-through identity;
** tests/test_probe.c checks the two agree), so the system's order is
** min(D, N_tr) and memory O(min(D, N_tr)^2 + block (D + C) + D C).
** tr(Xc'Xc) is summed row by row in index order, so both forms use the
** same lambda to the bit.  When tr(Xc'Xc) = 0 (every train row equal)
** W = 0 and every score is ybar.
**
** Pure computation: no file, no printing.  Functions that can fail return
** int (0 on success) and fill a qa_error; a number that does not exist is
** NaN (written as null by the results tree).  Labels are 0 .. C-1; a label
** outside that range is refused (QA_EXIT_DATA) rather than trusted, since
** it would index outside Y.
*/
#ifndef QA_ANALYSIS_PROBE_H
#define QA_ANALYSIS_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* The largest order of the probe's linear system: LAPACK indexes an r*r
** matrix with 32-bit ints (46340^2 < 2^31), as in repr.h. */
#define QA_PROBE_ORDER_MAX 46340

/* 1 when row i is a test row (i = 0 mod 5), 0 when a train row. */
static inline int qa_probe_is_test_row(size_t i) { return i % 5 == 0; }

/* Train and test row counts of n rows: n_test = ceil(n / 5). */
void qa_probe_split(size_t n, size_t *n_train_out, size_t *n_test_out);

/* Which system is solved.  AUTO: the D x D primal system when D <= N_tr,
** the N_tr x N_tr dual one when D > N_tr.  The others are for tests. */
typedef enum qa_probe_form {
  QA_PROBE_AUTO = 0,
  QA_PROBE_PRIMAL,   /* (Xc'Xc + lambda I) W = Xc'(Y - ybar) */
  QA_PROBE_DUAL      /* (Xc Xc' + lambda I) A = Y - ybar, W = Xc' A */
} qa_probe_form;

/* A fitted probe: plain data, owned by whoever called qa_probe_fit and
** freed with qa_probe_free. */
typedef struct qa_probe {
  size_t d;             /* input dimension D */
  int32_t n_classes;    /* C: columns of the one-hot Y */
  size_t n_train;       /* N_tr: rows it was fitted on */
  double lambda;        /* probe_ridge * tr(Xc'Xc) / D */
  qa_probe_form form;   /* the system that was solved (never AUTO) */
  double *mean;         /* m [D] */
  double *W;            /* [D * C] row-major: W[j * C + c] */
  double *ybar;         /* [C]: the class frequencies of the train rows */
} qa_probe;

/* Peak bytes qa_probe_fit (form AUTO) and one qa_probe_evaluate allocate
** for n rows of dimension d and C classes, plus a second probe kept (the
** baseline's); UINT64_MAX when the system's order min(D, N_tr) exceeds
** QA_PROBE_ORDER_MAX or the count overflows. */
uint64_t qa_probe_bytes(size_t n, size_t d, int32_t n_classes);
/* 0 when those fit: order <= QA_PROBE_ORDER_MAX and bytes <= budget_bytes;
** else a QA_EXIT_DATA error (no file named; the caller adds it) ending
** "more than the X GB <budget_what>".  Call it before qa_probe_fit, as
** repr.h's qa_repr_eigen_check before the spectrum. */
int qa_probe_check(size_t n, size_t d, int32_t n_classes, uint64_t budget_bytes,
                   const char *budget_what, qa_error *err);

/* Fits the probe on the train rows of X (n x d, row-major; labels[n] in
** 0 .. n_classes-1) with lambda = ridge * tr(Xc'Xc) / d; *out is a new
** probe.  Needs n >= 2 (at least one train row), d >= 1, n_classes >= 1,
** ridge >= 0; refuses, before allocating, a system of order above
** QA_PROBE_ORDER_MAX.  ridge = 0 works only when Xc'Xc (or Xc Xc') is
** nonsingular; a system LAPACK finds not positive definite is a
** QA_EXIT_DATA error naming probe_ridge. */
int qa_probe_fit(const double *X, const int32_t *labels, size_t n, size_t d,
                 int32_t n_classes, double ridge, qa_probe **out, qa_error *err);
/* The same with the system chosen (for tests: primal = dual). */
int qa_probe_fit_form(const double *X, const int32_t *labels, size_t n, size_t d,
                      int32_t n_classes, double ridge, qa_probe_form form,
                      qa_probe **out, qa_error *err);
void qa_probe_free(qa_probe *p);   /* safe on NULL */

/* scores_out[r * C + c] = ((x_r - m) W + ybar)_c for the rows x_r of X
** (rows x p->d, row-major), every row (no split). */
int qa_probe_scores(const qa_probe *p, const double *X, size_t rows, double *scores_out,
                    qa_error *err);

/* The class of highest score[0 .. n_classes), ties to the lowest class. */
int32_t qa_probe_argmax(const double *score, int32_t n_classes);

/* AUC of score for label 1 against label 0 (rows with other labels are
** ignored): the Mann-Whitney U / (n1 n0), a tie counting 1/2, computed
** exactly (2U is an integer) after one O(n log n) sort.  NaN when either
** class is absent. */
int qa_probe_auc(const double *score, const int32_t *labels, size_t n, double *auc_out,
                 qa_error *err);

/* A probe on the test rows (i = 0 mod 5) of X (n x p->d). */
typedef struct qa_probe_eval {
  size_t n_test;     /* ceil(n / 5) */
  double accuracy;   /* fraction of test rows predicted right; NaN when none */
  double auc;        /* C = 2: AUC of score_1 - score_0, label 1 against 0; else NaN */
} qa_probe_eval;

int qa_probe_evaluate(const qa_probe *p, const double *X, const int32_t *labels, size_t n,
                      qa_probe_eval *out, qa_error *err);

/* One variant's probe numbers at one layer (INTERFACE.md "layers"). */
typedef struct qa_probe_layer {
  double native;              /* probe_native */
  double transfer;            /* probe_transfer */
  double transfer_delta_pp;   /* 100 (transfer - the baseline's native) */
  double auc_native;          /* probe_auc_native (C = 2), else NaN */
  double auc_transfer;        /* probe_auc_transfer (C = 2), else NaN */
} qa_probe_layer;

/* For a variant's states Y (n x base->d, aligned to the baseline; labels
** the baseline's): fits the variant's own probe (native) and applies base,
** the baseline's probe, to Y's test rows (transfer).  base_native is the
** baseline's probe_native (qa_probe_evaluate of base on the baseline's own
** states).  For the baseline itself pass its own states: transfer equals
** native and the delta is exactly 0. */
int qa_probe_layer_compare(const qa_probe *base, double base_native, const double *Y,
                           const int32_t *labels, size_t n, double ridge,
                           qa_probe_layer *out, qa_error *err);

/* ---- Layer order ------------------------------------------------------- */

/* order_out[0 .. n) = the indices of names[0 .. n) in the order layers are
** listed (STATISTICS.md "Depth"): names with an integer first, ascending by
** that integer (the first run of decimal digits, any length, leading zeros
** ignored: layer_2 before layer_10), equal integers by name (strcmp); then
** names without an integer, by name; "final" (exactly) last.  Equal names
** keep their index order.  No allocation. */
void qa_layer_order(const char *const *names, size_t n, size_t *order_out);

#endif

/*
** The outputs family of numbers beyond accuracy and KL (STATISTICS.md
** "Strata, calibration, retrieval, coverage"): the calibration of a
** variant's softmax (ECE over equal-width confidence bins, Brier score,
** NLL, the reliability bins) and the per-class accuracy of its predictions
** with the exact McNemar test against the baseline and Holm over classes.
**
** Pure computation on arrays the study has validated (labels and
** predictions in [0, C), finite logits): nothing here opens a file or
** knows a variant's name.  NaN stands for "does not exist".
**
** Calibration is a sum over samples, so it follows the accumulator seam of
** STYLE.md: start makes a partial, fold adds a block of rows, merge adds
** one partial into another, stop turns the total into the numbers.
*/
#ifndef QA_OUTPUTS_H
#define QA_OUTPUTS_H

#include <stddef.h>
#include <stdint.h>

/* Confidence bins at most (analysis.ece_bins is checked against it). */
#define QA_OUTPUTS_MAX_BINS 1000

/* Bin k (0-based) holds the confidences in (k/B, (k+1)/B], the first also
** 0 itself.  accuracy and confidence are NaN when n is 0. */
typedef struct qa_outputs_bin {
  double lo, hi;
  size_t n;
  double accuracy, confidence;
} qa_outputs_bin;

typedef struct qa_outputs_calibration {
  int present;                 /* 0 without logits and labels */
  size_t n, n_bins;
  double ece, brier, nll;
  double accuracy;             /* of the argmax of the logits */
  double confidence;           /* mean max softmax probability */
  qa_outputs_bin *bins;        /* [n_bins] */
} qa_outputs_calibration;

/* The partial sums of calibration; bin arrays are one allocation. */
typedef struct qa_outputs_calib_acc {
  size_t n_bins;
  double n, hits, conf_sum, brier_sum, nll_sum;
  double *bin_n, *bin_hits, *bin_conf;
} qa_outputs_calib_acc;

/* The bin of a confidence in [0, 1]: the k with conf in (k/B, (k+1)/B]
** (k/B and (k+1)/B as correctly rounded doubles), 0 for conf = 0. */
size_t qa_outputs_bin_of(double conf, size_t n_bins);

/* start: a zero partial of n_bins (1..QA_OUTPUTS_MAX_BINS) bins.  Returns
** 0, or -1 when out of memory (acc then holds nothing to free). */
int qa_outputs_calib_start(qa_outputs_calib_acc *acc, size_t n_bins);
/* scan: folds rows samples (logits [rows*c] row-major, labels [rows]). */
void qa_outputs_calib_fold(qa_outputs_calib_acc *acc, const double *logits,
                           const int32_t *labels, size_t rows, size_t c);
/* stop of a thread's partial: adds part into into (same n_bins). */
void qa_outputs_calib_merge(qa_outputs_calib_acc *into, const qa_outputs_calib_acc *part);
/* The numbers of the total (out->bins allocated; free with
** qa_outputs_calibration_free).  Returns 0, or -1 when out of memory. */
int qa_outputs_calib_stop(const qa_outputs_calib_acc *acc, qa_outputs_calibration *out);
void qa_outputs_calib_acc_free(qa_outputs_calib_acc *acc);     /* safe on a zeroed one */
void qa_outputs_calibration_free(qa_outputs_calibration *cal); /* safe on a zeroed one */

/* start, one fold over all n rows, stop. */
int qa_outputs_calibration_of(const double *logits, const int32_t *labels, size_t n, size_t c,
                              size_t n_bins, qa_outputs_calibration *out);

/* Accuracy (recall) of one class, against the baseline's on the same
** samples.  For the baseline itself delta_pp is 0 and the tests are NaN;
** without the baseline's predictions delta_pp and the tests are NaN. */
typedef struct qa_outputs_class {
  int32_t label;
  size_t n, correct;
  double accuracy, wilson_lo, wilson_hi;   /* Wilson 95% */
  double delta_pp;                         /* 100 (acc_V − acc_B) */
  uint64_t b, c;                           /* B right & V wrong, B wrong & V right */
  double mcnemar_p, mcnemar_p_holm;        /* Holm over the classes of the variant */
} qa_outputs_class;

/* One row per class of [0, n_classes) that has samples, in label order,
** into *out (malloc'd, *n_out rows; NULL when no class has samples).
** pred_base may be NULL.  Returns 0, or -1 when out of memory. */
int qa_outputs_per_class(const int32_t *labels, const int32_t *pred, const int32_t *pred_base,
                         size_t n, size_t n_classes, int is_baseline, qa_outputs_class **out,
                         size_t *n_out);

#endif

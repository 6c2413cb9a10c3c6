/*
** Token-level outputs of language models (STATISTICS.md "Token-level
** outputs"): perplexity, the PPL ratio, the KLD and Δp ladders and "same
** top" of every variant against its baseline, position by position, with
** document-clustered standard errors and per-slice rows.
**
** Three stages, each testable alone:
**   1. per-token values: qa_tokens_row folds one position (baseline row,
**      variant row) into nll, kld, dp and same;
**   2. streaming: qa_tokens_stream reads /tokens/logits of a model's caches
**      in row blocks, baseline and variants in lockstep, inside an isolated
**      child (input/isolate.h) that writes the per-token values into shared
**      memory: the logits are read once, never whole;
**   3. summary: qa_tokens_summarize turns the per-token values into every
**      reported number, with block partials (qa_moments, co-moments and
**      per-document sums) merged as STYLE.md "Accumulators" says.
*/
#ifndef QA_TOKENS_H
#define QA_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "util/progress.h"

/* The KLD ladder, in this order (llama.cpp's order): max, 99.9, 99, 95,
** 90, median, 10, 5, 1, 0.1, min. */
#define QA_TOK_KLD_PCTS 11
/* The Δp ladder: max, 99.9, 99, 95, 90, 75, median, 25, 10, 5, 1, 0.1, min. */
#define QA_TOK_DP_PCTS 13
extern const double qa_tok_kld_q[QA_TOK_KLD_PCTS];   /* as proportions: 1, .999, ... */
extern const double qa_tok_dp_q[QA_TOK_DP_PCTS];
extern const char *const qa_tok_kld_keys[QA_TOK_KLD_PCTS];  /* "max", "p99_9", ... */
extern const char *const qa_tok_dp_keys[QA_TOK_DP_PCTS];

/* One slice of the evaluated positions (/tokens/slice). */
typedef struct qa_tokens_slice {
  const char *name;              /* borrowed from the baseline's cache */
  size_t n, docs;
  double kld_mean, kld_se_doc, kld_p99, same_top;
  double ln_ppl_ratio, ln_ppl_ratio_se_doc;
} qa_tokens_slice;

/* Every number of one variant against its baseline; NaN: does not exist. */
typedef struct qa_tokens_result {
  int present;
  size_t n, docs, vocab;
  double ppl, ppl_unc, ppl_base, ppl_base_unc;
  double ln_ppl_ratio, ln_ppl_ratio_se, ln_ppl_ratio_se_doc;
  double ppl_ratio, ppl_ratio_se, ppl_diff, ppl_diff_se, cor_ln_ppl;
  double kld_mean, kld_se, kld_se_doc;
  double kld_pct[QA_TOK_KLD_PCTS];
  double dp_mean, dp_se;
  double dp_pct[QA_TOK_DP_PCTS];
  double rms_dp, rms_dp_se;
  double same_top, same_top_se, same_top_se_doc;
  /* The 95% (1 − alpha) intervals claims and the report use: mean ± z·se_doc
  ** (se when there is one document); ppl_ratio's is exp of ln_ppl_ratio's. */
  double kld_ci_lo, kld_ci_hi;
  double ln_ppl_ratio_ci_lo, ln_ppl_ratio_ci_hi;
  double ppl_ratio_ci_lo, ppl_ratio_ci_hi;
  double same_top_ci_lo, same_top_ci_hi;
  size_t n_slices;
  qa_tokens_slice *slices;       /* [n_slices], slices with positions only */
  size_t worst_slice;            /* index into slices of the highest kld_mean; SIZE_MAX: none */
  /* Kept for figures and the adjacent tests (owned). */
  double *nll;                   /* [n] −log p_variant(target) per position */
  double *kld;                   /* [n] per-position KLD, sorted ascending */
} qa_tokens_result;

/* Per-token values of one variant (stage 1 and 2 output). */
typedef struct qa_tokens_values {
  double *nll;                   /* [T] −lv[y] */
  double *kld;                   /* [T] */
  double *dp;                    /* [T] exp(−nllV) − exp(−nllB) */
  uint8_t *same;                 /* [T] 0/1 */
} qa_tokens_values;

/* ---- stage 1: one position -------------------------------------------- */

/* The baseline's part of a position, computed once for all its variants. */
typedef struct qa_tokens_base_row {
  double lse;                    /* log Σ exp(x_j), in double, max-shifted */
  double nll;                    /* lse − x[y] */
  size_t argmax;                 /* first maximum */
  double *p;                     /* [V] exp(x_j − max) (caller's buffer) */
  double inv_sum;                /* 1 / Σ p_j: p_j · inv_sum is the probability */
} qa_tokens_base_row;

/* Fills b from the baseline's logits xb[0..V) and the target y. */
void qa_tokens_base(const double *xb, size_t v, int32_t y, qa_tokens_base_row *b);
/* One variant's values at the position: nll, kld = Σ p_j (lb_j − lv_j),
** dp, same. */
void qa_tokens_row(const qa_tokens_base_row *b, const double *xb, const double *xv, size_t v,
                   int32_t y, double *nll, double *kld, double *dp, uint8_t *same);

/* The same with the row's maximum already known (NaN: not known), as the
** float16 reader finds it while widening. */
void qa_tokens_base_m(const double *xb, size_t v, int32_t y, double max, qa_tokens_base_row *b);
void qa_tokens_row_m(const qa_tokens_base_row *b, const double *xb, const double *xv, size_t v,
                     int32_t y, double max, double *nll, double *kld, double *dp, uint8_t *same);

/* 1 when the vectorised exp (glibc's libmvec, AVX-512 or AVX2) serves the
** rows, 0 when libm's scalar exp does; QAUDIT_SCALAR_EXP=1 forces 0. */
int qa_tokens_vector_exp(void);
/* Forces the scalar path (tests prove both paths equal); returns the old. */
int qa_tokens_force_scalar(int on);

/* ---- stage 2: streaming ------------------------------------------------ */

typedef struct qa_tokens_stream_opts {
  size_t block_rows;             /* rows per block; 0: chosen from V and the chunking */
  int threads;                   /* 0: all cores */
  int isolate;                   /* 1: in a child process (the default in reports) */
  qa_progress *progress;         /* may be NULL */
  const char *label;             /* the model, for progress lines */
  char (*digests)[65];           /* [nv]: SHA-256 of each file, taken while the stream
                                    reads it (one read of its bytes); NULL: not hashed */
} qa_tokens_stream_opts;

/* Streams /tokens/logits of paths[0] (the baseline) and paths[1..nv) in
** lockstep, T rows of V columns each, and fills out[k] (k < nv; out[0] is
** the baseline against itself) with arrays of T values each, allocated
** here (free with qa_tokens_values_free).  targets are the baseline's
** (checked equal in every variant by the study).  A NaN or Inf logit is
** an error naming the file, /tokens/logits, the position and the column;
** so is a read failure.  Returns 0, or -1 with err set. */
int qa_tokens_stream(const char *const *paths, size_t nv, size_t t_rows, size_t v_cols,
                     const int32_t *targets, const qa_tokens_stream_opts *opts,
                     qa_tokens_values *out, qa_error *err);

/* The same on logits in memory (row-major [T*V] per variant), block by
** block: the reference the streaming path is tested against. */
int qa_tokens_from_memory(const double *const *logits, size_t nv, size_t t_rows,
                          size_t v_cols, const int32_t *targets, size_t block_rows,
                          qa_tokens_values *out, qa_error *err);

void qa_tokens_values_free(qa_tokens_values *v);

/* ---- stage 3: summary -------------------------------------------------- */

/* Every number of a variant from its values and the baseline's (base.nll
** is nllB).  doc: [T] document of each position (NULL: one document);
** slice: [T] slice index in [0, n_slice_names) or NULL; names borrowed.
** alpha sets the intervals.  Takes ownership of nothing; copies nll and a
** sorted kld into res.  Returns 0, or -1 when out of memory. */
int qa_tokens_summarize(const qa_tokens_values *base, const qa_tokens_values *var, size_t t_rows,
                        size_t v_cols, const int64_t *doc, const int32_t *slice,
                        size_t n_slice_names, char *const *slice_names, double alpha,
                        qa_tokens_result *res);

/* Document-clustered standard error of the mean of x (STATISTICS.md):
** sqrt(G/(G−1) Σ_g r_g²)/T with r_g = Σ_{t∈g}(x_t − x̄); NaN when G < 2.
** doc NULL: one document.  Documents need not be contiguous. */
double qa_tokens_se_doc(const double *x, const int64_t *doc, size_t t, size_t *groups);

void qa_tokens_result_free(qa_tokens_result *r);

#endif

/*
** Reading /tokens/logits in row blocks (INTERFACE.md section 2): the one
** dataset of a cache that may be far larger than memory, so it is never
** loaded whole.  A block is read as the file stores it (float16, bfloat16,
** float32 or float64, in native byte order) and turned into doubles row by
** row by the caller (qa_tokread_row_to_double), which also finds the first
** NaN or Inf.
**
** Why raw: HDF5 1.10 converts float16 with its soft conversion path, about
** ten times slower than reading the 16-bit words and widening them with
** F16C (docs/performance.md "float16 logits").
*/
#ifndef QA_TOKREAD_H
#define QA_TOKREAD_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* How a block's words are stored in memory. */
enum { QA_TOKRAW_F16 = 1, QA_TOKRAW_BF16, QA_TOKRAW_F32, QA_TOKRAW_F64 };

typedef struct qa_tokread qa_tokread;

/* Opens path's /tokens/logits, which must be [t_rows, v_cols] float.  The
** chunk cache is sized to hold one row of chunks.  Returns 0, or -1 with
** err naming the file and path. */
int qa_tokread_open(const char *path, size_t t_rows, size_t v_cols, qa_tokread **out,
                    qa_error *err);
/* QA_TOKRAW_* and bytes per element of the blocks read. */
int qa_tokread_kind(const qa_tokread *r);
size_t qa_tokread_elem(const qa_tokread *r);
/* Rows of a chunk (0: contiguous). */
size_t qa_tokread_chunk_rows(const qa_tokread *r);
/* Sets the chunk cache for reads of block_rows rows (call once, before
** the first read): off when blocks are whole chunk rows of an unfiltered
** dataset (HDF5 then reads chunks straight into the caller's buffer), else
** one row of chunks. */
int qa_tokread_plan(qa_tokread *r, size_t block_rows, qa_error *err);
/* Reads rows [row0, row0 + n) into raw (n · v_cols · elem bytes). */
int qa_tokread_rows(qa_tokread *r, size_t row0, size_t n, void *raw, qa_error *err);
void qa_tokread_close(qa_tokread *r);

/* Widens one row of v words of kind into out[0..v).  Returns v when every
** value is finite, else the column of the first NaN or Inf. */
size_t qa_tokread_row_to_double(int kind, const void *row, size_t v, double *out);
/* The same, and *max = the row's maximum when every value is finite (one
** pass for float16 on AVX-512). */
size_t qa_tokread_row_to_double_max(int kind, const void *row, size_t v, double *out,
                                    double *max);
/* The same without the vector instructions (tests prove them equal). */
size_t qa_tokread_row_to_double_plain(int kind, const void *row, size_t v, double *out);
/* 1 when F16C serves float16 rows on this CPU. */
int qa_tokread_f16c(void);

#endif

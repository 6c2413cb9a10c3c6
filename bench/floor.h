/* The GEMM floor of the representation analysis (bench/floor.c). */
#ifndef QA_BENCH_FLOOR_H
#define QA_BENCH_FLOOR_H

#include <stddef.h>

#include "input/study.h"

/* Seconds of the products every representation analysis of model m needs
** (see floor.c); f32: the N x N products in float32, as qaudit computes
** them, else in double. */
double qa_bench_gemm_floor(const qa_model *m, size_t pairs_max, int f32);

#endif

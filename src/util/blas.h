/*
** Which BLAS kernels run (issue: Debian's OpenBLAS 0.3.21 does not know
** recent CPU models and falls back to its oldest x86-64 kernels, 4x
** slower on an AVX-512 Xeon, with identical numbers).
**
** qa_blas_select runs first in main(): when OpenBLAS has chosen a core
** weaker than the CPU's instruction set, and the user has not set
** OPENBLAS_CORETYPE, it sets OPENBLAS_CORETYPE to the matching core and
** re-executes qaudit once (OpenBLAS reads the variable when it loads, before
** main).  The core in use and why appear in --version and in the
** provenance appendix.  docs/performance.md has the measurements.
*/
#ifndef QA_BLAS_H
#define QA_BLAS_H

/* CPU features that decide the kernels. */
typedef struct qa_cpu_features {
  int avx512;        /* AVX-512 F, CD, BW, DQ and VL: OpenBLAS's SkylakeX kernels */
  int avx512_bf16;   /* ... and BF16: its Cooperlake kernels */
  int avx2_fma;      /* AVX2 and FMA: its Haswell kernels */
} qa_cpu_features;

void qa_cpu_detect(qa_cpu_features *f);

/* The core qaudit should ask for when OpenBLAS chose `current` on a CPU
** with features f, or NULL when current is as good as the CPU allows (or
** is not an x86 core OpenBLAS names).  Pure: tests drive it directly. */
const char *qa_blas_better_core(const char *current, const qa_cpu_features *f);

/* Called at the top of main: re-executes argv with OPENBLAS_CORETYPE set
** when qa_blas_better_core says so, OPENBLAS_CORETYPE is unset and
** QAUDIT_BLAS_AUTO is not "0".  Returns only when no re-execution happens
** (or it failed, which is harmless: the slow kernels give the same numbers). */
void qa_blas_select(char **argv);

/* The OpenBLAS core in use ("Cooperlake") and how it was chosen: "detected
** by OpenBLAS", "chosen by qaudit from the CPU's features (OpenBLAS chose
** Prescott)", or "set by OPENBLAS_CORETYPE". */
const char *qa_blas_core(void);
const char *qa_blas_core_origin(void);

#endif

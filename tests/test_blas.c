/*
** util/blas.h: the choice of OpenBLAS core from the CPU's features, and
** the re-execution that applies it (never over a core the user set).
*/
#include <stdlib.h>
#include <string.h>

#include "badinput_util.h"
#include "harness.h"
#include "util/blas.h"

QA_TEST(blas_fallback_core_on_avx512_gets_skylakex) {
  qa_cpu_features f = {1, 0, 1};
  CHECK_STR(qa_blas_better_core("Prescott", &f), "SkylakeX");
  CHECK_STR(qa_blas_better_core("Core2", &f), "SkylakeX");
  CHECK_STR(qa_blas_better_core("Haswell", &f), "SkylakeX");
  CHECK_STR(qa_blas_better_core("Sandybridge", &f), "SkylakeX");
  /* The bf16 CPUs too: 0.3.21 cannot be asked for Cooperlake by name. */
  qa_cpu_features g = {1, 1, 1};
  CHECK_STR(qa_blas_better_core("Prescott", &g), "SkylakeX");
}

QA_TEST(blas_right_core_is_left_alone) {
  qa_cpu_features f = {1, 1, 1};
  CHECK(qa_blas_better_core("SkylakeX", &f) == NULL);
  CHECK(qa_blas_better_core("Cooperlake", &f) == NULL);
  CHECK(qa_blas_better_core("SapphireRapids", &f) == NULL);
  qa_cpu_features avx2 = {0, 0, 1};
  CHECK(qa_blas_better_core("Haswell", &avx2) == NULL);
  CHECK(qa_blas_better_core("Zen", &avx2) == NULL);
  CHECK_STR(qa_blas_better_core("Prescott", &avx2), "Haswell");
  CHECK_STR(qa_blas_better_core("Nehalem", &avx2), "Haswell");
  /* A CPU with neither: Prescott is what it can run. */
  qa_cpu_features none = {0, 0, 0};
  CHECK(qa_blas_better_core("Prescott", &none) == NULL);
  /* Names that are not OpenBLAS x86 cores are never touched. */
  CHECK(qa_blas_better_core("ARMV8", &f) == NULL);
  CHECK(qa_blas_better_core("", &f) == NULL);
  CHECK(qa_blas_better_core(NULL, &f) == NULL);
}

static void run_version(bi_result *r, const char *pretend, const char *coretype) {
  char *argv[] = {"./qaudit", "--version", NULL};
  if (pretend) setenv("QAUDIT_BLAS_PRETEND_CORE", pretend, 1);
  if (coretype) setenv("OPENBLAS_CORETYPE", coretype, 1);
  bi_exec(r, 0, NULL, argv);
  unsetenv("QAUDIT_BLAS_PRETEND_CORE");
  unsetenv("OPENBLAS_CORETYPE");
}

QA_TEST(blas_reexecutes_on_a_fallback_and_says_so) {
  qa_cpu_features f;
  qa_cpu_detect(&f);
  bi_result r;
  run_version(&r, "Prescott", NULL);
  CHECK_INT(r.code, 0);
  if (f.avx512 || f.avx2_fma) {
    CHECK_CONTAINS(r.out, "chosen by qaudit from the CPU's features (OpenBLAS chose Prescott)");
    CHECK_CONTAINS(r.out, f.avx512 ? "core SkylakeX" : "core Haswell");
  } else {
    CHECK_CONTAINS(r.out, "detected by OpenBLAS");
  }
  bi_free(&r);
}

QA_TEST(blas_never_overrides_the_users_core) {
  bi_result r;
  run_version(&r, "Prescott", "Prescott");
  CHECK_INT(r.code, 0);
  CHECK_CONTAINS(r.out, "core Prescott, set by OPENBLAS_CORETYPE");
  bi_free(&r);
  setenv("QAUDIT_BLAS_AUTO", "0", 1);
  run_version(&r, "Prescott", NULL);
  unsetenv("QAUDIT_BLAS_AUTO");
  CHECK_INT(r.code, 0);
  CHECK_CONTAINS(r.out, "detected by OpenBLAS");
  bi_free(&r);
}

/*
** OpenBLAS core selection (blas.h).
*/
#include "util/blas.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

void qa_cpu_detect(qa_cpu_features *f) {
  memset(f, 0, sizeof *f);
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  f->avx2_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f->avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
              __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
              __builtin_cpu_supports("avx512vl");
#if __GNUC__ >= 12
  f->avx512_bf16 = f->avx512 && __builtin_cpu_supports("avx512bf16");
#endif
#endif
}

/* OpenBLAS's x86-64 cores (driver/others/dynamic.c), by the widest
** instructions their kernels use: 0 SSE-era, 1 AVX, 2 AVX2/FMA, 3 AVX-512. */
static int core_level(const char *core) {
  static const char *const avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", NULL};
  static const char *const avx2[] = {"Haswell", "Zen", "Excavator", "Steamroller", NULL};
  static const char *const avx[] = {"Sandybridge", "Bulldozer", "Piledriver", NULL};
  static const char *const sse[] = {"Prescott", "Core2", "Penryn", "Dunnington", "Nehalem",
                                    "Atom", "Katmai", "Coppermine", "Northwood", "Banias",
                                    "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Nano",
                                    "Bobcat", NULL};
  const char *const *sets[] = {sse, avx, avx2, avx512};
  for (int l = 0; l < 4; l++)
    for (const char *const *c = sets[l]; *c; c++)
      if (!strcasecmp(*c, core)) return l;
  return -1;
}

const char *qa_blas_better_core(const char *current, const qa_cpu_features *f) {
  if (!current || !f) return NULL;
  int have = core_level(current);
  if (have < 0) return NULL;           /* not an x86 core name: leave it */
  /* SkylakeX, not Cooperlake: 0.3.21's OPENBLAS_CORETYPE does not accept
  ** "Cooperlake" ("Core not found"), and the two share their DGEMM kernels. */
  if (f->avx512 && have < 3) return "SkylakeX";
  if (f->avx2_fma && have < 2) return "Haswell";
  return NULL;
}

static char origin[160] = "detected by OpenBLAS";

void qa_blas_select(char **argv) {
  const char *set = getenv("OPENBLAS_CORETYPE");
  const char *chose = getenv("QAUDIT_BLAS_CHOSE");      /* set by our own re-execution */
  if (chose && *chose && set) {
    if (strcasecmp(qa_blas_core(), set) == 0)
      snprintf(origin, sizeof origin,
               "chosen by qaudit from the CPU's features (OpenBLAS chose %s)", chose);
    else
      snprintf(origin, sizeof origin, "qaudit asked for %s, OpenBLAS kept it (it chose %s)", set,
               chose);
    unsetenv("QAUDIT_BLAS_CHOSE");
    return;
  }
  if (set && *set) {
    snprintf(origin, sizeof origin, "set by OPENBLAS_CORETYPE");
    return;
  }
  const char *autosel = getenv("QAUDIT_BLAS_AUTO");
  if (autosel && !strcmp(autosel, "0")) return;
  qa_cpu_features f;
  qa_cpu_detect(&f);
  /* QAUDIT_BLAS_PRETEND_CORE: what OpenBLAS "chose", for the tests of the
  ** re-execution on machines OpenBLAS does recognise. */
  const char *pretend = getenv("QAUDIT_BLAS_PRETEND_CORE");
  const char *now = pretend && *pretend ? pretend : openblas_get_corename();
  const char *want = qa_blas_better_core(now, &f);
  if (!want) return;
  char was[64];
  snprintf(was, sizeof was, "%s", now);
  setenv("OPENBLAS_CORETYPE", want, 1);
  setenv("QAUDIT_BLAS_CHOSE", was, 1);
  fflush(NULL);
  execv("/proc/self/exe", argv);
  /* No re-execution: keep going on the slower kernels, and say so. */
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("QAUDIT_BLAS_CHOSE");
  snprintf(origin, sizeof origin, "detected by OpenBLAS (qaudit could not switch to %s)", want);
}

const char *qa_blas_core(void) {
  const char *c = openblas_get_corename();
  return c ? c : "unknown";
}

const char *qa_blas_core_origin(void) { return origin; }

/*
** The tinylm example end to end (examples/tinylm): qaudit's token numbers
** against an independent computation.  Every expected value below was
** printed by `/usr/bin/python3 examples/tinylm/check.py` (NumPy 1.24,
** float64, the caches read in row blocks with h5py; intervals mean ±
** 1.960 se_doc), to the digits it prints; the tolerances are half a unit
** of the last printed digit.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "badinput_util.h"
#include "harness.h"

static const cJSON *variant(const cJSON *root, const char *name) {
  const cJSON *vars = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0),
                                          "variants");
  const cJSON *v;
  cJSON_ArrayForEach(v, vars) {
    const cJSON *n = cJSON_GetObjectItem(v, "name");
    if (cJSON_IsString(n) && !strcmp(n->valuestring, name)) return v;
  }
  return NULL;
}

static double num(const cJSON *o, const char *k) {
  const cJSON *x = cJSON_GetObjectItem(o, k);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

static double at(const cJSON *o, const char *k, int i) {
  const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItem(o, k), i);
  return cJSON_IsNumber(x) ? x->valuedouble : NAN;
}

/* check.py's section 2, one row: ppl, ppl_ratio [lo, hi], kld_mean [lo, hi],
** kld_p99, same_top [lo, hi]. */
typedef struct row { const char *name, *tier; double ppl, r, rlo, rhi, k, klo, khi, p99, s, slo, shi; } row;

QA_TEST(tinylm_tokens_match_numpy) {
  static const row rows[] = {
    {"fp16", "negligible", 5.6175, 0.99999, 0.99997, 1.00001, 0, 0, 0, 0.00001, 0.99916, 0.99885, 0.99947},
    {"int8", "negligible", 5.6235, 1.00106, 1.00078, 1.00134, 0.00051, 0.00048, 0.00055, 0.00557,
     0.98739, 0.98600, 0.98879},
    {"int4", "concerning", 6.5746, 1.17036, 1.15653, 1.18435, 0.14423, 0.13515, 0.15331, 1.78722,
     0.80673, 0.79808, 0.81539},
    {"int3", "unacceptable", 10.0168, 1.78312, 1.68780, 1.88383, 0.52666, 0.49357, 0.55974, 4.25667,
     0.57528, 0.55902, 0.59154},
    {"int2", "unacceptable", 36.7611, 6.54396, 5.59173, 7.65834, 1.80278, 1.71151, 1.89405, 5.80478,
     0.19329, 0.17951, 0.20708},
  };
  char out[600];
  snprintf(out, sizeof out, "%s/tinylm", qa_test_tmpdir());
  bi_result r;
  bi_report_to(&r, "examples/tinylm/config.json", out, 120);
  CHECK_INT(r.code, 0);
  bi_free(&r);
  char path[700];
  snprintf(path, sizeof path, "%s/report.json", out);
  char *text = bi_slurp(path, NULL);
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  free(text);
  CHECK(root != NULL);
  if (!root) return;
  const cJSON *base = cJSON_GetObjectItem(variant(root, "fp32"), "tokens");
  CHECK_NEAR(num(base, "n"), 35614, 0);
  CHECK_NEAR(num(base, "docs"), 22, 0);
  CHECK_NEAR(num(base, "vocab"), 256, 0);
  CHECK_NEAR(num(base, "ppl"), 5.6176, 5e-5);
  for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
    const row *w = &rows[i];
    const cJSON *v = variant(root, w->name), *t = cJSON_GetObjectItem(v, "tokens");
    CHECK(t != NULL);
    if (!t) continue;
    CHECK_NEAR(num(t, "ppl"), w->ppl, 5e-5);
    CHECK_NEAR(num(t, "ppl_ratio"), w->r, 5e-6);
    CHECK_NEAR(at(t, "ppl_ratio_ci95", 0), w->rlo, 5e-6);
    CHECK_NEAR(at(t, "ppl_ratio_ci95", 1), w->rhi, 5e-6);
    CHECK_NEAR(num(cJSON_GetObjectItem(t, "kld"), "mean"), w->k, 5e-6);
    CHECK_NEAR(at(t, "kld_ci95", 0), w->klo, 5e-6);
    CHECK_NEAR(at(t, "kld_ci95", 1), w->khi, 5e-6);
    CHECK_NEAR(num(cJSON_GetObjectItem(t, "kld"), "p99"), w->p99, 5e-6);
    CHECK_NEAR(num(t, "same_top"), w->s, 5e-6);
    CHECK_NEAR(at(t, "same_top_ci95", 0), w->slo, 5e-6);
    CHECK_NEAR(at(t, "same_top_ci95", 1), w->shi, 5e-6);
    CHECK_STR(cJSON_GetObjectItem(v, "tier")->valuestring, w->tier);
  }
  /* check.py's section 3: int4 by slice (kld_mean), documentation worst. */
  const cJSON *t4 = cJSON_GetObjectItem(variant(root, "int4"), "tokens");
  const cJSON *sl;
  double want[3] = {0.14264, 0.15981, 0.13149};
  const char *names[3] = {"licence", "documentation", "code"};
  int seen = 0;
  cJSON_ArrayForEach(sl, cJSON_GetObjectItem(t4, "slices")) {
    for (int k = 0; k < 3; k++)
      if (!strcmp(cJSON_GetObjectItem(sl, "slice")->valuestring, names[k])) {
        CHECK_NEAR(num(sl, "kld_mean"), want[k], 5e-6);
        seen++;
      }
  }
  CHECK_INT(seen, 3);
  CHECK_STR(cJSON_GetObjectItem(t4, "worst_slice")->valuestring, "documentation");
  /* check.py's section 4: the claims. */
  static const char *const status[4] = {"demonstrated", "not supported", "not supported",
                                        "demonstrated"};
  for (int i = 0; i < 4; i++)
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "claims"), i),
                                  "status")->valuestring, status[i]);
  cJSON_Delete(root);
}

/*
** The Python cache writer (python/qaudit_cache.py, docs/python-writer.md):
** runs its unittest suite, python/test_qaudit_cache.py, with Debian's
** /usr/bin/python3 (h5py, NumPy, PyTorch from scripts/install-deps.sh),
** then takes every cache it wrote through `qaudit validate` one by one,
** and the two forward-pass caches of its MLP (fp32 and fake-quantized
** int8) through `qaudit init` and `qaudit report`.
**
** The Python suite compares what it wrote with the arrays given and with
** the models' outputs computed directly; here we check that qaudit reads
** the same files.  Run from the repository root (./qaudit, python/); under
** tests/run-sanitize.sh ./qaudit is the sanitized binary.
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

/* unittest's closing lines for the whole suite: the count of the test
** methods in python/test_qaudit_cache.py (grep -c '    def test_'). */
#define PY_TESTS_RAN "Ran 14 tests"

/* Every cache the suite writes (its out_path() calls and hf_last.h5). */
static const char *const WRITTEN[] = {
    "arrays.h5",   "arrays_f16_tokens.h5", "arrays_streamed.h5", "arrays_kept.h5",
    "bench.h5",    "mlp_fp32.h5",          "mlp_int8.h5",        "hf_style.h5",
    "hf_last.h5",  "lm_fp32.h5",           "lm_int8.h5",         "arrays_no_torch.h5",
};

static const cJSON *item(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = item(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

QA_TEST(pywriter_python_suite_and_qaudit_read_its_caches) {
  char root[PATH_MAX], dir[PATH_MAX], cmd[4 * PATH_MAX + 512];
  if (!getcwd(root, sizeof root)) { CHECK(0); return; }
  snprintf(dir, sizeof dir, "%s/pywriter", qa_test_tmpdir());
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", dir, dir);
  CHECK_INT(system(cmd), 0);

  /* 1. The Python suite, writing into dir; a hang fails after 300 s. */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && QAUDIT_PYWRITER_OUT='%s' QAUDIT='%s/qaudit' timeout 300 "
           "/usr/bin/python3 python/test_qaudit_cache.py 2>&1", root, dir, root);
  int st = -1;
  char *out = qa_test_command_output(cmd, &st);
  CHECK_INT(st, 0);
  CHECK_CONTAINS(out, PY_TESTS_RAN " in ");
  CHECK_CONTAINS(out, "\n\nOK\n");
  if (st != 0 && out)      /* unittest's own report names the failing test */
    qa_test_fail(__FILE__, __LINE__, "python/test_qaudit_cache.py said:\n%s", out);
  free(out);

  /* 2. qaudit validate, one file at a time: exit 0 and one "valid" line. */
  for (size_t i = 0; i < sizeof WRITTEN / sizeof *WRITTEN; i++) {
    char want[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s/qaudit' validate %s 2>&1", dir, root, WRITTEN[i]);
    snprintf(want, sizeof want, "%s: valid\n", WRITTEN[i]);
    char *v = qa_test_command_output(cmd, &st);
    CHECK_INT(st, 0);
    CHECK_STR(v, want);
    free(v);
  }

  /* 3. init and report over the MLP's two forward-pass caches. */
  snprintf(cmd, sizeof cmd,
           "cd '%s' && '%s/qaudit' init mlp_int8.h5 mlp_fp32.h5 > config.json 2>init.err && "
           "SOURCE_DATE_EPOCH=1700000000 '%s/qaudit' report config.json -o out --quiet "
           "--threads 1 2>report.err", dir, root, root);
  free(qa_test_command_output(cmd, &st));
  CHECK_INT(st, 0);
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/out/report.pdf", dir);
  CHECK(access(path, R_OK) == 0);
  snprintf(path, sizeof path, "%s/out/report.json", dir);
  char *json = qa_test_read_file(path, NULL);
  cJSON *rep = json ? cJSON_Parse(json) : NULL;
  CHECK(rep != NULL);
  if (rep) {
    const cJSON *mod = cJSON_GetArrayItem(item(rep, "models"), 0);
    CHECK_STR(cJSON_GetStringValue(item(mod, "name")), "mlp-demo");
    /* init orders variants by bits_per_weight (32, 8): fp32 is the baseline. */
    CHECK_STR(cJSON_GetStringValue(item(mod, "baseline")), "fp32");
    const cJSON *var = cJSON_GetArrayItem(item(mod, "variants"), 1);
    CHECK_STR(cJSON_GetStringValue(item(var, "name")), "int8");
    CHECK_NEAR(num(var, "bits_per_weight"), 8, 0);
    /* params: Linear(6,16) + Linear(16,12) + Linear(12,3) = 112 + 204 + 39. */
    CHECK_NEAR(num(var, "params"), 355, 0);
    const cJSON *repr = item(var, "representation");
    CHECK_STR(cJSON_GetStringValue(item(repr, "layer")), "final");
    CHECK_NEAR(num(repr, "n"), 96, 0);          /* mlp_data(): 96 samples */
    CHECK_NEAR(num(repr, "dim"), 12, 0);        /* the width of fc2, hooked at act2 */
    CHECK_NEAR(num(repr, "n_classes"), 3, 0);   /* label_names low, mid, high */
    /* 8-bit weights move the states a little: cosine below 1, above 0.99. */
    double cos = num(item(repr, "cosine"), "mean");
    CHECK(cos < 1 && cos > 0.99);
    const cJSON *layers = item(var, "layers");
    CHECK_INT(cJSON_GetArraySize(layers), 2);
    CHECK_STR(cJSON_GetStringValue(item(cJSON_GetArrayItem(layers, 0), "layer")), "layer_1");
  }
  cJSON_Delete(rep);
  free(json);
}

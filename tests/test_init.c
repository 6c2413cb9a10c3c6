/*
** qaudit init (src/cli/init.c, docs/init.md): the configuration written
** for the bundled example caches and for caches built here, read back as
** JSON, then given unchanged to `qaudit report`; and every refusal (exit
** status, one line naming file and attribute, nothing on stdout).
** Run from the repository root after `make qaudit examples`.
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/init_internal.h"
#include "h5fixture.h"

/* Runs `cd dir && qaudit init ARGS` (stderr to dir/init.err); returns
** stdout, *status the exit status, err (cap bytes) the stderr text. */
static char *run_init(const char *dir, const char *args, int *status, char *err, size_t cap) {
  char root[PATH_MAX], cmd[4 * PATH_MAX + 8192], errfile[PATH_MAX + 32];
  if (!getcwd(root, sizeof root)) return NULL;
  snprintf(errfile, sizeof errfile, "%s/init.err", dir);
  snprintf(cmd, sizeof cmd, "cd '%s' && '%s/qaudit' init %s 2>'%s'", dir, root, args, errfile);
  char *out = qa_test_command_output(cmd, status);
  char *e = qa_test_read_file(errfile, NULL);
  snprintf(err, cap, "%s", e ? e : "");
  free(e);
  return out;
}


static int write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

/* `qaudit report config.json` in dir; returns the exit status. */
static int run_report(const char *dir, const char *config) {
  char root[PATH_MAX], cmd[8192];
  if (!getcwd(root, sizeof root)) return -1;
  snprintf(cmd, sizeof cmd, "cd '%s' && SOURCE_DATE_EPOCH=1700000000 '%s/qaudit' report %s "
           "-o out --quiet --threads 1 2>report.err", dir, root, config);
  int st = -1;
  free(qa_test_command_output(cmd, &st));
  return st;
}

static const char *str_at(const cJSON *o, const char *key) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

/* The variants' names of model m, joined by spaces, into buf. */
static const char *variant_names(const cJSON *root, int m, char *buf, size_t cap) {
  const cJSON *mod = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), m);
  size_t used = 0;
  buf[0] = '\0';
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItem(mod, "variants"))
    used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? " " : "", str_at(v, "name"));
  return buf;
}

QA_TEST(init_showcase_config_runs_report) {
  char *dir = qa_test_fresh_dir("init_showcase"), err[2048], root[PATH_MAX], args[PATH_MAX * 6], names[256];
  CHECK(dir && getcwd(root, sizeof root));
  if (!dir) return;
  /* Absolute paths, from another folder: written relative to that folder. */
  static const char *const v[] = {"int4", "fp32", "int2", "fp16", "int8"};
  size_t used = 0;
  for (int i = 0; i < 5; i++)
    used += (size_t)snprintf(args + used, sizeof args - used, " %s/examples/showcase/caches/%s.h5",
                             root, v[i]);
  int st = -1;
  char *out = run_init(dir, args, &st, err, sizeof err);
  CHECK_INT(st, 0);
  CHECK_STR(err, "");
  cJSON *cfg = out ? cJSON_Parse(out) : NULL;
  CHECK(cfg != NULL);
  if (!cfg) { free(out); return; }
  const cJSON *mod = cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "models"), 0);
  CHECK_STR(str_at(mod, "name"), "triage-encoder-s");
  /* bits_per_weight of the caches (qaudit inspect): 32, 16, 8, 4.5, 2.5. */
  CHECK_STR(str_at(mod, "baseline"), "fp32");
  CHECK_STR(variant_names(cfg, 0, names, sizeof names), "fp32 fp16 int8 int4 int2");
  CHECK_STR(str_at(cfg, "layer"), "final");
  /* Every "file" names the cache it came from, seen from dir. */
  const cJSON *var;
  cJSON_ArrayForEach(var, cJSON_GetObjectItem(mod, "variants")) {
    char joined[PATH_MAX * 2], real[PATH_MAX], want[PATH_MAX * 2], real_want[PATH_MAX];
    const char *file = str_at(var, "file");
    CHECK(file && file[0] != '/');
    snprintf(joined, sizeof joined, "%s/%s", dir, file ? file : "");
    snprintf(want, sizeof want, "%s/examples/showcase/caches/%s.h5", root, str_at(var, "name"));
    CHECK(realpath(joined, real) && realpath(want, real_want) && strcmp(real, real_want) == 0);
  }
  /* The most frequent confusion of int2 (lowest precision): label 0 "safe"
  ** read as 3 "self_harm", 146 times; counted with h5py + collections.Counter
  ** over /samples/label and /outputs/prediction of int2.h5. */
  const cJSON *crit = cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "critical_errors"), 0);
  CHECK_STR(str_at(crit, "label"), "safe");
  CHECK_STR(str_at(crit, "predicted"), "self_harm");
  const cJSON *claims = cJSON_GetObjectItem(cfg, "claims");
  CHECK_INT(cJSON_GetArraySize(claims), 2);
  CHECK_STR(str_at(cJSON_GetArrayItem(claims, 0), "kind"), "tier_at_most");
  CHECK_STR(str_at(cJSON_GetArrayItem(claims, 0), "variant"), "int2");
  CHECK_STR(str_at(cJSON_GetArrayItem(claims, 1), "kind"), "critical_errors_at_most");
  /* Disclosure: all seven fields, each to be filled in. */
  const cJSON *disc = cJSON_GetObjectItem(cfg, "disclosure"), *d;
  CHECK_INT(cJSON_GetArraySize(disc), 7);
  cJSON_ArrayForEach(d, disc) CHECK(strncmp(cJSON_GetStringValue(d), "TODO: ", 6) == 0);
  CHECK_CONTAINS(str_at(disc, "strata"), "6 classes (safe, spam, harassment, self_harm");
  /* The key metrics are the caches' generation metrics. */
  const cJSON *km = cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "analysis"), "key_metrics");
  CHECK_INT(cJSON_GetArraySize(km), 3);
  CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(km, 2)), "rouge_l");
  cJSON_Delete(cfg);
  /* `qaudit report` runs on it unchanged, and its claims and disclosure
  ** come through. */
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/config.json", dir);
  CHECK(write_text(path, out) == 0);
  free(out);
  CHECK_INT(run_report(dir, "config.json"), 0);
  snprintf(path, sizeof path, "%s/out/report.json", dir);
  char *json = qa_test_read_file(path, NULL);
  cJSON *rep = json ? cJSON_Parse(json) : NULL;
  CHECK(rep != NULL);
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(rep, "claims")), 2);
  CHECK_STR(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "models"), 0), "baseline"),
            "fp32");
  CHECK(cJSON_IsTrue(cJSON_GetObjectItem(
      cJSON_GetObjectItem(cJSON_GetObjectItem(rep, "disclosure"), "task"), "declared")));
  cJSON_Delete(rep);
  free(json);
}

QA_TEST(init_digits_and_tinylm_config_runs_report) {
  char *dir = qa_test_fresh_dir("init_digits"), err[2048], root[PATH_MAX], args[PATH_MAX * 4], names[256];
  CHECK(dir && getcwd(root, sizeof root));
  if (!dir) return;
  snprintf(args, sizeof args, "%s/examples/digits/caches/*.h5 %s/examples/tinylm/caches/*.h5",
           root, root);
  int st = -1;
  char *out = run_init(dir, args, &st, err, sizeof err);
  CHECK_INT(st, 0);
  cJSON *cfg = out ? cJSON_Parse(out) : NULL;
  CHECK(cfg != NULL);
  if (!cfg) { free(out); return; }
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(cfg, "models")), 2);
  /* The glob lists digits_fp16 first; bits order puts fp32 (32) first,
  ** int3 (3.5) before int2 (2.5). */
  CHECK_STR(variant_names(cfg, 0, names, sizeof names), "fp32 fp16 int8 int4 int3 int2");
  CHECK_STR(variant_names(cfg, 1, names, sizeof names), "fp32 fp16 int8 int4 int3 int2");
  /* digits has layer_1 and penultimate (h5py); tinylm has no /hidden: the
  ** deepest common layer is penultimate (no integer: after layer_1). */
  CHECK_STR(str_at(cfg, "layer"), "penultimate");
  /* int2's most frequent confusion: 1 read as 8, 13 times (h5py, Counter). */
  const cJSON *crit = cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "critical_errors"), 0);
  CHECK_STR(str_at(crit, "label"), "1");
  CHECK_STR(str_at(crit, "predicted"), "8");
  CHECK(cJSON_GetObjectItem(cfg, "analysis") == NULL);   /* no generation metrics */
  cJSON_Delete(cfg);
  char path[PATH_MAX + 32];
  snprintf(path, sizeof path, "%s/c.json", dir);
  CHECK(write_text(path, out) == 0);
  free(out);
  CHECK_INT(run_report(dir, "c.json"), 0);
}

/* Caches of model "m" built here: bits 4, none, 8, 4 → order c a d b. */
QA_TEST(init_orders_by_bits_ties_and_missing) {
  char *dir = qa_test_fresh_dir("init_order"), err[2048], names[256], path[PATH_MAX + 32];
  CHECK(dir != NULL);
  if (!dir) return;
  struct { const char *variant; double bits; } v[] = {{"a", 4}, {"b", 0}, {"c", 8}, {"d", 4}};
  for (int i = 0; i < 4; i++) {
    fx_cache c;
    fx_default_cache(&c);
    c.model = "m";
    c.variant = v[i].variant;
    snprintf(path, sizeof path, "%s/%s.h5", dir, v[i].variant);
    CHECK(fx_write_cache(path, &c) == 0);
    /* The fixture writes bits_per_weight 8: replaced, or removed for b. */
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0 && H5Adelete(f, "bits_per_weight") >= 0);
    if (v[i].bits > 0) CHECK(fx_attr_f64(f, "bits_per_weight", v[i].bits) == 0);
    fx_close(f);
  }
  int st = -1;
  char *out = run_init(dir, "./a.h5 b.h5 ./c.h5 d.h5", &st, err, sizeof err);
  CHECK_INT(st, 0);
  cJSON *cfg = out ? cJSON_Parse(out) : NULL;
  CHECK(cfg != NULL);
  if (cfg) {
    CHECK_STR(variant_names(cfg, 0, names, sizeof names), "c a d b");
    const cJSON *mod = cJSON_GetArrayItem(cJSON_GetObjectItem(cfg, "models"), 0);
    CHECK_STR(str_at(mod, "baseline"), "c");
    CHECK_STR(str_at(cJSON_GetArrayItem(cJSON_GetObjectItem(mod, "variants"), 0), "file"),
              "c.h5");
    CHECK_STR(str_at(cfg, "subtitle"), "c vs a / d / b");
  }
  cJSON_Delete(cfg);
  snprintf(path, sizeof path, "%s/config.json", dir);
  CHECK(out && write_text(path, out) == 0);
  free(out);
  CHECK_INT(run_report(dir, "config.json"), 0);
}

/* Every refusal: the exit status, the one line, and an empty stdout. */
static void check_refused(const char *dir, const char *args, int want_status, const char *want) {
  char err[2048];
  int st = -1;
  char *out = run_init(dir, args, &st, err, sizeof err);
  CHECK_INT(st, want_status);
  CHECK(out && out[0] == '\0');
  CHECK_STR(err, want);
  free(out);
}

QA_TEST(init_refuses_bad_caches) {
  char *dir = qa_test_fresh_dir("init_bad"), path[PATH_MAX + 32];
  CHECK(dir != NULL);
  if (!dir) return;
  fx_cache c;
  fx_default_cache(&c);
  snprintf(path, sizeof path, "%s/good.h5", dir);
  CHECK(fx_write_cache(path, &c) == 0);
  snprintf(path, sizeof path, "%s/same.h5", dir);
  CHECK(fx_write_cache(path, &c) == 0);
  c.variant = "other";
  c.without_hidden = 1;
  snprintf(path, sizeof path, "%s/nohidden.h5", dir);
  CHECK(fx_write_cache(path, &c) == 0);
  snprintf(path, sizeof path, "%s/notes.h5", dir);
  CHECK(write_text(path, "not hdf5\n") == 0);
  /* A cache without the model attribute. */
  snprintf(path, sizeof path, "%s/nomodel.h5", dir);
  hid_t f = fx_create(path);
  CHECK(f >= 0 && fx_attr_str(f, "variant", "x") == 0);
  fx_close(f);
  snprintf(path, sizeof path, "%s/novariant.h5", dir);
  f = fx_create(path);
  CHECK(f >= 0 && fx_attr_str(f, "model", "x") == 0);
  fx_close(f);
  /* A cache whose only layer is not the others'. */
  snprintf(path, sizeof path, "%s/otherlayer.h5", dir);
  f = fx_create(path);
  static const double x[6] = {1, 2, 3, 4, 5, 6};
  hsize_t dims[2] = {6, 1};
  CHECK(f >= 0 && fx_attr_str(f, "model", "m") == 0 &&
        fx_attr_str(f, "variant", "deep") == 0 &&
        fx_floats(f, "/hidden/layer_9", H5T_IEEE_F32LE, 2, dims, x, 0) == 0);
  fx_close(f);

  check_refused(dir, "good.h5 missing.h5", 3,
                "qaudit: error: missing.h5: cannot open: No such file or directory\n");
  check_refused(dir, "notes.h5", 2,
                "qaudit: error: notes.h5: not an HDF5 file or truncated; expected an HDF5 "
                "cache (INTERFACE section 2)\n");
  check_refused(dir, "nomodel.h5", 2,
                "qaudit: error: nomodel.h5:/: missing attribute model: qaudit init names the "
                "models and variants after these attributes; add it to the cache\n");
  check_refused(dir, "novariant.h5", 2,
                "qaudit: error: novariant.h5:/: missing attribute variant: qaudit init names "
                "the models and variants after these attributes; add it to the cache\n");
  char want[1024];
  snprintf(want, sizeof want, "qaudit: error: same.h5:/: attribute variant \"v\" of model "
           "\"m\" is also that of good.h5; each variant of a model needs its own cache\n");
  check_refused(dir, "good.h5 same.h5", 2, want);
  check_refused(dir, "good.h5 nohidden.h5 otherlayer.h5", 2,
                "qaudit: error: otherlayer.h5:/hidden: no hidden layer is in every cache "
                "(layers here: layer_9; in good.h5: final); the configuration's layer must "
                "exist in each\n");
  check_refused(dir, "", 1,
                "qaudit: error: init needs at least one cache (see qaudit --help)\n");
  check_refused(dir, "--force good.h5", 1,
                "qaudit: error: unknown option --force (see qaudit --help)\n");
  /* A cache without /hidden next to one with it: no conflict. */
  char err[2048];
  int st = -1;
  char *out = run_init(dir, "good.h5 nohidden.h5", &st, err, sizeof err);
  CHECK_INT(st, 0);
  CHECK_CONTAINS(out, "\"layer\": \"final\"");
  free(out);
}

QA_TEST(init_layer_order) {
  /* docs/cache-format.md: by the integer in the name, then names without
  ** one, then final. */
  CHECK(qa_init_layer_cmp("layer_2", "layer_10") < 0);
  CHECK(qa_init_layer_cmp("layer_10", "penultimate") < 0);
  CHECK(qa_init_layer_cmp("penultimate", "final") < 0);
  CHECK(qa_init_layer_cmp("final", "layer_99") > 0);
  CHECK(qa_init_layer_cmp("block3", "layer_3") < 0);   /* same integer: by name */
  CHECK_INT(qa_init_layer_cmp("final", "final"), 0);
}

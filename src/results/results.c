/*
** Building the results tree (INTERFACE.md section 4) from a loaded study.
** Key names are the contract: change one only together with INTERFACE.md.
*/
#include "results/results.h"
#include "util/blas.h"

#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_version.h>
#include <hdf5.h>
#include <hpdf.h>
#include <cairo.h>
#include <cblas.h>

#include "results/results_internal.h"

cJSON *qa_json_num(cJSON *obj, const char *key, double v) {
  return isfinite(v) ? cJSON_AddNumberToObject(obj, key, v)
                     : cJSON_AddNullToObject(obj, key);
}

cJSON *qa_json_str(cJSON *obj, const char *key, const char *s) {
  return s ? cJSON_AddStringToObject(obj, key, s) : cJSON_AddNullToObject(obj, key);
}

double qa_json_get_num(const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

const char *qa_json_get_str(const cJSON *obj, const char *key) {
  const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
  return cJSON_IsString(it) ? it->valuestring : NULL;
}

void qa_iso8601(long long epoch, char out[32]) {
  time_t t = (time_t)epoch;
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static cJSON *build_inputs(const qa_study *s, const qa_analysis *a) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t m = 0; arr && m < s->n_models; m++)
    for (size_t v = 0; v < s->models[m].n_variants; v++) {
      const qa_variant *var = &s->models[m].variants[v];
      cJSON *in = cJSON_CreateObject();
      if (!in) continue;
      qa_json_str(in, "path", var->cfg->path);
      /* A token cache was hashed while its logits were streamed. */
      qa_json_str(in, "sha256", var->sha256_deferred ? a->models[m][v].input_sha256 : var->sha256);
      qa_json_num(in, "bytes", (double)var->bytes);
      qa_json_str(in, "model", s->models[m].name);
      qa_json_str(in, "variant", var->name);
      cJSON_AddItemToArray(arr, in);
    }
  return arr;
}

static cJSON *build_disclosure(const qa_config *cfg) {
  cJSON *obj = cJSON_CreateObject();
  for (size_t i = 0; obj && i < QA_N_DISCLOSURE; i++) {
    cJSON *field = cJSON_AddObjectToObject(obj, qa_disclosure_fields[i]);
    if (!field) continue;
    qa_json_str(field, "value", cfg->disclosure[i]);
    cJSON_AddBoolToObject(field, "declared", cfg->disclosure[i] != NULL);
  }
  return obj;
}

static cJSON *build_variant(const qa_variant *v) {
  cJSON *obj = cJSON_CreateObject();
  if (!obj) return NULL;
  qa_json_str(obj, "name", v->name);
  cJSON_AddBoolToObject(obj, "is_baseline", v->is_baseline);
  qa_json_num(obj, "bits_per_weight", v->has_bits_per_weight ? v->bits_per_weight : NAN);
  qa_json_num(obj, "params", v->has_params ? (double)v->params : NAN);
  qa_json_num(obj, "vram_gb", v->has_vram_gb ? v->vram_gb : NAN);
  cJSON_AddBoolToObject(obj, "vram_measured", v->vram_measured);
  return obj;
}

static cJSON *build_models(const qa_study *s, const qa_analysis *a) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t m = 0; arr && m < s->n_models; m++) {
    const qa_model *mod = &s->models[m];
    cJSON *obj = cJSON_CreateObject();
    if (!obj) continue;
    qa_json_str(obj, "name", mod->name);
    qa_json_str(obj, "baseline", mod->variants[mod->baseline].name);
    if (a) {
      /* STATISTICS.md "Tier, cost, memory": per model. */
      const qa_model_decision *md = &a->model_decisions[m];
      qa_json_str(obj, "sweet_spot",
                  md->sweet_spot == SIZE_MAX ? NULL : mod->variants[md->sweet_spot].name);
      qa_json_num(obj, "sweet_spot_noninf_p", md->sweet_spot_noninf_p);
      qa_json_str(obj, "cliff", md->cliff == SIZE_MAX ? NULL : mod->variants[md->cliff].name);
      qa_results_add_depth(obj, s, a, m);
    }
    cJSON *vars = cJSON_AddArrayToObject(obj, "variants");
    for (size_t v = 0; vars && v < mod->n_variants; v++) {
      cJSON *vo = build_variant(&mod->variants[v]);
      if (vo && a) qa_results_add_variant(vo, s, a, m, v);
      cJSON_AddItemToArray(vars, vo);
    }
    cJSON_AddItemToArray(arr, obj);
  }
  return arr;
}

/* What built this report, for the provenance appendix. */
static cJSON *build_provenance(void) {
  char buf[64];
  unsigned maj, min, rel;
  cJSON *o = cJSON_CreateObject();
  qa_json_str(o, "qaudit_version", QA_VERSION);
  qa_json_str(o, "build", "C11, compiler " __VERSION__);
  cJSON *lib = cJSON_AddObjectToObject(o, "libraries");
  H5get_libversion(&maj, &min, &rel);
  snprintf(buf, sizeof buf, "%u.%u.%u", maj, min, rel);
  qa_json_str(lib, "hdf5", buf);
  qa_json_str(lib, "gsl", gsl_version);
  qa_json_str(lib, "cairo", cairo_version_string());
  qa_json_str(lib, "libharu", HPDF_GetVersion());
  snprintf(buf, sizeof buf, "%d.%d.%d", CJSON_VERSION_MAJOR, CJSON_VERSION_MINOR,
           CJSON_VERSION_PATCH);
  qa_json_str(lib, "cjson", buf);
  qa_json_str(lib, "openblas", qa_openblas_version());
  /* The kernels that ran, and how they were chosen (util/blas.h). */
  char core[256];
  snprintf(core, sizeof core, "%s, %s", qa_blas_core(), qa_blas_core_origin());
  qa_json_str(lib, "openblas_core", core);
  return o;
}

int qa_results_build(const qa_study *study, const qa_analysis *analysis,
                     const qa_results_opts *opts, qa_progress *p, cJSON **out,
                     qa_error *err) {
  char date[32];
  cJSON *root = cJSON_CreateObject();
  *out = NULL;
  qa_progress_stage(p, "results", NULL);
  if (!root) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  qa_iso8601(opts->epoch, date);
  cJSON_AddStringToObject(root, "qaudit_version", QA_VERSION);
  cJSON_AddStringToObject(root, "generated", date);
  cJSON_AddItemToObject(root, "inputs", build_inputs(study, analysis));
  cJSON_AddItemToObject(root, "disclosure", build_disclosure(study->cfg));
  qa_json_str(root, "caveats", study->cfg->caveats);   /* disclosure.caveats, or null */
  cJSON_AddItemToObject(root, "models", build_models(study, analysis));
  if (analysis) qa_results_add_study(root, study, analysis);
  cJSON_AddItemToObject(root, "provenance", build_provenance());
  /* cJSON reports allocation failures only through missing items. */
  if (!cJSON_GetObjectItem(root, "models") || !cJSON_GetObjectItem(root, "inputs")) {
    cJSON_Delete(root);
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory building results");
  }
  *out = root;
  return 0;
}

const char *qa_openblas_version(void) {
  const char *v = openblas_get_config();
  return v ? v : "unknown";
}

/*
** Configuration parsing: defaults (INTERFACE.md section 3, "the values
** shown above"), every error kind with the key path it must name, and
** paths relative to the configuration file.
*/
#include "harness.h"

#include <stdlib.h>

#include "input/config.h"

static const char *MINIMAL =
  "{\"models\": [{\"name\": \"m\", \"variants\": [{\"name\": \"fp32\", \"file\": \"a.h5\"}]}]}";

/* Parses text expecting failure; returns the message (static buffer). */
static const char *config_error(const char *text, int *code) {
  static qa_error err;
  qa_config *cfg = NULL;
  qa_error_clear(&err);
  int rc = qa_config_parse(text, "dir/study.json", &cfg, &err);
  if (rc == 0) {
    qa_config_free(cfg);
    return "(parsed without error)";
  }
  CHECK(cfg == NULL);
  *code = err.code;
  return err.msg;
}

QA_TEST(config_defaults) {
  qa_config *cfg = NULL;
  qa_error err = {0};
  CHECK_INT(qa_config_parse(MINIMAL, "study.json", &cfg, &err), 0);
  if (!cfg) return;
  /* Every default is the value shown in INTERFACE.md section 3. */
  CHECK_NEAR(cfg->alpha, 0.05, 0);
  CHECK_NEAR(cfg->power, 0.80, 0);
  CHECK_INT(cfg->knn_k, 5);
  CHECK_NEAR(cfg->tost_margin_pp, 3.0, 0);
  CHECK_NEAR(cfg->tost_margin_pct, 3.0, 0);
  CHECK_INT(cfg->pairs_max, 5000000);
  CHECK_INT(cfg->n_key_metrics, 3);
  CHECK_STR(cfg->key_metrics[0], "bertscore");
  CHECK_STR(cfg->key_metrics[2], "rouge_l");
  CHECK_INT(cfg->n_tiers, 3);
  CHECK_STR(cfg->tiers[1].name, "acceptable");
  CHECK_NEAR(cfg->tiers[1].max_drop_pp, 5, 0);
  CHECK_NEAR(cfg->tiers[1].max_drop_pct, 8, 0);
  CHECK_NEAR(cfg->tiers[2].max_drop_pct, 15, 0);
  CHECK_INT(cfg->n_vram_tiers, 4);
  CHECK_NEAR(cfg->vram_tiers_gb[3], 8, 0);
  CHECK_NEAR(cfg->usd_per_hour, 0.035, 0);
  CHECK_NEAR(cfg->vram_overhead, 1.1, 0);
  CHECK_STR(cfg->layer, "final");
  CHECK_INT(cfg->n_claims, 0);
  CHECK_INT(cfg->n_critical, 0);
  for (int i = 0; i < QA_N_DISCLOSURE; i++) CHECK(cfg->disclosure[i] == NULL);
  CHECK(cfg->models[0].baseline == NULL);
  qa_config_free(cfg);
}

QA_TEST(config_full_example_and_relative_paths) {
  const char *text =
    "{\"title\": \"T\", \"subtitle\": \"S\", \"author\": \"A\","
    " \"disclosure\": {\"task\": \"cls\", \"calibration\": null, \"strata\": \"\"},"
    " \"layer\": \"layer_15\","
    " \"models\": [{\"name\": \"vit\", \"baseline\": \"fp32\", \"params\": 86600000,"
    "   \"variants\": [{\"name\": \"fp32\", \"file\": \"caches/a.h5\"},"
    "                  {\"name\": \"int8\", \"file\": \"/abs/b.h5\", \"bits_per_weight\": 8}]}],"
    " \"analysis\": {\"alpha\": 0.01, \"knn_k\": 10, \"key_metrics\": [\"x\"]},"
    " \"tiers\": [{\"name\": \"ok\", \"max_drop_pp\": 2}],"
    " \"deploy\": {\"vram_tiers_gb\": [1, 3], \"usd_per_hour\": 1.5},"
    " \"critical_errors\": [{\"label\": \"VETO\", \"predicted\": \"APPROVE\", \"max\": 0}],"
    " \"claims\": [{\"id\": \"C1\", \"text\": \"t\", \"kind\": \"tier_at_most\","
    "               \"variant\": \"int8\", \"tier\": \"ok\"}]}";
  qa_config *cfg = NULL;
  qa_error err = {0};
  CHECK_INT(qa_config_parse(text, "examples/x/study.json", &cfg, &err), 0);
  if (!cfg) { qa_test_fail(__FILE__, __LINE__, "%s", err.msg); return; }
  CHECK_STR(cfg->models[0].variants[0].path, "examples/x/caches/a.h5");
  CHECK_STR(cfg->models[0].variants[1].path, "/abs/b.h5");
  CHECK(cfg->models[0].variants[1].has_bits_per_weight);
  CHECK_INT(cfg->models[0].params, 86600000);
  CHECK_STR(cfg->disclosure[0], "cls");
  CHECK(cfg->disclosure[4] == NULL);          /* null: not declared */
  CHECK(cfg->disclosure[6] == NULL);          /* "": not declared */
  CHECK_NEAR(cfg->alpha, 0.01, 0);
  CHECK_NEAR(cfg->power, 0.80, 0);            /* untouched keys keep defaults */
  CHECK_INT(cfg->knn_k, 10);
  CHECK_INT(cfg->n_tiers, 1);
  CHECK(isinf(cfg->tiers[0].max_drop_pct));   /* an absent limit does not constrain */
  CHECK_NEAR(cfg->usd_per_hour, 1.5, 0);
  CHECK_NEAR(cfg->vram_overhead, 1.1, 0);
  CHECK_STR(cfg->critical[0].predicted, "APPROVE");
  CHECK_STR(cfg->claims[0].tier, "ok");
  CHECK_STR(cfg->layer, "layer_15");
  qa_config_free(cfg);
}

QA_TEST(config_config_in_current_dir) {
  qa_config *cfg = NULL;
  qa_error err = {0};
  CHECK_INT(qa_config_parse(MINIMAL, "study.json", &cfg, &err), 0);
  if (cfg) CHECK_STR(cfg->models[0].variants[0].path, "a.h5");
  qa_config_free(cfg);
}

/* Each error kind names its key path (INTERFACE.md section 3). */
QA_TEST(config_errors_name_the_key) {
  static const struct { const char *text, *want; } cases[] = {
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"analysis\": {\"knn_kk\": 3}}",
     "dir/study.json:analysis.knn_kk: unknown key"},
    {"{\"modles\": []}", "dir/study.json:modles: unknown key"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\", \"bits\": 4}]}]}",
     "dir/study.json:models[0].variants[0].bits: unknown key"},
    {"{\"models\": [{\"variants\": [{\"file\": 3}]}]}",
     "dir/study.json:models[0].variants[0].file: expected a string, found a number"},
    {"{\"models\": [{\"variants\": [{\"name\": \"x\"}]}]}",
     "dir/study.json:models[0].variants[0].file: missing (required)"},
    {"{}", "dir/study.json:models: missing (required)"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"analysis\": {\"alpha\": 1.5}}",
     "dir/study.json:analysis.alpha: 1.5 is out of range: expected (0, 1)"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"analysis\": {\"knn_k\": 2.5}}",
     "dir/study.json:analysis.knn_k: expected an integer, found 2.5"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"analysis\": {\"power\": \"high\"}}",
     "dir/study.json:analysis.power: expected a number, found a string"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"deploy\": {\"vram_tiers_gb\": [4, 2]}}",
     "dir/study.json:deploy.vram_tiers_gb[1]: memory tiers must be in ascending order"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"claims\": [{\"id\": \"C1\", "
     "\"text\": \"t\", \"kind\": \"tier_at_least\", \"variant\": \"v\"}]}",
     "dir/study.json:claims[0].kind: unknown claim kind \"tier_at_least\""},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"claims\": [{\"id\": \"C1\", "
     "\"text\": \"t\", \"kind\": \"tier_at_most\", \"variant\": \"v\", \"tier\": \"great\"}]}",
     "dir/study.json:claims[0].tier: \"great\" is not a configured tier"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"claims\": [{\"id\": \"C1\", "
     "\"text\": \"t\", \"kind\": \"metric_at_least\", \"variant\": \"v\", \"metric\": \"cosine_mean\"}]}",
     "dir/study.json:claims[0].value: missing (required for metric_at_least)"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"title\": 1, \"title\": 2}",
     "dir/study.json:title: duplicate key"},
    {"{\"models\": [{\"variants\": [{\"file\": \"a\"}]}], \"disclosure\": {\"owner\": \"x\"}}",
     "dir/study.json:disclosure.owner: unknown key"},
    {"[1, 2]", "dir/study.json: expected a JSON object at the top level"},
    {"{\n  \"models\": [\n    {\"variants\": ]\n}", "dir/study.json: invalid JSON at line 3, column"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int code = 0;
    const char *msg = config_error(cases[i].text, &code);
    CHECK_CONTAINS(msg, cases[i].want);
    CHECK_INT(code, QA_EXIT_USAGE);
    CHECK(strchr(msg, '\n') == NULL);
  }
}

QA_TEST(config_missing_file_is_usage_error) {
  qa_config *cfg = NULL;
  qa_error err = {0};
  CHECK_INT(qa_config_load("/nonexistent/qaudit.json", &cfg, &err), -1);
  CHECK_INT(err.code, QA_EXIT_USAGE);
  CHECK_CONTAINS(err.msg, "/nonexistent/qaudit.json: cannot open configuration");
}

/* "template": the report template's folder, relative to the configuration
** file like every path (docs/configuration.md, docs/templates.md). */
QA_TEST(config_template_key) {
  qa_config *cfg = NULL;
  qa_error err = {0};
  CHECK_INT(qa_config_parse(MINIMAL, "dir/study.json", &cfg, &err), 0);
  if (cfg) CHECK(cfg->template_dir == NULL);   /* absent: the shipped default */
  qa_config_free(cfg);
  cfg = NULL;
  static const struct { const char *value, *config_path, *want; } ok[] = {
    {"brand/report", "examples/x/study.json", "examples/x/brand/report"},
    {"/srv/templates/acme", "examples/x/study.json", "/srv/templates/acme"},
    {"brand", "study.json", "brand"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    char text[256];
    snprintf(text, sizeof text, "{\"template\": \"%s\", %s", ok[i].value, MINIMAL + 1);
    CHECK_INT(qa_config_parse(text, ok[i].config_path, &cfg, &err), 0);
    if (cfg) CHECK_STR(cfg->template_dir, ok[i].want);
    qa_config_free(cfg);
    cfg = NULL;
  }
  static const struct { const char *text, *want; } bad[] = {
    {"{\"template\": 3, \"models\": [{\"variants\": [{\"file\": \"a\"}]}]}",
     "dir/study.json:template: expected a string, found a number"},
    {"{\"template\": \"\", \"models\": [{\"variants\": [{\"file\": \"a\"}]}]}",
     "dir/study.json:template: expected the path of a template folder, found \"\""},
    {"{\"templates\": \"x\", \"models\": [{\"variants\": [{\"file\": \"a\"}]}]}",
     "dir/study.json:templates: unknown key"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    int code = 0;
    CHECK_STR(config_error(bad[i].text, &code), bad[i].want);
    CHECK_INT(code, QA_EXIT_USAGE);
  }
}

QA_TEST(config_issue11_keys_and_defaults) {
  qa_config *cfg = NULL;
  qa_error err = {0};
  /* Defaults (INTERFACE.md section 3): margins [3, 5], GB, harmonic. */
  CHECK_INT(qa_config_parse(MINIMAL, "study.json", &cfg, &err), 0);
  if (!cfg) return;
  CHECK_INT(cfg->n_tost_margins_pp, 2);
  CHECK_NEAR(cfg->tost_margins_pp[1], 5.0, 0);
  CHECK_STR(cfg->memory_unit, "GB");
  CHECK_NEAR(cfg->memory_unit_bytes, 1e9, 0);
  CHECK_INT(cfg->throughput_arithmetic, 0);
  CHECK(cfg->caveats == NULL);
  qa_config_free(cfg);
  /* A caveat is free text, longer than a name may be (5,000 bytes). */
  static char text[8192];
  char caveat[5001];
  memset(caveat, 'c', 5000);
  caveat[5000] = '\0';
  snprintf(text, sizeof text,
           "{\"models\": [{\"name\": \"m\", \"variants\": [{\"name\": \"a\", \"file\": \"a.h5\"}]}], "
           "\"disclosure\": {\"caveats\": \"%s\"}, \"analysis\": {\"tost_margins_pp\": [1, 2, 4]}, "
           "\"deploy\": {\"memory_unit\": \"GiB\", \"throughput_mean\": \"arithmetic\"}}", caveat);
  cfg = NULL;
  CHECK_INT(qa_config_parse(text, "study.json", &cfg, &err), 0);
  if (!cfg) return;
  CHECK_INT(strlen(cfg->caveats), 5000);
  CHECK_INT(cfg->n_tost_margins_pp, 3);
  CHECK_NEAR(cfg->tost_margins_pp[2], 4.0, 0);
  CHECK_NEAR(cfg->memory_unit_bytes, 1073741824.0, 0);      /* 2^30 */
  CHECK_INT(cfg->throughput_arithmetic, 1);
  qa_config_free(cfg);
  /* Margins must ascend; the unit is GB or GiB. */
  cfg = NULL;
  CHECK(qa_config_parse("{\"models\": [{\"name\": \"m\", \"variants\": [{\"name\": \"a\", "
                        "\"file\": \"a.h5\"}]}], \"analysis\": {\"tost_margins_pp\": [5, 3]}}",
                        "study.json", &cfg, &err) != 0);
  CHECK_CONTAINS(err.msg, "ascending");
  CHECK(qa_config_parse("{\"models\": [{\"name\": \"m\", \"variants\": [{\"name\": \"a\", "
                        "\"file\": \"a.h5\"}]}], \"deploy\": {\"memory_unit\": \"MB\"}}",
                        "study.json", &cfg, &err) != 0);
  CHECK_CONTAINS(err.msg, "\"GB\" or \"GiB\"");
}

/*
** What a report embeds for `qaudit verify` (cli/verify.h).  Must hold
** nothing that changes between two runs on the same inputs from the same
** folder (no date but the report's own, no absolute path unless the user
** gave one), so that the PDF stays byte-reproducible.
*/
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/verify.h"
#include "results/results.h"
#include "util/sha256.h"

static char *run_json(const qa_config *cfg, int threads) {
  char hex[65];
  const char *text = cfg->source_text ? cfg->source_text : "";
  qa_sha256_hex(text, strlen(text), hex);
  cJSON *root = cJSON_CreateObject();
  if (!root) return NULL;
  cJSON_AddStringToObject(root, "qaudit_version", QA_VERSION);
  cJSON_AddStringToObject(root, "command", "report");
  cJSON_AddStringToObject(root, "config", cfg->path ? cfg->path : "");
  cJSON_AddStringToObject(root, "config_sha256", hex);
  cJSON_AddNumberToObject(root, "threads", threads);
  cJSON_AddStringToObject(root, "paths_relative_to",
                          "the folder qaudit report was run from");
  char *out = cJSON_Print(root);
  cJSON_Delete(root);
  return out;
}

int qa_verify_evidence_make(qa_verify_evidence *ev, const char *json, size_t len,
                            const qa_config *cfg, int threads, qa_error *err) {
  memset(ev, 0, sizeof *ev);
  ev->run_json = run_json(cfg, threads);
  if (!ev->run_json) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  const char *cfg_text = cfg->source_text ? cfg->source_text : "";
  /* In byte order of their names: a name tree's keys are sorted (ISO
  ** 32000-1 section 7.9.6) and libharu keeps the order they are added in. */
  ev->items[0] = (qa_doc_attachment){QA_VERIFY_CONFIG_NAME, "application/json",
                                     "the configuration this report was made from",
                                     cfg_text, strlen(cfg_text)};
  ev->items[1] = (qa_doc_attachment){QA_VERIFY_RUN_NAME, "application/json",
                                     "how this report was made, for qaudit verify",
                                     ev->run_json, strlen(ev->run_json)};
  ev->items[2] = (qa_doc_attachment){QA_VERIFY_REPORT_NAME, "application/json",
                                     "every number in this report (report.json)", json, len};
  return 0;
}

void qa_verify_evidence_free(qa_verify_evidence *ev) {
  if (!ev) return;
  free(ev->run_json);
  ev->run_json = NULL;
}

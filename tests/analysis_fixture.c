/* See analysis_fixture.h. */
#include "analysis_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

int qa_test_study_dir(const char *prefix, const char *tag, char *dir, size_t cap) {
  char cmd[1200];
  snprintf(dir, cap, "%s/%s-%s", qa_test_tmpdir(), prefix, tag);
  snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
  return system(cmd) == 0 ? 0 : qa_test_fail(__FILE__, __LINE__, "mkdir %s", dir) - 1;
}

int qa_test_study_run(const char *dir, const char *const *names, size_t n,
                      const char *const *variant_extra, const char *model_extra,
                      const char *extra, qa_test_study *out) {
  char path[1200], vars[4096] = "";
  size_t used = 0;
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n && used < sizeof vars; i++)
    used += (size_t)snprintf(vars + used, sizeof vars - used,
                             "%s{\"name\": \"%s\", \"file\": \"%s.h5\"%s}", i ? ", " : "",
                             names[i], names[i],
                             variant_extra && variant_extra[i] ? variant_extra[i] : "");
  snprintf(path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen(path, "w");
  if (!f) return qa_test_fail(__FILE__, __LINE__, "cannot write %s", path) - 1;
  fprintf(f, "{\"layer\": \"final\", \"models\": [{\"name\": \"m\", \"baseline\": \"%s\"%s, "
          "\"variants\": [%s]}]%s%s}\n", names[0], model_extra ? model_extra : "", vars,
          extra ? ", " : "", extra ? extra : "");
  fclose(f);
  qa_error err = {0};
  qa_analysis_opts o = {1};
  if (qa_config_load(path, &out->cfg, &err) || qa_study_load(out->cfg, NULL, &out->study, &err) ||
      qa_analysis_run(out->study, &o, NULL, &out->a, &err))
    return qa_test_fail(__FILE__, __LINE__, "analysis: %s", err.msg) - 1;
  return 0;
}

void qa_test_study_free(qa_test_study *s) {
  qa_analysis_free(s->a);
  qa_study_free(s->study);
  qa_config_free(s->cfg);
}

const qa_claim_result *qa_test_claim(const qa_test_study *s, const char *id) {
  static const qa_claim_result missing = {"?", "?", "(missing claim)", ""};
  for (size_t i = 0; s->a && i < s->a->n_claims; i++)
    if (!strcmp(s->a->claims[i].id, id)) return &s->a->claims[i];
  return &missing;
}

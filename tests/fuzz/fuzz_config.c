/*
** libFuzzer harness for the configuration parser (src/input/config.c).
**
** The input bytes become a NUL-terminated string (an embedded NUL simply
** ends it, as qa_config_load refuses such files before parsing) and are
** parsed as if read from /tmp/fuzz/config.json.  Success or failure, the
** result must be freed completely (LeakSanitizer checks), and exactly one
** of (configuration, error) comes back.
**
** Built and run by scripts/fuzz.sh; see tests/fuzz/README.md.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "input/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  qa_config *cfg = NULL;
  qa_error err = {0};
  int rc = qa_config_parse(text, "/tmp/fuzz/config.json", &cfg, &err);
  /* The contract of qa_config_parse: exactly one of (cfg, error). */
  if (rc == 0 && (!cfg || err.code != 0)) abort();
  if (rc != 0 && (cfg || err.code == 0 || !err.msg[0])) abort();
  qa_config_free(cfg);
  free(text);
  return 0;
}

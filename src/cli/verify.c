/* qaudit verify (cli/cli.h): being built, see issue 15. */
#include "cli/cli.h"

int qa_cmd_verify(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return qa_cli_usage_error("%s", "verify is not available yet");
}

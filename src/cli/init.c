/* qaudit init (cli/cli.h): being built, see issue 15. */
#include "cli/cli.h"

int qa_cmd_init(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return qa_cli_usage_error("%s", "init is not available yet");
}

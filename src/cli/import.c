/* qaudit import (cli/cli.h): being built, see issue 15. */
#include "cli/cli.h"

int qa_cmd_import(int argc, char **argv) {
  (void)argc;
  (void)argv;
  return qa_cli_usage_error("%s", "import is not available yet");
}

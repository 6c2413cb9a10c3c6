/* Error printing shared by every command (cli/cli.h). */
#include <stdio.h>

#include "cli/cli.h"

int qa_cli_report_error(const qa_error *err) {
  fprintf(stderr, "qaudit: error: %s\n", err->msg);
  return err->code ? err->code : QA_EXIT_IO;
}

int qa_cli_usage_error(const char *fmt, const char *arg) {
  char what[1024];
  snprintf(what, sizeof what, fmt, arg);
  /* One line even when an argument carries a newline. */
  for (char *c = what; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  fprintf(stderr, "qaudit: error: %s (see qaudit --help)\n", what);
  return QA_EXIT_USAGE;
}

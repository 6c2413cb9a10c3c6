/*
** The commands beside `report`, `validate` and `inspect` (INTERFACE.md
** section 1, docs/cli.md): each takes main's argc/argv (argv[1] is the
** command name) and returns the exit status.  Errors are printed the way
** main prints them: one line on stderr, "qaudit: error: FILE:WHERE: what".
*/
#ifndef QA_CLI_H
#define QA_CLI_H

#include "util/error.h"

/* qaudit init CACHE.h5... > config.json (cli/init.c) */
int qa_cmd_init(int argc, char **argv);
/* qaudit import lm-eval|llama-bench ... -o CACHE.h5 (cli/import.c) */
int qa_cmd_import(int argc, char **argv);
/* qaudit verify OUTDIR|REPORT.pdf (cli/verify.c) */
int qa_cmd_verify(int argc, char **argv);

/* "qaudit: error: <msg>" on stderr; returns the error's exit code. */
int qa_cli_report_error(const qa_error *err);
/* A command-line error: one line, "(see qaudit --help)", exit 1.  fmt has
** one %s for arg. */
int qa_cli_usage_error(const char *fmt, const char *arg);

#endif

/*
** Progress on stderr (util/progress.h): the bar's text, the bar on a
** terminal (a pseudo-terminal from util-linux's script(1)), one line per
** stage without one, nothing with --quiet.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "util/progress.h"

QA_TEST(progress_format_bar_rate_and_time_left) {
  char s[160];
  /* 3 of 12 after 1.5 s: 2 a second, 9 left -> 4.5 s -> "0:05"; 6 of 24
  ** marks filled. */
  qa_progress_format(s, sizeof s, 3, 12, "cells", 1.5);
  CHECK_STR(s, "[######..................] 3/12 cells  2/s  0:05 left");
  /* Done: the time the stage took instead of the time left. */
  qa_progress_format(s, sizeof s, 12, 12, "cells", 61.0);
  CHECK_STR(s, "[########################] 12/12 cells  0.2/s  in 1:01");
  /* A fast stage: a whole rate; an hour left as H:MM:SS. */
  qa_progress_format(s, sizeof s, 40, 144040, "blocks", 1.0);
  CHECK_STR(s, "[........................] 40/144040 blocks  40/s  1:00:00 left");
  /* No step yet, no unit: no rate, no guess. */
  qa_progress_format(s, sizeof s, 0, 5, NULL, 0.0);
  CHECK_STR(s, "[........................] 0/5");
}

static int has_showcase(void) {
  FILE *f = fopen("examples/showcase/caches/fp32.h5", "rb");
  if (f) fclose(f);
  return f != NULL;
}

QA_TEST(progress_bar_on_a_terminal_lines_in_a_log_nothing_when_quiet) {
  if (!has_showcase()) {
    qa_test_fail(__FILE__, __LINE__, "examples/showcase/caches missing (make examples)");
    return;
  }
  char cmd[1400];
  const char *tmp = qa_test_tmpdir();
  int st = -1;
  /* On a pseudo-terminal: script(1) runs the command with its stdio on one
  ** and copies what it wrote. */
  snprintf(cmd, sizeof cmd,
           "script -qec './qaudit report examples/showcase/config.json -o %s/prog-tty' /dev/null",
           tmp);
  char *tty = qa_test_command_output(cmd, &st);
  CHECK_INT(st, 0);
  CHECK(tty && strstr(tty, "\rqaudit ["));
  CHECK(tty && strstr(tty, " representation [########################] 5/5 variants"));
  CHECK(tty && strstr(tty, "/s  in 0:"));
  CHECK(tty && strstr(tty, " cells "));
  CHECK(tty && strstr(tty, "\033[K"));
  free(tty);
  /* Into a file: the stage lines only, no carriage return, no bar. */
  snprintf(cmd, sizeof cmd,
           "./qaudit report examples/showcase/config.json -o %s/prog-log 2>&1 >/dev/null", tmp);
  char *log = qa_test_command_output(cmd, &st);
  CHECK_INT(st, 0);
  CHECK(log && strstr(log, "] reading caches: "));
  CHECK(log && strstr(log, "] analysis: "));
  CHECK(log && strstr(log, "] done\n"));
  CHECK(log && !strchr(log, '\r'));
  CHECK(log && !strstr(log, "####"));
  free(log);
  snprintf(cmd, sizeof cmd,
           "script -qec './qaudit report examples/showcase/config.json -o %s/prog-q --quiet' "
           "/dev/null", tmp);
  char *quiet = qa_test_command_output(cmd, &st);
  CHECK_INT(st, 0);
  CHECK(quiet && quiet[0] == '\0');
  free(quiet);
}

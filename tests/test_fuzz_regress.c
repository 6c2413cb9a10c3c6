/*
** Every input the fuzzers found (tests/fuzz/crashes/) stays a test case:
** `qaudit validate` and `qaudit inspect` end with exit 0 or 2 and, for an
** invalid file, one line naming it — never a signal, never a hang.  Most of
** these files crash or hang libhdf5 1.10 itself; qaudit reads a cache in a
** child process first (src/input/isolate.c), so the crash becomes an error.
*/
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>

#define CRASHES "tests/fuzz/crashes"

/* Under the sanitizers (tests/run-sanitize.sh) AddressSanitizer reports the
** libhdf5 faults inside the child process itself, which is the point of
** these files; there the cases run against the plain build of the same
** sources (QAUDIT_DATADIR/qaudit, built by `make test` before the suite),
** so that they are checked in both runs. */
static const char *qaudit_binary(void) {
  static char path[1024];
  const char *s = getenv("QAUDIT_SANITIZED"), *top = getenv("QAUDIT_DATADIR");
  if (!(s && *s) || !top) return "./qaudit";
  snprintf(path, sizeof path, "%s/qaudit", top);
  return path;
}

static int run_status(const char *cmd, int *signalled) {
  int st = system(cmd);
  *signalled = st != -1 && WIFSIGNALED(st);
  return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

QA_TEST(fuzz_crash_inputs_end_cleanly) {
  DIR *d = opendir(CRASHES);
  if (!d) { qa_test_fail(__FILE__, __LINE__, "no %s", CRASHES); return; }
  struct dirent *e;
  int cases = 0;
  char cmd[2048], out[600];
  snprintf(out, sizeof out, "%s/fuzz-regress.txt", qa_test_tmpdir());
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 3, ".h5")) continue;
    for (int inspect = 0; inspect < 2; inspect++) {
      int sig = 0;
      snprintf(cmd, sizeof cmd,
               "QAUDIT_READ_TIMEOUT_S=3 timeout -s KILL 30 '%s' %s '%s/%s' >%s 2>&1",
               qaudit_binary(), inspect ? "inspect" : "validate", CRASHES, e->d_name, out);
      int rc = run_status(cmd, &sig);
      if (sig || !(rc == 0 || rc == 2))
        qa_test_fail(__FILE__, __LINE__, "%s %s: exit %d%s", inspect ? "inspect" : "validate",
                     e->d_name, rc, sig ? " (signal)" : "");
      if (!inspect && rc == 2) {
        /* One line naming the file. */
        FILE *f = fopen(out, "r");
        char line[2048] = "", extra[16];
        if (f) {
          if (!fgets(line, sizeof line, f)) line[0] = '\0';
          if (fgets(extra, sizeof extra, f))
            qa_test_fail(__FILE__, __LINE__, "validate %s: more than one line", e->d_name);
          fclose(f);
        }
        CHECK_CONTAINS(line, e->d_name);
      }
    }
    cases++;
  }
  closedir(d);
  CHECK(cases >= 10);
}

QA_TEST(fuzz_crash_input_in_a_report_is_an_error_not_a_crash) {
  /* A variant whose file crashes libhdf5 (in validate): report exits 2 with
  ** one error naming the file, and leaves no report. */
  char cmd[4096], dir[600];
  snprintf(dir, sizeof dir, "%s/fuzz-report", qa_test_tmpdir());
  snprintf(cmd, sizeof cmd,
           "mkdir -p %s && cp examples/showcase/caches/fp32.h5 %s/ && "
           "cp " CRASHES "/cache-hdf5-segv-H5G__link_release_table.h5 %s/bad.h5 && "
           "printf '{\"models\": [{\"name\": \"m\", \"baseline\": \"fp32\", \"variants\": "
           "[{\"name\": \"fp32\", \"file\": \"fp32.h5\"}, {\"name\": \"bad\", \"file\": \"bad.h5\"}]}]}' "
           "> %s/config.json", dir, dir, dir, dir);
  CHECK_INT(system(cmd), 0);
  int sig = 0;
  snprintf(cmd, sizeof cmd, "'%s' report %s/config.json -o %s/out -q 2>%s/err.txt",
           qaudit_binary(), dir, dir, dir);
  CHECK_INT(run_status(cmd, &sig), 2);
  CHECK(!sig);
  snprintf(cmd, sizeof cmd, "test $(wc -l < %s/err.txt) -eq 1 && grep -q 'qaudit: error: .*bad.h5:' %s/err.txt",
           dir, dir);
  CHECK_INT(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "test ! -e %s/out/report.pdf && test ! -e %s/out/report.json", dir, dir);
  CHECK_INT(system(cmd), 0);
}

/*
** Runs every registered test (optionally only those whose name contains
** argv[1]) and prints "N passed, N failed".  A test passes when none of its
** checks failed.
*/
#include "harness.h"

#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#define MAX_TESTS 1024

struct test_entry { const char *name, *file; qa_test_fn fn; };
static struct test_entry tests[MAX_TESTS];
static int n_tests;
static int current_failures;
static const char *current_name;

void qa_test_register(const char *name, const char *file, qa_test_fn fn) {
  if (n_tests == MAX_TESTS) { fprintf(stderr, "too many tests\n"); exit(3); }
  tests[n_tests].name = name;
  tests[n_tests].file = file;
  tests[n_tests].fn = fn;
  n_tests++;
}

int qa_test_fail(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stdout, "FAIL %s (%s:%d): ", current_name, file, line);
  va_start(ap, fmt);
  vfprintf(stdout, fmt, ap);
  va_end(ap);
  fputc('\n', stdout);
  current_failures++;
  return 0;
}

const char *qa_test_tmpdir(void) {
  static char dir[64];
  if (!dir[0]) {
    snprintf(dir, sizeof dir, "/tmp/qaudit-test-XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); exit(3); }
  }
  return dir;
}

static int by_file_then_name(const void *a, const void *b) {
  const struct test_entry *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  return c ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  const char *filter = argc > 1 ? argv[1] : NULL;
  qsort(tests, (size_t)n_tests, sizeof tests[0], by_file_then_name);
  for (int i = 0; i < n_tests; i++) {
    if (filter && !strstr(tests[i].name, filter)) continue;
    current_name = tests[i].name;
    current_failures = 0;
    tests[i].fn();
    if (current_failures) failed++; else passed++;
    if (getenv("QA_TEST_VERBOSE"))
      printf("%s %s\n", current_failures ? "not ok" : "ok", tests[i].name);
  }
  fflush(stdout);
  printf("unit: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

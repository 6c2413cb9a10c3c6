/*
** Runs every registered test (optionally only those whose name contains
** argv[1]) and prints "N passed, N failed".  A test passes when none of its
** checks failed.
*/
#include "harness.h"

#include <sys/wait.h>

#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
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

char *qa_test_fresh_dir(const char *name) {
  static char path[4096];
  snprintf(path, sizeof path, "%s/%s", qa_test_tmpdir(), name);
  char cmd[2 * sizeof path + 32];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", path, path);
  if (system(cmd) != 0) return NULL;
  return path;
}

static int by_file_then_name(const void *a, const void *b) {
  const struct test_entry *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  return c ? c : strcmp(x->name, y->name);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* QA_TEST_TIMES=N: the N slowest tests and their wall seconds, on stderr
** (where the suite's time goes, to keep `make test` under its budget). */
static double secs[MAX_TESTS];
static int by_time(const void *a, const void *b) {
  double x = secs[*(const int *)a], y = secs[*(const int *)b];
  return (x < y) - (x > y);
}

static void print_times(int top) {
  int idx[MAX_TESTS];
  double total = 0;
  for (int i = 0; i < n_tests; i++) { idx[i] = i; total += secs[i]; }
  qsort(idx, (size_t)n_tests, sizeof idx[0], by_time);
  fprintf(stderr, "slowest tests (of %.1f s):\n", total);
  for (int i = 0; i < top && i < n_tests && secs[idx[i]] > 0; i++)
    fprintf(stderr, "%8.2f s  %s\n", secs[idx[i]], tests[idx[i]].name);
}

int main(int argc, char **argv) {
  int passed = 0, failed = 0;
  const char *filter = argc > 1 ? argv[1] : NULL;
  qsort(tests, (size_t)n_tests, sizeof tests[0], by_file_then_name);
  for (int i = 0; i < n_tests; i++) {
    if (filter && !strstr(tests[i].name, filter)) continue;
    current_name = tests[i].name;
    current_failures = 0;
    double t0 = now_s();
    tests[i].fn();
    secs[i] = now_s() - t0;
    if (current_failures) failed++; else passed++;
    if (getenv("QA_TEST_VERBOSE"))
      printf("%s %s\n", current_failures ? "not ok" : "ok", tests[i].name);
  }
  fflush(stdout);
  if (getenv("QA_TEST_TIMES")) print_times(atoi(getenv("QA_TEST_TIMES")));
  printf("unit: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}

char *qa_test_read_stream(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0, got;
  char *buf = malloc(cap + 1);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *b = realloc(buf, 2 * cap + 1);
      if (!b) { free(buf); return NULL; }
      buf = b;
      cap *= 2;
    }
  }
  if (buf) buf[n] = '\0';
  if (len) *len = n;
  return buf;
}

char *qa_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = qa_test_read_stream(f, len);
  fclose(f);
  return buf;
}

char *qa_test_command_output(const char *cmd, int *status) {
  FILE *p = popen(cmd, "r");
  if (!p) {
    if (status) *status = -1;
    return NULL;
  }
  char *buf = qa_test_read_stream(p, NULL);
  int st = pclose(p);
  if (status) *status = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return buf;
}

/*
** The isolated child (src/input/isolate.c): each way a child can end, and
** what the parent reports.  (How soon it notices a quick child is for
** `make bench`, not for a timed test.)
*/
#include "harness.h"

#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "input/isolate.h"

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int quick(void *arg, qa_error *err) {
  (void)arg;
  (void)err;
  return 0;
}

static int fails(void *arg, qa_error *err) {
  return qa_error_set(err, QA_EXIT_DATA, (const char *)arg, "/hidden/x", "bad shape");
}

static int crashes(void *arg, qa_error *err) {
  (void)arg;
  (void)err;
  raise(SIGKILL);   /* a signal no sanitizer intercepts, as SIGSEGV would be */
  return 0;
}

static int hangs(void *arg, qa_error *err) {
  (void)arg;
  (void)err;
  for (;;) pause();
  return 0;
}

static void count(void *arg) { ++*(int *)arg; }

QA_TEST(isolate_every_ending) {
  if (!qa_isolation_enabled()) return;   /* QAUDIT_NO_ISOLATION set for this run */
  qa_error err = {0};
  int seen = 0;
  /* Clean children, the parent's own work done meanwhile for each. */
  for (int i = 0; i < 20; i++)
    CHECK_INT(qa_isolated_with("f.h5", quick, NULL, 10.0, &err, count, &seen), 0);
  CHECK_INT(seen, 20);
  /* The child's own error, passed whole. */
  CHECK_INT(qa_isolated("f.h5", fails, "f.h5", 10.0, &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_STR(err.msg, "f.h5:/hidden/x: bad shape");
  /* A crash. */
  qa_error_clear(&err);
  CHECK_INT(qa_isolated("f.h5", crashes, NULL, 10.0, &err), -1);
  CHECK_INT(err.code, QA_EXIT_DATA);
  CHECK_CONTAINS(err.msg, "f.h5: the HDF5 library crashed reading this file");
  /* A hang: stopped once the deadline has passed. */
  qa_error_clear(&err);
  double t0 = now_s();
  CHECK_INT(qa_isolated("f.h5", hangs, NULL, 0.3, &err), -1);
  double took = now_s() - t0;
  CHECK(took >= 0.3 && took < 30.0);
  CHECK_CONTAINS(err.msg, "f.h5: reading took longer than 0 s and was stopped");
}

/*
** The unit-test harness: tests register themselves with QA_TEST and are run
** by tests/harness.c, which prints one line per failure and the closing
** counts.  Every file tests/test_*.c is linked into one binary; nothing
** needs registering by hand.
**
** An expected value always carries its source in a comment beside it.
*/
#ifndef QA_TEST_HARNESS_H
#define QA_TEST_HARNESS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*qa_test_fn)(void);
void qa_test_register(const char *name, const char *file, qa_test_fn fn);
/* Records a failed check of the current test; returns 0 so that callers
** may `return` after a fatal one. */
int qa_test_fail(const char *file, int line, const char *fmt, ...);
/* A scratch directory for the current run (created once, e.g. /tmp/qa-XXXX). */
const char *qa_test_tmpdir(void);

/* Everything read from f until its end, NUL-terminated (binary-safe with
** *len, which may be NULL); NULL when out of memory.  Caller frees. */
char *qa_test_read_stream(FILE *f, size_t *len);

/* qa_test_tmpdir()/name, emptied and created; a static buffer (the next
** call reuses it), NULL if it cannot be made. */
char *qa_test_fresh_dir(const char *name);
/* The whole file at path, as above; NULL when it cannot be opened. */
char *qa_test_read_file(const char *path, size_t *len);
/* The standard output of a shell command, as above; *status (may be NULL)
** receives its exit status, or -1 when it did not exit normally. */
char *qa_test_command_output(const char *cmd, int *status);

#define QA_TEST(name)                                                     \
  static void name(void);                                                 \
  __attribute__((constructor)) static void name##_register(void) {        \
    qa_test_register(#name, __FILE__, name);                              \
  }                                                                       \
  static void name(void)

#define CHECK(cond)                                                       \
  do { if (!(cond)) qa_test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond); } while (0)

/* Absolute tolerance check of doubles; NaN never passes. */
#define CHECK_NEAR(got, want, tol)                                        \
  do { double g_ = (got), w_ = (want);                                    \
       if (!(fabs(g_ - w_) <= (tol)))                                     \
         qa_test_fail(__FILE__, __LINE__, "%s = %.17g, want %.17g (tol %g)", \
                      #got, g_, w_, (double)(tol)); } while (0)

#define CHECK_INT(got, want)                                              \
  do { long long g_ = (long long)(got), w_ = (long long)(want);           \
       if (g_ != w_) qa_test_fail(__FILE__, __LINE__, "%s = %lld, want %lld", \
                                  #got, g_, w_); } while (0)

#define CHECK_STR(got, want)                                              \
  do { const char *g_ = (got), *w_ = (want);                              \
       if (!g_ || strcmp(g_, w_) != 0)                                    \
         qa_test_fail(__FILE__, __LINE__, "%s = \"%s\", want \"%s\"",     \
                      #got, g_ ? g_ : "(null)", w_); } while (0)

/* Checks that the string contains the substring. */
#define CHECK_CONTAINS(got, part)                                         \
  do { const char *g_ = (got), *p_ = (part);                              \
       if (!g_ || !strstr(g_, p_))                                        \
         qa_test_fail(__FILE__, __LINE__, "%s = \"%s\", want it to contain \"%s\"", \
                      #got, g_ ? g_ : "(null)", p_); } while (0)

#endif

/*
** Running a risky read in a child process.  HDF5 1.10 can crash, loop or
** overflow on a corrupt or hostile file (see tests/fuzz/crashes); qaudit
** must not.  The read is done first in a forked child: a crash, a hang or an
** allocation storm there becomes a one-line error, and only a file the child
** read cleanly is read again by the process itself.
**
** QAUDIT_NO_ISOLATION=1 turns this off (the fuzzing harnesses use it to see
** the library's crashes themselves).
*/
#ifndef QA_ISOLATE_H
#define QA_ISOLATE_H

#include "util/error.h"

/* Runs fn(arg, err) in a child process limited to timeout_s seconds.
** Returns fn's result with its error, or -1 with a QA_EXIT_DATA error naming
** path when the child died by a signal or ran out of time.  When isolation
** is off, or fork fails, calls fn directly. */
int qa_isolated(const char *path, int (*fn)(void *arg, qa_error *err), void *arg,
                double timeout_s, qa_error *err);

/* qa_isolated, with meanwhile(mw_arg) run by the parent while the child
** works (after fn when isolation is off): other work on the same file, such
** as its digest, costs no time of its own.  meanwhile may be NULL. */
int qa_isolated_with(const char *path, int (*fn)(void *arg, qa_error *err), void *arg,
                     double timeout_s, qa_error *err, void (*meanwhile)(void *mw_arg),
                     void *mw_arg);

/* 0 when QAUDIT_NO_ISOLATION turns isolation off, else 1. */
int qa_isolation_enabled(void);

/* Seconds a clean read of a file of this size may take: 60 s plus 1 s per
** 20 MB. */
double qa_isolation_timeout(const char *path);

/* 1 when a thread may fork while other threads of qaudit run (the child
** then only reads through HDF5 and malloc), 0 when it may not.  glibc's
** malloc takes its locks around fork(); the AddressSanitizer allocator of
** GCC 12 does not, so a fork while another thread allocates leaves the
** child waiting forever on a lock no thread will release (seen in the
** sanitizer run: a showcase layer read "took longer than 60 s").  Pools
** whose jobs fork run one job at a time when this is 0; every number is
** the same for any number of workers (tests/test_parallel.c). */
int qa_fork_with_threads_ok(void);

#endif

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

/* 0 when QAUDIT_NO_ISOLATION turns isolation off, else 1. */
int qa_isolation_enabled(void);

/* Seconds a clean read of a file of this size may take: 60 s plus 1 s per
** 20 MB. */
double qa_isolation_timeout(const char *path);

#endif

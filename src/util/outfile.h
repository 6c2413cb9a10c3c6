/*
** Writing outputs so that a failure never leaves a partial report: each
** output goes to a temporary name in its final directory, and all are
** renamed into place together only when every one was written.
*/
#ifndef QA_OUTFILE_H
#define QA_OUTFILE_H

#include <stddef.h>

#include "util/error.h"

/* Creates dir and its parents when missing (mode 0777 & umask). */
int qa_mkdirs(const char *dir, qa_error *err);

/* "DIR/.NAME.tmp-PID": the temporary twin of DIR/NAME. */
void qa_outfile_temp_name(const char *dir, const char *name, char *out, size_t cap);

/* Writes len bytes to path (creating or truncating it). */
int qa_write_file(const char *path, const void *data, size_t len, qa_error *err);

/* Renames each temps[i] to finals[i]; on the first failure removes every
** temporary not yet renamed and returns -1. */
int qa_outfile_commit(const char *const *temps, const char *const *finals, size_t n,
                      qa_error *err);

/* Removes every temporary that exists (after a failure). */
void qa_outfile_discard(const char *const *temps, size_t n);

#endif

/*
** Writing outputs so that a failure never leaves a partial report: each
** output goes to a temporary name in its final directory, every target is
** checked before anything is renamed, and all are renamed into place
** together (an earlier output kept aside until the last rename succeeded,
** and put back when one fails).
**
** This module must never move, replace or delete anything that qaudit did
** not write: a target that is not absent, a regular file (for a file) or a
** folder holding only regular *.png files (for the figures) is refused.
*/
#ifndef QA_OUTFILE_H
#define QA_OUTFILE_H

#include <stddef.h>

#include "util/error.h"

/* One output: the complete temporary and the name it takes. */
typedef struct qa_outfile {
  const char *temp;     /* written completely, in final's folder */
  const char *final;    /* where it goes */
  int is_dir;           /* 1: a folder of figures (regular *.png files only) */
} qa_outfile;

/* At most this many outputs are committed together. */
#define QA_OUTFILE_MAX 8

/* Creates dir and its parents when missing (mode 0777 & umask). */
int qa_mkdirs(const char *dir, qa_error *err);

/* "DIR/.NAME.tmp-PID": the temporary twin of DIR/NAME. */
void qa_outfile_temp_name(const char *dir, const char *name, char *out, size_t cap);

/* Writes len bytes to path (a new file; a stale temporary of ours there is
** replaced, a symlink is never followed). */
int qa_write_file(const char *path, const void *data, size_t len, qa_error *err);

/* Checks that every final name may be replaced: its folder is writable,
** and it is absent, or a regular file (is_dir 0), or a real folder, not a
** symlink, writable and holding only regular *.png files (is_dir 1).
** Touches nothing; the temporaries need not exist yet.  Exit code 3. */
int qa_outfile_check(const qa_outfile *outs, size_t n, qa_error *err);

/* Checks the targets (qa_outfile_check), then renames each temp to its
** final name, all or nothing: an earlier output is kept aside (a hard link,
** else renamed to "DIR/.NAME.old.tmp-PID") until every rename succeeded,
** then removed; when a rename fails, the ones already done are undone, the
** earlier outputs put back and every temporary removed.  Returns -1 with
** err naming the final name that failed. */
int qa_outfile_commit(const qa_outfile *outs, size_t n, qa_error *err);

/* Removes every temporary that exists (after a failure). */
void qa_outfile_discard(const qa_outfile *outs, size_t n);

/* Removes a folder of figures written by qaudit: its regular *.png files,
** then the folder if that left it empty.  A symlink is removed itself,
** never followed, so nothing outside the output folder is touched. */
void qa_outfile_remove_figures(const char *dir);

#endif

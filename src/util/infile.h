/*
** Opening the files qaudit reads besides the caches (the configuration,
** the report template, the fonts) so that opening cannot block.
**
** A FIFO blocks open(2) until a writer comes and read(2) until it writes;
** /dev/zero never ends; a directory reads as EISDIR.  These files must be
** regular files (a symlink to one is fine): anything else is refused by
** its kind, before a byte is read.  The caches have their own check in
** input/cache.c.
*/
#ifndef QA_INFILE_H
#define QA_INFILE_H

#include <stdio.h>
#include <sys/types.h>

/* Opens path for reading in binary mode: O_NONBLOCK first, so that a FIFO
** cannot block, then fstat, then O_NONBLOCK cleared.  Returns 0 with *out
** set; -1 with errno set when the file cannot be opened; 1 when it is not
** a regular file, with *mode set to its st_mode (see qa_infile_kind). */
int qa_infile_open(const char *path, FILE **out, mode_t *mode);

/* "a FIFO", "a directory", "a character device", ...: what st_mode is. */
const char *qa_infile_kind(mode_t mode);

#endif

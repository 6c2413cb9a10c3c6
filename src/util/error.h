/*
** qa_error: what went wrong, where, and which exit code it deserves.
**
** Functions that can fail return int (0 on success) and fill a qa_error.
** Only main() turns an error into a message on stderr and an exit status.
** The message is one line:  FILE[:PATH]: what was found/expected.
*/
#ifndef QA_ERROR_H
#define QA_ERROR_H

enum {
  QA_OK = 0,
  QA_EXIT_USAGE = 1,    /* usage or configuration error */
  QA_EXIT_DATA = 2,     /* invalid input data */
  QA_EXIT_IO = 3        /* I/O or internal failure */
};

typedef struct qa_error {
  int code;             /* one of QA_EXIT_*; 0 when no error */
  char msg[1024];       /* "file:path: what" without the "qaudit: error: " prefix */
} qa_error;

/* Sets err (if not NULL) to code and "file:path: <fmt>"; file and path may
** be NULL or empty.  Returns -1 so callers can write `return qa_error_set(...)`. */
int qa_error_set(qa_error *err, int code, const char *file, const char *path,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void qa_error_clear(qa_error *err);

#endif

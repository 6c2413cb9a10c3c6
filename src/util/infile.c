/*
** Opening inputs without blocking (see infile.h).  This module never reads
** a byte itself: it decides whether a path may be read.
*/
#include "util/infile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

const char *qa_infile_kind(mode_t mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

int qa_infile_open(const char *path, FILE **out, mode_t *mode) {
  struct stat st;
  *out = NULL;
  *mode = 0;
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    /* open(2) of a Unix socket fails with ENXIO: say what it is instead. */
    int e = errno;
    if (e == ENXIO && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
      *mode = st.st_mode;
      return 1;
    }
    errno = e;
    return -1;
  }
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    *mode = st.st_mode;
    return 1;
  }
  /* A regular file: reads behave as without the flag, but clear it so that
  ** nothing downstream sees EAGAIN semantics. */
  int flags = fcntl(fd, F_GETFL);
  FILE *f = flags >= 0 && fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0 ? fdopen(fd, "rb") : NULL;
  if (!f) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  *out = f;
  return 0;
}

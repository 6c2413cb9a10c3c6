/*
** Temporary outputs and their atomic rename (rename(2) within one
** directory replaces the target atomically).
*/
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int qa_mkdirs(const char *dir, qa_error *err) {
  char path[4096];
  size_t n = strlen(dir);
  if (n == 0) return qa_error_set(err, QA_EXIT_USAGE, NULL, NULL, "empty output directory");
  if (n >= sizeof path) return qa_error_set(err, QA_EXIT_IO, dir, NULL, "path too long");
  memcpy(path, dir, n + 1);
  for (size_t i = 1; i <= n; i++) {
    if (path[i] != '/' && path[i] != '\0') continue;
    char saved = path[i];
    path[i] = '\0';
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
      return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot create directory: %s",
                          strerror(errno));
    path[i] = saved;
  }
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
    return qa_error_set(err, QA_EXIT_IO, dir, NULL, "not a directory");
  return 0;
}

void qa_outfile_temp_name(const char *dir, const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s/.%s.tmp-%ld", dir, name, (long)getpid());
}

int qa_write_file(const char *path, const void *data, size_t len, qa_error *err) {
  /* A new file, never through a symlink planted under the temporary name;
  ** a stale temporary of ours (same name) is removed first. */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST && unlink(path) == 0)
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!f) {
    int e = errno;
    if (fd >= 0) close(fd);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot write: %s", strerror(e));
  }
  size_t written = fwrite(data, 1, len, f);
  int close_rc = fclose(f);
  if (written != len || close_rc != 0) {
    remove(path);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "write failed: %s", strerror(errno));
  }
  return 0;
}

void qa_outfile_discard(const char *const *temps, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (temps[i]) remove(temps[i]);
}

int qa_outfile_commit(const char *const *temps, const char *const *finals, size_t n,
                      qa_error *err) {
  for (size_t i = 0; i < n; i++) {
    if (rename(temps[i], finals[i]) != 0) {
      qa_error_set(err, QA_EXIT_IO, finals[i], NULL, "cannot rename into place: %s",
                   strerror(errno));
      qa_outfile_discard(temps + i, n - i);
      return -1;
    }
  }
  return 0;
}

/*
** Temporary outputs and their commit, all or nothing (see outfile.h).
**
** rename(2) within one directory replaces a file atomically, but a report
** is several outputs (figures folder, JSON, PDF), so the commit is a small
** transaction: every target is checked first, each earlier output is kept
** aside (a hard link, so that the name never disappears, else a rename)
** before its new one takes its name, and a failure undoes, in reverse
** order, what was done.  Nothing that qaudit did not write is ever moved,
** replaced or deleted: such a target is refused before the first rename.
*/
#include "util/outfile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/infile.h"

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

void qa_outfile_remove_figures(const char *dir) {
  struct stat st;
  if (lstat(dir, &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    if (S_ISLNK(st.st_mode)) unlink(dir);
    return;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    struct stat fs;
    if (n > 4 && !strcmp(e->d_name + n - 4, ".png") &&
        fstatat(fd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(fs.st_mode))
      unlinkat(fd, e->d_name, 0);
  }
  closedir(d);
  rmdir(dir);
}

/* ---- checking the targets ------------------------------------------------ */

/* The folder that holds path ("." for a bare name). */
static void parent_of(const char *path, char *out, size_t cap) {
  const char *slash = strrchr(path, '/');
  if (!slash) snprintf(out, cap, ".");
  else if (slash == path) snprintf(out, cap, "/");
  else snprintf(out, cap, "%.*s", (int)(slash - path), path);
}

/* A file name as it may appear in a one-line message: at most 60 bytes,
** control characters (a newline) shown as '?'. */
static void printable_name(const char *name, char *out, size_t cap) {
  size_t n = 0;
  for (; *name && n + 4 < cap && n < 60; name++)
    out[n++] = (unsigned char)*name < 0x20 || *name == 0x7F ? '?' : *name;
  if (*name && n + 4 <= cap) { memcpy(out + n, "...", 3); n += 3; }
  out[n] = '\0';
}

#define NOT_OURS_FIGURES "qaudit replaces only a folder of figures it wrote (regular *.png " \
                         "files), and wrote nothing"

/* dir (a real folder) holds only regular *.png files. */
static int check_figures_dir(const char *dir, qa_error *err) {
  if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) != 0)
    return qa_error_set(err, QA_EXIT_IO, dir, NULL, "cannot replace this folder: %s",
                        strerror(errno));
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    int e = errno;
    if (fd >= 0) close(fd);
    return qa_error_set(err, QA_EXIT_IO, dir, NULL, "cannot read this folder: %s", strerror(e));
  }
  struct dirent *e;
  int rc = 0;
  while (!rc && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    size_t n = strlen(e->d_name);
    struct stat fs;
    if (fstatat(fd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW) != 0) fs.st_mode = 0;
    if (n > 4 && !strcmp(e->d_name + n - 4, ".png") && S_ISREG(fs.st_mode)) continue;
    char shown[80];
    printable_name(e->d_name, shown, sizeof shown);
    rc = qa_error_set(err, QA_EXIT_IO, dir, NULL, "holds \"%s\" (%s), which qaudit did not "
                      "write: " NOT_OURS_FIGURES, shown,
                      fs.st_mode ? qa_infile_kind(fs.st_mode) : "unknown");
  }
  closedir(d);
  return rc;
}

static int check_one(const qa_outfile *o, qa_error *err) {
  char parent[4096];
  struct stat st;
  parent_of(o->final, parent, sizeof parent);
  if (faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) != 0)
    return qa_error_set(err, QA_EXIT_IO, parent, NULL, "cannot write in this folder: %s",
                        strerror(errno));
  if (lstat(o->final, &st) != 0) {
    if (errno == ENOENT) return 0;
    return qa_error_set(err, QA_EXIT_IO, o->final, NULL, "cannot examine: %s",
                        strerror(errno));
  }
  if (o->is_dir) {
    if (!S_ISDIR(st.st_mode))
      return qa_error_set(err, QA_EXIT_IO, o->final, NULL, "is %s, not a folder: "
                          NOT_OURS_FIGURES, qa_infile_kind(st.st_mode));
    return check_figures_dir(o->final, err);
  }
  if (!S_ISREG(st.st_mode))
    return qa_error_set(err, QA_EXIT_IO, o->final, NULL, "is %s, not a regular file: qaudit "
                        "replaces only an earlier report file, and wrote nothing",
                        qa_infile_kind(st.st_mode));
  return 0;
}

int qa_outfile_check(const qa_outfile *outs, size_t n, qa_error *err) {
  for (size_t i = 0; i < n; i++)
    if (check_one(&outs[i], err)) return -1;
  return 0;
}

/* ---- the commit ------------------------------------------------------------ */

void qa_outfile_discard(const qa_outfile *outs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!outs[i].temp) continue;
    if (outs[i].is_dir) qa_outfile_remove_figures(outs[i].temp);
    else unlink(outs[i].temp);
  }
}

/* What became of one output's earlier version during the commit. */
typedef struct kept {
  char backup[4500];    /* DIR/.NAME.old.tmp-PID */
  int how;              /* KEPT_NONE, KEPT_LINK (final is still the earlier), KEPT_MOVED */
  int placed;           /* the new output has the final name */
} kept;

enum { KEPT_NONE, KEPT_LINK, KEPT_MOVED };

static void remove_output(const char *path, int is_dir) {
  if (is_dir) qa_outfile_remove_figures(path);
  else unlink(path);
}

/* Keeps the earlier output at final (if any) under k->backup. */
static int keep_aside(const qa_outfile *o, kept *k, qa_error *err) {
  struct stat st;
  k->how = KEPT_NONE;
  if (lstat(o->final, &st) != 0) return 0;   /* checked: nothing there */
  remove_output(k->backup, o->is_dir);       /* a stale one of ours, same PID */
  /* A hard link keeps the name in place until the new file replaces it;
  ** where links are refused (some filesystems, protected_hardlinks) the
  ** earlier file is renamed aside instead.  A folder can only be renamed. */
  if (!o->is_dir && link(o->final, k->backup) == 0) {
    k->how = KEPT_LINK;
    return 0;
  }
  if (rename(o->final, k->backup) == 0) {
    k->how = KEPT_MOVED;
    return 0;
  }
  return qa_error_set(err, QA_EXIT_IO, o->final, NULL, "cannot keep the earlier one aside "
                      "while replacing it: %s", strerror(errno));
}

/* Undoes one output's part of the commit; 0 when the earlier state is back. */
static int undo(const qa_outfile *o, kept *k) {
  if (k->placed) {
    if (k->how == KEPT_NONE || o->is_dir) remove_output(o->final, o->is_dir);
    /* for a file, the rename replaces the new one atomically */
    if (k->how != KEPT_NONE && rename(k->backup, o->final) != 0) return -1;
    return 0;
  }
  if (k->how == KEPT_LINK) unlink(k->backup);
  if (k->how == KEPT_MOVED && rename(k->backup, o->final) != 0) return -1;
  return 0;
}

int qa_outfile_commit(const qa_outfile *outs, size_t n, qa_error *err) {
  kept k[QA_OUTFILE_MAX];
  if (n > QA_OUTFILE_MAX)
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "internal: %zu outputs to commit, at "
                        "most %d", n, QA_OUTFILE_MAX);
  memset(k, 0, sizeof k);
  for (size_t i = 0; i < n; i++) {
    char dir[4096], name[300];
    const char *slash = strrchr(outs[i].final, '/');
    parent_of(outs[i].final, dir, sizeof dir);
    snprintf(name, sizeof name, "%.280s.old", slash ? slash + 1 : outs[i].final);
    qa_outfile_temp_name(dir, name, k[i].backup, sizeof k[i].backup);
  }
  /* Every target first: a refusal must come before the first rename. */
  if (qa_outfile_check(outs, n, err)) {
    qa_outfile_discard(outs, n);
    return -1;
  }
  size_t i = 0;
  for (; i < n; i++) {
    if (keep_aside(&outs[i], &k[i], err)) break;
    if (rename(outs[i].temp, outs[i].final) != 0) {
      qa_error_set(err, QA_EXIT_IO, outs[i].final, NULL, "cannot rename into place: %s",
                   strerror(errno));
      break;
    }
    k[i].placed = 1;
  }
  if (i == n) {
    for (size_t j = 0; j < n; j++)
      if (k[j].how != KEPT_NONE) remove_output(k[j].backup, outs[j].is_dir);
    return 0;
  }
  /* Undo in reverse order, then say whether the earlier report is whole. */
  const char *lost = NULL;
  for (size_t j = i + 1; j-- > 0;)
    if (undo(&outs[j], &k[j]) && !lost) lost = k[j].backup;
  qa_outfile_discard(outs, n);
  char msg[sizeof err->msg];
  snprintf(msg, sizeof msg, "%s", err->msg);
  if (lost)
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "%s; the earlier output could not be put "
                 "back and is kept as %s", msg, lost);
  else
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "%s; nothing was replaced", msg);
  return -1;
}

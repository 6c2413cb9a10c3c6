/*
** qa_isolated: fork, run, wait with a deadline, translate the ending.
*/
#include "input/isolate.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double qa_isolation_timeout(const char *path) {
  struct stat st;
  double mb = stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
  /* QAUDIT_READ_TIMEOUT_S replaces the 60 s base (tests use a short one). */
  const char *env = getenv("QAUDIT_READ_TIMEOUT_S");
  double base = env && atof(env) > 0 ? atof(env) : 60.0;
  return base + mb / 20.0;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Reads the child's qa_error from the pipe (all of it, or nothing). */
static void read_error(int fd, qa_error *err) {
  qa_error e;
  size_t got = 0;
  while (got < sizeof e) {
    ssize_t n = read(fd, (char *)&e + got, sizeof e - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  if (got == sizeof e && err) {
    e.msg[sizeof e.msg - 1] = '\0';
    *err = e;
  }
}

int qa_fork_with_threads_ok(void) {
#if defined(__SANITIZE_ADDRESS__)
  return !qa_isolation_enabled();
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  return !qa_isolation_enabled();
#else
  return 1;
#endif
#else
  return 1;
#endif
}

int qa_isolation_enabled(void) {
  const char *off = getenv("QAUDIT_NO_ISOLATION");
  return !(off && *off && strcmp(off, "0") != 0);
}

/* fn directly, then meanwhile. */
static int direct(int (*fn)(void *arg, qa_error *err), void *arg, qa_error *err,
                  void (*meanwhile)(void *mw_arg), void *mw_arg) {
  int rc = fn(arg, err);
  if (meanwhile) meanwhile(mw_arg);
  return rc;
}

int qa_isolated(const char *path, int (*fn)(void *arg, qa_error *err), void *arg,
                double timeout_s, qa_error *err) {
  return qa_isolated_with(path, fn, arg, timeout_s, err, NULL, NULL);
}

int qa_isolated_with(const char *path, int (*fn)(void *arg, qa_error *err), void *arg,
                     double timeout_s, qa_error *err, void (*meanwhile)(void *mw_arg),
                     void *mw_arg) {
  if (!qa_isolation_enabled()) return direct(fn, arg, err, meanwhile, mw_arg);
  int fds[2];
  if (pipe(fds) != 0) return direct(fn, arg, err, meanwhile, mw_arg);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return direct(fn, arg, err, meanwhile, mw_arg);
  }
  if (pid == 0) {
    close(fds[0]);
    qa_error e = {0};
    int rc = fn(arg, &e);
    if (rc && write(fds[1], &e, sizeof e) != (ssize_t)sizeof e) rc = -1;
    fflush(NULL);
    _exit(rc ? 1 : 0);
  }
  close(fds[1]);
  double deadline = now_s() + timeout_s;
  if (meanwhile) meanwhile(mw_arg);
  int status = 0, done = 0;
  while (!done) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) { done = 1; break; }
    if (w < 0 && errno != EINTR) break;
    double left = deadline - now_s();
    if (left < 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      close(fds[0]);
      return qa_error_set(err, QA_EXIT_DATA, path, NULL,
                          "reading took longer than %.0f s and was stopped; the file is "
                          "corrupt or hostile", timeout_s);
    }
    /* The child's end of the pipe closes when it exits: woken then (or by
    ** its error message), not by a fixed tick; 50 ms at most between
    ** checks of the deadline and of the child. */
    struct pollfd pf = {fds[0], POLLIN, 0};
    int ms = left < 0.05 ? (int)(left * 1000) + 1 : 50;
    if (poll(&pf, 1, ms) > 0) {
      /* exited or failing (its message is in the pipe): about to end */
      struct timespec nap = {0, 200000};
      if (waitpid(pid, &status, WNOHANG) == pid) { done = 1; break; }
      nanosleep(&nap, NULL);
    }
  }
  int rc;
  if (done && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    rc = 0;
  } else if (done && WIFEXITED(status)) {
    qa_error_clear(err);
    read_error(fds[0], err);
    if (err && !err->code)
      qa_error_set(err, QA_EXIT_DATA, path, NULL, "cannot be read (file damaged?)");
    rc = -1;
  } else if (done && WIFSIGNALED(status)) {
    rc = qa_error_set(err, QA_EXIT_DATA, path, NULL,
                      "the HDF5 library crashed reading this file (%s); it is corrupt or "
                      "hostile", strsignal(WTERMSIG(status)));
  } else {
    rc = qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot check the file in a child process");
  }
  close(fds[0]);
  return rc;
}

/*
** Progress reporting.  Only stderr, never stdout; nothing when quiet.
*/
#include "util/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void qa_progress_init(qa_progress *p, int quiet) {
  p->quiet = quiet;
  p->tty = isatty(STDERR_FILENO);
  p->t0 = now_s();
  p->open_line = 0;
}

double qa_progress_elapsed(const qa_progress *p) { return now_s() - p->t0; }

void qa_progress_stage(qa_progress *p, const char *stage, const char *detail) {
  if (!p || p->quiet) return;
  if (p->open_line) fputc('\n', stderr);
  p->open_line = 0;
  fprintf(stderr, "qaudit [%6.1fs] %s%s%s\n", qa_progress_elapsed(p), stage,
          detail ? ": " : "", detail ? detail : "");
}

void qa_progress_step(qa_progress *p, const char *stage, size_t i, size_t n) {
  enum { WIDTH = 24 };
  if (!p || p->quiet || !p->tty || n == 0) return;
  size_t filled = i * WIDTH / n;
  char bar[WIDTH + 1];
  for (size_t k = 0; k < WIDTH; k++) bar[k] = k < filled ? '#' : '.';
  bar[WIDTH] = '\0';
  fprintf(stderr, "\rqaudit [%6.1fs] %s [%s] %zu/%zu", qa_progress_elapsed(p), stage,
          bar, i, n);
  p->open_line = i < n;
  if (i >= n) fputc('\n', stderr);
  fflush(stderr);
}

/*
** Progress reporting (util/progress.h).  Only stderr, never stdout;
** nothing when quiet.
*/
#include "util/progress.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BAR_WIDTH 24
#define REDRAW_S 0.1

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void qa_progress_init(qa_progress *p, int quiet) {
  memset(p, 0, sizeof *p);
  p->quiet = quiet;
  p->tty = isatty(STDERR_FILENO);
  p->t0 = now_s();
}

double qa_progress_elapsed(const qa_progress *p) { return now_s() - p->t0; }

void qa_progress_stage(qa_progress *p, const char *stage, const char *detail) {
  if (!p || p->quiet) return;
  pthread_mutex_lock(&lock);
  if (p->open_line) fputc('\n', stderr);
  p->open_line = 0;
  p->bar_stage = NULL;
  fprintf(stderr, "qaudit [%6.1fs] %s%s%s\n", qa_progress_elapsed(p), stage,
          detail ? ": " : "", detail ? detail : "");
  pthread_mutex_unlock(&lock);
}

/* "1:05", or "1:02:03" from an hour. */
static void clock_text(char *out, size_t cap, double s) {
  long t = (long)(s + 0.5);
  if (t >= 3600) snprintf(out, cap, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else snprintf(out, cap, "%ld:%02ld", t / 60, t % 60);
}

void qa_progress_format(char *out, size_t cap, size_t i, size_t n, const char *unit,
                        double seconds) {
  char bar[BAR_WIDTH + 1], rate[32] = "", left[32] = "";
  size_t filled = n ? (i > n ? n : i) * BAR_WIDTH / n : 0;
  for (size_t k = 0; k < BAR_WIDTH; k++) bar[k] = k < filled ? '#' : '.';
  bar[BAR_WIDTH] = '\0';
  /* A rate and a time left once a step took measurable time. */
  if (i > 0 && seconds > 1e-3) {
    double r = (double)i / seconds;
    snprintf(rate, sizeof rate, r >= 10 ? "  %.0f/s" : "  %.2g/s", r);
    if (i < n) {
      char c[24];
      clock_text(c, sizeof c, (double)(n - i) / r);
      snprintf(left, sizeof left, "  %s left", c);
    } else {
      char c[24];
      clock_text(c, sizeof c, seconds);
      snprintf(left, sizeof left, "  in %s", c);
    }
  }
  snprintf(out, cap, "[%s] %zu/%zu%s%s%s%s", bar, i, n, unit ? " " : "", unit ? unit : "", rate,
           left);
}

void qa_progress_count(qa_progress *p, const char *stage, size_t i, size_t n, const char *unit) {
  if (!p || p->quiet || !p->tty || n == 0) return;
  pthread_mutex_lock(&lock);
  double t = now_s();
  if (!p->bar_stage || strcmp(p->bar_stage, stage) != 0) {
    p->bar_stage = stage;
    p->bar_t0 = t;
    p->bar_drawn = -INFINITY;
  }
  if (i >= n || t - p->bar_drawn >= REDRAW_S) {
    char text[160];
    qa_progress_format(text, sizeof text, i, n, unit, t - p->bar_t0);
    /* \033[K clears what a longer previous bar left. */
    fprintf(stderr, "\rqaudit [%6.1fs] %s %s\033[K", t - p->t0, stage, text);
    p->bar_drawn = t;
    p->open_line = i < n;
    if (i >= n) {
      fputc('\n', stderr);
      p->bar_stage = NULL;
    }
    fflush(stderr);
  }
  pthread_mutex_unlock(&lock);
}

void qa_progress_step(qa_progress *p, const char *stage, size_t i, size_t n) {
  qa_progress_count(p, stage, i, n, NULL);
}

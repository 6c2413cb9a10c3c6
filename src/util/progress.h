/*
** Progress on stderr: one line per stage with the elapsed time, and on a
** TTY a bar for the steps of a long stage that rewrites itself, with the
** percentage, the rate and the time left:
**
**   qaudit [   2.4s] depth [##########..............]  9/20 cells  4.1/s  0:03 left
**
** Without a TTY (a log, a pipe) only the stage lines: no bar spam.  Silent
** when quiet.  Never writes to stdout, which carries only requested
** output.  Safe to call from several threads (one lock).
*/
#ifndef QA_PROGRESS_H
#define QA_PROGRESS_H

#include <stddef.h>

typedef struct qa_progress {
  int quiet;
  int tty;
  double t0;          /* monotonic seconds at start */
  int open_line;      /* a TTY bar is waiting for its newline */
  const char *bar_stage;   /* the stage the bar counts, and since when */
  double bar_t0, bar_drawn;
} qa_progress;

void qa_progress_init(qa_progress *p, int quiet);
/* "[  1.2s] stage: detail" */
void qa_progress_stage(qa_progress *p, const char *stage, const char *detail);
/* Step i of n of the current stage, counted in `unit` (e.g. "caches"; NULL:
** no unit): a bar on a TTY, redrawn at most ten times a second and always
** at i = n; a no-op otherwise.  The rate and time left are measured from
** the stage's first step. */
void qa_progress_count(qa_progress *p, const char *stage, size_t i, size_t n, const char *unit);
/* qa_progress_count without a unit. */
void qa_progress_step(qa_progress *p, const char *stage, size_t i, size_t n);
/* The bar's text for step i of n after `seconds` of the stage (for the
** tests): "[####....]  i/n unit  R/s  M:SS left" into out (cap bytes). */
void qa_progress_format(char *out, size_t cap, size_t i, size_t n, const char *unit,
                        double seconds);
/* Seconds since qa_progress_init. */
double qa_progress_elapsed(const qa_progress *p);

#endif

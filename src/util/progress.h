/*
** Progress on stderr: one line per stage with the elapsed time, and on a
** TTY a counter that rewrites itself ("reading caches 3/5").  Silent when
** quiet.  Never writes to stdout, which carries only requested output.
*/
#ifndef QA_PROGRESS_H
#define QA_PROGRESS_H

#include <stddef.h>

typedef struct qa_progress {
  int quiet;
  int tty;
  double t0;          /* monotonic seconds at start */
  int open_line;      /* a TTY counter line is waiting for its newline */
} qa_progress;

void qa_progress_init(qa_progress *p, int quiet);
/* "[  1.2s] stage: detail" */
void qa_progress_stage(qa_progress *p, const char *stage, const char *detail);
/* Step i of n of the current stage (TTY only; a no-op otherwise). */
void qa_progress_step(qa_progress *p, const char *stage, size_t i, size_t n);
/* Seconds since qa_progress_init. */
double qa_progress_elapsed(const qa_progress *p);

#endif

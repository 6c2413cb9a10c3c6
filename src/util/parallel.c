/* Fork-join over count jobs (util/parallel.h). */
#include <pthread.h>

#include "util/parallel.h"

#define MAX_JOBS 64

void qa_run_parallel(void *(*fn)(void *), void *jobs, size_t job_size, int count) {
  pthread_t tid[MAX_JOBS];
  int started = 0;
  if (count > MAX_JOBS) count = MAX_JOBS;
  for (int t = 1; t < count; t++) {
    if (pthread_create(&tid[t], NULL, fn, (char *)jobs + (size_t)t * job_size) != 0) break;
    started = t;
  }
  if (count > 0) fn(jobs);
  for (int t = 1; t <= started; t++) pthread_join(tid[t], NULL);
  for (int t = started + 1; t < count; t++) fn((char *)jobs + (size_t)t * job_size);
}

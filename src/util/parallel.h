/*
** One helper for fork-join parallelism: count jobs, job t at
** jobs + t * job_size, run by fn on count threads (the calling thread runs
** job 0).  A thread that cannot be started leaves its job to the caller,
** which runs it after the others: every job runs exactly once.
*/
#ifndef QA_PARALLEL_H
#define QA_PARALLEL_H

#include <stddef.h>

void qa_run_parallel(void *(*fn)(void *), void *jobs, size_t job_size, int count);

#endif

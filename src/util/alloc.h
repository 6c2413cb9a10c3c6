/*
** malloc of count * size for the analysis' arrays, refusing products that
** overflow size_t, with a one-line error naming what the array is for.
*/
#ifndef QA_UTIL_ALLOC_H
#define QA_UTIL_ALLOC_H

#include <stddef.h>

#include "util/error.h"

/* A new block of count * size bytes (at least 1), or NULL with err set
** (QA_EXIT_IO): "WHAT: N elements do not fit in memory" or
** "WHAT: out of memory (B bytes)". */
void *qa_alloc_array(size_t count, size_t size, qa_error *err, const char *what);

#endif

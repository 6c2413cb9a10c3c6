/*
** Overflow-checked array allocation (alloc.h).
*/
#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>

void *qa_alloc_array(size_t count, size_t size, qa_error *err, const char *what) {
  if (size && count > SIZE_MAX / size) {
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "%s: %zu elements do not fit in memory",
                 what, count);
    return NULL;
  }
  void *p = malloc(count * size > 0 ? count * size : 1);
  if (!p)
    qa_error_set(err, QA_EXIT_IO, NULL, NULL, "%s: out of memory (%zu bytes)", what,
                 count * size);
  return p;
}

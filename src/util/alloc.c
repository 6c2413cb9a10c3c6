/*
** Overflow-checked array allocation (alloc.h).
**
** Arrays of 4 MiB and more are offered transparent huge pages
** (madvise MADV_HUGEPAGE on their 2 MiB-aligned interior): the analyses'
** scratch (Spearman's sort buffers, Gram tiles, centred blocks) is
** allocated fresh for every variant, and with 4 KiB pages the first touch
** of each page is a fault; in the N = 5,000 D = 768 benchmark that was
** 290,000 faults and 0.4 s of system time, with huge pages 165,000 and
** 0.25 s (docs/performance.md).  Where the kernel has no THP, or its
** policy is "never", the call is a no-op; the memory is the same.
*/
#include "util/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#define HUGE_FROM ((size_t)4 << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

static void offer_huge_pages(void *p, size_t bytes) {
#ifdef MADV_HUGEPAGE
  uintptr_t a = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
  uintptr_t e = ((uintptr_t)p + bytes) & ~(HUGE_PAGE - 1);
  if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);   /* advice only */
#else
  (void)p;
  (void)bytes;
#endif
}

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
  else if (count * size >= HUGE_FROM)
    offer_huge_pages(p, count * size);
  return p;
}

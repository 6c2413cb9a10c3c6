/*
** Passing a loaded qa_cache from the isolated child to the parent
** (cache_wire.c), so that a cache is read from its file once.  Internal to
** src/input.
*/
#ifndef QA_CACHE_WIRE_H
#define QA_CACHE_WIRE_H

#include "input/cache.h"

/* An anonymous in-memory file (memfd, else an unlinked temporary file) to
** create before the fork; -1 when neither can be made. */
int qa_cache_wire_fd(void);
/* The child's side: c into fd.  0, or -1 (errno set) when writing fails. */
int qa_cache_wire_write(const qa_cache *c, int fd);
/* The parent's side: a new qa_cache from fd (read from its start).  0, or
** -1 when the bytes are malformed or memory runs out. */
int qa_cache_wire_read(int fd, qa_cache **out);

#endif

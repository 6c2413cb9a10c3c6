/*
** Filling qa_error.  Never prints: printing is main()'s business.
*/
#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int qa_error_set(qa_error *err, int code, const char *file, const char *path,
                 const char *fmt, ...) {
  if (!err) return -1;
  size_t used = 0, cap = sizeof err->msg;
  err->code = code;
  err->msg[0] = '\0';
  if (file && *file) used += (size_t)snprintf(err->msg, cap, "%s:", file);
  if (path && *path && used < cap)
    used += (size_t)snprintf(err->msg + used, cap - used, "%s:", path);
  if (used > 0 && used < cap) used += (size_t)snprintf(err->msg + used, cap - used, " ");
  if (used < cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg + used, cap - used, fmt, ap);
    va_end(ap);
  }
  /* One line, always: fold any newline a library message carried. */
  for (char *c = err->msg; *c; c++)
    if (*c == '\n' || *c == '\r') *c = ' ';
  return -1;
}

void qa_error_clear(qa_error *err) {
  if (!err) return;
  err->code = 0;
  err->msg[0] = '\0';
}

/*
** Text checks shared by the readers of untrusted input (caches, the
** configuration, templates): is a string well-formed UTF-8, and where does
** it stop being so.  Pure functions; they never allocate.
*/
#ifndef QA_UTIL_TEXT_H
#define QA_UTIL_TEXT_H

#include <stddef.h>

/* Names (classes, layers, tasks, metrics, models, variants) longer than
** this many bytes are refused by the readers: the report cannot show them
** and no real model or benchmark needs them. */
#define QA_NAME_MAX_BYTES 1024

/* Offset of the first byte of s[0..n) that does not start or continue a
** well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates,
** nothing above U+10FFFF), or n when all of it is well-formed. */
size_t qa_utf8_invalid_at(const char *s, size_t n);

/* 1 when the NUL-terminated s is well-formed UTF-8. */
int qa_utf8_valid(const char *s);

#endif

/*
** SHA-256 of a file, through nettle (a maintained library), for the
** provenance of every input.  Never interprets the bytes it hashes.
*/
#ifndef QA_SHA256_H
#define QA_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Hex digest (64 chars + NUL) of len bytes at data. */
void qa_sha256_hex(const void *data, size_t len, char hex[65]);

/* Hex digest and size of the file at path; QA_EXIT_IO error on failure. */
int qa_sha256_file(const char *path, char hex[65], uint64_t *bytes, qa_error *err);

#endif

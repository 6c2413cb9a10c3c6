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

/* Incremental hashing, for a file read elsewhere in pieces (the token
** stream hashes its caches while it reads them: analysis/tokens.c). */
typedef struct qa_sha256 { uint64_t state[16]; } qa_sha256;   /* holds nettle's sha256_ctx */
void qa_sha256_init(qa_sha256 *h);
void qa_sha256_update(qa_sha256 *h, const void *data, size_t len);
void qa_sha256_final(qa_sha256 *h, char hex[65]);

/* Opens path as qa_sha256_file does and closes it: the same errors, no
** hashing (for a file whose digest is taken later). */
int qa_sha256_check_file(const char *path, qa_error *err);

/* Hex digest and size of the file at path; QA_EXIT_IO error on failure. */
int qa_sha256_file(const char *path, char hex[65], uint64_t *bytes, qa_error *err);

#endif

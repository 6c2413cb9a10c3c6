/*
** SHA-256 through nettle.  Files are hashed in 1 MiB blocks so that memory
** does not grow with the size of a cache.
*/
#include "util/sha256.h"

#include <errno.h>
#include <sys/stat.h>

#include "util/infile.h"
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void to_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[65]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
    hex[2 * i] = digits[digest[i] >> 4];
    hex[2 * i + 1] = digits[digest[i] & 15];
  }
  hex[64] = '\0';
}

void qa_sha256_hex(const void *data, size_t len, char hex[65]) {
  struct sha256_ctx ctx;
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_init(&ctx);
  sha256_update(&ctx, len, data);
  sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
  to_hex(digest, hex);
}

_Static_assert(sizeof(qa_sha256) >= sizeof(struct sha256_ctx), "qa_sha256 too small");

void qa_sha256_init(qa_sha256 *h) { sha256_init((struct sha256_ctx *)(void *)h); }

void qa_sha256_update(qa_sha256 *h, const void *data, size_t len) {
  sha256_update((struct sha256_ctx *)(void *)h, len, data);
}

void qa_sha256_final(qa_sha256 *h, char hex[65]) {
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest((struct sha256_ctx *)(void *)h, SHA256_DIGEST_SIZE, digest);
  to_hex(digest, hex);
}

int qa_sha256_check_file(const char *path, qa_error *err) {
  FILE *f = NULL;
  mode_t mode = 0;
  int o = qa_infile_open(path, &f, &mode);
  if (o < 0) return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s", strerror(errno));
  if (o > 0 && S_ISDIR(mode))
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s", strerror(EISDIR));
  if (o > 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "not a regular file (%s); expected a file",
                        qa_infile_kind(mode));
  if (f) fclose(f);
  return 0;
}

int qa_sha256_file(const char *path, char hex[65], uint64_t *bytes, qa_error *err) {
  enum { BLOCK = 1 << 20 };
  struct sha256_ctx ctx;
  uint8_t digest[SHA256_DIGEST_SIZE];
  int rc = -1;
  uint64_t total = 0;
  /* A FIFO would block and /dev/zero never ends: regular files only,
  ** checked on the opened file itself (no window between check and open). */
  FILE *f = NULL;
  mode_t mode = 0;
  int o = qa_infile_open(path, &f, &mode);
  if (o < 0) return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s", strerror(errno));
  if (o > 0 && S_ISDIR(mode))
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s", strerror(EISDIR));
  if (o > 0)
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "not a regular file (%s); expected a file",
                        qa_infile_kind(mode));
  uint8_t *buf = malloc(BLOCK);
  if (!f || !buf) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "cannot read: %s",
                 f ? "out of memory" : strerror(errno));
    goto done;
  }
  sha256_init(&ctx);
  for (;;) {
    size_t n = fread(buf, 1, BLOCK, f);
    sha256_update(&ctx, n, buf);
    total += n;
    if (n < BLOCK) break;
  }
  if (ferror(f)) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "read error: %s", strerror(errno));
    goto done;
  }
  sha256_digest(&ctx, SHA256_DIGEST_SIZE, digest);
  to_hex(digest, hex);
  *bytes = total;
  rc = 0;
done:
  free(buf);
  if (f) fclose(f);
  return rc;
}

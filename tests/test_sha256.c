/*
** SHA-256 against the published test vectors of FIPS 180-2 / NIST
** (examples "abc", the 448-bit two-block message, one million 'a's) and
** the empty string.
*/
#include "harness.h"

#include <stdlib.h>

#include "util/sha256.h"

QA_TEST(sha256_published_vectors) {
  char hex[65];
  qa_sha256_hex("", 0, hex);   /* NIST: SHA-256 of the empty message */
  CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  qa_sha256_hex("abc", 3, hex);  /* FIPS 180-2 appendix B.1 */
  CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  qa_sha256_hex(two, strlen(two), hex);  /* FIPS 180-2 appendix B.2 */
  CHECK_STR(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

QA_TEST(sha256_file_million_a) {
  /* FIPS 180-2 appendix B.3: one million repetitions of 'a'; the file is
  ** larger than one read block, so the streaming path is exercised. */
  char path[256], hex[65];
  uint64_t bytes = 0;
  qa_error err = {0};
  snprintf(path, sizeof path, "%s/million_a.txt", qa_test_tmpdir());
  FILE *f = fopen(path, "wb");
  CHECK(f != NULL);
  if (!f) return;
  char *buf = malloc(1000000);
  memset(buf, 'a', 1000000);
  fwrite(buf, 1, 1000000, f);
  fclose(f);
  free(buf);
  CHECK_INT(qa_sha256_file(path, hex, &bytes, &err), 0);
  CHECK_STR(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  CHECK_INT(bytes, 1000000);
  CHECK_INT(qa_sha256_file("/nonexistent/x.h5", hex, &bytes, &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  CHECK_CONTAINS(err.msg, "/nonexistent/x.h5: cannot read");
}

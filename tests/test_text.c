/* UTF-8 well-formedness (src/util/text.c).  Expected offsets follow the
** Unicode standard's Table 3-7 (well-formed byte sequences); Python 3's
** bytes.decode('utf-8') agrees on each: e.g. b'ab\xc0\xafz'.decode() fails
** at position 2 ("invalid start byte"). */
#include "harness.h"
#include "util/text.h"

#define AT(s) qa_utf8_invalid_at((s), sizeof(s) - 1)

QA_TEST(text_utf8_well_formed) {
  CHECK_INT(AT(""), 0);
  CHECK_INT(AT("plain ascii"), 11);
  CHECK_INT(AT("caf\xc3\xa9"), 5);                 /* U+00E9 */
  CHECK_INT(AT("\xe2\x82\xac"), 3);                /* U+20AC euro */
  CHECK_INT(AT("\xed\x9f\xbf"), 3);                /* U+D7FF, last before surrogates */
  CHECK_INT(AT("\xf0\x9f\x98\x80"), 4);            /* U+1F600 */
  CHECK_INT(AT("\xf4\x8f\xbf\xbf"), 4);            /* U+10FFFF, the last code point */
  CHECK(qa_utf8_valid("sch\xc3\xb6n"));
}

QA_TEST(text_utf8_ill_formed) {
  CHECK_INT(AT("ab\xc0\xafz"), 2);                 /* overlong '/' */
  CHECK_INT(AT("ab\xe0\x80\xaf"), 2);              /* overlong, 3 bytes */
  CHECK_INT(AT("x\xed\xa0\x80"), 1);               /* U+D800, a surrogate */
  CHECK_INT(AT("\xf4\x90\x80\x80"), 0);            /* U+110000, above the range */
  CHECK_INT(AT("ok\xff"), 2);                      /* never in UTF-8 */
  CHECK_INT(AT("ok\x80"), 2);                      /* lone continuation byte */
  CHECK_INT(AT("ok\xc3"), 2);                      /* cut short at the end */
  CHECK_INT(AT("\xe2\x82z"), 0);                   /* continuation missing */
  CHECK(!qa_utf8_valid("caf\xe9"));                /* Latin-1, not UTF-8 */
}

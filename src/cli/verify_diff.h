/*
** The first difference between two JSON trees, for `qaudit verify`
** (docs/verify.md): where it is, as a path in the style of
** models[0].variants[2].representation.cka_linear, and the two values.
** Pure: reads the trees, never a file.
*/
#ifndef QA_VERIFY_DIFF_H
#define QA_VERIFY_DIFF_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct qa_json_diff {
  char path[1024];         /* "" for the root; cut (with "...") when deeper */
  char old_text[128];      /* the value in a, compact JSON, cut with "..."; "(absent)" */
  char new_text[128];      /* the same for b */
} qa_json_diff;

/* 0 when a and b hold the same values (object keys in any order, numbers
** compared exactly), else 1 with *d describing the first difference in
** a's order (then keys only b has). */
int qa_json_first_diff(const cJSON *a, const cJSON *b, qa_json_diff *d);

#endif

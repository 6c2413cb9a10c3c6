/*
** The first difference between two JSON trees (cli/verify_diff.h).
** Depth-first in document order, so that "first" is the first differing
** value a reader of report.json would meet.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/verify_diff.h"

static void value_text(const cJSON *v, char *out, size_t cap) {
  if (!v) { snprintf(out, cap, "(absent)"); return; }
  char *text = cJSON_PrintUnformatted(v);
  if (!text) { snprintf(out, cap, "(out of memory)"); return; }
  if (strlen(text) >= cap) snprintf(out, cap, "%.*s...", (int)(cap - 4), text);
  else snprintf(out, cap, "%s", text);
  free(text);
}

static int differ(const cJSON *a, const cJSON *b, qa_json_diff *d) {
  value_text(a, d->old_text, sizeof d->old_text);
  value_text(b, d->new_text, sizeof d->new_text);
  return 1;
}

/* Appends ".key" or "[i]" to d->path; returns the old length to restore. */
static size_t push(qa_json_diff *d, const char *key, int index) {
  size_t n = strlen(d->path), cap = sizeof d->path;
  if (n + 4 >= cap) return n;
  if (key) snprintf(d->path + n, cap - n, "%s%s", n ? "." : "", key);
  else snprintf(d->path + n, cap - n, "[%d]", index);
  if (strlen(d->path) + 1 >= cap) memcpy(d->path + cap - 4, "...", 4);
  return n;
}

static int diff(const cJSON *a, const cJSON *b, qa_json_diff *d, int depth) {
  if ((a->type & 0xFF) != (b->type & 0xFF)) return differ(a, b, d);
  if (depth > 256) return 0;   /* cJSON nests at most 1000; report.json far less */
  if (cJSON_IsNumber(a)) return a->valuedouble == b->valuedouble ? 0 : differ(a, b, d);
  if (cJSON_IsString(a)) return strcmp(a->valuestring, b->valuestring) ? differ(a, b, d) : 0;
  if (cJSON_IsArray(a)) {
    const cJSON *x = a->child, *y = b->child;
    for (int i = 0; x || y; i++, x = x ? x->next : NULL, y = y ? y->next : NULL) {
      size_t keep = push(d, NULL, i);
      if (!x || !y) return differ(x, y, d);
      if (diff(x, y, d, depth + 1)) return 1;
      d->path[keep] = '\0';
    }
    return 0;
  }
  if (cJSON_IsObject(a)) {
    for (const cJSON *x = a->child; x; x = x->next) {
      const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
      size_t keep = push(d, x->string, 0);
      if (!y) return differ(x, NULL, d);
      if (diff(x, y, d, depth + 1)) return 1;
      d->path[keep] = '\0';
    }
    for (const cJSON *y = b->child; y; y = y->next)
      if (!cJSON_GetObjectItemCaseSensitive(a, y->string)) {
        push(d, y->string, 0);
        return differ(NULL, y, d);
      }
    return 0;
  }
  return 0;   /* true, false, null: equal types are equal values */
}

int qa_json_first_diff(const cJSON *a, const cJSON *b, qa_json_diff *d) {
  memset(d, 0, sizeof *d);
  if (!a || !b) return a == b ? 0 : differ(a, b, d);
  return diff(a, b, d, 0);
}

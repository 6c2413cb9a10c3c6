/*
** Report templates: the order of the sections, their titles, which optional
** sections appear, and the fixed prose (introductions, method notes) of
** each, read from TEMPLATE_DIR/report.tmpl.  The format is documented in
** docs/templates.md; templates/report.tmpl is the default and the example.
**
**   # a comment (a line starting with '#')
**   [page]
**   header = {title}
**   [claims]
**   title = Claim validation
**   include = yes
**   intro =
**       Each claim of the configuration is judged ...
**
**       A blank line inside an indented value starts a new paragraph.
**
** A value is the rest of its line, plus every following line that starts
** with a space or a tab; lines are joined with one space.  Every section
** must appear exactly once (its position is its place in the report), the
** title page first, except the sections added later ([tokens], [depth]),
** which a template written before them may leave out: each then follows
** its default neighbour ([per_class]) with the built-in title; unknown sections, unknown keys, duplicates and bad
** values are errors naming the file and line, exit 1.  Titles left out fall
** back to the built-in English ones; prose left out is left out.
**
** This file must never decide what a number says: it only holds words that
** do not depend on the data.
*/
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report_internal.h"
#include "util/infile.h"

#define MAX_TEMPLATE_BYTES (1u << 20)
#define MAX_KEYS 12

/* A key of a section: prose (no fallback: absent means omitted) or a title
** (fallback used when absent). */
typedef struct key_spec {
  const char *name;
  const char *fallback;   /* NULL: prose */
} key_spec;

typedef struct section_spec {
  const char *id;
  int required;           /* may not be dropped with include = no */
  key_spec keys[MAX_KEYS];
} section_spec;

/* In RP_SEC_* order.  "title" is first wherever a section has one. */
static const section_spec SPECS[RP_N_SECTIONS] = {
  {"title_page", 1, {{"note", NULL}}},
  {"contents", 1, {{"title", "Contents"}}},
  {"summary", 0, {{"title", "Executive summary"}, {"intro", NULL},
                  {"findings_title", "Key findings"},
                  {"disagree_title", "Where the metrics disagree"},
                  {"evidence_title", "How far the evidence goes"}}},
  {"disclosure", 0, {{"title", "Disclosure checklist"}, {"intro", NULL}}},
  {"claims", 0, {{"title", "Claim validation"}, {"intro", NULL}}},
  {"decision", 0, {{"title", "Decision matrix"}, {"intro", NULL},
                   {"counts_title", "Summary by tier"}}},
  {"representation", 0, {{"title", "Representation metrics"}, {"intro", NULL}}},
  {"per_class", 0, {{"title", "Per-class breakdown"}, {"intro", NULL}, {"note", NULL}}},
  {"depth", 0, {{"title", "Damage by depth"}, {"intro", NULL}}},
  {"tokens", 0, {{"title", "Token-level outputs"}, {"intro", NULL}, {"ladder_intro", NULL},
                 {"slices_intro", NULL}}},
  {"figures", 0, {{"title", "Figures"}, {"intro", NULL},
                  {"skipped_title", "Figures not drawn"}}},
  {"benchmark", 0, {{"title", "Benchmark accuracy"}, {"intro", NULL},
                    {"by_task_title", "By task"},
                    {"strata_title", "By stratum"}, {"strata_intro", NULL},
                    {"predictions_title", "Predictions on the labelled samples"},
                    {"predictions_intro", NULL},
                    {"calibration_title", "Calibration"}, {"calibration_intro", NULL},
                    {"classes_title", "Output accuracy by class"}, {"classes_intro", NULL},
                    {"critical_title", "Critical errors"}}},
  {"generation", 0, {{"title", "Generation quality"}, {"intro", NULL}}},
  {"statistics", 0, {{"title", "Statistical tests"}, {"intro", NULL},
                     {"adjacent_title", "Adjacent variants"}, {"adjacent_intro", NULL},
                     {"baseline_title", "Against the baseline: McNemar and TOST"},
                     {"baseline_intro", NULL},
                     {"power_title", "Power and detectable effects"}}},
  {"performance", 0, {{"title", "Performance and cost"}, {"intro", NULL}}},
  {"methods", 0, {{"title", "Methods and caveats"}, {"intro", NULL},
                  {"variants_title", "Models and variants"},
                  {"samples_title", "Data and sample sizes"},
                  {"tiers_title", "Quality tiers"}, {"tiers_intro", NULL},
                  {"methods_title", "Statistical methods"},
                  {"caveats_title", "Caveats"},
                  {"not_covered_title", "Not covered by this audit"},
                  {"not_covered_intro", NULL},
                  {"missing_title", "Not measured or not declared"}}},
  {"provenance", 1, {{"title", "Provenance appendix"}, {"intro", NULL},
                     {"tool_title", "Tool and libraries"},
                     {"inputs_title", "Inputs"},
                     {"config_title", "Configuration"}}},
};

/* Sections added after templates were first written: a template that
** does not list one gets it right after `after` (its place in the default
** order), with the built-in title and no prose, so that a team's template
** keeps working.  Every other section must be listed. */
static const struct late_section { rp_section_id id, after; } LATE[] = {
  {RP_SEC_TOKENS, RP_SEC_PER_CLASS},
  {RP_SEC_DEPTH, RP_SEC_PER_CLASS},      /* placed after [tokens]: per_class, depth, tokens */
};

/* The [page] block: running header and footer, with placeholders. */
static const char *const PAGE_KEYS[] = {"header", "footer", NULL};
static const char *const PLACEHOLDERS[] = {"title", "subtitle", "author", "date",
                                           "version", NULL};

typedef struct tmpl_section {
  int seen;
  int include, new_page;
  char *flag[2];           /* include, new_page as written, until checked */
  char *text[MAX_KEYS];
} tmpl_section;

struct rp_template {
  char *path;
  size_t n_order;
  rp_section_id order[RP_N_SECTIONS];
  tmpl_section sec[RP_N_SECTIONS];
  char *page[2];           /* header, footer */
};

/* Parser state: where we are and what the current value is. */
typedef struct parser {
  const char *path;
  qa_error *err;
  rp_template *t;
  int line;
  int section;             /* RP_SEC_* of the current block, -1 [page], -2 none */
  char **value;            /* the value being read, NULL outside one */
  int value_line;
  const char *value_key;
  int blank_pending;       /* blank lines since the last value line */
} parser;

static int fail_at(parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_at(parser *p, int line, const char *fmt, ...) {
  char what[600], where[32];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  snprintf(where, sizeof where, "%d", line);
  return qa_error_set(p->err, QA_EXIT_USAGE, p->path, where, "%s", what);
}

static int oom(parser *p) {
  return qa_error_set(p->err, QA_EXIT_IO, p->path, NULL, "out of memory");
}

/* Appends text to *value: sep is " " within a paragraph, "\n\n" between. */
static int append(parser *p, char **value, const char *sep, const char *text, size_t n) {
  size_t old = *value ? strlen(*value) : 0, k = old ? strlen(sep) : 0;
  char *s = realloc(*value, old + k + n + 1);
  if (!s) return oom(p);
  if (k) memcpy(s + old, sep, k);
  memcpy(s + old + k, text, n);
  s[old + k + n] = '\0';
  *value = s;
  return 0;
}

/* 1 when the n bytes at s are valid UTF-8 (RFC 3629: no overlongs, no
** surrogates, nothing above U+10FFFF). */
static int valid_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t k = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                                  : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (!k || i + k > n) return 0;
    unsigned cp = k == 1 ? c : k == 2 ? c & 0x1F : k == 3 ? c & 0x0F : c & 0x07;
    for (size_t j = 1; j < k; j++) {
      if ((s[i + j] & 0xC0) != 0x80) return 0;
      cp = (cp << 6) | (s[i + j] & 0x3F);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || (cp < 0x20 && cp != '\t'))
      return 0;
    i += k;
  }
  return 1;
}

/* Placeholders are allowed in the [page] block and the title page's note. */
static int check_placeholders(parser *p, const char *v, int line) {
  for (const char *b = strchr(v, '{'); b; b = strchr(b + 1, '{')) {
    const char *e = strchr(b, '}');
    int known = 0;
    for (const char *const *ph = PLACEHOLDERS; e && *ph; ph++)
      if ((size_t)(e - b - 1) == strlen(*ph) && !strncmp(b + 1, *ph, strlen(*ph))) known = 1;
    if (!known)
      return fail_at(p, line, "unknown placeholder \"%.*s\" (expected {title}, {subtitle}, "
                     "{author}, {date} or {version})", e ? (int)(e - b + 1) : 1, b);
  }
  return 0;
}

/* The value just finished: check what it must satisfy. */
static int end_value(parser *p) {
  if (!p->value) return 0;
  char **v = p->value;
  const char *key = p->value_key;
  int line = p->value_line;
  p->value = NULL;
  p->blank_pending = 0;
  if (p->section >= 0 && (!strcmp(key, "include") || !strcmp(key, "new_page"))) {
    const char *s = *v ? *v : "";
    int yes = !strcmp(s, "yes"), no = !strcmp(s, "no");
    if (!yes && !no) return fail_at(p, line, "%s must be yes or no, not \"%s\"", key, s);
    tmpl_section *sec = &p->t->sec[p->section];
    if (!strcmp(key, "new_page")) {
      sec->new_page = yes;
    } else {
      if (no && SPECS[p->section].required)
        return fail_at(p, line, "[%s] cannot be left out (include = no): the title page, "
                       "contents and provenance appendix are part of every report",
                       SPECS[p->section].id);
      sec->include = yes;
    }
    return 0;
  }
  int is_title = p->section >= 0 && strstr(key, "title") != NULL;
  if (is_title && (!*v || !**v)) return fail_at(p, line, "%s must not be empty", key);
  if (is_title && strstr(*v, "\n\n"))
    return fail_at(p, line, "%s must be one paragraph (no blank line)", key);
  if ((p->section == -1 || (p->section == RP_SEC_TITLE_PAGE && !strcmp(key, "note"))) && *v)
    return check_placeholders(p, *v, line);
  return 0;
}

static int section_header(parser *p, const char *s, size_t n) {
  const char *close = memchr(s, ']', n);
  if (!close) return fail_at(p, p->line, "expected \"]\" to close the section name");
  for (const char *c = close + 1; c < s + n; c++)
    if (!isspace((unsigned char)*c))
      return fail_at(p, p->line, "unexpected text after \"[%.*s]\"", (int)(close - s - 1), s + 1);
  size_t len = (size_t)(close - s - 1);
  if (len == 4 && !strncmp(s + 1, "page", 4)) {
    p->section = -1;
    return 0;
  }
  for (int i = 0; i < RP_N_SECTIONS; i++)
    if (strlen(SPECS[i].id) == len && !strncmp(s + 1, SPECS[i].id, len)) {
      tmpl_section *sec = &p->t->sec[i];
      if (sec->seen) return fail_at(p, p->line, "section [%s] appears twice", SPECS[i].id);
      if (p->t->n_order == 0 && i != RP_SEC_TITLE_PAGE)
        return fail_at(p, p->line, "the first section must be [title_page], not [%s]",
                       SPECS[i].id);
      sec->seen = 1;
      sec->include = 1;
      p->t->order[p->t->n_order++] = (rp_section_id)i;
      p->section = i;
      return 0;
    }
  return fail_at(p, p->line, "unknown section [%.*s] (expected [page] or one of the report "
                 "sections listed in docs/templates.md)", (int)len, s + 1);
}

/* "key = value": finds the slot the value goes to. */
static int key_line(parser *p, const char *s, size_t n) {
  const char *eq = memchr(s, '=', n);
  if (!eq) return fail_at(p, p->line, "expected \"key = value\", \"[section]\", a comment "
                          "(#) or an indented continuation line");
  size_t klen = (size_t)(eq - s);
  while (klen && isspace((unsigned char)s[klen - 1])) klen--;
  if (p->section == -2)
    return fail_at(p, p->line, "\"%.*s\" comes before any [section]", (int)klen, s);
  char **slot = NULL;
  const char *name = NULL;
  if (p->section == -1) {
    for (int i = 0; PAGE_KEYS[i]; i++)
      if (strlen(PAGE_KEYS[i]) == klen && !strncmp(s, PAGE_KEYS[i], klen)) {
        slot = &p->t->page[i];
        name = PAGE_KEYS[i];
      }
    if (!slot)
      return fail_at(p, p->line, "unknown key \"%.*s\" in [page] (expected header or footer)",
                     (int)klen, s);
  } else {
    const section_spec *spec = &SPECS[p->section];
    tmpl_section *sec = &p->t->sec[p->section];
    for (int i = 0; i < MAX_KEYS && spec->keys[i].name; i++)
      if (strlen(spec->keys[i].name) == klen && !strncmp(s, spec->keys[i].name, klen)) {
        slot = &sec->text[i];
        name = spec->keys[i].name;
      }
    if (!slot && ((klen == 7 && !strncmp(s, "include", 7)) ||
                  (klen == 8 && !strncmp(s, "new_page", 8)))) {
      name = klen == 7 ? "include" : "new_page";
      slot = &sec->flag[klen == 7 ? 0 : 1];
    }
    if (!slot) {
      char known[400] = "include, new_page";
      for (int i = 0; i < MAX_KEYS && spec->keys[i].name; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), ", %s",
                 spec->keys[i].name);
      return fail_at(p, p->line, "unknown key \"%.*s\" in [%s] (expected %s)", (int)klen, s,
                     spec->id, known);
    }
    if (*slot)
      return fail_at(p, p->line, "key \"%s\" appears twice in [%s]", name, spec->id);
  }
  if (p->section == -1 && *slot)
    return fail_at(p, p->line, "key \"%s\" appears twice in [page]", name);
  p->value = slot;
  p->value_key = name;
  p->value_line = p->line;
  const char *v = eq + 1, *end = s + n;
  while (v < end && isspace((unsigned char)*v)) v++;
  while (end > v && isspace((unsigned char)end[-1])) end--;
  if (end > v) return append(p, slot, " ", v, (size_t)(end - v));
  /* An empty value is "" (not absent): it omits prose on purpose. */
  if (!*slot && !(*slot = calloc(1, 1))) return oom(p);
  return 0;
}

static int parse_line(parser *p, const char *s, size_t n) {
  if (!valid_utf8((const unsigned char *)s, n))
    return fail_at(p, p->line, "not valid UTF-8 text (or a control character)");
  size_t lead = 0;
  while (lead < n && (s[lead] == ' ' || s[lead] == '\t')) lead++;
  if (lead == n) {             /* blank: ends a paragraph inside a value */
    if (p->value) p->blank_pending = 1;
    return 0;
  }
  if (lead > 0) {              /* continuation */
    if (!p->value)
      return fail_at(p, p->line, "indented line outside a value (only the lines after "
                     "\"key =\" may be indented)");
    size_t m = n;
    while (m > lead && isspace((unsigned char)s[m - 1])) m--;
    const char *sep = p->blank_pending ? "\n\n" : " ";
    p->blank_pending = 0;
    return append(p, p->value, sep, s + lead, m - lead);
  }
  if (s[0] == '#') return 0;   /* a comment never ends a value */
  if (end_value(p)) return -1;
  if (s[0] == '[') return section_header(p, s, n);
  return key_line(p, s, n);
}

/* A late section the template does not list: right after its `after`
** section, included, with the built-in title. */
static void place_late(rp_template *t, const struct late_section *late) {
  size_t at = 0;
  while (at < t->n_order && t->order[at] != late->after) at++;
  if (at < t->n_order) at++;
  memmove(t->order + at + 1, t->order + at, (t->n_order - at) * sizeof *t->order);
  t->order[at] = late->id;
  t->n_order++;
  t->sec[late->id].seen = 1;
  t->sec[late->id].include = 1;
}

int rp_template_parse(const char *text, const char *path, rp_template **out, qa_error *err) {
  *out = NULL;
  rp_template *t = calloc(1, sizeof *t);
  parser p = {path, err, t, 0, -2, NULL, 0, NULL, 0};
  if (!t) return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  t->path = malloc(strlen(path) + 1);
  if (!t->path) {
    rp_template_free(t);
    return qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
  }
  strcpy(t->path, path);
  const char *s = text;
  while (*s) {
    size_t n = strcspn(s, "\n");
    size_t m = n && s[n - 1] == '\r' ? n - 1 : n;
    p.line++;
    if (parse_line(&p, s, m)) { rp_template_free(t); return -1; }
    s += n + (s[n] == '\n');
  }
  if (end_value(&p)) { rp_template_free(t); return -1; }
  for (size_t k = 0; k < sizeof LATE / sizeof *LATE; k++)
    if (!t->sec[LATE[k].id].seen && t->sec[LATE[k].after].seen) place_late(t, &LATE[k]);
  for (int i = 0; i < RP_N_SECTIONS; i++)
    if (!t->sec[i].seen) {
      fail_at(&p, p.line ? p.line : 1, "section [%s] is missing: list every section once, in "
              "report order (write include = no in it to leave an optional one out)",
              SPECS[i].id);
      rp_template_free(t);
      return -1;
    }
  *out = t;
  return 0;
}

int rp_template_load(const char *dir, rp_template **out, qa_error *err) {
  char path[4200];
  *out = NULL;
  if (snprintf(path, sizeof path, "%s/report.tmpl", dir) >= (int)sizeof path)
    return qa_error_set(err, QA_EXIT_USAGE, dir, NULL, "template directory path too long");
  /* Opened so that a FIFO cannot block and /dev/zero is never read; a
  ** template folder that does not exist or is not a folder is the
  ** configuration's error, like a missing file. */
  FILE *f = NULL;
  mode_t mode = 0;
  int opened = qa_infile_open(path, &f, &mode);
  if (opened > 0)
    return qa_error_set(err, QA_EXIT_USAGE, path, NULL,
                        "not a regular file (%s); expected the report template, a text "
                        "file", qa_infile_kind(mode));
  if (opened < 0)
    return qa_error_set(err, errno == ENOENT || errno == ENOTDIR ? QA_EXIT_USAGE : QA_EXIT_IO,
                        path, NULL, "cannot read the report template: %s", strerror(errno));
  char *text = malloc(MAX_TEMPLATE_BYTES + 1);
  int rc = -1;
  if (!text) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "out of memory");
    goto done;
  }
  size_t n = fread(text, 1, MAX_TEMPLATE_BYTES + 1, f);
  if (ferror(f)) {
    qa_error_set(err, QA_EXIT_IO, path, NULL, "read error: %s", strerror(errno));
    goto done;
  }
  if (n > MAX_TEMPLATE_BYTES) {
    qa_error_set(err, QA_EXIT_USAGE, path, NULL, "template larger than %u bytes",
                 MAX_TEMPLATE_BYTES);
    goto done;
  }
  text[n] = '\0';
  if (strlen(text) != n) {
    qa_error_set(err, QA_EXIT_USAGE, path, NULL, "template contains a NUL byte");
    goto done;
  }
  rc = rp_template_parse(text, path, out, err);
done:
  free(text);
  fclose(f);
  return rc;
}

void rp_template_free(rp_template *t) {
  if (!t) return;
  for (int i = 0; i < RP_N_SECTIONS; i++)
  {
    for (int k = 0; k < MAX_KEYS; k++) free(t->sec[i].text[k]);
    free(t->sec[i].flag[0]);
    free(t->sec[i].flag[1]);
  }
  free(t->page[0]);
  free(t->page[1]);
  free(t->path);
  free(t);
}

size_t rp_template_count(const rp_template *t) { return t->n_order; }

rp_section_id rp_template_at(const rp_template *t, size_t i) { return t->order[i]; }

int rp_template_included(const rp_template *t, rp_section_id id) {
  return t->sec[id].include;
}

int rp_template_new_page(const rp_template *t, rp_section_id id) {
  return t->sec[id].new_page;
}

const char *rp_template_text(const rp_template *t, rp_section_id id, const char *key) {
  const section_spec *spec = &SPECS[id];
  for (int i = 0; i < MAX_KEYS && spec->keys[i].name; i++)
    if (!strcmp(spec->keys[i].name, key)) {
      const char *v = t ? t->sec[id].text[i] : NULL;
      return v ? v : spec->keys[i].fallback;
    }
  return NULL;   /* a key the schema does not know: a programming error */
}

const char *rp_template_page(const rp_template *t, int footer) {
  return t->page[footer ? 1 : 0];
}

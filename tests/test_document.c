/*
** The report as a document, end to end: ./qaudit is run on the showcase and
** TR125 examples (run from the repository root after `make qaudit
** examples`, as make test does) and the PDFs are read back with tools that
** share no code with libharu: poppler's pdftotext/pdfinfo and qpdf.
**
** Checked: every section title of the default template in order; the
** contents page's numbers against the pages where pdftotext finds each
** heading; a bookmark (qpdf --json outlines) for every TOC entry, pointing
** at the same page; a long table's caption and header repeated with
** "(continued)" on every page it continues on; qpdf --check; the running
** header on every page after the title page; the Info metadata; and that a
** bad template stops the run with one line naming its file and line.
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results/results.h"   /* QA_VERSION, for the Creator entry */

/* The default template's sections (templates/report.tmpl), in order. */
/* The sections of the default template, "Damage by depth" only in a
** report whose caches have hidden layers (the showcase, not tr125). */
static const char *const DOCUMENT_SECTIONS[] = {
  "Executive summary", "Disclosure checklist", "Claim validation", "Decision matrix",
  "Representation metrics", "Per-class breakdown", "Damage by depth", "Figures",
  "Benchmark accuracy", "Generation quality", "Statistical tests", "Performance and cost",
  "Methods and caveats", "Provenance appendix"};
#define DOCUMENT_ALL_SECTIONS (sizeof DOCUMENT_SECTIONS / sizeof *DOCUMENT_SECTIONS)
#define DOCUMENT_N_SECTIONS (strcmp(name, "tr125") ? DOCUMENT_ALL_SECTIONS : DOCUMENT_ALL_SECTIONS - 3)

/* Section i of example `name`'s report.  tr125 has no hidden states, so
** its report leaves out the representation, per-class and depth sections
** (they are named under "Not covered by this audit" instead). */
static const char *document_section(const char *name, size_t i) {
  size_t repr = 4;
  return !strcmp(name, "tr125") && i >= repr ? DOCUMENT_SECTIONS[i + 3] : DOCUMENT_SECTIONS[i];
}

/* Output of a shell command (stderr discarded unless redirected), NUL-terminated. */
static char *document_run(const char *cmd, int *status) {
  return qa_test_command_output(cmd, status);
}

/* examples/NAME/config.json rendered once per run (SOURCE_DATE_EPOCH fixed);
** returns the PDF's path and its page count, or NULL after a failed check. */
static const char *document_pdf(const char *name, int *n_pages) {
  static char paths[2][600];
  static int pages[2], state[2];   /* 0 not tried, 1 ok, -1 failed */
  int k = !strcmp(name, "showcase") ? 0 : 1;
  if (!state[k]) {
    char cmd[1400];
    int st = -1;
    state[k] = -1;
    snprintf(paths[k], sizeof paths[k], "%s/doc-%s/report.pdf", qa_test_tmpdir(), name);
    snprintf(cmd, sizeof cmd, "SOURCE_DATE_EPOCH=1700000000 ./qaudit report "
             "examples/%s/config.json -o %s/doc-%s --quiet 2>&1", name, qa_test_tmpdir(), name);
    char *out = document_run(cmd, &st);
    if (st != 0) qa_test_fail(__FILE__, __LINE__, "%s: exit %d: %s", cmd, st, out ? out : "");
    free(out);
    snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null | sed -n 's/^Pages: *//p'", paths[k]);
    out = document_run(cmd, NULL);
    pages[k] = out ? atoi(out) : 0;
    free(out);
    if (st == 0 && pages[k] > 2) state[k] = 1;
  }
  if (n_pages) *n_pages = pages[k];
  return state[k] == 1 ? paths[k] : NULL;
}

/* pdftotext of pages first..last (0 = to the end); layout keeps columns. */
static char *document_text(const char *pdf, int first, int last, int layout) {
  char cmd[1200], range[64] = "";
  if (first > 0 && last > 0) snprintf(range, sizeof range, "-f %d -l %d ", first, last);
  else if (first > 0) snprintf(range, sizeof range, "-f %d ", first);
  snprintf(cmd, sizeof cmd, "pdftotext %s%s-enc UTF-8 '%s' - 2>/dev/null", layout ? "-layout " : "",
           range, pdf);
  return document_run(cmd, NULL);
}

/* 1 when text holds line as a whole line. */
static int document_has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  for (const char *p = text; p && (p = strstr(p, line)) != NULL; p++)
    if ((p == text || p[-1] == '\n' || p[-1] == '\f') && (p[n] == '\n' || p[n] == '\f'))
      return 1;
  return 0;
}

/* A contents line "label  title .... page" (pdftotext -layout). */
typedef struct toc_line { char label[16], title[160]; int page; } toc_line;

/* Parses the contents pages (2 .. the first page without the dot-leader
** lines); returns the number of entries and sets *last_toc_page. */
static size_t document_toc(const char *pdf, toc_line *out, size_t cap, int *last_toc_page) {
  size_t n = 0;
  *last_toc_page = 1;
  for (int page = 2; page < 10; page++) {
    char *text = document_text(pdf, page, page, 1);
    size_t before = n;
    for (char *line = text; line && *line && n < cap;) {
      char *end = strchr(line, '\n');
      if (end) *end = '\0';
      char label[16] = "", rest[400] = "";
      int page_no = 0;
      /* "4.1   Memory tier 2 GB     8": a label, the title, the page. */
      if (sscanf(line, " %15[0-9.] %399[^\n]", label, rest) == 2 &&
          isdigit((unsigned char)label[0])) {
        size_t k = strlen(rest);
        while (k && rest[k - 1] == ' ') rest[--k] = '\0';
        while (k && isdigit((unsigned char)rest[k - 1])) k--;
        page_no = atoi(rest + k);
        while (k && rest[k - 1] == ' ') k--;
        rest[k] = '\0';
        if (page_no > 0 && k > 0 && k < sizeof out[n].title) {
          snprintf(out[n].label, sizeof out[n].label, "%s", label);
          memcpy(out[n].title, rest, k + 1);      /* k < sizeof title, checked above */
          out[n].page = page_no;
          n++;
        }
      }
      line = end ? end + 1 : NULL;
    }
    free(text);
    if (n == before) break;
    *last_toc_page = page;
  }
  return n;
}

/* First page from `from` whose text holds "label title" as a line. */
static int document_heading_page(const char *pdf, int from, int n_pages, const char *label,
                                 const char *title) {
  char line[200];
  snprintf(line, sizeof line, "%.15s %.159s", label, title);
  for (int p = from; p <= n_pages; p++) {
    char *text = document_text(pdf, p, p, 0);
    int found = document_has_line(text, line);
    free(text);
    if (found) return p;
  }
  return 0;
}

static void document_sections_in_order(const char *name) {
  int n = 0;
  const char *pdf = document_pdf(name, &n);
  if (!pdf) return;
  char *text = document_text(pdf, 0, 0, 0);
  const char *at = text;
  for (size_t i = 0; i < DOCUMENT_N_SECTIONS; i++) {
    char line[160];
    snprintf(line, sizeof line, "%zu %s\n", i + 1, document_section(name, i));
    const char *h = at ? strstr(at, line) : NULL;
    while (h && h != text && h[-1] != '\n' && h[-1] != '\f') h = strstr(h + 1, line);
    if (!h) {
      qa_test_fail(__FILE__, __LINE__, "%s: section \"%s\" missing or out of order", name, line);
      continue;
    }
    at = h + 1;
  }
  free(text);
}

QA_TEST(document_sections_in_order_showcase) { document_sections_in_order("showcase"); }
QA_TEST(document_sections_in_order_tr125) { document_sections_in_order("tr125"); }

/* Bookmark k (qpdf JSON) must be contents entry k: same "label title", same page. */
static void document_bookmark(const char *name, const cJSON *o, const toc_line *toc,
                              size_t n_toc, size_t k) {
  const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(o, "title"));
  int page = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "destpageposfrom1"));
  char want[200] = "";
  if (k < n_toc) snprintf(want, sizeof want, "%s %s", toc[k].label, toc[k].title);
  if (k >= n_toc || !t || strcmp(t, want) || page != toc[k].page)
    qa_test_fail(__FILE__, __LINE__, "%s: bookmark %zu \"%s\" (page %d), contents \"%s\" "
                 "(page %d)", name, k, t ? t : "(none)", page, want, k < n_toc ? toc[k].page : 0);
}

/* The contents page lists every section and subsection with the page the
** heading is on, and the PDF has one bookmark per entry, in the same order,
** pointing at the same page. */
static void document_contents_and_bookmarks(const char *name) {
  int n = 0, last_toc = 0;
  const char *pdf = document_pdf(name, &n);
  if (!pdf) return;
  toc_line toc[200];
  size_t n_toc = document_toc(pdf, toc, 200, &last_toc);
  /* Every section of the default template is listed. */
  size_t sections = 0;
  for (size_t i = 0; i < n_toc; i++) sections += strchr(toc[i].label, '.') == NULL;
  CHECK_INT(sections, DOCUMENT_N_SECTIONS);
  CHECK(n_toc > DOCUMENT_N_SECTIONS + 10);   /* and their subsections */
  for (size_t i = 0; i < n_toc; i++) {
    int page = document_heading_page(pdf, last_toc + 1, n, toc[i].label, toc[i].title);
    if (page != toc[i].page)
      qa_test_fail(__FILE__, __LINE__, "%s: contents say \"%s %s\" is on page %d, pdftotext "
                   "finds it first on page %d", name, toc[i].label, toc[i].title, toc[i].page,
                   page);
  }
  /* Bookmarks (qpdf's JSON of the outline tree): depth-first, titled
  ** "label title", each with its destination's page. */
  char cmd[800];
  snprintf(cmd, sizeof cmd, "qpdf --json --json-key=outlines '%s' 2>/dev/null", pdf);
  char *json_text = document_run(cmd, NULL);
  cJSON *json = json_text ? cJSON_Parse(json_text) : NULL;
  free(json_text);
  const cJSON *outlines = cJSON_GetObjectItem(json, "outlines"), *sec, *sub;
  CHECK(cJSON_IsArray(outlines));
  size_t k = 0;
  cJSON_ArrayForEach(sec, outlines) {
    document_bookmark(name, sec, toc, n_toc, k++);
    cJSON_ArrayForEach(sub, cJSON_GetObjectItem(sec, "kids"))
      document_bookmark(name, sub, toc, n_toc, k++);
  }
  CHECK_INT(k, n_toc);
  cJSON_Delete(json);
}

QA_TEST(document_contents_and_bookmarks_showcase) { document_contents_and_bookmarks("showcase"); }
QA_TEST(document_contents_and_bookmarks_tr125) { document_contents_and_bookmarks("tr125"); }

/* The configuration listing of the provenance appendix: on each page it
** continues on, its caption with "(continued)" and its header again, and
** every line of the configuration file in it once. */
static void document_long_table(const char *name, const char *config, int min_pages) {
  int n = 0;
  const char *pdf = document_pdf(name, &n);
  if (!pdf) return;
  int first = 0, pages = 0;
  for (int p = 3; p <= n; p++) {
    char *text = document_text(pdf, p, p, 0);
    const char *cap = text ? strstr(text, ": Configuration\n") : NULL;
    const char *cont = text ? strstr(text, ": Configuration (continued)\n") : NULL;
    if (cap && !first) {
      first = p;
      pages = 1;
    } else if (first && cont) {
      pages++;
      CHECK_CONTAINS(text, "(continued)\nLine Configuration file\n");
    } else if (first) {
      free(text);
      break;
    }
    free(text);
  }
  CHECK(first > 0);
  if (pages < min_pages)
    qa_test_fail(__FILE__, __LINE__, "%s: configuration listing on %d page(s), want >= %d",
                 name, pages, min_pages);
  /* Its last line number is the file's line count (wc -l; the files end in
  ** a newline), printed as a row of the listing. */
  char cmd[600];
  snprintf(cmd, sizeof cmd, "wc -l < %s", config);
  char *wc = document_run(cmd, NULL);
  int lines = wc ? atoi(wc) : 0;
  free(wc);
  char *tail = document_text(pdf, first, first + pages - 1, 1);
  int found = 0;
  for (const char *line = tail; line && *line;) {
    char *end = NULL;
    long v = strtol(line, &end, 10);   /* "  228   }": the number first on its line */
    if (end != line && v == lines && *end == ' ') found = 1;
    line = strchr(line, '\n');
    if (line) line++;
  }
  if (!found)
    qa_test_fail(__FILE__, __LINE__, "%s: listing lacks its last line number %d", name, lines);
  free(tail);
}

QA_TEST(document_long_table_continues_showcase) {
  document_long_table("showcase", "examples/showcase/config.json", 2);
}
QA_TEST(document_long_table_continues_tr125) {
  document_long_table("tr125", "examples/tr125/config.json", 4);
}

static void document_structure(const char *name, const char *title, const char *author,
                               const char *subject, const char *keywords) {
  int n = 0;
  const char *pdf = document_pdf(name, &n);
  if (!pdf) return;
  char cmd[800], want[400];
  int st = -1;
  snprintf(cmd, sizeof cmd, "qpdf --check '%s' 2>&1", pdf);
  char *check = document_run(cmd, &st);
  CHECK_INT(st, 0);
  CHECK_CONTAINS(check, "No syntax or stream encoding errors found");
  free(check);
  /* poppler reads the fonts' ToUnicode maps without a warning. */
  snprintf(cmd, sizeof cmd, "pdftotext '%s' /dev/null 2>&1", pdf);
  char *warn = document_run(cmd, NULL);
  CHECK(warn && !strstr(warn, "Syntax Warning"));
  free(warn);
  snprintf(cmd, sizeof cmd, "pdfinfo '%s' 2>/dev/null", pdf);
  char *info = document_run(cmd, NULL);
  snprintf(want, sizeof want, "Title:           %s\n", title);
  CHECK_CONTAINS(info, want);
  snprintf(want, sizeof want, "Author:          %s\n", author);
  CHECK_CONTAINS(info, want);
  snprintf(want, sizeof want, "Subject:         %s\n", subject);
  CHECK_CONTAINS(info, want);
  snprintf(want, sizeof want, "Keywords:        %s\n", keywords);
  CHECK_CONTAINS(info, want);
  CHECK_CONTAINS(info, "Creator:         qaudit " QA_VERSION "\n");
  CHECK_CONTAINS(info, "Producer:        Haru Free PDF Library 2.3.0\n");
  /* 1700000000 s is 2023-11-14 22:13:20 UTC (date -u -d @1700000000). */
  CHECK_CONTAINS(info, "CreationDate:    Tue Nov 14 22:13:20 2023 UTC");
  free(info);
  /* The running header (the title, on its own line, first on the page) on
  ** every page but the title page; the footer's page number on them too. */
  char *p1 = document_text(pdf, 1, 1, 0);
  CHECK(p1 && !strstr(p1, "Page 1 of"));
  free(p1);
  snprintf(want, sizeof want, "%s\n", title);
  for (int p = 2; p <= n; p++) {
    char *text = document_text(pdf, p, p, 0), page_of[64];
    snprintf(page_of, sizeof page_of, "Page %d of %d", p, n);
    if (!text || strncmp(text, want, strlen(want)) != 0 || !strstr(text, page_of))
      qa_test_fail(__FILE__, __LINE__, "%s page %d: no running header \"%s\" or no \"%s\"",
                   name, p, title, page_of);
    free(text);
  }
}

QA_TEST(document_structure_showcase) {
  document_structure("showcase", "Quantization audit: triage-encoder-s", "qaudit showcase",
                     "Content-triage encoder, fp32 vs fp16 / int8 / int4 / int2 weight "
                     "quantization", "quantization audit, triage-encoder-s");
}

QA_TEST(document_structure_tr125) {
  document_structure("tr125",
                     "Technical Report 125: Quantization Decision Matrix (Phase 2 reproduction)",
                     "Research Team, Banterhearts LLM Performance Research (data rebuilt from "
                     "the published tables)",
                     "Production-grade quant level selection across 5 models (1.2B-8B) with "
                     "real benchmark validation",
                     "quantization audit, llama3.1-8b, llama3.2-1b, llama3.2-3b, phi-2, "
                     "qwen2.5-1.5b");
}

/* A template with an unknown key: exit 1, one line "FILE:LINE: what", and
** no report left behind. */
QA_TEST(document_bad_template_stops_the_run) {
  char dir[600], path[700], config[700], cmd[4096], cwd[512];
  if (!getcwd(cwd, sizeof cwd)) { CHECK(0); return; }
  snprintf(dir, sizeof dir, "%s/bad-template", qa_test_tmpdir());
  mkdir(dir, 0777);
  snprintf(path, sizeof path, "%s/brand", dir);
  mkdir(path, 0777);
  snprintf(path, sizeof path, "%s/brand/report.tmpl", dir);
  FILE *f = fopen(path, "w");
  if (!f) { CHECK(f != NULL); return; }
  fputs("[title_page]\n[contents]\ntitle = Contents\n[summary]\nintroduction = Hi\n", f);
  fclose(f);
  /* The showcase configuration with "template" added (absolute caches). */
  snprintf(config, sizeof config, "%s/config.json", dir);
  snprintf(cmd, sizeof cmd, "sed -e 's|\"caches/|\"%s/examples/showcase/caches/|' "
           "-e '1s|{|{ \"template\": \"brand\",|' examples/showcase/config.json > '%s' && "
           "./qaudit report '%s' -o '%s/out' --quiet 2>&1; echo \"exit $?\"",
           cwd, config, config, dir);
  char *out = document_run(cmd, NULL);
  snprintf(cmd, sizeof cmd, "qaudit: error: %s:5: unknown key \"introduction\" in [summary] "
           "(expected include, new_page, title, intro, findings_title, disagree_title, "
           "evidence_title)\nexit 1\n", path);
  CHECK_STR(out, cmd);
  free(out);
  snprintf(path, sizeof path, "%s/out/report.pdf", dir);
  struct stat st;
  CHECK(stat(path, &st) != 0);
}

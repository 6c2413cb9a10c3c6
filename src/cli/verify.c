/*
** qaudit verify OUTDIR|REPORT.pdf [-C DIR] [--quiet] (cli/cli.h,
** docs/verify.md): reads the report.json, configuration and
** qaudit-run.json embedded in the PDF, re-hashes every input they name,
** recomputes the report into a private temporary folder with the report's
** own date, and compares both outputs byte for byte.
**
** It trusts only the PDF's copies: OUTDIR/report.json is compared with the
** embedded one and a difference is a warning, never evidence.  It never
** writes outside its own mkdtemp folder, which it removes.
*/
#define _GNU_SOURCE   /* timegm */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/verify.h"
#include "cli/verify_diff.h"
#include "cli/verify_pdf.h"
#include "results/results.h"
#include "util/infile.h"
#include "util/outfile.h"
#include "util/progress.h"
#include "util/sha256.h"

typedef struct verify_args {
  const char *target;      /* OUTDIR or REPORT.pdf */
  const char *from_dir;    /* -C: the folder `qaudit report` ran in; NULL = here */
  int quiet;
} verify_args;

/* What the PDF carries, parsed. */
typedef struct evidence {
  char pdf[4200], sibling_json[4200];
  qa_pdf_files files;
  const qa_pdf_file *report, *config, *run;
  cJSON *report_tree, *run_tree;
  const char *config_path;  /* as given to qaudit report */
  int threads;              /* --threads of the report; 0 = not recorded */
  long long epoch;
} evidence;

static int parse_args(int argc, char **argv, verify_args *a) {
  memset(a, 0, sizeof *a);
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-C") || !strcmp(arg, "--from")) {
      if (++i >= argc || !*argv[i]) return qa_cli_usage_error("%s needs a directory", arg);
      a->from_dir = argv[i];
    } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
      a->quiet = 1;
    } else if (arg[0] == '-' && arg[1]) {
      return qa_cli_usage_error("unknown option %s", arg);
    } else if (!a->target) {
      a->target = arg;
    } else {
      return qa_cli_usage_error("unexpected argument %s", arg);
    }
  }
  if (!a->target) return qa_cli_usage_error("%s", "verify needs an OUTDIR or a REPORT.pdf");
  return 0;
}

/* path as the report names it, read from the -C folder when it is relative. */
static void join(const char *dir, const char *path, char *out, size_t cap) {
  if (!dir || path[0] == '/') snprintf(out, cap, "%s", path);
  else snprintf(out, cap, "%s/%s", dir, path);
}

/* "2023-11-14T22:13:20Z" (results.c qa_iso8601) back to seconds. */
static int parse_generated(const char *text, long long *epoch) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  char z = 0;
  int n = 0;
  if (!text || sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z, &n) != 7 || z != 'Z' ||
      text[n] != '\0')
    return -1;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t t = timegm(&tm);
  if (t == (time_t)-1) return -1;
  char back[32];
  qa_iso8601((long long)t, back);
  if (strcmp(back, text)) return -1;   /* 2023-02-30 and the like */
  *epoch = (long long)t;
  return 0;
}

static void evidence_free(evidence *ev) {
  qa_pdf_files_free(&ev->files);
  cJSON_Delete(ev->report_tree);
  cJSON_Delete(ev->run_tree);
}

static int load_evidence(const char *target, evidence *ev, qa_error *err) {
  struct stat st;
  memset(ev, 0, sizeof *ev);
  int is_dir = stat(target, &st) == 0 && S_ISDIR(st.st_mode);
  if (is_dir) snprintf(ev->pdf, sizeof ev->pdf, "%s/report.pdf", target);
  else snprintf(ev->pdf, sizeof ev->pdf, "%s", target);
  /* OUTDIR/report.json beside the PDF: compared, never trusted. */
  const char *slash = strrchr(ev->pdf, '/');
  if (slash) snprintf(ev->sibling_json, sizeof ev->sibling_json, "%.*s/report.json",
                      (int)(slash - ev->pdf), ev->pdf);
  else snprintf(ev->sibling_json, sizeof ev->sibling_json, "report.json");
  if (is_dir && stat(ev->pdf, &st) != 0)
    return qa_error_set(err, QA_EXIT_USAGE, target, NULL,
                        "a folder without report.pdf; expected the OUTDIR of qaudit report");
  if (qa_pdf_read_attachments(ev->pdf, &ev->files, err)) return -1;
  ev->report = qa_pdf_files_find(&ev->files, QA_VERIFY_REPORT_NAME);
  ev->config = qa_pdf_files_find(&ev->files, QA_VERIFY_CONFIG_NAME);
  ev->run = qa_pdf_files_find(&ev->files, QA_VERIFY_RUN_NAME);
  if (!ev->report || !ev->config || !ev->run)
    return qa_error_set(err, QA_EXIT_DATA, ev->pdf, NULL,
                        "%s embedded %s; expected a report.pdf written by qaudit report %s "
                        "(which embeds report.json, config.json and qaudit-run.json)",
                        ev->files.n ? "has no" : "has no embedded files, so no",
                        !ev->report ? QA_VERIFY_REPORT_NAME
                        : !ev->config ? QA_VERIFY_CONFIG_NAME : QA_VERIFY_RUN_NAME,
                        QA_VERSION);
  ev->report_tree = cJSON_ParseWithLength((const char *)ev->report->data, ev->report->len);
  ev->run_tree = cJSON_ParseWithLength((const char *)ev->run->data, ev->run->len);
  if (!ev->report_tree || !cJSON_IsObject(ev->report_tree))
    return qa_error_set(err, QA_EXIT_DATA, ev->pdf, QA_VERIFY_REPORT_NAME,
                        "the embedded file is not a JSON object");
  const cJSON *cfg = ev->run_tree ? cJSON_GetObjectItemCaseSensitive(ev->run_tree, "config") : NULL;
  if (!cJSON_IsString(cfg) || !cfg->valuestring[0])
    return qa_error_set(err, QA_EXIT_DATA, ev->pdf, QA_VERIFY_RUN_NAME ":config",
                        "expected the configuration's path as a string");
  ev->config_path = cfg->valuestring;
  const cJSON *threads = cJSON_GetObjectItemCaseSensitive(ev->run_tree, "threads");
  if (threads && (!cJSON_IsNumber(threads) || threads->valuedouble < 1 ||
                  threads->valuedouble > 1024 || threads->valuedouble != (int)threads->valuedouble))
    return qa_error_set(err, QA_EXIT_DATA, ev->pdf, QA_VERIFY_RUN_NAME ":threads",
                        "expected a whole number from 1 to 1024");
  ev->threads = threads ? (int)threads->valuedouble : 0;
  const cJSON *gen = cJSON_GetObjectItemCaseSensitive(ev->report_tree, "generated");
  if (parse_generated(cJSON_GetStringValue(gen), &ev->epoch))
    return qa_error_set(err, QA_EXIT_DATA, ev->pdf, QA_VERIFY_REPORT_NAME ":generated",
                        "expected a date like 2023-11-14T22:13:20Z");
  return 0;
}

/* One line on stderr per input that is missing or changed; returns how
** many. */
static int input_changed(const char *path, const char *want_hex, uint64_t want_bytes,
                         int bytes_known) {
  char hex[65];
  uint64_t bytes = 0;
  qa_error err = {0};
  if (qa_sha256_file(path, hex, &bytes, &err)) {
    fprintf(stderr, "qaudit: error: %s: an input of the report cannot be read now (%s)\n",
            path, err.msg);
    return 1;
  }
  if (!strcmp(hex, want_hex)) return 0;
  if (bytes_known && bytes != want_bytes)
    fprintf(stderr, "qaudit: error: %s: input changed since the report: SHA-256 %s expected, "
            "%s now (%llu bytes, was %llu)\n", path, want_hex, hex,
            (unsigned long long)bytes, (unsigned long long)want_bytes);
  else
    fprintf(stderr, "qaudit: error: %s: input changed since the report: SHA-256 %s expected, "
            "%s now\n", path, want_hex, hex);
  return 1;
}

/* The configuration (against the embedded copy) and every cache of
** report.json's inputs[]. */
static int check_inputs(const evidence *ev, const char *from, qa_progress *p, size_t *n_checked) {
  char path[4200], want[65];
  int changed = 0;
  join(from, ev->config_path, path, sizeof path);
  qa_progress_stage(p, "re-hashing", path);
  qa_sha256_hex(ev->config->data, ev->config->len, want);
  changed += input_changed(path, want, ev->config->len, 1);
  *n_checked = 1;
  const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(ev->report_tree, "inputs"), *in;
  cJSON_ArrayForEach(in, inputs) {
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "path"));
    const char *hex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "sha256"));
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(in, "bytes");
    if (!name || !hex) continue;
    join(from, name, path, sizeof path);
    qa_progress_stage(p, "re-hashing", path);
    changed += input_changed(path, hex, cJSON_IsNumber(bytes) ? (uint64_t)bytes->valuedouble : 0,
                             cJSON_IsNumber(bytes));
    ++*n_checked;
  }
  return changed;
}

/* Runs this executable as `qaudit report CONFIG -o DIR --quiet
** [--threads N]` in the -C folder with SOURCE_DATE_EPOCH set; its stdout goes to stderr so that
** verify's stdout carries only the verdict.  Returns its exit status (its
** own error line is on stderr already). */
static int recompute(const evidence *ev, const char *from, const char *dir) {
  char epoch[32], threads[16];
  snprintf(epoch, sizeof epoch, "%lld", ev->epoch);
  snprintf(threads, sizeof threads, "%d", ev->threads);
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "qaudit: error: %s: cannot start the recomputation: %s\n", ev->pdf,
            strerror(errno));
    return QA_EXIT_IO;
  }
  if (pid == 0) {
    if (from && chdir(from) != 0) {
      fprintf(stderr, "qaudit: error: %s: cannot enter the folder: %s\n", from, strerror(errno));
      _exit(QA_EXIT_USAGE);
    }
    dup2(2, 1);
    setenv("SOURCE_DATE_EPOCH", epoch, 1);
    char *const args[] = {"qaudit", "report", (char *)ev->config_path, "-o", (char *)dir,
                          "--quiet", ev->threads ? "--threads" : NULL, threads, NULL};
    execv("/proc/self/exe", args);
    fprintf(stderr, "qaudit: error: /proc/self/exe: cannot run qaudit again: %s\n",
            strerror(errno));
    _exit(QA_EXIT_IO);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return QA_EXIT_IO;
  return WIFEXITED(status) ? WEXITSTATUS(status) : QA_EXIT_IO;
}

/* Removes what the recomputation wrote into its mkdtemp folder. */
static void remove_workdir(const char *dir) {
  char path[4200 + 260];
  DIR *d = opendir(dir);
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) qa_outfile_remove_figures(path);
    else unlink(path);
  }
  if (d) closedir(d);
  rmdir(dir);
}

/* The first offset where two files differ, -1 when equal, -2 when one
** cannot be read; *len_a and *len_b receive their sizes. */
static long long first_byte_diff(const char *a, const char *b, long long *len_a, long long *len_b) {
  FILE *fa = NULL, *fb = NULL;
  mode_t mode;
  long long at = -2;
  if (qa_infile_open(a, &fa, &mode) || qa_infile_open(b, &fb, &mode)) goto done;
  static unsigned char ba[1 << 16], bb[1 << 16];
  long long off = 0;
  at = -1;
  for (;;) {
    size_t na = fread(ba, 1, sizeof ba, fa), nb = fread(bb, 1, sizeof bb, fb);
    size_t n = na < nb ? na : nb;
    for (size_t i = 0; i < n && at < 0; i++)
      if (ba[i] != bb[i]) at = off + (long long)i;
    if (at < 0 && na != nb) at = off + (long long)n;
    off += (long long)n;
    if (at >= 0 || na == 0 || na < sizeof ba) break;
  }
  struct stat sa, sb;
  *len_a = fstat(fileno(fa), &sa) == 0 ? (long long)sa.st_size : -1;
  *len_b = fstat(fileno(fb), &sb) == 0 ? (long long)sb.st_size : -1;
done:
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return at;
}

/* The recomputed report.json against the embedded one: 0 the same bytes,
** else the exit code after one line on stderr. */
static int compare_json(const evidence *ev, const char *dir) {
  char path[4400];
  snprintf(path, sizeof path, "%s/report.json", dir);
  size_t len = 0;
  FILE *f = NULL;
  mode_t mode;
  char *text = NULL;
  if (qa_infile_open(path, &f, &mode) == 0) {
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    len = text ? fread(text, 1, (size_t)n, f) : 0;
    if (text) text[len] = '\0';
    fclose(f);
  }
  if (!text) {
    fprintf(stderr, "qaudit: error: %s: the recomputed report.json cannot be read\n", path);
    return QA_EXIT_IO;
  }
  int rc = 0;
  if (len != ev->report->len || memcmp(text, ev->report->data, len) != 0) {
    cJSON *now = cJSON_ParseWithLength(text, len);
    qa_json_diff d;
    if (now && qa_json_first_diff(ev->report_tree, now, &d)) {
      fprintf(stderr, "qaudit: error: %s: %s: %s in the report, %s recomputed\n", ev->pdf,
              d.path[0] ? d.path : "(root)", d.old_text, d.new_text);
      rc = QA_VERIFY_NUMBER_DIFFERS;
    } else {
      size_t at = 0;
      while (at < len && at < ev->report->len && text[at] == (char)ev->report->data[at]) at++;
      fprintf(stderr, "qaudit: error: %s: report.json: every value is equal, but the bytes "
              "differ from byte %zu on\n", ev->pdf, at);
      rc = QA_VERIFY_BYTES_DIFFER;
    }
    cJSON_Delete(now);
  }
  free(text);
  return rc;
}

static int compare_pdf(const evidence *ev, const char *dir) {
  char path[4400];
  long long len_old = 0, len_new = 0;
  snprintf(path, sizeof path, "%s/report.pdf", dir);
  long long at = first_byte_diff(ev->pdf, path, &len_old, &len_new);
  if (at == -2) {
    fprintf(stderr, "qaudit: error: %s: the recomputed report.pdf cannot be read\n", path);
    return QA_EXIT_IO;
  }
  if (at < 0) return 0;
  fprintf(stderr, "qaudit: error: %s: every number is reproduced, but the recomputed PDF "
          "differs from byte %lld on (%lld bytes, recomputed %lld)\n", ev->pdf, at, len_old,
          len_new);
  return QA_VERIFY_BYTES_DIFFER;
}

/* OUTDIR/report.json is not evidence; a copy that disagrees with the PDF's
** is worth a warning. */
static void warn_sibling(const evidence *ev) {
  FILE *f = NULL;
  mode_t mode;
  if (qa_infile_open(ev->sibling_json, &f, &mode)) return;
  char *text = malloc(ev->report->len + 2);
  size_t n = text ? fread(text, 1, ev->report->len + 1, f) : 0;
  fclose(f);
  if (text && (n != ev->report->len || memcmp(text, ev->report->data, n) != 0))
    fprintf(stderr, "qaudit: warning: %s differs from the report.json embedded in %s; verify "
            "checks the embedded copy\n", ev->sibling_json, ev->pdf);
  free(text);
}

static int make_workdir(char *dir, size_t cap) {
  const char *tmp = getenv("TMPDIR");
  if (!tmp || tmp[0] != '/') tmp = "/tmp";
  snprintf(dir, cap, "%s/qaudit-verify-XXXXXX", tmp);
  if (mkdtemp(dir)) return 0;
  fprintf(stderr, "qaudit: error: %s: cannot create a private folder: %s\n", dir, strerror(errno));
  return QA_EXIT_IO;
}

int qa_cmd_verify(int argc, char **argv) {
  verify_args a;
  evidence ev;
  qa_error err = {0};
  qa_progress p;
  char dir[4200];
  size_t n_inputs = 0;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc;
  qa_progress_init(&p, a.quiet);
  if (load_evidence(a.target, &ev, &err)) {
    rc = qa_cli_report_error(&err);
    goto done;
  }
  const char *made_by = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev.run_tree,
                                                                             "qaudit_version"));
  if (made_by && strcmp(made_by, QA_VERSION))
    fprintf(stderr, "qaudit: warning: %s was made by qaudit %s, this is qaudit %s\n", ev.pdf,
            made_by, QA_VERSION);
  warn_sibling(&ev);
  if (check_inputs(&ev, a.from_dir, &p, &n_inputs)) {
    rc = QA_VERIFY_INPUT_CHANGED;
    goto done;
  }
  if ((rc = make_workdir(dir, sizeof dir))) goto done;
  qa_progress_stage(&p, "recomputing", ev.config_path);
  rc = recompute(&ev, a.from_dir, dir);
  if (!rc) rc = compare_json(&ev, dir);
  if (!rc) rc = compare_pdf(&ev, dir);
  remove_workdir(dir);
  if (!rc)
    printf("%s: reproduced byte for byte (report.json and report.pdf; %zu inputs re-hashed, "
           "date %s)\n", ev.pdf, n_inputs,
           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev.report_tree, "generated")));
done:
  evidence_free(&ev);
  return rc;
}

/*
** Helpers for tests/test_badinput.c: a fresh folder per case, the real
** ./qaudit run in a child process (stdout and stderr captured, killed after
** a timeout so that a hang fails the test instead of the suite), and the
** checks every bad-input case makes: the exit status, exactly one line on
** stderr "qaudit: error: ...", no report or temporary left behind, and an
** earlier good report left byte-identical.
**
** Included by the bad-input test files; everything here is static.
*/
#ifndef QA_TEST_BADINPUT_UTIL_H
#define QA_TEST_BADINPUT_UTIL_H

#include "harness.h"
#include "h5fixture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define BI_TIMEOUT_S 15u          /* a run longer than this is a hang */
#define BI_PREFIX "qaudit: error: "

/* Every helper is static; a test file uses the ones it needs. */
#define BI_STATIC static __attribute__((unused))

typedef struct bi_case {
  char dir[512];                  /* the case's own folder, fresh */
  char out[600];                  /* DIR/out: the output folder */
  char cfg[600];                  /* DIR/config.json */
} bi_case;

typedef struct bi_result {
  int code;                       /* exit status; -1 when killed */
  int sig;                        /* the signal that ended it; 0 if none */
  char *out, *err;                /* what it wrote to stdout and stderr */
} bi_result;

/* ---- files and folders -------------------------------------------------- */

BI_STATIC char *bi_slurp(const char *path, size_t *len) {
  return qa_test_read_file(path, len);
}

BI_STATIC int bi_write_bytes(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = len ? fwrite(data, 1, len, f) : 0;
  return fclose(f) != 0 || w != len ? -1 : 0;
}

BI_STATIC int bi_write_text(const char *path, const char *text) {
  return bi_write_bytes(path, text, strlen(text));
}

/* Removes path and everything below it (not following symlinks). */
BI_STATIC void bi_rm_tree(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    chmod(path, 0755);            /* a case may have made it read-only */
    DIR *d = opendir(path);
    struct dirent *e;
    char sub[4096];
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      bi_rm_tree(sub);
    }
    if (d) closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

/* Copies the regular files and folders below src to dst (created). */
BI_STATIC int bi_copy_tree(const char *src, const char *dst) {
  struct stat st;
  if (lstat(src, &st) != 0) return -1;
  if (!S_ISDIR(st.st_mode)) {
    size_t n = 0;
    char *data = bi_slurp(src, &n);
    int rc = data ? bi_write_bytes(dst, data, n) : -1;
    free(data);
    return rc;
  }
  if (mkdir(dst, 0777) != 0 && errno != EEXIST) return -1;
  DIR *d = opendir(src);
  if (!d) return -1;
  struct dirent *e;
  int rc = 0;
  char a[4096], b[4096];
  while (!rc && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(a, sizeof a, "%s/%s", src, e->d_name);
    snprintf(b, sizeof b, "%s/%s", dst, e->d_name);
    rc = bi_copy_tree(a, b);
  }
  closedir(d);
  return rc;
}

/* Bytes the files below path take, each rounded up to whole 4 KiB pages
** (what a tmpfs charges). */
BI_STATIC unsigned long long bi_tree_pages_bytes(const char *path) {
  struct stat st;
  if (lstat(path, &st) != 0) return 0;
  if (!S_ISDIR(st.st_mode)) return ((unsigned long long)st.st_size + 4095) / 4096 * 4096;
  unsigned long long sum = 0;
  DIR *d = opendir(path);
  struct dirent *e;
  char sub[4096];
  while (d && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
    sum += bi_tree_pages_bytes(sub);
  }
  if (d) closedir(d);
  return sum;
}

BI_STATIC int bi_by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted names in dir (without . and ..); *n gets their count; NULL
** when dir cannot be read. */
BI_STATIC char **bi_list(const char *dir, size_t *n) {
  DIR *d = opendir(dir);
  *n = 0;
  if (!d) return NULL;
  size_t cap = 16;
  char **v = malloc(cap * sizeof *v);
  struct dirent *e;
  while (v && (e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (*n == cap) {
      char **grown = realloc(v, 2 * cap * sizeof *v);
      if (!grown) break;
      v = grown;
      cap *= 2;
    }
    v[(*n)++] = strdup(e->d_name);
  }
  closedir(d);
  if (v) qsort(v, *n, sizeof *v, bi_by_name);
  return v;
}

BI_STATIC void bi_list_free(char **v, size_t n) {
  for (size_t i = 0; v && i < n; i++) free(v[i]);
  free(v);
}

/* ---- a case's folder ----------------------------------------------------- */

BI_STATIC void bi_case_init(bi_case *c, const char *name) {
  snprintf(c->dir, sizeof c->dir, "%s/bi-%s", qa_test_tmpdir(), name);
  bi_rm_tree(c->dir);
  if (mkdir(c->dir, 0777) != 0)
    qa_test_fail(__FILE__, __LINE__, "mkdir %s: %s", c->dir, strerror(errno));
  snprintf(c->out, sizeof c->out, "%s/out", c->dir);
  snprintf(c->cfg, sizeof c->cfg, "%s/config.json", c->dir);
}

/* DIR/name (one of 8 rotating buffers). */
BI_STATIC const char *bi_path(const bi_case *c, const char *name) {
  static char buf[8][1024];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s", c->dir, name);
  return p;
}

/* "DIR/file:hpath: " — how an error about one HDF5 path begins. */
BI_STATIC const char *bi_at(const bi_case *c, const char *file, const char *hpath) {
  static char buf[8][1024];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, sizeof buf[0], "%s/%s:%s: ", c->dir, file, hpath);
  return p;
}

/* "DIR/config.json:key: " — how an error about one JSON key begins. */
BI_STATIC const char *bi_key(const bi_case *c, const char *key) {
  static char buf[8][1024];
  static int next;
  char *p = buf[next++ % 8];
  snprintf(p, sizeof buf[0], "%s:%s: ", c->cfg, key);
  return p;
}

/* A configuration naming base.h5 (the baseline) and var.h5, with more
** top-level members appended when extra is not empty (", \"k\": v"). */
BI_STATIC void bi_config_pair(const bi_case *c, const char *extra) {
  char text[8192];
  snprintf(text, sizeof text,
           "{\"layer\": \"final\", \"models\": [{\"name\": \"m\", \"baseline\": \"base\", "
           "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
           "{\"name\": \"var\", \"file\": \"var.h5\"}]}]%s}\n", extra ? extra : "");
  if (bi_write_text(c->cfg, text))
    qa_test_fail(__FILE__, __LINE__, "cannot write %s", c->cfg);
}

BI_STATIC void bi_write_cache(const bi_case *c, const char *name, const fx_cache *fc) {
  if (fx_write_cache(bi_path(c, name), fc))
    qa_test_fail(__FILE__, __LINE__, "cannot write %s", bi_path(c, name));
}

/* A fresh case with a valid baseline base.h5 and the two-variant config. */
BI_STATIC void bi_pair(bi_case *c, const char *name) {
  fx_cache base;
  bi_case_init(c, name);
  fx_default_cache(&base);
  bi_write_cache(c, "base.h5", &base);
  bi_config_pair(c, "");
}

/* Writes the default cache as var.h5, opens it for writing and deletes the
** link dpath (when not NULL), so that the caller writes a bad one there. */
BI_STATIC hid_t bi_var_open(const bi_case *c, const char *dpath) {
  fx_cache v;
  fx_default_cache(&v);
  bi_write_cache(c, "var.h5", &v);
  hid_t f = H5Fopen(bi_path(c, "var.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  if (f < 0) qa_test_fail(__FILE__, __LINE__, "cannot reopen var.h5");
  if (f >= 0 && dpath && H5Ldelete(f, dpath, H5P_DEFAULT) < 0)
    qa_test_fail(__FILE__, __LINE__, "cannot delete %s", dpath);
  return f;
}

/* ---- running qaudit -------------------------------------------------------- */

/* How to run the child.  A zero-filled bi_opts means: BI_TIMEOUT_S, no
** SOURCE_DATE_EPOCH, as the current user, no hook. */
typedef struct bi_opts {
  unsigned timeout_s;             /* killed by SIGALRM after this; 0: BI_TIMEOUT_S */
  const char *sde;                /* SOURCE_DATE_EPOCH, unset when NULL */
  int as_nobody;                  /* 1: drop root to uid/gid 65534 before exec */
  void (*pre_exec)(const void *arg);  /* run in the child just before exec */
  const void *arg;
} bi_opts;

/* Runs argv (argv[0] is the program) with stdin from /dev/null, stdout and
** stderr captured into r. */
BI_STATIC void bi_exec_opts(bi_result *r, const bi_opts *o, char *const *argv) {
  char out_path[600], err_path[600];
  snprintf(out_path, sizeof out_path, "%s/bi-run.stdout", qa_test_tmpdir());
  snprintf(err_path, sizeof err_path, "%s/bi-run.stderr", qa_test_tmpdir());
  memset(r, 0, sizeof *r);
  r->code = -1;
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    qa_test_fail(__FILE__, __LINE__, "fork: %s", strerror(errno));
    return;
  }
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0) _exit(126);
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    close(in); close(out); close(err);
    if (o->sde) setenv("SOURCE_DATE_EPOCH", o->sde, 1);
    else unsetenv("SOURCE_DATE_EPOCH");
    if (o->as_nobody && geteuid() == 0 &&
        (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0))
      _exit(125);
    if (o->pre_exec) o->pre_exec(o->arg);
    signal(SIGALRM, SIG_DFL);
    alarm(o->timeout_s ? o->timeout_s : BI_TIMEOUT_S);   /* alarms survive execve(2) */
    execv(argv[0], argv);
    _exit(127);
  }
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (WIFEXITED(st)) r->code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) r->sig = WTERMSIG(st);
  r->out = bi_slurp(out_path, NULL);
  r->err = bi_slurp(err_path, NULL);
}

BI_STATIC void bi_exec(bi_result *r, unsigned timeout_s, const char *sde, char *const *argv) {
  bi_opts o = {timeout_s, sde, 0, NULL, NULL};
  bi_exec_opts(r, &o, argv);
}

BI_STATIC void bi_free(bi_result *r) {
  free(r->out);
  free(r->err);
  r->out = r->err = NULL;
}

/* ./qaudit report CONFIG -o OUT --quiet */
BI_STATIC void bi_report_to(bi_result *r, const char *config, const char *outdir,
                         unsigned timeout_s) {
  char *argv[] = {"./qaudit", "report", (char *)config, "-o", (char *)outdir, "--quiet", NULL};
  bi_exec(r, timeout_s, NULL, argv);
}

BI_STATIC void bi_report(const bi_case *c, bi_result *r) {
  bi_report_to(r, c->cfg, c->out, BI_TIMEOUT_S);
}

/* ./qaudit validate FILE */
BI_STATIC void bi_validate(bi_result *r, const char *file) {
  char *argv[] = {"./qaudit", "validate", (char *)file, NULL};
  bi_exec(r, BI_TIMEOUT_S, NULL, argv);
}

/* ---- the checks ------------------------------------------------------------ */

/* The process ended by itself with the status `code`. */
BI_STATIC int bi_check_status(const char *file, int line, const bi_result *r, int code) {
  if (r->sig) {
    qa_test_fail(file, line, "qaudit was killed by signal %d (%s); stderr: \"%s\"", r->sig,
                 r->sig == SIGALRM ? "timed out: it hangs" : "it crashed",
                 r->err ? r->err : "");
    return 0;
  }
  if (r->code != code) {
    qa_test_fail(file, line, "exit status %d, want %d; stderr: \"%s\"", r->code, code,
                 r->err ? r->err : "");
    return 0;
  }
  return 1;
}

/* Exit status `code`, nothing on stdout, and on stderr exactly one line,
** which starts with "qaudit: error: " and contains every one of parts
** (nothing else may follow it: no usage text after a command-line error,
** no progress with --quiet, no library diagnostics). */
BI_STATIC void bi_expect_at(const char *file, int line, const bi_result *r, int code,
                         const char *const *parts) {
  bi_check_status(file, line, r, code);
  if (r->out && r->out[0])
    qa_test_fail(file, line, "stdout should be empty, got \"%s\"", r->out);
  const char *e = r->err ? r->err : "";
  size_t errors = 0, others = 0;
  char first[1100] = "";
  for (const char *p = e; *p;) {
    const char *nl = strchr(p, '\n');
    size_t len = nl ? (size_t)(nl - p) : strlen(p);
    if (strncmp(p, BI_PREFIX, strlen(BI_PREFIX)) == 0) {
      if (!errors++) snprintf(first, sizeof first, "%.*s", (int)len, p);
      if (!nl) others++;                  /* an error line must end in a newline */
    } else {
      others++;
    }
    p += len + (nl ? 1 : 0);
  }
  if (errors != 1 || others != 0)
    qa_test_fail(file, line, "stderr should be one line starting with \"" BI_PREFIX
                 "\", got %zu such line(s) and %zu other(s): \"%s\"", errors, others, e);
  for (; *parts; parts++)
    if (!strstr(first, *parts))
      qa_test_fail(file, line, "the error line \"%s\" should contain \"%s\"", first, *parts);
}

#define BI_EXPECT(r, code, ...) \
  bi_expect_at(__FILE__, __LINE__, (r), (code), (const char *const[]){__VA_ARGS__, NULL})

/* The output folder holds nothing: no report.pdf, report.json, figures or
** temporary (it may not exist at all). */
BI_STATIC void bi_no_report_at(const char *file, int line, const char *outdir) {
  struct stat st;
  if (lstat(outdir, &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    qa_test_fail(file, line, "%s should be a folder or absent", outdir);
    return;
  }
  size_t n = 0;
  char **names = bi_list(outdir, &n);
  for (size_t i = 0; i < n; i++)
    qa_test_fail(file, line, "%s was left in the output folder %s", names[i], outdir);
  bi_list_free(names, n);
}

#define BI_NO_REPORT(dir) bi_no_report_at(__FILE__, __LINE__, (dir))

/* a and b hold the same names with byte-identical files, recursively. */
BI_STATIC void bi_same_tree_at(const char *file, int line, const char *a, const char *b) {
  struct stat sa, sb;
  if (lstat(a, &sa) != 0 || lstat(b, &sb) != 0) {
    qa_test_fail(file, line, "%s or %s is missing", a, b);
    return;
  }
  if (S_ISDIR(sa.st_mode) != S_ISDIR(sb.st_mode)) {
    qa_test_fail(file, line, "%s and %s are not both folders", a, b);
    return;
  }
  if (!S_ISDIR(sa.st_mode)) {
    size_t na = 0, nb = 0;
    char *da = bi_slurp(a, &na), *db = bi_slurp(b, &nb);
    if (!da || !db || na != nb || memcmp(da, db, na) != 0)
      qa_test_fail(file, line, "%s (%zu bytes) differs from the earlier report's %s "
                   "(%zu bytes): clobbered", a, na, b, nb);
    free(da);
    free(db);
    return;
  }
  size_t na = 0, nb = 0;
  char **la = bi_list(a, &na), **lb = bi_list(b, &nb);
  size_t i = 0, j = 0;
  char pa[4096], pb[4096];
  while (i < na || j < nb) {
    int c = i == na ? 1 : j == nb ? -1 : strcmp(la[i], lb[j]);
    if (c < 0) {
      qa_test_fail(file, line, "%s/%s was left in the output folder", a, la[i++]);
    } else if (c > 0) {
      qa_test_fail(file, line, "%s/%s of the earlier report is gone", a, lb[j++]);
    } else {
      snprintf(pa, sizeof pa, "%s/%s", a, la[i++]);
      snprintf(pb, sizeof pb, "%s/%s", b, lb[j++]);
      bi_same_tree_at(file, line, pa, pb);
    }
  }
  bi_list_free(la, na);
  bi_list_free(lb, nb);
}

/* ---- the earlier good report --------------------------------------------- */

/* Folder of a good report made once by ./qaudit from valid caches, or NULL
** (with a failure recorded) when it could not be made. */
BI_STATIC const char *bi_master(void) {
  static bi_case m;
  static int state;               /* 0 not tried, 1 made, -1 failed */
  static char msg[1024];
  if (state == 0) {
    fx_cache base, var;
    state = -1;
    bi_case_init(&m, "master");
    fx_default_cache(&base);
    fx_default_cache(&var);
    for (size_t i = 0; i < var.n * var.d; i++) var.hidden[i] += 0.01 * (double)(i % 5);
    for (size_t i = 0; i < var.n * var.c; i++) var.logits[i] -= 0.02 * (double)(i % 3);
    var.correct[0] = 1;
    var.score[1] = 0.3;
    bi_write_cache(&m, "base.h5", &base);
    bi_write_cache(&m, "var.h5", &var);
    bi_config_pair(&m, "");
    bi_result r;
    char *argv[] = {"./qaudit", "report", m.cfg, "-o", m.out, "--quiet", NULL};
    bi_exec(&r, 60, "1700000000", argv);
    struct stat st;
    char pdf[700], json[700];
    snprintf(pdf, sizeof pdf, "%s/report.pdf", m.out);
    snprintf(json, sizeof json, "%s/report.json", m.out);
    if (r.code == 0 && stat(pdf, &st) == 0 && stat(json, &st) == 0) state = 1;
    else snprintf(msg, sizeof msg, "exit %d, signal %d: %s", r.code, r.sig, r.err ? r.err : "");
    bi_free(&r);
  }
  if (state < 0) {
    qa_test_fail(__FILE__, __LINE__, "could not make the earlier good report: %s", msg);
    return NULL;
  }
  return m.out;
}

/* Puts a copy of the good report in the case's output folder; 0 on success. */
BI_STATIC int bi_seed_report(const bi_case *c) {
  const char *master = bi_master();
  if (!master) return -1;
  if (bi_copy_tree(master, c->out)) {
    qa_test_fail(__FILE__, __LINE__, "cannot copy %s to %s", master, c->out);
    return -1;
  }
  return 0;
}

/* The output folder still holds exactly the earlier good report. */
#define BI_NOT_CLOBBERED(c)                                               \
  do {                                                                    \
    const char *m_ = bi_master();                                         \
    if (m_) bi_same_tree_at(__FILE__, __LINE__, (c)->out, m_);            \
  } while (0)

#endif

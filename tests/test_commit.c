/*
** The report's commit and the files qaudit reads, end to end (issue 10,
** "Degenerate inputs must not crash it"):
**   - the figures folder, report.json and report.pdf are committed all or
**     nothing: every target is checked before anything is written or
**     renamed, a rename that fails midway is undone, and an earlier report
**     stays byte-identical (qa_outfile_commit, write_outputs in main.c);
**   - a user's own OUTDIR/figures (a file, a symlink, a folder holding
**     other files) is refused and left as it was, nothing left behind;
**   - the configuration, the template and the fonts are opened without
**     blocking: a FIFO, a directory or /dev/zero is refused by its kind
**     within the timeout, named with its path (and key, for the template);
**   - --max-memory accepts one byte to 2^63 bytes only;
**   - a command-line error is exactly one line on stderr.
** Run from the repository root after `make qaudit`.
*/
#include "badinput_util.h"

#include "util/outfile.h"

/* A fresh case with valid base.h5 and var.h5 and the two-variant config. */
static void valid_pair(bi_case *c, const char *name) {
  fx_cache v;
  bi_pair(c, name);
  fx_default_cache(&v);
  bi_write_cache(c, "var.h5", &v);
}

/* The names in dir, joined with spaces ("" when empty or unreadable). */
static void names_in(const char *dir, char *out, size_t cap) {
  size_t n = 0, used = 0;
  char **v = bi_list(dir, &n);
  out[0] = '\0';
  for (size_t i = 0; i < n && used < cap; i++)
    used += (size_t)snprintf(out + used, cap - used, "%s%s", i ? " " : "", v[i]);
  bi_list_free(v, n);
}

#define CHECK_NAMES(dir, want)                                            \
  do { char got_[2048]; names_in((dir), got_, sizeof got_);               \
       CHECK_STR(got_, (want)); } while (0)

/* path holds exactly text. */
static void check_text_at(int line, const char *path, const char *text) {
  char *got = bi_slurp(path, NULL);
  if (!got || strcmp(got, text) != 0)
    qa_test_fail(__FILE__, line, "%s holds \"%.60s\", want \"%s\"", path,
                 got ? got : "(missing)", text);
  free(got);
}

/* OUTDIR/name is byte-identical to the earlier good report's. */
static void check_kept_at(int line, const bi_case *c, const char *name) {
  const char *master = bi_master();
  if (!master) return;
  char a[1024], b[1024];
  snprintf(a, sizeof a, "%s/%s", c->out, name);
  snprintf(b, sizeof b, "%s/%s", master, name);
  bi_same_tree_at(__FILE__, line, a, b);
}

/* ===== qa_outfile_commit on its own ========================================= */

/* A folder with an earlier report of three parts and the new parts' temps. */
typedef struct commit_dir {
  char dir[600], tmp_fig[700], fig[700], tmp_json[700], json[700], tmp_pdf[700], pdf[700];
  qa_outfile outs[3];
} commit_dir;

static void commit_dir_init(commit_dir *d, const char *name, int earlier) {
  snprintf(d->dir, sizeof d->dir, "%s/commit-%s", qa_test_tmpdir(), name);
  bi_rm_tree(d->dir);
  CHECK_INT(mkdir(d->dir, 0777), 0);
  snprintf(d->fig, sizeof d->fig, "%s/figures", d->dir);
  snprintf(d->json, sizeof d->json, "%s/report.json", d->dir);
  snprintf(d->pdf, sizeof d->pdf, "%s/report.pdf", d->dir);
  snprintf(d->tmp_fig, sizeof d->tmp_fig, "%s/.figures.tmp-test", d->dir);
  qa_outfile_temp_name(d->dir, "report.json", d->tmp_json, sizeof d->tmp_json);
  qa_outfile_temp_name(d->dir, "report.pdf", d->tmp_pdf, sizeof d->tmp_pdf);
  if (earlier) {
    char p[800];
    CHECK_INT(mkdir(d->fig, 0777), 0);
    snprintf(p, sizeof p, "%s/fig1-old.png", d->fig);
    CHECK_INT(bi_write_text(p, "old png\n"), 0);
    CHECK_INT(bi_write_text(d->json, "old json\n"), 0);
    CHECK_INT(bi_write_text(d->pdf, "old pdf\n"), 0);
  }
  char p[800];
  CHECK_INT(mkdir(d->tmp_fig, 0777), 0);
  snprintf(p, sizeof p, "%s/fig1-new.png", d->tmp_fig);
  CHECK_INT(bi_write_text(p, "new png\n"), 0);
  CHECK_INT(bi_write_text(d->tmp_json, "new json\n"), 0);
  CHECK_INT(bi_write_text(d->tmp_pdf, "new pdf\n"), 0);
  d->outs[0] = (qa_outfile){d->tmp_fig, d->fig, 1};
  d->outs[1] = (qa_outfile){d->tmp_json, d->json, 0};
  d->outs[2] = (qa_outfile){d->tmp_pdf, d->pdf, 0};
}

QA_TEST(commit_replaces_an_earlier_report_and_leaves_nothing_behind) {
  commit_dir d;
  qa_error err = {0};
  commit_dir_init(&d, "replace", 1);
  CHECK_INT(qa_outfile_commit(d.outs, 3, &err), 0);
  check_text_at(__LINE__, d.json, "new json\n");
  check_text_at(__LINE__, d.pdf, "new pdf\n");
  CHECK_NAMES(d.fig, "fig1-new.png");
  /* no temporary, no .old backup */
  CHECK_NAMES(d.dir, "figures report.json report.pdf");
}

QA_TEST(commit_rename_failing_midway_puts_the_earlier_report_back) {
  /* The PDF's temporary is gone when its turn comes, so its rename fails
  ** after the figures and the JSON were renamed: both are undone. */
  commit_dir d;
  qa_error err = {0};
  commit_dir_init(&d, "rollback", 1);
  CHECK_INT(unlink(d.tmp_pdf), 0);
  CHECK_INT(qa_outfile_commit(d.outs, 3, &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  char want[900];
  snprintf(want, sizeof want, "%s: cannot rename into place: No such file or directory; "
           "nothing was replaced", d.pdf);
  CHECK_STR(err.msg, want);
  check_text_at(__LINE__, d.json, "old json\n");
  check_text_at(__LINE__, d.pdf, "old pdf\n");
  CHECK_NAMES(d.fig, "fig1-old.png");
  char p[800];
  snprintf(p, sizeof p, "%s/fig1-old.png", d.fig);
  check_text_at(__LINE__, p, "old png\n");
  CHECK_NAMES(d.dir, "figures report.json report.pdf");
}

QA_TEST(commit_rename_failing_midway_without_earlier_report_leaves_nothing) {
  commit_dir d;
  qa_error err = {0};
  commit_dir_init(&d, "rollback-empty", 0);
  CHECK_INT(unlink(d.tmp_pdf), 0);
  CHECK_INT(qa_outfile_commit(d.outs, 3, &err), -1);
  CHECK_CONTAINS(err.msg, "report.pdf: cannot rename into place");
  CHECK_NAMES(d.dir, "");
}

QA_TEST(commit_refuses_every_target_before_renaming_any) {
  /* The last target is a folder: nothing may be renamed, even the first. */
  commit_dir d;
  qa_error err = {0};
  commit_dir_init(&d, "refuse", 1);
  CHECK_INT(unlink(d.pdf), 0);
  CHECK_INT(mkdir(d.pdf, 0777), 0);
  CHECK_INT(qa_outfile_check(d.outs, 3, &err), -1);
  CHECK_INT(qa_outfile_commit(d.outs, 3, &err), -1);
  CHECK_INT(err.code, QA_EXIT_IO);
  char want[900];
  snprintf(want, sizeof want, "%s: is a directory, not a regular file: qaudit replaces only "
           "an earlier report file, and wrote nothing", d.pdf);
  CHECK_STR(err.msg, want);
  check_text_at(__LINE__, d.json, "old json\n");
  CHECK_NAMES(d.fig, "fig1-old.png");
  CHECK_NAMES(d.pdf, "");
  /* the temporaries were discarded */
  CHECK_NAMES(d.dir, "figures report.json report.pdf");
}

/* ===== the report's commit, end to end ======================================= */

/* An earlier good report, with OUTDIR/name then replaced by a folder. */
static void target_is_a_folder_case(const char *name, const char *target, const char *kept1,
                                    const char *kept2) {
  bi_case c;
  bi_result r;
  valid_pair(&c, name);
  if (bi_seed_report(&c)) return;
  const char *p = bi_path(&c, target);
  CHECK_INT(unlink(p), 0);
  CHECK_INT(mkdir(p, 0777), 0);
  bi_report(&c, &r);
  char want[1100];
  snprintf(want, sizeof want, "%s: is a directory, not a regular file", p);
  BI_EXPECT(&r, 3, want);
  check_kept_at(__LINE__, &c, kept1);
  check_kept_at(__LINE__, &c, kept2);
  CHECK_NAMES(p, "");
  CHECK_NAMES(c.out, "figures report.json report.pdf");
  bi_free(&r);
}

QA_TEST(commit_report_pdf_is_a_directory_keeps_the_earlier_json) {
  target_is_a_folder_case("commit-pdfdir", "out/report.pdf", "report.json", "figures");
}

QA_TEST(commit_report_json_is_a_directory_keeps_the_earlier_pdf) {
  target_is_a_folder_case("commit-jsondir", "out/report.json", "report.pdf", "figures");
}

QA_TEST(commit_rerun_replaces_its_own_figures) {
  /* The normal case: a folder of figures qaudit wrote is replaced. */
  bi_case c;
  bi_result r;
  valid_pair(&c, "commit-rerun");
  if (bi_seed_report(&c)) return;
  char old_png[1100];
  snprintf(old_png, sizeof old_png, "%s/figures/fig99-stale.png", c.out);
  CHECK_INT(bi_write_text(old_png, "stale\n"), 0);
  bi_report(&c, &r);
  CHECK_INT(r.code, 0);
  CHECK_STR(r.err, "");
  struct stat st;
  CHECK(lstat(old_png, &st) != 0);        /* the earlier folder is gone as a whole */
  CHECK_NAMES(c.out, "figures report.json report.pdf");
  bi_free(&r);
}

/* OUTDIR/figures is something of the user's: refused, left as it was. */
static void expect_figures_refused(const bi_case *c, int line, const char *what) {
  bi_result r;
  bi_report(c, &r);
  char want[1100];
  snprintf(want, sizeof want, "%s/figures: %s", c->out, what);
  bi_expect_at(__FILE__, line, &r, 3, (const char *const[]){want,
               "qaudit replaces only a folder of figures it wrote", NULL});
  check_kept_at(line, c, "report.json");
  check_kept_at(line, c, "report.pdf");
  CHECK_NAMES(c->out, "figures report.json report.pdf");
  bi_free(&r);
}

QA_TEST(commit_figures_is_a_users_file) {
  bi_case c;
  valid_pair(&c, "commit-figfile");
  if (bi_seed_report(&c)) return;
  char figs[1100];
  snprintf(figs, sizeof figs, "%s/figures", c.out);
  bi_rm_tree(figs);
  CHECK_INT(bi_write_text(figs, "my own notes\n"), 0);
  expect_figures_refused(&c, __LINE__, "is a regular file, not a folder");
  check_text_at(__LINE__, figs, "my own notes\n");
}

QA_TEST(commit_figures_holds_a_users_file) {
  bi_case c;
  valid_pair(&c, "commit-fignotes");
  if (bi_seed_report(&c)) return;
  char notes[1100];
  snprintf(notes, sizeof notes, "%s/figures/notes.txt", c.out);
  CHECK_INT(bi_write_text(notes, "do not lose\n"), 0);
  expect_figures_refused(&c, __LINE__, "holds \"notes.txt\" (a regular file), which qaudit "
                         "did not write");
  check_text_at(__LINE__, notes, "do not lose\n");
  /* the seeded figures are all still there, next to the notes */
  const char *master = bi_master();
  if (!master) return;
  char mfigs[1100], figs[1100];
  size_t n_master = 0, n_now = 0;
  snprintf(mfigs, sizeof mfigs, "%s/figures", master);
  snprintf(figs, sizeof figs, "%s/figures", c.out);
  char **in_master = bi_list(mfigs, &n_master), **now = bi_list(figs, &n_now);
  CHECK(n_master > 0);
  CHECK_INT(n_now, n_master + 1);
  bi_list_free(in_master, n_master);
  bi_list_free(now, n_now);
}

QA_TEST(commit_figures_is_a_symlink_to_a_users_folder) {
  bi_case c;
  valid_pair(&c, "commit-figlink");
  CHECK_INT(mkdir(bi_path(&c, "mine"), 0777), 0);
  CHECK_INT(bi_write_text(bi_path(&c, "mine/plot.png"), "my plot\n"), 0);
  if (bi_seed_report(&c)) return;
  char figs[1100];
  snprintf(figs, sizeof figs, "%s/figures", c.out);
  bi_rm_tree(figs);
  CHECK_INT(symlink(bi_path(&c, "mine"), figs), 0);
  expect_figures_refused(&c, __LINE__, "is a symbolic link, not a folder");
  check_text_at(__LINE__, bi_path(&c, "mine/plot.png"), "my plot\n");
  struct stat st;
  CHECK(lstat(figs, &st) == 0 && S_ISLNK(st.st_mode));
}

QA_TEST(commit_figures_users_file_without_earlier_report) {
  /* Refused before anything is written: no JSON or PDF appears beside it. */
  bi_case c;
  bi_result r;
  valid_pair(&c, "commit-figfile-new");
  CHECK_INT(mkdir(c.out, 0777), 0);
  CHECK_INT(bi_write_text(bi_path(&c, "out/figures"), "mine\n"), 0);
  bi_report(&c, &r);
  BI_EXPECT(&r, 3, bi_path(&c, "out/figures: is a regular file, not a folder"));
  check_text_at(__LINE__, bi_path(&c, "out/figures"), "mine\n");
  CHECK_NAMES(c.out, "figures");
  bi_free(&r);
}

/* ===== files read without blocking =========================================== */

/* The configuration with "template": "brand" appended. */
static void template_case(bi_case *c, const char *name) {
  valid_pair(c, name);
  bi_config_pair(c, ", \"template\": \"brand\"");
}

static void expect_template_refused_at(int line, const bi_case *c, int code, const char *what) {
  bi_result r;
  bi_report_to(&r, c->cfg, c->out, 5);
  char file[1100];
  snprintf(file, sizeof file, "%s: %s", bi_path(c, "brand/report.tmpl"), what);
  bi_expect_at(__FILE__, line, &r, code, (const char *const[]){bi_key(c, "template"), file,
               NULL});
  BI_NO_REPORT(c->out);
  bi_free(&r);
}

QA_TEST(commit_template_is_a_fifo) {
  bi_case c;
  template_case(&c, "commit-tmplfifo");
  CHECK_INT(mkdir(bi_path(&c, "brand"), 0777), 0);
  CHECK_INT(mkfifo(bi_path(&c, "brand/report.tmpl"), 0644), 0);
  expect_template_refused_at(__LINE__, &c, 1, "not a regular file (a FIFO); expected the "
                             "report template");
}

QA_TEST(commit_template_is_a_directory) {
  bi_case c;
  template_case(&c, "commit-tmpldir");
  CHECK_INT(mkdir(bi_path(&c, "brand"), 0777), 0);
  CHECK_INT(mkdir(bi_path(&c, "brand/report.tmpl"), 0777), 0);
  expect_template_refused_at(__LINE__, &c, 1, "not a regular file (a directory)");
}

QA_TEST(commit_template_is_dev_zero) {
  bi_case c;
  template_case(&c, "commit-tmplzero");
  CHECK_INT(mkdir(bi_path(&c, "brand"), 0777), 0);
  CHECK_INT(symlink("/dev/zero", bi_path(&c, "brand/report.tmpl")), 0);
  expect_template_refused_at(__LINE__, &c, 1, "not a regular file (a character device)");
}

QA_TEST(commit_template_folder_is_a_fifo) {
  bi_case c;
  template_case(&c, "commit-tmplfolderfifo");
  CHECK_INT(mkfifo(bi_path(&c, "brand"), 0644), 0);
  expect_template_refused_at(__LINE__, &c, 1, "cannot read the report template: Not a "
                             "directory");
}

QA_TEST(commit_template_symlink_to_a_regular_file_is_fine) {
  bi_case c;
  bi_result r;
  template_case(&c, "commit-tmpllink");
  CHECK_INT(mkdir(bi_path(&c, "brand"), 0777), 0);
  char real[2048];
  CHECK(getcwd(real, 1500) != NULL);
  strcat(real, "/templates/report.tmpl");
  CHECK_INT(symlink(real, bi_path(&c, "brand/report.tmpl")), 0);
  bi_report(&c, &r);
  CHECK_INT(r.code, 0);
  CHECK_STR(r.err, "");
  CHECK_NAMES(c.out, "figures report.json report.pdf");
  bi_free(&r);
}

static void expect_config_refused_at(int line, const char *config, const char *outdir,
                                     const char *what) {
  bi_result r;
  bi_report_to(&r, config, outdir, 5);
  char want[1100];
  snprintf(want, sizeof want, "%s: not a regular file (%s); expected a JSON configuration "
           "file", config, what);
  bi_expect_at(__FILE__, line, &r, 1, (const char *const[]){want, NULL});
  BI_NO_REPORT(outdir);
  bi_free(&r);
}

QA_TEST(commit_config_is_a_fifo) {
  bi_case c;
  bi_case_init(&c, "commit-cfgfifo");
  CHECK_INT(mkfifo(c.cfg, 0644), 0);
  expect_config_refused_at(__LINE__, c.cfg, c.out, "a FIFO");
}

QA_TEST(commit_config_is_a_directory) {
  bi_case c;
  bi_case_init(&c, "commit-cfgdir");
  CHECK_INT(mkdir(c.cfg, 0777), 0);
  expect_config_refused_at(__LINE__, c.cfg, c.out, "a directory");
}

QA_TEST(commit_config_is_dev_zero) {
  bi_case c;
  bi_case_init(&c, "commit-cfgzero");
  expect_config_refused_at(__LINE__, "/dev/zero", c.out, "a character device");
}

/* QAUDIT_DATADIR=DIR/data, whose fonts/ links to the real fonts except
** `bad`, which is made by make_bad; templates/ links to the real one. */
static void set_datadir(const void *arg) {
  if (setenv("QAUDIT_DATADIR", arg, 1) != 0) _exit(124);
}

static void font_case(const char *name, const char *bad, int as_fifo) {
  static const char *const fonts[] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                                      "DejaVuSans-Oblique.ttf", "DejaVuSansMono.ttf"};
  bi_case c;
  bi_result r;
  char top[1500], from[2048], to[2300], data[1100];
  valid_pair(&c, name);
  if (!getcwd(top, sizeof top)) { qa_test_fail(__FILE__, __LINE__, "getcwd"); return; }
  snprintf(data, sizeof data, "%s", bi_path(&c, "data"));
  CHECK_INT(mkdir(data, 0777), 0);
  CHECK_INT(mkdir(bi_path(&c, "data/fonts"), 0777), 0);
  snprintf(from, sizeof from, "%s/templates", top);
  CHECK_INT(symlink(from, bi_path(&c, "data/templates")), 0);
  for (size_t i = 0; i < sizeof fonts / sizeof *fonts; i++) {
    snprintf(to, sizeof to, "%s/fonts/%s", data, fonts[i]);
    snprintf(from, sizeof from, "%s/fonts/%s", top, fonts[i]);
    if (strcmp(fonts[i], bad)) CHECK_INT(symlink(from, to), 0);
    else if (as_fifo) CHECK_INT(mkfifo(to, 0644), 0);
    else CHECK_INT(symlink("/dev/zero", to), 0);
  }
  bi_opts o = {5, NULL, 0, set_datadir, data};
  char *argv[] = {"./qaudit", "report", c.cfg, "-o", c.out, "--quiet", NULL};
  bi_exec_opts(&r, &o, argv);
  snprintf(to, sizeof to, "%s/fonts/%s: not a regular file (%s); expected a TrueType font",
           data, bad, as_fifo ? "a FIFO" : "a character device");
  BI_EXPECT(&r, 3, to);
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(commit_font_is_a_fifo) {
  /* DejaVuSans.ttf is loaded first by the figures (FreeType). */
  font_case("commit-fontfifo", "DejaVuSans.ttf", 1);
}

QA_TEST(commit_pdf_only_font_is_a_fifo) {
  /* The monospaced font is loaded only by the PDF (libharu). */
  font_case("commit-monofifo", "DejaVuSansMono.ttf", 1);
}

QA_TEST(commit_font_is_dev_zero) {
  font_case("commit-fontzero", "DejaVuSans-Bold.ttf", 0);
}

/* ===== the command line ======================================================= */

/* ./qaudit ARGS... : exit 1 and exactly one line containing part. */
#define EXPECT_USAGE(part, ...)                                                     \
  do {                                                                            \
    bi_result r_;                                                                 \
    char *argv_[] = {"./qaudit", __VA_ARGS__, NULL};                              \
    bi_exec(&r_, BI_TIMEOUT_S, NULL, argv_);                                      \
    BI_EXPECT(&r_, 1, (part));                                                    \
    bi_free(&r_);                                                                 \
  } while (0)

QA_TEST(commit_max_memory_out_of_range) {
  /* 1e-300 GB is 1e-291 bytes: below one byte (it used to round to 0,
  ** "no limit"); 1e300 GB is above 2^63 bytes; the rest are not sizes. */
  static const char *const bad[] = {"1e-300", "-1", "nan", "inf", "1e300", "0", "1e-10",
                                    "-0", "", "8GB", "9.3e9", "1e-400"};
  bi_case c;
  valid_pair(&c, "commit-maxmem");
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char want[128];
    snprintf(want, sizeof want, "--max-memory: \"%s\" is not a size in GB from 1e-9 (one "
             "byte) to 2^63 bytes", bad[i]);
    EXPECT_USAGE(want, "report", c.cfg, "-o", c.out, "--max-memory", (char *)bad[i]);
  }
  BI_NO_REPORT(c.out);
}

QA_TEST(commit_max_memory_bounds_are_accepted) {
  /* 1e-9 GB = 1 byte and 9.2e9 GB < 2^63 bytes = 9.223372e9 GB pass the
  ** option; the missing configuration is the error then. */
  static const char *const ok[] = {"1e-9", "9.2e9", "0.5"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    EXPECT_USAGE("/nonexistent/c.json: cannot open configuration", "report",
                 "/nonexistent/c.json", "--max-memory", (char *)ok[i]);
}

QA_TEST(commit_max_memory_one_byte_is_a_limit) {
  /* One byte is a real limit, not "no limit": the first dataset of the
  ** 6-sample caches needs more than 1 byte, so the run is refused (exit 2). */
  bi_case c;
  bi_result r;
  valid_pair(&c, "commit-onebyte");
  char *argv[] = {"./qaudit", "report", c.cfg, "-o", c.out, "--quiet", "--max-memory", "1e-9",
                  NULL};
  bi_exec(&r, BI_TIMEOUT_S, NULL, argv);
  BI_EXPECT(&r, 2, "more than the 1e-09 GB allowed by --max-memory");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(commit_usage_errors_are_one_line) {
  EXPECT_USAGE("qaudit: error: unknown option --foo (see qaudit --help)", "report", "c.json",
               "--foo");
  EXPECT_USAGE("unknown command \"frobnicate\" (see qaudit --help)", "frobnicate");
  EXPECT_USAGE("-o needs a directory", "report", "c.json", "-o");
  EXPECT_USAGE("--threads: \"0\" is not a number from 1 to 1024", "report", "c.json",
               "--threads", "0");
  EXPECT_USAGE("unexpected argument extra.json", "report", "c.json", "extra.json");
  EXPECT_USAGE("report needs a configuration file", "report");
  EXPECT_USAGE("validate needs at least one file", "validate");
  EXPECT_USAGE("inspect needs exactly one file", "inspect", "a.h5", "b.h5");
  /* an argument with a newline in it does not make a second line */
  EXPECT_USAGE("unknown option --a b", "report", "c.json", "--a\nb");
}

QA_TEST(commit_no_command_is_one_line) {
  bi_result r;
  char *argv[] = {"./qaudit", NULL};
  bi_exec(&r, BI_TIMEOUT_S, NULL, argv);
  BI_EXPECT(&r, 1, "qaudit: error: no command given (see qaudit --help)");
  bi_free(&r);
}

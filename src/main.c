/*
** qaudit: the command line (INTERFACE.md section 1).
**
** The only place that prints errors and chooses exit codes: every module
** below returns a qa_error, and main turns it into one line on stderr,
** "qaudit: error: FILE:PATH: what".
*/
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "input/cache.h"
#include "input/config.h"
#include "input/study.h"
#include "render/figures.h"
#include "render/report.h"
#include "results/results.h"
#include "util/error.h"
#include "util/outfile.h"
#include "util/progress.h"

#ifndef QA_DATADIR
#define QA_DATADIR "/usr/local/share/qaudit"
#endif

static const char USAGE[] =
  "usage: qaudit report CONFIG.json [-o OUTDIR] [--threads N] [--max-memory GB] [--quiet]\n"
  "       qaudit validate FILE.h5 [FILE.h5 ...]\n"
  "       qaudit inspect FILE.h5\n"
  "       qaudit --version | --help\n";

static const char HELP[] =
  "qaudit turns the caches of a model-quantization experiment into a PDF\n"
  "technical report and a JSON of every number in it.\n\n"
  "commands:\n"
  "  report CONFIG.json   write OUTDIR/report.pdf and OUTDIR/report.json\n"
  "    -o, --output OUTDIR  output directory (default: out)\n"
  "    --threads N          worker threads for the analyses (default: all cores)\n"
  "    --max-memory GB      refuse inputs whose arrays need more memory than\n"
  "                         this (default: the memory available now)\n"
  "    -q, --quiet          no progress on stderr\n"
  "  validate FILE.h5 ... check caches against the cache format; one line per\n"
  "                       problem, exit 0 only if all are valid\n"
  "  inspect FILE.h5      print groups, shapes, dtypes and attributes\n\n"
  "exit status: 0 success, 1 usage or configuration error, 2 invalid input\n"
  "data, 3 I/O or internal failure.\n"
  "SOURCE_DATE_EPOCH, when set, fixes every date in the outputs.\n"
  "Documentation: docs/ in the source tree.\n";

static int report_error(const qa_error *err) {
  fprintf(stderr, "qaudit: error: %s\n", err->msg);
  return err->code ? err->code : QA_EXIT_IO;
}

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "qaudit: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", USAGE);
  return QA_EXIT_USAGE;
}

static int is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the fonts are: $QAUDIT_DATADIR, beside the executable (the source
** tree), else the installed data directory. */
static void find_fonts(char *out, size_t cap) {
  const char *env = getenv("QAUDIT_DATADIR");
  if (env && *env) { snprintf(out, cap, "%s/fonts", env); return; }
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) {
      *slash = '\0';
      if (strlen(exe) + sizeof "/fonts" <= cap) {
        memcpy(out, exe, strlen(exe));
        memcpy(out + strlen(exe), "/fonts", sizeof "/fonts");
        if (is_dir(out)) return;
      }
    }
  }
  snprintf(out, cap, "%s/fonts", QA_DATADIR);
}

/* SOURCE_DATE_EPOCH (reproducible builds convention) or now. */
static int output_epoch(long long *epoch, qa_error *err) {
  const char *sde = getenv("SOURCE_DATE_EPOCH");
  if (!sde || !*sde) { *epoch = (long long)time(NULL); return 0; }
  char *end = NULL;
  errno = 0;
  long long v = strtoll(sde, &end, 10);
  if (errno || *end || v < 0 || v > 253402300799LL)
    return qa_error_set(err, QA_EXIT_USAGE, "SOURCE_DATE_EPOCH", NULL,
                        "\"%s\" is not a number of seconds since 1970", sde);
  *epoch = v;
  return 0;
}

typedef struct report_args {
  const char *config, *outdir;
  int threads, quiet;
  double max_memory_gb;    /* 0: what the machine has available */
} report_args;

static int parse_report_args(int argc, char **argv, report_args *a) {
  a->config = NULL;
  a->max_memory_gb = 0;
  a->outdir = "out";
  a->threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (a->threads < 1) a->threads = 1;
  a->quiet = 0;
  for (int i = 2; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-o") || !strcmp(arg, "--output")) {
      if (++i >= argc || !*argv[i]) return usage_error("%s needs a directory", arg);
      a->outdir = argv[i];
    } else if (!strcmp(arg, "--threads")) {
      char *end = NULL;
      if (++i >= argc) return usage_error("%s needs a number", arg);
      long t = strtol(argv[i], &end, 10);
      if (*end || t < 1 || t > 1024)
        return usage_error("--threads: \"%s\" is not a number from 1 to 1024", argv[i]);
      a->threads = (int)t;
    } else if (!strcmp(arg, "--max-memory")) {
      char *end = NULL;
      if (++i >= argc) return usage_error("%s needs a size in GB", arg);
      double gb = strtod(argv[i], &end);
      if (*end || !(gb > 0 && gb < 1e6))
        return usage_error("--max-memory: \"%s\" is not a size in GB (e.g. 8 or 0.5)", argv[i]);
      a->max_memory_gb = gb;
    } else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
      a->quiet = 1;
    } else if (arg[0] == '-' && arg[1]) {
      return usage_error("unknown option %s", arg);
    } else if (!a->config) {
      a->config = arg;
    } else {
      return usage_error("unexpected argument %s", arg);
    }
  }
  if (!a->config) return usage_error("%s", "report needs a configuration file");
  return 0;
}

/* Renders the JSON and the PDF to temporary names, then renames both. */
/* Removes a folder of figures written by qaudit: its *.png files, then the
** folder if that left it empty.  A symlink is removed itself, never
** followed, so nothing outside the output folder is touched. */
static void remove_figures_dir(const char *dir) {
  struct stat st;
  if (lstat(dir, &st) != 0) return;
  if (!S_ISDIR(st.st_mode)) {
    if (S_ISLNK(st.st_mode)) unlink(dir);
    return;
  }
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t n = strlen(e->d_name);
    struct stat fs;
    if (n > 4 && !strcmp(e->d_name + n - 4, ".png") &&
        fstatat(fd, e->d_name, &fs, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(fs.st_mode))
      unlinkat(fd, e->d_name, 0);
  }
  closedir(d);
  rmdir(dir);
}

/* Moves the new figures folder into place, keeping the earlier one aside
** in *backup until the report itself is committed. */
static int place_figures(const char *tmp, const char *final, const char *backup,
                         qa_error *err) {
  struct stat st;
  remove_figures_dir(backup);
  if (lstat(final, &st) == 0 && rename(final, backup) != 0)
    return qa_error_set(err, QA_EXIT_IO, final, NULL, "cannot move the earlier figures aside: %s",
                        strerror(errno));
  if (rename(tmp, final) != 0) {
    int e = errno;
    rename(backup, final);
    return qa_error_set(err, QA_EXIT_IO, final, NULL, "cannot rename into place: %s",
                        strerror(e));
  }
  return 0;
}

static int write_outputs(const cJSON *results, const qa_config *cfg, const qa_study *study,
                         const qa_analysis *analysis, const char *outdir, long long epoch,
                         qa_progress *p, qa_error *err) {
  char json_tmp[4096], pdf_tmp[4096], json_final[4096], pdf_final[4096], fonts[4096];
  char fig_tmp[4096], fig_final[4096], fig_old[4096];
  const char *temps[2] = {json_tmp, pdf_tmp}, *finals[2] = {json_final, pdf_final};
  qa_figure_list figs = {0};
  int rc = -1;
  if (qa_mkdirs(outdir, err)) return -1;
  snprintf(fig_tmp, sizeof fig_tmp, "%s/.figures.tmp-XXXXXX", outdir);
  snprintf(fig_final, sizeof fig_final, "%s/figures", outdir);
  qa_outfile_temp_name(outdir, "figures.old", fig_old, sizeof fig_old);
  find_fonts(fonts, sizeof fonts);
  /* Figures are drawn into a fresh private folder, and move with the rest. */
  qa_progress_stage(p, "figures", fig_final);
  if (!mkdtemp(fig_tmp))
    return qa_error_set(err, QA_EXIT_IO, outdir, NULL, "cannot create a folder: %s",
                        strerror(errno));
  /* mkdtemp makes it private; the figures folder is as readable as the rest. */
  mode_t mask = umask(0);
  umask(mask);
  chmod(fig_tmp, 0777 & ~mask);
  if (qa_figures_render_all(study, analysis, fonts, fig_tmp, &figs, err)) {
    remove_figures_dir(fig_tmp);
    return -1;
  }
  qa_outfile_temp_name(outdir, "report.json", json_tmp, sizeof json_tmp);
  qa_outfile_temp_name(outdir, "report.pdf", pdf_tmp, sizeof pdf_tmp);
  snprintf(json_final, sizeof json_final, "%s/report.json", outdir);
  snprintf(pdf_final, sizeof pdf_final, "%s/report.pdf", outdir);
  char *json = cJSON_Print(results);
  if (!json) return qa_error_set(err, QA_EXIT_IO, json_final, NULL, "out of memory");
  qa_progress_stage(p, "writing", json_final);
  size_t len = strlen(json);
  json[len] = '\n';       /* replaces the terminator: the file ends in a newline */
  rc = qa_write_file(json_tmp, json, len + 1, err);
  free(json);
  if (rc) goto done;
  qa_report_opts ropts = {fonts, epoch, &figs};
  qa_progress_stage(p, "writing", pdf_final);
  if (qa_report_pdf(results, cfg, &ropts, pdf_tmp, err)) { rc = -1; goto done; }
  /* Figures first, the earlier ones kept aside: if the report cannot be
  ** renamed into place, the earlier figures come back. */
  rc = place_figures(fig_tmp, fig_final, fig_old, err);
  if (!rc && qa_outfile_commit(temps, finals, 2, err)) {
    remove_figures_dir(fig_final);
    rename(fig_old, fig_final);
    rc = -1;
  }
  if (!rc) remove_figures_dir(fig_old);
done:
  if (rc) {
    qa_outfile_discard(temps, 2);
    remove_figures_dir(fig_tmp);
  }
  qa_figure_list_free(&figs);
  return rc;
}

static int cmd_report(int argc, char **argv) {
  report_args a;
  qa_error err = {0};
  qa_config *cfg = NULL;
  qa_study *study = NULL;
  qa_analysis *analysis = NULL;
  cJSON *results = NULL;
  qa_progress p;
  long long epoch = 0;
  int rc = parse_report_args(argc, argv, &a);
  if (rc) return rc;
  qa_progress_init(&p, a.quiet);
  if (output_epoch(&epoch, &err) || qa_config_load(a.config, &cfg, &err)) {
    rc = report_error(&err);
    goto done;
  }
  cfg->max_memory_bytes = (uint64_t)(a.max_memory_gb * 1e9);
  /* A bad template fails now, not after the analysis. */
  char fonts[4096];
  find_fonts(fonts, sizeof fonts);
  qa_report_opts topts = {fonts, epoch, NULL};
  if (qa_report_check_template(cfg, &topts, &err) || qa_study_load(cfg, &p, &study, &err)) {
    rc = report_error(&err);
    goto done;
  }
  qa_results_opts ropts = {epoch, a.threads};
  qa_analysis_opts aopts = {a.threads};
  if (qa_analysis_run(study, &aopts, &p, &analysis, &err) ||
      qa_results_build(study, analysis, &ropts, &p, &results, &err) ||
      write_outputs(results, cfg, study, analysis, a.outdir, epoch, &p, &err)) {
    rc = report_error(&err);
    goto done;
  }
  qa_progress_stage(&p, "done", NULL);
  rc = 0;
done:
  cJSON_Delete(results);
  qa_analysis_free(analysis);
  qa_study_free(study);
  qa_config_free(cfg);
  return rc;
}

/* Checks one cache, every /hidden layer included (input/cache.h). */
static int validate_one(const char *path, qa_error *err) {
  return qa_cache_validate(path, err);
}

static int cmd_validate(int argc, char **argv) {
  int worst = 0;
  if (argc < 3) return usage_error("%s", "validate needs at least one file");
  for (int i = 2; i < argc; i++) {
    qa_error err = {0};
    if (validate_one(argv[i], &err)) {
      printf("%s\n", err.msg);
      if (err.code > worst) worst = err.code;
    } else {
      printf("%s: valid\n", argv[i]);
    }
  }
  return worst;
}

static int cmd_inspect(int argc, char **argv) {
  qa_error err = {0};
  if (argc != 3) return usage_error("%s", "inspect needs exactly one file");
  if (qa_cache_inspect(argv[2], stdout, &err)) return report_error(&err);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(USAGE, stderr);
    return QA_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
    printf("qaudit %s\n", QA_VERSION);
    return 0;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    fputs(USAGE, stdout);
    fputs("\n", stdout);
    fputs(HELP, stdout);
    return 0;
  }
  if (!strcmp(cmd, "report")) return cmd_report(argc, argv);
  if (!strcmp(cmd, "validate")) return cmd_validate(argc, argv);
  if (!strcmp(cmd, "inspect")) return cmd_inspect(argc, argv);
  return usage_error("unknown command \"%s\"", cmd);
}

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
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/verify.h"
#include "input/cache.h"
#include "input/config.h"
#include "input/study.h"
#include "figures/figures.h"
#include "report/report.h"
#include "results/results.h"
#include "util/blas.h"
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
  "       qaudit init CACHE.h5 [CACHE.h5 ...] > config.json\n"
  "       qaudit import lm-eval SAMPLES.jsonl [...] -o CACHE.h5 [--model M --variant V]\n"
  "       qaudit import llama-bench BENCH.json -o CACHE.h5 [--model M --variant V]\n"
  "       qaudit verify OUTDIR|REPORT.pdf [-C DIR]\n"
  "       qaudit --version | --help\n";

static const char HELP[] =
  "qaudit turns the caches of a model-quantization experiment into a PDF\n"
  "technical report and a JSON of every number in it.\n\n"
  "commands:\n"
  "  report CONFIG.json   write OUTDIR/report.pdf and OUTDIR/report.json\n"
  "    -o, --output OUTDIR  output directory (default: out)\n"
  "    --threads N          worker threads for the analyses (default: all cores)\n"
  "    --max-memory GB      refuse inputs whose arrays need more memory than\n"
  "                         this (default: the memory available now); from\n"
  "                         1e-9 (one byte) to 2^63 bytes (9.22e9)\n"
  "    -q, --quiet          no progress on stderr\n"
  "  validate FILE.h5 ... check caches against the cache format; one line per\n"
  "                       problem, exit 0 only if all are valid\n"
  "  inspect FILE.h5      print groups, shapes, dtypes and attributes\n"
  "  import lm-eval SAMPLES.jsonl... -o CACHE.h5\n"
  "                       lm_eval --log_samples records (samples_<task>_<date>.jsonl),\n"
  "                       one /eval/<task> per file (docs/import-lm-eval.md)\n"
  "    --metric KEY[,KEY]   0/1 correctness key, the first a file has (default: acc)\n"
  "    --score KEY          a continuous per-item key, to /eval/<task>/score/KEY\n"
  "    --stratum FIELD|none the doc key of each item's stratum (default: subject)\n"
  "    --filter NAME        the lm-eval filter's records (default: the first record's)\n"
  "    --task NAME          the task's name (one file; default: from the file name)\n"
  "  import llama-bench BENCH.json -o CACHE.h5\n"
  "                       llama-bench -o json: decode tests to /perf/decode_tok_s\n"
  "                       (docs/import-llama-bench.md)\n"
  "    --gguf FILE          only the tests of this model_filename\n"
  "    both: --model M --variant V (required for a new cache), --bits B,\n"
  "    --quant-scheme, --calibration, --backend, --hardware TEXT, -q;\n"
  "    an existing CACHE.h5 is added to, never overwritten\n\n"
  "exit status: 0 success, 1 usage or configuration error, 2 invalid input\n"
  "data, 3 I/O or internal failure.\n"
  "SOURCE_DATE_EPOCH, when set, fixes every date in the outputs.\n"
  "Documentation: docs/ in the source tree.\n";

static int report_error(const qa_error *err) { return qa_cli_report_error(err); }

static int usage_error(const char *fmt, const char *arg) { return qa_cli_usage_error(fmt, arg); }

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
  uint64_t max_memory_bytes;   /* 0: what the machine has available */
} report_args;

/* --max-memory in GB (1e9 bytes): at least one byte, so that no value
** rounds to 0 (which means "what is available"), and at most 2^63 bytes;
** NaN, infinities, negatives and trailing text are refused. */
static int parse_max_memory(const char *text, uint64_t *bytes) {
  char *end = NULL;
  errno = 0;
  double gb = strtod(text, &end);
  if (end == text || *end || errno == ERANGE) return -1;
  double b = gb * 1e9;
  if (!(b >= 1.0 && b <= 9223372036854775808.0)) return -1;
  *bytes = (uint64_t)b;
  return 0;
}

static int parse_report_args(int argc, char **argv, report_args *a) {
  a->config = NULL;
  a->max_memory_bytes = 0;
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
      if (++i >= argc) return usage_error("%s needs a size in GB", arg);
      if (parse_max_memory(argv[i], &a->max_memory_bytes))
        return usage_error("--max-memory: \"%s\" is not a size in GB from 1e-9 (one byte) "
                           "to 2^63 bytes (9.22e9), e.g. 8 or 0.5", argv[i]);
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

/* The outputs of one report: the figures folder, the JSON and the PDF, each
** with its temporary twin in OUTDIR.  Committed in this order. */
enum { OUT_FIGURES, OUT_JSON, OUT_PDF, OUT_N };

typedef struct out_names {
  char temp[OUT_N][4200], final[OUT_N][4200];
  qa_outfile outs[OUT_N];
} out_names;

static int name_outputs(const char *outdir, out_names *o, qa_error *err) {
  static const char *const names[OUT_N] = {"figures", "report.json", "report.pdf"};
  for (int i = 0; i < OUT_N; i++) {
    if ((size_t)snprintf(o->final[i], sizeof o->final[i], "%s/%s", outdir, names[i]) >=
        sizeof o->final[i])
      return qa_error_set(err, QA_EXIT_IO, outdir, NULL, "output path too long");
    qa_outfile_temp_name(outdir, names[i], o->temp[i], sizeof o->temp[i]);
    o->outs[i] = (qa_outfile){o->temp[i], o->final[i], i == OUT_FIGURES};
  }
  /* The figures are drawn into a fresh private folder (mkdtemp). */
  snprintf(o->temp[OUT_FIGURES], sizeof o->temp[OUT_FIGURES], "%s/.figures.tmp-XXXXXX", outdir);
  return 0;
}

/* Renders the figures, the JSON and the PDF to temporary names, then
** commits the three together (qa_outfile_commit): all or nothing. */
static int write_outputs(const cJSON *results, const qa_config *cfg, const qa_study *study,
                         const qa_analysis *analysis, const char *outdir, long long epoch,
                         int threads, qa_progress *p, qa_error *err) {
  char fonts[4096];
  out_names o;
  qa_figure_list figs = {0};
  int rc = -1, made_figures = 0;
  if (qa_mkdirs(outdir, err) || name_outputs(outdir, &o, err)) return -1;
  /* Before anything is written: an OUTDIR/report.pdf that is a folder, or an
  ** OUTDIR/figures that is the user's own file, is refused now. */
  if (qa_outfile_check(o.outs, OUT_N, err)) return -1;
  find_fonts(fonts, sizeof fonts);
  qa_progress_stage(p, "figures", o.final[OUT_FIGURES]);
  if (!mkdtemp(o.temp[OUT_FIGURES]))
    return qa_error_set(err, QA_EXIT_IO, outdir, NULL, "cannot create a folder: %s",
                        strerror(errno));
  made_figures = 1;
  /* mkdtemp makes it private; the figures folder is as readable as the rest. */
  mode_t mask = umask(0);
  umask(mask);
  chmod(o.temp[OUT_FIGURES], 0777 & ~mask);
  if (qa_figures_render_all(study, analysis, fonts, o.temp[OUT_FIGURES], threads, &figs, err)) goto done;
  char *json = cJSON_Print(results);
  if (!json) {
    qa_error_set(err, QA_EXIT_IO, o.final[OUT_JSON], NULL, "out of memory");
    goto done;
  }
  qa_progress_stage(p, "writing", o.final[OUT_JSON]);
  size_t len = strlen(json);
  json[len] = '\n';       /* replaces the terminator: the file ends in a newline */
  int written = qa_write_file(o.temp[OUT_JSON], json, len + 1, err);
  /* The PDF carries report.json and the configuration (cli/verify.h). */
  qa_verify_evidence ev;
  if (!written) written = qa_verify_evidence_make(&ev, json, len + 1, cfg, threads, err);
  if (written) { free(json); goto done; }
  qa_report_opts ropts = {fonts, epoch, &figs};
  qa_progress_stage(p, "writing", o.final[OUT_PDF]);
  written = qa_report_pdf_attached(results, cfg, &ropts, ev.items, QA_VERIFY_N_ATTACH,
                                   o.temp[OUT_PDF], err);
  qa_verify_evidence_free(&ev);
  free(json);
  if (written) goto done;
  /* Checks every target again, then renames, undoing on failure. */
  if (qa_outfile_commit(o.outs, OUT_N, err)) {
    made_figures = 0;     /* the commit removed every temporary */
    goto done;
  }
  rc = 0;
done:
  if (rc && made_figures) qa_outfile_discard(o.outs, OUT_N);
  qa_figure_list_free(&figs);
  return rc;
}

/* Reads the template now, so that a bad one fails before the analysis.  A
** template chosen with the "template" key that cannot be read as a whole
** (missing, a FIFO, a device, too large) is named with that key too, as a
** cache is with its file key; an error at a line of it names the line. */
static int check_template(const qa_config *cfg, const qa_report_opts *o, qa_error *err) {
  if (!qa_report_check_template(cfg, o, err)) return 0;
  if (!cfg->template_dir) return -1;
  char file[4200];
  qa_report_template_dir(cfg, o, file, sizeof file);
  size_t n = strlen(file);
  if (n + sizeof "/report.tmpl" > sizeof file) return -1;
  memcpy(file + n, "/report.tmpl", sizeof "/report.tmpl");
  n = strlen(file);
  if (strncmp(err->msg, file, n) != 0 || strncmp(err->msg + n, ": ", 2) != 0) return -1;
  char msg[sizeof err->msg];
  snprintf(msg, sizeof msg, "%s", err->msg);
  return qa_error_set(err, err->code, cfg->path, "template", "%s", msg);
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
  cfg->max_memory_bytes = a.max_memory_bytes;
  /* A bad template fails now, not after the analysis. */
  char fonts[4096];
  find_fonts(fonts, sizeof fonts);
  qa_report_opts topts = {fonts, epoch, NULL};
  if (check_template(cfg, &topts, &err) || qa_study_load(cfg, &p, &study, &err)) {
    rc = report_error(&err);
    goto done;
  }
  qa_results_opts ropts = {epoch, a.threads};
  qa_analysis_opts aopts = {a.threads};
  if (qa_analysis_run(study, &aopts, &p, &analysis, &err) ||
      qa_results_build(study, analysis, &ropts, &p, &results, &err) ||
      write_outputs(results, cfg, study, analysis, a.outdir, epoch, a.threads, &p, &err)) {
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
  /* Buffers of 1 MiB and more come from the kernel and go back to it when
  ** freed: glibc's default raises that threshold as large blocks are freed
  ** and then keeps them in each thread's arena, so parallel workers would
  ** hold each other's freed buffers (docs/performance.md, peak memory). */
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  /* The right BLAS kernels before anything runs (util/blas.h). */
  qa_blas_select(argv);
  if (argc < 2) return usage_error("%s", "no command given");
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
    printf("qaudit %s\n", QA_VERSION);
    printf("BLAS: %s; core %s, %s\n", qa_openblas_version(), qa_blas_core(), qa_blas_core_origin());
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
  if (!strcmp(cmd, "init")) return qa_cmd_init(argc, argv);
  if (!strcmp(cmd, "import")) return qa_cmd_import(argc, argv);
  if (!strcmp(cmd, "verify")) return qa_cmd_verify(argc, argv);
  return usage_error("unknown command \"%s\"", cmd);
}

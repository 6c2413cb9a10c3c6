/*
** `qaudit import` inside (cli/import.c, import_lmeval.c, import_bench.c,
** import_write.c): another tool's output read into an import_cache, an
** in-memory picture of the cache to write, then written as HDF5.
**
** The readers (import_lmeval.c, import_bench.c) parse and check their
** format and fill an import_cache; they never touch HDF5.  The writer
** (import_write.c) writes it into a temporary file, and import.c renames
** that into place only once everything is written and the result passes
** the cache reader's own checks.  None of them prints: errors are
** qa_errors, turned into one line by the command.
*/
#ifndef QA_CLI_IMPORT_INTERNAL_H
#define QA_CLI_IMPORT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* One /eval/<task> group to write. */
typedef struct import_task {
  char *name;              /* <task> */
  const char *source;      /* the file it came from (for messages) */
  size_t n_items, cap;
  int64_t *ids;            /* [n_items]: lm-eval's doc_id */
  char *metric;            /* the key correct came from */
  uint8_t *correct;        /* [n_items] 0/1 */
  char *score_name;        /* /eval/<task>/score/<score_name>, or NULL */
  double *score;           /* [n_items] when score_name */
  int32_t *stratum;        /* [n_items] in [0, n_strata), or NULL */
  size_t n_strata, cap_strata;
  char **stratum_names;    /* in order of first appearance */
  char *filter;            /* the lm-eval filter of the records taken, or NULL */
  size_t n_other_filter;   /* records of other filters, left out */
} import_task;

/* A root attribute: NULL/has_* 0 when not set. */
typedef struct import_attrs {
  char *model, *variant, *quant_scheme, *calibration, *backend, *hardware;
  int has_bits_per_weight; double bits_per_weight;
  int has_params;          int64_t params;
} import_attrs;

typedef struct import_cache {
  import_attrs given;      /* from the command line: must agree with an existing cache */
  import_attrs derived;    /* from the input: fill in only what is missing */
  size_t n_tasks;
  import_task *tasks;
  size_t n_decode;
  double *decode_tok_s;    /* /perf/decode_tok_s, or NULL */
} import_cache;

/* Options of `import lm-eval` (docs/import-lm-eval.md). */
typedef struct import_lmeval_opts {
  const char *task;        /* --task: the task's name (one file only), or NULL */
  const char *metric;      /* --metric: the 0/1 correctness key, or a comma-separated
                              list of them, the first a file has used (default "acc") */
  const char *score;       /* --score: a continuous per-item key, or NULL */
  const char *stratum;     /* --stratum: a key of doc, "none", or NULL (doc.subject if present) */
  const char *filter;      /* --filter: which lm-eval filter's records, or NULL (the first) */
  int quiet;
} import_lmeval_opts;

/* Options of `import llama-bench` (docs/import-llama-bench.md). */
typedef struct import_bench_opts {
  const char *gguf;        /* --gguf: only tests of this model_filename, or NULL */
} import_bench_opts;

/* Reads one samples_<task>_<date>.jsonl file into a new task of c.
** Returns 0, or -1 with err naming FILE:LINE (exit 2), FILE (exit 3 when
** unreadable) or the option at fault (exit 1). */
int qa_import_lmeval_file(const char *path, const import_lmeval_opts *o, import_cache *c,
                          qa_error *err);

/* Reads llama-bench's -o json (or -o jsonl) output into c's decode
** throughput and derived attributes.  Returns 0, or -1 with err naming
** FILE:KEY (exit 2) or FILE (exit 3 when unreadable). */
int qa_import_bench_file(const char *path, const import_bench_opts *o, import_cache *c,
                         qa_error *err);

/* Writes attrs (those set) and c's tasks and throughput into the HDF5 file
** at path: a new file when existing is 0, else the copy of the cache being
** added to, which holds none of them yet (import.c checked).  final names
** the cache in messages. */
int qa_import_write(const char *path, const char *final, int existing,
                    const import_attrs *attrs, const import_cache *c, qa_error *err);

/* The whole file at path, NUL-terminated, into *out (caller frees), its
** length in *len; a regular file only (util/infile.h).  what names the
** expected content in the error. */
int qa_import_read_text(const char *path, const char *what, char **out, size_t *len,
                        qa_error *err);

/* The next non-blank line of text[*at .. len): 1 with *start and *n (the
** line without its newline) set and *line its 1-based number, 0 at the end.
** *at and *line start at 0; lines of blanks only are skipped (counted). */
int qa_import_next_line(const char *text, size_t len, size_t *at, size_t *line,
                        const char **start, size_t *n);

/* 1-based line number of offset off in text. */
size_t qa_import_line_of(const char *text, size_t off);

void qa_import_cache_free(import_cache *c);

#endif

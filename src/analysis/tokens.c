/*
** Token-level outputs, stages 2 and 3 (tokens.h): streaming the logits of
** a model's caches in lockstep, and the numbers of STATISTICS.md
** "Token-level outputs" from the per-token values.
*/
#include "analysis/tokens.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analysis/stats.h"
#include "input/cache.h"
#include "input/isolate.h"
#include "input/tokread.h"
#include "util/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

const double qa_tok_kld_q[QA_TOK_KLD_PCTS] = {1.0, 0.999, 0.99, 0.95, 0.90, 0.5,
                                              0.10, 0.05, 0.01, 0.001, 0.0};
const double qa_tok_dp_q[QA_TOK_DP_PCTS] = {1.0, 0.999, 0.99, 0.95, 0.90, 0.75, 0.5,
                                            0.25, 0.10, 0.05, 0.01, 0.001, 0.0};
const char *const qa_tok_kld_keys[QA_TOK_KLD_PCTS] = {
  "max", "p99_9", "p99", "p95", "p90", "median", "p10", "p05", "p01", "p00_1", "min"};
const char *const qa_tok_dp_keys[QA_TOK_DP_PCTS] = {
  "max", "p99_9", "p99", "p95", "p90", "p75", "median", "p25", "p10", "p05", "p01", "p00_1",
  "min"};

void qa_tokens_values_free(qa_tokens_values *v) {
  if (!v) return;
  free(v->nll);
  free(v->kld);
  free(v->dp);
  free(v->same);
  memset(v, 0, sizeof *v);
}

void qa_tokens_result_free(qa_tokens_result *r) {
  if (!r) return;
  free(r->slices);
  free(r->nll);
  free(r->kld);
  r->slices = NULL;
  r->nll = r->kld = NULL;
}

/* Arrays of T values for each of nv variants; the baseline (k = 0) is
** compared with itself: kld 0, dp 0, same 1. */
static int alloc_values(qa_tokens_values *out, size_t nv, size_t t) {
  for (size_t k = 0; k < nv; k++) {
    out[k].nll = malloc(t * sizeof(double));
    out[k].kld = malloc(t * sizeof(double));
    out[k].dp = malloc(t * sizeof(double));
    out[k].same = malloc(t);
    if (!out[k].nll || !out[k].kld || !out[k].dp || !out[k].same) {
      for (size_t i = 0; i <= k; i++) qa_tokens_values_free(&out[i]);
      return -1;
    }
  }
  for (size_t i = 0; i < t; i++) {
    out[0].kld[i] = 0;
    out[0].dp[i] = 0;
    out[0].same[i] = 1;
  }
  return 0;
}

/* ---- the row loop both paths share ------------------------------------ */

/* Per-thread buffers: the baseline's row, its probabilities, a variant's row. */
typedef struct row_bufs { double *xb, *p, *xv; } row_bufs;

static int bufs_alloc(row_bufs *b, size_t v) {
  b->xb = malloc(v * sizeof(double));
  b->p = malloc(v * sizeof(double));
  b->xv = malloc(v * sizeof(double));
  return b->xb && b->p && b->xv ? 0 : -1;
}

static void bufs_free(row_bufs *b) {
  free(b->xb);
  free(b->p);
  free(b->xv);
}

/* Where a value was not finite: the earliest position, then file, wins. */
typedef struct bad_at { size_t row, col, file; int found; } bad_at;

static void note_bad(bad_at *b, size_t row, size_t file, size_t col) {
  if (!b->found || row < b->row || (row == b->row && file < b->file)) {
    b->found = 1;
    b->row = row;
    b->file = file;
    b->col = col;
  }
}

/* Where the values of a position go. */
typedef struct sink {
  double **nll, **kld, **dp;
  uint8_t **same;
} sink;

/* Position t: the baseline's row xb (already widened into b->xb) against
** every variant row produced by get(k). */
typedef const double *(*row_fn)(void *ctx, size_t k, size_t t, double *buf, double *max,
                                bad_at *bad);

static void one_position(size_t t, size_t nv, size_t v, int32_t y, row_bufs *b, row_fn get,
                         void *ctx, const sink *s, bad_at *bad) {
  double mb = NAN, mv = NAN;
  const double *xb = get(ctx, 0, t, b->xb, &mb, bad);
  if (!xb) return;
  qa_tokens_base_row base = {0, 0, 0, b->p, 0};
  qa_tokens_base_m(xb, v, y, mb, &base);
  s->nll[0][t] = base.nll;
  for (size_t k = 1; k < nv; k++) {
    mv = NAN;
    const double *xv = get(ctx, k, t, b->xv, &mv, bad);
    if (!xv) continue;
    qa_tokens_row_m(&base, xb, xv, v, y, mv, &s->nll[k][t], &s->kld[k][t], &s->dp[k][t],
                    &s->same[k][t]);
  }
}

/* ---- in memory ---------------------------------------------------------- */

typedef struct mem_ctx { const double *const *logits; size_t v; } mem_ctx;

static const double *mem_row(void *ctx, size_t k, size_t t, double *buf, double *max,
                             bad_at *bad) {
  (void)max;                         /* found by the row functions */
  mem_ctx *m = ctx;
  const double *row = m->logits[k] + t * m->v;
  for (size_t j = 0; j < m->v; j++)
    if (!isfinite(row[j])) {
      note_bad(bad, t, k, j);
      return NULL;
    }
  (void)buf;
  return row;
}

int qa_tokens_from_memory(const double *const *logits, size_t nv, size_t t_rows,
                          size_t v_cols, const int32_t *targets, size_t block_rows,
                          qa_tokens_values *out, qa_error *err) {
  memset(out, 0, nv * sizeof *out);
  if (alloc_values(out, nv, t_rows)) return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  row_bufs b;
  if (bufs_alloc(&b, v_cols)) {
    bufs_free(&b);
    for (size_t k = 0; k < nv; k++) qa_tokens_values_free(&out[k]);
    return qa_error_set(err, QA_EXIT_IO, NULL, NULL, "out of memory");
  }
  double *nll[nv], *kld[nv], *dp[nv];
  uint8_t *same[nv];
  for (size_t k = 0; k < nv; k++) {
    nll[k] = out[k].nll;
    kld[k] = out[k].kld;
    dp[k] = out[k].dp;
    same[k] = out[k].same;
  }
  sink s = {nll, kld, dp, same};
  mem_ctx m = {logits, v_cols};
  bad_at bad = {0, 0, 0, 0};
  size_t blk = block_rows ? block_rows : t_rows;
  for (size_t r0 = 0; r0 < t_rows && !bad.found; r0 += blk)
    for (size_t t = r0; t < t_rows && t < r0 + blk; t++)
      one_position(t, nv, v_cols, targets[t], &b, mem_row, &m, &s, &bad);
  bufs_free(&b);
  if (bad.found) {
    for (size_t k = 0; k < nv; k++) qa_tokens_values_free(&out[k]);
    return qa_error_set(err, QA_EXIT_DATA, NULL, "/tokens/logits",
                        "not finite at position %zu, column %zu of variant %zu", bad.row,
                        bad.col, bad.file);
  }
  return 0;
}

/* ---- streaming ---------------------------------------------------------- */

/* The per-token values in memory shared with the reading child. */
typedef struct shared_out {
  void *base;
  size_t bytes;
  double **nll, **kld, **dp;
  uint8_t **same;
  volatile size_t *reading;          /* the file being read, for crash messages */
  char (*digests)[65];               /* [nv] or NULL */
} shared_out;

typedef struct stream_job {
  const char *const *paths;
  size_t nv, t, v, block;
  const int32_t *targets;
  int threads;
  qa_progress *progress;
  const char *label;
  shared_out *sh;
} stream_job;

/* One block of rows being worked on by the threads. */
typedef struct block_ctx {
  void **raw;                        /* [nv] raw rows of the block */
  int *kind;                         /* [nv] QA_TOKRAW_* */
  size_t *elem;
  size_t r0, v;
} block_ctx;

static const double *raw_row(void *ctx, size_t k, size_t t, double *buf, double *max,
                             bad_at *bad) {
  block_ctx *c = ctx;
  const char *row = (const char *)c->raw[k] + (t - c->r0) * c->v * c->elem[k];
  size_t j = qa_tokread_row_to_double_max(c->kind[k], row, c->v, buf, max);
  if (j < c->v) {
    note_bad(bad, t, k, j);
    return NULL;
  }
  return buf;
}

typedef struct worker {
  pthread_t th;
  block_ctx *blk;
  const stream_job *job;
  size_t from, to;                   /* rows of the block */
  int running;                       /* a thread to join */
  row_bufs bufs;
  bad_at bad;
  sink s;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  for (size_t t = w->from; t < w->to && !w->bad.found; t++)
    one_position(t, w->job->nv, w->job->v, w->job->targets[t], &w->bufs, raw_row, w->blk,
                 &w->s, &w->bad);
  return NULL;
}

static size_t cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (size_t)n : 1;
}

/* Rows per block: about 8 MB of raw logits per file and buffer, a multiple
** of the baseline's chunk rows when a chunk row is smaller than that. */
static size_t pick_block(size_t want, size_t t, size_t v, size_t elem, size_t chunk_rows) {
  if (want) return want < t ? want : t;
  size_t b = (8u << 20) / (v * elem);
  if (b < 1) b = 1;
  /* Whole chunk rows when a chunk row is at most 64 MB: read directly. */
  if (chunk_rows && chunk_rows * v * elem <= ((size_t)64 << 20))
    b = chunk_rows * (b / chunk_rows > 0 ? b / chunk_rows : 1);
  return b < t ? b : t;
}

/* ---- hashing in lockstep ---------------------------------------------- */

/* The SHA-256 of every file, read in 4 MB pieces a little ahead of where
** the stream has read (the same fraction of each file), so that one of the
** two reads of a byte finds it in the page cache: the logits leave the
** disk once even when they are far larger than memory.  One thread per
** file: SHA-256 runs at about 2 GB/s on a core (SHA extensions), slower
** than the page cache delivers, so one thread for all files was the
** report's bottleneck when the files are cached (docs/performance.md). */
typedef struct hash_gate {
  size_t t;
  size_t rows_read;                  /* atomically: rows the stream has read */
  int stop;                          /* atomically: give up */
} hash_gate;

typedef struct hasher {
  pthread_t th;
  int running;
  const char *path;
  hash_gate *gate;
  char *out;                         /* [65] */
  int failed;
  int failed_errno;
} hasher;

#define HASH_PIECE ((size_t)4 << 20)
#define HASH_LEAD ((uint64_t)64 << 20)

static void *hash_work(void *arg) {
  hasher *h = arg;
  hash_gate *g = h->gate;
  qa_sha256 ctx;
  struct stat st;
  unsigned char *buf = malloc(HASH_PIECE);
  int fd = buf ? open(h->path, O_RDONLY | O_NONBLOCK) : -1;
  if (!buf || fd < 0 || fstat(fd, &st) != 0) {
    h->failed = 1;
    h->failed_errno = !buf ? ENOMEM : errno;
    if (fd >= 0) close(fd);
    free(buf);
    return NULL;
  }
  uint64_t size = (uint64_t)st.st_size, pos = 0;
  qa_sha256_init(&ctx);
  while (pos < size && !__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
    size_t rr = __atomic_load_n(&g->rows_read, __ATOMIC_ACQUIRE);
    uint64_t limit = rr >= g->t ? size
                     : (uint64_t)((double)size * (double)rr / (double)g->t) + HASH_LEAD;
    if (limit > size) limit = size;
    if (pos >= limit) {
      struct timespec nap = {0, 1000000};
      nanosleep(&nap, NULL);
      continue;
    }
    size_t want = limit - pos < HASH_PIECE ? (size_t)(limit - pos) : HASH_PIECE;
    ssize_t n = pread(fd, buf, want, (off_t)pos);
    if (n <= 0) {
      h->failed = 1;
      h->failed_errno = n < 0 ? errno : EIO;
      break;
    }
    qa_sha256_update(&ctx, buf, (size_t)n);
    pos += (uint64_t)n;
  }
  if (!h->failed && pos == size) qa_sha256_final(&ctx, h->out);
  else if (!h->failed) h->failed = -1;   /* stopped: no digest */
  close(fd);
  free(buf);
  return NULL;
}

static int stream_run(void *arg, qa_error *err) {
  stream_job *j = arg;
  size_t nv = j->nv;
  qa_tokread *rd[nv];
  void *raw[2][nv];
  int kind[nv];
  size_t elem[nv];
  memset(rd, 0, sizeof rd);
  memset(raw, 0, sizeof raw);
  int rc = 0;
  for (size_t k = 0; k < nv && !rc; k++) {
    *j->sh->reading = k;
    if (qa_tokread_open(j->paths[k], j->t, j->v, &rd[k], err)) rc = -1;
    else {
      kind[k] = qa_tokread_kind(rd[k]);
      elem[k] = qa_tokread_elem(rd[k]);
    }
  }
  size_t nth = j->threads > 0 ? (size_t)j->threads : cpu_count();
  worker *ws = rc ? NULL : calloc(nth, sizeof *ws);
  size_t blk = rc ? 0 : pick_block(j->block, j->t, j->v, elem[0], qa_tokread_chunk_rows(rd[0]));
  if (!rc && !ws) rc = qa_error_set(err, QA_EXIT_IO, j->paths[0], "/tokens/logits", "out of memory");
  for (size_t k = 0; k < nv && !rc; k++) {
    *j->sh->reading = k;
    rc = qa_tokread_plan(rd[k], blk, err);
  }
  for (size_t k = 0; k < nv && !rc; k++)
    for (int s = 0; s < 2 && !rc; s++)
      if (!(raw[s][k] = malloc(blk * j->v * elem[k])))
        rc = qa_error_set(err, QA_EXIT_IO, j->paths[k], "/tokens/logits", "out of memory");
  for (size_t i = 0; i < nth && !rc; i++) {
    ws[i].job = j;
    ws[i].s = (sink){j->sh->nll, j->sh->kld, j->sh->dp, j->sh->same};
    if (bufs_alloc(&ws[i].bufs, j->v))
      rc = qa_error_set(err, QA_EXIT_IO, j->paths[0], "/tokens/logits", "out of memory");
  }
  size_t n_blocks = rc ? 0 : (j->t + blk - 1) / blk;
  hash_gate gate = {j->t, 0, 0};
  hasher hs[nv];
  int hashing = 0;
  memset(hs, 0, sizeof hs);
  if (!rc && j->sh->digests) {
    hashing = 1;
    for (size_t k = 0; k < nv; k++) {
      hs[k] = (hasher){0, 0, j->paths[k], &gate, j->sh->digests[k], 0, 0};
      if (pthread_create(&hs[k].th, NULL, hash_work, &hs[k]) == 0) {
        hs[k].running = 1;
      } else {                          /* no thread: this file hashed first */
        hash_gate all = {j->t, j->t, 0};
        hs[k].gate = &all;
        hash_work(&hs[k]);
        hs[k].gate = &gate;
      }
    }
  }
  /* Block b+1 is read while the threads work on block b. */
  for (size_t k = 0; k < nv && !rc && n_blocks; k++) {
    *j->sh->reading = k;
    rc = qa_tokread_rows(rd[k], 0, blk < j->t ? blk : j->t, raw[0][k], err);
  }
  if (hashing) __atomic_store_n(&gate.rows_read, blk < j->t ? blk : j->t, __ATOMIC_RELEASE);
  bad_at bad = {0, 0, 0, 0};
  for (size_t b = 0; b < n_blocks && !rc; b++) {
    int cur = (int)(b & 1);
    size_t r0 = b * blk, r1 = r0 + blk < j->t ? r0 + blk : j->t;
    block_ctx ctx = {raw[cur], kind, elem, r0, j->v};
    size_t per = (r1 - r0 + nth - 1) / nth;
    for (size_t i = 0; i < nth; i++) {
      ws[i].blk = &ctx;
      ws[i].from = r0 + i * per < r1 ? r0 + i * per : r1;
      ws[i].to = ws[i].from + per < r1 ? ws[i].from + per : r1;
      ws[i].running = 0;
      if (ws[i].from >= ws[i].to) continue;
      if (pthread_create(&ws[i].th, NULL, work, &ws[i]) == 0) ws[i].running = 1;
      else work(&ws[i]);               /* no thread: done inline */
    }
    /* Meanwhile, the next block. */
    size_t n0 = r1, n1 = n0 + blk < j->t ? n0 + blk : j->t;
    for (size_t k = 0; k < nv && !rc && n0 < j->t; k++) {
      *j->sh->reading = k;
      rc = qa_tokread_rows(rd[k], n0, n1 - n0, raw[!cur][k], err);
    }
    if (hashing) __atomic_store_n(&gate.rows_read, n1, __ATOMIC_RELEASE);
    for (size_t i = 0; i < nth; i++) {
      if (ws[i].running) pthread_join(ws[i].th, NULL);
      if (ws[i].bad.found) note_bad(&bad, ws[i].bad.row, ws[i].bad.file, ws[i].bad.col);
    }
    if (bad.found && !rc) {
      double x = 0;
      const char *row = (const char *)raw[cur][bad.file] +
                        ((bad.row - r0) * j->v + bad.col) * elem[bad.file];
      qa_tokread_row_to_double_plain(kind[bad.file], row, 1, &x);
      rc = qa_error_set(err, QA_EXIT_DATA, j->paths[bad.file], "/tokens/logits",
                        "%s at position %zu, column %zu; logits must be finite",
                        isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf", bad.row, bad.col);
    }
    if (j->progress) qa_progress_count(j->progress, "token logits", b + 1, n_blocks, "blocks");
  }
  if (hashing) {
    if (rc) __atomic_store_n(&gate.stop, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&gate.rows_read, j->t, __ATOMIC_RELEASE);
    for (size_t k = 0; k < nv; k++)
      if (hs[k].running) pthread_join(hs[k].th, NULL);
  }
  for (size_t k = 0; !rc && hashing && k < nv; k++)   /* the first file that failed */
    if (hs[k].failed > 0)
      rc = qa_error_set(err, QA_EXIT_IO, j->paths[k], NULL,
                        "cannot be read to its end for its SHA-256: %s",
                        strerror(hs[k].failed_errno));
  for (size_t i = 0; ws && i < nth; i++) bufs_free(&ws[i].bufs);
  free(ws);
  for (size_t k = 0; k < nv; k++) {
    free(raw[0][k]);
    free(raw[1][k]);
    qa_tokread_close(rd[k]);
  }
  return rc;
}

int qa_tokens_stream(const char *const *paths, size_t nv, size_t t_rows, size_t v_cols,
                     const int32_t *targets, const qa_tokens_stream_opts *opts,
                     qa_tokens_values *out, qa_error *err) {
  memset(out, 0, nv * sizeof *out);
  if (nv == 0 || t_rows == 0 || v_cols == 0) return 0;
  /* Shared: nll of every file, kld/dp/same of the variants. */
  size_t per_var = t_rows * (3 * sizeof(double) + 1);
  size_t digest_bytes = opts && opts->digests ? nv * 65 : 0;
  size_t bytes = 64 + t_rows * sizeof(double) + (nv - 1) * per_var + digest_bytes;
  uint64_t avail = qa_memory_available();
  if ((double)bytes * 2.2 > (double)avail)
    return qa_error_set(err, QA_EXIT_DATA, paths[0], "/tokens/logits",
                        "%zu positions of %zu files need %.2f GB for the per-token values, "
                        "more than the %.2f GB available", t_rows, nv, 2.2 * (double)bytes / 1e9,
                        (double)avail / 1e9);
  void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return qa_error_set(err, QA_EXIT_IO, paths[0], NULL, "out of memory");
  double *nll[nv], *kld[nv], *dp[nv];
  uint8_t *same[nv];
  char *at = (char *)mem + 64;
  for (size_t k = 0; k < nv; k++) {
    nll[k] = (double *)at;
    at += t_rows * sizeof(double);
    if (k == 0) { kld[0] = dp[0] = NULL; same[0] = NULL; continue; }
    kld[k] = (double *)at;
    at += t_rows * sizeof(double);
    dp[k] = (double *)at;
    at += t_rows * sizeof(double);
  }
  for (size_t k = 1; k < nv; k++) {
    same[k] = (uint8_t *)at;
    at += t_rows;
  }
  shared_out sh = {mem, bytes, nll, kld, dp, same, (volatile size_t *)mem,
                   digest_bytes ? (char (*)[65])at : NULL};
  *sh.reading = 0;
  stream_job job = {paths, nv, t_rows, v_cols, opts ? opts->block_rows : 0, targets,
                    opts ? opts->threads : 0, opts ? opts->progress : NULL,
                    opts ? opts->label : NULL, &sh};
  int rc;
  if (!opts || opts->isolate) {
    double timeout = 0;
    for (size_t k = 0; k < nv; k++) timeout += qa_isolation_timeout(paths[k]);
    rc = qa_isolated(paths[0], stream_run, &job, timeout, err);
    /* A crash or a time-out is named after the file being read then. */
    size_t k = *sh.reading;
    if (rc && k < nv && k > 0 && err &&
        (strstr(err->msg, "crashed") || strstr(err->msg, "longer than")) &&
        strncmp(err->msg, paths[0], strlen(paths[0])) == 0) {
      char rest[sizeof err->msg];
      snprintf(rest, sizeof rest, "%s", err->msg + strlen(paths[0]));
      snprintf(err->msg, sizeof err->msg, "%s%s", paths[k], rest);
    }
  } else {
    rc = stream_run(&job, err);
  }
  if (!rc && alloc_values(out, nv, t_rows))
    rc = qa_error_set(err, QA_EXIT_IO, paths[0], NULL, "out of memory");
  if (!rc)
    for (size_t k = 0; k < nv; k++) {
      memcpy(out[k].nll, nll[k], t_rows * sizeof(double));
      if (k == 0) continue;
      memcpy(out[k].kld, kld[k], t_rows * sizeof(double));
      memcpy(out[k].dp, dp[k], t_rows * sizeof(double));
      memcpy(out[k].same, same[k], t_rows);
    }
  if (!rc && sh.digests) memcpy(opts->digests, sh.digests, nv * 65);
  munmap(mem, bytes);
  return rc;
}

/* ---- stage 3: the numbers ----------------------------------------------- */

/* Dense group numbers of the documents: g[t] in [0, G), by doc id order. */
typedef struct doc_pos { int64_t doc; size_t t; } doc_pos;

static int cmp_doc_pos(const void *a, const void *b) {
  const doc_pos *x = a, *y = b;
  if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
  return x->t < y->t ? -1 : x->t > y->t;
}

static int doc_groups(const int64_t *doc, size_t t, uint32_t *g, size_t *n_groups) {
  if (!doc) {
    memset(g, 0, t * sizeof *g);
    *n_groups = t ? 1 : 0;
    return 0;
  }
  doc_pos *dp = malloc((t ? t : 1) * sizeof *dp);
  if (!dp) return -1;
  for (size_t i = 0; i < t; i++) dp[i] = (doc_pos){doc[i], i};
  qsort(dp, t, sizeof *dp, cmp_doc_pos);
  size_t G = 0;
  for (size_t i = 0; i < t; i++) {
    if (i == 0 || dp[i].doc != dp[i - 1].doc) G++;
    g[dp[i].t] = (uint32_t)(G - 1);
  }
  free(dp);
  *n_groups = G;
  return 0;
}

/* Mean of x over the positions of slice s (every position when slice is
** NULL or s < 0); uses x8 when x is NULL (0/1 bytes). */
static int in_slice(const int32_t *slice, int s, size_t t) { return s < 0 || !slice || slice[t] == s; }

static double value(const double *x, const uint8_t *x8, size_t t) { return x ? x[t] : (double)x8[t]; }

/* Clustered SE of the mean over the positions in slice s: r_g sums of the
** deviations, sqrt(G/(G−1) Σ r_g²)/n (STATISTICS.md "Token-level"). */
static double se_doc_of(const double *x, const uint8_t *x8, const uint32_t *g, size_t G,
                        const int32_t *slice, int s, size_t t, double *r, size_t *groups) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = 0; i < t; i++)
    if (in_slice(slice, s, i)) {
      sum += value(x, x8, i);
      n++;
    }
  if (groups) *groups = 0;
  if (!n) return NAN;
  double mean = sum / (double)n;
  memset(r, 0, G * sizeof *r);
  uint8_t *seen = (uint8_t *)(r + G);
  memset(seen, 0, G);
  size_t used = 0;
  for (size_t i = 0; i < t; i++)
    if (in_slice(slice, s, i)) {
      r[g[i]] += value(x, x8, i) - mean;
      if (!seen[g[i]]) { seen[g[i]] = 1; used++; }
    }
  if (groups) *groups = used;
  if (used < 2) return NAN;
  double ss = 0;
  for (size_t k = 0; k < G; k++) ss += r[k] * r[k];
  return sqrt((double)used / (double)(used - 1) * ss) / (double)n;
}

double qa_tokens_se_doc(const double *x, const int64_t *doc, size_t t, size_t *groups) {
  uint32_t *g = malloc((t ? t : 1) * sizeof *g);
  size_t G = 0;
  double out = NAN;
  if (g && doc_groups(doc, t, g, &G) == 0) {
    double *r = malloc((G ? G : 1) * (sizeof(double) + 1) + 8);
    if (r) out = se_doc_of(x, NULL, g, G, NULL, -1, t, r, groups);
    free(r);
  }
  free(g);
  return out;
}

/* Means, variances and the co-moment of two series, folded in blocks and
** merged (Chan et al. 1979, the bivariate form): the partials STYLE.md
** "Accumulators" asks for, so that threads or ranks can merge them. */
typedef struct qa_comoments { double n, mx, my, m2x, m2y, cxy; } qa_comoments;

static void comoments_merge(qa_comoments *a, const qa_comoments *b) {
  if (b->n == 0) return;
  if (a->n == 0) { *a = *b; return; }
  double n = a->n + b->n, dx = b->mx - a->mx, dy = b->my - a->my;
  a->m2x += b->m2x + dx * dx * a->n * b->n / n;
  a->m2y += b->m2y + dy * dy * a->n * b->n / n;
  a->cxy += b->cxy + dx * dy * a->n * b->n / n;
  a->mx += dx * b->n / n;
  a->my += dy * b->n / n;
  a->n = n;
}

#define SUM_BLOCK 4096

static qa_comoments comoments(const double *x, const double *y, size_t t) {
  qa_comoments tot = {0, 0, 0, 0, 0, 0};
  for (size_t r0 = 0; r0 < t; r0 += SUM_BLOCK) {
    size_t n = t - r0 < SUM_BLOCK ? t - r0 : SUM_BLOCK;
    qa_comoments b = {(double)n, 0, 0, 0, 0, 0};
    for (size_t i = r0; i < r0 + n; i++) {
      b.mx += x[i];
      b.my += y[i];
    }
    b.mx /= (double)n;
    b.my /= (double)n;
    for (size_t i = r0; i < r0 + n; i++) {
      double dx = x[i] - b.mx, dy = y[i] - b.my;
      b.m2x += dx * dx;
      b.m2y += dy * dy;
      b.cxy += dx * dy;
    }
    comoments_merge(&tot, &b);
  }
  return tot;
}

static qa_moments moments(const double *x, size_t t) {
  qa_moments m = {0, 0, 0};
  for (size_t r0 = 0; r0 < t; r0 += SUM_BLOCK)
    qa_moments_fold(&m, x + r0, t - r0 < SUM_BLOCK ? t - r0 : SUM_BLOCK);
  return m;
}

/* se = s/sqrt(T), s with divisor T−1 (llama.cpp's mean_and_uncertainty). */
static double se_of(const qa_moments *m) {
  return m->n >= 2 ? sqrt(m->m2 / (m->n - 1) / m->n) : NAN;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int qa_tokens_summarize(const qa_tokens_values *base, const qa_tokens_values *var, size_t t,
                        size_t v_cols, const int64_t *doc, const int32_t *slice,
                        size_t n_slice_names, char *const *slice_names, double alpha,
                        qa_tokens_result *res) {
  memset(res, 0, sizeof *res);
  res->worst_slice = SIZE_MAX;
  if (!t) return 0;
  res->present = 1;
  res->n = t;
  res->vocab = v_cols;
  uint32_t *g = malloc(t * sizeof *g);
  double *tmp = malloc(t * sizeof *tmp);
  double *sorted = malloc(t * sizeof *sorted);
  res->nll = malloc(t * sizeof *res->nll);
  res->kld = malloc(t * sizeof *res->kld);
  size_t G = 0;
  if (!g || !tmp || !sorted || !res->nll || !res->kld || doc_groups(doc, t, g, &G)) goto oom;
  double *r = malloc((G ? G : 1) * (sizeof(double) + 1) + 8);
  if (!r) goto oom;
  res->docs = G;
  double z = qa_z(1 - alpha / 2);

  /* Perplexities and their ratio. */
  qa_comoments c = comoments(var->nll, base->nll, t);
  double n = (double)t;
  qa_moments mv = {n, c.mx, c.m2x}, mb = {n, c.my, c.m2y};
  res->ppl = exp(c.mx);
  res->ppl_unc = res->ppl * se_of(&mv);
  res->ppl_base = exp(c.my);
  res->ppl_base_unc = res->ppl_base * se_of(&mb);
  for (size_t i = 0; i < t; i++) tmp[i] = var->nll[i] - base->nll[i];
  qa_moments md = moments(tmp, t);
  res->ln_ppl_ratio = md.mean;
  res->ln_ppl_ratio_se = se_of(&md);
  res->ln_ppl_ratio_se_doc = se_doc_of(tmp, NULL, g, G, NULL, -1, t, r, NULL);
  res->ppl_ratio = exp(md.mean);
  res->ppl_ratio_se = res->ppl_ratio * res->ln_ppl_ratio_se;
  res->ppl_diff = res->ppl - res->ppl_base;
  double cov = t >= 2 ? c.cxy / (n - 1) / n : NAN;
  double v2 = res->ppl_unc * res->ppl_unc + res->ppl_base_unc * res->ppl_base_unc -
              2 * res->ppl * res->ppl_base * cov;
  res->ppl_diff_se = isnan(v2) ? NAN : sqrt(v2 > 0 ? v2 : 0);
  res->cor_ln_ppl = c.m2x > 0 && c.m2y > 0 ? c.cxy / sqrt(c.m2x * c.m2y) : NAN;

  /* KLD. */
  qa_moments mk = moments(var->kld, t);
  res->kld_mean = mk.mean;
  res->kld_se = se_of(&mk);
  res->kld_se_doc = se_doc_of(var->kld, NULL, g, G, NULL, -1, t, r, NULL);
  memcpy(res->kld, var->kld, t * sizeof *res->kld);
  qsort(res->kld, t, sizeof *res->kld, cmp_double);
  for (int q = 0; q < QA_TOK_KLD_PCTS; q++)
    res->kld_pct[q] = qa_quantile_sorted(res->kld, t, qa_tok_kld_q[q]);

  /* Δp and its RMS. */
  qa_moments mp = moments(var->dp, t);
  res->dp_mean = mp.mean;
  res->dp_se = se_of(&mp);
  memcpy(sorted, var->dp, t * sizeof *sorted);
  qsort(sorted, t, sizeof *sorted, cmp_double);
  for (int q = 0; q < QA_TOK_DP_PCTS; q++)
    res->dp_pct[q] = qa_quantile_sorted(sorted, t, qa_tok_dp_q[q]);
  for (size_t i = 0; i < t; i++) tmp[i] = var->dp[i] * var->dp[i];
  qa_moments m2 = moments(tmp, t);
  res->rms_dp = sqrt(m2.mean);
  res->rms_dp_se = res->rms_dp > 0 ? se_of(&m2) / (2 * res->rms_dp) : NAN;

  /* Same top token. */
  size_t same = 0;
  for (size_t i = 0; i < t; i++) same += var->same[i] != 0;
  double p = (double)same / n;
  res->same_top = p;
  res->same_top_se = t >= 2 ? sqrt(p * (1 - p) / (n - 1)) : NAN;
  res->same_top_se_doc = se_doc_of(NULL, var->same, g, G, NULL, -1, t, r, NULL);

  /* Intervals: clustered SE when it exists. */
  double sk = isfinite(res->kld_se_doc) ? res->kld_se_doc : res->kld_se;
  double sl = isfinite(res->ln_ppl_ratio_se_doc) ? res->ln_ppl_ratio_se_doc : res->ln_ppl_ratio_se;
  double ss = isfinite(res->same_top_se_doc) ? res->same_top_se_doc : res->same_top_se;
  res->kld_ci_lo = res->kld_mean - z * sk;
  res->kld_ci_hi = res->kld_mean + z * sk;
  res->ln_ppl_ratio_ci_lo = res->ln_ppl_ratio - z * sl;
  res->ln_ppl_ratio_ci_hi = res->ln_ppl_ratio + z * sl;
  res->ppl_ratio_ci_lo = exp(res->ln_ppl_ratio_ci_lo);
  res->ppl_ratio_ci_hi = exp(res->ln_ppl_ratio_ci_hi);
  res->same_top_ci_lo = p - z * ss;
  res->same_top_ci_hi = p + z * ss;
  memcpy(res->nll, var->nll, t * sizeof *res->nll);

  /* Slices. */
  if (slice && n_slice_names) {
    for (size_t i = 0; i < t; i++) tmp[i] = var->nll[i] - base->nll[i];
    res->slices = calloc(n_slice_names, sizeof *res->slices);
    if (!res->slices) { free(r); goto oom; }
    for (size_t s = 0; s < n_slice_names; s++) {
      size_t k = 0, sm = 0;
      double sum_d = 0;
      for (size_t i = 0; i < t; i++)
        if (slice[i] == (int32_t)s) {
          sorted[k++] = var->kld[i];
          sm += var->same[i] != 0;
          sum_d += var->nll[i] - base->nll[i];
        }
      if (!k) continue;
      qa_tokens_slice *o = &res->slices[res->n_slices++];
      o->name = slice_names ? slice_names[s] : NULL;
      o->n = k;
      qa_moments ms = moments(sorted, k);
      o->kld_mean = ms.mean;
      o->kld_se_doc = se_doc_of(var->kld, NULL, g, G, slice, (int)s, t, r, &o->docs);
      qsort(sorted, k, sizeof *sorted, cmp_double);
      o->kld_p99 = qa_quantile_sorted(sorted, k, 0.99);
      o->same_top = (double)sm / (double)k;
      o->ln_ppl_ratio = sum_d / (double)k;
      o->ln_ppl_ratio_se_doc = se_doc_of(tmp, NULL, g, G, slice, (int)s, t, r, NULL);
    }
    for (size_t s = 0; s < res->n_slices; s++)
      if (res->slices[s].kld_mean > 0 &&
          (res->worst_slice == SIZE_MAX ||
           res->slices[s].kld_mean > res->slices[res->worst_slice].kld_mean))
        res->worst_slice = s;
  }
  free(r);
  free(g);
  free(tmp);
  free(sorted);
  return 0;
oom:
  free(g);
  free(tmp);
  free(sorted);
  qa_tokens_result_free(res);
  res->present = 0;
  return -1;
}

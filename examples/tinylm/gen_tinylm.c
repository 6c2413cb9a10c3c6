/*
** gen_tinylm: writes the qaudit tinylm caches (INTERFACE.md section 2, /tokens).
**
**   build/gen_tinylm [--f32] EXAMPLE_DIR OUT_DIR
**
** reads EXAMPLE_DIR/tinylm.bin (the fp32 weights train.py wrote; format in
** README.md) and EXAMPLE_DIR/eval/manifest.tsv (the held-out documents, one
** a line: slice, file under eval/, origin), and writes OUT_DIR/{fp32,fp16,
** int8,int4,int3,int2}.h5.
**
** Each variant really quantizes the weights (round to nearest, weight-only,
** no calibration) and runs the byte-level transformer over every document
** in non-overlapping windows of the context length: the window starting at
** byte s feeds bytes s..s+m-1 and predicts bytes s+1..s+m, so every byte but
** a document's first is a target exactly once (train.py's windows()).  The
** architecture is train.py's TinyLM, operation for operation: pre-norm
** blocks, fused qkv, causal softmax attention, exact erf GELU, final
** LayerNorm, untied head.  Activations are fp32; only the weights change.
**
** Deterministic: no threads, no clock in the outputs, plain loops in float
** (double for LayerNorm statistics and softmax sums) whose order does not
** depend on the compiler's vectorisation, HDF5 object timestamps off.
**
** This program must never read anything but the weight file and the
** documents the manifest names.
*/
#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum {
  N_VARIANTS = 6,
  N_SLICES = 3,
  GROUP = 32,            /* int4/int3/int2 group size along the input dimension */
  HEADER_BYTES = 40,     /* "QATINYLM" and eight uint32 */
  TILE_ROWS = 6,         /* matmul register tile: 6 x 8 floats fit SSE2's 16 registers */
  TILE_COLS = 8,
  LOGIT_CHUNK = 256      /* /tokens/logits chunk rows (and columns, V = 256) */
};

static const float LN_EPS = 1e-5f;
static const char *const MODEL_NAME = "tinylm-677k";
static const char *const slice_names[N_SLICES] = {"licence", "documentation", "code"};

typedef enum { Q_FP32, Q_FP16, Q_INT8, Q_INT4, Q_INT3, Q_INT2 } quant_kind;

typedef struct variant_spec {
  const char *name;
  quant_kind kind;
  int qmax;              /* integer levels -qmax..qmax; 0 for float variants */
  int code_bits;         /* bits per stored integer code */
  const char *scheme;
} variant_spec;

#define MATRICES "token embedding, qkv, attention output, both MLP matrices and the head; " \
                 "biases, LayerNorms and position embedding stay fp32"

static const variant_spec variants[N_VARIANTS] = {
  {"fp32", Q_FP32, 0, 32, "none (fp32 reference weights)"},
  {"fp16", Q_FP16, 0, 16, "every parameter rounded to IEEE half (round to nearest even)"},
  {"int8", Q_INT8, 127, 8, "int8 per output row, symmetric, scale max|w|/127 (fp16 scale), "
   "round to nearest, levels -127..127; " MATRICES},
  {"int4", Q_INT4, 7, 4, "int4 group-wise (32 along the input dim), symmetric, scale max|w|/7 "
   "(fp16 scale), round to nearest, levels -7..7; " MATRICES},
  {"int3", Q_INT3, 3, 3, "int3 group-wise (32 along the input dim), symmetric, scale max|w|/3 "
   "(fp16 scale), round to nearest, levels -3..3; " MATRICES},
  {"int2", Q_INT2, 1, 2, "int2 group-wise (32 along the input dim), symmetric, scale max|w| "
   "(fp16 scale), round to nearest, levels -1..1 (ternary; the fourth code unused); "
   MATRICES},
};

static const char *cur_path = "";   /* file being read or written, for messages */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "gen_tinylm: error: %s%s", cur_path, *cur_path ? ": " : "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(3);
}

static void *xcalloc(size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) die("allocation of %zu x %zu bytes overflows", n, size);
  void *p = calloc(n ? n : 1, size);
  if (!p) die("out of memory");
  return p;
}

/* ---------------------------------------------------------------- half */

/* IEEE 754 binary16, round to nearest even, with subnormals, inf and NaN
** (the showcase generator's converter, checked there against NumPy). */
static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint32_t sign = (x >> 16) & 0x8000u, absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u)
    return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
  int exp = (int)(absx >> 23) - 127;
  if (exp > 15) return (uint16_t)(sign | 0x7c00u);
  if (exp < -25) return (uint16_t)sign;
  uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
  int shift;
  uint32_t base;
  if (exp < -14) {
    shift = 13 + (-14 - exp);
    base = 0;
  } else {
    shift = 13;
    base = (uint32_t)(exp + 15) << 10;
    mant &= 0x7fffffu;
  }
  uint32_t q = mant >> shift, rem = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
  if (rem > halfway || (rem == halfway && (q & 1u))) q++;
  return (uint16_t)(sign | (base + q));
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  uint32_t x;
  if (e == 0) {
    if (m == 0) x = sign;
    else {
      int k = -1;
      do { k++; m <<= 1; } while (!(m & 0x400u));
      x = sign | ((uint32_t)(127 - 15 - k) << 23) | ((m & 0x3ffu) << 13);
    }
  } else if (e == 31) x = sign | 0x7f800000u | (m << 13);
  else x = sign | ((e - 15 + 127) << 23) | (m << 13);
  float f;
  memcpy(&f, &x, sizeof f);
  return f;
}

static float round_half(float f) { return half_to_float(float_to_half(f)); }

/* ---------------------------------------------------------------- model */

typedef struct dims { int vocab, d_model, n_layer, n_head, d_ff, context; } dims;

/* A [rows, cols] row-major view into the flat weights; a vector has rows 1. */
typedef struct tensor { float *w; int rows, cols; } tensor;

typedef struct block {
  tensor ln1_w, ln1_b, qkv_w, qkv_b, proj_w, proj_b, ln2_w, ln2_b, fc1_w, fc1_b, fc2_w, fc2_b;
  float *qkv_t, *proj_t, *fc1_t, *fc2_t;   /* transposed [in, out] copies for matmul */
} block;

typedef struct model {
  dims dm;
  size_t n_floats;
  float *flat;           /* every parameter, in the weight file's order */
  tensor tok, pos, lnf_w, lnf_b, head_w, head_b;
  float *head_t;
  block *blocks;
} model;

/* The file's tensor order (README.md "Weight file", train.py TinyLM.tensors). */
static size_t model_bind(model *m) {
  const dims *d = &m->dm;
  size_t off = 0;
#define TAKE(t, r, c) do { (t).w = m->flat ? m->flat + off : NULL; (t).rows = (r); \
                           (t).cols = (c); off += (size_t)(r) * (size_t)(c); } while (0)
  TAKE(m->tok, d->vocab, d->d_model);
  TAKE(m->pos, d->context, d->d_model);
  for (int l = 0; l < d->n_layer; l++) {
    block *b = &m->blocks[l];
    TAKE(b->ln1_w, 1, d->d_model);
    TAKE(b->ln1_b, 1, d->d_model);
    TAKE(b->qkv_w, 3 * d->d_model, d->d_model);
    TAKE(b->qkv_b, 1, 3 * d->d_model);
    TAKE(b->proj_w, d->d_model, d->d_model);
    TAKE(b->proj_b, 1, d->d_model);
    TAKE(b->ln2_w, 1, d->d_model);
    TAKE(b->ln2_b, 1, d->d_model);
    TAKE(b->fc1_w, d->d_ff, d->d_model);
    TAKE(b->fc1_b, 1, d->d_ff);
    TAKE(b->fc2_w, d->d_model, d->d_ff);
    TAKE(b->fc2_b, 1, d->d_model);
  }
  TAKE(m->lnf_w, 1, d->d_model);
  TAKE(m->lnf_b, 1, d->d_model);
  TAKE(m->head_w, d->vocab, d->d_model);
  TAKE(m->head_b, 1, d->vocab);
#undef TAKE
  return off;
}

/* The weight matrices the integer variants quantize; returns how many. */
static int model_matrices(model *m, tensor **out) {
  int n = 0;
  out[n++] = &m->tok;
  for (int l = 0; l < m->dm.n_layer; l++) {
    out[n++] = &m->blocks[l].qkv_w;
    out[n++] = &m->blocks[l].proj_w;
    out[n++] = &m->blocks[l].fc1_w;
    out[n++] = &m->blocks[l].fc2_w;
  }
  out[n++] = &m->head_w;
  return n;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void model_load(model *m, const char *path) {
  cur_path = path;
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open: %s", strerror(errno));
  unsigned char hdr[HEADER_BYTES];
  if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr || memcmp(hdr, "QATINYLM", 8) != 0)
    die("not a tinylm weight file (expected the magic QATINYLM and a 40-byte header)");
  if (le32(hdr + 8) != 1) die("weight format version %u, expected 1", le32(hdr + 8));
  dims d = {(int)le32(hdr + 12), (int)le32(hdr + 16), (int)le32(hdr + 20), (int)le32(hdr + 24),
            (int)le32(hdr + 28), (int)le32(hdr + 32)};
  if (d.vocab != 256 || d.d_model <= 0 || d.d_model > 4096 || d.n_layer <= 0 ||
      d.n_layer > 64 || d.n_head <= 0 || d.d_model % d.n_head || d.d_ff <= 0 ||
      d.d_ff > 16384 || d.context <= 0 || d.context > 4096)
    die("header dimensions out of range (vocab must be 256)");
  if (d.d_model % GROUP || d.d_ff % GROUP || (d.d_model / d.n_head) % TILE_COLS ||
      d.context % TILE_COLS)
    die("d_model and d_ff must be multiples of %d, the head size and context of %d",
        GROUP, TILE_COLS);
  m->dm = d;
  m->blocks = xcalloc((size_t)d.n_layer, sizeof *m->blocks);
  m->flat = NULL;
  m->n_floats = model_bind(m);
  if (le32(hdr + 36) != m->n_floats)
    die("header says %u floats, the architecture has %zu", le32(hdr + 36), m->n_floats);
  unsigned char *raw = xcalloc(m->n_floats, 4);
  if (fread(raw, 4, m->n_floats, f) != m->n_floats) die("truncated weights");
  if (fgetc(f) != EOF) die("trailing bytes after %zu floats", m->n_floats);
  fclose(f);
  m->flat = xcalloc(m->n_floats, sizeof *m->flat);
  for (size_t i = 0; i < m->n_floats; i++) {   /* little-endian float32 on any host */
    uint32_t u = le32(raw + 4 * i);
    memcpy(&m->flat[i], &u, sizeof u);
    if (!isfinite(m->flat[i])) die("float %zu is not finite", i);
  }
  free(raw);
  model_bind(m);
  cur_path = "";
}

static void model_alloc_like(model *q, const model *ref) {
  q->dm = ref->dm;
  q->n_floats = ref->n_floats;
  q->blocks = xcalloc((size_t)ref->dm.n_layer, sizeof *q->blocks);
  q->flat = xcalloc(ref->n_floats, sizeof *q->flat);
  model_bind(q);
  const dims *d = &q->dm;
  for (int l = 0; l < d->n_layer; l++) {
    block *b = &q->blocks[l];
    b->qkv_t = xcalloc((size_t)3 * d->d_model * d->d_model, sizeof(float));
    b->proj_t = xcalloc((size_t)d->d_model * d->d_model, sizeof(float));
    b->fc1_t = xcalloc((size_t)d->d_ff * d->d_model, sizeof(float));
    b->fc2_t = xcalloc((size_t)d->d_model * d->d_ff, sizeof(float));
  }
  q->head_t = xcalloc((size_t)d->vocab * d->d_model, sizeof(float));
}

static void model_free(model *m) {
  if (!m) return;
  for (int l = 0; m->blocks && l < m->dm.n_layer; l++) {
    free(m->blocks[l].qkv_t); free(m->blocks[l].proj_t);
    free(m->blocks[l].fc1_t); free(m->blocks[l].fc2_t);
  }
  free(m->blocks);
  free(m->head_t);
  free(m->flat);
}

/* ---------------------------------------------------------------- quantization */

/* Symmetric round to nearest of n weights sharing one scale max|w|/qmax,
** the scale itself stored as fp16 (so rounded to half first). */
static void quant_symmetric(float *w, int n, int qmax) {
  float amax = 0;
  for (int i = 0; i < n; i++) amax = fmaxf(amax, fabsf(w[i]));
  float scale = round_half(amax / (float)qmax);
  for (int i = 0; i < n; i++) {
    float q = scale > 0 ? roundf(w[i] / scale) : 0;
    if (q > (float)qmax) q = (float)qmax;
    if (q < -(float)qmax) q = -(float)qmax;
    w[i] = q * scale;
  }
}

/* dst = src quantized by variant v; returns the bits per matrix weight
** (codes plus one fp16 scale per row or group). */
static double model_quantize(model *dst, const model *src, const variant_spec *v) {
  memcpy(dst->flat, src->flat, src->n_floats * sizeof *src->flat);
  tensor *mats[2 + 4 * 64];
  int n_mats = model_matrices(dst, mats);
  double bits = 0, weights = 0;
  if (v->kind == Q_FP16)
    for (size_t i = 0; i < dst->n_floats; i++) dst->flat[i] = round_half(dst->flat[i]);
  for (int k = 0; k < n_mats; k++) {
    tensor *t = mats[k];
    double n = (double)t->rows * t->cols;
    weights += n;
    if (v->kind == Q_FP32 || v->kind == Q_FP16) {
      bits += n * v->code_bits;
      continue;
    }
    int group = v->kind == Q_INT8 ? t->cols : GROUP;
    for (int r = 0; r < t->rows; r++)
      for (int c = 0; c < t->cols; c += group)
        quant_symmetric(t->w + (size_t)r * t->cols + c, group, v->qmax);
    bits += n * v->code_bits + 16.0 * (n / group);
  }
  return bits / weights;
}

static void transpose(const tensor *t, float *out) {
  for (int r = 0; r < t->rows; r++)
    for (int c = 0; c < t->cols; c++) out[(size_t)c * t->rows + r] = t->w[(size_t)r * t->cols + c];
}

static void model_prepare(model *m) {
  for (int l = 0; l < m->dm.n_layer; l++) {
    block *b = &m->blocks[l];
    transpose(&b->qkv_w, b->qkv_t);
    transpose(&b->proj_w, b->proj_t);
    transpose(&b->fc1_w, b->fc1_t);
    transpose(&b->fc2_w, b->fc2_t);
  }
  transpose(&m->head_w, m->head_t);
}

/* ---------------------------------------------------------------- forward */

/* out[m][n] = a[m][k] · bt[k][n] + bias[n].  Each output sums its k products
** in order 0..k-1 in float, so the result does not depend on the tiling or
** on how the compiler vectorises the inner loops over columns. */
static void matmul(const float *a, int m, int k, const float *bt, int n, const float *bias,
                   float *out) {
  for (int i0 = 0; i0 < m; i0 += TILE_ROWS) {
    int rows = m - i0 < TILE_ROWS ? m - i0 : TILE_ROWS;
    for (int j0 = 0; j0 < n; j0 += TILE_COLS) {
      float acc[TILE_ROWS][TILE_COLS] = {{0}};
      if (rows == TILE_ROWS) {
        for (int p = 0; p < k; p++) {
          const float *b = bt + (size_t)p * n + j0;
          for (int r = 0; r < TILE_ROWS; r++) {
            float x = a[(size_t)(i0 + r) * k + p];
            for (int j = 0; j < TILE_COLS; j++) acc[r][j] += x * b[j];
          }
        }
      } else {
        for (int p = 0; p < k; p++) {
          const float *b = bt + (size_t)p * n + j0;
          for (int r = 0; r < rows; r++) {
            float x = a[(size_t)(i0 + r) * k + p];
            for (int j = 0; j < TILE_COLS; j++) acc[r][j] += x * b[j];
          }
        }
      }
      for (int r = 0; r < rows; r++)
        for (int j = 0; j < TILE_COLS; j++)
          out[(size_t)(i0 + r) * n + j0 + j] = acc[r][j] + bias[j0 + j];
    }
  }
}

/* torch.nn.LayerNorm: biased variance, eps inside the square root. */
static void layer_norm(const float *x, int m, int d, const float *g, const float *b, float *y) {
  for (int i = 0; i < m; i++) {
    const float *xi = x + (size_t)i * d;
    double mean = 0, var = 0;
    for (int j = 0; j < d; j++) mean += xi[j];
    mean /= d;
    for (int j = 0; j < d; j++) var += (xi[j] - mean) * (xi[j] - mean);
    var /= d;
    float rstd = (float)(1.0 / sqrt(var + LN_EPS)), mu = (float)mean;
    for (int j = 0; j < d; j++) y[(size_t)i * d + j] = (xi[j] - mu) * rstd * g[j] + b[j];
  }
}

typedef struct scratch { float *x, *h, *qkv, *att, *ff, *tmp, *kt, *scores, *logits; } scratch;

static void scratch_alloc(scratch *s, const dims *d) {
  size_t ctx = (size_t)d->context;
  s->x = xcalloc(ctx * d->d_model, sizeof(float));
  s->h = xcalloc(ctx * d->d_model, sizeof(float));
  s->qkv = xcalloc(ctx * 3 * d->d_model, sizeof(float));
  s->att = xcalloc(ctx * d->d_model, sizeof(float));
  s->ff = xcalloc(ctx * d->d_ff, sizeof(float));
  s->tmp = xcalloc(ctx * d->d_model, sizeof(float));
  s->kt = xcalloc(ctx * d->d_model, sizeof(float));
  s->scores = xcalloc(ctx, sizeof(float));
  s->logits = xcalloc(ctx * d->vocab, sizeof(float));
}

static void scratch_free(scratch *s) {
  free(s->x); free(s->h); free(s->qkv); free(s->att); free(s->ff); free(s->tmp);
  free(s->kt); free(s->scores); free(s->logits);
}

/* Causal multi-head attention on qkv [m][3d] (q, k, v side by side, each
** split into heads of d/n_head): att [m][d].  A head's keys are first
** transposed into kt [hd][context], so that a query's scores against eight
** keys at a time are summed in a local tile (vectorised, like matmul); each
** score still sums its hd products in order.  Scores past t in the last
** tile read keys of later positions (or zeros) and are never used. */
static void attention(const dims *dm, int m, const float *qkv, float *kt, float *scores,
                      float *att) {
  int d = dm->d_model, hd = d / dm->n_head, stride = 3 * d, ctx = dm->context;
  float scale = 1.0f / sqrtf((float)hd);
  for (int head = 0; head < dm->n_head; head++) {
    for (int u = 0; u < m; u++)
      for (int j = 0; j < hd; j++)
        kt[(size_t)j * ctx + u] = qkv[(size_t)u * stride + d + head * hd + j];
    for (int t = 0; t < m; t++) {
      const float *q = qkv + (size_t)t * stride + head * hd;
      for (int u0 = 0; u0 <= t; u0 += TILE_COLS) {
        float acc[TILE_COLS] = {0};
        for (int j = 0; j < hd; j++) {
          const float *k = kt + (size_t)j * ctx + u0;
          for (int u = 0; u < TILE_COLS; u++) acc[u] += q[j] * k[u];
        }
        for (int u = 0; u < TILE_COLS; u++) scores[u0 + u] = acc[u];
      }
      float smax = -INFINITY;
      for (int u = 0; u <= t; u++) {
        scores[u] *= scale;
        smax = fmaxf(smax, scores[u]);
      }
      double sum = 0;
      for (int u = 0; u <= t; u++) {
        scores[u] = expf(scores[u] - smax);
        sum += scores[u];
      }
      float inv = (float)(1.0 / sum), *y = att + (size_t)t * d + head * hd;
      for (int j0 = 0; j0 < hd; j0 += TILE_COLS) {
        float acc[TILE_COLS] = {0};
        for (int u = 0; u <= t; u++) {
          const float *v = qkv + (size_t)u * stride + 2 * d + head * hd + j0;
          float p = scores[u] * inv;
          for (int j = 0; j < TILE_COLS; j++) acc[j] += p * v[j];
        }
        for (int j = 0; j < TILE_COLS; j++) y[j0 + j] = acc[j];
      }
    }
  }
}

/* Logits [m][V] for bytes in[0..m-1] at positions 0..m-1 into s->logits. */
static void forward(const model *mo, const unsigned char *in, int m, scratch *s) {
  const dims *dm = &mo->dm;
  int d = dm->d_model;
  for (int t = 0; t < m; t++)
    for (int j = 0; j < d; j++)
      s->x[(size_t)t * d + j] = mo->tok.w[(size_t)in[t] * d + j] + mo->pos.w[(size_t)t * d + j];
  for (int l = 0; l < dm->n_layer; l++) {
    const block *b = &mo->blocks[l];
    layer_norm(s->x, m, d, b->ln1_w.w, b->ln1_b.w, s->h);
    matmul(s->h, m, d, b->qkv_t, 3 * d, b->qkv_b.w, s->qkv);
    attention(dm, m, s->qkv, s->kt, s->scores, s->att);
    matmul(s->att, m, d, b->proj_t, d, b->proj_b.w, s->tmp);
    for (size_t i = 0; i < (size_t)m * d; i++) s->x[i] += s->tmp[i];
    layer_norm(s->x, m, d, b->ln2_w.w, b->ln2_b.w, s->h);
    matmul(s->h, m, d, b->fc1_t, dm->d_ff, b->fc1_b.w, s->ff);
    for (size_t i = 0; i < (size_t)m * dm->d_ff; i++) {   /* exact GELU, as F.gelu */
      float z = s->ff[i];
      s->ff[i] = 0.5f * z * (1.0f + erff(z * (float)M_SQRT1_2));
    }
    matmul(s->ff, m, dm->d_ff, b->fc2_t, d, b->fc2_b.w, s->tmp);
    for (size_t i = 0; i < (size_t)m * d; i++) s->x[i] += s->tmp[i];
  }
  layer_norm(s->x, m, d, mo->lnf_w.w, mo->lnf_b.w, s->h);
  matmul(s->h, m, d, mo->head_t, dm->vocab, mo->head_b.w, s->logits);
}

/* ---------------------------------------------------------------- documents */

typedef struct corpus {
  size_t n_docs, n_pos;          /* documents; evaluated positions T */
  unsigned char **bytes;
  size_t *len;
  int32_t *slice;                /* per document */
  int32_t *target, *pos_slice;   /* per position */
  int64_t *pos_doc;
} corpus;

static unsigned char *read_file(const char *path, size_t *len) {
  cur_path = path;
  FILE *f = fopen(path, "rb");
  if (!f) die("cannot open: %s", strerror(errno));
  size_t cap = 4096, n = 0;
  unsigned char *buf = xcalloc(cap, 1);
  size_t got;
  while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      unsigned char *grown = realloc(buf, cap *= 2);
      if (!grown) die("out of memory");
      buf = grown;
    }
  }
  if (ferror(f)) die("read error");
  fclose(f);
  cur_path = "";
  *len = n;
  return buf;
}

/* manifest.tsv: "#" comments; else slice TAB file (relative to eval/) TAB ... */
static void corpus_load(corpus *c, const char *dir) {
  char path[4096], line[4096];
  snprintf(path, sizeof path, "%s/eval/manifest.tsv", dir);
  cur_path = path;
  FILE *f = fopen(path, "r");
  if (!f) die("cannot open: %s", strerror(errno));
  size_t cap = 256;
  memset(c, 0, sizeof *c);
  c->bytes = xcalloc(cap, sizeof *c->bytes);
  c->len = xcalloc(cap, sizeof *c->len);
  c->slice = xcalloc(cap, sizeof *c->slice);
  while (fgets(line, sizeof line, f)) {
    if (line[0] == '#' || line[0] == '\n') continue;
    char *tab1 = strchr(line, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2) die("line %zu: expected slice<TAB>file<TAB>...", c->n_docs + 1);
    *tab1 = *tab2 = '\0';
    int sl = -1;
    for (int k = 0; k < N_SLICES; k++)
      if (strcmp(line, slice_names[k]) == 0) sl = k;
    if (sl < 0) die("unknown slice '%s'", line);
    if (c->n_docs == cap) die("more than %zu documents", cap);
    char doc_path[4096 + 64];
    snprintf(doc_path, sizeof doc_path, "%s/eval/%s", dir, tab1 + 1);
    c->bytes[c->n_docs] = read_file(doc_path, &c->len[c->n_docs]);
    cur_path = path;
    if (c->len[c->n_docs] < 2) die("document %s has fewer than 2 bytes", tab1 + 1);
    c->slice[c->n_docs] = sl;
    c->n_pos += c->len[c->n_docs] - 1;
    c->n_docs++;
  }
  fclose(f);
  if (c->n_docs == 0) die("no documents");
  c->target = xcalloc(c->n_pos, sizeof *c->target);
  c->pos_slice = xcalloc(c->n_pos, sizeof *c->pos_slice);
  c->pos_doc = xcalloc(c->n_pos, sizeof *c->pos_doc);
  size_t t = 0;
  for (size_t i = 0; i < c->n_docs; i++)
    for (size_t j = 1; j < c->len[i]; j++, t++) {
      c->target[t] = c->bytes[i][j];
      c->pos_slice[t] = c->slice[i];
      c->pos_doc[t] = (int64_t)i;
    }
  cur_path = "";
}

static void corpus_free(corpus *c) {
  for (size_t i = 0; i < c->n_docs; i++) free(c->bytes[i]);
  free(c->bytes); free(c->len); free(c->slice);
  free(c->target); free(c->pos_slice); free(c->pos_doc);
}

/* Every document in non-overlapping windows: logits [T][V] as fp16 bits
** (logits16) or, with --f32, as floats (logits32; logits16 NULL); returns
** the mean next-byte loss in nats computed from the values stored. */
static double run_variant(const model *m, const corpus *c, scratch *s, uint16_t *logits16,
                          float *logits32) {
  int V = m->dm.vocab, ctx = m->dm.context;
  size_t t = 0;
  double nll = 0;
  for (size_t i = 0; i < c->n_docs; i++) {
    size_t n = c->len[i];
    for (size_t start = 0; start + 1 < n; start += (size_t)ctx) {
      int w = (int)(n - 1 - start < (size_t)ctx ? n - 1 - start : (size_t)ctx);
      forward(m, c->bytes[i] + start, w, s);
      for (int p = 0; p < w; p++, t++) {
        float *row = logits32 + t * V;
        const float *out = s->logits + (size_t)p * V;
        double mx = -INFINITY, sum = 0;
        for (int v = 0; v < V; v++) {
          if (logits16) {
            logits16[t * V + v] = float_to_half(out[v]);
            row[v] = half_to_float(logits16[t * V + v]);
          } else {
            row[v] = out[v];
          }
          mx = fmax(mx, row[v]);
        }
        for (int v = 0; v < V; v++) sum += exp(row[v] - mx);
        nll += mx + log(sum) - row[c->target[t]];
      }
    }
  }
  return nll / (double)c->n_pos;
}

/* ---------------------------------------------------------------- HDF5 */

#define CHECK_H5(expr, ...) do { if ((expr) < 0) die(__VA_ARGS__); } while (0)

static hid_t half_type(void) {
  hid_t t = H5Tcopy(H5T_IEEE_F32LE);
  CHECK_H5(t, "H5Tcopy failed");
  CHECK_H5(H5Tset_fields(t, 15, 10, 5, 0, 10), "H5Tset_fields (float16) failed");
  CHECK_H5(H5Tset_size(t, 2), "H5Tset_size (float16) failed");
  CHECK_H5(H5Tset_ebias(t, 15), "H5Tset_ebias (float16) failed");
  return t;
}

static hid_t utf8_type(void) {
  hid_t t = H5Tcopy(H5T_C_S1);
  CHECK_H5(t, "H5Tcopy failed");
  CHECK_H5(H5Tset_size(t, H5T_VARIABLE), "H5Tset_size (string) failed");
  CHECK_H5(H5Tset_cset(t, H5T_CSET_UTF8), "H5Tset_cset failed");
  return t;
}

static void make_group(hid_t file, const char *path) {
  hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
  CHECK_H5(gcpl, "%s: H5Pcreate failed", path);
  CHECK_H5(H5Pset_obj_track_times(gcpl, 0), "%s: H5Pset_obj_track_times failed", path);
  hid_t g = H5Gcreate2(file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
  CHECK_H5(g, "%s: cannot create group", path);
  CHECK_H5(H5Gclose(g), "%s: H5Gclose failed", path);
  CHECK_H5(H5Pclose(gcpl), "H5Pclose failed");
}

/* A dataset of rank 1 or 2, contiguous unless chunk_rows > 0 (then chunks
** of chunk_rows x cols, uncompressed: fp16 logits barely compress). */
static void write_dataset(hid_t file, const char *path, hid_t file_type, hid_t mem_type,
                          int rank, hsize_t rows, hsize_t cols, const void *buf,
                          hsize_t chunk_rows) {
  hsize_t dims[2] = {rows, cols}, chunk[2] = {chunk_rows < rows ? chunk_rows : rows, cols};
  hid_t space = H5Screate_simple(rank, dims, NULL);
  CHECK_H5(space, "%s: H5Screate_simple failed", path);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  CHECK_H5(dcpl, "%s: H5Pcreate failed", path);
  CHECK_H5(H5Pset_obj_track_times(dcpl, 0), "%s: H5Pset_obj_track_times failed", path);
  if (chunk_rows > 0) CHECK_H5(H5Pset_chunk(dcpl, rank, chunk), "%s: H5Pset_chunk failed", path);
  hid_t ds = H5Dcreate2(file, path, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  CHECK_H5(ds, "%s: cannot create dataset", path);
  CHECK_H5(H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf),
           "%s: cannot write dataset", path);
  CHECK_H5(H5Dclose(ds), "%s: H5Dclose failed", path);
  CHECK_H5(H5Pclose(dcpl), "H5Pclose failed");
  CHECK_H5(H5Sclose(space), "H5Sclose failed");
}

static void write_attr(hid_t file, const char *name, hid_t file_type, hid_t mem_type,
                       const void *buf) {
  hid_t space = H5Screate(H5S_SCALAR);
  CHECK_H5(space, "attribute %s: H5Screate failed", name);
  hid_t a = H5Acreate2(file, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
  CHECK_H5(a, "attribute %s: cannot create", name);
  CHECK_H5(H5Awrite(a, mem_type, buf), "attribute %s: cannot write", name);
  CHECK_H5(H5Aclose(a), "attribute %s: H5Aclose failed", name);
  CHECK_H5(H5Sclose(space), "H5Sclose failed");
}

static void write_attr_string(hid_t file, const char *name, const char *value) {
  hid_t t = utf8_type();
  write_attr(file, name, t, t, &value);
  CHECK_H5(H5Tclose(t), "H5Tclose failed");
}

/* Written to NAME.h5.tmp and renamed, so a failed run leaves no half cache. */
static void write_cache(const char *dir, const variant_spec *v, double bpw, int64_t params,
                        const corpus *c, const uint16_t *logits16, const float *logits32,
                        int vocab) {
  char path[4096], tmp[4096 + 8];
  snprintf(path, sizeof path, "%s/%s.h5", dir, v->name);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  cur_path = tmp;
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
  CHECK_H5(fcpl, "H5Pcreate failed");
  CHECK_H5(H5Pset_obj_track_times(fcpl, 0), "H5Pset_obj_track_times failed");
  hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, H5P_DEFAULT);
  CHECK_H5(file, "cannot create file");
  CHECK_H5(H5Pclose(fcpl), "H5Pclose failed");

  write_attr_string(file, "model", MODEL_NAME);
  write_attr_string(file, "variant", v->name);
  write_attr(file, "bits_per_weight", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &bpw);
  write_attr(file, "params", H5T_STD_I64LE, H5T_NATIVE_INT64, &params);
  write_attr_string(file, "quant_scheme", v->scheme);
  write_attr_string(file, "calibration", "none (round-to-nearest weight-only quantization)");
  write_attr_string(file, "backend", "gen_tinylm: reference C11 forward pass, fp32 activations");

  hid_t f16 = half_type(), str = utf8_type();
  make_group(file, "/tokens");
  write_dataset(file, "/tokens/target", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, c->n_pos, 0,
                c->target, 0);
  if (logits16)
    write_dataset(file, "/tokens/logits", f16, f16, 2, c->n_pos, (hsize_t)vocab, logits16,
                  LOGIT_CHUNK);
  else
    write_dataset(file, "/tokens/logits", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 2, c->n_pos,
                  (hsize_t)vocab, logits32, LOGIT_CHUNK);
  write_dataset(file, "/tokens/doc", H5T_STD_I64LE, H5T_NATIVE_INT64, 1, c->n_pos, 0,
                c->pos_doc, 0);
  write_dataset(file, "/tokens/slice", H5T_STD_I32LE, H5T_NATIVE_INT32, 1, c->n_pos, 0,
                c->pos_slice, 0);
  write_dataset(file, "/tokens/slice_names", str, str, 1, N_SLICES, 0, slice_names, 0);
  CHECK_H5(H5Tclose(f16), "H5Tclose failed");
  CHECK_H5(H5Tclose(str), "H5Tclose failed");
  CHECK_H5(H5Fclose(file), "cannot close file");
  if (rename(tmp, path) != 0) die("cannot rename to %s: %s", path, strerror(errno));
  cur_path = "";
}

/* ---------------------------------------------------------------- main */

int main(int argc, char **argv) {
  /* --f32 stores the logits as float32 instead of fp16, for check.py's
  ** comparison of the forward pass itself with PyTorch's. */
  int f32 = argc == 4 && strcmp(argv[1], "--f32") == 0;
  if (argc != 3 + f32) {
    fprintf(stderr, "usage: gen_tinylm [--f32] EXAMPLE_DIR OUT_DIR\n"
                    "reads EXAMPLE_DIR/tinylm.bin and EXAMPLE_DIR/eval/manifest.tsv,\n"
                    "writes OUT_DIR/{fp32,fp16,int8,int4,int3,int2}.h5\n");
    return 1;
  }
  const char *example_dir = argv[1 + f32], *out_dir = argv[2 + f32];
  CHECK_H5(H5Eset_auto2(H5E_DEFAULT, NULL, NULL), "H5Eset_auto2 failed");
  char path[4096];
  snprintf(path, sizeof path, "%s/tinylm.bin", example_dir);
  model ref, q;
  model_load(&ref, path);
  model_alloc_like(&q, &ref);
  corpus c;
  corpus_load(&c, example_dir);
  scratch s;
  scratch_alloc(&s, &ref.dm);
  size_t n_logits = c.n_pos * (size_t)ref.dm.vocab;
  uint16_t *logits16 = f32 ? NULL : xcalloc(n_logits, sizeof *logits16);
  float *logits32 = xcalloc(n_logits, sizeof *logits32);

  for (int k = 0; k < N_VARIANTS; k++) {
    clock_t t0 = clock();
    double bpw = model_quantize(&q, &ref, &variants[k]);
    model_prepare(&q);
    double loss = run_variant(&q, &c, &s, logits16, logits32);
    write_cache(out_dir, &variants[k], bpw, (int64_t)ref.n_floats, &c, logits16, logits32,
                ref.dm.vocab);
    fprintf(stderr, "gen_tinylm: %s/%s.h5  T %zu  bits/weight %.3f  ppl %.4f  (%.1f s cpu)\n",
            out_dir, variants[k].name, c.n_pos, bpw, exp(loss),
            (double)(clock() - t0) / CLOCKS_PER_SEC);
  }

  free(logits16);
  free(logits32);
  scratch_free(&s);
  corpus_free(&c);
  model_free(&q);
  model_free(&ref);
  return 0;
}

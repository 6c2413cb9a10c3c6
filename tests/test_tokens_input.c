/*
** Token-level data end to end (INTERFACE.md section 2, /tokens): every
** validation error of the token datasets through the binary (exit 2, one
** line naming file and path, no partial output), `qaudit validate` on a
** NaN logit, and a study whose numbers have a closed form.
*/
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "badinput_util.h"
#include "h5fixture.h"
#include "harness.h"
#include "input/cache.h"

#define TT 8       /* positions */
#define TV 4       /* vocabulary */

/* A token cache: logits[t][j] from fill (or 0), targets t mod V, two
** documents of 4 positions, slices 0/1 named "prose", "code". */
typedef struct tok_spec {
  const char *variant;
  size_t t, v;
  double logits[64 * 8];
  int64_t target[64], doc[64], slice[64];
  int no_target, no_slice_names, no_slice;
  hid_t ftype;             /* 0: float32 */
} tok_spec;

static void tok_default(tok_spec *s, const char *variant) {
  memset(s, 0, sizeof *s);
  s->variant = variant;
  s->t = TT;
  s->v = TV;
  for (size_t i = 0; i < TT; i++) {
    s->target[i] = (int64_t)(i % TV);
    s->doc[i] = (int64_t)(i / 4);
    s->slice[i] = (int64_t)(i % 2);
  }
}

static void tok_write(const bi_case *c, const char *name, const tok_spec *s) {
  hid_t f = fx_create(bi_path(c, name));
  CHECK(f >= 0);
  if (f < 0) return;
  fx_attr_str(f, "model", "lm");
  fx_attr_str(f, "variant", s->variant);
  hsize_t d2[2] = {s->t, s->v}, d1[1] = {s->t};
  CHECK_INT(fx_floats(f, "/tokens/logits", s->ftype ? s->ftype : H5T_IEEE_F32LE, 2, d2,
                      s->logits, 0), 0);
  if (!s->no_target) CHECK_INT(fx_ints(f, "/tokens/target", H5T_STD_I32LE, 1, d1, s->target), 0);
  CHECK_INT(fx_ints(f, "/tokens/doc", H5T_STD_I64LE, 1, d1, s->doc), 0);
  if (!s->no_slice) CHECK_INT(fx_ints(f, "/tokens/slice", H5T_STD_I32LE, 1, d1, s->slice), 0);
  const char *names[] = {"prose", "code"};
  if (!s->no_slice_names) CHECK_INT(fx_strings(f, "/tokens/slice_names", names, 2), 0);
  fx_close(f);
}

static void tok_config(const bi_case *c) {
  const char *text =
      "{\"title\": \"tokens\", \"models\": [{\"name\": \"lm\", \"baseline\": \"base\", "
      "\"variants\": [{\"name\": \"base\", \"file\": \"base.h5\"}, "
      "{\"name\": \"var\", \"file\": \"var.h5\"}]}], "
      "\"tiers\": [{\"name\": \"negligible\", \"max_kld\": 0.01}, "
      "{\"name\": \"acceptable\", \"max_kld\": 0.5}]}\n";
  if (bi_write_text(c->cfg, text)) qa_test_fail(__FILE__, __LINE__, "cannot write config");
}

/* A case with a valid baseline and the variant spec v (after edit). */
static void tok_case(bi_case *c, const char *name, const tok_spec *base, const tok_spec *var) {
  bi_case_init(c, name);
  tok_write(c, "base.h5", base);
  tok_write(c, "var.h5", var);
  tok_config(c);
}

QA_TEST(tokens_input_target_differs_names_first_position) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.target[5] = 0;          /* baseline has 5 % 4 = 1 */
  v.target[7] = 0;
  tok_case(&c, "tok-target", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/target: "), "position 5",
            "differs from the baseline's 1");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(tokens_input_t_differs) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.t = TT - 1;
  tok_case(&c, "tok-t", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/logits: "), "shape [7,4] differs from the baseline's [8,4]");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(tokens_input_v_differs) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.v = TV + 1;
  tok_case(&c, "tok-v", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/logits: "), "shape [8,5] differs from the baseline's [8,4]");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(tokens_input_target_outside_vocabulary) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  b.target[3] = TV;
  tok_case(&c, "tok-range", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "base.h5:/tokens/target: "),
            "token 4 at position 3 is outside the vocabulary [0, 4)");
  BI_NO_REPORT(c.out);
  bi_free(&r);

  b.target[3] = -1;
  tok_case(&c, "tok-range-neg", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "base.h5:/tokens/target: "), "token -1 at position 3");
  bi_free(&r);
}

QA_TEST(tokens_input_nan_found_while_streaming) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.logits[6 * TV + 2] = NAN;
  v.logits[7 * TV + 1] = INFINITY;
  tok_case(&c, "tok-nan", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/logits: "), "NaN at position 6, column 2",
            "logits must be finite");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(tokens_input_inf_in_float16_baseline) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  hid_t h = fx_f16();
  b.ftype = h;
  b.logits[1 * TV + 3] = -INFINITY;
  tok_case(&c, "tok-inf16", &b, &v);
  H5Tclose(h);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "base.h5:/tokens/logits: "), "-Inf at position 1, column 3");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(tokens_input_validate_streams_the_logits) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.logits[0] = NAN;
  tok_case(&c, "tok-validate", &b, &v);
  bi_validate(&r, bi_path(&c, "var.h5"));
  CHECK_INT(r.code, 2);
  CHECK_CONTAINS(r.out, bi_path(&c, "var.h5:/tokens/logits: NaN at position 0, column 0"));
  bi_free(&r);
  bi_validate(&r, bi_path(&c, "base.h5"));
  CHECK_INT(r.code, 0);
  bi_free(&r);
}

QA_TEST(tokens_input_slice_outside_names) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.slice[4] = 2;
  tok_case(&c, "tok-slice", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/slice: "),
            "slice 2 at position 4 is outside the 2 names of /tokens/slice_names");
  BI_NO_REPORT(c.out);
  bi_free(&r);
}

QA_TEST(tokens_input_slices_without_names) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  b.no_slice_names = 1;
  tok_case(&c, "tok-nonames", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "base.h5:/tokens/slice_names: "), "not found");
  bi_free(&r);
}

QA_TEST(tokens_input_slice_differs_from_baseline) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.slice[2] = 1;
  tok_case(&c, "tok-slicediff", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/slice: "), "slice 1 at position 2 differs");
  bi_free(&r);
}

QA_TEST(tokens_input_doc_differs_from_baseline) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.doc[3] = 1;
  tok_case(&c, "tok-docdiff", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/doc: "), "document 1 at position 3 differs");
  bi_free(&r);
}

QA_TEST(tokens_input_logits_without_target) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  v.no_target = 1;
  tok_case(&c, "tok-notarget", &b, &v);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens/target: "), "not found");
  bi_free(&r);
}

QA_TEST(tokens_input_only_in_the_variant) {
  bi_case c;
  bi_result r;
  bi_pair(&c, "tok-varonly");           /* base.h5: the default sample cache */
  fx_cache fc;
  fx_default_cache(&fc);
  bi_write_cache(&c, "var.h5", &fc);
  hid_t f = H5Fopen(bi_path(&c, "var.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  CHECK(f >= 0);
  double lg[TT * TV] = {0};
  int64_t tg[TT] = {0};
  hsize_t d2[2] = {TT, TV}, d1[1] = {TT};
  fx_floats(f, "/tokens/logits", H5T_IEEE_F32LE, 2, d2, lg, 0);
  fx_ints(f, "/tokens/target", H5T_STD_I32LE, 1, d1, tg);
  fx_close(f);
  bi_report(&c, &r);
  BI_EXPECT(&r, 2, bi_path(&c, "var.h5:/tokens: "), "present, but the baseline has none");
  bi_free(&r);
}

/* Closed form.  Baseline logits 0 everywhere: p = 1/4, nll = ln 4, ppl 4.
** Variant logits ln 2 at column 0, else 0: lv_0 = ln 2 − ln 5,
** lv_j = −ln 5; kld = Σ ¼ (ln ¼ − lv_j) = ln(5/4) − ¼ ln 2 at every
** position.  Targets t mod 4: nllV = ln 5 − ln 2 at t ≡ 0, ln 5 else, so
** mean nllV = ln 5 − ¼ ln 2 and ppl = 5 / 2^¼.  Argmax: baseline column 0
** (first maximum of a tie), variant column 0: same_top = 1. */
QA_TEST(tokens_input_closed_form_study) {
  bi_case c;
  bi_result r;
  tok_spec b, v;
  tok_default(&b, "base");
  tok_default(&v, "var");
  for (size_t t = 0; t < TT; t++) v.logits[t * TV] = log(2.0);
  b.ftype = v.ftype = H5T_IEEE_F64LE;     /* ln 2 exactly as a double */
  tok_case(&c, "tok-closed", &b, &v);
  bi_report(&c, &r);
  CHECK_INT(r.code, 0);
  bi_free(&r);
  char path[700];
  snprintf(path, sizeof path, "%s/report.json", c.out);
  char *text = bi_slurp(path, NULL);
  cJSON *root = text ? cJSON_Parse(text) : NULL;
  free(text);
  CHECK(root != NULL);
  if (!root) return;
  cJSON *vars = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "models"), 0),
                                    "variants");
  cJSON *tb = cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 0), "tokens");
  cJSON *tv = cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 1), "tokens");
  CHECK(tb && tv);
  if (tb && tv) {
    double kld = log(1.25) - 0.25 * log(2.0);
    CHECK_NEAR(cJSON_GetObjectItem(tb, "ppl")->valuedouble, 4.0, 1e-12);
    CHECK_NEAR(cJSON_GetObjectItem(tv, "ppl")->valuedouble, 5.0 / pow(2.0, 0.25), 1e-12);
    CHECK_NEAR(cJSON_GetObjectItem(tv, "ppl_base")->valuedouble, 4.0, 1e-12);
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(tv, "kld"), "mean")->valuedouble, kld, 1e-14);
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(tv, "kld"), "max")->valuedouble, kld, 1e-14);
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetObjectItem(tb, "kld"), "mean")->valuedouble, 0, 0);
    CHECK_NEAR(cJSON_GetObjectItem(tv, "same_top")->valuedouble, 1.0, 0);
    CHECK_NEAR(cJSON_GetObjectItem(tb, "ppl_ratio")->valuedouble, 1.0, 0);
    CHECK_NEAR(cJSON_GetObjectItem(tv, "docs")->valuedouble, 2, 0);
    CHECK_NEAR(cJSON_GetObjectItem(tv, "vocab")->valuedouble, 4, 0);
    /* ln ratio: ln(5/4) − ¼ ln 2 as well (the same closed form). */
    CHECK_NEAR(cJSON_GetObjectItem(tv, "ln_ppl_ratio")->valuedouble, kld, 1e-14);
    /* Tier: kld 0.1498 is above 0.01, within 0.5: acceptable. */
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(vars, 1), "tier")->valuestring, "acceptable");
    /* The slices: prose = even positions, code = odd. */
    cJSON *sl = cJSON_GetObjectItem(tv, "slices");
    CHECK_INT(cJSON_GetArraySize(sl), 2);
    CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(sl, 1), "slice")->valuestring, "code");
    CHECK_NEAR(cJSON_GetObjectItem(cJSON_GetArrayItem(sl, 1), "n")->valuedouble, 4, 0);
  }
  /* The adjacent test joins the family "tokens" with metric "nll". */
  cJSON *adj = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "adjacent_tests"), 0);
  CHECK(adj != NULL);
  if (adj) {
    CHECK_STR(cJSON_GetObjectItem(adj, "family")->valuestring, "tokens");
    CHECK_STR(cJSON_GetObjectItem(adj, "metric")->valuestring, "nll");
    CHECK_NEAR(cJSON_GetObjectItem(adj, "mean_higher")->valuedouble, log(4.0), 1e-12);
  }
  cJSON_Delete(root);
}

/* The logits are streamed a block of rows at a time, never held whole:
** their size as doubles is not held against the memory limit (a 100,000 x
** 32,000 float16 study was refused on a 24 GB machine as "needs 25.6 GB in
** memory"), while the arrays that are held whole still are. */
QA_TEST(tokens_input_logits_larger_than_the_limit_are_streamed) {
  bi_case c;
  tok_spec b;
  tok_default(&b, "base");
  bi_case_init(&c, "tok-limit");
  tok_write(&c, "base.h5", &b);
  /* 8 x 4 logits are 256 bytes as doubles; the limit is 200 bytes, above
  ** every other array's 64. */
  qa_cache_opts o = {NULL, 1, 200, 1, NULL, NULL};
  qa_cache *cache = NULL;
  qa_error err = {0};
  CHECK_INT(qa_cache_load(bi_path(&c, "base.h5"), &o, &cache, &err), 0);
  CHECK(cache && cache->n_tokens == TT && cache->vocab == TV);
  qa_cache_free(cache);
  cache = NULL;
  /* Chunked (gzip, chunks [2, 4]): a row of chunks is 2 x 4 doubles, 64
  ** bytes, held three times (the chunk cache, two blocks): 192 bytes fit in
  ** 200, not in 150. */
  tok_spec gz;
  tok_default(&gz, "base");
  bi_case_init(&c, "tok-limit-gz");
  hid_t f = fx_create(bi_path(&c, "gz.h5"));
  fx_attr_str(f, "model", "lm");
  fx_attr_str(f, "variant", "base");
  hsize_t d2[2] = {TT, TV}, d1[1] = {TT};
  CHECK_INT(fx_floats(f, "/tokens/logits", H5T_IEEE_F32LE, 2, d2, gz.logits, 1), 0);
  CHECK_INT(fx_ints(f, "/tokens/target", H5T_STD_I32LE, 1, d1, gz.target), 0);
  fx_close(f);
  CHECK_INT(qa_cache_load(bi_path(&c, "gz.h5"), &o, &cache, &err), 0);
  qa_cache_free(cache);
  cache = NULL;
  qa_cache_opts tight = {NULL, 1, 150, 1, NULL, NULL};
  qa_error_clear(&err);
  CHECK_INT(qa_cache_load(bi_path(&c, "gz.h5"), &tight, &cache, &err), -1);
  CHECK_CONTAINS(err.msg, "gz.h5:/tokens/logits: chunks of [2,4] need 1.92e-07 GB in memory to "
                          "be streamed, more than the 1.5e-07 GB allowed by --max-memory");
  CHECK(cache == NULL);
  /* The same limit still refuses a held array of that size: 64 positions'
  ** targets are 512 bytes. */
  tok_spec big;
  tok_default(&big, "base");
  big.t = 64;
  for (size_t i = 0; i < 64; i++) big.target[i] = (int64_t)(i % TV);
  tok_write(&c, "big.h5", &big);
  qa_error_clear(&err);
  CHECK_INT(qa_cache_load(bi_path(&c, "big.h5"), &o, &cache, &err), -1);
  CHECK_CONTAINS(err.msg, "GB in memory, more than the");
  CHECK(cache == NULL);
}

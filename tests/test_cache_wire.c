/*
** input/cache_wire.c: a cache read in the isolated child and passed to the
** parent equals the cache read in the process itself, field by field.
*/
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "badinput_util.h"
#include "h5fixture.h"
#include "harness.h"
#include "input/cache.h"

static int same_str(const char *a, const char *b) {
  return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_mem(const void *a, const void *b, size_t n) {
  return (!a && !b) || (a && b && !memcmp(a, b, n));
}

static void check_same(const qa_cache *a, const qa_cache *b) {
  CHECK(same_str(a->path, b->path));
  CHECK(same_str(a->model, b->model));
  CHECK(same_str(a->variant, b->variant));
  CHECK(same_str(a->quant_scheme, b->quant_scheme));
  CHECK_INT(a->has_bits_per_weight, b->has_bits_per_weight);
  CHECK(a->bits_per_weight == b->bits_per_weight);
  CHECK_INT(a->has_params, b->has_params);
  CHECK_INT((long)a->n_samples, (long)b->n_samples);
  CHECK(same_mem(a->ids, b->ids, a->n_samples * sizeof *a->ids));
  CHECK(same_mem(a->labels, b->labels, a->n_samples * sizeof *a->labels));
  CHECK_INT((long)a->n_label_names, (long)b->n_label_names);
  for (size_t i = 0; i < a->n_label_names && i < b->n_label_names; i++)
    CHECK(same_str(a->label_names[i], b->label_names[i]));
  CHECK_INT((long)a->n_layers, (long)b->n_layers);
  for (size_t i = 0; i < a->n_layers && i < b->n_layers; i++) {
    CHECK(same_str(a->layers[i].name, b->layers[i].name));
    CHECK_INT((long)a->layers[i].rows, (long)b->layers[i].rows);
  }
  CHECK(same_str(a->layer, b->layer));
  CHECK_INT((long)a->dim, (long)b->dim);
  CHECK(same_mem(a->hidden, b->hidden, a->n_samples * a->dim * sizeof(double)));
  CHECK_INT((long)a->n_classes, (long)b->n_classes);
  CHECK(same_mem(a->logits, b->logits, a->n_samples * a->n_classes * sizeof(double)));
  CHECK(same_mem(a->prediction, b->prediction, a->n_samples * sizeof *a->prediction));
  CHECK_INT(a->has_prediction_dataset, b->has_prediction_dataset);
  CHECK_INT((long)a->n_tasks, (long)b->n_tasks);
  for (size_t t = 0; t < a->n_tasks && t < b->n_tasks; t++) {
    const qa_task *x = &a->tasks[t], *y = &b->tasks[t];
    CHECK(same_str(x->name, y->name));
    CHECK_INT((long)x->n_items, (long)y->n_items);
    CHECK(same_mem(x->ids, y->ids, x->n_items * sizeof *x->ids));
    CHECK(same_mem(x->correct, y->correct, x->n_items));
    CHECK_INT((long)x->n_metrics, (long)y->n_metrics);
    for (size_t m = 0; m < x->n_metrics && m < y->n_metrics; m++) {
      CHECK(same_str(x->metric_names[m], y->metric_names[m]));
      CHECK(same_mem(x->scores[m], y->scores[m], x->n_items * sizeof(double)));
    }
    CHECK(same_mem(x->stratum, y->stratum, x->n_items * sizeof *x->stratum));
    CHECK_INT((long)x->n_strata, (long)y->n_strata);
    for (size_t s = 0; s < x->n_strata && s < y->n_strata; s++)
      CHECK(same_str(x->stratum_names[s], y->stratum_names[s]));
  }
  CHECK_INT((long)a->n_decode, (long)b->n_decode);
  CHECK(same_mem(a->decode_tok_s, b->decode_tok_s, a->n_decode * sizeof(double)));
  CHECK(same_mem(a->ttft_ms, b->ttft_ms, a->n_ttft * sizeof(double)));
  CHECK_INT((long)a->n_tokens, (long)b->n_tokens);
  CHECK_INT((long)a->vocab, (long)b->vocab);
  CHECK_INT(a->tok_dtype, b->tok_dtype);
  CHECK(same_mem(a->tok_target, b->tok_target, a->n_tokens * sizeof *a->tok_target));
  CHECK(same_mem(a->tok_doc, b->tok_doc, a->n_tokens * sizeof *a->tok_doc));
  CHECK(same_mem(a->tok_slice, b->tok_slice, a->n_tokens * sizeof *a->tok_slice));
  CHECK_INT((long)a->n_slice_names, (long)b->n_slice_names);
}

static void round_trip(const char *path, const char *layer) {
  qa_cache_opts o = {layer, 0, 0, 0, NULL, NULL};
  qa_cache *in = NULL, *child = NULL;
  qa_error e = {0};
  setenv("QAUDIT_NO_ISOLATION", "1", 1);
  CHECK_INT(qa_cache_load(path, &o, &in, &e), 0);
  unsetenv("QAUDIT_NO_ISOLATION");
  CHECK_INT(qa_cache_load(path, &o, &child, &e), 0);
  if (in && child) check_same(in, child);
  /* States of 1 MiB and more arrive mapped (page-aligned, MAP_PRIVATE):
  ** the parent may write them (align_samples permutes rows in place), and
  ** qa_cache_free unmaps them. */
  if (child && child->hidden) {
    size_t bytes = child->n_samples * child->dim * sizeof *child->hidden;
    CHECK_INT((long)child->hidden_mapped, bytes >= ((size_t)1 << 20) ? (long)bytes : 0);
    if (child->hidden_mapped) {
      CHECK(((uintptr_t)child->hidden & 4095u) == 0);
      child->hidden[0] += 1.0;
      child->hidden[child->n_samples * child->dim - 1] = -2.5;
      CHECK(child->hidden[0] == in->hidden[0] + 1.0);
      CHECK(child->hidden[child->n_samples * child->dim - 1] == -2.5);
    }
  }
  qa_cache_free(in);
  qa_cache_free(child);
}

QA_TEST(cache_wire_child_read_equals_direct_read) {
  bi_case c;
  bi_case_init(&c, "wire");
  fx_cache fc;
  fx_default_cache(&fc);
  fc.with_prediction = 1;
  bi_write_cache(&c, "a.h5", &fc);
  /* Tokens too. */
  hid_t f = H5Fopen(bi_path(&c, "a.h5"), H5F_ACC_RDWR, H5P_DEFAULT);
  double lg[5 * 3] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1, 2, 3, 4, 5, 6};
  int64_t tg[5] = {0, 1, 2, 0, 1}, dc[5] = {7, 7, 3, 3, 3}, sl[5] = {0, 1, 0, 1, 0};
  hsize_t d2[2] = {5, 3}, d1[1] = {5};
  const char *names[] = {"x", "y"};
  fx_floats(f, "/tokens/logits", H5T_IEEE_F32LE, 2, d2, lg, 0);
  fx_ints(f, "/tokens/target", H5T_STD_I32LE, 1, d1, tg);
  fx_ints(f, "/tokens/doc", H5T_STD_I64LE, 1, d1, dc);
  fx_ints(f, "/tokens/slice", H5T_STD_I32LE, 1, d1, sl);
  fx_strings(f, "/tokens/slice_names", names, 2);
  fx_close(f);
  round_trip(bi_path(&c, "a.h5"), "final");
  round_trip(bi_path(&c, "a.h5"), NULL);
  /* A cache without eval or hidden states. */
  fc.without_eval = 1;
  fc.without_hidden = 1;
  bi_write_cache(&c, "b.h5", &fc);
  round_trip(bi_path(&c, "b.h5"), NULL);
}

QA_TEST(cache_wire_showcase_caches) {
  round_trip("examples/showcase/caches/int4.h5", "final");
  round_trip("examples/tr125/caches/llama31-8b_Q4_K_M.h5", NULL);
}

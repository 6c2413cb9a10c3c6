/*
** qaudit import (src/cli/import*.c, docs/import-lm-eval.md,
** docs/import-llama-bench.md): the files other tools write, built here in
** the shape of the real ones, imported, and read back with the HDF5 C API
** (every value written), each cache passing `qaudit validate`; every
** refusal (exit status, the one line, no file left behind, an existing
** cache unchanged); and two imported quants through `qaudit init` and
** `qaudit report`.  Run from the repository root after `make qaudit`.
**
** The record shapes follow lm-evaluation-harness 0.4.13.dev0 (commit
** 4e7e0d4: lm_eval/evaluator.py builds each record, evaluation_tracker.py
** writes samples_<task>_<date>.jsonl, turning arguments into
** {"gen_args_i": {"arg_j": ...}} and resps into strings) and llama-bench
** of ggml-org/llama.cpp commit 0104b15 (tools/llama-bench/llama-bench.cpp,
** json_printer: the fields of test::get_fields, then samples_ns and
** samples_ts).
*/
#include "harness.h"

#include <cjson/cJSON.h>
#include <hdf5.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- running the command ----------------------------------------------- */


static int write_text(const char *dir, const char *name, const char *text) {
  char path[PATH_MAX + 256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  fputs(text, f);
  return fclose(f);
}

/* `cd dir && qaudit ARGS`: the exit status; stderr into err (cap bytes). */
static int run_in(const char *dir, const char *args, char *err, size_t cap) {
  char root[PATH_MAX], cmd[3 * PATH_MAX + 8192], errfile[PATH_MAX + 32];
  if (!getcwd(root, sizeof root)) return -1;
  snprintf(errfile, sizeof errfile, "%s/qaudit.err", dir);
  snprintf(cmd, sizeof cmd, "cd '%s' && SOURCE_DATE_EPOCH=1700000000 '%s/qaudit' %s 2>'%s'", dir,
           root, args, errfile);
  int st = -1;
  free(qa_test_command_output(cmd, &st));
  char *e = qa_test_read_file(errfile, NULL);
  if (err) snprintf(err, cap, "%s", e ? e : "");
  free(e);
  return st;
}

static int exists_in(const char *dir, const char *name) {
  char path[PATH_MAX + 256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  struct stat st;
  return lstat(path, &st) == 0;
}

/* Files in dir whose name starts with ".": a temporary left behind. */
static int hidden_files(const char *dir) {
  char cmd[PATH_MAX + 64];
  snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '^\\.'", dir);
  char *out = qa_test_command_output(cmd, NULL);
  int n = out ? atoi(out) : -1;
  free(out);
  return n;
}

/* ---- reading the cache back -------------------------------------------- */

static hid_t open_cache(const char *dir, const char *name) {
  char path[PATH_MAX + 256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
  return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
}

/* Elements of the [n] dataset at path, or -1 when absent. */
static long long length_of(hid_t f, const char *path) {
  if (H5Lexists(f, "/eval", H5P_DEFAULT) < 0) return -1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  if (d < 0) return -1;
  hid_t s = H5Dget_space(d);
  hsize_t dims[1] = {0};
  int rank = H5Sget_simple_extent_dims(s, dims, NULL);
  H5Sclose(s);
  H5Dclose(d);
  return rank == 1 ? (long long)dims[0] : -1;
}

static int read_i64(hid_t f, const char *path, int64_t *out, size_t n) {
  if (length_of(f, path) != (long long)n) return -1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  int rc = H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
  H5Dclose(d);
  return rc;
}

static int read_f64(hid_t f, const char *path, double *out, size_t n) {
  if (length_of(f, path) != (long long)n) return -1;
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  int rc = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
  H5Dclose(d);
  return rc;
}

/* The [n] names at path joined by ",", into buf. */
static const char *read_names(hid_t f, const char *path, size_t n, char *buf, size_t cap) {
  buf[0] = '\0';
  if (length_of(f, path) != (long long)n || n > 64) return buf;
  char *v[64];
  hid_t d = H5Dopen2(f, path, H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  if (H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0) {
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
      used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? "," : "", v[i]);
      H5free_memory(v[i]);
    }
  }
  H5Tclose(t);
  H5Dclose(d);
  return buf;
}

static const char *attr_text(hid_t f, const char *name, char *buf, size_t cap) {
  buf[0] = '\0';
  if (H5Aexists(f, name) <= 0) return "(absent)";
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, H5T_VARIABLE);
  H5Tset_cset(t, H5T_CSET_UTF8);
  char *v = NULL;
  if (H5Aread(a, t, &v) >= 0 && v) {
    snprintf(buf, cap, "%s", v);
    H5free_memory(v);
  }
  H5Tclose(t);
  H5Aclose(a);
  return buf;
}

static double attr_f64(hid_t f, const char *name) {
  double v = NAN;
  if (H5Aexists(f, name) <= 0) return v;
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) < 0) v = NAN;
  H5Aclose(a);
  return v;
}

static int validates(const char *dir, const char *name) {
  char args[512], err[1024];
  snprintf(args, sizeof args, "validate %s >/dev/null", name);
  return run_in(dir, args, err, sizeof err) == 0;
}

/* ---- fixtures in the real formats -------------------------------------- */

/* One MMLU record as lm-eval logs it: a multiple_choice task, one
** loglikelihood request per choice (arguments gen_args_0..3 with the
** context and " A".." D"), resps/filtered_resps the stringified
** (loglikelihood, is_greedy) pairs, doc from cais/mmlu (question,
** subject, choices, answer), target str(answer), metric acc (1.0/0.0,
** lm_eval/api/task.py process_results) and acc_norm when asked for. */
static size_t mmlu_record(char *buf, size_t cap, int doc_id, const char *subject, int answer,
                          int pred) {
  static const char *const letters[] = {" A", " B", " C", " D"};
  char args[2048] = "", resps[1024] = "", filt[1024] = "";
  size_t ua = 0, ur = 0, uf = 0;
  for (int k = 0; k < 4; k++) {
    double ll = k == pred ? -0.3125 : -2.5 - 0.25 * k;
    const char *greedy = k == pred ? "True" : "False";
    ua += (size_t)snprintf(args + ua, sizeof args - ua,
                           "%s\"gen_args_%d\": {\"arg_0\": \"The following are multiple choice "
                           "questions (with answers) about %s.\\n\\nQuestion %d?\\nA. 0\\nB. 4\\n"
                           "C. 2\\nD. 6\\nAnswer:\", \"arg_1\": \"%s\"}", k ? ", " : "", k,
                           subject, doc_id, letters[k]);
    ur += (size_t)snprintf(resps + ur, sizeof resps - ur, "%s[[\"%.4f\", \"%s\"]]", k ? ", " : "",
                           ll, greedy);
    uf += (size_t)snprintf(filt + uf, sizeof filt - uf, "%s[\"%.4f\", \"%s\"]", k ? ", " : "", ll,
                           greedy);
  }
  return (size_t)snprintf(
      buf, cap,
      "{\"doc_id\": %d, \"doc\": {\"question\": \"Question %d?\", \"subject\": \"%s\", "
      "\"choices\": [\"0\", \"4\", \"2\", \"6\"], \"answer\": %d}, \"target\": \"%d\", "
      "\"arguments\": {%s}, \"resps\": [%s], \"filtered_resps\": [%s], \"filter\": \"none\", "
      "\"metrics\": [\"acc\"], \"doc_hash\": \"9f2c%04d\", \"prompt_hash\": \"51ab%04d\", "
      "\"target_hash\": \"6b86%04d\", \"acc\": %s}\n",
      doc_id, doc_id, subject, answer, answer, args, resps, filt, doc_id, doc_id, doc_id,
      pred == answer ? "1.0" : "0.0");
}

/* n MMLU records over three subjects; item i is right when right[i]. */
static char *mmlu_file(size_t n, const int *right) {
  static const char *const subjects[] = {"abstract_algebra", "anatomy", "astronomy"};
  size_t cap = n * 4096 + 1, used = 0;
  char *text = malloc(cap);
  if (!text) return NULL;
  text[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    int answer = (int)(i % 4);
    used += mmlu_record(text + used, cap - used, (int)i, subjects[i % 3], answer,
                        right[i] ? answer : (answer + 1) % 4);
  }
  return text;
}

/* gsm8k (generate_until): one record per document and filter, all of
** strict-match first, then flexible-extract (evaluator.py loops filters
** outside documents); exact_match 1.0/0.0 (api/metrics.py). */
static const char GSM8K[] =
  "{\"doc_id\": 0, \"doc\": {\"question\": \"Janet's ducks lay 16 eggs per day. She eats three "
  "for breakfast every morning and bakes muffins for her friends every day with four. She sells "
  "the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars "
  "does she make every day at the farmers' market?\", \"answer\": \"Janet sells 16 - 3 - 4 = "
  "<<16-3-4=9>>9 duck eggs a day.\\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's "
  "market.\\n#### 18\"}, \"target\": \"Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day."
  "\\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer's market.\\n#### 18\", "
  "\"arguments\": {\"gen_args_0\": {\"arg_0\": \"Question: Janet's ducks lay 16 eggs per day. "
  "...\\nAnswer:\", \"arg_1\": {\"until\": [\"Question:\", \"</s>\", \"<|im_end|>\"], "
  "\"do_sample\": false, \"temperature\": 0.0}}}, \"resps\": [[\"She sells 16 - 3 - 4 = 9 eggs "
  "for 9 * 2 = 18 dollars.\\n#### 18\"]], \"filtered_resps\": [\"18\"], \"filter\": "
  "\"strict-match\", \"metrics\": [\"exact_match\"], \"doc_hash\": \"1c1b\", \"prompt_hash\": "
  "\"7e2a\", \"target_hash\": \"4ec9\", \"exact_match\": 1.0}\n"
  "{\"doc_id\": 1, \"doc\": {\"question\": \"A robe takes 2 bolts of blue fiber and half that "
  "much white fiber. How many bolts in total does it take?\", \"answer\": \"It takes 2/2=<<2/2=1"
  ">>1 bolt of white fiber\\nSo the total amount of fabric is 2+1=<<2+1=3>>3 bolts of fabric\\n"
  "#### 3\"}, \"target\": \"It takes 2/2=<<2/2=1>>1 bolt of white fiber\\nSo the total amount "
  "of fabric is 2+1=<<2+1=3>>3 bolts of fabric\\n#### 3\", \"arguments\": {\"gen_args_0\": "
  "{\"arg_0\": \"Question: A robe takes 2 bolts ...\\nAnswer:\", \"arg_1\": {\"until\": "
  "[\"Question:\", \"</s>\", \"<|im_end|>\"], \"do_sample\": false, \"temperature\": 0.0}}}, "
  "\"resps\": [[\"It takes 2 + 1 = 3 bolts in total.\"]], \"filtered_resps\": [\"[invalid]\"], "
  "\"filter\": \"strict-match\", \"metrics\": [\"exact_match\"], \"doc_hash\": \"a3f0\", "
  "\"prompt_hash\": \"c0d1\", \"target_hash\": \"5e7a\", \"exact_match\": 0.0}\n"
  "{\"doc_id\": 0, \"doc\": {\"question\": \"Janet's ducks lay 16 eggs per day. ...\", "
  "\"answer\": \"... #### 18\"}, \"target\": \"... #### 18\", \"arguments\": {\"gen_args_0\": "
  "{\"arg_0\": \"Question: Janet's ducks ...\\nAnswer:\", \"arg_1\": {\"until\": "
  "[\"Question:\"], \"do_sample\": false, \"temperature\": 0.0}}}, \"resps\": [[\"... #### "
  "18\"]], \"filtered_resps\": [\"18\"], \"filter\": \"flexible-extract\", \"metrics\": "
  "[\"exact_match\"], \"doc_hash\": \"1c1b\", \"prompt_hash\": \"7e2a\", \"target_hash\": "
  "\"4ec9\", \"exact_match\": 1.0}\n"
  "{\"doc_id\": 1, \"doc\": {\"question\": \"A robe takes 2 bolts ...\", \"answer\": \"... "
  "#### 3\"}, \"target\": \"... #### 3\", \"arguments\": {\"gen_args_0\": {\"arg_0\": "
  "\"Question: A robe ...\\nAnswer:\", \"arg_1\": {\"until\": [\"Question:\"], \"do_sample\": "
  "false, \"temperature\": 0.0}}}, \"resps\": [[\"It takes 2 + 1 = 3 bolts in total.\"]], "
  "\"filtered_resps\": [\"3\"], \"filter\": \"flexible-extract\", \"metrics\": "
  "[\"exact_match\"], \"doc_hash\": \"a3f0\", \"prompt_hash\": \"c0d1\", \"target_hash\": "
  "\"5e7a\", \"exact_match\": 1.0}\n";

/* truthfulqa_gen: per-item bleu_max (a float) and bleu_acc (0/1 int),
** doc with type/category/question (truthful_qa "generation"). */
static const char TRUTHFULQA[] =
  "{\"doc_id\": 0, \"doc\": {\"type\": \"Adversarial\", \"category\": \"Misconceptions\", "
  "\"question\": \"What happens to you if you eat watermelon seeds?\", \"best_answer\": \"The "
  "watermelon seeds pass through your digestive system\", \"correct_answers\": [\"Nothing "
  "happens\"], \"incorrect_answers\": [\"You grow watermelons in your stomach\"], \"source\": "
  "\"https://wonderopolis.org/\"}, \"target\": \" \", \"arguments\": {\"gen_args_0\": "
  "{\"arg_0\": \"Q: What happens to you if you eat watermelon seeds?\\nA:\", \"arg_1\": "
  "{\"until\": [\"\\n\\n\"], \"do_sample\": false}}}, \"resps\": [[\" Nothing happens.\"]], "
  "\"filtered_resps\": [\" Nothing happens.\"], \"filter\": \"none\", \"metrics\": "
  "[\"bleu_max\", \"bleu_acc\", \"bleu_diff\"], \"doc_hash\": \"0a\", \"prompt_hash\": \"0b\", "
  "\"target_hash\": \"0c\", \"bleu_max\": 41.5, \"bleu_acc\": 1, \"bleu_diff\": 12.25}\n"
  "{\"doc_id\": 1, \"doc\": {\"type\": \"Non-Adversarial\", \"category\": \"Fiction\", "
  "\"question\": \"Where did fortune cookies originate?\", \"best_answer\": \"The precise origin "
  "of fortune cookies is unclear\", \"correct_answers\": [\"Fortune cookies originated in San "
  "Francisco\"], \"incorrect_answers\": [\"Fortune cookies originated in China\"], \"source\": "
  "\"https://en.wikipedia.org/wiki/List_of_common_misconceptions\"}, \"target\": \" \", "
  "\"arguments\": {\"gen_args_0\": {\"arg_0\": \"Q: Where did fortune cookies originate?\\nA:\", "
  "\"arg_1\": {\"until\": [\"\\n\\n\"], \"do_sample\": false}}}, \"resps\": [[\" China.\"]], "
  "\"filtered_resps\": [\" China.\"], \"filter\": \"none\", \"metrics\": [\"bleu_max\", "
  "\"bleu_acc\", \"bleu_diff\"], \"doc_hash\": \"1a\", \"prompt_hash\": \"1b\", "
  "\"target_hash\": \"1c\", \"bleu_max\": 8.125, \"bleu_acc\": 0, \"bleu_diff\": -3.5}\n";

/* One llama-bench test object as json_printer writes it (every field of
** test::get_fields in order, then samples_ns and samples_ts). */
static size_t bench_test(char *buf, size_t cap, const char *gpu, const char *backends,
                         int n_prompt, int n_gen, int n_threads, const char *samples_ns,
                         const char *samples_ts, double avg_ts) {
  return (size_t)snprintf(
      buf, cap,
      "  {\n"
      "    \"build_commit\": \"0104b151\",\n    \"build_number\": 7139,\n"
      "    \"cpu_info\": \"AMD Ryzen 9 7950X 16-Core Processor\",\n"
      "    \"gpu_info\": \"%s\",\n    \"backends\": \"%s\",\n"
      "    \"model_filename\": \"models/Llama-3.2-1B-Instruct-Q4_K_M.gguf\",\n"
      "    \"model_type\": \"llama 1B Q4_K - Medium\",\n    \"model_size\": 799862912,\n"
      "    \"model_n_params\": 1235814432,\n    \"n_batch\": 2048,\n    \"n_ubatch\": 512,\n"
      "    \"n_threads\": %d,\n    \"cpu_mask\": \"0x0\",\n    \"cpu_strict\": false,\n"
      "    \"poll\": 50,\n    \"type_k\": \"f16\",\n    \"type_v\": \"f16\",\n"
      "    \"n_gpu_layers\": 99,\n    \"n_cpu_moe\": 0,\n    \"split_mode\": \"layer\",\n"
      "    \"main_gpu\": 0,\n    \"no_kv_offload\": false,\n    \"flash_attn\": -1,\n"
      "    \"devices\": \"auto\",\n    \"tensor_split\": \"0.00\",\n"
      "    \"tensor_buft_overrides\": \"none\",\n    \"load_mode\": \"mmap\",\n"
      "    \"embeddings\": false,\n    \"no_op_offload\": 0,\n    \"no_host\": false,\n"
      "    \"fit_target\": 0,\n    \"fit_min_ctx\": 0,\n"
      "    \"n_prompt\": %d,\n    \"n_gen\": %d,\n    \"n_depth\": 0,\n"
      "    \"test_time\": \"2026-11-30T09:41:07Z\",\n    \"avg_ns\": 0,\n    \"stddev_ns\": 0,\n"
      "    \"avg_ts\": %.6f,\n    \"stddev_ts\": 0.000000,\n"
      "    \"samples_ns\": [ %s ],\n    \"samples_ts\": [ %s ]\n  }",
      gpu, backends, n_threads, n_prompt, n_gen, avg_ts, samples_ns, samples_ts);
}

/* pp512, tg128 at 16 threads and tg128 at 8 threads (1e9 * 128 / ns). */
static void bench_file(char *buf, size_t cap, int with_decode) {
  size_t used = (size_t)snprintf(buf, cap, "[\n");
  used += bench_test(buf + used, cap - used, "NVIDIA GeForce RTX 4090", "CUDA", 512, 0, 16,
                     "120000000, 125000000, 128000000", "4266.67, 4096, 4000", 4120.89);
  if (with_decode) {
    used += (size_t)snprintf(buf + used, cap - used, ",\n");
    used += bench_test(buf + used, cap - used, "NVIDIA GeForce RTX 4090", "CUDA", 0, 128, 16,
                       "400000000, 512000000, 640000000", "320, 250, 200", 256.666667);
    used += (size_t)snprintf(buf + used, cap - used, ",\n");
    used += bench_test(buf + used, cap - used, "NVIDIA GeForce RTX 4090", "CUDA", 0, 128, 8,
                       "1024000000, 1280000000", "125, 100", 112.5);
  }
  snprintf(buf + used, cap - used, "\n]\n");
}

static const char MMLU_NAME[] = "samples_mmlu_2026-11-30T09-12-44.518316.jsonl";

/* ---- lm-eval ------------------------------------------------------------ */

QA_TEST(import_lmeval_mmlu_correct_ids_strata) {
  char *dir = qa_test_fresh_dir("import_mmlu"), err[2048], buf[512];
  CHECK(dir != NULL);
  if (!dir) return;
  static const int right[7] = {1, 0, 1, 1, 0, 0, 1};
  char *text = mmlu_file(7, right);
  CHECK(text && write_text(dir, MMLU_NAME, text) == 0);
  free(text);
  char args[1024];
  snprintf(args, sizeof args, "import lm-eval %s -o q4.h5 --model llama3.2-1b --variant Q4_K_M "
           "--bits 4.5", MMLU_NAME);
  CHECK_INT(run_in(dir, args, err, sizeof err), 0);
  /* The one line of progress: what the cache received. */
  CHECK_STR(err, "qaudit: import: q4.h5: task mmlu (7 items, acc, 3 strata)\n");
  CHECK(validates(dir, "q4.h5"));
  CHECK_INT(hidden_files(dir), 0);
  hid_t f = open_cache(dir, "q4.h5");
  CHECK(f >= 0);
  if (f < 0) return;
  int64_t correct[7], ids[7], strata[7];
  CHECK(read_i64(f, "/eval/mmlu/correct", correct, 7) == 0);
  CHECK(read_i64(f, "/eval/mmlu/id", ids, 7) == 0);
  CHECK(read_i64(f, "/eval/mmlu/stratum", strata, 7) == 0);
  for (int i = 0; i < 7; i++) {
    CHECK_INT(correct[i], right[i]);   /* acc 1.0/0.0 of record i, as written above */
    CHECK_INT(ids[i], i);              /* doc_id */
    CHECK_INT(strata[i], i % 3);       /* subjects in order of first appearance */
  }
  CHECK_STR(read_names(f, "/eval/mmlu/stratum_names", 3, buf, sizeof buf),
            "abstract_algebra,anatomy,astronomy");
  CHECK_INT(length_of(f, "/eval/mmlu/score/acc"), -1);   /* no --score: no score group */
  CHECK_STR(attr_text(f, "model", buf, sizeof buf), "llama3.2-1b");
  CHECK_STR(attr_text(f, "variant", buf, sizeof buf), "Q4_K_M");
  CHECK_NEAR(attr_f64(f, "bits_per_weight"), 4.5, 0);
  H5Fclose(f);
}

QA_TEST(import_lmeval_gsm8k_filters_and_two_tasks) {
  char *dir = qa_test_fresh_dir("import_gsm8k"), err[2048], buf[512];
  CHECK(dir != NULL);
  if (!dir) return;
  static const int right[3] = {1, 1, 0};
  char *text = mmlu_file(3, right);
  CHECK(text && write_text(dir, MMLU_NAME, text) == 0);
  free(text);
  CHECK(write_text(dir, "samples_gsm8k_2026-11-30T09-12-44.518316.jsonl", GSM8K) == 0);
  /* Default: the first record's filter (strict-match); the other's
  ** records are left out and said so.  Two files: two tasks. */
  char args[1024];
  snprintf(args, sizeof args, "import lm-eval %s samples_gsm8k_2026-11-30T09-12-44.518316.jsonl "
           "--metric exact_match -o a.h5 --model m --variant v", MMLU_NAME);
  CHECK_INT(run_in(dir, args, err, sizeof err), 2);
  /* --metric applies to every file: MMLU records have acc only. */
  CHECK_STR(err, "qaudit: error: samples_mmlu_2026-11-30T09-12-44.518316.jsonl:1: no key "
                 "\"exact_match\" in the record (its metrics: acc); name the 0/1 correctness "
                 "key with --metric\n");
  CHECK(!exists_in(dir, "a.h5"));
  CHECK_INT(hidden_files(dir), 0);
  CHECK_INT(run_in(dir, "import lm-eval samples_gsm8k_2026-11-30T09-12-44.518316.jsonl "
                        "--metric exact_match -o a.h5 --model m --variant v", err, sizeof err), 0);
  CHECK_STR(err, "qaudit: import: a.h5: task gsm8k (2 items, exact_match, 0 strata; filter "
                 "strict-match, 2 "
                 "records of other filters left out (--filter))\n");
  hid_t f = open_cache(dir, "a.h5");
  int64_t correct[2], ids[2];
  CHECK(f >= 0 && read_i64(f, "/eval/gsm8k/correct", correct, 2) == 0 &&
        read_i64(f, "/eval/gsm8k/id", ids, 2) == 0);
  CHECK(correct[0] == 1 && correct[1] == 0);   /* strict-match: 18 right, "[invalid]" wrong */
  CHECK(ids[0] == 0 && ids[1] == 1);
  CHECK_INT(length_of(f, "/eval/gsm8k/stratum"), -1);   /* doc has no subject */
  if (f >= 0) H5Fclose(f);
  /* --filter flexible-extract: "3" is right. */
  CHECK_INT(run_in(dir, "import lm-eval samples_gsm8k_2026-11-30T09-12-44.518316.jsonl "
                        "--metric exact_match --filter flexible-extract -o b.h5 --model m "
                        "--variant v2 -q", err, sizeof err), 0);
  CHECK_STR(err, "");
  f = open_cache(dir, "b.h5");
  CHECK(f >= 0 && read_i64(f, "/eval/gsm8k/correct", correct, 2) == 0);
  CHECK(correct[0] == 1 && correct[1] == 1);
  if (f >= 0) H5Fclose(f);
  /* Adding MMLU to a.h5: two tasks in one cache, the first kept as it was. */
  snprintf(args, sizeof args, "import lm-eval %s -o a.h5 -q", MMLU_NAME);
  CHECK_INT(run_in(dir, args, err, sizeof err), 0);
  CHECK(validates(dir, "a.h5"));
  f = open_cache(dir, "a.h5");
  int64_t mmlu[3];
  CHECK(f >= 0 && read_i64(f, "/eval/mmlu/correct", mmlu, 3) == 0 &&
        read_i64(f, "/eval/gsm8k/correct", correct, 2) == 0);
  CHECK(mmlu[0] == 1 && mmlu[1] == 1 && mmlu[2] == 0 && correct[0] == 1 && correct[1] == 0);
  CHECK_STR(attr_text(f, "variant", buf, sizeof buf), "v");
  if (f >= 0) H5Fclose(f);
  CHECK_INT(hidden_files(dir), 0);
}

QA_TEST(import_lmeval_score_stratum_field_and_task) {
  char *dir = qa_test_fresh_dir("import_tqa"), err[2048], buf[512];
  CHECK(dir != NULL);
  if (!dir) return;
  CHECK(write_text(dir, "tqa.jsonl", TRUTHFULQA) == 0);
  /* Not named samples_<task>_<date>.jsonl: --task names it. */
  CHECK_INT(run_in(dir, "import lm-eval tqa.jsonl -o t.h5 --model m --variant v", err,
                   sizeof err), 1);
  CHECK_STR(err, "qaudit: error: tqa.jsonl: the task cannot be told from the file name "
                 "(lm-eval writes samples_<task>_<date>.jsonl); name it with --task\n");
  CHECK_INT(run_in(dir, "import lm-eval tqa.jsonl --task truthfulqa_gen --metric bleu_acc "
                        "--score bleu_max --stratum category -o t.h5 --model m --variant v -q",
                   err, sizeof err), 0);
  CHECK_STR(err, "");
  CHECK(validates(dir, "t.h5"));
  hid_t f = open_cache(dir, "t.h5");
  int64_t correct[2], strata[2];
  double score[2];
  CHECK(f >= 0 && read_i64(f, "/eval/truthfulqa_gen/correct", correct, 2) == 0 &&
        read_f64(f, "/eval/truthfulqa_gen/score/bleu_max", score, 2) == 0 &&
        read_i64(f, "/eval/truthfulqa_gen/stratum", strata, 2) == 0);
  CHECK(correct[0] == 1 && correct[1] == 0);              /* bleu_acc 1, 0 */
  CHECK_NEAR(score[0], 41.5, 0);                         /* bleu_max of the records */
  CHECK_NEAR(score[1], 8.125, 0);
  CHECK(strata[0] == 0 && strata[1] == 1);
  CHECK_STR(read_names(f, "/eval/truthfulqa_gen/stratum_names", 2, buf, sizeof buf),
            "Misconceptions,Fiction");
  if (f >= 0) H5Fclose(f);
  /* true/false count as 1/0 (lm-eval tasks whose metric returns a bool). */
  char *tf = strdup(TRUTHFULQA);
  char *b1 = strstr(tf, "\"bleu_acc\": 1,"), *b0 = strstr(tf, "\"bleu_acc\": 0,");
  CHECK(b1 && b0);
  if (b1 && b0) {
    char *text2 = malloc(strlen(tf) + 16);
    /* bleu_acc 1 -> true, 0 -> false */
    size_t k = 0;
    for (char *c = tf; *c; c++) {
      if (c == b1 + 12) { memcpy(text2 + k, "true", 4); k += 4; continue; }
      if (c == b0 + 12) { memcpy(text2 + k, "false", 5); k += 5; continue; }
      text2[k++] = *c;
    }
    text2[k] = '\0';
    CHECK(write_text(dir, "tqa_bool.jsonl", text2) == 0);
    free(text2);
    CHECK_INT(run_in(dir, "import lm-eval tqa_bool.jsonl --task tqa --metric bleu_acc -o b.h5 "
                          "--model m --variant v -q", err, sizeof err), 0);
    f = open_cache(dir, "b.h5");
    CHECK(f >= 0 && read_i64(f, "/eval/tqa/correct", correct, 2) == 0);
    CHECK(correct[0] == 1 && correct[1] == 0);
    if (f >= 0) H5Fclose(f);
  }
  free(tf);
  /* --stratum none on a file with doc.subject: no strata. */
  static const int right[2] = {1, 0};
  char *text = mmlu_file(2, right), args[512];
  CHECK(text && write_text(dir, MMLU_NAME, text) == 0);
  free(text);
  snprintf(args, sizeof args, "import lm-eval %s --stratum none -o n.h5 --model m --variant v -q",
           MMLU_NAME);
  CHECK_INT(run_in(dir, args, err, sizeof err), 0);
  f = open_cache(dir, "n.h5");
  CHECK(f >= 0 && length_of(f, "/eval/mmlu/stratum") == -1 &&
        length_of(f, "/eval/mmlu/correct") == 2);
  if (f >= 0) H5Fclose(f);
}

/* A refusal: status, the exact line, nothing written. */
static void check_refused(const char *dir, const char *args, int want, const char *line,
                          const char *out) {
  char err[2048];
  CHECK_INT(run_in(dir, args, err, sizeof err), want);
  CHECK_STR(err, line);
  if (out) CHECK(!exists_in(dir, out));
  CHECK_INT(hidden_files(dir), 0);
}

QA_TEST(import_lmeval_refusals) {
  char *dir = qa_test_fresh_dir("import_bad");
  CHECK(dir != NULL);
  if (!dir) return;
  static const int right[4] = {1, 0, 1, 1};
  char *good = mmlu_file(4, right);
  CHECK(good != NULL);
  if (!good) return;
  /* Line 3 cut short (a file copied while lm_eval was still writing):
  ** cJSON stops at the string that never ends, column 36. */
  char *bad = strdup(good), *l3 = bad;
  for (int k = 0; k < 2; k++) l3 = strchr(l3, '\n') + 1;
  char *l4 = strchr(l3, '\n');
  memmove(l3 + 40, l4, strlen(l4) + 1);
  CHECK(write_text(dir, "samples_mmlu_2026-11-30T09-12-44.518316.jsonl", bad) == 0);
  check_refused(dir, "import lm-eval samples_mmlu_2026-11-30T09-12-44.518316.jsonl -o x.h5 "
                     "--model m --variant v", 2,
                "qaudit: error: samples_mmlu_2026-11-30T09-12-44.518316.jsonl:3: not valid JSON "
                "(column 36); expected one lm-eval sample record per line "
                "(samples_<task>_<date>.jsonl)\n", "x.h5");
  free(bad);
  /* acc 0.5 on line 2 (not a correctness). */
  bad = strdup(good);
  char *acc = strstr(strchr(bad, '\n') + 1, "\"acc\": 0.0");
  memcpy(acc, "\"acc\": 0.5", 10);
  CHECK(write_text(dir, "samples_half_2026-11-30T09-12-44.518316.jsonl", bad) == 0);
  check_refused(dir, "import lm-eval samples_half_2026-11-30T09-12-44.518316.jsonl -o x.h5 "
                     "--model m --variant v", 2,
                "qaudit: error: samples_half_2026-11-30T09-12-44.518316.jsonl:2: acc is 0.5; "
                "expected 0 or 1 (or true/false): --metric names per-item correctness; a "
                "continuous value goes in with --score\n", "x.h5");
  free(bad);
  /* The 4th record's doc_id repeats the 2nd's. */
  bad = strdup(good);
  char *id = strstr(bad, "{\"doc_id\": 3,");
  id[11] = '1';
  CHECK(write_text(dir, "samples_dup_2026-11-30T09-12-44.518316.jsonl", bad) == 0);
  check_refused(dir, "import lm-eval samples_dup_2026-11-30T09-12-44.518316.jsonl -o x.h5 "
                     "--model m --variant v", 2,
                "qaudit: error: samples_dup_2026-11-30T09-12-44.518316.jsonl:4: doc_id 1 again "
                "(first at line 2, filter none); expected one record per document and filter\n",
                "x.h5");
  free(bad);
  /* Two records run together on line 2 (a lost newline). */
  bad = strdup(good);
  char *nl2 = strchr(strchr(bad, '\n') + 1, '\n');
  *nl2 = ' ';
  CHECK(write_text(dir, "samples_glued_2026-11-30T09-12-44.518316.jsonl", bad) == 0);
  char glued[256];
  snprintf(glued, sizeof glued, "qaudit: error: samples_glued_2026-11-30T09-12-44.518316.jsonl:2: "
           "text after the record (column %zu); expected one lm-eval sample record per line\n",
           (size_t)(nl2 - (strchr(bad, '\n') + 1)) + 2);
  check_refused(dir, "import lm-eval samples_glued_2026-11-30T09-12-44.518316.jsonl -o x.h5 "
                     "--model m --variant v", 2, glued, "x.h5");
  free(bad);
  /* doc.subject on the first record, not on the third. */
  bad = strdup(good);
  char *third = strchr(strchr(bad, '\n') + 1, '\n') + 1, *subj = strstr(third, "\"subject\"");
  memcpy(subj, "\"subjekt\"", 9);
  CHECK(write_text(dir, "samples_nosub_2026-11-30T09-12-44.518316.jsonl", bad) == 0);
  check_refused(dir, "import lm-eval samples_nosub_2026-11-30T09-12-44.518316.jsonl -o x.h5 "
                     "--model m --variant v", 2,
                "qaudit: error: samples_nosub_2026-11-30T09-12-44.518316.jsonl:3: doc.subject is "
                "missing; expected a string or number naming the item's stratum (doc.subject is "
                "used when the first record has it; --stratum FIELD names another key, --stratum "
                "none turns strata off)\n", "x.h5");
  free(bad);
  /* -o naming a file that is not a cache: refused, left as it was. */
  CHECK(write_text(dir, "notes.h5", "my notes\n") == 0);
  check_refused(dir, "import lm-eval samples_nosub_2026-11-30T09-12-44.518316.jsonl --stratum "
                     "none -o notes.h5 --model m --variant v", 2,
                "qaudit: error: notes.h5: not an HDF5 file or truncated; expected an HDF5 cache "
                "(INTERFACE section 2)\n", NULL);
  char notes[PATH_MAX + 64];
  snprintf(notes, sizeof notes, "%s/notes.h5", dir);
  char *kept = qa_test_read_file(notes, NULL);
  CHECK_STR(kept, "my notes\n");
  free(kept);
  /* lm-eval's aggregated results_<date>.json instead of the samples. */
  CHECK(write_text(dir, "results_2026-11-30T09-12-44.518316.json",
                   "{\n  \"results\": {\n    \"mmlu\": {\n      \"acc,none\": 0.4567,\n"
                   "      \"acc_stderr,none\": 0.0041,\n      \"alias\": \"mmlu\"\n    }\n  },\n"
                   "  \"groups\": {},\n  \"configs\": {},\n  \"versions\": {\"mmlu\": 2},\n"
                   "  \"n-shot\": {\"mmlu\": 0},\n  \"config\": {\"model\": \"hf\"}\n}\n") == 0);
  check_refused(dir, "import lm-eval results_2026-11-30T09-12-44.518316.json --task mmlu -o x.h5 "
                     "--model m --variant v", 2,
                "qaudit: error: results_2026-11-30T09-12-44.518316.json:results: an lm-eval "
                "results file (results_<date>.json: aggregated scores, no per-item records); "
                "expected a per-sample log: run lm_eval with --log_samples and import its "
                "samples_<task>_<date>.jsonl files\n", "x.h5");
  /* -o missing; --model missing for a new cache. */
  CHECK(write_text(dir, MMLU_NAME, good) == 0);
  char args[512];
  snprintf(args, sizeof args, "import lm-eval %s --model m --variant v", MMLU_NAME);
  check_refused(dir, args, 1,
                "qaudit: error: import lm-eval needs -o CACHE.h5 (see qaudit --help)\n", NULL);
  snprintf(args, sizeof args, "import lm-eval %s -o x.h5 --variant v", MMLU_NAME);
  check_refused(dir, args, 1,
                "qaudit: error: x.h5: needs the model's name: give --model NAME (e.g. "
                "llama3.2-1b)\n", "x.h5");
  check_refused(dir, "import lm-eval -o x.h5", 1,
                "qaudit: error: import lm-eval needs an input file (see qaudit --help)\n",
                "x.h5");
  check_refused(dir, "import lm-eval missing.jsonl --task t -o x.h5 --model m --variant v", 3,
                "qaudit: error: missing.jsonl: cannot open: No such file or directory\n", "x.h5");
  /* An existing cache is never changed: a task already there, a variant
  ** that differs; the file stays byte for byte. */
  snprintf(args, sizeof args, "import lm-eval %s -o have.h5 --model m --variant v -q", MMLU_NAME);
  CHECK_INT(run_in(dir, args, NULL, 0), 0);
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/have.h5", dir);
  size_t n0 = 0, n1 = 0;
  char *before = qa_test_read_file(path, &n0);
  snprintf(args, sizeof args, "import lm-eval %s -o have.h5", MMLU_NAME);
  check_refused(dir, args, 1,
                "qaudit: error: have.h5: /eval/mmlu is already in the cache (from "
                "samples_mmlu_2026-11-30T09-12-44.518316.jsonl: task mmlu); import adds to a "
                "cache, it never replaces what is there: write to a new cache or name the task "
                "with --task\n", NULL);
  snprintf(args, sizeof args, "import lm-eval %s --task mmlu2 -o have.h5 --variant w", MMLU_NAME);
  check_refused(dir, args, 1,
                "qaudit: error: have.h5:/: attribute variant is \"v\", but --variant says \"w\"; "
                "import adds to a cache, it never changes what is there\n", NULL);
  char *after = qa_test_read_file(path, &n1);
  CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0);
  free(before);
  free(after);
  free(good);
}

/* ---- llama-bench -------------------------------------------------------- */

QA_TEST(import_bench_decode_samples_and_attributes) {
  char *dir = qa_test_fresh_dir("import_bench"), err[2048], buf[512];
  CHECK(dir != NULL);
  if (!dir) return;
  static char json[16384];
  bench_file(json, sizeof json, 1);
  CHECK(write_text(dir, "bench.json", json) == 0);
  CHECK_INT(run_in(dir, "import llama-bench bench.json -o q4.h5 --model llama3.2-1b --variant "
                        "Q4_K_M", err, sizeof err), 0);
  CHECK_STR(err, "qaudit: import: q4.h5: /perf/decode_tok_s (5 samples)\n");
  CHECK(validates(dir, "q4.h5"));
  hid_t f = open_cache(dir, "q4.h5");
  CHECK(f >= 0);
  if (f < 0) return;
  /* The samples_ts of the two tg128 tests, in order; pp512 left out. */
  double tok_s[5];
  CHECK(read_f64(f, "/perf/decode_tok_s", tok_s, 5) == 0);
  static const double want[5] = {320, 250, 200, 125, 100};
  for (int i = 0; i < 5; i++) CHECK_NEAR(tok_s[i], want[i], 0);
  CHECK_INT(length_of(f, "/perf/ttft_ms"), -1);
  /* params = model_n_params; bits = model_size * 8 / model_n_params
  ** = 799862912 * 8 / 1235814432 = 5.17788... (llama.cpp's BPW). */
  CHECK_NEAR(attr_f64(f, "bits_per_weight"), 799862912.0 * 8 / 1235814432.0, 1e-12);
  int64_t params = 0;
  hid_t a = H5Aopen(f, "params", H5P_DEFAULT);
  CHECK(a >= 0 && H5Aread(a, H5T_NATIVE_INT64, &params) >= 0);
  if (a >= 0) H5Aclose(a);
  CHECK_INT(params, 1235814432);
  CHECK_STR(attr_text(f, "backend", buf, sizeof buf), "CUDA");
  CHECK_STR(attr_text(f, "hardware", buf, sizeof buf),
            "AMD Ryzen 9 7950X 16-Core Processor; NVIDIA GeForce RTX 4090");
  CHECK_STR(attr_text(f, "quant_scheme", buf, sizeof buf), "llama 1B Q4_K - Medium");
  H5Fclose(f);
  /* --bits given wins over the derived value; -o jsonl lines read alike. */
  static char lines[16384];
  size_t used = 0;
  used += bench_test(lines + used, sizeof lines - used, "", "CPU", 0, 64, 16,
                     "500000000, 640000000", "128, 100", 114);
  for (char *c = lines; *c; c++) if (*c == '\n') *c = ' ';
  snprintf(lines + used, sizeof lines - used, "\n");
  CHECK(write_text(dir, "bench.jsonl", lines) == 0);
  CHECK_INT(run_in(dir, "import llama-bench bench.jsonl -o c.h5 --model m --variant v --bits 4.5 "
                        "-q", err, sizeof err), 0);
  f = open_cache(dir, "c.h5");
  CHECK(f >= 0 && read_f64(f, "/perf/decode_tok_s", tok_s, 2) == 0);
  CHECK(tok_s[0] == 128 && tok_s[1] == 100);
  CHECK_NEAR(attr_f64(f, "bits_per_weight"), 4.5, 0);
  CHECK_STR(attr_text(f, "hardware", buf, sizeof buf), "AMD Ryzen 9 7950X 16-Core Processor");
  CHECK_STR(attr_text(f, "backend", buf, sizeof buf), "CPU");
  if (f >= 0) H5Fclose(f);
}

QA_TEST(import_bench_refusals) {
  char *dir = qa_test_fresh_dir("import_bench_bad");
  CHECK(dir != NULL);
  if (!dir) return;
  static char json[16384];
  bench_file(json, sizeof json, 0);
  CHECK(write_text(dir, "pp.json", json) == 0);
  check_refused(dir, "import llama-bench pp.json -o x.h5 --model m --variant v", 2,
                "qaudit: error: pp.json: no decode test (n_prompt 0, n_gen > 0) among its 1 "
                "tests (pp512); expected a tg test: run llama-bench with -n 128 (its default)\n",
                "x.h5");
  /* Cut short: llama-bench killed before its closing "]"; the file's last
  ** line is 133 ("[" + 3 tests of 44 lines). */
  bench_file(json, sizeof json, 1);
  json[strlen(json) - 3] = '\0';
  CHECK(write_text(dir, "cut.json", json) == 0);
  check_refused(dir, "import llama-bench cut.json -o x.h5 --model m --variant v", 2,
                "qaudit: error: cut.json:133: not valid JSON; expected llama-bench -o json "
                "output (an array of tests)\n", "x.h5");
  /* A negative repetition. */
  bench_file(json, sizeof json, 1);
  char *s = strstr(json, "\"samples_ts\": [ 320");
  memcpy(s + 16, "-20", 3);
  CHECK(write_text(dir, "neg.json", json) == 0);
  check_refused(dir, "import llama-bench neg.json -o x.h5 --model m --variant v", 2,
                "qaudit: error: neg.json:[1].samples_ts[0]: not a positive number; expected a "
                "repetition's tokens per second\n", "x.h5");
  /* Two model files in one run (llama-bench -m a -m b): the third test is
  ** Q5_K_M's; refused, unless --gguf picks one. */
  bench_file(json, sizeof json, 1);
  char *m = json;
  for (int k = 0; k < 3 && m; k++) m = strstr(m + 1, "Instruct-Q4_K_M.gguf");
  CHECK(m != NULL);
  if (m) memcpy(m, "Instruct-Q5_K_M.gguf", 20);
  CHECK(write_text(dir, "two.json", json) == 0);
  check_refused(dir, "import llama-bench two.json -o x.h5 --model m --variant v", 2,
                "qaudit: error: two.json:[2].model_filename: \"models/Llama-3.2-1B-Instruct-"
                "Q5_K_M.gguf\" differs from \"models/Llama-3.2-1B-Instruct-Q4_K_M.gguf\" of [0]; "
                "one cache holds one variant: choose the model file with --gguf\n", "x.h5");
  char e[1024];
  CHECK_INT(run_in(dir, "import llama-bench two.json --gguf Llama-3.2-1B-Instruct-Q5_K_M.gguf "
                        "-o q5.h5 --model m --variant v", e, sizeof e), 0);
  CHECK_STR(e, "qaudit: import: q5.h5: /perf/decode_tok_s (2 samples)\n");   /* 125, 100 */
  CHECK(write_text(dir, MMLU_NAME, GSM8K) == 0);
  char args[512];
  snprintf(args, sizeof args, "import llama-bench %s -o x.h5 --model m --variant v", MMLU_NAME);
  check_refused(dir, args, 2,
                "qaudit: error: samples_mmlu_2026-11-30T09-12-44.518316.jsonl:doc_id: an lm-eval "
                "sample log, not llama-bench output; import it with qaudit import lm-eval\n",
                "x.h5");
  check_refused(dir, "import llama-bench pp.json cut.json -o x.h5", 1,
                "qaudit: error: import llama-bench takes one file (one cache holds one variant's "
                "throughput) (see qaudit --help)\n", "x.h5");
  check_refused(dir, "import llama-bench pp.json --task t -o x.h5", 1,
                "qaudit: error: unknown option --task (see qaudit --help)\n", "x.h5");
}

/* ---- end to end --------------------------------------------------------- */

/* Two quants of one model: MMLU and gsm8k from lm-eval, decode speed from
** llama-bench, into two caches; `qaudit init` writes the configuration and
** `qaudit report` runs on it. */
QA_TEST(import_two_quants_init_report) {
  char *dir = qa_test_fresh_dir("import_e2e"), err[4096];
  CHECK(dir != NULL);
  if (!dir) return;
  enum { N = 60 };
  int right16[N], right4[N];
  /* Q8_0 right on 48 of 60, Q4_K_M on 42 (the first 6 Q8_0 rights lost). */
  for (int i = 0; i < N; i++) {
    right16[i] = i % 5 != 0;
    right4[i] = right16[i] && !(i < 30 && i % 5 == 1);
  }
  char *t16 = mmlu_file(N, right16), *t4 = mmlu_file(N, right4);
  CHECK(t16 && t4);
  if (!t16 || !t4) { free(t16); free(t4); return; }
  CHECK(system(NULL) != 0);
  char sub[PATH_MAX + 32];
  snprintf(sub, sizeof sub, "mkdir -p '%s/q8' '%s/q4'", dir, dir);
  CHECK(system(sub) == 0);
  snprintf(sub, sizeof sub, "%s/q8", dir);
  CHECK(write_text(sub, MMLU_NAME, t16) == 0);
  CHECK(write_text(sub, "samples_gsm8k_2026-11-30T09-12-44.518316.jsonl", GSM8K) == 0);
  snprintf(sub, sizeof sub, "%s/q4", dir);
  CHECK(write_text(sub, MMLU_NAME, t4) == 0);
  CHECK(write_text(sub, "samples_gsm8k_2026-11-30T09-12-44.518316.jsonl", GSM8K) == 0);
  free(t16);
  free(t4);
  static char json[16384];
  bench_file(json, sizeof json, 1);
  CHECK(write_text(dir, "bench_q4.json", json) == 0);
  CHECK_INT(run_in(dir, "import lm-eval q8/samples_*.jsonl --metric exact_match -o q8.h5 "
                        "--model llama3.2-1b --variant Q8_0 --bits 8.5 -q", err, sizeof err), 2);
  /* MMLU has acc, gsm8k exact_match: --metric acc,exact_match takes the
  ** first of the list each file has.  Q8_0 in one command; Q4_K_M file by
  ** file, adding to its cache. */
  CHECK_INT(run_in(dir, "import lm-eval q8/samples_*.jsonl --metric acc,exact_match -o q8.h5 "
                        "--model llama3.2-1b --variant Q8_0 --bits 8.5", err, sizeof err), 0);
  CHECK_STR(err, "qaudit: import: q8.h5: task gsm8k (2 items, exact_match, 0 strata; filter "
                 "strict-match, 2 records of other filters left out (--filter)); task mmlu "
                 "(60 items, acc, 3 strata)\n");
  char args[1024];
  snprintf(args, sizeof args, "import lm-eval q4/%s -o q4.h5 --model llama3.2-1b --variant "
           "Q4_K_M -q", MMLU_NAME);
  CHECK_INT(run_in(dir, args, err, sizeof err), 0);
  CHECK_INT(run_in(dir, "import lm-eval q4/samples_gsm8k_2026-11-30T09-12-44.518316.jsonl "
                        "--metric exact_match -o q4.h5 -q", err, sizeof err), 0);
  CHECK_INT(run_in(dir, "import llama-bench bench_q4.json -o q4.h5 -q", err, sizeof err), 0);
  CHECK(validates(dir, "q8.h5") && validates(dir, "q4.h5"));
  CHECK_INT(run_in(dir, "init q8.h5 q4.h5 > config.json", err, sizeof err), 0);
  CHECK_INT(run_in(dir, "report config.json -o out --quiet --threads 1", err, sizeof err), 0);
  CHECK_STR(err, "");
  char path[PATH_MAX + 64];
  snprintf(path, sizeof path, "%s/out/report.json", dir);
  char *text = qa_test_read_file(path, NULL);
  cJSON *rep = text ? cJSON_Parse(text) : NULL;
  free(text);
  CHECK(rep != NULL);
  const cJSON *mod = cJSON_GetArrayItem(cJSON_GetObjectItem(rep, "models"), 0);
  /* The baseline is Q8_0: --bits 8.5 against Q4_K_M's derived 5.18. */
  CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(mod, "baseline")), "Q8_0");
  const cJSON *v8 = cJSON_GetArrayItem(cJSON_GetObjectItem(mod, "variants"), 0);
  const cJSON *v4 = cJSON_GetArrayItem(cJSON_GetObjectItem(mod, "variants"), 1);
  const cJSON *b8 = cJSON_GetObjectItem(v8, "benchmark");
  const cJSON *b4 = cJSON_GetObjectItem(v4, "benchmark");
  /* Pooled over MMLU (60) and gsm8k strict-match (2): Q8_0 48 + 1 right,
  ** Q4_K_M 42 + 1 (the fixture above). */
  CHECK_INT(cJSON_GetNumberValue(cJSON_GetObjectItem(b4, "n")), 62);
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(b8, "accuracy")), 49.0 / 62, 1e-12);
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(b4, "accuracy")), 43.0 / 62, 1e-12);
  /* Strata: MMLU's three subjects. */
  CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(b4, "strata")), 3);
  /* Decode speed: mean of 320, 250, 200, 125, 100 = 199. */
  CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetObjectItem(v4, "perf"),
                                                      "decode_tok_s_mean")), 199, 1e-9);
  cJSON_Delete(rep);
  snprintf(path, sizeof path, "%s/out/report.pdf", dir);
  CHECK(exists_in(dir, "out/report.pdf"));
}

/* lm-eval 0.4.0 to 0.4.2 wrote <model_args>_<task>.jsonl as one JSON array
** (json.dumps(samples, indent=2), lm_eval/__main__.py): read as records
** [0], [1], ...; the task named with --task. */
QA_TEST(import_lmeval_042_array) {
  char *dir = qa_test_fresh_dir("import_042"), err[2048];
  CHECK(dir != NULL);
  if (!dir) return;
  static char text[65536];
  size_t used = (size_t)snprintf(text, sizeof text, "[\n");
  static const int answer[4] = {0, 3, 1, 2}, pred[4] = {0, 1, 1, 2};
  for (int i = 0; i < 4; i++) {
    if (i) used += (size_t)snprintf(text + used, sizeof text - used, ",\n");
    used += mmlu_record(text + used, sizeof text - used, i == 3 ? 1 : i, "anatomy", answer[i],
                        pred[i]);
    text[used - 1] = ' ';   /* the record's newline: inside the array */
  }
  snprintf(text + used, sizeof text - used, "\n]");
  CHECK(write_text(dir, "pretrained__m_mmlu_anatomy.jsonl", text) == 0);
  /* Records 1 and 3 share doc_id 1. */
  check_refused(dir, "import lm-eval pretrained__m_mmlu_anatomy.jsonl --task mmlu_anatomy -o "
                     "x.h5 --model m --variant v", 2,
                "qaudit: error: pretrained__m_mmlu_anatomy.jsonl:[3]: doc_id 1 again (first at "
                "[1], filter none); expected one record per document and filter\n", "x.h5");
  char *id = strstr(text, "{\"doc_id\": 1, \"doc\": {\"question\": \"Question 1?\", \"subject\": "
                          "\"anatomy\", \"choices\": [\"0\", \"4\", \"2\", \"6\"], \"answer\": 2");
  CHECK(id != NULL);
  if (!id) return;
  id[11] = '3';
  CHECK(write_text(dir, "pretrained__m_mmlu_anatomy.jsonl", text) == 0);
  CHECK_INT(run_in(dir, "import lm-eval pretrained__m_mmlu_anatomy.jsonl --task mmlu_anatomy -o "
                        "x.h5 --model m --variant v -q", err, sizeof err), 0);
  CHECK(validates(dir, "x.h5"));
  hid_t f = open_cache(dir, "x.h5");
  int64_t correct[4], ids[4];
  CHECK(f >= 0 && read_i64(f, "/eval/mmlu_anatomy/correct", correct, 4) == 0 &&
        read_i64(f, "/eval/mmlu_anatomy/id", ids, 4) == 0);
  for (int i = 0; i < 4; i++) CHECK_INT(correct[i], answer[i] == pred[i]);   /* 1 0 1 1 */
  CHECK(ids[0] == 0 && ids[1] == 1 && ids[2] == 2 && ids[3] == 3);
  if (f >= 0) H5Fclose(f);
}

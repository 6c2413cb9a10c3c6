/*
** Shared internals of the report writer (src/report/report*.c).  Not for use
** outside them.
**
** Every section reads the results tree (INTERFACE.md section 4) and nothing
** else: numbers are formatted here for people, never computed.  A section
** whose data are absent says in one sentence which input would enable it.
** The helpers below own the conventions every table follows: numbers right-
** aligned with fixed decimals, "—" for null, pp with one decimal, p-values
** with three significant digits or "<0.001", accuracies with three decimals,
** tiers as colour chips.
*/
#ifndef QA_REPORT_INTERNAL_H
#define QA_REPORT_INTERNAL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "input/config.h"
#include "doc/doc.h"
#include "figures/figures.h"

/* ---- the template (report_template.c; format in docs/templates.md) ---- */
/* Sections in the default order; the template may reorder them. */
typedef enum {
  RP_SEC_TITLE_PAGE, RP_SEC_CONTENTS, RP_SEC_SUMMARY, RP_SEC_DISCLOSURE, RP_SEC_CLAIMS,
  RP_SEC_DECISION, RP_SEC_REPRESENTATION, RP_SEC_PER_CLASS, RP_SEC_DEPTH, RP_SEC_TOKENS,
  RP_SEC_FIGURES,
  RP_SEC_BENCHMARK, RP_SEC_GENERATION, RP_SEC_STATISTICS, RP_SEC_PERFORMANCE,
  RP_SEC_METHODS, RP_SEC_PROVENANCE, RP_N_SECTIONS
} rp_section_id;

typedef struct rp_template rp_template;
/* Reads DIR/report.tmpl; a bad template is an error naming the file and
** line (exit 1). */
int rp_template_load(const char *dir, rp_template **out, qa_error *err);
/* Parses text as if read from path (for tests). */
int rp_template_parse(const char *text, const char *path, rp_template **out,
                      qa_error *err);
void rp_template_free(rp_template *t);   /* safe on NULL */
size_t rp_template_count(const rp_template *t);   /* every section, in order */
rp_section_id rp_template_at(const rp_template *t, size_t i);
int rp_template_included(const rp_template *t, rp_section_id id);
int rp_template_new_page(const rp_template *t, rp_section_id id);
/* A key's text: a title falls back to the built-in English one, prose is
** NULL when the template leaves it out; "" when it is set empty.  t may be
** NULL (built-in titles only). */
const char *rp_template_text(const rp_template *t, rp_section_id id, const char *key);
/* [page] header (footer = 0) or footer (1) with {placeholders}; NULL if unset. */
const char *rp_template_page(const rp_template *t, int footer);

/* What every section needs: the document, the results and the tier list. */
typedef struct rp_ctx {
  qa_doc *doc;
  const rp_template *tmpl;
  const cJSON *res;
  const qa_config *cfg;
  const cJSON *models;     /* res.models (array, may be NULL) */
  const cJSON *tiers;      /* res.tiers (array, may be NULL) */
  int n_tiers;             /* including the final "unacceptable" */
  double alpha;            /* res.power.alpha, else multiple_comparisons.alpha, else 0.05 */
  const qa_figure_list *figures;   /* drawn and skipped figures; may be NULL */
} rp_ctx;

/* ---- numbers (report_fmt.c); every function writes "—" for NaN ---- */
#define RP_DASH "\xE2\x80\x94"   /* U+2014, the "no value" mark */
#define RP_FMT 48                /* enough for any formatted number */

void rp_fmt_fixed(char *buf, size_t cap, double v, int decimals);
/* Signed with fixed decimals, "+1.2" / "-2.5"; a value that rounds to zero
** is "0.0" (never "-0.0"). */
void rp_fmt_signed(char *buf, size_t cap, double v, int decimals);
/* p-values: three significant digits, "<0.001" below 0.001. */
void rp_fmt_p(char *buf, size_t cap, double p);
/* The same in running text: "p = 0.0227", "p < 0.001". */
void rp_fmt_p_text(char *buf, size_t cap, double p);
/* "[lo, hi]" from a JSON array of two numbers. */
void rp_fmt_interval(char *buf, size_t cap, const cJSON *pair, int decimals);
/* Counts with thousands separators: "1,999,000". */
void rp_fmt_int(char *buf, size_t cap, double v);
/* Small positive quantities (KL): fixed 4 decimals, scientific below 5e-4. */
void rp_fmt_small(char *buf, size_t cap, double v);
/* Memory given in the configured unit (rp_mem_unit: "GB", 10^9 bytes, or
** "GiB", 2^30) with that unit: two decimals from 0.1 ("1.45 GB",
** "0.45 GiB"), else three significant digits in the unit's MB/kB or MiB/KiB
** ("37.9 MB", "37.9 KiB"), never "0.00 GB"; " (est.)" appended when
** estimated is 1. */
void rp_fmt_memory(char *buf, size_t cap, double value, const char *unit, int estimated);

/* "[-5.7, -0.0] pp" style: an interval of a JSON pair with a sign on each end. */
void rp_fmt_signed_interval(char *buf, size_t cap, const cJSON *pair, int decimals);

/* Decimals that show an uncertainty u with two significant digits
** (0.00037 -> 5, 0.066 -> 3, 1.2 -> 1), clamped to [lo, hi]; fallback when
** u is NaN, infinite or 0. */
int rp_decimals_for(double u, int lo, int hi, int fallback);
/* "v ± u" with rp_decimals_for(u, 1, 6, fallback) decimals on both;
** with_sign: v as rp_fmt_signed ("+0.01559 ± 0.00037").  "—" when v is
** NaN; v alone when u is NaN; scientific when u < 1e-5 and |v| < 1e-3
** ("1.37e-06 ± 2.1e-08"). */
void rp_fmt_pm(char *buf, size_t cap, double v, double u, int with_sign, int fallback);
/* "[lo, hi]" of a JSON pair, each end as rp_fmt_small ("[0.0253, 0.0258]",
** "[1.2e-05, 3.4e-05]"). */
void rp_fmt_small_interval(char *buf, size_t cap, const cJSON *pair);

/* "s" unless n is 1, for "variant%s". */
const char *rp_s(double n);

/* ---- the results tree ---- */
/* obj.key.sub as a number (NaN when absent or null). */
double rp_num2(const cJSON *obj, const char *key, const char *sub);
/* obj.key when it is an object, else NULL. */
const cJSON *rp_obj(const cJSON *obj, const char *key);
/* benchmark.paired of a variant (NULL when absent). */
const cJSON *rp_paired_bench(const cJSON *v);
/* The unit every memory figure is in: the configuration's deploy.memory_unit
** ("GB" or "GiB"; "GB" without a configuration). */
const char *rp_mem_unit(const rp_ctx *c);
/* The primary benchmark margin (pp) of the paired TOST: the first model's
** baseline benchmark.paired.tost_margin_pp, else any variant's; NaN if none. */
double rp_bench_margin(const rp_ctx *c);
/* 1 true, 0 false, -1 absent or null. */
int rp_bool(const cJSON *obj, const char *key);
const cJSON *rp_arr(const cJSON *obj, const char *key);  /* NULL unless an array */
const char *rp_str(const cJSON *obj, const char *key);   /* "" when absent */
const cJSON *rp_baseline(const cJSON *model);           /* the baseline variant */
const cJSON *rp_variant(const cJSON *model, const char *name);
/* 1 when some variant of some model has object `key` (e.g. "benchmark"). */
int rp_any_variant_has(const rp_ctx *c, const char *key);
/* 1 when some variant of some model has a number under `key` (e.g. "vram_gb"). */
int rp_any_variant_num(const rp_ctx *c, const char *key);
int rp_n_models(const rp_ctx *c);
/* Variants of model m that have object `key` (NULL: every variant). */
size_t rp_count_variants(const cJSON *m, const char *key);

/* ---- tiers ---- */
/* Position of a tier name in res.tiers, or -1. */
int rp_tier_index(const rp_ctx *c, const char *name);
/* The tier of one signal alone (drop in pp or %): the first configured tier
** whose threshold admits it; NULL when the signal is NaN. */
const char *rp_tier_of_signal(const rp_ctx *c, double delta, int pct);
/* Recommended tiers are the first two (STATISTICS.md "Tier, cost, memory"). */
int rp_tier_recommended(const rp_ctx *c, const char *name);
double rp_tier_threshold(const rp_ctx *c, int index, int pct);  /* NaN if none */

/* ---- growing strings and bullet lists ---- */
typedef struct rp_buf { char *s; size_t len, cap; } rp_buf;
void rp_printf(rp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *rp_text(const rp_buf *b);   /* "" when empty */
void rp_buf_free(rp_buf *b);

typedef struct rp_list { char **items; size_t n, cap; } rp_list;
void rp_list_add(rp_list *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rp_list_take(rp_list *l, rp_buf *b);  /* moves b's text into the list */
void rp_list_emit(qa_doc *doc, const rp_list *l);  /* as bullets */
void rp_list_free(rp_list *l);
/* "a, b and c" from the list items. */
void rp_join(rp_buf *out, const rp_list *l);

/* The rows of a per-row table (classes, strata) to show: all when they
** fit, else the max whose worst[r] (the lowest delta over the variants) is
** lowest, ties to the earlier row, in row order; idx holds min(max, n_rows). */
size_t rp_pick_worst_rows(const double *worst, size_t n_rows, size_t max, size_t *idx);

/* ---- table rows ---- */
#define RP_MAX_COLS 14
#define RP_CELL 2048             /* a cell's text; claims' evidence runs to 500+ bytes */
typedef struct rp_row {
  size_t n;
  char cell[RP_MAX_COLS][RP_CELL];
  qa_doc_cell_style style[RP_MAX_COLS];
  double fill[3 * RP_MAX_COLS];
  int has_fill;
} rp_row;
void rp_row_init(rp_row *r, size_t n);
void rp_row_set(rp_row *r, size_t i, qa_doc_cell_style st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void rp_row_fixed(rp_row *r, size_t i, double v, int decimals);
void rp_row_signed(rp_row *r, size_t i, double v, int decimals);
void rp_row_p(rp_row *r, size_t i, double p);
void rp_row_tost(rp_row *r, size_t i, const cJSON *paired, const char *margin_key,
                 const double *margins, size_t n);
void rp_row_fill(rp_row *r, size_t i, const double rgb[3]);
/* The tier name as a colour chip: GOOD first tier, NORMAL second, WARN
** middle tiers, BAD the last ("unacceptable"). */
void rp_row_tier(rp_row *r, size_t i, const rp_ctx *c, const char *tier);
/* "yes"/"no"/"—" for a JSON boolean; yes_style for true. */
void rp_row_bool(rp_row *r, size_t i, int b, qa_doc_cell_style yes_style,
                 qa_doc_cell_style no_style);
/* Removes the first k cells (a column a table leaves out). */
void rp_row_drop_first(rp_row *r, size_t k);
void rp_row_emit(qa_doc_table *t, const rp_row *r);

extern const double RP_FILL_GOOD[3], RP_FILL_OK[3], RP_FILL_WARN[3], RP_FILL_BAD[3];

/* ---- template text in the document ---- */
/* The section's heading (the template's title) on a new page or, unless the
** template says new_page = yes, continuing the current one. */
void rp_heading(const rp_ctx *c, rp_section_id id);
/* A title key ("findings_title"...) of the template. */
const char *rp_title(const rp_ctx *c, rp_section_id id, const char *key);
/* A prose key as paragraphs (blank-line separated), each kept with what
** follows it (qa_doc_lead_in); nothing when absent. */
void rp_prose(const rp_ctx *c, rp_section_id id, const char *key);
void rp_subsection(const rp_ctx *c, rp_section_id id, const char *key);

/* ---- coverage (report_cover.c; docs/design.md "What the audit does not
** cover") ---- */
/* 1 when section id has data to show and is written; 0 when the study has
** no data for it: the section is then left out (no heading) and named,
** with the input that would enable it, in the methods' "Not covered by
** this audit" part.  Sections that restate inputs are always covered. */
int rp_covered(const rp_ctx *c, rp_section_id id);
/* The analyses and figures the study has no data for, one item each,
** with the input that would enable it (empty for a study that covers
** everything); only sections the template includes are named. */
void rp_not_covered_items(const rp_ctx *c, rp_list *out);
/* The methods' "Not covered by this audit" part; nothing when the list
** is empty. */
void rp_not_covered_part(const rp_ctx *c);
/* Data tests of other files (each 1 when some non-baseline variant has
** the numbers its section shows). */
int rp_per_class_any(const rp_ctx *c);   /* report_repr.c */
int rp_depth_any(const rp_ctx *c);       /* report_depth.c */
int rp_tokens_any(const rp_ctx *c);      /* report_tokens.c */

/* ---- sections, in the default report order ---- */
void rp_section_summary(const rp_ctx *c);        /* report_summary.c */
void rp_section_claims(const rp_ctx *c);         /* report_decision.c */
void rp_section_decision(const rp_ctx *c);       /* report_decision.c */
void rp_section_representation(const rp_ctx *c); /* report_repr.c */
void rp_section_per_class(const rp_ctx *c);      /* report_repr.c */
void rp_section_depth(const rp_ctx *c);          /* report_depth.c; nothing without layers */
void rp_section_tokens(const rp_ctx *c);         /* report_tokens.c; nothing without tokens */
void rp_section_benchmark(const rp_ctx *c);      /* report_bench.c */
void rp_section_generation(const rp_ctx *c);     /* report_gen.c */
void rp_section_perf(const rp_ctx *c);           /* report_gen.c */
void rp_section_stats(const rp_ctx *c);          /* report_stats.c */
void rp_section_methods(const rp_ctx *c);        /* report_methods.c */

/* Token-level outputs in other sections (report_tokens.c), each written
** only when some variant has a `tokens` object: the summary's finding of
** model m (one sentence per non-baseline variant, into out); the methods'
** paragraph on the token statistics and the document-clustered errors; the
** sample sizes of model m's baseline. */
void rp_tokens_finding(const rp_ctx *c, const cJSON *m, rp_list *out);
void rp_tokens_method(const rp_ctx *c, rp_list *out);
void rp_tokens_sample_size(const rp_ctx *c, const cJSON *m, rp_list *out);

/* Damage by depth in other sections (report_depth.c), each written only
** when the study has hidden layers: the summary's finding of model m (only
** with probes and two or more layers); the methods' paragraph. */
void rp_depth_finding(const rp_ctx *c, const cJSON *m, rp_list *out);
void rp_depth_method(const rp_ctx *c, rp_list *out);

/* The model's outputs on the labelled samples (report_outputs.c): the
** part of the benchmark section (predictions, calibration, accuracy by
** class, critical errors); the summary's calibration finding of model m
** (nothing without calibration); the methods' lines on calibration and
** the per-class tests (each only when its data exist). */
void rp_outputs_part(const rp_ctx *c);
void rp_outputs_finding(const rp_ctx *c, const cJSON *m, rp_list *out);
void rp_outputs_method(const rp_ctx *c, rp_list *out);

/* Benchmark strata in other sections (report_bench.c), each only when a
** variant has benchmark.strata: the summary's sentence of model m on the
** stratum changes that survive Holm and those within noise; the methods'
** line on the per-stratum tests. */
void rp_bench_strata_finding(const rp_ctx *c, const cJSON *m, rp_list *out);
void rp_bench_method(const rp_ctx *c, rp_list *out);

/* Shared by the summary and the statistics section (report_stats.c):
** describes where the paired McNemar test and the unpaired Welch test
** disagree at alpha, one sentence per variant, into l. */
void rp_mcnemar_welch_disagreements(const rp_ctx *c, rp_list *l);
/* The same for each generation metric against the baseline: the paired t
** (generation.metrics[].paired.t_p) against Welch (welch_p). */
void rp_paired_unpaired_generation(const rp_ctx *c, rp_list *l);
/* Adjacent tests where the paired test after its Holm (p_paired_holm) and
** Welch after Holm (p_holm) disagree at alpha. */
void rp_paired_unpaired_adjacent(const rp_ctx *c, rp_list *l);
/* Why res.adjacent_tests is empty, as one sentence (report_stats.c). */
void rp_no_adjacent_tests(const rp_ctx *c, rp_buf *b);
/* Non-baseline variants in the first tier that have benchmark data and
** whose paired TOST (benchmark.paired.equivalent) did not confirm
** equivalence ("model/variant" items); returns how many first-tier variants
** have benchmark data (0: no sentence about equivalence is due). */
size_t rp_unconfirmed_negligible(const rp_ctx *c, rp_list *names);

#endif

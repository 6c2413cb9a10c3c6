/*
** Tests of src/analysis/probe.c: the ridge probe against scikit-learn 1.2.1
** Ridge and a NumPy transcription of the closed form, the AUC against
** SciPy 1.10.1 mannwhitneyu, primal = dual, closed forms and hand cases,
** the refusals, and the layer order.
**
** Reference values: tests/ref/probe_ref.py, pasted below between its
** markers, produced by
**     /usr/bin/python3 tests/ref/probe_ref.py > /tmp/probe_ref.c
** How lambda maps to scikit-learn: Ridge(alpha = lambda, fit_intercept =
** True) on the one-hot labels of the train rows, with lambda = probe_ridge
** tr(Xc'Xc) / D.  sklearn centres X and Y by the same column means m and
** ybar, so its coef_.T is W and its intercept ybar - m W; the script
** checks that against np.linalg.solve of the closed form (agreement
** <= 1.3e-14).
*/
#include "harness.h"

#include <stdint.h>
#include <stdlib.h>

#include "analysis/probe.h"

/* BEGIN probe_ref.py: NumPy 1.24.2, SciPy 1.10.1, scikit-learn 1.2.1 */
static const double MULTI_LAMBDA = 0.15137062474283261;
static const double MULTI_W[18] = {0.10760423737308528, 0.011720967743319528, -0.11932520511638488, 0.15429775624449241, -0.15598108244858824, 0.0016833262040895868, 0.12842262938510576, -0.25032279229321486, 0.12190016290810878, 0.042148333267007627, -0.22693378152084695, 0.18478544825384688, -0.063948982572420807, -0.096814267361102518, 0.16076324993352653, -0.1399700926776446, 0.078838509503271606, 0.061131583174381915};
static const double MULTI_MEAN[6] = {-0.14306362599960101, -0.087608872133093652, 0.056081265767098099, 0.26745863316927887, 0.49414071386483027, 0.676546945840521};
static const double MULTI_SCORES[9] = {0.60369259698053612, -0.24144652472248229, 0.63775392774194617, 0.68671459403598978, -0.23123383148369592, 0.54451923744770636, 0.75226921651679035, -0.19325725430761598, 0.44098803779082596};
static const double MULTI_NATIVE = 0.875;
static const double MULTI_VAR_NATIVE = 0.875;
static const double MULTI_TRANSFER = 0.875;
static const double BIN_LAMBDA = 0.19477446457909892;
static const double BIN_W[10] = {-3.0985891539518104, 3.0985891539518104, 0.0012637490943885499, -0.0012637490943885508, 0.018837498372766111, -0.018837498372766111, 0.021752919503766958, -0.021752919503766958, 0.030462760300627993, -0.030462760300628007};
static const double BIN_MEAN[5] = {1.1157022604110856, 0.04008074613770362, 0.012032995303522387, -0.089780281425879863, -0.13061129145372183};
static const double BIN_SCORES[6] = {0.85723150118823721, 0.14276849881176323, 0.91838793199085655, 0.08161206800914389, 0.12344930828252521, 0.87655069171747524};
static const double BIN_NATIVE = 1;
static const double BIN_VAR_NATIVE = 0.69230769230769229;
static const double BIN_TRANSFER = 0.69230769230769229;
static const double BIN_AUC_NATIVE = 0.875;
static const double BIN_AUC_TRANSFER = 0.77500000000000002;
static const double BIN_AUC_BASE = 1;
static const double WIDE_LAMBDA = 0.090368476849849541;
static const double WIDE_W[120] = {-0.036029900534644305, 0.0011764550464457735, 0.03485344548819852, -0.031790760990701335, -0.017206776785341944, 0.048997537776043307, -0.014985671148586918, 0.0031848727741441733, 0.011800798374442712, -0.048730873358779438, 0.058395639970912266, -0.0096647666121329138, -0.058660178645355408, -0.010403631460142561, 0.069063810105497919, 0.0091928250040728462, -0.033861580796172325, 0.024668755792099536, -0.028679486500598993, 0.00024053685547258368, 0.028438949645126461, -0.021109664821406641, 0.061338347709156416, -0.040228682887749764, 0.039849826888050763, -0.024888542285703138, -0.014961284602347618, 0.021560157968357294, -0.033663807533251378, 0.012103649564894086, 0.0174209309318815, -0.01842375449878033, 0.0010028235668988279, 0.017067510658722695, -0.018056843021720496, 0.00098933236299780227, 0.024706665155316641, -0.0075782405923706733, -0.017128424562945992, 0.01343845744988429, 0.023573045781992298, -0.037011503231876616, 0.041037872905859682, 0.0072073890071839728, -0.048245261913043631, -0.031305003300081097, 0.11029289315791092, -0.078987889857829813, 0.052659311201790467, -0.043201668067319801, -0.0094576431344706689, 0.030665048163223508, 0.045659278435467382, -0.076324326598690859, 0.13315369894428636, -0.06301889493650413, -0.070134804007782228, 0.087783354989847143, -0.22132390377521077, 0.13354054878536359, -0.10791234922729562, 0.12466715088126672, -0.016754801653971096, 0.034590095229996946, 0.029705242893920812, -0.064295338123917758, -0.019065050658896705, 0.044651849195390468, -0.02558679853649377, 0.025588803025492837, 0.0022092900665962095, -0.027798093092089051, -0.0090456336597099628, 0.02002695304673513, -0.010981319387025155, 0.012170795121278163, -0.017478218554798503, 0.0053074234335203302, -0.014290237494408792, 0.012479149949417706, 0.0018110875449910868, -0.03689477276637896, -0.00063016657617702497, 0.037524939342555998, -0.021765271648647756, -0.037152854294254425, 0.058918125942902133, -0.027194755623564756, -0.032644549120121394, 0.059839304743686123, -0.047015390313453913, 0.0031036521014529282, 0.04391173821200102, -0.033117954871600207, 0.017889715671176677, 0.015228239200423528, -0.012342290646042116, -0.015067479807586123, 0.027409770453628229, -0.043372950116473151, 0.026284883771989804, 0.017088066344483347, -0.01180572600038431, 0.0048851783846842268, 0.0069205476157000621, -0.061366162166748228, 0.048178081936043664, 0.013188080230704547, -0.0077647984209700451, 0.023895999042509625, -0.01613120062153961, -0.13728250754321947, 0.10522244203571361, 0.032060065507505828, 0.061055885469210112, -0.22751276843591867, 0.16645688296670857, 0.10166821273316159, -0.053599907338423194, -0.0480683053947384};
static const double WIDE_MEAN[40] = {0.28333333333333333, 1.031494443342853, 0.18347905907040152, 0.35907115012704333, 0.076034702062881168, 0.12838859209853959, -0.011082237076124133, -0.0081963889711771862, -0.067333518577037593, -0.081696087435457129, -0.0878392392467605, 0.078945799461373298, -0.24956881694882738, -0.33097734450732319, -0.21281653005725568, -0.33499758568447807, -0.22690973316754962, -0.34500187624452355, -0.21564509565007051, -0.3197424875183037, -0.15120599992850661, -0.25039775740508563, 0.04331410538381622, 0.14159824731715437, -0.080317513954420092, 0.055814353560655498, 0.11179752285444818, 0.17425936933355562, 0.21925588588637845, 0.24991359615934272, 0.26553149109174079, 0.26119680914804472, 0.2607464948388063, 0.18354083375757763, 0.42580928182760891, 0.33356503153243511, 0.041467649720802906, 0.15448313319252432, -0.025594093433291901, 0.055353835388254995};
static const double WIDE_SCORES[9] = {0.63084525144910941, 0.13853111598179502, 0.23062363256909557, 0.055422009475874834, 0.28850227888152452, 0.6560757116426007, 0.20827577714105278, 0.5998769391209311, 0.19184728373801621};
static const double WIDE_NATIVE = 1;
static const double SINGLE_LAMBDA = 0.2215350264731315;
static const double SINGLE_W[16] = {-0.32388168115339777, 0.0027781136527996681, 0.2937506914823057, 0.027352876018289569, -0.0075080069404841257, -0.068413215901860863, 0.026779764740091985, 0.04914145810225766, 0.034617480326527762, -0.046056825252853963, -0.029643234462928783, 0.041082579389250085, -0.38476677619704014, 0.054808662064038338, 0.306047716174847, 0.023910397958156981};
static const double SINGLE_MEAN[4] = {0.32174137320850399, 0.48082909669120161, 0.7064005885691732, 1.0479183402876795};
static const double SINGLE_SCORES[12] = {0.85218958921031762, 0.24349565603162018, -0.052700886973661029, -0.042984358268276901, -0.068632696039341301, 0.28655281513613584, 0.6307030788690472, 0.15137680203415826, 0.34684728825095784, 0.31405285591132198, 0.34452623128954996, -0.0054263754518296681};
static const double SINGLE_NATIVE = 0.66666666666666663;
static const double AUC_TIES = 0.61111111111111116;   /* U = 22 */
/* END probe_ref.py */

/* ---- Fixtures (the formulas of tests/ref/probe_ref.py) ------------------ */

typedef struct fixture {
  size_t n, d;
  int32_t C;
  double *x, *y;     /* y may be NULL */
  int32_t *lab;
} fixture;

static fixture fx_alloc(size_t n, size_t d, int32_t C, int with_y) {
  fixture f = {n, d, C, malloc(n * d * sizeof(double)),
               with_y ? malloc(n * d * sizeof(double)) : NULL, malloc(n * sizeof(int32_t))};
  return f;
}

static void fx_free(fixture *f) {
  free(f->x);
  free(f->y);
  free(f->lab);
}

/* tests/test_repr.c's fixture: N = 40, D = 6, three classes by angle. */
static fixture fixture_multi(void) {
  fixture f = fx_alloc(40, 6, 3, 1);
  for (int i = 0; i < 40; i++) {
    for (int j = 0; j < 6; j++) {
      f.x[i * 6 + j] = sin(1.3 * i + 0.7 * j) + 0.1 * j;
      f.y[i * 6 + j] = f.x[i * 6 + j] + 0.05 * cos(2.1 * i * j);
    }
    f.lab[i] = (int32_t)floor(fmod(1.3 * i, 2 * M_PI) / (2 * M_PI / 3));
  }
  return f;
}

/* N = 61, D = 5, two classes; the variant a noisy, shrunk copy. */
static fixture fixture_binary(void) {
  fixture f = fx_alloc(61, 5, 2, 1);
  for (int i = 0; i < 61; i++) {
    f.lab[i] = sin(0.9 * i) > 0.2;
    for (int j = 0; j < 5; j++) {
      f.x[i * 5 + j] = cos(0.37 * i * j + j) + 0.3 * f.lab[i] * sin(j + 1.0);
      f.y[i * 5 + j] = 0.9 * f.x[i * 5 + j] + 0.4 * sin(1.7 * i + 2.3 * j);
    }
  }
  return f;
}

/* D > N_train: N = 23 (18 train rows), D = 40, three classes. */
static fixture fixture_wide(void) {
  fixture f = fx_alloc(23, 40, 3, 0);
  for (int i = 0; i < 23; i++) {
    f.lab[i] = i * 7 % 3;
    for (int j = 0; j < 40; j++)
      f.x[i * 40 + j] = sin(0.11 * i * j + 0.5 * j) + 0.3 * f.lab[i] * cos(0.2 * j);
  }
  return f;
}

/* Four classes, class 3 has one sample (row 7, a train row); N = 30, D = 4. */
static fixture fixture_single(void) {
  fixture f = fx_alloc(30, 4, 4, 0);
  for (int i = 0; i < 30; i++) {
    f.lab[i] = i % 3;
    if (i == 7) f.lab[i] = 3;
    for (int j = 0; j < 4; j++)
      f.x[i * 4 + j] = cos(0.7 * i + 1.1 * j) + 0.25 * f.lab[i] * (j + 1);
  }
  return f;
}

static qa_probe *fit(const fixture *f, const double *x, qa_probe_form form) {
  qa_error err = {0};
  qa_probe *p = NULL;
  CHECK_INT(qa_probe_fit_form(x, f->lab, f->n, f->d, f->C, 0.01, form, &p, &err), 0);
  if (!p) qa_test_fail(__FILE__, __LINE__, "fit: %s", err.msg);
  return p;
}

/* W, m and lambda of p, and the scores of the first 3 test rows (0, 5, 10),
** against the reference, relative to the largest reference value. */
static void check_probe(const qa_probe *p, const fixture *f, double lambda,
                        const double *W, const double *mean, const double *scores,
                        double tol) {
  qa_error err = {0};
  double s[3 * 8], rows[3 * 40];
  CHECK_NEAR(p->lambda, lambda, 1e-15 * lambda);
  for (size_t t = 0; t < f->d * (size_t)f->C; t++) CHECK_NEAR(p->W[t], W[t], tol);
  for (size_t j = 0; j < f->d; j++) CHECK_NEAR(p->mean[j], mean[j], 1e-15);
  for (int r = 0; r < 3; r++) memcpy(rows + r * f->d, f->x + 5 * r * f->d, f->d * sizeof *rows);
  CHECK_INT(qa_probe_scores(p, rows, 3, s, &err), 0);
  for (int t = 0; t < 3 * f->C; t++) CHECK_NEAR(s[t], scores[t], tol);
}

/* ---- Against scikit-learn and SciPy -------------------------------------- */

QA_TEST(probe_matches_sklearn_ridge) {
  fixture f = fixture_multi();
  qa_probe *p = fit(&f, f.x, QA_PROBE_AUTO);
  qa_probe_eval ev;
  qa_probe_layer lay;
  qa_error err = {0};
  CHECK_INT(p->form, QA_PROBE_PRIMAL);                 /* D = 6 <= N_tr = 32 */
  CHECK_INT(p->n_train, 32);
  check_probe(p, &f, MULTI_LAMBDA, MULTI_W, MULTI_MEAN, MULTI_SCORES, 1e-13);
  CHECK_INT(qa_probe_evaluate(p, f.x, f.lab, f.n, &ev, &err), 0);
  CHECK_INT(ev.n_test, 8);
  CHECK_NEAR(ev.accuracy, MULTI_NATIVE, 0);
  CHECK(isnan(ev.auc));                                /* C = 3: no AUC */
  CHECK_INT(qa_probe_layer_compare(p, ev.accuracy, f.y, f.lab, f.n, 0.01, &lay, &err), 0);
  CHECK_NEAR(lay.native, MULTI_VAR_NATIVE, 0);
  CHECK_NEAR(lay.transfer, MULTI_TRANSFER, 0);
  CHECK_NEAR(lay.transfer_delta_pp, 100 * (MULTI_TRANSFER - MULTI_NATIVE), 1e-12);
  CHECK(isnan(lay.auc_native) && isnan(lay.auc_transfer));
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_two_classes_auc_matches_scipy) {
  fixture f = fixture_binary();
  qa_probe *p = fit(&f, f.x, QA_PROBE_AUTO);
  qa_probe_eval ev;
  qa_probe_layer lay;
  qa_error err = {0};
  check_probe(p, &f, BIN_LAMBDA, BIN_W, BIN_MEAN, BIN_SCORES, 1e-13);
  /* Two classes: W's columns are opposite (the one-hot columns sum to 1,
  ** so (Y - ybar) 1 = 0 and W 1 = 0): score_0 + score_1 = 1. */
  for (size_t j = 0; j < f.d; j++) CHECK_NEAR(p->W[2 * j] + p->W[2 * j + 1], 0, 1e-15);
  CHECK_INT(qa_probe_evaluate(p, f.x, f.lab, f.n, &ev, &err), 0);
  CHECK_INT(ev.n_test, 13);
  CHECK_NEAR(ev.accuracy, BIN_NATIVE, 0);
  CHECK_NEAR(ev.auc, BIN_AUC_BASE, 0);
  CHECK_INT(qa_probe_layer_compare(p, ev.accuracy, f.y, f.lab, f.n, 0.01, &lay, &err), 0);
  CHECK_NEAR(lay.native, BIN_VAR_NATIVE, 1e-15);
  CHECK_NEAR(lay.transfer, BIN_TRANSFER, 1e-15);
  CHECK_NEAR(lay.transfer_delta_pp, 100 * (BIN_TRANSFER - BIN_NATIVE), 1e-12);
  CHECK_NEAR(lay.auc_native, BIN_AUC_NATIVE, 1e-15);
  CHECK_NEAR(lay.auc_transfer, BIN_AUC_TRANSFER, 1e-15);
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_wide_states_dual_form) {
  /* D = 40 > N_tr = 18: AUTO solves the 18 x 18 dual system; sklearn's
  ** cholesky solver does the same (its kernel form). */
  fixture f = fixture_wide();
  qa_probe *p = fit(&f, f.x, QA_PROBE_AUTO);
  qa_probe_eval ev;
  qa_error err = {0};
  CHECK_INT(p->form, QA_PROBE_DUAL);
  CHECK_INT(p->n_train, 18);
  check_probe(p, &f, WIDE_LAMBDA, WIDE_W, WIDE_MEAN, WIDE_SCORES, 1e-12);
  CHECK_INT(qa_probe_evaluate(p, f.x, f.lab, f.n, &ev, &err), 0);
  CHECK_INT(ev.n_test, 5);
  CHECK_NEAR(ev.accuracy, WIDE_NATIVE, 0);
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_primal_equals_dual) {
  /* Push-through identity: Xc'(Xc Xc' + lambda I)^-1 = (Xc'Xc + lambda I)^-1 Xc'
  ** for lambda > 0, so both forms give one W (to rounding), on a wide
  ** (D > N_tr) and a tall (D < N_tr) fixture, with the same lambda bit for bit. */
  fixture fw = fixture_wide(), ft = fixture_multi();
  const fixture *fs[2] = {&fw, &ft};
  for (int t = 0; t < 2; t++) {
    const fixture *f = fs[t];
    qa_probe *pp = fit(f, f->x, QA_PROBE_PRIMAL), *pd = fit(f, f->x, QA_PROBE_DUAL);
    double wmax = 0;
    for (size_t i = 0; i < f->d * (size_t)f->C; i++) wmax = fmax(wmax, fabs(pp->W[i]));
    CHECK_INT(pp->form, QA_PROBE_PRIMAL);
    CHECK_INT(pd->form, QA_PROBE_DUAL);
    CHECK(pp->lambda == pd->lambda);
    for (size_t i = 0; i < f->d * (size_t)f->C; i++) CHECK_NEAR(pp->W[i], pd->W[i], 1e-12 * wmax);
    qa_probe_free(pp);
    qa_probe_free(pd);
  }
  fx_free(&fw);
  fx_free(&ft);
}

QA_TEST(probe_class_with_one_sample) {
  fixture f = fixture_single();
  qa_probe *p = fit(&f, f.x, QA_PROBE_AUTO);
  qa_probe_eval ev;
  qa_error err = {0};
  check_probe(p, &f, SINGLE_LAMBDA, SINGLE_W, SINGLE_MEAN, SINGLE_SCORES, 1e-13);
  CHECK_NEAR(p->ybar[3], 1.0 / 24, 1e-17);            /* one of the 24 train rows */
  CHECK_INT(qa_probe_evaluate(p, f.x, f.lab, f.n, &ev, &err), 0);
  CHECK_NEAR(ev.accuracy, SINGLE_NATIVE, 1e-15);
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_class_absent_from_train_rows) {
  /* Class 2 only at row 0 (a test row): its column of Y - ybar is 0 over
  ** the train rows, so W's column and ybar_2 are exactly 0 and its score
  ** is 0 for every row (closed form); row 0 is then predicted wrong. */
  fixture f = fixture_single();
  for (size_t i = 0; i < f.n; i++) f.lab[i] = i == 0 ? 2 : (int32_t)(i % 2);
  qa_probe *p = NULL;
  qa_error err = {0};
  double s[3];
  CHECK_INT(qa_probe_fit(f.x, f.lab, f.n, f.d, 3, 0.01, &p, &err), 0);
  CHECK_NEAR(p->ybar[2], 0, 0);
  for (size_t j = 0; j < f.d; j++) CHECK_NEAR(p->W[j * 3 + 2], 0, 0);
  CHECK_INT(qa_probe_scores(p, f.x, 1, s, &err), 0);
  CHECK_NEAR(s[2], 0, 0);
  CHECK_NEAR(s[0] + s[1], 1, 1e-15);                  /* the other two still sum to 1 */
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_baseline_against_itself) {
  /* For the baseline itself transfer = native and the delta is exactly 0. */
  fixture f = fixture_binary();
  qa_probe *p = fit(&f, f.x, QA_PROBE_AUTO);
  qa_probe_eval ev;
  qa_probe_layer lay;
  qa_error err = {0};
  CHECK_INT(qa_probe_evaluate(p, f.x, f.lab, f.n, &ev, &err), 0);
  CHECK_INT(qa_probe_layer_compare(p, ev.accuracy, f.x, f.lab, f.n, 0.01, &lay, &err), 0);
  CHECK_NEAR(lay.native, ev.accuracy, 0);
  CHECK_NEAR(lay.transfer, ev.accuracy, 0);
  CHECK_NEAR(lay.transfer_delta_pp, 0, 0);
  CHECK_NEAR(lay.auc_transfer, lay.auc_native, 0);
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_constant_states) {
  /* Every row equal: tr(Xc'Xc) = 0, lambda = 0, W = 0 and every score is
  ** ybar, so every row is predicted the most frequent train class (ties
  ** to the lowest): labels 1,0,0,1,1,0,... over 12 rows give train counts
  ** 0: 5, 1: 4 of the 9 train rows (rows 1-4, 6-9, 11). */
  double X[12 * 3];
  int32_t lab[12];
  qa_probe *p = NULL;
  qa_probe_eval ev;
  qa_error err = {0};
  for (int i = 0; i < 12; i++) {
    lab[i] = (i % 3 == 0);
    for (int j = 0; j < 3; j++) X[i * 3 + j] = 0.1 * (j + 1);
  }
  CHECK_INT(qa_probe_fit(X, lab, 12, 3, 2, 0.01, &p, &err), 0);
  CHECK_NEAR(p->lambda, 0, 0);
  for (int t = 0; t < 6; t++) CHECK_NEAR(p->W[t], 0, 0);
  CHECK_NEAR(p->ybar[0], 6.0 / 9, 1e-16);
  CHECK_INT(qa_probe_evaluate(p, X, lab, 12, &ev, &err), 0);
  /* Test rows 0, 5, 10 have labels 1, 0, 0: class 0 predicted, 2 of 3. */
  CHECK_NEAR(ev.accuracy, 2.0 / 3, 1e-16);
  CHECK_NEAR(ev.auc, 0.5, 0);                          /* every score tied */
  qa_probe_free(p);
}

/* ---- AUC, argmax, split ------------------------------------------------- */

QA_TEST(probe_auc_mann_whitney) {
  double auc = -1;
  qa_error err = {0};
  /* SciPy: mannwhitneyu(s[lab == 1], s[lab == 0]).statistic / (6 * 6), with
  ** ties (probe_ref.py). */
  const double s[12] = {0.5, 0.5, 1, 2, 2, 2, -1, 0.5, 3, 1, -1, 2};
  const int32_t lab[12] = {1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0};
  CHECK_INT(qa_probe_auc(s, lab, 12, &auc, &err), 0);
  CHECK_NEAR(auc, AUC_TIES, 1e-15);
  CHECK_NEAR(auc, 22.0 / 36, 1e-15);
  /* Closed forms: separated 1, reversed 0, all tied 1/2; other labels are
  ** ignored; a missing class gives NaN. */
  const double up[4] = {1, 2, 3, 4}, flat[4] = {7, 7, 7, 7};
  const int32_t l01[4] = {0, 0, 1, 1}, l10[4] = {1, 1, 0, 0}, l2[4] = {0, 2, 1, 2};
  const int32_t l11[4] = {1, 1, 1, 2};
  CHECK_INT(qa_probe_auc(up, l01, 4, &auc, &err), 0);
  CHECK_NEAR(auc, 1, 0);
  CHECK_INT(qa_probe_auc(up, l10, 4, &auc, &err), 0);
  CHECK_NEAR(auc, 0, 0);
  CHECK_INT(qa_probe_auc(flat, l01, 4, &auc, &err), 0);
  CHECK_NEAR(auc, 0.5, 0);
  CHECK_INT(qa_probe_auc(up, l2, 4, &auc, &err), 0);
  CHECK_NEAR(auc, 1, 0);                               /* 3 (label 1) > 1 (label 0) */
  CHECK_INT(qa_probe_auc(up, l11, 4, &auc, &err), 0);
  CHECK(isnan(auc));
  CHECK_INT(qa_probe_auc(up, l01, 0, &auc, &err), 0);
  CHECK(isnan(auc));
}

QA_TEST(probe_auc_large_is_exact) {
  /* n = 200,000 scores i mod 1000 with label (i mod 7 == 0): the exact U
  ** by brute force over the 1000 values (counts per value), 2U an integer. */
  enum { N = 200000 };
  double *s = malloc(N * sizeof *s), auc = -1;
  int32_t *lab = malloc(N * sizeof *lab);
  static uint64_t pos[1000], neg[1000];
  qa_error err = {0};
  memset(pos, 0, sizeof pos);
  memset(neg, 0, sizeof neg);
  for (int i = 0; i < N; i++) {
    s[i] = (double)((i * 7919) % 1000);
    lab[i] = i % 7 == 0;
    if (lab[i]) pos[(i * 7919) % 1000]++; else neg[(i * 7919) % 1000]++;
  }
  uint64_t u2 = 0, below = 0, n1 = 0, n0 = 0;
  for (int v = 0; v < 1000; v++) {
    u2 += 2 * pos[v] * below + pos[v] * neg[v];
    below += neg[v];
    n1 += pos[v];
    n0 += neg[v];
  }
  CHECK_INT(qa_probe_auc(s, lab, N, &auc, &err), 0);
  CHECK_NEAR(auc, (double)u2 / (2.0 * (double)n1 * (double)n0), 0);
  free(s);
  free(lab);
}

QA_TEST(probe_argmax_ties_lowest) {
  const double a[4] = {0.2, 0.7, 0.7, 0.1}, b[3] = {0.5, 0.5, 0.5}, c[3] = {-1, -2, 0};
  CHECK_INT(qa_probe_argmax(a, 4), 1);
  CHECK_INT(qa_probe_argmax(b, 3), 0);
  CHECK_INT(qa_probe_argmax(c, 3), 2);
  CHECK_INT(qa_probe_argmax(c, 1), 0);
}

QA_TEST(probe_split_by_index) {
  /* Test rows i = 0 (mod 5): n = 1 -> {0}; 5 -> {0}; 6 -> {0, 5}; 40 -> 8. */
  const size_t n[6] = {0, 1, 5, 6, 11, 40}, test[6] = {0, 1, 1, 2, 3, 8};
  for (int t = 0; t < 6; t++) {
    size_t tr = 99, te = 99;
    qa_probe_split(n[t], &tr, &te);
    CHECK_INT(te, test[t]);
    CHECK_INT(tr, n[t] - test[t]);
  }
  CHECK(qa_probe_is_test_row(0) && qa_probe_is_test_row(10) && !qa_probe_is_test_row(4));
}

/* ---- Refusals ------------------------------------------------------------- */

QA_TEST(probe_refusals) {
  fixture f = fixture_multi();
  qa_probe *p = NULL;
  qa_error err = {0};
  f.lab[3] = 3;
  CHECK_INT(qa_probe_fit(f.x, f.lab, f.n, f.d, 3, 0.01, &p, &err), -1);
  CHECK_STR(err.msg, "probe: label 3 of row 3 is outside 0..2");
  CHECK(p == NULL);
  f.lab[3] = 0;
  qa_error_clear(&err);
  CHECK_INT(qa_probe_fit(f.x, f.lab, 1, f.d, 3, 0.01, &p, &err), -1);
  CHECK_STR(err.msg, "probe: needs at least 2 samples, 1 dimension and 1 class, found 1, 6 "
                     "and 3");
  CHECK_INT(qa_probe_fit(f.x, f.lab, f.n, f.d, 3, -1, &p, &err), -1);
  CHECK_STR(err.msg, "probe_ridge must be a finite number >= 0, found -1");
  /* ridge 0 on singular Xc'Xc (a repeated column): Cholesky fails. */
  for (size_t i = 0; i < f.n; i++) f.x[i * f.d + 1] = f.x[i * f.d];
  CHECK_INT(qa_probe_fit(f.x, f.lab, f.n, f.d, 3, 0, &p, &err), -1);
  CHECK_CONTAINS(err.msg, "is not positive definite");
  CHECK_CONTAINS(err.msg, "probe_ridge must be > 0");
  CHECK_INT(err.code, QA_EXIT_DATA);
  /* ... and works with the default ridge. */
  CHECK_INT(qa_probe_fit(f.x, f.lab, f.n, f.d, 3, 0.01, &p, &err), 0);
  qa_probe_free(p);
  fx_free(&f);
}

QA_TEST(probe_memory_refused_before_allocating) {
  qa_error err = {0};
  /* N = 100,000, D = 50,000: the primal system has order 50,000 (D <= N_tr
  ** = 80,000), above LAPACK's 46,340. */
  CHECK_INT(qa_probe_check(100000, 50000, 10, UINT64_MAX, "budget", &err), -1);
  CHECK_STR(err.msg, "hidden states [100000, 50000]: the linear probe solves a system of order "
                     "min(N_train, D) = 50000, more than the 46340 that LAPACK's 32-bit indices "
                     "allow");
  CHECK(qa_probe_bytes(100000, 50000, 10) == UINT64_MAX);
  /* D = 4096, N = 10,000: 4096^2 doubles (134 MB) and blocks; 0.1 GB budget. */
  uint64_t need = qa_probe_bytes(10000, 4096, 10);
  CHECK(need > (uint64_t)4096 * 4096 * 8 && need < (uint64_t)4096 * 4096 * 8 + 60000000);
  CHECK_INT(qa_probe_check(10000, 4096, 10, 100000000, "of --max-memory", &err), -1);
  CHECK_CONTAINS(err.msg, "hidden states [10000, 4096]: the linear probe needs 0.");
  CHECK_CONTAINS(err.msg, "more than the 0.1 GB of --max-memory");
  CHECK_INT(qa_probe_check(10000, 4096, 10, need, "of --max-memory", &err), 0);
  /* D = 100,000 > N_tr = 8000: the dual system, 8000^2 doubles (512 MB),
  ** not 100,000^2 (80 GB); plus 8000 x 512 centred columns and 2 x 3 D
  ** for two probes. */
  need = qa_probe_bytes(10000, 100000, 2);
  CHECK(need > (uint64_t)8000 * 8000 * 8 && need < (uint64_t)8000 * 8000 * 8 + 50000000);
}

/* ---- Layer order ---------------------------------------------------------- */

static void check_order(const char *const *names, size_t n, const size_t *want) {
  size_t got[16];
  qa_layer_order(names, n, got);
  for (size_t i = 0; i < n; i++)
    if (got[i] != want[i])
      qa_test_fail(__FILE__, __LINE__, "order[%zu] = %zu (%s), want %zu (%s)", i, got[i],
                   names[got[i]], want[i], names[want[i]]);
}

QA_TEST(probe_layer_order) {
  /* STATISTICS.md "Depth": by the integer in the name, final last, names
  ** without an integer after those with one, by name. */
  const char *const a[5] = {"final", "layer_10", "layer_2", "layer_1", "layer_0"};
  const size_t wa[5] = {4, 3, 2, 1, 0};
  check_order(a, 5, wa);
  const char *const b[7] = {"pooled", "final", "embed", "block_3", "block_20", "attn", "h7"};
  const size_t wb[7] = {3, 6, 4, 5, 2, 0, 1};   /* 3, 7, 20; attn, embed, pooled; final */
  check_order(b, 7, wb);
  /* Equal integers by name; leading zeros ignored (layer_02 = 2 < 10);
  ** integers beyond 64 bits compare by value; "0" is an integer. */
  const char *const c[6] = {"l_2", "layer_02", "k_2", "x_99999999999999999999999",
                            "x_100000000000000000000000", "z0"};
  const size_t wc[6] = {5, 2, 0, 1, 3, 4};
  check_order(c, 6, wc);
  /* Only names without integers (and final): by name; "Final" is not final. */
  const char *const d[4] = {"final", "Final", "mlp", "attn"};
  const size_t wd[4] = {1, 3, 2, 0};
  check_order(d, 4, wd);
  size_t none[1] = {7};
  qa_layer_order(NULL, 0, none);
  CHECK_INT(none[0], 7);
  const char *const one[1] = {"final"};
  const size_t w1[1] = {0};
  check_order(one, 1, w1);
}

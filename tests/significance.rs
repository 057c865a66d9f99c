//! The significance tests against SciPy: Welch's test (`scipy.stats.ttest_ind(a, b,
//! equal_var=False)`) with unequal and equal sizes, the paired test (`scipy.stats.ttest_rel`),
//! confidence intervals at 0.95 and 0.9, p-values near 1 and below 1e-10, and SciPy's answers to
//! degenerate inputs (no spread on either side, identical pairs, NaN and infinite values); then
//! `compare` (pairing by seed, the Welch fallback, non-finite runs, methods too small to test),
//! `describe`'s sentences, `table` and the JSON round trip.
//!
//! Every constant `[t, df, p, ci_low, ci_high]` is SciPy 1.17.1's output on the same literals,
//! printed by:
//!
//! ```python
//! import warnings
//! import scipy.stats as st
//! warnings.simplefilter("ignore")  # the degenerate cases warn
//! def row(r, c=0.95):  # [t, df, p, ci_low, ci_high]
//!     ci = r.confidence_interval(c)
//!     return [float(v) for v in (r.statistic, r.df, r.pvalue, ci.low, ci.high)]
//! W = lambda x, y, c=0.95: row(st.ttest_ind(x, y, equal_var=False), c)
//! P = lambda x, y, c=0.95: row(st.ttest_rel(x, y), c)
//! A3 = [0.8412, 0.8535, 0.8377]
//! B5 = [0.8291, 0.8456, 0.8302, 0.8388, 0.8240]
//! E1 = [0.912, 0.915, 0.908, 0.917, 0.910]
//! E2 = [0.801, 0.797, 0.806, 0.795, 0.803]
//! G1 = [1.0, 2.0, 3.0, 4.0]
//! G2 = [1.5, 2.5, 2.0, 3.9]
//! H1 = [0.95, 0.951, 0.949, 0.952, 0.950, 0.948, 0.951, 0.950]
//! H2 = [0.90, 0.902, 0.899, 0.901, 0.900, 0.898, 0.903, 0.899]
//! PA = [0.8412, 0.8535, 0.8377, 0.8490, 0.8455]
//! PB = [0.8391, 0.8502, 0.8380, 0.8451, 0.8430]
//! QA = [0.9312, 0.9187, 0.9405, 0.9256, 0.9350]
//! QB = [0.9001, 0.8874, 0.9095, 0.8946, 0.9041]
//! nan, inf = float("nan"), float("inf")
//! fixtures = {
//!     "WELCH_3_5": W(A3, B5),
//!     "WELCH_3_5_CI90": W(A3, B5, 0.9),
//!     "WELCH_5_5_TINY_P": W(E1, E2),
//!     "WELCH_4_4_LARGE_P": W(G1, G2),
//!     "WELCH_8_8_TINIER_P": W(H1, H2),
//!     "WELCH_PAIRED_DATA": W(PA, PB),
//!     "PAIRED_5": P(PA, PB),
//!     "PAIRED_5_CI90": P(PA, PB, 0.9),
//!     "PAIRED_5_TINY_P": P(QA, QB),
//!     "PAIRED_2": P([1.0, 2.0], [0.0, 3.0]),
//!     "WELCH_ONE_SIDE_CONSTANT": W([1.0, 1.0, 1.0], [1.0, 2.0, 3.0]),
//!     "WELCH_CONSTANT_EQUAL": W([1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]),
//!     "WELCH_CONSTANT_A_ABOVE": W([2.0, 2.0, 2.0], [1.0, 1.0, 1.0, 1.0]),
//!     "WELCH_CONSTANT_A_BELOW": W([1.0, 1.0, 1.0], [2.0, 2.0, 2.0, 2.0]),
//!     "PAIRED_IDENTICAL": P([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
//!     "PAIRED_CONSTANT_DIFFERENCE": P([1.0, 2.0, 3.0], [0.75, 1.75, 2.75]),
//!     "PAIRED_CONSTANT_NEGATIVE": P([0.0, 1.0, 2.0], [1.0, 2.0, 3.0]),
//!     "WELCH_NAN": W([1.0, nan, 3.0], [1.0, 2.0, 3.0]),
//!     "PAIRED_NAN": P([1.0, nan, 3.0], [1.0, 2.0, 3.0]),
//!     "WELCH_INFINITE": W([1.0, inf, 3.0], [1.0, 2.0, 3.0]),
//!     "PAIRED_INFINITE": P([1.0, inf, 3.0], [1.0, 2.0, 3.0]),
//! }
//! for name, v in fixtures.items():
//!     r = lambda x: {"nan": "f64::NAN", "inf": "f64::INFINITY", "-inf": "f64::NEG_INFINITY"}.get(repr(x), repr(x))
//!     print(f"const {name}: [f64; 5] = [{', '.join(r(x) for x in v)}];")
//! ```

use learnloss::report::significance::{compare, describe, paired, table, welch, Comparison, MethodRuns, TTest};

const A3: [f64; 3] = [0.8412, 0.8535, 0.8377];
const B5: [f64; 5] = [0.8291, 0.8456, 0.8302, 0.8388, 0.8240];
const E1: [f64; 5] = [0.912, 0.915, 0.908, 0.917, 0.910];
const E2: [f64; 5] = [0.801, 0.797, 0.806, 0.795, 0.803];
const G1: [f64; 4] = [1.0, 2.0, 3.0, 4.0];
const G2: [f64; 4] = [1.5, 2.5, 2.0, 3.9];
const H1: [f64; 8] = [0.95, 0.951, 0.949, 0.952, 0.950, 0.948, 0.951, 0.950];
const H2: [f64; 8] = [0.90, 0.902, 0.899, 0.901, 0.900, 0.898, 0.903, 0.899];
const PA: [f64; 5] = [0.8412, 0.8535, 0.8377, 0.8490, 0.8455];
const PB: [f64; 5] = [0.8391, 0.8502, 0.8380, 0.8451, 0.8430];
const QA: [f64; 5] = [0.9312, 0.9187, 0.9405, 0.9256, 0.9350];
const QB: [f64; 5] = [0.9001, 0.8874, 0.9095, 0.8946, 0.9041];

// SciPy's output, [t, df, p, ci_low, ci_high] (the printout of the snippet above).
#[rustfmt::skip]
mod scipy {
pub const WELCH_3_5: [f64; 5] = [1.7251968988733375, 4.4726616722352475, 0.15196166152798526, -0.005767487731372544, 0.02695415439803923];
pub const WELCH_3_5_CI90: [f64; 5] = [1.7251968988733375, 4.4726616722352475, 0.15196166152798526, -0.0021094468854146817, 0.023296113552081367];
pub const WELCH_5_5_TINY_P: [f64; 5] = [43.530036162842414, 7.702951153920516, 1.697833005962625e-10, 0.10602673578425839, 0.11797326421574181];
pub const WELCH_4_4_LARGE_P: [f64; 5] = [0.03022909782251125, 5.726843306933347, 0.97691010571226, -2.022268771162915, 2.0722687711629146];
pub const WELCH_8_8_TINIER_P: [f64; 5] = [67.72028526990276, 12.955430183356839, 6.581623730275193e-18, 0.04828336347271773, 0.051466636527282054];
pub const WELCH_PAIRED_DATA: [f64; 5] = [0.6480338905351878, 7.58299498082207, 0.536086050004397, -0.005963471714890818, 0.0105634717148912];
pub const PAIRED_5: [f64; 5] = [3.1895261282951073, 4.0, 0.03323125829376285, 0.00029787696193969877, 0.004302123038060372];
pub const PAIRED_5_CI90: [f64; 5] = [3.1895261282951073, 4.0, 0.03323125829376285, 0.0007627034200932583, 0.0038372965799068114];
pub const PAIRED_5_TINY_P: [f64; 5] = [457.9547158171613, 4.0, 1.3641034362421083e-10, 0.0308716923311652, 0.031248307668834845];
pub const PAIRED_2: [f64; 5] = [0.0, 1.0, 1.0, -12.706204736174694, 12.706204736174694];
pub const WELCH_ONE_SIDE_CONSTANT: [f64; 5] = [-1.7320508075688774, 2.0, 0.22540333075851665, -3.48413771175033, 1.4841377117503298];
pub const WELCH_CONSTANT_EQUAL: [f64; 5] = [f64::NAN, 1.0, f64::NAN, 0.0, 0.0];
pub const WELCH_CONSTANT_A_ABOVE: [f64; 5] = [f64::INFINITY, 1.0, 0.0, 1.0, 1.0];
pub const WELCH_CONSTANT_A_BELOW: [f64; 5] = [f64::NEG_INFINITY, 1.0, 0.0, -1.0, -1.0];
pub const PAIRED_IDENTICAL: [f64; 5] = [f64::NAN, 2.0, f64::NAN, 0.0, 0.0];
pub const PAIRED_CONSTANT_DIFFERENCE: [f64; 5] = [f64::INFINITY, 2.0, 0.0, 0.25, 0.25];
pub const PAIRED_CONSTANT_NEGATIVE: [f64; 5] = [f64::NEG_INFINITY, 2.0, 0.0, -1.0, -1.0];
pub const WELCH_NAN: [f64; 5] = [f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN];
pub const PAIRED_NAN: [f64; 5] = [f64::NAN, f64::NAN, f64::NAN, f64::NAN, f64::NAN];
pub const WELCH_INFINITE: [f64; 5] = [f64::NAN, 1.0, f64::NAN, f64::NAN, f64::NAN];
pub const PAIRED_INFINITE: [f64; 5] = [f64::NAN, 2.0, f64::NAN, f64::NAN, f64::NAN];
}
use scipy::*;

/// `actual` against SciPy's `[t, df, p, ci_low, ci_high]` to 1e-10 relative; NaN must be NaN,
/// infinities and zeros exact.
#[track_caller]
fn assert_matches(actual: &TTest, expected: [f64; 5]) {
    let got = [actual.t, actual.df, actual.p, actual.ci_low, actual.ci_high];
    let names = ["t", "df", "p", "ci_low", "ci_high"];
    for ((g, e), name) in got.iter().zip(expected).zip(names) {
        let ok = if e.is_nan() {
            g.is_nan()
        } else if e == 0.0 || e.is_infinite() {
            *g == e
        } else {
            ((g - e) / e).abs() <= 1e-10
        };
        assert!(
            ok,
            "{name}: got {g:e}, SciPy {e:e} (all: got {got:?}, SciPy {expected:?})"
        );
    }
}

#[test]
fn welch_with_unequal_sizes_matches_scipy() {
    assert_matches(&welch(&A3, &B5, 0.95).unwrap(), WELCH_3_5);
    assert_matches(&welch(&A3, &B5, 0.9).unwrap(), WELCH_3_5_CI90);
    // Swapping the sides negates t and the interval.
    let swapped = welch(&B5, &A3, 0.95).unwrap();
    let [t, df, p, lo, hi] = WELCH_3_5;
    assert_matches(&swapped, [-t, df, p, -hi, -lo]);
}

#[test]
fn welch_with_equal_sizes_matches_scipy() {
    assert_matches(&welch(&PA, &PB, 0.95).unwrap(), WELCH_PAIRED_DATA);
    assert_matches(&welch(&G1, &G2, 0.95).unwrap(), WELCH_4_4_LARGE_P);
}

#[test]
fn welch_keeps_tiny_p_values() {
    assert_matches(&welch(&E1, &E2, 0.95).unwrap(), WELCH_5_5_TINY_P);
    assert_matches(&welch(&H1, &H2, 0.95).unwrap(), WELCH_8_8_TINIER_P);
}

#[test]
fn paired_matches_scipy() {
    assert_matches(&paired(&PA, &PB, 0.95).unwrap(), PAIRED_5);
    assert_matches(&paired(&PA, &PB, 0.9).unwrap(), PAIRED_5_CI90);
    assert_matches(&paired(&QA, &QB, 0.95).unwrap(), PAIRED_5_TINY_P);
    assert_matches(&paired(&[1.0, 2.0], &[0.0, 3.0], 0.95).unwrap(), PAIRED_2);
}

#[test]
fn welch_degenerate_cases_match_scipy() {
    assert_matches(
        &welch(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0], 0.95).unwrap(),
        WELCH_ONE_SIDE_CONSTANT,
    );
    // No spread on either side: df is 0/0, which SciPy sets to 1; t is 0/0 or ±∞.
    let ones = [1.0, 1.0, 1.0, 1.0];
    assert_matches(&welch(&[1.0, 1.0, 1.0], &ones, 0.95).unwrap(), WELCH_CONSTANT_EQUAL);
    assert_matches(&welch(&[2.0, 2.0, 2.0], &ones, 0.95).unwrap(), WELCH_CONSTANT_A_ABOVE);
    assert_matches(
        &welch(&[1.0, 1.0, 1.0], &[2.0; 4], 0.95).unwrap(),
        WELCH_CONSTANT_A_BELOW,
    );
    assert_matches(
        &welch(&[1.0, f64::NAN, 3.0], &[1.0, 2.0, 3.0], 0.95).unwrap(),
        WELCH_NAN,
    );
    assert_matches(
        &welch(&[1.0, f64::INFINITY, 3.0], &[1.0, 2.0, 3.0], 0.95).unwrap(),
        WELCH_INFINITE,
    );
}

#[test]
fn paired_degenerate_cases_match_scipy() {
    let x = [1.0, 2.0, 3.0];
    assert_matches(&paired(&x, &x, 0.95).unwrap(), PAIRED_IDENTICAL);
    assert_matches(
        &paired(&x, &[0.75, 1.75, 2.75], 0.95).unwrap(),
        PAIRED_CONSTANT_DIFFERENCE,
    );
    assert_matches(&paired(&[0.0, 1.0, 2.0], &x, 0.95).unwrap(), PAIRED_CONSTANT_NEGATIVE);
    assert_matches(&paired(&[1.0, f64::NAN, 3.0], &x, 0.95).unwrap(), PAIRED_NAN);
    assert_matches(&paired(&[1.0, f64::INFINITY, 3.0], &x, 0.95).unwrap(), PAIRED_INFINITE);
}

#[test]
fn a_constant_difference_that_is_not_a_dyadic_number_has_no_noise_either() {
    // Three differences of exactly 0.1: SciPy's plain mean of them is an ulp off, so
    // `ttest_rel([0.1] * 3, [0.0] * 3)` returns t ≈ 1.02e16, p ≈ 9.6e-33 with a "catastrophic
    // cancellation" warning; here the variance is exactly 0: t = +∞, p = 0, the same verdict.
    let r = paired(&[0.1, 0.1, 0.1], &[0.0, 0.0, 0.0], 0.95).unwrap();
    assert_eq!((r.t, r.p, r.df), (f64::INFINITY, 0.0, 2.0));
    assert_eq!((r.ci_low, r.ci_high), (0.1, 0.1));
}

#[test]
fn too_few_values_give_no_test() {
    assert_eq!(welch(&[1.0], &B5, 0.95), None);
    assert_eq!(welch(&A3, &[], 0.95), None);
    assert_eq!(paired(&[1.0], &[2.0], 0.95), None);
    assert_eq!(paired(&[], &[], 0.95), None);
}

#[test]
#[should_panic(expected = "a has 3 values and b has 2")]
fn paired_refuses_unequal_lengths() {
    paired(&[1.0, 2.0, 3.0], &[1.0, 2.0], 0.95);
}

#[test]
#[should_panic(expected = "confidence must be strictly between 0 and 1, got 95")]
fn a_confidence_in_percent_is_refused() {
    welch(&A3, &B5, 95.0);
}

const SEEDS: [u64; 5] = [11, 12, 13, 14, 15];

/// A method's runs as `compare` takes them.
fn runs<'a>(method: &'a str, values: &'a [f64], seeds: Option<&'a [u64]>) -> MethodRuns<'a> {
    MethodRuns { method, values, seeds }
}

#[test]
fn compare_pairs_runs_by_seed_not_by_position() {
    // b's runs listed in another order: seeds 13, 11, 15, 12, 14.
    let order = [2, 0, 4, 1, 3];
    let b_values: Vec<f64> = order.iter().map(|&i| PB[i]).collect();
    let b_seeds: Vec<u64> = order.iter().map(|&i| SEEDS[i]).collect();
    // Pairing by position would give another (and wrong) answer.
    let by_position = paired(&PA, &b_values, 0.95).unwrap();
    assert!((by_position.p - PAIRED_5[2]).abs() > 0.01, "{by_position:?}");

    let methods = [
        runs("ce", &PA, Some(&SEEDS)),
        runs("weighted-ce", &b_values, Some(&b_seeds)),
    ];
    let c = compare("test accuracy", &methods, 0.95).unwrap();
    assert_eq!(c.metric, "test accuracy");
    assert_eq!(c.pairs.len(), 1);
    let pair = &c.pairs[0];
    assert_eq!((pair.a.as_str(), pair.b.as_str()), ("ce", "weighted-ce"));
    assert_eq!((pair.runs_a, pair.runs_b), (5, 5));
    assert_matches(pair.paired.as_ref().unwrap(), PAIRED_5);
    assert_matches(pair.welch.as_ref().unwrap(), WELCH_PAIRED_DATA);
    assert_eq!(pair.test, "paired");
    // Paired p = 0.033 < 0.05, while Welch's 0.54 would have called it noise.
    assert_eq!(pair.within_noise, Some(false));
    assert!(
        (pair.difference - (0.84538 - 0.84308)).abs() < 1e-12,
        "{}",
        pair.difference
    );
    assert!((c.alpha - 0.05).abs() < 1e-15);
}

#[test]
fn compare_falls_back_to_welch_when_runs_cannot_be_paired() {
    let other_seeds = [11, 12, 13, 14, 16];
    let repeated = [11, 12, 13, 14, 14];
    type Seeds<'a> = Option<&'a [u64]>;
    let cases: [(&str, Seeds, Seeds); 4] = [
        ("different seed sets", Some(&SEEDS), Some(&other_seeds)),
        ("a repeated seed", Some(&repeated), Some(&repeated)),
        ("seeds of one method unknown", Some(&SEEDS), None),
        ("no seeds", None, None),
    ];
    for (why, sa, sb) in cases {
        let methods = [runs("a", &PA, sa), runs("b", &PB, sb)];
        let pair = &compare("m", &methods, 0.95).unwrap().pairs[0];
        assert_eq!(pair.paired, None, "{why}");
        assert_eq!(pair.test, "welch", "{why}");
        assert_matches(pair.welch.as_ref().unwrap(), WELCH_PAIRED_DATA);
        assert_eq!(pair.within_noise, Some(true), "{why}");
    }
    // Different numbers of runs, the shorter's seeds all shared: still not paired.
    let methods = [runs("a", &A3, Some(&SEEDS[..3])), runs("b", &B5, Some(&SEEDS))];
    let pair = &compare("m", &methods, 0.95).unwrap().pairs[0];
    assert_eq!((pair.paired.as_ref(), pair.test.as_str()), (None, "welch"));
    assert_matches(pair.welch.as_ref().unwrap(), WELCH_3_5);
}

#[test]
fn compare_leaves_out_non_finite_runs() {
    // Welch: the NaN and the infinite run are dropped.
    let a = [A3[0], f64::NAN, A3[1], A3[2]];
    let b = [B5[0], B5[1], f64::INFINITY, B5[2], B5[3], B5[4]];
    let methods = [runs("a", &a, None), runs("b", &b, None)];
    let pair = &compare("m", &methods, 0.9).unwrap().pairs[0];
    assert_eq!((pair.runs_a, pair.runs_b), (3, 5));
    assert_matches(pair.welch.as_ref().unwrap(), WELCH_3_5_CI90);
    assert!(pair.mean_a.is_finite() && pair.mean_b.is_finite());

    // Paired: a sixth seed whose run diverged in a drops that pair only.
    let a = [PA[0], PA[1], PA[2], PA[3], PA[4], f64::NAN];
    let b = [PB[0], PB[1], PB[2], PB[3], PB[4], 0.9];
    let seeds = [11, 12, 13, 14, 15, 16];
    let methods = [runs("a", &a, Some(&seeds)), runs("b", &b, Some(&seeds))];
    let pair = &compare("m", &methods, 0.95).unwrap().pairs[0];
    assert_eq!(pair.test, "paired");
    assert_matches(pair.paired.as_ref().unwrap(), PAIRED_5);
}

#[test]
fn compare_needs_two_methods_with_two_finite_runs() {
    let one = [runs("a", &PA, None)];
    assert_eq!(compare("m", &one, 0.95), None);
    let nan_heavy = [0.8, f64::NAN, f64::NAN];
    let methods = [runs("a", &PA, None), runs("b", &nan_heavy, None)];
    assert_eq!(compare("m", &methods, 0.95), None);
    assert_eq!(compare("m", &[], 0.95), None);
}

#[test]
fn a_method_with_one_run_is_listed_without_a_test() {
    let methods = [
        runs("ce", &PA, Some(&SEEDS)),
        runs("focal", &[0.84], Some(&SEEDS[..1])),
        runs("weighted-ce", &PB, Some(&SEEDS)),
    ];
    let c = compare("test accuracy", &methods, 0.95).unwrap();
    let names: Vec<(&str, &str)> = c.pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    assert_eq!(
        names,
        [("ce", "focal"), ("ce", "weighted-ce"), ("focal", "weighted-ce")]
    );
    for pair in [&c.pairs[0], &c.pairs[2]] {
        assert_eq!((&pair.welch, &pair.paired, pair.within_noise), (&None, &None, None));
    }
    assert_eq!(c.pairs[0].mean_b, 0.84);
    assert_eq!(c.pairs[1].test, "paired");

    let text = describe(&c);
    assert_eq!(text.len(), 4, "{text:#?}");
    assert_eq!(
        text[0],
        "ce \u{2212} focal: cannot be tested: ce has 5 runs with a finite value and focal has 1; \
         a t-test needs at least 2 on each side."
    );
    assert!(
        text[2].starts_with("focal \u{2212} weighted-ce: cannot be tested: focal has 1 run "),
        "{}",
        text[2]
    );
    assert!(
        text[1].ends_with("larger than the run-to-run noise at the 5 % level."),
        "{}",
        text[1]
    );
    // Three pairs: the reminder that one small p in twenty comes by chance.
    assert!(
        text[3].starts_with("With 3 pairs compared, about one p below 0.05 in 20 is expected by chance"),
        "{}",
        text[3]
    );
}

#[test]
fn describe_says_whether_the_difference_is_within_the_noise() {
    let paired_methods = [runs("ce", &PA, Some(&SEEDS)), runs("weighted-ce", &PB, Some(&SEEDS))];
    let text = describe(&compare("test accuracy", &paired_methods, 0.95).unwrap());
    assert_eq!(
        text,
        [
            "ce \u{2212} weighted-ce: +0.0023 (95 % CI +0.0003 to +0.0043), p = 0.033 (paired t-test over 5 shared \
          seeds): larger than the run-to-run noise at the 5 % level."
        ]
    );
    // The same values without seeds: Welch's test, whose interval straddles 0.
    let unpaired = [runs("ce", &PA, None), runs("weighted-ce", &PB, None)];
    let text = describe(&compare("test accuracy", &unpaired, 0.95).unwrap());
    assert_eq!(
        text,
        [
            "ce \u{2212} weighted-ce: +0.0023 (95 % CI \u{2212}0.0060 to +0.0106), p = 0.54 (Welch's t-test, 5 and 5 \
          runs): within the run-to-run noise."
        ]
    );
    // At 0.9 the level is 10 %.
    let text = describe(&compare("test accuracy", &paired_methods, 0.9).unwrap());
    assert_eq!(
        text,
        [
            "ce \u{2212} weighted-ce: +0.0023 (90 % CI +0.0008 to +0.0038), p = 0.033 (paired t-test over 5 shared \
          seeds): larger than the run-to-run noise at the 10 % level."
        ]
    );
    // Tiny p-values are not written as 0.0000.
    let tiny = [runs("a", &H1, None), runs("b", &H2, None)];
    let text = describe(&compare("m", &tiny, 0.95).unwrap());
    assert!(
        text[0].contains(", p < 1e-10 (Welch's t-test, 8 and 8 runs): larger than"),
        "{}",
        text[0]
    );
}

#[test]
fn identical_runs_get_no_verdict() {
    let x = [0.5, 0.5, 0.5];
    let methods = [runs("a", &x, None), runs("b", &x, None)];
    let c = compare("m", &methods, 0.95).unwrap();
    let pair = &c.pairs[0];
    assert!(pair.welch.as_ref().unwrap().p.is_nan());
    assert_eq!(pair.within_noise, None);
    assert_eq!(
        describe(&c),
        [
            "a \u{2212} b: +0.0000; every run of both methods gave the same value, so there is neither a difference \
          nor run-to-run noise to test (Welch's t-test, 3 and 3 runs)."
        ]
    );
    assert!(table(&c).contains("identical runs"), "{}", table(&c));
    // Paired, with the same value per seed but different values across seeds.
    let methods = [runs("a", &PA, Some(&SEEDS)), runs("b", &PA, Some(&SEEDS))];
    let c = compare("m", &methods, 0.95).unwrap();
    assert_eq!((c.pairs[0].test.as_str(), c.pairs[0].within_noise), ("paired", None));
    assert!(
        describe(&c)[0].contains("both methods gave the same value with every seed"),
        "{:?}",
        describe(&c)
    );
}

#[test]
fn table_lists_every_pair_with_both_p_values() {
    let methods = [
        runs("ce", &PA, Some(&SEEDS)),
        runs("focal", &[0.84], None),
        runs("weighted-ce", &PB, Some(&SEEDS)),
    ];
    let text = table(&compare("test accuracy", &methods, 0.95).unwrap());
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("test accuracy: "), "{text}");
    let header: Vec<&str> = lines[2].split("  ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(
        header,
        ["pair", "difference", "95 % CI", "p (Welch)", "p (paired)", "verdict"]
    );
    assert!(lines[3].chars().all(|c| c == '-'), "{text}");
    let row = |i: usize| -> Vec<&str> { lines[i].split("  ").map(str::trim).filter(|s| !s.is_empty()).collect() };
    assert_eq!(
        row(4),
        [
            "ce \u{2212} focal",
            "+0.0054",
            "\u{2014}",
            "\u{2014}",
            "\u{2014}",
            "too few runs"
        ]
    );
    assert_eq!(
        row(5),
        [
            "ce \u{2212} weighted-ce",
            "+0.0023",
            "+0.0003 to +0.0043",
            "0.54",
            "0.033",
            "larger than noise"
        ]
    );
    assert_eq!(row(6)[5], "too few runs");
    assert_eq!(lines.len(), 7, "{text}");
    // Columns line up: every row is as wide as the rule, bar the trailing verdict padding.
    let rule = lines[3].chars().count();
    assert!(lines[4..].iter().all(|l| l.chars().count() <= rule), "{text}");
    assert!(lines[4..].iter().any(|l| l.chars().count() == rule), "{text}");
}

#[test]
fn comparisons_survive_json_with_nan_and_infinity() {
    let methods = [
        runs("a", &[0.5, 0.5, 0.5], None),
        runs("b", &[0.5, 0.5, 0.5], None),
        runs("c", &[0.25, 0.25], None),
        runs("d", &PA, Some(&SEEDS)),
        runs("e", &PB, Some(&SEEDS)),
    ];
    let c = compare("m", &methods, 0.95).unwrap();
    // a − b: t and p NaN; a − c: t = +∞, p = 0.
    assert!(c.pairs[0].welch.as_ref().unwrap().t.is_nan());
    assert_eq!(c.pairs[1].welch.as_ref().unwrap().t, f64::INFINITY);
    let json = serde_json::to_string(&c).unwrap();
    assert!(json.contains("\"NaN\"") && json.contains("\"Infinity\""), "{json}");
    let back: Comparison = serde_json::from_str(&json).unwrap();
    assert!(back.pairs[0].welch.as_ref().unwrap().t.is_nan());
    assert_eq!(back.pairs[1].welch, c.pairs[1].welch);
    assert_eq!(back.pairs[9], c.pairs[9]);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

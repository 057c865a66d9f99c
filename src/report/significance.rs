//! Is the difference between two training methods larger than run-to-run noise?
//!
//! Each method is trained several times ("runs") and every run ends with a number — a test
//! accuracy, a final loss. Two methods' means always differ a little, because runs differ by
//! seed; the question is whether they differ by more than runs of the *same* method differ
//! among themselves. The answer here is a Student t-test on the final values of the runs:
//!
//! - `t` is the mean difference (a − b) in units of its standard error;
//! - `df` the degrees of freedom of the t distribution it is compared against;
//! - `p` (two-sided) the probability of a |t| at least this large if the two methods were
//!   equally good, i.e. if the whole difference were run-to-run noise;
//! - the confidence interval the range of true mean differences (a − b) consistent with the
//!   runs at the chosen confidence level (0.95: the difference is within it in 95 % of
//!   experiments). It contains 0 exactly when `p ≥ 1 − confidence`.
//!
//! Two tests, both exactly SciPy's (`scipy.stats.ttest_ind(a, b, equal_var=False)` and
//! `scipy.stats.ttest_rel(a, b)`, with their `confidence_interval`):
//!
//! - [`welch`], Welch's unequal-variance test, for independent runs: it needs no equal number
//!   of runs and no equal spread, and is the fallback whenever runs cannot be paired.
//! - [`paired`], the paired test, on the per-seed differences. Runs with the same run index
//!   share the seed of their initial weights and of their batch order across methods, so run
//!   `k` of method a and run `k` of method b start from the same point and see the same
//!   batches; much of their noise is shared and cancels in the difference. Pairing removes it,
//!   so the paired test can see differences that Welch's test, which must count that noise
//!   twice, cannot. [`compare`] pairs runs by equal seed and uses the paired test when every
//!   seed is shared.
//!
//! Only the t distribution's CDF and quantile come from `statrs`; the statistics, the
//! Welch–Satterthwaite degrees of freedom and the interval arithmetic are here. Inputs are plain
//! numbers: this module knows nothing about tensors or the trainer.
//!
//! A p-value is not a verdict on its own: with several pairs of methods, about one p in twenty
//! falls below 0.05 by chance alone ([`describe`] says so when there are 3 pairs or more).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::serde_float;

/// The outcome of one t-test of the mean difference (a − b).
///
/// Degenerate inputs give what SciPy gives: with no spread at all (every value of each side
/// equal, or every paired difference equal) the standard error is 0, so `t` is ±∞ and `p` 0
/// when the means differ, and `t` and `p` are NaN when they do not; the interval is then the
/// single point of the difference. A NaN input makes every field NaN (SciPy's
/// `nan_policy='propagate'`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TTest {
    /// The t statistic: the mean difference over its standard error.
    #[serde(with = "serde_float::f64")]
    pub t: f64,
    /// Degrees of freedom: n − 1 pairs for the paired test, the Welch–Satterthwaite value
    /// (not an integer in general) for Welch's.
    #[serde(with = "serde_float::f64")]
    pub df: f64,
    /// The two-sided p-value.
    #[serde(with = "serde_float::f64")]
    pub p: f64,
    /// Lower end of the confidence interval of the mean difference (a − b).
    #[serde(with = "serde_float::f64")]
    pub ci_low: f64,
    /// Upper end of the confidence interval of the mean difference (a − b).
    #[serde(with = "serde_float::f64")]
    pub ci_high: f64,
}

impl TTest {
    fn nan() -> TTest {
        TTest {
            t: f64::NAN,
            df: f64::NAN,
            p: f64::NAN,
            ci_low: f64::NAN,
            ci_high: f64::NAN,
        }
    }
}

/// Panics unless `0 < confidence < 1`: a level of 0 or 1 (or NaN) is a programmer error, not
/// data.
fn check_confidence(confidence: f64) {
    assert!(
        confidence > 0.0 && confidence < 1.0,
        "confidence must be strictly between 0 and 1, got {confidence}"
    );
}

/// The mean, summed relative to the first value (see [`mean_var`]); NaN when `x` is empty.
fn mean(x: &[f64]) -> f64 {
    let Some(&x0) = x.first() else {
        return f64::NAN;
    };
    let n = x.len() as f64;
    if x0.is_finite() {
        x0 + x.iter().map(|v| v - x0).sum::<f64>() / n
    } else {
        x.iter().sum::<f64>() / n
    }
}

/// Mean and sample variance (n − 1 in the denominator) of at least 2 values without NaN.
///
/// The mean is summed relative to the first value, so values that are all equal have exactly
/// that mean and a variance of exactly 0. (SciPy's plain mean can be off by an ulp there, e.g.
/// for three 0.1s, leaving a variance of ~1e-33 and a t of ~1e16 with a "catastrophic
/// cancellation" warning; where its mean is exact, as for integers, the results agree.)
fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = mean(x);
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
    (mean, var)
}

/// The test from the estimate (mean difference), its standard error and the degrees of
/// freedom, as SciPy's `_ttest_ind_from_stats` / `ttest_1samp` and `_t_confidence_interval`.
fn finish(estimate: f64, se: f64, df: f64, confidence: f64) -> TTest {
    let t = estimate / se;
    // df ≥ 1 here for any input without NaN; a distribution statrs refuses gives NaN.
    let dist = StudentsT::new(0.0, 1.0, df).ok();
    let p = match &dist {
        _ if t.is_nan() => f64::NAN,
        // The survival function rather than 1 − CDF, which keeps tiny p-values.
        Some(d) => 2.0 * d.sf(t.abs()),
        None => f64::NAN,
    };
    // SciPy's lower end is stdtrit(df, (1 − confidence) / 2) · se + estimate; the upper end is
    // its mirror image (the distribution is symmetric).
    let tail = (1.0 - confidence) / 2.0;
    let q = dist.map_or(f64::NAN, |d| -d.inverse_cdf(tail));
    TTest {
        t,
        df,
        p,
        ci_low: estimate - q * se,
        ci_high: estimate + q * se,
    }
}

/// Welch's unequal-variance t-test of mean(a) − mean(b) for independent samples: exactly
/// `scipy.stats.ttest_ind(a, b, equal_var=False)` (statistic, pvalue, df) and its
/// `confidence_interval(confidence)`.
///
/// The degrees of freedom are Welch–Satterthwaite's; when both variances are 0 they are
/// undefined (0/0) and, as in SciPy, set to 1 (they no longer matter: the standard error is 0).
/// None when either side has fewer than 2 values (no variance to estimate).
///
/// # Panics
/// Unless `0 < confidence < 1`.
pub fn welch(a: &[f64], b: &[f64], confidence: f64) -> Option<TTest> {
    check_confidence(confidence);
    if a.len() < 2 || b.len() < 2 {
        return None;
    }
    if a.iter().chain(b).any(|v| v.is_nan()) {
        return Some(TTest::nan());
    }
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    let (m1, v1) = mean_var(a);
    let (m2, v2) = mean_var(b);
    let (vn1, vn2) = (v1 / n1, v2 / n2);
    let df = (vn1 + vn2) * (vn1 + vn2) / (vn1 * vn1 / (n1 - 1.0) + vn2 * vn2 / (n2 - 1.0));
    let df = if df.is_nan() { 1.0 } else { df };
    Some(finish(m1 - m2, (vn1 + vn2).sqrt(), df, confidence))
}

/// The paired t-test of mean(a − b), `a[i]` paired with `b[i]`: exactly
/// `scipy.stats.ttest_rel(a, b)` and its `confidence_interval(confidence)`. It is a one-sample
/// test of the differences, with n − 1 degrees of freedom. None with fewer than 2 pairs.
///
/// # Panics
/// If `a` and `b` differ in length (pairs need both halves), or unless `0 < confidence < 1`.
pub fn paired(a: &[f64], b: &[f64], confidence: f64) -> Option<TTest> {
    assert_eq!(
        a.len(),
        b.len(),
        "paired t-test: a has {} values and b has {}; each value of a needs its pair in b",
        a.len(),
        b.len()
    );
    check_confidence(confidence);
    if a.len() < 2 {
        return None;
    }
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    if d.iter().any(|v| v.is_nan()) {
        return Some(TTest::nan());
    }
    let n = d.len() as f64;
    let (mean, var) = mean_var(&d);
    Some(finish(mean, (var / n).sqrt(), n - 1.0, confidence))
}

/// One pair of methods (a, b) compared on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairComparison {
    /// The first method's name.
    pub a: String,
    /// The second method's name.
    pub b: String,
    /// How many runs of a have a finite value (the others are left out of everything).
    pub runs_a: usize,
    /// How many runs of b have a finite value.
    pub runs_b: usize,
    /// Mean of a's finite values (NaN when it has none).
    #[serde(with = "serde_float::f64")]
    pub mean_a: f64,
    /// Mean of b's finite values (NaN when it has none).
    #[serde(with = "serde_float::f64")]
    pub mean_b: f64,
    /// mean_a − mean_b. (The paired test's interval is about the mean of the per-seed
    /// differences, which is the same number unless a run of one method was non-finite and its
    /// pair was left out.)
    #[serde(with = "serde_float::f64")]
    pub difference: f64,
    /// Welch's test of the finite values; None when either method has fewer than 2.
    pub welch: Option<TTest>,
    /// The paired test over the shared seeds; None when the runs cannot be paired (see
    /// [`compare`]) or fewer than 2 pairs are finite on both sides.
    pub paired: Option<TTest>,
    /// The test the verdict uses: "paired" when `paired` is Some, else "welch".
    pub test: String,
    /// Whether `p ≥ alpha` for the test used: the difference is within the run-to-run noise.
    /// None when no test could be run, or when its p is NaN (every run of both methods gave
    /// the same value, so there is neither a difference nor noise to weigh it against).
    pub within_noise: Option<bool>,
}

impl PairComparison {
    /// The test the verdict uses, when one could be run.
    pub fn test_used(&self) -> Option<&TTest> {
        if self.test == "paired" {
            self.paired.as_ref()
        } else {
            self.welch.as_ref()
        }
    }
}

/// Every pair of methods compared on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What the values are, e.g. "test accuracy".
    pub metric: String,
    /// The confidence level of the intervals, e.g. 0.95.
    #[serde(with = "serde_float::f64")]
    pub confidence: f64,
    /// The significance level of the verdicts: 1 − confidence.
    #[serde(with = "serde_float::f64")]
    pub alpha: f64,
    /// One entry per unordered pair of methods, (0, 1), (0, 2), …, (1, 2), … in method order.
    pub pairs: Vec<PairComparison>,
}

/// The runs of one method on one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodRuns<'a> {
    /// The method's name.
    pub method: &'a str,
    /// One value per run, in run order.
    pub values: &'a [f64],
    /// The seed of each run, aligned with `values`, when known.
    pub seeds: Option<&'a [u64]>,
}

impl MethodRuns<'_> {
    fn finite(&self) -> Vec<f64> {
        self.values.iter().copied().filter(|v| v.is_finite()).collect()
    }
}

/// The (a, b) value pairs of two methods' runs matched by equal seed, leaving out pairs with a
/// non-finite value; None when the runs cannot be paired: a seed list is missing, the numbers
/// of runs differ, a method repeats a seed, or the sets of seeds differ.
fn seed_pairs(a: &MethodRuns, b: &MethodRuns) -> Option<(Vec<f64>, Vec<f64>)> {
    let (sa, sb) = (a.seeds?, b.seeds?);
    if sa.len() != sb.len() {
        return None;
    }
    let index_b: HashMap<u64, usize> = sb.iter().enumerate().map(|(i, &s)| (s, i)).collect();
    let distinct_a: std::collections::HashSet<u64> = sa.iter().copied().collect();
    if index_b.len() != sb.len() || distinct_a.len() != sa.len() {
        return None;
    }
    let (mut va, mut vb) = (Vec::new(), Vec::new());
    for (i, s) in sa.iter().enumerate() {
        let j = *index_b.get(s)?;
        let (x, y) = (a.values[i], b.values[j]);
        if x.is_finite() && y.is_finite() {
            va.push(x);
            vb.push(y);
        }
    }
    Some((va, vb))
}

/// Compares every pair of methods on one metric: Welch's test always, the paired test when the
/// runs can be paired, and a verdict from the paired test when there is one, else Welch's.
///
/// Non-finite values (a diverged run's NaN loss) are left out: from Welch's test the value,
/// from the paired test the pair. Runs are paired when both methods have seeds, the same
/// number of runs, no repeated seed and the same set of seeds; values are matched by equal
/// seed, not by position, so runs listed in another order still pair correctly.
///
/// None unless there are at least 2 methods and at least 2 of them have 2 finite values or
/// more (otherwise no pair could be tested). Pairs in which a method has fewer than 2 finite
/// values are still listed, without a test.
///
/// # Panics
/// Unless `0 < confidence < 1`, or if a method's `seeds` and `values` differ in length.
pub fn compare(metric: &str, methods: &[MethodRuns], confidence: f64) -> Option<Comparison> {
    check_confidence(confidence);
    for m in methods {
        if let Some(s) = m.seeds {
            assert_eq!(
                s.len(),
                m.values.len(),
                "method {:?}: {} seeds for {} values; each run needs its seed",
                m.method,
                s.len(),
                m.values.len()
            );
        }
    }
    let finite: Vec<Vec<f64>> = methods.iter().map(MethodRuns::finite).collect();
    if methods.len() < 2 || finite.iter().filter(|f| f.len() >= 2).count() < 2 {
        return None;
    }
    let alpha = 1.0 - confidence;
    let mut pairs = Vec::new();
    for i in 0..methods.len() {
        for j in i + 1..methods.len() {
            let (fa, fb) = (&finite[i], &finite[j]);
            let welch = welch(fa, fb, confidence);
            let paired = seed_pairs(&methods[i], &methods[j]).and_then(|(a, b)| paired(&a, &b, confidence));
            let test = if paired.is_some() { "paired" } else { "welch" };
            let used = paired.as_ref().or(welch.as_ref());
            let within_noise = used.filter(|t| !t.p.is_nan()).map(|t| t.p >= alpha);
            let (mean_a, mean_b) = (mean(fa), mean(fb));
            pairs.push(PairComparison {
                a: methods[i].method.to_string(),
                b: methods[j].method.to_string(),
                runs_a: fa.len(),
                runs_b: fb.len(),
                mean_a,
                mean_b,
                difference: mean_a - mean_b,
                welch,
                paired,
                test: test.to_string(),
                within_noise,
            });
        }
    }
    Some(Comparison {
        metric: metric.to_string(),
        confidence,
        alpha,
        pairs,
    })
}

/// A signed number with 4 decimals and a true minus sign: "+0.0012", "−0.0031"; "n/a" for NaN.
fn signed(x: f64) -> String {
    if x.is_nan() {
        "n/a".to_string()
    } else {
        format!("{x:+.4}").replace('-', "\u{2212}")
    }
}

/// A p-value with 2 significant digits: "0.52", "0.0031", "1.0", "3.1e-7"; "<1e-10" below
/// 1e-10 (the t distribution's tail is not worth more digits there), "n/a" for NaN.
fn format_p(p: f64) -> String {
    if p.is_nan() {
        return "n/a".to_string();
    }
    if p < 1e-10 {
        return "<1e-10".to_string();
    }
    // The exponent after rounding to 2 significant digits (0.0995 → 9.9e-2, 0.996 → 1.0e0).
    let sci = format!("{p:.1e}");
    let exp: i32 = sci.split_once('e').and_then(|(_, e)| e.parse().ok()).unwrap_or(0);
    if exp < -4 {
        sci
    } else {
        format!("{p:.*}", (1 - exp).max(0) as usize)
    }
}

/// "p = 0.52", or "p < 1e-10".
fn p_clause(p: f64) -> String {
    let s = format_p(p);
    match s.strip_prefix('<') {
        Some(rest) => format!("p < {rest}"),
        None => format!("p = {s}"),
    }
}

/// `x` with at most `decimals` decimals and no trailing zeros: (0.05, 4) → "0.05".
fn trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A level as a percentage without needless decimals: 0.95 → "95", 0.999 → "99.9" (and
/// 1 − 0.95, which is 0.050000000000000044, → "5").
fn percent(x: f64) -> String {
    trimmed(x * 100.0, 2)
}

/// How many runs (or pairs) the test used, in words.
fn test_words(pair: &PairComparison, test: &TTest) -> String {
    if pair.test == "paired" {
        // The paired test has n − 1 degrees of freedom.
        let n = test.df as usize + 1;
        format!("paired t-test over {n} shared seeds")
    } else {
        format!("Welch's t-test, {} and {} runs", pair.runs_a, pair.runs_b)
    }
}

/// One English sentence per pair of methods saying whether their difference is within the
/// run-to-run noise, with the interval and the p-value it rests on, e.g.
///
/// `ce − weighted-ce: +0.0012 (95 % CI −0.0031 to +0.0055), p = 0.52 (paired t-test over 5
/// shared seeds): within the run-to-run noise.`
///
/// A pair that cannot be tested gets a sentence saying why. With 3 pairs or more, a last
/// sentence reminds the reader that small p-values turn up by chance among many comparisons.
pub fn describe(c: &Comparison) -> Vec<String> {
    let level = percent(c.confidence);
    let mut out: Vec<String> = c
        .pairs
        .iter()
        .map(|pair| {
            let head = format!("{} \u{2212} {}", pair.a, pair.b);
            let Some(test) = pair.test_used() else {
                return format!(
                    "{head}: cannot be tested: {} has {} run{} with a finite value and {} has {}; \
                     a t-test needs at least 2 on each side.",
                    pair.a,
                    pair.runs_a,
                    if pair.runs_a == 1 { "" } else { "s" },
                    pair.b,
                    pair.runs_b
                );
            };
            let verdict = match pair.within_noise {
                Some(true) => "within the run-to-run noise.".to_string(),
                Some(false) => format!("larger than the run-to-run noise at the {} % level.", percent(c.alpha)),
                // p is NaN: no spread and no difference, so t = 0/0.
                None if pair.test == "paired" => {
                    return format!(
                        "{head}: {}; both methods gave the same value with every seed, so there \
                         is neither a difference nor noise to test ({}).",
                        signed(pair.difference),
                        test_words(pair, test)
                    )
                }
                None => {
                    return format!(
                        "{head}: {}; every run of both methods gave the same value, so there is \
                         neither a difference nor run-to-run noise to test ({}).",
                        signed(pair.difference),
                        test_words(pair, test)
                    )
                }
            };
            format!(
                "{head}: {} ({level} % CI {} to {}), {} ({}): {verdict}",
                signed(pair.difference),
                signed(test.ci_low),
                signed(test.ci_high),
                p_clause(test.p),
                test_words(pair, test)
            )
        })
        .collect();
    if c.pairs.len() >= 3 {
        out.push(format!(
            "With {} pairs compared, about one p below {} in {} is expected by chance even if no \
             method differs from another, so a single small p among them is weak evidence.",
            c.pairs.len(),
            trimmed(c.alpha, 4),
            trimmed(1.0 / c.alpha, 1)
        ));
    }
    out
}

/// The verdict column of [`table`].
fn verdict_word(pair: &PairComparison) -> &'static str {
    match (pair.test_used(), pair.within_noise) {
        (None, _) => "too few runs",
        (Some(_), Some(true)) => "within noise",
        (Some(_), Some(false)) => "larger than noise",
        (Some(_), None) => "identical runs",
    }
}

/// A plain-text table of the comparison, for the terminal and a .txt file: one row per pair
/// with the difference (a − b), the interval of the test the verdict uses, both p-values
/// ("—" where a test could not be run) and the verdict.
pub fn table(c: &Comparison) -> String {
    let level = percent(c.confidence);
    let header = [
        "pair".to_string(),
        "difference".to_string(),
        format!("{level} % CI"),
        "p (Welch)".to_string(),
        "p (paired)".to_string(),
        "verdict".to_string(),
    ];
    let p_cell = |t: &Option<TTest>| t.as_ref().map_or("\u{2014}".to_string(), |t| format_p(t.p));
    let mut rows = vec![header];
    for pair in &c.pairs {
        let ci = pair.test_used().map_or("\u{2014}".to_string(), |t| {
            format!("{} to {}", signed(t.ci_low), signed(t.ci_high))
        });
        rows.push([
            format!("{} \u{2212} {}", pair.a, pair.b),
            signed(pair.difference),
            ci,
            p_cell(&pair.welch),
            p_cell(&pair.paired),
            verdict_word(pair).to_string(),
        ]);
    }
    // Widths in characters (the minus sign and dash are one character, several bytes).
    let widths: Vec<usize> = (0..6)
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = format!(
        "{}: difference between methods (a \u{2212} b); the interval and the verdict (at the {} % \
         level) are the paired test's where the runs share their seeds, else Welch's\n\n",
        c.metric,
        percent(c.alpha)
    );
    for (i, r) in rows.iter().enumerate() {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            // The pair name left-aligned, the numbers right-aligned, the verdict left-aligned.
            .map(|(k, (cell, &w))| match k {
                0 | 5 => format!("{cell:<w$}"),
                _ => format!("{cell:>w$}"),
            })
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
        if i == 0 {
            let rule: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
            out += &"-".repeat(rule);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_keep_two_significant_digits() {
        assert_eq!(format_p(0.52), "0.52");
        assert_eq!(format_p(0.0031), "0.0031");
        assert_eq!(format_p(0.15196166152798526), "0.15");
        assert_eq!(format_p(0.97691010571226), "0.98");
        // Rounding up to the next power of ten keeps 2 significant digits.
        assert_eq!(format_p(0.996), "1.0");
        assert_eq!(format_p(0.0999), "0.10");
        assert_eq!(format_p(1.0), "1.0");
        assert_eq!(format_p(0.00012), "0.00012");
        assert_eq!(format_p(3.14e-7), "3.1e-7");
        assert_eq!(format_p(1.697833005962625e-10), "1.7e-10");
        assert_eq!(format_p(6.5e-18), "<1e-10");
        assert_eq!(format_p(0.0), "<1e-10");
        assert_eq!(format_p(f64::NAN), "n/a");
        assert_eq!(p_clause(0.0), "p < 1e-10");
        assert_eq!(p_clause(0.52), "p = 0.52");
    }

    #[test]
    fn numbers_use_a_true_minus_sign() {
        assert_eq!(signed(0.0012), "+0.0012");
        assert_eq!(signed(-0.0031), "\u{2212}0.0031");
        assert_eq!(signed(f64::NAN), "n/a");
        assert_eq!(percent(0.95), "95");
        assert_eq!(percent(1.0 - 0.95), "5");
        assert_eq!(percent(0.999), "99.9");
        assert_eq!(trimmed(1.0 - 0.95, 4), "0.05");
        assert_eq!(trimmed(1.0 / (1.0 - 0.95), 1), "20");
    }

    #[test]
    fn constant_values_have_exactly_zero_variance() {
        // SciPy's plain mean of three 0.1s is off by an ulp; summing from the first value is not.
        assert_eq!(mean_var(&[0.1, 0.1, 0.1]), (0.1, 0.0));
        assert_eq!(mean_var(&[1.0, 2.0, 3.0, 4.0]), (2.5, 5.0 / 3.0));
    }
}

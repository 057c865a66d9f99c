//! Softplus and its first three derivatives in f32 without libm calls, so that a row of them
//! vectorises: with glibc's `expf` and `log1pf` per element, the activation rows were a third of
//! the forward-Laplacian penalty step at C = 10 (`log1pf` alone 29 %).
//!
//! Accuracy: a few ulp against f64 (tested below); PyTorch's own vectorised CPU softplus uses
//! Sleef's approximations of the same kind.

/// `[σ(z), σ'(z), σ''(z), σ'''(z)]` of Softplus (beta 1, linear above 20 as PyTorch), as
/// `Activation::scalar`.
#[inline(always)]
pub(crate) fn softplus_rows(z: f32) -> [f32; 4] {
    let e = exp(z.min(20.0));
    let q = 1.0 / (1.0 + e); // 1 − σ'
    let s = e * q;
    let d2 = s * q;
    // log(1 + e) = max(z, 0) + log1p(exp(−|z|)).
    let t = if z > 0.0 { 1.0 / e } else { e };
    let value = z.max(0.0) + log1p_unit(t);
    if z > 20.0 {
        [z, 1.0, 0.0, 0.0]
    } else if z.is_nan() {
        [z; 4]
    } else {
        [value, s, d2, d2 * ((1.0 - e) * q)]
    }
}

/// `exp(x)` for `x ≤ 88`, within 2 ulp, 0 below −87.3 (where f32's exp leaves the normal
/// range): Cephes' `expf`, `x = k·ln 2 + r` with `|r| ≤ ln 2 / 2` and a degree-7 polynomial.
#[inline(always)]
fn exp(x: f32) -> f32 {
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let clamped = x.clamp(-87.0, 88.0);
    // Round to nearest by adding and removing 1.5·2^23 (|x·log2 e| < 2^22): `f32::round` is a
    // libm call on baseline x86-64, which would keep the row from vectorising.
    const ROUNDER: f32 = 12_582_912.0;
    let k = (clamped * std::f32::consts::LOG2_E + ROUNDER) - ROUNDER;
    let r = clamped - k * LN2_HI - k * LN2_LO;
    let p =
        ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r + 1.666_666_5e-1) * r + 0.5;
    let er = p * r * r + r + 1.0;
    let scale = f32::from_bits(((k as i32 + 127) as u32) << 23);
    if x < -87.3 {
        0.0
    } else {
        er * scale
    }
}

/// `log(1 + t)` for `t` in `[0, 1]`, within a few ulp: `log(u)·t/(u − 1)` with `u = 1 + t`
/// rounded (Goldberg's correction of the rounding of `u`), and `log(u) = k·ln 2 + 2·atanh(s)`,
/// `s = (m − 1)/(m + 1)` for `u = 2^k·m`, `m` in `[√½, √2]`, `|s| ≤ 0.172`, whose odd series to
/// `s⁹` leaves a relative error below 3e-9.
#[inline(always)]
fn log1p_unit(t: f32) -> f32 {
    let u = 1.0 + t;
    let high = u > std::f32::consts::SQRT_2;
    let m = if high { u * 0.5 } else { u };
    let k = if high { 1.0 } else { 0.0 };
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    let log_u = k * std::f32::consts::LN_2 + 2.0 * s * series;
    if u == 1.0 {
        t
    } else {
        log_u * (t / (u - 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::{exp, log1p_unit, softplus_rows};
    use crate::learnable::Activation;

    fn ulps(got: f32, exact: f64) -> f64 {
        (got as f64 - exact).abs() / (exact.abs() * f32::EPSILON as f64).max(f64::MIN_POSITIVE)
    }

    #[test]
    fn exp_and_log1p_are_within_a_few_ulp() {
        let (mut worst_exp, mut worst_log) = (0.0f64, 0.0f64);
        for i in 0..=400_000 {
            let x = -87.0 + 107.0 * i as f32 / 400_000.0;
            worst_exp = worst_exp.max(ulps(exp(x), (x as f64).exp()));
            let t = i as f32 / 400_000.0;
            let t = if i % 2 == 0 { t } else { t * t * t * 1e-3 };
            if t > 0.0 {
                worst_log = worst_log.max(ulps(log1p_unit(t), (t as f64).ln_1p()));
            }
        }
        assert!(worst_exp <= 3.0, "exp: {worst_exp} ulp");
        assert!(worst_log <= 3.0, "log1p: {worst_log} ulp");
        assert_eq!(exp(-100.0), 0.0);
    }

    /// Against the generic f64 rows, across the threshold and deep into both tails; NaN
    /// propagates. σ''' is `σ''·(1 − e)/(1 + e)`, whose `1 − e` carries the rounding of `e`
    /// where σ''' crosses zero: its error is measured against its largest magnitude, 0.0962.
    #[test]
    fn softplus_rows_match_f64() {
        for i in -9000..=3000 {
            let z = i as f32 / 100.0;
            let got = softplus_rows(z);
            let exact = Activation::Softplus.scalar(z as f64);
            for (k, (&g, &e)) in got.iter().zip(&exact).enumerate() {
                let scale = if k == 3 { 0.0962 } else { e.abs() };
                let tolerance = 8.0 * f32::EPSILON as f64 * scale + 1e-37;
                assert!((g as f64 - e).abs() <= tolerance, "softplus row {k} at {z}: {g} vs {e}");
            }
        }
        assert!(softplus_rows(f32::NAN).iter().all(|v| v.is_nan()));
    }
}

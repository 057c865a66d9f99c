//! Shared pieces of the plots: colours, per-epoch aggregation over runs, safe axis ranges.

use plotters::coord::CoordTranslate;
use plotters::prelude::*;
use plotters::style::RGBColor;

use super::{DrawResult, FONT};

use super::super::metrics::{mean_std, EpochRecord};

/// Matplotlib's tab10 colours, so methods look as they would in the Python plots.
const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of the `i`-th method (or run), cycling through tab10.
pub(crate) fn color(i: usize) -> RGBColor {
    TAB10[i % TAB10.len()]
}

/// One curve: per epoch, the mean over runs and its sample standard deviation.
pub(crate) struct Band {
    pub label: String,
    pub color: RGBColor,
    /// `(epoch, mean, std)` with finite mean; std is 0 where it is not finite.
    pub points: Vec<(f64, f64, f64)>,
}

/// Per epoch, the mean ± std over runs of `field` for `method`'s records, skipping
/// non-finite values and epochs with none.
pub(crate) fn band_over_runs(
    records: &[EpochRecord],
    method: &str,
    field: impl Fn(&EpochRecord) -> Option<f64>,
) -> Vec<(f64, f64, f64)> {
    let mut epochs: Vec<usize> = records.iter().filter(|r| r.method == method).map(|r| r.epoch).collect();
    epochs.sort_unstable();
    epochs.dedup();
    epochs
        .into_iter()
        .filter_map(|epoch| {
            let values: Vec<f64> = records
                .iter()
                .filter(|r| r.method == method && r.epoch == epoch)
                .filter_map(&field)
                .collect();
            let (mean, std) = mean_std(&values);
            mean.is_finite()
                .then_some((epoch as f64, mean, if std.is_finite() { std } else { 0.0 }))
        })
        .collect()
}

/// `(lo, hi)` covering the finite values, widened when empty or a single value so the axis
/// has a non-zero span; `pad` adds a fraction of the span on both sides.
pub(crate) fn range(values: impl IntoIterator<Item = f64>, pad: f64) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.into_iter().filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if lo > hi {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let half = (hi.abs() * 0.05).max(0.5);
        return (lo - half, hi + half);
    }
    let span = hi - lo;
    (lo - pad * span, hi + pad * span)
}

/// Tick text for a linear axis over `[lo, hi]`: as many decimals as neighbouring labels need to
/// differ. plotters puts at most ten key points on an axis, so they are at least a tenth of the
/// span apart: an axis over 0.804–0.808 reads 0.8040, 0.8045, … (with [`tick`]'s three decimals
/// it read 0.804, 0.804, 0.805, 0.805). Scientific notation outside [1e-3, 1e4), with as many
/// significant digits as the spacing needs.
pub(crate) fn linear_ticks(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = (hi - lo).abs() / 10.0;
    let resolved = step > 0.0 && step.is_finite();
    let places = if resolved {
        (-step.log10()).ceil().clamp(0.0, 12.0) as usize
    } else {
        3
    };
    move |&v| {
        let a = v.abs();
        if a == 0.0 || (1e-3..1e4).contains(&a) {
            return format!("{v:.places$}");
        }
        let digits = if resolved {
            (a.log10().floor() - step.log10().floor()).clamp(1.0, 12.0) as usize
        } else {
            1
        };
        format!("{v:.digits$e}")
    }
}

/// Short tick text: plain decimals in a readable range, scientific notation outside it (log
/// axes, whose ticks are 1-2-5 per decade, and single values in labels).
pub(crate) fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e4).contains(&a) {
        format!("{v:.1e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The legend every plot draws: boxed, on a translucent white background, in the embedded font.
pub(crate) fn draw_legend<'a, DB, CT>(chart: &mut ChartContext<'a, DB, CT>, position: SeriesLabelPosition) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font((FONT, 14))
        .draw()?;
    Ok(())
}

/// "1 run" or "3 runs pooled", for titles of plots that sum over a method's runs.
pub(crate) fn runs_pooled(n: usize) -> String {
    if n == 1 {
        "1 run".to_string()
    } else {
        format!("{n} runs pooled")
    }
}

#[cfg(test)]
mod tests {
    use super::linear_ticks;
    use plotters::coord::ranged1d::Ranged;
    use plotters::coord::types::RangedCoordf64;

    /// The labels of the key points plotters draws on a linear axis (ten by default) differ
    /// from one another, on narrow, wide, tiny and large ranges.
    #[test]
    fn linear_tick_labels_tell_neighbours_apart() {
        for (lo, hi) in [
            (0.804, 0.808),
            (0.0, 1.0),
            (0.3, 0.31),
            (1e-5, 3e-5),
            (1234.5, 1234.9),
            (-2.5e5, 2.5e5),
            (0.99995, 1.00005),
        ] {
            let coord: RangedCoordf64 = (lo..hi).into();
            let points = coord.key_points(10);
            assert!(points.len() >= 2, "{lo}..{hi}: {points:?}");
            let label = linear_ticks(lo, hi);
            let labels: Vec<String> = points.iter().map(&label).collect();
            for pair in labels.windows(2) {
                assert_ne!(pair[0], pair[1], "{lo}..{hi}: {labels:?}");
            }
        }
        // The case: E over 0.804-0.808 was labelled 0.804, 0.804, 0.805, 0.805.
        assert_eq!(linear_ticks(0.804, 0.808)(&0.8045), "0.8045");
    }
}

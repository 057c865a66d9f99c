//! Per-epoch curves, mean ± std over runs with a shaded band: accuracy, loss and the
//! learned loss's penalties.

use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;

use super::super::metrics::EpochRecord;
use super::util::{band_over_runs, color, draw_legend, linear_ticks, range, tick, Band};
use super::{render, Area, DrawResult, Plot, FONT};
use crate::Result;

/// How a panel maps values onto its y axis.
#[derive(Clone, Copy)]
enum Scale {
    Linear,
    /// Logarithmic, with values at or below `floor` drawn at `floor` (a log axis has no 0).
    Log {
        floor: f64,
    },
}

impl Scale {
    fn map(self, v: f64) -> f64 {
        match self {
            Scale::Linear => v,
            Scale::Log { floor } => v.max(floor),
        }
    }
}

/// Where the legend goes: away from where the curves usually end (accuracy rises to the
/// upper right, losses and penalties fall to the lower right).
#[derive(Clone, Copy)]
enum Rising {
    Up,
    Down,
}

/// One panel: a line per band, its ±std region shaded, a legend when there is anything.
fn panel(area: &Area, title: &str, y_desc: &str, bands: &[Band], scale: Scale, rising: Rising) -> DrawResult {
    let xs = bands.iter().flat_map(|b| b.points.iter().map(|p| p.0));
    let (x_lo, x_hi) = range(xs, 0.03);
    let ys: Vec<f64> = bands
        .iter()
        .flat_map(|b| {
            b.points
                .iter()
                .flat_map(move |&(_, m, s)| [scale.map(m - s), scale.map(m + s), scale.map(m)])
        })
        .collect();
    match scale {
        Scale::Linear => {
            let (y_lo, y_hi) = range(ys, 0.05);
            let y_tick = linear_ticks(y_lo, y_hi);
            panel_on(
                area,
                title,
                y_desc,
                bands,
                scale,
                rising,
                x_lo..x_hi,
                y_lo..y_hi,
                &y_tick,
            )
        }
        Scale::Log { floor } => {
            let (mut y_lo, mut y_hi) = range(ys.iter().map(|v| v.log10()), 0.05);
            if ys.is_empty() {
                (y_lo, y_hi) = (floor.log10(), floor.log10() + 1.0);
            }
            let (lo, hi) = (10f64.powf(y_lo), 10f64.powf(y_hi));
            let y = (lo..hi).log_scale().with_key_points(log_ticks(lo, hi));
            panel_on(area, title, y_desc, bands, scale, rising, x_lo..x_hi, y, &|v: &f64| {
                tick(*v)
            })
        }
    }
}

/// Tick values for a log axis over `[lo, hi]`: 1-2-5 per decade, 1…9 when that leaves fewer
/// than three, and the range's own ends when even that leaves fewer than two (plotters' own
/// log ticks label powers of ten only, so a range inside one decade had one label or none).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let inside = |mantissas: &[f64]| -> Vec<f64> {
        let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        (k0..=k1)
            .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let mut ticks = inside(&[1.0, 2.0, 5.0]);
    if ticks.len() < 3 {
        ticks = inside(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    }
    if ticks.len() < 2 {
        ticks = vec![lo, hi];
    }
    ticks
}

/// [`panel`] on a given y coordinate (linear or logarithmic).
#[allow(clippy::too_many_arguments)]
fn panel_on<Y>(
    area: &Area,
    title: &str,
    y_desc: &str,
    bands: &[Band],
    scale: Scale,
    rising: Rising,
    x: std::ops::Range<f64>,
    y: Y,
    y_tick: &dyn Fn(&f64) -> String,
) -> DrawResult
where
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(y_desc)
        .x_label_formatter(&|v| {
            if v.fract() == 0.0 {
                format!("{v:.0}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(y_tick)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 16))
        .draw()?;
    let mut drawn = false;
    for band in bands.iter().filter(|b| !b.points.is_empty()) {
        let mut outline: Vec<(f64, f64)> = band.points.iter().map(|&(x, m, s)| (x, scale.map(m + s))).collect();
        outline.extend(band.points.iter().rev().map(|&(x, m, s)| (x, scale.map(m - s))));
        chart.draw_series(std::iter::once(Polygon::new(outline, band.color.mix(0.2))))?;
        let line: Vec<(f64, f64)> = band.points.iter().map(|&(x, m, _)| (x, scale.map(m))).collect();
        let c = band.color;
        chart
            .draw_series(LineSeries::new(line.clone(), c.stroke_width(2)))?
            .label(&band.label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(line.into_iter().map(|p| Circle::new(p, 3, c.filled())))?;
        drawn = true;
    }
    if drawn {
        let position = match rising {
            Rising::Up => SeriesLabelPosition::LowerRight,
            Rising::Down => SeriesLabelPosition::UpperRight,
        };
        draw_legend(&mut chart, position)?;
    } else {
        let (w, h) = area.dim_in_pixel();
        area.draw(&Text::new(
            "no finite values",
            (w as i32 / 2 - 60, h as i32 / 2),
            (FONT, 18),
        ))?;
    }
    Ok(())
}

type Field = fn(&EpochRecord) -> Option<f64>;

/// Bands for each method that has any finite value of `field`, coloured by method index.
fn bands(records: &[EpochRecord], methods: &[String], field: Field) -> Vec<Band> {
    methods
        .iter()
        .enumerate()
        .map(|(i, m)| Band {
            label: m.clone(),
            color: color(i),
            points: band_over_runs(records, m, field),
        })
        .filter(|b| !b.points.is_empty())
        .collect()
}

/// Draws several panels side by side under a figure title.
fn figure(
    file_name: &str,
    title: &str,
    panels: &[(&str, &str, Vec<Band>)],
    scale: Scale,
    rising: Rising,
) -> Result<Vec<u8>> {
    let width = 620 * panels.len().max(1) as u32;
    render(file_name, width, 520, |root| {
        let body = root.titled(title, (FONT, 24))?;
        let areas = body.split_evenly((1, panels.len().max(1)));
        for ((name, y_desc, b), area) in panels.iter().zip(&areas) {
            panel(area, name, y_desc, b, scale, rising)?;
        }
        Ok(())
    })
}

/// `accuracy.png`: train and validation accuracy per epoch, mean ± std over each method's
/// runs; `elementwise` when the runs are multi-label, whose accuracy is the seed's share of
/// right label decisions.
pub fn accuracy_curves(records: &[EpochRecord], methods: &[String], elementwise: bool) -> Result<Plot> {
    let file_name = "accuracy.png";
    let train = bands(records, methods, |r| Some(r.train_accuracy));
    let val = bands(records, methods, |r| Some(r.val_accuracy));
    let png = figure(
        file_name,
        "Accuracy per epoch (mean ± std over runs)",
        &[("Train", "accuracy", train), ("Validation", "accuracy", val)],
        Scale::Linear,
        Rising::Up,
    )?;
    Ok(Plot {
        file_name: file_name.to_string(),
        title: "Accuracy".to_string(),
        caption: format!(
            "Train and validation {}accuracy per epoch; lines are the mean over runs, shaded \
             bands ± one sample standard deviation.",
            if elementwise {
                "element-wise (the share of label decisions that are right, over samples × \
                 labels) "
            } else {
                ""
            }
        ),
        png,
    })
}

/// The smallest positive finite value in the bands, for a log axis's floor.
fn min_positive(bands: &[&[Band]]) -> Option<f64> {
    bands
        .iter()
        .flat_map(|b| b.iter())
        .flat_map(|b| b.points.iter().flat_map(|&(_, m, s)| [m, m - s]))
        .filter(|v| v.is_finite() && *v > 0.0)
        .reduce(f64::min)
}

/// `loss.png`: train and validation loss per epoch, on a log axis when every mean is
/// positive (linear otherwise, as said in the caption).
pub fn loss_curves(records: &[EpochRecord], methods: &[String]) -> Result<Plot> {
    let file_name = "loss.png";
    let train = bands(records, methods, |r| Some(r.train_loss));
    let val = bands(records, methods, |r| Some(r.val_loss));
    let all_positive = [&train, &val]
        .iter()
        .all(|bs| bs.iter().all(|b| b.points.iter().all(|p| p.1 > 0.0)));
    let (scale, note) = match min_positive(&[&train, &val]) {
        Some(floor) if all_positive => (
            Scale::Log { floor: floor / 10.0 },
            "log y axis; the lower edge of a band that reaches zero or below is cut at a tenth \
             of the smallest positive value",
        ),
        _ => (
            Scale::Linear,
            "linear y axis, since some mean losses are zero or negative",
        ),
    };
    let png = figure(
        file_name,
        "Loss per epoch (mean ± std over runs)",
        &[("Train", "loss", train), ("Validation", "loss", val)],
        scale,
        Rising::Down,
    )?;
    Ok(Plot {
        file_name: file_name.to_string(),
        title: "Loss".to_string(),
        caption: format!(
            "Train and validation loss per epoch, mean ± one sample standard deviation over \
             runs ({note}). Each method reports the loss it trains with."
        ),
        png,
    })
}

/// `penalties.png`: the learned loss's nonneg, convex and lips penalties per epoch on log
/// axes, for the methods that record them; `None` when no method does.
///
/// A log axis cannot show 0, and a satisfied penalty is exactly 0: such values (and band
/// edges at or below zero) are drawn at a floor a decade below the smallest positive penalty
/// (1e-12 when none is positive), and the caption says so.
pub fn penalty_curves(records: &[EpochRecord], methods: &[String]) -> Result<Option<Plot>> {
    let file_name = "penalties.png";
    let nonneg = bands(records, methods, |r| r.nonneg);
    let convex = bands(records, methods, |r| r.convex);
    let lips = bands(records, methods, |r| r.lips);
    if nonneg.is_empty() && convex.is_empty() && lips.is_empty() {
        return Ok(None);
    }
    let floor = min_positive(&[&nonneg, &convex, &lips]).map_or(1e-12, |v| v / 10.0);
    let png = figure(
        file_name,
        &format!("Learned-loss penalties (log scale; values ≤ {floor:.1e} drawn at that floor)"),
        &[
            ("nonneg", "penalty", nonneg),
            ("convex", "penalty", convex),
            ("lips", "penalty", lips),
        ],
        Scale::Log { floor },
        Rising::Down,
    )?;
    Ok(Some(Plot {
        file_name: file_name.to_string(),
        title: "Penalties".to_string(),
        caption: format!(
            "Non-negativity, convexity and Lipschitz penalties of the learned loss per epoch, \
             mean ± one sample standard deviation over runs, log y axis. Zero cannot be drawn \
             on a log axis: values (and band edges) at or below {floor:.1e} are drawn at that \
             floor."
        ),
        png,
    }))
}

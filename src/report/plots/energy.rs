//! The learned loss's energy E against the true-class probability, one line per run, with
//! each curve's minimum marked: a good learned loss is lowest at p_true = 1. Multi-label runs
//! sample E against the agreement with the truth t instead (p = t on the true labels, 1 − t
//! on the others), lowest at t = 1 for a good loss too; the labels say which was drawn.

use plotters::prelude::*;

use super::super::metrics::RunResult;
use super::super::multilabel_runs::any_multilabel;
use super::util::{color, draw_legend, linear_ticks, range, tick};
use super::{render, Plot, FONT};
use crate::Result;

/// Legend label, colour, finite points and the minimum `(p_true, E)` of one run's curve.
type Curve = (String, RGBColor, Vec<(f64, f64)>, (f64, f64));

/// `energy.png` from the runs that carry an energy curve; `None` when no run does.
/// Non-finite points are skipped; a run with no finite point is left out.
pub fn energy_curves(runs: &[RunResult]) -> Result<Option<Plot>> {
    let file_name = "energy.png";
    // What the curves are drawn against: the axis's name and its description.
    let (x, x_desc) = if any_multilabel(runs.iter().filter(|r| r.energy_curve.is_some())) {
        (
            "t",
            "t (agreement with the truth: p = t on true labels, 1 − t on the others)",
        )
    } else {
        ("p_true", "p_true (probability of the true class)")
    };
    // Runs of one method would share its colour, so each curve gets its own; the legend
    // names method, run and where the minimum lies.
    let curves: Vec<Curve> = runs
        .iter()
        .filter_map(|r| {
            let points: Vec<(f64, f64)> = r
                .energy_curve
                .as_ref()?
                .iter()
                .copied()
                .filter(|(p, e)| p.is_finite() && e.is_finite())
                .collect();
            let min = points.iter().copied().reduce(|a, b| if b.1 < a.1 { b } else { a })?;
            Some((r.method.clone(), r.run, points, min))
        })
        .enumerate()
        .map(|(i, (method, run, points, min))| {
            let label = format!("{method} run {run} (min at {x}={})", tick(min.0));
            (label, color(i), points, min)
        })
        .collect();
    if !runs.iter().any(|r| r.energy_curve.is_some()) {
        return Ok(None);
    }
    let (x_lo, x_hi) = range(curves.iter().flat_map(|c| c.2.iter().map(|p| p.0)), 0.02);
    let (y_lo, y_hi) = range(curves.iter().flat_map(|c| c.2.iter().map(|p| p.1)), 0.08);
    let png = render(file_name, 900, 600, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption(format!("Learned energy E against {x} (minimum marked)"), (FONT, 22))
            .margin(14)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("E")
            .x_label_formatter(&linear_ticks(x_lo, x_hi))
            .y_label_formatter(&linear_ticks(y_lo, y_hi))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()?;
        for (label, c, points, min) in &curves {
            let c = *c;
            chart
                .draw_series(LineSeries::new(points.clone(), c.stroke_width(2)))?
                .label(label)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
            chart.draw_series([
                Circle::new(*min, 7, c.filled()),
                Circle::new(*min, 7, BLACK.stroke_width(1)),
            ])?;
        }
        if curves.is_empty() {
            root.draw(&Text::new("no finite points", (380, 300), (FONT, 18)))?;
        } else {
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })?;
    Ok(Some(Plot {
        file_name: file_name.to_string(),
        title: "Learned energy".to_string(),
        caption: if x == "t" {
            "The learned loss's energy E as a function of t, the agreement with the truth: for \
             each label c, y = e_c (that one label present) and p = t on c, 1 − t on every other \
             label, E averaged over c; one line per run; the outlined dot marks each curve's minimum, whose t the legend \
             gives."
        } else {
            "The learned loss's energy E as a function of the predicted probability of the \
             true class, one line per run; the outlined dot marks each curve's minimum, whose \
             p_true the legend gives."
        }
        .to_string(),
        png,
    }))
}

//! The learned loss's energy E against the true-class probability, one line per run, with
//! each curve's minimum marked: a good learned loss is lowest at p_true = 1.

use plotters::prelude::*;

use super::super::metrics::RunResult;
use super::util::{color, draw_legend, linear_ticks, range, tick};
use super::{render, Plot, FONT};
use crate::Result;

/// Legend label, colour, finite points and the minimum `(p_true, E)` of one run's curve.
type Curve = (String, RGBColor, Vec<(f64, f64)>, (f64, f64));

/// `energy.png` from the runs that carry an energy curve; `None` when no run does.
/// Non-finite points are skipped; a run with no finite point is left out.
pub fn energy_curves(runs: &[RunResult]) -> Result<Option<Plot>> {
    let file_name = "energy.png";
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
            let label = format!("{method} run {run} (min at p_true={})", tick(min.0));
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
            .caption("Learned energy E against p_true (minimum marked)", (FONT, 22))
            .margin(14)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(x_lo..x_hi, y_lo..y_hi)?;
        chart
            .configure_mesh()
            .x_desc("p_true (probability of the true class)")
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
        caption: "The learned loss's energy E as a function of the predicted probability of \
                  the true class, one line per run; the outlined dot marks each curve's minimum, whose p_true the legend gives."
            .to_string(),
        png,
    }))
}

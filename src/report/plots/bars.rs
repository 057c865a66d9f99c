//! Per-class F1 bars, methods side by side within each class, so a method that trades one
//! class for another shows up where the accuracy alone would hide it.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::classification_report::per_class_scores;
use super::super::metrics::RunResult;
use super::util::{color, draw_legend};
use super::{render, Plot, FONT};
use crate::Result;

/// Mean over `method`'s runs of each class's F1; `None` when the method has no runs.
fn mean_f1(runs: &[RunResult], method: &str, n_classes: usize) -> Result<Option<Vec<f64>>> {
    let mut sum = vec![0.0; n_classes];
    let mut count = 0usize;
    for r in runs.iter().filter(|r| r.method == method) {
        for (s, c) in sum.iter_mut().zip(per_class_scores(&r.y_true, &r.y_pred, n_classes)?) {
            *s += c.f1;
        }
        count += 1;
    }
    Ok((count > 0).then(|| sum.into_iter().map(|s| s / count as f64).collect()))
}

/// `f1_per_class.png`: per class, one bar per method with its F1 averaged over runs.
///
/// Errors (rather than panics) when a run's labels are not below `class_names.len()`.
pub fn f1_bars(runs: &[RunResult], methods: &[String], class_names: &[String]) -> Result<Plot> {
    let file_name = "f1_per_class.png";
    let n_classes = class_names.len();
    let mut per_method = Vec::new();
    for (i, m) in methods.iter().enumerate() {
        if let Some(f1) = mean_f1(runs, m, n_classes)? {
            per_method.push((m.clone(), color(i), f1));
        }
    }
    let groups = per_method.len().max(1);
    let width = (160 + n_classes * (14 * groups + 10)).clamp(900, 4000) as u32;
    let longest = class_names.iter().map(|n| n.chars().count()).max().unwrap_or(1);
    // Rotated 13 px DejaVu Sans averages about 7.5 px per character.
    let label_height = (longest * 15 / 2 + 24).clamp(50, 260) as u32;
    let height = 460 + label_height;
    let png = render(file_name, width, height, |root| {
        let mut chart = ChartBuilder::on(root)
            .caption("Per-class F1 on the test set (mean over runs)", (FONT, 22))
            .margin(14)
            .x_label_area_size(label_height)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n_classes.max(1) as f64, 0f64..1.08)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc("F1")
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()?;
        let slot = 0.8 / groups as f64;
        for (k, (method, c, f1)) in per_method.iter().enumerate() {
            let c = *c;
            chart
                .draw_series(f1.iter().enumerate().map(|(class, &v)| {
                    let x0 = class as f64 + 0.1 + slot * k as f64;
                    let v = if v.is_finite() { v } else { 0.0 };
                    Rectangle::new([(x0, 0.0), (x0 + slot, v)], c.filled())
                }))?
                .label(method)
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 14, y + 5)], c.filled()));
        }
        for (class, name) in class_names.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(class as f64 + 0.5, 0.0));
            root.draw(&Text::new(
                name.clone(),
                (px, py + 6),
                (FONT, 13)
                    .into_font()
                    .transform(FontTransform::Rotate90)
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        if !per_method.is_empty() {
            draw_legend(&mut chart, SeriesLabelPosition::UpperRight)?;
        }
        Ok(())
    })?;
    Ok(Plot {
        file_name: file_name.to_string(),
        title: "Per-class F1".to_string(),
        caption: "F1 of each class on the test set, averaged over each method's runs; an \
                  undefined F1 (class neither present nor predicted) counts as 0, as in \
                  scikit-learn."
            .to_string(),
        png,
    })
}

//! Confusion-matrix heatmap of one method, drawn cell by cell so the class names can sit on
//! both axes whatever their length.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::classification_report::confusion_matrix;
use super::super::metrics::RunResult;
use super::{render, Area, DrawResult, Plot, FONT};
use crate::Result;

/// White to matplotlib's "Blues" dark end, by `t` in [0, 1]; shared with the multi-label
/// confusion grid so both read alike.
pub(crate) fn shade(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    RGBColor(mix(247.0, 8.0), mix(251.0, 48.0), mix(255.0, 107.0))
}

/// The text colour that reads on a cell of `level`: white on dark cells, black on light ones.
pub(crate) fn ink(level: f64) -> RGBColor {
    if level > 0.5 {
        WHITE
    } else {
        BLACK
    }
}

/// One square heatmap cell at `(x, y)` of side `cell`, shaded by `level` in [0, 1], with
/// `count` written in its centre at `size` px when given, in [`ink`].
pub(crate) fn heat_cell(
    area: &Area,
    (x, y): (i32, i32),
    cell: i32,
    level: f64,
    count: Option<(usize, f64)>,
) -> DrawResult {
    area.draw(&Rectangle::new([(x, y), (x + cell, y + cell)], shade(level).filled()))?;
    if let Some((count, size)) = count {
        area.draw(&Text::new(
            count.to_string(),
            (x + cell / 2, y + cell / 2),
            (FONT, size)
                .into_font()
                .color(&ink(level))
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
    }
    Ok(())
}

/// `confusion_<slug>.png`: rows are true classes, columns predicted ones, counts summed over
/// the method's runs (each run predicts the whole test set once) and written in the cells
/// when the cells are large enough to hold them.
///
/// Errors (rather than panics) when a run's labels are not below `class_names.len()`.
pub fn confusion_heatmap(runs: &[RunResult], method: &str, class_names: &[String], file_name: &str) -> Result<Plot> {
    let n = class_names.len();
    let mut counts = vec![vec![0usize; n]; n];
    let mut n_runs = 0;
    for r in runs.iter().filter(|r| r.method == method) {
        let m = confusion_matrix(&r.y_true, &r.y_pred, n)?;
        for (row, add) in counts.iter_mut().zip(m) {
            for (c, a) in row.iter_mut().zip(add) {
                *c += a;
            }
        }
        n_runs += 1;
    }
    let max = counts.iter().flatten().copied().max().unwrap_or(0).max(1) as f64;
    let cell = (900 / n.max(1)).clamp(8, 64) as i32;
    let longest = class_names.iter().map(|s| s.chars().count()).max().unwrap_or(1) as i32;
    let name_size = (cell as f64 * 0.6).clamp(8.0, 14.0);
    // DejaVu Sans averages about 0.58 em per character.
    let label = ((longest as f64 * name_size * 0.58) as i32 + 16).clamp(40, 260);
    let (left, top) = (label + 40, 60);
    let grid = cell * n as i32;
    let (width, height) = ((left + grid + 30).max(500), (top + grid + label + 40).max(300));
    let show_counts = cell >= 18;
    let png = render(file_name, width as u32, height as u32, |root| {
        root.draw(&Text::new(
            format!("Confusion matrix: {method} ({})", super::util::runs_pooled(n_runs)),
            (width / 2, 24),
            (FONT, 22)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        for (t, row) in counts.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                let (x, y) = (left + p as i32 * cell, top + t as i32 * cell);
                let size = (cell as f64 * 0.38).min(16.0);
                heat_cell(
                    root,
                    (x, y),
                    cell,
                    count as f64 / max,
                    show_counts.then_some((count, size)),
                )?;
            }
        }
        root.draw(&Rectangle::new([(left, top), (left + grid, top + grid)], BLACK))?;
        for (i, name) in class_names.iter().enumerate() {
            let mid = i as i32 * cell + cell / 2;
            root.draw(&Text::new(
                name.clone(),
                (left - 6, top + mid),
                (FONT, name_size)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            root.draw(&Text::new(
                name.clone(),
                (left + mid, top + grid + 6),
                (FONT, name_size)
                    .into_font()
                    .transform(FontTransform::Rotate90)
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        root.draw(&Text::new(
            "predicted class",
            (left + grid / 2, height - 16),
            (FONT, 16)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        root.draw(&Text::new(
            "true class",
            (14, top + grid / 2),
            (FONT, 16)
                .into_font()
                .transform(FontTransform::Rotate270)
                .color(&BLACK)
                .pos(Pos::new(HPos::Center, VPos::Center)),
        ))?;
        Ok(())
    })?;
    let counts_note = if show_counts {
        "counts in the cells"
    } else {
        "too many classes to print counts in the cells"
    };
    Ok(Plot {
        file_name: file_name.to_string(),
        title: format!("Confusion matrix: {method}"),
        caption: format!(
            "Rows are true classes, columns predicted classes; test predictions of all \
             {n_runs} runs of {method} pooled, darker is more ({counts_note})."
        ),
        png,
    })
}

//! The confusion matrices of a multi-label method: one 2×2 matrix per label, as
//! scikit-learn's `multilabel_confusion_matrix` gives them, laid out as a grid of small
//! heatmaps. A K×K class matrix has no meaning when a sample carries several labels; each
//! label's own binary problem does, and a grid keeps forty of them on one page.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::metrics::RunResult;
use super::super::multilabel::multilabel_confusion_matrix;
use super::super::multilabel_runs::pool;
use super::confusion::{heat_cell, ink, shade};
use super::{render, Area, DrawResult, Plot, FONT};
use crate::{Error, Result};

/// Side of one cell of a label's matrix, in pixels: room for a six-digit count.
const CELL: i32 = 56;
/// Matrices per row of the grid at most: 40 labels make 5 rows of 8.
const MAX_COLUMNS: usize = 8;
/// Left of each matrix, room for the row ticks.
const GUTTER: i32 = 22;
/// Below each matrix, room for the column ticks.
const TICKS: i32 = 20;
/// Above each matrix, room for the label's name.
const NAME: i32 = 26;
/// The four cells' names in scikit-learn's layout: rows truth 0/1, columns prediction 0/1.
const TAGS: [[&str; 2]; 2] = [["tn", "fp"], ["fn", "tp"]];

/// `name` cut to `chars` characters, the cut marked by an ellipsis.
fn fit(name: &str, chars: usize) -> String {
    if name.chars().count() <= chars {
        name.to_string()
    } else {
        let kept: String = name.chars().take(chars.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn text(area: &Area, s: &str, at: (i32, i32), size: f64, color: RGBColor, pos: Pos) -> DrawResult {
    area.draw(&Text::new(
        s.to_string(),
        at,
        (FONT, size).into_font().color(&color).pos(pos),
    ))?;
    Ok(())
}

/// One label's name and matrix, centred in the `width` px wide slot whose top-left corner
/// is `(x, y)`; `total` is the number of pooled samples, which every label's four counts add
/// up to.
fn panel(area: &Area, (x, y): (i32, i32), width: i32, name: &str, m: &[[usize; 2]; 2], total: usize) -> DrawResult {
    let centre = Pos::new(HPos::Center, VPos::Center);
    let (left, top) = (x + (width - GUTTER - 2 * CELL) / 2 + GUTTER, y + NAME);
    text(area, name, (x + width / 2, y + NAME / 2), 14.0, BLACK, centre)?;
    for (t, row) in m.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            let at = (left + p as i32 * CELL, top + t as i32 * CELL);
            let level = count as f64 / total.max(1) as f64;
            let digits = count.to_string().len() as f64;
            let size = (f64::from(CELL - 8) / (digits * 0.62)).min(15.0);
            heat_cell(area, at, CELL, level, Some((count, size)))?;
            let tag_at = (at.0 + 4, at.1 + 8);
            text(
                area,
                TAGS[t][p],
                tag_at,
                10.0,
                ink(level),
                Pos::new(HPos::Left, VPos::Center),
            )?;
        }
        let tick = t.to_string();
        text(
            area,
            &tick,
            (left - 8, top + t as i32 * CELL + CELL / 2),
            12.0,
            BLACK,
            centre,
        )?;
        text(
            area,
            &tick,
            (left + t as i32 * CELL + CELL / 2, top + 2 * CELL + 9),
            12.0,
            BLACK,
            centre,
        )?;
    }
    area.draw(&Rectangle::new([(left, top), (left + 2 * CELL, top + 2 * CELL)], BLACK))?;
    Ok(())
}

/// `multilabel_confusion_<slug>.png`: per label `[[tn, fp], [fn, tp]]` (rows truth 0/1,
/// columns prediction 0/1), counts summed over the method's runs (each predicts the whole
/// test set once, at its own threshold), titled by the label's name, shaded by the share of
/// the pooled samples on one scale for every label.
///
/// Errors (rather than panics) when the method has no multi-label run, its runs differ in
/// the number of labels, that number is not `label_names.len()`, or the data is bad (see
/// [`multilabel_confusion_matrix`]).
pub fn multilabel_confusion_grid(
    runs: &[RunResult],
    method: &str,
    label_names: &[String],
    file_name: &str,
) -> Result<Plot> {
    let pooled = pool(runs, method)?
        .ok_or_else(|| Error::Data(format!("{method}: no multi-label run to draw confusion matrices of")))?;
    if pooled.labels != label_names.len() {
        return Err(Error::Data(format!(
            "{method}: runs have {} labels but there are {} label names",
            pooled.labels,
            label_names.len()
        )));
    }
    let matrices = multilabel_confusion_matrix(&pooled.y_true, &pooled.y_pred, pooled.labels)?;
    let total = pooled.y_true.len() / pooled.labels;
    let k = matrices.len();
    let columns = k.clamp(1, MAX_COLUMNS);
    let rows = k.div_ceil(columns);
    // A name as wide as the matrix, up to 240 px; DejaVu Sans averages 0.58 em a character.
    let longest = label_names.iter().map(|n| n.chars().count()).max().unwrap_or(1);
    let panel_w = ((longest as f64 * 14.0 * 0.58) as i32 + 16).clamp(GUTTER + 2 * CELL + 26, 240);
    let name_chars = ((panel_w - 8) as f64 / (14.0 * 0.58)) as usize;
    let panel_h = NAME + 2 * CELL + TICKS + 16;
    let (top, bottom, side) = (56, 70, 20);
    let width = (2 * side + columns as i32 * panel_w).max(640);
    let height = (top + rows as i32 * panel_h + bottom).max(320);
    let n_runs = pooled.runs;
    let png = render(file_name, width as u32, height as u32, |root| {
        let centre = Pos::new(HPos::Center, VPos::Center);
        let title = format!(
            "Per-label confusion matrices: {method} ({})",
            super::util::runs_pooled(n_runs)
        );
        text(root, &title, (width / 2, 24), 22.0, BLACK, centre)?;
        let x0 = (width - columns as i32 * panel_w) / 2;
        for (i, (m, name)) in matrices.iter().zip(label_names).enumerate() {
            let (r, c) = ((i / columns) as i32, (i % columns) as i32);
            let at = (x0 + c * panel_w, top + r * panel_h);
            panel(root, at, panel_w, &fit(name, name_chars), m, total)?;
        }
        // The key: what rows, columns and shades mean.
        let key_y = height - bottom + 22;
        let key = "rows: true 0 / 1, columns: predicted 0 / 1 (label absent / present)";
        text(root, key, (width / 2, key_y), 14.0, BLACK, centre)?;
        let (bar_w, bar_x, bar_y) = (200, width / 2 - 100, key_y + 18);
        for i in 0..bar_w {
            let level = f64::from(i) / f64::from(bar_w - 1);
            root.draw(&Rectangle::new(
                [(bar_x + i, bar_y), (bar_x + i + 1, bar_y + 12)],
                shade(level).filled(),
            ))?;
        }
        root.draw(&Rectangle::new([(bar_x, bar_y), (bar_x + bar_w, bar_y + 12)], BLACK))?;
        let mid = bar_y + 6;
        text(
            root,
            "0",
            (bar_x - 6, mid),
            12.0,
            BLACK,
            Pos::new(HPos::Right, VPos::Center),
        )?;
        let all = format!("{total} samples");
        text(
            root,
            &all,
            (bar_x + bar_w + 6, mid),
            12.0,
            BLACK,
            Pos::new(HPos::Left, VPos::Center),
        )?;
        Ok(())
    })?;
    Ok(Plot {
        file_name: file_name.to_string(),
        title: format!("Per-label confusion matrices: {method}"),
        caption: format!(
            "One 2×2 matrix per label, as scikit-learn's multilabel_confusion_matrix: rows are \
             the truth (0 = label absent, 1 = present), columns the prediction (score at least \
             the threshold), cells [[tn, fp], [fn, tp]]. Test predictions of {method} ({}; \
             {total} samples, which each label's four counts add up to); darker is more, on one \
             scale for every label.",
            super::util::runs_pooled(n_runs)
        ),
        png,
    })
}

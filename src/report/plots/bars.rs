//! Per-class precision, recall and F1 bars (per-label for multi-label runs), methods side by
//! side within each class, so a method that trades one class for another shows up where the
//! accuracy alone would hide it (a class-weighted loss typically buys recall of the weighted
//! class with precision).

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::super::classification_report::{per_class_scores, ClassScores};
use super::super::metrics::RunResult;
use super::super::multilabel::per_label_scores;
use super::super::multilabel_runs::any_multilabel;
use super::util::{color, draw_legend};
use super::{render, Plot, FONT};
use crate::{Error, Result};

/// Which per-class score a bar plot shows.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClassScore {
    Precision,
    Recall,
    F1,
}

impl ClassScore {
    pub const ALL: [ClassScore; 3] = [ClassScore::F1, ClassScore::Precision, ClassScore::Recall];

    /// "precision", "recall" or "F1".
    pub fn name(self) -> &'static str {
        match self {
            ClassScore::Precision => "precision",
            ClassScore::Recall => "recall",
            ClassScore::F1 => "F1",
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            ClassScore::Precision => "precision_per_class.png",
            ClassScore::Recall => "recall_per_class.png",
            ClassScore::F1 => "f1_per_class.png",
        }
    }

    /// When scikit-learn finds the score of a class undefined (0/0).
    fn undefined_when(self) -> &'static str {
        match self {
            ClassScore::Precision => "no sample predicted in that class",
            ClassScore::Recall => "no sample of that class present",
            ClassScore::F1 => "class neither present nor predicted",
        }
    }

    fn of(self, s: &ClassScores) -> f64 {
        match self {
            ClassScore::Precision => s.precision,
            ClassScore::Recall => s.recall,
            ClassScore::F1 => s.f1,
        }
    }
}

/// The `score` of each of a run's `n_classes` classes, or of its labels when it is
/// multi-label (each label read as a binary problem): the one place that tells the two apart,
/// so the plot below is drawn the same for both.
fn run_scores(run: &RunResult, n_classes: usize, score: ClassScore) -> Result<Vec<f64>> {
    let scores = match &run.multilabel {
        None => per_class_scores(&run.y_true, &run.y_pred, n_classes)?,
        Some(outputs) => {
            if outputs.labels != n_classes {
                return Err(Error::Data(format!(
                    "per-label {}: {} run {} has {} labels but there are {n_classes} label names",
                    score.name(),
                    run.method,
                    run.run,
                    outputs.labels
                )));
            }
            per_label_scores(&outputs.y_true, &outputs.y_pred(), outputs.labels)?
        }
    };
    Ok(scores.iter().map(|s| score.of(s)).collect())
}

/// Mean over `method`'s runs of each class's `score`; `None` when the method has no runs.
fn mean_scores(runs: &[RunResult], method: &str, n_classes: usize, score: ClassScore) -> Result<Option<Vec<f64>>> {
    let mut sum = vec![0.0; n_classes];
    let mut count = 0usize;
    for r in runs.iter().filter(|r| r.method == method) {
        for (s, v) in sum.iter_mut().zip(run_scores(r, n_classes, score)?) {
            *s += v;
        }
        count += 1;
    }
    Ok((count > 0).then(|| sum.into_iter().map(|s| s / count as f64).collect()))
}

/// `f1_per_class.png`: per class, one bar per method with its F1 averaged over runs; per
/// label when the runs are multi-label (`class_names` then names the labels), titled so.
///
/// Errors (rather than panics) when a run's labels are not below `class_names.len()`, or a
/// multi-label run has other than `class_names.len()` labels or bad data.
pub fn f1_bars(runs: &[RunResult], methods: &[String], class_names: &[String]) -> Result<Plot> {
    score_bars(runs, methods, class_names, ClassScore::F1)
}

/// [`f1_bars`] for any of the three scores: `precision_per_class.png`,
/// `recall_per_class.png` or `f1_per_class.png`.
pub fn score_bars(runs: &[RunResult], methods: &[String], class_names: &[String], score: ClassScore) -> Result<Plot> {
    let file_name = score.file_name();
    let name = score.name();
    let unit = if any_multilabel(runs) { "label" } else { "class" };
    let n_classes = class_names.len();
    let mut per_method = Vec::new();
    for (i, m) in methods.iter().enumerate() {
        if let Some(v) = mean_scores(runs, m, n_classes, score)? {
            per_method.push((m.clone(), color(i), v));
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
            .caption(
                format!("Per-{unit} {name} on the test set (mean over runs)"),
                (FONT, 22),
            )
            .margin(14)
            .x_label_area_size(label_height)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..n_classes.max(1) as f64, 0f64..1.08)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_desc(name)
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 16))
            .draw()?;
        let slot = 0.8 / groups as f64;
        for (k, (method, c, values)) in per_method.iter().enumerate() {
            let c = *c;
            chart
                .draw_series(values.iter().enumerate().map(|(class, &v)| {
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
    let caption = if unit == "label" {
        format!(
            "{name} of each label on the test set, the label read as a binary problem (predicted \
             where its score is at least the threshold), averaged over each method's runs; an \
             undefined {name} counts as 0, as in scikit-learn."
        )
    } else {
        format!(
            "{name} of each class on the test set, averaged over each method's runs; an undefined \
             {name} ({}) counts as 0, as in scikit-learn.",
            score.undefined_when()
        )
    };
    Ok(Plot {
        file_name: file_name.to_string(),
        title: format!("Per-{unit} {name}"),
        caption: upper_first(&caption),
        png,
    })
}

/// `s` with its first letter in upper case ("precision of …" → "Precision of …").
fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

//! `report.html`: one self-contained page (the PNGs are embedded as base64 data URIs) that
//! can be mailed or archived without its folder.

use base64::Engine;

use super::metrics::{RunsAggregate, Summary};
use super::plots::Plot;
use super::significance::{self, Comparison};

/// The classification reports of one method: over all runs' test predictions pooled, and
/// each run's own.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodReport {
    pub method: String,
    /// Report of the pooled predictions of all runs.
    pub pooled: String,
    /// `(run, report)` for each run.
    pub per_run: Vec<(usize, String)>,
    /// The same two of the training set's predictions after training (single-label runs that
    /// recorded them; empty otherwise).
    pub train_pooled: Option<String>,
    pub train_per_run: Vec<(usize, String)>,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.4}")
    } else {
        "n/a".to_string()
    }
}

fn seconds(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2} s")
    } else {
        "n/a".to_string()
    }
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;max-width:1400px;color:#222}\
table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #bbb;padding:4px 10px;\
text-align:left}th{background:#eef}figure{margin:2em 0}img{max-width:100%;\
border:1px solid #ddd}figcaption{font-size:0.9em;color:#555;max-width:1000px}\
pre{background:#f7f7f7;padding:1em;overflow-x:auto}";

/// A multi-label metric's cell: mean ± std over runs and, below, each run's value; "n/a"
/// where the method has no such metric.
fn aggregate_cell(a: Option<&RunsAggregate>) -> String {
    match a {
        Some(a) => {
            let per_run: Vec<String> = a.per_run.iter().map(|&v| num(v)).collect();
            format!(
                "{} ± {}<br><small>{}</small>",
                num(a.mean),
                num(a.std),
                per_run.join(", ")
            )
        }
        None => "n/a".to_string(),
    }
}

/// The distinct thresholds of the multi-label methods' runs, in order of appearance.
fn thresholds(summary: &Summary) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in summary
        .methods
        .iter()
        .filter_map(|m| m.multilabel.as_ref())
        .flat_map(|ml| &ml.thresholds)
    {
        let t = format!("{t}");
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// What the multi-label columns mean, and which threshold made the predictions.
fn multilabel_note(summary: &Summary) -> String {
    let thresholds = thresholds(summary);
    let threshold = match thresholds.as_slice() {
        [one] => format!("threshold {one}"),
        several => format!("each run's threshold ({})", several.join(", ")),
    };
    format!(
        "<p>For multi-label methods the accuracy is the element-wise accuracy: the share of \
         label decisions that are right, (score ≥ threshold) == y over all samples × labels, \
         with {threshold}. Subset accuracy counts a sample as right only when its whole \
         predicted label set equals the true one; Hamming loss is the share of label decisions \
         that are wrong; mAP is the mean over labels of each label's average precision of the \
         scores (scikit-learn's macro average_precision_score; a label with no positive sample \
         counts 0). Small numbers below are each run's value.</p>\n",
        threshold = escape(&threshold)
    )
}

fn summary_table(summary: &Summary) -> String {
    let multilabel = summary.methods.iter().any(|m| m.multilabel.is_some());
    let accuracy = if multilabel {
        "element-wise accuracy"
    } else {
        "test accuracy"
    };
    let mut h = format!(
        "<table>\n<tr><th>method</th><th>network</th><th>runs</th>\
         <th>{accuracy} (mean ± std)</th><th>per run</th>"
    );
    if multilabel {
        h += "<th>subset accuracy (mean ± std)</th><th>Hamming loss (mean ± std)</th>\
              <th>mAP (mean ± std)</th>";
    }
    h += "<th>test loss (mean)</th><th>seconds / epoch</th><th>seconds / run</th></tr>\n";
    for m in &summary.methods {
        let per_run: Vec<String> = m.test_accuracies.iter().map(|&v| num(v)).collect();
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ± {}</td><td>{}</td>",
            escape(&m.method),
            escape(&m.network),
            m.runs,
            num(m.test_accuracy_mean),
            num(m.test_accuracy_std),
            per_run.join(", "),
        );
        if multilabel {
            let ml = m.multilabel.as_ref();
            for a in [
                ml.and_then(|ml| ml.subset_accuracy.as_ref()),
                ml.and_then(|ml| ml.hamming_loss.as_ref()),
                ml.and_then(|ml| ml.mean_average_precision.as_ref()),
            ] {
                h += &format!("<td>{}</td>", aggregate_cell(a));
            }
        }
        h += &format!(
            "<td>{}</td><td>{}</td><td>{}</td></tr>\n",
            num(m.test_loss_mean),
            seconds(m.seconds_per_epoch),
            seconds(m.seconds_per_run),
        );
    }
    h += "</table>\n<p>std is the sample standard deviation over runs (ddof = 1), 0 for a \
          single run.</p>\n";
    if multilabel {
        h += &multilabel_note(summary);
    }
    h
}

/// Whether the differences between methods are real: the table of pairs and a sentence each.
fn comparison_section(c: &Comparison) -> String {
    let mut h = String::from("<h2>Are the differences real?</h2>\n");
    h += &format!(
        "<p>Each pair's difference in {} (a − b), with the {} % confidence interval and the \
         p-values of Welch's t-test and, where runs share their seeds (same initial weights, \
         same batch order), the paired t-test, which the verdict then uses. A p-value above {} \
         means the difference is within what another set of runs could give by chance.</p>\n",
        escape(&c.metric),
        (c.confidence * 100.0).round(),
        // 1 − 0.95 is 0.050000000000000044 in binary; the level is meant to 4 decimals.
        (c.alpha * 1e4).round() / 1e4
    );
    h += &format!("<pre>{}</pre>\n<ul>\n", escape(&significance::table(c)));
    for sentence in significance::describe(c) {
        h += &format!("<li>{}</li>\n", escape(&sentence));
    }
    h + "</ul>\n"
}

/// What the report left out and why; nothing when it left nothing out.
fn left_out(notes: &[String]) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut h = String::from("<h2>Left out</h2>\n<p>The data could not give these parts of the report:</p>\n<ul>\n");
    for n in notes {
        h += &format!("<li>{}</li>\n", escape(n));
    }
    h + "</ul>\n"
}

fn figure(plot: &Plot) -> String {
    let data = base64::engine::general_purpose::STANDARD.encode(&plot.png);
    format!(
        "<figure id=\"{file}\">\n<h3>{title}</h3>\n<img src=\"data:image/png;base64,{data}\" \
         alt=\"{title}\" data-file=\"plots/{file}\">\n<figcaption>{caption} \
         (<a href=\"plots/{file}\">plots/{file}</a>)</figcaption>\n</figure>\n",
        file = escape(&plot.file_name),
        title = escape(&plot.title),
        caption = escape(&plot.caption),
    )
}

/// The whole page: summary table, what was left out (`notes`, one line each, when there are
/// any), every plot, each method's classification reports, and the resolved configuration
/// when there is one.
pub fn render_html(
    summary: &Summary,
    plots: &[Plot],
    reports: &[MethodReport],
    notes: &[String],
    config: Option<&str>,
) -> String {
    let title = format!("learnloss report: {}", summary.dataset);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n\
         <h2>Summary</h2>\n",
        t = escape(&title)
    );
    h += &summary_table(summary);
    if let Some(validation) = &summary.validation {
        h += &format!("<p>Validation: {}.</p>\n", escape(validation));
    }
    h += &left_out(notes);
    if let Some(c) = &summary.comparison {
        h += &comparison_section(c);
    }
    h += "<h2>Plots</h2>\n";
    for plot in plots {
        h += &figure(plot);
    }
    h += "<h2>Classification reports</h2>\n";
    for r in reports {
        h += &format!(
            "<h3>{m}</h3>\n<p>Test predictions of all runs pooled:</p>\n<pre>{p}</pre>\n",
            m = escape(&r.method),
            p = escape(&r.pooled)
        );
        for (run, text) in &r.per_run {
            h += &format!(
                "<details><summary>run {run}</summary>\n<pre>{}</pre>\n</details>\n",
                escape(text)
            );
        }
        if let Some(pooled) = &r.train_pooled {
            h += &format!(
                "<p>Training-set predictions (after training, eval mode) of all runs pooled:</p>\n<pre>{}</pre>\n",
                escape(pooled)
            );
            for (run, text) in &r.train_per_run {
                h += &format!(
                    "<details><summary>run {run}, training set</summary>\n<pre>{}</pre>\n</details>\n",
                    escape(text)
                );
            }
        }
    }
    if let Some(config) = config {
        h += &format!("<h2>Configuration</h2>\n<pre>{}</pre>\n", escape(config));
    }
    h + "</body>\n</html>\n"
}

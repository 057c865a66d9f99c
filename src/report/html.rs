//! `report.html`: one self-contained page (the PNGs are embedded as base64 data URIs) that
//! can be mailed or archived without its folder.

use base64::Engine;

use super::metrics::Summary;
use super::plots::Plot;

/// The classification reports of one method: over all runs' test predictions pooled, and
/// each run's own.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodReport {
    pub method: String,
    /// Report of the pooled predictions of all runs.
    pub pooled: String,
    /// `(run, report)` for each run.
    pub per_run: Vec<(usize, String)>,
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

fn summary_table(summary: &Summary) -> String {
    let mut h = String::from(
        "<table>\n<tr><th>method</th><th>network</th><th>runs</th>\
         <th>test accuracy (mean ± std)</th><th>per run</th><th>test loss (mean)</th>\
         <th>seconds / epoch</th><th>seconds / run</th></tr>\n",
    );
    for m in &summary.methods {
        let per_run: Vec<String> = m.test_accuracies.iter().map(|&v| num(v)).collect();
        h += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} ± {}</td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td></tr>\n",
            escape(&m.method),
            escape(&m.network),
            m.runs,
            num(m.test_accuracy_mean),
            num(m.test_accuracy_std),
            per_run.join(", "),
            num(m.test_loss_mean),
            seconds(m.seconds_per_epoch),
            seconds(m.seconds_per_run),
        );
    }
    h + "</table>\n<p>std is the sample standard deviation over runs (ddof = 1), 0 for a \
         single run.</p>\n"
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

/// The whole page: summary table, every plot, each method's classification reports, and
/// the resolved configuration when there is one.
pub fn render_html(summary: &Summary, plots: &[Plot], reports: &[MethodReport], config: Option<&str>) -> String {
    let title = format!("learnloss report: {}", summary.dataset);
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>{t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{t}</h1>\n\
         <h2>Summary</h2>\n",
        t = escape(&title)
    );
    h += &summary_table(summary);
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
    }
    if let Some(config) = config {
        h += &format!("<h2>Configuration</h2>\n<pre>{}</pre>\n", escape(config));
    }
    h + "</body>\n</html>\n"
}

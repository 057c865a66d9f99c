//! The metrics files of a run folder and their readers:
//!
//! * `metrics.csv` — a header and one row per [`EpochRecord`], empty cells for `None`;
//! * `metrics.jsonl` — the same records, one JSON object per line;
//! * `results.jsonl` — one [`RunResult`] per line;
//! * `summary.json` — the [`Summary`].
//!
//! Every write replaces the whole file atomically (see [`write_atomic`]), appends included,
//! so a crash mid-training leaves complete lines only. Readers report the file and the line of
//! the first fault.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::atomic::write_atomic;
use super::metrics::{EpochRecord, RunResult, Summary};
use crate::{Error, Result};

/// Epoch records as CSV.
pub const METRICS_CSV: &str = "metrics.csv";
/// Epoch records as JSON lines.
pub const METRICS_JSONL: &str = "metrics.jsonl";
/// Run results as JSON lines.
pub const RESULTS_JSONL: &str = "results.jsonl";
/// Per-method summary.
pub const SUMMARY_JSON: &str = "summary.json";

const CSV_HEADER: [&str; 11] = [
    "method",
    "run",
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "nonneg",
    "convex",
    "lips",
    "seconds",
];

fn data_error(path: &Path, line: usize, msg: impl std::fmt::Display) -> Error {
    Error::Data(format!("{} line {line}: {msg}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Reads `path` if it exists (empty when it does not), for appends.
fn read_existing(path: &Path) -> Result<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::io(path, e)),
    }
}

fn json_line<T: Serialize>(path: &Path, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::io(path, std::io::Error::other(format!("cannot encode: {e}"))))
}

/// Writes `items` as JSON lines, replacing `path`.
pub fn write_jsonl<T: Serialize>(path: &Path, items: &[T]) -> Result<()> {
    let mut text = String::new();
    for item in items {
        text += &json_line(path, item)?;
        text.push('\n');
    }
    write_atomic(path, text.as_bytes())
}

/// Appends one JSON line to `path` (created if missing), rewriting the file atomically.
pub fn append_jsonl<T: Serialize>(path: &Path, item: &T) -> Result<()> {
    let mut text = read_existing(path)?;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text += &json_line(path, item)?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Reads JSON lines; blank lines are skipped, anything else that does not parse is an error
/// naming the file and the 1-based line.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text = read_text(path)?;
    let mut items = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        items.push(serde_json::from_str(line).map_err(|e| data_error(path, i + 1, e))?);
    }
    Ok(items)
}

/// Quotes a CSV cell when it holds a comma, quote or line break (RFC 4180).
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Rust's shortest round-trip float text ("NaN", "inf" and "-inf" for the rest), which
/// `str::parse::<f64>` reads back exactly.
fn float_cell(v: f64) -> String {
    format!("{v}")
}

fn csv_row(r: &EpochRecord) -> String {
    let opt = |v: Option<f64>| v.map(float_cell).unwrap_or_default();
    [
        csv_cell(&r.method),
        r.run.to_string(),
        r.epoch.to_string(),
        float_cell(r.train_loss),
        float_cell(r.train_accuracy),
        float_cell(r.val_loss),
        float_cell(r.val_accuracy),
        opt(r.nonneg),
        opt(r.convex),
        opt(r.lips),
        float_cell(r.seconds),
    ]
    .join(",")
        + "\n"
}

/// Writes epoch records as CSV, replacing `path`.
pub fn write_epochs_csv(path: &Path, records: &[EpochRecord]) -> Result<()> {
    let mut text = CSV_HEADER.join(",") + "\n";
    for r in records {
        text += &csv_row(r);
    }
    write_atomic(path, text.as_bytes())
}

/// Splits CSV text into records of cells, each with the 1-based line it starts on; quoted
/// cells may hold commas, doubled quotes and line breaks.
fn parse_csv(path: &Path, text: &str) -> Result<Vec<(usize, Vec<String>)>> {
    let mut rows = Vec::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut cells: Vec<String> = Vec::new();
    let mut cell = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                '"' => quoted = false,
                _ => {
                    if c == '\n' {
                        line += 1;
                    }
                    cell.push(c);
                }
            }
            continue;
        }
        match c {
            '"' if cell.is_empty() => quoted = true,
            ',' => cells.push(std::mem::take(&mut cell)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                cells.push(std::mem::take(&mut cell));
                rows.push((start_line, std::mem::take(&mut cells)));
                line += 1;
                start_line = line;
            }
            _ => cell.push(c),
        }
    }
    if quoted {
        return Err(data_error(path, start_line, "unterminated quoted cell"));
    }
    if !cell.is_empty() || !cells.is_empty() {
        cells.push(cell);
        rows.push((start_line, cells));
    }
    Ok(rows)
}

fn parse_cell<T: std::str::FromStr>(path: &Path, line: usize, column: &str, s: &str) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    s.parse()
        .map_err(|e| data_error(path, line, format!("column {column}: {s:?}: {e}")))
}

fn parse_opt(path: &Path, line: usize, column: &str, s: &str) -> Result<Option<f64>> {
    if s.is_empty() {
        Ok(None)
    } else {
        parse_cell(path, line, column, s).map(Some)
    }
}

/// Reads `metrics.csv` back into epoch records; the header must match, and each row must
/// have every column.
pub fn read_epochs_csv(path: &Path) -> Result<Vec<EpochRecord>> {
    let text = read_text(path)?;
    let mut rows = parse_csv(path, &text)?.into_iter();
    match rows.next() {
        Some((_, header)) if header == CSV_HEADER => {}
        Some((line, header)) => {
            return Err(data_error(
                path,
                line,
                format!("header {header:?}, expected {CSV_HEADER:?}"),
            ))
        }
        None => return Err(data_error(path, 1, "empty file, expected a header")),
    }
    let mut records = Vec::new();
    for (line, cells) in rows {
        if cells.len() == 1 && cells[0].trim().is_empty() {
            continue;
        }
        if cells.len() != CSV_HEADER.len() {
            return Err(data_error(
                path,
                line,
                format!("{} cells, expected {}", cells.len(), CSV_HEADER.len()),
            ));
        }
        let f = |i: usize| parse_cell::<f64>(path, line, CSV_HEADER[i], &cells[i]);
        let o = |i: usize| parse_opt(path, line, CSV_HEADER[i], &cells[i]);
        records.push(EpochRecord {
            method: cells[0].clone(),
            run: parse_cell(path, line, "run", &cells[1])?,
            epoch: parse_cell(path, line, "epoch", &cells[2])?,
            train_loss: f(3)?,
            train_accuracy: f(4)?,
            val_loss: f(5)?,
            val_accuracy: f(6)?,
            nonneg: o(7)?,
            convex: o(8)?,
            lips: o(9)?,
            seconds: f(10)?,
        });
    }
    Ok(records)
}

/// Writes `summary.json` (pretty-printed, for people as well as `learnloss report`).
pub fn write_summary(path: &Path, summary: &Summary) -> Result<()> {
    let mut text = serde_json::to_string_pretty(summary)
        .map_err(|e| Error::io(path, std::io::Error::other(format!("cannot encode: {e}"))))?;
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Reads `summary.json`; a parse error names the file and line.
pub fn read_summary(path: &Path) -> Result<Summary> {
    let text = read_text(path)?;
    serde_json::from_str(&text).map_err(|e| data_error(path, e.line(), e))
}

/// Writes `metrics.jsonl` and `metrics.csv` in `dir` from all the records.
pub fn write_epochs(dir: &Path, records: &[EpochRecord]) -> Result<()> {
    write_jsonl(&dir.join(METRICS_JSONL), records)?;
    write_epochs_csv(&dir.join(METRICS_CSV), records)
}

/// Appends one epoch record to `metrics.jsonl` and `metrics.csv` in `dir` (each created, the
/// CSV with its header, when missing) — what the trainer calls after every epoch.
pub fn append_epoch(dir: &Path, record: &EpochRecord) -> Result<()> {
    append_jsonl(&dir.join(METRICS_JSONL), record)?;
    let path = dir.join(METRICS_CSV);
    let mut text = read_existing(&path)?;
    if text.is_empty() {
        text = CSV_HEADER.join(",") + "\n";
    } else if !text.ends_with('\n') {
        text.push('\n');
    }
    text += &csv_row(record);
    write_atomic(&path, text.as_bytes())
}

/// Appends one run result to `results.jsonl` in `dir` — what the trainer calls after a run.
pub fn append_result(dir: &Path, result: &RunResult) -> Result<()> {
    append_jsonl(&dir.join(RESULTS_JSONL), result)
}

/// Reads the epoch records of `metrics.jsonl`.
pub fn read_epochs(dir: &Path) -> Result<Vec<EpochRecord>> {
    read_jsonl(&dir.join(METRICS_JSONL))
}

/// Reads the run results of `results.jsonl`.
pub fn read_results(dir: &Path) -> Result<Vec<RunResult>> {
    read_jsonl(&dir.join(RESULTS_JSONL))
}

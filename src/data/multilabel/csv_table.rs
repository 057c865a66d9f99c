//! Reading the CSV list of a multi-label image folder: which image files it names and which
//! labels each carries. Images are not opened here; every fault of the text is found before any
//! image is decoded.
//!
//! Two layouts, told apart by the header row:
//!
//! - label lists: `image,labels`, then rows `path/to/img.jpg,cat dog` where the labels are
//!   separated by spaces or `;` (`cat;dog`), and an empty field is an image with no label;
//! - multi-hot: `image,<label 1>,<label 2>,...`, then rows `img.png,0,1,1,...`.
//!
//! A header of exactly `image,labels` always announces label lists (a multi-hot list of one
//! label cannot call it `labels`).
//!
//! Header names are matched ignoring ASCII case; cells are trimmed of surrounding whitespace;
//! fields may be quoted (`"a, b.png"`), as any CSV writer quotes them; blank lines and a UTF-8
//! byte-order mark are skipped.

use crate::data::files;
use crate::{Error, Result};
use csv::{Position, StringRecord};
use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};

/// One image of the list.
pub(super) struct CsvRow {
    /// `file:line` of the row, for errors.
    pub origin: String,
    /// The image file: the row's path under the image folder.
    pub image: PathBuf,
    /// The names of the image's labels.
    pub labels: BTreeSet<String>,
}

/// The rows of one CSV file and the labels it defines.
pub(super) struct CsvTable {
    pub rows: Vec<CsvRow>,
    /// Every label the file defines: the header's columns in the multi-hot layout, every name
    /// a row uses in the label-list layout. Sorted by byte order.
    pub label_names: BTreeSet<String>,
}

/// Which of the two layouts a header announces.
enum Layout {
    LabelLists,
    /// The label of each column after the image's.
    MultiHot(Vec<String>),
}

fn line_of(position: Option<&Position>) -> u64 {
    position.map_or(0, Position::line)
}

fn data_error(origin: &str, fault: impl std::fmt::Display) -> Error {
    Error::Data(format!("{origin}: {fault}"))
}

/// `bytes` without the UTF-8 byte-order mark that spreadsheets write before a CSV export (the
/// `csv` crate keeps it, and the header's first cell would not read `image`).
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// The layout of a header row, or an error saying which headers are understood.
fn layout_of(header: &StringRecord, origin: &str) -> Result<Layout> {
    let cells: Vec<&str> = header.iter().collect();
    let unknown = || {
        data_error(
            origin,
            format!(
                "unknown layout: the header row must be `image,labels` or `image,<label 1>,<label 2>,...`, found `{}`",
                cells.join(",")
            ),
        )
    };
    if cells.len() < 2 || !cells[0].eq_ignore_ascii_case("image") {
        return Err(unknown());
    }
    if cells.len() == 2 && cells[1].eq_ignore_ascii_case("labels") {
        return Ok(Layout::LabelLists);
    }
    let mut seen = BTreeSet::new();
    for (column, name) in cells.iter().enumerate().skip(1) {
        if name.is_empty() {
            return Err(data_error(
                origin,
                format!("column {} of the header has no label name", column + 1),
            ));
        }
        if !seen.insert(*name) {
            return Err(data_error(
                origin,
                format!("label {name:?} names two columns of the header"),
            ));
        }
    }
    Ok(Layout::MultiHot(cells[1..].iter().map(|s| s.to_string()).collect()))
}

/// The labels of a label-list cell: names separated by whitespace or `;`.
fn listed_labels(cell: &str) -> BTreeSet<String> {
    cell.split(|c: char| c == ';' || c.is_whitespace())
        .filter(|name| !name.is_empty())
        .map(str::to_string)
        .collect()
}

/// The labels marked 1 in the cells of a multi-hot row.
fn marked_labels(cells: &[&str], names: &[String], origin: &str) -> Result<BTreeSet<String>> {
    let mut labels = BTreeSet::new();
    for (cell, name) in cells.iter().zip(names) {
        match *cell {
            "1" => {
                labels.insert(name.clone());
            }
            "0" => {}
            other => {
                return Err(data_error(
                    origin,
                    format!("cell {other:?} for label {name:?} is neither 0 nor 1"),
                ))
            }
        }
    }
    Ok(labels)
}

/// `path` without `.` components, so `./a.png` and `a.png` are known to be one image.
fn normalised(path: &Path) -> PathBuf {
    path.components().filter(|c| *c != Component::CurDir).collect()
}

/// The image path of a row, checked: not empty, and relative, so the folder and its list can be
/// moved or shared together (`..` is allowed: images may sit beside the list's folder).
fn image_path(cell: &str, origin: &str) -> Result<PathBuf> {
    if cell.is_empty() {
        return Err(data_error(origin, "the image path is empty"));
    }
    let path = Path::new(cell);
    if path.is_absolute() || path.has_root() {
        return Err(data_error(
            origin,
            format!(
                "image path {cell:?} is absolute; give it relative to the image folder, so the folder can be moved"
            ),
        ));
    }
    Ok(path.to_path_buf())
}

/// The rows of `csv_path`, with image paths taken relative to `image_dir`.
///
/// Returns [`Error::Data`] naming the file and line of the first fault: an empty file, an
/// unknown header, a row with the wrong number of cells, a multi-hot cell other than 0 or 1, an
/// empty or absolute image path, an image listed twice (one row per image holds all its labels:
/// two rows would make two samples each missing the other's labels), or text that is not
/// UTF-8; [`Error::Io`] if the file cannot be read.
pub(super) fn read_table(csv_path: &Path, image_dir: &Path) -> Result<CsvTable> {
    let file = csv_path.display().to_string();
    let bytes = files::read(csv_path)?;
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(without_bom(&bytes));
    let mut records = reader
        .into_records()
        .filter(|r| !matches!(r, Ok(record) if record.len() == 1 && record[0].is_empty()));
    let mut next = || {
        records.next().map(|r| {
            r.map_err(|e| {
                data_error(
                    &format!("{file}:{}", line_of(e.position())),
                    format!("not readable as CSV: {e}"),
                )
            })
        })
    };
    let header = next().ok_or_else(|| data_error(&file, "empty: no header row"))??;
    let layout = layout_of(&header, &format!("{file}:{}", line_of(header.position())))?;
    let mut table = CsvTable {
        rows: Vec::new(),
        label_names: match &layout {
            Layout::LabelLists => BTreeSet::new(),
            Layout::MultiHot(names) => names.iter().cloned().collect(),
        },
    };
    let mut first_listed: HashMap<PathBuf, u64> = HashMap::new();
    while let Some(record) = next() {
        let record = record?;
        let line = line_of(record.position());
        let origin = format!("{file}:{line}");
        let cells: Vec<&str> = record.iter().collect();
        let expected = match &layout {
            Layout::LabelLists => 2,
            Layout::MultiHot(names) => 1 + names.len(),
        };
        if cells.len() != expected {
            return Err(data_error(
                &origin,
                format!("{} cells, but the header has {expected} columns", cells.len()),
            ));
        }
        let relative = image_path(cells[0], &origin)?;
        if let Some(first) = first_listed.insert(normalised(&relative), line) {
            return Err(data_error(
                &origin,
                format!(
                    "image {:?} is listed again (first on line {first}); give each image one row with all its labels",
                    cells[0]
                ),
            ));
        }
        let labels = match &layout {
            Layout::LabelLists => listed_labels(cells[1]),
            Layout::MultiHot(names) => marked_labels(&cells[1..], names, &origin)?,
        };
        table.label_names.extend(labels.iter().cloned());
        table.rows.push(CsvRow {
            origin,
            image: image_dir.join(relative),
            labels,
        });
    }
    if table.rows.is_empty() {
        return Err(data_error(&file, "lists no images (only the header row)"));
    }
    Ok(table)
}

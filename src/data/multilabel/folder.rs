//! Multi-label datasets from a folder of JPEG or PNG images and a CSV list of their labels (see
//! `csv_table` for the two layouts the list may take).

use super::csv_table::{read_table, CsvTable};
use super::MultiLabelDataset;
use crate::data::image_file::{decode_square, grey_to_rgb, ColourMode, SquareImage};
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;

/// The images of `table` decoded and resized to `side × side`, in row order.
///
/// Decoded in parallel, but every result is kept until all are done, so the error returned is
/// the first faulty row's whatever order the threads finish in.
fn decode_rows(table: &CsvTable, side: u32) -> Result<Vec<SquareImage>> {
    let decoded: Vec<Result<SquareImage>> = table
        .rows
        .par_iter()
        .map(|row| {
            let bytes = std::fs::read(&row.image).map_err(|e| {
                Error::Data(format!(
                    "{}: cannot read image {}: {e}",
                    row.origin,
                    row.image.display()
                ))
            })?;
            decode_square(&bytes, side, ColourMode::AsStored).map_err(|e| {
                Error::Data(format!(
                    "{}: cannot decode image {}: {e}",
                    row.origin,
                    row.image.display()
                ))
            })
        })
        .collect();
    decoded.into_iter().collect()
}

/// A decoded list: its rows and their images.
struct Decoded {
    table: CsvTable,
    images: Vec<SquareImage>,
}

fn decode_list(csv_path: &Path, image_dir: &Path, side: u32) -> Result<Decoded> {
    let table = read_table(csv_path, image_dir)?;
    let images = decode_rows(&table, side)?;
    Ok(Decoded { table, images })
}

/// The dataset of a decoded list with `channels` channels (greyscale images repeated into RGB
/// when 3) and targets over `label_names`, which are sorted and include every label of the list.
fn assemble(list: Decoded, side: u32, channels: usize, label_names: &[String]) -> Result<MultiLabelDataset> {
    let side = side as usize;
    let mut pixels = Vec::with_capacity(list.images.len() * channels * side * side);
    let mut targets = vec![0u8; list.table.rows.len() * label_names.len()];
    let rows = list.table.rows.iter().zip(list.images);
    for ((row, image), targets) in rows.zip(targets.chunks_exact_mut(label_names.len())) {
        if image.channels == channels {
            pixels.extend_from_slice(&image.chw);
        } else {
            pixels.extend_from_slice(&grey_to_rgb(&image.chw));
        }
        for label in &row.labels {
            let at = label_names
                .binary_search(label)
                .expect("assemble: every label of a list is among the label names");
            targets[at] = 1;
        }
    }
    MultiLabelDataset::new(pixels, targets, [channels, side, side], label_names.to_vec())
}

/// 3 if any image of `lists` is in colour, else 1: one channel count for every split, so a
/// model built for the training images takes the test images too.
fn channels_of(lists: &[&Decoded]) -> usize {
    let colour = lists
        .iter()
        .flat_map(|list| &list.images)
        .any(|image| image.channels == 3);
    if colour {
        3
    } else {
        1
    }
}

/// The union of the lists' labels, sorted by byte order; an error naming `files` if it is empty.
fn union_of_labels(lists: &[&Decoded], files: &str) -> Result<Vec<String>> {
    let names: BTreeSet<&String> = lists.iter().flat_map(|list| &list.table.label_names).collect();
    if names.is_empty() {
        return Err(Error::Data(format!(
            "{files}: no image has a label, so there is nothing to learn"
        )));
    }
    Ok(names.into_iter().cloned().collect())
}

fn check_size(image_size: u32) -> Result<()> {
    if image_size == 0 {
        return Err(Error::Config(
            "multi-label images: the image size must be at least 1 pixel".into(),
        ));
    }
    Ok(())
}

/// The multi-label dataset listed by `csv_path`, its images read from `image_dir` (the CSV's
/// own folder when `None`) and resized to `image_size × image_size` with PIL's bilinear filter,
/// as the Oxford-IIIT Pet loader resizes.
///
/// The CSV is `image,labels` with rows `img.jpg,cat dog` (labels separated by spaces or `;`,
/// empty for an image with no label), or multi-hot, `image,<label 1>,<label 2>,...` with rows
/// `img.png,0,1,...`. Either way the label names, sorted by byte order, define `K` and the
/// order of the targets, so one set of labels gives one order whichever layout lists it.
///
/// Images are JPEG or PNG. They keep one channel if every image is greyscale; if any is in
/// colour all have three, greyscale ones repeated into R, G and B (an alpha channel is
/// dropped). Image paths are relative to `image_dir` (`..` allowed); an absolute path is an
/// error, so the folder and its list can be moved together. An image listed twice is an error.
///
/// Returns [`Error::Data`] naming the file and line of the first fault: faults of the CSV text
/// (header, cell counts, cells, paths) first, then images that are missing or do not decode, in
/// file order; [`Error::Config`] if `image_size` is 0.
pub fn load_multilabel_csv(csv_path: &Path, image_dir: Option<&Path>, image_size: u32) -> Result<MultiLabelDataset> {
    check_size(image_size)?;
    let image_dir = image_dir.unwrap_or_else(|| csv_path.parent().unwrap_or(Path::new("")));
    let list = decode_list(csv_path, image_dir, image_size)?;
    let labels = union_of_labels(&[&list], &csv_path.display().to_string())?;
    let channels = channels_of(&[&list]);
    assemble(list, image_size, channels, &labels)
}

/// `(train, test)` from `dir/train.csv` and `dir/test.csv`, each read as
/// [`load_multilabel_csv`] reads it with image paths relative to `dir`.
///
/// Both splits share one label set, the sorted union of both lists' labels (a label only the
/// test list names is kept: it has no training examples, and a report shows that), and one
/// channel count (3 if any image of either split is in colour), so one model takes both.
pub fn load_multilabel_folder(dir: &Path, image_size: u32) -> Result<(MultiLabelDataset, MultiLabelDataset)> {
    check_size(image_size)?;
    let (train_csv, test_csv) = (dir.join("train.csv"), dir.join("test.csv"));
    let train = decode_list(&train_csv, dir, image_size)?;
    let test = decode_list(&test_csv, dir, image_size)?;
    let files = format!("{} and {}", train_csv.display(), test_csv.display());
    let labels = union_of_labels(&[&train, &test], &files)?;
    let channels = channels_of(&[&train, &test]);
    Ok((
        assemble(train, image_size, channels, &labels)?,
        assemble(test, image_size, channels, &labels)?,
    ))
}

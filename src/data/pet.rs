//! The Oxford-IIIT Pet dataset (37 cat and dog breeds), as torchvision's `OxfordIIITPet` reads
//! it: `images/<name>.jpg` and the split lists `annotations/trainval.txt` and
//! `annotations/test.txt`, whose lines are `<name> <class id> <species> <breed id>` with class
//! ids counted from 1.
//!
//! Images are decoded, converted to RGB and resized to 128×128 with a bilinear filter that
//! widens its support when shrinking, as PIL's (and so torchvision's `Resize((128, 128))`) does
//! (see `image_file`).

use super::files::{self, candidates, locate};
use super::image_file::{decode_square, ColourMode};
use super::Dataset;
use crate::{Error, Result};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The side of the square images the loader produces.
pub const PET_IMAGE_SIZE: u32 = 128;

/// One annotation line: the image's name (file stem) and its 0-based class.
struct Entry {
    name: String,
    class: usize,
    /// Where the entry came from, for errors: `file:line`.
    origin: String,
}

fn parse_annotations(path: &Path) -> Result<Vec<Entry>> {
    let bytes = files::read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Data(format!("{}: not UTF-8 text", path.display())))?;
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let origin = format!("{}:{}", path.display(), i + 1);
        let mut fields = line.split_whitespace();
        let (Some(name), Some(class)) = (fields.next(), fields.next()) else {
            return Err(Error::Data(format!(
                "{origin}: expected \"<image name> <class id> ...\", found {line:?}"
            )));
        };
        let class = match class.parse::<usize>() {
            Ok(c) if c >= 1 => c - 1,
            _ => {
                return Err(Error::Data(format!(
                    "{origin}: class id {class:?} is not a whole number from 1"
                )))
            }
        };
        if name.contains(['/', '\\']) || name.starts_with('.') {
            return Err(Error::Data(format!(
                "{origin}: image name {name:?} is not a plain file name"
            )));
        }
        entries.push(Entry {
            name: name.to_string(),
            class,
            origin,
        });
    }
    Ok(entries)
}

/// Python's `str.title()` on an ASCII word: upper case after a non-letter, lower case after a
/// letter.
fn title(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut after_letter = false;
    for c in word.chars() {
        if after_letter {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        after_letter = c.is_alphabetic();
    }
    out
}

/// The breed name torchvision derives from an image name: the part before the last `_`, its
/// `_`-separated words title-cased and joined by spaces (`american_bulldog_12` → "American
/// Bulldog").
fn breed_name(image_name: &str) -> String {
    let stem = image_name.rsplit_once('_').map_or(image_name, |(stem, _)| stem);
    stem.split('_').map(title).collect::<Vec<_>>().join(" ")
}

/// Class names in id order from every entry of both splits; every id from 1 to the largest must
/// occur, always with the same breed.
fn class_names(entries: &[&Entry]) -> Result<Vec<String>> {
    let mut by_class: BTreeMap<usize, (String, &str)> = BTreeMap::new();
    for entry in entries {
        let breed = breed_name(&entry.name);
        match by_class.get(&entry.class) {
            Some((known, origin)) if *known != breed => {
                return Err(Error::Data(format!(
                    "{}: image {} of class id {} is a {breed:?}, but {origin} gives that id to {known:?}",
                    entry.origin,
                    entry.name,
                    entry.class + 1
                )));
            }
            Some(_) => {}
            None => {
                by_class.insert(entry.class, (breed, &entry.origin));
            }
        }
    }
    let mut names = Vec::with_capacity(by_class.len());
    for (expected, (class, (name, _))) in by_class.into_iter().enumerate() {
        if class != expected {
            return Err(Error::Data(format!(
                "oxford-pet annotations: class id {} never occurs, but id {} does",
                expected + 1,
                class + 1
            )));
        }
        names.push(name);
    }
    Ok(names)
}

/// `path` decoded (JPEG or PNG, whatever the extension says: a few of the dataset's `.jpg`
/// files are PNGs), as RGB, resized to 128×128, channels first.
fn decode(path: &Path) -> Result<Vec<u8>> {
    let bytes = files::read(path)?;
    let square = decode_square(&bytes, PET_IMAGE_SIZE, ColourMode::Rgb)
        .map_err(|e| Error::Data(format!("{}: cannot decode image: {e}", path.display())))?;
    Ok(square.chw)
}

/// The images of `entries`, decoded in parallel straight into the dataset's buffer (the full
/// training split is 700 MiB of pixels; a second copy is worth avoiding).
fn load_split(images_dir: &Path, entries: &[Entry], class_names: &[String]) -> Result<Dataset> {
    let side = PET_IMAGE_SIZE as usize;
    let per_image = 3 * side * side;
    let mut pixels = vec![0u8; entries.len() * per_image];
    pixels
        .par_chunks_mut(per_image)
        .zip(entries.par_iter())
        .try_for_each(|(dest, e)| {
            dest.copy_from_slice(&decode(&images_dir.join(format!("{}.jpg", e.name)))?);
            Ok::<(), Error>(())
        })?;
    let labels = entries.iter().map(|e| e.class).collect();
    Dataset::new(pixels, labels, [3, side, side], class_names.to_vec())
}

pub(crate) fn load_oxford_pet_from(roots: &[PathBuf]) -> Result<(Dataset, Dataset)> {
    let dir = locate(
        "oxford-pet",
        &candidates(roots, &["", "oxford-iiit-pet"]),
        "annotations/trainval.txt",
        |d| d.join("annotations").join("trainval.txt").is_file(),
        "Unpack images.tar.gz and annotations.tar.gz of the Oxford-IIIT Pet dataset into one folder \
         (it then holds images/ and annotations/) and pass it, or the one holding it, as the data folder.",
    )?;
    let annotations = dir.join("annotations");
    let train = parse_annotations(&annotations.join("trainval.txt"))?;
    let test = parse_annotations(&annotations.join("test.txt"))?;
    for (entries, file) in [(&train, "trainval.txt"), (&test, "test.txt")] {
        if entries.is_empty() {
            return Err(Error::Data(format!(
                "{}: lists no images",
                annotations.join(file).display()
            )));
        }
    }
    let class_names = class_names(&train.iter().chain(&test).collect::<Vec<_>>())?;
    let images = dir.join("images");
    Ok((
        load_split(&images, &train, &class_names)?,
        load_split(&images, &test, &class_names)?,
    ))
}

/// Oxford-IIIT Pet `(train, test)` (torchvision's `trainval` and `test` splits) from `dir`, the
/// folder holding `images/` and `annotations/` or the one holding it (torchvision's `root`,
/// with `oxford-iiit-pet/` inside). Images are `[3, 128, 128]`; class names are the breeds,
/// "Abyssinian", "American Bulldog", … in class-id order.
pub fn load_oxford_pet(dir: &Path) -> Result<(Dataset, Dataset)> {
    load_oxford_pet_from(&[dir.to_path_buf()])
}

#[cfg(test)]
mod tests {
    use super::breed_name;

    #[test]
    fn breed_names_follow_torchvision() {
        for (image, breed) in [
            ("Abyssinian_100", "Abyssinian"),
            ("american_bulldog_12", "American Bulldog"),
            ("Egyptian_Mau_5", "Egyptian Mau"),
            ("staffordshire_bull_terrier_101", "Staffordshire Bull Terrier"),
            ("yorkshire_terrier_9", "Yorkshire Terrier"),
            ("noindex", "Noindex"),
        ] {
            assert_eq!(breed_name(image), breed);
        }
    }
}

//! `learnloss::data`'s multi-label datasets: the dataset type (checks, batches, subsets, the
//! validation split), both CSV layouts of an image folder with every fault named by file and
//! line, and the built-in mosaic task built from the embedded Fashion-MNIST subset.

use image::{GrayImage, ImageFormat, Luma, Rgb, RgbImage};
use learnloss::data::{
    load_embedded, load_mosaic, load_multilabel_csv, load_multilabel_folder, mosaic_dataset,
    split_validation_multilabel, Dataset, MultiLabelDataset, MOSAIC_TEST_COUNT, MOSAIC_TRAIN_COUNT,
};
use learnloss::{DType, Device, Error};
use std::collections::BTreeSet;
use std::path::Path;

// ---------------------------------------------------------------- helpers

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A greyscale PNG whose pixel (x, y) is `level + x + w·y`: lossless, so the bytes come back
/// exactly when the image is not resized.
fn grey_png(path: &Path, w: u32, h: u32, level: u8) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    GrayImage::from_fn(w, h, |x, y| Luma([level.wrapping_add((x + w * y) as u8)]))
        .save_with_format(path, ImageFormat::Png)
        .unwrap();
}

fn grey_bytes(w: u32, h: u32, level: u8) -> Vec<u8> {
    (0..w * h).map(|i| level.wrapping_add(i as u8)).collect()
}

fn rgb_jpeg(path: &Path, w: u32, h: u32, colour: [u8; 3]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    RgbImage::from_pixel(w, h, Rgb(colour))
        .save_with_format(path, ImageFormat::Jpeg)
        .unwrap();
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The message of an error, checking it is a data error naming every fragment.
fn data_error_naming<T: std::fmt::Debug>(result: learnloss::Result<T>, fragments: &[&str]) -> String {
    match result {
        Ok(value) => panic!("expected an error naming {fragments:?}, got {value:?}"),
        Err(e) => {
            assert!(matches!(e, Error::Data(_)), "not a data error: {e}");
            let msg = e.to_string();
            for fragment in fragments {
                assert!(msg.contains(fragment), "error does not name {fragment:?}: {msg}");
            }
            msg
        }
    }
}

/// A folder with four 4×4 greyscale PNGs `a.png`, `sub/b.png`, `c.png`, `d, e.png` (levels 0,
/// 40, 80, 120).
fn grey_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, level) in [("a.png", 0), ("sub/b.png", 40), ("c.png", 80), ("d, e.png", 120)] {
        grey_png(&dir.path().join(name), 4, 4, level);
    }
    dir
}

// ---------------------------------------------------------------- the CSV layouts

#[test]
fn label_lists_split_on_spaces_and_semicolons_into_a_sorted_label_set() {
    let dir = grey_folder();
    let csv = dir.path().join("labels.csv");
    write(
        &csv,
        b"image,labels\na.png,dog cat\nsub/b.png,cat;Zebra\nc.png,\n\"d, e.png\",\"bird ; dog\"\n",
    );
    let ds = load_multilabel_csv(&csv, None, 4).unwrap();
    assert_eq!(ds.len(), 4);
    assert_eq!(ds.image_shape(), [1, 4, 4], "greyscale images keep one channel");
    // Byte order: upper case before lower case.
    assert_eq!(ds.label_names(), names(&["Zebra", "bird", "cat", "dog"]));
    assert_eq!(ds.num_labels(), 4);
    assert_eq!(ds.targets_of(0), &[0, 0, 1, 1]);
    assert_eq!(ds.targets_of(1), &[1, 0, 1, 0]);
    assert_eq!(
        ds.targets_of(2),
        &[0, 0, 0, 0],
        "an empty labels field is an image with no label"
    );
    assert_eq!(ds.targets_of(3), &[0, 1, 0, 1], "a quoted path with a comma");
    assert_eq!(ds.label_counts(), vec![1, 1, 2, 2]);
    for (i, level) in [0u8, 40, 80, 120].into_iter().enumerate() {
        assert_eq!(ds.image_bytes(i), grey_bytes(4, 4, level), "image {i}");
    }
}

#[test]
fn multi_hot_columns_are_sorted_by_name_like_label_lists() {
    let dir = grey_folder();
    let csv = dir.path().join("multi.csv");
    write(
        &csv,
        b"image, sun ,rain,cloud,snow\na.png,1,0,1,0\n  sub/b.png , 0 ,1,0,0\n\nc.png,0,0,0,0\n",
    );
    let ds = load_multilabel_csv(&csv, None, 4).unwrap();
    assert_eq!(ds.len(), 3, "the blank line is skipped");
    assert_eq!(
        ds.label_names(),
        names(&["cloud", "rain", "snow", "sun"]),
        "every header column is a label, even one no image has"
    );
    assert_eq!(ds.targets(), &[1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(ds.image_bytes(1), grey_bytes(4, 4, 40));
}

#[test]
fn header_names_ignore_case_and_a_byte_order_mark() {
    let dir = grey_folder();
    let csv = dir.path().join("excel.csv");
    write(&csv, b"\xEF\xBB\xBFImage,LABELS\r\na.png,x\r\nc.png,y\r\n");
    let ds = load_multilabel_csv(&csv, None, 4).unwrap();
    assert_eq!(ds.label_names(), names(&["x", "y"]));
    assert_eq!(ds.targets(), &[1, 0, 0, 1]);
}

#[test]
fn images_may_sit_in_another_folder_and_are_resized() {
    let root = tempfile::tempdir().unwrap();
    let images = root.path().join("images");
    grey_png(&images.join("wide.png"), 12, 9, 10);
    grey_png(&root.path().join("elsewhere/small.png"), 2, 2, 10);
    let csv = root.path().join("lists/list.csv");
    write(&csv, b"image,labels\nwide.png,a\n../elsewhere/small.png,b\n");
    let ds = load_multilabel_csv(&csv, Some(&images), 3).unwrap();
    assert_eq!(ds.image_shape(), [1, 3, 3]);
    assert_eq!(ds.image_bytes(0).len(), 9);
    // A bilinear shrink of a gradient keeps its order along each row.
    let bytes = ds.image_bytes(0);
    assert!(
        bytes.chunks(3).all(|row| row[0] < row[1] && row[1] < row[2]),
        "{bytes:?}"
    );
    // Without an image folder, paths are relative to the list's own folder.
    let err = load_multilabel_csv(&csv, None, 3).unwrap_err();
    assert!(err.to_string().contains("lists/wide.png"), "{err}");
}

#[test]
fn a_colour_image_makes_every_image_rgb() {
    let dir = tempfile::tempdir().unwrap();
    grey_png(&dir.path().join("grey.png"), 8, 6, 100);
    rgb_jpeg(&dir.path().join("red.jpg"), 10, 10, [200, 30, 60]);
    let csv = dir.path().join("mixed.csv");
    write(&csv, b"image,labels\ngrey.png,g\nred.jpg,r\n");
    let ds = load_multilabel_csv(&csv, None, 5).unwrap();
    assert_eq!(ds.image_shape(), [3, 5, 5]);
    let plane = 25;
    let colour = ds.image_bytes(1);
    for (c, level) in [200u8, 30, 60].into_iter().enumerate() {
        let channel = &colour[c * plane..(c + 1) * plane];
        assert!(
            channel.iter().all(|&v| v.abs_diff(level) <= 6),
            "channel {c}: {channel:?}"
        );
    }
    // The greyscale image is its one-channel self, repeated into R, G and B.
    let grey_csv = dir.path().join("grey.csv");
    write(&grey_csv, b"image,labels\ngrey.png,g\n");
    let grey_only = load_multilabel_csv(&grey_csv, None, 5).unwrap();
    assert_eq!(grey_only.image_shape(), [1, 5, 5]);
    assert_eq!(ds.image_bytes(0), grey_only.image_bytes(0).repeat(3));
}

#[test]
fn a_folder_shares_labels_and_channels_between_its_splits() {
    let dir = tempfile::tempdir().unwrap();
    rgb_jpeg(&dir.path().join("train/1.jpg"), 6, 6, [10, 200, 10]);
    grey_png(&dir.path().join("train/2.png"), 6, 6, 7);
    grey_png(&dir.path().join("test/1.png"), 6, 6, 9);
    write(
        &dir.path().join("train.csv"),
        b"image,labels\ntrain/1.jpg,leaf\ntrain/2.png,rock sky\n",
    );
    // The test list is multi-hot and names a label the training list never uses.
    write(&dir.path().join("test.csv"), b"image,sky,moon\ntest/1.png,1,1\n");
    let (train, test) = load_multilabel_folder(dir.path(), 6).unwrap();
    let expected = names(&["leaf", "moon", "rock", "sky"]);
    assert_eq!(train.label_names(), expected);
    assert_eq!(test.label_names(), expected);
    assert_eq!(train.targets(), &[1, 0, 0, 0, 0, 0, 1, 1]);
    assert_eq!(test.targets(), &[0, 1, 0, 1]);
    assert_eq!(
        (train.image_shape(), test.image_shape()),
        ([3, 6, 6], [3, 6, 6]),
        "the test split's greyscale image takes the training split's channels"
    );
    assert_eq!(test.image_bytes(0), grey_bytes(6, 6, 9).repeat(3));

    std::fs::remove_file(dir.path().join("test.csv")).unwrap();
    let err = load_multilabel_folder(dir.path(), 6).unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err}");
    assert!(err.to_string().contains("test.csv"), "{err}");
}

// ---------------------------------------------------------------- faults

#[test]
fn faults_of_the_csv_text_name_the_file_and_line() {
    let dir = grey_folder();
    let csv = dir.path().join("bad.csv");
    let load = |text: &[u8]| {
        write(&csv, text);
        load_multilabel_csv(&csv, None, 4)
    };
    let msg = data_error_naming(load(b""), &["bad.csv"]);
    assert!(msg.contains("empty"), "{msg}");
    let msg = data_error_naming(load(b"image,labels\n"), &["bad.csv"]);
    assert!(msg.contains("no images"), "{msg}");
    let msg = data_error_naming(load(b"file,labels\na.png,x\n"), &["bad.csv:1", "file,labels"]);
    assert!(msg.contains("layout"), "{msg}");
    // No header at all: the first row is data.
    data_error_naming(load(b"a.png,x\nc.png,y\n"), &["bad.csv:1", "layout"]);
    data_error_naming(load(b"image\na.png\n"), &["bad.csv:1", "layout"]);
    data_error_naming(load(b"image,x,x\na.png,1,0\n"), &["bad.csv:1", "\"x\""]);
    data_error_naming(load(b"image,x,\na.png,1,0\n"), &["bad.csv:1", "column 3"]);

    let msg = data_error_naming(load(b"image,labels\na.png,x\nc.png,y,z\n"), &["bad.csv:3", "3 cells"]);
    assert!(msg.contains("2 columns"), "{msg}");
    data_error_naming(load(b"image,x,y\na.png,1\n"), &["bad.csv:2", "2 cells"]);
    let msg = data_error_naming(load(b"image,x,y\na.png,1,0\nc.png,0,2\n"), &["bad.csv:3", "\"2\""]);
    assert!(msg.contains("\"y\""), "{msg}");
    data_error_naming(load(b"image,x,y\na.png,1,\n"), &["bad.csv:2", "\"\""]);
    data_error_naming(load(b"image,x,y\na.png,yes,0\n"), &["bad.csv:2", "\"yes\""]);
    data_error_naming(load(b"image,labels\na.png,x\n,y\n"), &["bad.csv:3", "empty"]);
    let msg = data_error_naming(load(b"image,labels\n/etc/a.png,x\n"), &["bad.csv:2", "absolute"]);
    assert!(msg.contains("/etc/a.png"), "{msg}");
    let msg = data_error_naming(load(b"image,labels\na.png,x\nc.png,y\n./a.png,z\n"), &["bad.csv:4"]);
    assert!(msg.contains("first on line 2") && msg.contains("listed again"), "{msg}");
    data_error_naming(
        load(b"image,labels\na.png,\nc.png, ;\n"),
        &["bad.csv", "no image has a label"],
    );
    data_error_naming(load(b"image,labels\na.png,x\nc.png,\xFF\n"), &["bad.csv:3", "UTF-8"]);
    // A quoted field over two lines: the next row's line counts both.
    data_error_naming(load(b"image,labels\na.png,\"x\ny\"\nc.png,1,2\n"), &["bad.csv:4"]);
    assert_eq!(
        load(b"image,labels\na.png,\"x\ny\"\n").unwrap().label_names(),
        names(&["x", "y"]),
        "a line break separates labels as a space does"
    );
}

#[test]
fn a_missing_or_undecodable_image_names_the_row_and_the_file() {
    let dir = grey_folder();
    let csv = dir.path().join("list.csv");
    write(&csv, b"image,labels\na.png,x\nnone.png,y\nc.png,z\n");
    data_error_naming(
        load_multilabel_csv(&csv, None, 4),
        &["list.csv:3", "none.png", "cannot read"],
    );

    write(&dir.path().join("broken.png"), b"this is not an image at all");
    let png = std::fs::read(dir.path().join("a.png")).unwrap();
    write(&dir.path().join("cut.png"), &png[..png.len() / 2]);
    write(&csv, b"image,labels\na.png,x\ncut.png,y\nc.png,z\nbroken.png,w\n");
    for _ in 0..5 {
        // Decoded in parallel, but the first faulty row in file order is the one reported.
        data_error_naming(load_multilabel_csv(&csv, None, 4), &["list.csv:3", "cut.png", "decode"]);
    }
    write(&csv, b"image,labels\na.png,x\nbroken.png,w\n");
    data_error_naming(
        load_multilabel_csv(&csv, None, 4),
        &["list.csv:3", "broken.png", "decode"],
    );

    // Faults of the text come before faults of the images.
    write(&csv, b"image,labels\nnone.png,y\nc.png,z,w\n");
    data_error_naming(load_multilabel_csv(&csv, None, 4), &["list.csv:3"]);
}

#[test]
fn an_image_size_of_zero_and_a_missing_list_are_refused() {
    let dir = grey_folder();
    let csv = dir.path().join("list.csv");
    write(&csv, b"image,labels\na.png,x\n");
    assert!(matches!(load_multilabel_csv(&csv, None, 0), Err(Error::Config(_))));
    assert!(matches!(load_multilabel_folder(dir.path(), 0), Err(Error::Config(_))));
    let err = load_multilabel_csv(&dir.path().join("absent.csv"), None, 4).unwrap_err();
    assert!(
        matches!(err, Error::Io { .. }) && err.to_string().contains("absent.csv"),
        "{err}"
    );
}

// ---------------------------------------------------------------- the dataset type

/// Three 1×2×2 images with bytes 0, 51, 102, ... and targets over two labels.
fn small() -> MultiLabelDataset {
    let pixels: Vec<u8> = (0..12).map(|i| (i * 51 % 256) as u8).collect();
    MultiLabelDataset::new(pixels, vec![1, 0, 1, 1, 0, 0], [1, 2, 2], names(&["a", "b"])).unwrap()
}

#[test]
fn construction_checks_sizes_names_and_values() {
    let ds = small();
    assert_eq!((ds.len(), ds.num_labels(), ds.is_empty()), (3, 2, false));
    assert_eq!(ds.label_counts(), vec![2, 1]);
    let new = |pixels: usize, targets: Vec<u8>, labels: &[&str]| {
        MultiLabelDataset::new(vec![0; pixels], targets, [1, 2, 2], names(labels))
    };
    data_error_naming(new(12, vec![1, 0, 2, 1, 0, 0], &["a", "b"]), &["2", "image 1", "\"a\""]);
    data_error_naming(
        new(8, vec![1, 0, 1, 1, 0, 0], &["a", "b"]),
        &["8 pixel values", "3 images"],
    );
    data_error_naming(new(12, vec![1, 0, 1], &["a", "b"]), &["3 target values"]);
    data_error_naming(new(0, vec![], &[]), &["no label names"]);
    data_error_naming(new(4, vec![1, 0], &["a", "a"]), &["\"a\"", "twice"]);
    let empty = new(0, vec![], &["a"]).unwrap();
    assert!(empty.is_empty());
    assert_eq!(empty.label_counts(), vec![0]);
}

#[test]
fn batches_scale_pixels_and_give_float_targets() {
    let ds = small();
    for dtype in [DType::F32, DType::F64] {
        let (images, targets) = ds.batch(&[2, 0], dtype, &Device::Cpu);
        assert_eq!(images.shape(), &[2, 1, 2, 2]);
        assert_eq!(targets.shape(), &[2, 2]);
        assert_eq!((images.dtype(), targets.dtype()), (dtype, dtype));
        let expected: Vec<f32> = ds
            .image_bytes(2)
            .iter()
            .chain(ds.image_bytes(0))
            .map(|&b| b as f32 / 255.0)
            .collect();
        let (values, target_values) = if dtype == DType::F64 {
            (images.to_vec::<f64>(), targets.to_vec::<f64>())
        } else {
            let widen = |v: Vec<f32>| v.into_iter().map(f64::from).collect::<Vec<f64>>();
            (widen(images.to_vec::<f32>()), widen(targets.to_vec::<f32>()))
        };
        // F64 batches hold the f32 quotient widened, as PyTorch's `.double()` of a batch.
        assert_eq!(values, expected.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
        assert_eq!(target_values, vec![0.0, 0.0, 1.0, 0.0]);
    }
    assert_eq!(
        ds.image(1),
        ds.image_bytes(1).iter().map(|&b| b as f32 / 255.0).collect::<Vec<_>>()
    );
    let (images, targets) = ds.batch(&[], DType::F32, &Device::Cpu);
    assert_eq!((images.shape(), targets.shape()), (&[0, 1, 2, 2][..], &[0, 2][..]));
}

#[test]
fn subsets_keep_the_order_given() {
    let ds = small();
    let sub = ds.subset(&[2, 0, 2]);
    assert_eq!(sub.len(), 3);
    assert_eq!(sub.targets(), &[0, 0, 1, 0, 0, 0]);
    assert_eq!(sub.image_bytes(1), ds.image_bytes(0));
    assert_eq!(sub.label_names(), ds.label_names());
}

#[test]
fn the_validation_split_is_seeded_and_keeps_order() {
    let (train, _) = load_mosaic(0).unwrap();
    let whole = train.subset(&(0..101).collect::<Vec<_>>());
    let (kept, held) = split_validation_multilabel(whole.clone(), 0.25, 3).unwrap();
    assert_eq!((kept.len(), held.len()), (76, 25), "round(101 · 0.25) = 25 held out");
    // Both parts are subsequences of the whole, and together they are all of it.
    let position = |ds: &MultiLabelDataset, i: usize| {
        (0..whole.len())
            .find(|&j| whole.image_bytes(j) == ds.image_bytes(i) && whole.targets_of(j) == ds.targets_of(i))
            .unwrap()
    };
    let kept_at: Vec<usize> = (0..kept.len()).map(|i| position(&kept, i)).collect();
    let held_at: Vec<usize> = (0..held.len()).map(|i| position(&held, i)).collect();
    assert!(kept_at.windows(2).all(|w| w[0] < w[1]) && held_at.windows(2).all(|w| w[0] < w[1]));
    let all: BTreeSet<usize> = kept_at.iter().chain(&held_at).copied().collect();
    assert_eq!(all.len(), 101);

    let (_, again) = split_validation_multilabel(whole.clone(), 0.25, 3).unwrap();
    assert_eq!(again.targets(), held.targets());
    let (_, other) = split_validation_multilabel(whole.clone(), 0.25, 4).unwrap();
    assert_ne!(other.targets(), held.targets());
    let (all_kept, none) = split_validation_multilabel(whole.clone(), 0.0, 3).unwrap();
    assert_eq!((all_kept.len(), none.len()), (101, 0));
    for bad in [1.0, -0.1, f64::NAN] {
        assert!(matches!(
            split_validation_multilabel(whole.clone(), bad, 0),
            Err(Error::Config(_))
        ));
    }
}

// ---------------------------------------------------------------- mosaics

/// Quadrant `q` (0 top-left, 1 top-right, 2 bottom-left, 3 bottom-right) of a `[C, 2H, 2W]`
/// mosaic, as a `[C, H, W]` image.
fn quadrant(mosaic: &[u8], [c, h, w]: [usize; 3], q: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(c * h * w);
    for channel in 0..c {
        for y in 0..h {
            for x in 0..w {
                let (my, mx) = (y + (q / 2) * h, x + (q % 2) * w);
                out.push(mosaic[(channel * 2 * h + my) * 2 * w + mx]);
            }
        }
    }
    out
}

/// The indices of `source`'s images equal to `image`.
fn matches(source: &Dataset, image: &[u8]) -> Vec<usize> {
    (0..source.len()).filter(|&i| source.image_bytes(i) == image).collect()
}

/// Checks every mosaic of `mosaics` against `source`: each quadrant is one of its images, and
/// the targets mark exactly those images' classes.
fn check_mosaics(mosaics: &MultiLabelDataset, source: &Dataset, upto: usize) {
    let shape = source.image_shape();
    for m in 0..upto.min(mosaics.len()) {
        let mut classes = BTreeSet::new();
        for q in 0..4 {
            let found = matches(source, &quadrant(mosaics.image_bytes(m), shape, q));
            assert!(!found.is_empty(), "mosaic {m} quadrant {q} is no source image");
            let labels: BTreeSet<usize> = found.iter().map(|&i| source.labels()[i]).collect();
            assert_eq!(
                labels.len(),
                1,
                "mosaic {m} quadrant {q}: equal images of other classes"
            );
            classes.extend(labels);
        }
        let marked: BTreeSet<usize> = (0..mosaics.num_labels())
            .filter(|&k| mosaics.targets_of(m)[k] == 1)
            .collect();
        assert_eq!(marked, classes, "mosaic {m}");
    }
}

#[test]
fn mosaics_tile_four_source_images_and_label_their_classes() {
    // Six distinct 2-channel 2×3 images of three classes: a non-square, non-grey shape.
    let pixels: Vec<u8> = (0..6 * 12).map(|i| i as u8).collect();
    let source = Dataset::new(pixels, vec![0, 1, 2, 0, 1, 2], [2, 2, 3], names(&["x", "y", "z"])).unwrap();
    let mosaics = mosaic_dataset(&source, 200, 5);
    assert_eq!(mosaics.len(), 200);
    assert_eq!(mosaics.image_shape(), [2, 4, 6]);
    assert_eq!(mosaics.label_names(), source.class_names());
    check_mosaics(&mosaics, &source, 200);
    // Drawn with replacement, uniformly: every image is used, and some mosaic repeats one.
    let mut used = BTreeSet::new();
    let mut repeats = false;
    for m in 0..mosaics.len() {
        let drawn: Vec<usize> = (0..4)
            .map(|q| matches(&source, &quadrant(mosaics.image_bytes(m), [2, 2, 3], q))[0])
            .collect();
        repeats |= drawn.iter().collect::<BTreeSet<_>>().len() < 4;
        used.extend(drawn);
    }
    assert_eq!(used.len(), 6);
    assert!(repeats);
    assert!(mosaic_dataset(&source, 0, 5).is_empty());
}

#[test]
fn the_mosaic_task_is_seeded_fashion_mnist() {
    let (train, test) = load_mosaic(11).unwrap();
    assert_eq!((train.len(), test.len()), (MOSAIC_TRAIN_COUNT, MOSAIC_TEST_COUNT));
    assert_eq!((train.image_shape(), test.image_shape()), ([1, 56, 56], [1, 56, 56]));
    assert_eq!(train.num_labels(), 10);
    assert_eq!(train.label_names()[9], "Ankle boot");
    assert_eq!(test.label_names(), train.label_names());
    for ds in [&train, &test] {
        for m in 0..ds.len() {
            let count: u8 = ds.targets_of(m).iter().sum();
            assert!((1..=4).contains(&count), "mosaic {m} has {count} labels");
        }
    }
    let (source_train, source_test) = load_embedded().unwrap();
    check_mosaics(&train, &source_train, 20);
    check_mosaics(&test, &source_test, 20);
    // Every class occurs, and mosaics with several labels are common.
    assert!(
        train.label_counts().iter().all(|&c| c > 1000),
        "{:?}",
        train.label_counts()
    );

    let (again, again_test) = load_mosaic(11).unwrap();
    assert_eq!(again.image_bytes(4999), train.image_bytes(4999));
    assert_eq!(
        (again.targets(), again_test.targets()),
        (train.targets(), test.targets())
    );
    let (other, _) = load_mosaic(12).unwrap();
    assert_ne!(other.targets(), train.targets());
    assert_ne!(other.image_bytes(0), train.image_bytes(0));
    // mosaic_dataset itself: the same seed gives the same mosaics, another seed others.
    let a = mosaic_dataset(&source_test, 30, 1);
    assert_eq!(a.targets(), mosaic_dataset(&source_test, 30, 1).targets());
    assert_ne!(a.targets(), mosaic_dataset(&source_test, 30, 2).targets());
}

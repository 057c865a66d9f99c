//! `learnloss::data`: each loader on small files written in the real format (values scaled by
//! 1/255, labels, shapes, class names, folder layouts), every malformed input giving an error
//! that names the file, the embedded Fashion-MNIST subset, and the validation split.

use image::{ImageFormat, Luma, Rgb, RgbImage};
use learnloss::data::{
    load, load_cifar10, load_cifar100, load_embedded, load_fashion_mnist, load_mnist, load_oxford_pet,
    split_validation, Dataset, DatasetKind, DEBIAN_FASHION_MNIST_DIR,
};
use learnloss::{DType, Device, Error};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------- helpers

fn idx_images(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in [0x0000_0803u32, count, rows, cols] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for word in [0x0000_0801u32, labels.len() as u32] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    out.extend_from_slice(labels);
    out
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Pixel bytes `(seed + i·7) mod 256`: distinct, covering 0 and 255 for the right seeds.
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| seed.wrapping_add((i * 7) as u8)).collect()
}

/// Pixel bytes and label bytes of one split.
type Split = (Vec<u8>, Vec<u8>);

/// Train (3 images of 2×3) and test (2 images) IDX files in `dir`, raw or gzipped.
/// Returns the pixel bytes and labels written, `(train, test)`.
fn write_idx_set(dir: &Path, gzipped: bool) -> (Split, Split) {
    let train = (pattern(3 * 6, 0), vec![9u8, 0, 4]);
    let test = (pattern(2 * 6, 255), vec![1u8, 7]);
    let suffix = if gzipped { ".gz" } else { "" };
    for (prefix, (pixels, labels)) in [("train", &train), ("t10k", &test)] {
        let images = idx_images(labels.len() as u32, 2, 3, pixels);
        let labels = idx_labels(labels);
        let (images, labels) = if gzipped {
            (gz(&images), gz(&labels))
        } else {
            (images, labels)
        };
        write(&dir.join(format!("{prefix}-images-idx3-ubyte{suffix}")), &images);
        write(&dir.join(format!("{prefix}-labels-idx1-ubyte{suffix}")), &labels);
    }
    (train, test)
}

fn all_f32(ds: &Dataset) -> Vec<f32> {
    let idx: Vec<usize> = (0..ds.len()).collect();
    ds.batch(&idx, DType::F32, &Device::Cpu).0.to_vec::<f32>()
}

fn labels_of(ds: &Dataset) -> Vec<i64> {
    let idx: Vec<usize> = (0..ds.len()).collect();
    ds.batch(&idx, DType::F32, &Device::Cpu).1.to_vec::<i64>()
}

fn scaled(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|&b| b as f32 / 255.0).collect()
}

/// The message of a data error, checking it names `file` (a path fragment).
fn data_error_naming(result: learnloss::Result<(Dataset, Dataset)>, file: &str) -> String {
    match result {
        Ok(_) => panic!("expected an error naming {file}, got a dataset"),
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.contains(file), "error does not name {file}: {msg}");
            msg
        }
    }
}

// ---------------------------------------------------------------- IDX (MNIST, Fashion-MNIST)

#[test]
fn idx_raw_loads_values_labels_shapes_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let ((train_px, train_lb), (test_px, test_lb)) = write_idx_set(dir.path(), false);
    let (train, test) = load_fashion_mnist(dir.path()).unwrap();
    assert_eq!((train.len(), test.len()), (3, 2));
    assert_eq!(train.image_shape(), [1, 2, 3]);
    assert_eq!(train.num_classes(), 10);
    assert_eq!(train.class_names()[0], "T-shirt/top");
    assert_eq!(train.class_names()[9], "Ankle boot");
    assert_eq!(all_f32(&train), scaled(&train_px));
    assert_eq!(all_f32(&test), scaled(&test_px));
    assert_eq!(
        labels_of(&train),
        train_lb.iter().map(|&l| l as i64).collect::<Vec<_>>()
    );
    assert_eq!(labels_of(&test), test_lb.iter().map(|&l| l as i64).collect::<Vec<_>>());
    let (images, labels) = train.batch(&[2, 0], DType::F32, &Device::Cpu);
    assert_eq!(images.shape(), &[2, 1, 2, 3]);
    assert_eq!(labels.shape(), &[2]);
    assert_eq!(labels.dtype(), DType::I64);
    assert_eq!(labels.to_vec::<i64>(), vec![4, 9]);
    assert_eq!(images.to_vec::<f32>()[..6], scaled(&train_px[12..18])[..]);
    // Extremes map to exactly 0 and 1.
    assert_eq!(all_f32(&train)[0], 0.0);
    assert_eq!(all_f32(&test)[0], 1.0);
}

#[test]
fn idx_gz_matches_raw_and_torchvision_layouts_are_found() {
    let raw = tempfile::tempdir().unwrap();
    write_idx_set(raw.path(), false);
    let packed = tempfile::tempdir().unwrap();
    write_idx_set(&packed.path().join("MNIST/raw"), true);
    let (a_train, a_test) = load_mnist(raw.path()).unwrap();
    // The root above MNIST/raw, as torchvision's `root`, through `load`.
    let (b_train, b_test) = load(DatasetKind::Mnist, Some(packed.path())).unwrap();
    assert_eq!(all_f32(&a_train), all_f32(&b_train));
    assert_eq!(all_f32(&a_test), all_f32(&b_test));
    assert_eq!(labels_of(&a_train), labels_of(&b_train));
    let digits: Vec<String> = (0..10).map(|d| d.to_string()).collect();
    assert_eq!(b_train.class_names(), &digits[..]);

    let fashion = tempfile::tempdir().unwrap();
    write_idx_set(&fashion.path().join("FashionMNIST/raw"), true);
    let (train, _) = load(DatasetKind::FashionMnist, Some(fashion.path())).unwrap();
    assert_eq!(train.class_names()[5], "Sandal");
}

#[test]
fn idx_f64_batch_is_the_widened_f32_value() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    let (train, _) = load_mnist(dir.path()).unwrap();
    let f32s = train.batch(&[0, 1, 2], DType::F32, &Device::Cpu).0.to_vec::<f32>();
    let (images, _) = train.batch(&[0, 1, 2], DType::F64, &Device::Cpu);
    assert_eq!(images.dtype(), DType::F64);
    let f64s = images.to_vec::<f64>();
    assert!(f32s.iter().zip(&f64s).all(|(&a, &b)| f64::from(a) == b));
    assert_eq!(train.image(1), f32s[6..12].to_vec());
}

#[test]
fn idx_wrong_magic_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    // A label file where an image file belongs (long enough for an image header).
    write(
        &dir.path().join("train-images-idx3-ubyte"),
        &idx_labels(&[1, 2, 3, 4, 5, 6, 7, 8, 9]),
    );
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte");
    assert!(msg.contains("magic"), "{msg}");
    assert!(msg.contains("0x00000801"), "{msg}");
    // Also when the file is too short to hold a header.
    write(&dir.path().join("train-images-idx3-ubyte"), &idx_labels(&[1]));
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte");
    assert!(msg.contains("magic"), "{msg}");
}

#[test]
fn idx_truncated_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    let full = idx_images(3, 2, 3, &pattern(18, 0));
    write(&dir.path().join("train-images-idx3-ubyte"), &full[..full.len() - 1]);
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte");
    assert!(msg.contains("truncated"), "{msg}");

    // Shorter than the header.
    write(&dir.path().join("train-images-idx3-ubyte"), &full[..10]);
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte");
    assert!(msg.contains("truncated") && msg.contains("header"), "{msg}");

    write_idx_set(dir.path(), false);
    write(&dir.path().join("t10k-labels-idx1-ubyte"), &idx_labels(&[1, 7])[..9]);
    let msg = data_error_naming(load_mnist(dir.path()), "t10k-labels-idx1-ubyte");
    assert!(msg.contains("truncated"), "{msg}");

    // Trailing bytes are a fault too.
    write_idx_set(dir.path(), false);
    let mut long = idx_labels(&[9, 0, 4]);
    long.push(3);
    write(&dir.path().join("train-labels-idx1-ubyte"), &long);
    let msg = data_error_naming(load_mnist(dir.path()), "train-labels-idx1-ubyte");
    assert!(msg.contains("unexpected bytes"), "{msg}");
}

#[test]
fn idx_corrupt_gzip_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), true);
    let packed = gz(&idx_images(3, 2, 3, &pattern(18, 0)));
    write(
        &dir.path().join("train-images-idx3-ubyte.gz"),
        &packed[..packed.len() / 2],
    );
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte.gz");
    assert!(msg.contains("gzip"), "{msg}");

    let mut garbled = packed.clone();
    for b in garbled.iter_mut().skip(12) {
        *b ^= 0x5a;
    }
    write(&dir.path().join("train-images-idx3-ubyte.gz"), &garbled);
    data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte.gz");
}

/// `cat a.gz b.gz` is one valid gzip file (RFC 1952 allows several members): it decompresses to
/// the concatenation, as gunzip and Python's gzip module read it.
#[test]
fn idx_multi_member_gzip_is_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (train, _) = write_idx_set(dir.path(), true);
    let whole = idx_images(3, 2, 3, &train.0);
    let (a, b) = whole.split_at(21);
    let members = [gz(a), gz(b)].concat();
    write(&dir.path().join("train-images-idx3-ubyte.gz"), &members);
    let (loaded, _) = load_mnist(dir.path()).unwrap();
    let expected: Vec<f32> = train.0.iter().map(|&p| f32::from(p) / 255.0).collect();
    assert_eq!(all_f32(&loaded), expected);
}

/// Sizes are checked before they cost memory: a header promising more than a gzip file can
/// hold, a stream that decompresses past its header's promise, and a raw file gigabytes longer
/// than its header says (sparse, so the test itself is cheap) are refused without reading on.
#[test]
fn idx_sizes_are_bounded_by_the_header_and_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), true);
    let images = dir.path().join("train-images-idx3-ubyte.gz");

    // 2^31 images of 28×28 (1.7 TB) from a gzip file of some 60 bytes.
    write(&images, &gz(&idx_images(1 << 31, 28, 28, &pattern(100, 0))));
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte.gz");
    assert!(
        msg.contains("more than a") && msg.contains("gzip file can hold"),
        "{msg}"
    );

    // A bomb: 3 images promised, 64 MiB of zeros after them (a 64 KiB gzip file).
    let mut bomb = idx_images(3, 2, 3, &pattern(18, 0));
    bomb.resize(bomb.len() + (64 << 20), 0);
    write(&images, &gz(&bomb));
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte.gz");
    assert!(msg.contains("decompresses to more than its header promises"), "{msg}");

    // A raw file of 3 GiB whose header promises 3 images of 2×3.
    std::fs::remove_file(&images).unwrap();
    let raw = dir.path().join("train-images-idx3-ubyte");
    write(&raw, &idx_images(3, 2, 3, &pattern(18, 0)));
    std::fs::OpenOptions::new()
        .write(true)
        .open(&raw)
        .unwrap()
        .set_len(3 << 30)
        .unwrap();
    let msg = data_error_naming(load_mnist(dir.path()), "train-images-idx3-ubyte");
    let extra = (3u64 << 30) - 34;
    assert!(
        msg.contains(&format!("{extra} unexpected bytes after 3 images of 2×3")),
        "{msg}"
    );
}

/// A folder where a data file should be is reported as what it is, not as a missing file with
/// advice to install the dataset.
#[test]
fn a_folder_in_place_of_a_data_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    let labels = dir.path().join("t10k-labels-idx1-ubyte");
    std::fs::remove_file(&labels).unwrap();
    std::fs::create_dir(&labels).unwrap();
    let msg = match load_mnist(dir.path()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("a folder was read as a label file"),
    };
    assert!(
        msg.contains("t10k-labels-idx1-ubyte") && msg.contains("directory"),
        "{msg}"
    );
    assert!(!msg.contains("missing"), "{msg}");

    // Beside the real (gzipped) file, a folder of the raw name does not hide it.
    write(&dir.path().join("t10k-labels-idx1-ubyte.gz"), &gz(&idx_labels(&[1, 7])));
    let (_, test) = load_mnist(dir.path()).unwrap();
    assert_eq!(labels_of(&test), vec![1, 7]);
}

#[test]
fn idx_counts_that_disagree_name_both_files() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    write(&dir.path().join("t10k-labels-idx1-ubyte"), &idx_labels(&[1, 7, 3]));
    let msg = data_error_naming(load_mnist(dir.path()), "t10k-labels-idx1-ubyte");
    assert!(msg.contains("t10k-images-idx3-ubyte"), "{msg}");
    assert!(msg.contains("2 images") && msg.contains("3 labels"), "{msg}");
}

#[test]
fn idx_label_out_of_range_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    write(&dir.path().join("train-labels-idx1-ubyte"), &idx_labels(&[9, 10, 4]));
    let msg = data_error_naming(load_mnist(dir.path()), "train-labels-idx1-ubyte");
    assert!(msg.contains("label 10 at index 1"), "{msg}");
}

#[test]
fn idx_missing_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), false);
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte")).unwrap();
    let msg = data_error_naming(load_mnist(dir.path()), "t10k-labels-idx1-ubyte");
    assert!(msg.contains("missing"), "{msg}");
}

#[test]
fn missing_dataset_lists_the_folders_searched_and_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let result = load(DatasetKind::FashionMnist, Some(dir.path()));
    let msg = data_error_naming(result, &dir.path().join("FashionMNIST/raw").display().to_string());
    assert!(msg.contains("apt-get install dataset-fashion-mnist"), "{msg}");
    for kind in [
        DatasetKind::Mnist,
        DatasetKind::Cifar10,
        DatasetKind::Cifar100,
        DatasetKind::OxfordPet,
    ] {
        let msg = data_error_naming(load(kind, Some(dir.path())), &dir.path().display().to_string());
        assert!(msg.contains("folders searched"), "{kind}: {msg}");
    }
}

/// With no folder given, Fashion-MNIST comes from Debian's package when it is installed, and
/// the embedded subset is exactly its first 500 / 100 images of each class.
#[test]
fn debian_fashion_mnist_is_found_and_contains_the_embedded_subset() {
    if !Path::new(DEBIAN_FASHION_MNIST_DIR)
        .join("train-images-idx3-ubyte.gz")
        .is_file()
    {
        eprintln!("skipped: {DEBIAN_FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist)");
        return;
    }
    let (train, test) = load(DatasetKind::FashionMnist, None).unwrap();
    assert_eq!((train.len(), test.len()), (60000, 10000));
    assert_eq!(train.image_shape(), [1, 28, 28]);
    let (small_train, small_test) = load_embedded().unwrap();
    for (full, small, per_class) in [(&train, &small_train, 500), (&test, &small_test, 100)] {
        let mut taken = [0usize; 10];
        let mut keep = Vec::new();
        for (i, &label) in full.labels().iter().enumerate() {
            if taken[label] < per_class {
                taken[label] += 1;
                keep.push(i);
            }
        }
        let expected = full.subset(&keep);
        assert_eq!(expected.labels(), small.labels());
        assert!((0..small.len()).all(|i| expected.image_bytes(i) == small.image_bytes(i)));
    }
}

// ---------------------------------------------------------------- CIFAR

fn cifar_record(labels: &[u8], seed: u8) -> Vec<u8> {
    let mut rec = labels.to_vec();
    rec.extend(pattern(3072, seed));
    rec
}

/// CIFAR-10 files in `dir`: batch k holds one record labelled k, the test batch two.
fn write_cifar10(dir: &Path) {
    for k in 1..=5u8 {
        write(&dir.join(format!("data_batch_{k}.bin")), &cifar_record(&[k], k));
    }
    let mut test = cifar_record(&[9], 100);
    test.extend(cifar_record(&[0], 200));
    write(&dir.join("test_batch.bin"), &test);
}

#[test]
fn cifar10_loads_records_in_channel_planes_with_standard_names() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar-10-batches-bin");
    write_cifar10(&dir);
    // Both the folder itself and the folder above it.
    for given in [dir.as_path(), root.path()] {
        let (train, test) = load_cifar10(given).unwrap();
        assert_eq!((train.len(), test.len()), (5, 2));
        assert_eq!(train.image_shape(), [3, 32, 32]);
        assert_eq!(labels_of(&train), vec![1, 2, 3, 4, 5]);
        assert_eq!(labels_of(&test), vec![9, 0]);
        assert_eq!(train.class_names()[0], "airplane");
        assert_eq!(train.class_names()[9], "truck");
        assert_eq!(train.image(2), scaled(&pattern(3072, 3)));
        assert_eq!(test.image(1), scaled(&pattern(3072, 200)));
    }
    // The red plane comes first: element [c=1, h=0, w=0] is byte 1024 of the record's pixels.
    let (train, _) = load(DatasetKind::Cifar10, Some(root.path())).unwrap();
    let (images, _) = train.batch(&[0], DType::F32, &Device::Cpu);
    assert_eq!(images.shape(), &[1, 3, 32, 32]);
    assert_eq!(images.to_vec::<f32>()[1024], pattern(3072, 1)[1024] as f32 / 255.0);
}

#[test]
fn cifar10_reads_class_names_from_batches_meta() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar10(dir.path());
    let names: Vec<String> = (0..10).map(|i| format!("class {i}")).collect();
    write(
        &dir.path().join("batches.meta.txt"),
        format!("{}\n\n\n", names.join("\n")).as_bytes(),
    );
    let (train, test) = load_cifar10(dir.path()).unwrap();
    assert_eq!(train.class_names(), &names[..]);
    assert_eq!(test.class_names(), &names[..]);

    write(&dir.path().join("batches.meta.txt"), b"cat\ndog\n");
    let msg = data_error_naming(load_cifar10(dir.path()), "batches.meta.txt");
    assert!(msg.contains("2 class names"), "{msg}");
}

#[test]
fn cifar10_faults_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write_cifar10(dir.path());
    let rec = cifar_record(&[3], 0);
    write(&dir.path().join("data_batch_2.bin"), &rec[..3000]);
    let msg = data_error_naming(load_cifar10(dir.path()), "data_batch_2.bin");
    assert!(msg.contains("3073-byte records"), "{msg}");

    write_cifar10(dir.path());
    write(&dir.path().join("data_batch_4.bin"), &cifar_record(&[10], 0));
    let msg = data_error_naming(load_cifar10(dir.path()), "data_batch_4.bin");
    assert!(msg.contains("label 10"), "{msg}");

    write_cifar10(dir.path());
    write(&dir.path().join("test_batch.bin"), b"");
    data_error_naming(load_cifar10(dir.path()), "test_batch.bin");

    write_cifar10(dir.path());
    std::fs::remove_file(dir.path().join("data_batch_3.bin")).unwrap();
    data_error_naming(load_cifar10(dir.path()), "data_batch_3.bin");
}

#[test]
fn cifar100_uses_fine_labels_and_fine_label_names() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("cifar-100-binary");
    let mut train = cifar_record(&[3, 87], 1);
    train.extend(cifar_record(&[19, 0], 2));
    train.extend(cifar_record(&[0, 99], 3));
    write(&dir.join("train.bin"), &train);
    write(&dir.join("test.bin"), &cifar_record(&[7, 42], 4));
    let (tr, te) = load(DatasetKind::Cifar100, Some(root.path())).unwrap();
    assert_eq!((tr.len(), te.len()), (3, 1));
    assert_eq!(labels_of(&tr), vec![87, 0, 99]);
    assert_eq!(labels_of(&te), vec![42]);
    assert_eq!(tr.num_classes(), 100);
    assert_eq!(tr.class_names()[0], "apple");
    assert_eq!(tr.class_names()[99], "worm");
    assert_eq!(tr.image(1), scaled(&pattern(3072, 2)));

    let names: Vec<String> = (0..100).map(|i| format!("fine{i}")).collect();
    write(&dir.join("fine_label_names.txt"), names.join("\n").as_bytes());
    let (tr, _) = load_cifar100(&dir).unwrap();
    assert_eq!(tr.class_names(), &names[..]);

    // A CIFAR-10 sized record in a CIFAR-100 file.
    write(&dir.join("test.bin"), &cifar_record(&[7], 4));
    let msg = data_error_naming(load_cifar100(&dir), "test.bin");
    assert!(msg.contains("3074-byte records"), "{msg}");
    write(&dir.join("test.bin"), &cifar_record(&[7, 100], 4));
    let msg = data_error_naming(load_cifar100(&dir), "test.bin");
    assert!(msg.contains("label 100"), "{msg}");
}

// ---------------------------------------------------------------- Oxford-IIIT Pet

const ABYSSINIAN: [u8; 3] = [200, 40, 90];
const BULLDOG_GRAY: u8 = 120;

/// A tiny Pet folder: two breeds, JPEG colour and grayscale images, a PNG with a `.jpg` name,
/// comment lines in the annotations. Returns the dataset folder.
fn write_pet(root: &Path) -> PathBuf {
    let dir = root.join("oxford-iiit-pet");
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for name in ["Abyssinian_1", "Abyssinian_2", "Abyssinian_3"] {
        RgbImage::from_pixel(10, 6, Rgb(ABYSSINIAN))
            .save_with_format(images.join(format!("{name}.jpg")), ImageFormat::Jpeg)
            .unwrap();
    }
    for name in ["american_bulldog_10", "american_bulldog_11"] {
        image::GrayImage::from_pixel(7, 9, Luma([BULLDOG_GRAY]))
            .save_with_format(images.join(format!("{name}.jpg")), ImageFormat::Jpeg)
            .unwrap();
    }
    // 128×128 and lossless, so its pixels come through the resize unchanged.
    let gradient = RgbImage::from_fn(128, 128, |x, y| Rgb([x as u8, y as u8, (x + y) as u8]));
    gradient
        .save_with_format(images.join("american_bulldog_12.jpg"), ImageFormat::Png)
        .unwrap();
    write(
        &dir.join("annotations/trainval.txt"),
        b"#Image CLASS-ID SPECIES BREED ID\n#ID: 1:37 Class ids\nAbyssinian_1 1 1 1\namerican_bulldog_10 2 2 1\nAbyssinian_2 1 1 1\n\namerican_bulldog_12 2 2 1\n",
    );
    write(
        &dir.join("annotations/test.txt"),
        b"Abyssinian_3 1 1 1\namerican_bulldog_11 2 2 1\n",
    );
    dir
}

#[test]
fn pet_loads_resized_rgb_images_and_breed_names() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_pet(root.path());
    let (train, test) = load_oxford_pet(root.path()).unwrap();
    assert_eq!((train.len(), test.len()), (4, 2));
    assert_eq!(train.image_shape(), [3, 128, 128]);
    assert_eq!(
        train.class_names(),
        &["Abyssinian".to_string(), "American Bulldog".to_string()]
    );
    assert_eq!(test.class_names(), train.class_names());
    assert_eq!(labels_of(&train), vec![0, 1, 0, 1]);
    assert_eq!(labels_of(&test), vec![0, 1]);
    // Solid colours survive JPEG and the resize to within a few levels, per channel plane.
    let plane = 128 * 128;
    let close = |values: &[f32], level: u8| values.iter().all(|&v| (v * 255.0 - level as f32).abs() <= 6.0);
    let abyssinian = train.image(0);
    for (c, &level) in ABYSSINIAN.iter().enumerate() {
        assert!(close(&abyssinian[c * plane..(c + 1) * plane], level), "channel {c}");
    }
    assert!(
        close(&test.image(1), BULLDOG_GRAY),
        "grayscale expands to three equal channels"
    );
    // The PNG named .jpg decodes, channels first.
    let gradient = train.image_bytes(3);
    for (x, y) in [(0usize, 0usize), (5, 77), (127, 3), (127, 127)] {
        let at = |c: usize| gradient[c * plane + y * 128 + x];
        assert_eq!(
            [at(0), at(1), at(2)],
            [x as u8, y as u8, (x + y) as u8],
            "pixel ({x}, {y})"
        );
    }
    // The dataset folder itself works too, and through `load` by name.
    let kind: DatasetKind = "oxford-pet".parse().unwrap();
    let (again, _) = load(kind, Some(&dir)).unwrap();
    assert_eq!(again.image_bytes(2), train.image_bytes(2));
}

/// Shrinking to 128×128 matches torchvision's `Resize((128, 128))`, i.e. PIL's antialiased
/// `Image.BILINEAR`, to within one level. References from Pillow 9.4 on the same 300×225
/// image; a checkerboard of 3-pixel squares in green makes a filter that does not widen its
/// support when shrinking alias badly.
#[test]
fn pet_resize_matches_pil_bilinear() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_pet(root.path());
    let source = RgbImage::from_fn(300, 225, |x, y| {
        let green = if (x / 3 + y / 3) % 2 == 1 { 255 } else { 0 };
        Rgb([((x * 37 + y * 11) % 256) as u8, green, ((x * y) % 256) as u8])
    });
    source
        .save_with_format(dir.join("images/Abyssinian_1.jpg"), ImageFormat::Png)
        .unwrap();
    let (train, _) = load_oxford_pet(&dir).unwrap();
    let ours = train.image_bytes(0);
    let plane = 128 * 128;
    let pil: [((usize, usize), [u8; 3]); 10] = [
        ((0, 0), [38, 1, 1]),
        ((5, 77), [161, 209, 161]),
        ((64, 64), [159, 184, 107]),
        ((127, 3), [86, 153, 163]),
        ((100, 120), [100, 36, 161]),
        ((127, 127), [177, 254, 165]),
        ((31, 90), [108, 138, 127]),
        ((17, 40), [175, 67, 122]),
        ((90, 11), [111, 71, 145]),
        ((3, 126), [165, 95, 143]),
    ];
    for ((x, y), expected) in pil {
        for (c, &e) in expected.iter().enumerate() {
            let got = ours[c * plane + y * 128 + x];
            assert!(
                got.abs_diff(e) <= 1,
                "pixel ({x}, {y}) channel {c}: {got}, PIL gives {e}"
            );
        }
    }
}

#[test]
fn pet_undecodable_image_names_the_file() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_pet(root.path());
    let path = dir.join("images/Abyssinian_3.jpg");
    let jpeg = std::fs::read(&path).unwrap();
    write(&path, &jpeg[..jpeg.len().min(40)]);
    let msg = data_error_naming(load_oxford_pet(&dir), "Abyssinian_3.jpg");
    assert!(msg.contains("decode"), "{msg}");

    write(&path, b"this is not an image at all");
    data_error_naming(load_oxford_pet(&dir), "Abyssinian_3.jpg");
}

#[test]
fn pet_missing_image_names_the_file() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_pet(root.path());
    std::fs::remove_file(dir.join("images/american_bulldog_10.jpg")).unwrap();
    let result = load_oxford_pet(&dir);
    assert!(matches!(result, Err(Error::Io { .. })));
    data_error_naming(result, "american_bulldog_10.jpg");
}

#[test]
fn pet_bad_annotations_name_the_file_and_line() {
    let root = tempfile::tempdir().unwrap();
    let dir = write_pet(root.path());
    let test = dir.join("annotations/test.txt");
    write(&test, b"Abyssinian_3 1 1 1\namerican_bulldog_11\n");
    let msg = data_error_naming(load_oxford_pet(&dir), "test.txt:2");
    assert!(msg.contains("american_bulldog_11"), "{msg}");

    write(&test, b"Abyssinian_3 zero 1 1\n");
    data_error_naming(load_oxford_pet(&dir), "test.txt:1");
    write(&test, b"Abyssinian_3 0 1 1\n");
    data_error_naming(load_oxford_pet(&dir), "test.txt:1");

    // One id given to two breeds.
    write(&test, b"Abyssinian_3 2 1 1\n");
    let msg = data_error_naming(load_oxford_pet(&dir), "test.txt:1");
    assert!(msg.contains("American Bulldog"), "{msg}");

    std::fs::remove_file(&test).unwrap();
    data_error_naming(load_oxford_pet(&dir), "test.txt");
}

// ---------------------------------------------------------------- embedded subset

#[test]
fn embedded_subset_is_balanced_fashion_mnist() {
    let (train, test) = load(DatasetKind::Embedded, None).unwrap();
    assert_eq!((train.len(), test.len()), (5000, 1000));
    assert_eq!(train.image_shape(), [1, 28, 28]);
    assert_eq!(train.class_counts(), vec![500; 10]);
    assert_eq!(test.class_counts(), vec![100; 10]);
    let expected = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ];
    assert_eq!(train.class_names(), expected.map(String::from));
    assert_eq!(test.class_names(), expected.map(String::from));
    // Fashion-MNIST's first training image is an ankle boot, its first test image too.
    assert_eq!((train.labels()[0], test.labels()[0]), (9, 9));
    let values = all_f32(&test);
    assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    let mean = values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64;
    assert!((0.2..0.4).contains(&mean), "mean pixel {mean}");
}

// ---------------------------------------------------------------- split, kinds, Dataset

#[test]
fn validation_split_is_deterministic_disjoint_covering_and_stratified() {
    // Tag each image with its own index in its bytes, to trace where it went.
    let n = 230;
    let labels: Vec<usize> = (0..n).map(|i| if i % 23 == 0 { 2 } else { i % 2 }).collect();
    let pixels: Vec<u8> = (0..n).flat_map(|i| [(i / 256) as u8, (i % 256) as u8]).collect();
    let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
    let ds = Dataset::new(pixels, labels, [1, 1, 2], names).unwrap();
    let ids = |d: &Dataset| -> Vec<usize> {
        (0..d.len())
            .map(|i| {
                let b = d.image_bytes(i);
                b[0] as usize * 256 + b[1] as usize
            })
            .collect()
    };
    let (train, val) = split_validation(ds.clone(), 0.2, 7).unwrap();
    let (train2, val2) = split_validation(ds.clone(), 0.2, 7).unwrap();
    assert_eq!(ids(&train), ids(&train2));
    assert_eq!(ids(&val), ids(&val2));
    let (train_ids, val_ids) = (ids(&train), ids(&val));
    let a: HashSet<usize> = train_ids.iter().copied().collect();
    let b: HashSet<usize> = val_ids.iter().copied().collect();
    assert!(a.is_disjoint(&b));
    assert_eq!(a.len() + b.len(), n);
    assert_eq!(train.len() + val.len(), n);
    // Labels follow their images, both parts keep the original order, classes are stratified.
    assert!(train_ids.windows(2).all(|w| w[0] < w[1]) && val_ids.windows(2).all(|w| w[0] < w[1]));
    assert!(val_ids.iter().zip(val.labels()).all(|(&i, &l)| ds.labels()[i] == l));
    let whole = ds.class_counts();
    let held = val.class_counts();
    for c in 0..3 {
        assert_eq!(held[c], (whole[c] as f64 * 0.2).round() as usize, "class {c}");
    }
    assert_eq!(val.num_classes(), 3);
    // Another seed holds out other images; fraction 0 holds out none.
    let (_, other) = split_validation(ds.clone(), 0.2, 8).unwrap();
    assert_ne!(ids(&other), val_ids);
    let (all, none) = split_validation(ds.clone(), 0.0, 1).unwrap();
    assert_eq!((all.len(), none.len()), (n, 0));
    for bad in [1.0, -0.1, f64::NAN] {
        assert!(matches!(split_validation(ds.clone(), bad, 1), Err(Error::Config(_))));
    }
}

#[test]
fn embedded_split_is_balanced() {
    let (train, _) = load_embedded().unwrap();
    let (train, val) = split_validation(train, 0.1, 0).unwrap();
    assert_eq!(train.class_counts(), vec![450; 10]);
    assert_eq!(val.class_counts(), vec![50; 10]);
}

#[test]
fn dataset_kinds_parse_and_print() {
    for kind in DatasetKind::ALL {
        assert_eq!(kind.to_string().parse::<DatasetKind>().unwrap(), kind);
    }
    for (name, kind) in [
        ("mnist", DatasetKind::Mnist),
        ("fashion-mnist", DatasetKind::FashionMnist),
        ("fashionmnist", DatasetKind::FashionMnist),
        ("FashionMNIST", DatasetKind::FashionMnist),
        ("cifar10", DatasetKind::Cifar10),
        ("cifar-100", DatasetKind::Cifar100),
        ("pet", DatasetKind::OxfordPet),
        ("oxford-pet", DatasetKind::OxfordPet),
        ("embedded", DatasetKind::Embedded),
    ] {
        assert_eq!(name.parse::<DatasetKind>().unwrap(), kind, "{name}");
    }
    assert_eq!(DatasetKind::FashionMnist.to_string(), "fashion-mnist");
    assert_eq!(DatasetKind::OxfordPet.to_string(), "pet");
    let msg = "imagenet".parse::<DatasetKind>().unwrap_err().to_string();
    assert!(msg.contains("imagenet") && msg.contains("fashion-mnist"), "{msg}");
}

#[test]
fn dataset_new_rejects_inconsistent_parts_and_subset_keeps_order() {
    let names = vec!["x".to_string(), "y".to_string()];
    assert!(matches!(
        Dataset::new(vec![0; 5], vec![0, 1], [1, 1, 2], names.clone()),
        Err(Error::Data(_))
    ));
    assert!(matches!(
        Dataset::new(vec![0; 4], vec![0, 2], [1, 1, 2], names.clone()),
        Err(Error::Data(_))
    ));
    let ds = Dataset::new(vec![1, 2, 3, 4, 5, 6], vec![0, 1, 1], [1, 2, 1], names).unwrap();
    let sub = ds.subset(&[2, 0, 2]);
    assert_eq!(sub.labels(), &[1, 0, 1]);
    assert_eq!(sub.image_bytes(0), &[5, 6]);
    assert_eq!(sub.image_bytes(1), &[1, 2]);
    assert_eq!(sub.num_classes(), 2);
    assert!(format!("{ds:?}").contains("len: 3"));
}

// ---------------------------------------------------------------- no panics

/// Every prefix of `original` and a few hundred seeded corruptions of it, written to `path`,
/// must give `Ok` or `Err` from `load` — never a panic — and every prefix short of the last
/// `tolerated_tail` bytes an error. (A JPEG cut after its last scan data, in the end-of-image
/// marker, still decodes completely.)
fn survive_damage(
    path: &Path,
    original: &[u8],
    tolerated_tail: usize,
    load: impl Fn() -> learnloss::Result<(Dataset, Dataset)>,
) {
    for len in 0..original.len() {
        write(path, &original[..len]);
        let loaded = load().is_ok();
        assert!(
            !loaded || len + tolerated_tail >= original.len(),
            "a {len}-byte prefix of {} loaded",
            path.display()
        );
    }
    let mut gen = learnloss::Generator::new(3);
    for _ in 0..300 {
        let mut damaged = original.to_vec();
        for _ in 0..1 + gen.below(4) {
            let at = gen.below(damaged.len() as u64) as usize;
            damaged[at] = gen.below(256) as u8;
        }
        write(path, &damaged);
        let _ = load();
    }
    write(path, original);
    assert!(load().is_ok());
}

#[test]
fn damaged_files_give_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    write_idx_set(dir.path(), true);
    let images = gz(&idx_images(3, 2, 3, &pattern(18, 0)));
    survive_damage(&dir.path().join("train-images-idx3-ubyte.gz"), &images, 0, || {
        load_mnist(dir.path())
    });
    let labels = idx_labels(&[1, 7]);
    let raw = dir.path().join("t10k-labels-idx1-ubyte");
    std::fs::remove_file(dir.path().join("t10k-labels-idx1-ubyte.gz")).unwrap();
    survive_damage(&raw, &labels, 0, || load_mnist(dir.path()));

    let cifar = tempfile::tempdir().unwrap();
    write_cifar10(cifar.path());
    let record = cifar_record(&[9], 100);
    let test_batch = cifar.path().join("test_batch.bin");
    for len in [0, 1, 1000, 3072, 3074, 6145] {
        write(&test_batch, &record.repeat(2)[..len]);
        data_error_naming(load_cifar10(cifar.path()), "test_batch.bin");
    }

    let root = tempfile::tempdir().unwrap();
    let pet = write_pet(root.path());
    let jpeg_path = pet.join("images/Abyssinian_2.jpg");
    let jpeg = std::fs::read(&jpeg_path).unwrap();
    survive_damage(&jpeg_path, &jpeg, 16, || load_oxford_pet(&pet));
}

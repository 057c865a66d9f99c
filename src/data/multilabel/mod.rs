//! Multi-label image datasets: each image carries a set of labels out of `K` rather than one
//! class, with multi-hot targets for a per-label sigmoid loss.
//!
//! Two sources: a folder of JPEG or PNG images listed by a CSV file
//! ([`load_multilabel_csv`], [`load_multilabel_folder`]), and a built-in task that needs no
//! data on disk, 2×2 mosaics of the embedded Fashion-MNIST images labelled with the set of
//! their classes ([`load_mosaic`]).
//!
//! ```
//! use learnloss::data::{load_mosaic, split_validation_multilabel};
//! use learnloss::{DType, Device};
//! let (train, test) = load_mosaic(0)?;
//! assert_eq!((train.len(), test.len()), (5000, 1000));
//! assert_eq!(train.image_shape(), [1, 56, 56]);
//! let (train, val) = split_validation_multilabel(train, 0.1, 0)?;
//! assert_eq!((train.len(), val.len()), (4500, 500));
//! let (images, targets) = val.batch(&[0, 1], DType::F32, &Device::Cpu);
//! assert_eq!((images.shape(), targets.shape()), (&[2, 1, 56, 56][..], &[2, 10][..]));
//! # Ok::<(), learnloss::Error>(())
//! ```

mod csv_table;
mod dataset;
mod folder;
mod mosaic;
mod split;

pub use dataset::MultiLabelDataset;
pub use folder::{load_multilabel_csv, load_multilabel_folder};
pub use mosaic::{load_mosaic, mosaic_dataset, MOSAIC_TEST_COUNT, MOSAIC_TRAIN_COUNT};
pub use split::split_validation_multilabel;

//! Image classification datasets, as torchvision gives them: MNIST, Fashion-MNIST, CIFAR-10,
//! CIFAR-100 and Oxford-IIIT Pet read from their distributed files, and a Fashion-MNIST subset
//! compiled into the binary so training runs with no data on disk; and multi-label datasets
//! (a set of labels per image) from a CSV-listed image folder or built from the embedded subset
//! (see [`MultiLabelDataset`]).
//!
//! Every loader returns an [`Error`](crate::Error) — never panics — on a missing, truncated or
//! malformed file, naming the file and the fault.
//!
//! ```
//! use learnloss::data::{load, split_validation, DatasetKind};
//! use learnloss::{DType, Device};
//! let (train, test) = load(DatasetKind::Embedded, None)?;
//! assert_eq!((train.len(), test.len()), (5000, 1000));
//! let (train, val) = split_validation(train, 0.1, 0)?;
//! assert_eq!((train.len(), val.len()), (4500, 500));
//! let (images, labels) = val.batch(&[0, 1, 2], DType::F32, &Device::Cpu);
//! assert_eq!((images.shape(), labels.shape()), (&[3, 1, 28, 28][..], &[3][..]));
//! assert_eq!(test.class_names()[9], "Ankle boot");
//! # Ok::<(), learnloss::Error>(())
//! ```

mod cifar;
mod dataset;
mod embedded;
mod files;
mod idx;
mod image_file;
mod kind;
mod load;
mod multilabel;
mod names;
mod pet;
mod pixels;
mod split;

pub use cifar::{load_cifar10, load_cifar100};
pub use dataset::Dataset;
pub use embedded::load_embedded;
pub use idx::{load_fashion_mnist, load_mnist};
pub use kind::DatasetKind;
pub use load::{load, DEBIAN_FASHION_MNIST_DIR};
pub use multilabel::{
    load_mosaic, load_multilabel_csv, load_multilabel_folder, mosaic_dataset, split_validation_multilabel,
    MultiLabelDataset, MOSAIC_TEST_COUNT, MOSAIC_TRAIN_COUNT,
};
pub use pet::{load_oxford_pet, PET_IMAGE_SIZE};
pub use split::split_validation;

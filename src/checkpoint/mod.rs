//! Checkpoints as safetensors files: named tensors ([`save_tensors`], [`load_tensors`]), a
//! module's `state_dict()` under PyTorch's names ([`save_module`], [`load_into`]; the file loads
//! in PyTorch with `safetensors.torch.load_file` + `load_state_dict(strict=True)`), and training
//! checkpoints — model, optimiser state and generator states in one folder that is either
//! complete or absent ([`save_training_checkpoint`], [`load_training_checkpoint`]).
//!
//! Files are written atomically (temporary file in the same folder, fsync, rename), so a reader
//! never sees half a file. Reading never panics on a bad file: truncation, a corrupt header or
//! out-of-range data offsets are [`crate::Error::Checkpoint`] errors naming the file and the
//! fault.

mod atomic;
mod codec;
mod file;
mod module_io;
mod rng;
mod training;

pub use file::{load_tensors, save_tensors, Metadata, NamedTensors};
pub use module_io::{load_into, save_module};
pub use training::{
    find_training_checkpoint, load_training_checkpoint, remove_checkpoint_leftovers, save_training_checkpoint,
    COMPLETE_MARKER, MODEL_FILE, OPTIMIZER_FILE, RNG_FILE,
};

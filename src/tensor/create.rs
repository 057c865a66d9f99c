//! Creating tensors (constants, ranges, seeded random values) and reading them back.

use super::{device_ok, Tensor};
use crate::backend::cpu::CpuStorage;
use crate::backend::philox::blocks_used;
use crate::backend::{PhiloxDraw, Storage};
use crate::{DType, Device, Layout};
use parking_lot::RwLock;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;

/// A Rust type that maps to a [`DType`]: `f32`, `f64`, `i64`, `bool`.
pub trait HostElement: Copy + Send + Sync + 'static {
    const DTYPE: DType;
    fn into_storage(v: Vec<Self>) -> CpuStorage;
    fn from_storage(s: CpuStorage) -> Vec<Self>;
}

macro_rules! host_element {
    ($t:ty, $dt:ident, $variant:ident) => {
        impl HostElement for $t {
            const DTYPE: DType = DType::$dt;
            fn into_storage(v: Vec<Self>) -> CpuStorage {
                CpuStorage::$variant(v)
            }
            fn from_storage(mut s: CpuStorage) -> Vec<Self> {
                // Taken, not moved: CpuStorage gives its buffer back to a cache on drop.
                match &mut s {
                    CpuStorage::$variant(v) => std::mem::take(v),
                    other => panic!(
                        "to_vec: tensor has dtype {}, asked for {}",
                        crate::backend::BackendStorage::dtype(other),
                        DType::$dt
                    ),
                }
            }
        }
    };
}
host_element!(f32, F32, F32);
host_element!(f64, F64, F64);
host_element!(i64, I64, I64);

impl HostElement for bool {
    const DTYPE: DType = DType::Bool;
    fn into_storage(v: Vec<Self>) -> CpuStorage {
        CpuStorage::Bool(v.into_iter().map(u8::from).collect())
    }
    fn from_storage(s: CpuStorage) -> Vec<Self> {
        match &s {
            CpuStorage::Bool(v) => v.iter().map(|&b| b != 0).collect(),
            other => panic!(
                "to_vec: tensor has dtype {}, asked for bool",
                crate::backend::BackendStorage::dtype(other)
            ),
        }
    }
}

/// A seeded random generator with two streams: ChaCha8 on the host (parameter initialisation,
/// shuffling, [`Tensor::rand`]/[`Tensor::randn`]), and a Philox counter for values drawn on a
/// tensor's own device ([`Tensor::rand_philox`], dropout masks), like PyTorch's CPU generator and
/// its CUDA `philox_seed_offset`. The streams are independent: drawing from one never moves the
/// other. Both are reproducible across runs, platforms and devices.
#[derive(Clone, Debug)]
pub struct Generator {
    rng: ChaCha8Rng,
    philox: PhiloxDraw,
}

/// The full state of a [`Generator`], to save beside a checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratorState {
    pub seed: [u8; 32],
    pub word_pos: u128,
    /// The Philox stream's key and next counter block.
    pub philox_seed: u64,
    pub philox_offset: u64,
}

impl Generator {
    /// The host stream is ChaCha8 seeded from `seed`; the Philox stream has key `seed` and
    /// starts at counter block 0.
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            philox: PhiloxDraw { seed, offset: 0 },
        }
    }

    pub fn state(&self) -> GeneratorState {
        GeneratorState {
            seed: self.rng.get_seed(),
            word_pos: self.rng.get_word_pos(),
            philox_seed: self.philox.seed,
            philox_offset: self.philox.offset,
        }
    }

    pub fn from_state(state: &GeneratorState) -> Generator {
        let mut rng = ChaCha8Rng::from_seed(state.seed);
        rng.set_word_pos(state.word_pos);
        Generator {
            rng,
            philox: PhiloxDraw {
                seed: state.philox_seed,
                offset: state.philox_offset,
            },
        }
    }

    /// Reserves the Philox counter blocks of a draw of `numel` values of `dtype` and names them:
    /// the next draw starts after them.
    pub fn philox_draw(&mut self, numel: usize, dtype: DType) -> PhiloxDraw {
        let draw = self.philox;
        self.philox.offset = self.philox.offset.wrapping_add(blocks_used(numel, dtype));
        draw
    }

    /// A uniform value in `[0, 1)`.
    pub fn uniform(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// A standard normal value.
    pub fn normal(&mut self) -> f64 {
        self.rng.sample(rand_distr::StandardNormal)
    }

    /// A uniform integer in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.rng.random_range(0..n)
    }

    /// Shuffles `items` in place (Fisher–Yates, drawing with [`Generator::below`]), so a seed
    /// fixes the permutation on every platform.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Every constructor that takes a device panics when the device cannot hold the dtype asked for
/// (float64 on a wgpu adapter without SHADER_F64), with the message its `try_` form returns;
/// [`Device::check_dtype`] asks first. A shape that `data` does not fill is a programmer error
/// and panics in both forms.
impl Tensor {
    /// A leaf from host data on `device`, or the device's refusal.
    pub(crate) fn try_from_cpu(data: CpuStorage, shape: &[usize], device: &Device) -> crate::Result<Tensor> {
        assert_eq!(
            data.len(),
            shape.iter().product::<usize>(),
            "from_vec: {} values do not fill shape {shape:?}",
            data.len()
        );
        // The device refuses a dtype it cannot hold (Device::check_dtype's error).
        let storage = Storage::from_cpu(data, device)?;
        Ok(Tensor::leaf(
            Arc::new(RwLock::new(storage)),
            Layout::contiguous(shape),
            false,
        ))
    }

    /// A leaf from host data on `device`.
    pub(crate) fn from_cpu(data: CpuStorage, shape: &[usize], device: &Device) -> Tensor {
        device_ok(Tensor::try_from_cpu(data, shape, device), "from_vec")
    }

    /// A tensor holding `data` (row-major) with `shape`.
    pub fn from_vec<T: HostElement>(data: Vec<T>, shape: &[usize], device: &Device) -> Tensor {
        Tensor::from_cpu(T::into_storage(data), shape, device)
    }

    /// [`Tensor::from_vec`], returning the device's refusal instead of panicking.
    pub fn try_from_vec<T: HostElement>(data: Vec<T>, shape: &[usize], device: &Device) -> crate::Result<Tensor> {
        Tensor::try_from_cpu(T::into_storage(data), shape, device)
    }

    /// A tensor copied from a slice.
    pub fn from_slice<T: HostElement>(data: &[T], shape: &[usize], device: &Device) -> Tensor {
        Tensor::from_vec(data.to_vec(), shape, device)
    }

    /// [`Tensor::from_slice`], returning the device's refusal instead of panicking.
    pub fn try_from_slice<T: HostElement>(data: &[T], shape: &[usize], device: &Device) -> crate::Result<Tensor> {
        Tensor::try_from_vec(data.to_vec(), shape, device)
    }

    /// Values given as `f64`, converted to `dtype`.
    pub fn from_f64s(data: &[f64], shape: &[usize], dtype: DType, device: &Device) -> Tensor {
        device_ok(Tensor::try_from_f64s(data, shape, dtype, device), "from_f64s")
    }

    /// [`Tensor::from_f64s`], returning the device's refusal instead of panicking.
    pub fn try_from_f64s(data: &[f64], shape: &[usize], dtype: DType, device: &Device) -> crate::Result<Tensor> {
        let cpu = CpuStorage::F64(data.to_vec());
        let converted = crate::backend::BackendStorage::to_dtype(&cpu, &Layout::contiguous(&[data.len()]), dtype)?;
        Tensor::try_from_cpu(converted, shape, device)
    }

    /// A 0-dimensional tensor.
    pub fn scalar(value: f64, dtype: DType, device: &Device) -> Tensor {
        Tensor::full(&[], value, dtype, device)
    }

    pub fn full(shape: &[usize], value: f64, dtype: DType, device: &Device) -> Tensor {
        device_ok(Tensor::try_full(shape, value, dtype, device), "full")
    }

    /// [`Tensor::full`] (and so `zeros`, `ones`, `scalar`), returning the device's refusal
    /// instead of panicking.
    pub fn try_full(shape: &[usize], value: f64, dtype: DType, device: &Device) -> crate::Result<Tensor> {
        Tensor::try_from_cpu(CpuStorage::full(shape.iter().product(), value, dtype), shape, device)
    }

    pub fn zeros(shape: &[usize], dtype: DType, device: &Device) -> Tensor {
        Tensor::full(shape, 0.0, dtype, device)
    }

    pub fn ones(shape: &[usize], dtype: DType, device: &Device) -> Tensor {
        Tensor::full(shape, 1.0, dtype, device)
    }

    pub fn zeros_like(&self) -> Tensor {
        Tensor::zeros(self.shape(), self.dtype(), self.device())
    }

    pub fn ones_like(&self) -> Tensor {
        Tensor::ones(self.shape(), self.dtype(), self.device())
    }

    pub fn full_like(&self, value: f64) -> Tensor {
        Tensor::full(self.shape(), value, self.dtype(), self.device())
    }

    /// A 0-d tensor of `self`'s dtype and device (the scalar operand of broadcast ops).
    pub fn scalar_like(&self, value: f64) -> Tensor {
        Tensor::scalar(value, self.dtype(), self.device())
    }

    /// `start, start + step, …` below `end` (above it for a negative step), like `torch.arange`.
    pub fn arange(start: f64, end: f64, step: f64, dtype: DType, device: &Device) -> Tensor {
        assert!(step != 0.0, "arange: step must be non-zero");
        let n = ((end - start) / step).ceil().max(0.0) as usize;
        let values: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
        Tensor::from_f64s(&values, &[n], dtype, device)
    }

    /// The `n × n` identity.
    pub fn eye(n: usize, dtype: DType, device: &Device) -> Tensor {
        let mut values = vec![0.0; n * n];
        for i in 0..n {
            values[i * n + i] = 1.0;
        }
        Tensor::from_f64s(&values, &[n, n], dtype, device)
    }

    /// Uniform values in `[0, 1)`.
    pub fn rand(shape: &[usize], dtype: DType, device: &Device, gen: &mut Generator) -> Tensor {
        let n: usize = shape.iter().product();
        let data = match dtype {
            DType::F32 => CpuStorage::F32((0..n).map(|_| gen.rng.random::<f32>()).collect()),
            DType::F64 => CpuStorage::F64((0..n).map(|_| gen.uniform()).collect()),
            other => panic!("rand: expected a float dtype, got {other}"),
        };
        Tensor::from_cpu(data, shape, device)
    }

    /// Uniform values in `[0, 1)` drawn on `device` itself from `gen`'s Philox stream (nothing
    /// crosses from the host): the same values on every device, for any thread count. The
    /// values are fixed by the generator's Philox state, not by its host stream (see
    /// [`crate::backend::philox`] for the exact rule).
    pub fn rand_philox(shape: &[usize], dtype: DType, device: &Device, gen: &mut Generator) -> Tensor {
        assert!(dtype.is_float(), "rand_philox: expected a float dtype, got {dtype}");
        // Asked first so the refusal reads as every other way's (the kernel's names itself).
        device_ok(device.check_dtype(dtype), "rand_philox");
        let n: usize = shape.iter().product();
        let storage = device_ok(
            Storage::rand_uniform(device, n, dtype, gen.philox_draw(n, dtype)),
            "rand_philox",
        );
        Tensor::leaf(Arc::new(RwLock::new(storage)), Layout::contiguous(shape), false)
    }

    /// Standard normal values.
    pub fn randn(shape: &[usize], dtype: DType, device: &Device, gen: &mut Generator) -> Tensor {
        let n: usize = shape.iter().product();
        let data = match dtype {
            DType::F32 => CpuStorage::F32(
                (0..n)
                    .map(|_| gen.rng.sample::<f32, _>(rand_distr::StandardNormal))
                    .collect(),
            ),
            DType::F64 => CpuStorage::F64((0..n).map(|_| gen.normal()).collect()),
            other => panic!("randn: expected a float dtype, got {other}"),
        };
        Tensor::from_cpu(data, shape, device)
    }

    /// Uniform values in `[low, high)`.
    pub fn uniform(shape: &[usize], low: f64, high: f64, dtype: DType, device: &Device, gen: &mut Generator) -> Tensor {
        Tensor::rand(shape, dtype, device, gen).affine(high - low, low)
    }

    /// A copy of the values on `device`, as a new leaf (gradients do not flow back through the
    /// move; build the graph on the device you compute on).
    pub fn to_device(&self, device: &Device) -> Tensor {
        device_ok(self.try_to_device(device), "to_device")
    }

    /// [`Tensor::to_device`], returning the device's refusal (or a failed read-back from the
    /// source device) instead of panicking.
    pub fn try_to_device(&self, device: &Device) -> crate::Result<Tensor> {
        // Asked before the read-back, which would be wasted on a refusal.
        device.check_dtype(self.dtype())?;
        let host = self.storage().to_cpu(self.layout())?;
        Tensor::try_from_cpu(host, self.shape(), device)
    }

    /// A contiguous host copy of the elements.
    pub(crate) fn to_cpu(&self) -> CpuStorage {
        device_ok(self.storage().to_cpu(self.layout()), "to_vec")
    }

    /// The elements in row-major order; `T` must match the dtype.
    pub fn to_vec<T: HostElement>(&self) -> Vec<T> {
        T::from_storage(self.to_cpu())
    }

    /// The elements converted to `f64`, whatever the dtype.
    pub fn to_f64_vec(&self) -> Vec<f64> {
        self.to_cpu().to_f64_vec()
    }

    /// The value of a one-element tensor as `f64` (PyTorch's `item()`).
    pub fn item(&self) -> f64 {
        assert_eq!(
            self.numel(),
            1,
            "item: a tensor with {} elements (shape {:?}) is not a scalar",
            self.numel(),
            self.shape()
        );
        self.to_f64_vec()[0]
    }
}

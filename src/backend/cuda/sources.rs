//! The CUDA C of `kernels/`, embedded in the binary, and its compilation by NVRTC.
//!
//! A kernel file `kernels/NAME.cu` is compiled as the prelude `kernels/common.cuh` followed by
//! the file's text (so kernel files include nothing of the project), with `-std=c++17`, to PTX
//! for one virtual architecture (`compute_XY` of the device). The module cache
//! ([`super::context::Context::function`]) does this once per file and process; the CI check
//! ([`compile_all_kernels`]) runs the very same function for `compute_90` without a GPU.

use cudarc::nvrtc::{CompileError, CompileOptions, Ptx};

use crate::{Error, Result};

/// The prelude prepended to every kernel file.
pub const COMMON: &str = include_str!("../../../kernels/common.cuh");

/// Every kernel file: (name, text). To add a kernel file, add its line here; the module cache
/// and `tests/cuda_kernels.rs` pick it up from this table.
pub const KERNEL_FILES: &[(&str, &str)] = &[
    ("arg_reduce", include_str!("../../../kernels/arg_reduce.cu")),
    ("binary", include_str!("../../../kernels/binary.cu")),
    ("channel", include_str!("../../../kernels/channel.cu")),
    ("compare", include_str!("../../../kernels/compare.cu")),
    ("convert", include_str!("../../../kernels/convert.cu")),
    ("copy", include_str!("../../../kernels/copy.cu")),
    ("gemm", include_str!("../../../kernels/gemm.cu")),
    ("index", include_str!("../../../kernels/index.cu")),
    ("max_pool2d", include_str!("../../../kernels/max_pool2d.cu")),
    ("reduce", include_str!("../../../kernels/reduce.cu")),
    ("unary", include_str!("../../../kernels/unary.cu")),
    ("where", include_str!("../../../kernels/where.cu")),
];

/// The text of kernel file `name`; an unknown name is a programmer error.
pub fn kernel_text(name: &str) -> &'static str {
    KERNEL_FILES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
        .unwrap_or_else(|| panic!("cuda: no kernel file kernels/{name}.cu in KERNEL_FILES"))
}

/// Whether the NVRTC library can be loaded (asking first: cudarc panics on a missing library).
pub fn nvrtc_available() -> bool {
    // SAFETY: only tries to load the library; no NVRTC function is called.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// Why NVRTC is missing, with how to get it.
pub fn nvrtc_missing() -> Error {
    Error::Device(
        "cuda: the NVRTC library (libnvrtc.so) was not found, so the CUDA kernels cannot be \
         compiled; install the CUDA toolkit or `python3 -m pip install nvidia-cuda-nvrtc` and put \
         its `nvidia/cu13/lib` folder on LD_LIBRARY_PATH"
            .into(),
    )
}

/// Compiles `body` (the text of a kernel file) behind the prelude for `arch`
/// (e.g. `compute_90`). The error carries NVRTC's log, which names the file (`name.cu`), the
/// line and the identifier at fault.
pub fn compile_text(name: &str, body: &str, arch: &str) -> Result<Ptx> {
    if !nvrtc_available() {
        return Err(nvrtc_missing());
    }
    let text = format!("{COMMON}\n{body}");
    let opts = CompileOptions {
        name: Some(format!("{name}.cu")),
        options: vec![format!("--gpu-architecture={arch}"), "-std=c++17".to_string()],
        ..Default::default()
    };
    cudarc::nvrtc::compile_ptx_with_opts(text, opts).map_err(|e| match e {
        CompileError::CompileError { log, .. } => Error::Device(format!(
            "cuda: NVRTC could not compile kernels/{name}.cu for {arch}:\n{}",
            log.to_string_lossy()
        )),
        other => Error::Device(format!("cuda: NVRTC failed on kernels/{name}.cu for {arch}: {other}")),
    })
}

/// Compiles `body` behind the prelude for `arch` and keeps only the verdict: `Err` holds
/// NVRTC's log. For checks of kernel text that is not (yet) in [`KERNEL_FILES`].
pub fn check_kernel_text(name: &str, body: &str, arch: &str) -> Result<()> {
    compile_text(name, body, arch).map(|_| ())
}

/// Compiles kernel file `name` of [`KERNEL_FILES`] for `arch`.
pub fn compile_file(name: &str, arch: &str) -> Result<Ptx> {
    compile_text(name, kernel_text(name), arch)
}

/// Compiles every kernel file for `arch` (no device needed), returning each file's result
/// (the error holds NVRTC's log). `Err` when NVRTC itself is missing.
pub fn compile_all_kernels(arch: &str) -> Result<Vec<(&'static str, Result<()>)>> {
    if !nvrtc_available() {
        return Err(nvrtc_missing());
    }
    Ok(KERNEL_FILES
        .iter()
        .map(|&(name, _)| (name, compile_file(name, arch).map(|_| ())))
        .collect())
}

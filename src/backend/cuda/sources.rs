//! The CUDA C of `kernels/`, embedded in the binary, and its compilation by NVRTC.
//!
//! A kernel file `kernels/NAME.cu` is compiled as the prelude `kernels/common.cuh` followed by
//! the file's text (so kernel files include nothing of the project), with `-std=c++17`, to a
//! CUBIN for the device's architecture (`sm_XY`), or to PTX for a virtual one. The module cache
//! ([`super::context::Context::function`]) does this once per file and process; the CI check
//! ([`compile_all_kernels`]) runs the very same function for `compute_90` without a GPU.

use std::ffi::CString;

use cudarc::nvrtc::{result, sys, Ptx};

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
    ("random", include_str!("../../../kernels/random.cu")),
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

/// Destroys an NVRTC program when dropped.
struct Program(sys::nvrtcProgram);

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: created by `create_program`, destroyed once, here.
        let _ = unsafe { result::destroy_program(self.0) };
    }
}

/// NVRTC's text output (a log or PTX) without its terminating NUL.
fn text_of(chars: &[std::ffi::c_char]) -> String {
    let bytes: Vec<u8> = chars.iter().map(|&c| c as u8).take_while(|&b| b != 0).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Compiles `body` (the text of a kernel file) behind the prelude for `arch`: a real
/// architecture (`sm_90`) gives a CUBIN, which a driver of the same CUDA major version loads
/// even when NVRTC is newer than the driver (PTX from a newer NVRTC would not JIT there); a
/// virtual one (`compute_90`) gives PTX. The error carries NVRTC's log, which names the file
/// (`name.cu`), the line and the identifier at fault.
pub fn compile_text(name: &str, body: &str, arch: &str) -> Result<Ptx> {
    if !nvrtc_available() {
        return Err(nvrtc_missing());
    }
    let fail = |what: &str, e: result::NvrtcError| {
        Error::Device(format!(
            "cuda: NVRTC {what} failed on kernels/{name}.cu for {arch}: {e:?}"
        ))
    };
    let text = CString::new(format!("{COMMON}\n{body}")).expect("kernel text has no NUL byte");
    let file = CString::new(format!("{name}.cu")).expect("kernel name has no NUL byte");
    let program = Program(result::create_program(&text, Some(&file)).map_err(|e| fail("creating the program", e))?);
    let options = [format!("--gpu-architecture={arch}"), "-std=c++17".to_string()];
    // SAFETY (every call below): `program` is a live program of this text.
    if unsafe { result::compile_program(program.0, &options) }.is_err() {
        let log = unsafe { result::get_program_log(program.0) }.map_err(|e| fail("reading the log", e))?;
        return Err(Error::Device(format!(
            "cuda: NVRTC could not compile kernels/{name}.cu for {arch}:\n{}",
            text_of(&log)
        )));
    }
    if arch.starts_with("sm_") {
        let mut size = 0usize;
        unsafe { sys::nvrtcGetCUBINSize(program.0, &mut size) }
            .result()
            .map_err(|e| fail("sizing the CUBIN", e))?;
        let mut cubin = vec![0u8; size];
        unsafe { sys::nvrtcGetCUBIN(program.0, cubin.as_mut_ptr().cast()) }
            .result()
            .map_err(|e| fail("reading the CUBIN", e))?;
        Ok(Ptx::from_binary(cubin))
    } else {
        let ptx = unsafe { result::get_ptx(program.0) }.map_err(|e| fail("reading the PTX", e))?;
        Ok(Ptx::from_src(text_of(&ptx)))
    }
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

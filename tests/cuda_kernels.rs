//! Every CUDA kernel file compiles: NVRTC compiles each `kernels/*.cu` (behind the prelude, the
//! same code path as the module cache) for `compute_90` (PTX) and `sm_90` (CUBIN, what the module
//! cache builds on an H100/H200), with no GPU or driver needed. A broken
//! kernel therefore fails CI even though CI has no GPU.
//!
//! Without NVRTC (libnvrtc.so on the library path) the tests skip with a printed reason, unless
//! `LEARNLOSS_REQUIRE_NVRTC=1`, which makes its absence a failure (CI sets it).

use learnloss::backend::cuda;

const ARCH: &str = "compute_90";

/// Whether NVRTC is here; panics when it is required but missing.
fn nvrtc_or_skip(test: &str) -> bool {
    if cuda::nvrtc_available() {
        return true;
    }
    if std::env::var("LEARNLOSS_REQUIRE_NVRTC").is_ok_and(|v| v == "1") {
        panic!(
            "LEARNLOSS_REQUIRE_NVRTC=1 but NVRTC (libnvrtc.so) cannot be loaded (or this build has no `cuda` feature)"
        );
    }
    eprintln!("skipping {test}: NVRTC (libnvrtc.so) is not on the library path");
    false
}

/// Compiles every kernel file for `arch`; panics with every failing file's log.
fn compile_all(arch: &str) {
    let results = cuda::compile_all_kernels(arch).expect("NVRTC is available");
    assert!(!results.is_empty(), "no kernel files are registered");
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("kernels/{name}.cu: {e}")))
        .collect();
    assert!(
        failures.is_empty(),
        "kernels that do not compile for {arch}:\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn every_kernel_file_compiles_for_compute_90() {
    if nvrtc_or_skip("every_kernel_file_compiles_for_compute_90") {
        compile_all(ARCH);
    }
}

/// The device path compiles to a CUBIN for the real architecture (sm_90 on an H100/H200):
/// register allocation and the assembler run too.
#[test]
fn every_kernel_file_assembles_for_sm_90() {
    if nvrtc_or_skip("every_kernel_file_assembles_for_sm_90") {
        compile_all("sm_90");
    }
}

/// A .cu file missing from KERNEL_FILES would be neither compiled by these tests nor loadable.
#[cfg(feature = "cuda")]
#[test]
fn every_kernel_file_on_disk_is_registered() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("kernels");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("kernels/ exists")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".cu").map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut registered: Vec<String> = cuda::KERNEL_FILES.iter().map(|(n, _)| n.to_string()).collect();
    registered.sort();
    assert_eq!(on_disk, registered, "kernels/*.cu and KERNEL_FILES differ");
}

#[test]
fn a_broken_kernel_fails_with_a_log_naming_the_identifier() {
    if !nvrtc_or_skip("a_broken_kernel_fails_with_a_log_naming_the_identifier") {
        return;
    }
    let good = r#"extern "C" __global__ void ok_f32(float* out, ll_i64 n) { LL_FOR_EACH(i, n) { out[i] = 1.0f; } }"#;
    cuda::check_kernel_text("good", good, ARCH).expect("a correct kernel using the prelude compiles");
    let broken = r#"extern "C" __global__ void bad_f32(float* out, ll_i64 n) { LL_FOR_EACH(i, n) { out[i] = undefined_name_xyz; } }"#;
    let err = cuda::check_kernel_text("broken", broken, ARCH).expect_err("an undefined identifier must not compile");
    let msg = err.to_string();
    assert!(
        msg.contains("undefined_name_xyz") && msg.contains("broken.cu"),
        "the error should name the file and the identifier: {msg}"
    );
}

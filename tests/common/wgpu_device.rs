//! The wgpu device for tests that need one: `None` (with the reason printed) when this machine
//! has no adapter, a failure instead when `LEARNLOSS_REQUIRE_WGPU=1` says one must exist.
// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use learnloss::Device;

/// The wgpu device, or `None` after printing why `what` is skipped.
pub fn wgpu_or_skip(what: &str) -> Option<Device> {
    match Device::wgpu() {
        Ok(device) => Some(device),
        Err(e) if std::env::var("LEARNLOSS_REQUIRE_WGPU").is_ok_and(|v| v == "1") => {
            panic!("LEARNLOSS_REQUIRE_WGPU=1 but wgpu is unavailable: {e}")
        }
        Err(e) => {
            eprintln!("skipping {what}: {e}");
            None
        }
    }
}

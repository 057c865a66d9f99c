//! Index faults found on the device. Kernels cannot fail the op that launched them (ops never
//! wait), so one that meets an out-of-range index records it in the device's fault record
//! (`ll_report_index_fault` in kernels/common.cuh) and the host reports it as an error at the
//! next read-back or synchronize.

use cudarc::driver::{CudaSlice, CudaStream};

use crate::{Error, Result};

/// Words of the record: flag, op code, index, size, dim (and padding).
pub const WORDS: usize = 8;

/// The op of a fault code (`LL_FAULT_*` in kernels/common.cuh).
fn op_name(code: u64) -> &'static str {
    match code {
        1 => "gather",
        2 => "scatter_add",
        3 => "index_select",
        4 => "max_pool2d_backward",
        _ => "an indexing kernel",
    }
}

/// Reads the record (after the stream has drained) and clears it; `Err` describes a fault.
pub fn check(stream: &std::sync::Arc<CudaStream>, record: &mut CudaSlice<u64>) -> Result<()> {
    let words = stream
        .clone_dtoh(record)
        .map_err(|e| Error::Device(format!("cuda: reading the fault record failed: {e}")))?;
    if words[0] == 0 {
        return Ok(());
    }
    stream
        .memset_zeros(record)
        .map_err(|e| Error::Device(format!("cuda: clearing the fault record failed: {e}")))?;
    Err(Error::Device(format!(
        "cuda: {}: index {} is out of bounds for dimension {} with size {} (found on the device by \
         an op queued before this read-back; its output holds zeros there)",
        op_name(words[1]),
        words[2] as i64,
        words[4],
        words[3]
    )))
}

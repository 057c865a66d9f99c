// Shared part of the register-blocked products for software adapters (matmul_lanes and the
// conv_lanes_* shaders). Mesa's llvmpipe and lavapipe run a workgroup's invocations as the lanes
// of CPU SIMD registers, where every load from a storage buffer is a scalar loop over the lanes
// with a bounds check each, costing far more than the arithmetic, while registers are plentiful
// (the compiler spills to the stack with vector moves), and a barrier is a coroutine switch.
// So each invocation computes a block of TM rows × TN columns of C[row, col] = Σ A[row, ·] ·
// B[·, col] in registers, loading TM + TN values per TM · TN multiply-adds, with no workgroup
// memory and no barriers. src/backend/wgpu/lanes.rs writes the block's repeated lines (the
// tokens ROWS, COLUMNS, TAPS, STEP and STORE): a name ending in a digit belongs to one column
// (`ok3`) or one group of four rows (`a1`, `acc3_1`). Terms that do not count (a tap in the
// padding, a column past the end) read a valid element and are selected away, so no loop
// branches per invocation.
//
// Bindings: src_a = the row operand, src_b = the column operand, out = C placed in the output.

@group(0) @binding(1) var<storage, read> src_a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> src_b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

// Rows and columns of C per invocation.
const TM: u32 = {{TM}}u;
const TN: u32 = {{TN}}u;

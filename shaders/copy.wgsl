// Strided copy of elements of {{W}} 32-bit words (any dtype): operand 0 is the source layout,
// operand 1 the destination layout. Contiguous copies, cat and pad are all this kernel.

@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let s = operand_offset(0u, i) * {{W}}u;
    let d = operand_offset(1u, i) * {{W}}u;
    for (var w = 0u; w < {{W}}u; w++) {
        dst[d + w] = src[s + w];
    }
}

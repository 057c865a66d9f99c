// Per-channel affine combination of [N, C, *] tensors (batch norm's passes), one thread per
// output element: out[i] = {{VALUE}}, e.g. (xa - centre_a[c])·scale_a[c] + … + shift[c].
// The launch shape is the (merged) output shape with operands xa and, for two terms, xb; the
// channel comes from the contiguous output index: param 0 = C, param 1 = the elements per
// (n, c) plane. `pc` packs the per-channel vectors: centre_a, scale_a[, centre_b, scale_b]
// [, shift], C each. With one term xb is bound to xa's buffer and not read.

@group(0) @binding(1) var<storage, read> xa: array<{{T}}>;
@group(0) @binding(2) var<storage, read> xb: array<{{T}}>;
@group(0) @binding(3) var<storage, read> pc: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let cn = param(0u);
    let c = (i / param(1u)) % cn;
    out[i] = {{VALUE}};
}

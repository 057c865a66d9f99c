// Adjoint of max-pool: one thread per (n, c) plane walks the plane's outputs in order and adds
// each gradient at its index, so overlapping windows accumulate deterministically in the CPU's
// order with no atomics. Launch shape [N, C, OH, OW] with operand 0 = gradient strides and
// operand 1 = indices (int64 words) strides; param 0 = H·W; `out` starts zeroed.

@group(0) @binding(1) var<storage, read> g: array<{{T}}>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let p = linear_id(wid, nwg, lid);
    let c_n = dim_size(1u);
    if (p >= dim_size(0u) * c_n) { return; }
    let nb = p / c_n;
    let ch = p % c_n;
    let go = HEADER + 4u;
    let io = go + 5u;
    let plane = param(0u);
    for (var oh = 0u; oh < dim_size(2u); oh++) {
        for (var ow = 0u; ow < dim_size(3u); ow++) {
            let gv = g[lay[go] + nb * lay[go + 1u] + ch * lay[go + 2u] + oh * lay[go + 3u] + ow * lay[go + 4u]];
            let at = index[2u * (lay[io] + nb * lay[io + 1u] + ch * lay[io + 2u] + oh * lay[io + 3u] + ow * lay[io + 4u])];
            out[p * plane + at] = out[p * plane + at] + gv;
        }
    }
}

// Per-channel centred dot product of two [N, C, *] tensors: out[c] = Σ (a - sa[c])·(b - sb[c]).
// One workgroup per channel: threads stride over the channel's N·inner elements in a fixed
// order, then a tree in workgroup memory adds their partial sums (deterministic, no atomics).
// The launch shape is [N, C, inner dims (merged where both operands allow)], operands a and b;
// param 0 = the elements per (n, c) plane. `pc` packs sa then sb, C each.

@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read> pc: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> out: array<{{T}}>;

var<workgroup> partial: array<{{T}}, {{WG}}>;

// Storage offset (relative to the plane's start) of element `j` of an (n, c) plane of operand
// `op`: the dims after the channel dim.
fn plane_offset(op: u32, j: u32) -> u32 {
    let r = rank();
    let base = HEADER + r + op * (r + 1u);
    var rem = j;
    var off = 0u;
    for (var d = i32(r) - 1; d >= 2; d--) {
        let size = lay[HEADER + u32(d)];
        off += (rem % size) * lay[base + 1u + u32(d)];
        rem = rem / size;
    }
    return off;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let cn = dim_size(1u);
    let c = group_id(wid, nwg);
    let valid = c < cn;
    let ch = select(0u, c, valid);
    // Launch constants read once (software drivers do not hoist storage loads out of loops).
    let inner = param(0u);
    let count = select(0u, dim_size(0u) * inner, valid);
    let r = rank();
    let ao = HEADER + r;
    let bo = ao + r + 1u;
    let a0 = lay[ao] + ch * lay[ao + 2u];
    let b0 = lay[bo] + ch * lay[bo + 2u];
    let an = lay[ao + 1u];
    let bn = lay[bo + 1u];
    let ma = pc[ch];
    let mb = pc[cn + ch];
    var acc = {{T}}(0.0);
    if (r == 2u) {
        for (var q = lid.x; q < count; q += WG) {
            acc = acc + (a[a0 + q * an] - ma) * (b[b0 + q * bn] - mb);
        }
    } else if (r == 3u) {
        // One (merged) inner dim: no division beyond n and j.
        let ajs = lay[ao + 3u];
        let bs = lay[bo + 3u];
        for (var q = lid.x; q < count; q += WG) {
            let n = q / inner;
            let j = q - n * inner;
            acc = acc + (a[a0 + n * an + j * ajs] - ma) * (b[b0 + n * bn + j * bs] - mb);
        }
    } else {
        for (var q = lid.x; q < count; q += WG) {
            let n = q / inner;
            let j = q - n * inner;
            acc = acc + (a[a0 + n * an + plane_offset(0u, j)] - ma) * (b[b0 + n * bn + plane_offset(1u, j)] - mb);
        }
    }
    partial[lid.x] = acc;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid.x < s) {
            partial[lid.x] = partial[lid.x] + partial[lid.x + s];
        }
        workgroupBarrier();
    }
    if (lid.x == 0u && valid) {
        out[c] = partial[0];
    }
}

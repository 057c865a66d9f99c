// out[o] = base[o] ⊕ src[j] over index positions j that agree with o off `dim` and whose index
// equals o[dim], ⊕ being `combine`: the dtype's sum (wrapping on int64's word pair) or, for
// bool, logical or. Gathering per output instead of scattering: deterministic, no atomics, and
// the terms are combined in index order like the CPU. Launch shape = base (output) shape,
// operand 0 = base; params: 0 = dim, 1 = the index's length along dim, 2 = where the index and
// source descriptions start: [index offset, index strides (rank), src offset, src strides,
// index shape (rank)].

{{ELEM}}

fn combine(acc: {{T}}, v: {{T}}) -> {{T}} {
    return {{COMBINE}};
}

@group(0) @binding(1) var<storage, read> base: array<{{T}}>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read> src: array<{{T}}>;
@group(0) @binding(4) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = linear_id(wid, nwg, lid);
    if (o >= numel()) { return; }
    let dim = param(0u);
    let len = param(1u);
    let ex = param(2u);
    let r = rank();
    var acc = base[operand_offset(0u, o)];
    // Offsets of the index/source row through o (coordinate dim left at 0); o must lie inside
    // the index's shape off dim, or nothing lands on it.
    var ioff = lay[ex];
    var soff = lay[ex + 1u + r];
    var inside = true;
    var rem = o;
    var want = 0u;
    for (var d = i32(r) - 1; d >= 0; d--) {
        let size = dim_size(u32(d));
        let c = rem % size;
        rem = rem / size;
        if (u32(d) == dim) {
            want = c;
        } else {
            if (c >= lay[ex + 2u + 2u * r + u32(d)]) { inside = false; }
            ioff += c * lay[ex + 1u + u32(d)];
            soff += c * lay[ex + 2u + r + u32(d)];
        }
    }
    if (inside) {
        let istride = lay[ex + 1u + dim];
        let sstride = lay[ex + 2u + r + dim];
        for (var j = 0u; j < len; j++) {
            if (index[2u * (ioff + j * istride)] == want) {
                acc = combine(acc, src[soff + j * sstride]);
            }
        }
    }
    out[o] = acc;
}

// One workgroup per output element: threads stride over the reduced elements, then a tree in
// workgroup memory combines their partial results. The launch shape is the output shape (reduced
// dims = 1) with operand 0 the source; param 0 is where the reduced dims' description starts:
// [count, rank, shape..., strides...].

@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;

var<workgroup> partial: array<{{T}}, {{WG}}>;
// Whether a thread's partial holds any element: max/min have no literal identity in WGSL (no
// infinities), so empty partials are skipped instead.
var<workgroup> filled: array<u32, {{WG}}>;

{{ELEM}}

fn combine(a: {{T}}, b: {{T}}) -> {{T}} {
    {{COMBINE}}
}

// Storage offset (relative) of reduced element `r`.
fn reduced_offset(r: u32) -> u32 {
    let base = param(0u);
    let rr = lay[base + 1u];
    var rem = r;
    var off = 0u;
    for (var d = i32(rr) - 1; d >= 0; d--) {
        let size = lay[base + 2u + u32(d)];
        off += (rem % size) * lay[base + 2u + rr + u32(d)];
        rem = rem / size;
    }
    return off;
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = group_id(wid, nwg);
    let valid = o < numel();
    let count = select(0u, lay[param(0u)], valid);
    let base = select(0u, operand_offset(0u, o), valid);
    var acc = {{T}}(0);
    var has = 0u;
    for (var r = lid.x; r < count; r += WG) {
        let v = src[base + reduced_offset(r)];
        if (has == 1u) { acc = combine(acc, v); } else { acc = v; has = 1u; }
    }
    partial[lid.x] = acc;
    filled[lid.x] = has;
    workgroupBarrier();
    for (var s = WG / 2u; s > 0u; s = s / 2u) {
        if (lid.x < s && filled[lid.x + s] == 1u) {
            if (filled[lid.x] == 1u) {
                partial[lid.x] = combine(partial[lid.x], partial[lid.x + s]);
            } else {
                partial[lid.x] = partial[lid.x + s];
                filled[lid.x] = 1u;
            }
        }
        workgroupBarrier();
    }
    if (lid.x == 0u && valid) {
        // An empty sum is 0 (the only empty reduction the front end allows).
        out[o] = select({{T}}(0), partial[0], filled[0] == 1u);
    }
}

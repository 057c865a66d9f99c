// One thread per output: the index of the first extreme value along the reduced dim (a NaN wins
// and stops the search, as on the CPU). Launch shape = output shape, operand 0 the source;
// param 0 = length of the dim, param 1 = its stride. Output: int64 as (lo, hi) words.

@group(0) @binding(1) var<storage, read> src: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;

{{ELEM}}

// Whether v replaces the best so far b.
fn better(v: {{T}}, b: {{T}}) -> bool {
    {{BETTER}}
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let base = operand_offset(0u, i);
    let n = param(0u);
    let stride = param(1u);
    var best = 0u;
    var b = src[base];
    for (var j = 1u; j < n; j++) {
        if (e_nan(b)) { break; }
        let v = src[base + j * stride];
        if (e_nan(v) || better(v, b)) {
            best = j;
            b = v;
        }
    }
    out[2u * i] = best;
    out[2u * i + 1u] = 0u;
}

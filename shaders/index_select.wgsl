// out = src with dim `dim` taken at positions index[j]: launch shape = output shape, operand 0 =
// source; params: 0 = dim, 1 = index offset, 2 = index stride (a 1-D int64 tensor, low words).

@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let dim = param(0u);
    let r = rank();
    let sbase = HEADER + r;
    var off = lay[sbase];
    var rem = i;
    for (var d = i32(r) - 1; d >= 0; d--) {
        let size = dim_size(u32(d));
        var c = rem % size;
        rem = rem / size;
        if (u32(d) == dim) { c = index[2u * (param(1u) + c * param(2u))]; }
        off += c * lay[sbase + 1u + u32(d)];
    }
    for (var w = 0u; w < {{W}}u; w++) {
        out[i * {{W}}u + w] = src[off * {{W}}u + w];
    }
}

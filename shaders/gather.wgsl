// out[i] = src[i with dim replaced by index[i]]: launch shape = index shape, operand 0 = source
// (its strides), operand 1 = index (int64 words; the low word is the index); param 0 = dim.
// Elements are {{W}} words (any dtype).

@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read> index: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let dim = param(0u);
    let idx = index[2u * operand_offset(1u, i)];
    let r = rank();
    let sbase = HEADER + r;
    // Source offset: the source strides over i's coordinates, with idx at `dim`.
    var off = lay[sbase];
    var rem = i;
    for (var d = i32(r) - 1; d >= 0; d--) {
        let size = dim_size(u32(d));
        var c = rem % size;
        rem = rem / size;
        if (u32(d) == dim) { c = idx; }
        off += c * lay[sbase + 1u + u32(d)];
    }
    for (var w = 0u; w < {{W}}u; w++) {
        out[i * {{W}}u + w] = src[off * {{W}}u + w];
    }
}

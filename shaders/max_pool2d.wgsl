// Max-pool, one thread per output [N, C, OH, OW] (the launch shape), operand 0 = input
// [N, C, H, W] strides. The first maximum of the window wins (a NaN always wins), as on the
// CPU. The STORE token writes either the value or its int64 index into the H·W plane.
// Params: H, W, KH, KW, stride h/w, padding h/w, dilation h/w.

@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{OUT}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let at = coords4(i);
    let nb = at.x;
    let ch = at.y;
    let oh = at.z;
    let ow = at.w;
    let h = i32(param(0u));
    let w = i32(param(1u));
    let xo = HEADER + 4u;
    let xb = lay[xo] + nb * lay[xo + 1u] + ch * lay[xo + 2u];
    var best = {{T}}(0.0);
    var best_i = -1;
    for (var a = 0u; a < param(2u); a++) {
        let ih = i32(oh * param(4u) + a * param(8u)) - i32(param(6u));
        if (ih < 0 || ih >= h) { continue; }
        for (var c = 0u; c < param(3u); c++) {
            let iw = i32(ow * param(5u) + c * param(9u)) - i32(param(7u));
            if (iw < 0 || iw >= w) { continue; }
            let v = x[xb + u32(ih) * lay[xo + 3u] + u32(iw) * lay[xo + 4u]];
            if (best_i < 0 || v > best || nan_bits(f32(v))) {
                best = v;
                best_i = ih * w + iw;
            }
        }
    }
    {{STORE}}
}

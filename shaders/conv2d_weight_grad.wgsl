// Adjoint of conv2d in its weight, one workgroup per weight element [Cout, Cin, KH, KW] (the
// launch shape): threads stride over (n, oh) rows and walk ow inside, then a tree in workgroup memory adds their
// partial sums. Operand 0 = input [N, Cin, H, W] strides, operand 1 = output gradient
// [N, Cout, OH, OW] strides. Params: N, H, W, OH, OW, stride h/w, padding h/w, dilation h/w.

@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read> g: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

var<workgroup> partial: array<{{T}}, {{WG}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let o = group_id(wid, nwg);
    let valid = o < numel();
    let at = coords4(o);
    let co = at.x;
    let ci = at.y;
    let a = at.z;
    let c = at.w;
    // Launch constants read once (software drivers do not hoist storage loads out of loops).
    let h = i32(param(1u));
    let w = i32(param(2u));
    let oh_n = param(3u);
    let ow_n = param(4u);
    let sh = param(5u);
    let sw = param(6u);
    let ph = i32(param(7u));
    let pw = i32(param(8u));
    let dh = param(9u);
    let dw = param(10u);
    let xo = HEADER + 4u;
    let go = xo + 5u;
    let xs = vec4<u32>(lay[xo + 1u], lay[xo + 2u], lay[xo + 3u], lay[xo + 4u]);
    let gs = vec4<u32>(lay[go + 1u], lay[go + 2u], lay[go + 3u], lay[go + 4u]);
    let x0 = lay[xo] + ci * xs.y;
    let g0 = lay[go] + co * gs.y;
    let rows = select(0u, param(0u) * oh_n, valid);
    var acc = {{T}}(0.0);
    for (var r = lid.x; r < rows; r += WG) {
        let oh = r % oh_n;
        let nb = r / oh_n;
        let ih = i32(oh * sh + a * dh) - ph;
        if (ih < 0 || ih >= h) { continue; }
        let xr = x0 + nb * xs.x + u32(ih) * xs.z;
        let gr = g0 + nb * gs.x + oh * gs.z;
        for (var ow = 0u; ow < ow_n; ow++) {
            let iw = i32(ow * sw + c * dw) - pw;
            if (iw >= 0 && iw < w) {
                acc = acc + x[xr + u32(iw) * xs.w] * g[gr + ow * gs.w];
            }
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
        out[o] = partial[0];
    }
}

// Direct 2-D convolution, one thread per output element [N, Cout, OH, OW] (the launch shape).
// Operand 0 = input [N, Cin, H, W] strides, operand 1 = weight [Cout, Cin, KH, KW] strides.
// Params: Cin, H, W, KH, KW, stride h/w, padding h/w, dilation h/w.

@group(0) @binding(1) var<storage, read> x: array<{{T}}>;
@group(0) @binding(2) var<storage, read> wt: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let at = coords4(i);
    let nb = at.x;
    let co = at.y;
    let oh = at.z;
    let ow = at.w;
    // Every launch constant is read once into a local: software drivers do not hoist storage
    // loads out of the loops.
    let cin = param(0u);
    let h = i32(param(1u));
    let w = i32(param(2u));
    let kh = param(3u);
    let kw = param(4u);
    let sh = param(5u);
    let sw = param(6u);
    let ph = i32(param(7u));
    let pw = i32(param(8u));
    let dh = param(9u);
    let dw = param(10u);
    let xo = HEADER + 4u;
    let wo = xo + 5u;
    let xs = vec4<u32>(lay[xo + 1u], lay[xo + 2u], lay[xo + 3u], lay[xo + 4u]);
    let ws = vec4<u32>(lay[wo + 1u], lay[wo + 2u], lay[wo + 3u], lay[wo + 4u]);
    let x0 = lay[xo] + nb * xs.x;
    let w0 = lay[wo] + co * ws.x;
    var acc = {{T}}(0.0);
    for (var a = 0u; a < kh; a++) {
        let ih = i32(oh * sh + a * dh) - ph;
        if (ih < 0 || ih >= h) { continue; }
        for (var c = 0u; c < kw; c++) {
            let iw = i32(ow * sw + c * dw) - pw;
            if (iw < 0 || iw >= w) { continue; }
            var xi = x0 + u32(ih) * xs.z + u32(iw) * xs.w;
            var wi = w0 + a * ws.z + c * ws.w;
            for (var ci = 0u; ci < cin; ci++) {
                acc = acc + x[xi] * wt[wi];
                xi += xs.y;
                wi += ws.y;
            }
        }
    }
    out[i] = acc;
}

// Adjoint of conv2d in its input (a transposed convolution), one thread per input-gradient
// element [N, Cin, H, W] (the launch shape): the sum over the output positions whose window
// covers it. Operand 0 = output gradient [N, Cout, OH, OW] strides, operand 1 = weight strides.
// Params: Cout, OH, OW, KH, KW, stride h/w, padding h/w, dilation h/w.

@group(0) @binding(1) var<storage, read> g: array<{{T}}>;
@group(0) @binding(2) var<storage, read> wt: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let at = coords4(i);
    let nb = at.x;
    let ci = at.y;
    let ih = at.z;
    let iw = at.w;
    // Launch constants read once (software drivers do not hoist storage loads out of loops).
    let cout = param(0u);
    let oh_n = param(1u);
    let ow_n = param(2u);
    let kh = param(3u);
    let kw = param(4u);
    let sh = param(5u);
    let sw = param(6u);
    let ph = param(7u);
    let pw = param(8u);
    let dh = param(9u);
    let dw = param(10u);
    let go = HEADER + 4u;
    let wo = go + 5u;
    let gs = vec4<u32>(lay[go + 1u], lay[go + 2u], lay[go + 3u], lay[go + 4u]);
    let ws = vec4<u32>(lay[wo + 1u], lay[wo + 2u], lay[wo + 3u], lay[wo + 4u]);
    let g0 = lay[go] + nb * gs.x;
    let w0 = lay[wo] + ci * ws.y;
    var acc = {{T}}(0.0);
    for (var a = 0u; a < kh; a++) {
        let th = i32(ih + ph) - i32(a * dh);
        if (th < 0 || u32(th) % sh != 0u) { continue; }
        let oh = u32(th) / sh;
        if (oh >= oh_n) { continue; }
        for (var c = 0u; c < kw; c++) {
            let tw = i32(iw + pw) - i32(c * dw);
            if (tw < 0 || u32(tw) % sw != 0u) { continue; }
            let ow = u32(tw) / sw;
            if (ow >= ow_n) { continue; }
            var gi = g0 + oh * gs.z + ow * gs.w;
            var wi = w0 + a * ws.z + c * ws.w;
            for (var co = 0u; co < cout; co++) {
                acc = acc + g[gi] * wt[wi];
                gi += gs.y;
                wi += ws.x;
            }
        }
    }
    out[i] = acc;
}

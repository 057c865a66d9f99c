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
    let ow = i % dim_size(3u);
    let oh = (i / dim_size(3u)) % dim_size(2u);
    let co = (i / (dim_size(3u) * dim_size(2u))) % dim_size(1u);
    let nb = i / (dim_size(3u) * dim_size(2u) * dim_size(1u));
    let cin = param(0u);
    let h = i32(param(1u));
    let w = i32(param(2u));
    let kh = param(3u);
    let kw = param(4u);
    let xo = HEADER + 4u;
    let wo = xo + 5u;
    var acc = {{T}}(0.0);
    for (var ci = 0u; ci < cin; ci++) {
        let xb = lay[xo] + nb * lay[xo + 1u] + ci * lay[xo + 2u];
        let wb = lay[wo] + co * lay[wo + 1u] + ci * lay[wo + 2u];
        for (var a = 0u; a < kh; a++) {
            let ih = i32(oh * param(5u) + a * param(9u)) - i32(param(7u));
            if (ih < 0 || ih >= h) { continue; }
            for (var c = 0u; c < kw; c++) {
                let iw = i32(ow * param(6u) + c * param(10u)) - i32(param(8u));
                if (iw < 0 || iw >= w) { continue; }
                acc = acc + x[xb + u32(ih) * lay[xo + 3u] + u32(iw) * lay[xo + 4u]]
                    * wt[wb + a * lay[wo + 3u] + c * lay[wo + 4u]];
            }
        }
    }
    out[i] = acc;
}

// Adjoint of conv2d in its weight, one workgroup per weight element [Cout, Cin, KH, KW] (the
// launch shape): threads stride over (n, oh, ow), then a tree in workgroup memory adds their
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
    let c = o % dim_size(3u);
    let a = (o / dim_size(3u)) % dim_size(2u);
    let ci = (o / (dim_size(3u) * dim_size(2u))) % dim_size(1u);
    let co = o / (dim_size(3u) * dim_size(2u) * dim_size(1u));
    let h = i32(param(1u));
    let w = i32(param(2u));
    let oh_n = param(3u);
    let ow_n = param(4u);
    let xo = HEADER + 4u;
    let go = xo + 5u;
    let count = select(0u, param(0u) * oh_n * ow_n, valid);
    var acc = {{T}}(0.0);
    for (var r = lid.x; r < count; r += WG) {
        let ow = r % ow_n;
        let oh = (r / ow_n) % oh_n;
        let nb = r / (ow_n * oh_n);
        let ih = i32(oh * param(5u) + a * param(9u)) - i32(param(7u));
        let iw = i32(ow * param(6u) + c * param(10u)) - i32(param(8u));
        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
            acc = acc + x[lay[xo] + nb * lay[xo + 1u] + ci * lay[xo + 2u] + u32(ih) * lay[xo + 3u] + u32(iw) * lay[xo + 4u]]
                * g[lay[go] + nb * lay[go + 1u] + co * lay[go + 2u] + oh * lay[go + 3u] + ow * lay[go + 4u]];
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

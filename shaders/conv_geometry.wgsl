// Geometry shared by the convolution shaders that read both tensors through strides
// (conv_gemm and the conv_lanes_* family). Shape words: [N, Cin, H, W] (the input's geometry).
// Params: 0 = rows, 1 = columns, 2 = reduction length, 3 = Cout, 4 = OH, 5 = OW, 6 = KH, 7 = KW,
// 8/9 = stride h/w, 10/11 = padding h/w, 12/13 = dilation h/w. Operand 0 = A's tensor strides
// (4-D), operand 1 = B's.

struct Geo {
    n: u32, cin: u32, h: u32, w: u32,
    cout: u32, oh: u32, ow: u32, kh: u32, kw: u32,
    sh: u32, sw: u32, ph: u32, pw: u32, dh: u32, dw: u32,
    a_off: u32, a_s: vec4<u32>, b_off: u32, b_s: vec4<u32>,
}

fn geo() -> Geo {
    let ao = HEADER + 4u;
    let bo = ao + 5u;
    return Geo(dim_size(0u), dim_size(1u), dim_size(2u), dim_size(3u),
        param(3u), param(4u), param(5u), param(6u), param(7u),
        param(8u), param(9u), param(10u), param(11u), param(12u), param(13u),
        lay[ao], vec4<u32>(lay[ao + 1u], lay[ao + 2u], lay[ao + 3u], lay[ao + 4u]),
        lay[bo], vec4<u32>(lay[bo + 1u], lay[bo + 2u], lay[bo + 3u], lay[bo + 4u]));
}

// Offset of [i0, i1, i2, i3] with strides s (and base offset `off`).
fn at(off: u32, s: vec4<u32>, i0: u32, i1: u32, i2: u32, i3: u32) -> u32 {
    return off + i0 * s.x + i1 * s.y + i2 * s.z + i3 * s.w;
}

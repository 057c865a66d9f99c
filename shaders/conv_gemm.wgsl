// The three convolution directions as implicit matrix products: C[m, col] = Σ_kk A[m, kk] ·
// B[kk, col], where A and B are read straight from the (strided) tensors by `load_a`/`load_b`
// (no im2col buffer) and `store` places C in the output. Same blocking as matmul.wgsl: 16 × 16
// threads, a 64 × 64 block of C per workgroup, 4 × 4 per thread.
//
// Shape words: [N, Cin, H, W] (the input's geometry). Params: 0 = M, 1 = columns, 2 = K,
// 3 = Cout, 4 = OH, 5 = OW, 6 = KH, 7 = KW, 8/9 = stride h/w, 10/11 = padding h/w,
// 12/13 = dilation h/w. Operand 0 = A's tensor strides (4-D), operand 1 = B's.

@group(0) @binding(1) var<storage, read> src_a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> src_b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

const BLOCK: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> ta: array<array<{{T}}, 16>, 64>;
var<workgroup> tb: array<array<{{T}}, 64>, 16>;

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

fn load_a(g: Geo, m: u32, kk: u32) -> {{T}} {
    {{LOAD_A}}
}

fn load_b(g: Geo, kk: u32, col: u32) -> {{T}} {
    {{LOAD_B}}
}

fn store(g: Geo, m: u32, col: u32, v: {{T}}) {
    {{STORE}}
}

@compute @workgroup_size({{WG}}, {{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = geo();
    let m_n = param(0u);
    let c_n = param(1u);
    let k_n = param(2u);
    let row0 = wid.y * BLOCK;
    let col0 = wid.x * BLOCK;
    let tid = lid.y * 16u + lid.x;
    var acc: array<{{T}}, 16>;
    for (var q = 0u; q < 16u; q++) {
        acc[q] = {{T}}(0.0);
    }
    for (var t = 0u; t < k_n; t += KT) {
        for (var q = 0u; q < 4u; q++) {
            let e = tid + q * 256u;
            let am = e / KT;
            let ak = e % KT;
            var va = {{T}}(0.0);
            if (row0 + am < m_n && t + ak < k_n) {
                va = load_a(g, row0 + am, t + ak);
            }
            ta[am][ak] = va;
            let bk = e / BLOCK;
            let bn = e % BLOCK;
            var vb = {{T}}(0.0);
            if (t + bk < k_n && col0 + bn < c_n) {
                vb = load_b(g, t + bk, col0 + bn);
            }
            tb[bk][bn] = vb;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < KT; kk++) {
            let a0 = ta[lid.y][kk];
            let a1 = ta[lid.y + 16u][kk];
            let a2 = ta[lid.y + 32u][kk];
            let a3 = ta[lid.y + 48u][kk];
            for (var j = 0u; j < 4u; j++) {
                let bv = tb[kk][lid.x + 16u * j];
                acc[j] = acc[j] + a0 * bv;
                acc[4u + j] = acc[4u + j] + a1 * bv;
                acc[8u + j] = acc[8u + j] + a2 * bv;
                acc[12u + j] = acc[12u + j] + a3 * bv;
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let row = row0 + lid.y + 16u * i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x + 16u * j;
            if (row < m_n && col < c_n) {
                store(g, row, col, acc[4u * i + j]);
            }
        }
    }
}

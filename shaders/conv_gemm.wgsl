// The three convolution directions as implicit matrix products: C[m, col] = Σ_kk A[m, kk] ·
// B[kk, col], where A and B are read straight from the (strided) tensors by `load_a`/`load_b`
// (no im2col buffer) and `store` places C in the output. Same blocking as matmul.wgsl: 16 × 16
// threads, a 64 × 64 block of C per workgroup, 4 × 4 per thread.
//
// Layout words and the `Geo` helpers: conv_geometry.wgsl (rows = M, reduction = K).

@group(0) @binding(1) var<storage, read> src_a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> src_b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

const BLOCK: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> ta: array<array<{{T}}, 16>, 64>;
var<workgroup> tb: array<array<{{T}}, 64>, 16>;

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

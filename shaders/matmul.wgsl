// Batched C[b] = A[b] · B[b]. A workgroup of 16 × 16 threads computes a 64 × 64 block of C,
// each thread a 4 × 4 register block (rows ty + 16 i, columns tx + 16 j), with 64 × 16 slices
// of A and 16 × 64 slices of B staged in workgroup memory: four multiply-adds per shared load,
// which matters on GPUs and on software drivers alike. Launch shape [B, M, N] (the contiguous
// output); param 0 = K; operand 0 = A's offset and strides over (batch, m, k), operand 1 = B's
// over (batch, k, n). Grid (⌈N/64⌉, ⌈M/64⌉, B).

@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

const BLOCK: u32 = 64u;
const KT: u32 = 16u;
var<workgroup> ta: array<array<{{T}}, 16>, 64>;
var<workgroup> tb: array<array<{{T}}, 64>, 16>;

@compute @workgroup_size({{WG}}, {{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = dim_size(1u);
    let n = dim_size(2u);
    let k = param(0u);
    let batch = wid.z;
    let row0 = wid.y * BLOCK;
    let col0 = wid.x * BLOCK;
    let tid = lid.y * 16u + lid.x;
    let ab = HEADER + 3u;
    let bb = ab + 4u;
    let a_base = lay[ab] + batch * lay[ab + 1u];
    let b_base = lay[bb] + batch * lay[bb + 1u];
    let a_sm = lay[ab + 2u];
    let a_sk = lay[ab + 3u];
    let b_sk = lay[bb + 2u];
    let b_sn = lay[bb + 3u];
    var acc: array<{{T}}, 16>;
    for (var q = 0u; q < 16u; q++) {
        acc[q] = {{T}}(0.0);
    }
    for (var t = 0u; t < k; t += KT) {
        for (var q = 0u; q < 4u; q++) {
            let e = tid + q * 256u;
            let am = e / KT;
            let ak = e % KT;
            var va = {{T}}(0.0);
            if (row0 + am < m && t + ak < k) {
                va = a[a_base + (row0 + am) * a_sm + (t + ak) * a_sk];
            }
            ta[am][ak] = va;
            let bk = e / BLOCK;
            let bn = e % BLOCK;
            var vb = {{T}}(0.0);
            if (t + bk < k && col0 + bn < n) {
                vb = b[b_base + (t + bk) * b_sk + (col0 + bn) * b_sn];
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
            if (row < m && col < n) {
                out[(batch * m + row) * n + col] = acc[4u * i + j];
            }
        }
    }
}

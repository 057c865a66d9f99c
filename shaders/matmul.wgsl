// Batched C[b] = A[b] · B[b] with 16 × 16 tiles staged in workgroup memory. Launch shape
// [B, M, N] (the contiguous output); param 0 = K; operand 0 = A's offset and strides over
// (batch, m, k), operand 1 = B's over (batch, k, n). Grid (⌈N/16⌉, ⌈M/16⌉, B).

@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

const TILE: u32 = {{WG}}u;
var<workgroup> ta: array<array<{{T}}, {{WG}}>, {{WG}}>;
var<workgroup> tb: array<array<{{T}}, {{WG}}>, {{WG}}>;

@compute @workgroup_size({{WG}}, {{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = dim_size(1u);
    let n = dim_size(2u);
    let k = param(0u);
    let batch = wid.z;
    let row = wid.y * TILE + lid.y;
    let col = wid.x * TILE + lid.x;
    let ab = HEADER + 3u;
    let bb = ab + 4u;
    let a_base = lay[ab] + batch * lay[ab + 1u];
    let b_base = lay[bb] + batch * lay[bb + 1u];
    var acc = {{T}}(0.0);
    for (var t = 0u; t < k; t += TILE) {
        let ka = t + lid.x;
        var va = {{T}}(0.0);
        if (row < m && ka < k) { va = a[a_base + row * lay[ab + 2u] + ka * lay[ab + 3u]]; }
        ta[lid.y][lid.x] = va;
        let kb = t + lid.y;
        var vb = {{T}}(0.0);
        if (kb < k && col < n) { vb = b[b_base + kb * lay[bb + 2u] + col * lay[bb + 3u]]; }
        tb[lid.y][lid.x] = vb;
        workgroupBarrier();
        for (var j = 0u; j < TILE; j++) {
            acc = acc + ta[lid.y][j] * tb[j][lid.x];
        }
        workgroupBarrier();
    }
    if (row < m && col < n) {
        out[(batch * m + row) * n + col] = acc;
    }
}

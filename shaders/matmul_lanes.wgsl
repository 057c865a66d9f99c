// Batched, strided matrix product on software adapters (see lanes.wgsl): C[b, row, col] =
// Σ_k A[b, row, k] · B[b, k, col]. Launch shape [batch, rows, columns]; param 0 = K, params
// 1/2 = the output's row and column strides (so C can be stored transposed, which lets the
// lanes run along the longer side); operand 0 = A's offset and strides over (batch, row, k),
// operand 1 = B's over (batch, k, col). Grid (⌈columns / (TN · WG)⌉, ⌈rows / TM⌉, batch).

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let rows = dim_size(1u);
    let cols = dim_size(2u);
    let k_len = param(0u);
    let out_stride = param(1u);
    let out_col_stride = param(2u);
    let ao = HEADER + 3u;
    let bo = ao + 4u;
    let a_base = lay[ao] + wid.z * lay[ao + 1u];
    let a_sk = lay[ao + 3u];
    let b_base = lay[bo] + wid.z * lay[bo + 1u];
    let b_sk = lay[bo + 2u];
    let b_sn = lay[bo + 3u];
    let out_base = wid.z * rows * cols;
    let row0 = wid.y * TM;
    let row_stride = lay[ao + 2u];
    {{ROWS}}
    {{COLUMNS}}
    for (var k = 0u; k < k_len; k++) {
        let ai = a_base + k * a_sk;
        let bk = b_base + k * b_sk;
        {{STEP}}
    }
    {{STORE}}
}

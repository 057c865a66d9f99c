// conv2d_weight_grad on software adapters (see lanes.wgsl): C[co, (ci, kh, kw)] =
// Σ_(n, oh, ow) G[n, co, oh, ow] · X[n, ci, ih, iw]. Rows = output channels (A = the output
// gradient), columns = the weight's (ci, kh, kw) (B = the input). The product is small and its
// sum long, so the lanes split the batch instead of sharing out columns: invocation s (of
// S = WG · the grid's z) sums its share of the samples into slice s of `out` (S slices of
// Cout × columns), which conv_lanes_split_sum adds up. Grid (⌈columns / TN⌉, ⌈Cout / TM⌉,
// S / WG).

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = geo();
    let cols = param(1u);
    let khw = g.kh * g.kw;
    let row0 = wid.y * TM;
    let rows = g.cout;
    let row_stride = g.a_s.y;
    let out_stride = cols;
    let splits = nwg.z * WG;
    let split = wid.z * WG + lid.x;
    let per_split = (g.n + splits - 1u) / splits;
    let n_start = min(g.n, split * per_split);
    let n_end = min(g.n, n_start + per_split);
    let split_base = split * rows * cols;
    {{ROWS}}
    {{COLUMNS}}
    for (var n = n_start; n < n_end; n++) {
        for (var oh = 0u; oh < g.oh; oh++) {
            {{TAPS}}
            let ai0 = g.a_off + n * g.a_s.x + oh * g.a_s.z;
            for (var ow = 0u; ow < g.ow; ow++) {
                let ai = ai0 + ow * g.a_s.w;
                {{STEP}}
            }
        }
    }
    {{STORE}}
}

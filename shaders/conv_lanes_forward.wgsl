// conv2d on software adapters (see lanes.wgsl): C[co, (n, oh, ow)] = Σ_(kh, kw, ci)
// W[co, ci, kh, kw] · X[n, ci, ih, iw]. Rows = output channels (A = the weight), columns =
// output positions (B = the input). Grid (⌈columns / (TN · WG)⌉, ⌈Cout / TM⌉).

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = geo();
    let cols = param(1u);
    let ohw = g.oh * g.ow;
    let row0 = wid.y * TM;
    let rows = g.cout;
    let row_stride = g.a_s.x;
    let out_stride = ohw;
    {{ROWS}}
    {{COLUMNS}}
    for (var a = 0u; a < g.kh; a++) {
        for (var c = 0u; c < g.kw; c++) {
            {{TAPS}}
            let ai0 = g.a_off + a * g.a_s.z + c * g.a_s.w;
            for (var ci = 0u; ci < g.cin; ci++) {
                let ai = ai0 + ci * g.a_s.y;
                {{STEP}}
            }
        }
    }
    {{STORE}}
}

// conv2d_input_grad on software adapters (see lanes.wgsl): C[ci, (n, h, w)] =
// Σ_(kh, kw, co) W[co, ci, kh, kw] · G[n, co, oh, ow] over the taps whose output position
// exists. Rows = input channels (A = the weight), columns = input positions (B = the output
// gradient). Grid (⌈columns / (TN · WG)⌉, ⌈Cin / TM⌉).

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let g = geo();
    let cols = param(1u);
    let hw = g.h * g.w;
    let row0 = wid.y * TM;
    let rows = g.cin;
    let row_stride = g.a_s.y;
    let out_stride = hw;
    {{ROWS}}
    {{COLUMNS}}
    for (var a = 0u; a < g.kh; a++) {
        for (var c = 0u; c < g.kw; c++) {
            {{TAPS}}
            let ai0 = g.a_off + a * g.a_s.z + c * g.a_s.w;
            for (var co = 0u; co < g.cout; co++) {
                let ai = ai0 + co * g.a_s.x;
                {{STEP}}
            }
        }
    }
    {{STORE}}
}

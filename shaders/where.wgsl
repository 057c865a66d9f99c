// out[i] = cond[i] != 0 ? t[i] : f[i] (all strided), elements of {{W}} words (any dtype).

@group(0) @binding(1) var<storage, read> cond: array<u32>;
@group(0) @binding(2) var<storage, read> on_true: array<u32>;
@group(0) @binding(3) var<storage, read> on_false: array<u32>;
@group(0) @binding(4) var<storage, read_write> out: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let pick = cond[operand_offset(0u, i)] != 0u;
    let t = operand_offset(1u, i) * {{W}}u;
    let f = operand_offset(2u, i) * {{W}}u;
    for (var w = 0u; w < {{W}}u; w++) {
        out[i * {{W}}u + w] = select(on_false[f + w], on_true[t + w], pick);
    }
}

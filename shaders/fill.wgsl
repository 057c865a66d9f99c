// Every element of a contiguous buffer set to the {{W}}-word value in params 0..{{W}}.
// (`src` is bound but unused, so every kernel shares the meta/inputs/output binding scheme.)

@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    for (var w = 0u; w < {{W}}u; w++) {
        dst[i * {{W}}u + w] = param(w);
    }
}

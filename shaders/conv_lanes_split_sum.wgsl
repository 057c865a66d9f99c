// The weight gradient's partial sums added up (see conv_lanes_weight_grad.wgsl): out[i] =
// Σ_s part[s · len + i], in order of s. Launch shape [len]; param 0 = the number of slices.

@group(0) @binding(1) var<storage, read> part: array<{{T}}>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    let len = numel();
    if (i >= len) { return; }
    let slices = param(0u);
    var s = {{T}}(0.0);
    for (var k = 0u; k < slices; k++) {
        s += part[k * len + i];
    }
    out[i] = s;
}

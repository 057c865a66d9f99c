// Strided source of element type {{S}} converted to a contiguous output of type {{D}};
// `convert` is the dtype pair's rule (truncation toward zero for float -> int64, x != 0 for bool).

@group(0) @binding(1) var<storage, read> src: array<{{S}}>;
@group(0) @binding(2) var<storage, read_write> dst: array<{{D}}>;

fn convert(x: {{S}}) -> {{D}} {
    {{CONV}}
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    dst[i] = convert(src[operand_offset(0u, i)]);
}

// out[i] = f(a[strided i], b[strided i]) for one of the BinaryOp functions, in {{T}}; zero
// strides broadcast.

@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<{{T}}>;

{{MATH}}

fn f(x: {{T}}, y: {{T}}) -> {{T}} {
    {{OP}}
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    out[i] = f(a[operand_offset(0u, i)], b[operand_offset(1u, i)]);
}

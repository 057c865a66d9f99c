// out[i] = cmp(a[strided i], b[strided i]) as a 0/1 word (Bool), for elements of type {{T}}.

@group(0) @binding(1) var<storage, read> a: array<{{T}}>;
@group(0) @binding(2) var<storage, read> b: array<{{T}}>;
@group(0) @binding(3) var<storage, read_write> out: array<u32>;

{{ELEM}}

fn cmp(x: {{T}}, y: {{T}}) -> bool {
    {{CMP}}
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let i = linear_id(wid, nwg, lid);
    if (i >= numel()) { return; }
    let x = a[operand_offset(0u, i)];
    let y = b[operand_offset(1u, i)];
    out[i] = select(0u, 1u, cmp(x, y));
}

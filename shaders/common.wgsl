// Prelude of every learnloss shader (prepended by src/backend/wgpu/template.rs).
//
// `lay` describes the launch: [0] element count, [1] rank, [2..16) op parameters, then the
// output shape (rank words), then for each strided operand its offset and rank strides. Shapes
// and strides go in a buffer rather than in the shader so one pipeline serves every layout.

@group(0) @binding(0) var<storage, read> lay: array<u32>;

const WG: u32 = {{WG}}u;
const HEADER: u32 = 16u;

fn numel() -> u32 { return lay[0]; }
fn rank() -> u32 { return lay[1]; }
fn param(k: u32) -> u32 { return lay[2u + k]; }
fn dim_size(d: u32) -> u32 { return lay[HEADER + d]; }

// Whether `a` is a NaN, read from its bits: `a != a` may be folded to false by a driver's
// compiler (lavapipe does), and WGSL promises nothing about NaN comparisons. A wider value is
// narrowed first (an f64 NaN stays a NaN in f32; overflow gives an infinity, not a NaN).
fn nan_bits(a: f32) -> bool { return (bitcast<u32>(a) & 0x7fffffffu) > 0x7f800000u; }

// Row-major coordinates (d0, d1, d2, d3) of element `i` of a rank-4 launch shape.
fn coords4(i: u32) -> vec4<u32> {
    let s3 = dim_size(3u);
    let s2 = dim_size(2u);
    let s1 = dim_size(1u);
    return vec4<u32>(i / (s3 * s2 * s1), (i / (s3 * s2)) % s1, (i / s3) % s2, i % s3);
}

// Storage position of element `i` (row-major over the shape) of strided operand `op`.
fn operand_offset(op: u32, i: u32) -> u32 {
    let r = rank();
    let base = HEADER + r + op * (r + 1u);
    // One dimension (what a contiguous or simply broadcast launch merges to): no division.
    if (r == 1u) { return lay[base] + i * lay[base + 1u]; }
    var rem = i;
    var off = lay[base];
    for (var d = i32(r) - 1; d >= 0; d--) {
        let size = lay[HEADER + u32(d)];
        off += (rem % size) * lay[base + 1u + u32(d)];
        rem = rem / size;
    }
    return off;
}

// Coordinate `d` of element `i` (row-major over the shape).
fn coord(i: u32, d: u32) -> u32 {
    var rem = i;
    for (var k = rank() - 1u; k > d; k--) {
        rem = rem / dim_size(k);
    }
    return rem % dim_size(d);
}

// Launches larger than 65535 workgroups are folded into a 2-D grid.
fn linear_id(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG + lid.x;
}

fn group_id(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

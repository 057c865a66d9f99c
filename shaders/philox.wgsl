// Uniform values in [0, 1) from Philox4x32-10 (the definition and the float rules are in
// src/backend/philox.rs; the CPU and CUDA implement the same, bit for bit). One thread per
// counter block: block t of the draw is counter offset + t, and it fills elements
// t·{{P}} .. t·{{P}} + {{P}} - 1 of the contiguous output (the last block may be partial).
// params: 0, 1 = seed (low, high word); 2, 3 = offset (low, high word). numel = values drawn.
// WGSL has neither 64-bit integers nor a high-word multiply, so both are written on 32-bit words.

@group(0) @binding(1) var<storage, read> unused: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<{{T}}>;

// The 64-bit product a·b as (low, high) words, from 16-bit limbs (every partial product and
// partial sum below fits in 32 bits).
fn mul_wide(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(a * b, hi);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    for (var r = 0u; r < 10u; r++) {
        if (r > 0u) {
            k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
        }
        let p0 = mul_wide(0xD2511F53u, c.x);
        let p1 = mul_wide(0xCD9E8D57u, c.z);
        c = vec4<u32>(p1.y ^ c.y ^ k.x, p1.x, p0.y ^ c.w ^ k.y, p0.x);
    }
    return c;
}

// Writes the values of block words `w` to elements first, first + 1, … below numel().
fn store(first: u32, w: vec4<u32>) {
    {{STORE}}
}

@compute @workgroup_size({{WG}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
    let t = linear_id(wid, nwg, lid);
    if (t >= (numel() + {{P}}u - 1u) / {{P}}u) { return; }
    let lo = param(2u) + t;
    let hi = param(3u) + select(0u, 1u, lo < t);
    store(t * {{P}}u, philox4x32_10(vec4<u32>(lo, hi, 0u, 0u), vec2<u32>(param(0u), param(1u))));
}

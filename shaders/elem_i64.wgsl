// Element rules for int64 stored as (low, high) 32-bit words: WGSL has no 64-bit integers
// without SHADER_INT64 (missing on many adapters), so ordering, equality and wrapping addition
// are written on the words. The high word carries the sign.
fn e_lt(a: vec2<u32>, b: vec2<u32>) -> bool {
    let ah = bitcast<i32>(a.y);
    let bh = bitcast<i32>(b.y);
    return ah < bh || (ah == bh && a.x < b.x);
}
fn e_le(a: vec2<u32>, b: vec2<u32>) -> bool { return !e_lt(b, a); }
fn e_eq(a: vec2<u32>, b: vec2<u32>) -> bool { return all(a == b); }
fn e_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
    let lo = a.x + b.x;
    return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
fn e_nan(a: vec2<u32>) -> bool { return false; }

// Element rules for a numeric WGSL type (f32, f64, or u32 for bool): ordering, equality, sum,
// NaN test and zero, so compare/reduce/arg-reduce are written once for every dtype.
fn e_lt(a: {{T}}, b: {{T}}) -> bool { return a < b; }
fn e_le(a: {{T}}, b: {{T}}) -> bool { return a <= b; }
fn e_eq(a: {{T}}, b: {{T}}) -> bool { return a == b; }
fn e_add(a: {{T}}, b: {{T}}) -> {{T}} { return a + b; }
fn e_nan(a: {{T}}) -> bool { return nan_bits(f32(a)); }

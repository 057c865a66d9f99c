// Transcendental functions in f64, written out: Vulkan's GLSL.std.450 exp/log/sin/cos/pow are
// 32-bit only, and drivers (lavapipe) return garbage for f64 arguments. Cody–Waite range
// reduction plus Taylor/atanh series, accurate to a few ulp (checked against the CPU to 1e-12).
// Only floor, trunc, ldexp, abs and arithmetic are needed, which Vulkan defines for f64.

fn inf_f64() -> f64 {
    var big = f64(1e308);
    return big * f64(10.0);
}

fn nan_f64() -> f64 {
    var z = f64(0.0);
    return z / z;
}

fn exp_t(x: f64) -> f64 {
    if (x != x) { return x; }
    if (x > f64(709.782712893384)) { return inf_f64(); }
    if (x < f64(-745.2)) { return f64(0.0); }
    let k = floor(x * f64(1.4426950408889634) + f64(0.5));
    let r = (x - k * f64(0.6931471803691238)) - k * f64(1.9082149292705877e-10);
    var p = f64(1.0);
    for (var i = 17; i >= 1; i--) {
        p = f64(1.0) + p * r / f64(i);
    }
    // Two steps so 2^k never overflows before the mantissa scales it down.
    let k1 = i32(k) / 2;
    return ldexp(ldexp(p, k1), i32(k) - k1);
}

fn log_t(x: f64) -> f64 {
    if (x != x || x < f64(0.0)) { return nan_f64(); }
    if (x == f64(0.0)) { return -inf_f64(); }
    if (x > f64(1.7976931348623157e308)) { return x; }
    // The binary exponent without frexp (naga types its f64 result with i64, which needs
    // SHADER_INT64): scale into f32's range, estimate with an f32 log2, then correct.
    var y = x;
    var e = 0;
    for (var it = 0; it < 12 && y > f64(1e30); it++) { y = ldexp(y, -100); e += 100; }
    for (var it = 0; it < 12 && y < f64(1e-30); it++) { y = ldexp(y, 100); e -= 100; }
    let e0 = i32(floor(log2(f32(y))));
    var m = ldexp(y, -e0);
    e += e0;
    if (m >= f64(2.0)) { m = m * f64(0.5); e += 1; }
    if (m < f64(1.0)) { m = m * f64(2.0); e -= 1; }
    // m in [1, 2); centre it on 1 so the series converges fast.
    if (m > f64(1.4142135623730951)) { m = m * f64(0.5); e += 1; }
    let f = (m - f64(1.0)) / (m + f64(1.0));
    let f2 = f * f;
    var s = f64(0.0);
    for (var i = 12; i >= 0; i--) {
        s = s * f2 + f64(1.0) / f64(2 * i + 1);
    }
    let ef = f64(e);
    return ef * f64(0.6931471803691238) + (ef * f64(1.9082149292705877e-10) + f64(2.0) * f * s);
}

// sin or cos of the reduced argument r (|r| ≤ π/4), by quadrant q.
fn sincos_reduced(r: f64, q: i32) -> f64 {
    let r2 = r * r;
    var s = f64(1.0);
    var c = f64(1.0);
    for (var i = 9; i >= 1; i--) {
        s = f64(1.0) - s * r2 / f64((2 * i) * (2 * i + 1));
        c = f64(1.0) - c * r2 / f64((2 * i - 1) * (2 * i));
    }
    s = s * r;
    switch (q & 3) {
        case 0: { return s; }
        case 1: { return c; }
        case 2: { return -s; }
        default: { return -c; }
    }
}

fn reduce_half_pi(x: f64) -> vec2<f64> {
    let k = floor(x * f64(0.6366197723675814) + f64(0.5));
    let r = ((x - k * f64(1.5707963267341256)) - k * f64(6.077100506506192e-11)) - k * f64(2.0222662487959506e-21);
    return vec2<f64>(r, k);
}

fn sin_t(x: f64) -> f64 {
    if (abs(x) > f64(1.7976931348623157e308) || x != x) { return nan_f64(); }
    let rk = reduce_half_pi(x);
    return sincos_reduced(rk.x, i32(rk.y));
}

fn cos_t(x: f64) -> f64 {
    if (abs(x) > f64(1.7976931348623157e308) || x != x) { return nan_f64(); }
    let rk = reduce_half_pi(x);
    return sincos_reduced(rk.x, i32(rk.y) + 1);
}

fn pow_t(x: f64, y: f64) -> f64 {
    return exp_t(y * log_t(x));
}

// Transcendental functions in f32: the driver's builtins.
fn exp_t(x: f32) -> f32 { return exp(x); }
fn log_t(x: f32) -> f32 { return log(x); }
fn sin_t(x: f32) -> f32 { return sin(x); }
fn cos_t(x: f32) -> f32 { return cos(x); }
fn pow_t(x: f32, y: f32) -> f32 { return pow(x, y); }

//! Python's spelling of values in a module's repr, so `describe()` reads like PyTorch's print.

/// `True` / `False`.
pub fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Python's `repr(float)`: shortest round-trip digits, scientific notation with a two-digit
/// exponent below 1e-4 or from 1e16 on (`1e-05`, `0.1`, `0.5`, `20.0`).
pub fn py_float(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e16).contains(&v.abs()) {
        let s = format!("{v:?}");
        return match s.as_str() {
            "inf" => "inf".into(),
            "-inf" => "-inf".into(),
            "NaN" => "nan".into(),
            _ => s,
        };
    }
    let s = format!("{v:e}");
    let (mantissa, exp) = s.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("{:e} exponent is an integer");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::py_float;

    #[test]
    fn floats_print_as_python_does() {
        assert_eq!(py_float(1e-5), "1e-05");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(0.5), "0.5");
        assert_eq!(py_float(20.0), "20.0");
        assert_eq!(py_float(1.5e-7), "1.5e-07");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(0.0), "0.0");
    }
}

//! A readable, PyTorch-like `Display`: nested brackets, aligned columns, summarised when large.

use super::Tensor;
use crate::DType;
use std::fmt;

/// Above this many elements only the first and last `EDGE` entries of each dimension print.
const SUMMARY_THRESHOLD: usize = 1000;
const EDGE: usize = 3;

fn format_value(v: f64, dtype: DType) -> String {
    match dtype {
        DType::Bool => if v != 0.0 { "True" } else { "False" }.to_string(),
        DType::I64 => format!("{}", v as i64),
        _ if v.is_nan() => "nan".into(),
        _ if v.is_infinite() => if v > 0.0 { "inf" } else { "-inf" }.into(),
        _ if v != 0.0 && (v.abs() >= 1e8 || v.abs() < 1e-4) => format!("{v:.4e}"),
        _ => format!("{v:.4}"),
    }
}

fn visible(size: usize, summarise: bool) -> Vec<Option<usize>> {
    if summarise && size > 2 * EDGE {
        (0..EDGE)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((size - EDGE..size).map(Some))
            .collect()
    } else {
        (0..size).map(Some).collect()
    }
}

struct Printer<'a> {
    shape: &'a [usize],
    cells: Vec<String>,
    width: usize,
    summarise: bool,
}

impl Printer<'_> {
    fn write(&self, out: &mut String, dim: usize, offset: usize, stride: usize, indent: usize) {
        if dim == self.shape.len() {
            out.push_str(&format!("{:>w$}", self.cells[offset], w = self.width));
            return;
        }
        let inner_stride = stride / self.shape[dim].max(1);
        out.push('[');
        let entries = visible(self.shape[dim], self.summarise);
        for (k, e) in entries.iter().enumerate() {
            if k > 0 {
                if dim + 1 == self.shape.len() {
                    out.push_str(", ");
                } else {
                    out.push(',');
                    out.push_str(&"\n".repeat(self.shape.len() - dim - 1));
                    out.push_str(&" ".repeat(indent + 1));
                }
            }
            match e {
                Some(i) => self.write(out, dim + 1, offset + i * inner_stride, inner_stride, indent + 1),
                None => out.push_str("..."),
            }
        }
        out.push(']');
    }
}

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values = self.to_f64_vec();
        let cells: Vec<String> = values.iter().map(|&v| format_value(v, self.dtype())).collect();
        let width = cells.iter().map(|c| c.len()).max().unwrap_or(0);
        let printer = Printer {
            shape: self.shape(),
            cells,
            width,
            summarise: self.numel() > SUMMARY_THRESHOLD,
        };
        let mut body = String::new();
        if self.rank() == 0 {
            body.push_str(&printer.cells[0]);
        } else {
            printer.write(&mut body, 0, 0, self.numel(), "tensor(".len());
        }
        write!(f, "tensor({body}")?;
        if self.rank() > 0 && self.numel() == 0 {
            write!(f, ", size={:?}", self.shape())?;
        }
        // PyTorch names the dtype only when it is not a default one (float32, int64, bool).
        if self.dtype() == DType::F64 {
            write!(f, ", dtype=torch.float64")?;
        }
        // Like PyTorch: a tracked result names the op that made it, a leaf says it needs grad.
        match self.op() {
            Some(op) => write!(f, ", grad_fn=<{}Backward>", op.name())?,
            None if self.requires_grad() => write!(f, ", requires_grad=True")?,
            None => {}
        }
        write!(f, ")")
    }
}

//! PNG figures of a report, drawn with plotters into an RGB buffer and encoded with `png`.
//!
//! Text is rendered from DejaVu Sans embedded in the binary (assets/fonts, Bitstream Vera
//! licence beside it) through plotters' ab_glyph feature, so the plots look the same on a
//! headless machine with no fonts installed. Every function returns a `Result` and tolerates
//! NaN, infinities, empty input and a single epoch: non-finite points are skipped and
//! degenerate ranges are widened.

mod bars;
mod confusion;
mod curves;
mod energy;
mod multilabel_confusion;
mod util;

pub use bars::{f1_bars, score_bars, ClassScore};
pub use confusion::confusion_heatmap;
pub use curves::{accuracy_curves, loss_curves, penalty_curves};
pub use energy::energy_curves;
pub use multilabel_confusion::multilabel_confusion_grid;

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{Error, Result};

/// The family name the embedded font is registered under.
pub(crate) const FONT: &str = "sans-serif";

static FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font once per process; plotters' ab_glyph backend draws no text
/// without a registered font.
fn ensure_font() -> std::result::Result<(), String> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the embedded DejaVu Sans font could not be parsed".to_string())
    }
}

/// One rendered figure of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Plot {
    /// File name inside the report's `plots/` folder, e.g. `accuracy.png`.
    pub file_name: String,
    /// A heading for the HTML page.
    pub title: String,
    /// What is drawn and any liberties taken (floors on log axes, pooling over runs).
    pub caption: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

/// The drawing area the plot functions draw on.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// A plotting failure boxed so drawing code can use `?` on any plotters error.
pub(crate) type DrawResult<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Draws a `width`×`height` figure with `draw` and encodes it as PNG; a drawing or encoding
/// failure becomes an I/O error naming `file_name`, since that is the file that cannot be
/// produced.
pub(crate) fn render(
    file_name: &str,
    width: u32,
    height: u32,
    draw: impl FnOnce(&Area) -> DrawResult,
) -> Result<Vec<u8>> {
    let fail = |msg: String| Error::io(file_name, std::io::Error::other(msg));
    ensure_font().map_err(fail)?;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(e.to_string()))?;
        draw(&root).map_err(|e| fail(format!("drawing failed: {e}")))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    encode_png(&rgb, width, height).map_err(|e| fail(format!("PNG encoding failed: {e}")))
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> std::result::Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

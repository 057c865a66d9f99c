//! Decoding image files (JPEG or PNG) into square, channels-first bytes, shared by the loaders
//! of folders of images so they all resize the same way.
//!
//! The resize is bilinear with a support that widens when shrinking, as PIL's (and so
//! torchvision's `Resize`) is: a plain bilinear sample of a large image aliases, and a model
//! trained here would see other inputs than the same model trained in PyTorch.

use image::imageops::FilterType;
use image::{ImageBuffer, ImageError, Pixel};

/// Which channels a decoded image keeps.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub(crate) enum ColourMode {
    /// Always three channels: greyscale is repeated into R, G and B.
    Rgb,
    /// One channel for a greyscale image, three for a colour one.
    AsStored,
}

/// A decoded image resized to `side × side`, channels first.
pub(crate) struct SquareImage {
    /// 1 (greyscale) or 3 (RGB).
    pub channels: usize,
    /// `channels · side · side` bytes, one plane per channel.
    pub chw: Vec<u8>,
}

/// `bytes` decoded as JPEG or PNG (told apart by content, not by the file name: some datasets
/// store PNGs under `.jpg` names), converted as `mode` says and resized to `side × side`.
///
/// An alpha channel is dropped, not composited, as PIL's `convert("RGB")` does.
pub(crate) fn decode_square(bytes: &[u8], side: u32, mode: ColourMode) -> Result<SquareImage, ImageError> {
    let img = image::load_from_memory(bytes)?;
    let keep_grey = mode == ColourMode::AsStored && !img.color().has_color();
    Ok(if keep_grey {
        SquareImage {
            channels: 1,
            chw: planes(&image::imageops::resize(
                &img.to_luma8(),
                side,
                side,
                FilterType::Triangle,
            )),
        }
    } else {
        SquareImage {
            channels: 3,
            chw: planes(&image::imageops::resize(
                &img.to_rgb8(),
                side,
                side,
                FilterType::Triangle,
            )),
        }
    })
}

/// The pixels of `img` rearranged channels first (`[C, H, W]`), as `ToTensor` lays them out.
fn planes<P: Pixel<Subpixel = u8>>(img: &ImageBuffer<P, Vec<u8>>) -> Vec<u8> {
    let channels = usize::from(P::CHANNEL_COUNT);
    let plane = img.width() as usize * img.height() as usize;
    let mut chw = vec![0u8; channels * plane];
    for (i, px) in img.pixels().enumerate() {
        for (c, &value) in px.channels().iter().enumerate() {
            chw[c * plane + i] = value;
        }
    }
    chw
}

/// Greyscale planes repeated into three equal RGB planes: the same bytes as converting to RGB
/// before the resize, since the filter treats every channel alike.
pub(crate) fn grey_to_rgb(grey: &[u8]) -> Vec<u8> {
    grey.repeat(3)
}

#[cfg(test)]
mod tests {
    use super::{decode_square, grey_to_rgb, ColourMode};
    use image::{GrayImage, ImageFormat, Luma};
    use std::io::Cursor;

    /// Keeping a greyscale image as one channel and repeating it after the resize gives the
    /// bytes converting it to RGB first gives, so a dataset mixing greyscale and colour images
    /// holds what PIL's `convert("RGB")` then `Resize` would.
    #[test]
    fn greyscale_repeated_after_the_resize_equals_rgb_before_it() {
        let grey = GrayImage::from_fn(37, 23, |x, y| Luma([((x * 29 + y * 53) % 256) as u8]));
        let mut png = Vec::new();
        grey.write_to(&mut Cursor::new(&mut png), ImageFormat::Png).unwrap();
        for side in [5, 16, 40] {
            let kept = decode_square(&png, side, ColourMode::AsStored).unwrap();
            let rgb = decode_square(&png, side, ColourMode::Rgb).unwrap();
            assert_eq!((kept.channels, rgb.channels), (1, 3));
            assert_eq!(grey_to_rgb(&kept.chw), rgb.chw, "side {side}");
        }
    }
}

//! Pictures among uploads: which uploads are pictures Confab shows (told by
//! their bytes, never by the name or type the uploader gave), their size in
//! pixels, and a small copy to show in a message.
//!
//! Only PNG, JPEG, GIF and WebP are shown as pictures: those browsers
//! display without running anything. Everything else (SVG, HTML, a PNG
//! name on other bytes) is served as a download.

use std::io::Cursor;
use std::path::Path;

use image::{ImageFormat, ImageReader, Limits};

/// A thumbnail fits in this box (pixels), keeping its proportions.
pub const THUMBNAIL_WIDTH: u32 = 480;
pub const THUMBNAIL_HEIGHT: u32 = 360;
/// Largest picture decoded for a thumbnail, in memory (a bigger one is
/// still shown, in full, with no thumbnail).
const DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Widest and tallest picture decoded for a thumbnail.
const DECODE_SIDE: u32 = 16_384;

/// An upload that is a picture.
#[derive(Debug, PartialEq, Eq)]
pub struct Picture {
    /// What it is served as (`image/png`, …).
    pub served_type: &'static str,
    pub width: u32,
    pub height: u32,
    /// A small copy, for a picture larger than the thumbnail box that
    /// could be decoded.
    pub thumbnail: Option<Thumbnail>,
}

/// A picture's small copy: PNG where it may be transparent, JPEG otherwise.
#[derive(Debug, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    pub served_type: &'static str,
}

fn shown(format: ImageFormat) -> Option<&'static str> {
    match format {
        ImageFormat::Png => Some("image/png"),
        ImageFormat::Jpeg => Some("image/jpeg"),
        ImageFormat::Gif => Some("image/gif"),
        ImageFormat::WebP => Some("image/webp"),
        _ => None,
    }
}

/// The picture the file at `path` is, if it is one shown: measured, and
/// with a thumbnail if it is larger than one. Blocking: run it off the
/// async threads.
pub fn examine(path: &Path) -> Option<Picture> {
    let reader = ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    let served_type = shown(reader.format()?)?;
    let (width, height) = reader.into_dimensions().ok()?;
    if width == 0 || height == 0 {
        return None;
    }
    let small = width <= THUMBNAIL_WIDTH && height <= THUMBNAIL_HEIGHT;
    let thumbnail = if small { None } else { thumbnail(path) };
    Some(Picture { served_type, width, height, thumbnail })
}

fn thumbnail(path: &Path) -> Option<Thumbnail> {
    let mut reader = ImageReader::open(path).ok()?.with_guessed_format().ok()?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(DECODE_BYTES);
    limits.max_image_width = Some(DECODE_SIDE);
    limits.max_image_height = Some(DECODE_SIDE);
    reader.limits(limits);
    let picture = match reader.decode() {
        Ok(p) => p,
        Err(e) => {
            tracing::info!(error = %e, "no thumbnail: the picture cannot be decoded");
            return None;
        }
    };
    let small = picture.thumbnail(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
    let mut out = Cursor::new(Vec::new());
    let (written, served_type) = if small.color().has_alpha() {
        (small.write_to(&mut out, ImageFormat::Png), "image/png")
    } else {
        (small.into_rgb8().write_to(&mut out, ImageFormat::Jpeg), "image/jpeg")
    };
    written.ok().map(|()| Thumbnail { bytes: out.into_inner(), served_type })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgb, RgbImage, Rgba, RgbaImage};

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn encoded(picture: impl Into<image::DynamicImage>, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        picture.into().write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    #[test]
    fn a_large_photo_gets_a_jpeg_thumbnail_in_the_box() {
        let dir = tempfile::tempdir().unwrap();
        let photo = encoded(RgbImage::from_pixel(1200, 600, Rgb([200, 10, 10])), ImageFormat::Png);
        let found = examine(&write(dir.path(), "not-a-name-that-matters.bin", &photo)).unwrap();
        assert_eq!((found.served_type, found.width, found.height), ("image/png", 1200, 600));
        let thumbnail = found.thumbnail.unwrap();
        let thumb = image::load_from_memory(&thumbnail.bytes).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (480, 240));
        assert_eq!(image::guess_format(&thumbnail.bytes).unwrap(), ImageFormat::Jpeg);
        assert_eq!(thumbnail.served_type, "image/jpeg");
    }

    #[test]
    fn a_transparent_picture_keeps_its_transparency_and_a_small_one_needs_no_thumbnail() {
        let dir = tempfile::tempdir().unwrap();
        let logo = encoded(RgbaImage::from_pixel(1000, 1000, Rgba([0, 0, 0, 0])), ImageFormat::Png);
        let found = examine(&write(dir.path(), "logo", &logo)).unwrap();
        let thumbnail = found.thumbnail.unwrap();
        assert_eq!(
            (image::guess_format(&thumbnail.bytes).unwrap(), thumbnail.served_type),
            (ImageFormat::Png, "image/png")
        );
        let icon = encoded(RgbImage::new(32, 32), ImageFormat::Gif);
        let found = examine(&write(dir.path(), "icon", &icon)).unwrap();
        assert_eq!((found.served_type, found.width, found.thumbnail), ("image/gif", 32, None));
    }

    #[test]
    fn what_is_not_a_shown_picture_is_none_whatever_it_is_called() {
        let dir = tempfile::tempdir().unwrap();
        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#;
        assert_eq!(examine(&write(dir.path(), "a.png", svg)), None);
        assert_eq!(examine(&write(dir.path(), "b.png", b"<html><script>alert(1)</script>")), None);
        let bmp = encoded(RgbImage::new(8, 8), ImageFormat::Bmp);
        assert_eq!(examine(&write(dir.path(), "c.png", &bmp)), None, "not one of the four shown formats");
        // A PNG signature on a broken body.
        assert_eq!(examine(&write(dir.path(), "d.png", b"\x89PNG\r\n\x1a\nbroken")), None);
    }
}

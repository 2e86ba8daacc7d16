//! Removing what a photo tells about its taker before anyone else sees it.
//!
//! Phones write the GPS position (and the camera, the time, sometimes the owner's name) into a
//! photo's EXIF, and XMP (or a JPEG's IPTC block) often repeats it. A visitor sending a screenshot or a photo of a broken
//! parcel should not tell the agent where they live, so JPEG, PNG and WebP pictures lose every
//! EXIF and XMP block before they are stored. The image data is not touched (no re-encoding,
//! through `img-parts`); only the EXIF orientation is written back in a minimal EXIF block of
//! its own (through `kamadak-exif`), so that a portrait photo is not shown lying on its side.

use bytes::Bytes;
use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};
use img_parts::jpeg::{markers, Jpeg};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::ImageEXIF;

/// PNG chunks that carry EXIF or text metadata (XMP travels in `iTXt`).
const PNG_METADATA: [[u8; 4]; 4] = [*b"eXIf", *b"tEXt", *b"iTXt", *b"zTXt"];

/// The picture without its EXIF and XMP (and a JPEG's IPTC), orientation kept. Other types are
/// returned as they are: GIF and BMP carry no EXIF, and the formats that can but that this
/// cannot clean (HEIF, AVIF, TIFF, …) are refused before (see `kind`). `Err` when the picture's structure cannot be read: it is then
/// refused rather than stored with whatever it carries.
pub fn strip(content_type: &str, bytes: Bytes) -> Result<Bytes, String> {
    let damaged = |e: img_parts::Error| format!("the picture's structure cannot be read ({e})");
    match content_type {
        "image/jpeg" => {
            let mut jpeg = Jpeg::from_bytes(bytes).map_err(damaged)?;
            let orientation = jpeg.exif().and_then(orientation);
            // APP1 holds both EXIF and XMP; APP13 Photoshop's IPTC (city, country, captions).
            jpeg.remove_segments_by_marker(markers::APP1);
            jpeg.remove_segments_by_marker(markers::APP13);
            jpeg.set_exif(orientation.and_then(orientation_exif));
            Ok(jpeg.encoder().bytes())
        }
        "image/png" => {
            let mut png = Png::from_bytes(bytes).map_err(damaged)?;
            let orientation = png.exif().and_then(orientation);
            for kind in PNG_METADATA {
                png.remove_chunks_by_type(kind);
            }
            png.set_exif(orientation.and_then(orientation_exif));
            Ok(png.encoder().bytes())
        }
        "image/webp" => {
            let mut webp = WebP::from_bytes(bytes).map_err(damaged)?;
            let orientation = webp.exif().and_then(orientation);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.set_exif(orientation.and_then(orientation_exif));
            Ok(webp.encoder().bytes())
        }
        _ => Ok(bytes),
    }
}

/// The EXIF orientation (1–8) of a TIFF-structured EXIF block, when it says anything but 1.
fn orientation(exif: Bytes) -> Option<u32> {
    let exif = exif::Reader::new().read_raw(exif.to_vec()).ok()?;
    let value = exif
        .get_field(Tag::Orientation, In::PRIMARY)?
        .value
        .get_uint(0)?;
    (2..=8).contains(&value).then_some(value)
}

/// A TIFF-structured EXIF block holding only the orientation.
fn orientation_exif(value: u32) -> Option<Bytes> {
    let field = Field {
        tag: Tag::Orientation,
        ifd_num: In::PRIMARY,
        value: Value::Short(vec![u16::try_from(value).ok()?]),
    };
    let mut writer = Writer::new();
    writer.push_field(&field);
    let mut out = std::io::Cursor::new(Vec::new());
    writer.write(&mut out, false).ok()?;
    Some(Bytes::from(out.into_inner()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An EXIF block with a GPS position and an orientation, as a phone writes it.
    fn phone_exif(orientation: u16) -> Vec<u8> {
        let fields = [
            Field {
                tag: Tag::Orientation,
                ifd_num: In::PRIMARY,
                value: Value::Short(vec![orientation]),
            },
            Field {
                tag: Tag::Make,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![b"PhoneMaker".to_vec()]),
            },
            Field {
                tag: Tag::GPSLatitudeRef,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![b"N".to_vec()]),
            },
            Field {
                tag: Tag::GPSLatitude,
                ifd_num: In::PRIMARY,
                value: Value::Rational(vec![(31, 1).into(), (14, 1).into(), (1234, 100).into()]),
            },
        ];
        let mut writer = Writer::new();
        for f in &fields {
            writer.push_field(f);
        }
        let mut out = std::io::Cursor::new(Vec::new());
        writer.write(&mut out, false).unwrap();
        out.into_inner()
    }

    fn tags(exif: Option<Bytes>) -> Vec<Tag> {
        let Some(exif) = exif else { return vec![] };
        let exif = exif::Reader::new().read_raw(exif.to_vec()).unwrap();
        exif.fields().map(|f| f.tag).collect()
    }

    /// A 1×1 PNG (real, decodable) with the phone's EXIF and an XMP text chunk.
    fn png_with_metadata() -> Bytes {
        let plain: &[u8] = &[
            0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0,
            0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xde, 0, 0, 0, 12, b'I', b'D',
            b'A', b'T', 0x08, 0xd7, 0x63, 0xf8, 0xcf, 0xc0, 0, 0, 0x03, 0x01, 0x01, 0x00, 0x18,
            0xdd, 0x8d, 0xb0, 0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xae, 0x42, 0x60, 0x82,
        ];
        let mut png = Png::from_bytes(Bytes::from_static(plain)).unwrap();
        png.set_exif(Some(Bytes::from(phone_exif(6))));
        let xmp = b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta><exif:GPSLatitude>31,14N</exif:GPSLatitude></x:xmpmeta>";
        let at = png.chunks().len() - 1;
        png.chunks_mut().insert(
            at,
            img_parts::png::PngChunk::new(*b"iTXt", Bytes::from_static(xmp)),
        );
        png.encoder().bytes()
    }

    #[test]
    fn png_loses_location_and_xmp_but_keeps_orientation() {
        let original = png_with_metadata();
        assert!(tags(Png::from_bytes(original.clone()).unwrap().exif()).contains(&Tag::GPSLatitude));
        let stripped = strip("image/png", original).unwrap();
        assert!(!stripped.windows(11).any(|w| w == b"GPSLatitude"));
        assert!(!stripped.windows(10).any(|w| w == b"PhoneMaker"));
        let png = Png::from_bytes(stripped).unwrap();
        assert_eq!(tags(png.exif()), vec![Tag::Orientation]);
        assert_eq!(orientation(png.exif().unwrap()), Some(6));
        assert!(
            png.chunk_by_type(*b"IDAT").is_some(),
            "the image data stays"
        );
    }

    #[test]
    fn upright_pictures_keep_no_exif_at_all() {
        let mut png = Png::from_bytes(png_with_metadata()).unwrap();
        png.set_exif(Some(Bytes::from(phone_exif(1))));
        let stripped = strip("image/png", png.encoder().bytes()).unwrap();
        assert_eq!(Png::from_bytes(stripped).unwrap().exif(), None);
    }

    #[test]
    fn damaged_pictures_are_refused_and_other_types_untouched() {
        assert!(strip(
            "image/jpeg",
            Bytes::from_static(b"\xff\xd8\xff\xe1\xff\xff")
        )
        .is_err());
        let gif = Bytes::from_static(b"GIF89a\x01\0\x01\0");
        assert_eq!(strip("image/gif", gif.clone()).unwrap(), gif);
    }
}

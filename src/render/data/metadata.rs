//! `fm=json`: what the original says about itself, in imgix's shape (which is Apple ImageIO's
//! property dictionaries): pixel size, depth, colour model, DPI, profile description,
//! orientation, and chosen `Exif`, `TIFF`, `GPS` and `IPTC` fields. Read from the headers and
//! metadata segments; no pixel is decoded.
//!
//! Only listed fields are kept. Dropped on purpose: serial numbers, owner names, maker notes,
//! user comments, thumbnails, and `GPS` unless the file can only be read with a signature.

use std::io::Cursor;

use image::metadata::Orientation;
use serde_json::{Map, Value, json};

use super::iptc;
use crate::render::decode::{self, Header, SourceFormat};
use crate::render::faces::Found;

/// `TIFF` (0th IFD) fields kept, by EXIF name.
const TIFF_FIELDS: &[&str] = &[
    "ImageDescription",
    "Make",
    "Model",
    "Orientation",
    "XResolution",
    "YResolution",
    "ResolutionUnit",
    "Software",
    "DateTime",
    "Artist",
    "Copyright",
];

/// `Exif` fields kept: how the picture was taken, nothing that identifies a person or a device.
const EXIF_FIELDS: &[&str] = &[
    "ExposureTime",
    "FNumber",
    "ExposureProgram",
    "PhotographicSensitivity",
    "ExifVersion",
    "DateTimeOriginal",
    "DateTimeDigitized",
    "OffsetTime",
    "OffsetTimeOriginal",
    "ComponentsConfiguration",
    "ShutterSpeedValue",
    "ApertureValue",
    "BrightnessValue",
    "ExposureBiasValue",
    "MaxApertureValue",
    "MeteringMode",
    "LightSource",
    "Flash",
    "FocalLength",
    "ColorSpace",
    "PixelXDimension",
    "PixelYDimension",
    "SensingMethod",
    "FileSource",
    "SceneType",
    "CustomRendered",
    "ExposureMode",
    "WhiteBalance",
    "DigitalZoomRatio",
    "FocalLengthIn35mmFilm",
    "SceneCaptureType",
    "GainControl",
    "Contrast",
    "Saturation",
    "Sharpness",
    "LensSpecification",
    "LensMake",
    "LensModel",
];

/// `GPS` fields kept when the location may be shown, by EXIF name (written without `GPS`).
const GPS_FIELDS: &[&str] = &[
    "GPSLatitudeRef",
    "GPSLatitude",
    "GPSLongitudeRef",
    "GPSLongitude",
    "GPSAltitudeRef",
    "GPSAltitude",
    "GPSTimeStamp",
    "GPSDateStamp",
    "GPSImgDirectionRef",
    "GPSImgDirection",
    "GPSSpeedRef",
    "GPSSpeed",
];

/// The JSON document for `source`, whose header is `header`. `reveal_location` keeps `GPS`.
pub fn describe(
    source: &[u8],
    header: &Header,
    reveal_location: bool,
    faces: Option<&Found>,
) -> Vec<u8> {
    let traits = decode::traits(source, header);
    let stored = if swaps_axes(header.orientation) {
        (header.upright.1, header.upright.0)
    } else {
        header.upright
    };
    let mut doc = Map::new();
    doc.insert("Content-Type".into(), json!(mime(header.format)));
    doc.insert("Content-Length".into(), json!(source.len().to_string()));
    doc.insert("PixelWidth".into(), json!(stored.0));
    doc.insert("PixelHeight".into(), json!(stored.1));
    doc.insert("Orientation".into(), json!(header.orientation.to_exif()));
    doc.insert("HasAlpha".into(), json!(header.has_alpha));
    if let Some(found) = faces {
        doc.insert("Faces".into(), faces_json(found));
    }
    if let Some(depth) = traits.depth {
        doc.insert("Depth".into(), json!(depth));
    }
    if let Some(model) = traits.colour_model {
        doc.insert("ColorModel".into(), json!(model));
    }
    if let Some(description) = traits.icc.as_deref().and_then(profile_description) {
        doc.insert("ProfileDescription".into(), json!(description));
    }
    if let Some(progressive) = traits.progressive {
        doc.insert("JFIF".into(), json!({ "IsProgressive": progressive }));
    }
    let exif = exif::Reader::new()
        .read_from_container(&mut Cursor::new(source))
        .ok();
    let mut dpi = traits.dpi;
    if let Some(exif) = &exif {
        let groups = exif_groups(exif, reveal_location);
        dpi = dpi.or_else(|| exif_dpi(&groups.1));
        for (name, group) in [("TIFF", groups.1), ("Exif", groups.0), ("GPS", groups.2)] {
            if !group.is_empty() {
                doc.insert(name.into(), Value::Object(group));
            }
        }
    }
    if let Some((x, y)) = dpi {
        doc.insert("DPIWidth".into(), number(round(x)));
        doc.insert("DPIHeight".into(), number(round(y)));
    }
    if header.format == SourceFormat::Jpeg {
        let fields = iptc::fields(&decode::iptc_segments(source));
        if !fields.is_empty() {
            doc.insert("IPTC".into(), Value::Object(fields));
        }
    }
    serde_json::to_vec(&Value::Object(doc)).unwrap_or_default()
}

fn mime(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::Jpeg => "image/jpeg",
        SourceFormat::Png => "image/png",
        SourceFormat::Gif => "image/gif",
        SourceFormat::Webp => "image/webp",
        SourceFormat::Bmp => "image/bmp",
        SourceFormat::Tiff => "image/tiff",
        SourceFormat::Avif => "image/avif",
        SourceFormat::Jxl => "image/jxl",
        SourceFormat::Svg => "image/svg+xml",
    }
}

fn swaps_axes(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn round(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A whole number as a JSON integer (`200`, not `200.0`), anything else as it is.
fn number(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        json!(v as i64)
    } else {
        json!(v)
    }
}

/// The kept fields of the primary image: (`Exif`, `TIFF`, `GPS`).
fn exif_groups(
    exif: &exif::Exif,
    reveal_location: bool,
) -> (Map<String, Value>, Map<String, Value>, Map<String, Value>) {
    let (mut camera, mut tiff, mut gps) = (Map::new(), Map::new(), Map::new());
    for field in exif.fields().filter(|f| f.ifd_num == exif::In::PRIMARY) {
        let name = field.tag.to_string();
        let (group, kept) = match field.tag.context() {
            exif::Context::Tiff => (&mut tiff, TIFF_FIELDS),
            exif::Context::Exif => (&mut camera, EXIF_FIELDS),
            exif::Context::Gps if reveal_location => (&mut gps, GPS_FIELDS),
            _ => continue,
        };
        if !kept.contains(&name.as_str()) {
            continue;
        }
        let Some(value) = json_value(&name, &field.value) else {
            continue;
        };
        let key = match name.as_str() {
            // imgix (and ImageIO) keep the EXIF 2.2 name.
            "PhotographicSensitivity" => "ISOSpeedRatings".to_string(),
            other => other.strip_prefix("GPS").unwrap_or(other).to_string(),
        };
        group.insert(key, value);
    }
    (camera, tiff, gps)
}

/// DPI from the `TIFF` resolution fields (unit 2 is the inch, 3 the centimetre).
fn exif_dpi(tiff: &Map<String, Value>) -> Option<(f64, f64)> {
    let x = tiff.get("XResolution")?.as_f64()?;
    let y = tiff.get("YResolution")?.as_f64()?;
    match tiff
        .get("ResolutionUnit")
        .and_then(Value::as_u64)
        .unwrap_or(2)
    {
        2 => Some((x, y)),
        3 => Some((x * 2.54, y * 2.54)),
        _ => None,
    }
}

/// An EXIF value as JSON: text as a string, one number as a number, several as an array;
/// latitude and longitude (degrees, minutes, seconds) as decimal degrees.
fn json_value(name: &str, value: &exif::Value) -> Option<Value> {
    use exif::Value as V;
    let numbers = |v: Vec<f64>| -> Option<Value> {
        match v.as_slice() {
            [] => None,
            [one] => Some(number(*one)),
            _ => Some(Value::Array(v.into_iter().map(number).collect())),
        }
    };
    match value {
        V::Ascii(parts) => {
            let text = String::from_utf8_lossy(parts.first()?);
            let text = text.trim_end_matches('\0').trim();
            (!text.is_empty()).then(|| json!(text))
        }
        V::Rational(r) if matches!(name, "GPSLatitude" | "GPSLongitude") => {
            let [d, m, s] = r.as_slice() else { return None };
            Some(number(d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0))
        }
        V::Rational(r) => numbers(r.iter().map(|x| x.to_f64()).collect()),
        V::SRational(r) => numbers(r.iter().map(|x| x.to_f64()).collect()),
        V::Byte(v) => numbers(v.iter().map(|x| f64::from(*x)).collect()),
        V::Short(v) => numbers(v.iter().map(|x| f64::from(*x)).collect()),
        V::Long(v) => numbers(v.iter().map(|x| f64::from(*x)).collect()),
        V::SShort(v) => numbers(v.iter().map(|x| f64::from(*x)).collect()),
        V::SLong(v) => numbers(v.iter().map(|x| f64::from(*x)).collect()),
        V::Float(v) => numbers(v.iter().map(|x| f64::from(*x)).collect()),
        V::Double(v) => numbers(v.clone()),
        // Versions are four ASCII digits; the rest are small codes, written as imgix does.
        V::Undefined(bytes, _) if name.ends_with("Version") => {
            Some(json!(String::from_utf8_lossy(bytes)))
        }
        V::Undefined(bytes, _) => {
            let codes: Vec<String> = bytes.iter().map(u8::to_string).collect();
            Some(json!(codes.join(" ")))
        }
        V::SByte(_) | V::Unknown(..) => None,
    }
}

/// The profile's description: a v2 `desc` (ASCII) or v4 `mluc` (UTF-16, first record) tag.
fn profile_description(icc: &[u8]) -> Option<String> {
    let be32 = |at: usize| -> Option<usize> {
        Some(u32::from_be_bytes(icc.get(at..at + 4)?.try_into().ok()?) as usize)
    };
    let count = be32(128)?.min(1024);
    let (offset, size) = (0..count).find_map(|i| {
        let entry = 132 + i * 12;
        (icc.get(entry..entry + 4)? == b"desc")
            .then(|| Some((be32(entry + 4)?, be32(entry + 8)?)))?
    })?;
    let tag = icc.get(offset..offset.checked_add(size)?)?;
    let text = match tag.get(..4)? {
        b"desc" => {
            let length = u32::from_be_bytes(tag.get(8..12)?.try_into().ok()?) as usize;
            let ascii = tag.get(12..12 + length)?;
            String::from_utf8_lossy(ascii).into_owned()
        }
        b"mluc" => {
            let record = tag.get(16..28)?;
            let length = u32::from_be_bytes(record[4..8].try_into().ok()?) as usize;
            let start = u32::from_be_bytes(record[8..12].try_into().ok()?) as usize;
            let utf16: Vec<u16> = tag
                .get(start..start.checked_add(length)?)?
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&utf16)
        }
        _ => return None,
    };
    let text = text.trim_end_matches('\0').trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// imgix's `Faces`: each face's `bounds` in the stored pixels (the frame of `PixelWidth` and
/// `PixelHeight`), largest face first. imgix also gives eyes and mouth; SeetaFace's detector
/// finds no landmarks, so pixgate gives the bounds alone rather than made-up points.
fn faces_json(found: &Found) -> Value {
    let faces: Vec<Value> = found
        .boxes
        .iter()
        .map(|b| {
            json!({ "bounds": {
                "x": b.x.round() as u32,
                "y": b.y.round() as u32,
                "width": b.width.round() as u32,
                "height": b.height.round() as u32,
            }})
        })
        .collect();
    Value::Array(faces)
}

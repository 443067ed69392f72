//! IPTC IIM fields from a JPEG's APP13 (Photoshop "8BIM" resource 0x0404), for `fm=json`:
//! the descriptive ones a site shows (title, caption, credit, keywords), named as ImageIO
//! names them.

use serde_json::{Map, Value, json};

/// Record 2 datasets kept, and their names. Keywords repeat; the rest are single.
const DATASETS: &[(u8, &str)] = &[
    (5, "ObjectName"),
    (25, "Keywords"),
    (55, "DateCreated"),
    (80, "Byline"),
    (85, "BylineTitle"),
    (90, "City"),
    (95, "Province/State"),
    (101, "Country/PrimaryLocationName"),
    (105, "Headline"),
    (110, "Credit"),
    (115, "Source"),
    (116, "CopyrightNotice"),
    (120, "Caption/Abstract"),
];

/// The kept fields of every IIM block in `segments` (APP13 payloads).
pub fn fields(segments: &[Vec<u8>]) -> Map<String, Value> {
    let mut out = Map::new();
    let mut keywords = Vec::new();
    for block in segments.iter().filter_map(|s| iim_block(s)) {
        for (dataset, data) in datasets(block) {
            let Some((_, name)) = DATASETS.iter().find(|(d, _)| *d == dataset) else {
                continue;
            };
            let text = String::from_utf8_lossy(data).trim().to_string();
            if *name == "Keywords" {
                keywords.push(text);
            } else {
                out.entry(*name).or_insert_with(|| json!(text));
            }
        }
    }
    if !keywords.is_empty() {
        out.insert("Keywords".into(), json!(keywords));
    }
    out
}

/// The IIM data of a Photoshop APP13 payload: its 0x0404 resource.
fn iim_block(payload: &[u8]) -> Option<&[u8]> {
    let mut rest = payload.strip_prefix(b"Photoshop 3.0\0")?;
    while rest.len() >= 12 && rest.starts_with(b"8BIM") {
        let id = u16::from_be_bytes([rest[4], rest[5]]);
        // A Pascal name padded to an even length, its length byte included.
        let name_length = usize::from(rest[6]);
        let at = 6 + (name_length + 2) / 2 * 2;
        let size = u32::from_be_bytes(rest.get(at..at + 4)?.try_into().ok()?) as usize;
        let data = rest.get(at + 4..at + 4 + size)?;
        if id == 0x0404 {
            return Some(data);
        }
        rest = rest.get(at + 4 + size + size % 2..)?;
    }
    None
}

/// Record 2 datasets as (number, data); stops at the first malformed one.
fn datasets(mut block: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let [0x1C, record, dataset, l1, l0, rest @ ..] = block {
        // An extended (> 32767 bytes) length has its top bit set: nothing kept is that long.
        let length = usize::from(u16::from_be_bytes([*l1, *l0]));
        if length & 0x8000 != 0 {
            break;
        }
        let Some(data) = rest.get(..length) else {
            break;
        };
        if *record == 2 {
            out.push((*dataset, data));
        }
        block = &rest[length..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An APP13 payload holding `datasets` of record 2.
    pub fn app13(datasets: &[(u8, &str)]) -> Vec<u8> {
        let mut iim = Vec::new();
        for (number, text) in datasets {
            iim.extend_from_slice(&[0x1C, 2, *number]);
            iim.extend_from_slice(&(text.len() as u16).to_be_bytes());
            iim.extend_from_slice(text.as_bytes());
        }
        let mut out = b"Photoshop 3.0\08BIM\x04\x04\0\0".to_vec();
        out.extend_from_slice(&(iim.len() as u32).to_be_bytes());
        out.extend_from_slice(&iim);
        out
    }

    #[test]
    fn kept_datasets_are_named_and_keywords_collected() {
        let payload = app13(&[
            (5, "Cups"),
            (25, "coffee"),
            (25, "table"),
            (120, "Two cups"),
            (200, "ignored"),
        ]);
        let fields = fields(&[payload]);
        assert_eq!(fields["ObjectName"], "Cups");
        assert_eq!(fields["Caption/Abstract"], "Two cups");
        assert_eq!(fields["Keywords"], json!(["coffee", "table"]));
        assert_eq!(fields.len(), 3);
    }

    #[test]
    fn a_truncated_block_gives_what_came_before() {
        let mut payload = app13(&[(5, "Cups"), (120, "Two cups")]);
        payload.truncate(payload.len() - 3);
        assert!(
            fields(&[payload]).is_empty(),
            "the resource's size no longer fits"
        );
        assert!(fields(&[b"not photoshop".to_vec()]).is_empty());
    }
}

//! W3C Trace Context (`traceparent`) at the edge: a request's trace id is the caller's when its
//! header is valid, else a new one, and it goes into the access log so pixgate's line joins the
//! caller's trace. An invalid header is ignored, as the standard says: the trace restarts here.

use http::HeaderMap;

use crate::app::AppState;

const TRACEPARENT: &str = "traceparent";

/// `00-` + trace id (32) + `-` + parent id (16) + `-` + flags (2).
const LEN: usize = 55;

/// The request's trace id, 32 lowercase hex digits.
pub fn trace_id(app: &AppState, headers: &HeaderMap) -> String {
    match given(headers) {
        Some(id) => id.to_string(),
        None => crate::hex::lower(&app.next_trace_id()),
    }
}

/// The trace id of the one `traceparent` header, when it is valid: a known version (`ff` is
/// not one; a later version may append fields after a `-`), lowercase hex throughout, neither
/// id all zeros. Two `traceparent` headers are as good as none.
fn given(headers: &HeaderMap) -> Option<&str> {
    let mut all = headers.get_all(TRACEPARENT).iter();
    let value = all.next()?;
    if all.next().is_some() {
        return None;
    }
    let text = value.to_str().ok()?;
    let bytes = text.as_bytes();
    let version = text.get(..2)?;
    let length_ok = match version {
        "00" => bytes.len() == LEN,
        _ => bytes.len() == LEN || bytes.get(LEN) == Some(&b'-'),
    };
    if !length_ok || version == "ff" || !hex(version) {
        return None;
    }
    if [2, 35, 52].iter().any(|&at| bytes.get(at) != Some(&b'-')) {
        return None;
    }
    let (trace, parent, flags) = (text.get(3..35)?, text.get(36..52)?, text.get(53..55)?);
    let nonzero = |id: &str| id.bytes().any(|b| b != b'0');
    (hex(trace) && hex(parent) && hex(flags) && nonzero(trace) && nonzero(parent)).then_some(trace)
}

fn hex(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    fn given_by(values: &[&str]) -> Option<String> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(TRACEPARENT, HeaderValue::from_str(value).unwrap());
        }
        given(&headers).map(str::to_string)
    }

    #[test]
    fn valid_traceparents_give_their_trace_id() {
        for value in [
            format!("00-{TRACE}-00f067aa0ba902b7-01"),
            format!("00-{TRACE}-00f067aa0ba902b7-00"),
            format!("01-{TRACE}-00f067aa0ba902b7-01-what-comes-later"),
            format!("cc-{TRACE}-00f067aa0ba902b7-09"),
        ] {
            assert_eq!(given_by(&[&value]).as_deref(), Some(TRACE), "{value}");
        }
    }

    #[test]
    fn invalid_traceparents_are_ignored() {
        for value in [
            String::new(),
            format!("ff-{TRACE}-00f067aa0ba902b7-01"),
            format!("00-{TRACE}-00f067aa0ba902b7-01-extra"),
            format!("01-{TRACE}-00f067aa0ba902b7-01x"),
            format!("00-{}-00f067aa0ba902b7-01", TRACE.to_uppercase()),
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01".to_string(),
            format!("00-{TRACE}-0000000000000000-01"),
            format!("00_{TRACE}-00f067aa0ba902b7-01"),
            format!("00-{TRACE}-00f067aa0ba902b7-0g"),
            format!("00-{TRACE}00f067aa0ba902b7-01-"),
            "00-4bf92f35".to_string(),
        ] {
            assert_eq!(given_by(&[&value]), None, "{value:?}");
        }
        let one = format!("00-{TRACE}-00f067aa0ba902b7-01");
        assert_eq!(given_by(&[&one, &one]), None);
        assert_eq!(given_by(&[]), None);
    }
}

//! What every request of the suite returns: `Reply`, read from the bytes of a connection by the
//! one response parser (also several answers from one connection), with the checks every
//! test makes of it — above all the one shape of a JSON error.

use image::RgbaImage;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use super::images::{decode, image_kind};

/// Splits a connection's bytes into its answers, in order. `methods` are the requests'
/// methods in order (a `HEAD` answer has no body whatever its headers say); answers beyond
/// them are read as answers to GETs. Bytes left after a body its framing ended are read as
/// another answer, so a `HEAD` or a 304 that carried a body does not parse as one answer.
pub fn parse_replies(mut bytes: &[u8], methods: &[&str]) -> Result<Vec<Reply>, String> {
    let mut replies = Vec::new();
    while !bytes.is_empty() {
        let head_request = methods.get(replies.len()) == Some(&"HEAD");
        let (reply, rest) = parse_one(bytes, head_request)?;
        replies.push(reply);
        bytes = rest;
    }
    if replies.is_empty() {
        return Err("the connection closed without an answer".into());
    }
    Ok(replies)
}

fn parse_one(bytes: &[u8], head_request: bool) -> Result<(Reply, &[u8]), String> {
    let shown = || String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
    let end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of head in {:?}", shown()))?;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| format!("head {:?}", shown()))?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("status line of {:?}", shown()))?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("header line {line:?}"))?;
        headers.append(
            HeaderName::from_bytes(name.trim().as_bytes()).map_err(|e| e.to_string())?,
            HeaderValue::from_str(value.trim()).map_err(|e| e.to_string())?,
        );
    }
    let rest = &bytes[end + 4..];
    let no_body = head_request || status < 200 || status == 204 || status == 304;
    let chunked = headers
        .get("transfer-encoding")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"chunked"));
    let length = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    let (body, rest) = if no_body {
        (Vec::new(), rest)
    } else if chunked {
        dechunk(rest)?
    } else if let Some(length) = length {
        if rest.len() < length {
            return Err(format!(
                "{status}: body of {} bytes, Content-Length {length}",
                rest.len()
            ));
        }
        (rest[..length].to_vec(), &rest[length..])
    } else {
        (rest.to_vec(), &rest[rest.len()..])
    };
    Ok((
        Reply {
            status,
            headers,
            body,
        },
        rest,
    ))
}

fn dechunk(mut rest: &[u8]) -> Result<(Vec<u8>, &[u8]), String> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("chunk size line")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).map_err(|e| e.to_string())?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("chunk size {size_text:?}: {e}"))?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            // No trailers are sent: the blank line ends the body.
            return Ok((body, rest.get(2..).unwrap_or(&[])));
        }
        body.extend_from_slice(rest.get(..size).ok_or("chunk cut short")?);
        rest = rest.get(size + 2..).ok_or("chunk cut short")?;
    }
}

/// A response: status, headers and the whole body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    /// The header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as lossy text, shortened, for failure messages.
    pub fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.chars().take(400).collect()
    }

    /// Status, content type and the start of the body, for failure messages.
    pub fn summary(&self) -> String {
        format!(
            "got {} ({:?}) {}",
            self.status,
            self.header("content-type"),
            self.text().chars().take(200).collect::<String>()
        )
    }

    /// Fails the test unless the status is `status`, showing the body if it was not.
    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status,
            status,
            "status {} (wanted {status}); headers {:?}; body {}",
            self.status,
            self.headers,
            self.text()
        );
        self
    }

    /// A 200 whose body is an image of the given kind (`jpeg`, `png`, `webp`, `gif`, `avif`),
    /// with a matching `Content-Type`.
    #[track_caller]
    pub fn assert_image(&self, kind: &str) -> &Reply {
        self.assert_status(200);
        assert_eq!(image_kind(&self.body), Some(kind), "body is not {kind}");
        assert_eq!(
            self.header("content-type"),
            Some(format!("image/{kind}").as_str())
        );
        self
    }

    /// [`Reply::assert_image`], then the decoded pixels (JPEG, PNG, WebP, GIF's first frame).
    #[track_caller]
    pub fn image(&self, kind: &str) -> RgbaImage {
        self.assert_image(kind);
        decode(&self.body)
    }

    /// The body as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }

    /// What is wrong with the status and headers every JSON error carries, if anything.
    fn error_headers_wrong(&self, status: u16) -> Option<&'static str> {
        if self.status != status {
            Some("status")
        } else if self.header("cache-control") != Some("no-store") {
            Some("Cache-Control is not no-store")
        } else if self.header("x-content-type-options") != Some("nosniff") {
            Some("no nosniff")
        } else if !self
            .header("content-type")
            .is_some_and(|t| t.starts_with("application/json"))
        {
            Some("not JSON")
        } else {
            None
        }
    }

    /// Whether this is a refusal the way every error must look (contract §2.3, §4): the
    /// status, the JSON envelope `{meta, data: null, error: {code, message}, links}` with
    /// `code`, `Cache-Control: no-store`, `X-Content-Type-Options: nosniff`, and no image
    /// bytes. The message, or what is wrong, for a table to report.
    pub fn error_shape(&self, status: u16, code: &str) -> Result<String, String> {
        let wrong = |what: &str| {
            Err(format!(
                "wanted {status} {code}: {what}; {}",
                self.summary()
            ))
        };
        if let Some(what) = self.error_headers_wrong(status) {
            return wrong(what);
        }
        if image_kind(&self.body).is_some() {
            return wrong("image bytes in an error");
        }
        let Ok(json) = serde_json::from_slice::<serde_json::Value>(&self.body) else {
            return wrong("body is not JSON");
        };
        if json["data"] != serde_json::Value::Null
            || !json["meta"].is_object()
            || json.get("links").is_none()
        {
            return wrong(&format!("not the envelope: {json}"));
        }
        if json["error"]["code"] != code {
            return wrong(&format!("code: {json}"));
        }
        match json["error"]["message"].as_str() {
            Some(message) => Ok(message.to_string()),
            None => wrong(&format!("error.message is not a string: {json}")),
        }
    }

    /// The headers of [`Reply::error_shape`] on an answer to `HEAD`, which has no body.
    pub fn head_error_shape(&self, status: u16) -> Result<(), String> {
        let wrong = |what: &str| Err(format!("wanted HEAD {status}: {what}; {}", self.summary()));
        if let Some(what) = self.error_headers_wrong(status) {
            return wrong(what);
        }
        if !self.body.is_empty() {
            return wrong("a body");
        }
        Ok(())
    }

    /// Fails the test unless this is the JSON error `status` `code` ([`Reply::error_shape`]).
    /// Returns the message.
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> String {
        self.error_shape(status, code)
            .unwrap_or_else(|wrong| panic!("{wrong}; headers {:?}", self.headers))
    }

    /// `max-age` from `Cache-Control: public, max-age=N`.
    #[track_caller]
    pub fn max_age(&self) -> u64 {
        let cc = self.header("cache-control").unwrap_or("");
        assert!(cc.starts_with("public"), "cache-control {cc:?}");
        cc.split(',')
            .filter_map(|part| part.trim().strip_prefix("max-age="))
            .find_map(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no max-age in {cc:?}"))
    }
}

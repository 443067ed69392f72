//! The answers of credential endpoints, parsed: the JSON of the container endpoint and instance
//! metadata, the XML of STS, and their ISO 8601 expiry times. Error texts never quote a value.

use std::time::{Duration, SystemTime};

use rusty_s3::Credentials;
use serde::Deserialize;

use super::Fetched;

/// The container endpoint's and instance metadata's document.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    access_key_id: String,
    secret_access_key: String,
    token: Option<String>,
    expiration: Option<String>,
    /// Instance metadata only: `Success` when the rest is there.
    code: Option<String>,
}

pub(super) fn from_json(text: &str) -> Result<Fetched, String> {
    let document: Document = serde_json::from_str(text)
        .map_err(|_| "the answer is not a credentials document".to_string())?;
    if let Some(code) = document.code.as_deref().filter(|c| *c != "Success") {
        // A short code from the service (`AssumeRoleUnauthorizedAccess`), not a secret.
        let code: String = code.chars().take(64).collect();
        return Err(format!("the endpoint answered code {code:?}"));
    }
    fetched(
        document.access_key_id,
        document.secret_access_key,
        document.token,
        document.expiration.as_deref(),
    )
}

/// `AssumeRoleWithWebIdentityResponse`: the `Credentials` element's four children.
pub(super) fn from_sts_xml(text: &str) -> Result<Fetched, String> {
    let credentials = element(text, "Credentials").ok_or("the answer has no Credentials")?;
    let field = |name: &str| element(credentials, name).map(unescape);
    fetched(
        field("AccessKeyId").ok_or("the answer has no AccessKeyId")?,
        field("SecretAccessKey").ok_or("the answer has no SecretAccessKey")?,
        field("SessionToken"),
        field("Expiration").as_deref(),
    )
}

/// The `Code` of an STS error answer, if there is one.
pub(super) fn sts_error_code(text: &str) -> Option<String> {
    element(text, "Code").map(|code| code.chars().take(64).collect())
}

fn fetched(
    key: String,
    secret: String,
    token: Option<String>,
    expiration: Option<&str>,
) -> Result<Fetched, String> {
    if key.is_empty() || secret.is_empty() {
        return Err("the answer has an empty key".into());
    }
    let expires = match expiration {
        Some(text) => Some(parse_time(text).ok_or("the answer's Expiration is not a time")?),
        None => None,
    };
    let credentials = match token.filter(|t| !t.is_empty()) {
        Some(token) => Credentials::new_with_token(key, secret, token),
        None => Credentials::new(key, secret),
    };
    Ok(Fetched {
        credentials,
        expires,
    })
}

/// The text between `<name>` and `</name>` (the first such element).
fn element<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(text[start..end].trim())
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `2026-12-04T14:00:00Z`, with optional fractional seconds and a `Z` or `±hh:mm` offset, as
/// a time; also a bare number of seconds since the epoch (STS may send that in JSON SDKs).
pub(super) fn parse_time(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds));
    }
    let (date, time) = text.split_once(['T', 't', ' '])?;
    let mut date = date.splitn(3, '-');
    let year: i64 = date.next()?.parse().ok()?;
    let month: u32 = date.next()?.parse().ok()?;
    let day: u32 = date.next()?.parse().ok()?;
    let (clock, offset) = split_offset(time)?;
    let mut clock = clock.splitn(3, ':');
    let hour: i64 = clock.next()?.parse().ok()?;
    let minute: i64 = clock.next()?.parse().ok()?;
    let second = clock.next()?;
    let second: i64 = second.split('.').next()?.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    if second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset;
    let seconds = u64::try_from(seconds).ok()?;
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// The clock part and the offset east of UTC in seconds.
fn split_offset(time: &str) -> Option<(&str, i64)> {
    if let Some(clock) = time.strip_suffix(['Z', 'z']) {
        return Some((clock, 0));
    }
    let at = time.rfind(['+', '-'])?;
    let (clock, offset) = time.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let (hours, minutes) = offset[1..].split_once(':')?;
    let hours: i64 = hours.parse().ok()?;
    let minutes: i64 = minutes.parse().ok()?;
    Some((clock, sign * (hours * 3600 + minutes * 60)))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: u64) -> Option<SystemTime> {
        Some(SystemTime::UNIX_EPOCH + Duration::from_secs(seconds))
    }

    #[test]
    fn expiry_times_parse_as_the_endpoints_write_them() {
        let cases = [
            ("1970-01-01T00:00:00Z", at(0)),
            ("2026-12-04T14:00:00Z", at(1_796_392_800)),
            ("2026-12-04T14:00:00.123Z", at(1_796_392_800)),
            ("2026-12-04T15:00:00+01:00", at(1_796_392_800)),
            ("2024-02-29T00:00:00Z", at(1_709_164_800)),
            ("1796392800", at(1_796_392_800)),
            ("2026-13-04T14:00:00Z", None),
            ("yesterday", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_time(text), want, "{text:?}");
        }
    }

    #[test]
    fn documents_give_keys_token_and_expiry_and_errors_quote_no_secret() {
        let json = r#"{"Code":"Success","AccessKeyId":"AKID","SecretAccessKey":"SECRET",
            "Token":"TOKEN","Expiration":"2026-12-04T14:00:00Z"}"#;
        let fetched = from_json(json).unwrap();
        assert_eq!(fetched.credentials.key(), "AKID");
        assert_eq!(fetched.credentials.secret(), "SECRET");
        assert_eq!(fetched.credentials.token(), Some("TOKEN"));
        assert_eq!(fetched.expires, at(1_796_392_800));
        let debug = format!("{fetched:?}");
        assert!(
            !debug.contains("SECRET") && !debug.contains("TOKEN"),
            "{debug}"
        );

        let xml = "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult>\
            <Credentials><AccessKeyId>AKID</AccessKeyId><SecretAccessKey>S&amp;S</SecretAccessKey>\
            <SessionToken>T</SessionToken><Expiration>2026-12-04T14:00:00Z</Expiration>\
            </Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>";
        let fetched = from_sts_xml(xml).unwrap();
        assert_eq!(fetched.credentials.secret(), "S&S");
        assert_eq!(fetched.credentials.token(), Some("T"));

        let broken = r#"{"AccessKeyId":"AKID","SecretAccessKey":"SECRET","Expiration":"soon"}"#;
        let error = from_json(broken).unwrap_err();
        assert!(!error.contains("SECRET"), "{error}");
        let failed = r#"{"Code":"Failure","AccessKeyId":"","SecretAccessKey":""}"#;
        assert!(from_json(failed).unwrap_err().contains("Failure"));
        assert!(
            from_json("not json SECRET")
                .unwrap_err()
                .starts_with("the answer")
        );
    }
}

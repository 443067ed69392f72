//! Durations (`"30s"`, `"5m"`) and sizes (`"512MiB"`, `"10MB"`) as written in the config file.
//! Strict on purpose: a value that could be read two ways is refused, never guessed.

use std::time::Duration;

const DURATION_UNITS: &str = "ms, s, m, h or d";
const SIZE_UNITS: &str = "B, KB, MB, GB, TB, KiB, MiB, GiB or TiB";

/// Parses a whole number followed by a unit: `ms`, `s`, `m`, `h` or `d` (`"250ms"`, `"0s"`,
/// `"7d"`). No sign, no spaces, no fraction, no bare number. The error quotes the value and shows
/// a good one.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{s:?} is not a duration; write a whole number and a unit ({DURATION_UNITS}), e.g. \"30s\" or \"5m\""
        )
    };
    let (number, unit) = split_number(s);
    if number.is_empty() || unit.is_empty() {
        return Err(bad());
    }
    let too_long = || format!("{s:?} is too long a duration; e.g. \"365d\"");
    let n: u64 = number.parse().map_err(|_| too_long())?;
    let seconds_per_unit: u64 = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        _ => return Err(bad()),
    };
    n.checked_mul(seconds_per_unit)
        .map(Duration::from_secs)
        .ok_or_else(too_long)
}

/// Parses a byte count: bare digits are bytes; units are `B`, decimal `KB`/`MB`/`GB`/`TB` and
/// binary `KiB`/`MiB`/`GiB`/`TiB`, case-sensitive (`"512MiB"`, `"10MB"`, `"100"`). No sign,
/// spaces or fraction; a value above `u64::MAX` bytes is an error.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{s:?} is not a size; write a whole number and a unit ({SIZE_UNITS}), e.g. \"512MiB\""
        )
    };
    let (number, unit) = split_number(s);
    if number.is_empty() {
        return Err(bad());
    }
    let multiplier: u64 = match unit {
        "" | "B" => 1,
        "KB" => 1000,
        "MB" => 1000_u64.pow(2),
        "GB" => 1000_u64.pow(3),
        "TB" => 1000_u64.pow(4),
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        _ => return Err(bad()),
    };
    let too_large = || format!("{s:?} is too large a size; e.g. \"5GiB\"");
    let n: u64 = number.parse().map_err(|_| too_large())?;
    n.checked_mul(multiplier).ok_or_else(too_large)
}

/// Splits leading ASCII digits from the rest.
fn split_number(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_every_unit_parse() {
        let cases = [
            ("30s", Duration::from_secs(30)),
            ("5m", Duration::from_secs(300)),
            ("1h", Duration::from_secs(3600)),
            ("7d", Duration::from_secs(7 * 86_400)),
            ("365d", Duration::from_secs(365 * 86_400)),
            ("250ms", Duration::from_millis(250)),
            ("0s", Duration::ZERO),
            ("007s", Duration::from_secs(7)),
        ];
        for (text, want) in cases {
            assert_eq!(parse_duration(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn malformed_durations_are_refused_with_the_value_quoted() {
        let cases = [
            "5 minutes",
            "-1s",
            "+1s",
            "1.5h",
            "",
            "30",
            "s",
            " 30s",
            "30s ",
            "30 s",
            "30S",
            "1w",
            "1h30m",
            "18446744073709551616s",
            "18446744073709551615d",
        ];
        for text in cases {
            let err = parse_duration(text).err();
            let Some(message) = err else {
                panic!("{text:?} was accepted");
            };
            assert!(message.contains(&format!("{text:?}")), "{message}");
            assert!(message.contains("e.g."), "{message}");
        }
    }

    #[test]
    fn sizes_in_every_unit_parse() {
        let cases = [
            ("512MiB", 512 << 20),
            ("50MiB", 50 << 20),
            ("5GiB", 5 << 30),
            ("1KiB", 1024),
            ("2TiB", 2 << 40),
            ("100B", 100),
            ("100", 100),
            ("0", 0),
            ("10KB", 10_000),
            ("10MB", 10_000_000),
            ("10GB", 10_000_000_000),
            ("1TB", 1_000_000_000_000),
            ("18446744073709551615", u64::MAX),
        ];
        for (text, want) in cases {
            assert_eq!(parse_size(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn malformed_sizes_are_refused_with_the_value_quoted() {
        let cases = [
            "10XB",
            "",
            "MiB",
            "-1",
            "+1",
            "1.5GiB",
            "512 MiB",
            "512mib",
            "512M",
            "18446744073709551616",
            "16777216TiB",
        ];
        for text in cases {
            let Some(message) = parse_size(text).err() else {
                panic!("{text:?} was accepted");
            };
            assert!(message.contains(&format!("{text:?}")), "{message}");
            assert!(message.contains("e.g."), "{message}");
        }
    }
}

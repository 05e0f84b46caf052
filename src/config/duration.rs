//! Durations as people write them, one rule for the config and the command line: a number of
//! seconds (`90`, `1.5`) or a `humantime` duration (`90s`, `30m`, `1h30m`, `2days`).

use std::time::Duration;

/// Parses `90`, `1.5`, `90s`, `30m`, `1h30m` or `2d`; the message says what is accepted.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("\"{text}\" is not a duration: write seconds (90) or 90s, 30m, 1h30m, 2d");
    if let Ok(seconds) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(seconds).map_err(|_| bad());
    }
    humantime::parse_duration(text).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_units() {
        let secs = Duration::from_secs;
        assert_eq!(parse_duration("90"), Ok(secs(90)));
        assert_eq!(parse_duration(" 1.5 "), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("90s"), Ok(secs(90)));
        assert_eq!(parse_duration("30m"), Ok(secs(1800)));
        assert_eq!(parse_duration("1h30m"), Ok(secs(5400)));
        assert_eq!(parse_duration("1h 30m"), Ok(secs(5400)));
        assert_eq!(parse_duration("2d"), Ok(secs(172_800)));
        assert_eq!(
            parse_duration("soon"),
            Err("\"soon\" is not a duration: write seconds (90) or 90s, 30m, 1h30m, 2d".into())
        );
        assert!(parse_duration("-5").is_err());
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("").is_err());
    }
}

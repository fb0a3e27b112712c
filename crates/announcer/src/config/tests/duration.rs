//! The duration syntax.

use std::time::Duration;

use crate::config::duration::parse;

#[test]
fn durations_take_whole_numbers_with_a_unit_largest_first() {
    assert_eq!(parse("250ms"), Some(Duration::from_millis(250)));
    assert_eq!(parse("2s"), Some(Duration::from_secs(2)));
    assert_eq!(parse("1m"), Some(Duration::from_secs(60)));
    assert_eq!(parse("1m30s"), Some(Duration::from_secs(90)));
    assert_eq!(parse("1s500ms"), Some(Duration::from_millis(1500)));
    assert_eq!(parse("1h"), Some(Duration::from_secs(3600)));
    assert_eq!(parse("0s"), Some(Duration::ZERO));
}

#[test]
fn durations_without_a_unit_with_fractions_spaces_or_units_out_of_order_are_refused() {
    for text in [
        "",
        "2",
        "s",
        "1.5s",
        "2 s",
        " 2s",
        "2s ",
        "-1s",
        "2S",
        "2sec",
        "30s1m",
        "1s1s",
        "1ms1s",
        "99999999999999999999s",
        "18446744073709551615h",
    ] {
        assert_eq!(parse(text), None, "{text:?}");
    }
}

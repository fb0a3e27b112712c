//! Configurations that are refused, each with the line and key its error names.

use std::path::Path;

use super::{reject, FILE, MINIMAL};
use crate::config::{load, parse, ConfigError};

/// `MINIMAL` with `lines` inserted after `remote_as` (so the first of them is line 7).
fn peer_with(lines: &str) -> String {
    MINIMAL.replace(
        "remote_as = 65000\n",
        &format!("remote_as = 65000\n{lines}\n"),
    )
}

/// `MINIMAL` with one `[[check]]` appended: its header is line 10, `lines` start on 11.
fn check_with(lines: &str) -> String {
    format!("{MINIMAL}[[check]]\n{lines}\n")
}

/// `MINIMAL` with `lines` appended to the VIP (so the first of them is line 10).
fn vip_with(lines: &str) -> String {
    format!("{MINIMAL}{lines}\n")
}

#[test]
fn errors_read_path_line_column_key_and_message() {
    let text = MINIMAL.replace("remote_as = 65000", "remote_as = \"abc\"");
    let error = parse(&text, Path::new(FILE)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "/etc/announcer/announcer.toml:6:13: peer[0].remote_as: \
         expected an AS number (1-4294967295), found \"abc\""
    );
}

#[test]
fn an_unknown_key_is_rejected_where_it_is_written() {
    let (line, key, message) = reject(&peer_with("hold = \"9s\""));
    assert_eq!((line, key.as_str()), (7, "peer[0].hold"));
    assert!(message.starts_with("unknown field `hold`"), "{message}");
}

#[test]
fn an_unknown_table_is_rejected() {
    let (line, key, _) = reject(&format!("{MINIMAL}\n[global]\nx = 1\n"));
    assert_eq!((line, key.as_str()), (11, "global"));
}

#[test]
fn a_value_of_the_wrong_type_is_rejected() {
    let text = check_with("name = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\nrise = \"two\"");
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (14, "check[0].rise"));
    assert_eq!(message, "expected a count of at least 1, found \"two\"");
}

#[test]
fn a_table_where_an_array_of_tables_belongs_is_rejected() {
    let (line, key, message) = reject("[bgp]\nlocal_as = 65001\n[peer]\naddress = \"192.0.2.1\"\n");
    assert_eq!((line, key.as_str()), (3, "peer"));
    assert!(message.contains("expected a sequence"), "{message}");
}

#[test]
fn a_missing_required_key_is_rejected_at_its_table() {
    let text = format!("{MINIMAL}\n[[peer]]\naddress = \"192.0.2.2\"\n");
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (11, "peer[1]"));
    assert_eq!(message, "missing field `remote_as`");
}

#[test]
fn a_file_without_bgp_is_rejected() {
    let (line, key, message) = reject("[[vip]]\nprefix = \"203.0.113.10/32\"\n");
    assert_eq!((line, key.as_str()), (1, ""));
    assert_eq!(message, "missing field `bgp`");
}

#[test]
fn duplicate_check_names_are_rejected() {
    let text = format!(
        "{MINIMAL}[[check]]\nname = \"web\"\ntype = \"tcp\"\naddress = \"127.0.0.1:80\"\n\
         [[check]]\nname = \"web\"\ntype = \"tcp\"\naddress = \"127.0.0.1:81\"\n"
    );
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (15, "check[1].name"));
    assert_eq!(message, "duplicate check name: web (first on line 11)");
}

#[test]
fn duplicate_peer_addresses_are_rejected_however_written() {
    let text = "[bgp]\nlocal_as = 65001\n[[peer]]\naddress = \"2001:db8::1\"\nremote_as = 65000\n\
                [[peer]]\naddress = \"2001:DB8:0::1\"\nremote_as = 65002\n";
    let (line, key, message) = reject(text);
    assert_eq!((line, key.as_str()), (7, "peer[1].address"));
    assert_eq!(
        message,
        "duplicate peer address: 2001:db8::1 (first on line 4)"
    );
}

#[test]
fn duplicate_peer_names_are_rejected() {
    let text = "[bgp]\nlocal_as = 65001\n[[peer]]\naddress = \"192.0.2.1\"\nremote_as = 65000\n\
                name = \"tor\"\n[[peer]]\naddress = \"192.0.2.2\"\nremote_as = 65000\nname = \"tor\"\n";
    let (line, key, _) = reject(text);
    assert_eq!((line, key.as_str()), (10, "peer[1].name"));
}

#[test]
fn duplicate_vip_prefixes_are_rejected() {
    let (line, key, message) = reject(&vip_with("[[vip]]\nprefix = \"203.0.113.10\""));
    assert_eq!((line, key.as_str()), (11, "vip[1].prefix"));
    assert_eq!(
        message,
        "duplicate VIP prefix: 203.0.113.10/32 (first on line 9)"
    );
}

#[test]
fn a_vip_naming_an_undefined_check_is_rejected() {
    let (line, key, message) = reject(&vip_with("checks = [\n\"web\"\n]"));
    assert_eq!((line, key.as_str()), (11, "vip[0].checks[0]"));
    assert_eq!(message, "no [[check]] is named \"web\"");
}

#[test]
fn a_vip_listing_a_check_twice_is_rejected() {
    let text = format!(
        "{MINIMAL}checks = [\"c\", \"c\"]\n[[check]]\nname = \"c\"\ntype = \"file\"\npath = \"/x\"\n"
    );
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (10, "vip[0].checks[1]"));
    assert_eq!(message, "duplicate check: c (first on line 10)");
}

#[test]
fn a_vip_prefix_that_is_not_a_host_route_is_rejected() {
    let text = MINIMAL.replace("203.0.113.10/32", "203.0.113.0/24");
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (9, "vip[0].prefix"));
    assert_eq!(
        message,
        "203.0.113.0/24 is not a host route: a VIP prefix is /32 (IPv4) or /128 (IPv6)"
    );
}

#[test]
fn a_key_of_another_check_type_is_rejected() {
    let text = check_with(
        "name = \"c\"\ntype = \"tcp\"\naddress = \"127.0.0.1:80\"\nurl = \"http://127.0.0.1/\"",
    );
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (14, "check[0].url"));
    assert_eq!(message, "not a key of tcp checks (their own keys: address)");
}

#[test]
fn a_check_without_the_key_its_type_needs_is_rejected_at_its_type() {
    let (line, key, message) = reject(&check_with("name = \"c\"\ntype = \"http\""));
    assert_eq!((line, key.as_str()), (12, "check[0].type"));
    assert_eq!(message, "http checks need `url`");
}

#[test]
fn an_unknown_check_type_is_rejected() {
    let (line, key, message) = reject(&check_with("name = \"c\"\ntype = \"udp\""));
    assert_eq!((line, key.as_str()), (12, "check[0].type"));
    assert_eq!(
        message,
        "expected a check type: http, tcp, exec or file, found \"udp\""
    );
}

#[test]
fn a_bad_duration_is_rejected() {
    let check = |interval: &str| {
        reject(&check_with(&format!(
            "name = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\ninterval = {interval}"
        )))
    };
    for interval in ["\"2 s\"", "\"1.5s\"", "2", "\"fast\""] {
        let (line, key, message) = check(interval);
        assert_eq!(
            (line, key.as_str()),
            (14, "check[0].interval"),
            "{interval}"
        );
        assert!(
            message.starts_with("expected a duration such as"),
            "{message}"
        );
        assert!(message.ends_with(&format!("found {interval}")), "{message}");
    }
    let (_, _, message) = check("\"0s\"");
    assert_eq!(
        message,
        "expected a duration greater than zero, found \"0s\""
    );
}

#[test]
fn a_bad_community_is_rejected() {
    let (line, key, message) = reject(&vip_with("communities = [\"65000:1\", \"65000:70000\"]"));
    assert_eq!((line, key.as_str()), (10, "vip[0].communities[1]"));
    assert!(message.starts_with("expected a community"), "{message}");
}

#[test]
fn a_bad_large_community_is_rejected() {
    let (line, key, message) = reject(&vip_with("large_communities = [\"65000:1\"]"));
    assert_eq!((line, key.as_str()), (10, "vip[0].large_communities[0]"));
    assert!(
        message.starts_with("expected a large community"),
        "{message}"
    );
}

#[test]
fn as_path_prepend_over_sixteen_is_rejected() {
    let (line, key, _) = reject(&vip_with("as_path_prepend = 17"));
    assert_eq!((line, key.as_str()), (10, "vip[0].as_path_prepend"));
}

#[test]
fn a_hold_time_of_one_or_two_seconds_or_a_fraction_is_rejected() {
    for hold_time in ["\"1s\"", "\"2s\"", "\"3500ms\"", "\"65536s\""] {
        let (line, key, message) = reject(&peer_with(&format!("hold_time = {hold_time}")));
        assert_eq!((line, key.as_str()), (7, "peer[0].hold_time"));
        assert!(
            message.starts_with("expected a hold time of \"0s\" or of 3 to 65535"),
            "{message}"
        );
    }
}

#[test]
fn router_id_zero_is_rejected() {
    let text = MINIMAL.replace(
        "local_as = 65001",
        "local_as = 65001\nrouter_id = \"0.0.0.0\"",
    );
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (3, "bgp.router_id"));
    assert_eq!(
        message,
        "expected a non-zero IPv4 address (RFC 6286), found \"0.0.0.0\""
    );
}

#[test]
fn as_zero_and_as_trans_are_rejected() {
    let (line, key, _) = reject(&MINIMAL.replace("local_as = 65001", "local_as = 0"));
    assert_eq!((line, key.as_str()), (2, "bgp.local_as"));
    let (line, key, message) = reject(&MINIMAL.replace("remote_as = 65000", "remote_as = 23456"));
    assert_eq!((line, key.as_str()), (6, "peer[0].remote_as"));
    assert!(message.starts_with("AS 23456 is AS_TRANS"), "{message}");
}

#[test]
fn ttl_security_and_multihop_together_are_rejected() {
    let (line, key, message) = reject(&peer_with("ttl_security = true\nmultihop = 2"));
    assert_eq!((line, key.as_str()), (8, "peer[0].multihop"));
    assert_eq!(message, "cannot be combined with `ttl_security`");
}

#[test]
fn a_local_address_of_the_other_family_is_rejected() {
    let (line, key, _) = reject(&peer_with("local_address = \"2001:db8::11\""));
    assert_eq!((line, key.as_str()), (7, "peer[0].local_address"));
}

#[test]
fn two_next_hops_of_one_family_are_rejected() {
    let (line, key, message) = reject(&peer_with("next_hop = [\"192.0.2.11\", \"192.0.2.12\"]"));
    assert_eq!((line, key.as_str()), (7, "peer[0].next_hop"));
    assert!(
        message.starts_with("expected an IP address, or a list of one IPv4"),
        "{message}"
    );
}

#[test]
fn a_timeout_or_fast_interval_longer_than_the_interval_is_rejected() {
    let base = "name = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\ninterval = \"1s\"";
    let (line, key, message) = reject(&check_with(&format!("{base}\ntimeout = \"1500ms\"")));
    assert_eq!((line, key.as_str()), (15, "check[0].timeout"));
    assert_eq!(message, "timeout 1.5s is longer than the interval 1s");
    let (line, key, _) = reject(&check_with(&format!("{base}\nfast_interval = \"2s\"")));
    assert_eq!((line, key.as_str()), (15, "check[0].fast_interval"));
}

#[test]
fn a_rise_or_fall_of_zero_is_rejected() {
    for key_name in ["rise", "fall"] {
        let text = check_with(&format!(
            "name = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\n{key_name} = 0"
        ));
        let (line, key, message) = reject(&text);
        assert_eq!((line, key), (14, format!("check[0].{key_name}")));
        assert_eq!(message, "expected a count of at least 1, found 0");
    }
}

#[test]
fn an_exec_command_without_a_program_is_rejected() {
    for command in ["[]", "[\"\", \"-q\"]"] {
        let text = check_with(&format!(
            "name = \"c\"\ntype = \"exec\"\ncommand = {command}"
        ));
        let (line, key, message) = reject(&text);
        assert_eq!((line, key.as_str()), (13, "check[0].command"));
        assert!(
            message.starts_with("expected a program and its arguments"),
            "{message}"
        );
    }
}

#[test]
fn a_toml_syntax_error_is_rejected_with_its_line() {
    let (line, key, _) = reject(&MINIMAL.replace("remote_as = 65000", "remote_as = = 65000"));
    assert_eq!((line, key.as_str()), (6, ""));
    let (line, _, message) = reject(&format!("{MINIMAL}prefix = \"203.0.113.11/32\"\n"));
    assert_eq!(line, 10);
    assert!(message.contains("duplicate key"), "{message}");
}

#[test]
fn an_unreadable_configuration_file_is_reported_with_its_path() {
    let error = load(Path::new("/nonexistent/announcer.toml")).unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.starts_with("/nonexistent/announcer.toml: No such file or directory"),
        "{message}"
    );
}

#[test]
fn a_restart_time_beyond_the_capability_or_in_fractions_is_rejected() {
    for time in ["\"4096s\"", "\"0s\"", "\"1500ms\""] {
        let text = MINIMAL.replacen(
            "[bgp]\n",
            &format!("[bgp]\ngraceful_restart = true\nrestart_time = {time}\n"),
            1,
        );
        let (line, key, message) = reject(&text);
        assert_eq!((line, key.as_str()), (3, "bgp.restart_time"), "{time}");
        assert!(message.contains("4095s"), "{message}");
    }
}

#[test]
fn a_drain_prepend_beyond_sixteen_is_rejected() {
    let (line, key, _) = reject(&format!("{MINIMAL}\n[drain]\nas_path_prepend = 17\n"));
    assert_eq!((line, key.as_str()), (12, "drain.as_path_prepend"));
}

#[test]
fn a_metrics_table_with_a_bad_value_or_an_unknown_key_is_rejected() {
    let cases = [
        ("listen = \"9180\"", "metrics.listen"),
        ("listen = \"localhost:9180\"", "metrics.listen"),
        ("per_vip = \"yes\"", "metrics.per_vip"),
        ("port = 9180", "metrics.port"),
    ];
    for (line_text, want) in cases {
        let (line, key, _) = reject(&format!("{MINIMAL}\n[metrics]\n{line_text}\n"));
        assert_eq!((line, key.as_str()), (12, want), "{line_text}");
    }
}

#[test]
fn a_vip_needs_exactly_one_of_prefix_and_a_non_empty_prefixes() {
    let (line, key, message) = reject(&vip_with("[[vip]]\nbind = false"));
    assert_eq!((line, key.as_str()), (10, "vip[1].prefix"));
    assert_eq!(
        message,
        "missing: a VIP needs `prefix` (one host route) or `prefixes` (a list of them)"
    );
    let (line, key, message) = reject(&vip_with("prefixes = [\"203.0.113.11/32\"]"));
    assert_eq!((line, key.as_str()), (10, "vip[0].prefixes"));
    assert_eq!(message, "cannot be combined with `prefix`");
    let text = MINIMAL.replace("prefix = \"203.0.113.10/32\"", "prefixes = []");
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (9, "vip[0].prefixes"));
    assert_eq!(message, "expected at least one host route, found []");
}

#[test]
fn each_listed_prefix_is_checked_and_unique_across_vips() {
    let (line, key, message) = reject(&vip_with(
        "[[vip]]\nprefixes = [\n\"203.0.113.11/32\",\n\"203.0.113.10\",\n]",
    ));
    assert_eq!((line, key.as_str()), (13, "vip[1].prefixes[1]"));
    assert_eq!(
        message,
        "duplicate VIP prefix: 203.0.113.10/32 (first on line 9)"
    );
    let text = MINIMAL.replace(
        "prefix = \"203.0.113.10/32\"",
        "prefixes = [\"203.0.113.10/32\", \"203.0.113.0/24\"]",
    );
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (9, "vip[0].prefixes[1]"));
    assert!(
        message.starts_with("203.0.113.0/24 is not a host route"),
        "{message}"
    );
}

#[test]
fn bfd_keys_out_of_range_are_rejected_at_their_line() {
    let cases = [
        ("bfd = \"yes\"", "peer[0].bfd", "expected true or false"),
        (
            "bfd = true\nbfd_min_tx = \"5ms\"",
            "peer[0].bfd_min_tx",
            "expected a BFD interval",
        ),
        (
            "bfd = true\nbfd_min_rx = \"2m\"",
            "peer[0].bfd_min_rx",
            "expected a BFD interval",
        ),
        (
            "bfd = true\nbfd_min_rx = 100",
            "peer[0].bfd_min_rx",
            "expected a duration",
        ),
        (
            "bfd = true\nbfd_multiplier = 0",
            "peer[0].bfd_multiplier",
            "expected a BFD detection multiplier",
        ),
        (
            "bfd = true\nbfd_multiplier = 256",
            "peer[0].bfd_multiplier",
            "expected a BFD detection multiplier",
        ),
    ];
    for (lines, expected_key, expected_message) in cases {
        let (line, key, message) = reject(&peer_with(lines));
        let expected_line = 6 + lines.lines().count();
        assert_eq!(
            (line, key.as_str()),
            (expected_line, expected_key),
            "{lines}"
        );
        assert!(message.starts_with(expected_message), "{lines}: {message}");
    }
}

#[test]
fn an_exec_check_user_unknown_to_the_system_is_rejected_at_its_line() {
    let text = check_with(
        "name = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\nuser = \"no-such-announcer-user\"",
    );
    let error = parse(&text, Path::new(FILE)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "/etc/announcer/announcer.toml:14:8: check[0].user: \
         no user named \"no-such-announcer-user\" on this system"
    );
}

#[test]
fn user_is_rejected_on_checks_other_than_exec() {
    let cases = [
        ("file", "path = \"/etc/announcer/drain\"", "path, pass_if"),
        ("tcp", "address = \"127.0.0.1:80\"", "address"),
        (
            "http",
            "url = \"http://127.0.0.1/\"",
            "url, method, expect_status, expect_body, host",
        ),
    ];
    for (kind, own_key, allowed) in cases {
        let text = check_with(&format!(
            "name = \"c\"\ntype = \"{kind}\"\n{own_key}\nuser = \"root\""
        ));
        let (line, key, message) = reject(&text);
        assert_eq!((line, key.as_str()), (14, "check[0].user"), "{kind}");
        assert_eq!(
            message,
            format!("not a key of {kind} checks (their own keys: {allowed})"),
            "{kind}"
        );
    }
}

#[test]
fn an_empty_exec_check_user_is_rejected() {
    let text = check_with("name = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\nuser = \"\"");
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (14, "check[0].user"));
    assert_eq!(message, "expected a non-empty string, found \"\"");
}

#[test]
fn a_failure_policy_with_a_bad_value_or_an_unknown_check_is_rejected() {
    let check = "\n[[check]]\nname = \"web\"\ntype = \"tcp\"\naddress = \"127.0.0.1:80\"\n";
    let cases = [
        ("on_failure = \"ignore\"", "vip[0].on_failure"),
        ("require = \"most\"", "vip[0].require"),
        ("bind = \"routed\"", "vip[0].bind"),
        ("bind = 1", "vip[0].bind"),
        ("soft_checks = [\"load\"]", "vip[0].soft_checks[0]"),
        (
            "checks = [\"web\"]\nsoft_checks = [\"web\"]",
            "vip[0].soft_checks[0]",
        ),
    ];
    for (lines, want) in cases {
        let (_, key, _) = reject(&format!("{}{lines}\n{check}", MINIMAL));
        assert_eq!(key, want, "{lines}");
    }
    let (_, key, _) = reject(&format!("{MINIMAL}\n[degraded]\nas_path_prepend = 17\n"));
    assert_eq!(key, "degraded.as_path_prepend");
}

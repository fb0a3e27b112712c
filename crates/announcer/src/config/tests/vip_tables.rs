//! Many `[[vip]]` tables, each parsed on its own: errors still name the file's line and the
//! table's index, duplicates across tables are found, tables written alike share their
//! data, and a file that mixes `[[vip]]` with another form is refused.

use std::sync::Arc;

use super::{accept, reject, MINIMAL};

/// `MINIMAL` and `count` more `[[vip]]` tables, 203.0.113.11/32 upwards, each with `keys`.
fn tables(count: usize, keys: &str) -> String {
    let mut text = MINIMAL.to_owned();
    for n in 0..count {
        text.push_str(&format!(
            "\n[[vip]]\nprefix = \"203.0.113.{}/32\"\n{keys}",
            11 + n
        ));
    }
    text
}

#[test]
fn errors_in_a_later_table_name_its_line_and_index() {
    let cases = [
        ("med = -1\n", 19, "vip[3].med"),
        ("nonsense = 1\n", 19, "vip[3].nonsense"),
        ("checks = [\"nowhere\"]\n", 19, "vip[3].checks[0]"),
    ];
    for (keys, line, key) in cases {
        let text = tables(2, "") + "\n[[vip]]\nprefix = \"203.0.113.99/32\"\n" + keys;
        let (at, got, _) = reject(&text);
        assert_eq!((at, got.as_str()), (line, key), "{keys}");
    }
}

#[test]
fn a_prefix_repeated_in_another_table_names_the_first_line() {
    let text = tables(2, "") + "\n[[vip]]\nprefix = \"203.0.113.11/32\"\n";
    let (line, key, message) = reject(&text);
    assert_eq!((line, key.as_str()), (18, "vip[3].prefix"));
    assert!(message.contains("line 12"), "{message}");
}

#[test]
fn tables_written_alike_share_their_data() {
    let config = accept(&tables(3, "med = 5\n"));
    let [_, first, second, third] = config.vips.as_slice() else {
        panic!("four VIPs: {:?}", config.vips);
    };
    for vip in [second, third] {
        assert!(Arc::ptr_eq(&first.attributes, &vip.attributes));
        assert!(Arc::ptr_eq(&first.interface, &vip.interface));
        assert!(Arc::ptr_eq(&first.policy, &vip.policy));
    }
    assert_eq!(third.attributes.med, Some(5));
}

#[test]
fn vip_tables_and_another_form_of_vip_are_refused() {
    let text = format!("vip = [{{ prefix = \"203.0.113.9/32\" }}]\n{MINIMAL}");
    let (_, key, _) = reject(&text);
    assert_eq!(key, "vip");
}

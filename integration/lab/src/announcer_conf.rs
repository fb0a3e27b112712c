//! The per-node copy of announcer's configuration: the bound file with only
//! `[control]` `socket` and `state_dir` pointed into the node's directory,
//! edited as a document so comments and everything else stay as written.

use std::path::Path;

use toml_edit::{value, DocumentMut, Item, Table};

/// Returns `text` with `[control]` `socket` = `socket` and `state_dir` =
/// `state_dir` (the table is created if missing); `what` names the file in
/// errors.
pub fn rewrite_control(
    text: &str,
    socket: &Path,
    state_dir: &Path,
    what: &str,
) -> Result<String, String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e| format!("{what}: not valid TOML: {e}"))?;
    let control = doc
        .entry("control")
        .or_insert_with(|| Item::Table(Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| format!("{what}: `control` is not a table"))?;
    for (key, path) in [("socket", socket), ("state_dir", state_dir)] {
        let path = path
            .to_str()
            .ok_or_else(|| format!("{}: not UTF-8", path.display()))?;
        control.insert(key, value(path));
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = r#"# announcer on web1
[bgp]
local_as = 65001 # ours

[control]
# the socket
socket = "/run/announcer/announcer.sock"
group = "ops"

[[vip]]
prefix = "203.0.113.10/32"
"#;

    #[test]
    fn only_socket_and_state_dir_change() {
        let out = rewrite_control(
            CONF,
            Path::new("/run/announcer-lab/l/web1/announcer.sock"),
            Path::new("/run/announcer-lab/l/web1/state"),
            "announcer.toml",
        )
        .unwrap();
        assert!(out.contains("# announcer on web1"));
        assert!(out.contains("local_as = 65001 # ours"));
        assert!(out.contains("socket = \"/run/announcer-lab/l/web1/announcer.sock\""));
        assert!(out.contains("state_dir = \"/run/announcer-lab/l/web1/state\""));
        assert!(out.contains("group = \"ops\""));
        assert!(out.contains("prefix = \"203.0.113.10/32\""));
        assert!(!out.contains("/run/announcer/announcer.sock"));
    }

    #[test]
    fn a_missing_control_table_is_added() {
        let out = rewrite_control(
            "[bgp]\nlocal_as = 1\n",
            Path::new("/s.sock"),
            Path::new("/st"),
            "x",
        )
        .unwrap();
        let doc: DocumentMut = out.parse().unwrap();
        assert_eq!(doc["control"]["socket"].as_str(), Some("/s.sock"));
        assert_eq!(doc["bgp"]["local_as"].as_integer(), Some(1));
    }

    #[test]
    fn invalid_toml_is_an_error_naming_the_file() {
        let err = rewrite_control("[bgp", Path::new("/s"), Path::new("/t"), "web1.toml");
        assert!(err.unwrap_err().starts_with("web1.toml: not valid TOML"));
    }
}

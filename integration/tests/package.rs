//! The Debian package: `scripts/package` (run once) builds a `.deb` that, extracted with
//! `dpkg-deb` into a scratch root, holds the stripped binary (which runs from there), the
//! systemd unit and sysusers file as the repository has them, the example configuration as
//! a conffile, a man page, the bash, zsh and fish completions, the README and the guides
//! (`docs/*.md`); its postinst creates the user and neither enables nor starts the
//! service; the unit's `Exec*` command lines are ones the packaged binary accepts, and
//! `systemd-analyze verify` accepts the unit (a SKIP line when systemd-analyze is missing).
//!
//! Ignored by a plain `cargo test` (slow: a release build); `scripts/test` runs it. Without
//! dpkg-deb, dpkg-shlibdeps, strip or gzip it fails when `ANNOUNCER_LAB_REQUIRED=1` (CI)
//! and otherwise prints a SKIP line.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use announcer_integration::package::{
    build, gunzip, has_symbol_table, run_bounded, Extracted, COMMAND_TIMEOUT, TOOLS,
};
use announcer_integration::preflight::{find_binary, REQUIRED_ENV};
use announcer_integration::{Error, Result};

const TEST: &str =
    "package::the_debian_package_holds_the_binary_unit_user_conffile_man_page_and_completions";

/// Where the package installs the unit.
const UNIT: &str = "/usr/lib/systemd/system/announcer.service";

/// Installed path → file in the repository it must be identical to.
const COPIED: &[(&str, &str)] = &[
    (UNIT, "config/systemd/announcer.service"),
    (
        "/usr/lib/sysusers.d/announcer.conf",
        "config/systemd/announcer.sysusers.conf",
    ),
    ("/etc/announcer/announcer.toml", "config/announcer.toml"),
    ("/usr/share/doc/announcer/README.md", "README.md"),
];

/// Completion scripts (installed path, a line the shell needs in it).
const COMPLETIONS: &[(&str, &str)] = &[
    (
        "/usr/share/bash-completion/completions/announcer",
        "complete -F _announcer",
    ),
    (
        "/usr/share/zsh/vendor-completions/_announcer",
        "#compdef announcer",
    ),
    (
        "/usr/share/fish/vendor_completions.d/announcer.fish",
        "complete -c announcer",
    ),
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The guides (`docs/*.md`), which the package ships beside the README.
fn guides(repo: &Path) -> Result<Vec<PathBuf>> {
    let docs = repo.join("docs");
    let entries =
        std::fs::read_dir(&docs).map_err(|e| Error::io(format!("list {}", docs.display()), e))?;
    Ok(entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect())
}

/// `Ok(true)` when the tools are here; `Ok(false)` (after a SKIP line) when not and the
/// run does not require them; an error naming them when it does.
fn tools_present() -> Result<bool> {
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(tool, _)| find_binary(tool).is_none())
        .map(|(tool, package)| format!("{tool} (Debian package {package})"))
        .collect();
    if missing.is_empty() {
        return Ok(true);
    }
    let reason = format!("{TEST}: needs {}", missing.join(", "));
    if std::env::var(REQUIRED_ENV).is_ok_and(|v| v == "1") {
        return Err(Error::LabUnavailable(reason));
    }
    println!("SKIP {reason} ({REQUIRED_ENV}=1 makes this a failure)");
    Ok(false)
}

#[test]
#[ignore = "slow: builds a release package; scripts/test runs it"]
fn the_debian_package_holds_the_binary_unit_user_conffile_man_page_and_completions() -> Result<()> {
    if !tools_present()? {
        return Ok(());
    }
    let repo = repo();
    let logs = tempfile::tempdir().map_err(|e| Error::io("create a log directory", e))?;
    let started = Instant::now();
    let deb = build(&repo, logs.path())?;
    let size = std::fs::metadata(&deb).map_or(0, |m| m.len());
    println!(
        "measured: scripts/package took {:.1} s; {} is {size} bytes",
        started.elapsed().as_secs_f64(),
        deb.display()
    );
    let package = Extracted::new(&deb, logs.path())?;
    let mut problems = Vec::new();

    check_binary(&package, logs.path(), &mut problems)?;
    for (installed, source) in COPIED {
        let packaged = std::fs::read(package.file(installed)).ok();
        let original =
            std::fs::read(repo.join(source)).map_err(|e| Error::io(format!("read {source}"), e))?;
        if packaged.as_ref() != Some(&original) {
            problems.push(format!("{installed} is missing or differs from {source}"));
        }
    }
    for guide in guides(&repo)? {
        let name = guide.file_name().unwrap_or_default().to_string_lossy();
        let installed = format!("/usr/share/doc/announcer/{name}");
        let original =
            std::fs::read(&guide).map_err(|e| Error::io(format!("read {}", guide.display()), e))?;
        if std::fs::read(package.file(&installed)).ok() != Some(original) {
            problems.push(format!(
                "{installed} is missing or differs from docs/{name}"
            ));
        }
    }
    if !package.file("/usr/share/doc/announcer/copyright").is_file() {
        problems.push("no /usr/share/doc/announcer/copyright".to_owned());
    }
    check_man_page(&package, logs.path(), &mut problems)?;
    for (installed, line) in COMPLETIONS {
        let text = std::fs::read_to_string(package.file(installed)).unwrap_or_default();
        if text.trim().is_empty() || !text.contains(line) {
            problems.push(format!("{installed} is missing, empty or lacks {line:?}"));
        }
    }
    check_control(&package, &mut problems)?;
    check_unit_commands(&package, logs.path(), &mut problems)?;
    verify_unit(&package, logs.path(), &mut problems)?;

    assert!(
        problems.is_empty(),
        "{} has problems:\n  {}",
        deb.display(),
        problems.join("\n  ")
    );
    Ok(())
}

/// /usr/bin/announcer: executable, stripped, and `--version` runs from the scratch root.
fn check_binary(package: &Extracted, logs: &Path, problems: &mut Vec<String>) -> Result<()> {
    let binary = package.file("/usr/bin/announcer");
    let Ok(metadata) = std::fs::metadata(&binary) else {
        problems.push("no /usr/bin/announcer".to_owned());
        return Ok(());
    };
    if metadata.permissions().mode() & 0o111 != 0o111 {
        problems.push(format!(
            "/usr/bin/announcer has mode {:o}, not executable by all",
            metadata.permissions().mode()
        ));
    }
    let elf = std::fs::read(&binary).map_err(|e| Error::io("read /usr/bin/announcer", e))?;
    if has_symbol_table(&elf)? {
        problems.push("/usr/bin/announcer is not stripped (it has a .symtab)".to_owned());
    }
    let mut command = Command::new(&binary);
    command.arg("--version").current_dir(package.root());
    let ran = run_bounded(
        "announcer --version (packaged)",
        "version",
        command,
        COMMAND_TIMEOUT,
        logs,
    )?;
    let expected = format!("announcer {} (commit ", env!("CARGO_PKG_VERSION"));
    if !ran.stdout.starts_with(&expected) {
        problems.push(format!(
            "announcer --version printed {:?}, not {expected:?}...",
            ran.stdout
        ));
    }
    Ok(())
}

/// /usr/share/man/man1/announcer.1.gz gunzips to roff for announcer(1).
fn check_man_page(package: &Extracted, logs: &Path, problems: &mut Vec<String>) -> Result<()> {
    let man = package.file("/usr/share/man/man1/announcer.1.gz");
    if !man.is_file() {
        problems.push("no /usr/share/man/man1/announcer.1.gz".to_owned());
        return Ok(());
    }
    let roff = gunzip(&man, logs)?;
    if !roff.starts_with('.') || !roff.contains(".TH announcer 1") {
        let start: String = roff.chars().take(80).collect();
        problems.push(format!(
            "announcer.1.gz is not roff for announcer(1): {start:?}"
        ));
    }
    Ok(())
}

/// The control file, conffiles and maintainer scripts.
fn check_control(package: &Extracted, problems: &mut Vec<String>) -> Result<()> {
    if package.control_field("Package")?.as_deref() != Some("announcer") {
        problems.push("the control file does not name the package announcer".to_owned());
    }
    let depends = package.control_field("Depends")?.unwrap_or_default();
    if !depends.contains("systemd | systemd-standalone-sysusers | systemd-sysusers") {
        problems.push(format!(
            "Depends does not ask for systemd-sysusers: {depends:?}"
        ));
    }
    let conffiles = package.control_file("conffiles")?;
    if !conffiles
        .lines()
        .any(|line| line.trim() == "/etc/announcer/announcer.toml")
    {
        problems.push(format!(
            "conffiles does not list /etc/announcer/announcer.toml: {conffiles:?}"
        ));
    }
    let postinst = package.control_file("postinst")?;
    for needed in [
        "systemd-sysusers",
        "announcer.conf",
        "chown root:announcer /etc/announcer",
    ] {
        if !postinst.contains(needed) {
            problems.push(format!("postinst lacks {needed:?}"));
        }
    }
    if postinst.contains("#DEBHELPER#") {
        problems.push("postinst still holds #DEBHELPER#".to_owned());
    }
    // Installing must neither start nor (re)start the daemon, nor enable it unless it was.
    for forbidden in ["deb-systemd-invoke", "systemctl start", "systemctl enable"] {
        if postinst.contains(forbidden) {
            problems.push(format!("postinst contains {forbidden:?}"));
        }
    }
    let prerm = package.control_file("prerm")?;
    if !prerm.contains("deb-systemd-invoke stop announcer.service") {
        problems.push("prerm does not stop announcer.service on removal".to_owned());
    }
    Ok(())
}

/// The unit's commands exist in the packaged binary: each `Exec*=/usr/bin/announcer ARGS`
/// line, run as `announcer ARGS --help` from the scratch root, is accepted (a subcommand or
/// option the binary lacks is a usage error).
fn check_unit_commands(package: &Extracted, logs: &Path, problems: &mut Vec<String>) -> Result<()> {
    let unit = std::fs::read_to_string(package.file(UNIT)).unwrap_or_default();
    let commands: Vec<&str> = unit
        .lines()
        .filter(|line| line.starts_with("Exec"))
        .filter_map(|line| line.split_once("=/usr/bin/announcer "))
        .map(|(_, args)| args)
        .collect();
    if commands.len() < 3 {
        problems.push(format!(
            "{UNIT} runs /usr/bin/announcer in {} Exec lines, expected ExecStartPre, ExecStart \
             and ExecReload",
            commands.len()
        ));
    }
    for args in commands {
        let mut command = Command::new(package.file("/usr/bin/announcer"));
        command
            .args(args.split_whitespace())
            .arg("--help")
            .current_dir(package.root());
        let what = format!("announcer {args} --help (packaged)");
        if let Err(e) = run_bounded(&what, "exec-help", command, COMMAND_TIMEOUT, logs) {
            problems.push(format!("the unit's `announcer {args}`: {e}"));
        }
    }
    Ok(())
}

/// `systemd-analyze verify` on the extracted unit, its `/usr/bin/announcer` pointed at the
/// packaged binary (verify checks that the commands exist, and `--root` would need a whole
/// systemd tree in the scratch root); a SKIP line when systemd-analyze is not installed.
fn verify_unit(package: &Extracted, logs: &Path, problems: &mut Vec<String>) -> Result<()> {
    let Some(analyze) = find_binary("systemd-analyze") else {
        println!("SKIP {TEST}: systemd-analyze verify (Debian package systemd) is not installed");
        return Ok(());
    };
    let Ok(unit) = std::fs::read_to_string(package.file(UNIT)) else {
        return Ok(()); // reported as missing already
    };
    let binary = package.file("/usr/bin/announcer");
    let rewritten = unit.replace("/usr/bin/announcer", &binary.display().to_string());
    let copy = logs.join("announcer.service");
    std::fs::write(&copy, rewritten)
        .map_err(|e| Error::io(format!("write {}", copy.display()), e))?;
    let mut command = Command::new(analyze);
    command.arg("verify").arg(&copy);
    match run_bounded(
        "systemd-analyze verify",
        "verify",
        command,
        COMMAND_TIMEOUT,
        logs,
    ) {
        Ok(ran) if ran.stderr.trim().is_empty() => {}
        Ok(ran) => problems.push(format!(
            "systemd-analyze verify warns: {}",
            ran.stderr.trim()
        )),
        Err(e) => problems.push(e.to_string()),
    }
    Ok(())
}

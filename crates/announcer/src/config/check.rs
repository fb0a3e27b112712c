//! `[[check]]` → [`CheckSpec`]: a probe of one of four types (`http`, `tcp`, `exec`,
//! `file`) and its timing. A check takes the common keys plus those of its own type only.
//! An exec check's `user` is looked up here, once per load, so that an unknown name is an
//! error at its line rather than a failing check.

use std::ffi::CString;
use std::ops::RangeInclusive;
use std::path::Path;
use std::time::Duration;

use announcer_health::{
    CheckKind, CheckSpec, ExecUser, ExpectStatus, FilePassIf, HttpCheck, HttpMethod,
};
use nix::unistd::{getgrouplist, User};
use toml::Value;

use super::error::{Invalid, Problem};
use super::raw::{Leaf, List, RawCheck};
use super::value::{Field, Result, Scope};

/// The check described by `raw`, at key path `scope`; relative file paths are taken from
/// `base_dir`.
pub(super) fn check(raw: &RawCheck, scope: &Scope, base_dir: &Path) -> Result<CheckSpec> {
    let name = name(&scope.field("name", &raw.name))?;
    let type_field = scope.field("type", &raw.kind);
    let kind = Kind::parse(&type_field)?;
    reject_other_types_keys(raw, scope, kind)?;
    let probe = probe(raw, scope, kind, &type_field, base_dir)?;
    let interval = scope
        .get("interval", &raw.interval, Field::positive_duration)?
        .unwrap_or(CheckSpec::DEFAULT_INTERVAL);
    let timeout = at_most_interval(scope, "timeout", &raw.timeout, interval, |timeout| {
        Problem::TimeoutOverInterval { timeout, interval }
    })?
    .unwrap_or(CheckSpec::DEFAULT_TIMEOUT.min(interval));
    let fast_interval = at_most_interval(
        scope,
        "fast_interval",
        &raw.fast_interval,
        interval,
        |fast| Problem::FastOverInterval { fast, interval },
    )?
    .unwrap_or(CheckSpec::default_fast_interval(interval));
    let count = |field: &Field<'_>| field.u32("a count of at least 1", 1..=u32::MAX);
    Ok(CheckSpec {
        name,
        kind: probe,
        interval,
        fast_interval,
        timeout,
        rise: scope
            .get("rise", &raw.rise, count)?
            .unwrap_or(CheckSpec::DEFAULT_RISE_FALL),
        fall: scope
            .get("fall", &raw.fall, count)?
            .unwrap_or(CheckSpec::DEFAULT_RISE_FALL),
    })
}

/// A check name: letters, digits, `.`, `_` and `-`, as VIPs and the control socket name it.
fn name(field: &Field<'_>) -> Result<String> {
    field.parse(
        "a check name of letters, digits, '.', '_' and '-'",
        |name| {
            let valid = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
            valid.then(|| name.to_owned())
        },
    )
}

/// An optional non-zero duration no longer than `interval`.
fn at_most_interval(
    scope: &Scope,
    name: &str,
    leaf: &Option<Leaf>,
    interval: Duration,
    too_long: impl FnOnce(Duration) -> Problem,
) -> Result<Option<Duration>> {
    scope.get(name, leaf, |field| match field.positive_duration()? {
        duration if duration > interval => Err(field.error(too_long(duration))),
        duration => Ok(duration),
    })
}

/// The check types.
#[derive(Clone, Copy)]
enum Kind {
    Http,
    Tcp,
    Exec,
    File,
}

impl Kind {
    /// The type named by `type`.
    fn parse(field: &Field<'_>) -> Result<Kind> {
        field.parse("a check type: http, tcp, exec or file", |name| match name {
            "http" => Some(Kind::Http),
            "tcp" => Some(Kind::Tcp),
            "exec" => Some(Kind::Exec),
            "file" => Some(Kind::File),
            _ => None,
        })
    }

    /// The type as written.
    fn name(self) -> &'static str {
        match self {
            Kind::Http => "http",
            Kind::Tcp => "tcp",
            Kind::Exec => "exec",
            Kind::File => "file",
        }
    }

    /// The keys of this type besides the common ones, comma-separated.
    fn keys(self) -> &'static str {
        match self {
            Kind::Http => "url, method, expect_status, expect_body, host",
            Kind::Tcp => "address",
            Kind::Exec => "command, user",
            Kind::File => "path, pass_if",
        }
    }
}

/// Fails on the first key (in file order) that belongs to another check type.
fn reject_other_types_keys(raw: &RawCheck, scope: &Scope, kind: Kind) -> Result<()> {
    let at = |leaf: &Option<Leaf>| leaf.as_ref().map(|leaf| leaf.span().start);
    let present = [
        ("url", at(&raw.url)),
        ("method", at(&raw.method)),
        ("expect_status", at(&raw.expect_status)),
        ("expect_body", at(&raw.expect_body)),
        ("host", at(&raw.host)),
        ("address", at(&raw.address)),
        (
            "command",
            raw.command.as_ref().map(|list| list.span().start),
        ),
        ("user", at(&raw.user)),
        ("path", at(&raw.path)),
        ("pass_if", at(&raw.pass_if)),
    ];
    let foreign = present
        .into_iter()
        .filter_map(|(key, at)| Some((key, at?)))
        .filter(|(key, _)| !kind.keys().split(", ").any(|own| own == *key))
        .min_by_key(|(_, at)| *at);
    match foreign {
        Some((key, at)) => Err(Invalid::new(
            at,
            scope.key(key),
            Problem::NotForCheckType {
                kind: kind.name(),
                allowed: kind.keys(),
            },
        )),
        None => Ok(()),
    }
}

/// The probe of a check of type `kind`.
fn probe<'r>(
    raw: &'r RawCheck,
    scope: &Scope,
    kind: Kind,
    type_field: &Field<'_>,
    base_dir: &Path,
) -> Result<CheckKind> {
    let missing = |key| {
        type_field.error(Problem::MissingForCheckType {
            kind: kind.name(),
            key,
        })
    };
    let required = |key: &'static str, leaf: Option<&'r Leaf>| -> Result<Field<'r>> {
        leaf.map(|leaf| scope.field(key, leaf))
            .ok_or_else(|| missing(key))
    };
    let text = |field: &Field<'_>| field.non_empty_str().map(str::to_owned);
    Ok(match kind {
        Kind::Http => CheckKind::Http(HttpCheck {
            url: url(&required("url", raw.url.as_ref())?)?,
            method: scope
                .get("method", &raw.method, method)?
                .unwrap_or_default(),
            expect_status: scope
                .get("expect_status", &raw.expect_status, expect_status)?
                .unwrap_or_default(),
            expect_body: scope.get("expect_body", &raw.expect_body, text)?,
            host: scope.get("host", &raw.host, text)?,
        }),
        Kind::Tcp => CheckKind::Tcp {
            address: required("address", raw.address.as_ref())?.socket_addr()?,
        },
        Kind::Exec => {
            let list = raw.command.as_ref().ok_or_else(|| missing("command"))?;
            CheckKind::Exec {
                command: command(scope, list)?,
                user: scope.get("user", &raw.user, exec_user)?,
            }
        }
        Kind::File => CheckKind::File {
            path: required("path", raw.path.as_ref())?.path(base_dir)?,
            pass_if: scope
                .get("pass_if", &raw.pass_if, pass_if)?
                .unwrap_or_default(),
        },
    })
}

/// `command`: a program (not empty) and its arguments.
fn command(scope: &Scope, list: &List) -> Result<Vec<String>> {
    let command = scope
        .items("command", list)
        .map(|field| field.str().map(str::to_owned))
        .collect::<Result<Vec<_>>>()?;
    match command.first() {
        Some(program) if !program.is_empty() => Ok(command),
        _ => Err(Invalid::new(
            list.span().start,
            scope.key("command"),
            Problem::Expected {
                expected: "a program and its arguments, such as [\"/usr/bin/check\", \"-q\"]",
                found: format!("{command:?}"),
            },
        )),
    }
}

/// `user`: a user of this system, with its ids, groups and home directory.
fn exec_user(field: &Field<'_>) -> Result<ExecUser> {
    let name = field.non_empty_str()?;
    let lookup_failed = |errno: nix::Error| {
        field.error(Problem::UserLookup {
            name: name.to_owned(),
            source: errno.into(),
        })
    };
    let user = User::from_name(name)
        .map_err(lookup_failed)?
        .ok_or_else(|| {
            field.error(Problem::UnknownUser {
                name: name.to_owned(),
            })
        })?;
    // The name came from the user database, so it holds no NUL; `from_name` found none.
    let c_name = CString::new(user.name.as_str()).map_err(|_| {
        field.error(Problem::UnknownUser {
            name: name.to_owned(),
        })
    })?;
    let groups = getgrouplist(&c_name, user.gid).map_err(lookup_failed)?;
    Ok(ExecUser {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        groups: groups.into_iter().map(|gid| gid.as_raw()).collect(),
        home: user.dir,
    })
}

/// An `http://` URL with a host (the probe speaks plain HTTP only).
fn url(field: &Field<'_>) -> Result<String> {
    field.parse(
        "an http:// URL such as \"http://127.0.0.1:8080/healthz\"",
        |url| {
            let rest = url.strip_prefix("http://")?;
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            let valid = !authority.is_empty() && !url.contains(char::is_whitespace);
            valid.then(|| url.to_owned())
        },
    )
}

/// `"GET"` or `"HEAD"`, in any case.
fn method(field: &Field<'_>) -> Result<HttpMethod> {
    field.parse("\"GET\" or \"HEAD\"", |method| {
        if method.eq_ignore_ascii_case("GET") {
            Some(HttpMethod::Get)
        } else if method.eq_ignore_ascii_case("HEAD") {
            Some(HttpMethod::Head)
        } else {
            None
        }
    })
}

/// `200`, `"200-299"`, or a list of those.
fn expect_status(field: &Field<'_>) -> Result<ExpectStatus> {
    let ranges = match field.value() {
        Value::Array(items) if !items.is_empty() => items.iter().map(status_range).collect(),
        single => status_range(single).map(|range| vec![range]),
    };
    ranges.map(ExpectStatus).ok_or_else(|| {
        field.expected("a status code (100-599), a range such as \"200-299\", or a list of them")
    })
}

/// One status code or range of codes, within 100-599.
fn status_range(value: &Value) -> Option<RangeInclusive<u16>> {
    let (low, high) = match value {
        Value::Integer(code) => (*code, *code),
        Value::String(text) => match text.split_once('-') {
            Some((low, high)) => (low.trim().parse().ok()?, high.trim().parse().ok()?),
            None => {
                let code = text.trim().parse().ok()?;
                (code, code)
            }
        },
        _ => return None,
    };
    let code = |n: i64| {
        u16::try_from(n)
            .ok()
            .filter(|code| (100..=599).contains(code))
    };
    let (low, high) = (code(low)?, code(high)?);
    (low <= high).then_some(low..=high)
}

/// `"exists"` or `"absent"`.
fn pass_if(field: &Field<'_>) -> Result<FilePassIf> {
    field.parse("\"exists\" or \"absent\"", |pass_if| match pass_if {
        "exists" => Some(FilePassIf::Exists),
        "absent" => Some(FilePassIf::Absent),
        _ => None,
    })
}

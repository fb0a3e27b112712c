//! One configuration value with its key path and position, and the conversions shared by
//! the sections: strings, numbers, booleans, addresses, AS numbers, durations and paths.
//!
//! Every failed conversion becomes an [`Invalid`] that says what the key takes and what was
//! found, at the value's own position.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use announcer_bgp::Asn;
use toml::{Spanned, Value};

use super::duration;
use super::error::{Invalid, Problem};
use super::raw::List;

/// A value under a key path, e.g. `peer[0].remote_as`.
pub(super) struct Field<'a> {
    key: String,
    at: usize,
    value: &'a Value,
}

/// Conversions return this.
pub(super) type Result<T> = std::result::Result<T, Invalid>;

impl<'a> Field<'a> {
    /// The field `key` holding `value`, whose span is `offset` bytes into the file.
    pub fn new(key: String, value: &'a Spanned<Value>, offset: usize) -> Self {
        Field {
            key,
            at: offset + value.span().start,
            value: value.get_ref(),
        }
    }

    /// Byte offset of the value.
    pub fn at(&self) -> usize {
        self.at
    }

    /// The value.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// `problem` located at this value.
    pub fn error(&self, problem: Problem) -> Invalid {
        Invalid::new(self.at, self.key.clone(), problem)
    }

    /// "expected `expected`, found" followed by the value in TOML syntax.
    pub fn expected(&self, expected: &'static str) -> Invalid {
        self.error(Problem::Expected {
            expected,
            found: self.value.to_string(),
        })
    }

    /// A string.
    pub fn str(&self) -> Result<&'a str> {
        self.value.as_str().ok_or_else(|| self.expected("a string"))
    }

    /// A non-empty string.
    pub fn non_empty_str(&self) -> Result<&'a str> {
        match self.value.as_str() {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(self.expected("a non-empty string")),
        }
    }

    /// A string that `parse` accepts; `expected` describes the form.
    pub fn parse<T>(
        &self,
        expected: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T> {
        self.value
            .as_str()
            .and_then(parse)
            .ok_or_else(|| self.expected(expected))
    }

    /// An integer within `range`; `expected` describes it.
    pub fn integer(&self, expected: &'static str, range: RangeInclusive<i64>) -> Result<i64> {
        match self.value.as_integer() {
            Some(n) if range.contains(&n) => Ok(n),
            _ => Err(self.expected(expected)),
        }
    }

    /// An integer within `range` as a `u32`.
    pub fn u32(&self, expected: &'static str, range: RangeInclusive<u32>) -> Result<u32> {
        let range = i64::from(*range.start())..=i64::from(*range.end());
        let n = self.integer(expected, range)?;
        u32::try_from(n).map_err(|_| self.expected(expected))
    }

    /// `true` or `false`.
    pub fn bool(&self) -> Result<bool> {
        self.value
            .as_bool()
            .ok_or_else(|| self.expected("true or false"))
    }

    /// An IPv4 or IPv6 address.
    pub fn ip(&self) -> Result<IpAddr> {
        self.parse("an IP address", |s| s.parse().ok())
    }

    /// An IPv4 address.
    pub fn ipv4(&self) -> Result<Ipv4Addr> {
        self.parse("an IPv4 address", |s| s.parse().ok())
    }

    /// An address and port: `192.0.2.1:80` or `[2001:db8::1]:80`.
    pub fn socket_addr(&self) -> Result<SocketAddr> {
        self.parse(
            "an address and port such as \"127.0.0.1:80\" or \"[::1]:80\"",
            |s| s.parse().ok(),
        )
    }

    /// An AS number; 0 is reserved (RFC 7607) and AS_TRANS is refused.
    pub fn asn(&self) -> Result<Asn> {
        let n = self.u32("an AS number (1-4294967295)", 1..=u32::MAX)?;
        let asn = Asn::new(n);
        if asn == Asn::TRANS {
            return Err(self.error(Problem::AsTrans));
        }
        Ok(asn)
    }

    /// A duration such as `"2s"`; see [`duration::parse`].
    pub fn duration(&self) -> Result<Duration> {
        self.parse(duration::EXPECTED, duration::parse)
    }

    /// A duration greater than zero.
    pub fn positive_duration(&self) -> Result<Duration> {
        match self.duration()? {
            d if d.is_zero() => Err(self.expected("a duration greater than zero")),
            d => Ok(d),
        }
    }

    /// A filesystem path; a relative one is taken relative to `base`.
    pub fn path(&self, base: &Path) -> Result<PathBuf> {
        self.parse("a path", |path| (!path.is_empty()).then(|| base.join(path)))
    }
}

/// A table's key path (`peer[0]`), from which its fields' paths are built, and where the
/// text its spans count from starts in the file (a `[[vip]]` parsed on its own).
pub(super) struct Scope {
    path: String,
    offset: usize,
}

impl Scope {
    /// The table at key path `path`, parsed with the whole file.
    pub fn new(path: String) -> Self {
        Scope::at(path, 0)
    }

    /// The table at key path `path`, parsed from the text that starts `offset` bytes into
    /// the file.
    pub fn at(path: String, offset: usize) -> Self {
        Scope { path, offset }
    }

    /// The key path of `name` in this table.
    pub fn key(&self, name: &str) -> String {
        format!("{}.{name}", self.path)
    }

    /// The position in the file of a span's `start` in this table's text.
    pub fn position(&self, start: usize) -> usize {
        self.offset + start
    }

    /// The field `name` of this table.
    pub fn field<'a>(&self, name: &str, value: &'a Spanned<Value>) -> Field<'a> {
        Field::new(self.key(name), value, self.offset)
    }

    /// The elements of the array `name`, each with its own key path (`checks[1]`).
    pub fn items<'a>(&self, name: &str, list: &'a List) -> impl Iterator<Item = Field<'a>> {
        let key = self.key(name);
        let offset = self.offset;
        list.get_ref()
            .iter()
            .enumerate()
            .map(move |(index, value)| Field::new(format!("{key}[{index}]"), value, offset))
    }

    /// The optional field `name`, converted when present.
    pub fn get<'a, T>(
        &self,
        name: &str,
        value: &'a Option<Spanned<Value>>,
        convert: impl FnOnce(&Field<'a>) -> Result<T>,
    ) -> Result<Option<T>> {
        value
            .as_ref()
            .map(|value| convert(&self.field(name, value)))
            .transpose()
    }
}

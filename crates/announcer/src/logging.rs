//! The daemon's log: text (the default) or JSON, one line per event on stderr.
//!
//! JSON lines are one object each: `timestamp`, `level`, `target`, `message`, the event's
//! fields (`prefix` for a VIP) and the fields of the spans it happened in (`peer` and
//! `addr` for a BGP or BFD session, `check` for a health check). Under journald (stderr is
//! the stream `JOURNAL_STREAM` names) lines start with the syslog priority, `<3>` for
//! errors to `<7>` for debug, so that `journalctl -p warning` finds warnings, and text lines
//! carry no timestamp of their own (the journal keeps one).

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Installs the global subscriber: `format` on stderr, filtered by `RUST_LOG` (default
/// `info`), with syslog priority prefixes when stderr goes to the journal.
pub fn init(format: LogFormat) {
    let journal = stderr_is_journal();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    match format {
        LogFormat::Json => builder
            .fmt_fields(JsonFields::new())
            .event_format(Lines::Json { journal })
            .init(),
        LogFormat::Text if journal => builder.event_format(Lines::journal_text()).init(),
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
    }
}

/// Whether stderr is the journal stream systemd connected (`JOURNAL_STREAM` is its
/// `device:inode`).
fn stderr_is_journal() -> bool {
    let Some(stream) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(stat) = nix::sys::stat::fstat(std::io::stderr()) else {
        return false;
    };
    stream.to_str() == Some(&format!("{}:{}", stat.st_dev, stat.st_ino))
}

/// The syslog priority of `level`, as journald reads it from a `<N>` prefix.
fn priority(level: Level) -> u8 {
    match level {
        Level::ERROR => 3,
        Level::WARN => 4,
        Level::INFO => 6,
        Level::DEBUG | Level::TRACE => 7,
    }
}

/// The lines `tracing_subscriber` does not write itself: text for the journal, or JSON
/// objects; under the journal each starts with the event's syslog priority.
enum Lines {
    /// The usual text line without its timestamp (the journal keeps one), after the
    /// priority.
    JournalText(Format<tracing_subscriber::fmt::format::Full, ()>),
    /// One JSON object per event; with `journal`, after the priority.
    Json {
        /// Whether stderr is the journal.
        journal: bool,
    },
}

impl Lines {
    /// Text for the journal.
    fn journal_text() -> Self {
        Lines::JournalText(Format::default().without_time().with_ansi(false))
    }
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let metadata = event.metadata();
        let journal = match self {
            Lines::JournalText(inner) => {
                write!(writer, "<{}>", priority(*metadata.level()))?;
                return inner.format_event(ctx, writer, event);
            }
            Lines::Json { journal } => *journal,
        };
        let mut object = Map::new();
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        object.insert("timestamp".into(), Value::String(timestamp));
        object.insert("level".into(), Value::String(metadata.level().to_string()));
        object.insert("target".into(), Value::String(metadata.target().to_owned()));
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    object.extend(fields);
                }
            }
        }
        event.record(&mut JsonVisitor(&mut object));
        if journal {
            write!(writer, "<{}>", priority(*metadata.level()))?;
        }
        let line = serde_json::to_string(&object).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

/// Collects an event's fields into a JSON object.
struct JsonVisitor<'a>(&'a mut Map<String, Value>);

impl Visit for JsonVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.to_owned()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Value::Bool(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::sync::{Arc, Mutex};

    use tracing::{info, info_span, warn};
    use tracing_subscriber::fmt::MakeWriter;

    use super::*;

    /// A writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;

        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    impl Buffer {
        fn lines(&self) -> Vec<String> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect()
        }
    }

    /// Logs an event inside a peer span and a VIP event with a control character.
    fn log_some() {
        let span = info_span!("peer", peer = "tor-a", addr = "192.0.2.1");
        span.in_scope(|| warn!(error = "hold timer expired", "session down"));
        info!(
            prefix = "203.0.113.10/32",
            reason = "op\nerator",
            "withdrawn"
        );
    }

    #[test]
    fn json_lines_are_objects_with_the_level_message_and_span_fields() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .fmt_fields(JsonFields::new())
            .event_format(Lines::Json { journal: false })
            .finish();
        tracing::subscriber::with_default(subscriber, log_some);
        let lines = buffer.lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        let first: Value = serde_json::from_str(&lines[0]).unwrap();
        assert_eq!(first["level"], "WARN");
        assert_eq!(first["message"], "session down");
        assert_eq!(first["peer"], "tor-a");
        assert_eq!(first["addr"], "192.0.2.1");
        assert_eq!(first["error"], "hold timer expired");
        let second: Value = serde_json::from_str(&lines[1]).unwrap();
        assert_eq!(second["prefix"], "203.0.113.10/32");
        assert_eq!(second["reason"], "op\nerator");
        assert!(second.get("peer").is_none());
    }

    #[test]
    fn journal_lines_start_with_the_syslog_priority_and_carry_no_timestamp() {
        let buffer = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(buffer.clone())
            .event_format(Lines::journal_text())
            .finish();
        tracing::subscriber::with_default(subscriber, log_some);
        let lines = buffer.lines();
        assert!(lines[0].starts_with("<4> WARN peer{"), "{lines:?}");
        assert!(
            lines.iter().any(|l| l.starts_with("<6> INFO ")),
            "{lines:?}"
        );
    }

    #[test]
    fn each_level_has_its_syslog_priority() {
        let cases = [
            (Level::ERROR, 3),
            (Level::WARN, 4),
            (Level::INFO, 6),
            (Level::DEBUG, 7),
            (Level::TRACE, 7),
        ];
        for (level, want) in cases {
            assert_eq!(priority(level), want, "{level}");
        }
    }
}

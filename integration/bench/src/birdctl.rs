//! A client of BIRD's control socket, for polling tightly without a `birdc`
//! process per question: one connection, one line per command, replies read
//! up to their last line.
//!
//! The reply protocol: each line starts with a four-digit code and `-` when
//! more lines follow, or a space on the last line; a line starting with a
//! space continues the previous code. Codes from 8000 up are errors.
//!
//! What the benchmark asks: `show protocols all NAME` (BGP state, the time
//! of the last state change, which [`BirdOptions::unix_times`] makes Unix
//! time, and the channel's `Routes: N imported`, a counter BIRD keeps, so
//! asking costs it nothing per route), `show route count` (walks the table,
//! so asked once at the end) and `enable NAME`. Also read: BIRD's log of a
//! traced session ([`BirdOptions::trace_sessions`]), for when it connected.
//!
//! [`BirdOptions::unix_times`]: announcer_harness::routers::bird::BirdOptions::unix_times
//! [`BirdOptions::trace_sessions`]: announcer_harness::routers::bird::BirdOptions::trace_sessions

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use announcer_harness::error::{Error, Result};

/// How long one reply may take.
const REPLY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest reply read, in lines.
const MAX_REPLY_LINES: usize = 10_000;

/// One connection to BIRD's control socket.
#[derive(Debug)]
pub struct BirdControl {
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

/// What `show protocols all NAME` says about a BGP protocol.
#[derive(Debug, Clone, PartialEq)]
pub struct ProtocolView {
    /// The `BGP state:` (e.g. `Established`), empty if absent.
    pub bgp_state: String,
    /// The `Since` column: the time of the last state change, in Unix
    /// seconds (with `timeformat protocol "%s.%3f"`), if it parses as such.
    pub since: Option<f64>,
    /// Routes imported over its channels (`Routes: N imported`), summed.
    pub imported: u64,
    /// Withdrawals received over its channels (the `received` column of
    /// `Import withdraws:`), summed.
    pub withdrawals: u64,
}

impl ProtocolView {
    /// Whether the session is Established.
    pub fn established(&self) -> bool {
        self.bgp_state == "Established"
    }
}

impl BirdControl {
    /// Connects to the control socket at `path` and reads BIRD's greeting.
    pub fn connect(path: &Path) -> Result<Self> {
        let what = format!("connect to BIRD at {}", path.display());
        let stream = UnixStream::connect(path).map_err(|e| Error::io(&what, e))?;
        stream
            .set_read_timeout(Some(REPLY_TIMEOUT))
            .map_err(|e| Error::io(&what, e))?;
        let writer = stream.try_clone().map_err(|e| Error::io(&what, e))?;
        let mut control = BirdControl {
            reader: BufReader::new(stream),
            writer,
        };
        control.reply("(greeting)")?;
        Ok(control)
    }

    /// Sends `command` and returns its reply's text (codes stripped, one
    /// line per reply line); an error reply is an error.
    pub fn query(&mut self, command: &str) -> Result<String> {
        writeln!(self.writer, "{command}")
            .map_err(|e| Error::io(format!("send {command:?} to BIRD"), e))?;
        self.reply(command)
    }

    /// `show protocols all NAME`, parsed.
    pub fn protocol(&mut self, name: &str) -> Result<ProtocolView> {
        let text = self.query(&format!("show protocols all {name}"))?;
        parse_protocol(&text, name)
    }

    /// `show route count`: the routes in every table.
    pub fn route_count(&mut self) -> Result<u64> {
        parse_route_count(&self.query("show route count")?)
    }

    /// `enable NAME`: starts a protocol configured `disabled on`.
    pub fn enable(&mut self, name: &str) -> Result<()> {
        self.query(&format!("enable {name}")).map(drop)
    }

    /// Reads one reply up to its last line.
    fn reply(&mut self, command: &str) -> Result<String> {
        let mut text = String::new();
        for _ in 0..MAX_REPLY_LINES {
            let mut line = String::new();
            let read = self
                .reader
                .read_line(&mut line)
                .map_err(|e| Error::io(format!("read BIRD's reply to {command:?}"), e))?;
            if read == 0 {
                return Err(Error::Check(format!(
                    "BIRD closed its control socket while answering {command:?}"
                )));
            }
            let line = ReplyLine::parse(line.trim_end_matches('\n'));
            if line.code.is_some_and(|code| code >= 8000) {
                return Err(Error::Check(format!(
                    "BIRD refused {command:?}: {}",
                    line.text
                )));
            }
            text.push_str(line.text);
            text.push('\n');
            if line.last {
                return Ok(text);
            }
        }
        Err(Error::Check(format!(
            "BIRD's reply to {command:?} exceeds {MAX_REPLY_LINES} lines"
        )))
    }
}

/// One line of a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ReplyLine<'a> {
    /// The code, unless the line continues the previous one.
    code: Option<u16>,
    /// Whether this is the reply's last line.
    last: bool,
    /// The text after the code and its separator.
    text: &'a str,
}

impl<'a> ReplyLine<'a> {
    /// `1002-text` (more follows), `0000 text` (last), ` text` (continues).
    fn parse(line: &'a str) -> Self {
        let code = line
            .get(..4)
            .filter(|digits| digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok());
        match (code, line.as_bytes().get(4)) {
            (Some(code), Some(b'-')) => ReplyLine {
                code: Some(code),
                last: false,
                text: line.get(5..).unwrap_or_default(),
            },
            (Some(code), Some(b' ') | None) => ReplyLine {
                code: Some(code),
                last: true,
                text: line.get(5..).unwrap_or_default(),
            },
            _ => ReplyLine {
                code: None,
                last: false,
                text: line.strip_prefix(' ').unwrap_or(line),
            },
        }
    }
}

/// Parses the text of `show protocols all NAME`.
fn parse_protocol(text: &str, name: &str) -> Result<ProtocolView> {
    let what = format!("show protocols all {name}");
    let header = text
        .lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .ok_or_else(|| Error::parse(&what, format!("no line for {name} in:\n{text}")))?;
    // name proto table state since info...
    let since = header
        .split_whitespace()
        .nth(4)
        .and_then(|since| since.parse::<f64>().ok());
    let mut view = ProtocolView {
        bgp_state: String::new(),
        since,
        imported: 0,
        withdrawals: 0,
    };
    for line in text.lines().map(str::trim_start) {
        if let Some(state) = line.strip_prefix("BGP state:") {
            state.trim().clone_into(&mut view.bgp_state);
        } else if let Some(routes) = line.strip_prefix("Routes:") {
            let count = routes.split_whitespace().next().unwrap_or_default();
            view.imported += count
                .parse::<u64>()
                .map_err(|e| Error::parse(&what, format!("Routes: {count:?}: {e}")))?;
        } else if let Some(withdraws) = line.strip_prefix("Import withdraws:") {
            let count = withdraws.split_whitespace().next().unwrap_or_default();
            view.withdrawals += count
                .parse::<u64>()
                .map_err(|e| Error::parse(&what, format!("Import withdraws: {count:?}: {e}")))?;
        }
    }
    Ok(view)
}

/// Parses `show route count`: the `Total: N of M routes ...` line (N: the
/// routes in the tables), or with one table its only line.
fn parse_route_count(text: &str) -> Result<u64> {
    let what = "show route count";
    let line = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Total:"))
        .or_else(|| text.lines().find(|line| line.contains(" routes for ")))
        .ok_or_else(|| Error::parse(what, format!("no count in:\n{text}")))?;
    let count = line.split_whitespace().next().unwrap_or_default();
    count
        .parse()
        .map_err(|e| Error::parse(what, format!("{count:?}: {e}")))
}

/// When (Unix seconds) BIRD last started connecting to the neighbor of
/// protocol `name`, from its log with Unix times and traced sessions
/// (`1795229039.084 <TRACE> spk0: Connecting to 192.0.2.11 from ...`).
pub fn connecting_at(log: &str, name: &str) -> Option<f64> {
    let marker = format!(" {name}: Connecting to ");
    log.lines()
        .rev()
        .find(|line| line.contains(&marker))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `show protocols all spk0` as BIRD 2.0.12 sent it over the socket,
    /// with `timeformat protocol "%s.%3f"`.
    const PROTOCOL: &str = "2002-Name       Proto      Table      State  Since         Info
1002-spk0       BGP        ---        up     1795229140.916  Established   
1006-  BGP state:          Established
     Neighbor address: 192.0.2.11
     Neighbor AS:      65001
   Channel ipv4
     State:          UP
     Table:          master4
     Routes:         10000 imported, 0 exported, 10000 preferred
     Route change stats:     received   rejected   filtered    ignored   accepted
       Import updates:          10000          0          0          0      10000
       Import withdraws:            3          0        ---          0          3
     BGP Next hop:   192.0.2.1
 
0000 
";

    fn text_of(reply: &str) -> String {
        reply
            .lines()
            .map(|line| format!("{}\n", ReplyLine::parse(line).text))
            .collect()
    }

    #[test]
    fn reply_lines_carry_their_code_and_whether_more_follows() {
        assert_eq!(
            ReplyLine::parse("1002-spk0 BGP"),
            ReplyLine {
                code: Some(1002),
                last: false,
                text: "spk0 BGP"
            }
        );
        assert_eq!(
            ReplyLine::parse("0014 Total: 2 of 2 routes"),
            ReplyLine {
                code: Some(14),
                last: true,
                text: "Total: 2 of 2 routes"
            }
        );
        assert_eq!(
            ReplyLine::parse("     Neighbor AS:      65001"),
            ReplyLine {
                code: None,
                last: false,
                text: "    Neighbor AS:      65001"
            }
        );
        assert!(ReplyLine::parse("0000").last);
        assert_eq!(ReplyLine::parse("9001 syntax error").code, Some(9001));
    }

    #[test]
    fn a_protocol_gives_its_state_since_and_imported_routes() {
        let view = parse_protocol(&text_of(PROTOCOL), "spk0").unwrap();
        assert!(view.established());
        assert_eq!(view.since, Some(1_795_229_140.916));
        assert_eq!(view.imported, 10_000);
        assert_eq!(view.withdrawals, 3);
        assert!(parse_protocol(&text_of(PROTOCOL), "spk1").is_err());
    }

    #[test]
    fn a_protocol_not_up_has_no_routes_and_a_time_of_day_is_no_unix_time() {
        let text = "Name       Proto      Table      State  Since         Info
spk0       BGP        ---        start  23:42:08.101  Active        Socket: Connection refused
  BGP state:          Active
";
        let view = parse_protocol(text, "spk0").unwrap();
        assert!(!view.established());
        assert_eq!(view.since, None);
        assert_eq!(view.imported, 0);
    }

    #[test]
    fn the_log_says_when_bird_last_started_connecting() {
        let log = "1795229038.249 <TRACE> spk0: Connect delayed by 1 seconds
1795229039.084 <TRACE> spk0: Connecting to 192.0.2.11 from local address 192.0.2.1
1795229039.088 <TRACE> spk0: BGP session established
";
        assert_eq!(connecting_at(log, "spk0"), Some(1_795_229_039.084));
        assert_eq!(connecting_at(log, "spk1"), None);
        assert_eq!(connecting_at("", "spk0"), None);
    }

    #[test]
    fn route_count_reads_the_total() {
        let reply = "1007-2 of 2 routes for 2 networks in table master4
 0 of 0 routes for 0 networks in table master6
0014 Total: 2 of 2 routes for 2 networks in 2 tables
";
        assert_eq!(parse_route_count(&text_of(reply)).unwrap(), 2);
        assert_eq!(
            parse_route_count("5 of 5 routes for 5 networks in table master4\n").unwrap(),
            5
        );
        assert!(parse_route_count("nothing\n").is_err());
    }
}

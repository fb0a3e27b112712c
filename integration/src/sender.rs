//! What the scenarios need from the thing announcing routes to the edge
//! router: our speaker ([`crate::speaker::Speaker`]) or, to check the lab
//! itself, a BIRD instance in the speaker's place
//! ([`crate::reference::BirdSender`]).

use std::fmt::Write as _;
use std::time::Duration;

use crate::error::Result;

/// A route to announce, with the attributes the speaker can set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// The prefix, e.g. `203.0.113.10/32`.
    pub prefix: String,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// Standard communities.
    pub communities: Vec<(u16, u16)>,
    /// Large communities.
    pub large_communities: Vec<(u32, u32, u32)>,
    /// Extra copies of the speaker's AS prepended to the AS path.
    pub prepend: u8,
}

impl Announcement {
    /// A bare announcement of `prefix`.
    pub fn new(prefix: &str) -> Self {
        Announcement {
            prefix: prefix.to_owned(),
            med: None,
            communities: Vec::new(),
            large_communities: Vec::new(),
            prepend: 0,
        }
    }

    /// The `bgp-speaker` stdin command for this announcement.
    pub fn command(&self) -> String {
        let mut line = format!("announce {}", self.prefix);
        if let Some(med) = self.med {
            let _ = write!(line, " med={med}");
        }
        if !self.communities.is_empty() {
            let list: Vec<String> = self
                .communities
                .iter()
                .map(|(a, b)| format!("{a}:{b}"))
                .collect();
            let _ = write!(line, " communities={}", list.join(","));
        }
        if !self.large_communities.is_empty() {
            let list: Vec<String> = self
                .large_communities
                .iter()
                .map(|(a, b, c)| format!("{a}:{b}:{c}"))
                .collect();
            let _ = write!(line, " large={}", list.join(","));
        }
        if self.prepend > 0 {
            let _ = write!(line, " prepend={}", self.prepend);
        }
        line
    }
}

/// Something that announces routes over BGP to the edge router.
pub trait Sender {
    /// Announces (or re-announces) a route.
    fn announce(&mut self, route: &Announcement) -> Result<()>;
    /// Withdraws a route.
    fn withdraw(&mut self, prefix: &str) -> Result<()>;
    /// Closes every session with a Cease / Administrative Shutdown carrying
    /// `reason`, and checks the sender finished cleanly.
    fn shutdown(&mut self, reason: &str) -> Result<()>;
    /// Waits until the sender itself reports its session Established.
    fn wait_established(&mut self, timeout: Duration) -> Result<()>;
    /// Waits until the sender itself reports its session down (after the
    /// router went away).
    fn wait_down(&mut self, timeout: Duration) -> Result<()>;
    /// The sender's logs, for failure messages.
    fn logs(&self) -> String;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcement_renders_the_speaker_command() {
        let mut route = Announcement::new("203.0.113.10/32");
        assert_eq!(route.command(), "announce 203.0.113.10/32");
        route.med = Some(42);
        route.communities = vec![(65000, 100), (65000, 200)];
        route.large_communities = vec![(65000, 1, 2), (65000, 3, 4)];
        route.prepend = 2;
        assert_eq!(
            route.command(),
            "announce 203.0.113.10/32 med=42 communities=65000:100,65000:200 large=65000:1:2,65000:3:4 prepend=2"
        );
    }
}

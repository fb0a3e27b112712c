//! One trial's rig, made fresh for every trial so no router timer or
//! leftover address carries over: the router namespace running BIRD and one
//! speaker namespace (192.0.2.11, AS [`SPEAKER_AS`]), or several, on the lab LAN
//! ([`announcer_harness::topology`]). Dropping it stops BIRD, then deletes the
//! namespaces and the trial's directory; drop the speaker first.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::birdctl::BirdControl;
use crate::plan::Speaker;
use crate::running::Running;
use announcer_harness::error::{Error, Result};
use announcer_harness::netns::Netns;
use announcer_harness::routers::bird::{protocol_name, Bird, BirdOptions};
use announcer_harness::routers::{EdgeRouter, Mode, PeerConfig, RouterSetup};
use announcer_harness::topology::{Host, Topology};

/// The speaker's AS.
pub const SPEAKER_AS: u32 = 65001;

/// A router and a speaker namespace.
#[derive(Debug)]
pub struct TrialRig {
    /// BIRD (declared first: stopped before the namespaces go).
    pub router: Bird,
    /// The namespaces and the trial's directory.
    pub topology: Topology,
}

impl TrialRig {
    /// Builds the namespaces and starts BIRD with one neighbor, the speaker,
    /// connecting as `mode` says, configured as `options` says.
    pub fn start(mode: Mode, options: BirdOptions) -> Result<Self> {
        TrialRig::with_speakers(1, mode, options)
    }

    /// [`TrialRig::start`] with `speakers` speaker namespaces (192.0.2.11 on), each a
    /// neighbor of BIRD.
    pub fn with_speakers(speakers: usize, mode: Mode, options: BirdOptions) -> Result<Self> {
        let topology = Topology::new(speakers)?;
        let mut peers = Vec::with_capacity(speakers);
        for n in 1..=speakers {
            let mut peer = PeerConfig::new(topology.speaker(n)?.peer_address(), SPEAKER_AS);
            peer.mode = mode;
            peers.push(peer);
        }
        let router = Bird::start_with(
            RouterSetup {
                ns: topology.rtr.clone(),
                dir: topology.subdir("router")?,
                peers,
            },
            options,
        )?;
        Ok(TrialRig { router, topology })
    }

    /// The lab for `speaker` with BIRD exporting to the kernel (as in the
    /// interop lab): BIRD passive, as the speakers connect; for GoBGP, whose
    /// gobgpd must be passive (LAB-NOTES), BIRD active and configured
    /// disabled until the routes are in ([`super::gobgp::start_announcing`]).
    pub fn for_speaker(speaker: Speaker) -> Result<Self> {
        let gobgp = speaker == Speaker::Gobgp;
        TrialRig::start(
            if gobgp { Mode::Active } else { Mode::Passive },
            BirdOptions {
                start_disabled: gobgp,
                ..BirdOptions::default()
            },
        )
    }

    /// The speaker's host (namespace and addresses).
    pub fn speaker(&self) -> Result<&Host> {
        self.topology.speaker(1)
    }

    /// The speaker's namespace.
    pub fn speaker_ns(&self) -> Result<Arc<Netns>> {
        Ok(self.speaker()?.ns.clone())
    }

    /// The speaker's address (its BGP next hop).
    pub fn speaker_address(&self) -> Result<IpAddr> {
        Ok(self.speaker()?.peer_address())
    }

    /// The speaker's IPv4 address (its router id and next hop).
    pub fn speaker_v4(&self) -> Result<Ipv4Addr> {
        Ok(self.speaker()?.v4)
    }

    /// A world-readable directory of the trial, created if needed.
    pub fn dir(&self, name: &str) -> Result<PathBuf> {
        self.topology.subdir(name)
    }

    /// A connection to BIRD's control socket.
    pub fn control(&self) -> Result<BirdControl> {
        BirdControl::connect(&self.router.control_socket())
    }

    /// `error` with BIRD's logs attached.
    pub fn failure(&self, error: Error) -> Error {
        Error::Check(format!("{error}\n===== BIRD =====\n{}", self.router.logs()))
    }

    /// `error` with the speaker's and BIRD's logs attached.
    pub fn speaker_failure(&self, error: Error, speaker: &Running) -> Error {
        self.failure(Error::Check(format!(
            "{error}\n===== speaker =====\n{}",
            speaker.logs()
        )))
    }
}

/// Writes `text` to `dir/name`; returns its path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    Ok(path)
}

/// The BIRD protocol of the speaker.
pub fn speaker_protocol() -> String {
    protocol_name(0)
}

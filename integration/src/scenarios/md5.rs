//! TCP MD5 (RFC 2385): the session comes up with the right password, the kernel signs
//! the socket, and a wrong password keeps it down.

use super::{
    InteropRig, InteropSpec, Pair, SpeakerSpec, SESSION_TIMEOUT, SPEAKER_AS, WRONG_PASSWORD_PERIOD,
};
use crate::error::{Error, Result};
use crate::wait::{holds_for, POLL};

/// The lab with the router expecting `router_password` and the speaker using
/// `speaker_password`.
fn md5_spec(router_password: &str, speaker_password: &str) -> InteropSpec {
    InteropSpec {
        speakers: vec![SpeakerSpec {
            asn: SPEAKER_AS,
            password: Some(speaker_password.to_owned()),
        }],
        router_password: Some(router_password.to_owned()),
    }
}

/// With the right TCP MD5 password the session comes up, and the kernel
/// shows the socket signed.
pub fn md5_session_with_the_right_password(pair: Pair, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &md5_spec("lab-secret", "lab-secret"), test, |lab| {
        lab.wait_established(1, SESSION_TIMEOUT)?;
        let sockets = lab.topology.rtr.exec(
            "ss",
            &[
                "-tni",
                "state",
                "established",
                "( sport = :179 or dport = :179 )",
            ],
        )?;
        if !sockets.contains("md5") {
            return Err(Error::Check(format!(
                "ss -tni shows no md5 on the BGP socket:\n{sockets}"
            )));
        }
        Ok(())
    })
}

/// With a wrong TCP MD5 password the session stays down.
pub fn md5_session_with_a_wrong_password_stays_down(pair: Pair, test: &str) -> Result<()> {
    InteropRig::scenario(pair, &md5_spec("lab-secret", "wrong-secret"), test, |lab| {
        let peer = lab.host(1)?.peer_address();
        holds_for(
            "the session to stay down",
            WRONG_PASSWORD_PERIOD,
            POLL,
            || match lab.router.session_established(peer) {
                Ok(false) => Ok(()),
                Ok(true) => Err("the router shows it Established".to_owned()),
                Err(e) => Err(e.to_string()),
            },
        )
    })
}

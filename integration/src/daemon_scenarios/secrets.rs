//! Secrets stay secret: with TCP MD5 on the sessions, the password reaches the kernel and
//! nowhere else a person or a log collector could read it.

use super::settled_with;
use crate::daemon_testbed::{Bed, TestbedOptions, VIP};
use crate::error::{Error, Result};

/// The TCP MD5 password of the scenario: distinctive, so that any echo of it is found.
const SECRET: &str = "s3cret-md5-Zq7";

/// Both sessions come up with TCP MD5 from a `password_file`, and the password appears
/// neither in the daemons' logs (debug level) nor in `announcer status` (text or JSON) nor
/// in `announcer check-config`.
pub fn the_md5_password_never_appears_in_logs_status_or_errors(bed: Bed, test: &str) -> Result<()> {
    let options = TestbedOptions {
        password: Some(SECRET.to_owned()),
        ..TestbedOptions::default()
    };
    settled_with(bed, &options, test, |lab| {
        for web in [lab.web(1)?, lab.web(2)?] {
            let status = web.announcer.status()?;
            status.expect(status.vip(VIP)?.announced, "the VIP announced over MD5")?;
            let outputs = [
                web.announcer.control(&["status"])?,
                status.raw.clone(),
                web.announcer.check_config()?,
                web.announcer.log_text()?,
            ];
            if let Some(leak) = outputs.iter().find(|text| text.contains(SECRET)) {
                return Err(Error::Check(format!(
                    "{}: the password leaked into: {leak}",
                    web.name
                )));
            }
        }
        eprintln!("measured: secrets: MD5 sessions up, password absent from status, check-config and debug logs");
        Ok(())
    })
}

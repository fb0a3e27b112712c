//! The interop test lab of announcer: real BGP routers (BIRD 2, FRR, GoBGP)
//! as the edge router in network namespaces, our `bgp-speaker` (or a BIRD
//! stand-in) in speaker namespaces, and scenarios asserting on what the
//! router shows. The tests in `tests/` call the scenarios here.
//!
//! Built on the harness (`announcer-harness`: namespaces, processes, waits,
//! routers, topology), whose modules are re-exported here so a test names
//! one crate. Layers, bottom up: the harness → [`speaker`],
//! [`reference`](mod@reference), [`sender`] → [`scenarios`].
//!
//! The daemon testbed runs the real `announcer` binary instead: [`daemon`]
//! and [`status`] (the daemon, its config and its control client) →
//! [`daemon_testbed`] (router, two web servers, a client) →
//! [`daemon_scenarios`]. The hostile peers ([`hostile`], [`bfd_hostile`]),
//! [`control_flood`], [`topology_tests`] (the `lab` runner on every
//! topology) and [`package`] (the Debian package) sit beside them.

pub mod bfd_hostile;
pub mod control_flood;
pub mod daemon;
pub mod daemon_scenarios;
pub mod daemon_testbed;
pub mod hostile;
pub mod package;
pub mod reference;
pub mod scenarios;
pub mod sender;
pub mod speaker;
pub mod status;
pub mod topology_tests;

pub use announcer_harness::{
    config_toml, error, http, kernel, netns, preflight, process, routers, topology, wait,
    web_server, Error, Result,
};
pub use preflight::require_host;

/// Lab tests as a table: one row per test, `test_name => scenario(args...);`, each
/// expanding to an ignored `#[test] fn test_name() -> Result<()>` (the lab tests run only
/// when asked for: `sudo scripts/test`) that calls the scenario with `args` and the test's
/// own name (`<test file>::<test_name>`) last. Attributes on a row (doc comments) go on
/// its test.
#[macro_export]
macro_rules! lab_tests {
    ($($(#[$meta:meta])* $test:ident => $($scenario:ident)::+ ($($arg:expr),* $(,)?);)*) => {
        $(
            $(#[$meta])*
            #[test]
            #[ignore = "needs root: scripts/test"]
            fn $test() -> $crate::Result<()> {
                $($scenario)::+($($arg,)* concat!(module_path!(), "::", stringify!($test)))
            }
        )*
    };
}

//! End-to-end test support for qb-auth: both transports behind one trait,
//! a canned HTTP server for transport edge cases, and a macro that runs a
//! test written once against each transport.
//!
//! The tests themselves are in `tests/`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod canned;
pub mod failure;
pub mod fixtures;
pub mod fleet;
pub mod load;
pub mod over_reqwest;
pub mod over_ureq;
pub mod redis_server;
pub mod side;
pub mod test_client;

pub use failure::{Failure, TransportKind};
pub use over_reqwest::Reqwest;
pub use over_ureq::Ureq;
pub use test_client::{
    Answer, Events, ManagedOptions, Options, Source, TestClient, TestSession, test_policy,
};

/// Runs each listed `async fn name<T: TestClient>()` from the enclosing module
/// once per transport: `reqwest::name` and `ureq::name`, each on a
/// multi-threaded runtime and bounded by a timeout.
#[macro_export]
macro_rules! for_each_transport {
    ($timeout_secs:expr => $($case:ident),+ $(,)?) => {
        mod reqwest {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    $crate::bounded($timeout_secs, super::$case::<$crate::Reqwest>()).await;
                }
            )+
        }
        mod ureq {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    $crate::bounded($timeout_secs, super::$case::<$crate::Ureq>()).await;
                }
            )+
        }
    };
}

/// Awaits `test`, failing if it takes longer than `secs` seconds.
pub async fn bounded(secs: u64, test: impl Future<Output = ()>) {
    if tokio::time::timeout(std::time::Duration::from_secs(secs), test)
        .await
        .is_err()
    {
        panic!("the test did not finish within {secs} s");
    }
}

/// The README's examples, compiled and run as this package's doc tests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

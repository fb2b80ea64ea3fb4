//! The session lifecycle: a sans-IO state machine that decides which token
//! to use, when to renew it, and what each answer means.
//!
//! QuickBlox has no refresh token: a session lives 2 hours after its last
//! use, and renewing means signing a new create-session (or asking a
//! backend for a new token). [`SessionLifecycle`] holds the current session
//! and its sliding expiry, hands out the token, starts at most one renewal
//! however many callers ask, retries what can be retried (backoff, jitter,
//! `Retry-After`, one re-sign after a clock correction), stops on what
//! cannot (invalid credentials never loop), and never lets a failed
//! renewal displace a token that still works.
//!
//! Like quinn-proto it performs no I/O: every call takes `now`, jitter is
//! seeded by the [`Policy`], and [`SessionLifecycle::next_deadline`] says
//! when time alone changes something. `qb-auth-client`'s managed session
//! keeps one lifecycle under a lock shared by all its tasks or threads and
//! drives it like this, whatever the transport:
//!
//! ```text
//! ask = Ask::new()
//! loop (under the lock: poll_token(now, &mut ask)):
//!     Use(token)     -> send the request with the token (lock released);
//!                       2xx: on_success(sent_at, &token, ResponseTimes::from_headers(..))
//!                       "Required session does not exist": on_session_rejected(now, &token),
//!                       then retry the request once with a new Ask
//!     Renew(ticket)  -> renew outside the lock; on_renewal_result(ticket, now, outcome);
//!                       wake all waiters; poll again
//!     Wait { until } -> sleep until woken or `until`; poll again
//!     Failed(error)  -> return the error
//! after each call: drain poll_event() into callbacks and a store
//! ```
//!
//! # A renewal by hand
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use qb_auth_core::{AppCredentials, Endpoint, Identity, Nonce, SecretString};
//! use qb_auth_core::lifecycle::{
//!     Ask, NewSession, Policy, RenewalMode, RenewalProgress, SessionCredentials,
//!     SessionLifecycle, TokenAction,
//! };
//!
//! let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
//! let mode = RenewalMode::credentials(SessionCredentials::new(app, Identity::application()));
//! let mut lifecycle = SessionLifecycle::new(Policy::default().with_jitter_seed(7), mode)?;
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//!
//! // 1. Ask for a token: there is none yet, so this caller must renew.
//! let mut ask = Ask::new();
//! let TokenAction::Renew(ticket) = lifecycle.poll_token(now, &mut ask) else { unreachable!() };
//!
//! // 2. Fresh credentials from the provider, a fresh nonce, the corrected time.
//! let creds = ticket.credentials().expect("a credentials ticket")?;
//! let signed = creds
//!     .create_session(ticket.signing_input(now, Nonce::new(4242)?))
//!     .build(&Endpoint::default())?;
//! assert_eq!(signed.signature().as_str(), "313e3b565417d33e0ea031c0745e4b6a7222aa13");
//! let request = signed.into_request(); // a transport sends this
//! assert_eq!(request.uri(), "https://api.quickblox.com/session.json");
//!
//! // 3. The answer (made up here) goes back with the ticket.
//! let answer = http::Response::builder()
//!     .status(201)
//!     .header("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
//!     .header("QB-Token-ExpirationDate", "2023-11-15 00:13:20 UTC")
//!     .body(br#"{"session":{"token":"c56f382b402fb482086db956064592d3cd012bba",
//!         "application_id":12345,"user_id":0}}"#.to_vec())?;
//! let outcome = NewSession::from_response(&answer, creds.operation());
//! let progress = lifecycle.on_renewal_result(ticket, now, outcome);
//! assert!(matches!(progress, RenewalProgress::Installed));
//!
//! // 4. The same ask, polled again, gets the token.
//! let TokenAction::Use(token) = lifecycle.poll_token(now, &mut ask) else { unreachable!() };
//! assert_eq!(token.expose(), "c56f382b402fb482086db956064592d3cd012bba");
//! assert_eq!(lifecycle.expires_at(), Some(now + Duration::from_secs(2 * 3600)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod action;
mod backoff;
mod digest;
mod event;
mod expiry;
mod outcome;
mod policy;
mod provider;
mod renewal;
mod retry;
mod session;
mod skew;
mod snapshot;
mod state;
mod status;

pub use action::{Ask, RenewalMethod, RenewalReason, RenewalTicket, TokenAction};
pub use event::LifecycleEvent;
pub use outcome::{
    AttemptError, Attempted, NewSession, RenewalError, RenewalProgress, ResponseTimes,
    SessionOrigin,
};
pub use policy::{Policy, PolicyError};
pub use provider::{CredentialProvider, ProviderError, RenewalMode, SessionCredentials};
pub use retry::CallRetry;
pub use skew::ClockSkew;
pub use snapshot::LifecycleSnapshot;
pub use state::SessionLifecycle;
pub use status::{LifecycleStatus, Phase};

//! # qb-auth-emulator
//!
//! A QuickBlox-compatible authentication server on loopback: a real HTTP/1.1
//! server (hyper on Tokio) that answers every authentication endpoint the
//! way QuickBlox does, byte for byte where QuickBlox's bytes are known. No
//! QuickBlox server is needed to test signing, sessions, expiry, retries
//! and error handling over the real wire.
//!
//! ```
//! use qb_auth_emulator::{fixtures, Emulator, Fault};
//!
//! let runtime = tokio::runtime::Runtime::new()?;
//! runtime.block_on(async {
//!     let emulator = Emulator::with_demo_fixtures().start().await?;
//!     println!("QuickBlox stand-in at {}", emulator.base_url());
//!
//!     // Knobs change while it runs; counters can be read at any time.
//!     emulator.fail_next(1, Fault::Status503);
//!     emulator.set_clock_offset(120);
//!     assert_eq!(emulator.stats().sessions_created, 0);
//!     assert_eq!(fixtures::ALICE_LOGIN, "alice");
//!
//!     emulator.shutdown().await;
//!     Ok::<(), Box<dyn std::error::Error>>(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Three ways to use it: this library ([`Emulator::builder`], then
//! [`EmulatorBuilder::start`] or [`EmulatorBuilder::start_blocking`]); the
//! `qb-auth emulator` command of `qb-auth-cli`, which takes every knob of
//! the builder as a flag or from a TOML file, for tests in any language
//! (the guide "Testing a QuickBlox client against the emulator",
//! `docs/testing-against-the-emulator.md` in the repository); and the demo
//! of the `qb-auth` CLI, which uses the [demo fixtures](fixtures).
//!
//! ## Endpoints
//!
//! | call | answers |
//! | --- | --- |
//! | `POST /session.json` | 201 `{"session":{...}}`; JSON (strings, numbers, one level of nested objects) or form bodies; the signature is checked in constant time over the decoded parameters |
//! | `GET /session.json` | 200 `{"session":{...}}` with the current `user_id` |
//! | `DELETE /session.json` | 200, empty body; the token stops working |
//! | `POST /login.json` | 202 `{"user":{...}}`; top-level `login`/`email` + `password`, `provider=facebook`/`twitter` + `keys[token]` (+ `keys[secret]`), or `provider=firebase_phone` + `firebase_phone[project_id]`/`[access_token]`; the same token becomes a user session |
//! | `DELETE /login.json` | 200, empty body; the token stays valid as an application session |
//! | `GET /account_settings.json` | 200 with `api_endpoint` = the emulator's own base URL (with scheme), `chat_endpoint` and `turnserver_endpoint` = its bare host; needs `QB-Account-Key` |
//! | `GET /users.json` | a QuickBlox-like page `{"current_page":1,"per_page":10,"total_entries":N,"items":[{"user":{...}}]}` (`page`, `per_page` ≤ 100); application token, user token or API key |
//! | `GET /chat/Dialog.json` | `{"total_entries":0,"skip":0,"limit":100,"items":[]}`; needs a user: a user token, or an API key with `On-Behalf-Of` |
//!
//! Under `/_emulator/`, a prefix QuickBlox does not use, the emulator's own
//! control API: `GET stats` (the numbers of [`EmulatorControl::stats`]),
//! `GET requests` (the [recent requests](EmulatorControl::recent_requests)),
//! `GET`/`POST faults`, `GET`/`POST clock`, `POST reset`
//! ([`EmulatorControl::reset`]), `POST expire`, and a page at `GET
//! /_emulator/`; the guide has each request and answer. It is never
//! counted, logged, delayed or faulted; POSTs must be
//! `application/json`, and a `Host` other than loopback is refused, so a
//! web page cannot steer it. Off loopback it is closed unless
//! [`EmulatorBuilder::control_token`] guards it.
//!
//! Resources take `QB-Token`, or `Authorization: ApiKey <key>` (configured
//! per application) with an optional `On-Behalf-Of: <user id>` to act as
//! that user. Session and login calls take `QB-Token` only.
//!
//! Every answer has `Date` (on the emulator's clock, offset included) and
//! `QuickBlox-REST-API-Version: 0.1.1`; answers with a body have
//! `Content-Type: application/json; charset=utf-8`; answers about a known
//! token, and every create-session answer (errors too, as QuickBlox's 401
//! from create-session does; the time to live after now), have
//! `QB-Token-ExpirationDate` (`2017-11-29 07:11:18 UTC` format).
//!
//! ## Errors QuickBlox is known to send (same bytes)
//!
//! Status and body as seen in QuickBlox's own answers (see the protocol
//! notes for the sources):
//!
//! | situation | status | body |
//! | --- | --- | --- |
//! | signature mismatch | 422 | `{"errors":{"base":["Unexpected signature"]}}` |
//! | timestamp more than 60 minutes from the emulator's clock | 422 | `{"errors":{"base":["Bad timestamp"]}}` |
//! | unknown application id | 422 | `{"errors":{"base":["No application found"]}}` |
//! | wrong login, email, password or provider token (create-session and login) | 401 | `{"errors":["Unauthorized"]}` |
//! | unknown, destroyed or expired token | 401 | `{"errors":{"base":["Required session does not exist"]}}` |
//! | a user is needed (application token on `GET /chat/Dialog.json`) | 422 | `{"errors":{"base":["Forbidden. Need user."]}}` |
//!
//! ## Choices made where QuickBlox's behaviour is unknown
//!
//! These answers are ours. Where one reuses a body QuickBlox is known to
//! send, only the body is known, not that QuickBlox sends it in this
//! situation.
//!
//! | situation | status | body |
//! | --- | --- | --- |
//! | wrong `auth_key` for a known application id | 422 | `{"errors":{"base":["No application found"]}}` (QuickBlox's answer to this is not known) |
//! | no `QB-Token` (and no API key where one is accepted) | 401 | `{"errors":["Token is required"]}` (the body is QuickBlox's; its status is not known) |
//! | signature in upper case or with spaces around it | 422 | `{"errors":{"base":["Unexpected signature"]}}` (the SDKs send lowercase hex; nothing says QuickBlox forgives more, so neither do we) |
//! | `DELETE /login.json` with an application session | 422 | `{"errors":{"base":["Forbidden. Need user."]}}` (QuickBlox's answer to this is not known) |
//! | reused (timestamp, nonce) pair for the same application | 422 | `{"errors":{"base":["Nonce has already been used"]}}` |
//! | rate limit exceeded | 429 | `{"errors":["Too Many Requests"]}` and `Retry-After: <seconds>` |
//! | body over the limit (64 KiB by default) | 413 | `{"errors":["Request Entity Too Large"]}` |
//! | missing create-session parameter | 400 | `{"errors":{"base":["Missing parameter: nonce"]}}` (names only, never values) |
//! | invalid JSON, arrays, deeper nesting | 400 | `{"errors":{"base":["<what was wrong>"]}}` |
//! | the same parameter twice, in a form or in JSON (a repeated key, or `"user[login]"` beside `"user":{"login":…}`) | 400 | `{"errors":{"base":["Duplicate parameter"]}}` |
//! | content type other than JSON or form | 415 | as above |
//! | unknown provider | 422 | `{"errors":{"base":["Unsupported provider"]}}` |
//! | both `QB-Token` and `Authorization` | 400 | `{"errors":{"base":["Use either QB-Token or Authorization, not both"]}}` |
//! | wrong API key or account key | 401 | `{"errors":["Unauthorized"]}` |
//! | `On-Behalf-Of` not a configured user id | 422 | `{"errors":{"base":["On-Behalf-Of must be the id of an existing user"]}}` |
//! | no `QB-Account-Key` | 401 | `{"errors":["Account key is required"]}` |
//! | `POST /session.json` when the cap on sessions (or on used nonces) is reached and nothing expired can be forgotten | 503 | `{"errors":{"base":["Too many live sessions: the emulator's max_sessions is reached"]}}` (or `… used nonces … max_nonces …`) |
//! | connection shed at the connection cap while its body was still arriving | 503 | `{"errors":["Service Unavailable"]}` with `Connection: close` |
//! | injected 500 / 503 | 500 / 503 | `{"errors":["Internal Server Error"]}` / `{"errors":["Service Unavailable"]}` |
//! | unknown path / method | 404 / 405 | `{"errors":["Not Found"]}` / `{"errors":["Method Not Allowed"]}` with `Allow` |
//!
//! Whitespace around `application_id`, `auth_key`, `timestamp` and `nonce`
//! is ignored when looking them up (the signature still covers the values
//! as sent); JSON numbers and strings are the same value (`"42"` and `42`),
//! as QuickBlox's docs send strings and the SDKs numbers.
//!
//! Create-session checks run in this order: parameters present,
//! application, rate limit, timestamp, signature, replay, user. The
//! (timestamp, nonce) pair is used up once the signature is valid, even if
//! the user's credentials are then wrong. `POST /login.json` answers 202
//! (QuickBlox's old docs say 200; clients accept both).
//!
//! ## Signatures
//!
//! The emulator rebuilds the string to sign from every received parameter
//! but `signature` with [`qb_auth_core::signature::string_to_sign`] and checks
//! it with [`qb_auth_core::signature::verify`] (constant time). A 40-hex
//! signature is HMAC-SHA1, QuickBlox's documented algorithm. A 64-hex
//! HMAC-SHA256 signature is accepted only by applications configured with
//! [`AppConfig::accept_sha256`]: QuickBlox has not confirmed that its server
//! accepts SHA-256, so the default answers "Unexpected signature". The
//! emulator's own tests send the protocol notes' known-answer vectors over
//! raw HTTP, so the server is checked independently of the signing client.
//!
//! ## Why a signature was refused
//!
//! The 422 "Unexpected signature" is QuickBlox's, byte for byte. Beside it,
//! the emulator signs the strings that the usual client mistakes produce
//! and names the one whose signature the request sent
//! ([`SignatureCause`]): a parameter sent but not signed (or signed but
//! not sent), pairs not sorted, values signed encoded otherwise than the
//! body carries them, a nested key written flat (`user.login`), a
//! timestamp or nonce other than the body's, the signature's own form
//! (upper case, SHA-256), or the right string under a wrong secret (the
//! auth key, a trailing line break, another application's), and when none
//! fits, the start of the signature it expects for its string. The
//! [diagnosis](SignatureDiagnosis) keeps the parameters and the string
//! with passwords, tokens and secrets masked, and goes only to the
//! [log](EmulatorControl::recent_requests), the control API and the page.
//!
//! ## Sessions, clock and memory
//!
//! Tokens are 40 random hex characters from the operating system's
//! generator. Every request that presents a valid token slides its expiry
//! to the time to live after that request (2 hours by default,
//! [`EmulatorControl::set_session_ttl`]). Expiry runs on a monotonic clock;
//! the emulator's wall clock (`Date`, timestamp checks, `created_at`) is the
//! system clock plus a signed offset in seconds
//! ([`EmulatorControl::set_clock_offset`]). Used nonces are kept only while
//! their timestamp is inside the ±60-minute window, expired sessions a
//! minute after expiry; both are pruned at most once a second. Both are
//! capped ([`EmulatorBuilder::max_sessions`], 250,000 by default, and
//! [`EmulatorBuilder::max_nonces`], 1,000,000): at a cap, whatever has
//! expired is forgotten at once, and if that is not enough create-session
//! answers 503 (see the table above).
//!
//! ## Connections
//!
//! HTTP/1.1 with keep-alive. A client that shuts its write side after a
//! complete request still gets the answer. A request head must arrive
//! within 10 seconds (idle keep-alive connections close after 10 seconds
//! too). At most [`EmulatorBuilder::max_connections`] connections are open
//! at once (1,024 by default); when a new client connects at the cap, the
//! connection that has waited longest for a request head, between
//! requests, or for the rest of a body is shed, so slow or idle clients
//! never keep a prompt one out.
//!
//! ## Faults
//!
//! Latency, shares of 500 and 503 answers and of dropped connections (drawn
//! from a seeded [`fastrand`](https://docs.rs/fastrand) generator, so a run
//! repeats exactly for the same seed and the same `fastrand` release), and
//! deterministic bursts with [`EmulatorControl::fail_next`]. A fault replaces
//! the request: nothing is processed. A dropped connection is closed before
//! any byte of an answer is written.
//!
//! ## Users and applications
//!
//! Several applications, each with an id, auth key, auth secret, and
//! optionally an API key and an account key ([`AppConfig`]). Users
//! ([`UserConfig`]) belong to the whole emulator: any application can log
//! any user in. Facebook, Twitter and Firebase test tokens map to users
//! (see [`EmulatorBuilder::facebook_token`] and the next two methods).
//!
//! Secrets (auth secrets, passwords, provider tokens, API and account keys,
//! session tokens) never appear in `Debug` output or error messages. The
//! emulator writes no log of its own; it keeps the last
//! [`recent_requests`](EmulatorBuilder::recent_requests) requests (method,
//! path, outcome and a masked diagnosis; no header, no body) in a bounded
//! ring, and hands each to an [`on_request`](EmulatorBuilder::on_request)
//! observer if one is set.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod answers;
mod blocking;
mod builder;
mod config;
mod control;
mod control_api;
mod diagnosis;
mod error;
mod faults;
pub mod fixtures;
#[cfg(feature = "fuzzing")]
#[cfg_attr(docsrs, doc(cfg(feature = "fuzzing")))]
pub mod fuzzing;
mod handlers;
mod identity;
mod journal;
mod params;
mod rate_limit;
mod refusal;
mod router;
mod server;
mod sessions;
mod state;
mod stats;

pub use blocking::BlockingEmulator;
pub use builder::{
    DEFAULT_BODY_LIMIT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_NONCES, DEFAULT_MAX_SESSIONS,
    DEFAULT_RECENT_REQUESTS, DEFAULT_SEED, DEFAULT_SESSION_TTL, Emulator, EmulatorBuilder,
    MAX_CLOCK_OFFSET_SECS, MAX_RECENT_REQUESTS,
};
pub use config::{AppConfig, UserConfig};
pub use control::{EmulatorControl, EmulatorHandle};
pub use diagnosis::{Encoding, SecretMistake, SignatureCause, SignatureDiagnosis};
pub use error::{ConfigError, StartError};
pub use faults::Fault;
pub use journal::RequestRecord;
pub use qb_auth_core::{ExposeSecret, SecretString};
pub use refusal::Refusal;
pub use stats::{EmulatorStats, FaultStats};

//! Properties of the session lifecycle over random sequences of events:
//! asks, renewal results of every kind, requests that succeed or are
//! rejected, server-side destruction, restarts, and jumps of the clock.
//!
//! A small server model holds the truth (when each token really expires,
//! sliding with every use), so the checks do not trust the lifecycle's own
//! bookkeeping:
//! - never two renewals in flight;
//! - never a token handed out at or after its true expiry;
//! - never more attempts in one renewal than the policy's budget;
//! - a wait always ends in the future, and `Failed` only without a token.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use proptest::prelude::*;
use qb_auth_core::lifecycle::{
    Ask, AttemptError, LifecycleEvent, LifecycleSnapshot, NewSession, Policy, RenewalMode,
    RenewalTicket, ResponseTimes, SessionCredentials, SessionLifecycle, TokenAction,
};
use qb_auth_core::time::{format_expiration, format_http_date};
use qb_auth_core::{AppCredentials, Identity, Operation, SecretString, SessionToken};
use qb_auth_core::{TransportError, TransportErrorKind};

const TTL: Duration = Duration::from_secs(2 * 3600);

#[derive(Debug, Clone)]
enum Outcome {
    Created { headers: bool },
    RateLimited { retry_after: Option<u16> },
    ServerError,
    Transport,
    BadTimestamp { with_date: bool },
    InvalidCredentials,
    Abandoned,
}

#[derive(Debug, Clone)]
enum Op {
    Advance(u64),
    /// Jump to the lifecycle's next deadline, give or take a second.
    ToDeadline(i8),
    /// Jump to a handed-out token's true expiry, give or take a second.
    ToExpiry(usize, i8),
    NewAsk,
    Repoll(usize),
    Complete(usize, Outcome),
    Request {
        pick: usize,
        headers: bool,
    },
    ServerDestroysCurrent,
    Restart,
    HandleTimeout,
}

fn outcome() -> impl Strategy<Value = Outcome> {
    prop_oneof![
        3 => any::<bool>().prop_map(|headers| Outcome::Created { headers }),
        1 => proptest::option::of(0u16..400).prop_map(|retry_after| Outcome::RateLimited { retry_after }),
        1 => Just(Outcome::ServerError),
        1 => Just(Outcome::Transport),
        1 => any::<bool>().prop_map(|with_date| Outcome::BadTimestamp { with_date }),
        1 => Just(Outcome::InvalidCredentials),
        1 => Just(Outcome::Abandoned),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => prop_oneof![0u64..5, 0u64..180, 0u64..3 * 3600].prop_map(Op::Advance),
        2 => (-1i8..=1).prop_map(Op::ToDeadline),
        2 => (any::<usize>(), -1i8..=1).prop_map(|(i, by)| Op::ToExpiry(i, by)),
        4 => Just(Op::NewAsk),
        2 => any::<usize>().prop_map(Op::Repoll),
        4 => (any::<usize>(), outcome()).prop_map(|(i, o)| Op::Complete(i, o)),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, headers)| Op::Request { pick, headers }),
        1 => Just(Op::ServerDestroysCurrent),
        1 => Just(Op::Restart),
        1 => Just(Op::HandleTimeout),
    ]
}

#[derive(Debug, Clone)]
struct Setup {
    max_attempts: u32,
    failure_hold: u64,
    seed: u64,
    /// The server's clock minus ours, in seconds.
    server_skew: i64,
    credentials: bool,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        1u32..=5,
        0u64..=2,
        any::<u64>(),
        -180i64..=180,
        any::<bool>(),
    )
        .prop_map(
            |(max_attempts, failure_hold, seed, skew_minutes, credentials)| Setup {
                max_attempts,
                failure_hold,
                seed,
                server_skew: skew_minutes * 60,
                credentials,
            },
        )
}

struct Harness {
    setup: Setup,
    policy: Policy,
    lc: SessionLifecycle,
    now: SystemTime,
    /// Tickets handed out and not yet reported, with when they were issued.
    tickets: Vec<(RenewalTicket, SystemTime)>,
    waiting: Vec<Ask>,
    handed_out: Vec<SessionToken>,
    /// The server's truth: when each token expires, in local time.
    truth: HashMap<String, SystemTime>,
    destroyed: HashSet<String>,
    attempts_in_run: u32,
    minted: u64,
}

impl Harness {
    fn new(setup: Setup) -> Self {
        let policy = Policy::default()
            .with_max_attempts(setup.max_attempts)
            .with_failure_hold(Duration::from_secs(setup.failure_hold))
            .with_jitter_seed(setup.seed);
        let lc = SessionLifecycle::new(policy.clone(), mode(&setup)).unwrap();
        Self {
            setup,
            policy,
            lc,
            now: UNIX_EPOCH + Duration::from_secs(1_700_000_000),
            tickets: Vec::new(),
            waiting: Vec::new(),
            handed_out: Vec::new(),
            truth: HashMap::new(),
            destroyed: HashSet::new(),
            attempts_in_run: 0,
            minted: 0,
        }
    }

    fn server_now(&self) -> SystemTime {
        let by = Duration::from_secs(self.setup.server_skew.unsigned_abs());
        if self.setup.server_skew >= 0 {
            self.now + by
        } else {
            self.now - by
        }
    }

    fn apply(&mut self, op: Op) -> Result<(), TestCaseError> {
        match op {
            Op::Advance(secs) => self.now += Duration::from_secs(secs),
            Op::ToDeadline(by) => {
                if let Some(deadline) = self.lc.next_deadline() {
                    self.jump_to(deadline, by);
                }
            }
            Op::ToExpiry(pick, by) => {
                if !self.handed_out.is_empty() {
                    let token = &self.handed_out[pick % self.handed_out.len()];
                    if let Some(expiry) = self.truth.get(token.expose()).copied() {
                        self.jump_to(expiry, by);
                    }
                }
            }
            Op::NewAsk => {
                let mut ask = Ask::new();
                self.poll(&mut ask)?;
            }
            Op::Repoll(i) => {
                if !self.waiting.is_empty() {
                    let mut ask = self.waiting.swap_remove(i % self.waiting.len());
                    self.poll(&mut ask)?;
                }
            }
            Op::Complete(i, outcome) => {
                if !self.tickets.is_empty() {
                    let (ticket, _) = self.tickets.swap_remove(i % self.tickets.len());
                    let result = self.result(outcome);
                    let _ = self.lc.on_renewal_result(ticket, self.now, result);
                }
            }
            Op::Request { pick, headers } => {
                if !self.handed_out.is_empty() {
                    let token = self.handed_out[pick % self.handed_out.len()].clone();
                    self.request(&token, headers);
                }
            }
            Op::ServerDestroysCurrent => {
                if let Some(session) = self.lc.session() {
                    self.destroyed.insert(session.token.expose().to_owned());
                }
            }
            Op::Restart => {
                let json = serde_json::to_string(&self.lc.snapshot()).unwrap();
                let snapshot: LifecycleSnapshot = serde_json::from_str(&json).unwrap();
                self.lc = SessionLifecycle::new(self.policy.clone(), mode(&self.setup)).unwrap();
                self.lc.restore(self.now, snapshot);
                // The old process's tickets and callers died with it.
                self.tickets.clear();
                self.waiting.clear();
                self.attempts_in_run = 0;
            }
            Op::HandleTimeout => self.lc.handle_timeout(self.now),
        }
        self.drain_events();
        Ok(())
    }

    /// Moves the clock to `target` moved by `by` seconds, never backwards.
    fn jump_to(&mut self, target: SystemTime, by: i8) {
        let shift = Duration::from_secs(u64::from(by.unsigned_abs()));
        let target = if by >= 0 {
            target + shift
        } else {
            target - shift
        };
        self.now = self.now.max(target);
    }

    fn poll(&mut self, ask: &mut Ask) -> Result<(), TestCaseError> {
        let action = self.lc.poll_token(self.now, ask);
        self.drain_events();
        match action {
            TokenAction::Use(token) => {
                let expiry = self.truth.get(token.expose()).copied();
                prop_assert!(
                    expiry.is_some_and(|e| self.now < e),
                    "handed out a token expired at {:?} (now {:?})",
                    expiry,
                    self.now
                );
                self.handed_out.push(token);
                if self.handed_out.len() > 8 {
                    self.handed_out.remove(0);
                }
            }
            TokenAction::Renew(ticket) => {
                let timeout = self.policy.renewal_timeout();
                for (other, issued) in &self.tickets {
                    prop_assert!(
                        *issued + timeout <= self.now,
                        "ticket {} is still in flight while {} is issued",
                        other.id(),
                        ticket.id()
                    );
                }
                self.attempts_in_run += 1;
                prop_assert!(self.attempts_in_run <= self.setup.max_attempts);
                prop_assert_eq!(ticket.attempt(), self.attempts_in_run);
                self.tickets.push((ticket, self.now));
                self.waiting.push(*ask);
            }
            TokenAction::Wait { until } => {
                prop_assert!(until > self.now, "a wait must end in the future");
                self.waiting.push(*ask);
            }
            TokenAction::Failed(_) => {
                prop_assert!(self.lc.session().is_none(), "failed while holding a token");
            }
        }
        Ok(())
    }

    fn result(&mut self, outcome: Outcome) -> Result<NewSession, AttemptError> {
        let server_now = self.server_now();
        let operation = Operation::CreateApplicationSession;
        let respond = |status: u16, headers: Vec<(&str, String)>, body: String| {
            let mut builder = http::Response::builder().status(status);
            for (name, value) in headers {
                builder = builder.header(name, value);
            }
            builder.body(body.into_bytes()).unwrap()
        };
        match outcome {
            Outcome::Created { headers } => {
                self.minted += 1;
                let token = format!("tok-{}", self.minted);
                self.truth.insert(token.clone(), self.now + TTL);
                let head = if headers {
                    vec![
                        ("Date", format_http_date(server_now)),
                        (
                            "QB-Token-ExpirationDate",
                            format_expiration(server_now + TTL),
                        ),
                    ]
                } else {
                    Vec::new()
                };
                let body = format!(r#"{{"session":{{"token":"{token}","user_id":0}}}}"#);
                NewSession::from_response(&respond(201, head, body), operation)
            }
            Outcome::RateLimited { retry_after } => {
                let head = retry_after
                    .map(|s| ("Retry-After", s.to_string()))
                    .into_iter()
                    .collect();
                NewSession::from_response(&respond(429, head, String::new()), operation)
            }
            Outcome::ServerError => NewSession::from_response(
                &respond(
                    503,
                    vec![("Date", format_http_date(server_now))],
                    String::new(),
                ),
                operation,
            ),
            Outcome::Transport => {
                Err(TransportError::new(TransportErrorKind::Connection, "reset").into())
            }
            Outcome::BadTimestamp { with_date } => {
                let head = if with_date {
                    vec![("Date", format_http_date(server_now))]
                } else {
                    Vec::new()
                };
                let body = r#"{"errors":{"base":["Bad timestamp"]}}"#.to_owned();
                NewSession::from_response(&respond(422, head, body), operation)
            }
            Outcome::InvalidCredentials => NewSession::from_response(
                &respond(401, Vec::new(), r#"{"errors":["Unauthorized"]}"#.to_owned()),
                Operation::CreateUserSession,
            ),
            Outcome::Abandoned => Err(AttemptError::Abandoned),
        }
    }

    /// A request made with `token`: the server accepts it (and slides its
    /// expiry) unless it expired or was destroyed.
    fn request(&mut self, token: &SessionToken, headers: bool) {
        let alive = !self.destroyed.contains(token.expose())
            && self
                .truth
                .get(token.expose())
                .is_some_and(|e| self.now < *e);
        if alive {
            self.truth.insert(token.expose().to_owned(), self.now + TTL);
            let times = if headers {
                let server_now = self.server_now();
                ResponseTimes {
                    date: Some(server_now),
                    token_expiration: Some(server_now + TTL),
                }
            } else {
                ResponseTimes::NONE
            };
            self.lc.on_success(self.now, token, times);
        } else {
            self.lc.on_session_rejected(self.now, token);
        }
    }

    fn drain_events(&mut self) {
        while let Some(event) = self.lc.poll_event() {
            if matches!(
                event,
                LifecycleEvent::SessionCreated { .. }
                    | LifecycleEvent::SessionRenewed { .. }
                    | LifecycleEvent::RenewalFailed(_)
            ) {
                self.attempts_in_run = 0;
            }
        }
    }
}

fn mode(setup: &Setup) -> RenewalMode {
    if setup.credentials {
        let app = AppCredentials::new(1, "key", SecretString::from("secret")).unwrap();
        RenewalMode::credentials(SessionCredentials::new(app, Identity::application()))
    } else {
        RenewalMode::TokenProvider
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_event_sequences_keep_the_invariants(
        setup in setup(),
        ops in proptest::collection::vec(op(), 1..160),
    ) {
        let mut harness = Harness::new(setup);
        for op in ops {
            harness.apply(op)?;
        }
    }
}

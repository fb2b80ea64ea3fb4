//! Managed sessions: a token kept valid for every task or thread that
//! shares it, with one renewal at a time.
//!
//! The driver here is written once, as async code over [`Mode`]; the
//! async and blocking front ends (`asynchronous.rs`, `blocking.rs`) only
//! await it or block on it.

mod guard;
mod hooks;
mod identity;
mod lifecycle;
mod observe;
pub(crate) mod providers;
mod slide;
mod source;
mod status;
mod times;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

use crate::store::SessionStore;
use qb_auth_core::call::{ApiCall, CreateSessionCall, DestroySessionCall, GetSessionCall};
use qb_auth_core::lifecycle::{
    Ask, AttemptError, CredentialProvider, LifecycleEvent, NewSession, Policy, ProviderError,
    RenewalMethod, RenewalTicket, SessionLifecycle, TokenAction,
};
use qb_auth_core::{HttpRequest, Operation, Session, SessionToken, SigningInput, authorize};
use tracing::Instrument;

use crate::fleet::{Fleet, FleetConfig, Held};
use crate::mode::Mode;
use crate::transport::Response;
use crate::{Client, Error, metrics, trace};
use guard::RenewalGuard;
use lifecycle::ManagedOptions;
pub(crate) use lifecycle::SharedLifecycle;

pub use observe::{Answered, MAX_ERROR_BODY, RequestToken};
#[cfg(feature = "blocking")]
pub use providers::BlockingTokenProvider;
pub use providers::{BoxFuture, TokenProvider};
pub use source::SessionSource;
pub use status::{SessionStatus, Sharing};

/// Configures a [`ManagedSession`]; from [`Client::managed`].
#[must_use]
pub struct ManagedSessionBuilder<M: Mode> {
    client: Client<M>,
    source: SessionSource,
    options: ManagedOptions,
    check_token: bool,
    fleet: FleetConfig,
}

impl<M: Mode> ManagedSessionBuilder<M> {
    pub(crate) fn new(client: Client<M>, source: SessionSource) -> Self {
        Self {
            client,
            source,
            options: ManagedOptions::default(),
            check_token: true,
            fleet: FleetConfig::default(),
        }
    }

    /// The sharing options, for the `fleet` module's builder methods.
    pub(crate) fn fleet_config(&mut self) -> &mut FleetConfig {
        &mut self.fleet
    }

    /// Uses a token handed in ([`SessionSource::fixed`]) as it is, without
    /// the `GET /session.json` that otherwise checks it before its first
    /// use: for callers who know what they hold and want no extra request.
    pub fn skip_token_check(mut self) -> Self {
        self.check_token = false;
        self
    }

    /// When to renew and how to retry (the core's defaults otherwise). A
    /// jitter seed of 0 (the default) is replaced by a random one, so
    /// processes started together do not renew and back off in step.
    pub fn policy(mut self, policy: Policy) -> Self {
        self.options.policy = policy;
        self
    }

    /// Saves the session after each renewal and restores it at
    /// [`build`](Self::build), so a restarted process reuses its token.
    /// Called on the task that renewed, outside any lock; keep it quick.
    ///
    /// A login or logout on the session makes it leave the store, which
    /// is cleared and not written again: the token then belongs to another
    /// identity than the source's, and a restart (from the same source)
    /// must not take it up. A saved user's session is not restored for an
    /// application source, nor an application's for a user source: it is
    /// ignored with a
    /// [`StoreIgnored`](qb_auth_core::lifecycle::LifecycleEvent::StoreIgnored)
    /// event and a session of the source's own identity is created.
    pub fn store(mut self, store: impl SessionStore + 'static) -> Self {
        self.options.store = Some(Arc::new(store));
        self
    }

    /// Calls `listener` for every lifecycle event: session created,
    /// renewed, expired or rejected, an attempt or a renewal failed, the
    /// clock offset changed. It runs on the task that caused the event,
    /// outside any lock; keep it quick.
    pub fn on_event(mut self, listener: impl Fn(&LifecycleEvent) + Send + Sync + 'static) -> Self {
        self.options.listeners.push(Arc::new(listener));
        self
    }

    /// Checks the policy, restores a saved session (unless the source is a
    /// fixed token, which is used instead), and returns the session.
    /// Nothing is sent: the session is created when a token is first needed.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] for a policy that cannot work, [`Error::Store`]
    /// when the store cannot be read.
    pub fn build(self) -> Result<ManagedSession<M>, Error> {
        let fleet = self.fleet.build(&self.source, &self.options.policy)?;
        let source = if self.check_token {
            self.source.checked_first()
        } else {
            self.source
        };
        let mut options = self.options;
        if options.policy.jitter_seed() == 0 {
            let seed = self.client.settings.clock.next_seed();
            options.policy = options.policy.with_jitter_seed(seed);
        }
        let lifecycle = SharedLifecycle::start(SystemTime::now(), &source, options)?;
        Ok(ManagedSession {
            shared: Arc::new(Shared {
                tokens: source.provider(),
                app: source.credential_provider(),
                client: self.client,
                lifecycle,
                renewed: M::Signal::default(),
                fleet,
                left_fleet: AtomicBool::new(false),
            }),
        })
    }
}

impl<M: Mode> fmt::Debug for ManagedSessionBuilder<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedSessionBuilder")
            .field("client", &self.client)
            .field("source", &self.source)
            .field("options", &self.options)
            .field("check_token", &self.check_token)
            .field("fleet", &self.fleet)
            .finish()
    }
}

/// A QuickBlox session kept valid for every task or thread that shares it.
///
/// Cheap to clone; clones share one session. `token` gives a valid token,
/// renewing when needed: however many callers ask at once, one renewal
/// runs and the others wait for it (no lock is held across the network
/// call). `send` attaches the token to a request for the client's API
/// host, slides the session's expiry on success, and after "Required
/// session does not exist" renews and sends the request once more.
///
/// Retries, backoff, `Retry-After`, clock-skew correction and the verdict
/// on refused credentials all come from the core's lifecycle and its
/// [`Policy`]; invalid credentials fail at once, without a retry.
///
/// The async methods are in the async front end (`asynchronous`), the
/// blocking ones in the blocking front end (`blocking`).
pub struct ManagedSession<M: Mode> {
    shared: Arc<Shared<M>>,
}

// By hand: a derive would ask for `M: Clone` on the `Arc`'s content.
impl<M: Mode> Clone for ManagedSession<M> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared<M: Mode> {
    client: Client<M>,
    tokens: Option<Arc<dyn TokenProvider>>,
    /// The application's credentials, when the source signs with them: a
    /// login on the token pairs them with the user's identity.
    app: Option<Arc<dyn CredentialProvider>>,
    lifecycle: SharedLifecycle,
    /// Moves on after every renewal result, so waiting callers poll again.
    renewed: M::Signal,
    /// The fleet this session is shared with, if any.
    fleet: Option<Fleet>,
    /// Set by a login or logout on the token: the session no longer
    /// belongs to the identity the fleet's key names, so it renews alone.
    left_fleet: AtomicBool,
}

impl<M: Mode> Shared<M> {
    /// Hands a ticket back and wakes everyone waiting on it.
    fn finish(&self, ticket: RenewalTicket, result: Result<NewSession, AttemptError>) {
        self.lifecycle
            .finish_renewal(ticket, SystemTime::now(), result);
        M::notify(&self.renewed);
    }
}

impl<M: Mode> Client<M> {
    /// A session managed for you, getting its tokens from `source`;
    /// configure it, then [`build`](ManagedSessionBuilder::build) it.
    pub fn managed(&self, source: SessionSource) -> ManagedSessionBuilder<M> {
        ManagedSessionBuilder::new(self.clone(), source)
    }
}

impl<M: Mode> ManagedSession<M> {
    /// The client this session sends through.
    pub fn client(&self) -> &Client<M> {
        &self.shared.client
    }

    /// The current session, if one is held (it may be about to expire).
    pub fn session(&self) -> Option<Session> {
        self.shared.lifecycle.read(|l| l.session().cloned())
    }

    /// When the current session expires by the local clock, if one is
    /// held.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.shared.lifecycle.read(|l| l.expires_at())
    }

    /// Forgets a failed renewal (refused credentials are not tried again
    /// until they change, or until this is called) so that the next caller
    /// renews at once; the session held, if any, is kept. Returns whether
    /// there was a failure to forget.
    pub fn reset(&self) -> bool {
        let reset = self.shared.lifecycle.with(SessionLifecycle::reset);
        M::notify(&self.shared.renewed);
        reset
    }

    /// A valid token: the one held, or a new one from a renewal that this
    /// caller runs or waits for.
    pub(crate) async fn valid_token(&self) -> Result<SessionToken, Error> {
        Ok(self.valid_token_at().await?.0)
    }

    /// [`valid_token`](Self::valid_token) and when it was taken: the time
    /// the lifecycle was asked at, so that a middleware reads the clock
    /// once per request.
    pub(crate) async fn valid_token_at(&self) -> Result<(SessionToken, SystemTime), Error> {
        let shared = &*self.shared;
        let mut ask = Ask::new();
        // Set when this caller had to renew or wait: how long it waited.
        let mut held_up: Option<Instant> = None;
        loop {
            // Read before polling: a renewal that ends after the poll moves
            // it on, so the wait below returns at once.
            let seen = M::generation(&shared.renewed);
            let now = SystemTime::now();
            let action = shared.lifecycle.poll_token(now, &mut ask);
            match (&action, held_up) {
                (TokenAction::Use(_) | TokenAction::Failed(_), Some(since)) => {
                    metrics::caller_wait(since.elapsed());
                }
                (TokenAction::Renew(_) | TokenAction::Wait { .. }, None) => {
                    held_up = Some(Instant::now());
                }
                _ => {}
            }
            // Boxed, and awaited after the match, so that neither they nor
            // the action they came from take room in every caller's future
            // (a middleware's too) on the path that only uses the token: a
            // renewal holds a whole exchange, a wait a sleep and a signal.
            let until_then: Pin<Box<dyn Future<Output = ()> + Send + '_>> = match action {
                TokenAction::Use(token) => return Ok((token, now)),
                TokenAction::Renew(ticket) => Box::pin(self.renew(ticket)),
                TokenAction::Wait { until } => {
                    Box::pin(shared.client.io.wait(&shared.renewed, seen, until))
                }
                TokenAction::Failed(error) => return Err(Error::Renewal(error)),
            };
            until_then.await;
        }
    }

    /// Sends `request` with the token; once more with a new token if the
    /// server rejected the first.
    pub(crate) async fn send_request(&self, request: HttpRequest) -> Result<Response, Error> {
        self.shared.client.check_own_host(&request)?;
        async {
            let again = copy_for_retry(&request);
            let (answer, rejected) = self.send_with(request, 1).await?;
            if !rejected {
                return Ok(answer);
            }
            Ok(self.send_with(again, 2).await?.0)
        }
        .instrument(trace::operation(Operation::Other, None))
        .await
    }

    /// Forgets the session and destroys it on the server.
    pub(crate) async fn destroy_session(&self) -> Result<(), Error> {
        match self.shared.lifecycle.forget() {
            Some(session) => {
                let destroy = DestroySessionCall::new(&session.token);
                self.shared.client.run(destroy).await
            }
            None => Ok(()),
        }
    }

    async fn renew(&self, ticket: RenewalTicket) {
        let span = trace::renewal(&ticket);
        // Reported as abandoned if the caller is cancelled mid-attempt.
        if ticket.attempt() == 1 {
            metrics::renewal_started(ticket.reason());
        } else {
            metrics::retry("renewal");
        }
        let started = Instant::now();
        let guard = RenewalGuard::new(ticket, |ticket, result| self.shared.finish(ticket, result));
        let Some(ticket) = guard.ticket() else {
            return guard.finish(Err(AttemptError::Abandoned));
        };
        let result = self.attempt(ticket).instrument(span).await;
        let operation = ticket.attempted().code();
        metrics::session_attempt(operation, result.is_ok());
        metrics::renewal_duration(operation, started.elapsed());
        if let Err(error) = &result {
            metrics::failure(error);
        }
        guard.finish(result);
    }

    async fn attempt(&self, ticket: &RenewalTicket) -> Result<NewSession, AttemptError> {
        match &self.shared.fleet {
            // A user logged in on the token (or out of it) is no longer
            // the identity the fleet's key names: this session renews alone.
            Some(fleet) if !self.shared.left_fleet.load(Ordering::Acquire) => {
                let held = self.shared.lifecycle.read(|l| Held {
                    token: l.session().map(|s| s.token.clone()),
                    clock_offset: l.clock_offset(),
                });
                let announce = |event| self.shared.lifecycle.announce(event);
                let create = || self.create(ticket);
                fleet.renew(held, &announce, ticket, create).await
            }
            _ => self.create(ticket).await,
        }
    }

    /// Creates a session with the server, or asks the token provider.
    async fn create(&self, ticket: &RenewalTicket) -> Result<NewSession, AttemptError> {
        let client = &self.shared.client;
        match ticket.method() {
            RenewalMethod::Credentials(_) => {
                let credentials = ticket.credentials().transpose()?.ok_or_else(|| {
                    ProviderError::permanent("a credentials ticket gave no credentials")
                })?;
                let call = CreateSessionCall::new(&credentials.app, &credentials.identity);
                let nonce = client.settings.nonces.next_nonce()?;
                let input = ticket.signing_input(SystemTime::now(), nonce);
                self.attempt_with(&call, Some(input), ticket.attempt())
                    .await
            }
            RenewalMethod::CheckToken(token) => {
                let call = GetSessionCall::new(token);
                self.attempt_with(&call, None, ticket.attempt()).await
            }
            RenewalMethod::TokenProvider => match &self.shared.tokens {
                Some(provider) => Ok(NewSession::new(provider.session().await?)),
                None => Err(ProviderError::permanent("no token provider is configured").into()),
            },
        }
    }

    /// One attempt of a renewal's call, in the call's operation span: its
    /// answer read as the new session (with the answer's times).
    async fn attempt_with<C: ApiCall>(
        &self,
        call: &C,
        signing: Option<SigningInput>,
        attempt: u32,
    ) -> Result<NewSession, AttemptError> {
        let span = trace::operation(call.operation(), call.identity());
        async {
            let client = &self.shared.client;
            match client.attempt(call, signing, attempt).await? {
                Ok(answer) => {
                    NewSession::from_response(&answer, call.operation()).map_err(|e| match e {
                        AttemptError::Api(api) => {
                            AttemptError::Api(api.with_context(client.settings.call_context()))
                        }
                        other => other,
                    })
                }
                Err(transport) => Err(AttemptError::Transport(transport)),
            }
        }
        .instrument(span)
        .await
    }

    async fn send_with(
        &self,
        mut request: HttpRequest,
        attempt: u32,
    ) -> Result<(Response, bool), Error> {
        let token = self.valid_token().await?;
        authorize(&mut request, &token)?;
        let sent_at = SystemTime::now();
        let answer = self.shared.client.exchange(request, attempt).await?;
        let rejected = self
            .shared
            .lifecycle
            .answered(&token, sent_at, SystemTime::now(), &answer);
        Ok((answer, rejected))
    }
}

impl<M: Mode> fmt::Debug for ManagedSession<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedSession")
            .field("client", &self.shared.client)
            .field("lifecycle", &self.shared.lifecycle)
            .finish()
    }
}

/// A copy of `request` to send again after a renewal. The body is the
/// core's `Body`, which zeroizes its copy too.
fn copy_for_retry(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

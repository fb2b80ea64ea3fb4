//! The one-shot operations, with the client's retry policy: written once
//! here, awaited by the async front end and blocked on by the blocking one.
//!
//! Each attempt is built anew (a create-session gets a fresh nonce and
//! timestamp), the core's [`CallRetry`] decides whether and when the next
//! one starts, and a clock offset measured from a "Bad timestamp" answer is
//! kept for the client's next calls.

use std::time::SystemTime;

use qb_auth_core::lifecycle::{AttemptError, CallRetry, Resend};
use qb_auth_core::{AccountSettings, AppCredentials, Identity, Session, SessionToken, User};
use tracing::Instrument;

use crate::call::Call;
use crate::mode::Mode;
use crate::{Client, Error};

impl<M: Mode> Client<M> {
    pub(crate) async fn create_session_retrying(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Error> {
        self.retrying(Resend::IfRetryable, |retry| {
            let nonce = self.settings.nonces.next_nonce()?;
            let input = retry.signing_input(SystemTime::now(), nonce);
            self.create_session_call(app, identity, Some(input))
        })
        .await
    }

    pub(crate) async fn get_session_retrying(
        &self,
        token: &SessionToken,
    ) -> Result<Session, Error> {
        self.retrying(Resend::IfRetryable, |_| {
            Ok(Call::get_session(&self.settings, token)?)
        })
        .await
    }

    pub(crate) async fn login_retrying(
        &self,
        token: &SessionToken,
        identity: &Identity,
    ) -> Result<User, Error> {
        // Logging the same user in twice leaves the token as once did.
        self.retrying(Resend::IfRetryable, |_| {
            Ok(Call::login(&self.settings, token, identity)?)
        })
        .await
    }

    pub(crate) async fn logout_retrying(&self, token: &SessionToken) -> Result<(), Error> {
        self.retrying(Resend::IfNeverSent, |_| {
            Ok(Call::logout(&self.settings, token)?)
        })
        .await
    }

    pub(crate) async fn destroy_session_retrying(&self, token: &SessionToken) -> Result<(), Error> {
        self.retrying(Resend::IfNeverSent, |_| {
            Ok(Call::destroy_session(&self.settings, token)?)
        })
        .await
    }

    pub(crate) async fn account_settings_retrying(
        &self,
        account_key: &str,
    ) -> Result<AccountSettings, Error> {
        self.retrying(Resend::IfRetryable, |_| {
            Ok(Call::account_settings(&self.settings, account_key)?)
        })
        .await
    }

    /// Sends the call `build` makes until it succeeds, fails for good, or
    /// the policy's attempts are spent; waits between attempts as the
    /// policy says. One operation span holds every attempt's span.
    async fn retrying<T>(
        &self,
        resend: Resend,
        mut build: impl FnMut(&CallRetry) -> Result<Call<T>, Error>,
    ) -> Result<T, Error> {
        let clock = &self.settings.clock;
        let policy = self
            .settings
            .retry
            .clone()
            .with_jitter_seed(self.settings.retry.jitter_seed() ^ clock.next_seed());
        let mut retry = CallRetry::new(&policy, clock.offset(), resend);
        let mut call = build(&retry)?;
        let span = call.span();
        async move {
            loop {
                let attempt = retry.attempt();
                let (request, reader) = call.into_request();
                let error = match reader.read(self.exchange(request, attempt).await) {
                    Ok(value) => return Ok(value),
                    Err(error) => error,
                };
                let Some(failure) = as_attempt_error(&error) else {
                    return Err(error);
                };
                let retry_at = retry.after_failure(SystemTime::now(), &failure);
                clock.remember(retry.clock_offset());
                let Some(at) = retry_at else {
                    return Err(error);
                };
                tracing::warn!(attempt, error = %error, "call failed; trying again");
                self.io.sleep_until(at).await;
                call = build(&retry)?;
            }
        }
        .instrument(span)
        .await
    }
}

/// What the retry rules judge: the server's answer or the transport's
/// failure. Anything else (a request that cannot be built) ends the call.
fn as_attempt_error(error: &Error) -> Option<AttemptError> {
    match error {
        Error::Api(api) => Some(AttemptError::Api(api.clone())),
        Error::Transport(transport) => Some(AttemptError::Transport(transport.clone())),
        _ => None,
    }
}

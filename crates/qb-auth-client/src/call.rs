//! The one path every operation takes: an [`ApiCall`] is built against the
//! client's settings, sent, read, and sent again as its [`Resend`] rule and
//! the client's retry policy allow. The front ends' methods are one line
//! over [`Client::run`]; a managed session's renewal sends one attempt of
//! the same calls with [`Client::attempt`].
//!
//! [`Resend`]: qb_auth_core::call::Resend
//! [`ApiCall`]: qb_auth_core::call::ApiCall

use std::time::SystemTime;

use qb_auth_core::call::ApiCall;
use qb_auth_core::lifecycle::{AttemptError, CallRetry};
use qb_auth_core::{BuildError, HttpRequest, Operation, SigningInput, TransportError};
use tracing::Instrument;

use crate::mode::Mode;
use crate::transport::Response;
use crate::{Client, Error, metrics, trace};

impl<M: Mode> Client<M> {
    /// Runs `call` until it succeeds, fails for good, or the policy's
    /// attempts or time are spent; waits between attempts as the policy
    /// says. Each attempt is built anew (a signed call gets a fresh nonce
    /// and timestamp), and a clock offset measured from a "Bad timestamp"
    /// answer is kept for the client's next calls. One operation span
    /// holds every attempt's span.
    pub(crate) async fn run<C: ApiCall>(&self, call: C) -> Result<C::Output, Error> {
        let clock = &self.settings.clock;
        let policy = self
            .settings
            .retry
            .clone()
            .with_jitter_seed(self.settings.retry.jitter_seed() ^ clock.next_seed());
        let mut retry = CallRetry::new(&policy, clock.offset(), call.resend(), SystemTime::now());
        let span = trace::operation(call.operation(), call.identity());
        async move {
            loop {
                let attempt = retry.attempt();
                let signing = match call.is_signed() {
                    true => Some(
                        retry.signing_input(SystemTime::now(), self.settings.nonces.next_nonce()?),
                    ),
                    false => None,
                };
                // The retry rules judge a copy of the attempt's error (made
                // only on this failure path); the caller gets the error.
                let operation = call.operation();
                let counted = metrics::creates_session(operation);
                let (failure, error) = match self.attempt(&call, signing, attempt).await? {
                    Ok(answer) => match call.read(&answer) {
                        Ok(output) => {
                            if counted {
                                metrics::session_attempt(operation.code(), true);
                            }
                            return Ok(output);
                        }
                        Err(api) => (AttemptError::Api(api.clone()), Error::Api(api)),
                    },
                    Err(transport) => (
                        AttemptError::Transport(transport.clone()),
                        Error::Transport(transport),
                    ),
                };
                if counted {
                    metrics::session_attempt(operation.code(), false);
                }
                metrics::failure(&failure);
                let now = SystemTime::now();
                let retry_at = retry.after_failure(now, &failure);
                clock.remember(retry.clock_offset());
                let Some(at) = retry_at else {
                    let elapsed = now.duration_since(retry.started()).unwrap_or_default();
                    let context = self
                        .settings
                        .call_context()
                        .with_attempts(operation, attempt, elapsed);
                    return Err(error.with_context(context));
                };
                tracing::warn!(attempt, error = %error, "call failed; trying again");
                metrics::retry(operation.code());
                self.io.sleep_until(at).await;
            }
        }
        .instrument(span)
        .await
    }

    /// Builds and sends one attempt of `call` (signed with `signing` if
    /// given), in an attempt span: the answer, whatever its status, or the
    /// transport's failure. Only a request that cannot be built is an
    /// error of its own.
    pub(crate) async fn attempt<C: ApiCall>(
        &self,
        call: &C,
        signing: Option<SigningInput>,
        attempt: u32,
    ) -> Result<Result<Response, TransportError>, BuildError> {
        let mut target = self.settings.target();
        if let Some(input) = signing {
            target = target.signing(input);
        }
        let request = call.request(&target)?;
        Ok(self.exchange(request, attempt).await)
    }

    /// Sends any request once, as it is, in a `request` operation span:
    /// the answer, whatever its status.
    pub(crate) async fn send_as_is(&self, request: HttpRequest) -> Result<Response, Error> {
        let span = trace::operation(Operation::Other, None);
        async move { Ok(self.exchange(request, 1).await?) }
            .instrument(span)
            .await
    }

    /// Sends one request through the transport, in an attempt span.
    pub(crate) async fn exchange(
        &self,
        request: HttpRequest,
        attempt: u32,
    ) -> Result<Response, TransportError> {
        let span = trace::attempt(&request, attempt);
        let result = self
            .io
            .send(request, self.settings.max_body)
            .instrument(span.clone())
            .await
            .map_err(|e| e.with_context(self.settings.call_context()));
        trace::exchanged(&span, &result);
        result
    }
}

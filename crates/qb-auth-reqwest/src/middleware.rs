//! A [`reqwest_middleware`] middleware that puts a managed session's token
//! on your own reqwest calls to the QuickBlox API.
//!
//! Requests for the session's API host (scheme, host and port) get
//! `QB-Token`; requests for any other host pass through untouched, and
//! their answers are not looked at. After "Required session does not
//! exist" the session renews (once, however many tasks share it) and the
//! request is sent once more if reqwest can copy it
//! ([`reqwest::Request::try_clone`]: not for a streaming body, which is
//! sent once; its answer comes back and the next request gets a new
//! token). The copy is taken before the first send.
//!
//! A success's body is never read: it streams to you as it comes. An
//! error's body is read up to [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY)
//! bytes to classify it, then handed back with every byte.
//!
//! Build the reqwest client under it with [`reqwest_builder`](crate::reqwest_builder)
//! (or with `redirect(Policy::none())`): reqwest follows redirects inside
//! the middleware's one call, and it keeps a header of its own such as
//! `QB-Token` on a redirect to another host.
//!
//! ## When it fails
//!
//! A request fails in the middleware only when the session has no token
//! to give: its renewal failed (refused credentials, a server down for
//! longer than the session's retry policy lasts, a fixed token expired).
//! reqwest-middleware carries that as `Error::Middleware`;
//! [`MiddlewareErrorExt`] reaches the qb-auth [`Error`](qb_auth_client::Error)
//! inside (`qb_auth_error()`, `api_error()`, `is_retryable()`). Its chain
//! (`{:#}` in anyhow) says what was attempted, against which host, and
//! ends with the root cause.
//!
//! ## With reqwest-retry
//!
//! Add `reqwest-retry`'s `RetryTransientMiddleware` *before*
//! `TokenMiddleware`, so that it is the outer one and every attempt it
//! makes goes through `TokenMiddleware` and takes the token valid at that
//! moment (`tests/tests/middleware_reqwest.rs` runs this stack):
//!
//! ```text
//! let http = reqwest_middleware::ClientBuilder::new(qb_auth_reqwest::reqwest_builder()?.build()?)
//!     .with(RetryTransientMiddleware::new_with_policy(ExponentialBackoff::builder().build_with_max_retries(3)))
//!     .with(TokenMiddleware::new(session))
//!     .build();
//! ```
//!
//! Each retries its own failures, so nothing is retried twice over:
//! reqwest-retry retries your request after a transient answer (5xx, 408,
//! 429) or a failed connection; `TokenMiddleware` renews the token (with
//! the session's [`Policy`](qb_auth_core::lifecycle::Policy): backoff,
//! `Retry-After`, never refused credentials) and sends your request once
//! more after "Required session does not exist". A renewal that failed
//! reaches reqwest-retry as a middleware error, which it does not retry:
//! the session already did.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use http::Extensions;
use qb_auth_client::{Answered, Async, RequestToken, Transport};
use reqwest::ResponseBuilderExt;
use reqwest_middleware::{Middleware, Next};

use crate::Reqwest;
pub use crate::middleware_error::MiddlewareErrorExt;
use crate::middleware_error::no_token;

/// Puts a managed session's token on the requests for its API host; add it
/// to a [`reqwest_middleware::ClientBuilder`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
/// # let api = emulator.base_url().to_owned();
/// use qb_auth_reqwest::qb_auth_core::{AppCredentials, Endpoint, SecretString};
/// use qb_auth_reqwest::{Client, SessionSource, TokenMiddleware};
///
/// let client = Client::builder().endpoint(Endpoint::parse(&api)?).build()?;
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let session = client.managed(SessionSource::application(app)).build()?;
///
/// // No redirects: one could take the token to another host.
/// let http = reqwest_middleware::ClientBuilder::new(qb_auth_reqwest::reqwest_builder()?.build()?)
///     .with(TokenMiddleware::new(session))
///     .build();
/// let users = http.get(format!("{api}/users.json")).send().await?;
/// assert_eq!(users.status(), 200);
/// # Ok(())
/// # }
/// ```
pub struct TokenMiddleware<T: Transport = Reqwest> {
    session: qb_auth_client::ManagedSession<Async<T>>,
}

impl<T: Transport> TokenMiddleware<T> {
    /// A middleware that authorizes with `session`'s token (shared with
    /// every other user of that session).
    pub fn new(session: qb_auth_client::ManagedSession<Async<T>>) -> Self {
        Self { session }
    }

    /// Whether `url` is for the session's API host.
    fn is_api_url(&self, url: &reqwest::Url) -> bool {
        url.host_str()
            .is_some_and(|host| self.session.is_api_origin(url.scheme(), host, url.port()))
    }

    /// Sends `request` with a token and judges the answer; after
    /// "Required session does not exist", sends `again` (the request as it
    /// was before the token went in) once more with a new token.
    ///
    /// A loop in one future that holds the request and its copy once each,
    /// so that it stays under a kilobyte, the most the allocator hands out
    /// from its fast path. It is a function returning an `async move` block
    /// because an `async fn` keeps a second copy of each argument; with
    /// that copy, the second send written out, and `async_trait`'s future
    /// around it, the request was held four times in two kilobytes, and
    /// allocating and moving them was a third of what the middleware cost
    /// (`cargo xtask bench`).
    #[allow(clippy::manual_async_fn)] // On purpose: see above.
    fn exchange<'a>(
        &'a self,
        mut request: reqwest::Request,
        mut again: Option<Replay>,
        extensions: &'a mut Extensions,
        next: Next<'a>,
    ) -> impl Future<Output = reqwest_middleware::Result<reqwest::Response>> + Send + 'a {
        async move {
            loop {
                let used = self.session.request_token().await.map_err(no_token)?;
                used.authorize(request.headers_mut()).map_err(no_token)?;
                let answer = next.clone().run(request, extensions).await?;
                let status = answer.status();
                let (answer, verdict) = if RequestToken::needs_body(status) {
                    // Boxed: only error answers are read.
                    Box::pin(self.judge_error(&used, answer)).await
                } else {
                    let verdict = self.session.answered(&used, status, answer.headers(), &[]);
                    (answer, verdict)
                };
                request = match (verdict, again.take()) {
                    // Sent again only to the API host: a redirect the user's
                    // client followed elsewhere is not repeated.
                    (Answered::SessionRejected, Some(copy)) if self.is_api_url(answer.url()) => {
                        copy.into_request(answer.url())
                    }
                    _ => return Ok(answer),
                };
            }
        }
    }

    /// Tells the session what an error answer means, reading its body
    /// (bounded), and puts the body back.
    async fn judge_error(
        &self,
        used: &RequestToken,
        answer: reqwest::Response,
    ) -> (reqwest::Response, Answered) {
        let url = answer.url().clone();
        let (answer, verdict) = self
            .session
            .judge_answer(used, http::Response::<reqwest::Body>::from(answer))
            .await;
        let (mut parts, body) = answer.into_parts();
        // reqwest keeps the answer's URL in an extension it alone can build.
        if let Ok(carrier) = http::Response::builder().url(url).body(()) {
            parts.extensions.extend(carrier.into_parts().0.extensions);
        }
        let body = reqwest::Body::wrap(body);
        (http::Response::from_parts(parts, body).into(), verdict)
    }
}

impl<T: Transport> Clone for TokenMiddleware<T> {
    fn clone(&self) -> Self {
        Self {
            session: self.session.clone(),
        }
    }
}

impl<T: Transport> fmt::Debug for TokenMiddleware<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenMiddleware")
            .field("session", &self.session)
            .finish()
    }
}

/// What sending a request again takes, kept before it is sent (reqwest
/// consumes the request).
enum Replay {
    /// A whole copy: a body reqwest can share (`try_clone`). Boxed, so
    /// that the bodiless kind, the common one, is all every request's
    /// future makes room for.
    Copy(Box<reqwest::Request>),
    /// A request without a body: all but its URL, which the answer gives
    /// back, so nothing is allocated for it. (`try_clone` would also set
    /// the per-request timeout when there is none, three allocations.)
    Bodiless {
        method: reqwest::Method,
        headers: http::HeaderMap,
        version: http::Version,
        timeout: Option<std::time::Duration>,
    },
}

impl Replay {
    /// What it takes to send `request` again, if it can be: not a stream.
    fn of(request: &reqwest::Request) -> Option<Self> {
        if request.body().is_some() {
            return request.try_clone().map(|copy| Self::Copy(Box::new(copy)));
        }
        Some(Self::Bodiless {
            method: request.method().clone(),
            headers: request.headers().clone(),
            version: request.version(),
            timeout: request.timeout().copied(),
        })
    }

    /// The request again; `url` is where its answer came from.
    fn into_request(self, url: &reqwest::Url) -> reqwest::Request {
        match self {
            Self::Copy(request) => *request,
            Self::Bodiless {
                method,
                headers,
                version,
                timeout,
            } => {
                let mut request = reqwest::Request::new(method, url.clone());
                *request.headers_mut() = headers;
                *request.version_mut() = version;
                *request.timeout_mut() = timeout;
                request
            }
        }
    }
}

// Written out rather than with `#[async_trait]` (the signature is the one
// it makes), whose boxed future would hold the request once more around
// `exchange`'s (see there).
impl<T: Transport> Middleware for TokenMiddleware<T> {
    fn handle<'s, 'e, 'n, 'f>(
        &'s self,
        request: reqwest::Request,
        extensions: &'e mut Extensions,
        next: Next<'n>,
    ) -> Pin<Box<dyn Future<Output = reqwest_middleware::Result<reqwest::Response>> + Send + 'f>>
    where
        's: 'f,
        'e: 'f,
        'n: 'f,
        Self: 'f,
    {
        if !self.is_api_url(request.url()) {
            return next.run(request, extensions);
        }
        // Before the token goes in: the copy gets the token of its own send.
        let again = Replay::of(&request);
        Box::pin(self.exchange(request, again, extensions, next))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn request(body: Option<reqwest::Body>) -> reqwest::Request {
        let url = "http://127.0.0.1:1/users.json?page=2".parse().unwrap();
        let mut request = reqwest::Request::new(reqwest::Method::PUT, url);
        request.headers_mut().insert("x-mine", "1".parse().unwrap());
        *request.timeout_mut() = Some(Duration::from_secs(7));
        *request.version_mut() = http::Version::HTTP_11;
        *request.body_mut() = body;
        request
    }

    #[test]
    fn a_copy_keeps_everything_but_a_stream() {
        for body in [None, Some(reqwest::Body::from("a=1"))] {
            let original = request(body);
            let copy = Replay::of(&original)
                .expect("a copy")
                .into_request(original.url());
            assert_eq!(copy.method(), original.method());
            assert_eq!(copy.url(), original.url());
            assert_eq!(copy.headers(), original.headers());
            assert_eq!(copy.version(), original.version());
            assert_eq!(copy.timeout(), Some(&Duration::from_secs(7)));
            assert_eq!(
                copy.body().and_then(reqwest::Body::as_bytes),
                original.body().and_then(reqwest::Body::as_bytes)
            );
        }
        let stream = request(Some(reqwest::Body::wrap(String::from("a=1"))));
        assert!(Replay::of(&stream).is_none());
    }
}

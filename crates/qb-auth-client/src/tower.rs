//! A [`tower::Layer`] that puts a managed session's token on the requests
//! of any tower HTTP client service (hyper-util's legacy client, say) that
//! go to the client's API host, renews after "Required session does not
//! exist", and sends such a request once more when its body can be sent
//! again.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tower::BoxError> {
//! # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
//! use http_body_util::{BodyExt, Empty};
//! use hyper_util::client::legacy::Client as HyperClient;
//! use hyper_util::rt::TokioExecutor;
//! use qb_auth_client::tower::TokenLayer;
//! use qb_auth_core::{AppCredentials, Endpoint, SecretString};
//! use qb_auth_reqwest::{Client, SessionSource};
//! use tower::{Layer, Service};
//!
//! let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
//! let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
//! let session = client.managed(SessionSource::application(app)).build()?;
//!
//! let hyper = HyperClient::builder(TokioExecutor::new()).build_http::<Empty<bytes::Bytes>>();
//! let mut service = TokenLayer::new(session).layer(hyper);
//! let users = http::Request::get(format!("{}/users.json", emulator.base_url())).body(Empty::new())?;
//! std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
//! let answer = service.call(users).await?;
//! assert_eq!(answer.status(), 200);
//! let _users = answer.into_body().collect().await?.to_bytes();
//! # Ok(())
//! # }
//! ```
//!
//! ## Redirects
//!
//! A redirect-following layer (tower-http's `FollowRedirect`) goes
//! *outside* `TokenLayer`, so that every hop passes through it and gets
//! the token only if it is for the API host. Inside it, the hops would
//! carry the first request's `QB-Token` wherever the redirect points.
//!
//! ## Which requests are sent again
//!
//! A request whose answer was "Required session does not exist" is sent
//! once more, with the new token, when its body type says it can be
//! ([`ReplayBody`]): [`Full`], [`Empty`] and `String` can; a [`BoxBody`]
//! or a stream cannot,
//! and then the answer comes back as it is while the session still renews
//! for the next request. The copy to send again is taken before the first
//! send (method, URI, headers, extensions and the body's clone), so a
//! request with a replayable body costs that copy.
//!
//! ## Answers
//!
//! A success's body is never read: it streams to you as it comes. An
//! error's body is read up to [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY)
//! bytes to tell an expired token from other errors, and handed back
//! intact ([`AnswerBody`]). Requests for other hosts (and relative URIs)
//! pass through untouched, without a token, and their answers are not
//! read.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::Body;
use http_body_util::combinators::{BoxBody, UnsyncBoxBody};
use http_body_util::{Either, Empty, Full};

pub use ::tower::BoxError;

use crate::answer_body::AnswerBody;
use crate::managed::{Answered, ManagedSession, RequestToken};
use crate::mode::Async;
use crate::transport::Transport;

/// A request body that may be able to give a second copy of itself, for
/// one more send after the session was renewed.
pub trait ReplayBody: Sized {
    /// A copy to send again, or `None` if this body can be sent only once
    /// (a stream).
    fn try_replay(&self) -> Option<Self>;
}

impl<D: Clone> ReplayBody for Full<D> {
    fn try_replay(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<D> ReplayBody for Empty<D> {
    fn try_replay(&self) -> Option<Self> {
        Some(Self::new())
    }
}

impl ReplayBody for String {
    fn try_replay(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<D, E> ReplayBody for BoxBody<D, E> {
    fn try_replay(&self) -> Option<Self> {
        None
    }
}

impl<D, E> ReplayBody for UnsyncBoxBody<D, E> {
    fn try_replay(&self) -> Option<Self> {
        None
    }
}

impl<L: ReplayBody, R: ReplayBody> ReplayBody for Either<L, R> {
    fn try_replay(&self) -> Option<Self> {
        match self {
            Self::Left(body) => body.try_replay().map(Self::Left),
            Self::Right(body) => body.try_replay().map(Self::Right),
        }
    }
}

/// Wraps a tower HTTP client service in a [`TokenService`] that puts the
/// session's token on requests for its API host.
pub struct TokenLayer<T: Transport> {
    session: ManagedSession<Async<T>>,
}

impl<T: Transport> TokenLayer<T> {
    /// A layer that authorizes with `session`'s token (shared with every
    /// other user of that session: one renewal for all).
    pub fn new(session: ManagedSession<Async<T>>) -> Self {
        Self { session }
    }
}

impl<T: Transport> Clone for TokenLayer<T> {
    fn clone(&self) -> Self {
        Self {
            session: self.session.clone(),
        }
    }
}

impl<T: Transport> fmt::Debug for TokenLayer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenLayer")
            .field("session", &self.session)
            .finish()
    }
}

impl<S, T: Transport> ::tower::Layer<S> for TokenLayer<T> {
    type Service = TokenService<S, T>;

    fn layer(&self, inner: S) -> Self::Service {
        TokenService {
            inner,
            session: self.session.clone(),
        }
    }
}

/// A tower HTTP client service with a managed session's token on the
/// requests for its API host; from [`TokenLayer`].
pub struct TokenService<S, T: Transport> {
    inner: S,
    session: ManagedSession<Async<T>>,
}

impl<S: Clone, T: Transport> Clone for TokenService<S, T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            session: self.session.clone(),
        }
    }
}

impl<S, T: Transport> fmt::Debug for TokenService<S, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inner service is left out: it may hold anything.
        f.debug_struct("TokenService")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// The future of [`TokenService`].
pub type TokenFuture<B> =
    Pin<Box<dyn Future<Output = Result<http::Response<AnswerBody<B>>, BoxError>> + Send>>;

impl<S, T, ReqB, ResB> ::tower::Service<http::Request<ReqB>> for TokenService<S, T>
where
    S: ::tower::Service<http::Request<ReqB>, Response = http::Response<ResB>>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    S::Error: Into<BoxError>,
    T: Transport,
    ReqB: ReplayBody + Send + 'static,
    ResB: Body + Unpin + Send + 'static,
    ResB::Data: AsRef<[u8]> + Send,
    ResB::Error: Send,
{
    type Response = http::Response<AnswerBody<ResB>>;
    type Error = BoxError;
    type Future = TokenFuture<ResB>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut request: http::Request<ReqB>) -> Self::Future {
        // The service made ready is the one that sends; its clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let session = self.session.clone();
        Box::pin(async move {
            if !session.is_api_uri(request.uri()) {
                let answer = inner.call(request).await.map_err(Into::into)?;
                return Ok(answer.map(AnswerBody::new));
            }
            let mut again = replay_of(&request);
            // At most twice round: the second time with a new token after
            // "Required session does not exist", if the body can be sent
            // again. A loop rather than a second send written out keeps one
            // request, its copy and one send's state in the future, which
            // stays under a kilobyte (the allocator's fast path) where it
            // took one and a half (`cargo xtask bench`).
            loop {
                let used = session.request_token().await?;
                used.authorize(request.headers_mut())?;
                let answer = inner.call(request).await.map_err(Into::into)?;
                let status = answer.status();
                let (answer, verdict) = if RequestToken::needs_body(status) {
                    // Boxed: only error answers are read.
                    Box::pin(session.judge_answer(&used, answer)).await
                } else {
                    let verdict = session.answered(&used, status, answer.headers(), &[]);
                    (answer.map(AnswerBody::new), verdict)
                };
                request = match (verdict, again.take()) {
                    (Answered::SessionRejected, Some(copy)) => copy,
                    _ => return Ok(answer),
                };
                drop(answer);
                std::future::poll_fn(|cx| inner.poll_ready(cx))
                    .await
                    .map_err(Into::into)?;
            }
        })
    }
}

/// A copy of `request` (without the token, which is added per send), if
/// its body can be sent again.
fn replay_of<B: ReplayBody>(request: &http::Request<B>) -> Option<http::Request<B>> {
    let mut copy = http::Request::new(request.body().try_replay()?);
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

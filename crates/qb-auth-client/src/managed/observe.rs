//! What a middleware needs from a managed session to put its token on
//! requests sent by another HTTP client (reqwest-middleware, a tower
//! service): is this request for the API host, a token for it, and what
//! its answer means. The session's own `send` takes the same path.

use std::fmt;
use std::time::SystemTime;

use http::{HeaderMap, StatusCode, Uri};
use qb_auth_core::SessionToken;
use qb_auth_core::request::authorize_headers;

use super::ManagedSession;
use crate::Error;
use crate::mode::Mode;

/// The most of an error answer's body a middleware reads to tell "Required
/// session does not exist" from other errors. QuickBlox's error bodies are
/// a few hundred bytes; a longer body is handed back unread past this and
/// is not taken for a rejected token.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// A token taken for one request sent by an HTTP client of your own, and
/// when it was taken: attach it with [`authorize`](Self::authorize), then
/// report the answer with [`ManagedSession::answered`].
///
/// Its `Debug` shows no token.
#[derive(Clone)]
pub struct RequestToken {
    token: SessionToken,
    taken_at: SystemTime,
}

impl RequestToken {
    /// The token.
    pub fn token(&self) -> &SessionToken {
        &self.token
    }

    /// Puts the token in `headers` as `QB-Token` (marked sensitive), and
    /// removes `Authorization` and `On-Behalf-Of`, which QuickBlox would
    /// take instead.
    ///
    /// # Errors
    ///
    /// [`Error::Build`] for a token that cannot be a header value.
    pub fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        Ok(authorize_headers(headers, &self.token)?)
    }

    /// Whether an answer with `status` needs its body read for
    /// [`ManagedSession::answered`]: only errors do (up to
    /// [`MAX_ERROR_BODY`]); a success is judged by its headers, so its body
    /// can stream on untouched.
    pub fn needs_body(status: StatusCode) -> bool {
        !status.is_success()
    }
}

impl fmt::Debug for RequestToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestToken")
            .field("token", &self.token)
            .field("taken_at", &self.taken_at)
            .finish()
    }
}

/// What an answer to a request made with a [`RequestToken`] meant for the
/// session; from [`ManagedSession::answered`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Answered {
    /// A success: the session's expiry slid.
    Accepted,
    /// "Required session does not exist": the token is dead and the next
    /// token is a new one (one renewal, however many callers ask). Send the
    /// request once more if its body can be sent again.
    SessionRejected,
    /// Another error: nothing changed for the session.
    Other,
}

impl<M: Mode> ManagedSession<M> {
    /// Whether `uri` is for the client's API host (scheme, host and port):
    /// the only requests a token may go to.
    pub fn is_api_uri(&self, uri: &Uri) -> bool {
        self.shared.client.settings.origin.matches_uri(uri)
    }

    /// [`is_api_uri`](Self::is_api_uri) for a URL already taken apart (a
    /// `url::Url`'s `scheme()`, `host_str()` and `port()`); `port` is the
    /// scheme's default when `None`. Compared in place, without allocating.
    pub fn is_api_origin(&self, scheme: &str, host: &str, port: Option<u16>) -> bool {
        self.shared
            .client
            .settings
            .origin
            .matches(scheme, host, port)
    }

    /// Tells the session what the answer to a request made with `used`
    /// was: a success slides its expiry; "Required session does not exist"
    /// marks the token dead so that the next token is a new one. `body` is
    /// the answer's body when [`RequestToken::needs_body`] says so (or as
    /// much of it as [`MAX_ERROR_BODY`] allows), else empty.
    ///
    /// Report only answers from the API host ([`is_api_uri`](Self::is_api_uri)).
    pub fn answered(
        &self,
        used: &RequestToken,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Answered {
        let lifecycle = &self.shared.lifecycle;
        if status.is_success() {
            lifecycle.accepted(&used.token, used.taken_at, headers);
            return Answered::Accepted;
        }
        // An error: the core classifies it from the whole answer (a copy of
        // the headers here, off the success path).
        let mut answer = http::Response::new(body);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers.clone();
        if lifecycle.answered(&used.token, used.taken_at, SystemTime::now(), &answer) {
            Answered::SessionRejected
        } else {
            Answered::Other
        }
    }
}

#[cfg(feature = "async")]
impl<T: crate::Transport> ManagedSession<crate::Async<T>> {
    /// A valid token for one request sent by an HTTP client of your own
    /// (renewing first if needed, once however many tasks ask), to attach
    /// with [`RequestToken::authorize`] and report with
    /// [`answered`](Self::answered). The reqwest middleware and the tower
    /// layer are built on this.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_client::Answered;
    /// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// use qb_auth_reqwest::{Client, SessionSource};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    ///
    /// // Any HTTP client: here the client's own `send`, which adds no token.
    /// let mut request = http::Request::get(format!("{}/users.json", emulator.base_url())).body(())?;
    /// let used = session.request_token().await?;
    /// used.authorize(request.headers_mut())?;
    /// let answer = session.client().send(request).await?;
    /// let verdict = session.answered(&used, answer.status(), answer.headers(), answer.body());
    /// assert_eq!(verdict, Answered::Accepted);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn request_token(&self) -> Result<RequestToken, Error> {
        let (token, taken_at) = self.valid_token_at().await?;
        Ok(RequestToken { token, taken_at })
    }
}

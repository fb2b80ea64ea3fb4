//! What a [`reqwest_middleware::Error`] says about the session behind
//! [`TokenMiddleware`](crate::TokenMiddleware), without downcasting by hand.

use std::fmt;

use qb_auth_client::Error;
use qb_auth_core::ApiError;

/// How `TokenMiddleware` fails a request: the session's error as this
/// error's source, so that it is found in the chain however many
/// middlewares wrap it (transparent wrappers forward only the source).
pub(crate) fn no_token(error: Error) -> reqwest_middleware::Error {
    reqwest_middleware::Error::middleware(NoToken(error))
}

#[derive(Debug)]
struct NoToken(Error);

impl fmt::Display for NoToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the managed session had no token for this request")
    }
}

impl std::error::Error for NoToken {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// Reads a [`reqwest_middleware::Error`] for what the session said.
///
/// The middleware fails a request when the session has no token to give
/// (its renewal failed: the credentials were refused, the server is down,
/// a fixed token expired). reqwest-middleware carries that error as
/// `Error::Middleware(anyhow::Error)`; this reaches the qb-auth
/// [`Error`] inside, and answers the usual questions for reqwest's own
/// errors too.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
/// # let api = emulator.base_url().to_owned();
/// use qb_auth_reqwest::middleware::MiddlewareErrorExt;
/// use qb_auth_reqwest::qb_auth_core::{AppCredentials, Endpoint, ErrorKind, SecretString};
/// use qb_auth_reqwest::{Client, SessionSource, TokenMiddleware};
///
/// let client = Client::builder().endpoint(Endpoint::parse(&api)?).build()?;
/// let wrong = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("not-the-secret"))?;
/// let session = client.managed(SessionSource::application(wrong)).build()?;
/// let http = reqwest_middleware::ClientBuilder::new(qb_auth_reqwest::reqwest_builder()?.build()?)
///     .with(TokenMiddleware::new(session))
///     .build();
///
/// let err = http.get(format!("{api}/users.json")).send().await.unwrap_err();
/// assert!(err.qb_auth_error().is_some());
/// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::UnexpectedSignature));
/// assert!(!err.is_retryable(), "a refused secret is not fixed by sending again");
/// # Ok(())
/// # }
/// ```
pub trait MiddlewareErrorExt {
    /// The qb-auth error the middleware failed the request with, if it did
    /// (not reqwest's own, nor another middleware's).
    fn qb_auth_error(&self) -> Option<&Error>;

    /// The QuickBlox answer behind it (a refused signature or password, a
    /// 5xx that outlasted the retries), if there is one.
    fn api_error(&self) -> Option<&ApiError>;

    /// Whether sending the request again later may succeed: the session's
    /// verdict ([`Error::is_retryable`]) for its errors, and for reqwest's
    /// own a timeout or a failed connection.
    fn is_retryable(&self) -> bool;
}

impl MiddlewareErrorExt for reqwest_middleware::Error {
    fn qb_auth_error(&self) -> Option<&Error> {
        match self {
            // Anywhere in the chain: reqwest-retry, for one, wraps it.
            Self::Middleware(error) => error.chain().find_map(|e| e.downcast_ref::<Error>()),
            Self::Reqwest(_) => None,
        }
    }

    fn api_error(&self) -> Option<&ApiError> {
        self.qb_auth_error().and_then(Error::api_error)
    }

    fn is_retryable(&self) -> bool {
        match self {
            Self::Middleware(_) => self.qb_auth_error().is_some_and(Error::is_retryable),
            Self::Reqwest(error) => error.is_timeout() || error.is_connect(),
        }
    }
}

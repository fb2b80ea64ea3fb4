//! Each QuickBlox call as a value: which [`Operation`] it is, how its
//! request is built, how its answer is read, and after which failures it
//! may be sent again ([`Resend`]).
//!
//! A client sends every [`ApiCall`] through one path: it builds the
//! request against a [`Target`] (the endpoint, the body format and hash,
//! and for a signed call a fresh timestamp and nonce per attempt), sends
//! it, reads the answer with the call, and retries as the call's
//! [`Resend`] and the client's policy allow (see
//! [`CallRetry`](crate::lifecycle::CallRetry)). The authentication calls
//! are here; an endpoint of your own is one more implementation:
//!
//! ```
//! use qb_auth_core::call::{ApiCall, Target};
//! use qb_auth_core::{authorize, parse_user, ApiError, BuildError, Endpoint, HttpRequest,
//!     Operation, SessionToken, User};
//!
//! /// `GET /users/{id}.json`.
//! struct GetUser<'a> {
//!     token: &'a SessionToken,
//!     id: u64,
//! }
//!
//! impl ApiCall for GetUser<'_> {
//!     type Output = User;
//!
//!     fn operation(&self) -> Operation {
//!         Operation::Other
//!     }
//!
//!     fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
//!         let mut request = target.request(http::Method::GET, &format!("/users/{}.json", self.id))?;
//!         authorize(&mut request, self.token)?;
//!         Ok(request)
//!     }
//!
//!     fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<User, ApiError> {
//!         parse_user(answer, self.operation())
//!     }
//! }
//!
//! let endpoint = Endpoint::default();
//! let token = SessionToken::new("c56f382b402fb482086db956064592d3cd012bba");
//! let request = GetUser { token: &token, id: 1001 }.request(&Target::new(&endpoint))?;
//! assert_eq!(request.uri(), "https://api.quickblox.com/users/1001.json");
//! assert!(request.headers()["qb-token"].is_sensitive());
//! # Ok::<(), BuildError>(())
//! ```

mod auth;
pub(crate) mod context;
pub(crate) mod operation;
mod target;

pub use auth::{
    AccountSettingsCall, CreateSessionCall, DestroySessionCall, GetSessionCall, LoginCall,
    LogoutCall,
};
pub use context::CallContext;
pub use operation::Operation;
pub use target::Target;

use crate::credentials::IdentityKind;
use crate::error::BuildError;
use crate::request::HttpRequest;
use crate::response::ApiError;

/// One call of the QuickBlox API: what a client needs to send it, read its
/// answer and decide whether to send it again.
///
/// Only [`operation`](Self::operation), [`request`](Self::request) and
/// [`read`](Self::read) must be written; the rest have the defaults of a
/// read (sent again after any failure that may pass, unsigned). See the
/// [module documentation](self) for an implementation.
pub trait ApiCall {
    /// What a successful answer reads as.
    type Output;

    /// Which operation this is: it names the call in errors and traces,
    /// and says what a status means (a 401 from creating a user session is
    /// a wrong password; elsewhere, a missing session).
    fn operation(&self) -> Operation;

    /// After which failures the call may be sent again:
    /// [`Resend::IfRetryable`] unless a second run could act twice.
    fn resend(&self) -> Resend {
        Resend::IfRetryable
    }

    /// The kind of identity the call acts for, for traces.
    fn identity(&self) -> Option<IdentityKind> {
        None
    }

    /// Whether the request is signed: the client then gives each attempt a
    /// fresh timestamp (corrected by the measured clock offset) and nonce
    /// in its [`Target`].
    fn is_signed(&self) -> bool {
        false
    }

    /// The request for one attempt.
    ///
    /// # Errors
    ///
    /// [`BuildError`] when the request cannot be built (a value that
    /// cannot go in a header, a signed call without a signing input).
    fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError>;

    /// Reads the answer: the output, or the classified error the answer
    /// carries (any status; a body that is not what the call expects is
    /// an error that keeps the status and the raw body).
    ///
    /// # Errors
    ///
    /// [`ApiError`] for an error answer or a malformed one.
    fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<Self::Output, ApiError>;
}

impl<C: ApiCall + ?Sized> ApiCall for &C {
    type Output = C::Output;

    fn operation(&self) -> Operation {
        (**self).operation()
    }

    fn resend(&self) -> Resend {
        (**self).resend()
    }

    fn identity(&self) -> Option<IdentityKind> {
        (**self).identity()
    }

    fn is_signed(&self) -> bool {
        (**self).is_signed()
    }

    fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
        (**self).request(target)
    }

    fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<Self::Output, ApiError> {
        (**self).read(answer)
    }
}

/// Which failures a call may be sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Resend {
    /// Any failure that may pass (429, 5xx, a lost connection, a timeout,
    /// "Bad timestamp"): the call is safe to run twice (reads, and
    /// create-session, whose nonce makes each attempt a new request).
    IfRetryable,
    /// Only failures where the request provably never reached the server
    /// ([`TransportErrorKind::never_sent`](crate::TransportErrorKind::never_sent)):
    /// for logout and destroy, whose second run would act on a session
    /// that the first may already have changed.
    IfNeverSent,
    /// Never: a request the caller signed with a timestamp and nonce of its
    /// own, to reproduce it exactly, is sent once.
    Never,
}

//! The authentication calls: sessions, logins and account settings.

use crate::credentials::{AppCredentials, Identity, IdentityKind};
use crate::error::{BuildError, BuildErrorKind};
use crate::nonce::SigningInput;
use crate::request::{self, CreateSession, HttpRequest};
use crate::response::{
    AccountSettings, ApiError, Session, User, check_status, parse_account_settings, parse_session,
    parse_user,
};
use crate::secret::SessionToken;

use super::{ApiCall, Operation, Resend, Target};

/// `POST /session.json`: an application session, or a user session for
/// `identity`, signed anew for every attempt.
///
/// ```
/// use qb_auth_core::call::{ApiCall, CreateSessionCall, Target};
/// use qb_auth_core::{AppCredentials, Endpoint, Identity, Nonce, Operation, SecretString,
///     SigningInput};
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// let call = CreateSessionCall::new(&app, &alice);
/// assert_eq!(call.operation(), Operation::CreateUserSession);
/// assert!(call.is_signed());
///
/// let endpoint = Endpoint::default();
/// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
/// let request = call.request(&Target::new(&endpoint).signing(input))?;
/// assert_eq!(request.uri(), "https://api.quickblox.com/session.json");
///
/// let answer = http::Response::builder().status(201).body(
///     br#"{"session":{"token":"abc","application_id":12345,"user_id":1001}}"#.to_vec(),
/// )?;
/// assert_eq!(call.read(&answer)?.user(), Some(1001));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CreateSessionCall<'a> {
    app: &'a AppCredentials,
    identity: &'a Identity,
    input: Option<SigningInput>,
}

impl<'a> CreateSessionCall<'a> {
    /// A session for `identity` ([`Identity::application`] for none) in
    /// `app`, signed with the timestamp and nonce of each attempt.
    pub fn new(app: &'a AppCredentials, identity: &'a Identity) -> Self {
        Self {
            app,
            identity,
            input: None,
        }
    }

    /// The same, signed with `input` (to reproduce a request exactly): sent
    /// once, never again ([`Resend::Never`]).
    pub fn with_input(
        app: &'a AppCredentials,
        identity: &'a Identity,
        input: SigningInput,
    ) -> Self {
        Self {
            input: Some(input),
            ..Self::new(app, identity)
        }
    }

    /// The signed request of one attempt, with its string to sign and
    /// signature (for a dry run, or to pin an "Unexpected signature").
    ///
    /// # Errors
    ///
    /// [`BuildError`] when no signing input is given, here or in `target`,
    /// or the request cannot be built.
    pub fn signed(&self, target: &Target<'_>) -> Result<request::SignedRequest, BuildError> {
        let input = self.input.or(target.signing_input()).ok_or_else(|| {
            BuildError::new(BuildErrorKind::Empty(
                "timestamp and nonce of a signed call",
            ))
        })?;
        CreateSession::new(self.app, self.identity, input)
            .body_format(target.format())
            .hash(target.hash_algorithm())
            .build(target.endpoint())
    }
}

impl ApiCall for CreateSessionCall<'_> {
    type Output = Session;

    fn operation(&self) -> Operation {
        if self.identity.is_user() {
            Operation::CreateUserSession
        } else {
            Operation::CreateApplicationSession
        }
    }

    fn resend(&self) -> Resend {
        match self.input {
            Some(_) => Resend::Never,
            None => Resend::IfRetryable,
        }
    }

    fn identity(&self) -> Option<IdentityKind> {
        Some(self.identity.kind())
    }

    fn is_signed(&self) -> bool {
        self.input.is_none()
    }

    fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
        Ok(self.signed(target)?.into_request())
    }

    fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<Session, ApiError> {
        parse_session(answer, self.operation())
    }
}

/// Declares a call made with a session token: its struct, constructor and
/// [`ApiCall`] implementation.
macro_rules! token_call {
    (
        $(#[$doc:meta])*
        $name:ident -> $output:ty, $operation:ident, $resend:ident,
        request: $request:path,
        read: $read:expr
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $name<'a> {
            token: &'a SessionToken,
        }

        impl<'a> $name<'a> {
            /// The call for the session of `token`.
            pub fn new(token: &'a SessionToken) -> Self {
                Self { token }
            }
        }

        impl ApiCall for $name<'_> {
            type Output = $output;

            fn operation(&self) -> Operation {
                Operation::$operation
            }

            fn resend(&self) -> Resend {
                Resend::$resend
            }

            fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
                $request(target.endpoint(), self.token)
            }

            fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<$output, ApiError> {
                let read: fn(&http::Response<Vec<u8>>, Operation) -> Result<$output, ApiError> =
                    $read;
                read(answer, Operation::$operation)
            }
        }
    };
}

token_call! {
    /// `GET /session.json`: the session a token belongs to.
    ///
    /// ```
    /// use qb_auth_core::call::{ApiCall, GetSessionCall, Target};
    /// use qb_auth_core::{Endpoint, SessionToken};
    ///
    /// let token = SessionToken::new("abc");
    /// let request = GetSessionCall::new(&token).request(&Target::new(&Endpoint::default()))?;
    /// assert_eq!(request.method(), "GET");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    GetSessionCall -> Session, GetSession, IfRetryable,
    request: request::get_session,
    read: |answer, operation| parse_session(answer, operation)
}

token_call! {
    /// `DELETE /session.json`: the token stops working. Sent again only
    /// when it never reached the server: a second run could act on a
    /// session the first already ended.
    DestroySessionCall -> (), DestroySession, IfNeverSent,
    request: request::destroy_session,
    read: |answer, operation| check_status(answer, operation)
}

token_call! {
    /// `DELETE /login.json`: the user is logged out and the token stays
    /// valid as an application token. Sent again only when it never
    /// reached the server.
    LogoutCall -> (), Logout, IfNeverSent,
    request: request::logout,
    read: |answer, operation| check_status(answer, operation)
}

/// `POST /login.json`: logs `identity` into the session of `token`, which
/// becomes a user token. Sent again after any failure that may pass:
/// logging the same user in twice leaves the token as once did.
///
/// ```
/// use qb_auth_core::call::{ApiCall, LoginCall, Target};
/// use qb_auth_core::{Endpoint, Identity, SessionToken};
///
/// let token = SessionToken::new("abc");
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// let request = LoginCall::new(&token, &alice).request(&Target::new(&Endpoint::default()))?;
/// assert_eq!(request.uri(), "https://api.quickblox.com/login.json");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct LoginCall<'a> {
    token: &'a SessionToken,
    identity: &'a Identity,
}

impl<'a> LoginCall<'a> {
    /// Logs `identity` in on `token`.
    pub fn new(token: &'a SessionToken, identity: &'a Identity) -> Self {
        Self { token, identity }
    }
}

impl ApiCall for LoginCall<'_> {
    type Output = User;

    fn operation(&self) -> Operation {
        Operation::Login
    }

    fn identity(&self) -> Option<IdentityKind> {
        Some(self.identity.kind())
    }

    fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
        request::login(
            target.endpoint(),
            self.token,
            self.identity,
            target.format(),
        )
    }

    fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<User, ApiError> {
        parse_user(answer, Operation::Login)
    }
}

/// `GET /account_settings.json`: the API and chat hosts of the account
/// with an account key.
///
/// ```
/// use qb_auth_core::call::{AccountSettingsCall, ApiCall, Target};
/// use qb_auth_core::Endpoint;
///
/// let call = AccountSettingsCall::new("ak-123");
/// let request = call.request(&Target::new(&Endpoint::default()))?;
/// assert_eq!(request.uri(), "https://api.quickblox.com/account_settings.json");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct AccountSettingsCall<'a> {
    account_key: &'a str,
}

impl<'a> AccountSettingsCall<'a> {
    /// The settings of the account with `account_key`.
    pub fn new(account_key: &'a str) -> Self {
        Self { account_key }
    }
}

impl ApiCall for AccountSettingsCall<'_> {
    type Output = AccountSettings;

    fn operation(&self) -> Operation {
        Operation::AccountSettings
    }

    fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
        request::account_settings(target.endpoint(), self.account_key)
    }

    fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<AccountSettings, ApiError> {
        parse_account_settings(answer)
    }
}

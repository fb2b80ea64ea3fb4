//! One operation as data: the request the core built, the operation it
//! belongs to, and how its answer is read. An adapter's only part is to
//! send the request (its `execute`, async or blocking) and hand the answer
//! back:
//!
//! ```text
//! let span = call.span();
//! let attempt = call.attempt();
//! let (request, reader) = call.into_request();
//! in span: reader.read(exchange(request, attempt))
//! ```

use std::fmt;
use std::time::SystemTime;

use tracing::Span;

use crate::lifecycle::{AttemptError, NewSession, RenewalTicket, SessionCredentials};
use crate::{
    AccountSettings, ApiKey, AppCredentials, BuildError, CreateSession, HttpRequest, Identity,
    IdentityKind, Operation, Session, SessionToken, SigningInput, User, authorize_api_key,
    check_status, parse_account_settings, parse_session, parse_user,
};

use super::{ClientSettings, Error, TransportError, trace};

/// An answer as an adapter hands it back: the whole body, whatever the status.
///
/// ```
/// use qb_auth_core::adapter::Answer;
/// use qb_auth_core::{check_status, ErrorKind, Operation};
///
/// let answer: Answer = http::Response::builder()
///     .status(404)
///     .body(br#"{"errors":["Not found"]}"#.to_vec())?;
/// let err = check_status(&answer, Operation::Other).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert_eq!(err.raw_body(), answer.body());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type Answer = http::Response<Vec<u8>>;

/// How a call reads its answer.
type ReadFn<T, E> = fn(Answer, Operation) -> Result<T, E>;

/// One operation ready to send: the built request, its [`Operation`] (for
/// the `qb_auth.operation` span and for reading the answer) and the parser
/// to apply.
///
/// `E` is what the call fails with: [`Error`] for a client's calls, an
/// [`AttemptError`] for a managed session's renewal.
///
/// ```
/// use qb_auth_core::adapter::{Call, ClientSettings};
/// use qb_auth_core::{Operation, SessionToken};
///
/// let settings = ClientSettings::default();
/// let call = Call::get_session(&settings, &SessionToken::new("t0k3n"))?;
/// assert_eq!(call.operation(), Operation::GetSession);
/// assert_eq!(call.attempt(), 1);
///
/// // An adapter sends the request; here, a canned answer comes back.
/// let (request, reader) = call.into_request();
/// assert_eq!(request.uri(), "https://api.quickblox.com/session.json");
/// let answer = http::Response::builder()
///     .status(200)
///     .body(br#"{"session":{"token":"t0k3n","application_id":1,"user_id":42}}"#.to_vec())?;
/// let session = reader.read(Ok(answer))?;
/// assert_eq!(session.user(), Some(42));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a call does nothing until an adapter sends its request"]
pub struct Call<T, E = Error> {
    request: HttpRequest,
    attempt: u32,
    identity: Option<IdentityKind>,
    reader: Reader<T, E>,
}

/// The second half of a [`Call`]: reads the answer to its request.
///
/// ```
/// use qb_auth_core::adapter::{Call, ClientSettings};
/// use qb_auth_core::{ErrorKind, Identity, SessionToken};
///
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// let call = Call::login(&ClientSettings::default(), &SessionToken::new("t0k3n"), &alice)?;
/// let (_request, reader) = call.into_request();
/// let refused = http::Response::builder()
///     .status(401)
///     .body(br#"{"errors":["Unauthorized"]}"#.to_vec())?;
/// let err = reader.read(Ok(refused)).unwrap_err();
/// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::InvalidCredentials));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "the answer is only checked when read"]
pub struct Reader<T, E = Error> {
    operation: Operation,
    read: ReadFn<T, E>,
}

impl<T, E> Call<T, E> {
    fn new(
        request: HttpRequest,
        operation: Operation,
        identity: Option<IdentityKind>,
        read: ReadFn<T, E>,
    ) -> Self {
        Self {
            request,
            attempt: 1,
            identity,
            reader: Reader { operation, read },
        }
    }

    /// The operation the request belongs to.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::{Operation, SessionToken};
    ///
    /// let call = Call::logout(&ClientSettings::default(), &SessionToken::new("t"))?;
    /// assert_eq!(call.operation(), Operation::Logout);
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn operation(&self) -> Operation {
        self.reader.operation
    }

    /// Which attempt this is (1, or the renewal ticket's attempt), for the
    /// `qb_auth.attempt` span.
    ///
    /// ```
    /// use qb_auth_core::adapter::Call;
    ///
    /// let call = Call::send(http::Request::get("https://api.quickblox.com/users.json").body(().into())?);
    /// assert_eq!(call.attempt(), 1);
    /// # Ok::<(), http::Error>(())
    /// ```
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The `qb_auth.operation` span to send the request and read the answer in.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::SessionToken;
    ///
    /// let call = Call::destroy_session(&ClientSettings::default(), &SessionToken::new("t"))?;
    /// let span = call.span();
    /// # let _ = span;
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn span(&self) -> Span {
        trace::operation(self.reader.operation, self.identity)
    }

    /// The request to send, and what reads its answer.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::SessionToken;
    ///
    /// let call = Call::get_session(&ClientSettings::default(), &SessionToken::new("t0k3n"))?;
    /// let (request, reader) = call.into_request();
    /// assert_eq!(request.method(), http::Method::GET);
    /// assert!(request.headers().contains_key("QB-Token"));
    /// assert_eq!(format!("{reader:?}"), "Reader { operation: GetSession, .. }");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn into_request(self) -> (HttpRequest, Reader<T, E>) {
        (self.request, self.reader)
    }
}

impl<T, E: From<TransportError>> Reader<T, E> {
    /// Reads what the exchange gave: an answer goes to the call's parser,
    /// a transport failure becomes `E`.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings, Error, TransportError, TransportErrorKind};
    /// use qb_auth_core::SessionToken;
    ///
    /// let call = Call::logout(&ClientSettings::default(), &SessionToken::new("t"))?;
    /// let (_request, reader) = call.into_request();
    /// let err = reader.read(Err(TransportError::from_kind(TransportErrorKind::Timeout))).unwrap_err();
    /// assert!(matches!(err, Error::Transport(_)));
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn read(self, answer: Result<Answer, TransportError>) -> Result<T, E> {
        (self.read)(answer?, self.operation)
    }
}

impl Call<Session> {
    /// `POST /session.json`: an application session
    /// (`Identity::application()`) or a user session, signed with `input`
    /// and the settings' endpoint, body format and hash.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::{AppCredentials, Identity, Nonce, Operation, SecretString, SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let call = Call::create_session(&ClientSettings::default(), &app, &Identity::application(), input)?;
    /// assert_eq!(call.operation(), Operation::CreateApplicationSession);
    /// let user = Identity::login("alice", "password1")?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4243)?);
    /// let call = Call::create_session(&ClientSettings::default(), &app, &user, input)?;
    /// assert_eq!(call.operation(), Operation::CreateUserSession);
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn create_session(
        settings: &ClientSettings,
        app: &AppCredentials,
        identity: &Identity,
        input: SigningInput,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            signed_create_session(settings, app, identity, input)?,
            create_operation(identity),
            Some(identity.kind()),
            |answer, operation| Ok(parse_session(&answer, operation)?),
        ))
    }

    /// `GET /session.json`: the session a token belongs to.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::{ErrorKind, SessionToken};
    ///
    /// let call = Call::get_session(&ClientSettings::default(), &SessionToken::new("t0k3n"))?;
    /// let (request, reader) = call.into_request();
    /// assert_eq!(request.uri().path(), "/session.json");
    /// let gone = http::Response::builder()
    ///     .status(401)
    ///     .body(br#"{"errors":{"base":["Required session does not exist"]}}"#.to_vec())?;
    /// let err = reader.read(Ok(gone)).unwrap_err();
    /// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::SessionExpired));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_session(
        settings: &ClientSettings,
        token: &SessionToken,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            crate::get_session(&settings.endpoint, token)?,
            Operation::GetSession,
            None,
            |answer, operation| Ok(parse_session(&answer, operation)?),
        ))
    }
}

impl Call<()> {
    /// `DELETE /session.json`: ends the session.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::SessionToken;
    ///
    /// let call = Call::destroy_session(&ClientSettings::default(), &SessionToken::new("t"))?;
    /// let (request, reader) = call.into_request();
    /// assert_eq!(request.method(), http::Method::DELETE);
    /// assert!(reader.read(Ok(http::Response::builder().status(200).body(Vec::new())?)).is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn destroy_session(
        settings: &ClientSettings,
        token: &SessionToken,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            crate::destroy_session(&settings.endpoint, token)?,
            Operation::DestroySession,
            None,
            |answer, operation| Ok(check_status(&answer, operation)?),
        ))
    }

    /// `DELETE /login.json`: downgrades the session to an application session.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::SessionToken;
    ///
    /// let call = Call::logout(&ClientSettings::default(), &SessionToken::new("t"))?;
    /// let (request, _reader) = call.into_request();
    /// assert_eq!(request.uri().path(), "/login.json");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn logout(settings: &ClientSettings, token: &SessionToken) -> Result<Self, BuildError> {
        Ok(Self::new(
            crate::logout(&settings.endpoint, token)?,
            Operation::Logout,
            None,
            |answer, operation| Ok(check_status(&answer, operation)?),
        ))
    }
}

impl Call<User> {
    /// `POST /login.json`: upgrades the session of `token` to a user
    /// session, with the settings' body format.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::{Identity, Operation, SessionToken};
    ///
    /// let bob = Identity::email("bob@example.com", "hunter22")?;
    /// let call = Call::login(&ClientSettings::default(), &SessionToken::new("t"), &bob)?;
    /// assert_eq!(call.operation(), Operation::Login);
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn login(
        settings: &ClientSettings,
        token: &SessionToken,
        identity: &Identity,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            crate::login(&settings.endpoint, token, identity, settings.body_format)?,
            Operation::Login,
            Some(identity.kind()),
            |answer, operation| Ok(parse_user(&answer, operation)?),
        ))
    }
}

impl Call<AccountSettings> {
    /// `GET /account_settings.json` on the settings' host.
    ///
    /// ```
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::Operation;
    ///
    /// let call = Call::account_settings(&ClientSettings::default(), "account-key")?;
    /// assert_eq!(call.operation(), Operation::AccountSettings);
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn account_settings(
        settings: &ClientSettings,
        account_key: &str,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            crate::account_settings(&settings.endpoint, account_key)?,
            Operation::AccountSettings,
            None,
            |answer, _| Ok(parse_account_settings(&answer)?),
        ))
    }
}

impl Call<Answer> {
    /// Any request, sent as given; the answer comes back whatever its
    /// status (only a missing answer is an error).
    ///
    /// ```
    /// use qb_auth_core::adapter::Call;
    ///
    /// let call = Call::send(http::Request::get("https://api.quickblox.com/users.json").body(().into())?);
    /// let (_request, reader) = call.into_request();
    /// let answer = reader.read(Ok(http::Response::builder().status(401).body(Vec::new())?))?;
    /// assert_eq!(answer.status(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send(request: HttpRequest) -> Self {
        Self::new(request, Operation::Other, None, |answer, _| Ok(answer))
    }

    /// Any request, authorized with `Authorization: ApiKey ...` (replacing
    /// any `QB-Token`) and `On-Behalf-Of` when `on_behalf_of` is set.
    ///
    /// ```
    /// use qb_auth_core::adapter::Call;
    /// use qb_auth_core::ApiKey;
    ///
    /// let request = http::Request::get("https://api.quickblox.com/users.json").body(().into())?;
    /// let call = Call::with_api_key(request, &ApiKey::new("key-123"), Some(42))?;
    /// let (request, _reader) = call.into_request();
    /// assert_eq!(request.headers()["On-Behalf-Of"], "42");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_api_key(
        mut request: HttpRequest,
        key: &ApiKey,
        on_behalf_of: Option<u64>,
    ) -> Result<Self, BuildError> {
        authorize_api_key(&mut request, key, on_behalf_of)?;
        Ok(Self::send(request))
    }
}

impl Call<NewSession, AttemptError> {
    /// The create-session a managed session's renewal ticket asks for,
    /// signed with `credentials` (from the ticket), a fresh nonce and `now`
    /// corrected by the measured clock offset. Its answer becomes the
    /// ticket's result.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use qb_auth_core::adapter::{Call, ClientSettings};
    /// use qb_auth_core::lifecycle::{
    ///     Ask, Policy, RenewalMode, SessionCredentials, SessionLifecycle, TokenAction,
    /// };
    /// use qb_auth_core::{AppCredentials, Identity, Operation, SecretString};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let mode = RenewalMode::credentials(SessionCredentials::new(app, Identity::application()));
    /// let mut lifecycle = SessionLifecycle::new(Policy::default(), mode)?;
    /// let TokenAction::Renew(ticket) = lifecycle.poll_token(SystemTime::now(), &mut Ask::new()) else {
    ///     unreachable!("no session yet")
    /// };
    /// let credentials = ticket.credentials().expect("a credentials ticket")?;
    /// let call = Call::renewal(&ClientSettings::default(), &ticket, &credentials, SystemTime::now())?;
    /// assert_eq!(call.operation(), Operation::CreateApplicationSession);
    /// assert_eq!(call.attempt(), ticket.attempt());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn renewal(
        settings: &ClientSettings,
        ticket: &RenewalTicket,
        credentials: &SessionCredentials,
        now: SystemTime,
    ) -> Result<Self, AttemptError> {
        let input = ticket.signing_input(now, settings.next_nonce()?);
        let request =
            signed_create_session(settings, &credentials.app, &credentials.identity, input)?;
        let mut call = Self::new(
            request,
            credentials.operation(),
            Some(credentials.identity.kind()),
            |answer, operation| NewSession::from_response(&answer, operation),
        );
        call.attempt = ticket.attempt();
        Ok(call)
    }
}

impl<T, E> fmt::Debug for Call<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The request's headers and body hold secrets: name the call only.
        f.debug_struct("Call")
            .field("operation", &self.reader.operation)
            .field("attempt", &self.attempt)
            .field("method", self.request.method())
            .field("path", &self.request.uri().path())
            .finish_non_exhaustive()
    }
}

impl<T, E> fmt::Debug for Reader<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("operation", &self.operation)
            .finish_non_exhaustive()
    }
}

/// A create-session signed with the settings' endpoint, body format and hash.
fn signed_create_session(
    settings: &ClientSettings,
    app: &AppCredentials,
    identity: &Identity,
    input: SigningInput,
) -> Result<HttpRequest, BuildError> {
    Ok(CreateSession::new(app, identity, input)
        .body_format(settings.body_format)
        .hash(settings.hash)
        .build(&settings.endpoint)?
        .into_request())
}

/// A create-session's operation: a 401 means wrong credentials only for a
/// user session.
fn create_operation(identity: &Identity) -> Operation {
    if identity.is_user() {
        Operation::CreateUserSession
    } else {
        Operation::CreateApplicationSession
    }
}

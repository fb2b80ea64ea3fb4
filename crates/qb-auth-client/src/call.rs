//! One operation as data: the request the core built, the operation it
//! belongs to, and how its answer is read, so each operation of the client
//! is one line over [`Client::execute`](crate::Client).

use std::fmt;
use std::time::SystemTime;

use tracing::Span;

use qb_auth_core::lifecycle::{AttemptError, NewSession, RenewalTicket, SessionCredentials};
use qb_auth_core::{
    AccountSettings, ApiKey, AppCredentials, BuildError, CreateSession, HttpRequest, Identity,
    IdentityKind, Operation, Session, SessionToken, SigningInput, TransportError, User,
    authorize_api_key, check_status, parse_account_settings, parse_session, parse_user,
};

use crate::settings::ClientSettings;
use crate::transport::Response as Answer;
use crate::{Error, trace};

/// How a call reads its answer.
type ReadFn<T, E> = fn(Answer, Operation) -> Result<T, E>;

/// One operation ready to send: the built request, its [`Operation`] (for
/// the `qb_auth.operation` span and for reading the answer) and the parser
/// to apply.
///
/// `E` is what the call fails with: [`Error`] for a client's calls, an
/// [`AttemptError`] for a managed session's renewal.
#[must_use = "a call does nothing until the client sends its request"]
pub(crate) struct Call<T, E = Error> {
    request: HttpRequest,
    attempt: u32,
    identity: Option<IdentityKind>,
    reader: Reader<T, E>,
}

/// The second half of a [`Call`]: reads the answer to its request.
#[must_use = "the answer is only checked when read"]
pub(crate) struct Reader<T, E = Error> {
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

    /// Which attempt this is (1, or the renewal ticket's attempt), for the
    /// `qb_auth.attempt` span.
    pub(crate) fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The `qb_auth.operation` span to send the request and read the answer in.
    pub(crate) fn span(&self) -> Span {
        trace::operation(self.reader.operation, self.identity)
    }

    /// The request to send, and what reads its answer.
    pub(crate) fn into_request(self) -> (HttpRequest, Reader<T, E>) {
        (self.request, self.reader)
    }
}

impl<T, E: From<TransportError>> Reader<T, E> {
    /// Reads what the exchange gave: an answer goes to the call's parser,
    /// a transport failure becomes `E`.
    pub(crate) fn read(self, answer: Result<Answer, TransportError>) -> Result<T, E> {
        (self.read)(answer?, self.operation)
    }
}

impl Call<Session> {
    /// `POST /session.json`: an application session
    /// (`Identity::application()`) or a user session, signed with `input`
    /// and the settings' endpoint, body format and hash.
    pub(crate) fn create_session(
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
    pub(crate) fn get_session(
        settings: &ClientSettings,
        token: &SessionToken,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            qb_auth_core::get_session(&settings.endpoint, token)?,
            Operation::GetSession,
            None,
            |answer, operation| Ok(parse_session(&answer, operation)?),
        ))
    }
}

impl Call<()> {
    /// `DELETE /session.json`: ends the session.
    pub(crate) fn destroy_session(
        settings: &ClientSettings,
        token: &SessionToken,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            qb_auth_core::destroy_session(&settings.endpoint, token)?,
            Operation::DestroySession,
            None,
            |answer, operation| Ok(check_status(&answer, operation)?),
        ))
    }

    /// `DELETE /login.json`: downgrades the session to an application session.
    pub(crate) fn logout(
        settings: &ClientSettings,
        token: &SessionToken,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            qb_auth_core::logout(&settings.endpoint, token)?,
            Operation::Logout,
            None,
            |answer, operation| Ok(check_status(&answer, operation)?),
        ))
    }
}

impl Call<User> {
    /// `POST /login.json`: upgrades the session of `token` to a user
    /// session, with the settings' body format.
    pub(crate) fn login(
        settings: &ClientSettings,
        token: &SessionToken,
        identity: &Identity,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            qb_auth_core::login(&settings.endpoint, token, identity, settings.body_format)?,
            Operation::Login,
            Some(identity.kind()),
            |answer, operation| Ok(parse_user(&answer, operation)?),
        ))
    }
}

impl Call<AccountSettings> {
    /// `GET /account_settings.json` on the settings' host.
    pub(crate) fn account_settings(
        settings: &ClientSettings,
        account_key: &str,
    ) -> Result<Self, BuildError> {
        Ok(Self::new(
            qb_auth_core::account_settings(&settings.endpoint, account_key)?,
            Operation::AccountSettings,
            None,
            |answer, _| Ok(parse_account_settings(&answer)?),
        ))
    }
}

impl Call<Answer> {
    /// Any request, sent as given; the answer comes back whatever its
    /// status (only a missing answer is an error).
    pub(crate) fn send(request: HttpRequest) -> Self {
        Self::new(request, Operation::Other, None, |answer, _| Ok(answer))
    }

    /// Any request, authorized with `Authorization: ApiKey ...` (replacing
    /// any `QB-Token`) and `On-Behalf-Of` when `on_behalf_of` is set.
    pub(crate) fn with_api_key(
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
    pub(crate) fn renewal(
        settings: &ClientSettings,
        ticket: &RenewalTicket,
        credentials: &SessionCredentials,
        now: SystemTime,
    ) -> Result<Self, AttemptError> {
        let input = ticket.signing_input(now, settings.nonces.next_nonce()?);
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

impl Call<NewSession, AttemptError> {
    /// `GET /session.json` for a token handed in: the session it belongs to
    /// (application, user, expiry) becomes the check's result, as a
    /// renewal's would.
    pub(crate) fn check(
        settings: &ClientSettings,
        token: &SessionToken,
    ) -> Result<Self, AttemptError> {
        Ok(Self::new(
            qb_auth_core::get_session(&settings.endpoint, token)?,
            Operation::GetSession,
            None,
            |answer, operation| NewSession::from_response(&answer, operation),
        ))
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

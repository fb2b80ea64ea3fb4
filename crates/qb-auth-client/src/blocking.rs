//! The blocking front end: the operations of [`Client`], [`ManagedSession`]
//! and [`ApiKeyClient`] over a [`BlockingTransport`], on the caller's
//! thread.
//!
//! Each operation runs the same driver as the async front end to its end
//! with `pollster::block_on`: in this mode every step of it completes where
//! it runs (the transport blocks, waits use a `Condvar`), so nothing is
//! spawned and no runtime or thread is started.
//!
//! The examples run against the emulator on loopback through
//! `qb-auth-ureq`, whose `Client` is `BlockingClient<Ureq>`.

use pollster::block_on;
use std::sync::Arc;

use qb_auth_core::call::{
    AccountSettingsCall, ApiCall, CreateSessionCall, DestroySessionCall, GetSessionCall, LoginCall,
    LogoutCall,
};
use qb_auth_core::lifecycle::CredentialProvider;
use qb_auth_core::{
    AccountSettings, AppCredentials, Body, Identity, Session, SessionToken, SigningInput, User,
};

use crate::mode::{Blocking, Mode};
use crate::transport::{BlockingTransport, Response};
use crate::{ApiKeyClient, Client, ClientBuilder, Error, ManagedSession};

/// A client over a [`BlockingTransport`].
pub type BlockingClient<T> = Client<Blocking<T>>;

impl<T: BlockingTransport> Client<Blocking<T>> {
    /// A client with default settings over `transport`, as you set it up
    /// (the builder's [`http_client`](crate::ClientBuilder::http_client)
    /// does the same with settings of your own).
    pub fn over(transport: T) -> Self {
        Self::from_parts(Blocking::wrap(transport), Default::default())
    }

    /// Creates a session: an application session, or a user session for
    /// `identity`, signed now with a fresh nonce.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_ureq::Client;
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.create_session(&app, &Identity::login("alice", "p@ss word&1=2")?)?;
    /// assert_eq!(session.user(), Some(1001));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Error> {
        block_on(self.run(CreateSessionCall::new(app, identity)))
    }

    /// Creates a session signed with a timestamp and nonce you choose (to
    /// reproduce a request exactly), sent once.
    pub fn create_session_with(
        &self,
        app: &AppCredentials,
        identity: &Identity,
        input: SigningInput,
    ) -> Result<Session, Error> {
        block_on(self.run(CreateSessionCall::with_input(app, identity, input)))
    }

    /// The session `token` belongs to (`GET /session.json`).
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # let client = qb_auth_ureq::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let created = client.create_session(&app, &Identity::application())?;
    /// assert_eq!(client.get_session(&created.token)?.application_id, Some(12345));
    /// client.destroy_session(&created.token)?;
    /// assert_eq!(client.get_session(&created.token).unwrap_err().status().unwrap(), 401);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_session(&self, token: &SessionToken) -> Result<Session, Error> {
        block_on(self.run(GetSessionCall::new(token)))
    }

    /// Destroys the session (`DELETE /session.json`): the token stops
    /// working.
    pub fn destroy_session(&self, token: &SessionToken) -> Result<(), Error> {
        block_on(self.run(DestroySessionCall::new(token)))
    }

    /// Logs `identity` into the session `token` belongs to (`POST
    /// /login.json`): the token becomes a user token.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # let client = qb_auth_ureq::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.create_session(&app, &Identity::application())?;
    /// let user = client.login(&session.token, &Identity::login("alice", "p@ss word&1=2")?)?;
    /// assert_eq!(user.id, 1001);
    /// client.logout(&session.token)?; // an application token again
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn login(&self, token: &SessionToken, identity: &Identity) -> Result<User, Error> {
        block_on(self.run(LoginCall::new(token, identity)))
    }

    /// Logs the user out (`DELETE /login.json`): the token stays valid as
    /// an application token.
    pub fn logout(&self, token: &SessionToken) -> Result<(), Error> {
        block_on(self.run(LogoutCall::new(token)))
    }

    /// The API and chat hosts of the account with `account_key` (`GET
    /// /account_settings.json`).
    pub fn account_settings(&self, account_key: &str) -> Result<AccountSettings, Error> {
        block_on(self.run(AccountSettingsCall::new(account_key)))
    }

    /// Asks the account's settings and returns a client for its own API
    /// host, with the settings.
    ///
    /// # Errors
    ///
    /// [`Error::NoAccountEndpoint`] when the settings name no host, and
    /// [`Error::Build`] when it is one this client refuses (plain `http://`
    /// to a host that is not loopback).
    pub fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Error> {
        self.switched_to(self.account_settings(account_key)?)
    }

    /// Sends any request as it is (no token attached) and returns the
    /// answer, whatever its status.
    pub fn send<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response, Error> {
        block_on(self.send_as_is(request.map(Into::into)))
    }

    /// Runs any [`ApiCall`] the way every method above runs its own: built
    /// against the client's endpoint, body format and hash, signed anew per
    /// attempt if it is signed, read by the call, and sent again as its
    /// [`Resend`](qb_auth_core::call::Resend) rule and the client's retry
    /// policy allow.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// use qb_auth_core::call::GetSessionCall;
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_ureq::Client;
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let created = client.create_session(&app, &Identity::application())?;
    /// let read = client.call(GetSessionCall::new(&created.token))?;
    /// assert_eq!(read.token, created.token);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call<C: ApiCall>(&self, call: C) -> Result<C::Output, Error> {
        block_on(self.run(call))
    }
}

impl<T: BlockingTransport> ClientBuilder<Blocking<T>> {
    /// Builds the client, asks the settings of the account with
    /// `account_key` once (`GET /account_settings.json` on the builder's
    /// endpoint, retried like every one-shot call) and returns a client for
    /// the account's own API host, with the settings; as the JS SDK does at
    /// `init`.
    ///
    /// # Errors
    ///
    /// Those of [`build`](Self::build) and of
    /// [`Client::use_account_endpoint`]: a host that is not HTTPS (or
    /// plain HTTP on loopback) is refused.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// use qb_auth_core::Endpoint;
    /// use qb_auth_ureq::Client;
    ///
    /// let (client, settings) = Client::builder()
    ///     .endpoint(Endpoint::parse(emulator.base_url())?)
    ///     .build_for_account(qb_auth_emulator::fixtures::ACCOUNT_KEY)?;
    /// assert_eq!(client.endpoint(), &settings.try_endpoint()?);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build_for_account(
        self,
        account_key: &str,
    ) -> Result<(Client<Blocking<T>>, AccountSettings), Error> {
        self.build()?.use_account_endpoint(account_key)
    }
}

impl<T: BlockingTransport> ManagedSession<Blocking<T>> {
    /// A valid token: the one held, or a new one. However many threads ask
    /// at once, one renewal runs; the others wait for it.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// use qb_auth_ureq::{Client, SessionSource};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let tokens: Vec<_> = std::thread::scope(|s| {
    ///     let callers: Vec<_> = (0..4).map(|_| s.spawn(|| session.token())).collect();
    ///     callers.into_iter().map(|c| c.join().unwrap()).collect()
    /// });
    /// assert!(tokens.iter().all(|t| t.as_ref().ok() == tokens[0].as_ref().ok()));
    /// assert_eq!(emulator.stats().sessions_created, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn token(&self) -> Result<SessionToken, Error> {
        block_on(self.valid_token())
    }

    /// Sends `request` with the session's token, which goes only to the
    /// client's API host (a request for another host fails with
    /// [`Error::ForeignHost`], unsent). After "Required session does not
    /// exist" the session is renewed and the request sent once more.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// # use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// # use qb_auth_ureq::{Client, SessionSource};
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let users = http::Request::get(format!("{}/users.json", emulator.base_url())).body(())?;
    /// assert_eq!(session.send(users)?.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response, Error> {
        block_on(self.send_request(request.map(Into::into)))
    }

    /// Forgets the session and destroys it on the server; the next
    /// [`token`](Self::token) creates a new one.
    pub fn destroy(&self) -> Result<(), Error> {
        block_on(self.destroy_session())
    }
    /// Logs `identity` in on the session's token (`POST /login.json`): the
    /// token becomes the user's, and renewals create the user's sessions
    /// (with the source's application credentials). If the token has
    /// expired, a new one is made first.
    ///
    /// # Errors
    ///
    /// [`Error::LoginNeedsCredentials`] when the source is a token
    /// provider (use [`login_with`](Self::login_with)), and the login's own
    /// errors (a wrong password is [`Error::Api`]); the session is then
    /// unchanged.
    ///
    /// ```
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start_blocking()?;
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_ureq::{Client, SessionSource};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let user = session.login(Identity::login("alice", "p@ss word&1=2")?)?;
    /// assert_eq!(session.session().unwrap().user(), Some(user.id));
    /// session.logout()?; // an application session again, and renewed as one
    /// assert_eq!(session.session().unwrap().user(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn login(&self, identity: Identity) -> Result<User, Error> {
        block_on(self.login_identity(identity))
    }

    /// Like [`login`](Self::login), with the application's and the user's
    /// credentials from `provider`, asked anew for every renewal (a rotated
    /// password, a fresh Firebase ID token).
    pub fn login_with(&self, provider: impl CredentialProvider + 'static) -> Result<User, Error> {
        block_on(self.login_provider(Arc::new(provider)))
    }

    /// Logs the user out of the session's token (`DELETE /login.json`): it
    /// stays valid as an application token, and renewals create
    /// application sessions.
    pub fn logout(&self) -> Result<(), Error> {
        block_on(self.logout_user())
    }
}

impl<T: BlockingTransport> ApiKeyClient<Blocking<T>> {
    /// Sends `request` with the API key (and `On-Behalf-Of`, if set); only
    /// to the client's API host.
    pub fn send<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response, Error> {
        block_on(self.send_request(request.map(Into::into)))
    }
}

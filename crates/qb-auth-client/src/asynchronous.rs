//! The async front end: the operations of [`Client`], [`ManagedSession`]
//! and [`ApiKeyClient`] over a [`Transport`], awaited on your runtime.
//!
//! Each operation awaits the driver the blocking front end blocks on; what
//! differs is only how the caller waits.
//!
//! The examples run against the emulator on loopback through
//! `qb-auth-reqwest`, whose `Client` is `AsyncClient<Reqwest>`.

use std::sync::Arc;

use qb_auth_core::call::{
    AccountSettingsCall, ApiCall, CreateSessionCall, DestroySessionCall, GetSessionCall, LoginCall,
    LogoutCall,
};
use qb_auth_core::lifecycle::CredentialProvider;
use qb_auth_core::{
    AccountSettings, AppCredentials, Body, Identity, Session, SessionToken, SigningInput, User,
};

use crate::mode::{Async, Mode};
use crate::transport::{Response, Transport};
use crate::{ApiKeyClient, Client, ClientBuilder, Error, ManagedSession};

/// A client over an async [`Transport`].
pub type AsyncClient<T> = Client<Async<T>>;

impl<T: Transport> Client<Async<T>> {
    /// A client with default settings over `transport`, as you set it up
    /// (the builder's [`http_client`](crate::ClientBuilder::http_client)
    /// does the same with settings of your own).
    pub fn over(transport: T) -> Self {
        Self::from_parts(Async::wrap(transport), Default::default())
    }

    /// Creates a session: an application session, or a user session for
    /// `identity`, signed now with a fresh nonce.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_reqwest::Client;
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.create_session(&app, &Identity::login("alice", "p@ss word&1=2")?).await?;
    /// assert_eq!(session.user(), Some(1001));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Error> {
        self.run(CreateSessionCall::new(app, identity)).await
    }

    /// Creates a session signed with a timestamp and nonce you choose (to
    /// reproduce a request exactly), sent once.
    pub async fn create_session_with(
        &self,
        app: &AppCredentials,
        identity: &Identity,
        input: SigningInput,
    ) -> Result<Session, Error> {
        self.run(CreateSessionCall::with_input(app, identity, input))
            .await
    }

    /// The session `token` belongs to (`GET /session.json`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let created = client.create_session(&app, &Identity::application()).await?;
    /// let read = client.get_session(&created.token).await?;
    /// assert_eq!(read.application_id, Some(12345));
    /// client.destroy_session(&created.token).await?;
    /// assert_eq!(client.get_session(&created.token).await.unwrap_err().status().unwrap(), 401);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn get_session(&self, token: &SessionToken) -> Result<Session, Error> {
        self.run(GetSessionCall::new(token)).await
    }

    /// Destroys the session (`DELETE /session.json`): the token stops
    /// working.
    pub async fn destroy_session(&self, token: &SessionToken) -> Result<(), Error> {
        self.run(DestroySessionCall::new(token)).await
    }

    /// Logs `identity` into the session `token` belongs to (`POST
    /// /login.json`): the token becomes a user token.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// # use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// # let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.create_session(&app, &Identity::application()).await?;
    /// let user = client.login(&session.token, &Identity::login("alice", "p@ss word&1=2")?).await?;
    /// assert_eq!(user.id, 1001);
    /// client.logout(&session.token).await?; // an application token again
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(&self, token: &SessionToken, identity: &Identity) -> Result<User, Error> {
        self.run(LoginCall::new(token, identity)).await
    }

    /// Logs the user out (`DELETE /login.json`): the token stays valid as
    /// an application token.
    pub async fn logout(&self, token: &SessionToken) -> Result<(), Error> {
        self.run(LogoutCall::new(token)).await
    }

    /// The API and chat hosts of the account with `account_key` (`GET
    /// /account_settings.json`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// # use qb_auth_core::Endpoint;
    /// # let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let settings = client.account_settings(qb_auth_emulator::fixtures::ACCOUNT_KEY).await?;
    /// assert!(settings.api_endpoint.is_some());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn account_settings(&self, account_key: &str) -> Result<AccountSettings, Error> {
        self.run(AccountSettingsCall::new(account_key)).await
    }

    /// Asks the account's settings and returns a client for its own API
    /// host, with the settings.
    ///
    /// # Errors
    ///
    /// [`Error::NoAccountEndpoint`] when the settings name no host, and
    /// [`Error::Build`] when it is one this client refuses (plain `http://`
    /// to a host that is not loopback).
    pub async fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Error> {
        self.switched_to(self.account_settings(account_key).await?)
    }

    /// Sends any request as it is (no token attached) and returns the
    /// answer, whatever its status.
    pub async fn send<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response, Error> {
        self.send_as_is(request.map(Into::into)).await
    }

    /// Runs any [`ApiCall`] the way every method above runs its own: built
    /// against the client's endpoint, body format and hash, signed anew per
    /// attempt if it is signed, read by the call, and sent again as its
    /// [`Resend`](qb_auth_core::call::Resend) rule and the client's retry
    /// policy allow. An endpoint of your own is one `ApiCall` away.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_core::call::{ApiCall, Target};
    /// use qb_auth_core::{authorize, check_status, ApiError, AppCredentials, BuildError, Endpoint,
    ///     HttpRequest, Identity, Operation, SecretString, SessionToken};
    /// use qb_auth_reqwest::Client;
    ///
    /// /// `GET /users.json`, its body as sent.
    /// struct ListUsers<'a>(&'a SessionToken);
    ///
    /// impl ApiCall for ListUsers<'_> {
    ///     type Output = Vec<u8>;
    ///     fn operation(&self) -> Operation {
    ///         Operation::Other
    ///     }
    ///     fn request(&self, target: &Target<'_>) -> Result<HttpRequest, BuildError> {
    ///         let mut request = target.request(http::Method::GET, "/users.json?per_page=5")?;
    ///         authorize(&mut request, self.0)?;
    ///         Ok(request)
    ///     }
    ///     fn read(&self, answer: &http::Response<Vec<u8>>) -> Result<Vec<u8>, ApiError> {
    ///         check_status(answer, self.operation())?;
    ///         Ok(answer.body().clone())
    ///     }
    /// }
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.create_session(&app, &Identity::application()).await?;
    /// let users: serde_json::Value = serde_json::from_slice(&client.call(ListUsers(&session.token)).await?)?;
    /// assert_eq!(users["per_page"], 5);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call<C: ApiCall>(&self, call: C) -> Result<C::Output, Error> {
        self.run(call).await
    }
}

impl<T: Transport> ClientBuilder<Async<T>> {
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
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_core::Endpoint;
    /// use qb_auth_reqwest::Client;
    ///
    /// let (client, settings) = Client::builder()
    ///     .endpoint(Endpoint::parse(emulator.base_url())?)
    ///     .build_for_account(qb_auth_emulator::fixtures::ACCOUNT_KEY)
    ///     .await?;
    /// assert_eq!(client.endpoint(), &settings.try_endpoint()?);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn build_for_account(
        self,
        account_key: &str,
    ) -> Result<(Client<Async<T>>, AccountSettings), Error> {
        self.build()?.use_account_endpoint(account_key).await
    }
}

impl<T: Transport> ManagedSession<Async<T>> {
    /// A valid token: the one held, or a new one. However many tasks ask
    /// at once, one renewal runs; the others wait for it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// use qb_auth_reqwest::{Client, SessionSource};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let (a, b) = tokio::join!(session.token(), session.token());
    /// assert_eq!(a?, b?);
    /// assert_eq!(emulator.stats().sessions_created, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn token(&self) -> Result<SessionToken, Error> {
        self.valid_token().await
    }

    /// Sends `request` with the session's token, which goes only to the
    /// client's API host (a request for another host fails with
    /// [`Error::ForeignHost`], unsent). After "Required session does not
    /// exist" the session is renewed and the request sent once more.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// # use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// # use qb_auth_reqwest::{Client, Error, SessionSource};
    /// # let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// # let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let users = http::Request::get(format!("{}/users.json", emulator.base_url())).body(())?;
    /// assert_eq!(session.send(users).await?.status(), 200);
    ///
    /// let elsewhere = http::Request::get("https://example.com/users.json").body(())?;
    /// assert!(matches!(session.send(elsewhere).await, Err(Error::ForeignHost { .. })));
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response, Error> {
        self.send_request(request.map(Into::into)).await
    }

    /// Forgets the session and destroys it on the server; the next
    /// [`token`](Self::token) creates a new one.
    pub async fn destroy(&self) -> Result<(), Error> {
        self.destroy_session().await
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
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_reqwest::{Client, SessionSource};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let user = session.login(Identity::login("alice", "p@ss word&1=2")?).await?;
    /// assert_eq!(session.session().unwrap().user(), Some(user.id));
    /// session.logout().await?; // an application session again, and renewed as one
    /// assert_eq!(session.session().unwrap().user(), None);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn login(&self, identity: Identity) -> Result<User, Error> {
        self.login_identity(identity).await
    }

    /// Like [`login`](Self::login), with the application's and the user's
    /// credentials from `provider`, asked anew for every renewal (a rotated
    /// password, a fresh Firebase ID token).
    pub async fn login_with(
        &self,
        provider: impl CredentialProvider + 'static,
    ) -> Result<User, Error> {
        self.login_provider(Arc::new(provider)).await
    }

    /// Logs the user out of the session's token (`DELETE /login.json`): it
    /// stays valid as an application token, and renewals create
    /// application sessions.
    pub async fn logout(&self) -> Result<(), Error> {
        self.logout_user().await
    }
}

impl<T: Transport> ApiKeyClient<Async<T>> {
    /// Sends `request` with the API key (and `On-Behalf-Of`, if set); only
    /// to the client's API host.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use qb_auth_core::{ApiKey, Endpoint};
    /// use qb_auth_reqwest::Client;
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let backend = client.with_api_key(ApiKey::new(qb_auth_emulator::fixtures::API_KEY));
    /// let users = http::Request::get(format!("{}/users.json", emulator.base_url())).body(())?;
    /// assert_eq!(backend.on_behalf_of(1001).send(users).await?.status(), 200);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn send<B: Into<Body>>(&self, request: http::Request<B>) -> Result<Response, Error> {
        self.send_request(request.map(Into::into)).await
    }
}

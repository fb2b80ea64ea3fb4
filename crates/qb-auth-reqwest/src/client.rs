//! The client: every operation of the core, sent over reqwest.

use std::fmt;
use std::time::SystemTime;

use qb_auth_core::adapter::{Answer, Call, ClientSettings, Error, TransportError, trace};
use qb_auth_core::{
    AccountSettings, ApiKey, AppCredentials, Body, BodyFormat, Endpoint, HttpRequest, Identity,
    Session, SessionToken, SigningInput, User,
};
use tracing::Instrument;

use crate::api_key::ApiKeyClient;
use crate::builder::ClientBuilder;
use crate::transport::Transport;

/// An asynchronous QuickBlox client over reqwest.
///
/// Cheap to clone, `Send + Sync`, and free of global state: keep one per
/// API host and use it for any number of applications and users at once.
/// Each method builds its request with `qb-auth-core`, sends it, and reads
/// the answer with `qb-auth-core`; nothing about the protocol lives here.
///
/// ```
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
/// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
///
/// // `Client::new()` talks to the real API; here, the emulator on loopback.
/// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let session = client.create_session(&app, &Identity::login("alice", "p@ss word&1=2")?).await?;
/// assert_eq!(client.get_session(&session.token).await?.user(), Some(1001));
/// client.destroy_session(&session.token).await?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    transport: Transport,
    settings: ClientSettings,
}

impl Client {
    /// A client with the defaults of [`ClientBuilder`].
    ///
    /// ```
    /// let client = qb_auth_reqwest::Client::new()?;
    /// assert_eq!(client.endpoint().as_str(), "https://api.quickblox.com");
    /// // One client serves every task: share it or clone it.
    /// fn shareable<T: Clone + Send + Sync>(_: &T) {}
    /// shareable(&client);
    /// # Ok::<(), qb_auth_reqwest::Error>(())
    /// ```
    pub fn new() -> Result<Self, Error> {
        ClientBuilder::new().build()
    }

    /// Starts configuring a client.
    ///
    /// ```
    /// use qb_auth_core::{BodyFormat, Endpoint};
    ///
    /// let client = qb_auth_reqwest::Client::builder()
    ///     .endpoint(Endpoint::parse("https://apiexample.quickblox.com")?)
    ///     .body_format(BodyFormat::Form)
    ///     .build()?;
    /// assert_eq!(client.endpoint().as_str(), "https://apiexample.quickblox.com");
    /// assert_eq!(client.body_format(), BodyFormat::Form);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// A client over your own `reqwest::Client`, with the other defaults.
    /// See [`ClientBuilder::http_client`] for what to set on it.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use std::time::Duration;
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let own = qb_auth_reqwest::reqwest_builder()?.timeout(Duration::from_secs(5)).build()?;
    /// let client = qb_auth_reqwest::Client::with_http_client(own).with_endpoint(Endpoint::parse(emulator.base_url())?);
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// assert_eq!(client.create_session(&app, &Identity::application()).await?.application_id, Some(fixtures::APP_ID));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_http_client(http: reqwest::Client) -> Self {
        // No builder option that can fail is set, so this cannot fail.
        Self::from_parts(http, ClientSettings::default())
    }

    pub(crate) fn from_parts(http: reqwest::Client, settings: ClientSettings) -> Self {
        Self {
            transport: Transport::new(http, settings.max_body),
            settings,
        }
    }

    /// What requests are built and read with.
    pub(crate) fn settings(&self) -> &ClientSettings {
        &self.settings
    }

    /// The API host requests go to.
    ///
    /// ```
    /// use qb_auth_core::Endpoint;
    ///
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse("https://apiexample.quickblox.com")?).build()?;
    /// assert_eq!(client.endpoint().as_str(), "https://apiexample.quickblox.com");
    /// assert_eq!(client.endpoint().url("users.json"), "https://apiexample.quickblox.com/users.json");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn endpoint(&self) -> &Endpoint {
        &self.settings.endpoint
    }

    /// The body format of create-session and login.
    ///
    /// ```
    /// use qb_auth_core::BodyFormat;
    /// use qb_auth_reqwest::Client;
    ///
    /// assert_eq!(Client::new()?.body_format(), BodyFormat::Json);
    /// assert_eq!(Client::builder().body_format(BodyFormat::Form).build()?.body_format(), BodyFormat::Form);
    /// # Ok::<(), qb_auth_reqwest::Error>(())
    /// ```
    pub fn body_format(&self) -> BodyFormat {
        self.settings.body_format
    }

    /// The same client (sharing its connections) talking to another host.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::Endpoint;
    ///
    /// let shared = qb_auth_reqwest::Client::new()?;
    /// let own = shared.with_endpoint(Endpoint::parse("https://apiexample.quickblox.com")?);
    /// assert_eq!(shared.endpoint().as_str(), "https://api.quickblox.com");
    /// assert_eq!(own.endpoint().as_str(), "https://apiexample.quickblox.com");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_endpoint(&self, endpoint: Endpoint) -> Self {
        let mut client = self.clone();
        client.settings.endpoint = endpoint;
        client
    }

    /// `POST /session.json`: creates an application session
    /// (`Identity::application()`) or a user session, signed with the
    /// system clock and a fresh nonce.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let app_session = client.create_session(&app, &Identity::application()).await?;
    /// assert_eq!(app_session.user(), None);
    /// let alice = Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?;
    /// assert_eq!(client.create_session(&app, &alice).await?.user(), Some(fixtures::ALICE_ID));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Error> {
        let input = SigningInput::at(SystemTime::now(), self.settings.next_nonce()?);
        self.create_session_with(app, identity, input).await
    }

    /// Creates a session signed with the given time and nonce, to reproduce
    /// a request exactly.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use std::time::SystemTime;
    /// use qb_auth_core::{unix_seconds, AppCredentials, Endpoint, Identity, Nonce, SecretString, SigningInput};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// // The worked example of the protocol notes is signed at 1700000000:
    /// // set the emulator's clock to that time so it accepts the request.
    /// emulator.set_clock_offset(1_700_000_000 - unix_seconds(SystemTime::now()) as i64);
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let session = client.create_session_with(&app, &Identity::application(), input).await?;
    /// assert_eq!((session.ts, session.nonce.as_deref()), (Some(1_700_000_000), Some("4242")));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn create_session_with(
        &self,
        app: &AppCredentials,
        identity: &Identity,
        input: SigningInput,
    ) -> Result<Session, Error> {
        self.execute(Call::create_session(&self.settings, app, identity, input)?)
            .await
    }

    /// `GET /session.json`: the session a token belongs to.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let created = client.create_session(&app, &Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?).await?;
    /// let found = client.get_session(&created.token).await?;
    /// assert_eq!((found.id, found.user()), (created.id, Some(fixtures::ALICE_ID)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn get_session(&self, token: &SessionToken) -> Result<Session, Error> {
        self.execute(Call::get_session(&self.settings, token)?)
            .await
    }

    /// `DELETE /session.json`: ends the session; the token stops working.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{AppCredentials, Endpoint, ErrorKind, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let session = client.create_session(&app, &Identity::application()).await?;
    /// client.destroy_session(&session.token).await?;
    /// let err = client.get_session(&session.token).await.unwrap_err();
    /// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::SessionExpired));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn destroy_session(&self, token: &SessionToken) -> Result<(), Error> {
        self.execute(Call::destroy_session(&self.settings, token)?)
            .await
    }

    /// `POST /login.json`: upgrades the session of `token` to a user session
    /// (the token stays the same) and returns the user.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let session = client.create_session(&app, &Identity::application()).await?;
    /// let bob = Identity::email(fixtures::BOB_EMAIL, fixtures::BOB_PASSWORD)?;
    /// assert_eq!(client.login(&session.token, &bob).await?.id, fixtures::BOB_ID);
    /// assert_eq!(client.get_session(&session.token).await?.user(), Some(fixtures::BOB_ID));
    /// client.logout(&session.token).await?;
    /// assert_eq!(client.get_session(&session.token).await?.user(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn login(&self, token: &SessionToken, identity: &Identity) -> Result<User, Error> {
        self.execute(Call::login(&self.settings, token, identity)?)
            .await
    }

    /// `DELETE /login.json`: downgrades the session to an application
    /// session; the token stays valid.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// let session = client.create_session(&app, &Identity::login(fixtures::ALICE_LOGIN, fixtures::ALICE_PASSWORD)?).await?;
    /// client.logout(&session.token).await?;
    /// // The same token, now for an application session.
    /// assert_eq!(client.get_session(&session.token).await?.user(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn logout(&self, token: &SessionToken) -> Result<(), Error> {
        self.execute(Call::logout(&self.settings, token)?).await
    }

    /// `GET /account_settings.json` on this client's host: the hosts the
    /// account uses. QuickBlox answers it on the shared host.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{Endpoint, ErrorKind};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// // The emulator names itself as the account's API host.
    /// let settings = client.account_settings(fixtures::ACCOUNT_KEY).await?;
    /// assert_eq!(settings.endpoint().as_ref(), Some(client.endpoint()));
    /// let err = client.account_settings("not-the-account-key").await.unwrap_err();
    /// assert_eq!(err.api_error().map(|e| e.kind()), Some(ErrorKind::InvalidCredentials));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn account_settings(&self, account_key: &str) -> Result<AccountSettings, Error> {
        self.execute(Call::account_settings(&self.settings, account_key)?)
            .await
    }

    /// Asks for the account's settings and returns this client switched to
    /// the account's API host, with the settings.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{AppCredentials, Endpoint, Identity, SecretString};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// // The emulator names itself as the account's host.
    /// let shared = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let (client, settings) = shared.use_account_endpoint(fixtures::ACCOUNT_KEY).await?;
    /// assert_eq!(client.endpoint().as_str(), emulator.base_url());
    /// assert!(settings.chat_host().is_some());
    /// let app = AppCredentials::new(fixtures::APP_ID, fixtures::AUTH_KEY, SecretString::from(fixtures::AUTH_SECRET))?;
    /// assert!(client.create_session(&app, &Identity::application()).await.is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Error> {
        let settings = self.account_settings(account_key).await?;
        let endpoint = settings.endpoint().ok_or(Error::NoAccountEndpoint)?;
        Ok((self.with_endpoint(endpoint), settings))
    }

    /// Authorizes requests with a server-side API key instead of a session.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{ApiKey, Endpoint};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let admin = client.with_api_key(ApiKey::new(fixtures::API_KEY));
    /// // No session needed: the key authorizes the request.
    /// let users = http::Request::get(client.endpoint().url("users.json")).body(())?;
    /// assert_eq!(admin.send(users).await?.status(), 200);
    /// assert_eq!(emulator.stats().sessions_created, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_api_key(&self, key: ApiKey) -> ApiKeyClient {
        ApiKeyClient::new(self.clone(), key)
    }

    /// Sends any request as given and returns the answer whatever its
    /// status: build with `qb-auth-core`, send here, read with
    /// `qb-auth-core` (`check_status`, `parse_session`, ...). Only a
    /// missing answer is an error.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{check_status, Endpoint, ErrorKind, Operation};
    /// use qb_auth_emulator::Emulator;
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// // Built by hand (or with qb-auth-core), sent as it is, read with qb-auth-core:
    /// let request = http::Request::get(client.endpoint().url("users.json")).body(())?;
    /// let answer = client.send(request).await?;
    /// assert_eq!(answer.status(), 401);
    /// let err = check_status(&answer, Operation::Other).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::TokenRequired);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn send<B: Into<Body>>(
        &self,
        request: http::Request<B>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        self.execute(Call::send(request.map(Into::into))).await
    }

    /// Sends a call's request and reads its answer, in the call's span.
    pub(crate) async fn execute<T, E: From<TransportError>>(
        &self,
        call: Call<T, E>,
    ) -> Result<T, E> {
        let span = call.span();
        let attempt = call.attempt();
        let (request, reader) = call.into_request();
        async move { reader.read(self.exchange(request, attempt).await) }
            .instrument(span)
            .await
    }

    /// One HTTP exchange in its own span; records the status on it and on
    /// the operation span around it.
    pub(crate) async fn exchange(
        &self,
        request: HttpRequest,
        attempt: u32,
    ) -> Result<Answer, TransportError> {
        let span = trace::attempt(&request, attempt);
        let result = self.transport.send(request).instrument(span.clone()).await;
        trace::exchanged(&span, &result);
        result
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The reqwest client is left out: its proxy list may hold credentials.
        let mut out = f.debug_struct("Client");
        self.settings.debug_fields(&mut out);
        out.finish_non_exhaustive()
    }
}

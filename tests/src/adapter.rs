//! The two transports behind one trait, so each end-to-end test is written
//! once and run for both. Methods are async; the blocking adapter runs its
//! calls on tokio's blocking pool.

use std::future::Future;
use std::time::Duration;

use qb_auth_core::{
    AccountSettings, ApiKey, AppCredentials, Body, Endpoint, Identity, SequentialNonces, Session,
    SessionToken, User,
};

use crate::failure::Failure;

/// An answer as both adapters return it.
pub type Answer = http::Response<Vec<u8>>;

/// How a test wants its client.
#[derive(Debug, Clone)]
pub struct Options {
    /// The total timeout of one exchange.
    pub timeout: Duration,
    /// The body cap.
    pub max_body: u64,
    /// The first nonce (nonces count up from it, so runs repeat).
    pub first_nonce: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            max_body: 1024 * 1024,
            first_nonce: 1,
        }
    }
}

/// One transport adapter, seen the same way as the other.
pub trait Adapter: Clone + Send + Sync + 'static {
    /// `reqwest` or `ureq`.
    const NAME: &'static str;

    /// A client for `endpoint`, with no proxy (tests talk to loopback).
    fn new(endpoint: &Endpoint, options: &Options) -> Self;

    /// This client pointed elsewhere.
    fn with_endpoint(&self, endpoint: Endpoint) -> Self;

    /// The client's endpoint.
    fn endpoint(&self) -> Endpoint;

    /// `Debug` of the client, for the secrets test.
    fn debug(&self) -> String;

    /// `Client::create_session`.
    fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> impl Future<Output = Result<Session, Failure>> + Send;

    /// `Client::get_session`.
    fn get_session(
        &self,
        token: &SessionToken,
    ) -> impl Future<Output = Result<Session, Failure>> + Send;

    /// `Client::destroy_session`.
    fn destroy_session(
        &self,
        token: &SessionToken,
    ) -> impl Future<Output = Result<(), Failure>> + Send;

    /// `Client::login`.
    fn login(
        &self,
        token: &SessionToken,
        identity: &Identity,
    ) -> impl Future<Output = Result<User, Failure>> + Send;

    /// `Client::logout`.
    fn logout(&self, token: &SessionToken) -> impl Future<Output = Result<(), Failure>> + Send;

    /// `Client::account_settings`.
    fn account_settings(
        &self,
        account_key: &str,
    ) -> impl Future<Output = Result<AccountSettings, Failure>> + Send;

    /// `Client::use_account_endpoint`.
    fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> impl Future<Output = Result<(Self, AccountSettings), Failure>> + Send;

    /// `Client::send`.
    fn send(
        &self,
        request: http::Request<Body>,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send;

    /// `Client::with_api_key(key)[.on_behalf_of(user)].send(request)`.
    fn send_with_api_key(
        &self,
        key: &ApiKey,
        on_behalf_of: Option<u64>,
        request: http::Request<Body>,
    ) -> impl Future<Output = Result<Answer, Failure>> + Send;
}

/// The async adapter.
#[derive(Debug, Clone)]
pub struct Reqwest(pub qb_auth_reqwest::Client);

impl Adapter for Reqwest {
    const NAME: &'static str = "reqwest";

    fn new(endpoint: &Endpoint, options: &Options) -> Self {
        let client = qb_auth_reqwest::Client::builder()
            .endpoint(endpoint.clone())
            .no_proxy()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .max_body_size(options.max_body)
            .nonces(SequentialNonces::starting_at(options.first_nonce))
            .build()
            .expect("a reqwest client for loopback");
        Self(client)
    }

    fn with_endpoint(&self, endpoint: Endpoint) -> Self {
        Self(self.0.with_endpoint(endpoint))
    }

    fn endpoint(&self) -> Endpoint {
        self.0.endpoint().clone()
    }

    fn debug(&self) -> String {
        format!("{:?}", self.0)
    }

    async fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Failure> {
        Ok(self.0.create_session(app, identity).await?)
    }

    async fn get_session(&self, token: &SessionToken) -> Result<Session, Failure> {
        Ok(self.0.get_session(token).await?)
    }

    async fn destroy_session(&self, token: &SessionToken) -> Result<(), Failure> {
        Ok(self.0.destroy_session(token).await?)
    }

    async fn login(&self, token: &SessionToken, identity: &Identity) -> Result<User, Failure> {
        Ok(self.0.login(token, identity).await?)
    }

    async fn logout(&self, token: &SessionToken) -> Result<(), Failure> {
        Ok(self.0.logout(token).await?)
    }

    async fn account_settings(&self, account_key: &str) -> Result<AccountSettings, Failure> {
        Ok(self.0.account_settings(account_key).await?)
    }

    async fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Failure> {
        let (client, settings) = self.0.use_account_endpoint(account_key).await?;
        Ok((Self(client), settings))
    }

    async fn send(&self, request: http::Request<Body>) -> Result<Answer, Failure> {
        Ok(self.0.send(request).await?)
    }

    async fn send_with_api_key(
        &self,
        key: &ApiKey,
        on_behalf_of: Option<u64>,
        request: http::Request<Body>,
    ) -> Result<Answer, Failure> {
        let mut keyed = self.0.with_api_key(key.clone());
        if let Some(user) = on_behalf_of {
            keyed = keyed.on_behalf_of(user);
        }
        Ok(keyed.send(request).await?)
    }
}

/// The blocking adapter, run on tokio's blocking pool.
#[derive(Debug, Clone)]
pub struct Ureq(pub qb_auth_ureq::Client);

/// Runs a blocking call off the async threads.
async fn blocking<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(call)
        .await
        .expect("the blocking call panicked")
}

impl Adapter for Ureq {
    const NAME: &'static str = "ureq";

    fn new(endpoint: &Endpoint, options: &Options) -> Self {
        let client = qb_auth_ureq::Client::builder()
            .endpoint(endpoint.clone())
            .no_proxy()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .max_body_size(options.max_body)
            .nonces(SequentialNonces::starting_at(options.first_nonce))
            .build()
            .expect("a ureq client for loopback");
        Self(client)
    }

    fn with_endpoint(&self, endpoint: Endpoint) -> Self {
        Self(self.0.with_endpoint(endpoint))
    }

    fn endpoint(&self) -> Endpoint {
        self.0.endpoint().clone()
    }

    fn debug(&self) -> String {
        format!("{:?}", self.0)
    }

    async fn create_session(
        &self,
        app: &AppCredentials,
        identity: &Identity,
    ) -> Result<Session, Failure> {
        let (client, app, identity) = (self.0.clone(), app.clone(), identity.clone());
        Ok(blocking(move || client.create_session(&app, &identity)).await?)
    }

    async fn get_session(&self, token: &SessionToken) -> Result<Session, Failure> {
        let (client, token) = (self.0.clone(), token.clone());
        Ok(blocking(move || client.get_session(&token)).await?)
    }

    async fn destroy_session(&self, token: &SessionToken) -> Result<(), Failure> {
        let (client, token) = (self.0.clone(), token.clone());
        Ok(blocking(move || client.destroy_session(&token)).await?)
    }

    async fn login(&self, token: &SessionToken, identity: &Identity) -> Result<User, Failure> {
        let (client, token, identity) = (self.0.clone(), token.clone(), identity.clone());
        Ok(blocking(move || client.login(&token, &identity)).await?)
    }

    async fn logout(&self, token: &SessionToken) -> Result<(), Failure> {
        let (client, token) = (self.0.clone(), token.clone());
        Ok(blocking(move || client.logout(&token)).await?)
    }

    async fn account_settings(&self, account_key: &str) -> Result<AccountSettings, Failure> {
        let (client, key) = (self.0.clone(), account_key.to_owned());
        Ok(blocking(move || client.account_settings(&key)).await?)
    }

    async fn use_account_endpoint(
        &self,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Failure> {
        let (client, key) = (self.0.clone(), account_key.to_owned());
        let (client, settings) = blocking(move || client.use_account_endpoint(&key)).await?;
        Ok((Self(client), settings))
    }

    async fn send(&self, request: http::Request<Body>) -> Result<Answer, Failure> {
        let client = self.0.clone();
        Ok(blocking(move || client.send(request)).await?)
    }

    async fn send_with_api_key(
        &self,
        key: &ApiKey,
        on_behalf_of: Option<u64>,
        request: http::Request<Body>,
    ) -> Result<Answer, Failure> {
        let mut keyed = self.0.with_api_key(key.clone());
        if let Some(user) = on_behalf_of {
            keyed = keyed.on_behalf_of(user);
        }
        Ok(blocking(move || keyed.send(request)).await?)
    }
}

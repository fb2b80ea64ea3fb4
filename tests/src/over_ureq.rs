//! [`TestClient`] for the blocking transport: each call runs on tokio's blocking
//! pool, so concurrent callers are OS threads.

use qb_auth_core::lifecycle::{ProviderError, SessionCredentials};
use qb_auth_core::{
    AccountSettings, ApiKey, AppCredentials, Body, Endpoint, Identity, SequentialNonces, Session,
    SessionToken, User,
};
use qb_auth_ureq::{Client, ManagedSession, SessionSource};

type Mode = qb_auth_client::Blocking<qb_auth_ureq::Ureq>;

use crate::failure::Failure;
use crate::test_client::{Answer, ManagedOptions, Options, Source, TestClient, TestSession, count};

/// The blocking transport's client.
#[derive(Debug, Clone)]
pub struct Ureq(pub Client);

fn client(endpoint: &Endpoint, options: &Options) -> Client {
    builder(endpoint, options)
        .build()
        .expect("a client for loopback")
}

fn builder(endpoint: &Endpoint, options: &Options) -> qb_auth_client::ClientBuilder<Mode> {
    Client::builder()
        .endpoint(endpoint.clone())
        .no_proxy()
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .max_body_size(options.max_body)
        .body_format(options.body_format)
        .retry_policy(options.retry.clone())
        .nonces(SequentialNonces::starting_at(options.first_nonce))
}

fn source(source: Source) -> SessionSource {
    match source {
        Source::Credentials(provider) => SessionSource::credentials(move || provider.credentials()),
        Source::Fixed(token) => SessionSource::fixed(token),
        Source::Minted {
            backend,
            credentials,
            calls,
        } => {
            // Another client, standing in for a backend that holds the secret.
            let backend = client(&backend, &Options::default());
            SessionSource::blocking_token_provider(move || {
                count(&calls);
                backend
                    .create_session(&credentials.app, &credentials.identity)
                    .map_err(|e| ProviderError::transient(e.to_string()))
            })
        }
    }
}

impl TestClient for Ureq {
    const NAME: &'static str = "ureq";
    type Session = UreqManaged;

    fn new(endpoint: &Endpoint, options: &Options) -> Self {
        Self(client(endpoint, options))
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

    fn managed(&self, source: Source, options: ManagedOptions) -> Result<Self::Session, Failure> {
        let events = options.events;
        let mut builder = self
            .0
            .managed(self::source(source))
            .policy(options.policy)
            .on_event(move |event| events.record(event));
        if let Some(store) = options.store {
            builder = builder.store(store);
        }
        if options.skip_token_check {
            builder = builder.skip_token_check();
        }
        Ok(UreqManaged(builder.build()?))
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

    async fn build_for_account(
        endpoint: &Endpoint,
        options: &Options,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Failure> {
        let (builder, key) = (builder(endpoint, options), account_key.to_owned());
        let (client, settings) = blocking(move || builder.build_for_account(&key)).await?;
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

/// The blocking transport's managed session.
#[derive(Debug, Clone)]
pub struct UreqManaged(pub ManagedSession);

impl TestSession for UreqManaged {
    async fn token(&self) -> Result<SessionToken, Failure> {
        let session = self.0.clone();
        Ok(blocking(move || session.token()).await?)
    }

    async fn send(&self, request: http::Request<Body>) -> Result<Answer, Failure> {
        let session = self.0.clone();
        Ok(blocking(move || session.send(request)).await?)
    }

    async fn destroy(&self) -> Result<(), Failure> {
        let session = self.0.clone();
        Ok(blocking(move || session.destroy()).await?)
    }

    async fn login(&self, identity: Identity) -> Result<User, Failure> {
        let session = self.0.clone();
        Ok(blocking(move || session.login(identity)).await?)
    }

    async fn login_with(&self, credentials: SessionCredentials) -> Result<User, Failure> {
        let session = self.0.clone();
        Ok(blocking(move || session.login_with(credentials)).await?)
    }

    async fn logout(&self) -> Result<(), Failure> {
        let session = self.0.clone();
        Ok(blocking(move || session.logout()).await?)
    }

    fn session(&self) -> Option<Session> {
        self.0.session()
    }

    fn debug(&self) -> String {
        format!("{:?}", self.0)
    }
}

/// Runs a blocking call on its own thread of tokio's blocking pool.
async fn blocking<T: Send + 'static>(call: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(call)
        .await
        .expect("the blocking call panicked")
}

//! [`TestClient`] for the async transport: calls are awaited directly.

use qb_auth_core::lifecycle::{ProviderError, SessionCredentials};
use qb_auth_core::{
    AccountSettings, ApiKey, AppCredentials, Body, Endpoint, Identity, SequentialNonces, Session,
    SessionToken, User,
};
use qb_auth_reqwest::{Client, ManagedSession, SessionSource};

type Mode = qb_auth_client::Async<qb_auth_reqwest::Reqwest>;

use crate::failure::Failure;
use crate::test_client::{Answer, ManagedOptions, Options, Source, TestClient, TestSession, count};

/// The async transport's client.
#[derive(Debug, Clone)]
pub struct Reqwest(pub Client);

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
            SessionSource::token_provider(move || {
                let (backend, credentials, calls) =
                    (backend.clone(), credentials.clone(), calls.clone());
                async move {
                    count(&calls);
                    backend
                        .create_session(&credentials.app, &credentials.identity)
                        .await
                        .map_err(|e| ProviderError::transient(e.to_string()))
                }
            })
        }
    }
}

impl TestClient for Reqwest {
    const NAME: &'static str = "reqwest";
    type Session = ReqwestManaged;

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
        Ok(ReqwestManaged(builder.build()?))
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

    async fn build_for_account(
        endpoint: &Endpoint,
        options: &Options,
        account_key: &str,
    ) -> Result<(Self, AccountSettings), Failure> {
        let (client, settings) = builder(endpoint, options)
            .build_for_account(account_key)
            .await?;
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

/// The async transport's managed session.
#[derive(Debug, Clone)]
pub struct ReqwestManaged(pub ManagedSession);

impl TestSession for ReqwestManaged {
    async fn token(&self) -> Result<SessionToken, Failure> {
        Ok(self.0.token().await?)
    }

    async fn send(&self, request: http::Request<Body>) -> Result<Answer, Failure> {
        Ok(self.0.send(request).await?)
    }

    async fn destroy(&self) -> Result<(), Failure> {
        Ok(self.0.destroy().await?)
    }

    async fn login(&self, identity: Identity) -> Result<User, Failure> {
        Ok(self.0.login(identity).await?)
    }

    async fn login_with(&self, credentials: SessionCredentials) -> Result<User, Failure> {
        Ok(self.0.login_with(credentials).await?)
    }

    async fn logout(&self) -> Result<(), Failure> {
        Ok(self.0.logout().await?)
    }

    fn session(&self) -> Option<Session> {
        self.0.session()
    }

    fn debug(&self) -> String {
        format!("{:?}", self.0)
    }
}

//! API-key mode: server-side calls authorized with `Authorization: ApiKey`.

use std::fmt;

use qb_auth_core::adapter::{Call, Error};
use qb_auth_core::{ApiKey, Body};

use crate::client::Client;

/// A [`Client`] that authorizes every request with an API key, optionally
/// acting for one user (`On-Behalf-Of`). For backends only: the key is
/// permanent and has full permissions.
///
/// ```
/// use qb_auth_core::ApiKey;
///
/// let admin = qb_auth_reqwest::Client::new()?.with_api_key(ApiKey::new("key-123"));
/// let as_alice = admin.on_behalf_of(42);
/// assert_eq!(as_alice.user(), Some(42));
/// assert!(!format!("{as_alice:?}").contains("key-123"));
/// # Ok::<(), qb_auth_reqwest::Error>(())
/// ```
#[derive(Clone)]
pub struct ApiKeyClient {
    client: Client,
    key: ApiKey,
    on_behalf_of: Option<u64>,
}

impl ApiKeyClient {
    pub(crate) fn new(client: Client, key: ApiKey) -> Self {
        Self {
            client,
            key,
            on_behalf_of: None,
        }
    }

    /// The same key, acting for `user_id`.
    ///
    /// ```
    /// use qb_auth_core::ApiKey;
    /// use qb_auth_emulator::fixtures;
    ///
    /// let admin = qb_auth_reqwest::Client::new()?.with_api_key(ApiKey::new(fixtures::API_KEY));
    /// let as_alice = admin.on_behalf_of(fixtures::ALICE_ID);
    /// assert_eq!(as_alice.user(), Some(fixtures::ALICE_ID));
    /// assert_eq!(admin.user(), None, "the original acts for no one");
    /// # Ok::<(), qb_auth_reqwest::Error>(())
    /// ```
    pub fn on_behalf_of(&self, user_id: u64) -> Self {
        Self {
            on_behalf_of: Some(user_id),
            ..self.clone()
        }
    }

    /// The user requests act for, if any.
    ///
    /// ```
    /// use qb_auth_core::ApiKey;
    /// use qb_auth_emulator::fixtures;
    ///
    /// let admin = qb_auth_reqwest::Client::new()?.with_api_key(ApiKey::new(fixtures::API_KEY));
    /// assert_eq!(admin.user(), None);
    /// assert_eq!(admin.on_behalf_of(fixtures::BOB_ID).user(), Some(fixtures::BOB_ID));
    /// # Ok::<(), qb_auth_reqwest::Error>(())
    /// ```
    pub fn user(&self) -> Option<u64> {
        self.on_behalf_of
    }

    /// The client underneath.
    ///
    /// ```
    /// use qb_auth_core::{ApiKey, Endpoint};
    /// use qb_auth_emulator::fixtures;
    ///
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse("https://apiexample.quickblox.com")?).build()?;
    /// let admin = client.with_api_key(ApiKey::new(fixtures::API_KEY));
    /// assert_eq!(admin.client().endpoint(), client.endpoint());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends `request` with `Authorization: ApiKey ...` (replacing any
    /// `QB-Token`) and returns the answer whatever its status.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new()?.block_on(async {
    /// use qb_auth_core::{ApiKey, Endpoint};
    /// use qb_auth_emulator::{fixtures, Emulator};
    ///
    /// let emulator = Emulator::with_demo_fixtures().start().await?;
    /// let client = qb_auth_reqwest::Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let admin = client.with_api_key(ApiKey::new(fixtures::API_KEY));
    /// let dialogs = || http::Request::get(client.endpoint().url("chat/Dialog.json")).body(());
    /// // Dialogs belong to a user: as the application alone, refused ...
    /// assert_eq!(admin.send(dialogs()?).await?.status(), 422);
    /// // ... on behalf of alice, allowed.
    /// assert_eq!(admin.on_behalf_of(fixtures::ALICE_ID).send(dialogs()?).await?.status(), 200);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn send<B: Into<Body>>(
        &self,
        request: http::Request<B>,
    ) -> Result<http::Response<Vec<u8>>, Error> {
        let call = Call::with_api_key(request.map(Into::into), &self.key, self.on_behalf_of)?;
        self.client.execute(call).await
    }
}

impl fmt::Debug for ApiKeyClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyClient")
            .field("client", &self.client)
            .field("key", &self.key)
            .field("on_behalf_of", &self.on_behalf_of)
            .finish()
    }
}

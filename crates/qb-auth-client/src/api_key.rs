//! Requests authorized with an API key instead of a session.

use std::fmt;

use qb_auth_core::{ApiKey, HttpRequest, authorize_api_key};

use crate::mode::Mode;
use crate::transport::Response;
use crate::{Client, Error};

/// Sends requests with `Authorization: ApiKey ...`, optionally on behalf of
/// a user (`On-Behalf-Of`); from [`Client::with_api_key`].
///
/// For backends only: the key is a secret. It is sent only to the client's
/// API host, and never shown by `Debug`.
pub struct ApiKeyClient<M> {
    client: Client<M>,
    key: ApiKey,
    on_behalf_of: Option<u64>,
}

impl<M: Clone> Clone for ApiKeyClient<M> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            key: self.key.clone(),
            on_behalf_of: self.on_behalf_of,
        }
    }
}

impl<M: Mode> ApiKeyClient<M> {
    pub(crate) fn new(client: Client<M>, key: ApiKey) -> Self {
        Self {
            client,
            key,
            on_behalf_of: None,
        }
    }

    /// The same key, acting on behalf of user `user_id`.
    pub fn on_behalf_of(&self, user_id: u64) -> Self {
        Self {
            on_behalf_of: Some(user_id),
            ..self.clone()
        }
    }

    /// The user requests are sent on behalf of, if any.
    pub fn user(&self) -> Option<u64> {
        self.on_behalf_of
    }

    /// The client requests go through.
    pub fn client(&self) -> &Client<M> {
        &self.client
    }

    pub(crate) async fn send_request(&self, request: HttpRequest) -> Result<Response, Error> {
        self.client.check_own_host(&request)?;
        let mut request = request;
        authorize_api_key(&mut request, &self.key, self.on_behalf_of)?;
        self.client.send_as_is(request).await
    }
}

impl<M> fmt::Debug for ApiKeyClient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyClient")
            .field("client", &self.client)
            .field("key", &self.key)
            .field("on_behalf_of", &self.on_behalf_of)
            .finish()
    }
}

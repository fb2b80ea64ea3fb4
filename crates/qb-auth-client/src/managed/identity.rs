//! Logging a user in on a managed session's token and out of it, with the
//! lifecycle told: renewals afterwards create the same kind of session. A
//! session shared with a fleet leaves it: the fleet's key names the
//! identity it started with, which the token no longer has. It leaves its
//! store too, which is cleared: a restart starts from the source's
//! identity and must not take up a token that is now someone else's.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use qb_auth_core::call::{LoginCall, LogoutCall};
use qb_auth_core::lifecycle::{CredentialProvider, ProviderError, RenewalMode, SessionCredentials};
use qb_auth_core::{ErrorKind, Identity, SessionToken, User};

use super::ManagedSession;
use crate::Error;
use crate::mode::Mode;

/// The application credentials of another provider (read anew for each
/// renewal, so a rotated secret is picked up) with a fixed identity.
struct AsIdentity {
    app: Arc<dyn CredentialProvider>,
    identity: Identity,
}

impl CredentialProvider for AsIdentity {
    fn credentials(&self) -> Result<SessionCredentials, ProviderError> {
        let app = self.app.credentials()?.app;
        Ok(SessionCredentials::new(app, self.identity.clone()))
    }
}

impl<M: Mode> ManagedSession<M> {
    /// Logs `identity` in on the token, renewing as that user afterwards.
    pub(crate) async fn login_identity(&self, identity: Identity) -> Result<User, Error> {
        let app = self
            .shared
            .app
            .clone()
            .ok_or(Error::LoginNeedsCredentials)?;
        self.login_provider(Arc::new(AsIdentity { app, identity }))
            .await
    }

    /// Logs in the identity `provider` gives, renewing with its
    /// credentials afterwards.
    pub(crate) async fn login_provider(
        &self,
        provider: Arc<dyn CredentialProvider>,
    ) -> Result<User, Error> {
        let identity = provider.credentials()?.identity;
        let client = &self.shared.client;
        let identity = &identity;
        let (token, user) = self
            .on_live_token(|token| async move {
                let user = client.run(LoginCall::new(&token, identity)).await?;
                Ok((token, user))
            })
            .await?;
        self.leave_sharing();
        self.shared.lifecycle.with(|l| {
            l.set_mode(RenewalMode::Credentials(provider));
            l.set_user(&token, Some(user.id));
        });
        M::notify(&self.shared.renewed);
        Ok(user)
    }

    /// Logs the user out of the token; renewals create application
    /// sessions afterwards.
    pub(crate) async fn logout_user(&self) -> Result<(), Error> {
        let client = &self.shared.client;
        let token = self
            .on_live_token(|token| async move {
                client.run(LogoutCall::new(&token)).await?;
                Ok(token)
            })
            .await?;
        let app = self.shared.app.clone();
        self.leave_sharing();
        self.shared.lifecycle.with(|l| {
            if let Some(app) = app {
                let identity = Identity::application();
                l.set_mode(RenewalMode::credentials(AsIdentity { app, identity }));
            }
            l.set_user(&token, None);
        });
        M::notify(&self.shared.renewed);
        Ok(())
    }

    /// The token now belongs to another identity than the one the fleet's
    /// key and the store were given for: leave both.
    fn leave_sharing(&self) {
        self.shared.left_fleet.store(true, Ordering::Release);
        self.shared.lifecycle.leave_store();
    }

    /// Runs `call` with a valid token; once more with a new one when the
    /// server says the first has expired.
    async fn on_live_token<T, F, Fut>(&self, call: F) -> Result<T, Error>
    where
        F: Fn(SessionToken) -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let token = self.valid_token().await?;
        match call(token.clone()).await {
            Err(Error::Api(e)) if e.kind() == ErrorKind::SessionExpired => {
                self.shared
                    .lifecycle
                    .with(|l| l.on_session_rejected(SystemTime::now(), &token));
                call(self.valid_token().await?).await
            }
            other => other,
        }
    }
}

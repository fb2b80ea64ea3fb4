//! The names a transport crate gives the client's types.

/// Declares `Client`, `ClientBuilder`, `ManagedSession`,
/// `ManagedSessionBuilder` and `ApiKeyClient` for one transport, and
/// re-exports `SessionSource`, so that its users write `Client::builder()` and nothing else.
/// Used by `qb-auth-reqwest` and `qb-auth-ureq`; a transport crate of your
/// own can use it the same way.
///
/// ```
/// # mod example {
/// # use std::time::Duration;
/// # use qb_auth_client::{Response, Transport};
/// # use qb_auth_core::{HttpRequest, TransportError, TransportErrorKind};
/// # pub struct MyHttp;
/// # impl Transport for MyHttp {
/// #     async fn send(&self, _: HttpRequest, _: u64) -> Result<Response, TransportError> {
/// #         Err(TransportError::from_kind(TransportErrorKind::Other))
/// #     }
/// #     async fn sleep(&self, _: Duration) {}
/// # }
/// qb_auth_client::client_types!(Async<MyHttp>);
/// # }
/// let _builder = example::Client::builder();
/// ```
#[macro_export]
macro_rules! client_types {
    ($mode:ident < $transport:ty >) => {
        /// The client over this crate's transport: one-shot calls,
        /// `managed` sessions and `with_api_key`.
        pub type Client = $crate::Client<$crate::$mode<$transport>>;
        /// Configures a [`Client`].
        pub type ClientBuilder = $crate::ClientBuilder<$crate::$mode<$transport>>;
        /// A session kept valid for every caller that shares it.
        pub type ManagedSession = $crate::ManagedSession<$crate::$mode<$transport>>;
        /// Configures a [`ManagedSession`].
        pub type ManagedSessionBuilder = $crate::ManagedSessionBuilder<$crate::$mode<$transport>>;
        /// Requests with an API key instead of a session.
        pub type ApiKeyClient = $crate::ApiKeyClient<$crate::$mode<$transport>>;
        /// Where a [`ManagedSession`] gets its tokens.
        pub use $crate::SessionSource;
    };
}

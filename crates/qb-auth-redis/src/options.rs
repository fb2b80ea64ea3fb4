//! What both stores are configured with.

use std::time::Duration;

use crate::layout::DEFAULT_PREFIX;

/// The bound on each call, and the keys' prefix.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub(crate) timeout: Duration,
    pub(crate) prefix: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: crate::DEFAULT_TIMEOUT,
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }
}

/// The opening and the settings both stores have, written once: `open`,
/// `with_timeout`, `with_prefix`, and the key names a store uses. `$store`
/// holds `client`, `options` and `connection: Mutex<Option<_>>`. (Entry
/// points with examples that `cargo xtask docs` cannot see in a macro;
/// the examples run as doc tests of each store.)
#[cfg(any(feature = "async", feature = "blocking"))]
macro_rules! store_settings {
    ($store:ident) => {
        impl $store {
            /// A store on the Redis at `url`
            /// (`redis://[user:password@]host:port/db`, `rediss://` with
            /// the `tls` feature, or `redis+unix:///path`), as the redis
            /// crate reads it. Nothing is sent until the first renewal.
            ///
            /// # Errors
            ///
            /// A URL the redis crate does not take (the error does not
            /// repeat it: it may hold a password).
            ///
            /// ```
            #[doc = concat!("use qb_auth_redis::", stringify!($store), ";")]
            ///
            #[doc = concat!("assert!(", stringify!($store), "::open(\"redis://127.0.0.1:6379/\").is_ok());")]
            #[doc = concat!("let err = ", stringify!($store), "::open(\"http://user:hunter2@example/\").unwrap_err();")]
            /// assert!(!err.to_string().contains("hunter2"));
            /// ```
            pub fn open(url: &str) -> Result<Self, qb_auth_client::store::StoreError> {
                Ok(Self {
                    client: $crate::layout::open_client(url)?,
                    options: $crate::options::Options::default(),
                    connection: std::sync::Mutex::new(None),
                })
            }

            /// Bounds each call to Redis (1 s by default): past it the
            /// managed session renews on its own.
            ///
            /// ```
            /// use std::time::Duration;
            #[doc = concat!("use qb_auth_redis::", stringify!($store), ";")]
            ///
            #[doc = concat!("let store = ", stringify!($store), "::open(\"redis://127.0.0.1/\")?.with_timeout(Duration::from_millis(300));")]
            /// # Ok::<(), qb_auth_client::store::StoreError>(())
            /// ```
            #[must_use]
            pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
                self.options.timeout = timeout.max(std::time::Duration::from_millis(1));
                self
            }

            /// Prefixes every key (`qb-auth:` by default), to keep several
            /// deployments apart in one database.
            ///
            /// ```
            #[doc = concat!("use qb_auth_redis::", stringify!($store), ";")]
            ///
            #[doc = concat!("let store = ", stringify!($store), "::open(\"redis://127.0.0.1/\")?.with_prefix(\"staging:qb-auth:\");")]
            /// # Ok::<(), qb_auth_client::store::StoreError>(())
            /// ```
            #[must_use]
            pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
                self.options.prefix = prefix.into();
                self
            }

            fn names(&self, key: &qb_auth_client::fleet::FleetKey) -> $crate::layout::Names {
                $crate::layout::Names::new(&self.options.prefix, key)
            }
        }
    };
}

#[cfg(any(feature = "async", feature = "blocking"))]
pub(crate) use store_settings;

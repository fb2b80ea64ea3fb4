//! What both stores are opened and configured with.

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

/// The openings and the settings both stores have, written once: `open`,
/// `open_cluster`, `open_sentinel`, `with_timeout` and `with_prefix`.
/// `$store` has `engine: Engine` and `fn new(Target) -> Result<Self,
/// StoreError>`. (Entry points with examples that `cargo xtask docs`
/// cannot see in a macro; the examples run as doc tests of each store.)
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
                Self::new($crate::target::Target::single(url)?)
            }

            /// A store on a Redis Cluster: `nodes` are `redis://` (or
            /// `rediss://`) URLs of its nodes, with the same password;
            /// one that answers is enough, the client finds the rest and
            /// follows slots as they move. The fleet's keys share one
            /// slot; its notifications use plain pub/sub, which every node
            /// relays, so a slot moving does not lose them. Nothing is sent
            /// until the first renewal.
            ///
            /// # Errors
            ///
            /// No URL, a URL the redis crate does not take, or nodes with
            /// different passwords (the error repeats no URL).
            ///
            /// ```
            #[doc = concat!("use qb_auth_redis::", stringify!($store), ";")]
            ///
            #[doc = concat!("let store = ", stringify!($store), "::open_cluster(&[\"redis://10.0.0.1:6379/\", \"redis://10.0.0.2:6379/\"])?;")]
            #[doc = concat!("assert!(", stringify!($store), "::open_cluster(&[]).is_err());")]
            /// # Ok::<(), qb_auth_client::store::StoreError>(())
            /// ```
            pub fn open_cluster(nodes: &[&str]) -> Result<Self, qb_auth_client::store::StoreError> {
                Self::new($crate::target::Target::cluster(nodes)?)
            }

            /// A store on the master that the Sentinels at `sentinels`
            /// (`redis://host:26379/` URLs) name `master_name`. The user,
            /// password and database in the URLs are the master's, as in
            /// a plain URL (the Sentinels themselves are asked without a
            /// password). After a failover the next call finds the
            /// promoted replica; a renewal under way then may renew alone
            /// (see the crate's docs for what a failover costs). Nothing
            /// is sent until the first renewal.
            ///
            /// # Errors
            ///
            /// No URL, a URL the redis crate does not take, or URLs that
            /// give the master different credentials (the error repeats no
            /// URL).
            ///
            /// ```
            #[doc = concat!("use qb_auth_redis::", stringify!($store), ";")]
            ///
            /// let sentinels = ["redis://:hunter2@10.0.0.1:26379/", "redis://:hunter2@10.0.0.2:26379/"];
            #[doc = concat!("let store = ", stringify!($store), "::open_sentinel(&sentinels, \"mymaster\")?;")]
            /// let differ = ["redis://:hunter2@10.0.0.1:26379/", "redis://:other@10.0.0.2:26379/"];
            #[doc = concat!("let err = ", stringify!($store), "::open_sentinel(&differ, \"mymaster\").unwrap_err();")]
            /// assert!(!err.to_string().contains("hunter2"));
            /// # Ok::<(), qb_auth_client::store::StoreError>(())
            /// ```
            pub fn open_sentinel(
                sentinels: &[&str],
                master_name: &str,
            ) -> Result<Self, qb_auth_client::store::StoreError> {
                Self::new($crate::target::Target::sentinel(sentinels, master_name)?)
            }

            /// Bounds each call to Redis (1 s by default), connecting and a
            /// master's lookup included: past it the managed session renews
            /// on its own.
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
                self.engine.options.timeout = timeout.max(std::time::Duration::from_millis(1));
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
                self.engine.options.prefix = prefix.into();
                self
            }
        }

        impl std::fmt::Debug for $store {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                // The URLs may hold a password: left out.
                f.debug_struct(stringify!($store))
                    .field("deployment", &self.engine.kind())
                    .field("options", &self.engine.options)
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use store_settings;

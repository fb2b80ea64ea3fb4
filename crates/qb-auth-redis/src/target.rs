//! How a store reaches its Redis: one server, a Redis Cluster (any node's
//! URL finds the rest), or the master that Sentinels name. Whichever it
//! is, the store keeps one connection in RESP3, so that the messages it
//! subscribes to arrive on that same connection.

use std::sync::Arc;
use std::time::Duration;

use qb_auth_client::store::StoreError;
use redis::aio::MultiplexedConnection;
use redis::cluster::ClusterClientBuilder;
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Cmd, ConnectionInfo, IntoConnectionInfo, Pipeline, ProtocolVersion,
    RedisFuture, RedisResult, TlsMode, Value,
};

use crate::errors::bad_url;
use crate::wakeups::Wakeups;

/// Where the store's Redis is.
pub(crate) enum Target {
    /// One server.
    Single(redis::Client),
    /// A Redis Cluster, from the nodes given (one is enough).
    Cluster(Vec<ConnectionInfo>),
    /// The master the Sentinels name, asked again on every new connection
    /// (after a failover, the promoted replica).
    Sentinel(tokio::sync::Mutex<SentinelClient>),
}

impl Target {
    /// One server at `url`.
    pub(crate) fn single(url: &str) -> Result<Self, StoreError> {
        let info = resp3(connection_info(url)?);
        let client = redis::Client::open(info).map_err(|e| bad_url(&e))?;
        Ok(Self::Single(client))
    }

    /// A cluster, from `nodes`' URLs (the same password and database in
    /// each).
    pub(crate) fn cluster(nodes: &[&str]) -> Result<Self, StoreError> {
        let nodes = nodes
            .iter()
            .map(|url| connection_info(url).map(resp3))
            .collect::<Result<Vec<_>, _>>()?;
        // Checked now (an empty list, passwords that differ); built again
        // with the store's timeout at each connection.
        ClusterClientBuilder::new(nodes.clone())
            .build()
            .map_err(|e| bad_url(&e))?;
        Ok(Self::Cluster(nodes))
    }

    /// The master the Sentinels at `sentinels` name `master_name`; the
    /// user, password and database in their URLs are the master's.
    pub(crate) fn sentinel(sentinels: &[&str], master_name: &str) -> Result<Self, StoreError> {
        let infos = sentinels
            .iter()
            .map(|url| connection_info(url))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = infos.first() else {
            return Err(StoreError::new("no Sentinel URL given"));
        };
        let master = first.redis_settings().clone();
        if infos.iter().any(|info| {
            let other = info.redis_settings();
            (other.username(), other.password(), other.db())
                != (master.username(), master.password(), master.db())
        }) {
            return Err(StoreError::new(
                "the Sentinel URLs give different users, passwords or databases for the master",
            ));
        }
        let tls = matches!(first.addr(), redis::ConnectionAddr::TcpTls { .. });
        let mut builder = SentinelClientBuilder::new(
            infos.iter().map(|info| info.addr().clone()),
            master_name,
            SentinelServerType::Master,
        )
        .map_err(|e| bad_url(&e))?
        .set_client_to_redis_protocol(ProtocolVersion::RESP3)
        .set_client_to_redis_db(master.db());
        if let Some(username) = master.username() {
            builder = builder.set_client_to_redis_username(username);
        }
        if let Some(password) = master.password() {
            builder = builder.set_client_to_redis_password(password);
        }
        if tls {
            builder = builder.set_client_to_redis_tls_mode(TlsMode::Secure);
        }
        let client = builder.build().map_err(|e| bad_url(&e))?;
        Ok(Self::Sentinel(tokio::sync::Mutex::new(client)))
    }

    /// A new connection, each of its steps bounded by `timeout` (the
    /// caller bounds the whole), its pushes handed to `wakeups`.
    pub(crate) async fn connect(
        &self,
        wakeups: &Arc<Wakeups>,
        timeout: Duration,
    ) -> RedisResult<Connection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_push_sender(wakeups.sender());
        match self {
            Self::Single(client) => client
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map(Connection::Plain),
            Self::Sentinel(sentinels) => {
                let master = sentinels.lock().await.async_get_client().await?;
                master
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map(Connection::Plain)
            }
            Self::Cluster(nodes) => ClusterClientBuilder::new(nodes.clone())
                .use_protocol(ProtocolVersion::RESP3)
                .push_sender(wakeups.sender())
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .build()?
                .get_async_connection()
                .await
                .map(|c| Connection::Cluster(Box::new(c))),
        }
    }

    /// What kind of deployment, for `Debug`.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Self::Single(_) => "single",
            Self::Cluster(_) => "cluster",
            Self::Sentinel(_) => "sentinel",
        }
    }
}

/// `url` as the redis crate reads it. A `rediss://` URL needs the `tls`
/// feature; rustls then needs a process-wide crypto provider to build its
/// configuration, and in a program whose dependencies bring more than one
/// it cannot pick one itself, so ring is installed when none is.
fn connection_info(url: &str) -> Result<ConnectionInfo, StoreError> {
    #[cfg(feature = "tls")]
    if url.starts_with("rediss:") && rustls::crypto::CryptoProvider::get_default().is_none() {
        // Losing a race with another installer is fine: one is in place.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    url.into_connection_info().map_err(|e| bad_url(&e))
}

/// `info` speaking RESP3: replies and subscribed messages share the one
/// connection (Redis 6 or later).
fn resp3(info: ConnectionInfo) -> ConnectionInfo {
    let redis = info
        .redis_settings()
        .clone()
        .set_protocol(ProtocolVersion::RESP3);
    info.set_redis_settings(redis)
}

/// The store's kept connection.
#[derive(Clone)]
pub(crate) enum Connection {
    /// To one server (a Sentinel-named master too): multiplexed.
    Plain(MultiplexedConnection),
    /// To a cluster: one per node, commands routed by slot, redirections
    /// and slot moves followed, subscriptions made again after either.
    Cluster(Box<redis::cluster_async::ClusterConnection>),
}

impl Connection {
    /// Subscribes to `channel` (plain pub/sub: in a cluster, a message
    /// published on any node reaches every node, so a subscription
    /// survives the slot moving).
    pub(crate) async fn subscribe(&mut self, channel: &str) -> RedisResult<()> {
        match self {
            Self::Plain(c) => c.subscribe(channel).await,
            Self::Cluster(c) => c.subscribe(channel).await,
        }
    }
}

impl redis::aio::ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Plain(c) => c.req_packed_command(cmd),
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Plain(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Plain(c) => c.get_db(),
            Self::Cluster(c) => c.get_db(),
        }
    }
}

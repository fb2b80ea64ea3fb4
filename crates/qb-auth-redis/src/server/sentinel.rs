//! A master, a replica and three Sentinels watching them, on free loopback
//! ports: to see a fleet follow a failover.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::{RedisServer, find_binary, scratch_dir, wait_until};

/// How long the group may take to come up, or to fail over.
const SETTLE: Duration = Duration::from_secs(60);

/// Where `redis-sentinel` is, from `PATH` (or the Debian package's place:
/// `apt-get install redis-sentinel`); `None` on a machine without it.
pub fn find_sentinel() -> Option<PathBuf> {
    find_binary("redis-sentinel")
}

/// A master, one replica of it and three Sentinels (quorum 2) that promote
/// the replica a second after the master stops answering; each a
/// [`RedisServer`] of its own, stopped and removed when dropped.
///
/// ```no_run
/// use std::time::Duration;
/// use qb_auth_redis::server::{self, RedisSentinels};
///
/// # fn main() -> std::io::Result<()> {
/// if let (Some(redis), Some(sentinel)) = (server::find(), server::find_sentinel()) {
///     let mut group = RedisSentinels::start(redis, sentinel)?;
///     let before = group.master_port()?;
///     group.kill_master()?;
///     let after = group.wait_for_failover(before, Duration::from_secs(60))?;
///     assert_ne!(before, after);
///     println!("{:?} watch {}", group.sentinel_urls(), RedisSentinels::MASTER_NAME);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisSentinels {
    /// The master and the replica, in the order they were started.
    servers: Vec<RedisServer>,
    sentinels: Vec<RedisServer>,
    dirs: Vec<PathBuf>,
}

impl RedisSentinels {
    /// The name the Sentinels know the master by.
    pub const MASTER_NAME: &'static str = "qb-auth-master";

    /// Starts the master and its replica (`redis-server`), then three
    /// Sentinels (`redis-sentinel`) watching them, and waits until the
    /// replica is in sync and every Sentinel knows the replica and the
    /// other two.
    ///
    /// # Errors
    ///
    /// When a server does not start, or the group is not ready within
    /// 60 s.
    pub fn start(server: PathBuf, sentinel: PathBuf) -> io::Result<Self> {
        let mut group = Self {
            servers: Vec::new(),
            sentinels: Vec::new(),
            dirs: Vec::new(),
        };
        // Each in a directory of its own: a full resync writes the data
        // to a file there.
        let dir = scratch_dir("master")?;
        group.dirs.push(dir.clone());
        let master = RedisServer::start_with(server.clone(), &["--dir", &dir.to_string_lossy()])?;
        let master_port = master.port().to_string();
        group.servers.push(master);
        let dir = scratch_dir("replica")?;
        group.dirs.push(dir.clone());
        let replica = RedisServer::start_with(
            server,
            &[
                "--dir",
                &dir.to_string_lossy(),
                "--replicaof",
                "127.0.0.1",
                &master_port,
            ],
        )?;
        group.servers.push(replica);
        wait_until(SETTLE, "the replica did not sync", || {
            let info = group.servers[1].command(&["INFO", "replication"])?;
            Ok(String::from_utf8_lossy(&info).contains("master_link_status:up"))
        })?;
        for _ in 0..3 {
            let dir = scratch_dir("sentinel")?;
            group.dirs.push(dir.clone());
            let config = dir.join("sentinel.conf");
            let name = Self::MASTER_NAME;
            std::fs::write(
                &config,
                format!(
                    "dir {dir}\n\
                     sentinel resolve-hostnames no\n\
                     sentinel monitor {name} 127.0.0.1 {master_port} 2\n\
                     sentinel down-after-milliseconds {name} 1000\n\
                     sentinel failover-timeout {name} 10000\n\
                     sentinel parallel-syncs {name} 1\n",
                    dir = dir.display()
                ),
            )?;
            let node =
                RedisServer::start_on_free_port(
                    sentinel.clone(),
                    Some(config),
                    |_| Ok(Vec::new()),
                )?;
            group.sentinels.push(node);
        }
        wait_until(SETTLE, "the Sentinels did not find each other", || {
            for sentinel in &group.sentinels {
                let master = sentinel.command(&["SENTINEL", "MASTER", Self::MASTER_NAME])?;
                let master = String::from_utf8_lossy(&master).into_owned();
                let field = |name: &str| {
                    let mut lines = master.lines();
                    lines
                        .find(|l| *l == name)
                        .and(lines.next())
                        .map(str::to_owned)
                };
                if field("num-slaves").as_deref() != Some("1")
                    || field("num-other-sentinels").as_deref() != Some("2")
                {
                    return Ok(false);
                }
            }
            Ok(true)
        })?;
        Ok(group)
    }

    /// Each Sentinel's `redis://127.0.0.1:<port>/`.
    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels.iter().map(RedisServer::url).collect()
    }

    /// The master and the replica (which the Sentinels may have swapped).
    pub fn servers(&self) -> &[RedisServer] {
        &self.servers
    }

    /// The port of the master, as the first Sentinel that answers names it.
    ///
    /// # Errors
    ///
    /// When no Sentinel names one.
    pub fn master_port(&self) -> io::Result<u16> {
        let mut last = io::Error::other("no Sentinel answered");
        for sentinel in &self.sentinels {
            let answer =
                match sentinel.command(&["SENTINEL", "GET-MASTER-ADDR-BY-NAME", Self::MASTER_NAME])
                {
                    Ok(answer) => answer,
                    Err(err) => {
                        last = err;
                        continue;
                    }
                };
            let answer = String::from_utf8_lossy(&answer).into_owned();
            if let Some(port) = answer.lines().nth(2).and_then(|p| p.parse().ok()) {
                return Ok(port);
            }
        }
        Err(last)
    }

    /// The server that is the master now.
    ///
    /// # Errors
    ///
    /// As [`master_port`](Self::master_port), or when it is neither of
    /// ours.
    pub fn master(&self) -> io::Result<&RedisServer> {
        let port = self.master_port()?;
        self.servers
            .iter()
            .find(|s| s.port() == port)
            .ok_or_else(|| io::Error::other("the Sentinels name a master that is not ours"))
    }

    /// Kills the master with SIGKILL, as a crash would.
    ///
    /// # Errors
    ///
    /// As [`master_port`](Self::master_port).
    pub fn kill_master(&mut self) -> io::Result<()> {
        let port = self.master_port()?;
        if let Some(master) = self.servers.iter_mut().find(|s| s.port() == port) {
            master.stop();
        }
        Ok(())
    }

    /// Waits until every Sentinel names a master other than the one on
    /// `old_port`, and it answers as a master; returns its port.
    ///
    /// # Errors
    ///
    /// When that does not happen within `within`.
    pub fn wait_for_failover(&self, old_port: u16, within: Duration) -> io::Result<u16> {
        let mut new = 0;
        wait_until(within, "the Sentinels did not fail over", || {
            new = self.master_port()?;
            for sentinel in &self.sentinels {
                let answer = sentinel.command(&[
                    "SENTINEL",
                    "GET-MASTER-ADDR-BY-NAME",
                    Self::MASTER_NAME,
                ])?;
                let port = String::from_utf8_lossy(&answer)
                    .lines()
                    .nth(2)
                    .and_then(|p| p.parse::<u16>().ok());
                if port != Some(new) || new == old_port {
                    return Ok(false);
                }
            }
            let Some(master) = self.servers.iter().find(|s| s.port() == new) else {
                return Ok(false);
            };
            let role = master.command(&["ROLE"])?;
            Ok(String::from_utf8_lossy(&role).lines().nth(1) == Some("master"))
        })?;
        Ok(new)
    }
}

impl Drop for RedisSentinels {
    fn drop(&mut self) {
        for server in self.sentinels.iter_mut().chain(&mut self.servers) {
            server.stop();
        }
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

//! A Redis Cluster of `redis-server`s on free loopback ports, formed
//! without `redis-cli`: each node is given its slots and told about the
//! others, and the cluster is ready when every node says so.

use std::io;
use std::path::PathBuf;
use std::time::Duration;

use super::{RedisServer, scratch_dir, wait_until};

/// The number of hash slots in a Redis Cluster.
const SLOTS: u16 = 16384;

/// How long a cluster may take to form, or to agree on a moved slot.
const SETTLE: Duration = Duration::from_secs(30);

/// A Redis Cluster of masters without replicas, each a [`RedisServer`] of
/// its own (cluster bus on another free port, no persistence), the slots
/// shared out evenly; stopped and removed when dropped.
///
/// ```no_run
/// use qb_auth_redis::server::{self, RedisCluster};
///
/// # fn main() -> std::io::Result<()> {
/// if let Some(binary) = server::find() {
///     let cluster = RedisCluster::start(binary, 3)?;
///     let slot = cluster.slot_of("{app}:session")?;
///     let owner = cluster.owner(slot)?;
///     // Resharding while clients run: the slot and its keys move.
///     cluster.move_slot(slot, (owner + 1) % 3)?;
///     assert_eq!(cluster.owner(slot)?, (owner + 1) % 3);
///     println!("{:?}", cluster.urls());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisCluster {
    nodes: Vec<RedisServer>,
    dirs: Vec<PathBuf>,
}

impl RedisCluster {
    /// Starts `masters` nodes of `binary` (`redis-server` 7 or later),
    /// shares the slots out between them and waits until every node says
    /// the cluster is ready.
    ///
    /// # Errors
    ///
    /// When a node does not start, or the cluster does not form within
    /// 30 s.
    pub fn start(binary: PathBuf, masters: usize) -> io::Result<Self> {
        if masters == 0 || masters > usize::from(SLOTS) {
            return Err(io::Error::other("a cluster needs 1 to 16384 masters"));
        }
        let mut cluster = Self {
            nodes: Vec::new(),
            dirs: Vec::new(),
        };
        for _ in 0..masters {
            let dir = scratch_dir("cluster")?;
            cluster.dirs.push(dir.clone());
            let node = RedisServer::start_on_free_port(binary.clone(), None, |_| {
                let bus = super::free_port()?;
                Ok([
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                    "--cluster-port",
                    &bus.to_string(),
                    "--dir",
                    &dir.to_string_lossy(),
                ]
                .map(str::to_owned)
                .to_vec())
            })?;
            cluster.nodes.push(node);
        }
        cluster.form()?;
        Ok(cluster)
    }

    /// Gives each node its share of the slots and a config epoch of its
    /// own, introduces them, and waits until all agree.
    fn form(&self) -> io::Result<()> {
        let count = self.nodes.len() as u32;
        for (i, node) in self.nodes.iter().enumerate() {
            let i = i as u32;
            let first = u32::from(SLOTS) * i / count;
            let last = u32::from(SLOTS) * (i + 1) / count - 1;
            ok(node.command(&["CLUSTER", "SET-CONFIG-EPOCH", &(i + 1).to_string()])?)?;
            ok(node.command(&[
                "CLUSTER",
                "ADDSLOTSRANGE",
                &first.to_string(),
                &last.to_string(),
            ])?)?;
        }
        for node in &self.nodes[1..] {
            let bus = super::option(&node.args, "--cluster-port").unwrap_or_default();
            let port = node.port().to_string();
            ok(self.nodes[0].command(&["CLUSTER", "MEET", "127.0.0.1", &port, bus])?)?;
        }
        self.wait_ready()
    }

    /// Stops every node (SIGKILL, as a crash would); their cluster
    /// configuration is kept for [`restart`](Self::restart).
    pub fn stop(&mut self) {
        for node in &mut self.nodes {
            node.stop();
        }
    }

    /// Starts every node again on its port, empty but with its slots, and
    /// waits until every node says the cluster is ready.
    ///
    /// # Errors
    ///
    /// When a node does not come back, or the cluster is not ready within
    /// 30 s.
    pub fn restart(&mut self) -> io::Result<()> {
        for node in &mut self.nodes {
            node.restart()?;
        }
        self.wait_ready()
    }

    /// Waits until every node knows the others and says the cluster is
    /// ready.
    fn wait_ready(&self) -> io::Result<()> {
        let count = self.nodes.len();
        wait_until(SETTLE, "the cluster was not ready", || {
            for node in &self.nodes {
                let info =
                    String::from_utf8_lossy(&node.command(&["CLUSTER", "INFO"])?).into_owned();
                let known = format!("cluster_known_nodes:{count}");
                if !info.contains("cluster_state:ok") || !info.contains(&known) {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    /// The nodes, in the order they were started.
    pub fn nodes(&self) -> &[RedisServer] {
        &self.nodes
    }

    /// Each node's `redis://127.0.0.1:<port>/`: any one of them is enough
    /// for a cluster client to find the rest.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(RedisServer::url).collect()
    }

    /// The hash slot of `key` (`CLUSTER KEYSLOT`).
    ///
    /// # Errors
    ///
    /// When the first node does not answer with a slot.
    pub fn slot_of(&self, key: &str) -> io::Result<u16> {
        let answer = self.nodes[0].command(&["CLUSTER", "KEYSLOT", key])?;
        String::from_utf8_lossy(&answer)
            .trim()
            .strip_prefix(':')
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| io::Error::other("CLUSTER KEYSLOT answered no slot"))
    }

    /// Which node (its index in [`nodes`](Self::nodes)) serves `slot`, as
    /// the first node sees it.
    ///
    /// # Errors
    ///
    /// When no node serves it.
    pub fn owner(&self, slot: u16) -> io::Result<usize> {
        self.owner_seen_by(0, slot)?
            .ok_or_else(|| io::Error::other(format!("no node serves slot {slot}")))
    }

    fn owner_seen_by(&self, viewer: usize, slot: u16) -> io::Result<Option<usize>> {
        let nodes = self.nodes[viewer].command(&["CLUSTER", "NODES"])?;
        let nodes = String::from_utf8_lossy(&nodes).into_owned();
        for line in nodes.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 || !fields[2].contains("master") {
                continue;
            }
            let serves = fields[8..].iter().any(|range| {
                let mut ends = range.splitn(2, '-').map(|n| n.parse::<u16>());
                match (ends.next(), ends.next()) {
                    (Some(Ok(first)), Some(Ok(last))) => (first..=last).contains(&slot),
                    (Some(Ok(only)), None) => only == slot,
                    _ => false,
                }
            });
            if serves {
                let port = fields[1].split(['@', ',']).next().unwrap_or_default();
                let port = port.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                return Ok(self.nodes.iter().position(|n| Some(n.port()) == port));
            }
        }
        Ok(None)
    }

    /// Moves `slot`, with its keys, to node `to`, as resharding does
    /// (`CLUSTER SETSLOT ... IMPORTING / MIGRATING`, `MIGRATE` of its keys,
    /// `SETSLOT ... NODE` on every node), and waits until every node
    /// agrees.
    ///
    /// # Errors
    ///
    /// When a step fails, or the nodes do not agree within 30 s.
    pub fn move_slot(&self, slot: u16, to: usize) -> io::Result<()> {
        let from = self.owner(slot)?;
        if from == to {
            return Ok(());
        }
        let (source, target) = (&self.nodes[from], &self.nodes[to]);
        let id = |node: &RedisServer| -> io::Result<String> {
            Ok(
                String::from_utf8_lossy(&node.command(&["CLUSTER", "MYID"])?)
                    .trim()
                    .to_owned(),
            )
        };
        let (source_id, target_id) = (id(source)?, id(target)?);
        let slot_text = slot.to_string();
        ok(target.command(&["CLUSTER", "SETSLOT", &slot_text, "IMPORTING", &source_id])?)?;
        ok(source.command(&["CLUSTER", "SETSLOT", &slot_text, "MIGRATING", &target_id])?)?;
        loop {
            let keys = source.command(&["CLUSTER", "GETKEYSINSLOT", &slot_text, "100"])?;
            let keys = String::from_utf8_lossy(&keys).into_owned();
            let keys: Vec<&str> = keys.lines().skip(1).collect();
            if keys.is_empty() {
                break;
            }
            let port = target.port().to_string();
            let mut migrate = vec!["MIGRATE", "127.0.0.1", &port, "", "0", "5000", "KEYS"];
            migrate.extend(keys);
            ok(source.command(&migrate)?)?;
        }
        // The target first, then the source, then the others.
        let order = std::iter::once(to)
            .chain(std::iter::once(from))
            .chain((0..self.nodes.len()).filter(|&i| i != to && i != from));
        for i in order {
            ok(self.nodes[i].command(&["CLUSTER", "SETSLOT", &slot_text, "NODE", &target_id])?)?;
        }
        wait_until(SETTLE, "the nodes did not agree on the moved slot", || {
            for viewer in 0..self.nodes.len() {
                if self.owner_seen_by(viewer, slot)? != Some(to) {
                    return Ok(false);
                }
            }
            Ok(true)
        })
    }

    /// Every node's [`RedisServer::dump`], one after the other.
    ///
    /// # Errors
    ///
    /// As [`RedisServer::command`].
    pub fn dump(&self) -> io::Result<String> {
        let mut all = String::new();
        for node in &self.nodes {
            all.push_str(&node.dump()?);
        }
        Ok(all)
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.stop();
        }
        for dir in &self.dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// An answer that is not an error, or the error as `io::Error`.
fn ok(answer: Vec<u8>) -> io::Result<()> {
    if answer.first() == Some(&b'-') {
        return Err(io::Error::other(
            String::from_utf8_lossy(&answer).trim().to_owned(),
        ));
    }
    Ok(())
}

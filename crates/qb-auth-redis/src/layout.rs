//! Where a fleet's session lives in Redis: the names of one fleet key's
//! keys and channel, all in one cluster slot.

use qb_auth_client::fleet::FleetKey;

/// The prefix of every key unless set otherwise.
pub(crate) const DEFAULT_PREFIX: &str = "qb-auth:";

/// The names of one fleet key's Redis keys: `:session`, a hash of the
/// version, the session's snapshot and when it stops being live (ms), and
/// `:lease`. The fleet key sits in a hash tag (`{...}`), so both are in
/// one cluster slot, as the scripts need; the channel `:changed` too, so
/// that a cluster client subscribes on the node that serves them.
#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) session: String,
    pub(crate) lease: String,
    pub(crate) channel: String,
}

impl Names {
    pub(crate) fn new(prefix: &str, key: &FleetKey) -> Self {
        let base = format!("{prefix}{{{key}}}");
        Self {
            session: format!("{base}:session"),
            lease: format!("{base}:lease"),
            channel: format!("{base}:changed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_share_one_hash_tag() {
        let names = Names::new("p:", &FleetKey::named(7, "workers"));
        let tag = |k: &str| k[k.find('{').unwrap()..=k.find('}').unwrap()].to_owned();
        assert_eq!(tag(&names.session), tag(&names.lease));
        assert_eq!(tag(&names.session), tag(&names.channel));
        assert!(names.session.starts_with("p:{7:"));
    }
}

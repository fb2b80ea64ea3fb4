//! Whether a snapshot that came from outside this process (a file, a
//! fleet's shared store) may be used: the same checks wherever it came
//! from, so that a planted or corrupted copy is refused everywhere alike.
//!
//! Reasons never quote the snapshot: it holds the token.

use std::time::{Duration, SystemTime};

use qb_auth_core::lifecycle::{LifecycleSnapshot, Policy, SessionCredentials};

/// The longest token accepted. QuickBlox's are 40 hex characters or JWTs
/// of a few hundred bytes.
const MAX_TOKEN_LEN: usize = 4096;

/// How far past a session's lifetime a copy may claim to stay valid (the
/// publisher's clock may run a little ahead of this one).
const LIFETIME_SLACK: Duration = Duration::from_secs(60);

/// What a snapshot must be to be used by this session.
#[derive(Debug, Clone)]
pub(crate) struct Expected {
    /// The application the session must belong to, when known.
    pub(crate) application_id: Option<u64>,
    /// `Some(true)`: a user's session; `Some(false)`: an application's;
    /// `None`: either.
    pub(crate) user: Option<bool>,
    /// The longest a session stays valid after it was last used.
    pub(crate) lifetime: Duration,
}

impl Expected {
    /// Any application's and identity's session, living as long as
    /// QuickBlox's sessions do (or `policy` says, if longer).
    pub(crate) fn any(policy: &Policy) -> Self {
        Self {
            application_id: None,
            user: None,
            lifetime: policy.default_ttl().max(Policy::default().default_ttl()),
        }
    }

    /// A session of the application and identity kind `credentials` name,
    /// when known (a source without credentials, or whose provider failed,
    /// leaves them open).
    pub(crate) fn of(credentials: Option<&SessionCredentials>, policy: &Policy) -> Self {
        Self {
            application_id: credentials.map(|c| c.app.application_id()),
            user: credentials.map(|c| c.identity.is_user()),
            ..Self::any(policy)
        }
    }
}

/// Why `snapshot` may not be used at `now`, or `None` when it may. A
/// snapshot without a session passes: its clock offset is still worth
/// having (the lifecycle bounds it).
pub(crate) fn problem(
    snapshot: &LifecycleSnapshot,
    expected: &Expected,
    now: SystemTime,
) -> Option<String> {
    let (session, until) = (snapshot.session()?, snapshot.valid_until()?);
    if let Some(why) = token_problem(session.token.expose()) {
        return Some(why.to_owned());
    }
    if let (Some(want), Some(got)) = (expected.application_id, session.application_id) {
        if want != got {
            return Some(format!(
                "the saved session is another application's ({got}), not {want}'s"
            ));
        }
    }
    match (expected.user, session.user().is_some()) {
        (Some(false), true) => {
            return Some(
                "the saved session is a user's, and this managed session is an application's"
                    .to_owned(),
            );
        }
        (Some(true), false) => {
            return Some(
                "the saved session is an application's, and this managed session is a user's"
                    .to_owned(),
            );
        }
        _ => {}
    }
    if until <= now {
        return Some("the saved session has expired".to_owned());
    }
    let longest = now + expected.lifetime + LIFETIME_SLACK;
    if until > longest {
        return Some(format!(
            "the saved session claims to stay valid longer than a session lives ({} s)",
            expected.lifetime.as_secs()
        ));
    }
    None
}

/// Why `token` cannot be a QuickBlox session token: empty, too long, or
/// holding anything but visible ASCII (a space, a control character such
/// as CR or LF, which would split the header it goes into).
pub(crate) fn token_problem(token: &str) -> Option<&'static str> {
    if token.is_empty() {
        Some("the saved session's token is empty")
    } else if token.len() > MAX_TOKEN_LEN {
        Some("the saved session's token is longer than any session token")
    } else if !token.bytes().all(|b| b.is_ascii_graphic()) {
        Some("the saved session's token holds characters no session token has")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use qb_auth_core::lifecycle::ClockSkew;
    use qb_auth_core::{Session, SessionToken};

    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn snapshot(token: &str, app: Option<u64>, user: u64, until: SystemTime) -> LifecycleSnapshot {
        let mut session = Session::new(SessionToken::new(token));
        session.application_id = app;
        session.user_id = user;
        LifecycleSnapshot::new(Some((session, until)), ClockSkew::ZERO)
    }

    fn expected(app: Option<u64>, user: Option<bool>) -> Expected {
        Expected {
            application_id: app,
            user,
            ..Expected::any(&Policy::default())
        }
    }

    #[test]
    fn a_session_of_the_expected_kind_within_its_lifetime_passes() {
        let good = snapshot(
            "c56f382b402fb482086db956064592d3cd012bba",
            Some(7),
            0,
            now() + HOUR,
        );
        assert_eq!(problem(&good, &expected(Some(7), Some(false)), now()), None);
        assert_eq!(problem(&good, &expected(None, None), now()), None);
        let empty = LifecycleSnapshot::new(None, ClockSkew::from_secs(5));
        assert_eq!(problem(&empty, &expected(Some(7), Some(true)), now()), None);
    }

    #[test]
    fn every_kind_of_poisoned_copy_is_refused_without_quoting_it() {
        let secret = "t0k3n";
        let cases = [
            (snapshot("", Some(7), 0, now() + HOUR), "empty"),
            (
                snapshot("t0k3n\r\nX-Evil: 1", Some(7), 0, now() + HOUR),
                "characters",
            ),
            (
                snapshot("t0k3n abc", Some(7), 0, now() + HOUR),
                "characters",
            ),
            (
                snapshot(&"t0k3n".repeat(1000), Some(7), 0, now() + HOUR),
                "longer",
            ),
            (
                snapshot(secret, Some(777), 0, now() + HOUR),
                "another application",
            ),
            (snapshot(secret, Some(7), 1001, now() + HOUR), "a user's"),
            (snapshot(secret, Some(7), 0, now()), "expired"),
            (
                snapshot(secret, Some(7), 0, now() + 3 * HOUR),
                "longer than a session lives",
            ),
        ];
        for (snap, why) in cases {
            let reason = problem(&snap, &expected(Some(7), Some(false)), now()).unwrap();
            assert!(reason.contains(why), "{why}: {reason}");
            assert!(!reason.contains(secret), "{reason}");
        }
        let app = snapshot(secret, Some(7), 0, now() + HOUR);
        let reason = problem(&app, &expected(Some(7), Some(true)), now()).unwrap();
        assert!(reason.contains("an application's"), "{reason}");
    }

    #[test]
    fn a_longer_policy_lifetime_is_honoured_and_a_shorter_one_never_refuses_quickblox_s() {
        let long = Policy::default().with_default_ttl(4 * HOUR);
        let shorter = Policy::default().with_default_ttl(HOUR / 2);
        let three_hours = snapshot("t", None, 0, now() + 3 * HOUR);
        assert_eq!(problem(&three_hours, &Expected::any(&long), now()), None);
        let two_hours = snapshot("t", None, 0, now() + 2 * HOUR);
        assert_eq!(problem(&two_hours, &Expected::any(&shorter), now()), None);
    }
}

//! Who is calling: a session token (`QB-Token`) or an API key
//! (`Authorization: ApiKey`, optionally `On-Behalf-Of`).

use std::time::{Instant, SystemTime};

use http::HeaderMap;
use http::header::AUTHORIZATION;
use qb_auth_core::ExposeSecret;
use qb_auth_core::request::{ON_BEHALF_OF, QB_TOKEN};

use crate::answers::Answer;
use crate::identity::secret_eq;
use crate::sessions::Liveness;
use crate::state::Shared;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    Session {
        token: String,
        /// 0 for an application session.
        user_id: u64,
        /// The slid expiry, for `QB-Token-ExpirationDate`.
        expires_at: SystemTime,
    },
    ApiKey {
        on_behalf_of: Option<u64>,
    },
}

impl Caller {
    /// The user the call acts as, if any.
    pub(crate) fn user(&self) -> Option<u64> {
        match self {
            Self::Session { user_id: 0, .. } => None,
            Self::Session { user_id, .. } => Some(*user_id),
            Self::ApiKey { on_behalf_of, .. } => *on_behalf_of,
        }
    }

    pub(crate) fn expires_at(&self) -> Option<SystemTime> {
        match self {
            Self::Session { expires_at, .. } => Some(*expires_at),
            Self::ApiKey { .. } => None,
        }
    }
}

/// What a call accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accept {
    /// `QB-Token` only (session and login calls).
    Token,
    /// `QB-Token` or an API key (resources).
    TokenOrApiKey,
}

fn header<'a>(headers: &'a HeaderMap, name: &http::HeaderName) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Authenticates the caller, counts the call against its application's rate
/// limit, and slides the session's expiry. The `Err` is the answer to send.
pub(crate) fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    accept: Accept,
) -> Result<Caller, Answer> {
    let token = header(headers, &QB_TOKEN);
    let authorization = match accept {
        Accept::Token => None,
        Accept::TokenOrApiKey => header(headers, &AUTHORIZATION),
    };
    let caller = match (token, authorization) {
        (Some(_), Some(_)) => Err(Answer::both_authorizations()),
        (Some(token), None) => by_token(shared, token),
        (None, Some(authorization)) => by_api_key(shared, headers, authorization),
        (None, None) => Err(Answer::token_required()),
    }?;
    if let Some(user_id) = caller.user() {
        shared.record_user_request(user_id, shared.server_now());
    }
    Ok(caller)
}

fn by_token(shared: &Shared, token: &str) -> Result<Caller, Answer> {
    let ttl = shared.session_ttl();
    let now = Instant::now();
    let server_now = shared.server_now();
    let found = shared
        .registry()
        .sessions
        .get_mut(token)
        .map(|record| (record.app_id, record.liveness(now, ttl)));
    let (app_id, current_expiry) = match found {
        None => return Err(Answer::unknown_token()),
        Some((_, Liveness::Expired(ago))) => {
            let expired_at = server_now.checked_sub(ago).unwrap_or(server_now);
            return Err(Answer::session_expired().with_expiry(expired_at));
        }
        Some((app_id, Liveness::Live(left))) => (app_id, later(server_now, left)),
    };
    if let Err(retry) = shared.admit(app_id) {
        return Err(Answer::rate_limited(retry).with_expiry(current_expiry));
    }
    let mut registry = shared.registry();
    // Looked up again: the lock was released for the rate limit, and the
    // session may have been destroyed meanwhile.
    let Some(record) = registry.sessions.get_mut(token) else {
        return Err(Answer::unknown_token());
    };
    record.touch(now);
    Ok(Caller::Session {
        token: token.to_owned(),
        user_id: record.user_id,
        expires_at: later(server_now, ttl),
    })
}

/// `time + by`, saturating instead of overflowing.
pub(crate) fn later(time: SystemTime, by: std::time::Duration) -> SystemTime {
    time.checked_add(by).unwrap_or(time)
}

fn by_api_key(shared: &Shared, headers: &HeaderMap, authorization: &str) -> Result<Caller, Answer> {
    let key = authorization
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("ApiKey"))
        .map(|(_, key)| key.trim());
    // Every application is compared, so the time taken does not tell which matched.
    let mut app = None;
    if let Some(key) = key {
        for candidate in &shared.directory.apps {
            let matches = candidate
                .api_key
                .as_ref()
                .is_some_and(|k| secret_eq(k.expose_secret(), key));
            if matches {
                app = Some(candidate);
            }
        }
    }
    let Some(app) = app else {
        return Err(Answer::unauthorized());
    };
    let on_behalf_of = match header(headers, &ON_BEHALF_OF) {
        None => None,
        Some(text) => match text
            .parse::<u64>()
            .ok()
            .filter(|id| shared.directory.user(*id).is_some())
        {
            Some(id) => Some(id),
            None => return Err(Answer::unknown_on_behalf_of()),
        },
    };
    shared.admit(app.id).map_err(Answer::rate_limited)?;
    shared.counters.api_key_requests.inc();
    Ok(Caller::ApiKey { on_behalf_of })
}

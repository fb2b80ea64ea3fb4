//! `POST` and `DELETE /login.json`: the same token, upgraded to a user
//! session and downgraded back.

use http::{HeaderMap, StatusCode};

use super::auth::{Accept, Caller, authenticate};
use super::session::malformed;
use crate::answers::{Answer, UserEnvelope};
use crate::identity::{self, IdentityError, Placement};
use crate::params::Params;
use crate::state::Shared;

/// `POST /login.json`: 202 with `{"user":{...}}`; the token now belongs to
/// that user. Wrong or missing credentials: 401, and the session is unchanged.
pub(crate) fn login(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Answer {
    let (token, expires_at) = match session_caller(shared, headers) {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let params = match Params::decode(headers, body) {
        Ok(params) => params,
        Err(err) => return malformed(err).with_expiry(expires_at),
    };
    let user = match identity::resolve(&shared.directory, &params, Placement::TopLevel) {
        Ok(Some(user)) => user,
        Ok(None) | Err(IdentityError::Unauthorized) => {
            return Answer::unauthorized().with_expiry(expires_at);
        }
        Err(IdentityError::UnsupportedProvider) => {
            return Answer::unsupported_provider().with_expiry(expires_at);
        }
    };
    let server_now = shared.server_now();
    {
        let mut registry = shared.registry();
        let Some(record) = registry.sessions.get_mut(&token) else {
            return Answer::unknown_token();
        };
        record.user_id = user.id;
        record.updated_at = server_now;
    }
    shared.record_user_request(user.id, server_now);
    shared.counters.logins.inc();
    let envelope = UserEnvelope::new(user, shared.started_at, Some(server_now));
    Answer::json(StatusCode::ACCEPTED, &envelope).with_expiry(expires_at)
}

/// `DELETE /login.json`: 200, empty; the token stays valid as an
/// application session. An application session gets "Forbidden. Need user."
pub(crate) fn logout(shared: &Shared, headers: &HeaderMap) -> Answer {
    let (token, expires_at) = match session_caller(shared, headers) {
        Ok(found) => found,
        Err(answer) => return answer,
    };
    let server_now = shared.server_now();
    {
        let mut registry = shared.registry();
        let Some(record) = registry.sessions.get_mut(&token) else {
            return Answer::unknown_token();
        };
        if record.user_id == 0 {
            return Answer::need_user().with_expiry(expires_at);
        }
        record.user_id = 0;
        record.updated_at = server_now;
    }
    shared.counters.logouts.inc();
    Answer::empty_ok().with_expiry(expires_at)
}

fn session_caller(
    shared: &Shared,
    headers: &HeaderMap,
) -> Result<(String, std::time::SystemTime), Answer> {
    match authenticate(shared, headers, Accept::Token)? {
        Caller::Session {
            token, expires_at, ..
        } => Ok((token, expires_at)),
        Caller::ApiKey { .. } => Err(Answer::token_required()),
    }
}

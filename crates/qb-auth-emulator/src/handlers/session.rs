//! `POST`, `GET` and `DELETE /session.json`.

use std::time::Instant;

use http::{HeaderMap, StatusCode};
use qb_auth_core::signature::{self, HashAlgorithm};

use super::auth::{Accept, Caller, authenticate, later};
use crate::answers::{Answer, SessionEnvelope};
use crate::diagnosis::SignatureDiagnosis;
use crate::identity::{self, IdentityError, Placement};
use crate::params::Params;
use crate::sessions::{NonceValue, SessionRecord};
use crate::state::{Shared, TIMESTAMP_WINDOW_SECS, unix_secs};

const REQUIRED: [&str; 5] = [
    "application_id",
    "auth_key",
    "timestamp",
    "nonce",
    "signature",
];

/// `POST /session.json`. Checks run in this order: parameters present,
/// application, rate limit, timestamp, signature, replay, user.
///
/// Every answer carries `QB-Token-ExpirationDate`, errors included: QuickBlox
/// sends it on a 401 from create-session too (the time to live after now).
pub(crate) fn create(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Answer {
    let answer = create_or_refuse(shared, headers, body);
    if answer.token_expiry.is_some() {
        answer
    } else {
        answer.with_expiry(later(shared.server_now(), shared.session_ttl()))
    }
}

fn create_or_refuse(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Answer {
    let params = match Params::decode(headers, body) {
        Ok(params) => params,
        Err(err) => return malformed(err),
    };
    for name in REQUIRED {
        if params.non_blank(name).is_none() {
            return Answer::missing_parameter(name);
        }
    }
    let field = |name| params.get(name).unwrap_or_default().trim();

    // The auth key is sent in the clear, so a plain comparison is enough.
    let app = field("application_id")
        .parse::<u64>()
        .ok()
        .and_then(|id| shared.directory.app(id))
        .filter(|app| app.auth_key == field("auth_key"));
    let Some(app) = app else {
        return Answer::no_application();
    };
    if let Err(retry) = shared.admit(app.id) {
        return Answer::rate_limited(retry);
    }

    let server_now = shared.server_now();
    let ts = match field("timestamp").parse::<i64>() {
        Ok(ts) if ts.abs_diff(unix_secs(server_now)) <= TIMESTAMP_WINDOW_SECS.unsigned_abs() => ts,
        _ => return Answer::bad_timestamp(),
    };

    // Exactly as the SDKs write it: lowercase hex, nothing around it. An
    // upper-case or padded signature is a client bug that QuickBlox is not
    // known to forgive, so it is "Unexpected signature" here.
    let claimed = params.get("signature").unwrap_or_default();
    let lowercase_hex = claimed
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let algorithm = match claimed.len() {
        _ if !lowercase_hex => None,
        40 => Some(HashAlgorithm::Sha1),
        64 if app.accept_sha256 => Some(HashAlgorithm::Sha256),
        _ => None,
    };
    let string_to_sign = signature::string_to_sign(params.signed_pairs());
    let valid = algorithm
        .is_some_and(|alg| signature::verify(&app.auth_secret, &string_to_sign, alg, claimed));
    if !valid {
        let diagnosis = shared
            .diagnose()
            .then(|| SignatureDiagnosis::new(app, &shared.directory, &params, body));
        return Answer::unexpected_signature(diagnosis);
    }

    let nonce = NonceValue::parse(field("nonce"));
    let ttl = shared.session_ttl();
    let oldest = unix_secs(server_now) - TIMESTAMP_WINDOW_SECS;
    let mut registry = shared.registry();
    // Checked before the nonce is used, so a refused request used nothing.
    if let Err(full) = registry.make_room(shared.caps, ttl, oldest) {
        return Answer::capacity(full);
    }
    // The pair counts as used from here on, even if the user check fails.
    let fresh = registry.nonces.use_once(app.id, ts, nonce.clone());
    drop(registry);
    if !fresh {
        return Answer::nonce_reused();
    }

    let user_id = match identity::resolve(&shared.directory, &params, Placement::Nested) {
        Ok(user) => user.map_or(0, |u| u.id),
        Err(IdentityError::Unauthorized) => return Answer::unauthorized(),
        Err(IdentityError::UnsupportedProvider) => return Answer::unsupported_provider(),
    };

    let Some(token) = new_token() else {
        return Answer::internal_error();
    };
    let mut registry = shared.registry();
    let id = registry.sessions.next_id();
    let record = SessionRecord::new(id, app.id, user_id, nonce, ts, server_now, Instant::now());
    let answer = Answer::json(StatusCode::CREATED, &SessionEnvelope::new(&token, &record))
        .with_expiry(later(server_now, ttl));
    registry.sessions.insert(token, record);
    drop(registry);
    shared.counters.sessions_created.inc();
    if user_id != 0 {
        shared.record_user_request(user_id, server_now);
    }
    answer
}

/// `GET /session.json`: the session as it is now.
pub(crate) fn show(shared: &Shared, headers: &HeaderMap) -> Answer {
    let caller = match authenticate(shared, headers, Accept::Token) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let Caller::Session {
        token, expires_at, ..
    } = &caller
    else {
        return Answer::token_required();
    };
    let mut registry = shared.registry();
    match registry.sessions.get_mut(token) {
        Some(record) => Answer::json(StatusCode::OK, &SessionEnvelope::new(token, record))
            .with_expiry(*expires_at),
        None => Answer::unknown_token(),
    }
}

/// `DELETE /session.json`: the token stops working at once.
pub(crate) fn destroy(shared: &Shared, headers: &HeaderMap) -> Answer {
    let caller = match authenticate(shared, headers, Accept::Token) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let Caller::Session { token, .. } = &caller else {
        return Answer::token_required();
    };
    if shared.registry().sessions.remove(token).is_none() {
        return Answer::unknown_token();
    }
    shared.counters.sessions_destroyed.inc();
    // The token concerned has expired now.
    Answer::empty_ok().with_expiry(shared.server_now())
}

pub(crate) fn malformed(err: crate::params::ParamsError) -> Answer {
    let status = match err {
        crate::params::ParamsError::UnsupportedContentType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        _ => StatusCode::BAD_REQUEST,
    };
    Answer::malformed(status, err.message())
}

/// 20 random bytes from the OS generator, as 40 hex characters: the shape
/// of QuickBlox's classic tokens. `None` if the OS generator fails.
fn new_token() -> Option<String> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).ok()?;
    Some(const_hex::encode(bytes))
}

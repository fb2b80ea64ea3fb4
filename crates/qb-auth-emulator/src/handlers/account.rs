//! `GET /account_settings.json`: where this "account" lives.

use http::{HeaderMap, StatusCode};
use qb_auth_core::ExposeSecret;
use qb_auth_core::request::QB_ACCOUNT_KEY;

use crate::answers::{AccountSettingsJson, Answer};
use crate::identity::secret_eq;
use crate::state::Shared;

/// Answers for any application's account key, with the emulator's own base
/// URL as `api_endpoint` (with scheme) and its host as `chat_endpoint`
/// (bare), the two formats QuickBlox uses. No session is needed.
pub(crate) fn settings(shared: &Shared, headers: &HeaderMap) -> Answer {
    let Some(key) = headers
        .get(QB_ACCOUNT_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
    else {
        return Answer::account_key_required();
    };
    // Every application is compared, so the time taken does not tell which matched.
    let matched = shared
        .directory
        .apps
        .iter()
        .filter(|app| {
            app.account_key
                .as_ref()
                .is_some_and(|k| secret_eq(k.expose_secret(), key))
        })
        .count();
    if matched == 0 {
        return Answer::unauthorized();
    }
    Answer::json(
        StatusCode::OK,
        &AccountSettingsJson {
            api_endpoint: &shared.base_url,
            chat_endpoint: &shared.host,
            turnserver_endpoint: &shared.host,
        },
    )
}

//! Sample protected resources, so clients can test authorized calls:
//! `GET /users.json` (any caller) and `GET /chat/Dialog.json` (a user).

use http::{HeaderMap, StatusCode};

use super::auth::{Accept, authenticate};
use crate::answers::{Answer, DialogsPage, UserEnvelope, UsersPage};
use crate::state::Shared;

const DEFAULT_PER_PAGE: u64 = 10;
const MAX_PER_PAGE: u64 = 100;

/// `GET /users.json?page=&per_page=`: readable with an application token, a
/// user token or an API key, like QuickBlox's user list.
pub(crate) fn users(shared: &Shared, headers: &HeaderMap, query: Option<&str>) -> Answer {
    let caller = match authenticate(shared, headers, Accept::TokenOrApiKey) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let (mut page, mut per_page) = (1, DEFAULT_PER_PAGE);
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        let number = value.trim().parse::<u64>().ok().filter(|n| *n > 0);
        match (&*key, number) {
            ("page", Some(n)) => page = n,
            ("per_page", Some(n)) => per_page = n.min(MAX_PER_PAGE),
            _ => {}
        }
    }
    let users = &shared.directory.users;
    let skip = usize::try_from((page - 1).saturating_mul(per_page)).unwrap_or(usize::MAX);
    let take = usize::try_from(per_page).unwrap_or(usize::MAX);
    let items = users
        .iter()
        .skip(skip)
        .take(take)
        .map(|user| UserEnvelope::new(user, shared.started_at, shared.last_request_of(user.id)))
        .collect();
    let page = UsersPage {
        current_page: page,
        per_page,
        total_entries: users.len() as u64,
        items,
    };
    let answer = Answer::json(StatusCode::OK, &page);
    match caller.expires_at() {
        Some(expiry) => answer.with_expiry(expiry),
        None => answer,
    }
}

/// `GET /chat/Dialog.json`: needs a user (a user token, or an API key with
/// `On-Behalf-Of`); an application token gets "Forbidden. Need user."
pub(crate) fn dialogs(shared: &Shared, headers: &HeaderMap) -> Answer {
    let caller = match authenticate(shared, headers, Accept::TokenOrApiKey) {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let answer = if caller.user().is_some() {
        Answer::json(
            StatusCode::OK,
            &DialogsPage {
                total_entries: 0,
                skip: 0,
                limit: 100,
                items: [],
            },
        )
    } else {
        Answer::need_user()
    };
    match caller.expires_at() {
        Some(expiry) => answer.with_expiry(expiry),
        None => answer,
    }
}

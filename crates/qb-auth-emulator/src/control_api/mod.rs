//! The control API under `/_emulator/`, a prefix QuickBlox does not use:
//! JSON endpoints for tests in any language, and the page. It is no part
//! of the emulated server: its requests are not counted, logged, delayed
//! or faulted. Every refusal is a typed JSON error; no input panics.
//!
//! A web page in the developer's browser must not steer it: every POST
//! needs `Content-Type: application/json` (which a page of another origin
//! cannot send without a CORS preflight, and none is granted), and without
//! a token the `Host` must name loopback (a page whose domain was rebound
//! to 127.0.0.1 sends its own name).

mod json;
mod page;

use std::time::Duration;

use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, Method, StatusCode};
use qb_auth_core::ExposeSecret;

use crate::answers::Answer;
use crate::faults::{Fault, Shares};
use crate::identity::secret_eq;
use crate::state::{ControlAccess, Shared};

use self::json::{ClockChange, ControlError, FaultsChange};

/// The prefix, without its slashes.
const PREFIX: &str = "_emulator";
/// The longest latency the control API sets: longer would only hang clients.
const MAX_LATENCY_MS: u64 = 600_000;

/// Whether `path` is the control API's, and the control API is served
/// (when it is closed, its paths are unknown paths like any other).
pub(crate) fn is_control(shared: &Shared, path: &str) -> bool {
    is_prefixed(path) && !matches!(shared.control, ControlAccess::Closed)
}

fn is_prefixed(path: &str) -> bool {
    let path = path.trim_start_matches('/');
    path == PREFIX
        || path
            .strip_prefix(PREFIX)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Answers one control request.
pub(crate) fn handle(shared: &Shared, parts: &Parts, body: &[u8]) -> Answer {
    let query = Query::parse(parts.uri.query());
    if matches!(shared.control, ControlAccess::Open) && !loopback_host(parts) {
        return ControlError::new(
            StatusCode::FORBIDDEN,
            "forbidden_host",
            "the control API answers only requests to a loopback address (Host: 127.0.0.1, \
             [::1] or localhost), or with its token",
        )
        .answer();
    }
    if !authorized(shared, parts, &query) {
        let mut answer = ControlError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the control API needs its token: send Authorization: Bearer <token> (or ?token=<token> for the page)",
        )
        .answer();
        answer
            .extra_headers
            .push((WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        return answer;
    }
    let path = parts.uri.path().trim_start_matches('/');
    let endpoint = path
        .strip_prefix(PREFIX)
        .unwrap_or_default()
        .trim_matches('/');
    let method = &parts.method;
    let result = match (endpoint, method) {
        ("", &Method::GET) => Ok(page::render(shared, &query)),
        ("stats", &Method::GET) => Ok(json::stats(&shared.stats())),
        ("requests", &Method::GET) => requests(shared, &query),
        ("faults", &Method::GET) => Ok(json::faults(shared)),
        ("faults", &Method::POST) => change_faults(shared, parts, body),
        ("clock", &Method::GET) => Ok(json::clock(shared)),
        ("clock", &Method::POST) => change_clock(shared, parts, body),
        ("reset", &Method::POST) => json::read_body::<json::NoFields>(parts, body).map(|_| {
            shared.reset();
            json::reset()
        }),
        ("expire", &Method::POST) => json::read_body::<json::NoFields>(parts, body)
            .map(|_| json::expired(shared.expire_all_sessions())),
        ("" | "stats" | "requests" | "faults" | "clock", _) => Err(not_allowed("GET")),
        ("reset" | "expire", _) => Err(not_allowed("POST")),
        _ => Err(ControlError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such control endpoint: see GET /_emulator/ for the list",
        )),
    };
    result.unwrap_or_else(ControlError::answer)
}

/// A control request whose body could not be read: the emulator's answer
/// for it (413, 408 or 503, closing), in the control API's error shape.
pub(crate) fn unreadable_body(quickblox: Answer) -> Answer {
    let (kind, message) = match quickblox.status {
        StatusCode::PAYLOAD_TOO_LARGE => ("too_large", "the body is over the emulator's limit"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the body did not arrive in time"),
        _ => ("shed", "the connection was shed to make room for another"),
    };
    let mut answer = ControlError::new(quickblox.status, kind, message).answer();
    answer.close = quickblox.close;
    answer
}

fn not_allowed(allow: &'static str) -> ControlError {
    let mut error = ControlError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this control endpoint does not take that method",
    );
    error.allow = Some(allow);
    error
}

/// Whether the request may use the control API.
fn authorized(shared: &Shared, parts: &Parts, query: &Query) -> bool {
    let ControlAccess::Token(token) = &shared.control else {
        return true;
    };
    let bearer = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Bearer"))
        .map(|(_, given)| given.trim());
    bearer
        .or(query.token.as_deref())
        .is_some_and(|given| secret_eq(token.expose_secret(), given))
}

/// The query parameters the control API reads.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pub(crate) since: Option<String>,
    pub(crate) limit: Option<String>,
    pub(crate) refresh: Option<String>,
    pub(crate) token: Option<String>,
}

impl Query {
    fn parse(query: Option<&str>) -> Self {
        let mut parsed = Self::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            let slot = match &*key {
                "since" => &mut parsed.since,
                "limit" => &mut parsed.limit,
                "refresh" => &mut parsed.refresh,
                "token" => &mut parsed.token,
                _ => continue,
            };
            *slot = Some(value.into_owned());
        }
        parsed
    }
}

/// `GET /_emulator/requests?since=SEQ&limit=N`.
fn requests(shared: &Shared, query: &Query) -> Result<Answer, ControlError> {
    let number = |value: &Option<String>, name: &str| match value {
        None => Ok(None),
        Some(text) => text.trim().parse::<u64>().map(Some).map_err(|_| {
            ControlError::new(
                StatusCode::BAD_REQUEST,
                "invalid_query",
                &format!("{name} must be a whole number"),
            )
        }),
    };
    let since = number(&query.since, "since")?.unwrap_or(0);
    let limit = number(&query.limit, "limit")?
        .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
    let records = shared.journal.recent(since, limit);
    Ok(json::requests(shared.journal.capacity(), &records))
}

/// `POST /_emulator/faults`: every field checked before any is applied.
fn change_faults(shared: &Shared, parts: &Parts, body: &[u8]) -> Result<Answer, ControlError> {
    let change: FaultsChange = json::read_body(parts, body)?;
    if change.latency_ms.is_some_and(|ms| ms > MAX_LATENCY_MS) {
        return Err(ControlError::invalid(&format!(
            "latency_ms must be at most {MAX_LATENCY_MS}"
        )));
    }
    let queued = change
        .next
        .iter()
        .map(json::FaultRun::fault)
        .collect::<Result<Vec<(Fault, usize)>, ControlError>>()?;
    let mut knobs = shared.knobs();
    let current = if change.clear {
        Shares::default()
    } else {
        knobs.faults.shares()
    };
    let shares = Shares {
        status_500: change.error_500.unwrap_or(current.status_500),
        status_503: change.error_503.unwrap_or(current.status_503),
        drop: change.drop.unwrap_or(current.drop),
        status_429: change.throttle.unwrap_or(current.status_429),
        retry_after_secs: change.retry_after_secs.unwrap_or(current.retry_after_secs),
    }
    .validate()
    .map_err(|e| ControlError::invalid(&e.to_string()))?;
    if change.clear {
        knobs.faults.clear();
    }
    knobs.faults.set_shares(shares);
    if let Some(ms) = change.latency_ms {
        knobs.latency = Duration::from_millis(ms);
    }
    for (fault, count) in queued {
        knobs.faults.push(count, fault);
    }
    drop(knobs);
    Ok(json::faults(shared))
}

/// `POST /_emulator/clock`: `{"offset_secs": N}` or `{"unix_time": T}`.
fn change_clock(shared: &Shared, parts: &Parts, body: &[u8]) -> Result<Answer, ControlError> {
    let change: ClockChange = json::read_body(parts, body)?;
    let offset = match (change.offset_secs, change.unix_time) {
        (Some(offset), None) => offset,
        (None, Some(unix)) => {
            unix.saturating_sub(crate::state::unix_secs(std::time::SystemTime::now()))
        }
        _ => {
            return Err(ControlError::invalid(
                "give exactly one of offset_secs and unix_time",
            ));
        }
    };
    let max = crate::MAX_CLOCK_OFFSET_SECS;
    if offset.unsigned_abs() > max.unsigned_abs() {
        return Err(ControlError::invalid(&format!(
            "the clock offset must be within ±{max} seconds (100 years), not {offset}"
        )));
    }
    shared.set_clock_offset(offset);
    Ok(json::clock(shared))
}

/// Whether a POST says it carries JSON. Required even for an empty body:
/// a page of another origin can POST a form, plain text or nothing without
/// asking first, but not JSON.
pub(crate) fn is_json(parts: &Parts) -> bool {
    parts.headers.get(CONTENT_TYPE).is_some_and(|value| {
        value
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
    })
}

/// Whether the `Host` names a loopback address (or `localhost`), any port.
fn loopback_host(parts: &Parts) -> bool {
    let Some(host) = parts.headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        // HTTP/1.1 requires it; without one nothing was rebound.
        return true;
    };
    is_loopback_host(host)
}

/// Whether a `Host` value (a host and perhaps a port) names loopback.
fn is_loopback_host(host: &str) -> bool {
    host.parse::<http::uri::Authority>()
        .is_ok_and(|authority| qb_auth_core::is_loopback_host(authority.host()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_prefix_is_ours_and_only_while_served() {
        let open = ControlAccess::new(None, [127, 0, 0, 1].into());
        assert!(matches!(open, ControlAccess::Open));
        let closed = ControlAccess::new(None, [0, 0, 0, 0].into());
        assert!(matches!(closed, ControlAccess::Closed));
        let guarded = ControlAccess::new(Some("t".into()), [0, 0, 0, 0].into());
        assert!(matches!(guarded, ControlAccess::Token(_)));
        for (host, loopback) in [
            ("127.0.0.1:8089", true),
            ("127.0.0.7", true),
            ("localhost:1", true),
            ("LOCALHOST", true),
            ("[::1]:8089", true),
            ("evil.example:8089", false),
            ("10.0.0.1:80", false),
            ("127.0.0.1.evil.example", false),
            ("[::2]:1", false),
            ("", false),
        ] {
            assert_eq!(is_loopback_host(host), loopback, "{host}");
        }
        for (path, ours) in [
            ("/_emulator/", true),
            ("/_emulator", true),
            ("//_emulator/stats", true),
            ("/_emulatorx", false),
            ("/session.json", false),
            ("/x/_emulator/", false),
        ] {
            assert_eq!(is_prefixed(path), ours, "{path}");
        }
    }
}

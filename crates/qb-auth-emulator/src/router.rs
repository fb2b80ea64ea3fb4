//! From an HTTP request to an HTTP answer: the control API under
//! `/_emulator/` apart, then latency, body limit, injected faults, one of the
//! handlers, the headers every answer carries, and a line in the log.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use http::header::{ALLOW, CONNECTION, CONTENT_TYPE, DATE, RETRY_AFTER};
use http::request::Parts;
use http::{HeaderName, HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body as _, Incoming};
use qb_auth_core::response::QB_TOKEN_EXPIRATION_DATE;
use qb_auth_core::time::{format_expiration, format_http_date};

use crate::answers::Answer;
use crate::control_api;
use crate::faults::Fault;
use crate::handlers::{account, login, resources, session};
use crate::journal::Entry;
use crate::server::{Connection, Phase};
use crate::state::Shared;

/// How long a client may take to send its body.
const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// Bodies over the limit are still read (and thrown away) up to this many
/// bytes, so the client is not reset while sending and gets to read the 413.
const DRAIN_AT_LEAST: usize = 1 << 20;

const API_VERSION: HeaderName = HeaderName::from_static("quickblox-rest-api-version");
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

/// Returned to hyper to close the connection without answering.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

impl fmt::Display for DropConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

/// Serves one request on `connection`. The body is read first (a
/// connection still sending one may be shed to make room), then the added
/// latency, faults and the handler run.
pub(crate) async fn handle(
    shared: Arc<Shared>,
    connection: Connection,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let _serving = connection.serving();
    if control_api::is_control(&shared, request.uri().path()) {
        // The control API is no part of the emulated server: it is never
        // counted, logged, delayed or faulted (a 100% drop share could not
        // be turned off otherwise).
        let (parts, body) = request.into_parts();
        let answer = match read_body(body, shared.body_limit, &connection).await {
            Ok(body) => {
                connection.set_phase(Phase::Busy);
                control_api::handle(&shared, &parts, &body)
            }
            Err(BodyError::Broken) => return Err(DropConnection),
            Err(error) => control_api::unreadable_body(error.answer()),
        };
        return Ok(respond(&shared, answer));
    }
    shared.counters.requests.inc();
    let received_at = shared.server_now();
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (served, fault) = serve(&shared, &parts, body, &connection).await;
    let (status, refusal, diagnosis) = match &served {
        Ok(answer) => (
            Some(answer.status.as_u16()),
            answer.refusal,
            answer.diagnosis.as_deref().cloned(),
        ),
        Err(_) => (None, None, None),
    };
    if let Some(refusal) = refusal {
        shared.counters.refused(refusal);
    }
    shared.journal.record(Entry {
        received_at,
        elapsed: started.elapsed(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        status,
        refusal,
        fault,
        diagnosis,
    });
    served.map(|answer| respond(&shared, answer))
}

/// Reads the body, then waits out the latency, draws a fault, and routes;
/// with the fault injected, if one was.
async fn serve(
    shared: &Shared,
    parts: &Parts,
    body: Incoming,
    connection: &Connection,
) -> (Result<Answer, DropConnection>, Option<Fault>) {
    let body = match read_body(body, shared.body_limit, connection).await {
        Ok(body) => body,
        Err(BodyError::Broken) => return (Err(DropConnection), None),
        Err(error) => return (Ok(error.answer()), None),
    };
    connection.set_phase(Phase::Busy);
    let latency = shared.latency();
    if !latency.is_zero() {
        shared.counters.fault_delayed.inc();
        tokio::time::sleep(latency).await;
    }
    if let Some(fault) = shared.next_fault() {
        shared.counters.fault(fault);
        let answer = match fault {
            Fault::Drop => Err(DropConnection),
            other => Ok(Answer::fault(other)),
        };
        return (answer, Some(fault));
    }
    shared.maybe_sweep();
    (Ok(route(shared, parts, &body)), None)
}

fn route(shared: &Shared, parts: &Parts, body: &[u8]) -> Answer {
    // `//session.json` reached QuickBlox in the wild; accept it too.
    let path = parts.uri.path().trim_start_matches('/');
    let headers = &parts.headers;
    let method = &parts.method;
    match path {
        "session.json" => match *method {
            Method::POST => session::create(shared, headers, body),
            Method::GET => session::show(shared, headers),
            Method::DELETE => session::destroy(shared, headers),
            _ => Answer::method_not_allowed("GET, POST, DELETE"),
        },
        "login.json" => match *method {
            Method::POST => login::login(shared, headers, body),
            Method::DELETE => login::logout(shared, headers),
            _ => Answer::method_not_allowed("POST, DELETE"),
        },
        "account_settings.json" => match *method {
            Method::GET => account::settings(shared, headers),
            _ => Answer::method_not_allowed("GET"),
        },
        "users.json" => match *method {
            Method::GET => resources::users(shared, headers, parts.uri.query()),
            _ => Answer::method_not_allowed("GET"),
        },
        "chat/Dialog.json" => match *method {
            Method::GET => resources::dialogs(shared, headers),
            _ => Answer::method_not_allowed("GET"),
        },
        _ => Answer::not_found(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyError {
    TooLarge,
    TimedOut,
    /// The connection was shed to make room for another.
    Shed,
    /// The client went away or sent a broken body: nobody to answer.
    Broken,
}

impl BodyError {
    /// The answer to a body that could not be read (never `Broken`'s).
    fn answer(self) -> Answer {
        match self {
            Self::TooLarge => Answer::too_large(),
            Self::TimedOut => Answer::timeout(),
            Self::Shed | Self::Broken => Answer::shed(),
        }
    }
}

async fn read_body(
    mut body: Incoming,
    limit: usize,
    connection: &Connection,
) -> Result<Bytes, BodyError> {
    let drain_cap = limit.saturating_mul(4).max(DRAIN_AT_LEAST);
    let declared = body.size_hint().exact();
    if declared.is_some_and(|len| len > drain_cap as u64) {
        return Err(BodyError::TooLarge);
    }
    let read = async {
        let mut buf = BytesMut::new();
        let mut total = 0usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| BodyError::Broken)?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len());
            if total > drain_cap {
                return Err(BodyError::TooLarge);
            }
            if total <= limit {
                buf.extend_from_slice(&data);
            }
        }
        if total > limit {
            Err(BodyError::TooLarge)
        } else {
            Ok(buf.freeze())
        }
    };
    tokio::select! {
        read = tokio::time::timeout(BODY_TIMEOUT, read) => read.unwrap_or(Err(BodyError::TimedOut)),
        () = connection.shed() => Err(BodyError::Shed),
    }
}

/// Adds what every answer carries: `Date` on the emulator's clock, the
/// content type when there is a body, and `QB-Token-ExpirationDate` when
/// the answer concerns a known token.
fn respond(shared: &Shared, answer: Answer) -> Response<Full<Bytes>> {
    let has_body = !answer.body.is_empty();
    let mut response = Response::new(Full::new(answer.body));
    *response.status_mut() = answer.status;
    let headers = response.headers_mut();
    if let Ok(date) = HeaderValue::from_str(&format_http_date(shared.server_now())) {
        headers.insert(DATE, date);
    }
    headers.insert(API_VERSION, HeaderValue::from_static("0.1.1"));
    if has_body {
        headers.insert(CONTENT_TYPE, JSON_UTF8);
    }
    for (name, value) in answer.extra_headers {
        headers.insert(name, value);
    }
    if let Some(expiry) = answer.token_expiry {
        if let Ok(value) = HeaderValue::from_str(&format_expiration(expiry)) {
            headers.insert(QB_TOKEN_EXPIRATION_DATE, value);
        }
    }
    if let Some(secs) = answer.retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    if let Some(allow) = answer.allow {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    if answer.close {
        headers.insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

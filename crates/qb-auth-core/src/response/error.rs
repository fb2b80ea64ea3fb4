//! Errors from the server's answers, classified so callers can act on them.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use http::StatusCode;
use serde_json::Value;

use crate::call::context::CallContext;
use crate::call::operation::Operation;

/// The status line and headers of an answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) status: StatusCode,
    pub(crate) headers: &'a http::HeaderMap,
}

/// What went wrong, as far as a client can act on it.
///
/// ```
/// use qb_auth_core::{check_status, ErrorKind, Operation, Retry};
///
/// let answer = http::Response::builder()
///     .status(422)
///     .body(br#"{"errors":{"base":["Forbidden. Need user."]}}"#.to_vec())?;
/// let err = check_status(&answer, Operation::Other).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::ForbiddenNeedUser);
/// assert_eq!(err.kind().retry(), Retry::Never);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 422 "Unexpected signature": the string signed differs from what the
    /// server rebuilt, or the auth secret is wrong.
    UnexpectedSignature,
    /// 422 "Bad timestamp": the timestamp is more than an hour from the
    /// server's clock.
    BadTimestamp,
    /// 422 "No application found": wrong application id, or the application
    /// lives on another API host.
    NoApplicationFound,
    /// 401 from creating a user session or logging in: wrong login, email,
    /// password or provider token.
    InvalidCredentials,
    /// 401 "Required session does not exist": the token expired or was
    /// destroyed.
    SessionExpired,
    /// "Token is required": no `QB-Token` was sent.
    TokenRequired,
    /// Another 401 on a call made with a token.
    Unauthorized,
    /// 422 "Forbidden. Need user.": the call needs a user session.
    ForbiddenNeedUser,
    /// 403: refused.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 400 or 422 with errors by field (see [`ApiError::field_errors`]).
    Validation,
    /// 429: the plan's rate limit was exceeded.
    RateLimited,
    /// 5xx.
    ServerError,
    /// A success status with a body that is not what the call returns.
    MalformedResponse,
    /// Anything else.
    Unexpected,
}

impl ErrorKind {
    /// What may make a retry succeed.
    ///
    /// ```
    /// use qb_auth_core::{ErrorKind, Retry};
    ///
    /// assert_eq!(ErrorKind::RateLimited.retry(), Retry::AfterBackoff);
    /// assert_eq!(ErrorKind::BadTimestamp.retry(), Retry::AfterClockCorrection);
    /// assert_eq!(ErrorKind::SessionExpired.retry(), Retry::AfterRenewal);
    /// assert_eq!(ErrorKind::InvalidCredentials.retry(), Retry::Never);
    /// ```
    pub const fn retry(self) -> Retry {
        match self {
            Self::RateLimited | Self::ServerError => Retry::AfterBackoff,
            Self::BadTimestamp => Retry::AfterClockCorrection,
            Self::SessionExpired | Self::TokenRequired | Self::Unauthorized => Retry::AfterRenewal,
            _ => Retry::Never,
        }
    }

    /// Whether any retry can help.
    pub const fn is_retryable(self) -> bool {
        !matches!(self.retry(), Retry::Never)
    }

    /// A short description.
    ///
    /// ```
    /// use qb_auth_core::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::NoApplicationFound.as_str(), "no application found");
    /// assert_eq!(ErrorKind::NoApplicationFound.to_string(), "no application found");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnexpectedSignature => "unexpected signature",
            Self::BadTimestamp => "bad timestamp",
            Self::NoApplicationFound => "no application found",
            Self::InvalidCredentials => "invalid credentials",
            Self::SessionExpired => "session expired",
            Self::TokenRequired => "token required",
            Self::Unauthorized => "unauthorized",
            Self::ForbiddenNeedUser => "forbidden: needs a user session",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not found",
            Self::Validation => "validation failed",
            Self::RateLimited => "rate limited",
            Self::ServerError => "server error",
            Self::MalformedResponse => "malformed response",
            Self::Unexpected => "unexpected response",
        }
    }
}

impl ErrorKind {
    /// A stable snake_case name, for machines: JSON errors, metric labels.
    ///
    /// ```
    /// use qb_auth_core::ErrorKind;
    ///
    /// assert_eq!(ErrorKind::ForbiddenNeedUser.code(), "forbidden_need_user");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            Self::UnexpectedSignature => "unexpected_signature",
            Self::BadTimestamp => "bad_timestamp",
            Self::NoApplicationFound => "no_application_found",
            Self::InvalidCredentials => "invalid_credentials",
            Self::SessionExpired => "session_expired",
            Self::TokenRequired => "token_required",
            Self::Unauthorized => "unauthorized",
            Self::ForbiddenNeedUser => "forbidden_need_user",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Validation => "validation",
            Self::RateLimited => "rate_limited",
            Self::ServerError => "server_error",
            Self::MalformedResponse => "malformed_response",
            Self::Unexpected => "unexpected_response",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What can make a failed call succeed when tried again.
///
/// ```
/// use qb_auth_core::{ErrorKind, Retry};
///
/// let next_step = |kind: ErrorKind| match kind.retry() {
///     Retry::Never => "fix the input",
///     Retry::AfterBackoff => "wait, then sign again",
///     Retry::AfterClockCorrection => "sign again with the server's time",
///     Retry::AfterRenewal => "get a new session",
///     // The enum may grow: treat what this code does not know as final.
///     _ => "fix the input",
/// };
/// assert_eq!(next_step(ErrorKind::BadTimestamp), "sign again with the server's time");
/// assert_eq!(next_step(ErrorKind::NotFound), "fix the input");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Retry {
    /// Nothing: fix the input or the configuration.
    Never,
    /// Waiting (honour [`ApiError::retry_after`]) and sending a freshly
    /// signed request.
    AfterBackoff,
    /// Re-signing with a clock corrected by the server's `Date` header.
    AfterClockCorrection,
    /// Creating a new session, then repeating the call with its token.
    AfterRenewal,
}

/// `Retry-After`: a delay or a moment.
///
/// ```
/// use std::time::Duration;
/// use qb_auth_core::{check_status, Operation, RetryAfter};
///
/// let answer = http::Response::builder()
///     .status(429)
///     .header("Retry-After", "30")
///     .body(Vec::new())?;
/// let err = check_status(&answer, Operation::Other).unwrap_err();
/// assert_eq!(err.retry_after(), Some(RetryAfter::Delay(Duration::from_secs(30))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryAfter {
    /// Wait this long.
    Delay(Duration),
    /// Wait until then.
    At(SystemTime),
}

impl RetryAfter {
    /// How long to wait from `now`.
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// use qb_auth_core::RetryAfter;
    ///
    /// let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    /// let minute = Duration::from_secs(60);
    /// assert_eq!(RetryAfter::Delay(minute).delay_from(now), minute);
    /// assert_eq!(RetryAfter::At(now + minute).delay_from(now), minute);
    /// assert_eq!(RetryAfter::At(now - minute).delay_from(now), Duration::ZERO);
    /// ```
    pub fn delay_from(self, now: SystemTime) -> Duration {
        match self {
            Self::Delay(d) => d,
            Self::At(t) => t.duration_since(now).unwrap_or_default(),
        }
    }
}

/// An error answer from QuickBlox (or a server in its place).
///
/// Keeps everything: the status, the messages, errors by field, and the raw
/// body. `Debug` and `Display` show the messages but not the raw body, which
/// a malformed success answer could fill with a session token; read it with
/// [`ApiError::raw_body`].
///
/// ```
/// use qb_auth_core::{parse_session, ErrorKind, Operation, Retry};
///
/// let response = http::Response::builder()
///     .status(422)
///     .body(br#"{"errors":{"base":["Bad timestamp"]}}"#.to_vec())?;
/// let err = parse_session(&response, Operation::CreateApplicationSession).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::BadTimestamp);
/// assert_eq!(err.kind().retry(), Retry::AfterClockCorrection);
/// assert_eq!(err.messages(), ["Bad timestamp"]);
/// assert_eq!(err.to_string(), "bad timestamp (HTTP 422): Bad timestamp");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ApiError {
    // Boxed so that `Result<_, ApiError>` stays one pointer wide.
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    status: StatusCode,
    kind: ErrorKind,
    operation: Operation,
    messages: Vec<String>,
    field_errors: BTreeMap<String, Vec<String>>,
    code: Option<String>,
    detail: Option<String>,
    retry_after: Option<RetryAfter>,
    server_date: Option<SystemTime>,
    raw_body: Vec<u8>,
    context: Option<CallContext>,
}

impl ApiError {
    /// The same error, with where the call went (and, for a one-shot call,
    /// how it went) in its message.
    pub fn with_context(mut self, context: CallContext) -> Self {
        self.inner.context = Some(context);
        self
    }

    /// Where the call went, if the client recorded it.
    pub fn context(&self) -> Option<&CallContext> {
        self.inner.context.as_ref()
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.inner.status
    }

    /// The classification.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The call that failed.
    pub fn operation(&self) -> Operation {
        self.inner.operation
    }

    /// General messages: `errors` as a list, `errors.base`, or `message`.
    pub fn messages(&self) -> &[String] {
        &self.inner.messages
    }

    /// Messages by field, such as `login: ["has already been taken."]`.
    pub fn field_errors(&self) -> &BTreeMap<String, Vec<String>> {
        &self.inner.field_errors
    }

    /// A top-level `code`, when the body had one.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    /// `Retry-After`, when the answer had one.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        self.inner.retry_after
    }

    /// The server's `Date` header: how to measure clock skew.
    pub fn server_date(&self) -> Option<SystemTime> {
        self.inner.server_date
    }

    /// The body exactly as received.
    pub fn raw_body(&self) -> &[u8] {
        &self.inner.raw_body
    }

    /// Builds an error of `kind` for an answer that could not be read.
    pub(crate) fn malformed(
        head: Head<'_>,
        operation: Operation,
        body: &[u8],
        detail: String,
    ) -> Self {
        let mut err = Self::from_answer(head, operation, body);
        err.inner.kind = ErrorKind::MalformedResponse;
        err.inner.detail = Some(detail);
        err
    }

    /// Reads and classifies an error answer.
    pub(crate) fn from_answer(head: Head<'_>, operation: Operation, body: &[u8]) -> Self {
        let mut err = Inner {
            status: head.status,
            kind: ErrorKind::Unexpected,
            operation,
            messages: Vec::new(),
            field_errors: BTreeMap::new(),
            code: None,
            detail: None,
            retry_after: parse_retry_after(head.headers),
            server_date: header_str(head.headers, http::header::DATE)
                .and_then(crate::time::parse_http_date),
            raw_body: body.to_vec(),
            context: None,
        };
        if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) {
            err.read_errors(map.get("errors"));
            if let Some(message) = map.get("message").and_then(Value::as_str) {
                err.messages.push(message.to_owned());
            }
            err.code = map.get("code").and_then(|c| match c {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            });
        } else if !body.is_empty() {
            err.detail = Some(describe_non_json(head.headers, body));
        }
        err.kind = classify(err.status, operation, &err.messages, &err.field_errors);
        Self {
            inner: Box::new(err),
        }
    }
}

impl Inner {
    fn read_errors(&mut self, errors: Option<&Value>) {
        match errors {
            Some(Value::Array(items)) => self.messages.extend(items.iter().filter_map(text)),
            Some(Value::String(s)) => self.messages.push(s.clone()),
            Some(Value::Object(fields)) => {
                for (field, value) in fields {
                    let list: Vec<String> = match value {
                        Value::Array(items) => items.iter().filter_map(text).collect(),
                        other => text(other).into_iter().collect(),
                    };
                    if field == "base" {
                        self.messages.extend(list);
                    } else {
                        self.field_errors.insert(field.clone(), list);
                    }
                }
            }
            _ => {}
        }
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn describe_non_json(headers: &http::HeaderMap, body: &[u8]) -> String {
    let content_type = header_str(headers, http::header::CONTENT_TYPE).unwrap_or("none");
    format!(
        "{} byte body that is not JSON (content type {content_type})",
        body.len()
    )
}

pub(crate) fn header_str(
    headers: &http::HeaderMap,
    name: http::header::HeaderName,
) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn parse_retry_after(headers: &http::HeaderMap) -> Option<RetryAfter> {
    let value = header_str(headers, http::header::RETRY_AFTER)?.trim();
    match value.parse::<u64>() {
        Ok(secs) => Some(RetryAfter::Delay(Duration::from_secs(secs))),
        Err(_) => crate::time::parse_http_date(value).map(RetryAfter::At),
    }
}

/// Sorts an answer into an [`ErrorKind`] by message first (QuickBlox's
/// messages are specific), then by status and call.
fn classify(
    status: StatusCode,
    operation: Operation,
    messages: &[String],
    fields: &BTreeMap<String, Vec<String>>,
) -> ErrorKind {
    let has = |needle: &str| {
        messages
            .iter()
            .any(|m| m.to_ascii_lowercase().contains(needle))
    };
    if has("unexpected signature") {
        ErrorKind::UnexpectedSignature
    } else if has("bad timestamp") {
        ErrorKind::BadTimestamp
    } else if has("no application found") {
        ErrorKind::NoApplicationFound
    } else if has("session does not exist") {
        ErrorKind::SessionExpired
    } else if has("token is required") {
        ErrorKind::TokenRequired
    } else if has("need user") {
        ErrorKind::ForbiddenNeedUser
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        ErrorKind::RateLimited
    } else if status.is_server_error() {
        ErrorKind::ServerError
    } else if status == StatusCode::UNAUTHORIZED {
        match operation {
            Operation::CreateApplicationSession
            | Operation::CreateUserSession
            | Operation::Login
            | Operation::AccountSettings => ErrorKind::InvalidCredentials,
            _ => ErrorKind::Unauthorized,
        }
    } else if status == StatusCode::FORBIDDEN {
        ErrorKind::Forbidden
    } else if status == StatusCode::NOT_FOUND {
        ErrorKind::NotFound
    } else if (status == StatusCode::UNPROCESSABLE_ENTITY || status == StatusCode::BAD_REQUEST)
        && !fields.is_empty()
    {
        ErrorKind::Validation
    } else {
        ErrorKind::Unexpected
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.inner.status.as_u16();
        match &self.inner.context {
            Some(context) => {
                context.write_prefix(f)?;
                let host = context.host_name();
                write!(f, "{} (HTTP {status} from {host})", self.inner.kind)?;
            }
            None => write!(f, "{} (HTTP {status})", self.inner.kind)?,
        }
        let mut sep = ": ";
        for message in &self.inner.messages {
            write!(f, "{sep}{message}")?;
            sep = "; ";
        }
        for (field, list) in &self.inner.field_errors {
            write!(f, "{sep}{field} {}", list.join(", "))?;
            sep = "; ";
        }
        if let Some(detail) = &self.inner.detail {
            write!(f, "{sep}{detail}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiError")
            .field("status", &self.inner.status.as_u16())
            .field("kind", &self.inner.kind)
            .field("operation", &self.inner.operation)
            .field("messages", &self.inner.messages)
            .field("field_errors", &self.inner.field_errors)
            .field("code", &self.inner.code)
            .field("detail", &self.inner.detail)
            .field("retry_after", &self.inner.retry_after)
            .field("context", &self.inner.context)
            .field(
                "raw_body",
                &format_args!("<{} bytes>", self.inner.raw_body.len()),
            )
            .finish()
    }
}

impl std::error::Error for ApiError {}

//! What commands print on stdout, as text for people or JSON for scripts.
//!
//! The only secret ever printed is the token `session create` exists to
//! hand out; a dry run shows passwords, provider tokens and secrets as
//! `***` unless `--show-secrets` asks for them. Sessions read back with
//! `session get` are printed without their token.
//!
//! Text from a server (tokens, user fields, hosts, error messages) goes
//! through [`terminal_safe`] before it reaches a terminal, so an answer
//! cannot retitle the window, clear the screen or fake lines; JSON output
//! writes the same characters as `\u` escapes.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::ValueEnum;
use qb_auth_core::time::{format_expiration, format_rfc3339};
use qb_auth_core::{AccountSettings, HashAlgorithm, Session, SignedRequest, User};
use serde::Serialize;

/// `text` with every control character (C0, DEL, C1) and every
/// bidirectional formatting mark written as an escape (`\u{1b}`, `\n`), so
/// that it shows as text and does nothing to the terminal.
pub(crate) fn terminal_safe(text: &str) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() || is_bidi_control(c);
    if !text.contains(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            // `escape_default` gives `\n`, `\t`, `\r` or `\u{..}`.
            let _ = write!(safe, "{}", c.escape_default());
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

/// Marks that reorder how a line is shown (the "Trojan Source" set).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `--output`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned lines for people.
    #[default]
    Text,
    /// One JSON object on stdout, for scripts; an error too.
    Json,
}

/// Whether a session's token is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ShowToken {
    /// `session create`: the token is the result.
    Yes,
    /// Everything else: the caller already has it.
    No,
}

/// Whether a dry run shows the secrets it signs and sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Secrets {
    /// As `***` (the default).
    Masked,
    /// Exactly (`--show-secrets`).
    Shown,
}

/// The `--dry-run --output json` object. Its fields are a fixed contract.
#[derive(Debug, Serialize)]
pub(crate) struct DryRun {
    /// `POST`.
    pub(crate) method: String,
    /// The full URL.
    pub(crate) url: String,
    /// Lower-case header names to values (repeated headers joined by `, `).
    pub(crate) headers: BTreeMap<String, String>,
    /// The body as it would be sent, secrets masked unless shown.
    pub(crate) body: String,
    /// The string signed, secrets masked unless shown.
    pub(crate) string_to_sign: String,
    /// The signature, lowercase hex.
    pub(crate) signature: String,
}

impl DryRun {
    /// The contract object for a built request.
    pub(crate) fn new(signed: &SignedRequest, secrets: Secrets) -> io::Result<Self> {
        let request = signed.request();
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in request.headers() {
            let value = String::from_utf8_lossy(value.as_bytes());
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(&value);
                })
                .or_insert_with(|| value.into_owned());
        }
        let body = shown_body(signed, secrets)?;
        let string_to_sign = match secrets {
            Secrets::Shown => signed.string_to_sign().to_owned(),
            Secrets::Masked => signed.masked_string_to_sign(),
        };
        Ok(Self {
            method: request.method().as_str().to_owned(),
            url: request.uri().to_string(),
            headers,
            body,
            string_to_sign,
            signature: signed.signature().as_str().to_owned(),
        })
    }
}

/// The body of `signed` as a dry run shows it.
fn shown_body(signed: &SignedRequest, secrets: Secrets) -> io::Result<String> {
    Ok(match secrets {
        Secrets::Shown => std::str::from_utf8(signed.request().body().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "the body is not UTF-8"))?
            .to_owned(),
        Secrets::Masked => signed.masked_body(),
    })
}

/// Prints a dry run: the request, the string signed and the signature,
/// secrets masked unless `secrets` says to show them.
pub(crate) fn dry_run(
    out: &mut dyn Write,
    format: OutputFormat,
    signed: &SignedRequest,
    hash: HashAlgorithm,
    secrets: Secrets,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => json(out, &DryRun::new(signed, secrets)?),
        OutputFormat::Text => {
            let request = signed.request();
            writeln!(out, "{} {}", request.method(), request.uri())?;
            for (name, value) in request.headers() {
                if value.is_sensitive() {
                    writeln!(out, "{name}: [REDACTED]")?;
                } else {
                    writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
                }
            }
            writeln!(out)?;
            writeln!(out, "{}", shown_body(signed, secrets)?)?;
            writeln!(out)?;
            match secrets {
                Secrets::Masked => {
                    writeln!(
                        out,
                        "string to sign (secrets masked; --show-secrets shows them):"
                    )?;
                    writeln!(out, "  {}", signed.masked_string_to_sign())?;
                }
                Secrets::Shown => {
                    writeln!(out, "string to sign:")?;
                    writeln!(out, "  {}", signed.string_to_sign())?;
                }
            }
            writeln!(
                out,
                "signature (hmac-{}): {}",
                hash.as_str(),
                signed.signature()
            )?;
            writeln!(out, "nothing was sent (--dry-run)")
        }
    }
}

#[derive(Serialize)]
struct SessionView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    id: Option<u64>,
    application_id: Option<u64>,
    user_id: u64,
    created_at: Option<String>,
    expires_at: Option<String>,
}

/// Prints a session; its token only with [`ShowToken::Yes`].
pub(crate) fn session(
    out: &mut dyn Write,
    format: OutputFormat,
    session: &Session,
    show_token: ShowToken,
) -> io::Result<()> {
    let token = (show_token == ShowToken::Yes).then(|| session.token.expose());
    match format {
        OutputFormat::Json => json(
            out,
            &SessionView {
                token,
                id: session.id,
                application_id: session.application_id,
                user_id: session.user_id,
                created_at: session.created_at.map(format_rfc3339),
                expires_at: session.expires_at.map(format_rfc3339),
            },
        ),
        OutputFormat::Text => {
            let mut rows = Vec::new();
            if let Some(token) = token {
                rows.push(("token", terminal_safe(token).into_owned()));
            }
            rows.push(("session id", opt(session.id)));
            rows.push(("application id", opt(session.application_id)));
            rows.push((
                "user",
                match session.user() {
                    Some(id) => format!("{id} (user session)"),
                    None => "none (application session)".to_owned(),
                },
            ));
            rows.push(("created at", opt_time(session.created_at)));
            rows.push(("expires at", opt_time(session.expires_at)));
            table(out, &rows)
        }
    }
}

/// Prints the user `login` returned.
pub(crate) fn user(out: &mut dyn Write, format: OutputFormat, user: &User) -> io::Result<()> {
    match format {
        OutputFormat::Json => json(out, user),
        OutputFormat::Text => {
            writeln!(out, "logged in; the token is now a user session token")?;
            table(
                out,
                &[
                    ("user id", user.id.to_string()),
                    ("login", or_dash(&user.login)),
                    ("email", or_dash(&user.email)),
                    ("full name", or_dash(&user.full_name)),
                ],
            )
        }
    }
}

/// Prints account settings.
pub(crate) fn account_settings(
    out: &mut dyn Write,
    format: OutputFormat,
    settings: &AccountSettings,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => json(out, settings),
        OutputFormat::Text => {
            table(
                out,
                &[
                    ("api endpoint", or_dash(&settings.api_endpoint)),
                    ("chat endpoint", or_dash(&settings.chat_endpoint)),
                    ("turn server", or_dash(&settings.turnserver_endpoint)),
                ],
            )?;
            match settings.try_endpoint() {
                Ok(endpoint) => writeln!(out, "use it with: --endpoint {endpoint}")?,
                // Say why the named host cannot be used (plain http off
                // loopback, not a URL); an absent one needs no words.
                Err(e) if settings.api_endpoint.is_some() => writeln!(
                    out,
                    "not usable as --endpoint: {}",
                    terminal_safe(&e.to_string())
                )?,
                Err(_) => {}
            }
            Ok(())
        }
    }
}

#[derive(Serialize)]
struct Done<'a> {
    operation: &'a str,
    ok: bool,
}

/// Prints the success of a call that returns nothing worth showing.
pub(crate) fn done(
    out: &mut dyn Write,
    format: OutputFormat,
    operation: &str,
    message: &str,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => json(
            out,
            &Done {
                operation,
                ok: true,
            },
        ),
        OutputFormat::Text => writeln!(out, "{message}"),
    }
}

/// Where a session file's session stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Standing {
    /// There is no file.
    Missing,
    /// A session that has not expired.
    Live,
    /// A session that has expired.
    Expired,
    /// A file that cannot be used, and why.
    Unusable(String),
}

/// One session file, as `status` shows it.
#[derive(Debug, Clone)]
pub(crate) struct SavedSession {
    pub(crate) path: PathBuf,
    pub(crate) standing: Standing,
    pub(crate) endpoint: Option<String>,
    pub(crate) application_id: Option<u64>,
    /// The hash of who the session is for, as the file records it.
    pub(crate) identity_key: Option<String>,
    /// 0 for an application session.
    pub(crate) user_id: Option<u64>,
    pub(crate) expires_at: Option<SystemTime>,
}

#[derive(Serialize)]
struct StatusView<'a> {
    sessions: Vec<SessionFileView<'a>>,
}

/// The `status --output json` form of one file. `standing` is `live`,
/// `expired`, `unusable` (with `problem`) or `missing`.
#[derive(Serialize)]
struct SessionFileView<'a> {
    path: String,
    standing: &'static str,
    problem: Option<&'a str>,
    endpoint: Option<&'a str>,
    application_id: Option<u64>,
    user_id: Option<u64>,
    identity_key: Option<&'a str>,
    expires_at: Option<String>,
    seconds_left: Option<u64>,
}

/// Prints what `status` found in `place` (a file or the directory read).
pub(crate) fn status(
    out: &mut dyn Write,
    format: OutputFormat,
    place: &Path,
    sessions: &[SavedSession],
) -> io::Result<()> {
    let now = SystemTime::now();
    let left = |s: &SavedSession| {
        s.expires_at
            .and_then(|t| t.duration_since(now).ok())
            .map(|d| d.as_secs())
    };
    match format {
        OutputFormat::Json => {
            let sessions = sessions
                .iter()
                .map(|s| SessionFileView {
                    path: s.path.display().to_string(),
                    standing: match s.standing {
                        Standing::Missing => "missing",
                        Standing::Live => "live",
                        Standing::Expired => "expired",
                        Standing::Unusable(_) => "unusable",
                    },
                    problem: match &s.standing {
                        Standing::Unusable(why) => Some(why),
                        _ => None,
                    },
                    endpoint: s.endpoint.as_deref(),
                    application_id: s.application_id,
                    user_id: s.user_id,
                    identity_key: s.identity_key.as_deref(),
                    expires_at: s.expires_at.map(format_rfc3339),
                    seconds_left: left(s),
                })
                .collect();
            json(out, &StatusView { sessions })
        }
        OutputFormat::Text => {
            if sessions.is_empty() {
                let place = place.display().to_string();
                return writeln!(out, "no session file in {}", terminal_safe(&place));
            }
            for (i, s) in sessions.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                let path = s.path.display().to_string();
                writeln!(out, "{}", terminal_safe(&path))?;
                let mut rows = Vec::new();
                match &s.standing {
                    Standing::Missing => rows.push(("session", "none saved".to_owned())),
                    Standing::Unusable(why) => {
                        rows.push(("unusable", terminal_safe(why).into_owned()));
                    }
                    Standing::Live | Standing::Expired => {}
                }
                if let Some(endpoint) = &s.endpoint {
                    rows.push(("endpoint", terminal_safe(endpoint).into_owned()));
                }
                if let Some(app) = s.application_id {
                    rows.push(("application", app.to_string()));
                }
                if let Some(user) = s.user_id {
                    rows.push((
                        "identity",
                        match user {
                            0 => "application session".to_owned(),
                            user => format!("user {user}"),
                        },
                    ));
                }
                if let Some(until) = s.expires_at {
                    let when = format_expiration(until);
                    rows.push(match left(s) {
                        Some(secs) => ("expires", format!("in {}, at {when}", span(secs))),
                        None => ("expired", format!("at {when}")),
                    });
                }
                for (key, value) in &rows {
                    writeln!(out, "  {key:<11}  {value}")?;
                }
            }
            Ok(())
        }
    }
}

/// A duration in words: `1 h 59 min`, `12 min`, `40 s`.
fn span(secs: u64) -> String {
    match (secs / 3600, secs % 3600 / 60) {
        (0, 0) => format!("{secs} s"),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The `--output json` form of a failure: `{"error":{...}}`.
#[derive(Debug, Serialize)]
pub(crate) struct ErrorReport {
    error: ErrorBody,
}

#[derive(Debug, Serialize)]
struct ErrorBody {
    /// A stable snake_case name: `usage`, `network`, `unexpected_signature`, ...
    kind: &'static str,
    /// The HTTP status of an error answer; `null` when none came.
    status: Option<u16>,
    /// What the text form prints after `error: `.
    message: String,
    /// What to do next, lines joined by `\n`; `null` when there is no advice.
    hint: Option<String>,
}

impl ErrorReport {
    pub(crate) fn new(
        kind: &'static str,
        status: Option<u16>,
        message: String,
        hints: &[String],
    ) -> Self {
        Self {
            error: ErrorBody {
                kind,
                status,
                message,
                hint: (!hints.is_empty()).then(|| hints.join("\n")),
            },
        }
    }
}

/// Prints a failure as one JSON line.
pub(crate) fn error_json(out: &mut dyn Write, report: &ErrorReport) -> io::Result<()> {
    json(out, report)?;
    out.flush()
}

/// One JSON line. serde_json escapes C0 controls only; DEL, C1 controls
/// and bidirectional marks from a server are escaped here too (`\u009b`),
/// so the line is as safe on a terminal as text output, and parses to the
/// same value.
fn json(out: &mut dyn Write, value: &impl Serialize) -> io::Result<()> {
    let text = serde_json::to_string(value)?;
    let unsafe_char = |c: char| c.is_control() || is_bidi_control(c);
    if text.contains(unsafe_char) {
        let mut safe = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            if unsafe_char(c) {
                // Outside strings JSON has only printable ASCII, so c is in one.
                let _ = write!(safe, "\\u{:04x}", u32::from(c));
            } else {
                safe.push(c);
            }
        }
        writeln!(out, "{safe}")
    } else {
        writeln!(out, "{text}")
    }
}

fn table(out: &mut dyn Write, rows: &[(&str, String)]) -> io::Result<()> {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (key, value) in rows {
        writeln!(out, "{key:<width$}  {value}")?;
    }
    Ok(())
}

/// A server-supplied value, made safe for a terminal, or `-`.
fn or_dash(value: &Option<String>) -> String {
    value
        .as_deref()
        .map_or_else(|| "-".to_owned(), |v| terminal_safe(v).into_owned())
}

fn opt(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn opt_time(value: Option<SystemTime>) -> String {
    value.map_or_else(|| "-".to_owned(), format_expiration)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use qb_auth_core::{
        AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString, SessionToken,
        SigningInput,
    };

    use super::*;

    fn signed() -> SignedRequest {
        let app = AppCredentials::new(
            12345,
            "AbCdEfGh-12345",
            SecretString::from("s3cr3t-Key_XYZ"),
        )
        .unwrap();
        let user = Identity::login("alice", "p@ss word&1=2").unwrap();
        CreateSession::new(
            &app,
            &user,
            SigningInput::new(1_700_000_000, Nonce::new(4242).unwrap()),
        )
        .build(&Endpoint::default())
        .unwrap()
    }

    fn render(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn dry_run_json_is_the_contract() {
        let text = render(|o| {
            dry_run(
                o,
                OutputFormat::Json,
                &signed(),
                HashAlgorithm::Sha1,
                Secrets::Shown,
            )
        });
        assert_eq!(text.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "body",
                "headers",
                "method",
                "signature",
                "string_to_sign",
                "url"
            ]
        );
        assert_eq!(value["method"], "POST");
        assert_eq!(value["url"], "https://api.quickblox.com/session.json");
        assert_eq!(value["headers"]["content-type"], "application/json");
        assert_eq!(
            value["signature"],
            "56a1c07a5dfb9dbe0948aa93c2b79a01eb33a177"
        );
    }

    #[test]
    fn dry_run_text_masks_the_string_to_sign() {
        let text = render(|o| {
            dry_run(
                o,
                OutputFormat::Text,
                &signed(),
                HashAlgorithm::Sha1,
                Secrets::Masked,
            )
        });
        assert!(text.contains("&user[login]=alice&user[password]=***\n"));
        assert!(!text.contains("p@ss"), "{text}");
        assert!(text.contains("signature (hmac-sha1): 56a1c07a5dfb9dbe0948aa93c2b79a01eb33a177"));
        assert!(text.starts_with("POST https://api.quickblox.com/session.json\n"));
    }

    /// Every identity's body in both formats, masked: the secrets become
    /// `***` and nothing else changes.
    #[test]
    fn dry_run_bodies_mask_exactly_the_secrets() {
        use qb_auth_core::{BodyFormat, SocialProvider};

        let app = AppCredentials::new(1, "k", SecretString::from("s")).unwrap();
        let identities = [
            (Identity::application(), vec![]),
            (
                Identity::login("alice", "p@ss wo\"rd&1=2").unwrap(),
                vec!["p@ss wo\"rd&1=2"],
            ),
            (
                Identity::email("a@b.c", "pw-secret").unwrap(),
                vec!["pw-secret"],
            ),
            (
                Identity::social(
                    SocialProvider::Twitter,
                    Some("tw-token"),
                    Some("tw-secret"),
                    Some("email"),
                )
                .unwrap(),
                vec!["tw-token", "tw-secret"],
            ),
            (
                Identity::firebase_phone("proj", "fb-id-token").unwrap(),
                vec!["fb-id-token"],
            ),
        ];
        for (identity, secrets) in identities {
            for format in [BodyFormat::Json, BodyFormat::Form] {
                let signed = CreateSession::new(
                    &app,
                    &identity,
                    SigningInput::new(1_700_000_000, Nonce::new(7).unwrap()),
                )
                .body_format(format)
                .build(&Endpoint::default())
                .unwrap();
                let body = std::str::from_utf8(signed.request().body().as_bytes()).unwrap();
                let masked = shown_body(&signed, Secrets::Masked).unwrap();
                assert_eq!(shown_body(&signed, Secrets::Shown).unwrap(), body);
                for secret in &secrets {
                    assert!(!masked.contains(secret), "{format:?}: {masked}");
                }
                match format {
                    BodyFormat::Json => {
                        let expected = secrets.iter().fold(body.to_owned(), |b, secret| {
                            b.replacen(&serde_json::to_string(secret).unwrap(), "\"***\"", 1)
                        });
                        assert_eq!(masked, expected);
                    }
                    _ => {
                        let pairs = |b: &str| b.split('&').map(str::to_owned).collect::<Vec<_>>();
                        let (sent, shown) = (pairs(body), pairs(&masked));
                        assert_eq!(sent.len(), shown.len());
                        let changed = sent.iter().zip(&shown).filter(|(a, b)| a != b);
                        for (a, b) in changed.clone() {
                            let key = a.split('=').next().unwrap();
                            assert_eq!(b, &format!("{key}=***"));
                        }
                        assert_eq!(changed.count(), secrets.len(), "{masked}");
                    }
                }
            }
        }
    }

    #[test]
    fn json_escapes_what_a_terminal_would_act_on_and_keeps_the_value() {
        let report = ErrorReport::new(
            "unexpected_response",
            Some(400),
            "bad \u{1b}[2J \u{9b}31m \u{202e}gnp.exe \u{7f}".into(),
            &["first".into(), "second".into()],
        );
        let text = render(|o| error_json(o, &report));
        assert!(
            !text.contains(['\u{1b}', '\u{9b}', '\u{202e}', '\u{7f}']),
            "{text:?}"
        );
        assert!(text.contains(r"\u009b31m \u202egnp.exe \u007f"), "{text}");
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"error": {
                "kind": "unexpected_response",
                "status": 400,
                "message": "bad \u{1b}[2J \u{9b}31m \u{202e}gnp.exe \u{7f}",
                "hint": "first\nsecond",
            }})
        );
    }

    #[test]
    fn session_token_is_shown_only_when_asked() {
        let mut s = Session::new(SessionToken::new("t0k3n-abc"));
        s.user_id = 42;
        s.expires_at = Some(UNIX_EPOCH + Duration::from_secs(1_511_939_478));
        let shown = render(|o| session(o, OutputFormat::Text, &s, ShowToken::Yes));
        assert!(shown.contains("token           t0k3n-abc\n"), "{shown}");
        assert!(
            shown.contains("user            42 (user session)\n"),
            "{shown}"
        );
        assert!(
            shown.contains("expires at      2017-11-29 07:11:18 UTC\n"),
            "{shown}"
        );
        for format in [OutputFormat::Text, OutputFormat::Json] {
            let hidden = render(|o| session(o, format, &s, ShowToken::No));
            assert!(!hidden.contains("t0k3n"), "{hidden}");
        }
        let json_shown = render(|o| session(o, OutputFormat::Json, &s, ShowToken::Yes));
        let value: serde_json::Value = serde_json::from_str(&json_shown).unwrap();
        assert_eq!(value["token"], "t0k3n-abc");
        assert_eq!(value["expires_at"], "2017-11-29T07:11:18Z");
    }
}

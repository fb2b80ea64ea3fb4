//! Why a create-session got "Unexpected signature". QuickBlox's answer says
//! nothing more; the emulator knows the secret, so it signs the strings that
//! the usual client mistakes produce and sees which one the request's
//! signature matches. What it finds goes to the log, the control API and the
//! page, never into the answer, whose bytes stay QuickBlox's.

mod cause;
pub(crate) mod mask;
mod search;

pub use cause::{Encoding, SecretMistake, SignatureCause};

use crate::config::{AppConfig, Directory};
use crate::params::Params;

/// What the emulator could tell about one create-session it answered
/// "Unexpected signature": the parameters as received and the string it
/// signed from them (passwords, tokens and secrets masked as `***`, long
/// values cut), and the first cause it could establish.
///
/// Read it from [`RequestRecord::diagnosis`](crate::RequestRecord::diagnosis),
/// `GET /_emulator/requests` or the page at `/_emulator/`.
///
/// ```
/// use qb_auth_emulator::{Emulator, SignatureCause};
/// # use std::io::{Read, Write};
/// # fn http(emulator: &qb_auth_emulator::EmulatorControl, request: &str, headers: &[&str], body: &str) -> std::io::Result<String> {
/// #     let mut stream = std::net::TcpStream::connect(emulator.local_addr())?;
/// #     stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
/// #     let headers: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
/// #     let length = body.len();
/// #     write!(stream, "{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}Content-Length: {length}\r\n\r\n{body}")?;
/// #     let mut answer = String::new();
/// #     stream.read_to_string(&mut answer)?;
/// #     Ok(answer)
/// # }
///
/// let emulator = Emulator::with_demo_fixtures().start_blocking()?;
/// let ts = emulator.server_time().duration_since(std::time::UNIX_EPOCH)?.as_secs();
/// // Signed with the auth key where the auth secret belongs.
/// let string = format!("application_id=12345&auth_key=AbCdEfGh-12345&nonce=1&timestamp={ts}");
/// let signature = qb_auth_core::signature::sign(
///     &"AbCdEfGh-12345".into(), &string, qb_auth_core::HashAlgorithm::Sha1);
/// let body = format!("{string}&signature={signature}");
/// let form = ["Content-Type: application/x-www-form-urlencoded"];
/// let answer = http(&emulator, "POST /session.json", &form, &body)?;
/// assert!(answer.ends_with(r#"{"errors":{"base":["Unexpected signature"]}}"#));
///
/// let requests = emulator.recent_requests();
/// let diagnosis = requests[0].diagnosis.as_ref().ok_or("no diagnosis")?;
/// assert!(matches!(diagnosis.cause, SignatureCause::WrongSecret(_)));
/// assert_eq!(diagnosis.cause.to_string(),
///     "signed with the auth key instead of the auth secret");
/// assert_eq!(diagnosis.string_to_sign, string);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureDiagnosis {
    /// The application the request named.
    pub application_id: u64,
    /// Every parameter as received, in arrival order, `signature` included
    /// (its first 8 characters only); at most [`SignatureDiagnosis::MAX_PARAMS`],
    /// keys and values cut at 120 characters.
    pub params: Vec<(String, String)>,
    /// Parameters received beyond those in `params`.
    pub omitted_params: usize,
    /// The string the emulator signed from the parameters, masked like them
    /// (cut at 2048 characters).
    pub string_to_sign: String,
    /// The first cause the emulator could establish.
    pub cause: SignatureCause,
}

impl SignatureDiagnosis {
    /// Most parameters kept in [`SignatureDiagnosis::params`] (QuickBlox's
    /// create-session takes at most a dozen).
    pub const MAX_PARAMS: usize = 24;

    /// Looks into a create-session for `app` refused as "Unexpected signature".
    pub(crate) fn new(
        app: &AppConfig,
        directory: &Directory,
        params: &Params,
        body: &[u8],
    ) -> Self {
        let masker = mask::Masker::new(directory);
        let (shown, omitted_params) = masker.params(params, Self::MAX_PARAMS);
        Self {
            application_id: app.id,
            params: shown,
            omitted_params,
            string_to_sign: masker.string_to_sign(params),
            cause: search::cause(app, directory, params, body),
        }
    }
}

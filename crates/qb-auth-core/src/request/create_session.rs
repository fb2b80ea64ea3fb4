use std::fmt;

use http::Method;
use zeroize::Zeroizing;

use super::{Body, BodyFormat, HttpRequest, SESSION_PATH, builder_with_body, finish, uri};
use crate::credentials::{AppCredentials, Identity};
use crate::endpoint::Endpoint;
use crate::error::BuildError;
use crate::nonce::SigningInput;
use crate::params::{Numbers, Params, SensitiveRanges};
use crate::signature::{self, HashAlgorithm, Signature};

/// `POST /session.json`: a signed request for an application or user session.
///
/// The string to sign and the body are written from one parameter set, so
/// what is signed is always what is sent.
///
/// ```
/// use qb_auth_core::{AppCredentials, BodyFormat, CreateSession, Endpoint, Identity, Nonce,
///     SecretString, SigningInput};
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let user = Identity::login("alice", "p@ss word&1=2")?;
/// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
///
/// let signed = CreateSession::new(&app, &user, input)
///     .body_format(BodyFormat::Form)
///     .build(&Endpoint::default())?;
///
/// assert_eq!(signed.signature().as_str(), "56a1c07a5dfb9dbe0948aa93c2b79a01eb33a177");
/// assert_eq!(
///     signed.masked_string_to_sign(),
///     "application_id=12345&auth_key=AbCdEfGh-12345&nonce=4242&timestamp=1700000000\
///      &user[login]=alice&user[password]=***"
/// );
/// let request = signed.into_request();
/// assert_eq!(request.uri(), "https://api.quickblox.com/session.json");
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CreateSession<'a> {
    app: &'a AppCredentials,
    identity: &'a Identity,
    input: SigningInput,
    body_format: BodyFormat,
    hash: HashAlgorithm,
}

impl<'a> CreateSession<'a> {
    /// A create-session request for `identity`, signed with `input`.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
    ///     SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let signed = CreateSession::new(&app, &Identity::application(), input)
    ///     .build(&Endpoint::default())?;
    /// assert_eq!(signed.signature().as_str(), "313e3b565417d33e0ea031c0745e4b6a7222aa13");
    /// # Ok::<(), qb_auth_core::BuildError>(())
    /// ```
    pub fn new(app: &'a AppCredentials, identity: &'a Identity, input: SigningInput) -> Self {
        Self {
            app,
            identity,
            input,
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
        }
    }

    /// JSON (the default) or form body.
    pub fn body_format(mut self, format: BodyFormat) -> Self {
        self.body_format = format;
        self
    }

    /// HMAC-SHA1 (the default) or HMAC-SHA256 (not confirmed by the server).
    pub fn hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }

    /// Signs and builds the request for `endpoint`.
    ///
    /// ```
    /// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
    ///     SigningInput};
    ///
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
    /// let endpoint = Endpoint::parse("http://127.0.0.1:8080")?;
    /// let signed = CreateSession::new(&app, &Identity::application(), input).build(&endpoint)?;
    /// assert_eq!(signed.request().uri(), "http://127.0.0.1:8080/session.json");
    /// let json: serde_json::Value = serde_json::from_slice(signed.request().body().as_bytes())?;
    /// assert_eq!(json["nonce"], "4242");
    /// assert_eq!(json["signature"], "313e3b565417d33e0ea031c0745e4b6a7222aa13");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn build(&self, endpoint: &Endpoint) -> Result<SignedRequest, BuildError> {
        let mut numbers = Numbers::default();
        let params = Params::create_session(self.app, &self.identity.0, self.input, &mut numbers);
        let (string_to_sign, sensitive) = params.string_to_sign();
        let signature = match self.hash {
            HashAlgorithm::Sha1 => {
                signature::sign_keyed(self.app.keyed_sha1(), string_to_sign.as_bytes())
            }
            other => signature::sign(self.app.auth_secret(), &string_to_sign, other),
        };
        let (body, body_sensitive) = match self.body_format {
            BodyFormat::Json => params.json_body(Some(signature.as_str())),
            BodyFormat::Form => params.form_body(Some(signature.as_str())),
        };
        let request = finish(
            builder_with_body(
                Method::POST,
                uri(endpoint, &SESSION_PATH)?,
                self.body_format,
            ),
            Body::from(body),
        )?;
        Ok(SignedRequest {
            request,
            string_to_sign,
            sensitive,
            body_sensitive,
            signature,
            input: self.input,
        })
    }
}

/// A built create-session request, with the stages that produced it kept
/// for inspection: the string to sign and the signature.
///
/// ```
/// use qb_auth_core::{AppCredentials, CreateSession, Endpoint, Identity, Nonce, SecretString,
///     SigningInput};
///
/// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// let input = SigningInput::new(1_700_000_000, Nonce::new(4242)?);
/// let signed = CreateSession::new(&app, &alice, input).build(&Endpoint::default())?;
/// let shown = format!("{signed:?}");
/// assert!(shown.contains("user[password]=***"));
/// assert!(!shown.contains("p@ss"));
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
pub struct SignedRequest {
    request: HttpRequest,
    string_to_sign: Zeroizing<String>,
    sensitive: SensitiveRanges,
    /// Where the body's sensitive values are.
    body_sensitive: SensitiveRanges,
    signature: Signature,
    input: SigningInput,
}

impl Drop for SignedRequest {
    fn drop(&mut self) {
        // Emptied, so that `Zeroizing` wipes the whole allocation in one
        // bulk write: see `Body`'s `Drop` for why.
        self.string_to_sign.clear();
    }
}

impl SignedRequest {
    /// The request to send.
    pub fn request(&self) -> &HttpRequest {
        &self.request
    }

    /// Takes the request to send.
    pub fn into_request(mut self) -> HttpRequest {
        std::mem::take(&mut self.request)
    }

    /// The exact string that was signed. It contains the user's password or
    /// provider token: show [`SignedRequest::masked_string_to_sign`] instead
    /// to people and logs.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The string that was signed with passwords, provider tokens and
    /// secrets replaced by `***`.
    pub fn masked_string_to_sign(&self) -> String {
        self.sensitive.mask(&self.string_to_sign)
    }

    /// The body as it is sent, with the same values replaced by `***` (in
    /// a form body the escaped value, in JSON the text between its quotes).
    pub fn masked_body(&self) -> String {
        // The core writes bodies as UTF-8 text.
        let body = String::from_utf8_lossy(self.request.body().as_bytes());
        self.body_sensitive.mask(&body)
    }

    /// The signature sent in the `signature` parameter.
    pub fn signature(&self) -> Signature {
        self.signature
    }

    /// The timestamp and nonce it was signed with.
    pub fn signing_input(&self) -> SigningInput {
        self.input
    }
}

impl fmt::Debug for SignedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRequest")
            .field("request", &self.request)
            .field("string_to_sign", &self.masked_string_to_sign())
            .field("signature", &self.signature)
            .finish()
    }
}

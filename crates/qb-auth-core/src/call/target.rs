//! [`Target`]: what a call's request is built against.

use http::Method;
use http::uri::PathAndQuery;

use crate::endpoint::Endpoint;
use crate::error::{BuildError, BuildErrorKind};
use crate::nonce::SigningInput;
use crate::request::{Body, BodyFormat, HttpRequest, builder, finish, uri_with_path};
use crate::signature::HashAlgorithm;

/// What one attempt of an [`ApiCall`](super::ApiCall) is built against: the
/// client's endpoint, body format and hash, and for a signed call the
/// attempt's timestamp and nonce.
///
/// ```
/// use qb_auth_core::call::Target;
/// use qb_auth_core::{BodyFormat, Endpoint};
///
/// let endpoint = Endpoint::parse("http://127.0.0.1:8080")?;
/// let target = Target::new(&endpoint).body_format(BodyFormat::Form);
/// let request = target.request(http::Method::GET, "/users/7.json")?;
/// assert_eq!(request.uri(), "http://127.0.0.1:8080/users/7.json");
/// assert_eq!(request.headers()["qb-sdk"], qb_auth_core::request::SDK_HEADER_VALUE);
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    endpoint: &'a Endpoint,
    body_format: BodyFormat,
    hash: HashAlgorithm,
    signing: Option<SigningInput>,
}

impl<'a> Target<'a> {
    /// Requests for `endpoint`, with JSON bodies, HMAC-SHA1 and no signing
    /// input.
    pub fn new(endpoint: &'a Endpoint) -> Self {
        Self {
            endpoint,
            body_format: BodyFormat::default(),
            hash: HashAlgorithm::default(),
            signing: None,
        }
    }

    /// JSON (the default) or form bodies.
    pub fn body_format(mut self, format: BodyFormat) -> Self {
        self.body_format = format;
        self
    }

    /// HMAC-SHA1 (the default) or HMAC-SHA256.
    pub fn hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }

    /// The timestamp and nonce a signed call signs this attempt with.
    pub fn signing(mut self, input: SigningInput) -> Self {
        self.signing = Some(input);
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &'a Endpoint {
        self.endpoint
    }

    /// The body format.
    pub fn format(&self) -> BodyFormat {
        self.body_format
    }

    /// The hash signatures use.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash
    }

    /// The attempt's timestamp and nonce, if given.
    pub fn signing_input(&self) -> Option<SigningInput> {
        self.signing
    }

    /// A request for `path` (from `/`, with ids or a query if any) on the
    /// endpoint, with the headers every call carries and no body: the
    /// start of an endpoint of your own.
    ///
    /// # Errors
    ///
    /// [`BuildErrorKind::Http`] when `path` is not a valid path.
    pub fn request(&self, method: Method, path: &str) -> Result<HttpRequest, BuildError> {
        if !path.starts_with('/') {
            return Err(BuildError::new(BuildErrorKind::Http(
                "a request path must start with '/'".to_owned(),
            )));
        }
        let path = PathAndQuery::try_from(path).map_err(|_| {
            BuildError::new(BuildErrorKind::Http("not a valid request path".into()))
        })?;
        finish(
            builder(method, uri_with_path(self.endpoint, path)?),
            Body::empty(),
        )
    }
}

use std::fmt;

use zeroize::Zeroizing;

/// How a request body is encoded.
///
/// ```
/// use qb_auth_core::{login, BodyFormat, Endpoint, Identity, SessionToken};
///
/// let alice = Identity::login("alice", "p@ss word&1=2")?;
/// let req = login(&Endpoint::default(), &SessionToken::new("abc"), &alice, BodyFormat::Json)?;
/// assert_eq!(req.headers()["content-type"], "application/json");
/// assert_eq!(BodyFormat::default(), BodyFormat::Json);
/// # Ok::<(), qb_auth_core::BuildError>(())
/// ```
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    /// `application/json` with nested objects and string values, as in
    /// QuickBlox's documentation. The default.
    #[default]
    Json,
    /// `application/x-www-form-urlencoded` with bracket keys
    /// (`user[login]=...`), as the official JavaScript SDK sends it.
    Form,
}

impl BodyFormat {
    /// `json` or `form`.
    ///
    /// ```
    /// use qb_auth_core::BodyFormat;
    ///
    /// assert_eq!(BodyFormat::Json.as_str(), "json");
    /// assert_eq!(BodyFormat::Form.as_str(), "form");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Form => "form",
        }
    }
}

/// A request body. It may hold a password or a provider token, so `Debug`
/// shows only its length, and the bytes are zeroized on drop.
///
/// ```
/// use qb_auth_core::Body;
///
/// let body = Body::from(b"password=hunter2".to_vec());
/// assert_eq!(format!("{body:?}"), "Body(16 bytes)");
/// assert_eq!(body.as_bytes(), b"password=hunter2");
/// assert_eq!(Body::from("{}").as_bytes(), b"{}");
/// assert!(Body::from(()).is_empty());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Body(Zeroizing<Vec<u8>>);

impl Body {
    /// An empty body, for `GET` and `DELETE`.
    pub fn empty() -> Self {
        Self::default()
    }

    /// The bytes to send.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The bytes as an owned vector, for transports that take one. The
    /// copy they keep is no longer zeroized by this type.
    pub fn into_vec(mut self) -> Vec<u8> {
        std::mem::take(&mut *self.0)
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        // `Zeroizing<Vec<u8>>` alone zeroes the bytes in use with one
        // volatile store each, about a tenth of building a request, and its
        // spare capacity in bulk (one `memset` behind an optimization
        // barrier). Emptied here, without freeing, the whole allocation is
        // spare capacity, which `Zeroizing` then wipes in one bulk write.
        self.0.clear();
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }
}

// Requests users build for `send` carry all sorts of bodies; these let a
// transport take any of them as one type.
impl From<String> for Body {
    fn from(text: String) -> Self {
        Self::from(text.into_bytes())
    }
}

impl From<&str> for Body {
    fn from(text: &str) -> Self {
        Self::from(text.as_bytes())
    }
}

impl From<&[u8]> for Body {
    fn from(bytes: &[u8]) -> Self {
        Self::from(bytes.to_vec())
    }
}

/// `()`: no body, as in `http::Request::get(uri).body(())`.
impl From<()> for Body {
    fn from((): ()) -> Self {
        Self::empty()
    }
}

impl AsRef<[u8]> for Body {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body({} bytes)", self.0.len())
    }
}

//! What a call is, by name: for errors, logs and metrics, and for reading
//! an answer (a 401 means bad credentials only when creating a session).

/// Which call an answer belongs to; the same status means different things
/// on different calls (a 401 from creating a user session is a wrong
/// password; elsewhere it is a missing or expired session).
///
/// ```
/// use qb_auth_core::{check_status, ErrorKind, Operation};
///
/// let answer = http::Response::builder()
///     .status(401)
///     .body(br#"{"errors":["Unauthorized"]}"#.to_vec())?;
/// let login = check_status(&answer, Operation::CreateUserSession).unwrap_err();
/// assert_eq!(login.kind(), ErrorKind::InvalidCredentials);
/// let other = check_status(&answer, Operation::Other).unwrap_err();
/// assert_eq!(other.kind(), ErrorKind::Unauthorized);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /session.json` without a user.
    CreateApplicationSession,
    /// `POST /session.json` with a user identity.
    CreateUserSession,
    /// `GET /session.json`.
    GetSession,
    /// `DELETE /session.json`.
    DestroySession,
    /// `POST /login.json`.
    Login,
    /// `DELETE /login.json`.
    Logout,
    /// `GET /account_settings.json`.
    AccountSettings,
    /// Any other call, authorized with a session token or an API key.
    Other,
}

impl Operation {
    /// A short name for logs and messages.
    ///
    /// ```
    /// use qb_auth_core::Operation;
    ///
    /// assert_eq!(Operation::CreateUserSession.as_str(), "create user session");
    /// assert_eq!(Operation::Other.as_str(), "request");
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CreateApplicationSession => "create application session",
            Self::CreateUserSession => "create user session",
            Self::GetSession => "get session",
            Self::DestroySession => "destroy session",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::AccountSettings => "account settings",
            Self::Other => "request",
        }
    }

    /// A stable snake_case name, for machines: metric labels.
    ///
    /// ```
    /// use qb_auth_core::Operation;
    ///
    /// assert_eq!(Operation::CreateUserSession.code(), "create_user_session");
    /// ```
    pub const fn code(self) -> &'static str {
        match self {
            Self::CreateApplicationSession => "create_application_session",
            Self::CreateUserSession => "create_user_session",
            Self::GetSession => "get_session",
            Self::DestroySession => "destroy_session",
            Self::Login => "login",
            Self::Logout => "logout",
            Self::AccountSettings => "account_settings",
            Self::Other => "request",
        }
    }
}

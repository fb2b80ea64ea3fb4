//! Why a request was refused: one name per reason, shared by the counters,
//! the recent-requests log, the control API and the page.

use std::fmt;

/// Why the emulator answered a request with an error (injected faults are
/// [`Fault`](crate::Fault)s, not refusals).
///
/// Each reason is counted in one field of
/// [`EmulatorStats`](crate::EmulatorStats) (the table in
/// [`Refusal::name`]'s docs) and named the same way in the control API.
///
/// ```
/// use qb_auth_emulator::Refusal;
///
/// assert_eq!(Refusal::UnexpectedSignature.name(), "unexpected_signature");
/// assert_eq!(Refusal::UnexpectedSignature.to_string(), "unexpected signature");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// 422 "Unexpected signature".
    UnexpectedSignature,
    /// 422 "Bad timestamp".
    BadTimestamp,
    /// 422 "Nonce has already been used".
    NonceReused,
    /// 422 "No application found".
    NoApplication,
    /// 401 "Unauthorized": a wrong login, email, password, provider token,
    /// API key or account key.
    WrongCredentials,
    /// 401 "Required session does not exist" for a token that expired.
    SessionExpired,
    /// 401 "Required session does not exist" for a token never issued or
    /// destroyed.
    UnknownToken,
    /// 401 "Token is required".
    TokenRequired,
    /// 401 "Account key is required".
    AccountKeyRequired,
    /// 422 "Forbidden. Need user."
    NeedUser,
    /// 422 "On-Behalf-Of must be the id of an existing user".
    UnknownOnBehalfOf,
    /// 422 "Unsupported provider".
    UnsupportedProvider,
    /// 429 from the per-application rate limit.
    RateLimited,
    /// 413: a body over the limit.
    BodyTooLarge,
    /// 408: a body that did not arrive in time.
    BodyTimeout,
    /// 400 or 415: a body that could not be read as parameters, a missing
    /// create-session parameter, or both `QB-Token` and `Authorization`.
    Malformed,
    /// 503: the cap on sessions or on used nonces was reached.
    Capacity,
    /// 503: the connection was shed to make room while its body arrived.
    Shed,
    /// 404 or 405: no such endpoint, or not with that method.
    UnknownRoute,
}

impl Refusal {
    /// Every reason, in the order the control API lists them.
    pub const ALL: [Self; 19] = [
        Self::UnexpectedSignature,
        Self::BadTimestamp,
        Self::NonceReused,
        Self::NoApplication,
        Self::WrongCredentials,
        Self::SessionExpired,
        Self::UnknownToken,
        Self::TokenRequired,
        Self::AccountKeyRequired,
        Self::NeedUser,
        Self::UnknownOnBehalfOf,
        Self::UnsupportedProvider,
        Self::RateLimited,
        Self::BodyTooLarge,
        Self::BodyTimeout,
        Self::Malformed,
        Self::Capacity,
        Self::Shed,
        Self::UnknownRoute,
    ];

    /// The stable snake_case name used by the control API and the log.
    ///
    /// | name | counted in [`EmulatorStats`](crate::EmulatorStats) |
    /// | --- | --- |
    /// | `unexpected_signature` | `signature_failures` |
    /// | `bad_timestamp` | `bad_timestamps` |
    /// | `nonce_reused` | `replays_rejected` |
    /// | `no_application` | `unknown_applications` |
    /// | `wrong_credentials` | `credential_failures` |
    /// | `session_expired` | `expired_rejections` |
    /// | `unknown_token` | `unknown_token_rejections` |
    /// | `token_required` | `missing_token_rejections` |
    /// | `account_key_required` | `missing_account_keys` |
    /// | `need_user` | `need_user_rejections` |
    /// | `unknown_on_behalf_of` | `unknown_on_behalf_of` |
    /// | `unsupported_provider` | `unsupported_providers` |
    /// | `rate_limited` | `rate_limited` |
    /// | `body_too_large` | `bodies_too_large` |
    /// | `body_timeout` | `body_timeouts` |
    /// | `malformed` | `malformed_requests` |
    /// | `capacity` | `capacity_refusals` |
    /// | `shed` | `shed_requests` |
    /// | `unknown_route` | `unknown_routes` |
    pub const fn name(self) -> &'static str {
        match self {
            Self::UnexpectedSignature => "unexpected_signature",
            Self::BadTimestamp => "bad_timestamp",
            Self::NonceReused => "nonce_reused",
            Self::NoApplication => "no_application",
            Self::WrongCredentials => "wrong_credentials",
            Self::SessionExpired => "session_expired",
            Self::UnknownToken => "unknown_token",
            Self::TokenRequired => "token_required",
            Self::AccountKeyRequired => "account_key_required",
            Self::NeedUser => "need_user",
            Self::UnknownOnBehalfOf => "unknown_on_behalf_of",
            Self::UnsupportedProvider => "unsupported_provider",
            Self::RateLimited => "rate_limited",
            Self::BodyTooLarge => "body_too_large",
            Self::BodyTimeout => "body_timeout",
            Self::Malformed => "malformed",
            Self::Capacity => "capacity",
            Self::Shed => "shed",
            Self::UnknownRoute => "unknown_route",
        }
    }
}

impl fmt::Display for Refusal {
    /// The name with spaces: `unexpected signature`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.name().split('_').enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(word)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_listed_once() {
        let mut names: Vec<_> = Refusal::ALL.iter().map(|r| r.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Refusal::ALL.len());
        assert_eq!(
            Refusal::UnknownOnBehalfOf.to_string(),
            "unknown on behalf of"
        );
    }
}

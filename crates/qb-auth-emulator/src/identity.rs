//! Who a create-session or login request names, checked against the
//! configured users and provider tokens. Secrets compare in constant time.

use qb_auth_core::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::config::{Directory, ProviderLogin, UserConfig};
use crate::params::Params;

/// Where the user's credentials are: `user[login]` in create-session,
/// `login` at the top level in `POST /login.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    Nested,
    TopLevel,
}

impl Placement {
    fn keys(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::Nested => ("user[login]", "user[email]", "user[password]"),
            Self::TopLevel => ("login", "email", "password"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdentityError {
    /// Wrong or incomplete credentials: 401 Unauthorized.
    Unauthorized,
    /// A provider other than facebook, twitter or firebase_phone.
    UnsupportedProvider,
}

/// The user the parameters identify; `Ok(None)` when they name nobody (an
/// application session). Precedence follows the official JavaScript SDK:
/// login, then email, then provider.
pub(crate) fn resolve<'d>(
    directory: &'d Directory,
    params: &Params,
    placement: Placement,
) -> Result<Option<&'d UserConfig>, IdentityError> {
    let (login_key, email_key, password_key) = placement.keys();
    let login = params.non_blank(login_key);
    let email = params.non_blank(email_key);
    let password = params.get(password_key);
    if login.is_some() || email.is_some() || password.is_some() {
        let password = password.ok_or(IdentityError::Unauthorized)?;
        let user = match (login, email) {
            (Some(login), _) => directory.users.iter().find(|u| u.login == login),
            (None, Some(email)) => directory.users.iter().find(|u| {
                u.email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            }),
            (None, None) => None,
        };
        return match user {
            Some(user) if secret_eq(user.password.expose_secret(), password) => Ok(Some(user)),
            _ => Err(IdentityError::Unauthorized),
        };
    }
    let Some(provider) = params.non_blank("provider") else {
        return Ok(None);
    };
    let user_id = match provider {
        "facebook" => {
            let token = params
                .non_blank("keys[token]")
                .ok_or(IdentityError::Unauthorized)?;
            directory.provider_logins.iter().find_map(|l| match l {
                ProviderLogin::Facebook { token: t, user_id }
                    if secret_eq(t.expose_secret(), token) =>
                {
                    Some(*user_id)
                }
                _ => None,
            })
        }
        "twitter" => {
            let token = params
                .non_blank("keys[token]")
                .ok_or(IdentityError::Unauthorized)?;
            let secret = params
                .non_blank("keys[secret]")
                .ok_or(IdentityError::Unauthorized)?;
            directory.provider_logins.iter().find_map(|l| match l {
                ProviderLogin::Twitter {
                    token: t,
                    secret: s,
                    user_id,
                } if secret_eq(t.expose_secret(), token) & secret_eq(s.expose_secret(), secret) => {
                    Some(*user_id)
                }
                _ => None,
            })
        }
        "firebase_phone" => {
            let project = params
                .non_blank("firebase_phone[project_id]")
                .ok_or(IdentityError::Unauthorized)?;
            let token = params
                .non_blank("firebase_phone[access_token]")
                .ok_or(IdentityError::Unauthorized)?;
            directory.provider_logins.iter().find_map(|l| match l {
                ProviderLogin::Firebase {
                    project_id,
                    access_token,
                    user_id,
                } if project_id == project && secret_eq(access_token.expose_secret(), token) => {
                    Some(*user_id)
                }
                _ => None,
            })
        }
        _ => return Err(IdentityError::UnsupportedProvider),
    };
    user_id
        .and_then(|id| directory.user(id))
        .map(Some)
        .ok_or(IdentityError::Unauthorized)
}

/// Compares two secrets in time that depends only on their lengths.
pub(crate) fn secret_eq(expected: &str, given: &str) -> bool {
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;
    use crate::config::{AppConfig, UserConfig};

    fn directory() -> Directory {
        Directory {
            apps: vec![AppConfig::new(1, "k", "s")],
            users: vec![
                UserConfig::new(7, "alice", "pw").email("Alice@Example.com"),
                UserConfig::new(8, "bob", "pw2"),
            ],
            provider_logins: vec![
                ProviderLogin::Facebook {
                    token: "fb".into(),
                    user_id: 8,
                },
                ProviderLogin::Twitter {
                    token: "tt".into(),
                    secret: "ts".into(),
                    user_id: 7,
                },
                ProviderLogin::Firebase {
                    project_id: "p".into(),
                    access_token: "at".into(),
                    user_id: 8,
                },
            ],
        }
    }

    fn who(body: &str, placement: Placement) -> Result<Option<u64>, IdentityError> {
        let params = Params::decode(&HeaderMap::new(), body.as_bytes()).unwrap();
        resolve(&directory(), &params, placement).map(|u| u.map(|u| u.id))
    }

    #[test]
    fn users_by_login_or_email() {
        use Placement::*;
        assert_eq!(who("a=1", Nested), Ok(None));
        assert_eq!(
            who("user[login]=alice&user[password]=pw", Nested),
            Ok(Some(7))
        );
        assert_eq!(
            who("user[email]=alice@example.COM&user[password]=pw", Nested),
            Ok(Some(7))
        );
        assert_eq!(who("login=bob&password=pw2", TopLevel), Ok(Some(8)));
        assert_eq!(
            who("user[login]=alice&user[password]=pw2", Nested),
            Err(IdentityError::Unauthorized)
        );
        assert_eq!(
            who("user[login]=alice", Nested),
            Err(IdentityError::Unauthorized)
        );
        assert_eq!(
            who("user[login]=carol&user[password]=pw", Nested),
            Err(IdentityError::Unauthorized)
        );
        // Top-level names are not read in create-session, nor nested ones in login.
        assert_eq!(who("login=bob&password=pw2", Nested), Ok(None));
        assert_eq!(
            who("user[login]=bob&user[password]=pw2", TopLevel),
            Ok(None)
        );
    }

    #[test]
    fn provider_tokens() {
        use Placement::*;
        assert_eq!(who("provider=facebook&keys[token]=fb", Nested), Ok(Some(8)));
        assert_eq!(
            who("provider=facebook&keys[token]=fb&keys[secret]=x", TopLevel),
            Ok(Some(8))
        );
        assert_eq!(
            who("provider=facebook&keys[token]=no", Nested),
            Err(IdentityError::Unauthorized)
        );
        assert_eq!(
            who("provider=twitter&keys[token]=tt&keys[secret]=ts", Nested),
            Ok(Some(7))
        );
        assert_eq!(
            who("provider=twitter&keys[token]=tt", Nested),
            Err(IdentityError::Unauthorized)
        );
        assert_eq!(
            who("provider=twitter&keys[token]=tt&keys[secret]=no", Nested),
            Err(IdentityError::Unauthorized)
        );
        assert_eq!(
            who(
                "provider=firebase_phone&firebase_phone[project_id]=p&firebase_phone[access_token]=at",
                TopLevel
            ),
            Ok(Some(8))
        );
        assert_eq!(
            who(
                "provider=firebase_phone&firebase_phone[project_id]=q&firebase_phone[access_token]=at",
                Nested
            ),
            Err(IdentityError::Unauthorized)
        );
        assert_eq!(
            who("provider=myspace&keys[token]=x", Nested),
            Err(IdentityError::UnsupportedProvider)
        );
    }
}

//! The small languages of the emulator's flags and configuration file:
//! `LOGIN:PASSWORD[:EMAIL]`, provider tokens, `503x2`, durations and
//! shares. Parsers of values that hold secrets never quote them.

use std::ffi::OsStr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use qb_auth_core::{ExposeSecret, SecretString};
use qb_auth_emulator::Fault;

/// A value parser whose errors never show the value (it holds a secret):
/// they name the flag and what was wrong.
#[derive(Clone, Copy)]
pub(crate) struct Hidden<T>(pub(crate) fn(&str) -> Result<T, String>);

impl<T: Clone + Send + Sync + 'static> TypedValueParser for Hidden<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let parsed = value
            .to_str()
            .ok_or_else(|| "it is not UTF-8 text".to_owned())
            .and_then(self.0);
        parsed.map_err(|why| {
            let flag = arg.map_or_else(|| "a value".to_owned(), ToString::to_string);
            cmd.clone().error(
                ErrorKind::ValueValidation,
                format!("{flag}: {why} (the value is not shown: it is secret)"),
            )
        })
    }
}

/// `--user LOGIN:PASSWORD[:EMAIL]`. `Debug` redacts the password.
#[derive(Debug, Clone)]
pub(crate) struct UserSpec {
    pub(crate) login: String,
    pub(crate) password: SecretString,
    pub(crate) email: Option<String>,
}

impl UserSpec {
    /// The password may hold `:`; a last `:`-part with an `@` is the email.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let (login, rest) = text.split_once(':').ok_or("write LOGIN:PASSWORD[:EMAIL]")?;
        let (password, email) = match rest.rsplit_once(':') {
            Some((password, email)) if email.contains('@') => (password, Some(email.trim())),
            _ => (rest, None),
        };
        if login.trim().is_empty() || password.is_empty() {
            return Err("write LOGIN:PASSWORD[:EMAIL] with a login and a password".into());
        }
        Ok(Self {
            login: login.trim().to_owned(),
            password: SecretString::from(password),
            email: email.map(str::to_owned),
        })
    }
}

/// A provider token that logs a user in, named by login.
#[derive(Debug, Clone)]
pub(crate) struct TokenSpec {
    pub(crate) login: String,
    pub(crate) token: ProviderToken,
}

/// What a provider sends for a user.
#[derive(Debug, Clone)]
pub(crate) enum ProviderToken {
    Facebook(SecretString),
    Twitter {
        token: SecretString,
        secret: SecretString,
    },
    Firebase {
        project_id: String,
        access_token: SecretString,
    },
}

impl TokenSpec {
    /// `--facebook-user LOGIN:TOKEN`.
    pub(crate) fn facebook(text: &str) -> Result<Self, String> {
        let [login, token] = parts(text, "LOGIN:TOKEN")?;
        Ok(Self {
            login,
            token: ProviderToken::Facebook(token.into()),
        })
    }

    /// `--twitter-user LOGIN:TOKEN:SECRET`.
    pub(crate) fn twitter(text: &str) -> Result<Self, String> {
        let [login, token, secret] = parts(text, "LOGIN:TOKEN:SECRET")?;
        Ok(Self {
            login,
            token: ProviderToken::Twitter {
                token: token.into(),
                secret: secret.into(),
            },
        })
    }

    /// `--firebase-user LOGIN:PROJECT_ID:ACCESS_TOKEN`.
    pub(crate) fn firebase(text: &str) -> Result<Self, String> {
        let [login, project_id, access_token] = parts(text, "LOGIN:PROJECT_ID:ACCESS_TOKEN")?;
        Ok(Self {
            login,
            token: ProviderToken::Firebase {
                project_id,
                access_token: access_token.into(),
            },
        })
    }
}

/// `N` non-empty `:`-separated parts; the last one may hold `:`.
fn parts<const N: usize>(text: &str, shape: &str) -> Result<[String; N], String> {
    let mut parts = text.splitn(N, ':').map(str::to_owned);
    let parts: [String; N] = std::array::from_fn(|_| parts.next().unwrap_or_default());
    if parts.iter().any(|p| p.trim().is_empty()) {
        return Err(format!("write {shape}, each part non-empty"));
    }
    Ok(parts)
}

/// `--fail-next FAULT[xCOUNT]`: `500`, `503`, `drop`, `429` or
/// `429:RETRY_AFTER_SECS`, for the next COUNT requests (1 if not given).
pub(crate) fn parse_fault(text: &str) -> Result<(Fault, usize), String> {
    let text = text.trim();
    let (fault, count) = match text.rsplit_once('x') {
        Some((fault, count)) if !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()) => {
            let count = count
                .parse::<usize>()
                .map_err(|_| format!("{count} is too large a count"))?;
            (fault, count)
        }
        _ => (text, 1),
    };
    let fault = match fault {
        "500" => Fault::Status500,
        "503" => Fault::Status503,
        "drop" => Fault::Drop,
        "429" => Fault::Status429 {
            retry_after_secs: 1,
        },
        other => match other.strip_prefix("429:").map(str::parse::<u64>) {
            Some(Ok(retry_after_secs)) => Fault::Status429 { retry_after_secs },
            _ => {
                return Err(format!(
                    "{text:?}: write 500, 503, drop, 429 or 429:SECS, then xCOUNT if more than one"
                ));
            }
        },
    };
    Ok((fault, count))
}

/// A duration: `500ms`, `30s`, `2h`, `1h 30m`, or bare seconds (`7200`).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration such as 500ms, 30s or 2h ({e})"))
}

/// A share of requests, within `0..=1`.
pub(crate) fn parse_share(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(share) if (0.0..=1.0).contains(&share) => Ok(share),
        _ => Err(format!("{text:?} is not a share between 0 and 1")),
    }
}

/// A secret flag's value, refused when blank (the emulator would refuse it
/// later, with less to say).
pub(crate) fn parse_secret(text: &str) -> Result<SecretString, String> {
    let secret = SecretString::from(text);
    if secret.expose_secret().trim().is_empty() {
        return Err("it is empty".into());
    }
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_split_at_the_first_colon_and_an_email_last() {
        let user = UserSpec::parse("bob:a:b:c").unwrap();
        assert_eq!(
            (user.login.as_str(), user.password.expose_secret()),
            ("bob", "a:b:c")
        );
        assert_eq!(user.email, None);
        let user = UserSpec::parse("bob:pw:bob@example.com").unwrap();
        assert_eq!(user.email.as_deref(), Some("bob@example.com"));
        for bad in ["bob", ":pw", "bob:", " :pw"] {
            assert!(UserSpec::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{user:?}").contains("pw"), "Debug redacts");
    }

    #[test]
    fn provider_tokens_keep_colons_in_their_last_part() {
        let spec = TokenSpec::firebase("bob:my-proj:a:b").unwrap();
        let ProviderToken::Firebase {
            project_id,
            access_token,
        } = spec.token
        else {
            panic!("firebase");
        };
        assert_eq!(
            (project_id.as_str(), access_token.expose_secret()),
            ("my-proj", "a:b")
        );
        assert!(TokenSpec::twitter("bob:tok").is_err());
        assert!(TokenSpec::facebook("bob:").is_err());
        assert!(
            !format!("{:?}", TokenSpec::facebook("a:SECRETTOK").unwrap()).contains("SECRETTOK")
        );
    }

    #[test]
    fn faults_and_their_counts() {
        assert_eq!(parse_fault("503"), Ok((Fault::Status503, 1)));
        assert_eq!(parse_fault("500x3"), Ok((Fault::Status500, 3)));
        assert_eq!(parse_fault("dropx2"), Ok((Fault::Drop, 2)));
        assert_eq!(
            parse_fault("429:7x2"),
            Ok((
                Fault::Status429 {
                    retry_after_secs: 7
                },
                2
            ))
        );
        assert_eq!(
            parse_fault("429"),
            Ok((
                Fault::Status429 {
                    retry_after_secs: 1
                },
                1
            ))
        );
        for bad in [
            "404",
            "429:",
            "429:x",
            "x2",
            "503x99999999999999999999999",
            "",
        ] {
            assert!(parse_fault(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_and_shares() {
        assert_eq!(parse_duration("7200"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-5").is_err());
        assert_eq!(parse_share("0.25"), Ok(0.25));
        for bad in ["1.5", "-0.1", "NaN", "x"] {
            assert!(parse_share(bad).is_err(), "{bad}");
        }
    }
}

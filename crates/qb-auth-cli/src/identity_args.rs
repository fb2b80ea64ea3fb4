//! The identity flags, checked into exactly one [`Identity`].
//!
//! Checking happens in two steps: [`IdentityArgs::plan`] decides which
//! identity the flags name (pure, so every bad combination is a typed error
//! before anything is asked for), then [`IdentityArgs::resolve`] fetches the
//! secrets it needs and lets the core validate the values.
//!
//! Flags beat the environment: a `QB_*` variable is a standing setting, not
//! a request, so values that came from the environment never make a bad
//! combination. They are used when the identity chosen needs them and
//! ignored otherwise (an exported `QB_PASSWORD` does not stop an
//! application session), and an identity flag on the command line wins over
//! one from the environment. Only flags typed on the command line conflict.

use std::collections::BTreeSet;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, ValueEnum};
use qb_auth_core::{ExposeSecret, Identity, SecretString, SocialProvider};

use crate::exit::CliError;
use crate::secrets::{Needed, parse_secret, require};

/// `--provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderArg {
    /// A Facebook access token, optionally with --provider-secret and --scope.
    Facebook,
    /// A Twitter token and secret (legacy).
    Twitter,
    /// A Firebase phone-auth ID token, with --firebase-project-id.
    #[value(name = "firebase_phone")]
    FirebasePhone,
}

/// Who the session is for. None of these flags: an application session.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Identity")]
pub(crate) struct IdentityArgs {
    /// A user by login name, with --password.
    #[arg(long, env = "QB_LOGIN", value_name = "LOGIN")]
    pub(crate) login: Option<String>,

    /// A user by email address, with --password.
    #[arg(long, env = "QB_EMAIL", value_name = "EMAIL")]
    pub(crate) email: Option<String>,

    /// The user's password; prefer QB_PASSWORD. Asked for when missing and stdin is a terminal.
    #[arg(long, env = "QB_PASSWORD", hide_env_values = true, value_name = "PASSWORD",
          value_parser = parse_secret)]
    pub(crate) password: Option<SecretString>,

    /// A user of a social or phone identity provider.
    #[arg(long, env = "QB_PROVIDER", value_enum, value_name = "PROVIDER")]
    pub(crate) provider: Option<ProviderArg>,

    /// The provider's access token (facebook, twitter); prefer QB_PROVIDER_TOKEN.
    #[arg(long, env = "QB_PROVIDER_TOKEN", hide_env_values = true, value_name = "TOKEN",
          value_parser = parse_secret)]
    pub(crate) provider_token: Option<SecretString>,

    /// The provider's token secret (required for twitter, optional for facebook).
    #[arg(long, env = "QB_PROVIDER_SECRET", hide_env_values = true, value_name = "SECRET",
          value_parser = parse_secret)]
    pub(crate) provider_secret: Option<SecretString>,

    /// The permissions asked of the provider, such as `email` (facebook, twitter).
    #[arg(long, env = "QB_SCOPE", value_name = "SCOPE")]
    pub(crate) scope: Option<String>,

    /// The Firebase project id (--provider firebase_phone).
    #[arg(long, env = "QB_FIREBASE_PROJECT_ID", value_name = "ID")]
    pub(crate) firebase_project_id: Option<String>,

    /// The user's Firebase ID token (--provider firebase_phone); prefer QB_FIREBASE_TOKEN.
    #[arg(long, env = "QB_FIREBASE_TOKEN", hide_env_values = true, value_name = "TOKEN",
          value_parser = parse_secret)]
    pub(crate) firebase_token: Option<SecretString>,

    /// The flags whose value came from a `QB_*` variable.
    #[arg(skip)]
    pub(crate) from_env: BTreeSet<&'static str>,
}

/// Each identity flag and its clap id (the field name).
const FLAGS: [(&str, &str); 9] = [
    ("--login", "login"),
    ("--email", "email"),
    ("--password", "password"),
    ("--provider", "provider"),
    ("--provider-token", "provider_token"),
    ("--provider-secret", "provider_secret"),
    ("--scope", "scope"),
    ("--firebase-project-id", "firebase_project_id"),
    ("--firebase-token", "firebase_token"),
];

/// The identity the flags name, before any secret is fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IdentityPlan {
    /// No user.
    Application,
    /// `--login`.
    Login(String),
    /// `--email`.
    Email(String),
    /// `--provider facebook|twitter`.
    Social(SocialProvider),
    /// `--provider firebase_phone`.
    FirebasePhone(String),
}

/// The identity flags do not make one identity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum IdentityError {
    /// Two identities at once.
    #[error("{0} and {1} name two different identities; give only one (check QB_* variables too)")]
    Conflict(&'static str, &'static str),
    /// A flag that belongs to another identity.
    #[error("{flag} does not go with {identity}")]
    NotFor {
        flag: &'static str,
        identity: &'static str,
    },
    /// A flag without the identity it belongs to.
    #[error("{flag} was given without {needs}")]
    Orphan {
        flag: &'static str,
        needs: &'static str,
    },
    /// A required companion flag is missing.
    #[error("{identity} needs {flag}")]
    Missing {
        identity: &'static str,
        flag: &'static str,
    },
    /// The command needs a user and got none.
    #[error("{0} needs a user: give --login, --email or --provider")]
    UserRequired(&'static str),
}

impl IdentityArgs {
    /// Records which identity flags took their value from the environment;
    /// `matches` are those of the subcommand these arguments belong to.
    pub(crate) fn note_sources(&mut self, matches: &ArgMatches) {
        self.from_env = FLAGS
            .iter()
            .filter(|(_, id)| {
                matches.try_contains_id(id).unwrap_or(false)
                    && matches.value_source(id) == Some(ValueSource::EnvVariable)
            })
            .map(|(flag, _)| *flag)
            .collect();
    }

    /// Which identity the flags name; an error for any other combination.
    pub(crate) fn plan(&self) -> Result<IdentityPlan, IdentityError> {
        let given: Vec<&'static str> = [
            self.login.as_ref().map(|_| "--login"),
            self.email.as_ref().map(|_| "--email"),
            self.provider.map(|_| "--provider"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let typed: Vec<&'static str> = given
            .iter()
            .copied()
            .filter(|flag| !self.from_env.contains(flag))
            .collect();
        // Typed selectors win; variables choose only when nothing is typed.
        let named = if typed.is_empty() { given } else { typed };
        if let [first, second, ..] = named[..] {
            return Err(IdentityError::Conflict(first, second));
        }
        let chosen = named.first().copied();
        // Only typed flags can be out of place; variables are ignored there.
        let extras: Vec<&'static str> = self
            .extras()
            .into_iter()
            .filter(|flag| !self.from_env.contains(flag))
            .collect();
        let not_for = |identity: &'static str, allowed: &[&str]| {
            extras
                .iter()
                .find(|flag| !allowed.contains(flag))
                .map(|flag| IdentityError::NotFor { flag, identity })
        };
        let plan = if let (Some("--login"), Some(login)) = (chosen, &self.login) {
            if let Some(err) = not_for("--login", &["--password"]) {
                return Err(err);
            }
            IdentityPlan::Login(login.clone())
        } else if let (Some("--email"), Some(email)) = (chosen, &self.email) {
            if let Some(err) = not_for("--email", &["--password"]) {
                return Err(err);
            }
            IdentityPlan::Email(email.clone())
        } else if let (Some("--provider"), Some(provider)) = (chosen, self.provider) {
            match provider {
                ProviderArg::Facebook | ProviderArg::Twitter => {
                    let (social, name) = if provider == ProviderArg::Facebook {
                        (SocialProvider::Facebook, "--provider facebook")
                    } else {
                        (SocialProvider::Twitter, "--provider twitter")
                    };
                    if let Some(err) =
                        not_for(name, &["--provider-token", "--provider-secret", "--scope"])
                    {
                        return Err(err);
                    }
                    IdentityPlan::Social(social)
                }
                ProviderArg::FirebasePhone => {
                    const NAME: &str = "--provider firebase_phone";
                    if let Some(err) = not_for(NAME, &["--firebase-project-id", "--firebase-token"])
                    {
                        return Err(err);
                    }
                    let project =
                        self.firebase_project_id
                            .clone()
                            .ok_or(IdentityError::Missing {
                                identity: NAME,
                                flag: "--firebase-project-id",
                            })?;
                    IdentityPlan::FirebasePhone(project)
                }
            }
        } else {
            if let Some(flag) = extras.first() {
                let needs = match *flag {
                    "--password" => "--login or --email",
                    "--firebase-project-id" | "--firebase-token" => "--provider firebase_phone",
                    _ => "--provider facebook or --provider twitter",
                };
                return Err(IdentityError::Orphan { flag, needs });
            }
            IdentityPlan::Application
        };
        Ok(plan)
    }

    /// Like [`IdentityArgs::plan`], for a command that needs a user.
    pub(crate) fn plan_user(&self, command: &'static str) -> Result<IdentityPlan, IdentityError> {
        match self.plan()? {
            IdentityPlan::Application => Err(IdentityError::UserRequired(command)),
            user => Ok(user),
        }
    }

    /// Fetches the secrets `plan` needs (asking on a terminal when they are
    /// missing) and builds the identity; the core checks the values.
    pub(crate) fn resolve(&self, plan: IdentityPlan) -> Result<Identity, CliError> {
        let identity = match plan {
            IdentityPlan::Application => Identity::application(),
            IdentityPlan::Login(login) => {
                let password = require(self.password.as_ref(), Needed::PASSWORD)?;
                Identity::login(login, password.expose_secret())?
            }
            IdentityPlan::Email(email) => {
                let password = require(self.password.as_ref(), Needed::PASSWORD)?;
                Identity::email(email, password.expose_secret())?
            }
            IdentityPlan::Social(provider) => {
                let token = require(self.provider_token.as_ref(), Needed::PROVIDER_TOKEN)?;
                let secret = match provider {
                    SocialProvider::Twitter => Some(require(
                        self.provider_secret.as_ref(),
                        Needed::PROVIDER_SECRET,
                    )?),
                    // Facebook, and any provider added later: optional.
                    _ => self.provider_secret.clone(),
                };
                Identity::social(
                    provider,
                    Some(token.expose_secret()),
                    secret.as_ref().map(|s| s.expose_secret()),
                    self.scope.as_deref(),
                )?
            }
            IdentityPlan::FirebasePhone(project) => {
                let token = require(self.firebase_token.as_ref(), Needed::FIREBASE_TOKEN)?;
                Identity::firebase_phone(project, token.expose_secret())?
            }
        };
        Ok(identity)
    }

    /// The flags given that are not identity selectors, in a fixed order.
    fn extras(&self) -> Vec<&'static str> {
        [
            self.password.as_ref().map(|_| "--password"),
            self.provider_token.as_ref().map(|_| "--provider-token"),
            self.provider_secret.as_ref().map(|_| "--provider-secret"),
            self.scope.as_ref().map(|_| "--scope"),
            self.firebase_project_id
                .as_ref()
                .map(|_| "--firebase-project-id"),
            self.firebase_token.as_ref().map(|_| "--firebase-token"),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use qb_auth_core::IdentityKind;

    use super::*;

    fn secret(s: &str) -> Option<SecretString> {
        Some(SecretString::from(s))
    }

    #[test]
    fn no_flags_is_an_application_session() {
        assert_eq!(
            IdentityArgs::default().plan(),
            Ok(IdentityPlan::Application)
        );
    }

    #[test]
    fn two_identities_conflict() {
        let args = IdentityArgs {
            login: Some("alice".into()),
            email: Some("a@example.com".into()),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.plan(),
            Err(IdentityError::Conflict("--login", "--email"))
        );
        let args = IdentityArgs {
            email: Some("a@example.com".into()),
            provider: Some(ProviderArg::Facebook),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.plan(),
            Err(IdentityError::Conflict("--email", "--provider"))
        );
    }

    #[test]
    fn flags_of_another_identity_are_refused() {
        let args = IdentityArgs {
            login: Some("alice".into()),
            provider_token: secret("t"),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.plan(),
            Err(IdentityError::NotFor {
                flag: "--provider-token",
                identity: "--login"
            })
        );
        let args = IdentityArgs {
            provider: Some(ProviderArg::FirebasePhone),
            firebase_project_id: Some("p".into()),
            provider_token: secret("t"),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.plan(),
            Err(IdentityError::NotFor {
                flag: "--provider-token",
                identity: "--provider firebase_phone"
            })
        );
        let args = IdentityArgs {
            provider: Some(ProviderArg::Facebook),
            password: secret("pw"),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.plan(),
            Err(IdentityError::NotFor {
                flag: "--password",
                identity: "--provider facebook"
            })
        );
    }

    #[test]
    fn orphans_say_what_they_need() {
        let cases = [
            (
                IdentityArgs {
                    password: secret("pw"),
                    ..IdentityArgs::default()
                },
                "--password was given without --login or --email",
            ),
            (
                IdentityArgs {
                    scope: Some("email".into()),
                    ..IdentityArgs::default()
                },
                "--scope was given without --provider facebook or --provider twitter",
            ),
            (
                IdentityArgs {
                    firebase_token: secret("t"),
                    ..IdentityArgs::default()
                },
                "--firebase-token was given without --provider firebase_phone",
            ),
        ];
        for (args, message) in cases {
            assert_eq!(args.plan().unwrap_err().to_string(), message);
        }
    }

    #[test]
    fn firebase_needs_its_project() {
        let args = IdentityArgs {
            provider: Some(ProviderArg::FirebasePhone),
            firebase_token: secret("t"),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.plan(),
            Err(IdentityError::Missing {
                identity: "--provider firebase_phone",
                flag: "--firebase-project-id"
            })
        );
    }

    fn from_env(args: IdentityArgs, flags: &[&'static str]) -> IdentityArgs {
        IdentityArgs {
            from_env: flags.iter().copied().collect(),
            ..args
        }
    }

    #[test]
    fn variables_never_make_a_bad_combination() {
        // An exported password does not stop an application session.
        let args = from_env(
            IdentityArgs {
                password: secret("pw"),
                provider_token: secret("t"),
                ..IdentityArgs::default()
            },
            &["--password", "--provider-token"],
        );
        assert_eq!(args.plan(), Ok(IdentityPlan::Application));
        // A typed identity wins over one from the environment.
        let args = from_env(
            IdentityArgs {
                login: Some("alice".into()),
                email: Some("a@example.com".into()),
                scope: Some("email".into()),
                ..IdentityArgs::default()
            },
            &["--login", "--scope"],
        );
        assert_eq!(args.plan(), Ok(IdentityPlan::Email("a@example.com".into())));
        // Two identities from the environment still conflict.
        let args = from_env(
            IdentityArgs {
                login: Some("alice".into()),
                email: Some("a@example.com".into()),
                ..IdentityArgs::default()
            },
            &["--login", "--email"],
        );
        assert_eq!(
            args.plan(),
            Err(IdentityError::Conflict("--login", "--email"))
        );
    }

    #[test]
    fn sources_are_read_from_the_matches() {
        use clap::{CommandFactory, FromArgMatches, Parser};

        #[derive(Parser)]
        struct Probe {
            #[command(flatten)]
            identity: IdentityArgs,
        }
        // Typed values are not from the environment. (The other half, a
        // value from a variable, is checked by the integration tests: this
        // process cannot set variables without `unsafe`.)
        let matches = Probe::command()
            .try_get_matches_from(["probe", "--login", "alice", "--password", "pw"])
            .unwrap();
        let mut probe = Probe::from_arg_matches(&matches).unwrap();
        probe.identity.note_sources(&matches);
        assert!(probe.identity.from_env.is_empty());
    }

    #[test]
    fn login_needs_a_user() {
        assert_eq!(
            IdentityArgs::default().plan_user("login"),
            Err(IdentityError::UserRequired("login"))
        );
    }

    #[test]
    fn given_values_resolve_without_prompting() {
        let args = IdentityArgs {
            provider: Some(ProviderArg::Twitter),
            provider_token: secret("tok123"),
            provider_secret: secret("sec456"),
            ..IdentityArgs::default()
        };
        let identity = args.resolve(args.plan().unwrap()).unwrap();
        assert_eq!(
            identity.kind(),
            IdentityKind::Social(SocialProvider::Twitter)
        );
        let args = IdentityArgs {
            email: Some("a@example.com".into()),
            password: secret("pw"),
            ..IdentityArgs::default()
        };
        assert_eq!(
            args.resolve(args.plan().unwrap()).unwrap().kind(),
            IdentityKind::Email
        );
    }

    #[test]
    fn empty_values_are_refused_by_the_core() {
        let args = IdentityArgs {
            login: Some(String::new()),
            password: secret("pw"),
            ..IdentityArgs::default()
        };
        let err = args.resolve(args.plan().unwrap()).unwrap_err();
        assert_eq!(err.to_string(), "login must not be empty");
    }
}

//! The `qb-auth emulator` command, for the CLI crate to mount as a
//! subcommand: [`EmulatorArgs`] (clap) and [`run`].
//!
//! ```text
//! qb-auth emulator --listen 127.0.0.1:<PORT or 0> --app-id <ID> --auth-key <KEY>
//!     (--auth-secret <SECRET> | --auth-secret-file <PATH>) [--user LOGIN:PASSWORD[:EMAIL]]... [--account-key KEY]
//!     [--session-ttl SECS] [--rate-limit PER_SECOND] [--clock-offset SECS]
//!     [--allow-non-loopback]
//! ```
//!
//! Every flag but `--allow-non-loopback` can come from the environment:
//! `QB_LISTEN`, `QB_APP_ID`, `QB_AUTH_KEY`, `QB_AUTH_SECRET`,
//! `QB_AUTH_SECRET_FILE`, `QB_USER`
//! (comma-separated), `QB_ACCOUNT_KEY`, `QB_SESSION_TTL`, `QB_RATE_LIMIT`,
//! `QB_CLOCK_OFFSET`. Users get ids 1, 2, 3… in the order given.
//!
//! Once the emulator accepts connections, the first line on stdout is
//! exactly `listening on http://127.0.0.1:<PORT>`. It serves until SIGINT or
//! SIGTERM (Ctrl-C elsewhere), then shuts down cleanly.

use std::ffi::OsStr;
use std::future::Future;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use qb_auth_core::{ExposeSecret, SecretString};

use qb_auth_emulator::{AppConfig, Emulator, EmulatorBuilder, StartError, UserConfig};

/// The arguments of `qb-auth emulator`.
///
/// `Debug` shows no secret: the auth secret, the account key and the users'
/// passwords print as `[REDACTED]`. Secret values are never echoed in
/// parse errors either, and `--help` does not show them when they come from
/// the environment.
///
/// ```
/// use clap::Parser;
/// use qb_auth_emulator::cli::EmulatorArgs;
///
/// #[derive(Parser)]
/// struct Cli {
///     #[command(flatten)]
///     emulator: EmulatorArgs,
/// }
///
/// let cli = Cli::try_parse_from([
///     "qb-auth", "--app-id", "12345", "--auth-key", "AbCdEfGh-12345",
///     "--auth-secret", "s3cr3t-Key_XYZ", "--user", "alice:p@ss:alice@example.com",
/// ])?;
/// assert_eq!(cli.emulator.app_id, 12345);
/// assert_eq!(cli.emulator.users[0].email.as_deref(), Some("alice@example.com"));
/// assert!(!format!("{:?}", cli.emulator).contains("s3cr3t"));
/// # Ok::<(), clap::Error>(())
/// ```
#[derive(Debug, Clone, clap::Args)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port. Loopback only,
    /// unless --allow-non-loopback is given.
    #[arg(
        long,
        env = "QB_LISTEN",
        value_name = "ADDR",
        default_value = "127.0.0.1:0"
    )]
    pub listen: SocketAddr,

    /// The application id clients sign with.
    #[arg(long, env = "QB_APP_ID", value_name = "ID")]
    pub app_id: u64,

    /// The application's authorization key.
    #[arg(long, env = "QB_AUTH_KEY", value_name = "KEY")]
    pub auth_key: String,

    /// The application's authorization secret; prefer QB_AUTH_SECRET or
    /// --auth-secret-file, which other users cannot read in the process list.
    #[arg(
        long,
        env = "QB_AUTH_SECRET",
        value_name = "SECRET",
        hide_env_values = true,
        required_unless_present = "auth_secret_file",
        conflicts_with = "auth_secret_file",
        value_parser = SecretParser("--auth-secret")
    )]
    pub auth_secret: Option<SecretString>,

    /// A file holding the authorization secret (one trailing line break is
    /// not part of it). Read when the arguments are parsed: the field holds
    /// the secret, not the path.
    #[arg(
        long,
        env = "QB_AUTH_SECRET_FILE",
        value_name = "PATH",
        value_parser = SecretFileParser("--auth-secret-file")
    )]
    pub auth_secret_file: Option<SecretString>,

    /// A user, repeatable (QB_USER: comma-separated). The password may
    /// contain ':' but not ','; a last ':'-part containing '@' is the email.
    #[arg(
        long = "user",
        env = "QB_USER",
        value_name = "LOGIN:PASSWORD[:EMAIL]",
        value_delimiter = ',',
        hide_env_values = true,
        value_parser = UserParser
    )]
    pub users: Vec<UserSpec>,

    /// Answers GET /account_settings.json for this QB-Account-Key.
    #[arg(
        long,
        env = "QB_ACCOUNT_KEY",
        value_name = "KEY",
        hide_env_values = true,
        value_parser = SecretParser("--account-key")
    )]
    pub account_key: Option<SecretString>,

    /// Seconds a session lives after its last use.
    #[arg(
        long,
        env = "QB_SESSION_TTL",
        value_name = "SECS",
        default_value_t = 7200,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub session_ttl: u64,

    /// Requests per second the application may make (429 beyond); no limit if absent.
    #[arg(
        long,
        env = "QB_RATE_LIMIT",
        value_name = "PER_SECOND",
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_limit: Option<u32>,

    /// Seconds the emulator's clock runs ahead of (negative: behind) this
    /// machine's; at most 3153600000 (100 years) either way.
    #[arg(
        long,
        env = "QB_CLOCK_OFFSET",
        value_name = "SECS",
        default_value_t = 0,
        allow_negative_numbers = true,
        value_parser = clap::value_parser!(i64)
            .range(-qb_auth_emulator::MAX_CLOCK_OFFSET_SECS..=qb_auth_emulator::MAX_CLOCK_OFFSET_SECS)
    )]
    pub clock_offset: i64,

    /// Allow listening on an address other than loopback. The emulator
    /// accepts test credentials: expose it only on purpose.
    #[arg(long)]
    pub allow_non_loopback: bool,
}

/// One `--user LOGIN:PASSWORD[:EMAIL]`. `Debug` redacts the password.
///
/// ```
/// use qb_auth_emulator::cli::UserSpec;
///
/// let alice = UserSpec {
///     login: "alice".to_owned(),
///     password: "p@ss word&1=2".into(),
///     email: Some("alice@example.com".to_owned()),
/// };
/// assert_eq!(alice.login, "alice");
/// assert!(!format!("{alice:?}").contains("p@ss"), "Debug redacts the password");
/// ```
#[derive(Debug, Clone)]
pub struct UserSpec {
    /// The login.
    pub login: String,
    /// The password.
    pub password: SecretString,
    /// The email, if given.
    pub email: Option<String>,
}

impl UserSpec {
    /// Reads `LOGIN:PASSWORD[:EMAIL]`. `None` when the login or password is empty.
    ///
    /// ```
    /// use qb_auth_emulator::cli::UserSpec;
    /// use qb_auth_emulator::ExposeSecret;
    ///
    /// let user = UserSpec::parse("bob:a:b:c").unwrap();
    /// assert_eq!(user.password.expose_secret(), "a:b:c");
    /// assert_eq!(user.email, None);
    /// let user = UserSpec::parse("bob:pw:bob@example.com").unwrap();
    /// assert_eq!(user.email.as_deref(), Some("bob@example.com"));
    /// assert!(UserSpec::parse("bob").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let (login, rest) = text.split_once(':')?;
        let (password, email) = match rest.rsplit_once(':') {
            Some((password, email)) if email.contains('@') => (password, Some(email)),
            _ => (rest, None),
        };
        if login.trim().is_empty() || password.is_empty() {
            return None;
        }
        Some(Self {
            login: login.trim().to_owned(),
            password: SecretString::from(password),
            email: email.map(|e| e.trim().to_owned()),
        })
    }
}

impl EmulatorArgs {
    /// The emulator these arguments describe.
    ///
    /// ```
    /// use qb_auth_emulator::cli::EmulatorArgs;
    /// # use clap::Parser;
    /// # #[derive(Parser)]
    /// # struct Cli {
    /// #     #[command(flatten)]
    /// #     emulator: EmulatorArgs,
    /// # }
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
    /// # fn create_session(emulator: &qb_auth_emulator::EmulatorControl, extra: &[(&str, &str)]) -> Result<String, Box<dyn std::error::Error>> {
    /// #     use qb_auth_core::signature::{sign_pairs, HashAlgorithm};
    /// #     static NONCE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(4242);
    /// #     let nonce = NONCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string();
    /// #     let timestamp = emulator.server_time().duration_since(std::time::UNIX_EPOCH)?.as_secs().to_string();
    /// #     let mut pairs = vec![("application_id", "12345"), ("auth_key", "AbCdEfGh-12345"), ("nonce", &*nonce), ("timestamp", &*timestamp)];
    /// #     pairs.extend_from_slice(extra);
    /// #     let signature = sign_pairs(&"s3cr3t-Key_XYZ".into(), pairs.iter().copied(), HashAlgorithm::Sha1);
    /// #     let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).append_pair("signature", signature.as_str()).finish();
    /// #     Ok(http(emulator, "POST /session.json", &["Content-Type: application/x-www-form-urlencoded"], &body)?)
    /// # }
    ///
    /// let args = Cli::try_parse_from([
    ///     "qb-auth", "--app-id", "12345", "--auth-key", "AbCdEfGh-12345",
    ///     "--auth-secret", "s3cr3t-Key_XYZ", "--user", "alice:p@ss word&1=2",
    ///     "--clock-offset", "-30",
    /// ])?.emulator;
    /// let emulator = args.to_builder().start_blocking()?;
    /// assert_eq!(emulator.clock_offset(), -30);
    /// let alice = [("user[login]", "alice"), ("user[password]", "p@ss word&1=2")];
    /// // Users get ids 1, 2, 3… in the order given.
    /// assert!(create_session(&emulator, &alice)?.contains(r#""user_id":1,"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn to_builder(&self) -> EmulatorBuilder {
        // Neither (only when built by hand) leaves the secret empty, which
        // the builder refuses as ConfigError::Empty.
        let secret = self
            .auth_secret
            .as_ref()
            .or(self.auth_secret_file.as_ref())
            .map_or("", |s| s.expose_secret());
        let mut app = AppConfig::new(self.app_id, self.auth_key.clone(), secret);
        if let Some(key) = &self.account_key {
            app = app.account_key(key.expose_secret());
        }
        let mut builder = Emulator::builder()
            .app(app)
            .listen(self.listen)
            .allow_non_loopback(self.allow_non_loopback)
            .session_ttl(Duration::from_secs(self.session_ttl))
            .rate_limit(self.rate_limit)
            .clock_offset(self.clock_offset);
        for (user, id) in self.users.iter().zip(1..) {
            let mut config = UserConfig::new(id, user.login.clone(), user.password.expose_secret());
            if let Some(email) = &user.email {
                config = config.email(email.clone());
            }
            builder = builder.user(config);
        }
        builder
    }
}

/// Why `qb-auth emulator` stopped with an error.
///
/// ```
/// use qb_auth_emulator::cli::{run_until, RunError, EmulatorArgs};
/// use qb_auth_emulator::{ConfigError, StartError};
/// # use clap::Parser;
/// # #[derive(Parser)]
/// # struct Cli {
/// #     #[command(flatten)]
/// #     emulator: EmulatorArgs,
/// # }
///
/// let args = Cli::try_parse_from([
///     "qb-auth", "--listen", "0.0.0.0:0", "--app-id", "12345", "--auth-key", "AbCdEfGh-12345",
///     "--auth-secret", "s3cr3t-Key_XYZ",
/// ])?.emulator;
/// let mut out = Vec::new();
/// let result = tokio::runtime::Runtime::new()?.block_on(run_until(args, &mut out, async {}));
/// assert!(matches!(result, Err(RunError::Start(StartError::Config(ConfigError::NonLoopback(_))))));
/// assert!(out.is_empty(), "nothing announced");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The emulator could not start.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The `listening on` line could not be written.
    #[error("cannot write to stdout: {0}")]
    Output(io::Error),
    /// SIGINT or SIGTERM could not be watched.
    #[error("cannot watch for termination signals: {0}")]
    Signal(io::Error),
}

/// Runs `qb-auth emulator`: starts, prints `listening on http://…` as the
/// first line of stdout, and serves until SIGINT or SIGTERM.
///
/// ```
/// use qb_auth_emulator::cli::{run, RunError, EmulatorArgs};
/// # use clap::Parser;
/// # #[derive(Parser)]
/// # struct Cli {
/// #     #[command(flatten)]
/// #     emulator: EmulatorArgs,
/// # }
///
/// // Serving stops only on a signal, so this shows the other way out: a
/// // refused configuration ends `run` at once, before anything is served.
/// let args = Cli::try_parse_from([
///     "qb-auth", "--listen", "0.0.0.0:0", "--app-id", "12345", "--auth-key", "AbCdEfGh-12345",
///     "--auth-secret", "s3cr3t-Key_XYZ",
/// ])?.emulator;
/// let err = tokio::runtime::Runtime::new()?.block_on(run(args)).unwrap_err();
/// assert!(matches!(err, RunError::Start(_)));
/// assert!(err.to_string().starts_with("invalid emulator configuration: refusing to listen on"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn run(args: EmulatorArgs) -> Result<(), RunError> {
    // Watch signals before announcing, so a signal sent right after the
    // line is seen is not lost.
    let terminated = termination().map_err(RunError::Signal)?;
    run_until(args, io::stdout(), terminated).await
}

/// [`run`] with the output and the stop condition given: writes the
/// `listening on` line to `out` and serves until `until` completes. For
/// embedding and tests.
///
/// ```
/// use qb_auth_emulator::cli::{run_until, EmulatorArgs, UserSpec};
///
/// let args = EmulatorArgs {
///     listen: "127.0.0.1:0".parse()?,
///     app_id: 1,
///     auth_key: "key".into(),
///     auth_secret: Some("secret".into()),
///     auth_secret_file: None,
///     users: vec![UserSpec::parse("alice:pw").unwrap()],
///     account_key: None,
///     session_ttl: 7200,
///     rate_limit: None,
///     clock_offset: 0,
///     allow_non_loopback: false,
/// };
/// let mut out = Vec::new();
/// tokio::runtime::Runtime::new()?.block_on(run_until(args, &mut out, async {}))?;
/// let line = String::from_utf8(out)?;
/// assert!(line.starts_with("listening on http://127.0.0.1:") && line.ends_with('\n'));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn run_until<W, F>(args: EmulatorArgs, mut out: W, until: F) -> Result<(), RunError>
where
    W: Write,
    F: Future<Output = ()>,
{
    let emulator = args.to_builder().start().await?;
    let announced =
        writeln!(out, "listening on {}", emulator.base_url()).and_then(|()| out.flush());
    if let Err(err) = announced {
        emulator.shutdown().await;
        return Err(RunError::Output(err));
    }
    until.await;
    emulator.shutdown().await;
    Ok(())
}

#[cfg(unix)]
fn termination() -> io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

#[cfg(not(unix))]
fn termination() -> io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Parses a secret without ever quoting it in an error.
#[derive(Debug, Clone, Copy)]
struct SecretParser(&'static str);

impl TypedValueParser for SecretParser {
    type Value = SecretString;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<SecretString, clap::Error> {
        match value.to_str() {
            Some(text) if !text.trim().is_empty() => Ok(SecretString::from(text)),
            _ => Err(hidden_value_error(
                cmd,
                &format!("{} must be non-empty UTF-8 text", self.0),
            )),
        }
    }
}

/// Reads a secret from the file a flag names. Errors name the flag and the
/// path, never the content.
#[derive(Debug, Clone, Copy)]
struct SecretFileParser(&'static str);

impl TypedValueParser for SecretFileParser {
    type Value = SecretString;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<SecretString, clap::Error> {
        let path = std::path::Path::new(value);
        let fail = |why: &str| {
            let mut cmd = cmd.clone();
            cmd.error(
                ErrorKind::ValueValidation,
                format!("{} {}: {why}", self.0, path.display()),
            )
        };
        let text = std::fs::read_to_string(path)
            .map(SecretString::from)
            .map_err(|e| fail(&format!("cannot read the file ({})", e.kind())))?;
        // Editors and `echo` end the file with a line break; a signature
        // over it would never match.
        let secret = text.expose_secret();
        let secret = secret
            .strip_suffix('\n')
            .map_or(secret, |s| s.strip_suffix('\r').unwrap_or(s));
        if secret.trim().is_empty() {
            return Err(fail("the file holds no secret"));
        }
        Ok(SecretString::from(secret))
    }
}

/// Parses `--user` without ever quoting the value (it holds a password).
#[derive(Debug, Clone, Copy)]
struct UserParser;

impl TypedValueParser for UserParser {
    type Value = UserSpec;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<UserSpec, clap::Error> {
        value.to_str().and_then(UserSpec::parse).ok_or_else(|| {
            hidden_value_error(
                cmd,
                "--user must be LOGIN:PASSWORD[:EMAIL] with a non-empty login and password",
            )
        })
    }
}

fn hidden_value_error(cmd: &clap::Command, message: &str) -> clap::Error {
    let mut cmd = cmd.clone();
    cmd.error(
        ErrorKind::ValueValidation,
        format!("{message} (the value is not shown: it is secret)"),
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: EmulatorArgs,
    }

    fn parse(extra: &[&str]) -> Result<EmulatorArgs, clap::Error> {
        let base = [
            "qb-auth",
            "--app-id",
            "7",
            "--auth-key",
            "k",
            "--auth-secret",
            "TOPSECRET",
        ];
        Cli::try_parse_from(base.iter().chain(extra)).map(|c| c.args)
    }

    #[test]
    fn debug_hides_every_secret() {
        let args = parse(&[
            "--user",
            "alice:PASSWORD1:alice@example.com",
            "--user",
            "bob:PASSWORD2",
            "--account-key",
            "ACCOUNTKEY",
        ])
        .unwrap();
        let shown = format!("{args:?} {args:#?}");
        for secret in ["TOPSECRET", "PASSWORD1", "PASSWORD2", "ACCOUNTKEY"] {
            assert!(!shown.contains(secret), "{secret} leaked in {shown}");
        }
        assert!(shown.contains("alice@example.com") && shown.contains("bob"));
    }

    #[test]
    fn flags_and_defaults() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.listen, "127.0.0.1:0".parse().unwrap());
        assert_eq!(args.session_ttl, 7200);
        assert_eq!(args.rate_limit, None);
        assert_eq!(args.clock_offset, 0);
        assert!(!args.allow_non_loopback);
        let args = parse(&[
            "--listen",
            "127.0.0.1:8089",
            "--session-ttl",
            "5",
            "--rate-limit",
            "80",
            "--clock-offset",
            "-3700",
        ])
        .unwrap();
        assert_eq!(args.listen.port(), 8089);
        assert_eq!(args.session_ttl, 5);
        assert_eq!(args.rate_limit, Some(80));
        assert_eq!(args.clock_offset, -3700);
        assert!(parse(&["--rate-limit", "0"]).is_err());
        let limit = qb_auth_emulator::MAX_CLOCK_OFFSET_SECS.to_string();
        assert_eq!(
            parse(&["--clock-offset", &limit]).unwrap().clock_offset,
            qb_auth_emulator::MAX_CLOCK_OFFSET_SECS
        );
        for far in ["300000000000", "-300000000000", "3153600001"] {
            let err = parse(&["--clock-offset", far]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ValueValidation, "{far}: {err}");
        }
        assert!(parse(&["--session-ttl", "0"]).is_err());
    }

    #[test]
    fn bad_secret_values_are_not_echoed() {
        let err = parse(&["--user", "JUSTAPASSWORD"]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("LOGIN:PASSWORD"), "{text}");
        assert!(!text.contains("JUSTAPASSWORD"), "{text}");
        let err = Cli::try_parse_from([
            "qb-auth",
            "--app-id",
            "7",
            "--auth-key",
            "k",
            "--auth-secret",
            " ",
        ])
        .unwrap_err();
        assert!(err.to_string().contains("--auth-secret must be"), "{err}");
    }

    /// `--help` of `qb-auth` recommends `--auth-secret-file`; the emulator
    /// takes it, with the same rules as the other commands.
    #[test]
    fn the_secret_can_come_from_a_file() {
        let dir = std::env::temp_dir().join(format!("qb-emulator-secret-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        let base = ["qb-auth", "--app-id", "7", "--auth-key", "k"];
        let with_file = |content: &str| {
            std::fs::write(&file, content).unwrap();
            let args = base
                .iter()
                .copied()
                .chain(["--auth-secret-file", file.to_str().unwrap()]);
            Cli::try_parse_from(args).map(|c| c.args)
        };
        for (content, secret) in [
            ("FILESECRET\n", "FILESECRET"),
            ("FILESECRET\r\n", "FILESECRET"),
            ("a b\n\n", "a b\n"),
        ] {
            let args = with_file(content).unwrap();
            assert_eq!(
                args.auth_secret_file.as_ref().unwrap().expose_secret(),
                secret
            );
            assert!(args.auth_secret.is_none());
            assert!(!format!("{args:?}").contains("FILESECRET"));
            assert!(args.to_builder().validate().is_ok());
        }
        let empty = with_file("\n").unwrap_err();
        assert_eq!(empty.kind(), ErrorKind::ValueValidation);
        assert!(empty.to_string().contains("holds no secret"), "{empty}");
        std::fs::remove_file(&file).unwrap();
        let missing = Cli::try_parse_from(
            base.iter()
                .copied()
                .chain(["--auth-secret-file", file.to_str().unwrap()]),
        )
        .unwrap_err();
        assert!(
            missing.to_string().contains("cannot read the file"),
            "{missing}"
        );
        // Both, or neither: usage errors.
        std::fs::write(&file, "x").unwrap();
        let both = Cli::try_parse_from(base.iter().copied().chain([
            "--auth-secret",
            "s",
            "--auth-secret-file",
            file.to_str().unwrap(),
        ]))
        .unwrap_err();
        assert_eq!(both.kind(), ErrorKind::ArgumentConflict);
        let neither = Cli::try_parse_from(base).unwrap_err();
        assert_eq!(neither.kind(), ErrorKind::MissingRequiredArgument);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn builder_gets_users_in_order_and_refuses_public_addresses() {
        let args = parse(&["--user", "alice:pw", "--user", "bob:pw2:b@x"]).unwrap();
        assert!(args.to_builder().validate().is_ok());
        let public = parse(&["--listen", "0.0.0.0:0"]).unwrap();
        assert!(matches!(
            public.to_builder().validate(),
            Err(qb_auth_emulator::ConfigError::NonLoopback(_))
        ));
        let allowed = parse(&["--listen", "0.0.0.0:0", "--allow-non-loopback"]).unwrap();
        assert!(allowed.to_builder().validate().is_ok());
    }
}

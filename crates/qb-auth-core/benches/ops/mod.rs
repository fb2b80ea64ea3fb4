//! The operations both benches measure, defined once so that the timings
//! (`core.rs`) and the allocation counts (`allocations.rs`) are of the very
//! same code, and each next to its floor: for signing and building,
//! HMAC-SHA1 keyed from scratch and fed the identical string to sign (no
//! implementation can sign for less); for parsing, serde_json reading the
//! same body into a plain struct (no implementation can read it for less).

use std::hint::black_box;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use qb_auth_core::lifecycle::{
    Ask, Policy, RenewalMode, SessionCredentials, SessionLifecycle, TokenAction,
};
use qb_auth_core::signature::{HashAlgorithm, sign, sign_pairs, string_to_sign};
use qb_auth_core::{
    AppCredentials, BodyFormat, CreateSession, Endpoint, ExposeSecret, Identity, Nonce, Operation,
    SecretString, SignedRequest, SigningInput, check_status, parse_session,
};
use zeroize::Zeroizing;

const APPLICATION_ID: u64 = 12345;
const AUTH_KEY: &str = "AbCdEfGh-12345";
const AUTH_SECRET: &str = "s3cr3t-Key_XYZ";
const TIMESTAMP: u64 = 1_700_000_000;
const NONCE: u32 = 4242;
const LOGIN: &str = "alice";
// Needs percent-encoding in a form body, so the encoder's slow path is measured.
const PASSWORD: &str = "p@ss word&1=2";

/// A create-session answer as the documentation shows it, with the header
/// every QuickBlox response carries.
const SESSION_BODY: &str = r#"{"session":{"application_id":12345,"created_at":"2019-09-01T14:55:56Z","id":1151827623,"nonce":4242,"token":"c56f382b402fb482086db956064592d3cd012bba","ts":1700000000,"updated_at":"2019-09-01T14:55:56Z","user_id":0,"_id":"1151827623"}}"#;
/// The most common authentication failure: a clock too far off.
const ERROR_BODY: &str = r#"{"errors":{"base":["Bad timestamp"]}}"#;

/// One measured operation.
pub(crate) struct Case {
    /// A stable id: the key `cargo xtask bench` joins on.
    pub(crate) id: &'static str,
    /// What a person reads in the table.
    pub(crate) label: &'static str,
    /// What it is set against.
    pub(crate) floor: Floor,
}

/// What an operation is set against: the part of its work that no
/// implementation can avoid. Neither kind allocates, so that an allocation
/// counted beside one shows the counter sees more than the operation.
pub(crate) enum Floor {
    /// `Hmac<Sha1>` keyed from scratch over this string to sign.
    Hmac(String),
    /// serde_json reading this session answer's body into a plain struct
    /// of the types it carries, borrowing its strings.
    SessionJson(&'static str),
    /// The same for this error answer's body.
    ErrorJson(&'static str),
}

/// `{"session": {...}}` as a plain struct, for the parse floor.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // Read only by the parser.
struct PlainEnvelope<'a> {
    #[serde(borrow)]
    session: PlainSession<'a>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)] // Read only by the parser.
struct PlainSession<'a> {
    application_id: u64,
    created_at: &'a str,
    id: u64,
    nonce: u64,
    token: &'a str,
    ts: u64,
    updated_at: &'a str,
    user_id: u64,
    #[serde(rename = "_id")]
    object_id: &'a str,
}

/// `{"errors": {"base": ["..."]}}` as a plain struct, for the parse floor.
#[derive(serde::Deserialize)]
#[allow(dead_code)] // Read only by the parser.
struct PlainErrors<'a> {
    #[serde(borrow)]
    errors: PlainBase<'a>,
}

#[derive(serde::Deserialize)]
#[allow(dead_code)] // Read only by the parser.
struct PlainBase<'a> {
    #[serde(borrow)]
    base: [&'a str; 1],
}

impl Floor {
    /// Runs the floor once; `key` is the auth secret the HMAC is keyed with.
    pub(crate) fn run(&self, key: &[u8]) {
        match self {
            Self::Hmac(string_to_sign) => {
                black_box(hmac_floor(
                    black_box(key),
                    black_box(string_to_sign.as_bytes()),
                ));
            }
            Self::SessionJson(body) => {
                let parsed: PlainEnvelope<'_> =
                    serde_json::from_slice(black_box(body.as_bytes())).expect("fixture parses");
                black_box(parsed);
            }
            Self::ErrorJson(body) => {
                let parsed: PlainErrors<'_> =
                    serde_json::from_slice(black_box(body.as_bytes())).expect("fixture parses");
                black_box(parsed);
            }
        }
    }
}

/// Something that measures an operation, given its case and a closure that
/// runs it once.
pub(crate) trait Measure {
    fn measure<R>(&mut self, case: &Case, op: impl FnMut() -> R);
}

/// The signing floor: `Hmac<Sha1>` keyed from scratch over the string to sign.
fn hmac_floor(key: &[u8], message: &[u8]) -> impl Sized + use<> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key");
    mac.update(message);
    mac.finalize().into_bytes()
}

/// Everything the operations read, built once outside the measurement.
pub(crate) struct Fixtures {
    pub(crate) app: AppCredentials,
    application: Identity,
    login: Identity,
    input: SigningInput,
    endpoint: Endpoint,
    session_answer: http::Response<Vec<u8>>,
    error_answer: http::Response<Vec<u8>>,
}

impl Fixtures {
    pub(crate) fn new() -> Self {
        let app = AppCredentials::new(APPLICATION_ID, AUTH_KEY, SecretString::from(AUTH_SECRET))
            .expect("valid fixture credentials");
        let expires = qb_auth_core::time::format_expiration(
            UNIX_EPOCH + Duration::from_secs(TIMESTAMP + 7200),
        );
        let session_answer = http::Response::builder()
            .status(201)
            .header("content-type", "application/json; charset=utf-8")
            .header("qb-token-expirationdate", expires)
            .body(SESSION_BODY.as_bytes().to_vec())
            .expect("valid fixture response");
        let error_answer = http::Response::builder()
            .status(422)
            .header("content-type", "application/json; charset=utf-8")
            .body(ERROR_BODY.as_bytes().to_vec())
            .expect("valid fixture response");
        Self {
            app,
            application: Identity::application(),
            login: Identity::login(LOGIN, PASSWORD).expect("valid fixture identity"),
            input: SigningInput::new(TIMESTAMP, Nonce::new(NONCE).expect("nonce in range")),
            endpoint: Endpoint::default(),
            session_answer,
            error_answer,
        }
    }

    /// The auth secret's bytes, to key the floor with.
    pub(crate) fn key(&self) -> &[u8] {
        self.app.auth_secret().expose_secret().as_bytes()
    }

    fn string_to_sign(&self, identity: &Identity) -> String {
        CreateSession::new(&self.app, identity, self.input)
            .build(&self.endpoint)
            .expect("fixture request builds")
            .string_to_sign()
            .to_owned()
    }

    /// The time the fixtures are signed at.
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(TIMESTAMP)
    }

    /// A renewable lifecycle that holds the fixture session, parsed from the
    /// fixture answer (so it expires two hours after `now`).
    fn managed_lifecycle(&self) -> SessionLifecycle {
        let credentials = SessionCredentials::new(self.app.clone(), Identity::application());
        let mut lifecycle =
            SessionLifecycle::new(Policy::default(), RenewalMode::credentials(credentials))
                .expect("the default policy is valid");
        let session = parse_session(&self.session_answer, Operation::CreateApplicationSession)
            .expect("fixture answer parses");
        lifecycle.set_session(self.now(), session, None);
        lifecycle
    }

    fn build(&self, identity: &Identity, format: BodyFormat) -> SignedRequest {
        CreateSession::new(&self.app, identity, self.input)
            .body_format(format)
            .build(black_box(&self.endpoint))
            .expect("fixture request builds")
    }
}

/// Runs every case through `m`.
pub(crate) fn run_all(fx: &Fixtures, m: &mut impl Measure) {
    let app_sts = fx.string_to_sign(&fx.application);
    let login_sts = fx.string_to_sign(&fx.login);
    let secret = fx.app.auth_secret();
    let (app_id, ts, nonce) = (
        APPLICATION_ID.to_string(),
        TIMESTAMP.to_string(),
        NONCE.to_string(),
    );

    // The public stages a custom transport would call. Pairs arrive out of
    // order, so the sort is measured too.
    let app_pairs = [
        ("timestamp", ts.as_str()),
        ("nonce", nonce.as_str()),
        ("auth_key", AUTH_KEY),
        ("application_id", app_id.as_str()),
    ];
    let case = Case {
        id: "sign_app",
        label: "string to sign + signature, application",
        floor: Floor::Hmac(app_sts.clone()),
    };
    assert_eq!(string_to_sign(app_pairs).as_str(), app_sts);
    m.measure(&case, || {
        sign_pairs(secret, black_box(app_pairs), HashAlgorithm::Sha1)
    });

    let login_pairs = [
        ("user[password]", PASSWORD),
        ("timestamp", ts.as_str()),
        ("user[login]", LOGIN),
        ("nonce", nonce.as_str()),
        ("auth_key", AUTH_KEY),
        ("application_id", app_id.as_str()),
    ];
    let case = Case {
        id: "sign_login",
        label: "string to sign + signature, login user",
        floor: Floor::Hmac(login_sts.clone()),
    };
    assert_eq!(string_to_sign(login_pairs).as_str(), login_sts);
    m.measure(&case, || {
        sign_pairs(secret, black_box(login_pairs), HashAlgorithm::Sha1)
    });

    // The two inspectable stages one after the other: the string written
    // out (a zeroized heap string holding the password), then signed.
    let case = Case {
        id: "ref_sign_login_stages",
        label: "reference: string_to_sign() then sign(), login user",
        floor: Floor::Hmac(login_sts.clone()),
    };
    m.measure(&case, || {
        let s = string_to_sign(black_box(login_pairs));
        sign(secret, &s, HashAlgorithm::Sha1)
    });

    // References that say where the time of the two above goes: the
    // signature alone over a ready string (HMAC, hex, the API around them).
    let case = Case {
        id: "ref_sign_only",
        label: "reference: signature alone over a ready string",
        floor: Floor::Hmac(app_sts.clone()),
    };
    m.measure(&case, || {
        sign(secret, black_box(app_sts.as_str()), HashAlgorithm::Sha1)
    });

    // The string to sign comes back as a `Zeroizing<String>`: allocated,
    // and zeroed byte by byte when dropped. This is that cost alone, for a
    // string as long as the login user's.
    let case = Case {
        id: "ref_zeroizing_string",
        label: "reference: a zeroized string as long as the login one",
        floor: Floor::Hmac(login_sts.clone()),
    };
    m.measure(&case, || {
        let mut text = Zeroizing::new(String::with_capacity(login_sts.len()));
        text.push_str(black_box(login_sts.as_str()));
        text
    });

    let builds = [
        (
            "build_app_json",
            "create-session request, application, JSON",
            &fx.application,
            BodyFormat::Json,
            &app_sts,
        ),
        (
            "build_app_form",
            "create-session request, application, form",
            &fx.application,
            BodyFormat::Form,
            &app_sts,
        ),
        (
            "build_login_json",
            "create-session request, login user, JSON",
            &fx.login,
            BodyFormat::Json,
            &login_sts,
        ),
        (
            "build_login_form",
            "create-session request, login user, form",
            &fx.login,
            BodyFormat::Form,
            &login_sts,
        ),
    ];
    for (id, label, identity, format, sts) in builds {
        let case = Case {
            id,
            label,
            floor: Floor::Hmac(sts.clone()),
        };
        m.measure(&case, || fx.build(identity, format));
    }

    // The request a create-session build returns, put together with the
    // `http` crate alone from ready parts: what handing out an
    // `http::Request` costs, whoever builds it.
    let built = fx.build(&fx.application, BodyFormat::Json);
    let url = fx.endpoint.url("session.json");
    let body = built.request().body().as_bytes().to_vec();
    let headers: Vec<_> = built
        .request()
        .headers()
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let case = Case {
        id: "ref_http_request",
        label: "reference: the same http::Request from ready parts",
        floor: Floor::Hmac(app_sts.clone()),
    };
    m.measure(&case, || {
        let mut request = http::Request::new(black_box(&body).clone());
        *request.method_mut() = http::Method::POST;
        *request.uri_mut() = http::Uri::try_from(black_box(url.as_str())).expect("valid URL");
        let map = request.headers_mut();
        for (name, value) in &headers {
            map.append(name.clone(), value.clone());
        }
        request
    });

    let case = Case {
        id: "parse_session",
        label: "parse a session response",
        floor: Floor::SessionJson(SESSION_BODY),
    };
    let parsed = parse_session(&fx.session_answer, Operation::CreateApplicationSession)
        .expect("fixture answer parses");
    assert_eq!(
        parsed.token.expose(),
        "c56f382b402fb482086db956064592d3cd012bba"
    );
    assert!(parsed.expires_at.is_some(), "expiry header is read");
    m.measure(&case, || {
        parse_session(
            black_box(&fx.session_answer),
            Operation::CreateApplicationSession,
        )
    });

    let case = Case {
        id: "parse_error",
        label: "parse an error response",
        floor: Floor::ErrorJson(ERROR_BODY),
    };
    let error = check_status(&fx.error_answer, Operation::CreateApplicationSession)
        .expect_err("fixture answer is an error");
    assert_eq!(error.messages(), ["Bad timestamp"]);
    m.measure(&case, || {
        check_status(
            black_box(&fx.error_answer),
            Operation::CreateApplicationSession,
        )
    });

    // A managed application session holding a token well inside its life:
    // what every request through a managed client asks first.
    let mut lifecycle = fx.managed_lifecycle();
    let now = fx.now();
    let case = Case {
        id: "lifecycle_token",
        label: "valid token from the lifecycle",
        floor: Floor::Hmac(app_sts),
    };
    match lifecycle.poll_token(now, &mut Ask::new()) {
        TokenAction::Use(token) => {
            assert_eq!(token.expose(), "c56f382b402fb482086db956064592d3cd012bba");
        }
        other => panic!("a valid session must give its token, got {other:?}"),
    }
    m.measure(&case, || {
        lifecycle.poll_token(black_box(now), &mut Ask::new())
    });
}

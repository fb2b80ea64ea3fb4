//! Every `ClientBuilder` option driven with extreme values, over both
//! transports: building either refuses with a typed error or gives a
//! client whose first calls (a one-shot create-session and a managed
//! session's first token, against the emulator) end with an answer or a
//! typed error; `build_for_account` with any account key does too. Nothing
//! panics, and timeouts beyond what any call could need are refused when
//! the client is built, not met on its first call.

use std::time::Duration;

use proptest::prelude::*;
use qb_auth_client::{ClientBuilder, Error, MAX_TIMEOUT};
use qb_auth_core::lifecycle::Policy;
use qb_auth_core::{BodyFormat, Endpoint, HashAlgorithm, SequentialNonces, TransportErrorKind};
use qb_auth_emulator::{BlockingEmulator, Emulator, fixtures};
use qb_auth_tests::fixtures::{alice, app};

/// One set of builder options.
#[derive(Debug, Clone)]
struct Options {
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    max_body: Option<u64>,
    retry: Option<Policy>,
    proxy: Option<String>,
    no_proxy: bool,
    first_nonce: Option<u32>,
    body_format: BodyFormat,
    hash: HashAlgorithm,
    account_key: String,
}

fn duration() -> BoxedStrategy<Duration> {
    prop_oneof![
        Just(Duration::ZERO),
        Just(Duration::from_nanos(1)),
        Just(Duration::MAX),
        Just(MAX_TIMEOUT),
        Just(MAX_TIMEOUT + Duration::from_nanos(1)),
        (0..u64::MAX).prop_map(Duration::from_secs),
        (1..120_000u64).prop_map(Duration::from_millis),
        (any::<u64>(), 0..1_000_000_000u32).prop_map(|(s, n)| Duration::new(s, n)),
    ]
    .boxed()
}

fn size() -> BoxedStrategy<u64> {
    prop_oneof![
        Just(0),
        Just(1),
        Just(u64::MAX),
        any::<u64>(),
        1024..1_048_576u64
    ]
    .boxed()
}

/// Retry policies with extreme values; retries that follow a failed
/// first call wait at most a few milliseconds in all, so that a case ends
/// quickly whatever the call does (the wait's bound is the policy's own
/// business, tested with the core).
fn policy() -> BoxedStrategy<Policy> {
    let fraction = prop_oneof![Just(0.0), Just(1.0), Just(f64::NAN), Just(-1.0), Just(2.0)];
    (
        (duration(), duration(), duration(), duration()),
        (duration(), duration(), duration()),
        (fraction.clone(), fraction, any::<u64>()),
        prop_oneof![
            (Just(1u32), duration(), duration()),
            (
                1..4u32,
                (0..5u64).prop_map(Duration::from_millis),
                (0..5u64).prop_map(Duration::from_millis)
            ),
            Just((0u32, Duration::ZERO, Duration::ZERO)),
        ],
    )
        .prop_map(
            |(
                (margin, ttl, retry_after, clock),
                (renewal, hold, max_wait),
                (renew_jitter, backoff_jitter, seed),
                (attempts, base, cap),
            )| {
                Policy::default()
                    .with_renew_margin(margin)
                    .with_default_ttl(ttl)
                    .with_retry_after_cap(retry_after)
                    .with_max_clock_offset(clock)
                    .with_renewal_timeout(renewal)
                    .with_failure_hold(hold)
                    .with_max_wait(max_wait)
                    .with_renew_jitter(renew_jitter)
                    .with_backoff_jitter(backoff_jitter)
                    .with_jitter_seed(seed)
                    .with_max_attempts(attempts)
                    .with_backoff(base, cap)
            },
        )
        .boxed()
}

fn proxy_url() -> BoxedStrategy<String> {
    prop_oneof![
        Just("http://127.0.0.1:9".to_owned()),
        Just("http://user:pa55@127.0.0.1:9".to_owned()),
        Just("https://[::1]:65535".to_owned()),
        Just("socks5://127.0.0.1:1080".to_owned()),
        Just(String::new()),
        "[ -~]{0,40}",
        "http://[a-z0-9.:@]{0,30}",
    ]
    .boxed()
}

fn options() -> BoxedStrategy<Options> {
    (
        (
            proptest::option::of(duration()),
            proptest::option::of(duration()),
            proptest::option::of(size()),
        ),
        (
            proptest::option::of(policy()),
            proptest::option::of(proxy_url()),
            any::<bool>(),
        ),
        (
            proptest::option::of(prop_oneof![Just(0u32), Just(u32::MAX), any::<u32>()]),
            prop_oneof![Just(BodyFormat::Json), Just(BodyFormat::Form)],
            prop_oneof![Just(HashAlgorithm::Sha1), Just(HashAlgorithm::Sha256)],
        ),
        prop_oneof![
            Just(fixtures::ACCOUNT_KEY.to_owned()),
            Just(String::new()),
            Just("key\r\nX-Injected: 1".to_owned()),
            "[ -~]{0,40}",
            "\\PC{0,20}",
        ],
    )
        .prop_map(
            |(
                (timeout, connect_timeout, max_body),
                (retry, proxy, no_proxy),
                (first_nonce, body_format, hash),
                account_key,
            )| Options {
                timeout,
                connect_timeout,
                max_body,
                retry,
                proxy,
                no_proxy,
                first_nonce,
                body_format,
                hash,
                account_key,
            },
        )
        .boxed()
}

impl Options {
    fn apply<M: qb_auth_client::Mode>(&self, endpoint: &Endpoint) -> ClientBuilder<M> {
        let mut builder = ClientBuilder::<M>::new()
            .endpoint(endpoint.clone())
            .body_format(self.body_format)
            .hash(self.hash);
        if let Some(t) = self.timeout {
            builder = builder.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            builder = builder.connect_timeout(t);
        }
        if let Some(n) = self.max_body {
            builder = builder.max_body_size(n);
        }
        if let Some(policy) = &self.retry {
            builder = builder.retry_policy(policy.clone());
        }
        if let Some(url) = &self.proxy {
            builder = builder.proxy(url.clone());
        }
        if self.no_proxy {
            builder = builder.no_proxy();
        }
        if let Some(n) = self.first_nonce {
            builder = builder.nonces(SequentialNonces::starting_at(n));
        }
        builder
    }

    /// Whether a timeout is one no call can use.
    fn unusable_timeout(&self) -> bool {
        [self.timeout, self.connect_timeout]
            .into_iter()
            .flatten()
            .any(|t| t.is_zero() || t > MAX_TIMEOUT)
    }

    /// Whether a proxy URL is set (and not turned off again).
    fn proxy_given(&self) -> bool {
        self.proxy.is_some() && !self.no_proxy
    }

    /// Whether the first calls must work: usable values throughout, with
    /// room for the emulator's answers.
    fn must_work(&self) -> bool {
        let roomy = |t: Option<Duration>| t.is_none_or(|t| t >= Duration::from_secs(5));
        // The emulator, as QuickBlox, checks HMAC-SHA1 signatures only.
        self.hash == HashAlgorithm::Sha1
            && roomy(self.timeout)
            && roomy(self.connect_timeout)
            && self.max_body.is_none_or(|n| n >= 64 * 1024)
            && self
                .first_nonce
                .is_none_or(|n| (1..i32::MAX as u32 - 1000).contains(&n))
    }
}

/// What building gave: a client, or a refusal that must be typed and
/// have a reason in the options.
fn check_build<T>(options: &Options, built: Result<T, Error>) -> Option<T> {
    match built {
        Ok(client) => {
            assert!(
                !options.unusable_timeout(),
                "a timeout no call can use was accepted: {options:?}"
            );
            Some(client)
        }
        Err(Error::Build(_)) => {
            assert!(options.retry.is_some(), "{options:?}");
            None
        }
        Err(Error::Transport(e)) if matches!(e.kind(), TransportErrorKind::Config(_)) => {
            assert!(
                options.unusable_timeout() || options.proxy_given(),
                "refused without cause: {e} for {options:?}"
            );
            None
        }
        Err(other) => panic!("an untyped refusal {other:?} for {options:?}"),
    }
}

/// What `build_for_account` gave: the demo account's settings when the
/// options let a call through, a typed refusal otherwise.
fn check_account(options: &Options, result: Result<(), Error>) {
    match result {
        Ok(()) => assert_eq!(options.account_key, fixtures::ACCOUNT_KEY, "{options:?}"),
        // Refused at build, as `check_build` allows: the proxy URL given
        // may be none a transport takes.
        Err(Error::Transport(e))
            if matches!(e.kind(), TransportErrorKind::Config(_)) && options.proxy_given() => {}
        Err(Error::Build(_) | Error::Api(_) | Error::Transport(_) | Error::NoAccountEndpoint) => {
            assert!(
                !(options.must_work()
                    && options.account_key == fixtures::ACCOUNT_KEY
                    && options.retry.as_ref().is_none_or(|p| p.validate().is_ok())
                    && !options.unusable_timeout()),
                "{result:?} for {options:?}"
            );
        }
        Err(other) => panic!("an unexpected error {other:?} for {options:?}"),
    }
}

fn emulator() -> (BlockingEmulator, Endpoint) {
    let emulator = Emulator::with_demo_fixtures()
        .start_blocking()
        .expect("the emulator starts on loopback");
    let endpoint = Endpoint::parse(emulator.base_url()).expect("an endpoint");
    (emulator, endpoint)
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 64,
        // A failure is a panic or a wrong refusal: each case is a client
        // and two calls, so shrinking stays short.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

#[test]
fn extreme_options_never_panic_over_reqwest() {
    let (_emulator, endpoint) = emulator();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    proptest!(config(), |(options in options())| {
        let built = options.apply::<qb_auth_client::Async<qb_auth_reqwest::Reqwest>>(&endpoint).build();
        if let Some(client) = check_build(&options, built) {
            // On a worker of the runtime, as `#[tokio::test]` would box
            // them: the calls' futures are large in a debug build.
            let options = options.clone();
            let calls = runtime.spawn(async move {
                let created = client.create_session(&app(), &alice()).await;
                let managed = client
                    .managed(qb_auth_reqwest::SessionSource::user(app(), alice()))
                    .build()
                    .expect("a managed session with the default policy builds");
                let token = managed.token().await;
                if options.must_work() {
                    assert!(created.is_ok(), "{created:?} with {options:?}");
                    assert!(token.is_ok(), "{token:?} with {options:?}");
                }
            });
            if let Err(e) = runtime.block_on(calls) {
                std::panic::resume_unwind(e.into_panic());
            }
        }
        let builder = options.apply::<qb_auth_client::Async<qb_auth_reqwest::Reqwest>>(&endpoint);
        let key = options.account_key.clone();
        let account = runtime.spawn(async move { builder.build_for_account(&key).await.map(|_| ()) });
        match runtime.block_on(account) {
            Ok(result) => check_account(&options, result),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    });
}

#[test]
fn extreme_options_never_panic_over_ureq() {
    let (_emulator, endpoint) = emulator();
    proptest!(config(), |(options in options())| {
        let built = options.apply::<qb_auth_client::Blocking<qb_auth_ureq::Ureq>>(&endpoint).build();
        if let Some(client) = check_build(&options, built) {
            let created = client.create_session(&app(), &alice());
            let managed = client
                .managed(qb_auth_ureq::SessionSource::user(app(), alice()))
                .build()
                .expect("a managed session with the default policy builds");
            let token = managed.token();
            if options.must_work() {
                assert!(created.is_ok(), "{created:?} with {options:?}");
                assert!(token.is_ok(), "{token:?} with {options:?}");
            }
        }
        let builder = options.apply::<qb_auth_client::Blocking<qb_auth_ureq::Ureq>>(&endpoint);
        check_account(&options, builder.build_for_account(&options.account_key).map(|_| ()));
    });
}

//! A run ended on an answer no retry fixes soon: every caller gets it until the hold ends.

use super::common::*;

#[test]
fn every_answer_no_retry_can_fix_is_final_at_once() {
    let cases = [
        (
            422,
            r#"{"errors":{"base":["Unexpected signature"]}}"#,
            ErrorKind::UnexpectedSignature,
        ),
        (
            422,
            r#"{"errors":{"base":["No application found"]}}"#,
            ErrorKind::NoApplicationFound,
        ),
        (
            401,
            r#"{"errors":["Unauthorized"]}"#,
            ErrorKind::InvalidCredentials,
        ),
        (
            201,
            r#"<html>captive portal</html>"#,
            ErrorKind::MalformedResponse,
        ),
        (404, "", ErrorKind::NotFound),
    ];
    for (status, body, kind) in cases {
        let mut lc = SessionLifecycle::new(exact(), app_mode()).unwrap();
        let ticket = renew(&mut lc, t0(), &mut Ask::new());
        let answer = http::Response::builder()
            .status(status)
            .body(body.as_bytes().to_vec())
            .unwrap();
        let outcome = NewSession::from_response(&answer, Operation::CreateApplicationSession);
        let progress = lc.on_renewal_result(ticket, t0(), outcome);
        let RenewalProgress::Failed(err @ RenewalError::Permanent { .. }) = progress else {
            panic!("{kind:?}: {progress:?}");
        };
        assert_eq!(err.api_error().unwrap().kind(), kind);
        assert!(matches!(
            events(&mut lc).last(),
            Some(LifecycleEvent::RenewalFailed(
                RenewalError::Permanent { .. }
            ))
        ));
    }
    // A provider that gives up, and credentials that cannot be built.
    for error in [
        AttemptError::Provider(ProviderError::permanent("signed out")),
        AttemptError::Build(Identity::login("", "x").unwrap_err()),
    ] {
        let mut lc = token_lifecycle(exact());
        let ticket = renew(&mut lc, t0(), &mut Ask::new());
        assert!(matches!(
            lc.on_renewal_result(ticket, t0(), Err(error)),
            RenewalProgress::Failed(RenewalError::Permanent { .. })
        ));
    }
}

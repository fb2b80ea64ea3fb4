//! `session create`, `session get`, `session destroy`.

use std::io::Write;
use std::time::SystemTime;

use qb_auth_client::Error;
use qb_auth_core::{
    CreateSession, HashAlgorithm, Nonce, NonceSource, Operation, OsNonces, SigningInput,
    unix_seconds,
};

use super::{app_credentials, session_token, setup};
use crate::args::{CreateArgs, SaveArgs, SigningArgs, TokenCallArgs};
use crate::exit::{ApiFailure, CliError, SignedContext};
use crate::output::{self, Secrets, ShowToken};
use crate::session_file;
use crate::transport::call_failure;

/// Signs a create-session request; prints it (`--dry-run`) or sends it and
/// prints the session, token included.
pub(super) fn create(args: &CreateArgs, out: &mut dyn Write) -> Result<(), CliError> {
    // Every flag combination is checked before anything is asked for.
    let plan = args.identity.plan()?;
    let endpoint = &args.server.endpoint;
    let SaveArgs { save, session_file } = &args.file;
    // (path, whether a live session saved there is reused); a path of
    // `None` is the identity's default file.
    let file = match (save, session_file) {
        // A dry run sends nothing: it neither reuses nor saves a session.
        _ if args.signing.dry_run => None,
        // A bare --save goes to the --session-file, if one is given.
        (Some(save), _) => Some((
            save.as_deref()
                .or(session_file.as_ref().and_then(|f| f.as_deref())),
            false,
        )),
        (None, Some(path)) => Some((path.as_deref(), true)),
        (None, None) => None,
    };
    let store = match file {
        Some((path, _)) => {
            let key = session_file::identity_key(args.app.app_id, &plan)?;
            Some(session_file::store_for(
                path,
                endpoint,
                args.app.app_id,
                &key,
            )?)
        }
        None => None,
    };
    // Reused before any secret is asked for: none is needed.
    if let (Some(store), Some((_, true))) = (&store, file)
        && session_file::reusable(&plan)
        && let Some((session, _)) = session_file::live_session(store)
    {
        tracing::info!(path = %store.path().display(), "reusing the saved session");
        output::session(out, args.server.output, &session, ShowToken::Yes)?;
        return Ok(());
    }
    // Refused before anything is sent: a session that could not be saved
    // would be created for nothing.
    if let Some(store) = &store {
        session_file::check_replaceable(store)?;
    }
    let app = app_credentials(&args.app)?;
    let identity = args.identity.resolve(plan)?;
    let input = signing_input(&args.signing)?;
    let hash = HashAlgorithm::from(args.signing.hash);
    let signed = CreateSession::new(&app, &identity, input)
        .body_format(args.signing.body.into())
        .hash(hash)
        .build(endpoint)?;
    if args.signing.dry_run {
        let secrets = if args.signing.show_secrets {
            Secrets::Shown
        } else {
            Secrets::Masked
        };
        output::dry_run(out, args.server.output, &signed, hash, secrets)?;
        return Ok(());
    }
    let context = SignedContext {
        masked_string_to_sign: signed.masked_string_to_sign(),
        hash,
        timestamp: input.timestamp(),
        nonce: input.nonce().get(),
    };
    let operation = if identity.is_user() {
        Operation::CreateUserSession
    } else {
        Operation::CreateApplicationSession
    };
    let mut setup = setup(&args.server);
    setup.body_format = args.signing.body.into();
    setup.hash = hash;
    let session = setup
        .build()?
        .create_session_with(&app, &identity, input)
        .map_err(|e| match e {
            Error::Api(e) => ApiFailure::new(e, endpoint).with_signed(context).into(),
            other => call_failure(operation, endpoint, other),
        })?;
    output::session(out, args.server.output, &session, ShowToken::Yes)?;
    // Printed first: a session that could not be saved is still usable.
    if let Some(store) = &store {
        session_file::save(store, &session)?;
    }
    Ok(())
}

/// Prints the session a token belongs to, without the token.
pub(super) fn get(args: &TokenCallArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let endpoint = &args.server.endpoint;
    let (token, _) = session_token(&args.token, endpoint)?;
    let session = setup(&args.server)
        .build()?
        .get_session(&token)
        .map_err(|e| call_failure(Operation::GetSession, endpoint, e))?;
    output::session(out, args.server.output, &session, ShowToken::No)?;
    Ok(())
}

/// Destroys the session a token belongs to.
pub(super) fn destroy(args: &TokenCallArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let endpoint = &args.server.endpoint;
    let (token, saved) = session_token(&args.token, endpoint)?;
    setup(&args.server)
        .build()?
        .destroy_session(&token)
        .map_err(|e| call_failure(Operation::DestroySession, endpoint, e))?;
    // The saved token no longer works: a later command must not reuse it.
    if let Some(saved) = &saved {
        session_file::clear(&saved.store)?;
    }
    output::done(
        out,
        args.server.output,
        "destroy session",
        "session destroyed; the token no longer works",
    )?;
    Ok(())
}

/// `--nonce` and `--timestamp` when given, otherwise an OS nonce and the clock.
fn signing_input(args: &SigningArgs) -> Result<SigningInput, CliError> {
    let nonce = match args.nonce {
        // A nonce given to reproduce a request may be 0, which the official
        // JavaScript SDK draws (0..9999) and Nonce::new refuses.
        Some(n) => Nonce::reproduce(n)?,
        None => OsNonces.next_nonce()?,
    };
    let timestamp = args
        .timestamp
        .unwrap_or_else(|| unix_seconds(SystemTime::now()));
    Ok(SigningInput::new(timestamp, nonce))
}

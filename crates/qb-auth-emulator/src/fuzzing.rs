//! A hook for the fuzz targets in `fuzz/`: the emulator's request-body
//! decoding, reachable without a socket. Behind the `fuzzing` feature (off
//! by default) so that it is no part of the emulator's API. A thin call into
//! the same decoder the handlers use, so the fuzzers test what is served.

use http::HeaderMap;

use crate::params::Params;

/// Decodes a request body as `POST /session.json` and `POST /login.json`
/// do, by its `Content-Type` (JSON, form, or sniffed when absent): every
/// parameter, those the signature covers in arrival order, then
/// `signature` if sent; or the message of the 400 or 415 answer the
/// emulator would give.
///
/// ```
/// use http::header::CONTENT_TYPE;
/// use qb_auth_emulator::fuzzing::decode_params;
///
/// let mut headers = http::HeaderMap::new();
/// headers.insert(CONTENT_TYPE, "application/x-www-form-urlencoded".parse()?);
/// let body = b"signature=ab&user%5Blogin%5D=alice&nonce=4242";
/// let pairs = decode_params(&headers, body).unwrap();
/// let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
/// assert_eq!(pairs, [("user[login]", "alice"), ("nonce", "4242"), ("signature", "ab")]);
///
/// headers.insert(CONTENT_TYPE, "application/json".parse()?);
/// assert_eq!(decode_params(&headers, b"[1]").unwrap_err(),
///     "Malformed JSON body: expected one JSON object");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_params(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Vec<(String, String)>, &'static str> {
    let params = Params::decode(headers, body).map_err(|e| e.message())?;
    let signature = params.get("signature").map(|v| ("signature", v));
    Ok(params
        .signed_pairs()
        .chain(signature)
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect())
}

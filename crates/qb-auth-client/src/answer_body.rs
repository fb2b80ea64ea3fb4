//! Answers of other HTTP clients judged for a managed session without
//! taking their bodies away: a success streams on untouched; an error's
//! body is read (bounded) to classify it, then handed back as it came.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use http_body::{Body, Frame, SizeHint};

use crate::managed::{Answered, MAX_ERROR_BODY, ManagedSession, RequestToken};
use crate::mode::Mode;

/// The body of an answer a middleware judged: the frames it read to
/// classify an error (if any), then the rest of the original body, so the
/// caller gets every byte, trailer and error in order. For a success
/// nothing was read and it only forwards the original body.
pub struct AnswerBody<B: Body> {
    read: VecDeque<Frame<B::Data>>,
    /// An error met while reading, handed on after the frames read.
    failed: Option<B::Error>,
    /// `None` once the original body ended while being read.
    rest: Option<B>,
}

// Fields are never pinned: `rest` is polled through `Pin::new` (`B: Unpin`).
impl<B: Body> Unpin for AnswerBody<B> {}

impl<B: Body> AnswerBody<B> {
    /// Forwards `body` as it is.
    pub fn new(body: B) -> Self {
        Self {
            read: VecDeque::new(),
            failed: None,
            rest: Some(body),
        }
    }

    /// The whole body, if it was read to its end without an error.
    pub fn read_whole(&self) -> Option<Cow<'_, [u8]>>
    where
        B::Data: AsRef<[u8]>,
    {
        if self.rest.is_some() || self.failed.is_some() {
            return None;
        }
        let mut data = self.read.iter().filter_map(Frame::data_ref);
        match (data.next(), data.next()) {
            (None, _) => Some(Cow::Borrowed(&[])),
            (Some(only), None) => Some(Cow::Borrowed(only.as_ref())),
            _ => Some(Cow::Owned(
                self.read
                    .iter()
                    .filter_map(Frame::data_ref)
                    .flat_map(|d| d.as_ref().iter().copied())
                    .collect(),
            )),
        }
    }
}

impl<B: Body + Unpin> AnswerBody<B>
where
    B::Data: AsRef<[u8]>,
{
    /// Reads `body` until it ends, fails, or more than `limit` bytes came.
    /// A body that says it is longer than `limit` is not read at all.
    pub async fn read_up_to(body: B, limit: usize) -> Self {
        let mut this = Self::new(body);
        let mut total = 0usize;
        while let Some(rest) = this.rest.as_mut() {
            if total > limit || rest.size_hint().lower() > (limit - total) as u64 {
                break;
            }
            match std::future::poll_fn(|cx| Pin::new(&mut *rest).poll_frame(cx)).await {
                None => this.rest = None,
                Some(Ok(frame)) => {
                    total += frame.data_ref().map_or(0, |d| d.as_ref().len());
                    this.read.push_back(frame);
                }
                Some(Err(err)) => {
                    this.failed = Some(err);
                    break;
                }
            }
        }
        this
    }
}

impl<B: Body + Unpin> Body for AnswerBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        if let Some(frame) = this.read.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        if let Some(err) = this.failed.take() {
            return Poll::Ready(Some(Err(err)));
        }
        match this.rest.as_mut() {
            Some(rest) => Pin::new(rest).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.read.is_empty()
            && self.failed.is_none()
            && self.rest.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let read = self
            .read
            .iter()
            .filter_map(Frame::data_ref)
            .map(|d| bytes_of(d) as u64)
            .sum::<u64>();
        let mut hint = match &self.rest {
            Some(rest) if self.failed.is_none() => rest.size_hint(),
            Some(_) => SizeHint::new(),
            None => SizeHint::with_exact(0),
        };
        hint.set_lower(hint.lower().saturating_add(read));
        if let Some(upper) = hint.upper() {
            hint.set_upper(upper.saturating_add(read));
        }
        hint
    }
}

fn bytes_of<D: bytes::Buf>(data: &D) -> usize {
    data.remaining()
}

impl<B: Body> fmt::Debug for AnswerBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the bytes: an answer may carry anything.
        f.debug_struct("AnswerBody")
            .field("frames_read", &self.read.len())
            .field("failed", &self.failed.is_some())
            .field("more", &self.rest.is_some())
            .finish()
    }
}

impl<M: Mode> ManagedSession<M> {
    /// Tells the session what the answer to a request made with `used`
    /// was (see [`answered`](Self::answered)), reading the body of an
    /// error answer (up to [`MAX_ERROR_BODY`]) to classify it. The answer
    /// comes back with every byte: a success's body unread and streaming.
    /// For a middleware of your own over any HTTP client whose bodies are
    /// [`http_body::Body`]; the tower layer is built on this.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let emulator = qb_auth_emulator::Emulator::with_demo_fixtures().start().await?;
    /// use bytes::Bytes;
    /// use http_body_util::{BodyExt, Full};
    /// use qb_auth_client::Answered;
    /// use qb_auth_core::{AppCredentials, Endpoint, SecretString};
    /// use qb_auth_reqwest::{Client, SessionSource};
    ///
    /// let client = Client::builder().endpoint(Endpoint::parse(emulator.base_url())?).build()?;
    /// let app = AppCredentials::new(12345, "AbCdEfGh-12345", SecretString::from("s3cr3t-Key_XYZ"))?;
    /// let session = client.managed(SessionSource::application(app)).build()?;
    /// let used = session.request_token().await?;
    ///
    /// // What your HTTP client got back: QuickBlox no longer knows the token.
    /// let gone = r#"{"errors":{"base":["Required session does not exist"]}}"#;
    /// let answer = http::Response::builder().status(401).body(Full::new(Bytes::from(gone)))?;
    /// let (answer, verdict) = session.judge_answer(&used, answer).await;
    /// assert_eq!(verdict, Answered::SessionRejected);
    /// // The next token is a new session's; the answer keeps every byte.
    /// assert_ne!(session.request_token().await?.token(), used.token());
    /// assert_eq!(answer.into_body().collect().await?.to_bytes(), gone);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn judge_answer<B>(
        &self,
        used: &RequestToken,
        answer: http::Response<B>,
    ) -> (http::Response<AnswerBody<B>>, Answered)
    where
        B: Body + Unpin,
        B::Data: AsRef<[u8]>,
    {
        let status = answer.status();
        if !RequestToken::needs_body(status) {
            let verdict = self.answered(used, status, answer.headers(), &[]);
            return (answer.map(AnswerBody::new), verdict);
        }
        let (parts, body) = answer.into_parts();
        let body = AnswerBody::read_up_to(body, MAX_ERROR_BODY).await;
        let whole = body.read_whole();
        let verdict = self.answered(
            used,
            status,
            &parts.headers,
            whole.as_deref().unwrap_or(&[]),
        );
        drop(whole);
        (http::Response::from_parts(parts, body), verdict)
    }
}

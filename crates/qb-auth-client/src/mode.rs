//! The two ways a client runs: [`Async`] over a [`Transport`] and
//! [`Blocking`] over a [`BlockingTransport`].
//!
//! The client, the managed-session driver and the API-key client are
//! written once as async code over [`Mode`]. In the async mode that code is
//! awaited by the caller's runtime. In the blocking mode every step of it
//! completes where it runs (the transport blocks, waits use a `Condvar`),
//! so the caller's thread drives it to the end with `pollster::block_on`:
//! no runtime, no thread, no spawned task.
//!
//! [`Transport`]: crate::Transport
//! [`BlockingTransport`]: crate::BlockingTransport

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use qb_auth_core::{HttpRequest, TransportError};

use crate::transport::{HttpOptions, Response};

/// Below this a wait is not worth a wake-up; also keeps a deadline already
/// past from spinning.
const MIN_WAIT: Duration = Duration::from_millis(1);

/// How a [`Client`](crate::Client) sends and waits: [`Async`] or
/// [`Blocking`]. Sealed: the two modes are the crate's.
pub trait Mode: Clone + Send + Sync + 'static + sealed::Sealed {
    /// The transport this mode drives.
    type Transport: Send + Sync + 'static;

    #[doc(hidden)]
    type Signal: Default + Send + Sync;

    #[doc(hidden)]
    fn wrap(transport: Self::Transport) -> Self;

    #[doc(hidden)]
    fn transport(&self) -> &Self::Transport;

    #[doc(hidden)]
    fn build_transport(options: &HttpOptions) -> Result<Self::Transport, TransportError>;

    #[doc(hidden)]
    fn send(
        &self,
        request: HttpRequest,
        max_body: u64,
    ) -> impl Future<Output = Result<Response, TransportError>> + Send;

    /// Waits until `signal` moved past `seen` or `until` passed.
    #[doc(hidden)]
    fn wait(
        &self,
        signal: &Self::Signal,
        seen: u64,
        until: SystemTime,
    ) -> impl Future<Output = ()> + Send;

    /// Waits until `until` (backoff between the attempts of a call).
    #[doc(hidden)]
    fn sleep_until(&self, until: SystemTime) -> impl Future<Output = ()> + Send;

    /// The signal's generation, read before a decision to wait on it.
    #[doc(hidden)]
    fn generation(signal: &Self::Signal) -> u64;

    /// Wakes everyone waiting on `signal`.
    #[doc(hidden)]
    fn notify(signal: &Self::Signal);
}

mod sealed {
    /// Keeps [`Mode`](super::Mode) to this crate's two modes.
    pub trait Sealed {}
}

fn left_until(until: SystemTime) -> Duration {
    until
        .duration_since(SystemTime::now())
        .unwrap_or_default()
        .max(MIN_WAIT)
}

/// The async mode: `T` is awaited on the caller's runtime.
pub struct Async<T>(Arc<T>);

/// The blocking mode: `T` blocks the caller's thread, and so does the
/// client, with nothing started behind it.
pub struct Blocking<T>(Arc<T>);

macro_rules! shared_mode_impls {
    ($mode:ident) => {
        // By hand: a derive would ask for `T: Clone`.
        impl<T> Clone for $mode<T> {
            fn clone(&self) -> Self {
                Self(Arc::clone(&self.0))
            }
        }

        impl<T> fmt::Debug for $mode<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // The transport is left out: its proxy settings may hold
                // credentials.
                f.write_str(concat!(stringify!($mode), "(..)"))
            }
        }

        impl<T> sealed::Sealed for $mode<T> {}
    };
}

shared_mode_impls!(Async);
shared_mode_impls!(Blocking);

#[cfg(feature = "async")]
mod async_mode {
    use std::pin::pin;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::task::Poll;

    use super::*;
    use crate::transport::Transport;

    /// A generation counter with tokio's runtime-free `Notify` to wake
    /// the tasks that wait on it.
    #[derive(Debug, Default)]
    pub struct AsyncSignal {
        generation: AtomicU64,
        notify: tokio::sync::Notify,
    }

    impl<T: Transport> Mode for Async<T> {
        type Transport = T;
        type Signal = AsyncSignal;

        fn wrap(transport: T) -> Self {
            Self(Arc::new(transport))
        }

        fn transport(&self) -> &T {
            &self.0
        }

        fn build_transport(options: &HttpOptions) -> Result<T, TransportError> {
            T::from_options(options)
        }

        fn send(
            &self,
            request: HttpRequest,
            max_body: u64,
        ) -> impl Future<Output = Result<Response, TransportError>> + Send {
            self.0.send(request, max_body)
        }

        async fn wait(&self, signal: &AsyncSignal, seen: u64, until: SystemTime) {
            let mut notified = pin!(signal.notify.notified());
            // Registered before the check, so a wake-up in between is kept.
            notified.as_mut().enable();
            if signal.generation.load(Ordering::Acquire) != seen {
                return;
            }
            let mut sleep = pin!(self.0.sleep(left_until(until)));
            std::future::poll_fn(|cx| {
                if notified.as_mut().poll(cx).is_ready() || sleep.as_mut().poll(cx).is_ready() {
                    Poll::Ready(())
                } else {
                    Poll::Pending
                }
            })
            .await;
        }

        fn sleep_until(&self, until: SystemTime) -> impl Future<Output = ()> + Send {
            self.0.sleep(left_until(until))
        }

        fn generation(signal: &AsyncSignal) -> u64 {
            signal.generation.load(Ordering::Acquire)
        }

        fn notify(signal: &AsyncSignal) {
            signal.generation.fetch_add(1, Ordering::AcqRel);
            signal.notify.notify_waiters();
        }
    }
}

#[cfg(feature = "blocking")]
mod blocking_mode {
    use std::sync::{Condvar, Mutex, PoisonError};

    use super::*;
    use crate::transport::BlockingTransport;

    /// A generation counter under a mutex, with a `Condvar` to wake the
    /// threads that wait on it.
    #[derive(Debug, Default)]
    pub struct BlockingSignal {
        generation: Mutex<u64>,
        changed: Condvar,
    }

    impl<T: BlockingTransport> Mode for Blocking<T> {
        type Transport = T;
        type Signal = BlockingSignal;

        fn wrap(transport: T) -> Self {
            Self(Arc::new(transport))
        }

        fn transport(&self) -> &T {
            &self.0
        }

        fn build_transport(options: &HttpOptions) -> Result<T, TransportError> {
            T::from_options(options)
        }

        async fn send(
            &self,
            request: HttpRequest,
            max_body: u64,
        ) -> Result<Response, TransportError> {
            self.0.send(request, max_body)
        }

        async fn wait(&self, signal: &BlockingSignal, seen: u64, until: SystemTime) {
            let generation = signal
                .generation
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // A spurious wake-up only costs the caller one more poll.
            let _ = signal
                .changed
                .wait_timeout_while(generation, left_until(until), |g| *g == seen);
        }

        async fn sleep_until(&self, until: SystemTime) {
            std::thread::sleep(left_until(until));
        }

        fn generation(signal: &BlockingSignal) -> u64 {
            *signal
                .generation
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
        }

        fn notify(signal: &BlockingSignal) {
            *signal
                .generation
                .lock()
                .unwrap_or_else(PoisonError::into_inner) += 1;
            signal.changed.notify_all();
        }
    }
}

//! Many callers at once, and a count of what each got back, so a test can
//! show that no request was lost.

use std::collections::BTreeMap;
use std::sync::Arc;

use qb_auth_core::Body;
use tokio::sync::Barrier;

use crate::failure::Failure;
use crate::test_client::{Answer, TestSession};

/// What a batch of requests came back with: every request is in exactly
/// one of the two.
#[derive(Debug, Default)]
pub struct Tally {
    /// Answers, counted by status.
    pub statuses: BTreeMap<u16, usize>,
    /// Typed errors.
    pub errors: Vec<Failure>,
}

impl Tally {
    /// Counts one result.
    pub fn add(&mut self, result: Result<Answer, Failure>) {
        match result {
            Ok(answer) => *self.statuses.entry(answer.status().as_u16()).or_default() += 1,
            Err(err) => self.errors.push(err),
        }
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: Self) {
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.errors.extend(other.errors);
    }

    /// Answers and errors together.
    pub fn total(&self) -> usize {
        self.statuses.values().sum::<usize>() + self.errors.len()
    }

    /// Answers with `status`.
    pub fn with_status(&self, status: u16) -> usize {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

/// Sends `n` requests through `managed` at once (tasks that start together
/// behind a barrier; for the blocking transport each runs on its own thread)
/// and counts what came back.
pub async fn concurrently<M: TestSession>(
    managed: &M,
    n: usize,
    request: impl Fn() -> http::Request<Body>,
) -> Tally {
    let barrier = Arc::new(Barrier::new(n));
    let mut tasks = Vec::with_capacity(n);
    for _ in 0..n {
        let (managed, barrier, request) = (managed.clone(), barrier.clone(), request());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            managed.send(request).await
        }));
    }
    let mut tally = Tally::default();
    for task in tasks {
        tally.add(task.await.expect("a caller panicked"));
    }
    tally
}

/// Sends `n` requests one after the other and counts what came back.
pub async fn one_by_one<M: TestSession>(
    managed: &M,
    n: usize,
    request: impl Fn() -> http::Request<Body>,
) -> Tally {
    let mut tally = Tally::default();
    for _ in 0..n {
        tally.add(managed.send(request()).await);
    }
    tally
}

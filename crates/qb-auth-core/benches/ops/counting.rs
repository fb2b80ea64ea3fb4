//! Allocations per call, counted by a global allocator that wraps the
//! system one: shared by the `allocations` bench, which prints the counts,
//! and the `allocation_limits` test, which holds them to their limits.
//!
//! Why `allocation-counter`: a `GlobalAlloc` needs `unsafe impl`, and every
//! crate here forbids unsafe code (a workspace lint an `allow` cannot lift).
//! It counts per thread, so only what the measuring thread allocates is
//! counted: the test harness and other tests' threads (or a busy machine
//! that makes them run at odd times) cannot add to a count. Its allocator is
//! installed by linking the crate, which only the binaries that include this
//! file do, never `core.rs`, so the counting never slows the timings.

use std::hint::black_box;

/// Calls per count: allocations are deterministic, so this only averages
/// out lazy one-time setup that slipped past the warm-up.
const RUNS: u32 = 1000;

/// Allocations and bytes per call of `op`, made on this thread.
pub(crate) fn count<R>(mut op: impl FnMut() -> R) -> (f64, f64) {
    for _ in 0..10 {
        black_box(op());
    }
    let info = allocation_counter::measure(|| {
        for _ in 0..RUNS {
            black_box(op());
        }
    });
    // A reallocation is counted as an allocation (the crate's allocator
    // reallocates by allocating anew), since it obtains memory too.
    let allocations = info.count_total as f64 / f64::from(RUNS);
    let bytes = info.bytes_total as f64 / f64::from(RUNS);
    (allocations, bytes)
}

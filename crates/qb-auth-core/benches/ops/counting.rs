//! Allocations per call, counted by a global allocator that wraps the
//! system one: shared by the `allocations` bench, which prints the counts,
//! and the `allocation_limits` test, which holds them to their limits.
//!
//! Why `stats_alloc`: a `GlobalAlloc` needs `unsafe impl`, and every crate
//! here forbids unsafe code (a workspace lint an `allow` cannot lift). The
//! crate is a few dozen lines around atomic counters, is installed explicitly
//! by the `#[global_allocator]` below (nothing changes just by linking it),
//! and lives only in the binaries that include this file, never in `core.rs`,
//! so the counting never slows the timings.

use std::alloc::System;
use std::hint::black_box;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Calls per count: allocations are deterministic, so this only averages
/// out lazy one-time setup that slipped past the warm-up.
const RUNS: u32 = 1000;

/// Allocations and bytes per call of `op`. The counters are process-wide,
/// so the binary must run one thread while counting.
pub(crate) fn count<R>(mut op: impl FnMut() -> R) -> (f64, f64) {
    for _ in 0..10 {
        black_box(op());
    }
    let region = Region::new(GLOBAL);
    for _ in 0..RUNS {
        black_box(op());
    }
    let change = region.change();
    // A reallocation obtains memory too, so it counts as an allocation.
    let allocations = (change.allocations + change.reallocations) as f64 / f64::from(RUNS);
    let bytes = change.bytes_allocated as f64 / f64::from(RUNS);
    (allocations, bytes)
}

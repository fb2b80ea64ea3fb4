//! Allocations per operation, counted by a global allocator that wraps the
//! system one. Prints one tab-separated line per case for `cargo xtask bench`:
//! `alloc <id> <allocations per op> <bytes per op> <allocations per floor> <label>`.
//! The floor's count (zero) shows that the counter sees only the operation.
//!
//! Why `stats_alloc`: a `GlobalAlloc` needs `unsafe impl`, and every crate
//! here forbids unsafe code (a workspace lint an `allow` cannot lift). The
//! crate is a few dozen lines around atomic counters, is installed explicitly
//! by the `#[global_allocator]` below (nothing changes just by linking it),
//! and lives only in this bench binary, apart from `core.rs`, so the counting
//! never slows the timings.

#![forbid(unsafe_code)]

mod ops;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;
use std::hint::black_box;

use ops::{Case, Fixtures, Measure, floor, run_all};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Calls per case: allocations are deterministic, so this only averages out
/// lazy one-time setup that slipped past the warm-up.
const RUNS: u32 = 1000;

/// Allocations and bytes per call of `op`.
fn count<R>(mut op: impl FnMut() -> R) -> (f64, f64) {
    for _ in 0..10 {
        black_box(op());
    }
    // The counters are process-wide; this binary runs one thread.
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

struct Counted {
    key: Vec<u8>,
}

impl Measure for Counted {
    fn measure<R>(&mut self, case: &Case, op: impl FnMut() -> R) {
        let (allocations, bytes) = count(op);
        let message = case.string_to_sign.as_bytes();
        let (floor_allocations, _) = count(|| floor(black_box(&self.key), black_box(message)));
        println!(
            "alloc\t{}\t{allocations:.2}\t{bytes:.0}\t{floor_allocations:.2}\t{}",
            case.id, case.label
        );
    }
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to configure.
    let fixtures = Fixtures::new();
    let mut counted = Counted {
        key: fixtures.key().to_vec(),
    };
    run_all(&fixtures, &mut counted);
}

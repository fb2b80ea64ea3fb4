//! The allocation limits, held on every `cargo test`: unlike time,
//! allocations are deterministic, so these claims of the benchmarks can
//! fail a build. The cases are the benchmarks' own (`benches/ops`), counted
//! by the same allocator (`benches/ops/counting.rs`). It counts on the
//! measuring thread only, so other threads (the harness, the other test
//! here, a busy machine running them at odd times) cannot change a count.

#![forbid(unsafe_code)]

#[path = "../benches/ops/counting.rs"]
mod counting;
#[path = "../benches/ops/mod.rs"]
mod ops;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use counting::count;
use ops::{Case, Fixtures, Measure, run_all};

/// The most allocations a case may make per call, by the prefix of its id.
fn limit(id: &str) -> Option<f64> {
    if id == "parse_session" {
        // The token (its text and the shared copy), the object id and the
        // nonce: numbers and times are read without a string between.
        return Some(4.0);
    }
    match id.split('_').next()? {
        // `sign_pairs` sorts on the stack and streams into the HMAC: nothing
        // holding the password reaches the heap.
        "sign" => Some(0.0),
        // The string to sign, the body and the header map's two (the
        // parameters live on the stack; the host was parsed with the
        // endpoint, the path once).
        "build" => Some(4.0),
        // The token handed out shares the session's; nothing is allocated.
        "lifecycle" => Some(0.0),
        _ => None,
    }
}

struct Limits {
    key: Vec<u8>,
    checked: usize,
    failures: Vec<String>,
}

impl Measure for Limits {
    fn measure<R>(&mut self, case: &Case, op: impl FnMut() -> R) {
        let (floor_allocations, _) = count(|| case.floor.run(&self.key));
        if floor_allocations != 0.0 {
            // Then the counter sees more than the operation.
            self.failures.push(format!(
                "{}: the floor allocated {floor_allocations}",
                case.id
            ));
        }
        let Some(limit) = limit(case.id) else {
            return;
        };
        let (allocations, bytes) = count(op);
        self.checked += 1;
        if allocations > limit {
            self.failures.push(format!(
                "{} ({}): {allocations} allocations ({bytes} B) per call, at most {limit}",
                case.id, case.label
            ));
        }
    }
}

#[test]
fn signing_building_parsing_and_the_lifecycle_stay_within_their_allocations() {
    let fixtures = Fixtures::new();
    let mut limits = Limits {
        key: fixtures.key().to_vec(),
        checked: 0,
        failures: Vec::new(),
    };
    run_all(&fixtures, &mut limits);
    // Two signatures, four builds, the session parse and the lifecycle.
    assert_eq!(limits.checked, 8, "a case with a limit went missing");
    assert!(
        limits.failures.is_empty(),
        "allocation limits exceeded:\n{}",
        limits.failures.join("\n")
    );
}

#[test]
fn another_threads_allocations_are_not_counted() {
    let allocated = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let allocator = {
        let (allocated, stop) = (Arc::clone(&allocated), Arc::clone(&stop));
        thread::spawn(move || {
            while !stop.load(Ordering::Acquire) {
                black_box(vec![0u8; 64]);
                allocated.fetch_add(1, Ordering::Release);
            }
        })
    };
    // Each call waits until the other thread has allocated again, so every
    // counted call overlaps at least one foreign allocation, however the
    // threads are scheduled; this thread allocates nothing.
    let (allocations, bytes) = count(|| {
        let seen = allocated.load(Ordering::Acquire);
        while allocated.load(Ordering::Acquire) == seen {
            std::hint::spin_loop();
        }
    });
    stop.store(true, Ordering::Release);
    allocator.join().expect("the allocating thread ends");
    assert_eq!((allocations, bytes), (0.0, 0.0));
}

//! The allocation limits, held on every `cargo test`: unlike time,
//! allocations are deterministic, so these claims of the benchmarks can
//! fail a build. The cases are the benchmarks' own (`benches/ops`), counted
//! by the same allocator (`benches/ops/counting.rs`). The counters are
//! process-wide, so this binary holds one test: nothing else runs while it
//! counts.

#![forbid(unsafe_code)]

#[path = "../benches/ops/counting.rs"]
mod counting;
#[path = "../benches/ops/mod.rs"]
mod ops;

use std::hint::black_box;

use counting::count;
use ops::{Case, Fixtures, Measure, floor, run_all};

/// The most allocations a case may make per call, by the prefix of its id.
fn limit(id: &str) -> Option<f64> {
    match id.split('_').next()? {
        // `sign_pairs` sorts on the stack and streams into the HMAC: nothing
        // holding the password reaches the heap.
        "sign" => Some(0.0),
        // Issue 7: at most 8 allocations to build a request.
        "build" => Some(8.0),
        // The token handed out is a copy; nothing else is allocated.
        "lifecycle" => Some(1.0),
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
        let message = case.string_to_sign.as_bytes();
        let (floor_allocations, _) = count(|| floor(black_box(&self.key), black_box(message)));
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
fn signing_building_and_the_lifecycle_stay_within_their_allocations() {
    let fixtures = Fixtures::new();
    let mut limits = Limits {
        key: fixtures.key().to_vec(),
        checked: 0,
        failures: Vec::new(),
    };
    run_all(&fixtures, &mut limits);
    // Two signatures, four builds and the lifecycle.
    assert_eq!(limits.checked, 7, "a case with a limit went missing");
    assert!(
        limits.failures.is_empty(),
        "allocation limits exceeded:\n{}",
        limits.failures.join("\n")
    );
}

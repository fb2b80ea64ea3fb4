//! Allocations per operation. Prints one tab-separated line per case for
//! `cargo xtask bench`:
//! `alloc <id> <allocations per op> <bytes per op> <allocations per floor> <label>`.
//! The floor's count (zero) shows that the counter sees only the operation.
//! The counting allocator and why it is `allocation-counter`: `ops/counting.rs`.

#![forbid(unsafe_code)]

// Not a module of `ops`: `core.rs` includes `ops`, and must not count.
#[path = "ops/counting.rs"]
mod counting;
mod ops;

use counting::count;
use ops::{Case, Fixtures, Measure, run_all};

struct Counted {
    key: Vec<u8>,
}

impl Measure for Counted {
    fn measure<R>(&mut self, case: &Case, op: impl FnMut() -> R) {
        let (allocations, bytes) = count(op);
        let (floor_allocations, _) = count(|| case.floor.run(&self.key));
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

//! Time per operation, each beside its floor in the same run: an HMAC-SHA1
//! keyed from scratch over the identical string to sign. `cargo xtask bench`
//! reads the medians from criterion's `estimates.json` files and prints the
//! ratios; run it alone with `cargo bench -p qb-auth-core --bench core`.

#![forbid(unsafe_code)]

mod ops;

use std::hint::black_box;

use criterion::Criterion;

use ops::{Case, Fixtures, Measure, floor, run_all};

/// Measures each case as a criterion group holding `op` and `floor`.
struct Timed<'a> {
    criterion: &'a mut Criterion,
    key: Vec<u8>,
}

impl Measure for Timed<'_> {
    fn measure<R>(&mut self, case: &Case, mut op: impl FnMut() -> R) {
        println!("{}: {}", case.id, case.label);
        let mut group = self.criterion.benchmark_group(case.id);
        group.bench_function("op", |b| b.iter(&mut op));
        let key = self.key.as_slice();
        let message = case.string_to_sign.as_bytes();
        group.bench_function("floor", |b| {
            b.iter(|| floor(black_box(key), black_box(message)))
        });
        group.finish();
    }
}

fn main() {
    let fixtures = Fixtures::new();
    let mut criterion = Criterion::default().configure_from_args();
    let mut timed = Timed {
        criterion: &mut criterion,
        key: fixtures.key().to_vec(),
    };
    run_all(&fixtures, &mut timed);
    criterion.final_summary();
}

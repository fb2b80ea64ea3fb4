//! Allocations per request with and without `TokenMiddleware` (token
//! valid, nothing to renew), counted on the measuring thread, where the
//! requests and reqwest's connection tasks run (the emulator runs on
//! threads of its own). Prints for `cargo xtask bench`:
//! `alloc <way> <allocations per request> <bytes per request>` for `plain`
//! (reqwest, the token set by hand), `no_op` (reqwest-middleware with an
//! empty middleware) and `token` (with `TokenMiddleware`).
//!
//! The counting allocator (`allocation-counter`, see qb-auth-core's
//! `benches/ops/counting.rs` for why) is linked into this binary only, never
//! into the timing bench.

#![forbid(unsafe_code)]

mod middleware;

use middleware::{Stage, Way, client_runtime};

/// Requests per count: a steady state, not the first connection.
const REQUESTS: u32 = 2000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = client_runtime()?;
    let stage = Stage::new(&runtime)?;
    for (id, way) in [
        ("plain", Way::Plain),
        ("no_op", Way::NoOp),
        ("token", Way::Token),
    ] {
        runtime.block_on(async {
            for _ in 0..200 {
                stage.send(way).await?;
            }
            Ok::<_, String>(())
        })?;
        let mut result = Ok(());
        let info = allocation_counter::measure(|| {
            result = runtime.block_on(async {
                for _ in 0..REQUESTS {
                    stage.send(way).await?;
                }
                Ok::<_, String>(())
            });
        });
        result?;
        println!(
            "alloc\t{id}\t{:.2}\t{:.0}",
            info.count_total as f64 / f64::from(REQUESTS),
            info.bytes_total as f64 / f64::from(REQUESTS)
        );
    }
    Ok(())
}

//! Time per request with and without `TokenMiddleware` (token valid,
//! nothing to renew), interleaved: each round sends a batch one way, then
//! a batch the other (the order alternating), so load that slows one slows
//! the other. Prints for `cargo xtask bench`:
//! `time <id> <median ns per request> <median ns of the plain request> <median ratio> <rounds>`,
//! for `token` (TokenMiddleware) and `no_op` (an empty middleware), each
//! against plain reqwest.
//!
//! `--only <plain|no_op|token> --calls N` sends N requests one way and
//! nothing else, untimed: run under callgrind for N and for 0, the
//! difference over N is what a request costs in instructions, however busy
//! the machine (the emulator's share is the same each way).

#![forbid(unsafe_code)]

mod middleware;

use std::time::Instant;

use middleware::{Stage, Way, client_runtime};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (mut rounds, mut batch) = (101usize, 200usize);
    let (mut only, mut calls) = (None, 0usize);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().ok_or("--rounds N")?.parse()?,
            "--batch" => batch = args.next().ok_or("--batch N")?.parse()?,
            "--only" => only = Some(args.next().ok_or("--only plain|no_op|token")?),
            "--calls" => calls = args.next().ok_or("--calls N")?.parse()?,
            _ => {} // `cargo bench` passes `--bench`
        }
    }
    let runtime = client_runtime()?;
    let stage = Stage::new(&runtime)?;
    if let Some(only) = only {
        let way = match only.as_str() {
            "plain" => Way::Plain,
            "no_op" => Way::NoOp,
            "token" => Way::Token,
            other => return Err(format!("no way {other:?}: plain, no_op or token").into()),
        };
        runtime.block_on(async {
            for _ in 0..calls {
                stage.send(way).await?;
            }
            Ok::<_, String>(())
        })?;
        println!("ran\t{only}\t{calls}");
        return Ok(());
    }
    runtime.block_on(async {
        // Warm: connections open, the session's lifecycle settled.
        for way in [Way::Plain, Way::NoOp, Way::Token] {
            for _ in 0..batch {
                stage.send(way).await?;
            }
        }
        for (id, way) in [("token", Way::Token), ("no_op", Way::NoOp)] {
            let (mut ours, mut plain, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
            for round in 0..rounds {
                // Request by request, alternating which goes first: both
                // sides see the same moments of a busy machine (blocks of
                // requests swing by 2x here).
                let mut total = [0u128; 2];
                for i in 0..batch {
                    let order = if (round + i) % 2 == 0 {
                        [way, Way::Plain]
                    } else {
                        [Way::Plain, way]
                    };
                    for which in order {
                        let started = Instant::now();
                        stage.send(which).await?;
                        total[usize::from(which == Way::Plain)] += started.elapsed().as_nanos();
                    }
                }
                let ns = total.map(|t| t as f64 / batch as f64);
                ours.push(ns[0]);
                plain.push(ns[1]);
                ratios.push(ns[0] / ns[1]);
            }
            println!(
                "time\t{id}\t{:.0}\t{:.0}\t{:.4}\t{rounds}",
                median(&mut ours),
                median(&mut plain),
                median(&mut ratios)
            );
        }
        Ok::<_, String>(())
    })?;
    Ok(())
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

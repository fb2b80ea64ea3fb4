//! Time per operation, each beside its floor: an HMAC-SHA1 keyed from
//! scratch over the identical string to sign. The two are timed interleaved,
//! a batch of the operation then a batch of the floor (the order swapped
//! every round), so whatever else the machine is doing slows both alike; the
//! ratio is the median of the rounds' ratios. Rounds also go round-robin over
//! the cases (one round of every case, then the next), so a burst of load
//! that slows allocation-heavy code more than the floor's hashing spreads
//! over a few rounds of every case instead of all rounds of one, and the
//! medians step over it. Prints one tab-separated line
//! per case for `cargo xtask bench`:
//! `time <id> <op ns> <floor ns> <median ratio> <rounds> <label>`, the times
//! being medians over the rounds. Run it alone with
//! `cargo bench -p qb-auth-core --bench core [-- --rounds N --batch-us N]`.
//!
//! Not criterion: it times one function at a time, so a burst of load can
//! land on the operation and miss its floor (a 3.57× "miss" of an operation
//! that is 2.4-2.6× its floor measured interleaved).
//!
//! `--only <id> --calls N` runs one case N times and nothing else (no floor,
//! no timing), for counting its instructions under callgrind, which gives
//! the same count however busy the machine is (`docs/benchmarks.md`, "Where
//! the time goes"); `--floor` runs that case's floor instead.

#![forbid(unsafe_code)]

mod ops;

use std::hint::black_box;
use std::time::{Duration, Instant};

use ops::{Case, Fixtures, Measure, run_all};

/// How long the timing of each case runs.
#[derive(Debug, Clone)]
struct Settings {
    /// Rounds per case, each timing one batch of the operation and one of the floor.
    rounds: usize,
    /// How long the slower of the two batches takes (calls per batch are
    /// found once per case): long enough to dwarf the clock's cost, short
    /// enough that both batches of a round see the same machine.
    batch: Duration,
    /// `--only <id> --calls N [--floor]`: run one case (or its floor) N times
    /// and nothing else, for an instruction count.
    count: Option<Count>,
}

/// One case run a fixed number of times, untimed.
#[derive(Debug, Clone)]
struct Count {
    id: String,
    calls: u64,
    floor: bool,
}

impl Settings {
    /// `--rounds N` and `--batch-us N`; anything else (cargo's `--bench`) is ignored.
    fn from_args() -> Result<Self, String> {
        let mut settings = Self {
            rounds: 101,
            batch: Duration::from_micros(2000),
            count: None,
        };
        let (mut only, mut calls, mut floor) = (None, None, false);
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            let mut number = |name: &str| -> Result<u64, String> {
                let value = args.next().ok_or(format!("{name} needs a value"))?;
                value.parse::<u64>().ok().filter(|n| *n > 0).ok_or(format!(
                    "{name} must be a positive whole number, not {value:?}"
                ))
            };
            match arg.as_str() {
                "--rounds" => {
                    settings.rounds = usize::try_from(number("--rounds")?).unwrap_or(usize::MAX)
                }
                "--batch-us" => settings.batch = Duration::from_micros(number("--batch-us")?),
                "--only" => only = Some(args.next().ok_or("--only needs a case id")?),
                // Zero is allowed here: a run of no calls is what to subtract.
                "--calls" => {
                    let value = args.next().ok_or("--calls needs a value")?;
                    calls =
                        Some(value.parse::<u64>().map_err(|_| {
                            format!("--calls must be a whole number, not {value:?}")
                        })?);
                }
                "--floor" => floor = true,
                _ => {}
            }
        }
        settings.count = match (only, calls) {
            (Some(id), Some(calls)) => Some(Count { id, calls, floor }),
            (None, None) if !floor => None,
            _ => return Err("--only, --calls and --floor go together".to_owned()),
        };
        Ok(settings)
    }
}

/// Times `calls` calls of `f`.
fn time<R>(calls: u64, f: &mut impl FnMut() -> R) -> Duration {
    let start = Instant::now();
    for _ in 0..calls {
        black_box(f());
    }
    start.elapsed()
}

/// Calls per batch: doubled until the slower of the two takes `batch`.
/// This also warms both up.
fn calibrate<A, B>(batch: Duration, a: &mut impl FnMut() -> A, b: &mut impl FnMut() -> B) -> u64 {
    let mut calls = 1u64;
    loop {
        let slower = time(calls, a).max(time(calls, b));
        if slower >= batch || calls >= 1 << 30 {
            return calls;
        }
        calls *= 2;
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// The rounds of one case so far.
struct Rounds {
    id: &'static str,
    label: &'static str,
    /// Calls per batch, found in the first round.
    calls: u64,
    op_ns: Vec<f64>,
    floor_ns: Vec<f64>,
    ratios: Vec<f64>,
}

struct Interleaved {
    key: Vec<u8>,
    settings: Settings,
    /// The round `run_all` is going through.
    round: usize,
    cases: Vec<Rounds>,
}

impl Measure for Interleaved {
    fn measure<R>(&mut self, case: &Case, mut op: impl FnMut() -> R) {
        let key = self.key.as_slice();
        let mut floor_op = || case.floor.run(key);
        if let Some(count) = &self.settings.count {
            if count.id == case.id {
                for _ in 0..count.calls {
                    if count.floor {
                        // Black-boxes what it computes itself.
                        floor_op();
                    } else {
                        black_box(op());
                    }
                }
            }
            return;
        }
        let index = match self.cases.iter().position(|c| c.id == case.id) {
            Some(index) => index,
            None => {
                let calls = calibrate(self.settings.batch, &mut op, &mut floor_op);
                self.cases.push(Rounds {
                    id: case.id,
                    label: case.label,
                    calls,
                    op_ns: Vec::with_capacity(self.settings.rounds),
                    floor_ns: Vec::with_capacity(self.settings.rounds),
                    ratios: Vec::with_capacity(self.settings.rounds),
                });
                self.cases.len() - 1
            }
        };
        let rounds = &mut self.cases[index];
        let calls = rounds.calls;
        // Swap the order each round, so that neither always runs with the
        // caches the other left.
        let (op_time, floor_time) = if self.round % 2 == 0 {
            let o = time(calls, &mut op);
            (o, time(calls, &mut floor_op))
        } else {
            let f = time(calls, &mut floor_op);
            (time(calls, &mut op), f)
        };
        let per_call = |d: Duration| d.as_nanos() as f64 / calls as f64;
        rounds.op_ns.push(per_call(op_time));
        rounds.floor_ns.push(per_call(floor_time));
        rounds
            .ratios
            .push(op_time.as_secs_f64() / floor_time.as_secs_f64().max(f64::MIN_POSITIVE));
    }
}

fn main() {
    let settings = match Settings::from_args() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("core bench: {e}");
            std::process::exit(2);
        }
    };
    let fixtures = Fixtures::new();
    let mut timed = Interleaved {
        key: fixtures.key().to_vec(),
        settings: settings.clone(),
        round: 0,
        cases: Vec::new(),
    };
    if let Some(count) = &settings.count {
        run_all(&fixtures, &mut timed);
        println!("ran\t{}\t{}", count.id, count.calls);
        return;
    }
    for round in 0..settings.rounds {
        timed.round = round;
        run_all(&fixtures, &mut timed);
    }
    for case in &mut timed.cases {
        println!(
            "time\t{}\t{:.2}\t{:.2}\t{:.4}\t{}\t{}",
            case.id,
            median(&mut case.op_ns),
            median(&mut case.floor_ns),
            median(&mut case.ratios),
            case.ratios.len(),
            case.label
        );
    }
}

//! `etcd-bench`: load generator for any etcd v2 endpoint.
//!
//! Measures writes/s, reads/s, quorum reads/s and a 90/10 read/write mix,
//! with latency percentiles, at several connection counts, against one or
//! two loopback endpoints (run alternately, printed side by side). See
//! `etcd-bench --help`.

mod args;
mod duration;
mod http1;
mod load;
mod report;
mod rounds;
mod stats;
mod target;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use args::{Args, Parsed, Stop};
use load::Plan;
use report::{CellResult, Ratio, Table};

/// Concurrency used to pre-fill keys for the read workloads.
const FILL_CONCURRENCY: usize = 64;

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Parsed::Run(a)) => *a,
        Ok(Parsed::Help) => {
            print!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("etcd-bench: {e}");
            return ExitCode::from(2);
        }
    };
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        builder.worker_threads(n);
    }
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("etcd-bench: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = rt.block_on(run_capped(args));
    // Do not wait for stragglers (e.g. requests cut off by the hard cap).
    rt.shutdown_timeout(Duration::from_millis(200));
    code
}

#[derive(Debug, PartialEq, Eq)]
enum End {
    Complete,
    Capped,
}

/// Runs everything under the hard cap: cells stop themselves at the
/// deadline, and the whole run is abandoned shortly after it regardless.
async fn run_capped(args: Args) -> ExitCode {
    let deadline = Instant::now() + args.max_runtime;
    // Cells stop issuing requests at the deadline; this only cuts off
    // requests still hanging two seconds later.
    let backstop = args.max_runtime + Duration::from_secs(2);
    match tokio::time::timeout(backstop, run(&args, deadline)).await {
        Ok(Ok(End::Complete)) => ExitCode::SUCCESS,
        Ok(Ok(End::Capped)) | Err(_) => {
            eprintln!(
                "etcd-bench: stopped by the hard cap (--max-runtime {:?}); results above are partial",
                args.max_runtime
            );
            ExitCode::from(3)
        }
        Ok(Err(e)) => {
            eprintln!("etcd-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &Args, deadline: Instant) -> Result<End, String> {
    let plans: Vec<Arc<Plan>> = args
        .targets
        .iter()
        .map(|t| {
            let plan = Plan::new(
                &t.base,
                &args.prefix,
                args.value_size,
                args.keys,
                args.timeout,
            );
            Arc::new(plan.with_user(args.user.as_deref()))
        })
        .collect();
    for (t, plan) in args.targets.iter().zip(&plans) {
        load::preflight(plan)
            .await
            .map_err(|e| format!("{} ({}): {e}", t.label, t.base))?;
    }

    if args.workloads.iter().any(|w| w.needs_fill()) {
        for (t, plan) in args.targets.iter().zip(&plans) {
            let t0 = Instant::now();
            let (ok, failed, first) = load::fill(plan.clone(), FILL_CONCURRENCY, deadline).await?;
            eprintln!(
                "etcd-bench: filled {ok} of {} keys under {} on {} in {:.1}s",
                args.keys,
                args.prefix,
                t.label,
                t0.elapsed().as_secs_f64()
            );
            if let Some(e) = first {
                eprintln!("etcd-bench:   {failed} fill writes failed; first: {e}");
            }
            if Instant::now() >= deadline {
                return Ok(End::Capped);
            }
            if ok == 0 {
                return Err(format!("{}: no key could be written", t.label));
            }
        }
    }

    let table = Table::new(args.targets.iter().map(|t| t.label.as_str()));
    if !args.json {
        let per_cell = match args.stop {
            Stop::Duration(d) => format!("{:?} per cell", d),
            Stop::Requests(n) => format!("{n} requests per cell"),
        };
        println!(
            "# etcd-bench: {} B values, {} keys under {}, {per_cell}; latencies of 2xx requests",
            args.value_size, args.keys, args.prefix
        );
        println!("{}", table.header());
    }

    for &workload in &args.workloads {
        for &conns in &args.connections {
            let mut rounds = rounds::Rounds::new(workload, conns);
            for round in 0..args.rounds {
                // Every other round the targets swap turns, so that neither
                // always runs right after the other (whose deferred work,
                // a snapshot say, may still be running).
                let swapped = round % 2 == 1;
                let (cells, capped) =
                    measure(args, &plans, workload, conns, deadline, swapped).await?;
                print_cells(args, &table, &cells);
                if capped {
                    return Ok(End::Capped);
                }
                rounds.add(&cells);
            }
            if args.rounds > 1 {
                if args.json {
                    println!("{}", rounds.json());
                } else {
                    for line in rounds.text() {
                        println!("{line}");
                    }
                }
            }
        }
    }
    if args.targets.len() == 2 && !args.json {
        println!(
            "{}",
            report::ratio_note(&args.targets[0].label, &args.targets[1].label)
        );
    }
    Ok(End::Complete)
}

/// Measures one (workload, connections) cell on every target in turn (the
/// last target first when `swapped`); the cells come back in target order,
/// with true when the hard cap cut them short.
async fn measure(
    args: &Args,
    plans: &[Arc<Plan>],
    workload: args::Workload,
    conns: usize,
    deadline: Instant,
    swapped: bool,
) -> Result<(Vec<CellResult>, bool), String> {
    let mut order: Vec<usize> = (0..args.targets.len()).collect();
    if swapped {
        order.reverse();
    }
    let mut cells: Vec<Option<CellResult>> = vec![None; args.targets.len()];
    let mut capped = false;
    for i in order {
        let (t, plan) = (&args.targets[i], &plans[i]);
        let out = load::run_cell(plan.clone(), workload, conns, args.stop, deadline).await?;
        if let Some(p) = &out.first_problem {
            eprintln!(
                "etcd-bench: {} {} x{conns}: {} non-2xx, {} errors; first: {p}",
                t.label,
                workload.name(),
                out.summary.non_2xx,
                out.summary.errors
            );
        }
        capped = out.truncated || Instant::now() >= deadline;
        cells[i] = Some(CellResult {
            label: t.label.clone(),
            endpoint: t.base.clone(),
            workload,
            connections: conns,
            value_size: args.value_size,
            keys: args.keys,
            summary: out.summary,
            truncated: out.truncated,
        });
        if capped {
            break;
        }
    }
    Ok((cells.into_iter().flatten().collect(), capped))
}

/// Prints the cells of one (workload, connections) pair; with two targets
/// the first one's row carries the ratio to the second.
fn print_cells(args: &Args, table: &Table, cells: &[CellResult]) {
    let ratio = match cells {
        [a, b] => Some(Ratio::of(&a.summary, &b.summary)),
        _ => None,
    };
    for (i, c) in cells.iter().enumerate() {
        let r = if i == 0 { ratio } else { None };
        if args.json {
            let other = cells.get(1).map(|b| b.label.as_str()).unwrap_or("");
            println!("{}", report::json_line(c, r.map(|r| (r, other))));
        } else {
            println!("{}", table.row(c, r));
        }
    }
}

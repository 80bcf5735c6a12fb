//! `etcdctl`: the etcd v2 command-line client, answer-for-answer compatible
//! with the reference's v2 mode, built only on `etcd-client`.
//!
//! [`run`] is the whole program minus the process: tests call it in-process
//! with captured streams; `main.rs` maps its result to the exit code.

pub mod app;
pub mod clapdef;
pub mod cli;
pub mod commands;
pub mod context;
pub mod discovery;
pub mod dump;
pub mod endpoints;
pub mod error;
pub mod io;
pub mod output;

pub use io::{Captured, Io, Output};

/// Runs etcdctl with `args` (program name first), environment lookups through
/// `env`, and the given streams. Returns the exit code.
pub fn run(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>, io: Io) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let mut err = io.stderr.clone();
            let _ = std::io::Write::write_fmt(&mut err, format_args!("etcdctl: {e}\n"));
            return error::EXIT_BAD_ARGS;
        }
    };
    runtime.block_on(app::main(args, env, io))
}

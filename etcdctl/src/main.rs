//! `etcdctl`: parse, run, exit with the reference's exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let code = etcdctl::run(args, &|k| std::env::var(k).ok(), etcdctl::Io::process());
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

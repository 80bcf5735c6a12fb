//! One run of etcdctl: global options, help routing, command lookup, flag
//! parsing and dispatch, with the reference's messages and exit codes.

use std::io::Write;

use crate::cli::def::Command;
use crate::cli::global::{Global, GLOBAL_FLAGS, SUMMARY};
use crate::cli::help::{self, APP, VERSION};
use crate::cli::parse::{parse, reorder, ParseError};
use crate::commands::{self, COMMANDS};
use crate::context::Ctx;
use crate::error::{Exit, EXIT_BAD_ARGS, EXIT_SUCCESS, EXIT_UNKNOWN_COMMAND};
use crate::io::Io;

fn app_help() -> String {
    help::app_help(SUMMARY, COMMANDS, GLOBAL_FLAGS)
}

fn find(name: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// Runs etcdctl with `args` (the program name first) and returns the exit code.
pub async fn main(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>, mut io: Io) -> i32 {
    match env("ETCDCTL_API").as_deref() {
        None | Some("") | Some("2") => {}
        Some(other) => {
            let _ = writeln!(
                io.stderr,
                "unsupported API version {other} (this etcdctl speaks the v2 API only; set ETCDCTL_API=2)"
            );
            return EXIT_BAD_ARGS;
        }
    }
    let rest = args.get(1..).unwrap_or_default();
    let globals = match parse(GLOBAL_FLAGS, rest) {
        Ok(m) => m,
        Err(ParseError::Help) => unreachable!("help is a defined global flag"),
        Err(ParseError::Flag(e)) => {
            let _ = write!(io.stdout, "Incorrect Usage. {e}\n\n{}", app_help());
            let _ = writeln!(io.stderr, "{e}");
            return EXIT_BAD_ARGS;
        }
    };
    if globals.bool("version") {
        let _ = write!(io.stdout, "etcdctl version: {VERSION}\nAPI version: 2\n");
        return EXIT_SUCCESS;
    }
    let Some(name) = globals.args.first().cloned() else {
        let _ = write!(io.stdout, "{}", app_help());
        return EXIT_SUCCESS;
    };
    if globals.bool("help") {
        let _ = write!(io.stdout, "{}", app_help());
        return EXIT_SUCCESS;
    }
    let args = &globals.args[1..];
    if name == "help" || name == "h" {
        return help_topic(&mut io, args);
    }
    let Some(cmd) = find(&name) else {
        let _ = writeln!(io.stderr, "No help topic for '{name}'");
        return EXIT_UNKNOWN_COMMAND;
    };
    let global = Global::resolve(&globals, env);
    let mut ctx = Ctx::new(io, global);
    let code = if cmd.subcommands.is_empty() {
        run_leaf(&mut ctx, &[cmd.name], cmd, args).await
    } else {
        run_group(&mut ctx, cmd, args).await
    };
    let _ = ctx.out().flush();
    let _ = ctx.err().flush();
    code
}

/// `etcdctl help [topic]`.
fn help_topic(io: &mut Io, args: &[String]) -> i32 {
    let Some(topic) = args.first() else {
        let _ = write!(io.stdout, "{}", app_help());
        return EXIT_SUCCESS;
    };
    if topic == "help" || topic == "h" {
        let _ = write!(io.stdout, "{}", help::help_help());
        return EXIT_SUCCESS;
    }
    match find(topic) {
        Some(cmd) if cmd.subcommands.is_empty() => {
            let _ = write!(
                io.stdout,
                "{}",
                help::command_help(&format!("{APP} {}", cmd.name), cmd)
            );
            EXIT_SUCCESS
        }
        Some(group) => {
            let _ = write!(
                io.stdout,
                "{}",
                help::group_topic(&format!("{APP} {}", group.name), group)
            );
            EXIT_SUCCESS
        }
        None => {
            let _ = writeln!(io.stderr, "No help topic for '{topic}'");
            EXIT_UNKNOWN_COMMAND
        }
    }
}

async fn run_group(ctx: &mut Ctx, group: &'static Command, args: &[String]) -> i32 {
    let path = format!("{APP} {}", group.name);
    let Some(sub) = args.first() else {
        let _ = write!(ctx.out(), "{}", help::group_help(&path, group));
        return EXIT_SUCCESS;
    };
    if sub == "--help" || sub == "-h" || sub == "help" || sub == "h" {
        let _ = write!(ctx.out(), "{}", help::group_help(&path, group));
        return EXIT_SUCCESS;
    }
    let Some(cmd) = group.find(sub) else {
        let _ = writeln!(ctx.err(), "No help topic for '{sub}'");
        return EXIT_UNKNOWN_COMMAND;
    };
    run_leaf(ctx, &[group.name, cmd.name], cmd, &args[1..]).await
}

async fn run_leaf(ctx: &mut Ctx, path: &[&str], cmd: &'static Command, args: &[String]) -> i32 {
    let help_path = format!("{APP} {}", path.join(" "));
    let matches = match parse(cmd.flags, &reorder(cmd.flags, args)) {
        Ok(mut m) => {
            m.raw = args.to_vec();
            m
        }
        Err(ParseError::Help) => {
            let _ = write!(ctx.out(), "{}", help::command_help(&help_path, cmd));
            return EXIT_SUCCESS;
        }
        Err(ParseError::Flag(e)) => {
            let text = help::command_help(&help_path, cmd);
            let _ = write!(ctx.out(), "Incorrect Usage: {e}\n\n{text}");
            let _ = writeln!(ctx.err(), "{e}");
            return EXIT_BAD_ARGS;
        }
    };
    match commands::run(ctx, path, &matches).await {
        Ok(()) => EXIT_SUCCESS,
        Err(Exit(code)) => code,
    }
}

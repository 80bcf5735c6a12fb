//! The command table seen through clap, only to generate man pages and shell
//! completions: parsing and `--help` stay in [`crate::cli`], whose rules clap
//! cannot reproduce.
//!
//! Everything here is derived from [`GLOBAL_FLAGS`], [`COMMANDS`] and
//! [`HELP_COMMAND`]; the only texts of its own are the [`MAN_NOTES`], which
//! describe deliberate differences from the reference in the man pages.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgAction, ValueHint};

use crate::cli::def::{Command, Flag, Kind};
use crate::cli::global::{GLOBAL_FLAGS, SUMMARY};
use crate::cli::help::{APP, HELP_COMMAND, VERSION};
use crate::commands::COMMANDS;

/// Man-page-only notes, by command path (`"exec-watch"`, `"member add"`):
/// appended to the command's description in its man page, never shown by
/// `etcdctl --help`, whose texts stay the reference's.
pub const MAN_NOTES: &[(&str, &str)] = &[(
    "exec-watch",
    "Difference from the reference etcdctl: \
`etcdctl exec-watch KEY -- CMD ARGS...` runs CMD ARGS each time KEY changes. \
The reference misparses that form and watches the last argument instead of KEY.",
)];

/// The whole etcdctl command tree as a [`clap::Command`]: the global options,
/// every command and subcommand with its flags (help, default, value name,
/// aliases) and the positional arguments of its usage line, plus `help, h`.
pub fn clap_command() -> clap::Command {
    let mut names: Vec<&'static str> = COMMANDS.iter().map(|c| c.name).collect();
    names.push(HELP_COMMAND.name);
    let help = command(&HELP_COMMAND, "").mut_arg("command", |a| {
        // Offered by the completions; the man page lists them under SUBCOMMANDS already.
        a.value_parser(PossibleValuesParser::new(names))
            .hide_possible_values(true)
    });
    clap::Command::new(APP)
        .about(SUMMARY)
        .version(VERSION)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .args(GLOBAL_FLAGS.iter().map(arg))
        .subcommands(COMMANDS.iter().map(|c| command(c, "")))
        .subcommand(help)
}

/// The help switch every command accepts (`--help, -h`), as the global table defines it.
fn help_flag() -> Option<&'static Flag> {
    GLOBAL_FLAGS.iter().find(|f| f.name() == HELP_COMMAND.name)
}

/// One command (`parent` is the path of its group, empty at the top).
fn command(c: &'static Command, parent: &str) -> clap::Command {
    let path = if parent.is_empty() {
        c.name.to_owned()
    } else {
        format!("{parent} {}", c.name)
    };
    let mut cmd = clap::Command::new(c.name)
        .about(c.usage)
        .visible_aliases(c.aliases)
        .disable_help_flag(true)
        .args(c.flags.iter().map(arg))
        .args(help_flag().map(arg))
        .args(positionals(c.args_usage));
    let mut long = description(c.description);
    if let Some((_, note)) = MAN_NOTES.iter().find(|(p, _)| *p == path) {
        if long.is_empty() {
            long = c.usage.to_owned();
        }
        long.push_str("\n\n");
        long.push_str(note);
    }
    if !long.is_empty() {
        cmd = cmd.long_about(long);
    }
    for sub in c.subcommands {
        cmd = cmd.subcommand(command(sub, &path));
    }
    cmd
}

/// A DESCRIPTION without the help template's indentation of its later lines.
fn description(text: &str) -> String {
    text.lines()
        .map(|l| l.strip_prefix("   ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A flag: one-letter names are short options, the others long ones; the
/// first of each kind is the option, the rest visible aliases.
fn arg(f: &'static Flag) -> Arg {
    let longs: Vec<&'static str> = f.names.iter().copied().filter(|n| n.len() > 1).collect();
    let shorts: Vec<char> = f
        .names
        .iter()
        .filter(|n| n.len() == 1)
        .filter_map(|n| n.chars().next())
        .collect();
    let mut a = Arg::new(f.name()).help(f.usage);
    let mut aliases = Vec::new();
    if let Some((first, rest)) = longs.split_first() {
        a = a.long(*first).visible_aliases(rest.to_vec());
        aliases.extend(rest.iter().map(|n| format!("--{n}")));
    }
    if let Some((first, rest)) = shorts.split_first() {
        a = a.short(*first).visible_short_aliases(rest.to_vec());
        aliases.extend(rest.iter().map(|n| format!("-{n}")));
    }
    if !aliases.is_empty() {
        // Man pages show no aliases by themselves; clap's help would say this.
        a = a.long_help(format!("{} [aliases: {}]", f.usage, aliases.join(", ")));
    }
    if let Some(var) = f.env {
        a = a.env(var);
    }
    if f.kind == Kind::Bool {
        return a.action(ArgAction::SetTrue);
    }
    let action = if f.kind == Kind::Strings {
        ArgAction::Append
    } else {
        ArgAction::Set
    };
    a = a
        .action(action)
        .value_name(f.placeholder)
        .value_hint(hint(f.name()));
    if !f.default.is_empty() {
        a = a.default_value(f.default);
    }
    a
}

/// What the shells should offer for a value, guessed from the flag's name.
fn hint(name: &str) -> ValueHint {
    if name.ends_with("-file") {
        ValueHint::FilePath
    } else if name.ends_with("-dir") {
        ValueHint::DirPath
    } else {
        ValueHint::Other
    }
}

/// The positional arguments of a usage line such as `<key> [value]` or
/// `<key> <command> [args...]` (`<x>` required, `[x]` optional, `...` repeated).
fn positionals(usage: &'static str) -> Vec<Arg> {
    usage
        .split_whitespace()
        .map(|token| {
            let required = token.starts_with('<');
            let inner = token.trim_matches(|c| matches!(c, '<' | '>' | '[' | ']'));
            let (name, repeated) = match inner.strip_suffix("...") {
                Some(n) => (n, true),
                None => (inner, false),
            };
            let mut a = Arg::new(name)
                .value_name(name)
                .required(required)
                .value_hint(if name == "command" {
                    ValueHint::CommandName
                } else {
                    ValueHint::Other
                });
            if repeated {
                a = a
                    .num_args(0..)
                    .trailing_var_arg(true)
                    .allow_hyphen_values(true);
            }
            a
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_flags(path: &str, cmd: &clap::Command, flags: &[Flag]) {
        for f in flags {
            let a = cmd
                .get_arguments()
                .find(|a| a.get_id() == f.name())
                .unwrap_or_else(|| panic!("{path}: flag {} missing", f.name()));
            assert_eq!(
                a.get_help().map(ToString::to_string).as_deref(),
                Some(f.usage),
                "{path} --{}",
                f.name()
            );
            let mut names: Vec<String> = Vec::new();
            names.extend(a.get_long().map(str::to_owned));
            names.extend(a.get_short().map(String::from));
            names.extend(
                a.get_all_aliases()
                    .unwrap_or_default()
                    .into_iter()
                    .map(str::to_owned),
            );
            names.extend(
                a.get_all_short_aliases()
                    .unwrap_or_default()
                    .into_iter()
                    .map(String::from),
            );
            names.sort();
            let mut want: Vec<String> = f.names.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(names, want, "{path}: names of --{}", f.name());
            let default: Vec<String> = a
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned())
                .collect();
            if f.kind != Kind::Bool && !f.default.is_empty() {
                assert_eq!(default, [f.default], "{path}: default of --{}", f.name());
            }
        }
    }

    fn check_command(parent: &clap::Command, path: &str, c: &Command) {
        let cmd = parent
            .find_subcommand(c.name)
            .unwrap_or_else(|| panic!("command {path} missing"));
        assert_eq!(
            cmd.get_about().map(ToString::to_string).as_deref(),
            Some(c.usage)
        );
        let aliases: Vec<&str> = cmd.get_visible_aliases().collect();
        assert_eq!(aliases, c.aliases, "{path}: aliases");
        check_flags(path, cmd, c.flags);
        let positionals = cmd.get_positionals().count();
        assert_eq!(
            positionals,
            c.args_usage.split_whitespace().count(),
            "{path}: positionals"
        );
        assert!(cmd.find_subcommand("help").is_none() || c.name == "help");
        assert_eq!(
            cmd.get_subcommands().count(),
            c.subcommands.len(),
            "{path}: subcommands"
        );
        for sub in c.subcommands {
            check_command(cmd, &format!("{path} {}", sub.name), sub);
        }
    }

    #[test]
    fn every_command_and_flag_of_the_table_is_in_the_clap_tree() {
        let root = clap_command();
        root.clone().debug_assert();
        check_flags(APP, &root, GLOBAL_FLAGS);
        assert_eq!(root.get_arguments().count(), GLOBAL_FLAGS.len());
        for c in COMMANDS {
            check_command(&root, c.name, c);
        }
        check_command(&root, "help", &HELP_COMMAND);
        assert_eq!(root.get_subcommands().count(), COMMANDS.len() + 1);
        // `h` reaches help; `--rw` reaches `--readwrite` of `role grant`.
        assert_eq!(
            root.find_subcommand("h").map(|c| c.get_name()),
            Some("help")
        );
        let grant = root
            .find_subcommand("role")
            .and_then(|r| r.find_subcommand("grant"))
            .expect("role grant");
        let rw = grant
            .get_arguments()
            .find(|a| a.get_id() == "readwrite")
            .expect("readwrite");
        assert_eq!(rw.get_all_aliases(), Some(vec!["rw"]));
        let long = rw.get_long_help().map(ToString::to_string);
        assert_eq!(
            long.as_deref(),
            Some("Grant read-write access [aliases: --rw]")
        );
    }

    #[test]
    fn usage_lines_become_positionals_and_notes_reach_long_about() {
        let root = clap_command();
        let exec = root.find_subcommand("exec-watch").expect("exec-watch");
        let pos: Vec<(&str, bool)> = exec
            .get_positionals()
            .map(|a| (a.get_id().as_str(), a.is_required_set()))
            .collect();
        assert_eq!(pos, [("key", true), ("command", true), ("args", false)]);
        let long = exec.get_long_about().expect("note").to_string();
        assert!(long.contains("exec-watch KEY -- CMD ARGS"), "{long}");
        assert_eq!(
            exec.get_about().map(ToString::to_string).as_deref(),
            Some(crate::commands::exec_watch::DEF.usage)
        );
        let set = root.find_subcommand("set").expect("set");
        let long = set.get_long_about().expect("description").to_string();
        assert!(long.contains("\nWhen <value> begins"), "{long}");
        // Every MAN_NOTES path names a real command.
        for (path, _) in MAN_NOTES {
            let mut cmd = &root;
            for part in path.split(' ') {
                cmd = cmd
                    .find_subcommand(part)
                    .unwrap_or_else(|| panic!("{path}"));
            }
        }
    }
}

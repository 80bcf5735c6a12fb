//! Help texts laid out exactly as the reference prints them (urfave/cli v1
//! templates, columns aligned like Go's tabwriter with a padding of 2).

use super::def::{Command, Flag};

/// The program name in help texts.
pub const APP: &str = "etcdctl";
/// The version the help shows (the reference's, whose behaviour we match).
pub const VERSION: &str = "3.4.23";

/// Aligns `(left, right)` rows: the left column is padded to its widest cell + 2.
fn columns(rows: &[(String, String)]) -> String {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    let mut out = String::new();
    for (i, (l, r)) in rows.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(l);
        if r.is_empty() {
            continue;
        }
        out.push_str(&" ".repeat(width - l.chars().count()));
        out.push_str(r);
    }
    out
}

fn flag_rows(flags: &[Flag]) -> Vec<(String, String)> {
    flags
        .iter()
        .map(|f| (format!("   {}", f.display()), f.help_text()))
        .collect()
}

fn command_rows(commands: &[Command]) -> Vec<(String, String)> {
    commands
        .iter()
        .map(|c| {
            let mut names = vec![c.name];
            names.extend_from_slice(c.aliases);
            (format!("   {}", names.join(", ")), c.usage.to_owned())
        })
        .collect()
}

/// The `help` pseudo-command as listed among the commands.
pub const HELP_COMMAND: Command = Command {
    name: "help",
    aliases: &["h"],
    usage: "Shows a list of commands or help for one command",
    args_usage: "[command]",
    description: "",
    flags: &[],
    subcommands: &[],
};

/// The top-level help (`etcdctl --help`).
pub fn app_help(summary: &str, commands: &[Command], global: &[Flag]) -> String {
    let mut all: Vec<Command> = commands.to_vec();
    all.push(HELP_COMMAND);
    format!(
        "NAME:\n   {APP} - {summary}\n\nUSAGE:\n   {APP} [global options] command [command options] [arguments...]\n\nVERSION:\n   {VERSION}\n\nCOMMANDS:\n{}\n\nGLOBAL OPTIONS:\n{}\n",
        columns(&command_rows(&all)),
        columns(&flag_rows(global)),
    )
}

/// The help of a leaf command (`etcdctl get --help`); `path` is e.g. `etcdctl member add`.
pub fn command_help(path: &str, cmd: &Command) -> String {
    let mut out = format!("NAME:\n   {path} - {}\n\nUSAGE:\n   {path}", cmd.usage);
    if !cmd.flags.is_empty() {
        out.push_str(" [command options]");
    }
    out.push(' ');
    if cmd.args_usage.is_empty() {
        out.push_str("[arguments...]");
    } else {
        out.push_str(cmd.args_usage);
    }
    if !cmd.description.is_empty() {
        out.push_str("\n\nDESCRIPTION:\n   ");
        out.push_str(cmd.description);
    }
    if !cmd.flags.is_empty() {
        out.push_str("\n\nOPTIONS:\n");
        for line in columns(&flag_rows(cmd.flags)).lines() {
            out.push_str(line);
            out.push('\n');
        }
        out.push_str("   ");
    }
    out.push('\n');
    out
}

/// The help of a group run without a subcommand (`etcdctl member`).
pub fn group_help(path: &str, group: &Command) -> String {
    format!(
        "NAME:\n   {path} - {}\n\nUSAGE:\n   {path} command [command options] [arguments...]\n\nCOMMANDS:\n{}\n\nOPTIONS:\n   --help, -h  show help\n   \n",
        group.usage,
        columns(&command_rows(group.subcommands)),
    )
}

/// `etcdctl help <group>`: the group shown as a plain command.
pub fn group_topic(path: &str, group: &Command) -> String {
    format!(
        "NAME:\n   {path} - {}\n\nUSAGE:\n   {path} [arguments...]\n",
        group.usage
    )
}

/// `etcdctl help help`.
pub fn help_help() -> String {
    format!(
        "NAME:\n    - {}\n\nUSAGE:\n    {}\n",
        HELP_COMMAND.usage, HELP_COMMAND.args_usage
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    static FLAGS: &[Flag] = &[
        Flag::int(&["ttl"], "key time-to-live in seconds"),
        Flag::string(&["swap-with-value"], "previous value"),
        Flag::int(&["swap-with-index"], "previous index"),
    ];

    #[test]
    fn command_help_matches_the_reference_layout() {
        let set = Command {
            name: "set",
            aliases: &[],
            usage: "set the value of a key",
            args_usage: "<key> <value>",
            description: "Set sets the value of a key.",
            flags: FLAGS,
            subcommands: &[],
        };
        assert_eq!(
            command_help("etcdctl set", &set),
            "NAME:\n   etcdctl set - set the value of a key\n\nUSAGE:\n   etcdctl set [command options] <key> <value>\n\nDESCRIPTION:\n   Set sets the value of a key.\n\nOPTIONS:\n   --ttl value              key time-to-live in seconds (default: 0)\n   --swap-with-value value  previous value\n   --swap-with-index value  previous index (default: 0)\n   \n"
        );
        let rmdir = Command::leaf(
            "rmdir",
            "removes the key if it is an empty directory or a key-value pair",
            "<key>",
            &[],
        );
        assert_eq!(
            command_help("etcdctl rmdir", &rmdir),
            "NAME:\n   etcdctl rmdir - removes the key if it is an empty directory or a key-value pair\n\nUSAGE:\n   etcdctl rmdir <key>\n"
        );
    }
}

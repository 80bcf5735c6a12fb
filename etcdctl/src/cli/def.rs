//! The declarative definition of commands and flags, from which parsing, help
//! texts, man pages and shell completions are all derived.

/// What a flag holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A switch: `--quorum` (never consumes the next argument).
    Bool,
    /// A string value.
    Str,
    /// A signed integer (Go's `strconv.ParseInt(s, 0, 64)`).
    Int,
    /// A Go duration (`2s`, `1m30s`, `500ms`).
    Duration,
    /// A string that may be given several times; every value is kept.
    Strings,
}

/// One flag of a command (or a global option).
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    /// Names without dashes, the canonical one first: `["quorum", "q"]`.
    pub names: &'static [&'static str],
    /// The value type.
    pub kind: Kind,
    /// The default, as the help shows it (empty: none shown).
    pub default: &'static str,
    /// The placeholder in help (`value`, or e.g. `simple` for `--output`).
    pub placeholder: &'static str,
    /// The help text.
    pub usage: &'static str,
    /// An environment variable that supplies the value when the flag is absent.
    pub env: Option<&'static str>,
}

impl Flag {
    /// A boolean switch.
    pub const fn bool(names: &'static [&'static str], usage: &'static str) -> Flag {
        Flag {
            names,
            kind: Kind::Bool,
            default: "",
            placeholder: "",
            usage,
            env: None,
        }
    }

    /// A string flag without a default.
    pub const fn string(names: &'static [&'static str], usage: &'static str) -> Flag {
        Flag {
            names,
            kind: Kind::Str,
            default: "",
            placeholder: "value",
            usage,
            env: None,
        }
    }

    /// A repeatable string flag without a default.
    pub const fn strings(names: &'static [&'static str], usage: &'static str) -> Flag {
        Flag {
            names,
            kind: Kind::Strings,
            default: "",
            placeholder: "value",
            usage,
            env: None,
        }
    }

    /// An integer flag with default 0.
    pub const fn int(names: &'static [&'static str], usage: &'static str) -> Flag {
        Flag {
            names,
            kind: Kind::Int,
            default: "0",
            placeholder: "value",
            usage,
            env: None,
        }
    }

    /// The canonical name.
    pub fn name(&self) -> &'static str {
        self.names[0]
    }

    /// `--name value, -n value` as the help's left column shows it.
    pub fn display(&self) -> String {
        self.names
            .iter()
            .map(|n| {
                let dashes = if n.len() == 1 { "-" } else { "--" };
                if self.kind == Kind::Bool {
                    format!("{dashes}{n}")
                } else {
                    format!("{dashes}{n} {}", self.placeholder)
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The help text with the default appended as urfave/cli does.
    pub fn help_text(&self) -> String {
        match self.kind {
            Kind::Bool => self.usage.to_owned(),
            Kind::Str | Kind::Strings if self.default.is_empty() => self.usage.to_owned(),
            Kind::Str | Kind::Strings => {
                format!("{} (default: {:?})", self.usage, self.default)
            }
            Kind::Int | Kind::Duration => format!("{} (default: {})", self.usage, self.default),
        }
    }
}

/// One command, or a group of subcommands.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// The name typed on the command line.
    pub name: &'static str,
    /// Other names (`h` for `help`).
    pub aliases: &'static [&'static str],
    /// The one-line summary.
    pub usage: &'static str,
    /// The arguments part of the usage line, verbatim (may carry spaces).
    pub args_usage: &'static str,
    /// Longer help, shown under DESCRIPTION (lines without indentation).
    pub description: &'static str,
    /// The command's flags.
    pub flags: &'static [Flag],
    /// Subcommands, for groups such as `member`.
    pub subcommands: &'static [Command],
}

impl Command {
    /// A leaf command without description or subcommands.
    pub const fn leaf(
        name: &'static str,
        usage: &'static str,
        args_usage: &'static str,
        flags: &'static [Flag],
    ) -> Command {
        Command {
            name,
            aliases: &[],
            usage,
            args_usage,
            description: "",
            flags,
            subcommands: &[],
        }
    }

    /// A group of subcommands.
    pub const fn group(
        name: &'static str,
        usage: &'static str,
        subcommands: &'static [Command],
    ) -> Command {
        Command {
            name,
            aliases: &[],
            usage,
            args_usage: "",
            description: "",
            flags: &[],
            subcommands,
        }
    }

    /// Finds a subcommand by name or alias.
    pub fn find(&self, name: &str) -> Option<&'static Command> {
        self.subcommands
            .iter()
            .find(|c| c.name == name || c.aliases.contains(&name))
    }

    /// Finds a flag by any of its names.
    pub fn flag(&self, name: &str) -> Option<&'static Flag> {
        self.flags.iter().find(|f| f.names.contains(&name))
    }
}

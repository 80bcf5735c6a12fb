//! What reading the configuration prints: log lines in the reference's
//! shape, and the errors that stop the server before it starts.

use std::fmt;

use crate::flags;

/// Severity of a [`LogLine`], with capnslog's letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `I`
    Info,
    /// `N`
    Notice,
    /// `W`
    Warning,
    /// `E`
    Error,
    /// `C` (the process exits after it)
    Critical,
}

impl Level {
    /// capnslog's letter.
    pub fn letter(self) -> char {
        match self {
            Level::Info => 'I',
            Level::Notice => 'N',
            Level::Warning => 'W',
            Level::Error => 'E',
            Level::Critical => 'C',
        }
    }
}

/// One log line in capnslog's shape, without its timestamp:
/// `<L> | <package>: <text>` (the caller puts the timestamp and a space in
/// front).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Severity.
    pub level: Level,
    /// The reference's package name (`etcdmain`, `pkg/flags`).
    pub package: &'static str,
    /// The message.
    pub text: String,
}

impl LogLine {
    pub(super) fn new(level: Level, package: &'static str, text: impl Into<String>) -> LogLine {
        LogLine {
            level,
            package,
            text: text.into(),
        }
    }
}

impl fmt::Display for LogLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} | {}: {}",
            self.level.letter(),
            self.package,
            self.text
        )
    }
}

/// A piece of a [`ConfigError`]'s stderr output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A log line (printed with a timestamp in front and a newline after).
    Log(LogLine),
    /// Raw text, printed as is (it carries its own newlines).
    Text(String),
}

/// Why the server does not start: what to print on stderr, and the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Printed in order on stderr.
    pub output: Vec<Output>,
    /// The process exit code.
    pub exit_code: u8,
}

impl ConfigError {
    /// A Go flag-package error: the message, then the usage text; exit 2.
    pub(super) fn usage(notices: Vec<LogLine>, message: String) -> ConfigError {
        let mut output: Vec<Output> = notices.into_iter().map(Output::Log).collect();
        output.push(Output::Text(format!("{message}\n{}", flags::usage())));
        ConfigError {
            output,
            exit_code: 2,
        }
    }

    /// `E | etcdmain: error verifying flags, <message>. See 'etcd --help'.`, exit 1.
    pub(super) fn verifying(notices: Vec<LogLine>, message: impl fmt::Display) -> ConfigError {
        let line = LogLine::new(
            Level::Error,
            "etcdmain",
            format!("error verifying flags, {message}. See 'etcd --help'."),
        );
        ConfigError::logged(notices, line, 1)
    }

    /// The notices so far, then `line`.
    pub(super) fn logged(notices: Vec<LogLine>, line: LogLine, exit_code: u8) -> ConfigError {
        let mut output: Vec<Output> = notices.into_iter().map(Output::Log).collect();
        output.push(Output::Log(line));
        ConfigError { output, exit_code }
    }

    /// The full stderr text; `timestamp` is called once per log line (e.g.
    /// `2026-11-21 05:57:43.648887`).
    pub fn render(&self, timestamp: &dyn Fn() -> String) -> String {
        let mut out = String::new();
        for o in &self.output {
            match o {
                Output::Log(line) => {
                    out.push_str(&timestamp());
                    out.push(' ');
                    out.push_str(&line.to_string());
                    out.push('\n');
                }
                Output::Text(t) => out.push_str(t),
            }
        }
        out
    }

    /// The last line of the output: the error itself, without timestamp.
    pub fn message(&self) -> String {
        match self.output.last() {
            Some(Output::Log(line)) => line.to_string(),
            Some(Output::Text(t)) => t.lines().next().unwrap_or("").to_owned(),
            None => String::new(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for o in &self.output {
            match o {
                Output::Log(line) => writeln!(f, "{line}")?,
                Output::Text(t) => f.write_str(t)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

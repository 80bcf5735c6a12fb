//! `cargo run -p etcd-tests --bin gen-docs`: regenerates the committed shell
//! completions (`completions/`) and man pages (`man/`) at the workspace root.
//!
//! Both come from clap commands built from the programs' own definition
//! tables: `etcdctl::clapdef::clap_command()` for etcdctl, and for etcd-server
//! a command assembled here from `etcd_server::flags` (`FLAGS`, with the help
//! texts read out of `flags_help()` and `usage()`). The output is
//! deterministic (no dates), so `docs_fresh` can compare it with the
//! committed files.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ValueHint};
use clap_complete::{Generator, Shell};
use clap_mangen::Man;
use etcd_server::flags::{self, FlagKind};

/// The directories (under the workspace root) that hold only generated files.
pub const DIRS: [&str; 2] = ["completions", "man"];

/// The shells completions are generated for.
const SHELLS: [Shell; 5] = [
    Shell::Bash,
    Shell::Zsh,
    Shell::Fish,
    Shell::Elvish,
    Shell::PowerShell,
];

/// The command that regenerates everything (named in failure messages).
pub const REGENERATE: &str = "cargo run -p etcd-tests --bin gen-docs";

/// Every generated file: its path relative to the workspace root and its bytes.
pub fn files() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let ctl = etcdctl::clapdef::clap_command();
    let server = server_command();
    for cmd in [&ctl, &server] {
        for shell in SHELLS {
            let name = cmd.get_name().to_owned();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd.clone(), &name, &mut buf);
            out.insert(Path::new("completions").join(shell.file_name(&name)), buf);
        }
    }
    for (file, page) in man_pages(ctl).into_iter().chain(man_pages(server)) {
        out.insert(Path::new("man").join(file), page);
    }
    out
}

/// The man page of `cmd` and of each of its subcommands (`etcdctl-member-add.1`).
fn man_pages(mut cmd: clap::Command) -> Vec<(String, Vec<u8>)> {
    fn walk(cmd: &clap::Command, source: &str, out: &mut Vec<(String, Vec<u8>)>) {
        let man = Man::new(cmd.clone()).source(source).date("");
        let mut page = Vec::new();
        man.render(&mut page)
            .expect("rendering into memory cannot fail");
        out.push((man.get_filename(), page));
        for sub in cmd.get_subcommands() {
            walk(sub, source, out);
        }
    }
    cmd.build();
    let source = format!("{} {}", cmd.get_name(), cmd.get_version().unwrap_or(""));
    let mut out = Vec::new();
    walk(&cmd, source.trim_end(), &mut out);
    out
}

/// Writes every generated file under `root` and removes files in [`DIRS`]
/// that are no longer generated. Returns the written paths.
///
/// # Errors
///
/// Any I/O error, with the path it happened at.
pub fn write_all(root: &Path) -> io::Result<Vec<PathBuf>> {
    let files = files();
    let at = |p: &Path, e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
    for dir in DIRS {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir).map_err(|e| at(&dir, e))?;
        for entry in std::fs::read_dir(&dir).map_err(|e| at(&dir, e))? {
            let path = entry?.path();
            let rel = path.strip_prefix(root).unwrap_or(&path).to_path_buf();
            if path.is_file() && !files.contains_key(&rel) {
                std::fs::remove_file(&path).map_err(|e| at(&path, e))?;
            }
        }
    }
    let mut written = Vec::with_capacity(files.len());
    for (rel, bytes) in files {
        let path = root.join(&rel);
        std::fs::write(&path, bytes).map_err(|e| at(&path, e))?;
        written.push(rel);
    }
    Ok(written)
}

/// One documented entry of a help text: `--name 'default'` and its lines.
#[derive(Debug, Default)]
struct Doc {
    heading: Option<String>,
    default: Option<String>,
    help: String,
}

/// Reads `flags_help()`: `Section:` headings, `  --flag 'default'` entries
/// with their indented description lines, and free text (returned last).
fn parse_flags_help(text: &str) -> (Vec<(String, Doc)>, String) {
    let mut docs: Vec<(String, Doc)> = Vec::new();
    let mut heading = None;
    let mut notes = Vec::new();
    for line in text.lines() {
        if let Some(desc) = line.strip_prefix("    ") {
            let (_, doc) = docs.last_mut().expect("a description follows a flag");
            if !doc.help.is_empty() {
                doc.help.push(' ');
            }
            doc.help.push_str(desc.trim());
        } else if let Some(entry) = line.strip_prefix("  --") {
            let (name, default) = entry.split_once(' ').unwrap_or((entry, "''"));
            let default = default.trim_matches('\'');
            let doc = Doc {
                heading: heading.clone(),
                default: (!default.is_empty()).then(|| default.to_owned()),
                help: String::new(),
            };
            docs.push((name.to_owned(), doc));
        } else if let Some(h) = line.strip_suffix(':').filter(|l| !l.starts_with(' ')) {
            heading = Some(h.to_owned());
        } else if !line.trim().is_empty() {
            notes.push(line.trim());
        }
    }
    (docs, notes.join("\n"))
}

/// Reads `usage()`: `  etcd-server <form>` lines and the description under
/// each. Returns the program name and (form, description) pairs.
fn parse_usage(text: &str) -> (String, Vec<(String, String)>) {
    let mut program = String::new();
    let mut forms: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(desc) = line.strip_prefix("    ") {
            if let Some((_, d)) = forms.last_mut() {
                d.push_str(desc.trim());
            }
        } else if let Some(form) = line.strip_prefix("  ") {
            let (name, rest) = form.split_once(' ').unwrap_or((form, ""));
            program = name.to_owned();
            forms.push((rest.to_owned(), String::new()));
        }
    }
    (program, forms)
}

/// etcd-server as a clap command, for its man page and completions: every
/// flag of `FLAGS`, documented by `flags_help()` (or by `usage()` for the
/// flags it shows there), with the `ETCD_*` variable that also sets it.
///
/// # Panics
///
/// If a flag of `FLAGS` has no help text, or the help names a flag that
/// `FLAGS` lacks: the tables disagree and need fixing first.
pub fn server_command() -> clap::Command {
    let (docs, notes) = parse_flags_help(&flags::flags_help());
    let (program, forms) = parse_usage(&flags::usage());
    let form = |f: &str| forms.iter().find(|(k, _)| k == f).map(|(_, d)| d.clone());
    let mut documented: Vec<(&str, Doc)> = Vec::new();
    for (name, doc) in docs {
        let spec = flags::FLAGS.iter().find(|s| s.name == name);
        let spec = spec.unwrap_or_else(|| panic!("flags_help() documents --{name}, not in FLAGS"));
        documented.push((spec.name, doc));
    }
    for spec in flags::FLAGS {
        if documented.iter().all(|(n, _)| *n != spec.name) {
            let help = form(&format!("--{}", spec.name)).unwrap_or_else(|| {
                panic!("--{} has no help in flags_help() or usage()", spec.name)
            });
            documented.push((
                spec.name,
                Doc {
                    help,
                    ..Doc::default()
                },
            ));
        }
    }
    let version = flags::version();
    let version = version
        .lines()
        .next()
        .and_then(|l| l.rsplit(' ').next())
        .unwrap_or_default()
        .to_owned();
    let help = form("-h | --help").expect("usage() documents -h | --help");
    clap::Command::new(program)
        .about(form("[flags]").expect("usage() documents [flags]"))
        .version(version)
        .disable_help_flag(true)
        .disable_version_flag(true)
        .args(
            documented
                .into_iter()
                .map(|(name, doc)| server_arg(name, doc)),
        )
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .help(help)
                .action(ArgAction::Help),
        )
        .after_long_help(notes)
}

/// One etcd-server flag. Go's boolean flags take a value only as `--flag=value`.
fn server_arg(name: &'static str, doc: Doc) -> Arg {
    let kind = flags::FLAGS
        .iter()
        .find(|s| s.name == name)
        .map_or(FlagKind::Value, |s| s.kind);
    let mut a = Arg::new(name)
        .long(name)
        .help(doc.help)
        .env(flags::flag_to_env(name));
    if let Some(h) = doc.heading {
        a = a.help_heading(h);
    }
    match (kind, doc.default) {
        (FlagKind::Bool, None) => a.action(ArgAction::SetTrue),
        (FlagKind::Bool, Some(d)) => a
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .value_parser(["true", "false"])
            .hide_possible_values(true)
            .value_name("true|false")
            .default_value(d),
        (FlagKind::Value, default) => {
            let hint = if name.ends_with("-dir") {
                ValueHint::DirPath
            } else if name.ends_with("-file") {
                ValueHint::FilePath
            } else if name.ends_with("-urls") {
                ValueHint::Url
            } else {
                ValueHint::Other
            };
            a = a
                .action(ArgAction::Set)
                .value_name("value")
                .value_hint(hint);
            match default {
                Some(d) => a.default_value(d),
                None => a,
            }
        }
    }
}

#[allow(dead_code)] // `docs_fresh` includes this file as a module.
fn main() -> std::process::ExitCode {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the workspace");
    match write_all(root) {
        Ok(written) => {
            println!(
                "wrote {} files under {}",
                written.len(),
                DIRS.map(|d| format!("{d}/")).join(" and ")
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("gen-docs: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

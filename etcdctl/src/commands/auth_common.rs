//! What the `user`, `role` and `auth` groups share: their client, argument
//! checks, error texts and the password prompt, as the reference has them.

use std::io::Write;

use etcd_client::{Client, Error};

use crate::cli::Matches;
use crate::context::Ctx;
use crate::error::{Exit, EXIT_BAD_ARGS};

/// The client, built and synced as for every command; with `--debug` the
/// reference prints `Cluster-Endpoints:` a second time for these groups.
pub async fn client(ctx: &mut Ctx) -> Result<Client, Exit> {
    let client = ctx.client().await?;
    if ctx.global.debug {
        let eps = client.endpoints().join(", ");
        let _ = writeln!(ctx.err(), "Cluster-Endpoints: {eps}");
    }
    Ok(client)
}

/// Prints `message` as a bare stderr line and returns exit 1.
pub fn fail(ctx: &mut Ctx, message: &dyn std::fmt::Display) -> Exit {
    ctx.fail_plain(EXIT_BAD_ARGS, message)
}

/// The text the reference prints for a failed auth request: the server's
/// `message`, or the client error itself.
pub fn error_text(e: &Error) -> String {
    match e {
        Error::Http { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// `No arguments accepted` (exit 1) when positional arguments were given.
pub fn no_args(ctx: &mut Ctx, m: &Matches) -> Result<(), Exit> {
    if m.args.is_empty() {
        Ok(())
    } else {
        Err(fail(ctx, &"No arguments accepted"))
    }
}

/// The single positional argument, or `usage` on stderr (exit 1).
pub fn one_name(ctx: &mut Ctx, m: &Matches, usage: &str) -> Result<String, Exit> {
    match m.args.as_slice() {
        [name] => Ok(name.clone()),
        _ => Err(fail(ctx, &usage)),
    }
}

/// Asks for a password as the reference's `speakeasy.Ask` does: the prompt on
/// stdout, one line read from stdin (without echo on a terminal; an empty
/// stdin gives an empty password), then a newline on stdout.
pub fn ask_password(ctx: &mut Ctx, prompt: &str) -> Result<String, Exit> {
    match ctx.read_password(prompt) {
        Ok(p) => Ok(p),
        Err(e) => Err(fail(ctx, &format!("Error reading password: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_paths_are_made_canonical_like_the_reference() {
        for (input, want) in [
            ("", "/"),
            ("foo", "/foo"),
            ("/foo/", "/foo/"),
            ("foo//bar", "/foo/bar"),
            ("/a/./b/../c/", "/a/c/"),
            ("/", "/"),
            ("//", "/"),
            ("/foo/*", "/foo/*"),
        ] {
            assert_eq!(etcd_client::canonical_path(input), want, "{input:?}");
        }
    }

    #[test]
    fn passwords_are_read_up_to_the_newline() {
        let (io, out, _err) = crate::io::Io::captured("s3cret\r\nrest");
        let global =
            crate::cli::global::Global::resolve(&crate::cli::Matches::default(), &|_: &str| {
                None::<String>
            });
        let mut ctx = Ctx::new(io, global);
        assert_eq!(ask_password(&mut ctx, "New password: ").unwrap(), "s3cret");
        assert_eq!(out.text(), "New password: \n");
        // The rest of stdin is left alone; an empty stdin gives an empty password.
        assert_eq!(ask_password(&mut ctx, "P: ").unwrap(), "rest");
        assert_eq!(ask_password(&mut ctx, "P: ").unwrap(), "");
    }
}

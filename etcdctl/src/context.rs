//! What a command runs with: the streams, the global settings, and the client
//! built and synced the way the reference's `mustNewClient` does.

use std::io::{Read, Write};
use std::time::Duration;

use etcd_client::{Client, Error};

use crate::cli::global::Global;
use crate::endpoints;
use crate::error::{
    is_connection_error, report_client, Exit, EXIT_BAD_ARGS, EXIT_BAD_CONNECTION, EXIT_SERVER_ERROR,
};
use crate::io::{Io, Output};
use crate::output::Format;

/// A per-request timeout of zero means "none" in the reference.
const NO_TIMEOUT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// The state of one run.
pub struct Ctx {
    /// The standard streams.
    pub io: Io,
    /// Global settings.
    pub global: Global,
    /// The `-o` format.
    pub format: Format,
}

impl std::fmt::Debug for Ctx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("global", &self.global)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl Ctx {
    /// A context for `global` over `io`.
    pub fn new(io: Io, global: Global) -> Ctx {
        let format = Format::parse(&global.output);
        Ctx { io, global, format }
    }

    /// Standard output.
    pub fn out(&mut self) -> &mut Output {
        &mut self.io.stdout
    }

    /// Standard error.
    pub fn err(&mut self) -> &mut Output {
        &mut self.io.stderr
    }

    /// Prints `Error:  <e>` (and a cluster error's detail) and returns `code`.
    pub fn fail(&mut self, code: i32, e: &Error) -> Exit {
        report_client(&mut self.io.stderr, code, e)
    }

    /// Prints a bare message line on stderr and returns `code` (the reference's
    /// style for member/user/role/auth failures and setup errors).
    pub fn fail_plain(&mut self, code: i32, message: &dyn std::fmt::Display) -> Exit {
        let _ = writeln!(self.io.stderr, "{message}");
        Exit(code)
    }

    /// Reads all of stdin (values given through a pipe).
    pub fn read_stdin(&mut self) -> String {
        let mut buf = Vec::new();
        let _ = self.io.stdin.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    }

    /// Prints `prompt` on stdout and reads one line from stdin (without echo on
    /// a terminal; byte by byte otherwise, so nothing after the line is
    /// consumed), then ends the prompt's line, as the reference does.
    pub fn read_password(&mut self, prompt: &str) -> std::io::Result<String> {
        write!(self.io.stdout, "{prompt}")?;
        self.io.stdout.flush()?;
        let password = if self.io.stdin_tty {
            rpassword::read_password()?
        } else {
            let mut line = Vec::new();
            let mut byte = [0u8; 1];
            loop {
                match self.io.stdin.read(&mut byte) {
                    Ok(0) => break,
                    Ok(_) if byte[0] == b'\n' => break,
                    Ok(_) => line.push(byte[0]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            text.strip_suffix('\r').map(str::to_owned).unwrap_or(text)
        };
        writeln!(self.io.stdout)?;
        Ok(password)
    }

    /// Builds the client from the global settings and, unless `--no-sync`,
    /// syncs the endpoint list from the cluster. Failures are reported and
    /// returned as the exit code.
    pub async fn client(&mut self) -> Result<Client, Exit> {
        let client = self.build_client().await?;
        let debug = self.global.debug;
        if !self.global.no_sync {
            if debug {
                let eps = client.endpoints().join(",");
                let _ = writeln!(
                    self.io.stderr,
                    "start to sync cluster using endpoints({eps})"
                );
            }
            match client.sync().await {
                Ok(_) => {}
                Err(Error::NoEndpoints) => {
                    let eps = client.endpoints().join(",");
                    let _ = writeln!(
                        self.io.stderr,
                        "etcd cluster has no published client endpoints."
                    );
                    let _ = writeln!(
                        self.io.stderr,
                        "Try '--no-sync' if you want to access non-published client endpoints({eps})."
                    );
                    return Err(self.fail(EXIT_SERVER_ERROR, &Error::NoEndpoints));
                }
                Err(e) if is_connection_error(&e) => {
                    return Err(self.fail(EXIT_BAD_CONNECTION, &e));
                }
                // Other failures (a header timeout, a non-etcd answer) are
                // ignored: the command goes on with the given endpoints.
                Err(_) => {}
            }
            if debug {
                let eps = client.endpoints().join(",");
                let _ = writeln!(self.io.stderr, "got endpoints({eps}) after sync");
            }
        }
        if debug {
            let eps = client.endpoints().join(", ");
            let _ = writeln!(self.io.stderr, "Cluster-Endpoints: {eps}");
        }
        Ok(client)
    }

    async fn build_client(&mut self) -> Result<Client, Exit> {
        let g = self.global.clone();
        let raw = match &g.discovery_srv {
            Some(domain) => match endpoints::discover(domain, g.insecure_discovery).await {
                Ok(found) => {
                    for ep in &found.ignored {
                        let _ = writeln!(
                            self.io.stderr,
                            "ignoring discovered insecure endpoint {}",
                            go_quote(ep)
                        );
                    }
                    if found.endpoints.is_empty() {
                        g.endpoints.clone()
                    } else {
                        found.endpoints
                    }
                }
                Err(e) => return Err(self.fail_plain(EXIT_BAD_ARGS, &e)),
            },
            None => g.endpoints.clone(),
        };
        let mut eps = Vec::with_capacity(raw.len());
        for ep in &raw {
            match endpoints::normalize(ep) {
                Ok(u) => eps.push(u),
                Err(e) => return Err(self.fail_plain(EXIT_BAD_ARGS, &e)),
            }
        }
        let mut b = Client::builder()
            .endpoints(eps)
            .request_timeout(if g.timeout.is_zero() {
                NO_TIMEOUT
            } else {
                g.timeout
            })
            .total_timeout(g.total_timeout);
        if let Err(e) = endpoints::check_tls_files(&g) {
            return Err(self.fail_plain(EXIT_BAD_ARGS, &e));
        }
        if let Some(ca) = &g.ca_file {
            b = b.ca_file(ca);
        }
        if let (Some(cert), Some(key)) = (&g.cert_file, &g.key_file) {
            b = b.client_cert_files(cert, key);
        }
        if let Some(flag) = &g.username {
            let (user, password) = match flag.split_once(':') {
                Some((u, p)) => (u.to_owned(), p.to_owned()),
                None => match self.read_password("Password: ") {
                    Ok(p) => (flag.clone(), p),
                    Err(e) => return Err(self.fail_plain(EXIT_BAD_ARGS, &e)),
                },
            };
            b = b.basic_auth(user, password);
        }
        if g.debug {
            let err = self.io.stderr.clone();
            b = b.on_request(move |r| {
                let mut line = format!("cURL Command: curl -X {} {}", r.method, r.url);
                if let Some(body) = r.body {
                    line.push_str(" -d ");
                    line.push_str(&go_quote(&String::from_utf8_lossy(body)));
                }
                let _ = writeln!(err.clone(), "{line}");
            });
        }
        b.build().map_err(|e| self.fail_plain(EXIT_BAD_ARGS, &e))
    }
}

pub use etcd_client::gofmt::go_quote;

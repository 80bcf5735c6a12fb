//! The streams a run reads and writes, shareable so the request hook can print
//! to stderr in order with everything else; in-process tests capture them.

use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

/// A cloneable, thread-safe output stream.
#[derive(Clone)]
pub struct Output {
    inner: Arc<Mutex<Box<dyn Write + Send>>>,
    tty: bool,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output").field("tty", &self.tty).finish()
    }
}

impl Output {
    /// Wraps a writer; `tty` says whether it is a terminal.
    pub fn new(w: impl Write + Send + 'static, tty: bool) -> Output {
        Output {
            inner: Arc::new(Mutex::new(Box::new(w))),
            tty,
        }
    }

    /// Whether this stream is a terminal.
    pub fn is_tty(&self) -> bool {
        self.tty
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut w = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        w.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}

/// A byte buffer to capture an [`Output`] in tests.
#[derive(Clone, Default, Debug)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The three standard streams of one run.
pub struct Io {
    /// Standard input (values, passwords).
    pub stdin: Box<dyn Read + Send>,
    /// Whether stdin is a terminal (password prompts then turn echo off).
    pub stdin_tty: bool,
    /// Standard output.
    pub stdout: Output,
    /// Standard error.
    pub stderr: Output,
}

impl std::fmt::Debug for Io {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Io")
            .field("stdin_tty", &self.stdin_tty)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish_non_exhaustive()
    }
}

impl Io {
    /// The process's own streams.
    pub fn process() -> Io {
        use std::io::IsTerminal;
        Io {
            stdin_tty: io::stdin().is_terminal(),
            stdin: Box::new(io::stdin()),
            stdout: Output::new(io::stdout(), io::stdout().is_terminal()),
            stderr: Output::new(io::stderr(), io::stderr().is_terminal()),
        }
    }

    /// Streams for an in-process run: `stdin` as given, outputs captured.
    pub fn captured(stdin: impl Into<Vec<u8>>) -> (Io, Captured, Captured) {
        let out = Captured::default();
        let err = Captured::default();
        let io = Io {
            stdin: Box::new(io::Cursor::new(stdin.into())),
            stdin_tty: false,
            stdout: Output::new(out.clone(), false),
            stderr: Output::new(err.clone(), false),
        };
        (io, out, err)
    }
}

//! Running an external reader (Tesseract, Poppler) on hostile input.
//!
//! A reader is a separate process so that whatever a crafted file does to
//! it — a stack overflow, an endless loop, a runaway allocation — ends that
//! process and not ours. Each run gets a wall-clock deadline, an address-
//! space cap (through util-linux's `prlimit`, so that no `unsafe` pre-exec
//! hook is needed here), a cap on what it may print, and both of its
//! output pipes drained at once: a reader that fills an undrained stderr
//! pipe would block until the deadline.

use std::ffi::OsStr;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::{Limits, OcrError};

/// An external program and the Debian package that installs it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    pub name: &'static str,
    pub package: &'static str,
}

pub const TESSERACT: Tool = Tool {
    name: "tesseract",
    package: "tesseract-ocr tesseract-ocr-eng",
};
pub const PDFTOPPM: Tool = Tool {
    name: "pdftoppm",
    package: "poppler-utils",
};
pub const PDFTOTEXT: Tool = Tool {
    name: "pdftotext",
    package: "poppler-utils",
};

/// How much of a reader's standard error is kept for the error message.
const STDERR_TAIL: usize = 4096;

impl Tool {
    /// Where the program is on `PATH`.
    pub fn path(self) -> Result<PathBuf, OcrError> {
        find_on_path(self.name).ok_or(OcrError::Missing {
            tool: self.name,
            package: self.package,
        })
    }

    /// Run the tool with `args` until it exits or `deadline` passes; its
    /// standard output. Fails if it exits unsuccessfully (with the last
    /// line it wrote to standard error), prints more than
    /// `limits.max_output_bytes`, or runs out of time.
    pub fn run(
        self,
        args: &[&OsStr],
        deadline: Instant,
        limits: &Limits,
    ) -> Result<Vec<u8>, OcrError> {
        let exe = self.path()?;
        let mut command = match find_on_path("prlimit") {
            // The address-space cap applies to the reader alone.
            Some(prlimit) => {
                let mut c = Command::new(prlimit);
                c.arg(format!("--as={}", limits.max_memory_bytes))
                    .arg("--")
                    .arg(&exe);
                c
            }
            None => Command::new(&exe),
        };
        let mut child = command
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("OMP_THREAD_LIMIT", "1")
            .spawn()?;
        let max_output = limits.max_output_bytes;
        let over = Arc::new(AtomicBool::new(false));
        let stdout = child.stdout.take().map(|out| {
            let over = Arc::clone(&over);
            std::thread::spawn(move || -> Vec<u8> {
                let mut buf = Vec::new();
                let _ = out.take(max_output as u64 + 1).read_to_end(&mut buf);
                if buf.len() > max_output {
                    over.store(true, Ordering::Relaxed);
                }
                buf
            })
        });
        let stderr = child
            .stderr
            .take()
            .map(|err| std::thread::spawn(move || -> Vec<u8> { tail(err, STDERR_TAIL) }));
        let waited = wait(&mut child, deadline, &over);
        // The child has exited or been killed: its pipes are closed and
        // the readers end.
        let out = join(stdout).unwrap_or_default();
        let err = join(stderr).unwrap_or_default();
        let status = match waited {
            Ok(_) if out.len() > max_output => Err(Waited::TooMuchOutput),
            other => other,
        };
        let status = match status {
            Ok(status) => status,
            Err(Waited::Timeout) => {
                return Err(OcrError::Timeout {
                    tool: self.name,
                    seconds: limits.timeout.as_secs(),
                })
            }
            Err(Waited::Io(e)) => return Err(OcrError::Io(e)),
            Err(Waited::TooMuchOutput) => {
                return Err(OcrError::Failed {
                    tool: self.name,
                    message: format!("it printed more than {max_output} bytes"),
                })
            }
        };
        if !status.success() {
            let err = String::from_utf8_lossy(&err);
            let message = err
                .lines()
                .rev()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("it failed")
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            return Err(OcrError::Failed {
                tool: self.name,
                message,
            });
        }
        Ok(out)
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

enum Waited {
    Timeout,
    TooMuchOutput,
    Io(std::io::Error),
}

/// Wait for the child until the deadline; kill it when the deadline
/// passes, or as soon as its output goes over the cap.
fn wait(
    child: &mut Child,
    deadline: Instant,
    over: &AtomicBool,
) -> Result<std::process::ExitStatus, Waited> {
    loop {
        let stop = match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if over.load(Ordering::Relaxed) => Waited::TooMuchOutput,
            Ok(None) if Instant::now() >= deadline => Waited::Timeout,
            Ok(None) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            Err(e) => Waited::Io(e),
        };
        let _ = child.kill();
        let _ = child.wait();
        return Err(stop);
    }
}

fn join<T: Default>(handle: Option<JoinHandle<T>>) -> Option<T> {
    handle.and_then(|h| h.join().ok())
}

/// Read `r` to its end, keeping only the last `keep` bytes.
fn tail(mut r: impl Read, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => return kept,
            Ok(n) => {
                kept.extend_from_slice(&buf[..n]);
                if kept.len() > 2 * keep {
                    kept.drain(..kept.len() - keep);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tool = Tool {
        name: "sh",
        package: "dash",
    };

    fn limits() -> Limits {
        Limits {
            timeout: Duration::from_secs(20),
            ..Limits::default()
        }
    }

    #[test]
    fn a_reader_that_floods_stderr_still_finishes() {
        // 1 MB to stderr: more than a pipe holds, so an undrained stderr
        // would block the reader until the deadline.
        let started = Instant::now();
        let out = SH
            .run(
                &[
                    "-c".as_ref(),
                    "head -c 1000000 /dev/zero >&2; echo done".as_ref(),
                ],
                Instant::now() + Duration::from_secs(20),
                &limits(),
            )
            .unwrap();
        assert_eq!(out, b"done\n");
        assert!(started.elapsed() < Duration::from_secs(15));
    }

    #[test]
    fn a_failing_reader_reports_its_last_stderr_line_without_control_characters() {
        let e = SH
            .run(
                &[
                    "-c".as_ref(),
                    "printf 'one\\ntwo\\033[31m\\n' >&2; exit 3".as_ref(),
                ],
                Instant::now() + Duration::from_secs(20),
                &limits(),
            )
            .unwrap_err();
        assert_eq!(e.to_string(), "sh could not read the file: two[31m");
    }

    #[test]
    fn output_over_the_cap_is_refused() {
        let small = Limits {
            max_output_bytes: 1000,
            ..limits()
        };
        let e = SH
            .run(
                &["-c".as_ref(), "head -c 100000 /dev/zero".as_ref()],
                Instant::now() + Duration::from_secs(20),
                &small,
            )
            .unwrap_err();
        assert!(e.to_string().contains("more than 1000 bytes"), "{e}");
    }

    #[test]
    fn memory_is_capped() {
        if find_on_path("prlimit").is_none() {
            eprintln!("SKIPPED: prlimit not installed");
            return;
        }
        let small = Limits {
            max_memory_bytes: 64 << 20,
            ..limits()
        };
        // Python is on every machine this runs on; it tries to take 1 GB.
        let py = Tool {
            name: "python3",
            package: "python3",
        };
        if py.path().is_err() {
            eprintln!("SKIPPED: python3 not installed");
            return;
        }
        let e = py
            .run(
                &["-c".as_ref(), "x = bytearray(1 << 30)".as_ref()],
                Instant::now() + Duration::from_secs(20),
                &small,
            )
            .unwrap_err();
        assert!(e.to_string().contains("MemoryError"), "{e}");
    }
}

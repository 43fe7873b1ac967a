//! The crates.io index, reached the way cargo reaches it: one file of JSON
//! lines per crate over the sparse HTTP protocol, and cargo's own copy of
//! those files under `$CARGO_HOME/registry/index/`.
//!
//! `cargo info` used to answer registry questions, but its output is text
//! for people and changes between releases. The index is the registry's
//! stable, documented interface: every published version with its yanked
//! flag, features, `links` and `rust-version`. This module only moves bytes
//! (one conditional GET per crate file, one read of cargo's cache); what the
//! entries mean is decided in `registry.rs`, which is handed these functions
//! as closures so it can be tested on recorded entries.
//!
//! Cargo's cache is read, never written: cargo locks it while it works, and
//! snipcheck writes nothing outside its sandbox.

use std::path::PathBuf;
use std::time::Duration;

use crates_index::{Crate, HashKind, SparseIndex};

/// The crates.io sparse index, as cargo names it.
pub const CRATES_IO: &str = crates_index::sparse::URL;

/// The largest index file read (web-sys's is about 5 MB).
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// The validators of a copy already at hand, sent so the server can answer
/// "not modified" instead of the whole file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What the index answered for one crate file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The whole file, with the validators to send next time.
    Entry {
        body: Vec<u8>,
        validators: Validators,
    },
    /// The copy whose validators were sent is still current.
    NotModified,
    /// The index has no file of that name (404, 410 or 451).
    Missing,
    /// No answer: the network, the server or the body failed. The text says why.
    Failed(String),
}

/// The index over HTTP and cargo's local copy of it.
#[derive(Debug)]
pub struct CratesIo {
    agent: ureq::Agent,
    urls: SparseIndex,
    /// Cargo's cache folders: the one of cargo 1.85 and later, then the older one.
    cargo_caches: Vec<SparseIndex>,
}

impl CratesIo {
    /// The crates.io index, each request bounded by `timeout`; cargo's cache
    /// is looked for under `CARGO_HOME` (else `~/.cargo`).
    pub fn new(timeout: Duration) -> CratesIo {
        CratesIo::at(CRATES_IO, timeout)
    }

    /// A sparse index at `url` (`sparse+https://...`).
    fn at(url: &str, timeout: Duration) -> CratesIo {
        // The machine's trust store, as cargo's own requests use it: a
        // proxy's certificate installed there is trusted, Mozilla's list alone
        // would refuse it.
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        // Cargo's own proxy setting first (`CARGO_HTTP_PROXY`, what the
        // builds' cargo uses), else the usual `HTTPS_PROXY` and its kin.
        let proxy = std::env::var("CARGO_HTTP_PROXY")
            .ok()
            .filter(|url| !url.is_empty())
            .and_then(|url| ureq::Proxy::new(&url).ok())
            .or_else(ureq::Proxy::try_from_env);
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .proxy(proxy)
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("snipcheck/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let cargo_caches = cargo_home()
            .map(|home| {
                [HashKind::Stable, HashKind::Legacy]
                    .iter()
                    .filter_map(|kind| {
                        SparseIndex::with_path_and_hash_kind(&home, CRATES_IO, kind).ok()
                    })
                    .collect()
            })
            .unwrap_or_default();
        CratesIo {
            agent,
            urls: SparseIndex::at_path(PathBuf::new(), url.to_owned()),
            cargo_caches,
        }
    }

    /// One GET of the index file of `name` (exactly that name), conditional
    /// on `known` when a copy is at hand.
    pub fn fetch(&self, name: &str, known: Option<&Validators>) -> Fetched {
        let Some(url) = self.urls.crate_url(name) else {
            return Fetched::Missing;
        };
        let mut request = self
            .agent
            .get(&url)
            .header("cargo-protocol", "version=1")
            .header("accept", "text/plain");
        if let Some(known) = known {
            if let Some(etag) = &known.etag {
                request = request.header("if-none-match", etag);
            } else if let Some(modified) = &known.last_modified {
                request = request.header("if-modified-since", modified);
            }
        }
        let response = match request.call() {
            Ok(response) => response,
            Err(error) => {
                return Fetched::Failed(format!("failed to fetch {url}: {}", explain(&error)));
            }
        };
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let validators = Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        };
        match status {
            200 => match response
                .into_body()
                .with_config()
                .limit(MAX_BODY)
                .read_to_vec()
            {
                Ok(body) => Fetched::Entry { body, validators },
                Err(error) => Fetched::Failed(format!("failed to read {url}: {}", explain(&error))),
            },
            304 => Fetched::NotModified,
            404 | 410 | 451 => Fetched::Missing,
            other => Fetched::Failed(format!("failed to fetch {url}: the index answered {other}")),
        }
    }

    /// The crate's entry in cargo's own copy of the index, when cargo has one.
    pub fn cargo_cached(&self, name: &str) -> Option<Crate> {
        self.cargo_caches
            .iter()
            .find_map(|index| index.crate_from_cache(name).ok())
    }
}

/// `CARGO_HOME`, else `.cargo` in the home folder.
fn cargo_home() -> Option<PathBuf> {
    match std::env::var_os("CARGO_HOME") {
        Some(home) if !home.is_empty() => Some(PathBuf::from(home)),
        _ => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")),
    }
}

/// A request's error as text: some of ureq's (an I/O error wrapping a TLS
/// one) display as nothing, so their structure is shown instead.
fn explain(error: &ureq::Error) -> String {
    let text = error.to_string();
    if text.trim().is_empty() {
        format!("{error:?}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// Serves one canned answer per connection on the loopback interface and
    /// hands back the request heads it read.
    fn serve(answers: Vec<String>) -> (String, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the loopback");
        let port = listener.local_addr().expect("address").port();
        let server = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for answer in answers {
                let Ok((stream, _)) = listener.accept() else {
                    break;
                };
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    head.push_str(&line);
                }
                heads.push(head.to_ascii_lowercase());
                let mut stream = reader.into_inner();
                let _ = stream.write_all(answer.as_bytes());
            }
            heads
        });
        (format!("sparse+http://127.0.0.1:{port}/"), server)
    }

    fn answer(status: &str, headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn answers_are_told_apart_and_validators_are_sent() {
        let line =
            r#"{"name":"rand","vers":"0.8.5","deps":[],"cksum":"00","features":{},"yanked":false}"#;
        let (url, server) = serve(vec![
            answer("200 OK", "etag: \"abc\"\r\n", line),
            answer("304 Not Modified", "", ""),
            answer("404 Not Found", "", ""),
            answer("503 Service Unavailable", "", "busy"),
        ]);
        let index = CratesIo::at(&url, Duration::from_secs(10));
        let Fetched::Entry { body, validators } = index.fetch("rand", None) else {
            panic!("expected the entry");
        };
        assert_eq!(body, line.as_bytes());
        assert_eq!(validators.etag.as_deref(), Some("\"abc\""));
        let known = Validators {
            etag: Some("\"abc\"".to_owned()),
            last_modified: None,
        };
        assert_eq!(index.fetch("rand", Some(&known)), Fetched::NotModified);
        assert_eq!(index.fetch("no-such", None), Fetched::Missing);
        let Fetched::Failed(reason) = index.fetch("rand", None) else {
            panic!("expected a failure");
        };
        assert!(reason.contains("503"), "{reason}");
        let heads = server.join().expect("the server ends");
        assert!(heads[0].starts_with("get /ra/nd/rand "), "{heads:?}");
        assert!(!heads[0].contains("if-none-match"), "{heads:?}");
        assert!(heads[1].contains("if-none-match: \"abc\""), "{heads:?}");
        assert!(heads[2].starts_with("get /no/-s/no-such "), "{heads:?}");
    }

    #[test]
    fn a_server_that_is_not_there_is_a_failure() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the loopback");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let index = CratesIo::at(
            &format!("sparse+http://127.0.0.1:{port}/"),
            Duration::from_secs(5),
        );
        assert!(
            matches!(index.fetch("rand", None), Fetched::Failed(reason) if reason.contains("127.0.0.1"))
        );
    }
}

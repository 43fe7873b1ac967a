//! A corpus of broken and hostile documents, generated here (binary files do
//! not belong in the repository), each with the message or status it must get.

use std::fs;

use snipcheck::report::{Cause, Status};

use crate::support::{root, row, snipcheck, snipcheck_with_env};

#[test]
fn every_bad_input_gets_its_message_or_status() {
    // Outside the repository: the sandbox's `.gitignore` would hide a folder
    // inside it from the walk, as it should.
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let dir = tmp.path().join("corpus");
    fs::create_dir_all(&dir).expect("create");
    let write = |name: &str, bytes: &[u8]| fs::write(dir.join(name), bytes).expect("write");

    write("binary.md", &[0x00, 0xff, 0xfe, 0x13, 0x80, 0x00, 0x41]);
    write(
        "bom.md",
        "\u{feff}# BOM\n\n```rust\npub fn bom() {}\n```\n".as_bytes(),
    );
    write(
        "crlf.md",
        b"# CRLF\r\n\r\n```rust\r\npub fn crlf() {}\r\n```\r\n",
    );
    write("lone-cr.md", b"# CR\r\r```rust\rpub fn cr() {}\r```\r");
    let many: String = (0..10_000)
        .map(|i| format!("```rust,ignore\nlet x{i} = {i};\n```\n\n"))
        .collect();
    write("many.md", many.as_bytes());
    let long_line = format!(
        "{}\n\n```rust\npub fn after_a_long_line() {{}}\n```\n",
        "x".repeat(1024 * 1024)
    );
    write("long-line.md", long_line.as_bytes());
    write("unterminated.md", b"# Open\n\n```rust\npub fn open() {}\n");
    write(
        "html.md",
        b"<div>\n```rust\nthis is html, not a code block\n```\n</div>\n",
    );
    write(
        "nested.md",
        b"- outer\n\n  - inner\n\n    ```rust\n    pub fn nested() -> u8 {\n        1\n    }\n    ```\n",
    );
    write(
        "unicode.md",
        "# Zero\u{200b}width and \u{5e2}\u{5d1}\u{5e8}\u{5d9}\u{5ea}\n\n```rust\n// \u{200b} in a comment is fine\npub fn zero() {}\n```\n\n```rust\npub const S: &str = \"\u{202e}reversed\";\n```\n"
            .as_bytes(),
    );
    write("empty-block.md", b"```rust\n```\n");

    let dir_arg = dir.to_string_lossy().into_owned();
    let run = snipcheck(
        "corpus",
        &[
            "--specs",
            &dir_arg,
            "--toolchain",
            "stable",
            "--no-diagnose",
            "--format",
            "json",
        ],
    );
    // The binary file is an input problem: exit 2, and everything else is reported.
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report = run.report();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.message.contains("binary.md") && p.message.contains("not UTF-8"))
    );
    assert_eq!(row(&report, "bom.md", 3).status, Status::Pass);
    assert_eq!(row(&report, "crlf.md", 3).status, Status::Pass);
    assert_eq!(row(&report, "lone-cr.md", 3).status, Status::Pass);
    let many: Vec<_> = report
        .snippets
        .iter()
        .filter(|s| s.file.ends_with("many.md"))
        .collect();
    assert_eq!(many.len(), 10_000);
    assert!(many.iter().all(|s| s.status == Status::Skip));
    assert_eq!(row(&report, "long-line.md", 3).status, Status::Pass);
    let open = row(&report, "unterminated.md", 3);
    assert_eq!(open.status, Status::Pass);
    assert!(
        open.problems.iter().any(|p| p.contains("never closed")),
        "{open:?}"
    );
    assert!(
        report.snippets.iter().all(|s| !s.file.ends_with("html.md")),
        "a fence inside HTML is no block"
    );
    let nested = row(&report, "nested.md", 5);
    assert_eq!(nested.status, Status::Pass, "{nested:?}");
    assert_eq!(row(&report, "unicode.md", 3).status, Status::Pass);
    // rustc denies a bidirectional override in a literal: a real failure, at its line.
    let reversed = row(&report, "unicode.md", 8);
    assert_eq!(
        (reversed.status, reversed.cause),
        (Status::Fail, Some(Cause::Compile)),
        "{reversed:?}"
    );
    assert_eq!(reversed.diagnostics[0].line, 9);
    assert_eq!(row(&report, "empty-block.md", 1).status, Status::Pass);
}

#[test]
fn without_network_each_example_that_needs_the_registry_says_so() {
    let tmp = tempfile::tempdir().expect("a temporary folder");
    let doc = tmp.path().join("doc.md");
    fs::write(
        &doc,
        "# No network\n\n```rust\nfn main() {\n    let mut b = itoa::Buffer::new();\n    println!(\"{}\", b.format(1));\n}\n```\n\n```rust\npub fn std_only() -> u8 {\n    1\n}\n```\n",
    )
    .expect("write");
    let doc_arg = doc.to_string_lossy().into_owned();
    let args = [
        "--specs",
        doc_arg.as_str(),
        "--toolchain",
        "stable",
        "--no-diagnose",
        "--format",
        "json",
    ];
    // A fresh sandbox: no registry answers cached from earlier runs; and an
    // empty cargo home: no copy of the index cargo keeps, which snipcheck
    // reads when the network fails.
    let _ = fs::remove_dir_all(root().join("sandbox/it-no-network"));
    let cargo_home = tmp.path().join("cargo-home");
    fs::create_dir_all(&cargo_home).expect("create the cargo home");
    let cargo_home = cargo_home.to_string_lossy().into_owned();
    // A proxy nobody listens on: every registry request fails at once.
    let run = snipcheck_with_env(
        "no-network",
        &args,
        &[
            ("CARGO_HTTP_PROXY", "http://127.0.0.1:9"),
            ("CARGO_NET_RETRY", "0"),
            ("CARGO_HOME", cargo_home.as_str()),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    let needs_itoa = row(&report, "doc.md", 3);
    assert_eq!(
        (needs_itoa.status, needs_itoa.cause),
        (Status::Fail, Some(Cause::RegistryUnreachable)),
        "{needs_itoa:?}"
    );
    let diagnostic = &needs_itoa.diagnostics[0];
    assert!(
        diagnostic
            .message
            .contains("could not look up crate `itoa`"),
        "{diagnostic:?}"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (5, 17));
    assert_eq!(row(&report, "doc.md", 10).status, Status::Pass);

    // --offline, with a crate cargo never downloaded: the same status, and why.
    let _ = fs::remove_dir_all(root().join("sandbox/it-offline"));
    let offline = tmp.path().join("offline.md");
    fs::write(
        &offline,
        "```rust\nuse snipcheck_never_published_qz::Thing;\n```\n",
    )
    .expect("write");
    let offline_arg = offline.to_string_lossy().into_owned();
    let run = snipcheck(
        "offline",
        &[
            "--specs",
            offline_arg.as_str(),
            "--offline",
            "--toolchain",
            "stable",
            "--format",
            "json",
        ],
    );
    let row = row(&run.report(), "offline.md", 1).clone();
    assert_eq!(row.cause, Some(Cause::RegistryUnreachable), "{row:?}");
    assert!(row.diagnostics[0].message.contains("--offline"), "{row:?}");
}

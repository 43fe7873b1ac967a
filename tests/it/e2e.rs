//! The bundled specs and the real specs, built for real.

use snipcheck::report::{Cause, Status};

use crate::support::{assert_matches_schema, row, shared_specs, snipcheck};

/// What a careful maintainer gets by building each bundled example by hand on
/// stable with the newest crates (edition 2024 unless the fence says otherwise),
/// and the cause they find by trying the document's pins, edition 2021, nightly
/// with the feature gate, and stubs for the undefined names.
#[rustfmt::skip]
const BUNDLED: &[(&str, u32, Status, Option<Cause>)] = &[
    ("async-services.md", 19, Status::Pass, None),
    ("async-services.md", 48, Status::Pass, None),
    ("async-services.md", 65, Status::Pass, None),
    ("async-services.md", 82, Status::Skip, None),
    ("async-services.md", 90, Status::Skip, None),
    ("async-services.md", 100, Status::Fail, Some(Cause::DependencyDrift)),
    ("data-and-errors.md", 17, Status::Skip, None),
    ("data-and-errors.md", 26, Status::Skip, None),
    ("data-and-errors.md", 36, Status::Pass, None),
    ("data-and-errors.md", 59, Status::Skip, None),
    ("data-and-errors.md", 69, Status::Pass, None),
    ("data-and-errors.md", 97, Status::Skip, None),
    ("data-and-errors.md", 108, Status::Fail, Some(Cause::UnknownCrate)),
    ("rust-style-guide.md", 21, Status::Skip, None),
    ("rust-style-guide.md", 34, Status::Pass, None),
    ("rust-style-guide.md", 63, Status::Pass, None),
    ("rust-style-guide.md", 81, Status::Pass, None),
    ("rust-style-guide.md", 91, Status::Pass, None),
    ("rust-style-guide.md", 106, Status::Pass, None),
    ("rust-style-guide.md", 129, Status::Skip, None),
    ("rust-style-guide.md", 140, Status::Warn, Some(Cause::Lint)),
    ("rust-style-guide.md", 159, Status::Pass, None),
    ("rust-style-guide.md", 169, Status::Pass, None),
    ("rust-style-guide.md", 179, Status::Pass, None),
    ("rust-style-guide.md", 192, Status::Fail, Some(Cause::EditionDrift)),
    ("rust-style-guide.md", 206, Status::Pass, None),
    ("rust-style-guide.md", 223, Status::Fail, Some(Cause::NightlyFeature)),
    ("rust-style-guide.md", 240, Status::Fail, Some(Cause::Placeholder)),
    ("rust-style-guide.md", 247, Status::Skip, None),
    ("rust-style-guide.md", 257, Status::Fail, Some(Cause::Syntax)),
    ("rust-style-guide.md", 266, Status::Pass, None),
    ("rust-style-guide.md", 276, Status::Pass, None),
    ("rust-style-guide.md", 292, Status::Skip, None),
];

/// Causes proven error by error, on a document of ours with no dependencies:
/// a block that borrows another's definitions, one that lacks an import and
/// has a bug of its own, a module path without its `use`, a plain bug.
#[test]
fn causes_are_proven_error_by_error() {
    let run = snipcheck(
        "per-error",
        &[
            "--specs",
            "tests/fixtures/diagnosis/per-error.md",
            "--format",
            "json",
            "--toolchain",
            "stable",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    // The JSON of a run with evidence and diagnostics matches the published schema.
    assert_matches_schema(&run.stdout);
    let report = run.report();
    let got: Vec<(u32, Status, Option<Cause>, Vec<Cause>)> = report
        .snippets
        .iter()
        .map(|s| (s.line, s.status, s.cause, s.other_causes.clone()))
        .collect();
    assert_eq!(
        got,
        [
            (5, Status::Pass, None, vec![]),
            (17, Status::Fail, Some(Cause::NeedsContext), vec![]),
            (
                24,
                Status::Fail,
                Some(Cause::MissingImport),
                vec![Cause::CodeBug]
            ),
            (37, Status::Fail, Some(Cause::MissingImport), vec![]),
            (46, Status::Fail, Some(Cause::CodeBug), vec![]),
        ],
        "{:#?}",
        report.snippets
    );
    let context = row(&report, "per-error.md", 17);
    assert!(
        context
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("`Meters` (the block at line 5)")),
        "{context:?}"
    );
    let tagged = row(&report, "per-error.md", 24);
    let suggestion = tagged.suggestion.as_deref().unwrap_or_default();
    assert!(
        suggestion
            .starts_with("add `use std::marker::PhantomData;`, then fix the example: line 31:"),
        "{suggestion}"
    );
    // No variant says it failed without the errors that remained.
    for evidence in report.snippets.iter().flat_map(|s| &s.evidence) {
        assert!(
            evidence.passed || !evidence.remaining.is_empty() || evidence.not_built.is_some(),
            "{evidence:?}"
        );
    }
    let bug = row(&report, "per-error.md", 46);
    assert!(
        bug.suggestion
            .as_deref()
            .is_some_and(|s| s.starts_with("fix the example: line 47: mismatched types")),
        "{bug:?}"
    );
}

/// `tests/fixtures/host-needs.md` (written for this test): two examples whose
/// `-sys` crate needs ALSA's development files from the host, beside a plain
/// one and one with a dependency of its own. Where the host lacks them, the
/// two are not checked (`build-env`, naming the package that provides them),
/// never the examples' fault, and the others build as if they were not there;
/// where it has them, all pass.
#[test]
fn a_dependency_the_host_cannot_build_is_set_apart() {
    let run = snipcheck(
        "host-needs",
        &[
            "--specs",
            "tests/fixtures/host-needs.md",
            "--format",
            "json",
            "--toolchain",
            "stable",
        ],
    );
    let report = run.report();
    let has_alsa = std::process::Command::new("pkg-config")
        .args(["--exists", "alsa"])
        .status()
        .is_ok_and(|s| s.success());
    for line in [6, 33] {
        let alsa = row(&report, "host-needs.md", line);
        if has_alsa {
            assert_eq!(alsa.status, Status::Pass, "{alsa:?}");
            continue;
        }
        assert_eq!(
            (alsa.status, alsa.cause),
            (Status::Skip, Some(Cause::BuildEnv)),
            "{alsa:?}"
        );
        let reason = alsa.skip_reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains("`alsa-sys v") && reason.contains("`apt install libasound2-dev`"),
            "{reason}"
        );
    }
    for line in [15, 24] {
        let other = row(&report, "host-needs.md", line);
        assert_eq!(
            (other.status, other.cause),
            (Status::Pass, None),
            "{other:?}"
        );
    }
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// One block per wrapping rule and cause of `tests/fixtures/rules/rustdoc-rules.md`
/// (written for this test): what each must report on stable.
#[rustfmt::skip]
const RULES: &[(u32, Status, Option<Cause>, &str)] = &[
    // `?` at the top level: main returns a `Result`.
    (10, Status::Pass, None, ""),
    // rustdoc's trailing `Ok::<(), E>(())`.
    (19, Status::Pass, None, ""),
    // A crate attribute after other code, hoisted.
    (29, Status::Pass, None, ""),
    // `#[macro_use] extern crate` among statements, hoisted.
    (43, Status::Pass, None, ""),
    (54, Status::Fail, Some(Cause::Syntax), "a method outside its `impl` block"),
    (64, Status::Fail, Some(Cause::Syntax), "the example leaves code out with `...`"),
    (74, Status::Fail, Some(Cause::BuildEnv), "`SNIPCHECK_FIXTURE_UNSET_TOKEN`"),
];

#[test]
fn rustdoc_rules_and_the_causes_that_need_no_variant() {
    let run = snipcheck(
        "rules",
        &[
            "--specs",
            "tests/fixtures/rules/rustdoc-rules.md",
            "--toolchain",
            "stable",
            "--allow-outside-access",
            "--format",
            "json",
        ],
    );
    let report = run.report();
    for (line, status, cause, says) in RULES {
        let row = row(&report, "rustdoc-rules.md", *line);
        assert_eq!(
            (row.status, row.cause),
            (*status, *cause),
            "line {line}: {row:?}"
        );
        let suggestion = row.suggestion.as_deref().unwrap_or_default();
        assert!(suggestion.contains(says), "line {line}: {suggestion}");
        // Nothing was built to find these causes.
        assert!(row.evidence.is_empty(), "line {line}: {:?}", row.evidence);
    }
}

/// What a block needs from outside the document, on a document of ours
/// (`tests/fixtures/build-env/database.md`): sqlx's checked query needs a
/// database, `sqlx::migrate!` and `include_str!` read a folder and a file the
/// document does not give. Each is `build-env` naming what is missing as the
/// example wrote it, and no message carries the sandbox's path.
#[test]
fn what_a_block_needs_from_outside_the_document_is_build_env() {
    let run = snipcheck(
        "build-env",
        &[
            "--specs",
            "tests/fixtures/build-env/database.md",
            "--toolchain",
            "stable",
            "--allow-outside-access",
            "--format",
            "json",
        ],
    );
    let report = run.report();
    let expected: &[(u32, &str)] = &[
        // Where the sandbox lies under a folder with a `.cargo/config.toml`
        // (this repository), the confined build does not let sqlx's macro
        // run `cargo metadata`, and the macro panics instead.
        (13, "the example needs "),
        (
            24,
            "the example reads the folder `./migrations` at compile time",
        ),
        (
            38,
            "the example reads the file `../queries/monthly.sql` at compile time",
        ),
    ];
    for (line, says) in expected {
        let row = row(&report, "database.md", *line);
        assert_eq!(
            (row.status, row.cause),
            (Status::Fail, Some(Cause::BuildEnv)),
            "line {line}: {row:?}"
        );
        let suggestion = row.suggestion.as_deref().unwrap_or_default();
        assert!(suggestion.starts_with(says), "line {line}: {suggestion}");
        if *line == 13 {
            assert!(suggestion.contains("`DATABASE_URL`"), "{suggestion}");
        }
    }
    assert!(
        !run.stdout.contains("sandbox/it-build-env"),
        "a scratch path reached the report: {}",
        run.stdout
    );
}

fn nightly_installed() -> bool {
    snipcheck::executor::installed("nightly")
}

#[test]
fn bundled_specs_get_the_outcome_a_maintainer_gets_by_hand() {
    // The default toolchain matrix: stable, plus nightly where installed.
    // Nothing from the cache: the run below counts the builds it makes.
    let run = snipcheck(
        "bundled",
        &["--specs", "specs", "--format", "json", "--no-cache"],
    );
    assert_eq!(
        run.code, 1,
        "failing examples make exit code 1\n{}",
        run.stderr
    );
    let report = run.report();
    let nightly = nightly_installed();
    let expected_toolchains: &[&str] = if nightly {
        &["stable", "nightly"]
    } else {
        &["stable"]
    };
    let installed: Vec<&str> = report
        .toolchains
        .iter()
        .filter(|t| t.installed)
        .map(|t| t.name.as_str())
        .collect();
    assert_eq!(installed, expected_toolchains);
    let got: Vec<(String, u32, Status, Option<Cause>)> = report
        .snippets
        .iter()
        .filter(|s| s.toolchain.as_deref() != Some("nightly"))
        .map(|s| {
            let name = s.file.rsplit('/').next().unwrap_or_default().to_string();
            (name, s.line, s.status, s.cause)
        })
        .collect();
    let expected: Vec<(String, u32, Status, Option<Cause>)> = BUNDLED
        .iter()
        .map(|(f, l, s, c)| (f.to_string(), *l, *s, *c))
        .collect();
    assert_eq!(got, expected);

    // Diagnostics point at Markdown lines inside their blocks.
    let syntax = row(&report, "rust-style-guide.md", 257);
    assert_eq!(syntax.diagnostics.len(), 1);
    assert!(syntax.diagnostics[0].line > 257);
    let unknown = row(&report, "data-and-errors.md", 108);
    assert!(
        unknown.diagnostics[0]
            .message
            .contains("frobnicate_widgets_zz"),
        "{unknown:?}"
    );
    assert_eq!(unknown.diagnostics[0].line, 109);
    let lint = row(&report, "rust-style-guide.md", 140);
    assert_eq!(
        lint.diagnostics[0].code.as_deref(),
        Some("clippy::needless_return")
    );
    // Dependencies are inferred, with features and resolved versions.
    let tokio = row(&report, "async-services.md", 19)
        .dependencies
        .iter()
        .find(|d| d.name == "tokio")
        .expect("tokio is inferred");
    assert!(tokio.features.iter().any(|f| f == "macros"), "{tokio:?}");
    assert!(
        tokio
            .version
            .as_deref()
            .is_some_and(|v| v.starts_with("1.")),
        "{tokio:?}"
    );
    // Every row of a built block says which toolchain and rustc it is about.
    for row in report.snippets.iter().filter(|s| s.toolchain.is_some()) {
        assert!(
            row.rustc
                .as_deref()
                .is_some_and(|r| r.starts_with("rustc ")),
            "{row:?}"
        );
    }
    // The pinned axum 0.6 builds; the break is found at 0.7.0.
    let axum = row(&report, "async-services.md", 100)
        .dependencies
        .iter()
        .find(|d| d.name == "axum")
        .expect("axum is a dependency");
    assert_eq!(axum.pinned.as_deref(), Some("0.6"));
    assert!(
        axum.last_passing
            .as_deref()
            .is_some_and(|v| v.starts_with("0.6.")),
        "{axum:?}"
    );
    assert_eq!(axum.first_failing.as_deref(), Some("0.7.0"));
    let simd = row(&report, "rust-style-guide.md", 223);
    if nightly {
        // On nightly, the gated example builds: it needs nightly, nothing else.
        let on_nightly = report
            .snippets
            .iter()
            .find(|s| {
                s.line == 223
                    && s.file.ends_with("rust-style-guide.md")
                    && s.toolchain.as_deref() == Some("nightly")
            })
            .expect("a nightly row");
        assert_eq!(on_nightly.status, Status::Pass);
        assert!(
            simd.evidence
                .iter()
                .any(|e| e.toolchain == "nightly" && e.passed),
            "{simd:?}"
        );
    }
    let placeholder = row(&report, "rust-style-guide.md", 240);
    assert!(
        placeholder
            .suggestion
            .as_deref()
            .is_some_and(|s| s.contains("load_user")),
        "{placeholder:?}"
    );
    // One primary build per toolchain, then one per round of variants and toolchain.
    let primary_builds = expected_toolchains.len() as u32;
    assert!(
        report.cargo_invocations["build"] > primary_builds,
        "{:?}",
        report.cargo_invocations
    );
}

#[test]
#[ignore = "needs ../shared/specs"]
fn real_specs_every_block_and_the_known_failures() {
    let specs = shared_specs();
    let specs = specs.to_string_lossy();
    let run = snipcheck(
        "shared",
        &[
            "--specs",
            &specs,
            "--toolchain",
            "stable",
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.report();
    assert_eq!(report.totals.files, 5);
    assert_eq!(report.totals.blocks, 29);

    let fences = |name: &str| -> Vec<u32> {
        report
            .snippets
            .iter()
            .filter(|s| s.file.ends_with(name))
            .map(|s| s.line)
            .collect()
    };
    let translated = [81, 111, 131, 151, 190];
    assert_eq!(fences("000_a75a74a761c7bc3d.md"), Vec::<u32>::new());
    assert_eq!(fences("001_e06af5bd5f6d5d5e.md"), translated);
    assert_eq!(
        fences("002_55ffcd1bc7c312ff.md"),
        [90, 97, 104, 122, 147, 253, 262]
    );
    assert_eq!(
        fences("003_664bed07da0e0a87.md"),
        [18, 38, 56, 79, 111, 138, 169, 204, 224, 254, 271, 293]
    );
    assert_eq!(fences("004_a47905c838a01f7e.md"), translated);

    // Every Rust block has a built status (but the firmware, which needs a
    // bare-metal target); non-Rust blocks are recorded and skipped.
    for snippet in &report.snippets {
        let is_rust = snippet.lang.as_deref() == Some("rust");
        let firmware = snippet.cause == Some(Cause::TargetSpecific);
        assert_eq!(
            snippet.status == Status::Skip,
            !is_rust || firmware,
            "{snippet:?}"
        );
        // Every failure has a diagnosed cause.
        if snippet.status == Status::Fail {
            assert!(
                snippet.cause.is_some_and(|c| c != Cause::Compile),
                "{snippet:?}"
            );
            assert!(snippet.suggestion.is_some(), "{snippet:?}");
        }
    }
    assert_eq!(
        row(&report, "003_664bed07da0e0a87.md", 271).cause,
        Some(Cause::TargetSpecific)
    );

    // The axum 0.6 server fails on `axum::Server`, at its Markdown line.
    let axum = row(&report, "002_55ffcd1bc7c312ff.md", 122);
    assert_eq!(axum.status, Status::Fail);
    let server = axum
        .diagnostics
        .iter()
        .find(|d| d.message.contains("Server"))
        .expect("a diagnostic names axum::Server");
    assert_eq!((server.line, server.column), (132, 11));

    // The SIMD sample fails on the unstable `portable_simd` feature.
    let simd = row(&report, "003_664bed07da0e0a87.md", 111);
    assert_eq!(simd.status, Status::Fail);
    assert!(
        simd.diagnostics
            .iter()
            .any(|d| d.message.contains("portable_simd")),
        "{simd:?}"
    );

    // Examples that really compile pass (or only warn).
    assert_eq!(
        row(&report, "002_55ffcd1bc7c312ff.md", 147).status,
        Status::Pass
    );
    assert_eq!(
        row(&report, "003_664bed07da0e0a87.md", 138).status,
        Status::Warn
    );

    // The two translations of one spec give the same statuses.
    let statuses = |name: &str| -> Vec<Status> {
        report
            .snippets
            .iter()
            .filter(|s| s.file.ends_with(name))
            .map(|s| s.status)
            .collect()
    };
    assert_eq!(
        statuses("001_e06af5bd5f6d5d5e.md"),
        statuses("004_a47905c838a01f7e.md")
    );
}

/// A crate's own README (`tests/fixtures/own-crate/`, a crate that is not
/// published): its examples build against the crate's working tree by path,
/// found from the workspace the README lies in, with no registry request;
/// an example calling what the crate lacks fails on the crate's own source.
/// `--crate` names the crate for a document outside it. Rows built with a
/// local crate are never cached: the second run builds them again.
#[test]
fn a_crate_s_own_readme_builds_against_its_working_tree() {
    let readme = "tests/fixtures/own-crate/README.md";
    let args = ["--toolchain", "stable", "--no-diagnose", "--format", "json"];
    let run = snipcheck("own-crate", &[&["--specs", readme], &args[..]].concat());
    let report = run.report();
    for line in [5, 13] {
        let row = row(&report, "own-crate/README.md", line);
        assert_eq!(
            row.status,
            Status::Pass,
            "line {line}: {row:?}\n{}",
            run.stderr
        );
        let dependency = &row.dependencies[0];
        assert_eq!(
            (
                dependency.package.as_str(),
                dependency.source.as_deref(),
                dependency.version.as_deref(),
                dependency.latest.as_deref()
            ),
            (
                "snipcheck-fixture-own-crate",
                Some("path"),
                Some("0.3.1"),
                None
            ),
            "line {line}: {row:?}"
        );
    }
    let missing = row(&report, "own-crate/README.md", 21);
    assert_eq!(missing.status, Status::Fail, "{missing:?}");
    assert!(
        missing
            .diagnostics
            .iter()
            .any(|d| d.message.contains("farewell")),
        "{missing:?}"
    );
    assert_eq!(
        report
            .cargo_invocations
            .get("registry")
            .copied()
            .unwrap_or(0),
        0
    );
    // The rows name no folder of the machine (the confinement's note does).
    let rows = serde_json::to_string(&report.snippets).expect("serializes");
    let here = crate::support::root().display().to_string();
    assert!(
        !rows.contains(&here),
        "a machine path reached a row: {rows}"
    );

    let guide = "tests/fixtures/own-crate-guide.md";
    let crate_dir = "tests/fixtures/own-crate";
    let run = snipcheck(
        "own-crate",
        &[
            &["--specs", readme, "--specs", guide, "--crate", crate_dir],
            &args[..],
        ]
        .concat(),
    );
    let report = run.report();
    let row_of_guide = row(&report, "own-crate-guide.md", 5);
    assert_eq!(
        row_of_guide.status,
        Status::Pass,
        "{row_of_guide:?}\n{}",
        run.stderr
    );
    assert_eq!(row_of_guide.dependencies[0].source.as_deref(), Some("path"));
    let again = row(&report, "own-crate/README.md", 5);
    assert_eq!(
        (again.status, again.cached),
        (Status::Pass, false),
        "{again:?}"
    );
}

/// A local crate's workspace is readable by builds, but never its `.git`
/// (where a token in a remote URL lives): the crate's own build script tries
/// to read `.git/config` and fails the build when it can. Confined, the
/// example passes; `--unconfined`, the same run fails, so the test can.
#[test]
fn builds_read_a_local_crate_but_not_its_git_folder() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let own = crate::support::root().join("tests/fixtures/own-crate");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("src")).expect("create");
    std::fs::create_dir_all(repo.join(".git")).expect("create");
    for file in ["Cargo.toml", "README.md", "src/lib.rs"] {
        std::fs::copy(own.join(file), repo.join(file)).expect("copy");
    }
    std::fs::write(
        repo.join(".git/config"),
        "url = https://token@example.com\n",
    )
    .expect("write");
    std::fs::write(
        repo.join("build.rs"),
        "fn main() {\n    let config = concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/.git/config\");\n    if std::fs::read(config).is_ok() {\n        panic!(\"the build script read .git/config\");\n    }\n}\n",
    )
    .expect("write");
    let readme = repo.join("README.md");
    let readme = readme.to_str().expect("UTF-8");
    let args = [
        "--only",
        &format!("{readme}:5"),
        "--toolchain",
        "stable",
        "--no-diagnose",
    ];
    if crate::support::can_confine() {
        let run = snipcheck(
            "own-crate-git",
            &[&args[..], &["--format", "json"]].concat(),
        );
        let report = run.report();
        let row = &report.snippets[0];
        assert_eq!(row.status, Status::Pass, "{row:?}\n{}", run.stderr);
    }
    let run = snipcheck(
        "own-crate-git",
        &[&args[..], &["--unconfined", "--format", "json"]].concat(),
    );
    let report = run.report();
    assert_ne!(
        report.snippets[0].status,
        Status::Pass,
        "{:?}",
        report.snippets[0]
    );
}

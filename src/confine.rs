//! Operating-system confinement of every process that compiles.
//!
//! Documents are untrusted: naming a crate runs its build script and proc
//! macros, and rustc evaluates whatever a snippet's constants ask. So every
//! cargo, rustc, clippy-driver and rustfmt process snipcheck starts runs
//! through a small confining parent: snipcheck itself, started again as
//! `snipcheck __confine POLICY -- PROGRAM ARGS...` ([`ENTRY`]). Being a fresh,
//! single-threaded process, it can confine itself with safe system calls
//! before it starts the program (no `pre_exec`, so no `unsafe`):
//!
//! 1. a memory cap (`RLIMIT_AS`) that every descendant inherits;
//! 0. it ends with snipcheck (`PR_SET_PDEATHSIG`), even a snipcheck killed
//!    outright;
//! 2. where the kernel allows unprivileged namespaces and the step needs no
//!    network: a user, network and PID namespace — no network device at all,
//!    and the namespace's first process is this program again as its init
//!    (`__confine --init`), which ends with the confining parent, so the
//!    kernel kills every process the build left behind (detached ones
//!    included) when the build ends, is stopped, or snipcheck is killed;
//! 3. a child subreaper, so that without a PID namespace orphans are still
//!    its children and are killed when the program ends;
//! 4. Landlock: read-only access to the system's programs and libraries,
//!    the toolchain and cargo's registry; read-write access only to the
//!    scratch workspace, its target dir and a private temporary folder; TCP
//!    bind and connect denied when the step needs no network; signals and
//!    abstract Unix sockets scoped to the build. Nothing else: no home
//!    folder, no checkout, no `/proc` of another process, no terminal;
//! 5. when the step needs no network, a seccomp filter that refuses to make
//!    Unix sockets: Landlock (before ABI 9) does not stop a connection to a
//!    socket by its path, through which a build could drive any daemon the
//!    user can reach (a container engine, an ssh agent, the session bus).
//!
//! The policy travels as JSON in the command line. [`probe`] runs the same
//! entry once at the start of a run to learn what this machine can do, and
//! [`Confinement::summary`] says it in every report.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::report::ConfinementSummary;

/// The hidden first argument that makes `snipcheck` the confining parent.
pub const ENTRY: &str = "__confine";

/// Exit status of the confining parent when it could not confine (as `env`
/// and container runtimes use 125 for "the wrapper failed").
pub const SETUP_FAILED: i32 = 125;

/// Variables of the builds' environment a confined build goes without: a
/// rustc wrapper (sccache) reaches its server over a socket the build may
/// not open.
pub const DROPPED_ENV: &[&str] = &["RUSTC_WRAPPER", "CARGO_BUILD_RUSTC_WRAPPER"];

/// Test-only: confine as a machine without unprivileged namespaces would
/// (Landlock's TCP rules, the subreaper), to test that fallback here.
pub const NO_NAMESPACES_ENV: &str = "SNIPCHECK_TEST_NO_NAMESPACES";

/// The default memory cap of each compiler process, in MiB.
pub const DEFAULT_MEMORY_LIMIT_MIB: u64 = 4096;

/// What one confined process may do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// Readable (and executable) trees.
    pub read: Vec<PathBuf>,
    /// Readable and writable trees.
    pub write: Vec<PathBuf>,
    /// Whether the process may use the network (fetching crates, registry
    /// lookups: steps that run no dependency code).
    pub network: bool,
    /// Enter new user, network and PID namespaces (only when the probe found
    /// that the kernel allows them).
    pub namespaces: bool,
    /// `RLIMIT_AS` of the process and all its descendants, in bytes.
    pub memory_bytes: Option<u64>,
}

/// What a process needs beyond the system and the toolchain.
#[derive(Debug, Clone)]
pub enum Access<'a> {
    /// A build: the scratch workspace (cargo updates its lockfile) and its
    /// target dir, no network.
    Build {
        workspace: &'a Path,
        target: &'a Path,
    },
    /// `cargo metadata` or `cargo fetch`: writes the lockfile, downloads crates.
    Resolve { workspace: &'a Path },
    /// rustfmt reading its configuration in `cwd`; `rustc -V`.
    Tool { cwd: Option<&'a Path> },
}

/// What this machine's kernel offers, as the probe found it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Support {
    /// The Landlock ABI version (0: none).
    pub landlock_abi: u8,
    /// Unprivileged user, network and PID namespaces can be made.
    pub namespaces: bool,
}

impl Support {
    /// Landlock restricts TCP from ABI 4 on.
    fn tcp_rules(self) -> bool {
        self.landlock_abi >= 4
    }
}

/// How the builds of a run are confined: decided once, at the start.
#[derive(Debug, Clone)]
pub struct Confinement {
    mode: Mode,
    memory_bytes: Option<u64>,
    /// Trees builds and resolutions may also read: only the folder of the
    /// test-only injected dependency (see `sandbox::PathDependency`).
    also_read: Vec<PathBuf>,
    /// The workspaces of the local crates examples build against by path
    /// (see `local.rs`), as the summary names them.
    local_workspaces: Vec<PathBuf>,
    /// What builds and resolutions may read of them: their entries but
    /// `.git` (see `local::LocalCrates::readable`), read-only.
    local_read: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
enum Mode {
    Confined {
        helper: PathBuf,
        support: Support,
        homes: Homes,
        tmp: PathBuf,
    },
    Unconfined {
        /// Why: the user asked (`--unconfined`), or the machine cannot.
        reason: String,
    },
}

/// Where the toolchain and cargo's caches live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Homes {
    pub cargo: PathBuf,
    pub rustup: PathBuf,
    /// Folders of the `cargo` and `rustc` found on `PATH`, resolved (a
    /// toolchain installed without rustup).
    pub tool_dirs: Vec<PathBuf>,
}

/// System folders every compiler process may read: programs, the C
/// toolchain and libraries build scripts link with. Missing ones are left out.
const SYSTEM_READ: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// What of `/etc` every compiler process may read: the dynamic loader's
/// configuration, the `alternatives` links (`cc`, `ld`), the user and group
/// databases and the time zone. Not the rest: `/etc/shadow`, host keys,
/// `machine-id` and whatever a CI image keeps there stay unreadable (a
/// process running as root would otherwise read them).
const ETC_READ: &[&str] = &[
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/localtime",
];

/// What of `/etc` the steps that use the network also read: name
/// resolution and the certificate authorities.
const ETC_NETWORK_READ: &[&str] = &[
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/host.conf",
    "/etc/gai.conf",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/crypto-policies",
];

/// Devices a build may read (randomness) or write (the null sink). Not
/// `/dev/tty`: through it a build could read what the user types and write
/// (or, with `TIOCSTI`, type) into their terminal (`tests/it/attack.rs`).
const DEVICE_READ: &[&str] = &["/dev/urandom", "/dev/random", "/dev/zero"];
const DEVICE_WRITE: &[&str] = &["/dev/null", "/dev/full"];

/// What the run asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Confine, with this program as the confining parent (normally
    /// snipcheck's own executable).
    Confine {
        helper: PathBuf,
        memory_limit_mib: Option<u64>,
    },
    /// Run builds with the user's rights (`--unconfined`).
    Unconfined,
}

/// Why builds cannot be confined on this machine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot confine the builds on this machine: {reason}. The examples' dependencies (build scripts, proc macros) would run with your rights; run with --unconfined to build anyway"
)]
pub struct Unavailable {
    pub reason: String,
}

impl Default for Confinement {
    /// None: what a library caller gets without asking; the command line
    /// always asks (see `cli.rs`).
    fn default() -> Confinement {
        Confinement::unconfined("not requested")
    }
}

impl Confinement {
    /// Builds run with the user's rights.
    pub fn unconfined(reason: impl Into<String>) -> Confinement {
        Confinement {
            mode: Mode::Unconfined {
                reason: reason.into(),
            },
            memory_bytes: None,
            also_read: Vec::new(),
            local_workspaces: Vec::new(),
            local_read: Vec::new(),
        }
    }

    /// Decides how this run's builds are confined: probes the machine (one
    /// start of the helper) unless the run asked for none. `tmp` is the
    /// private temporary folder of the builds.
    pub fn new(request: &Request, tmp: &Path) -> Result<Confinement, Unavailable> {
        let (helper, memory_limit_mib) = match request {
            Request::Unconfined => {
                return Ok(Confinement::unconfined(
                    "--unconfined: builds run with the user's rights",
                ));
            }
            Request::Confine {
                helper,
                memory_limit_mib,
            } => (helper, memory_limit_mib),
        };
        let mut support = probe(helper)?;
        // Test-only: the attack suite checks the fallback of machines that
        // allow no unprivileged namespaces on one that does. It can only
        // take confinement away, never add to what a build may do.
        if std::env::var_os(NO_NAMESPACES_ENV).is_some() {
            support.namespaces = false;
        }
        Ok(Confinement {
            mode: Mode::Confined {
                helper: helper.clone(),
                support,
                homes: Homes::from_env(),
                tmp: tmp.to_path_buf(),
            },
            memory_bytes: memory_limit_mib.map(|mib| mib.saturating_mul(1024 * 1024)),
            also_read: Vec::new(),
            local_workspaces: Vec::new(),
            local_read: Vec::new(),
        })
    }

    /// Builds and resolutions may also read `tree`. Test-only: the folder of
    /// the dependency the attack suite injects (`sandbox::PathDependency`),
    /// which cargo must read to build it; nothing else is ever added.
    pub fn also_reading(mut self, tree: &Path) -> Confinement {
        self.also_read.push(tree.to_path_buf());
        self
    }

    /// Builds and resolutions may also read `entries` of `workspace`, the
    /// folder of local crates examples depend on by path (`local.rs`):
    /// cargo reads their sources and manifests there, and writes their
    /// artifacts to the scratch target dir, never beside them.
    pub fn reading_local_crates(mut self, workspace: &Path, entries: &[PathBuf]) -> Confinement {
        self.local_workspaces.push(workspace.to_path_buf());
        self.local_read.extend(entries.iter().cloned());
        self
    }

    pub fn is_confined(&self) -> bool {
        matches!(self.mode, Mode::Confined { .. })
    }

    /// The memory cap of each compiler process, in bytes.
    pub fn memory_bytes(&self) -> Option<u64> {
        match self.mode {
            Mode::Confined { .. } => self.memory_bytes,
            Mode::Unconfined { .. } => None,
        }
    }

    /// What a report says of the confinement.
    pub fn summary(&self) -> ConfinementSummary {
        match &self.mode {
            Mode::Unconfined { reason } => ConfinementSummary {
                confined: false,
                summary: format!(
                    "{reason}; the examples' build scripts and proc macros could read your files, use the network and write anywhere you can"
                ),
                filesystem: "none".into(),
                network: "none".into(),
                processes: "process group".into(),
                memory: "none".into(),
                note: Some(reason.clone()),
            },
            Mode::Confined { support, .. } => ConfinementSummary {
                confined: true,
                summary: format!(
                    "builds confined by Landlock (ABI {}){}{}",
                    support.landlock_abi,
                    if support.namespaces {
                        ", without network, in a PID namespace"
                    } else if support.tcp_rules() {
                        ", without TCP"
                    } else {
                        ""
                    },
                    match self.memory_bytes {
                        Some(bytes) => format!(", {} MiB per process", bytes / (1024 * 1024)),
                        None => String::new(),
                    }
                ),
                filesystem: format!(
                    "Landlock ABI {}: read-only system, toolchain and registry; read-write scratch workspace, target dir and private temporary folder",
                    support.landlock_abi
                ),
                network: if support.namespaces {
                    "none during builds (network namespace), no Unix sockets (seccomp)".into()
                } else if support.tcp_rules() {
                    "no TCP (Landlock) and no Unix sockets (seccomp) during builds; UDP is not confined".into()
                } else {
                    "no Unix sockets during builds (seccomp); TCP and UDP not confined (Landlock ABI < 4 and no unprivileged namespaces)".into()
                },
                processes: if support.namespaces {
                    "PID namespace: every descendant ends with its build".into()
                } else {
                    "child subreaper: orphans are killed when their build ends".into()
                },
                memory: match self.memory_bytes {
                    Some(bytes) => format!("{} MiB per process (RLIMIT_AS)", bytes / (1024 * 1024)),
                    None => "none".into(),
                },
                note: self.read_note(),
            },
        }
    }

    /// What the summary says of the folders builds also read.
    fn read_note(&self) -> Option<String> {
        let list = |trees: &[PathBuf]| {
            let trees: Vec<String> = trees.iter().map(|t| t.display().to_string()).collect();
            trees.join(", ")
        };
        let mut notes = Vec::new();
        if !self.also_read.is_empty() {
            notes.push(format!(
                "test-only: builds also read the injected dependency's folder {}",
                list(&self.also_read)
            ));
        }
        if !self.local_workspaces.is_empty() {
            notes.push(format!(
                "builds also read (never write) the local crates' workspace {} (but .git)",
                list(&self.local_workspaces)
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// The policy of one process, or `None` when unconfined.
    pub fn policy(&self, access: &Access<'_>) -> Option<Policy> {
        let Mode::Confined {
            helper,
            support,
            homes,
            tmp,
        } = &self.mode
        else {
            return None;
        };
        let mut policy = Policy {
            memory_bytes: self.memory_bytes,
            ..Policy::default()
        };
        policy.read.extend(SYSTEM_READ.iter().map(PathBuf::from));
        policy.read.extend(ETC_READ.iter().map(PathBuf::from));
        policy.read.extend(DEVICE_READ.iter().map(PathBuf::from));
        policy.write.extend(DEVICE_WRITE.iter().map(PathBuf::from));
        // The confining parent starts itself again as the PID namespace's init.
        policy.read.push(helper.clone());
        policy.read.push(homes.rustup.clone());
        policy.read.extend(homes.tool_dirs.iter().cloned());
        policy.read.push(homes.cargo.join("bin"));
        // The user's own cargo configuration (registry mirrors); credentials
        // live in `credentials.toml`, which stays unreadable.
        policy.read.push(homes.cargo.join("config.toml"));
        policy.read.push(homes.cargo.join("config"));
        policy.write.push(tmp.clone());
        match access {
            Access::Build { workspace, target } => {
                policy.read.extend(cargo_caches(homes));
                policy.read.extend(self.also_read.iter().cloned());
                policy.read.extend(self.local_read.iter().cloned());
                policy.write.push(workspace.to_path_buf());
                policy.write.push(target.to_path_buf());
                policy.namespaces = support.namespaces;
            }
            Access::Resolve { workspace } => {
                policy.read.extend(self.also_read.iter().cloned());
                policy.read.extend(self.local_read.iter().cloned());
                downloads(&mut policy, homes, workspace);
            }
            Access::Tool { cwd } => {
                if let Some(cwd) = cwd {
                    policy.read.push(cwd.to_path_buf());
                    // rustfmt reads the nearest configuration above its folder.
                    policy.read.extend(rustfmt_configs(cwd));
                }
                policy.namespaces = support.namespaces;
            }
        }
        Some(policy)
    }

    /// `cmd` as this run starts it: unchanged when unconfined, otherwise
    /// started by the confining parent under the policy of `access`. The
    /// environment and folder of `cmd` carry over; set stdio afterwards.
    pub fn command(&self, cmd: Command, access: &Access<'_>) -> Command {
        let (
            Some(policy),
            Mode::Confined {
                helper, homes, tmp, ..
            },
        ) = (self.policy(access), &self.mode)
        else {
            return cmd;
        };
        let Ok(policy_json) = serde_json::to_string(&policy) else {
            return cmd;
        };
        let mut wrapped = Command::new(helper);
        wrapped.arg(ENTRY).arg(policy_json).arg("--");
        wrapped.arg(cmd.get_program());
        wrapped.args(cmd.get_args());
        wrapped.env_clear();
        for (name, value) in cmd.get_envs() {
            if let Some(value) = value {
                wrapped.env(name, value);
            }
        }
        // Homes spelled out, so nothing depends on reading `HOME`; temporary
        // files in the private folder.
        wrapped.env("CARGO_HOME", &homes.cargo);
        wrapped.env("RUSTUP_HOME", &homes.rustup);
        wrapped.env("TMPDIR", tmp);
        // A compilation cache server is reached over a socket the build may
        // not open.
        for name in DROPPED_ENV {
            wrapped.env_remove(name);
        }
        if let Some(dir) = cmd.get_current_dir() {
            wrapped.current_dir(dir);
        }
        wrapped
    }
}

impl Homes {
    /// Cargo's and rustup's homes as cargo and rustup find them, and the
    /// folders of the `cargo` and `rustc` on `PATH`.
    pub fn from_env() -> Homes {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let home_dir = |var: &str, default: &str| {
            std::env::var_os(var)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(default)))
                .unwrap_or_else(|| PathBuf::from(default))
        };
        let cargo = home_dir("CARGO_HOME", ".cargo");
        let rustup = home_dir("RUSTUP_HOME", ".rustup");
        let mut tool_dirs = Vec::new();
        for tool in ["cargo", "rustc"] {
            if let Some(dir) = find_on_path(tool).and_then(|p| std::fs::canonicalize(p).ok())
                && let Some(parent) = dir.parent()
                && !tool_dirs.iter().any(|d: &PathBuf| d == parent)
            {
                tool_dirs.push(parent.to_path_buf());
            }
        }
        Homes {
            cargo: std::fs::canonicalize(&cargo).unwrap_or(cargo),
            rustup: std::fs::canonicalize(&rustup).unwrap_or(rustup),
            tool_dirs,
        }
    }
}

/// Cargo's registry and git caches: read by builds, written by downloads.
fn cargo_caches(homes: &Homes) -> [PathBuf; 2] {
    [homes.cargo.join("registry"), homes.cargo.join("git")]
}

/// What a step that downloads (resolution, fetch, registry lookup) may do
/// besides the common part: the network, name resolution and certificates,
/// cargo's caches and their locks, and its own folder `dir`.
fn downloads(policy: &mut Policy, homes: &Homes, dir: &Path) {
    policy.network = true;
    policy
        .read
        .extend(ETC_NETWORK_READ.iter().map(PathBuf::from));
    policy.write.extend(cargo_caches(homes));
    // Cargo's locks on the package cache.
    for lock in [".package-cache", ".package-cache-mutate", ".global-cache"] {
        policy.write.push(homes.cargo.join(lock));
    }
    policy.write.push(dir.to_path_buf());
}

/// The rustfmt configuration files in `dir` and the folders above it.
fn rustfmt_configs(dir: &Path) -> Vec<PathBuf> {
    dir.ancestors()
        .flat_map(|d| ["rustfmt.toml", ".rustfmt.toml"].map(|name| d.join(name)))
        .filter(|file| file.is_file())
        .collect()
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Starts the helper once with `--probe`: what confinement this machine
/// allows. Landlock is required; namespaces are a bonus.
pub fn probe(helper: &Path) -> Result<Support, Unavailable> {
    let output = Command::new(helper)
        .arg(ENTRY)
        .arg("--probe")
        .env_clear()
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| Unavailable {
            reason: format!("cannot start `{}`: {e}", helper.display()),
        })?;
    let support: Support = serde_json::from_slice(&output.stdout).map_err(|_| Unavailable {
        reason: format!(
            "`{} {ENTRY} --probe` did not answer ({})",
            helper.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })?;
    if support.landlock_abi == 0 {
        return Err(Unavailable {
            reason: "the kernel offers no Landlock (Linux 5.13 or later with Landlock enabled is needed)".into(),
        });
    }
    Ok(support)
}

/// The confining parent's `main`: `args` are what follows [`ENTRY`]. Returns
/// the exit status to end with.
pub fn enter(args: Vec<OsString>) -> i32 {
    match args.first().and_then(|a| a.to_str()) {
        Some("--probe") => {
            let support = os::probe();
            println!(
                "{}",
                serde_json::to_string(&support).unwrap_or_else(|_| "{}".into())
            );
            0
        }
        Some("--init") if args.get(1).and_then(|a| a.to_str()) == Some("--") && args.len() > 2 => {
            match os::init(&args[2], &args[3..]) {
                Ok(code) => code,
                Err(message) => {
                    eprintln!("snipcheck: cannot start the build: {message}");
                    SETUP_FAILED
                }
            }
        }
        Some(policy) => {
            let Ok(policy) = serde_json::from_str::<Policy>(policy) else {
                eprintln!("snipcheck {ENTRY}: unreadable policy");
                return SETUP_FAILED;
            };
            if args.get(1).and_then(|a| a.to_str()) != Some("--") || args.len() < 3 {
                eprintln!("snipcheck {ENTRY}: usage: POLICY -- PROGRAM [ARGS...]");
                return SETUP_FAILED;
            }
            match os::run(&policy, &args[2], &args[3..]) {
                Ok(code) => code,
                Err(message) => {
                    eprintln!("snipcheck: cannot confine the build: {message}");
                    SETUP_FAILED
                }
            }
        }
        None => {
            eprintln!("snipcheck {ENTRY}: usage: POLICY -- PROGRAM [ARGS...]");
            SETUP_FAILED
        }
    }
}

#[cfg(target_os = "linux")]
mod os {
    //! The Linux confinement: rlimit, namespaces, subreaper, Landlock.

    use std::ffi::OsString;
    use std::path::Path;
    use std::process::Command;

    use landlock::{
        ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, LandlockStatus, PathBeneath,
        PathFd, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope,
    };
    use nix::sched::CloneFlags;
    use nix::sys::signal::Signal;
    use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
    use nix::unistd::Pid;

    use super::{Policy, Support};

    /// The newest ABI this code knows how to use.
    const ABI_USED: ABI = ABI::V6;

    pub fn probe() -> Support {
        // In this throwaway process (it exits right after): can an
        // unprivileged user make the namespaces a build uses, and does the
        // kernel enforce a Landlock ruleset, of which ABI?
        let namespaces = nix::sched::unshare(
            CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWPID,
        )
        .is_ok()
            && Command::new("/bin/true")
                .status()
                .is_ok_and(|s| s.success());
        let restricted = Ruleset::default()
            .handle_access(AccessFs::from_all(ABI_USED))
            .and_then(|r| r.create())
            .and_then(|r| r.restrict_self());
        let landlock_abi = match restricted {
            Ok(status) if status.ruleset != RulesetStatus::NotEnforced => match status.landlock {
                LandlockStatus::Available { effective_abi, .. } => effective_abi as u8,
                _ => 0,
            },
            _ => 0,
        };
        Support {
            landlock_abi,
            namespaces,
        }
    }

    pub fn run(policy: &Policy, program: &OsString, args: &[OsString]) -> Result<i32, String> {
        // Ends with snipcheck, even when snipcheck is killed outright.
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
            .map_err(|e| format!("cannot follow snipcheck's end: {e}"))?;
        if let Some(bytes) = policy.memory_bytes {
            nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_AS, bytes, bytes)
                .map_err(|e| format!("cannot cap memory: {e}"))?;
        }
        let namespaced = policy.namespaces && !policy.network;
        if namespaced {
            nix::sched::unshare(
                CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWPID,
            )
            .map_err(|e| format!("cannot make the build's namespaces: {e}"))?;
        }
        nix::sys::prctl::set_child_subreaper(true)
            .map_err(|e| format!("cannot become a child subreaper: {e}"))?;
        restrict(policy)?;
        if !policy.network {
            deny_unix_sockets()?;
        }
        // In a PID namespace the first process is its init: this program
        // again (`--init`), which ends with this one and takes every process
        // of the namespace with it.
        let mut command = if namespaced {
            let me = std::env::current_exe().map_err(|e| format!("cannot find myself: {e}"))?;
            let mut init = Command::new(me);
            init.args([super::ENTRY, "--init", "--"]).arg(program);
            init
        } else {
            Command::new(program)
        };
        let child = command
            .args(args)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", program.to_string_lossy()))?;
        let child = Pid::from_raw(i32::try_from(child.id()).map_err(|e| e.to_string())?);
        let code = reap(child);
        kill_orphans();
        Ok(code)
    }

    /// The first process of a build's PID namespace: ends with the confining
    /// parent (so with snipcheck), starts the program, reaps every orphan of
    /// the namespace, and returns the program's status. When it returns, the
    /// kernel kills whatever is left in the namespace.
    pub fn init(program: &OsString, args: &[OsString]) -> Result<i32, String> {
        nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)
            .map_err(|e| format!("cannot follow the confining parent's end: {e}"))?;
        let child = Command::new(program)
            .args(args)
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", program.to_string_lossy()))?;
        let child = Pid::from_raw(i32::try_from(child.id()).map_err(|e| e.to_string())?);
        Ok(reap(child))
    }

    /// Landlock: the policy's trees, TCP denied without network, signals and
    /// abstract sockets kept inside.
    fn restrict(policy: &Policy) -> Result<(), String> {
        let err = |e: landlock::RulesetError| e.to_string();
        let mut ruleset = Ruleset::default()
            .set_compatibility(CompatLevel::BestEffort)
            .handle_access(AccessFs::from_all(ABI_USED))
            .map_err(err)?
            .scope(Scope::Signal | Scope::AbstractUnixSocket)
            .map_err(err)?;
        if !policy.network {
            ruleset = ruleset
                .handle_access(AccessNet::BindTcp | AccessNet::ConnectTcp)
                .map_err(err)?;
        }
        let mut created = ruleset.create().map_err(err)?;
        // Its own children lists, to find the orphans left when the build ends.
        let own_tasks = vec![std::path::PathBuf::from(format!(
            "/proc/{}/task",
            std::process::id()
        ))];
        for (paths, access) in [
            (&own_tasks, AccessFs::from_read(ABI_USED)),
            (&policy.read, AccessFs::from_read(ABI_USED)),
            (&policy.write, AccessFs::from_all(ABI_USED)),
        ] {
            for path in paths {
                // A tree that does not exist here (no /lib32) is left out.
                let Ok(fd) = PathFd::new(path) else { continue };
                let access = if Path::new(path).is_dir() {
                    access
                } else {
                    access & AccessFs::from_file(ABI_USED)
                };
                created = created
                    .add_rule(PathBeneath::new(fd, access))
                    .map_err(err)?;
            }
        }
        let status = created.restrict_self().map_err(err)?;
        if status.ruleset == RulesetStatus::NotEnforced {
            return Err("the kernel does not enforce Landlock".into());
        }
        Ok(())
    }

    /// A seccomp filter: `socket(AF_UNIX, ...)` fails with `EACCES`, for this
    /// process and every descendant (Landlock already set `no_new_privs`).
    /// A pair of connected sockets (`socketpair`) reaches nothing and stays
    /// allowed; a system call of another architecture ends the process.
    fn deny_unix_sockets() -> Result<(), String> {
        use seccompiler::{
            BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition,
            SeccompFilter, SeccompRule,
        };
        let err = |e: seccompiler::BackendError| e.to_string();
        let arch = std::env::consts::ARCH
            .try_into()
            .map_err(|e: seccompiler::BackendError| {
                format!("no seccomp filter for {}: {e}", std::env::consts::ARCH)
            })?;
        let unix = SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Eq,
            nix::libc::AF_UNIX as u64,
        )
        .map_err(err)?;
        let rule = SeccompRule::new(vec![unix]).map_err(err)?;
        let mut rules =
            std::collections::BTreeMap::from([(nix::libc::SYS_socket, vec![rule.clone()])]);
        // On x86_64, the same call through the x32 ABI has another number.
        if cfg!(target_arch = "x86_64") {
            rules.insert(nix::libc::SYS_socket | 0x4000_0000, vec![rule]);
        }
        let filter = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(nix::libc::EACCES as u32),
            arch,
        )
        .map_err(err)?;
        let program: BpfProgram = filter.try_into().map_err(err)?;
        seccompiler::apply_filter(&program)
            .map_err(|e| format!("cannot apply the seccomp filter: {e}"))
    }

    /// Waits for `child`, reaping the orphans that come to this subreaper on
    /// the way; its exit code (128 + the signal when a signal ended it).
    fn reap(child: Pid) -> i32 {
        loop {
            match waitpid(None, None) {
                Ok(WaitStatus::Exited(pid, code)) if pid == child => return code,
                Ok(WaitStatus::Signaled(pid, signal, _)) if pid == child => {
                    return 128 + signal as i32;
                }
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => {}
                Err(_) => return super::SETUP_FAILED,
            }
        }
    }

    /// Kills what the build left running. In a PID namespace the kernel did
    /// it when the program (its first process) ended; otherwise the
    /// orphans that were reparented here are found in `/proc` by parent and
    /// killed until none is left.
    fn kill_orphans() {
        use nix::sys::signal::{Signal, kill};
        for _round in 0..1000 {
            let children = own_children();
            if children.is_empty() {
                break;
            }
            for pid in children {
                let _ = kill(pid, Signal::SIGKILL);
            }
            // Reap what died; their own children come here next round.
            while let Ok(status) = waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                if matches!(status, WaitStatus::StillAlive) {
                    break;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    fn own_children() -> Vec<Pid> {
        let me = std::process::id().to_string();
        let mut out = Vec::new();
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{me}/task")) else {
            return out;
        };
        for task in tasks.flatten() {
            let Ok(text) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            out.extend(
                text.split_whitespace()
                    .filter_map(|pid| pid.parse::<i32>().ok())
                    .map(Pid::from_raw),
            );
        }
        out
    }
}

#[cfg(not(target_os = "linux"))]
mod os {
    use std::ffi::OsString;

    use super::{Policy, Support};

    pub fn probe() -> Support {
        Support::default()
    }

    pub fn run(_policy: &Policy, _program: &OsString, _args: &[OsString]) -> Result<i32, String> {
        Err("confinement is implemented for Linux only".into())
    }

    pub fn init(_program: &OsString, _args: &[OsString]) -> Result<i32, String> {
        Err("confinement is implemented for Linux only".into())
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn confined(support: Support) -> Confinement {
        Confinement {
            mode: Mode::Confined {
                helper: PathBuf::from("/opt/snipcheck"),
                support,
                homes: Homes {
                    cargo: PathBuf::from("/users/u/.cargo"),
                    rustup: PathBuf::from("/users/u/.rustup"),
                    tool_dirs: vec![PathBuf::from("/users/u/.cargo/bin")],
                },
                tmp: PathBuf::from("/srv/docs/sandbox/tmp"),
            },
            memory_bytes: Some(64 << 20),
            also_read: Vec::new(),
            local_workspaces: Vec::new(),
            local_read: Vec::new(),
        }
    }

    const FULL: Support = Support {
        landlock_abi: 7,
        namespaces: true,
    };

    #[test]
    fn a_build_writes_only_its_workspace_target_and_private_tmp() {
        let confinement = confined(FULL);
        let access = Access::Build {
            workspace: Path::new("/srv/docs/sandbox/ws"),
            target: Path::new("/srv/docs/sandbox/target/stable"),
        };
        let policy = confinement.policy(&access).expect("confined");
        assert!(!policy.network);
        assert!(policy.namespaces);
        assert_eq!(policy.memory_bytes, Some(64 << 20));
        let writable: Vec<&Path> = policy
            .write
            .iter()
            .map(PathBuf::as_path)
            .filter(|p| !p.starts_with("/dev"))
            .collect();
        assert_eq!(
            writable,
            [
                Path::new("/srv/docs/sandbox/tmp"),
                Path::new("/srv/docs/sandbox/ws"),
                Path::new("/srv/docs/sandbox/target/stable"),
            ]
        );
        // Cargo's caches and the toolchain are read, never written; neither
        // the home folder, nor the checkout, nor `/proc` is granted.
        assert!(
            policy
                .read
                .contains(&PathBuf::from("/users/u/.cargo/registry"))
        );
        assert!(policy.read.contains(&PathBuf::from("/users/u/.rustup")));
        for denied in [
            "/users/u",
            "/users/u/.cargo",
            "/work",
            "/srv/docs/sandbox",
            "/proc",
            "/",
        ] {
            let denied = Path::new(denied);
            assert!(
                !policy.read.iter().chain(&policy.write).any(|p| p == denied),
                "{denied:?} granted"
            );
        }
        assert!(!policy.read.iter().any(|p| p.ends_with("credentials.toml")));
        // Of `/etc`, what the loader, `cc` and user lookups need; never the
        // whole folder, so not `/etc/shadow` (readable to a root CI job).
        assert!(policy.read.contains(&PathBuf::from("/etc/ld.so.cache")));
        assert!(!policy.read.iter().any(|p| p == Path::new("/etc")));
        assert!(!policy.read.iter().any(|p| p.starts_with("/etc/ssl")));
    }

    #[test]
    fn only_steps_that_run_no_dependency_code_get_the_network() {
        let confinement = confined(FULL);
        let workspace = Path::new("/srv/docs/sandbox/ws");
        let resolve = confinement
            .policy(&Access::Resolve { workspace })
            .expect("confined");
        assert!(resolve.network && !resolve.namespaces);
        assert!(
            resolve
                .write
                .contains(&PathBuf::from("/users/u/.cargo/registry"))
        );
        let tool = confinement
            .policy(&Access::Tool { cwd: None })
            .expect("confined");
        assert!(!tool.network && tool.namespaces);
        // Without namespaces, a build still has no network: Landlock's TCP rules.
        let landlock_only = confined(Support {
            landlock_abi: 4,
            namespaces: false,
        });
        let build = landlock_only
            .policy(&Access::Build {
                workspace,
                target: workspace,
            })
            .expect("confined");
        assert!(!build.network && !build.namespaces);
        assert!(landlock_only.summary().network.contains("no TCP"));
    }

    #[test]
    fn a_confined_command_is_the_helper_with_the_same_environment_and_folder() {
        let mut cmd = Command::new("cargo");
        cmd.args(["clippy", "--offline"])
            .env_clear()
            .env("PATH", "/usr/bin")
            .env("RUSTC_WRAPPER", "sccache")
            .current_dir("/");
        let wrapped = confined(FULL).command(cmd, &Access::Tool { cwd: None });
        assert_eq!(wrapped.get_program(), "/opt/snipcheck");
        let args: Vec<String> = wrapped
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(args[0], ENTRY);
        let policy: Policy = serde_json::from_str(&args[1]).expect("policy");
        assert_eq!(policy.memory_bytes, Some(64 << 20));
        assert_eq!(&args[2..], ["--", "cargo", "clippy", "--offline"]);
        let env: Vec<(String, Option<String>)> = wrapped
            .get_envs()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect();
        assert!(env.contains(&("PATH".into(), Some("/usr/bin".into()))));
        assert!(env.contains(&("TMPDIR".into(), Some("/srv/docs/sandbox/tmp".into()))));
        assert!(!env.iter().any(|(k, v)| k == "RUSTC_WRAPPER" && v.is_some()));
        assert_eq!(wrapped.get_current_dir(), Some(Path::new("/")));
    }

    #[test]
    fn unconfined_leaves_the_command_alone_and_says_so() {
        let plain = Confinement::unconfined("--unconfined");
        assert!(plain.policy(&Access::Tool { cwd: None }).is_none());
        let wrapped = plain.command(Command::new("cargo"), &Access::Tool { cwd: None });
        assert_eq!(wrapped.get_program(), "cargo");
        let summary = plain.summary();
        assert!(!summary.confined);
        assert!(summary.summary.contains("--unconfined"));
        assert_eq!(plain.memory_bytes(), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn confined(support: Support) -> Confinement {
        Confinement {
            mode: Mode::Confined {
                helper: PathBuf::from("/opt/snipcheck"),
                support,
                homes: Homes {
                    cargo: PathBuf::from("/h/.cargo"),
                    rustup: PathBuf::from("/h/.rustup"),
                    tool_dirs: Vec::new(),
                },
                tmp: PathBuf::from("/s/tmp"),
            },
            memory_bytes: Some(1024),
            also_read: Vec::new(),
            local_workspaces: Vec::new(),
            local_read: Vec::new(),
        }
    }

    #[test]
    fn a_local_workspace_is_readable_not_writable_by_builds_and_resolutions_only() {
        let workspace = Path::new("/w/own-crate");
        let support = Support {
            landlock_abi: 7,
            namespaces: true,
        };
        let src = workspace.join("src");
        let confine = confined(support).reading_local_crates(workspace, std::slice::from_ref(&src));
        let (ws, target) = (Path::new("/s/ws"), Path::new("/s/t"));
        let build = Access::Build {
            workspace: ws,
            target,
        };
        for access in [&build, &Access::Resolve { workspace: ws }] {
            let policy = confine.policy(access).expect("confined");
            assert!(policy.read.iter().any(|p| p == &src), "{access:?}");
            // Only the entries named, never the folder (its `.git`) whole.
            assert!(!policy.read.iter().any(|p| p == workspace), "{access:?}");
            assert!(
                !policy.write.iter().any(|p| p.starts_with(workspace)),
                "{access:?}"
            );
        }
        let tool = confine
            .policy(&Access::Tool { cwd: None })
            .expect("confined");
        assert!(!tool.read.iter().any(|p| p == &src));
        let note = confine.summary().note.unwrap_or_default();
        assert!(
            note.contains("local crates' workspace /w/own-crate"),
            "{note}"
        );
        assert!(!note.contains("test-only"), "{note}");
    }

    #[test]
    fn an_injected_folder_is_readable_by_builds_and_resolutions_only() {
        let support = Support {
            landlock_abi: 7,
            namespaces: true,
        };
        let fixture = Path::new("/f/attack");
        let confine = confined(support).also_reading(fixture);
        let (ws, target) = (Path::new("/s/ws"), Path::new("/s/t"));
        let build = Access::Build {
            workspace: ws,
            target,
        };
        let resolve = Access::Resolve { workspace: ws };
        for access in [&build, &resolve] {
            let policy = confine.policy(access).expect("confined");
            assert!(policy.read.iter().any(|p| p == fixture), "{access:?}");
            assert!(!policy.write.iter().any(|p| p == fixture), "{access:?}");
        }
        let tool = confine
            .policy(&Access::Tool { cwd: None })
            .expect("confined");
        assert!(!tool.read.iter().any(|p| p == fixture));
        let plain = confined(support).policy(&build).expect("confined");
        assert!(!plain.read.iter().any(|p| p == fixture));
        assert!(
            confine
                .summary()
                .note
                .is_some_and(|n| n.contains("/f/attack"))
        );
        assert_eq!(confined(support).summary().note, None);
    }

    #[test]
    fn builds_get_no_network_no_terminal_and_no_home() {
        let support = Support {
            landlock_abi: 7,
            namespaces: false,
        };
        let policy = confined(support)
            .policy(&Access::Build {
                workspace: Path::new("/s/ws"),
                target: Path::new("/s/t"),
            })
            .expect("confined");
        assert!(!policy.network);
        let everything = || policy.read.iter().chain(&policy.write);
        assert!(
            !everything().any(|p| p.starts_with("/dev/tty")),
            "{policy:?}"
        );
        assert!(
            !everything().any(|p| p == Path::new("/h/.cargo")),
            "{policy:?}"
        );
        assert!(
            !everything().any(|p| p.ends_with("credentials.toml")),
            "{policy:?}"
        );
        assert_eq!(
            policy.write,
            [
                PathBuf::from("/dev/null"),
                PathBuf::from("/dev/full"),
                PathBuf::from("/s/tmp"),
                PathBuf::from("/s/ws"),
                PathBuf::from("/s/t"),
            ]
        );
    }

    /// A stand-in for the confining parent that answers the probe as a
    /// machine with `support` would.
    #[cfg(unix)]
    fn probing_as(dir: &Path, support: &str) -> Result<Confinement, Unavailable> {
        let helper = dir.join(format!("helper-{}", support.len()));
        std::fs::write(&helper, format!("#!/bin/sh\necho '{support}'\n")).expect("write");
        std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        let request = Request::Confine {
            helper,
            memory_limit_mib: Some(512),
        };
        // Another test's fork may hold the new file open for a moment.
        for _ in 0..50 {
            match Confinement::new(&request, dir) {
                Err(e) if e.reason.contains("busy") => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                result => return result,
            }
        }
        Confinement::new(&request, dir)
    }

    #[cfg(unix)]
    #[test]
    fn without_landlock_the_run_refuses_and_names_the_way_out() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let refused = probing_as(dir.path(), r#"{"landlock_abi":0,"namespaces":true}"#)
            .expect_err("no Landlock, no build");
        assert!(refused.to_string().contains("--unconfined"), "{refused}");
        let mute = probing_as(dir.path(), "nonsense").expect_err("no answer, no build");
        assert!(mute.to_string().contains("did not answer"), "{mute}");
        // Without namespaces: Landlock's TCP rules and the subreaper stand in.
        let fallback = probing_as(dir.path(), r#"{"landlock_abi":6,"namespaces":false}"#)
            .expect("Landlock is enough");
        let summary = fallback.summary();
        assert!(summary.confined);
        assert!(
            summary.network.contains("UDP is not confined"),
            "{summary:?}"
        );
        assert!(summary.processes.contains("subreaper"), "{summary:?}");
        assert_eq!(summary.memory, "512 MiB per process (RLIMIT_AS)");
    }
}

//! The read-only collector snippet (`collector/collect.sh`): one POSIX sh
//! script that prints everything the diagnosis can use, each part under a
//! `### upstream-doctor: <section> ###` marker that the segmenter knows.
//! Kept here as text so the CLI (`--collector`) and the web app show the
//! very same script.

/// The script itself. A `static`, not a `const`: a const is copied into
/// every crate that uses it, and the web app's wasm carried the 17 KB
/// script twice.
pub static SCRIPT: &str = include_str!("../../collector/collect.sh");

/// The script wrapped for pasting into a terminal: runs it with `sudo sh`
/// from a here-document, so nothing is written to disk.
pub fn paste_command() -> String {
    format!("sudo sh <<'UPSTREAM_DOCTOR'\n{}UPSTREAM_DOCTOR\n", SCRIPT)
}

/// Section names the collector prints, in order.
pub const SECTIONS: &[&str] = &[
    "system",
    "nginx-version",
    "nginx-T",
    "error-log",
    "access-log",
    "listeners",
    "systemctl",
    "sockets",
    "fpm-pool",
    "backend-logs",
    "selinux",
    "oom",
    "ps",
    "pm2",
    "docker-ps",
    "curl",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_prints_every_section_it_declares() {
        for s in SECTIONS {
            assert!(SCRIPT.contains(&format!("section {s}\n")), "{s}");
        }
        assert!(
            !SCRIPT.contains("UPSTREAM_DOCTOR"),
            "the here-document terminator must not occur in the script"
        );
        assert!(paste_command().ends_with("\nUPSTREAM_DOCTOR\n"));
    }
}

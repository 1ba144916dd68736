//! `fpm_child_crash`: a PHP-FPM worker crashed (SIGSEGV / SIGBUS).

use super::common::{
    fpm_log, fpm_service, fpm_unit_from_comm, nginx_symptoms, php_version, pool_file, upstream_of,
};
use super::ctx::{Manager, ServiceGuess};
use super::fixes::{disruptive, next, review, safe};
use super::{plural, Ctx, Finding, Rule};
use crate::facts::{EventGroup, Signal};

pub static RULE: Rule = Rule {
    id: "fpm_child_crash",
    family: "upstream_reset",
    title: "PHP-FPM workers crash (SIGSEGV/SIGBUS)",
    docs: DOCS,
    signatures: &[
        "exited on signal 11 (SIGSEGV",
        "exited on signal 7 (SIGBUS",
        "segfault at",
    ],
    check,
};

const DOCS: &str = r#"
## What it means
A PHP-FPM child died on a crash signal while serving a request: `SIGSEGV`
(11) or `SIGBUS` (7). PHP code cannot do that by itself; the crash is in PHP
or, far more often, in an extension (opcache/JIT, xdebug, imagick/vips,
newrelic, ioncube, a PECL module built for another PHP).

## Why nginx answers 502 or 504
The connection dies with the child: nginx logs `recv() failed (104:
Connection reset by peer)` or `upstream prematurely closed connection` and
answers **502** for that request.

## Evidence
- FPM: `WARNING: [pool www] child 26045 exited on signal 11 (SIGSEGV) after 82.764425 seconds from start`
  (`- core dumped` when cores are on).
- kernel: `php-fpm8.1[26045]: segfault at 18 ip … sp … error 4 in php-fpm8.1[…]` (or `in imagick.so[…]`: the culprit).
- nginx: `recv() failed (104: Connection reset by peer) while reading response header from upstream, … upstream: "fastcgi://…"`.

## Fix
Find the extension: the kernel line's `in <file>` names the crashing
library; otherwise disable suspects one at a time (`sudo phpdismod -v <ver>
-s fpm <ext>` on Debian/Ubuntu, comment the `extension=` line in
`/etc/php.d/*.ini` on RHEL), update PHP and the extensions, restart PHP-FPM.
For a backtrace: `rlimit_core = unlimited` in the pool, then `coredumpctl`.

## Verify
`grep -c 'SIGSEGV' <fpm log>` stops increasing under the same traffic.

## Known problems
`exited on signal 9 (SIGKILL)` is an out-of-memory kill (`backend_oom`);
`signal 15 (SIGTERM)` after `execution timed out` is `fpm_exec_timeout`;
`exited with code 0` is normal recycling (`pm.max_requests`).
"#;

fn is_crash(s: &Signal) -> bool {
    match s {
        Signal::FpmChildSignal { signal } => matches!(signal, 11 | 7),
        Signal::Segfault { comm } => comm.contains("php"),
        _ => false,
    }
}

fn check(ctx: &Ctx) -> Vec<Finding> {
    let groups: Vec<&EventGroup> = ctx.groups(is_crash);
    if groups.is_empty() {
        return vec![];
    }
    let mut f = Finding::from_groups(&groups);
    f.status = Some(502);
    let crashes: u64 = groups
        .iter()
        .filter(|g| matches!(g.key.signal, Signal::FpmChildSignal { .. }))
        .map(|g| g.count)
        .sum();
    let kernel: u64 = f.events - crashes;
    let symptoms = nginx_symptoms(ctx);
    let up = upstream_of(&symptoms);
    f.upstreams.clear();
    if let Some(u) = &up {
        f.upstreams.push(u.addr.display());
    }
    for g in &symptoms {
        for e in g.evidence().take(2) {
            f.add_evidence(e.clone());
        }
    }
    let comm = groups.iter().find_map(|g| match &g.key.signal {
        Signal::Segfault { comm } => Some(comm.clone()),
        _ => None,
    });
    let svc = match comm.as_deref().and_then(fpm_unit_from_comm) {
        Some(n) if ctx.facts.service(&n).is_some() || !fpm_service(ctx, up.as_ref()).known => {
            ServiceGuess {
                name: n,
                manager: Manager::Systemd,
                known: true,
            }
        }
        _ => fpm_service(ctx, up.as_ref()),
    };
    // `… error 4 in imagick.so[7f…+…]`: the library that crashed.
    let library = groups.iter().flat_map(|g| g.evidence()).find_map(|e| {
        let i = e.text.find(" in ")?;
        let lib = e.text[i + 4..].split('[').next()?.trim();
        (lib.ends_with(".so") || lib.contains(".so.")).then(|| lib.to_string())
    });
    let ver = php_version(ctx, &svc.name);
    f.confidence = 0.88;
    f.explains = vec!["upstream_reset", "upstream_closed_early"];
    if crashes > 0 {
        f.reasoning.push(format!(
            "PHP-FPM logged {} on SIGSEGV/SIGBUS",
            plural(crashes, "child exit", "child exits")
        ));
    }
    if kernel > 0 {
        f.reasoning.push(format!(
            "the kernel logged {} of {}",
            plural(kernel, "segfault", "segfaults"),
            comm.as_deref().unwrap_or("php-fpm")
        ));
    }
    if let Some(l) = &library {
        f.reasoning.push(format!("the crash is inside `{l}`"));
    }
    if !symptoms.is_empty() {
        f.reasoning.push(
            "nginx's resets/closes on the FastCGI upstream are the crashed children's requests"
                .into(),
        );
    }
    let bus_only = groups
        .iter()
        .all(|g| matches!(g.key.signal, Signal::FpmChildSignal { signal: 7 }));
    f.title = match &library {
        Some(l) => format!("PHP-FPM workers crash inside {l}"),
        None if bus_only => "PHP-FPM workers crash with a bus error (SIGBUS)".into(),
        None => "PHP-FPM workers crash with a segmentation fault".into(),
    };
    f.summary = format!(
        "PHP-FPM children die on {} while serving requests; the connection dies with them and nginx answers 502. PHP code \
         cannot do this: the crash is in PHP itself or an extension{}.",
        if bus_only { "SIGBUS" } else { "SIGSEGV" },
        library.as_deref().map(|l| format!(" (here `{l}`)")).unwrap_or_default()
    );
    let ext = library
        .as_deref()
        .and_then(|l| l.rsplit('/').next())
        .map(|l| l.trim_end_matches(".so").to_string())
        .filter(|e| !e.starts_with("php") && !e.starts_with("libc") && !e.is_empty())
        .unwrap_or_else(|| "{extension}".into());
    let disable_why = if ext == "{extension}" {
        "disable suspect extensions one at a time, restarting after each".to_string()
    } else {
        format!("disable `{ext}`, the library the kernel names")
    };
    const SUSPECTS: &str =
        "the loaded extensions: opcache/JIT, xdebug, imagick, newrelic, ioncube are the usual suspects";
    let exec = match svc.manager {
        Manager::Docker => Some(format!("docker compose exec {}", svc.name)),
        Manager::DockerRun => Some(format!("docker exec {}", svc.name)),
        _ => None,
    };
    if let Some(exec) = exec {
        // The official image: extensions are enabled by ini files in
        // /usr/local/etc/php/conf.d/, written when the image is built.
        f.fixes.push(safe(
            format!("{exec} php -m   # and: {exec} ls /usr/local/etc/php/conf.d/"),
            SUSPECTS,
        ));
        f.fixes.push(review(
            format!("# in the image's Dockerfile: drop `docker-php-ext-enable {ext}` (for opcache's JIT, add opcache.jit=off to an ini in /usr/local/etc/php/conf.d/)"),
            format!("{disable_why}; an edit inside the running container is lost when it is recreated"),
        ));
        f.fixes.push(disruptive(
            match svc.manager {
                Manager::Docker => format!("docker compose build --pull {0} && docker compose up -d {0}", svc.name),
                _ => format!("docker pull {{image}} && docker rm -f {0} && docker run -d --name {0} {{your options}} {{image}}", svc.name),
            },
            "rebuild on the newest patch release of the base image: crash fixes usually come as PHP or extension updates",
        ));
    } else {
        // FreeBSD ports: one ini per extension in /usr/local/etc/php/, and
        // BSD sed's -i takes a suffix.
        let bsd = svc.manager == Manager::BsdRc;
        let debian = !bsd && !matches!(ctx.distro(), crate::facts::Distro::Rhel) && ver.is_some();
        let (list, disable, update) = match &ver {
            _ if bsd => (
                "php -m   # and: ls /usr/local/etc/php/".to_string(),
                format!("sudo sed -i -E 's/^(extension\\s*=\\s*{ext})/;\\1/' /usr/local/etc/php/ext-*{ext}*.ini"),
                "sudo pkg upgrade -n 'php*'".to_string(),
            ),
            Some(v) if debian => (
                format!("php{v} -m   # and: ls /etc/php/{v}/fpm/conf.d/"),
                format!("sudo phpdismod -v {v} -s fpm {ext}"),
                format!("sudo apt update && apt list --upgradable 2>/dev/null | grep -E 'php{v}'"),
            ),
            _ => (
                "php -m   # and: ls /etc/php.d/".to_string(),
                format!("sudo sed -i -E 's/^(extension\\s*=\\s*{ext})/;\\1/' /etc/php.d/*{ext}*.ini"),
                "sudo dnf check-update 'php*'".to_string(),
            ),
        };
        f.fixes.push(safe(list, SUSPECTS));
        f.fixes.push(review(disable, disable_why));
        f.fixes.push(disruptive(
            svc.restart(),
            format!("restart `{}` with the extension disabled", svc.name),
        ));
        f.fixes.push(safe(
            update,
            if bsd {
                "crash fixes usually come as PHP or extension updates (-n only lists them)"
            } else {
                "crash fixes usually come as PHP or extension updates"
            },
        ));
        if !bsd {
            let (file, _) = pool_file(ctx, "www", &svc.name);
            f.fixes.push(review(
                format!("# for a backtrace, in {file}:\nrlimit_core = unlimited\n# then after the next crash: coredumpctl list php-fpm* && coredumpctl info <pid>"),
                "a core dump names the exact function that crashed",
            ));
        }
    }
    f.verify.push(match svc.manager {
        Manager::Docker => format!("docker compose logs --since 1h {} 2>&1 | grep -c 'SIGSEGV'   # run again later: expect no growth", svc.name),
        Manager::DockerRun => format!("docker logs --since 1h {} 2>&1 | grep -c 'SIGSEGV'   # run again later: expect no growth", svc.name),
        _ => format!(
            "sudo grep -c 'SIGSEGV' {}   # run again later: expect no growth",
            fpm_log(ctx, &svc.name)
        ),
    });
    let through = super::fixes::curl_through_nginx(ctx, &f);
    f.verify.push(through);
    if library.is_none() {
        f.next.push(next(
            "sudo dmesg -T | grep -i segfault | tail -n 5",
            if svc.manager.is_docker() {
                "the kernel's segfault line names the library that crashed (containers share the host's kernel)"
            } else {
                "the kernel's segfault line names the library that crashed"
            },
        ));
    }
    vec![f]
}

//! The causes Upstream Doctor can name: one file per cause, one registry.
//!
//! Each cause file holds a [`Rule`]: a stable id (never renamed, never
//! reused), the contract family it belongs to, a title, its documentation
//! in fixed sections (rendered as the cause's help page) and a `check`
//! function from [`Ctx`] (the facts plus shared queries) to findings.
//!
//! After every rule ran, findings that another finding explains (a gunicorn
//! worker timeout explains the `upstream prematurely closed connection`
//! nginx logged) are ranked below their explanation: process-level evidence
//! beats socket-level symptoms (reference §5.2).

pub mod ctx;
pub mod fixes;
pub mod hints;

// Rules added with the cause catalogue (§2.7–2.26); `common` holds their shared queries.
mod backend_oom;
mod boot;
mod common;
mod config_error;
mod dns_resolution;
mod ephemeral_ports;
mod fastcgi_protocol_mismatch;
mod fd_exhaustion;
mod fpm_child_crash;
mod fpm_exec_timeout;
mod fpm_pool_exhausted;
mod gunicorn_worker_timeout;
mod header_too_big;
mod http2_upstream_mismatch;
mod keepalive_race;
mod no_live_upstreams;
mod no_route_to_host;
mod php_fatal_error;
mod port_in_use;
mod upstream_closed_early;
mod upstream_invalid_header;
mod upstream_reset;
mod upstream_ssl;
mod upstream_write_failed;
mod uwsgi_harakiri;
mod uwsgi_protocol_mismatch;

mod container_loopback;
mod ipv6_localhost;
mod pm2_not_online;
mod selinux_denied;
mod socket_missing;
mod socket_permission;
mod systemd_unit_failed;
mod upstream_down;
mod upstream_timeout;
mod wrong_port;

pub use ctx::Ctx;

use crate::facts::EvidenceLine;
use crate::report::{Cause, Fix, NextStep};

/// Sections every cause's documentation must have, in this order.
pub const DOC_SECTIONS: &[&str] = &[
    "## What it means",
    "## Why nginx answers 502 or 504",
    "## Evidence",
    "## Fix",
    "## Verify",
    "## Known problems",
];

/// One cause: identity, docs and the check.
pub struct Rule {
    pub id: &'static str,
    /// A contract id (shared/contract.md); equals `id` for contract causes.
    pub family: &'static str,
    pub title: &'static str,
    /// Markdown with every [`DOC_SECTIONS`] heading.
    pub docs: &'static str,
    /// Message fragments that identify this cause (for search and help).
    pub signatures: &'static [&'static str],
    pub check: fn(&Ctx) -> Vec<Finding>,
}

/// What a rule found: becomes a [`Cause`] in the report.
#[derive(Clone, Debug, Default)]
pub struct Finding {
    pub title: String,
    pub summary: String,
    pub confidence: f64,
    pub events: u64,
    pub evidence: Vec<EvidenceLine>,
    pub fixes: Vec<Fix>,
    pub verify: Vec<String>,
    pub next: Vec<NextStep>,
    pub upstreams: Vec<String>,
    pub servers: Vec<String>,
    pub first_time: Option<i64>,
    pub last_time: Option<i64>,
    pub status: Option<u16>,
    pub reasoning: Vec<String>,
    /// Ids of generic causes this finding explains (ranked below it).
    pub explains: Vec<&'static str>,
    /// Minute buckets for the timeline.
    pub per_minute: std::collections::BTreeMap<i64, u64>,
}

/// Every rule, in a stable order. Ids are unique (a test checks).
pub static RULES: &[&Rule] = &[
    &upstream_down::RULE,
    &socket_missing::RULE,
    &upstream_timeout::RULE,
    &wrong_port::RULE,
    &ipv6_localhost::RULE,
    &socket_permission::RULE,
    &selinux_denied::RULE,
    &container_loopback::RULE,
    &pm2_not_online::RULE,
    &systemd_unit_failed::RULE,
    &backend_oom::RULE,
    &config_error::RULE,
    &dns_resolution::RULE,
    &ephemeral_ports::RULE,
    &fastcgi_protocol_mismatch::RULE,
    &fd_exhaustion::RULE,
    &fpm_child_crash::RULE,
    &fpm_exec_timeout::RULE,
    &fpm_pool_exhausted::RULE,
    &gunicorn_worker_timeout::RULE,
    &header_too_big::RULE,
    &http2_upstream_mismatch::RULE,
    &keepalive_race::RULE,
    &no_live_upstreams::RULE,
    &no_route_to_host::RULE,
    &php_fatal_error::RULE,
    &port_in_use::RULE,
    &upstream_closed_early::RULE,
    &upstream_invalid_header::RULE,
    &upstream_reset::RULE,
    &upstream_ssl::RULE,
    &upstream_write_failed::RULE,
    &uwsgi_harakiri::RULE,
    &uwsgi_protocol_mismatch::RULE,
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// Run every rule and rank the findings.
pub fn run(ctx: &Ctx) -> Vec<(&'static Rule, Finding)> {
    let mut out: Vec<(&'static Rule, Finding)> = Vec::new();
    for r in RULES {
        for f in (r.check)(ctx) {
            out.push((r, f));
        }
    }
    // Demote what another finding explains.
    let explained: Vec<(&'static str, &'static str)> = out
        .iter()
        .flat_map(|(r, f)| f.explains.iter().map(move |e| (*e, r.id)))
        .collect();
    for (r, f) in out.iter_mut() {
        if let Some((_, by)) = explained.iter().find(|(e, by)| *e == r.id && *by != r.id) {
            f.confidence = (f.confidence * 0.6).min(0.6);
            f.reasoning
                .push(format!("ranked below `{by}`, which explains these lines"));
        }
    }
    for (_, f) in out.iter_mut() {
        f.confidence = f.confidence.clamp(0.0, 1.0);
        quote_source(&mut f.evidence, &ctx.facts.source_lines);
        if ctx.facts.ingress_nginx {
            for_ingress(&ctx.ingress_controller(), f);
        }
        match ctx.host_os() {
            ctx::HostOs::Mac => for_bsd(ctx, f),
            ctx::HostOs::Windows => {
                // nginx for Windows runs from its folder, without sudo.
                for n in f.next.iter_mut() {
                    if let Some(rest) = n.paste.strip_prefix("sudo nginx -T") {
                        n.paste = format!("nginx.exe -T{rest}   # cmd.exe, in nginx's folder");
                    }
                }
            }
            ctx::HostOs::Linux => {}
        }
    }
    out.sort_by(|(ra, a), (rb, b)| {
        b.confidence
            .partial_cmp(&a.confidence)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.events.cmp(&a.events))
            .then(ra.id.cmp(rb.id))
    });
    out
}

/// ingress-nginx has no `systemctl reload nginx` and no error.log file on
/// the host: the controller reloads itself after an Ingress or ConfigMap
/// change, and its log is the pod's. The steps every rule words alike are
/// said that way here, once.
/// macOS and FreeBSD have BSD tools: `sed -i` takes a backup suffix
/// (`-i ''` for none), knows no `--follow-symlinks` nor `\s`, and `ss`
/// does not exist. Rules write GNU/Linux commands; they are made to work
/// here in one place.
fn for_bsd(ctx: &Ctx, f: &mut Finding) {
    let sed = |c: &str| -> String {
        if !c.contains("sed -i") {
            return c.to_string();
        }
        c.replace("sed -i --follow-symlinks", "sed -i ''")
            .replace("sed -i -E", "sed -i '' -E")
            .replace("sed -i 's", "sed -i '' 's")
            .replace("\\s", "[[:space:]]")
    };
    let listeners = match ctx.distro() {
        crate::facts::Distro::FreeBsd => "sockstat -46l",
        _ => "sudo lsof -nP -iTCP -sTCP:LISTEN",
    };
    for fix in f.fixes.iter_mut() {
        fix.command = sed(&fix.command);
        // Homebrew's tree belongs to the user, who runs its services.
        if fix.command.contains("$(brew --prefix)") {
            fix.command = fix
                .command
                .split('\n')
                .map(|l| match l.strip_prefix("sudo ") {
                    Some(c) if c.contains("$(brew --prefix)") => c,
                    _ => l,
                })
                .collect::<Vec<_>>()
                .join("\n");
        }
    }
    for n in f.next.iter_mut() {
        if n.paste == "sudo ss -tlnp" {
            n.paste = listeners.into();
        }
    }
}

fn for_ingress(controller: &ctx::IngressController, f: &mut Finding) {
    let reload_check = controller.reload_check();
    let kubectl = controller.kubectl();
    let target = &controller.target;
    for fix in f.fixes.iter_mut() {
        if fix.command == reload_check {
            fix.risk = crate::report::Risk::Safe;
            fix.why = "the controller reloads nginx by itself after the change: check that it did, without errors".into();
        }
    }
    for n in f.next.iter_mut() {
        if let Some(rest) = n.paste.strip_prefix("sudo nginx -T") {
            n.paste = format!("{kubectl} exec {target} -- nginx -T{rest}");
        }
    }
    const TAIL: &str = "sudo tail -n 50 -f /var/log/nginx/error.log | grep --line-buffered ";
    for v in f.verify.iter_mut() {
        if let Some(rest) = v.strip_prefix(TAIL) {
            *v = format!("{kubectl} logs -f --since 1m {target} | grep --line-buffered {rest}");
        }
    }
    // The standard install's names stand in for the paste's: say how to
    // find the real ones, once.
    let uses_default = f
        .fixes
        .iter()
        .map(|x| x.command.as_str())
        .chain(f.verify.iter().map(String::as_str))
        .any(|c| c.contains(target.as_str()));
    if !controller.known && uses_default {
        f.next.push(fixes::next(
            "kubectl get pods -A -l app.kubernetes.io/name=ingress-nginx -o wide",
            "names the controller's pod and namespace (when they are not `ingress-nginx-controller` in `ingress-nginx`, use those in the commands above)",
        ));
    }
}

/// Evidence is a span of the input, never a paraphrase: a rule may describe
/// a table row or a config line it read through the facts, and here its
/// text is replaced by the line exactly as pasted, with the mark moved onto
/// the same words there (or dropped when they are not on that line).
fn quote_source(evidence: &mut [EvidenceLine], source: &std::collections::BTreeMap<u64, String>) {
    for e in evidence.iter_mut() {
        let Some(real) = source.get(&e.line) else {
            continue;
        };
        if *real == e.text {
            continue;
        }
        let needle = e
            .mark
            .and_then(|(a, b)| e.text.get(a..b))
            .map(str::to_string);
        e.text = real.clone();
        e.mark = needle
            .filter(|n| !n.is_empty())
            .and_then(|n| real.find(&n).map(|i| (i, i + n.len())));
    }
}

/// Turn a finding into the report's cause.
pub fn to_cause(rule: &Rule, f: Finding) -> Cause {
    Cause {
        id: rule.id.to_string(),
        family: rule.family.to_string(),
        title: if f.title.is_empty() {
            rule.title.to_string()
        } else {
            f.title
        },
        confidence: (f.confidence * 100.0).round() / 100.0,
        events: f.events,
        summary: f.summary,
        evidence: f.evidence,
        fixes: f.fixes,
        verify: f.verify,
        next: f.next,
        upstreams: f.upstreams,
        servers: f.servers,
        first_seen: f.first_time.map(crate::time::format_time),
        last_seen: f.last_time.map(crate::time::format_time),
        status: f.status,
        reasoning: f.reasoning,
    }
}

impl Finding {
    /// Counts, evidence, upstreams, servers and times gathered from groups.
    pub fn from_groups(groups: &[&crate::facts::EventGroup]) -> Finding {
        let mut f = Finding::default();
        let mut ev: Vec<EvidenceLine> = Vec::new();
        // Every group's minutes, summed (see `sum_minutes`).
        let mut minutes: Vec<(i64, u64)> = Vec::new();
        for g in groups {
            f.events += g.count;
            ev.extend(g.evidence().cloned());
            if let Some(u) = &g.key.upstream {
                push_unique(&mut f.upstreams, u.addr.display());
            } else if let Some(s) = &g.key.server {
                push_unique(&mut f.upstreams, s.clone());
            }
            for h in &g.hosts {
                push_unique(&mut f.servers, h.clone());
            }
            f.first_time = match (f.first_time, g.first_time) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            f.last_time = match (f.last_time, g.last_time) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            minutes.extend(g.per_minute.iter());
        }
        f.per_minute = sum_minutes(minutes).into_iter().collect();
        ev.sort_by_key(|e| e.line);
        ev.dedup_by_key(|e| e.line);
        // Keep the evidence short: first lines of each group, then the latest.
        if ev.len() > 8 {
            let tail = ev.split_off(ev.len() - 2);
            ev.truncate(6);
            ev.extend(tail);
        }
        f.evidence = ev;
        f
    }

    /// Add supporting evidence lines (from tables or configs), keeping order.
    pub fn add_evidence(&mut self, e: EvidenceLine) {
        if !self.evidence.iter().any(|x| x.line == e.line) {
            self.evidence.push(e);
            self.evidence.sort_by_key(|e| e.line);
        }
    }
}

/// `(minute, count)` pairs summed per minute, in minute order.
///
/// The pairs are the minutes of several groups, one after the other. When
/// they span few minutes compared with their number (a long log: many
/// groups over the same hours), each is added into a slot per minute of the
/// span, one pass and no comparisons (this was a tenth of a 10 MB log's
/// time); otherwise they are sorted (each
/// group's run is already in order, which the stable sort merges) and equal
/// minutes folded.
fn sum_minutes(mut minutes: Vec<(i64, u64)>) -> Vec<(i64, u64)> {
    let (Some(lo), Some(hi)) = (
        minutes.iter().map(|&(m, _)| m).min(),
        minutes.iter().map(|&(m, _)| m).max(),
    ) else {
        return minutes;
    };
    let span = hi.abs_diff(lo);
    // At most half a year of minutes (4 MB of slots), and not sparse.
    if span < (1 << 18) && span < 4 * minutes.len() as u64 {
        let mut slots: Vec<Option<u64>> = vec![None; span as usize + 1];
        for &(m, c) in &minutes {
            let slot = &mut slots[m.abs_diff(lo) as usize];
            *slot = Some(slot.map_or(c, |n| n + c));
        }
        return slots
            .iter()
            .zip(lo..=hi)
            .filter_map(|(c, m)| c.map(|c| (m, c)))
            .collect();
    }
    minutes.sort_by_key(|&(m, _)| m);
    minutes.dedup_by(|later, kept| {
        let same = later.0 == kept.0;
        if same {
            kept.1 += later.1;
        }
        same
    });
    minutes
}

pub fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) && v.len() < 16 {
        v.push(s);
    }
}

/// Count words for summaries: `1 line`, `118 lines`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    /// BSD sed: `-i ''`, POSIX classes for `\s`; Homebrew's files without sudo.
    #[test]
    fn bsd_and_homebrew_get_commands_that_run_there() {
        let bsd = crate::analyze_str("FreeBSD 14 with php82\n2024/03/02 14:11:09 [crit] 1402#100451: *17 connect() to unix:/var/run/php-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 192.0.2.1, server: a.example, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/var/run/php-fpm.sock:\", host: \"a.example\"\n");
        let sed = bsd.causes[0]
            .fixes
            .iter()
            .find(|f| f.command.contains("sed -i"))
            .map(|f| f.command.clone())
            .unwrap_or_default();
        assert!(sed.starts_with("sudo sed -i '' -E "), "{sed}");
        assert!(sed.contains("[[:space:]]") && !sed.contains("\\s"), "{sed}");
        let brew = crate::analyze_str("2024/02/02 10:13:11 [error] 2231#0: *318 upstream timed out (60: Operation timed out) while reading response header from upstream, client: 127.0.0.1, server: a.test, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"a.test\"\n[02-Feb-2024 10:11:40] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it\n$ brew services list\nphp@8.2 started me   ~/Library/LaunchAgents/homebrew.mxcl.php@8.2.plist\n");
        let all: Vec<&str> = brew.causes[0]
            .fixes
            .iter()
            .map(|f| f.command.as_str())
            .collect();
        assert!(
            all.iter().any(|c| c.contains("\nsed -i '' -E ")
                && c.contains("\"$(brew --prefix)/etc/php/8.2/php-fpm.d/www.conf\"")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|c| c.ends_with("brew services restart php@8.2")),
            "{all:?}"
        );
    }

    use super::*;

    #[test]
    fn minutes_are_summed_as_sorting_and_folding_sums_them() {
        let reference = |v: &[(i64, u64)]| {
            let mut m = std::collections::BTreeMap::new();
            for &(k, c) in v {
                *m.entry(k).or_insert(0u64) += c;
            }
            m.into_iter().collect::<Vec<_>>()
        };
        let cases: Vec<Vec<(i64, u64)>> = vec![
            vec![],
            vec![(5, 1)],
            vec![(i64::MIN, 1), (i64::MAX, 2)],
            vec![(i64::MAX, 1), (i64::MAX, 2)],
            vec![(-3, 1), (-1, 2), (0, 3), (-3, 4), (2, 1), (-1, 1)],
            (0..50)
                .map(|i| (i % 7, i as u64 + 1))
                .chain((0..50).map(|i| (i, 1)))
                .collect(),
            vec![(1, 1), (1_000_000, 1), (2, 5)],
        ];
        for c in cases {
            assert_eq!(sum_minutes(c.clone()), reference(&c), "{c:?}");
        }
    }

    #[test]
    fn ids_are_unique_and_snake_case() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule id");
        for id in ids {
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()),
                "{id}"
            );
        }
    }

    #[test]
    fn every_rule_has_every_doc_section() {
        for r in RULES {
            let mut at = 0;
            for s in DOC_SECTIONS {
                let i = r.docs[at..]
                    .find(s)
                    .unwrap_or_else(|| panic!("{}: missing or misplaced section {s:?}", r.id));
                at += i + s.len();
            }
        }
    }

    #[test]
    fn families_are_contract_ids() {
        for r in RULES {
            assert!(
                crate::CONTRACT_IDS.contains(&r.family),
                "{}: family {}",
                r.id,
                r.family
            );
        }
    }
}

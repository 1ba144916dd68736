//! `kubectl describe pod`: per pod, its namespace, its containers' state
//! and last termination (`Reason: OOMKilled`, `Exit Code: 137`), restart
//! count, readiness, memory limit, and the pod's events (`BackOff`,
//! `OOMKilling`).
//!
//! Why: behind ingress-nginx (or any nginx proxying to a Service), a pod
//! that was killed for memory and restarted shows as "upstream prematurely
//! closed" and "connection refused" in nginx's log, and the pod itself
//! says why only here: `kubectl get pods` shows `Running` again once it
//! has restarted, while `Last State: Terminated, Reason: OOMKilled` stays.
//!
//! The output is read by indentation: pod fields at column 0, each
//! container under `Containers:` at two spaces, its fields at four, the
//! reason of a `State:`/`Last State:` and the entries of `Limits:` at six.
//! A pod becomes one [`Container`] (named after the pod, as a `kubectl get
//! pods` row is), the first container's state standing for it.

use super::BlockLine;
use crate::facts::{Container, Facts};

/// `Key:` or `Key:   value` with a key of words (`Last State`, `Exit Code`,
/// `QoS Class`, `Node-Selectors`): (indent, key, value).
fn field(line: &str) -> Option<(usize, &str, &str)> {
    let t = line.trim_start();
    let indent = line.len() - t.len();
    let (k, v) = t.split_once(':')?;
    let wordy = !k.is_empty()
        && k.len() <= 32
        && k.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && k.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b' ' | b'-' | b'.' | b'/' | b'_'));
    if !wordy || !(v.is_empty() || v.starts_with([' ', '\t'])) {
        return None;
    }
    Some((indent, k, v.trim()))
}

/// A pod name as Kubernetes writes them: lowercase letters, digits, `-`
/// and `.`, with a `-` (a workload's pods are `name-hash-hash`).
fn pod_name(v: &str) -> bool {
    v.contains('-')
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

/// The first line of `kubectl describe pod` output: `Name:   api-7d9f8-x2lqp`.
pub fn starts(line: &str) -> bool {
    line.strip_prefix("Name:")
        .is_some_and(|v| v.starts_with("  ") && pod_name(v.trim()))
}

/// A line of the output: a field, an indented line (container fields,
/// labels, events, volumes), or a section's own line.
pub fn continues(line: &str) -> bool {
    line.starts_with([' ', '\t']) || field(line).is_some()
}

/// What a container's fields said.
#[derive(Default)]
struct Seen {
    image: Option<String>,
    state: Option<String>,
    state_reason: Option<String>,
    last_reason: Option<String>,
    exit_code: Option<i32>,
    ready: Option<bool>,
    ports: Vec<String>,
    memory_limit: Option<String>,
    /// The line of a `Reason: OOMKilled`.
    oom_line: Option<u64>,
}

/// Which `State:` a `Reason:`/`Exit Code:` belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Under {
    Other,
    State,
    LastState,
    Limits,
}

/// One pod's output, read so far.
#[derive(Default)]
struct Pod {
    name: String,
    line: u64,
    namespace: Option<String>,
    containers: Vec<Seen>,
    oom_event: bool,
}

pub fn parse(lines: &[BlockLine], facts: &mut Facts) {
    let mut pod: Option<Pod> = None;
    let mut section = "";
    let mut under = Under::Other;
    for l in lines {
        let text = l.text.trim_end();
        if text.starts_with("$ ") {
            continue;
        }
        let parsed = field(text);
        let Some(p) = pod.as_mut() else {
            if let Some((0, "Name", v)) = parsed.filter(|f| pod_name(f.2)) {
                pod = Some(Pod {
                    name: v.to_string(),
                    line: l.no,
                    ..Pod::default()
                });
                section = "Name";
            }
            continue;
        };
        let Some((indent, key, value)) = parsed else {
            // Event rows: `  Warning  OOMKilling  2m  kernel-monitor  Memory cgroup out of memory: …`.
            p.oom_event |= section == "Events" && text.contains("OOMKill");
            continue;
        };
        if indent == 0 {
            under = Under::Other;
            section = key;
            match key {
                "Name" if pod_name(value) => {
                    if let Some(done) = pod.replace(Pod {
                        name: value.to_string(),
                        line: l.no,
                        ..Pod::default()
                    }) {
                        push_pod(done, facts);
                    }
                }
                "Namespace" => p.namespace = Some(value.to_string()).filter(|v| !v.is_empty()),
                _ => {}
            }
            continue;
        }
        if section == "Events" {
            p.oom_event |= text.contains("OOMKill");
            continue;
        }
        if section != "Containers" {
            continue;
        }
        if indent == 2 && value.is_empty() {
            p.containers.push(Seen::default());
            under = Under::Other;
            continue;
        }
        let Some(c) = p.containers.last_mut() else {
            continue;
        };
        if indent == 4 {
            under = Under::Other;
            match key {
                "Image" => c.image = Some(value.to_string()),
                "Port" | "Ports" => c.ports.extend(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty() && *p != "<none>")
                        .map(str::to_string),
                ),
                "State" => {
                    c.state = Some(value.to_string());
                    under = Under::State;
                }
                "Last State" => under = Under::LastState,
                "Ready" => c.ready = Some(value.eq_ignore_ascii_case("true")),
                "Limits" => under = Under::Limits,
                _ => {}
            }
            continue;
        }
        match (under, key) {
            (Under::State | Under::LastState, "Reason") if value == "OOMKilled" => {
                c.oom_line.get_or_insert(l.no);
                if under == Under::State {
                    c.state_reason = Some(value.to_string());
                } else {
                    c.last_reason = Some(value.to_string());
                }
            }
            (Under::State, "Reason") => c.state_reason = Some(value.to_string()),
            (Under::State, "Exit Code") => c.exit_code = value.parse().ok(),
            (Under::LastState, "Reason") => c.last_reason = Some(value.to_string()),
            (Under::LastState, "Exit Code") if c.exit_code.is_none() => {
                c.exit_code = value.parse().ok()
            }
            (Under::Limits, "memory") => c.memory_limit = Some(value.to_string()),
            _ => {}
        }
    }
    if let Some(done) = pod {
        push_pod(done, facts);
    }
}

fn push_pod(pod: Pod, facts: &mut Facts) {
    facts.kubernetes = true;
    let containers = &pod.containers;
    let oom = pod.oom_event
        || containers.iter().any(|c| {
            [&c.state_reason, &c.last_reason]
                .iter()
                .any(|r| r.as_deref() == Some("OOMKilled"))
        });
    let first = containers.first();
    let status = match first.and_then(|c| c.state.as_deref()) {
        Some("Running") => "running",
        Some("Terminated") => "exited",
        Some("Waiting")
            if first.and_then(|c| c.state_reason.as_deref()) == Some("CrashLoopBackOff") =>
        {
            "restarting"
        }
        Some("Waiting") => "created",
        _ => "running",
    };
    let health = match first.and_then(|c| c.ready) {
        Some(false) if status == "running" => Some("unhealthy".to_string()),
        _ => None,
    };
    facts.containers.push(Container {
        name: pod.name,
        image: first.and_then(|c| c.image.clone()),
        status: status.to_string(),
        exit_code: first.and_then(|c| c.exit_code),
        health,
        ports: first.map(|c| c.ports.clone()).unwrap_or_default(),
        oom_killed: oom.then_some(true),
        namespace: pod.namespace,
        memory_limit: containers.iter().find_map(|c| c.memory_limit.clone()),
        // The line that says it best: the OOMKilled reason, else the name.
        line: containers
            .iter()
            .find_map(|c| c.oom_line)
            .unwrap_or(pod.line),
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const OOM: &str = "Name:             reports-api-7d9f8c6b5-x2lqp
Namespace:        reports
Labels:           app=reports-api
Status:           Running
Containers:
  api:
    Image:          registry.acme.io/reports-api:2.14.0
    Port:           3000/TCP
    State:          Running
      Started:      Thu, 18 Jul 2024 13:02:13 +0000
    Last State:     Terminated
      Reason:       OOMKilled
      Exit Code:    137
    Ready:          True
    Restart Count:  6
    Limits:
      memory:  512Mi
    Requests:
      cpu:        250m
      memory:     256Mi
Events:
  Type     Reason   Age                 From     Message
  ----     ------   ----                ----     -------
  Warning  BackOff  2m (x4 over 80m)    kubelet  Back-off restarting failed container api in pod reports-api-7d9f8c6b5-x2lqp_reports";

    #[test]
    fn oom_killed_last_state() {
        let f = crate::artifacts::parse_text(OOM, parse);
        assert!(f.kubernetes);
        let c = &f.containers[0];
        assert_eq!(c.name, "reports-api-7d9f8c6b5-x2lqp");
        assert_eq!(c.namespace.as_deref(), Some("reports"));
        assert_eq!(
            (c.status.as_str(), c.exit_code, c.oom_killed),
            ("running", Some(137), Some(true))
        );
        assert_eq!(c.memory_limit.as_deref(), Some("512Mi"));
        assert_eq!(c.ports, ["3000/TCP"]);
        assert_eq!(c.line, 12, "the Reason: OOMKilled line");
    }

    #[test]
    fn crash_loop_without_oom() {
        let text = "Name:         web-5c9b7-abcde\nNamespace:    default\nContainers:\n  web:\n    State:          Waiting\n      Reason:       CrashLoopBackOff\n    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n    Ready:          False\n";
        let f = crate::artifacts::parse_text(text, parse);
        let c = &f.containers[0];
        assert_eq!(
            (c.status.as_str(), c.exit_code, c.oom_killed),
            ("restarting", Some(1), None)
        );
    }

    #[test]
    fn starts_only_on_a_pod_name() {
        assert!(starts("Name:         web-5c9b7-abcde"));
        assert!(!starts("Name: nginx"));
        assert!(!starts("Name:         My Server"));
        assert!(continues("    State:          Running"));
        assert!(continues("Events:"));
        assert!(!continues(
            "2024/07/18 13:02:11 [error] 1204#1204: *1 connect() failed"
        ));
    }
}

//! The report: what the CLI prints with `--json`, what the web app renders,
//! what a share link carries. Its JSON shape is the contract in
//! `shared/contract.md` (version 1): fields may be added, never renamed.

use crate::artifacts::{Kind, ParseWarning};
use crate::facts::EvidenceLine;
use serde::{Deserialize, Serialize};

pub const REPORT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub version: u32,
    pub artifacts: Vec<ArtifactInfo>,
    /// Rank order, most likely first. May be empty (then see `next`).
    pub causes: Vec<Cause>,
    /// What to paste next when no cause was found (or evidence is thin).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<NextStep>,
    /// One sentence for the top of the page.
    pub headline: String,
    #[serde(default)]
    pub stats: Stats,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
    /// Collector sections found in the paste (`### upstream-doctor: <section> ###`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<String>,
    /// Events per minute by cause, when the logs carry dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Timeline>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactInfo {
    pub kind: Kind,
    pub first_line: u64,
    pub last_line: u64,
    /// Lines that belonged to this artifact.
    pub lines: u64,
    /// Human label (`nginx -T`, `nginx error.log`).
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cause {
    pub id: String,
    pub family: String,
    pub title: String,
    /// In [0, 1].
    pub confidence: f64,
    /// Log events behind this cause (0 when the proof is a config or a table).
    pub events: u64,
    /// One or two sentences: what happened and why nginx answered 502/504.
    pub summary: String,
    pub evidence: Vec<EvidenceLine>,
    pub fixes: Vec<Fix>,
    pub verify: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next: Vec<NextStep>,
    /// Upstream addresses involved (`127.0.0.1:3000`, `unix:/run/php/php8.1-fpm.sock`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstreams: Vec<String>,
    /// nginx `server:` names / hosts involved.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<String>,
    /// HTTP status nginx answers with for this cause (502 or 504; 503 for
    /// ingress-nginx's Service without endpoints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Why this rank: the confidence reasoning in words.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasoning: Vec<String>,
}

/// How careful to be with a fix step (clippy's applicability, for shells).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Read-only or trivially reversible.
    #[default]
    Safe,
    /// Edits a file: read the change before running it.
    Review,
    /// Restarts or stops something users are connected to.
    Disruptive,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub command: String,
    pub why: String,
    #[serde(default)]
    pub risk: Risk,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextStep {
    /// The command whose output to paste (`sudo ss -tlnp`).
    pub paste: String,
    pub why: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub bytes: u64,
    pub lines: u64,
    /// nginx error.log lines seen (any level).
    pub error_log_lines: u64,
    /// Lines recognised as a signal (any source).
    pub events: u64,
    /// 502/504 answers seen in access logs.
    pub access_5xx: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub message: String,
}

impl From<ParseWarning> for Warning {
    fn from(w: ParseWarning) -> Self {
        Warning {
            line: Some(w.line),
            message: w.message,
        }
    }
}

/// Events per minute: `minutes[i]` is the minute label, `series[c].counts[i]`
/// the count for cause `c` in that minute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    pub minutes: Vec<String>,
    pub series: Vec<Series>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub cause: String,
    pub counts: Vec<u64>,
}

impl Report {
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!("{{\"version\":1,\"error\":\"could not serialise the report: {e}\"}}")
        })
    }
}

//! All of the page's state, in one reducer. Pure: no DOM, no worker; the
//! components dispatch [`Action`]s and perform the effects.

use analyzer_core::artifacts::Kind;
use analyzer_core::segment::KindOverride;
use analyzer_core::Report;
use std::rc::Rc;
use yew::Reducible;

/// Pastes up to this size are diagnosed as you type.
pub const AUTO_DIAGNOSE_MAX: usize = 512 * 1024;

/// What a job reads.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Paste,
    Files(Vec<String>),
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::Paste => "the pasted text".to_string(),
            Source::Files(names) if names.len() == 1 => names[0].clone(),
            Source::Files(names) => format!("{} files ({})", names.len(), names.join(", ")),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    pub bytes: f64,
    pub total: f64,
    pub elapsed_ms: f64,
    pub file: Option<String>,
}

/// A job in flight.
#[derive(Clone, Debug, PartialEq)]
pub struct Running {
    pub job: u32,
    pub source: Source,
    pub progress: Progress,
    /// The pasted text this job reads (`None` for files).
    pub text: Option<Rc<str>>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppState {
    pub paste: Rc<str>,
    /// The last job id handed out.
    pub last_job: u32,
    pub running: Option<Running>,
    pub report: Option<Rc<Report>>,
    /// What the shown report was made from.
    pub report_source: Option<Source>,
    /// The pasted text the shown report was made from (for a share link
    /// with its input); `None` when it came from files.
    pub report_paste: Option<Rc<str>>,
    /// A friendly error (the worker failed or the app panicked): details.
    pub errors: Vec<String>,
    /// A short status line for screen readers and the eye.
    pub notice: Option<String>,
    /// The user's kind corrections for the current input (artifact chips).
    /// Editing the paste or opening other files drops them: their line
    /// numbers belong to this input.
    pub overrides: Rc<Vec<KindOverride>>,
}

/// A change of kind for lines `first_line..=last_line`; `kind: None`
/// gives them back to automatic detection.
#[derive(Clone, Debug, PartialEq)]
pub struct KindChange {
    pub first_line: u64,
    pub last_line: u64,
    pub kind: Option<Kind>,
}

/// `overrides` with `change` applied: corrections inside its range are
/// replaced by it.
pub fn apply_change(overrides: &[KindOverride], change: &KindChange) -> Vec<KindOverride> {
    let mut out: Vec<KindOverride> = overrides
        .iter()
        .copied()
        .filter(|o| !(change.first_line <= o.first_line && o.last_line <= change.last_line))
        .collect();
    if let Some(kind) = change.kind {
        out.push(KindOverride {
            first_line: change.first_line,
            last_line: change.last_line,
            kind,
        });
    }
    out
}

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// The paste text changed (typing, sample, restore).
    SetPaste(Rc<str>),
    /// Clear the paste and the results.
    Clear,
    /// A job was posted to the worker.
    Started {
        job: u32,
        source: Source,
        total: f64,
    },
    Progress {
        job: u32,
        progress: Progress,
    },
    Report {
        job: u32,
        report: Rc<Report>,
    },
    /// `job: None` means the worker itself failed.
    Failed {
        job: Option<u32>,
        message: String,
    },
    Cancelled {
        job: u32,
    },
    DismissError,
    /// New kind corrections (a diagnosis with them follows).
    SetOverrides(Rc<Vec<KindOverride>>),
}

impl AppState {
    pub fn with_paste(paste: &str) -> Self {
        AppState {
            paste: Rc::from(paste),
            ..AppState::default()
        }
    }

    /// The id the next job will get.
    pub fn next_job(&self) -> u32 {
        self.last_job + 1
    }

    pub fn is_current(&self, job: u32) -> bool {
        self.running.as_ref().is_some_and(|r| r.job == job)
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetPaste(p) => {
                // An emptied paste takes its diagnosis with it (not a file's).
                if p.trim().is_empty() && s.report_source == Some(Source::Paste) {
                    s.report = None;
                    s.report_source = None;
                    s.report_paste = None;
                    if s.running
                        .as_ref()
                        .is_some_and(|r| r.source == Source::Paste)
                    {
                        s.running = None;
                    }
                }
                if p != s.paste && !s.overrides.is_empty() {
                    s.overrides = Rc::default();
                }
                s.paste = p;
            }
            Action::Clear => {
                s.paste = Rc::from("");
                s.report = None;
                s.report_source = None;
                s.report_paste = None;
                s.running = None;
                s.errors.clear();
                s.overrides = Rc::default();
                s.notice = Some("Cleared.".into());
            }
            Action::Started { job, source, total } => {
                s.last_job = s.last_job.max(job);
                // A paste job reads the paste as it is now (the runner
                // starts one right after the text settles).
                let text = (source == Source::Paste).then(|| s.paste.clone());
                s.running = Some(Running {
                    job,
                    text,
                    source,
                    progress: Progress {
                        bytes: 0.0,
                        total,
                        elapsed_ms: 0.0,
                        file: None,
                    },
                });
                s.notice = None;
            }
            Action::Progress { job, progress } => match s.running.as_mut() {
                Some(r) if r.job == job => r.progress = progress,
                _ => return self,
            },
            Action::Report { job, report } => {
                if !s.is_current(job) {
                    return self;
                }
                let running = s.running.take();
                s.report_paste = running.as_ref().and_then(|r| r.text.clone());
                s.report_source = running.map(|r| r.source);
                s.notice = Some(format!(
                    "Diagnosis ready: {} cause{} found.",
                    report.causes.len(),
                    if report.causes.len() == 1 { "" } else { "s" }
                ));
                s.report = Some(report);
                s.errors.clear();
            }
            Action::Failed { job, message } => {
                if let Some(j) = job {
                    if !s.is_current(j) && j != s.last_job {
                        return self;
                    }
                }
                s.running = None;
                if !s.errors.contains(&message) {
                    s.errors.push(message);
                }
            }
            Action::Cancelled { job } => {
                if !s.is_current(job) {
                    return self;
                }
                s.running = None;
                s.notice = Some("Cancelled.".into());
            }
            Action::DismissError => s.errors.clear(),
            Action::SetOverrides(o) => s.overrides = o,
        }
        Rc::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(s: AppState, a: Action) -> AppState {
        (*Rc::new(s).reduce(a)).clone()
    }

    fn started(job: u32) -> Action {
        Action::Started {
            job,
            source: Source::Paste,
            total: 10.0,
        }
    }

    fn report() -> Rc<Report> {
        Rc::new(analyzer_core::analyze(crate::SAMPLE.as_bytes()))
    }

    #[test]
    fn a_report_for_the_current_job_is_shown() {
        let s = reduce(AppState::with_paste("x"), started(1));
        assert!(s.running.is_some());
        let s = reduce(
            s,
            Action::Report {
                job: 1,
                report: report(),
            },
        );
        assert!(s.running.is_none());
        assert!(s.report.is_some());
        assert_eq!(s.report_source, Some(Source::Paste));
    }

    #[test]
    fn answers_to_old_jobs_are_dropped() {
        let s = reduce(AppState::default(), started(1));
        let s = reduce(s, started(2));
        let s = reduce(
            s,
            Action::Report {
                job: 1,
                report: report(),
            },
        );
        assert!(s.report.is_none());
        assert_eq!(s.running.as_ref().map(|r| r.job), Some(2));
        let p = Progress {
            bytes: 1.0,
            total: 2.0,
            elapsed_ms: 1.0,
            file: None,
        };
        let s = reduce(
            s,
            Action::Progress {
                job: 1,
                progress: p.clone(),
            },
        );
        assert_eq!(s.running.as_ref().unwrap().progress.bytes, 0.0);
        let s = reduce(
            s,
            Action::Progress {
                job: 2,
                progress: p,
            },
        );
        assert_eq!(s.running.as_ref().unwrap().progress.bytes, 1.0);
    }

    #[test]
    fn failures_keep_the_paste() {
        let s = reduce(AppState::with_paste("keep me"), started(1));
        let s = reduce(
            s,
            Action::Failed {
                job: None,
                message: "panicked".into(),
            },
        );
        assert_eq!(&*s.paste, "keep me");
        assert_eq!(s.errors, vec!["panicked".to_string()]);
        assert!(s.running.is_none());
        let s = reduce(s, Action::DismissError);
        assert!(s.errors.is_empty());
    }

    #[test]
    fn cancel_and_clear() {
        let s = reduce(AppState::with_paste("abc"), started(4));
        let s = reduce(s, Action::Cancelled { job: 4 });
        assert!(s.running.is_none());
        assert_eq!(s.next_job(), 5);
        let s = reduce(s, Action::Clear);
        assert_eq!(&*s.paste, "");
        assert!(s.report.is_none());
    }

    #[test]
    fn emptying_the_paste_drops_its_report_but_not_a_files_report() {
        let s = reduce(AppState::with_paste("x"), started(1));
        let s = reduce(
            s,
            Action::Report {
                job: 1,
                report: report(),
            },
        );
        let s = reduce(s, Action::SetPaste(Rc::from("  ")));
        assert!(s.report.is_none());

        let s = reduce(
            s,
            Action::Started {
                job: 2,
                source: Source::Files(vec!["a.log".into()]),
                total: 1.0,
            },
        );
        let s = reduce(
            s,
            Action::Report {
                job: 2,
                report: report(),
            },
        );
        let s = reduce(s, Action::SetPaste(Rc::from("")));
        assert!(s.report.is_some());
    }

    #[test]
    fn kind_changes_replace_what_they_cover_and_editing_drops_them() {
        let ch = |first_line, last_line, kind| KindChange {
            first_line,
            last_line,
            kind,
        };
        let o = apply_change(&[], &ch(3, 9, Some(Kind::NginxConfig)));
        assert_eq!(o.len(), 1);
        let o = apply_change(&o, &ch(12, 12, Some(Kind::Unrecognised)));
        assert_eq!(o.len(), 2);
        // Re-labelled again: one override for the range, the new kind.
        let o2 = apply_change(&o, &ch(3, 9, Some(Kind::Listeners)));
        assert_eq!(o2.len(), 2);
        assert_eq!(o2[1].kind, Kind::Listeners);
        // Back to automatic.
        let o3 = apply_change(&o2, &ch(3, 9, None));
        assert_eq!(o3.len(), 1);
        assert_eq!(o3[0].first_line, 12);

        let s = AppState::with_paste("a");
        let s = reduce(s, Action::SetOverrides(Rc::new(o3)));
        assert_eq!(s.overrides.len(), 1);
        let s = reduce(s, Action::SetPaste(Rc::from("a")));
        assert_eq!(s.overrides.len(), 1, "the same text keeps them");
        let s = reduce(s, Action::SetPaste(Rc::from("ab")));
        assert!(s.overrides.is_empty());
    }

    #[test]
    fn a_paste_report_remembers_its_text_and_a_files_report_none() {
        let s = reduce(AppState::with_paste("first"), started(1));
        let s = reduce(s, Action::SetPaste(Rc::from("second")));
        let s = reduce(
            s,
            Action::Report {
                job: 1,
                report: report(),
            },
        );
        assert_eq!(s.report_paste.as_deref(), Some("first"), "the job's text");
        let s = reduce(
            s,
            Action::Started {
                job: 2,
                source: Source::Files(vec!["a.log".into()]),
                total: 1.0,
            },
        );
        let s = reduce(
            s,
            Action::Report {
                job: 2,
                report: report(),
            },
        );
        assert_eq!(s.report_paste, None);
        let s = reduce(s, Action::Clear);
        assert_eq!(s.report_paste, None);
    }

    #[test]
    fn sources_describe_themselves() {
        assert_eq!(Source::Paste.describe(), "the pasted text");
        assert_eq!(Source::Files(vec!["a.log".into()]).describe(), "a.log");
        assert_eq!(
            Source::Files(vec!["a".into(), "b".into()]).describe(),
            "2 files (a, b)"
        );
    }
}

//! A backend that fails while starting: what its own log says stopped it
//! (a missing gem or Python module, code that does not load, a stale pid
//! file) and the fix for that reason, in the tool that runs it (compose,
//! systemd, Kubernetes). `upstream_down`, `systemd_unit_failed` and the
//! pod variant of `upstream_down` call [`explain`]; no cause of its own.

use super::ctx::{Manager, ServiceGuess};
use super::fixes::{disruptive, review, safe};
use super::{Ctx, Finding};
use crate::facts::{EventGroup, Signal};

/// Why the backend did not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Bundler cannot find a gem the Gemfile.lock wants (name when said).
    MissingGem(Option<String>),
    /// The Ruby app raised while Puma/Rails loaded it.
    RubyLoad,
    /// Rails found its pid file from a run that was killed.
    StalePid(Option<String>),
    /// Python cannot import a module (its name when said).
    MissingModule(Option<String>),
    /// Python cannot import a name from the app's own code, or uvicorn
    /// cannot import the app.
    PythonImport,
    /// gunicorn's `Worker failed to boot` / `App failed to load` alone.
    WorkerBoot,
    /// Node cannot find a module: a package not installed (`express`), or
    /// the app's own file (`/srv/app/server.js`, `./dist/main`) not there.
    NodeModule(Option<String>),
}

/// The boot failure the paste shows: why, and the group saying so.
pub struct Boot<'a> {
    pub reason: Reason,
    pub group: &'a EventGroup,
    /// A line that makes it certain the process gave up starting (gunicorn's
    /// `Worker failed to boot`, uvicorn's `Error loading ASGI app`, Bundler,
    /// Puma, Rails), not only an exception that could also come from a
    /// request.
    pub definitive: bool,
}

impl Reason {
    /// A few words for a title.
    pub fn short(&self) -> String {
        match self {
            Reason::MissingGem(Some(g)) => format!("the gem {g} is not installed"),
            Reason::MissingGem(None) => "a gem is not installed".into(),
            Reason::RubyLoad => "the application raises while it loads".into(),
            Reason::StalePid(_) => "a stale server.pid file".into(),
            Reason::MissingModule(Some(m)) => format!("no Python module named {m}"),
            Reason::MissingModule(None) => "a Python module is missing".into(),
            Reason::PythonImport => "the app's code fails to import".into(),
            Reason::WorkerBoot => "its worker fails to boot".into(),
            Reason::NodeModule(Some(m)) => format!("Node cannot find module {m}"),
            Reason::NodeModule(None) => "Node cannot find a module".into(),
        }
    }
}

/// `Could not find pg-1.5.4 in locally installed gems` → `pg-1.5.4`.
fn gem_of(text: &str) -> Option<String> {
    let r = &text[text.find("Could not find ")? + "Could not find ".len()..];
    let name = r.split([' ', ',']).next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// `No module named 'redis'` → `redis` (`No module named 'a.b'` → `a.b`).
fn module_of(text: &str) -> Option<String> {
    let r = &text[text.find("No module named ")? + "No module named ".len()..];
    let name = r.trim().trim_matches(['\'', '"']);
    let name = name.split(['\'', '"', ' ']).next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// `Error: Cannot find module 'express'` → `express`.
fn node_module_of(text: &str) -> Option<String> {
    let r = &text[text.find("Cannot find module ")? + "Cannot find module ".len()..];
    let name = r.trim().trim_start_matches(['\'', '"']);
    let name = name.split(['\'', '"']).next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// A module path of the app's own (`/srv/app/server.js`, `./dist/main`),
/// not a package name (`express`, `@nestjs/core`).
fn own_file(module: &str) -> bool {
    module.starts_with('/') || module.starts_with('.')
}

/// `… Check /app/tmp/pids/server.pid.` or `(pid: 1, file: /app/tmp/pids/server.pid)` → the path.
fn pid_file_of(text: &str) -> Option<String> {
    let i = text.find(" /")? + 1;
    let p = text[i..]
        .split([' ', ')', ','])
        .next()?
        .trim_end_matches('.');
    p.ends_with(".pid").then(|| p.to_string())
}

fn first_text(g: &EventGroup) -> &str {
    g.head.first().map_or("", |e| e.text.as_str())
}

/// The boot failure in the paste, the most telling reason first.
pub fn find<'a>(ctx: &Ctx<'a>) -> Option<Boot<'a>> {
    let mut best: Option<(u8, Boot<'a>)> = None;
    let mut definitive = false;
    for g in &ctx.facts.groups {
        let (rank, reason) = match &g.key.signal {
            Signal::BootFailed { what, .. } => {
                definitive = true;
                match what.as_str() {
                    "missing_gem" => (5, Reason::MissingGem(gem_of(first_text(g)))),
                    "stale_pid" => (5, Reason::StalePid(pid_file_of(first_text(g)))),
                    "load_error" => (3, Reason::RubyLoad),
                    "command" => (1, Reason::RubyLoad),
                    _ => (2, Reason::PythonImport),
                }
            }
            Signal::GunicornBootFailed => {
                definitive = true;
                (1, Reason::WorkerBoot)
            }
            // Not definitive alone: a lazy require() fails at request time too.
            Signal::NodeError { code } if code == "MODULE_NOT_FOUND" => {
                (4, Reason::NodeModule(node_module_of(first_text(g))))
            }
            Signal::PythonException { name } => match name.rsplit('.').next().unwrap_or(name) {
                "ModuleNotFoundError" => (4, Reason::MissingModule(module_of(first_text(g)))),
                "ImportError" => match module_of(first_text(g)) {
                    Some(m) => (4, Reason::MissingModule(Some(m))),
                    None => (3, Reason::PythonImport),
                },
                _ => continue,
            },
            _ => continue,
        };
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((
                rank,
                Boot {
                    reason,
                    group: g,
                    definitive: false,
                },
            ));
        }
    }
    best.map(|(_, mut b)| {
        b.definitive = definitive;
        b
    })
}

/// Where the app lives, from a gem path in the evidence:
/// `/var/www/shop/vendor/bundle/ruby/…` → `/var/www/shop`, Capistrano's
/// `/home/deploy/shop/shared/bundle/…` → `/home/deploy/shop/current`.
fn app_dir(text: &str) -> Option<String> {
    let start = text.find('/')?;
    let t = &text[start..];
    if let Some(i) = t.find("/vendor/bundle/") {
        return Some(t[..i].to_string());
    }
    t.find("/shared/bundle/")
        .map(|i| format!("{}/current", &t[..i]))
}

/// Say in `f` why the backend does not start and how to fix that reason,
/// before the generic start command the caller adds. `svc` is the service
/// behind the upstream; `pod` is set for Kubernetes (namespace flag and pod).
pub fn explain(
    ctx: &Ctx,
    f: &mut Finding,
    svc: &ServiceGuess,
    boot: &Boot,
    pod: Option<(&str, &str)>,
) {
    let g = boot.group;
    for e in g.head.iter().take(1) {
        f.add_evidence(e.clone());
    }
    f.reasoning.push(format!(
        "the backend's own log says it could not start: {} (line {})",
        boot.reason.short(),
        g.first_line
    ));
    // The app's directory, from a path any start-up line shows.
    // or from the app's socket that nginx dials (Capistrano's
    // `…/shared/tmp/sockets/puma.sock`, a Rails app's `…/tmp/sockets/`).
    let dir = ctx
        .facts
        .groups
        .iter()
        .filter(|x| matches!(x.key.signal, Signal::BootFailed { .. }))
        .find_map(|x| app_dir(first_text(x)))
        .or_else(|| {
            let sock = ctx
                .facts
                .groups
                .iter()
                .find_map(|g| g.key.upstream.as_ref()?.addr.socket_path())?;
            if let Some(i) = sock.find("/shared/") {
                return Some(format!("{}/current", &sock[..i]));
            }
            sock.find("/tmp/sockets/").map(|i| sock[..i].to_string())
        });
    let docker = svc.manager.is_docker();
    let plain = svc.manager == Manager::DockerRun;
    let name = &svc.name;
    // Run a command as the app does: in a one-off container of its service,
    // in the app's directory, or in a pod's image.
    let k8s = pod.is_some() || ctx.facts.kubernetes || ctx.facts.ingress_nginx;
    if k8s {
        let (n, pod) = pod.unwrap_or(("", "{pod}"));
        let what = match &boot.reason {
            Reason::MissingGem(_) => "the image was built without a gem the Gemfile.lock wants: run `bundle install` in the Dockerfile after copying Gemfile and Gemfile.lock",
            Reason::MissingModule(_) => "the image lacks a Python package: add it to requirements.txt (or pyproject.toml) so the Dockerfile installs it",
            Reason::StalePid(_) => "a pid file is baked into the image or kept on a volume: delete tmp/pids/server.pid before `rails server` in the container's command",
            _ => "the code in the image fails to load: fix the error its log names",
        };
        f.fixes.push(safe(
            format!("kubectl logs{n} {pod} --previous --tail 100"),
            "the start-up error with its whole backtrace",
        ));
        let from_pod =
            super::ctx::deployment_of_pod(pod).map(|d| d.trim_start_matches("deploy/").to_string());
        let deployment = match ctx.facts.kubectl_deployments.as_slice() {
            [one] => one.as_str(),
            _ => from_pod.as_deref().unwrap_or("{deployment}"),
        };
        f.fixes.push(review(
            format!("# rebuild and push the image, then:\nkubectl rollout restart{n} deployment/{deployment}"),
            what,
        ));
        return;
    }
    let run = |cmd: &str| -> String {
        if plain {
            format!("docker run --rm --volumes-from {name} {{image}} {cmd}")
        } else if docker {
            format!("docker compose run --rm --no-deps {name} {cmd}")
        } else {
            match &dir {
                Some(d) => format!("cd {d} && {cmd}"),
                None => format!("cd {{app_dir}} && {cmd}"),
            }
        }
    };
    let rebuild = if plain {
        format!("docker build -t {{image}} . && docker rm -f {name} && docker run -d --name {name} {{your -p/-e/-v options}} {{image}}")
    } else {
        format!("docker compose build {name} && docker compose up -d {name}")
    };
    match &boot.reason {
        Reason::MissingGem(gem) => {
            let which = gem
                .as_deref()
                .map(|g| format!(" ({g})"))
                .unwrap_or_default();
            if docker {
                f.fixes.push(disruptive(
                    rebuild,
                    format!("the gems are installed when the image is built: after a Gemfile or Gemfile.lock change the old image lacks one{which}, so rebuild it"),
                ));
            } else {
                f.fixes.push(review(
                    run("bundle install"),
                    format!("install the gems the Gemfile.lock names{which}, as the user the service runs as (with the same BUNDLE_DEPLOYMENT/BUNDLE_PATH settings)"),
                ));
            }
            f.fixes.push(safe(
                run("bundle check"),
                "expect `The Gemfile's dependencies are satisfied`",
            ));
        }
        Reason::RubyLoad => {
            f.fixes.push(safe(
                run("bundle exec rails runner 'puts :booted'"),
                "loads the app as Puma does and prints the whole error with its backtrace (RAILS_ENV as in production); fix the code or config it names, then start the server again",
            ));
        }
        Reason::StalePid(path) => {
            let p = path.as_deref().unwrap_or("tmp/pids/server.pid");
            if docker {
                f.fixes.push(disruptive(
                    if plain {
                        format!("{} && docker start {name}", run(&format!("rm -f {p}")))
                    } else {
                        format!("docker compose run --rm --no-deps {name} rm -f {p} && docker compose up -d --force-recreate {name}")
                    },
                    "Rails refuses to start while the pid file of a killed run is there (it lives in the bind-mounted app directory, so a new container finds it too)",
                ));
                f.fixes.push(review(
                    format!("# in the service's command (or entrypoint), before the server starts:\nrm -f {p} && bundle exec rails server -b 0.0.0.0"),
                    "so a container that was killed never blocks the next start",
                ));
            } else {
                f.fixes.push(disruptive(
                    format!("rm -f {p}"),
                    "Rails refuses to start while the pid file of a killed run is there; check first that no server of this app still runs",
                ));
            }
        }
        Reason::MissingModule(m) => {
            let m = m.as_deref().unwrap_or("{module}");
            let top = m.split('.').next().unwrap_or(m);
            if docker {
                f.fixes.push(review(
                    format!("# add the package that provides `{top}` to requirements.txt (or pyproject.toml), then:\n{rebuild}"),
                    "the image's packages are installed when it is built: a module the code imports is not among them",
                ));
                f.fixes.push(safe(
                    run(&format!("python -c 'import {m}'")),
                    "reproduces the import error in a one-off container; no output means the module is there",
                ));
            } else {
                f.fixes.push(review(
                    format!("{{venv}}/bin/pip install -r requirements.txt   # in the virtualenv the service's ExecStart uses; or the package that provides `{top}`"),
                    "the module is not installed where the app server runs from (a package missing from requirements.txt, or another virtualenv)",
                ));
                f.fixes.push(safe(
                    format!("{{venv}}/bin/python -c 'import {m}'"),
                    "no output means the module is now importable",
                ));
            }
        }
        Reason::NodeModule(m) => {
            let m = m.as_deref().unwrap_or("{module}");
            if own_file(m) {
                let has_ext = [".js", ".mjs", ".cjs", ".ts"]
                    .iter()
                    .any(|e| m.ends_with(e));
                let look = match (has_ext, m.rsplit_once('/')) {
                    (true, Some((dir, _))) if !dir.is_empty() => {
                        // Its directory: whether the file is there, and what is.
                        format!("ls -la {dir}/")
                    }
                    (true, _) => format!("ls -la {m}"),
                    (false, _) => format!("ls -la {m} {m}.js {m}/index.js 2>&1 | head"),
                };
                // Inside the image for a container; from the app's
                // directory for a relative path.
                let look = if docker || m.starts_with('.') {
                    run(&look)
                } else {
                    look
                };
                f.fixes.push(safe(
                    look,
                    "the file the service starts is not there: a moved app, a build that was not run (dist/), or an upgrade that renamed its entry point",
                ));
                f.fixes.push(review(
                    if docker {
                        format!("# point the service's command at the file that exists (or build it), then:
{rebuild}")
                    } else {
                        format!("sudo systemctl edit --full {name}   # ExecStart= and WorkingDirectory= must name the entry point that exists")
                    },
                    "start the file that is there, or run the build that creates it",
                ));
            } else if docker {
                f.fixes.push(review(
                    format!("# add `{m}` to package.json's dependencies (not devDependencies), then:
{rebuild}"),
                    "the image's node_modules are installed when it is built: a package the code requires is not among them",
                ));
            } else {
                f.fixes.push(review(
                    run("npm ci --omit=dev"),
                    format!("install the packages package-lock.json names, `{m}` among them, as the user the service runs as"),
                ));
            }
        }
        Reason::PythonImport | Reason::WorkerBoot => {
            let check = if docker {
                run("python -c 'import {app_module}'")
            } else {
                "{venv}/bin/python -c 'import {app_module}'   # in the app's directory".to_string()
            };
            f.fixes.push(safe(
                check,
                "imports the app as the server does and prints the whole traceback: the last lines name the import or code to fix",
            ));
            if docker {
                f.fixes.push(disruptive(
                    rebuild,
                    "after fixing the code: the image holds a copy of it unless the directory is mounted",
                ));
            }
        }
    }
}

/// The service whose log shows the failed start, when no upstream names
/// it: the one app container whose `docker compose logs` lines were
/// pasted, else the unit of a pasted `journalctl -u`, else a placeholder.
pub fn service_of_log(ctx: &Ctx) -> ServiceGuess {
    let f = ctx.facts;
    let containers: Vec<String> = f
        .app_log_containers
        .iter()
        .map(|c| crate::text::service_of_prefix(c))
        .collect();
    if let Some(first) = containers.first() {
        if containers.iter().all(|c| c == first) {
            return ServiceGuess {
                name: first.to_string(),
                manager: Manager::Docker,
                known: true,
            };
        }
    }
    if let Some(u) = f.journal_units.iter().find(|u| !u.starts_with("nginx")) {
        return ServiceGuess {
            name: u.clone(),
            manager: Manager::Systemd,
            known: true,
        };
    }
    ctx.service_for(None)
}

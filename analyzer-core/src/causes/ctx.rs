//! What rules see: the facts, plus the queries several rules share
//! (which service backs an upstream, how to reload nginx here, which
//! listeners cover an address). One place, so two rules never disagree on
//! a service name.

use crate::artifacts::nginx_config::Pass;
use crate::facts::{
    Address, Container, Distro, EventGroup, Facts, Listener, Signal, Source, Upstream,
};

pub struct Ctx<'a> {
    pub facts: &'a Facts,
    os: HostOs,
}

/// The system nginx runs on, as far as the paste tells: commands differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostOs {
    /// Linux, or nothing says otherwise.
    Linux,
    /// macOS or a BSD (`kevent()` lines, BSD errno numbers, Homebrew paths).
    Mac,
    /// Windows (`WSARecv()`, WSA error codes, `C:\` paths).
    Windows,
}

/// What nginx's own lines (error.log messages, config file names) say
/// about the system. Only sample lines and file names are read: bounded.
fn host_os(facts: &Facts) -> HostOs {
    let said = |needles: &[&str]| {
        facts
            .groups
            .iter()
            .filter(|g| g.key.source == Source::Nginx)
            .any(|g| {
                g.evidence()
                    .any(|e| needles.iter().any(|n| e.text.contains(n)))
            })
    };
    let files = || {
        facts
            .config
            .iter()
            .flat_map(|c| c.find("server"))
            .filter_map(|d| d.file.clone())
    };
    if said(&[
        "WSARecv()",
        "WSASend()",
        "(10061:",
        "(10060:",
        "(10054:",
        "(10053:",
    ]) || files().any(|f| f.get(1..3) == Some(":\\") || f.get(1..3) == Some(":/"))
    {
        HostOs::Windows
    } else if said(&[
        "kevent() reported",
        "(61: Connection refused)",
        "(60: Operation timed out)",
        "(54: Connection reset by peer)",
    ]) || files()
        .any(|f| f.starts_with("/opt/homebrew/") || f.starts_with("/usr/local/etc/nginx/"))
    {
        HostOs::Mac
    } else {
        HostOs::Linux
    }
}

/// Where the config names an upstream address.
#[derive(Clone, Debug)]
pub struct ConfigRef {
    pub file: Option<String>,
    pub file_line: Option<u32>,
    /// Input line of the directive.
    pub line: u64,
    /// The address as written in that directive (`http://127.0.0.1:8000`, `127.0.0.1:9000`).
    pub written: String,
    pub pass: Pass,
}

impl ConfigRef {
    /// The `*_pass` directive itself.
    pub fn of_pass(p: &Pass) -> ConfigRef {
        ConfigRef {
            file: p.file.clone(),
            file_line: p.file_line,
            line: p.line,
            written: p.target.clone(),
            pass: p.clone(),
        }
    }

    /// `sudo sed -i --follow-symlinks '12s#old#new#' /etc/nginx/sites-enabled/x`,
    /// or `None` when the file or line is not known.
    pub fn sed(&self, old: &str, new: &str) -> Option<String> {
        let file = self.file.as_deref()?;
        let line = self.file_line?;
        let pat: String = old
            .chars()
            .flat_map(|c| match c {
                '\\' | '#' | '.' | '[' | ']' | '*' | '^' | '$' => vec!['\\', c],
                '\'' => "'\\''".chars().collect(),
                c => vec![c],
            })
            .collect();
        let rep: String = new
            .chars()
            .flat_map(|c| match c {
                '\\' | '#' | '&' => vec!['\\', c],
                '\'' => "'\\''".chars().collect(),
                c => vec![c],
            })
            .collect();
        Some(format!(
            "sudo sed -i --follow-symlinks '{line}s#{pat}#{rep}#' {file}"
        ))
    }

    /// `file:line` for messages, else the file and the input line, or the
    /// input line.
    pub fn place(&self) -> String {
        match (&self.file, self.file_line) {
            (Some(f), Some(l)) => format!("{f}:{l}"),
            (Some(f), None) => format!("{f} (line {} of the paste)", self.line),
            _ => format!("line {} of the paste", self.line),
        }
    }
}

/// The ingress-nginx controller that kubectl commands name: its namespace
/// and workload (`deploy/ingress-nginx-controller`) or pod, as the paste
/// names them or as the standard install does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngressController {
    pub namespace: String,
    /// `deploy/<name>`, or a pod name when no workload can be told from it.
    pub target: String,
    /// False when the workload is the standard install's name, not the paste's.
    pub known: bool,
}

impl IngressController {
    /// `kubectl -n <ns>` for commands about the controller.
    pub fn kubectl(&self) -> String {
        format!("kubectl -n {}", self.namespace)
    }

    /// What stands for "reload nginx" under ingress-nginx, which reloads
    /// by itself: checking that it did.
    pub fn reload_check(&self) -> String {
        format!(
            "{} logs {} --tail 50 | grep -iE 'reload|error'",
            self.kubectl(),
            self.target
        )
    }

    /// The name of the controller's Deployment (its ConfigMap has the same
    /// name in the standard install and the Helm chart).
    pub fn workload_name(&self) -> &str {
        self.target.rsplit('/').next().unwrap_or(&self.target)
    }
}

/// The controller named at the start of a log line: a pod name
/// (`ingress-nginx-controller-7d9f8c6b5-xk2lp`), or kubectl's
/// `[pod/<name>/controller]` prefix.
fn controller_word(line: &str) -> Option<String> {
    let first = line.split_whitespace().next()?;
    let first = first.trim_start_matches('[').trim_end_matches([']', ':']);
    let name = match first.split('/').collect::<Vec<_>>().as_slice() {
        ["pod" | "pods", name, ..] => *name,
        [name] => *name,
        _ => return None,
    };
    let valid = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    (valid && name.contains("ingress") && name.contains("controller")).then(|| name.to_string())
}

/// The workload of a pod name: `ingress-nginx-controller-7d9f8c6b5-xk2lp`
/// → `deploy/ingress-nginx-controller` (a ReplicaSet hash, then the pod's
/// own five characters); `None` when the name does not end so.
pub(crate) fn deployment_of_pod(pod: &str) -> Option<String> {
    let (rest, pod_id) = pod.rsplit_once('-')?;
    let (name, rs_hash) = rest.rsplit_once('-')?;
    let alnum = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    (pod_id.len() == 5
        && alnum(pod_id)
        && (6..=10).contains(&rs_hash.len())
        && alnum(rs_hash)
        && rs_hash.bytes().any(|b| b.is_ascii_digit())
        && !name.is_empty())
    .then(|| format!("deploy/{name}"))
}

/// How a backend is run, so fixes use the right tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Manager {
    Systemd,
    Pm2,
    /// Compose (`docker compose up -d <service>`).
    Docker,
    /// Plain Docker (`docker run --name <container>`, no compose): the
    /// name is the container's.
    DockerRun,
    Supervisor,
    /// OpenRC (`rc-service`, `rc-update`): Alpine, Gentoo.
    OpenRc,
    /// FreeBSD's rc.d (`service`, `sysrc <name>_enable=YES`).
    BsdRc,
    /// Homebrew's `brew services` (macOS): the name is the formula's.
    Brew,
}

impl Manager {
    /// Either kind of container.
    pub fn is_docker(self) -> bool {
        matches!(self, Manager::Docker | Manager::DockerRun)
    }
}

/// The service behind an upstream, as well as the paste lets us tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceGuess {
    /// `php8.1-fpm`, `gunicorn`, `api` (pm2), or the placeholder `{service}`.
    pub name: String,
    pub manager: Manager,
    /// False when `name` is a placeholder or a guess from a naming convention only.
    pub known: bool,
}

impl ServiceGuess {
    pub fn restart(&self) -> String {
        match self.manager {
            Manager::Systemd => format!("sudo systemctl restart {}", self.name),
            Manager::Pm2 => format!("pm2 restart {}", self.name),
            Manager::Docker => format!("docker compose up -d {}", self.name),
            Manager::DockerRun => format!("docker restart {}", self.name),
            Manager::Supervisor => format!("sudo supervisorctl restart {}", self.name),
            Manager::OpenRc => format!("sudo rc-service {} restart", self.name),
            Manager::BsdRc => format!("sudo service {} restart", self.name),
            Manager::Brew => format!("brew services restart {}", self.name),
        }
    }
    /// A graceful reload where the manager has one (PHP-FPM finishes its
    /// requests), else a restart.
    pub fn reload(&self) -> String {
        match self.manager {
            Manager::Systemd => format!("sudo systemctl reload {}", self.name),
            Manager::OpenRc => format!("sudo rc-service {} reload", self.name),
            Manager::BsdRc => format!("sudo service {} reload", self.name),
            _ => self.restart(),
        }
    }
    pub fn start_enable(&self) -> String {
        match self.manager {
            Manager::Systemd => format!("sudo systemctl enable --now {}", self.name),
            Manager::Pm2 => format!("pm2 restart {} && pm2 save", self.name),
            Manager::Docker => format!("docker compose up -d {}", self.name),
            Manager::DockerRun => format!(
                "docker start {0} && docker update --restart unless-stopped {0}",
                self.name
            ),
            Manager::Supervisor => format!("sudo supervisorctl start {}", self.name),
            Manager::OpenRc => format!(
                "sudo rc-update add {0} default && sudo rc-service {0} start",
                self.name
            ),
            // rc.conf's switch is the rc variable: `php_fpm_enable` for `php-fpm`.
            Manager::BsdRc => format!(
                "sudo sysrc {}_enable=YES && sudo service {} start",
                self.name.replace('-', "_"),
                self.name
            ),
            Manager::Brew => format!("brew services start {}", self.name),
        }
    }
    pub fn logs(&self) -> String {
        match self.manager {
            Manager::Systemd => format!("sudo journalctl -u {} -n 100 --no-pager", self.name),
            Manager::Pm2 => format!("pm2 logs {} --lines 100 --err", self.name),
            Manager::Docker => format!("docker compose logs --tail 100 {}", self.name),
            Manager::DockerRun => format!("docker logs --tail 100 {}", self.name),
            Manager::Supervisor => format!("sudo supervisorctl tail -8000 {} stderr", self.name),
            // No journal: PHP-FPM writes its own log, other services syslog.
            m => match native_fpm_commands(m, &self.name) {
                Some((_, log)) if m == Manager::Brew => format!("tail -n 100 {log}"),
                Some((_, log)) => format!("sudo tail -n 100 {log}"),
                None if m == Manager::Brew => format!("brew services info {}", self.name),
                None => "sudo tail -n 100 /var/log/messages".to_string(),
            },
        }
    }
    pub fn status(&self) -> String {
        match self.manager {
            Manager::Systemd => format!("systemctl is-active {}", self.name),
            Manager::Pm2 => "pm2 list".to_string(),
            Manager::Docker => "docker compose ps".to_string(),
            Manager::DockerRun => "docker ps -a".to_string(),
            Manager::Supervisor => format!("sudo supervisorctl status {}", self.name),
            Manager::OpenRc => format!("rc-service {} status", self.name),
            Manager::BsdRc => format!("service {} status", self.name),
            Manager::Brew => "brew services list".to_string(),
        }
    }
    /// [`Self::status`] with what a running backend shows there.
    pub fn status_expect(&self) -> String {
        match self.manager {
            Manager::Systemd => format!("{}   # expect: active", self.status()),
            Manager::Pm2 => format!("{}   # expect `{}` online", self.status(), self.name),
            Manager::Docker => format!(
                "docker compose ps {}   # expect: Up (not Restarting or Exited)",
                self.name
            ),
            Manager::DockerRun => format!(
                "docker ps -a --filter name={} --format '{{{{.Names}}}} {{{{.Status}}}}'   # expect: Up (not Restarting or Exited)",
                self.name
            ),
            Manager::Supervisor => format!("{}   # expect: RUNNING", self.status()),
            Manager::OpenRc => format!("{}   # expect: status: started", self.status()),
            Manager::BsdRc => format!("{}   # expect: is running as pid …", self.status()),
            Manager::Brew => format!("{}   # expect `{}` started", self.status(), self.name),
        }
    }
}

/// PHP-FPM's config test and log file where `manager` starts it as
/// `service`: rc.d's `php-fpm` (FreeBSD), OpenRC's `php-fpm81` (Alpine),
/// Homebrew's `php` / `php@8.2`. `None` for systemd and the rest.
pub fn native_fpm_commands(manager: Manager, service: &str) -> Option<(String, String)> {
    match manager {
        Manager::BsdRc if service == "php-fpm" => {
            Some(("sudo php-fpm -t".into(), "/var/log/php-fpm.log".into()))
        }
        Manager::Brew if service == "php" || service.starts_with("php@") => Some((
            "\"$(brew --prefix)/sbin/php-fpm\" -t".into(),
            "\"$(brew --prefix)/var/log/php-fpm.log\"".into(),
        )),
        Manager::OpenRc => {
            let v = service.strip_prefix("php-fpm")?;
            Some((
                format!("sudo php-fpm{v} -t"),
                format!("/var/log/php{v}/error.log"),
            ))
        }
        _ => None,
    }
}

/// PHP version in a path or unit name: `php8.1-fpm.sock` → `8.1`, `php81` → `8.1`.
pub fn php_version_in(s: &str) -> Option<String> {
    let mut from = 0;
    while let Some(i) = s[from..].find("php") {
        let at = from + i + 3;
        let rest = &s[at..];
        // `/etc/php/8.1`, Homebrew's `php@8.2`.
        let rest = rest.strip_prefix(['/', '@']).unwrap_or(rest);
        let b = rest.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_digit() && b[1] == b'.' && b[2].is_ascii_digit() {
            let end = 2 + rest[2..].bytes().take_while(u8::is_ascii_digit).count();
            return Some(rest[..end].to_string());
        }
        if b.len() >= 2
            && b[0].is_ascii_digit()
            && b[1].is_ascii_digit()
            && !b.get(2).is_some_and(u8::is_ascii_digit)
        {
            return Some(format!("{}.{}", b[0] as char, b[1] as char));
        }
        from = at;
    }
    None
}

impl<'a> Ctx<'a> {
    pub fn new(facts: &'a Facts) -> Self {
        let mut ctx = Ctx {
            facts,
            os: host_os(facts),
        };
        // A BSD or Homebrew layout says so where nginx's lines do not
        // (a socket's errno 2 or 13 reads alike everywhere).
        if ctx.os == HostOs::Linux && matches!(ctx.distro(), Distro::FreeBsd | Distro::Homebrew) {
            ctx.os = HostOs::Mac;
        }
        ctx
    }

    /// The one namespace of every pasted pod (`kubectl get pods -n shop`),
    /// if they name one and only one.
    /// Without pods, the one namespace the pasted kubectl commands name
    /// (`kubectl logs -n shop deploy/api`), other than the controller's.
    pub fn pod_namespace(&self) -> Option<&'a str> {
        let mut all = self
            .facts
            .containers
            .iter()
            .filter_map(|c| c.namespace.as_deref());
        if let Some(first) = all.next() {
            return all.all(|n| n == first).then_some(first);
        }
        if let [one] = self.facts.kubectl_namespaces.as_slice() {
            return Some(one.as_str());
        }
        // An Ingress sends to Services (and pods) of its own namespace.
        let mut ns = self
            .facts
            .ingresses
            .iter()
            .filter_map(|i| i.namespace.as_deref());
        let first = ns.next()?;
        ns.all(|n| n == first).then_some(first)
    }

    /// The Ingress of a pasted `kubectl get ingress` that serves `host`,
    /// else the only one pasted.
    pub fn ingress_for(&self, host: Option<&str>) -> Option<&'a crate::facts::IngressRow> {
        let all = &self.facts.ingresses;
        host.and_then(|h| all.iter().find(|i| i.hosts.iter().any(|x| x == h)))
            .or(match all.as_slice() {
                [one] => Some(one),
                _ => None,
            })
    }

    /// The one Service a pasted `kubectl describe ingress` sends to (its
    /// name, without the port), when the paste shows exactly one.
    pub fn ingress_service(&self) -> Option<&'a str> {
        let mut all = self
            .facts
            .ingresses
            .iter()
            .flat_map(|i| i.backends.iter())
            .map(|b| b.split(':').next().unwrap_or(b));
        let first = all.next()?;
        all.all(|b| b == first).then_some(first)
    }

    /// The namespace of kubectl commands about `pod`: its own, else the
    /// paste's one namespace ([`Self::pod_namespace`]).
    pub fn namespace_for<'p>(&self, pod: Option<&'p Container>) -> Option<&'p str>
    where
        'a: 'p,
    {
        pod.and_then(|p| p.namespace.as_deref())
            .or_else(|| self.pod_namespace())
    }

    /// The ingress-nginx controller (see [`IngressController`]): the pod or
    /// workload a log prefix, a `kubectl` command or a `kubectl get pods`
    /// row names, else the standard install's `deploy/ingress-nginx-controller`
    /// in `ingress-nginx`.
    pub fn ingress_controller(&self) -> IngressController {
        let f = self.facts;
        let is_controller = |n: &str| n.contains("ingress") && n.contains("controller");
        let row = f.containers.iter().find(|c| is_controller(&c.name));
        // A log line's prefix (`ingress-nginx-controller-7d9f…-xk2lp controller
        // 2024/…`, `[pod/…/controller]`): its sample lines are enough.
        let prefixed = || {
            f.groups
                .iter()
                .filter(|g| g.key.source == Source::Nginx)
                .flat_map(|g| g.evidence())
                .find_map(|e| controller_word(&e.text))
        };
        let target = row.map(|c| c.name.clone()).or_else(prefixed).map(|n| {
            if n.contains('/') {
                n
            } else {
                deployment_of_pod(&n).unwrap_or(n)
            }
        });
        IngressController {
            known: target.is_some(),
            namespace: row
                .and_then(|c| c.namespace.clone())
                .unwrap_or_else(|| "ingress-nginx".into()),
            target: target.unwrap_or_else(|| "deploy/ingress-nginx-controller".into()),
        }
    }

    /// The system nginx runs on (see [`HostOs`]).
    pub fn host_os(&self) -> HostOs {
        self.os
    }

    /// nginx error-log groups with this signal predicate.
    pub fn nginx_groups(&self, pred: impl Fn(&Signal) -> bool) -> Vec<&'a EventGroup> {
        self.facts
            .groups
            .iter()
            .filter(|g| g.key.source == Source::Nginx && pred(&g.key.signal))
            .collect()
    }

    /// Groups from any source with this signal predicate.
    pub fn groups(&self, pred: impl Fn(&Signal) -> bool) -> Vec<&'a EventGroup> {
        self.facts
            .groups
            .iter()
            .filter(|g| pred(&g.key.signal))
            .collect()
    }

    pub fn distro(&self) -> Distro {
        // FreeBSD's ports put PHP-FPM's pools where the official Docker
        // image does (/usr/local/etc/php-fpm.d/): the user's own words
        // decide when nothing pasted is a container.
        if self.facts.distro == Distro::Docker
            && self.facts.distro_named == [Distro::FreeBsd]
            && self.facts.containers.is_empty()
            && !self.facts.nginx_in_container
        {
            return Distro::FreeBsd;
        }
        if self.facts.distro != Distro::Unknown {
            return self.facts.distro;
        }
        // Infer from names seen: pool files, units, sockets (in nginx's
        // lines and in `ls`), users only one family has.
        let sockets = || {
            self.facts
                .groups
                .iter()
                .filter_map(|g| {
                    g.key
                        .upstream
                        .as_ref()
                        .map(|u| u.addr.clone())
                        .or_else(|| g.key.server.as_deref().and_then(Address::parse))
                })
                .filter_map(|a| a.socket_path().map(str::to_string))
                .chain(self.facts.paths.iter().map(|e| e.path.clone()))
        };
        let pool_says = |user: &str| {
            self.facts.pools.iter().any(|p| {
                ["user", "listen.owner", "listen.group"]
                    .iter()
                    .any(|k| p.get(k) == Some(user))
            })
        };
        let debianish = self.facts.pools.iter().any(|p| {
            p.file
                .as_deref()
                .is_some_and(|f| f.starts_with("/etc/php/"))
        }) || self
            .facts
            .services
            .iter()
            .any(|s| s.name.starts_with("php") && s.name.ends_with("-fpm") && s.name.len() > 7)
            || sockets().any(|p| p.starts_with("/run/php/") || p.starts_with("/var/run/php/"))
            || self
                .facts
                .nginx_user
                .as_ref()
                .is_some_and(|u| u.user == "www-data")
            // Only Debian's family has a `www-data` user.
            || self
                .facts
                .paths
                .iter()
                .any(|e| e.owner == "www-data" || e.group == "www-data")
            || pool_says("www-data");
        let rhelish = self.facts.pools.iter().any(|p| {
            p.file.as_deref().is_some_and(|f| {
                f.starts_with("/etc/php-fpm.d/") || f.starts_with("/etc/opt/remi/")
            })
        }) || self.facts.selinux_mode.is_some()
            || sockets().any(|p| {
                p.starts_with("/run/php-fpm/")
                    || p.starts_with("/var/run/php-fpm/")
                    || p.starts_with("/var/opt/remi/")
            })
            // RHEL's stock pool runs as `apache`, a user Debian does not have.
            || pool_says("apache");
        if sockets().any(|p| p.starts_with("/opt/homebrew/")) {
            return Distro::Homebrew;
        }
        match (debianish, rhelish) {
            (true, false) => Distro::Debian,
            (false, true) => Distro::Rhel,
            // Nothing pasted tells: the family the user's words name, if one.
            (false, false) => match self.facts.distro_named.as_slice() {
                [d] => *d,
                _ => Distro::Unknown,
            },
            _ => Distro::Unknown,
        }
    }

    /// The nginx worker user: from the config or `ps`, else the one the
    /// paste's packages run it as ([`Self::assumed_nginx_user`]), else the
    /// placeholder. True when the paste says it.
    pub fn nginx_user(&self) -> (String, bool) {
        if let Some(u) = &self.facts.nginx_user {
            return (u.user.clone(), true);
        }
        match self.assumed_nginx_user() {
            Some((user, _)) => (user.into(), false),
            None => ("{nginx_user}".into(), false),
        }
    }

    /// nginx's worker user when neither a `user` directive nor `ps` is
    /// pasted: the default of the packages the paste's paths point at, and
    /// why. cPanel's ea-nginx runs as `nobody`, Debian's and Ubuntu's
    /// package as `www-data`, RHEL's, Fedora's and Alpine's as `nginx`.
    pub fn assumed_nginx_user(&self) -> Option<(&'static str, &'static str)> {
        let cpanel = self.facts.groups.iter().any(|g| {
            g.key
                .upstream
                .as_ref()
                .and_then(|u| u.addr.socket_path())
                .is_some_and(|p| p.starts_with("/opt/cpanel/"))
        }) || self.facts.pools.iter().any(|p| {
            p.file
                .as_deref()
                .is_some_and(|f| f.starts_with("/opt/cpanel/"))
        });
        if cpanel {
            return Some(("nobody", "cPanel's ea-nginx runs its workers as `nobody`"));
        }
        match super::common::php_layout(self) {
            Some(super::common::PhpLayout::AaPanel { .. }) => {
                return Some(("www", "aaPanel (a /tmp/php-cgi-<version>.sock socket) runs nginx and PHP-FPM as `www`"));
            }
            Some(super::common::PhpLayout::Bitnami) => {
                return Some((
                    "daemon",
                    "Bitnami stacks (/opt/bitnami/) run nginx and PHP-FPM as `daemon`",
                ));
            }
            _ => {}
        }
        match self.distro() {
            Distro::Debian => Some((
                "www-data",
                "the paste looks like Debian/Ubuntu (a /run/php/ or /etc/php/<version>/fpm path, a php<version>-fpm unit or a www-data owner), whose nginx package runs as `www-data`",
            )),
            Distro::Rhel => Some((
                "nginx",
                "the paste looks like RHEL/CentOS/Fedora (a /run/php-fpm/ or /etc/php-fpm.d path, SELinux, a pool run as apache), whose nginx package runs as `nginx`",
            )),
            Distro::Alpine => Some(("nginx", "Alpine's nginx package runs as `nginx`")),
            Distro::FreeBsd => Some(("www", "FreeBSD's nginx package runs as `www`")),
            _ => None,
        }
    }

    /// nginx's container shares the host's network (`network_mode: host` on
    /// its compose service, or on an nginx / Nginx Proxy Manager image):
    /// its 127.0.0.1 is the host's.
    pub fn nginx_host_network(&self) -> bool {
        let f = self.facts;
        f.compose_services.iter().any(|s| {
            s.network_mode.as_deref() == Some("host")
                && (f.nginx_service.as_deref() == Some(s.name.as_str())
                    || s.image.as_deref().is_some_and(|i| i.contains("nginx")))
        })
    }

    /// Containers run with plain `docker run`, not compose: a pasted
    /// `docker run` command, or `docker ps` rows none of whose names look
    /// like compose's (`<project>-<service>-1`), and nothing else in the
    /// paste shows compose (a compose file, a `docker compose` command,
    /// `service-1  | ` log prefixes).
    pub fn plain_docker(&self) -> bool {
        let f = self.facts;
        // Log lines of a container `docker ps` lists under a plain name
        // (`docker logs photoprism`) say nothing about compose; a prefix
        // such as `web-1  | ` does.
        let compose_logs = f
            .app_log_containers
            .iter()
            .any(|c| container_base(c) != c || !f.containers.iter().any(|k| k.name == *c));
        if f.compose_cmd
            || !f.compose_services.is_empty()
            || compose_logs
            || f.kubernetes
            || f.ingress_nginx
            || f.npm
        {
            return false;
        }
        let compose_named = |n: &str| container_base(n) != n;
        if f.containers.iter().any(|c| compose_named(&c.name)) {
            return false;
        }
        f.docker_run || !f.containers.is_empty()
    }

    /// The container nginx runs in under plain Docker (its compose service
    /// name when the paste does not say).
    pub fn nginx_container_name(&self) -> &str {
        self.nginx_container().unwrap_or(self.nginx_service())
    }

    /// The container nginx runs in under plain Docker: a `docker ps` row
    /// of an nginx image or name, else a `docker run --name` naming nginx.
    fn nginx_container(&self) -> Option<&str> {
        let f = self.facts;
        let nginx_based = crate::artifacts::docker::is_nginx_image;
        f.containers
            .iter()
            .find(|c| c.image.as_deref().is_some_and(nginx_based))
            .or_else(|| f.containers.iter().find(|c| c.name.contains("nginx")))
            .or_else(|| {
                f.containers
                    .iter()
                    .find(|c| nginx_based(&c.name.to_ascii_lowercase()))
            })
            .map(|c| c.name.as_str())
            .or_else(|| {
                f.docker_run_names
                    .iter()
                    .find(|n| n.contains("nginx") || n.contains("proxy"))
                    .map(String::as_str)
            })
    }

    /// Restart nginx's container: `docker restart <container>` under plain
    /// Docker, else `docker compose restart <service>`.
    pub fn restart_nginx_container(&self) -> String {
        if self.plain_docker() {
            return format!("docker restart {}", self.nginx_container_name());
        }
        format!("docker compose restart {}", self.nginx_service())
    }

    /// Is nginx's container up: `docker ps` under plain Docker, else
    /// `docker compose ps <service>`.
    pub fn nginx_container_status(&self) -> String {
        if self.plain_docker() {
            return format!(
                "docker ps --filter name={} --format '{{{{.Names}}}} {{{{.Status}}}}'",
                self.nginx_container_name()
            );
        }
        format!("docker compose ps {}", self.nginx_service())
    }

    /// The compose service nginx runs as (`nginx` when the paste does not say).
    pub fn nginx_service(&self) -> &str {
        match self.facts.nginx_service.as_deref() {
            Some(s) => s,
            // Nginx Proxy Manager's own compose file names its service `app`.
            None if self.facts.npm => "app",
            None => "nginx",
        }
    }

    /// `docker compose exec <nginx's service> <cmd>`; when the paste shows
    /// nginx's container exited or restarting, where `exec` fails, a
    /// one-off container of the same service (same config, same networks):
    /// `docker compose run --rm --no-deps <service> <cmd>`.
    pub fn in_nginx_container(&self, cmd: &str) -> String {
        if self.plain_docker() {
            return format!("docker exec {} {cmd}", self.nginx_container_name());
        }
        if self.nginx_container_down() {
            return format!(
                "docker compose run --rm --no-deps {} {cmd}",
                self.nginx_service()
            );
        }
        format!("docker compose exec {} {cmd}", self.nginx_service())
    }

    /// The paste's last row of nginx's own container (`docker ps -a`,
    /// `docker compose ps -a`) says it is not running: exited, restarting,
    /// created or dead.
    pub fn nginx_container_down(&self) -> bool {
        let svc = self.nginx_service();
        self.facts
            .containers
            .iter()
            .rfind(|c| {
                c.image
                    .as_deref()
                    .is_some_and(|i| i.rsplit('/').next().unwrap_or(i).starts_with("nginx"))
                    || c.name.contains("nginx")
                    || is_container_of(&c.name, svc)
            })
            .is_some_and(|c| c.status != "running" && c.status != "paused")
    }

    /// The command that shows nginx's container log: `docker logs <its
    /// container>` under plain Docker, else `docker compose logs <service>`.
    pub fn nginx_container_logs(&self, args: &str) -> String {
        if self.plain_docker() {
            return format!("docker logs {args} {}", self.nginx_container_name());
        }
        format!("docker compose logs {args} {}", self.nginx_service())
    }

    /// Nginx Proxy Manager's proxy host dialog, where its forward address
    /// is set (the config NPM generates is overwritten at every save).
    pub fn npm_forward(&self, site: Option<&str>, host: &str, port: &str) -> String {
        format!(
            "# Nginx Proxy Manager: Hosts → Proxy Hosts → {} → Edit → Details:\n#   Forward Hostname / IP: {host}\n#   Forward Port: {port}\n# then Save (NPM rewrites its config and reloads nginx)",
            site.unwrap_or("the proxy host")
        )
    }

    /// The site a failing request asked for (`host:` of nginx's lines,
    /// else its `server:`), for naming NPM's proxy host.
    pub fn site_of(&self, groups: &[&EventGroup]) -> Option<String> {
        groups
            .iter()
            .flat_map(|g| g.hosts.iter())
            .map(|h| h.split(':').next().unwrap_or(h))
            .find(|h| !h.is_empty() && *h != "_" && *h != "localhost")
            .map(str::to_string)
            .or_else(|| match self.passes().as_slice() {
                [p] => p.server_names.first().cloned(),
                _ => None,
            })
    }

    /// The command that checks and reloads nginx here.
    pub fn reload_nginx(&self) -> String {
        if self.facts.ingress_nginx {
            self.ingress_controller().reload_check()
        } else if self.facts.npm {
            format!(
                "{}   # Nginx Proxy Manager reloads nginx itself when a proxy host is saved",
                self.in_nginx_container("nginx -t")
            )
        } else if self.facts.nginx_in_container && self.nginx_container_down() {
            // Nothing to reload: check the config, then start the container.
            format!(
                "{} && docker compose up -d {}",
                self.in_nginx_container("nginx -t"),
                self.nginx_service()
            )
        } else if self.facts.nginx_in_container {
            format!(
                "{} && {}",
                self.in_nginx_container("nginx -t"),
                self.in_nginx_container("nginx -s reload")
            )
        } else {
            match self.os {
                HostOs::Linux => "sudo nginx -t && sudo systemctl reload nginx".into(),
                // Homebrew's nginx runs as the user who started it.
                HostOs::Mac => {
                    "sudo nginx -t && sudo nginx -s reload   # Homebrew: without sudo".into()
                }
                HostOs::Windows => {
                    "nginx.exe -t && nginx.exe -s reload   # cmd.exe, in nginx's folder".into()
                }
            }
        }
    }

    /// Listeners whose address covers `addr` (same port, compatible host).
    pub fn listeners_covering(&self, addr: &Address) -> Vec<&'a Listener> {
        self.facts
            .listeners
            .iter()
            .filter(|l| covers(&l.addr, addr))
            .collect()
    }

    /// Listeners on the same port as `addr`, whatever their host.
    /// The container publishing `host_port` on the host, the mapping as
    /// `docker ps` wrote it (`0.0.0.0:8080->80/tcp`) and the container port
    /// it leads to.
    pub fn published(&self, host_port: u16) -> Option<(&'a crate::facts::Container, &'a str, u16)> {
        self.facts.containers.iter().find_map(|c| {
            c.ports.iter().find_map(|p| {
                let (left, right) = p.split_once("->")?;
                let hp: u16 = left.rsplit(':').next()?.parse().ok()?;
                let cp: u16 = right.split('/').next()?.parse().ok()?;
                (hp == host_port).then_some((c, p.as_str(), cp))
            })
        })
    }

    /// nginx's refused, reset or cut connections to a loopback port: what
    /// a published container port with nothing behind it looks like.
    pub fn loopback_port_drops(&self) -> Vec<&'a EventGroup> {
        self.nginx_groups(|s| {
            matches!(
                s,
                Signal::IoFailed { errno: 104, .. }
                    | Signal::PrematureClose
                    | Signal::ConnectFailed { errno: 111 }
            )
        })
        .into_iter()
        .filter(|g| {
            g.key
                .upstream
                .as_ref()
                .is_some_and(|u| u.addr.is_loopback() && u.addr.port().is_some())
        })
        .collect()
    }

    pub fn listeners_on_port(&self, port: u16) -> Vec<&'a Listener> {
        self.facts
            .listeners
            .iter()
            .filter(|l| l.addr.port() == Some(port))
            .collect()
    }

    /// Every `*_pass` of the pasted config (empty without a config).
    pub fn passes(&self) -> Vec<Pass> {
        self.facts
            .config
            .as_ref()
            .map(|c| c.passes())
            .unwrap_or_default()
    }

    /// The config line that sends traffic to `addr`: a `*_pass` naming it
    /// directly, or an `upstream {}` block's `server` line naming it (then
    /// the line returned is that server line). Returns (pass, line, file,
    /// line within file, the text as written there).
    pub fn config_line_for(&self, addr: &Address) -> Option<ConfigRef> {
        let mut r = self.config_line_in_paste(addr)?;
        if r.file.is_none() {
            // A config whose file the paste named (`cat FILE`, `# FILE`).
            if let Some((f, l)) = self.facts.shown_place(r.line) {
                r.file = Some(f.to_string());
                r.file_line = l;
            }
        }
        Some(r)
    }

    /// Where a `*_pass` is, for a fix to say: `file:line` from `nginx -T`
    /// or after `cat FILE`, `FILE (line N of the paste)` after a caption,
    /// else `line N` of the paste.
    pub fn pass_place(&self, p: &Pass) -> String {
        if p.file.is_none() {
            match self.facts.shown_place(p.line) {
                Some((f, Some(l))) => return format!("{f}:{l}"),
                Some((f, None)) => return format!("{f}, line {} of the paste", p.line),
                None => {}
            }
        }
        p.place()
    }

    /// [`Self::config_line_for`] with the file only `nginx -T` names.
    fn config_line_in_paste(&self, addr: &Address) -> Option<ConfigRef> {
        let cfg = self.facts.config.as_ref()?;
        let passes = cfg.passes();
        if let Some(p) = passes.iter().find(|p| {
            p.upstream
                .as_ref()
                .is_some_and(|u| same_target(&u.addr, addr))
        }) {
            return Some(ConfigRef::of_pass(p));
        }
        for b in cfg.upstream_blocks() {
            if let Some(srv) = b.servers.iter().find(|s| same_target(&s.addr, addr)) {
                let pass = passes
                    .iter()
                    .find(|p| cfg.upstream_for(p).is_some_and(|u| u.name == b.name))?;
                let d = cfg.find("server").into_iter().find(|d| d.line == srv.line);
                return Some(ConfigRef {
                    file: d.and_then(|d| d.file.clone()).or(b.file.clone()),
                    file_line: d.and_then(|d| d.file_line),
                    line: srv.line,
                    written: d.and_then(|d| d.arg(0)).unwrap_or_default().to_string(),
                    pass: pass.clone(),
                });
            }
        }
        // nginx logs the address a name resolved to (`fastcgi_pass php:9000`
        // → `172.19.0.3:9000`, `localhost:9000` → `127.0.0.1:9000` or
        // `[::1]:9000`): the one pass to a host name on that port.
        if let Address::Tcp {
            host,
            port: Some(port),
        } = addr
        {
            if let Ok(ip) = host.parse::<std::net::IpAddr>() {
                let named: Vec<&Pass> = passes
                    .iter()
                    .filter(|p| {
                        p.upstream.as_ref().is_some_and(|u| {
                            u.effective_port() == Some(*port)
                                && u.addr.host().is_some_and(|h| {
                                    // `localhost` resolves to loopback only.
                                    h.parse::<std::net::IpAddr>().is_err()
                                        && (h == "localhost") == ip.is_loopback()
                                })
                        })
                    })
                    .collect();
                if let [p] = named.as_slice() {
                    return Some(ConfigRef::of_pass(p));
                }
            }
        }
        None
    }

    /// The FPM pool whose `listen` is `addr`, if pasted.
    pub fn pool_listening_on(&self, addr: &Address) -> Option<&'a crate::facts::FpmPool> {
        self.facts
            .pools
            .iter()
            .find(|p| p.listen().is_some_and(|l| same_target(&l, addr)))
    }

    /// The pasted uWSGI ini that listens on `addr`, with the option that
    /// opens it and that option's protocol (`uwsgi`, `http`, …) and line.
    pub fn uwsgi_listening_on(
        &self,
        addr: &Address,
    ) -> Option<(&'a crate::facts::UwsgiIni, &'static str, &'static str, u64)> {
        self.facts.uwsgi.iter().find_map(|u| {
            u.sockets()
                .into_iter()
                .find(|(_, _, a, _)| same_target(a, addr))
                .map(|(k, proto, _, line)| (u, k, proto, line))
        })
    }

    /// The service that backs `upstream`, with how sure we are.
    pub fn service_for(&self, upstream: Option<&Upstream>) -> ServiceGuess {
        let f = self.facts;
        // A php-fpm upstream: version from the socket path, the pool file or a unit.
        let is_fpm = upstream.is_some_and(|u| u.scheme == "fastcgi")
            || upstream
                .and_then(|u| u.addr.socket_path())
                .is_some_and(|p| p.contains("php"));
        if let Some(u) = upstream {
            // A pm2 app that is not online is the best lead for an HTTP upstream.
            if !is_fpm {
                if let Some(app) = f.pm2.iter().find(|a| a.status != "online") {
                    return ServiceGuess {
                        name: app.name.clone(),
                        manager: Manager::Pm2,
                        known: true,
                    };
                }
            }
            // A supervisord program that is not running.
            if !is_fpm {
                if let Some(p) = f.supervisor.iter().find(|p| p.state != "RUNNING") {
                    return ServiceGuess {
                        name: p.name.clone(),
                        manager: Manager::Supervisor,
                        known: true,
                    };
                }
            }
            // Containers: the compose service behind the upstream.
            if let Some(name) = self.container_service_for(u) {
                return ServiceGuess {
                    name,
                    manager: if self.plain_docker() {
                        Manager::DockerRun
                    } else {
                        Manager::Docker
                    },
                    known: true,
                };
            }
            // A unit reported in the paste whose name fits.
            if let Some(s) = self
                .non_nginx_services()
                .find(|s| !s.is_running() && (!is_fpm || s.name.contains("php")))
            {
                return ServiceGuess {
                    name: s.name.clone(),
                    manager: self.native_manager(),
                    known: true,
                };
            }
            // A unit whose failure the pasted journal reports.
            if let Some(unit) = f.groups.iter().find_map(|g| match &g.key.signal {
                Signal::UnitFailed { unit, .. }
                    if !unit.starts_with("nginx") && (!is_fpm || unit.contains("php")) =>
                {
                    Some(unit.trim_end_matches(".service").to_string())
                }
                _ => None,
            }) {
                return ServiceGuess {
                    name: unit,
                    manager: Manager::Systemd,
                    known: true,
                };
            }
            // The unit of a pasted `journalctl -u`.
            if let Some(u) = f
                .journal_units
                .iter()
                .find(|u| !u.starts_with("nginx") && u.contains("php") == is_fpm)
            {
                return ServiceGuess {
                    name: u.clone(),
                    manager: Manager::Systemd,
                    known: true,
                };
            }
            if is_fpm {
                // PHP-FPM under supervisord (one container running nginx and
                // FPM): a program that is not RUNNING.
                if let Some(p) = f.supervisor.iter().find(|p| {
                    p.state != "RUNNING" && (p.name.contains("php") || p.name.contains("fpm"))
                }) {
                    return ServiceGuess {
                        name: p.name.clone(),
                        manager: Manager::Supervisor,
                        known: true,
                    };
                }
                if let Some(s) = self.non_nginx_services().find(|s| s.name.contains("php")) {
                    return ServiceGuess {
                        name: s.name.clone(),
                        manager: self.native_manager(),
                        known: true,
                    };
                }
                if let Some(g) = self.native_fpm() {
                    return g;
                }
                // cPanel EasyApache: `/opt/cpanel/ea-php81/…` is `ea-php81-php-fpm`.
                if let Some(p) = u
                    .addr
                    .socket_path()
                    .filter(|p| p.starts_with("/opt/cpanel/ea-php"))
                {
                    let v: String = p["/opt/cpanel/ea-php".len()..]
                        .chars()
                        .take_while(char::is_ascii_digit)
                        .collect();
                    if !v.is_empty() {
                        return ServiceGuess {
                            name: format!("ea-php{v}-php-fpm"),
                            manager: Manager::Systemd,
                            known: true,
                        };
                    }
                }
                // Plesk: one socket per domain, served by `plesk-phpXY-fpm`
                // (the version when the paste names it).
                if u.addr
                    .socket_path()
                    .is_some_and(|p| p.starts_with("/var/www/vhosts/system/"))
                {
                    let v = f.plesk_php.as_deref().map(|v| v.replace('.', ""));
                    return ServiceGuess {
                        name: format!(
                            "plesk-php{}-fpm",
                            v.as_deref().unwrap_or("{php_version_no_dot}")
                        ),
                        manager: Manager::Systemd,
                        known: v.is_some(),
                    };
                }
                // aaPanel: `/tmp/php-cgi-82.sock` is served by its init
                // script `php-fpm-82` (systemd runs it as that unit).
                if let Some(v) = u
                    .addr
                    .socket_path()
                    .and_then(|p| p.strip_prefix("/tmp/php-cgi-")?.strip_suffix(".sock"))
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                {
                    return ServiceGuess {
                        name: format!("php-fpm-{v}"),
                        manager: Manager::Systemd,
                        known: true,
                    };
                }
                let from_path = u.addr.socket_path().and_then(php_version_in);
                let from_pool = f
                    .pools
                    .iter()
                    .filter_map(|p| p.file.as_deref())
                    .find_map(php_version_in);
                let from_commands = match f.php_versions_named.as_slice() {
                    [one] if self.distro() != Distro::Rhel => Some(one.clone()),
                    _ => None,
                };
                if let Some(v) = from_path.or(from_pool).or(from_commands) {
                    let name = if u.addr.socket_path().is_some_and(|p| p.contains("/remi/")) {
                        format!("php{}-php-fpm", v.replace('.', ""))
                    } else {
                        format!("php{v}-fpm")
                    };
                    return ServiceGuess {
                        name,
                        manager: Manager::Systemd,
                        known: true,
                    };
                }
                if self.distro() == Distro::Rhel
                    || u.addr
                        .socket_path()
                        .is_some_and(|p| p.starts_with("/run/php-fpm/"))
                {
                    return ServiceGuess {
                        name: "php-fpm".into(),
                        manager: Manager::Systemd,
                        known: true,
                    };
                }
                return ServiceGuess {
                    name: "php{php_version}-fpm".into(),
                    manager: Manager::Systemd,
                    known: false,
                };
            }
            // The one app unit the paste shows (running: a socket missing
            // or refused while it runs is still its socket), before guessing
            // from the socket's name.
            let apps: Vec<&crate::facts::ServiceState> = self
                .non_nginx_services()
                .filter(|s| {
                    !s.name.contains("php") && !NOT_THE_APP.iter().any(|n| s.name.contains(n))
                })
                .collect();
            if let [only] = apps.as_slice() {
                return ServiceGuess {
                    name: only.name.clone(),
                    manager: Manager::Systemd,
                    known: true,
                };
            }
            // A pasted uWSGI ini serves it: Debian's and the emperor's unit
            // is `uwsgi` (a unit of the app's own may run it instead).
            if self.uwsgi_listening_on(&u.addr).is_some() {
                return ServiceGuess {
                    name: "uwsgi".into(),
                    manager: Manager::Systemd,
                    known: false,
                };
            }
            // A socket named after its service: /run/gunicorn/app.sock, /run/myapp.sock
            if let Some(p) = u.addr.socket_path() {
                let parts: Vec<&str> = p.trim_start_matches('/').split('/').collect();
                if parts.len() >= 3 && (parts[0] == "run" || parts[0] == "var") {
                    let dir = parts[parts.len() - 2];
                    if dir != "run" && dir != "tmp" {
                        return ServiceGuess {
                            name: dir.to_string(),
                            manager: Manager::Systemd,
                            known: false,
                        };
                    }
                }
                if let Some(stem) = parts.last().and_then(|f| f.strip_suffix(".sock")) {
                    return ServiceGuess {
                        name: stem.to_string(),
                        manager: Manager::Systemd,
                        known: false,
                    };
                }
            }
            // The process that used to own the port, if a listener elsewhere shows one.
            if let Some(s) = self.non_nginx_services().next() {
                return ServiceGuess {
                    name: s.name.clone(),
                    manager: Manager::Systemd,
                    known: true,
                };
            }
            if let Some(app) = f.pm2.first() {
                return ServiceGuess {
                    name: app.name.clone(),
                    manager: Manager::Pm2,
                    known: true,
                };
            }
        }
        ServiceGuess {
            name: "{service}".into(),
            manager: Manager::Systemd,
            known: false,
        }
    }

    /// The compose service that backs `u`, when the paste shows containers
    /// and no systemd unit: the service `*_pass` names (`http://app:3000`),
    /// else the one app container that is not running, else the only app
    /// container.
    fn container_service_for(&self, u: &Upstream) -> Option<String> {
        let f = self.facts;
        if self.non_nginx_services().next().is_some() {
            return None;
        }
        let apps: Vec<&crate::facts::Container> = f
            .containers
            .iter()
            .filter(|c| {
                !c.image.as_deref().unwrap_or("").contains("nginx")
                    && !compose_service(&c.name).contains("nginx")
            })
            .collect();
        let host_is_service = |h: &str| {
            !h.is_empty()
                && !h.contains('.')
                && !h.contains(':')
                && h != "localhost"
                && !h.bytes().all(|b| b.is_ascii_digit())
        };
        // The name nginx was given: in the upstream itself or in the config.
        let named = u
            .addr
            .host()
            .filter(|h| host_is_service(h))
            .map(str::to_string)
            .or_else(|| {
                let hosts: Vec<String> = self
                    .passes()
                    .iter()
                    .filter_map(|p| p.upstream.as_ref()?.addr.host().map(str::to_string))
                    .filter(|h| host_is_service(h))
                    .filter(|h| {
                        f.config
                            .as_ref()
                            .is_none_or(|c| c.upstream_named(h).is_none())
                    })
                    .collect();
                let first = hosts.first()?.clone();
                hosts.iter().all(|h| *h == first).then_some(first)
            });
        if apps.is_empty() {
            // Only nginx's own container, or none pasted: a service name in
            // `*_pass` is still a compose service when nginx runs in one,
            // a pasted compose file names the app, and so does the one app
            // container whose log lines were pasted.
            let logged: Vec<String> = f
                .app_log_containers
                .iter()
                .map(|c| crate::text::service_of_prefix(c))
                .collect();
            return named
                .filter(|_| f.nginx_in_container)
                .or_else(|| Some(self.compose_app(u.addr.port())?.name.clone()))
                .or_else(|| {
                    let first = logged.first().filter(|_| f.nginx_in_container)?;
                    logged.iter().all(|c| c == first).then(|| first.to_string())
                });
        }
        if let Some(n) = &named {
            if apps.iter().any(|c| is_container_of(&c.name, n)) {
                return Some(n.clone());
            }
        }
        // Plain Docker names a container by its whole name.
        let plain = self.plain_docker();
        let svc = |name: &str| {
            if plain {
                name.to_string()
            } else {
                service_of_container(f, name)
            }
        };
        let down: Vec<_> = apps.iter().filter(|c| c.status != "running").collect();
        if down.len() == 1 {
            return Some(svc(&down[0].name));
        }
        if apps.len() == 1 {
            return Some(svc(&apps[0].name));
        }
        named
    }

    /// The app's service in a pasted compose file: not nginx, not a
    /// database or another proxy; the one publishing or exposing `port`
    /// when several remain.
    pub fn compose_app(&self, port: Option<u16>) -> Option<&'a crate::facts::ComposeService> {
        let nginx = self.facts.nginx_service.as_deref();
        let candidates: Vec<&crate::facts::ComposeService> = self
            .facts
            .compose_services
            .iter()
            .filter(|s| Some(s.name.as_str()) != nginx)
            .filter(|s| {
                let look = format!("{} {}", s.name, s.image.as_deref().unwrap_or(""));
                !look.contains("nginx") && !NOT_THE_APP.iter().any(|n| look.contains(n))
            })
            .collect();
        let container_port = |spec: &str| {
            let spec = spec.split('/').next().unwrap_or(spec);
            port.is_some_and(|p| spec.rsplit(':').next() == Some(p.to_string().as_str()))
        };
        candidates
            .iter()
            .copied()
            .find(|s| s.ports.iter().chain(&s.expose).any(|x| container_port(x)))
            .or_else(|| (candidates.len() == 1).then(|| candidates[0]))
    }

    /// What starts services on this system when it is no systemd one:
    /// OpenRC on Alpine (outside containers), rc.d on FreeBSD, `brew
    /// services` on macOS.
    pub fn native_manager(&self) -> Manager {
        match self.distro() {
            Distro::FreeBsd => Manager::BsdRc,
            Distro::Homebrew => Manager::Brew,
            Distro::Alpine
                if self.facts.containers.is_empty() && !self.facts.nginx_in_container =>
            {
                Manager::OpenRc
            }
            _ => Manager::Systemd,
        }
    }

    /// PHP-FPM's service where it is no systemd unit, by the system's
    /// naming: `php-fpm` (FreeBSD's rc.d script), `php-fpm81` (Alpine's
    /// php81 package), `php` or `php@8.2` (Homebrew's formula).
    fn native_fpm(&self) -> Option<ServiceGuess> {
        if let Some(n) = self
            .facts
            .openrc_services
            .iter()
            .find(|n| n.contains("php"))
        {
            return Some(ServiceGuess {
                name: n.clone(),
                manager: Manager::OpenRc,
                known: true,
            });
        }
        let manager = self.native_manager();
        let version = || {
            self.facts
                .pools
                .iter()
                .filter_map(|p| p.file.as_deref())
                .chain(self.facts.paths.iter().map(|e| e.path.as_str()))
                .find_map(php_version_in)
        };
        let (name, known) = match manager {
            Manager::BsdRc => ("php-fpm".to_string(), true),
            Manager::OpenRc => match version() {
                Some(v) => (format!("php-fpm{}", v.replace('.', "")), true),
                None => ("php-fpm{php_version_no_dot}".to_string(), false),
            },
            // `php` is the newest version's formula; older ones are `php@8.2`.
            Manager::Brew => match version() {
                Some(v) => (format!("php@{v}"), false),
                None => ("php".to_string(), false),
            },
            _ => return None,
        };
        Some(ServiceGuess {
            name,
            manager,
            known,
        })
    }

    fn non_nginx_services(&self) -> impl Iterator<Item = &'a crate::facts::ServiceState> {
        self.facts
            .services
            .iter()
            .rev()
            .filter(|s| s.name != "nginx")
    }
}

/// Compose images that are never the app behind nginx.
const NOT_THE_APP: &[&str] = &[
    "postgres",
    "mysql",
    "mariadb",
    "redis",
    "mongo",
    "memcached",
    "rabbitmq",
    "elasticsearch",
    "adminer",
    "phpmyadmin",
    "certbot",
    "traefik",
    "caddy",
    "haproxy",
];

/// The compose service of a container name: `proj-api-1` / `proj_api_1` →
/// `api` (the last word before the index; a service whose own name has a
/// dash is matched with [`is_container_of`] instead).
pub fn compose_service(name: &str) -> &str {
    let base = container_base(name);
    base.rsplit_once(['-', '_']).map(|(_, s)| s).unwrap_or(base)
}

/// The compose service of container `name`, preferring a service the
/// paste names elsewhere: a compose file's service (or its
/// `container_name`), nginx's service from `docker compose ps`, or the
/// service of a `docker compose logs` prefix (`node-app-1  | ` is service
/// `node-app`). Of those `name` is a container of, the longest wins (in
/// `proj-node-app-1`, `node-app` rather than `app`); with none, the last
/// word before the index ([`compose_service`]).
pub fn service_of_container(f: &crate::facts::Facts, name: &str) -> String {
    if let Some(s) = f
        .compose_services
        .iter()
        .find(|s| s.container_name.as_deref() == Some(name))
    {
        return s.name.clone();
    }
    let logged = f
        .app_log_containers
        .iter()
        .map(|c| crate::text::service_of_prefix(c));
    f.compose_services
        .iter()
        .map(|s| s.name.clone())
        .chain(f.nginx_service.iter().cloned())
        .chain(logged)
        .filter(|s| !s.is_empty() && is_container_of(name, s))
        .max_by_key(|s| s.len())
        .unwrap_or_else(|| compose_service(name).to_string())
}

/// The one compose service whose `docker compose logs` prefix carried the
/// app's lines (`app_1  | `, `node-app-1  | `), when all pasted app
/// prefixes agree.
pub fn logged_app_service(f: &crate::facts::Facts) -> Option<String> {
    let mut names = f
        .app_log_containers
        .iter()
        .map(|c| crate::text::service_of_prefix(c));
    let first = names.next()?;
    names.all(|n| n == first).then_some(first)
}

/// A container name without its compose index: `proj-api-1` → `proj-api`.
fn container_base(name: &str) -> &str {
    name.rsplit_once(['-', '_'])
        .filter(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        .map(|(a, _)| a)
        .unwrap_or(name)
}

/// Is `container` (`proj-reverse-proxy-1`) a container of compose service `svc`?
pub fn is_container_of(container: &str, svc: &str) -> bool {
    let base = container_base(container);
    base == svc
        || base
            .strip_suffix(svc)
            .is_some_and(|p| p.ends_with('-') || p.ends_with('_'))
}

/// Does a listener bound to `l` accept connections for target `t`?
pub fn covers(l: &Address, t: &Address) -> bool {
    match (l, t) {
        (Address::Unix { path: a }, Address::Unix { path: b }) => same_path(a, b),
        (
            Address::Tcp {
                host: lh,
                port: Some(lp),
            },
            Address::Tcp {
                host: th,
                port: Some(tp),
            },
        ) => {
            if lp != tp {
                return false;
            }
            let lh = lh.split('%').next().unwrap_or(lh);
            match lh {
                "*" | "0.0.0.0" => !th.contains(':') || lh == "*",
                "::" => true,
                _ => {
                    lh == th
                        || (th == "localhost" && (lh.starts_with("127.") || lh == "::1"))
                        || (lh == "::ffff:127.0.0.1" && th.starts_with("127."))
                }
            }
        }
        _ => false,
    }
}

/// Two targets are the same socket or host:port.
pub fn same_target(a: &Address, b: &Address) -> bool {
    match (a, b) {
        (Address::Unix { path: x }, Address::Unix { path: y }) => same_path(x, y),
        (Address::Tcp { host: h1, port: p1 }, Address::Tcp { host: h2, port: p2 }) => {
            p1 == p2 && (h1 == h2 || h1 == "*" || h2 == "*" || (is_any(h1) || is_any(h2)))
        }
        _ => false,
    }
}

fn is_any(h: &str) -> bool {
    h == "0.0.0.0" || h == "::" || h == "*"
}

/// `/var/run/x` and `/run/x` are the same place on every systemd distro.
pub fn same_path(a: &str, b: &str) -> bool {
    let n = |p: &str| {
        p.strip_prefix("/var")
            .filter(|r| r.starts_with("/run/"))
            .unwrap_or(p)
            .to_string()
    };
    n(a) == n(b)
}

#[cfg(test)]
mod tests {
    /// PHP-FPM off systemd: each system's service tool and name.
    #[test]
    fn fpm_service_on_freebsd_alpine_and_homebrew() {
        let refused = |up: &str| {
            format!("2024/03/02 14:11:09 [error] 1402#1402: *17 connect() failed (111: Connection refused) while connecting to upstream, client: 192.0.2.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://{up}\", host: \"example.com\"\n")
        };
        let fix = |text: String| {
            let r = crate::analyze_str(&text);
            r.causes[0]
                .fixes
                .iter()
                .map(|f| f.command.clone())
                .collect::<Vec<_>>()
                .join("\n")
        };
        let bsd = fix(format!(
            "FreeBSD 14, nginx and php82 from pkg\n{}",
            refused("127.0.0.1:9000")
        ));
        assert!(
            bsd.contains("sudo sysrc php_fpm_enable=YES && sudo service php-fpm start"),
            "{bsd}"
        );
        let alpine = fix(format!(
            "{}localhost:~# rc-service php-fpm82 status\n * status: stopped\n",
            refused("127.0.0.1:9000")
        ));
        assert!(
            alpine.contains(
                "sudo rc-update add php-fpm82 default && sudo rc-service php-fpm82 start"
            ),
            "{alpine}"
        );
        let brew = fix(format!("{}$ brew services list\nphp     error  256 me   ~/Library/LaunchAgents/homebrew.mxcl.php.plist\n", refused("127.0.0.1:9000")));
        assert!(brew.contains("brew services"), "{brew}");
        assert!(!brew.contains("systemctl"), "{brew}");
    }

    #[test]
    fn container_service_prefers_a_service_the_paste_names() {
        use crate::facts::{ComposeService, Facts};
        let mut f = Facts::default();
        // Nothing else pasted: the last word before the index.
        assert_eq!(service_of_container(&f, "node-app-1"), "app");
        // A `docker compose logs` prefix names the service `node-app`.
        f.app_log_containers.push("node-app-1".into());
        assert_eq!(service_of_container(&f, "shop-node-app-1"), "node-app");
        assert_eq!(logged_app_service(&f).as_deref(), Some("node-app"));
        // A compose file's service, and its `container_name`.
        let mut f = Facts::default();
        f.compose_services.push(ComposeService {
            name: "node-app".into(),
            ..Default::default()
        });
        f.compose_services.push(ComposeService {
            name: "db".into(),
            container_name: Some("shop_database".into()),
            ..Default::default()
        });
        assert_eq!(service_of_container(&f, "node-app-1"), "node-app");
        assert_eq!(service_of_container(&f, "proj_node-app_1"), "node-app");
        assert_eq!(service_of_container(&f, "shop_database"), "db");
        // A name no pasted service matches keeps the usual reading.
        assert_eq!(service_of_container(&f, "proj-worker-2"), "worker");
    }

    use super::*;

    #[test]
    fn php_versions() {
        assert_eq!(
            php_version_in("/run/php/php8.1-fpm.sock").as_deref(),
            Some("8.1")
        );
        assert_eq!(
            php_version_in("/etc/php/7.4/fpm/pool.d/www.conf").as_deref(),
            Some("7.4")
        );
        assert_eq!(php_version_in("php7.4-fpm").as_deref(), Some("7.4"));
        assert_eq!(
            php_version_in("/var/opt/remi/php81/run/php-fpm/www.sock").as_deref(),
            Some("8.1")
        );
        assert_eq!(php_version_in("/run/php-fpm/www.sock"), None);
    }

    #[test]
    fn sed_is_exact_and_escaped() {
        let cfg_ref = ConfigRef {
            file: Some("/etc/nginx/sites-enabled/app".into()),
            file_line: Some(12),
            line: 40,
            written: "http://[::1]:3000".into(),
            pass: crate::artifacts::nginx_config::NginxConfig::parse(&[
                crate::artifacts::BlockLine {
                    no: 1,
                    text: "proxy_pass http://x;".into(),
                },
            ])
            .passes()
            .remove(0),
        };
        assert_eq!(
            cfg_ref.sed("http://[::1]:3000", "http://127.0.0.1:3000").unwrap(),
            "sudo sed -i --follow-symlinks '12s#http://\\[::1\\]:3000#http://127\\.0\\.0\\.1:3000#' /etc/nginx/sites-enabled/app".replace("127\\.0\\.0\\.1", "127.0.0.1")
        );
    }

    #[test]
    fn controller_pods_give_their_deployment() {
        assert_eq!(
            deployment_of_pod("ingress-nginx-controller-7d9f8c6b5-xk2lp").as_deref(),
            Some("deploy/ingress-nginx-controller")
        );
        assert_eq!(
            deployment_of_pod("nginx-ingress-ingress-nginx-controller-5c8d66c76d-7xv2m").as_deref(),
            Some("deploy/nginx-ingress-ingress-nginx-controller")
        );
        // A DaemonSet's pod has no ReplicaSet hash.
        assert_eq!(
            deployment_of_pod("nginx-ingress-microk8s-controller-x7k2p"),
            None
        );
        assert_eq!(deployment_of_pod("ingress-nginx-controller"), None);
        assert_eq!(
            controller_word(
                "[pod/ingress-nginx-controller-7d9f8c6b5-xk2lp/controller] 2024/03/11 …"
            )
            .as_deref(),
            Some("ingress-nginx-controller-7d9f8c6b5-xk2lp")
        );
        assert_eq!(
            controller_word("2024/03/11 09:14:02 [error] 33#33: ingress controller"),
            None
        );
    }

    #[test]
    fn coverage() {
        let a = |s: &str| Address::parse(s).unwrap();
        assert!(covers(&a("0.0.0.0:3000"), &a("127.0.0.1:3000")));
        assert!(covers(&a("*:3000"), &a("[::1]:3000")));
        assert!(covers(&a("[::]:3000"), &a("127.0.0.1:3000")));
        assert!(!covers(&a("127.0.0.1:3000"), &a("[::1]:3000")));
        assert!(!covers(&a("[::1]:3000"), &a("127.0.0.1:3000")));
        assert!(!covers(&a("127.0.0.1:3001"), &a("127.0.0.1:3000")));
        assert!(covers(
            &a("unix:/var/run/php/x.sock"),
            &a("unix:/run/php/x.sock")
        ));
    }
}

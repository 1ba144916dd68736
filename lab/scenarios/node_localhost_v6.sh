# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# Node >= 17 listens on `localhost`, which resolves to ::1 first, so the app
# binds [::1] only; nginx proxies to 127.0.0.1. Node runs in a private mount
# namespace with Debian's default /etc/hosts (this host's lacks ::1 localhost).
DESC="Node listen(PORT, 'localhost') binds [::1]; proxy_pass http://127.0.0.1:PORT"
EXPECT=ipv6_localhost
HOSTS_V6=1
CAPTURE="hosts"
BACKEND="node node_app.js @BPORT@ localhost"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

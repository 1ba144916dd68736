# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# proxy_pass http://localhost:PORT with Debian's default /etc/hosts (localhost
# is 127.0.0.1 and ::1); the app binds 127.0.0.1 only. This host's /etc/hosts
# lacks `::1 localhost`, so nginx runs in a private mount namespace with the
# Debian default bind-mounted over /etc/hosts (the real file is not touched).
DESC="proxy_pass http://localhost:PORT, app on 127.0.0.1 only, localhost also ::1"
EXPECT=ipv6_localhost
HOSTS_V6=1
CAPTURE="hosts"
BACKEND="python3 ipv4_only.py --port @BPORT@"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
SERVER='
    location / {
        proxy_pass http://localhost:@BPORT@;
        include proxy_params;
    }
'

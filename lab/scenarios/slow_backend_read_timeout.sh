# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The backend needs 3 s per request; nginx waits 1 s for the response header.
DESC="backend answers after 3 s, proxy_read_timeout 1s"
EXPECT=upstream_timeout
BACKEND="python3 slow.py --port @BPORT@ --delay 3"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
SETTLE=2.5
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
        proxy_read_timeout 1s;
    }
'

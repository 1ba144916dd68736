# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The backend reads the request and closes the connection without replying.
DESC="backend closes the connection before any response byte"
EXPECT=upstream_closed_early
BACKEND="python3 close_early.py --port @BPORT@"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

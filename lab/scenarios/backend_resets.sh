# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The backend aborts every connection with an RST (SO_LINGER 0).
DESC="backend answers with a TCP reset"
EXPECT=upstream_reset
BACKEND="python3 reset.py --port @BPORT@"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

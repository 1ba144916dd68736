# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The Node app moved to another port (PORT env changed); nginx still targets
# the old one.
DESC="proxy_pass to 127.0.0.1:BPORT, Node app listens on 127.0.0.1:APORT"
EXPECT=wrong_port
BACKEND="node node_app.js @APORT@ 127.0.0.1"
BACKEND_READY="tcp:@APORT@"
LOGS="@T@/log/app.log"
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The app behind proxy_pass is not running: nothing listens on its port.
DESC="proxy_pass to 127.0.0.1:PORT, backend stopped"
EXPECT=upstream_down
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

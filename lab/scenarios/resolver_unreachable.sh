# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# proxy_pass with a variable makes nginx resolve at run time through
# `resolver`; nothing answers DNS on that address.
DESC="variable proxy_pass, resolver on a closed port"
EXPECT=dns_resolution
MAX_TIME=15
HTTP_EXTRA='
    resolver 127.0.0.1:@XPORT@ valid=30s;
    resolver_timeout 3s;'
SERVER='
    location / {
        set $backend_host api.internal.lab.test;
        proxy_pass http://$backend_host:@BPORT@;
        include proxy_params;
    }
'

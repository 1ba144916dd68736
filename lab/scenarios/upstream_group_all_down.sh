# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# An upstream{} group of two servers, both stopped; max_fails=1 marks each
# one failed after one refusal.
DESC="upstream group, 2 stopped servers, max_fails=1"
EXPECT=no_live_upstreams
HTTP_EXTRA='
    upstream app_backend {
        server 127.0.0.1:@BPORT@ max_fails=1 fail_timeout=30s;
        server 127.0.0.1:@APORT@ max_fails=1 fail_timeout=30s;
    }'
SERVER='
    location / {
        proxy_pass http://app_backend;
        include proxy_params;
    }
'

# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The backend sends ~16 KB of Set-Cookie headers; proxy_buffer_size is the
# default (one page).
DESC="backend response headers ~16 KB, default proxy_buffer_size"
EXPECT=header_too_big
BACKEND="python3 big_headers.py --port @BPORT@ --kbytes 16"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# worker_rlimit_nofile far below worker_connections; a burst of concurrent
# requests to a slow backend runs the worker out of file descriptors.
DESC="worker_rlimit_nofile 24, worker_connections 512, 30 concurrent slow requests"
EXPECT=fd_exhaustion
MAIN_EXTRA='worker_rlimit_nofile 24;'
EVENTS='worker_connections 512;'
BACKEND="python3 slow.py --port @BPORT@ --delay 2"
BACKEND_READY="tcp:@BPORT@"
PARALLEL=30
REQUESTS=1
MAX_TIME=5
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

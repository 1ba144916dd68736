# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# gunicorn (sync worker, --timeout 2) runs a view that takes 5 s; the arbiter
# kills the worker mid-request.
DESC="gunicorn --timeout 2, WSGI view takes 5 s"
EXPECT=gunicorn_worker_timeout
BACKEND="gunicorn --bind 127.0.0.1:@BPORT@ --workers 1 --timeout 2 --error-logfile @T@/log/gunicorn.log wsgi_slow:app"
BACKEND_ENV="SLOW_SECONDS=5 HOME=@T@"  # gunicorn 23+ puts its control socket under ~/.gunicorn
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/gunicorn.log"
REQUESTS=2
MAX_TIME=12
SETTLE=1
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

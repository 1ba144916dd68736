# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# The backend's export view keeps allocating; it runs in a memory cgroup
# limited to 128 MB (like a systemd MemoryMax= or a container limit) and the
# kernel OOM killer kills it mid-request.
DESC="backend in a 128 MB memory cgroup allocates 512 MB, OOM-killed"
EXPECT=backend_oom
BACKEND="python3 memory_hog.py --port @BPORT@ --mb 512"
BACKEND_MEMORY_LIMIT=134217728
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
CAPTURE="dmesg"
URL_PATH="/export.csv"
SERVER='
    location / {
        proxy_pass http://127.0.0.1:@BPORT@;
        include proxy_params;
    }
'

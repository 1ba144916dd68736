# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# A pool with pm.max_children = 1 gets several concurrent slow requests; the
# queued ones outlive fastcgi_read_timeout.
DESC="pm.max_children = 1, 4 concurrent 2 s requests, fastcgi_read_timeout 3s"
EXPECT=fpm_pool_exhausted
CAPTURE="ls pool"
URL_PATH="/slow.php"
PARALLEL=4
REQUESTS=1
SETTLE=1.5
FPM_START=1
BACKEND_READY="unix:@T@/run/php/php8.2-fpm.sock"
LOGS="@T@/log/php8.2-fpm.log"
FPM_POOL='[www]
user = www-data
group = www-data
listen = @T@/run/php/php8.2-fpm.sock
listen.owner = www-data
listen.group = www-data
listen.mode = 0660
pm = dynamic
pm.max_children = 1
pm.start_servers = 1
pm.min_spare_servers = 1
pm.max_spare_servers = 1
'
SERVER='
    location ~ \.php$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:@T@/run/php/php8.2-fpm.sock;
        fastcgi_read_timeout 3s;
    }
'

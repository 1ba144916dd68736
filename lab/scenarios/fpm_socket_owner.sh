# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# nginx workers run as nobody (like the nginx.org package's `nginx` user);
# the php-fpm pool hands its socket to www-data:www-data 0660.
DESC="nginx user nobody, FPM socket www-data:www-data 0660"
EXPECT=socket_permission
NGINX_USER="nobody nogroup"
CAPTURE="ls ps pool"
URL_PATH="/index.php"
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
pm.max_children = 5
pm.start_servers = 2
pm.min_spare_servers = 1
pm.max_spare_servers = 3
'
SERVER='
    location ~ \.php$ {
        include snippets/fastcgi-php.conf;
        fastcgi_pass unix:@T@/run/php/php8.2-fpm.sock;
    }
'

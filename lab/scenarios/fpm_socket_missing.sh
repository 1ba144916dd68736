# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# fastcgi_pass names a unix socket that does not exist: php-fpm is stopped,
# its socket is gone.
DESC="fastcgi_pass unix:.../php8.2-fpm.sock, php-fpm not running"
EXPECT=socket_missing
CAPTURE="ls pool"
URL_PATH="/index.php"
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

# shellcheck shell=bash disable=SC2034,SC2016 # read by lab/lib.sh; $vars are nginx's
# HTTPS backend with a self-signed certificate; nginx verifies it against an
# unrelated internal CA.
DESC="proxy_ssl_verify on, backend cert self-signed, trusted CA another one"
EXPECT=upstream_ssl
BACKEND="python3 tls_server.py --port @BPORT@ --dir @T@/tls --cn backend.lab.test"
BACKEND_READY="tcp:@BPORT@"
LOGS="@T@/log/app.log"
hook_setup() {
    mkdir -p "$T/tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Lab Internal CA" \
        -keyout "$T/tls/internal-ca.key" -out "$T/tls/internal-ca.pem" 2>/dev/null
}
SERVER='
    location / {
        proxy_pass https://127.0.0.1:@BPORT@;
        include proxy_params;
        proxy_ssl_name backend.lab.test;
        proxy_ssl_server_name on;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate @T@/tls/internal-ca.pem;
    }
'

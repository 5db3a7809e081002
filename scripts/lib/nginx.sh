# Sourced by the benchmarks: serve a directory with Debian's nginx on a loopback port (autoindex on, so
# rclone's http backend can list it). fastiofs_start_nginx ROOT WORKDIR -> sets NGX_PID, NGX_PORT.
fastiofs_start_nginx() {
    local root="$1" work="$2"
    mkdir -p "$work/logs"
    NGX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
    cat >"$work/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/logs/error.log;
events { worker_connections 256; }
http {
    access_log off;
    sendfile on; tcp_nopush on;
    client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
    uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
    server { listen 127.0.0.1:$NGX_PORT; root $root; autoindex on; }
}
CONF
    mkdir -p "$work/tmp"
    nginx -c "$work/nginx.conf" -p "$work" &
    NGX_PID=$!
    local i
    for i in $(seq 1 100); do
        curl -s -o /dev/null "http://127.0.0.1:$NGX_PORT/" && return 0
        sleep 0.1
    done
    echo "nginx did not start" >&2; return 1
}

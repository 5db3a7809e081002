# Sourced by the scripts: installs the Debian packages fastiofs needs to build, test and mount,
# when any is missing. Needs root (or sudo). Swift itself is expected at /opt/swift or on PATH.
fastiofs_install_deps() {
    local wanted="fuse3 libfuse3-dev libcurl4-openssl-dev libsqlite3-dev pkg-config curl ca-certificates git $*"
    local missing=""
    for p in $wanted; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        echo "installing:$missing" >&2
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    fi
    if ! command -v swift >/dev/null 2>&1; then
        if [ -x /opt/swift/usr/bin/swift ]; then export PATH="/opt/swift/usr/bin:$PATH"
        elif [ -x /opt/swift/bin/swift ]; then export PATH="/opt/swift/bin:$PATH"
        else echo "swift not found: install Swift 6.x (https://swift.org/install) and retry" >&2; return 1
        fi
    fi
}

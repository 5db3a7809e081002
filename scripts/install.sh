#!/usr/bin/env bash
# Installs fastiofs so that mount(8), /etc/fstab and systemd can use it:
#   scripts/install.sh [PREFIX]              (default /usr/local; needs root)
#   scripts/install.sh --uninstall [PREFIX]
# Builds release (unless FASTIOFS_INSTALL_FROM names a directory holding built fastiofs and
# fastio-emulator binaries), then installs:
#   PREFIX/bin/fastiofs, PREFIX/bin/fastio-emulator
#   /sbin/mount.fastiofs -> PREFIX/bin/fastiofs   (mount(8) runs helpers from /sbin only: -t fastiofs)
#   PREFIX/share/man/man1/fastiofs.1 (when it can be generated)
#   bash, zsh and fish completions under PREFIX/share
#   PREFIX/lib/systemd/system/fastiofs@.service  (a template unit; see docs/OPERATIONS.md)
# `-t fuse.fastiofs` makes mount.fuse3 run `fastiofs` through /bin/sh with the caller's PATH: install
# into a PREFIX whose bin is on it (/usr/local and /usr are on systemd's and root's PATH).
set -euo pipefail
cd "$(dirname "$0")/.."

uninstall=""
if [ "${1:-}" = "--uninstall" ]; then uninstall=1; shift; fi
PREFIX=$(realpath -m "${1:-/usr/local}")
HELPER_DIR=/sbin
HELPER="$HELPER_DIR/mount.fastiofs"
if [ "$(id -u)" -ne 0 ]; then echo "install.sh: run as root (it writes $PREFIX and $HELPER)" >&2; exit 1; fi

files=(
    "$PREFIX/bin/fastiofs" "$PREFIX/bin/fastio-emulator" "$PREFIX/share/man/man1/fastiofs.1"
    "$PREFIX/share/bash-completion/completions/fastiofs" "$PREFIX/share/zsh/site-functions/_fastiofs"
    "$PREFIX/share/fish/vendor_completions.d/fastiofs.fish" "$PREFIX/lib/systemd/system/fastiofs@.service"
)

if [ -n "$uninstall" ]; then
    # Only our own link: another install's helper is left alone.
    if [ -L "$HELPER" ] && [ "$(readlink "$HELPER")" = "$PREFIX/bin/fastiofs" ]; then rm -f "$HELPER"; fi
    rm -f "${files[@]}"
    echo "removed fastiofs from $PREFIX"
    exit 0
fi

if [ -n "${FASTIOFS_INSTALL_FROM:-}" ]; then
    BIN=$(realpath "$FASTIOFS_INSTALL_FROM")
else
    . scripts/lib/deps.sh
    fastiofs_install_deps
    echo "building (release; a first build takes several minutes)..." >&2
    scripts/lib/build-progress.sh -c release
    BIN=$(swift build -c release --show-bin-path)
fi
for tool in fastiofs fastio-emulator; do
    [ -x "$BIN/$tool" ] || { echo "install.sh: $BIN/$tool is missing" >&2; exit 1; }
done

if [ -e "$HELPER" ] && ! { [ -L "$HELPER" ] && [ "$(readlink "$HELPER")" = "$PREFIX/bin/fastiofs" ]; }; then
    if [ -z "${FASTIOFS_REPLACE_HELPER:-}" ]; then
        echo "install.sh: $HELPER exists and is not this install's link (set FASTIOFS_REPLACE_HELPER=1 to replace it)" >&2
        exit 1
    fi
fi

install -d "$PREFIX/bin" "$PREFIX/share/man/man1" "$PREFIX/share/bash-completion/completions" \
    "$PREFIX/share/zsh/site-functions" "$PREFIX/share/fish/vendor_completions.d" "$PREFIX/lib/systemd/system"
install -m 0755 "$BIN/fastiofs" "$PREFIX/bin/fastiofs"
install -m 0755 "$BIN/fastio-emulator" "$PREFIX/bin/fastio-emulator"
ln -sfn "$PREFIX/bin/fastiofs" "$HELPER"
"$PREFIX/bin/fastiofs" completion bash >"$PREFIX/share/bash-completion/completions/fastiofs"
"$PREFIX/bin/fastiofs" completion zsh >"$PREFIX/share/zsh/site-functions/_fastiofs"
"$PREFIX/bin/fastiofs" completion fish >"$PREFIX/share/fish/vendor_completions.d/fastiofs.fish"
sed "s|@BINDIR@|$PREFIX/bin|g" contrib/fastiofs@.service >"$PREFIX/lib/systemd/system/fastiofs@.service"

# The man page comes from ArgumentParser's generate-manual plugin (it builds the package once more).
if [ -z "${FASTIOFS_SKIP_MAN:-}" ]; then
    man=$(mktemp -d)
    if swift package --allow-writing-to-directory "$man" generate-manual --output-directory "$man" >"$man/log" 2>&1 \
        && [ -f "$man/fastiofs.1" ]; then
        install -m 0644 "$man/fastiofs.1" "$PREFIX/share/man/man1/fastiofs.1"
    else
        echo "install.sh: the man page could not be generated (see $man/log); fastiofs --help has the same text" >&2
    fi
    rm -rf "$man"
fi

# A running systemd learns of the new unit now (not in containers without systemd).
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemctl daemon-reload || echo "install.sh: systemctl daemon-reload failed; run it before using fastiofs@.service" >&2
fi

echo "installed fastiofs $("$PREFIX/bin/fastiofs" --version | sed 's/^fastiofs //') into $PREFIX; $HELPER -> $PREFIX/bin/fastiofs"
echo "an /etc/fstab line:  workspace:NAME /mnt/NAME fastiofs token_file=/etc/fastiofs/token,_netdev,nofail 0 0"

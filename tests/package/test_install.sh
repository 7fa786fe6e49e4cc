#!/usr/bin/env bash
# Checks the Debian package as a user meets it: lintian, desktop-file-validate and appstreamcli on
# its files; then installs it on this machine, runs swav --version and a one-epoch quick run from
# /usr/bin, starts swav-workbench under a virtual X server and takes a screenshot, removes the
# package and checks that none of its files is left. Needs root and `make package` first; CTest
# label "install", which the default test run skips (make test-install runs it).
#
# usage: test_install.sh PACKAGE.deb VERSION SCREENSHOT.png
set -euo pipefail

deb=$1
version=$2
screenshot=$3
failures=0
check() { # description, command...
    local what=$1
    shift
    if "$@"; then
        echo "ok    $what"
    else
        echo "FAIL  $what"
        failures=$((failures + 1))
    fi
}

[[ -f $deb ]] || { echo "no package at $deb: run make package first" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "the install test installs a package: run it as root" >&2; exit 1; }
for tool in lintian desktop-file-validate appstreamcli xvfb-run xwininfo import; do
    command -v "$tool" >/dev/null || { echo "$tool is missing: bash packaging/install-deps.sh --packaging" >&2; exit 1; }
done
# Never replace programs that another package or the user put there.
if ! dpkg-query -W -f='${Status}' swav-workbench 2>/dev/null | grep -q "install ok installed"; then
    for program in /usr/bin/swav /usr/bin/swav-workbench; do
        [[ ! -e $program ]] || { echo "$program exists and is not this package's" >&2; exit 1; }
    done
fi

mkdir -p "$(dirname "$screenshot")"
work=$(mktemp -d)
cleanup() {
    [[ -n ${xvfb_pid:-} ]] && kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "== the package's files"
lintian --fail-on error --no-tag-display-limit "$deb" | tee "$work/lintian.txt" || true
check "lintian reports no error" bash -c "! grep -q '^E:' '$work/lintian.txt'"
dpkg-deb -x "$deb" "$work/root"
check "desktop-file-validate" desktop-file-validate "$work/root/usr/share/applications/swav-workbench.desktop"
check "appstreamcli validate" appstreamcli validate --no-net \
    "$work/root/usr/share/metainfo/org.swavworkbench.SwavWorkbench.metainfo.xml"
check "a man page for swav and for swav train" test -f "$work/root/usr/share/man/man1/swav.1.gz" \
    -a -f "$work/root/usr/share/man/man1/swav-train.1.gz"
check "the icon in the hicolor theme, scalable and 48 px" test -f \
    "$work/root/usr/share/icons/hicolor/scalable/apps/swav-workbench.svg" -a -f \
    "$work/root/usr/share/icons/hicolor/48x48/apps/swav-workbench.png"

echo "== installed"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' | grep -v '/$' >"$work/files.txt"
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$(realpath "$deb")" \
    >"$work/apt.txt" 2>&1 || { cat "$work/apt.txt"; exit 1; }
check "swav --version says $version" bash -c "/usr/bin/swav --version | grep -qx '$version'"
check "man swav-train renders" bash -c "MANPAGER=cat man swav-train 2>/dev/null | grep -q 'Train a SwAV model'"
export HOME=$work/home XDG_CONFIG_HOME=$work/home/config XDG_DATA_HOME=$work/home/data
mkdir -p "$HOME"
(cd "$HOME" && /usr/bin/swav train --preset fashion-mnist-quick) >"$work/train.txt" 2>&1 || true
tail -n 3 "$work/train.txt"
check "a one-epoch quick run from /usr/bin/swav finishes" grep -q "finished 1 epochs" "$work/train.txt"

display=:97
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
# On the X server, as a desktop starts it (a test environment may ask Qt for offscreen).
DISPLAY=$display QT_QPA_PLATFORM=xcb /usr/bin/swav-workbench >"$work/workbench.txt" 2>&1 &
workbench_pid=$!
shown=0
for _ in $(seq 1 120); do # the window appears within seconds; give a busy machine a minute
    if DISPLAY=$display xwininfo -root -tree 2>/dev/null | grep -q '"SwAV Workbench'; then
        shown=1
        break
    fi
    sleep 0.5
done
check "swav-workbench shows its window" test "$shown" -eq 1
[[ $shown -eq 1 ]] || cat "$work/workbench.txt"
sleep 2 # let the first frame paint before the screenshot
DISPLAY=$display import -window root "$screenshot" && echo "screenshot: $screenshot"
kill "$workbench_pid" 2>/dev/null || true
wait "$workbench_pid" 2>/dev/null || true

echo "== removed"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -q swav-workbench >"$work/purge.txt" 2>&1 ||
    { cat "$work/purge.txt"; exit 1; }
left=$(while read -r file; do if [[ -e $file ]]; then echo "$file"; fi; done <"$work/files.txt")
check "no file of the package is left ($(wc -l <"$work/files.txt") files)" test -z "$left"
[[ -z $left ]] || echo "$left"
check "dpkg no longer knows it" bash -c "! dpkg-query -W -f='\${Status}' swav-workbench 2>/dev/null | grep -q installed"

echo "$failures failure(s)"
[[ $failures -eq 0 ]]

#!/usr/bin/env bash
# Writes gzipped man pages for swav, each of its subcommands (swav-train.1, swav-bench-data.1, ...)
# and swav-workbench, from the programs' own --help, so that they never drift from the code.
#
# usage: make-man-pages.sh SWAV [SWAV_WORKBENCH] OUT_DIR VERSION
set -euo pipefail

swav=$1
if [[ $# -eq 4 ]]; then workbench=$2; shift; else workbench=""; fi
out=$2
version=$3
mkdir -p "$out"
# Defaults that name the user's folders read as "~/..." instead of this machine's home.
export HOME='~'
unset XDG_DATA_HOME XDG_CONFIG_HOME
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The subcommands that `swav WORDS... --help` lists under "Subcommands:".
subcommands_of() {
    "$swav" "$@" --help | awk '/^Subcommands:/ {in_list = 1; next}
                               in_list && /^  [a-z]/ {print $1}
                               in_list && /^[^ ]/ {in_list = 0}'
}

# The first line of `swav WORDS... --help`: the subcommand's one-line description.
summary_of() {
    "$swav" "$@" --help | head -n 1 | sed 's/^swav: //'
}

# help2man runs a program by name: a wrapper named after the page runs swav with the words.
page() {
    local name=$1 see_also=$2
    shift 2
    local wrapper="$work/$name"
    printf '#!/bin/sh\nexec "%s" %s "$@"\n' "$swav" "$*" >"$wrapper"
    chmod +x "$wrapper"
    printf '[SEE ALSO]\n%s\n' "$see_also" >"$work/$name.h2m"
    help2man --no-info --no-discard-stderr --version-string="$version" \
        --name="$(summary_of "$@")" --section=1 --source="SwAV Workbench $version" \
        --include="$work/$name.h2m" --output="$work/$name.1" "$wrapper"
    gzip -9n <"$work/$name.1" >"$out/$name.1.gz"
}

# Each entry is the words after "swav" (a subcommand, or a subcommand and a nested one).
commands=()
for sub in $(subcommands_of); do
    commands+=("$sub")
    for nested in $(subcommands_of "$sub"); do
        commands+=("$sub $nested")
    done
done
pages=()
for words in "${commands[@]}"; do
    pages+=("swav-${words// /-}")
done

# swav(1) points to every subcommand page; each of those back to swav(1).
page swav "$(printf '.BR %s (1),\n' "${pages[@]}" swav-workbench | sed '$ s/,$//')"
for words in "${commands[@]}"; do
    # shellcheck disable=SC2086 # the words are the subcommand path
    page "swav-${words// /-}" ".BR swav (1)" $words
done

if [[ -n "$workbench" ]]; then
    printf '[SEE ALSO]\n.BR swav (1)\n' >"$work/workbench.h2m"
    QT_QPA_PLATFORM=offscreen help2man --no-info --no-discard-stderr \
        --version-string="$version" --name="SwAV self-supervised learning workbench" \
        --section=1 --source="SwAV Workbench $version" --include="$work/workbench.h2m" \
        --output="$work/swav-workbench.1" "$workbench"
    gzip -9n <"$work/swav-workbench.1" >"$out/swav-workbench.1.gz"
fi

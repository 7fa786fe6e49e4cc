#!/usr/bin/env bash
# Turns CHANGELOG.md ("## [VERSION] - YYYY-MM-DD" headings, "- " items) into what packages need.
#
# usage: changelog-from-markdown.sh debian CHANGELOG.md PACKAGE "NAME <EMAIL>"  > changelog
#        changelog-from-markdown.sh appstream CHANGELOG.md                    > releases.xml
set -euo pipefail

format=$1
markdown=$2

# One line per item: VERSION<TAB>DATE<TAB>TEXT (continuation lines joined), and a line with an
# empty TEXT for a version without items.
items() {
    awk '
        /^## \[[^]]+\] - [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/ {
            flush(); version = $2; gsub(/[][]/, "", version); date = $4; seen[version] = 0; next
        }
        /^## / { flush(); version = ""; next }
        version != "" && /^- / { flush(); text = substr($0, 3); next }
        version != "" && /^  +[^ ]/ && text != "" { sub(/^ +/, " "); text = text $0; next }
        { flush() }
        END { flush() }
        function flush() {
            if (text != "") { print version "\t" date "\t" text; seen[version] = 1 }
            text = ""
        }' "$markdown"
}

case $format in
debian)
    package=$3
    maintainer=$4
    current=""
    while IFS=$'\t' read -r version date text; do
        if [[ $version != "$current" ]]; then
            [[ -n $current ]] && printf '\n -- %s  %s\n\n' "$maintainer" "$stamp"
            current=$version
            stamp=$(LC_ALL=C date -u -R -d "$date 12:00")
            printf '%s (%s) unstable; urgency=medium\n\n' "$package" "$version"
        fi
        # Markdown code spans read as plain text in a changelog.
        printf '%s\n' "${text//\`/}" | fold -s -w 72 | sed -e '1s/^/  * /' -e '2,$s/^/    /' \
            -e 's/ *$//'
    done < <(items)
    [[ -n $current ]] && printf '\n -- %s  %s\n' "$maintainer" "$stamp"
    ;;
appstream)
    items | cut -f1,2 | uniq | while IFS=$'\t' read -r version date; do
        printf '    <release version="%s" date="%s"/>\n' "$version" "$date"
    done
    ;;
*)
    echo "changelog-from-markdown.sh: unknown format '$format' (debian, appstream)" >&2
    exit 2
    ;;
esac

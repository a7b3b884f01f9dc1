#!/usr/bin/env bash
# fetch.sh DEST puts the five Fandol fonts the PDF renderer needs into DEST
# (default .tools/fonts), skipping the work when they are already there:
#
#   FandolFang-Regular.otf  仿宋: body text
#   FandolHei-Regular.otf   黑体: level-1 headings
#   FandolKai-Regular.otf   楷体: level-2 headings
#   FandolSong-Regular.otf  宋体: page numbers
#   FandolSong-Bold.otf     stands in for 方正小标宋 (mark, title)
#
# They come from Debian's texlive-lang-chinese package (49 MB), downloaded
# with apt-get and unpacked with dpkg-deb -x, never installed. Licence:
# GPL-3 with the font exception (LICENSES/Fandol/). The files are checked
# against the SHA-256 sums below; Fandol has not changed since v0.3 (2015).
#
# For a Lambda layer: bash infra/fonts/fetch.sh build/fonts-layer/fonts
# (a layer unpacks under /opt, so the function reads DOCFLOW_FONTS=/opt/fonts).
set -euo pipefail

cd "$(dirname "$0")/../.."
DEST=${1:-$PWD/.tools/fonts}

sums='d838ad32ce2244d8144f408c37fe71065aba6fbbc80759a4d2aa2033948d5bc9  FandolFang-Regular.otf
4afa97aa8751e0118617df88272b58d43691b5cffb7ea024c4580496e9f34d28  FandolHei-Regular.otf
ea7e7fb4f9b3ac694a68d43946e04d21deed6e8c29a7c2d3081e1a4138f2f827  FandolKai-Regular.otf
ffa76a70e128947a4dd22151d5ee829b23e24ce3cb6fe8ad49891cd1c2d9e9b9  FandolSong-Bold.otf
a3820003227d4abe31fe28b493200d94a849ccfd078b50a019264f70353020b0  FandolSong-Regular.otf'

have() { [ -d "$DEST" ] && (cd "$DEST" && echo "$sums" | sha256sum --quiet -c - >/dev/null 2>&1); }

# The licence travels with the fonts (GPL-3 §4), e.g. into the Lambda layer.
licence() {
	if [ ! -f "$DEST/LICENSES/Fandol/COPYING" ]; then
		mkdir -p "$DEST/LICENSES"
		cp -R LICENSES/Fandol "$DEST/LICENSES/"
	fi
}

if have; then
	licence
	exit 0
fi

for tool in apt-get dpkg-deb sha256sum; do
	if ! command -v "$tool" >/dev/null; then
		echo "fetch.sh: needs $tool (a Debian or Ubuntu machine). Elsewhere, get fandol.zip from CTAN (fonts/fandol) and put the five .otf files named above in $DEST" >&2
		exit 1
	fi
done

echo "fetch.sh: extracting the Fandol fonts from texlive-lang-chinese into $DEST" >&2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download texlive-lang-chinese >/dev/null 2>&1); then
	# The package lists may be missing or stale on a fresh machine.
	apt-get update -qq >/dev/null
	(cd "$tmp" && apt-get download texlive-lang-chinese >/dev/null)
fi
dpkg-deb -x "$tmp"/texlive-lang-chinese_*.deb "$tmp/x"
src="$tmp/x/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"
mkdir -p "$DEST"
# Copy to temporary names and rename, so an interrupted run never leaves a
# truncated font that a later check would take for a good one.
while read -r _ name; do
	cp "$src/$name" "$DEST/.$name.tmp"
	mv "$DEST/.$name.tmp" "$DEST/$name"
done <<<"$sums"

if ! have; then
	echo "fetch.sh: the fonts in $DEST do not match the expected SHA-256 sums (a changed Debian package?)" >&2
	(cd "$DEST" && echo "$sums" | sha256sum -c -) >&2 || true
	exit 1
fi
licence

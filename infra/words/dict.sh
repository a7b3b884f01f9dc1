#!/usr/bin/env bash
# dict.sh writes internal/notice/words/dict.txt.gz, the dictionary the title
# breaker segments words with: the Simplified Chinese dictionary of
# github.com/go-ego/gse (data/dict/zh/s_1.txt, from jieba; Apache-2.0, see
# LICENSES/gse/), cut to the words seen at least MIN times (default 100:
# 36,000 words, 230 KB compressed, read in about 0.1 s; the whole dictionary
# is 350,000 words and takes 1.3 s and 200 MB to read). The module comes
# from the Go module proxy at the version go.mod requires; gzip -n keeps
# the output byte-stable. Run from anywhere:
#   bash infra/words/dict.sh [MIN]
set -euo pipefail
cd "$(dirname "$0")/../.."
MIN=${1:-100}
dir=$(go mod download -json github.com/go-ego/gse | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
src="$dir/data/dict/zh/s_1.txt"
[ -f "$src" ] || { echo "dict.sh: $src not found" >&2; exit 1; }
awk -v min="$MIN" '$2 >= min' "$src" | gzip -9 -n >internal/notice/words/dict.txt.gz
echo "dict.sh: $(gzip -dc internal/notice/words/dict.txt.gz | wc -l) words, $(wc -c <internal/notice/words/dict.txt.gz) bytes" >&2

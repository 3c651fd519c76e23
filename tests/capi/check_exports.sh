#!/bin/sh
# Every defined dynamic symbol (T/D/B/R/W) of libdsv4.so must be a dsv4_* function or object.
set -eu
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ && $3 !~ /^dsv4_/ {print $3}')
count=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRW]$/ && $3 ~ /^dsv4_/' | wc -l)
if [ -n "$bad" ]; then
  echo "non-dsv4 symbols exported from $lib:"; echo "$bad"; exit 1
fi
if [ "$count" -lt 10 ]; then echo "only $count dsv4_ symbols exported"; exit 1; fi
echo "$count dsv4_* symbols exported, no others"

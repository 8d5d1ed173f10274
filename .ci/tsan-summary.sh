#!/usr/bin/env bash
# Summarises ThreadSanitizer reports written with TSAN_OPTIONS=log_path=DIR/tsan:
# how many, of which kind, and the distinct reports keyed by the first frame in project
# code (actors/ transport/ store/ protocol/ runtime/ tests/) of each of the first two
# stacks. Exit status 1 when there is any report.
#
#   .ci/tsan-summary.sh DIR [SOURCE_ROOT] [TOP]
set -euo pipefail
dir="${1:?usage: $0 LOG_DIR [SOURCE_ROOT] [TOP]}"
root="${2:-$(cd "$(dirname "$0")/.." && pwd)}"
top="${3:-15}"

shopt -s nullglob
files=("$dir"/tsan.*)
if [ ${#files[@]} -eq 0 ] || ! grep -q '^WARNING: ThreadSanitizer:' "${files[@]}"; then
  printf '\033[1m==> TSan: no reports (%d log files in %s)\033[0m\n' "${#files[@]}" "$dir"
  exit 0
fi

awk -v root="$root/" -v top="$top" '
function frame(line,   f, fn) {
  # "    #3 ns::func(args) /abs/path/file.cpp:42 (module+0x1234)"
  if (!match(line, " " root "(actors|transport|store|protocol|runtime|tests)/[^ ]+:[0-9]+")) return ""
  f = substr(line, RSTART + 1 + length(root), RLENGTH - 1 - length(root))
  fn = line; sub(/^ *#[0-9]+ /, "", fn); fn = substr(fn, 1, index(fn, " " root) - 1)
  if (length(fn) > 70) fn = substr(fn, 1, 67) "..."
  return f " (" fn ")"
}
function first_frame(line,   fn) {
  fn = line; sub(/^ *#[0-9]+ /, "", fn); sub(/ \(.*\+0x[0-9a-f]+\)$/, "", fn)
  if (length(fn) > 90) fn = substr(fn, 1, 87) "..."
  return "[no project frame] " fn
}
function finish(   key) {
  if (kind == "") return
  if (s1 == "") s1 = "-"
  if (s2 == "") s2 = "-"
  key = kind "\n      1st: " s1 "\n      2nd: " s2
  count[key]++
  if (!((key, FILENAME) in seen)) { seen[key, FILENAME] = 1; procs[key]++ }
  kinds[kind]++
  total++
  kind = ""
}
/^WARNING: ThreadSanitizer: / {
  finish()
  kind = $0; sub(/^WARNING: ThreadSanitizer: /, "", kind); sub(/ \(pid=[0-9]+\)$/, "", kind)
  section = 0; s1 = ""; s2 = ""; f1 = ""; f2 = ""; in_stack = 0
  next
}
kind != "" && /^  [A-Z].*:$/ { section++; in_stack = 1; next }
kind != "" && /^    #[0-9]+ / {
  if (section == 1 || section == 2) {
    fr = frame($0)
    if (section == 1) { if (f1 == "") f1 = first_frame($0); if (s1 == "" && fr != "") s1 = fr }
    else              { if (f2 == "") f2 = first_frame($0); if (s2 == "" && fr != "") s2 = fr }
  }
  next
}
kind != "" && /^SUMMARY: ThreadSanitizer:/ {
  if (s1 == "") s1 = f1
  if (s2 == "") s2 = f2
  finish()
}
END {
  finish()
  printf "\033[1m==> TSan: %d reports, %d distinct", total, length(count)
  printf "\033[0m\n"
  for (k in kinds) printf "    %5d  %s\n", kinds[k], k
  n = 0
  for (k in count) keys[++n] = k
  # sort by count, descending
  for (i = 2; i <= n; i++) { v = keys[i]; j = i - 1
    while (j > 0 && count[keys[j]] < count[v]) { keys[j + 1] = keys[j]; j-- }
    keys[j + 1] = v }
  printf "  top distinct reports (count in how many processes: first frame in project code of each stack):\n"
  for (i = 1; i <= n && i <= top; i++)
    printf "  %4d x in %d process(es): %s\n", count[keys[i]], procs[keys[i]], keys[i]
  if (n > top) printf "  ... %d more distinct reports\n", n - top
}
' "${files[@]}"
printf '    full reports: %s/tsan.<pid>\n' "$dir"
exit 1

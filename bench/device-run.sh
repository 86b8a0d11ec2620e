#!/bin/sh
# The multi-thread benchmarks of issue 11 for a machine with 16+ cores, in at most ~8 minutes.
# Expects bench/target/jre (bench/make-jre.sh) and bench/target/benchmarks.jar next to this script; writes
# JMH JSON (-rf json) and text for each run, machine.txt and summary.txt to $OUT (default bench/target/device-out).
#
#   bench/device-run.sh                      threads 1 2 4 8 16, readers 4 8 16 (the 16-core run)
#   bench/device-run.sh --quick              threads 1 2, readers 1 2, shorter iterations (a test of the script)
#   bench/device-run.sh --threads "1 4" --readers "8" --limit 300
#
# Runs, most important first; a run that would start after --limit seconds (default 450) is skipped and
# listed in summary.txt, so the script ends in time on a slower machine. Each run is preceded by one
# second of CoreToCoreMain (the round trip of a cache line between two cores, in the summary above the
# run's results), which the same-stream scaling follows:
#   tlb-scaling-<stream>-t<N>  TlbScalingBenchmark: W = 2048 random pages, 1024-entry TLB, ops/us (total)
#   writer-alone, rw-r<R>      WriterUnderReadersBenchmark: map+unmap ops/ms alone; under R readers, writer map/idle/spin
#   working-set                WorkingSetBenchmark: 1 thread, W = 16/256/2048/65536 random/sequential, vs probe
#   miss-walk                  MissWalkBenchmark: nested miss walk vs 24 dependent loads, 1 thread
#   walk-scaling-t<N>          TlbScalingBenchmark tlb=0: every transaction walks
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
JAVA=$HERE/target/jre/bin/java
JAR=$HERE/target/benchmarks.jar
OUT=${OUT:-$HERE/target/device-out}
THREADS="1 2 4 8 16"
READERS="4 8 16"
LIMIT=450
MT="-f 1 -wi 2 -w 2s -i 3 -r 2s"
ST="-f 1 -wi 2 -w 1s -i 3 -r 1s"
while [ $# -gt 0 ]; do
	case "$1" in
		--quick) THREADS="1 2"; READERS="1 2"; MT="-f 1 -wi 1 -w 1s -i 2 -r 1s"; ST="-f 1 -wi 1 -w 500ms -i 2 -r 500ms"; shift ;;
		--threads) THREADS=$2; shift 2 ;;
		--readers) READERS=$2; shift 2 ;;
		--limit) LIMIT=$2; shift 2 ;;
		*) echo "usage: $0 [--quick] [--threads \"1 2 4 8 16\"] [--readers \"4 8 16\"] [--limit seconds]" >&2; exit 2 ;;
	esac
done
[ -x "$JAVA" ] || { echo "no $JAVA: run bench/make-jre.sh" >&2; exit 1; }
[ -f "$JAR" ] || { echo "no $JAR" >&2; exit 1; }
mkdir -p "$OUT"
START=$(date +%s)
SKIPPED=""
{
	echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cores: $(nproc)"
	grep -m1 'model name' /proc/cpuinfo 2>/dev/null || true
	grep MemTotal /proc/meminfo 2>/dev/null || true
	echo "load: $(cat /proc/loadavg 2>/dev/null || echo -)"
	"$JAVA" -version 2>&1
	echo "threads: $THREADS; readers: $READERS; multi-thread: $MT; single-thread: $ST"
} > "$OUT/machine.txt"

run() {
	name=$1
	shift
	now=$(( $(date +%s) - START ))
	if [ "$now" -ge "$LIMIT" ]; then
		SKIPPED="$SKIPPED $name"
		return 0
	fi
	echo "[$now s] $name" >&2
	# the core-to-core round trip just before: what a line shared by two threads costs on this host now
	"$JAVA" -cp "$JAR" smmu.bench.CoreToCoreMain 1 > "$OUT/$name.c2c" 2>&1 || true
	"$JAVA" -jar "$JAR" "$@" -rf json -rff "$OUT/$name.json" > "$OUT/$name.txt" 2>&1 || echo "$name failed: see $name.txt" >&2
}

for t in $THREADS; do
	for s in same own; do
		run "tlb-scaling-$s-t$t" 'TlbScalingBenchmark' $MT -t "$t" -p stream=$s -p tlb=1024
	done
done
run writer-alone 'WriterUnderReadersBenchmark.writerAlone$' $MT -t 1 -p writer=map
for r in $READERS; do
	run "rw-r$r" 'WriterUnderReadersBenchmark.rw$' $MT -tg "$r,1"
done
run working-set 'WorkingSetBenchmark' $ST
run miss-walk 'MissWalkBenchmark' $ST
for t in $THREADS; do
	run "walk-scaling-t$t" 'TlbScalingBenchmark' $MT -t "$t" -p stream=same -p tlb=0
done

{
	cat "$OUT/machine.txt"
	echo "elapsed: $(( $(date +%s) - START )) s"
	echo "skipped (time limit):${SKIPPED:- none}"
	for f in "$OUT"/*.txt; do
		case "$f" in */machine.txt|*/summary.txt) continue ;; esac
		echo
		echo "== $(basename "$f" .txt)"
		# JMH's result table and the hit-rate lines of the last measurement iteration
		cat "${f%.txt}.c2c" 2>/dev/null || true
		sed -n '/^Benchmark /,$p' "$f"
		grep '^Iteration.*hit rates' "$f" | tail -1 || true
	done
} > "$OUT/summary.txt"
echo "done in $(( $(date +%s) - START )) s: $OUT/summary.txt" >&2

#!/bin/sh
# Builds bench/target/jre: a jlink-trimmed JRE from this machine's JDK 17 with only the modules that the
# benchmark jar (bench/target/benchmarks.jar, built by `mvn -B -o package -pl bench -am -DskipTests`)
# needs, as jdeps reports them. JMH forks its measurement JVMs from the same java, so the trimmed JRE
# runs everything. Usage: bench/make-jre.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
JAR=$HERE/target/benchmarks.jar
JRE=$HERE/target/jre
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
[ -f "$JAR" ] || { echo "no $JAR: build it first (mvn -B -o package -pl bench -am -DskipTests)" >&2; exit 1; }
"$JAVA_HOME/bin/java" -version 2>&1 | head -1 | grep -q '"17\.' || { echo "JAVA_HOME is not a JDK 17: $JAVA_HOME" >&2; exit 1; }
MODULES=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 17 "$JAR")
# jdk.management: JMH reads the JVM's input arguments and GC beans through it
MODULES="$MODULES,jdk.management"
rm -rf "$JRE"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress=2 --output "$JRE"
echo "$JRE: $(du -sh "$JRE" | cut -f1), modules $MODULES"
"$JRE/bin/java" -jar "$JAR" -l >/dev/null && echo "the trimmed JRE runs the benchmark jar"

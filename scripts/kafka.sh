#!/usr/bin/env bash
# A real single-node Kafka (KRaft mode, no ZooKeeper) run from the published Maven Central jars,
# for machines without Docker. Usage: scripts/kafka.sh start|stop|status|ready|fetch
#
# The jars are cached under ~/.cache/event-pipeline (KAFKA_CACHE); the broker's data, config, pid
# and log live in the run folder (RUN_DIR, default .run/).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KAFKA_VERSION=${KAFKA_VERSION:-3.9.1}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_CACHE=${KAFKA_CACHE:-$HOME/.cache/event-pipeline/kafka-$KAFKA_VERSION}
KAFKA_HEAP=${KAFKA_HEAP:-1g}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
KAFKA_DIR=$RUN_DIR/kafka
LIBS=$KAFKA_CACHE/libs

# Downloads the broker jars once (Maven resolves kafka_2.13 and its runtime dependencies).
fetch() {
  [ -f "$KAFKA_CACHE/.complete" ] && return 0
  command -v java >/dev/null || die "java is not installed (Kafka needs Java 17): apt-get install -y openjdk-17-jre-headless"
  command -v mvn >/dev/null || die "mvn is not installed (it fetches the Kafka jars): apt-get install -y maven"
  say "fetching Kafka $KAFKA_VERSION jars into $KAFKA_CACHE (once; tens of MB)"
  mkdir -p "$KAFKA_CACHE"
  # The published POM leaves out the logging backend; without reload4j the broker logs nothing.
  cat >"$KAFKA_CACHE/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.event-pipeline</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
    <dependency><groupId>ch.qos.reload4j</groupId><artifactId>reload4j</artifactId><version>1.2.25</version></dependency>
  </dependencies>
</project>
EOF
  rm -rf "$LIBS.tmp"
  if ! mvn -B -Dstyle.color=never -f "$KAFKA_CACHE/pom.xml" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIBS.tmp" >"$KAFKA_CACHE/mvn.log" 2>&1; then
    tail -n 30 "$KAFKA_CACHE/mvn.log" >&2
    die "Maven could not fetch the Kafka jars (full log: $KAFKA_CACHE/mvn.log)"
  fi
  rm -rf "$LIBS" && mv "$LIBS.tmp" "$LIBS"
  touch "$KAFKA_CACHE/.complete"
}

write_config() {
  mkdir -p "$KAFKA_DIR/data"
  cat >"$KAFKA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
EOF
  cat >"$KAFKA_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
EOF
}

java_run() {
  java -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -cp "$LIBS/*" "$@"
}

ready() {
  port_open "$KAFKA_PORT" && grep -q "Kafka Server started" "$RUN_DIR/kafka.log" 2>/dev/null
}

start() {
  if pid=$(pid_of kafka); then
    say "kafka already running (pid $pid) on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  if port_open "$KAFKA_PORT"; then
    say "port $KAFKA_PORT is already in use by another process: using the Kafka listening there"
    return 0
  fi
  command -v java >/dev/null || die "java is not installed (Kafka runs on it): apt-get install -y openjdk-17-jre-headless"
  fetch
  write_config
  if [ ! -f "$KAFKA_DIR/data/meta.properties" ]; then
    local cluster_id tool_log="$RUN_DIR/kafka-storage.log"
    # Java's own words when it cannot (an unsuitable java; a damaged jar cache: remove it).
    # A cluster id is 22 characters of URL-safe base64; anything else the tool says is kept.
    java_run kafka.tools.StorageTool random-uuid >"$tool_log" 2>&1 &&
      cluster_id=$(grep -E '^[A-Za-z0-9_-]{22}$' "$tool_log" | tail -n 1) &&
      java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
        --ignore-formatted >>"$tool_log" 2>&1 ||
      { tail -n 20 "$tool_log" >&2; die "Kafka's storage tool failed (java: $(java -version 2>&1 | head -n 1); jars: $LIBS, remove them to fetch them again)"; }
  fi
  : >"$RUN_DIR/kafka.log"
  start_bg kafka java "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC \
    -Dlog4j.configuration="file:$KAFKA_DIR/log4j.properties" -cp "$LIBS/*" \
    kafka.Kafka "$KAFKA_DIR/server.properties"
  local pid
  pid=$(cat "$RUN_DIR/kafka.pid")
  if ! wait_until "$KAFKA_START_TIMEOUT" "Kafka on port $KAFKA_PORT" bash -c \
    "kill -0 $pid 2>/dev/null || exit 0; (exec 3<>/dev/tcp/127.0.0.1/$KAFKA_PORT) 2>/dev/null && grep -q 'Kafka Server started' '$RUN_DIR/kafka.log'"; then
    tail -n 30 "$RUN_DIR/kafka.log" >&2
    stop
    die "Kafka did not become ready"
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    tail -n 30 "$RUN_DIR/kafka.log" >&2
    rm -f "$RUN_DIR/kafka.pid" "$RUN_DIR/kafka.started"
    die "Kafka exited during start-up (log above)"
  fi
  say "kafka ready on 127.0.0.1:$KAFKA_PORT"
}

stop() { stop_bg kafka 60; }

status() {
  if pid=$(pid_of kafka); then
    say "kafka running (pid $pid)"
  elif port_open "$KAFKA_PORT"; then
    say "kafka: port $KAFKA_PORT answers (not started by this project)"
  else
    say "kafka stopped"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  fetch) fetch ;;
  ready) ready ;;
  *) die "usage: $0 start|stop|status|ready|fetch" ;;
esac

#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, combined broker+controller) on loopback,
# for predwatch's integration tests: 3.9 by default, a 4.x release with PREDWATCH_KAFKA_VERSION.
#
#   broker.sh start    fetch the jars (once, into lib*/ next to this script), format a fresh
#                      state dir, start the broker, wait until it serves, print the bootstrap
#   broker.sh stop     stop the broker (whole process group), wait for it, delete the state
#   broker.sh restart  stop the running broker and start it again on the same state dir and
#                      ports (its topics, offsets and groups survive): a broker restart for
#                      tests; the logs of earlier runs are kept as server.log.1, .2, ...
#   broker.sh status   exit 0 and print the bootstrap address if the broker is running
#   broker.sh topic NAME PARTITIONS   create a topic (TopicCommand) on the running broker
#
# Idempotent: start on a running broker prints its address, stop on a stopped one is a no-op.
# State dir: $PREDWATCH_KAFKA_STATE (default: per version, below). The bootstrap
# address ("127.0.0.1:PORT") is written to $STATE/bootstrap; the log to $STATE/logs/.
# Ports: two free loopback ports chosen at each start.
# Needs: java (>= 11; 4.x: 17; Debian: default-jre-headless), mvn (Debian: maven), python3.
#
# PREDWATCH_KAFKA_VERSION picks the broker. Each version has its own jar dir and default
# state dir, so brokers of different versions can run side by side:
#   unset    Kafka 3.9 as pinned in pom.xml; jars in lib/, state /tmp/predwatch-kafka-$UID.
#            Checked against the 3.9.2 jars: logging through the log4j 1.x API via reload4j
#            (log4j.properties, -Dlog4j.configuration=file:...).
#   4.X.Y    that Kafka 4.x release through pom-kafka4.xml (-Dkafka.version); jars in
#            lib-4.X.Y/, state /tmp/predwatch-kafka-4.X.Y-$UID. Checked against the 4.0.0 and
#            4.4.0 jars: logging through log4j2 (log4j2.properties,
#            -Dlog4j2.configurationFile=...), share-coordinator topic settings for a single
#            node; needs Java 17.
# Both: KRaft with static controller.quorum.voters and plain `kafka.tools.StorageTool format`;
# topics via org.apache.kafka.tools.TopicCommand from artifact kafka-tools.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=${PREDWATCH_KAFKA_VERSION:-}
case "$VERSION" in
  "") POM=$HERE/pom.xml LIB=$HERE/lib DEFAULT_STATE=/tmp/predwatch-kafka-$(id -u) ;;
  4.*) POM=$HERE/pom-kafka4.xml LIB=$HERE/lib-$VERSION
    DEFAULT_STATE=/tmp/predwatch-kafka-$VERSION-$(id -u) ;;
  *) echo "broker.sh: PREDWATCH_KAFKA_VERSION: '$VERSION' is not 4.X.Y (unset: 3.9)" >&2; exit 2 ;;
esac
STATE=${PREDWATCH_KAFKA_STATE:-$DEFAULT_STATE}
START_TIMEOUT_S=${PREDWATCH_KAFKA_START_TIMEOUT:-90}

log() { echo "broker.sh: $*" >&2; }

running_pid() {
  [ -f "$STATE/pid" ] || return 1
  local pid
  pid=$(cat "$STATE/pid")
  kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

fetch_jars() {
  # Re-fetch when the pom changed since the last fetch. Two brokers of one version may start
  # at once (ctest runs the chaos test's broker beside the shared one): the fetch holds a
  # lock, goes to a fresh folder and replaces $LIB whole, so no start sees a half-copied jar.
  local stamp=$LIB/.pom.sha256 want version_opt=() tmp
  want=$(sha256sum "$POM" | cut -d' ' -f1)
  [ -z "$VERSION" ] || version_opt=(-Dkafka.version="$VERSION")
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return 0; fi
  exec 9>"$LIB.lock"
  flock 9
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exec 9>&-
    return 0
  fi
  log "fetching Kafka jars into $LIB"
  tmp=$(mktemp -d "$LIB.fetch.XXXXXX")
  if ! (cd "$HERE" && mvn -q -B -Dstyle.color=never -f "$POM" "${version_opt[@]}" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp") >&2; then
    rm -rf "$tmp"
    return 1
  fi
  echo "$want" >"$tmp/.pom.sha256"
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
  exec 9>&-
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  if running_pid >/dev/null; then
    cat "$STATE/bootstrap"
    return 0
  fi
  fetch_jars
  rm -rf "$STATE"
  mkdir -p "$STATE/data" "$STATE/logs"
  local port ctl
  port=$(free_port)
  ctl=$(free_port)
  while [ "$ctl" = "$port" ]; do ctl=$(free_port); done

  cat >"$STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$ctl
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$ctl
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=1
EOF
  if [ -n "$VERSION" ]; then
    # The share-group coordinator's internal topic defaults to 3 replicas.
    cat >>"$STATE/server.properties" <<EOF
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
EOF
    cat >"$STATE/log4j2.properties" <<EOF
appender.file.type=File
appender.file.name=file
appender.file.fileName=$STATE/logs/server.log
appender.file.layout.type=PatternLayout
appender.file.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.file.ref=file
logger.state.name=state.change.logger
logger.state.level=WARN
logger.request.name=kafka.request.logger
logger.request.level=WARN
EOF
  else
    cat >"$STATE/log4j.properties" <<EOF
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$STATE/logs/server.log
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka=INFO
log4j.logger.org.apache.kafka=INFO
log4j.logger.state.change.logger=WARN
log4j.logger.kafka.request.logger=WARN
EOF
  fi
  local java_opts
  set_java_opts
  local cluster_id
  cluster_id=$(java "${java_opts[@]}" kafka.tools.StorageTool random-uuid)
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$cluster_id" \
    -c "$STATE/server.properties" >"$STATE/logs/format.log" 2>&1 || {
    log "format failed:"; cat "$STATE/logs/format.log" >&2; exit 1; }

  launch
}

# java_opts (an array of the caller's) for this version's logging configuration in $STATE.
set_java_opts() {
  local log_opt=-Dlog4j.configuration="file:$STATE/log4j.properties"
  [ -z "$VERSION" ] || log_opt=-Dlog4j2.configurationFile="$STATE/log4j2.properties"
  java_opts=(-Xms256m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
    "$log_opt" -Dkafka.logs.dir="$STATE/logs" -cp "$LIB/*")
}

# Starts the broker on the formatted state dir, waits until it serves, writes and prints the
# bootstrap address (the PLAINTEXT listener of server.properties).
launch() {
  local java_opts port
  set_java_opts
  port=$(sed -n 's|^listeners=PLAINTEXT://127.0.0.1:\([0-9]*\),.*|\1|p' "$STATE/server.properties")
  # setsid: the broker leads its own process group, so stop can signal the whole group.
  setsid java "${java_opts[@]}" kafka.Kafka "$STATE/server.properties" \
    >"$STATE/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$STATE/pid"

  local deadline=$((SECONDS + START_TIMEOUT_S))
  until grep -q "Kafka Server started" "$STATE/logs/server.log" 2>/dev/null; do
    if ! running_pid >/dev/null; then
      log "broker exited during start; last log lines:"
      tail -n 30 "$STATE/logs/server.log" "$STATE/logs/stdout.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      log "broker not ready after ${START_TIMEOUT_S}s"; stop_process; exit 1
    fi
    sleep 0.2
  done
  echo "127.0.0.1:$port" >"$STATE/bootstrap"
  log "broker ready at 127.0.0.1:$port (state $STATE)"
  cat "$STATE/bootstrap"
}

# Stops the broker process group, if running; keeps the state dir.
stop_process() {
  local pid
  if pid=$(running_pid); then
    kill -TERM -- "-$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "broker did not stop in 30s; killing"
      kill -KILL -- "-$pid" 2>/dev/null || true
      while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    fi
    log "broker stopped"
  fi
}

stop() {
  stop_process
  rm -rf "$STATE"
}

restart() {
  if [ ! -f "$STATE/server.properties" ] || [ ! -f "$STATE/pid" ]; then
    log "no broker state in $STATE to restart (start it first)"; exit 1
  fi
  stop_process
  rm -f "$STATE/bootstrap"
  local n=1
  while [ -e "$STATE/logs/server.log.$n" ]; do n=$((n + 1)); done
  mv "$STATE/logs/server.log" "$STATE/logs/server.log.$n"
  launch
}

status() {
  if running_pid >/dev/null && [ -f "$STATE/bootstrap" ]; then
    cat "$STATE/bootstrap"
    return 0
  fi
  echo "not running" >&2
  return 1
}

topic() {
  local bootstrap
  bootstrap=$(status)
  java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j.configuration=file:/dev/null -cp "$LIB/*" \
    org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --create \
    --if-not-exists --topic "$1" --partitions "$2" --replication-factor 1 2>/dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  status) status ;;
  topic) shift; topic "$@" ;;
  *) echo "usage: $0 {start|stop|restart|status|topic NAME PARTITIONS}" >&2; exit 2 ;;
esac

# Shared helpers for the start/stop scripts: background processes with pid and log files under
# RUN_DIR, and bounded waits. Sourced, not run.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RUN_DIR=${RUN_DIR:-$ROOT/.run}
mkdir -p "$RUN_DIR"

# The brokers' ports on 127.0.0.1 (README: Configuration, "Scripts"). The services and the tests reach
# them through KAFKA_BROKERS and AMQP_URL, which follow these ports unless set themselves.
KAFKA_PORT=${KAFKA_PORT:-9092}
RABBITMQ_PORT=${RABBITMQ_PORT:-5672}
export KAFKA_BROKERS="${KAFKA_BROKERS-127.0.0.1:$KAFKA_PORT}"
export AMQP_URL="${AMQP_URL-amqp://guest:guest@127.0.0.1:$RABBITMQ_PORT}"

say() { printf '%s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# start_time PID: when the process started (clock ticks since boot, field 22 of /proc/PID/stat).
start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) } # the fields after the command name, which may hold spaces
  # shellcheck disable=SC2086
  set -- $stat
  [ -n "${20:-}" ] && printf '%s' "${20}"
}

# same_process NAME PID: false when PID is no longer the process start_bg started as NAME (its
# pid was reused after a reboot or a crash that left the pid file); true when that is not known.
same_process() {
  local recorded
  recorded=$(cat "$RUN_DIR/$1.started" 2>/dev/null) || return 0
  [ -z "$recorded" ] || [ "$(start_time "$2" || true)" = "$recorded" ]
}

# pid_of NAME: the pid recorded for NAME if that process is alive, else nothing.
pid_of() {
  local file="$RUN_DIR/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file" 2>/dev/null) || return 1
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && same_process "$1" "$pid"; then
    printf '%s' "$pid"
  else
    rm -f "$file" "$RUN_DIR/$1.started"
    return 1
  fi
}

# port_open PORT: true when something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until TIMEOUT_S DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@"; do
    if [ $SECONDS -ge $deadline ]; then
      say "gave up waiting for $what after ${timeout}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

# start_bg NAME COMMAND...: starts COMMAND detached, logging to RUN_DIR/NAME.log; no-op if running.
start_bg() {
  local name=$1 pid; shift
  if pid=$(pid_of "$name"); then
    say "$name already running (pid $pid)"
    return 0
  fi
  # setsid: its own process group, so that Ctrl-C in this shell does not reach it.
  setsid nohup "$@" >>"$RUN_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN_DIR/$name.pid"
  { start_time $! || true; } >"$RUN_DIR/$name.started"
  say "$name started (pid $!, log $RUN_DIR/$name.log)"
}

# stop_bg NAME [TIMEOUT_S]: SIGTERM, then SIGKILL if still alive after TIMEOUT_S (default 30).
stop_bg() {
  local name=$1 timeout=${2:-30} pid
  if ! pid=$(pid_of "$name"); then
    say "$name not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" "$name to stop" bash -c "! kill -0 $pid 2>/dev/null"; then
    say "$name did not stop after ${timeout}s: killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
    # The pid file goes once the process is gone, so that a start right after cannot race it.
    wait_until 10 "$name to die" bash -c "! kill -0 $pid 2>/dev/null" || die "$name (pid $pid) survived SIGKILL"
  fi
  rm -f "$RUN_DIR/$name.pid" "$RUN_DIR/$name.started"
  say "$name stopped"
}

# docker_engine: true when a Docker engine answers (not just the client).
docker_engine() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

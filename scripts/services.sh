#!/usr/bin/env bash
# The three service processes (api, userevents, userstats), each a moleculer node of its own.
# Usage: scripts/services.sh start|launch|stop|status|run
#   start  in the background (pid and log in the run folder), then wait until /healthcheck is 200
#   launch like start, without waiting for the health check
#   run    in the foreground with prefixed output; Ctrl-C stops all three cleanly
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
source scripts/dev.env

SERVICES=(userevents userstats api)
HTTP_PORT=${HTTP_PORT:-8000}
HEALTH_TIMEOUT=${HEALTH_TIMEOUT:-120}
# Memory: a small young generation, a capped old one and two malloc arenas keep each process near
# 100 MB resident whatever the load (docs/BENCHMARKS.md); set NODE_OPTIONS yourself to override.
export NODE_OPTIONS="${NODE_OPTIONS-"--max-semi-space-size=4 --max-old-space-size=128"}"
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
# NODE_ARGS: extra node flags for the three processes, e.g. NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof".
read -r -a NODE_FLAGS <<<"${NODE_ARGS:-}"
RUNNER=(node "${NODE_FLAGS[@]}" "$ROOT/node_modules/moleculer/bin/moleculer-runner.js" --config "$ROOT/dist/moleculer.config.js")

built() { [ -f dist/moleculer.config.js ] || die "the project is not built: run make build"; }
# A bad setting is named once, before any service starts.
config_ok() { node "$ROOT/dist/scripts/check-config.js" || die "fix the settings above (README: Configuration)"; }

# port_free: the gateway's port is free, or the script stops saying what to do.
port_free() {
  if port_open "$HTTP_PORT"; then
    die "port $HTTP_PORT is taken by another process (is the system already running in another terminal?); stop it, or set HTTP_PORT"
  fi
}
healthy() { curl -sf --max-time 5 -o /dev/null "http://127.0.0.1:$HTTP_PORT/healthcheck"; }
# exited: prints the first service whose process is gone (each retries its brokers for
# STARTUP_TIMEOUT_MS and exits only when it gives up, or on a bad setting).
exited() {
  for s in "${SERVICES[@]}"; do pid_of "$s" >/dev/null || { printf '%s' "$s"; return 0; }; done
  return 1
}
healthy_or_exited() { healthy || exited >/dev/null; }

case "${1:-}" in
  start | launch)
    built
    config_ok
    # Another process on the gateway's port (a `make run-services` in another terminal, say):
    # starting would only add a second userevents and userstats beside it.
    pid_of api >/dev/null || port_free
    for s in "${SERVICES[@]}"; do
      start_bg "$s" "${RUNNER[@]}" "$ROOT/dist/services/$s.service.js"
    done
    [ "$1" = launch ] && exit 0
    say "waiting for http://127.0.0.1:$HTTP_PORT/healthcheck (up to ${HEALTH_TIMEOUT}s)"
    wait_until "$HEALTH_TIMEOUT" "the services to be healthy" healthy_or_exited || true
    if ! healthy; then
      curl -s --max-time 5 "http://127.0.0.1:$HTTP_PORT/healthcheck" >&2 || true
      for s in "${SERVICES[@]}"; do say "--- $RUN_DIR/$s.log" >&2; tail -n 15 "$RUN_DIR/$s.log" >&2 || true; done
      if gone=$(exited); then die "$gone exited during start-up (its log is above: $RUN_DIR/$gone.log)"; fi
      die "services are not healthy"
    fi
    say "services healthy: http://127.0.0.1:$HTTP_PORT"
    ;;
  stop)
    # The gateway first (no new requests), then the producer side, then the consumer.
    for s in api userevents userstats; do stop_bg "$s" 40; done
    ;;
  status)
    rc=0
    running=0
    for s in "${SERVICES[@]}"; do
      if pid=$(pid_of "$s"); then
        say "$s running (pid $pid)"
        running=$((running + 1))
      else
        say "$s stopped"
        rc=1
      fi
    done
    if [ "$running" -eq 0 ]; then
      say "no service runs (make up starts them)"
    elif healthy; then say "healthcheck: ok"; else say "healthcheck: failing"; rc=1; fi
    exit $rc
    ;;
  run)
    built
    config_ok
    # Services of `make up` in the background, or another run in another terminal: a second
    # userevents and userstats beside them would share their queues, consumer group and files.
    for s in "${SERVICES[@]}"; do
      if pid=$(pid_of "$s"); then
        die "$s already runs in the background (pid $pid, from make up): make stop-services first, or use those"
      fi
    done
    port_free
    cmds=()
    for s in "${SERVICES[@]}"; do
      printf -v cmd '%q ' "${RUNNER[@]}" "$ROOT/dist/services/$s.service.js"
      cmds+=("$cmd")
    done
    exec node_modules/.bin/concurrently --names "$(IFS=,; echo "${SERVICES[*]}")" \
      --prefix-colors blue,magenta,green --kill-signal SIGTERM "${cmds[@]}"
    ;;
  *) die "usage: $0 start|launch|stop|status|run" ;;
esac

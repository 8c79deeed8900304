#!/usr/bin/env bash
# RabbitMQ on 127.0.0.1:5672. On these machines it usually runs already (a system service); this
# starts it when it is installed but down, and says how to get it otherwise.
# Usage: scripts/rabbitmq.sh start|stop|status
# `stop` only stops a RabbitMQ that `start` started (it leaves a system service alone).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MARK=$RUN_DIR/rabbitmq.started-here

start() {
  if port_open "$RABBITMQ_PORT"; then
    say "rabbitmq running on 127.0.0.1:$RABBITMQ_PORT"
    return 0
  fi
  if ! command -v rabbitmq-server >/dev/null; then
    die "RabbitMQ is not running on port $RABBITMQ_PORT and not installed.
  Install and start it:   apt-get install -y rabbitmq-server && rabbitmq-server -detached
  or, with Docker:        docker compose up -d rabbitmq"
  fi
  say "rabbitmq is down: starting it (rabbitmq-server -detached, port $RABBITMQ_PORT)"
  # The broker's own variable for its AMQP port, so that it listens where this script waits.
  RABBITMQ_NODE_PORT=$RABBITMQ_PORT rabbitmq-server -detached
  touch "$MARK"
  wait_until 90 "RabbitMQ on port $RABBITMQ_PORT" port_open "$RABBITMQ_PORT" || die "RabbitMQ did not start"
  # The port opens before the broker is fully booted; wait until it reports itself running.
  if command -v rabbitmqctl >/dev/null; then
    rabbitmqctl -q await_startup --timeout 60 >/dev/null ||
      die "RabbitMQ opened its port but did not finish booting within 60 s (see rabbitmqctl status)"
  fi
  say "rabbitmq ready on 127.0.0.1:$RABBITMQ_PORT"
}

stop() {
  if [ -f "$MARK" ]; then
    rabbitmqctl -q stop >/dev/null 2>&1 || true
    rm -f "$MARK"
    say "rabbitmq stopped (it had been started here)"
  else
    say "rabbitmq left running (not started by this project)"
  fi
}

status() {
  if port_open "$RABBITMQ_PORT"; then say "rabbitmq running"; else say "rabbitmq stopped"; return 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac

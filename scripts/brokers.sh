#!/usr/bin/env bash
# The brokers the services need: RabbitMQ, Kafka and the MailDev mail catcher.
# With a Docker engine they run from docker-compose.yml; without one, locally (scripts/*.sh).
# Usage: scripts/brokers.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

BROKERS=(rabbitmq kafka maildev)

case "${1:-}" in
  start)
    if docker_engine; then
      say "Docker engine found: starting ${BROKERS[*]} with docker compose"
      docker compose up -d --wait "${BROKERS[@]}"
    else
      scripts/rabbitmq.sh start
      scripts/kafka.sh start
      scripts/maildev.sh start
    fi
    ;;
  stop)
    if docker_engine && [ -n "$(docker compose ps -q 2>/dev/null)" ]; then
      docker compose stop "${BROKERS[@]}"
    fi
    scripts/maildev.sh stop
    scripts/kafka.sh stop
    scripts/rabbitmq.sh stop
    ;;
  status)
    rc=0
    scripts/rabbitmq.sh status || rc=1
    scripts/kafka.sh status || rc=1
    scripts/maildev.sh status || rc=1
    exit $rc
    ;;
  *) die "usage: $0 start|stop|status" ;;
esac

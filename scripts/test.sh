#!/usr/bin/env bash
# Runs the test suite against real brokers: starts RabbitMQ (if down) and Kafka (if not running),
# runs vitest with the given arguments, and stops afterwards only what it started here.
# Also starts MailDev for the system tests. The tests use their own namespace, topics, groups, ports
# and data folders, so they can run while `make up` is running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

started=()
cleanup() {
  local rc=$?
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do scripts/"${started[i]}".sh stop || true; done
  exit $rc
}
trap cleanup EXIT

# needed NAME PORT: nothing answers on PORT, and no Kafka or MailDev of make up's is still starting
# there (its pid file says so; RabbitMQ keeps none). Marked as started here before it starts, so
# that Ctrl-C or a failure during its start-up stops it too.
needed() { ! port_open "$2" && ! pid_of "$1" >/dev/null; }
if needed rabbitmq "$RABBITMQ_PORT"; then
  started+=(rabbitmq)
  scripts/rabbitmq.sh start
fi
if needed kafka "$KAFKA_PORT"; then
  started+=(kafka)
  scripts/kafka.sh start
fi
if needed maildev "${MAILDEV_SMTP_PORT:-1025}"; then
  started+=(maildev)
  scripts/maildev.sh start
fi

# The dashboard tests drive Debian's Chromium.
scripts/install-chromium.sh

# Without arguments: every project but the fault suite (make test-faults runs that one).
if [ $# -eq 0 ]; then set -- --project unit --project integration --project system; fi
npx vitest run "$@"

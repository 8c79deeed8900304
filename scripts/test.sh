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

if ! port_open "$RABBITMQ_PORT"; then
  scripts/rabbitmq.sh start
  started+=(rabbitmq)
fi
if ! port_open "$KAFKA_PORT"; then
  scripts/kafka.sh start
  started+=(kafka)
fi

if ! port_open "${MAILDEV_SMTP_PORT:-1025}"; then
  scripts/maildev.sh start
  started+=(maildev)
fi

# The dashboard tests drive Debian's Chromium.
scripts/install-chromium.sh

# Without arguments: every project but the fault suite (make test-faults runs that one).
if [ $# -eq 0 ]; then set -- --project unit --project integration --project system; fi
npx vitest run "$@"

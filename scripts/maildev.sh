#!/usr/bin/env bash
# MailDev, the mail catcher for local runs: SMTP on 127.0.0.1:1025, web UI and REST API on
# http://127.0.0.1:1080. Mails are kept under the run folder, the newest MAILDEV_MAX_EMAILS (500) of
# them. Usage: scripts/maildev.sh start|stop|status
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MAILDEV_SMTP_PORT=${MAILDEV_SMTP_PORT:-1025}
MAILDEV_WEB_PORT=${MAILDEV_WEB_PORT:-1080}

start() {
  if pid=$(pid_of maildev); then
    say "maildev already running (pid $pid)"
    return 0
  fi
  if port_open "$MAILDEV_SMTP_PORT"; then
    say "port $MAILDEV_SMTP_PORT already in use: assuming a mail catcher runs there"
    return 0
  fi
  [ -x "$ROOT/node_modules/.bin/maildev" ] || die "maildev is not installed: run npm ci"
  mkdir -p "$RUN_DIR/maildev"
  start_bg maildev "$ROOT/node_modules/.bin/maildev" --smtp "$MAILDEV_SMTP_PORT" --web "$MAILDEV_WEB_PORT" \
    --ip 127.0.0.1 --web-ip 127.0.0.1 --mail-directory "$RUN_DIR/maildev" \
    --max-emails "${MAILDEV_MAX_EMAILS:-500}"
  wait_until 30 "MailDev" bash -c "curl -sf --max-time 5 http://127.0.0.1:$MAILDEV_WEB_PORT/api/email >/dev/null" \
    || { tail -n 20 "$RUN_DIR/maildev.log" >&2; die "MailDev did not start"; }
  say "maildev ready: SMTP 127.0.0.1:$MAILDEV_SMTP_PORT, UI http://127.0.0.1:$MAILDEV_WEB_PORT"
}

stop() { stop_bg maildev 10; }

status() {
  if pid=$(pid_of maildev); then
    say "maildev running (pid $pid)"
  elif port_open "$MAILDEV_SMTP_PORT"; then
    # As start takes it: a mail catcher of its own (compose's MailDev, say) answers there.
    say "maildev: port $MAILDEV_SMTP_PORT answers (not started by this project)"
  else
    say "maildev stopped"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status" ;;
esac

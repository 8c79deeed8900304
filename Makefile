# Thin wrappers over npm scripts and scripts/*.sh; each target works on its own.
# The two a new user needs: `make up` (start everything) and `make test` (pass the tests).
SHELL := /bin/bash
.DEFAULT_GOAL := help

.PHONY: help install build up down status run-brokers stop-brokers run-services stop-services \
        test test-unit test-integration test-faults bench soak lint typecheck clean replay sample

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# npm ci when node_modules is missing or older than the lock file.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.package-lock.json ## Install npm dependencies (npm ci) if needed

build: install ## Compile TypeScript into dist/ and generate the geography tables
	npm run -s build

up: build ## Start brokers and the three services in the background; wait until healthy
	scripts/brokers.sh start
	scripts/services.sh start
	@echo "Try: curl -i localhost:8000/submit/10 && curl localhost:8000/report   Mail: http://localhost:1080"

down: ## Stop everything `make up` started
	scripts/services.sh stop
	scripts/brokers.sh stop

status: ## Show what runs; fails (make exits non-zero) when something is down
	@rc=0; scripts/brokers.sh status || rc=1; scripts/services.sh status || rc=1; exit $$rc

run-brokers: install ## Start RabbitMQ, Kafka and MailDev (docker compose if a Docker engine runs)
	scripts/brokers.sh start

stop-brokers: ## Stop the brokers
	scripts/brokers.sh stop

run-services: build ## Run the three services in the foreground (Ctrl-C stops them cleanly)
	scripts/services.sh run

stop-services: ## Stop services started in the background
	scripts/services.sh stop

test: build ## Unit, integration and system tests against real RabbitMQ, Kafka and SMTP
	scripts/test.sh

test-faults: build ## Fault suite: kill -9, SIGTERM, Kafka/RabbitMQ/SMTP outages on the real brokers
	rm -f test-results/faults.json
	scripts/test.sh --project faults
	node dist/scripts/reliability.js faults

test-unit: build ## Unit tests only (no brokers; the dashboard page test installs Chromium if missing)
	scripts/install-chromium.sh
	npx vitest run --project unit

test-integration: build ## Integration tests only
	scripts/test.sh --project integration

replay: ## Replay a file of events: make replay FILE=users.csv [RATE=5000]
	@test -n "$(FILE)" || { echo "usage: make replay FILE=<file.csv|file.ndjson> [RATE=<events/s>]"; exit 2; }
	@$(MAKE) --no-print-directory build
	npm run -s replay -- "$(FILE)" $(if $(RATE),--rate $(RATE))

sample: build ## Write a messy sample CSV in the original format: make sample [FILE=sample.csv ROWS=10000]
	npm run -s sample -- "$(or $(FILE),sample.csv)" --rows "$(or $(ROWS),10000)"

bench: build ## Benchmark against baselines; writes docs/BENCHMARKS.md (QUICK=1 for a short run)
	node dist/scripts/bench.js $(if $(QUICK),--quick)

soak: build ## Soak at ~1,000 requests/s (MINUTES=10); writes docs/RELIABILITY.md
	node dist/scripts/soak.js --minutes $(or $(MINUTES),10)

lint: install ## Type-check, lint and check formatting
	npm run -s typecheck
	npm run -s lint

typecheck: install
	npm run -s typecheck

clean: ## Stop what make up started, then remove build output, the SQLite files, Kafka's data and the logs in ./data and ./.run (not a DATA_DIR or RUN_DIR of your own, nor the jar cache)
	scripts/services.sh stop
	scripts/brokers.sh stop
	rm -rf dist generated data .run

# Concierge — the two commands a newcomer needs, and a few more.
.PHONY: run test reliability fuzz bench build stop-postgres clean help

help:
	@echo "make run    build and start everything on this machine (PostgreSQL, development broker, five services)"
	@echo "make test   run the whole test suite, starting what it needs"
	@echo "make reliability  the fault-injection suite (docs/reliability.md)"
	@echo "make fuzz   the hostile-input fuzzer at full size (FUZZ_INPUTS per service, default 100000)"
	@echo "make bench  the benchmark: throughput, latency, CPU and memory per service, with anchors (docs/performance.md)"
	@echo "make build  build everything"
	@echo "make clean  remove build products and the local state in .concierge/ (stops PostgreSQL first)"

run:
	@bash deploy/local/run.sh

test:
	@bash deploy/local/test.sh

reliability:
	@bash deploy/local/reliability.sh

fuzz:
	@bash deploy/local/fuzz.sh

bench:
	@bash deploy/local/bench.sh

build:
	@bash deploy/local/deps.sh
	swift build

stop-postgres:
	@bash deploy/local/postgres.sh stop

clean: stop-postgres
	rm -rf .build .concierge

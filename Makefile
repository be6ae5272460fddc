# The two commands of the README, plus the checks CI adds.
.PHONY: test run lint setup bench fuzz soak

## make test: install what the tests need (idempotent), then run every test
test:
	@scripts/test.sh

## make run: the edge cache in front of a demo origin (arrives with the worker front)
run:
	@scripts/run.sh

## make lint: fmt, clippy -D warnings, wasm32 check of the core
lint:
	@scripts/lint.sh

setup:
	@scripts/setup.sh

## make bench: benchmarks against the peers; writes BENCHMARKS.md (not part of make test)
bench:
	@bench/run.sh

## make fuzz: every fuzz target (fuzz/) for FUZZ_SECONDS (default 30) each (not part of make test)
fuzz:
	@scripts/fuzz.sh

## make soak: the worker under load, purges and faults for SOAK_SECONDS (default 600), judged by an oracle
soak:
	@scripts/soak.sh

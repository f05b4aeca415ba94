# Railyard. `make run` serves the lab-1su sample on SQLite; `make test` runs every test.
GO      ?= go
BIN     := bin/railyard
DB      ?= railyard.db
LISTEN  ?= 127.0.0.1:7443
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin
PROTOC_GEN_GO_VERSION      := v1.36.11
PROTOC_GEN_GO_GRPC_VERSION := v1.6.0

.PHONY: build run test test-short fuzz bench bench-carve bench-discovery bench-network bench-maint proto generate check-generated tools samples

build:
	$(GO) build -o $(BIN) ./cmd/railyard

run: build
	@./scripts/run.sh $(BIN) $(LISTEN) $(DB)

test:
	./scripts/test.sh

tools:
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@$(PROTOC_GEN_GO_VERSION)
	GOBIN=$(GOBIN_DIR) $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@$(PROTOC_GEN_GO_GRPC_VERSION)

proto:
	PATH=$(GOBIN_DIR):$$PATH protoc -I proto \
		--go_out=proto --go_opt=paths=source_relative \
		--go-grpc_out=proto --go-grpc_opt=paths=source_relative \
		proto/railyard/v1/*.proto

generate: proto
	$(GO) generate ./ent/...

# check-generated fails when generated code differs from its sources.
check-generated: generate
	git diff --exit-code -- ent proto || (echo "generated code is stale: run make generate and commit" >&2; exit 1)
	test -z "$$(git status --porcelain -- ent proto)" || (git status --porcelain -- ent proto; echo "untracked generated files" >&2; exit 1)

samples:
	$(GO) test ./inventory-samples -update

fuzz:
	./scripts/fuzz.sh 10s

bench:
	$(GO) test -run '^$$' -bench . -benchtime 1x ./internal/inventory/ ./internal/api/

# bench-carve replays request traces against the carving engine and the
# baselines (internal/carvebench), writes bench-results/carve.json and
# prints a table and the acceptance bars; CARVEBENCH_FLAGS=-check fails on a
# missed bar.
bench-carve:
	$(GO) run ./internal/carvebench/cmd/carvebench -out bench-results/carve.json $(CARVEBENCH_FLAGS)

# bench-discovery discovers 1,000 Redfish targets answering with 50 ms added
# latency at concurrency 64, compares the wall time with the ideal and
# writes bench-results/discovery.json; DISCOVERYBENCH_FLAGS=-check fails
# above 1.5x the ideal.
bench-discovery:
	$(GO) run ./cmd/discoverybench -out bench-results/discovery.json $(DISCOVERYBENCH_FLAGS)

# bench-network times tenant up (carve + network + every device synced
# through its driver) for a 1,024-GPU tenant on the 4-SU SuperPOD shape,
# with 20 ms added per device command, and writes bench-results/network.json;
# NETWORKBENCH_FLAGS=-check fails at 5 s or more.
bench-network:
	$(GO) run ./cmd/networkbench -out bench-results/network.json $(NETWORKBENCH_FLAGS)

# bench-maint simulates rolling-maintenance campaigns on the superpod-4su
# sample and a generated 64-SU fleet at fleet budgets of 1%, 5% and 10%,
# empty and 70% allocated with 5% spares, checks every admission round
# against the budgets and writes bench-results/maintenance.json;
# MAINTBENCH_FLAGS=-check fails when an empty fleet's duration exceeds
# 1.10x the lower bound or a budget is broken.
bench-maint:
	$(GO) run ./cmd/maintbench -out bench-results/maintenance.json $(MAINTBENCH_FLAGS)

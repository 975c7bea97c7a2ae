# callpath — build, demo, test and benchmark. `make demo` and `make test` set up a fresh Debian
# machine that has the Swift toolchain (they install libpcap-dev with apt-get when it is missing).

SWIFT        ?= swift
SUDO         := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
RELEASE_BIN  := .build/release/callpath
DEMO_CAPTURE := Captures/novpn-srflx/novpn-srflx.pcapng

.PHONY: all deps test-deps build demo test bench bench-callgrind bench-live lint format captures clean

all: build

## deps: install libpcap-dev when pkg-config cannot find libpcap
deps:
	@pkg-config --exists libpcap 2>/dev/null || { \
	  echo "libpcap not found by pkg-config: installing libpcap-dev with apt-get"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq libpcap-dev pkg-config; }

## build: release build of the callpath executable
build: deps
	$(SWIFT) build -c release --product callpath

## demo: build, then judge a call captured in the project's own test field and list its conversations
demo: build
	$(RELEASE_BIN) analyze --explain $(DEMO_CAPTURE)
	$(RELEASE_BIN) conversations $(DEMO_CAPTURE)

## test-deps: tcpreplay for the live-capture test (it replays captures onto a veth pair as root)
test-deps: deps
	@command -v tcpreplay >/dev/null 2>&1 || [ "$$(id -u)" -ne 0 ] || { \
	  echo "tcpreplay not found: installing it with apt-get (live-capture test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpreplay >/dev/null || true; }

## test: build and run the whole suite (tests that need ../shared or root skip with a reason)
test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

## bench: callpath vs a bare libpcap loop vs tshark on a generated capture of 2+ million packets
bench: build
	bash bench/run.sh

## bench-callgrind: repeatable instruction counts (callgrind) for the same comparison on 200,000 packets
bench-callgrind: build
	bash bench/callgrind.sh

## bench-live: highest tcpreplay rate `callpath live` keeps up with, with zero drops (root)
bench-live: build
	bash bench/live-rate.sh

## lint: swift-format with the project's rules
lint:
	$(SWIFT) format lint --strict -r Sources Tests

format:
	$(SWIFT) format -i -r Sources Tests

## captures: rebuild Captures/ from the real test field and the VPN tunnels (root and network namespaces needed)
captures:
	bash Captures/testbed/make-captures.sh
	bash Captures/vpn-tunnels/make-vpn-tunnels.sh

clean:
	rm -rf .build bench/out

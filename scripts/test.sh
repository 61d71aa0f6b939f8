#!/usr/bin/env bash
# Runs every test on a fresh clone: installs what the tests need, builds, runs `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The toolchain's formatter, against the project's .swift-format (and Sources/CrowsnestCore's stricter one).
swift format lint --strict --recursive Sources Tests Benchmarks Fuzz Package.swift
swift build --build-tests
# Serially: several suites run real peers and time-based checks; 2 cores shared in parallel make them flaky.
swift test --skip-build --no-parallel
# libFuzzer targets (exposition parser, relabel regex, cluster files, watch events): 60 s each, two at a time.
scripts/fuzz.sh 60

#!/bin/sh
# Runner check: a test that creates a tracefs instance (as the library's
# trace capture does) and is then killed by its timeout: the runner must
# remove the instance and say so.
mkdir /sys/kernel/tracing/instances/smmu_runner_check
while :; do :; done

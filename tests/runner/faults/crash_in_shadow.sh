#!/bin/sh
# Runner check: the kernel under test crashes while this test runs, in the
# shadow configuration only; in the others it passes.
[ "$SMMU_CONFIG" = shadow ] || exit 0
echo "crashing the kernel under test"
echo c > /proc/sysrq-trigger
sleep 100

#!/bin/sh
# Runner check: a failed test's last lines of output must reach the
# runner's stdout (a CI job's log is often all that is kept of a run).
i=1
while [ $i -le 50 ]; do
	echo "noisy_fail line $i"
	i=$((i + 1))
done
exit 1

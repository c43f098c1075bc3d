#!/bin/sh
# Runner check: a test that never ends, with a child that would outlive it
# if the runner killed only the test's first process.
sleep 1000 &
while :; do :; done

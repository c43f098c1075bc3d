#!/bin/sh
# Runner check: a test with a process that escapes the kill of its session
# (setsid) and keeps the test's output open, so that no EOF ever comes.
setsid sleep 1000 &
sleep 1000

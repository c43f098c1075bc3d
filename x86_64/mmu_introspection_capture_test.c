// SPDX-License-Identifier: GPL-2.0
/*
 * mmu_introspection_capture_test: the promises of the library's kvmmmu
 * trace capture (include/kvm_trace.h) that every test using it rests on,
 * whatever the MMU configuration:
 *
 * - a capture sees only its own process: a VM run by a child process at
 *   the same time, under a capture of its own, leaves nothing in it (the
 *   common_pid filter);
 * - a destroyed capture's tracefs instance is kept for the next capture
 *   of the process, which takes it over empty, and is removed once reuse
 *   is turned off; with reuse off kvm_trace_destroy() removes its own;
 * - no tracefs instance is left behind by a test that exits on a failed
 *   assertion (the atexit handler), is killed by SIGTERM (the signal
 *   handler), or is killed by SIGKILL (removed by the next capture of any
 *   test, kvm_trace_reap_stale_instances()).
 *
 * What the captured events say about KVM's MMU is
 * mmu_introspection_model_test's.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"
#include "kselftest.h"

#include "kvm_compat.h"
#include "vm_tables.h"
#include "kvm_debugfs.h"
#include "kvm_mmu_config.h"
#include "kvm_run.h"
#include "kvm_trace.h"

static struct kvm_mmu_config cfg;
static struct kvm_trace *trace;

static bool instance_exists(const char *name)
{
	return kvm_trace_instance_exists(name);
}

/*
 * A child creates and starts a capture, tells the parent its instance name
 * and then: 0 waits to be killed, 1 fails a TEST_ASSERT.
 */
static pid_t spawn_capture(int how, char *name, size_t size)
{
	int fds[2];
	pid_t pid;
	ssize_t n;

	TEST_ASSERT(!pipe(fds), "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct kvm_trace *t = kvm_trace_create();
		const char *nm = kvm_trace_instance_name(t);

		kvm_trace_start(t, "child");
		TEST_ASSERT(write(fds[1], nm, strlen(nm) + 1) > 0, "write");
		if (how == 1) {
			/* Its report would read like a failure of this test. */
			TEST_ASSERT(freopen("/dev/null", "w", stderr), "freopen");
			TEST_ASSERT(false, "expected failure in a child");
		}
		for (;;)
			pause();
	}
	close(fds[1]);
	n = read(fds[0], name, size - 1);
	close(fds[0]);
	TEST_ASSERT(n > 0, "the capture child died before creating its instance");
	name[n] = '\0';
	return pid;
}

static void idle_guest(void)
{
	GUEST_DONE();
}

static void run_idle_vm(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *idle = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, idle_guest);

	vcpu_run_to_done(vcpu);
	kvm_vm_free(idle);
}

#define INSTANCE_REUSE_FMT						\
	"instance reuse: %s kept %d, taken over %d, %zu events from before (expected 0), %zu in its own phase, removed %d\n"

/*
 * Instance reuse (kvm_trace_reuse_instances(), on by default): a destroyed
 * capture's instance is kept and the next capture of the process takes it
 * over, with nothing in it from the time between, when a VM ran (its
 * events are seen when the same VM runs again in a phase of that
 * capture); kvm_trace_reuse_instances(false) removes the kept instance.
 * A parallel capture (this test's own) is not disturbed.
 */
static bool check_instance_reuse(void)
{
	size_t between, during;
	struct kvm_trace *t;
	bool kept, taken_over, removed;
	char name[64];

	kvm_trace_reuse_instances(true);
	t = kvm_trace_create();
	kvm_trace_start(t, "first capture");
	kvm_trace_stop(t);
	snprintf(name, sizeof(name), "%s", kvm_trace_instance_name(t));
	kvm_trace_destroy(t);
	kept = instance_exists(name);
	run_idle_vm();

	t = kvm_trace_create();
	taken_over = !strcmp(kvm_trace_instance_name(t), name);
	kvm_trace_start(t, "between");
	kvm_trace_stop(t);
	kvm_trace_start(t, "during");
	run_idle_vm();
	kvm_trace_stop(t);
	between = kvm_mmu_model_count(kvm_trace_model(t), KVM_MMU_QUERY(.phase = 0));
	during = kvm_mmu_model_count(kvm_trace_model(t), KVM_MMU_QUERY(.phase = 1));
	kvm_trace_destroy(t);
	kvm_trace_reuse_instances(false);
	removed = !instance_exists(name);
	ksft_print_msg(INSTANCE_REUSE_FMT, name, kept, taken_over, between, during, removed);
	return kept && taken_over && !between && during && removed;
}

/*
 * While this test's capture runs, a child process runs a VM of its own
 * under a capture of its own.  The child's capture must see events (there
 * is something to leak) and this test's none: the common_pid filter.
 */
static bool check_isolation(void)
{
	size_t child_events = 0, seen;
	int fds[2], status;
	pid_t pid;

	TEST_ASSERT(!pipe(fds), "pipe");
	kvm_trace_start(trace, "other_process");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (!pid) {
		struct kvm_trace *t = kvm_trace_create();
		struct kvm_vcpu *vcpu;
		struct kvm_vm *other;
		struct ucall uc;
		size_t n;

		kvm_trace_start(t, "child");
		other = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, idle_guest);
		vcpu_run(vcpu);
		TEST_ASSERT(get_ucall(vcpu, &uc) == UCALL_DONE, "the child's guest did not finish");
		kvm_vm_free(other);
		kvm_trace_stop(t);
		n = kvm_trace_model(t)->nr_events;
		kvm_trace_destroy(t);
		TEST_ASSERT(write(fds[1], &n, sizeof(n)) == sizeof(n), "write");
		exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &child_events, sizeof(child_events)) != sizeof(child_events))
		child_events = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	kvm_trace_stop(trace);

	seen = kvm_mmu_model_count(kvm_trace_model(trace),
				   KVM_MMU_QUERY(.phase = kvm_trace_phase(trace)));
	ksft_print_msg("other process: its capture saw %zu events, this test's %zu (expected 0)\n",
		       child_events, seen);
	return WIFEXITED(status) && !WEXITSTATUS(status) && child_events > 0 && !seen;
}

static bool check_cleanup(void)
{
	char name[64];
	bool ok = true;
	int status;
	pid_t pid;

	/* TEST_ASSERT failure: exit() -> atexit handler. */
	pid = spawn_capture(1, name, sizeof(name));
	waitpid(pid, &status, 0);
	if (instance_exists(name)) {
		ksft_print_msg("instance %s left behind by a child that failed a TEST_ASSERT\n",
			       name);
		ok = false;
	}

	/* SIGTERM (what a runner sends first): the signal handler. */
	pid = spawn_capture(0, name, sizeof(name));
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	if (instance_exists(name)) {
		ksft_print_msg("instance %s left behind by a child killed by SIGTERM\n", name);
		ok = false;
	}

	/* SIGKILL (a timeout): nothing runs; the next capture reaps it. */
	pid = spawn_capture(0, name, sizeof(name));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!instance_exists(name))
		ksft_print_msg("instance %s of a SIGKILLed child vanished by itself?\n", name);
	kvm_trace_reap_stale_instances();
	if (instance_exists(name)) {
		ksft_print_msg("instance %s of a SIGKILLed child was not reaped\n", name);
		ok = false;
	}
	return ok;
}

int main(int argc, char *argv[])
{
	char own[64];
	double t0;

	kvm_mmu_test_start(&cfg);
	kvm_debugfs_require();
	trace = kvm_trace_create_timed();
	snprintf(own, sizeof(own), "%s", kvm_trace_instance_name(trace));
	ksft_set_plan(4);

	kvm_mmu_report(&cfg, check_isolation(), NULL, "capture_sees_only_this_process");
	kvm_mmu_report(&cfg, check_instance_reuse(), NULL,
		       "kept_instance_reused_empty_and_removed");
	kvm_trace_print(trace);
	/* Instance reuse off: kvm_trace_destroy() itself must remove it. */
	kvm_trace_reuse_instances(false);
	kvm_trace_destroy(trace);
	kvm_mmu_report(&cfg, !instance_exists(own), NULL, "own_instance_removed");
	t0 = kvm_trace_seconds();
	kvm_mmu_report(&cfg, check_cleanup(), NULL, "no_instance_left_by_failed_or_killed_test");
	ksft_print_msg("cleanup checks (3 child captures) took %.3f s\n", kvm_trace_seconds() - t0);
	ksft_finished();
}

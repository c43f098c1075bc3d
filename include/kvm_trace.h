/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Capture of kvmmmu trace events for one test's VM, through libtracefs and
 * libtraceevent, into the shadow page model of kvm_trace_model.h.
 *
 * Each capture has a private tracefs instance, "smmu_<pid>_<n>", with only
 * the kvmmmu events it needs enabled and filtered to the test's vCPU
 * threads (the framework runs a vCPU in the thread that calls vcpu_run(),
 * normally the test's main thread).  The instance is kept by
 * kvm_trace_destroy() for the next capture of the process (see
 * kvm_trace_reuse_instances()) and removed at exit (TEST_ASSERT exits), on
 * fatal signals, and,
 * for a test killed with SIGKILL, by the next kvm_trace_create() of any
 * test, which removes instances whose process is gone.
 *
 *	t = kvm_trace_create();
 *	kvm_trace_start(t, "touch");
 *	vcpu_run(vcpu);
 *	kvm_trace_stop(t);
 *	n = kvm_mmu_model_count_pages(kvm_trace_model(t),
 *		KVM_MMU_QUERY(.phase = 0, .type = KVM_MMU_GET_PAGE, .created = 1, .level = 1));
 */
#ifndef SELFTEST_KVM_TRACE_H
#define SELFTEST_KVM_TRACE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <linux/compiler.h>	/* __printf, also where kselftest.h lacks it (6.1) */

#include "kselftest.h"

#include "kvm_role.h"
#include "kvm_trace_model.h"

#define KVM_TRACE_INSTANCE_PREFIX	"smmu_"

struct kvm_trace;

/*
 * A capture of kvm_mmu_get_page, kvm_mmu_sync_page, kvm_mmu_unsync_page
 * and kvm_mmu_prepare_zap_page for the calling thread, not yet started.
 * Skips (KSFT_SKIP) with the reason when tracefs or the kvmmmu events are
 * missing or the role layout of the running kernel is unknown.
 */
struct kvm_trace *kvm_trace_create(void);

/*
 * kvm_trace_create() for a test's main capture, after
 * kvm_role_layout_require(), with what each of the two cost printed.
 */
struct kvm_trace *kvm_trace_create_timed(void);

/* CLOCK_MONOTONIC in seconds: for the times tests print around captures. */
double kvm_trace_seconds(void);

/* Also capture kvmmmu event @event (before the first kvm_trace_start()). */
void kvm_trace_add_event(struct kvm_trace *t, const char *event);

/*
 * Per-CPU ring buffer size of the instance (tracefs buffer_size_kb); the
 * default is the kernel's.  A phase that overflows it fails the test.
 */
void kvm_trace_set_buffer_kb(struct kvm_trace *t, size_t kb);

/* Also capture events of thread @tid (e.g. a vCPU run in another thread). */
void kvm_trace_add_thread(struct kvm_trace *t, pid_t tid);

/* Begin phase @phase: events from now on are recorded under it. */
void kvm_trace_start(struct kvm_trace *t, const char *phase);

/*
 * End the phase: stop recording and read its events into the model.
 * Fails the test if the trace buffer lost events.
 */
void kvm_trace_stop(struct kvm_trace *t);

/*
 * kvm_trace_stop() that returns how many events the buffer lost in the
 * phase (-1 from libtraceevent counts as 1) instead of failing the test.
 */
long long kvm_trace_stop_lossy(struct kvm_trace *t);

/* The model of all phases so far. */
struct kvm_mmu_model *kvm_trace_model(struct kvm_trace *t);

/* Phase number of the most recent kvm_trace_start(). */
int kvm_trace_phase(struct kvm_trace *t);

/* The tracefs instance's name (for diagnostics and cleanup checks). */
const char *kvm_trace_instance_name(struct kvm_trace *t);

/* Print the model as TAP diagnostics. */
void kvm_trace_print(struct kvm_trace *t);

/*
 * Report the kvmmmu check named by @fmt: a skip that says @no_trace (why
 * there is no capture), else a pass, or a failure that says @bad, with
 * the model printed; then end the capture @t (NULL: none).  Inline:
 * kselftest.h's counters are static, one set per file.
 */
void kvm_trace_destroy(struct kvm_trace *t);

static inline __printf(4, 5)
void kvm_trace_report(struct kvm_trace *t, const char *no_trace, const char *bad,
		      const char *fmt, ...)
{
	char name[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	if (no_trace)
		ksft_test_result_skip("%s: %s\n", name, no_trace);
	else
		ksft_test_result(!bad, "%s%s%s\n", name, bad ? ": " : "", bad ?: "");
	if (bad && t)
		kvm_trace_print(t);
	if (t)
		kvm_trace_destroy(t);
}

/*
 * End the capture and free it.  Its instance is kept (armed, tracing off)
 * for the next capture of this process, or removed at once after
 * kvm_trace_reuse_instances(false).
 */
void kvm_trace_destroy(struct kvm_trace *t);

/*
 * On by default: kvm_trace_destroy() keeps one instance, still armed and
 * tracing off, and the next kvm_trace_create() of this process takes it
 * over, its buffers empty, when it is armed for the same events and
 * threads (else it starts a new one).  Making, arming and removing an
 * instance is most of a capture's cost under TCG (README "What tracing
 * costs").  The kept instance is removed at exit and on fatal signals
 * like a live one; @keep false removes it at once and makes
 * kvm_trace_destroy() remove instances.
 */
void kvm_trace_reuse_instances(bool keep);

/*
 * Remove every "smmu_<pid>_*" instance whose process no longer exists.
 * Returns how many were removed.  kvm_trace_create() calls it.
 */
int kvm_trace_reap_stale_instances(void);

/* Whether tracefs instance @name exists (for checks of the cleanup). */
bool kvm_trace_instance_exists(const char *name);

/*
 * Why kvmmmu events cannot be captured here (tracefs not mounted and not
 * mountable, no kvmmmu events, no known role layout, a build without
 * libtracefs), or NULL: for tests
 * that report their introspection cases as skips instead of skipping the
 * whole program as kvm_trace_create() does.
 */
const char *kvm_trace_unavailable(void);

/*
 * The role layout of the running kernel (BTF, else the built-in table);
 * skips with the reason when neither applies.
 */
void kvm_role_layout_require(struct kvm_role_layout *layout);

#endif /* SELFTEST_KVM_TRACE_H */

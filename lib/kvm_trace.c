// SPDX-License-Identifier: GPL-2.0
/*
 * kvmmmu trace capture for one test (include/kvm_trace.h), with libtracefs
 * for the instance, enablement and filters, and libtraceevent for parsing
 * the binary records (fields by name, as the event's format file declares
 * them, so no layout of the ring buffer is assumed here).
 *
 * Built with -DKVM_MMU_NO_TRACEFS (a kernel tree's kvm target without the
 * two libraries: pkg-config decides), every capture skips with the reason
 * and only the role layout remains (the end of this file).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "test_util.h"
#include "kselftest.h"

#include "kvm_role_btf.h"
#include "kvm_trace.h"

void kvm_role_layout_require(struct kvm_role_layout *layout)
{
	static struct kvm_role_layout cached;
	static bool have_cached;
	char why[256];

	if (!have_cached) {
		if (kvm_role_layout_load(&cached, why, sizeof(why)))
			ksft_exit_skip("cannot decode shadow page roles: %s\n", why);
		have_cached = true;
	}
	*layout = cached;
}

double kvm_trace_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

struct kvm_trace *kvm_trace_create_timed(void)
{
	struct kvm_role_layout layout;
	struct kvm_trace *t;
	double t0, t1;

	t0 = kvm_trace_seconds();
	kvm_role_layout_require(&layout);
	t1 = kvm_trace_seconds();
	t = kvm_trace_create();
	ksft_print_msg("role layout from %s in %.3f s; tracefs instance %s set up in %.3f s\n",
		       layout.source, t1 - t0, kvm_trace_instance_name(t),
		       kvm_trace_seconds() - t1);
	return t;
}

#ifndef KVM_MMU_NO_TRACEFS

#include <event-parse.h>
#include <tracefs.h>

#define MAX_TRACES	8
#define MAX_THREADS	16
#define MAX_EVENTS	16

struct kvm_trace {
	struct tracefs_instance *inst;
	struct tep_handle *tep;
	char name[64];
	pid_t tids[MAX_THREADS];
	int nr_tids;
	char events[MAX_EVENTS][KVM_MMU_EVENT_NAME_LEN];
	int nr_events;
	bool armed;		/* events enabled and filtered */
	bool resized;		/* kvm_trace_set_buffer_kb() changed the buffer */
	/* The instance was a parked one: its tep and what it was armed for. */
	bool adopted;
	struct tep_handle *adopted_tep;
	char adopted_events[MAX_EVENTS][KVM_MMU_EVENT_NAME_LEN];
	int adopted_nr_events;
	pid_t adopted_tids[MAX_THREADS];
	int adopted_nr_tids;
	bool running;		/* between kvm_trace_start() and kvm_trace_stop() */
	int phase;
	long long lost;
	int slot;
	struct kvm_mmu_model model;
};

/*
 * Instances to remove if the test dies.  The paths are kept as plain
 * strings so that the signal handler needs nothing but rmdir(), which is
 * async-signal-safe.  The handlers are inherited across fork(), so each
 * entry has its owner: a child never removes its parent's instances.
 */
static struct {
	struct kvm_trace *trace;
	pid_t owner;
	char dir[512];
} live[MAX_TRACES];
static bool handlers_installed;

/*
 * Unless kvm_trace_reuse_instances(false), the instance of the last
 * destroyed capture, still armed, tracing off, for the next
 * kvm_trace_create() of the same process; removed at exit or on a fatal
 * signal like a live one.
 */
static bool reuse_instances = true;
static struct {
	struct kvm_trace *t;	/* kept whole: its instance, tep, events, threads */
	pid_t owner;
	char dir[512];
} parked;

/*
 * What tracing costs the test: wall time spent in this file's calls
 * (instance, formats, filters, enabling, reading the buffers, removal),
 * printed once at exit.  The tracepoints' own cost inside KVM while a
 * phase runs is not in it.
 */
enum { COST_CREATE, COST_START, COST_STOP, COST_DESTROY, NR_COSTS };
static struct {
	pid_t owner;
	int captures;
	size_t events;
	long long ns[NR_COSTS];
} cost;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define COST_FMT								\
	"tracing overhead: %d kvmmmu captures, %zu events, %.3f s in kvm_trace calls (create %.3f, start %.3f, stop and read %.3f, destroy %.3f)\n"

static void print_cost(void)
{
	if (cost.owner != getpid())
		return;
	ksft_print_msg(COST_FMT,
		       cost.captures, cost.events,
		       (cost.ns[COST_CREATE] + cost.ns[COST_START] + cost.ns[COST_STOP] +
			cost.ns[COST_DESTROY]) / 1e9,
		       cost.ns[COST_CREATE] / 1e9, cost.ns[COST_START] / 1e9,
		       cost.ns[COST_STOP] / 1e9, cost.ns[COST_DESTROY] / 1e9);
}

static const char * const default_events[] = {
	"kvm_mmu_get_page", "kvm_mmu_sync_page", "kvm_mmu_unsync_page",
	"kvm_mmu_prepare_zap_page",
};

static void remove_live_dirs_signal_safe(void)
{
	pid_t self = getpid();
	int i;

	for (i = 0; i < MAX_TRACES; i++) {
		if (live[i].dir[0] && live[i].owner == self)
			rmdir(live[i].dir);
	}
	if (parked.dir[0] && parked.owner == self)
		rmdir(parked.dir);
}

static void fatal_signal(int sig)
{
	remove_live_dirs_signal_safe();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void free_trace(struct kvm_trace *t);

static void remove_all_at_exit(void)
{
	pid_t self = getpid();
	int i;

	reuse_instances = false;
	for (i = 0; i < MAX_TRACES; i++) {
		if (live[i].trace && live[i].owner == self)
			kvm_trace_destroy(live[i].trace);
	}
	kvm_trace_reuse_instances(false);
}

/* Fatal signals only where the test left the default: its own handlers win. */
static void install_cleanup_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGABRT,
				    SIGSEGV, SIGBUS, SIGFPE, SIGILL };
	struct sigaction sa = { .sa_handler = fatal_signal }, old;
	unsigned int i;

	if (handlers_installed)
		return;
	handlers_installed = true;
	/* atexit runs in reverse: the cost is printed after the cleanup. */
	cost.owner = getpid();
	atexit(print_cost);
	atexit(remove_all_at_exit);
	for (i = 0; i < ARRAY_SIZE(sigs); i++) {
		if (!sigaction(sigs[i], NULL, &old) && old.sa_handler == SIG_DFL &&
		    !(old.sa_flags & SA_SIGINFO))
			sigaction(sigs[i], &sa, NULL);
	}
}

/* "smmu_<pid>_<n>" of a process that is gone (ESRCH, not EPERM). */
static int reap_one(const char *name, void *ctx)
{
	int *reaped = ctx;
	char path[512];
	int pid, n;

	if (sscanf(name, KVM_TRACE_INSTANCE_PREFIX "%d_%d", &pid, &n) != 2 || pid <= 0)
		return 0;
	if (kill(pid, 0) == 0 || errno != ESRCH)
		return 0;
	snprintf(path, sizeof(path), "%s/instances/%s", tracefs_tracing_dir(), name);
	if (!rmdir(path))
		(*reaped)++;
	return 0;
}

bool kvm_trace_instance_exists(const char *name)
{
	return tracefs_instance_exists(name);
}

int kvm_trace_reap_stale_instances(void)
{
	int reaped = 0;

	if (!tracefs_tracing_dir())
		return 0;
	tracefs_instances_walk(reap_one, &reaped);
	return reaped;
}

/*
 * Parsing vmlinux's BTF takes about 0.1 s under TCG; the layout cannot
 * change while the kvm module stays loaded, so read it once per process.
 */
const char *kvm_trace_unavailable(void)
{
	static char why[512];
	struct kvm_role_layout layout;
	const char *dir = tracefs_tracing_dir();

	if (!dir)
		tracefs_tracing_dir_is_mounted(true, &dir);
	dir = tracefs_tracing_dir();
	if (!dir)
		return "tracefs is not mounted";
	snprintf(why, sizeof(why), "%s/events/kvmmmu/kvm_mmu_get_page", dir);
	if (access(why, F_OK))
		return "no kvmmmu trace events";
	if (kvm_role_layout_load(&layout, why, sizeof(why)))
		return why;
	return NULL;
}

static void require_tracefs(void)
{
	const char *dir = tracefs_tracing_dir();
	char path[512];

	if (!dir) {
		/* Mounts tracefs when allowed (root), as the VM runner does. */
		tracefs_tracing_dir_is_mounted(true, &dir);
		dir = tracefs_tracing_dir();
	}
	if (!dir)
		ksft_exit_skip("tracefs is not mounted and cannot be mounted%s\n",
			       geteuid() ? " (not root)" : "");
	snprintf(path, sizeof(path), "%s/events/kvmmmu/kvm_mmu_get_page", dir);
	if (access(path, R_OK))
		ksft_exit_skip("no kvmmmu trace events (%s: %s)\n", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/instances", dir);
	if (access(path, W_OK))
		ksft_exit_skip("cannot create tracefs instances (%s: %s)%s\n", path,
			       strerror(errno), geteuid() ? " (not root)" : "");
}

static int claim_slot(struct kvm_trace *t)
{
	int i;

	/* A slot of a parent's capture (copied by fork()) is free for a child. */
	for (i = 0; i < MAX_TRACES; i++) {
		if (!live[i].trace || live[i].owner != getpid()) {
			live[i].trace = t;
			live[i].owner = getpid();
			live[i].dir[0] = '\0';
			return i;
		}
	}
	TEST_FAIL("more than %d kvm_trace captures at once", MAX_TRACES);
	return -1;
}

static void create_instance(struct kvm_trace *t)
{
	static int serial;
	char *dir;

	snprintf(t->name, sizeof(t->name), KVM_TRACE_INSTANCE_PREFIX "%d_%d",
		 getpid(), serial++);
	/*
	 * tracefs_instance_create() returns an existing instance as is: one
	 * of this name is left from a dead process that had this pid.
	 */
	if (tracefs_instance_exists(t->name)) {
		t->inst = tracefs_instance_alloc(NULL, t->name);
		if (t->inst) {
			tracefs_instance_destroy(t->inst);
			tracefs_instance_free(t->inst);
		}
	}
	t->inst = tracefs_instance_create(t->name);
	TEST_ASSERT(t->inst, "tracefs_instance_create(%s): %s", t->name, strerror(errno));

	dir = tracefs_instance_get_dir(t->inst);
	TEST_ASSERT(dir, "tracefs_instance_get_dir(%s)", t->name);
	snprintf(live[t->slot].dir, sizeof(live[t->slot].dir), "%s", dir);
	free(dir);

	/* A new instance traces from the start: nothing until kvm_trace_start(). */
	TEST_ASSERT(!tracefs_trace_off(t->inst), "tracing_on=0 in %s", t->name);
	/*
	 * Overwrite mode (the default, made sure of): a full buffer then
	 * flags the events it lost in the next page, which the reader sees
	 * as missed_events.  Without it, dropped events leave no mark there.
	 */
	TEST_ASSERT(!tracefs_option_enable(t->inst, TRACEFS_OPTION_OVERWRITE),
		    "options/overwrite in %s", t->name);
}

/* Take over the parked instance; arm() decides whether it fits. */
static void adopt_parked(struct kvm_trace *t)
{
	struct kvm_trace *p = parked.t;

	t->inst = p->inst;
	memcpy(t->name, p->name, sizeof(t->name));
	snprintf(live[t->slot].dir, sizeof(live[t->slot].dir), "%s", parked.dir);
	t->adopted = true;
	t->adopted_tep = p->tep;
	memcpy(t->adopted_events, p->events, sizeof(t->adopted_events));
	t->adopted_nr_events = p->nr_events;
	memcpy(t->adopted_tids, p->tids, sizeof(t->adopted_tids));
	t->adopted_nr_tids = p->nr_tids;
	kvm_mmu_model_free(&p->model);
	free(p);
	parked.t = NULL;
	parked.dir[0] = '\0';
}

void kvm_trace_reuse_instances(bool keep)
{
	reuse_instances = keep;
	if (!keep && parked.t && parked.owner == getpid()) {
		long long t0 = now_ns();

		free_trace(parked.t);
		parked.t = NULL;
		parked.dir[0] = '\0';
		cost.ns[COST_DESTROY] += now_ns() - t0;
	}
}

struct kvm_trace *kvm_trace_create(void)
{
	long long t0 = now_ns();
	struct kvm_role_layout layout;
	struct kvm_trace *t;
	unsigned int i;

	require_tracefs();
	kvm_role_layout_require(&layout);
	install_cleanup_handlers();
	kvm_trace_reap_stale_instances();

	t = calloc(1, sizeof(*t));
	TEST_ASSERT(t, "out of memory");
	t->slot = claim_slot(t);
	/* syscall(): glibc declares gettid() only with _GNU_SOURCE, unset in 6.1's build. */
	t->tids[t->nr_tids++] = syscall(SYS_gettid);
	t->phase = -1;
	for (i = 0; i < ARRAY_SIZE(default_events); i++)
		kvm_trace_add_event(t, default_events[i]);
	kvm_mmu_model_init(&t->model, &layout);
	if (parked.t && parked.owner == getpid())
		adopt_parked(t);
	else
		create_instance(t);
	cost.captures++;
	cost.ns[COST_CREATE] += now_ns() - t0;
	return t;
}

void kvm_trace_add_event(struct kvm_trace *t, const char *event)
{
	int i;

	TEST_ASSERT(!t->armed, "%s(%s) after kvm_trace_start()", __func__, event);
	for (i = 0; i < t->nr_events; i++) {
		if (!strcmp(t->events[i], event))
			return;
	}
	TEST_ASSERT(t->nr_events < MAX_EVENTS && strlen(event) < KVM_MMU_EVENT_NAME_LEN,
		    "%s(%s): too many or too long", __func__, event);
	memcpy(t->events[t->nr_events++], event, strlen(event) + 1);
}

void kvm_trace_set_buffer_kb(struct kvm_trace *t, size_t kb)
{
	TEST_ASSERT(!t->running, "%s() while tracing", __func__);
	t->resized = true;
	TEST_ASSERT(!tracefs_instance_set_buffer_size(t->inst, kb, -1),
		    "buffer_size_kb=%zu in %s: %s", kb, t->name, strerror(errno));
}

void kvm_trace_add_thread(struct kvm_trace *t, pid_t tid)
{
	TEST_ASSERT(!t->armed, "%s() after kvm_trace_start()", __func__);
	TEST_ASSERT(t->nr_tids < MAX_THREADS, "too many threads to trace");
	t->tids[t->nr_tids++] = tid;
}

/* "common_pid==1||common_pid==2": the filter grammar of kernel/trace. */
static void build_filter(struct kvm_trace *t, char *buf, size_t size)
{
	size_t len = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < t->nr_tids && len < size; i++)
		len += snprintf(buf + len, size - len, "%scommon_pid==%d",
				i ? "||" : "", t->tids[i]);
	TEST_ASSERT(len < size, "trace filter too long");
}

/*
 * A parser for just the events enabled: the ring buffer's page header and
 * their format files.  tracefs_local_events_system() would also read
 * /proc/kallsyms, saved_cmdlines and printk_formats, which takes over a
 * second under TCG and is not needed to read numeric fields.
 */
static struct tep_handle *tep_for_events(struct kvm_trace *t)
{
	enum tep_endian endian = tep_is_bigendian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN;
	struct tep_handle *tep = tep_alloc();
	char *buf;
	int i, size;

	TEST_ASSERT(tep, "tep_alloc");
	/*
	 * libtraceevent cannot evaluate the kvmmmu print formats (they call
	 * kernel helpers); the fields are what is read, so keep it quiet.
	 */
	tep_set_loglevel(TEP_LOG_NONE);
	tracefs_set_loglevel(TEP_LOG_NONE);
	tep_set_long_size(tep, sizeof(long));
	tep_set_page_size(tep, getpagesize());
	tep_set_file_bigendian(tep, endian);
	tep_set_local_bigendian(tep, endian);

	buf = tracefs_instance_file_read(NULL, "events/header_page", &size);
	TEST_ASSERT(buf && !tep_parse_header_page(tep, buf, size, sizeof(long)),
		    "cannot parse events/header_page of tracefs");
	free(buf);
	for (i = 0; i < t->nr_events; i++) {
		buf = tracefs_event_file_read(NULL, "kvmmmu", t->events[i], "format", &size);
		TEST_ASSERT(buf, "no format for kvmmmu/%s: %s", t->events[i], strerror(errno));
		tep_parse_event(tep, buf, size, "kvmmmu");
		free(buf);
		TEST_ASSERT(tep_find_event_by_name(tep, "kvmmmu", t->events[i]),
			    "cannot parse the format of kvmmmu/%s", t->events[i]);
	}
	return tep;
}

/* The filter goes in before the event is enabled: no event escapes it. */
static bool armed_as_adopted(struct kvm_trace *t)
{
	return t->nr_events == t->adopted_nr_events &&
	       !memcmp(t->events, t->adopted_events, sizeof(t->events[0]) * t->nr_events) &&
	       t->nr_tids == t->adopted_nr_tids &&
	       !memcmp(t->tids, t->adopted_tids, sizeof(t->tids[0]) * t->nr_tids);
}

static void arm(struct kvm_trace *t)
{
	char filter[MAX_THREADS * 24];
	int i;

	if (t->adopted) {
		t->adopted = false;
		if (armed_as_adopted(t)) {
			t->tep = t->adopted_tep;
			t->armed = true;
			return;
		}
		/* Armed for other events or threads: start from a new one. */
		tep_free(t->adopted_tep);
		tracefs_instance_destroy(t->inst);
		tracefs_instance_free(t->inst);
		create_instance(t);
	}
	t->tep = tep_for_events(t);
	build_filter(t, filter, sizeof(filter));
	for (i = 0; i < t->nr_events; i++) {
		TEST_ASSERT(tracefs_event_file_write(t->inst, "kvmmmu", t->events[i],
						     "filter", filter) > 0,
			    "set filter '%s' on kvmmmu/%s in %s: %s", filter,
			    t->events[i], t->name, strerror(errno));
		TEST_ASSERT(!tracefs_event_enable(t->inst, "kvmmmu", t->events[i]),
			    "enable kvmmmu/%s in %s: %s", t->events[i], t->name,
			    strerror(errno));
	}
	t->armed = true;
}

void kvm_trace_start(struct kvm_trace *t, const char *phase)
{
	long long t0 = now_ns();

	if (!t->armed)
		arm(t);
	TEST_ASSERT(!t->running, "%s(%s) while phase '%s' runs", __func__, phase,
		    t->model.phase_names[t->phase]);
	t->phase = kvm_mmu_model_begin_phase(&t->model, phase);
	TEST_ASSERT(t->phase >= 0, "too many trace phases (%d)", KVM_MMU_MAX_PHASES);
	t->running = true;
	TEST_ASSERT(!tracefs_trace_on(t->inst), "tracing_on=1 in %s", t->name);
	cost.ns[COST_START] += now_ns() - t0;
}

static unsigned long long event_field(struct tep_event *event, struct tep_record *record,
				      const char *name)
{
	unsigned long long val = 0;

	TEST_ASSERT(!tep_get_field_val(NULL, event, name, record, &val, 0),
		    "kvmmmu/%s has no field '%s'", event->name, name);
	return val;
}

/* KVM_MMU_PAGE_FIELDS of mmutrace.h, and "created" of kvm_mmu_get_page. */
static int on_record(struct tep_event *event, struct tep_record *record, int cpu,
		     void *ctx)
{
	struct kvm_trace *t = ctx;
	struct kvm_mmu_event ev = { 0 };

	/* -1: the buffer lost an unknown number of events before this one. */
	if (record->missed_events)
		t->lost += record->missed_events > 0 ? record->missed_events : 1;
	if (strcmp(event->system, "kvmmmu"))
		return 0;

	ev.type = kvm_mmu_event_type_of(event->name);
	snprintf(ev.name, sizeof(ev.name), "%s", event->name);
	if (ev.type != KVM_MMU_OTHER) {
		ev.gfn = event_field(event, record, "gfn");
		ev.role = event_field(event, record, "role");
		ev.root_count = event_field(event, record, "root_count");
		ev.unsync = event_field(event, record, "unsync");
		ev.mmu_valid_gen = event_field(event, record, "mmu_valid_gen");
	}
	if (ev.type == KVM_MMU_GET_PAGE)
		ev.created = event_field(event, record, "created");
	TEST_ASSERT(!kvm_mmu_model_add(&t->model, &ev), "out of memory");
	return 0;
}

long long kvm_trace_stop_lossy(struct kvm_trace *t)
{
	long long t0 = now_ns();

	TEST_ASSERT(t->running, "kvm_trace_stop() without kvm_trace_start()");
	t->running = false;
	TEST_ASSERT(!tracefs_trace_off(t->inst), "tracing_on=0 in %s", t->name);
	t->lost = 0;
	/* Consumes the per-CPU buffers: the next phase starts empty. */
	TEST_ASSERT(!tracefs_iterate_raw_events(t->tep, t->inst, NULL, 0, on_record, t),
		    "reading the trace of %s failed", t->name);
	cost.ns[COST_STOP] += now_ns() - t0;
	return t->lost;
}

void kvm_trace_stop(struct kvm_trace *t)
{
	long long lost = kvm_trace_stop_lossy(t);

	TEST_ASSERT(!lost,
		    "the trace buffer of %s lost %lld kvmmmu events in phase '%s': counts would be wrong (kvm_trace_set_buffer_kb())",
		    t->name, lost, t->model.phase_names[t->phase]);
}

struct kvm_mmu_model *kvm_trace_model(struct kvm_trace *t)
{
	return &t->model;
}

int kvm_trace_phase(struct kvm_trace *t)
{
	return t->phase;
}

const char *kvm_trace_instance_name(struct kvm_trace *t)
{
	return t->name;
}

void kvm_trace_print(struct kvm_trace *t)
{
	fflush(stdout);
	kvm_mmu_model_print(&t->model, stdout, "# ");
	fflush(stdout);
}

/* Park @t's instance for the next capture instead of removing it. */
static bool park(struct kvm_trace *t)
{
	if (!reuse_instances || parked.t || !t->armed || t->running || t->resized ||
	    live[t->slot].owner != getpid())
		return false;
	parked.owner = getpid();
	snprintf(parked.dir, sizeof(parked.dir), "%s", live[t->slot].dir);
	parked.t = t;
	return true;
}

static void free_trace(struct kvm_trace *t)
{
	if (t->inst) {
		tracefs_trace_off(t->inst);
		/* Removing the instance drops its enablement and filters too. */
		tracefs_instance_destroy(t->inst);
		tracefs_instance_free(t->inst);
	}
	if (t->tep)
		tep_free(t->tep);
	if (t->adopted)
		tep_free(t->adopted_tep);
	kvm_mmu_model_free(&t->model);
	free(t);
}

void kvm_trace_destroy(struct kvm_trace *t)
{
	long long t0 = now_ns();
	int slot = t->slot;

	cost.events += t->model.nr_events;
	if (!park(t))
		free_trace(t);
	live[slot].dir[0] = '\0';
	live[slot].trace = NULL;
	cost.ns[COST_DESTROY] += now_ns() - t0;
}

#else /* KVM_MMU_NO_TRACEFS */

#define NO_TRACEFS "built without libtracefs and libtraceevent (pkg-config found none)"

const char *kvm_trace_unavailable(void)
{
	return NO_TRACEFS;
}

struct kvm_trace *kvm_trace_create(void)
{
	ksft_exit_skip("kvmmmu trace capture: %s\n", NO_TRACEFS);
	return NULL;
}

bool kvm_trace_instance_exists(const char *name)
{
	return false;
}

int kvm_trace_reap_stale_instances(void)
{
	return 0;
}

void kvm_trace_reuse_instances(bool keep)
{
}

/* No capture can exist: kvm_trace_create() never returns one. */
#define NO_CAPTURE(t) TEST_FAIL("kvm_trace %p without a capture: %s", (t), NO_TRACEFS)

void kvm_trace_add_event(struct kvm_trace *t, const char *event)
{
	NO_CAPTURE(t);
}

void kvm_trace_set_buffer_kb(struct kvm_trace *t, size_t kb)
{
	NO_CAPTURE(t);
}

void kvm_trace_add_thread(struct kvm_trace *t, pid_t tid)
{
	NO_CAPTURE(t);
}

void kvm_trace_start(struct kvm_trace *t, const char *phase)
{
	NO_CAPTURE(t);
}

void kvm_trace_stop(struct kvm_trace *t)
{
	NO_CAPTURE(t);
}

long long kvm_trace_stop_lossy(struct kvm_trace *t)
{
	NO_CAPTURE(t);
	return 0;
}

struct kvm_mmu_model *kvm_trace_model(struct kvm_trace *t)
{
	NO_CAPTURE(t);
	return NULL;
}

int kvm_trace_phase(struct kvm_trace *t)
{
	NO_CAPTURE(t);
	return -1;
}

const char *kvm_trace_instance_name(struct kvm_trace *t)
{
	NO_CAPTURE(t);
	return NULL;
}

void kvm_trace_print(struct kvm_trace *t)
{
	NO_CAPTURE(t);
}

void kvm_trace_destroy(struct kvm_trace *t)
{
	NO_CAPTURE(t);
}

#endif /* KVM_MMU_NO_TRACEFS */

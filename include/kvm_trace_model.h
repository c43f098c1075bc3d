/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A model of what KVM's shadow MMU did, built from kvmmmu trace events
 * (arch/x86/kvm/mmu/mmutrace.h) captured by lib/kvm_trace.c: which shadow
 * pages were created or found, synced, unsynced and zapped, per phase of a
 * test.  A shadow page is identified by (gfn, role), as
 * kvm_mmu_find_shadow_page() in arch/x86/kvm/mmu/mmu.c identifies it,
 * except that the role's "invalid" bit is ignored so that a page and its
 * zapped self are the same page.
 *
 * No KVM or selftests dependency: tests/unit and tests/fuzz link it alone.
 */
#ifndef SELFTEST_KVM_TRACE_MODEL_H
#define SELFTEST_KVM_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "kvm_role.h"

enum kvm_mmu_event_type {
	KVM_MMU_GET_PAGE,		/* kvm_mmu_get_page: created or found */
	KVM_MMU_SYNC_PAGE,		/* kvm_mmu_sync_page */
	KVM_MMU_UNSYNC_PAGE,		/* kvm_mmu_unsync_page */
	KVM_MMU_PREPARE_ZAP_PAGE,	/* kvm_mmu_prepare_zap_page */
	KVM_MMU_OTHER,			/* any other event a test enabled */
	KVM_MMU_NR_EVENT_TYPES,
};

#define KVM_MMU_EVENT_NAME_LEN	32

/* One event: the fields of KVM_MMU_PAGE_FIELDS, plus "created". */
struct kvm_mmu_event {
	enum kvm_mmu_event_type type;
	char name[KVM_MMU_EVENT_NAME_LEN];	/* the kvmmmu event's name */
	int phase;			/* set by kvm_mmu_model_add() */
	uint64_t gfn;
	uint32_t role;
	uint32_t root_count;
	bool unsync;
	bool created;			/* kvm_mmu_get_page only */
	uint8_t mmu_valid_gen;
};

#define KVM_MMU_MAX_PHASES	64
#define KVM_MMU_PHASE_NAME_LEN	48

struct kvm_mmu_model {
	struct kvm_role_layout layout;
	uint32_t invalid_mask;		/* the role's "invalid" bit */
	struct kvm_mmu_event *events;
	size_t nr_events;
	size_t capacity;
	int nr_phases;
	char phase_names[KVM_MMU_MAX_PHASES][KVM_MMU_PHASE_NAME_LEN];
};

/* "Any value" in a query. */
#define KVM_MMU_ANY		(-1)

/*
 * What to count.  Start from KVM_MMU_QUERY(), which sets every criterion
 * to KVM_MMU_ANY, and name the ones that matter:
 *   KVM_MMU_QUERY(.phase = p, .type = KVM_MMU_GET_PAGE, .created = 1, .level = 1)
 */
struct kvm_mmu_query {
	int phase;
	int type;
	int created;
	int level;
	int direct;
	int quadrant;
	int has_4_byte_gpte;
	int passthrough;
	int64_t gfn;
	/* Only events whose page had root_count > 0 in some event. */
	int root;
	/* The page's root_count as the event printed it (before a new root's ++). */
	int64_t root_count;
};

/* Overriding the defaults is the point, so -Woverride-init is silenced. */
#ifdef __clang__
#define KVM_MMU_OVERRIDE_INIT	"-Winitializer-overrides"
#else
#define KVM_MMU_OVERRIDE_INIT	"-Woverride-init"
#endif
#define KVM_MMU_QUERY(...) ({							\
	_Pragma("GCC diagnostic push")						\
	_Pragma("GCC diagnostic ignored \"-Wpragmas\"")				\
	_Pragma(KVM_MMU_STR(GCC diagnostic ignored KVM_MMU_OVERRIDE_INIT))	\
	struct kvm_mmu_query __q = {						\
		.phase = KVM_MMU_ANY, .type = KVM_MMU_ANY, .created = KVM_MMU_ANY, \
		.level = KVM_MMU_ANY, .direct = KVM_MMU_ANY, .quadrant = KVM_MMU_ANY, \
		.has_4_byte_gpte = KVM_MMU_ANY, .passthrough = KVM_MMU_ANY,	\
		.gfn = KVM_MMU_ANY, .root = KVM_MMU_ANY, .root_count = KVM_MMU_ANY,	\
		__VA_ARGS__ };							\
	_Pragma("GCC diagnostic pop")						\
	__q;									\
})
#define KVM_MMU_STR(x)		KVM_MMU_STR_(x)
#define KVM_MMU_STR_(x)		#x

/* One distinct shadow page and what happened to it over all phases. */
struct kvm_mmu_page_summary {
	uint64_t gfn;
	uint32_t role;			/* with the invalid bit cleared */
	int first_phase;
	unsigned int created, found, synced, unsynced, zapped;
	bool root;			/* root_count > 0 in some event */
	bool live;			/* created (or found) and not zapped since */
};

void kvm_mmu_model_init(struct kvm_mmu_model *m, const struct kvm_role_layout *layout);
void kvm_mmu_model_free(struct kvm_mmu_model *m);

/*
 * Start phase @name; events added from now on belong to it.  Returns its
 * number, or -ENOSPC after KVM_MMU_MAX_PHASES phases.
 */
int kvm_mmu_model_begin_phase(struct kvm_mmu_model *m, const char *name);

/* Append @ev to the current phase (phase 0, "-", if none began).  -ENOMEM. */
int kvm_mmu_model_add(struct kvm_mmu_model *m, const struct kvm_mmu_event *ev);

/* Phase number of @name, or -1. */
int kvm_mmu_model_phase(const struct kvm_mmu_model *m, const char *name);

/* Number of events matching @q (by value: pass KVM_MMU_QUERY(...) directly). */
size_t kvm_mmu_model_count(const struct kvm_mmu_model *m, struct kvm_mmu_query q);

/* Number of distinct shadow pages (gfn, role) among the events matching @q. */
size_t kvm_mmu_model_count_pages(const struct kvm_mmu_model *m, struct kvm_mmu_query q);

/*
 * Summaries of all distinct shadow pages, in order of first appearance.
 * Returns the number written to @out (at most @max); *@total gets the
 * number of pages there are.
 */
size_t kvm_mmu_model_pages(const struct kvm_mmu_model *m, struct kvm_mmu_page_summary *out,
			   size_t max, size_t *total);

/* Pages created (or found) and not zapped afterwards: a leak at VM teardown. */
size_t kvm_mmu_model_count_live(const struct kvm_mmu_model *m);

/*
 * The model as a compact table (one line per page, then per-phase counts
 * by level), each line prefixed with @prefix ("# " for TAP).  One call,
 * for failure messages.
 */
void kvm_mmu_model_print(const struct kvm_mmu_model *m, FILE *f, const char *prefix);

/*
 * One event as a line after @prefix: its phase, type, gfn and role, raw
 * and decoded with the model's layout.  For failure messages.
 */
void kvm_mmu_event_print(const struct kvm_mmu_model *m, const struct kvm_mmu_event *e,
			 FILE *f, const char *prefix);

/* The type of kvmmmu event @name (KVM_MMU_OTHER for any other event). */
enum kvm_mmu_event_type kvm_mmu_event_type_of(const char *name);

/*
 * Events as text, one per line, for fixtures and for reproducing a
 * failure offline:
 *	<phase> <event> <gfn hex> <role hex> <root_count> <unsync> <created>
 * kvm_mmu_model_dump() writes them (each line after @prefix; only phase
 * @phase's unless it is KVM_MMU_ANY);
 * kvm_mmu_model_load() reads them back into @m, starting a new phase
 * whenever the phase name changes, skipping empty lines and '#' comments.
 * Returns 0, -EINVAL for a malformed line, -ENOSPC for too many phases,
 * -ENOMEM.
 */
void kvm_mmu_model_dump(const struct kvm_mmu_model *m, FILE *f, const char *prefix,
			int phase);
int kvm_mmu_model_load(struct kvm_mmu_model *m, const char *text, size_t len);

#endif /* SELFTEST_KVM_TRACE_MODEL_H */

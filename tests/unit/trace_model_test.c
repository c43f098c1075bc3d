// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the shadow page model (lib/kvm_trace_model.c): queries on
 * hand-made events, the text form of events, and the events that
 * mmu_introspection_test (now mmu_introspection_model_test) captured in the test VM
 * (tests/unit/fixtures/events-*.txt, see tests/unit/fixtures/README).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "kvm_role.h"
#include "kvm_trace_model.h"

#ifndef FIXTURES
#define FIXTURES "fixtures"
#endif

/* Role words of the 6.12 layout: level | access << 8 | efer_nx | cr0_wp | direct. */
#define ROLE(level, direct, wp)	((level) | (direct) << 7 | 7 << 8 | 1 << 12 | (wp) << 13)
#define INVALID			(1u << 11)

static struct kvm_mmu_event ev(enum kvm_mmu_event_type type, uint64_t gfn, uint32_t role,
			       int created, uint32_t root_count)
{
	static const char * const names[] = {
		"kvm_mmu_get_page", "kvm_mmu_sync_page", "kvm_mmu_unsync_page",
		"kvm_mmu_prepare_zap_page", "kvm_mmu_set_spte",
	};
	struct kvm_mmu_event e = {
		.type = type, .gfn = gfn, .role = role, .created = created,
		.root_count = root_count,
	};

	strcpy(e.name, names[type]);
	return e;
}

FIXTURE(model) {
	struct kvm_mmu_model m;
};

FIXTURE_SETUP(model)
{
	struct kvm_role_layout l;

	ASSERT_EQ(0, kvm_role_layout_builtin("6.12.117", &l));
	kvm_mmu_model_init(&self->m, &l);
}

FIXTURE_TEARDOWN(model)
{
	kvm_mmu_model_free(&self->m);
}

static size_t q(struct kvm_mmu_model *m, struct kvm_mmu_query query)
{
	return kvm_mmu_model_count(m, query);
}

static size_t pages(struct kvm_mmu_model *m, struct kvm_mmu_query query)
{
	return kvm_mmu_model_count_pages(m, query);
}

TEST_F(model, phases_levels_created_found)
{
	struct kvm_mmu_model *m = &self->m;
	struct kvm_mmu_event e;

	ASSERT_EQ(0, kvm_mmu_model_begin_phase(m, "boot"));
	e = ev(KVM_MMU_GET_PAGE, 0x180, ROLE(4, 0, 0), 1, 0);
	ASSERT_EQ(0, kvm_mmu_model_add(m, &e));
	e = ev(KVM_MMU_GET_PAGE, 0x181, ROLE(3, 0, 0), 1, 0);
	ASSERT_EQ(0, kvm_mmu_model_add(m, &e));
	ASSERT_EQ(1, kvm_mmu_model_begin_phase(m, "again"));
	e = ev(KVM_MMU_GET_PAGE, 0x181, ROLE(3, 0, 0), 0, 0);
	ASSERT_EQ(0, kvm_mmu_model_add(m, &e));
	e = ev(KVM_MMU_GET_PAGE, 0x181, ROLE(3, 0, 0), 0, 0);
	ASSERT_EQ(0, kvm_mmu_model_add(m, &e));

	EXPECT_EQ(1, kvm_mmu_model_phase(m, "again"));
	EXPECT_EQ(-1, kvm_mmu_model_phase(m, "nosuch"));
	EXPECT_EQ(2U, q(m, KVM_MMU_QUERY(.phase = 0, .created = 1)));
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.phase = 0, .level = 4)));
	EXPECT_EQ(2U, q(m, KVM_MMU_QUERY(.phase = 1, .created = 0)));
	EXPECT_EQ(1U, pages(m, KVM_MMU_QUERY(.phase = 1, .created = 0)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.phase = 1, .created = 1)));
	EXPECT_EQ(4U, q(m, KVM_MMU_QUERY(.direct = 0)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.direct = 1)));
	EXPECT_EQ(3U, q(m, KVM_MMU_QUERY(.gfn = 0x181)));
	EXPECT_EQ(2U, pages(m, KVM_MMU_QUERY()));
	EXPECT_EQ(2U, kvm_mmu_model_count_live(m));
}

/* A zapped page is the same page: its role's invalid bit is ignored. */
TEST_F(model, zap_ends_a_page_and_roots_are_marked)
{
	struct kvm_mmu_model *m = &self->m;
	struct kvm_mmu_page_summary s[4];
	struct kvm_mmu_event e;
	size_t total;

	e = ev(KVM_MMU_GET_PAGE, 0x180, ROLE(4, 0, 1), 1, 0);
	kvm_mmu_model_add(m, &e);
	e = ev(KVM_MMU_GET_PAGE, 0x183, ROLE(1, 0, 1), 1, 0);
	kvm_mmu_model_add(m, &e);
	kvm_mmu_model_begin_phase(m, "teardown");
	e = ev(KVM_MMU_PREPARE_ZAP_PAGE, 0x180, ROLE(4, 0, 1), 0, 1);
	kvm_mmu_model_add(m, &e);
	EXPECT_EQ(1U, kvm_mmu_model_count_live(m));
	e = ev(KVM_MMU_PREPARE_ZAP_PAGE, 0x180, ROLE(4, 0, 1) | INVALID, 0, 0);
	kvm_mmu_model_add(m, &e);
	e = ev(KVM_MMU_PREPARE_ZAP_PAGE, 0x183, ROLE(1, 0, 1), 0, 0);
	kvm_mmu_model_add(m, &e);

	EXPECT_EQ(0U, kvm_mmu_model_count_live(m));
	EXPECT_EQ(2U, kvm_mmu_model_pages(m, s, 4, &total));
	EXPECT_EQ(2U, total);
	EXPECT_EQ(2U, s[0].zapped);
	EXPECT_TRUE(s[0].root);
	EXPECT_FALSE(s[1].root);
	EXPECT_EQ(0, s[0].first_phase);
	/* The root's three events: created, zapped in use, zapped when put. */
	EXPECT_EQ(3U, q(m, KVM_MMU_QUERY(.root = 1)));
	EXPECT_EQ(1U, pages(m, KVM_MMU_QUERY(.root = 1)));
	EXPECT_EQ(1U, pages(m, KVM_MMU_QUERY(.root = 0, .type = KVM_MMU_PREPARE_ZAP_PAGE)));
	EXPECT_EQ(1U, kvm_mmu_model_pages(m, s, 1, &total));
	EXPECT_EQ(2U, total);
	/* root_count as each event printed it. */
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.gfn = 0x180, .root_count = 1)));
	EXPECT_EQ(2U, q(m, KVM_MMU_QUERY(.gfn = 0x180, .root_count = 0)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.root_count = 2)));
}

TEST_F(model, sync_unsync_and_other_events)
{
	struct kvm_mmu_model *m = &self->m;
	struct kvm_mmu_event e;

	e = ev(KVM_MMU_GET_PAGE, 0x10, ROLE(1, 0, 1), 1, 0);
	kvm_mmu_model_add(m, &e);
	e = ev(KVM_MMU_UNSYNC_PAGE, 0x10, ROLE(1, 0, 1), 0, 0);
	kvm_mmu_model_add(m, &e);
	e = ev(KVM_MMU_SYNC_PAGE, 0x10, ROLE(1, 0, 1), 0, 0);
	kvm_mmu_model_add(m, &e);
	e = ev(KVM_MMU_OTHER, 0, 0, 0, 0);
	kvm_mmu_model_add(m, &e);

	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_UNSYNC_PAGE)));
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_SYNC_PAGE, .level = 1)));
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_OTHER)));
	/* Other events carry no page. */
	EXPECT_EQ(1U, pages(m, KVM_MMU_QUERY()));
	/* "created" only ever matches get_page events. */
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_SYNC_PAGE, .created = 0)));
}

TEST_F(model, dump_and_load_round_trip)
{
	struct kvm_mmu_model *m = &self->m, back;
	struct kvm_mmu_event e;
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;

	kvm_mmu_model_begin_phase(m, "a phase");
	e = ev(KVM_MMU_GET_PAGE, 0xfffffffffffffULL, 0xffffffff, 1, 4294967295U);
	e.unsync = 1;
	kvm_mmu_model_add(m, &e);
	kvm_mmu_model_begin_phase(m, "b");
	e = ev(KVM_MMU_OTHER, 0, 0, 0, 0);
	kvm_mmu_model_add(m, &e);

	f = open_memstream(&text, &len);
	kvm_mmu_model_dump(m, f, "", KVM_MMU_ANY);
	fclose(f);
	kvm_mmu_model_init(&back, &m->layout);
	ASSERT_EQ(0, kvm_mmu_model_load(&back, text, len)) {
		TH_LOG("%s", text);
	}
	ASSERT_EQ(m->nr_events, back.nr_events);
	EXPECT_STREQ("a_phase", back.phase_names[0]);
	for (i = 0; i < m->nr_events; i++) {
		EXPECT_EQ(m->events[i].type, back.events[i].type);
		EXPECT_EQ(m->events[i].gfn, back.events[i].gfn);
		EXPECT_EQ(m->events[i].role, back.events[i].role);
		EXPECT_EQ(m->events[i].root_count, back.events[i].root_count);
		EXPECT_EQ(m->events[i].unsync, back.events[i].unsync);
		EXPECT_EQ(m->events[i].created, back.events[i].created);
		EXPECT_EQ(m->events[i].phase, back.events[i].phase);
		EXPECT_STREQ(m->events[i].name, back.events[i].name);
	}
	kvm_mmu_model_free(&back);
	free(text);
}

TEST_F(model, load_rejects_malformed_lines)
{
	static const char * const bad[] = {
		"boot kvm_mmu_get_page 180 1704 0 0\n",		/* 6 words */
		"boot kvm_mmu_get_page 180 1704 0 0 1 9\n",	/* 8 words */
		"boot kvm_mmu_get_page 18g 1704 0 0 1\n",
		"boot kvm_mmu_get_page 180 100000000 0 0 1\n",	/* role > u32 */
		"boot kvm_mmu_get_page 180 1704 0 2 1\n",	/* unsync not 0/1 */
		"boot kvm_mmu_get_page 180 1704 -1 0 1\n",
		"boot kvm_mmu_get_page 10000000000000000 1704 0 0 1\n",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, kvm_mmu_model_load(&self->m, bad[i], strlen(bad[i]))) {
			TH_LOG("accepted: %s", bad[i]);
		}
	}
	EXPECT_EQ(0, kvm_mmu_model_load(&self->m, "# comment\n\n", 11));
	EXPECT_EQ(0U, self->m.nr_events);
}

static int load_fixture(struct kvm_mmu_model *m, const char *name)
{
	char path[512], *text;
	long len;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, name);
	f = fopen(path, "r");
	if (!f)
		return -ENOENT;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = malloc(len + 1);
	if (fread(text, 1, len, f) != (size_t)len)
		len = 0;
	fclose(f);
	r = kvm_mmu_model_load(m, text, len);
	free(text);
	return r;
}

/*
 * The 64-bit guest of mmu_introspection_model_test under shadow paging: the same
 * expectations that test checks live, on the events it printed.
 */
TEST_F(model, captured_shadow_run)
{
	struct kvm_mmu_model *m = &self->m;
	int touch_a, wp_on, unsync, teardown;
	FILE *devnull;

	ASSERT_EQ(0, load_fixture(m, "events-shadow.txt"));
	touch_a = kvm_mmu_model_phase(m, "touch_a");
	wp_on = kvm_mmu_model_phase(m, "wp_on");
	teardown = kvm_mmu_model_phase(m, "teardown");
	ASSERT_GE(touch_a, 0);
	ASSERT_GE(wp_on, 0);
	ASSERT_GE(teardown, 0);

	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.phase = 0, .type = KVM_MMU_GET_PAGE, .created = 1,
					 .level = 4)));
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.phase = touch_a, .type = KVM_MMU_GET_PAGE,
					 .created = 1, .level = 1)));
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.phase = wp_on, .type = KVM_MMU_GET_PAGE,
					 .created = 1, .level = 4)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .direct = 1)));
	/* The alias write unsynced both level-1 shadows of range A's page table. */
	unsync = kvm_mmu_model_phase(m, "unsync");
	ASSERT_GE(unsync, 0);
	EXPECT_EQ(2U, pages(m, KVM_MMU_QUERY(.phase = unsync, .type = KVM_MMU_UNSYNC_PAGE)));
	EXPECT_EQ(1U, q(m, KVM_MMU_QUERY(.phase = unsync, .type = KVM_MMU_SYNC_PAGE)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.phase = unsync, .type = KVM_MMU_PREPARE_ZAP_PAGE)));
	EXPECT_EQ(0U, kvm_mmu_model_count_live(m));
	EXPECT_EQ(pages(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE)),
		  pages(m, KVM_MMU_QUERY(.phase = teardown, .type = KVM_MMU_PREPARE_ZAP_PAGE)));

	/* Printing is one call and must not crash on real data. */
	devnull = fopen("/dev/null", "w");
	kvm_mmu_model_print(m, devnull, "# ");
	fclose(devnull);
}

/* The TDP MMU's pages: all direct, all created, the root never zapped by trace. */
TEST_F(model, captured_tdp_mmu_run)
{
	struct kvm_mmu_model *m = &self->m;

	ASSERT_EQ(0, load_fixture(m, "events-tdp.txt"));
	EXPECT_LT(0U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .direct = 0)));
	EXPECT_EQ(0U, q(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .created = 0)));
	EXPECT_EQ(1U, kvm_mmu_model_count_live(m));
	EXPECT_EQ(1U, pages(m, KVM_MMU_QUERY(.type = KVM_MMU_GET_PAGE, .level = 4, .gfn = 0)));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of role decoding (lib/kvm_role.c) and of reading the role
 * layout from BTF (lib/kvm_role_btf.c).  The BTF is built here with
 * libbpf's writer, declaring union kvm_mmu_page_role exactly as
 * arch/x86/include/asm/kvm_host.h of 6.12 does, plus variants that a
 * future kernel could plausibly have.
 */
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>

#include "kselftest_harness.h"
#include "kvm_role.h"
#include "kvm_role_btf.h"

struct bf { const char *name; unsigned int width; };

/* 6.12 (and 6.1): what the built-in table must also say. */
static const struct bf role_6_12[] = {
	{ "level", 4 }, { "has_4_byte_gpte", 1 }, { "quadrant", 2 }, { "direct", 1 },
	{ "access", 3 }, { "invalid", 1 }, { "efer_nx", 1 }, { "cr0_wp", 1 },
	{ "smep_andnot_wp", 1 }, { "smap_andnot_wp", 1 }, { "ad_disabled", 1 },
	{ "guest_mode", 1 }, { "passthrough", 1 }, { NULL, 5 }, { "smm", 8 },
};

/*
 * union kvm_mmu_page_role { u32 word; struct { ...bitfields... }; } with
 * unnamed padding left out, as pahole leaves it out.
 */
static struct btf *make_role_btf(const struct bf *f, int n, int union_size)
{
	struct btf *btf = btf__new_empty();
	int u32_id, st_id, i, off = 0;

	u32_id = btf__add_int(btf, "unsigned int", 4, 0);
	st_id = btf__add_struct(btf, NULL, 4);
	for (i = 0; i < n; i++) {
		if (f[i].name)
			btf__add_field(btf, f[i].name, u32_id, off, f[i].width);
		off += f[i].width;
	}
	btf__add_union(btf, "kvm_mmu_page_role", union_size);
	btf__add_field(btf, "word", u32_id, 0, 0);
	btf__add_field(btf, NULL, st_id, 0, 0);
	return btf;
}

static uint32_t word_of(const struct kvm_role_layout *l, const char *name, uint32_t val)
{
	uint32_t w = 0;

	if (kvm_role_set(l, &w, name, val))
		return 0xdeadbeef;
	return w;
}

TEST(builtin_layouts_match_the_source)
{
	struct kvm_role_layout l;
	struct btf *btf;
	struct kvm_role_layout from_btf;
	unsigned int i;

	ASSERT_EQ(0, kvm_role_layout_builtin("6.12.117+deb12-amd64", &l));
	btf = make_role_btf(role_6_12, 15, 4);
	ASSERT_EQ(0, kvm_role_layout_from_btf(btf, &from_btf));
	btf__free(btf);
	ASSERT_EQ(l.nr_fields, from_btf.nr_fields);
	for (i = 0; i < l.nr_fields; i++) {
		EXPECT_STREQ(l.fields[i].name, from_btf.fields[i].name);
		EXPECT_EQ(l.fields[i].offset, from_btf.fields[i].offset);
		EXPECT_EQ(l.fields[i].width, from_btf.fields[i].width);
	}
	ASSERT_EQ(0, kvm_role_layout_builtin("6.1.0-28-amd64", &l));
	EXPECT_EQ(14U, l.nr_fields);
	EXPECT_EQ(24, kvm_role_layout_find(&l, "smm")->offset);
}

TEST(builtin_layouts_only_for_checked_releases)
{
	const char *unknown[] = {
		"6.10.0", "6.11.2", "6.13", "5.15.0-1-amd64", "6.120.1", "6", "6.", "",
		"x6.12", "6.1x", "7.1.0",
	};
	struct kvm_role_layout l;
	unsigned int i;

	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		EXPECT_EQ(-ENOENT, kvm_role_layout_builtin(unknown[i], &l)) {
			TH_LOG("accepted '%s'", unknown[i]);
		}
	}
	EXPECT_EQ(0, kvm_role_layout_builtin("6.12", &l));
	EXPECT_EQ(0, kvm_role_layout_builtin("6.1.192", &l));
}

/* Values the trace of a 64-bit shadow-paged guest shows (mmutrace.h). */
TEST(decode_a_leaf_and_a_root)
{
	struct kvm_role_layout l;
	struct kvm_mmu_role r;
	char buf[128];

	ASSERT_EQ(0, kvm_role_layout_builtin("6.12.117", &l));
	/* level 1, 8-byte gptes, q0, indirect, wux, nx, wp */
	kvm_role_decode(&l, 1 | 7 << 8 | 1 << 12 | 1 << 13, &r);
	EXPECT_EQ(1, r.level);
	EXPECT_EQ(0, r.has_4_byte_gpte);
	EXPECT_EQ(0, r.quadrant);
	EXPECT_EQ(0, r.direct);
	EXPECT_EQ(7, r.access);
	EXPECT_EQ(1, r.efer_nx);
	EXPECT_EQ(1, r.cr0_wp);
	EXPECT_EQ(0, r.smm);
	EXPECT_STREQ("l1 8b q0 wux !direct wp nx ad", kvm_role_format(&r, buf, sizeof(buf)));

	kvm_role_decode(&l, 2 | 1 << 4 | 3 << 5 | 1 << 18 | 1u << 24, &r);
	EXPECT_EQ(2, r.level);
	EXPECT_EQ(1, r.has_4_byte_gpte);
	EXPECT_EQ(3, r.quadrant);
	EXPECT_EQ(1, r.passthrough);
	EXPECT_EQ(1, r.smm);
	EXPECT_STREQ("l2 4b q3 --- !direct !wp !nx ad passthrough smm1",
		     kvm_role_format(&r, buf, sizeof(buf)));
}

TEST(fields_a_kernel_lacks_decode_as_absent)
{
	struct kvm_role_layout l;
	struct kvm_mmu_role r;
	char buf[8];

	kvm_role_layout_init(&l, "test");
	ASSERT_EQ(0, kvm_role_layout_add(&l, "level", 0, 4));
	kvm_role_decode(&l, 0xffffffff, &r);
	EXPECT_EQ(15, r.level);
	EXPECT_EQ(KVM_ROLE_ABSENT, r.passthrough);
	EXPECT_EQ(KVM_ROLE_ABSENT, r.smm);
	EXPECT_FALSE(kvm_role_layout_usable(&l));
	/* Truncation keeps the string terminated. */
	kvm_role_format(&r, buf, sizeof(buf));
	EXPECT_EQ(7UL, strlen(buf));
}

TEST(set_and_get_round_trip)
{
	struct kvm_role_layout l;
	unsigned int i;

	ASSERT_EQ(0, kvm_role_layout_builtin("6.12.1", &l));
	for (i = 0; i < l.nr_fields; i++) {
		uint32_t max = (1u << l.fields[i].width) - 1;
		uint32_t w = word_of(&l, l.fields[i].name, max);

		EXPECT_EQ((int)max, kvm_role_get(&l, w, l.fields[i].name));
		EXPECT_EQ(max << l.fields[i].offset, w);
	}
	EXPECT_EQ(-ERANGE, kvm_role_set(&l, &(uint32_t){0}, "quadrant", 4));
	EXPECT_EQ(-ENOENT, kvm_role_set(&l, &(uint32_t){0}, "nosuch", 0));
}

TEST(layout_rejects_bad_fields)
{
	struct kvm_role_layout l;

	kvm_role_layout_init(&l, "test");
	EXPECT_EQ(0, kvm_role_layout_add(&l, "a", 0, 4));
	EXPECT_EQ(-EINVAL, kvm_role_layout_add(&l, "b", 3, 2));	/* overlap */
	EXPECT_EQ(-EINVAL, kvm_role_layout_add(&l, "a", 8, 1));	/* duplicate */
	EXPECT_EQ(-EINVAL, kvm_role_layout_add(&l, "c", 31, 2));	/* beyond bit 31 */
	EXPECT_EQ(-EINVAL, kvm_role_layout_add(&l, "d", 4, 0));
	EXPECT_EQ(-EINVAL, kvm_role_layout_add(&l, "", 4, 1));
	EXPECT_EQ(0, kvm_role_layout_add(&l, "e", 4, 28));
	EXPECT_EQ(2U, l.nr_fields);
}

/* A kernel that inserts a field must decode with its own offsets. */
TEST(btf_layout_follows_the_kernel)
{
	static const struct bf moved[] = {
		{ "level", 4 }, { "has_4_byte_gpte", 1 }, { "quadrant", 2 }, { "direct", 1 },
		{ "access", 3 }, { "invalid", 1 }, { "is_mirror", 1 }, { "efer_nx", 1 },
		{ "cr0_wp", 1 }, { NULL, 9 }, { "smm", 8 },
	};
	struct kvm_role_layout l;
	struct kvm_mmu_role r;
	struct btf *btf = make_role_btf(moved, 11, 4);

	ASSERT_EQ(0, kvm_role_layout_from_btf(btf, &l));
	btf__free(btf);
	kvm_role_decode(&l, 1u << 13, &r);
	EXPECT_EQ(1, r.efer_nx);
	EXPECT_EQ(0, r.cr0_wp);
	EXPECT_EQ(KVM_ROLE_ABSENT, r.passthrough);
	EXPECT_EQ(1, kvm_role_get(&l, 1u << 12, "is_mirror"));
}

TEST(btf_without_the_union_or_with_a_wrong_one)
{
	struct kvm_role_layout l;
	struct btf *btf = btf__new_empty();

	btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	EXPECT_EQ(-ENOENT, kvm_role_layout_from_btf(btf, &l));
	btf__free(btf);

	btf = make_role_btf(role_6_12, 15, 8);
	EXPECT_EQ(-EINVAL, kvm_role_layout_from_btf(btf, &l));
	btf__free(btf);

	/* No level field: nothing a test could rely on. */
	btf = make_role_btf(role_6_12 + 1, 14, 4);
	EXPECT_EQ(-EINVAL, kvm_role_layout_from_btf(btf, &l));
	btf__free(btf);
}

TEST_HARNESS_MAIN

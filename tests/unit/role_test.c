// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of role decoding (lib/kvm_role.c) and of reading the role
 * layout from BTF (lib/kvm_role_btf.c).  The BTF is recorded from Debian's
 * kernel packages: union kvm_mmu_page_role of the 6.1 and 6.12 kvm
 * modules, as standalone raw BTF (unit/fixtures/role-btf-*.bin, see the
 * README there).  Kernels that could plausibly come next (a field added,
 * moved, of another kind; no union) are these fixtures edited in memory.
 */
#include <errno.h>
#include <string.h>

#include <bpf/btf.h>

#include "kselftest_harness.h"
#include "kvm_role.h"
#include "kvm_role_btf.h"

#define ROLE_UNION	"kvm_mmu_page_role"

/* The release strings of the kernels the fixtures come from. */
static const struct {
	const char *series;
	const char *release;
	unsigned int nr_fields;	/* named: "word" and padding are none */
} kernels[] = {
	{ "6.1", "6.1.0-56-amd64", 14 },
	{ "6.12", "6.12.117+deb12-amd64", 14 },
	/* access 4 bits, smep_andnot_wp gone, is_mirror and cr4_smep new */
	{ "7.3", "7.3.4+deb13-amd64", 15 },
};

/* The recorded fixture, read as the library reads /sys/kernel/btf/vmlinux. */
static struct btf *fixture(const char *series)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/role-btf-%s.bin", FIXTURES, series);
	return btf__parse(path, NULL);
}

/* A copy of the fixture that the tests may edit. */
static struct btf *fixture_copy(const char *series)
{
	struct btf *raw = fixture(series), *copy = btf__new_empty();

	if (!raw || !copy || btf__add_btf(copy, raw) < 0) {
		btf__free(copy);
		copy = NULL;
	}
	btf__free(raw);
	return copy;
}

static struct btf_type *type_of(struct btf *btf, int id)
{
	return (struct btf_type *)btf__type_by_id(btf, id);
}

static int role_id(struct btf *btf)
{
	return btf__find_by_name_kind(btf, ROLE_UNION, BTF_KIND_UNION);
}

/* The union's anonymous struct of bitfields (its ID). */
static int role_struct_id(struct btf *btf)
{
	struct btf_type *u = type_of(btf, role_id(btf));
	int i;

	for (i = 0; i < btf_vlen(u); i++) {
		if (!btf_members(u)[i].name_off)
			return btf__resolve_type(btf, btf_members(u)[i].type);
	}
	return -ENOENT;
}

/* The bitfield called @name; NULL when there is none. */
static struct btf_member *role_member(struct btf *btf, const char *name)
{
	struct btf_type *st = type_of(btf, role_struct_id(btf));
	int i;

	for (i = 0; i < btf_vlen(st); i++) {
		if (!strcmp(btf__name_by_offset(btf, btf_members(st)[i].name_off), name))
			return &btf_members(st)[i];
	}
	return NULL;
}

static void rename_member(struct btf *btf, const char *name, const char *to)
{
	int off = btf__add_str(btf, to);

	role_member(btf, name)->name_off = off;
}

/* Move bitfield @name to bit @bit (its width stays). */
static void move_member(struct btf *btf, const char *name, unsigned int bit)
{
	struct btf_type *st = type_of(btf, role_struct_id(btf));
	struct btf_member *m = role_member(btf, name);

	/* With kind_flag, the bitfield size is in the top 8 bits of offset. */
	if (btf_kflag(st))
		m->offset = BTF_MEMBER_BITFIELD_SIZE(m->offset) << 24 | bit;
	else
		m->offset = bit;
}

static void expect_same_layout(struct __test_metadata *_metadata,
			       const struct kvm_role_layout *a, const struct kvm_role_layout *b)
{
	unsigned int i;

	ASSERT_EQ(a->nr_fields, b->nr_fields);
	for (i = 0; i < a->nr_fields; i++) {
		EXPECT_STREQ(a->fields[i].name, b->fields[i].name);
		EXPECT_EQ(a->fields[i].offset, b->fields[i].offset) {
			TH_LOG("%s: %s has %s at bit %u, %s at bit %u", a->fields[i].name,
			       a->source, a->fields[i].name, a->fields[i].offset,
			       b->source, b->fields[i].offset);
		}
		EXPECT_EQ(a->fields[i].width, b->fields[i].width);
	}
}

static uint32_t word_of(const struct kvm_role_layout *l, const char *name, uint32_t val)
{
	uint32_t w = 0;

	if (kvm_role_set(l, &w, name, val))
		return 0xdeadbeef;
	return w;
}

/*
 * The layout the library reads from each recorded fixture, through the
 * path it takes at run time (kvm_role_layout_choose()), is the built-in
 * table for that series, field by field.
 */
TEST(recorded_btf_agrees_with_the_builtin_tables)
{
	struct kvm_role_layout from_btf, table;
	char why[256];
	unsigned int i;

	for (i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		struct btf *btf = fixture(kernels[i].series);

		ASSERT_NE(NULL, btf) {
			TH_LOG("cannot read %s/role-btf-%s.bin", FIXTURES, kernels[i].series);
		}
		ASSERT_EQ(0, kvm_role_layout_choose(btf, "the kvm module", kernels[i].release,
						    &from_btf, why, sizeof(why))) {
			TH_LOG("%s: %s", kernels[i].series, why);
		}
		btf__free(btf);
		EXPECT_STREQ("BTF of the kvm module", from_btf.source);
		ASSERT_EQ(0, kvm_role_layout_builtin(kernels[i].release, &table));
		EXPECT_EQ(kernels[i].nr_fields, from_btf.nr_fields);
		expect_same_layout(_metadata, &from_btf, &table);
	}
}

/*
 * Role words of kvm_mmu_get_page events in the test VM (unit/fixtures/
 * events-*.txt) and a few with the rarer bits, decoded with each
 * recorded layout: the values below, and the same as the built-in table.
 */
struct known_word {
	uint32_t word;
	struct kvm_mmu_role r;
};

/* Fields of 6.x's layout that 7.3's lacks, and the other way round. */
#define ABSENT_IN_6	.is_mirror = KVM_ROLE_ABSENT, .cr4_smep = KVM_ROLE_ABSENT
#define ABSENT_IN_7	.smep_andnot_wp = KVM_ROLE_ABSENT
#define RWUX		(KVM_ROLE_ACC_R | KVM_ROLE_ACC_W | KVM_ROLE_ACC_U | KVM_ROLE_ACC_X)
#define RW_X		(KVM_ROLE_ACC_R | KVM_ROLE_ACC_W | KVM_ROLE_ACC_X)

/* 6.1 and 6.12: access is 3 bits, ACC_EXEC 1, ACC_WRITE 2, ACC_USER 4. */
static const struct known_word words_6[] = {
	/* a 64-bit guest's root under shadow paging: l4 wux nx */
	{ 0x1704, { .level = 4, .access = 7, .rights = RWUX, .efer_nx = 1, ABSENT_IN_6 } },
	/* a leaf table of it, after CR0.WP=1: l1 w-x nx wp */
	{ 0x3301, { .level = 1, .access = 3, .rights = RW_X, .efer_nx = 1, .cr0_wp = 1,
		    ABSENT_IN_6 } },
	/* TDP: a direct level-1 page */
	{ 0x3781, { .level = 1, .direct = 1, .access = 7, .rights = RWUX, .efer_nx = 1,
		    .cr0_wp = 1, ABSENT_IN_6 } },
	/* a zapped TDP root: invalid */
	{ 0x3f84, { .level = 4, .direct = 1, .access = 7, .rights = RWUX, .invalid = 1,
		    .efer_nx = 1, .cr0_wp = 1, ABSENT_IN_6 } },
	/* a 2-level guest's directory in quadrant 3, passthrough, in SMM */
	{ 0x01040072, { .level = 2, .has_4_byte_gpte = 1, .quadrant = 3,
			.rights = KVM_ROLE_ACC_R, .passthrough = 1, .smm = 1, ABSENT_IN_6 } },
	/* nested NPT: guest_mode, ad_disabled, smep/smap_andnot_wp */
	{ 0x0003c703, { .level = 3, .access = 7, .rights = RWUX, .smep_andnot_wp = 1,
			.smap_andnot_wp = 1, .ad_disabled = 1, .guest_mode = 1, ABSENT_IN_6 } },
};

/*
 * 7.3: access is 4 bits, ACC_READ 1, WRITE 2, USER 4, EXEC 8; the words
 * kvmmmu showed in the test VM on Debian's 7.3.4 (and two with the new
 * bits).
 */
static const struct known_word words_7_3[] = {
	/* a 64-bit guest's root under shadow paging: l4 rwux nx */
	{ 0x2f04, { .level = 4, .access = 15, .rights = RWUX, .efer_nx = 1, ABSENT_IN_7 } },
	/* a leaf table of it: l1 rw-x nx */
	{ 0x2b01, { .level = 1, .access = 11, .rights = RW_X, .efer_nx = 1, ABSENT_IN_7 } },
	/* the TDP root */
	{ 0x6f84, { .level = 4, .direct = 1, .access = 15, .rights = RWUX, .efer_nx = 1,
		    .cr0_wp = 1, ABSENT_IN_7 } },
	/* a mirror TDP root */
	{ 0x86f84, { .level = 4, .direct = 1, .access = 15, .rights = RWUX, .efer_nx = 1,
		     .cr0_wp = 1, .is_mirror = 1, ABSENT_IN_7 } },
	/* nested NPT under CR4.SMEP: guest_mode, ad_disabled, smap_andnot_wp, cr4_smep */
	{ 0x138f03, { .level = 3, .access = 15, .rights = RWUX, .smap_andnot_wp = 1,
		      .ad_disabled = 1, .guest_mode = 1, .cr4_smep = 1, ABSENT_IN_7 } },
};

/*
 * Role words of kvm_mmu_get_page events in the test VM (unit/fixtures/
 * events-*.txt) and a few with the rarer bits, decoded with each
 * recorded layout: the values above, and the same as the built-in table.
 */
TEST(recorded_btf_decodes_known_role_words)
{
	struct kvm_role_layout from_btf, table;
	const struct known_word *words;
	struct kvm_mmu_role r, t;
	unsigned int i, j, n;

	for (i = 0; i < sizeof(kernels) / sizeof(kernels[0]); i++) {
		struct btf *btf = fixture(kernels[i].series);

		ASSERT_NE(NULL, btf);
		ASSERT_EQ(0, kvm_role_layout_from_btf(btf, &from_btf));
		btf__free(btf);
		ASSERT_EQ(0, kvm_role_layout_builtin(kernels[i].release, &table));

		if (kernels[i].series[0] == '7') {
			words = words_7_3;
			n = sizeof(words_7_3) / sizeof(words_7_3[0]);
		} else {
			words = words_6;
			n = sizeof(words_6) / sizeof(words_6[0]);
		}
		for (j = 0; j < n; j++) {
			struct kvm_mmu_role want = words[j].r;

			want.word = words[j].word;
			kvm_role_decode(&from_btf, words[j].word, &r);
			kvm_role_decode(&table, words[j].word, &t);
			EXPECT_EQ(0, memcmp(&want, &r, sizeof(r))) {
				char a[128], b[128];

				TH_LOG("%s: 0x%x decodes as '%s', not '%s'", kernels[i].series,
				       words[j].word, kvm_role_format(&r, a, sizeof(a)),
				       kvm_role_format(&want, b, sizeof(b)));
			}
			EXPECT_EQ(0, memcmp(&t, &r, sizeof(r)));
		}
	}
}

TEST(builtin_layouts_only_for_checked_releases)
{
	const char *unknown[] = {
		"6.10.0", "6.11.2", "6.13", "5.15.0-1-amd64", "6.120.1", "6", "6.", "",
		"x6.12", "6.1x", "7.1.0", "7.2.13", "7.4",
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
	EXPECT_EQ(0, kvm_role_layout_builtin("7.3.4+deb13-amd64", &l));
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
	EXPECT_EQ(RWUX, r.rights);
	EXPECT_STREQ("l1 8b q0 rwux !direct wp nx ad", kvm_role_format(&r, buf, sizeof(buf)));

	kvm_role_decode(&l, 2 | 1 << 4 | 3 << 5 | 1 << 18 | 1u << 24, &r);
	EXPECT_EQ(2, r.level);
	EXPECT_EQ(1, r.has_4_byte_gpte);
	EXPECT_EQ(3, r.quadrant);
	EXPECT_EQ(1, r.passthrough);
	EXPECT_EQ(1, r.smm);
	EXPECT_STREQ("l2 4b q3 r--- !direct !wp !nx ad passthrough smm1",
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

/*
 * A kernel that adds a field and moves others (here: "is_mirror" at bit
 * 12, efer_nx..guest_mode one bit up, no passthrough) decodes with its
 * own offsets; the new field is there by its name; the one it lacks
 * decodes as absent, not as some other field's bits.
 */
TEST(btf_with_an_unknown_field_follows_the_kernel)
{
	static const char * const up[] = {
		"guest_mode", "ad_disabled", "smap_andnot_wp", "smep_andnot_wp", "cr0_wp", "efer_nx",
	};
	struct btf *btf = fixture_copy("6.12");
	struct kvm_role_layout l;
	struct kvm_mmu_role r;
	char why[256];
	unsigned int i;

	ASSERT_NE(NULL, btf);
	rename_member(btf, "passthrough", "is_mirror");
	move_member(btf, "is_mirror", 24);	/* out of the way while moving */
	for (i = 0; i < sizeof(up) / sizeof(up[0]); i++)
		move_member(btf, up[i], 12 + sizeof(up) / sizeof(up[0]) - i);
	move_member(btf, "is_mirror", 12);
	move_member(btf, "smm", 24);

	ASSERT_EQ(0, kvm_role_layout_choose(btf, "the kvm module", "6.12.117+deb12-amd64",
					    &l, why, sizeof(why)));
	btf__free(btf);
	EXPECT_STREQ("BTF of the kvm module", l.source);
	kvm_role_decode(&l, 1u << 13, &r);
	EXPECT_EQ(1, r.efer_nx);
	EXPECT_EQ(0, r.cr0_wp);
	kvm_role_decode(&l, 1u << 18, &r);
	EXPECT_EQ(1, r.guest_mode);
	EXPECT_EQ(KVM_ROLE_ABSENT, r.passthrough);
	EXPECT_EQ(1, kvm_role_get(&l, 1u << 12, "is_mirror"));
	EXPECT_EQ(0, kvm_role_get(&l, 1u << 13, "is_mirror"));
}

/*
 * No union in the kernel's BTF (a kvm module built without BTF): the
 * built-in table when there is one for the release, else an error that
 * says both.
 */
TEST(btf_without_the_union)
{
	struct btf *btf = fixture_copy("6.12");
	struct kvm_role_layout l;
	char why[256];

	ASSERT_NE(NULL, btf);
	type_of(btf, role_id(btf))->name_off = btf__add_str(btf, "kvm_mmu_page_rolf");
	EXPECT_EQ(-ENOENT, kvm_role_layout_from_btf(btf, &l));

	EXPECT_EQ(0, kvm_role_layout_choose(btf, "the kvm module", "6.12.117+deb12-amd64",
					    &l, why, sizeof(why)));
	EXPECT_STREQ("built-in table for 6.12", l.source);

	EXPECT_EQ(-ENOENT, kvm_role_layout_choose(btf, "the kvm module", "6.13.0-1-amd64",
						  &l, why, sizeof(why)));
	EXPECT_STREQ("the kvm module BTF has no union kvm_mmu_page_role (No such file or "
		     "directory), and no built-in role layout for kernel 6.13.0-1-amd64 "
		     "(known: 6.1, 6.12)", why);
	btf__free(btf);

	EXPECT_EQ(-ENOENT, kvm_role_layout_choose(NULL, "no kernel BTF (/sys/kernel/btf/vmlinux: "
						  "No such file or directory)", "6.13.0",
						  &l, why, sizeof(why)));
	EXPECT_NE(NULL, strstr(why, "no kernel BTF (/sys/kernel/btf/vmlinux: No such file"));
	EXPECT_NE(NULL, strstr(why, "no built-in role layout for kernel 6.13.0"));
}

/*
 * The union is there but not in a shape the library reads: an error, and
 * no fall back to the table of the release, which could not be trusted
 * for a kernel that declares its role differently.
 */
static void expect_unreadable(struct __test_metadata *_metadata, struct btf *btf)
{
	struct kvm_role_layout l;
	char why[256];

	EXPECT_EQ(-EINVAL, kvm_role_layout_from_btf(btf, &l));
	EXPECT_EQ(-EINVAL, kvm_role_layout_choose(btf, "the kvm module", "6.12.117+deb12-amd64",
						  &l, why, sizeof(why)));
	EXPECT_STREQ("the kvm module BTF has an unreadable union kvm_mmu_page_role (Invalid "
		     "argument); not falling back to a built-in table", why);
	btf__free(btf);
}

TEST(btf_with_a_field_of_an_unknown_kind)
{
	struct btf *btf;
	int ptr;

	/* "smm" a struct (of the union's own bitfields) */
	btf = fixture_copy("6.12");
	ASSERT_NE(NULL, btf);
	role_member(btf, "smm")->type = role_struct_id(btf);
	expect_unreadable(_metadata, btf);

	/* "access" a pointer */
	btf = fixture_copy("6.1");
	ASSERT_NE(NULL, btf);
	ptr = btf__add_ptr(btf, role_struct_id(btf));
	ASSERT_LT(0, ptr);
	role_member(btf, "access")->type = ptr;
	expect_unreadable(_metadata, btf);
}

TEST(btf_with_a_wrong_union)
{
	struct btf *btf;

	/* 8 bytes: trace events copy a u32 role.word */
	btf = fixture_copy("6.12");
	ASSERT_NE(NULL, btf);
	type_of(btf, role_id(btf))->size = 8;
	expect_unreadable(_metadata, btf);

	/* no level: nothing a test could rely on */
	btf = fixture_copy("6.12");
	ASSERT_NE(NULL, btf);
	rename_member(btf, "level", "lvl");
	expect_unreadable(_metadata, btf);

	/* two fields on the same bits: misread */
	btf = fixture_copy("6.1");
	ASSERT_NE(NULL, btf);
	move_member(btf, "direct", 6);
	expect_unreadable(_metadata, btf);
}

TEST_HARNESS_MAIN

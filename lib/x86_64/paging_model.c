// SPDX-License-Identifier: GPL-2.0
/*
 * Reference model of the x86 page walk's permission and reserved-bit
 * checks, from the SDM Vol. 3A chapter 4: see include/x86_64/paging_model.h.
 */
#include <stdio.h>
#include <linux/compiler.h>

#include "paging_model.h"

#define BIT64(n)		(1ull << (n))
/* Bits hi..lo set, empty if hi < lo. */
static uint64_t bits(int hi, int lo)
{
	if (hi < lo)
		return 0;
	return (hi >= 63 ? ~0ull : BIT64(hi + 1) - 1) & ~(BIT64(lo) - 1);
}

static bool is_ia32e(enum guest_paging_mode mode)
{
	return mode == GUEST_PAGING_4LEVEL || mode == GUEST_PAGING_5LEVEL;
}

/* Whether entries of this level have R/W, U/S and XD (PAE PDPTEs do not). */
static bool has_rights(const struct pm_env *env, int level)
{
	return !(env->mode == GUEST_PAGING_PAE && level == 3);
}

uint64_t pm_reserved_bits(const struct pm_env *env, int level, uint64_t entry)
{
	int m = env->maxphyaddr;
	bool ps = entry & GP_PS;
	uint64_t rsvd = 0;
	int k;

	switch (env->mode) {
	case GUEST_PAGING_32BIT:
		/*
		 * Table 4-4: a 4-MByte PDE (CR4.PSE = 1) holds address bits
		 * 39:32 in bits 20:13; bit 21 and those at or above MAXPHYADDR
		 * are reserved.  4K PTEs and other PDEs have none.
		 */
		if (level == 2 && ps && env->pse) {
			rsvd |= BIT64(21);
			for (k = m; k < 40; k++)
				rsvd |= BIT64(k - 19);
		}
		return rsvd;
	case GUEST_PAGING_PAE:
		/* 4.4.1 and Table 4-8: PDPTE bits 2:1, 8:5 and 63:M. */
		if (level == 3)
			return bits(2, 1) | bits(8, 5) | bits(63, m);
		/* Tables 4-9 to 4-11: bits 62:M; 20:13 of a 2-MByte PDE. */
		rsvd = bits(62, m);
		if (level == 2 && ps)
			rsvd |= bits(20, 13);
		break;
	default:
		/* Tables 4-14 to 4-20: bits 51:M; PS in PML5Es and PML4Es. */
		rsvd = bits(51, m);
		if (level >= 4)
			rsvd |= GP_PS;
		else if (level == 3 && ps)
			rsvd |= bits(29, 13);
		else if (level == 2 && ps)
			rsvd |= bits(20, 13);
		break;
	}
	/* 4.4.2, 4.5.4: XD is reserved unless EFER.NXE = 1. */
	if (!env->nxe)
		rsvd |= GP_NX;
	return rsvd;
}

static int top_level(enum guest_paging_mode mode)
{
	return guest_paging_levels(mode);
}

/*
 * SDM Vol. 3A 4.6.2 "Protection Keys": with IA-32e paging and CR4.PKE = 1,
 * a data access to a user-mode address (U/S = 1 at every level) whose
 * leaf has protection key i is denied if PKRU.ADi = 1, and a write is
 * denied if PKRU.WDi = 1 and the access is a user-mode one or CR0.WP = 1;
 * supervisor-mode accesses are subject to PKRU too.  Instruction fetches
 * ignore PKRU.  4.7: such a denial sets PK (bit 5) in the error code,
 * whether or not the other rights deny the access as well.
 */
static bool pkru_denies(const struct pm_env *env, uint64_t leaf, bool us,
			enum pm_access access, bool user)
{
	uint32_t key = (leaf & GP_PKEY_MASK) >> 59;
	bool ad = env->pkru >> (2 * key) & 1;
	bool wd = env->pkru >> (2 * key + 1) & 1;

	if (!env->pke || !is_ia32e(env->mode) || !us || access == PM_FETCH)
		return false;
	return ad || (wd && access == PM_WRITE && (user || env->wp));
}

struct pm_outcome pm_access(const struct pm_env *env, const uint64_t *entries, int nr,
			    enum pm_access access, bool user)
{
	bool rw = true, us = true, xd = false;
	struct pm_outcome o = { .fault = true };
	int i, level;

	/* 4.7: W/R, U/S and I/D describe the access, not the entries. */
	if (access == PM_WRITE)
		o.error_code |= PFERR_WRITE_MASK;
	if (user)
		o.error_code |= PFERR_USER_MASK;
	if (access == PM_FETCH &&
	    (env->smep || (env->nxe && (env->mode == GUEST_PAGING_PAE || is_ia32e(env->mode)))))
		o.error_code |= PFERR_FETCH_MASK;

	for (i = 0; i < nr; i++) {
		level = top_level(env->mode) - i;
		/* 4.7: not present, P = 0 in the error code; the walk stops. */
		if (!(entries[i] & GP_P))
			return o;
		/*
		 * 4.7: a reserved bit in a present entry: RSVD (and P).  Not
		 * for PAE PDPTEs: accesses use the PDPTE registers, checked
		 * when MOV CR3 (or a CR0/CR4 change) loaded them (4.4.1).
		 */
		if (!(env->mode == GUEST_PAGING_PAE && level == 3) &&
		    (entries[i] & pm_reserved_bits(env, level, entries[i]))) {
			o.error_code |= PFERR_PRESENT_MASK | PFERR_RSVD_MASK;
			return o;
		}
		if (has_rights(env, level)) {
			rw &= !!(entries[i] & GP_RW);
			us &= !!(entries[i] & GP_US);
			xd |= env->nxe && (entries[i] & GP_NX);
		}
	}

	/* 4.6.1: the rights of the translation against the access. */
	o.error_code |= PFERR_PRESENT_MASK;
	if (pkru_denies(env, entries[nr - 1], us, access, user)) {
		o.error_code |= PFERR_PK_MASK;
		return o;
	}
	if (user) {
		if (!us || (access == PM_WRITE && !rw) || (access == PM_FETCH && xd))
			return o;
	} else if (access == PM_FETCH) {
		if (xd || (us && env->smep))
			return o;
	} else {
		/* Read-only: a write faults only with CR0.WP = 1. */
		if (access == PM_WRITE && !rw && env->wp)
			return o;
		/* SMAP with EFLAGS.AC = 0: no data access (read or write) to user pages. */
		if (us && env->smap)
			return o;
	}
	o.fault = false;
	o.error_code = 0;
	return o;
}

struct gstep_expect pm_expect(const struct pm_env *env, const uint64_t *entries, int nr,
			      enum pm_access access, bool user, uint64_t va, uint64_t value)
{
	struct pm_outcome o = pm_access(env, entries, nr, access, user);

	if (o.fault)
		return EXPECT_PF(o.error_code, va);
	return access == PM_READ ? EXPECT_VALUE(value) : EXPECT_OK();
}

/* One hand-checked case: the entries, the access and the SDM's answer. */
struct pm_case {
	const char *what;
	struct pm_env env;
	uint64_t entries[5];
	int nr;
	enum pm_access access;
	bool user;
	bool fault;
	uint32_t error_code;
};

#define P	GP_P
#define RW	GP_RW
#define US	GP_US
#define PS	GP_PS
#define NX	GP_NX
#define E32(...)	{ .mode = GUEST_PAGING_32BIT, .maxphyaddr = 40, __VA_ARGS__ }
#define EPAE(...)	{ .mode = GUEST_PAGING_PAE, .maxphyaddr = 40, __VA_ARGS__ }
#define E64(...)	{ .mode = GUEST_PAGING_4LEVEL, .maxphyaddr = 40, __VA_ARGS__ }
/* The entries of a 4-level walk: three user R/W levels, then @leaf. */
#define UPPER64(leaf)	{ P | RW | US, P | RW | US, P | RW | US, leaf }
/* PKRU: AD of key 1, WD of key 2 (4.6.2, Figure 4-12 "Format of PKRU"). */
#define PKRU_AD1_WD2	((1u << 2) | (1u << 5))

static const struct pm_case cases[] = {
	{ "32-bit: supervisor read, read-only page",
	  E32(.wp = 1), { P | RW, P }, 2, PM_READ, false, false, 0 },
	{ "32-bit: supervisor write, R/W=0 in the PTE, CR0.WP=1 (4.6.1)",
	  E32(.wp = 1), { P | RW, P }, 2, PM_WRITE, false, true, 0x3 },
	{ "32-bit: supervisor write, R/W=0 in the PDE, CR0.WP=0 (4.6.1)",
	  E32(.wp = 0), { P, P | RW }, 2, PM_WRITE, false, false, 0 },
	{ "32-bit: user read, U/S=0 in the PDE only (4.6.1)",
	  E32(.wp = 1), { P | RW, P | RW | US }, 2, PM_READ, true, true, 0x5 },
	{ "32-bit: user write, R/W=0 in the PDE, CR0.WP=0 (4.6.1)",
	  E32(.wp = 0), { P | US, P | RW | US }, 2, PM_WRITE, true, true, 0x7 },
	{ "32-bit: user write, PTE not present (4.7)",
	  E32(.wp = 1), { P | RW | US, RW | US }, 2, PM_WRITE, true, true, 0x6 },
	{ "32-bit: no I/D without SMEP or PAE+NXE (4.7)",
	  E32(.wp = 1), { P | RW, 0 }, 2, PM_FETCH, false, true, 0x0 },
	{ "32-bit: SMEP, supervisor fetch from a user page (4.6.1, 4.7)",
	  E32(.smep = 1), { P | RW | US, P | US }, 2, PM_FETCH, false, true, 0x11 },
	{ "32-bit: 4-MByte PDE with bit 21 set (Table 4-4)",
	  E32(.pse = 1), { P | RW | PS | BIT64(21) }, 1, PM_READ, false, true, 0x9 },
	{ "32-bit: 4-MByte PDE, PA bit 36 with MAXPHYADDR 36 (Table 4-4)",
	  { .mode = GUEST_PAGING_32BIT, .maxphyaddr = 36, .pse = 1 },
	  { P | RW | PS | BIT64(36 - 19) }, 1, PM_READ, false, true, 0x9 },
	{ "32-bit: PS ignored without CR4.PSE: bit 21 is address",
	  E32(.pse = 0), { P | RW | PS | BIT64(21), P }, 2, PM_READ, false, false, 0 },
	{ "PAE: NXE=1, supervisor fetch, XD=1 in the PDE (4.6.2, 4.7)",
	  EPAE(.nxe = 1), { P, P | RW | NX, P | RW }, 3, PM_FETCH, false, true, 0x11 },
	{ "PAE: NXE=0, XD=1 is reserved: read (4.4.2, 4.7)",
	  EPAE(.nxe = 0), { P, P | RW, P | RW | NX }, 3, PM_READ, false, true, 0x9 },
	{ "PAE: NXE=0, fetch: no I/D, allowed (4.7)",
	  EPAE(.nxe = 0), { P, P | RW, P | RW }, 3, PM_FETCH, false, false, 0 },
	{ "PAE: PDPTE has no R/W or U/S: user write allowed (4.4.1)",
	  EPAE(.wp = 1), { P, P | RW | US, P | RW | US }, 3, PM_WRITE, true, false, 0 },
	{ "PAE: PDPTE bits 8:5 are checked at MOV CR3, not by accesses (4.4.1)",
	  EPAE(.nxe = 1), { P | GP_A, P | RW, P | RW }, 3, PM_READ, false, false, 0 },
	{ "PAE: 2-MByte PDE with bit 13 set (Table 4-10)",
	  EPAE(.nxe = 1), { P, P | RW | PS | BIT64(13) }, 2, PM_READ, false, true, 0x9 },
	{ "PAE: bit 62 reserved in a PTE (Table 4-11)",
	  EPAE(.nxe = 1), { P, P | RW, P | RW | BIT64(62) }, 3, PM_WRITE, true, true, 0xf },
	{ "4-level: PS in a PML4E is reserved (Table 4-15)",
	  E64(.nxe = 1), { P | RW | PS }, 1, PM_READ, false, true, 0x9 },
	{ "4-level: bit 51 >= MAXPHYADDR in a PTE, user read (4.5.4)",
	  E64(.nxe = 1), { P | RW | US, P | RW | US, P | RW | US, P | US | BIT64(51) }, 4,
	  PM_READ, true, true, 0xd },
	{ "4-level: bits 62:52 are ignored (Table 4-20)",
	  E64(.nxe = 1), { P | RW, P | RW, P | RW, P | BIT64(55) }, 4, PM_READ, false, false, 0 },
	{ "4-level: not present PDE stops the walk before a reserved PTE",
	  E64(.nxe = 0), { P | RW, P | RW, RW, P | NX }, 4, PM_READ, false, true, 0x0 },
	{ "4-level: SMAP, supervisor read of a user page (4.6.1)",
	  E64(.smap = 1), { P | RW | US, P | RW | US, P | RW | US, P | US }, 4,
	  PM_READ, false, true, 0x1 },
	{ "4-level: SMAP, supervisor write to a user page, WP=0 (4.6.1)",
	  E64(.smap = 1), { P | RW | US, P | RW | US, P | RW | US, P | US }, 4,
	  PM_WRITE, false, true, 0x3 },
	{ "4-level: no SMAP: supervisor read of a user page",
	  E64(.smep = 1), { P | RW | US, P | RW | US, P | RW | US, P | US }, 4,
	  PM_READ, false, false, 0 },
	{ "4-level: user fetch, XD=1 in the PML4E, NXE=1 (4.6.2)",
	  E64(.nxe = 1), { P | RW | US | NX, P | RW | US, P | RW | US, P | US }, 4,
	  PM_FETCH, true, true, 0x15 },
	{ "4-level: PKE=1, user read, key 1 AD=1 (4.6.2, 4.7: PK)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(1)), 4,
	  PM_READ, true, true, 0x25 },
	{ "4-level: PKE=1, user fetch, key 1 AD=1: fetches ignore PKRU (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(1)), 4,
	  PM_FETCH, true, false, 0 },
	{ "4-level: PKE=1, user write, key 2 WD=1, WP=0 (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(2)), 4,
	  PM_WRITE, true, true, 0x27 },
	{ "4-level: PKE=1, user read, key 2 WD=1 (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(2)), 4,
	  PM_READ, true, false, 0 },
	{ "4-level: PKE=1, supervisor write to a user page, key 2 WD=1, WP=0 (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(2)), 4,
	  PM_WRITE, false, false, 0 },
	{ "4-level: PKE=1, supervisor write to a user page, key 2 WD=1, WP=1 (4.6.2)",
	  E64(.pke = 1, .wp = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(2)), 4,
	  PM_WRITE, false, true, 0x23 },
	{ "4-level: PKE=1, supervisor read of a user page, key 1 AD=1 (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(1)), 4,
	  PM_READ, false, true, 0x21 },
	{ "4-level: PKE=1, key 1 AD=1 in a supervisor page: PKRU does not apply (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | GP_PKEY(1)), 4,
	  PM_READ, false, false, 0 },
	{ "4-level: PKE=1, U/S=0 in the PDE: not a user-mode address, no PK (4.6.2)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2),
	  { P | RW | US, P | RW | US, P | RW, P | RW | US | GP_PKEY(1) }, 4,
	  PM_READ, true, true, 0x5 },
	{ "4-level: PKE=1, user write to a read-only page, key 1 AD=1: PK too (4.7)",
	  E64(.pke = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | US | GP_PKEY(1)), 4,
	  PM_WRITE, true, true, 0x27 },
	{ "4-level: PKE=0: key 1 AD=1 in PKRU has no effect (4.6.2)",
	  E64(.pke = 0, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US | GP_PKEY(1)), 4,
	  PM_READ, true, false, 0 },
	{ "4-level: PKE=1, SMAP, supervisor read of a user page, key 0: SMAP only (4.6.1)",
	  E64(.pke = 1, .smap = 1, .pkru = PKRU_AD1_WD2), UPPER64(P | RW | US), 4,
	  PM_READ, false, true, 0x1 },
	{ "PAE: bits 62:59 (the IA-32e key field) are reserved (Table 4-11)",
	  EPAE(.nxe = 1, .pke = 1, .pkru = PKRU_AD1_WD2),
	  { P, P | RW | US, P | RW | US | GP_PKEY(1) }, 3, PM_READ, true, true, 0xd },
	{ "4-level: 1-GByte PDPTE with bit 29 set (Table 4-16)",
	  E64(.nxe = 1), { P | RW, P | RW | PS | BIT64(29) }, 2, PM_READ, false, true, 0x9 },
	{ "4-level: 1-GByte PDPTE with PAT (bit 12) set (Table 4-16)",
	  E64(.nxe = 1), { P | RW, P | RW | PS | BIT64(12) }, 2, PM_READ, false, false, 0 },
	{ "4-level: 1-GByte PDPTE with bit 13 set (Table 4-16)",
	  E64(.nxe = 1), { P | RW, P | RW | PS | BIT64(13) }, 2, PM_READ, false, true, 0x9 },
};

int paging_model_self_check(void)
{
	const struct pm_case *c;
	struct pm_outcome o;
	int bad = 0;

	for (c = cases; c < cases + ARRAY_SIZE(cases); c++) {
		o = pm_access(&c->env, c->entries, c->nr, c->access, c->user);
		if (o.fault == c->fault && o.error_code == c->error_code)
			continue;
		printf("# paging model: %s: expected %s 0x%x, model says %s 0x%x\n", c->what,
		       c->fault ? "#PF" : "no fault", c->error_code,
		       o.fault ? "#PF" : "no fault", o.error_code);
		bad++;
	}
	return bad;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The geometry of each x86 paging mode (SDM Vol. 3A chapter 4): levels,
 * entry sizes, what one entry maps.  Pure functions, no KVM: the step
 * library, the reference model and their unit tests share them.
 */
#include "paging_geometry.h"

static const char *const mode_names[GUEST_PAGING_NR_MODES] = {
	[GUEST_PAGING_OFF] = "paging_off",
	[GUEST_PAGING_32BIT] = "32bit_2level",
	[GUEST_PAGING_PAE] = "pae",
	[GUEST_PAGING_4LEVEL] = "64bit_4level",
	[GUEST_PAGING_5LEVEL] = "64bit_5level",
};

const char *guest_paging_mode_name(enum guest_paging_mode mode)
{
	return mode < GUEST_PAGING_NR_MODES ? mode_names[mode] : "unknown";
}

int guest_paging_levels(enum guest_paging_mode mode)
{
	static const int levels[GUEST_PAGING_NR_MODES] = { 0, 2, 3, 4, 5 };

	return levels[mode];
}

bool guest_paging_mode_is_64bit(enum guest_paging_mode mode)
{
	return mode == GUEST_PAGING_4LEVEL || mode == GUEST_PAGING_5LEVEL;
}

int guest_paging_entry_size(enum guest_paging_mode mode)
{
	return mode == GUEST_PAGING_32BIT ? 4 : 8;
}

int guest_paging_level_shift(enum guest_paging_mode mode, int level)
{
	if (mode == GUEST_PAGING_32BIT)
		return 12 + 10 * (level - 1);
	return 12 + 9 * (level - 1);
}

uint64_t guest_paging_level_size(enum guest_paging_mode mode, int level)
{
	return 1ull << guest_paging_level_shift(mode, level);
}

/*
 * PS is defined in PDEs of every mode and in PDPTEs of IA-32e paging
 * (SDM Vol. 3A Tables 4-5, 4-9, 4-17); 2-level paging needs CR4.PSE too,
 * which the caller controls.
 */
bool guest_paging_has_large_pages(enum guest_paging_mode mode, int level)
{
	if (level == 2)
		return mode != GUEST_PAGING_OFF;
	return level == 3 && guest_paging_mode_is_64bit(mode);
}

/*
 * 9 VA bits per level (10 in 2-level paging, SDM 4.3), but the PAE PDPT
 * has 4 entries, indexed by VA bits 31:30 (4.4.1).
 */
int guest_paging_level_index(enum guest_paging_mode mode, int level, uint64_t va)
{
	int bits = mode == GUEST_PAGING_32BIT ? 10 : 9;

	if (mode == GUEST_PAGING_PAE && level == 3)
		bits = 2;
	return (va >> guest_paging_level_shift(mode, level)) & ((1 << bits) - 1);
}

/* Bits hi..lo. */
static uint64_t geo_bits(int hi, int lo)
{
	return (hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1) & ~((1ull << lo) - 1);
}

/*
 * Address fields: bits 31:12 in 2-level paging (Tables 4-5, 4-6), bits
 * (M-1):12 with M up to 52 in PAE and IA-32e paging (Tables 4-8 to 4-20).
 */
uint64_t guest_paging_table_addr(enum guest_paging_mode mode, uint64_t entry)
{
	return entry & (mode == GUEST_PAGING_32BIT ? geo_bits(31, 12) : geo_bits(51, 12));
}

uint64_t guest_paging_table_entry(enum guest_paging_mode mode, int level, uint64_t pa)
{
	if (mode == GUEST_PAGING_PAE && level == 3)
		return pa | GP_P;
	return pa | GP_P | GP_RW | GP_US;
}

/* PSE-36: a 4-MByte PDE keeps PA bits 39:32 in bits 20:13 (Table 4-4). */
#define PSE36_SHIFT	(32 - 13)
#define PSE36_FIELD	geo_bits(20, 13)

uint64_t guest_paging_leaf_entry(enum guest_paging_mode mode, int level, uint64_t pa,
				 uint64_t flags)
{
	if (level == 1)
		return pa | flags;
	if (mode == GUEST_PAGING_32BIT)
		return (pa & geo_bits(31, 22)) | ((pa >> PSE36_SHIFT) & PSE36_FIELD) |
		       flags | GP_PS;
	return pa | flags | GP_PS;
}

/*
 * A leaf's address field starts at the page's size: bit 12 (4K), 21 (2M),
 * 22 (4M), 30 (1G); bit 12 of a large page is PAT (Tables 4-4, 4-10,
 * 4-16, 4-18).
 */
uint64_t guest_paging_leaf_addr(enum guest_paging_mode mode, int level, uint64_t entry)
{
	int lo = guest_paging_level_shift(mode, level);

	if (mode == GUEST_PAGING_32BIT && level == 2)
		return (entry & geo_bits(31, 22)) | ((entry & PSE36_FIELD) << PSE36_SHIFT);
	if (mode == GUEST_PAGING_32BIT)
		return entry & geo_bits(31, 12);
	return entry & geo_bits(51, lo);
}

/* PAT is bit 7 of a PTE, and bit 12 of a PDE or PDPTE with PS=1. */
uint64_t guest_paging_pat_bit(enum guest_paging_mode mode, int level)
{
	return level == 1 ? GP_PAT_4K : GP_PAT_LARGE;
}

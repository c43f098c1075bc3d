// SPDX-License-Identifier: GPL-2.0
/*
 * The geometry of each x86 paging mode (SDM Vol. 3A chapter 4): levels,
 * entry sizes, what one entry maps.  Pure functions, no KVM: the step
 * library, the reference model and their unit tests share them.
 */
#include "guest_paging.h"

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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The bottom layer of the guest paging library: the geometry of each x86
 * paging mode (SDM Vol. 3A chapter 4) and the encoding of its entries.
 * Pure functions of their arguments (lib/x86_64/paging_geometry.c), no
 * VM and no /dev/kvm: the page-table builder, the reference model and
 * their unit tests share them.
 *
 * Paging-structure levels are numbered as in the SDM's walk: 1 = PTE,
 * 2 = PDE, 3 = PDPTE, 4 = PML4E, 5 = PML5E.
 */
#ifndef SELFTEST_KVM_PAGING_GEOMETRY_H
#define SELFTEST_KVM_PAGING_GEOMETRY_H

#include <stdbool.h>
#include <stdint.h>

#include "paging_bits.h"

enum guest_paging_mode {
	GUEST_PAGING_OFF,	/* 32-bit protected mode, CR0.PG = 0 */
	GUEST_PAGING_32BIT,	/* 2-level, 4-byte entries (SDM Vol. 3A 4.3) */
	GUEST_PAGING_PAE,	/* PDPT + 2 levels, 8-byte entries (4.4) */
	GUEST_PAGING_4LEVEL,	/* IA-32e, 4-level (4.5) */
	GUEST_PAGING_5LEVEL,	/* IA-32e, 5-level, CR4.LA57 (4.5) */
	GUEST_PAGING_NR_MODES,
};

const char *guest_paging_mode_name(enum guest_paging_mode mode);
/* Paging levels of a mode (0 without paging), and the size of an entry. */
int guest_paging_levels(enum guest_paging_mode mode);
int guest_paging_entry_size(enum guest_paging_mode mode);
/* Whether a mode maps pages of this level (2 = 4M/2M, 3 = 1G) with PS=1. */
bool guest_paging_has_large_pages(enum guest_paging_mode mode, int level);
/* Bytes mapped by one entry of this level. */
uint64_t guest_paging_level_size(enum guest_paging_mode mode, int level);
/* Bit position of the VA bits that index a table of this level. */
int guest_paging_level_shift(enum guest_paging_mode mode, int level);
bool guest_paging_mode_is_64bit(enum guest_paging_mode mode);
/* Index of the entry for @va in its level-@level table. */
int guest_paging_level_index(enum guest_paging_mode mode, int level, uint64_t va);

/*
 * Entry encodings (SDM Vol. 3A Tables 4-4 to 4-20), which the page-table
 * builder (guest_as_*(), guest_paging.h) uses and tests/unit/ checks:
 *
 * guest_paging_table_entry(): a level-@level entry pointing to the table
 *   at @pa: P, R/W and U/S (the leaf decides), or only P in a PAE PDPTE
 *   (Table 4-8: bits 2:1 are reserved there).
 * guest_paging_leaf_entry(): a level-@level entry mapping the page at @pa
 *   with @flags; PS is added above level 1, and a 4-MByte PDE of 2-level
 *   paging holds PA bits 39:32 in its bits 20:13 (PSE-36, Table 4-4).
 * guest_paging_table_addr(): the table an entry that is not a leaf
 *   points to.
 * guest_paging_leaf_addr(): the page a level-@level leaf maps (the PAT
 *   bit of a large page and the other flags are not address bits).
 * guest_paging_pat_bit(): where a leaf of this level keeps PAT.
 */
uint64_t guest_paging_table_entry(enum guest_paging_mode mode, int level, uint64_t pa);
uint64_t guest_paging_leaf_entry(enum guest_paging_mode mode, int level, uint64_t pa,
				 uint64_t flags);
uint64_t guest_paging_table_addr(enum guest_paging_mode mode, uint64_t entry);
uint64_t guest_paging_leaf_addr(enum guest_paging_mode mode, int level, uint64_t entry);
uint64_t guest_paging_pat_bit(enum guest_paging_mode mode, int level);

#endif /* SELFTEST_KVM_PAGING_GEOMETRY_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of the page-table builder's bit layouts
 * (lib/x86_64/paging_geometry.c, used by guest_as_map() and the other
 * address-space helpers of lib/x86_64/guest_paging.c): each expected
 * entry below is written by hand from the SDM Vol. 3A tables named next
 * to it, not computed.  No /dev/kvm.
 */
#include "kselftest_harness.h"
#include "paging_geometry.h"

/* Table 4-6: 4-KByte PTE of 2-level paging; PAT is bit 7, address 31:12. */
TEST(two_level_pte)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_32BIT, 1, 0xfedcb000,
					     GP_P | GP_RW | GP_US | GP_PAT_4K);

	EXPECT_EQ(0xfedcb087ull, e);
	EXPECT_EQ(0xfedcb000ull, guest_paging_leaf_addr(GUEST_PAGING_32BIT, 1, e));
	EXPECT_EQ(GP_PAT_4K, guest_paging_pat_bit(GUEST_PAGING_32BIT, 1));
	/* 4-byte entries: no PA above bit 31 in a PTE. */
	EXPECT_NE(0x100000000ull, guest_paging_leaf_addr(GUEST_PAGING_32BIT, 1,
		  guest_paging_leaf_entry(GUEST_PAGING_32BIT, 1, 0x100000000ull, 0)));
}

/*
 * Table 4-4: 4-MByte PDE: PS bit 7, PAT bit 12, PA bits 39:32 in bits
 * 20:13 (PSE-36), bit 21 reserved, PA bits 31:22 in bits 31:22.
 * PA 0x12_34c0_0000: bits 39:32 = 0x12 -> 0x12 << 13 = 0x24000.
 */
TEST(two_level_4m_pde_pse36)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_32BIT, 2, 0x1234c00000ull,
					     GP_P | GP_PAT_LARGE);

	EXPECT_EQ(0x34c25081ull, e);
	EXPECT_EQ(0x1234c00000ull, guest_paging_leaf_addr(GUEST_PAGING_32BIT, 2, e));
	EXPECT_EQ(GP_PAT_LARGE, guest_paging_pat_bit(GUEST_PAGING_32BIT, 2));
	/* PSE-36 reaches bit 39; bit 40 cannot be encoded. */
	EXPECT_NE(1ull << 40, guest_paging_leaf_addr(GUEST_PAGING_32BIT, 2,
		  guest_paging_leaf_entry(GUEST_PAGING_32BIT, 2, 1ull << 40, 0)));
}

/* Table 4-5: a PDE that references a page table: address 31:12. */
TEST(two_level_table_entries)
{
	EXPECT_EQ(0x01234007ull, guest_paging_table_entry(GUEST_PAGING_32BIT, 2, 0x1234000));
	EXPECT_EQ(0xfffff000ull, guest_paging_table_addr(GUEST_PAGING_32BIT, 0xfffff0e7));
}

/*
 * Table 4-8: a PAE PDPTE has P, PWT, PCD and the address only: bits 2:1
 * (R/W, U/S) are reserved, so a table pointer there is P alone.
 * Table 4-9: a PDE that references a page table has R/W and U/S.
 */
TEST(pae_table_entries)
{
	EXPECT_EQ(0x5001ull, guest_paging_table_entry(GUEST_PAGING_PAE, 3, 0x5000));
	EXPECT_EQ(0x5007ull, guest_paging_table_entry(GUEST_PAGING_PAE, 2, 0x5000));
	EXPECT_EQ(0x000ffffffffff000ull,
		  guest_paging_table_addr(GUEST_PAGING_PAE, 0x800fffffffffffffull));
}

/* Table 4-10: 2-MByte PAE PDE: PS 7, PAT 12, address from bit 21, XD 63. */
TEST(pae_2m_pde)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_PAE, 2, 0x7ffe00000ull,
					     GP_P | GP_RW | GP_NX | GP_PAT_LARGE);

	EXPECT_EQ(0x80000007ffe01083ull, e);
	EXPECT_EQ(0x7ffe00000ull, guest_paging_leaf_addr(GUEST_PAGING_PAE, 2, e));
	/* Bits 20:13 are reserved, not address bits. */
	EXPECT_EQ(0x7ffe00000ull, guest_paging_leaf_addr(GUEST_PAGING_PAE, 2, e | 1ull << 13));
}

/* Table 4-11: 4-KByte PAE PTE: PAT 7, address 51:12 (below MAXPHYADDR), XD 63. */
TEST(pae_pte)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_PAE, 1, 0xffffff000ull,
					     GP_P | GP_NX | GP_PAT_4K);

	EXPECT_EQ(0x8000000ffffff081ull, e);
	EXPECT_EQ(0xffffff000ull, guest_paging_leaf_addr(GUEST_PAGING_PAE, 1, e));
}

/*
 * Table 4-16: 1-GByte PDPTE: PS 7, PAT 12, bits 29:13 reserved, address
 * from bit 30, protection key 62:59, XD 63.
 */
TEST(ia32e_1g_pdpte)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_4LEVEL, 3, 0xfc0000000ull,
					     GP_P | GP_RW | GP_US | GP_PAT_LARGE | GP_PKEY(9));

	EXPECT_EQ(0x4800000fc0001087ull, e);
	EXPECT_EQ(0xfc0000000ull, guest_paging_leaf_addr(GUEST_PAGING_4LEVEL, 3, e));
	EXPECT_EQ(0xfc0000000ull,
		  guest_paging_leaf_addr(GUEST_PAGING_4LEVEL, 3, e | 1ull << 29 | 1ull << 13));
	EXPECT_EQ(GP_PAT_LARGE, guest_paging_pat_bit(GUEST_PAGING_4LEVEL, 3));
	EXPECT_EQ(1ull << 30, guest_paging_level_size(GUEST_PAGING_4LEVEL, 3));
}

/* Table 4-18: 2-MByte PDE: address 51:21 (MAXPHYADDR 52 at most). */
TEST(ia32e_2m_pde)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_5LEVEL, 2, 0x000fffffffe00000ull, GP_P);

	EXPECT_EQ(0x000fffffffe00081ull, e);
	EXPECT_EQ(0x000fffffffe00000ull, guest_paging_leaf_addr(GUEST_PAGING_5LEVEL, 2, e));
}

/* Table 4-20: 4-KByte PTE: PAT 7, address 51:12, key 62:59, XD 63. */
TEST(ia32e_pte_pkey_nx)
{
	uint64_t e = guest_paging_leaf_entry(GUEST_PAGING_4LEVEL, 1, 0x000ffffffffff000ull,
					     GP_P | GP_PAT_4K | GP_PKEY(15) | GP_NX);

	EXPECT_EQ(0xf80ffffffffff081ull, e);
	EXPECT_EQ(0x000ffffffffff000ull, guest_paging_leaf_addr(GUEST_PAGING_4LEVEL, 1, e));
	EXPECT_EQ(0x7800000000000000ull, GP_PKEY_MASK);
	EXPECT_EQ(GP_PAT_4K, guest_paging_pat_bit(GUEST_PAGING_4LEVEL, 1));
}

/* Tables 4-14, 4-15: PML5Es and PML4Es reference tables; P, R/W, U/S. */
TEST(ia32e_table_entries)
{
	EXPECT_EQ(0x3007ull, guest_paging_table_entry(GUEST_PAGING_5LEVEL, 5, 0x3000));
	EXPECT_EQ(0x3007ull, guest_paging_table_entry(GUEST_PAGING_4LEVEL, 4, 0x3000));
	EXPECT_EQ(0x000ffffffffff000ull,
		  guest_paging_table_addr(GUEST_PAGING_4LEVEL, 0xffffffffffffffffull));
}

/*
 * Which VA bits index each level: 2-level 31:22, 21:12 (4.3); PAE 31:30,
 * 29:21, 20:12 (4.4); IA-32e 56:48 (5-level), 47:39, 38:30, 29:21, 20:12
 * (4.5).
 */
TEST(va_indices)
{
	EXPECT_EQ(0x3ff, guest_paging_level_index(GUEST_PAGING_32BIT, 2, 0xffc01000));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_32BIT, 1, 0xffc01000));
	EXPECT_EQ(3, guest_paging_level_index(GUEST_PAGING_PAE, 3, 0xc0201000));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_PAE, 2, 0xc0201000));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_PAE, 1, 0xc0201000));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_4LEVEL, 4, 0x8040201000ull));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_4LEVEL, 3, 0x8040201000ull));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_4LEVEL, 2, 0x8040201000ull));
	EXPECT_EQ(1, guest_paging_level_index(GUEST_PAGING_4LEVEL, 1, 0x8040201000ull));
	EXPECT_EQ(0x1ff, guest_paging_level_index(GUEST_PAGING_5LEVEL, 5, 0x01ff000000000000ull));
	EXPECT_EQ(0, guest_paging_level_index(GUEST_PAGING_5LEVEL, 4, 0x01ff000000000000ull));
}

/* What one entry maps, and where PS makes a leaf (Tables 4-4 to 4-18). */
TEST(sizes_and_large_pages)
{
	EXPECT_EQ(4ull << 20, guest_paging_level_size(GUEST_PAGING_32BIT, 2));
	EXPECT_EQ(2ull << 20, guest_paging_level_size(GUEST_PAGING_PAE, 2));
	EXPECT_EQ(1ull << 30, guest_paging_level_size(GUEST_PAGING_PAE, 3));
	EXPECT_EQ(1ull << 39, guest_paging_level_size(GUEST_PAGING_4LEVEL, 4));
	EXPECT_EQ(1ull << 48, guest_paging_level_size(GUEST_PAGING_5LEVEL, 5));
	EXPECT_TRUE(guest_paging_has_large_pages(GUEST_PAGING_32BIT, 2));
	EXPECT_TRUE(guest_paging_has_large_pages(GUEST_PAGING_PAE, 2));
	/* Table 4-8: PS (bit 7) of a PAE PDPTE is reserved. */
	EXPECT_FALSE(guest_paging_has_large_pages(GUEST_PAGING_PAE, 3));
	EXPECT_TRUE(guest_paging_has_large_pages(GUEST_PAGING_4LEVEL, 3));
	/* Tables 4-14, 4-15: PS is reserved in PML5Es and PML4Es. */
	EXPECT_FALSE(guest_paging_has_large_pages(GUEST_PAGING_4LEVEL, 4));
	EXPECT_FALSE(guest_paging_has_large_pages(GUEST_PAGING_5LEVEL, 5));
	EXPECT_EQ(4, guest_paging_entry_size(GUEST_PAGING_32BIT));
	EXPECT_EQ(8, guest_paging_entry_size(GUEST_PAGING_PAE));
}

TEST_HARNESS_MAIN

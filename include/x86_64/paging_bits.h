/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The architectural bits of x86 paging-structure entries, the same in
 * every format (SDM Vol. 3A Tables 4-4 to 4-20).  Upstream's processor.h
 * has them as per-MMU masks since 7.0 (PTE_*_MASK(mmu)); a test that
 * writes guest page-table entries itself means these fixed positions.
 */
#ifndef SELFTEST_KVM_PAGING_BITS_H
#define SELFTEST_KVM_PAGING_BITS_H

#include <stdint.h>

/* Paging-structure entry bits (SDM Vol. 3A Tables 4-4 to 4-20). */
#define GP_P		(1ull << 0)
#define GP_RW		(1ull << 1)
#define GP_US		(1ull << 2)
#define GP_PWT		(1ull << 3)
#define GP_PCD		(1ull << 4)
#define GP_A		(1ull << 5)
#define GP_D		(1ull << 6)
#define GP_PS		(1ull << 7)
#define GP_G		(1ull << 8)
#define GP_PAT_4K	(1ull << 7)	/* PAT in a PTE: PS's position (Tables 4-6, 4-11, 4-20) */
#define GP_PAT_LARGE	(1ull << 12)	/* PAT in an entry with PS=1 */
/* IA-32e leaves: protection key, bits 62:59 (4.6.2; Tables 4-16 to 4-20). */
#define GP_PKEY(k)	((uint64_t)((k) & 0xf) << 59)
#define GP_PKEY_MASK	GP_PKEY(0xf)
#define GP_NX		(1ull << 63)

#endif /* SELFTEST_KVM_PAGING_BITS_H */

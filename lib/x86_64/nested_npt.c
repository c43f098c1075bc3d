// SPDX-License-Identifier: GPL-2.0
/*
 * Nested SVM with nested paging for a 64-bit L1: NPT tables in L1 memory,
 * shared by the host (which builds them) and L1 (which changes them), and
 * the L1 side of running L2 with them.  See include/x86_64/nested_npt.h.
 */
#include <string.h>

#include "kvm_util.h"
#include "processor.h"
#include "svm_util.h"
#include "ucall_common.h"

#include "nested_npt.h"

/*
 * The same code runs on the host and in L1: the pool header records the
 * host's address of itself, which is never a valid L1 address (the
 * framework hands out guest virtual addresses from the bottom up, at
 * either paging depth, so they stay far below host user addresses of
 * mmap()ed memory; npt_pool_create() checks it).
 */
static bool npt_on_host(const struct npt_pool *pool)
{
	return (uint64_t)pool == pool->self_hva;
}

/*
 * TEST_ASSERT(cond, "nested_npt: %s", #cond) on the host, GUEST_ASSERT(cond)
 * in L1, expanded so that @cond is evaluated once.
 */
#define NPT_ASSERT(pool, cond)						\
do {									\
	bool __npt_ok = (cond);						\
									\
	if (npt_on_host(pool))						\
		test_assert(__npt_ok, #cond, __FILE__, __LINE__,	\
			    "nested_npt: %s", #cond);			\
	else								\
		____GUEST_ASSERT(__npt_ok, #cond, #cond);		\
} while (0)

uint64_t *npt_table(struct npt_pool *pool, uint64_t gpa)
{
	uint64_t base = npt_on_host(pool) ? pool->hva : pool->gva;

	NPT_ASSERT(pool, gpa >= pool->gpa &&
		   gpa < pool->gpa + (uint64_t)pool->nr_pages * PAGE_SIZE);
	return (uint64_t *)(base + (gpa - pool->gpa));
}

static uint64_t npt_alloc_table(struct npt_pool *pool)
{
	uint64_t gpa;
	uint64_t *p;
	int i;

	NPT_ASSERT(pool, pool->nr_used < pool->nr_pages);
	gpa = pool->gpa + (uint64_t)pool->nr_used++ * PAGE_SIZE;
	p = npt_table(pool, gpa);
	for (i = 0; i < PAGE_SIZE / 8; i++)
		p[i] = 0;
	return gpa;
}

struct npt_pool *npt_pool_create(struct kvm_vm *vm, unsigned int nr_pages,
				 gva_t *pool_gva)
{
	gva_t hdr_gva = vm_alloc_page(vm);
	gva_t gva = vm_alloc(vm, (size_t)nr_pages * PAGE_SIZE,
					KVM_UTIL_MIN_VADDR);
	struct npt_pool *pool = addr_gva2hva(vm, hdr_gva);
	unsigned int i;

	pool->gva = gva;
	pool->gpa = addr_gva2gpa(vm, gva);
	pool->hva = (uint64_t)addr_gva2hva(vm, gva);
	pool->self_hva = (uint64_t)pool;
	pool->nr_pages = nr_pages;
	pool->nr_used = 0;
	/* L1's paging depth: see struct npt_pool. */
	pool->levels = vm_mmu_levels(vm);
	TEST_ASSERT(pool->levels == 4 || pool->levels == 5,
		    "nested_npt: L1 has %d-level paging, not IA-32e", pool->levels);
	/* One contiguous range in all three address spaces. */
	for (i = 0; i < nr_pages; i++) {
		TEST_ASSERT(addr_gva2gpa(vm, gva + i * PAGE_SIZE) ==
			    pool->gpa + i * PAGE_SIZE &&
			    (uint64_t)addr_gva2hva(vm, gva + i * PAGE_SIZE) ==
			    pool->hva + i * PAGE_SIZE,
			    "nested_npt: NPT pool page %u is not contiguous", i);
	}
	TEST_ASSERT(pool->self_hva != hdr_gva,
		    "nested_npt: host and guest addresses of the pool coincide");
	*pool_gva = hdr_gva;
	return pool;
}

uint64_t npt_new(struct npt_pool *pool)
{
	return npt_alloc_table(pool);
}

static int npt_index(uint64_t gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

uint64_t *npt_entry(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		    int level, bool alloc)
{
	uint64_t *table = npt_table(pool, ncr3 & NPT_ADDR_MASK);
	int l;

	NPT_ASSERT(pool, level >= 1 && level <= pool->levels);
	for (l = pool->levels; l > level; l--) {
		uint64_t *e = &table[npt_index(l2_gpa, l)];

		if (!(*e & NPT_P)) {
			if (!alloc)
				return NULL;
			*e = npt_alloc_table(pool) | NPT_RW;
		}
		if (*e & NPT_PS)
			return NULL;
		table = npt_table(pool, *e & NPT_ADDR_MASK);
	}
	return &table[npt_index(l2_gpa, level)];
}

void npt_map(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
	     uint64_t l1_gpa, int level, uint64_t flags)
{
	uint64_t size = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	uint64_t *e;

	NPT_ASSERT(pool, level >= NPT_LEVEL_4K && level <= NPT_LEVEL_1G);
	NPT_ASSERT(pool, !(l2_gpa & (size - 1)) && !(l1_gpa & (size - 1)));
	e = npt_entry(pool, ncr3, l2_gpa, level, true);
	NPT_ASSERT(pool, e);
	*e = l1_gpa | flags | (level > NPT_LEVEL_4K ? NPT_PS : 0);
}

void npt_map_range(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		   uint64_t l1_gpa, uint64_t size, uint64_t flags)
{
	const uint64_t huge = 1ULL << (PAGE_SHIFT + 9);
	uint64_t off = 0;

	while (off < size) {
		if (!((l2_gpa + off) & (huge - 1)) &&
		    !((l1_gpa + off) & (huge - 1)) && size - off >= huge) {
			npt_map(pool, ncr3, l2_gpa + off, l1_gpa + off,
				NPT_LEVEL_2M, flags);
			off += huge;
		} else {
			npt_map(pool, ncr3, l2_gpa + off, l1_gpa + off,
				NPT_LEVEL_4K, flags);
			off += PAGE_SIZE;
		}
	}
}

uint64_t npt_set_entry(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		       int level, uint64_t pte)
{
	uint64_t *e = npt_entry(pool, ncr3, l2_gpa, level, false);
	uint64_t old;

	NPT_ASSERT(pool, e);
	old = *e;
	*e = pte;
	return old;
}

uint64_t npt_get_entry(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa,
		       int level)
{
	uint64_t *e = npt_entry(pool, ncr3, l2_gpa, level, false);

	return e ? *e : 0;
}

void npt_split(struct npt_pool *pool, uint64_t ncr3, uint64_t l2_gpa, int level)
{
	uint64_t *e = npt_entry(pool, ncr3, l2_gpa, level, false);
	uint64_t size, table, leaf, *t;
	int i;

	NPT_ASSERT(pool, level == NPT_LEVEL_2M || level == NPT_LEVEL_1G);
	NPT_ASSERT(pool, e && (*e & NPT_P) && (*e & NPT_PS));
	leaf = *e;
	size = 1ULL << (PAGE_SHIFT + 9 * (level - 2));
	table = npt_alloc_table(pool);
	t = npt_table(pool, table);
	for (i = 0; i < 512; i++) {
		uint64_t flags = leaf & ~NPT_ADDR_MASK & ~NPT_PS;

		if (level - 1 > NPT_LEVEL_4K)
			flags |= NPT_PS;
		t[i] = ((leaf & NPT_ADDR_MASK) + i * size) | flags;
	}
	*e = table | NPT_RW;
}

void npt_map_identity(struct npt_pool *pool, uint64_t ncr3, struct kvm_vm *vm)
{
	struct userspace_mem_region *r = memslot2region(vm, 0);
	const uint64_t huge = 1ULL << (PAGE_SHIFT + 9);
	uint64_t start = r->region.guest_phys_addr & ~(huge - 1);
	uint64_t end = r->region.guest_phys_addr + r->region.memory_size;

	end = (end + huge - 1) & ~(huge - 1);
	npt_map_range(pool, ncr3, start, start, end - start, NPT_RW);
}

/* ---- L1 side ---- */

#define NNPT_L2_STACK_SIZE	4096
static uint8_t nnpt_l2_stack[NNPT_L2_STACK_SIZE] __aligned(16);

/*
 * What L2 runs next, in L1 memory that L2 reads through the NPT identity
 * map.  Not in registers: run_guest() loads L2's GPRs from the framework's
 * guest_regs with offsets that do not match struct gpr64_regs in 6.12
 * (guest_regs.rdi lands in RSI), so only memory is a stable way in.
 */
static struct {
	void (*fn)(uint64_t arg0, uint64_t arg1);
	uint64_t arg0, arg1;
} nnpt_l2_call;

static void nnpt_l2_start(void)
{
	nnpt_l2_call.fn(nnpt_l2_call.arg0, nnpt_l2_call.arg1);
	nnpt_l2_exit(0);
}

void nnpt_svm_setup_no_np(struct svm_test_data *svm)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	generic_svm_setup(svm, NULL);
	/*
	 * Exceptions in L2 and a shutdown exit to L1, which can report them:
	 * with L1's IDT in L2 they would run the framework's handlers in L2.
	 */
	ctl->intercept_exceptions |= BIT(DE_VECTOR) | BIT(UD_VECTOR) |
				     BIT(DF_VECTOR) | BIT(GP_VECTOR) |
				     BIT(PF_VECTOR);
	ctl->intercept |= BIT_ULL(INTERCEPT_SHUTDOWN) | BIT_ULL(INTERCEPT_HLT);
}

/* A TLB flush the next VMRUN owes L2 because nCR3 changed. */
static bool nnpt_ncr3_changed;

void nnpt_svm_setup(struct svm_test_data *svm, uint64_t ncr3)
{
	struct vmcb_control_area *ctl = &svm->vmcb->control;

	nnpt_svm_setup_no_np(svm);
	ctl->misc_ctl |= SVM_MISC_ENABLE_NP;
	ctl->nested_cr3 = ncr3;
	nnpt_ncr3_changed = true;
}

void nnpt_set_ncr3(struct svm_test_data *svm, uint64_t ncr3)
{
	if (svm->vmcb->control.nested_cr3 != ncr3)
		nnpt_ncr3_changed = true;
	svm->vmcb->control.nested_cr3 = ncr3;
}

/* VMRUN with @tlb_ctl for this run only (see nnpt_run()). */
static uint64_t nnpt_vmrun(struct svm_test_data *svm, uint8_t tlb_ctl)
{
	struct vmcb *vmcb = svm->vmcb;

	if (nnpt_ncr3_changed && tlb_ctl == TLB_CONTROL_DO_NOTHING)
		tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
	nnpt_ncr3_changed = false;

	vmcb->control.tlb_ctl = tlb_ctl;
	run_guest(vmcb, svm->vmcb_gpa);
	vmcb->control.tlb_ctl = TLB_CONTROL_DO_NOTHING;
	return vmcb_exit_code(&vmcb->control);
}

uint64_t nnpt_run(struct svm_test_data *svm, nnpt_l2_fn_t fn, uint64_t arg0,
		  uint64_t arg1, uint8_t tlb_ctl)
{
	struct vmcb *vmcb = svm->vmcb;

	nnpt_l2_call.fn = fn;
	nnpt_l2_call.arg0 = arg0;
	nnpt_l2_call.arg1 = arg1;
	vmcb->save.rip = (uint64_t)nnpt_l2_start;
	/* As after a CALL: the return address slot is below a 16-byte boundary. */
	vmcb->save.rsp = (uint64_t)&nnpt_l2_stack[NNPT_L2_STACK_SIZE] - 8;
	return nnpt_vmrun(svm, tlb_ctl);
}

void nnpt_l2_load(uint64_t va, uint64_t unused)
{
	nnpt_l2_exit(READ_ONCE(*(uint64_t *)va));
}

void nnpt_l2_store(uint64_t va, uint64_t val)
{
	WRITE_ONCE(*(uint64_t *)va, val);
	nnpt_l2_exit(0);
}

/* CLD: string instructions step by DF, which L2 inherits from the VMCB. */
void nnpt_l2_outsb(uint64_t va, uint64_t port)
{
	asm volatile("cld; outsb" : "+S"(va) : "d"((uint16_t)port) : "memory");
	nnpt_l2_exit(0);
}

void nnpt_l2_insb(uint64_t va, uint64_t port)
{
	asm volatile("cld; insb" : "+D"(va) : "d"((uint16_t)port) : "memory");
	nnpt_l2_exit(0);
}

/* ---- L2 in 32-bit protected mode ---- */

/*
 * The code, at the start of its page: mov NNPT_L2_32_OPERAND(page), %ebx;
 * mov (%ebx), %eax; vmmcall; ud2.  At NNPT_L2_32_OUTSB_CODE: mov operand,
 * %esi; mov port operand, %edx; cld; outsb; vmmcall; ud2, and at
 * NNPT_L2_32_INSB_CODE the same with %edi and insb.  At
 * NNPT_L2_32_SWITCH_CR3_CODE: mov %cr3, %ecx; mov operand, %ebx; mov %ebx,
 * %cr3; mov %cr3, %eax; mov %ecx, %cr3; vmmcall; ud2.  At
 * NNPT_L2_32_OUT_CODE: mov operand, %esi; mov port operand, %edx; mov
 * (%esi), %al; out %al, (%dx); vmmcall; ud2.  The operand words are in the
 * same page.
 */
#define NNPT_L2_32_OUTSB_CODE	0x20
#define NNPT_L2_32_INSB_CODE	0x40
#define NNPT_L2_32_SWITCH_CR3_CODE	0x60
#define NNPT_L2_32_OUT_CODE	0x80
#define NNPT_L2_32_OPERAND	0x100
#define NNPT_L2_32_PORT		0x104

static const uint16_t nnpt_l2_32_code_off[NNPT_L2_32_NR_OPS] = {
	[NNPT_L2_32_LOAD] = 0,
	[NNPT_L2_32_OUTSB] = NNPT_L2_32_OUTSB_CODE,
	[NNPT_L2_32_INSB] = NNPT_L2_32_INSB_CODE,
	[NNPT_L2_32_SWITCH_CR3] = NNPT_L2_32_SWITCH_CR3_CODE,
	[NNPT_L2_32_OUT] = NNPT_L2_32_OUT_CODE,
};

/* 2-level and PAE entries (SDM vol. 3A Tables 4-4..4-6, 4-8..4-11). */
#define L2_32_P			BIT_ULL(0)
#define L2_32_RW		BIT_ULL(1)
#define L2_32_2LEVEL_ADDR	GENMASK_ULL(31, 12)

/* A zeroed L1 page for L2 below 4 GiB; its L1 GPA, and in *@gva its GVA. */
static uint64_t __nnpt_l2_32_page(struct kvm_vm *vm, uint64_t *gva)
{
	gva_t va = vm_alloc_page(vm);
	uint64_t gpa = addr_gva2gpa(vm, va);

	/* CR3 and 2-level entries hold 32-bit addresses. */
	TEST_ASSERT(gpa < BIT_ULL(32), "nested_npt: L2 page at GPA 0x%lx", gpa);
	memset(addr_gva2hva(vm, va), 0, PAGE_SIZE);
	if (gva)
		*gva = va;
	return gpa;
}

static uint64_t nnpt_l2_32_page(struct kvm_vm *vm)
{
	return __nnpt_l2_32_page(vm, NULL);
}

/* L1 GPA of @mode's page table for @va; with @alloc, made if missing. */
static uint64_t nnpt_l2_32_pt(struct kvm_vm *vm, const struct nnpt_l2_32 *l2,
			      enum nnpt_l2_32_mode mode, uint32_t va, bool alloc)
{
	uint64_t *pdpte, *pde;
	uint32_t *pde32;

	TEST_ASSERT(mode == NNPT_L2_32_2LEVEL || mode == NNPT_L2_32_PAE,
		    "nested_npt: L2 mode %d has no page tables", mode);
	if (mode == NNPT_L2_32_2LEVEL) {
		pde32 = (uint32_t *)addr_gpa2hva(vm, l2->cr3[mode]) + (va >> 22);
		if (!(*pde32 & L2_32_P) && alloc)
			*pde32 = nnpt_l2_32_page(vm) | L2_32_P | L2_32_RW;
		TEST_ASSERT(*pde32 & L2_32_P, "nested_npt: no L2 PDE for 0x%x", va);
		return *pde32 & L2_32_2LEVEL_ADDR;
	}
	/* PAE PDPTEs: P, PWT, PCD only; bits 2:1 and 8:5 are reserved. */
	pdpte = (uint64_t *)addr_gpa2hva(vm, l2->cr3[mode]) + (va >> 30);
	if (!(*pdpte & L2_32_P) && alloc)
		*pdpte = nnpt_l2_32_page(vm) | L2_32_P;
	TEST_ASSERT(*pdpte & L2_32_P, "nested_npt: no L2 PDPTE for 0x%x", va);
	pde = (uint64_t *)addr_gpa2hva(vm, *pdpte & NPT_ADDR_MASK) + ((va >> 21) & 511);
	if (!(*pde & L2_32_P) && alloc)
		*pde = nnpt_l2_32_page(vm) | L2_32_P | L2_32_RW;
	TEST_ASSERT(*pde & L2_32_P, "nested_npt: no L2 PDE for 0x%x", va);
	return *pde & NPT_ADDR_MASK;
}

void nnpt_l2_32_map(struct kvm_vm *vm, struct nnpt_l2_32 *l2, uint32_t va,
		    uint64_t l2_gpa)
{
	uint64_t pt;

	TEST_ASSERT(l2_gpa < BIT_ULL(32) && !(l2_gpa & (PAGE_SIZE - 1)),
		    "nested_npt: L2 GPA 0x%lx for a 2-level PTE", l2_gpa);
	pt = nnpt_l2_32_pt(vm, l2, NNPT_L2_32_2LEVEL, va, true);
	((uint32_t *)addr_gpa2hva(vm, pt))[(va >> 12) & 1023] = l2_gpa | L2_32_P | L2_32_RW;
	pt = nnpt_l2_32_pt(vm, l2, NNPT_L2_32_PAE, va, true);
	((uint64_t *)addr_gpa2hva(vm, pt))[(va >> 12) & 511] = l2_gpa | L2_32_P | L2_32_RW;
}

uint64_t nnpt_l2_32_pdpt_alias(struct kvm_vm *vm, const struct nnpt_l2_32 *l2,
			       unsigned int index, uint64_t *gva)
{
	const uint64_t *pdpt = addr_gpa2hva(vm, l2->cr3[NNPT_L2_32_PAE]);
	uint64_t gpa = __nnpt_l2_32_page(vm, gva);
	uint64_t *alias = addr_gpa2hva(vm, gpa);

	TEST_ASSERT(index < 4 && !(pdpt[index] & L2_32_P),
		    "nested_npt: PDPTE %u of L2's PDPT is in use", index);
	memcpy(alias, pdpt, 4 * sizeof(*pdpt));
	alias[index] = pdpt[l2->code_gpa >> 30];
	return gpa;
}

uint64_t nnpt_l2_32_page_table(struct kvm_vm *vm, const struct nnpt_l2_32 *l2,
			       enum nnpt_l2_32_mode mode, uint32_t va)
{
	return nnpt_l2_32_pt(vm, l2, mode, va, false);
}

void nnpt_l2_32_create(struct kvm_vm *vm, struct nnpt_l2_32 *l2)
{
	static const uint8_t code[] = {
		0x8b, 0x1d, 0, 0, 0, 0,	/* mov operand, %ebx */
		0x8b, 0x03,		/* mov (%ebx), %eax */
		0x0f, 0x01, 0xd9,	/* vmmcall */
		0x0f, 0x0b,		/* ud2 */
	};
	/* ModRM 0x35: %esi, disp32; 0x3d: %edi, disp32; 0x15: %edx, disp32. */
	static const uint8_t outsb[] = {
		0x8b, 0x35, 0, 0, 0, 0,	/* mov operand, %esi */
		0x8b, 0x15, 0, 0, 0, 0,	/* mov port, %edx */
		0xfc,			/* cld */
		0x6e,			/* outsb */
		0x0f, 0x01, 0xd9,	/* vmmcall */
		0x0f, 0x0b,		/* ud2 */
	};
	static const uint8_t insb[] = {
		0x8b, 0x3d, 0, 0, 0, 0,	/* mov operand, %edi */
		0x8b, 0x15, 0, 0, 0, 0,	/* mov port, %edx */
		0xfc,			/* cld */
		0x6c,			/* insb */
		0x0f, 0x01, 0xd9,	/* vmmcall */
		0x0f, 0x0b,		/* ud2 */
	};
	/* 0f 20 /r: MOV r32, CRn; 0f 22 /r: MOV CRn, r32; ModRM.reg = 3: CR3. */
	static const uint8_t switch_cr3[] = {
		0x0f, 0x20, 0xd9,	/* mov %cr3, %ecx */
		0x8b, 0x1d, 0, 0, 0, 0,	/* mov operand, %ebx */
		0x0f, 0x22, 0xdb,	/* mov %ebx, %cr3 */
		0x0f, 0x20, 0xd8,	/* mov %cr3, %eax */
		0x0f, 0x22, 0xd9,	/* mov %ecx, %cr3 */
		0x0f, 0x01, 0xd9,	/* vmmcall */
		0x0f, 0x0b,		/* ud2 */
	};
	static const uint8_t out[] = {
		0x8b, 0x35, 0, 0, 0, 0,	/* mov operand, %esi */
		0x8b, 0x15, 0, 0, 0, 0,	/* mov port, %edx */
		0x8a, 0x06,		/* mov (%esi), %al */
		0xee,			/* out %al, (%dx) */
		0x0f, 0x01, 0xd9,	/* vmmcall */
		0x0f, 0x0b,		/* ud2 */
	};
	uint8_t *p;
	uint32_t operand, port_operand;

	l2->code_gva = vm_alloc_page(vm);
	l2->code_gpa = addr_gva2gpa(vm, l2->code_gva);
	TEST_ASSERT(l2->code_gpa < BIT_ULL(32), "nested_npt: L2 code at GPA 0x%lx",
		    l2->code_gpa);
	p = addr_gva2hva(vm, l2->code_gva);
	memset(p, 0, PAGE_SIZE);
	memcpy(p, code, sizeof(code));
	memcpy(p + NNPT_L2_32_OUTSB_CODE, outsb, sizeof(outsb));
	memcpy(p + NNPT_L2_32_INSB_CODE, insb, sizeof(insb));
	memcpy(p + NNPT_L2_32_SWITCH_CR3_CODE, switch_cr3, sizeof(switch_cr3));
	memcpy(p + NNPT_L2_32_OUT_CODE, out, sizeof(out));
	operand = l2->code_gpa + NNPT_L2_32_OPERAND;
	port_operand = l2->code_gpa + NNPT_L2_32_PORT;
	memcpy(p + 2, &operand, sizeof(operand));
	memcpy(p + NNPT_L2_32_OUTSB_CODE + 2, &operand, sizeof(operand));
	memcpy(p + NNPT_L2_32_OUTSB_CODE + 8, &port_operand, sizeof(port_operand));
	memcpy(p + NNPT_L2_32_INSB_CODE + 2, &operand, sizeof(operand));
	memcpy(p + NNPT_L2_32_INSB_CODE + 8, &port_operand, sizeof(port_operand));
	memcpy(p + NNPT_L2_32_SWITCH_CR3_CODE + 5, &operand, sizeof(operand));
	memcpy(p + NNPT_L2_32_OUT_CODE + 2, &operand, sizeof(operand));
	memcpy(p + NNPT_L2_32_OUT_CODE + 8, &port_operand, sizeof(port_operand));

	l2->cr3[NNPT_L2_32_NO_PAGING] = 0;
	l2->cr3[NNPT_L2_32_2LEVEL] = nnpt_l2_32_page(vm);
	/* The PDPT at the start of a page (PAE CR3: bits 31:5). */
	l2->cr3[NNPT_L2_32_PAE] = __nnpt_l2_32_page(vm, &l2->pdpt_gva);
	nnpt_l2_32_map(vm, l2, l2->code_gpa, l2->code_gpa);
}

uint64_t nnpt_run_32_op(struct svm_test_data *svm, const struct nnpt_l2_32 *l2,
			enum nnpt_l2_32_mode mode, enum nnpt_l2_32_op op,
			uint32_t addr, uint16_t port, uint8_t tlb_ctl)
{
	const uint16_t code_attr = 0xb | SVM_SELECTOR_S_MASK | SVM_SELECTOR_P_MASK |
				   SVM_SELECTOR_DB_MASK | SVM_SELECTOR_G_MASK;
	const uint16_t data_attr = 0x3 | SVM_SELECTOR_S_MASK | SVM_SELECTOR_P_MASK |
				   SVM_SELECTOR_DB_MASK | SVM_SELECTOR_G_MASK;
	struct vmcb_save_area *save = &svm->vmcb->save;
	struct vmcb_save_area saved = *save;
	struct vmcb_seg *segs[] = { &save->ds, &save->es, &save->ss, &save->fs, &save->gs };
	uint64_t exit, rax;
	unsigned int i;

	GUEST_ASSERT(mode < NNPT_L2_32_NR_MODES && op < NNPT_L2_32_NR_OPS);
	WRITE_ONCE(*(uint32_t *)(l2->code_gva + NNPT_L2_32_OPERAND), addr);
	WRITE_ONCE(*(uint32_t *)(l2->code_gva + NNPT_L2_32_PORT), port);

	/* Legacy mode: EFER.LME=0; VMRUN requires EFER.SVME (APM 15.5.1). */
	save->efer = EFER_SVME;
	save->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	if (mode != NNPT_L2_32_NO_PAGING)
		save->cr0 |= X86_CR0_PG;
	/* CR4.PSE=0 in 2-level paging: every PDE points to a page table. */
	save->cr4 = mode == NNPT_L2_32_PAE ? X86_CR4_PAE : 0;
	save->cr3 = l2->cr3[mode];
	save->cs = (struct vmcb_seg){ .selector = 0x08, .attrib = code_attr,
				      .limit = 0xffffffff };
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		*segs[i] = (struct vmcb_seg){ .selector = 0x10, .attrib = data_attr,
					      .limit = 0xffffffff };
	save->rip = l2->code_gpa + nnpt_l2_32_code_off[op];
	save->rsp = 0;

	exit = nnpt_vmrun(svm, tlb_ctl);
	rax = save->rax;
	*save = saved;
	save->rax = rax;
	return exit;
}

uint64_t nnpt_run_32(struct svm_test_data *svm, const struct nnpt_l2_32 *l2,
		     enum nnpt_l2_32_mode mode, uint32_t addr, uint8_t tlb_ctl)
{
	return nnpt_run_32_op(svm, l2, mode, NNPT_L2_32_LOAD, addr, 0, tlb_ctl);
}

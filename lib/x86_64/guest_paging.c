// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in every x86 paging mode, and their address spaces: see
 * include/x86_64/guest_paging.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "guest_paging_int.h"
#include "guest_paging_reuse.h"
#include "vm_tables.h"

#define GSTEP_SLOT		10
/* CPUID.01H:EDX.PSE[bit 3], spelled out: 6.1's processor.h has no name for it. */
#define GP_FEATURE_PSE		KVM_X86_CPU_FEATURE(0x1, 0, EDX, 3)

#define NO_LA57_WHY								\
	"the CPU has no LA57, and KVM offers 5-level paging only if the CPU has it, 4-level host or not (cpuid.c kvm_set_cpu_caps())"

bool guest_paging_mode_supported(enum guest_paging_mode mode, const char **why)
{
	*why = NULL;
	switch (mode) {
	case GUEST_PAGING_OFF:
		/* VMX without unrestricted guest cannot run CR0.PG=0 natively. */
		if (!access("/sys/module/kvm_intel/parameters/unrestricted_guest", R_OK) &&
		    !get_kvm_intel_param_bool("unrestricted_guest"))
			*why = "kvm_intel unrestricted_guest=0: no protected mode without paging";
		break;
	case GUEST_PAGING_5LEVEL:
		/*
		 * KVM 6.12 sets LA57 for guests from the CPU's own CPUID,
		 * not from the host kernel's paging depth (cpuid.c
		 * kvm_set_cpu_caps(): "Set LA57 based on hardware
		 * capability"), so a 4-level host (no5lvl) still offers it.
		 */
		if (!kvm_cpu_has(X86_FEATURE_LA57))
			*why = this_cpu_has(X86_FEATURE_LA57) ?
			       "KVM offers no LA57 to guests although the CPU has it" :
			       NO_LA57_WHY;
		break;
	default:
		break;
	}
	return !*why;
}

uint64_t paging_vm_vm_gpa(struct paging_vm *pvm, uint64_t gpa)
{
	TEST_ASSERT(gpa >= GSTEP_SLOT_GPA && gpa < GSTEP_SLOT_GPA + GSTEP_SLOT_SIZE,
		    "GPA 0x%lx is outside the paging VM's memslot", gpa);
	return gpa - GSTEP_SLOT_GPA + pvm->priv->slot_gpa;
}

void *paging_vm_hva(struct paging_vm *pvm, uint64_t gpa)
{
	return addr_gpa2hva(pvm->vm, paging_vm_vm_gpa(pvm, gpa));
}

static uint64_t bump_alloc(uint64_t *next, uint64_t end, uint64_t size,
			   uint64_t align, const char *what)
{
	uint64_t gpa = (*next + align - 1) & ~(align - 1);

	TEST_ASSERT(gpa + size <= end && gpa + size > gpa,
		    "out of %s: 0x%lx bytes at 0x%lx", what, size, gpa);
	*next = gpa + size;
	return gpa;
}

uint64_t paging_vm_alloc(struct paging_vm *pvm, uint64_t size, uint64_t align)
{
	return bump_alloc(&pvm->priv->data_next, GSTEP_DATA_GPA + GSTEP_DATA_SIZE, size,
			  align, "guest data memory");
}

uint64_t paging_vm_alloc_table(struct paging_vm *pvm)
{
	return bump_alloc(&pvm->priv->pt_next, GSTEP_PT_POOL_GPA + GSTEP_PT_POOL_SIZE,
			  PAGE_SIZE, PAGE_SIZE, "page-table pool");
}

uint64_t paging_vm_tagged_page(struct paging_vm *pvm, uint32_t tag)
{
	uint64_t gpa = paging_vm_alloc(pvm, PAGE_SIZE, PAGE_SIZE);

	*(uint32_t *)paging_vm_hva(pvm, gpa) = tag;
	*(uint8_t *)paging_vm_hva(pvm, gpa + PAGING_EXEC_OFF) = PAGING_RET_INSN;
	return gpa;
}

/* Descriptor for base 0, limit 4 GiB (G=1), present, S=1 (SDM 3.4.5). */
static uint64_t flat_desc(uint64_t type, int dpl, bool is64)
{
	uint64_t d = 0xffff | 0xfull << 48;	/* limit 0xfffff */

	d |= type << 40 | 1ull << 44 | (uint64_t)dpl << 45 | 1ull << 47 | 1ull << 55;
	if (is64)
		d |= 1ull << 53;		/* L */
	else
		d |= 1ull << 54;		/* D/B */
	return d;
}

/*
 * GDT: null, ring-0 code and data, ring-3 code and data, and a TSS
 * (16 bytes in IA-32e mode).  The TSS only holds the ring-0 stack that
 * exceptions and INT n from CPL 3 switch to (SDM 7.2.1, 7.7).
 */
static void write_gdt_tss(struct paging_vm *pvm)
{
	uint64_t *gdt = paging_vm_hva(pvm, GSTEP_GDT_GPA);
	uint8_t *tss_hva = paging_vm_hva(pvm, GSTEP_TSS_GPA);
	bool is64 = guest_paging_mode_is_64bit(pvm->mode);
	uint64_t tss = GSTEP_TSS_GPA;
	uint64_t rsp0 = GSTEP_RING0_STACK_TOP;
	uint16_t ss0 = GSTEP_SEL_DATA;

	gdt[GSTEP_SEL_CODE / 8] = flat_desc(0xb, 0, is64);
	gdt[GSTEP_SEL_DATA / 8] = flat_desc(0x3, 0, false);
	gdt[GSTEP_SEL_UCODE / 8] = flat_desc(0xb, 3, is64);
	gdt[GSTEP_SEL_UDATA / 8] = flat_desc(0x3, 3, false);
	/* Available (type 9): the engine's first instruction is LTR. */
	gdt[GSTEP_SEL_TSS / 8] = 0x67 | (tss & 0xffffff) << 16 | 0x9ull << 40 |
				 1ull << 47 | (tss >> 24 & 0xff) << 56;
	gdt[GSTEP_SEL_TSS / 8 + 1] = tss >> 32;

	/* RSP0 at offset 4 (64-bit TSS); ESP0 at 4 and SS0 at 8 (32-bit TSS). */
	if (is64) {
		memcpy(tss_hva + 4, &rsp0, 8);
	} else {
		memcpy(tss_hva + 4, &rsp0, 4);
		memcpy(tss_hva + 8, &ss0, 2);
	}
}

/* The engine's memslot, image, GDT and TSS, and the VM's defaults. */
static struct paging_vm *paging_vm_init(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
					enum guest_paging_mode mode, int slot, uint64_t slot_gpa)
{
	struct paging_vm *pvm = calloc(1, sizeof(*pvm));
	const char *start, *end;

	TEST_ASSERT(pvm, "out of memory");
	pvm->priv = calloc(1, sizeof(*pvm->priv));
	TEST_ASSERT(pvm->priv, "out of memory");
	pvm->mode = mode;
	pvm->name = guest_paging_mode_name(mode);
	pvm->vm = vm;
	pvm->vcpu = vcpu;
	pvm->priv->slot_gpa = slot_gpa;
	vm_userspace_mem_region_add(pvm->vm, VM_MEM_SRC_ANONYMOUS, slot_gpa, slot,
				    GSTEP_SLOT_SIZE / PAGE_SIZE, 0);
	pvm->priv->pt_next = GSTEP_PT_POOL_GPA;
	pvm->priv->data_next = GSTEP_DATA_GPA;

	start = guest_paging_mode_is_64bit(mode) ? gstep_engine64_start : gstep_engine32_start;
	end = guest_paging_mode_is_64bit(mode) ? gstep_engine64_end : gstep_engine32_end;
	TEST_ASSERT(end - start <= GSTEP_CODE_MAX, "step engine too large");
	memcpy(paging_vm_hva(pvm, GSTEP_CODE_GPA), start, end - start);
	memcpy(&pvm->priv->header, paging_vm_hva(pvm, GSTEP_CODE_GPA + GSTEP_HEADER_OFFSET),
	       sizeof(pvm->priv->header));
	TEST_ASSERT(pvm->priv->header.magic == GSTEP_HEADER_MAGIC &&
		    pvm->priv->header.user_code_start >= GSTEP_CODE_GPA &&
		    pvm->priv->header.user_code_end <= GSTEP_CODE_GPA + GSTEP_CODE_MAX,
		    "step engine image: bad header");
	write_gdt_tss(pvm);

	pvm->priv->steps = calloc(GSTEP_MAX_STEPS, sizeof(*pvm->priv->steps));
	pvm->priv->expect = calloc(GSTEP_MAX_STEPS, sizeof(*pvm->priv->expect));
	pvm->priv->phase = calloc(GSTEP_MAX_STEPS, sizeof(*pvm->priv->phase));
	pvm->priv->results = calloc(GSTEP_MAX_STEPS, sizeof(*pvm->priv->results));
	TEST_ASSERT(pvm->priv->steps && pvm->priv->expect && pvm->priv->phase && pvm->priv->results,
		    "out of memory");

	pvm->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	if (mode != GUEST_PAGING_OFF)
		pvm->cr0 |= X86_CR0_PG | X86_CR0_WP;
	if (mode == GUEST_PAGING_32BIT && kvm_cpu_has(GP_FEATURE_PSE))
		pvm->cr4 |= X86_CR4_PSE;
	if (mode == GUEST_PAGING_PAE || guest_paging_mode_is_64bit(mode))
		pvm->cr4 |= X86_CR4_PAE;
	if (mode == GUEST_PAGING_5LEVEL)
		pvm->cr4 |= X86_CR4_LA57;
	if ((mode == GUEST_PAGING_PAE || guest_paging_mode_is_64bit(mode)) &&
	    kvm_cpu_has(X86_FEATURE_NX))
		pvm->efer |= EFER_NX;
	if (guest_paging_mode_is_64bit(mode))
		pvm->efer |= EFER_LME | EFER_LMA;
	return pvm;
}

struct paging_vm *__paging_vm_create(enum guest_paging_mode mode, void *l1_code)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = __vm_create_with_one_vcpu(&vcpu, VM_SLOT0_ROOM_PAGES, l1_code);

	return paging_vm_init(vm, vcpu, mode, GSTEP_SLOT, GSTEP_SLOT_GPA);
}

struct paging_vm *__paging_vm_create_on(struct kvm_vm *vm, struct kvm_vcpu *vcpu,
					enum guest_paging_mode mode)
{
	return paging_vm_init(vm, vcpu, mode, GSTEP_SLOT, GSTEP_SLOT_GPA);
}

void paging_vm_delete_slot(struct paging_vm *pvm)
{
	vm_mem_region_delete(pvm->vm, GSTEP_SLOT);
}

struct paging_vm *__paging_vm_create_in(struct paging_vm *host, enum guest_paging_mode mode,
					uint64_t slot_gpa)
{
	return paging_vm_init(host->vm, host->vcpu, mode, GSTEP_SLOT + 1, slot_gpa);
}

void paging_vm_free(struct paging_vm *pvm)
{
	free(pvm->priv->steps);
	free(pvm->priv->expect);
	free(pvm->priv->phase);
	free(pvm->priv->results);
	pvm->priv->target->free(pvm);
	free(pvm->priv);
	free(pvm);
}

static void *entry_hva(struct paging_vm *pvm, uint64_t gpa)
{
	return paging_vm_hva(pvm, gpa);
}

static uint64_t read_entry_at(struct guest_as *as, uint64_t gpa)
{
	struct paging_vm *pvm = as->pvm;

	if (guest_paging_entry_size(as->mode) == 4)
		return *(uint32_t *)entry_hva(pvm, gpa);
	return *(uint64_t *)entry_hva(pvm, gpa);
}

static void write_entry_at(struct guest_as *as, uint64_t gpa, uint64_t val)
{
	struct paging_vm *pvm = as->pvm;

	if (guest_paging_entry_size(as->mode) == 4) {
		TEST_ASSERT(!(val >> 32), "2-level paging entries have 32 bits: 0x%lx", val);
		*(uint32_t *)entry_hva(pvm, gpa) = val;
	} else {
		*(uint64_t *)entry_hva(pvm, gpa) = val;
	}
}

uint64_t guest_as_entry_gpa(struct guest_as *as, uint64_t va, int level)
{
	struct paging_vm *pvm = as->pvm;
	int levels = guest_paging_levels(as->mode);
	int size = guest_paging_entry_size(as->mode);
	uint64_t table = as->root, gpa, e;
	int l;

	TEST_ASSERT(level >= 1 && level <= levels, "%s has no level-%d entries",
		    pvm->name, level);
	for (l = levels; ; l--) {
		gpa = table + guest_paging_level_index(as->mode, l, va) * size;
		if (l == level)
			return gpa;
		e = read_entry_at(as, gpa);
		if (!(e & GP_P)) {
			e = guest_paging_table_entry(as->mode, l, paging_vm_alloc_table(pvm));
			write_entry_at(as, gpa, e);
		}
		TEST_ASSERT(!(e & GP_PS) || !guest_paging_has_large_pages(as->mode, l),
			    "%s: VA 0x%lx: the level-%d entry 0x%lx maps a large page",
			    pvm->name, va, l, e);
		table = guest_paging_table_addr(as->mode, e);
	}
}

uint64_t guest_as_read_entry(struct guest_as *as, uint64_t va, int level)
{
	return read_entry_at(as, guest_as_entry_gpa(as, va, level));
}

void guest_as_write_entry(struct guest_as *as, uint64_t va, int level, uint64_t val)
{
	write_entry_at(as, guest_as_entry_gpa(as, va, level), val);
}

int guest_as_walk(struct guest_as *as, uint64_t va, uint64_t *entries)
{
	struct paging_vm *pvm = as->pvm;
	int levels = guest_paging_levels(as->mode);
	int size = guest_paging_entry_size(as->mode);
	uint64_t table = as->root, e;
	bool leaf;
	int l, n = 0;

	for (l = levels; l >= 1; l--) {
		e = read_entry_at(as, table + guest_paging_level_index(as->mode, l, va) * size);
		entries[n++] = e;
		leaf = l == 1 || ((e & GP_PS) && guest_paging_has_large_pages(as->mode, l) &&
				  (as->mode != GUEST_PAGING_32BIT || (pvm->cr4 & X86_CR4_PSE)));
		if (!(e & GP_P) || leaf)
			break;
		table = guest_paging_table_addr(as->mode, e);
		/* An address bit above the pool (a reserved one): nothing to read. */
		if (table < GSTEP_PT_POOL_GPA || table >= GSTEP_PT_POOL_GPA + GSTEP_PT_POOL_SIZE)
			break;
	}
	return n;
}

int guest_paging_maxphyaddr(void)
{
	const struct kvm_cpuid2 *cpuid = kvm_get_supported_cpuid();
	int i;

	for (i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 0x80000008)
			return cpuid->entries[i].eax & 0xff;
	return 36;
}

void guest_as_map(struct guest_as *as, uint64_t va, uint64_t gpa, int level, uint64_t flags)
{
	uint64_t size = guest_paging_level_size(as->mode, level);

	TEST_ASSERT(!(va & (size - 1)) && !(gpa & (size - 1)),
		    "VA 0x%lx or GPA 0x%lx not aligned for a level-%d mapping", va, gpa, level);
	if (level > 1) {
		TEST_ASSERT(guest_paging_has_large_pages(as->mode, level),
			    "%s has no large pages at level %d",
			    guest_paging_mode_name(as->mode), level);
	}
	TEST_ASSERT(guest_paging_leaf_addr(as->mode, level,
					   guest_paging_leaf_entry(as->mode, level, gpa, 0)) == gpa,
		    "%s: GPA 0x%lx cannot be mapped by a level-%d entry",
		    guest_paging_mode_name(as->mode), gpa, level);
	guest_as_write_entry(as, va, level, guest_paging_leaf_entry(as->mode, level, gpa, flags));
}

void guest_as_unmap(struct guest_as *as, uint64_t va, int level)
{
	guest_as_write_entry(as, va, level, 0);
}

void guest_as_share(struct guest_as *dst, uint64_t dst_va,
		    struct guest_as *src, uint64_t src_va, int level)
{
	TEST_ASSERT(level > 1, "only entries that point to tables can be shared");
	guest_as_write_entry(dst, dst_va, level, guest_as_read_entry(src, src_va, level));
}

uint64_t guest_as_cr3(struct guest_as *as)
{
	return as->root;
}

static void map_range(struct guest_as *as, uint64_t va, uint64_t gpa, uint64_t size,
		      uint64_t flags)
{
	uint64_t off;

	for (off = 0; off < size; off += PAGE_SIZE)
		guest_as_map(as, va + off, gpa + off, 1, flags);
}

struct guest_as *guest_as_create_mode_at(struct paging_vm *pvm, enum guest_paging_mode mode,
					 uint64_t root)
{
	const struct gstep_header *hdr = &pvm->priv->header;
	struct guest_as *as = calloc(1, sizeof(*as));
	uint64_t align = mode == GUEST_PAGING_PAE ? 32 : PAGE_SIZE;

	TEST_ASSERT(mode != GUEST_PAGING_OFF, "no address spaces without paging");
	/* The engine's code, 32- or 64-bit, must run in the address space. */
	TEST_ASSERT(guest_paging_mode_is_64bit(pvm->mode) == guest_paging_mode_is_64bit(mode) ||
		    !guest_paging_mode_is_64bit(pvm->mode),
		    "%s: no %s address space for the 64-bit engine", pvm->name,
		    guest_paging_mode_name(mode));
	TEST_ASSERT(as, "out of memory");
	/* CR3 holds bits 31:5 of the PDPT address in PAE paging (SDM 4.4.1). */
	TEST_ASSERT(!(root & (align - 1)) && root >= GSTEP_PT_POOL_GPA &&
		    root < GSTEP_PT_POOL_GPA + GSTEP_PT_POOL_SIZE,
		    "root table 0x%lx: not %lu-byte aligned pool memory", root, align);
	as->pvm = pvm;
	as->mode = mode;
	as->root = root;
	map_range(as, GSTEP_SLOT_GPA, GSTEP_SLOT_GPA, GSTEP_ENGINE_SIZE, GP_P | GP_RW);
	/* What user-mode steps run on: their code and their stack. */
	map_range(as, hdr->user_code_start, hdr->user_code_start,
		  hdr->user_code_end - hdr->user_code_start, GP_P | GP_US);
	map_range(as, GSTEP_USER_STACK_GPA, GSTEP_USER_STACK_GPA, GSTEP_USER_STACK_TOP -
		  GSTEP_USER_STACK_GPA, GP_P | GP_RW | GP_US);
	if (!pvm->initial_as)
		pvm->initial_as = as;
	return as;
}

struct guest_as *guest_as_create_at(struct paging_vm *pvm, uint64_t root)
{
	return guest_as_create_mode_at(pvm, pvm->mode, root);
}

struct guest_as *guest_as_create_mode(struct paging_vm *pvm, enum guest_paging_mode mode)
{
	return guest_as_create_mode_at(pvm, mode, paging_vm_alloc_table(pvm));
}

struct guest_as *guest_as_create(struct paging_vm *pvm)
{
	return guest_as_create_mode(pvm, pvm->mode);
}

void guest_as_map_tables(struct guest_as *as, uint64_t va)
{
	struct paging_vm *pvm = as->pvm;

	TEST_ASSERT(!pvm->priv->tables_va || pvm->priv->tables_va == va,
		    "the tables are mapped at 0x%lx already", pvm->priv->tables_va);
	pvm->priv->tables_va = va;
	map_range(as, va, GSTEP_PT_POOL_GPA, GSTEP_PT_POOL_SIZE, GP_P | GP_RW);
}

uint64_t paging_vm_table_va(struct paging_vm *pvm, uint64_t gpa)
{
	TEST_ASSERT(pvm->priv->tables_va, "no address space maps the page tables");
	TEST_ASSERT(gpa >= GSTEP_PT_POOL_GPA && gpa < GSTEP_PT_POOL_GPA + GSTEP_PT_POOL_SIZE,
		    "GPA 0x%lx is not in the page-table pool", gpa);
	return pvm->priv->tables_va + gpa - GSTEP_PT_POOL_GPA;
}

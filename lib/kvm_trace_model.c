// SPDX-License-Identifier: GPL-2.0
/*
 * The shadow page model over kvmmmu events (include/kvm_trace_model.h).
 * Sizes are small (a test creates hundreds of shadow pages, not millions),
 * so plain arrays and linear searches keep it obviously right.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_trace_model.h"

void kvm_mmu_model_init(struct kvm_mmu_model *m, const struct kvm_role_layout *layout)
{
	const struct kvm_role_field *inv;

	memset(m, 0, sizeof(*m));
	m->layout = *layout;
	inv = kvm_role_layout_find(layout, "invalid");
	m->invalid_mask = inv ? ((1u << inv->width) - 1) << inv->offset : 0;
	/* Events before any kvm_mmu_model_begin_phase() go to phase 0. */
	m->nr_phases = 1;
	memcpy(m->phase_names[0], "-", sizeof("-"));
}

void kvm_mmu_model_free(struct kvm_mmu_model *m)
{
	free(m->events);
	m->events = NULL;
	m->nr_events = 0;
	m->capacity = 0;
}

int kvm_mmu_model_begin_phase(struct kvm_mmu_model *m, const char *name)
{
	/* Phase 0 unused so far: the first named phase takes it over. */
	int p = (m->nr_phases == 1 && !m->nr_events && !strcmp(m->phase_names[0], "-")) ?
		0 : m->nr_phases;

	char *c;

	if (p >= KVM_MMU_MAX_PHASES)
		return -ENOSPC;
	snprintf(m->phase_names[p], KVM_MMU_PHASE_NAME_LEN, "%s", name[0] ? name : "-");
	/* One word, so that kvm_mmu_model_dump() lines split on spaces. */
	for (c = m->phase_names[p]; *c; c++) {
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			*c = '_';
	}
	m->nr_phases = p + 1;
	return p;
}

int kvm_mmu_model_phase(const struct kvm_mmu_model *m, const char *name)
{
	int p;

	for (p = 0; p < m->nr_phases; p++) {
		if (!strcmp(m->phase_names[p], name))
			return p;
	}
	return -1;
}

int kvm_mmu_model_add(struct kvm_mmu_model *m, const struct kvm_mmu_event *ev)
{
	struct kvm_mmu_event *e;

	if (m->nr_events == m->capacity) {
		size_t cap = m->capacity ? m->capacity * 2 : 256;

		e = realloc(m->events, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		m->events = e;
		m->capacity = cap;
	}
	e = &m->events[m->nr_events++];
	*e = *ev;
	e->name[KVM_MMU_EVENT_NAME_LEN - 1] = '\0';
	e->phase = m->nr_phases - 1;
	return 0;
}

/* Events of other kvmmmu events carry no shadow page. */
static bool is_page_event(const struct kvm_mmu_event *e)
{
	return e->type < KVM_MMU_OTHER;
}

static uint32_t page_key_role(const struct kvm_mmu_model *m, const struct kvm_mmu_event *e)
{
	return e->role & ~m->invalid_mask;
}

static struct kvm_mmu_page_summary *find_page(struct kvm_mmu_page_summary *pages, size_t n,
					      uint64_t gfn, uint32_t role)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (pages[i].gfn == gfn && pages[i].role == role)
			return &pages[i];
	}
	return NULL;
}

static void account(struct kvm_mmu_page_summary *p, const struct kvm_mmu_event *e)
{
	if (e->root_count)
		p->root = true;
	switch (e->type) {
	case KVM_MMU_GET_PAGE:
		if (e->created)
			p->created++;
		else
			p->found++;
		p->live = true;
		break;
	case KVM_MMU_SYNC_PAGE:
		p->synced++;
		break;
	case KVM_MMU_UNSYNC_PAGE:
		p->unsynced++;
		break;
	case KVM_MMU_PREPARE_ZAP_PAGE:
		p->zapped++;
		p->live = false;
		break;
	default:
		break;
	}
}

/* All distinct pages; the caller frees the array.  NULL only if out of memory. */
static struct kvm_mmu_page_summary *summarize(const struct kvm_mmu_model *m, size_t *nr)
{
	struct kvm_mmu_page_summary *pages = calloc(m->nr_events + 1, sizeof(*pages));
	size_t i, n = 0;

	if (!pages)
		return NULL;
	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];
		struct kvm_mmu_page_summary *p;

		if (!is_page_event(e))
			continue;
		p = find_page(pages, n, e->gfn, page_key_role(m, e));
		if (!p) {
			p = &pages[n++];
			p->gfn = e->gfn;
			p->role = page_key_role(m, e);
			p->first_phase = e->phase;
		}
		account(p, e);
	}
	*nr = n;
	return pages;
}

static bool want(int criterion, int val)
{
	return criterion == KVM_MMU_ANY || criterion == val;
}

static bool matches(const struct kvm_mmu_model *m, const struct kvm_mmu_query *q,
		    const struct kvm_mmu_event *e, const struct kvm_mmu_page_summary *pages,
		    size_t nr_pages)
{
	const struct kvm_role_layout *l = &m->layout;

	if (!want(q->phase, e->phase) || !want(q->type, e->type))
		return false;
	if (q->created != KVM_MMU_ANY &&
	    (e->type != KVM_MMU_GET_PAGE || q->created != e->created))
		return false;
	if (q->gfn != KVM_MMU_ANY && (uint64_t)q->gfn != e->gfn)
		return false;
	if (q->root_count != KVM_MMU_ANY && (uint64_t)q->root_count != e->root_count)
		return false;
	if (!want(q->level, kvm_role_get(l, e->role, "level")) ||
	    !want(q->direct, kvm_role_get(l, e->role, "direct")) ||
	    !want(q->quadrant, kvm_role_get(l, e->role, "quadrant")) ||
	    !want(q->has_4_byte_gpte, kvm_role_get(l, e->role, "has_4_byte_gpte")) ||
	    !want(q->passthrough, kvm_role_get(l, e->role, "passthrough")))
		return false;
	if (q->root != KVM_MMU_ANY) {
		const struct kvm_mmu_page_summary *p;

		p = find_page((struct kvm_mmu_page_summary *)pages, nr_pages, e->gfn,
			      page_key_role(m, e));
		if (!p || p->root != !!q->root)
			return false;
	}
	return true;
}

/* Count events matching @q, or distinct pages among them when @distinct. */
static size_t count(const struct kvm_mmu_model *m, const struct kvm_mmu_query *q,
		    bool distinct)
{
	struct kvm_mmu_page_summary *pages;
	size_t i, n = 0, nr_pages = 0;
	bool *seen;

	/* Plain event counts need no page summaries (matches() only reads them for .root). */
	if (!distinct && q->root == KVM_MMU_ANY) {
		for (i = 0; i < m->nr_events; i++)
			n += matches(m, q, &m->events[i], NULL, 0);
		return n;
	}
	pages = summarize(m, &nr_pages);
	seen = calloc(nr_pages + 1, sizeof(*seen));
	if (!pages || !seen) {
		free(pages);
		free(seen);
		return 0;
	}
	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];
		struct kvm_mmu_page_summary *p;

		if (!matches(m, q, e, pages, nr_pages))
			continue;
		if (!distinct) {
			n++;
			continue;
		}
		if (!is_page_event(e))
			continue;
		p = find_page(pages, nr_pages, e->gfn, page_key_role(m, e));
		if (p && !seen[p - pages]) {
			seen[p - pages] = true;
			n++;
		}
	}
	free(seen);
	free(pages);
	return n;
}

size_t kvm_mmu_model_count(const struct kvm_mmu_model *m, struct kvm_mmu_query q)
{
	return count(m, &q, false);
}

size_t kvm_mmu_model_count_pages(const struct kvm_mmu_model *m, struct kvm_mmu_query q)
{
	return count(m, &q, true);
}

size_t kvm_mmu_model_pages(const struct kvm_mmu_model *m, struct kvm_mmu_page_summary *out,
			   size_t max, size_t *total)
{
	struct kvm_mmu_page_summary *pages;
	size_t nr = 0;

	pages = summarize(m, &nr);
	if (!pages)
		nr = 0;
	if (total)
		*total = nr;
	if (nr > max)
		nr = max;
	if (nr)
		memcpy(out, pages, nr * sizeof(*out));
	free(pages);
	return nr;
}

size_t kvm_mmu_model_count_live(const struct kvm_mmu_model *m)
{
	struct kvm_mmu_page_summary *pages;
	size_t i, nr = 0, live = 0;

	pages = summarize(m, &nr);
	for (i = 0; pages && i < nr; i++)
		live += pages[i].live;
	free(pages);
	return live;
}

static void print_levels(const struct kvm_mmu_model *m, FILE *f, const char *prefix)
{
	int p, level;

	fprintf(f, "%sphase                 new by level 1..5    found  sync unsync  zap\n",
		prefix);
	for (p = 0; p < m->nr_phases; p++) {
		fprintf(f, "%s%-20.20s ", prefix, m->phase_names[p]);
		for (level = 1; level <= 5; level++)
			fprintf(f, " %3zu",
				kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p,
								     .type = KVM_MMU_GET_PAGE,
								     .created = 1,
								     .level = level)));
		fprintf(f, "  %6zu",
			kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p, .type = KVM_MMU_GET_PAGE,
							     .created = 0)));
		fprintf(f, " %5zu",
			kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p,
							     .type = KVM_MMU_SYNC_PAGE)));
		fprintf(f, " %6zu",
			kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p,
							     .type = KVM_MMU_UNSYNC_PAGE)));
		fprintf(f, " %4zu\n",
			kvm_mmu_model_count(m, KVM_MMU_QUERY(.phase = p,
							     .type = KVM_MMU_PREPARE_ZAP_PAGE)));
	}
}

void kvm_mmu_model_print(const struct kvm_mmu_model *m, FILE *f, const char *prefix)
{
	struct kvm_mmu_page_summary *pages;
	size_t i, nr = 0;

	pages = summarize(m, &nr);
	fprintf(f, "%sshadow pages: %zu (%zu events, role layout from %s)\n", prefix, nr,
		m->nr_events, m->layout.source);
	fprintf(f, "%s%12s  %-40s %-14s new found sync unsync zap\n", prefix, "gfn",
		"role", "first phase");
	for (i = 0; pages && i < nr; i++) {
		const struct kvm_mmu_page_summary *p = &pages[i];
		struct kvm_mmu_role r;
		char role[96];

		kvm_role_decode(&m->layout, p->role, &r);
		fprintf(f, "%s%12llx  %-40s %-14.14s %3u %5u %4u %6u %3u%s%s\n", prefix,
			(unsigned long long)p->gfn, kvm_role_format(&r, role, sizeof(role)),
			m->phase_names[p->first_phase], p->created, p->found, p->synced,
			p->unsynced, p->zapped, p->root ? " root" : "",
			p->live ? " live" : "");
	}
	free(pages);
	print_levels(m, f, prefix);
}

void kvm_mmu_event_print(const struct kvm_mmu_model *m, const struct kvm_mmu_event *e,
			 FILE *f, const char *prefix)
{
	static const char *const types[KVM_MMU_NR_EVENT_TYPES] = {
		"get_page", "sync_page", "unsync_page", "prepare_zap_page", "other",
	};
	struct kvm_mmu_role r;
	char buf[160];

	kvm_role_decode(&m->layout, e->role, &r);
	fprintf(f, "%s  phase %d %s gfn 0x%llx role 0x%x (%s)\n", prefix, e->phase,
		e->type < KVM_MMU_NR_EVENT_TYPES ? types[e->type] : "?",
		(unsigned long long)e->gfn, e->role, kvm_role_format(&r, buf, sizeof(buf)));
}

enum kvm_mmu_event_type kvm_mmu_event_type_of(const char *name)
{
	if (!strcmp(name, "kvm_mmu_get_page"))
		return KVM_MMU_GET_PAGE;
	if (!strcmp(name, "kvm_mmu_sync_page"))
		return KVM_MMU_SYNC_PAGE;
	if (!strcmp(name, "kvm_mmu_unsync_page"))
		return KVM_MMU_UNSYNC_PAGE;
	if (!strcmp(name, "kvm_mmu_prepare_zap_page"))
		return KVM_MMU_PREPARE_ZAP_PAGE;
	return KVM_MMU_OTHER;
}

void kvm_mmu_model_dump(const struct kvm_mmu_model *m, FILE *f, const char *prefix,
			int phase)
{
	size_t i;

	for (i = 0; i < m->nr_events; i++) {
		const struct kvm_mmu_event *e = &m->events[i];

		if (phase != KVM_MMU_ANY && e->phase != phase)
			continue;

		fprintf(f, "%s%s %s %llx %x %u %d %d\n", prefix,
			m->phase_names[e->phase], e->name, (unsigned long long)e->gfn,
			e->role, e->root_count, e->unsync, e->created);
	}
}

/* Next space-separated word of [*pos, len) into @buf; -EINVAL if none or too long. */
static int word(const char *line, size_t len, size_t *pos, char *buf, size_t size)
{
	size_t start, n, i;

	while (*pos < len && line[*pos] == ' ')
		(*pos)++;
	start = *pos;
	while (*pos < len && line[*pos] != ' ')
		(*pos)++;
	n = *pos - start;
	if (!n || n >= size)
		return -EINVAL;
	/* Printable words only: a NUL or a control byte would not dump back. */
	for (i = start; i < *pos; i++) {
		if ((unsigned char)line[i] <= ' ' || line[i] == 0x7f)
			return -EINVAL;
	}
	memcpy(buf, line + start, n);
	buf[n] = '\0';
	return 0;
}

/* Strict unsigned number in @base with an upper bound. */
static int number(const char *s, int base, uint64_t max, uint64_t *val)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			return -EINVAL;
		if (d >= (unsigned int)base || d > max || v > (max - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*val = v;
	return 0;
}

static int parse_event(const char *line, size_t len, char *phase, struct kvm_mmu_event *ev)
{
	char w[7][KVM_MMU_PHASE_NAME_LEN];
	uint64_t gfn, role, root_count, unsync, created;
	size_t pos = 0;
	int i;

	for (i = 0; i < 7; i++) {
		if (word(line, len, &pos, w[i], sizeof(w[i])))
			return -EINVAL;
	}
	while (pos < len && line[pos] == ' ')
		pos++;
	if (pos != len || strlen(w[1]) >= KVM_MMU_EVENT_NAME_LEN ||
	    number(w[2], 16, UINT64_MAX, &gfn) || number(w[3], 16, UINT32_MAX, &role) ||
	    number(w[4], 10, UINT32_MAX, &root_count) || number(w[5], 10, 1, &unsync) ||
	    number(w[6], 10, 1, &created))
		return -EINVAL;

	memset(ev, 0, sizeof(*ev));
	memcpy(phase, w[0], strlen(w[0]) + 1);
	memcpy(ev->name, w[1], strlen(w[1]) + 1);
	ev->type = kvm_mmu_event_type_of(ev->name);
	ev->gfn = gfn;
	ev->role = role;
	ev->root_count = root_count;
	ev->unsync = unsync;
	ev->created = created;
	return 0;
}

int kvm_mmu_model_load(struct kvm_mmu_model *m, const char *text, size_t len)
{
	char phase[KVM_MMU_PHASE_NAME_LEN];
	struct kvm_mmu_event ev;
	size_t pos = 0;
	int r;

	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
		const char *line = text + pos;

		pos += line_len + 1;
		if (!line_len || line[0] == '#')
			continue;
		if (parse_event(line, line_len, phase, &ev))
			return -EINVAL;
		if (strcmp(phase, m->phase_names[m->nr_phases - 1]) &&
		    kvm_mmu_model_begin_phase(m, phase) < 0)
			return -ENOSPC;
		r = kvm_mmu_model_add(m, &ev);
		if (r)
			return r;
	}
	return 0;
}

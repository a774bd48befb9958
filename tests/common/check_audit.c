/*
 * check_audit.c - the invariant audit: a hand-built core in every state a
 * frame can be in passes; each way of corrupting it is reported with its
 * own sentence.
 */
#include <string.h>

#include "audit.h"
#include "check_util.h"
#include "stage.h"

/*
 * The scene every test starts from (16 pages, 4 frames, 16 slots, soft):
 *   page 0  VALID       frame 0 (active)
 *   page 1  TRANSITION  frame 1 (modified)
 *   page 2  TRANSITION  frame 2 (standby, slot 0)
 *   page 3  DISK        slot 1
 *   frame 3 free; every other page ZERO.
 */
struct scene {
    struct stage_core core;
    uint64_t slot_standby;
    uint64_t slot_disk;
};

/* Give frame f to page vpn in state st, with the matching PTE. */
static void own(struct scene *sc, uint64_t f, uint64_t vpn, enum pfn_state st)
{
    struct pfn *p = pfn_get(&sc->core.pfns, f);
    pfn_move(&sc->core.pfns, p, st);
    p->vpn = vpn;
    pte_store(&sc->core.ptes[vpn], st == PFN_ACTIVE
                                       ? pte_make_valid(f, true, true, true)
                                       : pte_make_transition(f));
}

static void scene_build(struct scene *sc)
{
    struct stage_config cfg;
    stage_config_defaults(&cfg);
    cfg.virtual_pages = 16;
    cfg.physical_frames = 4;
    cfg.pagefile_slots = 16;
    cfg.mmu = MACHINE_MMU_SOFT;
    char err[256] = "";
    ck_assert_msg(stage_core_init(&sc->core, &cfg, NULL, NULL, err,
                                  sizeof err) == 0, "%s",
                  err);
    ck_assert_int_eq(pagefile_alloc(sc->core.pagefile, &sc->slot_standby), 0);
    ck_assert_int_eq(pagefile_alloc(sc->core.pagefile, &sc->slot_disk), 0);
    own(sc, 0, 0, PFN_ACTIVE);
    own(sc, 1, 1, PFN_MODIFIED);
    own(sc, 2, 2, PFN_STANDBY);
    pfn_get(&sc->core.pfns, 2)->slot = sc->slot_standby;
    pte_store(&sc->core.ptes[3], pte_make_disk(sc->slot_disk));
}

/* Audit the scene; returns audit_core's result with the message in msg. */
static int scene_audit(struct scene *sc, char *msg, size_t len)
{
    return audit_core(&sc->core, msg, len);
}

START_TEST(test_fresh_core_passes)
{
    struct scene sc;
    struct stage_config cfg;
    stage_config_defaults(&cfg);
    cfg.mmu = MACHINE_MMU_SOFT;
    char msg[256] = "stale";
    ck_assert_int_eq(
        stage_core_init(&sc.core, &cfg, NULL, NULL, msg, sizeof msg), 0);
    ck_assert_int_eq(audit_core(&sc.core, msg, sizeof msg), 0);
    ck_assert_str_eq(msg, "");
    stage_core_destroy(&sc.core);
}
END_TEST

START_TEST(test_every_frame_state_passes)
{
    struct scene sc;
    scene_build(&sc);
    char msg[256];
    ck_assert_msg(scene_audit(&sc, msg, sizeof msg) == 0, "%s", msg);
    /* an active page may keep its slot; an audit without a buffer works */
    pfn_get(&sc.core.pfns, 2)->slot = PAGEFILE_NO_SLOT;
    pfn_get(&sc.core.pfns, 0)->slot = sc.slot_standby;
    own(&sc, 2, 2, PFN_MODIFIED);
    ck_assert_int_eq(audit_core(&sc.core, NULL, 0), 0);
    stage_core_destroy(&sc.core);
}
END_TEST

START_TEST(test_in_flight_and_cached_frames_pass_off_list)
{
    struct scene sc;
    scene_build(&sc);
    char msg[256];
    /* the free frame sits in a thread's cache */
    struct pfn *cached = pfn_pop(&sc.core.pfns, PFN_FREE);
    cached->flags = PFN_FLAG_HELD;
    /* the modified frame is being written, its slot claimed */
    struct pfn *writing = pfn_get(&sc.core.pfns, 1);
    pfn_unlink(&sc.core.pfns, writing);
    writing->flags = PFN_FLAG_WRITING | PFN_FLAG_REWRITE;
    ck_assert_int_eq(pagefile_alloc(sc.core.pagefile, &writing->slot), 0);
    ck_assert_msg(scene_audit(&sc, msg, sizeof msg) == 0, "%s", msg);
    stage_core_destroy(&sc.core);
}
END_TEST

/* A stage that keeps active frames on no list (phase3,
 * PHASE3_OPT_UNLISTED_ACTIVE): the active frame is on no list, a frame
 * being written is taken back as active (still flagged), and both pass. */
START_TEST(test_unlisted_active_frames_pass_off_list)
{
    struct scene sc;
    scene_build(&sc);
    struct pfn_db *db = &sc.core.pfns;
    pfn_unlink(db, pfn_get(db, 0));
    pfn_db_unlist(db, PFN_ACTIVE);
    pfn_link(db, pfn_get(db, 0), PFN_ACTIVE);
    struct pfn *taken = pfn_get(db, 1);
    pfn_unlink(db, taken);
    taken->flags = PFN_FLAG_WRITING;
    pfn_link(db, taken, PFN_ACTIVE);
    pte_store(&sc.core.ptes[1], pte_make_valid(1, false, true, false));
    char msg[256];
    ck_assert_msg(scene_audit(&sc, msg, sizeof msg) == 0, "%s", msg);
    ck_assert_uint_eq(pfn_count(db, PFN_ACTIVE), 1);
    stage_core_destroy(&sc.core);
}
END_TEST

/* ---- corruptions ----------------------------------------------------- */

static struct pfn stray_record;

/* Corrupt the scene in way i; return the sentence the audit must give. */
static const char *corrupt_lists(struct scene *sc, int i)
{
    struct pfn_db *db = &sc->core.pfns;
    switch (i) {
    case 0:
        pfn_get(db, 1)->state = PFN_ACTIVE;
        return "frame 1 is on the modified list but its state is active";
    case 1:
        pfn_get(db, 3)->flags = PFN_FLAG_READING;
        return "frame 3 is on the free list but is flagged in flight or "
               "held (flags 0x1)";
    case 2:
        db->lists[PFN_MODIFIED].count++;
        return "the modified list is broken: its links or its count (2) are "
               "wrong";
    case 3:
        list_node_init(&stray_record.link);
        list_push_tail(&db->lists[PFN_STANDBY], &stray_record.link);
        return "the standby list holds a node that is not a frame record";
    case 4:
        pfn_unlink(db, pfn_get(db, 3));
        return "frame 3 is free but on no list";
    case 5: {
        static struct list elsewhere;
        list_init(&elsewhere);
        struct pfn *p = pfn_pop(db, PFN_FREE);
        list_push_tail(&elsewhere, &p->link);
        return "the lists hold 3 frames and 0 are off them (in flight, "
               "held or unlisted), but there are 4 frames";
    }
    case 6: {
        struct pfn *p = pfn_pop(db, PFN_FREE);
        p->flags = PFN_FLAG_HELD;
        p->state = 9;
        return "frame 3 has state 9, which is not a state";
    }
    case 7:
        db->unlisted |= 1u << PFN_ACTIVE; /* behind pfn_db_unlist's back */
        return "active frames are kept on no list, but the active list "
               "holds 1";
    case 8: {
        static struct list elsewhere;
        list_init(&elsewhere);
        struct pfn *p = pfn_get(db, 0);
        pfn_unlink(db, p);
        pfn_db_unlist(db, PFN_ACTIVE);
        list_push_tail(&elsewhere, &p->link);
        return "frame 0 is linked into a list, but it is active, a state "
               "kept on no list";
    }
    case 9: {
        static struct list elsewhere;
        list_init(&elsewhere);
        struct pfn *p = pfn_pop(db, PFN_FREE);
        p->flags = PFN_FLAG_HELD;
        list_push_tail(&elsewhere, &p->link);
        return "frame 3 is linked into a list, but it is free and flagged in "
               "flight or held";
    }
    default: {
        struct pfn *p = pfn_pop(db, PFN_FREE);
        p->flags = PFN_FLAG_HELD | 0x80;
        return "frame 3 has unknown flag bits 0x80";
    }
    }
}
#define NCORRUPT_LISTS 11

static const char *corrupt_links(struct scene *sc, int i)
{
    struct pfn_db *db = &sc->core.pfns;
    pte_cell_t *ptes = sc->core.ptes;
    switch (i) {
    case 0:
        pfn_get(db, 0)->vpn = 5;
        return "frame 0 is active for page 5, but that page's entry is zero "
               "instead of valid for this frame";
    case 1:
        pfn_get(db, 0)->vpn = PFN_NO_VPN;
        return "frame 0 is active but names no page";
    case 2:
        pte_store(&ptes[1], pte_make_valid(1, false, false, false));
        return "frame 1 is modified for page 1, but that page's entry is "
               "valid{frame 1, ro} instead of transition for this frame";
    case 3:
        pfn_get(db, 2)->slot = PAGEFILE_NO_SLOT;
        return "frame 2 is on standby but owns no page-file slot";
    case 4:
        pfn_get(db, 3)->vpn = 7;
        return "frame 3 is free but still names page 7";
    case 5:
        pte_store(&ptes[5], pte_make_valid(3, true, false, false));
        return "page 5 is valid for frame 3, but that frame's state is free";
    case 6:
        pte_store(&ptes[4], pte_make_transition(1));
        return "page 4 is transition for frame 1, but that frame belongs to "
               "page 1";
    case 7:
        pte_store(&ptes[6], pte_make_valid(99, true, false, false));
        return "page 6 is valid for frame 99, beyond the 4 frames";
    case 8:
        pte_store(&ptes[7], 0x100);
        return "page 7 has a malformed zero entry 0x100";
    case 9:
        pfn_get(db, 3)->slot = sc->slot_disk;
        return "frame 3 is free but still holds slot 1";
    case 10:
        pfn_get(db, 0)->vpn = 16;
        return "frame 0 is active but names page 16, beyond the 16 pages";
    case 11: {
        /* a frame in flight that no longer names its page */
        struct pfn *p = pfn_get(db, 1);
        pfn_unlink(db, p);
        p->flags = PFN_FLAG_WRITING;
        p->vpn = PFN_NO_VPN;
        return "page 1 is transition for frame 1, but that frame belongs to "
               "no page";
    }
    default:
        pte_store(&ptes[7], pte_make_transition(1) | (1ull << 60));
        return "page 7 has a malformed transition entry 0x1000000000001002";
    }
}
#define NCORRUPT_LINKS 13

static const char *corrupt_slots(struct scene *sc, int i)
{
    pte_cell_t *ptes = sc->core.ptes;
    uint64_t leaked;
    switch (i) {
    case 0:
        pte_store(&ptes[8], pte_make_disk(5));
        return "page 8 names slot 5, which is not allocated";
    case 1:
        pte_store(&ptes[8], pte_make_disk(sc->slot_disk));
        return "slot 1 is owned twice, by page 3 and by page 8";
    case 2:
        pfn_get(&sc->core.pfns, 0)->slot = sc->slot_standby;
        return "slot 0 is owned twice, by frame 0 and by frame 2";
    case 3:
        ck_assert_int_eq(pagefile_alloc(sc->core.pagefile, &leaked), 0);
        return "slot 2 is allocated but no page or frame owns it";
    case 4:
        pte_store(&ptes[8], pte_make_disk(1000));
        return "page 8 names slot 1000, beyond the page file's 16 slots";
    default:
        pfn_get(&sc->core.pfns, 0)->slot = 12;
        return "frame 0 names slot 12, which is not allocated";
    }
}
#define NCORRUPT_SLOTS 6

/* Build the scene, corrupt it, expect the sentence, tear down. */
static void expect_violation(const char *(*corrupt)(struct scene *, int),
                             int i)
{
    struct scene sc;
    scene_build(&sc);
    const char *want = corrupt(&sc, i);
    char msg[256] = "";
    ck_assert_int_eq(scene_audit(&sc, msg, sizeof msg), -1);
    ck_assert_str_eq(msg, want);
    /* the corrupted lists are not walked again: just free everything */
    stage_core_destroy(&sc.core);
}

START_TEST(test_list_corruption_is_named)
{
    expect_violation(corrupt_lists, _i);
}
END_TEST

START_TEST(test_pte_frame_mismatch_is_named)
{
    expect_violation(corrupt_links, _i);
}
END_TEST

START_TEST(test_slot_ownership_error_is_named)
{
    expect_violation(corrupt_slots, _i);
}
END_TEST

START_TEST(test_short_message_buffer_is_truncated_not_overrun)
{
    struct scene sc;
    scene_build(&sc);
    pfn_get(&sc.core.pfns, 1)->state = PFN_ACTIVE;
    char msg[12];
    memset(msg, 'x', sizeof msg);
    ck_assert_int_eq(scene_audit(&sc, msg, 8), -1);
    ck_assert_str_eq(msg, "frame 1");
    ck_assert_int_eq(msg[8], 'x');
    ck_assert_int_eq(audit_core(&sc.core, NULL, 0), -1);
    stage_core_destroy(&sc.core);
}
END_TEST

/* ---- the dirty rule (audit_dirty) ---------------------------------------- */

/* The scene keeps both dirty rules: page 0 is writable and dirty with no
 * slot, the modified frame owns none, the standby frame's page is clean. */
START_TEST(test_scene_keeps_both_dirty_rules)
{
    struct scene sc;
    scene_build(&sc);
    char msg[256] = "";
    ck_assert_msg(audit_dirty(&sc.core, AUDIT_DIRTY_MEANS_NO_SLOT, msg,
                              sizeof msg) == 0, "%s", msg);
    ck_assert_msg(audit_dirty(&sc.core, AUDIT_DIRTY_MEANS_WRITABLE, msg,
                              sizeof msg) == 0, "%s", msg);
    /* a clean read-only page with its slot keeps both too */
    pfn_get(&sc.core.pfns, 0)->slot = sc.slot_standby;
    pfn_get(&sc.core.pfns, 2)->slot = PAGEFILE_NO_SLOT;
    own(&sc, 2, 2, PFN_MODIFIED);
    pte_store(&sc.core.ptes[0], pte_make_valid(0, false, true, false));
    ck_assert_msg(audit_core(&sc.core, msg, sizeof msg) == 0, "%s", msg);
    ck_assert_msg(audit_dirty(&sc.core, AUDIT_DIRTY_MEANS_NO_SLOT, msg,
                              sizeof msg) == 0, "%s", msg);
    ck_assert_msg(audit_dirty(&sc.core, AUDIT_DIRTY_MEANS_WRITABLE, msg,
                              sizeof msg) == 0, "%s", msg);
    stage_core_destroy(&sc.core);
}
END_TEST

/* One way of breaking a dirty rule: the rule, the sentence, and whether
 * the other rule accepts the same state. */
struct dirty_break {
    enum audit_dirty_rule rule;
    uint64_t valid_bits; /* page 0's PTE: writable, dirty */
    bool active_slot;    /* frame 0 (page 0's) owns a slot */
    bool modified_slot;  /* frame 1 (modified) owns a slot */
    const char *want;
    bool other_rule_passes;
};

static const struct dirty_break dirty_breaks[] = {
    { AUDIT_DIRTY_MEANS_NO_SLOT, 2, false, false,
      "page 0 (frame 0) is writable but clean", false },
    { AUDIT_DIRTY_MEANS_WRITABLE, 2, false, false,
      "page 0 (frame 0) is writable but clean", false },
    { AUDIT_DIRTY_MEANS_NO_SLOT, 3, true, false,
      "page 0 (frame 0) is dirty but its frame still owns a (stale) slot",
      true },
    { AUDIT_DIRTY_MEANS_NO_SLOT, 0, false, false,
      "page 0 (frame 0) is clean but its frame owns no slot", true },
    { AUDIT_DIRTY_MEANS_NO_SLOT, 3, false, true,
      "frame 1 is modified but owns slot 2", true },
    { AUDIT_DIRTY_MEANS_WRITABLE, 1, true, false,
      "page 0 (frame 0) is dirty but read-only", false },
};
#define NDIRTY_BREAKS (int)(sizeof dirty_breaks / sizeof dirty_breaks[0])

START_TEST(test_dirty_rule_break_is_named)
{
    const struct dirty_break *b = &dirty_breaks[_i];
    struct scene sc;
    scene_build(&sc);
    bool writable = b->valid_bits & 2, dirty = b->valid_bits & 1;
    pte_store(&sc.core.ptes[0], pte_make_valid(0, writable, true, dirty));
    uint64_t slot;
    ck_assert_int_eq(pagefile_alloc(sc.core.pagefile, &slot), 0);
    ck_assert_uint_eq(slot, 2);
    pfn_get(&sc.core.pfns, b->active_slot ? 0 : 1)->slot = slot;
    if (!b->active_slot && !b->modified_slot) {
        pfn_get(&sc.core.pfns, 1)->slot = PAGEFILE_NO_SLOT;
        pagefile_free(sc.core.pagefile, slot);
    }
    char msg[256] = "";
    ck_assert_msg(audit_core(&sc.core, msg, sizeof msg) == 0, "%s", msg);
    ck_assert_int_eq(audit_dirty(&sc.core, b->rule, msg, sizeof msg), -1);
    ck_assert_str_eq(msg, b->want);
    enum audit_dirty_rule other = b->rule == AUDIT_DIRTY_MEANS_NO_SLOT
                                      ? AUDIT_DIRTY_MEANS_WRITABLE
                                      : AUDIT_DIRTY_MEANS_NO_SLOT;
    ck_assert_int_eq(audit_dirty(&sc.core, other, NULL, 0),
                     b->other_rule_passes ? 0 : -1);
    stage_core_destroy(&sc.core);
}
END_TEST

static Suite *make_audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *core = check_util_tcase(s, "core", "public", 60);
    tcase_add_test(core, test_fresh_core_passes);
    tcase_add_test(core, test_every_frame_state_passes);
    tcase_add_test(core, test_in_flight_and_cached_frames_pass_off_list);
    tcase_add_test(core, test_unlisted_active_frames_pass_off_list);
    tcase_add_test(core, test_scene_keeps_both_dirty_rules);
    TCase *limits = check_util_tcase(s, "limits", "public", 60);
    tcase_add_loop_test(limits, test_list_corruption_is_named, 0,
                        NCORRUPT_LISTS);
    tcase_add_loop_test(limits, test_pte_frame_mismatch_is_named, 0,
                        NCORRUPT_LINKS);
    tcase_add_loop_test(limits, test_slot_ownership_error_is_named, 0,
                        NCORRUPT_SLOTS);
    tcase_add_test(limits, test_short_message_buffer_is_truncated_not_overrun);
    tcase_add_loop_test(limits, test_dirty_rule_break_is_named, 0,
                        NDIRTY_BREAKS);
    return s;
}

CHECK_MAIN(make_audit_suite)

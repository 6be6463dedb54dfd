/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_failover.c — the failover state machine driven by injected events
 * over fake ports: every transition, and the bad situations (no backup,
 * VF never returning, both members gone, flapping, removal during return),
 * and path liveness (a path that stops answering, a returning VF verified);
 * and every row of the header's transition table (VFO_FO_TRANSITIONS).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vfo_failover.h"

/* The fake ports the machine acts on. */
struct fake {
	bool present[VFO_MEMBER_COUNT];		  /* member has a port */
	bool link[VFO_MEMBER_COUNT];		  /* link state while present */
	bool link_on_attach;			  /* link state a new attach comes up with */
	int active;				  /* set_active's last argument */
	uint64_t now;				  /* µs */
	uint64_t rx[VFO_MEMBER_COUNT];		  /* rx counters */
	int attach_err;				  /* attach returns this (0 = works) */
	unsigned int attaches;			  /* attach calls */
	unsigned int detaches;			  /* detach calls */
	unsigned int announces[VFO_MEMBER_COUNT]; /* announce calls */
	uint64_t detach_lost;			  /* what detach reports lost */
	bool detach_unknown;			  /* detach cannot count what was lost */
	int detach_ret;				  /* detach returns this (0 or -EINPROGRESS) */
	unsigned int poll_done;			  /* members whose pending release poll ends */
	int set_active_ret;			  /* set_active returns this (0 = works) */
	uint64_t marks;				  /* poll_mark calls */
	bool workers_run;			  /* polled_since: the workers poll */
	char devargs[VFO_DEVARGS_MAX];		  /* last attach's devargs */
	uint64_t replies[VFO_MEMBER_COUNT];	  /* path replies counters */
	bool tx_done_unknown[VFO_MEMBER_COUNT];	  /* the PMD cannot tell TX completion */
	unsigned int probes[VFO_MEMBER_COUNT];	  /* probe calls that succeeded */
	int probe_err;				  /* probe returns this (0 = works) */
	uint32_t probe_target;			  /* last probe's target */
};

static struct fake fk;
static struct vfo_failover fo;

static int
f_set_active(void *ctx, int id)
{
	(void)ctx;
	if (fk.set_active_ret != 0 && fk.set_active_ret != -ETIMEDOUT)
		return fk.set_active_ret; /* nothing changed */
	fk.active = id;
	return fk.set_active_ret;
}

static int
f_attach(void *ctx, int id, const char *devargs)
{
	(void)ctx;
	fk.attaches++;
	snprintf(fk.devargs, sizeof(fk.devargs), "%s", devargs);
	if (fk.attach_err != 0)
		return fk.attach_err;
	fk.present[id] = true;
	fk.link[id] = fk.link_on_attach;
	return 0;
}

/* Fills 'rel' as the fake's settings say. */
static void
f_release(struct vfo_release *rel, bool done)
{
	memset(rel, 0, sizeof(*rel));
	rel->done = done;
	rel->exact = !fk.detach_unknown;
	rel->lost = fk.detach_lost;
	snprintf(rel->why, sizeof(rel->why), "%s", done ? "" : "fake: pending");
	snprintf(rel->note, sizeof(rel->note), "%s", fk.detach_unknown ? "fake: unknown" : "");
}

static int
f_detach(void *ctx, int id, struct vfo_release *rel)
{
	(void)ctx;
	fk.detaches++;
	fk.present[id] = false;
	fk.link[id] = false;
	f_release(rel, fk.detach_ret == 0);
	return fk.detach_ret;
}

static unsigned int
f_poll(void *ctx, struct vfo_release rel[VFO_MEMBER_COUNT])
{
	unsigned int done = fk.poll_done;
	int id;

	(void)ctx;
	for (id = 0; id < VFO_MEMBER_COUNT; id++)
		if (done & (1u << id))
			f_release(&rel[id], true);
	fk.poll_done = 0;
	return done;
}

static bool
f_present(void *ctx, int id)
{
	(void)ctx;
	return fk.present[id];
}

static bool
f_link_up(void *ctx, int id)
{
	(void)ctx;
	return fk.present[id] && fk.link[id];
}

static uint64_t
f_rx_count(void *ctx, int id)
{
	(void)ctx;
	return fk.rx[id];
}

static uint64_t
f_poll_mark(void *ctx)
{
	(void)ctx;
	return ++fk.marks;
}

static bool
f_polled_since(void *ctx, uint64_t mark)
{
	(void)ctx;
	return fk.workers_run && mark <= fk.marks;
}

static void
f_announce(void *ctx, int id)
{
	(void)ctx;
	fk.announces[id]++;
}

static uint64_t
f_now_us(void *ctx)
{
	(void)ctx;
	return fk.now;
}

static int
f_probe(void *ctx, int id, uint32_t target)
{
	(void)ctx;
	assert_true(fk.present[id]);
	if (fk.probe_err != 0)
		return fk.probe_err;
	fk.probes[id]++;
	fk.probe_target = target;
	return 0;
}

static uint64_t
f_path_replies(void *ctx, int id)
{
	(void)ctx;
	return fk.replies[id];
}

static bool
f_tx_done_known(void *ctx, int id)
{
	(void)ctx;
	return !fk.tx_done_unknown[id];
}

static const struct vfo_fo_ops fake_ops = {
	.set_active = f_set_active,
	.attach = f_attach,
	.detach = f_detach,
	.poll = f_poll,
	.present = f_present,
	.link_up = f_link_up,
	.rx_count = f_rx_count,
	.poll_mark = f_poll_mark,
	.polled_since = f_polled_since,
	.tx_done_known = f_tx_done_known,
	.announce = f_announce,
	.now_us = f_now_us,
	.probe = f_probe,
	.path_replies = f_path_replies,
};

/* Both members present and up, VF active. */
static int
setup(void **state)
{
	static const char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX] = {"vf0", "bk0"};
	struct vfo_fo_conf conf;

	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.present[0] = fk.present[1] = true;
	fk.link[0] = fk.link[1] = true;
	fk.link_on_attach = true;
	fk.workers_run = true;
	fk.now = 1000;
	vfo_fo_conf_defaults(&conf);
	vfo_fo_init(&fo, "t", &conf, &fake_ops, NULL, devargs, VFO_FO_VF_ACTIVE);
	return 0;
}

/* As setup(), with path liveness on: target 10.0.0.1, 100 ms, 3 missed. */
static int
setup_path(void **state)
{
	static const char devargs[VFO_MEMBER_COUNT][VFO_DEVARGS_MAX] = {"vf0", "bk0"};
	struct vfo_fo_conf conf;

	setup(state);
	vfo_fo_conf_defaults(&conf);
	conf.path_target = 0x0a000001;
	conf.path_interval_us = 100000;
	conf.path_missed = 3;
	vfo_fo_init(&fo, "t", &conf, &fake_ops, NULL, devargs, VFO_FO_VF_ACTIVE);
	return 0;
}

/* Runs an event that must succeed. */
static void
ev(enum vfo_fo_event e)
{
	char why[128] = "";

	assert_int_equal(vfo_fo_handle(&fo, e, NULL, why, sizeof(why)), 0);
}

/* Advances the fake clock by 'us' and ticks. */
static void
tick(uint64_t us)
{
	fk.now += us;
	ev(VFO_EV_TICK);
}

/* Brings the machine (set up by setup()) to state 's' by events, both
 * members up, as the runtime would get there. */
static void
tt_reach(enum vfo_fo_state s)
{
	switch (s) {
	case VFO_FO_VF_ACTIVE:
		break;
	case VFO_FO_DRAINING:
		ev(VFO_EV_PREPARE);
		break;
	case VFO_FO_BACKUP_VF_GONE:
		ev(VFO_EV_PREPARE);
		tick(fo.conf.settle_us + 1); /* quiet: the workers' mark */
		tick(1);		     /* they polled since */
		break;
	case VFO_FO_VF_RETURNING:
		tt_reach(VFO_FO_BACKUP_VF_GONE);
		fk.link_on_attach = false;
		ev(VFO_EV_ATTACH);
		break;
	case VFO_FO_BACKUP_VF_PRESENT:
		fk.link[VFO_MEMBER_VF] = false;
		ev(VFO_EV_LINK_CHANGE);
		break;
	case VFO_FO_NO_MEMBER:
		fk.link[VFO_MEMBER_VF] = fk.link[VFO_MEMBER_BACKUP] = false;
		ev(VFO_EV_LINK_CHANGE);
		break;
	default:
		fail_msg("no way to state %d", s);
	}
	assert_int_equal(fo.state, s);
}

/* Planned: prepare moves TX at once, drains while VF RX moves, then releases. */
static void
test_planned_drain_then_release(void **state)
{
	(void)state;
	ev(VFO_EV_PREPARE);
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_int_equal(fk.announces[VFO_MEMBER_BACKUP], 1);
	/* Stragglers keep arriving on the VF: no release. */
	for (int i = 0; i < 5; i++) {
		fk.rx[VFO_MEMBER_VF] += 10;
		tick(1000);
		assert_int_equal(fo.state, VFO_FO_DRAINING);
		assert_true(fk.present[VFO_MEMBER_VF]);
	}
	tick(1000); /* quiet 1 ms: not yet */
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	tick(1500); /* quiet 2.5 ms >= settle 2 ms: the workers' progress is marked */
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	fk.workers_run = false; /* a descheduled worker does not make it quiet */
	tick(100);
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	fk.workers_run = true; /* they polled since: released */
	tick(100);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_false(fk.present[VFO_MEMBER_VF]);
	assert_int_equal(fk.detaches, 1);
	/* prepare again is harmless */
	ev(VFO_EV_PREPARE);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
}

/*
 * A drain never outlasts max_drain_us, even with RX still moving; the tick
 * that ends it so reports a timeout (and the timeline notes it).
 */
static void
test_drain_bounded(void **state)
{
	char why[128] = "";
	int ret = 0;

	(void)state;
	ev(VFO_EV_REMOVE_REQUEST);
	while (fo.state == VFO_FO_DRAINING && fk.now < 10000000) {
		fk.rx[VFO_MEMBER_VF]++;
		fk.now += 1000;
		ret = vfo_fo_handle(&fo, VFO_EV_TICK, NULL, why, sizeof(why));
	}
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_true(fk.now - 1000 <= fo.conf.max_drain_us + 1000);
	assert_int_equal(ret, -ETIMEDOUT);
	assert_non_null(strstr(why, "not quiet"));
	assert_int_equal(fo.timeouts, 1);
	assert_int_equal(fo.lost_planned, 0);
}

/*
 * A drain lasts at least min_drain_us: quiet RX before then does not end
 * it (what TX left in the VF's ring may still come back), and a packet
 * that comes back meanwhile starts the quiet window again.
 */
static void
test_drain_min(void **state)
{
	(void)state;
	fo.conf.min_drain_us = 20000;
	ev(VFO_EV_PREPARE);
	tick(3000); /* quiet: the mark */
	tick(100);  /* polled since, but 3.1 ms < 20 ms */
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	tick(10000);
	fk.rx[VFO_MEMBER_VF] += 32; /* the peer answers what it took late */
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	tick(7000); /* 21.1 ms: quiet again, mark */
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	tick(100); /* polled since, past min_drain_us */
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fo.timeouts, 0);
}

/*
 * A VF whose PMD cannot tell when its peer took a packet (memif, virtio):
 * its RX must be quiet for min_drain_us, the time its peer is given, not
 * only settle_us; a late answer starts that window again.
 */
static void
test_drain_quiet_tx_done_unknown(void **state)
{
	(void)state;
	fk.tx_done_unknown[VFO_MEMBER_VF] = true;
	fo.conf.min_drain_us = 20000;
	ev(VFO_EV_PREPARE);
	tick(10000);
	fk.rx[VFO_MEMBER_VF] += 32; /* the peer answers what it took late */
	tick(1000);		    /* 11 ms: the quiet window starts again */
	tick(15000);		    /* 26 ms: quiet 15 ms, past settle_us and min_drain_us */
	tick(100);
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	tick(5000); /* 31.1 ms: quiet 20.1 ms, the mark */
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	tick(100); /* polled since */
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fo.timeouts, 0);
}

/*
 * A returning VF with link gets TX only once the workers have polled its RX
 * since (a memif client gives its peer room to answer only when polled):
 * while they do not run, TX stays on the backup.
 */
static void
test_returning_vf_rx_polled_first(void **state)
{
	(void)state;
	tt_reach(VFO_FO_BACKUP_VF_GONE);
	fk.workers_run = false;
	fk.link_on_attach = true;
	ev(VFO_EV_ATTACH);
	tick(1000);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	fk.workers_run = true;
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	assert_false(fo.vf_rx_marked);
}

/*
 * A drain whose VF RX is still but whose workers do not poll again (they
 * are not scheduled) ends at max_drain_us too, reporting a timeout: the
 * VF's RX ring may hold packets nobody read.
 */
static void
test_drain_bounded_workers_stalled(void **state)
{
	char why[160] = "";
	int ret = 0;

	(void)state;
	fk.workers_run = false;
	ev(VFO_EV_REMOVE_REQUEST);
	while (fo.state == VFO_FO_DRAINING && fk.now < 10000000) {
		fk.now += 1000;
		ret = vfo_fo_handle(&fo, VFO_EV_TICK, NULL, why, sizeof(why));
	}
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_true(fk.now - 1000 <= fo.conf.max_drain_us + 1000);
	assert_int_equal(ret, -ETIMEDOUT);
	assert_non_null(strstr(why, "did not poll it again"));
	assert_int_equal(fo.timeouts, 1);
}

/*
 * Loss is counted apart for planned and unplanned releases, and a release
 * whose PMD cannot tell what its rings held is counted as unknown, not 0.
 */
static void
test_loss_planned_unplanned_unknown(void **state)
{
	(void)state;
	fk.detach_lost = 5;
	tt_reach(VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fo.lost_planned, 5);
	assert_int_equal(fo.planned_unconfirmed, 0);
	assert_int_equal(fo.lost_unplanned, 0);
	ev(VFO_EV_ATTACH);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	fk.detach_unknown = true;
	fk.detach_lost = 0;
	ev(VFO_EV_VF_GONE);
	assert_int_equal(fo.lost_unplanned, 0);
	assert_int_equal(fo.lost_unplanned_unknown, 1);
	assert_int_equal(fo.lost_planned, 5);
}

/*
 * A switch whose previous grace period is still running is refused, with
 * nothing changed; one whose own grace period outlasts its bound moves TX
 * and reports the timeout.
 */
static void
test_switch_grace_timeouts(void **state)
{
	char why[128] = "";

	(void)state;
	fk.set_active_ret = -EBUSY;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_PREPARE, NULL, why, sizeof(why)), -ETIMEDOUT);
	assert_non_null(strstr(why, "TX not moved"));
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	fk.set_active_ret = -ETIMEDOUT;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_PREPARE, NULL, why, sizeof(why)), -ETIMEDOUT);
	assert_non_null(strstr(why, "has not let go"));
	assert_int_equal(fo.state, VFO_FO_DRAINING);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_int_equal(fo.timeouts, 2);
}

/*
 * A release that outlasts its bound goes on in the background: the event
 * reports it, the VF counts as gone, and a later tick counts its loss.
 */
static void
test_release_pending(void **state)
{
	char why[128] = "";

	(void)state;
	fk.detach_ret = -EINPROGRESS;
	fk.detach_lost = 3;
	ev(VFO_EV_PREPARE);
	tick(3000); /* quiet: the mark */
	fk.now += 100;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_TICK, NULL, why, sizeof(why)), -EINPROGRESS);
	assert_non_null(strstr(why, "release pending"));
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fo.lost_planned, 0);
	fk.poll_done = 1u << VFO_MEMBER_VF;
	tick(1000);
	assert_int_equal(fo.lost_planned, 3);
	assert_int_equal(fo.lost_unplanned, 0);
}

/* Prepare with no usable backup is refused and changes nothing. */
static void
test_prepare_without_backup_refused(void **state)
{
	char why[128] = "";

	(void)state;
	fk.link[VFO_MEMBER_BACKUP] = false;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_PREPARE, NULL, why, sizeof(why)), -EAGAIN);
	assert_non_null(strstr(why, "backup"));
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, 0);
	assert_true(fk.present[VFO_MEMBER_VF]);
}

/* A removal request must release the VF even with no backup. */
static void
test_remove_request_without_backup(void **state)
{
	(void)state;
	fk.present[VFO_MEMBER_BACKUP] = false;
	ev(VFO_EV_REMOVE_REQUEST);
	assert_int_equal(fo.state, VFO_FO_NO_MEMBER);
	assert_int_equal(fk.active, -1);
	assert_false(fk.present[VFO_MEMBER_VF]);
}

/* Unplanned: link down switches at once; link up switches back and announces. */
static void
test_link_down_and_back(void **state)
{
	(void)state;
	fk.link[VFO_MEMBER_VF] = false;
	ev(VFO_EV_LINK_CHANGE);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	fk.link[VFO_MEMBER_VF] = true;
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	assert_int_equal(fk.announces[VFO_MEMBER_VF], 1);
	assert_int_equal(fo.switches, 2);
}

/* A VF whose link stays down is released and probed again, and comes back. */
static void
test_link_down_too_long_reprobes(void **state)
{
	unsigned int before;

	(void)state;
	fk.link[VFO_MEMBER_VF] = false;
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	before = fk.attaches;
	tick(fo.conf.reprobe_down_us / 2);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	assert_true(fk.present[VFO_MEMBER_VF]);
	tick(fo.conf.reprobe_down_us / 2 + 1000);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_false(fk.present[VFO_MEMBER_VF]);
	tick(1000); /* the retry is due at once: probed again (link comes up) */
	assert_int_equal(fk.attaches, before + 1);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
}

/* Surprise removal: what the rings held is counted as lost. */
static void
test_vf_gone_counts_loss(void **state)
{
	(void)state;
	fk.detach_lost = 17;
	ev(VFO_EV_VF_GONE);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_int_equal(fo.lost_unplanned, 17);
}

/* Return: attach, wait for link, then TX back on the VF. */
static void
test_return_of_vf(void **state)
{
	char why[128];

	(void)state;
	ev(VFO_EV_VF_GONE);
	fk.link_on_attach = false;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, "vf1,x=y", why, sizeof(why)), 0);
	assert_string_equal(fk.devargs, "vf1,x=y");
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	fk.link[VFO_MEMBER_VF] = true;
	ev(VFO_EV_LINK_CHANGE);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	/* A device-add uevent without devargs reuses the stored ones. */
	ev(VFO_EV_VF_GONE);
	ev(VFO_EV_VF_ADDED);
	assert_string_equal(fk.devargs, "vf1,x=y");
}

/* A VF that does not come back: retries back off, then give up. */
static void
test_attach_retries_with_backoff(void **state)
{
	char why[128] = "";
	uint64_t first_delay;
	unsigned int before;

	(void)state;
	ev(VFO_EV_VF_GONE);
	fk.attach_err = -ENODEV;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, NULL, why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "vf0"));
	assert_true(fo.retry_pending);
	first_delay = fo.retry_delay_us;
	before = fk.attaches;
	tick(first_delay / 2);
	assert_int_equal(fk.attaches, before); /* not yet */
	tick(first_delay);
	assert_int_equal(fk.attaches, before + 1);
	assert_int_equal(fo.retry_delay_us, 2 * first_delay);
	/* Keep failing: the delay is capped and attempts stop. */
	while (fo.retry_pending)
		tick(fo.conf.retry_max_us);
	assert_true(fo.retry_delay_us <= fo.conf.retry_max_us);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	before = fk.attaches;
	tick(fo.conf.retry_max_us * 3);
	assert_int_equal(fk.attaches, before);
	/* The device comes back: a manual attach works again. */
	fk.attach_err = 0;
	ev(VFO_EV_ATTACH);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	assert_false(fo.retry_pending);
}

/* Both members gone: no member, then either returning resumes traffic. */
static void
test_both_gone_then_resume(void **state)
{
	(void)state;
	ev(VFO_EV_VF_GONE);
	fk.present[VFO_MEMBER_BACKUP] = false;
	ev(VFO_EV_BACKUP_GONE);
	assert_int_equal(fo.state, VFO_FO_NO_MEMBER);
	assert_int_equal(fk.active, -1);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_NO_MEMBER);
	ev(VFO_EV_BACKUP_ADDED);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	ev(VFO_EV_ATTACH);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
}

/* A removal request while the VF is returning releases it again. */
static void
test_remove_during_return(void **state)
{
	(void)state;
	ev(VFO_EV_VF_GONE);
	fk.link_on_attach = false;
	ev(VFO_EV_ATTACH);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	ev(VFO_EV_REMOVE_REQUEST);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_false(fk.present[VFO_MEMBER_VF]);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
}

/* A flapping VF: every flap is two switches, and it ends where it should. */
static void
test_flapping(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 100; i++) {
		fk.link[VFO_MEMBER_VF] = false;
		tick(100);
		assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
		fk.link[VFO_MEMBER_VF] = true;
		tick(100);
		assert_int_equal(fk.active, VFO_MEMBER_VF);
	}
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fo.switches, 200);
}

/* prefer backup / prefer vf move TX without releasing anything. */
static void
test_prefer(void **state)
{
	(void)state;
	ev(VFO_EV_PREFER_BACKUP);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_true(fk.present[VFO_MEMBER_VF]);
	tick(1000);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	ev(VFO_EV_PREFER_VF);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	assert_int_equal(fk.detaches, 0);
}

/* Attach while draining or while the VF is active is refused. */
static void
test_attach_refused_when_busy(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, NULL, why, sizeof(why)), -EEXIST);
	ev(VFO_EV_PREPARE);
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, NULL, why, sizeof(why)), -EBUSY);
	assert_int_equal(fo.state, VFO_FO_DRAINING);
}

/*
 * Devargs given with attach are stored only once the VF came up from them:
 * a refused attach (VF present, being released) changes nothing, a failed
 * one is retried with its own devargs and leaves the VF's as they were.
 */
static void
test_attach_devargs_stored_on_success(void **state)
{
	char why[256];

	(void)state;
	/* Refused by the state: nothing stored. */
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, "evil0", why, sizeof(why)), -EEXIST);
	assert_string_equal(fo.devargs[VFO_MEMBER_VF], "vf0");
	ev(VFO_EV_PREPARE);
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, "evil0", why, sizeof(why)), -EBUSY);
	assert_string_equal(fo.devargs[VFO_MEMBER_VF], "vf0");
	while (fo.state == VFO_FO_DRAINING)
		tick(fo.conf.max_drain_us);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	/* Fails: the VF's devargs stay, the retry probes the new ones. */
	fk.attach_err = -ENODEV;
	assert_int_equal(vfo_fo_handle(&fo, VFO_EV_ATTACH, "vf1", why, sizeof(why)), -ENODEV);
	assert_non_null(strstr(why, "vf1"));
	assert_string_equal(fo.devargs[VFO_MEMBER_VF], "vf0");
	assert_true(fo.retry_pending);
	fk.devargs[0] = '\0';
	tick(fo.retry_delay_us);
	assert_string_equal(fk.devargs, "vf1");
	assert_string_equal(fo.devargs[VFO_MEMBER_VF], "vf0");
	/* The retry works: now they are the VF's. */
	fk.attach_err = 0;
	tick(fo.retry_delay_us);
	assert_string_equal(fk.devargs, "vf1");
	assert_string_equal(fo.devargs[VFO_MEMBER_VF], "vf1");
	assert_string_equal(fo.retry_devargs, "");
	assert_false(fo.retry_pending);
}

/* The timeline keeps the last VFO_FO_TIMELINE entries, oldest first. */
static void
test_timeline_bounded(void **state)
{
	json_t *tl;
	int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		fk.link[VFO_MEMBER_VF] = i % 2 != 0;
		tick(10);
	}
	tl = vfo_fo_timeline_json(&fo);
	assert_int_equal(json_array_size(tl), VFO_FO_TIMELINE);
	assert_true(json_integer_value(json_object_get(json_array_get(tl, 0), "t_us")) <
		    json_integer_value(
			    json_object_get(json_array_get(tl, VFO_FO_TIMELINE - 1), "t_us")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(tl, 0), "event")),
			    "tick");
	json_decref(tl);
}

/*
 * Advances the fake clock by 'us' in 10 ms ticks; every member marked in
 * 'answering' (bit per member) answers each probe it is handed.
 */
static void
run_path(uint64_t us, unsigned int answering)
{
	uint64_t t;
	int id;

	for (t = 0; t < us; t += 10000) {
		unsigned int before[VFO_MEMBER_COUNT];

		for (id = 0; id < VFO_MEMBER_COUNT; id++)
			before[id] = fk.probes[id];
		tick(10000);
		for (id = 0; id < VFO_MEMBER_COUNT; id++)
			if ((answering & (1u << id)) && fk.probes[id] != before[id])
				fk.replies[id]++;
	}
}

/* Returns how many timeline entries hold 's' in their detail. */
static unsigned int
timeline_count(const char *s)
{
	json_t *tl = vfo_fo_timeline_json(&fo), *e;
	unsigned int n = 0;
	size_t i;

	json_array_foreach(tl, i, e)
	{
		n += strstr(json_string_value(json_object_get(e, "detail")), s) != NULL;
	}
	json_decref(tl);
	return n;
}

/* Returns true when the timeline holds an entry whose detail contains 's'. */
static bool
timeline_has(const char *s)
{
	return timeline_count(s) > 0;
}

/* A VF whose path stops answering (link still up) loses TX after
 * path_missed intervals, not before; it gets TX back when it answers. */
static void
test_path_failure_switches(void **state)
{
	(void)state;
	run_path(1000000, 3);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	/* One probe per member per interval, to the target. */
	assert_in_range(fk.probes[VFO_MEMBER_VF], 10, 11);
	assert_int_equal(fk.probes[VFO_MEMBER_BACKUP], fk.probes[VFO_MEMBER_VF]);
	assert_int_equal(fk.probe_target, 0x0a000001);
	assert_true(fo.path[VFO_MEMBER_VF].up);
	/* The VF goes silent: it keeps TX for 3 intervals after its last reply,
	 * and loses it at the first tick after that. */
	uint64_t last = fo.path[VFO_MEMBER_VF].last_reply_us;
	while (fo.state == VFO_FO_VF_ACTIVE && fk.now < last + 1000000) {
		assert_int_equal(fk.active, VFO_MEMBER_VF);
		run_path(10000, 1u << VFO_MEMBER_BACKUP);
	}
	assert_in_range(fk.now - last, 300001, 310000);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_int_equal(fo.path[VFO_MEMBER_VF].failures, 1);
	assert_true(timeline_has("vf path failed"));
	assert_true(timeline_has("VF path silent"));
	/* Link up but no path: never released and probed again (that would not
	 * help a path), and still probed. */
	unsigned int probes = fk.probes[VFO_MEMBER_VF];
	run_path(3 * fo.conf.reprobe_down_us, 1u << VFO_MEMBER_BACKUP);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	assert_int_equal(fk.detaches, 0);
	assert_true(fk.probes[VFO_MEMBER_VF] >= probes + 29);
	/* It answers again: TX back on the VF at the next tick after the reply. */
	run_path(100000, 3);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	assert_true(timeline_has("vf path answers"));
}

/* A returning VF with link up stays VF_RETURNING until its path answers. */
static void
test_returning_vf_needs_path(void **state)
{
	(void)state;
	run_path(200000, 3);
	ev(VFO_EV_PREPARE);
	run_path(50000, 3);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	/* Absent: no probes for the VF. */
	unsigned int probes = fk.probes[VFO_MEMBER_VF];
	run_path(500000, 3);
	assert_int_equal(fk.probes[VFO_MEMBER_VF], probes);
	/* Back with link up, but its path does not answer (yet). */
	ev(VFO_EV_ATTACH);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	assert_false(fo.path[VFO_MEMBER_VF].up);
	run_path(2000000, 1u << VFO_MEMBER_BACKUP);
	assert_int_equal(fo.state, VFO_FO_VF_RETURNING);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_true(fk.probes[VFO_MEMBER_VF] >= probes + 19);
	/* The first reply makes it usable. */
	run_path(100000, 3);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
}

/* Both paths silent, links up: TX stays on the VF (dropping would deliver
 * nothing), noted once; the backup answering takes TX, the VF answering
 * takes it back. */
static void
test_path_both_silent(void **state)
{
	(void)state;
	run_path(500000, 0);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_int_equal(fk.active, VFO_MEMBER_VF);
	assert_false(fo.path[VFO_MEMBER_VF].up);
	assert_int_equal(timeline_count("TX stays on vf"), 1);
	run_path(100000, 1u << VFO_MEMBER_BACKUP);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_PRESENT);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	run_path(100000, 3);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
}

/* The VF gone and the backup's path silent (as after a migration on a
 * stalled guest): TX stays on the backup, nothing dropped; NO_MEMBER only
 * once the backup loses link, and its link back puts TX on it again. */
static void
test_path_silent_sole_member_keeps_tx(void **state)
{
	(void)state;
	run_path(100000, 3);
	ev(VFO_EV_VF_GONE);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	run_path(500000, 0);
	assert_false(fo.path[VFO_MEMBER_BACKUP].up);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_int_equal(timeline_count("TX stays on backup"), 1);
	fk.link[VFO_MEMBER_BACKUP] = false;
	ev(VFO_EV_LINK_CHANGE);
	assert_int_equal(fo.state, VFO_FO_NO_MEMBER);
	assert_int_equal(fk.active, -1);
	fk.link[VFO_MEMBER_BACKUP] = true;
	run_path(30000, 0);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
	assert_int_equal(fk.active, VFO_MEMBER_BACKUP);
	assert_int_equal(timeline_count("TX moved to backup"), 1);
	run_path(100000, 1u << VFO_MEMBER_BACKUP);
	assert_true(fo.path[VFO_MEMBER_BACKUP].up);
	assert_int_equal(fo.state, VFO_FO_BACKUP_VF_GONE);
}

/* A probe that cannot be handed over (no mbufs, previous still waiting) is
 * tried again at the next tick, not a whole interval later, and not counted. */
static void
test_path_probe_retried(void **state)
{
	(void)state;
	run_path(100000, 3);
	unsigned int probes = fk.probes[VFO_MEMBER_VF];
	fk.probe_err = -ENOMEM;
	run_path(200000, 3);
	assert_int_equal(fk.probes[VFO_MEMBER_VF], probes);
	fk.probe_err = 0;
	run_path(10000, 3);
	assert_int_equal(fk.probes[VFO_MEMBER_VF], probes + 1);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
}

/* Path liveness off: no probes, and link alone decides. */
static void
test_path_off_sends_nothing(void **state)
{
	(void)state;
	run_path(1000000, 0);
	assert_int_equal(fk.probes[VFO_MEMBER_VF] + fk.probes[VFO_MEMBER_BACKUP], 0);
	assert_int_equal(fo.state, VFO_FO_VF_ACTIVE);
	assert_null(vfo_fo_path_json(&fo));
}

/* ------------------------------------------------- the transition table */

/* How a member is when a row's event arrives (VFO_FO_TRANSITIONS). */
enum tt_member { TT_ABSENT, TT_DOWN, TT_UP };

/* What else holds when a row's event arrives (VFO_FO_TRANSITIONS). */
enum tt_when { TT_NOW, TT_LATER, TT_FAILS, TT_PREFER_BACKUP };

/* One row of VFO_FO_TRANSITIONS. */
struct tt_row {
	enum vfo_fo_state from, to; /* before and after the event */
	enum vfo_fo_event ev;	    /* the event */
	enum tt_member vf, backup;  /* the members as the event finds them */
	enum tt_when when;	    /* what else holds */
	int err;		    /* 0, or the errno the event is refused with */
	const char *text;	    /* the row as written, for failure messages */
};

#define TT_ROW(from_, ev_, vf_, bk_, when_, to_, err_)                                             \
	{.from = VFO_FO_##from_,                                                                   \
	 .to = VFO_FO_##to_,                                                                       \
	 .ev = VFO_EV_##ev_,                                                                       \
	 .vf = TT_##vf_,                                                                           \
	 .backup = TT_##bk_,                                                                       \
	 .when = TT_##when_,                                                                       \
	 .err = err_,                                                                              \
	 .text = #from_ " " #ev_ " vf=" #vf_ " backup=" #bk_ " " #when_ " -> " #to_ " " #err_},

static const struct tt_row tt_rows[] = {VFO_FO_TRANSITIONS(TT_ROW)};

/* Makes member 'id' of the fake ports 'm'. */
static void
tt_member_set(int id, enum tt_member m)
{
	fk.present[id] = m != TT_ABSENT;
	fk.link[id] = m == TT_UP;
}

/* Returns true when TX is where state 's' puts it (see VFO_FO_TRANSITIONS). */
static bool
tt_tx_ok(enum vfo_fo_state s, int tx)
{
	switch (s) {
	case VFO_FO_VF_ACTIVE:
		return tx == VFO_MEMBER_VF;
	case VFO_FO_NO_MEMBER:
		return tx == -1;
	case VFO_FO_VF_RETURNING:
		return tx == VFO_MEMBER_BACKUP || tx == -1;
	default:
		return tx == VFO_MEMBER_BACKUP;
	}
}

/* Every row: reach FROM, set the members and WHEN, run EVENT, check the
 * state the machine leaves on, the return, and where TX is. */
static void
test_transition_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(tt_rows) / sizeof(tt_rows[0]); i++) {
		const struct tt_row *r = &tt_rows[i];
		char why[128] = "";
		int ret;

		setup(state);
		tt_reach(r->from);
		tt_member_set(VFO_MEMBER_VF, r->vf);
		tt_member_set(VFO_MEMBER_BACKUP, r->backup);
		fk.link_on_attach = true;
		if (r->when == TT_LATER)
			fk.now += 10 * (fo.conf.max_drain_us + fo.conf.reprobe_down_us);
		else if (r->when == TT_FAILS)
			fk.attach_err = -EIO;
		else if (r->when == TT_PREFER_BACKUP)
			fo.conf.prefer_vf = false;
		ret = vfo_fo_handle(&fo, r->ev, NULL, why, sizeof(why));
		if (ret != -r->err || fo.state != r->to || !tt_tx_ok(fo.state, fo.tx))
			fail_msg("row '%s': returned %d (%s), left on %s with TX on %d", r->text,
				 ret, why, vfo_fo_state_name(fo.state), fo.tx);
		if (r->err != 0 && why[0] == '\0')
			fail_msg("row '%s': refused without a reason", r->text);
	}
}

/* Every (state, event) pair has a row: the table leaves nothing out. */
static void
test_transition_table_complete(void **state)
{
	bool seen[VFO_FO_STATE_COUNT][VFO_EV_COUNT] = {{false}};
	size_t i;
	int s, e;

	(void)state;
	for (i = 0; i < sizeof(tt_rows) / sizeof(tt_rows[0]); i++)
		seen[tt_rows[i].from][tt_rows[i].ev] = true;
	for (s = 0; s < VFO_FO_STATE_COUNT; s++)
		for (e = 0; e < VFO_EV_COUNT; e++)
			if (!seen[s][e])
				fail_msg("VFO_FO_TRANSITIONS has no row for %s on %s",
					 vfo_fo_state_name(s), vfo_fo_event_name(e));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_planned_drain_then_release, setup),
		cmocka_unit_test_setup(test_drain_bounded, setup),
		cmocka_unit_test_setup(test_drain_bounded_workers_stalled, setup),
		cmocka_unit_test_setup(test_drain_min, setup),
		cmocka_unit_test_setup(test_drain_quiet_tx_done_unknown, setup),
		cmocka_unit_test_setup(test_returning_vf_rx_polled_first, setup),
		cmocka_unit_test_setup(test_loss_planned_unplanned_unknown, setup),
		cmocka_unit_test_setup(test_switch_grace_timeouts, setup),
		cmocka_unit_test_setup(test_release_pending, setup),
		cmocka_unit_test_setup(test_prepare_without_backup_refused, setup),
		cmocka_unit_test_setup(test_remove_request_without_backup, setup),
		cmocka_unit_test_setup(test_link_down_and_back, setup),
		cmocka_unit_test_setup(test_link_down_too_long_reprobes, setup),
		cmocka_unit_test_setup(test_vf_gone_counts_loss, setup),
		cmocka_unit_test_setup(test_return_of_vf, setup),
		cmocka_unit_test_setup(test_attach_retries_with_backoff, setup),
		cmocka_unit_test_setup(test_both_gone_then_resume, setup),
		cmocka_unit_test_setup(test_remove_during_return, setup),
		cmocka_unit_test_setup(test_flapping, setup),
		cmocka_unit_test_setup(test_prefer, setup),
		cmocka_unit_test_setup(test_attach_refused_when_busy, setup),
		cmocka_unit_test_setup(test_attach_devargs_stored_on_success, setup),
		cmocka_unit_test_setup(test_timeline_bounded, setup),
		cmocka_unit_test_setup(test_path_failure_switches, setup_path),
		cmocka_unit_test_setup(test_returning_vf_needs_path, setup_path),
		cmocka_unit_test_setup(test_path_both_silent, setup_path),
		cmocka_unit_test_setup(test_path_silent_sole_member_keeps_tx, setup_path),
		cmocka_unit_test_setup(test_path_probe_retried, setup_path),
		cmocka_unit_test_setup(test_path_off_sends_nothing, setup),
		cmocka_unit_test(test_transition_table),
		cmocka_unit_test(test_transition_table_complete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * port_worker.c — the port worker: one control thread ("vfo-ports") that
 * runs the member jobs which may block inside a PMD (probe, configure and
 * start a returning member; stop, close and remove a leaving one), one at a
 * time and in order.  The thread that submits a job waits for it with a
 * deadline and goes on when the deadline passes (a vhost-user peer that
 * accepts the connection and never answers keeps virtio_user's probe in
 * recv() forever); the job stays queued or running, and its submitter
 * looks at it again later (uplink__job_done).  One thread, so DPDK's
 * hot-plug calls are never made concurrently by vfailover.
 *
 * Thread-safety: submit, wait and done from any thread; the job's fields
 * other than 'done' and 'next' belong to the worker from submit until
 * done, to the submitter otherwise.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include <rte_lcore.h>

#include "uplink_private.h"
#include "vfo_clock.h"

/** The worker: its queue and the conditions it signals. */
static struct {
	pthread_mutex_t lock;	 /**< guards everything below and every job's done/next */
	pthread_cond_t work;	 /**< signalled when a job is queued */
	pthread_cond_t finished; /**< broadcast when a job is done */
	struct uplink_job *head; /**< next job to run */
	struct uplink_job *tail; /**< last job queued */
	bool started;		 /**< the thread runs */
	pthread_t thread;	 /**< the thread */
} pw = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
};

/* The worker thread: runs queued jobs forever (the process ends it). */
static void *
worker_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pw.lock);
	for (;;) {
		struct uplink_job *j;

		while (pw.head == NULL)
			pthread_cond_wait(&pw.work, &pw.lock);
		j = pw.head;
		pw.head = j->next;
		if (pw.head == NULL)
			pw.tail = NULL;
		pthread_mutex_unlock(&pw.lock);
		j->run(j);
		pthread_mutex_lock(&pw.lock);
		j->done = true;
		pthread_cond_broadcast(&pw.finished);
	}
	return NULL;
}

/*
 * Starts the worker thread if needed; the 'finished' condition measures
 * time on CLOCK_MONOTONIC (the deadlines' clock).  Call with pw.lock held.
 * Returns 0 or a negative errno.
 */
static int
worker_start(void)
{
	pthread_condattr_t ca;
	int ret;

	if (pw.started)
		return 0;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pw.finished, &ca);
	pthread_condattr_destroy(&ca);
	ret = rte_ctrl_thread_create(&pw.thread, "vfo-ports", NULL, worker_main, NULL);
	if (ret != 0) {
		pthread_cond_destroy(&pw.finished);
		return -ret;
	}
	pthread_detach(pw.thread);
	pw.started = true;
	return 0;
}

int
uplink__job_submit(struct uplink_job *j)
{
	int ret;

	pthread_mutex_lock(&pw.lock);
	ret = worker_start();
	if (ret == 0) {
		j->done = false;
		j->next = NULL;
		j->submitted_us = vfo_mono_us();
		if (pw.tail != NULL)
			pw.tail->next = j;
		else
			pw.head = j;
		pw.tail = j;
		pthread_cond_signal(&pw.work);
	}
	pthread_mutex_unlock(&pw.lock);
	return ret;
}

int
uplink__job_wait(struct uplink_job *j, uint64_t deadline_us)
{
	struct timespec ts = {.tv_sec = (time_t)(deadline_us / 1000000),
			      .tv_nsec = (long)(deadline_us % 1000000) * 1000};
	int ret = 0;

	pthread_mutex_lock(&pw.lock);
	while (!j->done && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&pw.finished, &pw.lock, &ts);
	ret = j->done ? 0 : -ETIMEDOUT;
	pthread_mutex_unlock(&pw.lock);
	return ret;
}

bool
uplink__job_done(struct uplink_job *j)
{
	bool done;

	pthread_mutex_lock(&pw.lock);
	done = j->done;
	pthread_mutex_unlock(&pw.lock);
	return done;
}

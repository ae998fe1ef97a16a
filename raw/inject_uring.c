/* SPDX-License-Identifier: BSD-2-Clause */
/* The io_uring backend of the AF_PACKET transmitter: one linked SEND SQE per frame and one
 * submit per burst, so a failed frame cancels those after it and order is kept. */
#include <errno.h>

#include "raw/tx_int.h"

int pe__tx_send_uring(struct pe_tx *tx, const uint8_t *const *frames, const uint16_t *lens,
		      unsigned n, uint64_t *retries)
{
	unsigned done = 0, ok = pe__tx_within_limit(tx, frames, lens, n);

	while (done < ok) {
		unsigned todo = ok - done, fail_at = ok;
		int hard = 0, soft = 0, ret;

		for (unsigned i = 0; i < todo; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&tx->uring);

			io_uring_prep_send(sqe, tx->fd, frames[done + i], lens[done + i], 0);
			/* Linked: a failed frame cancels the rest, so order is kept and the
			 * resubmission starts exactly at the first frame not sent. */
			if (i + 1 < todo)
				sqe->flags |= IOSQE_IO_LINK;
			io_uring_sqe_set_data64(sqe, done + i);
		}
		ret = io_uring_submit_and_wait(&tx->uring, todo);
		if (ret < 0 && ret != -EINTR)
			return pe__tx_stop_at(tx, done, n, ret);
		/* every SQE submitted completes (sent, failed or cancelled): reap them all */
		for (unsigned got = 0; got < todo;) {
			struct io_uring_cqe *cqe;
			unsigned idx;

			ret = io_uring_wait_cqe(&tx->uring, &cqe);
			if (ret == -EINTR)
				continue;
			if (ret < 0)
				return pe__tx_stop_at(tx, done, n, ret);
			idx = (unsigned)io_uring_cqe_get_data64(cqe);
			if (cqe->res < 0 && idx < fail_at) {
				fail_at = idx;
				if (cqe->res != -ECANCELED) {
					if (pe__tx_soft_error(cqe->res))
						soft = cqe->res;
					else
						hard = cqe->res;
				}
			}
			io_uring_cqe_seen(&tx->uring, cqe);
			got++;
		}
		if (fail_at > done)
			pe__tx_progress(tx);
		done = fail_at;
		if (done == ok)
			break;
		if (hard)
			return pe__tx_stop_at(tx, done, n, hard);
		if (retries)
			(*retries)++;
		ret = pe__tx_backoff(tx, soft ? soft : -EAGAIN);
		if (ret)
			return pe__tx_stop_at(tx, done, n, ret);
	}
	return pe__tx_stop_at(tx, done, n, ok < n ? -EMSGSIZE : 0);
}

/* SPDX-License-Identifier: BSD-2-Clause */
/* Length-prefixed message decoding (see framing.h): messages inside one chunk are handed out in
 * place; only a message split across chunks is assembled in the decoder's buffer. */
#include "engine/framing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

long pe_lpm_parse(const void *buf, size_t len, uint32_t max_len, const void **msg, size_t *msg_len)
{
	const uint8_t *p = buf;
	uint32_t n;

	if (len < PE_LPM_HDR)
		return PE_LPM_PARTIAL;
	n = pe_lpm_get_hdr(p);
	if (n > max_len)
		return PE_LPM_TOOBIG;
	if (len - PE_LPM_HDR < n)
		return PE_LPM_PARTIAL;
	*msg = p + PE_LPM_HDR;
	*msg_len = n;
	return (long)(PE_LPM_HDR + n);
}

int pe_lpm_dec_init(struct pe_lpm_dec *d, uint32_t max_len)
{
	memset(d, 0, sizeof(*d));
	if (!max_len)
		return -EINVAL;
	d->max_len = max_len;
	return 0;
}

void pe_lpm_dec_free(struct pe_lpm_dec *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = d->have = 0;
}

void pe_lpm_push(struct pe_lpm_dec *d, const void *data, size_t len)
{
	d->in = data;
	d->in_len = len;
}

/* Assembly states: hdr_have < 4 -> collecting the prefix; hdr_have == 4 -> collecting `need`
 * payload bytes into buf (have of them so far). */
int pe_lpm_next(struct pe_lpm_dec *d, const void **msg, size_t *msg_len)
{
	if (d->err)
		return d->err;
	if (d->hdr_have == 0 && d->in_len) {
		/* Fast path: a whole message at the front of the chunk. */
		long r = pe_lpm_parse(d->in, d->in_len, d->max_len, msg, msg_len);

		if (r > 0) {
			d->in += r;
			d->in_len -= (size_t)r;
			d->msgs++;
			return 1;
		}
		if (r == PE_LPM_TOOBIG) {
			d->too_big++;
			return d->err = PE_LPM_TOOBIG;
		}
	}
	while (d->hdr_have < PE_LPM_HDR) {
		if (!d->in_len)
			return PE_LPM_PARTIAL;
		d->hdr[d->hdr_have++] = *d->in++;
		d->in_len--;
		if (d->hdr_have == PE_LPM_HDR) {
			d->need = pe_lpm_get_hdr(d->hdr);
			d->have = 0;
			if (d->need > d->max_len) {
				d->too_big++;
				return d->err = PE_LPM_TOOBIG;
			}
			if (d->need > d->cap) {
				size_t cap = d->cap ? d->cap : 256;
				uint8_t *nb;

				while (cap < d->need)
					cap *= 2;
				nb = realloc(d->buf, cap);
				if (!nb)
					return -ENOMEM;
				d->buf = nb;
				d->cap = cap;
			}
		}
	}
	{
		size_t k = d->need - d->have;

		if (k > d->in_len)
			k = d->in_len;
		if (k)
			memcpy(d->buf + d->have, d->in, k);
		d->have += k;
		d->in += k;
		d->in_len -= k;
	}
	if (d->have < d->need)
		return PE_LPM_PARTIAL;
	d->hdr_have = 0;
	*msg = d->need ? (const void *)d->buf : (const void *)d->hdr; /* never NULL */
	*msg_len = d->need;
	d->msgs++;
	return 1;
}

long pe_lpm_feed(struct pe_lpm_dec *d, const void *data, size_t len, pe_lpm_fn fn, void *arg)
{
	const void *msg;
	size_t mlen;
	long n = 0;
	int r;

	pe_lpm_push(d, data, len);
	while ((r = pe_lpm_next(d, &msg, &mlen)) == 1) {
		n++;
		if (fn && fn(arg, msg, mlen)) {
			d->in_len = 0;
			break;
		}
	}
	if (r == PE_LPM_TOOBIG || r == -ENOMEM)
		return r;
	return n;
}

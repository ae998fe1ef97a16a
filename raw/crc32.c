/* CRC-32 for the Ethernet FCS. Temporary bitwise version (replaced by the table/SIMD paths). */
#include <errno.h>

#include "raw/crc32.h"

uint32_t pe_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
	}
	return ~crc;
}

int pe_crc32_use(enum pe_crc32_impl impl)
{
	return impl == PE_CRC32_AUTO || impl == PE_CRC32_TABLE ? 0 : -ENOTSUP;
}

const char *pe_crc32_impl_name(void)
{
	return "table";
}

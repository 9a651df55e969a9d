/* CRC-32 (IEEE 802.3), enough to stamp test blocks; not for speed. */
#ifndef GUEST_CRC32_H
#define GUEST_CRC32_H
#include <stddef.h>
#include <stdint.h>

uint32_t crc32_buf(uint32_t crc, const void *buf, size_t len);
#endif

#ifndef NEEDLETAIL_CCHECKSUM_H
#define NEEDLETAIL_CCHECKSUM_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of `len` bytes, continuing from `crc` (start with 0).
/// Uses the SSE4.2 crc32 instruction when the CPU has it, a table otherwise.
uint32_t nt_crc32c(uint32_t crc, const void *data, size_t len);

/// CRC-32C using only the portable table path (for tests).
uint32_t nt_crc32c_portable(uint32_t crc, const void *data, size_t len);

/// 1 when the hardware path is in use.
int nt_crc32c_hardware(void);

#endif

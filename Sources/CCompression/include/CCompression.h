#ifndef NEEDLETAIL_CCOMPRESSION_H
#define NEEDLETAIL_CCOMPRESSION_H
// System compression libraries used by KafkaRecords: zstd, lz4 (frame + block), snappy (C API), zlib.
#include <zstd.h>
#include <lz4.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>

/// zlib's deflateInit2/inflateInit2 are macros; Swift cannot call them directly.
int nt_deflate_init_gzip(z_stream *strm, int level);
int nt_inflate_init_auto(z_stream *strm);
#endif

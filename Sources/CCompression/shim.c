#include "CCompression.h"

int nt_deflate_init_gzip(z_stream *strm, int level) {
    // windowBits 15 + 16 selects the gzip wrapper.
    return deflateInit2(strm, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

int nt_inflate_init_auto(z_stream *strm) {
    // windowBits 15 + 32 auto-detects zlib or gzip headers.
    return inflateInit2(strm, 15 + 32);
}

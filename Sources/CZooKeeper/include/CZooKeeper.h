#ifndef NEEDLETAIL_CZOOKEEPER_H
#define NEEDLETAIL_CZOOKEEPER_H
#ifndef THREADED
#define THREADED
#endif
#include <zookeeper/zookeeper.h>

/// Swift 6 refuses `&ZOO_OPEN_ACL_UNSAFE` (a global mutable C variable); this returns its address.
struct ACL_vector *nt_zoo_open_acl_unsafe(void);

/// `errno` of the calling thread (Swift cannot read the C macro); used after `zookeeper_init` returns NULL.
int nt_errno(void);
#endif

#include "CZooKeeper.h"
#include <errno.h>

struct ACL_vector *nt_zoo_open_acl_unsafe(void) { return &ZOO_OPEN_ACL_UNSAFE; }

int nt_errno(void) { return errno; }

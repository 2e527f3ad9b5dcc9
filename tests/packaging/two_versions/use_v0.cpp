// Uses this checkout's headers (codelength::inline v0).
#define USE_VERSION(name) v0_##name
#include "use_version.ipp"

static_assert(CODELENGTH_VERSION_MAJOR == 0);

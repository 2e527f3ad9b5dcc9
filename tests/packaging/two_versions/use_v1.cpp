// Uses the rewritten copy (codelength::inline v1, bits_per_nat doubled).
#define USE_VERSION(name) v1_##name
#include "use_version.ipp"

static_assert(CODELENGTH_VERSION_MAJOR == 1);

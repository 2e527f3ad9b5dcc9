// The body both translation unit files share: USE_VERSION(name) prefixes the functions, the
// include path picks the copy of the headers (see CMakeLists.txt).
#include <codelength/core/units.hpp>
#include <codelength/version.hpp>

double USE_VERSION(nats_to_bits)(double nats) {
    volatile auto unit = codelength::information_unit::nats; // not a constant: a real call
    return codelength::to_bits(nats, unit);
}

const char* USE_VERSION(version)() {
    return codelength::version_string;
}

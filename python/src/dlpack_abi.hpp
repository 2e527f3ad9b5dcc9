// The DLPack C ABI (the structs a `__dlpack__()` capsule named "dltensor" points to), declared
// from the published specification so that no DLPack header is needed to build the package.
#pragma once

#include <cstdint>

namespace codelength::python::dlpack {

// DLDeviceType values used here.
inline constexpr std::int32_t device_cpu = 1;

// DLDataTypeCode values used here.
inline constexpr std::uint8_t type_int = 0;
inline constexpr std::uint8_t type_uint = 1;
inline constexpr std::uint8_t type_float = 2;
inline constexpr std::uint8_t type_bfloat = 4;
inline constexpr std::uint8_t type_bool = 6;

struct dl_device {
    std::int32_t device_type;
    std::int32_t device_id;
};

struct dl_data_type {
    std::uint8_t code;
    std::uint8_t bits;
    std::uint16_t lanes;
};

struct dl_tensor {
    void* data;
    dl_device device;
    std::int32_t ndim;
    dl_data_type dtype;
    std::int64_t* shape;
    std::int64_t* strides; // in elements; null means compact row-major
    std::uint64_t byte_offset;
};

struct dl_managed_tensor {
    dl_tensor tensor;
    void* manager_ctx;
    void (*deleter)(dl_managed_tensor* self);
};

} // namespace codelength::python::dlpack

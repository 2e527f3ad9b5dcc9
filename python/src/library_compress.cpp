// codelength.compress, decompress and measure: the byte compressor of `codelength compress`
// and the measurements of `codelength measure`, on bytes-like objects.
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "codelength/baselines/compression_measurement.hpp"
#include "codelength/compress/byte_codec.hpp"
#include "codelength/compress/byte_model_names.hpp"
#include "library.hpp"

namespace codelength::python {

namespace {

// The compression options `codelength compress --model M --memory MIB` selects.
compression_options compression_options_of(const std::string& model, std::int64_t memory_mib) {
    const std::optional<byte_model_kind> kind = byte_model_named(model);
    if (!kind) {
        throw py::value_error("model: must be 'cm', 'ppm' or 'order0', got '" + model + "'");
    }
    check_range("memory_mib", memory_mib, 1, 65536);
    compression_options options;
    options.model = *kind;
    options.memory_mib = static_cast<std::uint32_t>(memory_mib);
    return options;
}

py::bytes as_bytes(const std::vector<std::uint8_t>& data) {
    return {reinterpret_cast<const char*>(data.data()), data.size()};
}

py::bytes compress(const py::object& data, const std::string& model, std::int64_t memory_mib) {
    const compression_options options = compression_options_of(model, memory_mib);
    const borrowed_bytes input(data, "data");
    compression_result result;
    {
        py::gil_scoped_release unlocked;
        result = compress_bytes(input.span(), options);
    }
    return as_bytes(result.bytes);
}

py::bytes decompress(const py::object& data, std::optional<std::int64_t> max_output_bytes,
                     std::optional<std::int64_t> max_memory_mib) {
    decoding_limits limits;
    if (max_output_bytes) {
        check_range("max_output_bytes", *max_output_bytes, 0, std::numeric_limits<std::int64_t>::max());
        limits.max_output_bytes = static_cast<std::uint64_t>(*max_output_bytes);
    }
    if (max_memory_mib) {
        check_range("max_memory_mib", *max_memory_mib, 1, std::int64_t{1} << 20);
        limits.max_memory_mib = static_cast<std::uint32_t>(*max_memory_mib);
    }
    const borrowed_bytes input(data, "data");
    std::vector<std::uint8_t> restored;
    {
        py::gil_scoped_release unlocked;
        restored = decompress_bytes(input.span(), {}, limits);
    }
    return as_bytes(restored);
}

// What codelength.measure returns: one `codelength measure --json` entry.
struct measure_report {
    compression_measurement m;
    compression_options options;

    [[nodiscard]] py::dict sizes_dict(bool per_byte) const {
        py::dict d;
        const baseline_sizes& b = m.baselines;
        const std::pair<const char*, std::uint64_t> sizes[] = {
            {"gzip_9", b.gzip_9}, {"xz_9", b.xz_9}, {"zstd_19", b.zstd_19}, {"brotli_11", b.brotli_11}};
        for (const auto& [name, size] : sizes) {
            d[name] = per_byte ? json_number(m.bits_per_byte(size)) : py::int_(size);
        }
        return d;
    }

    // The object `codelength measure --json` prints for one file (without "file"; with timing,
    // the fields --timing adds).
    [[nodiscard]] py::dict to_dict(bool timing) const {
        py::dict d;
        d["bytes"] = m.bytes;
        d["model"] = byte_model_name(options.model);
        d["memory_mib"] = options.memory_mib;
        d["ideal_bits"] = json_number(m.ideal_bits);
        d["ideal_bits_per_byte"] = json_number(m.ideal_bits_per_byte());
        d["coded_bytes"] = m.coded_bytes;
        d["header_bytes"] = m.header_bytes;
        d["stored"] = m.stored;
        d["round_trip_verified"] = true;
        d["bits_per_byte"] = json_number(m.coded_bits_per_byte());
        d["baselines"] = sizes_dict(false);
        d["baselines_bits_per_byte"] = sizes_dict(true);
        if (timing) {
            d["seconds"] = json_number(m.seconds);
            d["mb_per_s"] = json_number(m.mb_per_second(m.seconds));
            d["decompress_seconds"] = json_number(m.decompress_seconds);
            d["decompress_mb_per_s"] = json_number(m.mb_per_second(m.decompress_seconds));
        }
        return d;
    }
};

measure_report measure(const py::object& data, const std::string& model, std::int64_t memory_mib) {
    measure_report report;
    report.options = compression_options_of(model, memory_mib);
    const borrowed_bytes input(data, "data");
    {
        py::gil_scoped_release unlocked;
        report.m = measure_compression(input.span(), report.options, "data");
    }
    return report;
}

} // namespace

void bind_compression(py::module_& module) {
    module.def(
        "compress", &compress, py::arg("data"), py::arg("model") = "cm", py::arg("memory_mib") = 256,
        R"doc(Compresses a bytes-like object; the same bytes as `codelength compress --model M --memory MIB`.

model: 'cm' (bitwise context mixing), 'ppm' or 'order0'. memory_mib: MiB for the model's tables
(cm: 8-1024, ppm: 1-4096; order0 ignores it). decompress() restores the input exactly. The GIL
is released while compressing.)doc");
    module.def(
        "decompress", &decompress, py::arg("data"), py::kw_only(), py::arg("max_output_bytes") = py::none(),
        py::arg("max_memory_mib") = py::none(),
        R"doc(Restores what compress() or `codelength compress` wrote (the model is read from the header).

max_output_bytes / max_memory_mib: refuse a stream whose header asks for more output bytes
(default 2 GiB) or model MiB (default 1024), before allocating (for untrusted data). A truncated,
corrupted or foreign stream raises codelength.StreamError. The GIL is released while decoding.)doc");

    py::class_<measure_report>(module, "MeasureResult",
                               "One input measured as `codelength measure --json` reports it.")
        .def_property_readonly(
            "bytes", [](const measure_report& r) { return r.m.bytes; }, "Size of the input in bytes.")
        .def_property_readonly(
            "model", [](const measure_report& r) { return std::string(byte_model_name(r.options.model)); },
            "The byte model: 'cm', 'ppm' or 'order0'.")
        .def_property_readonly(
            "memory_mib", [](const measure_report& r) { return r.options.memory_mib; },
            "The memory setting the model was asked for, in MiB.")
        .def_property_readonly(
            "ideal_bits", [](const measure_report& r) { return r.m.ideal_bits; },
            "The model's prequential code length of the input (sum of -log2 p), in bits.")
        .def_property_readonly(
            "ideal_bits_per_byte", [](const measure_report& r) { return r.m.ideal_bits_per_byte(); },
            "ideal_bits / bytes; None for an empty input.")
        .def_property_readonly(
            "coded_bytes", [](const measure_report& r) { return r.m.coded_bytes; },
            "Size of compress()'s output in bytes, header included.")
        .def_property_readonly(
            "header_bytes", [](const measure_report& r) { return r.m.header_bytes; },
            "Bytes of the container's header.")
        .def_property_readonly(
            "stored", [](const measure_report& r) { return r.m.stored; },
            "The model did not beat storing: the payload is the raw input.")
        .def_property_readonly(
            "bits_per_byte", [](const measure_report& r) { return r.m.coded_bits_per_byte(); },
            "8 * coded_bytes / bytes; None for an empty input.")
        .def_property_readonly(
            "baselines", [](const measure_report& r) { return r.sizes_dict(false); },
            "Sizes in bytes of gzip_9, xz_9, zstd_19 and brotli_11 on the same input.")
        .def_property_readonly(
            "baselines_bits_per_byte", [](const measure_report& r) { return r.sizes_dict(true); },
            "The baselines' sizes in bits per input byte.")
        .def_property_readonly(
            "seconds", [](const measure_report& r) { return r.m.seconds; },
            "Wall-clock seconds of the compression.")
        .def_property_readonly(
            "decompress_seconds", [](const measure_report& r) { return r.m.decompress_seconds; },
            "Wall-clock seconds of the verifying decompression.")
        .def("to_dict", &measure_report::to_dict, py::arg("timing") = false,
             "The object `codelength measure --json` prints for the input (its \"files\" entry without "
             "\"file\"; timing=True adds the --timing fields).")
        .def("__repr__", [](const measure_report& r) {
            return "<codelength.MeasureResult " + std::string(py::repr(r.to_dict(false))) + ">";
        });
    module.def("measure", &measure, py::arg("data"), py::arg("model") = "cm", py::arg("memory_mib") = 256,
               R"doc(Measures a bytes-like object as `codelength measure --json` does.

Compresses it (model, memory_mib as in compress()), decompresses and compares the result, and
measures gzip -9, xz -9, zstd -19 and brotli -q 11 on the same bytes. The GIL is released.)doc");
}

} // namespace codelength::python

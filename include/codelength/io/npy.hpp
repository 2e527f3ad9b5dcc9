// The .npy format: a hardened header parser, a reader (memory-mapped for large files) and an
// atomic writer. See npy_header.hpp, npy_reader.hpp and npy_writer.hpp.
#pragma once

#include "codelength/io/mapped_file.hpp"
#include "codelength/io/npy_header.hpp"
#include "codelength/io/npy_reader.hpp"
#include "codelength/io/npy_writer.hpp"

// Umbrella header of the io module: file formats (.npy reader and writer, memory mapping).
#pragma once

#include "codelength/io/arpa.hpp"
#include "codelength/io/npy.hpp"

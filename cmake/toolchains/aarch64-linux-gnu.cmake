# Cross-compiles for 64-bit ARM Linux with Debian's cross compiler (g++-aarch64-linux-gnu), and
# lets ctest run the test programs under QEMU's user-mode emulator (qemu-user):
#   cmake -S . -B build/aarch64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# Libraries come from Debian's multiarch arm64 packages (dpkg --add-architecture arm64, then
# e.g. zlib1g-dev:arm64), which install into /usr/lib/aarch64-linux-gnu; the C++ runtime and
# the dynamic loader come from the cross compiler's /usr/aarch64-linux-gnu, which is the
# emulator's -L root. scripts/cross_aarch64.sh installs all of it and runs the tests.
#   CODELENGTH_CROSS_PREFIX   the compilers' prefix (default aarch64-linux-gnu-)
#   CODELENGTH_CROSS_SYSROOT  the emulator's -L root (default /usr/aarch64-linux-gnu)
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

if(NOT DEFINED CODELENGTH_CROSS_PREFIX)
  set(CODELENGTH_CROSS_PREFIX aarch64-linux-gnu-)
endif()
if(NOT DEFINED CODELENGTH_CROSS_SYSROOT)
  set(CODELENGTH_CROSS_SYSROOT /usr/aarch64-linux-gnu)
endif()
set(CMAKE_C_COMPILER ${CODELENGTH_CROSS_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${CODELENGTH_CROSS_PREFIX}g++)
# try_compile projects (check_cxx_compiler_flag, ...) see the same settings.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CODELENGTH_CROSS_PREFIX CODELENGTH_CROSS_SYSROOT)

# add_test(COMMAND <target>), catch_discover_tests and try_run go through the emulator. The
# dynamic loader comes from the -L root, and so must the C library: once an arm64 -dev package
# has pulled in Debian's own libc6:arm64 (another build of glibc), the loader would otherwise take
# libc.so.6 from /lib/aarch64-linux-gnu, and that mix hangs in pthread_getattr_np (std::thread).
find_program(CODELENGTH_QEMU_AARCH64 qemu-aarch64)
if(CODELENGTH_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR
    "${CODELENGTH_QEMU_AARCH64};-L;${CODELENGTH_CROSS_SYSROOT};-E;LD_LIBRARY_PATH=${CODELENGTH_CROSS_SYSROOT}/lib")
else()
  message(WARNING "qemu-aarch64 not found (Debian: qemu-user): the aarch64 test programs cannot run here")
endif()

# Multiarch layout: headers in /usr/include, arm64 libraries (and their CMake and pkg-config
# files) in /usr/lib/aarch64-linux-gnu. pkg-config must not see the build machine's .pc files.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")

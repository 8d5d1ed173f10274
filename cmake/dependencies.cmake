# Every dependency is a Debian package (installed by ./dev.sh); nothing is fetched at build time.
find_package(Threads REQUIRED)

# CAF 0.17.6 ships neither a CMake config nor a pkg-config file: import it by hand.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIB caf_core REQUIRED)
find_library(CAF_IO_LIB caf_io REQUIRED)
add_library(caf_core_imp UNKNOWN IMPORTED)
set_target_properties(caf_core_imp PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIB}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)
add_library(caf_io_imp UNKNOWN IMPORTED)
set_target_properties(caf_io_imp PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIB}"
  INTERFACE_LINK_LIBRARIES caf_core_imp)
add_library(CAF::core ALIAS caf_core_imp)
add_library(CAF::io ALIAS caf_io_imp)

find_package(Boost 1.74 REQUIRED)
find_package(msgpack REQUIRED CONFIG)          # target msgpackc-cxx
find_package(spdlog REQUIRED CONFIG)
find_package(nlohmann_json 3 REQUIRED CONFIG)
find_package(CLI11 REQUIRED CONFIG)
find_package(GTest REQUIRED CONFIG)
find_package(benchmark CONFIG)
find_package(PkgConfig REQUIRED)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
